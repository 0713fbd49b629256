import type { MigrationInterface, QueryRunner } from 'typeorm';
import { Table, TableIndex } from 'typeorm';

/**
 * The first schema. Written with TypeORM's Table API rather than raw SQL so
 * the same migration runs on SQLite and Postgres. JSON columns are text
 * (TypeORM's simple-json), timestamps are epoch milliseconds in bigints.
 */
export class Initial1764000000000 implements MigrationInterface {
  name = 'Initial1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'workflows',
        columns: [
          { name: 'id', type: 'varchar', length: '100', isPrimary: true },
          { name: 'name', type: 'varchar', length: '200' },
          { name: 'description', type: 'text', default: "''" },
          { name: 'graph', type: 'text' },
          { name: 'revision', type: 'integer', default: 1 },
          { name: 'createdAt', type: 'bigint' },
          { name: 'updatedAt', type: 'bigint' },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'runs',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'workflowId', type: 'varchar', length: '100', isNullable: true },
          { name: 'graph', type: 'text' },
          { name: 'inputs', type: 'text' },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'target', type: 'varchar', length: '100', isNullable: true },
          { name: 'provider', type: 'varchar', length: '32', default: "'cpu'" },
          { name: 'nodes', type: 'text' },
          { name: 'outputs', type: 'text' },
          { name: 'error', type: 'text', isNullable: true },
          { name: 'lastSeq', type: 'integer', default: 0 },
          { name: 'createdAt', type: 'bigint' },
          { name: 'startedAt', type: 'bigint', isNullable: true },
          { name: 'finishedAt', type: 'bigint', isNullable: true },
        ],
        indices: [
          new TableIndex({ name: 'idx_runs_status_created', columnNames: ['status', 'createdAt'] }),
          new TableIndex({ name: 'idx_runs_workflow', columnNames: ['workflowId'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'run_events',
        columns: [
          { name: 'runId', type: 'varchar', length: '36', isPrimary: true },
          { name: 'seq', type: 'integer', isPrimary: true },
          { name: 'type', type: 'varchar', length: '32' },
          { name: 'nodeId', type: 'varchar', length: '100', isNullable: true },
          { name: 'ts', type: 'bigint' },
          { name: 'data', type: 'text' },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'artifacts',
        columns: [
          { name: 'id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'mime', type: 'varchar', length: '100' },
          { name: 'bytes', type: 'integer' },
          { name: 'width', type: 'integer', isNullable: true },
          { name: 'height', type: 'integer', isNullable: true },
          { name: 'name', type: 'varchar', length: '255', isNullable: true },
          { name: 'createdAt', type: 'bigint' },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('artifacts');
    await q.dropTable('run_events');
    await q.dropTable('runs');
    await q.dropTable('workflows');
  }
}
