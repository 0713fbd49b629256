import { CancelledError } from '@maskflow/workflow';

type Listener<P> = (progress: P) => void;

interface Inflight<T, P> {
  promise: Promise<T>;
  controller: AbortController;
  listeners: Set<Listener<P>>;
  waiters: number;
  latest: { progress?: P };
}

/**
 * Runs at most one job per key at a time; later callers for the same key join
 * the running job and see its progress. A caller that aborts only leaves; the
 * job itself is aborted when its last caller has left.
 */
export class Coalescer<T, P> {
  private readonly inflight = new Map<string, Inflight<T, P>>();

  /** How many distinct jobs are running (for tests and diagnostics). */
  get size(): number {
    return this.inflight.size;
  }

  run(
    key: string,
    start: (signal: AbortSignal, emit: (progress: P) => void) => Promise<T>,
    opts: { signal?: AbortSignal; onProgress?: Listener<P> } = {},
  ): Promise<T> {
    if (opts.signal?.aborted) return Promise.reject(new CancelledError());
    let job = this.inflight.get(key);
    if (!job) {
      const controller = new AbortController();
      const listeners = new Set<Listener<P>>();
      const latest: { progress?: P } = {};
      const emit = (p: P): void => {
        latest.progress = p;
        for (const l of listeners) l(p);
      };
      const promise = (async () => {
        try {
          return await start(controller.signal, emit);
        } finally {
          this.inflight.delete(key);
        }
      })();
      // Callers handle rejections through their own promises below.
      promise.catch(() => undefined);
      job = { promise, controller, listeners, waiters: 0, latest };
      this.inflight.set(key, job);
    }
    const current = job;
    current.waiters++;
    const listener = opts.onProgress;
    if (listener) {
      current.listeners.add(listener);
      if (current.latest.progress !== undefined) listener(current.latest.progress);
    }
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const leave = (): void => {
        if (listener) current.listeners.delete(listener);
        opts.signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        if (settled) return;
        settled = true;
        leave();
        if (--current.waiters === 0) current.controller.abort();
        reject(new CancelledError());
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      current.promise.then(
        (v) => {
          if (settled) return;
          settled = true;
          leave();
          current.waiters--;
          resolve(v);
        },
        (err: unknown) => {
          if (settled) return;
          settled = true;
          leave();
          current.waiters--;
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }
}
