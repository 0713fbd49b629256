/**
 * Engine overhead: a 100-node graph of trivial nodes (each adds two numbers),
 * first run against a cached re-run, and per-node overhead against calling the
 * same node functions directly in a loop.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import sharp from 'sharp';
import { DirectoryArtifactStore, Engine, OutputCache } from '@maskflow/engine';
import { closeCpuPool, createNodeRegistry } from '@maskflow/nodes';
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
      note: 'trivial nodes cost nothing, so this shows the cache lookups, not savings',
    },
    ...(await classicalRerun()),
  ];
}

/**
 * The classical removal workflow on a 1800×1200 photo: a first run against a
 * re-run with nothing changed (everything but SaveImage comes from the cache)
 * and against a re-run with one MaskFill param changed (MaskFill and SaveImage run).
 */
async function classicalRerun(): Promise<BenchRow[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-classical-'));
  const w = 1800;
  const h = 1200;
  const px = Buffer.alloc(w * h * 3);
  for (let i = 0; i < w * h; i++) {
    const x = i % w;
    const y = Math.floor(i / w);
    px.set([(x * 255) / w, (y * 255) / h, 128 + 100 * Math.sin(x / 25) * Math.cos(y / 35)], i * 3);
  }
  const photo = path.join(dir, 'photo.png');
  writeFileSync(
    photo,
    await sharp(px, { raw: { width: w, height: h, channels: 3 } })
      .png()
      .toBuffer(),
  );
  const base = JSON.parse(
    readFileSync(path.join(__dirname, '..', 'workflows', 'remove-object-classical.json'), 'utf8'),
  ) as WorkflowInput;
  const wf = (method: string): WorkflowInput => ({
    ...base,
    nodes: base.nodes.map((n) =>
      n.id === 'load'
        ? { ...n, params: { ...n.params, image: photo } }
        : n.id === 'box'
          ? { ...n, params: { boxes: [{ x1: 700, y1: 400, x2: 1100, y2: 800 }] } }
          : n.id === 'fill'
            ? { ...n, params: { ...n.params, method } }
            : n,
    ),
  });
  const artifacts = new DirectoryArtifactStore(dir, path.join(dir, 'out'));
  const first: number[] = [];
  const same: number[] = [];
  const changed: number[] = [];
  for (let rep = 0; rep < 4; rep++) {
    const engine = new Engine({ registry: createNodeRegistry(), cache: new OutputCache() });
    const time = async (doc: WorkflowInput, into: number[]) => {
      const t = performance.now();
      const r = await engine.run(doc, { artifacts });
      if (r.status !== 'finished') throw new Error(`classical bench run failed: ${JSON.stringify(r.error)}`);
      into.push(performance.now() - t);
      return r;
    };
    await time(wf('telea'), first);
    const r2 = await time(wf('telea'), same);
    if (r2.nodes.fill.status !== 'cached') throw new Error('the unchanged re-run executed MaskFill');
    const r3 = await time(wf('ns'), changed);
    if (r3.nodes.dilate.status !== 'cached' || r3.nodes.fill.status !== 'done')
      throw new Error('wrong re-run');
  }
  await closeCpuPool();
  const f = median(first.slice(1));
  const s = median(same.slice(1));
  const c = median(changed.slice(1));
  const group = 'Classical removal workflow, 1800×1200';
  return [
    { group, case: 'first run (load, box, dilate, fill telea, save)', ours: f },
    {
      group,
      case: 're-run, nothing changed (only SaveImage runs)',
      ours: s,
      reference: f,
      referenceName: 'first run',
      ratio: s / f,
      target: '< 1',
      pass: s < f,
    },
    {
      group,
      case: 're-run, MaskFill method changed (fill + save run)',
      ours: c,
      reference: f,
      referenceName: 'first run',
      ratio: c / f,
      note: 'load, box and dilate come from the cache',
    },
  ];
}
