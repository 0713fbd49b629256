import { z } from 'zod';
import { errorInfoSchema, runEventSchema } from './events';
import { workflowSchema, WORKFLOW_LIMITS } from './workflow.schema';

/**
 * The server's wire contract: every REST body and query, every client→server
 * socket.io message and its acknowledgement. The server validates with these,
 * the UI and the CLI type their calls with them; OpenAPI is derived from them.
 */

// ── identifiers ────────────────────────────────────────────────────────────

/** An artifact is addressed by the sha256 of its bytes, never by a path. */
export const artifactIdSchema = z
  .string()
  .regex(
    /^[0-9a-f]{64}$/,
    'must be an artifact id (64 lowercase hex characters, as returned by POST /api/artifacts)',
  );
export const runIdSchema = z.uuid({ message: 'must be a run id (a UUID)' });
/** Saved workflows: seeded ones are named after their file (`remove-object-classical`), new ones get a UUID. */
export const workflowIdSchema = z
  .string()
  .min(1)
  .max(WORKFLOW_LIMITS.maxIdLength)
  .regex(/^[A-Za-z0-9_-]+$/, 'must be a workflow id (letters, digits, _ and -)');

export const RUN_STATUSES = ['queued', 'running', 'finished', 'failed', 'cancelled', 'interrupted'] as const;
export type RunStatusName = (typeof RUN_STATUSES)[number];
export const TERMINAL_RUN_STATUSES: readonly RunStatusName[] = [
  'finished',
  'failed',
  'cancelled',
  'interrupted',
];

/** Exposed-input values (`{ prompt: "a fox", image: "<artifact id>" }`), bounded. */
export const workflowInputValuesSchema = z
  .record(
    z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, 'input names contain only letters, digits, _ and -')
      .max(100),
    z.unknown(),
  )
  .refine((o) => Object.keys(o).length <= 100, 'at most 100 inputs')
  .default({});

// ── REST bodies and queries ────────────────────────────────────────────────

export const workflowCreateBodySchema = z.object({
  name: z.string().trim().min(1, 'must not be empty').max(200),
  description: z.string().max(5000).default(''),
  graph: workflowSchema,
});
export type WorkflowCreateBody = z.input<typeof workflowCreateBodySchema>;

export const workflowUpdateBodySchema = z.object({
  /** The revision the client last read; a save against an older one is refused with 409. */
  revision: z.number().int().min(1),
  name: z.string().trim().min(1, 'must not be empty').max(200).optional(),
  description: z.string().max(5000).optional(),
  graph: workflowSchema.optional(),
});
export type WorkflowUpdateBody = z.input<typeof workflowUpdateBodySchema>;

/** Submit a graph, or a saved workflow by id; `inputs` sets exposed params on either. */
export const runSubmitBodySchema = z
  .object({
    workflow: workflowSchema.optional(),
    workflowId: workflowIdSchema.optional(),
    inputs: workflowInputValuesSchema,
    /** Run only this node and what it needs. */
    target: z.string().min(1).max(WORKFLOW_LIMITS.maxIdLength).optional(),
  })
  .refine((b) => (b.workflow === undefined) !== (b.workflowId === undefined), {
    message: 'give either "workflow" (a graph) or "workflowId" (a saved workflow), not both',
    path: ['workflow'],
  });
export type RunSubmitBody = z.input<typeof runSubmitBodySchema>;

const intFromQuery = (min: number, max: number, dflt: number) =>
  z.coerce.number().int().min(min).max(max).default(dflt);

export const runListQuerySchema = z.object({
  status: z.enum(RUN_STATUSES).optional(),
  workflowId: workflowIdSchema.optional(),
  limit: intFromQuery(1, 200, 50),
  offset: intFromQuery(0, 1_000_000_000, 0),
});
export type RunListQuery = z.input<typeof runListQuerySchema>;

export const runEventsQuerySchema = z.object({
  /** Events with seq greater than this (0 = from the start). */
  after: intFromQuery(0, Number.MAX_SAFE_INTEGER, 0),
  limit: intFromQuery(1, 10_000, 1000),
});

export const thumbnailQuerySchema = z.object({
  size: intFromQuery(16, 1024, 256),
});

/** POST /api/artifacts/prune: uploads nothing references, last uploaded more than this long ago. */
export const pruneUploadsBodySchema = z
  .object({
    olderThanHours: z.number().min(0).max(100_000).default(24),
    dryRun: z.boolean().default(false),
  })
  .strict()
  // No body at all means every default.
  .prefault({});

// ── REST responses ─────────────────────────────────────────────────────────

/** One problem with a graph (WorkflowIssue as data). */
export const workflowIssueSchema = z.object({
  code: z.string(),
  message: z.string(),
  nodeId: z.string().optional(),
  field: z.string().optional(),
  nodes: z.array(z.string()).optional(),
});
/** ErrorInfo with its issues typed: what every error response and `{ error }` acknowledgement carries. */
export const apiErrorInfoSchema = errorInfoSchema.extend({ issues: z.array(workflowIssueSchema).optional() });
export const errorBodySchema = z.object({ error: apiErrorInfoSchema });
export type ErrorBody = z.infer<typeof errorBodySchema>;

export const artifactRecordSchema = z.object({
  id: artifactIdSchema,
  mime: z.string(),
  bytes: z.number().int(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  name: z.string().nullable(),
  createdAt: z.string(),
});
export type ArtifactRecord = z.infer<typeof artifactRecordSchema>;

export const workflowRecordSchema = z.object({
  id: workflowIdSchema,
  name: z.string(),
  description: z.string(),
  graph: workflowSchema,
  revision: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type WorkflowRecord = z.infer<typeof workflowRecordSchema>;

export const nodeRunSummarySchema = z.object({
  status: z.enum(['pending', 'running', 'cached', 'done', 'failed', 'cancelled', 'skipped']),
  ms: z.number().optional(),
  cached: z.boolean().optional(),
  warnings: z.array(z.string()).optional(),
  error: apiErrorInfoSchema.optional(),
});

export const runRecordSchema = z.object({
  id: runIdSchema,
  workflowId: z.string().nullable(),
  status: z.enum(RUN_STATUSES),
  target: z.string().nullable(),
  inputs: z.record(z.string(), z.unknown()),
  provider: z.string(),
  nodes: z.record(z.string(), nodeRunSummarySchema),
  outputs: z.record(z.string(), z.record(z.string(), z.unknown())),
  error: apiErrorInfoSchema.nullable(),
  lastSeq: z.number().int(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  /** Only on GET /api/runs/:id: the graph exactly as it ran (inputs applied, params migrated). */
  graph: workflowSchema.optional(),
});
export type RunRecord = z.infer<typeof runRecordSchema>;

export const runListSchema = z.object({
  items: z.array(runRecordSchema),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
});
export type RunList = z.infer<typeof runListSchema>;

// ── socket.io ──────────────────────────────────────────────────────────────

/** The one server→client event: every run event, in seq order per run. */
export const SERVER_EVENT = 'run.event' as const;
/** Sent instead of an acknowledgement when a message came without an ack callback and failed. */
export const SERVER_ERROR_EVENT = 'protocol.error' as const;

export const subscribeMessageSchema = z.object({
  runId: runIdSchema,
  /** Replays events with seq greater than this before the live ones (0 = everything). */
  afterSeq: z.number().int().min(0).default(0),
});
export const unsubscribeMessageSchema = z.object({ runId: runIdSchema });
export const runSubmitMessageSchema = runSubmitBodySchema.and(
  z.object({
    /** Subscribe the submitting socket to the new run (default true), so no event is missed. */
    subscribe: z.boolean().default(true),
  }),
);
export const runCancelMessageSchema = z.object({ runId: runIdSchema });

/** Every client→server message by name. The gateway checks at start-up that each has a handler. */
export const CLIENT_MESSAGES = {
  subscribe: subscribeMessageSchema,
  unsubscribe: unsubscribeMessageSchema,
  'run.submit': runSubmitMessageSchema,
  'run.cancel': runCancelMessageSchema,
} as const;
export type ClientMessageType = keyof typeof CLIENT_MESSAGES;
export type ClientMessage<K extends ClientMessageType> = z.output<(typeof CLIENT_MESSAGES)[K]>;
export type ClientMessageInput<K extends ClientMessageType> = z.input<(typeof CLIENT_MESSAGES)[K]>;

/** Acknowledgements, by message name. Failures are `{ error }` for every message. */
export interface ClientAcks {
  subscribe: { ok: true; runId: string; status: RunStatusName; lastSeq: number };
  unsubscribe: { ok: true; runId: string };
  'run.submit': { runId: string; status: RunStatusName };
  'run.cancel': { ok: true; runId: string; status: RunStatusName };
}
export type ErrorAck = z.infer<typeof errorBodySchema>;
export type ClientAck<K extends ClientMessageType> = ClientAcks[K] | ErrorAck;

export const serverEventSchema = runEventSchema;
