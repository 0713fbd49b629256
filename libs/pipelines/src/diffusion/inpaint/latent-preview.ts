/**
 * A cheap look at latents without the VAE: each of the 4 SD latent channels
 * contributes a fixed RGB colour (the linear fit A1111 and ComfyUI use for
 * their "approximate" previews of SD 1.x/2.x latents). One pixel per latent,
 * so a 512² inpaint previews at 64², a few kilobytes.
 */
const LATENT_RGB: ReadonlyArray<readonly [number, number, number]> = [
  [0.298, 0.207, 0.208],
  [0.187, 0.286, 0.173],
  [-0.158, 0.189, 0.264],
  [-0.184, -0.271, -0.473],
];

export interface RgbPreview {
  width: number;
  height: number;
  /** RGB, interleaved, 8 bits. */
  data: Uint8Array;
}

/** Latents [4, h, w] (batch item 0) → an h×w RGB image. */
export function latentPreview(latents: Float32Array, width: number, height: number): RgbPreview {
  const hw = width * height;
  if (latents.length < 4 * hw)
    throw new RangeError(`latents have ${latents.length} values, expected 4×${width}×${height}`);
  const data = new Uint8Array(hw * 3);
  for (let p = 0; p < hw; p++) {
    for (let c = 0; c < 3; c++) {
      let v = 0;
      for (let l = 0; l < 4; l++) v += latents[l * hw + p] * LATENT_RGB[l][c];
      data[p * 3 + c] = Math.min(255, Math.max(0, Math.round(((v + 1) / 2) * 255)));
    }
  }
  return { width, height, data };
}
