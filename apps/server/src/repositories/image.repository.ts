import { Injectable } from '@nestjs/common';
import { fromBuffer } from 'file-type';
import sharp from 'sharp';

export type EncodedFormat = 'png' | 'jpeg' | 'webp';

export interface ImageHeader {
  format: string;
  width: number;
  height: number;
  hasAlpha: boolean;
}

/** Raw pixels as nodes pass them (PreviewImage / ImageValue). */
export interface RawImage {
  width: number;
  height: number;
  channels: 3 | 4;
  data: Uint8Array;
}

/** One-channel mask pixels (255 = masked), as nodes pass them (MaskValue). */
export interface RawMask {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Image decoding and encoding (libvips through sharp, magic bytes through file-type). */
@Injectable()
export class ImageRepository {
  /** The type told by the file's magic bytes, whatever its name or the client's content type says. */
  async sniff(bytes: Buffer): Promise<{ ext: string; mime: string } | undefined> {
    return fromBuffer(bytes);
  }

  /** Reads only the header: no pixel is decoded, so a bomb costs nothing here. */
  async header(bytes: Buffer): Promise<ImageHeader> {
    const m = await sharp(bytes, { limitInputPixels: false }).metadata();
    // Orientations 5–8 swap the axes once applied.
    const swap = (m.orientation ?? 1) >= 5;
    const width = m.width ?? 0;
    const height = m.height ?? 0;
    return {
      format: m.format ?? 'unknown',
      width: swap ? height : width,
      height: swap ? width : height,
      hasAlpha: m.hasAlpha === true,
    };
  }

  /**
   * Decodes (bounded by maxPixels), applies the EXIF orientation, converts to
   * sRGB and encodes again; sharp writes no metadata unless asked, so EXIF,
   * GPS and ICC text are dropped.
   */
  async reencode(
    bytes: Buffer,
    format: EncodedFormat,
    maxPixels: number,
  ): Promise<{ bytes: Buffer; width: number; height: number }> {
    let p = sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error', pages: 1 })
      .rotate()
      .toColourspace('srgb');
    if (format === 'png') p = p.png({ compressionLevel: 6 });
    else if (format === 'jpeg') p = p.jpeg({ quality: 95, mozjpeg: false });
    else p = p.webp({ quality: 95 });
    const { data, info } = await p.toBuffer({ resolveWithObject: true });
    return { bytes: data, width: info.width, height: info.height };
  }

  async thumbnail(bytes: Buffer, size: number): Promise<Buffer> {
    return sharp(bytes, { failOn: 'none' })
      .resize(size, size, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 80 })
      .toBuffer();
  }

  /** The image without its alpha channel, as a lossless PNG; the colour of transparent pixels kept as stored. */
  async withoutAlpha(image: Buffer, maxPixels: number): Promise<Buffer> {
    return sharp(image, { limitInputPixels: maxPixels, failOn: 'error', pages: 1 })
      .removeAlpha()
      .png({ compressionLevel: 6 })
      .toBuffer();
  }

  /**
   * The image with `mask` as its alpha, as PNG: RGB untouched, alpha =
   * 255 − the mask's luminance, so Load Image selects what was painted (the
   * ComfyUI convention: masked = transparent). A transparent part of the mask
   * counts as black (not masked). The sizes must match; the caller checks.
   */
  async withMaskAsAlpha(
    image: Buffer,
    mask: Buffer,
    maxPixels: number,
  ): Promise<{ bytes: Buffer; width: number; height: number }> {
    const m = await sharp(mask, { limitInputPixels: maxPixels, failOn: 'error', pages: 1 })
      .rotate()
      .flatten({ background: '#000000' })
      .toColourspace('b-w')
      .extractChannel(0)
      .negate()
      .raw()
      .toBuffer({ resolveWithObject: true });
    // Two pipelines: sharp applies removeAlpha after joinChannel within one, which would drop the new alpha.
    const rgb = await sharp(image, { limitInputPixels: maxPixels, failOn: 'error', pages: 1 })
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const { data, info } = await sharp(rgb.data, {
      raw: { width: rgb.info.width, height: rgb.info.height, channels: rgb.info.channels },
    })
      .joinChannel(m.data, { raw: { width: m.info.width, height: m.info.height, channels: 1 } })
      .png({ compressionLevel: 6 })
      .toBuffer({ resolveWithObject: true });
    return { bytes: data, width: info.width, height: info.height };
  }

  /**
   * A small grayscale PNG data URL of masks (white = masked; several are
   * united): each is shrunk first, so the union is computed on the small picture.
   */
  async maskPreviewDataUrl(
    masks: RawMask[],
    maxSide: number,
  ): Promise<{ url: string; width: number; height: number }> {
    if (!masks.length) throw new Error('no mask to preview');
    const small = await Promise.all(
      masks.map((m) =>
        sharp(m.data, { raw: { width: m.width, height: m.height, channels: 1 } })
          .resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true })
          // libvips hands one-channel raw input back as sRGB: keep one channel.
          .extractChannel(0)
          .raw()
          .toBuffer({ resolveWithObject: true }),
      ),
    );
    const { info } = small[0];
    const union = Buffer.from(small[0].data);
    for (const s of small.slice(1)) {
      if (s.info.width !== info.width || s.info.height !== info.height) continue;
      for (let i = 0; i < union.length; i++) if (s.data[i] > union[i]) union[i] = s.data[i];
    }
    const png = await sharp(union, { raw: { width: info.width, height: info.height, channels: 1 } })
      .toColourspace('b-w')
      .png()
      .toBuffer();
    return { url: `data:image/png;base64,${png.toString('base64')}`, width: info.width, height: info.height };
  }

  /** A small JPEG data URL of raw pixels, for progress previews. */
  async previewDataUrl(
    image: RawImage,
    maxSide: number,
  ): Promise<{ url: string; width: number; height: number }> {
    const { data, info } = await sharp(image.data, {
      raw: { width: image.width, height: image.height, channels: image.channels },
    })
      .resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true })
      .flatten({ background: '#ffffff' })
      .jpeg({ quality: 70 })
      .toBuffer({ resolveWithObject: true });
    return {
      url: `data:image/jpeg;base64,${data.toString('base64')}`,
      width: info.width,
      height: info.height,
    };
  }
}
