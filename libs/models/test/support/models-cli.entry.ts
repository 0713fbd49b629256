/** A stand-alone `maskflow` with only the models command, for tests that need a real process exit code. */
import { Command } from 'commander';
import { registerModelsCommand } from '../../../../apps/cli/src/commands/models.command';

const program = new Command('maskflow');
registerModelsCommand(program);
void program.parseAsync(process.argv);
