/**
 * The little of Express's request and response the server touches, typed here
 * so the server does not depend on @types/express.
 */
export interface HttpRequest {
  headers: Record<string, string | string[] | undefined>;
  query?: Record<string, unknown>;
}

export interface HttpResponse {
  headersSent: boolean;
  status(code: number): HttpResponse;
  json(body: unknown): void;
  end(): void;
}

export type NextFn = (err?: unknown) => void;
