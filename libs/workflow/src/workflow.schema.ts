import { z } from 'zod';

/** Bounds that keep a hostile or broken graph from exhausting the server. */
export const WORKFLOW_LIMITS = {
  maxNodes: 500,
  maxEdges: 2000,
  maxIdLength: 100,
} as const;

const id = z
  .string()
  .min(1, 'must not be empty')
  .max(WORKFLOW_LIMITS.maxIdLength)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'may contain only letters, digits, _ . : -');

export const workflowNodeSchema = z.object({
  id,
  type: z.string().min(1).max(100),
  /** The node type's version the params were saved with; absent means the current one. */
  typeVersion: z.number().int().min(1).optional(),
  params: z.record(z.string(), z.unknown()).default({}),
  position: z.object({ x: z.number(), y: z.number() }).default({ x: 0, y: 0 }),
  title: z.string().max(200).optional(),
});

export const workflowEdgeSchema = z.object({
  id: z.string().max(200).optional(),
  source: id,
  sourceHandle: z.string().min(1).max(100),
  target: id,
  targetHandle: z.string().min(1).max(100),
});

export const exposedInputSchema = z.object({
  node: id,
  param: z.string().min(1).max(100),
  label: z.string().max(200).optional(),
});

export const workflowSchema = z.object({
  version: z.literal(1),
  name: z.string().max(200).optional(),
  description: z.string().max(5000).optional(),
  nodes: z.array(workflowNodeSchema).max(WORKFLOW_LIMITS.maxNodes),
  edges: z.array(workflowEdgeSchema).max(WORKFLOW_LIMITS.maxEdges).default([]),
  inputs: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/), exposedInputSchema).default({}),
});

export type WorkflowNode = z.infer<typeof workflowNodeSchema>;
export type WorkflowEdge = z.infer<typeof workflowEdgeSchema>;
export type ExposedInput = z.infer<typeof exposedInputSchema>;
export type Workflow = z.infer<typeof workflowSchema>;
/** The document as written by hand (defaults not yet applied). */
export type WorkflowInput = z.input<typeof workflowSchema>;
