import { z } from 'zod';
import type { NodeSpec } from '@maskflow/workflow';
import { PORT_TYPES, runEventSchema, workflowRecordSchema } from '@maskflow/workflow';

/**
 * Response schemas the shared library does not define (it types NodeSpec as
 * an interface): every server answer the editor uses is parsed by one of these
 * or by a schema from `@maskflow/workflow`'s protocol.
 */

export const portSpecSchema = z.object({
  name: z.string(),
  type: z.enum(PORT_TYPES),
  label: z.string().optional(),
  description: z.string().optional(),
  optional: z.boolean().optional(),
});

export const nodeSpecSchema = z.object({
  type: z.string().min(1),
  version: z.number().int(),
  title: z.string(),
  category: z.string(),
  description: z.string().default(''),
  inputs: z.array(portSpecSchema),
  outputs: z.array(portSpecSchema),
  params: z.record(z.string(), z.unknown()),
  models: z.array(z.string()).default([]),
  cacheable: z.boolean().default(true),
  output: z.boolean().default(false),
}) satisfies z.ZodType<NodeSpec>;

/**
 * The node list, one spec at a time: a node type this editor cannot draw (a
 * port type it does not know) is left out of the palette with a warning
 * instead of taking the whole editor down.
 */
export const nodeSpecListSchema = z
  .array(z.unknown())
  .transform((items): { specs: NodeSpec[]; rejected: string[] } => {
    const specs: NodeSpec[] = [];
    const rejected: string[] = [];
    for (const item of items) {
      const r = nodeSpecSchema.safeParse(item);
      if (r.success) specs.push(r.data);
      else
        rejected.push(
          `${String((item as { type?: unknown } | null)?.type ?? '?')}: ${r.error.issues[0]?.message ?? 'invalid'}`,
        );
    }
    return { specs, rejected };
  });

export const workflowIssueSchema = z.object({
  code: z.string(),
  message: z.string(),
  nodeId: z.string().optional(),
  field: z.string().optional(),
  nodes: z.array(z.string()).optional(),
});
/** A validation problem as the editor shows it (the server's WorkflowIssue, with the code kept open). */
export type Issue = z.infer<typeof workflowIssueSchema>;

/** GET/POST/PUT one workflow: the record plus what the validator thinks of it. */
export const workflowResponseSchema = workflowRecordSchema.extend({
  issues: z.array(workflowIssueSchema).default([]),
});
export type WorkflowResponse = z.infer<typeof workflowResponseSchema>;

export const workflowListSchema = z.array(workflowRecordSchema);

export const runEventsResponseSchema = z.object({
  runId: z.string(),
  events: z.array(runEventSchema),
});

export const systemInfoSchema = z
  .object({
    version: z.string().optional(),
    provider: z.string().optional(),
  })
  .loose();

/** GET /api/models: the model manifest's entries and whether each is on disk. */
export const modelListSchema = z.object({
  models: z.array(
    z
      .object({
        id: z.string(),
        title: z.string().nullable().optional(),
        kind: z.string().nullable().optional(),
        state: z.string(),
        missing: z.array(z.string()).default([]),
        problem: z.string().optional(),
      })
      .loose(),
  ),
  note: z.string().optional(),
});
export type ModelList = z.infer<typeof modelListSchema>;
