import type { AnyNodeDefinition } from '../contract';
import { GroundingDinoNode } from './models/grounding-dino.node';
import { SamNode } from './models/sam.node';
import { SdInpaintNode } from './models/sd-inpaint.node';

/** Nodes that run ONNX models through ctx.services (inference runtime and model manager). */
export const modelNodes: AnyNodeDefinition[] = [GroundingDinoNode, SamNode, SdInpaintNode];
