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
 * - `row-bits` (r < 32): rows packed 32 pixels per int32; each row is dilated
 *   horizontally by every distinct half-width of the disc (word shifts), and an
 *   output row is the OR of the 2r+1 neighbouring rows, each taken at the
 *   half-width its dy allows. O(N·r/32) word operations plus packing; all-0 and
 *   all-255 runs are packed without bit gathering.
 * - `distance` (r ≥ 32): the vertical distance g to the nearest set pixel in
 *   the same column (capped at r+1), then per row every column q with g ≤ r
 *   covers the interval |x−q| ≤ ⌊√(r²−g²)⌋, and the union of those intervals is
 *   painted as merged runs. This is the thresholded form of the exact Euclidean
 *   distance transform and costs O(N) whatever the radius; g is kept as bytes
 *   and updated four columns per int32.
 */

/** Pixels at or above this value are set. */
export const MASK_THRESHOLD = 128;

/**
 * From this radius on, `auto` uses the distance path. Measured on a 4096²
 * mask (blobs plus noise, bench/mask-morphology.bench.ts): row-bits costs
 * grow with r and meet the flat distance path at about r = 32, which is also
 * where row-bits would need shifts wider than a word.
 */
export const DISTANCE_PATH_MIN_RADIUS = 32;

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
  const useBits = method === 'row-bits' || (method === 'auto' && radius < DISTANCE_PATH_MIN_RADIUS);
  return useBits
    ? morphologyRowBits(data, width, height, radius, invert)
    : morphologyDistance(data, width, height, radius, invert);
}

// ---------------------------------------------------------------------------
// Row-bits path

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** For each byte b of packed bits, pixels 0..3 (LO) and 4..7 (HI) as four 0/255 bytes. */
const UNPACK_LO = new Int32Array(256);
const UNPACK_HI = new Int32Array(256);
for (let b = 0; b < 256; b++) {
  let lo = 0;
  let hi = 0;
  for (let j = 0; j < 4; j++) {
    if (b & (1 << j)) lo |= 0xff << (8 * j);
    if (b & (1 << (j + 4))) hi |= 0xff << (8 * j);
  }
  UNPACK_LO[b] = lo;
  UNPACK_HI[b] = hi;
}

/**
 * Packs 8 pixels (two little-endian int32 of 4 bytes each) into 8 bits, pixel j
 * at bit j, set iff byte ≥ 128. The high bit of every byte is moved to bit 0 or
 * 4 of its lane, and one multiply gathers the four lanes into the top byte (the
 * partial products land on distinct bits, so no carry disturbs it).
 */
function pack8(w0: number, w1: number): number {
  const x = ((w0 >>> 7) & 0x01010101) | ((w1 >>> 3) & 0x10101010);
  return Math.imul(x, 0x01020408) >>> 24;
}

function morphologyRowBits(
  src: Uint8Array,
  width: number,
  height: number,
  r: number,
  invert: boolean,
): Uint8Array {
  const wpr = (width + 31) >>> 5;
  // Each row block: `lead` zero words, the row, `lead` zero words, one guard word.
  // Below r = 32 the margins are just the zero neighbours of the edge words.
  // From 32 on, class rows are grown from each other by shifts, and the margins
  // hold the parts of a grown row that fall outside the image: a later shift by
  // more than 1 px can bring them back inside (a pixel at x = 0 grown by 1
  // reaches x = −1, which shifted by +3 covers x = 2), so they must not be
  // dropped. The guard lets the shift loop read one word past the end.
  const lead = (r + 31) >>> 5;
  const span = wpr + 2 * lead;
  const stride = span + 1;
  const fullGroups = width >>> 5;
  const tailMask = width & 31 ? (1 << (width & 31)) - 1 : -1;
  const inv = invert ? -1 : 0;

  const hw = discHalfWidths(r);
  const widths = Int32Array.from(new Set(hw)).sort();
  const nClasses = widths.length;
  const classOfDy = new Int32Array(r + 1);
  for (let d = 0; d <= r; d++) classOfDy[d] = widths.indexOf(hw[d]);

  // Ring of the last 2r+1 input rows, each dilated horizontally by every class width.
  const ringRows = Math.min(2 * r + 1, height);
  const rowBlock = nClasses * stride;
  const ring = new Int32Array(ringRows * rowBlock);
  const acc = new Int32Array(stride);
  const shiftScratch = new Int32Array(stride);
  const sources = new Int32Array(2 * r + 1);

  // Every byte of `out` is written below.
  const out = uninitializedBytes(width * height);
  const srcWords =
    LITTLE_ENDIAN && src.byteOffset % 4 === 0 && width % 4 === 0
      ? new Int32Array(src.buffer, src.byteOffset, src.length >>> 2)
      : undefined;
  const outWords =
    LITTLE_ENDIAN && width % 4 === 0
      ? new Int32Array(out.buffer, out.byteOffset, out.length >>> 2)
      : undefined;
  // Unaligned rows go through padded, aligned copies; input bytes past the width stay 0 = not set.
  const inRowBytes = new Uint8Array(wpr * 32);
  const inRowWords = new Int32Array(inRowBytes.buffer);
  const outRowBytes = new Uint8Array(wpr * 32);
  const outRowWords = new Int32Array(outRowBytes.buffer);

  const prepareRow = (y: number): void => {
    const base = (y % ringRows) * rowBlock;
    const row0 = base + lead;
    const rowStart = y * width;
    // Class 0 has width 0: the packed row itself.
    if (srcWords) {
      packGroups(srcWords, rowStart >>> 2, fullGroups, ring, row0);
      if (fullGroups < wpr) ring[row0 + fullGroups] = packScalar(src, rowStart + fullGroups * 32, width & 31);
    } else if (LITTLE_ENDIAN) {
      inRowBytes.set(src.subarray(rowStart, rowStart + width));
      packGroups(inRowWords, 0, wpr, ring, row0);
    } else {
      for (let k = 0; k < wpr; k++)
        ring[row0 + k] = packScalar(src, rowStart + k * 32, Math.min(32, width - k * 32));
    }
    if (invert) for (let k = 0; k < wpr; k++) ring[row0 + k] = ~ring[row0 + k];
    // Pixels past the width are outside the image: never set, also after inverting.
    ring[row0 + wpr - 1] &= tailMask;

    if (r < 32) {
      classRowsDirect(ring, row0, wpr, widths, stride);
      return;
    }
    let have = 0;
    let from = base;
    for (let c = 1; c < nClasses; c++) {
      const to = base + c * stride;
      const target = widths[c];
      let stepFrom = from;
      // Growing a run of half-width a by ±s keeps it one interval while s ≤ 2a+1.
      while (have < target) {
        const s = Math.min(target - have, 2 * have + 1);
        if (s < 32) dilateRowStepNear(ring, stepFrom, to, span, s);
        else dilateRowStepFar(ring, stepFrom, to, span, s, shiftScratch);
        stepFrom = to;
        have += s;
      }
      from = to;
    }
  };

  for (let y = 0; y < Math.min(r, height); y++) prepareRow(y);
  for (let y = 0; y < height; y++) {
    if (y + r < height) prepareRow(y + r);
    const dyMin = Math.max(-r, -y);
    const dyMax = Math.min(r, height - 1 - y);
    let n = 0;
    for (let dy = dyMin; dy <= dyMax; dy++) {
      sources[n++] = ((y + dy) % ringRows) * rowBlock + classOfDy[dy < 0 ? -dy : dy] * stride + lead;
    }
    const rowStart = y * width;
    if (outWords && n <= 9 && fullGroups === wpr) {
      orUnpack9(ring, sources, n, wpr, inv, outWords, rowStart >>> 2, UNPACK_LO, UNPACK_HI);
      continue;
    }
    orRows9(ring, sources, n, acc, wpr, inv);
    if (outWords) {
      unpackGroups(acc, outWords, rowStart >>> 2, fullGroups);
      if (fullGroups < wpr) unpackScalar(acc[fullGroups], out, rowStart + fullGroups * 32, width & 31);
    } else if (LITTLE_ENDIAN) {
      unpackGroups(acc, outRowWords, 0, wpr);
      out.set(outRowBytes.subarray(0, width), rowStart);
    } else {
      for (let k = 0; k < wpr; k++)
        unpackScalar(acc[k], out, rowStart + k * 32, Math.min(32, width - k * 32));
    }
  }
  return out;
}

/**
 * Every class row at once for radii below 32: each word of a class row is the
 * word and its two neighbours shifted by up to the class width, accumulated in
 * a register while the width grows. Exact without margins, as nothing passes
 * through a clipped intermediate row.
 */
function classRowsDirect(
  ring: Int32Array,
  row0: number,
  wpr: number,
  widths: Int32Array,
  stride: number,
): void {
  const nClasses = widths.length;
  const maxWidth = widths[nClasses - 1];
  for (let k = 0; k < wpr; k++) {
    const x = ring[row0 + k];
    const before = ring[row0 + k - 1];
    const after = ring[row0 + k + 1];
    if ((x | before | after) === 0 || x === -1) {
      for (let c = 1, o = row0 + stride + k; c < nClasses; c++, o += stride) ring[o] = x;
      continue;
    }
    let t = x;
    for (let s = 1, c = 1; s <= maxWidth; s++) {
      t |= (x << s) | (before >>> (32 - s)) | (x >>> s) | (after << (32 - s));
      if (s === widths[c]) {
        ring[row0 + c * stride + k] = t;
        c++;
      }
    }
  }
}

/**
 * acc = (OR of the n rows starting at ring[sources[j]]) XOR inv, nine rows per
 * sweep with the offsets in locals (radius 4 needs exactly one sweep). Missing
 * sources repeat the first, which changes nothing in an OR.
 */
function orRows9(
  ring: Int32Array,
  sources: Int32Array,
  n: number,
  acc: Int32Array,
  wpr: number,
  inv: number,
): void {
  for (let j = 0; j < n; j += 9) {
    const s0 = sources[j];
    const s1 = j + 1 < n ? sources[j + 1] : s0;
    const s2 = j + 2 < n ? sources[j + 2] : s0;
    const s3 = j + 3 < n ? sources[j + 3] : s0;
    const s4 = j + 4 < n ? sources[j + 4] : s0;
    const s5 = j + 5 < n ? sources[j + 5] : s0;
    const s6 = j + 6 < n ? sources[j + 6] : s0;
    const s7 = j + 7 < n ? sources[j + 7] : s0;
    const s8 = j + 8 < n ? sources[j + 8] : s0;
    const first = j === 0;
    const last = j + 9 >= n;
    for (let k = 0; k < wpr; k++) {
      let v =
        ring[s0 + k] |
        ring[s1 + k] |
        ring[s2 + k] |
        ring[s3 + k] |
        ring[s4 + k] |
        ring[s5 + k] |
        ring[s6 + k] |
        ring[s7 + k] |
        ring[s8 + k];
      if (!first) v |= acc[k];
      acc[k] = last ? v ^ inv : v;
    }
  }
}

/** Packs `groups` runs of 32 bytes (8 int32 each, from word `wi`) into one int32 each at `dst`. */
function packGroups(words: Int32Array, wi: number, groups: number, ring: Int32Array, dst: number): void {
  for (let k = 0; k < groups; k++, wi += 8) {
    // Masks are mostly runs of 0 or 255; those need no bit gathering.
    const any =
      words[wi] |
      words[wi + 1] |
      words[wi + 2] |
      words[wi + 3] |
      words[wi + 4] |
      words[wi + 5] |
      words[wi + 6] |
      words[wi + 7];
    if (any === 0) {
      ring[dst + k] = 0;
      continue;
    }
    if (
      (words[wi] &
        words[wi + 1] &
        words[wi + 2] &
        words[wi + 3] &
        words[wi + 4] &
        words[wi + 5] &
        words[wi + 6] &
        words[wi + 7]) ===
      -1
    ) {
      ring[dst + k] = -1;
      continue;
    }
    ring[dst + k] =
      pack8(words[wi], words[wi + 1]) |
      (pack8(words[wi + 2], words[wi + 3]) << 8) |
      (pack8(words[wi + 4], words[wi + 5]) << 16) |
      (pack8(words[wi + 6], words[wi + 7]) << 24);
  }
}

/** Packs `count` ≤ 32 bytes from `start` into one int32 (for row tails and big-endian hosts). */
function packScalar(src: Uint8Array, start: number, count: number): number {
  let word = 0;
  for (let j = 0; j < count; j++) if (src[start + j] >= MASK_THRESHOLD) word |= 1 << j;
  return word;
}

/**
 * ring[to] = a ∪ (a shifted by ±s) for the `n` words a at ring[from], 0 < s < 32.
 * Bits shifted past either end are dropped; the row's margins are wide enough
 * that those are always 0. Safe in place: each word is read before it is written.
 */
function dilateRowStepNear(ring: Int32Array, from: number, to: number, n: number, s: number): void {
  const t = 32 - s;
  let prev = 0;
  let cur = ring[from];
  for (let k = 0; k < n; k++) {
    const next = ring[from + k + 1];
    ring[to + k] = cur | (cur << s) | (prev >>> t) | (cur >>> s) | (next << t);
    prev = cur;
    cur = next;
  }
}

/** The same for s ≥ 32 (only very large forced radii get there), through a scratch row. */
function dilateRowStepFar(
  ring: Int32Array,
  from: number,
  to: number,
  n: number,
  s: number,
  scratch: Int32Array,
): void {
  const q = s >>> 5;
  const t = s & 31;
  const word = (k: number): number => (k >= 0 && k < n ? ring[from + k] : 0);
  for (let k = 0; k < n; k++) {
    const up = t === 0 ? word(k - q) : (word(k - q) << t) | (word(k - q - 1) >>> (32 - t));
    const down = t === 0 ? word(k + q) : (word(k + q) >>> t) | (word(k + q + 1) << (32 - t));
    scratch[k] = ring[from + k] | up | down;
  }
  ring.set(scratch.subarray(0, n), to);
}

/** One sweep of up to nine source rows ORed, XOR inv, written straight out as 0/255 bytes. */
function orUnpack9(
  ring: Int32Array,
  sources: Int32Array,
  n: number,
  wpr: number,
  inv: number,
  words: Int32Array,
  o: number,
  lo: Int32Array,
  hi: Int32Array,
): void {
  const s0 = sources[0];
  const s1 = 1 < n ? sources[1] : s0;
  const s2 = 2 < n ? sources[2] : s0;
  const s3 = 3 < n ? sources[3] : s0;
  const s4 = 4 < n ? sources[4] : s0;
  const s5 = 5 < n ? sources[5] : s0;
  const s6 = 6 < n ? sources[6] : s0;
  const s7 = 7 < n ? sources[7] : s0;
  const s8 = 8 < n ? sources[8] : s0;
  for (let k = 0; k < wpr; k++, o += 8) {
    const v =
      (ring[s0 + k] |
        ring[s1 + k] |
        ring[s2 + k] |
        ring[s3 + k] |
        ring[s4 + k] |
        ring[s5 + k] |
        ring[s6 + k] |
        ring[s7 + k] |
        ring[s8 + k]) ^
      inv;
    if (v === 0 || v === -1) {
      words[o] = v;
      words[o + 1] = v;
      words[o + 2] = v;
      words[o + 3] = v;
      words[o + 4] = v;
      words[o + 5] = v;
      words[o + 6] = v;
      words[o + 7] = v;
      continue;
    }
    let b = v & 0xff;
    words[o] = lo[b];
    words[o + 1] = hi[b];
    b = (v >>> 8) & 0xff;
    words[o + 2] = lo[b];
    words[o + 3] = hi[b];
    b = (v >>> 16) & 0xff;
    words[o + 4] = lo[b];
    words[o + 5] = hi[b];
    b = v >>> 24;
    words[o + 6] = lo[b];
    words[o + 7] = hi[b];
  }
}

/** Writes `groups` words of acc as 0/255 bytes (8 int32 per word). */
function unpackGroups(acc: Int32Array, words: Int32Array, o: number, groups: number): void {
  for (let k = 0; k < groups; k++, o += 8) {
    const v = acc[k];
    if (v === 0 || v === -1) {
      words[o] = v;
      words[o + 1] = v;
      words[o + 2] = v;
      words[o + 3] = v;
      words[o + 4] = v;
      words[o + 5] = v;
      words[o + 6] = v;
      words[o + 7] = v;
      continue;
    }
    let b = v & 0xff;
    words[o] = UNPACK_LO[b];
    words[o + 1] = UNPACK_HI[b];
    b = (v >>> 8) & 0xff;
    words[o + 2] = UNPACK_LO[b];
    words[o + 3] = UNPACK_HI[b];
    b = (v >>> 16) & 0xff;
    words[o + 4] = UNPACK_LO[b];
    words[o + 5] = UNPACK_HI[b];
    b = v >>> 24;
    words[o + 6] = UNPACK_LO[b];
    words[o + 7] = UNPACK_HI[b];
  }
}

/** Writes the low `count` ≤ 32 bits of v as 0/255 bytes from `start`. */
function unpackScalar(v: number, out: Uint8Array, start: number, count: number): void {
  for (let j = 0; j < count; j++) out[start + j] = (v >>> j) & 1 ? 255 : 0;
}

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
