import { z } from 'zod';
import { defineNode, maskValue, port } from '../../contract';
import { assertSameSize } from '../image/image-utils';

export const MaskCombineNode = defineNode({
  type: 'MaskCombine',
  version: 1,
  title: 'Combine Masks',
  category: 'mask',
  description:
    'Combines two masks of the same size. union: max(a, b); intersection: min(a, b); difference: a · (1 − b), ' +
    'i.e. a with b cut out. Soft values combine smoothly.',
  inputs: { a: port('MASK'), b: port('MASK') },
  outputs: { mask: port('MASK') },
  params: z.object({
    op: z.enum(['union', 'intersection', 'difference']).default('union').describe('How a and b are combined'),
  }),

  async execute({ inputs: { a, b }, params }) {
    assertSameSize(a, b, 'b', 'mask b');
    const out = new Uint8Array(a.data.length);
    const da = a.data;
    const db = b.data;
    switch (params.op) {
      case 'union':
        for (let i = 0; i < out.length; i++) out[i] = da[i] > db[i] ? da[i] : db[i];
        break;
      case 'intersection':
        for (let i = 0; i < out.length; i++) out[i] = da[i] < db[i] ? da[i] : db[i];
        break;
      case 'difference':
        // Exact at the ends: b = 0 keeps a, b = 255 clears it.
        for (let i = 0; i < out.length; i++) out[i] = Math.round((da[i] * (255 - db[i])) / 255);
        break;
    }
    return { mask: maskValue(a.width, a.height, out) };
  },
});
