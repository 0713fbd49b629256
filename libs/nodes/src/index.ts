import { NodeRegistry } from './contract';
import { imageNodes } from './nodes/image-nodes';
import { modelNodes } from './nodes/model-nodes';
import { morphologyNodes } from './nodes/morphology-nodes';

export * from './contract';
export { imageNodes, modelNodes, morphologyNodes };

/** Every built-in node type. */
export function builtinNodes() {
  return [...imageNodes, ...morphologyNodes, ...modelNodes];
}

/** A registry holding every built-in node type. */
export function createNodeRegistry(): NodeRegistry {
  return new NodeRegistry(builtinNodes());
}
export { closeCpuPool, cpuPool } from './workers/cpu-pool';
