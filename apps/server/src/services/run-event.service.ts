import { Inject, Injectable, Logger } from '@nestjs/common';
import type { RunEvent, RunEventType } from '@maskflow/workflow';
import { EventBusRepository } from '../repositories/event-bus.repository';
import { ImageRepository } from '../repositories/image.repository';
import type { RawImage, RawMask } from '../repositories/image.repository';
import { RunEventRepository } from '../repositories/run-event.repository';

/** At most this often per node (10/s); the latest progress of a node is always delivered. */
export const PROGRESS_INTERVAL_MS = 100;
/** Longest side of a progress preview and of an image output's preview. */
export const PREVIEW_MAX_SIDE = 256;
/** Longest side of a mask output's preview (big enough to lay over the result in the gallery). */
export const MASK_PREVIEW_MAX_SIDE = 512;

export type EventDraft = Pick<RunEvent, 'type' | 'data'> & { nodeId?: string };

interface ProgressState {
  lastSentAt: number;
  pending?: EventDraft;
  timer?: NodeJS.Timeout;
}

interface Queued {
  seq: number;
  ts: number;
  draft: EventDraft;
  done: () => void;
}

interface Stream {
  seq: number;
  /** Numbered, not yet stored: stored in batches, then emitted in seq order. */
  queue: Queued[];
  draining?: Promise<void>;
  /** Highest seq handed to the subscribers; stored events above it are still on their way. */
  emitted: number;
  progress: Map<string, ProgressState>;
}

function isRawImage(v: unknown): v is RawImage {
  const o = v as Partial<RawImage> | null;
  return (
    !!o &&
    typeof o === 'object' &&
    typeof o.width === 'number' &&
    typeof o.height === 'number' &&
    o.data instanceof Uint8Array
  );
}

/**
 * Numbers, throttles, persists and then emits a run's events. Sequence numbers
 * are the server's own (per run, from 1, without gaps): a progress event the
 * throttle drops never gets one, so a client can detect any loss by a gap.
 */
@Injectable()
export class RunEventService {
  private readonly streams = new Map<string, Stream>();
  private readonly log = new Logger('RunEvents');

  constructor(
    @Inject(RunEventRepository) private readonly events: RunEventRepository,
    @Inject(EventBusRepository) private readonly bus: EventBusRepository,
    @Inject(ImageRepository) private readonly images: ImageRepository,
  ) {}

  /** Starts numbering after `lastSeq` (0 for a new run, the stored maximum for a resumed one). */
  open(runId: string, lastSeq: number): void {
    if (!this.streams.has(runId))
      this.streams.set(runId, { seq: lastSeq, queue: [], emitted: lastSeq, progress: new Map() });
  }

  /** Publishes one event; resolves once it is stored and handed to the subscribers. */
  publish(runId: string, draft: EventDraft): Promise<void> {
    const s = this.stream(runId);
    if (draft.nodeId && draft.type !== 'node.progress') this.flushProgress(runId, s, draft.nodeId);
    if (draft.type.startsWith('run.'))
      for (const nodeId of s.progress.keys()) this.flushProgress(runId, s, nodeId);
    return this.enqueue(runId, s, draft);
  }

  /** Events from the engine: progress goes through the per-node throttle, the rest straight through. */
  fromEngine(runId: string, e: RunEvent): void {
    const draft: EventDraft = { type: e.type, data: e.data, ...(e.nodeId ? { nodeId: e.nodeId } : {}) };
    if (e.type !== 'node.progress' || !e.nodeId) {
      void this.publish(runId, draft);
      return;
    }
    const s = this.stream(runId);
    let p = s.progress.get(e.nodeId);
    if (!p) s.progress.set(e.nodeId, (p = { lastSentAt: 0 }));
    const now = Date.now();
    if (!p.timer && now - p.lastSentAt >= PROGRESS_INTERVAL_MS) {
      p.lastSentAt = now;
      void this.enqueue(runId, s, draft);
      return;
    }
    p.pending = draft;
    if (!p.timer) {
      const nodeId = e.nodeId;
      p.timer = setTimeout(
        () => this.flushProgress(runId, s, nodeId),
        PROGRESS_INTERVAL_MS - (now - p.lastSentAt),
      );
    }
  }

  /** Waits until everything published so far is stored and emitted, then forgets the run. */
  async close(runId: string): Promise<void> {
    const s = this.streams.get(runId);
    if (!s) return;
    for (const nodeId of s.progress.keys()) this.flushProgress(runId, s, nodeId);
    while (s.draining) await s.draining;
    for (const p of s.progress.values()) clearTimeout(p.timer);
    this.streams.delete(runId);
  }

  /**
   * The highest seq already emitted for a run whose events are still flowing;
   * undefined once the run's stream is closed (then every stored event was emitted).
   */
  emittedSeq(runId: string): number | undefined {
    return this.streams.get(runId)?.emitted;
  }

  /** Everything published so far is stored. */
  async settled(runId: string): Promise<void> {
    const s = this.streams.get(runId);
    while (s?.draining) await s.draining;
  }

  private stream(runId: string): Stream {
    const s = this.streams.get(runId);
    if (!s) throw new Error(`run ${runId} has no open event stream`);
    return s;
  }

  private flushProgress(runId: string, s: Stream, nodeId: string): void {
    const p = s.progress.get(nodeId);
    if (!p) return;
    clearTimeout(p.timer);
    p.timer = undefined;
    if (p.pending) {
      const draft = p.pending;
      p.pending = undefined;
      p.lastSentAt = Date.now();
      void this.enqueue(runId, s, draft);
    }
  }

  private enqueue(runId: string, s: Stream, draft: EventDraft): Promise<void> {
    // The number is taken now, synchronously, so seq order is call order.
    const seq = ++s.seq;
    const ts = Date.now();
    return new Promise<void>((done) => {
      s.queue.push({ seq, ts, draft, done });
      if (!s.draining) s.draining = this.drain(runId, s);
    });
  }

  /**
   * Stores what is queued in one statement, then emits it; repeats while more
   * arrived meanwhile. A busy run's events thus cost one write per batch, not one each.
   */
  private async drain(runId: string, s: Stream): Promise<void> {
    while (s.queue.length) {
      const batch = s.queue.splice(0);
      try {
        const events = await Promise.all(
          batch.map(async (q): Promise<RunEvent> => ({
            type: q.draft.type,
            runId,
            seq: q.seq,
            ts: q.ts,
            ...(q.draft.nodeId ? { nodeId: q.draft.nodeId } : {}),
            data: await this.jsonSafe(q.draft.type, q.draft.data),
          })),
        );
        try {
          await this.events.append(events);
        } catch (err) {
          this.log.error(
            `could not store events ${batch[0].seq}–${batch.at(-1)!.seq} of run ${runId}: ${err instanceof Error ? err.message : String(err)}`,
          );
        }
        for (const e of events) {
          s.emitted = e.seq;
          this.bus.emitRunEvent(e);
        }
      } catch (err) {
        this.log.error(`events of run ${runId}: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        for (const q of batch) q.done();
      }
    }
    // Cleared in the same tick as the last emptiness check, so a new event always finds a drain to join or starts one.
    s.draining = undefined;
  }

  /** Previews become small data URLs; raw pixels never go on the wire or into the database. */
  private async jsonSafe(
    type: RunEventType,
    data: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    if (type === 'node.finished' || type === 'node.cached') return this.withOutputPreviews(data);
    if (type !== 'node.progress' || !isRawImage(data.preview)) return data;
    try {
      const p = await this.images.previewDataUrl(data.preview, PREVIEW_MAX_SIDE);
      return {
        ...data,
        preview: { kind: 'image', mime: 'image/jpeg', width: p.width, height: p.height, url: p.url },
      };
    } catch {
      const { preview: _dropped, ...rest } = data;
      return rest;
    }
  }

  /**
   * The engine hands a finished (or cached) node's image, mask and masks
   * outputs over as `previews`; each becomes `outputs[port].preview`, a JPEG
   * (images) or grayscale PNG (masks, several united) data URL. One that
   * cannot be made is left out; the raw values are always dropped.
   */
  private async withOutputPreviews(data: Record<string, unknown>): Promise<Record<string, unknown>> {
    const { previews, ...rest } = data;
    if (!previews || typeof previews !== 'object') return rest;
    const outputs = { ...((rest.outputs as Record<string, unknown> | undefined) ?? {}) };
    await Promise.all(
      Object.entries(previews as Record<string, unknown>).map(async ([port, v]) => {
        const described = outputs[port];
        if (!described || typeof described !== 'object') return;
        try {
          const preview = await this.outputPreview(v);
          if (preview) outputs[port] = { ...described, preview };
        } catch (err) {
          this.log.warn(`no preview of ${port}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }),
    );
    return { ...rest, outputs };
  }

  private async outputPreview(v: unknown): Promise<Record<string, unknown> | undefined> {
    const o = v as { kind?: unknown; items?: unknown } | null;
    if (o?.kind === 'image' && isRawImage(v)) {
      const p = await this.images.previewDataUrl(v, PREVIEW_MAX_SIDE);
      return { mime: 'image/jpeg', ...p };
    }
    const items = o?.kind === 'masks' && Array.isArray(o.items) ? (o.items as Array<{ mask?: unknown }>) : [];
    const masks: unknown[] = o?.kind === 'mask' ? [v] : items.map((i) => i?.mask);
    if (!masks.length || !masks.every(isRawMask)) return undefined;
    const p = await this.images.maskPreviewDataUrl(masks, MASK_PREVIEW_MAX_SIDE);
    return { mime: 'image/png', ...p };
  }
}

function isRawMask(v: unknown): v is RawMask {
  const o = v as Partial<RawMask> | null;
  return (
    !!o &&
    typeof o === 'object' &&
    typeof o.width === 'number' &&
    typeof o.height === 'number' &&
    o.data instanceof Uint8Array &&
    o.data.length === o.width * o.height
  );
}
