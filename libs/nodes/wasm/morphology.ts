/**
 * The row-bits path of MaskDilate in WebAssembly SIMD (AssemblyScript), driven
 * by libs/nodes/src/ops/morphology-wasm.ts, which owns the memory layout.
 * Build: `npm run build:wasm` (morphology.asconfig.json beside this file).
 *
 * Rows are packed 64 pixels per u64, bit j of word k = pixel 64k + j, set iff
 * the byte is ≥ 128 (the high bit, which is what i8x16.bitmask gathers). Each
 * packed row has one zero word before and after it, so horizontal shifts can
 * read the neighbours without bounds checks. An output row is the OR of the
 * 2r+1 rows around it, each first dilated horizontally by the half-width of
 * the disc at its vertical offset ("class" rows, one per distinct half-width,
 * computed once per input row into a ring of the last 2r+1 rows). Class 0
 * (half-width 0, the row itself) is read straight from the packed image.
 *
 * Erosion is the complement of dilating the complement: `invert` flips the
 * bits when packing and the bytes when unpacking. Pixels past the width are
 * 0 after packing in both cases: outside the image is never set in the
 * dilated domain.
 *
 * Half-widths must be < 64 (r ≤ 63): a class row word takes bits only from
 * its two neighbours.
 */

/** Packs 64 bytes from p: bit j set iff byte j has its high bit set. */
@inline
function packWord(p: usize): u64 {
  const a = <u64>i8x16.bitmask(v128.load(p));
  const b = <u64>i8x16.bitmask(v128.load(p, 16));
  const c = <u64>i8x16.bitmask(v128.load(p, 32));
  const d = <u64>i8x16.bitmask(v128.load(p, 48));
  return a | (b << 16) | (c << 32) | (d << 48);
}

/**
 * Packs `rows` rows of `width` bytes at src (row after row, no padding) into
 * rows of `stride` bytes at dst: a zero word, the packed words, zero words up
 * to the stride. Reads up to 63 bytes past the last row (the caller leaves
 * room); bits past the width are cleared.
 */
export function pack(src: usize, width: i32, rows: i32, dst: usize, stride: i32, invert: i32): void {
  const words = (width + 63) >>> 6;
  const tail = width & 63;
  const tailMask: u64 = tail ? (<u64>1 << <u64>tail) - 1 : ~(<u64>0);
  const inv: u64 = invert ? ~(<u64>0) : 0;
  const strideWords = stride >>> 3;
  for (let y = 0; y < rows; y++) {
    const s = src + <usize>y * <usize>width;
    const d = dst + <usize>y * <usize>stride;
    store<u64>(d, 0);
    for (let k = 0; k < words; k++) store<u64>(d + 8 + (<usize>k << 3), packWord(s + (<usize>k << 6)) ^ inv);
    const last = d + (<usize>words << 3);
    store<u64>(last, load<u64>(last) & tailMask);
    for (let k = words + 1; k < strideWords; k++) store<u64>(d + (<usize>k << 3), 0);
  }
}

// The image being processed, set by init().
let packed: usize = 0; // packed rows, `stride` bytes each
let ring: usize = 0; // ringRows blocks of (classes − 1) class rows, `stride` bytes each
let sources: usize = 0; // scratch: one u32 row pointer per dy
let widths: usize = 0; // i32 half-width per class, ascending, widths[0] = 0
let classOfDy: usize = 0; // i32 class per |dy| = 0..r
let classes: i32 = 0;
let ringRows: i32 = 0;
let stride: i32 = 0;
let words: i32 = 0;
let width: i32 = 0;
let height: i32 = 0;
let radius: i32 = 0;
let invert: i32 = 0;

/** Sets up the dilation of the packed image at `packedPtr` by a disc of radius `r`. */
export function init(
  packedPtr: usize,
  ringPtr: usize,
  sourcesPtr: usize,
  widthsPtr: usize,
  classOfDyPtr: usize,
  classCount: i32,
  ringRowCount: i32,
  rowStride: i32,
  w: i32,
  h: i32,
  r: i32,
  inv: i32,
): void {
  packed = packedPtr;
  ring = ringPtr;
  sources = sourcesPtr;
  widths = widthsPtr;
  classOfDy = classOfDyPtr;
  classes = classCount;
  ringRows = ringRowCount;
  stride = rowStride;
  words = (w + 63) >>> 6;
  width = w;
  height = h;
  radius = r;
  invert = inv;
}

/**
 * Class rows 1.. of input row y into its ring block: the row ORed with its
 * shifts by up to each half-width, two words per vector.
 */
function prepare(y: i32): void {
  const row = packed + <usize>y * <usize>stride + 8;
  const block = ring + <usize>((y % ringRows) * (classes - 1)) * <usize>stride + 8;
  const maxWidth = load<i32>(widths + (<usize>(classes - 1) << 2));
  const st = <usize>stride;
  const ones = i64x2.splat(-1);
  // The row's words are followed by at least one zero word, so the last pair may read one past them.
  const pairs = (words + 1) >>> 1;
  for (let k = 0; k < pairs; k++) {
    const p = row + (<usize>k << 4);
    const x = v128.load(p);
    const before = v128.load(p - 8);
    const after = v128.load(p + 8);
    let o = block + (<usize>k << 4);
    // Nothing near, or all set: every class row is the words themselves.
    if (!v128.any_true(v128.or(v128.or(x, before), after)) || i64x2.all_true(i64x2.eq(x, ones))) {
      for (let c = 1; c < classes; c++, o += st) v128.store(o, x);
      continue;
    }
    let t = x;
    let c = 1;
    let next = load<i32>(widths + 4);
    for (let s = 1; s <= maxWidth; s++) {
      const down = 64 - s;
      t = v128.or(
        t,
        v128.or(
          v128.or(i64x2.shl(x, s), i64x2.shr_u(before, down)),
          v128.or(i64x2.shr_u(x, s), i64x2.shl(after, down)),
        ),
      );
      if (s == next) {
        v128.store(o, t);
        o += st;
        c++;
        if (c < classes) next = load<i32>(widths + (<usize>c << 2));
      }
    }
  }
}

/** Output row y as 0/255 bytes at out (up to 127 bytes past the width are scratch). */
function emit(y: i32, out: usize): void {
  const dyMin = max(-radius, -y);
  const dyMax = min(radius, height - 1 - y);
  let n = 0;
  for (let dy = dyMin; dy <= dyMax; dy++) {
    const yy = y + dy;
    const c = load<i32>(classOfDy + (<usize>(dy < 0 ? -dy : dy) << 2));
    const p =
      c == 0
        ? packed + <usize>yy * <usize>stride + 8
        : ring + <usize>((yy % ringRows) * (classes - 1) + c - 1) * <usize>stride + 8;
    store<u32>(sources + (<usize>n << 2), <u32>p);
    n++;
  }
  const inv = invert ? i8x16.splat(-1) : i8x16.splat(0);
  const bit = i8x16(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128);
  const chunks = (words + 1) >>> 1;
  for (let k = 0; k < chunks; k++) {
    const off = <usize>k << 4;
    let v = v128.load(<usize>load<u32>(sources) + off);
    for (let j = 1; j < n; j++) v = v128.or(v, v128.load(<usize>load<u32>(sources + (<usize>j << 2)) + off));
    v = v128.xor(v, inv);
    const o = out + (<usize>k << 7);
    const none = !v128.any_true(v);
    if (none || !v128.any_true(v128.not(v))) {
      const fill = none ? i8x16.splat(0) : i8x16.splat(-1);
      v128.store(o, fill);
      v128.store(o, fill, 16);
      v128.store(o, fill, 32);
      v128.store(o, fill, 48);
      v128.store(o, fill, 64);
      v128.store(o, fill, 80);
      v128.store(o, fill, 96);
      v128.store(o, fill, 112);
      continue;
    }
    // Byte i of v to 8 output bytes: spread it, keep one bit per lane, compare.
    v128.store(o, i8x16.eq(v128.and(i8x16.swizzle(v, i8x16(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1)), bit), bit));
    v128.store(o, i8x16.eq(v128.and(i8x16.swizzle(v, i8x16(2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3)), bit), bit), 16);
    v128.store(o, i8x16.eq(v128.and(i8x16.swizzle(v, i8x16(4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5)), bit), bit), 32);
    v128.store(o, i8x16.eq(v128.and(i8x16.swizzle(v, i8x16(6, 6, 6, 6, 6, 6, 6, 6, 7, 7, 7, 7, 7, 7, 7, 7)), bit), bit), 48);
    v128.store(o, i8x16.eq(v128.and(i8x16.swizzle(v, i8x16(8, 8, 8, 8, 8, 8, 8, 8, 9, 9, 9, 9, 9, 9, 9, 9)), bit), bit), 64);
    v128.store(o, i8x16.eq(v128.and(i8x16.swizzle(v, i8x16(10, 10, 10, 10, 10, 10, 10, 10, 11, 11, 11, 11, 11, 11, 11, 11)), bit), bit), 80);
    v128.store(o, i8x16.eq(v128.and(i8x16.swizzle(v, i8x16(12, 12, 12, 12, 12, 12, 12, 12, 13, 13, 13, 13, 13, 13, 13, 13)), bit), bit), 96);
    v128.store(o, i8x16.eq(v128.and(i8x16.swizzle(v, i8x16(14, 14, 14, 14, 14, 14, 14, 14, 15, 15, 15, 15, 15, 15, 15, 15)), bit), bit), 112);
  }
}

/**
 * Output rows y0..y1 at out, `width` bytes apart (plus 128 bytes of scratch
 * after the last). Call with consecutive ranges from y0 = 0: the ring holds
 * the class rows of the input rows the next output row needs.
 */
export function run(y0: i32, y1: i32, out: usize): void {
  if (y0 == 0) for (let y = 0; y < min(radius, height); y++) prepare(y);
  for (let y = y0; y < y1; y++) {
    if (y + radius < height) prepare(y + radius);
    emit(y, out + <usize>(y - y0) * <usize>width);
  }
}
