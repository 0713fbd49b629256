import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { CancelledError, EnvironmentError, UserError } from '@maskflow/workflow';
import { systemDeviceProbe } from '../src/device.resolver';
import { float16ToFloat32, float32ToFloat16 } from '../src/float16.util';
import {
  GpuOnlyModelError,
  InferenceWorkerCrashedError,
  ProviderUnavailableError,
} from '../src/inference.errors';
import type { ModelHandle } from '../src/inference.runtime';
import { InferenceRuntime } from '../src/inference.runtime';
import type { Tensor, TensorMap, TensorType } from '../src/tensor.types';
import {
  addModel,
  gpuOnlyModel,
  identityModel,
  matMulChainModel,
  writeTinyModel,
} from '../src/testing/tiny-onnx';
import { workerEntry } from '../src/worker.client';
import {
  bestLatenessOf,
  bytesOf,
  collectingLogger,
  tempDir,
  timerLatenessDuring,
  waitFor,
} from './inference-test.helper';

const dir = tempDir('inference');
const file = (name: string): string => path.join(dir, name);
const ADD_N = 25_000; // ≈100 KB of weights per add model
const SLOW = { size: 384, depth: 120 }; // a few hundred ms of MatMuls on one or two cores

beforeAll(() => {
  for (const name of ['add-a', 'add-b', 'add-c', 'add-d'])
    writeTinyModel(file(`${name}.onnx`), addModel(ADD_N));
  writeTinyModel(file('add-small.onnx'), addModel(4));
  writeTinyModel(file('slow.onnx'), matMulChainModel(SLOW.size, SLOW.depth));
  writeTinyModel(file('gpu-only.onnx'), gpuOnlyModel());
  writeTinyModel(file('scalar-int64.onnx'), identityModel('int64', []));
  writeTinyModel(file('symbolic.onnx'), identityModel('float32', ['batch', 3]));
  for (const t of ['float32', 'float16', 'int64', 'int32', 'uint8', 'bool'] as const)
    writeTinyModel(file(`id-${t}.onnx`), identityModel(t, [2, 3]));
  writeTinyModel(file('two-outputs.onnx'), {
    inputs: [{ name: 'x', type: 'float32', shape: [2] }],
    outputs: [
      { name: 'same', type: 'float32', shape: [2] },
      { name: 'negated', type: 'float32', shape: [2] },
    ],
    nodes: [
      { op: 'Identity', inputs: ['x'], outputs: ['same'] },
      { op: 'Neg', inputs: ['x'], outputs: ['negated'] },
    ],
  });
  const ext = path.join(dir, 'ext');
  mkdirSync(ext);
  writeTinyModel(path.join(ext, 'model.onnx'), addModel(ADD_N, { external: true }));
  writeFileSync(file('garbage.onnx'), 'not a model');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ones = (n: number): Float32Array => new Float32Array(n).fill(1);
const addFeeds = (n = ADD_N): TensorMap => ({ x: { type: 'float32', dims: [1, n], data: ones(n) } });
const slowFeeds = (): TensorMap => ({
  x: { type: 'float32', dims: [SLOW.size, SLOW.size], data: ones(SLOW.size * SLOW.size) },
});

function modelStatus(rt: InferenceRuntime, h: ModelHandle) {
  const m = rt.status().models.find((s) => s.key === h.key);
  if (!m) throw new Error(`${h.key} is not in status()`);
  return m;
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('InferenceRuntime with tiny models', () => {
  const logger = collectingLogger();
  const rt = new InferenceRuntime({ device: 'cpu', logger });
  afterAll(() => rt.close());

  it('runs in a worker thread started from the .ts source under jest (through tsx)', async () => {
    const entry = workerEntry(path.join(__dirname, '..', 'src'));
    expect(entry.file.endsWith('inference.worker.ts')).toBe(true);
    expect(entry.execArgv).toEqual(['--require', require.resolve('tsx/cjs')]);

    const h = await rt.load(file('add-small.onnx'));
    const r = await rt.run(h, { x: { type: 'float32', dims: [1, 4], data: new Float32Array([1, 1, 1, 1]) } });
    expect(r.provider).toBe('cpu');
    expect(Array.from(r.outputs.y.data as Float32Array)).toEqual([1, 2, 3, 4]);
    expect(r.outputs.y).toMatchObject({ type: 'float32', dims: [1, 4] });
    expect(r.ms).toBeGreaterThan(0);
    expect(r.totalMs).toBeGreaterThanOrEqual(r.ms);
    expect(rt.status().workers).toEqual([
      expect.objectContaining({ label: 'cpu#0', provider: 'cpu', alive: true }),
    ]);
    expect(logger.infos.some((m) => /loaded .*add-small\.onnx .* on cpu/.test(m))).toBe(true);
    await rt.unload(h);
  });

  it('runs CPU inference threads at a lower priority than the event loop (Linux)', async () => {
    if (process.platform !== 'linux') return;
    const h = await rt.load(file('add-small.onnx'));
    await rt.run(h, { x: { type: 'float32', dims: [1, 4], data: ones(4) } });
    const niceOf = (stat: string): number => Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    const nices = readdirSync('/proc/self/task').map((t) =>
      niceOf(readFileSync(`/proc/self/task/${t}/stat`, 'utf8')),
    );
    expect(nices).toContain(10); // the worker and the ORT threads it started
    expect(niceOf(readFileSync('/proc/thread-self/stat', 'utf8'))).toBe(0); // this, the event loop
    await rt.unload(h);
  });

  it('reads names, types and shapes from the session (scalars as [], symbolic dims by name)', async () => {
    const scalar = await rt.load(file('scalar-int64.onnx'));
    expect(scalar.inputMetadata).toEqual([{ name: 'x', isTensor: true, type: 'int64', shape: [] }]);
    expect(scalar.outputNames).toEqual(['y']);
    const r = await rt.run(scalar, {
      x: { type: 'int64', dims: [], data: new BigInt64Array([-(2n ** 40n)]) },
    });
    expect(r.outputs.y.dims).toEqual([]);
    expect(r.outputs.y.data[0]).toBe(-(2n ** 40n));

    const sym = await rt.load(file('symbolic.onnx'));
    expect(sym.inputMetadata).toEqual([{ name: 'x', isTensor: true, type: 'float32', shape: ['batch', 3] }]);
    const r2 = await rt.run(sym, { x: { type: 'float32', dims: [5, 3], data: ones(15) } });
    expect(r2.outputs.y.dims).toEqual([5, 3]);
    await Promise.all([rt.unload(scalar), rt.unload(sym)]);
  });

  it('carries every tensor type across the thread boundary bit for bit', async () => {
    const data: Record<TensorType, Tensor['data']> = {
      float32: new Float32Array([0, -1.5, 3.25, Infinity, -0, 1e-40]),
      float16: float32ToFloat16(new Float32Array([0, -1.5, 3.25, Infinity, 65504, 2 ** -24])),
      int64: new BigInt64Array([0n, -1n, 2n ** 62n, -(2n ** 63n), 5n, 6n]),
      int32: new Int32Array([0, -1, 2 ** 31 - 1, -(2 ** 31), 5, 6]),
      uint8: new Uint8Array([0, 1, 127, 128, 254, 255]),
      bool: new Uint8Array([1, 0, 1, 1, 0, 0]),
    };
    for (const type of Object.keys(data) as TensorType[]) {
      const h = await rt.load(file(`id-${type}.onnx`));
      const expected = Buffer.from(bytesOf(data[type]));
      const r = await rt.run(h, { x: { type, dims: [2, 3], data: data[type] } as Tensor });
      expect([type, r.outputs.y.type]).toEqual([type, type]);
      expect([type, bytesOf(r.outputs.y.data).equals(expected)]).toEqual([type, true]);
      await rt.unload(h);
    }
    // float16 results are Uint16Array bits: convert at the edge.
    const h = await rt.load(file('id-float16.onnx'));
    const r = await rt.run(h, {
      x: { type: 'float16', dims: [2, 3], data: float32ToFloat16(new Float32Array([1, 2, 3, 4, 5, 0.5])) },
    });
    expect(Array.from(float16ToFloat32(r.outputs.y.data as Uint16Array))).toEqual([1, 2, 3, 4, 5, 0.5]);
    await rt.unload(h);
  });

  it('returns the same session for the same file, counting references', async () => {
    const h1 = await rt.load(file('add-a.onnx'));
    const h2 = await rt.load(file('add-a.onnx'));
    expect(h2.key).toBe(h1.key);
    expect(rt.status().models.filter((m) => m.file === h1.file)).toEqual([
      expect.objectContaining({ refs: 2, state: 'loaded' }),
    ]);
    const other = await rt.load(file('add-a.onnx'), { graphOptimizationLevel: 'disabled' });
    expect(other.key).not.toBe(h1.key);

    await rt.unload(h1);
    await rt.unload(h1); // twice through the same handle: no effect on the others
    expect(modelStatus(rt, h2)).toMatchObject({ refs: 1, state: 'loaded' });
    await expect(rt.run(h1, addFeeds())).rejects.toMatchObject({ code: 'model-unloaded' });
    expect((await rt.run(h2, addFeeds())).outputs.y.data[ADD_N - 1]).toBe(ADD_N);
    await h2.dispose();
    await other.dispose();
    expect(rt.status().models.some((m) => m.file === h1.file)).toBe(false);
  });

  it('moves feed buffers to the worker (detached for the caller) unless keepFeeds', async () => {
    const h = await rt.load(file('add-small.onnx'));
    const moved = new Float32Array([1, 2, 3, 4]);
    const first = rt.run(h, { x: { type: 'float32', dims: [1, 4], data: moved } }); // idle worker: posted at once
    const queuedFeed = new Float32Array([1, 2, 3, 4]);
    const second = rt.run(h, { x: { type: 'float32', dims: [1, 4], data: queuedFeed } }); // waits behind the first
    // Either way the caller's buffer is gone as soon as run() returns.
    expect([moved.length, queuedFeed.length]).toEqual([0, 0]);
    expect(Array.from((await first).outputs.y.data as Float32Array)).toEqual([1, 3, 5, 7]);
    expect(Array.from((await second).outputs.y.data as Float32Array)).toEqual([1, 3, 5, 7]);
    const kept = new Float32Array([1, 2, 3, 4]);
    const r = await rt.run(h, { x: { type: 'float32', dims: [1, 4], data: kept } }, { keepFeeds: true });
    expect(Array.from(kept)).toEqual([1, 2, 3, 4]);
    expect(Array.from(r.outputs.y.data as Float32Array)).toEqual([1, 3, 5, 7]);
    await rt.unload(h);
  });

  it('fetches only the outputs asked for', async () => {
    const h = await rt.load(file('two-outputs.onnx'));
    const r = await rt.run(
      h,
      { x: { type: 'float32', dims: [2], data: new Float32Array([1, -2]) } },
      { outputs: ['negated'] },
    );
    expect(Object.keys(r.outputs)).toEqual(['negated']);
    expect(Array.from(r.outputs.negated.data as Float32Array)).toEqual([-1, 2]);
    await expect(
      rt.run(h, { x: { type: 'float32', dims: [2], data: new Float32Array(2) } }, { outputs: ['nope'] }),
    ).rejects.toThrow(/no output "nope"/);
    await rt.unload(h);
  });

  it('rejects feeds that do not fit the model as a user error naming the input', async () => {
    const h = await rt.load(file('add-small.onnx'));
    const err = await rejection(rt.run(h, { x: { type: 'int32', dims: [1, 4], data: new Int32Array(4) } }));
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toMatch(/add-small\.onnx.*input "x" takes float32, got int32/);
    await expect(rt.run(h, { input: { type: 'float32', dims: [1, 4], data: ones(4) } })).rejects.toThrow(
      /expects inputs \[x\]/,
    );
    await expect(rt.run(h, { x: { type: 'float32', dims: [4], data: ones(4) } })).rejects.toThrow(/rank 2/);
    await rt.unload(h);
  });

  it('says clearly that a graph with CUDA-only contrib ops cannot load on CPU', async () => {
    const err = await rejection(rt.load(file('gpu-only.onnx')));
    expect(err).toBeInstanceOf(GpuOnlyModelError);
    expect(err).toMatchObject({ kind: 'environment', code: 'gpu-only-model', op: 'BiasSplitGelu' });
    expect(err.message).toMatch(/GPU-only export.*BiasSplitGelu/);
    expect(rt.status().models.some((m) => m.file.endsWith('gpu-only.onnx'))).toBe(false);
  });

  it('passes ONNX Runtime session config entries through to the session', async () => {
    await expect(
      rt.load(file('add-small.onnx'), { sessionConfig: { 'session.intra_op_thread_affinities': 'garbage' } }),
    ).rejects.toThrow(/ThreadAffinity/);
    const h = await rt.load(file('add-small.onnx'), {
      sessionConfig: { 'session.intra_op.allow_spinning': '0' },
    });
    expect(h.key).toContain('config=session.intra_op.allow_spinning:0');
    await h.dispose();
  });

  it('reports missing and broken model files as environment errors', async () => {
    await expect(rt.load(file('missing.onnx'))).rejects.toMatchObject({
      kind: 'environment',
      code: 'model-missing',
    });
    await expect(rt.load(file('garbage.onnx'))).rejects.toMatchObject({
      kind: 'environment',
      code: 'model-invalid',
    });
  });

  it('loads a model with external data and counts the data file in its size', async () => {
    const h = await rt.load(path.join(dir, 'ext', 'model.onnx'));
    expect(h.bytes).toBeGreaterThan(ADD_N * 4);
    const r = await rt.run(h, addFeeds());
    expect(r.outputs.y.data[10]).toBe(11);
    await rt.unload(h);
  });
});

describe('queueing and cancellation', () => {
  const rt = new InferenceRuntime({ device: 'cpu', logger: collectingLogger() });
  let slow: ModelHandle;
  let fast: ModelHandle;
  beforeAll(async () => {
    slow = await rt.load(file('slow.onnx'));
    fast = await rt.load(file('add-small.onnx'));
    await rt.run(slow, slowFeeds()); // warm-up
  });
  afterAll(() => rt.close());

  const fastFeeds = (): TensorMap => ({ x: { type: 'float32', dims: [1, 4], data: ones(4) } });

  it('a queued run whose signal aborts is rejected with CancelledError and never runs', async () => {
    const before = modelStatus(rt, fast).runs;
    const order: string[] = [];
    const running = rt.run(slow, slowFeeds()).then(() => order.push('slow done'));
    const ac = new AbortController();
    const cancelled = rt.run(fast, fastFeeds(), { signal: ac.signal }).catch((e: unknown) => {
      order.push('cancelled');
      throw e;
    });
    const after = rt.run(fast, fastFeeds());
    expect(modelStatus(rt, fast).inUse).toBe(true);
    ac.abort();
    await expect(cancelled).rejects.toBeInstanceOf(CancelledError);
    await expect(cancelled).rejects.toMatchObject({ code: 'cancelled' });
    await running;
    await after;
    expect(order).toEqual(['cancelled', 'slow done']); // answered at once, not after the queue drained
    expect(modelStatus(rt, fast).runs).toBe(before + 1); // only `after` ran
  });

  it('a running job finishes in the worker but its caller is answered at once and the result dropped', async () => {
    const before = modelStatus(rt, slow).runs;
    const ac = new AbortController();
    const p = rt.run(slow, slowFeeds(), { signal: ac.signal });
    await waitFor(() => rt.status().workers[0].running, 5000, 'the slow run to start');
    ac.abort(new Error('user pressed stop'));
    const t0 = Date.now();
    const err = await rejection(p);
    expect(Date.now() - t0).toBeLessThan(100);
    expect(err).toBeInstanceOf(CancelledError);
    expect(err.message).toMatch(/user pressed stop/);
    expect(modelStatus(rt, slow).inUse).toBe(true); // still busy in ONNX Runtime
    await waitFor(() => !modelStatus(rt, slow).inUse, 10_000, 'the worker to finish');
    expect(modelStatus(rt, slow).runs).toBe(before + 1);
    // The queue moves on normally.
    expect(Array.from((await rt.run(fast, fastFeeds())).outputs.y.data as Float32Array)).toEqual([
      1, 2, 3, 4,
    ]);
  });

  it('an already aborted signal rejects before anything is queued (and leaves the feeds alone)', async () => {
    const ac = new AbortController();
    ac.abort();
    const feeds = fastFeeds();
    await expect(rt.run(fast, feeds, { signal: ac.signal })).rejects.toBeInstanceOf(CancelledError);
    expect(feeds.x.data.length).toBe(4);
    await expect(rt.load(file('add-b.onnx'), { signal: ac.signal })).rejects.toBeInstanceOf(CancelledError);
  });

  it('a load cancelled while queued never reaches the worker', async () => {
    const running = rt.run(slow, slowFeeds());
    const ac = new AbortController();
    const loading = rt.load(file('add-c.onnx'), { signal: ac.signal });
    await waitFor(
      () => rt.status().models.some((m) => m.file.endsWith('add-c.onnx') && m.state === 'loading'),
      5000,
      'the load to queue',
    );
    ac.abort();
    await expect(loading).rejects.toBeInstanceOf(CancelledError);
    expect(rt.status().models.some((m) => m.file.endsWith('add-c.onnx'))).toBe(false);
    await running;
  });

  it('keeps the main event loop responsive while the worker computes', async () => {
    let longest = 0;
    const result = await bestLatenessOf(3, () =>
      timerLatenessDuring(800, async () => {
        longest = Math.max(longest, (await rt.run(slow, slowFeeds())).ms);
      }),
    );
    // Each run is long enough that running it on this thread would delay the timer past the limit.
    expect(longest).toBeGreaterThan(60);
    expect(result.ticks).toBeGreaterThan(30);
    expect(result.max).toBeLessThan(50);
  });
});

describe('memory budget', () => {
  it('unloads the least recently used idle model to fit a new one, and reloads it on its next run', async () => {
    const logger = collectingLogger();
    const probe = new InferenceRuntime({ device: 'cpu', logger });
    const size = (await probe.load(file('add-a.onnx'))).bytes;
    await probe.close();

    const rt = new InferenceRuntime({ device: 'cpu', memoryBudgetBytes: Math.floor(size * 2.5), logger });
    try {
      const a = await rt.load(file('add-a.onnx'));
      const b = await rt.load(file('add-b.onnx'));
      expect(rt.status().usedBytes).toBe(2 * size);
      const c = await rt.load(file('add-c.onnx'));
      expect([modelStatus(rt, a).state, modelStatus(rt, b).state, modelStatus(rt, c).state]).toEqual([
        'unloaded',
        'loaded',
        'loaded',
      ]);
      expect(rt.status().usedBytes).toBe(2 * size);
      expect(
        logger.infos.some((m) => /unloading .*add-a\.onnx.* to make room for .*add-c\.onnx/.test(m)),
      ).toBe(true);

      // The handle still works: a's session comes back, b (now least recently used) makes room.
      const r = await rt.run(a, addFeeds());
      expect(r.outputs.y.data[7]).toBe(8);
      expect([modelStatus(rt, a).state, modelStatus(rt, b).state, modelStatus(rt, c).state]).toEqual([
        'loaded',
        'unloaded',
        'loaded',
      ]);
      expect(modelStatus(rt, a)).toMatchObject({
        refs: 1,
        inUse: false,
        runs: 1,
        provider: 'cpu',
        bytes: size,
      });
      expect(rt.status().budgetBytes).toBe(Math.floor(size * 2.5));
    } finally {
      await rt.close();
    }
  });

  it('never unloads a model with queued or running work: loads over budget with a warning, or refuses when configured to', async () => {
    const logger = collectingLogger();
    const rt = new InferenceRuntime({ device: 'cpu', memoryBudgetBytes: 1, logger });
    try {
      const slow = await rt.load(file('slow.onnx')); // alone and over budget: loads, with a warning
      expect(logger.warnings.some((m) => /exceeds the model memory budget/.test(m))).toBe(true);
      const running = rt.run(slow, slowFeeds());
      const a = await rt.load(file('add-a.onnx'));
      expect(modelStatus(rt, slow).state).toBe('loaded'); // in use: kept
      expect(modelStatus(rt, a).state).toBe('loaded');
      await running;
      const b = await rt.load(file('add-b.onnx')); // now both idle: both go
      expect([modelStatus(rt, slow).state, modelStatus(rt, a).state, modelStatus(rt, b).state]).toEqual([
        'unloaded',
        'unloaded',
        'loaded',
      ]);
    } finally {
      await rt.close();
    }

    const strict = new InferenceRuntime({ device: 'cpu', memoryBudgetBytes: 1, overBudget: 'error', logger });
    try {
      const err = await rejection(strict.load(file('add-a.onnx')));
      expect(err).toBeInstanceOf(EnvironmentError);
      expect(err).toMatchObject({ code: 'memory-budget' });
      expect(err.message).toMatch(/MASKFLOW_MODEL_MEMORY_MB/);
      expect(strict.status().models).toEqual([]);
    } finally {
      await strict.close();
    }
  });
});

describe('worker crash', () => {
  it('rejects the pending jobs with an environment error, restarts the worker and reloads models on demand', async () => {
    const logger = collectingLogger();
    const rt = new InferenceRuntime({ device: 'cpu', logger });
    try {
      const slow = await rt.load(file('slow.onnx'));
      const fast = await rt.load(file('add-small.onnx'));
      const running = rt.run(slow, slowFeeds());
      await waitFor(() => rt.status().workers[0].running, 5000, 'the slow run to start');
      rt.simulateWorkerCrash('cpu', 0); // the worker exits right after the job it is running
      const queued = rt.run(fast, { x: { type: 'float32', dims: [1, 4], data: ones(4) } });
      await running;
      const err = await rejection(queued);
      expect(err).toBeInstanceOf(InferenceWorkerCrashedError);
      expect(err).toMatchObject({ kind: 'environment', code: 'inference-worker-crashed' });
      expect(err.message).toMatch(/inference worker cpu#0 stopped unexpectedly \(exit code 70\).*restarted/);
      expect(rt.status().workers[0]).toMatchObject({ crashes: 1 });
      expect(modelStatus(rt, fast).state).toBe('unloaded');

      const r = await rt.run(fast, { x: { type: 'float32', dims: [1, 4], data: ones(4) } });
      expect(Array.from(r.outputs.y.data as Float32Array)).toEqual([1, 2, 3, 4]);
      expect(rt.status().workers[0]).toMatchObject({ alive: true, crashes: 1 });
      expect(logger.warnings.some((m) => /stopped unexpectedly/.test(m))).toBe(true);
    } finally {
      await rt.close();
    }
  });
});

describe('devices', () => {
  it('device=cuda on a machine without the CUDA provider fails with the install switch', async () => {
    const rt = new InferenceRuntime({ env: { MASKFLOW_DEVICE: 'cuda' }, logger: collectingLogger() });
    const installed = (() => {
      try {
        rt.device();
        return true;
      } catch {
        return false;
      }
    })();
    if (installed) {
      console.warn('skipped: this machine has a working CUDA setup');
      return;
    }
    const err = await rejection(rt.load(file('add-small.onnx')));
    expect(err).toBeInstanceOf(ProviderUnavailableError);
    expect(err.message).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12 npm ci');
    expect(rt.status().workers).toEqual([]); // failed before any thread started
    await rt.close();
  });

  it('auto runs on the CPU here and says so with every result; asking a model for cuda fails clearly', async () => {
    const rt = new InferenceRuntime({ env: {}, logger: collectingLogger() });
    try {
      if (rt.device().provider === 'cuda') {
        console.warn('skipped: this machine has a GPU');
        return;
      }
      expect(rt.device()).toMatchObject({ setting: 'auto', provider: 'cpu' });
      const h = await rt.load(file('add-small.onnx'));
      expect(h.provider).toBe('cpu');
      expect((await rt.run(h, { x: { type: 'float32', dims: [1, 4], data: ones(4) } })).provider).toBe('cpu');
      await expect(rt.load(file('add-small.onnx'), { providers: ['cuda'] })).rejects.toBeInstanceOf(
        ProviderUnavailableError,
      );
    } finally {
      await rt.close();
    }
  });

  it('auto falls back to CPU, with a warning, when a detected CUDA provider fails to start', async () => {
    // Plays a machine where the provider looks installed and a GPU answers; the real library is absent here.
    const logger = collectingLogger();
    const fakeGpu = {
      cudaProvider: () => ({ ok: true, detail: 'pretend installed' }),
      gpu: () => ({ ok: true, detail: 'GPU 0: pretend' }),
    };
    const rt = new InferenceRuntime({ device: 'auto', deviceProbe: fakeGpu, logger });
    try {
      if (systemDeviceProbe.cudaProvider().ok) {
        console.warn('skipped: the CUDA provider is really installed');
        return;
      }
      expect(rt.device().provider).toBe('cuda');
      const h = await rt.load(file('add-small.onnx'));
      expect(h.provider).toBe('cpu');
      expect(logger.warnings.some((m) => /CUDA provider failed .*falling back to CPU/.test(m))).toBe(true);
      expect((await rt.run(h, { x: { type: 'float32', dims: [1, 4], data: ones(4) } })).provider).toBe('cpu');

      const strict = new InferenceRuntime({ device: 'cuda', deviceProbe: fakeGpu, logger });
      const err = await rejection(strict.load(file('add-small.onnx')));
      expect(err).toBeInstanceOf(ProviderUnavailableError);
      expect(err.message).toMatch(/CUDA execution provider could not start.*ONNXRUNTIME_NODE_INSTALL=cuda12/);
      await strict.close();
    } finally {
      await rt.close();
    }
  });
});

describe('close', () => {
  it('rejects queued work with CancelledError and refuses new work', async () => {
    const rt = new InferenceRuntime({ device: 'cpu', logger: collectingLogger() });
    const slow = await rt.load(file('slow.onnx'));
    const running = rejection(rt.run(slow, slowFeeds()));
    const queued = rejection(rt.run(slow, slowFeeds()));
    await rt.close();
    expect(await running).toBeInstanceOf(CancelledError);
    expect(await queued).toBeInstanceOf(CancelledError);
    await expect(rt.run(slow, slowFeeds())).rejects.toBeInstanceOf(CancelledError);
    await expect(rt.load(file('add-small.onnx'))).rejects.toBeInstanceOf(CancelledError);
  });
});
