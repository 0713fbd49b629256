/**
 * Pure raster work of the mask painter, on a plain byte per pixel in the
 * image's natural resolution (0 = kept, 255 = masked, between = partly), so
 * what is painted is exactly what the server turns into alpha, and all of it
 * can be tested without a canvas.
 */
import type { Pt, Size } from './region-geometry';

export interface MaskBuffer {
  width: number;
  height: number;
  /** Row-major, one byte per pixel. */
  data: Uint8Array;
}

/** Whole pixels: x, y inclusive, width × height of them. */
export interface PixelRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export const MASKED = 255;
export const KEPT = 0;

/**
 * The smallest brush reaches half a pixel diagonal, so it always covers the
 * pixel under the pointer wherever in that pixel the pointer is.
 */
const MIN_RADIUS = Math.SQRT1_2;

export function emptyMask(size: Size): MaskBuffer {
  return { width: size.width, height: size.height, data: new Uint8Array(size.width * size.height) };
}

export function wholeRect(size: Size): PixelRect {
  return { x: 0, y: 0, width: size.width, height: size.height };
}

/** The smallest rect holding both (either may be absent). */
export function unionRect(a: PixelRect | undefined, b: PixelRect | undefined): PixelRect | undefined {
  if (!a || !b) return a ?? b;
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return {
    x,
    y,
    width: Math.max(a.x + a.width, b.x + b.width) - x,
    height: Math.max(a.y + a.height, b.y + b.height) - y,
  };
}

/**
 * The mask an image already carries, from its RGBA pixels (as
 * getImageData gives them): masked where transparent, 255 − alpha, the
 * ComfyUI convention Load Image reads it by. Alpha is exact in canvas data
 * even though RGB is premultiplied, so a saved mask comes back unchanged.
 */
export function maskFromAlpha(rgba: ArrayLike<number>, size: Size): MaskBuffer {
  const mask = emptyMask(size);
  const m = mask.data;
  for (let i = 0; i < m.length; i++) m[i] = 255 - rgba[i * 4 + 3];
  return mask;
}

/** Masked becomes kept and kept masked; a partly masked pixel gets the rest (255 − m). */
export function invertMask(mask: MaskBuffer): void {
  const m = mask.data;
  for (let i = 0; i < m.length; i++) m[i] = 255 - m[i];
}

/**
 * One segment of a stroke, from the previous pointer position `a` to the
 * current `b`, with a round brush of `radius` image pixels: every pixel whose
 * centre lies within `radius` of the segment is set to `value`. A stroke is
 * the union of its segments, so there are no gaps however far apart pointer
 * events are (a fast drag), and the joints are round. A dab is the segment
 * from a point to itself. Returns the pixels it may have changed, clipped to
 * the image, or undefined when the brush is wholly outside it.
 */
export function paintSegment(
  mask: MaskBuffer,
  a: Pt,
  b: Pt,
  radius: number,
  value: number,
): PixelRect | undefined {
  const r = Math.max(radius, MIN_RADIUS);
  const { width, height, data } = mask;
  const x0 = Math.max(0, Math.floor(Math.min(a.x, b.x) - r));
  const y0 = Math.max(0, Math.floor(Math.min(a.y, b.y) - r));
  const x1 = Math.min(width, Math.ceil(Math.max(a.x, b.x) + r));
  const y1 = Math.min(height, Math.ceil(Math.max(a.y, b.y) + r));
  if (x1 <= x0 || y1 <= y0) return undefined;
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len2 = dx * dx + dy * dy;
  const r2 = r * r;
  for (let y = y0; y < y1; y++) {
    const py = y + 0.5;
    for (let x = x0; x < x1; x++) {
      const px = x + 0.5;
      // The nearest point of the segment to the pixel centre.
      const t = len2 > 0 ? Math.min(1, Math.max(0, ((px - a.x) * dx + (py - a.y) * dy) / len2)) : 0;
      const ex = a.x + t * dx - px;
      const ey = a.y + t * dy - py;
      if (ex * ex + ey * ey <= r2) data[y * width + x] = value;
    }
  }
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/** The mask as opaque grey RGBA (white = masked), the PNG the server reads it from. */
export function writeGray(mask: MaskBuffer, out: Uint8ClampedArray): void {
  const m = mask.data;
  for (let i = 0, j = 0; i < m.length; i++, j += 4) {
    out[j] = out[j + 1] = out[j + 2] = m[i];
    out[j + 3] = 255;
  }
}

/**
 * The picture as the painter shows it: its RGB, opaque. Where a saved mask
 * made it transparent the picture is still there, and the user must see it
 * to continue or erase the mask.
 */
export function writeOpaque(rgba: ArrayLike<number>, out: Uint8ClampedArray): void {
  for (let j = 0; j < out.length; j += 4) {
    out[j] = rgba[j];
    out[j + 1] = rgba[j + 1];
    out[j + 2] = rgba[j + 2];
    out[j + 3] = 255;
  }
}

/** The tint shown over the image: red, as opaque as the pixel is masked (the canvas is drawn half transparent). */
export const TINT: readonly [number, number, number] = [255, 32, 32];

/** Writes the tint of `rect` into `out`, RGBA of the whole image (the overlay canvas's pixels). */
export function writeTint(mask: MaskBuffer, rect: PixelRect, out: Uint8ClampedArray): void {
  const { width, data } = mask;
  for (let y = rect.y; y < rect.y + rect.height; y++) {
    for (let x = rect.x; x < rect.x + rect.width; x++) {
      const i = y * width + x;
      const j = i * 4;
      out[j] = TINT[0];
      out[j + 1] = TINT[1];
      out[j + 2] = TINT[2];
      out[j + 3] = data[i];
    }
  }
}

/** The pixels of `rect`, row by row. */
export function cropMask(data: Uint8Array, width: number, rect: PixelRect): Uint8Array {
  const out = new Uint8Array(rect.width * rect.height);
  for (let y = 0; y < rect.height; y++) {
    const from = (rect.y + y) * width + rect.x;
    out.set(data.subarray(from, from + rect.width), y * rect.width);
  }
  return out;
}

/** Puts pixels cropped with cropMask back at `rect`. */
export function pasteMask(mask: MaskBuffer, rect: PixelRect, patch: Uint8Array): void {
  for (let y = 0; y < rect.height; y++)
    mask.data.set(patch.subarray(y * rect.width, (y + 1) * rect.width), (rect.y + y) * mask.width + rect.x);
}

/**
 * The next brush size for `[` (smaller) and `]` (larger): steps grow with
 * the size, about an eighth of it, so both a 3 px and a 300 px brush get
 * there in a few presses; kept within 1…max.
 */
export function stepBrush(size: number, dir: 1 | -1, max: number): number {
  const step = Math.max(1, Math.round(size / 8));
  return Math.min(max, Math.max(1, size + dir * step));
}

/** A brush size that suits the picture: a twentieth of its shorter side. */
export function defaultBrush(size: Size): number {
  return Math.max(1, Math.round(Math.min(size.width, size.height) / 20));
}

/** The largest brush the slider offers: half the longer side (enough to wipe an image in a few strokes). */
export function maxBrush(size: Size): number {
  return Math.max(16, Math.round(Math.max(size.width, size.height) / 2));
}
