/**
 * One inference worker thread and its FIFO queue. Jobs are sent one at a time,
 * so work still waiting here can be cancelled without ever reaching ONNX
 * Runtime; a job already in the worker runs to the end (session.run cannot be
 * interrupted), and if its caller aborted, its result is dropped on arrival.
 */
import * as path from 'node:path';
import type { ResourceLimits } from 'node:worker_threads';
import { Worker } from 'node:worker_threads';
import { CancelledError } from '@maskflow/workflow';
import type { WorkerErrorInfo } from './inference.errors';
import { InferenceInternalError, InferenceWorkerCrashedError } from './inference.errors';
import type { WorkerEntry } from './worker-entry';
import { workerEntryIn } from './worker-entry';
import type {
  LoadReply,
  RunReply,
  UnloadReply,
  WorkerInit,
  WorkerMessage,
  WorkerReply,
  WorkerRequest,
} from './worker.protocol';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type NewRequest = DistributiveOmit<WorkerRequest, 'id'>;
type ReplyFor<Op> = Op extends 'load' ? LoadReply : Op extends 'run' ? RunReply : UnloadReply;

/** How a job left the queue: 'done' means the worker executed it, even if its caller had given up. */
export type JobOutcome = 'done' | 'failed' | 'cancelled' | 'crashed';

export interface SubmitOptions {
  transfer?: ArrayBuffer[];
  signal?: AbortSignal;
  /** Shown in crash messages, e.g. "running unet/model.onnx". */
  description: string;
  /** Called once when the worker is done with the job (or it left the queue): the session is free again. */
  onSettled?: (outcome: JobOutcome) => void;
  /** Turns the worker's error report into the error the caller sees (default: internal). */
  classifyError?: (info: WorkerErrorInfo) => Error;
}

interface Job {
  id: number;
  request: NewRequest;
  options: SubmitOptions;
  resolve: (reply: WorkerReply) => void;
  reject: (err: unknown) => void;
  /** The caller's promise is settled (possibly early, on abort). */
  answered: boolean;
  removeAbortListener?: () => void;
}

export interface WorkerClientOptions {
  label: string;
  init: WorkerInit;
  resourceLimits?: ResourceLimits;
  onCrash: (client: WorkerClient, error: InferenceWorkerCrashedError) => void;
}

export interface WorkerStatus {
  label: string;
  alive: boolean;
  queued: number;
  running: boolean;
  jobsDone: number;
  crashes: number;
}

/** The inference worker's entry beside this file (see workerEntryIn). */
export function workerEntry(dir = path.dirname(__filename)): WorkerEntry {
  return workerEntryIn(dir, 'inference.worker');
}

export function cancelledError(signal: AbortSignal): CancelledError {
  const reason: unknown = signal.reason;
  const detail =
    reason instanceof Error && reason.name !== 'AbortError'
      ? `: ${reason.message}`
      : typeof reason === 'string'
        ? `: ${reason}`
        : '';
  return new CancelledError(`inference cancelled${detail}`);
}

let nextJobId = 1;

export class WorkerClient {
  readonly label: string;
  private worker?: Worker;
  private ready = false;
  private readonly queue: Job[] = [];
  private running?: Job;
  private closed = false;
  private lastError?: Error;
  private jobsDone = 0;
  private crashes = 0;

  constructor(private readonly opts: WorkerClientOptions) {
    this.label = opts.label;
  }

  /** Jobs queued or running. */
  get pending(): number {
    return this.queue.length + (this.running ? 1 : 0);
  }

  status(): WorkerStatus {
    return {
      label: this.label,
      alive: this.worker !== undefined,
      queued: this.queue.length,
      running: this.running !== undefined,
      jobsDone: this.jobsDone,
      crashes: this.crashes,
    };
  }

  submit<Q extends NewRequest>(request: Q, options: SubmitOptions): Promise<ReplyFor<Q['op']>> {
    return new Promise<ReplyFor<Q['op']>>((resolve, reject) => {
      if (this.closed) {
        options.onSettled?.('cancelled');
        reject(new CancelledError('the inference runtime is closed'));
        return;
      }
      if (options.signal?.aborted) {
        options.onSettled?.('cancelled');
        reject(cancelledError(options.signal));
        return;
      }
      const job: Job = {
        id: nextJobId++,
        request,
        options,
        // The worker answers a request with the reply of the same op (see inference.worker.ts).
        resolve: (reply) => resolve(reply as ReplyFor<Q['op']>),
        reject,
        answered: false,
      };
      const signal = options.signal;
      if (signal) {
        const onAbort = (): void => this.abort(job, signal);
        signal.addEventListener('abort', onAbort, { once: true });
        job.removeAbortListener = () => signal.removeEventListener('abort', onAbort);
      }
      this.queue.push(job);
      this.pump();
    });
  }

  /** Rejects everything pending and stops the thread. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const jobs = [...(this.running ? [this.running] : []), ...this.queue.splice(0)];
    this.running = undefined;
    for (const job of jobs)
      this.finish(job, 'cancelled', new CancelledError('the inference runtime is closed'));
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }

  /** Ends the worker thread as a crash would (tests, and operators checking recovery). */
  simulateCrash(code = 70): void {
    this.spawn().postMessage({ op: 'exit', id: 0, code } satisfies WorkerRequest);
  }

  private spawn(): Worker {
    if (this.worker) return this.worker;
    const entry = workerEntry();
    const worker = new Worker(entry.file, {
      workerData: this.opts.init,
      execArgv: entry.execArgv,
      resourceLimits: this.opts.resourceLimits,
    });
    this.ready = false;
    this.lastError = undefined;
    worker.on('message', (m: WorkerMessage) => this.onMessage(m));
    worker.on('error', (err) => {
      this.lastError = err;
    });
    worker.on('exit', (code) => this.onExit(worker, code));
    this.worker = worker;
    this.updateRef();
    return worker;
  }

  private pump(): void {
    if (this.running || this.closed) return;
    const job = this.queue.shift();
    if (!job) {
      this.updateRef();
      return;
    }
    const worker = this.spawn();
    this.running = job;
    this.updateRef();
    try {
      worker.postMessage({ ...job.request, id: job.id }, job.options.transfer ?? []);
    } catch (err) {
      // A feed that cannot be cloned (e.g. a detached buffer) fails this job only.
      this.running = undefined;
      this.finish(
        job,
        'failed',
        this.classify(job, {
          name: 'DataCloneError',
          message: err instanceof Error ? err.message : String(err),
        }),
      );
      this.pump();
    }
  }

  private onMessage(m: WorkerMessage): void {
    if ('op' in m && m.op === 'ready') {
      this.ready = true;
      return;
    }
    const reply = m;
    const job = this.running;
    if (!job || job.id !== reply.id) return;
    this.running = undefined;
    this.jobsDone++;
    if (reply.ok) {
      job.options.onSettled?.('done');
      job.removeAbortListener?.();
      if (!job.answered) {
        job.answered = true;
        job.resolve(reply);
      }
    } else {
      this.finish(job, 'failed', this.classify(job, reply.error));
    }
    this.pump();
  }

  private abort(job: Job, signal: AbortSignal): void {
    const i = this.queue.indexOf(job);
    if (i >= 0) {
      // Still waiting: it never reaches the worker.
      this.queue.splice(i, 1);
      this.finish(job, 'cancelled', cancelledError(signal));
      this.updateRef();
      return;
    }
    if (this.running === job && !job.answered) {
      // Already in ONNX Runtime, which cannot be interrupted: answer now, drop the result when it arrives.
      job.answered = true;
      job.reject(cancelledError(signal));
    }
  }

  private classify(job: Job, info: WorkerErrorInfo): Error {
    if (job.options.classifyError) return job.options.classifyError(info);
    return new InferenceInternalError(`${job.options.description} failed: ${info.message}`);
  }

  private finish(job: Job, outcome: JobOutcome, err: unknown): void {
    job.removeAbortListener?.();
    job.options.onSettled?.(outcome);
    if (!job.answered) {
      job.answered = true;
      job.reject(err);
    }
  }

  private onExit(worker: Worker, code: number): void {
    if (this.worker !== worker) return; // an old worker we already replaced or closed
    this.worker = undefined;
    if (this.closed) return;
    this.crashes++;
    const wasReady = this.ready;
    const jobs = [...(this.running ? [this.running] : []), ...this.queue.splice(0)];
    const current = this.running?.options.description;
    this.running = undefined;
    const oom = (this.lastError as { code?: string } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY';
    const reason = oom ? 'out of memory' : this.lastError ? this.lastError.message : `exit code ${code}`;
    const error = new InferenceWorkerCrashedError(
      `inference worker ${this.label} stopped unexpectedly (${reason})${current ? ` while ${current}` : ''}; ` +
        `${jobs.length} pending job${jobs.length === 1 ? ' was' : 's were'} rejected and the worker was restarted. ` +
        'Models it held will be reloaded on their next run. If this repeats, a model may not fit in memory: ' +
        'lower MASKFLOW_MODEL_MEMORY_MB, unload other models or use a smaller export.',
      { cause: this.lastError },
    );
    for (const job of jobs) this.finish(job, 'crashed', error);
    this.opts.onCrash(this, error);
    // Respawn now so the next job finds a warm worker, unless it died while starting (that would loop).
    if (wasReady) this.spawn();
  }

  /** Keeps the process alive only while work is pending, so an idle pool never blocks exit. */
  private updateRef(): void {
    if (!this.worker) return;
    if (this.pending > 0) this.worker.ref();
    else this.worker.unref();
  }
}
