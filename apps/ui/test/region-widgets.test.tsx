import { act, fireEvent, render, screen } from '@testing-library/react';
import type { ReactNode } from 'react';
import { beforeEach, describe, expect, it } from 'vitest';
import { ParamWidget } from '../src/components/widgets/param.widget';
import { paramFields } from '../src/graph/param-fields';
import { boxAt, boxFromDrag, boxStyle, pixelAt, pointsOf, toImage } from '../src/graph/region-geometry';
import { upstreamImageOf } from '../src/graph/upstream-image';
import { useShortcuts } from '../src/hooks/use-shortcuts';
import { useEditorStore } from '../src/store/editor.store';
import { useSpecsStore } from '../src/store/specs.store';
import { renderCanvas } from './flow-canvas';
import { resetStores } from './test-utils';

const ART = 'b'.repeat(64);
const S = () => useEditorStore.getState();
const params = (id: string) => S().nodes.find((n) => n.id === id)!.data.params;

/**
 * loadimage ──image──► boxestomask, and ──image──► sam: the image is 640×480
 * and drawn at 200×150 (scale 3.2) from (100, 50) on screen.
 */
const NATURAL = { width: 640, height: 480 };
const DRAWN = { left: 100, top: 50, width: 200, height: 150 };

function graph(load: { type?: string; image?: string } = {}, connected = true) {
  S().load(
    {
      version: 1,
      nodes: [
        {
          id: 'loadimage',
          type: load.type ?? 'LoadImage',
          params: load.type ? {} : { image: load.image ?? ART },
          position: { x: 0, y: 0 },
        },
        { id: 'boxestomask', type: 'BoxesToMask', params: { boxes: [] }, position: { x: 300, y: 0 } },
        { id: 'sam', type: 'SAM', params: { points: [] }, position: { x: 300, y: 400 } },
      ],
      edges: connected
        ? [
            { source: 'loadimage', sourceHandle: 'image', target: 'boxestomask', targetHandle: 'image' },
            { source: 'loadimage', sourceHandle: 'image', target: 'sam', targetHandle: 'image' },
          ]
        : [],
      inputs: {},
    },
    { name: 'regions', description: '' },
  );
}

/** A param widget bound to the editor store, as the node binds it. */
function Bound({ nodeId, param }: { nodeId: string; param: string }) {
  const node = useEditorStore((s) => s.nodes.find((n) => n.id === nodeId))!;
  const spec = useSpecsStore((s) => s.byType.get(node.data.type))!;
  const f = paramFields(spec).find((x) => x.name === param)!;
  return (
    <ParamWidget
      field={f}
      value={node.data.params[param]}
      onChange={(v) => S().setParam(nodeId, param, v)}
      idPrefix={`${nodeId}.${param}`}
      nodeId={nodeId}
    />
  );
}

function WithShortcuts({ children }: { children: ReactNode }) {
  useShortcuts();
  return <>{children}</>;
}

/** jsdom decodes no image and lays nothing out: give the image its natural size and its drawn box. */
function imageLoaded(frame: HTMLElement, natural = NATURAL, drawn = DRAWN) {
  const img = frame.querySelector('img')!;
  Object.defineProperty(img, 'naturalWidth', { value: natural.width, configurable: true });
  Object.defineProperty(img, 'naturalHeight', { value: natural.height, configurable: true });
  img.getBoundingClientRect = () =>
    ({
      ...drawn,
      x: drawn.left,
      y: drawn.top,
      right: drawn.left + drawn.width,
      bottom: drawn.top + drawn.height,
      toJSON: () => drawn,
    }) as DOMRect;
  fireEvent.load(img);
}

type XY = [number, number];

function drag(el: Element, from: XY, to: XY, mods: { shiftKey?: boolean } = {}) {
  const at = ([clientX, clientY]: XY) => ({ pointerId: 1, button: 0, clientX, clientY, ...mods });
  fireEvent.pointerDown(el, at(from));
  fireEvent.pointerMove(el, at([(from[0] + to[0]) / 2, (from[1] + to[1]) / 2]));
  fireEvent.pointerMove(el, at(to));
  fireEvent.pointerUp(el, at(to));
}

const click = (el: Element, at: XY, mods: { shiftKey?: boolean } = {}) => drag(el, at, at, mods);

beforeEach(() => {
  resetStores();
  graph();
});

describe('region geometry', () => {
  it('converts screen positions to natural pixels by the drawn/natural ratio (scale ≠ 1)', () => {
    expect(toImage(100, 50, DRAWN, NATURAL)).toEqual({ x: 0, y: 0 });
    expect(toImage(300, 200, DRAWN, NATURAL)).toEqual({ x: 640, y: 480 });
    expect(toImage(150, 75, DRAWN, NATURAL)).toEqual({ x: 160, y: 80 });
    // Another ratio per axis (a zoomed canvas gives a drawn box of any size).
    expect(toImage(20, 40, { left: 0, top: 0, width: 80, height: 160 }, { width: 40, height: 320 })).toEqual({
      x: 10,
      y: 80,
    });
  });

  it('a drag gives a box with whole-pixel edges, in either direction, clipped to the image', () => {
    expect(boxFromDrag({ x: 10.4, y: 20.6 }, { x: 50.5, y: 60.2 }, NATURAL)).toEqual({
      x1: 10,
      y1: 21,
      x2: 51,
      y2: 60,
    });
    expect(boxFromDrag({ x: 50, y: 60 }, { x: 10, y: 20 }, NATURAL)).toEqual({
      x1: 10,
      y1: 20,
      x2: 50,
      y2: 60,
    });
    expect(boxFromDrag({ x: -30, y: 400 }, { x: 100, y: 900 }, NATURAL)).toEqual({
      x1: 0,
      y1: 400,
      x2: 100,
      y2: 480,
    });
    // Empty once rounded, or wholly outside: no box.
    expect(boxFromDrag({ x: 10.1, y: 10 }, { x: 10.3, y: 90 }, NATURAL)).toBeUndefined();
    expect(boxFromDrag({ x: 700, y: 10 }, { x: 800, y: 90 }, NATURAL)).toBeUndefined();
    expect(boxStyle({ x1: 160, y1: 120, x2: 480, y2: 240 }, NATURAL)).toEqual({
      left: '25%',
      top: '25%',
      width: '50%',
      height: '25%',
    });
  });

  it('a click names a pixel inside the image, and picks the smallest box under it', () => {
    expect(pixelAt({ x: 12.9, y: 0.2 }, NATURAL)).toEqual({ x: 12, y: 0 });
    expect(pixelAt({ x: 640, y: -3 }, NATURAL)).toEqual({ x: 639, y: 0 });
    const boxes = [
      { x1: 0, y1: 0, x2: 100, y2: 100 },
      { x1: 20, y1: 20, x2: 40, y2: 40 },
    ];
    expect(boxAt(boxes, { x: 30, y: 30 })).toBe(1);
    expect(boxAt(boxes, { x: 50, y: 50 })).toBe(0);
    expect(boxAt(boxes, { x: 100, y: 50 })).toBeUndefined();
    expect(pointsOf([{ x: 1, y: 2 }])).toEqual([{ x: 1, y: 2, label: 1 }]);
    expect(pointsOf([{ x: 1, y: 2, label: 3 }])).toBeUndefined();
  });

  it('finds the upload of the Load Image feeding the image input, or says why there is none', () => {
    expect(upstreamImageOf(S().nodes, S().edges, 'boxestomask')).toEqual({
      kind: 'ok',
      artifactId: ART,
      sourceId: 'loadimage',
    });
    expect(upstreamImageOf(S().nodes, [], 'boxestomask')).toEqual({ kind: 'unconnected' });
  });
});

describe('the boxes widget', () => {
  it('shows the Load Image upload feeding the image input, with the boxes over it', () => {
    S().setParam('boxestomask', 'boxes', [{ x1: 160, y1: 120, x2: 480, y2: 240 }]);
    render(<Bound nodeId="boxestomask" param="boxes" />);
    const frame = screen.getByTestId('region-boxes');
    expect(frame.querySelector('img')!.getAttribute('src')).toBe(`/api/artifacts/${ART}`);
    // Drawing on the canvas must neither drag the node nor pan.
    expect(frame.className).toMatch(/\bnodrag\b/);
    expect(frame.className).toMatch(/\bnopan\b/);
    // Shift+click must reach the widget, not start React Flow's box selection.
    expect(frame.className).toMatch(/\bnokey\b/);
    expect(screen.queryAllByTestId('region-box')).toHaveLength(0);
    imageLoaded(frame);
    const box = screen.getByTestId('region-box');
    expect([box.style.left, box.style.top, box.style.width, box.style.height]).toEqual([
      '25%',
      '25%',
      '50%',
      '25%',
    ]);
    expect(screen.getByTestId('region-info').textContent).toBe('1 box on 640×480');
    // The JSON is not in the way, but one click away.
    expect(screen.queryByLabelText('Boxes')).toBeNull();
  });

  it('a drag on the image at scale 3.2 adds a box in natural pixels, through the store (dirty, undo)', () => {
    render(<Bound nodeId="boxestomask" param="boxes" />);
    const frame = screen.getByTestId('region-boxes');
    imageLoaded(frame);
    expect(S().dirty).toBe(false);
    // Screen (120, 60)–(170, 110) is (20, 10)–(70, 60) on the drawn image, ×3.2.
    drag(frame, [120, 60], [170, 110]);
    expect(params('boxestomask').boxes).toEqual([{ x1: 64, y1: 32, x2: 224, y2: 192 }]);
    expect(S().dirty).toBe(true);
    expect(screen.getAllByTestId('region-box')).toHaveLength(1);
    // The new box is selected and says its numbers.
    expect(screen.getByTestId('region-info').textContent).toBe('box 1: 64,32 → 224,192 (160×160)');
    // Dragged up-left, with fractions: edges rounded to whole pixels.
    drag(frame, [250.3, 180.2], [200.1, 150.1]);
    expect(params('boxestomask').boxes).toEqual([
      { x1: 64, y1: 32, x2: 224, y2: 192 },
      { x1: 320, y1: 320, x2: 481, y2: 417 },
    ]);
    act(() => S().undo());
    expect(params('boxestomask').boxes).toEqual([]);
    expect(S().dirty).toBe(false);
    expect(screen.queryAllByTestId('region-box')).toHaveLength(0);
    act(() => S().redo());
    expect(screen.getAllByTestId('region-box')).toHaveLength(2);
  });

  it('a drag leaving the image is clipped to it; a click is not a box', () => {
    render(<Bound nodeId="boxestomask" param="boxes" />);
    const frame = screen.getByTestId('region-boxes');
    imageLoaded(frame);
    drag(frame, [250, 120], [400, 10]);
    expect(params('boxestomask').boxes).toEqual([{ x1: 480, y1: 0, x2: 640, y2: 224 }]);
    // Moving less than a few screen pixels is a click: it selects, it does not draw.
    drag(frame, [110, 60], [112, 61]);
    click(frame, [120, 70]);
    expect(params('boxestomask').boxes).toHaveLength(1);
  });

  it('a click selects a box; Delete or its × removes it, and Delete does not delete the node', () => {
    S().setParam('boxestomask', 'boxes', [
      { x1: 0, y1: 0, x2: 320, y2: 240 },
      { x1: 64, y1: 64, x2: 128, y2: 128, label: 'kept' },
      { x1: 400, y1: 300, x2: 600, y2: 460 },
    ]);
    S().selectNodes(['boxestomask']);
    render(
      <WithShortcuts>
        <Bound nodeId="boxestomask" param="boxes" />
      </WithShortcuts>,
    );
    const frame = screen.getByTestId('region-boxes');
    imageLoaded(frame);
    // (130, 80) is (96, 96): inside boxes 1 and 2, the smaller one wins.
    click(frame, [130, 80]);
    expect(screen.getByTestId('region-info').textContent).toBe('box 2: 64,64 → 128,128 (64×64)');
    fireEvent.keyDown(frame, { key: 'Delete' });
    expect(params('boxestomask').boxes).toEqual([
      { x1: 0, y1: 0, x2: 320, y2: 240 },
      { x1: 400, y1: 300, x2: 600, y2: 460 },
    ]);
    // The node is still there: the key went to the boxes, not to the editor.
    expect(S().nodes.map((n) => n.id)).toContain('boxestomask');
    // Nothing selected: Backspace removes nothing (and still not the node).
    fireEvent.keyDown(frame, { key: 'Backspace' });
    expect(params('boxestomask').boxes).toHaveLength(2);
    expect(S().nodes.map((n) => n.id)).toContain('boxestomask');
    // The × of the selected box.
    click(frame, [250, 180]);
    expect(screen.getByTestId('region-info').textContent).toBe('box 2: 400,300 → 600,460 (200×160)');
    fireEvent.click(screen.getByRole('button', { name: 'Remove box 2' }));
    expect(params('boxestomask').boxes).toEqual([{ x1: 0, y1: 0, x2: 320, y2: 240 }]);
    // The box param keeps entries as typed (extra keys) when another is removed.
    act(() =>
      S().setParam('boxestomask', 'boxes', [
        { x1: 0, y1: 0, x2: 10, y2: 10, label: 'a' },
        { x1: 20, y1: 20, x2: 30, y2: 30 },
      ]),
    );
    click(frame, [106.5, 56.5]);
    fireEvent.keyDown(frame, { key: 'Backspace' });
    expect(params('boxestomask').boxes).toEqual([{ x1: 0, y1: 0, x2: 10, y2: 10, label: 'a' }]);
  });

  it('keeps the JSON editable behind the { } toggle, for exact numbers', () => {
    render(<Bound nodeId="boxestomask" param="boxes" />);
    imageLoaded(screen.getByTestId('region-boxes'));
    const toggle = screen.getByRole('button', { name: 'Edit boxes as JSON' });
    fireEvent.click(toggle);
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    const area = screen.getByLabelText('Boxes');
    expect(area.tagName).toBe('TEXTAREA');
    expect(area.id).toBe('boxestomask.boxes');
    const text = '[{"x1":1,"y1":2,"x2":300,"y2":400}]';
    fireEvent.change(area, { target: { value: text } });
    fireEvent.blur(area, { target: { value: text } });
    expect(params('boxestomask').boxes).toEqual([{ x1: 1, y1: 2, x2: 300, y2: 400 }]);
    expect(screen.getAllByTestId('region-box')).toHaveLength(1);
    // Drawing shows in the JSON at once.
    drag(screen.getByTestId('region-boxes'), [120, 60], [170, 110]);
    expect((screen.getByLabelText('Boxes') as HTMLTextAreaElement).value).toBe(
      '[{"x1":1,"y1":2,"x2":300,"y2":400},{"x1":64,"y1":32,"x2":224,"y2":192}]',
    );
    fireEvent.click(screen.getByRole('button', { name: 'Clear' }));
    expect(params('boxestomask').boxes).toEqual([]);
  });

  it('with no image to show: a short hint and the JSON editor', () => {
    graph({}, false);
    const view = render(<Bound nodeId="boxestomask" param="boxes" />);
    expect(screen.getByTestId('region-hint').textContent).toMatch(/Connect a Load Image to the image input/);
    expect(screen.queryByTestId('region-boxes')).toBeNull();
    const area = screen.getByLabelText('Boxes');
    fireEvent.change(area, { target: { value: '[{"x1":1,"y1":2,"x2":3,"y2":4}]' } });
    fireEvent.blur(area, { target: { value: '[{"x1":1,"y1":2,"x2":3,"y2":4}]' } });
    expect(params('boxestomask').boxes).toEqual([{ x1: 1, y1: 2, x2: 3, y2: 4 }]);
    view.unmount();

    // A Load Image without an upload (a path, or nothing yet).
    graph({ image: '/data/cat.png' });
    const noUpload = render(<Bound nodeId="boxestomask" param="boxes" />);
    expect(screen.getByTestId('region-hint').textContent).toBe(
      'Upload an image in loadimage to draw boxes on it.',
    );
    expect(screen.getByLabelText('Boxes').tagName).toBe('TEXTAREA');
    noUpload.unmount();

    // Fed by another node: its image exists only during a run.
    graph({ type: 'ImageResize' });
    const other = render(<Bound nodeId="boxestomask" param="boxes" />);
    expect(screen.getByTestId('region-hint').textContent).toMatch(/comes from loadimage \(ImageResize\)/);
    other.unmount();

    // Boxes the drawing cannot show: JSON only, nothing thrown away.
    graph();
    S().setParam('boxestomask', 'boxes', { x1: 1 });
    render(<Bound nodeId="boxestomask" param="boxes" />);
    expect(screen.getByTestId('region-hint').textContent).toMatch(/not a list of \{x1, y1, x2, y2\}/);
    expect((screen.getByLabelText('Boxes') as HTMLTextAreaElement).value).toBe('{"x1":1}');
  });

  it('in a node on the canvas: drawing adds a box and does not move the node', () => {
    renderCanvas({ changes: true });
    const node = document.querySelector('.mf-node[data-node-id="boxestomask"]')!;
    const frame = node.querySelector<HTMLElement>('[data-testid="region-boxes"]')!;
    expect(frame.closest('.react-flow__node')).not.toBeNull();
    imageLoaded(frame);
    drag(frame, [120, 60], [170, 110]);
    expect(params('boxestomask').boxes).toEqual([{ x1: 64, y1: 32, x2: 224, y2: 192 }]);
    expect(S().nodes.find((n) => n.id === 'boxestomask')!.position).toEqual({ x: 300, y: 0 });
  });
});

describe('the points widget', () => {
  it('click adds a positive point, Shift+click a negative one, at the clicked pixel', () => {
    render(<Bound nodeId="sam" param="points" />);
    const frame = screen.getByTestId('region-points');
    expect(frame.querySelector('img')!.getAttribute('src')).toBe(`/api/artifacts/${ART}`);
    imageLoaded(frame);
    // (150, 75) → (160, 80); (299.9, 199.9) → (639.68, 479.68) → pixel (639, 479).
    click(frame, [150, 75]);
    click(frame, [299.9, 199.9], { shiftKey: true });
    expect(params('sam').points).toEqual([
      { x: 160, y: 80, label: 1 },
      { x: 639, y: 479, label: 0 },
    ]);
    expect(S().dirty).toBe(true);
    const dots = screen.getAllByTestId('region-point');
    expect(dots.map((d) => d.className)).toEqual([
      'mf-region-point mf-region-point-pos',
      'mf-region-point mf-region-point-neg',
    ]);
    // Drawn on the centre of its pixel, in % of the image.
    expect(dots[0].style.left).toBe(`${(160.5 / 640) * 100}%`);
    expect(screen.getByTestId('region-info').textContent).toBe('2 points (1 +, 1 −)');
    // A drag is not a click: no point.
    drag(frame, [120, 60], [170, 110]);
    expect(params('sam').points).toHaveLength(2);
  });

  it('a click on a point removes it; Delete removes the last one; the JSON stays editable', () => {
    S().setParam('sam', 'points', [
      { x: 10, y: 10, label: 1 },
      { x: 20, y: 20 },
      { x: 30, y: 30, label: 0 },
    ]);
    S().selectNodes(['sam']);
    render(
      <WithShortcuts>
        <Bound nodeId="sam" param="points" />
      </WithShortcuts>,
    );
    const frame = screen.getByTestId('region-points');
    imageLoaded(frame);
    // The point without a label is positive (the schema's default), and kept as it was.
    const second = screen.getByRole('button', { name: 'Remove positive point 2 at 20, 20' });
    fireEvent.pointerDown(second, { pointerId: 1, button: 0, clientX: 103, clientY: 53 });
    fireEvent.click(second);
    expect(params('sam').points).toEqual([
      { x: 10, y: 10, label: 1 },
      { x: 30, y: 30, label: 0 },
    ]);
    fireEvent.keyDown(frame, { key: 'Delete' });
    expect(params('sam').points).toEqual([{ x: 10, y: 10, label: 1 }]);
    expect(S().nodes.map((n) => n.id)).toContain('sam');
    fireEvent.click(screen.getByRole('button', { name: 'Edit points as JSON' }));
    expect((screen.getByLabelText('Points') as HTMLTextAreaElement).value).toBe(
      '[{"x":10,"y":10,"label":1}]',
    );
  });

  it('with no image to show: a short hint and the JSON editor', () => {
    graph({}, false);
    render(<Bound nodeId="sam" param="points" />);
    expect(screen.getByTestId('region-hint').textContent).toMatch(/to draw points on the picture/);
    expect(screen.getByLabelText('Points').tagName).toBe('TEXTAREA');
  });
});
