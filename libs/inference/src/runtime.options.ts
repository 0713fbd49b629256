/**
 * Runtime configuration: explicit options win over environment variables,
 * which win over defaults. Bad values fail at start-up with the variable's name,
 * because the operator is the one who must fix them.
 */
import { availableParallelism, totalmem } from 'node:os';
import type { ResourceLimits } from 'node:worker_threads';
import { EnvironmentError } from '@maskflow/workflow';
import type { DeviceProbe, DeviceSetting } from './device.resolver';
import { parseDeviceSetting } from './device.resolver';

/** Structurally a subset of the node contract's Logger, so a node's `ctx.log` fits. */
export interface InferenceLogger {
  debug?(message: string): void;
  info(message: string): void;
  warn(message: string): void;
}

export type GraphOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';
export type OrtLogLevel = 'verbose' | 'info' | 'warning' | 'error' | 'fatal';

export interface InferenceRuntimeOptions {
  /** `MASKFLOW_DEVICE`; default auto (CUDA when installed and a GPU answers, else CPU). */
  device?: DeviceSetting;
  /** `MASKFLOW_CPU_WORKERS`; CPU worker threads (default 1: one queue). The CUDA lane always has one. */
  cpuWorkers?: number;
  /** `MASKFLOW_INTRA_OP_THREADS`; ORT threads inside one op. Default: ORT's (all cores), split across CPU workers. */
  intraOpNumThreads?: number;
  /** `MASKFLOW_INTER_OP_THREADS`; ORT threads across ops (only used with executionMode 'parallel'). */
  interOpNumThreads?: number;
  /** `MASKFLOW_MODEL_MEMORY_MB` (in MB there); budget for loaded models. Default 50% of RAM. */
  memoryBudgetBytes?: number;
  /** When a load cannot fit even after unloading every idle model: 'warn' (default) loads anyway, 'error' refuses. */
  overBudget?: 'warn' | 'error';
  /** Default: console, with an `[inference]` prefix; debug lines dropped. */
  logger?: InferenceLogger;
  /** ONNX Runtime's own log level inside the workers (default 'error': ORT's warnings are mostly noise). */
  ortLogLevel?: OrtLogLevel;
  /**
   * `MASKFLOW_INFERENCE_NICE`; niceness (0–19) of CPU inference threads, default 10: when the
   * cores are saturated the event loop keeps priority over inference. 0 leaves it unchanged. Linux only.
   */
  workerNice?: number;
  /**
   * ONNX Runtime session config entries applied to every session, over DEFAULT_SESSION_CONFIG
   * (per-load entries win over both), e.g. `{ 'session.intra_op.allow_spinning': '1' }` to bring
   * spinning back on a dedicated machine.
   */
  sessionConfig?: Record<string, string>;
  /** Limits for each worker's JS heap (ORT's native memory is not covered). */
  workerResourceLimits?: ResourceLimits;
  /** Environment to read instead of process.env (tests). */
  env?: Record<string, string | undefined>;
  /** Replaces the CUDA/GPU detection (tests). */
  deviceProbe?: DeviceProbe;
}

export interface RuntimeConfig {
  device: DeviceSetting;
  cpuWorkers: number;
  intraOpNumThreads?: number;
  interOpNumThreads?: number;
  memoryBudgetBytes: number;
  overBudget: 'warn' | 'error';
  ortLogLevel: OrtLogLevel;
  workerNice: number;
  sessionConfig: Record<string, string>;
  workerResourceLimits?: ResourceLimits;
}

export const MB = 1024 * 1024;

/**
 * ORT's thread pools busy-wait between ops by default. On a server that shares
 * its cores with an event loop (and, often, other processes) that burns CPU the
 * event loop needs, and under contention it made yolox_nano 2–4× slower here;
 * blocking instead costs little when the machine is idle.
 */
export const DEFAULT_SESSION_CONFIG: Readonly<Record<string, string>> = {
  'session.intra_op.allow_spinning': '0',
  'session.inter_op.allow_spinning': '0',
};

function badConfig(name: string, value: unknown, want: string): EnvironmentError {
  return new EnvironmentError(`${name}=${String(value)} is invalid: expected ${want}`, {
    code: 'bad-config',
  });
}

function positiveInt(name: string, option: number | undefined, env: string | undefined): number | undefined {
  if (option !== undefined) {
    if (!Number.isInteger(option) || option < 1) throw badConfig(name, option, 'a positive integer');
    return option;
  }
  if (env === undefined || env.trim() === '') return undefined;
  const n = Number(env);
  if (!Number.isInteger(n) || n < 1) throw badConfig(name, env, 'a positive integer');
  return n;
}

export function resolveRuntimeConfig(opts: InferenceRuntimeOptions = {}): RuntimeConfig {
  const env = opts.env ?? process.env;
  const device = opts.device ?? parseDeviceSetting(env.MASKFLOW_DEVICE);
  const cpuWorkers = positiveInt('MASKFLOW_CPU_WORKERS', opts.cpuWorkers, env.MASKFLOW_CPU_WORKERS) ?? 1;
  let intraOpNumThreads = positiveInt(
    'MASKFLOW_INTRA_OP_THREADS',
    opts.intraOpNumThreads,
    env.MASKFLOW_INTRA_OP_THREADS,
  );
  // Several CPU workers each with ORT's default (all cores) would oversubscribe the machine.
  if (intraOpNumThreads === undefined && cpuWorkers > 1) {
    intraOpNumThreads = Math.max(1, Math.floor(availableParallelism() / cpuWorkers));
  }
  const interOpNumThreads = positiveInt(
    'MASKFLOW_INTER_OP_THREADS',
    opts.interOpNumThreads,
    env.MASKFLOW_INTER_OP_THREADS,
  );

  let memoryBudgetBytes = opts.memoryBudgetBytes;
  if (memoryBudgetBytes !== undefined) {
    if (!(memoryBudgetBytes > 0))
      throw badConfig('memoryBudgetBytes', memoryBudgetBytes, 'a positive number of bytes');
  } else if (env.MASKFLOW_MODEL_MEMORY_MB !== undefined && env.MASKFLOW_MODEL_MEMORY_MB.trim() !== '') {
    const mb = Number(env.MASKFLOW_MODEL_MEMORY_MB);
    if (!(mb > 0))
      throw badConfig(
        'MASKFLOW_MODEL_MEMORY_MB',
        env.MASKFLOW_MODEL_MEMORY_MB,
        'a positive number of megabytes',
      );
    memoryBudgetBytes = Math.round(mb * MB);
  } else {
    memoryBudgetBytes = Math.floor(totalmem() / 2);
  }

  let workerNice = opts.workerNice;
  if (
    workerNice === undefined &&
    env.MASKFLOW_INFERENCE_NICE !== undefined &&
    env.MASKFLOW_INFERENCE_NICE.trim() !== ''
  ) {
    workerNice = Number(env.MASKFLOW_INFERENCE_NICE);
  }
  workerNice ??= 10;
  if (!Number.isInteger(workerNice) || workerNice < 0 || workerNice > 19) {
    throw badConfig('MASKFLOW_INFERENCE_NICE', workerNice, 'an integer from 0 to 19');
  }

  return {
    device,
    cpuWorkers,
    intraOpNumThreads,
    interOpNumThreads,
    memoryBudgetBytes,
    overBudget: opts.overBudget ?? 'warn',
    ortLogLevel: opts.ortLogLevel ?? 'error',
    workerNice,
    sessionConfig: { ...DEFAULT_SESSION_CONFIG, ...opts.sessionConfig },
    workerResourceLimits: opts.workerResourceLimits,
  };
}

/** Logs to stderr: stdout belongs to the host's own output (the CLI's `--json` summary). */
export const consoleLogger: InferenceLogger = {
  info: (m) => console.error(`[inference] ${m}`),
  warn: (m) => console.warn(`[inference] ${m}`),
};
