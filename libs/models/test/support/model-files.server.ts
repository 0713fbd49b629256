import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface FileBehaviour {
  /** The first N GET requests send this many body bytes, then the socket is destroyed. */
  cutAfterBytes?: number;
  cutTimes?: number;
  /** Ignore Range headers (answer 200 with the whole file). */
  ignoreRange?: boolean;
  /** Answer with a redirect to this path instead. */
  redirectTo?: string;
  /** Send the body in chunks of this size with this pause between them, to keep a download in flight. */
  chunkSize?: number;
  chunkDelayMs?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  status?: number;
}

/**
 * A Hugging Face-like file server on 127.0.0.1 for download tests: serves bytes
 * by path, honours Range (206 + Content-Range), can cut connections, redirect,
 * and records every request. Unknown paths get 404.
 */
export class ModelFilesServer {
  readonly files = new Map<string, Buffer>();
  readonly behaviours = new Map<string, FileBehaviour>();
  readonly requests: RecordedRequest[] = [];
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private cuts = new Map<string, number>();

  /** Base URL, e.g. http://127.0.0.1:41234 */
  url = '';

  serve(path: string, body: Buffer, behaviour: FileBehaviour = {}): void {
    this.files.set(path, body);
    this.behaviours.set(path, behaviour);
  }

  requestsFor(path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path && r.method === 'GET');
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const path = decodeURIComponent((req.url ?? '/').split('?')[0]);
      const record: RecordedRequest = { method: req.method ?? 'GET', path, headers: req.headers };
      this.requests.push(record);
      this.handle(path, req.headers, res, record);
    });
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    return this.url;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private handle(
    path: string,
    headers: IncomingHttpHeaders,
    res: ServerResponse,
    record: RecordedRequest,
  ): void {
    const body = this.files.get(path);
    const b = this.behaviours.get(path) ?? {};
    if (b.redirectTo) {
      record.status = 302;
      res.writeHead(302, { Location: b.redirectTo });
      res.end();
      return;
    }
    if (!body) {
      record.status = 404;
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('Entry not found');
      return;
    }
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(headers.range ?? '');
    if (range && !b.ignoreRange) {
      start = Number(range[1]);
      if (start >= body.length) {
        record.status = 416;
        res.writeHead(416, { 'Content-Range': `bytes */${body.length}` });
        res.end();
        return;
      }
    }
    const partial = start > 0;
    record.status = partial ? 206 : 200;
    res.writeHead(partial ? 206 : 200, {
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(body.length - start),
      'Accept-Ranges': 'bytes',
      ...(partial ? { 'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
    });
    const rest = body.subarray(start);
    const cutSoFar = this.cuts.get(path) ?? 0;
    if (b.cutAfterBytes !== undefined && cutSoFar < (b.cutTimes ?? 1)) {
      this.cuts.set(path, cutSoFar + 1);
      res.write(rest.subarray(0, b.cutAfterBytes), () => {
        // Give the client time to read the bytes (fetch drops queued chunks when the stream errors), then cut.
        setTimeout(() => res.socket?.destroy(), 150);
      });
      return;
    }
    if (b.chunkSize) {
      let offset = 0;
      const pump = (): void => {
        if (res.destroyed) return;
        if (offset >= rest.length) {
          res.end();
          return;
        }
        res.write(rest.subarray(offset, offset + (b.chunkSize ?? rest.length)));
        offset += b.chunkSize ?? rest.length;
        setTimeout(pump, b.chunkDelayMs ?? 10);
      };
      pump();
      return;
    }
    res.end(rest);
  }
}

export function randomFile(bytes: number): { body: Buffer; sha256: string } {
  const body = randomBytes(bytes);
  return { body, sha256: createHash('sha256').update(body).digest('hex') };
}

/** A port that nothing listens on: bind, read the port, close. */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
