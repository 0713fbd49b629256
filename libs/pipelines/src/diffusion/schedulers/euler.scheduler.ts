/**
 * Euler (Karras et al. 2022, Algorithm 2 without churn), as diffusers'
 * EulerDiscreteScheduler: x ← x + (x − x̂₀)/σ_i · (σ_{i+1} − σ_i). With
 * `use_karras_sigmas` the σ follow Karras' ρ = 7 schedule and the timesteps
 * are the (fractional) training times of those σ.
 */
import type { SchedulerConfig, StepResult } from './scheduler.types';
import { karrasSigmas, logSigmasF32, sigmaToT } from './noise-schedule';
import { SigmaScheduler } from './sigma.scheduler';

const f32 = Math.fround;

export class EulerScheduler extends SigmaScheduler {
  constructor(config: SchedulerConfig) {
    super('euler', config);
  }

  setTimesteps(steps: number): void {
    this.checkSteps(steps);
    this.numInferenceSteps = steps;
    let timesteps = this.spacedFloatTimesteps(steps);
    let sigmas = this.interpolatedSigmas(timesteps);
    if (this.config.use_karras_sigmas) {
      const logSigmas = logSigmasF32(this.trainSigmas);
      sigmas = karrasSigmas(
        this.config.sigma_min ?? sigmas[sigmas.length - 1],
        this.config.sigma_max ?? sigmas[0],
        steps,
      );
      timesteps = sigmas.map((s) => f32(sigmaToT(s, logSigmas)));
    }
    const last = this.config.final_sigmas_type === 'sigma_min' ? this.trainSigmas[0] : 0;
    this.finishSchedule(timesteps, [...sigmas, last]);
  }

  step(modelOutput: Float32Array, i: number, sample: Float32Array): StepResult {
    this.checkStep(i, modelOutput, sample);
    // s_churn = 0 (diffusers' default): γ = 0, σ̂ = σ.
    const sigma = this.sigmas[i];
    const x0 = this.predictX0(modelOutput, sample, sigma);
    const dt = f32(this.sigmas[i + 1] - sigma);
    const prevSample = new Float32Array(sample.length);
    for (let k = 0; k < prevSample.length; k++) {
      const derivative = f32(f32(sample[k] - x0[k]) / sigma);
      prevSample[k] = sample[k] + f32(derivative * dt);
    }
    return { prevSample, denoised: x0 };
  }
}
