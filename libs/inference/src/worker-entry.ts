import { existsSync } from 'node:fs';
import * as path from 'node:path';

/** What `new Worker(file, { execArgv })` needs to start a worker module. */
export interface WorkerEntry {
  file: string;
  execArgv?: string[];
}

/**
 * The worker module `<name>.js` or `<name>.ts` in `dir`: the compiled `.js` in
 * production (dist/); from sources (jest, tsx) only the `.ts` exists, so the
 * worker loads it through tsx, a development dependency.
 */
export function workerEntryIn(dir: string, name: string): WorkerEntry {
  const js = path.join(dir, `${name}.js`);
  if (existsSync(js)) return { file: js };
  return { file: path.join(dir, `${name}.ts`), execArgv: ['--require', require.resolve('tsx/cjs')] };
}
