import type { Tensor, TensorDataByType, TensorOf, TensorType } from './tensor.types';

export const TENSOR_TYPES: readonly TensorType[] = ['float32', 'float16', 'int64', 'int32', 'uint8', 'bool'];

/** The typed-array tag each element type must have (checked by tag, not instanceof, so it works across realms). */
export const TYPED_ARRAY_TAG: Record<TensorType, string> = {
  float32: 'Float32Array',
  float16: 'Uint16Array',
  int64: 'BigInt64Array',
  int32: 'Int32Array',
  uint8: 'Uint8Array',
  bool: 'Uint8Array',
};

export function isTensorType(t: string): t is TensorType {
  return (TENSOR_TYPES as readonly string[]).includes(t);
}

/** Number of elements for dims (1 for a scalar `[]`). */
export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** The typed-array tag of a value, e.g. "Float32Array" (Buffer reports "Uint8Array"). */
export function typedArrayTag(data: unknown): string | undefined {
  if (!ArrayBuffer.isView(data)) return undefined;
  return (data as unknown as { [Symbol.toStringTag]: string })[Symbol.toStringTag];
}

/** Builds a tensor, checking that the data matches the type and the dims. */
export function tensor<T extends TensorType>(
  type: T,
  data: TensorDataByType[T],
  dims: readonly number[],
): TensorOf<T> {
  const problem = tensorProblem({ type, data, dims: [...dims] } as Tensor);
  if (problem) throw new TypeError(problem);
  return { type, data, dims: [...dims] };
}

/** Describes what is wrong with a tensor's data, or undefined when it is consistent. */
export function tensorProblem(t: Tensor): string | undefined {
  if (!isTensorType(t.type))
    return `unsupported tensor type "${String(t.type)}" (supported: ${TENSOR_TYPES.join(', ')})`;
  if (!Array.isArray(t.dims) || t.dims.some((d) => !Number.isInteger(d) || d < 0)) {
    return `dims must be non-negative integers, got [${String(t.dims)}]`;
  }
  const tag = typedArrayTag(t.data);
  if (tag !== TYPED_ARRAY_TAG[t.type]) {
    return `a ${t.type} tensor needs a ${TYPED_ARRAY_TAG[t.type]}, got ${tag ?? typeof t.data}`;
  }
  const n = elementCount(t.dims);
  if (t.data.length !== n) return `dims [${t.dims.join(',')}] need ${n} elements, data has ${t.data.length}`;
  return undefined;
}
