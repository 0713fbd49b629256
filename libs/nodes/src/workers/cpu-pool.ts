/**
 * A small pool of worker threads for classical pixel work (OpenCV inpainting,
 * morphology, blur), so it never runs on the event loop that serves HTTP and
 * socket.io. Tasks are named (cpu-tasks.ts) and queue FIFO; each worker runs
 * one at a time. Unlike ONNX Runtime, this work can be interrupted: cancelling
 * a running task terminates its worker, and a fresh one is started for the
 * next task.
 */
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import type { ResourceLimits } from 'node:worker_threads';
import { Worker } from 'node:worker_threads';
import type { WorkerEntry } from '@maskflow/inference';
import { workerEntryIn } from '@maskflow/inference';
import { CancelledError, EnvironmentError, MaskflowError, UserError } from '@maskflow/workflow';
import type { NodeContext } from '../contract';
import type {
  CpuTaskArgs,
  CpuTaskErrorInfo,
  CpuTaskName,
  CpuTaskRequest,
  CpuTaskResult,
  CpuWorkerMessage,
} from './cpu-tasks';
import { runTaskHere } from './cpu-tasks';

/** Below this many pixels a task runs inline: the thread hop (clone, post, wake) costs more than it saves. */
export const CPU_INLINE_MAX_PIXELS = 1_000_000;

/** A CPU worker thread died while running a task (out of memory, a crash in wasm, process.exit). */
export class CpuWorkerCrashedError extends EnvironmentError {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, { code: 'cpu-worker-crashed', cause: opts.cause });
  }
}

/** The CPU worker's entry beside this file (see workerEntryIn). */
export function cpuWorkerEntry(dir = path.dirname(__filename)): WorkerEntry {
  return workerEntryIn(dir, 'cpu.worker');
}

/** Workers from MASKFLOW_CPU_WORKERS, else one core less than the machine has (the event loop keeps one). */
export function defaultCpuWorkers(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.MASKFLOW_CPU_WORKERS;
  if (raw !== undefined && raw.trim() !== '') {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1)
      throw new EnvironmentError(`MASKFLOW_CPU_WORKERS must be a whole number ≥ 1, got "${raw}"`, {
        code: 'bad-config',
      });
    return n;
  }
  return Math.max(1, availableParallelism() - 1);
}

export interface CpuPoolOptions {
  /** Worker threads (default: defaultCpuWorkers()). */
  size?: number;
  resourceLimits?: ResourceLimits;
}

export interface CpuRunOptions {
  signal?: AbortSignal;
  /** Buffers of `args` to move to the worker instead of copying; they are unusable here afterwards. */
  transfer?: ArrayBuffer[];
  onProgress?: (value: number, max: number) => void;
}

export interface CpuPoolStatus {
  size: number;
  alive: number;
  busy: number;
  queued: number;
  done: number;
  crashes: number;
}

interface Job {
  id: number;
  task: CpuTaskName;
  args: unknown;
  options: CpuRunOptions;
  resolve: (result: unknown) => void;
  reject: (err: unknown) => void;
  removeAbortListener?: () => void;
}

interface Slot {
  index: number;
  worker?: Worker;
  job?: Job;
  lastError?: Error;
}

let nextJobId = 1;

function cancelledError(task: string, signal: AbortSignal): CancelledError {
  const reason: unknown = signal.reason;
  const detail =
    reason instanceof Error && reason.name !== 'AbortError'
      ? `: ${reason.message}`
      : typeof reason === 'string'
        ? `: ${reason}`
        : '';
  return new CancelledError(`${task} cancelled${detail}`);
}

/** Rebuilds a worker's error on this side: Maskflow errors keep their class, kind, code and field. */
export function reviveCpuError(task: string, info: CpuTaskErrorInfo): Error {
  const opts = { code: info.code, field: info.field };
  let err: Error;
  if (info.kind === 'user' && info.code === 'cancelled') err = new CancelledError(info.message);
  else if (info.kind === 'user') err = new UserError(info.message, opts);
  else if (info.kind === 'environment') err = new EnvironmentError(info.message, opts);
  else if (info.kind === 'internal')
    err = new MaskflowError('internal', info.code ?? 'internal', info.message, opts);
  else {
    err = new Error(info.message);
    err.name = info.name;
  }
  // Keep where it was thrown: the worker's frames, under a line naming the task.
  const frames = info.stack?.split('\n').filter((l) => l.trimStart().startsWith('at ')) ?? [];
  err.stack = [`${err.name}: ${err.message}`, `    (in CPU worker task ${task})`, ...frames].join('\n');
  return err;
}

export class CpuPool {
  readonly size: number;
  private readonly slots: Slot[];
  private readonly queue: Job[] = [];
  private closed = false;
  private done = 0;
  private crashes = 0;

  constructor(private readonly opts: CpuPoolOptions = {}) {
    this.size = opts.size ?? defaultCpuWorkers();
    if (!Number.isInteger(this.size) || this.size < 1)
      throw new RangeError(`pool size must be ≥ 1, got ${this.size}`);
    this.slots = Array.from({ length: this.size }, (_, index) => ({ index }));
  }

  status(): CpuPoolStatus {
    return {
      size: this.size,
      alive: this.slots.filter((s) => s.worker).length,
      busy: this.slots.filter((s) => s.job).length,
      queued: this.queue.length,
      done: this.done,
      crashes: this.crashes,
    };
  }

  /** Runs a task in a worker. Rejects with CancelledError when `signal` aborts, whether queued or running. */
  run<N extends CpuTaskName>(
    task: N,
    args: CpuTaskArgs<N>,
    options: CpuRunOptions = {},
  ): Promise<CpuTaskResult<N>> {
    return new Promise<CpuTaskResult<N>>((resolve, reject) => {
      if (this.closed) return reject(new CancelledError('the CPU worker pool is closed'));
      const signal = options.signal;
      if (signal?.aborted) return reject(cancelledError(task, signal));
      const job: Job = {
        id: nextJobId++,
        task,
        args,
        options,
        // The worker answers a task with that task's result (cpu.worker.ts).
        resolve: (result) => resolve(result as CpuTaskResult<N>),
        reject,
      };
      if (signal) {
        const onAbort = (): void => this.abort(job, signal);
        signal.addEventListener('abort', onAbort, { once: true });
        job.removeAbortListener = () => signal.removeEventListener('abort', onAbort);
      }
      this.queue.push(job);
      this.pump();
    });
  }

  /** Rejects everything pending and stops the threads; the pool refuses tasks afterwards. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const closing = new CancelledError('the CPU worker pool is closed');
    for (const job of this.queue.splice(0)) this.settle(job, closing);
    const workers: Worker[] = [];
    for (const slot of this.slots) {
      if (slot.job) this.settle(slot.job, closing);
      slot.job = undefined;
      if (slot.worker) workers.push(slot.worker);
      slot.worker = undefined;
    }
    await Promise.all(workers.map((w) => w.terminate()));
  }

  private pump(): void {
    if (this.closed) return;
    for (const slot of this.slots) {
      if (this.queue.length === 0) break;
      if (slot.job) continue;
      this.start(slot, this.queue.shift()!);
    }
  }

  private start(slot: Slot, job: Job): void {
    const worker = this.spawn(slot);
    slot.job = job;
    worker.ref();
    const request: CpuTaskRequest = { id: job.id, task: job.task, args: job.args };
    try {
      worker.postMessage(request, job.options.transfer ?? []);
    } catch (err) {
      // Arguments that cannot be cloned (e.g. a detached buffer) fail this task only.
      slot.job = undefined;
      worker.unref();
      this.settle(job, reviveCpuError(job.task, { name: 'DataCloneError', message: String(err) }));
    }
  }

  private spawn(slot: Slot): Worker {
    if (slot.worker) return slot.worker;
    const entry = cpuWorkerEntry();
    const worker = new Worker(entry.file, {
      execArgv: entry.execArgv,
      resourceLimits: this.opts.resourceLimits,
      name: `maskflow-cpu-${slot.index}`,
    });
    slot.worker = worker;
    slot.lastError = undefined;
    worker.on('message', (m: CpuWorkerMessage) => this.onMessage(slot, worker, m));
    worker.on('error', (err) => {
      if (slot.worker === worker) slot.lastError = err;
    });
    worker.on('exit', (code) => this.onExit(slot, worker, code));
    // Idle workers never keep a process (a CLI run, jest) alive; start() refs while a task runs.
    worker.unref();
    return worker;
  }

  private onMessage(slot: Slot, worker: Worker, m: CpuWorkerMessage): void {
    const job = slot.job;
    if (slot.worker !== worker || !job || job.id !== m.id) return;
    if (m.type === 'progress') {
      job.options.onProgress?.(m.value, m.max);
      return;
    }
    slot.job = undefined;
    worker.unref();
    this.done++;
    if (m.type === 'done') {
      job.removeAbortListener?.();
      job.resolve(m.result);
    } else {
      this.settle(job, reviveCpuError(job.task, m.error));
    }
    this.pump();
  }

  private abort(job: Job, signal: AbortSignal): void {
    const i = this.queue.indexOf(job);
    if (i >= 0) {
      this.queue.splice(i, 1);
      this.settle(job, cancelledError(job.task, signal));
      return;
    }
    const slot = this.slots.find((s) => s.job === job);
    if (!slot) return;
    // Running: stop the thread mid-task rather than wait for it; the next task gets a fresh worker.
    const worker = slot.worker;
    slot.job = undefined;
    slot.worker = undefined;
    this.settle(job, cancelledError(job.task, signal));
    if (worker) void worker.terminate();
    this.pump();
  }

  private onExit(slot: Slot, worker: Worker, code: number): void {
    if (slot.worker !== worker) return; // terminated on purpose (cancel, close)
    slot.worker = undefined;
    const job = slot.job;
    slot.job = undefined;
    this.crashes++;
    if (job) {
      const err = slot.lastError;
      const oom = (err as { code?: unknown } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY';
      const reason = oom ? 'out of memory' : err ? err.message : `exit code ${code}`;
      this.settle(
        job,
        new CpuWorkerCrashedError(
          `CPU worker ${slot.index} stopped unexpectedly (${reason}) while running ${job.task}; ` +
            'the task failed and the worker is restarted for the next one. If this repeats, the image may be ' +
            'too large for the memory available.',
          { cause: err },
        ),
      );
    }
    // Respawned lazily: the next task starts a fresh worker in this slot.
    this.pump();
  }

  private settle(job: Job, err: unknown): void {
    job.removeAbortListener?.();
    job.reject(err);
  }
}

let shared: CpuPool | undefined;

/** The process-wide pool the nodes use; no thread starts before the first task. */
export function cpuPool(): CpuPool {
  shared ??= new CpuPool();
  return shared;
}

/** Closes the shared pool (host shutdown, tests); the next cpuPool() call makes a new one. */
export async function closeCpuPool(): Promise<void> {
  const pool = shared;
  shared = undefined;
  await pool?.close();
}

/**
 * Runs a task for a node: inline below CPU_INLINE_MAX_PIXELS (cancellation
 * is checked between steps), otherwise in the shared pool (cancellation
 * stops the worker). Progress goes to the node's context either way.
 */
export async function runCpuTask<N extends CpuTaskName>(
  ctx: Pick<NodeContext, 'signal' | 'throwIfAborted' | 'progress'>,
  task: N,
  args: CpuTaskArgs<N>,
  opts: { pixels: number; transfer?: ArrayBuffer[]; inlineMaxPixels?: number },
): Promise<CpuTaskResult<N>> {
  ctx.throwIfAborted();
  const progress = (value: number, max: number): void => ctx.progress(value, max);
  if (opts.pixels < (opts.inlineMaxPixels ?? CPU_INLINE_MAX_PIXELS))
    return runTaskHere(task, args, { throwIfAborted: () => ctx.throwIfAborted(), progress });
  return cpuPool().run(task, args, { signal: ctx.signal, transfer: opts.transfer, onProgress: progress });
}
