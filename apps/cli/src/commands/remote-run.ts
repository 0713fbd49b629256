import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { io } from 'socket.io-client';
import type { Socket } from 'socket.io-client';
import type {
  ClientAck,
  ClientMessageInput,
  ClientMessageType,
  ErrorInfo,
  NodeRunSummary,
  RunEvent,
  WorkflowInput,
} from '@maskflow/workflow';
import { formatIssue, SERVER_EVENT, UserError, workflowIdSchema } from '@maskflow/workflow';
import { progressReporter } from './progress.reporter';
import { applyOverrides, parseValue, readWorkflowFile } from './run.command';

export interface RemoteRunOptions {
  /** Base URL of the server, e.g. http://127.0.0.1:8188. */
  server: string;
  /** Access token; default MASKFLOW_TOKEN. */
  token?: string;
  /** `name=value` for exposed inputs; `name=@file` uploads the file and passes its artifact id. */
  input: string[];
  /** `node.param=value`; applied to the graph before it is sent. */
  set: string[];
  /** Directory the output artifacts are downloaded into. */
  out: string;
  /** Machine-readable run: no progress bars. */
  json: boolean;
  target?: string;
  /** Put before each downloaded file's name, with a dash (a batch names files after its inputs). */
  namePrefix?: string;
}

export interface RemoteRunResult {
  runId: string;
  status: 'finished' | 'failed' | 'cancelled' | 'interrupted';
  /** Paths of the downloaded outputs. */
  files: string[];
  /** Output descriptions by node id and handle, as the server reported them. */
  outputs: Record<string, Record<string, unknown>>;
  nodes: Record<string, NodeRunSummary>;
  ms?: number;
  error?: ErrorInfo;
}

const ACK_TIMEOUT_MS = 30_000;

function authHeaders(token: string | undefined): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

async function httpError(res: Response, what: string): Promise<UserError> {
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { error?: { message?: string } };
    if (body.error?.message) message = body.error.message;
  } catch {
    // not JSON: the status line says enough
  }
  return new UserError(`${what}: ${message}`, { code: res.status === 401 ? 'unauthorized' : 'server-error' });
}

/** Uploads a local file as an artifact; the server sniffs, checks and re-encodes it. */
async function upload(base: string, token: string | undefined, file: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch {
    throw new UserError(`cannot read "${file}"`, { field: '--input' });
  }
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(bytes)]), path.basename(file));
  const res = await fetch(new URL('/api/artifacts', base), {
    method: 'POST',
    body: form,
    headers: authHeaders(token),
  });
  if (!res.ok) throw await httpError(res, `uploading "${file}"`);
  return ((await res.json()) as { id: string }).id;
}

async function fetchWorkflow(base: string, token: string | undefined, id: string): Promise<WorkflowInput> {
  const res = await fetch(new URL(`/api/workflows/${encodeURIComponent(id)}`, base), {
    headers: authHeaders(token),
  });
  if (!res.ok) throw await httpError(res, `reading workflow "${id}"`);
  return ((await res.json()) as { graph: WorkflowInput }).graph;
}

/** Resolves `--input` values: `@file` becomes an uploaded artifact's id, the rest parse as JSON when they can. */
async function inputValues(
  base: string,
  token: string | undefined,
  inputs: string[],
): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const s of inputs) {
    const i = s.indexOf('=');
    if (i <= 0)
      throw new UserError(`--input "${s}" must look like name=value (or name=@file to upload a file)`, {
        field: '--input',
      });
    const name = s.slice(0, i);
    const value = s.slice(i + 1);
    out[name] = value.startsWith('@') ? await upload(base, token, value.slice(1)) : parseValue(value);
  }
  return out;
}

function connect(base: string, token: string | undefined): Promise<Socket> {
  const socket = io(base, {
    path: '/socket.io',
    transports: ['websocket'],
    auth: token ? { token } : {},
    reconnectionDelayMax: 2000,
  });
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      socket.close();
      reject(
        new UserError(`cannot connect to ${base}: ${err.message}`, {
          code: err.message.startsWith('unauthorized') ? 'unauthorized' : 'unreachable',
        }),
      );
    };
    socket.once('connect_error', onError);
    socket.once('connect', () => {
      socket.off('connect_error', onError);
      resolve(socket);
    });
  });
}

async function send<K extends ClientMessageType>(
  socket: Socket,
  type: K,
  msg: ClientMessageInput<K>,
): Promise<ClientAck<K>> {
  return (await socket.timeout(ACK_TIMEOUT_MS).emitWithAck(type, msg)) as ClientAck<K>;
}

function ackError(ack: object): ErrorInfo | undefined {
  return 'error' in ack ? (ack as { error: ErrorInfo }).error : undefined;
}

function describeError(e: ErrorInfo): string {
  if (e.issues?.length)
    return `${e.message.split('\n')[0]}\n${e.issues.map((i) => `  - ${formatIssue(i)}`).join('\n')}`;
  const where = e.nodeId ? `node "${e.nodeId}"${e.field ? `, field "${e.field}"` : ''}: ` : '';
  return `${where}${e.message}`;
}

/**
 * `maskflow run --server <url> <workflow file | saved id>`: uploads `@file`
 * inputs, submits over socket.io (acknowledged with the run id), shows live
 * progress, survives reconnects (asks for the events it missed), and downloads
 * the output artifacts into `out`. Ctrl-C cancels the run on the server.
 */
export async function runRemote(
  workflowFileOrSavedId: string,
  opts: RemoteRunOptions,
): Promise<RemoteRunResult> {
  const base = opts.server.replace(/\/+$/, '');
  const token = opts.token ?? process.env.MASKFLOW_TOKEN;
  const isFile = existsSync(workflowFileOrSavedId);
  if (!isFile && !workflowIdSchema.safeParse(workflowFileOrSavedId).success) {
    throw new UserError(`"${workflowFileOrSavedId}" is neither a workflow file nor a saved workflow id`, {
      field: 'workflow',
    });
  }
  const inputs = await inputValues(base, token, opts.input);
  let body: ClientMessageInput<'run.submit'>;
  if (isFile || opts.set.length) {
    const doc = isFile
      ? await readWorkflowFile(workflowFileOrSavedId)
      : await fetchWorkflow(base, token, workflowFileOrSavedId);
    body = { workflow: applyOverrides(doc, opts.set, []), inputs, target: opts.target };
  } else {
    body = { workflowId: workflowFileOrSavedId, inputs, target: opts.target };
  }

  const socket = await connect(base, token);
  const reporter = progressReporter(opts.json);
  let lastSeq = 0;
  let runId: string | undefined;
  let onSigint: (() => void) | undefined;
  try {
    const final = await new Promise<RunEvent>((resolve, reject) => {
      // Events can arrive in the same tick as the acknowledgement, before its promise settles: keep them until the id is known.
      const early: RunEvent[] = [];
      const handle = (e: RunEvent) => {
        if (e.runId !== runId || e.seq <= lastSeq) return;
        lastSeq = e.seq;
        reporter.onEvent(e);
        if (e.type === 'run.finished' || e.type === 'run.failed' || e.type === 'run.cancelled') resolve(e);
      };
      socket.on(SERVER_EVENT, (e: RunEvent) => (runId ? handle(e) : early.push(e)));
      // After a reconnect the server has forgotten this socket: ask for what was missed.
      socket.io.on('reconnect', () => {
        if (runId) void send(socket, 'subscribe', { runId, afterSeq: lastSeq }).catch(() => undefined);
      });
      onSigint = () => {
        if (runId) void send(socket, 'run.cancel', { runId }).catch(() => undefined);
        else reject(new UserError('interrupted before the run was submitted', { code: 'cancelled' }));
      };
      process.once('SIGINT', onSigint);
      send(socket, 'run.submit', { ...body, subscribe: true }).then((ack) => {
        const err = ackError(ack);
        if (err)
          reject(new UserError(describeError(err), { code: err.code, field: err.field, nodeId: err.nodeId }));
        else {
          runId = (ack as { runId: string }).runId;
          for (const e of early.splice(0)) handle(e);
        }
      }, reject);
    });
    reporter.stop();
    const data = final.data as {
      outputs?: Record<string, Record<string, unknown>>;
      nodes?: Record<string, NodeRunSummary>;
      ms?: number;
      error?: ErrorInfo;
      status?: string;
    };
    const outputs = data.outputs ?? {};
    const files =
      final.type === 'run.finished' ? await download(base, token, outputs, opts.out, opts.namePrefix) : [];
    const status =
      final.type === 'run.finished'
        ? 'finished'
        : final.type === 'run.cancelled'
          ? 'cancelled'
          : data.status === 'interrupted'
            ? 'interrupted'
            : 'failed';
    return {
      runId: runId ?? final.runId,
      status,
      files,
      outputs,
      nodes: data.nodes ?? {},
      ms: data.ms,
      ...(data.error ? { error: data.error } : {}),
    };
  } finally {
    reporter.stop();
    if (onSigint) process.removeListener('SIGINT', onSigint);
    socket.close();
  }
}

/** Downloads every artifact output into `dir`, named after what the node called it, never overwriting within a run. */
async function download(
  base: string,
  token: string | undefined,
  outputs: Record<string, Record<string, unknown>>,
  dir: string,
  namePrefix?: string,
): Promise<string[]> {
  const files: string[] = [];
  const used = new Set<string>();
  for (const [nodeId, outs] of Object.entries(outputs)) {
    for (const v of Object.values(outs)) {
      const a = v as { kind?: string; id?: string; name?: string; mime?: string } | null;
      if (!a || a.kind !== 'artifact' || typeof a.id !== 'string') continue;
      const res = await fetch(new URL(`/api/artifacts/${a.id}`, base), { headers: authHeaders(token) });
      if (!res.ok) throw await httpError(res, `downloading the output of "${nodeId}"`);
      const ext = a.mime === 'image/jpeg' ? 'jpg' : a.mime === 'image/webp' ? 'webp' : 'png';
      const named = path.basename(a.name ?? `${nodeId}.${ext}`);
      const base0 = (namePrefix ? `${namePrefix}-${named}` : named).replace(/[^A-Za-z0-9_.-]/g, '_');
      const stem = base0.replace(/\.[^.]*$/, '');
      const suffix = base0.slice(stem.length) || `.${ext}`;
      let name = `${stem}${suffix}`;
      for (let i = 2; used.has(name); i++) name = `${stem}-${i}${suffix}`;
      used.add(name);
      await mkdir(dir, { recursive: true });
      const file = path.resolve(dir, name);
      await writeFile(file, Buffer.from(await res.arrayBuffer()));
      files.push(file);
    }
  }
  return files;
}
