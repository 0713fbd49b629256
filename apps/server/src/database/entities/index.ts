import { ArtifactEntity } from './artifact.entity';
import { RunEventEntity } from './run-event.entity';
import { RunEntity } from './run.entity';
import { WorkflowEntity } from './workflow.entity';

export { ArtifactEntity, RunEventEntity, RunEntity, WorkflowEntity };
export const ENTITIES = [WorkflowEntity, RunEntity, RunEventEntity, ArtifactEntity];
