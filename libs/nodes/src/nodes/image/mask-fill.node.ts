import { z } from 'zod';
import { defineNode, imageValue, port } from '../../contract';
import { runCpuTask } from '../../workers/cpu-pool';
import { assertSameSize, colorParam, parseHexColor } from './image-utils';

/** Below this many pixels MaskFill runs on the calling thread (a worker hop would cost more). */
export const MASK_FILL_INLINE_MAX_PIXELS = 65_536;

export const MaskFillNode = defineNode({
  type: 'MaskFill',
  version: 1,
  title: 'Fill Masked Area',
  category: 'inpaint',
  description:
    'Fills the masked area from its surroundings, e.g. to remove an object before inpainting. telea / ns: OpenCV ' +
    'inpainting (Telea, Navier–Stokes); blur: a heavy blur of the surroundings; color: a flat colour. Pixels with ' +
    'mask ≥ 128 are filled, the result is blended with the input through the soft mask, so pixels where the mask ' +
    'is 0 stay byte-identical. Alpha is kept.',
  inputs: { image: port('IMAGE'), mask: port('MASK') },
  outputs: { image: port('IMAGE') },
  params: z.object({
    method: z.enum(['telea', 'ns', 'blur', 'color']).default('telea').describe('How the area is filled'),
    radius: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(5)
      .describe('Neighbourhood in pixels (telea/ns inpaint radius; smallest blur radius)')
      .meta({ widget: 'slider', step: 1 }),
    color: colorParam(
      '#808080',
      'Fill colour for method "color", and the fallback when nothing is left to fill from',
    ),
  }),

  async execute({ inputs: { image, mask }, params, ctx }) {
    assertSameSize(image, mask, 'mask', 'the mask');
    // The pixel work (mask-fill.compute.ts) runs in a CPU worker for big images. The inputs are copied
    // there, not transferred: they belong to the upstream node (and the cache). The result comes back moved.
    const { data, warning } = await runCpuTask(
      ctx,
      'maskFill',
      {
        image,
        mask: mask.data,
        method: params.method,
        radius: params.radius,
        rgb: parseHexColor(params.color),
        colorLabel: params.color,
      },
      // OpenCV's inpainting costs far more per pixel than the mask ops, so only tiny images stay inline.
      { pixels: image.width * image.height, inlineMaxPixels: MASK_FILL_INLINE_MAX_PIXELS },
    );
    ctx.throwIfAborted();
    if (warning) ctx.warn(warning);
    if (!data) return { image };
    return { image: imageValue(image.width, image.height, image.channels, data) };
  },
});
