/**
 * The training noise schedule every discrete scheduler shares (betas → ᾱ →
 * σ), and the small numeric helpers diffusers' `set_timesteps` methods use.
 *
 * Precision: diffusers builds these arrays as torch float32 tensors, so this
 * module emulates those float32 operations rather than computing in float64:
 * `torch.linspace` (its CPU kernel computes the first half as start + step·i
 * and the second half as end − step·(n−1−i), in float32), `1 − β` in float32,
 * and `torch.cumprod`, whose CPU kernel accumulates in double and rounds each
 * output to float32. What remains are differences of a few float32 ulps (e.g.
 * torch's vectorised linspace lanes), far below anything a pipeline can see.
 */

const f32 = Math.fround;

export type BetaSchedule = 'linear' | 'scaled_linear' | 'squaredcos_cap_v2';
export type TimestepSpacing = 'linspace' | 'leading' | 'trailing';

export interface NoiseScheduleOptions {
  numTrainTimesteps: number;
  betaStart: number;
  betaEnd: number;
  betaSchedule: BetaSchedule;
  /** Overrides the schedule (diffusers' `trained_betas`). */
  trainedBetas?: readonly number[] | null;
  /** Lin et al. 2023, "Common Diffusion Noise Schedules and Sample Steps are Flawed", Algorithm 1. */
  rescaleBetasZeroSnr?: boolean;
}

/** torch.linspace(start, end, n, dtype=float32) on CPU, scalar path. */
export function torchLinspaceF32(start: number, end: number, n: number): Float32Array {
  const out = new Float32Array(n);
  if (n === 1) {
    out[0] = start;
    return out;
  }
  const s = f32(start);
  const e = f32(end);
  const step = f32(f32(e - s) / (n - 1));
  const half = Math.floor(n / 2);
  for (let i = 0; i < n; i++) out[i] = i < half ? f32(s + f32(step * i)) : f32(e - f32(step * (n - 1 - i)));
  return out;
}

/** Glide's cosine schedule (diffusers' betas_for_alpha_bar, computed in float64 then stored as float32). */
function cosineBetas(n: number, maxBeta = 0.999): Float32Array {
  const alphaBar = (t: number): number => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.min(1 - alphaBar((i + 1) / n) / alphaBar(i / n), maxBeta);
  return out;
}

export function makeBetas(o: NoiseScheduleOptions): Float32Array {
  if (o.trainedBetas && o.trainedBetas.length > 0) return Float32Array.from(o.trainedBetas);
  switch (o.betaSchedule) {
    case 'linear':
      return torchLinspaceF32(o.betaStart, o.betaEnd, o.numTrainTimesteps);
    case 'scaled_linear': {
      const b = torchLinspaceF32(Math.sqrt(o.betaStart), Math.sqrt(o.betaEnd), o.numTrainTimesteps);
      for (let i = 0; i < b.length; i++) b[i] = b[i] * b[i];
      return b;
    }
    case 'squaredcos_cap_v2':
      return cosineBetas(o.numTrainTimesteps);
  }
}

/** torch.cumprod of float32 on CPU: double accumulator, float32 outputs. */
function cumprodF32(values: Float32Array): Float32Array {
  const out = new Float32Array(values.length);
  let acc = 1;
  for (let i = 0; i < values.length; i++) {
    acc *= values[i];
    out[i] = acc;
  }
  return out;
}

/** Algorithm 1 of Lin et al.: shift and scale √ᾱ so the last step has zero SNR. */
function rescaleZeroTerminalSnr(betas: Float32Array): Float32Array {
  const alphas = betas.map((b) => f32(1 - b));
  const sqrtAc = cumprodF32(alphas).map((a) => Math.sqrt(a));
  const first = sqrtAc[0];
  const last = sqrtAc[sqrtAc.length - 1];
  const scale = f32(first / f32(first - last));
  for (let i = 0; i < sqrtAc.length; i++) sqrtAc[i] = f32(f32(sqrtAc[i] - last) * scale);
  const ac = sqrtAc.map((s) => f32(s * s));
  const out = new Float32Array(betas.length);
  out[0] = f32(1 - ac[0]);
  for (let i = 1; i < ac.length; i++) out[i] = f32(1 - f32(ac[i] / ac[i - 1]));
  return out;
}

/** ᾱ_t = Π(1 − β) for t = 0 … T−1, as diffusers' float32 `alphas_cumprod`. */
export function alphasCumprod(o: NoiseScheduleOptions): Float32Array {
  let betas = makeBetas(o);
  if (o.rescaleBetasZeroSnr) betas = rescaleZeroTerminalSnr(betas);
  return cumprodF32(betas.map((b) => f32(1 - b)));
}

/** σ_t = √((1 − ᾱ_t)/ᾱ_t), each operation in float32 like the torch expression diffusers uses. */
export function trainingSigmas(ac: Float32Array): Float32Array {
  const out = new Float32Array(ac.length);
  for (let i = 0; i < ac.length; i++) out[i] = Math.sqrt(f32(f32(1 - ac[i]) / ac[i]));
  return out;
}

/** numpy.interp(x, [0, 1, … n−1], fp) in float64, with numpy's exact-hit rule. */
export function interpIndex(x: number, fp: ArrayLike<number>): number {
  const n = fp.length;
  if (x <= 0) return fp[0];
  if (x >= n - 1) return fp[n - 1];
  const j = Math.floor(x);
  if (j === x) return fp[j];
  const slope = (fp[j + 1] - fp[j]) / 1;
  return slope * (x - j) + fp[j];
}

/** numpy.linspace(start, stop, num) in float64 (arange·step + start, last value forced to stop). */
export function numpyLinspace(start: number, stop: number, num: number, endpoint = true): number[] {
  const div = endpoint ? num - 1 : num;
  const out: number[] = [];
  if (num <= 0) return out;
  const delta = stop - start;
  const step = div > 0 ? delta / div : NaN;
  for (let i = 0; i < num; i++) out.push(div > 0 ? i * step + start : start);
  if (endpoint && num > 1) out[num - 1] = stop;
  return out;
}

/** numpy.round: half to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** numpy.arange(start, stop, step) for a float step: numpy fills start + i·((start + step) − start). */
export function numpyArange(start: number, stop: number, step: number): number[] {
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const delta = start + step - start;
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(i === 1 ? start + step : start + i * delta);
  return out;
}

/**
 * The descending integer timesteps of DDIM/PNDM-style schedulers for each
 * `timestep_spacing` (Table 2 of Lin et al. 2023, as diffusers implements it).
 */
export function spacedTimesteps(
  spacing: TimestepSpacing,
  steps: number,
  numTrain: number,
  stepsOffset: number,
): number[] {
  switch (spacing) {
    case 'linspace':
      return numpyLinspace(0, numTrain - 1, steps)
        .map(roundHalfEven)
        .reverse();
    case 'leading': {
      const ratio = Math.floor(numTrain / steps);
      const out: number[] = [];
      for (let i = steps - 1; i >= 0; i--) out.push(i * ratio + stepsOffset);
      return out;
    }
    case 'trailing': {
      const ratio = numTrain / steps;
      return numpyArange(numTrain, 0, -ratio).map((t) => roundHalfEven(t) - 1);
    }
  }
}

/**
 * diffusers' `_sigma_to_t`: the fractional training timestep whose σ is
 * `sigma`, by linear interpolation in log σ. `logSigmas` are float32 values.
 */
export function sigmaToT(sigma: number, logSigmas: Float32Array): number {
  const logSigma = Math.log(Math.max(sigma, 1e-10));
  // low_idx = last index whose log σ ≤ log(sigma), clipped so high_idx stays in range.
  let count = 0;
  let lastGe = 0;
  for (let i = 0; i < logSigmas.length; i++) {
    if (logSigma - logSigmas[i] >= 0) {
      count++;
      lastGe = i;
    }
  }
  // np.cumsum(dists >= 0).argmax() is the first index where the running count peaks.
  let lowIdx = count === 0 ? 0 : firstIndexOfCount(logSigma, logSigmas, count, lastGe);
  lowIdx = Math.min(lowIdx, logSigmas.length - 2);
  const highIdx = lowIdx + 1;
  const low = logSigmas[lowIdx];
  const high = logSigmas[highIdx];
  let w = (low - logSigma) / (low - high);
  w = Math.min(Math.max(w, 0), 1);
  return (1 - w) * lowIdx + w * highIdx;
}

function firstIndexOfCount(
  logSigma: number,
  logSigmas: Float32Array,
  count: number,
  fallback: number,
): number {
  let running = 0;
  for (let i = 0; i < logSigmas.length; i++) {
    if (logSigma - logSigmas[i] >= 0) running++;
    if (running === count) return i;
  }
  return fallback;
}

/** Karras et al. 2022, eq. 5 with ρ = 7, in float64 (k-diffusion's get_sigmas_karras, as diffusers copies it). */
export function karrasSigmas(sigmaMin: number, sigmaMax: number, steps: number, rho = 7): number[] {
  const ramp = numpyLinspace(0, 1, steps);
  const minInv = sigmaMin ** (1 / rho);
  const maxInv = sigmaMax ** (1 / rho);
  return ramp.map((r) => (maxInv + r * (minInv - maxInv)) ** rho);
}

/** float32 log of each σ, as `np.log` of a float32 array. */
export function logSigmasF32(sigmas: Float32Array): Float32Array {
  return sigmas.map((s) => Math.log(s));
}
