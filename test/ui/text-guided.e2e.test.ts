/**
 * The text-guided inpainting graph, built from the palette in chromium
 * against the real server:
 *
 *   load ──► detect (GroundingDINO) ──boxes──► segment (SAM) ──mask──► grow ──mask──► inpaint (SDInpaint) ──► save
 *     ├──────────────────────────────image──────┘                                       ▲
 *     └──────────────────────────────image──────────────────────────────────────────────┘
 *
 * prompts in multiline fields, a seed from the dice, models picked from the
 * manifest; saved, reloaded, opened and run on the tiny contract-exact
 * fixture models (registered as the manifest ids through MASKFLOW_MODEL_PATHS):
 * every node must end done and the output image must show on the SaveImage
 * node; GroundingDINO's box must be drawn over its input image and listed
 * under the node; SAM's and the dilation's masks must show as small previews
 * on their nodes, and the gallery's mask overlay must be the mask SDInpaint
 * was fed. Screenshots: test-artifacts/ui/text-guided/.
 */
import { generateTinyModels } from '../fixtures/generate-tiny-models';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import type { RunEvent } from '@maskflow/workflow';
import { chromiumAvailable } from './support/chromium';
import type { EditorPage } from './support/editor-page';
import { openEditor } from './support/editor-session';
import type { EditorSession } from './support/editor-session';
import { eventually } from './support/locator-matchers';
import type { UiServer } from './support/ui-server';

jest.setTimeout(180_000);

const run = chromiumAvailable() ? describe : describe.skip;
const NAME = 'E2E text-guided inpaint';

interface Detections {
  width: number;
  height: number;
  boxes: Array<{ x1: number; y1: number; x2: number; y2: number; score: number; label: string }>;
}

run('text-guided inpainting graph in chromium', () => {
  let session: EditorSession;
  let srv: UiServer;
  let page: Page;
  let ui: EditorPage;
  let pageErrors: string[];

  const savedModelPaths = process.env.MASKFLOW_MODEL_PATHS;

  beforeAll(async () => {
    const tiny = await generateTinyModels();
    process.env.MASKFLOW_MODEL_PATHS = [
      `grounding-dino-tiny=${tiny.groundingDino.dir}`,
      `mobile-sam=${tiny.sam.dir}`,
      `sd-1.5-inpainting=${tiny.sdInpaint.dir}`,
    ].join(';');
    session = await openEditor({
      suite: 'text-guided',
      viewport: { width: 1920, height: 1200 },
      timeoutMs: 20000,
    });
    ({ srv, page, ui, pageErrors } = session);
    const specs = (await (await fetch(`${srv.url}/api/nodes`)).json()) as Array<{ type: string }>;
    for (const t of ['GroundingDINO', 'SAM', 'SDInpaint']) {
      if (!specs.some((s) => s.type === t)) throw new Error(`the server has no ${t} node type`);
    }
  }, 180_000);

  afterAll(async () => {
    await session?.close();
    if (savedModelPaths === undefined) delete process.env.MASKFLOW_MODEL_PATHS;
    else process.env.MASKFLOW_MODEL_PATHS = savedModelPaths;
  });

  it('builds the graph from the palette, refusing BOXES into a MASK input', async () => {
    await ui.dragFromPalette('LoadImage', { x: 130, y: 40 });
    await ui.dragFromPalette('GroundingDINO', { x: 400, y: 40 });
    await ui.dragFromPalette('SAM', { x: 670, y: 40 });
    await ui.dragFromPalette('MaskDilate', { x: 940, y: 40 });
    await ui.dragFromPalette('SDInpaint', { x: 1210, y: 40 });
    await ui.dragFromPalette('SaveImage', { x: 940, y: 520 });
    await expect(ui.nodes()).toHaveCount(6);
    const wrong = await ui.dragConnection(['groundingdino', 'boxes'], ['maskdilate', 'mask']);
    expect(wrong.validWhileDragging).toBe(false);
    await expect(ui.toast('BOXES output "boxes" cannot feed MASK input "mask"')).toBeVisible();
    const links: Array<[[string, string], [string, string]]> = [
      [
        ['loadimage', 'image'],
        ['groundingdino', 'image'],
      ],
      [
        ['loadimage', 'image'],
        ['sam', 'image'],
      ],
      [
        ['groundingdino', 'boxes'],
        ['sam', 'boxes'],
      ],
      [
        ['sam', 'mask'],
        ['maskdilate', 'mask'],
      ],
      [
        ['loadimage', 'image'],
        ['sdinpaint', 'image'],
      ],
      [
        ['maskdilate', 'mask'],
        ['sdinpaint', 'mask'],
      ],
      [
        ['sdinpaint', 'image'],
        ['saveimage', 'image'],
      ],
    ];
    for (const [from, to] of links) {
      const r = await ui.dragConnection(from, to);
      expect(r.validWhileDragging).toBe(true);
    }
    await expect(ui.edges()).toHaveCount(7);
    await ui.screenshot('built');
  });

  it('sets the prompts, a seed and the image, then saves', async () => {
    const png = await sharp({
      create: { width: 256, height: 192, channels: 3, background: { r: 90, g: 160, b: 90 } },
    })
      .composite([
        {
          input: await sharp({
            create: { width: 60, height: 60, channels: 3, background: { r: 20, g: 20, b: 20 } },
          })
            .png()
            .toBuffer(),
          left: 98,
          top: 66,
        },
      ])
      .png()
      .toBuffer();
    await ui
      .param('loadimage', 'image')
      .setInputFiles({ name: 'scene.png', mimeType: 'image/png', buffer: png });
    await expect(ui.node('loadimage').locator('img.mf-image-thumb')).toBeVisible();
    await ui.param('groundingdino', 'prompt').fill('dark square');
    expect(
      await ui.param('sdinpaint', 'prompt').evaluate((el) => (el as unknown as { tagName: string }).tagName),
    ).toBe('TEXTAREA');
    await ui.param('sdinpaint', 'prompt').fill('a red fox\nsitting on grass');
    await ui.node('sdinpaint').getByLabel('Randomize seed').click();
    const seed = await ui.param('sdinpaint', 'seed').inputValue();
    expect(Number(seed)).toBeGreaterThanOrEqual(0);
    await ui.param('sdinpaint', 'steps').fill('2');
    await ui.param('sdinpaint', 'steps').press('Enter');
    await page.getByLabel('Workflow name').fill(NAME);
    await ui.press('Control+s');
    await expect(ui.toast(`Saved "${NAME}"`)).toBeVisible();
    await ui.screenshot('params-saved');
  });

  it('reloads, opens it and runs it to the output image', async () => {
    await page.goto(srv.url);
    await page.locator('.mf-palette-item').first().waitFor();
    await page.getByRole('button', { name: 'Open…' }).click();
    await page
      .getByTestId('workflows-dialog')
      .getByRole('button', { name: new RegExp(NAME) })
      .click();
    await expect(ui.nodes()).toHaveCount(6);
    await expect(ui.param('sdinpaint', 'prompt')).toHaveValue('a red fox\nsitting on grass');
    await ui.clickCanvasBackground();
    await ui.press('Control+Enter');
    const status = page.getByTestId('run-status');
    const end = Date.now() + 150_000;
    let final = '';
    while (Date.now() < end) {
      final = (await status.getAttribute('data-status').catch(() => null)) ?? '';
      if (['finished', 'failed', 'cancelled', 'interrupted'].includes(final)) break;
      await page.waitForTimeout(250);
    }
    await ui.screenshot(`run-${final}`);
    if (final !== 'finished') {
      const runId = await status.getAttribute('data-run-id');
      const rec = (await (await fetch(`${srv.url}/api/runs/${runId}`)).json()) as { error?: unknown };
      throw new Error(`the run ended ${final}: ${JSON.stringify(rec.error)}`);
    }
    for (const id of ['loadimage', 'groundingdino', 'sam', 'maskdilate', 'sdinpaint', 'saveimage']) {
      await expect(ui.status(id)).toHaveAttribute('data-status', 'done');
    }
    await expect(ui.node('saveimage').getByTestId('node-output-image')).toBeVisible();
  });

  it('shows what GroundingDINO found over its input image and in a list', async () => {
    const runId = await page.getByTestId('run-status').getAttribute('data-run-id');
    // The whole BOXES value, as the node.finished event carried it to the editor.
    const { events } = (await (await fetch(`${srv.url}/api/runs/${runId}/events?limit=1000`)).json()) as {
      events: RunEvent[];
    };
    const finished = events.find((e) => e.type === 'node.finished' && e.nodeId === 'groundingdino')!;
    const found = (finished.data as { outputs: { boxes: Detections } }).outputs.boxes;
    // The tiny detector finds a few boxes in the 256×192 scene (fewer than the list shows before "+k more").
    expect(found).toMatchObject({ width: 256, height: 192 });
    expect(found.boxes.length).toBeGreaterThanOrEqual(1);
    expect(found.boxes.length).toBeLessThanOrEqual(8);
    const detect = ui.node('groundingdino');
    const picture = detect.getByTestId('detections-picture');
    await expect(picture.locator('img')).toBeVisible();
    const boxes = picture.getByTestId('detection-box');
    const rows = detect.getByTestId('detection-row');
    await expect(boxes).toHaveCount(found.boxes.length);
    await expect(rows).toHaveCount(found.boxes.length);
    const img = (await picture.locator('img').boundingBox())!;
    const near = (got: number, want: number) => expect(Math.abs(got - want)).toBeLessThan(2);
    for (const [i, b] of found.boxes.entries()) {
      const box = boxes.nth(i);
      await expect(box.getByTestId('detection-tag')).toHaveText(`${b.label} ${b.score.toFixed(2)}`);
      // Where it is drawn: the box's share of the 256×192 image, on the picture as drawn (canvas zoom included).
      const drawn = (await box.boundingBox())!;
      near(drawn.x - img.x, (b.x1 / 256) * img.width);
      near(drawn.y - img.y, (b.y1 / 192) * img.height);
      near(drawn.width, ((b.x2 - b.x1) / 256) * img.width);
      near(drawn.height, ((b.y2 - b.y1) / 192) * img.height);
      await expect(rows.nth(i)).toContainText(b.label);
      await expect(rows.nth(i)).toContainText(b.score.toFixed(2));
      await expect(rows.nth(i)).toContainText(
        `${Math.round(b.x1)},${Math.round(b.y1)}–${Math.round(b.x2)},${Math.round(b.y2)}`,
      );
    }
    const shot = await ui.screenshot('detections');
    await detect.screenshot({ path: shot.replace(/\.png$/, '-node.png') });
  });

  it('shows the masks on their nodes and overlays the one SDInpaint was fed in the gallery', async () => {
    type Natural = { naturalWidth: number; naturalHeight: number; complete: boolean };
    for (const id of ['sam', 'maskdilate']) {
      const node = ui.node(id);
      // The label stays beside the picture: port, kind and the mask's own size (the 256×192 scene).
      await expect(node.locator('.mf-output-preview .mf-output-value').first()).toContainText('mask 256×192');
      const img = node.locator('[data-testid="node-output-preview"][data-kind="mask"]');
      await expect(img).toBeVisible();
      const [w, h] = await eventually(
        () =>
          img.evaluate((el) => {
            const i = el as unknown as Natural;
            return [i.naturalWidth, i.naturalHeight];
          }),
        ([nw]) => nw > 0,
      );
      // A real, decodable PNG of the mask, no bigger than 512 on its long side, the scene's shape.
      expect(Math.max(w, h)).toBeGreaterThan(0);
      expect(Math.max(w, h)).toBeLessThanOrEqual(512);
      expect(Math.abs(w / h - 256 / 192)).toBeLessThan(0.02);
      expect(await img.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
      expect(await img.getAttribute('draggable')).toBe('false');
    }
    // SAM's MASKS output (the union of its masks) gets one too.
    await expect(
      ui.node('sam').locator('[data-testid="node-output-preview"][data-kind="masks"]'),
    ).toBeVisible();
    await ui
      .node('sam')
      .screenshot({ path: (await ui.screenshot('mask-previews')).replace(/\.png$/, '-sam.png') });

    await ui.node('saveimage').getByTestId('node-output-image').click();
    await expect(page.getByTestId('before-after')).toBeVisible();
    await page.getByLabel('mask overlay').check();
    const caption = page.getByTestId('mask-caption');
    await expect(caption).toContainText('% of the image');
    await expect(caption).toContainText('mask: maskdilate.mask → sdinpaint');
    const overlay = page.getByTestId('mask-overlay');
    await expect(overlay).toHaveAttribute('data-mask', 'fed');
    // Painted at the preview's size, stretched over the result.
    const canvas = await overlay.evaluate((el) => {
      const c = el as unknown as { width: number; height: number };
      return [c.width, c.height];
    });
    const natural = await ui
      .node('maskdilate')
      .locator('[data-testid="node-output-preview"][data-kind="mask"]')
      .evaluate((el) => {
        const i = el as unknown as Natural;
        return [i.naturalWidth, i.naturalHeight];
      });
    expect(canvas).toEqual(natural);
    await ui.screenshot('gallery-mask-overlay');
  });

  it('had no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
