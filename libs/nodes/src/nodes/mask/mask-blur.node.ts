import { z } from 'zod';
import { defineNode, port } from '../../contract';
import { runMaskOp } from './run-mask-op';

export const MaskBlurNode = defineNode({
  type: 'MaskBlur',
  version: 1,
  title: 'Blur Mask',
  category: 'mask',
  description:
    'Feathers the mask edge with a Gaussian blur so the inpainting blends in. The feather reaches about radius ' +
    'pixels from the edge (sigma = radius / 3); farther away the mask is unchanged. Edges of the image are ' +
    'extended, so a mask touching the image edge stays solid there.',
  inputs: { mask: port('MASK') },
  outputs: { mask: port('MASK') },
  params: z.object({
    radius: z
      .number()
      .int()
      .min(0)
      .max(256)
      .default(8)
      .describe('How far the feather reaches, in pixels; 0 leaves the mask as it is')
      .meta({ widget: 'slider', step: 1 }),
  }),

  async execute({ inputs: { mask }, params, ctx }) {
    return { mask: await runMaskOp(ctx, 'blur', mask, params.radius) };
  },
});
