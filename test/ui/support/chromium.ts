import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';

/** Debian's chromium (apt install chromium). Nothing is ever downloaded. */
export const CHROMIUM = process.env.MASKFLOW_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM);
}

export interface BrowserSession {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** A fresh chromium with its own throw-away profile. */
export async function launchChromium(viewport = { width: 1600, height: 1000 }): Promise<BrowserSession> {
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'maskflow-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    headless: true,
    viewport,
    acceptDownloads: true,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    close: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

export type { Browser, Page };

/**
 * Where screenshots of browser tests are kept (git-ignored). The screenshots
 * named `<prefix>NN-…png` (EditorPage's names) are removed at the start of
 * each run; other test files sharing the folder with another prefix keep theirs.
 */
export function artifactsDir(suite: string, prefix = ''): string {
  const dir = path.resolve(__dirname, '..', '..', '..', 'test-artifacts', 'ui', suite);
  mkdirSync(dir, { recursive: true });
  const own = new RegExp(`^${prefix.replace(/[^\w-]/g, '')}\\d+-.*\\.png$`);
  for (const f of readdirSync(dir)) if (own.test(f)) rmSync(path.join(dir, f), { force: true });
  return dir;
}
