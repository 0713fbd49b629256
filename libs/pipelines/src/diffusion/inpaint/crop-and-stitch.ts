/**
 * Crop-and-stitch: inpaint a context box around the mask at the model's
 * resolution instead of squeezing the whole picture into 512×512, then paste
 * the result back through the feathered mask at the input's full resolution.
 *
 * - The box covers every pixel the composite may change (the grown and
 *   blurred mask), plus `padding` px of context on each side, clamped to the
 *   image. Masks touching the border simply get a box that ends there.
 * - Several separate regions share ONE box around all of them: a single
 *   diffusion run sees them together and they stay consistent with each
 *   other; far-apart regions make a larger box (inpainted at lower detail),
 *   which is the price of one run instead of one per region.
 * - A very elongated box is widened (within the image) to an aspect ratio of
 *   at most 2:1, so the model sees a shape it was trained on; the model size
 *   keeps the box's aspect with an area of about resolution², each side a
 *   multiple of 8 (the VAE factor). A UNet with static H, W gets exactly those.
 * - Outside the box, and wherever the composite alpha is 0, the output bytes
 *   are the input's, untouched; alpha channels are kept.
 */
import { resizeFloatImage } from './resample';

export interface PixelBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Size {
  width: number;
  height: number;
}

/** An 8-bit interleaved image (RGB or RGBA), as the node contract's ImageValue. */
export interface ImagePixels {
  width: number;
  height: number;
  channels: 3 | 4;
  data: Uint8Array;
}

export type RegionMode = 'masked' | 'whole';

export interface RegionOptions {
  mode: RegionMode;
  /** Context pixels around the area that changes (masked mode). */
  padding: number;
  /** The model's native side length (512 for SD 1.x/2.x inpainting). */
  resolution: number;
  /** A UNet with static spatial dims: the exact pixel size it takes. */
  fixedSize?: Size;
  /** Widest aspect ratio the box may have before it is widened (default 2). */
  maxAspect?: number;
}

export interface RegionPlan {
  /** The crop, in input pixels. */
  box: PixelBox;
  /** The size the crop is inpainted at. */
  size: Size;
}

/** Bounding box of the pixels ≥ threshold, or null when there are none. */
export function maskBounds(mask: Uint8Array, width: number, height: number, threshold = 1): PixelBox | null {
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let first = -1;
    let last = -1;
    for (let x = 0; x < width; x++) {
      if (mask[row + x] >= threshold) {
        if (first < 0) first = x;
        last = x;
      }
    }
    if (first < 0) continue;
    if (first < x0) x0 = first;
    if (last > x1) x1 = last;
    if (y < y0) y0 = y;
    y1 = y;
  }
  return x1 < 0 ? null : { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

/** A size of about resolution² pixels with the aspect of `box`, each side a multiple of 8 and at least 64. */
export function modelSizeFor(box: Size, resolution: number): Size {
  const s = resolution / Math.sqrt(box.width * box.height);
  const side = (v: number): number => Math.max(64, Math.round((v * s) / 8) * 8);
  return { width: side(box.width), height: side(box.height) };
}

/** Grows [start, start+len) to `want` (at most `limit`), centred, shifted to stay inside [0, limit). */
function growSpan(start: number, len: number, want: number, limit: number): [number, number] {
  const n = Math.min(Math.max(want, len), limit);
  const s = Math.min(Math.max(start - Math.floor((n - len) / 2), 0), limit - n);
  return [s, n];
}

export function planRegion(image: Size, changed: PixelBox, o: RegionOptions): RegionPlan {
  let box: PixelBox;
  if (o.mode === 'whole') {
    box = { x: 0, y: 0, width: image.width, height: image.height };
  } else {
    const pad = Math.max(0, Math.round(o.padding));
    const x0 = Math.max(0, changed.x - pad);
    const y0 = Math.max(0, changed.y - pad);
    const x1 = Math.min(image.width, changed.x + changed.width + pad);
    const y1 = Math.min(image.height, changed.y + changed.height + pad);
    box = { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
    const aspect = o.fixedSize ? o.fixedSize.width / o.fixedSize.height : undefined;
    const maxAspect = o.maxAspect ?? 2;
    let wantW = box.width;
    let wantH = box.height;
    if (aspect !== undefined) {
      if (box.width / box.height > aspect) wantH = Math.round(box.width / aspect);
      else wantW = Math.round(box.height * aspect);
    } else if (box.width > maxAspect * box.height) {
      wantH = Math.ceil(box.width / maxAspect);
    } else if (box.height > maxAspect * box.width) {
      wantW = Math.ceil(box.height / maxAspect);
    }
    [box.x, box.width] = growSpan(box.x, box.width, wantW, image.width);
    [box.y, box.height] = growSpan(box.y, box.height, wantH, image.height);
  }
  return { box, size: o.fixedSize ?? modelSizeFor(box, o.resolution) };
}

/** The box's RGB pixels resized to `size`, interleaved floats 0–255 (alpha dropped). */
export function cropToModel(image: ImagePixels, plan: RegionPlan): Float32Array {
  const { box } = plan;
  const crop = new Float32Array(box.width * box.height * 3);
  const ch = image.channels;
  for (let y = 0; y < box.height; y++) {
    let src = ((box.y + y) * image.width + box.x) * ch;
    let dst = y * box.width * 3;
    for (let x = 0; x < box.width; x++, src += ch, dst += 3) {
      crop[dst] = image.data[src];
      crop[dst + 1] = image.data[src + 1];
      crop[dst + 2] = image.data[src + 2];
    }
  }
  return resizeFloatImage(crop, box.width, box.height, 3, plan.size.width, plan.size.height);
}

/**
 * The box of a 0/255 mask resized to `size` and made hard again: a pixel is
 * set when at least `coverage` of it is (0.5, as diffusers binarizes its
 * resized mask; a tiny coverage keeps a thin mask that a downscale would lose).
 */
export function cropMaskToModel(
  mask: Uint8Array,
  imageWidth: number,
  plan: RegionPlan,
  coverage = 0.5,
): Uint8Array {
  const { box, size } = plan;
  const crop = new Float32Array(box.width * box.height);
  for (let y = 0; y < box.height; y++) {
    const row = (box.y + y) * imageWidth + box.x;
    for (let x = 0; x < box.width; x++) crop[y * box.width + x] = mask[row + x];
  }
  const resized = resizeFloatImage(crop, box.width, box.height, 1, size.width, size.height);
  const out = new Uint8Array(resized.length);
  const threshold = coverage * 255;
  for (let i = 0; i < out.length; i++) out[i] = resized[i] >= threshold ? 255 : 0;
  return out;
}

/**
 * Pastes `generated` (RGB floats 0–1 at plan.size) back into a copy of the
 * image through `alpha` (0–255 at the image's size): out = g·a + in·(1 − a),
 * rounded. Pixels with alpha 0, and everything outside the box, keep their
 * input bytes exactly.
 */
export function stitchIntoImage(
  image: ImagePixels,
  generated: Float32Array,
  plan: RegionPlan,
  alpha: Uint8Array,
): Uint8Array {
  const { box, size } = plan;
  if (generated.length !== size.width * size.height * 3)
    throw new RangeError(
      `generated image has ${generated.length} values, expected ${size.width}×${size.height}×3`,
    );
  if (alpha.length !== image.width * image.height)
    throw new RangeError(`alpha has ${alpha.length} values, expected ${image.width}×${image.height}`);
  const back = resizeFloatImage(generated, size.width, size.height, 3, box.width, box.height);
  const out = Uint8Array.from(image.data);
  const ch = image.channels;
  for (let y = 0; y < box.height; y++) {
    const row = (box.y + y) * image.width + box.x;
    for (let x = 0; x < box.width; x++) {
      const a = alpha[row + x];
      if (a === 0) continue;
      const p = (row + x) * ch;
      const g = (y * box.width + x) * 3;
      for (let c = 0; c < 3; c++) {
        const v = Math.round(Math.min(Math.max(back[g + c], 0), 1) * 255);
        out[p + c] = a === 255 ? v : Math.floor((v * a + image.data[p + c] * (255 - a) + 127) / 255);
      }
    }
  }
  return out;
}
