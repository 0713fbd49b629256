/**
 * The editor in Debian's chromium against the real server (in this process,
 * 127.0.0.1, fresh SQLite), serving the built UI. A user builds the classical
 * object-removal graph from the palette:
 *
 *   loadimage ──image──► boxestomask ──mask──► maskdilate ──mask──┐
 *       └──────────────────────────image──────────────────────► maskfill ──image──► saveimage
 *
 * tries a wrong-type and a cycle-closing connection (both refused while
 * dragging), sets params, saves, hits a stale save (409) and overwrites,
 * reloads, opens the workflow, runs it, watches every node reach done and
 * sees the output image and the before/after view. Screenshots go to
 * test-artifacts/ui/editor/.
 */
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { chromiumAvailable } from './support/chromium';
import type { EditorPage } from './support/editor-page';
import { openEditor } from './support/editor-session';
import type { EditorSession } from './support/editor-session';
import { eventually } from './support/locator-matchers';
import type { UiServer } from './support/ui-server';

jest.setTimeout(120_000);

const run = chromiumAvailable() ? describe : describe.skip;
if (!chromiumAvailable())
  console.warn('skipping browser tests: no chromium at /usr/bin/chromium (apt install chromium)');

/** A 320×240 photo stand-in: a gradient with a dark square to remove. */
async function testImage(): Promise<Buffer> {
  const w = 320;
  const h = 240;
  const px = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      const inSquare = x >= 120 && x < 180 && y >= 90 && y < 150;
      px[i] = inSquare ? 20 : Math.round((x / w) * 200) + 30;
      px[i + 1] = inSquare ? 20 : Math.round((y / h) * 180) + 40;
      px[i + 2] = inSquare ? 30 : 160;
    }
  }
  return sharp(px, { raw: { width: w, height: h, channels: 3 } })
    .png()
    .toBuffer();
}

const NAME = 'E2E classical removal';

run('editor in chromium against the real server', () => {
  let session: EditorSession;
  let srv: UiServer;
  let page: Page;
  let ui: EditorPage;
  let pageErrors: string[];

  beforeAll(async () => {
    // The stale save below is a 409 on purpose; chromium logs every non-2xx fetch.
    session = await openEditor({ suite: 'editor', consoleErrors: /status of 409/ });
    ({ srv, page, ui, pageErrors } = session);
  }, 180_000);

  afterAll(() => session?.close());

  it('builds the graph from the palette (drag and click)', async () => {
    await ui.screenshot('empty');
    await ui.dragFromPalette('LoadImage', { x: 140, y: 50 });
    await ui.dragFromPalette('BoxesToMask', { x: 430, y: 50 });
    await ui.dragFromPalette('MaskDilate', { x: 720, y: 50 });
    await ui.dragFromPalette('MaskFill', { x: 430, y: 430 });
    // The search box narrows the palette; Enter adds the first match.
    const search = page.getByRole('searchbox', { name: 'Search nodes' });
    await search.fill('save');
    await search.press('Enter');
    await expect(ui.nodes()).toHaveCount(5);
    // The clicked one lands in view; move it next to maskfill.
    const save = ui.node('saveimage').locator('.mf-node-header');
    const from = await ui.center(save);
    const fill = await ui.node('maskfill').boundingBox();
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move(fill!.x + fill!.width + 60 + 80, fill!.y + 14, { steps: 10 });
    await page.mouse.up();
    for (const id of ['loadimage', 'boxestomask', 'maskdilate', 'maskfill', 'saveimage'])
      await expect(ui.node(id)).toHaveCount(1);
    // Handles carry their port type's colour.
    const color = await ui
      .handle('loadimage', 'image', 'source')
      .evaluate((el) => (el as unknown as { style: { background: string } }).style.background);
    expect(color).toBe('rgb(100, 181, 246)');
    await ui.screenshot('nodes-added');
  });

  it('connects compatible ports and refuses a wrong type or a cycle while dragging', async () => {
    const ok = async (from: [string, string], to: [string, string]) => {
      const before = await ui.edges().count();
      const r = await ui.dragConnection(from, to);
      expect(r.validWhileDragging).toBe(true);
      await expect(ui.edges()).toHaveCount(before + 1);
    };
    await ok(['loadimage', 'image'], ['boxestomask', 'image']);
    await ok(['boxestomask', 'mask'], ['maskdilate', 'mask']);
    await ok(['loadimage', 'image'], ['maskfill', 'image']);

    // IMAGE → MASK: refused while dragging, nothing connected, and the reason is said.
    const wrong = await ui.dragConnection(['loadimage', 'image'], ['maskfill', 'mask']);
    expect(wrong.validWhileDragging).toBe(false);
    await expect(ui.edges()).toHaveCount(3);
    await expect(ui.toast('IMAGE output "image" cannot feed MASK input "mask"')).toBeVisible();
    await ui.screenshot('wrong-type-refused');

    // maskdilate → maskdilate would close a cycle.
    const cycle = await ui.dragConnection(['maskdilate', 'mask'], ['maskdilate', 'mask']);
    expect(cycle.validWhileDragging).toBe(false);
    await expect(ui.edges()).toHaveCount(3);

    await ok(['maskdilate', 'mask'], ['maskfill', 'mask']);
    await ok(['maskfill', 'image'], ['saveimage', 'image']);
    await ui.screenshot('connected');
  });

  it('sets params: an uploaded image, boxes, a slider, a select', async () => {
    await page.getByLabel('Workflow name').fill(NAME);
    await ui
      .param('loadimage', 'image')
      .setInputFiles({ name: 'square.png', mimeType: 'image/png', buffer: await testImage() });
    await expect(ui.node('loadimage').locator('img.mf-image-thumb')).toBeVisible();
    // With the upload connected, boxes are drawn on the picture; exact numbers go in the JSON behind { }.
    await ui.node('boxestomask').getByRole('button', { name: 'Edit boxes as JSON' }).click();
    const boxes = ui.param('boxestomask', 'boxes');
    await boxes.fill('[{"x1":110,"y1":80,"x2":190,"y2":160}]');
    await boxes.blur();
    await ui.param('maskdilate', 'radius').fill('6');
    await ui.param('maskdilate', 'radius').press('Enter');
    await ui.param('maskfill', 'method').selectOption('ns');
    await ui.node('maskfill').getByLabel('Radius slider').fill('9');
    await expect(ui.param('maskfill', 'radius')).toHaveValue('9');
    await ui.param('saveimage', 'format').selectOption('webp');
    await expect(page.getByTestId('dirty-marker')).toHaveText('● unsaved');
    await ui.screenshot('params-set');
  });

  it('undoes and redoes with the keyboard', async () => {
    await ui.clickCanvasBackground();
    await ui.press('Control+z');
    await expect(ui.param('saveimage', 'format')).toHaveValue('png');
    await ui.press('Control+Shift+z');
    await expect(ui.param('saveimage', 'format')).toHaveValue('webp');
  });

  it('saves with Ctrl+S, and explains a stale save (409) with a choice', async () => {
    await ui.press('Control+s');
    await expect(ui.toast(`Saved "${NAME}" (revision 1)`)).toBeVisible();
    await expect(page.getByTestId('dirty-marker')).toHaveText('✓ saved');
    const id = decodeURIComponent(new URL(page.url()).hash.replace('#/workflow/', ''));
    expect(id).toMatch(/^[0-9a-f-]{36}$/);

    // Someone else saves in between (revision 1 → 2).
    const put = await fetch(`${srv.url}/api/workflows/${id}`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ revision: 1, description: 'edited elsewhere' }),
    });
    expect(put.status).toBe(200);
    await ui.param('maskdilate', 'radius').fill('8');
    await ui.param('maskdilate', 'radius').press('Enter');
    await ui.press('Control+s');
    const dialog = page.getByTestId('conflict-dialog');
    await expect(dialog).toBeVisible();
    await expect(dialog).toContainText('revision 2');
    await ui.screenshot('stale-save-409');
    await dialog.getByRole('button', { name: 'Overwrite with mine' }).click();
    await expect(ui.toast(`Saved "${NAME}" (revision 3)`)).toBeVisible();
    await expect(page.getByTestId('dirty-marker')).toHaveText('✓ saved');
  });

  it('reloads the page and opens the saved workflow', async () => {
    await page.goto(srv.url);
    await page.locator('.mf-palette-item').first().waitFor();
    await expect(ui.nodes()).toHaveCount(0);
    await page.getByRole('button', { name: 'Open…' }).click();
    const dialog = page.getByTestId('workflows-dialog');
    await expect(dialog).toBeVisible();
    await ui.screenshot('open-dialog');
    await dialog.getByRole('button', { name: new RegExp(NAME) }).click();
    await expect(ui.nodes()).toHaveCount(5);
    await expect(ui.edges()).toHaveCount(5);
    await expect(ui.param('maskdilate', 'radius')).toHaveValue('8');
    await expect(ui.param('maskfill', 'method')).toHaveValue('ns');
    await expect(ui.node('boxestomask').getByTestId('region-box')).toHaveCount(1);
    await ui.node('boxestomask').getByRole('button', { name: 'Edit boxes as JSON' }).click();
    await expect(ui.param('boxestomask', 'boxes')).toHaveValue('[{"x1":110,"y1":80,"x2":190,"y2":160}]');
    await expect(page.getByLabel('Workflow name')).toHaveValue(NAME);
    await ui.screenshot('reopened');
  });

  it('runs with Ctrl+Enter: every node reaches done and the output image shows', async () => {
    // Record every status each node shows, to see the progression and not just the end.
    await page.evaluate(`(() => {
      window.__statuses = {};
      const note = (el) => {
        const id = el.getAttribute('data-node-id');
        const s = el.getAttribute('data-status');
        const list = (window.__statuses[id] ||= []);
        if (list[list.length - 1] !== s) list.push(s);
      };
      document.querySelectorAll('.mf-node').forEach(note);
      new MutationObserver((ms) => ms.forEach((m) => m.target.classList && m.target.classList.contains('mf-node') && note(m.target)))
        .observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-status'] });
    })()`);
    await ui.clickCanvasBackground();
    await ui.press('Control+Enter');
    await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'finished', {
      timeout: 60_000,
    });
    for (const id of ['loadimage', 'boxestomask', 'maskdilate', 'maskfill', 'saveimage']) {
      await expect(ui.status(id)).toHaveAttribute('data-status', 'done');
    }
    const statuses = await page.evaluate<Record<string, string[]>>('window.__statuses');
    for (const id of Object.keys(statuses)) expect(statuses[id].at(-1)).toBe('done');
    // No event lost: the editor folded in exactly as many events as the server stored.
    const runId = await page.getByTestId('run-status').getAttribute('data-run-id');
    const seq = Number(await page.getByTestId('run-status').getAttribute('data-seq'));
    const rec = (await (await fetch(`${srv.url}/api/runs/${runId}`)).json()) as {
      status: string;
      lastSeq: number;
      workflowId: string | null;
    };
    expect(rec).toMatchObject({ status: 'finished' });
    expect(seq).toBe(rec.lastSeq);

    const out = ui.node('saveimage').getByTestId('node-output-image');
    await expect(out).toBeVisible();
    const width = await eventually(
      () => out.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
      (w) => w > 0,
    );
    expect(width).toBeGreaterThan(0);
    await ui.screenshot('run-finished');
  });

  it('shows the output in the gallery with a before/after view and mask overlay', async () => {
    await ui.node('saveimage').getByTestId('node-output-image').click();
    const stage = page.getByTestId('before-after');
    await expect(stage).toBeVisible();
    await expect(stage.locator('img')).toHaveCount(2);
    await page.getByLabel('Before/after divider').fill('30');
    await page.getByLabel('mask overlay').check();
    // The mask Mask Fill was fed (Mask Dilate's, from its node.finished preview), not the difference.
    const caption = page.getByTestId('mask-caption');
    await expect(caption).toContainText('% of the image');
    await expect(caption).toContainText('mask: maskdilate.mask → maskfill');
    await expect(page.getByTestId('mask-overlay')).toHaveAttribute('data-mask', 'fed');
    const text = (await caption.textContent()) ?? '';
    const pct = Number(/([\d.]+)% of the image/.exec(text)?.[1]);
    // The box (80×80) grown by 8 px, on 320×240: about 96×96 / 76800 = 12 % of the image.
    expect(pct).toBeGreaterThan(10);
    expect(pct).toBeLessThan(14);
    await ui.screenshot('gallery-before-after');
  });

  it('keeps editing a result: "use as input" loads it into Load Image and the next run starts from it', async () => {
    const firstRunId = await page.getByTestId('run-status').getAttribute('data-run-id');
    const first = (await (await fetch(`${srv.url}/api/runs/${firstRunId}`)).json()) as {
      outputs: { saveimage: { artifact: { id: string } } };
    };
    const result = first.outputs.saveimage.artifact.id;
    await page.getByRole('button', { name: 'use as input' }).click();
    await expect(ui.toast('loadimage now loads this result')).toBeVisible();
    await expect(page.getByRole('button', { name: 'use as input' })).toHaveAttribute('disabled', '');
    await ui.clickCanvasBackground();
    await ui.press('Control+Enter');
    await expect(page.getByTestId('run-status')).not.toHaveAttribute('data-run-id', firstRunId!);
    await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'finished', {
      timeout: 60_000,
    });
    const secondRunId = await page.getByTestId('run-status').getAttribute('data-run-id');
    const second = (await (await fetch(`${srv.url}/api/runs/${secondRunId}`)).json()) as {
      graph: { nodes: Array<{ id: string; params: Record<string, unknown> }> };
    };
    expect(second.graph.nodes.find((n) => n.id === 'loadimage')?.params.image).toBe(result);
    // Back to the original upload for the tests that follow.
    await ui.press('Control+z');
    await expect(page.getByRole('button', { name: 'use as input' })).not.toHaveAttribute('disabled', '');
  });

  it('lists the run in the history and re-opens it', async () => {
    await page.getByRole('tab', { name: 'Runs' }).click();
    const row = page.locator('.mf-run-row').first();
    await expect(row).toContainText('finished');
    await row.getByRole('button', { name: 'Open' }).click();
    await expect(ui.status('saveimage')).toHaveAttribute('data-status', 'done');
    await expect(ui.node('saveimage').getByTestId('node-output-image')).toBeVisible();
    await ui.screenshot('history');
  });

  it('copies, pastes and deletes nodes with the keyboard, and undoes it', async () => {
    await ui.node('maskdilate').locator('.mf-node-header').click();
    await ui.press('Control+c');
    await ui.press('Control+v');
    await expect(ui.nodes()).toHaveCount(6);
    await expect(ui.node('maskdilate-2')).toHaveCount(1);
    await ui.press('Delete');
    await expect(ui.nodes()).toHaveCount(5);
    await ui.press('Control+z');
    await expect(ui.nodes()).toHaveCount(6);
    await ui.press('Control+z');
    await expect(ui.nodes()).toHaveCount(5);
  });

  it('had no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
