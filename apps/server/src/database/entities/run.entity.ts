import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { ErrorInfo, NodeRunSummary, RunStatusName, Workflow } from '@maskflow/workflow';
import { epochMs } from './column.util';

@Entity('runs')
@Index('idx_runs_status_created', ['status', 'createdAt'])
@Index('idx_runs_workflow', ['workflowId'])
export class RunEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  /** The saved workflow it came from; null for a graph submitted inline. */
  @Column({ type: 'varchar', length: 100, nullable: true })
  workflowId!: string | null;

  /** The graph exactly as it runs: inputs applied, params migrated. */
  @Column({ type: 'simple-json' })
  graph!: Workflow;

  @Column({ type: 'simple-json' })
  inputs!: Record<string, unknown>;

  @Column({ type: 'varchar', length: 16 })
  status!: RunStatusName;

  @Column({ type: 'varchar', length: 100, nullable: true })
  target!: string | null;

  /** Execution provider the run used (cpu, cuda). */
  @Column({ type: 'varchar', length: 32, default: 'cpu' })
  provider!: string;

  /** Per-node status and timings. */
  @Column({ type: 'simple-json' })
  nodes!: Record<string, NodeRunSummary>;

  @Column({ type: 'simple-json' })
  outputs!: Record<string, Record<string, unknown>>;

  @Column({ type: 'simple-json', nullable: true })
  error!: ErrorInfo | null;

  /** Highest event seq persisted for the run. */
  @Column({ type: 'integer', default: 0 })
  lastSeq!: number;

  @Column({ type: 'bigint', transformer: epochMs })
  createdAt!: number;

  @Column({ type: 'bigint', nullable: true, transformer: epochMs })
  startedAt!: number | null;

  @Column({ type: 'bigint', nullable: true, transformer: epochMs })
  finishedAt!: number | null;
}
