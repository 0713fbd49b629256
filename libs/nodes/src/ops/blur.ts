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
 * Masks are mostly flat, and a pixel whose neighbourhood within the boxes'
 * reach is constant keeps its value; only rows and column blocks near a change
 * are blurred (see boxRows and verticalSegments). The result is identical to
 * blurring everything.
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

/** Below this radius the Gaussian kernel is applied directly (3 or 5 taps). */
export const BOX_BLUR_MIN_RADIUS = 3;

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

  const sigma = blurSigmaForRadius(radius);
  const rows = new Uint16Array(width * height);
  if (radius < BOX_BLUR_MIN_RADIUS) {
    const out = uninitializedBytes(width * height); // every byte written
    const kernel = gaussianKernel(sigma, Math.ceil(3 * sigma));
    kernelRows(data, rows, width, height, kernel);
    kernelColumns(rows, out, width, height, kernel);
    return out;
  }

  const box = extendedBoxFor(sigma);
  const pad = box.l + 1;
  const reach = PASSES * pad;
  // Masks are mostly flat: a pixel whose ±R neighbourhood (R = the boxes'
  // reach) is constant keeps its value. So the output starts as a copy, the
  // row pass blurs only row segments near a change along the row, and the
  // column pass only column blocks near a change between rows.
  const out = uninitializedBytes(data.length);
  out.set(data);
  // `rows` holds the row pass's 8.8 result + 1 where it blurred, 0 where the row is flat.
  boxRows(data, rows, out, width, height, box);
  const segments = verticalSegments(data, width, height, reach);
  const longest = segments.longest;
  const input = new Uint16Array(segments.widest * (longest + 6 * pad));
  const s1 = new Uint16Array(segments.widest * (longest + 4 * pad));
  const s2 = new Uint16Array(segments.widest * (longest + 2 * pad));
  const sum = new Float64Array(segments.widest);
  const list = segments.list;
  for (let i = 0; i < list.length; i += 4) {
    const x0 = list[i];
    const cols = list[i + 1];
    const ya = list[i + 2];
    const yb = list[i + 3];
    const n = yb - ya + 1;
    // Each pass runs on the rows the next still needs, from input rows extended
    // by R past the segment (replicating the image's first and last rows), so
    // the result is identical to blurring whole columns of the replicated mask.
    gatherRows(data, rows, width, height, x0, cols, ya - reach, n + 2 * reach, input);
    const source = { data: input, offset: 0, stride: cols, first: ya - reach, last: yb + reach };
    verticalBox(source, s1, 0, cols, cols, ya - 2 * pad, n + 4 * pad, box, sum);
    const pass1 = { data: s1, offset: 0, stride: cols, first: ya - 2 * pad, last: yb + 2 * pad };
    verticalBox(pass1, s2, 0, cols, cols, ya - pad, n + 2 * pad, box, sum);
    const pass2 = { data: s2, offset: 0, stride: cols, first: ya - pad, last: yb + pad };
    verticalBoxToBytes(pass2, out, ya * width + x0, width, cols, ya, n, box, sum);
  }
  return out;
}

/**
 * Copies the row pass's result for rows y0..y0+count−1 (clamped to the image)
 * of columns x0..x0+cols−1 into `dst`: the blurred value where there is one,
 * else the flat mask value.
 */
function gatherRows(
  mask: Uint8Array,
  rows: Uint16Array,
  width: number,
  height: number,
  x0: number,
  cols: number,
  y0: number,
  count: number,
  dst: Uint16Array,
): void {
  for (let k = 0; k < count; k++) {
    const y = y0 + k < 0 ? 0 : y0 + k >= height ? height - 1 : y0 + k;
    const from = y * width + x0;
    const to = k * cols;
    for (let c = 0; c < cols; c++) {
      const v = rows[from + c];
      dst[to + c] = v !== 0 ? v - 1 : mask[from + c] << FRACTION_BITS;
    }
  }
}

/** Columns per block of the vertical pass: 16 keeps the blocks around lone dots small. */
const COLUMN_BLOCK = 16;

/** Mostly active neighbouring blocks are blurred together in strips up to this wide (fewer, longer loops). */
const STRIP_COLUMNS = 256;

interface VerticalSegments {
  /** Flat quadruples (x0, cols, ya, yb): blur rows ya..yb of columns x0..x0+cols−1. */
  list: number[];
  longest: number;
  widest: number;
}

/**
 * The parts the vertical pass must blur: per block of columns, the rows within
 * R of a change between two rows of the mask near the block (the row pass
 * spreads a change R columns sideways). A block that would be mostly active is
 * taken whole, and runs of whole blocks are merged into strips.
 */
function verticalSegments(src: Uint8Array, width: number, height: number, reach: number): VerticalSegments {
  const blocks = Math.ceil(width / COLUMN_BLOCK);
  const perBlock: number[][] = Array.from({ length: blocks }, () => []);
  const segStart = new Int32Array(blocks).fill(-1);
  const segEnd = new Int32Array(blocks).fill(-1);
  const flush = (b: number): void => {
    if (segEnd[b] >= 0) perBlock[b].push(segStart[b], segEnd[b]);
  };
  // Rows compared four pixels at a time through aligned copies.
  const words = (width + 3) >>> 2;
  let prevBytes = new Uint8Array(words * 4);
  let curBytes = new Uint8Array(words * 4);
  let prev = new Int32Array(prevBytes.buffer);
  let cur = new Int32Array(curBytes.buffer);
  prevBytes.set(src.subarray(0, width));
  for (let y = 1; y < height; y++) {
    curBytes.set(src.subarray(y * width, (y + 1) * width));
    let lastBlock = -1;
    for (let k = 0; k < words; k++) {
      if (cur[k] === prev[k]) continue;
      // Rows y−1 and y differ in columns 4k..4k+3: outputs in rows y−R ..
      // y+R−1 of the columns within R of those may change.
      const from = Math.max(y - reach, 0);
      const to = Math.min(y + reach - 1, height - 1);
      const bLast = Math.min(Math.floor((4 * k + 3 + reach) / COLUMN_BLOCK), blocks - 1);
      for (let b = Math.max(Math.floor((4 * k - reach) / COLUMN_BLOCK), lastBlock + 1); b <= bLast; b++) {
        if (segEnd[b] >= 0 && from <= segEnd[b] + 2 * reach) segEnd[b] = to;
        else {
          flush(b);
          segStart[b] = from;
          segEnd[b] = to;
        }
      }
      lastBlock = bLast;
    }
    [prevBytes, curBytes, prev, cur] = [curBytes, prevBytes, cur, prev];
  }

  const list: number[] = [];
  let longest = 0;
  let widest = 0;
  let stripStart = -1; // first block of a run of whole blocks
  const endStrip = (bEnd: number): void => {
    for (let b0 = stripStart; b0 < bEnd; b0 += STRIP_COLUMNS / COLUMN_BLOCK) {
      const x0 = b0 * COLUMN_BLOCK;
      const cols = Math.min(Math.min(bEnd, b0 + STRIP_COLUMNS / COLUMN_BLOCK) * COLUMN_BLOCK, width) - x0;
      list.push(x0, cols, 0, height - 1);
      widest = Math.max(widest, cols);
      longest = height;
    }
    stripStart = -1;
  };
  for (let b = 0; b < blocks; b++) {
    flush(b);
    const segs = perBlock[b];
    let active = 0;
    for (let i = 0; i < segs.length; i += 2) active += segs[i + 1] - segs[i] + 1 + 2 * reach;
    if (active > height / 2) {
      if (stripStart < 0) stripStart = b;
      continue;
    }
    if (stripStart >= 0) endStrip(b);
    const x0 = b * COLUMN_BLOCK;
    const cols = Math.min(COLUMN_BLOCK, width - x0);
    for (let i = 0; i < segs.length; i += 2) {
      list.push(x0, cols, segs[i], segs[i + 1]);
      longest = Math.max(longest, segs[i + 1] - segs[i] + 1);
      widest = Math.max(widest, cols);
    }
  }
  if (stripStart >= 0) endStrip(blocks);
  return { list, longest, widest };
}

/** Normalised Gaussian taps −k..k (they sum to 1, so constants are preserved). */
export function gaussianKernel(sigma: number, k: number): Float64Array {
  const taps = new Float64Array(2 * k + 1);
  let total = 0;
  for (let i = -k; i <= k; i++) total += taps[i + k] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < taps.length; i++) taps[i] /= total;
  return taps;
}

/** Horizontal direct convolution into 8.8 fixed point; borders replicate. */
function kernelRows(
  src: Uint8Array,
  dst: Uint16Array,
  width: number,
  height: number,
  taps: Float64Array,
): void {
  const k = (taps.length - 1) >> 1;
  const padded = new Float64Array(width + 2 * k);
  for (let row = 0; row < width * height; row += width) {
    for (let x = 0; x < width; x++) padded[k + x] = src[row + x] * (1 << FRACTION_BITS);
    for (let j = 0; j < k; j++) {
      padded[j] = padded[k];
      padded[k + width + j] = padded[k + width - 1];
    }
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let j = 0; j < taps.length; j++) acc += taps[j] * padded[x + j];
      dst[row + x] = (acc + 0.5) | 0;
    }
  }
}

/** Vertical direct convolution from 8.8 fixed point into bytes; borders replicate. */
function kernelColumns(
  src: Uint16Array,
  dst: Uint8Array,
  width: number,
  height: number,
  taps: Float64Array,
): void {
  const k = (taps.length - 1) >> 1;
  const scale = 1 / (1 << FRACTION_BITS);
  const rowOf = new Int32Array(taps.length);
  for (let y = 0; y < height; y++) {
    for (let j = 0; j < taps.length; j++) rowOf[j] = Math.min(Math.max(y + j - k, 0), height - 1) * width;
    const row = y * width;
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let j = 0; j < taps.length; j++) acc += taps[j] * src[rowOf[j] + x];
      dst[row + x] = (acc * scale + 0.5) | 0;
    }
  }
}

/**
 * All PASSES horizontal boxes, row by row, in 8.8 fixed point.
 *
 * Each pass runs on the row extended by the boxes' full reach R with
 * replicated edge pixels, over the part the later passes still need, so the
 * result equals one blur of the replicated row (as OpenCV's BORDER_REPLICATE),
 * also where an edge meets the border at an angle.
 *
 * Only segments within R of a change along the row are blurred, each as its
 * own row extended by R: the input there is constant up to R beyond the
 * segment's ends (or is the row's replicated border), so the result is
 * identical to blurring the whole row. Blurred pixels get value + 1 in `rows`
 * and their rounded value in `out`; the rest is left alone.
 */
function boxRows(
  src: Uint8Array,
  rows: Uint16Array,
  out: Uint8Array,
  width: number,
  height: number,
  box: ExtendedBox,
): void {
  const reach = PASSES * (box.l + 1);
  const work = { cur: new Int32Array(width + 2 * reach), next: new Int32Array(width + 2 * reach) };
  // Rows are scanned four pixels at a time through an aligned copy whose
  // bytes past the width repeat the last pixel (no change there).
  const words = (width + 3) >>> 2;
  const rowBytes = new Uint8Array(words * 4);
  const rowWords = new Int32Array(rowBytes.buffer);
  for (let row = 0; row < width * height; row += width) {
    rowBytes.set(src.subarray(row, row + width));
    rowBytes.fill(src[row + width - 1], width);
    let v = rowBytes[0];
    let segStart = -1;
    let segEnd = -1;
    for (let k = 0; k < words; k++) {
      if (rowWords[k] === Math.imul(v, 0x01010101)) continue;
      for (let x = 4 * k; x < 4 * k + 4; x++) {
        if (rowBytes[x] === v) continue;
        v = rowBytes[x];
        // A change between x−1 and x affects pixels x−R .. x−1+R. Nearby
        // segments are merged: each costs its length plus 2R.
        const from = Math.max(x - reach, 0);
        const to = Math.min(x - 1 + reach, width - 1);
        if (segEnd >= 0 && from <= segEnd + 2 * reach) segEnd = to;
        else {
          if (segEnd >= 0) blurSegment(src, rows, out, row, width, segStart, segEnd, box, work);
          segStart = from;
          segEnd = to;
        }
      }
    }
    if (segEnd >= 0) blurSegment(src, rows, out, row, width, segStart, segEnd, box, work);
  }
}

/** Blurs row pixels a..b (inclusive) from the row extended by R (clamped indices replicate the border). */
function blurSegment(
  src: Uint8Array,
  rows: Uint16Array,
  out: Uint8Array,
  row: number,
  width: number,
  a: number,
  b: number,
  box: ExtendedBox,
  work: { cur: Int32Array; next: Int32Array },
): void {
  const { l, alpha } = box;
  const pad = l + 1;
  const reach = PASSES * pad;
  const norm = 1 / (2 * l + 1 + 2 * alpha);
  const len = b - a + 1 + 2 * reach;
  let cur = work.cur;
  let next = work.next;
  for (let i = 0, x = a - reach; i < len; i++, x++) {
    cur[i] = src[row + (x < 0 ? 0 : x >= width ? width - 1 : x)] << FRACTION_BITS;
  }
  for (let p = 1; p <= PASSES; p++) {
    horizontalBox(cur, next, p * pad, len - p * pad, l, alpha, norm);
    const t = cur;
    cur = next;
    next = t;
  }
  for (let x = a; x <= b; x++) {
    const v = cur[reach + x - a];
    rows[row + x] = v + 1;
    out[row + x] = (v + (1 << (FRACTION_BITS - 1))) >> FRACTION_BITS;
  }
}

/**
 * One box over positions [from, to) of a row; it reads pad = l+1 further on
 * each side. The running sum holds taps −l..l; the ends weigh alpha.
 */
function horizontalBox(
  cur: Int32Array,
  next: Int32Array,
  from: number,
  to: number,
  l: number,
  alpha: number,
  norm: number,
): void {
  let sum = 0;
  for (let j = from - l; j <= from + l; j++) sum += cur[j];
  for (let i = from; i < to; i++) {
    const entering = cur[i + l + 1];
    next[i] = ((sum + alpha * (cur[i - l - 1] + entering)) * norm + 0.5) | 0;
    sum += entering - cur[i - l];
  }
}

/** Rows `first..last` of an image of 8.8 values; reads outside clamp to them (replicate). */
interface RowSource {
  data: Uint16Array;
  offset: number;
  stride: number;
  first: number;
  last: number;
}

function rowStart(src: RowSource, y: number): number {
  const r = y < src.first ? src.first : y > src.last ? src.last : y;
  return src.offset + (r - src.first) * src.stride;
}

/**
 * One vertical box for `count` rows from row y0 (in the source's row
 * numbering) over `cols` columns, row by row with a running sum per column.
 */
function verticalBox(
  src: RowSource,
  dst: Uint16Array,
  dstOff: number,
  dstStride: number,
  cols: number,
  y0: number,
  count: number,
  box: ExtendedBox,
  sum: Float64Array,
): void {
  const { l, alpha } = box;
  const norm = 1 / (2 * l + 1 + 2 * alpha);
  const data = src.data;
  sum.fill(0);
  for (let y = y0 - l; y <= y0 + l; y++) {
    const r = rowStart(src, y);
    for (let x = 0; x < cols; x++) sum[x] += data[r + x];
  }
  for (let k = 0; k < count; k++) {
    const y = y0 + k;
    const out = dstOff + k * dstStride;
    const before = rowStart(src, y - l - 1);
    const after = rowStart(src, y + l + 1);
    const leaving = rowStart(src, y - l);
    for (let x = 0; x < cols; x++) {
      const entering = data[after + x];
      dst[out + x] = ((sum[x] + alpha * (data[before + x] + entering)) * norm + 0.5) | 0;
      sum[x] += entering - data[leaving + x];
    }
  }
}

/** The last vertical box for `count` rows from row y0, dropping the fixed-point fraction into bytes. */
function verticalBoxToBytes(
  src: RowSource,
  dst: Uint8Array,
  dstOff: number,
  dstStride: number,
  cols: number,
  y0: number,
  count: number,
  box: ExtendedBox,
  sum: Float64Array,
): void {
  const { l, alpha } = box;
  const norm = 1 / ((2 * l + 1 + 2 * alpha) * (1 << FRACTION_BITS));
  const data = src.data;
  sum.fill(0);
  for (let y = y0 - l; y <= y0 + l; y++) {
    const r = rowStart(src, y);
    for (let x = 0; x < cols; x++) sum[x] += data[r + x];
  }
  for (let k = 0; k < count; k++) {
    const y = y0 + k;
    const out = dstOff + k * dstStride;
    const before = rowStart(src, y - l - 1);
    const after = rowStart(src, y + l + 1);
    const leaving = rowStart(src, y - l);
    for (let x = 0; x < cols; x++) {
      const entering = data[after + x];
      dst[out + x] = ((sum[x] + alpha * (data[before + x] + entering)) * norm + 0.5) | 0;
      sum[x] += entering - data[leaving + x];
    }
  }
}
