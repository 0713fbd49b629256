import type { PortType } from '@maskflow/workflow';

/**
 * In-memory values that flow along edges. Pixel data is raw, interleaved,
 * row-major, 8 bits per channel; nothing is re-encoded between nodes.
 */
export interface ImageValue {
  kind: 'image';
  width: number;
  height: number;
  /** 3 = RGB, 4 = RGBA (alpha kept when the source had it). */
  channels: 3 | 4;
  data: Uint8Array;
}

/** A single-channel mask, 0 = keep, 255 = selected; values between are soft (feathered) edges. */
export interface MaskValue {
  kind: 'mask';
  width: number;
  height: number;
  data: Uint8Array;
}

/** Several masks, one per object, each with a score. */
export interface MasksValue {
  kind: 'masks';
  width: number;
  height: number;
  items: Array<{ mask: MaskValue; score: number; label?: string }>;
}

export interface Box {
  /** Pixel coordinates, x2/y2 exclusive edges (xyxy). */
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  score: number;
  label: string;
}

export interface BoxesValue {
  kind: 'boxes';
  /** Size of the image the boxes refer to. */
  width: number;
  height: number;
  boxes: Box[];
}

/** A file the run produced (SaveImage). */
export interface ArtifactRef {
  kind: 'artifact';
  id: string;
  mime: string;
  bytes: number;
  width?: number;
  height?: number;
  /** Where it was written, when the store is a plain directory (CLI). */
  path?: string;
  name?: string;
}

export interface PortValueMap {
  IMAGE: ImageValue;
  MASK: MaskValue;
  MASKS: MasksValue;
  BOXES: BoxesValue;
  TEXT: string;
  NUMBER: number;
  ARTIFACT: ArtifactRef;
}

export type PortValue = PortValueMap[PortType];

/** Approximate bytes a value holds in memory, for the cache's byte budget. */
export function valueBytes(v: unknown): number {
  if (v === null || v === undefined) return 8;
  if (typeof v === 'string') return v.length * 2;
  if (typeof v === 'number' || typeof v === 'boolean') return 8;
  if (ArrayBuffer.isView(v)) return v.byteLength;
  if (Array.isArray(v)) return v.reduce((s: number, x) => s + valueBytes(x), 16);
  if (typeof v === 'object') {
    let s = 32;
    for (const x of Object.values(v as Record<string, unknown>)) s += valueBytes(x);
    return s;
  }
  return 8;
}

export function imageValue(width: number, height: number, channels: 3 | 4, data: Uint8Array): ImageValue {
  if (data.length !== width * height * channels) {
    throw new Error(`image data has ${data.length} bytes, expected ${width}×${height}×${channels}`);
  }
  return { kind: 'image', width, height, channels, data };
}

export function maskValue(width: number, height: number, data?: Uint8Array): MaskValue {
  const d = data ?? new Uint8Array(width * height);
  if (d.length !== width * height)
    throw new Error(`mask data has ${d.length} bytes, expected ${width}×${height}`);
  return { kind: 'mask', width, height, data: d };
}
