/**
 * Engine overhead: a 100-node graph of trivial nodes (each adds two numbers),
 * first run against a cached re-run, and per-node overhead against calling the
 * same node functions directly in a loop.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DirectoryArtifactStore, Engine, OutputCache } from '@maskflow/engine';
import type { WorkflowInput } from '@maskflow/workflow';
import { createTestRegistry } from '../test/helpers/test-nodes';
import type { BenchRow } from './bench.types';
import { median } from './bench.types';

const N = 100;

/** A chain with side branches: c0 → a1 → a2 … each also fed by a constant, so the graph is 100 nodes wide and deep. */
function graph(salt: number): WorkflowInput {
  const nodes: WorkflowInput['nodes'] = [{ id: 'c0', type: 'Const', params: { value: salt } }];
  const edges: NonNullable<WorkflowInput['edges']> = [];
  for (let i = 1; i < N; i++) {
    nodes.push({ id: `a${i}`, type: 'Add', params: { offset: 1 } });
    edges.push({
      source: i === 1 ? 'c0' : `a${i - 1}`,
      sourceHandle: i === 1 ? 'value' : 'sum',
      target: `a${i}`,
      targetHandle: 'a',
    });
  }
  return { version: 1, nodes, edges };
}

export async function run(): Promise<BenchRow[]> {
  const registry = createTestRegistry();
  const artifacts = new DirectoryArtifactStore(
    process.cwd(),
    mkdtempSync(path.join(tmpdir(), 'bench-engine-')),
  );
  const first: number[] = [];
  const cached: number[] = [];
  const direct: number[] = [];
  const add = registry.get('Add')!;
  for (let rep = 0; rep < 30; rep++) {
    const engine = new Engine({ registry, cache: new OutputCache() });
    const wf = graph(rep);
    let t = performance.now();
    const r1 = await engine.run(wf, { artifacts });
    first.push(performance.now() - t);
    if (r1.status !== 'finished') throw new Error(`bench run failed: ${JSON.stringify(r1.error)}`);
    t = performance.now();
    const r2 = await engine.run(wf, { artifacts });
    cached.push(performance.now() - t);
    if (Object.values(r2.nodes).some((n) => n.status !== 'cached'))
      throw new Error('re-run was not fully cached');
    // The same work without the engine: call each node's execute in order.
    const ctx = { nodeId: 'x', throwIfAborted() {}, progress() {} } as unknown as Parameters<
      typeof add.execute
    >[0]['ctx'];
    t = performance.now();
    let v = rep;
    for (let i = 1; i < N; i++)
      v = (
        (await add.execute({ inputs: { a: v }, params: { offset: 1, delayMs: 0 }, ctx })) as { sum: number }
      ).sum;
    direct.push(performance.now() - t);
  }
  const f = median(first.slice(5));
  const c = median(cached.slice(5));
  const d = median(direct.slice(5));
  return [
    {
      group: 'Engine, 100 trivial nodes',
      case: 'first run (validate, key, execute, events)',
      ours: f,
      reference: d,
      referenceName: 'direct calls',
      ratio: f / d,
      note: `${((1000 * (f - d)) / N).toFixed(1)} µs overhead per node`,
    },
    {
      group: 'Engine, 100 trivial nodes',
      case: 'cached re-run vs first run',
      ours: c,
      reference: f,
      referenceName: 'first run',
      ratio: c / f,
      target: '< 1',
      pass: c < f,
    },
  ];
}
