import type { AnyNodeDefinition } from '../contract';
import { MaskBlurNode } from './mask/mask-blur.node';
import { MaskDilateNode } from './mask/mask-dilate.node';

/** Mask grow/shrink and feather nodes. */
export const morphologyNodes: AnyNodeDefinition[] = [MaskDilateNode, MaskBlurNode];
