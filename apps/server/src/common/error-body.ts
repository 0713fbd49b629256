import { HttpException, Logger } from '@nestjs/common';
import type { ErrorInfo } from '@maskflow/workflow';
import { MaskflowError, WorkflowInputError } from '@maskflow/workflow';
import { ApiError } from './api.error';

const CODES: Record<number, string> = {
  400: 'bad-request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  409: 'conflict',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
  422: 'unprocessable',
  429: 'too-many-requests',
};

const log = new Logger('Errors');

function httpMessage(e: HttpException): string {
  const r = e.getResponse();
  if (typeof r === 'string') return r;
  const m = (r as { message?: unknown }).message;
  if (Array.isArray(m)) return m.map(String).join('; ');
  return typeof m === 'string' ? m : e.message;
}

/**
 * Any thrown value as (HTTP status, error info). The user's mistakes are 4xx
 * with a message that says what to change; anything unexpected is a 500 that
 * says only that it was logged.
 */
export function toErrorResponse(err: unknown): { status: number; info: ErrorInfo } {
  if (err instanceof ApiError) return { status: err.getStatus(), info: err.info };
  if (err instanceof MaskflowError) {
    const info = err.toJSON();
    const status =
      info.kind === 'user'
        ? info.code === 'not-found'
          ? 404
          : 400
        : info.kind === 'environment'
          ? 503
          : 500;
    return { status, info: stripUndefined(info) };
  }
  if (err instanceof WorkflowInputError)
    return {
      status: 400,
      info: { kind: 'user', code: 'unknown-input', message: err.message, field: 'inputs' },
    };
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const kind = status < 500 ? 'user' : 'internal';
    return {
      status,
      info: {
        kind,
        code: CODES[status] ?? (status < 500 ? 'bad-request' : 'internal'),
        message: httpMessage(err),
      },
    };
  }
  // body-parser and friends mark client errors with a status.
  const e = err as { status?: unknown; statusCode?: unknown; type?: unknown; message?: unknown } | null;
  const status = Number(e?.status ?? e?.statusCode);
  if (status >= 400 && status < 500) {
    const type = typeof e?.type === 'string' ? e.type : '';
    const code =
      type === 'entity.parse.failed'
        ? 'malformed-json'
        : type === 'entity.too.large'
          ? 'payload-too-large'
          : (CODES[status] ?? 'bad-request');
    const message =
      code === 'malformed-json'
        ? `the request body is not valid JSON: ${typeof e?.message === 'string' ? e.message : 'parse error'}`
        : code === 'payload-too-large'
          ? 'the request body is larger than the limit (MASKFLOW_JSON_LIMIT_MB)'
          : typeof e?.message === 'string'
            ? e.message
            : 'bad request';
    return { status, info: { kind: 'user', code, message } };
  }
  log.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  return {
    status: 500,
    info: {
      kind: 'internal',
      code: 'internal',
      message: 'internal server error (details are in the server log)',
    },
  };
}

function stripUndefined(info: ErrorInfo): ErrorInfo {
  return Object.fromEntries(Object.entries(info).filter(([, v]) => v !== undefined)) as unknown as ErrorInfo;
}
