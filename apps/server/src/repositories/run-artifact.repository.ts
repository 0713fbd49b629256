import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Repository } from 'typeorm';
import { RunArtifactEntity } from '../database/entities';
import type { RunArtifactRole } from '../database/entities';

/** Which runs read and saved which artifacts (see RunArtifactEntity). */
@Injectable()
export class RunArtifactRepository {
  private readonly repo: Repository<RunArtifactEntity>;

  constructor(@Inject(DataSource) ds: DataSource) {
    this.repo = ds.getRepository(RunArtifactEntity);
  }

  async link(runId: string, artifactIds: string[], role: RunArtifactRole): Promise<void> {
    if (!artifactIds.length) return;
    await this.repo
      .createQueryBuilder()
      .insert()
      .into(RunArtifactEntity)
      .values(artifactIds.map((artifactId) => ({ runId, artifactId, role })))
      .orIgnore()
      .execute();
  }

  async unlinkRun(runId: string): Promise<void> {
    await this.repo.delete({ runId });
  }

  /** The artifacts a run read or saved. */
  async ofRun(runId: string): Promise<string[]> {
    return [...new Set((await this.repo.findBy({ runId })).map((r) => r.artifactId))];
  }
}
