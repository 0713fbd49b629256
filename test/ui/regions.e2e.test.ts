/**
 * The region widgets in Debian's chromium against the real server: a user
 * uploads a picture into Load Image, connects it to Boxes to Mask and drags a
 * box on the picture with the mouse (no JSON typed):
 *
 *   loadimage ──image──► boxestomask ──mask──► masktoimage ──image──► saveimage
 *
 * The box is stored in the image's natural pixels (the picture is drawn
 * smaller than it is), survives a save, and the mask the run saves is exactly
 * that rectangle. Then Segment Anything's points: click and Shift+click on
 * the same picture. Screenshots: test-artifacts/ui/editor/regions-*.png.
 */
import sharp from 'sharp';
import type { Locator, Page } from 'playwright-core';
import { chromiumAvailable } from './support/chromium';
import type { EditorPage } from './support/editor-page';
import { openEditor } from './support/editor-session';
import type { EditorSession } from './support/editor-session';
import { eventually } from './support/locator-matchers';
import type { UiServer } from './support/ui-server';

jest.setTimeout(120_000);

const run = chromiumAvailable() ? describe : describe.skip;

const W = 480;
const H = 360;

/** A 480×360 picture (drawn about half size in the node): a gradient with a dark square. */
async function picture(): Promise<Buffer> {
  const px = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = (y * W + x) * 3;
      const dark = x >= 180 && x < 300 && y >= 120 && y < 240;
      px[i] = dark ? 25 : Math.round((x / W) * 200) + 40;
      px[i + 1] = dark ? 25 : Math.round((y / H) * 160) + 60;
      px[i + 2] = dark ? 35 : 170;
    }
  }
  return sharp(px, { raw: { width: W, height: H, channels: 3 } })
    .png()
    .toBuffer();
}

interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** The bounding box of the white pixels of a saved mask image (grey, 0/255). */
async function whiteBounds(png: Buffer): Promise<Box & { count: number; width: number; height: number }> {
  const { data, info } = await sharp(png).greyscale().raw().toBuffer({ resolveWithObject: true });
  let [x1, y1, x2, y2, count] = [Infinity, Infinity, -1, -1, 0];
  for (let y = 0; y < info.height; y++) {
    for (let x = 0; x < info.width; x++) {
      if (data[y * info.width + x] < 128) continue;
      count++;
      x1 = Math.min(x1, x);
      y1 = Math.min(y1, y);
      x2 = Math.max(x2, x + 1);
      y2 = Math.max(y2, y + 1);
    }
  }
  return { x1, y1, x2, y2, count, width: info.width, height: info.height };
}

run('drawing boxes and points on the picture in chromium', () => {
  let session: EditorSession;
  let srv: UiServer;
  let page: Page;
  let ui: EditorPage;
  let pageErrors: string[];
  let drawn: { x: number; y: number; width: number; height: number };
  let expected: Box;
  let savedBox: Box;

  const boxesFrame = () => ui.node('boxestomask').getByTestId('region-boxes');
  const boxesOnImage = () => boxesFrame().getByTestId('region-box');
  const imageBox = async (frame: Locator) => {
    const img = frame.locator('img');
    await eventually(
      () => img.evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth),
      (w) => w > 0,
    );
    const b = await img.boundingBox();
    if (!b) throw new Error('the picture is not drawn');
    return b;
  };

  beforeAll(async () => {
    session = await openEditor({ suite: 'editor', prefix: 'regions-', consoleErrors: true });
    ({ srv, page, ui, pageErrors } = session);
  }, 180_000);

  afterAll(() => session?.close());

  it('asks for an image, then shows the Load Image upload on Boxes to Mask', async () => {
    await ui.dragFromPalette('LoadImage', { x: 140, y: 50 });
    await ui.dragFromPalette('BoxesToMask', { x: 430, y: 50 });
    await ui.dragFromPalette('MaskToImage', { x: 720, y: 50 });
    await ui.dragFromPalette('SaveImage', { x: 720, y: 220 });
    // Not connected yet: a hint and the JSON editor.
    await expect(ui.node('boxestomask').getByTestId('region-hint')).toContainText('Connect a Load Image');
    await expect(ui.param('boxestomask', 'boxes')).toBeVisible();
    await ui.dragConnection(['loadimage', 'image'], ['boxestomask', 'image']);
    await ui.dragConnection(['boxestomask', 'mask'], ['masktoimage', 'mask']);
    await ui.dragConnection(['masktoimage', 'image'], ['saveimage', 'image']);
    await expect(ui.edges()).toHaveCount(3);
    await expect(ui.node('boxestomask').getByTestId('region-hint')).toContainText(
      'Upload an image in loadimage',
    );
    await ui
      .param('loadimage', 'image')
      .setInputFiles({ name: 'picture.png', mimeType: 'image/png', buffer: await picture() });
    await expect(boxesFrame()).toBeVisible();
    drawn = await imageBox(boxesFrame());
    // Drawn smaller than it is (scaled to the node's width): the widget must convert.
    expect(drawn.width).toBeLessThan(W * 0.7);
    expect(Math.abs(drawn.width / drawn.height - W / H)).toBeLessThan(0.02);
    await expect(ui.node('boxestomask').getByTestId('region-info')).toHaveText(`0 boxes on ${W}×${H}`);
  });

  it('drags a box on the picture: stored in natural pixels, the node does not move, undo works', async () => {
    const nodeBefore = await ui.node('boxestomask').boundingBox();
    const from = { x: drawn.x + drawn.width * 0.3, y: drawn.y + drawn.height * 0.25 };
    const to = { x: drawn.x + drawn.width * 0.72, y: drawn.y + drawn.height * 0.8 };
    const toNatural = (p: { x: number; y: number }) => ({
      x: Math.round(((p.x - drawn.x) * W) / drawn.width),
      y: Math.round(((p.y - drawn.y) * H) / drawn.height),
    });
    const [a, b] = [toNatural(from), toNatural(to)];
    expected = { x1: a.x, y1: a.y, x2: b.x, y2: b.y };

    const m = page.mouse;
    await m.move(from.x, from.y);
    await m.down();
    await m.move((from.x + to.x) / 2, (from.y + to.y) / 2, { steps: 6 });
    await m.move(to.x, to.y, { steps: 6 });
    await ui.screenshot('drawing-a-box');
    await m.up();
    await expect(boxesOnImage()).toHaveCount(1);
    // Neither the node nor the canvas moved while drawing.
    const nodeAfter = await ui.node('boxestomask').boundingBox();
    expect({ x: nodeAfter?.x, y: nodeAfter?.y }).toEqual({ x: nodeBefore?.x, y: nodeBefore?.y });
    expect(await boxesFrame().locator('img').boundingBox()).toEqual(drawn);

    // The box drawn over the picture covers the dragged rectangle.
    const shown = await boxesOnImage().boundingBox();
    expect(Math.abs(shown!.x - from.x)).toBeLessThan(2.5);
    expect(Math.abs(shown!.y + shown!.height - to.y)).toBeLessThan(2.5);

    // The JSON behind { } says the numbers: the drag in natural pixels (±1 for sub-pixel pointer positions).
    await ui.node('boxestomask').getByRole('button', { name: 'Edit boxes as JSON' }).click();
    const json = await ui.param('boxestomask', 'boxes').inputValue();
    const boxes = JSON.parse(json) as Box[];
    expect(boxes).toHaveLength(1);
    savedBox = boxes[0];
    for (const k of ['x1', 'y1', 'x2', 'y2'] as const) {
      expect(Number.isInteger(savedBox[k])).toBe(true);
      expect(Math.abs(savedBox[k] - expected[k])).toBeLessThanOrEqual(1);
    }
    await expect(page.getByTestId('dirty-marker')).toHaveText('● unsaved');

    // Ctrl+Z takes the box away and Ctrl+Shift+Z brings it back (focus is on the picture, not a field).
    await boxesFrame().focus();
    await ui.press('Control+z');
    await expect(boxesOnImage()).toHaveCount(0);
    await ui.press('Control+Shift+z');
    await expect(boxesOnImage()).toHaveCount(1);
    await ui.screenshot('box-drawn');
  });

  it('a second box, clipped at the edge, is removed with Delete (and the node stays)', async () => {
    // Wait out the editor's undo coalescing so the second box is its own step.
    await page.waitForTimeout(1600);
    const m = page.mouse;
    await m.move(drawn.x + drawn.width * 0.85, drawn.y + drawn.height * 0.1);
    await m.down();
    await m.move(drawn.x + drawn.width + 40, drawn.y - 30, { steps: 8 });
    await m.up();
    await expect(boxesOnImage()).toHaveCount(2);
    const boxesJson = async () => JSON.parse(await ui.param('boxestomask', 'boxes').inputValue()) as Box[];
    const json = await eventually(boxesJson, (v) => v.length === 2);
    expect(json).toHaveLength(2);
    expect(json[1].x2).toBe(W);
    expect(json[1].y1).toBe(0);
    await expect(ui.node('boxestomask').getByTestId('region-info')).toContainText('box 2:');
    await ui.press('Delete');
    await expect(boxesOnImage()).toHaveCount(1);
    await expect(ui.nodes()).toHaveCount(4);
    expect(await eventually(boxesJson, (v) => v.length === 1)).toEqual([savedBox]);
  });

  it('saves the drawn box and the run masks exactly that rectangle of the image', async () => {
    await page.getByLabel('Workflow name').fill('E2E drawn box');
    await ui.clickCanvasBackground();
    await ui.press('Control+s');
    await expect(ui.toast('Saved "E2E drawn box" (revision 1)')).toBeVisible();
    const id = decodeURIComponent(new URL(page.url()).hash.replace('#/workflow/', ''));
    const wf = (await (await fetch(`${srv.url}/api/workflows/${id}`)).json()) as {
      graph: { nodes: Array<{ id: string; params: Record<string, unknown> }> };
    };
    expect(wf.graph.nodes.find((n) => n.id === 'boxestomask')?.params.boxes).toEqual([savedBox]);

    await ui.press('Control+Enter');
    await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'finished', {
      timeout: 60_000,
    });
    await expect(ui.node('saveimage').getByTestId('node-output-image')).toBeVisible();
    const runId = await page.getByTestId('run-status').getAttribute('data-run-id');
    const rec = (await (await fetch(`${srv.url}/api/runs/${runId}`)).json()) as {
      outputs: Record<string, Record<string, { kind?: string; id?: string }>>;
    };
    const art = Object.values(rec.outputs.saveimage ?? {}).find((v) => v?.kind === 'artifact');
    expect(art?.id).toMatch(/^[0-9a-f]{64}$/);
    const png = Buffer.from(await (await fetch(`${srv.url}/api/artifacts/${art!.id}`)).arrayBuffer());
    const mask = await whiteBounds(png);
    expect({ width: mask.width, height: mask.height }).toEqual({ width: W, height: H });
    // The mask is the stored box, pixel for pixel (x2, y2 exclusive)…
    expect({ x1: mask.x1, y1: mask.y1, x2: mask.x2, y2: mask.y2 }).toEqual(savedBox);
    expect(mask.count).toBe((savedBox.x2 - savedBox.x1) * (savedBox.y2 - savedBox.y1));
    // …and the stored box is the dragged rectangle in image pixels.
    for (const k of ['x1', 'y1', 'x2', 'y2'] as const)
      expect(Math.abs(mask[k] - expected[k])).toBeLessThanOrEqual(1);
    await ui.screenshot('box-run-finished');
  });

  it('Segment Anything: click adds a positive point, Shift+click a negative one, click removes', async () => {
    await ui.dragFromPalette('SAM', { x: 430, y: 470 });
    await ui.dragConnection(['loadimage', 'image'], ['sam', 'image']);
    const frame = ui.node('sam').getByTestId('region-points');
    await expect(frame).toBeVisible();
    const img = await imageBox(frame);
    const at = (fx: number, fy: number) => ({ x: img.x + img.width * fx, y: img.y + img.height * fy });
    const pos = at(0.5, 0.5);
    const neg = at(0.15, 0.2);
    await page.mouse.click(pos.x, pos.y);
    await page.keyboard.down('Shift');
    await page.mouse.click(neg.x, neg.y);
    await page.keyboard.up('Shift');
    const dots = frame.getByTestId('region-point');
    await expect(dots).toHaveCount(2);
    await expect(dots.nth(0)).toHaveAttribute('data-label', '1');
    await expect(dots.nth(1)).toHaveAttribute('data-label', '0');
    type Styles = { getComputedStyle(el: unknown): { backgroundColor: string } };
    const colour = (i: number) =>
      dots.nth(i).evaluate((el) => (globalThis as unknown as Styles).getComputedStyle(el).backgroundColor);
    expect(await colour(0)).toBe('rgb(34, 177, 76)');
    expect(await colour(1)).toBe('rgb(224, 49, 49)');
    // Shift+click did not start a box selection on the canvas, nor select other nodes.
    await expect(page.locator('.react-flow__nodesselection-rect')).toHaveCount(0);
    await expect(ui.node('sam').getByTestId('region-info')).toHaveText('2 points (1 +, 1 −)');
    await ui.node('sam').getByRole('button', { name: 'Edit points as JSON' }).click();
    const points = JSON.parse(await ui.param('sam', 'points').inputValue()) as Array<{
      x: number;
      y: number;
      label: number;
    }>;
    const px = (p: { x: number; y: number }) => ({
      x: Math.floor(((p.x - img.x) * W) / img.width),
      y: Math.floor(((p.y - img.y) * H) / img.height),
    });
    expect(points.map((p) => p.label)).toEqual([1, 0]);
    for (const [i, p] of [pos, neg].entries()) {
      expect(Math.abs(points[i].x - px(p).x)).toBeLessThanOrEqual(1);
      expect(Math.abs(points[i].y - px(p).y)).toBeLessThanOrEqual(1);
    }
    await ui.screenshot('points');
    await dots.nth(0).click();
    await expect(dots).toHaveCount(1);
    await expect(dots.nth(0)).toHaveAttribute('data-label', '0');
  });

  it('had no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
