import type { InferenceService } from '@maskflow/inference';
import type { ModelManager } from '@maskflow/models';
import type { ArtifactRef, ImageValue } from './values';

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Bytes handed to LoadImage, from wherever the host allows reading. */
export interface InputFile {
  bytes: Buffer;
  name: string;
}

/**
 * Where inputs are read from and outputs written to. The CLI reads paths
 * relative to its working directory and writes to `--out`; the server reads
 * only uploaded artifacts by opaque id, never a client-given path.
 */
export interface ArtifactStore {
  /** Reads an input file by reference (a path for the CLI, an artifact id for the server). */
  readInput(ref: string): Promise<InputFile>;
  /** A cheap identity of the input's content for the cache key (e.g. sha256 of the bytes). */
  fingerprintInput(ref: string): Promise<string>;
  /** Stores an output file and returns a reference to it. */
  save(
    bytes: Buffer,
    meta: { mime: string; ext: string; name?: string; width?: number; height?: number },
  ): Promise<ArtifactRef>;
}

/** A small preview for progress events (e.g. diffusion steps), already downscaled. */
export type PreviewImage = ImageValue;

/**
 * The only door from a node to the world. Nodes never import fs, Nest or the
 * inference backend directly.
 */
export interface NodeContext {
  readonly runId: string;
  readonly nodeId: string;
  readonly signal: AbortSignal;
  /** Throws CancelledError if the run was cancelled; call between expensive steps. */
  throwIfAborted(): void;
  /** Reports progress: value out of max, with an optional small preview. */
  progress(value: number, max: number, preview?: PreviewImage, phase?: string): void;
  /** A non-fatal message shown on the node (e.g. "nothing found"). */
  warn(message: string): void;
  readonly artifacts: ArtifactStore;
  readonly log: Logger;
  /** Host services added by later layers (the inference runtime, model manager). */
  readonly services: NodeServices;
}

/**
 * Services a host may provide to nodes that need models. Optional: a host
 * without them (e.g. the UI-free classical CLI path) still runs every other
 * node, and model nodes say clearly what is missing.
 */
export interface NodeServices {
  /** The inference runtime (sessions in worker threads). */
  inference?: InferenceService;
  /** The model manager: resolves model ids to local files, downloading on first use. */
  models?: ModelManager;
}
