import { UserError } from '@maskflow/workflow';
import { imageValue, maskValue } from '../../contract';
import type { ImageValue, MaskValue } from '../../contract';
import { createTestContext, sharedFixture } from '../../../../../test/helpers/node-context';
import { CompositeNode } from './composite.node';
import { LoadImageNode } from './load-image.node';

function noise(width: number, height: number, channels: 3 | 4, seed: number): ImageValue {
  const data = new Uint8Array(width * height * channels);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    data[i] = s >>> 24;
  }
  return imageValue(width, height, channels, data);
}

/** A soft disc: 255 inside, a ramp over `feather` pixels, 0 outside. */
function disc(width: number, height: number, cx: number, cy: number, r: number, feather: number): MaskValue {
  const m = maskValue(width, height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const d = Math.hypot(x - cx, y - cy);
      m.data[y * width + x] = d <= r ? 255 : d >= r + feather ? 0 : Math.round(255 * (1 - (d - r) / feather));
    }
  }
  return m;
}

async function composite(
  base: ImageValue,
  overlay: ImageValue,
  mask: MaskValue,
  params: Record<string, unknown> = {},
) {
  const ctx = createTestContext();
  const { image } = await CompositeNode.execute({
    inputs: { base, overlay, mask },
    params: CompositeNode.params.parse(params),
    ctx,
  });
  return { image, ctx };
}

/** Indices of pixels whose bytes differ between a and b (same size and channels). */
function changedPixels(a: ImageValue, b: ImageValue): Set<number> {
  const changed = new Set<number>();
  for (let i = 0; i < a.data.length; i++)
    if (a.data[i] !== b.data[i]) changed.add(Math.floor(i / a.channels));
  return changed;
}

describe('Composite', () => {
  const w = 64;
  const h = 48;
  const base = noise(w, h, 3, 1);
  const overlay = noise(w, h, 3, 2);
  const mask = disc(w, h, 30, 20, 10, 6);

  it('keeps the base byte for byte where the mask is 0 and takes the overlay where it is 255', async () => {
    const { image } = await composite(base, overlay, mask);
    expect([image.width, image.height, image.channels]).toEqual([w, h, 3]);
    const wrong: number[] = [];
    for (let i = 0; i < w * h; i++) {
      const px = image.data.subarray(i * 3, i * 3 + 3).join();
      if (mask.data[i] === 0 && px !== base.data.subarray(i * 3, i * 3 + 3).join()) wrong.push(i);
      if (mask.data[i] === 255 && px !== overlay.data.subarray(i * 3, i * 3 + 3).join()) wrong.push(i);
    }
    expect(wrong).toEqual([]);
    // And the mask really selected something, so the loop above tested both cases.
    expect(changedPixels(image, base).size).toBeGreaterThan(300);
  });

  it('blends soft mask values linearly', async () => {
    const b = imageValue(1, 1, 3, new Uint8Array([0, 100, 255]));
    const o = imageValue(1, 1, 3, new Uint8Array([255, 100, 0]));
    const { image } = await composite(b, o, maskValue(1, 1, new Uint8Array([51])));
    // t = 0.2
    expect([...image.data]).toEqual([51, 100, 204]);
  });

  it('shows an RGBA overlay only where it is opaque, and makes the base opaque where it lands', async () => {
    const b = imageValue(2, 1, 4, new Uint8Array([10, 10, 10, 0, 10, 10, 10, 0]));
    const o = imageValue(2, 1, 4, new Uint8Array([200, 200, 200, 0, 200, 200, 200, 255]));
    const { image } = await composite(b, o, maskValue(2, 1, new Uint8Array([255, 255])));
    expect(image.channels).toBe(4);
    expect([...image.data]).toEqual([10, 10, 10, 0, 200, 200, 200, 255]);
  });

  it('stretches a smaller overlay and mask to the base by default (e.g. a 512² inpainting)', async () => {
    const smallOverlay = imageValue(32, 24, 3, new Uint8Array(32 * 24 * 3).fill(200));
    const smallMask = maskValue(32, 24);
    // Select the right half.
    for (let y = 0; y < 24; y++) smallMask.data.fill(255, y * 32 + 16, y * 32 + 32);
    const { image } = await composite(base, smallOverlay, smallMask);
    expect([image.width, image.height]).toEqual([w, h]);
    const left = (10 * w + 5) * 3;
    const right = (10 * w + 50) * 3;
    expect([...image.data.subarray(left, left + 3)]).toEqual([...base.data.subarray(left, left + 3)]);
    expect([...image.data.subarray(right, right + 3)]).toEqual([200, 200, 200]);
  });

  it('warns when a resized overlay has another aspect ratio', async () => {
    const { ctx } = await composite(base, noise(32, 32, 3, 3), maskValue(w, h));
    expect(ctx.warnings.join()).toMatch(/aspect ratio/);
  });

  it('with resizeOverlay off, refuses a size mismatch naming the input', async () => {
    const run = (o: ImageValue, m: MaskValue) =>
      composite(base, o, m, { resizeOverlay: false }).catch((e: unknown) => e);
    const e1 = await run(noise(32, 24, 3, 3), mask);
    expect(e1).toBeInstanceOf(UserError);
    expect((e1 as UserError).field).toBe('overlay');
    const e2 = await run(overlay, maskValue(32, 24));
    expect((e2 as UserError).field).toBe('mask');
  });

  const truck = sharedFixture('images', 'truck.jpg');
  if (!truck) console.warn('Composite: ../shared/fixtures/images is absent; skipping the real-photo test');
  (truck ? it : it.skip)('leaves every unmasked pixel of truck.jpg untouched', async () => {
    const { image: photo } = await LoadImageNode.execute({
      inputs: {},
      params: LoadImageNode.params.parse({ image: truck! }),
      ctx: createTestContext(),
    });
    const m = disc(photo.width, photo.height, 900, 600, 200, 40);
    const o = noise(512, 512, 3, 4);
    const { image } = await composite(photo, o, m);
    const changed = [...changedPixels(image, photo)];
    expect(changed.filter((i) => m.data[i] === 0)).toEqual([]);
    expect(changed.length).toBeGreaterThan(100_000);
  });
});
