import * as path from 'node:path';
import type { Command } from 'commander';
import { UserError } from '@maskflow/workflow';

/** What this command needs of @maskflow/server (typed here: the CLI does not compile against the server). */
interface ServerModule {
  createApp(options: { host?: string; port?: number }): Promise<{
    url: string;
    app: { enableShutdownHooks(): unknown };
    config: { dataDir: string; databaseUrl?: string; token?: string };
  }>;
}

export interface ServeCommandOptions {
  host?: string;
  port?: number;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new UserError(`--port "${value}" is not a port number (0–65535)`, { field: '--port' });
  return n;
}

/**
 * The built server (`npm run build`), or its sources when the CLI itself runs
 * from sources under tsx. Loaded at run time so `maskflow run` never pays for Nest.
 */
async function loadServer(): Promise<ServerModule> {
  const source = path.resolve(__dirname, '..', '..', '..', 'server', 'src', 'index');
  // From sources (tsx) prefer the server's sources too: its dist may be stale.
  const candidates = __filename.endsWith('.ts') ? [source, '@maskflow/server'] : ['@maskflow/server', source];
  let last: unknown;
  for (const name of candidates) {
    try {
      return (await import(name)) as ServerModule;
    } catch (err) {
      last = err;
    }
  }
  throw new Error(
    `cannot load the server (run "npm run build" first): ${last instanceof Error ? last.message : String(last)}`,
  );
}

/** Starts the server in this process until SIGINT/SIGTERM. Flags override MASKFLOW_HOST / MASKFLOW_PORT. */
export async function serve(opts: ServeCommandOptions): Promise<void> {
  const server = await loadServer();
  const { app, url, config } = await server.createApp({ host: opts.host, port: opts.port });
  app.enableShutdownHooks();
  process.stderr.write(
    `Maskflow server listening on ${url}\n  API docs: ${url}/api/docs\n  data: ${config.databaseUrl ? 'postgres (DATABASE_URL)' : config.dataDir}\n` +
      `  access token: ${config.token ? 'required' : 'not set (loopback only)'}\n`,
  );
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('start the server: REST API, socket.io events and remote runs, the editor')
    .option(
      '--host <address>',
      'address to listen on (default MASKFLOW_HOST or 127.0.0.1; others need MASKFLOW_TOKEN)',
    )
    .option('--port <port>', 'port (default MASKFLOW_PORT or 8188; 0 picks a free one)', parsePort)
    .action((opts: ServeCommandOptions) => serve(opts));
}
