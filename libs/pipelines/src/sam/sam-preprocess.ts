/**
 * Segment Anything image preprocessing (segment-anything `ResizeLongestSide`
 * and `Sam.preprocess`): resize so the long side is 1024, then either hand the
 * 0–255 HWC image to an encoder that normalizes and pads inside its graph, or
 * normalize and zero-pad to 1024×1024 NCHW ourselves. Which one is read from
 * the encoder input's rank.
 */
import type { TensorMetadata } from '@maskflow/inference';
import type { PlaneSize, RgbImage, RgbResampler } from './image-resample';
import { sharpBilinearResampler } from './image-resample';

export const SAM_IMAGE_SIZE = 1024;
export const SAM_PIXEL_MEAN: readonly number[] = [123.675, 116.28, 103.53];
export const SAM_PIXEL_STD: readonly number[] = [58.395, 57.12, 57.375];

export type SamEncoderLayout = 'hwc' | 'nchw';

/**
 * ResizeLongestSide.get_preprocess_shape: s = 1024 / max(h, w), new size
 * (int(h·s + 0.5), int(w·s + 0.5)). 1800×1200 (w×h) → 1024×683.
 */
export function samResizedSize(original: PlaneSize, longSide: number = SAM_IMAGE_SIZE): PlaneSize {
  const scale = longSide / Math.max(original.height, original.width);
  return {
    height: Math.trunc(original.height * scale + 0.5),
    width: Math.trunc(original.width * scale + 0.5),
  };
}

/** HWC [H,W,3] (0–255, long side 1024) or NCHW [1,3,1024,1024] (normalized, padded), by the input's rank. */
export function samEncoderLayout(input: TensorMetadata): SamEncoderLayout | undefined {
  if (input.shape.length === 3) return 'hwc';
  if (input.shape.length === 4) return 'nchw';
  return undefined;
}

export interface SamEncoderImage {
  dims: number[];
  data: Float32Array;
  resized: PlaneSize;
}

/**
 * Builds the encoder's input from the image. `fixedHwc` is a static [H,W] of
 * an HWC input (some exports fix it at 1024×1024): the image is padded
 * bottom/right with the pixel mean, which is what zero padding after
 * normalization amounts to.
 */
export async function samEncoderImage(
  image: RgbImage,
  layout: SamEncoderLayout,
  fixedHwc?: PlaneSize,
  resample: RgbResampler = sharpBilinearResampler,
): Promise<SamEncoderImage> {
  const resized = samResizedSize(image);
  return samEncoderInput(await resample(image, resized), resized, layout, fixedHwc);
}

/** The encoder's input from the already resized RGB (0–255, interleaved). */
export function samEncoderInput(
  rgb: Float32Array,
  resized: PlaneSize,
  layout: SamEncoderLayout,
  fixedHwc?: PlaneSize,
): SamEncoderImage {
  if (layout === 'hwc') {
    if (!fixedHwc || (fixedHwc.width === resized.width && fixedHwc.height === resized.height)) {
      return { dims: [resized.height, resized.width, 3], data: rgb, resized };
    }
    const data = new Float32Array(fixedHwc.height * fixedHwc.width * 3);
    for (let i = 0; i < fixedHwc.height * fixedHwc.width; i++) {
      data[i * 3] = SAM_PIXEL_MEAN[0];
      data[i * 3 + 1] = SAM_PIXEL_MEAN[1];
      data[i * 3 + 2] = SAM_PIXEL_MEAN[2];
    }
    for (let y = 0; y < Math.min(resized.height, fixedHwc.height); y++) {
      const w = Math.min(resized.width, fixedHwc.width) * 3;
      data.set(rgb.subarray(y * resized.width * 3, y * resized.width * 3 + w), y * fixedHwc.width * 3);
    }
    return { dims: [fixedHwc.height, fixedHwc.width, 3], data, resized };
  }
  const S = SAM_IMAGE_SIZE;
  const plane = S * S;
  const data = new Float32Array(3 * plane); // zero padding bottom/right
  for (let y = 0; y < resized.height; y++) {
    for (let x = 0; x < resized.width; x++) {
      const p = (y * resized.width + x) * 3;
      const q = y * S + x;
      data[q] = (rgb[p] - SAM_PIXEL_MEAN[0]) / SAM_PIXEL_STD[0];
      data[plane + q] = (rgb[p + 1] - SAM_PIXEL_MEAN[1]) / SAM_PIXEL_STD[1];
      data[2 * plane + q] = (rgb[p + 2] - SAM_PIXEL_MEAN[2]) / SAM_PIXEL_STD[2];
    }
  }
  return { dims: [1, 3, S, S], data, resized };
}
