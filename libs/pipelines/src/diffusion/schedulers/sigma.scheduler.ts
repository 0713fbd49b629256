/**
 * What the k-diffusion style schedulers (Euler, Euler ancestral) share: a σ
 * per step interpolated from the training schedule, inputs scaled by
 * 1/√(σ²+1), and initial noise of standard deviation σ_max.
 */
import type { SchedulerConfig, SchedulerName } from './scheduler.types';
import { interpIndex, numpyArange, numpyLinspace, trainingSigmas } from './noise-schedule';
import { DiscreteScheduler } from './discrete.scheduler';

const f32 = Math.fround;

export abstract class SigmaScheduler extends DiscreteScheduler {
  /** σ at every training timestep (float32). */
  protected readonly trainSigmas: Float32Array;
  override sigmas: number[] = [];

  constructor(name: SchedulerName, config: SchedulerConfig) {
    super(name, config);
    this.trainSigmas = trainingSigmas(this.alphasCumprod);
  }

  /** Float32 timesteps for the spacing, as Euler's `set_timesteps` builds them. */
  protected spacedFloatTimesteps(steps: number): number[] {
    const c = this.config;
    const T = c.num_train_timesteps;
    switch (c.timestep_spacing) {
      case 'linspace':
        return numpyLinspace(0, T - 1, steps)
          .map(f32)
          .reverse();
      case 'leading': {
        const ratio = Math.floor(T / steps);
        const out: number[] = [];
        for (let k = steps - 1; k >= 0; k--) out.push(f32(k * ratio + c.steps_offset));
        return out;
      }
      case 'trailing':
        return numpyArange(T, 0, -T / steps).map((t) => f32(Math.round(t) - 1));
    }
  }

  /** np.interp of the training σ at each (fractional) timestep, in float64. */
  protected interpolatedSigmas(timesteps: readonly number[]): number[] {
    return timesteps.map((t) => interpIndex(t, this.trainSigmas));
  }

  protected finishSchedule(timesteps: number[], sigmas: number[]): void {
    this.timesteps = timesteps;
    this.sigmas = sigmas.map(f32);
    const max = Math.max(...this.sigmas);
    const spacing = this.config.timestep_spacing;
    this.initNoiseSigma =
      spacing === 'linspace' || spacing === 'trailing' ? max : f32(Math.sqrt(f32(f32(max * max) + 1)));
    this.beginIndex = 0;
  }

  /** √(σ²+1) in float32, the divisor of `scale_model_input`. */
  protected inputDivisor(i: number): number {
    const s = this.sigmas[i];
    return f32(Math.sqrt(f32(f32(s * s) + 1)));
  }

  override scaleModelInput(sample: Float32Array, i: number, out: Float32Array, offset = 0): void {
    const d = this.inputDivisor(i);
    for (let k = 0; k < sample.length; k++) out[offset + k] = sample[k] / d;
  }

  addNoise(original: Float32Array, noise: Float32Array, i: number): Float32Array {
    const sigma = this.sigmas[i];
    const out = new Float32Array(original.length);
    for (let k = 0; k < out.length; k++) out[k] = original[k] + f32(noise[k] * sigma);
    return out;
  }

  /** x̂₀ from the model output at σ (k-diffusion's denoiser for ε, v and x₀ parameterisations). */
  protected predictX0(modelOutput: Float32Array, sample: Float32Array, sigma: number): Float32Array {
    const n = sample.length;
    const out = new Float32Array(n);
    switch (this.config.prediction_type) {
      case 'epsilon':
        for (let k = 0; k < n; k++) out[k] = sample[k] - f32(sigma * modelOutput[k]);
        return out;
      case 'v_prediction': {
        const s2p1 = f32(f32(sigma * sigma) + 1);
        const c = f32(-sigma / f32(Math.sqrt(s2p1)));
        for (let k = 0; k < n; k++) out[k] = f32(modelOutput[k] * c) + f32(sample[k] / s2p1);
        return out;
      }
      case 'sample':
        return modelOutput;
    }
  }
}
