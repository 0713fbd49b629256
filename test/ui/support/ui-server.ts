import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createApp } from '../../../apps/server/src';
import type { CreateAppOptions, MaskflowApp } from '../../../apps/server/src';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const UI_DIR = path.join(REPO_ROOT, 'apps', 'ui');
export const UI_DIST = path.join(UI_DIR, 'dist');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * The built editor (apps/ui/dist). `npm run build` builds it; when it is
 * missing or older than its sources (a developer edited the UI and ran only
 * the tests), it is built here with the project's own Vite.
 */
export function ensureUiBuilt(): string {
  const index = path.join(UI_DIST, 'index.html');
  const sources = Math.max(
    newestMtime(path.join(UI_DIR, 'src')),
    statSync(path.join(UI_DIR, 'index.html')).mtimeMs,
  );
  if (!existsSync(index) || statSync(index).mtimeMs < sources) {
    execFileSync(
      process.execPath,
      [path.join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'],
      {
        cwd: UI_DIR,
        stdio: 'inherit',
        // jest sets NODE_ENV=test, which would give React's development build.
        env: { ...process.env, NODE_ENV: 'production', VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true' },
      },
    );
  }
  return UI_DIST;
}

export interface UiServer {
  url: string;
  server: MaskflowApp;
  dataDir: string;
  close(): Promise<void>;
}

/**
 * The real server in this process on 127.0.0.1 (a free port), with a fresh
 * SQLite database and artifact store in a temp dir, serving the built editor.
 */
export async function startUiServer(opts: CreateAppOptions = {}): Promise<UiServer> {
  const uiDir = ensureUiBuilt();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'maskflow-ui-'));
  const server = await createApp({ host: '127.0.0.1', port: 0, dataDir, uiDir, logger: ['error'], ...opts });
  return {
    url: server.url,
    server,
    dataDir,
    close: async () => {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
