/**
 * Mask feathering: a Gaussian blur of sigma = radius / 3 whose cost per pixel
 * does not grow with the radius.
 *
 * From radius 3 on it is three extended box filters per axis (Gwosdek,
 * Grewenig, Bruhn, Weickert 2011, "Theoretical foundations of Gaussian
 * convolution by extended box filtering"): each box is a running sum with
 * fractional end taps chosen so the three variances add up to sigma² exactly.
 * Against a true (sampled) Gaussian a straight edge is off by at most 3 levels
 * of 255, corners and 1 px lines by at most 5. Radii 1 and 2 (sigma ≤ 2/3) are
 * too narrow for boxes (off by up to 13 levels), so they use the Gaussian
 * kernel directly: 3 or 5 taps. Constants stay exact (0 stays 0, 255 stays 255).
 *
 * Both run in WebAssembly SIMD (blur-wasm.ts drives libs/nodes/wasm/blur.ts,
 * built by `npm run build:wasm`), in f64 lanes that do exactly what JS doubles
 * would: a box computes floor((sum + alpha·(before + entering))·norm + ½)
 * over an exact running sum, the taps floor(Σ tap·value + ½) in tap order,
 * with 8.8 fixed point between passes. Masks are mostly flat, and a blur of
 * a constant is that constant exactly, so only the rows' column ranges and
 * the 16-column blocks' row ranges within the blur's reach of a change are
 * blurred (where the column pass is skipped, a value exactly half way between
 * two levels is rounded as that pass's arithmetic would). The result is
 * identical to blurring every row and column of the border-replicated mask
 * in JS (the spec checks this byte for byte), so it does not depend on where
 * the mask sits.
 *
 * Why not libvips (sharp's `.blur`): measured on 4096² masks its 8-bit path is
 * fast, but its fixed-point kernel does not preserve constants: a solid mask
 * comes out as 251 or 253 and a flat 128 as 126 or 130, depending on the
 * radius (r = 5, 7, 13, 15, …), so pixels deep inside the mask would keep 1–2 %
 * of the original image. Its float and 16-bit paths are exact but slower than
 * the boxes (0.5–8 s), and every libvips path grows with the radius.
 *
 * Radius → sigma: sigma = radius / 3. "Blur radius in px" then means what
 * ComfyUI and IOPaint users expect: the feather reaches about `radius` px from
 * the edge. At a distance r from a straight edge a Gaussian of sigma r/3 is at
 * Φ(−3) ≈ 0.13 % (0.3 of 255, which rounds to 0), and the boxes stop about
 * there, so pixels farther than the radius from any edge keep their exact 0 or
 * 255. It is also OpenCV's own choice for a kernel of size 2r+1 (sigma =
 * 0.3·(r−1) + 0.8 ≈ r/3). sigma = r/2 would still leave 2 % at distance r: the
 * feather would visibly overshoot the radius.
 *
 * Borders replicate the edge pixel, so a mask that touches the image edge stays
 * solid there instead of fading towards a black outside.
 */

import type { BlurKernel, BoxPasses } from './blur-wasm';
import { blurWasm } from './blur-wasm';
import { uninitializedBytes } from './morphology';

/** Sigma of the Gaussian a blur radius stands for. */
export function blurSigmaForRadius(radius: number): number {
  return radius / 3;
}

/** Number of box passes per axis; three make the kernel smooth (piecewise quadratic) and close to a Gaussian. */
const PASSES = 3;

/** Intermediate values are fixed point with 8 fractional bits, so rounding between passes stays below 1/256 level. */
const FRACTION_BITS = 8;

/**
 * One extended box: taps −l..l with weight 1 and taps ±(l+1) with weight alpha,
 * normalised. Its variance is chosen so that PASSES of them add up to sigma².
 */
export interface ExtendedBox {
  l: number;
  alpha: number;
}

/** The extended box whose variance is sigma² / PASSES. */
export function extendedBoxFor(sigma: number): ExtendedBox {
  const variance = (sigma * sigma) / PASSES;
  // Largest plain box (radius l, variance l(l+1)/3) not wider than the target, then the fractional ends.
  const l = Math.max(0, Math.floor(Math.sqrt(3 * variance + 0.25) - 0.5));
  const alpha = ((2 * l + 1) * (variance - (l * (l + 1)) / 3)) / (2 * (l + 1) * (l + 1) - 2 * variance);
  return { l, alpha: Math.min(Math.max(alpha, 0), 1) };
}

/** Below this radius the Gaussian kernel is applied directly (3 or 5 taps; 7 for radii between 2 and 3). */
export const BOX_BLUR_MIN_RADIUS = 3;

/** The box and norms the passes of blurMask use for a radius ≥ BOX_BLUR_MIN_RADIUS. */
export function boxPassesFor(radius: number): BoxPasses {
  const { l, alpha } = extendedBoxFor(blurSigmaForRadius(radius));
  const taps = 2 * l + 1 + 2 * alpha;
  return { l, alpha, norm: 1 / taps, normFinal: 1 / (taps * (1 << FRACTION_BITS)) };
}

/** What blurMask blurs with at a radius > 0: the Gaussian taps below BOX_BLUR_MIN_RADIUS, else the boxes. */
export function blurKernelFor(radius: number): BlurKernel {
  const sigma = blurSigmaForRadius(radius);
  if (radius < BOX_BLUR_MIN_RADIUS) return { taps: gaussianKernel(sigma, Math.ceil(3 * sigma)) };
  return { boxes: boxPassesFor(radius) };
}

/**
 * Feathers a mask: a Gaussian-like blur of sigma radius/3. Radius 0 returns a
 * copy. Works for soft masks too (any 0..255 values); constants stay exact.
 */
export function blurMask(data: Uint8Array, width: number, height: number, radius: number): Uint8Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) {
    throw new RangeError(`mask size must be whole pixels, got ${width}×${height}`);
  }
  if (data.length !== width * height) {
    throw new RangeError(`mask data has ${data.length} bytes, expected ${width}×${height}`);
  }
  if (!Number.isFinite(radius) || radius < 0) throw new RangeError(`radius must be ≥ 0, got ${radius}`);
  if (radius === 0 || data.length === 0) return data.slice();

  const out = uninitializedBytes(data.length); // every byte written
  blurWasm(data, width, height, blurKernelFor(radius), out);
  return out;
}

/** Normalised Gaussian taps −k..k (they sum to 1, so constants are preserved). */
export function gaussianKernel(sigma: number, k: number): Float64Array {
  const taps = new Float64Array(2 * k + 1);
  let total = 0;
  for (let i = -k; i <= k; i++) total += taps[i + k] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < taps.length; i++) taps[i] /= total;
  return taps;
}
