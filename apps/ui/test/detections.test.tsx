import { act, fireEvent, screen, within } from '@testing-library/react';
import type { NodeSpec } from '@maskflow/workflow';
import { beforeEach, describe, expect, it } from 'vitest';
import { DETECTIONS_SHOWN, detectionsOf, labelColors } from '../src/components/detections.view';
import type { Detection } from '../src/components/detections.view';
import { nodeSpecListSchema } from '../src/api/schemas';
import { currentWorkflow, useEditorStore } from '../src/store/editor.store';
import { useModelsStore } from '../src/store/models.store';
import { runEventBatcher, useRunStore } from '../src/store/run.store';
import { useSpecsStore } from '../src/store/specs.store';
import { useUiStore } from '../src/store/ui.store';
import dino from './fixtures/grounding-dino.spec.json';
import { emptyRun } from '../src/store/run-events';
import { renderCanvas } from './flow-canvas';
import { ev, fixtureSpecs, resetStores } from './test-utils';

const RUN = '44444444-4444-4444-8444-444444444444';
const ART = 'd'.repeat(64);

const boxesValue = (width: number, height: number, boxes: Detection[]) => ({
  kind: 'boxes',
  width,
  height,
  boxes,
});

/** Two dogs and a mug, found in a 320×240 image (the graph may have resized the 640×480 upload). */
const FOUND: Detection[] = [
  { x1: 32, y1: 48, x2: 160, y2: 120, score: 0.6234, label: 'dog' },
  { x1: 160, y1: 120, x2: 320, y2: 240, score: 0.4, label: 'red mug' },
  { x1: 0, y1: 0, x2: 64, y2: 24, score: 0.351, label: 'dog' },
];

/** load ──image──► detect (GroundingDINO), or detect fed by something else / nothing. */
function graph(source: 'upload' | 'no-upload' | 'resize' | 'none' = 'upload') {
  const nodes = [
    {
      id: 'load',
      type: 'LoadImage',
      params: source === 'no-upload' ? {} : { image: ART },
      position: { x: 0, y: 0 },
    },
    { id: 'resize', type: 'ImageResize', params: {}, position: { x: 0, y: 300 } },
    { id: 'detect', type: 'GroundingDINO', params: { prompt: 'dog . red mug' }, position: { x: 300, y: 0 } },
  ];
  const edges =
    source === 'none'
      ? []
      : source === 'resize'
        ? [
            { source: 'load', sourceHandle: 'image', target: 'resize', targetHandle: 'image' },
            { source: 'resize', sourceHandle: 'image', target: 'detect', targetHandle: 'image' },
          ]
        : [{ source: 'load', sourceHandle: 'image', target: 'detect', targetHandle: 'image' }];
  useEditorStore
    .getState()
    .load({ version: 1, nodes, edges, inputs: {} }, { name: 'detect', description: '' });
}

/** Mounts the canvas and finishes `detect` with `value` as its boxes output (and `warnings`). */
function ran(value: unknown, warnings?: string[]) {
  renderCanvas();
  act(() => {
    runEventBatcher.push(
      ev(RUN, 1, 'run.started', { nodes: ['load', 'detect'] }),
      ev(
        RUN,
        2,
        'node.finished',
        { ms: 40, outputs: { boxes: value }, ...(warnings ? { warnings } : {}) },
        'detect',
      ),
    );
    runEventBatcher.flushNow();
  });
}

const node = () => document.querySelector('.mf-node[data-node-id="detect"]') as HTMLElement;
const outputs = () => within(node().querySelector('.mf-node-outputs') as HTMLElement);

/** jsdom decodes no image: give the picture its natural size. */
function pictureLoaded(natural = { width: 640, height: 480 }) {
  const img = screen.getByTestId('detections-picture').querySelector('img')!;
  Object.defineProperty(img, 'naturalWidth', { value: natural.width, configurable: true });
  Object.defineProperty(img, 'naturalHeight', { value: natural.height, configurable: true });
  fireEvent.load(img);
}

const drawn = () => outputs().queryAllByTestId('detection-box');
const rows = () => outputs().queryAllByTestId('detection-row');
const place = (el: HTMLElement) => [el.style.left, el.style.top, el.style.width, el.style.height];

beforeEach(() => {
  resetStores();
  useSpecsStore
    .getState()
    .setSpecs([...fixtureSpecs(), ...nodeSpecListSchema.parse([dino as NodeSpec]).specs]);
  // The model widget would ask the server for the manifest: it shows a text field without one.
  useModelsStore.setState({ status: 'error', models: [] });
  useRunStore.setState({ currentRunId: RUN });
  useUiStore.setState({ issues: [] });
  graph();
});

describe('detections under a node', () => {
  it('draws the boxes over the upload, scaled from the boxes’ image size, tagged with label and score', () => {
    ran(boxesValue(320, 240, FOUND));
    const frame = screen.getByTestId('detections-picture');
    expect(frame.querySelector('img')!.getAttribute('src')).toBe(`/api/artifacts/${ART}`);
    // Nothing is drawn until the picture has loaded.
    expect(drawn()).toHaveLength(0);
    pictureLoaded();
    const boxes = drawn();
    expect(boxes).toHaveLength(3);
    // In % of the 320×240 the boxes were found in, so they land right on the 640×480 picture at any drawn size.
    expect(place(boxes[0])).toEqual(['10%', '20%', '40%', '30%']);
    expect(place(boxes[1])).toEqual(['50%', '50%', '50%', '50%']);
    expect(place(boxes[2])).toEqual(['0%', '0%', '20%', '10%']);
    expect(boxes.map((b) => within(b).getByTestId('detection-tag').textContent)).toEqual([
      'dog 0.62',
      'red mug 0.40',
      'dog 0.35',
    ]);
    // One colour per label: both dogs alike, the mug another.
    const color = (b: HTMLElement) => b.style.borderColor;
    expect(color(boxes[0])).toBeTruthy();
    expect(color(boxes[2])).toBe(color(boxes[0]));
    expect(color(boxes[1])).not.toBe(color(boxes[0]));
    // The tag of a box at the top edge is inside it (above it would be cut off).
    expect(within(boxes[2]).getByTestId('detection-tag').className).toContain('mf-det-tag-inside');
    expect(within(boxes[0]).getByTestId('detection-tag').className).not.toContain('mf-det-tag-inside');
    // Same aspect ratio: no warning that the picture is another image.
    expect(screen.queryByTestId('detections-mismatch')).toBeNull();
    // Read-only: not a drawing surface (no focus, the node drags from it).
    expect(frame.className).not.toContain('nodrag');
    expect(frame.getAttribute('tabindex')).toBeNull();
    expect(outputs().getByText(/3 boxes on 320×240/)).toBeTruthy();
  });

  it('lists every box: label, score with 2 decimals, x1,y1–x2,y2', () => {
    ran(
      boxesValue(320, 240, [
        ...FOUND,
        { x1: 10.4, y1: 20.6, x2: 99.5, y2: 100.2, score: 0.999, label: 'dog' },
      ]),
    );
    expect(rows().map((r) => r.textContent)).toEqual([
      'dog0.6232,48–160,120',
      'red mug0.40160,120–320,240',
      'dog0.350,0–64,24',
      'dog1.0010,21–100,100',
    ]);
    const cells = (r: HTMLElement) =>
      [...r.querySelectorAll('.mf-det-label, .mf-det-score, .mf-det-coords')].map((c) => c.textContent);
    expect(cells(rows()[1])).toEqual(['red mug', '0.40', '160,120–320,240']);
    // The swatch has the label's colour, as on the picture.
    const swatch = (r: HTMLElement) => (r.querySelector('.mf-det-swatch') as HTMLElement).style.background;
    expect(swatch(rows()[0])).toBe(swatch(rows()[2]));
    expect(swatch(rows()[0])).not.toBe(swatch(rows()[1]));
  });

  it('hovering a row highlights its box', () => {
    ran(boxesValue(320, 240, FOUND));
    pictureLoaded();
    fireEvent.mouseEnter(rows()[1]);
    expect(drawn().map((b) => b.className.includes('mf-det-hot'))).toEqual([false, true, false]);
    fireEvent.mouseLeave(outputs().getByTestId('detections-list'));
    expect(drawn().some((b) => b.className.includes('mf-det-hot'))).toBe(false);
  });

  it('says "nothing found" for an empty result, and keeps the node’s warning', () => {
    const warning = 'Nothing scored above the box threshold 0.35 for "zebra": lower it or change the prompt.';
    ran(boxesValue(320, 240, []), [warning]);
    pictureLoaded();
    expect(outputs().getByTestId('detections-empty').textContent).toBe('nothing found');
    expect(outputs().getByText(/0 boxes on 320×240/)).toBeTruthy();
    expect(outputs().queryByTestId('detections-list')).toBeNull();
    expect(drawn()).toHaveLength(0);
    expect(node().querySelector('.mf-node-warning')!.textContent).toBe(warning);
  });

  it.each([
    ['is not connected', 'none'],
    ['comes from another node and the run sent no picture of it', 'resize'],
    ['is a Load Image without an upload', 'no-upload'],
  ] as const)('only lists the boxes when the image %s', (_, source) => {
    graph(source);
    ran(boxesValue(320, 240, FOUND));
    expect(screen.queryByTestId('detections-picture')).toBeNull();
    expect(node().querySelector('img')).toBeNull();
    expect(rows()).toHaveLength(3);
    expect(rows()[0].textContent).toContain('dog');
  });

  /*
   *   load (640×480 upload) ──► resize (320×240) ──► detect
   *   the run's resize.image preview is what the detector saw: the boxes go on it
   */
  it('draws the boxes over the picture the node was fed in the run, through a resize', () => {
    graph('resize');
    const PREVIEW = 'data:image/jpeg;base64,UkVTSVpFRA==';
    renderCanvas();
    act(() => {
      useRunStore.setState((st) => ({
        runs: { [RUN]: { ...emptyRun(RUN, 'running'), graph: currentWorkflow() } },
        currentRunId: st.currentRunId,
      }));
      runEventBatcher.push(
        ev(RUN, 1, 'run.started', { nodes: ['load', 'resize', 'detect'] }),
        ev(
          RUN,
          2,
          'node.cached',
          {
            key: 'k',
            outputs: {
              image: {
                kind: 'image',
                width: 320,
                height: 240,
                channels: 3,
                preview: { url: PREVIEW, mime: 'image/jpeg', width: 256, height: 192 },
              },
            },
          },
          'resize',
        ),
        ev(RUN, 3, 'node.finished', { ms: 40, outputs: { boxes: boxesValue(320, 240, FOUND) } }, 'detect'),
      );
      runEventBatcher.flushNow();
    });
    const frame = screen.getByTestId('detections-picture');
    expect(frame.querySelector('img')!.getAttribute('src')).toBe(PREVIEW);
    expect(frame.querySelector('img')!.getAttribute('alt')).toBe('resize image');
    pictureLoaded({ width: 256, height: 192 });
    expect(drawn().map(place)[0]).toEqual(['10%', '20%', '40%', '30%']);
    expect(screen.queryByTestId('detections-mismatch')).toBeNull();
  });

  it('shows the first boxes of many, "+k more" shows them all in a scrolling list', () => {
    const many = Array.from({ length: 100 }, (_, i) => ({
      x1: i,
      y1: i,
      x2: i + 50,
      y2: i + 40,
      score: 0.9 - i * 0.005,
      label: `thing ${i % 12}`,
    }));
    ran(boxesValue(320, 240, many));
    pictureLoaded();
    expect(rows()).toHaveLength(DETECTIONS_SHOWN);
    expect(drawn()).toHaveLength(DETECTIONS_SHOWN);
    expect(outputs().getByText(/100 boxes on 320×240/)).toBeTruthy();
    const more = outputs().getByText(`+${100 - DETECTIONS_SHOWN} more`);
    expect(more.tagName).toBe('BUTTON');
    expect(more.getAttribute('aria-expanded')).toBe('false');
    fireEvent.click(more);
    expect(rows()).toHaveLength(100);
    expect(drawn()).toHaveLength(100);
    const list = outputs().getByTestId('detections-list');
    // Bounded and scrolling (the wheel scrolls it instead of zooming the canvas).
    expect(list.className).toContain('mf-det-list-all');
    expect(list.className).toContain('nowheel');
    fireEvent.click(outputs().getByText(`show the first ${DETECTIONS_SHOWN}`));
    expect(rows()).toHaveLength(DETECTIONS_SHOWN);
  });

  it('few boxes have no "more" button', () => {
    ran(boxesValue(320, 240, FOUND.slice(0, 1)));
    expect(outputs().queryByText(/more/)).toBeNull();
    expect(outputs().getByText(/1 box on 320×240/)).toBeTruthy();
  });

  it('says when the picture is not the image the boxes were found in (another aspect ratio)', () => {
    ran(boxesValue(320, 240, FOUND));
    pictureLoaded({ width: 500, height: 500 });
    expect(screen.getByTestId('detections-mismatch').textContent).toContain('500×500, not the 320×240 image');
    // Drawn anyway, in % of the boxes' image.
    expect(place(drawn()[1])).toEqual(['50%', '50%', '50%', '50%']);
  });

  it('shows a malformed boxes value and other values as text, as before', () => {
    ran({ kind: 'boxes', width: 320, height: 240, boxes: [{ x1: 'a' }] });
    expect(screen.queryByTestId('detections')).toBeNull();
    expect(node().querySelector('.mf-output-value')!.textContent).toBe('boxes boxes 320×240');
  });
});

describe('detectionsOf / labelColors', () => {
  it('accepts BOXES values only', () => {
    expect(detectionsOf(boxesValue(4, 3, []))).toEqual({ kind: 'boxes', width: 4, height: 3, boxes: [] });
    expect(detectionsOf({ kind: 'mask', width: 4, height: 3 })).toBeUndefined();
    expect(detectionsOf({ kind: 'boxes', width: 0, height: 3, boxes: [] })).toBeUndefined();
    expect(detectionsOf({ kind: 'boxes', width: 4, height: 3 })).toBeUndefined();
    expect(detectionsOf(null)).toBeUndefined();
  });

  it('gives distinct colours to distinct labels, even past the palette', () => {
    const colors = labelColors(Array.from({ length: 30 }, (_, i) => ({ ...FOUND[0], label: `l${i % 20}` })));
    expect(colors.size).toBe(20);
    expect(new Set(colors.values()).size).toBe(20);
  });
});
