import type { PhraseSpan } from './grounding-dino.tokenizer';
import type { FloatTensor } from './grounding-dino.postprocess';
import {
  boxIou,
  centerToCorners,
  nonMaximumSuppression,
  postProcessGroundedDetection,
  sigmoid,
} from './grounding-dino.postprocess';

const T = 256;

function tensor(dims: number[], fill: number): FloatTensor {
  return { dims, data: new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(fill) };
}

/** logits [1,Q,256], −inf at positions ≥ S like the real export. */
function logitsFor(rows: number[][], s: number): FloatTensor {
  const t = tensor([1, rows.length, T], -Infinity);
  rows.forEach((row, q) => {
    for (let i = 0; i < s; i++) t.data[q * T + i] = row[i] ?? -10;
  });
  return t;
}

describe('postProcessGroundedDetection', () => {
  it("matches transformers.js's own check: logits and boxes all 0.5, target (h=360, w=240)", () => {
    // "a cat ." → [CLS] a cat . [SEP]: one phrase over tokens 1..2.
    const phrases: PhraseSpan[] = [{ index: 0, text: 'a cat', start: 1, end: 3 }];
    const out = postProcessGroundedDetection(tensor([1, 3, T], 0.5), tensor([1, 3, 4], 0.5), phrases, {
      boxThreshold: 0.35,
      textThreshold: 0.25,
      targetSize: { height: 360, width: 240 },
    });
    expect(out).toHaveLength(3);
    for (const d of out) {
      expect(d.box).toEqual([60, 90, 180, 270]);
      expect(d.score).toBeCloseTo(0.6224593, 7);
      expect(d.label).toBe('a cat');
      expect(d.matchedTokens).toEqual([1, 2]);
    }
  });

  it('keeps a query only when its score is strictly above the box threshold', () => {
    const phrases: PhraseSpan[] = [{ index: 0, text: 'cat', start: 1, end: 2 }];
    const opts = { textThreshold: 0.25, targetSize: { width: 100, height: 100 } };
    // logit 0 → prob exactly 0.5.
    const logits = logitsFor([[0, 0, 0, 0]], 4);
    const boxes = tensor([1, 1, 4], 0.5);
    expect(postProcessGroundedDetection(logits, boxes, phrases, { ...opts, boxThreshold: 0.5 })).toHaveLength(
      0,
    );
    expect(
      postProcessGroundedDetection(logits, boxes, phrases, { ...opts, boxThreshold: 0.4999 }),
    ).toHaveLength(1);
  });

  it('ignores text positions past the caption (−inf logits) and scales by the original size', () => {
    const phrases: PhraseSpan[] = [{ index: 0, text: 'dog', start: 1, end: 2 }];
    const logits = logitsFor([[-3, 2, -3, -3]], 4);
    const boxes: FloatTensor = { dims: [1, 1, 4], data: Float32Array.from([0.25, 0.75, 0.5, 0.5]) };
    const [d] = postProcessGroundedDetection(logits, boxes, phrases, {
      boxThreshold: 0.35,
      textThreshold: 0.25,
      targetSize: { width: 800, height: 600 },
    });
    expect(d.score).toBeCloseTo(sigmoid(2), 6);
    expect(d.box).toEqual([0, 300, 400, 600]);
  });

  describe('phrase mapping with several phrases ("dog . red mug ." = [CLS] dog . red mug . [SEP])', () => {
    const phrases: PhraseSpan[] = [
      { index: 0, text: 'dog', start: 1, end: 2 },
      { index: 1, text: 'red mug', start: 3, end: 5 },
    ];
    const S = 7;
    //            CLS   dog   .    red   mug    .    SEP
    const rows = [
      [-5, -4, -5, -1.5, 2.5, -5, -5], // mug strongest, "red" below the text threshold
      [-5, 3, -5, 0.5, 0.2, -5, -5], // dog strongest, but "red" and "mug" also above the text threshold
      [4, -3, 4, -2.5, -2, 4, 4], // separators strongest: the phrase still comes from the phrase tokens
      [-5, -5, -5, -5, -5, -5, -5], // nothing
    ];
    const boxes = tensor([1, rows.length, 4], 0.5);
    const out = postProcessGroundedDetection(logitsFor(rows, S), boxes, phrases, {
      boxThreshold: 0.35,
      textThreshold: 0.25,
      targetSize: { width: 10, height: 10 },
    });

    it('keeps the boxes above the threshold, highest score first', () => {
      expect(out.map((d) => d.query)).toEqual([2, 1, 0]);
      expect(out[0].score).toBeCloseTo(sigmoid(4), 6);
    });

    it('labels a box with the phrase of its strongest token, never a mix of phrases', () => {
      const byQuery = new Map(out.map((d) => [d.query, d]));
      expect(byQuery.get(0)).toMatchObject({ label: 'red mug', phraseIndex: 1, matchedTokens: [4] });
      // Plain thresholding would say "dog red mug"; the phrase of the strongest token wins.
      expect(byQuery.get(1)).toMatchObject({ label: 'dog', phraseIndex: 0, matchedTokens: [1] });
      // sigmoid(−2) = 0.12 < text threshold: phrase "red mug" (its tokens beat "dog"), no matched word.
      expect(byQuery.get(2)).toMatchObject({ label: 'red mug', phraseIndex: 1, matchedTokens: [] });
    });
  });
});

describe('boxes', () => {
  it('converts cxcywh to xyxy in pixels', () => {
    expect(centerToCorners(0.5, 0.5, 0.5, 0.5, { width: 240, height: 360 })).toEqual([60, 90, 180, 270]);
  });

  it('computes IoU', () => {
    expect(boxIou([0, 0, 10, 10], [0, 0, 10, 10])).toBe(1);
    expect(boxIou([0, 0, 10, 10], [5, 0, 15, 10])).toBeCloseTo(50 / 150, 10);
    expect(boxIou([0, 0, 10, 10], [20, 20, 30, 30])).toBe(0);
  });

  it('suppresses overlapping boxes within a phrase only', () => {
    const items = [
      { box: [0, 0, 10, 10], score: 0.9, label: 'dog' },
      { box: [1, 0, 11, 10], score: 0.8, label: 'dog' },
      { box: [1, 0, 11, 10], score: 0.7, label: 'collar' },
      { box: [50, 50, 60, 60], score: 0.6, label: 'dog' },
    ];
    expect(nonMaximumSuppression(items, 0.5).map((d) => d.score)).toEqual([0.9, 0.7, 0.6]);
    expect(nonMaximumSuppression(items, 0.95).map((d) => d.score)).toEqual([0.9, 0.8, 0.7, 0.6]);
  });
});
