/**
 * From decoder outputs to masks (segment-anything `Sam.postprocess_masks`):
 * low_res_masks → bilinear to 1024×1024 → crop to the resized image → bilinear
 * to the original (H, W) → threshold at 0. The in-graph `masks` output is not
 * trusted by default: some exports froze its upscale to the aspect ratio of the
 * image they were exported with.
 */
import type { PlaneSize } from './image-resample';
import { resizePlaneBilinear, resizePlaneToMask } from './image-resample';
import { SAM_IMAGE_SIZE } from './sam-preprocess';

/** Hoisted: a global lookup per pixel is ~50× slower inside test runners' vm contexts. */
const exp = Math.exp;

/** `single`: mask 0, the single-mask answer (what Grounded-SAM uses for a box). `best`: the highest predicted IoU among the multimask answers. */
export type SamMaskChoice = 'single' | 'best';
/** `binary`: 0 or 255 (logit > 0). `soft`: sigmoid(logit) × 255, for feathered edges. */
export type SamOutputMode = 'binary' | 'soft';

/**
 * Which of the decoder's C masks to keep. With C = 4, masks 1–3 are SAM's
 * multimask answers (segment-anything returns masks[:, 1:] when
 * multimask_output is set) and mask 0 the single answer; with C = 1 there is
 * no choice.
 */
export function selectMaskIndex(ious: ArrayLike<number>, count: number, choice: SamMaskChoice): number {
  if (count <= 1 || choice === 'single') return 0;
  let best = 1;
  for (let i = 2; i < count; i++) if (ious[i] > ious[best]) best = i;
  return best;
}

/** Mask logits at the original size from one low-res plane. */
export function upscaleMaskLogits(
  lowRes: Float32Array,
  lowResSize: PlaneSize,
  resized: PlaneSize,
  original: PlaneSize,
): Float32Array {
  const square = { width: SAM_IMAGE_SIZE, height: SAM_IMAGE_SIZE };
  const cropped = resizePlaneBilinear(lowRes, lowResSize, square, resized);
  return resizePlaneBilinear(cropped, resized, original);
}

/** The 8-bit mask at the original size from one low-res plane (upscaleMaskLogits and maskFromLogits in one pass). */
export function upscaleMask(
  lowRes: Float32Array,
  lowResSize: PlaneSize,
  resized: PlaneSize,
  original: PlaneSize,
  mode: SamOutputMode,
): Uint8Array {
  const square = { width: SAM_IMAGE_SIZE, height: SAM_IMAGE_SIZE };
  return resizePlaneToMask(resizePlaneBilinear(lowRes, lowResSize, square, resized), resized, original, mode);
}

/** Logits → 8-bit mask. */
export function maskFromLogits(logits: Float32Array, mode: SamOutputMode): Uint8Array {
  const out = new Uint8Array(logits.length);
  if (mode === 'binary') {
    for (let i = 0; i < logits.length; i++) out[i] = logits[i] > 0 ? 255 : 0;
  } else {
    for (let i = 0; i < logits.length; i++) out[i] = (255 / (1 + exp(-logits[i])) + 0.5) | 0;
  }
  return out;
}

/** Per-pixel maximum of several masks (the union of binary masks), or an empty mask. */
export function unionMasks(masks: readonly Uint8Array[], pixels: number): Uint8Array {
  const out = new Uint8Array(pixels);
  for (const m of masks) for (let i = 0; i < pixels; i++) if (m[i] > out[i]) out[i] = m[i];
  return out;
}
