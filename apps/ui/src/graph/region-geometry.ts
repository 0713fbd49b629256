/**
 * Pure geometry of the region widgets (boxes, points): pointer positions on a
 * scaled image ⇄ the image's natural pixels, the coordinates nodes compute in.
 */

export interface Size {
  width: number;
  height: number;
}

/** A position in natural image pixels (not rounded). */
export interface Pt {
  x: number;
  y: number;
}

/** A box as BoxesToMask takes it: image pixels, x2/y2 exclusive. */
export interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** A click as SAM takes it: 1 = part of the object, 0 = not part of it. */
export interface LabeledPoint {
  x: number;
  y: number;
  label: 0 | 1;
}

/** Where the image is drawn on screen (a DOMRect: zoom and scaling included). */
export interface Rect {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** A mouse movement below this many screen pixels is a click, not a drag. */
export const TAP_SLOP = 4;

const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);

/**
 * A screen position as natural image pixels: scaled by natural ÷ displayed
 * size, which includes the canvas zoom since `rect` is the drawn box.
 */
export function toImage(clientX: number, clientY: number, rect: Rect, natural: Size): Pt {
  const sx = rect.width > 0 ? natural.width / rect.width : 1;
  const sy = rect.height > 0 ? natural.height / rect.height : 1;
  return { x: (clientX - rect.left) * sx, y: (clientY - rect.top) * sy };
}

/**
 * Where a picture of `natural` size is drawn inside `box` by CSS
 * `object-fit: contain`: as large as fits, aspect kept, centred (the mask
 * painter's image and canvas scale up as well as down this way).
 */
export function containRect(box: Rect, natural: Size): Rect {
  const scale = Math.min(box.width / natural.width, box.height / natural.height);
  const width = natural.width * scale;
  const height = natural.height * scale;
  return {
    left: box.left + (box.width - width) / 2,
    top: box.top + (box.height - height) / 2,
    width,
    height,
  };
}

/**
 * The box a drag from `a` to `b` draws: either direction, edges rounded to
 * whole pixels (edges lie between pixels) and clipped to the image. A box
 * that is empty once rounded and clipped is no box.
 */
export function boxFromDrag(a: Pt, b: Pt, natural: Size): Box | undefined {
  const x1 = clamp(Math.round(Math.min(a.x, b.x)), 0, natural.width);
  const x2 = clamp(Math.round(Math.max(a.x, b.x)), 0, natural.width);
  const y1 = clamp(Math.round(Math.min(a.y, b.y)), 0, natural.height);
  const y2 = clamp(Math.round(Math.max(a.y, b.y)), 0, natural.height);
  return x2 > x1 && y2 > y1 ? { x1, y1, x2, y2 } : undefined;
}

/** The pixel a click lands on: whole pixel coordinates inside the image. */
export function pixelAt(p: Pt, natural: Size): { x: number; y: number } {
  return {
    x: clamp(Math.floor(p.x), 0, Math.max(0, natural.width - 1)),
    y: clamp(Math.floor(p.y), 0, Math.max(0, natural.height - 1)),
  };
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** The param as boxes, or undefined when it is not a list of {x1, y1, x2, y2} (then only JSON can fix it). */
export function boxesOf(value: unknown): Box[] | undefined {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return undefined;
  for (const b of value as unknown[]) {
    const o = b as Partial<Record<keyof Box, unknown>> | null;
    if (!o || typeof o !== 'object' || !isNum(o.x1) || !isNum(o.y1) || !isNum(o.x2) || !isNum(o.y2))
      return undefined;
  }
  return value as Box[];
}

/** The param as labelled points (label defaults to 1, as in the schema), or undefined when it is not one. */
export function pointsOf(value: unknown): LabeledPoint[] | undefined {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return undefined;
  const out: LabeledPoint[] = [];
  for (const p of value as unknown[]) {
    const o = p as Partial<Record<keyof LabeledPoint, unknown>> | null;
    if (!o || typeof o !== 'object' || !isNum(o.x) || !isNum(o.y)) return undefined;
    if (o.label !== undefined && o.label !== 0 && o.label !== 1) return undefined;
    out.push({ x: o.x, y: o.y, label: o.label === 0 ? 0 : 1 });
  }
  return out;
}

/** The box under a position: the smallest one that contains it (so a box inside another can be picked). */
export function boxAt(boxes: readonly Box[], p: Pt): number | undefined {
  let best: number | undefined;
  let bestArea = Infinity;
  boxes.forEach((b, i) => {
    const [l, r] = [Math.min(b.x1, b.x2), Math.max(b.x1, b.x2)];
    const [t, d] = [Math.min(b.y1, b.y2), Math.max(b.y1, b.y2)];
    if (p.x < l || p.x >= r || p.y < t || p.y >= d) return;
    const area = (r - l) * (d - t);
    if (area < bestArea) {
      best = i;
      bestArea = area;
    }
  });
  return best;
}

/** A natural-pixel length as a percentage of the image side, for CSS that scales with the image. */
export function pct(v: number, side: number): string {
  return `${side > 0 ? (v / side) * 100 : 0}%`;
}

/** Where to draw a box over the image, in percentages of the image (clipped by the frame). */
export function boxStyle(
  b: Box,
  natural: Size,
): { left: string; top: string; width: string; height: string } {
  const l = Math.min(b.x1, b.x2);
  const t = Math.min(b.y1, b.y2);
  return {
    left: pct(l, natural.width),
    top: pct(t, natural.height),
    width: pct(Math.abs(b.x2 - b.x1), natural.width),
    height: pct(Math.abs(b.y2 - b.y1), natural.height),
  };
}
