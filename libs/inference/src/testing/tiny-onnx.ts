/**
 * Writes tiny ONNX models for tests, with protobufjs and a hand-written subset
 * of onnx.proto (field numbers from onnx/onnx.proto), so tests do not depend on
 * Python, network access or checked-in binaries.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import type { TensorType } from '../tensor.types';

/** Element types this writer can declare (ONNX TensorProto.DataType numbers). */
const DATA_TYPE: Record<TensorType, number> = {
  float32: 1,
  uint8: 2,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
};

const ONNX_SUBSET = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            irVersion: { id: 1, type: 'int64' },
            producerName: { id: 2, type: 'string' },
            graph: { id: 7, type: 'GraphProto' },
            opsetImport: { id: 8, type: 'OperatorSetIdProto', rule: 'repeated' },
          },
        },
        OperatorSetIdProto: {
          fields: { domain: { id: 1, type: 'string' }, version: { id: 2, type: 'int64' } },
        },
        GraphProto: {
          fields: {
            node: { id: 1, type: 'NodeProto', rule: 'repeated' },
            name: { id: 2, type: 'string' },
            initializer: { id: 5, type: 'TensorProto', rule: 'repeated' },
            input: { id: 11, type: 'ValueInfoProto', rule: 'repeated' },
            output: { id: 12, type: 'ValueInfoProto', rule: 'repeated' },
          },
        },
        NodeProto: {
          fields: {
            input: { id: 1, type: 'string', rule: 'repeated' },
            output: { id: 2, type: 'string', rule: 'repeated' },
            name: { id: 3, type: 'string' },
            opType: { id: 4, type: 'string' },
            attribute: { id: 5, type: 'AttributeProto', rule: 'repeated' },
            domain: { id: 7, type: 'string' },
          },
        },
        AttributeProto: {
          fields: {
            name: { id: 1, type: 'string' },
            f: { id: 2, type: 'float' },
            i: { id: 3, type: 'int64' },
            s: { id: 4, type: 'bytes' },
            floats: { id: 7, type: 'float', rule: 'repeated' },
            ints: { id: 8, type: 'int64', rule: 'repeated' },
            type: { id: 20, type: 'int32' },
          },
        },
        TensorProto: {
          fields: {
            dims: { id: 1, type: 'int64', rule: 'repeated' },
            dataType: { id: 2, type: 'int32' },
            name: { id: 8, type: 'string' },
            rawData: { id: 9, type: 'bytes' },
            externalData: { id: 13, type: 'StringStringEntryProto', rule: 'repeated' },
            dataLocation: { id: 14, type: 'int32' },
          },
        },
        StringStringEntryProto: {
          fields: { key: { id: 1, type: 'string' }, value: { id: 2, type: 'string' } },
        },
        ValueInfoProto: { fields: { name: { id: 1, type: 'string' }, type: { id: 2, type: 'TypeProto' } } },
        TypeProto: {
          fields: { tensorType: { id: 1, type: 'TensorTypeProto' } },
        },
        // TypeProto.Tensor in onnx.proto; flattened here because only this variant is needed.
        TensorTypeProto: {
          fields: { elemType: { id: 1, type: 'int32' }, shape: { id: 2, type: 'TensorShapeProto' } },
        },
        TensorShapeProto: { fields: { dim: { id: 1, type: 'Dimension', rule: 'repeated' } } },
        Dimension: { fields: { dimValue: { id: 1, type: 'int64' }, dimParam: { id: 2, type: 'string' } } },
      },
    },
  },
};

let modelType: protobuf.Type | undefined;
function modelProto(): protobuf.Type {
  modelType ??= protobuf.Root.fromJSON(ONNX_SUBSET).lookupType('onnx.ModelProto');
  return modelType;
}

export interface TinyValue {
  name: string;
  type: TensorType;
  /** Numbers for fixed dims, strings for symbolic ones, `[]` for a scalar. */
  shape: Array<number | string>;
}

export interface TinyNode {
  op: string;
  inputs: string[];
  outputs: string[];
  domain?: string;
  attributes?: Record<string, number | number[]>;
}

export interface TinyInitializer {
  name: string;
  type: TensorType;
  dims: number[];
  /** Raw little-endian element bytes. */
  bytes: Uint8Array;
  /** Stored in the external data file instead of inside model.onnx. */
  external?: boolean;
}

export interface TinyModel {
  inputs: TinyValue[];
  outputs: TinyValue[];
  nodes: TinyNode[];
  initializers?: TinyInitializer[];
  /** Default opset 13. */
  opset?: number;
  /** Extra operator-set imports, e.g. `{ domain: 'com.microsoft', version: 1 }`. */
  extraOpsets?: Array<{ domain: string; version: number }>;
}

function valueInfo(v: TinyValue): object {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: DATA_TYPE[v.type],
        shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, v: number | number[]): object {
  // AttributeProto.AttributeType: FLOAT 1, INT 2, FLOATS 6, INTS 7.
  if (Array.isArray(v)) return { name, ints: v, type: 7 };
  return Number.isInteger(v) ? { name, i: v, type: 2 } : { name, f: v, type: 1 };
}

/**
 * Writes `model` to `file`. Initializers marked `external` go, back to back, into
 * `externalDataFile` (default `<file>_data`, i.e. `model.onnx_data`) beside it.
 * Returns the paths written.
 */
export function writeTinyModel(
  file: string,
  model: TinyModel,
  opts: { externalDataFile?: string } = {},
): string[] {
  const externalPath = opts.externalDataFile ?? `${file}_data`;
  const externalChunks: Uint8Array[] = [];
  let externalOffset = 0;
  const initializer = (model.initializers ?? []).map((t) => {
    const base = { name: t.name, dataType: DATA_TYPE[t.type], dims: t.dims };
    if (!t.external) return { ...base, rawData: t.bytes };
    const entry = {
      ...base,
      dataLocation: 1,
      externalData: [
        { key: 'location', value: path.basename(externalPath) },
        { key: 'offset', value: String(externalOffset) },
        { key: 'length', value: String(t.bytes.byteLength) },
      ],
    };
    externalChunks.push(t.bytes);
    externalOffset += t.bytes.byteLength;
    return entry;
  });
  const message = {
    irVersion: 8,
    producerName: 'maskflow-tiny-onnx',
    opsetImport: [{ domain: '', version: model.opset ?? 13 }, ...(model.extraOpsets ?? [])],
    graph: {
      name: 'tiny',
      node: model.nodes.map((n, i) => ({
        input: n.inputs,
        output: n.outputs,
        name: `${n.op}_${i}`,
        opType: n.op,
        domain: n.domain ?? '',
        attribute: Object.entries(n.attributes ?? {}).map(([k, v]) => attribute(k, v)),
      })),
      initializer,
      input: model.inputs.map(valueInfo),
      output: model.outputs.map(valueInfo),
    },
  };
  const type = modelProto();
  const bytes = type.encode(type.fromObject(message)).finish();
  writeFileSync(file, bytes);
  const written = [file];
  if (externalChunks.length > 0) {
    writeFileSync(externalPath, Buffer.concat(externalChunks));
    written.push(externalPath);
  }
  return written;
}

function float32Bytes(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/**
 * `y = x + w`, float32 [1,n], with w = 0, 1, 2, … as an initializer of 4·n bytes:
 * the file size is controlled by n, which is what the memory-budget tests need.
 */
export function addModel(n: number, opts: { external?: boolean } = {}): TinyModel {
  const w = new Float32Array(n);
  for (let i = 0; i < n; i++) w[i] = i;
  return {
    inputs: [{ name: 'x', type: 'float32', shape: [1, n] }],
    outputs: [{ name: 'y', type: 'float32', shape: [1, n] }],
    nodes: [{ op: 'Add', inputs: ['x', 'w'], outputs: ['y'] }],
    initializers: [
      { name: 'w', type: 'float32', dims: [1, n], bytes: float32Bytes(w), external: opts.external },
    ],
  };
}

/** `y = x` for one element type and shape (symbolic dims and scalars included). */
export function identityModel(type: TensorType, shape: Array<number | string>): TinyModel {
  return {
    inputs: [{ name: 'x', type, shape }],
    outputs: [{ name: 'y', type, shape }],
    nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }],
  };
}

/**
 * `y = x · I · I · … · I` (depth MatMuls of size×size): a deliberately slow CPU
 * model (about 2·size³·depth FLOPs) whose output equals its input.
 */
export function matMulChainModel(size: number, depth: number): TinyModel {
  const eye = new Float32Array(size * size);
  for (let i = 0; i < size; i++) eye[i * size + i] = 1;
  const nodes: TinyNode[] = [];
  let prev = 'x';
  for (let i = 0; i < depth; i++) {
    const out = i === depth - 1 ? 'y' : `h${i}`;
    nodes.push({ op: 'MatMul', inputs: [prev, 'eye'], outputs: [out] });
    prev = out;
  }
  return {
    inputs: [{ name: 'x', type: 'float32', shape: [size, size] }],
    outputs: [{ name: 'y', type: 'float32', shape: [size, size] }],
    nodes,
    initializers: [{ name: 'eye', type: 'float32', dims: [size, size], bytes: float32Bytes(eye) }],
  };
}

/**
 * A graph using `BiasSplitGelu` from the com.microsoft domain, a CUDA-only op
 * that ORT's fp16 Stable Diffusion optimizer emits: loading it on CPU must fail.
 */
export function gpuOnlyModel(): TinyModel {
  const bias = new Float32Array(8);
  return {
    inputs: [{ name: 'x', type: 'float32', shape: [1, 4, 8] }],
    outputs: [{ name: 'y', type: 'float32', shape: [1, 4, 4] }],
    nodes: [{ op: 'BiasSplitGelu', domain: 'com.microsoft', inputs: ['x', 'bias'], outputs: ['y'] }],
    initializers: [{ name: 'bias', type: 'float32', dims: [8], bytes: float32Bytes(bias) }],
    extraOpsets: [{ domain: 'com.microsoft', version: 1 }],
  };
}
