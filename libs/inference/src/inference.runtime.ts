/**
 * The one owner of ONNX Runtime sessions. Sessions live in worker threads (one
 * queue per worker: the CUDA lane has one worker, the CPU lane `cpuWorkers`);
 * this class, on the main thread, keeps the book: which model is loaded where,
 * who holds it, what is in use, and the memory budget it unloads idle models
 * against, least recently used first.
 */
import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import { CancelledError, EnvironmentError } from '@maskflow/workflow';
import type { DeviceProbe, ExecutionProvider, ResolvedDevice } from './device.resolver';
import { resolveDevice, systemDeviceProbe } from './device.resolver';
import type { WorkerErrorInfo } from './inference.errors';
import {
  classifyLoadError,
  classifyRunError,
  CUDA_INSTALL_FIX,
  GpuOnlyModelError,
  InferenceInternalError,
  ProviderUnavailableError,
} from './inference.errors';
import { prepareFeeds, validateFeeds, validateOutputs } from './feeds.util';
import { modelFootprint } from './model-files.util';
import type {
  GraphOptimizationLevel,
  InferenceLogger,
  InferenceRuntimeOptions,
  RuntimeConfig,
} from './runtime.options';
import { consoleLogger, MB, resolveRuntimeConfig } from './runtime.options';
import type { TensorMap, ValueMetadata } from './tensor.types';
import type { WorkerStatus } from './worker.client';
import { cancelledError, WorkerClient } from './worker.client';
import type { SessionSettings } from './worker.protocol';

export interface LoadOptions {
  /** Identity of the loaded session; default: the absolute file path plus the session settings. */
  key?: string;
  /** Providers in order of preference; default: the runtime's device. */
  providers?: ExecutionProvider[];
  graphOptimizationLevel?: GraphOptimizationLevel;
  intraOpNumThreads?: number;
  interOpNumThreads?: number;
  executionMode?: 'sequential' | 'parallel';
  freeDimensionOverrides?: Record<string, number>;
  deviceId?: number;
  /** ONNX Runtime session config entries for this model, over the runtime's `sessionConfig`. */
  sessionConfig?: Record<string, string>;
  /** Memory this model takes, when the file-size estimate is wrong (e.g. unusual external-data names). */
  bytes?: number;
  /** Cancels the load while it waits in the queue (a load already in the worker completes, then is released). */
  signal?: AbortSignal;
}

export interface RunOptions {
  /** Aborting rejects with CancelledError: a queued run never starts; a running one finishes in the worker and its result is dropped. */
  signal?: AbortSignal;
  /** Outputs to fetch (default: all). */
  outputs?: string[];
  /** Copy the feeds instead of moving them: the caller's buffers stay usable (costs a copy). */
  keepFeeds?: boolean;
}

export interface RunResult {
  outputs: TensorMap;
  /** The execution provider the session ran on. */
  provider: ExecutionProvider;
  /** Time inside session.run, in the worker. */
  ms: number;
  /** Time from run() to the result, including queueing and transfers. */
  totalMs: number;
}

/** A caller's reference to a loaded model; release it with `runtime.unload(handle)` or `handle.dispose()`. */
export interface ModelHandle {
  readonly key: string;
  readonly file: string;
  /** Estimated memory (model file plus external data). */
  readonly bytes: number;
  /** The execution provider the session was created with. */
  readonly provider: ExecutionProvider;
  readonly inputMetadata: readonly ValueMetadata[];
  readonly outputMetadata: readonly ValueMetadata[];
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  dispose(): Promise<void>;
}

export interface ModelStatus {
  key: string;
  file: string;
  bytes: number;
  provider: ExecutionProvider;
  /** 'unloaded': evicted (LRU) or lost with a crashed worker; reloaded on its next run. */
  state: 'loading' | 'loaded' | 'unloaded';
  /** Handles holding it. */
  refs: number;
  /** Running or queued work: never unloaded while true. */
  inUse: boolean;
  runs: number;
  lastUsed: string;
  worker?: string;
}

export interface InferenceStatus {
  /** Undefined until the first load resolves the device. */
  device?: ResolvedDevice;
  budgetBytes: number;
  usedBytes: number;
  workers: Array<WorkerStatus & { provider: ExecutionProvider }>;
  models: ModelStatus[];
}

/** What nodes use through `ctx.services`. */
export interface InferenceService {
  load(file: string, options?: LoadOptions): Promise<ModelHandle>;
  run(handle: ModelHandle, feeds: TensorMap, options?: RunOptions): Promise<RunResult>;
  unload(handle: ModelHandle): Promise<void>;
  status(): InferenceStatus;
}

interface ModelEntry {
  key: string;
  file: string;
  settings: SessionSettings;
  /** The providers were chosen by the caller, so there is no silent CPU fallback. */
  explicitProviders: boolean;
  bytes: number;
  provider: ExecutionProvider;
  state: 'loading' | 'loaded' | 'unloaded';
  sessionId: number;
  worker?: WorkerClient;
  loading?: Promise<void>;
  loadAbort?: AbortController;
  inputMetadata: ValueMetadata[];
  outputMetadata: ValueMetadata[];
  refs: number;
  /** Jobs submitted for this session and not yet finished in the worker. */
  active: number;
  runs: number;
  lastUsed: number;
  released: boolean;
}

class Lease implements ModelHandle {
  released = false;
  constructor(
    readonly entry: ModelEntry,
    readonly owner: InferenceRuntime,
  ) {}
  get key(): string {
    return this.entry.key;
  }
  get file(): string {
    return this.entry.file;
  }
  get bytes(): number {
    return this.entry.bytes;
  }
  get provider(): ExecutionProvider {
    return this.entry.provider;
  }
  get inputMetadata(): readonly ValueMetadata[] {
    return this.entry.inputMetadata;
  }
  get outputMetadata(): readonly ValueMetadata[] {
    return this.entry.outputMetadata;
  }
  get inputNames(): readonly string[] {
    return this.entry.inputMetadata.map((m) => m.name);
  }
  get outputNames(): readonly string[] {
    return this.entry.outputMetadata.map((m) => m.name);
  }
  dispose(): Promise<void> {
    return this.owner.unload(this);
  }
}

function raceAbort<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(cancelledError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(cancelledError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

const mb = (bytes: number): string => `${(bytes / MB).toFixed(bytes < 10 * MB ? 2 : 0)} MB`;

export class InferenceRuntime implements InferenceService {
  private readonly config: RuntimeConfig;
  private readonly log: InferenceLogger;
  private readonly probe: DeviceProbe;
  private resolved?: ResolvedDevice;
  private readonly entries = new Map<string, ModelEntry>();
  private readonly lanes = new Map<ExecutionProvider, WorkerClient[]>();
  private nextSessionId = 1;
  private closed = false;

  constructor(options: InferenceRuntimeOptions = {}) {
    this.config = resolveRuntimeConfig(options);
    this.log = options.logger ?? consoleLogger;
    this.probe = options.deviceProbe ?? systemDeviceProbe;
  }

  /** The execution provider `device` resolves to; throws ProviderUnavailableError for an impossible `cuda`. */
  device(): ResolvedDevice {
    if (!this.resolved) {
      this.resolved = resolveDevice(this.config.device, this.probe);
      this.log.info(`device: ${this.resolved.provider} (${this.resolved.reason})`);
    }
    return this.resolved;
  }

  /**
   * Loads a model (or returns the session already loaded under the same key) and
   * takes a reference to it. Every call must be matched by one `unload`.
   */
  async load(file: string, options: LoadOptions = {}): Promise<ModelHandle> {
    this.assertOpen();
    if (options.signal?.aborted) throw cancelledError(options.signal);
    const device = this.device();
    const abs = path.resolve(file);
    const settings = this.sessionSettings(device, options);
    const key = options.key ?? defaultKey(abs, settings, options);
    let entry = this.entries.get(key);
    if (entry && entry.file !== abs) {
      throw new InferenceInternalError(`model key "${key}" is already used for ${entry.file}, not ${abs}`, {
        code: 'key-conflict',
      });
    }
    if (!entry) {
      const bytes = options.bytes ?? (await this.footprint(abs));
      this.assertOpen();
      // Another load of the same key may have started while the file was measured.
      entry = this.entries.get(key) ?? this.createEntry(key, abs, settings, options, bytes);
    }
    const lease = new Lease(entry, this);
    entry.refs++;
    try {
      await raceAbort(this.ensureLoaded(entry), options.signal);
    } catch (err) {
      await this.unload(lease);
      throw err;
    }
    return lease;
  }

  /**
   * Runs a loaded model in its worker. Feeds are moved, not copied: see
   * `RunOptions.keepFeeds`. Reloads the model first if it was unloaded to make room.
   */
  async run(handle: ModelHandle, feeds: TensorMap, options: RunOptions = {}): Promise<RunResult> {
    const t0 = performance.now();
    this.assertOpen();
    const entry = this.leaseOf(handle).entry;
    if (options.signal?.aborted) throw cancelledError(options.signal);
    validateFeeds(entry.key, entry.inputMetadata, feeds);
    validateOutputs(entry.key, entry.outputMetadata, options.outputs);
    // Loaded on an idle worker: the job is posted before run() returns, so postMessage itself can move the buffers.
    const postNow = entry.state === 'loaded' && entry.worker !== undefined && entry.worker.pending === 0;
    const prepared = prepareFeeds(feeds, { keep: options.keepFeeds, postNow });
    entry.active++;
    entry.lastUsed = Date.now();
    let submitted = false;
    try {
      // A crash between the reload and the submit unloads it again: one more try, then give up.
      for (let attempt = 0; entry.state !== 'loaded' && attempt < 2; attempt++) {
        await raceAbort(this.ensureLoaded(entry), options.signal);
      }
      const worker = entry.worker;
      if (entry.state !== 'loaded' || !worker)
        throw new InferenceInternalError(`model ${entry.key} could not be kept loaded`);
      const provider = entry.provider;
      const pending = worker.submit(
        { op: 'run', sessionId: entry.sessionId, feeds: prepared.feeds, outputs: options.outputs },
        {
          transfer: prepared.transfer,
          signal: options.signal,
          description: `running ${entry.key}`,
          classifyError: (info) => classifyRunError(entry.key, info),
          onSettled: (outcome) => {
            entry.active--;
            entry.lastUsed = Date.now();
            if (outcome === 'done') entry.runs++;
          },
        },
      );
      submitted = true;
      const reply = await pending;
      this.log.debug?.(`ran ${path.basename(entry.file)} on ${provider} in ${reply.ms.toFixed(1)} ms`);
      return { outputs: reply.outputs, provider, ms: reply.ms, totalMs: performance.now() - t0 };
    } finally {
      if (!submitted) entry.active--;
    }
  }

  /**
   * Releases a handle. When no handle holds the model any more, its session is
   * disposed (after any work already queued for it). Releasing twice is a no-op.
   */
  async unload(handle: ModelHandle): Promise<void> {
    const lease = this.leaseOf(handle, true);
    if (lease.released) return;
    lease.released = true;
    const entry = lease.entry;
    entry.refs--;
    if (entry.refs > 0) return;
    entry.released = true;
    if (this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
    if (entry.state === 'loading') {
      // Drops the load if it is still queued; if it is running, the unload queued behind it disposes it.
      entry.loadAbort?.abort();
      await entry.loading?.catch(() => undefined);
      return;
    }
    if (entry.state === 'loaded') await this.disposeSession(entry, 'released');
  }

  status(): InferenceStatus {
    const workers: InferenceStatus['workers'] = [];
    for (const [provider, clients] of this.lanes)
      for (const c of clients) workers.push({ ...c.status(), provider });
    return {
      device: this.resolved,
      budgetBytes: this.config.memoryBudgetBytes,
      usedBytes: this.usedBytes(),
      workers,
      models: [...this.entries.values()].map((e) => ({
        key: e.key,
        file: e.file,
        bytes: e.bytes,
        provider: e.provider,
        state: e.state,
        refs: e.refs,
        inUse: e.active > 0 || e.state === 'loading',
        runs: e.runs,
        lastUsed: new Date(e.lastUsed).toISOString(),
        worker: e.worker?.label,
      })),
    };
  }

  /** Rejects pending work with CancelledError and stops every worker. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const clients = [...this.lanes.values()].flat();
    this.lanes.clear();
    this.entries.clear();
    await Promise.all(clients.map((c) => c.close()));
  }

  /** Ends a worker thread as a crash would, to check recovery (tests, operators). */
  simulateWorkerCrash(provider: ExecutionProvider = 'cpu', index = 0): void {
    const client = this.lanes.get(provider)?.[index];
    if (!client) throw new InferenceInternalError(`no ${provider} worker #${index} to crash`);
    client.simulateCrash();
  }

  private assertOpen(): void {
    if (this.closed) throw new CancelledError('the inference runtime is closed');
  }

  private leaseOf(handle: ModelHandle, allowReleased = false): Lease {
    if (!(handle instanceof Lease) || handle.owner !== this) {
      throw new InferenceInternalError('not a handle from InferenceRuntime.load()', { code: 'bad-handle' });
    }
    if (handle.released && !allowReleased) {
      throw new InferenceInternalError(
        `model ${handle.key} was unloaded through this handle; load it again`,
        {
          code: 'model-unloaded',
        },
      );
    }
    return handle;
  }

  private sessionSettings(device: ResolvedDevice, o: LoadOptions): SessionSettings {
    const providers = o.providers && o.providers.length > 0 ? [...o.providers] : [device.provider];
    if (providers.includes('cuda') && device.provider !== 'cuda') {
      const cuda = this.probe.cudaProvider();
      if (!cuda.ok)
        throw new ProviderUnavailableError(
          `the cuda provider was requested for a model, but ${cuda.detail}; ${CUDA_INSTALL_FIX}`,
        );
    }
    return {
      providers,
      graphOptimizationLevel: o.graphOptimizationLevel,
      intraOpNumThreads: o.intraOpNumThreads ?? this.config.intraOpNumThreads,
      interOpNumThreads: o.interOpNumThreads ?? this.config.interOpNumThreads,
      executionMode: o.executionMode,
      freeDimensionOverrides: o.freeDimensionOverrides,
      deviceId: o.deviceId,
      sessionConfig: { ...this.config.sessionConfig, ...o.sessionConfig },
    };
  }

  private async footprint(file: string): Promise<number> {
    try {
      await stat(file);
    } catch (err) {
      throw new EnvironmentError(`model file not found: ${file}`, { code: 'model-missing', cause: err });
    }
    return (await modelFootprint(file)).bytes;
  }

  private createEntry(
    key: string,
    file: string,
    settings: SessionSettings,
    o: LoadOptions,
    bytes: number,
  ): ModelEntry {
    const entry: ModelEntry = {
      key,
      file,
      settings,
      explicitProviders: o.providers !== undefined && o.providers.length > 0,
      bytes,
      provider: settings.providers[0],
      state: 'unloaded',
      sessionId: 0,
      inputMetadata: [],
      outputMetadata: [],
      refs: 0,
      active: 0,
      runs: 0,
      lastUsed: Date.now(),
      released: false,
    };
    this.entries.set(key, entry);
    return entry;
  }

  private usedBytes(): number {
    let used = 0;
    for (const e of this.entries.values()) if (e.state !== 'unloaded') used += e.bytes;
    return used;
  }

  private ensureLoaded(entry: ModelEntry): Promise<void> {
    if (entry.state === 'loaded') return Promise.resolve();
    if (entry.state === 'loading' && entry.loading) return entry.loading;
    const loading = this.startLoad(entry).finally(() => {
      if (entry.loading === loading) entry.loading = undefined;
    });
    entry.loading = loading;
    return loading;
  }

  /**
   * Unloads idle models, least recently used first, until `bytes` more fit.
   * Synchronous with marking the new model as loading, so two concurrent loads
   * cannot both count on the same free space.
   */
  private makeRoom(entry: ModelEntry): void {
    const budget = this.config.memoryBudgetBytes;
    let used = this.usedBytes();
    if (used + entry.bytes <= budget) return;
    const idle = [...this.entries.values()]
      .filter((e) => e !== entry && e.state === 'loaded' && e.active === 0)
      .sort((a, b) => a.lastUsed - b.lastUsed);
    for (const victim of idle) {
      if (used + entry.bytes <= budget) break;
      used -= victim.bytes;
      this.log.info(
        `unloading ${victim.key} (${mb(victim.bytes)}, idle ${((Date.now() - victim.lastUsed) / 1000).toFixed(1)} s) to make room for ${entry.key}`,
      );
      void this.disposeSession(victim, 'evicted');
    }
    if (used + entry.bytes <= budget) return;
    const message =
      `loading ${entry.key} (${mb(entry.bytes)}) exceeds the model memory budget of ${mb(budget)}: ` +
      `${mb(used)} is held by models in use. Raise MASKFLOW_MODEL_MEMORY_MB or run fewer models at once.`;
    if (this.config.overBudget === 'error') throw new EnvironmentError(message, { code: 'memory-budget' });
    this.log.warn(`${message} Loading anyway.`);
  }

  private async disposeSession(entry: ModelEntry, why: 'evicted' | 'released'): Promise<void> {
    const worker = entry.worker;
    const sessionId = entry.sessionId;
    entry.state = 'unloaded';
    entry.worker = undefined;
    if (!worker) return;
    try {
      await worker.submit({ op: 'unload', sessionId }, { description: `unloading ${entry.key} (${why})` });
    } catch (err) {
      if (!(err instanceof CancelledError))
        this.log.warn(`unloading ${entry.key} failed: ${(err as Error).message}`);
    }
  }

  private async startLoad(entry: ModelEntry): Promise<void> {
    this.makeRoom(entry);
    entry.state = 'loading';
    try {
      await this.loadOn(entry, entry.settings);
    } catch (err) {
      const fallback =
        !entry.explicitProviders &&
        this.resolved?.setting === 'auto' &&
        entry.settings.providers[0] === 'cuda' &&
        !entry.released &&
        !(err instanceof CancelledError) &&
        !(err instanceof GpuOnlyModelError) &&
        !(err instanceof EnvironmentError && ['model-missing', 'model-invalid'].includes(err.code));
      if (!fallback) {
        entry.state = 'unloaded';
        throw err;
      }
      this.log.warn(
        `${entry.key}: the CUDA provider failed (${(err as Error).message}); falling back to CPU`,
      );
      const cpu: SessionSettings = { ...entry.settings, providers: ['cpu'] };
      try {
        await this.loadOn(entry, cpu);
        entry.settings = cpu;
      } catch (cpuErr) {
        entry.state = 'unloaded';
        throw cpuErr;
      }
    }
  }

  private async loadOn(entry: ModelEntry, settings: SessionSettings): Promise<void> {
    const provider = settings.providers[0];
    const worker = this.pickWorker(provider);
    const sessionId = this.nextSessionId++;
    const abort = new AbortController();
    entry.loadAbort = abort;
    entry.sessionId = sessionId;
    entry.worker = worker;
    entry.active++;
    try {
      const reply = await worker.submit(
        { op: 'load', sessionId, file: entry.file, settings },
        {
          signal: abort.signal,
          description: `loading ${entry.key}`,
          classifyError: (info: WorkerErrorInfo) => classifyLoadError(entry.file, info),
          onSettled: () => {
            entry.active--;
          },
        },
      );
      if (entry.released || this.closed) {
        await worker
          .submit(
            { op: 'unload', sessionId },
            { description: `unloading ${entry.key} (released while loading)` },
          )
          .catch(() => undefined);
        throw new CancelledError(`loading ${entry.key} was cancelled`);
      }
      entry.inputMetadata = reply.inputMetadata;
      entry.outputMetadata = reply.outputMetadata;
      entry.provider = provider;
      entry.state = 'loaded';
      entry.lastUsed = Date.now();
      this.log.info(
        `loaded ${entry.file} (${mb(entry.bytes)}) on ${provider} in ${reply.ms.toFixed(0)} ms [worker ${worker.label}]`,
      );
    } catch (err) {
      entry.worker = undefined;
      if (err instanceof CancelledError && entry.released && !this.closed) {
        // A load cancelled while already in the worker still creates the session: dispose it behind the load.
        void worker
          .submit({ op: 'unload', sessionId }, { description: `unloading ${entry.key} (cancelled load)` })
          .catch(() => undefined);
      }
      throw err;
    } finally {
      if (entry.loadAbort === abort) entry.loadAbort = undefined;
    }
  }

  private lane(provider: ExecutionProvider): WorkerClient[] {
    let clients = this.lanes.get(provider);
    if (!clients) {
      // One queue per device: a GPU runs one model at a time; CPU may have more workers if configured.
      const count = provider === 'cpu' ? this.config.cpuWorkers : 1;
      clients = Array.from(
        { length: count },
        (_, i) =>
          new WorkerClient({
            label: `${provider}#${i}`,
            // The CUDA worker mostly waits on the GPU; lowering it would only delay kernel launches.
            init: {
              ortLogLevel: this.config.ortLogLevel,
              label: `${provider}#${i}`,
              nice: provider === 'cpu' ? this.config.workerNice : 0,
            },
            resourceLimits: this.config.workerResourceLimits,
            onCrash: (client, error) => this.onWorkerCrash(client, error),
          }),
      );
      this.lanes.set(provider, clients);
    }
    return clients;
  }

  /** The worker holding the fewest model bytes, then the shortest queue. */
  private pickWorker(provider: ExecutionProvider): WorkerClient {
    const clients = this.lane(provider);
    if (clients.length === 1) return clients[0];
    const held = new Map<WorkerClient, number>(clients.map((c) => [c, 0]));
    for (const e of this.entries.values())
      if (e.worker && e.state !== 'unloaded') held.set(e.worker, (held.get(e.worker) ?? 0) + e.bytes);
    return [...clients].sort((a, b) => (held.get(a) ?? 0) - (held.get(b) ?? 0) || a.pending - b.pending)[0];
  }

  private onWorkerCrash(client: WorkerClient, error: Error): void {
    this.log.warn(error.message);
    for (const e of this.entries.values()) {
      if (e.worker === client && e.state === 'loaded') {
        e.state = 'unloaded';
        e.worker = undefined;
      }
    }
  }
}

function defaultKey(file: string, s: SessionSettings, o: LoadOptions): string {
  const extras: string[] = [];
  if (o.graphOptimizationLevel) extras.push(`opt=${o.graphOptimizationLevel}`);
  if (o.intraOpNumThreads) extras.push(`intra=${o.intraOpNumThreads}`);
  if (o.interOpNumThreads) extras.push(`inter=${o.interOpNumThreads}`);
  if (o.executionMode) extras.push(`mode=${o.executionMode}`);
  if (o.deviceId !== undefined) extras.push(`gpu=${o.deviceId}`);
  if (o.sessionConfig && Object.keys(o.sessionConfig).length > 0) {
    const entries = Object.entries(o.sessionConfig).sort(([a], [b]) => a.localeCompare(b));
    extras.push(`config=${entries.map(([k, v]) => `${k}:${v}`).join(',')}`);
  }
  if (o.freeDimensionOverrides) {
    const dims = Object.entries(o.freeDimensionOverrides).sort(([a], [b]) => a.localeCompare(b));
    extras.push(`dims=${dims.map(([k, v]) => `${k}:${v}`).join(',')}`);
  }
  return `${file}|${s.providers.join(',')}${extras.length ? `|${extras.join('|')}` : ''}`;
}
