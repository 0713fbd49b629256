import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { FindOptionsWhere, Repository } from 'typeorm';
import type { RunStatusName } from '@maskflow/workflow';
import { RunEntity } from '../database/entities';
import { columns } from '../database/entities/column.util';

export interface RunFilter {
  status?: RunStatusName;
  workflowId?: string;
  limit: number;
  offset: number;
}

@Injectable()
export class RunRepository {
  private readonly repo: Repository<RunEntity>;

  constructor(@Inject(DataSource) ds: DataSource) {
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

  async delete(id: string): Promise<void> {
    await this.repo.delete({ id });
  }
}
