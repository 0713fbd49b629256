/**
 * CPU worker thread entry: runs one named task at a time (cpu-tasks.ts) and
 * posts the result back, transferring its buffers. Cancellation is the pool
 * terminating this thread, so tasks never poll for it here.
 */
import { parentPort } from 'node:worker_threads';
import type { CpuTaskErrorInfo, CpuTaskRequest, CpuWorkerMessage } from './cpu-tasks';
import { runTaskHere, transferablesOf } from './cpu-tasks';

if (!parentPort) throw new Error('cpu.worker must be started as a worker thread');
const port = parentPort;

function errorInfo(err: unknown): CpuTaskErrorInfo {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const e = err as Error & { kind?: unknown; code?: unknown; field?: unknown };
  return {
    name: e.name,
    message: e.message,
    stack: e.stack,
    kind: typeof e.kind === 'string' ? e.kind : undefined,
    code: typeof e.code === 'string' ? e.code : undefined,
    field: typeof e.field === 'string' ? e.field : undefined,
  };
}

function post(message: CpuWorkerMessage, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

async function handle(req: CpuTaskRequest): Promise<void> {
  try {
    const result = await runTaskHere(req.task, req.args as never, {
      progress: (value, max) => post({ id: req.id, type: 'progress', value, max }),
    });
    post({ id: req.id, type: 'done', result }, transferablesOf(result));
  } catch (err) {
    post({ id: req.id, type: 'failed', error: errorInfo(err) });
  }
}

port.on('message', (req: CpuTaskRequest) => {
  void handle(req);
});
