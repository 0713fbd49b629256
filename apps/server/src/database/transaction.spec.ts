import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { DataSource } from 'typeorm';
import { RunRepository } from '../repositories/run.repository';
import { openDataSource } from './data-source';
import { runInTransaction } from './transaction';

let dir: string;
let ds: DataSource;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'maskflow-tx-'));
  ds = await openDataSource({ dataDir: dir });
});

afterEach(async () => {
  await ds.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const RUN = '00000000-0000-4000-8000-000000000001';
const ART = 'a'.repeat(64);

async function seed(): Promise<void> {
  await ds.query(
    'INSERT INTO runs (id, graph, inputs, status, provider, nodes, outputs, lastSeq, createdAt) ' +
      `VALUES (?, '{}', '{}', 'finished', 'cpu', '{}', '{}', 1, 1)`,
    [RUN],
  );
  await ds.query(`INSERT INTO run_events (runId, seq, type, ts, data) VALUES (?, 1, 'run.queued', 1, '{}')`, [
    RUN,
  ]);
  await ds.query(`INSERT INTO artifacts (id, mime, bytes, createdAt) VALUES (?, 'image/png', 1, 1)`, [ART]);
  await ds.query(`INSERT INTO run_artifacts (runId, artifactId, role) VALUES (?, ?, 'output')`, [RUN, ART]);
}

const count = async (table: string) =>
  Number((await ds.query<Array<{ n: number }>>(`SELECT COUNT(*) AS n FROM "${table}"`))[0].n);

/**
 * The message a promise rejects with. Errors are read by message, not matched
 * with toThrow: better-sqlite3 makes them in the realm of the first test file
 * that loaded it in this worker, so they need not be instances of this file's Error.
 */
const rejection = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'resolved',
    (err: unknown) => String((err as { message?: unknown }).message),
  );

describe('runInTransaction (better-sqlite3)', () => {
  it('returns the rows of each statement and commits them all', async () => {
    await seed();
    const [before, , after] = await runInTransaction(ds, [
      { sql: 'SELECT "id" FROM "runs" WHERE "id" = ?', params: [RUN] },
      { sql: 'DELETE FROM "runs" WHERE "id" = ?', params: [RUN] },
      { sql: 'SELECT "id" FROM "runs"' },
    ]);
    expect(before).toEqual([{ id: RUN }]);
    expect(after).toEqual([]);
    expect(await count('runs')).toBe(0);
  });

  it('rolls every statement back when one fails', async () => {
    await seed();
    expect(
      await rejection(
        runInTransaction(ds, [
          { sql: 'DELETE FROM "run_events" WHERE "runId" = ?', params: [RUN] },
          { sql: 'DELETE FROM "runs" WHERE "id" = ?', params: [RUN] },
          { sql: 'DELETE FROM "no_such_table"' },
        ]),
      ),
    ).toMatch(/no such table: no_such_table/);
    expect(await count('runs')).toBe(1);
    expect(await count('run_events')).toBe(1);
  });
});

describe('RunRepository.deleteWithArtifacts', () => {
  it('deletes the run, its events, its links and its unreferenced artifacts together', async () => {
    await seed();
    const r = await new RunRepository(ds).deleteWithArtifacts(RUN, [ART]);
    expect(r).toEqual({ deleted: true, unreferenced: [ART] });
    for (const t of ['runs', 'run_events', 'run_artifacts', 'artifacts']) expect(await count(t)).toBe(0);
    expect(await new RunRepository(ds).deleteWithArtifacts(RUN, [])).toEqual({
      deleted: false,
      unreferenced: [],
    });
  });

  it('keeps an artifact a saved workflow names', async () => {
    await seed();
    await ds.query(
      `INSERT INTO workflows (id, name, graph, createdAt, updatedAt) VALUES ('w', 'w', ?, 1, 1)`,
      [JSON.stringify({ nodes: [{ id: 'load', params: { image: ART } }] })],
    );
    expect(await new RunRepository(ds).deleteWithArtifacts(RUN, [ART])).toEqual({
      deleted: true,
      unreferenced: [],
    });
    expect(await count('artifacts')).toBe(1);
  });

  it('changes nothing when the database fails half-way', async () => {
    await seed();
    // The reference check reads workflows, after the run's rows are deleted: without the table it fails.
    await ds.query('DROP TABLE "workflows"');
    expect(await rejection(new RunRepository(ds).deleteWithArtifacts(RUN, [ART]))).toMatch(/workflows/);
    for (const t of ['runs', 'run_events', 'run_artifacts', 'artifacts']) expect(await count(t)).toBe(1);
  });
});
