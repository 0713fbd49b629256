import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { InferenceLogger } from '../src/runtime.options';

/** Path of a file in ../shared/fixtures (beside the project), or undefined when ../shared is absent. */
export function sharedFixture(...parts: string[]): string | undefined {
  const p = path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'fixtures', ...parts);
  return existsSync(p) ? p : undefined;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), `maskflow-${prefix}-`));
}

export interface CollectingLogger extends InferenceLogger {
  infos: string[];
  warnings: string[];
}

export function collectingLogger(): CollectingLogger {
  const infos: string[] = [];
  const warnings: string[] = [];
  return {
    infos,
    warnings,
    info: (m) => infos.push(m),
    warn: (m) => warnings.push(m),
    debug: () => undefined,
  };
}

/** Polls until `cond` holds (the runtime's state changes on worker messages, not on a promise we hold). */
export async function waitFor(cond: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Bytes of a typed array, for bit-exact comparisons (no instanceof: worker results come from another realm under jest). */
export function bytesOf(data: ArrayBufferView): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

export interface Lateness {
  /** Worst delay of a 10 ms interval timer, in ms. */
  max: number;
  ticks: number;
  steps: number;
}

/** Runs `step` back to back for `durationMs` while a 10 ms interval timer on this thread records how late it fires. */
export async function timerLatenessDuring(
  durationMs: number,
  step: () => Promise<unknown>,
): Promise<Lateness> {
  let max = 0;
  let ticks = 0;
  let expected = performance.now() + 10;
  const timer = setInterval(() => {
    const now = performance.now();
    max = Math.max(max, now - expected);
    ticks++;
    expected = now + 10;
  }, 10);
  let steps = 0;
  const t0 = performance.now();
  try {
    while (performance.now() - t0 < durationMs) {
      await step();
      steps++;
    }
  } finally {
    clearInterval(timer);
  }
  return { max, ticks, steps };
}

/**
 * The best of up to `attempts` measurements. The machine may be shared: a busy
 * neighbour process can delay any thread now and then, whereas inference on the
 * event loop would make every attempt late.
 */
export async function bestLatenessOf(
  attempts: number,
  measure: () => Promise<Lateness>,
): Promise<Lateness & { tries: Lateness[] }> {
  const tries: Lateness[] = [];
  for (let i = 0; i < attempts; i++) {
    tries.push(await measure());
    if (tries[i].max < 50) break;
  }
  const best = tries.reduce((a, b) => (b.max < a.max ? b : a));
  return { ...best, tries };
}
