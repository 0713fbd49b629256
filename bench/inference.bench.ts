/**
 * Cost of running inference through the worker pool instead of calling
 * session.run on the main thread: measured side by side in one process,
 * alternating pool and direct calls so drift (thermal, a busy neighbour) hits
 * both equally. `npx tsx bench/run.ts inference`
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { DEFAULT_SESSION_CONFIG, InferenceRuntime } from '@maskflow/inference';
import type { ModelHandle } from '@maskflow/inference';
import { addModel, writeTinyModel } from '../libs/inference/src/testing/tiny-onnx';
import type { BenchRow } from './bench.types';
import { median } from './bench.types';

const YOLOX = path.resolve(__dirname, '..', '..', 'shared', 'fixtures', 'models', 'yolox_nano.onnx');

interface SideBySide {
  pool: number[];
  direct: number[];
}

/**
 * Times `pool` and `direct` alternately, `reps` times each after `warmup` pairs;
 * milliseconds. `setup` runs untimed before every call.
 */
async function alternate(
  reps: number,
  warmup: number,
  pool: () => Promise<unknown>,
  direct: () => Promise<unknown>,
  setup: () => void = () => undefined,
): Promise<SideBySide> {
  const out: SideBySide = { pool: [], direct: [] };
  for (let i = 0; i < warmup + reps; i++) {
    // Swap which goes first each pair, so neither always runs on a freshly woken thread pool.
    const order: Array<['pool' | 'direct', () => Promise<unknown>]> =
      i % 2 === 0
        ? [
            ['pool', pool],
            ['direct', direct],
          ]
        : [
            ['direct', direct],
            ['pool', pool],
          ];
    for (const [name, fn] of order) {
      setup();
      const t0 = process.hrtime.bigint();
      await fn();
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (i >= warmup) out[name].push(ms);
    }
  }
  return out;
}

async function yoloxRows(): Promise<BenchRow[]> {
  const group = 'InferenceRuntime yolox_nano 416²';
  if (!existsSync(YOLOX)) {
    return [
      { group, case: 'skipped', ours: NaN, note: '../shared/fixtures/models/yolox_nano.onnx is absent' },
    ];
  }
  // Same session options on both sides (the runtime's defaults); nice 0 so both have the same CPU priority.
  const rt = new InferenceRuntime({
    device: 'cpu',
    workerNice: 0,
    logger: { info: () => undefined, warn: console.warn },
  });
  const direct = await ort.InferenceSession.create(YOLOX, { extra: { ...DEFAULT_SESSION_CONFIG } });
  try {
    const h: ModelHandle = await rt.load(YOLOX);
    const input = new Float32Array(3 * 416 * 416);
    for (let i = 0; i < input.length; i++) input[i] = (i * 2654435761) % 256;
    const dims = [1, 3, 416, 416];
    const inWorker: number[] = [];
    // Each pool call moves a fresh copy, as a caller handing over its preprocessed tensor would;
    // the copy is made in the untimed setup.
    let next = input.slice();
    const times = await alternate(
      60,
      5,
      async () => {
        const r = await rt.run(h, { images: { type: 'float32', dims, data: next } });
        inWorker.push(r.ms);
      },
      () => direct.run({ images: new ort.Tensor('float32', input, dims) }),
      () => {
        if (next.length === 0) next = input.slice();
      },
    );
    const pool = median(times.pool);
    const ref = median(times.direct);
    // Each pair ran back to back under the same load; the median of per-pair ratios cancels drift
    // (a neighbour's job starting or ending) that a ratio of two medians does not.
    const ratio = median(times.pool.map((p, i) => p / times.direct[i]));
    return [
      {
        group,
        case: `run, ${times.pool.length} alternating pairs (ratio: median of pair ratios)`,
        ours: pool,
        reference: ref,
        referenceName: 'direct session.run',
        ratio,
        target: '≤ 1.05',
        pass: ratio <= 1.05,
        note: `ratio of medians ${(pool / ref).toFixed(3)}`,
      },
      {
        group,
        case: 'latency the pool adds per call (total − session.run in the worker)',
        ours: median(times.pool.map((p, i) => p - inWorker[i + 5])),
        note: `session.run inside the worker: median ${median(inWorker.slice(5)).toFixed(2)} ms`,
      },
    ];
  } finally {
    await rt.close();
    await direct.release();
  }
}

async function tinyRows(): Promise<BenchRow[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'maskflow-bench-'));
  const file = path.join(dir, 'add.onnx');
  writeTinyModel(file, addModel(4));
  const rt = new InferenceRuntime({
    device: 'cpu',
    workerNice: 0,
    logger: { info: () => undefined, warn: console.warn },
  });
  const direct = await ort.InferenceSession.create(file, { extra: { ...DEFAULT_SESSION_CONFIG } });
  try {
    const h = await rt.load(file);
    const x = new Float32Array([1, 2, 3, 4]);
    const times = await alternate(
      1000,
      100,
      () => rt.run(h, { x: { type: 'float32', dims: [1, 4], data: new Float32Array(x) } }),
      () => direct.run({ x: new ort.Tensor('float32', new Float32Array(x), [1, 4]) }),
    );
    const pool = median(times.pool) * 1000;
    const ref = median(times.direct) * 1000;
    return [
      {
        group: 'InferenceRuntime tiny Add [1,4]',
        case: `per call, median of ${times.pool.length} alternating pairs`,
        ours: pool,
        reference: ref,
        referenceName: 'direct session.run',
        unit: 'µs',
        ratio: pool / ref,
        note: `pool overhead ≈ ${(pool - ref).toFixed(0)} µs per call (two thread hops + checks)`,
      },
    ];
  } finally {
    await rt.close();
    await direct.release();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<BenchRow[]> {
  return [...(await yoloxRows()), ...(await tinyRows())];
}
