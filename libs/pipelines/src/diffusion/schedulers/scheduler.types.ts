import type { BetaSchedule, TimestepSpacing } from './noise-schedule';

/** The samplers the SDInpaint node offers, by the names users know from ComfyUI/A1111. */
export const SCHEDULER_NAMES = [
  'pndm',
  'ddim',
  'euler',
  'euler_a',
  'dpmpp_2m',
  'dpmpp_2m_karras',
  'lcm',
] as const;
export type SchedulerName = (typeof SCHEDULER_NAMES)[number];

export type PredictionType = 'epsilon' | 'v_prediction' | 'sample';

/**
 * A scheduler's configuration with diffusers' key names (what
 * `scheduler_config.json` holds). Every key is filled: from the file where
 * it has the key, else from the scheduler class's own default.
 */
export interface SchedulerConfig {
  /** The diffusers class these settings are for. */
  _class_name: string;
  num_train_timesteps: number;
  beta_start: number;
  beta_end: number;
  beta_schedule: BetaSchedule;
  trained_betas: number[] | null;
  prediction_type: PredictionType;
  timestep_spacing: TimestepSpacing;
  steps_offset: number;
  rescale_betas_zero_snr: boolean;
  /** DDIM, PNDM, LCM: ᾱ used after the last step (1, or ᾱ_0). */
  set_alpha_to_one: boolean;
  /** DDIM, LCM. */
  clip_sample: boolean;
  clip_sample_range: number;
  /** PNDM: only PLMS (skip_prk_steps) is implemented; see pndm.scheduler.ts. */
  skip_prk_steps: boolean;
  /** Euler, DPM-Solver. */
  use_karras_sigmas: boolean;
  /** Euler: "zero" or "sigma_min"; DPM-Solver: the same. */
  final_sigmas_type: 'zero' | 'sigma_min';
  /** Euler: bounds for Karras sigmas (null: the training schedule's). */
  sigma_min: number | null;
  sigma_max: number | null;
  /** DPM-Solver. */
  solver_order: number;
  algorithm_type: string;
  solver_type: 'midpoint' | 'heun';
  lower_order_final: boolean;
  euler_at_final: boolean;
  lambda_min_clipped: number;
  /** LCM. */
  original_inference_steps: number;
  timestep_scaling: number;
}

/** Result of one denoising step. */
export interface StepResult {
  /** x_{t−1}: the next latents. */
  prevSample: Float32Array;
  /** The model's current estimate of x_0 (for previews), when the scheduler has one at hand. */
  denoised?: Float32Array;
}

/**
 * A diffusers-equivalent discrete scheduler working on flat float32 latents.
 * Usage: `setTimesteps(n)`, then for i over `timesteps` (from the begin index):
 * x_in = scaleModelInput(x, i); eps = unet(x_in, timesteps[i]); x = step(eps, i, x).prevSample.
 */
export interface DiffusionScheduler {
  readonly name: SchedulerName;
  readonly config: Readonly<SchedulerConfig>;
  /** Model timesteps, in the order they are used. */
  readonly timesteps: readonly number[];
  /** Noise levels per step plus the final one, for σ-parameterised schedulers; null for the others. */
  readonly sigmas: readonly number[] | null;
  /** Standard deviation of the initial latents (multiplies unit noise). */
  readonly initNoiseSigma: number;
  /** How many entries of `timesteps` one inference step uses (diffusers' `order` class attribute). */
  readonly order: number;
  /** The model evaluations this schedule takes (length of `timesteps`). */
  readonly numModelCalls: number;
  setTimesteps(steps: number): void;
  /** Starts at `timesteps[index]` (img2img strength); diffusers' `set_begin_index`. */
  setBeginIndex(index: number): void;
  /**
   * diffusers' `scale_model_input` at step index i (x / √(σ²+1) for σ schedulers,
   * identity for the others), written into `out` at `offset` so the caller can
   * place it straight into the UNet's input batch.
   */
  scaleModelInput(sample: Float32Array, i: number, out: Float32Array, offset?: number): void;
  /** True when `step(…, i, …)` needs fresh unit Gaussian noise (ancestral sampling, LCM). */
  needsNoise(i: number): boolean;
  step(modelOutput: Float32Array, i: number, sample: Float32Array, noise?: Float32Array): StepResult;
  /** Noises clean latents to the level of `timesteps[i]` (img2img with strength < 1). */
  addNoise(original: Float32Array, noise: Float32Array, i: number): Float32Array;
}
