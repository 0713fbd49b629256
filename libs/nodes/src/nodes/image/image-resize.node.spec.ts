import { UserError } from '@maskflow/workflow';
import { imageValue } from '../../contract';
import type { ImageValue } from '../../contract';
import { createTestContext, sharedFixture } from '../../../../../test/helpers/node-context';
import { ImageResizeNode } from './image-resize.node';
import { LoadImageNode } from './load-image.node';

/** Four flat quadrants (red, green, blue, white), so crops and kernels are visible. */
function quadrants(width: number, height: number, channels: 3 | 4 = 3): ImageValue {
  const data = new Uint8Array(width * height * channels);
  const colors = [
    [255, 0, 0],
    [0, 255, 0],
    [0, 0, 255],
    [255, 255, 255],
  ];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const c = colors[(y < height / 2 ? 0 : 2) + (x < width / 2 ? 0 : 1)];
      const p = (y * width + x) * channels;
      data.set(c, p);
      if (channels === 4) data[p + 3] = x < width / 2 ? 255 : 100;
    }
  }
  return imageValue(width, height, channels, data);
}

async function resize(image: ImageValue, params: Record<string, unknown>) {
  const ctx = createTestContext();
  const out = await ImageResizeNode.execute({
    inputs: { image },
    params: ImageResizeNode.params.parse(params),
    ctx,
  });
  return out.image;
}

function pixel(image: ImageValue, x: number, y: number): number[] {
  const p = (y * image.width + x) * image.channels;
  return [...image.data.subarray(p, p + image.channels)];
}

describe('ImageResize', () => {
  const src = quadrants(300, 200);

  it('fit: fits inside the box keeping the aspect ratio', async () => {
    const out = await resize(src, { width: 150, height: 150, mode: 'fit' });
    expect([out.width, out.height, out.channels]).toEqual([150, 100, 3]);
    expect(out.data.length).toBe(150 * 100 * 3);
  });

  it('fill: covers the box and crops the overflow around the centre', async () => {
    const out = await resize(src, { width: 100, height: 100, mode: 'fill', kernel: 'nearest' });
    expect([out.width, out.height]).toEqual([100, 100]);
    // 300×200 → 150×100, then 25 px cut from each side: the quadrant boundary stays in the middle.
    expect(pixel(out, 10, 10)).toEqual([255, 0, 0]);
    expect(pixel(out, 90, 90)).toEqual([255, 255, 255]);
  });

  it('stretch: exactly the given size', async () => {
    const out = await resize(src, { width: 64, height: 256, mode: 'stretch' });
    expect([out.width, out.height]).toEqual([64, 256]);
  });

  it('scale: by a factor, ignoring width and height', async () => {
    const out = await resize(src, { width: 10, height: 10, mode: 'scale', scale: 0.5 });
    expect([out.width, out.height]).toEqual([150, 100]);
  });

  it('nearest keeps flat colours exact; lanczos blends across the edge', async () => {
    const nearest = await resize(src, { mode: 'scale', scale: 1.7, kernel: 'nearest' });
    const colours = new Set<string>();
    for (let i = 0; i < nearest.data.length; i += 3) colours.add(nearest.data.subarray(i, i + 3).join());
    expect(colours.size).toBe(4);
    const lanczos = await resize(src, { mode: 'scale', scale: 1.7, kernel: 'lanczos3' });
    const blended = new Set<string>();
    for (let i = 0; i < lanczos.data.length; i += 3) blended.add(lanczos.data.subarray(i, i + 3).join());
    expect(blended.size).toBeGreaterThan(4);
  });

  it('keeps the alpha channel', async () => {
    const out = await resize(quadrants(40, 40, 4), {
      width: 20,
      height: 20,
      mode: 'stretch',
      kernel: 'nearest',
    });
    expect(out.channels).toBe(4);
    expect(pixel(out, 2, 2)[3]).toBe(255);
    expect(pixel(out, 17, 2)[3]).toBe(100);
  });

  it('refuses an output beyond the pixel limit with a UserError on scale', async () => {
    const big = imageValue(4000, 4000, 3, new Uint8Array(4000 * 4000 * 3));
    await expect(resize(big, { mode: 'scale', scale: 16 })).rejects.toMatchObject({ field: 'scale' });
    await expect(resize(big, { mode: 'scale', scale: 16 })).rejects.toBeInstanceOf(UserError);
  });

  const truck = sharedFixture('images', 'truck.jpg');
  if (!truck) console.warn('ImageResize: ../shared/fixtures/images is absent; skipping the real-photo test');
  (truck ? it : it.skip)('fits truck.jpg (1800×1200) into 512×512 as 512×341', async () => {
    const { image } = await LoadImageNode.execute({
      inputs: {},
      params: LoadImageNode.params.parse({ image: truck! }),
      ctx: createTestContext(),
    });
    const out = await resize(image, { width: 512, height: 512, mode: 'fit' });
    expect([out.width, out.height]).toEqual([512, 341]);
  });
});
