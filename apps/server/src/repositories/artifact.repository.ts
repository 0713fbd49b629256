import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Repository } from 'typeorm';
import { ArtifactEntity } from '../database/entities';
import { runInTransaction } from '../database/transaction';

@Injectable()
export class ArtifactRepository {
  private readonly repo: Repository<ArtifactEntity>;

  constructor(@Inject(DataSource) private readonly ds: DataSource) {
    this.repo = ds.getRepository(ArtifactEntity);
  }

  get(id: string): Promise<ArtifactEntity | null> {
    return this.repo.findOneBy({ id });
  }

  /** Content-addressed: the same bytes uploaded twice are one row. */
  async insertIfAbsent(entity: ArtifactEntity): Promise<void> {
    await this.repo.createQueryBuilder().insert().into(ArtifactEntity).values(entity).orIgnore().execute();
  }

  /**
   * Marks the bytes as uploaded now: bytes a run saved first become an upload
   * too, and the same file uploaded again counts as fresh for pruning.
   */
  async markUploaded(id: string, at: number): Promise<void> {
    await this.repo.update({ id }, { uploadedAt: at });
  }

  /**
   * Uploads last uploaded before `before` (ms) that no run reads or saved and
   * no saved workflow names, oldest first, at most `limit`.
   */
  async unreferencedUploads(before: number, limit: number): Promise<Array<{ id: string; bytes: number }>> {
    const [rows] = await runInTransaction(this.ds, [
      {
        sql: `SELECT a."id", a."bytes" FROM "artifacts" a WHERE ${UNREFERENCED_UPLOAD} ORDER BY a."uploadedAt" LIMIT ${Math.floor(limit)}`,
        params: [before],
      },
    ]);
    return (rows as Array<{ id: string; bytes: number | string }>).map((r) => ({
      id: r.id,
      bytes: Number(r.bytes),
    }));
  }

  /**
   * Deletes those of `ids` that are still unreferenced uploads older than
   * `before` (checked again in the same transaction: a run may have claimed
   * one meanwhile) and answers the ids deleted. The caller removes the files.
   */
  async deleteUnreferencedUploads(ids: string[], before: number): Promise<string[]> {
    if (!ids.length) return [];
    const list = ids.map(() => '?').join(', ');
    const where = `a."id" IN (${list}) AND ${UNREFERENCED_UPLOAD}`;
    const [rows] = await runInTransaction(this.ds, [
      {
        sql: `SELECT a."id" FROM "artifacts" a WHERE ${where} ORDER BY a."uploadedAt"`,
        params: [...ids, before],
      },
      {
        sql: `DELETE FROM "artifacts" WHERE "id" IN (SELECT a."id" FROM "artifacts" a WHERE ${where})`,
        params: [...ids, before],
      },
    ]);
    return (rows as Array<{ id: string }>).map((r) => r.id);
  }
}

/** An upload (with `?` = the time it must predate) that no run and no saved workflow references. */
const UNREFERENCED_UPLOAD =
  `a."uploadedAt" IS NOT NULL AND a."uploadedAt" < ? ` +
  `AND NOT EXISTS (SELECT 1 FROM "run_artifacts" l WHERE l."artifactId" = a."id") ` +
  `AND NOT EXISTS (SELECT 1 FROM "workflows" w WHERE w."graph" LIKE '%' || a."id" || '%')`;
