import { beforeEach, describe, expect, it } from 'vitest';
import { currentWorkflow, useEditorStore } from '../src/store/editor.store';
import { resetStores } from './test-utils';

const S = () => useEditorStore.getState();

/*
 *   load ──image──► fill ◄──mask── dilate ◄──mask── box
 *     └────image──────────────────────────────────►─┘
 */
function classical(): void {
  const add = (type: string, x: number) => S().addNode(type, { x, y: 0 })!;
  const load = add('LoadImage', 0);
  const box = add('BoxesToMask', 300);
  const dilate = add('MaskDilate', 600);
  const fill = add('MaskFill', 900);
  expect([load, box, dilate, fill]).toEqual(['loadimage', 'boxestomask', 'maskdilate', 'maskfill']);
  for (const [source, sourceHandle, target, targetHandle] of [
    [load, 'image', box, 'image'],
    [box, 'mask', dilate, 'mask'],
    [load, 'image', fill, 'image'],
    [dilate, 'mask', fill, 'mask'],
  ]) {
    expect(S().connect({ source, sourceHandle, target, targetHandle }).ok).toBe(true);
  }
}

describe('editor store', () => {
  beforeEach(resetStores);

  it('adds nodes with their schema defaults and unique ids', () => {
    S().addNode('MaskFill', { x: 0, y: 0 });
    S().addNode('MaskFill', { x: 10, y: 0 });
    expect(S().nodes.map((n) => n.id)).toEqual(['maskfill', 'maskfill-2']);
    expect(S().nodes[0].data.params).toEqual({ method: 'telea', radius: 5, color: '#808080' });
    expect(S().nodes[1].selected).toBe(true);
    expect(S().nodes[0].selected).toBe(false);
  });

  it('refuses a connection of the wrong type and one that closes a cycle, with the reason', () => {
    classical();
    const wrong = S().connect({
      source: 'loadimage',
      sourceHandle: 'image',
      target: 'maskdilate',
      targetHandle: 'mask',
    });
    expect(wrong).toMatchObject({ ok: false, reason: 'type' });
    if (!wrong.ok) expect(wrong.message).toBe('IMAGE output "image" cannot feed MASK input "mask"');
    S().addNode('MaskDilate', { x: 0, y: 300 });
    // maskdilate → maskdilate-2 → maskdilate would be a loop.
    expect(
      S().connect({
        source: 'maskdilate',
        sourceHandle: 'mask',
        target: 'maskdilate-2',
        targetHandle: 'mask',
      }).ok,
    ).toBe(true);
    expect(
      S().connect({
        source: 'maskdilate-2',
        sourceHandle: 'mask',
        target: 'maskdilate',
        targetHandle: 'mask',
      }),
    ).toMatchObject({ ok: false, reason: 'cycle' });
    expect(
      S().connect({ source: 'maskdilate', sourceHandle: 'mask', target: 'maskdilate', targetHandle: 'mask' }),
    ).toMatchObject({ ok: false, reason: 'cycle' });
    expect(S().edges).toHaveLength(5);
  });

  it('replaces the edge into an input that is already fed (one edge per input)', () => {
    classical();
    S().addNode('MaskDilate', { x: 0, y: 300 });
    S().connect({
      source: 'boxestomask',
      sourceHandle: 'mask',
      target: 'maskdilate-2',
      targetHandle: 'mask',
    });
    const verdict = S().connect({
      source: 'maskdilate-2',
      sourceHandle: 'mask',
      target: 'maskfill',
      targetHandle: 'mask',
    });
    expect(verdict).toMatchObject({ ok: true, replaces: { source: 'maskdilate', target: 'maskfill' } });
    expect(
      S()
        .edges.filter((e) => e.target === 'maskfill' && e.targetHandle === 'mask')
        .map((e) => e.source),
    ).toEqual(['maskdilate-2']);
  });

  it('undoes and redoes, and undoing back to the saved graph makes it clean again', () => {
    classical();
    S().markSaved({ id: 'w1', name: 'Untitled workflow', description: '', revision: 1 });
    expect(S().dirty).toBe(false);
    S().setParam('maskfill', 'radius', 9);
    expect(S().dirty).toBe(true);
    S().undo();
    expect(S().nodes.find((n) => n.id === 'maskfill')!.data.params.radius).toBe(5);
    expect(S().dirty).toBe(false);
    S().redo();
    expect(S().nodes.find((n) => n.id === 'maskfill')!.data.params.radius).toBe(9);
    expect(S().dirty).toBe(true);
  });

  it('coalesces quick edits of one field into one undo step (typing a prompt)', () => {
    S().addNode('FakeInpaint', { x: 0, y: 0 });
    const steps = S().past.length;
    for (const text of ['a', 'a f', 'a fo', 'a fox']) S().setParam('fakeinpaint', 'prompt', text);
    expect(S().past.length).toBe(steps + 1);
    S().setParam('fakeinpaint', 'steps', 30);
    expect(S().past.length).toBe(steps + 2);
    S().undo();
    S().undo();
    expect(S().nodes[0].data.params.prompt).toBe('');
  });

  it('copies and pastes a selection with new ids, keeping the edges between the copied nodes', () => {
    classical();
    S().selectNodes(['boxestomask', 'maskdilate']);
    const frag = S().copySelection();
    expect(frag?.nodes.map((n) => n.id)).toEqual(['boxestomask', 'maskdilate']);
    expect(frag?.edges).toEqual([
      { source: 'boxestomask', sourceHandle: 'mask', target: 'maskdilate', targetHandle: 'mask' },
    ]);
    expect(S().paste()).toBe(2);
    const ids = S().nodes.map((n) => n.id);
    expect(ids).toContain('boxestomask-2');
    expect(ids).toContain('maskdilate-2');
    expect(S().edges.some((e) => e.source === 'boxestomask-2' && e.target === 'maskdilate-2')).toBe(true);
    expect(
      S()
        .nodes.filter((n) => n.selected)
        .map((n) => n.id),
    ).toEqual(['boxestomask-2', 'maskdilate-2']);
    // Params are copies, not shared objects.
    S().setParam('boxestomask-2', 'boxes', [{ x1: 0, y1: 0, x2: 1, y2: 1 }]);
    expect(S().nodes.find((n) => n.id === 'boxestomask')!.data.params.boxes).toEqual([]);
  });

  it('deletes the selection with its edges and the inputs exposed on it', () => {
    classical();
    expect(S().exposeParam('maskdilate', 'radius')).toBe('radius');
    expect(S().exposeParam('maskfill', 'radius')).toBe('radius-2');
    S().selectNodes(['maskdilate']);
    S().deleteSelection();
    expect(S().nodes.map((n) => n.id)).toEqual(['loadimage', 'boxestomask', 'maskfill']);
    expect(S().edges.map((e) => `${e.source}>${e.target}`)).toEqual([
      'loadimage>boxestomask',
      'loadimage>maskfill',
    ]);
    expect(Object.keys(S().inputs)).toEqual(['radius-2']);
    S().undo();
    expect(S().nodes).toHaveLength(4);
    expect(Object.keys(S().inputs)).toEqual(['radius', 'radius-2']);
  });

  it('renames exposed inputs only to free, valid names', () => {
    classical();
    S().exposeParam('maskdilate', 'radius');
    S().exposeParam('maskfill', 'method');
    expect(S().renameInput('radius', 'grow')).toBe(true);
    expect(S().renameInput('grow', 'method')).toBe(false);
    expect(S().renameInput('grow', 'has space')).toBe(false);
    S().setInputLabel('grow', 'Grow mask (px)');
    expect(currentWorkflow().inputs).toEqual({
      grow: { node: 'maskdilate', param: 'radius', label: 'Grow mask (px)' },
      method: { node: 'maskfill', param: 'method' },
    });
  });

  it('serializes to the one workflow format and loads it back', () => {
    classical();
    S().setParam('maskdilate', 'radius', 12);
    const wf = currentWorkflow();
    expect(wf).toMatchObject({ version: 1, name: 'Untitled workflow' });
    expect(wf.nodes.find((n) => n.id === 'maskdilate')).toMatchObject({
      type: 'MaskDilate',
      typeVersion: 1,
      params: { radius: 12 },
    });
    expect(wf.edges).toContainEqual({
      source: 'maskdilate',
      sourceHandle: 'mask',
      target: 'maskfill',
      targetHandle: 'mask',
    });
    S().load(wf, { id: 'x', name: 'Loaded', description: '', revision: 3 });
    expect(S().dirty).toBe(false);
    expect(S().edges).toHaveLength(4);
    expect(S().edges[0].style?.stroke).toBe('#64b5f6');
  });

  it('keeps nodes of unknown types as they are', () => {
    S().load(
      {
        version: 1,
        nodes: [{ id: 'dino', type: 'GroundingDINO', params: { prompt: 'dog' }, position: { x: 0, y: 0 } }],
        edges: [],
        inputs: {},
      },
      { name: 'Future', description: '' },
    );
    expect(S().nodes[0].type).toBe('unknown');
    expect(currentWorkflow().nodes[0]).toMatchObject({
      id: 'dino',
      type: 'GroundingDINO',
      params: { prompt: 'dog' },
    });
  });
});
