import type { AnyNodeDefinition } from '../contract';

/** Mask grow/shrink and feather nodes. */
export const morphologyNodes: AnyNodeDefinition[] = [];
