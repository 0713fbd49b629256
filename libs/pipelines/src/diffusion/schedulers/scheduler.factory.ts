import { DdimScheduler } from './ddim.scheduler';
import { DpmSolverMultistepScheduler } from './dpm-solver-multistep.scheduler';
import { EulerAncestralScheduler } from './euler-ancestral.scheduler';
import { EulerScheduler } from './euler.scheduler';
import { LcmScheduler } from './lcm.scheduler';
import { PndmScheduler } from './pndm.scheduler';
import { resolveSchedulerConfig } from './scheduler-config';
import type { DiffusionScheduler, SchedulerName } from './scheduler.types';

/**
 * A scheduler by name, configured from a model's scheduler_config.json
 * (parsed; `{}` for the class defaults) the way diffusers' `from_config` does.
 */
export function createScheduler(
  name: SchedulerName,
  fileConfig: Record<string, unknown> = {},
): DiffusionScheduler {
  const config = resolveSchedulerConfig(name, fileConfig);
  switch (name) {
    case 'ddim':
      return new DdimScheduler(config);
    case 'pndm':
      return new PndmScheduler(config);
    case 'euler':
      return new EulerScheduler(config);
    case 'euler_a':
      return new EulerAncestralScheduler(config);
    case 'dpmpp_2m':
    case 'dpmpp_2m_karras':
      return new DpmSolverMultistepScheduler(config, name);
    case 'lcm':
      return new LcmScheduler(config);
  }
}

/** What `maskflow schedule --json` prints: diffusers' `timesteps`, `sigmas` (null where the class has none) and `init_noise_sigma`. */
export interface ScheduleSummary {
  scheduler: SchedulerName;
  steps: number;
  timesteps: number[];
  sigmas: number[] | null;
  initNoiseSigma: number;
}

export function describeSchedule(
  name: SchedulerName,
  steps: number,
  fileConfig: Record<string, unknown> = {},
): ScheduleSummary {
  const s = createScheduler(name, fileConfig);
  s.setTimesteps(steps);
  return {
    scheduler: name,
    steps,
    timesteps: [...s.timesteps],
    sigmas: s.sigmas ? [...s.sigmas] : null,
    initNoiseSigma: s.initNoiseSigma,
  };
}
