import type { CreateAppOptions } from '../../../apps/server/src/app.factory';
import type { Page } from './chromium';
import { artifactsDir, launchChromium } from './chromium';
import { EditorPage } from './editor-page';
import { startUiServer } from './ui-server';
import type { UiServer } from './ui-server';

/** A real server and a chromium with the editor open and live, for one browser-test file. */
export interface EditorSession {
  srv: UiServer;
  page: Page;
  ui: EditorPage;
  /** Uncaught page errors (and, when asked, console errors): each file's last test expects none. */
  pageErrors: string[];
  close(): Promise<void>;
}

export interface EditorSessionOptions {
  /** Screenshots go to test-artifacts/ui/<suite>/, named `<prefix>NN-…`. */
  suite: string;
  prefix?: string;
  server?: CreateAppOptions;
  viewport?: { width: number; height: number };
  timeoutMs?: number;
  /** Count console errors as page errors too; a RegExp names the ones a test causes on purpose. */
  consoleErrors?: boolean | RegExp;
}

/**
 * Starts the server, opens the editor in a fresh chromium and waits until
 * the palette is there and the socket is live.
 */
export async function openEditor(o: EditorSessionOptions): Promise<EditorSession> {
  const srv = await startUiServer(o.server);
  let browser;
  try {
    browser = await launchChromium(o.viewport);
  } catch (err) {
    await srv.close();
    throw err;
  }
  const { page } = browser;
  const pageErrors: string[] = [];
  page.setDefaultTimeout(o.timeoutMs ?? 15000);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  if (o.consoleErrors) {
    const expected = o.consoleErrors instanceof RegExp ? o.consoleErrors : undefined;
    page.on('console', (m) => {
      if (m.type() === 'error' && !expected?.test(m.text())) pageErrors.push(m.text());
    });
  }
  const ui = new EditorPage(page, artifactsDir(o.suite, o.prefix), o.prefix);
  await page.goto(srv.url);
  await page.locator('.mf-palette-item').first().waitFor();
  await page.getByTestId('connection').filter({ hasText: 'live' }).waitFor();
  return {
    srv,
    page,
    ui,
    pageErrors,
    close: async () => {
      await browser.close();
      await srv.close();
    },
  };
}
