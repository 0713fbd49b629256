import { z } from 'zod';
import type { RunEvent, RunStatusName, Workflow } from '@maskflow/workflow';
import {
  errorBodySchema,
  RUN_STATUSES,
  runEventSchema,
  SERVER_ERROR_EVENT,
  SERVER_EVENT,
} from '@maskflow/workflow';
import type { ErrorInfo } from './http';
import { ApiRequestError } from './http';

/** The part of a socket.io client socket the channel uses (so tests can hand in a fake). */
export interface SocketLike {
  readonly connected: boolean;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  emitWithAck(event: string, payload: unknown, timeoutMs: number): Promise<unknown>;
}

export interface RunChannelOptions {
  socket: SocketLike;
  /** Delivers events in seq order without gaps or duplicates. */
  onEvents(events: RunEvent[]): void;
  /** Fetches stored events with seq > after (REST), to fill a gap. */
  fetchEvents(runId: string, after: number): Promise<RunEvent[]>;
  onConnection?(state: 'connected' | 'reconnecting'): void;
  onError?(message: string): void;
  ackTimeoutMs?: number;
}

const statusSchema = z.enum(RUN_STATUSES);
const subscribeAckSchema = z.union([
  z.object({ ok: z.literal(true), runId: z.string(), status: statusSchema, lastSeq: z.number().int() }),
  errorBodySchema,
]);
const submitAckSchema = z.union([z.object({ runId: z.string(), status: statusSchema }), errorBodySchema]);
const cancelAckSchema = z.union([
  z.object({ ok: z.literal(true), runId: z.string(), status: statusSchema }),
  errorBodySchema,
]);

const TERMINAL_EVENTS = new Set<RunEvent['type']>(['run.finished', 'run.failed', 'run.cancelled']);

interface Tracked {
  /** Highest seq delivered. */
  seq: number;
  /** Events that arrived ahead of a gap, by seq. */
  ahead: Map<number, RunEvent>;
  filling: boolean;
  done: boolean;
  /** Gap fills in a row that did not close the gap. */
  misses: number;
}

/** After this many fruitless fills the events ahead are delivered anyway (a gap the server cannot fill). */
const MAX_FILL_MISSES = 20;

function ackError(ack: unknown, what: string): ApiRequestError | undefined {
  const err = errorBodySchema.safeParse(ack);
  if (err.success) return new ApiRequestError(400, err.data.error);
  return ack === undefined
    ? new ApiRequestError(0, {
        kind: 'environment',
        code: 'no-ack',
        message: `${what}: the server did not answer`,
      })
    : undefined;
}

/**
 * Run events over socket.io, exactly once and in order per run. The server
 * numbers each run's events from 1 without gaps; this keeps the last seq
 * delivered per run, so that:
 * - duplicates (replay overlapping live events) are dropped;
 * - after a reconnect every unfinished run is subscribed again with
 *   `afterSeq` = the last seq seen, and the server replays what was missed;
 * - an event that arrives after a gap waits while the gap is fetched over REST.
 */
export class RunChannel {
  private readonly runs = new Map<string, Tracked>();
  private everConnected = false;

  constructor(private readonly o: RunChannelOptions) {
    o.socket.on('connect', () => {
      o.onConnection?.('connected');
      // First connect or reconnect: (re)subscribe everything still open, from where we are.
      if (this.everConnected)
        for (const [runId, t] of this.runs) if (!t.done) void this.subscribeRemote(runId, t.seq);
      this.everConnected = true;
    });
    o.socket.on('disconnect', () => o.onConnection?.('reconnecting'));
    o.socket.on('connect_error', () => o.onConnection?.('reconnecting'));
    o.socket.on(SERVER_EVENT, (raw: unknown) => {
      const parsed = runEventSchema.safeParse(raw);
      if (parsed.success) this.accept(parsed.data);
      else o.onError?.(`ignored a malformed run event: ${parsed.error.issues[0]?.message ?? ''}`);
    });
    o.socket.on(SERVER_ERROR_EVENT, (raw: unknown) => {
      const parsed = errorBodySchema.safeParse(raw);
      o.onError?.(parsed.success ? parsed.data.error.message : 'the server reported a protocol error');
    });
  }

  get connected(): boolean {
    return this.o.socket.connected;
  }

  /** The last seq delivered for a run (0 when none). */
  lastSeq(runId: string): number {
    return this.runs.get(runId)?.seq ?? 0;
  }

  /** Follows a run from `afterSeq` (0 = from the start: everything is replayed). */
  async follow(runId: string, afterSeq = 0): Promise<void> {
    const t = this.track(runId, afterSeq);
    t.done = false;
    if (this.o.socket.connected) await this.subscribeRemote(runId, t.seq);
    else await this.fill(runId);
  }

  /** Submits a run over the socket, subscribed from its first event (the remote-run path). */
  async submit(body: {
    workflow?: Workflow;
    workflowId?: string;
    target?: string;
    inputs?: Record<string, unknown>;
  }): Promise<{ runId: string; status: RunStatusName }> {
    const ack = await this.o.socket.emitWithAck(
      'run.submit',
      { ...body, subscribe: true },
      this.o.ackTimeoutMs ?? 15000,
    );
    const err = ackError(ack, 'run.submit');
    if (err) throw err;
    const ok = submitAckSchema.parse(ack);
    if ('error' in ok) throw new ApiRequestError(400, ok.error);
    this.track(ok.runId, 0);
    return ok;
  }

  async cancel(runId: string): Promise<RunStatusName> {
    const ack = await this.o.socket.emitWithAck('run.cancel', { runId }, this.o.ackTimeoutMs ?? 15000);
    const err = ackError(ack, 'run.cancel');
    if (err) throw err;
    const ok = cancelAckSchema.parse(ack);
    if ('error' in ok) throw new ApiRequestError(409, ok.error);
    return ok.status;
  }

  /** Feeds one event (from the socket or a REST catch-up). */
  accept(e: RunEvent): void {
    const t = this.track(e.runId, 0);
    if (e.seq <= t.seq || t.ahead.has(e.seq)) return;
    if (e.seq > t.seq + 1) {
      t.ahead.set(e.seq, e);
      void this.fill(e.runId);
      return;
    }
    const out: RunEvent[] = [e];
    t.seq = e.seq;
    for (let next = t.ahead.get(t.seq + 1); next; next = t.ahead.get(t.seq + 1)) {
      t.ahead.delete(next.seq);
      out.push(next);
      t.seq = next.seq;
    }
    if (out.some((x) => TERMINAL_EVENTS.has(x.type))) t.done = true;
    this.o.onEvents(out);
  }

  private track(runId: string, afterSeq: number): Tracked {
    let t = this.runs.get(runId);
    if (!t)
      this.runs.set(runId, (t = { seq: afterSeq, ahead: new Map(), filling: false, done: false, misses: 0 }));
    return t;
  }

  private async subscribeRemote(runId: string, afterSeq: number): Promise<void> {
    try {
      const ack = await this.o.socket.emitWithAck(
        'subscribe',
        { runId, afterSeq },
        this.o.ackTimeoutMs ?? 15000,
      );
      const parsed = subscribeAckSchema.safeParse(ack);
      if (!parsed.success)
        throw ackError(ack, 'subscribe') ?? new Error('unexpected subscribe acknowledgement');
      if ('error' in parsed.data) throw new ApiRequestError(404, parsed.data.error);
      // Events the replay should have brought but that are not here yet (e.g. the ack overtook them) come over REST.
      const t = this.runs.get(runId);
      const last = parsed.data.lastSeq;
      if (t && last > t.seq) {
        setTimeout(() => {
          if (t.seq < last) void this.fill(runId);
        }, 500);
      }
    } catch (err) {
      this.o.onError?.(`cannot follow run ${runId}: ${errorMessage(err)}`);
      await this.fill(runId);
    }
  }

  /** Fetches stored events after the last delivered one and feeds them in order. */
  private async fill(runId: string): Promise<void> {
    const t = this.runs.get(runId);
    if (!t || t.filling) return;
    t.filling = true;
    try {
      const events = await this.o.fetchEvents(runId, t.seq);
      for (const e of events) this.accept(e);
    } catch (err) {
      this.o.onError?.(`cannot catch up with run ${runId}: ${errorMessage(err)}`);
    } finally {
      t.filling = false;
    }
    if (!t.ahead.size) {
      t.misses = 0;
      return;
    }
    // Still a hole in front of buffered events: the server has not stored them yet; try again shortly.
    if (++t.misses < MAX_FILL_MISSES) {
      setTimeout(() => void this.fill(runId), 250);
      return;
    }
    const first = Math.min(...t.ahead.keys());
    this.o.onError?.(
      `run ${runId}: events ${t.seq + 1}–${first - 1} are missing on the server; showing what arrived`,
    );
    t.seq = first - 1;
    t.misses = 0;
    const e = t.ahead.get(first)!;
    t.ahead.delete(first);
    this.accept(e);
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  const info = err as Partial<ErrorInfo> | null;
  return typeof info?.message === 'string' ? info.message : String(err);
}
