/**
 * Reads `scheduler/scheduler_config.json` the way diffusers'
 * `XScheduler.from_config(config)` does: keys the file has win; keys it lacks
 * take the chosen class's own `__init__` defaults (so SD-1.5's PNDM config,
 * which has no `timestep_spacing`, gives DDIM "leading" but Euler "linspace").
 * `_class_name` only picks the default scheduler.
 */
import { z } from 'zod';
import { UserError } from '@maskflow/workflow';
import type { SchedulerConfig, SchedulerName } from './scheduler.types';
import { SCHEDULER_NAMES } from './scheduler.types';

type Defaults = Omit<SchedulerConfig, '_class_name'>;

/** What every class shares unless it says otherwise (keys some classes do not have are inert for them). */
const COMMON: Defaults = {
  num_train_timesteps: 1000,
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: 'linear',
  trained_betas: null,
  prediction_type: 'epsilon',
  timestep_spacing: 'leading',
  steps_offset: 0,
  rescale_betas_zero_snr: false,
  set_alpha_to_one: true,
  clip_sample: true,
  clip_sample_range: 1,
  skip_prk_steps: false,
  use_karras_sigmas: false,
  final_sigmas_type: 'zero',
  sigma_min: null,
  sigma_max: null,
  solver_order: 2,
  algorithm_type: 'dpmsolver++',
  solver_type: 'midpoint',
  lower_order_final: true,
  euler_at_final: false,
  lambda_min_clipped: -Infinity,
  original_inference_steps: 50,
  timestep_scaling: 10,
};

/** Settings diffusers supports that this implementation refuses rather than silently ignores. */
const UNSUPPORTED = {
  thresholding: (v) => v === true,
  use_exponential_sigmas: (v) => v === true,
  use_beta_sigmas: (v) => v === true,
  use_lu_lambdas: (v) => v === true,
  interpolation_type: (v) => v !== undefined && v !== null && v !== 'linear',
  timestep_type: (v) => v !== undefined && v !== null && v !== 'discrete',
} satisfies Record<string, (v: unknown) => boolean>;

interface ClassInfo {
  className: string;
  /** The `__init__` parameters of the class that differ from COMMON. */
  defaults: Partial<Defaults>;
  /** The `__init__` parameters the class has: only these are read from the file. */
  keys: ReadonlyArray<keyof Defaults>;
  /** Settings the scheduler's name implies, applied after the file. */
  forced?: Partial<Defaults>;
  /** Options of the class that this implementation refuses rather than silently ignores. */
  unsupported?: ReadonlyArray<keyof typeof UNSUPPORTED>;
}

const BETA_KEYS = [
  'num_train_timesteps',
  'beta_start',
  'beta_end',
  'beta_schedule',
  'trained_betas',
  'prediction_type',
] as const;

const DPM_KEYS: ReadonlyArray<keyof Defaults> = [
  ...BETA_KEYS,
  'solver_order',
  'algorithm_type',
  'solver_type',
  'lower_order_final',
  'euler_at_final',
  'use_karras_sigmas',
  'final_sigmas_type',
  'lambda_min_clipped',
  'timestep_spacing',
  'steps_offset',
  'rescale_betas_zero_snr',
];

export const SCHEDULER_CLASSES: Record<SchedulerName, ClassInfo> = {
  ddim: {
    className: 'DDIMScheduler',
    defaults: {},
    keys: [
      ...BETA_KEYS,
      'clip_sample',
      'set_alpha_to_one',
      'steps_offset',
      'clip_sample_range',
      'timestep_spacing',
      'rescale_betas_zero_snr',
    ],
    unsupported: ['thresholding'],
  },
  pndm: {
    className: 'PNDMScheduler',
    defaults: { set_alpha_to_one: false },
    keys: [...BETA_KEYS, 'skip_prk_steps', 'set_alpha_to_one', 'timestep_spacing', 'steps_offset'],
    // Only the PLMS variant is implemented: it is what every SD export ships and what "pndm" means in SD UIs.
    forced: { skip_prk_steps: true },
  },
  euler: {
    className: 'EulerDiscreteScheduler',
    defaults: { timestep_spacing: 'linspace' },
    keys: [
      ...BETA_KEYS,
      'use_karras_sigmas',
      'sigma_min',
      'sigma_max',
      'timestep_spacing',
      'steps_offset',
      'rescale_betas_zero_snr',
      'final_sigmas_type',
    ],
    unsupported: ['use_exponential_sigmas', 'use_beta_sigmas', 'interpolation_type', 'timestep_type'],
  },
  euler_a: {
    className: 'EulerAncestralDiscreteScheduler',
    defaults: { timestep_spacing: 'linspace' },
    keys: [...BETA_KEYS, 'timestep_spacing', 'steps_offset', 'rescale_betas_zero_snr'],
  },
  dpmpp_2m: {
    className: 'DPMSolverMultistepScheduler',
    defaults: { timestep_spacing: 'linspace' },
    keys: DPM_KEYS,
    forced: { algorithm_type: 'dpmsolver++', solver_order: 2, use_karras_sigmas: false },
    unsupported: ['thresholding', 'use_exponential_sigmas', 'use_beta_sigmas', 'use_lu_lambdas'],
  },
  dpmpp_2m_karras: {
    className: 'DPMSolverMultistepScheduler',
    defaults: { timestep_spacing: 'linspace' },
    keys: DPM_KEYS,
    forced: { algorithm_type: 'dpmsolver++', solver_order: 2, use_karras_sigmas: true },
    unsupported: ['thresholding', 'use_exponential_sigmas', 'use_beta_sigmas', 'use_lu_lambdas'],
  },
  lcm: {
    className: 'LCMScheduler',
    defaults: { beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear', clip_sample: false },
    keys: [
      ...BETA_KEYS,
      'original_inference_steps',
      'clip_sample',
      'clip_sample_range',
      'set_alpha_to_one',
      'steps_offset',
      'timestep_spacing',
      'timestep_scaling',
      'rescale_betas_zero_snr',
    ],
    unsupported: ['thresholding'],
  },
};

/** The value types each key may have in the file (null means "use the default", as Python's None does for optionals). */
const VALUE_SCHEMAS: { [K in keyof Defaults]: z.ZodType } = {
  num_train_timesteps: z.number().int().positive(),
  beta_start: z.number().positive(),
  beta_end: z.number().positive(),
  beta_schedule: z.enum(['linear', 'scaled_linear', 'squaredcos_cap_v2']),
  trained_betas: z.array(z.number()).nullable(),
  prediction_type: z.enum(['epsilon', 'v_prediction', 'sample']),
  timestep_spacing: z.enum(['linspace', 'leading', 'trailing']),
  steps_offset: z.number().int().min(0),
  rescale_betas_zero_snr: z.boolean(),
  set_alpha_to_one: z.boolean(),
  clip_sample: z.boolean(),
  clip_sample_range: z.number().positive(),
  skip_prk_steps: z.boolean(),
  use_karras_sigmas: z.boolean().nullable(),
  final_sigmas_type: z.enum(['zero', 'sigma_min']).nullable(),
  sigma_min: z.number().positive().nullable(),
  sigma_max: z.number().positive().nullable(),
  solver_order: z.number().int().min(1).max(3),
  algorithm_type: z.string(),
  solver_type: z.enum(['midpoint', 'heun']),
  lower_order_final: z.boolean(),
  euler_at_final: z.boolean(),
  lambda_min_clipped: z.union([z.number(), z.literal('-inf')]),
  original_inference_steps: z.number().int().positive(),
  timestep_scaling: z.number(),
};

/** The scheduler an export's `scheduler_config.json` asks for, by its `_class_name`. */
export function schedulerNameForClass(
  className: unknown,
  fileConfig: Record<string, unknown> = {},
): SchedulerName | undefined {
  switch (className) {
    case 'PNDMScheduler':
      return 'pndm';
    case 'DDIMScheduler':
      return 'ddim';
    case 'EulerDiscreteScheduler':
      return 'euler';
    case 'EulerAncestralDiscreteScheduler':
      return 'euler_a';
    case 'DPMSolverMultistepScheduler':
      return fileConfig.use_karras_sigmas === true ? 'dpmpp_2m_karras' : 'dpmpp_2m';
    case 'LCMScheduler':
      return 'lcm';
    default:
      return undefined;
  }
}

export function isSchedulerName(v: unknown): v is SchedulerName {
  return typeof v === 'string' && (SCHEDULER_NAMES as readonly string[]).includes(v);
}

/**
 * The full config for scheduler `name` given a model's scheduler_config.json
 * (parsed JSON; `{}` gives the class's defaults). Bad values are a UserError
 * naming the key.
 */
export function resolveSchedulerConfig(
  name: SchedulerName,
  fileConfig: Record<string, unknown> = {},
): SchedulerConfig {
  const info = SCHEDULER_CLASSES[name];
  const out: Record<string, unknown> = { ...COMMON, ...info.defaults };
  for (const key of info.keys) {
    const value = fileConfig[key];
    if (value === undefined) continue;
    const parsed = VALUE_SCHEMAS[key].safeParse(value);
    if (!parsed.success) {
      throw new UserError(
        `scheduler_config.json: "${key}" = ${JSON.stringify(value)} is not valid for ${info.className}`,
        {
          code: 'bad-scheduler-config',
          field: 'scheduler',
        },
      );
    }
    // Python None for an optional argument means "the default".
    if (parsed.data === null && key !== 'trained_betas') continue;
    out[key] = parsed.data === '-inf' ? -Infinity : parsed.data;
  }
  for (const key of info.unsupported ?? []) {
    if (UNSUPPORTED[key](fileConfig[key])) {
      throw new UserError(
        `scheduler_config.json: "${key}" = ${JSON.stringify(fileConfig[key])} is not supported by Maskflow's ${name} scheduler`,
        {
          code: 'unsupported-scheduler-config',
          field: 'scheduler',
        },
      );
    }
  }
  Object.assign(out, info.forced ?? {});
  out._class_name = info.className;
  return out as unknown as SchedulerConfig;
}
