/**
 * MaskBlur in WebAssembly SIMD (AssemblyScript), driven by
 * libs/nodes/src/ops/blur-wasm.ts, which owns the memory layout and streams
 * the mask through in bands of rows. Build: `npm run build:wasm`
 * (blur.asconfig.json beside this file).
 *
 * The arithmetic is the one libs/nodes/src/ops/blur.ts documents, in f64x2
 * lanes, operation for operation, so the result is the same to the bit as
 * doing it in JS doubles. A box computes
 * floor((sum + alpha·(before + entering))·norm + 0.5) with an exact integer
 * running sum; the Gaussian taps (radius < 3) floor(Σ tap·value + 0.5),
 * summed in tap order. Values between the row and column pass, and between
 * boxes, are 8.8 fixed point (whole numbers held in f64). All constants
 * (alpha, the norms, the taps) come from JS.
 *
 * Per band of output rows [y0, y1), with R the reach of the blur (3(l + 1)
 * for the boxes, the taps' half-width otherwise):
 * - Row pass, 8 rows at a time: the rows' own 8.8 copies (value << 8), then
 *   the blur over the column ranges within R of a change along any of the 8
 *   rows, the 8 rows side by side in 4 f64x2 lanes. The results (H) go to a
 *   ring of rows that holds [y0 − R, y1 + R).
 * - Column pass: the output rows start as what the blur gives for a column
 *   of constant H (H rounded to a byte, see `ties`); then per block of 16
 *   columns, the row ranges within R of a change between two mask rows within
 *   R of the block are blurred, 16 columns side by side in 8 f64x2 lanes.
 * A blur of a constant is that constant exactly (for every 8.8 value; the
 * column pass rounds it to a byte), so skipping flat parts changes nothing:
 * the result is that of blurring every row and column of the
 * border-replicated mask.
 *
 * The three boxes of one pass run as a pipeline over one ring per box (a
 * power of two ≥ 2(l + 1) + 16 entries): box k at position q needs box k − 1
 * at q ± (l + 1), so 16 positions at a time go through all three boxes while
 * the data is in L1, each box keeping its running sums in locals.
 */

/** 2^52: adding it to a whole f64 below 2^31 leaves the number in the low 32 bits. */
const MAGIC: f64 = 4503599627370496.0;

// ---- State, set by init ----
let width: i32 = 0;
let height: i32 = 0;
let l: i32 = 0;
let pad: i32 = 0; // l + 1
let reach: i32 = 0; // 3 · pad
let ringMask: i32 = 0;
let alpha: f64 = 0;
let norm: f64 = 0;
let normFinal: f64 = 0;
let taps: usize = 0; // Gaussian taps (f64), or none
let tapCount: i32 = 0; // 0: the boxes
// Ranges to blur closer than this (R) are merged: restarting the boxes after a
// gap costs about 3R box steps (reading R ahead, two boxes 2(l + 1) and l + 1
// ahead, the first sums), blurring the gap about 3.3 per row or column.
let mergeGap: i32 = 0;
let srcRing: usize = 0; // mask rows, `width` bytes apart, row y in slot y % srcCap
let srcCap: i32 = 0;
let hRing: usize = 0; // H rows (u16), `hStride` bytes apart, row y in slot y % hCap
let hCap: i32 = 0;
let hStride: i32 = 0;
let hRings: usize = 0; // row pass: 3 rings of (ringMask + 1) entries of 64 bytes
let vRings: usize = 0; // column pass: 3 rings of (ringMask + 1) entries of 128 bytes
let sums: usize = 0; // 3 running sums of 128 bytes
let hOut: usize = 0; // row pass result of one range: u16x8 per column
let segStart: usize = 0; // per block: pending row range of the column pass, or end −1
let segEnd: usize = 0;
let blocks: i32 = 0;
let tmp: usize = 0; // 16 bytes for the last, partial block, then 8 row pointers
let hRows: usize = 0; // per band: u32 pointer to the H row of y0 − R + i, clamped to the image
let ties: usize = 0; // the last box on a flat column of 8.8 value 256c + 128, per c (255 bytes)
let hNext: i32 = 0; // next H row to compute
let out: usize = 0; // output rows of the current band
let outY0: i32 = 0;
// The 8 mask rows of the current row-pass group and their H rows (rows past the group repeat its last).
let r0: usize = 0;
let r1: usize = 0;
let r2: usize = 0;
let r3: usize = 0;
let r4: usize = 0;
let r5: usize = 0;
let r6: usize = 0;
let r7: usize = 0;
let h0: usize = 0;
let h1: usize = 0;
let h2: usize = 0;
let h3: usize = 0;
let h4: usize = 0;
let h5: usize = 0;
let h6: usize = 0;
let h7: usize = 0;

/**
 * Sets up a blur of a width × height mask: three extended boxes (l, alpha,
 * norms) or, with tapCount > 0, the Gaussian taps at tapsPtr directly. The
 * pointers are the regions blur-wasm.ts lays out.
 */
export function init(
  w: i32,
  h: i32,
  boxL: i32,
  boxAlpha: f64,
  boxNorm: f64,
  boxNormFinal: f64,
  tapsPtr: usize,
  count: i32,
  ringEntries: i32,
  srcRingPtr: usize,
  srcRingRows: i32,
  hRingPtr: usize,
  hRingRows: i32,
  hRowStride: i32,
  hRingsPtr: usize,
  vRingsPtr: usize,
  sumsPtr: usize,
  hOutPtr: usize,
  segStartPtr: usize,
  segEndPtr: usize,
  tmpPtr: usize,
  hRowsPtr: usize,
  tiesPtr: usize,
): void {
  width = w;
  height = h;
  l = boxL;
  pad = boxL + 1;
  taps = tapsPtr;
  tapCount = count;
  reach = count > 0 ? (count - 1) >> 1 : 3 * pad;
  alpha = boxAlpha;
  norm = boxNorm;
  normFinal = boxNormFinal;
  ringMask = ringEntries - 1;
  mergeGap = reach;
  srcRing = srcRingPtr;
  srcCap = srcRingRows;
  hRing = hRingPtr;
  hCap = hRingRows;
  hStride = hRowStride;
  hRings = hRingsPtr;
  vRings = vRingsPtr;
  sums = sumsPtr;
  hOut = hOutPtr;
  segStart = segStartPtr;
  segEnd = segEndPtr;
  tmp = tmpPtr;
  hRows = hRowsPtr;
  ties = tiesPtr;
  // The column pass on a flat column of v = 256c + 128: the last box (sum
  // (2l + 1)·v, before = entering = v) or the taps, in their order.
  for (let c = 0; c < 255; c++) {
    const v = <f64>((c << 8) + 128);
    let y: f64;
    if (count > 0) {
      let acc: f64 = 0;
      for (let j = 0; j < count; j++) acc += load<f64>(taps + (<usize>j << 3)) * v;
      y = acc * (1.0 / 256.0) + 0.5;
    } else {
      y = (v * <f64>(2 * l + 1) + alpha * (v + v)) * normFinal + 0.5;
    }
    store<u8>(ties + <usize>c, <u8>(<i32>Math.floor(y)));
  }
  blocks = (w + 15) >>> 4;
  for (let b = 0; b < blocks; b++) store<i32>(segEnd + (<usize>b << 2), -1);
  hNext = 0;
}

@inline
function srcRow(y: i32): usize {
  return srcRing + <usize>(y % srcCap) * <usize>width;
}

@inline
function hRow(y: i32): usize {
  return hRing + <usize>(y % hCap) * <usize>hStride;
}

@inline
function entry(ring: usize, q: i32, shift: i32): usize {
  return ring + (<usize>(q & ringMask) << <usize>shift);
}

/** A box's output lanes: floor((sum + alpha·(before + entering))·norm + bias), as JS evaluates it. */
@inline
function boxOut(s: v128, bef: v128, ent: v128, a: v128, n: v128, bias: v128): v128 {
  return f64x2.floor(f64x2.add(f64x2.mul(f64x2.add(s, f64x2.mul(a, f64x2.add(bef, ent))), n), bias));
}

/** The running sum moved on by one position: sum + (entering − leaving), exact (whole numbers). */
@inline
function boxSum(s: v128, ent: v128, lea: v128): v128 {
  return f64x2.add(s, f64x2.sub(ent, lea));
}

/** The running sum of box input entries q − l .. q + l, `bytes` wide. */
function initSum(ring: usize, q: i32, shift: i32, sum: usize, bytes: i32): void {
  memory.fill(sum, 0, bytes);
  for (let j = q - l; j <= q + l; j++) {
    const e = entry(ring, j, shift);
    for (let o = 0; o < bytes; o += 16) v128.store(sum + o, f64x2.add(v128.load(sum + o), v128.load(e + o)));
  }
}

/** Whole f64 lanes (< 2^31) of a and b as i32x4. */
@inline
function toI32(a: v128, b: v128): v128 {
  const m = f64x2.splat(MAGIC);
  return i32x4.shuffle(f64x2.add(a, m), f64x2.add(b, m), 0, 2, 4, 6);
}

/** Four u32 lanes as two f64x2 stored at p. */
@inline
function storeAsF64(p: usize, v: v128): void {
  v128.store(p, f64x2.convert_low_i32x4_u(v));
  v128.store(p, f64x2.convert_low_i32x4_u(i32x4.shuffle(v, v, 2, 3, 2, 3)), 16);
}

/** One column's 8 rows (u16x8 of 8.8 values) as f64 into ring entry e. */
@inline
function storeColumn(e: usize, p: v128): void {
  storeAsF64(e, i32x4.extend_low_i16x8_u(p));
  storeAsF64(e + 32, i32x4.extend_high_i16x8_u(p));
}

/** Row pass stage 0: positions q0..q1 − 1 (at most 16) of the 8 rows in 8.8, indices clamped. */
function rowLoad(q0: i32, q1: i32, ring: usize): void {
  if (q0 >= 0 && q0 + 16 <= width) {
    // Transpose 8 rows × 16 bytes into 16 columns × 8 rows.
    const x = <usize>q0;
    const a0 = v128.load(r0 + x);
    const a1 = v128.load(r1 + x);
    const a2 = v128.load(r2 + x);
    const a3 = v128.load(r3 + x);
    const a4 = v128.load(r4 + x);
    const a5 = v128.load(r5 + x);
    const a6 = v128.load(r6 + x);
    const a7 = v128.load(r7 + x);
    const t0 = i8x16.shuffle(a0, a1, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const t1 = i8x16.shuffle(a0, a1, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    const t2 = i8x16.shuffle(a2, a3, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const t3 = i8x16.shuffle(a2, a3, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    const t4 = i8x16.shuffle(a4, a5, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const t5 = i8x16.shuffle(a4, a5, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    const t6 = i8x16.shuffle(a6, a7, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const t7 = i8x16.shuffle(a6, a7, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    // u_k: columns 4k .. 4k + 3, rows 0–3 (u0..u3) and 4–7 (u4..u7), two bytes per column and row pair.
    const u0 = i16x8.shuffle(t0, t2, 0, 8, 1, 9, 2, 10, 3, 11);
    const u1 = i16x8.shuffle(t0, t2, 4, 12, 5, 13, 6, 14, 7, 15);
    const u2 = i16x8.shuffle(t1, t3, 0, 8, 1, 9, 2, 10, 3, 11);
    const u3 = i16x8.shuffle(t1, t3, 4, 12, 5, 13, 6, 14, 7, 15);
    const u4 = i16x8.shuffle(t4, t6, 0, 8, 1, 9, 2, 10, 3, 11);
    const u5 = i16x8.shuffle(t4, t6, 4, 12, 5, 13, 6, 14, 7, 15);
    const u6 = i16x8.shuffle(t5, t7, 0, 8, 1, 9, 2, 10, 3, 11);
    const u7 = i16x8.shuffle(t5, t7, 4, 12, 5, 13, 6, 14, 7, 15);
    // v_k: columns 2k and 2k + 1, 8 rows each.
    const v0 = i32x4.shuffle(u0, u4, 0, 4, 1, 5);
    const v1 = i32x4.shuffle(u0, u4, 2, 6, 3, 7);
    const v2 = i32x4.shuffle(u1, u5, 0, 4, 1, 5);
    const v3 = i32x4.shuffle(u1, u5, 2, 6, 3, 7);
    const v4 = i32x4.shuffle(u2, u6, 0, 4, 1, 5);
    const v5 = i32x4.shuffle(u2, u6, 2, 6, 3, 7);
    const v6 = i32x4.shuffle(u3, u7, 0, 4, 1, 5);
    const v7 = i32x4.shuffle(u3, u7, 2, 6, 3, 7);
    storeColumn(entry(ring, q0, 6), i16x8.shl(i16x8.extend_low_i8x16_u(v0), 8));
    storeColumn(entry(ring, q0 + 1, 6), i16x8.shl(i16x8.extend_high_i8x16_u(v0), 8));
    storeColumn(entry(ring, q0 + 2, 6), i16x8.shl(i16x8.extend_low_i8x16_u(v1), 8));
    storeColumn(entry(ring, q0 + 3, 6), i16x8.shl(i16x8.extend_high_i8x16_u(v1), 8));
    storeColumn(entry(ring, q0 + 4, 6), i16x8.shl(i16x8.extend_low_i8x16_u(v2), 8));
    storeColumn(entry(ring, q0 + 5, 6), i16x8.shl(i16x8.extend_high_i8x16_u(v2), 8));
    storeColumn(entry(ring, q0 + 6, 6), i16x8.shl(i16x8.extend_low_i8x16_u(v3), 8));
    storeColumn(entry(ring, q0 + 7, 6), i16x8.shl(i16x8.extend_high_i8x16_u(v3), 8));
    storeColumn(entry(ring, q0 + 8, 6), i16x8.shl(i16x8.extend_low_i8x16_u(v4), 8));
    storeColumn(entry(ring, q0 + 9, 6), i16x8.shl(i16x8.extend_high_i8x16_u(v4), 8));
    storeColumn(entry(ring, q0 + 10, 6), i16x8.shl(i16x8.extend_low_i8x16_u(v5), 8));
    storeColumn(entry(ring, q0 + 11, 6), i16x8.shl(i16x8.extend_high_i8x16_u(v5), 8));
    storeColumn(entry(ring, q0 + 12, 6), i16x8.shl(i16x8.extend_low_i8x16_u(v6), 8));
    storeColumn(entry(ring, q0 + 13, 6), i16x8.shl(i16x8.extend_high_i8x16_u(v6), 8));
    storeColumn(entry(ring, q0 + 14, 6), i16x8.shl(i16x8.extend_low_i8x16_u(v7), 8));
    storeColumn(entry(ring, q0 + 15, 6), i16x8.shl(i16x8.extend_high_i8x16_u(v7), 8));
    return;
  }
  const last = width - 1;
  for (let q = q0; q < q1; q++) {
    const x = <usize>(q < 0 ? 0 : q > last ? last : q);
    const e = entry(ring, q, 6);
    store<f64>(e, <f64>(<i32>load<u8>(r0 + x) << 8));
    store<f64>(e, <f64>(<i32>load<u8>(r1 + x) << 8), 8);
    store<f64>(e, <f64>(<i32>load<u8>(r2 + x) << 8), 16);
    store<f64>(e, <f64>(<i32>load<u8>(r3 + x) << 8), 24);
    store<f64>(e, <f64>(<i32>load<u8>(r4 + x) << 8), 32);
    store<f64>(e, <f64>(<i32>load<u8>(r5 + x) << 8), 40);
    store<f64>(e, <f64>(<i32>load<u8>(r6 + x) << 8), 48);
    store<f64>(e, <f64>(<i32>load<u8>(r7 + x) << 8), 56);
  }
}

/**
 * One box of the row pass over positions q0..q1 − 1, 8 rows per entry:
 * ring `src` to ring `dst`, or with dst = 0 (the last box) to hOut as u16x8
 * at position − base.
 */
function rowBoxes(src: usize, dst: usize, q0: i32, q1: i32, sum: usize, base: i32): void {
  const a = f64x2.splat(alpha);
  const n = f64x2.splat(norm);
  const h = f64x2.splat(0.5);
  let s0 = v128.load(sum);
  let s1 = v128.load(sum, 16);
  let s2 = v128.load(sum, 32);
  let s3 = v128.load(sum, 48);
  for (let q = q0; q < q1; q++) {
    const bef = entry(src, q - pad, 6);
    const ent = entry(src, q + pad, 6);
    const lea = entry(src, q - l, 6);
    const e0 = v128.load(ent);
    const e1 = v128.load(ent, 16);
    const e2 = v128.load(ent, 32);
    const e3 = v128.load(ent, 48);
    const o0 = boxOut(s0, v128.load(bef), e0, a, n, h);
    const o1 = boxOut(s1, v128.load(bef, 16), e1, a, n, h);
    const o2 = boxOut(s2, v128.load(bef, 32), e2, a, n, h);
    const o3 = boxOut(s3, v128.load(bef, 48), e3, a, n, h);
    s0 = boxSum(s0, e0, v128.load(lea));
    s1 = boxSum(s1, e1, v128.load(lea, 16));
    s2 = boxSum(s2, e2, v128.load(lea, 32));
    s3 = boxSum(s3, e3, v128.load(lea, 48));
    if (dst != 0) {
      const d = entry(dst, q, 6);
      v128.store(d, o0);
      v128.store(d, o1, 16);
      v128.store(d, o2, 32);
      v128.store(d, o3, 48);
    } else {
      v128.store(hOut + (<usize>(q - base) << 4), i16x8.narrow_i32x4_u(toI32(o0, o1), toI32(o2, o3)));
    }
  }
  v128.store(sum, s0);
  v128.store(sum, s1, 16);
  v128.store(sum, s2, 32);
  v128.store(sum, s3, 48);
}

/**
 * The row pass over columns a..b of the current 8 rows: the three boxes on
 * positions a − R .. b + R (indices clamped: replicated border), 16
 * positions at a time through the pipeline; the result as u16x8 per column
 * in hOut.
 */
function rowRange(a: i32, b: i32): void {
  if (tapCount > 0) {
    rowTaps(a, b);
    return;
  }
  const ring0 = hRings;
  const ring1 = hRings + (<usize>(ringMask + 1) << 6);
  const ring2 = ring1 + (<usize>(ringMask + 1) << 6);
  const start1 = a - 2 * pad;
  const start2 = a - pad;
  const end1 = b + 2 * pad + 1;
  const end2 = b + pad + 1;
  const end3 = b + 1;
  let n1 = start1;
  let n2 = start2;
  let n3 = a;
  for (let c = a - reach; c <= b + reach; c += 16) {
    const ce = min(c + 16, b + reach + 1);
    rowLoad(c, ce, ring0);
    const e1 = min(ce - pad, end1);
    if (n1 < e1) {
      if (n1 == start1) initSum(ring0, n1, 6, sums, 64);
      rowBoxes(ring0, ring1, n1, e1, sums, 0);
      n1 = e1;
    }
    const e2 = min(n1 - pad, end2);
    if (n2 < e2) {
      if (n2 == start2) initSum(ring1, n2, 6, sums + 128, 64);
      rowBoxes(ring1, ring2, n2, e2, sums + 128, 0);
      n2 = e2;
    }
    const e3 = min(n2 - pad, end3);
    if (n3 < e3) {
      if (n3 == a) initSum(ring2, n3, 6, sums + 256, 64);
      rowBoxes(ring2, 0, n3, e3, sums + 256, a);
      n3 = e3;
    }
  }
}

/** The row pass with the Gaussian taps over columns a..b of the current 8 rows, into hOut (as rowRange). */
function rowTaps(a: i32, b: i32): void {
  const ring = hRings;
  const k = reach;
  const bias = f64x2.splat(0.5);
  let next = a;
  for (let c = a - k; c <= b + k; c += 16) {
    const ce = min(c + 16, b + k + 1);
    rowLoad(c, ce, ring);
    const end = min(ce - k, b + 1);
    for (let q = next; q < end; q++) {
      let e = entry(ring, q - k, 6);
      let t = v128.load_splat<f64>(taps);
      let a0 = f64x2.mul(t, v128.load(e));
      let a1 = f64x2.mul(t, v128.load(e, 16));
      let a2 = f64x2.mul(t, v128.load(e, 32));
      let a3 = f64x2.mul(t, v128.load(e, 48));
      for (let j = 1; j < tapCount; j++) {
        e = entry(ring, q - k + j, 6);
        t = v128.load_splat<f64>(taps + (<usize>j << 3));
        a0 = f64x2.add(a0, f64x2.mul(t, v128.load(e)));
        a1 = f64x2.add(a1, f64x2.mul(t, v128.load(e, 16)));
        a2 = f64x2.add(a2, f64x2.mul(t, v128.load(e, 32)));
        a3 = f64x2.add(a3, f64x2.mul(t, v128.load(e, 48)));
      }
      const lo = toI32(f64x2.floor(f64x2.add(a0, bias)), f64x2.floor(f64x2.add(a1, bias)));
      const hi = toI32(f64x2.floor(f64x2.add(a2, bias)), f64x2.floor(f64x2.add(a3, bias)));
      v128.store(hOut + (<usize>(q - a) << 4), i16x8.narrow_i32x4_u(lo, hi));
    }
    if (end > next) next = end;
  }
}

/** Copies hOut (columns a..b) into the first `n` H rows from y: 8 × 8 transposes, then the rest. */
function scatterRange(y: i32, n: i32, a: i32, b: i32): void {
  let x = a;
  for (; x + 8 <= b + 1; x += 8) {
    const p = hOut + (<usize>(x - a) << 4);
    const p0 = v128.load(p);
    const p1 = v128.load(p, 16);
    const p2 = v128.load(p, 32);
    const p3 = v128.load(p, 48);
    const p4 = v128.load(p, 64);
    const p5 = v128.load(p, 80);
    const p6 = v128.load(p, 96);
    const p7 = v128.load(p, 112);
    // Columns x..x+1 (then x+2.., ...) interleaved, rows 0–3 and 4–7.
    const c0 = i16x8.shuffle(p0, p1, 0, 8, 1, 9, 2, 10, 3, 11);
    const c1 = i16x8.shuffle(p0, p1, 4, 12, 5, 13, 6, 14, 7, 15);
    const c2 = i16x8.shuffle(p2, p3, 0, 8, 1, 9, 2, 10, 3, 11);
    const c3 = i16x8.shuffle(p2, p3, 4, 12, 5, 13, 6, 14, 7, 15);
    const c4 = i16x8.shuffle(p4, p5, 0, 8, 1, 9, 2, 10, 3, 11);
    const c5 = i16x8.shuffle(p4, p5, 4, 12, 5, 13, 6, 14, 7, 15);
    const c6 = i16x8.shuffle(p6, p7, 0, 8, 1, 9, 2, 10, 3, 11);
    const c7 = i16x8.shuffle(p6, p7, 4, 12, 5, 13, 6, 14, 7, 15);
    // Columns x..x+3 of two rows each (rows 0,1 / 2,3 / 4,5 / 6,7), then x+4..x+7.
    const d0 = i32x4.shuffle(c0, c2, 0, 4, 1, 5);
    const d1 = i32x4.shuffle(c0, c2, 2, 6, 3, 7);
    const d2 = i32x4.shuffle(c1, c3, 0, 4, 1, 5);
    const d3 = i32x4.shuffle(c1, c3, 2, 6, 3, 7);
    const d4 = i32x4.shuffle(c4, c6, 0, 4, 1, 5);
    const d5 = i32x4.shuffle(c4, c6, 2, 6, 3, 7);
    const d6 = i32x4.shuffle(c5, c7, 0, 4, 1, 5);
    const d7 = i32x4.shuffle(c5, c7, 2, 6, 3, 7);
    const col = <usize>x << 1;
    // Rows past n point at row n − 1 and hold the same values.
    v128.store(h0 + col, i64x2.shuffle(d0, d4, 0, 2));
    v128.store(h1 + col, i64x2.shuffle(d0, d4, 1, 3));
    v128.store(h2 + col, i64x2.shuffle(d1, d5, 0, 2));
    v128.store(h3 + col, i64x2.shuffle(d1, d5, 1, 3));
    v128.store(h4 + col, i64x2.shuffle(d2, d6, 0, 2));
    v128.store(h5 + col, i64x2.shuffle(d2, d6, 1, 3));
    v128.store(h6 + col, i64x2.shuffle(d3, d7, 0, 2));
    v128.store(h7 + col, i64x2.shuffle(d3, d7, 1, 3));
  }
  for (let i = 0; i < n; i++) {
    const row = hRow(y + i);
    const lane = hOut + (<usize>i << 1);
    for (let c = x; c <= b; c++) store<u16>(row + (<usize>c << 1), load<u16>(lane + (<usize>(c - a) << 4)));
  }
}

/** H rows y .. y + n − 1 (n ≤ 8). */
function rowGroup(y: i32, n: i32): void {
  const rows = tmp + 16; // 8 row pointers
  for (let i = 0; i < 8; i++) store<u32>(rows + (<usize>i << 2), <u32>srcRow(y + (i < n ? i : n - 1)));
  r0 = load<u32>(rows);
  r1 = load<u32>(rows, 4);
  r2 = load<u32>(rows, 8);
  r3 = load<u32>(rows, 12);
  r4 = load<u32>(rows, 16);
  r5 = load<u32>(rows, 20);
  r6 = load<u32>(rows, 24);
  r7 = load<u32>(rows, 28);
  for (let i = 0; i < 8; i++) store<u32>(rows + (<usize>i << 2), <u32>hRow(y + (i < n ? i : n - 1)));
  h0 = load<u32>(rows);
  h1 = load<u32>(rows, 4);
  h2 = load<u32>(rows, 8);
  h3 = load<u32>(rows, 12);
  h4 = load<u32>(rows, 16);
  h5 = load<u32>(rows, 20);
  h6 = load<u32>(rows, 24);
  h7 = load<u32>(rows, 28);
  // Unblurred: the mask value in 8.8.
  for (let i = 0; i < n; i++) {
    const s = srcRow(y + i);
    const d = hRow(y + i);
    for (let x = 0; x < width; x += 16) {
      const v = v128.load(s + <usize>x);
      v128.store(d + (<usize>x << 1), i16x8.shl(i16x8.extend_low_i8x16_u(v), 8));
      v128.store(d + (<usize>x << 1), i16x8.shl(i16x8.extend_high_i8x16_u(v), 8), 16);
    }
  }
  // Column ranges within R of a change between x and x + 1 in any of the rows.
  let segA = -1;
  let segB = -1;
  const full = (width - 1) >> 4; // chunks whose 16 pairs (x, x + 1) are all inside the row
  for (let k = 0; k < full; k++) {
    const x = <usize>(k << 4);
    let d = v128.or(i8x16.ne(v128.load(r0 + x), v128.load(r0 + x, 1)), i8x16.ne(v128.load(r1 + x), v128.load(r1 + x, 1)));
    d = v128.or(d, v128.or(i8x16.ne(v128.load(r2 + x), v128.load(r2 + x, 1)), i8x16.ne(v128.load(r3 + x), v128.load(r3 + x, 1))));
    d = v128.or(d, v128.or(i8x16.ne(v128.load(r4 + x), v128.load(r4 + x, 1)), i8x16.ne(v128.load(r5 + x), v128.load(r5 + x, 1))));
    d = v128.or(d, v128.or(i8x16.ne(v128.load(r6 + x), v128.load(r6 + x, 1)), i8x16.ne(v128.load(r7 + x), v128.load(r7 + x, 1))));
    const m = i8x16.bitmask(d);
    if (m == 0) continue;
    // A change between x and x + 1 reaches x + 1 − R .. x + R.
    const from = max((k << 4) + ctz(m) + 1 - reach, 0);
    const to = min((k << 4) + 31 - clz(m) + reach, width - 1);
    if (segB >= 0 && from <= segB + mergeGap) segB = to;
    else {
      if (segB >= 0) {
        rowRange(segA, segB);
        scatterRange(y, n, segA, segB);
      }
      segA = from;
      segB = to;
    }
  }
  for (let x = full << 4; x < width - 1; x++) {
    const p = <usize>x;
    if (
      load<u8>(r0 + p) == load<u8>(r0 + p, 1) &&
      load<u8>(r1 + p) == load<u8>(r1 + p, 1) &&
      load<u8>(r2 + p) == load<u8>(r2 + p, 1) &&
      load<u8>(r3 + p) == load<u8>(r3 + p, 1) &&
      load<u8>(r4 + p) == load<u8>(r4 + p, 1) &&
      load<u8>(r5 + p) == load<u8>(r5 + p, 1) &&
      load<u8>(r6 + p) == load<u8>(r6 + p, 1) &&
      load<u8>(r7 + p) == load<u8>(r7 + p, 1)
    )
      continue;
    const from = max(x + 1 - reach, 0);
    const to = min(x + reach, width - 1);
    if (segB >= 0 && from <= segB + mergeGap) segB = to;
    else {
      if (segB >= 0) {
        rowRange(segA, segB);
        scatterRange(y, n, segA, segB);
      }
      segA = from;
      segB = to;
    }
  }
  if (segB >= 0) {
    rowRange(segA, segB);
    scatterRange(y, n, segA, segB);
  }
}

/** Column pass stage 0: H rows q0..q1 − 1 (clamped to the image) of the 16 columns at `col` bytes, as f64. */
function columnLoad(q0: i32, q1: i32, col: usize, ring: usize): void {
  const rows = hRows - (<usize>(outY0 - reach) << 2);
  for (let q = q0; q < q1; q++) {
    const p = <usize>load<u32>(rows + (<usize>q << 2)) + col;
    const e = entry(ring, q, 7);
    const lo = v128.load(p);
    const hi = v128.load(p, 16);
    storeAsF64(e, i32x4.extend_low_i16x8_u(lo));
    storeAsF64(e + 32, i32x4.extend_high_i16x8_u(lo));
    storeAsF64(e + 64, i32x4.extend_low_i16x8_u(hi));
    storeAsF64(e + 96, i32x4.extend_high_i16x8_u(hi));
  }
}

/** One middle box of the column pass over positions q0..q1 − 1, 16 columns per entry, ring `src` to `dst`. */
function columnBoxes(src: usize, dst: usize, q0: i32, q1: i32, sum: usize): void {
  const a = f64x2.splat(alpha);
  const n = f64x2.splat(norm);
  const h = f64x2.splat(0.5);
  let s0 = v128.load(sum);
  let s1 = v128.load(sum, 16);
  let s2 = v128.load(sum, 32);
  let s3 = v128.load(sum, 48);
  let s4 = v128.load(sum, 64);
  let s5 = v128.load(sum, 80);
  let s6 = v128.load(sum, 96);
  let s7 = v128.load(sum, 112);
  for (let q = q0; q < q1; q++) {
    const bef = entry(src, q - pad, 7);
    const ent = entry(src, q + pad, 7);
    const lea = entry(src, q - l, 7);
    const d = entry(dst, q, 7);
    let e = v128.load(ent);
    v128.store(d, boxOut(s0, v128.load(bef), e, a, n, h));
    s0 = boxSum(s0, e, v128.load(lea));
    e = v128.load(ent, 16);
    v128.store(d, boxOut(s1, v128.load(bef, 16), e, a, n, h), 16);
    s1 = boxSum(s1, e, v128.load(lea, 16));
    e = v128.load(ent, 32);
    v128.store(d, boxOut(s2, v128.load(bef, 32), e, a, n, h), 32);
    s2 = boxSum(s2, e, v128.load(lea, 32));
    e = v128.load(ent, 48);
    v128.store(d, boxOut(s3, v128.load(bef, 48), e, a, n, h), 48);
    s3 = boxSum(s3, e, v128.load(lea, 48));
    e = v128.load(ent, 64);
    v128.store(d, boxOut(s4, v128.load(bef, 64), e, a, n, h), 64);
    s4 = boxSum(s4, e, v128.load(lea, 64));
    e = v128.load(ent, 80);
    v128.store(d, boxOut(s5, v128.load(bef, 80), e, a, n, h), 80);
    s5 = boxSum(s5, e, v128.load(lea, 80));
    e = v128.load(ent, 96);
    v128.store(d, boxOut(s6, v128.load(bef, 96), e, a, n, h), 96);
    s6 = boxSum(s6, e, v128.load(lea, 96));
    e = v128.load(ent, 112);
    v128.store(d, boxOut(s7, v128.load(bef, 112), e, a, n, h), 112);
    s7 = boxSum(s7, e, v128.load(lea, 112));
  }
  v128.store(sum, s0);
  v128.store(sum, s1, 16);
  v128.store(sum, s2, 32);
  v128.store(sum, s3, 48);
  v128.store(sum, s4, 64);
  v128.store(sum, s5, 80);
  v128.store(sum, s6, 96);
  v128.store(sum, s7, 112);
}

/** The last box of the column pass over output rows q0..q1 − 1, into bytes at column x0 of the band. */
function columnBoxesOut(src: usize, q0: i32, q1: i32, sum: usize, x0: i32): void {
  const a = f64x2.splat(alpha);
  const n = f64x2.splat(normFinal);
  const h = f64x2.splat(0.5);
  const partial = x0 + 16 > width;
  let s0 = v128.load(sum);
  let s1 = v128.load(sum, 16);
  let s2 = v128.load(sum, 32);
  let s3 = v128.load(sum, 48);
  let s4 = v128.load(sum, 64);
  let s5 = v128.load(sum, 80);
  let s6 = v128.load(sum, 96);
  let s7 = v128.load(sum, 112);
  let o = out + <usize>(q0 - outY0) * <usize>width + <usize>x0;
  for (let q = q0; q < q1; q++, o += <usize>width) {
    const bef = entry(src, q - pad, 7);
    const ent = entry(src, q + pad, 7);
    const lea = entry(src, q - l, 7);
    let e = v128.load(ent);
    const o0 = boxOut(s0, v128.load(bef), e, a, n, h);
    s0 = boxSum(s0, e, v128.load(lea));
    e = v128.load(ent, 16);
    const o1 = boxOut(s1, v128.load(bef, 16), e, a, n, h);
    s1 = boxSum(s1, e, v128.load(lea, 16));
    e = v128.load(ent, 32);
    const o2 = boxOut(s2, v128.load(bef, 32), e, a, n, h);
    s2 = boxSum(s2, e, v128.load(lea, 32));
    e = v128.load(ent, 48);
    const o3 = boxOut(s3, v128.load(bef, 48), e, a, n, h);
    s3 = boxSum(s3, e, v128.load(lea, 48));
    e = v128.load(ent, 64);
    const o4 = boxOut(s4, v128.load(bef, 64), e, a, n, h);
    s4 = boxSum(s4, e, v128.load(lea, 64));
    e = v128.load(ent, 80);
    const o5 = boxOut(s5, v128.load(bef, 80), e, a, n, h);
    s5 = boxSum(s5, e, v128.load(lea, 80));
    e = v128.load(ent, 96);
    const o6 = boxOut(s6, v128.load(bef, 96), e, a, n, h);
    s6 = boxSum(s6, e, v128.load(lea, 96));
    e = v128.load(ent, 112);
    const o7 = boxOut(s7, v128.load(bef, 112), e, a, n, h);
    s7 = boxSum(s7, e, v128.load(lea, 112));
    const bytes = i8x16.narrow_i16x8_u(
      i16x8.narrow_i32x4_u(toI32(o0, o1), toI32(o2, o3)),
      i16x8.narrow_i32x4_u(toI32(o4, o5), toI32(o6, o7)),
    );
    if (!partial) v128.store(o, bytes);
    else {
      v128.store(tmp, bytes);
      for (let c = 0; c < width - x0; c++) store<u8>(o + <usize>c, load<u8>(tmp + <usize>c));
    }
  }
  v128.store(sum, s0);
  v128.store(sum, s1, 16);
  v128.store(sum, s2, 32);
  v128.store(sum, s3, 48);
  v128.store(sum, s4, 64);
  v128.store(sum, s5, 80);
  v128.store(sum, s6, 96);
  v128.store(sum, s7, 112);
}

/** The column pass for output rows ya..yb of the block of 16 columns from x0 (pipelined like rowRange). */
function columnRange(x0: i32, ya: i32, yb: i32): void {
  if (tapCount > 0) {
    columnTaps(x0, ya, yb);
    return;
  }
  const ring0 = vRings;
  const ring1 = vRings + (<usize>(ringMask + 1) << 7);
  const ring2 = ring1 + (<usize>(ringMask + 1) << 7);
  const col = <usize>x0 << 1;
  const start1 = ya - 2 * pad;
  const start2 = ya - pad;
  const end1 = yb + 2 * pad + 1;
  const end2 = yb + pad + 1;
  const end3 = yb + 1;
  let n1 = start1;
  let n2 = start2;
  let n3 = ya;
  for (let c = ya - reach; c <= yb + reach; c += 16) {
    const ce = min(c + 16, yb + reach + 1);
    columnLoad(c, ce, col, ring0);
    const e1 = min(ce - pad, end1);
    if (n1 < e1) {
      if (n1 == start1) initSum(ring0, n1, 7, sums, 128);
      columnBoxes(ring0, ring1, n1, e1, sums);
      n1 = e1;
    }
    const e2 = min(n1 - pad, end2);
    if (n2 < e2) {
      if (n2 == start2) initSum(ring1, n2, 7, sums + 128, 128);
      columnBoxes(ring1, ring2, n2, e2, sums + 128);
      n2 = e2;
    }
    const e3 = min(n2 - pad, end3);
    if (n3 < e3) {
      if (n3 == ya) initSum(ring2, n3, 7, sums + 256, 128);
      columnBoxesOut(ring2, n3, e3, sums + 256, x0);
      n3 = e3;
    }
  }
}

/** The column pass with the Gaussian taps for output rows ya..yb of the block of 16 columns from x0. */
function columnTaps(x0: i32, ya: i32, yb: i32): void {
  const ring = vRings;
  const k = reach;
  const col = <usize>x0 << 1;
  const scale = f64x2.splat(1.0 / 256.0);
  const bias = f64x2.splat(0.5);
  const partial = x0 + 16 > width;
  let next = ya;
  for (let c = ya - k; c <= yb + k; c += 16) {
    const ce = min(c + 16, yb + k + 1);
    columnLoad(c, ce, col, ring);
    const end = min(ce - k, yb + 1);
    let o = out + <usize>(next - outY0) * <usize>width + <usize>x0;
    for (let q = next; q < end; q++, o += <usize>width) {
      let e = entry(ring, q - k, 7);
      let t = v128.load_splat<f64>(taps);
      let a0 = f64x2.mul(t, v128.load(e));
      let a1 = f64x2.mul(t, v128.load(e, 16));
      let a2 = f64x2.mul(t, v128.load(e, 32));
      let a3 = f64x2.mul(t, v128.load(e, 48));
      let a4 = f64x2.mul(t, v128.load(e, 64));
      let a5 = f64x2.mul(t, v128.load(e, 80));
      let a6 = f64x2.mul(t, v128.load(e, 96));
      let a7 = f64x2.mul(t, v128.load(e, 112));
      for (let j = 1; j < tapCount; j++) {
        e = entry(ring, q - k + j, 7);
        t = v128.load_splat<f64>(taps + (<usize>j << 3));
        a0 = f64x2.add(a0, f64x2.mul(t, v128.load(e)));
        a1 = f64x2.add(a1, f64x2.mul(t, v128.load(e, 16)));
        a2 = f64x2.add(a2, f64x2.mul(t, v128.load(e, 32)));
        a3 = f64x2.add(a3, f64x2.mul(t, v128.load(e, 48)));
        a4 = f64x2.add(a4, f64x2.mul(t, v128.load(e, 64)));
        a5 = f64x2.add(a5, f64x2.mul(t, v128.load(e, 80)));
        a6 = f64x2.add(a6, f64x2.mul(t, v128.load(e, 96)));
        a7 = f64x2.add(a7, f64x2.mul(t, v128.load(e, 112)));
      }
      const i0 = toI32(f64x2.floor(f64x2.add(f64x2.mul(a0, scale), bias)), f64x2.floor(f64x2.add(f64x2.mul(a1, scale), bias)));
      const i1 = toI32(f64x2.floor(f64x2.add(f64x2.mul(a2, scale), bias)), f64x2.floor(f64x2.add(f64x2.mul(a3, scale), bias)));
      const i2 = toI32(f64x2.floor(f64x2.add(f64x2.mul(a4, scale), bias)), f64x2.floor(f64x2.add(f64x2.mul(a5, scale), bias)));
      const i3 = toI32(f64x2.floor(f64x2.add(f64x2.mul(a6, scale), bias)), f64x2.floor(f64x2.add(f64x2.mul(a7, scale), bias)));
      const bytes = i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_u(i0, i1), i16x8.narrow_i32x4_u(i2, i3));
      if (!partial) v128.store(o, bytes);
      else {
        v128.store(tmp, bytes);
        for (let x = 0; x < width - x0; x++) store<u8>(o + <usize>x, load<u8>(tmp + <usize>x));
      }
    }
    if (end > next) next = end;
  }
}

/** Adds output rows from..to of block b to its pending range, blurring the pending one if too far. */
@inline
function markBlock(b: i32, from: i32, to: i32): void {
  const pe = segEnd + (<usize>b << 2);
  const ps = segStart + (<usize>b << 2);
  const end = load<i32>(pe);
  if (end >= 0 && from <= end + mergeGap) {
    store<i32>(pe, to);
    return;
  }
  if (end >= 0) columnRange(b << 4, load<i32>(ps), end);
  store<i32>(ps, from);
  store<i32>(pe, to);
}

/**
 * Output rows y0..y1 − 1 into `outPtr` (width bytes apart, 16 bytes of
 * scratch after the last). The mask rows max(0, y0 − R) .. min(h, y1 + R) − 1
 * must be in the ring; bands come in order from y0 = 0.
 */
export function band(y0: i32, y1: i32, outPtr: usize): void {
  out = outPtr;
  outY0 = y0;
  const hEnd = min(height, y1 + reach);
  while (hNext < hEnd) {
    const n = min(8, hEnd - hNext);
    rowGroup(hNext, n);
    hNext += n;
  }
  for (let y = y0 - reach; y < y1 + reach; y++) {
    store<u32>(hRows + (<usize>(y - y0 + reach) << 2), <u32>hRow(y < 0 ? 0 : y >= height ? height - 1 : y));
  }
  // Where the column pass is skipped, H is the same in all rows it would
  // read: its result is H rounded to a byte, (H + 128) >> 8, except for H
  // exactly half way (256c + 128), where its own arithmetic decides (`ties`),
  // as it would if the block were blurred.
  const half = i16x8.splat(128);
  const low = i16x8.splat(255);
  for (let y = y0; y < y1; y++) {
    const s = hRow(y);
    const d = out + <usize>(y - y0) * <usize>width;
    for (let x = 0; x < width; x += 16) {
      const a = v128.load(s + (<usize>x << 1));
      const b = v128.load(s + (<usize>x << 1), 16);
      v128.store(d + <usize>x, i8x16.narrow_i16x8_u(i16x8.shr_u(i16x8.add(a, half), 8), i16x8.shr_u(i16x8.add(b, half), 8)));
      if (!v128.any_true(v128.or(i16x8.eq(v128.and(a, low), half), i16x8.eq(v128.and(b, low), half)))) continue;
      for (let c = x; c < min(x + 16, width); c++) {
        const v = <i32>load<u16>(s + (<usize>c << 1));
        if ((v & 255) == 128) store<u8>(d + <usize>c, load<u8>(ties + <usize>(v >> 8)));
      }
    }
  }
  // Row ranges per block within R of a change between mask rows y − 1 and y
  // (which reaches output rows y − R .. y + R − 1) in columns within R of it.
  const chunks = (width + 15) >> 4;
  const tail = width & 15;
  const tailMask = tail != 0 ? (1 << tail) - 1 : 0xffff;
  const yFirst = max(1, y0 - reach + 1);
  const yLast = min(height - 1, y1 + reach - 1);
  for (let y = yFirst; y <= yLast; y++) {
    const prev = srcRow(y - 1);
    const cur = srcRow(y);
    const from = max(y - reach, y0);
    const to = min(y + reach - 1, y1 - 1);
    let lastBlock = -1;
    for (let k = 0; k < chunks; k++) {
      const x = <usize>(k << 4);
      if ((k & 3) == 0 && k + 4 < chunks) {
        // Mostly equal: 64 bytes at a time.
        const d = v128.or(
          v128.or(v128.xor(v128.load(prev + x), v128.load(cur + x)), v128.xor(v128.load(prev + x, 16), v128.load(cur + x, 16))),
          v128.or(v128.xor(v128.load(prev + x, 32), v128.load(cur + x, 32)), v128.xor(v128.load(prev + x, 48), v128.load(cur + x, 48))),
        );
        if (!v128.any_true(d)) {
          k += 3;
          continue;
        }
      }
      let m = i8x16.bitmask(i8x16.ne(v128.load(prev + x), v128.load(cur + x)));
      if (k == chunks - 1) m &= tailMask;
      if (m == 0) continue;
      const bFirst = max(max((k << 4) + ctz(m) - reach, 0) >> 4, lastBlock + 1);
      const bLast = min(((k << 4) + 31 - clz(m) + reach) >> 4, blocks - 1);
      for (let b = bFirst; b <= bLast; b++) markBlock(b, from, to);
      if (bLast > lastBlock) lastBlock = bLast;
    }
  }
  for (let b = 0; b < blocks; b++) {
    const pe = segEnd + (<usize>b << 2);
    const end = load<i32>(pe);
    if (end < 0) continue;
    columnRange(b << 4, load<i32>(segStart + (<usize>b << 2)), end);
    store<i32>(pe, -1);
  }
}
