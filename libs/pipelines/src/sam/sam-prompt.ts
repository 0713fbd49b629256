/**
 * Prompt encoding for the official SAM decoder export (segment-anything
 * `scripts/export_onnx_model.py` and its ONNX example notebook): clicks first,
 * then a box as two corner points labelled 2 (top-left) and 3 (bottom-right);
 * without a box, one padding point (0, 0) labelled −1. Coordinates go from the
 * original image to the resized (long side 1024) frame, per axis.
 */
import type { PlaneSize } from './image-resample';

export const SAM_LABEL = {
  background: 0,
  foreground: 1,
  boxTopLeft: 2,
  boxBottomRight: 3,
  padding: -1,
} as const;

export interface SamPoint {
  x: number;
  y: number;
  /** 1 = foreground (include), 0 = background (exclude). */
  label: 0 | 1;
}

export interface SamBox {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export interface SamPrompt {
  points?: readonly SamPoint[];
  box?: SamBox;
}

export interface EncodedPrompt {
  /** [1, N, 2] as a flat array: x, y per point, in the resized frame. */
  coords: Float32Array;
  /** [1, N]. */
  labels: Float32Array;
  count: number;
}

/** ResizeLongestSide.apply_coords: x·(neww/w), y·(newh/h). */
export function toResizedFrame(
  x: number,
  y: number,
  original: PlaneSize,
  resized: PlaneSize,
): [number, number] {
  return [x * (resized.width / original.width), y * (resized.height / original.height)];
}

export function encodeSamPrompt(prompt: SamPrompt, original: PlaneSize, resized: PlaneSize): EncodedPrompt {
  const xs: number[] = [];
  const ys: number[] = [];
  const labels: number[] = [];
  for (const p of prompt.points ?? []) {
    const [x, y] = toResizedFrame(p.x, p.y, original, resized);
    xs.push(x);
    ys.push(y);
    labels.push(p.label);
  }
  if (prompt.box) {
    const b = prompt.box;
    // Corners in order, whatever order the box was given in.
    const [x1, y1] = toResizedFrame(Math.min(b.x1, b.x2), Math.min(b.y1, b.y2), original, resized);
    const [x2, y2] = toResizedFrame(Math.max(b.x1, b.x2), Math.max(b.y1, b.y2), original, resized);
    xs.push(x1, x2);
    ys.push(y1, y2);
    labels.push(SAM_LABEL.boxTopLeft, SAM_LABEL.boxBottomRight);
  } else {
    // The decoder was exported expecting a box slot: an unused one is a padding point.
    xs.push(0);
    ys.push(0);
    labels.push(SAM_LABEL.padding);
  }
  const count = labels.length;
  const coords = new Float32Array(count * 2);
  for (let i = 0; i < count; i++) {
    coords[2 * i] = xs[i];
    coords[2 * i + 1] = ys[i];
  }
  return { coords, labels: Float32Array.from(labels), count };
}
