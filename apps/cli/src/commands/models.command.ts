import { MultiBar, Presets } from 'cli-progress';
import type { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { formatBytes, ModelManager } from '@maskflow/models';
import type { DownloadProgress, ModelStatus, VerifyReport } from '@maskflow/models';
import { CancelledError } from '@maskflow/workflow';

export interface ModelsCommandOptions {
  /** Builds the manager per invocation (tests inject one); default: from the environment. */
  manager?: () => ModelManager;
  /** Where progress bars go; default process.stderr. */
  progressStream?: NodeJS.WriteStream;
}

/**
 * `maskflow models list | pull <id> [--variant v] | verify [id] | remove <id>`.
 * Failures print one readable message (no stack) and exit non-zero.
 */
export function registerModelsCommand(program: Command, options: ModelsCommandOptions = {}): void {
  const makeManager = options.manager ?? (() => new ModelManager());
  const models = program
    .command('models')
    .description('list, download, verify and remove model weights')
    .addHelpText(
      'after',
      '\nEnvironment: MASKFLOW_MODELS_DIR, MASKFLOW_MODEL_PATHS (id=/folder;...), MASKFLOW_MANIFEST, HF_ENDPOINT, HF_TOKEN.\nSee docs/models.md.',
    );

  models
    .command('list')
    .description('show every known model and whether it is installed')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await guarded(cmd, async () => {
        const statuses = await makeManager().list();
        write(cmd, opts.json ? `${JSON.stringify(statuses, null, 2)}\n` : formatList(statuses));
      });
    });

  models
    .command('pull')
    .description('download a model (resumes partial downloads, verifies checksums)')
    .argument('<id>', 'model id from the manifest (see `maskflow models list`)')
    .option('--variant <variant>', 'dtype or decoder variant, e.g. fp16, q4f16, single')
    .option('--no-progress', 'no progress bars')
    .action(async (id: string, opts: { variant?: string; progress: boolean }, cmd: Command) => {
      await guarded(cmd, async () => {
        const manager = makeManager();
        const resolved = await pullWithProgress(
          manager,
          id,
          opts.variant,
          opts.progress,
          cmd,
          options.progressStream,
        );
        const total = resolved.fileList.reduce((a, f) => a + f.size, 0);
        write(
          cmd,
          `${id}${resolved.variant ? ` (${resolved.variant})` : ''} is ready: ${resolved.fileList.length} files, ${formatBytes(total)} in ${resolved.dir}\n`,
        );
      });
    });

  models
    .command('verify')
    .description('check sizes and sha256 of installed models (all when no id is given)')
    .argument('[id]', 'model id')
    .option('--variant <variant>', 'the variant to check (default: the installed ones)')
    .option('--fix', 'delete corrupt files and download them again')
    .action(async (id: string | undefined, opts: { variant?: string; fix?: boolean }, cmd: Command) => {
      await guarded(cmd, async () => {
        const manager = makeManager();
        const reports = await manager.verify(id, {
          variant: opts.variant,
          removeCorrupt: opts.fix,
          onFile: (modelId, file) => progressLine(options.progressStream, `hashing ${modelId}/${file}`),
        });
        progressLine(options.progressStream, '');
        if (reports.length === 0) {
          write(cmd, 'no installed models to verify\n');
          return;
        }
        write(cmd, reports.map(formatReport).join(''));
        let bad = reports.filter((r) => !r.ok);
        if (opts.fix) {
          for (const r of bad.filter((r) => r.origin === 'manifest')) {
            write(cmd, `re-downloading ${r.id}...\n`);
            await pullWithProgress(manager, r.id, opts.variant, true, cmd, options.progressStream);
          }
          const again = await manager.verify(id, { variant: opts.variant });
          bad = again.filter((r) => !r.ok);
          if (bad.length === 0) write(cmd, 'all fixed\n');
        }
        if (bad.length > 0) {
          throw new Error(
            `${bad.map((r) => r.id).join(', ')} failed verification${opts.fix ? '' : ' (try `maskflow models verify --fix`)'}`,
          );
        }
      });
    });

  models
    .command('remove')
    .description('delete a downloaded model from the models dir')
    .argument('<id>', 'model id')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      await guarded(cmd, async () => {
        const r = await makeManager().remove(id);
        write(
          cmd,
          r.removed
            ? `removed ${id} (${formatBytes(r.bytes)}) from ${r.dir}\n`
            : `${id} is not downloaded (${r.dir} does not exist)\n`,
        );
      });
    });
}

function write(cmd: Command, text: string): void {
  const out = cmd.configureOutput().writeOut;
  if (out) out(text);
  else process.stdout.write(text);
}

/** Runs an action; any failure becomes one line on stderr and a non-zero exit (through commander, so exitOverride works). */
async function guarded(cmd: Command, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof CancelledError) {
      cmd.error('cancelled; partial downloads are kept and the next pull resumes them', {
        exitCode: 130,
        code: 'maskflow.cancelled',
      });
    }
    // Our errors are written for the operator; anything else is a bug, but still no stack trace.
    const message = err instanceof Error ? err.message : String(err);
    cmd.error(`error: ${message}`, { exitCode: 1, code: 'maskflow.models.failed' });
  }
}

async function pullWithProgress(
  manager: ModelManager,
  id: string,
  variant: string | undefined,
  showBars: boolean,
  cmd: Command,
  stream: NodeJS.WriteStream = process.stderr,
): Promise<Awaited<ReturnType<ModelManager['pull']>>> {
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  const progress = showBars && stream.isTTY ? new BarProgress(stream) : new LineProgress(cmd, showBars);
  try {
    return await manager.pull(id, {
      variant,
      signal: controller.signal,
      onProgress: (p) => progress.update(p),
    });
  } finally {
    progress.stop();
    process.removeListener('SIGINT', onSigint);
  }
}

/** One cli-progress bar per file. */
class BarProgress {
  private readonly multi: MultiBar;
  private readonly bars = new Map<string, SingleBar>();

  constructor(stream: NodeJS.WriteStream) {
    this.multi = new MultiBar(
      {
        stream,
        format: ' {file} |{bar}| {percentage}% {done}/{size} {status}',
        hideCursor: true,
        clearOnComplete: false,
        autopadding: true,
      },
      Presets.shades_classic,
    );
  }

  update(p: DownloadProgress): void {
    const total = p.fileTotal ?? 0;
    let bar = this.bars.get(p.file);
    if (!bar) {
      bar = this.multi.create(Math.max(total, 1), 0, {});
      this.bars.set(p.file, bar);
    }
    if (total > 0) bar.setTotal(total);
    bar.update(p.fileBytes, {
      file: p.file,
      done: formatBytes(p.fileBytes),
      size: p.fileTotal === null ? '?' : formatBytes(p.fileTotal),
      status: p.status === 'downloading' ? '' : p.status,
    });
  }

  stop(): void {
    this.multi.stop();
  }
}

/** Without a terminal: a line when each file starts and ends. */
class LineProgress {
  private readonly seen = new Map<string, DownloadProgress['status']>();

  constructor(
    private readonly cmd: Command,
    private readonly enabled: boolean,
  ) {}

  update(p: DownloadProgress): void {
    if (!this.enabled || this.seen.get(p.file) === p.status) return;
    this.seen.set(p.file, p.status);
    if (p.status === 'downloading' && p.fileBytes > 0 && p.fileBytes === p.fileTotal) return;
    if (p.status === 'done') write(this.cmd, `  done ${p.file} (${formatBytes(p.fileBytes)})\n`);
    else if (p.status === 'downloading')
      write(
        this.cmd,
        `  downloading ${p.file}${p.fileBytes > 0 ? ` (resuming at ${formatBytes(p.fileBytes)})` : ''}\n`,
      );
  }

  stop(): void {}
}

function progressLine(stream: NodeJS.WriteStream = process.stderr, text: string): void {
  if (!stream.isTTY) return;
  stream.write(`\r\x1b[K${text}`);
}

function formatList(statuses: ModelStatus[]): string {
  if (statuses.length === 0) return 'no models in the manifest\n';
  const rows = statuses.map((s) => {
    const def = s.variants.find((v) => v.name === s.defaultVariant);
    const variants = s.variants.map((v) => `${v.name}${v.installed ? '✓' : ''}`).join(' ');
    return [
      s.id,
      s.kind ?? '?',
      s.state,
      def ? formatBytes(def.size) : '',
      variants || (s.origin === 'local' ? 'local folder' : ''),
      s.dir,
    ];
  });
  const header = ['ID', 'KIND', 'STATE', 'SIZE', 'VARIANTS (✓ installed)', 'LOCATION'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  const problems = statuses.filter((s) => s.problem).map((s) => `\n${s.id}: ${s.problem}`);
  return `${[line(header), ...rows.map(line)].join('\n')}\n${problems.join('\n')}${problems.length ? '\n' : ''}`;
}

function formatReport(r: VerifyReport): string {
  const lines = [`${r.id}: ${r.ok ? 'OK' : 'FAILED'} (${r.dir})`];
  if (r.problem) lines.push(`  ${r.problem}`);
  for (const f of r.files) {
    switch (f.status) {
      case 'ok':
        lines.push(`  ok        ${f.path} (sha256 from ${f.checksumSource})`);
        break;
      case 'unverified':
        lines.push(`  no sum    ${f.path}${f.actual ? ` sha256 ${f.actual}` : ''}`);
        break;
      case 'missing':
        lines.push(`  MISSING   ${f.path}`);
        break;
      case 'size-mismatch':
        lines.push(`  BAD SIZE  ${f.path}: ${f.actual} bytes, expected ${f.expected}`);
        break;
      case 'sha256-mismatch':
        lines.push(
          `  CORRUPT   ${f.path}: sha256 ${f.actual}, expected ${f.expected} (from ${f.checksumSource})`,
        );
        break;
    }
  }
  return `${lines.join('\n')}\n`;
}
