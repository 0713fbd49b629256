/**
 * The guidance-scale embedding of LCM-distilled UNets (`timestep_cond`), as
 * diffusers' `get_guidance_scale_embedding` (after VDM, Kingma et al. 2021):
 * w' = 1000·w, then [sin(w'·f_k), cos(w'·f_k)] with f_k = exp(−k·ln(10000)/(d/2 − 1)),
 * zero-padded to an odd `dim`. The pipelines pass w = guidance − 1 and then
 * skip classifier-free guidance: the UNet has guidance distilled in.
 */
const f32 = Math.fround;

export function guidanceScaleEmbedding(w: number, dim: number): Float32Array {
  if (!Number.isInteger(dim) || dim < 2)
    throw new RangeError(`guidance embedding size must be ≥ 2, got ${dim}`);
  const half = Math.floor(dim / 2);
  // torch: log(tensor(10000.)) / (half − 1), a float32 scalar; arange and exp in float32.
  const scale = f32(f32(Math.log(10000)) / (half - 1));
  const ws = f32(f32(w) * 1000);
  const out = new Float32Array(dim);
  for (let k = 0; k < half; k++) {
    const freq = f32(Math.exp(f32(k * -scale)));
    const arg = f32(ws * freq);
    out[k] = Math.sin(arg);
    out[half + k] = Math.cos(arg);
  }
  return out;
}
