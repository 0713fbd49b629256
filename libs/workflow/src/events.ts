import { z } from 'zod';
import type { ErrorInfo } from './errors';

/** The lifecycle events of a run, as sent on socket.io and printed by the CLI. */
export const RUN_EVENT_TYPES = [
  'run.queued',
  'run.started',
  'node.started',
  'node.progress',
  'node.cached',
  'node.finished',
  'node.failed',
  'run.finished',
  'run.failed',
  'run.cancelled',
] as const;
export type RunEventType = (typeof RUN_EVENT_TYPES)[number];

export const errorInfoSchema = z.object({
  kind: z.enum(['user', 'environment', 'internal']),
  code: z.string(),
  message: z.string(),
  nodeId: z.string().optional(),
  field: z.string().optional(),
  issues: z.array(z.record(z.string(), z.unknown())).optional(),
});

export const runEventSchema = z.object({
  type: z.enum(RUN_EVENT_TYPES),
  runId: z.string(),
  /** Per-run sequence number, from 1, without gaps: a reconnecting client asks for seq > n. */
  seq: z.number().int().nonnegative(),
  ts: z.number(),
  nodeId: z.string().optional(),
  data: z.record(z.string(), z.unknown()),
});
export type RunEvent = z.infer<typeof runEventSchema>;

/** What each node did in a run. */
export interface NodeRunSummary {
  status: 'pending' | 'running' | 'cached' | 'done' | 'failed' | 'cancelled' | 'skipped';
  ms?: number;
  cached?: boolean;
  warnings?: string[];
  error?: ErrorInfo;
}
