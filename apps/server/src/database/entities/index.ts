import { ArtifactEntity } from './artifact.entity';
import { RunArtifactEntity } from './run-artifact.entity';
import type { RunArtifactRole } from './run-artifact.entity';
import { RunEventEntity } from './run-event.entity';
import { RunEntity } from './run.entity';
import { WorkflowEntity } from './workflow.entity';

export { ArtifactEntity, RunArtifactEntity, RunEventEntity, RunEntity, WorkflowEntity };
export type { RunArtifactRole };
export const ENTITIES = [WorkflowEntity, RunEntity, RunEventEntity, ArtifactEntity, RunArtifactEntity];
