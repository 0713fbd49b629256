import sharp from 'sharp';
import { z } from 'zod';
import { UserError } from '@maskflow/workflow';
import type { ImageValue, MaskValue } from '../../contract';
import { imageValue, maskValue } from '../../contract';

/**
 * Largest image any node produces (sharp's own default input limit, 16383²):
 * an RGBA image this size is already ~1 GiB of raw pixels.
 */
export const MAX_IMAGE_PIXELS = 16383 * 16383;

/** Kernels offered by resizing nodes, mapped to sharp's names. */
export const RESIZE_KERNELS = ['lanczos3', 'bilinear', 'nearest'] as const;
export type ResizeKernel = (typeof RESIZE_KERNELS)[number];
const SHARP_KERNEL: Record<ResizeKernel, keyof sharp.KernelEnum> = {
  lanczos3: 'lanczos3',
  bilinear: 'linear',
  nearest: 'nearest',
};

export interface Size {
  width: number;
  height: number;
}

/** A `#rrggbb` colour param with a colour-picker widget. */
export function colorParam(defaultHex: string, description: string) {
  return z
    .string()
    .regex(/^#[0-9a-fA-F]{6}$/, 'a colour as #rrggbb')
    .default(defaultHex)
    .describe(description)
    .meta({ widget: 'color' });
}

/** `#rrggbb` → [r, g, b]; the param schema has already checked the form. */
export function parseHexColor(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

function sizeText(s: Size): string {
  return `${s.width}×${s.height}`;
}

/** Refuses an input whose size differs from the reference; `field` is the port the user must change. */
export function assertSameSize(reference: Size, actual: Size, field: string, what: string): void {
  if (reference.width !== actual.width || reference.height !== actual.height) {
    throw new UserError(`${what} is ${sizeText(actual)} but must match the image's ${sizeText(reference)}`, {
      code: 'size-mismatch',
      field,
    });
  }
}

/** Refuses an output size beyond MAX_IMAGE_PIXELS before any pixel is allocated. */
export function assertOutputSize(width: number, height: number, field: string): void {
  if (!Number.isFinite(width) || !Number.isFinite(height) || width < 1 || height < 1) {
    throw new UserError(`the output size ${width}×${height} is empty`, { code: 'bad-size', field });
  }
  if (width * height > MAX_IMAGE_PIXELS) {
    throw new UserError(
      `the output would be ${width}×${height} = ${width * height} pixels; the limit is ${MAX_IMAGE_PIXELS}`,
      { code: 'too-many-pixels', field },
    );
  }
}

/** A sharp pipeline reading the image's raw pixels (no copy). */
export function sharpFromImage(image: ImageValue): sharp.Sharp {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } });
}

/** Runs a pipeline to raw 8-bit RGB(A) pixels. */
export async function imageFromSharp(pipeline: sharp.Sharp): Promise<ImageValue> {
  const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 && info.channels !== 4) {
    // Callers normalise the colour space first; anything else is our bug, not the user's.
    throw new Error(`expected 3 or 4 channels from sharp, got ${info.channels}`);
  }
  return imageValue(
    info.width,
    info.height,
    info.channels,
    new Uint8Array(data.buffer, data.byteOffset, data.length),
  );
}

/** Resizes an image to exactly width×height (aspect not kept). */
export async function resizeImageExact(
  image: ImageValue,
  width: number,
  height: number,
  kernel: ResizeKernel = 'lanczos3',
): Promise<ImageValue> {
  if (image.width === width && image.height === height) return image;
  return imageFromSharp(
    sharpFromImage(image).resize(width, height, { fit: 'fill', kernel: SHARP_KERNEL[kernel] }),
  );
}

/** Resizes an image with sharp's fit rules; `kernel` is one of RESIZE_KERNELS. */
export async function resizeImage(
  image: ImageValue,
  width: number,
  height: number,
  fit: 'inside' | 'cover' | 'fill',
  kernel: ResizeKernel,
): Promise<ImageValue> {
  return imageFromSharp(
    sharpFromImage(image).resize(width, height, { fit, position: 'centre', kernel: SHARP_KERNEL[kernel] }),
  );
}

/** Resizes a mask to exactly width×height; bilinear keeps soft edges soft. */
export async function resizeMaskExact(mask: MaskValue, width: number, height: number): Promise<MaskValue> {
  if (mask.width === width && mask.height === height) return mask;
  const { data, info } = await sharp(mask.data, {
    raw: { width: mask.width, height: mask.height, channels: 1 },
  })
    .resize(width, height, { fit: 'fill', kernel: 'linear' })
    // sharp widens single-band raw input to sRGB on output; take one band back.
    .extractChannel(0)
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 1) throw new Error(`expected 1 channel from sharp, got ${info.channels}`);
  return maskValue(info.width, info.height, new Uint8Array(data.buffer, data.byteOffset, data.length));
}
