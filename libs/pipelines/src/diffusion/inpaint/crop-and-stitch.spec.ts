import type { ImagePixels, RegionPlan } from './crop-and-stitch';
import {
  cropMaskToModel,
  cropToModel,
  maskBounds,
  modelSizeFor,
  planRegion,
  stitchIntoImage,
} from './crop-and-stitch';
import { resizeFloatImage } from './resample';

function image(width: number, height: number, channels: 3 | 4 = 3): ImagePixels {
  const data = new Uint8Array(width * height * channels);
  for (let i = 0; i < data.length; i++) data[i] = (i * 53) % 256;
  return { width, height, channels, data };
}

describe('maskBounds', () => {
  it('finds the box of set pixels, or null', () => {
    const m = new Uint8Array(10 * 8);
    expect(maskBounds(m, 10, 8)).toBeNull();
    m[2 * 10 + 3] = 1;
    m[5 * 10 + 7] = 200;
    expect(maskBounds(m, 10, 8)).toEqual({ x: 3, y: 2, width: 5, height: 4 });
    expect(maskBounds(m, 10, 8, 128)).toEqual({ x: 7, y: 5, width: 1, height: 1 });
  });
});

describe('planRegion', () => {
  const img = { width: 1000, height: 800 };

  it('pads the changed area, keeps its aspect and sizes it to about resolution², multiples of 8', () => {
    const p = planRegion(
      img,
      { x: 400, y: 300, width: 100, height: 80 },
      { mode: 'masked', padding: 50, resolution: 512 },
    );
    expect(p.box).toEqual({ x: 350, y: 250, width: 200, height: 180 });
    expect(p.size.width % 8).toBe(0);
    expect(p.size.height % 8).toBe(0);
    expect(Math.abs(p.size.width * p.size.height - 512 * 512) / (512 * 512)).toBeLessThan(0.05);
    expect(p.size.width / p.size.height).toBeCloseTo(200 / 180, 1);
  });

  it('clamps at the border for masks that touch it', () => {
    const p = planRegion(
      img,
      { x: 0, y: 790, width: 30, height: 10 },
      { mode: 'masked', padding: 40, resolution: 512 },
    );
    expect(p.box.x).toBe(0);
    expect(p.box.y + p.box.height).toBe(800);
    expect(p.box.y).toBeLessThanOrEqual(750);
  });

  it('widens an elongated box to at most 2:1 inside the image', () => {
    const p = planRegion(
      img,
      { x: 100, y: 400, width: 600, height: 20 },
      { mode: 'masked', padding: 0, resolution: 512 },
    );
    expect(p.box.width).toBe(600);
    expect(p.box.height).toBe(300);
    expect(p.box.y).toBe(260); // centred on the strip
    // Near the top the extra height goes downwards.
    const top = planRegion(
      img,
      { x: 100, y: 0, width: 600, height: 20 },
      { mode: 'masked', padding: 0, resolution: 512 },
    );
    expect(top.box).toMatchObject({ y: 0, height: 300 });
  });

  it('whole mode takes the whole image; a static UNet size is kept exactly', () => {
    expect(
      planRegion(img, { x: 1, y: 1, width: 2, height: 2 }, { mode: 'whole', padding: 0, resolution: 512 })
        .box,
    ).toEqual({ x: 0, y: 0, width: 1000, height: 800 });
    const fixed = planRegion(
      img,
      { x: 100, y: 100, width: 300, height: 100 },
      { mode: 'masked', padding: 0, resolution: 512, fixedSize: { width: 512, height: 512 } },
    );
    expect(fixed.size).toEqual({ width: 512, height: 512 });
    expect(fixed.box.width).toBe(fixed.box.height); // grown to the square aspect
  });

  it('never goes below 64 px a side', () => {
    expect(modelSizeFor({ width: 4000, height: 10 }, 512).height).toBe(64);
  });
});

describe('crop and stitch', () => {
  it('crop → model size → back is the identity when no resampling is needed', () => {
    const img = image(64, 48);
    const plan: RegionPlan = { box: { x: 8, y: 8, width: 32, height: 24 }, size: { width: 32, height: 24 } };
    const crop = cropToModel(img, plan);
    const alpha = new Uint8Array(64 * 48).fill(255);
    const out = stitchIntoImage(
      img,
      crop.map((v) => v / 255),
      plan,
      alpha,
    );
    expect(Buffer.from(out).equals(Buffer.from(img.data))).toBe(true);
  });

  it('keeps input bytes where alpha is 0 and outside the box; blends in between; keeps the alpha channel', () => {
    const img = image(40, 30, 4);
    const plan: RegionPlan = { box: { x: 10, y: 5, width: 20, height: 20 }, size: { width: 64, height: 64 } };
    const white = new Float32Array(64 * 64 * 3).fill(1);
    const alpha = new Uint8Array(40 * 30);
    for (let y = 10; y < 20; y++) for (let x = 15; x < 25; x++) alpha[y * 40 + x] = 255;
    alpha[12 * 40 + 12] = 128;
    const out = stitchIntoImage(img, white, plan, alpha);
    for (let p = 0; p < 40 * 30; p++) {
      for (let c = 0; c < 4; c++) {
        const i = p * 4 + c;
        if (c === 3 || alpha[p] === 0) expect(out[i]).toBe(img.data[i]);
        else if (alpha[p] === 255) expect(out[i]).toBe(255);
      }
    }
    const p = (12 * 40 + 12) * 4;
    expect(out[p]).toBe(Math.floor((255 * 128 + img.data[p] * 127 + 127) / 255));
  });

  it('binarizes the scaled mask at half coverage, or keeps any coverage on request', () => {
    const mask = new Uint8Array(100 * 100);
    mask[50 * 100 + 50] = 255; // one pixel
    const plan: RegionPlan = {
      box: { x: 0, y: 0, width: 100, height: 100 },
      size: { width: 64, height: 64 },
    };
    expect(cropMaskToModel(mask, 100, plan).includes(255)).toBe(false);
    expect(cropMaskToModel(mask, 100, plan, 1e-6).includes(255)).toBe(true);
  });
});

describe('resizeFloatImage', () => {
  it('keeps a constant image constant both ways and averages when shrinking', () => {
    const c = new Float32Array(10 * 7 * 3).fill(0.25);
    expect(Array.from(resizeFloatImage(c, 10, 7, 3, 33, 21)).every((v) => Math.abs(v - 0.25) < 1e-6)).toBe(
      true,
    );
    expect(Array.from(resizeFloatImage(c, 10, 7, 3, 3, 2)).every((v) => Math.abs(v - 0.25) < 1e-6)).toBe(
      true,
    );
    const stripes = new Float32Array(8).map((_, i) => (i % 2 ? 1 : 0));
    expect(Array.from(resizeFloatImage(stripes, 8, 1, 1, 2, 1)).every((v) => Math.abs(v - 0.5) < 0.1)).toBe(
      true,
    );
  });
});
