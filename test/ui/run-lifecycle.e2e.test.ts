/**
 * Running, as the user watches it, in chromium against the real server with
 * test node types (a fake sampler with step previews, a failing node):
 *
 *   c (Const) ──► sampler (FakeSampler) ──► out (Output)
 *     └────────► fail (Fail)
 *
 * imported from a file; run up to a selected node with progress bars and step
 * previews; the socket cut mid-run and caught up with nothing lost; the seed
 * the run used shown on the seed widget; cancel; a failure with its message on
 * the node. Screenshots go to test-artifacts/ui/run-lifecycle/.
 */
import type { Page } from 'playwright-core';
import type { Server } from 'socket.io';
import { RunGateway } from '../../apps/server/src/gateways/run.gateway';
import { chromiumAvailable } from './support/chromium';
import type { EditorPage } from './support/editor-page';
import { openEditor } from './support/editor-session';
import type { EditorSession } from './support/editor-session';
import { eventually } from './support/locator-matchers';
import { uiTestRegistry } from './support/ui-test-nodes';
import type { UiServer } from './support/ui-server';

jest.setTimeout(120_000);

const run = chromiumAvailable() ? describe : describe.skip;

const WORKFLOW = {
  version: 1,
  name: 'Lifecycle',
  nodes: [
    { id: 'c', type: 'Const', params: { value: 1 }, position: { x: 0, y: 0 } },
    {
      id: 'sampler',
      type: 'FakeSampler',
      params: { prompt: 'a red fox', seed: -1, steps: 40, stepMs: 60 },
      position: { x: 300, y: 0 },
    },
    { id: 'out', type: 'Output', params: {}, position: { x: 650, y: 0 } },
    { id: 'fail', type: 'Fail', params: { kind: 'user' }, position: { x: 650, y: 220 } },
  ],
  edges: [
    { source: 'c', sourceHandle: 'value', target: 'sampler', targetHandle: 'a' },
    { source: 'sampler', sourceHandle: 'value', target: 'out', targetHandle: 'value' },
    { source: 'c', sourceHandle: 'value', target: 'fail', targetHandle: 'a' },
  ],
  inputs: { prompt: { node: 'sampler', param: 'prompt', label: 'Prompt' } },
};

interface RunRecordLite {
  status: string;
  lastSeq: number;
}

run('running in chromium: progress, previews, reconnect, seed, cancel, failure', () => {
  let session: EditorSession;
  let srv: UiServer;
  let page: Page;
  let ui: EditorPage;
  let pageErrors: string[];

  const runRecord = async (): Promise<RunRecordLite> => {
    const id = await page.getByTestId('run-status').getAttribute('data-run-id');
    return (await (await fetch(`${srv.url}/api/runs/${id}`)).json()) as RunRecordLite;
  };

  beforeAll(async () => {
    session = await openEditor({ suite: 'run-lifecycle', server: { registry: uiTestRegistry() } });
    ({ srv, page, ui, pageErrors } = session);
  }, 180_000);

  afterAll(() => session?.close());

  it('imports a workflow file and shows its exposed input', async () => {
    await page.getByLabel('Import workflow file').setInputFiles({
      name: 'lifecycle.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify(WORKFLOW)),
    });
    await expect(ui.nodes()).toHaveCount(4);
    await expect(ui.toast('Imported "Lifecycle"')).toBeVisible();
    await expect(page.locator('.mf-input-row[data-input="prompt"]')).toBeVisible();
    // Editing the exposed input edits the node's param.
    await page.locator('[id="input.prompt"]').fill('a red fox sitting on grass');
    await expect(ui.param('sampler', 'prompt')).toHaveValue('a red fox sitting on grass');
    expect(await ui.param('sampler', 'seed').isDisabled()).toBe(true);
  });

  it('runs up to a selected node with a progress bar and step previews, and catches up after the socket drops', async () => {
    await page.evaluate(`(() => {
      window.__conn = [];
      const el = document.querySelector('[data-testid=connection]');
      new MutationObserver(() => window.__conn.push(el.textContent)).observe(el, { childList: true, characterData: true, subtree: true });
    })()`);
    await ui.node('out').locator('.mf-node-header').click();
    await page.getByRole('button', { name: '▶ to selected' }).click();
    await expect(ui.status('sampler')).toHaveAttribute('data-status', 'running');
    const bar = ui.node('sampler').getByRole('progressbar');
    await expect(bar).toBeVisible();
    await expect(ui.node('sampler').getByTestId('node-preview')).toBeVisible();
    const firstValue = Number(await bar.getAttribute('aria-valuenow'));
    await ui.screenshot('running-with-preview');

    // Cut every socket's transport: the client reconnects by itself, re-subscribes from its last seq and the server replays the gap.
    const io = srv.server.app.get(RunGateway).server as Server;
    for (const s of io.sockets.sockets.values()) s.conn.close();
    await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'finished', {
      timeout: 60_000,
    });
    const conn = await page.evaluate<string[]>('window.__conn');
    expect(conn).toContain('reconnecting…');
    await expect(page.getByTestId('connection')).toHaveText('live');

    for (const id of ['c', 'sampler', 'out'])
      await expect(ui.status(id)).toHaveAttribute('data-status', 'done');
    // Not part of the target's ancestry: never ran.
    await expect(ui.status('fail')).toHaveAttribute('data-status', 'idle');
    const rec = await runRecord();
    expect(rec.status).toBe('finished');
    // Every stored event reached the editor exactly once: its last seq is the server's.
    await expect(page.getByTestId('run-status')).toHaveAttribute('data-seq', String(rec.lastSeq));
    expect(firstValue).toBeGreaterThan(0);
    expect(firstValue).toBeLessThanOrEqual(40);

    // The seed the run used is shown on the seed widget, and can be kept.
    const runId = await page.getByTestId('run-status').getAttribute('data-run-id');
    const { events } = (await (await fetch(`${srv.url}/api/runs/${runId}/events`)).json()) as {
      events: Array<{ type: string; nodeId?: string; data: { outputs?: { seed?: number } } }>;
    };
    const usedSeed = events.find((e) => e.type === 'node.finished' && e.nodeId === 'sampler')?.data.outputs
      ?.seed;
    expect(typeof usedSeed).toBe('number');
    await expect(ui.node('sampler').getByTestId('used-seed')).toContainText(String(usedSeed));
    await ui.screenshot('finished-after-reconnect');
    await ui.node('sampler').getByRole('button', { name: 'keep' }).click();
    await expect(ui.param('sampler', 'seed')).toHaveValue(String(usedSeed));
  });

  it('runs again from cache where nothing changed', async () => {
    // A fixed seed is cacheable: the first run with it computes, the second comes from the cache.
    await ui.node('out').locator('.mf-node-header').click();
    await page.getByRole('button', { name: '▶ to selected' }).click();
    await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'finished', {
      timeout: 60_000,
    });
    await ui.node('out').locator('.mf-node-header').click();
    await page.getByRole('button', { name: '▶ to selected' }).click();
    await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'finished', {
      timeout: 60_000,
    });
    await expect(ui.status('sampler')).toHaveAttribute('data-status', 'cached');
    await expect(ui.status('c')).toHaveAttribute('data-status', 'cached');
  });

  it('queues three variations with one click (runs per click 3, seed random each run): three runs, three seeds', async () => {
    type Listed = { items: Array<{ id: string; status: string }>; total: number };
    const list = async () => (await (await fetch(`${srv.url}/api/runs?limit=3`)).json()) as Listed;
    const before = (await list()).total;
    await ui.node('sampler').getByText('random each run').click();
    await page.getByLabel('Runs per click').fill('3');
    await ui.node('out').locator('.mf-node-header').click();
    await page.getByRole('button', { name: '▶ to selected' }).click();
    await expect(ui.toast('Queued 3 runs; their images gather in the Gallery.')).toBeVisible();
    const listed = await eventually(
      list,
      (l) => l.total === before + 3 && l.items.every((r) => r.status === 'finished'),
      60_000,
    );
    expect(listed.total).toBe(before + 3);
    expect(listed.items.map((r) => r.status)).toEqual(['finished', 'finished', 'finished']);
    // Each run picked its own seed; the canvas shows the first of the three.
    const seeds = new Set<number>();
    for (const r of listed.items) {
      const { events } = (await (await fetch(`${srv.url}/api/runs/${r.id}/events`)).json()) as {
        events: Array<{ type: string; nodeId?: string; data: { outputs?: { seed?: number } } }>;
      };
      const seed = events.find((e) => e.type === 'node.finished' && e.nodeId === 'sampler')?.data.outputs
        ?.seed;
      expect(typeof seed).toBe('number');
      seeds.add(seed!);
    }
    expect(seeds.size).toBe(3);
    await expect(page.getByTestId('run-status')).toHaveAttribute('data-run-id', listed.items[2].id);
    await ui.screenshot('three-variations');
    // Back to one run per click and the kept seed, for the tests that follow.
    await page.getByLabel('Runs per click').fill('1');
    await ui.clickCanvasBackground();
    await ui.press('Control+z');
    await expect(ui.param('sampler', 'seed')).not.toHaveAttribute('disabled', '');
  });

  it('cancels a running run', async () => {
    await ui.param('sampler', 'steps').fill('400');
    await ui.param('sampler', 'steps').press('Enter');
    await ui.node('out').locator('.mf-node-header').click();
    await page.getByRole('button', { name: '▶ to selected' }).click();
    await expect(ui.status('sampler')).toHaveAttribute('data-status', 'running');
    await page.getByTestId('cancel').click();
    await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'cancelled');
    await expect(ui.status('sampler')).toHaveAttribute('data-status', 'cancelled');
    expect((await runRecord()).status).toBe('cancelled');
    await ui.screenshot('cancelled');
  });

  it('shows a failure with its message on the failed node', async () => {
    await ui.param('sampler', 'steps').fill('3');
    await ui.param('sampler', 'steps').press('Enter');
    await ui.clickCanvasBackground();
    await ui.press('Control+Enter');
    await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'failed', {
      timeout: 60_000,
    });
    await expect(ui.status('fail')).toHaveAttribute('data-status', 'failed');
    await expect(ui.node('fail').getByTestId('node-error')).toHaveText('the value is out of range');
    await expect(page.getByTestId('run-status')).toContainText('the value is out of range');
    await ui.screenshot('failed');
  });

  it('refuses to run an invalid graph and marks the problem on the node', async () => {
    // Remove the edge into out.value: a required input left unconnected.
    const edge = page.locator('.react-flow__edge[data-id="sampler.value->out.value"]');
    await edge.click({ force: true });
    await ui.press('Delete');
    await expect(ui.edges()).toHaveCount(2);
    await ui.press('Control+Enter');
    await expect(page.getByRole('tab', { name: /Problems/ })).toHaveAttribute('aria-selected', 'true');
    await expect(ui.node('out').locator('.mf-node-issue')).toBeVisible();
    const issue = (await ui.node('out').locator('.mf-node-issue').textContent()) ?? '';
    expect(issue).toMatch(/value/);
    await ui.screenshot('problems');
    const runs = await eventually(
      async () => ((await (await fetch(`${srv.url}/api/runs`)).json()) as { total: number }).total,
      () => true,
    );
    expect(runs).toBe(8);
  });

  it('had no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
