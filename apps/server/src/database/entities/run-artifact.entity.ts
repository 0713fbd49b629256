import { Entity, Index, PrimaryColumn } from 'typeorm';

export type RunArtifactRole = 'input' | 'output';

/**
 * Which runs use which artifacts: an uploaded image a run reads (`input`), an
 * image it saved (`output`). Artifacts are content-addressed, so one file can
 * belong to several runs (a re-run saves the same bytes again); deleting a run
 * deletes only the files no other run and no saved workflow still names.
 */
@Entity('run_artifacts')
@Index('idx_run_artifacts_artifact', ['artifactId'])
export class RunArtifactEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  runId!: string;

  @PrimaryColumn({ type: 'varchar', length: 64 })
  artifactId!: string;

  @PrimaryColumn({ type: 'varchar', length: 8 })
  role!: RunArtifactRole;
}
