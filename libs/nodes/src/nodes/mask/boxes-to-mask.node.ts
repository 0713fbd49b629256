import { z } from 'zod';
import { defineNode, maskValue, port } from '../../contract';
import type { MaskValue } from '../../contract';

const boxSchema = z.object({
  x1: z.number().describe('Left edge in pixels'),
  y1: z.number().describe('Top edge in pixels'),
  x2: z.number().describe('Right edge in pixels (exclusive)'),
  y2: z.number().describe('Bottom edge in pixels (exclusive)'),
});

/**
 * Fills a box into the mask. A pixel is inside when its centre is, so
 * integer edges select exactly x1..x2-1 and fractional ones round sensibly.
 */
function fillBox(mask: MaskValue, x1: number, y1: number, x2: number, y2: number): boolean {
  const left = Math.max(0, Math.ceil(Math.min(x1, x2) - 0.5));
  const right = Math.min(mask.width, Math.ceil(Math.max(x1, x2) - 0.5));
  const top = Math.max(0, Math.ceil(Math.min(y1, y2) - 0.5));
  const bottom = Math.min(mask.height, Math.ceil(Math.max(y1, y2) - 0.5));
  if (!(left < right && top < bottom)) return false;
  for (let y = top; y < bottom; y++) mask.data.fill(255, y * mask.width + left, y * mask.width + right);
  return true;
}

export const BoxesToMaskNode = defineNode({
  type: 'BoxesToMask',
  version: 1,
  title: 'Boxes to Mask',
  category: 'mask',
  description:
    'Selects the union of rectangles: the boxes typed in the params and the boxes from the input (e.g. detections), ' +
    'clipped to the image. Input boxes detected on a differently sized image are scaled to this one.',
  inputs: {
    image: port('IMAGE', { description: 'Gives the mask its size' }),
    boxes: port('BOXES', { optional: true }),
  },
  outputs: { mask: port('MASK') },
  params: z.object({
    boxes: z
      .array(boxSchema)
      .default([])
      .describe('Extra boxes in image pixels (x2, y2 exclusive)')
      .meta({ widget: 'boxes' }),
  }),

  async execute({ inputs, params, ctx }) {
    const { image } = inputs;
    const mask = maskValue(image.width, image.height);
    let any = false;
    for (const b of params.boxes) any = fillBox(mask, b.x1, b.y1, b.x2, b.y2) || any;
    if (inputs.boxes) {
      const sx = inputs.boxes.width > 0 ? image.width / inputs.boxes.width : 1;
      const sy = inputs.boxes.height > 0 ? image.height / inputs.boxes.height : 1;
      for (const b of inputs.boxes.boxes)
        any = fillBox(mask, b.x1 * sx, b.y1 * sy, b.x2 * sx, b.y2 * sy) || any;
    }
    if (!any) ctx.warn('no box overlaps the image: the mask is empty');
    return { mask };
  },
});
