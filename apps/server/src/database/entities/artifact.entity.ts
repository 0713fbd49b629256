import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMs } from './column.util';

/** An image file, content-addressed: the id is the sha256 of its bytes. */
@Entity('artifacts')
export class ArtifactEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  @Column({ type: 'varchar', length: 100 })
  mime!: string;

  @Column({ type: 'integer' })
  bytes!: number;

  @Column({ type: 'integer', nullable: true })
  width!: number | null;

  @Column({ type: 'integer', nullable: true })
  height!: number | null;

  /** The uploaded file's name, or the name a node gave its output; display only. */
  @Column({ type: 'varchar', length: 255, nullable: true })
  name!: string | null;

  @Column({ type: 'bigint', transformer: epochMs })
  createdAt!: number;

  /**
   * When the bytes were first uploaded (POST /api/artifacts); null for images
   * only ever saved by runs. Deleting a run never deletes an upload: an
   * editor may still hold its id in a graph the server has not seen.
   */
  @Column({ type: 'bigint', nullable: true, transformer: epochMs })
  uploadedAt!: number | null;
}
