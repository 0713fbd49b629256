import type { z } from 'zod';
import type { errorInfoSchema } from '@maskflow/workflow';
import { errorBodySchema } from '@maskflow/workflow';
import type { Issue } from './schemas';
import { workflowIssueSchema } from './schemas';

/** An error as the server sends it: who must act (kind), a stable code, a message that says what to do. */
export type ErrorInfo = z.infer<typeof errorInfoSchema>;

/** An answer other than 2xx, with the server's `{ error }` body when it sent one. */
export class ApiRequestError extends Error {
  constructor(
    readonly status: number,
    readonly info: ErrorInfo,
  ) {
    super(info.message);
    this.name = 'ApiRequestError';
  }

  /** The validation problems a refused graph came back with (400 invalid-workflow). */
  get issues(): Issue[] {
    return (this.info.issues ?? []).flatMap((i) => {
      const r = workflowIssueSchema.safeParse(i);
      return r.success ? [r.data] : [];
    });
  }
}

/** A 2xx answer whose body does not match the contract: a server/UI version mismatch, said plainly. */
export class ApiContractError extends Error {
  constructor(what: string, error: z.ZodError) {
    super(
      `the server's answer to ${what} is not what this editor expects: ${error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ')}`,
    );
    this.name = 'ApiContractError';
  }
}

const TOKEN_KEY = 'maskflow.token';

/**
 * The access token for servers that listen beyond loopback: taken once from
 * `?token=` in the page address, then kept for the tab.
 */
export function accessToken(): string | undefined {
  if (typeof window === 'undefined') return undefined;
  const fromUrl = new URLSearchParams(window.location.search).get('token');
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    return fromUrl;
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

/** Adds the token to URLs the browser fetches by itself (`<img src>`, downloads). */
export function withToken(url: string): string {
  const token = accessToken();
  if (!token) return url;
  return `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  body?: unknown;
  form?: FormData;
  signal?: AbortSignal;
}

async function errorFrom(res: Response): Promise<ApiRequestError> {
  let info: ErrorInfo = {
    kind: res.status >= 500 ? 'internal' : 'user',
    code: `http-${res.status}`,
    message: `${res.status} ${res.statusText}`,
  };
  try {
    const parsed = errorBodySchema.safeParse(await res.json());
    if (parsed.success) info = parsed.data.error;
  } catch {
    // not JSON: keep the status line
  }
  return new ApiRequestError(res.status, info);
}

/** Sends one request and returns its 2xx answer; anything else is thrown as an ApiRequestError. */
async function send(path: string, opts: RequestOptions, accept: string): Promise<Response> {
  const headers: Record<string, string> = { Accept: accept };
  const token = accessToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let body: BodyInit | undefined;
  if (opts.form) body = opts.form;
  else if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  let res: Response;
  try {
    res = await fetch(path, { method: opts.method ?? 'GET', headers, body, signal: opts.signal });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiRequestError(0, {
      kind: 'environment',
      code: 'unreachable',
      message: `cannot reach the Maskflow server (${err instanceof Error ? err.message : String(err)}); is it running?`,
    });
  }
  if (!res.ok) throw await errorFrom(res);
  return res;
}

/** One request; the 2xx body is parsed with `schema` (null for empty answers). */
export async function request<S extends z.ZodType>(
  path: string,
  schema: S | null,
  opts: RequestOptions = {},
): Promise<z.output<S>> {
  const res = await send(path, opts, 'application/json');
  if (schema === null) return undefined as z.output<S>;
  const json: unknown = res.status === 204 ? null : await res.json();
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new ApiContractError(`${opts.method ?? 'GET'} ${path}`, parsed.error);
  return parsed.data;
}

/** One GET whose answer is a file: its bytes. */
export async function requestBytes(
  path: string,
  opts: Pick<RequestOptions, 'signal'> = {},
): Promise<Uint8Array> {
  const res = await send(path, opts, '*/*');
  return new Uint8Array(await res.arrayBuffer());
}
