import { Inject, Injectable } from '@nestjs/common';
import { DataSource, IsNull } from 'typeorm';
import type { Repository } from 'typeorm';
import { ArtifactEntity } from '../database/entities';

@Injectable()
export class ArtifactRepository {
  private readonly repo: Repository<ArtifactEntity>;

  constructor(@Inject(DataSource) ds: DataSource) {
    this.repo = ds.getRepository(ArtifactEntity);
  }

  get(id: string): Promise<ArtifactEntity | null> {
    return this.repo.findOneBy({ id });
  }

  /** Content-addressed: the same bytes uploaded twice are one row. */
  async insertIfAbsent(entity: ArtifactEntity): Promise<void> {
    await this.repo.createQueryBuilder().insert().into(ArtifactEntity).values(entity).orIgnore().execute();
  }

  /** Bytes a run saved first and someone uploads later become an upload too. */
  async markUploaded(id: string, at: number): Promise<void> {
    await this.repo.update({ id, uploadedAt: IsNull() }, { uploadedAt: at });
  }
}
