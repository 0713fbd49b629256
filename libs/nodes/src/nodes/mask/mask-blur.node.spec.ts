import { CancelledError } from '@maskflow/workflow';
import { maskValue } from '../../contract';
import type { MaskValue } from '../../contract';
import { createNodeRegistry } from '../../index';
import { createTestContext } from '../../../../../test/helpers/node-context';
import { MaskBlurNode } from './mask-blur.node';

/** 60×10, selected from x = 30 on. */
function halfMask(): MaskValue {
  const mask = maskValue(60, 10);
  for (let y = 0; y < 10; y++) mask.data.fill(255, y * 60 + 30, (y + 1) * 60);
  return mask;
}

async function run(
  mask: MaskValue,
  params: Record<string, unknown>,
  ctx = createTestContext(),
): Promise<MaskValue> {
  const { mask: out } = await MaskBlurNode.execute({
    inputs: { mask },
    params: MaskBlurNode.params.parse(params),
    ctx,
  });
  return out;
}

describe('MaskBlur', () => {
  it('feathers the edge over about radius pixels and leaves the rest alone', async () => {
    const out = await run(halfMask(), { radius: 12 });
    expect(out).toMatchObject({ kind: 'mask', width: 60, height: 10 });
    const row = [...out.data.subarray(5 * 60, 6 * 60)];
    expect(row.slice(0, 30 - 13).every((v) => v === 0)).toBe(true);
    expect(row.slice(30 + 13).every((v) => v === 255)).toBe(true);
    // Half way at the edge, and soft values around it.
    expect(row[29] + row[30]).toBeGreaterThanOrEqual(254);
    expect(row[29] + row[30]).toBeLessThanOrEqual(256);
    expect(row[25]).toBeGreaterThan(0);
    expect(row[34]).toBeLessThan(255);
  });

  it('radius 0 passes the mask through unchanged', async () => {
    const soft = maskValue(4, 1, Uint8Array.of(0, 100, 200, 255));
    expect([...(await run(soft, { radius: 0 })).data]).toEqual([0, 100, 200, 255]);
  });

  it('defaults to radius 8 and leaves the input alone', async () => {
    expect(MaskBlurNode.params.parse({})).toEqual({ radius: 8 });
    const input = halfMask();
    const before = Uint8Array.from(input.data);
    await run(input, {});
    expect(input.data).toEqual(before);
  });

  it('accepts whole radii from 0 to 256 only', () => {
    for (const radius of [0, 1, 256]) expect(MaskBlurNode.params.safeParse({ radius }).success).toBe(true);
    for (const radius of [-1, 257, 2.5])
      expect(MaskBlurNode.params.safeParse({ radius }).success).toBe(false);
  });

  it('is registered and described for the UI', () => {
    const spec = createNodeRegistry()
      .toJSON()
      .find((s) => s.type === 'MaskBlur');
    expect(spec).toMatchObject({ version: 1, category: 'mask', inputs: [{ name: 'mask', type: 'MASK' }] });
    expect(spec?.params).toMatchObject({
      properties: {
        radius: { type: 'integer', minimum: 0, maximum: 256, default: 8, widget: 'slider', step: 1 },
      },
    });
  });

  it('stops when the run is cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      run(halfMask(), { radius: 3 }, createTestContext({ signal: controller.signal })),
    ).rejects.toBeInstanceOf(CancelledError);
  });
});
