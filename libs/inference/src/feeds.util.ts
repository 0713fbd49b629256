/**
 * Checks feeds against the session's own metadata (names, types, ranks, fixed
 * dims) before they cross to the worker, so a mismatch names the model and the
 * input instead of surfacing as an ORT message; and hands the feed buffers to
 * the worker without copying them.
 */
import { UserError } from '@maskflow/workflow';
import type { Tensor, TensorData, TensorMap, TensorType, ValueMetadata } from './tensor.types';
import { isTensorType, tensorProblem } from './tensor.util';

function mismatch(key: string, message: string): UserError {
  return new UserError(`model ${key}: ${message}`, { code: 'model-mismatch' });
}

export function validateFeeds(key: string, inputs: readonly ValueMetadata[], feeds: TensorMap): void {
  const expected = inputs.map((m) => m.name);
  const missing = expected.filter((n) => !(n in feeds));
  const unknown = Object.keys(feeds).filter((n) => !expected.includes(n));
  if (missing.length > 0 || unknown.length > 0) {
    throw mismatch(
      key,
      `expects inputs [${expected.join(', ')}], got [${Object.keys(feeds).join(', ')}]` +
        (missing.length ? `; missing ${missing.join(', ')}` : '') +
        (unknown.length ? `; unknown ${unknown.join(', ')}` : ''),
    );
  }
  for (const meta of inputs) {
    const t = feeds[meta.name];
    const problem = tensorProblem(t);
    if (problem) throw mismatch(key, `input "${meta.name}": ${problem}`);
    if (!meta.isTensor)
      throw mismatch(key, `input "${meta.name}" is not a tensor; this API feeds tensors only`);
    if (meta.type !== t.type) throw mismatch(key, `input "${meta.name}" takes ${meta.type}, got ${t.type}`);
    if (meta.shape.length !== t.dims.length) {
      throw mismatch(
        key,
        `input "${meta.name}" has shape [${meta.shape.join(',')}] (rank ${meta.shape.length}), got dims [${t.dims.join(',')}]`,
      );
    }
    meta.shape.forEach((d, i) => {
      if (typeof d === 'number' && d !== t.dims[i]) {
        throw mismatch(
          key,
          `input "${meta.name}" has shape [${meta.shape.join(',')}], got dims [${t.dims.join(',')}]`,
        );
      }
    });
  }
}

/** Checks requested output names, and that every output to fetch has a type the API carries. */
export function validateOutputs(
  key: string,
  outputs: readonly ValueMetadata[],
  requested: readonly string[] | undefined,
): void {
  const names = outputs.map((m) => m.name);
  for (const name of requested ?? names) {
    const meta = outputs.find((m) => m.name === name);
    if (!meta) throw mismatch(key, `has no output "${name}" (outputs: ${names.join(', ')})`);
    if (!meta.isTensor || !isTensorType(meta.type)) {
      throw mismatch(
        key,
        `output "${name}" is ${meta.isTensor ? meta.type : 'not a tensor'}, which this API does not carry; pass { outputs: [...] } to fetch only the others`,
      );
    }
  }
}

function allocate(type: TensorType, n: number): TensorData {
  switch (type) {
    case 'float32':
      return new Float32Array(n);
    case 'float16':
      return new Uint16Array(n);
    case 'int64':
      return new BigInt64Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'uint8':
    case 'bool':
      return new Uint8Array(n);
  }
}

function view(type: TensorType, buffer: ArrayBuffer, length: number): TensorData {
  switch (type) {
    case 'float32':
      return new Float32Array(buffer, 0, length);
    case 'float16':
      return new Uint16Array(buffer, 0, length);
    case 'int64':
      return new BigInt64Array(buffer, 0, length);
    case 'int32':
      return new Int32Array(buffer, 0, length);
    case 'uint8':
    case 'bool':
      return new Uint8Array(buffer, 0, length);
  }
}

function copy(t: Tensor): TensorData {
  const out = allocate(t.type, t.data.length);
  // Same element type on both sides; set() copies (slice() on a Node Buffer would not).
  (out as { set(a: ArrayLike<number | bigint>): void }).set(t.data);
  return out;
}

function isShared(buf: ArrayBufferLike): boolean {
  return (
    typeof SharedArrayBuffer !== 'undefined' &&
    Object.prototype.toString.call(buf) === '[object SharedArrayBuffer]'
  );
}

export interface PreparedFeeds {
  feeds: TensorMap;
  transfer: ArrayBuffer[];
}

/**
 * Takes ownership of the feeds' memory for the trip to the worker:
 * - a typed array spanning its whole ArrayBuffer is moved, with no copy: the
 *   caller's buffer is detached (length 0) by the time run() returns its promise;
 * - a view into a larger buffer (a subarray, a pooled Buffer) is copied, so
 *   the rest of that buffer stays the caller's;
 * - SharedArrayBuffer data is shared as is (don't write to it until run() settles);
 * - `keep: true` copies everything and leaves the caller's buffers intact.
 * `postNow: true` says the caller posts the message in this same tick: the
 * buffers are then left for postMessage's transfer list to detach, which saves
 * a structuredClone per buffer; otherwise they are moved now, so a queued job
 * owns its data and the caller's buffers are detached just the same.
 */
export function prepareFeeds(
  feeds: TensorMap,
  opts: { keep?: boolean; postNow?: boolean } = {},
): PreparedFeeds {
  const keep = opts.keep ?? false;
  // Read every view's extent first: once a buffer is moved, views on it report length 0.
  const entries = Object.entries(feeds).map(([name, t]) => ({
    name,
    t,
    length: t.data.length,
    whole: t.data.byteOffset === 0 && t.data.byteLength === t.data.buffer.byteLength,
  }));
  const out: TensorMap = {};
  const toMove: typeof entries = [];
  // Copies first, so a view into a buffer that another feed moves is copied before that buffer is detached.
  for (const e of entries) {
    if (keep) out[e.name] = { ...e.t, dims: [...e.t.dims], data: copy(e.t) } as Tensor;
    else if (isShared(e.t.data.buffer)) out[e.name] = { ...e.t, dims: [...e.t.dims] };
    else if (!e.whole) out[e.name] = { ...e.t, dims: [...e.t.dims], data: copy(e.t) } as Tensor;
    else toMove.push(e);
  }
  const moved = new Map<ArrayBufferLike, ArrayBuffer>();
  for (const { name, t, length } of toMove) {
    const src = t.data.buffer;
    if (opts.postNow) {
      out[name] = { ...t, dims: [...t.dims] };
      continue;
    }
    let buf = moved.get(src);
    if (!buf) {
      try {
        // structuredClone with transfer moves the backing store: the caller's buffer is detached, nothing is copied.
        buf = structuredClone(src as ArrayBuffer, { transfer: [src as ArrayBuffer] });
        moved.set(src, buf);
      } catch {
        buf = undefined; // untransferable (e.g. wasm memory): copied instead
      }
    }
    out[name] = {
      type: t.type,
      dims: [...t.dims],
      data: buf ? view(t.type, buf, length) : copy(t),
    } as Tensor;
  }
  const transfer: ArrayBuffer[] = [];
  for (const t of Object.values(out)) {
    const b = t.data.buffer;
    if (!isShared(b) && !transfer.includes(b as ArrayBuffer)) transfer.push(b as ArrayBuffer);
  }
  return { feeds: out, transfer };
}
