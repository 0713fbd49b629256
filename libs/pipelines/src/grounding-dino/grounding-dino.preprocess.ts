/**
 * GroundingDINO image preprocessing, as transformers' GroundingDinoImageProcessor
 * does it from `preprocessor_config.json`: resize (a plain stretch to
 * `{height, width}`, or the DETR shortest/longest-edge rule), RGB rescaled by
 * 1/255, normalized with the ImageNet mean and std, NCHW. With batch size 1
 * there is no padding, so the pixel mask is all ones. A graph with static H,W
 * gets exactly that size.
 */
import { EnvironmentError } from '@maskflow/workflow';
import type { PlaneSize, RgbImage, RgbResampler } from '../sam/image-resample';
import { sharpBilinearResampler } from '../sam/image-resample';

export type GroundingDinoResize =
  | { kind: 'fixed'; height: number; width: number }
  | { kind: 'shortest-edge'; shortestEdge: number; longestEdge?: number };

export interface GroundingDinoPreprocessorConfig {
  resize: GroundingDinoResize | null;
  rescaleFactor: number;
  mean: [number, number, number];
  std: [number, number, number];
}

const IMAGENET_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
const IMAGENET_STD: [number, number, number] = [0.229, 0.224, 0.225];

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function triple(v: unknown, fallback: [number, number, number], name: string): [number, number, number] {
  if (v === undefined) return fallback;
  if (typeof v === 'number') return [v, v, v];
  if (Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number')) return [v[0], v[1], v[2]];
  throw new EnvironmentError(`preprocessor_config.json: ${name} must be three numbers`, {
    code: 'model-invalid',
  });
}

/** Reads the fields of preprocessor_config.json that matter here; defaults are transformers'. */
export function parsePreprocessorConfig(json: unknown): GroundingDinoPreprocessorConfig {
  if (typeof json !== 'object' || json === null)
    throw new EnvironmentError('preprocessor_config.json is not a JSON object', { code: 'model-invalid' });
  const c = json as Record<string, unknown>;
  let resize: GroundingDinoResize | null = null;
  if (c.do_resize !== false) {
    const size = c.size;
    const s = typeof size === 'object' && size !== null ? (size as Record<string, unknown>) : {};
    const h = num(s.height);
    const w = num(s.width);
    const shortest = num(s.shortest_edge) ?? num(size);
    const longest = num(s.longest_edge) ?? num(c.max_size);
    if (h !== undefined && w !== undefined) resize = { kind: 'fixed', height: h, width: w };
    else if (shortest !== undefined)
      resize = { kind: 'shortest-edge', shortestEdge: shortest, longestEdge: longest };
    else resize = { kind: 'shortest-edge', shortestEdge: 800, longestEdge: 1333 };
  }
  const normalize = c.do_normalize !== false;
  return {
    resize,
    rescaleFactor: c.do_rescale === false ? 1 : (num(c.rescale_factor) ?? 1 / 255),
    mean: normalize ? triple(c.image_mean, IMAGENET_MEAN, 'image_mean') : [0, 0, 0],
    std: normalize ? triple(c.image_std, IMAGENET_STD, 'image_std') : [1, 1, 1],
  };
}

/** Python's round(): halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * transformers' get_size_with_aspect_ratio (the DETR rule): the short side
 * becomes `shortestEdge` unless that makes the long side exceed `longestEdge`,
 * in which case the long side is capped and the short side follows.
 */
export function detrResizedSize(original: PlaneSize, shortestEdge: number, longestEdge?: number): PlaneSize {
  const { height, width } = original;
  let size = shortestEdge;
  let raw: number | undefined;
  if (longestEdge !== undefined) {
    const minSide = Math.min(height, width);
    const maxSide = Math.max(height, width);
    if ((maxSide / minSide) * size > longestEdge) {
      raw = (longestEdge * minSide) / maxSide;
      size = roundHalfEven(raw);
    }
  }
  if ((height <= width && height === size) || (width <= height && width === size)) return { height, width };
  if (width < height) {
    return { width: size, height: Math.trunc(((raw ?? size) * height) / width) };
  }
  return { height: size, width: Math.trunc(((raw ?? size) * width) / height) };
}

/** The size the model gets: the graph's static H,W when it has them, else the config's rule. */
export function groundingDinoInputSize(
  original: PlaneSize,
  config: GroundingDinoPreprocessorConfig,
  staticSize?: PlaneSize,
): PlaneSize {
  if (staticSize) return staticSize;
  const r = config.resize;
  if (!r) return { width: original.width, height: original.height };
  if (r.kind === 'fixed') return { height: r.height, width: r.width };
  return detrResizedSize(original, r.shortestEdge, r.longestEdge);
}

/** pixel_values [1,3,H,W] as float32. */
export async function groundingDinoPixelValues(
  image: RgbImage,
  size: PlaneSize,
  config: GroundingDinoPreprocessorConfig,
  resample: RgbResampler = sharpBilinearResampler,
): Promise<Float32Array> {
  return groundingDinoPixelValuesFromResized(await resample(image, size), size, config);
}

/** pixel_values from the already resized RGB (0–255, interleaved). */
export function groundingDinoPixelValuesFromResized(
  rgb: Float32Array,
  size: PlaneSize,
  config: GroundingDinoPreprocessorConfig,
): Float32Array {
  const plane = size.width * size.height;
  const out = new Float32Array(3 * plane);
  const f = config.rescaleFactor;
  for (let c = 0; c < 3; c++) {
    const m = config.mean[c];
    const s = config.std[c];
    const o = c * plane;
    for (let i = 0; i < plane; i++) out[o + i] = (rgb[i * 3 + c] * f - m) / s;
  }
  return out;
}
