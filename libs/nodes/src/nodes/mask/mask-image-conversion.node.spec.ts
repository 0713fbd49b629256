import { UserError } from '@maskflow/workflow';
import { imageValue, maskValue } from '../../contract';
import { createTestContext } from '../../../../../test/helpers/node-context';
import { ImageToMaskNode } from './image-to-mask.node';
import { MaskToImageNode } from './mask-to-image.node';

const ctx = createTestContext();

describe('MaskToImage', () => {
  it('writes each mask value into R, G and B', async () => {
    const { image } = await MaskToImageNode.execute({
      inputs: { mask: maskValue(3, 1, new Uint8Array([0, 128, 255])) },
      params: {},
      ctx,
    });
    expect([image.width, image.height, image.channels]).toEqual([3, 1, 3]);
    expect([...image.data]).toEqual([0, 0, 0, 128, 128, 128, 255, 255, 255]);
  });
});

describe('ImageToMask', () => {
  // Pixels: red, green, blue, white, mid grey, black; the alpha is 10, 20, … 60.
  const rgba = imageValue(
    6,
    1,
    4,
    new Uint8Array([
      255, 0, 0, 10, 0, 255, 0, 20, 0, 0, 255, 30, 255, 255, 255, 40, 128, 128, 128, 50, 0, 0, 0, 60,
    ]),
  );
  const rgb = imageValue(2, 1, 3, new Uint8Array([255, 0, 0, 10, 20, 30]));

  const run = async (image: typeof rgba, channel: 'luminance' | 'red' | 'green' | 'blue' | 'alpha') => [
    ...(await ImageToMaskNode.execute({ inputs: { image }, params: { channel }, ctx })).mask.data,
  ];

  it('luminance is PIL convert("L"): 0.299 R + 0.587 G + 0.114 B, and grey stays the same grey', async () => {
    // PIL: Image.new('RGB', (1, 1), c).convert('L') gives 76, 150, 29 for pure red, green, blue.
    expect(await run(rgba, 'luminance')).toEqual([76, 150, 29, 255, 128, 0]);
    expect(await run(rgb, 'luminance')).toEqual([76, 18]);
  });

  it('takes one channel as is', async () => {
    expect(await run(rgba, 'red')).toEqual([255, 0, 0, 255, 128, 0]);
    expect(await run(rgba, 'green')).toEqual([0, 255, 0, 255, 128, 0]);
    expect(await run(rgb, 'blue')).toEqual([0, 30]);
    expect(await run(rgba, 'alpha')).toEqual([10, 20, 30, 40, 50, 60]);
  });

  it('refuses alpha of an RGB image, naming the field', async () => {
    const err = await ImageToMaskNode.execute({
      inputs: { image: rgb },
      params: { channel: 'alpha' },
      ctx,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UserError);
    expect(err).toMatchObject({ field: 'channel', kind: 'user' });
    expect((err as Error).message).toContain('no alpha channel');
  });

  it('round-trips MaskToImage exactly for every value', async () => {
    const all = maskValue(
      256,
      1,
      Uint8Array.from({ length: 256 }, (_, i) => i),
    );
    const { image } = await MaskToImageNode.execute({ inputs: { mask: all }, params: {}, ctx });
    const { mask } = await ImageToMaskNode.execute({
      inputs: { image },
      params: { channel: 'luminance' },
      ctx,
    });
    expect([...mask.data]).toEqual([...all.data]);
  });
});
