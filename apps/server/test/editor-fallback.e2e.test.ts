import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startServer } from '../../../test/server/helpers/server.harness';
import type { TestServer } from '../../../test/server/helpers/server.harness';

/*
 * The editor is a single-page app: a reload on one of its client-side routes
 * must get index.html, while the API, socket.io and missing assets keep
 * their 404s. Over HTTP against a real server with a built editor in a temp dir.
 */

const INDEX =
  '<!doctype html><html><head><title>Maskflow editor</title></head><body><div id="root"></div></body></html>';
const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
const TOKEN = 'editor-fallback-token';

let uiDir: string;
let server: TestServer;

beforeAll(async () => {
  uiDir = mkdtempSync(path.join(tmpdir(), 'maskflow-ui-'));
  mkdirSync(path.join(uiDir, 'assets'));
  writeFileSync(path.join(uiDir, 'index.html'), INDEX);
  writeFileSync(path.join(uiDir, 'assets', 'app.js'), 'console.log("editor");\n');
  server = await startServer({ uiDir, token: TOKEN });
});

afterAll(async () => {
  await server?.close();
  rmSync(uiDir, { recursive: true, force: true });
});

/** Like a browser: no token, unless asked. */
function get(p: string, accept?: string, token: string | null = null) {
  return server.api.request('GET', p, undefined, { headers: accept ? { accept } : {}, token });
}

describe('editor routes', () => {
  it.each(['/', '/workflows/abc', '/workflows/abc/', '/runs/5f98c0de-1111-4222-8333-444455556666', '/a/b/c'])(
    'answers %s with the editor’s index.html (200) when the browser asks for a page',
    async (p) => {
      const r = await get(p, BROWSER);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^text\/html/);
      expect(r.body).toBe(INDEX);
    },
  );

  it('keeps a client-side route out of caches that ignore Accept, and answers HEAD', async () => {
    const r = await get('/workflows/abc', 'text/html');
    expect(r.headers.get('cache-control')).toBe('no-cache');
    expect(r.headers.get('vary')).toMatch(/Accept/);
    const head = await server.api.request('HEAD', '/workflows/abc', undefined, {
      headers: { accept: BROWSER },
      token: null,
    });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toMatch(/^text\/html/);
  });

  it('still serves the static files that exist', async () => {
    const js = await get('/assets/app.js', '*/*');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(js.body).toBe('console.log("editor");\n');
  });

  it('answers a missing asset with a 404, not the editor, whatever it accepts', async () => {
    for (const accept of ['*/*', BROWSER, undefined]) {
      const r = await get('/assets/nope.js', accept);
      expect(r.status).toBe(404);
      expect(r.body).not.toBe(INDEX);
    }
    expect((await get('/favicon.ico', BROWSER)).status).toBe(404);
  });

  it('leaves the API alone: an unknown API route is a JSON 404 even for a page request', async () => {
    for (const p of ['/api/unknown', '/api', '/api/workflows/nope/nope']) {
      const r = await get(p, BROWSER, TOKEN);
      expect(r.status).toBe(404);
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
      expect(r.body).toMatchObject({ error: { kind: 'user', code: 'not-found' } });
    }
    // A real API route still needs the token and answers JSON.
    const denied = await get('/api/workflows', BROWSER);
    expect(denied.status).toBe(401);
    expect(denied.body).toMatchObject({ error: { code: 'unauthorized' } });
    const ok = await get('/api/workflows', BROWSER, TOKEN);
    expect(ok.status).toBe(200);
    expect(Array.isArray(ok.body)).toBe(true);
  });

  it('does not answer socket.io’s path, other methods or non-page requests with the editor', async () => {
    const polling = await get('/socket.io/?EIO=4&transport=polling', BROWSER);
    expect(polling.body).not.toBe(INDEX);
    const post = await server.api.request('POST', '/workflows/abc', { x: 1 }, { token: null });
    expect(post.status).toBe(404);
    const json = await get('/workflows/abc', 'application/json');
    expect(json.status).toBe(404);
    expect(json.body).toMatchObject({ error: { code: 'not-found' } });
    expect((await get('/workflows/abc')).status).toBe(404);
  });
});

describe('without a built editor', () => {
  it('keeps the placeholder at / and a 404 elsewhere', async () => {
    const bare = await startServer();
    try {
      const home = await bare.api.request('GET', '/', undefined, { headers: { accept: BROWSER } });
      expect(home.status).toBe(200);
      expect(home.body).toEqual(expect.stringContaining('/api/docs'));
      const route = await bare.api.request('GET', '/workflows/abc', undefined, {
        headers: { accept: BROWSER },
      });
      expect(route.status).toBe(404);
    } finally {
      await bare.close();
    }
  });
});
