import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { RunEvent, WorkflowInput } from '@maskflow/workflow';
import { createTestRegistry, executions, resetExecutions } from '../../../test/helpers/test-nodes';
import { DirectoryArtifactStore } from './artifacts/directory-artifact-store';
import { Engine } from './engine';
import { OutputCache } from './output-cache';

const artifacts = new DirectoryArtifactStore(process.cwd(), mkdtempSync(path.join(tmpdir(), 'engine-')));

function node(id: string, type: string, params: Record<string, unknown> = {}, typeVersion?: number) {
  return { id, type, params, ...(typeVersion ? { typeVersion } : {}) };
}
function edge(source: string, sourceHandle: string, target: string, targetHandle: string) {
  return { source, sourceHandle, target, targetHandle };
}

async function run(engine: Engine, wf: WorkflowInput, opts: { target?: string; signal?: AbortSignal } = {}) {
  const events: RunEvent[] = [];
  const result = await engine.run(wf, { artifacts, onEvent: (e) => events.push(e), ...opts });
  return { result, events };
}

beforeEach(resetExecutions);

/*
 *   a ──► sum ──► out
 *   b ──┘
 */
const diamond: WorkflowInput = {
  version: 1,
  nodes: [
    node('a', 'Const', { value: 2 }),
    node('b', 'Const', { value: 3 }),
    node('sum', 'Add', { offset: 10 }),
    node('out', 'Output'),
  ],
  edges: [edge('a', 'value', 'sum', 'a'), edge('b', 'value', 'sum', 'b'), edge('sum', 'sum', 'out', 'value')],
};

describe('Engine', () => {
  it('executes in topological order and returns output node values', async () => {
    const engine = new Engine({ registry: createTestRegistry(), concurrency: 1 });
    const { result, events } = await run(engine, diamond);
    expect(result.status).toBe('finished');
    expect(result.outputs).toEqual({ out: { value: 15 } });
    const started = events.filter((e) => e.type === 'node.started').map((e) => e.nodeId);
    expect(started).toEqual(['a', 'b', 'sum', 'out']);
    expect(events[0].type).toBe('run.started');
    expect(events.at(-1)!.type).toBe('run.finished');
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    for (const id of ['a', 'b', 'sum', 'out']) {
      expect(result.nodes[id].status).toBe('done');
      expect(result.nodes[id].ms).toBeGreaterThanOrEqual(0);
    }
  });

  it('emits the exact lifecycle sequence for one node', async () => {
    const engine = new Engine({ registry: createTestRegistry() });
    const { events } = await run(engine, {
      version: 1,
      nodes: [node('a', 'Const', { value: 1 })],
      edges: [],
    });
    expect(events.map((e) => [e.type, e.nodeId])).toEqual([
      ['run.started', undefined],
      ['node.started', 'a'],
      ['node.finished', 'a'],
      ['run.finished', undefined],
    ]);
  });

  /*
   *   slowA (200 ms) ──► out1
   *   slowB (200 ms) ──► out2
   */
  it('runs independent branches concurrently, bounded by the concurrency option', async () => {
    const wf: WorkflowInput = {
      version: 1,
      nodes: [
        node('slowA', 'Const', { value: 1, delayMs: 200 }),
        node('slowB', 'Const', { value: 2, delayMs: 200 }),
        node('slowC', 'Const', { value: 3, delayMs: 200 }),
      ],
      edges: [],
    };
    const parallel = new Engine({ registry: createTestRegistry(), concurrency: 3 });
    const p = await run(parallel, wf);
    const serial = new Engine({ registry: createTestRegistry(), concurrency: 1 });
    const s = await run(serial, wf);
    expect(p.result.status).toBe('finished');
    // Concurrency shows in the event order: all three start before any finishes.
    const order = (evs: RunEvent[]) => evs.filter((e) => e.type.startsWith('node.')).map((e) => e.type);
    expect(order(p.events)).toEqual([
      'node.started',
      'node.started',
      'node.started',
      'node.finished',
      'node.finished',
      'node.finished',
    ]);
    expect(order(s.events)).toEqual([
      'node.started',
      'node.finished',
      'node.started',
      'node.finished',
      'node.started',
      'node.finished',
    ]);
  });

  it('re-executes only the changed node and its descendants on a re-run', async () => {
    /*
     *   a ──► s1 ──► s2 ──► out
     *   b ─────────┘
     */
    const wf = (offset: number): WorkflowInput => ({
      version: 1,
      nodes: [
        node('a', 'Const', { value: 1 }),
        node('b', 'Const', { value: 2 }),
        node('s1', 'Add', { offset }),
        node('s2', 'Add'),
        node('out', 'Output'),
      ],
      edges: [
        edge('a', 'value', 's1', 'a'),
        edge('s1', 'sum', 's2', 'a'),
        edge('b', 'value', 's2', 'b'),
        edge('s2', 'sum', 'out', 'value'),
      ],
    });
    const engine = new Engine({ registry: createTestRegistry() });
    const first = await run(engine, wf(0));
    expect(first.result.outputs.out.value).toBe(3);
    expect(Object.fromEntries(executions)).toEqual({ a: 1, b: 1, s1: 1, s2: 1, out: 1 });

    // Output nodes always run (they deliver the run's results); everything else comes from cache.
    const same = await run(engine, wf(0));
    expect(Object.fromEntries(executions)).toEqual({ a: 1, b: 1, s1: 1, s2: 1, out: 2 });
    expect(same.result.outputs.out.value).toBe(3);
    expect(same.events.filter((e) => e.type === 'node.cached').map((e) => e.nodeId)).toEqual([
      'a',
      'b',
      's1',
      's2',
    ]);
    expect(same.result.nodes.out.status).toBe('done');

    const changed = await run(engine, wf(100));
    expect(changed.result.outputs.out.value).toBe(103);
    expect(Object.fromEntries(executions)).toEqual({ a: 1, b: 1, s1: 2, s2: 2, out: 3 });
    expect(changed.result.nodes.a.status).toBe('cached');
    expect(changed.result.nodes.s1.status).toBe('done');
  });

  it('hands image and mask outputs to listeners as previews, from cache too, and describes them without pixels', async () => {
    //   pic ──size──► out
    const wf: WorkflowInput = {
      version: 1,
      nodes: [node('pic', 'Picture', { width: 8, height: 4 }), node('out', 'Output')],
      edges: [edge('pic', 'size', 'out', 'value')],
    };
    const engine = new Engine({ registry: createTestRegistry() });
    const described = {
      image: { kind: 'image', width: 8, height: 4, channels: 3 },
      mask: { kind: 'mask', width: 8, height: 4 },
      size: 32,
    };
    for (const expected of ['node.finished', 'node.cached']) {
      const { events } = await run(engine, wf);
      const e = events.find(
        (x) => x.nodeId === 'pic' && (x.type === 'node.finished' || x.type === 'node.cached'),
      );
      expect(e?.type).toBe(expected);
      expect(e?.data.outputs).toEqual(described);
      const previews = e?.data.previews as Record<string, { kind: string; data: Uint8Array }>;
      // Only pictures: the number is not previewed; the values keep their pixels for the host to shrink.
      expect(Object.keys(previews).sort()).toEqual(['image', 'mask']);
      expect(previews.mask.data.slice(0, 8)).toEqual(new Uint8Array([255, 255, 255, 255, 0, 0, 0, 0]));
      expect(previews.image.data.length).toBe(8 * 4 * 3);
      // Nodes without pictures carry no previews.
      expect(
        events.find((x) => x.nodeId === 'out' && x.type === 'node.finished')?.data.previews,
      ).toBeUndefined();
    }
    expect(executions.get('pic')).toBe(1);
  });

  it('treats param key order as irrelevant for the cache', async () => {
    const engine = new Engine({ registry: createTestRegistry() });
    await run(engine, { version: 1, nodes: [node('a', 'Const', { value: 1, delayMs: 0 })], edges: [] });
    await run(engine, { version: 1, nodes: [node('a', 'Const', { delayMs: 0, value: 1 })], edges: [] });
    expect(executions.get('a')).toBe(1);
  });

  it('never caches an uncacheable node, and re-runs everything downstream of it', async () => {
    /*  rnd(seed -1) ──► add ──► out   */
    const wf = (seed: number): WorkflowInput => ({
      version: 1,
      nodes: [node('rnd', 'Random', { seed }), node('add', 'Add'), node('out', 'Output')],
      edges: [edge('rnd', 'value', 'add', 'a'), edge('add', 'sum', 'out', 'value')],
    });
    const engine = new Engine({ registry: createTestRegistry() });
    await run(engine, wf(-1));
    await run(engine, wf(-1));
    expect(Object.fromEntries(executions)).toEqual({ rnd: 2, add: 2, out: 2 });
    resetExecutions();
    await run(engine, wf(7));
    await run(engine, wf(7));
    expect(Object.fromEntries(executions)).toEqual({ rnd: 1, add: 1, out: 2 });
  });

  it('keeps outputs on disk between engines (processes) when given a cache directory', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'engine-disk-'));
    const wf = (offset: number): WorkflowInput => ({
      version: 1,
      nodes: [node('a', 'Const', { value: 1 }), node('s', 'Add', { offset }), node('out', 'Output')],
      edges: [edge('a', 'value', 's', 'a'), edge('s', 'sum', 'out', 'value')],
    });
    await run(
      new Engine({ registry: createTestRegistry(), cache: new OutputCache({ diskDir: dir }) }),
      wf(1),
    );
    resetExecutions();
    const second = await run(
      new Engine({ registry: createTestRegistry(), cache: new OutputCache({ diskDir: dir }) }),
      wf(2),
    );
    expect(second.result.outputs.out.value).toBe(3);
    expect(Object.fromEntries(executions)).toEqual({ s: 1, out: 1 });
    expect(second.result.nodes.a.status).toBe('cached');
  });

  it('evicts least recently used outputs beyond the byte budget', async () => {
    // Each Const output ({ value }) counts 40 bytes: a 150-byte budget holds three.
    const cache = new OutputCache(150);
    const engine = new Engine({ registry: createTestRegistry(), cache, concurrency: 1 });
    const consts = (...values: number[]): WorkflowInput => ({
      version: 1,
      nodes: values.map((v) => node(`c${v}`, 'Const', { value: v })),
      edges: [],
    });
    await run(engine, consts(1, 2, 3));
    expect(cache.size).toBe(3);
    await run(engine, consts(1)); // touch 1: now 2 is the least recently used
    await run(engine, consts(4)); // evicts 2
    expect(cache.size).toBe(3);
    expect(cache.bytes).toBeLessThanOrEqual(150);
    resetExecutions();
    const kept = await run(engine, consts(1, 3, 4));
    expect(Object.values(kept.result.nodes).map((n) => n.status)).toEqual(['cached', 'cached', 'cached']);
    const evicted = await run(engine, consts(2));
    expect(evicted.result.nodes.c2.status).toBe('done');
    expect(executions.get('c2')).toBe(1);
  });

  it('runs only what a target node needs', async () => {
    /*
     *   a ──► s1 (target)
     *   b ──► s2
     */
    const wf: WorkflowInput = {
      version: 1,
      nodes: [
        node('a', 'Const', { value: 1 }),
        node('b', 'Const', { value: 2 }),
        node('s1', 'Add'),
        node('s2', 'Add'),
      ],
      edges: [edge('a', 'value', 's1', 'a'), edge('b', 'value', 's2', 'a')],
    };
    const engine = new Engine({ registry: createTestRegistry() });
    const { result } = await run(engine, wf, { target: 's1' });
    expect(result.status).toBe('finished');
    expect(Object.keys(result.nodes).sort()).toEqual(['a', 's1']);
    expect(result.outputs).toEqual({ s1: { sum: 1 } });
    expect(executions.has('b')).toBe(false);
  });

  it('cancels mid-node through the abort signal and reports run.cancelled', async () => {
    /*  a ──► slow (2 s) ──► after   */
    const wf: WorkflowInput = {
      version: 1,
      nodes: [
        node('a', 'Const', { value: 1 }),
        node('slow', 'Add', { delayMs: 2000 }),
        node('after', 'Output'),
      ],
      edges: [edge('a', 'value', 'slow', 'a'), edge('slow', 'sum', 'after', 'value')],
    };
    const engine = new Engine({ registry: createTestRegistry() });
    const ac = new AbortController();
    const events: RunEvent[] = [];
    const t0 = Date.now();
    const p = engine.run(wf, {
      artifacts,
      signal: ac.signal,
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'node.progress' && e.nodeId === 'slow') ac.abort();
      },
    });
    const result = await p;
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(result.status).toBe('cancelled');
    expect(result.nodes.slow.status).toBe('cancelled');
    expect(result.nodes.after.status).toBe('skipped');
    expect(executions.has('after')).toBe(false);
    expect(events.at(-1)!.type).toBe('run.cancelled');
  });

  it('cancels between nodes', async () => {
    const wf: WorkflowInput = {
      version: 1,
      nodes: [node('a', 'Const', { value: 1 }), node('b', 'Add'), node('c', 'Output')],
      edges: [edge('a', 'value', 'b', 'a'), edge('b', 'sum', 'c', 'value')],
    };
    const engine = new Engine({ registry: createTestRegistry(), concurrency: 1 });
    const ac = new AbortController();
    const result = await engine.run(wf, {
      artifacts,
      signal: ac.signal,
      onEvent: (e) => {
        if (e.type === 'node.finished' && e.nodeId === 'a') ac.abort();
      },
    });
    expect(result.status).toBe('cancelled');
    expect(result.nodes.a.status).toBe('done');
    expect(executions.has('b')).toBe(false);
  });

  it('fails the run with a classified error tied to the node, and skips its descendants', async () => {
    /*  a ──► bad ──► out    c (independent)  */
    const wf = (kind: string): WorkflowInput => ({
      version: 1,
      nodes: [node('a', 'Const', { value: 1 }), node('bad', 'Fail', { kind }), node('out', 'Output')],
      edges: [edge('a', 'value', 'bad', 'a'), edge('bad', 'value', 'out', 'value')],
    });
    const engine = new Engine({ registry: createTestRegistry() });
    const user = await run(engine, wf('user'));
    expect(user.result.status).toBe('failed');
    expect(user.result.error).toMatchObject({
      kind: 'user',
      nodeId: 'bad',
      field: 'kind',
      message: 'the value is out of range',
    });
    expect(user.result.nodes.out.status).toBe('skipped');
    expect(user.events.find((e) => e.type === 'node.failed')).toMatchObject({ nodeId: 'bad' });
    expect(user.events.at(-1)!.type).toBe('run.failed');

    const bug = await run(engine, wf('internal'));
    expect(bug.result.error).toMatchObject({ kind: 'internal', nodeId: 'bad', message: 'boom' });
  });

  it('refuses an invalid graph before running anything, listing every problem', async () => {
    const engine = new Engine({ registry: createTestRegistry() });
    const { result, events } = await run(engine, {
      version: 1,
      nodes: [node('a', 'Nope'), node('s', 'Add', { offset: 'x' })],
      edges: [],
    });
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('invalid-workflow');
    expect(result.error?.issues?.map((i) => [i.code, i.nodeId])).toEqual([
      ['unknown-type', 'a'],
      ['invalid-param', 's'],
      ['missing-input', 's'],
    ]);
    expect(events.map((e) => e.type)).toEqual(['run.failed']);
    expect(executions.size).toBe(0);
  });

  it('runs nodes saved by an older version through their migrations', async () => {
    const engine = new Engine({ registry: createTestRegistry() });
    const { result } = await run(engine, {
      version: 1,
      nodes: [node('a', 'Const', { value: 1 }), node('s', 'Add', { bias: 5 }, 1), node('out', 'Output')],
      edges: [edge('a', 'value', 's', 'a'), edge('s', 'sum', 'out', 'value')],
    });
    expect(result.outputs.out.value).toBe(6);
  });
});
