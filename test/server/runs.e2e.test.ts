import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import type { RunEvent, RunRecord, WorkflowInput } from '@maskflow/workflow';
import {
  lifecycle,
  pngImage,
  range,
  REPO_ROOT,
  seqs,
  sleep,
  slowChain,
  startServer,
  TestClient,
} from './helpers/server.harness';
import type { TestServer } from './helpers/server.harness';

const classical = JSON.parse(
  readFileSync(path.join(REPO_ROOT, 'workflows', 'remove-object-classical.json'), 'utf8'),
) as WorkflowInput;

let server: TestServer;
let client: TestClient;
let imageId: string;

beforeAll(async () => {
  server = await startServer({ queueConcurrency: 1 });
  client = await TestClient.connect(server.url);
  const up = await server.api.upload<{ id: string; width: number }>(await pngImage(320, 240, true));
  expect(up.status).toBe(201);
  imageId = up.body.id;
});

afterAll(async () => {
  client?.close();
  await server?.close();
});

async function submit(client: TestClient, msg: Parameters<TestClient['send']>[1]): Promise<string> {
  const ack = await client.send('run.submit', msg);
  if ('error' in ack) throw new Error(`submit failed: ${JSON.stringify(ack.error)}`);
  return ack.runId;
}

describe('runs over socket.io', () => {
  /*
   *   load ──► box ──► dilate ──► fill ──► save
   *     └──────────────────────────┘
   */
  it('runs the classical workflow from its saved id with an uploaded image: exact event sequence, gapless seq', async () => {
    const runId = await submit(client, {
      workflowId: 'remove-object-classical',
      inputs: { image: imageId, box: [{ x1: 40, y1: 40, x2: 120, y2: 100 }] },
    });
    await client.waitForEnd(runId);
    const events = client.of(runId);
    expect(seqs(events)).toEqual(range(1, events.length));
    expect(lifecycle(events)).toEqual([
      ['run.queued', undefined],
      ['run.started', undefined],
      ['node.started', 'load'],
      ['node.finished', 'load'],
      ['node.started', 'box'],
      ['node.finished', 'box'],
      ['node.started', 'dilate'],
      ['node.finished', 'dilate'],
      ['node.started', 'fill'],
      ['node.finished', 'fill'],
      ['node.started', 'save'],
      ['node.finished', 'save'],
      ['run.finished', undefined],
    ]);
    const final = events.at(-1)!;
    const artifact = (
      final.data.outputs as Record<string, { artifact: { id: string; mime: string; width: number } }>
    ).save.artifact;
    expect(artifact).toMatchObject({ mime: 'image/png', width: 320 });

    // The run's record and the stored events agree with what the socket delivered.
    const run = await server.api.get<RunRecord>(`/api/runs/${runId}`);
    expect(run.body).toMatchObject({
      status: 'finished',
      provider: 'cpu',
      workflowId: 'remove-object-classical',
      lastSeq: events.length,
    });
    expect(Object.values(run.body.nodes).map((n) => n.status)).toEqual([
      'done',
      'done',
      'done',
      'done',
      'done',
    ]);
    expect(run.body.graph?.nodes.find((n) => n.id === 'load')?.params.image).toBe(imageId);
    const stored = await server.api.get<{ events: RunEvent[] }>(`/api/runs/${runId}/events`);
    expect(stored.body.events).toEqual(events);

    const file = await server.api.download(artifact.id);
    expect(file.status).toBe(200);
    expect(file.type).toBe('image/png');
    expect((await sharp(file.bytes).metadata()).width).toBe(320);
    const thumb = await server.api.request('GET', `/api/artifacts/${artifact.id}/thumbnail?size=64`);
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get('content-type')).toBe('image/webp');

    // A re-run hits the shared output cache: everything but the output node is cached.
    const again = await server.api.post<RunRecord>(`/api/runs/${runId}/rerun`);
    expect(again.status).toBe(202);
    await client.send('subscribe', { runId: again.body.id });
    await client.waitForEnd(again.body.id);
    expect(lifecycle(client.of(again.body.id))).toEqual([
      ['run.queued', undefined],
      ['run.started', undefined],
      ['node.cached', 'load'],
      ['node.cached', 'box'],
      ['node.cached', 'dilate'],
      ['node.cached', 'fill'],
      ['node.started', 'save'],
      ['node.finished', 'save'],
      ['run.finished', undefined],
    ]);
  });

  /*
   *   load ──► box ──► dilate ──► fill ──► save      (load comes from the cache)
   *     └──────────────────────────┘
   */
  it('shows every image and mask a node produced as a small preview, cached nodes too; no raw pixels stored', async () => {
    const graph = {
      ...classical,
      nodes: classical.nodes.map((n) => (n.id === 'load' ? { ...n, params: { image: imageId } } : n)),
    };
    const runGraph = async (inputs: Record<string, unknown>) => {
      const res = await server.api.post<RunRecord>('/api/runs', { workflow: graph, inputs });
      expect(res.status).toBe(202);
      await client.send('subscribe', { runId: res.body.id });
      await client.waitForEnd(res.body.id);
      return res.body.id;
    };
    await runGraph({ box: [{ x1: 0, y1: 0, x2: 10, y2: 10 }] });
    const box = { x1: 30, y1: 50, x2: 130, y2: 90 };
    const runId = await runGraph({ box: [box] });
    const events = client.of(runId);
    type Preview = { url: string; mime: string; width: number; height: number };
    const outputsOf = (nodeId: string) => {
      const e = events.find(
        (x) => x.nodeId === nodeId && (x.type === 'node.finished' || x.type === 'node.cached'),
      );
      expect(e?.data.previews).toBeUndefined();
      return e!.data.outputs as Record<string, { kind: string; width: number; preview?: Preview }>;
    };
    const decode = async (p: Preview) => {
      const [head, b64] = p.url.split(',');
      expect(head).toBe(`data:${p.mime};base64`);
      const img = sharp(Buffer.from(b64, 'base64'));
      const { channels } = await img.metadata();
      // A grayscale PNG is read back as one channel (libvips would widen it to sRGB).
      return (channels === 1 ? img.extractChannel(0) : img).raw().toBuffer({ resolveWithObject: true });
    };

    // load came from the first run's cache: a cached node still says what it holds.
    expect(events.find((e) => e.nodeId === 'load')?.type).toBe('node.cached');
    const loaded = outputsOf('load');
    expect(loaded.image).toMatchObject({
      kind: 'image',
      width: 320,
      preview: { mime: 'image/jpeg', width: 256, height: 192 },
    });
    expect((await decode(loaded.image.preview!)).info).toMatchObject({
      width: 256,
      height: 192,
      channels: 3,
    });

    // The box mask is small enough to come at full size: exactly the rectangle, white on black.
    const boxMask = outputsOf('box').mask;
    expect(boxMask.preview).toMatchObject({ mime: 'image/png', width: 320, height: 240 });
    const bm = await decode(boxMask.preview!);
    expect(bm.info).toMatchObject({ channels: 1 });
    let inside = 0;
    for (let y = 0; y < 240; y++)
      for (let x = 0; x < 320; x++) {
        const inBox = x >= box.x1 && x < box.x2 && y >= box.y1 && y < box.y2;
        if (bm.data[y * 320 + x] !== (inBox ? 255 : 0)) throw new Error(`box preview wrong at ${x},${y}`);
        if (inBox) inside++;
      }
    expect(inside).toBe(100 * 40);

    // The grown mask covers the box and more; the filled image has its preview too.
    const grown = await decode(outputsOf('dilate').mask.preview!);
    let grownCount = 0;
    for (let i = 0; i < grown.data.length; i++) {
      if (bm.data[i] === 255) expect(grown.data[i]).toBe(255);
      if (grown.data[i] === 255) grownCount++;
    }
    expect(grownCount).toBeGreaterThan(inside);
    expect(outputsOf('fill').image.preview?.mime).toBe('image/jpeg');
    // An artifact output has no preview: it is a file with its own thumbnail.
    expect(outputsOf('save').artifact.preview).toBeUndefined();

    // What was stored is what was sent: previews as data URLs, no raw values.
    const stored = await server.api.get<{ events: RunEvent[] }>(`/api/runs/${runId}/events`);
    expect(stored.body.events).toEqual(events);
  });

  it('submits a graph over REST (202) and changes only what a new input feeds', async () => {
    const graph = {
      ...classical,
      nodes: classical.nodes.map((n) => (n.id === 'load' ? { ...n, params: { image: imageId } } : n)),
    };
    const first = await server.api.post<RunRecord>('/api/runs', { workflow: graph, inputs: { grow: 3 } });
    expect(first.status).toBe(202);
    expect(first.body.status).toBe('queued');
    await client.send('subscribe', { runId: first.body.id });
    await client.waitForEnd(first.body.id);
    const second = await server.api.post<RunRecord>('/api/runs', { workflow: graph, inputs: { grow: 4 } });
    await client.send('subscribe', { runId: second.body.id });
    await client.waitForEnd(second.body.id);
    const kinds: Record<string, string> = {};
    for (const e of client.of(second.body.id))
      if (e.type === 'node.cached' || e.type === 'node.finished') kinds[e.nodeId!] = e.type;
    expect(kinds).toEqual({
      load: 'node.cached',
      box: 'node.cached',
      dilate: 'node.finished',
      fill: 'node.finished',
      save: 'node.finished',
    });
  });

  it('cancels a queued run (it never starts) and a running one (aborted mid-node)', async () => {
    const t0 = Date.now();
    const running = await submit(client, { workflow: slowChain(1, 5000) });
    const queued = await submit(client, { workflow: slowChain(1, 5000, 1) });
    await client.waitFor(() => client.of(running).some((e) => e.type === 'node.progress'));

    const cancelledQueued = await server.api.post<RunRecord>(`/api/runs/${queued}/cancel`);
    expect(cancelledQueued.status).toBe(200);
    expect(cancelledQueued.body.status).toBe('cancelled');
    await client.waitForEnd(queued);
    expect(lifecycle(client.of(queued))).toEqual([
      ['run.queued', undefined],
      ['run.cancelled', undefined],
    ]);

    const ack = await client.send('run.cancel', { runId: running });
    expect(ack).toMatchObject({ ok: true, status: 'cancelled' });
    await client.waitForEnd(running);
    expect(Date.now() - t0).toBeLessThan(4000);
    const events = client.of(running);
    expect(events.at(-1)!.type).toBe('run.cancelled');
    expect(seqs(events)).toEqual(range(1, events.length));
    const run = await server.api.get<RunRecord>(`/api/runs/${running}`);
    expect(run.body.status).toBe('cancelled');
    expect(run.body.nodes.s1.status).toBe('cancelled');
    expect(run.body.nodes.out.status).toBe('skipped');

    // Finished runs cannot be cancelled again.
    const again = await server.api.post(`/api/runs/${running}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: { kind: 'user', code: 'run-not-active' } });
  });

  it('throttles progress to about 10/s per node and always delivers the last one', async () => {
    // One Add node reports progress 100 times in ~1 s.
    const runId = await submit(client, { workflow: slowChain(1, 1000, 2) });
    await client.waitForEnd(runId);
    const progress = client.of(runId).filter((e) => e.type === 'node.progress');
    expect(progress.length).toBeGreaterThanOrEqual(5);
    expect(progress.length).toBeLessThanOrEqual(15);
    expect(progress.at(-1)!.data).toMatchObject({ value: 990, max: 1000 });
  });

  it('replays exactly the missed events after a reconnect: no duplicates, no gaps', async () => {
    const first = await TestClient.connect(server.url);
    const runId = await submit(first, { workflow: slowChain(6, 250, 3) });
    await first.waitFor(() => first.of(runId).some((e) => e.type === 'node.finished' && e.nodeId === 's1'));
    first.close();
    const seen = first.of(runId);
    const lastSeq = seen.at(-1)!.seq;
    expect(seqs(seen)).toEqual(range(1, lastSeq));

    await sleep(400); // events happen while nobody listens
    const second = await TestClient.connect(server.url);
    const ack = await second.send('subscribe', { runId, afterSeq: lastSeq });
    expect(ack).toMatchObject({ ok: true, runId, status: 'running' });
    await second.waitForEnd(runId);
    const rest = second.of(runId);
    expect(rest[0].seq).toBe(lastSeq + 1);
    expect(seqs(rest)).toEqual(range(lastSeq + 1, rest.at(-1)!.seq));
    const stored = await server.api.get<{ events: RunEvent[] }>(`/api/runs/${runId}/events`);
    expect([...seen, ...rest]).toEqual(stored.body.events);
    second.close();
  });

  it('gives every subscriber every event exactly once, whenever it subscribes during a run', async () => {
    const runId = await submit(client, { workflow: slowChain(20, 40, 4) });
    const late: TestClient[] = [];
    for (let i = 0; i < 8; i++) {
      await sleep(60 + ((i * 37) % 50));
      const c = await TestClient.connect(server.url);
      late.push(c);
      const ack = await c.send('subscribe', {
        runId,
        afterSeq: i % 2 ? 0 : Math.max(0, (client.of(runId).at(-1)?.seq ?? 0) - 2),
      });
      expect(ack).toMatchObject({ ok: true });
    }
    await client.waitForEnd(runId);
    const all = client.of(runId);
    expect(seqs(all)).toEqual(range(1, all.length));
    for (const c of late) {
      await c.waitForEnd(runId);
      const got = c.of(runId);
      expect(seqs(got)).toEqual(range(got[0].seq, all.length));
      c.close();
    }
  });

  it('lists runs with filters and paging, deletes and re-runs', async () => {
    const all = await server.api.get<{ items: RunRecord[]; total: number }>('/api/runs?limit=2&offset=0');
    expect(all.status).toBe(200);
    expect(all.body.items).toHaveLength(2);
    expect(all.body.total).toBeGreaterThanOrEqual(6);
    expect(all.body.items[0].graph).toBeUndefined();
    const cancelled = await server.api.get<{ items: RunRecord[]; total: number }>(
      '/api/runs?status=cancelled',
    );
    expect(cancelled.body.total).toBe(2);
    expect(cancelled.body.items.every((r) => r.status === 'cancelled')).toBe(true);
    const byWorkflow = await server.api.get<{ items: RunRecord[] }>(
      '/api/runs?workflowId=remove-object-classical',
    );
    expect(byWorkflow.body.items.length).toBe(2);

    const victim = cancelled.body.items[0].id;
    expect((await server.api.delete(`/api/runs/${victim}`)).status).toBe(204);
    expect((await server.api.get(`/api/runs/${victim}`)).status).toBe(404);
    expect((await server.api.get(`/api/runs/${victim}/events`)).status).toBe(404);

    const failing = await server.api.post<RunRecord>('/api/runs', {
      workflow: { version: 1, nodes: [{ id: 'bad', type: 'Fail', params: { kind: 'user' } }], edges: [] },
    });
    await client.send('subscribe', { runId: failing.body.id });
    await client.waitForEnd(failing.body.id);
    const failed = await server.api.get<RunRecord>(`/api/runs/${failing.body.id}`);
    expect(failed.body).toMatchObject({
      status: 'failed',
      error: { kind: 'user', nodeId: 'bad', message: 'the value is out of range' },
    });
    expect(client.of(failing.body.id).map((e) => e.type)).toEqual([
      'run.queued',
      'run.started',
      'node.started',
      'node.failed',
      'run.failed',
    ]);
  });

  it('reports system status, nodes and models', async () => {
    const sys = await server.api.get('/api/system');
    expect(sys.body).toMatchObject({ provider: 'cpu', queue: { length: 0, running: 0, concurrency: 1 } });
    const nodes = await server.api.get<Array<{ type: string }>>('/api/nodes');
    expect(nodes.body.map((n) => n.type)).toEqual(
      expect.arrayContaining(['LoadImage', 'SaveImage', 'MaskFill']),
    );
    const models = await server.api.get<{ models: unknown[] }>('/api/models');
    expect(models.status).toBe(200);
    expect(Array.isArray(models.body.models)).toBe(true);
    const docs = await server.api.get<{ openapi: string; paths: Record<string, unknown> }>(
      '/api/docs/openapi.json',
    );
    expect(docs.body.paths).toHaveProperty('/api/runs/{id}/cancel');
    const home = await server.api.request('GET', '/');
    expect(home.body).toEqual(expect.stringContaining('/api/docs'));
  });
});
