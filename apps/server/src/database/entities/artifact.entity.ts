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
}
