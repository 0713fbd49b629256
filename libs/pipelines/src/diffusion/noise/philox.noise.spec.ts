import { MAX_SEED, NOISE_STREAMS, philox4x32, PhiloxNoise, resolveSeed } from './philox.noise';

const hex = (w: Uint32Array): string[] => Array.from(w, (x) => x.toString(16).padStart(8, '0'));

describe('Philox4x32-10', () => {
  // Known-answer vectors of Random123 (kat_vectors, philox4x32 with 10 rounds).
  it.each([
    [
      [0, 0, 0, 0],
      [0, 0],
      ['6627e8d5', 'e169c58d', 'bc57ac4c', '9b00dbd8'],
    ],
    [
      [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
      [0xffffffff, 0xffffffff],
      ['408f276d', '41c83b0e', 'a20bc7c6', '6d5451fd'],
    ],
    [
      [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
      [0xa4093822, 0x299f31d0],
      ['d16cfe09', '94fdcceb', '5001e420', '24126ea1'],
    ],
  ])('counter %j, key %j', (c, k, expected) => {
    const out = new Uint32Array(4);
    philox4x32(c[0], c[1], c[2], c[3], k[0], k[1], out);
    expect(hex(out)).toEqual(expected);
  });
});

describe('PhiloxNoise', () => {
  it('is a pure function of (seed, stream, element)', () => {
    const a = new PhiloxNoise(1234).normal(NOISE_STREAMS.initialLatents, 1000);
    const b = new PhiloxNoise(1234).normal(NOISE_STREAMS.initialLatents, 1000);
    expect(Buffer.from(a.buffer)).toEqual(Buffer.from(b.buffer));
    // Any window of a stream equals the same elements drawn from the start.
    const window = new PhiloxNoise(1234).normal(NOISE_STREAMS.initialLatents, 10, 37);
    expect(Array.from(window)).toEqual(Array.from(a.slice(37, 47)));
  });

  it('seeds, streams and large seeds give different noise', () => {
    const base = new PhiloxNoise(7).normal(0, 64);
    expect(Array.from(new PhiloxNoise(8).normal(0, 64))).not.toEqual(Array.from(base));
    expect(Array.from(new PhiloxNoise(7).normal(NOISE_STREAMS.step(0), 64))).not.toEqual(Array.from(base));
    expect(Array.from(new PhiloxNoise(7 + 2 ** 32).normal(0, 64))).not.toEqual(Array.from(base));
    expect(() => new PhiloxNoise(MAX_SEED)).not.toThrow();
  });

  it('pins the first values of seed 42 (the documented mapping must not drift)', () => {
    const z = Array.from(new PhiloxNoise(42).normal(0, 4));
    // Recomputed from the mapping in philox.noise.ts by hand: block 0 of key (42, 0), Box–Muller.
    const w = new Uint32Array(4);
    philox4x32(0, 0, 0, 0, 42, 0, w);
    const u = Array.from(w, (x) => (x + 0.5) / 2 ** 32);
    const r0 = Math.sqrt(-2 * Math.log(u[0]));
    const r1 = Math.sqrt(-2 * Math.log(u[2]));
    const expected = [
      r0 * Math.cos(2 * Math.PI * u[1]),
      r0 * Math.sin(2 * Math.PI * u[1]),
      r1 * Math.cos(2 * Math.PI * u[3]),
      r1 * Math.sin(2 * Math.PI * u[3]),
    ].map(Math.fround);
    expect(z).toEqual(expected);
  });

  it('is standard normal: mean 0, variance 1, symmetric tails', () => {
    const n = 200_000;
    const z = new PhiloxNoise(99).normal(0, n);
    let s = 0;
    let s2 = 0;
    let beyond2 = 0;
    for (const v of z) {
      s += v;
      s2 += v * v;
      if (Math.abs(v) > 2) beyond2++;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.01);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.01);
    expect(beyond2 / n).toBeCloseTo(0.0455, 2);
  });

  it('seed −1 draws a random 32-bit seed; other seeds pass through or are refused', () => {
    const s = resolveSeed(-1);
    expect(Number.isInteger(s) && s >= 0 && s < 2 ** 32).toBe(true);
    expect(resolveSeed(5)).toBe(5);
    expect(() => resolveSeed(-2)).toThrow(/seed/);
    expect(() => resolveSeed(1.5)).toThrow(/seed/);
  });
});
