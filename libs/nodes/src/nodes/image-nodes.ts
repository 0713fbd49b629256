import type { AnyNodeDefinition } from '../contract';

/** Image I/O, compositing and classical fill nodes. */
export const imageNodes: AnyNodeDefinition[] = [];
