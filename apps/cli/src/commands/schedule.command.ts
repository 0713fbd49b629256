import { readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import type { Command } from 'commander';
import {
  describeSchedule,
  isSchedulerName,
  SCHEDULER_NAMES,
  schedulerNameForClass,
} from '@maskflow/pipelines';
import type { ScheduleSummary, SchedulerName } from '@maskflow/pipelines';
import { UserError } from '@maskflow/workflow';

export interface ScheduleCommandOptions {
  scheduler?: string;
  steps: string;
  config?: string;
  json: boolean;
}

/**
 * Reads a scheduler_config.json, or finds it in a model folder
 * (`<dir>/scheduler/scheduler_config.json` or `<dir>/scheduler_config.json`).
 */
export async function readSchedulerConfig(file: string): Promise<Record<string, unknown>> {
  let target = file;
  try {
    if ((await stat(file)).isDirectory()) {
      const nested = path.join(file, 'scheduler', 'scheduler_config.json');
      target = (await stat(nested).catch(() => undefined))
        ? nested
        : path.join(file, 'scheduler_config.json');
    }
  } catch {
    throw new UserError(`cannot read scheduler config "${file}"`, { field: '--config' });
  }
  let text: string;
  try {
    text = await readFile(target, 'utf8');
  } catch {
    throw new UserError(`cannot read scheduler config "${target}"`, { field: '--config' });
  }
  try {
    const v = JSON.parse(text) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch (err) {
    throw new UserError(`scheduler config "${target}" is not a JSON object: ${(err as Error).message}`, {
      field: '--config',
    });
  }
}

/** Computes what `maskflow schedule` prints; without --scheduler, the config's own class (PNDM when there is none). */
export async function scheduleSummary(opts: ScheduleCommandOptions): Promise<ScheduleSummary> {
  const steps = Number(opts.steps);
  if (!Number.isInteger(steps) || steps < 1)
    throw new UserError(`--steps must be a whole number ≥ 1, got "${opts.steps}"`, { field: '--steps' });
  const config = opts.config ? await readSchedulerConfig(opts.config) : {};
  let name: SchedulerName;
  if (opts.scheduler !== undefined) {
    if (!isSchedulerName(opts.scheduler)) {
      throw new UserError(
        `unknown scheduler "${opts.scheduler}"; choose one of ${SCHEDULER_NAMES.join(', ')}`,
        { field: '--scheduler' },
      );
    }
    name = opts.scheduler;
  } else {
    name = schedulerNameForClass(config._class_name, config) ?? 'pndm';
  }
  return describeSchedule(name, steps, config);
}

function formatTable(s: ScheduleSummary): string {
  const lines = [
    `${s.scheduler}, ${s.steps} steps, ${s.timesteps.length} model calls, init noise sigma ${s.initNoiseSigma}`,
    '',
  ];
  lines.push(s.sigmas ? ' step   timestep      sigma' : ' step   timestep');
  s.timesteps.forEach((t, i) => {
    const ts = Number.isInteger(t) ? String(t) : t.toFixed(4);
    lines.push(
      `${String(i).padStart(5)}  ${ts.padStart(9)}${s.sigmas ? `  ${s.sigmas[i].toFixed(6).padStart(9)}` : ''}`,
    );
  });
  if (s.sigmas)
    lines.push(
      `${'end'.padStart(5)}  ${''.padStart(9)}  ${s.sigmas[s.sigmas.length - 1].toFixed(6).padStart(9)}`,
    );
  return `${lines.join('\n')}\n`;
}

/** `maskflow schedule`: the timesteps and noise levels a scheduler uses, as diffusers computes them. */
export function registerScheduleCommand(program: Command): void {
  program
    .command('schedule')
    .description("print a diffusion scheduler's timesteps and sigmas (diffusers-equivalent)")
    .option('--scheduler <name>', `one of ${SCHEDULER_NAMES.join(', ')} (default: the config's own class)`)
    .option('--steps <n>', 'inference steps', '20')
    .option(
      '--config <file>',
      'a scheduler_config.json, or a model folder that has scheduler/scheduler_config.json',
    )
    .option('--json', 'print { timesteps, sigmas, initNoiseSigma } as JSON', false)
    .action(async (opts: ScheduleCommandOptions) => {
      const s = await scheduleSummary(opts);
      if (opts.json)
        process.stdout.write(
          `${JSON.stringify({ timesteps: s.timesteps, sigmas: s.sigmas, initNoiseSigma: s.initNoiseSigma })}\n`,
        );
      else process.stdout.write(formatTable(s));
    });
}
