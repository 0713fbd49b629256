/**
 * PNDM in its PLMS form (Liu et al. 2022, "Pseudo Numerical Methods for
 * Diffusion Models", eq. 9 with linear multistep ε), as diffusers'
 * PNDMScheduler with `skip_prk_steps`: the Runge–Kutta warm-up is replaced by
 * crowsonkb's PLMS start, which evaluates the second timestep twice (a Heun
 * correction), so N steps take N + 1 model calls. The Runge–Kutta variant is
 * not implemented: no SD export ships it (see scheduler-config.ts).
 */
import type { SchedulerConfig, StepResult } from './scheduler.types';
import { numpyArange, numpyLinspace, roundHalfEven } from './noise-schedule';
import { DiscreteScheduler } from './discrete.scheduler';

const f32 = Math.fround;

export class PndmScheduler extends DiscreteScheduler {
  readonly finalAlphaCumprod: number;
  private ets: Float32Array[] = [];
  private counter = 0;
  private curSample: Float32Array | null = null;

  constructor(config: SchedulerConfig) {
    super('pndm', config);
    this.finalAlphaCumprod = config.set_alpha_to_one ? 1 : this.alphasCumprod[0];
  }

  setTimesteps(steps: number): void {
    this.checkSteps(steps);
    this.numInferenceSteps = steps;
    const c = this.config;
    const T = c.num_train_timesteps;
    // diffusers keeps PNDM's `_timesteps` ascending.
    let ascending: number[];
    switch (c.timestep_spacing) {
      case 'linspace':
        ascending = numpyLinspace(0, T - 1, steps).map(roundHalfEven);
        break;
      case 'leading': {
        const ratio = Math.floor(T / steps);
        ascending = Array.from({ length: steps }, (_, k) => k * ratio + c.steps_offset);
        break;
      }
      case 'trailing':
        ascending = numpyArange(T, 0, -T / steps)
          .map((t) => roundHalfEven(t) - 1)
          .reverse();
        break;
    }
    // PLMS order: every timestep once, the second-to-last of the ascending list (the second one used) twice.
    const last = ascending.length - 1;
    const plms =
      steps === 1 ? [ascending[0]] : [...ascending.slice(0, last), ascending[last - 1], ascending[last]];
    this.timesteps = plms.reverse();
    this.ets = [];
    this.counter = 0;
    this.curSample = null;
    this.beginIndex = 0;
  }

  step(modelOutput: Float32Array, i: number, sample: Float32Array): StepResult {
    this.checkStep(i, modelOutput, sample);
    const delta = Math.floor(this.config.num_train_timesteps / this.numInferenceSteps);
    let timestep = this.timesteps[i];
    let prevTimestep = timestep - delta;
    if (this.counter !== 1) {
      this.ets = this.ets.slice(-3);
      this.ets.push(modelOutput);
    } else {
      // The repeated timestep: re-evaluate the first step with the averaged ε (Heun).
      prevTimestep = timestep;
      timestep = timestep + delta;
    }
    const n = modelOutput.length;
    const ets = this.ets;
    let eps: Float32Array;
    let x = sample;
    // Linear multistep combinations of the last ε (Adams–Bashforth orders 1–4), in float32 like diffusers.
    if (ets.length === 1 && this.counter === 0) {
      eps = modelOutput;
      this.curSample = sample;
    } else if (ets.length === 1 && this.counter === 1) {
      eps = new Float32Array(n);
      const e0 = ets[0];
      for (let k = 0; k < n; k++) eps[k] = f32(modelOutput[k] + e0[k]) / 2;
      x = this.curSample ?? sample;
      this.curSample = null;
    } else if (ets.length === 2) {
      eps = new Float32Array(n);
      const [e0, e1] = ets;
      for (let k = 0; k < n; k++) eps[k] = f32(f32(3 * e1[k]) - e0[k]) / 2;
    } else if (ets.length === 3) {
      eps = new Float32Array(n);
      const [e0, e1, e2] = ets;
      for (let k = 0; k < n; k++) eps[k] = f32(f32(f32(23 * e2[k]) - f32(16 * e1[k])) + f32(5 * e0[k])) / 12;
    } else {
      eps = new Float32Array(n);
      const [e0, e1, e2, e3] = ets;
      const c = f32(1 / 24);
      for (let k = 0; k < n; k++)
        eps[k] = c * f32(f32(f32(f32(55 * e3[k]) - f32(59 * e2[k])) + f32(37 * e1[k])) - f32(9 * e0[k]));
    }
    const result = this.prevSample(x, timestep, prevTimestep, eps);
    this.counter++;
    return result;
  }

  /** Formula (9) of the PNDM paper, diffusers' `_get_prev_sample`. */
  private prevSample(sample: Float32Array, t: number, prevT: number, modelOutput: Float32Array): StepResult {
    const a = this.alphaAt(t);
    const ap = prevT >= 0 ? this.alphaAt(prevT) : this.finalAlphaCumprod;
    const b = f32(1 - a);
    const bp = f32(1 - ap);
    const sa = f32(Math.sqrt(a));
    const sb = f32(Math.sqrt(b));
    let eps = modelOutput;
    if (this.config.prediction_type === 'v_prediction') {
      eps = new Float32Array(modelOutput.length);
      for (let k = 0; k < eps.length; k++) eps[k] = f32(sa * modelOutput[k]) + f32(sb * sample[k]);
    } else if (this.config.prediction_type !== 'epsilon') {
      throw new Error(
        `pndm: prediction_type ${this.config.prediction_type} is not supported (diffusers supports epsilon and v_prediction)`,
      );
    }
    const sampleCoeff = f32(Math.sqrt(f32(ap / a)));
    const denom = f32(f32(a * f32(Math.sqrt(bp))) + f32(Math.sqrt(f32(f32(a * b) * ap))));
    const diff = f32(ap - a);
    const out = new Float32Array(sample.length);
    // x̂₀ for previews (PNDM has none of its own).
    const denoised = new Float32Array(sample.length);
    for (let k = 0; k < out.length; k++) {
      out[k] = f32(sampleCoeff * sample[k]) - f32(f32(diff * eps[k]) / denom);
      denoised[k] = (sample[k] - sb * eps[k]) / sa;
    }
    return { prevSample: out, denoised };
  }

  addNoise(original: Float32Array, noise: Float32Array, i: number): Float32Array {
    return this.addNoiseVp(original, noise, this.timesteps[i]);
  }
}
