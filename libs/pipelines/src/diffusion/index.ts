/** Stable Diffusion inpainting: schedulers, CLIP tokenizer, seeded noise, the pipeline and crop-and-stitch compositing. */
export * from './schedulers';
export { ClipTokenizer } from './tokenizer/clip.tokenizer';
export type { ClipEncoding, ClipTokenizerSource } from './tokenizer/clip.tokenizer';
export {
  PhiloxNoise,
  philox4x32,
  resolveSeed,
  checkSeed,
  MAX_SEED,
  NOISE_STREAMS,
} from './noise/philox.noise';
export {
  SdInpaintPipeline,
  DEFAULT_SD_RESOLUTION,
  DEFAULT_VAE_SCALING_FACTOR,
} from './inpaint/sd-inpaint.pipeline';
export type {
  SdInpaintSessions,
  SdInpaintOptions,
  SdInpaintRequest,
  SdInpaintResult,
  StepTiming,
} from './inpaint/sd-inpaint.pipeline';
export { textEncoderIo, unetIo, vaeEncoderIo, vaeDecoderIo } from './inpaint/sd-inpaint.io';
export type { TextEncoderIo, UnetIo, VaeEncoderIo, VaeDecoderIo } from './inpaint/sd-inpaint.io';
export { latentPreview } from './inpaint/latent-preview';
export type { RgbPreview } from './inpaint/latent-preview';
export {
  maskBounds,
  modelSizeFor,
  planRegion,
  cropToModel,
  cropMaskToModel,
  stitchIntoImage,
} from './inpaint/crop-and-stitch';
export type { PixelBox, RegionMode, RegionOptions, RegionPlan, ImagePixels } from './inpaint/crop-and-stitch';
export { resizeFloatImage } from './inpaint/resample';
