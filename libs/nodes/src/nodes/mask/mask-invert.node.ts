import { z } from 'zod';
import { defineNode, maskValue, port } from '../../contract';

export const MaskInvertNode = defineNode({
  type: 'MaskInvert',
  version: 1,
  title: 'Invert Mask',
  category: 'mask',
  description: 'Selects what was kept and keeps what was selected (255 − value, so soft edges stay soft).',
  inputs: { mask: port('MASK') },
  outputs: { mask: port('MASK') },
  params: z.object({}),

  async execute({ inputs: { mask } }) {
    const out = new Uint8Array(mask.data.length);
    for (let i = 0; i < out.length; i++) out[i] = 255 - mask.data[i];
    return { mask: maskValue(mask.width, mask.height, out) };
  },
});
