/**
 * Separable resampling of interleaved float images with a triangle filter
 * whose support widens with the downscale factor (PIL's antialiased
 * BILINEAR). Crop-and-stitch scales a crop up or down to the model's size
 * and the result back; antialiasing keeps a downscale from aliasing fine
 * texture, and the same filter upscales as plain bilinear.
 */

import { triangleTaps } from '../../common/triangle-taps';

/** Resizes an interleaved image of `channels` floats per pixel from sw×sh to dw×dh. */
export function resizeFloatImage(
  src: Float32Array,
  sw: number,
  sh: number,
  channels: number,
  dw: number,
  dh: number,
): Float32Array {
  if (src.length !== sw * sh * channels)
    throw new RangeError(`image has ${src.length} values, expected ${sw}×${sh}×${channels}`);
  if (sw === dw && sh === dh) return Float32Array.from(src);
  const tx = triangleTaps(sw, dw, Float64Array);
  const ty = triangleTaps(sh, dh, Float64Array);
  // Horizontal pass: sh rows of dw pixels.
  const mid = new Float32Array(dw * sh * channels);
  for (let y = 0; y < sh; y++) {
    const row = y * sw * channels;
    for (let x = 0; x < dw; x++) {
      const s = tx.start[x];
      const n = tx.count[x];
      const wo = x * tx.maxTaps;
      for (let c = 0; c < channels; c++) {
        let acc = 0;
        for (let k = 0; k < n; k++) acc += tx.weights[wo + k] * src[row + (s + k) * channels + c];
        mid[(y * dw + x) * channels + c] = acc;
      }
    }
  }
  const out = new Float32Array(dw * dh * channels);
  const stride = dw * channels;
  for (let y = 0; y < dh; y++) {
    const s = ty.start[y];
    const n = ty.count[y];
    const wo = y * ty.maxTaps;
    for (let i = 0; i < stride; i++) {
      let acc = 0;
      for (let k = 0; k < n; k++) acc += ty.weights[wo + k] * mid[(s + k) * stride + i];
      out[y * stride + i] = acc;
    }
  }
  return out;
}
