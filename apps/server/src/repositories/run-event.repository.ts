import { Inject, Injectable } from '@nestjs/common';
import { DataSource, MoreThan } from 'typeorm';
import type { Repository } from 'typeorm';
import type { RunEvent } from '@maskflow/workflow';
import { RunEntity, RunEventEntity } from '../database/entities';
import { columns } from '../database/entities/column.util';

@Injectable()
export class RunEventRepository {
  private readonly repo: Repository<RunEventEntity>;

  constructor(@Inject(DataSource) private readonly ds: DataSource) {
    this.repo = ds.getRepository(RunEventEntity);
  }

  /**
   * Stores a batch of one run's events in one statement, then moves the run's
   * lastSeq. No transaction: better-sqlite3 is one connection shared by every
   * run, and TypeORM transactions on it must not interleave. A crash between
   * the two leaves lastSeq behind, which recovery reads from the events anyway.
   */
  async append(events: RunEvent[]): Promise<void> {
    if (!events.length) return;
    for (let i = 0; i < events.length; i += 100) {
      const rows = events.slice(i, i + 100).map((e) =>
        columns<RunEventEntity>({
          runId: e.runId,
          seq: e.seq,
          type: e.type,
          nodeId: e.nodeId ?? null,
          ts: e.ts,
          data: e.data,
        }),
      );
      await this.repo.insert(rows);
    }
    const last = events[events.length - 1];
    await this.ds.getRepository(RunEntity).update({ id: last.runId }, { lastSeq: last.seq });
  }

  async listAfter(runId: string, afterSeq: number, limit?: number): Promise<RunEvent[]> {
    const rows = await this.repo.find({
      where: { runId, seq: MoreThan(afterSeq) },
      order: { seq: 'ASC' },
      take: limit,
    });
    return rows.map((r) => ({
      type: r.type,
      runId: r.runId,
      seq: r.seq,
      ts: r.ts,
      ...(r.nodeId ? { nodeId: r.nodeId } : {}),
      data: r.data,
    }));
  }

  async maxSeq(runId: string): Promise<number> {
    const r = await this.repo
      .createQueryBuilder('e')
      .select('MAX(e.seq)', 'max')
      .where('e.runId = :runId', { runId })
      .getRawOne<{ max: number | string | null }>();
    return Number(r?.max ?? 0);
  }
}
