import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ParamWidget } from '../src/components/widgets/param.widget';
import { MaskHistory } from '../src/graph/mask-history';
import {
  cropMask,
  defaultBrush,
  emptyMask,
  invertMask,
  maskFromAlpha,
  paintSegment,
  pasteMask,
  stepBrush,
  writeGray,
  writeTint,
} from '../src/graph/mask-paint';
import type { MaskBuffer } from '../src/graph/mask-paint';
import { paramFields } from '../src/graph/param-fields';
import { containRect } from '../src/graph/region-geometry';
import { useShortcuts } from '../src/hooks/use-shortcuts';
import { useEditorStore } from '../src/store/editor.store';
import { useSpecsStore } from '../src/store/specs.store';
import { renderCanvas } from './flow-canvas';
import { jsonResponse, resetStores } from './test-utils';

const ART = 'd'.repeat(64);
const MASKED_ART = 'e'.repeat(64);
const S = () => useEditorStore.getState();
const imageParam = () => S().nodes.find((n) => n.id === 'loadimage')!.data.params.image;

/** The painted pixels of a mask, as "x,y" (any value above 0). */
const painted = (m: MaskBuffer) =>
  new Set(
    [...m.data.keys()].filter((i) => m.data[i] > 0).map((i) => `${i % m.width},${Math.floor(i / m.width)}`),
  );

describe('painting a mask (pure raster work)', () => {
  it('a dab paints the pixels whose centres are within the radius', () => {
    const m = emptyMask({ width: 20, height: 20 });
    const rect = paintSegment(m, { x: 10.5, y: 10.5 }, { x: 10.5, y: 10.5 }, 1, 255);
    // Radius 1 around a pixel centre: it and its four neighbours, not the diagonals (√2 away).
    expect(painted(m)).toEqual(new Set(['10,10', '9,10', '11,10', '10,9', '10,11']));
    expect(rect).toEqual({ x: 9, y: 9, width: 3, height: 3 });
  });

  it('a fast drag (two pointer events far apart) paints the whole band between them, no gaps', () => {
    const m = emptyMask({ width: 100, height: 40 });
    paintSegment(m, { x: 5.5, y: 20.5 }, { x: 95.5, y: 20.5 }, 2, 255);
    for (let x = 5; x <= 95; x++) for (let y = 18; y <= 22; y++) expect(m.data[y * 100 + x]).toBe(255);
    // Nothing beyond the radius: rows 17 and 23 stay empty, and the ends are round (x 3…97 on the path only).
    for (let x = 0; x < 100; x++) {
      expect(m.data[17 * 100 + x]).toBe(0);
      expect(m.data[23 * 100 + x]).toBe(0);
    }
    expect(m.data[20 * 100 + 2]).toBe(0);
    expect(m.data[20 * 100 + 3]).toBe(255);
    expect(m.data[20 * 100 + 97]).toBe(255);
    expect(m.data[20 * 100 + 98]).toBe(0);
    expect(m.data[18 * 100 + 3]).toBe(0);
  });

  it('a stroke is the same however many pointer events it came in', () => {
    const one = emptyMask({ width: 60, height: 60 });
    const many = emptyMask({ width: 60, height: 60 });
    // Radius 3.4: no pixel centre lies exactly on the edge (where rounding could go either way).
    paintSegment(one, { x: 3, y: 4 }, { x: 51, y: 40 }, 3.4, 255);
    let last = { x: 3, y: 4 };
    for (let k = 1; k <= 7; k++) {
      const p = { x: 3 + (48 * k) / 7, y: 4 + (36 * k) / 7 };
      paintSegment(many, last, p, 3.4, 255);
      last = p;
    }
    expect(painted(many)).toEqual(painted(one));
    expect(painted(one).size).toBeGreaterThan(300);
  });

  it('clips to the image without spilling into the next row, and erases with 0', () => {
    const m = emptyMask({ width: 10, height: 10 });
    const rect = paintSegment(m, { x: -3, y: 5 }, { x: -3, y: 5 }, 4, 255);
    expect(rect).toEqual({ x: 0, y: 1, width: 1, height: 8 });
    // Only column 0 was in reach; the last pixel of the row above (index 4·10 + 9) is untouched.
    expect(painted(m)).toEqual(new Set(['0,3', '0,4', '0,5', '0,6']));
    expect(m.data[4 * 10 + 9]).toBe(0);
    expect(paintSegment(m, { x: 30, y: 30 }, { x: 40, y: 40 }, 2, 255)).toBeUndefined();
    paintSegment(m, { x: 0.5, y: 5.5 }, { x: 0.5, y: 5.5 }, 1, 0);
    expect(painted(m)).toEqual(new Set(['0,3']));
  });

  it('the smallest brush still paints the pixel under the pointer, wherever in it', () => {
    const m = emptyMask({ width: 8, height: 8 });
    paintSegment(m, { x: 3.5, y: 3.5 }, { x: 3.5, y: 3.5 }, 0.5, 255);
    expect(painted(m)).toEqual(new Set(['3,3']));
    // Near a corner of pixel (3, 3): it, and the neighbour whose centre is as near (within half a diagonal).
    m.data.fill(0);
    paintSegment(m, { x: 3.95, y: 3.02 }, { x: 3.95, y: 3.02 }, 0.5, 255);
    expect(painted(m)).toEqual(new Set(['3,3', '3,2']));
  });

  it('reads an existing mask from alpha (transparent = masked), inverts, and writes grey and tint', () => {
    // RGB is ignored (premultiplied in a canvas anyway): only alpha counts.
    const rgba = new Uint8ClampedArray([9, 9, 9, 255, 0, 0, 0, 0, 50, 60, 70, 128, 1, 2, 3, 254]);
    const m = maskFromAlpha(rgba, { width: 2, height: 2 });
    expect([...m.data]).toEqual([0, 255, 127, 1]);
    invertMask(m);
    expect([...m.data]).toEqual([255, 0, 128, 254]);
    const gray = new Uint8ClampedArray(16);
    writeGray(m, gray);
    expect([...gray]).toEqual([255, 255, 255, 255, 0, 0, 0, 255, 128, 128, 128, 255, 254, 254, 254, 255]);
    const tint = new Uint8ClampedArray(16);
    writeTint(m, { x: 1, y: 0, width: 1, height: 2 }, tint);
    // Only the rect: pixels (1, 0) and (1, 1), red with the mask as alpha.
    expect([...tint]).toEqual([0, 0, 0, 0, 255, 32, 32, 0, 0, 0, 0, 0, 255, 32, 32, 254]);
  });

  it('crops and pastes a rect, row by row', () => {
    const m = emptyMask({ width: 4, height: 3 });
    m.data.set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const rect = { x: 1, y: 1, width: 2, height: 2 };
    expect([...cropMask(m.data, 4, rect)]).toEqual([5, 6, 9, 10]);
    pasteMask(m, rect, new Uint8Array([50, 60, 90, 100]));
    expect([...m.data]).toEqual([0, 1, 2, 3, 4, 50, 60, 7, 8, 90, 100, 11]);
  });

  it('[ and ] step the brush by about an eighth, within 1…max; the default suits the picture', () => {
    expect(stepBrush(1, 1, 100)).toBe(2);
    expect(stepBrush(1, -1, 100)).toBe(1);
    expect(stepBrush(80, 1, 200)).toBe(90);
    expect(stepBrush(80, -1, 200)).toBe(70);
    expect(stepBrush(195, 1, 200)).toBe(200);
    expect(defaultBrush({ width: 480, height: 360 })).toBe(18);
    expect(defaultBrush({ width: 8, height: 8 })).toBe(1);
  });

  it('fits the picture into the stage like object-fit: contain', () => {
    expect(containRect({ left: 10, top: 20, width: 400, height: 100 }, { width: 40, height: 20 })).toEqual({
      left: 110,
      top: 20,
      width: 200,
      height: 100,
    });
    // Enlarged too: a small image fills the stage's width.
    expect(containRect({ left: 0, top: 0, width: 300, height: 300 }, { width: 30, height: 10 })).toEqual({
      left: 0,
      top: 100,
      width: 300,
      height: 100,
    });
  });
});

describe('undo and redo in the painter', () => {
  const stroke = (h: MaskHistory, m: MaskBuffer, a: number, b: number, value = 255) => {
    const before = m.data.slice();
    const rect = paintSegment(m, { x: a, y: 2.5 }, { x: b, y: 2.5 }, 1, value)!;
    return h.record(before, m, rect);
  };

  it('takes strokes back one by one and does them again', () => {
    const h = new MaskHistory();
    const m = emptyMask({ width: 20, height: 5 });
    expect(stroke(h, m, 1.5, 4.5)).toBe(true);
    const first = m.data.slice();
    expect(stroke(h, m, 10.5, 15.5)).toBe(true);
    const both = m.data.slice();
    expect(h.canUndo).toBe(true);
    expect(h.undo(m)).toEqual({ x: 9, y: 1, width: 8, height: 3 });
    expect(m.data).toEqual(first);
    h.undo(m);
    expect(painted(m).size).toBe(0);
    expect(h.canUndo).toBe(false);
    expect(h.undo(m)).toBeUndefined();
    h.redo(m);
    h.redo(m);
    expect(m.data).toEqual(both);
    expect(h.canRedo).toBe(false);
  });

  it('a stroke that changed nothing is no step, and a new stroke drops what was undone', () => {
    const h = new MaskHistory();
    const m = emptyMask({ width: 20, height: 5 });
    expect(stroke(h, m, 1.5, 4.5, 0)).toBe(false);
    expect(h.canUndo).toBe(false);
    stroke(h, m, 1.5, 4.5);
    h.undo(m);
    expect(h.canRedo).toBe(true);
    stroke(h, m, 10.5, 12.5);
    expect(h.canRedo).toBe(false);
  });

  it('forgets the oldest steps beyond its byte budget', () => {
    // Each step on this 20×5 mask keeps 2 × 15 bytes (a 5×3 rect before and after).
    const h = new MaskHistory(70);
    const m = emptyMask({ width: 20, height: 5 });
    stroke(h, m, 2.5, 4.5);
    stroke(h, m, 8.5, 10.5);
    stroke(h, m, 14.5, 16.5);
    h.undo(m);
    h.undo(m);
    expect(h.canUndo).toBe(false);
    // The first stroke could not be taken back any more; it stays.
    expect(m.data[2 * 20 + 3]).toBe(255);
    expect(m.data[2 * 20 + 9]).toBe(0);
  });
});

/**
 * jsdom has no 2D canvas: a small stand-in that keeps what is put on each
 * canvas, and encodes a PNG as a recognisable blob.
 */
interface FakeCanvas {
  put?: Uint8ClampedArray;
  drawn?: Uint8ClampedArray;
}
let canvases: Map<HTMLCanvasElement, FakeCanvas>;
let encoded: Uint8ClampedArray[];

/** A 40×30 image, opaque but for its first row (transparent: already masked); drawn at 400×300 from (0, 0). */
const W = 40;
const H = 30;
const imagePixels = Uint8Array.from({ length: W * H * 4 }, (_, i) =>
  i % 4 < 3 ? 200 - (i % 4) : i < W * 4 ? 0 : 255,
);
/**
 * jsdom decodes no image either: a test "file" is its pixels as JSON, which
 * the stand-in createImageBitmap reads. The file as a canvas gives it back
 * (no colour where it is transparent), and the server's copy without alpha.
 */
const fileOf = (rgba: Uint8Array) => JSON.stringify({ width: W, height: H, rgba: [...rgba] });
const imageFile = fileOf(imagePixels.map((v, i) => (imagePixels[i - (i % 4) + 3] === 0 ? 0 : v)));
const rgbFile = fileOf(imagePixels.map((v, i) => (i % 4 === 3 ? 255 : v)));

/** The server: the image's file, its colour copy, and what `maskAnswer` says to a mask upload. */
let maskAnswer: () => Response;
const fetchMock = vi.fn(async (url: string, init?: RequestInit) => {
  if (url === `/api/artifacts/${ART}` && (init?.method ?? 'GET') === 'GET') return new Response(imageFile);
  if (url === `/api/artifacts/${ART}/rgb` && (init?.method ?? 'GET') === 'GET') return new Response(rgbFile);
  if (url === `/api/artifacts/${ART}/mask` && init?.method === 'POST') return maskAnswer();
  return new Response('not found', { status: 404 });
});
const maskCalls = () => fetchMock.mock.calls.filter(([, init]) => init?.method === 'POST');

const maskSaved = () =>
  jsonResponse(
    {
      id: MASKED_ART,
      mime: 'image/png',
      bytes: 100,
      width: W,
      height: H,
      name: 'picture-masked.png',
      createdAt: new Date().toISOString(),
    },
    201,
  );

beforeEach(() => {
  canvases = new Map();
  encoded = [];
  fetchMock.mockClear();
  maskAnswer = maskSaved;
  vi.stubGlobal('fetch', fetchMock);
  vi.stubGlobal('createImageBitmap', async (blob: Blob) => {
    const f = JSON.parse(await blob.text()) as { width: number; height: number; rgba: number[] };
    return { width: f.width, height: f.height, rgba: Uint8ClampedArray.from(f.rgba), close() {} };
  });
  vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockImplementation(function (this: HTMLCanvasElement) {
    const state: FakeCanvas = {};
    canvases.set(this, state);
    return {
      createImageData: (w: number, h: number) => ({
        width: w,
        height: h,
        data: new Uint8ClampedArray(w * h * 4),
      }),
      putImageData: (img: ImageData) => {
        state.put = img.data;
      },
      drawImage: (bitmap: { rgba: Uint8ClampedArray }) => {
        state.drawn = bitmap.rgba;
      },
      getImageData: () => ({ data: state.drawn!.slice() }),
    } as unknown as CanvasRenderingContext2D;
  } as unknown as HTMLCanvasElement['getContext']);
  HTMLCanvasElement.prototype.toBlob = function (this: HTMLCanvasElement, done: BlobCallback) {
    encoded.push(canvases.get(this)!.put!.slice());
    done(new Blob(['png'], { type: 'image/png' }));
  };
  resetStores();
  S().load(
    {
      version: 1,
      nodes: [{ id: 'loadimage', type: 'LoadImage', params: { image: ART }, position: { x: 0, y: 0 } }],
      edges: [],
      inputs: {},
    },
    { name: 'paint', description: '' },
  );
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

/** The image param bound to the editor store, as the node binds it. */
function Bound() {
  const node = useEditorStore((s) => s.nodes.find((n) => n.id === 'loadimage'))!;
  const spec = useSpecsStore((s) => s.byType.get('LoadImage'))!;
  const f = paramFields(spec).find((x) => x.name === 'image')!;
  return (
    <ParamWidget
      field={f}
      value={node.data.params.image}
      onChange={(v) => S().setParam('loadimage', 'image', v)}
      idPrefix="loadimage.image"
      nodeId="loadimage"
    />
  );
}

function WithShortcuts({ children }: { children: ReactNode }) {
  useShortcuts();
  return <>{children}</>;
}

/** Opens the painter and waits for the image's pixels; the stage is 400×300 at (0, 0), so ×10. */
async function openPainter() {
  // By its label, not its role: React Flow keeps a node hidden in jsdom (it is never measured).
  fireEvent.click(document.querySelector('button[aria-label="Paint mask"]')!);
  const dialog = screen.getByRole('dialog', { name: 'Mask painter' });
  await waitFor(() => expect(screen.getByTestId('painter-info').textContent).toMatch(/^40×30/));
  // The canvases are drawn in an effect after that render: wait for both, or a slow machine reads nothing.
  await waitFor(() => {
    for (const id of ['mask-picture', 'mask-canvas'])
      expect(canvases.get(screen.getByTestId(id) as HTMLCanvasElement)?.put).toBeDefined();
  });
  const stage = screen.getByTestId('mask-stage');
  stage.getBoundingClientRect = () =>
    ({ left: 0, top: 0, width: 400, height: 300, x: 0, y: 0, right: 400, bottom: 300 }) as DOMRect;
  return { dialog, stage };
}

type XY = [number, number];
function drag(el: Element, points: XY[], button = 0, mods: { altKey?: boolean } = {}) {
  const at = ([clientX, clientY]: XY) => ({ pointerId: 1, button, clientX, clientY, ...mods });
  fireEvent.pointerDown(el, at(points[0]));
  for (const p of points.slice(1)) fireEvent.pointerMove(el, at(p));
  fireEvent.pointerUp(el, at(points[points.length - 1]));
}

/** The overlay's alpha (the mask as shown), row by row. */
function shown(): Uint8Array {
  const overlay = screen.getByTestId('mask-canvas') as HTMLCanvasElement;
  const px = canvases.get(overlay)!.put!;
  return Uint8Array.from({ length: W * H }, (_, i) => px[i * 4 + 3]);
}

describe('the mask painter on Load Image', () => {
  it('is offered only for an uploaded image', () => {
    S().setParam('loadimage', 'image', '/data/cat.png');
    render(<Bound />);
    expect(screen.queryByRole('button', { name: 'Paint mask' })).toBeNull();
    act(() => S().setParam('loadimage', 'image', ART));
    expect(screen.getByRole('button', { name: 'Paint mask' })).toBeTruthy();
  });

  it('starts from the alpha, paints a stroke in natural pixels, saves it as a grey PNG: the param takes the new id (undoable)', async () => {
    const view = render(<Bound />);
    const { dialog, stage } = await openPainter();
    // Over everything, not inside the node.
    expect(view.container.contains(dialog)).toBe(false);
    // The transparent first row is masked already…
    expect([...shown().subarray(0, W)].every((v) => v === 255)).toBe(true);
    expect([...shown().subarray(W)].every((v) => v === 0)).toBe(true);
    // …and the picture under it is shown with its colour (from the copy without alpha), opaque.
    const picture = canvases.get(screen.getByTestId('mask-picture') as HTMLCanvasElement)!.put!;
    expect([...picture.subarray(0, 8)]).toEqual([200, 199, 198, 255, 200, 199, 198, 255]);

    // Brush 4 px; a stroke from screen (50, 150) to (350, 150) is (5, 15)–(35, 15) in the image (×0.1).
    fireEvent.change(screen.getByLabelText('Brush size'), { target: { value: '4' } });
    drag(stage, [
      [50, 150],
      [350, 150],
    ]);
    const row = (y: number) => [...shown().subarray(y * W, (y + 1) * W)].map((v) => (v ? 1 : 0)).join('');
    // Rows 13…16 (centres within 2 of y = 15), round ends: x 3…36 on the path, 4…35 a row and a half off it.
    expect(row(15)).toBe('0'.repeat(3) + '1'.repeat(34) + '0'.repeat(3));
    expect(row(13)).toBe('0'.repeat(4) + '1'.repeat(32) + '0'.repeat(4));
    expect(row(12)).toBe('0'.repeat(W));
    expect(row(17)).toBe('0'.repeat(W));

    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Save mask' })));
    await waitFor(() => expect(imageParam()).toBe(MASKED_ART));
    expect(maskCalls()).toHaveLength(1);
    const [url, init] = maskCalls()[0] as [string, RequestInit];
    expect(url).toBe(`/api/artifacts/${ART}/mask`);
    expect((init.body as FormData).get('file')).toBeInstanceOf(Blob);
    // The PNG: opaque grey at natural size, white where painted (the first row and the stroke).
    const gray = encoded[0];
    expect(gray.length).toBe(W * H * 4);
    const white = (x: number, y: number) => gray[(y * W + x) * 4];
    expect([white(0, 0), white(20, 15), white(5, 15), white(20, 12), white(38, 15)]).toEqual([
      255, 255, 255, 0, 0,
    ]);
    expect(gray[(10 * W + 10) * 4 + 3]).toBe(255);
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(S().dirty).toBe(true);
    // One change in the editor's history.
    act(() => S().undo());
    expect(imageParam()).toBe(ART);
  });

  it('undoes and redoes strokes inside the painter, never the editor; the eraser and the right button erase', async () => {
    S().setParam('loadimage', 'maxPixels', 1000);
    render(
      <WithShortcuts>
        <Bound />
      </WithShortcuts>,
    );
    const { dialog, stage } = await openPainter();
    const count = () => shown().filter((v) => v > 0).length;
    const saveButton = () => screen.getByRole('button', { name: 'Save mask' }) as HTMLButtonElement;
    const start = count();
    // Nothing to save before a change.
    expect(saveButton().disabled).toBe(true);
    drag(stage, [
      [100, 100],
      [300, 100],
    ]);
    const one = count();
    expect(one).toBeGreaterThan(start);
    expect(saveButton().disabled).toBe(false);
    fireEvent.keyDown(dialog, { key: 'z', ctrlKey: true });
    expect(count()).toBe(start);
    expect(saveButton().disabled).toBe(true);
    fireEvent.keyDown(dialog, { key: 'z', ctrlKey: true });
    // Nothing left to undo in the painter, and the editor's history was not touched.
    expect(count()).toBe(start);
    expect(S().nodes[0].data.params.maxPixels).toBe(1000);
    fireEvent.keyDown(dialog, { key: 'Z', ctrlKey: true, shiftKey: true });
    expect(count()).toBe(one);

    // The right button erases the middle of the stroke, and so does Alt+drag and the Eraser.
    drag(
      stage,
      [
        [200, 80],
        [200, 120],
      ],
      2,
    );
    const afterRight = count();
    expect(afterRight).toBeLessThan(one);
    drag(
      stage,
      [
        [150, 80],
        [150, 120],
      ],
      0,
      { altKey: true },
    );
    expect(count()).toBeLessThan(afterRight);
    fireEvent.click(screen.getByRole('button', { name: 'Eraser' }));
    drag(stage, [
      [250, 80],
      [250, 120],
    ]);
    const erased = count();
    fireEvent.click(screen.getByRole('button', { name: 'Brush' }));
    drag(stage, [
      [250, 80],
      [250, 120],
    ]);
    expect(count()).toBeGreaterThan(erased);

    // Clear, Invert, each one step.
    fireEvent.click(screen.getByRole('button', { name: 'Clear' }));
    expect(count()).toBe(0);
    fireEvent.click(screen.getByRole('button', { name: 'Invert' }));
    expect(count()).toBe(W * H);
    fireEvent.click(screen.getByRole('button', { name: 'Undo' }));
    expect(count()).toBe(0);

    // [ and ] change the brush; Escape closes without saving and the node keeps its image.
    const size = () => (screen.getByLabelText('Brush size') as HTMLInputElement).value;
    const before = Number(size());
    fireEvent.keyDown(dialog, { key: ']' });
    expect(Number(size())).toBe(before + 1);
    fireEvent.keyDown(dialog, { key: '[' });
    fireEvent.keyDown(dialog, { key: '[' });
    expect(Number(size())).toBe(before - 1);
    fireEvent.keyDown(dialog, { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(imageParam()).toBe(ART);
    expect(encoded).toHaveLength(0);
    expect(maskCalls()).toHaveLength(0);
  });

  it('a refused save says why in the dialog and keeps the painting for another try', async () => {
    maskAnswer = () =>
      jsonResponse(
        { error: { kind: 'user', code: 'mask-size', message: 'the mask is 40×30 but the image is 41×30' } },
        400,
      );
    render(<Bound />);
    const { stage } = await openPainter();
    drag(stage, [
      [100, 200],
      [300, 200],
    ]);
    const painting = shown().slice();
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Save mask' })));
    await waitFor(() =>
      expect(screen.getByRole('alert').textContent).toBe('the mask is 40×30 but the image is 41×30'),
    );
    expect(screen.getByRole('dialog', { name: 'Mask painter' })).toBeTruthy();
    expect(shown()).toEqual(painting);
    expect(imageParam()).toBe(ART);

    maskAnswer = maskSaved;
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Save mask' })));
    await waitFor(() => expect(imageParam()).toBe(MASKED_ART));
    // The second PNG holds the same painting.
    const second = encoded[1];
    expect(Uint8Array.from({ length: W * H }, (_, i) => second[i * 4])).toEqual(painting);
  });

  it('in a node on the canvas: painting neither selects nor moves the node', async () => {
    renderCanvas({ changes: true });
    const { stage } = await openPainter();
    // The click on "Paint mask" selected the node, as any click in it does; start from none.
    act(() => S().selectNodes([]));
    expect(S().nodes[0].selected).toBeFalsy();
    drag(stage, [
      [100, 100],
      [300, 100],
    ]);
    fireEvent.click(stage);
    fireEvent.click(screen.getByRole('button', { name: 'Invert' }));
    expect(S().nodes[0].selected).toBeFalsy();
    expect(S().nodes[0].position).toEqual({ x: 0, y: 0 });
    expect(shown().filter((v) => v > 0).length).toBeGreaterThan(W);
  });
});
