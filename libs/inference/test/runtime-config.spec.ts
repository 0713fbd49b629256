import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import * as path from 'node:path';
import { EnvironmentError, UserError } from '@maskflow/workflow';
import type { DeviceProbe } from '../src/device.resolver';
import { parseDeviceSetting, resolveDevice, systemDeviceProbe } from '../src/device.resolver';
import { prepareFeeds, validateFeeds, validateOutputs } from '../src/feeds.util';
import {
  classifyLoadError,
  classifyRunError,
  GpuOnlyModelError,
  ProviderUnavailableError,
} from '../src/inference.errors';
import { isExternalDataOf, modelFootprint } from '../src/model-files.util';
import { MB, resolveRuntimeConfig } from '../src/runtime.options';
import type { TensorMap, ValueMetadata } from '../src/tensor.types';

const probe = (cudaProvider: boolean, gpu: boolean): DeviceProbe => ({
  cudaProvider: () => ({
    ok: cudaProvider,
    detail: cudaProvider ? 'CUDA provider installed' : 'CUDA provider not installed',
  }),
  gpu: () => ({ ok: gpu, detail: gpu ? 'GPU 0: Fake' : 'no NVIDIA GPU answered' }),
});

describe('device resolution', () => {
  it('auto picks CUDA only when the provider is installed and a GPU answers', () => {
    expect(resolveDevice('auto', probe(true, true)).provider).toBe('cuda');
    const noGpu = resolveDevice('auto', probe(true, false));
    expect([noGpu.provider, noGpu.reason]).toEqual([
      'cpu',
      'device=auto: CUDA provider installed, but no NVIDIA GPU answered',
    ]);
    const noProvider = resolveDevice('auto', probe(false, true));
    expect([noProvider.provider, noProvider.reason]).toEqual([
      'cpu',
      'device=auto: CUDA provider not installed',
    ]);
    expect(resolveDevice('cpu', probe(true, true)).provider).toBe('cpu');
  });

  it('cuda without the provider names the reinstall switch', () => {
    expect(() => resolveDevice('cuda', probe(false, true))).toThrow(ProviderUnavailableError);
    expect(() => resolveDevice('cuda', probe(false, true))).toThrow(
      /ONNXRUNTIME_NODE_INSTALL=cuda12 npm ci.*CUDA 12.*cuDNN 9/,
    );
    expect(() => resolveDevice('cuda', probe(true, false))).toThrow(/nvidia-smi/);
  });

  it('on this machine (CPU-only onnxruntime-node install, no GPU): auto → cpu, cuda → the clear error', () => {
    const provider = systemDeviceProbe.cudaProvider();
    if (provider.ok) {
      console.warn('skipped: this machine has the CUDA provider installed');
      return;
    }
    expect(provider.detail).toMatch(/libonnxruntime_providers_cuda|no CUDA provider/);
    expect(resolveDevice('auto').provider).toBe('cpu');
    let err: unknown;
    try {
      resolveDevice('cuda');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProviderUnavailableError);
    expect(err).toMatchObject({ kind: 'environment', code: 'provider-unavailable' });
    expect((err as Error).message).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12');
  });

  it('parses MASKFLOW_DEVICE', () => {
    expect(parseDeviceSetting(undefined)).toBe('auto');
    expect(parseDeviceSetting(' CUDA ')).toBe('cuda');
    expect(() => parseDeviceSetting('tpu')).toThrow(/MASKFLOW_DEVICE=tpu is not a device/);
  });
});

describe('runtime config', () => {
  it('reads the environment, options winning', () => {
    const env = {
      MASKFLOW_DEVICE: 'cpu',
      MASKFLOW_INTRA_OP_THREADS: '3',
      MASKFLOW_INTER_OP_THREADS: '2',
      MASKFLOW_MODEL_MEMORY_MB: '512',
    };
    expect(resolveRuntimeConfig({ env })).toMatchObject({
      device: 'cpu',
      intraOpNumThreads: 3,
      interOpNumThreads: 2,
      memoryBudgetBytes: 512 * MB,
      cpuWorkers: 1,
    });
    expect(resolveRuntimeConfig({ env, intraOpNumThreads: 1, device: 'auto' })).toMatchObject({
      device: 'auto',
      intraOpNumThreads: 1,
    });
  });

  it('defaults: auto, one CPU worker, half the RAM, warn when over budget', () => {
    expect(resolveRuntimeConfig({ env: {} })).toMatchObject({
      device: 'auto',
      cpuWorkers: 1,
      intraOpNumThreads: undefined,
      memoryBudgetBytes: Math.floor(totalmem() / 2),
      overBudget: 'warn',
      workerNice: 10,
      sessionConfig: { 'session.intra_op.allow_spinning': '0', 'session.inter_op.allow_spinning': '0' },
    });
    expect(resolveRuntimeConfig({ env: { MASKFLOW_INFERENCE_NICE: '0' } }).workerNice).toBe(0);
    expect(
      resolveRuntimeConfig({ env: {}, sessionConfig: { 'session.intra_op.allow_spinning': '1' } })
        .sessionConfig,
    ).toMatchObject({ 'session.intra_op.allow_spinning': '1' });
  });

  it('splits the cores between CPU workers unless told otherwise', () => {
    expect(
      resolveRuntimeConfig({ env: { MASKFLOW_CPU_WORKERS: '2' } }).intraOpNumThreads,
    ).toBeGreaterThanOrEqual(1);
  });

  it('rejects bad values with the variable name', () => {
    expect(() => resolveRuntimeConfig({ env: { MASKFLOW_INTRA_OP_THREADS: 'many' } })).toThrow(
      /MASKFLOW_INTRA_OP_THREADS=many is invalid/,
    );
    expect(() => resolveRuntimeConfig({ env: { MASKFLOW_MODEL_MEMORY_MB: '-1' } })).toThrow(EnvironmentError);
    expect(() => resolveRuntimeConfig({ env: {}, cpuWorkers: 0 })).toThrow(/MASKFLOW_CPU_WORKERS/);
    expect(() => resolveRuntimeConfig({ env: { MASKFLOW_INFERENCE_NICE: '25' } })).toThrow(
      /MASKFLOW_INFERENCE_NICE/,
    );
  });
});

describe('model footprint', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'maskflow-footprint-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('adds the external data files beside the graph, and only those', async () => {
    writeFileSync(path.join(dir, 'model.onnx'), Buffer.alloc(100));
    writeFileSync(path.join(dir, 'model.onnx_data'), Buffer.alloc(1000));
    writeFileSync(path.join(dir, 'model_fp16.onnx'), Buffer.alloc(10));
    writeFileSync(path.join(dir, 'model_fp16.onnx_data'), Buffer.alloc(10_000));
    writeFileSync(path.join(dir, 'config.json'), '{}');
    expect((await modelFootprint(path.join(dir, 'model.onnx'))).bytes).toBe(1100);
    expect((await modelFootprint(path.join(dir, 'model_fp16.onnx'))).bytes).toBe(10_010);
  });

  it('knows the exporters’ names', () => {
    expect(isExternalDataOf('/m/unet/model.onnx', 'weights.pb')).toBe(true);
    expect(isExternalDataOf('/m/model.onnx', 'model.onnx.data')).toBe(true);
    expect(isExternalDataOf('/m/model.onnx', 'model.onnx_data_1')).toBe(true);
    expect(isExternalDataOf('/m/model.onnx', 'model_q4f16.onnx_data')).toBe(false);
    expect(isExternalDataOf('/m/model.onnx', 'model.onnx')).toBe(false);
  });
});

describe('error classification', () => {
  it('says an export with CUDA-only contrib ops is GPU-only', () => {
    for (const op of ['BiasSplitGelu', 'NhwcConv', 'GroupNorm']) {
      const err = classifyLoadError('unet/model.onnx', {
        name: 'Error',
        message: `Could not find an implementation for ${op}(1) node with name 'n'`,
      });
      expect(err).toBeInstanceOf(GpuOnlyModelError);
      expect(err.message).toMatch(/GPU-only export.*MASKFLOW_DEVICE=cuda/);
    }
  });

  it('sorts other load failures by who must act', () => {
    const c = (message: string) => classifyLoadError('m.onnx', { name: 'Error', message });
    expect(c('Failed to load model because protobuf parsing failed.')).toMatchObject({
      kind: 'environment',
      code: 'model-invalid',
    });
    expect(c("Load model from x failed:Load model x failed. File doesn't exist")).toMatchObject({
      code: 'model-missing',
    });
    expect(c('OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library')).toBeInstanceOf(
      ProviderUnavailableError,
    );
    expect(c('Could not find an implementation for FancyOp(7) node')).toMatchObject({
      code: 'model-unsupported-op',
    });
    expect(c('Failed to allocate memory for requested buffer of size 123')).toMatchObject({
      code: 'out-of-memory',
    });
    expect(c('something new')).toMatchObject({ kind: 'internal' });
    expect(
      classifyRunError('k', { name: 'Error', message: 'Got invalid dimensions for input: x' }),
    ).toBeInstanceOf(UserError);
  });
});

describe('feeds', () => {
  const inputs: ValueMetadata[] = [
    { name: 'x', isTensor: true, type: 'float32', shape: ['batch', 3] },
    { name: 't', isTensor: true, type: 'int64', shape: [] },
  ];
  const good = (): TensorMap => ({
    x: { type: 'float32', dims: [2, 3], data: new Float32Array(6) },
    t: { type: 'int64', dims: [], data: new BigInt64Array([5n]) },
  });

  it('accepts feeds that fit the metadata (symbolic dims, scalars)', () => {
    expect(() => validateFeeds('m', inputs, good())).not.toThrow();
  });

  it('names the model and the input when they do not fit', () => {
    const { t: _t, ...noT } = good();
    expect(() => validateFeeds('m', inputs, noT)).toThrow(/model m: expects inputs \[x, t\].*missing t/);
    expect(() => validateFeeds('m', inputs, { ...good(), y: good().x })).toThrow(/unknown y/);
    expect(() =>
      validateFeeds('m', inputs, { ...good(), t: { type: 'int32', dims: [], data: new Int32Array(1) } }),
    ).toThrow(/input "t" takes int64, got int32/);
    expect(() =>
      validateFeeds('m', inputs, {
        ...good(),
        x: { type: 'float32', dims: [2, 4], data: new Float32Array(8) },
      }),
    ).toThrow(/input "x" has shape \[batch,3\], got dims \[2,4\]/);
    expect(() =>
      validateFeeds('m', inputs, {
        ...good(),
        x: { type: 'float32', dims: [2, 3], data: new Float32Array(5) },
      }),
    ).toThrow(/need 6 elements, data has 5/);
    expect(() =>
      validateFeeds('m', inputs, {
        ...good(),
        x: { type: 'float32', dims: [2, 3], data: new Float64Array(6) as unknown as Float32Array },
      }),
    ).toThrow(/needs a Float32Array, got Float64Array/);
    try {
      validateFeeds('m', inputs, noT);
    } catch (e) {
      expect(e).toMatchObject({ kind: 'user', code: 'model-mismatch' });
    }
  });

  it('checks requested outputs', () => {
    const outputs: ValueMetadata[] = [
      { name: 'y', isTensor: true, type: 'float32', shape: [1] },
      { name: 'd', isTensor: true, type: 'float64', shape: [1] },
    ];
    expect(() => validateOutputs('m', outputs, ['y'])).not.toThrow();
    expect(() => validateOutputs('m', outputs, ['z'])).toThrow(/no output "z"/);
    expect(() => validateOutputs('m', outputs, undefined)).toThrow(/output "d" is float64.*outputs/);
  });

  it('moves whole buffers (detaching them), copies views and keeps buffers on request', () => {
    const whole = new Float32Array([1, 2, 3]);
    const big = new Float32Array([0, 1, 2, 3, 4]);
    const part = big.subarray(1, 4);
    const moved = prepareFeeds({
      a: { type: 'float32', dims: [3], data: whole },
      b: { type: 'float32', dims: [3], data: part },
    });
    expect(whole.length).toBe(0); // detached: the worker owns it now
    expect(Array.from(moved.feeds.a.data as Float32Array)).toEqual([1, 2, 3]);
    expect(Array.from(big)).toEqual([0, 1, 2, 3, 4]); // copied: the caller's larger buffer is untouched
    expect(Array.from(moved.feeds.b.data as Float32Array)).toEqual([1, 2, 3]);
    expect(moved.transfer).toHaveLength(2);

    const kept = new Float32Array([7, 8]);
    prepareFeeds({ a: { type: 'float32', dims: [2], data: kept } }, { keep: true });
    expect(Array.from(kept)).toEqual([7, 8]);

    // The same array fed twice is moved once and shared by both feeds.
    const twice = new Int32Array([4]);
    const both = prepareFeeds({
      a: { type: 'int32', dims: [1], data: twice },
      b: { type: 'int32', dims: [1], data: twice },
    });
    expect(both.transfer).toHaveLength(1);
    expect(both.feeds.a.data[0]).toBe(4);
    expect(both.feeds.b.data[0]).toBe(4);

    // A view into a buffer that another feed moves is copied before the move.
    const base = new Float32Array([1, 2, 3, 4]);
    const mixed = prepareFeeds({
      a: { type: 'float32', dims: [4], data: base },
      b: { type: 'float32', dims: [2], data: base.subarray(2) },
    });
    expect(Array.from(mixed.feeds.a.data as Float32Array)).toEqual([1, 2, 3, 4]);
    expect(Array.from(mixed.feeds.b.data as Float32Array)).toEqual([3, 4]);

    // Posting in the same tick: postMessage's transfer list does the move, so nothing is detached yet.
    const later = new Float32Array([5, 6]);
    const deferred = prepareFeeds({ a: { type: 'float32', dims: [2], data: later } }, { postNow: true });
    expect(deferred.feeds.a.data).toBe(later);
    expect(deferred.transfer).toEqual([later.buffer]);

    // Node Buffers from the shared pool are views: copied, never detached.
    const pooled = Buffer.from([1, 2, 3]);
    prepareFeeds({ a: { type: 'uint8', dims: [3], data: pooled } });
    expect(Array.from(pooled)).toEqual([1, 2, 3]);
  });
});
