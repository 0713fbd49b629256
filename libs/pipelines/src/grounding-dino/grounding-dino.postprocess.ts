/**
 * GroundingDINO post-processing, as IDEA's `groundingdino/util/inference.py`
 * and transformers' `post_process_grounded_object_detection` do it:
 * probs = sigmoid(logits); a query's score is its max over tokens; queries
 * with score > box_threshold (strictly) are kept; boxes go from normalized
 * (cx, cy, w, h) to xyxy × the ORIGINAL [W, H, W, H].
 *
 * Phrase mapping with several phrases follows IDEA's `remove_combined`
 * variant: the phrase is the one that holds the query's strongest token, and
 * its tokens with prob > text_threshold are the matched words. Plain
 * thresholding across the whole caption would glue words of different phrases
 * together ("dog red mug") when a box is near two of them.
 */
import type { PhraseSpan } from './grounding-dino.tokenizer';

export interface FloatTensor {
  data: Float32Array;
  dims: readonly number[];
}

export interface GroundingPostprocessOptions {
  boxThreshold: number;
  textThreshold: number;
  /** The original image size; boxes are scaled by it. */
  targetSize: { width: number; height: number };
}

export interface GroundedDetection {
  /** Which of the model's queries it came from. */
  query: number;
  /** Pixel xyxy in the target size (not clamped, like the reference). */
  box: [number, number, number, number];
  score: number;
  /** Index of the prompt phrase it belongs to, −1 when the caption has none. */
  phraseIndex: number;
  /** The phrase as typed (normalized), e.g. "red mug". */
  label: string;
  /** Token positions of that phrase whose prob > text_threshold (IDEA's matched words). */
  matchedTokens: number[];
}

/** Hoisted: a global lookup per element is ~50× slower inside test runners' vm contexts. */
const exp = Math.exp;

export function sigmoid(x: number): number {
  return 1 / (1 + exp(-x));
}

/** cxcywh (normalized) → xyxy in pixels of `size`. */
export function centerToCorners(
  cx: number,
  cy: number,
  w: number,
  h: number,
  size: { width: number; height: number },
): [number, number, number, number] {
  return [
    (cx - w / 2) * size.width,
    (cy - h / 2) * size.height,
    (cx + w / 2) * size.width,
    (cy + h / 2) * size.height,
  ];
}

export function postProcessGroundedDetection(
  logits: FloatTensor,
  boxes: FloatTensor,
  phrases: readonly PhraseSpan[],
  opts: GroundingPostprocessOptions,
): GroundedDetection[] {
  const [, queries, tokens] = logits.dims;
  if (boxes.dims[1] !== queries || boxes.dims[2] !== 4) {
    throw new Error(`pred_boxes [${boxes.dims.join(',')}] does not match logits [${logits.dims.join(',')}]`);
  }
  const out: GroundedDetection[] = [];
  const probs = new Float32Array(tokens);
  for (let q = 0; q < queries; q++) {
    const row = q * tokens;
    let score = 0;
    for (let t = 0; t < tokens; t++) {
      // sigmoid(−inf) = 0: text positions past the caption never win.
      const p = sigmoid(logits.data[row + t]);
      probs[t] = p;
      if (p > score) score = p;
    }
    if (!(score > opts.boxThreshold)) continue;

    let phraseIndex = -1;
    let best = -1;
    for (const ph of phrases) {
      for (let t = ph.start; t < Math.min(ph.end, tokens); t++) {
        if (probs[t] > best) {
          best = probs[t];
          phraseIndex = ph.index;
        }
      }
    }
    const phrase = phrases.find((p) => p.index === phraseIndex);
    const matchedTokens: number[] = [];
    if (phrase)
      for (let t = phrase.start; t < Math.min(phrase.end, tokens); t++)
        if (probs[t] > opts.textThreshold) matchedTokens.push(t);

    const b = q * 4;
    out.push({
      query: q,
      box: centerToCorners(
        boxes.data[b],
        boxes.data[b + 1],
        boxes.data[b + 2],
        boxes.data[b + 3],
        opts.targetSize,
      ),
      score,
      phraseIndex,
      label: phrase?.text ?? '',
      matchedTokens,
    });
  }
  // Highest score first; ties keep query order.
  return out.sort((a, b) => b.score - a.score || a.query - b.query);
}

export function boxIou(a: readonly number[], b: readonly number[]): number {
  const iw = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const ih = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = iw * ih;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Greedy non-maximum suppression by score, within each label: "person" and
 * "shirt" boxes may overlap, two "person" boxes at IoU > `iou` may not.
 * Input order is kept among survivors when it is by score.
 */
export function nonMaximumSuppression<T extends { box: readonly number[]; score: number; label: string }>(
  items: readonly T[],
  iou: number,
): T[] {
  const sorted = [...items].sort((a, b) => b.score - a.score);
  const kept: T[] = [];
  for (const d of sorted) {
    if (kept.some((k) => k.label === d.label && boxIou(k.box, d.box) > iou)) continue;
    kept.push(d);
  }
  return kept;
}
