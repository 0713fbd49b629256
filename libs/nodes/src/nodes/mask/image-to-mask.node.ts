import { z } from 'zod';
import { UserError } from '@maskflow/workflow';
import { defineNode, maskValue, port } from '../../contract';

export const IMAGE_TO_MASK_CHANNELS = ['luminance', 'red', 'green', 'blue', 'alpha'] as const;

export const ImageToMaskNode = defineNode({
  type: 'ImageToMask',
  version: 1,
  title: 'Image to Mask',
  category: 'mask',
  description:
    'Reads a mask from one channel of an image, e.g. a black-and-white mask painted in another program and ' +
    'loaded with Load Image: white = selected. `luminance` is the grey value (as PIL and Photoshop compute it, ' +
    '0.299 R + 0.587 G + 0.114 B); `alpha` needs an image with transparency (opaque = selected; Load Image ' +
    'already gives the inverse as its mask output).',
  inputs: { image: port('IMAGE') },
  outputs: { mask: port('MASK') },
  params: z.object({
    channel: z.enum(IMAGE_TO_MASK_CHANNELS).default('luminance').describe('Which channel becomes the mask'),
  }),

  async execute({ inputs: { image }, params }) {
    const { width, height, channels, data } = image;
    const n = width * height;
    const out = new Uint8Array(n);
    if (params.channel === 'luminance') {
      // ITU-R 601 weights in 16-bit fixed point, rounded: PIL's convert('L'); they add up to 65536, so grey stays grey.
      for (let i = 0, p = 0; i < n; i++, p += channels) {
        out[i] = (data[p] * 19595 + data[p + 1] * 38470 + data[p + 2] * 7471 + 0x8000) >>> 16;
      }
    } else {
      const offset = { red: 0, green: 1, blue: 2, alpha: 3 }[params.channel];
      if (offset >= channels) {
        throw new UserError(
          `the image has no alpha channel (it is RGB, ${width}×${height}); pick luminance or a colour channel`,
          { code: 'no-alpha', field: 'channel' },
        );
      }
      for (let i = 0, p = offset; i < n; i++, p += channels) out[i] = data[p];
    }
    return { mask: maskValue(width, height, out) };
  },
});
