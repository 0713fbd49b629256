import type { IncomingMessage } from 'node:http';
import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { ServerOptions } from 'socket.io';
import type { ServerConfig } from '../config/server.config';

/** Whether a browser page at `origin` may open a socket: same origin, or listed in MASKFLOW_CORS_ORIGIN. */
export function originAllowed(
  origin: string | undefined,
  host: string | undefined,
  allowed: string[] | undefined,
): boolean {
  // Non-browser clients (the CLI, scripts) send no Origin.
  if (!origin) return true;
  if (allowed?.includes(origin) || allowed?.includes('*')) return true;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/**
 * socket.io with the server's limits. WebSockets are not covered by CORS, so
 * a web page on another site could otherwise talk to a server on 127.0.0.1:
 * cross-origin handshakes are refused unless the origin is configured.
 */
export class MaskflowIoAdapter extends IoAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly config: ServerConfig,
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: ServerOptions): unknown {
    const allowed = this.config.corsOrigin;
    return super.createIOServer(port, {
      ...options,
      path: '/socket.io',
      serveClient: false,
      maxHttpBufferSize: this.config.jsonLimitBytes,
      cors: allowed?.length ? { origin: allowed, credentials: false } : undefined,
      allowRequest: (req: IncomingMessage, cb: (err: string | null | undefined, ok: boolean) => void) => {
        const ok = originAllowed(req.headers.origin, req.headers.host, allowed);
        cb(ok ? null : 'origin not allowed (set MASKFLOW_CORS_ORIGIN)', ok);
      },
    });
  }
}
