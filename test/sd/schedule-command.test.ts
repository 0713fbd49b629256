/**
 * `maskflow schedule`: parses its options through commander like the real CLI
 * and prints what diffusers' `set_timesteps` gives (reference values in
 * libs/pipelines/src/diffusion/schedulers/schedulers.spec.ts).
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import { registerScheduleCommand } from '../../apps/cli/src/commands/schedule.command';

const SD15 = {
  _class_name: 'PNDMScheduler',
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  beta_start: 0.00085,
  clip_sample: false,
  num_train_timesteps: 1000,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  trained_betas: null,
};

async function schedule(args: string[]): Promise<string> {
  const program = new Command('maskflow').exitOverride();
  registerScheduleCommand(program);
  let out = '';
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(['node', 'maskflow', 'schedule', ...args]);
  } finally {
    spy.mockRestore();
  }
  return out;
}

describe('maskflow schedule', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'maskflow-schedule-'));
  mkdirSync(path.join(dir, 'scheduler'));
  const file = path.join(dir, 'scheduler', 'scheduler_config.json');
  writeFileSync(file, JSON.stringify(SD15));

  it('--json prints { timesteps, sigmas, initNoiseSigma }', async () => {
    const r = JSON.parse(
      await schedule(['--scheduler', 'ddim', '--steps', '20', '--config', file, '--json']),
    ) as Record<string, unknown>;
    expect(Object.keys(r).sort()).toEqual(['initNoiseSigma', 'sigmas', 'timesteps']);
    expect(r.timesteps).toEqual(Array.from({ length: 20 }, (_, k) => 951 - 50 * k));
    expect(r.sigmas).toBeNull();
    expect(r.initNoiseSigma).toBe(1);
  });

  it('defaults to the config class (PNDM) and accepts the model folder', async () => {
    const r = JSON.parse(await schedule(['--steps', '4', '--config', dir, '--json'])) as {
      timesteps: number[];
    };
    expect(r.timesteps).toEqual([751, 501, 501, 251, 1]);
  });

  it('σ schedulers print float32 sigmas ending in 0', async () => {
    const r = JSON.parse(
      await schedule(['--scheduler', 'dpmpp_2m_karras', '--steps', '20', '--config', file, '--json']),
    ) as {
      timesteps: number[];
      sigmas: number[];
      initNoiseSigma: number;
    };
    expect(r.timesteps.slice(0, 4)).toEqual([999, 962, 921, 876]);
    expect(r.sigmas).toHaveLength(21);
    expect(r.sigmas[20]).toBe(0);
    expect(Math.fround(r.sigmas[3])).toBe(r.sigmas[3]);
    const euler = JSON.parse(
      await schedule(['--scheduler', 'euler', '--steps', '20', '--config', file, '--json']),
    ) as { initNoiseSigma: number };
    expect(euler.initNoiseSigma).toBeCloseTo(14.6146, 4);
  });

  it('prints a readable table without --json', async () => {
    const text = await schedule(['--scheduler', 'lcm', '--steps', '4', '--config', file]);
    expect(text).toMatch(/^lcm, 4 steps/);
    expect(text).toMatch(/\b759\b/);
  });

  it('refuses an unknown scheduler with the list of names', async () => {
    await expect(schedule(['--scheduler', 'heun', '--steps', '4'])).rejects.toThrow(
      /pndm, ddim, euler, euler_a, dpmpp_2m, dpmpp_2m_karras, lcm/,
    );
  });
});
