import * as path from 'node:path';
import { z } from 'zod';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8188;

/** Everything the server reads from its environment, resolved once at start-up. */
export interface ServerConfig {
  host: string;
  port: number;
  /** Database file, artifacts and thumbnails live here. */
  dataDir: string;
  /** Postgres instead of SQLite when set. */
  databaseUrl?: string;
  token?: string;
  queueConcurrency: number;
  /** Node-level concurrency inside one run (independent branches). */
  engineConcurrency: number;
  maxUploadBytes: number;
  maxPixels: number;
  jsonLimitBytes: number;
  corsOrigin?: string[];
  /** Example workflows seeded into an empty database. */
  seedDir?: string;
  /** Built UI served at `/` when present. */
  uiDir: string;
  version: string;
  /** Bytes the in-memory node output cache may hold. */
  cacheBytes?: number;
}

export const SERVER_CONFIG = Symbol('SERVER_CONFIG');

/** The repository root, found from this file whether it runs from src (tsx, jest) or dist. */
export function repoRoot(): string {
  return path.resolve(__dirname, '..', '..', '..', '..');
}

const envSchema = z.object({
  MASKFLOW_HOST: z.string().min(1).default(DEFAULT_HOST),
  MASKFLOW_PORT: z.coerce.number().int().min(0).max(65535).default(DEFAULT_PORT),
  MASKFLOW_DATA_DIR: z.string().min(1).optional(),
  DATABASE_URL: z.string().min(1).optional(),
  MASKFLOW_TOKEN: z.string().min(1).optional(),
  MASKFLOW_QUEUE_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(1),
  MASKFLOW_ENGINE_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  MASKFLOW_MAX_UPLOAD_MB: z.coerce.number().positive().default(50),
  MASKFLOW_MAX_PIXELS: z.coerce.number().int().positive().default(64_000_000),
  MASKFLOW_JSON_LIMIT_MB: z.coerce.number().positive().default(2),
  MASKFLOW_CORS_ORIGIN: z.string().min(1).optional(),
  MASKFLOW_SEED_DIR: z.string().min(1).optional(),
  MASKFLOW_UI_DIR: z.string().min(1).optional(),
});

/** Reads the environment; a bad value stops the start with the variable's name. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  // An empty variable means unset (MASKFLOW_TOKEN= in a shell or a compose file).
  const set = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = envSchema.safeParse(set);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid server configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const root = repoRoot();
  return {
    host: e.MASKFLOW_HOST,
    port: e.MASKFLOW_PORT,
    dataDir: path.resolve(e.MASKFLOW_DATA_DIR ?? path.join(root, 'data')),
    databaseUrl: e.DATABASE_URL,
    token: e.MASKFLOW_TOKEN,
    queueConcurrency: e.MASKFLOW_QUEUE_CONCURRENCY,
    engineConcurrency: e.MASKFLOW_ENGINE_CONCURRENCY,
    maxUploadBytes: Math.round(e.MASKFLOW_MAX_UPLOAD_MB * 1024 * 1024),
    maxPixels: e.MASKFLOW_MAX_PIXELS,
    jsonLimitBytes: Math.round(e.MASKFLOW_JSON_LIMIT_MB * 1024 * 1024),
    corsOrigin: e.MASKFLOW_CORS_ORIGIN?.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    seedDir: path.resolve(e.MASKFLOW_SEED_DIR ?? path.join(root, 'workflows')),
    uiDir: path.resolve(e.MASKFLOW_UI_DIR ?? path.join(root, 'apps', 'ui', 'dist')),
    version: readVersion(root),
  };
}

function readVersion(root: string): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pkg = require(path.join(root, 'package.json')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '::ffff:127.0.0.1';
}

/**
 * Refuses to expose the server without a token: anyone who can reach an open
 * port could otherwise run graphs and read every artifact.
 */
export function assertSafeBinding(config: Pick<ServerConfig, 'host' | 'token'>): void {
  if (!isLoopback(config.host) && !config.token) {
    throw new Error(
      `refusing to listen on ${config.host} without an access token: set MASKFLOW_TOKEN (clients then send ` +
        `"Authorization: Bearer <token>"), or listen on 127.0.0.1 (the default, MASKFLOW_HOST)`,
    );
  }
}
