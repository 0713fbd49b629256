/**
 * Seeded Gaussian noise: Philox4x32-10 (Salmon et al. 2011, "Parallel random
 * numbers: as easy as 1, 2, 3", the generator torch and JAX use on GPUs) as a
 * counter-based source of uint32s, turned into normals with Box–Muller.
 *
 * The mapping, fixed so that the same seed gives the same noise on every
 * machine and in every version (part of the seed's meaning, like A1111's
 * "CPU noise"; a change here changes every saved seed's image):
 * - key = (seed mod 2³², ⌊seed / 2³²⌋), for seeds 0 … 2⁵³ − 1;
 * - counter = (block mod 2³², ⌊block / 2³²⌋, stream, 0);
 * - each block's 4 words w₀…w₃ give 4 normals: u = (w + ½)/2³² ∈ (0, 1),
 *   r = √(−2 ln u₀), z₀ = r·cos 2πu₁, z₁ = r·sin 2πu₁; likewise (w₂, w₃) → z₂, z₃;
 * - element n of a stream is normal n mod 4 of block ⌊n/4⌋, rounded to float32.
 * Streams keep independent draws apart without a shared state: the initial
 * latents, the VAE sample and each step's noise have their own (NOISE_STREAMS),
 * so changing the scheduler or step count never shifts another draw.
 * Math.log/cos/sin are V8's fdlibm ports, identical on every platform.
 */
import { randomInt } from 'node:crypto';
import { UserError } from '@maskflow/workflow';

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;
const TWO_32 = 4294967296;

/** The largest seed: every integer below 2⁵³ is exact in a JS number and in JSON. */
export const MAX_SEED = Number.MAX_SAFE_INTEGER;

/** Stream ids of the inpainting pipeline's draws. */
export const NOISE_STREAMS = {
  initialLatents: 0,
  /** Sampling the VAE's latent distribution (exports with latent_parameters). */
  vaeSample: 1,
  /** Fresh noise for step i of an ancestral or LCM scheduler. */
  step: (i: number): number => 2 + i,
} as const;

/** High 32 bits of a 32×32-bit product (the low ones are Math.imul). */
function mulhi(a: number, b: number): number {
  const a1 = a >>> 16;
  const a0 = a & 0xffff;
  const b1 = b >>> 16;
  const b0 = b & 0xffff;
  const lo = a0 * b0;
  const mid1 = a1 * b0;
  const mid2 = a0 * b1;
  const carry = ((lo >>> 16) + (mid1 & 0xffff) + (mid2 & 0xffff)) >>> 16;
  return (a1 * b1 + (mid1 >>> 16) + (mid2 >>> 16) + carry) >>> 0;
}

/** Philox4x32 with 10 rounds: counter (c0…c3), key (k0, k1) → 4 uint32 words in `out`. */
export function philox4x32(
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  k0: number,
  k1: number,
  out: Uint32Array,
): void {
  let x0 = c0 >>> 0;
  let x1 = c1 >>> 0;
  let x2 = c2 >>> 0;
  let x3 = c3 >>> 0;
  let key0 = k0 >>> 0;
  let key1 = k1 >>> 0;
  for (let round = 0; round < 10; round++) {
    const hi0 = mulhi(M0, x0);
    const lo0 = Math.imul(M0, x0) >>> 0;
    const hi1 = mulhi(M1, x2);
    const lo1 = Math.imul(M1, x2) >>> 0;
    x0 = (hi1 ^ x1 ^ key0) >>> 0;
    x1 = lo1;
    x2 = (hi0 ^ x3 ^ key1) >>> 0;
    x3 = lo0;
    key0 = (key0 + W0) >>> 0;
    key1 = (key1 + W1) >>> 0;
  }
  out[0] = x0;
  out[1] = x1;
  out[2] = x2;
  out[3] = x3;
}

export function checkSeed(seed: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    throw new UserError(
      `seed must be a whole number from 0 to ${MAX_SEED} (or −1 for a random one), got ${seed}`,
      { code: 'bad-seed', field: 'seed' },
    );
  }
}

/** The seed to use: `seed` itself, or a fresh random one for −1 (32 bits, short enough to read and retype). */
export function resolveSeed(seed: number): number {
  if (seed === -1) return randomInt(0, TWO_32);
  checkSeed(seed);
  return seed;
}

export class PhiloxNoise {
  private readonly k0: number;
  private readonly k1: number;

  constructor(readonly seed: number) {
    checkSeed(seed);
    this.k0 = (seed % TWO_32) >>> 0;
    this.k1 = Math.floor(seed / TWO_32) >>> 0;
  }

  /** `count` standard normals of stream `stream`, starting at element `offset`. */
  normal(stream: number, count: number, offset = 0): Float32Array {
    if (!Number.isInteger(stream) || stream < 0 || stream >= TWO_32)
      throw new RangeError(`noise stream must be a uint32, got ${stream}`);
    const out = new Float32Array(count);
    const words = new Uint32Array(4);
    let block = -1;
    const z = new Float64Array(4);
    for (let k = 0; k < count; k++) {
      const n = offset + k;
      const b = Math.floor(n / 4);
      if (b !== block) {
        block = b;
        philox4x32(b % TWO_32, Math.floor(b / TWO_32), stream, 0, this.k0, this.k1, words);
        boxMuller(words[0], words[1], z, 0);
        boxMuller(words[2], words[3], z, 2);
      }
      out[k] = z[n & 3];
    }
    return out;
  }
}

function boxMuller(w0: number, w1: number, out: Float64Array, at: number): void {
  const u0 = (w0 + 0.5) / TWO_32;
  const u1 = (w1 + 0.5) / TWO_32;
  const r = Math.sqrt(-2 * Math.log(u0));
  const theta = 2 * Math.PI * u1;
  out[at] = r * Math.cos(theta);
  out[at + 1] = r * Math.sin(theta);
}
