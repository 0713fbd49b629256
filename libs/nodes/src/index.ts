import { NodeRegistry } from './contract';
import { imageNodes } from './nodes/image-nodes';
import { morphologyNodes } from './nodes/morphology-nodes';

export * from './contract';
export { imageNodes, morphologyNodes };

/** Every built-in node type. */
export function builtinNodes() {
  return [...imageNodes, ...morphologyNodes];
}

/** A registry holding every built-in node type. */
export function createNodeRegistry(): NodeRegistry {
  return new NodeRegistry(builtinNodes());
}
