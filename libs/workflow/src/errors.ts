import type { WorkflowIssue } from './issues';
import { formatIssue } from './issues';

/**
 * Who must act on an error: the user (bad graph, bad input), the operator's
 * environment (model missing, out of memory) or us (a bug).
 */
export type ErrorKind = 'user' | 'environment' | 'internal';

export interface ErrorInfo {
  kind: ErrorKind;
  code: string;
  message: string;
  nodeId?: string;
  field?: string;
  issues?: WorkflowIssue[];
}

export class MaskflowError extends Error {
  readonly kind: ErrorKind;
  readonly code: string;
  nodeId?: string;
  readonly field?: string;

  constructor(
    kind: ErrorKind,
    code: string,
    message: string,
    opts: { nodeId?: string; field?: string; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.kind = kind;
    this.code = code;
    this.nodeId = opts.nodeId;
    this.field = opts.field;
  }

  toJSON(): ErrorInfo {
    return {
      kind: this.kind,
      code: this.code,
      message: this.message,
      nodeId: this.nodeId,
      field: this.field,
    };
  }
}

/** The user's to fix: a bad param, a bad file, an impossible request. */
export class UserError extends MaskflowError {
  constructor(
    message: string,
    opts: { code?: string; nodeId?: string; field?: string; cause?: unknown } = {},
  ) {
    super('user', opts.code ?? 'bad-input', message, opts);
  }
}

/** The operator's to fix: a missing model, no GPU, out of memory, a full disk. */
export class EnvironmentError extends MaskflowError {
  constructor(
    message: string,
    opts: { code?: string; nodeId?: string; field?: string; cause?: unknown } = {},
  ) {
    super('environment', opts.code ?? 'environment', message, opts);
  }
}

/** A graph that failed validation: carries every problem found. */
export class WorkflowValidationError extends MaskflowError {
  readonly issues: WorkflowIssue[];
  constructor(issues: WorkflowIssue[]) {
    super(
      'user',
      'invalid-workflow',
      `the workflow has ${issues.length} problem${issues.length === 1 ? '' : 's'}:\n` +
        issues.map((i) => `  - ${formatIssue(i)}`).join('\n'),
    );
    this.issues = issues;
  }
  override toJSON(): ErrorInfo {
    return { ...super.toJSON(), issues: this.issues };
  }
}

/** Raised when a run is cancelled through its abort signal. */
export class CancelledError extends MaskflowError {
  constructor(message = 'cancelled') {
    super('user', 'cancelled', message);
  }
}

/** Normalizes anything thrown into an ErrorInfo; unknown errors are bugs (internal). */
export function toErrorInfo(err: unknown, nodeId?: string): ErrorInfo {
  if (err instanceof MaskflowError) {
    const info = err.toJSON();
    return { ...info, nodeId: info.nodeId ?? nodeId };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { kind: 'internal', code: 'internal', message, nodeId };
}
