export * from './scheduler.types';
export { createScheduler, describeSchedule } from './scheduler.factory';
export type { ScheduleSummary } from './scheduler.factory';
export {
  resolveSchedulerConfig,
  schedulerNameForClass,
  isSchedulerName,
  SCHEDULER_CLASSES,
} from './scheduler-config';
export { guidanceScaleEmbedding } from './guidance-embedding';
export {
  alphasCumprod,
  trainingSigmas,
  karrasSigmas,
  sigmaToT,
  spacedTimesteps,
  torchLinspaceF32,
} from './noise-schedule';
export type { BetaSchedule, TimestepSpacing, NoiseScheduleOptions } from './noise-schedule';
export { DdimScheduler } from './ddim.scheduler';
export { PndmScheduler } from './pndm.scheduler';
export { EulerScheduler } from './euler.scheduler';
export { EulerAncestralScheduler } from './euler-ancestral.scheduler';
export { DpmSolverMultistepScheduler } from './dpm-solver-multistep.scheduler';
export { LcmScheduler } from './lcm.scheduler';
