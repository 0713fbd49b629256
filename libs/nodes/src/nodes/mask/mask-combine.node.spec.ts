import { UserError } from '@maskflow/workflow';
import { maskValue } from '../../contract';
import type { MaskValue } from '../../contract';
import { createTestContext } from '../../../../../test/helpers/node-context';
import { MaskCombineNode } from './mask-combine.node';

async function combine(a: MaskValue, b: MaskValue, op: string): Promise<number[]> {
  const params = MaskCombineNode.params.parse({ op });
  const { mask } = await MaskCombineNode.execute({ inputs: { a, b }, params, ctx: createTestContext() });
  return [...mask.data];
}

describe('MaskCombine', () => {
  const a = maskValue(5, 1, new Uint8Array([0, 255, 255, 0, 200]));
  const b = maskValue(5, 1, new Uint8Array([0, 255, 0, 255, 51]));

  it('union is the per-pixel max', async () => {
    expect(await combine(a, b, 'union')).toEqual([0, 255, 255, 255, 200]);
  });

  it('intersection is the per-pixel min', async () => {
    expect(await combine(a, b, 'intersection')).toEqual([0, 255, 0, 0, 51]);
  });

  it('difference is a · (1 − b): b cut out of a, soft values scaled', async () => {
    // 200 · (255 − 51) / 255 = 160
    expect(await combine(a, b, 'difference')).toEqual([0, 0, 255, 0, 160]);
  });

  it('defaults to union', () => {
    expect(MaskCombineNode.params.parse({}).op).toBe('union');
  });

  it('refuses masks of different sizes, naming input b', async () => {
    const err: unknown = await combine(a, maskValue(4, 1), 'union').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).field).toBe('b');
  });
});
