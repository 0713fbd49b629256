import { EnvironmentError } from '@maskflow/workflow';
import { PULL_COMMAND } from '../config/models.config';
import { formatBytes } from '../util/bytes.util';

export interface MissingFile {
  /** Path inside the model folder. */
  path: string;
  /** Where it was expected on disk. */
  absolutePath: string;
  size: number | null;
  /** Why it does not count as present, when it is not simply absent. */
  problem?: string;
}

/**
 * A model's files are not on disk (and could not be fetched). Carries the facts
 * a UI needs to tell the operator what to do, and a message that says it all.
 */
export class ModelMissingError extends EnvironmentError {
  readonly modelId: string;
  readonly missing: MissingFile[];
  readonly searched: string[];
  readonly command: string;

  constructor(args: {
    modelId: string;
    title?: string | null;
    variant?: string | null;
    missing: MissingFile[];
    searched: string[];
    command: string;
    /** Why downloading did not happen or failed (offline, disabled). */
    reason?: string;
    hint?: string;
    cause?: unknown;
  }) {
    const head = `Model "${args.modelId}"${args.title ? ` (${args.title})` : ''} is not installed${args.reason ? `: ${args.reason}` : '.'}`;
    const files = args.missing
      .map(
        (f) =>
          `  - ${f.path}${f.size !== null ? ` (${formatBytes(f.size)})` : ''}${f.problem ? ` [${f.problem}]` : ''}`,
      )
      .join('\n');
    const lines = [
      head,
      `Missing file${args.missing.length === 1 ? '' : 's'}${args.variant ? ` (variant "${args.variant}")` : ''}:`,
      files,
      'Looked in:',
      ...args.searched.map((s) => `  - ${s}`),
      `Fetch ${args.missing.length === 1 ? 'it' : 'them'} with: ${args.command}`,
    ];
    if (args.hint) lines.push(args.hint);
    super(lines.join('\n'), { code: 'model-missing', cause: args.cause });
    this.modelId = args.modelId;
    this.missing = args.missing;
    this.searched = args.searched;
    this.command = args.command;
  }
}

export function pullCommand(modelId: string, variant?: string | null): string {
  return `${PULL_COMMAND} ${modelId}${variant ? ` --variant ${variant}` : ''}`;
}
