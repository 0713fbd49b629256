import type { MigrationInterface, QueryRunner } from 'typeorm';
import { Table, TableColumn, TableIndex } from 'typeorm';

const ARTIFACT_ID = /^[0-9a-f]{64}$/;

function parse(text: unknown): unknown {
  if (typeof text !== 'string') return text;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Every string that is an artifact id, anywhere in a graph or its inputs (what a run read). */
function idsIn(v: unknown, into: Set<string>): Set<string> {
  if (typeof v === 'string') {
    if (ARTIFACT_ID.test(v)) into.add(v);
  } else if (v && typeof v === 'object') {
    for (const x of Object.values(v)) idsIn(x, into);
  }
  return into;
}

/** The ids of `{ kind: "artifact", id }` values, anywhere in outputs or event data (what a run saved). */
function artifactRefsIn(v: unknown, into: Set<string>): Set<string> {
  if (!v || typeof v !== 'object') return into;
  const o = v as Record<string, unknown>;
  if (o.kind === 'artifact' && typeof o.id === 'string' && ARTIFACT_ID.test(o.id)) into.add(o.id);
  for (const x of Object.values(o)) artifactRefsIn(x, into);
  return into;
}

/**
 * Links runs to the artifacts they read and saved, and marks uploads, so
 * deleting a run can delete the files it made without touching uploads or
 * files other runs still use. Existing runs are linked from their graph,
 * inputs, outputs and `node.finished` events; existing artifacts no run saved
 * count as uploads. Self-contained (no entity classes) so it keeps meaning
 * what it meant.
 */
export class RunArtifacts1764100000000 implements MigrationInterface {
  name = 'RunArtifacts1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'run_artifacts',
        columns: [
          { name: 'runId', type: 'varchar', length: '36', isPrimary: true },
          { name: 'artifactId', type: 'varchar', length: '64', isPrimary: true },
          { name: 'role', type: 'varchar', length: '8', isPrimary: true },
        ],
        indices: [new TableIndex({ name: 'idx_run_artifacts_artifact', columnNames: ['artifactId'] })],
      }),
    );

    const links = new Map<string, { runId: string; artifactId: string; role: string }>();
    const link = (runId: string, artifactId: string, role: string) =>
      links.set(`${runId}/${artifactId}/${role}`, { runId, artifactId, role });
    const runs = (await q.query('SELECT "id", "graph", "inputs", "outputs" FROM "runs"')) as Array<
      Record<string, unknown>
    >;
    for (const r of runs) {
      const runId = String(r.id);
      for (const a of idsIn(parse(r.inputs), idsIn(parse(r.graph), new Set()))) link(runId, a, 'input');
      for (const a of artifactRefsIn(parse(r.outputs), new Set())) link(runId, a, 'output');
    }
    const events = (await q.query(
      `SELECT "runId", "data" FROM "run_events" WHERE "type" = 'node.finished'`,
    )) as Array<Record<string, unknown>>;
    for (const e of events) {
      for (const a of artifactRefsIn(parse(e.data), new Set())) link(String(e.runId), a, 'output');
    }
    // An output is usually in both the run's outputs and its events: the map keeps it once.
    const rows = [...links.values()];
    for (let i = 0; i < rows.length; i += 300) {
      await q.manager
        .createQueryBuilder()
        .insert()
        .into('run_artifacts', ['runId', 'artifactId', 'role'])
        .values(rows.slice(i, i + 300))
        .orIgnore()
        .execute();
    }

    await q.addColumn('artifacts', new TableColumn({ name: 'uploadedAt', type: 'bigint', isNullable: true }));
    await q.query(
      `UPDATE "artifacts" SET "uploadedAt" = "createdAt" WHERE "id" NOT IN ` +
        `(SELECT "artifactId" FROM "run_artifacts" WHERE "role" = 'output')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('artifacts', 'uploadedAt');
    await q.dropTable('run_artifacts');
  }
}
