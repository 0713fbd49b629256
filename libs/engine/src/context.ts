import type { ArtifactStore, Logger, NodeContext, NodeServices, PreviewImage } from '@maskflow/nodes';
import { CancelledError } from '@maskflow/workflow';

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export interface NodeContextOptions {
  runId: string;
  nodeId: string;
  signal: AbortSignal;
  artifacts: ArtifactStore;
  log?: Logger;
  services?: NodeServices;
  onProgress?(value: number, max: number, preview?: PreviewImage, phase?: string): void;
  onWarning?(message: string): void;
}

/** Builds the `ctx` a node's execute receives. */
export function createNodeContext(o: NodeContextOptions): NodeContext {
  const log = o.log ?? silentLogger;
  return {
    runId: o.runId,
    nodeId: o.nodeId,
    signal: o.signal,
    throwIfAborted() {
      if (o.signal.aborted) throw new CancelledError();
    },
    progress(value, max, preview, phase) {
      o.onProgress?.(value, max, preview, phase);
    },
    warn(message) {
      log.warn(`[${o.nodeId}] ${message}`);
      o.onWarning?.(message);
    },
    artifacts: o.artifacts,
    log,
    services: o.services ?? {},
  };
}
