import type { PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import type { WorkflowIssue } from '@maskflow/workflow';
import { ApiError } from './api.error';

/**
 * zod issues as workflow issues: a path into `<x>.nodes[i]` is tied to that
 * node's id, so a bad graph reads the same whether the pipe or the validator
 * caught it.
 */
export function zodIssues(error: z.ZodError, input: unknown): WorkflowIssue[] {
  return error.issues.map((iss) => {
    const path = iss.path.map(String);
    const issue: WorkflowIssue = { code: 'format', message: iss.message, field: path.join('.') || '(body)' };
    const at = iss.path.indexOf('nodes');
    if (at >= 0 && typeof iss.path[at + 1] === 'number') {
      let cur: unknown = input;
      for (const p of iss.path.slice(0, at + 2))
        cur = cur && typeof cur === 'object' ? (cur as Record<PropertyKey, unknown>)[p] : undefined;
      const id = (cur as { id?: unknown } | undefined)?.id;
      if (typeof id === 'string') {
        issue.nodeId = id;
        issue.field = path.slice(at + 2).join('.') || '(node)';
      }
    }
    return issue;
  });
}

export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues = zodIssues(r.error, value);
  const first = issues[0];
  const where = [first?.nodeId ? `node "${first.nodeId}"` : '', first?.field ? `"${first.field}"` : '']
    .filter(Boolean)
    .join(' ');
  throw ApiError.badRequest(
    'invalid-request',
    `invalid ${what}: ${where ? `${where}: ` : ''}${first?.message ?? 'malformed'}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`,
    { issues, field: first?.field, nodeId: first?.nodeId },
  );
}

/** Validates a body, query or param with a zod schema; the handler gets the parsed value. */
export class ZodValidationPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(
    private readonly schema: S,
    private readonly what = 'request',
  ) {}

  transform(value: unknown): z.output<S> {
    return parseOrThrow(this.schema, value, this.what);
  }
}
