import sharp from 'sharp';
import { z } from 'zod';
import { UserError } from '@maskflow/workflow';
import type { ImageValue, InputFile } from '../../contract';
import { defineNode, maskValue, port } from '../../contract';
import { imageFromSharp, MAX_IMAGE_PIXELS } from './image-utils';

const FORMAT_LIST = 'PNG, JPEG, WebP, GIF, TIFF, AVIF';
/** sharp's names of the formats we accept; SVG, PDF and the like are refused (they can reference outside resources). */
const ACCEPTED = new Set(['png', 'jpeg', 'webp', 'gif', 'tiff', 'heif']);

/**
 * Recognises accepted formats by their magic bytes, so anything else is
 * refused before libvips parses it at all.
 */
export function sniffImageFormat(b: Uint8Array): string | undefined {
  const ascii = (from: number, to: number) => String.fromCharCode(...b.subarray(from, to));
  if (b.length >= 8 && b[0] === 0x89 && ascii(1, 4) === 'PNG' && b[4] === 0x0d && b[5] === 0x0a) return 'png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  if (b.length >= 6 && (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a')) return 'gif';
  if (b.length >= 4 && (ascii(0, 4) === 'II*\0' || ascii(0, 4) === 'MM\0*')) return 'tiff';
  if (b.length >= 12 && ascii(4, 8) === 'ftyp' && /^(avif|avis|heic|heix|mif1|msf1)$/.test(ascii(8, 12)))
    return 'heif';
  return undefined;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export const LoadImageNode = defineNode({
  type: 'LoadImage',
  version: 1,
  title: 'Load Image',
  category: 'image',
  description:
    'Reads a PNG, JPEG, WebP, GIF, TIFF or AVIF file, applies its EXIF orientation and converts it to 8-bit sRGB. ' +
    'Alpha is kept when present; the mask output is selected where the image is transparent (ComfyUI convention), ' +
    'and empty when the file has no alpha.',
  inputs: {},
  outputs: {
    image: port('IMAGE'),
    mask: port('MASK', {
      description: 'Selected (255) where the image is transparent; all 0 without alpha.',
    }),
  },
  params: z.object({
    image: z
      .string()
      .min(1, 'choose an image')
      .describe('The image file (an upload or a path)')
      .meta({ widget: 'image-upload' }),
    maxPixels: z
      .number()
      .int()
      .min(1)
      .max(MAX_IMAGE_PIXELS)
      .default(64_000_000)
      .describe('Larger images are refused before they are decoded (width × height)')
      .meta({ step: 1_000_000 }),
  }),
  // A path param may name a file whose content changed since the last run.
  fingerprint: (params, ctx) => ctx.artifacts.fingerprintInput(params.image),

  async execute({ params, ctx }) {
    let file: InputFile;
    try {
      file = await ctx.artifacts.readInput(params.image);
    } catch (err) {
      if (err instanceof UserError)
        throw new UserError(err.message, { code: err.code, field: 'image', cause: err });
      throw err;
    }
    const name = `"${file.name}"`;
    if (!sniffImageFormat(file.bytes)) {
      throw new UserError(`${name} is not an image (${FORMAT_LIST})`, {
        code: 'not-an-image',
        field: 'image',
      });
    }

    // Header only: sharp's own pixel limit is switched off here so we can report the real size ourselves.
    let meta: sharp.Metadata;
    try {
      meta = await sharp(file.bytes, { limitInputPixels: false }).metadata();
    } catch (err) {
      throw new UserError(`${name} is not a readable image: ${errorMessage(err)}`, {
        code: 'corrupt-image',
        field: 'image',
        cause: err,
      });
    }
    if (!ACCEPTED.has(meta.format ?? '')) {
      throw new UserError(`${name} is ${meta.format ?? 'an unknown format'}, not an image (${FORMAT_LIST})`, {
        code: 'not-an-image',
        field: 'image',
      });
    }
    const { width, height } = meta;
    if (!width || !height) {
      throw new UserError(`${name} has no size in its header`, { code: 'corrupt-image', field: 'image' });
    }
    if (width * height > params.maxPixels) {
      throw new UserError(
        `${name} is ${width}×${height} = ${width * height} pixels; the limit is ${params.maxPixels} (param maxPixels)`,
        { code: 'too-many-pixels', field: 'image' },
      );
    }
    ctx.throwIfAborted();

    const hasAlpha = meta.hasAlpha === true;
    // limitInputPixels again: the decoder re-reads the header, and must not trust it more than we did.
    let pipeline = sharp(file.bytes, {
      limitInputPixels: params.maxPixels,
      failOn: 'error',
      autoOrient: true,
    })
      // Greyscale, CMYK and 16-bit inputs all become 8-bit sRGB.
      .toColourspace('srgb');
    pipeline = hasAlpha ? pipeline.ensureAlpha() : pipeline.removeAlpha();
    let image: ImageValue;
    try {
      image = await imageFromSharp(pipeline);
    } catch (err) {
      throw new UserError(`${name} could not be decoded: ${errorMessage(err)}`, {
        code: 'corrupt-image',
        field: 'image',
        cause: err,
      });
    }

    const mask = maskValue(image.width, image.height);
    if (image.channels === 4) {
      const px = image.data;
      const m = mask.data;
      for (let i = 0, j = 3; i < m.length; i++, j += 4) m[i] = 255 - px[j];
    }
    return { image, mask };
  },
});
