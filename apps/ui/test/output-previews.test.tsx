import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import type { NodeSpec, Workflow } from '@maskflow/workflow';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { nodeSpecListSchema } from '../src/api/schemas';
import { BeforeAfter, tintMask } from '../src/components/before-after';
import type { OverlayMask } from '../src/components/before-after';
import { GalleryPanel, overlayMaskFor } from '../src/components/gallery.panel';
import { maskFeeding } from '../src/graph/mask-feeding';
import { emptyRun } from '../src/store/run-events';
import type { RunView } from '../src/store/run-events';
import { useEditorStore } from '../src/store/editor.store';
import { runEventBatcher, useRunStore } from '../src/store/run.store';
import { specOf, useSpecsStore } from '../src/store/specs.store';
import { useUiStore } from '../src/store/ui.store';
import sdInpaint from './fixtures/sd-inpaint.spec.json';
import { renderCanvas } from './flow-canvas';
import { ev, fixtureSpecs, resetStores } from './test-utils';

const RUN = '55555555-5555-4555-8555-555555555555';
const UPLOAD = 'e'.repeat(64);
const SAVED = 'f'.repeat(64);
const MASK_URL = 'data:image/png;base64,iVBORw0KGgoMASK';
const IMAGE_URL = 'data:image/jpeg;base64,/9j/4AAQIMAGE';

const maskPreview = { url: MASK_URL, mime: 'image/png', width: 512, height: 341 };
const maskValue = (preview?: unknown) => ({
  kind: 'mask',
  width: 1800,
  height: 1200,
  ...(preview ? { preview } : {}),
});

beforeEach(() => {
  resetStores();
  useSpecsStore
    .getState()
    .setSpecs([...fixtureSpecs(), ...nodeSpecListSchema.parse([sdInpaint as NodeSpec]).specs]);
  useUiStore.setState({ issues: [] });
});

type Edge = [string, string, string, string];
const wf = (nodes: Array<[string, string, Record<string, unknown>?]>, edges: Edge[]): Workflow => ({
  version: 1,
  nodes: nodes.map(([id, type, params], i) => ({
    id,
    type,
    params: params ?? {},
    position: { x: i * 300, y: 0 },
  })),
  edges: edges.map(([source, sourceHandle, target, targetHandle]) => ({
    source,
    sourceHandle,
    target,
    targetHandle,
  })),
  inputs: {},
});

/** The text-guided inpainting chain without the detector: load → sam → maskdilate → sdinpaint → save. */
const textGuided = () =>
  wf(
    [
      ['loadimage', 'LoadImage', { image: UPLOAD }],
      ['sam', 'SAM'],
      ['maskdilate', 'MaskDilate'],
      ['sdinpaint', 'SDInpaint'],
      ['saveimage', 'SaveImage'],
    ],
    [
      ['loadimage', 'image', 'sam', 'image'],
      ['sam', 'mask', 'maskdilate', 'mask'],
      ['loadimage', 'image', 'sdinpaint', 'image'],
      ['maskdilate', 'mask', 'sdinpaint', 'mask'],
      ['sdinpaint', 'image', 'saveimage', 'image'],
    ],
  );

describe('previews on the nodes', () => {
  function mount() {
    useEditorStore.getState().load(textGuided(), { name: 'tg', description: '' });
    useRunStore.setState({ currentRunId: RUN });
    renderCanvas();
  }

  const feed = (...events: ReturnType<typeof ev>[]) =>
    act(() => {
      runEventBatcher.push(...events);
      runEventBatcher.flushNow();
    });
  const outputs = (id: string) =>
    within(document.querySelector(`.mf-node[data-node-id="${id}"] .mf-node-outputs`) as HTMLElement);

  it('shows a mask output as its label and its preview on a dark ground, undraggable', () => {
    mount();
    feed(
      ev(RUN, 1, 'run.started', { nodes: ['loadimage', 'sam'] }),
      ev(
        RUN,
        2,
        'node.finished',
        {
          ms: 10,
          outputs: {
            mask: maskValue(maskPreview),
            masks: { ...maskValue(maskPreview), kind: 'masks', count: 3 },
          },
        },
        'sam',
      ),
    );
    const sam = outputs('sam');
    const [mask, masks] = sam.getAllByTestId('node-output-preview') as HTMLImageElement[];
    expect(mask.getAttribute('src')).toBe(MASK_URL);
    expect(mask.getAttribute('alt')).toBe('sam mask preview');
    expect(mask.draggable).toBe(false);
    expect(mask.className).toContain('nodrag');
    expect(mask.className).toContain('mf-output-preview-mask');
    expect(mask.getAttribute('width')).toBe('512');
    expect(mask.getAttribute('title')).toContain('white = masked');
    expect(masks.getAttribute('alt')).toBe('sam masks preview');
    // The label stays: port, kind and size (and the count for MASKS).
    const labels = [...sam.getAllByText(/1800×1200/)].map((l) => l.textContent);
    expect(labels).toEqual(['mask mask 1800×1200', 'masks masks 1800×1200 ×3']);
  });

  it('shows an image preview without the mask ground, and only the label without a preview', () => {
    mount();
    feed(
      ev(RUN, 1, 'run.started', { nodes: ['sdinpaint', 'sam'] }),
      ev(
        RUN,
        2,
        'node.finished',
        {
          outputs: {
            image: {
              kind: 'image',
              width: 1800,
              height: 1200,
              channels: 3,
              preview: { url: IMAGE_URL, mime: 'image/jpeg', width: 256, height: 171 },
            },
            mask: maskValue(),
          },
        },
        'sdinpaint',
      ),
      ev(RUN, 3, 'node.finished', { outputs: { mask: maskValue({ url: 'javascript:alert(1)' }) } }, 'sam'),
    );
    const img = outputs('sdinpaint').getByTestId('node-output-preview');
    expect(img.getAttribute('src')).toBe(IMAGE_URL);
    expect(img.className).not.toContain('mf-output-preview-mask');
    expect(img.dataset.kind).toBe('image');
    expect(outputs('sdinpaint').getByText('mask 1800×1200', { exact: false })).toBeTruthy();
    // No preview, or a malformed one: today's label, no picture.
    expect(outputs('sam').queryByTestId('node-output-preview')).toBeNull();
    expect(document.querySelector('.mf-node[data-node-id="sam"] .mf-node-outputs img')).toBeNull();
    expect(
      (document.querySelector('.mf-node[data-node-id="sam"] .mf-output-value') as HTMLElement).textContent,
    ).toBe('mask mask 1800×1200');
  });

  it('Load Image, which shows its upload in its widget, lists its outputs without previews', () => {
    mount();
    feed(
      ev(RUN, 1, 'run.started', { nodes: ['loadimage'] }),
      ev(
        RUN,
        2,
        'node.finished',
        {
          outputs: {
            image: {
              kind: 'image',
              width: 1800,
              height: 1200,
              channels: 3,
              preview: { url: IMAGE_URL, mime: 'image/jpeg', width: 256, height: 171 },
            },
            mask: maskValue(maskPreview),
          },
        },
        'loadimage',
      ),
    );
    expect(outputs('loadimage').queryByTestId('node-output-preview')).toBeNull();
    expect(outputs('loadimage').getByText('image 1800×1200', { exact: false })).toBeTruthy();
    expect(outputs('loadimage').getByText('mask 1800×1200', { exact: false })).toBeTruthy();
  });

  it('a cached SAM keeps showing its mask on a re-run', () => {
    mount();
    feed(
      ev(RUN, 1, 'run.started', { nodes: ['loadimage', 'sam'] }),
      ev(RUN, 2, 'node.cached', { key: 'k', outputs: { mask: maskValue(maskPreview) } }, 'sam'),
    );
    expect(outputs('sam').getByTestId('node-output-preview').getAttribute('src')).toBe(MASK_URL);
    expect((document.querySelector('.mf-node[data-node-id="sam"]') as HTMLElement).dataset.status).toBe(
      'cached',
    );
  });
});

describe('the mask fed to the nearest node upstream (maskFeeding)', () => {
  it('finds the mask SDInpaint was fed in the text-guided chain', () => {
    expect(maskFeeding(textGuided(), 'saveimage', specOf)).toEqual({
      consumer: 'sdinpaint',
      input: 'mask',
      source: 'maskdilate',
      handle: 'mask',
    });
  });

  it('finds nothing when no node upstream takes a mask', () => {
    const g = wf(
      [
        ['load', 'LoadImage', { image: UPLOAD }],
        ['resize', 'ImageResize'],
        ['save', 'SaveImage'],
        // A mask consumer beside the output, not upstream of it.
        ['sam', 'SAM'],
        ['grow', 'MaskDilate'],
      ],
      [
        ['load', 'image', 'resize', 'image'],
        ['resize', 'image', 'save', 'image'],
        ['load', 'image', 'sam', 'image'],
        ['sam', 'mask', 'grow', 'mask'],
      ],
    );
    expect(maskFeeding(g, 'save', specOf)).toBeUndefined();
    expect(maskFeeding(undefined, 'save', specOf)).toBeUndefined();
    // Without specs nothing is known to take a mask.
    expect(maskFeeding(textGuided(), 'saveimage', () => undefined)).toBeUndefined();
  });

  it('picks the nearest consumer, then the earlier input of the node', () => {
    // save ← fill (mask: grow.mask) ← inpaint (mask: sam.mask): the fill is nearer.
    const g = wf(
      [
        ['load', 'LoadImage', { image: UPLOAD }],
        ['sam', 'SAM'],
        ['grow', 'MaskDilate'],
        ['inpaint', 'SDInpaint'],
        ['fill', 'MaskFill'],
        ['save', 'SaveImage'],
      ],
      [
        ['load', 'image', 'sam', 'image'],
        ['load', 'image', 'inpaint', 'image'],
        ['sam', 'mask', 'inpaint', 'mask'],
        ['inpaint', 'image', 'fill', 'image'],
        ['sam', 'mask', 'grow', 'mask'],
        ['grow', 'mask', 'fill', 'mask'],
        ['fill', 'image', 'save', 'image'],
      ],
    );
    expect(maskFeeding(g, 'save', specOf)).toMatchObject({
      consumer: 'fill',
      source: 'grow',
      handle: 'mask',
    });
    // The output's own node counts: from inpaint, its own mask input.
    expect(maskFeeding(g, 'inpaint', specOf)).toMatchObject({ consumer: 'inpaint', source: 'sam' });
    // Through a node of an unknown type, and at one distance the earlier input (Composite's base before
    // its overlay) wins whatever the edge order.
    const tie = wf(
      [
        ['load', 'LoadImage', { image: UPLOAD }],
        ['a', 'MaskFill'],
        ['b', 'MaskFill'],
        ['mix', 'Composite'],
        ['odd', 'SomethingNew'],
        ['save', 'SaveImage'],
      ],
      [
        ['load', 'mask', 'b', 'mask'],
        ['load', 'mask', 'a', 'mask'],
        ['b', 'image', 'mix', 'overlay'],
        ['a', 'image', 'mix', 'base'],
        ['mix', 'image', 'odd', 'image'],
        ['odd', 'image', 'save', 'image'],
      ],
    );
    expect(maskFeeding(tie, 'save', specOf)).toMatchObject({ consumer: 'a', source: 'load', handle: 'mask' });
  });
});

describe('overlayMaskFor', () => {
  const run = (outputs: RunView['outputs'], graph: Workflow | null = textGuided()): RunView => ({
    ...emptyRun(RUN, 'finished'),
    outputs,
    ...(graph ? { graph } : {}),
  });

  it('is the preview of the mask fed to the nearest consumer, named by its edge', () => {
    expect(overlayMaskFor(run({ maskdilate: { mask: maskValue(maskPreview) } }), 'saveimage')).toEqual({
      consumer: 'sdinpaint',
      input: 'mask',
      source: 'maskdilate',
      handle: 'mask',
      url: MASK_URL,
    });
  });

  it('is nothing without a preview, without the graph, or with only another node’s preview', () => {
    expect(overlayMaskFor(run({ maskdilate: { mask: maskValue() } }), 'saveimage')).toBeUndefined();
    expect(
      overlayMaskFor(run({ maskdilate: { mask: maskValue(maskPreview) } }, null), 'saveimage'),
    ).toBeUndefined();
    // SAM's mask is not the one SDInpaint was fed.
    expect(overlayMaskFor(run({ sam: { mask: maskValue(maskPreview) } }), 'saveimage')).toBeUndefined();
  });
});

/**
 * jsdom decodes no image and has no 2D canvas: images "load" at 4×2 and the
 * context records what is painted. `gray` is what drawing any image reads back.
 */
function fakeCanvas(gray: number[]) {
  const loaded: string[] = [];
  const painted: Uint8ClampedArray[] = [];
  class FakeImage {
    onload?: () => void;
    onerror?: () => void;
    decoding = '';
    naturalWidth = 4;
    naturalHeight = 2;
    private url = '';
    get src() {
      return this.url;
    }
    set src(v: string) {
      this.url = v;
      loaded.push(v);
      queueMicrotask(() => this.onload?.());
    }
  }
  vi.stubGlobal('Image', FakeImage);
  vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockImplementation(function (this: HTMLCanvasElement) {
    return {
      drawImage: () => {},
      getImageData: () => ({ data: Uint8ClampedArray.from(gray) }),
      createImageData: (w: number, h: number) => ({ data: new Uint8ClampedArray(w * h * 4) }),
      putImageData: (img: { data: Uint8ClampedArray }) => painted.push(img.data),
    } as unknown as CanvasRenderingContext2D;
  } as never);
  return { loaded, painted };
}

/** A 4×2 mask: white, mid grey, black, white; then black, black, black, a grey 51. */
const GRAY = [
  [255, 255], [128, 255], [0, 255], [255, 255],
  [0, 255], [0, 255], [0, 255], [51, 255],
].flatMap(([v, a]) => [v, v, v, a]); // prettier-ignore

describe('the mask overlay', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  const fed: OverlayMask = {
    consumer: 'sdinpaint',
    input: 'mask',
    source: 'maskdilate',
    handle: 'mask',
    url: MASK_URL,
  };

  it('tints by grey level: white fully, feathered grey in part, black not at all', () => {
    const out = new Uint8ClampedArray(GRAY.length);
    const share = tintMask(Uint8ClampedArray.from(GRAY), out, [10, 20, 30]);
    const alpha = [...out].filter((_, i) => i % 4 === 3);
    expect(alpha).toEqual([255, 128, 0, 255, 0, 0, 0, 51]);
    expect([...out.slice(0, 3)]).toEqual([10, 20, 30]);
    expect(share).toBeCloseTo((255 + 128 + 255 + 51) / 255 / 8, 6);
  });

  it('paints the mask it is given over the result, and says which mask it is', async () => {
    const { loaded, painted } = fakeCanvas(GRAY);
    render(<BeforeAfter before="/before.png" after="/after.png" alt="save.artifact" mask={fed} />);
    fireEvent.click(screen.getByLabelText('mask overlay'));
    const caption = screen.getByTestId('mask-caption');
    await waitFor(() =>
      expect(caption.textContent).toBe('mask: maskdilate.mask → sdinpaint · 33.8% of the image'),
    );
    // The mask's preview is read, not the before and after images (no difference is computed).
    expect(loaded).toEqual([MASK_URL]);
    const canvas = screen.getByTestId('mask-overlay') as HTMLCanvasElement;
    expect(canvas.dataset.mask).toBe('fed');
    expect([canvas.width, canvas.height]).toEqual([4, 2]);
    expect([...painted[0]].filter((_, i) => i % 4 === 3)).toEqual([255, 128, 0, 255, 0, 0, 0, 51]);
    expect(caption.getAttribute('title')).toContain("fed to sdinpaint's mask input");
  });

  it('without a mask, paints the difference between before and after as before', async () => {
    const { loaded } = fakeCanvas(GRAY);
    render(<BeforeAfter before="/before.png" after="/after.png" alt="save.artifact" />);
    fireEvent.click(screen.getByLabelText('mask overlay'));
    const caption = screen.getByTestId('mask-caption');
    // Both images read back the same pixels here: nothing changed.
    await waitFor(() => expect(caption.textContent).toBe('0.0% of the pixels changed'));
    expect(loaded.sort()).toEqual(['/after.png', '/before.png']);
    expect((screen.getByTestId('mask-overlay') as HTMLCanvasElement).dataset.mask).toBe('difference');
  });

  it('offers the fed mask even without a before image', async () => {
    const { loaded } = fakeCanvas(GRAY);
    render(<BeforeAfter after="/after.png" alt="save.artifact" mask={fed} />);
    expect(screen.queryByLabelText('Before/after divider')).toBeNull();
    expect(screen.getByText(/no before\/after view/)).toBeTruthy();
    fireEvent.click(screen.getByLabelText('mask overlay'));
    await waitFor(() =>
      expect(screen.getByTestId('mask-caption').textContent).toContain('33.8% of the image'),
    );
    expect(loaded).toEqual([MASK_URL]);
  });

  it('the gallery overlays the mask SDInpaint was fed, or the difference when it has no preview', async () => {
    const { loaded } = fakeCanvas(GRAY);
    const start = (mask: unknown) =>
      useRunStore.setState({
        currentRunId: RUN,
        runs: {
          [RUN]: {
            ...emptyRun(RUN, 'finished'),
            graph: textGuided(),
            outputs: {
              sam: { mask: maskValue({ ...maskPreview, url: 'data:image/png;base64,SAMMASK' }) },
              maskdilate: { mask },
              saveimage: { artifact: { kind: 'artifact', id: SAVED, mime: 'image/png' } },
            },
          },
        },
      });
    start(maskValue(maskPreview));
    const view = render(<GalleryPanel />);
    fireEvent.click(screen.getByLabelText('mask overlay'));
    await waitFor(() =>
      expect(screen.getByTestId('mask-caption').textContent).toContain('mask: maskdilate.mask → sdinpaint'),
    );
    expect(loaded).toEqual([MASK_URL]);
    view.unmount();

    loaded.length = 0;
    start(maskValue());
    render(<GalleryPanel />);
    fireEvent.click(screen.getByLabelText('mask overlay'));
    await waitFor(() =>
      expect(screen.getByTestId('mask-caption').textContent).toContain('of the pixels changed'),
    );
    expect(screen.getByTestId('mask-caption').textContent).not.toContain('mask:');
    expect(loaded.sort()).toEqual([`/api/artifacts/${UPLOAD}`, `/api/artifacts/${SAVED}`]);
  });

  it('"use as input" loads the result into the upload it came from (undoable), and says why when it cannot', () => {
    fakeCanvas(GRAY);
    useEditorStore.getState().load(textGuided(), { name: 'tg', description: '' });
    useRunStore.setState({
      currentRunId: RUN,
      runs: {
        [RUN]: {
          ...emptyRun(RUN, 'finished'),
          graph: textGuided(),
          outputs: { saveimage: { artifact: { kind: 'artifact', id: SAVED, mime: 'image/png' } } },
        },
      },
    });
    render(<GalleryPanel />);
    const image = () => useEditorStore.getState().nodes.find((n) => n.id === 'loadimage')!.data.params.image;
    const button = screen.getByRole('button', { name: 'use as input' }) as HTMLButtonElement;
    expect(image()).toBe(UPLOAD);
    expect(button.disabled).toBe(false);
    fireEvent.click(button);
    expect(image()).toBe(SAVED);
    expect(useUiStore.getState().toasts.at(-1)?.text).toContain('loadimage now loads this result');
    // Already the input: nothing more to do, and the button says so.
    expect(button.disabled).toBe(true);
    expect(button.title).toBe('loadimage already loads this result');
    act(() => useEditorStore.getState().undo());
    expect(image()).toBe(UPLOAD);
    // The node is gone from the editor's graph: the run's graph alone cannot say where to put it.
    act(() => {
      useEditorStore.getState().selectNodes(['loadimage']);
      useEditorStore.getState().deleteSelection();
    });
    expect(button.disabled).toBe(true);
    expect(button.title).toBe('the editor\'s graph has no LoadImage "loadimage" any more');
  });
});
