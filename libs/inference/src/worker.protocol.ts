/**
 * Messages between the runtime (main thread) and an inference worker. Type-only
 * on purpose: the worker imports nothing from the main side but these shapes.
 */
import type { ExecutionProvider } from './device.resolver';
import type { WorkerErrorInfo } from './inference.errors';
import type { GraphOptimizationLevel, OrtLogLevel } from './runtime.options';
import type { TensorMap, ValueMetadata } from './tensor.types';

/** What a session is created with; part of the default model key. */
export interface SessionSettings {
  providers: ExecutionProvider[];
  graphOptimizationLevel?: GraphOptimizationLevel;
  intraOpNumThreads?: number;
  interOpNumThreads?: number;
  executionMode?: 'sequential' | 'parallel';
  /** Fixes symbolic dims (e.g. `{ batch: 2 }`) so ORT can plan memory for them. */
  freeDimensionOverrides?: Record<string, number>;
  /** CUDA device index (default 0). */
  deviceId?: number;
  /** ONNX Runtime session config entries (onnxruntime_session_options_config_keys.h). */
  sessionConfig?: Record<string, string>;
}

export interface WorkerInit {
  ortLogLevel: OrtLogLevel;
  /** Label for logs and errors, e.g. "cpu#0". */
  label: string;
  /** Niceness for the worker and the ORT threads it starts (0: unchanged). */
  nice: number;
}

export type WorkerRequest =
  | { op: 'load'; id: number; sessionId: number; file: string; settings: SessionSettings }
  | { op: 'run'; id: number; sessionId: number; feeds: TensorMap; outputs?: string[] }
  | { op: 'unload'; id: number; sessionId: number }
  /** Ends the worker thread with an exit code: lets tests (and operators) exercise crash recovery. */
  | { op: 'exit'; id: number; code: number };

export interface LoadReply {
  id: number;
  ok: true;
  op: 'load';
  inputMetadata: ValueMetadata[];
  outputMetadata: ValueMetadata[];
  ms: number;
}

export interface RunReply {
  id: number;
  ok: true;
  op: 'run';
  outputs: TensorMap;
  /** Time inside session.run, in the worker. */
  ms: number;
}

export interface UnloadReply {
  id: number;
  ok: true;
  op: 'unload';
}

export interface ErrorReply {
  id: number;
  ok: false;
  error: WorkerErrorInfo;
}

export type WorkerReply = LoadReply | RunReply | UnloadReply | ErrorReply;

export interface ReadyMessage {
  op: 'ready';
  ortVersion: string;
}

export type WorkerMessage = WorkerReply | ReadyMessage;
