import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { DataSource } from 'typeorm';
import type { ServerConfig } from '../config/server.config';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';

/**
 * SQLite in the data dir by default; Postgres when DATABASE_URL is set (the
 * `pg` package must then be installed). The schema is only ever changed by
 * migrations, run at start-up.
 */
export function dataSourceOptions(config: Pick<ServerConfig, 'dataDir' | 'databaseUrl'>): DataSourceOptions {
  const common = {
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: true,
    synchronize: false,
    logging: false,
  } as const;
  if (config.databaseUrl) {
    return { type: 'postgres', url: config.databaseUrl, ...common };
  }
  mkdirSync(config.dataDir, { recursive: true });
  return {
    type: 'better-sqlite3',
    database: path.join(config.dataDir, 'maskflow.db'),
    // WAL: readers (event replay, listings) do not wait for the runner's writes.
    enableWAL: true,
    timeout: 5000,
    ...common,
  };
}

export async function openDataSource(
  config: Pick<ServerConfig, 'dataDir' | 'databaseUrl'>,
): Promise<DataSource> {
  const ds = new DataSource(dataSourceOptions(config));
  await ds.initialize();
  return ds;
}
