import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { imageValue } from '../../contract';
import type { ImageValue } from '../../contract';
import { createTestContext, sharedFixture } from '../../../../../test/helpers/node-context';
import { LoadImageNode } from './load-image.node';
import { SaveImageNode } from './save-image.node';

/** Noisy pixels, so a lossy or channel-dropping encoder cannot pass a byte comparison by luck. */
function noise(width: number, height: number, channels: 3 | 4): ImageValue {
  const data = new Uint8Array(width * height * channels);
  let s = 12345;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    data[i] = s >>> 24;
  }
  return imageValue(width, height, channels, data);
}

async function save(image: ImageValue, params: Record<string, unknown> = {}) {
  const ctx = createTestContext();
  const { artifact } = await SaveImageNode.execute({
    inputs: { image },
    params: SaveImageNode.params.parse(params),
    ctx,
  });
  return { artifact, ctx, bytes: readFileSync(artifact.path!) };
}

async function reload(file: string) {
  const ctx = createTestContext();
  return LoadImageNode.execute({ inputs: {}, params: LoadImageNode.params.parse({ image: file }), ctx });
}

describe('SaveImage', () => {
  it('is an output node', () => {
    expect(SaveImageNode.output).toBe(true);
  });

  it.each([3, 4] as const)('round-trips %i-channel PNG byte for byte', async (channels) => {
    const image = noise(37, 23, channels);
    const { artifact } = await save(image);
    expect(artifact).toMatchObject({ kind: 'artifact', mime: 'image/png', width: 37, height: 23 });
    const back = await reload(artifact.path!);
    expect(back.image.channels).toBe(channels);
    expect(Buffer.from(back.image.data).equals(Buffer.from(image.data))).toBe(true);
  });

  it('writes each format with its magic bytes and extension', async () => {
    const image = noise(16, 16, 3);
    const png = await save(image, { format: 'png' });
    expect([...png.bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.artifact.path).toMatch(/\.png$/);

    const jpeg = await save(image, { format: 'jpeg' });
    expect([...jpeg.bytes.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
    expect(jpeg.artifact).toMatchObject({ mime: 'image/jpeg' });
    expect(jpeg.artifact.path).toMatch(/\.jpg$/);

    const webp = await save(image, { format: 'webp' });
    expect(webp.bytes.subarray(0, 4).toString('latin1')).toBe('RIFF');
    expect(webp.bytes.subarray(8, 12).toString('latin1')).toBe('WEBP');
    expect(webp.artifact).toMatchObject({ mime: 'image/webp' });
  });

  it('names the file after filenamePrefix', async () => {
    const { artifact } = await save(noise(4, 4, 3), { filenamePrefix: 'fox-on-grass' });
    expect(path.basename(artifact.path!)).toBe('fox-on-grass.png');
  });

  it('uses the quality param for lossy formats', async () => {
    const image = noise(64, 64, 3);
    const low = await save(image, { format: 'jpeg', quality: 10 });
    const high = await save(image, { format: 'jpeg', quality: 100 });
    expect(low.bytes.length).toBeLessThan(high.bytes.length / 2);
  });

  it('keeps alpha in WebP and flattens it onto white for JPEG, with a warning', async () => {
    const image = imageValue(2, 1, 4, new Uint8Array([0, 0, 0, 0, 0, 0, 0, 255]));
    const webp = await save(image, { format: 'webp', quality: 100 });
    expect((await reload(webp.artifact.path!)).image.channels).toBe(4);

    const jpeg = await save(image, { format: 'jpeg', quality: 100 });
    expect(jpeg.ctx.warnings.join()).toMatch(/JPEG has no alpha/);
    const back = (await reload(jpeg.artifact.path!)).image;
    expect(back.channels).toBe(3);
    // The transparent pixel became white, the opaque black one stayed black.
    expect(back.data[0]).toBeGreaterThan(200);
    expect(back.data[3]).toBeLessThan(60);
  });

  const truck = sharedFixture('images', 'truck.jpg');
  if (!truck) console.warn('SaveImage: ../shared/fixtures/images is absent; skipping the real-photo test');
  (truck ? it : it.skip)('round-trips a real photo through PNG byte for byte', async () => {
    const { image } = await reload(truck!);
    const { artifact } = await save(image);
    const back = await reload(artifact.path!);
    expect(Buffer.from(back.image.data).equals(Buffer.from(image.data))).toBe(true);
  });
});
