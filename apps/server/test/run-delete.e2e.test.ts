import { existsSync, mkdirSync, rmSync, unlinkSync } from 'node:fs';
import * as path from 'node:path';
import type { RunRecord } from '@maskflow/workflow';
import { TERMINAL_RUN_STATUSES } from '@maskflow/workflow';
import { pngImage, sleep, startServer } from '../../../test/server/helpers/server.harness';
import type { TestServer } from '../../../test/server/helpers/server.harness';

/*
 * DELETE /api/runs/:id over HTTP against a real server and SQLite in a temp
 * dir: the run's saved images go with it, but never an upload, nor a file
 * another run or a saved workflow still uses.
 */

let server: TestServer;
let upload: string;

beforeAll(async () => {
  server = await startServer({ queueConcurrency: 1 });
  upload = await uploadImage(160, 120);
});

afterAll(async () => {
  await server?.close();
});

async function uploadImage(width: number, height: number): Promise<string> {
  const up = await server.api.upload<{ id: string }>(await pngImage(width, height, true));
  expect(up.status).toBe(201);
  return up.body.id;
}

function fileOf(id: string): string {
  return path.join(server.dataDir, 'artifacts', id.slice(0, 2), id);
}

async function waitForEnd(id: string): Promise<RunRecord> {
  for (let i = 0; i < 600; i++) {
    const r = await server.api.get<RunRecord>(`/api/runs/${id}`);
    if (TERMINAL_RUN_STATUSES.includes(r.body.status)) return r.body;
    await sleep(50);
  }
  throw new Error(`run ${id} did not end`);
}

async function run(body: Record<string, unknown>): Promise<RunRecord> {
  const r = await server.api.post<RunRecord>('/api/runs', body);
  expect(r.status).toBe(202);
  const done = await waitForEnd(r.body.id);
  expect(done.status).toBe('finished');
  return done;
}

/** The classical removal on an uploaded image, box at `x`. */
function removal(image: string, x = 20): Promise<RunRecord> {
  return run({
    workflowId: 'remove-object-classical',
    inputs: { image, box: [{ x1: x, y1: 20, x2: x + 50, y2: 70 }] },
  });
}

function savedBy(run: RunRecord, node = 'save'): string {
  return (run.outputs[node] as { artifact: { id: string } }).artifact.id;
}

async function expectArtifact(id: string, present: boolean): Promise<void> {
  expect(existsSync(fileOf(id))).toBe(present);
  expect((await server.api.download(id)).status).toBe(present ? 200 : 404);
}

async function deleteRun(id: string): Promise<void> {
  const r = await server.api.delete(`/api/runs/${id}`);
  expect(r.status).toBe(204);
  expect((await server.api.get(`/api/runs/${id}`)).status).toBe(404);
  expect((await server.api.get(`/api/runs/${id}/events`)).status).toBe(404);
}

/** load ──► save, plus a slow Const ──► Add branch that keeps the run going for `ms`. */
function saveThenWait(image: string, ms: number) {
  return {
    version: 1,
    nodes: [
      { id: 'load', type: 'LoadImage', params: { image } },
      { id: 'save', type: 'SaveImage', params: { format: 'webp', filenamePrefix: 'early' } },
      { id: 'c', type: 'Const', params: { value: 1 } },
      { id: 'slow', type: 'Add', params: { offset: 1, delayMs: ms } },
    ],
    edges: [
      { source: 'load', sourceHandle: 'image', target: 'save', targetHandle: 'image' },
      { source: 'c', sourceHandle: 'value', target: 'slow', targetHandle: 'a' },
    ],
  };
}

/** An image read by id and saved again as JPEG. */
function reencode(image: string) {
  return {
    version: 1,
    nodes: [
      { id: 'load', type: 'LoadImage', params: { image } },
      { id: 'save', type: 'SaveImage', params: { format: 'jpeg', filenamePrefix: 'copy' } },
    ],
    edges: [{ source: 'load', sourceHandle: 'image', target: 'save', targetHandle: 'image' }],
  };
}

describe('DELETE /api/runs/:id and artifact files', () => {
  it('deletes the files the run saved and their rows; the upload it read stays', async () => {
    const a = await removal(upload);
    const out = savedBy(a);
    await expectArtifact(out, true);

    await deleteRun(a.id);
    await expectArtifact(out, false);
    expect((await server.api.get(`/api/artifacts/${out}/thumbnail?size=64`)).status).toBe(404);

    // The upload is untouched and can still be run.
    await expectArtifact(upload, true);
    const again = await removal(upload);
    expect(savedBy(again)).toBe(out);
    await expectArtifact(out, true);
    await deleteRun(again.id);
    await expectArtifact(out, false);
  });

  it('keeps an upload two runs share and the other run’s output', async () => {
    const shared = await uploadImage(150, 110);
    const a = await removal(shared, 10);
    const b = await removal(shared, 60);
    expect(savedBy(a)).not.toBe(savedBy(b));

    await deleteRun(a.id);
    await expectArtifact(savedBy(a), false);
    await expectArtifact(savedBy(b), true);
    await expectArtifact(shared, true);
    const rerun = await server.api.post<RunRecord>(`/api/runs/${b.id}/rerun`);
    expect(rerun.status).toBe(202);
    expect((await waitForEnd(rerun.body.id)).status).toBe('finished');

    // Uploads are never deleted with a run, even by the last one that read them.
    await deleteRun(b.id);
    await deleteRun(rerun.body.id);
    await expectArtifact(savedBy(b), false);
    await expectArtifact(shared, true);
  });

  it('keeps an output a cached re-run saved again until the last run that saved it is deleted', async () => {
    const first = await removal(upload, 30);
    const out = savedBy(first);
    const r = await server.api.post<RunRecord>(`/api/runs/${first.id}/rerun`);
    expect(r.status).toBe(202);
    const second = await waitForEnd(r.body.id);
    // Everything up to the output node came from the cache; SaveImage wrote the same bytes, the same artifact.
    expect(second.nodes.fill).toMatchObject({ status: 'cached', cached: true });
    expect(second.nodes.save.status).toBe('done');
    expect(savedBy(second)).toBe(out);

    await deleteRun(first.id);
    await expectArtifact(out, true);
    await deleteRun(second.id);
    await expectArtifact(out, false);
  });

  it('keeps an output another run reads, and deletes it with the last run that uses it', async () => {
    const a = await removal(upload, 40);
    const out = savedBy(a);
    const b = await run({ workflow: reencode(out) });
    const copy = savedBy(b);
    expect(copy).not.toBe(out);

    await deleteRun(a.id);
    await expectArtifact(out, true);
    // Still usable as an input: a new run of the same graph is accepted and reads it.
    const c = await run({ workflow: reencode(out) });
    expect(savedBy(c)).toBe(copy);

    await deleteRun(b.id);
    await expectArtifact(out, true);
    await expectArtifact(copy, true);
    await deleteRun(c.id);
    await expectArtifact(out, false);
    await expectArtifact(copy, false);
  });

  it('never deletes an upload a run saved again byte for byte, nor an output someone uploaded since', async () => {
    // LoadImage → SaveImage(png) of a PNG upload writes the upload's own bytes: the same artifact.
    const passThrough = {
      version: 1,
      nodes: [
        { id: 'load', type: 'LoadImage', params: { image: upload } },
        { id: 'save', type: 'SaveImage', params: { format: 'png' } },
      ],
      edges: [{ source: 'load', sourceHandle: 'image', target: 'save', targetHandle: 'image' }],
    };
    const p = await run({ workflow: passThrough });
    expect(savedBy(p)).toBe(upload);
    await deleteRun(p.id);
    await expectArtifact(upload, true);

    const a = await removal(upload, 90);
    const out = savedBy(a);
    const again = await server.api.upload<{ id: string }>((await server.api.download(out)).bytes, 'mine.png');
    expect(again.body.id).toBe(out);
    await deleteRun(a.id);
    await expectArtifact(out, true);
  });

  it('keeps an output a saved workflow names', async () => {
    const a = await removal(upload, 50);
    const out = savedBy(a);
    const saved = await server.api.post<{ id: string }>('/api/workflows', {
      name: 'Uses a result',
      graph: reencode(out),
    });
    expect(saved.status).toBe(201);

    await deleteRun(a.id);
    await expectArtifact(out, true);
    const b = await run({ workflowId: saved.body.id });
    await deleteRun(b.id);
    await expectArtifact(out, true);
    expect((await server.api.delete(`/api/workflows/${saved.body.id}`)).status).toBe(204);
  });

  it('refuses a running run (409, files kept), cancels and deletes a queued one, then deletes the cancelled run’s files', async () => {
    const running = await server.api.post<RunRecord>('/api/runs', { workflow: saveThenWait(upload, 4000) });
    expect(running.status).toBe(202);
    const queued = await server.api.post<RunRecord>('/api/runs', { workflow: reencode(upload) });
    expect(queued.body.status).toBe('queued');

    // Wait until the running run has saved its image.
    let early: string | undefined;
    for (let i = 0; i < 200 && !early; i++) {
      const events = await server.api.get<{ events: Array<{ type: string; nodeId?: string; data: never }> }>(
        `/api/runs/${running.body.id}/events`,
      );
      const saved = events.body.events.find((e) => e.type === 'node.finished' && e.nodeId === 'save');
      early = (saved?.data as { outputs?: { artifact?: { id: string } } } | undefined)?.outputs?.artifact?.id;
      if (!early) await sleep(25);
    }
    expect(early).toMatch(/^[0-9a-f]{64}$/);

    const refused = await server.api.delete(`/api/runs/${running.body.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ error: { kind: 'user', code: 'run-active' } });
    await expectArtifact(early!, true);

    // A queued run is cancelled first, then deleted; it never ran, so it saved nothing.
    await deleteRun(queued.body.id);

    const cancelled = await server.api.post<RunRecord>(`/api/runs/${running.body.id}/cancel`);
    expect(cancelled.body.status).toBe('cancelled');
    expect(cancelled.body.outputs).toEqual({});
    await expectArtifact(early!, true);
    // Its image is in no output of the record, but it is the run's: it goes with it.
    await deleteRun(running.body.id);
    await expectArtifact(early!, false);
    await expectArtifact(upload, true);
  });

  it('answers 404 for a run that does not exist, or no longer does', async () => {
    const a = await removal(upload, 60);
    const [one, two] = await Promise.all([
      server.api.delete(`/api/runs/${a.id}`),
      server.api.delete(`/api/runs/${a.id}`),
    ]);
    expect([one.status, two.status].sort()).toEqual([204, 404]);
    await expectArtifact(savedBy(a), false);
    const missing = await server.api.delete('/api/runs/00000000-0000-4000-8000-000000000000');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: { code: 'not-found' } });
  });

  it('deletes the run when a file is already gone or cannot be deleted: 204, rows gone, server fine', async () => {
    const a = await removal(upload, 70);
    unlinkSync(fileOf(savedBy(a)));
    await deleteRun(a.id);
    await expectArtifact(savedBy(a), false);

    const b = await removal(upload, 80);
    const out = savedBy(b);
    // A directory in the file's place: unlink fails with EISDIR/EPERM, not ENOENT.
    unlinkSync(fileOf(out));
    mkdirSync(fileOf(out));
    try {
      await deleteRun(b.id);
      expect((await server.api.download(out)).status).toBe(404);
      expect((await server.api.get('/api/health')).status).toBe(200);
    } finally {
      rmSync(fileOf(out), { recursive: true, force: true });
    }
    // The same bytes saved again are a whole artifact again.
    const c = await removal(upload, 80);
    expect(savedBy(c)).toBe(out);
    await expectArtifact(out, true);
  });
});
