/**
 * @maskflow/inference: the only package that imports onnxruntime-node. Sessions
 * run in worker threads; see docs/inference.md.
 */
export type {
  ExecutionProvider,
  DeviceSetting,
  ResolvedDevice,
  DeviceProbe,
  ProbeResult,
} from './device.resolver';
export {
  resolveDevice,
  parseDeviceSetting,
  systemDeviceProbe,
  cudaProviderLibraryPath,
} from './device.resolver';
export type {
  InferenceService,
  InferenceStatus,
  LoadOptions,
  ModelHandle,
  ModelStatus,
  RunOptions,
  RunResult,
} from './inference.runtime';
export { InferenceRuntime } from './inference.runtime';
export type {
  GraphOptimizationLevel,
  InferenceLogger,
  InferenceRuntimeOptions,
  OrtLogLevel,
} from './runtime.options';
export { DEFAULT_SESSION_CONFIG } from './runtime.options';
export {
  CUDA_INSTALL_FIX,
  GpuOnlyModelError,
  InferenceInternalError,
  InferenceWorkerCrashedError,
  ProviderUnavailableError,
} from './inference.errors';
export type {
  ElementType,
  NonTensorMetadata,
  Tensor,
  TensorData,
  TensorDataByType,
  TensorMap,
  TensorMetadata,
  TensorOf,
  TensorType,
  ValueMetadata,
} from './tensor.types';
export { elementCount, isTensorType, tensor, tensorProblem, TENSOR_TYPES } from './tensor.util';
export { float16ToFloat32, float32ToFloat16, fromFloat16Bits, toFloat16Bits } from './float16.util';
export { modelFootprint } from './model-files.util';
export type { ModelFootprint } from './model-files.util';
export { workerEntryIn } from './worker-entry';
export type { WorkerEntry } from './worker-entry';
