import { z } from 'zod';
import { defineNode, port } from '../../contract';
import { runMaskOp } from './run-mask-op';

export const MaskDilateNode = defineNode({
  type: 'MaskDilate',
  version: 1,
  title: 'Grow / Shrink Mask',
  category: 'mask',
  description:
    'Grows (positive radius) or shrinks (negative radius) the mask by a round brush of that many pixels, exactly: ' +
    'a pixel is selected after growing iff a selected pixel lies within the radius. The mask is first made hard ' +
    '(≥ 128 is selected); feather it afterwards with Blur Mask. Shrinking treats the outside of the image as ' +
    'selected, so a mask touching the image edge is not eaten away from the edge.',
  inputs: { mask: port('MASK') },
  outputs: { mask: port('MASK') },
  params: z.object({
    radius: z
      .number()
      .int()
      .min(-512)
      .max(512)
      .default(8)
      .describe('Pixels to grow by (positive) or shrink by (negative); 0 only hardens the mask')
      .meta({ widget: 'slider', step: 1 }),
  }),

  async execute({ inputs: { mask }, params, ctx }) {
    return { mask: await runMaskOp(ctx, 'dilate', mask, params.radius) };
  },
});
