import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { RunEventType } from '@maskflow/workflow';
import { epochMs } from './column.util';

/** Every event a run emitted, kept for replay after a reconnect. */
@Entity('run_events')
export class RunEventEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  runId!: string;

  @PrimaryColumn({ type: 'integer' })
  seq!: number;

  @Column({ type: 'varchar', length: 32 })
  type!: RunEventType;

  @Column({ type: 'varchar', length: 100, nullable: true })
  nodeId!: string | null;

  @Column({ type: 'bigint', transformer: epochMs })
  ts!: number;

  @Column({ type: 'simple-json' })
  data!: Record<string, unknown>;
}
