/**
 * The server under load, in a child process exactly as `npm start` runs it
 * (through tsx from the sources), measured from this process over real HTTP
 * and socket.io:
 * - /api/health latency while a CPU-heavy run executes (target p99 < 50 ms);
 * - runs per second for trivial graphs through the whole server;
 * - events per second delivered to 50 subscribed socket.io clients.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { io } from 'socket.io-client';
import type { Socket } from 'socket.io-client';
import type { RunEvent } from '@maskflow/workflow';
import type { BenchRow } from './bench.types';

const ROOT = path.resolve(__dirname, '..');
const CLIENTS = 50;
const TRIVIAL_RUNS = 200;

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

interface Server {
  url: string;
  child: ChildProcess;
}

async function startServer(dataDir: string): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, ['-r', 'tsx/cjs', path.join('apps', 'server', 'src', 'main.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      MASKFLOW_DATA_DIR: dataDir,
      MASKFLOW_HOST: '127.0.0.1',
      MASKFLOW_PORT: String(port),
      MASKFLOW_TOKEN: '',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  // The server's log, when asked for: BENCH_SERVER_LOG=1.
  child.stderr?.on('data', (d: Buffer) => {
    if (process.env.BENCH_SERVER_LOG) process.stderr.write(d);
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/api/health`)).ok) return { url, child };
    } catch {
      // starting
    }
    await sleep(200);
  }
  throw new Error('server did not start');
}

/**
 * fetch, retried once on a reset connection: a keep-alive socket the server
 * closed while its loop was blocked is reset on reuse; the retry's time counts.
 */
async function get(url: string): Promise<Response> {
  try {
    return await fetch(url);
  } catch {
    return fetch(url);
  }
}

async function post<T>(url: string, body: unknown): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function upload(url: string, bytes: Buffer): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(bytes)]), 'bench.png');
  const res = await fetch(`${url}/api/artifacts`, { method: 'POST', body: form });
  if (!res.ok) throw new Error(`upload: ${res.status}`);
  return ((await res.json()) as { id: string }).id;
}

function connect(url: string): Promise<Socket> {
  const socket = io(url, {
    path: '/socket.io',
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

const isEnd = (e: RunEvent) =>
  e.type === 'run.finished' || e.type === 'run.failed' || e.type === 'run.cancelled';

async function waitRun(url: string, runId: string): Promise<string> {
  for (;;) {
    const r = (await (await get(`${url}/api/runs/${runId}`)).json()) as { status: string };
    if (!['queued', 'running'].includes(r.status)) return r.status;
    await sleep(50);
  }
}

/** Health requests one after another (closed loop) until `stop` resolves. */
async function healthLatencies(url: string, stop: Promise<unknown>): Promise<number[]> {
  let done = false;
  void stop.finally(() => (done = true));
  const out: number[] = [];
  while (!done) {
    const t0 = performance.now();
    await (await get(`${url}/api/health`)).arrayBuffer();
    out.push(performance.now() - t0);
    await sleep(5);
  }
  return out;
}

function classicalGraph(image: string, box: { x1: number; y1: number; x2: number; y2: number }) {
  return {
    version: 1,
    nodes: [
      { id: 'load', type: 'LoadImage', params: { image } },
      { id: 'box', type: 'BoxesToMask', params: { boxes: [box] } },
      { id: 'dilate', type: 'MaskDilate', params: { radius: 16 } },
      { id: 'fill', type: 'MaskFill', params: { method: 'telea', radius: 5 } },
      { id: 'save', type: 'SaveImage', params: { format: 'png' } },
    ],
    edges: [
      { source: 'load', sourceHandle: 'image', target: 'box', targetHandle: 'image' },
      { source: 'box', sourceHandle: 'mask', target: 'dilate', targetHandle: 'mask' },
      { source: 'load', sourceHandle: 'image', target: 'fill', targetHandle: 'image' },
      { source: 'dilate', sourceHandle: 'mask', target: 'fill', targetHandle: 'mask' },
      { source: 'fill', sourceHandle: 'image', target: 'save', targetHandle: 'image' },
    ],
  };
}

/** Work that stays off the event loop: sharp (libvips) decodes, resizes and encodes on libuv threads. */
function sharpHeavyGraph(image: string, width: number) {
  return {
    version: 1,
    nodes: [
      { id: 'load', type: 'LoadImage', params: { image } },
      {
        id: 'resize',
        type: 'ImageResize',
        params: { width, height: Math.round(width * 0.75), kernel: 'lanczos3' },
      },
      { id: 'save', type: 'SaveImage', params: { format: 'png' } },
    ],
    edges: [
      { source: 'load', sourceHandle: 'image', target: 'resize', targetHandle: 'image' },
      { source: 'resize', sourceHandle: 'image', target: 'save', targetHandle: 'image' },
    ],
  };
}

export async function run(): Promise<BenchRow[]> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'maskflow-bench-'));
  const server = await startServer(dataDir);
  const { url } = server;
  const rows: BenchRow[] = [];
  try {
    const big = await upload(
      url,
      await sharp({
        create: {
          width: 1600,
          height: 1200,
          channels: 3,
          background: '#000',
          noise: { type: 'gaussian', mean: 128, sigma: 40 },
        },
      })
        .png()
        .toBuffer(),
    );
    const tiny = await upload(
      url,
      await sharp({ create: { width: 8, height: 8, channels: 3, background: '#345' } })
        .png()
        .toBuffer(),
    );

    // ── /api/health latency ───────────────────────────────────────────────
    const idle = await healthLatencies(url, sleep(2000));
    rows.push({
      group: 'server /api/health',
      case: `idle (${idle.length} requests)`,
      ours: percentile(idle, 99),
      unit: 'ms p99',
      note: `p50 ${percentile(idle, 50).toFixed(2)} ms`,
    });
    for (const [name, graph] of [
      [
        'during a MaskFill run (OpenCV inpaint in the CPU worker pool)',
        classicalGraph(big, { x1: 300, y1: 250, x2: 1000, y2: 850 }),
      ],
      ['during a sharp-heavy run (resize 1600→6000 px + PNG encode)', sharpHeavyGraph(big, 6000)],
    ] as const) {
      const r = await post<{ id: string }>(`${url}/api/runs`, { workflow: graph });
      const t0 = performance.now();
      const finished = waitRun(url, r.id);
      const lat = await healthLatencies(url, finished);
      const status = await finished;
      const p99 = percentile(lat, 99);
      rows.push({
        group: 'server /api/health',
        case: name,
        ours: p99,
        unit: 'ms p99',
        target: '< 50',
        pass: p99 < 50,
        note: `p50 ${percentile(lat, 50).toFixed(2)} ms, max ${Math.max(...lat).toFixed(0)} ms, ${lat.length} requests over a ${((performance.now() - t0) / 1000).toFixed(1)} s run (${status})`,
      });
    }

    // ── runs per second, trivial graphs ───────────────────────────────────
    const socket = await connect(url);
    const trivial = {
      version: 1,
      nodes: [{ id: 'load', type: 'LoadImage', params: { image: tiny } }],
      edges: [],
    };
    let ended = 0;
    const allEnded = new Promise<void>((resolve) =>
      socket.on('run.event', (e: RunEvent) => {
        if (isEnd(e) && ++ended === TRIVIAL_RUNS) resolve();
      }),
    );
    const t0 = performance.now();
    const acks: Array<Promise<unknown>> = [];
    for (let i = 0; i < TRIVIAL_RUNS; i++)
      acks.push(socket.timeout(30_000).emitWithAck('run.submit', { workflow: trivial, subscribe: true }));
    await Promise.all(acks);
    await allEnded;
    const secs = (performance.now() - t0) / 1000;
    rows.push({
      group: 'server throughput',
      case: `${TRIVIAL_RUNS} trivial runs (1 node, cached) submitted over socket.io, queue concurrency 1`,
      ours: TRIVIAL_RUNS / secs,
      unit: 'runs/s',
      note: `${(secs * 1000).toFixed(0)} ms from first submit to last run.finished; each run stores 4 events and 3 row updates`,
    });
    socket.close();

    // ── events per second to 50 subscribers ──────────────────────────────
    // A blocker keeps the measured run queued while 50 clients subscribe; cancelling it starts the run.
    const clients = await Promise.all(Array.from({ length: CLIENTS }, () => connect(url)));
    const blocker = await post<{ id: string }>(`${url}/api/runs`, { workflow: sharpHeavyGraph(big, 9000) });
    const many = {
      version: 1,
      nodes: Array.from({ length: 400 }, (_, i) => ({
        id: `n${i}`,
        type: 'LoadImage',
        params: { image: tiny },
      })),
      edges: [],
    };
    const measured = await post<{ id: string }>(`${url}/api/runs`, { workflow: many });
    let delivered = 0;
    let firstAt = 0;
    let lastAt = 0;
    const done = Promise.all(
      clients.map(
        (c) =>
          new Promise<void>((resolve) => {
            c.on('run.event', (e: RunEvent) => {
              if (e.runId !== measured.id) return;
              if (e.type === 'run.started' && !firstAt) firstAt = performance.now();
              if (firstAt) delivered++;
              if (isEnd(e)) {
                lastAt = performance.now();
                resolve();
              }
            });
          }),
      ),
    );
    await Promise.all(clients.map((c) => c.timeout(10_000).emitWithAck('subscribe', { runId: measured.id })));
    const cancel = await fetch(`${url}/api/runs/${blocker.id}/cancel`, { method: 'POST' });
    if (!cancel.ok)
      throw new Error(
        `the blocker run ended before the ${CLIENTS} clients subscribed; the fan-out number would include replay`,
      );
    await done;
    const perClient = delivered / CLIENTS;
    const evSecs = (lastAt - firstAt) / 1000;
    rows.push({
      group: 'server fan-out',
      case: `${CLIENTS} subscribed socket.io clients, one run of 400 cached nodes`,
      ours: delivered / evSecs,
      unit: 'events/s',
      note: `${perClient.toFixed(0)} events per client (each stored before it is sent) in ${(evSecs * 1000).toFixed(0)} ms: ${(perClient / evSecs).toFixed(0)} events/s per client`,
    });
    for (const c of clients) c.close();
  } finally {
    server.child.kill('SIGTERM');
    await new Promise((r) => server.child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
  return rows;
}
