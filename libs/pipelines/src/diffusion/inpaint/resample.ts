/**
 * Separable resampling of interleaved float images with a triangle filter
 * whose support widens with the downscale factor (PIL's antialiased
 * BILINEAR). Crop-and-stitch scales a crop up or down to the model's size
 * and the result back; antialiasing keeps a downscale from aliasing fine
 * texture, and the same filter upscales as plain bilinear.
 */

interface Taps {
  start: Int32Array;
  count: Int32Array;
  weights: Float64Array;
  max: number;
}

function triangleTaps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const support = Math.max(scale, 1);
  const max = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * max);
  for (let o = 0; o < outSize; o++) {
    const centre = (o + 0.5) * scale;
    const lo = Math.max(Math.trunc(centre - support + 0.5), 0);
    const hi = Math.min(Math.trunc(centre + support + 0.5), inSize);
    const n = Math.min(hi - lo, max);
    let total = 0;
    for (let k = 0; k < n; k++) {
      const w = Math.max(0, 1 - Math.abs((lo + k - centre + 0.5) / support));
      weights[o * max + k] = w;
      total += w;
    }
    // Edge samples lose taps outside the image: renormalize so the border is not darkened.
    if (total > 0) for (let k = 0; k < n; k++) weights[o * max + k] /= total;
    start[o] = lo;
    count[o] = n;
  }
  return { start, count, weights, max };
}

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
  const tx = triangleTaps(sw, dw);
  const ty = triangleTaps(sh, dh);
  // Horizontal pass: sh rows of dw pixels.
  const mid = new Float32Array(dw * sh * channels);
  for (let y = 0; y < sh; y++) {
    const row = y * sw * channels;
    for (let x = 0; x < dw; x++) {
      const s = tx.start[x];
      const n = tx.count[x];
      const wo = x * tx.max;
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
    const wo = y * ty.max;
    for (let i = 0; i < stride; i++) {
      let acc = 0;
      for (let k = 0; k < n; k++) acc += ty.weights[wo + k] * mid[(s + k) * stride + i];
      out[y * stride + i] = acc;
    }
  }
  return out;
}
