import { Initial1764000000000 } from './1764000000000-initial.migration';

/** Every migration, oldest first. The schema changes only through these. */
export const MIGRATIONS = [Initial1764000000000];
