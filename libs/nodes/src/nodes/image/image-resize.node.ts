import { z } from 'zod';
import { defineNode, port } from '../../contract';
import { assertOutputSize, resizeImage, RESIZE_KERNELS } from './image-utils';

const dimension = (description: string) =>
  z.number().int().min(1).max(16384).default(1024).describe(description).meta({ step: 8 });

export const ImageResizeNode = defineNode({
  type: 'ImageResize',
  version: 1,
  title: 'Resize Image',
  category: 'image',
  description:
    'Resizes an image. fit: as large as possible within width×height, aspect kept; fill: covers width×height, ' +
    'aspect kept, the overflow cropped around the centre; stretch: exactly width×height; scale: by a factor ' +
    '(width and height ignored).',
  inputs: { image: port('IMAGE') },
  outputs: { image: port('IMAGE') },
  params: z.object({
    width: dimension('Target width in pixels (fit, fill, stretch)'),
    height: dimension('Target height in pixels (fit, fill, stretch)'),
    mode: z
      .enum(['fit', 'fill', 'stretch', 'scale'])
      .default('fit')
      .describe('How the image is fitted to the target'),
    scale: z
      .number()
      .positive()
      .max(16)
      .default(1)
      .describe('Factor for mode "scale"')
      .meta({ widget: 'slider', step: 0.05 }),
    kernel: z.enum(RESIZE_KERNELS).default('lanczos3').describe('Resampling filter'),
  }),

  async execute({ inputs: { image }, params }) {
    if (params.mode === 'scale') {
      const width = Math.max(1, Math.round(image.width * params.scale));
      const height = Math.max(1, Math.round(image.height * params.scale));
      assertOutputSize(width, height, 'scale');
      return { image: await resizeImage(image, width, height, 'fill', params.kernel) };
    }
    assertOutputSize(params.width, params.height, 'width');
    const fit = params.mode === 'fit' ? 'inside' : params.mode === 'fill' ? 'cover' : 'fill';
    return { image: await resizeImage(image, params.width, params.height, fit, params.kernel) };
  },
});
