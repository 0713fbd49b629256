/** One line of the bench table. */
export interface BenchRow {
  /** Which benchmark group, e.g. "MaskDilate 4096²". */
  group: string;
  /** What was measured, e.g. "radius 64". */
  case: string;
  /** Our number (ms unless `unit` says otherwise). */
  ours: number;
  /** The reference measured side by side in the same run, when there is one. */
  reference?: number;
  referenceName?: string;
  unit?: string;
  /** ours / reference, or another ratio the bench defines. */
  ratio?: number;
  /** The target the ratio or number must meet, as text (e.g. "≤ 1.0"). */
  target?: string;
  /** Whether the target was met (undefined when there is no target). */
  pass?: boolean;
  note?: string;
}

/** A bench module exports `run`, which measures and returns its rows. */
export type BenchModule = { run(): Promise<BenchRow[]> };

/** Median of a list of numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Times `fn` `reps` times after `warmup` runs; returns per-run milliseconds. */
export async function timeIt(fn: () => unknown, reps: number, warmup = 1): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return out;
}
