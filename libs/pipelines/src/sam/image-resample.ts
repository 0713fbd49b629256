/**
 * Resampling used by the image models. Two flavours, because the reference
 * pipelines use two:
 * - images are resized the way PIL's BILINEAR does it (what segment-anything's
 *   ResizeLongestSide and transformers' image processors call): a triangle
 *   filter whose support widens with the downscale factor, so shrinking a photo
 *   averages its pixels instead of skipping them;
 * - mask logits are resized the way torch's `F.interpolate(mode="bilinear",
 *   align_corners=False)` does (segment-anything's postprocess_masks): plain
 *   two-tap interpolation at half-pixel centres, no antialiasing.
 */

import sharp from 'sharp';
import { triangleTaps } from '../common/triangle-taps';

export interface PlaneSize {
  width: number;
  height: number;
}

/** The image as the pipelines receive it (the node contract's ImageValue, structurally). */
export interface RgbImage {
  width: number;
  height: number;
  channels: 3 | 4;
  data: Uint8Array;
}

/** Resizes an image to interleaved RGB floats 0–255 (whole levels, like the uint8 image the references feed). */
export type RgbResampler = (image: RgbImage, size: PlaneSize) => Promise<Float32Array>;

/**
 * Resizes an interleaved 8-bit image (RGB or RGBA; alpha is dropped) to
 * `dst`, PIL-bilinear style, and returns interleaved RGB floats in 0–255.
 * `round` rounds the result to whole levels, as the reference pipelines do
 * when they hand a uint8 image to the model.
 */
export function resizeImageBilinear(
  src: Uint8Array,
  srcSize: PlaneSize,
  channels: number,
  dst: PlaneSize,
  opts: { round?: boolean } = {},
): Float32Array {
  const { width: sw, height: sh } = srcSize;
  const { width: dw, height: dh } = dst;
  const out = new Float32Array(dw * dh * 3);
  if (sw === dw && sh === dh) {
    for (let i = 0, p = 0; i < dw * dh; i++, p += channels) {
      out[i * 3] = src[p];
      out[i * 3 + 1] = src[p + 1];
      out[i * 3 + 2] = src[p + 2];
    }
    return out;
  }
  // Vertical pass first (dh × sw × 3): its inner loop runs over contiguous memory, which is the
  // cheap direction, and it leaves fewer rows for the strided horizontal pass. Taps are read into
  // locals: property lookups in these loops cost more than the arithmetic.
  const ty = triangleTaps(sh, dh, Float32Array);
  const yStart = ty.start;
  const yCount = ty.count;
  const yWeights = ty.weights;
  const yTaps = ty.maxTaps;
  const srcRow = sw * channels;
  const midRow = sw * 3;
  const mid = new Float32Array(dh * midRow);
  for (let y = 0; y < dh; y++) {
    const base = y * yTaps;
    const s0 = yStart[y];
    const n = yCount[y];
    const o = y * midRow;
    for (let k = 0; k < n; k++) {
      const w = yWeights[base + k];
      const m = (s0 + k) * srcRow;
      if (channels === 3) {
        for (let i = 0; i < midRow; i++) mid[o + i] += w * src[m + i];
      } else {
        for (let x = 0, i = o, p = m; x < sw; x++, i += 3, p += channels) {
          mid[i] += w * src[p];
          mid[i + 1] += w * src[p + 1];
          mid[i + 2] += w * src[p + 2];
        }
      }
    }
  }
  const tx = triangleTaps(sw, dw, Float32Array);
  const xStart = tx.start;
  const xCount = tx.count;
  const xWeights = tx.weights;
  const xTaps = tx.maxTaps;
  for (let y = 0; y < dh; y++) {
    const row = y * midRow;
    let q = y * dw * 3;
    for (let x = 0; x < dw; x++, q += 3) {
      let r = 0;
      let g = 0;
      let b = 0;
      const base = x * xTaps;
      const n = xCount[x];
      let p = row + xStart[x] * 3;
      for (let k = 0; k < n; k++, p += 3) {
        const w = xWeights[base + k];
        r += w * mid[p];
        g += w * mid[p + 1];
        b += w * mid[p + 2];
      }
      out[q] = r;
      out[q + 1] = g;
      out[q + 2] = b;
    }
  }
  if (opts.round) {
    // No Math.* per element: a global lookup in a hot loop is ~50× slower inside test runners' vm contexts.
    for (let i = 0; i < out.length; i++) {
      const v = out[i];
      out[i] = v <= 0 ? 0 : v >= 255 ? 255 : (v + 0.5) | 0;
    }
  }
  return out;
}

interface LinearTaps {
  i0: Int32Array;
  i1: Int32Array;
  /** Weight of i1 (i0 gets 1 − w). */
  w: Float32Array;
}

/** torch's area_pixel_compute_source_index for linear modes, align_corners=False. */
function linearTaps(inSize: number, outSize: number, count: number = outSize): LinearTaps {
  const scale = inSize / outSize;
  const i0 = new Int32Array(count);
  const i1 = new Int32Array(count);
  const w = new Float32Array(count);
  for (let o = 0; o < count; o++) {
    const src = Math.max(scale * (o + 0.5) - 0.5, 0);
    const lo = Math.min(Math.floor(src), inSize - 1);
    i0[o] = lo;
    i1[o] = lo < inSize - 1 ? lo + 1 : lo;
    w[o] = src - lo;
  }
  return { i0, i1, w };
}

/**
 * Walks the output rows of a torch-style bilinear resize (align_corners=False)
 * of one float plane, handing each row's two horizontally interpolated source
 * rows and the vertical weight to `emit`. `crop` limits the walk to the
 * top-left `crop` region of the `virtualSize` result.
 */
function bilinearRows(
  src: Float32Array,
  srcSize: PlaneSize,
  virtualSize: PlaneSize,
  crop: PlaneSize,
  emit: (y: number, rowA: Float32Array, rowB: Float32Array, w: number) => void,
): void {
  const { width: sw } = srcSize;
  const { i0: x0, i1: x1, w: wx } = linearTaps(sw, virtualSize.width, crop.width);
  const { i0: y0, i1: y1, w: wy } = linearTaps(srcSize.height, virtualSize.height, crop.height);
  const cw = crop.width;
  // Source rows are visited in order: keep the two current ones, interpolated horizontally.
  let rowA = new Float32Array(cw);
  let rowB = new Float32Array(cw);
  let haveA = -1;
  let haveB = -1;
  const horizontal = (y: number, into: Float32Array): void => {
    const off = y * sw;
    for (let x = 0; x < cw; x++) {
      const a = src[off + x0[x]];
      into[x] = a + (src[off + x1[x]] - a) * wx[x];
    }
  };
  for (let y = 0; y < crop.height; y++) {
    const want0 = y0[y];
    const want1 = y1[y];
    if (haveA !== want0) {
      if (haveB === want0) {
        [rowA, rowB] = [rowB, rowA];
        [haveA, haveB] = [haveB, haveA];
      } else {
        horizontal(want0, rowA);
        haveA = want0;
      }
    }
    if (haveB !== want1) {
      horizontal(want1, rowB);
      haveB = want1;
    }
    emit(y, rowA, rowB, wy[y]);
  }
}

/**
 * Bilinear resize of one float plane, torch `align_corners=False` semantics.
 * `crop` keeps only the top-left `crop` region of the `virtualSize` result
 * without computing the rest: resizing to 1024×1024 and cropping to the
 * resized image gives the same numbers as computing just that corner.
 */
export function resizePlaneBilinear(
  src: Float32Array,
  srcSize: PlaneSize,
  virtualSize: PlaneSize,
  crop: PlaneSize = virtualSize,
): Float32Array {
  const cw = crop.width;
  const out = new Float32Array(cw * crop.height);
  bilinearRows(src, srcSize, virtualSize, crop, (y, a, b, w) => {
    const o = y * cw;
    for (let x = 0; x < cw; x++) out[o + x] = a[x] + (b[x] - a[x]) * w;
  });
  return out;
}

/** Hoisted: a global lookup per pixel is ~50× slower inside test runners' vm contexts. */
const exp = Math.exp;
const fround = Math.fround;

/**
 * resizePlaneBilinear straight to an 8-bit mask: `binary` is 255 where the
 * value is > 0, `soft` is sigmoid(value) × 255.
 *
 * A bilinear value lies between its four source values, so where all four are
 * on the same side of the threshold (> 0, or ≤ 0; for `soft`, beyond ±7 where
 * the sigmoid rounds to 255 or 0) the pixel is known without interpolating.
 * Only pixels along the mask's edges are computed, with the same arithmetic as
 * resizePlaneBilinear (horizontal values rounded to float32 like its rows), so
 * the result is identical to thresholding its output. On a 12-megapixel photo
 * this is the difference between tens and hundreds of milliseconds per mask.
 */
export function resizePlaneToMask(
  src: Float32Array,
  srcSize: PlaneSize,
  dst: PlaneSize,
  mode: 'binary' | 'soft',
): Uint8Array {
  const { width: sw, height: sh } = srcSize;
  const binary = mode === 'binary';
  const hi = binary ? 0 : 7;
  const lo = binary ? 0 : -7;
  // 1: surely 255, 2: surely 0, 0: depends on the weights.
  const cls = new Uint8Array(sw * sh);
  for (let i = 0; i < cls.length; i++) {
    const v = src[i];
    cls[i] = v > hi ? 1 : v <= lo ? 2 : 0;
  }
  const { i0: x0, i1: x1, w: wx } = linearTaps(sw, dst.width);
  const { i0: y0, i1: y1, w: wy } = linearTaps(sh, dst.height);
  const dw = dst.width;
  const out = new Uint8Array(dw * dst.height);
  const rowCls = new Uint8Array(sw);
  let last0 = -1;
  let last1 = -1;
  for (let y = 0; y < dst.height; y++) {
    const r0 = y0[y];
    const r1 = y1[y];
    const p0 = r0 * sw;
    const p1 = r1 * sw;
    if (r0 !== last0 || r1 !== last1) {
      for (let j = 0; j < sw; j++) {
        const a = cls[p0 + j];
        rowCls[j] = a === cls[p1 + j] ? a : 0;
      }
      last0 = r0;
      last1 = r1;
    }
    const ww = wy[y];
    const o = y * dw;
    for (let x = 0; x < dw; x++) {
      const c0 = x0[x];
      const c1 = x1[x];
      const k = rowCls[c0];
      if (k !== 0 && k === rowCls[c1]) {
        out[o + x] = k === 1 ? 255 : 0;
        continue;
      }
      const w = wx[x];
      const a0 = src[p0 + c0];
      const a = fround(a0 + (src[p0 + c1] - a0) * w);
      const b0 = src[p1 + c0];
      const b = fround(b0 + (src[p1 + c1] - b0) * w);
      const v = fround(a + (b - a) * ww);
      out[o + x] = binary ? (v > 0 ? 255 : 0) : (255 / (1 + exp(-v)) + 0.5) | 0;
    }
  }
  return out;
}

/** The JS resampler: PIL's BILINEAR exactly (but for PIL's fixed-point rounding). Runs on the calling thread. */
export const pilBilinearResampler: RgbResampler = async (image, size) =>
  resizeImageBilinear(image.data, image, image.channels, size, { round: true });

/**
 * The default resampler: libvips' linear kernel through sharp, which widens the
 * kernel when shrinking like PIL does (mean difference from PIL's result well
 * under one level), runs in libuv's thread pool instead of blocking the event
 * loop, and is about ten times faster on a 2-megapixel photo.
 */
export const sharpBilinearResampler: RgbResampler = async (image, size) => {
  if (image.width === size.width && image.height === size.height)
    return resizeImageBilinear(image.data, image, image.channels, size);
  let pipeline = sharp(image.data, {
    raw: { width: image.width, height: image.height, channels: image.channels },
  });
  if (image.channels === 4) pipeline = pipeline.removeAlpha();
  const { data, info } = await pipeline
    .resize(size.width, size.height, { kernel: 'linear', fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || info.width !== size.width || info.height !== size.height) {
    throw new Error(
      `resize gave ${info.width}×${info.height}×${info.channels}, expected ${size.width}×${size.height}×3`,
    );
  }
  return Float32Array.from(data);
};
