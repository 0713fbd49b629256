import { z } from 'zod';
import type { RunEvent, RunStatusName, Workflow } from '@maskflow/workflow';
import { errorInfoSchema } from '@maskflow/workflow';
import type { ErrorInfo } from '../api/http';

/**
 * Run state as the editor shows it, and the pure reducer that folds the
 * server's events into it. Each event type's `data` has a schema here: what
 * does not match is ignored field by field, never trusted.
 */

export type NodeRunStatus =
  'pending' | 'queued' | 'running' | 'cached' | 'done' | 'failed' | 'cancelled' | 'skipped';

export interface PreviewView {
  url: string;
  width?: number;
  height?: number;
}

/**
 * The small picture the server attaches to an in-memory IMAGE, MASK or MASKS
 * output (its described value's `preview`): a JPEG of the image (longest
 * side ≤ 256), a grayscale PNG of the mask (white = masked, ≤ 512), the union
 * of the masks for MASKS.
 */
export interface OutputPreview {
  url: string;
  mime?: string;
  width?: number;
  height?: number;
}

export interface NodeRunState {
  status: NodeRunStatus;
  value?: number;
  max?: number;
  phase?: string;
  /** The latest step preview (small JPEG data URL) while the node runs. */
  preview?: PreviewView;
  error?: ErrorInfo;
  ms?: number;
  /**
   * Described outputs: `{ kind: 'artifact', id, … }` for files, `{ kind: 'image', width, height, preview? }`
   * for in-memory values (every `preview` checked, see `cleanOutputs`).
   */
  outputs?: Record<string, unknown>;
  warnings?: string[];
  /** The seed the node actually used, when it reports one. */
  usedSeed?: number;
}

export interface RunView {
  runId: string;
  status: RunStatusName;
  /** Highest event seq folded in; events at or below it are duplicates. */
  lastSeq: number;
  workflowId?: string | null;
  target?: string | null;
  /** Node ids in the order the engine planned them. */
  order: string[];
  nodes: Record<string, NodeRunState>;
  outputs: Record<string, Record<string, unknown>>;
  error?: ErrorInfo;
  ms?: number;
  queuedAt?: number;
  startedAt?: number;
  finishedAt?: number;
  /** The graph exactly as it ran (from GET /api/runs/:id), when known. */
  graph?: Workflow;
}

export const TERMINAL: ReadonlySet<RunStatusName> = new Set([
  'finished',
  'failed',
  'cancelled',
  'interrupted',
]);
export const isTerminal = (s: RunStatusName): boolean => TERMINAL.has(s);

const previewSchema = z
  .object({
    url: z.string().startsWith('data:image/'),
    width: z.number().optional(),
    height: z.number().optional(),
  })
  .loose();
const summarySchema = z
  .object({
    status: z.enum(['pending', 'running', 'cached', 'done', 'failed', 'cancelled', 'skipped']),
    ms: z.number().optional(),
    cached: z.boolean().optional(),
    warnings: z.array(z.string()).optional(),
    error: errorInfoSchema.optional(),
  })
  .loose();

/** Only data URLs of the picture types the server makes: anything else is not put in an `<img src>`. */
export const outputPreviewSchema = z.object({
  url: z.string().regex(/^data:image\/(?:png|jpeg|webp);base64,/),
  mime: z.string().optional(),
  width: z.number().positive().optional(),
  height: z.number().positive().optional(),
});

/**
 * Described outputs with each value's `preview` checked: a malformed one is
 * dropped and the value is kept without it (it is then shown as its size, as
 * for an old run), so a bad picture never costs the value or the event.
 */
export function cleanOutputs(outputs: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [port, v] of Object.entries(outputs)) {
    if (v && typeof v === 'object' && !Array.isArray(v) && 'preview' in v) {
      const { preview, ...rest } = v as Record<string, unknown>;
      const p = outputPreviewSchema.safeParse(preview);
      out[port] = p.success ? { ...rest, preview: p.data } : rest;
    } else {
      out[port] = v;
    }
  }
  return out;
}

/** The preview of a described output, when it has a well-formed one. */
export function outputPreviewOf(v: unknown): OutputPreview | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const p = outputPreviewSchema.safeParse((v as { preview?: unknown }).preview);
  return p.success ? p.data : undefined;
}

const nodeOutputsSchema = z.record(z.string(), z.unknown()).transform(cleanOutputs);
const outputsSchema = z.record(z.string(), nodeOutputsSchema);

/** The `data` of each event type: every field optional, so a newer server's extra or missing fields do no harm. */
export const eventDataSchemas = {
  'run.queued': z
    .object({
      workflowId: z.string().nullable().optional(),
      target: z.string().nullable().optional(),
      position: z.number().optional(),
    })
    .loose(),
  'run.started': z
    .object({ nodes: z.array(z.string()).optional(), target: z.string().nullable().optional() })
    .loose(),
  'node.started': z.object({ type: z.string().optional() }).loose(),
  'node.progress': z
    .object({
      value: z.number().optional(),
      max: z.number().optional(),
      phase: z.string().optional(),
      preview: previewSchema.optional().catch(undefined),
    })
    .loose(),
  // The server sends a cached node's outputs as it does a finished one's, so its boxes and mask stay on view.
  'node.cached': z
    .object({
      key: z.string().optional(),
      outputs: nodeOutputsSchema.optional().catch(undefined),
      seed: z.number().optional(),
    })
    .loose(),
  'node.finished': z
    .object({
      ms: z.number().optional(),
      warnings: z.array(z.string()).optional(),
      outputs: nodeOutputsSchema.optional().catch(undefined),
      seed: z.number().optional(),
    })
    .loose(),
  'node.failed': z.object({ ms: z.number().optional(), error: errorInfoSchema.optional() }).loose(),
  'run.finished': z
    .object({
      ms: z.number().optional(),
      nodes: z.record(z.string(), summarySchema).optional().catch(undefined),
      outputs: outputsSchema.optional().catch(undefined),
    })
    .loose(),
  'run.failed': z
    .object({
      ms: z.number().optional(),
      status: z.string().optional(),
      error: errorInfoSchema.optional(),
      nodes: z.record(z.string(), summarySchema).optional().catch(undefined),
    })
    .loose(),
  'run.cancelled': z
    .object({
      error: errorInfoSchema.optional(),
      nodes: z.record(z.string(), summarySchema).optional().catch(undefined),
    })
    .loose(),
} satisfies Record<RunEvent['type'], z.ZodType>;

export function emptyRun(runId: string, status: RunStatusName = 'queued'): RunView {
  return { runId, status, lastSeq: 0, order: [], nodes: {}, outputs: {} };
}

/** A seed the node reports as used: `data.seed`, or a NUMBER output named `seed`. */
function usedSeed(data: { seed?: number; outputs?: Record<string, unknown> }): number | undefined {
  if (typeof data.seed === 'number') return data.seed;
  const o = data.outputs?.seed;
  return typeof o === 'number' ? o : undefined;
}

function setNode(
  run: RunView,
  id: string,
  patch: Partial<NodeRunState> & { status?: NodeRunStatus },
  replace = false,
): RunView {
  const prev = run.nodes[id];
  const next: NodeRunState = replace
    ? { ...patch, status: patch.status ?? 'pending' }
    : { ...prev, ...patch, status: patch.status ?? prev?.status ?? 'pending' };
  return { ...run, nodes: { ...run.nodes, [id]: next } };
}

/** Final per-node statuses from a terminal event's summaries; nodes that never ran read as skipped. */
function settle(
  run: RunView,
  summaries: Record<string, z.infer<typeof summarySchema>> | undefined,
  runStatus: RunStatusName,
): RunView {
  const nodes: Record<string, NodeRunState> = { ...run.nodes };
  const ids = new Set([...Object.keys(nodes), ...Object.keys(summaries ?? {})]);
  for (const id of ids) {
    const prev = nodes[id];
    const sum = summaries?.[id];
    let status: NodeRunStatus = sum?.status ?? prev?.status ?? 'pending';
    if (status === 'pending' || status === 'queued') status = 'skipped';
    if (status === 'running') status = runStatus === 'finished' ? 'done' : 'cancelled';
    nodes[id] = {
      ...prev,
      status,
      ...(sum?.ms !== undefined ? { ms: sum.ms } : {}),
      ...(sum?.error ? { error: sum.error } : {}),
      ...(sum?.warnings ? { warnings: sum.warnings } : {}),
      // Previews are for watching; the outputs replace them.
      preview: status === 'failed' || status === 'cancelled' ? prev?.preview : undefined,
    };
  }
  return { ...run, nodes };
}

/** A node that finished or was served from the cache: its outputs on the node and in `run.outputs`. */
function withOutputs(
  run: RunView,
  id: string,
  status: 'done' | 'cached',
  data: { ms?: number; warnings?: string[]; outputs?: Record<string, unknown>; seed?: number },
): RunView {
  const seed = usedSeed(data);
  const r = setNode(run, id, {
    status,
    value: undefined,
    max: undefined,
    phase: undefined,
    preview: undefined,
    error: undefined,
    ...(data.ms !== undefined ? { ms: data.ms } : {}),
    ...(data.outputs ? { outputs: data.outputs } : {}),
    ...(data.warnings ? { warnings: data.warnings } : {}),
    ...(seed !== undefined ? { usedSeed: seed } : {}),
  });
  return data.outputs ? { ...r, outputs: { ...r.outputs, [id]: data.outputs } } : r;
}

/** Folds one event into a run. Duplicates (seq already seen) return the run unchanged. */
export function applyRunEvent(run: RunView, e: RunEvent): RunView {
  if (e.seq <= run.lastSeq) return run;
  let r: RunView = { ...run, lastSeq: e.seq };
  const id = e.nodeId;
  switch (e.type) {
    case 'run.queued': {
      const d = eventDataSchemas['run.queued'].safeParse(e.data);
      return {
        ...r,
        status: 'queued',
        queuedAt: e.ts,
        ...(d.success ? { workflowId: d.data.workflowId, target: d.data.target } : {}),
      };
    }
    case 'run.started': {
      const d = eventDataSchemas['run.started'].safeParse(e.data);
      const order = d.success && d.data.nodes ? d.data.nodes : r.order;
      const nodes = { ...r.nodes };
      for (const n of order) if (!nodes[n]) nodes[n] = { status: 'queued' };
      return { ...r, status: 'running', startedAt: e.ts, order, nodes };
    }
    case 'node.started':
      return id
        ? setNode(r, id, {
            status: 'running',
            value: undefined,
            max: undefined,
            phase: undefined,
            preview: undefined,
            error: undefined,
          })
        : r;
    case 'node.progress': {
      if (!id) return r;
      const d = eventDataSchemas['node.progress'].safeParse(e.data);
      if (!d.success) return r;
      const { value, max, phase, preview } = d.data;
      return setNode(r, id, {
        status: 'running',
        ...(value !== undefined ? { value } : {}),
        ...(max !== undefined ? { max } : {}),
        ...(phase !== undefined ? { phase } : {}),
        ...(preview ? { preview: { url: preview.url, width: preview.width, height: preview.height } } : {}),
      });
    }
    case 'node.cached': {
      if (!id) return r;
      const d = eventDataSchemas['node.cached'].safeParse(e.data);
      return withOutputs(r, id, 'cached', d.success ? d.data : {});
    }
    case 'node.finished': {
      if (!id) return r;
      const d = eventDataSchemas['node.finished'].safeParse(e.data);
      return withOutputs(r, id, 'done', d.success ? d.data : {});
    }
    case 'node.failed': {
      if (!id) return r;
      const d = eventDataSchemas['node.failed'].safeParse(e.data);
      return setNode(r, id, {
        status: 'failed',
        ...(d.success && d.data.error ? { error: d.data.error } : {}),
        ...(d.success && d.data.ms !== undefined ? { ms: d.data.ms } : {}),
      });
    }
    case 'run.finished': {
      const d = eventDataSchemas['run.finished'].safeParse(e.data);
      r = settle(r, d.success ? d.data.nodes : undefined, 'finished');
      return {
        ...r,
        status: 'finished',
        finishedAt: e.ts,
        ...(d.success && d.data.ms !== undefined ? { ms: d.data.ms } : {}),
        // The nodes' own events carried these values too, with their previews: they win.
        ...(d.success && d.data.outputs ? { outputs: { ...d.data.outputs, ...r.outputs } } : {}),
      };
    }
    case 'run.failed': {
      const d = eventDataSchemas['run.failed'].safeParse(e.data);
      const status: RunStatusName = d.success && d.data.status === 'interrupted' ? 'interrupted' : 'failed';
      r = settle(r, d.success ? d.data.nodes : undefined, status);
      const error = d.success ? d.data.error : undefined;
      // A failure tied to a node shows on that node even when the node itself sent no node.failed (validation).
      if (error?.nodeId && r.nodes[error.nodeId]?.status !== 'failed')
        r = setNode(r, error.nodeId, { status: 'failed', error });
      return { ...r, status, finishedAt: e.ts, ...(error ? { error } : {}) };
    }
    case 'run.cancelled': {
      const d = eventDataSchemas['run.cancelled'].safeParse(e.data);
      r = settle(r, d.success ? d.data.nodes : undefined, 'cancelled');
      return {
        ...r,
        status: 'cancelled',
        finishedAt: e.ts,
        ...(d.success && d.data.error ? { error: d.data.error } : {}),
      };
    }
  }
}
