import { z } from 'zod';
import { defineNode, port } from '../../contract';
import { sharpFromImage } from './image-utils';

const FORMATS = {
  png: { mime: 'image/png', ext: 'png' },
  jpeg: { mime: 'image/jpeg', ext: 'jpg' },
  webp: { mime: 'image/webp', ext: 'webp' },
} as const;

export const SaveImageNode = defineNode({
  type: 'SaveImage',
  version: 1,
  title: 'Save Image',
  category: 'image',
  description:
    'Encodes the image and stores it as a result of the run. PNG is lossless and keeps alpha; WebP keeps alpha; ' +
    'JPEG has no alpha, so transparent pixels are flattened onto white.',
  inputs: { image: port('IMAGE') },
  outputs: { artifact: port('ARTIFACT') },
  output: true,
  params: z.object({
    format: z.enum(['png', 'jpeg', 'webp']).default('png').describe('File format'),
    quality: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(95)
      .describe('JPEG/WebP quality (PNG is always lossless)')
      .meta({ widget: 'slider', step: 1 }),
    filenamePrefix: z
      .string()
      .min(1)
      .max(100)
      .default('maskflow')
      .describe('Name of the saved file, before a counter and the extension'),
  }),

  async execute({ inputs: { image }, params, ctx }) {
    let pipeline = sharpFromImage(image);
    switch (params.format) {
      case 'png':
        pipeline = pipeline.png();
        break;
      case 'jpeg':
        if (image.channels === 4) {
          pipeline = pipeline.flatten({ background: '#ffffff' });
          ctx.warn(
            'JPEG has no alpha channel: transparent pixels were flattened onto white (use PNG or WebP to keep it)',
          );
        }
        pipeline = pipeline.jpeg({ quality: params.quality });
        break;
      case 'webp':
        pipeline = pipeline.webp({ quality: params.quality });
        break;
    }
    const bytes = await pipeline.toBuffer();
    ctx.throwIfAborted();
    const { mime, ext } = FORMATS[params.format];
    const artifact = await ctx.artifacts.save(bytes, {
      mime,
      ext,
      name: params.filenamePrefix,
      width: image.width,
      height: image.height,
    });
    return { artifact };
  },
});
