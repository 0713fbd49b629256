/**
 * Worker-thread entry: owns ONNX Runtime sessions and runs them. session.run
 * blocks this thread for the whole inference, which is the point: the main
 * event loop stays free. Requests are handled strictly one at a time, in order.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import type { WorkerErrorInfo } from './inference.errors';
import type { Tensor, TensorMap, TensorType, ValueMetadata } from './tensor.types';
import type {
  ReadyMessage,
  SessionSettings,
  WorkerInit,
  WorkerReply,
  WorkerRequest,
} from './worker.protocol';

const SUPPORTED: readonly string[] = [
  'float32',
  'float16',
  'int64',
  'int32',
  'uint8',
  'bool',
] satisfies TensorType[];

if (!parentPort) throw new Error('inference.worker must be started as a worker thread');
const port = parentPort;
const init = workerData as WorkerInit;
ort.env.logLevel = init.ortLogLevel;

const sessions = new Map<number, ort.InferenceSession>();

/**
 * Lowers this thread's scheduling priority before any session exists, so the
 * ORT thread pools it creates inherit it: when cores are saturated, the main
 * event loop (HTTP, socket.io) wins over inference. Linux only (a thread's id
 * comes from /proc/thread-self); elsewhere the default priority stays.
 */
function lowerPriority(nice: number): void {
  if (!nice) return;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, nice);
  } catch {
    // Not Linux, or not permitted: run at normal priority.
  }
}
lowerPriority(init.nice);

function sessionOptions(s: SessionSettings): ort.InferenceSession.SessionOptions {
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: s.providers.map((p) =>
      p === 'cuda' ? { name: 'cuda', deviceId: s.deviceId ?? 0 } : 'cpu',
    ),
    graphOptimizationLevel: s.graphOptimizationLevel,
    intraOpNumThreads: s.intraOpNumThreads,
    interOpNumThreads: s.interOpNumThreads,
    executionMode: s.executionMode,
    freeDimensionOverrides: s.freeDimensionOverrides,
    // ORT session config entries ("session.intra_op.allow_spinning", …); dotted keys are taken as they are.
    extra: s.sessionConfig && Object.keys(s.sessionConfig).length > 0 ? { ...s.sessionConfig } : undefined,
    logSeverityLevel: ({ verbose: 0, info: 1, warning: 2, error: 3, fatal: 4 } as const)[init.ortLogLevel],
  };
  // ORT rejects keys that are present but undefined ("must be a number"), so leave unset options out.
  for (const k of Object.keys(options) as Array<keyof typeof options>)
    if (options[k] === undefined) delete options[k];
  return options;
}

function metadata(list: readonly ort.InferenceSession.ValueMetadata[]): ValueMetadata[] {
  return list.map((m) =>
    m.isTensor
      ? { name: m.name, isTensor: true, type: m.type, shape: [...m.shape] }
      : { name: m.name, isTensor: false },
  );
}

function fromOrt(name: string, t: ort.Tensor): Tensor {
  if (!SUPPORTED.includes(t.type)) {
    throw new Error(
      `output "${name}" has element type ${t.type}, which the inference API does not carry; fetch only supported outputs`,
    );
  }
  const dims = [...t.dims];
  const data = t.data as ArrayBufferView;
  if (t.type === 'float16') {
    // Where Float16Array exists ORT returns one; the API carries float16 as Uint16Array bits everywhere.
    return {
      type: 'float16',
      dims,
      data: new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2),
    };
  }
  return { type: t.type, dims, data: t.data } as Tensor;
}

function errorInfo(err: unknown): WorkerErrorInfo {
  if (err instanceof Error) return { name: err.name, message: err.message, stack: err.stack };
  return { name: 'Error', message: String(err) };
}

function session(id: number): ort.InferenceSession {
  const s = sessions.get(id);
  if (!s) throw new Error(`session ${id} is not loaded in worker ${init.label}`);
  return s;
}

async function handle(req: WorkerRequest): Promise<void> {
  let reply: WorkerReply;
  const transfer: ArrayBuffer[] = [];
  try {
    switch (req.op) {
      case 'load': {
        const t0 = performance.now();
        const s = await ort.InferenceSession.create(req.file, sessionOptions(req.settings));
        sessions.set(req.sessionId, s);
        reply = {
          id: req.id,
          ok: true,
          op: 'load',
          inputMetadata: metadata(s.inputMetadata),
          outputMetadata: metadata(s.outputMetadata),
          ms: performance.now() - t0,
        };
        break;
      }
      case 'run': {
        const s = session(req.sessionId);
        const feeds: Record<string, ort.Tensor> = {};
        for (const [name, t] of Object.entries(req.feeds))
          feeds[name] = new ort.Tensor(t.type, t.data, t.dims);
        const t0 = performance.now();
        const result = req.outputs ? await s.run(feeds, req.outputs) : await s.run(feeds);
        const ms = performance.now() - t0;
        const outputs: TensorMap = {};
        for (const [name, value] of Object.entries(result)) {
          const t = fromOrt(name, value);
          outputs[name] = t;
          const buf = t.data.buffer;
          // Moves the output to the main thread instead of copying it.
          if (buf instanceof ArrayBuffer && !transfer.includes(buf)) transfer.push(buf);
        }
        reply = { id: req.id, ok: true, op: 'run', outputs, ms };
        break;
      }
      case 'unload': {
        const s = sessions.get(req.sessionId);
        sessions.delete(req.sessionId);
        await s?.release();
        reply = { id: req.id, ok: true, op: 'unload' };
        break;
      }
      case 'exit':
        process.exit(req.code);
    }
  } catch (err) {
    reply = { id: req.id, ok: false, error: errorInfo(err) };
  }
  port.postMessage(reply, transfer);
}

let chain: Promise<void> = Promise.resolve();
port.on('message', (req: WorkerRequest) => {
  chain = chain.then(() => handle(req));
});
port.postMessage({
  op: 'ready',
  ortVersion: ort.env.versions.node ?? ort.env.versions.common,
} satisfies ReadyMessage);
