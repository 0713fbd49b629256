/**
 * Latent Consistency Model multistep sampling (Luo et al. 2023, Algorithm 3),
 * as diffusers' LCMScheduler: the model's x̂₀ is mapped through the
 * consistency boundary condition (c_skip, c_out), then re-noised to the next
 * timestep with fresh noise, except after the last step.
 *
 * Timesteps come from the distillation schedule (`original_inference_steps`,
 * default 50: t = 19, 39, … 999), of which `steps` are picked evenly.
 * `timestep_spacing` does not apply (diffusers ignores it for LCM too).
 *
 * The guidance-scale embedding an LCM-distilled UNet takes as `timestep_cond`
 * is in guidance-embedding.ts; the pipeline feeds it when the UNet has that input.
 */
import { UserError } from '@maskflow/workflow';
import type { SchedulerConfig, StepResult } from './scheduler.types';
import { numpyLinspace } from './noise-schedule';
import { clampInPlace, DiscreteScheduler, predictX0AndEps } from './discrete.scheduler';

const f32 = Math.fround;

/** σ_data of the consistency boundary condition (diffusers' constant). */
const SIGMA_DATA = 0.5;

export class LcmScheduler extends DiscreteScheduler {
  readonly finalAlphaCumprod: number;

  constructor(config: SchedulerConfig) {
    super('lcm', config);
    this.finalAlphaCumprod = config.set_alpha_to_one ? 1 : this.alphasCumprod[0];
  }

  /** The distillation schedule's timesteps, descending. `strength` scales it as diffusers' img2img does. */
  originTimesteps(strength = 1): number[] {
    const original = this.config.original_inference_steps;
    const k = Math.floor(this.config.num_train_timesteps / original);
    const out: number[] = [];
    for (let i = Math.floor(original * strength); i >= 1; i--) out.push(i * k - 1);
    return out;
  }

  setTimesteps(steps: number): void {
    const original = this.config.original_inference_steps;
    if (original > this.config.num_train_timesteps) {
      throw new UserError(
        `lcm: original_inference_steps ${original} exceeds num_train_timesteps ${this.config.num_train_timesteps}`,
        {
          code: 'bad-scheduler-config',
          field: 'scheduler',
        },
      );
    }
    this.checkSteps(steps, original);
    const origin = this.originTimesteps();
    const indices = numpyLinspace(0, origin.length, steps, false).map(Math.floor);
    this.timesteps = indices.map((i) => origin[i]);
    this.numInferenceSteps = steps;
    this.beginIndex = 0;
  }

  override needsNoise(i: number): boolean {
    return i !== this.numInferenceSteps - 1;
  }

  /**
   * c_skip and c_out at timestep t (diffusers' get_scalings_for_boundary_condition_discrete;
   * there t is an int64 tensor, so t·scaling and what follows are float32).
   */
  boundaryScalings(t: number): { cSkip: number; cOut: number } {
    const scaled = f32(t * this.config.timestep_scaling);
    const d2 = SIGMA_DATA * SIGMA_DATA;
    const s2 = f32(f32(scaled * scaled) + d2);
    return { cSkip: f32(d2 / s2), cOut: f32(scaled / f32(Math.sqrt(s2))) };
  }

  step(modelOutput: Float32Array, i: number, sample: Float32Array, noise?: Float32Array): StepResult {
    this.checkStep(i, modelOutput, sample);
    const t = this.timesteps[i];
    const prevT = i + 1 < this.timesteps.length ? this.timesteps[i + 1] : t;
    const alphaProd = this.alphaAt(t);
    const alphaPrev = prevT >= 0 ? this.alphaAt(prevT) : this.finalAlphaCumprod;
    const { cSkip, cOut } = this.boundaryScalings(t);
    const { x0 } = predictX0AndEps(this.config.prediction_type, modelOutput, sample, alphaProd);
    const pred = x0 === modelOutput ? Float32Array.from(x0) : x0;
    if (this.config.clip_sample) clampInPlace(pred, this.config.clip_sample_range);
    const denoised = new Float32Array(sample.length);
    for (let k = 0; k < denoised.length; k++) denoised[k] = f32(cOut * pred[k]) + f32(cSkip * sample[k]);
    if (!this.needsNoise(i)) return { prevSample: denoised, denoised };
    const z = this.requireNoise(noise, sample.length);
    const a = f32(Math.sqrt(alphaPrev));
    const b = f32(Math.sqrt(f32(1 - alphaPrev)));
    const prevSample = new Float32Array(sample.length);
    for (let k = 0; k < prevSample.length; k++) prevSample[k] = f32(a * denoised[k]) + f32(b * z[k]);
    return { prevSample, denoised };
  }

  addNoise(original: Float32Array, noise: Float32Array, i: number): Float32Array {
    return this.addNoiseVp(original, noise, this.timesteps[i]);
  }
}
