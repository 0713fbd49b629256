/**
 * SAM's numbers: resize, coordinate and box encoding, and the mask
 * upscale → crop → resize, checked against plain reference implementations
 * written from segment-anything's code (torch F.interpolate, bilinear,
 * align_corners=False).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import {
  pilBilinearResampler,
  resizeImageBilinear,
  resizePlaneBilinear,
  sharpBilinearResampler,
} from './image-resample';
import {
  maskFromLogits,
  selectMaskIndex,
  unionMasks,
  upscaleMask,
  upscaleMaskLogits,
} from './sam-postprocess';
import {
  SAM_PIXEL_MEAN,
  SAM_PIXEL_STD,
  samEncoderImage,
  samEncoderLayout,
  samResizedSize,
} from './sam-preprocess';
import { encodeSamPrompt, toResizedFrame } from './sam-prompt';

// Hoisted: global lookups per pixel are slow inside jest's vm context.
const { abs, floor, hypot, max } = Math;

/** torch.nn.functional.interpolate(x, (outH, outW), mode='bilinear', align_corners=False), one plane, float64. */
function referenceInterpolate(
  src: ArrayLike<number>,
  inW: number,
  inH: number,
  outW: number,
  outH: number,
): Float64Array {
  const out = new Float64Array(outW * outH);
  const sx = inW / outW;
  const sy = inH / outH;
  for (let y = 0; y < outH; y++) {
    const fy = max(sy * (y + 0.5) - 0.5, 0);
    const y0 = floor(fy);
    const y1 = y0 < inH - 1 ? y0 + 1 : y0;
    const ly = fy - y0;
    for (let x = 0; x < outW; x++) {
      const fx = max(sx * (x + 0.5) - 0.5, 0);
      const x0 = floor(fx);
      const x1 = x0 < inW - 1 ? x0 + 1 : x0;
      const lx = fx - x0;
      out[y * outW + x] =
        (1 - ly) * ((1 - lx) * src[y0 * inW + x0] + lx * src[y0 * inW + x1]) +
        ly * ((1 - lx) * src[y1 * inW + x0] + lx * src[y1 * inW + x1]);
    }
  }
  return out;
}

/** segment-anything postprocess_masks, literally: 256² → 1024², crop, → (H, W). */
function referencePostprocess(
  lowRes: Float32Array,
  resized: { width: number; height: number },
  original: { width: number; height: number },
): Float64Array {
  const full = referenceInterpolate(lowRes, 256, 256, 1024, 1024);
  const crop = new Float64Array(resized.width * resized.height);
  for (let y = 0; y < resized.height; y++)
    for (let x = 0; x < resized.width; x++) crop[y * resized.width + x] = full[y * 1024 + x];
  return referenceInterpolate(crop, resized.width, resized.height, original.width, original.height);
}

function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A smooth random field (like real logits), with a blob of positive values. */
function lowResLogits(seed: number): Float32Array {
  const rand = seededRandom(seed);
  const out = new Float32Array(256 * 256);
  const cx = 60 + rand() * 120;
  const cy = 60 + rand() * 120;
  for (let y = 0; y < 256; y++)
    for (let x = 0; x < 256; x++) out[y * 256 + x] = 12 - hypot(x - cx, y - cy) * 0.3 + (rand() - 0.5) * 4;
  return out;
}

describe('SAM resize (ResizeLongestSide)', () => {
  it('1800×1200 → 1024×683', () => {
    expect(samResizedSize({ width: 1800, height: 1200 })).toEqual({ width: 1024, height: 683 });
    expect(samResizedSize({ width: 1200, height: 1800 })).toEqual({ width: 683, height: 1024 });
  });

  it('rounds int(x·s + 0.5) on both sides', () => {
    expect(samResizedSize({ width: 640, height: 426 })).toEqual({ width: 1024, height: 682 }); // 681.6 → 682
    expect(samResizedSize({ width: 500, height: 333 })).toEqual({ width: 1024, height: 682 }); // 681.98 → 682
    expect(samResizedSize({ width: 100, height: 100 })).toEqual({ width: 1024, height: 1024 });
    expect(samResizedSize({ width: 3, height: 1 })).toEqual({ width: 1024, height: 341 }); // 341.33
  });

  it('reads the encoder layout from the input rank', () => {
    expect(
      samEncoderLayout({ name: 'input_image', isTensor: true, type: 'float32', shape: ['h', 'w', 3] }),
    ).toBe('hwc');
    expect(
      samEncoderLayout({ name: 'input_image', isTensor: true, type: 'float32', shape: [1, 3, 1024, 1024] }),
    ).toBe('nchw');
    expect(
      samEncoderLayout({ name: 'x', isTensor: true, type: 'float32', shape: [1024, 1024] }),
    ).toBeUndefined();
  });

  it('feeds HWC 0–255 at the resized size, or NCHW normalized and zero-padded bottom/right', async () => {
    const image = { width: 20, height: 10, channels: 3 as const, data: new Uint8Array(20 * 10 * 3) };
    for (let i = 0; i < 200; i++) image.data.set([200, 100, 50], i * 3);
    const hwc = await samEncoderImage(image, 'hwc', undefined, pilBilinearResampler);
    expect(hwc.dims).toEqual([512, 1024, 3]);
    expect(hwc.resized).toEqual({ width: 1024, height: 512 });
    expect(Array.from(hwc.data.subarray(0, 3))).toEqual([200, 100, 50]);

    const nchw = await samEncoderImage(image, 'nchw', undefined, pilBilinearResampler);
    expect(nchw.dims).toEqual([1, 3, 1024, 1024]);
    const plane = 1024 * 1024;
    for (let c = 0; c < 3; c++) {
      const v = ([200, 100, 50][c] - SAM_PIXEL_MEAN[c]) / SAM_PIXEL_STD[c];
      expect(nchw.data[c * plane]).toBeCloseTo(v, 5); // top-left
      expect(nchw.data[c * plane + 511 * 1024 + 1023]).toBeCloseTo(v, 5); // last image pixel
      expect(nchw.data[c * plane + 512 * 1024]).toBe(0); // first padded row
    }
  });

  it('pads a static HWC input with the pixel mean (zero after normalization)', async () => {
    const image = { width: 20, height: 10, channels: 3 as const, data: new Uint8Array(600).fill(9) };
    const fixed = await samEncoderImage(image, 'hwc', { width: 1024, height: 1024 });
    expect(fixed.dims).toEqual([1024, 1024, 3]);
    expect(fixed.data[0]).toBe(9);
    expect(Array.from(fixed.data.subarray(600 * 1024 * 3, 600 * 1024 * 3 + 3))).toEqual(
      SAM_PIXEL_MEAN.map((m) => Math.fround(m)),
    );
  });
});

describe('image resampling (PIL bilinear)', () => {
  it('upsamples with half-pixel centres', () => {
    const src = Uint8Array.from([0, 0, 0, 255, 255, 255]); // 2×1 RGB
    const out = resizeImageBilinear(src, { width: 2, height: 1 }, 3, { width: 4, height: 1 });
    expect(Array.from(out.filter((_, i) => i % 3 === 0))).toEqual([0, 63.75, 191.25, 255]);
  });

  it('downsamples with a widened triangle filter (antialiasing), like PIL', () => {
    // 4 → 2: support 2; output 0 weighs pixels 0,1,2 by 0.75, 0.75, 0.25 (normalized).
    const row = [0, 70, 140, 210];
    const src = Uint8Array.from(row.flatMap((v) => [v, v, v]));
    const out = resizeImageBilinear(src, { width: 4, height: 1 }, 3, { width: 2, height: 1 });
    expect(out[0]).toBeCloseTo((0.75 * 0 + 0.75 * 70 + 0.25 * 140) / 1.75, 4);
    expect(out[3]).toBeCloseTo((0.25 * 70 + 0.75 * 140 + 0.75 * 210) / 1.75, 4);
  });

  it('the default (sharp, off the event loop) stays within a level of PIL bilinear on a photo', async () => {
    const truck = path.resolve(__dirname, '../../../../../shared/fixtures/images/truck.jpg');
    let image: { width: number; height: number; channels: 3; data: Uint8Array };
    try {
      const { data, info } = await sharp(readFileSync(truck))
        .removeAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      image = { width: info.width, height: info.height, channels: 3, data: new Uint8Array(data) };
    } catch {
      // Without ../shared: a smooth synthetic picture.
      const w = 900;
      const h = 600;
      const data = new Uint8Array(w * h * 3);
      // Gradients and a slow wave, without the wrap-around edges `% 256` would make.
      for (let i = 0; i < w * h; i++) {
        const x = i % w;
        const y = Math.floor(i / w);
        data.set([(x * 255) / w, (y * 255) / h, 128 + 100 * Math.sin(x / 40) * Math.cos(y / 30)], i * 3);
      }
      image = { width: w, height: h, channels: 3, data };
    }
    for (const size of [samResizedSize(image), { width: 1024, height: 1024 }]) {
      const a = await sharpBilinearResampler(image, size);
      const b = await pilBilinearResampler(image, size);
      let sum = 0;
      for (let i = 0; i < a.length; i++) sum += abs(a[i] - b[i]);
      expect(sum / a.length).toBeLessThan(1);
    }
  });

  it('keeps a uniform image uniform at any size', () => {
    const src = new Uint8Array(37 * 23 * 4).fill(77);
    const out = resizeImageBilinear(
      src,
      { width: 37, height: 23 },
      4,
      { width: 11, height: 50 },
      { round: true },
    );
    expect(out.every((v) => v === 77)).toBe(true);
  });
});

describe('SAM prompt encoding', () => {
  const original = { width: 1800, height: 1200 };
  const resized = samResizedSize(original);

  it('maps coordinates per axis: x·neww/w, y·newh/h', () => {
    const [x, y] = toResizedFrame(900, 600, original, resized);
    expect(x).toBeCloseTo(512, 10);
    expect(y).toBeCloseTo(600 * (683 / 1200), 10);
  });

  it('encodes a box as two points labelled 2 and 3, after the clicks', () => {
    // The segment-anything ONNX notebook's example: box [425, 600, 700, 875] and a background click (575, 750).
    const p = encodeSamPrompt(
      { box: { x1: 425, y1: 600, x2: 700, y2: 875 }, points: [{ x: 575, y: 750, label: 0 }] },
      original,
      resized,
    );
    const sx = 1024 / 1800;
    const sy = 683 / 1200;
    expect(p.count).toBe(3);
    const expected = [575 * sx, 750 * sy, 425 * sx, 600 * sy, 700 * sx, 875 * sy];
    expected.forEach((v, i) => expect(p.coords[i]).toBeCloseTo(v, 3));
    expect(Array.from(p.labels)).toEqual([0, 2, 3]);
  });

  it('orders the corners of a box given bottom-right first', () => {
    const p = encodeSamPrompt({ box: { x1: 700, y1: 875, x2: 425, y2: 600 } }, original, resized);
    expect(Array.from(p.labels)).toEqual([2, 3]);
    expect(p.coords[0]).toBeLessThan(p.coords[2]);
  });

  it('adds a (0, 0) padding point labelled −1 when there is no box', () => {
    const p = encodeSamPrompt({ points: [{ x: 1800, y: 1200, label: 1 }] }, original, resized);
    expect(p.count).toBe(2);
    expect(Array.from(p.coords)).toEqual([1024, 683, 0, 0]);
    expect(Array.from(p.labels)).toEqual([1, -1]);
  });
});

describe('mask upscale → crop → resize', () => {
  it.each([
    ['1800×1200 (truck)', { width: 1800, height: 1200 }],
    ['640×426 (downscale from the crop)', { width: 640, height: 426 }],
    ['300×700 (portrait)', { width: 300, height: 700 }],
    ['5×3', { width: 5, height: 3 }],
  ])('matches segment-anything postprocess_masks for %s', (_name, original) => {
    const low = lowResLogits(original.width * 31 + original.height);
    const resized = samResizedSize(original);
    const ours = upscaleMaskLogits(low, { width: 256, height: 256 }, resized, original);
    const ref = referencePostprocess(low, resized, original);
    expect(ours).toHaveLength(original.width * original.height);
    let maxDiff = 0;
    let flips = 0;
    for (let i = 0; i < ref.length; i++) {
      maxDiff = max(maxDiff, abs(ours[i] - ref[i]));
      if (ours[i] > 0 !== ref[i] > 0 && abs(ref[i]) > 1e-4) flips++;
    }
    expect(maxDiff).toBeLessThan(1e-4);
    expect(flips).toBe(0);
  });

  it('computes only the crop of the virtual 1024² plane, with the same values', () => {
    const low = lowResLogits(7);
    const full = resizePlaneBilinear(low, { width: 256, height: 256 }, { width: 1024, height: 1024 });
    const crop = resizePlaneBilinear(
      low,
      { width: 256, height: 256 },
      { width: 1024, height: 1024 },
      { width: 1024, height: 683 },
    );
    for (let y = 0; y < 683; y += 37)
      for (let x = 0; x < 1024; x += 41) expect(crop[y * 1024 + x]).toBe(full[y * 1024 + x]);
  });

  it('gives the same masks when thresholding in the resize pass', () => {
    const low = lowResLogits(3);
    const original = { width: 700, height: 500 };
    const resized = samResizedSize(original);
    const logits = upscaleMaskLogits(low, { width: 256, height: 256 }, resized, original);
    for (const mode of ['binary', 'soft'] as const) {
      expect(upscaleMask(low, { width: 256, height: 256 }, resized, original, mode)).toEqual(
        maskFromLogits(logits, mode),
      );
    }
  });

  it('thresholds at 0 (binary) or maps sigmoid to 0–255 (soft)', () => {
    const logits = Float32Array.from([-3, -0.0001, 0, 0.0001, 3]);
    expect(Array.from(maskFromLogits(logits, 'binary'))).toEqual([0, 0, 0, 255, 255]);
    expect(Array.from(maskFromLogits(logits, 'soft'))).toEqual([12, 127, 128, 128, 243]);
  });

  it('unions masks by per-pixel maximum', () => {
    expect(Array.from(unionMasks([Uint8Array.from([0, 255, 0]), Uint8Array.from([10, 0, 0])], 3))).toEqual([
      10, 255, 0,
    ]);
    expect(Array.from(unionMasks([], 2))).toEqual([0, 0]);
  });
});

describe('mask choice', () => {
  it('single takes mask 0; best takes the highest IoU among the multimask answers 1–3', () => {
    const ious = [0.99, 0.5, 0.9, 0.7];
    expect(selectMaskIndex(ious, 4, 'single')).toBe(0);
    expect(selectMaskIndex(ious, 4, 'best')).toBe(2);
    expect(selectMaskIndex([0.3], 1, 'best')).toBe(0);
  });
});
