import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import * as path from 'node:path';
import type { Command } from 'commander';
import { progressReporter } from './progress.reporter';
import {
  DirectoryArtifactStore,
  describeOutputs,
  Engine,
  ModelServices,
  OutputCache,
} from '@maskflow/engine';
import type { RunResult } from '@maskflow/engine';
import { closeCpuPool, createNodeRegistry } from '@maskflow/nodes';
import type { ArtifactRef } from '@maskflow/nodes';
import type { WorkflowInput } from '@maskflow/workflow';
import { formatIssue, MaskflowError, toErrorInfo, UserError } from '@maskflow/workflow';
import { expandBatch } from './batch';
import type { BatchItem } from './batch';
import { runRemote } from './remote-run';
import type { RemoteRunResult } from './remote-run';

export interface RunCommandOptions {
  set: string[];
  input: string[];
  out: string;
  json: boolean;
  target?: string;
  cache: boolean;
  cacheDir?: string;
  /** `<input>=<folder or pattern>`: run once per file (see batch.ts). */
  batch?: string[];
  /** Run on a Maskflow server over socket.io instead of in this process. */
  server?: string;
  token?: string;
}

/** `value` as JSON when it parses (numbers, booleans, arrays), else the plain string. */
export function parseValue(value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

function splitAssignment(flag: string, text: string): [string, string] {
  const i = text.indexOf('=');
  if (i <= 0) throw new UserError(`${flag} "${text}" must look like name=value`, { field: flag });
  return [text.slice(0, i), text.slice(i + 1)];
}

export async function readWorkflowFile(file: string): Promise<WorkflowInput> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new UserError(`cannot read workflow file "${file}"`, { field: 'workflow' });
  }
  try {
    return JSON.parse(text) as WorkflowInput;
  } catch (err) {
    throw new UserError(`workflow file "${file}" is not valid JSON: ${(err as Error).message}`, {
      field: 'workflow',
    });
  }
}

/** Applies `--set node.param=value` and `--input name=value` to a workflow document. */
export function applyOverrides(wf: WorkflowInput, sets: string[], inputs: string[]): WorkflowInput {
  const doc = structuredClone(wf);
  if (!Array.isArray(doc?.nodes)) return doc; // the validator reports the broken format
  for (const s of sets) {
    const [lhs, value] = splitAssignment('--set', s);
    const dot = lhs.lastIndexOf('.');
    if (dot <= 0)
      throw new UserError(`--set "${s}" must look like <node>.<param>=<value>`, { field: '--set' });
    const nodeId = lhs.slice(0, dot);
    const node = doc.nodes.find((n) => n.id === nodeId);
    if (!node) {
      throw new UserError(`--set: no node "${nodeId}"; nodes are ${doc.nodes.map((n) => n.id).join(', ')}`, {
        field: '--set',
      });
    }
    node.params = { ...(node.params ?? {}), [lhs.slice(dot + 1)]: parseValue(value) };
  }
  for (const s of inputs) {
    const [name, value] = splitAssignment('--input', s);
    const ref = doc.inputs?.[name];
    if (!ref) {
      const known = Object.keys(doc.inputs ?? {});
      throw new UserError(
        `--input: this workflow has no input "${name}"; it exposes ${known.length ? known.join(', ') : 'none'}`,
        { field: '--input' },
      );
    }
    const node = doc.nodes.find((n) => n.id === ref.node);
    if (node) node.params = { ...(node.params ?? {}), [ref.param]: parseValue(value) };
  }
  return doc;
}

export function defaultCacheDir(): string {
  return (
    process.env.MASKFLOW_CACHE_DIR ??
    path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'maskflow', 'outputs')
  );
}

/** The JSON summary printed by `--json`. */
export function summarize(result: RunResult) {
  const files: Array<{
    node: string;
    output: string;
    path?: string;
    mime: string;
    bytes: number;
    width?: number;
    height?: number;
  }> = [];
  for (const [node, outs] of Object.entries(result.outputs)) {
    for (const [output, v] of Object.entries(outs)) {
      const a = v as ArtifactRef;
      if (a && typeof a === 'object' && a.kind === 'artifact') {
        files.push({
          node,
          output,
          path: a.path,
          mime: a.mime,
          bytes: a.bytes,
          width: a.width,
          height: a.height,
        });
      }
    }
  }
  return {
    runId: result.runId,
    status: result.status,
    ms: Math.round(result.ms),
    files,
    outputs: describeOutputs(result.outputs),
    nodes: Object.fromEntries(
      Object.entries(result.nodes).map(([id, n]) => [
        id,
        {
          status: n.status,
          ms: n.ms === undefined ? undefined : Math.round(n.ms),
          cached: n.status === 'cached',
          ...(n.warnings ? { warnings: n.warnings } : {}),
          ...(n.error ? { error: n.error } : {}),
        },
      ]),
    ),
    ...(result.error ? { error: result.error } : {}),
  };
}

/** Runs a workflow document in this process, writing its files into `artifacts`. */
type LocalRun = (doc: WorkflowInput, artifacts: DirectoryArtifactStore) => Promise<RunResult>;

/**
 * One engine (models stay loaded, the output cache is shared) for as many
 * runs as `fn` makes; Ctrl-C cancels the run in progress and every later one.
 */
async function withLocalEngine<T>(
  opts: RunCommandOptions,
  fn: (run: LocalRun, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const cache = new OutputCache(opts.cache ? { diskDir: opts.cacheDir ?? defaultCacheDir() } : {});
  const services = new ModelServices();
  const engine = new Engine({ registry: createNodeRegistry(), cache, services });
  const ac = new AbortController();
  const onSigint = () => ac.abort();
  process.once('SIGINT', onSigint);
  const run: LocalRun = async (doc, artifacts) => {
    const reporter = progressReporter(opts.json);
    try {
      return await engine.run(doc, {
        artifacts,
        target: opts.target,
        signal: ac.signal,
        onEvent: (e) => reporter.onEvent(e),
      });
    } finally {
      reporter.stop();
    }
  };
  try {
    return await fn(run, ac.signal);
  } finally {
    process.removeListener('SIGINT', onSigint);
    await Promise.all([services.close(), closeCpuPool()]);
  }
}

export async function runWorkflowFile(file: string, opts: RunCommandOptions): Promise<RunResult> {
  const doc = applyOverrides(await readWorkflowFile(file), opts.set, opts.input);
  return withLocalEngine(opts, (run) =>
    run(doc, new DirectoryArtifactStore(process.cwd(), path.resolve(opts.out))),
  );
}

/** The `--json` summary of a batch: one run summary per input file, in order. */
export interface BatchSummary {
  status: 'finished' | 'failed' | 'cancelled';
  ms: number;
  counts: { finished: number; failed: number; cancelled: number; notRun: number };
  /** Each run's summary as `--json` prints it for one run (local or `--server`), after its files. */
  items: Array<{ stem: string; inputs: Record<string, string> } & Record<string, unknown>>;
}

/** What one run of a batch ended as, and its summary. */
type BatchRun = (item: BatchItem, k: number) => Promise<{ status: string; details: Record<string, unknown> }>;

/**
 * `--batch`: the workflow once per input file (paired by name across batch
 * inputs), in this process with one engine, or one run after another on a
 * server (`--server`: each file uploaded, each run's outputs downloaded). A
 * failed file does not stop the rest; Ctrl-C does.
 */
export async function runBatch(file: string, opts: RunCommandOptions): Promise<BatchSummary> {
  const items = await expandBatch(opts.batch ?? []);
  for (const name of Object.keys(items[0].files)) {
    if (opts.input.some((i) => i.startsWith(`${name}=`)))
      throw new UserError(`--input ${name} and --batch ${name} both set it; keep one`, { field: '--batch' });
  }
  const started = performance.now();
  const summary: BatchSummary = {
    status: 'finished',
    ms: 0,
    counts: { finished: 0, failed: 0, cancelled: 0, notRun: 0 },
    items: items.map((i) => ({ stem: i.stem, inputs: i.files })),
  };
  const each = async (runOne: BatchRun, cancelled: () => boolean) => {
    for (const [k, item] of items.entries()) {
      if (cancelled()) {
        summary.counts.notRun++;
        continue;
      }
      if (!opts.json)
        process.stderr.write(
          `\n[${k + 1}/${items.length}] ${Object.values(item.files)
            .map((f) => path.basename(f))
            .join(' + ')}\n`,
        );
      const { status, details } = await runOne(item, k);
      Object.assign(summary.items[k], details);
      summary.counts[status === 'finished' ? 'finished' : status === 'cancelled' ? 'cancelled' : 'failed']++;
    }
  };
  if (opts.server) {
    const server = opts.server;
    let stopped = false;
    await each(
      async (item) => {
        const input = [...opts.input, ...Object.entries(item.files).map(([name, f]) => `${name}=@${f}`)];
        try {
          const r = await runRemote(file, { ...opts, server, input, namePrefix: item.stem });
          stopped = r.status === 'cancelled';
          printRemote(r, opts.json);
          return { status: r.status, details: { ...r } };
        } catch (err) {
          // An upload the server refuses (not an image, too big) fails this file, not the batch.
          if (!(err instanceof MaskflowError)) throw err;
          if (err.code === 'cancelled') stopped = true;
          const error = toErrorInfo(err);
          if (!opts.json) process.stderr.write(`\nerror (${error.kind}): ${error.message}\n`);
          const status = stopped ? 'cancelled' : 'failed';
          return { status, details: { status, error } };
        }
      },
      () => stopped,
    );
  } else {
    const wf = await readWorkflowFile(file);
    // Every item's document is built (and its --set/--input checked) before the first run.
    const docs = items.map((item) =>
      applyOverrides(wf, opts.set, [
        ...opts.input,
        ...Object.entries(item.files).map(([name, f]) => `${name}=${f}`),
      ]),
    );
    await withLocalEngine(opts, (run, signal) =>
      each(
        async (item, k) => {
          const result = await run(
            docs[k],
            new DirectoryArtifactStore(process.cwd(), path.resolve(opts.out), item.stem),
          );
          if (!opts.json) printHuman(result);
          return { status: result.status, details: summarize(result) };
        },
        () => signal.aborted,
      ),
    );
  }
  summary.ms = Math.round(performance.now() - started);
  const c = summary.counts;
  summary.status = c.cancelled || c.notRun ? 'cancelled' : c.failed ? 'failed' : 'finished';
  return summary;
}

/** A remote run's files on stdout and its end on stderr (nothing with `--json`). */
function printRemote(remote: RemoteRunResult, json: boolean): void {
  if (json) return;
  for (const f of remote.files) process.stdout.write(`${f}\n`);
  if (remote.error)
    process.stderr.write(
      `\nerror (${remote.error.kind}): ${remote.error.nodeId ? `node "${remote.error.nodeId}": ` : ''}${remote.error.message}\n`,
    );
  else process.stderr.write(`\n${remote.status} (run ${remote.runId})\n`);
}

function printHuman(result: RunResult): void {
  const s = summarize(result);
  const rows = Object.entries(s.nodes).map(
    ([id, n]) => `  ${id.padEnd(16)} ${n.status.padEnd(9)} ${n.ms === undefined ? '' : `${n.ms} ms`}`,
  );
  process.stderr.write(`\n${rows.join('\n')}\n`);
  for (const f of s.files) process.stdout.write(`${f.path}\n`);
  if (result.error) {
    const e = result.error;
    const where = e.nodeId ? `node "${e.nodeId}"${e.field ? `, field "${e.field}"` : ''}: ` : '';
    const body = e.issues?.length
      ? `${e.message.split('\n')[0]}\n${e.issues.map((i) => `  - ${formatIssue(i)}`).join('\n')}`
      : `${where}${e.message}`;
    process.stderr.write(`\n${result.status === 'cancelled' ? 'cancelled' : `error (${e.kind})`}: ${body}\n`);
  } else {
    process.stderr.write(`\nfinished in ${s.ms} ms\n`);
  }
}

export function registerRunCommand(program: Command): void {
  const collect = (v: string, prev: string[]) => [...prev, v];
  program
    .command('run')
    .description('run a workflow file headless')
    .argument('<workflow>', 'workflow JSON file')
    .option(
      '--set <node.param=value>',
      'set a node param (repeatable); values parse as JSON when they can',
      collect,
      [],
    )
    .option('--input <name=value>', 'set an exposed workflow input (repeatable)', collect, [])
    .option(
      '--batch <name=folder>',
      'run once per image in a folder (or matching folder/*.jpg) for this input; more --batch inputs pair files by name (repeatable; with --server each file is uploaded)',
      collect,
      [],
    )
    .option('--out <dir>', 'directory for output files', 'out')
    .option('--target <node>', 'run only this node and what it needs')
    .option('--json', 'print a JSON summary on stdout (status, files, per-node status, ms, cached)', false)
    .option('--no-cache', 'do not reuse or store node outputs between runs')
    .option(
      '--cache-dir <dir>',
      'where node outputs are kept between runs (default: MASKFLOW_CACHE_DIR or ~/.cache/maskflow/outputs)',
    )
    .option(
      '--server <url>',
      'run on a Maskflow server (e.g. http://127.0.0.1:8188); <workflow> may be a saved workflow id; --input name=@file uploads the file',
    )
    .option('--token <token>', 'access token for --server (default: MASKFLOW_TOKEN)')
    .action(async (file: string, opts: RunCommandOptions) => {
      if (opts.batch?.length) {
        const batch = await runBatch(file, opts);
        if (opts.json) process.stdout.write(`${JSON.stringify(batch, null, 2)}\n`);
        else {
          const c = batch.counts;
          process.stderr.write(
            `\nbatch ${batch.status}: ${c.finished} finished, ${c.failed} failed${c.cancelled || c.notRun ? `, ${c.cancelled + c.notRun} cancelled or not run` : ''} in ${batch.ms} ms\n`,
          );
        }
        process.exitCode = batch.status === 'finished' ? 0 : batch.status === 'cancelled' ? 130 : 1;
        return;
      }
      if (opts.server) {
        const remote = await runRemote(file, { ...opts, server: opts.server });
        if (opts.json) process.stdout.write(`${JSON.stringify(remote, null, 2)}\n`);
        else printRemote(remote, false);
        process.exitCode = remote.status === 'finished' ? 0 : remote.status === 'cancelled' ? 130 : 1;
        return;
      }
      const result = await runWorkflowFile(file, opts);
      if (opts.json) process.stdout.write(`${JSON.stringify(summarize(result), null, 2)}\n`);
      else printHuman(result);
      process.exitCode = result.status === 'finished' ? 0 : result.status === 'cancelled' ? 130 : 1;
    });
}
