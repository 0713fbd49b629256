import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Workflow } from '@maskflow/workflow';
import { epochMs } from './column.util';

// Column types are spelled out: tsx/esbuild emit no decorator metadata to infer them from.
@Entity('workflows')
export class WorkflowEntity {
  @PrimaryColumn({ type: 'varchar', length: 100 })
  id!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'text', default: '' })
  description!: string;

  @Column({ type: 'simple-json' })
  graph!: Workflow;

  /** Bumped on every save; a save that names an older one is stale (409). */
  @Column({ type: 'integer', default: 1 })
  revision!: number;

  @Column({ type: 'bigint', transformer: epochMs })
  createdAt!: number;

  @Column({ type: 'bigint', transformer: epochMs })
  updatedAt!: number;
}
