import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { startServer } from '../../../test/server/helpers/server.harness';
import type { TestServer } from '../../../test/server/helpers/server.harness';
import { Initial1764000000000 } from '../src/database/migrations/1764000000000-initial.migration';

/*
 * A database written before runs were linked to their artifacts: on start-up
 * the migration links existing runs from their graphs, outputs and events,
 * so deleting them deletes the right files and keeps the rest.
 */

let dataDir: string;
let server: TestServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
  rmSync(dataDir, { recursive: true, force: true });
});

function artifact(label: string): { id: string; bytes: Buffer } {
  const bytes = Buffer.from(`not really an image: ${label}`);
  return { id: createHash('sha256').update(bytes).digest('hex'), bytes };
}

const fileOf = (id: string) => path.join(dataDir, 'artifacts', id.slice(0, 2), id);

const graphReading = (image: string) => ({
  version: 1,
  nodes: [
    { id: 'load', type: 'LoadImage', params: { image } },
    { id: 'save', type: 'SaveImage', params: {} },
  ],
  edges: [{ source: 'load', sourceHandle: 'image', target: 'save', targetHandle: 'image' }],
});

const saved = (id: string) => ({ save: { artifact: { kind: 'artifact', id, mime: 'image/png' } } });

it('links the runs of an older database, then deletes only what each run alone made', async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'maskflow-upgrade-'));
  const [upload, out1, failedOut, out3, out4] = ['upload', 'r1', 'r2', 'r3', 'r4'].map(artifact);
  const [r1, r2, r3, r4] = [1, 2, 3, 4].map((n) => `00000000-0000-4000-8000-00000000000${n}`);

  const old = new DataSource({
    type: 'better-sqlite3',
    database: path.join(dataDir, 'maskflow.db'),
    migrations: [Initial1764000000000],
    migrationsRun: true,
  });
  await old.initialize();
  for (const a of [upload, out1, failedOut, out3, out4]) {
    mkdirSync(path.dirname(fileOf(a.id)), { recursive: true });
    writeFileSync(fileOf(a.id), a.bytes);
    await old.query(
      'INSERT INTO artifacts (id, mime, bytes, width, height, name, createdAt) VALUES (?, ?, ?, 1, 1, ?, ?)',
      [a.id, 'image/png', a.bytes.length, 'x.png', Date.now()],
    );
  }
  const runs: Array<[string, string, object, object]> = [
    [r1, 'finished', graphReading(upload.id), saved(out1.id)],
    // Failed after its SaveImage finished: the image is only in the node.finished event.
    [r2, 'failed', graphReading(upload.id), {}],
    [r3, 'finished', graphReading(upload.id), saved(out3.id)],
    // Read r3's result.
    [r4, 'finished', graphReading(out3.id), saved(out4.id)],
  ];
  for (const [id, status, graph, outputs] of runs) {
    await old.query(
      'INSERT INTO runs (id, workflowId, graph, inputs, status, target, provider, nodes, outputs, error, lastSeq, createdAt) ' +
        "VALUES (?, NULL, ?, '{}', ?, NULL, 'cpu', '{}', ?, NULL, 0, ?)",
      [id, JSON.stringify(graph), status, JSON.stringify(outputs), Date.now()],
    );
  }
  await old.query(
    "INSERT INTO run_events (runId, seq, type, nodeId, ts, data) VALUES (?, 1, 'node.finished', 'save', ?, ?)",
    [r2, Date.now(), JSON.stringify({ ms: 1, outputs: saved(failedOut.id).save })],
  );
  await old.destroy();

  server = await startServer({ dataDir });
  const del = async (id: string) => expect((await server!.api.delete(`/api/runs/${id}`)).status).toBe(204);

  await del(r1);
  expect(existsSync(fileOf(out1.id))).toBe(false);
  await del(r2);
  expect(existsSync(fileOf(failedOut.id))).toBe(false);
  await del(r3);
  expect(existsSync(fileOf(out3.id))).toBe(true); // r4 reads it
  await del(r4);
  expect(existsSync(fileOf(out4.id))).toBe(false);
  expect(existsSync(fileOf(out3.id))).toBe(false); // a run's result, now used by nobody
  // No run saved it: it counts as an upload and stays.
  expect(existsSync(fileOf(upload.id))).toBe(true);
  expect((await server.api.download(upload.id)).status).toBe(200);
});
