import { UserError } from '@maskflow/workflow';
import { imageValue, maskValue } from '../../contract';
import type { ImageValue, MaskValue } from '../../contract';
import { createTestContext, sharedFixture } from '../../../../../test/helpers/node-context';
import { LoadImageNode } from './load-image.node';
import { MaskFillNode } from './mask-fill.node';

const W = 96;
const H = 80;

/** A smooth linear gradient: what the fill should reconstruct. */
function gradient(channels: 3 | 4 = 3): ImageValue {
  const img = imageValue(W, H, channels, new Uint8Array(W * H * channels));
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const p = (y * W + x) * channels;
      img.data.set([40 + 2 * x, 30 + 2 * y, 60 + x + y], p);
      if (channels === 4) img.data[p + 3] = (x * 7 + y * 3) % 256;
    }
  }
  return img;
}

/** The gradient with a red object pasted into a square: the thing to remove. */
function withObject(img: ImageValue, x0: number, y0: number, x1: number, y1: number): ImageValue {
  const out = imageValue(img.width, img.height, img.channels, Uint8Array.from(img.data));
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) out.data.set([255, 0, 0], (y * img.width + x) * img.channels);
  }
  return out;
}

function rectMask(
  width: number,
  height: number,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  value = 255,
): MaskValue {
  const m = maskValue(width, height);
  for (let y = y0; y < y1; y++) m.data.fill(value, y * width + x0, y * width + x1);
  return m;
}

async function fill(image: ImageValue, mask: MaskValue, params: Record<string, unknown>) {
  const ctx = createTestContext();
  const out = await MaskFillNode.execute({
    inputs: { image, mask },
    params: MaskFillNode.params.parse(params),
    ctx,
  });
  return { image: out.image, ctx };
}

/** Mean absolute RGB difference between a and b over the pixels where `where` is set. */
function meanError(a: ImageValue, b: ImageValue, where: MaskValue): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < where.data.length; i++) {
    if (!where.data[i]) continue;
    for (let c = 0; c < 3; c++) sum += Math.abs(a.data[i * a.channels + c] - b.data[i * b.channels + c]);
    n += 3;
  }
  return sum / n;
}

/** Largest absolute RGB difference between a and b where `where` is set. */
function worstError(a: ImageValue, b: ImageValue, where: MaskValue): number {
  let max = 0;
  for (let i = 0; i < where.data.length; i++) {
    if (!where.data[i]) continue;
    for (let c = 0; c < 3; c++)
      max = Math.max(max, Math.abs(a.data[i * a.channels + c] - b.data[i * b.channels + c]));
  }
  return max;
}

/** Pixels (indices) where the mask is 0 but the bytes changed: must always be empty. */
function changedOutsideMask(before: ImageValue, after: ImageValue, mask: MaskValue): number[] {
  const bad: number[] = [];
  const ch = before.channels;
  for (let i = 0; i < mask.data.length; i++) {
    if (mask.data[i] !== 0) continue;
    for (let c = 0; c < ch; c++) {
      if (before.data[i * ch + c] !== after.data[i * ch + c]) {
        bad.push(i);
        break;
      }
    }
  }
  return bad;
}

describe('MaskFill', () => {
  const truth = gradient();
  const damaged = withObject(truth, 34, 26, 62, 54);
  const hole = rectMask(W, H, 32, 24, 64, 56);
  const before = meanError(damaged, truth, hole);

  // Telea and Navier–Stokes do not extrapolate a steep (2 levels/pixel) gradient exactly; ~6 is their norm here.
  it.each([
    ['telea', 8],
    ['ns', 8],
    ['blur', 6],
  ] as const)('%s fills a square hole in a gradient close to the true gradient', async (method, limit) => {
    const { image } = await fill(damaged, hole, { method });
    const after = meanError(image, truth, hole);
    expect(before).toBeGreaterThan(60);
    expect(after).toBeLessThan(limit);
    // No stray red left from the object anywhere in the hole.
    expect(worstError(image, truth, hole)).toBeLessThan(40);
    expect(changedOutsideMask(damaged, image, hole)).toEqual([]);
  });

  it('telea and ns are different algorithms', async () => {
    const { image: telea } = await fill(damaged, hole, { method: 'telea' });
    const { image: ns } = await fill(damaged, hole, { method: 'ns' });
    expect(Buffer.from(telea.data).equals(Buffer.from(ns.data))).toBe(false);
  });

  it('leaves the process-wide error handlers as they were after loading OpenCV', async () => {
    const counts = () => [
      process.listenerCount('unhandledRejection'),
      process.listenerCount('uncaughtException'),
    ];
    const before = counts();
    // A fresh module registry, so OpenCV really loads inside this test whatever ran before.
    await jest.isolateModulesAsync(async () => {
      const { MaskFillNode: fresh } = await import('./mask-fill.node');
      const params = fresh.params.parse({ method: 'telea' });
      await fresh.execute({ inputs: { image: damaged, mask: hole }, params, ctx: createTestContext() });
    });
    expect(counts()).toEqual(before);
  });

  it('color fills the hole with the colour', async () => {
    const { image } = await fill(damaged, hole, { method: 'color', color: '#123456' });
    const p = (40 * W + 48) * 3;
    expect([...image.data.subarray(p, p + 3)]).toEqual([0x12, 0x34, 0x56]);
    expect(changedOutsideMask(damaged, image, hole)).toEqual([]);
  });

  it.each(['telea', 'ns', 'blur', 'color'] as const)(
    '%s blends through a soft mask, keeps alpha and leaves mask-0 pixels byte-identical',
    async (method) => {
      const rgba = withObject(gradient(4), 34, 26, 62, 54);
      // Core 255, a ring of 200 (filled, then blended) and an outer ring of 60 (below the fill threshold).
      const mask = rectMask(W, H, 26, 18, 70, 62, 60);
      for (let y = 22; y < 58; y++) mask.data.fill(200, y * W + 30, y * W + 66);
      for (let y = 24; y < 56; y++) mask.data.fill(255, y * W + 32, y * W + 64);

      const { image } = await fill(rgba, mask, { method });
      expect(image.channels).toBe(4);
      expect(changedOutsideMask(rgba, image, mask)).toEqual([]);
      for (let i = 3; i < image.data.length; i += 4) {
        if (image.data[i] !== rgba.data[i]) throw new Error(`alpha changed at pixel ${(i - 3) / 4}`);
      }
      // Below 128 nothing is filled, so nothing is blended either: the whole outer ring is unchanged.
      const below = maskValue(
        W,
        H,
        mask.data.map((v) => (v < 128 ? 0 : 255)),
      );
      expect(changedOutsideMask(rgba, image, below)).toEqual([]);
      // The object is gone.
      const centre = (40 * W + 48) * 4;
      expect(image.data[centre + 1]).toBeGreaterThan(50);
    },
  );

  it('blends a soft value ≥ 128 as input + (fill − input) · m / 255', async () => {
    const img = withObject(truth, 40, 30, 56, 50);
    const hard = rectMask(W, H, 38, 28, 58, 52);
    const soft = rectMask(W, H, 38, 28, 58, 52, 153);
    const { image: full } = await fill(img, hard, { method: 'color', color: '#000000' });
    const { image: blended } = await fill(img, soft, { method: 'color', color: '#000000' });
    const p = (40 * W + 45) * 3;
    // Red 255 towards black at 0.6: 255 − 153 = 102.
    expect(full.data[p]).toBe(0);
    expect(blended.data[p]).toBe(102);
  });

  it('returns the input unchanged, with a warning, when nothing reaches the threshold', async () => {
    const faint = rectMask(W, H, 10, 10, 20, 20, 100);
    const { image, ctx } = await fill(damaged, faint, { method: 'telea' });
    expect(Buffer.from(image.data).equals(Buffer.from(damaged.data))).toBe(true);
    expect(ctx.warnings.join()).toMatch(/selects nothing/);
  });

  it('falls back to the colour, with a warning, when the mask covers everything', async () => {
    const all = rectMask(W, H, 0, 0, W, H);
    const { image, ctx } = await fill(damaged, all, { method: 'blur', color: '#808080' });
    expect(new Set(image.data)).toEqual(new Set([0x80]));
    expect(ctx.warnings.join()).toMatch(/nothing to fill from/);
  });

  it('refuses a mask of another size, naming the mask', async () => {
    const err: unknown = await fill(damaged, maskValue(10, 10), {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).field).toBe('mask');
  });

  describe('on a real photo', () => {
    const truck = sharedFixture('images', 'truck.jpg');
    if (!truck) console.warn('MaskFill: ../shared/fixtures/images is absent; skipping the real-photo tests');
    const withPhoto = truck ? it : it.skip;
    let photo: ImageValue | undefined;
    const load = async (): Promise<ImageValue> => {
      photo ??= (
        await LoadImageNode.execute({
          inputs: {},
          params: LoadImageNode.params.parse({ image: truck! }),
          ctx: createTestContext(),
        })
      ).image;
      return photo;
    };

    withPhoto.each(['telea', 'ns', 'blur'] as const)(
      '%s fills a 160×120 hole in truck.jpg from its surroundings, touching nothing else',
      async (method) => {
        const image = await load();
        const mask = rectMask(image.width, image.height, 820, 540, 980, 660);
        // Paint the hole white so "filled from the surroundings" is measurable.
        const painted = imageValue(image.width, image.height, 3, Uint8Array.from(image.data));
        for (let i = 0; i < mask.data.length; i++) if (mask.data[i]) painted.data.fill(255, i * 3, i * 3 + 3);

        const { image: out } = await fill(painted, mask, { method });
        expect(changedOutsideMask(painted, out, mask)).toEqual([]);
        // Closer to the original photo than the white paint was.
        expect(meanError(out, image, mask)).toBeLessThan(meanError(painted, image, mask) / 2);
      },
    );
  });
});
