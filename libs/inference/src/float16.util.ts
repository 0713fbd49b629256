/**
 * IEEE 754 binary16 <-> binary32 conversion. onnxruntime-node carries float16
 * tensors as Uint16Array bit patterns on Node 20, so fp16 exports (SD UNet,
 * q4f16 GroundingDINO) need these at the edge. Rounding is to nearest, ties to
 * even, like a hardware conversion; subnormals, ±0, ±Inf and NaN are kept.
 */

// Scratch views to read a float32's bits without allocating per value.
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Converts float32 bits (as an unsigned 32-bit integer) to float16 bits. */
export function float32BitsToFloat16Bits(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;

  if (exp === 0xff) {
    // Inf stays Inf; NaN keeps its top payload bits and is forced quiet so it cannot turn into Inf.
    return mant === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mant >>> 13);
  }
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Result is subnormal (or zero): values below half the smallest subnormal (2^-25) round to ±0.
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = m & ((1 << shift) - 1);
    let h = m >>> shift;
    if (rest > half || (rest === half && (h & 1) === 1)) h++;
    // A carry out of the mantissa lands in the exponent field: the smallest normal, which is right.
    return sign | h;
  }
  let h = sign | (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // A carry may ripple into the exponent (and up to Inf at the top): that is the correct rounding.
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h++;
  return h;
}

/** Converts float16 bits to float32 bits (exact: every float16 is a float32). */
export function float16BitsToFloat32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0;
  if (exp === 0) {
    if (mant === 0) return sign >>> 0;
    // Subnormal: renormalize into float32's wider exponent range.
    let e = 1;
    while ((mant & 0x400) === 0) {
      mant <<= 1;
      e--;
    }
    mant &= 0x3ff;
    return (sign | ((e + 112) << 23) | (mant << 13)) >>> 0;
  }
  return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
}

/** Rounds one number to the nearest float16 and returns its bits. */
export function toFloat16Bits(x: number): number {
  f32[0] = x;
  // The float32 step rounds first; double rounding through float32 is exact for float16 targets
  // (float32 has more than 2·11+2 significand bits).
  return float32BitsToFloat16Bits(u32[0]);
}

/** The value of float16 bits as a number. */
export function fromFloat16Bits(h: number): number {
  u32[0] = float16BitsToFloat32Bits(h);
  return f32[0];
}

/** Converts a whole float32 array to float16 bit patterns (what a float16 tensor's data holds). */
export function float32ToFloat16(src: Float32Array): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < bits.length; i++) out[i] = float32BitsToFloat16Bits(bits[i]);
  return out;
}

/** Converts float16 bit patterns (a float16 tensor's data) to float32. */
export function float16ToFloat32(src: Uint16Array): Float32Array {
  const out = new Float32Array(src.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < src.length; i++) bits[i] = float16BitsToFloat32Bits(src[i]);
  return out;
}
