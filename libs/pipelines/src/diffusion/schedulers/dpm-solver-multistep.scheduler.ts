/**
 * DPM-Solver++(2M) (Lu et al. 2022, "DPM-Solver++", Algorithm 2), as
 * diffusers' DPMSolverMultistepScheduler with algorithm_type "dpmsolver++"
 * and solver_order 2, optionally on Karras σ. The model output is turned into
 * a data prediction x̂₀; each step is exact for the linear part in
 * λ = log(α/σ) and second order in x̂₀ once two outputs exist. Latents are
 * not input-scaled (VP form: x = α·x₀ + σ·ε with α = 1/√(σ²+1)).
 */
import type { SchedulerConfig, StepResult } from './scheduler.types';
import {
  interpIndex,
  karrasSigmas,
  logSigmasF32,
  numpyArange,
  numpyLinspace,
  roundHalfEven,
  sigmaToT,
  trainingSigmas,
} from './noise-schedule';
import { DiscreteScheduler } from './discrete.scheduler';

const f32 = Math.fround;

function alphaSigma(sigma: number): { alpha: number; sigmaT: number } {
  const alpha = f32(1 / f32(Math.sqrt(f32(f32(sigma * sigma) + 1))));
  return { alpha, sigmaT: f32(sigma * alpha) };
}

function lambdaOf(sigma: number): number {
  const { alpha, sigmaT } = alphaSigma(sigma);
  return f32(f32(Math.log(alpha)) - f32(Math.log(sigmaT)));
}

export class DpmSolverMultistepScheduler extends DiscreteScheduler {
  override sigmas: number[] = [];
  private readonly trainSigmas: Float32Array;
  private modelOutputs: Array<Float32Array | null> = [null, null];
  private lowerOrderNums = 0;

  constructor(
    config: SchedulerConfig,
    name: 'dpmpp_2m' | 'dpmpp_2m_karras' = config.use_karras_sigmas ? 'dpmpp_2m_karras' : 'dpmpp_2m',
  ) {
    super(name, config);
    if (config.algorithm_type !== 'dpmsolver++' || config.solver_order !== 2) {
      throw new Error(`${name}: only algorithm_type "dpmsolver++" with solver_order 2 is implemented`);
    }
    this.trainSigmas = trainingSigmas(this.alphasCumprod);
  }

  setTimesteps(steps: number): void {
    this.checkSteps(steps);
    const c = this.config;
    const T = c.num_train_timesteps;
    // λ_min clipping (for cosine schedules): drop the training steps whose λ is below the bound.
    let clipped = 0;
    if (Number.isFinite(c.lambda_min_clipped)) {
      for (let t = T - 1; t >= 0; t--) {
        const a = this.alphasCumprod[t];
        const lambda = f32(f32(Math.log(f32(Math.sqrt(a)))) - f32(Math.log(f32(Math.sqrt(f32(1 - a))))));
        if (lambda < c.lambda_min_clipped) clipped++;
        else break;
      }
    }
    const lastTimestep = T - clipped;
    let timesteps: number[];
    switch (c.timestep_spacing) {
      case 'linspace':
        timesteps = numpyLinspace(0, lastTimestep - 1, steps + 1)
          .map(roundHalfEven)
          .reverse()
          .slice(0, -1);
        break;
      case 'leading': {
        const ratio = Math.floor(lastTimestep / (steps + 1));
        timesteps = [];
        for (let k = steps; k >= 1; k--) timesteps.push(k * ratio + c.steps_offset);
        break;
      }
      case 'trailing':
        timesteps = numpyArange(lastTimestep, 0, -T / steps).map((t) => roundHalfEven(t) - 1);
        break;
    }
    let sigmas: number[];
    if (c.use_karras_sigmas) {
      const logSigmas = logSigmasF32(this.trainSigmas);
      sigmas = karrasSigmas(this.trainSigmas[0], this.trainSigmas[T - 1], steps);
      timesteps = sigmas.map((s) => roundHalfEven(sigmaToT(s, logSigmas)));
    } else {
      sigmas = timesteps.map((t) => interpIndex(t, this.trainSigmas));
    }
    const last = c.final_sigmas_type === 'sigma_min' ? this.trainSigmas[0] : 0;
    this.sigmas = [...sigmas, last].map(f32);
    this.timesteps = timesteps;
    this.numInferenceSteps = timesteps.length;
    this.modelOutputs = [null, null];
    this.lowerOrderNums = 0;
    this.beginIndex = 0;
  }

  /** x̂₀ (diffusers' convert_model_output for dpmsolver++). */
  private dataPrediction(modelOutput: Float32Array, sample: Float32Array, i: number): Float32Array {
    const { alpha, sigmaT } = alphaSigma(this.sigmas[i]);
    const n = sample.length;
    switch (this.config.prediction_type) {
      case 'epsilon': {
        const out = new Float32Array(n);
        for (let k = 0; k < n; k++) out[k] = f32(sample[k] - f32(sigmaT * modelOutput[k])) / alpha;
        return out;
      }
      case 'v_prediction': {
        const out = new Float32Array(n);
        for (let k = 0; k < n; k++) out[k] = f32(alpha * sample[k]) - f32(sigmaT * modelOutput[k]);
        return out;
      }
      case 'sample':
        return modelOutput;
    }
  }

  step(modelOutput: Float32Array, i: number, sample: Float32Array): StepResult {
    this.checkStep(i, modelOutput, sample);
    const c = this.config;
    const n = this.timesteps.length;
    const lowerOrderFinal =
      i === n - 1 && (c.euler_at_final || (c.lower_order_final && n < 15) || c.final_sigmas_type === 'zero');
    const x0 = this.dataPrediction(modelOutput, sample, i);
    this.modelOutputs = [this.modelOutputs[1], x0];
    const firstOrder = this.lowerOrderNums < 1 || lowerOrderFinal;
    const prevSample = firstOrder ? this.firstOrder(x0, sample, i) : this.secondOrder(sample, i);
    if (this.lowerOrderNums < 2) this.lowerOrderNums++;
    return { prevSample, denoised: x0 };
  }

  /** DPM-Solver++ first order (= DDIM in λ). */
  private firstOrder(x0: Float32Array, sample: Float32Array, i: number): Float32Array {
    const { alpha: alphaT, sigmaT } = alphaSigma(this.sigmas[i + 1]);
    const { sigmaT: sigmaS } = alphaSigma(this.sigmas[i]);
    const h = f32(lambdaOf(this.sigmas[i + 1]) - lambdaOf(this.sigmas[i]));
    const ratio = f32(sigmaT / sigmaS);
    const coef = f32(alphaT * f32(f32(Math.exp(-h)) - 1));
    const out = new Float32Array(sample.length);
    for (let k = 0; k < out.length; k++) out[k] = f32(ratio * sample[k]) - f32(coef * x0[k]);
    return out;
  }

  /** Multistep second order, midpoint or Heun form. */
  private secondOrder(sample: Float32Array, i: number): Float32Array {
    const m0 = this.modelOutputs[1];
    const m1 = this.modelOutputs[0];
    if (!m0 || !m1) throw new Error('dpm-solver: second order step without two model outputs');
    const { alpha: alphaT, sigmaT } = alphaSigma(this.sigmas[i + 1]);
    const { sigmaT: sigmaS0 } = alphaSigma(this.sigmas[i]);
    const lambdaT = lambdaOf(this.sigmas[i + 1]);
    const lambdaS0 = lambdaOf(this.sigmas[i]);
    const lambdaS1 = lambdaOf(this.sigmas[i - 1]);
    const h = f32(lambdaT - lambdaS0);
    const h0 = f32(lambdaS0 - lambdaS1);
    const r0 = f32(h0 / h);
    const invR0 = f32(1 / r0);
    const ratio = f32(sigmaT / sigmaS0);
    const expm = f32(f32(Math.exp(-h)) - 1);
    const c0 = f32(alphaT * expm);
    const heun = this.config.solver_type === 'heun';
    const c1 = heun ? f32(alphaT * f32(f32(expm / h) + 1)) : f32(0.5 * c0);
    const out = new Float32Array(sample.length);
    for (let k = 0; k < out.length; k++) {
      const d1 = f32(invR0 * f32(m0[k] - m1[k]));
      const base = f32(f32(ratio * sample[k]) - f32(c0 * m0[k]));
      out[k] = heun ? base + f32(c1 * d1) : base - f32(c1 * d1);
    }
    return out;
  }

  addNoise(original: Float32Array, noise: Float32Array, i: number): Float32Array {
    const { alpha, sigmaT } = alphaSigma(this.sigmas[i]);
    const out = new Float32Array(original.length);
    for (let k = 0; k < out.length; k++) out[k] = f32(alpha * original[k]) + f32(sigmaT * noise[k]);
    return out;
  }
}
