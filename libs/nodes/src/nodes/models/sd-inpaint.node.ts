import { z } from 'zod';
import {
  cropMaskToModel,
  cropToModel,
  DEFAULT_SD_RESOLUTION,
  downloadProgress,
  MAX_SEED,
  maskBounds,
  modelFingerprint,
  modelHostFrom,
  PipelineRegistry,
  planRegion,
  resolveSeed,
  SCHEDULER_NAMES,
  SdInpaintPipeline,
  stitchIntoImage,
  tryModelFingerprint,
} from '@maskflow/pipelines';
import type { RgbPreview } from '@maskflow/pipelines';
import { defineNode, imageValue, port } from '../../contract';
import type { ImageValue } from '../../contract';
import { blurMask } from '../../ops/blur';
import { growShrinkMask } from '../../ops/morphology';
import { assertSameSize } from '../image/image-utils';

export const SD_INPAINT_DEFAULT_MODEL = 'sd-1.5-inpainting';

/** Loaded SD pipelines (four sessions each), kept warm between runs (see PipelineRegistry). */
export const sdInpaintPipelines = new PipelineRegistry<SdInpaintPipeline>();

function previewImage(p: RgbPreview): ImageValue {
  return imageValue(p.width, p.height, 3, p.data);
}

export const SdInpaintNode = defineNode({
  type: 'SDInpaint',
  version: 1,
  title: 'SD Inpaint',
  category: 'generate',
  description:
    'Repaints the masked part of the image from a text prompt with Stable Diffusion inpainting. The mask is grown, ' +
    "a context box around it is inpainted at the model's resolution and pasted back through the feathered mask: " +
    'every pixel outside the grown and blurred mask keeps its exact input value. Outputs the image and the seed used.',
  inputs: {
    image: port('IMAGE'),
    mask: port('MASK', { description: 'White (≥ 128) = repaint; same size as the image.' }),
  },
  outputs: {
    image: port('IMAGE'),
    seed: port('NUMBER', { description: 'The seed used (a fresh one when the seed param is −1).' }),
  },
  params: z.object({
    prompt: z.string().default('').describe('What to paint into the masked area').meta({ multiline: true }),
    negativePrompt: z
      .string()
      .default('')
      .describe('What to steer away from (classifier-free guidance)')
      .meta({ multiline: true }),
    steps: z
      .number()
      .int()
      .min(1)
      .max(150)
      .default(25)
      .describe('Denoising steps')
      .meta({ widget: 'slider', step: 1 }),
    guidance: z
      .number()
      .min(0)
      .max(30)
      .default(7.5)
      .describe('Classifier-free guidance scale; ≤ 1 turns guidance off')
      .meta({ widget: 'slider', step: 0.5 }),
    seed: z
      .number()
      .int()
      .min(-1)
      .max(MAX_SEED)
      .default(-1)
      .describe('Noise seed; −1 = a new random seed each run')
      .meta({ widget: 'seed' }),
    scheduler: z
      .enum(['default', ...SCHEDULER_NAMES])
      .default('default')
      .describe("Sampler; default = the one in the model's scheduler_config.json (PNDM for SD 1.5)"),
    strength: z
      .number()
      .gt(0)
      .max(1)
      .default(1)
      .describe('1 = paint the masked area from scratch; lower keeps more of what is there')
      .meta({ widget: 'slider', step: 0.05 }),
    growMask: z
      .number()
      .int()
      .min(0)
      .max(256)
      .default(8)
      .describe('Grow the mask by this many pixels before inpainting')
      .meta({ widget: 'slider', step: 1 }),
    maskBlur: z
      .number()
      .int()
      .min(0)
      .max(256)
      .default(8)
      .describe('Feather the paste-back edge over this many pixels')
      .meta({ widget: 'slider', step: 1 }),
    regionMode: z
      .enum(['masked', 'whole'])
      .default('masked')
      .describe(
        "masked: inpaint a box around the mask at the model's resolution; whole: the whole picture, scaled to it",
      ),
    contextPadding: z
      .number()
      .int()
      .min(0)
      .max(4096)
      .default(64)
      .describe('Pixels of surrounding image around the mask the model sees (masked mode)')
      .meta({ widget: 'slider', step: 8 }),
    resolution: z
      .number()
      .int()
      .min(128)
      .max(2048)
      .multipleOf(64)
      .default(DEFAULT_SD_RESOLUTION)
      .describe(
        'Side of the square the model works best at (512 for SD 1.5/2 inpainting); the inpainted area has about this many pixels squared',
      )
      .meta({ widget: 'slider', step: 64 }),
    model: z
      .string()
      .min(1)
      .default(SD_INPAINT_DEFAULT_MODEL)
      .describe('Model id: an SD inpainting ONNX export')
      .meta({ widget: 'model', kind: 'sd-inpaint' }),
    variant: z
      .string()
      .min(1)
      .optional()
      .describe('Files variant (e.g. fp16); empty = the model default')
      .meta({ widget: 'model-variant' }),
  }),
  models: [SD_INPAINT_DEFAULT_MODEL],
  // A random seed makes a new image every run: never served from cache.
  cacheable: (p) => p.seed !== -1,
  fingerprint: async (params, ctx) => {
    try {
      const host = modelHostFrom(ctx.services, 'SDInpaint');
      return await tryModelFingerprint(host.models, params.model, 'sd-inpaint', params.variant);
    } catch {
      return 'no-model-host';
    }
  },

  async execute({ inputs: { image, mask }, params, ctx }) {
    assertSameSize(image, mask, 'mask', 'the mask');
    const seed = resolveSeed(params.seed);
    const { width, height } = image;
    ctx.throwIfAborted();
    // Inpaint mask: hard, grown. Composite alpha: that mask feathered; alpha 0 = untouched bytes.
    const grown = growShrinkMask(mask.data, width, height, params.growMask);
    const alpha = params.maskBlur > 0 ? blurMask(grown, width, height, params.maskBlur) : grown;
    const changed = maskBounds(alpha, width, height);
    if (!maskBounds(grown, width, height, 128) || !changed) {
      ctx.warn('the mask is empty: nothing to inpaint, the image is returned unchanged');
      return { image, seed };
    }

    const host = modelHostFrom(ctx.services, 'SDInpaint');
    const model = await host.models.resolve(params.model, {
      kind: 'sd-inpaint',
      variant: params.variant,
      signal: ctx.signal,
      onProgress: downloadProgress((v, m, phase) => ctx.progress(v, m, undefined, phase)),
    });
    ctx.throwIfAborted();
    const fingerprint = await modelFingerprint(model);
    ctx.progress(0, 1, undefined, 'loading');
    const pipeline = await sdInpaintPipelines.get(
      host.inference,
      `${params.model}@${params.variant ?? ''}`,
      fingerprint,
      () => SdInpaintPipeline.load(host.inference, model.files, { fingerprint, signal: ctx.signal }),
    );
    ctx.throwIfAborted();
    if (params.scheduler === 'default' && pipeline.schedulerNote) ctx.warn(pipeline.schedulerNote);

    const plan = planRegion({ width, height }, changed, {
      mode: params.regionMode,
      padding: params.contextPadding,
      resolution: params.resolution,
      fixedSize: pipeline.fixedSize,
    });
    let modelMask = cropMaskToModel(grown, width, plan);
    // A thin mask in a box larger than the model size can vanish when scaled down: then keep every touched pixel.
    if (!modelMask.includes(255)) modelMask = cropMaskToModel(grown, width, plan, 1e-6);
    const result = await pipeline.inpaint({
      image: cropToModel(image, plan),
      mask: modelMask,
      width: plan.size.width,
      height: plan.size.height,
      prompt: params.prompt,
      negativePrompt: params.negativePrompt,
      steps: params.steps,
      guidance: params.guidance,
      seed,
      scheduler: params.scheduler === 'default' ? undefined : params.scheduler,
      strength: params.strength,
      signal: ctx.signal,
      onStep: (done, total, preview) =>
        ctx.progress(done, total, preview && previewImage(preview), 'denoising'),
    });
    for (const w of result.warnings) ctx.warn(w);
    const t = result.timings;
    const runMs = t.steps.reduce((s, x) => s + x.runMs, 0);
    const loopMs = t.steps.reduce((s, x) => s + x.totalMs, 0);
    ctx.log.debug(
      `[${ctx.nodeId}] SDInpaint ${result.scheduler} seed ${seed}: box ${plan.box.width}×${plan.box.height}+${plan.box.x}+${plan.box.y} at ` +
        `${plan.size.width}×${plan.size.height}; text ${t.textMs.toFixed(0)} ms, encode ${t.encodeMs.toFixed(0)} ms, ` +
        `${t.steps.length} steps ${loopMs.toFixed(0)} ms (UNet ${runMs.toFixed(0)} ms), decode ${t.decodeMs.toFixed(0)} ms`,
    );
    ctx.throwIfAborted();
    const out = stitchIntoImage(image, result.image, plan, alpha);
    return { image: imageValue(width, height, image.channels, out), seed };
  },
});
