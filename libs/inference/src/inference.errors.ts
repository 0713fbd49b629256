/**
 * Inference errors in the workflow taxonomy (who must act): the operator's
 * environment (no CUDA, a GPU-only export on CPU, a dead worker, a missing
 * file), the user's request (feeds that do not fit the model) or us (anything
 * unexpected from ONNX Runtime, reported as internal).
 */
import { EnvironmentError, MaskflowError, UserError } from '@maskflow/workflow';

/** What a GPU user runs to get the CUDA provider (see docs/inference.md). */
export const CUDA_INSTALL_FIX =
  'reinstall with `ONNXRUNTIME_NODE_INSTALL=cuda12 npm ci` (needs CUDA 12 and cuDNN 9 on the host), or set MASKFLOW_DEVICE=cpu';

/** The requested execution provider is not installed or cannot start. */
export class ProviderUnavailableError extends EnvironmentError {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, { code: 'provider-unavailable', cause: opts.cause });
  }
}

/** The model uses CUDA-only contrib ops (an ORT fp16 GPU export) and cannot run on CPU. */
export class GpuOnlyModelError extends EnvironmentError {
  readonly op: string;
  constructor(file: string, op: string, opts: { cause?: unknown } = {}) {
    super(
      `${file} is a GPU-only export: it uses the CUDA-only operator ${op}, which the CPU provider does not implement. ` +
        'Run it with MASKFLOW_DEVICE=cuda, or use a CPU export of this model (e.g. the fp32 ONNX export without ORT GPU optimizations).',
      { code: 'gpu-only-model', cause: opts.cause },
    );
    this.op = op;
  }
}

/** A worker thread died (out of memory, a native crash reported as an exit); its pending jobs were rejected. */
export class InferenceWorkerCrashedError extends EnvironmentError {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, { code: 'inference-worker-crashed', cause: opts.cause });
  }
}

/** Something ONNX Runtime reported that no rule here explains: ours to investigate. */
export class InferenceInternalError extends MaskflowError {
  constructor(message: string, opts: { code?: string; cause?: unknown } = {}) {
    super('internal', opts.code ?? 'inference-failed', message, { cause: opts.cause });
  }
}

/** Ops that ORT's transformer optimizer emits for CUDA only (onnxruntime/python/tools/transformers). */
const GPU_ONLY_OPS = [
  'BiasSplitGelu',
  'BiasAdd',
  'NhwcConv',
  'GroupNorm',
  'SkipGroupNorm',
  'GroupQueryAttention',
  'PackedAttention',
  'PackedMultiHeadAttention',
  'DecoderMaskedMultiHeadAttention',
];

/** An error message sent back by the worker (errors do not cross threads as instances). */
export interface WorkerErrorInfo {
  name: string;
  message: string;
  stack?: string;
}

function workerError(info: WorkerErrorInfo): Error {
  const err = new Error(info.message);
  err.name = info.name;
  if (info.stack) err.stack = info.stack;
  return err;
}

const OUT_OF_MEMORY =
  /Failed to allocate memory|bad_alloc|out of memory|CUDA failure 2\b|cudaErrorMemoryAllocation|CUBLAS_STATUS_ALLOC_FAILED/i;
const PROVIDER_LIBRARY =
  /providers_(cuda|shared)|libcudnn|libcublas|libcudart|libcufft|libnvinfer|Failed to load shared library|AppendExecutionProvider_Cuda/i;

/** Turns a failed session creation into an error that says who must act. */
export function classifyLoadError(file: string, info: WorkerErrorInfo): MaskflowError {
  const cause = workerError(info);
  const msg = info.message;
  const unknownOp =
    /Could not find an implementation for (\w+)/.exec(msg) ??
    /No (?:opset import for domain|kernel registered for) [^\n]*?(\w+)/.exec(msg) ??
    /(?:Op|operator) type[: ]+'?(\w+)'? is not (?:a )?registered/i.exec(msg);
  const gpuOp = GPU_ONLY_OPS.find((op) => new RegExp(`\\b${op}\\b`).test(msg));
  if (gpuOp) return new GpuOnlyModelError(file, gpuOp, { cause });
  if (unknownOp) {
    return new EnvironmentError(
      `${file} uses the operator ${unknownOp[1]}, which this ONNX Runtime build cannot run on the chosen provider (${msg}). ` +
        'Re-export the model with a supported opset, or use a different export.',
      { code: 'model-unsupported-op', cause },
    );
  }
  if (/File doesn't exist|No such file/i.test(msg)) {
    return new EnvironmentError(`model file not found: ${file}`, { code: 'model-missing', cause });
  }
  if (/protobuf parsing failed|ModelProto|Invalid model|model_path must not be empty/i.test(msg)) {
    return new EnvironmentError(
      `${file} is not a valid ONNX model (truncated download or wrong file?): ${msg}`,
      { code: 'model-invalid', cause },
    );
  }
  if (/external data|\.onnx_data|weights\.pb|GetExtDataFromTensorProto|external initializer/i.test(msg)) {
    return new EnvironmentError(
      `${file} refers to external weights that could not be read (keep model.onnx and its data file together): ${msg}`,
      { code: 'model-invalid', cause },
    );
  }
  if (OUT_OF_MEMORY.test(msg)) {
    return new EnvironmentError(
      `not enough memory to load ${file}: ${msg}. Unload other models, lower MASKFLOW_MODEL_MEMORY_MB, or use a smaller export.`,
      { code: 'out-of-memory', cause },
    );
  }
  if (PROVIDER_LIBRARY.test(msg)) {
    return new ProviderUnavailableError(
      `the CUDA execution provider could not start (${msg}); ${CUDA_INSTALL_FIX}`,
      { cause },
    );
  }
  return new InferenceInternalError(`loading ${file} failed: ${msg}`, { code: 'model-load-failed', cause });
}

/** Turns a failed session.run into an error that says who must act. */
export function classifyRunError(key: string, info: WorkerErrorInfo): MaskflowError {
  const cause = workerError(info);
  if (OUT_OF_MEMORY.test(info.message)) {
    return new EnvironmentError(
      `not enough memory to run ${key}: ${info.message}. Use a smaller input, unload other models, or lower MASKFLOW_MODEL_MEMORY_MB.`,
      { code: 'out-of-memory', cause },
    );
  }
  if (
    /Got invalid dimensions|invalid rank|Unexpected input data type|Invalid Feed Input Name|input name cannot be empty/i.test(
      info.message,
    )
  ) {
    return new UserError(`the inputs do not fit model ${key}: ${info.message}`, {
      code: 'model-mismatch',
      cause,
    });
  }
  return new InferenceInternalError(`running ${key} failed: ${info.message}`, { cause });
}
