import { CancelledError } from '@maskflow/workflow';
import { maskValue } from '../../contract';
import type { MaskValue } from '../../contract';
import { createNodeRegistry } from '../../index';
import { createTestContext } from '../../../../../test/helpers/node-context';
import { MaskDilateNode } from './mask-dilate.node';

/** A 9×7 mask with one selected pixel in the middle (soft value, still ≥ 128). */
function dot(): MaskValue {
  const mask = maskValue(9, 7);
  mask.data[3 * 9 + 4] = 200;
  return mask;
}

function picture(mask: MaskValue): string[] {
  const rows: string[] = [];
  for (let y = 0; y < mask.height; y++) {
    rows.push(
      [...mask.data.subarray(y * mask.width, (y + 1) * mask.width)].map((v) => (v ? '#' : '.')).join(''),
    );
  }
  return rows;
}

async function run(
  mask: MaskValue,
  params: Record<string, unknown>,
  ctx = createTestContext(),
): Promise<MaskValue> {
  const { mask: out } = await MaskDilateNode.execute({
    inputs: { mask },
    params: MaskDilateNode.params.parse(params),
    ctx,
  });
  return out;
}

describe('MaskDilate', () => {
  it('grows by a round brush for a positive radius', async () => {
    const out = await run(dot(), { radius: 2 });
    expect(out).toMatchObject({ kind: 'mask', width: 9, height: 7 });
    expect(picture(out)).toEqual([
      '.........',
      '....#....',
      '...###...',
      '..#####..',
      '...###...',
      '....#....',
      '.........',
    ]);
  });

  it('shrinks for a negative radius; the image edge does not eat into the mask', async () => {
    const full = maskValue(9, 7, new Uint8Array(63).fill(255));
    full.data[3 * 9 + 4] = 0; // one hole in the middle
    expect(picture(await run(full, { radius: -2 }))).toEqual([
      '#########',
      '####.####',
      '###...###',
      '##.....##',
      '###...###',
      '####.####',
      '#########',
    ]);
  });

  it('radius 0 only hardens the mask', async () => {
    const soft = maskValue(4, 1, Uint8Array.of(0, 127, 128, 255));
    expect([...(await run(soft, { radius: 0 })).data]).toEqual([0, 0, 255, 255]);
  });

  it('defaults to radius 8 and leaves the input alone', async () => {
    expect(MaskDilateNode.params.parse({})).toEqual({ radius: 8 });
    const input = dot();
    const before = Uint8Array.from(input.data);
    const out = await run(input, {});
    expect(out.data).not.toBe(input.data);
    expect(input.data).toEqual(before);
    // Every pixel of the 9×7 mask is within 8 px of the dot.
    expect(out.data.every((v) => v === 255)).toBe(true);
  });

  it('accepts whole radii from −512 to 512 only', () => {
    for (const radius of [-512, -1, 0, 512])
      expect(MaskDilateNode.params.safeParse({ radius }).success).toBe(true);
    for (const radius of [-513, 513, 1.5, '3'])
      expect(MaskDilateNode.params.safeParse({ radius }).success).toBe(false);
  });

  it('is registered and described for the UI', () => {
    const spec = createNodeRegistry()
      .toJSON()
      .find((s) => s.type === 'MaskDilate');
    expect(spec).toMatchObject({ version: 1, category: 'mask', inputs: [{ name: 'mask', type: 'MASK' }] });
    expect(spec?.outputs).toEqual([{ name: 'mask', type: 'MASK' }]);
    expect(spec?.params).toMatchObject({
      properties: {
        radius: { type: 'integer', minimum: -512, maximum: 512, default: 8, widget: 'slider', step: 1 },
      },
    });
  });

  it('stops when the run is cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      run(dot(), { radius: 3 }, createTestContext({ signal: controller.signal })),
    ).rejects.toBeInstanceOf(CancelledError);
  });
});
