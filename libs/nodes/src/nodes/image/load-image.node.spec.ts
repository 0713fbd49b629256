import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { UserError } from '@maskflow/workflow';
import { createTestContext, sharedFixture } from '../../../../../test/helpers/node-context';
import { LoadImageNode, sniffImageFormat } from './load-image.node';

const dir = mkdtempSync(path.join(tmpdir(), 'load-image-'));
function put(name: string, bytes: Buffer | string): string {
  writeFileSync(path.join(dir, name), bytes);
  return name;
}

async function load(image: string, extra: Record<string, unknown> = {}) {
  const ctx = createTestContext({ inputDir: dir });
  return LoadImageNode.execute({ inputs: {}, params: LoadImageNode.params.parse({ image, ...extra }), ctx });
}

/** Resolves to the UserError a load throws (fails the test if it does not throw one). */
async function loadError(image: string, extra: Record<string, unknown> = {}): Promise<UserError> {
  const err: unknown = await load(image, extra).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UserError);
  return err as UserError;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A valid ~60-byte PNG whose header claims width×height: a decompression bomb for a naive loader. */
function pngHeaderBomb(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(Buffer.alloc(64))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('LoadImage', () => {
  it('applies EXIF orientation: a 40×20 JPEG tagged orientation 6 loads as 20×40', async () => {
    // Left half red, right half blue, so the rotation direction is visible too.
    const raw = Buffer.alloc(40 * 20 * 3);
    for (let y = 0; y < 20; y++) {
      for (let x = 0; x < 40; x++) raw.set(x < 20 ? [255, 0, 0] : [0, 0, 255], (y * 40 + x) * 3);
    }
    const jpeg = await sharp(raw, { raw: { width: 40, height: 20, channels: 3 } })
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    expect((await sharp(jpeg).metadata()).width).toBe(40);

    const { image, mask } = await load(put('rotated.jpg', jpeg));
    expect([image.width, image.height, image.channels]).toEqual([20, 40, 3]);
    expect(image.data.length).toBe(20 * 40 * 3);
    // Orientation 6 = rotate 90° clockwise: the former left (red) half is now on top.
    expect(image.data[(2 * 20 + 10) * 3]).toBeGreaterThan(200);
    expect(image.data[(37 * 20 + 10) * 3 + 2]).toBeGreaterThan(200);
    expect([mask.width, mask.height]).toEqual([20, 40]);
    expect(mask.data.every((v) => v === 0)).toBe(true);
  });

  it('keeps alpha as channel 4 and turns transparency into the mask (transparent = 255)', async () => {
    const w = 8;
    const h = 4;
    const raw = Buffer.alloc(w * h * 4);
    for (let i = 0; i < w * h; i++) raw.set([i, 100, 200, i % w < 4 ? 0 : i % w === 4 ? 128 : 255], i * 4);
    const png = await sharp(raw, { raw: { width: w, height: h, channels: 4 } })
      .png()
      .toBuffer();

    const { image, mask } = await load(put('alpha.png', png));
    expect(image.channels).toBe(4);
    expect(Buffer.from(image.data).equals(raw)).toBe(true);
    expect([...mask.data.subarray(0, w)]).toEqual([255, 255, 255, 255, 127, 0, 0, 0]);
  });

  it('turns greyscale and 16-bit files into 8-bit RGB', async () => {
    const grey = await sharp({
      create: { width: 5, height: 3, channels: 3, background: { r: 90, g: 90, b: 90 } },
    })
      .greyscale()
      .png()
      .toBuffer();
    const g = await load(put('grey.png', grey));
    expect([g.image.channels, g.image.data.length, g.image.data[0], g.image.data[1]]).toEqual([
      3, 45, 90, 90,
    ]);

    const deep = await sharp({
      create: { width: 5, height: 3, channels: 3, background: { r: 10, g: 200, b: 30 } },
    })
      .toColourspace('rgb16')
      .png()
      .toBuffer();
    const d = await load(put('deep.png', deep));
    expect([...d.image.data.subarray(0, 3)]).toEqual([10, 200, 30]);
  });

  it('refuses a PNG whose header claims 100000×100000 before decoding it', async () => {
    const bomb = pngHeaderBomb(100_000, 100_000);
    expect(bomb.length).toBeLessThan(200);
    const err = await loadError(put('bomb.png', bomb));
    expect(err.field).toBe('image');
    expect(err.code).toBe('too-many-pixels');
    expect(err.message).toContain('100000×100000');
  });

  it('refuses an image over the maxPixels param', async () => {
    const png = await sharp({ create: { width: 100, height: 100, channels: 3, background: 'white' } })
      .png()
      .toBuffer();
    const name = put('small.png', png);
    await expect(load(name, { maxPixels: 10_000 })).resolves.toBeDefined();
    const err = await loadError(name, { maxPixels: 9_999 });
    expect([err.field, err.code]).toEqual(['image', 'too-many-pixels']);
  });

  it('says a text file named .png is not an image', async () => {
    const err = await loadError(put('notes.png', 'these are my notes, not pixels\n'));
    expect(err.field).toBe('image');
    expect(err.message).toMatch(/"notes\.png" is not an image \(PNG, JPEG, WebP/);
  });

  it('refuses a truncated PNG with a UserError on the image field', async () => {
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: 'red' } })
      .png()
      .toBuffer();
    const err = await loadError(put('cut.png', png.subarray(0, 40)));
    expect(err.field).toBe('image');
  });

  it('names the image field when the file does not exist', async () => {
    const err = await loadError('no-such-file.png');
    expect(err.field).toBe('image');
  });

  it('fingerprints the file content, so the cache notices a changed file', async () => {
    const ctx = createTestContext({ inputDir: dir });
    const params = LoadImageNode.params.parse({ image: 'changing.png' });
    const fingerprint = LoadImageNode.fingerprint!;
    put(
      'changing.png',
      await sharp({ create: { width: 2, height: 2, channels: 3, background: 'red' } })
        .png()
        .toBuffer(),
    );
    const first = await fingerprint(params, ctx);
    expect(await fingerprint(params, ctx)).toBe(first);
    put(
      'changing.png',
      await sharp({ create: { width: 2, height: 2, channels: 3, background: 'blue' } })
        .png()
        .toBuffer(),
    );
    expect(await fingerprint(params, ctx)).not.toBe(first);
  });

  it('sniffs the accepted formats by magic bytes', async () => {
    const base = sharp({ create: { width: 2, height: 2, channels: 3, background: 'red' } });
    expect(sniffImageFormat(await base.clone().png().toBuffer())).toBe('png');
    expect(sniffImageFormat(await base.clone().jpeg().toBuffer())).toBe('jpeg');
    expect(sniffImageFormat(await base.clone().webp().toBuffer())).toBe('webp');
    expect(sniffImageFormat(await base.clone().gif().toBuffer())).toBe('gif');
    expect(sniffImageFormat(await base.clone().tiff().toBuffer())).toBe('tiff');
    expect(sniffImageFormat(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBeUndefined();
  });

  describe('real photos (../shared/fixtures)', () => {
    const truck = sharedFixture('images', 'truck.jpg');
    const coco = sharedFixture('images', 'coco139.jpg');
    if (!truck || !coco)
      console.warn('LoadImage: ../shared/fixtures/images is absent; skipping the real-photo tests');
    const withPhotos = truck && coco ? it : it.skip;

    withPhotos('loads truck.jpg (1800×1200) and coco139.jpg (640×426) as RGB', async () => {
      const ctx = createTestContext();
      for (const [file, w, h] of [
        [truck!, 1800, 1200],
        [coco!, 640, 426],
      ] as const) {
        const { image, mask } = await LoadImageNode.execute({
          inputs: {},
          params: LoadImageNode.params.parse({ image: file }),
          ctx,
        });
        expect([image.width, image.height, image.channels]).toEqual([w, h, 3]);
        expect(image.data.length).toBe(w * h * 3);
        expect(mask.data.length).toBe(w * h);
        // A photo, not a blank: its pixels vary.
        expect(new Set(image.data.subarray(0, 30_000)).size).toBeGreaterThan(50);
      }
    });
  });
});
