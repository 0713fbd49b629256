import { HttpException } from '@nestjs/common';
import type { ErrorInfo, ErrorKind, WorkflowIssue } from '@maskflow/workflow';

/** An HTTP error with the JSON body every endpoint answers with: `{ error: { kind, code, message, ... } }`. */
export class ApiError extends HttpException {
  constructor(
    status: number,
    readonly info: ErrorInfo,
  ) {
    super({ error: info }, status);
  }

  static user(
    status: number,
    code: string,
    message: string,
    extra: Omit<Partial<ErrorInfo>, 'kind' | 'code' | 'message'> = {},
  ): ApiError {
    return new ApiError(status, { kind: 'user', code, message, ...extra });
  }

  static badRequest(
    code: string,
    message: string,
    extra: { field?: string; nodeId?: string; issues?: WorkflowIssue[] } = {},
  ): ApiError {
    return ApiError.user(400, code, message, extra);
  }

  static notFound(what: string, id: string): ApiError {
    return ApiError.user(404, 'not-found', `${what} "${id}" does not exist`);
  }

  static conflict(code: string, message: string): ApiError {
    return ApiError.user(409, code, message);
  }

  static of(status: number, kind: ErrorKind, code: string, message: string): ApiError {
    return new ApiError(status, { kind, code, message });
  }
}
