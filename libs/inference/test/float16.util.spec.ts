import {
  float16BitsToFloat32Bits,
  float16ToFloat32,
  float32BitsToFloat16Bits,
  float32ToFloat16,
  fromFloat16Bits,
  toFloat16Bits,
} from '../src/float16.util';

/** The value of float16 bits, computed from the definition (not from the code under test). */
function f16Value(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0x1f) return m ? NaN : sign * Infinity;
  if (e === 0) return sign * m * 2 ** -24;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const bitsOf = (x: number): number => {
  f32[0] = x;
  return u32[0];
};
const valueOf = (bits: number): number => {
  u32[0] = bits >>> 0;
  return f32[0];
};

/** Positive finite float16 values in increasing order: index = bit pattern. */
const POSITIVE = Array.from({ length: 0x7c00 }, (_, h) => f16Value(h));

/**
 * Independent reference: nearest float16 by binary search over all values,
 * ties to the even bit pattern, ≥ 65520 (half-way to 2^16) to Infinity.
 */
function referenceToF16(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= 65520) return sign | 0x7c00;
  let lo = 0;
  let hi = POSITIVE.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (POSITIVE[mid] <= a) lo = mid;
    else hi = mid;
  }
  if (a >= POSITIVE[hi]) return sign | hi;
  const dLo = a - POSITIVE[lo];
  const dHi = POSITIVE[hi] - a;
  if (dLo < dHi) return sign | lo;
  if (dHi < dLo) return sign | hi;
  return sign | (lo % 2 === 0 ? lo : hi);
}

/** A seeded generator so failures reproduce. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

describe('float16 ↔ float32', () => {
  it('decodes every one of the 65536 float16 bit patterns exactly', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const out = float16ToFloat32(all);
    for (let h = 0; h < 65536; h++) {
      const want = f16Value(h);
      if (Number.isNaN(want)) expect(Number.isNaN(out[h])).toBe(true);
      else if (!Object.is(out[h], want))
        throw new Error(`0x${h.toString(16)} decoded to ${out[h]}, want ${want}`);
    }
  });

  it('round-trips every float16 (NaNs stay NaN, quiet ones bit for bit)', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const back = float32ToFloat16(float16ToFloat32(all));
    for (let h = 0; h < 65536; h++) {
      const isNaN16 = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
      if (isNaN16) {
        expect((back[h] & 0x7c00) === 0x7c00 && (back[h] & 0x3ff) !== 0).toBe(true);
        expect(back[h] & 0x8000).toBe(h & 0x8000);
        if (h & 0x200) expect(back[h]).toBe(h);
      } else if (back[h] !== h) {
        throw new Error(`0x${h.toString(16)} came back as 0x${back[h].toString(16)}`);
      }
    }
  });

  it('rounds every midpoint between neighbouring float16s to even, and their float32 neighbours to the nearer side', () => {
    // Midpoints of adjacent float16s need 12 significand bits: exact in float32.
    for (let h = 0; h < 0x7bff; h++) {
      const mid = (f16Value(h) + f16Value(h + 1)) / 2;
      const midBits = bitsOf(mid);
      if (valueOf(midBits) !== mid) throw new Error(`midpoint ${mid} is not exact in float32`);
      const even = h % 2 === 0 ? h : h + 1;
      for (const sign of [0, 0x8000]) {
        const sBits = (midBits | (sign << 16)) >>> 0;
        const got = [
          float32BitsToFloat16Bits(sBits),
          float32BitsToFloat16Bits(sBits - 1),
          float32BitsToFloat16Bits(sBits + 1),
        ];
        const want = [sign | even, sign | h, sign | (h + 1)];
        if (got[0] !== want[0] || got[1] !== want[1] || got[2] !== want[2]) {
          throw new Error(
            `around the midpoint of 0x${h.toString(16)}: got ${got.map((g) => g.toString(16)).join(',')}, want ${want.map((w) => w.toString(16)).join(',')}`,
          );
        }
      }
    }
  });

  it('handles overflow, underflow, signed zeros, infinities and NaN', () => {
    const cases: Array<[number, number]> = [
      [65504, 0x7bff],
      [valueOf(bitsOf(65520) - 1), 0x7bff], // just under the half-way point to 2^16
      [65520, 0x7c00], // the half-way point rounds to even: Infinity
      [1e6, 0x7c00],
      [-1e6, 0xfc00],
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
      [0, 0x0000],
      [-0, 0x8000],
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -25, 0x0000], // half of it: tie to even (zero)
      [valueOf(bitsOf(2 ** -25) + 1), 0x0001],
      [3 * 2 ** -25, 0x0002], // 1.5 subnormal units: tie to even (2)
      [-(2 ** -25), 0x8000],
      [2 ** -26, 0x0000],
      [valueOf(1), 0x0000], // smallest float32 subnormal
      [2 ** -14, 0x0400], // smallest normal
      [2 ** -14 - 2 ** -25, 0x0400], // the largest subnormal's upper midpoint rounds up into the normals
      [1, 0x3c00],
      [-2, 0xc000],
      [0.1, 0x2e66],
      [1 / 3, 0x3555],
    ];
    for (const [x, want] of cases) expect([x, toFloat16Bits(x).toString(16)]).toEqual([x, want.toString(16)]);
    expect(toFloat16Bits(NaN) & 0x7c00).toBe(0x7c00);
    expect(toFloat16Bits(NaN) & 0x3ff).not.toBe(0);
    // A NaN whose payload sits only in the low float32 bits must not collapse into Infinity.
    expect(float32BitsToFloat16Bits(0x7f800001) & 0x3ff).not.toBe(0);
    expect(Number.isNaN(fromFloat16Bits(0x7e00))).toBe(true);
    expect(fromFloat16Bits(0xfc00)).toBe(-Infinity);
    expect(float16BitsToFloat32Bits(0x8000)).toBe(0x80000000);
  });

  it('agrees with an independent nearest-value search on 200k random float32s', () => {
    const rand = mulberry32(1234);
    const src = new Float32Array(200_000);
    const srcBits = new Uint32Array(src.buffer);
    for (let i = 0; i < src.length; i++) {
      // Half uniformly random bit patterns, half concentrated on float16's range where rounding matters.
      srcBits[i] =
        i % 2 === 0
          ? rand()
          : ((rand() % (0x47800000 - 0x33000000)) + 0x33000000 + (rand() & 1 ? 0x80000000 : 0)) >>> 0;
    }
    const out = float32ToFloat16(src);
    for (let i = 0; i < src.length; i++) {
      const want = referenceToF16(src[i]);
      const got = out[i];
      if (Number.isNaN(src[i])) expect((got & 0x7c00) === 0x7c00 && (got & 0x3ff) !== 0).toBe(true);
      else if (got !== want)
        throw new Error(`${src[i]} → 0x${got.toString(16)}, want 0x${want.toString(16)}`);
    }
  });

  it('converts arrays that are views into a larger buffer', () => {
    const big = new Float32Array([9, 1, 2, 9]);
    expect(Array.from(float32ToFloat16(big.subarray(1, 3)))).toEqual([0x3c00, 0x4000]);
    const bits = new Uint16Array([0, 0x3c00, 0xc000, 0]);
    expect(Array.from(float16ToFloat32(bits.subarray(1, 3)))).toEqual([1, -2]);
  });
});
