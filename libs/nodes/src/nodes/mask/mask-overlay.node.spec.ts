import { UserError } from '@maskflow/workflow';
import { imageValue, maskValue } from '../../contract';
import { createTestContext } from '../../../../../test/helpers/node-context';
import { MaskOverlayNode } from './mask-overlay.node';

describe('MaskOverlay', () => {
  const image = imageValue(3, 1, 4, new Uint8Array([100, 100, 100, 255, 100, 100, 100, 40, 0, 0, 0, 255]));
  const mask = maskValue(3, 1, new Uint8Array([0, 255, 128]));

  it('tints selected pixels towards the colour by opacity × mask and keeps alpha', async () => {
    const params = MaskOverlayNode.params.parse({ color: '#00ff00', opacity: 0.5 });
    const { image: out } = await MaskOverlayNode.execute({
      inputs: { image, mask },
      params,
      ctx: createTestContext(),
    });
    expect(out.channels).toBe(4);
    expect([...out.data.subarray(0, 4)]).toEqual([100, 100, 100, 255]);
    expect([...out.data.subarray(4, 8)]).toEqual([50, 178, 50, 40]);
    // mask 128 → t ≈ 0.251: 255 · 0.251 ≈ 64
    expect([...out.data.subarray(8, 12)]).toEqual([0, 64, 0, 255]);
  });

  it('defaults to half-transparent red', async () => {
    const params = MaskOverlayNode.params.parse({});
    expect(params).toEqual({ color: '#ff0000', opacity: 0.5 });
    const { image: out } = await MaskOverlayNode.execute({
      inputs: { image, mask },
      params,
      ctx: createTestContext(),
    });
    expect([...out.data.subarray(4, 7)]).toEqual([178, 50, 50]);
  });

  it('rejects a colour that is not #rrggbb', () => {
    expect(MaskOverlayNode.params.safeParse({ color: 'red' }).success).toBe(false);
  });

  it('refuses a mask of another size, naming the mask', async () => {
    const err: unknown = await MaskOverlayNode.execute({
      inputs: { image, mask: maskValue(2, 1) },
      params: MaskOverlayNode.params.parse({}),
      ctx: createTestContext(),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).field).toBe('mask');
  });
});
