import { maskValue } from '../../contract';
import { createTestContext } from '../../../../../test/helpers/node-context';
import { MaskInvertNode } from './mask-invert.node';

describe('MaskInvert', () => {
  it('maps v to 255 − v, soft values included, without touching the input', async () => {
    const input = maskValue(4, 1, new Uint8Array([0, 255, 100, 128]));
    const { mask } = await MaskInvertNode.execute({
      inputs: { mask: input },
      params: {},
      ctx: createTestContext(),
    });
    expect([mask.width, mask.height]).toEqual([4, 1]);
    expect([...mask.data]).toEqual([255, 0, 155, 127]);
    expect([...input.data]).toEqual([0, 255, 100, 128]);
  });
});
