/**
 * The mask painter in Debian's chromium against the real server: a user
 * uploads a picture into Load Image, opens "Paint mask", drags a stroke with
 * the mouse and saves; the run shows Load Image's mask output:
 *
 *   loadimage ──mask──► masktoimage ──image──► saveimage
 *
 * The saved mask is a band around the dragged path in the image's natural
 * pixels (the picture is drawn at another size), the new upload keeps the
 * picture's RGB exactly, and reopening the painter starts from the stroke,
 * which the eraser then shortens. Screenshots:
 * test-artifacts/ui/editor/mask-painter-*.png.
 */
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { chromiumAvailable } from './support/chromium';
import type { EditorPage } from './support/editor-page';
import { openEditor } from './support/editor-session';
import type { EditorSession } from './support/editor-session';
import type { Point } from './support/editor-page';
import { eventually } from './support/locator-matchers';
import type { UiServer } from './support/ui-server';

jest.setTimeout(120_000);

const run = chromiumAvailable() ? describe : describe.skip;

const W = 480;
const H = 360;

/** The picture's RGB: a gradient with a dark square, distinct enough per pixel to notice any change. */
function pictureRgb(): Buffer {
  const px = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = (y * W + x) * 3;
      const dark = x >= 180 && x < 300 && y >= 120 && y < 240;
      px[i] = dark ? 25 : Math.round((x / W) * 200) + 40;
      px[i + 1] = dark ? 25 : Math.round((y / H) * 160) + 60;
      px[i + 2] = (x * 7 + y * 3) % 256;
    }
  }
  return px;
}

/** Distance from a point to the segment a–b. */
function toSegment(px: number, py: number, a: Point, b: Point): number {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len2 = dx * dx + dy * dy;
  const t = len2 > 0 ? Math.min(1, Math.max(0, ((px - a.x) * dx + (py - a.y) * dy) / len2)) : 0;
  return Math.hypot(a.x + t * dx - px, a.y + t * dy - py);
}

interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Where the picture is drawn in a box by object-fit: contain. */
function contained(box: Rect): Rect {
  const s = Math.min(box.width / W, box.height / H);
  return {
    x: box.x + (box.width - W * s) / 2,
    y: box.y + (box.height - H * s) / 2,
    width: W * s,
    height: H * s,
  };
}

/** Grey pixels (one byte each) of a PNG. */
async function grey(png: Buffer): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(png).greyscale().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** Pixels of `mask` that break "white within `inner` of the path, black beyond `outer`", described. */
function bandErrors(mask: Buffer, path: [Point, Point], inner: number, outer: number): string[] {
  const errors: string[] = [];
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const d = toSegment(x + 0.5, y + 0.5, ...path);
      const v = mask[y * W + x];
      if (d <= inner && v < 128) errors.push(`(${x},${y}) at ${d.toFixed(1)} is black`);
      if (d > outer && v >= 128) errors.push(`(${x},${y}) at ${d.toFixed(1)} is white`);
    }
  }
  return errors;
}

const count = (mask: Buffer) => mask.filter((v) => v >= 128).length;

run('painting a mask on Load Image in chromium', () => {
  let session: EditorSession;
  let srv: UiServer;
  let page: Page;
  let ui: EditorPage;
  let pageErrors: string[];
  const rgb = pictureRgb();
  let uploadedId: string;
  let maskedId: string;
  let stroke: [Point, Point];
  let firstMask: Buffer;
  const BRUSH = 30;

  const dialog = () => page.getByRole('dialog', { name: 'Mask painter' });
  const thumbId = async () => {
    const src = (await ui.node('loadimage').locator('img.mf-image-thumb').getAttribute('src')) ?? '';
    return /\/api\/artifacts\/([0-9a-f]{64})\//.exec(src)?.[1] ?? '';
  };

  /** Opens the painter and waits for the picture (its size shows once the mask is read). */
  const openPainter = async () => {
    await ui.node('loadimage').getByRole('button', { name: 'Paint mask' }).click();
    await expect(dialog()).toBeVisible();
    await expect(dialog().getByTestId('painter-info')).toContainText(`${W}×${H}`);
  };

  /** The picture as drawn in the dialog, and a mapping of screen positions to natural pixels. */
  const drawn = async () => {
    const box = await dialog().getByTestId('mask-canvas').boundingBox();
    if (!box) throw new Error('the mask canvas is not drawn');
    const r = contained(box);
    return {
      ...r,
      at: (fx: number, fy: number): Point => ({ x: r.x + r.width * fx, y: r.y + r.height * fy }),
      toNatural: (p: Point): Point => ({ x: ((p.x - r.x) * W) / r.width, y: ((p.y - r.y) * H) / r.height }),
    };
  };

  /** A canvas's pixels in the painter, one byte of each pixel (`channel` 0…3) per character. */
  const canvasBytes = async (testId: string, channels: number[]) => {
    const text = await dialog()
      .getByTestId(testId)
      .evaluate((el, wanted) => {
        type Canvas = {
          width: number;
          height: number;
          getContext(k: '2d'): {
            getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> };
          };
        };
        const c = el as unknown as Canvas;
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        // A string crosses to the test far faster than an array of numbers.
        let s = '';
        for (let i = 0; i < d.length; i += 4) for (const k of wanted) s += String.fromCharCode(d[i + k]);
        return s;
      }, channels);
    return Buffer.from(text, 'latin1');
  };
  /** The mask the painter shows (the overlay's alpha), one byte per natural pixel. */
  const shownMask = () => canvasBytes('mask-canvas', [3]);
  /** The picture the painter shows under the mask, RGB. */
  const shownPicture = () => canvasBytes('mask-picture', [0, 1, 2]);

  /** Sets the brush with the slider's arrow keys, like a keyboard user. */
  const setBrush = async (size: number) => {
    const slider = dialog().getByLabel('Brush size');
    const now = Number(await slider.inputValue());
    await slider.focus();
    for (let i = 0; i < Math.abs(size - now); i++) await ui.press(size > now ? 'ArrowRight' : 'ArrowLeft');
    await expect(slider).toHaveValue(String(size));
    await expect(dialog().locator('output')).toHaveText(`${size} px`);
  };

  /** Runs the graph and returns the mask SaveImage wrote (grey, natural size). */
  const runMask = async () => {
    await ui.clickCanvasBackground();
    const status = page.getByTestId('run-status');
    // No run yet: no status to read.
    const before = (await status.count()) ? await status.getAttribute('data-run-id') : null;
    await ui.press('Control+Enter');
    const runId = await eventually(
      () => status.getAttribute('data-run-id'),
      (id) => !!id && id !== before,
    );
    await expect(status).toHaveAttribute('data-status', 'finished', { timeout: 60_000 });
    const rec = (await (await fetch(`${srv.url}/api/runs/${runId}`)).json()) as {
      outputs: Record<string, Record<string, { kind?: string; id?: string }>>;
    };
    const art = Object.values(rec.outputs.saveimage ?? {}).find((v) => v?.kind === 'artifact');
    expect(art?.id).toMatch(/^[0-9a-f]{64}$/);
    const mask = await grey(
      Buffer.from(await (await fetch(`${srv.url}/api/artifacts/${art!.id}`)).arrayBuffer()),
    );
    expect({ width: mask.width, height: mask.height }).toEqual({ width: W, height: H });
    return mask.data;
  };

  beforeAll(async () => {
    session = await openEditor({ suite: 'editor', prefix: 'mask-painter-', consoleErrors: true });
    ({ srv, page, ui, pageErrors } = session);
  }, 180_000);

  afterAll(() => session?.close());

  it('offers "Paint mask" once Load Image has an upload', async () => {
    await ui.dragFromPalette('LoadImage', { x: 140, y: 50 });
    await ui.dragFromPalette('MaskToImage', { x: 430, y: 50 });
    await ui.dragFromPalette('SaveImage', { x: 720, y: 50 });
    await ui.dragConnection(['loadimage', 'mask'], ['masktoimage', 'mask']);
    await ui.dragConnection(['masktoimage', 'image'], ['saveimage', 'image']);
    await expect(ui.edges()).toHaveCount(2);
    await expect(ui.node('loadimage').getByRole('button', { name: 'Paint mask' })).toHaveCount(0);
    const png = await sharp(rgb, { raw: { width: W, height: H, channels: 3 } })
      .png()
      .toBuffer();
    await ui
      .param('loadimage', 'image')
      .setInputFiles({ name: 'picture.png', mimeType: 'image/png', buffer: png });
    await expect(ui.node('loadimage').getByRole('button', { name: 'Paint mask' })).toBeVisible();
    uploadedId = await eventually(thumbId, (id) => id.length === 64);
  });

  it('paints a fast stroke across the middle without moving the canvas, and saves it as a new upload', async () => {
    const nodeBefore = await ui.node('loadimage').boundingBox();
    const viewport = () => page.locator('.react-flow__viewport').getAttribute('style');
    const viewBefore = await viewport();
    await openPainter();
    await ui.screenshot('painter-open');
    // An image without alpha starts unmasked.
    expect(count(await shownMask())).toBe(0);
    await setBrush(BRUSH);

    const pic = await drawn();
    // Drawn at another size than it is: the painter must convert.
    expect(Math.abs(pic.width - W)).toBeGreaterThan(20);
    const from = pic.at(0.15, 0.5);
    const to = pic.at(0.85, 0.5);
    stroke = [pic.toNatural(from), pic.toNatural(to)];
    const m = page.mouse;
    await m.move(from.x, from.y);
    await m.down();
    // Four pointer events over ~330 image pixels: only interpolation makes it one band.
    await m.move(to.x, to.y, { steps: 4 });
    await ui.screenshot('painting-a-stroke');
    await m.up();
    const shown = await shownMask();
    expect(bandErrors(shown, stroke, BRUSH / 2 - 1, BRUSH / 2 + 2).slice(0, 5)).toEqual([]);

    // Nothing behind the dialog moved.
    expect(await ui.node('loadimage').boundingBox()).toEqual(nodeBefore);
    expect(await viewport()).toBe(viewBefore);

    await dialog().getByRole('button', { name: 'Save mask' }).click();
    await expect(dialog()).toHaveCount(0);
    maskedId = await eventually(thumbId, (id) => id.length === 64 && id !== uploadedId);
    await expect(page.getByTestId('dirty-marker')).toHaveText('● unsaved');
    await ui.screenshot('mask-saved');
  });

  it('the run masks a band around the stroke, and the new upload keeps the picture’s RGB', async () => {
    firstMask = await runMask();
    // Every pixel within radius − 1 of the path is masked, none beyond radius + 2.
    expect(bandErrors(firstMask, stroke, BRUSH / 2 - 1, BRUSH / 2 + 2).slice(0, 5)).toEqual([]);
    // About the area of a 30 px wide band as long as the stroke (plus its round ends).
    const length = Math.hypot(stroke[1].x - stroke[0].x, stroke[1].y - stroke[0].y);
    const area = length * BRUSH + Math.PI * (BRUSH / 2) ** 2;
    expect(Math.abs(count(firstMask) - area) / area).toBeLessThan(0.05);

    const bytes = Buffer.from(await (await fetch(`${srv.url}/api/artifacts/${maskedId}`)).arrayBuffer());
    const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
    expect({ width: info.width, height: info.height, channels: info.channels }).toEqual({
      width: W,
      height: H,
      channels: 4,
    });
    let rgbDiffs = 0;
    let alphaDiffs = 0;
    for (let i = 0; i < W * H; i++) {
      if (
        data[i * 4] !== rgb[i * 3] ||
        data[i * 4 + 1] !== rgb[i * 3 + 1] ||
        data[i * 4 + 2] !== rgb[i * 3 + 2]
      )
        rgbDiffs++;
      // Painted = transparent: alpha is 255 − the mask Load Image reads back.
      if (data[i * 4 + 3] !== 255 - firstMask[i]) alphaDiffs++;
    }
    expect({ rgbDiffs, alphaDiffs }).toEqual({ rgbDiffs: 0, alphaDiffs: 0 });
    await ui.screenshot('first-run');
  });

  it('reopens on the stroke; erasing its right part (undoable in the painter) shortens the mask', async () => {
    await openPainter();
    // It starts from the saved mask, pixel for pixel…
    const shown = await shownMask();
    expect(shown.equals(firstMask)).toBe(true);
    // …over the whole picture, also where the mask made it transparent.
    expect((await shownPicture()).equals(rgb)).toBe(true);

    // A bigger eraser, with the right button, along the stroke from 60 % of the picture to past its end.
    await setBrush(BRUSH + 16);
    const pic = await drawn();
    const from = pic.at(0.6, 0.5);
    const to = pic.at(0.97, 0.5);
    const erased: [Point, Point] = [pic.toNatural(from), pic.toNatural(to)];
    const m = page.mouse;
    await m.move(from.x, from.y);
    await m.down({ button: 'right' });
    await m.move(to.x, to.y, { steps: 5 });
    await m.up({ button: 'right' });
    const after = await shownMask();
    expect(count(after)).toBeLessThan(count(shown));
    await ui.screenshot('erased');

    // Ctrl+Z takes the erasing back, in the painter only; Ctrl+Shift+Z does it again.
    await dialog().focus();
    await ui.press('Control+z');
    expect(count(await shownMask())).toBe(count(shown));
    await ui.press('Control+Shift+z');
    expect(count(await shownMask())).toBe(count(after));
    await expect(ui.nodes()).toHaveCount(3);
    expect(await thumbId()).toBe(maskedId);

    await dialog().getByRole('button', { name: 'Save mask' }).click();
    await expect(dialog()).toHaveCount(0);
    const second = await eventually(thumbId, (id) => id.length === 64 && id !== maskedId);

    const mask = await runMask();
    expect(count(mask)).toBeLessThan(count(firstMask) * 0.75);
    const R = (BRUSH + 16) / 2;
    const wrong: string[] = [];
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const i = y * W + x;
        const d = toSegment(x + 0.5, y + 0.5, ...erased);
        // Erased where the eraser went, as before where it did not reach, nothing new anywhere.
        if (d <= R - 1 && mask[i] >= 128) wrong.push(`(${x},${y}) under the eraser is white`);
        if (d > R + 2 && mask[i] !== firstMask[i]) wrong.push(`(${x},${y}) away from the eraser changed`);
        if (firstMask[i] < 128 && mask[i] >= 128) wrong.push(`(${x},${y}) was not painted and is white`);
      }
    }
    expect(wrong.slice(0, 5)).toEqual([]);
    await ui.screenshot('second-run');

    // Saving was one change in the editor's history: Ctrl+Z there brings the first mask back.
    await ui.clickCanvasBackground();
    await ui.press('Control+z');
    await eventually(thumbId, (id) => id === maskedId);
    await ui.press('Control+Shift+z');
    await eventually(thumbId, (id) => id === second);
  });

  it('Escape closes the painter without a change', async () => {
    const before = await thumbId();
    await openPainter();
    const pic = await drawn();
    await page.mouse.move(pic.at(0.1, 0.1).x, pic.at(0.1, 0.1).y);
    await page.mouse.down();
    await page.mouse.move(pic.at(0.3, 0.3).x, pic.at(0.3, 0.3).y, { steps: 3 });
    await page.mouse.up();
    // The editor behind is inert: Tab stays in the painter, and its Ctrl+Z/Delete cannot reach the graph.
    type Doc = { document: { activeElement: unknown } };
    for (let i = 0; i < 25; i++) await ui.press('Tab');
    const inside = await dialog().evaluate((el: unknown) =>
      (el as { contains(n: unknown): boolean }).contains(
        (globalThis as unknown as Doc).document.activeElement,
      ),
    );
    expect(inside).toBe(true);
    await ui.press('Escape');
    await expect(dialog()).toHaveCount(0);
    expect(await thumbId()).toBe(before);
    // Focus is back on the button that opened it.
    const focused = await ui
      .node('loadimage')
      .getByRole('button', { name: 'Paint mask' })
      .evaluate((el) => el === (globalThis as unknown as Doc).document.activeElement);
    expect(focused).toBe(true);
  });

  it('a JPEG upload (no alpha) opens unmasked, the photo under an empty mask', async () => {
    const jpeg = await sharp(rgb, { raw: { width: W, height: H, channels: 3 } })
      .jpeg({ quality: 90 })
      .toBuffer();
    const before = await thumbId();
    await ui
      .param('loadimage', 'image')
      .setInputFiles({ name: 'photo.jpg', mimeType: 'image/jpeg', buffer: jpeg });
    await eventually(thumbId, (id) => id.length === 64 && id !== before);
    await openPainter();
    expect(count(await shownMask())).toBe(0);
    // The decoded picture is the photo, within JPEG's loss.
    const shown = await shownPicture();
    let off = 0;
    for (let i = 0; i < shown.length; i++) off += Math.abs(shown[i] - rgb[i]);
    expect(off / shown.length).toBeLessThan(8);
    await expect(dialog().getByRole('button', { name: 'Save mask' })).toHaveAttribute('disabled', '');
    await ui.press('Escape');
    await expect(dialog()).toHaveCount(0);
  });

  it('had no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
