import { z } from 'zod';
import { defineNode, imageValue, port } from '../../contract';

export const MaskToImageNode = defineNode({
  type: 'MaskToImage',
  version: 1,
  title: 'Mask to Image',
  category: 'mask',
  description:
    'Turns a mask into a grey RGB image (selected = white, kept = black, soft edges grey), e.g. to save it with ' +
    'Save Image or to edit it elsewhere and load it back with Image to Mask.',
  inputs: { mask: port('MASK') },
  outputs: { image: port('IMAGE') },
  params: z.object({}),

  async execute({ inputs: { mask } }) {
    const n = mask.width * mask.height;
    const rgb = new Uint8Array(n * 3);
    for (let i = 0, o = 0; i < n; i++, o += 3) {
      const v = mask.data[i];
      rgb[o] = v;
      rgb[o + 1] = v;
      rgb[o + 2] = v;
    }
    return { image: imageValue(mask.width, mask.height, 3, rgb) };
  },
});
