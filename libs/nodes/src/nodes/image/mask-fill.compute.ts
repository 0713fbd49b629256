/**
 * MaskFill's pixel work, free of the node context so it runs the same inline
 * (small images) and in a CPU worker thread (see workers/cpu-tasks.ts): plain
 * data in, plain data out, warnings returned rather than reported.
 */
import type { CV } from '@techstark/opencv-js';
import { EnvironmentError } from '@maskflow/workflow';
import type { ImageValue } from '../../contract';

export type MaskFillMethod = 'telea' | 'ns' | 'blur' | 'color';

export interface MaskFillArgs {
  image: ImageValue;
  /** The soft mask, one byte per pixel, same size as the image. */
  mask: Uint8Array;
  method: MaskFillMethod;
  radius: number;
  /** Fill colour for "color", and the fallback when nothing is left to fill from. */
  rgb: [number, number, number];
  /** The colour as the user wrote it, for the warning. */
  colorLabel: string;
}

export interface MaskFillResult {
  /** The filled image's bytes; undefined when the image is unchanged. */
  data?: Uint8Array;
  warning?: string;
}

/** Inline, these are the node context's; in a worker, progress is posted back and cancellation terminates the thread. */
export interface MaskFillHooks {
  throwIfAborted?(): void;
  progress?(value: number, max: number): void;
}

/** Mask values at or above this are filled; softer ones only blend in the final composition. */
export const FILL_THRESHOLD = 128;

let openCv: Promise<{ cv: CV }> | undefined;
const OPENCV_INIT_TIMEOUT_MS = 60_000;

const PROCESS_EVENTS = ['uncaughtException', 'unhandledRejection'] as const;

/**
 * Emscripten's Node glue registers process-wide handlers on load: every
 * unhandled rejection anywhere in the host would call its `abort` (killing
 * the wasm runtime and then the process), and uncaught exceptions are
 * rethrown past the host's own handlers. The host owns the process, so the
 * handlers it added are removed again.
 */
function requireWithoutProcessHooks(): CV {
  // Typed as a plain emitter: process's overloads do not accept a union of event names.
  const emitter: NodeJS.EventEmitter = process;
  const before = new Map(PROCESS_EVENTS.map((e) => [e, new Set(emitter.listeners(e))]));
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('@techstark/opencv-js') as CV;
  } finally {
    for (const event of PROCESS_EVENTS) {
      for (const listener of emitter.listeners(event)) {
        if (!before.get(event)?.has(listener))
          emitter.removeListener(event, listener as (...args: unknown[]) => void);
      }
    }
  }
}

/**
 * opencv-js compiles its wasm on load (~0.5 s), so it is loaded on the first
 * fill that needs it and shared afterwards. The module object is a thenable
 * Emscripten module, so it is wrapped: resolving a promise with it directly
 * would recurse into its `then`.
 */
function loadOpenCv(): Promise<{ cv: CV }> {
  openCv ??= new Promise<{ cv: CV }>((resolve, reject) => {
    const cv = requireWithoutProcessHooks();
    const loading = cv as unknown as { Mat?: unknown; onRuntimeInitialized?: () => void };
    if (typeof loading.Mat === 'function') return resolve({ cv });
    // A failed wasm start never calls back; without a deadline every fill would wait forever.
    const timer = setTimeout(
      () => reject(new Error(`not initialized after ${OPENCV_INIT_TIMEOUT_MS} ms`)),
      OPENCV_INIT_TIMEOUT_MS,
    );
    timer.unref();
    const previous = loading.onRuntimeInitialized;
    loading.onRuntimeInitialized = () => {
      clearTimeout(timer);
      previous?.();
      resolve({ cv });
    };
  }).catch((err: unknown) => {
    openCv = undefined;
    throw new EnvironmentError(`OpenCV (@techstark/opencv-js) could not be loaded: ${String(err)}`, {
      code: 'opencv-unavailable',
      cause: err,
    });
  });
  return openCv;
}

interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Bounding box of the hole grown by `margin`, clipped to the image; undefined when there is no hole. */
function holeBounds(hole: Uint8Array, width: number, height: number, margin: number): Rect | undefined {
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i++) {
      if (!hole[i]) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      y1 = y;
    }
  }
  if (x1 < 0) return undefined;
  const x = Math.max(0, x0 - margin);
  const y = Math.max(0, y0 - margin);
  return { x, y, w: Math.min(width, x1 + margin + 1) - x, h: Math.min(height, y1 + margin + 1) - y };
}

/** Telea / Navier–Stokes inpainting of the hole's RGB, on the hole's neighbourhood only (much faster on big images). */
async function fillOpenCv(
  image: ImageValue,
  hole: Uint8Array,
  radius: number,
  method: 'telea' | 'ns',
  hooks: MaskFillHooks,
): Promise<Uint8Array> {
  const { cv } = await loadOpenCv();
  hooks.throwIfAborted?.();
  const { width, channels: ch } = image;
  // Both algorithms look only `radius` pixels around each filled pixel.
  const roi = holeBounds(hole, width, image.height, radius + 2);
  const fill = Uint8Array.from(image.data);
  if (!roi) return fill;
  const mats: Array<{ delete(): void }> = [];
  try {
    const src = new cv.Mat(roi.h, roi.w, cv.CV_8UC3);
    mats.push(src);
    const mask = new cv.Mat(roi.h, roi.w, cv.CV_8UC1);
    mats.push(mask);
    const dst = new cv.Mat();
    mats.push(dst);
    // `.data` is a view of the wasm heap, which may move when it grows: take it only after allocating.
    const s = src.data;
    const m = mask.data;
    for (let y = 0, k = 0; y < roi.h; y++) {
      for (let x = 0; x < roi.w; x++, k++) {
        const i = (roi.y + y) * width + roi.x + x;
        const p = i * ch;
        s[k * 3] = image.data[p];
        s[k * 3 + 1] = image.data[p + 1];
        s[k * 3 + 2] = image.data[p + 2];
        m[k] = hole[i] ? 255 : 0;
      }
    }
    cv.inpaint(src, mask, dst, radius, (method === 'ns' ? cv.INPAINT_NS : cv.INPAINT_TELEA) as number);
    const d = dst.data;
    for (let y = 0, k = 0; y < roi.h; y++) {
      for (let x = 0; x < roi.w; x++, k++) {
        const i = (roi.y + y) * width + roi.x + x;
        if (!hole[i]) continue;
        const p = i * ch;
        fill[p] = d[k * 3];
        fill[p + 1] = d[k * 3 + 1];
        fill[p + 2] = d[k * 3 + 2];
      }
    }
  } finally {
    for (const mat of mats) mat.delete();
  }
  return fill;
}

/** Largest chessboard distance from a hole pixel to the nearest known pixel (two-pass distance transform). */
function maxHoleDistance(hole: Uint8Array, width: number, height: number): number {
  const inf = width + height;
  const d = new Int32Array(hole.length);
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i++) {
      if (!hole[i]) continue;
      let v = inf;
      if (x > 0) v = Math.min(v, d[i - 1] + 1);
      if (y > 0) {
        v = Math.min(v, d[i - width] + 1);
        if (x > 0) v = Math.min(v, d[i - width - 1] + 1);
        if (x < width - 1) v = Math.min(v, d[i - width + 1] + 1);
      }
      d[i] = v;
    }
  }
  let max = 0;
  for (let y = height - 1, i = hole.length - 1; y >= 0; y--) {
    for (let x = width - 1; x >= 0; x--, i--) {
      if (!hole[i]) continue;
      let v = d[i];
      if (x < width - 1) v = Math.min(v, d[i + 1] + 1);
      if (y < height - 1) {
        v = Math.min(v, d[i + width] + 1);
        if (x < width - 1) v = Math.min(v, d[i + width + 1] + 1);
        if (x > 0) v = Math.min(v, d[i + width - 1] + 1);
      }
      d[i] = v;
      if (v > max) max = v;
    }
  }
  return max;
}

/**
 * In-place box blur of a w×h plane, radius r, zeros outside (the
 * normalisation divides that back out). Running sums, so the cost does not
 * depend on r; the vertical pass walks rows to stay cache-friendly, with
 * float64 sums so the adds and subtracts do not drift.
 */
function boxBlur(
  plane: Float32Array,
  w: number,
  h: number,
  r: number,
  tmp: Float32Array,
  sums: Float64Array,
): void {
  const norm = 1 / (2 * r + 1);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    let sum = 0;
    for (let x = 0; x < Math.min(r, w); x++) sum += plane[row + x];
    for (let x = 0; x < w; x++) {
      if (x + r < w) sum += plane[row + x + r];
      tmp[row + x] = sum * norm;
      if (x - r >= 0) sum -= plane[row + x - r];
    }
  }
  sums.fill(0, 0, w);
  for (let y = 0; y < Math.min(r, h); y++) {
    for (let x = 0, i = y * w; x < w; x++, i++) sums[x] += tmp[i];
  }
  for (let y = 0; y < h; y++) {
    if (y + r < h) for (let x = 0, i = (y + r) * w; x < w; x++, i++) sums[x] += tmp[i];
    for (let x = 0, i = y * w; x < w; x++, i++) plane[i] = sums[x] * norm;
    if (y - r >= 0) for (let x = 0, i = (y - r) * w; x < w; x++, i++) sums[x] -= tmp[i];
  }
}

/** Four planes of one pyramid level: R, G, B premultiplied by the weight, and the weight (1 = known pixel). */
interface Level {
  w: number;
  h: number;
  planes: Float32Array[];
}

/** Halves a level by averaging 2×2 blocks; pixels beyond the edge count as unknown (zero). */
function downsample(fine: Level): Level {
  const w = Math.ceil(fine.w / 2);
  const h = Math.ceil(fine.h / 2);
  const planes = fine.planes.map((src) => {
    const dst = new Float32Array(w * h);
    for (let y = 0; y < h; y++) {
      const y0 = 2 * y * fine.w;
      const y1 = 2 * y + 1 < fine.h ? y0 + fine.w : -1;
      for (let x = 0; x < w; x++) {
        const x0 = 2 * x;
        const x1ok = x0 + 1 < fine.w;
        let sum = src[y0 + x0] + (x1ok ? src[y0 + x0 + 1] : 0);
        if (y1 >= 0) sum += src[y1 + x0] + (x1ok ? src[y1 + x0 + 1] : 0);
        dst[y * w + x] = sum / 4;
      }
    }
    return dst;
  });
  return { w, h, planes };
}

/** Adds a bilinear upsampling of `coarse` (half size) into `fine`, plane by plane. */
function addUpsampled(coarse: Level, fine: Level): void {
  const xs = new Int32Array(fine.w * 2);
  const fx = new Float32Array(fine.w);
  for (let x = 0; x < fine.w; x++) {
    const u = Math.max(0, Math.min(coarse.w - 1, x / 2 - 0.25));
    const u0 = Math.floor(u);
    xs[2 * x] = u0;
    xs[2 * x + 1] = Math.min(coarse.w - 1, u0 + 1);
    fx[x] = u - u0;
  }
  for (let y = 0; y < fine.h; y++) {
    const v = Math.max(0, Math.min(coarse.h - 1, y / 2 - 0.25));
    const v0 = Math.floor(v);
    const fy = v - v0;
    const r0 = v0 * coarse.w;
    const r1 = Math.min(coarse.h - 1, v0 + 1) * coarse.w;
    for (let c = 0; c < fine.planes.length; c++) {
      const src = coarse.planes[c];
      const dst = fine.planes[c];
      for (let x = 0, i = y * fine.w; x < fine.w; x++, i++) {
        const a = xs[2 * x];
        const b = xs[2 * x + 1];
        const top = src[r0 + a] + (src[r0 + b] - src[r0 + a]) * fx[x];
        const bottom = src[r1 + a] + (src[r1 + b] - src[r1 + a]) * fx[x];
        dst[i] += top + (bottom - top) * fy;
      }
    }
  }
}

/**
 * Fills the hole from a heavy blur of its surroundings: normalised
 * convolution (blur of image × known, divided by blur of known) summed over
 * doubling radii, so pixels near the edge follow nearby colours and deep ones
 * get a smooth average from far away, without seams between scales. Each
 * larger radius runs on a half-size pyramid level with the same small
 * kernel, which keeps the whole fill linear in the image size.
 */
function fillBlur(image: ImageValue, hole: Uint8Array, radius: number, hooks: MaskFillHooks): Uint8Array {
  const { width, height, channels: ch } = image;
  const fill = Uint8Array.from(image.data);
  const dmax = maxHoleDistance(hole, width, height);
  const r0 = Math.max(1, radius);
  let levels = 1;
  while (r0 * 2 ** (levels - 1) < dmax) levels++;
  // Three box passes reach 3r; nothing further out can contribute.
  const roi = holeBounds(hole, width, height, 3 * r0 * 2 ** (levels - 1));
  if (!roi) return fill;

  const n = roi.w * roi.h;
  const base: Level = { w: roi.w, h: roi.h, planes: [0, 1, 2, 3].map(() => new Float32Array(n)) };
  for (let y = 0, k = 0; y < roi.h; y++) {
    for (let x = 0; x < roi.w; x++, k++) {
      const i = (roi.y + y) * width + roi.x + x;
      if (hole[i]) continue;
      const p = i * ch;
      base.planes[0][k] = image.data[p];
      base.planes[1][k] = image.data[p + 1];
      base.planes[2][k] = image.data[p + 2];
      base.planes[3][k] = 1;
    }
  }
  const pyramid = [base];
  while (
    pyramid.length < levels &&
    (pyramid[pyramid.length - 1].w > 1 || pyramid[pyramid.length - 1].h > 1)
  ) {
    pyramid.push(downsample(pyramid[pyramid.length - 1]));
  }

  // Coarse to fine: blur each level in place, then add it into the next finer one.
  const tmp = new Float32Array(n);
  const sums = new Float64Array(roi.w);
  for (let k = pyramid.length - 1; k >= 0; k--) {
    hooks.throwIfAborted?.();
    hooks.progress?.(pyramid.length - 1 - k, pyramid.length);
    const level = pyramid[k];
    for (const plane of level.planes) {
      for (let pass = 0; pass < 3; pass++) boxBlur(plane, level.w, level.h, r0, tmp, sums);
    }
    if (k + 1 < pyramid.length) addUpsampled(pyramid[k + 1], level);
  }
  hooks.progress?.(pyramid.length, pyramid.length);

  const [sr, sg, sb, sw] = base.planes;
  for (let y = 0, k = 0; y < roi.h; y++) {
    for (let x = 0; x < roi.w; x++, k++) {
      const i = (roi.y + y) * width + roi.x + x;
      if (!hole[i] || sw[k] <= 0) continue;
      const p = i * ch;
      fill[p] = Math.min(255, Math.max(0, Math.round(sr[k] / sw[k])));
      fill[p + 1] = Math.min(255, Math.max(0, Math.round(sg[k] / sw[k])));
      fill[p + 2] = Math.min(255, Math.max(0, Math.round(sb[k] / sw[k])));
    }
  }
  return fill;
}

function fillColor(image: ImageValue, hole: Uint8Array, rgb: [number, number, number]): Uint8Array {
  const fill = Uint8Array.from(image.data);
  for (let i = 0, p = 0; i < hole.length; i++, p += image.channels) {
    if (!hole[i]) continue;
    fill[p] = rgb[0];
    fill[p + 1] = rgb[1];
    fill[p + 2] = rgb[2];
  }
  return fill;
}

/**
 * Fills the pixels where mask ≥ FILL_THRESHOLD, then blends the fill with the
 * input through the soft mask, so pixels where the mask is 0 stay exact.
 */
export async function computeMaskFill(
  args: MaskFillArgs,
  hooks: MaskFillHooks = {},
): Promise<MaskFillResult> {
  const { image, mask, method, radius, rgb } = args;
  const hole = new Uint8Array(mask.length);
  let holes = 0;
  for (let i = 0; i < hole.length; i++) {
    if (mask[i] >= FILL_THRESHOLD) {
      hole[i] = 1;
      holes++;
    }
  }
  if (holes === 0) return { warning: 'the mask selects nothing (no value ≥ 128): the image is unchanged' };

  let warning: string | undefined;
  let fill: Uint8Array;
  if (method === 'color') {
    fill = fillColor(image, hole, rgb);
  } else if (holes === hole.length) {
    warning = `the mask covers the whole image, so there is nothing to fill from: filled with ${args.colorLabel}`;
    fill = fillColor(image, hole, rgb);
  } else if (method === 'blur') {
    fill = fillBlur(image, hole, radius, hooks);
  } else {
    fill = await fillOpenCv(image, hole, radius, method, hooks);
  }
  hooks.throwIfAborted?.();

  // Blend through the soft mask; fill equals the input outside the hole, so mask 0 (and < 128) stays exact.
  const ch = image.channels;
  const src = image.data;
  const out = Uint8Array.from(src);
  for (let i = 0, p = 0; i < hole.length; i++, p += ch) {
    const m = mask[i];
    if (m === 0) continue;
    for (let c = 0; c < 3; c++) out[p + c] = src[p + c] + Math.round(((fill[p + c] - src[p + c]) * m) / 255);
  }
  return { data: out, warning };
}
