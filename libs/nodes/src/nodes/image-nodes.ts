import type { AnyNodeDefinition } from '../contract';
import { CompositeNode } from './image/composite.node';
import { ImageResizeNode } from './image/image-resize.node';
import { LoadImageNode } from './image/load-image.node';
import { MaskFillNode } from './image/mask-fill.node';
import { SaveImageNode } from './image/save-image.node';
import { BoxesToMaskNode } from './mask/boxes-to-mask.node';
import { ImageToMaskNode } from './mask/image-to-mask.node';
import { MaskCombineNode } from './mask/mask-combine.node';
import { MaskInvertNode } from './mask/mask-invert.node';
import { MaskOverlayNode } from './mask/mask-overlay.node';
import { MaskToImageNode } from './mask/mask-to-image.node';

/** Image I/O, compositing and classical fill nodes. */
export const imageNodes: AnyNodeDefinition[] = [
  LoadImageNode,
  SaveImageNode,
  ImageResizeNode,
  BoxesToMaskNode,
  MaskInvertNode,
  MaskCombineNode,
  MaskOverlayNode,
  MaskToImageNode,
  ImageToMaskNode,
  CompositeNode,
  MaskFillNode,
];
