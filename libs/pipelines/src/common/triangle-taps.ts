/** The taps of a 1-D resampling filter: for each output sample, where it reads and with what weights. */
export interface TriangleTaps<W extends Float32Array | Float64Array> {
  /** First source index of each output sample. */
  start: Int32Array;
  /** Number of taps of each output sample. */
  count: Int32Array;
  /** `maxTaps` weights per output sample (normalized to sum 1). */
  weights: W;
  maxTaps: number;
}

/**
 * PIL's precompute_coeffs for the bilinear (triangle) filter: the support
 * widens with the downscale factor (antialiasing), and upscaling is plain
 * bilinear. The weights' precision is the caller's: SAM's preprocessing keeps
 * PIL's float32, crop-and-stitch works in float64.
 */
export function triangleTaps<W extends Float32Array | Float64Array>(
  inSize: number,
  outSize: number,
  Weights: new (length: number) => W,
): TriangleTaps<W> {
  const scale = inSize / outSize;
  const support = Math.max(scale, 1);
  const maxTaps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Weights(outSize * maxTaps);
  for (let o = 0; o < outSize; o++) {
    const centre = (o + 0.5) * scale;
    const lo = Math.max(Math.trunc(centre - support + 0.5), 0);
    const hi = Math.min(Math.trunc(centre + support + 0.5), inSize);
    const n = Math.min(hi - lo, maxTaps);
    let total = 0;
    for (let k = 0; k < n; k++) {
      const w = Math.max(0, 1 - Math.abs((lo + k - centre + 0.5) / support));
      weights[o * maxTaps + k] = w;
      total += w;
    }
    // Edge samples lose taps outside the image: renormalize so the border is not darkened.
    if (total > 0) for (let k = 0; k < n; k++) weights[o * maxTaps + k] /= total;
    start[o] = lo;
    count[o] = n;
  }
  return { start, count, weights, maxTaps };
}
