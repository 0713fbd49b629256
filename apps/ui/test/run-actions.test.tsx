import { beforeEach, describe, expect, it } from 'vitest';
import { runGraph, startRunChannel } from '../src/actions/run.actions';
import { useEditorStore } from '../src/store/editor.store';
import { useRunStore } from '../src/store/run.store';
import { MAX_RUN_COUNT, useUiStore } from '../src/store/ui.store';
import { FakeSocket, resetStores } from './test-utils';

const ART = 'a'.repeat(64);
const runId = (k: number) => `3333333${k}-3333-4333-8333-333333333333`;

/** A server that acknowledges each submit with a new run id. */
function server() {
  const socket = new FakeSocket();
  let k = 0;
  socket.answer = (event) =>
    event === 'run.submit'
      ? { runId: runId(++k), status: 'queued' }
      : { ok: true, runId: runId(k), status: 'queued', lastSeq: 0 };
  startRunChannel(socket);
  socket.connect();
  return socket;
}

beforeEach(() => {
  resetStores();
  useUiStore.setState({ runCount: 1, toasts: [] });
  //   load ──image──► save
  useEditorStore.getState().load(
    {
      version: 1,
      nodes: [
        { id: 'load', type: 'LoadImage', params: { image: ART }, position: { x: 0, y: 0 } },
        { id: 'save', type: 'SaveImage', params: {}, position: { x: 300, y: 0 } },
      ],
      edges: [{ source: 'load', sourceHandle: 'image', target: 'save', targetHandle: 'image' }],
      inputs: {},
    },
    { name: 'variants', description: '' },
  );
});

describe('runs per click', () => {
  it('queues that many runs of the same graph; the first shows on the canvas, all are kept with their graph', async () => {
    const socket = server();
    useUiStore.getState().setRunCount(3);
    const first = await runGraph();
    const submits = socket.sent.filter((m) => m.event === 'run.submit');
    expect(submits).toHaveLength(3);
    expect(new Set(submits.map((m) => JSON.stringify(m.payload))).size).toBe(1);
    expect(first).toBe(runId(1));
    const { runs, currentRunId } = useRunStore.getState();
    expect(currentRunId).toBe(runId(1));
    for (const k of [1, 2, 3])
      expect(runs[runId(k)]?.graph?.nodes.map((n) => n.id)).toEqual(['load', 'save']);
    expect(useUiStore.getState().toasts.at(-1)?.text).toBe(
      'Queued 3 runs; their images gather in the Gallery.',
    );
  });

  it('one by default, and one run per click without a toast', async () => {
    const socket = server();
    expect(await runGraph()).toBe(runId(1));
    expect(socket.sent.filter((m) => m.event === 'run.submit')).toHaveLength(1);
    expect(useUiStore.getState().toasts).toEqual([]);
  });

  it(`keeps the count between 1 and ${MAX_RUN_COUNT}`, () => {
    const set = (n: number) => {
      useUiStore.getState().setRunCount(n);
      return useUiStore.getState().runCount;
    };
    expect([set(0), set(-3), set(Number.NaN), set(2.6), set(40)]).toEqual([1, 1, 1, 3, MAX_RUN_COUNT]);
  });

  it('sends nothing for an invalid graph, however many runs were asked for', async () => {
    const socket = server();
    useUiStore.getState().setRunCount(4);
    useEditorStore.getState().setParam('load', 'image', '');
    expect(await runGraph()).toBeUndefined();
    expect(socket.sent.filter((m) => m.event === 'run.submit')).toEqual([]);
    expect(useUiStore.getState().issues.length).toBeGreaterThan(0);
  });
});
