import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { io } from 'socket.io-client';
import type { Socket } from 'socket.io-client';
import { builtinNodes, NodeRegistry } from '@maskflow/nodes';
import type { ClientAck, ClientMessageInput, ClientMessageType, RunEvent } from '@maskflow/workflow';
import { SERVER_EVENT } from '@maskflow/workflow';
import { createApp } from '../../../apps/server/src/app.factory';
import type { CreateAppOptions, MaskflowApp } from '../../../apps/server/src/app.factory';
import { AddNode, ConstNode, FailNode, OutputNode, RandomNode, TextNode } from '../../helpers/test-nodes';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

// Hermetic: a developer's own server settings must not leak into the servers these tests start.
for (const name of [
  'MASKFLOW_TOKEN',
  'MASKFLOW_HOST',
  'MASKFLOW_PORT',
  'MASKFLOW_DATA_DIR',
  'DATABASE_URL',
  'MASKFLOW_CORS_ORIGIN',
]) {
  delete process.env[name];
}

/** Built-in nodes plus the test nodes (Const, Add with delayMs, Fail, ...), for slow and failing graphs. */
export function testRegistry(): NodeRegistry {
  return new NodeRegistry([
    ...builtinNodes(),
    ConstNode,
    AddNode,
    TextNode,
    FailNode,
    RandomNode,
    OutputNode,
  ]);
}

export interface TestServer extends MaskflowApp {
  dataDir: string;
  api: Api;
}

/** A real server on 127.0.0.1, a random port and a fresh SQLite database in a temp dir. */
export async function startServer(options: CreateAppOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'maskflow-server-'));
  const server = await createApp({
    host: '127.0.0.1',
    port: 0,
    dataDir,
    registry: testRegistry(),
    logger: false,
    seedDir: path.join(REPO_ROOT, 'workflows'),
    uiDir: path.join(dataDir, 'no-ui'),
    ...options,
  });
  const close = async () => {
    await server.close();
    if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  return { ...server, close, dataDir, api: new Api(server.url, options.token) };
}

export interface Reply<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

/** fetch with JSON in and out; every answer is returned, never thrown. */
export class Api {
  constructor(
    readonly url: string,
    private readonly token?: string,
  ) {}

  async request<T = Record<string, unknown>>(
    method: string,
    p: string,
    body?: unknown,
    opts: { raw?: string | Buffer; headers?: Record<string, string>; token?: string | null } = {},
  ): Promise<Reply<T>> {
    const token = opts.token === null ? undefined : (opts.token ?? this.token);
    const headers: Record<string, string> = {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...opts.headers,
    };
    let payload: string | Buffer | undefined = opts.raw;
    if (body !== undefined) payload = JSON.stringify(body);
    if (payload !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
    const res = await fetch(this.url + p, {
      method,
      headers,
      body: typeof payload === 'string' || payload === undefined ? payload : new Uint8Array(payload),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // binary or HTML: keep the text
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  get<T = Record<string, unknown>>(p: string, opts?: { token?: string | null }) {
    return this.request<T>('GET', p, undefined, opts);
  }
  post<T = Record<string, unknown>>(p: string, body?: unknown) {
    return this.request<T>('POST', p, body);
  }
  put<T = Record<string, unknown>>(p: string, body?: unknown) {
    return this.request<T>('PUT', p, body);
  }
  delete<T = Record<string, unknown>>(p: string) {
    return this.request<T>('DELETE', p);
  }

  /** A multipart upload of one file field named "file" (to /api/artifacts unless told). */
  async upload<T = Record<string, unknown>>(
    bytes: Buffer,
    name = 'photo.png',
    to = '/api/artifacts',
  ): Promise<Reply<T>> {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(bytes)]), name);
    const res = await fetch(`${this.url}${to}`, {
      method: 'POST',
      body: form,
      headers: this.token ? { authorization: `Bearer ${this.token}` } : {},
    });
    return { status: res.status, body: (await res.json()) as T, headers: res.headers };
  }

  async download(id: string): Promise<{ status: number; bytes: Buffer; type: string | null }> {
    const res = await fetch(`${this.url}/api/artifacts/${id}`, {
      headers: this.token ? { authorization: `Bearer ${this.token}` } : {},
    });
    return {
      status: res.status,
      bytes: Buffer.from(await res.arrayBuffer()),
      type: res.headers.get('content-type'),
    };
  }
}

export async function pngImage(width: number, height: number, noise = false): Promise<Buffer> {
  if (noise)
    return sharp({
      create: {
        width,
        height,
        channels: 3,
        background: '#000',
        noise: { type: 'gaussian', mean: 128, sigma: 40 },
      },
    })
      .png()
      .toBuffer();
  return sharp({ create: { width, height, channels: 3, background: { r: 40, g: 120, b: 200 } } })
    .png()
    .toBuffer();
}

/** A socket.io client with a log of every run event it received. */
export class TestClient {
  readonly events: RunEvent[] = [];
  private waiters: Array<() => void> = [];

  private constructor(readonly socket: Socket) {
    socket.on(SERVER_EVENT, (e: RunEvent) => {
      this.events.push(e);
      for (const w of this.waiters) w();
    });
  }

  static async connect(
    url: string,
    opts: { token?: string; headers?: Record<string, string> } = {},
  ): Promise<TestClient> {
    const socket = io(url, {
      path: '/socket.io',
      transports: ['websocket'],
      reconnection: false,
      auth: opts.token ? { token: opts.token } : {},
      extraHeaders: opts.headers,
      forceNew: true,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (err) => {
        socket.close();
        reject(err);
      });
    });
    return new TestClient(socket);
  }

  /** `msg` is deliberately loose: tests also send malformed messages. */
  async send<K extends ClientMessageType>(
    type: K,
    msg: ClientMessageInput<K> | Record<string, unknown> | string,
  ): Promise<ClientAck<K>> {
    return (await this.socket.timeout(10_000).emitWithAck(type, msg)) as ClientAck<K>;
  }

  of(runId: string): RunEvent[] {
    return this.events.filter((e) => e.runId === runId);
  }

  /** Resolves once `pred` holds on the events received so far. */
  waitFor(pred: (events: RunEvent[]) => boolean, timeoutMs = 30_000): Promise<void> {
    if (pred(this.events)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(
          new Error(
            `timed out waiting for events; got ${this.events.map((e) => `${e.seq}:${e.type}`).join(', ')}`,
          ),
        );
      }, timeoutMs);
      const check = () => {
        if (!pred(this.events)) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve();
      };
      this.waiters.push(check);
    });
  }

  waitForEnd(runId: string, timeoutMs?: number): Promise<void> {
    return this.waitFor((evs) => evs.some((e) => e.runId === runId && isTerminal(e)), timeoutMs);
  }

  close(): void {
    this.socket.close();
  }
}

export function isTerminal(e: RunEvent): boolean {
  return e.type === 'run.finished' || e.type === 'run.failed' || e.type === 'run.cancelled';
}

/** [type, nodeId] pairs without progress, which depends on timing. */
export function lifecycle(events: RunEvent[]): Array<[string, string | undefined]> {
  return events.filter((e) => e.type !== 'node.progress').map((e) => [e.type, e.nodeId]);
}

export function seqs(events: RunEvent[]): number[] {
  return events.map((e) => e.seq);
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A chain of test Add nodes, each `delayMs` long with progress every 10 ms: a slow, cancellable graph. */
export function slowChain(steps: number, delayMs: number, offset = 0) {
  const nodes: Array<{ id: string; type: string; params: Record<string, unknown> }> = [
    { id: 'c', type: 'Const', params: { value: offset } },
  ];
  const edges: Array<{ source: string; sourceHandle: string; target: string; targetHandle: string }> = [];
  let prev = 'c';
  let handle = 'value';
  for (let i = 1; i <= steps; i++) {
    nodes.push({ id: `s${i}`, type: 'Add', params: { offset: 1, delayMs } });
    edges.push({ source: prev, sourceHandle: handle, target: `s${i}`, targetHandle: 'a' });
    prev = `s${i}`;
    handle = 'sum';
  }
  nodes.push({ id: 'out', type: 'Output', params: {} });
  edges.push({ source: prev, sourceHandle: handle, target: 'out', targetHandle: 'value' });
  return { version: 1 as const, nodes, edges };
}
