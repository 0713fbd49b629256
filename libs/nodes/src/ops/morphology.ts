/**
 * Exact binary morphology of masks with a round (Euclidean disc) structuring
 * element.
 *
 * Growing by r sets pixel p iff some set pixel q has (px−qx)² + (py−qy)² ≤ r².
 * Shrinking by r is the complement of growing the complement. Inputs are
 * binarized at ≥ 128; outputs are 0/255.
 *
 * Border rule: for growing, pixels outside the image count as not set (nothing
 * grows in from outside). For shrinking they count as set, like OpenCV's default
 * border for `erode`, so a mask that touches the image edge is not eaten away
 * from the edge. Both follow from one rule: the complement that is grown has no
 * set pixels outside the image.
 *
 * Two exact algorithms, picked by radius:
 * - `row-bits` (r < 64), in WebAssembly SIMD (morphology-wasm.ts): rows packed
 *   64 pixels per u64 (i8x16.bitmask gathers the thresholded bits); each row is
 *   dilated horizontally by every distinct half-width of the disc, and an
 *   output row is the OR of the 2r+1 neighbouring rows, each taken at the
 *   half-width its dy allows, unpacked 16 bytes per vector.
 * - `distance` (r ≥ 64): the vertical distance g to the nearest set pixel in
 *   the same column (capped at r+1), then per row every column q with g ≤ r
 *   covers the interval |x−q| ≤ ⌊√(r²−g²)⌋, and the union of those intervals is
 *   painted as merged runs. This is the thresholded form of the exact Euclidean
 *   distance transform and costs O(N) whatever the radius; g is kept as bytes
 *   and updated four columns per int32.
 */

import { discMorphologyWasm, ROW_BITS_MAX_RADIUS } from './morphology-wasm';

/** Pixels at or above this value are set. */
export const MASK_THRESHOLD = 128;

/**
 * From this radius on, `auto` uses the distance path: the row-bits kernel
 * stops at r = 63 (shifts within a 64-bit word). Measured on a 4096² mask
 * (blobs plus noise, bench/mask-morphology.bench.ts), row-bits at r = 63
 * (~45 ms) is still faster than the flat distance path (~105 ms).
 */
export const DISTANCE_PATH_MIN_RADIUS = ROW_BITS_MAX_RADIUS + 1;

export type MorphologyMethod = 'auto' | 'row-bits' | 'distance';

export interface MorphologyOptions {
  /** Forces one algorithm; both are exact, so this only matters for tests and benches. */
  method?: MorphologyMethod;
}

/**
 * Grows (radius > 0) or shrinks (radius < 0) a mask by a disc of |radius| px.
 * Radius 0 only binarizes. Returns a new 0/255 buffer.
 */
export function growShrinkMask(
  data: Uint8Array,
  width: number,
  height: number,
  radius: number,
  options: MorphologyOptions = {},
): Uint8Array {
  return radius >= 0
    ? dilateDisc(data, width, height, radius, options)
    : erodeDisc(data, width, height, -radius, options);
}

/** Binary dilation by a Euclidean disc of `radius` px; outside the image is not set. */
export function dilateDisc(
  data: Uint8Array,
  width: number,
  height: number,
  radius: number,
  options: MorphologyOptions = {},
): Uint8Array {
  return discMorphology(data, width, height, radius, false, options);
}

/** Binary erosion by a Euclidean disc of `radius` px; outside the image counts as set. */
export function erodeDisc(
  data: Uint8Array,
  width: number,
  height: number,
  radius: number,
  options: MorphologyOptions = {},
): Uint8Array {
  return discMorphology(data, width, height, radius, true, options);
}

/**
 * A byte buffer with undefined contents, for outputs the caller writes in
 * full. Node's unpooled Buffer reuses freed memory as is; a zeroed
 * `new Uint8Array` of 16 MB gets fresh pages whose first-touch faults cost
 * 10–25 ms per 4096² mask here, more than the dilation itself.
 */
export function uninitializedBytes(n: number): Uint8Array {
  if (typeof Buffer === 'undefined') return new Uint8Array(n);
  const b = Buffer.allocUnsafeSlow(n);
  return new Uint8Array(b.buffer, b.byteOffset, n);
}

/** 0/255 copy of a mask thresholded at {@link MASK_THRESHOLD}. */
export function binarizeMask(data: Uint8Array): Uint8Array {
  const out = uninitializedBytes(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] >= MASK_THRESHOLD ? 255 : 0;
  return out;
}

/** ⌊√n⌋ exactly, for integers n ≥ 0 (Math.sqrt alone may round up at perfect squares minus one). */
export function isqrt(n: number): number {
  let s = Math.floor(Math.sqrt(n));
  while (s * s > n) s--;
  while ((s + 1) * (s + 1) <= n) s++;
  return s;
}

/** Half-width of the disc's row at vertical offset d, for d = 0..r. */
export function discHalfWidths(radius: number): Int32Array {
  const hw = new Int32Array(radius + 1);
  const r2 = radius * radius;
  for (let d = 0; d <= radius; d++) hw[d] = isqrt(r2 - d * d);
  return hw;
}

function discMorphology(
  data: Uint8Array,
  width: number,
  height: number,
  radius: number,
  invert: boolean,
  options: MorphologyOptions,
): Uint8Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) {
    throw new RangeError(`mask size must be whole pixels, got ${width}×${height}`);
  }
  if (data.length !== width * height) {
    throw new RangeError(`mask data has ${data.length} bytes, expected ${width}×${height}`);
  }
  if (!Number.isInteger(radius) || radius < 0)
    throw new RangeError(`radius must be a whole number ≥ 0, got ${radius}`);
  if (radius === 0 || data.length === 0) return binarizeMask(data);

  const method = options.method ?? 'auto';
  if (method === 'row-bits' && radius > ROW_BITS_MAX_RADIUS)
    throw new RangeError(`the row-bits path takes radii up to ${ROW_BITS_MAX_RADIUS}, got ${radius}`);
  if (method === 'row-bits' || (method === 'auto' && radius < DISTANCE_PATH_MIN_RADIUS)) {
    // Every byte of `out` is written.
    const out = uninitializedBytes(width * height);
    discMorphologyWasm(data, width, height, discHalfWidths(radius), invert, out);
    return out;
  }
  return morphologyDistance(data, width, height, radius, invert);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

// ---------------------------------------------------------------------------
// Distance path

/** Largest cap (r + 1) for which the byte-lane (SWAR) distance path works: g + 1 must stay ≤ 128. */
const SWAR_MAX_CAP = 127;

function morphologyDistance(
  src: Uint8Array,
  width: number,
  height: number,
  r: number,
  invert: boolean,
): Uint8Array {
  return r + 1 <= SWAR_MAX_CAP && LITTLE_ENDIAN
    ? morphologyDistanceSwar(src, width, height, r, invert)
    : morphologyDistanceScalar(src, width, height, r, invert);
}

/**
 * The distance path with g kept as bytes and updated four columns per int32
 * (SWAR). Since g + 1 ≤ 128, per-byte min and saturation need no carries across
 * lanes. Columns whose g is capped are skipped four at a time when painting.
 */
function morphologyDistanceSwar(
  src: Uint8Array,
  width: number,
  height: number,
  r: number,
  invert: boolean,
): Uint8Array {
  const cap = r + 1;
  const cap4 = Math.imul(cap, 0x01010101);
  const toSaturate = Math.imul(127 - cap, 0x01010101);
  const halfWidth = discHalfWidths(r);
  const words = (width + 3) >>> 2;
  const stride = words * 4;
  const inv = invert ? 0x01010101 : 0;
  // Bytes of the last word past the width are outside: never set.
  const tailSet = width & 3 ? (1 << (8 * (width & 3))) - 1 : -1;

  // g rows plus one sentinel row of `cap` below the image.
  // Every word of g is written by the top-down pass or the sentinel fill.
  const g = uninitializedBytes(stride * (height + 1));
  const gw = new Int32Array(g.buffer, g.byteOffset, g.length >>> 2);
  gw.fill(cap4, words * height);
  const rowBytes = new Uint8Array(stride);
  const rowWords = new Int32Array(rowBytes.buffer);

  // Top-down: distance to the nearest set pixel at or above, capped.
  for (let y = 0; y < height; y++) {
    rowBytes.set(src.subarray(y * width, (y + 1) * width));
    const row = y * words;
    for (let k = 0; k < words; k++) {
      let set = Math.imul(((rowWords[k] >>> 7) & 0x01010101) ^ inv, 255);
      if (k === words - 1) set &= tailSet;
      let d = y === 0 ? cap4 : gw[row - words + k] + 0x01010101;
      const over = Math.imul(((d + toSaturate) >>> 7) & 0x01010101, 255);
      d = (d & ~over) | (cap4 & over);
      gw[row + k] = d & ~set;
    }
  }

  const on = invert ? 0 : 255;
  const out = uninitializedBytes(width * height).fill(255 - on);
  for (let y = height - 1; y >= 0; y--) {
    const row = y * words;
    // Finish g: the nearest set pixel below may be closer. Per byte min(g, below + 1).
    let near = false;
    for (let k = 0; k < words; k++) {
      const d = gw[row + k];
      const below = gw[row + words + k] + 0x01010101;
      const belowIsLess = Math.imul((((d | 0x80808080) - below) >>> 7) & 0x01010101, 255);
      const m = (below & belowIsLess) | (d & ~belowIsLess);
      gw[row + k] = m;
      if (m !== cap4) near = true;
    }
    if (!near) continue; // nothing within r rows

    // Paint the union of |x − q| ≤ halfWidth[g(q)], as in the scalar path.
    // Whole words are skipped when capped (nothing near) and taken at once
    // when 0 (four set pixels: each reaches r, the last one farthest).
    const outRow = y * width;
    let runStart = 0;
    let runEnd = 0;
    for (let k = 0; k < words; k++) {
      const v = gw[row + k];
      if (v === cap4) continue;
      const x0 = k * 4;
      if (v === 0 && x0 + 3 < width) {
        if (x0 > runEnd) {
          paint(out, on, outRow + runStart, outRow + runEnd);
          runStart = x0;
        }
        runEnd = Math.max(runEnd, x0 + 3 + r + 1);
        continue;
      }
      for (let j = 0, x = x0; j < 4 && x < width; j++, x++) {
        const d = (v >>> (8 * j)) & 0xff;
        if (d === cap) continue;
        const end = x + halfWidth[d] + 1;
        if (x > runEnd) {
          paint(out, on, outRow + runStart, outRow + runEnd);
          runStart = x;
          runEnd = end;
        } else if (end > runEnd) runEnd = end;
      }
    }
    paint(out, on, outRow + runStart, outRow + Math.min(runEnd, width));

    runStart = width;
    runEnd = width;
    for (let k = words - 1; k >= 0; k--) {
      const v = gw[row + k];
      if (v === cap4) continue;
      const x0 = k * 4;
      if (v === 0 && x0 + 3 < width) {
        // The rightmost pixel was painted going right; its left half starts the run.
        if (x0 + 3 < runStart - 1) {
          paint(out, on, outRow + runStart, outRow + runEnd);
          runEnd = x0 + 3;
        }
        runStart = Math.min(runStart, x0 - r);
        continue;
      }
      for (let j = 3, x = x0 + 3; j >= 0; j--, x--) {
        if (x >= width) continue;
        const d = (v >>> (8 * j)) & 0xff;
        if (d === cap) continue;
        const start = x - halfWidth[d];
        if (x < runStart - 1) {
          paint(out, on, outRow + runStart, outRow + runEnd);
          runStart = start;
          runEnd = x;
        } else if (start < runStart) runStart = start;
      }
    }
    paint(out, on, outRow + Math.max(runStart, 0), outRow + runEnd);
  }
  return out;
}

function morphologyDistanceScalar(
  src: Uint8Array,
  width: number,
  height: number,
  r: number,
  invert: boolean,
): Uint8Array {
  const n = width * height;
  const cap = r + 1;
  const inv = invert ? 1 : 0;
  const on = invert ? 0 : 255;
  const halfWidth = discHalfWidths(r);

  // g = vertical distance to the nearest set pixel in the same column, capped at r+1
  // ("too far to matter"). One extra row of `cap` below the image spares the
  // bottom-up pass a bounds check. Uint8 when it fits halves the memory traffic.
  const g = cap <= 255 ? new Uint8Array(n + width) : new Uint16Array(n + width);
  g.fill(cap, n);
  // Top-down: distance to the nearest set pixel at or above.
  for (let x = 0; x < width; x++) g[x] = ((src[x] >>> 7) ^ inv) === 1 ? 0 : cap;
  for (let i = width; i < n; i++) {
    if (((src[i] >>> 7) ^ inv) === 1) g[i] = 0;
    else {
      const d = g[i - width] + 1;
      g[i] = d < cap ? d : cap;
    }
  }

  const out = new Uint8Array(n);
  if (invert) out.fill(255);
  // Bottom-up: finish g for the row (the nearest below may be closer), then paint
  // the union of the row's intervals |x − q| ≤ halfWidth[g(q)]: the right halves
  // left to right, the left halves right to left. In each direction the covered
  // part is one run ending at the farthest reach so far, so runs are merged
  // before painting and every pixel is painted at most twice, whatever r.
  for (let row = n - width; row >= 0; row -= width) {
    let runStart = 0;
    let runEnd = 0; // exclusive; empty run
    for (let x = 0; x < width; x++) {
      const i = row + x;
      let d = g[i];
      const below = g[i + width] + 1;
      if (below < d) {
        d = below;
        g[i] = d;
      }
      if (d < cap) {
        const end = x + halfWidth[d] + 1;
        if (x > runEnd) {
          paint(out, on, row + runStart, row + runEnd);
          runStart = x;
          runEnd = end;
        } else if (end > runEnd) runEnd = end;
      }
    }
    if (runEnd === 0) continue; // nothing within r rows
    paint(out, on, row + runStart, row + Math.min(runEnd, width));

    runStart = width; // inclusive
    runEnd = width; // exclusive; empty run
    for (let x = width - 1; x >= 0; x--) {
      const d = g[row + x];
      if (d < cap) {
        const start = x - halfWidth[d];
        if (x < runStart - 1) {
          paint(out, on, row + runStart, row + runEnd);
          runStart = start;
          runEnd = x;
        } else if (start < runStart) runStart = start;
      }
    }
    paint(out, on, row + Math.max(runStart, 0), row + runEnd);
  }
  return out;
}

/** out[from..to) = value; short runs by hand, since a native fill call costs more than a few stores. */
function paint(out: Uint8Array, value: number, from: number, to: number): void {
  if (to - from < 16) for (let i = from; i < to; i++) out[i] = value;
  else out.fill(value, from, to);
}
