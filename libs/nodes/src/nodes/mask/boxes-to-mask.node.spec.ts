import { imageValue } from '../../contract';
import type { BoxesValue, MaskValue } from '../../contract';
import { createTestContext } from '../../../../../test/helpers/node-context';
import { BoxesToMaskNode } from './boxes-to-mask.node';

const image = imageValue(10, 8, 3, new Uint8Array(10 * 8 * 3));

async function toMask(params: Record<string, unknown>, boxes?: BoxesValue) {
  const ctx = createTestContext();
  const { mask } = await BoxesToMaskNode.execute({
    inputs: { image, ...(boxes ? { boxes } : {}) },
    params: BoxesToMaskNode.params.parse(params),
    ctx,
  });
  return { mask, ctx };
}

/** Rows of the mask as strings, '#' selected and '.' kept: the picture is the assertion. */
function picture(mask: MaskValue): string[] {
  const rows: string[] = [];
  for (let y = 0; y < mask.height; y++) {
    rows.push(
      [...mask.data.subarray(y * mask.width, (y + 1) * mask.width)]
        .map((v) => (v === 255 ? '#' : v === 0 ? '.' : '?'))
        .join(''),
    );
  }
  return rows;
}

function detections(
  width: number,
  height: number,
  ...b: Array<[number, number, number, number]>
): BoxesValue {
  return {
    kind: 'boxes',
    width,
    height,
    boxes: b.map(([x1, y1, x2, y2]) => ({ x1, y1, x2, y2, score: 0.9, label: 'dog' })),
  };
}

describe('BoxesToMask', () => {
  it('selects x1..x2-1 × y1..y2-1 of a param box (edges exclusive)', async () => {
    const { mask } = await toMask({ boxes: [{ x1: 2, y1: 1, x2: 5, y2: 3 }] });
    expect([mask.width, mask.height]).toEqual([10, 8]);
    expect(picture(mask)).toEqual([
      '..........',
      '..###.....',
      '..###.....',
      '..........',
      '..........',
      '..........',
      '..........',
      '..........',
    ]);
  });

  it('clips boxes that stick out of the image', async () => {
    const { mask } = await toMask({
      boxes: [
        { x1: -5, y1: 6, x2: 3, y2: 100 },
        { x1: 8, y1: -3, x2: 50, y2: 1 },
      ],
    });
    expect(picture(mask)).toEqual([
      '........##',
      '..........',
      '..........',
      '..........',
      '..........',
      '..........',
      '###.......',
      '###.......',
    ]);
  });

  it('unites param boxes with input boxes, scaling input boxes from their image size', async () => {
    // Detected on a 20×16 version of the image: (10,8)-(14,12) is (5,4)-(7,6) here.
    const { mask } = await toMask(
      { boxes: [{ x1: 0, y1: 0, x2: 2, y2: 2 }] },
      detections(20, 16, [10, 8, 14, 12]),
    );
    expect(picture(mask)).toEqual([
      '##........',
      '##........',
      '..........',
      '..........',
      '.....##...',
      '.....##...',
      '..........',
      '..........',
    ]);
  });

  it('accepts swapped corners and rounds fractional edges by pixel centre', async () => {
    // Centres x = 1.5, 2.5 lie in [1.4, 3.4); only y = 1.5 lies in [0.6, 2.4).
    const { mask } = await toMask({ boxes: [{ x1: 3.4, y1: 2.4, x2: 1.4, y2: 0.6 }] });
    expect(picture(mask).slice(0, 3)).toEqual(['..........', '.##.......', '..........']);
  });

  it('warns and returns an empty mask when no box overlaps the image', async () => {
    const { mask, ctx } = await toMask({ boxes: [{ x1: 20, y1: 20, x2: 30, y2: 30 }] }, detections(10, 8));
    expect(mask.data.every((v) => v === 0)).toBe(true);
    expect(ctx.warnings.join()).toMatch(/empty/);
  });
});
