import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { RunRecord } from '@maskflow/workflow';
import { TERMINAL_RUN_STATUSES } from '@maskflow/workflow';
import { pngImage, sleep, startServer } from '../../../test/server/helpers/server.harness';
import type { TestServer } from '../../../test/server/helpers/server.harness';

/*
 * POST /api/artifacts/prune over HTTP against a real server and SQLite in a
 * temp dir: uploads nothing uses go, and only those.
 *
 *   inWorkflow ── named by a saved workflow ─────────── kept
 *   readByRun  ── read by a run (and its output) ─────── kept
 *   orphan     ── used by nothing ───────────────────── pruned
 *   painted    ── an orphan made by the mask painter ── pruned
 */

type Pruned = { dryRun: boolean; olderThanHours: number; count: number; bytes: number; ids: string[] };

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ queueConcurrency: 1 });
});
afterAll(() => server?.close());

async function upload(width: number, height: number): Promise<{ id: string; bytes: number }> {
  const up = await server.api.upload<{ id: string; bytes: number }>(await pngImage(width, height, true));
  expect(up.status).toBe(201);
  return up.body;
}

const fileOf = (id: string) => path.join(server.dataDir, 'artifacts', id.slice(0, 2), id);

async function present(id: string): Promise<boolean> {
  const status = (await server.api.download(id)).status;
  expect(existsSync(fileOf(id))).toBe(status === 200);
  return status === 200;
}

async function finishedRun(body: Record<string, unknown>): Promise<RunRecord> {
  const r = await server.api.post<RunRecord>('/api/runs', body);
  expect(r.status).toBe(202);
  for (let i = 0; i < 600; i++) {
    const got = await server.api.get<RunRecord>(`/api/runs/${r.body.id}`);
    if (TERMINAL_RUN_STATUSES.includes(got.body.status)) {
      expect(got.body.status).toBe('finished');
      return got.body;
    }
    await sleep(50);
  }
  throw new Error('the run did not end');
}

describe('POST /api/artifacts/prune', () => {
  it('deletes only uploads that no run and no saved workflow uses, and only old enough ones', async () => {
    const inWorkflow = await upload(64, 48);
    const readByRun = await upload(80, 60);
    const orphan = await upload(96, 72);
    const mask = Buffer.from(await pngImage(96, 72)); // any picture of the right size works as a mask
    const painted = await server.api.upload<{ id: string; bytes: number }>(
      mask,
      'm.png',
      `/api/artifacts/${orphan.id}/mask`,
    );
    expect(painted.status).toBe(201);

    const saved = await server.api.post('/api/workflows', {
      name: 'Keeps its image',
      graph: {
        version: 1,
        nodes: [{ id: 'load', type: 'LoadImage', params: { image: inWorkflow.id } }],
        edges: [],
      },
    });
    expect(saved.status).toBe(201);
    const run = await finishedRun({
      workflowId: 'remove-object-classical',
      inputs: { image: readByRun.id, box: [{ x1: 10, y1: 10, x2: 40, y2: 40 }] },
    });
    const output = (run.outputs.save as { artifact: { id: string } }).artifact.id;

    // Everything was uploaded just now: the default age (24 h) spares it all.
    const young = await server.api.post<Pruned>('/api/artifacts/prune');
    expect(young.status).toBe(200);
    expect(young.body).toEqual({ dryRun: false, olderThanHours: 24, count: 0, bytes: 0, ids: [] });

    // A dry run lists the two unused ones, oldest first, and deletes nothing.
    await sleep(5);
    const dry = await server.api.post<Pruned>('/api/artifacts/prune', { olderThanHours: 0, dryRun: true });
    expect(dry.body).toMatchObject({ dryRun: true, count: 2, ids: [orphan.id, painted.body.id] });
    expect(dry.body.bytes).toBe(orphan.bytes + painted.body.bytes);
    expect(await present(orphan.id)).toBe(true);

    const pruned = await server.api.post<Pruned>('/api/artifacts/prune', { olderThanHours: 0 });
    expect(pruned.body).toMatchObject({ dryRun: false, count: 2, ids: [orphan.id, painted.body.id] });
    expect(await present(orphan.id)).toBe(false);
    expect(await present(painted.body.id)).toBe(false);
    for (const id of [inWorkflow.id, readByRun.id, output]) expect(await present(id)).toBe(true);

    // Nothing left to prune; the kept ones still run.
    expect((await server.api.post<Pruned>('/api/artifacts/prune', { olderThanHours: 0 })).body.count).toBe(0);
    await finishedRun({
      workflowId: 'remove-object-classical',
      inputs: { image: readByRun.id, box: [{ x1: 5, y1: 5, x2: 30, y2: 30 }] },
    });

    // Once the run that read it is deleted, an upload is unused and goes too.
    expect((await server.api.delete(`/api/runs/${run.id}`)).status).toBe(204);
    const runs = await server.api.get<{ items: RunRecord[] }>('/api/runs');
    for (const r of runs.body.items) expect((await server.api.delete(`/api/runs/${r.id}`)).status).toBe(204);
    const last = await server.api.post<Pruned>('/api/artifacts/prune', { olderThanHours: 0 });
    expect(last.body.ids).toEqual([readByRun.id]);
    expect(await present(inWorkflow.id)).toBe(true);
  });

  it('re-uploading old bytes makes them fresh again', async () => {
    const bytes = await pngImage(50, 50, true);
    const first = await server.api.upload<{ id: string }>(bytes);
    await sleep(1000);
    // The cutoff lies between the two uploads, 500 ms before the second (room for a slow request):
    // by its first upload the file would be pruned, by its second it is fresh.
    const secondStarted = Date.now();
    const again = await server.api.upload<{ id: string }>(bytes);
    expect(again.body.id).toBe(first.body.id);
    const cutoffMs = Date.now() - (secondStarted - 500);
    const r = await server.api.post<Pruned>('/api/artifacts/prune', {
      olderThanHours: cutoffMs / 3_600_000,
    });
    expect(r.body.ids).not.toContain(first.body.id);
  });

  it('refuses a malformed request, naming the field', async () => {
    const r = await server.api.post<{ error: { message: string } }>('/api/artifacts/prune', {
      olderThanHours: -1,
    });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain('olderThanHours');
    const extra = await server.api.post<{ error: { message: string } }>('/api/artifacts/prune', {
      all: true,
    });
    expect(extra.status).toBe(400);
  });
});
