import { Command } from 'commander';
import { MaskflowError } from '@maskflow/workflow';
import { registerModelsCommand } from './commands/models.command';
import { registerNodesCommand } from './commands/nodes.command';
import { registerRunCommand } from './commands/run.command';
import { registerScheduleCommand } from './commands/schedule.command';
import { registerServeCommand } from './commands/serve.command';

export function buildProgram(): Command {
  const program = new Command('maskflow')
    .description('Maskflow: node-based workflows for text-prompted image editing')
    .version('0.1.0')
    .showHelpAfterError();
  registerRunCommand(program);
  registerNodesCommand(program);
  registerModelsCommand(program);
  registerScheduleCommand(program);
  registerServeCommand(program);
  return program;
}

/** Prints a readable message (no stack trace for errors the user or operator can fix). */
export function reportError(err: unknown): void {
  if (err instanceof MaskflowError) {
    process.stderr.write(`error (${err.kind}): ${err.message}\n`);
  } else {
    process.stderr.write(
      `internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
  }
}

/** The `maskflow` binary's entry point. */
export async function cli(argv: string[] = process.argv): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    reportError(err);
    process.exitCode = 1;
  }
}
