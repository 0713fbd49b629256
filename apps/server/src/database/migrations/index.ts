import { Initial1764000000000 } from './1764000000000-initial.migration';
import { RunArtifacts1764100000000 } from './1764100000000-run-artifacts.migration';

/** Every migration, oldest first. The schema changes only through these. */
export const MIGRATIONS = [Initial1764000000000, RunArtifacts1764100000000];
