import { UserError } from '@maskflow/workflow';
import { alphasCumprod } from './noise-schedule';
import type { DiffusionScheduler, SchedulerConfig, SchedulerName, StepResult } from './scheduler.types';

const f32 = Math.fround;

/**
 * What the discrete-time schedulers share: the ᾱ table, the step bookkeeping
 * and input checks. Tensor arithmetic rounds every operation to float32 in
 * the order diffusers' torch expressions evaluate, so results agree with
 * diffusers to the last bit or two.
 */
export abstract class DiscreteScheduler implements DiffusionScheduler {
  readonly config: Readonly<SchedulerConfig>;
  /** ᾱ_t for t = 0 … T−1 (float32). */
  readonly alphasCumprod: Float32Array;
  timesteps: number[] = [];
  sigmas: number[] | null = null;
  initNoiseSigma = 1;
  readonly order: number = 1;
  protected numInferenceSteps = 0;
  protected beginIndex = 0;

  constructor(
    readonly name: SchedulerName,
    config: SchedulerConfig,
  ) {
    this.config = Object.freeze({ ...config });
    this.alphasCumprod = alphasCumprod({
      numTrainTimesteps: config.num_train_timesteps,
      betaStart: config.beta_start,
      betaEnd: config.beta_end,
      betaSchedule: config.beta_schedule,
      trainedBetas: config.trained_betas,
      rescaleBetasZeroSnr: config.rescale_betas_zero_snr,
    });
  }

  get numModelCalls(): number {
    return this.timesteps.length;
  }

  abstract setTimesteps(steps: number): void;
  abstract step(modelOutput: Float32Array, i: number, sample: Float32Array, noise?: Float32Array): StepResult;
  abstract addNoise(original: Float32Array, noise: Float32Array, i: number): Float32Array;

  setBeginIndex(index: number): void {
    this.beginIndex = index;
  }

  scaleModelInput(sample: Float32Array, _i: number, out: Float32Array, offset = 0): void {
    out.set(sample, offset);
  }

  needsNoise(_i: number): boolean {
    return false;
  }

  protected checkSteps(steps: number, max = this.config.num_train_timesteps): void {
    if (!Number.isInteger(steps) || steps < 1 || steps > max) {
      throw new UserError(`${this.name}: steps must be a whole number from 1 to ${max}, got ${steps}`, {
        code: 'bad-steps',
        field: 'steps',
      });
    }
  }

  protected checkStep(i: number, modelOutput: Float32Array, sample: Float32Array): void {
    if (this.timesteps.length === 0) throw new Error(`${this.name}: call setTimesteps before step`);
    if (!Number.isInteger(i) || i < 0 || i >= this.timesteps.length)
      throw new RangeError(`${this.name}: step index ${i} is outside 0…${this.timesteps.length - 1}`);
    if (modelOutput.length !== sample.length)
      throw new RangeError(
        `${this.name}: model output has ${modelOutput.length} values, the sample ${sample.length}`,
      );
  }

  protected requireNoise(noise: Float32Array | undefined, length: number): Float32Array {
    if (!noise || noise.length !== length)
      throw new RangeError(`${this.name}: this step needs ${length} values of unit Gaussian noise`);
    return noise;
  }

  /** ᾱ at an integer training timestep. */
  protected alphaAt(t: number): number {
    const a = this.alphasCumprod[t];
    if (a === undefined) throw new RangeError(`${this.name}: timestep ${t} is outside the training schedule`);
    return a;
  }

  /**
   * The DDPM forward process at integer timestep t (diffusers' add_noise for
   * DDIM, PNDM, LCM): √ᾱ·x₀ + √(1−ᾱ)·ε.
   */
  protected addNoiseVp(original: Float32Array, noise: Float32Array, t: number): Float32Array {
    const a = this.alphaAt(t);
    const sa = f32(Math.sqrt(a));
    const sb = f32(Math.sqrt(f32(1 - a)));
    const out = new Float32Array(original.length);
    for (let k = 0; k < out.length; k++) out[k] = f32(sa * original[k]) + f32(sb * noise[k]);
    return out;
  }
}

/**
 * x̂₀ and ε̂ from a model output under the ᾱ parameterisation (DDIM's step 3),
 * elementwise in float32.
 */
export function predictX0AndEps(
  prediction: SchedulerConfig['prediction_type'],
  modelOutput: Float32Array,
  sample: Float32Array,
  alphaProd: number,
): { x0: Float32Array; eps: Float32Array } {
  const betaProd = f32(1 - alphaProd);
  const sa = f32(Math.sqrt(alphaProd));
  const sb = f32(Math.sqrt(betaProd));
  const n = sample.length;
  const x0 = new Float32Array(n);
  switch (prediction) {
    case 'epsilon':
      for (let k = 0; k < n; k++) x0[k] = f32(sample[k] - f32(sb * modelOutput[k])) / sa;
      return { x0, eps: modelOutput };
    case 'sample': {
      const eps = new Float32Array(n);
      for (let k = 0; k < n; k++) eps[k] = f32(sample[k] - f32(sa * modelOutput[k])) / sb;
      return { x0: modelOutput, eps };
    }
    case 'v_prediction': {
      const eps = new Float32Array(n);
      for (let k = 0; k < n; k++) {
        x0[k] = f32(sa * sample[k]) - f32(sb * modelOutput[k]);
        eps[k] = f32(sa * modelOutput[k]) + f32(sb * sample[k]);
      }
      return { x0, eps };
    }
  }
}

export function clampInPlace(a: Float32Array, range: number): void {
  for (let k = 0; k < a.length; k++) a[k] = Math.min(Math.max(a[k], -range), range);
}
