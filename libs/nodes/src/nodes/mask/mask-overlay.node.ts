import { z } from 'zod';
import { defineNode, imageValue, port } from '../../contract';
import { assertSameSize, colorParam, parseHexColor } from '../image/image-utils';

export const MaskOverlayNode = defineNode({
  type: 'MaskOverlay',
  version: 1,
  title: 'Mask Overlay',
  category: 'mask',
  description:
    'Tints the image where the mask selects it, to see a mask on its image. For viewing, not for editing.',
  inputs: { image: port('IMAGE'), mask: port('MASK') },
  outputs: { image: port('IMAGE') },
  params: z.object({
    color: colorParam('#ff0000', 'Tint colour'),
    opacity: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe('Tint strength where the mask is fully selected')
      .meta({ widget: 'slider', step: 0.05 }),
  }),

  async execute({ inputs: { image, mask }, params }) {
    assertSameSize(image, mask, 'mask', 'the mask');
    const [r, g, b] = parseHexColor(params.color);
    const ch = image.channels;
    const src = image.data;
    // Alpha (if any) is copied as is; only colour is tinted.
    const out = src.slice();
    const k = params.opacity / 255;
    for (let i = 0, p = 0; i < mask.data.length; i++, p += ch) {
      const t = mask.data[i] * k;
      if (t === 0) continue;
      out[p] = Math.round(src[p] + (r - src[p]) * t);
      out[p + 1] = Math.round(src[p + 1] + (g - src[p + 1]) * t);
      out[p + 2] = Math.round(src[p + 2] + (b - src[p + 2]) * t);
    }
    return { image: imageValue(image.width, image.height, ch, out) };
  },
});
