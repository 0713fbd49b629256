import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { FindOptionsWhere, Repository } from 'typeorm';
import type { RunStatusName } from '@maskflow/workflow';
import { RunEntity } from '../database/entities';
import { columns } from '../database/entities/column.util';
import { runInTransaction } from '../database/transaction';

export interface RunFilter {
  status?: RunStatusName;
  workflowId?: string;
  limit: number;
  offset: number;
}

@Injectable()
export class RunRepository {
  private readonly repo: Repository<RunEntity>;

  constructor(@Inject(DataSource) private readonly ds: DataSource) {
    this.repo = ds.getRepository(RunEntity);
  }

  async insert(run: RunEntity): Promise<void> {
    await this.repo.insert(columns<RunEntity>(run));
  }

  get(id: string): Promise<RunEntity | null> {
    return this.repo.findOneBy({ id });
  }

  /** Newest first, without the graph snapshot (it can be large). */
  async list(filter: RunFilter): Promise<[RunEntity[], number]> {
    const where: FindOptionsWhere<RunEntity> = {};
    if (filter.status) where.status = filter.status;
    if (filter.workflowId) where.workflowId = filter.workflowId;
    const rows = await this.repo.find({
      where,
      order: { createdAt: 'DESC', id: 'ASC' },
      take: filter.limit,
      skip: filter.offset,
      select: {
        id: true,
        workflowId: true,
        status: true,
        target: true,
        inputs: true,
        provider: true,
        nodes: true,
        outputs: true,
        error: true,
        lastSeq: true,
        createdAt: true,
        startedAt: true,
        finishedAt: true,
      },
    });
    return [rows, await this.repo.countBy(where)];
  }

  /** Oldest first: the order the queue takes them in. */
  findByStatus(status: RunStatusName): Promise<RunEntity[]> {
    return this.repo.find({ where: { status }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  countByStatus(status: RunStatusName): Promise<number> {
    return this.repo.countBy({ status });
  }

  async update(id: string, patch: Partial<RunEntity>): Promise<void> {
    await this.repo.update({ id }, columns<RunEntity>(patch));
  }

  /**
   * Deletes a run with its events and artifact links, and the rows of those
   * of `candidates` (the artifacts it read or saved) that are not uploads and
   * that nothing references any more: no other run read or saved them, no
   * saved workflow names them. One transaction; it answers whether the run
   * was there and which artifacts are now unreferenced, whose files the caller
   * deletes after the commit.
   */
  async deleteWithArtifacts(
    id: string,
    candidates: string[],
  ): Promise<{ deleted: boolean; unreferenced: string[] }> {
    // The candidates as a table: `SELECT ? UNION ALL SELECT ?`, typed so Postgres knows the parameters.
    const table = candidates.map(() => 'SELECT CAST(? AS varchar(64)) AS "id"').join(' UNION ALL ');
    const unreferenced =
      `SELECT c."id" FROM (${table}) c ` +
      `WHERE NOT EXISTS (SELECT 1 FROM "artifacts" a WHERE a."id" = c."id" AND a."uploadedAt" IS NOT NULL) ` +
      `AND NOT EXISTS (SELECT 1 FROM "run_artifacts" l WHERE l."artifactId" = c."id") ` +
      `AND NOT EXISTS (SELECT 1 FROM "workflows" w WHERE w."graph" LIKE '%' || c."id" || '%')`;
    const [found, , , , orphans = []] = await runInTransaction(this.ds, [
      { sql: 'SELECT "id" FROM "runs" WHERE "id" = ?', params: [id] },
      { sql: 'DELETE FROM "run_events" WHERE "runId" = ?', params: [id] },
      { sql: 'DELETE FROM "run_artifacts" WHERE "runId" = ?', params: [id] },
      { sql: 'DELETE FROM "runs" WHERE "id" = ?', params: [id] },
      ...(candidates.length
        ? [
            { sql: unreferenced, params: candidates },
            { sql: `DELETE FROM "artifacts" WHERE "id" IN (${unreferenced})`, params: candidates },
          ]
        : []),
    ]);
    return {
      deleted: found.length > 0,
      unreferenced: (orphans as Array<{ id: string }>).map((r) => r.id),
    };
  }
}
