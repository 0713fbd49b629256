/**
 * The one tensor shape used across the inference API, on both sides of the
 * worker boundary. Plain data (no class), so it survives structured cloning and
 * its `data.buffer` can be transferred instead of copied.
 */

/** Element types a feed or an output may have. */
export type TensorType = 'float32' | 'float16' | 'int64' | 'int32' | 'uint8' | 'bool';

/**
 * The typed array for each element type. float16 is carried as its bit
 * patterns (Node 20 has no Float16Array): convert with float32ToFloat16 /
 * float16ToFloat32 at the edge. bool is one byte per element (0 or 1).
 */
export interface TensorDataByType {
  float32: Float32Array;
  float16: Uint16Array;
  int64: BigInt64Array;
  int32: Int32Array;
  uint8: Uint8Array;
  bool: Uint8Array;
}

export type TensorData = TensorDataByType[TensorType];

export interface TensorOf<T extends TensorType> {
  type: T;
  dims: number[];
  data: TensorDataByType[T];
}

/** A tensor of any supported type; narrow it on `type`. */
export type Tensor = { [T in TensorType]: TensorOf<T> }[TensorType];

export type TensorMap = Record<string, Tensor>;

/** Element types ONNX Runtime may report in metadata (a superset of TensorType). */
export type ElementType =
  TensorType | 'int8' | 'uint16' | 'int16' | 'uint32' | 'uint64' | 'float64' | 'string' | 'int4' | 'uint4';

/** A model input or output as the loaded session describes it. */
export type ValueMetadata = TensorMetadata | NonTensorMetadata;

export interface TensorMetadata {
  name: string;
  isTensor: true;
  type: ElementType;
  /** Numbers for fixed dims, the symbol (e.g. "batch") for dynamic ones; `[]` for a scalar. */
  shape: Array<number | string>;
}

/** Sequences and maps: listed so names are complete, but not feedable through this API. */
export interface NonTensorMetadata {
  name: string;
  isTensor: false;
}
