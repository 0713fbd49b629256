/**
 * Euler ancestral (k-diffusion's sample_euler_ancestral, η = 1), as diffusers'
 * EulerAncestralDiscreteScheduler: an Euler step down to σ_down, then fresh
 * noise of σ_up, with σ_up² = σ_to²(σ_from² − σ_to²)/σ_from² and
 * σ_down² = σ_to² − σ_up².
 */
import type { SchedulerConfig, StepResult } from './scheduler.types';
import { SigmaScheduler } from './sigma.scheduler';

const f32 = Math.fround;

export class EulerAncestralScheduler extends SigmaScheduler {
  constructor(config: SchedulerConfig) {
    super('euler_a', config);
    if (config.prediction_type === 'sample') {
      throw new Error('euler_a: prediction_type "sample" is not supported (nor is it in diffusers)');
    }
  }

  setTimesteps(steps: number): void {
    this.checkSteps(steps);
    this.numInferenceSteps = steps;
    const timesteps = this.spacedFloatTimesteps(steps);
    this.finishSchedule(timesteps, [...this.interpolatedSigmas(timesteps), 0]);
  }

  override needsNoise(i: number): boolean {
    return this.sigmas[i + 1] > 0;
  }

  step(modelOutput: Float32Array, i: number, sample: Float32Array, noise?: Float32Array): StepResult {
    this.checkStep(i, modelOutput, sample);
    const sigma = this.sigmas[i];
    const sigmaTo = this.sigmas[i + 1];
    const x0 = this.predictX0(modelOutput, sample, sigma);
    const from2 = f32(sigma * sigma);
    const to2 = f32(sigmaTo * sigmaTo);
    const sigmaUp = f32(Math.sqrt(f32(f32(to2 * f32(from2 - to2)) / from2)));
    const sigmaDown = f32(Math.sqrt(f32(to2 - f32(sigmaUp * sigmaUp))));
    const dt = f32(sigmaDown - sigma);
    const z = sigmaUp > 0 ? this.requireNoise(noise, sample.length) : undefined;
    const prevSample = new Float32Array(sample.length);
    for (let k = 0; k < prevSample.length; k++) {
      const derivative = f32(f32(sample[k] - x0[k]) / sigma);
      const x = f32(sample[k] + f32(derivative * dt));
      prevSample[k] = z ? x + f32(z[k] * sigmaUp) : x;
    }
    return { prevSample, denoised: x0 };
  }
}
