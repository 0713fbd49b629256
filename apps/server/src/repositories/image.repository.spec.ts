import sharp from 'sharp';
import { ImageRepository } from './image.repository';

/** A w×h mask, 255 inside [x1, x2) × [y1, y2). */
function rect(w: number, h: number, x1: number, y1: number, x2: number, y2: number) {
  const data = new Uint8Array(w * h);
  for (let y = y1; y < y2; y++) data.fill(255, y * w + x1, y * w + x2);
  return { width: w, height: h, data };
}

async function decode(url: string) {
  expect(url.startsWith('data:image/png;base64,')).toBe(true);
  const img = sharp(Buffer.from(url.slice(url.indexOf(',') + 1), 'base64'));
  expect((await img.metadata()).channels).toBe(1);
  return img.extractChannel(0).raw().toBuffer({ resolveWithObject: true });
}

describe('ImageRepository.maskPreviewDataUrl', () => {
  const images = new ImageRepository();

  it('shrinks a big mask to fit the longest side and keeps it one-channel, white on black', async () => {
    const p = await images.maskPreviewDataUrl([rect(2048, 1024, 0, 0, 1024, 1024)], 512);
    expect({ width: p.width, height: p.height }).toEqual({ width: 512, height: 256 });
    const { data, info } = await decode(p.url);
    expect(info).toMatchObject({ width: 512, height: 256, channels: 1 });
    expect(data[10 * 512 + 100]).toBe(255); // left half masked
    expect(data[10 * 512 + 400]).toBe(0); // right half kept
  });

  /*
   *   ┌────────┐      ┌────────┐       ┌────────┐
   *   │██      │  ∪   │      ██│   =   │██    ██│
   *   └────────┘      └────────┘       └────────┘
   */
  it('unites several masks (an object per mask)', async () => {
    const p = await images.maskPreviewDataUrl(
      [rect(400, 200, 0, 0, 100, 200), rect(400, 200, 300, 0, 400, 200)],
      512,
    );
    const { data } = await decode(p.url);
    expect({ width: p.width, height: p.height }).toEqual({ width: 400, height: 200 });
    let white = 0;
    for (let i = 0; i < data.length; i++) if (data[i] === 255) white++;
    expect(white).toBe(2 * 100 * 200);
    expect(data[50 * 400 + 50]).toBe(255);
    expect(data[50 * 400 + 350]).toBe(255);
    expect(data[50 * 400 + 200]).toBe(0);
  });

  it('refuses an empty list', async () => {
    await expect(images.maskPreviewDataUrl([], 512)).rejects.toThrow('no mask to preview');
  });
});
