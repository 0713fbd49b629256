/**
 * The little of Express's request and response the server touches, typed here
 * so the server does not depend on @types/express.
 */
export interface HttpRequest {
  method: string;
  /** The URL's path, without the query. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  query?: Record<string, unknown>;
}

export interface HttpResponse {
  headersSent: boolean;
  status(code: number): HttpResponse;
  setHeader(name: string, value: string): void;
  json(body: unknown): void;
  sendFile(file: string, options: { root: string }, done: (err?: Error) => void): void;
  end(): void;
}

export type NextFn = (err?: unknown) => void;
