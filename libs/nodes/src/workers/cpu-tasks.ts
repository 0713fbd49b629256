/**
 * The named tasks a CPU worker runs (cpu.worker.ts), and that small inputs run
 * inline (cpu-pool.ts `runCpuTask`): the same functions either way, so both
 * paths give the same bytes. Arguments and results cross threads by
 * structured clone, so they are plain data and typed arrays.
 */
import { UserError } from '@maskflow/workflow';
import type { MaskFillArgs, MaskFillResult } from '../nodes/image/mask-fill.compute';
import { computeMaskFill } from '../nodes/image/mask-fill.compute';
import { blurMask } from '../ops/blur';
import { growShrinkMask } from '../ops/morphology';

/** What a task may call back into; inline these are the node context's, in a worker progress is posted to the caller. */
export interface CpuTaskHooks {
  throwIfAborted?(): void;
  progress?(value: number, max: number): void;
}

export interface MaskOpArgs {
  data: Uint8Array;
  width: number;
  height: number;
  radius: number;
}

/**
 * A task for checking the pool itself (tests, operators): busy-waits, fails
 * like a task can fail, or ends its thread like a crash.
 */
export type ProbeArgs =
  | { mode: 'echo'; data: Uint8Array }
  | { mode: 'busy'; ms: number }
  | { mode: 'throw'; message: string }
  | { mode: 'throw-user'; message: string; code?: string; field?: string }
  | { mode: 'exit'; code: number };

function probe(args: ProbeArgs): { data?: Uint8Array; spun?: number } {
  switch (args.mode) {
    case 'echo':
      return { data: args.data };
    case 'busy': {
      const t0 = performance.now();
      let spun = 0;
      while (performance.now() - t0 < args.ms) spun++;
      return { spun };
    }
    case 'throw':
      throw new RangeError(args.message);
    case 'throw-user':
      throw new UserError(args.message, { code: args.code, field: args.field });
    case 'exit':
      process.exit(args.code);
  }
}

export const cpuTasks = {
  maskFill: (args: MaskFillArgs, hooks: CpuTaskHooks): Promise<MaskFillResult> =>
    computeMaskFill(args, hooks),
  dilate: (a: MaskOpArgs): Uint8Array => growShrinkMask(a.data, a.width, a.height, a.radius),
  blur: (a: MaskOpArgs): Uint8Array => blurMask(a.data, a.width, a.height, a.radius),
  probe,
} satisfies Record<string, (args: never, hooks: CpuTaskHooks) => unknown>;

type CpuTasks = typeof cpuTasks;
export type CpuTaskName = keyof CpuTasks;
export type CpuTaskArgs<N extends CpuTaskName> = Parameters<CpuTasks[N]>[0];
export type CpuTaskResult<N extends CpuTaskName> = Awaited<ReturnType<CpuTasks[N]>>;

/** Runs a task on this thread. */
export function runTaskHere<N extends CpuTaskName>(
  name: N,
  args: CpuTaskArgs<N>,
  hooks: CpuTaskHooks,
): Promise<CpuTaskResult<N>> {
  // One lookup for every task: the registry's union of signatures is not callable without naming it once.
  const task = cpuTasks[name] as (
    a: CpuTaskArgs<N>,
    h: CpuTaskHooks,
  ) => CpuTaskResult<N> | Promise<CpuTaskResult<N>>;
  return Promise.resolve().then(() => task(args, hooks));
}

/** The buffers inside a result (a typed array or an object of them, a few levels deep), for transferring back. */
export function transferablesOf(value: unknown, depth = 3, found = new Set<ArrayBuffer>()): ArrayBuffer[] {
  if (ArrayBuffer.isView(value)) {
    if (value.buffer instanceof ArrayBuffer) found.add(value.buffer);
  } else if (depth > 0 && value !== null && typeof value === 'object') {
    for (const v of Object.values(value as Record<string, unknown>)) transferablesOf(v, depth - 1, found);
  }
  return [...found];
}

// Messages between the pool (cpu-pool.ts) and its worker threads (cpu.worker.ts).

export interface CpuTaskRequest {
  id: number;
  task: CpuTaskName;
  args: unknown;
}

/** An error as it crosses the thread boundary: MaskflowError's kind/code/field survive, so the caller can rebuild it. */
export interface CpuTaskErrorInfo {
  name: string;
  message: string;
  stack?: string;
  kind?: string;
  code?: string;
  field?: string;
}

export type CpuWorkerMessage =
  | { id: number; type: 'progress'; value: number; max: number }
  | { id: number; type: 'done'; result: unknown }
  | { id: number; type: 'failed'; error: CpuTaskErrorInfo };
