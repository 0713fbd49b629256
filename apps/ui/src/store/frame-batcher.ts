/** Schedules a callback for the next frame; returns a cancel function. */
export type FrameScheduler = (cb: () => void) => () => void;

/**
 * The next animation frame, or a short timer when the tab is hidden (hidden
 * tabs get no frames, and events must not pile up unbounded there).
 */
export const animationFrameScheduler: FrameScheduler = (cb) => {
  if (typeof requestAnimationFrame === 'function' && !(typeof document !== 'undefined' && document.hidden)) {
    const h = requestAnimationFrame(() => cb());
    return () => cancelAnimationFrame(h);
  }
  const t = setTimeout(cb, 100);
  return () => clearTimeout(t);
};

/**
 * Collects items and hands them over in one batch per frame: however many
 * socket messages arrive between two frames, the store changes (and React
 * renders) once.
 */
export class FrameBatcher<T> {
  private pending: T[] = [];
  private cancel: (() => void) | undefined;

  constructor(
    private readonly flush: (items: T[]) => void,
    private scheduler: FrameScheduler = animationFrameScheduler,
  ) {}

  push(...items: T[]): void {
    this.pending.push(...items);
    this.cancel ??= this.scheduler(() => this.run());
  }

  /** Applies what is pending now (tests, and before reading state synchronously). */
  flushNow(): void {
    this.cancel?.();
    this.run();
  }

  setScheduler(s: FrameScheduler): void {
    this.scheduler = s;
  }

  get size(): number {
    return this.pending.length;
  }

  private run(): void {
    this.cancel = undefined;
    if (!this.pending.length) return;
    const items = this.pending;
    this.pending = [];
    this.flush(items);
  }
}
