/**
 * The seam between the pipelines and the inference runtime. Pipelines see a
 * session as its metadata plus `run`, so they can be driven by the worker-pool
 * runtime in production and by anything with the same shape in tests; and they
 * build feeds from the session's own metadata (names, element types), never
 * from assumptions about an export.
 */
import { EnvironmentError } from '@maskflow/workflow';
import { float16ToFloat32, float32ToFloat16 } from '@maskflow/inference';
import type {
  InferenceService,
  LoadOptions,
  ModelHandle,
  Tensor,
  TensorMap,
  TensorMetadata,
  ValueMetadata,
} from '@maskflow/inference';

export interface ModelSession {
  /** What the session calls itself in messages (usually the file). */
  readonly name: string;
  readonly inputMetadata: readonly ValueMetadata[];
  readonly outputMetadata: readonly ValueMetadata[];
  /** Runs the session. Feeds are handed over: their buffers may be detached afterwards. */
  run(feeds: TensorMap, opts?: { signal?: AbortSignal; outputs?: string[] }): Promise<TensorMap>;
  dispose(): Promise<void>;
}

/** Wraps a runtime handle as a ModelSession. */
export function sessionFromHandle(runtime: InferenceService, handle: ModelHandle): ModelSession {
  return {
    name: handle.file,
    get inputMetadata() {
      return handle.inputMetadata;
    },
    get outputMetadata() {
      return handle.outputMetadata;
    },
    async run(feeds, opts = {}) {
      const result = await runtime.run(handle, feeds, { signal: opts.signal, outputs: opts.outputs });
      return result.outputs;
    },
    dispose: () => handle.dispose(),
  };
}

/** Loads a model file through the runtime and wraps it. */
export async function loadSession(
  runtime: InferenceService,
  file: string,
  opts: LoadOptions = {},
): Promise<ModelSession> {
  return sessionFromHandle(runtime, await runtime.load(file, opts));
}

function isTensorMeta(m: ValueMetadata): m is TensorMetadata {
  return m.isTensor;
}

/** The tensor metadata named `name`, if the session has it. */
export function findValue(list: readonly ValueMetadata[], name: string): TensorMetadata | undefined {
  const m = list.find((v) => v.name === name);
  return m && isTensorMeta(m) ? m : undefined;
}

/** The first tensor whose name is one of `names` (exporters spell some of them differently). */
export function findValueByNames(
  list: readonly ValueMetadata[],
  names: readonly string[],
): TensorMetadata | undefined {
  for (const n of names) {
    const m = findValue(list, n);
    if (m) return m;
  }
  return undefined;
}

/** Formats a session's values for error messages: `name type[dims]`. */
export function describeValues(list: readonly ValueMetadata[]): string {
  return list
    .map((m) => (m.isTensor ? `${m.name} ${m.type}[${m.shape.join(',')}]` : `${m.name} (not a tensor)`))
    .join(', ');
}

/** An export the pipeline cannot drive: the operator must pick another file. */
export function unsupportedExport(session: ModelSession, what: string, detail: string): EnvironmentError {
  return new EnvironmentError(
    `${session.name} does not look like ${what}: ${detail}. Inputs: ${describeValues(session.inputMetadata)}; ` +
      `outputs: ${describeValues(session.outputMetadata)}`,
    { code: 'model-unsupported' },
  );
}

/** A float feed in the element type the session declares (float32, or float16 bit patterns). */
export function floatFeed(meta: TensorMetadata, dims: number[], data: Float32Array): Tensor {
  if (meta.type === 'float16') return { type: 'float16', dims, data: float32ToFloat16(data) };
  if (meta.type === 'float32') return { type: 'float32', dims, data };
  throw new EnvironmentError(`input "${meta.name}" is ${meta.type}; a float input was expected`, {
    code: 'model-unsupported',
  });
}

/** An integer feed in the element type the session declares (int64 or int32). */
export function intFeed(meta: TensorMetadata, dims: number[], values: ArrayLike<number>): Tensor {
  const n = values.length;
  if (meta.type === 'int64') {
    const data = new BigInt64Array(n);
    for (let i = 0; i < n; i++) data[i] = BigInt(values[i]);
    return { type: 'int64', dims, data };
  }
  if (meta.type === 'int32') return { type: 'int32', dims, data: Int32Array.from(values) };
  if (meta.type === 'bool') return { type: 'bool', dims, data: Uint8Array.from(values, (v) => (v ? 1 : 0)) };
  if (meta.type === 'float32' || meta.type === 'float16')
    return floatFeed(meta, dims, Float32Array.from(values));
  throw new EnvironmentError(`input "${meta.name}" is ${meta.type}; an integer input was expected`, {
    code: 'model-unsupported',
  });
}

/** An output as float32, whatever float type the session produced. */
export function toFloat32(t: Tensor, name: string): Float32Array {
  switch (t.type) {
    case 'float32':
      return t.data;
    case 'float16':
      return float16ToFloat32(t.data);
    default:
      throw new EnvironmentError(`output "${name}" is ${t.type}; a float output was expected`, {
        code: 'model-unsupported',
      });
  }
}

/** A named output, or a clear error naming what the session returned. */
export function requireOutput(outputs: TensorMap, name: string, session: ModelSession): Tensor {
  const t = outputs[name];
  if (!t)
    throw unsupportedExport(
      session,
      'the expected export',
      `no output "${name}" was returned (got ${Object.keys(outputs).join(', ')})`,
    );
  return t;
}

/** Fixed dims of a metadata shape, or undefined where a dim is symbolic. */
export function staticDims(meta: TensorMetadata): Array<number | undefined> {
  return meta.shape.map((d) => (typeof d === 'number' && d > 0 ? d : undefined));
}
