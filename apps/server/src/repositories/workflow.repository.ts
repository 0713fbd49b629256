import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Repository } from 'typeorm';
import { WorkflowEntity } from '../database/entities';
import { columns } from '../database/entities/column.util';

@Injectable()
export class WorkflowRepository {
  private readonly repo: Repository<WorkflowEntity>;

  constructor(@Inject(DataSource) ds: DataSource) {
    this.repo = ds.getRepository(WorkflowEntity);
  }

  list(): Promise<WorkflowEntity[]> {
    return this.repo.find({ order: { updatedAt: 'DESC', id: 'ASC' } });
  }

  count(): Promise<number> {
    return this.repo.count();
  }

  get(id: string): Promise<WorkflowEntity | null> {
    return this.repo.findOneBy({ id });
  }

  async insert(entity: WorkflowEntity): Promise<void> {
    await this.repo.insert(columns<WorkflowEntity>(entity));
  }

  /** Applies the patch only if the stored revision is `revision`; returns whether it did. */
  async updateAtRevision(id: string, revision: number, patch: Partial<WorkflowEntity>): Promise<boolean> {
    const r = await this.repo
      .createQueryBuilder()
      .update(WorkflowEntity)
      .set(columns<WorkflowEntity>({ ...patch, revision: revision + 1 }))
      .where('id = :id AND revision = :revision', { id, revision })
      .execute();
    return (r.affected ?? 0) > 0;
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.repo.delete({ id });
    return (r.affected ?? 0) > 0;
  }
}
