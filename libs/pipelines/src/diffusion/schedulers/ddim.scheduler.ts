/**
 * DDIM (Song et al. 2020, eq. 12), deterministic (η = 0), as diffusers'
 * DDIMScheduler: x_{t−δ} = √ᾱ_{t−δ}·x̂₀ + √(1 − ᾱ_{t−δ})·ε̂ with δ = T // steps.
 */
import type { SchedulerConfig, StepResult } from './scheduler.types';
import { spacedTimesteps } from './noise-schedule';
import { clampInPlace, DiscreteScheduler, predictX0AndEps } from './discrete.scheduler';

const f32 = Math.fround;

export class DdimScheduler extends DiscreteScheduler {
  /** ᾱ after the last step: 1, or ᾱ_0 (set_alpha_to_one = false, as SD ships). */
  readonly finalAlphaCumprod: number;

  constructor(config: SchedulerConfig) {
    super('ddim', config);
    this.finalAlphaCumprod = config.set_alpha_to_one ? 1 : this.alphasCumprod[0];
  }

  setTimesteps(steps: number): void {
    this.checkSteps(steps);
    this.numInferenceSteps = steps;
    const c = this.config;
    this.timesteps = spacedTimesteps(c.timestep_spacing, steps, c.num_train_timesteps, c.steps_offset);
    this.beginIndex = 0;
  }

  step(modelOutput: Float32Array, i: number, sample: Float32Array): StepResult {
    this.checkStep(i, modelOutput, sample);
    const t = this.timesteps[i];
    const prev = t - Math.floor(this.config.num_train_timesteps / this.numInferenceSteps);
    const alphaProd = this.alphaAt(t);
    const alphaPrev = prev >= 0 ? this.alphaAt(prev) : this.finalAlphaCumprod;
    const { x0, eps } = predictX0AndEps(this.config.prediction_type, modelOutput, sample, alphaProd);
    if (this.config.clip_sample) clampInPlace(x0, this.config.clip_sample_range);
    const dirCoef = f32(Math.sqrt(f32(1 - alphaPrev)));
    const x0Coef = f32(Math.sqrt(alphaPrev));
    const prevSample = new Float32Array(sample.length);
    for (let k = 0; k < prevSample.length; k++) prevSample[k] = f32(x0Coef * x0[k]) + f32(dirCoef * eps[k]);
    return { prevSample, denoised: x0 };
  }

  addNoise(original: Float32Array, noise: Float32Array, i: number): Float32Array {
    return this.addNoiseVp(original, noise, this.timesteps[i]);
  }
}
