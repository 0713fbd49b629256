import { z } from 'zod';
import { UserError } from '@maskflow/workflow';
import type { SamBoxPrompt } from '@maskflow/pipelines';
import {
  downloadProgress,
  modelFingerprint,
  modelHostFrom,
  modelResolverFrom,
  PipelineRegistry,
  samEmbeddingCache,
  SamPipeline,
  tryModelFingerprint,
} from '@maskflow/pipelines';
import type { BoxesValue, MasksValue } from '../../contract';
import { defineNode, maskValue, port } from '../../contract';

export const SAM_DEFAULT_MODEL = 'mobile-sam';

/** Loaded SAM pipelines, kept warm between runs (see PipelineRegistry). */
export const samPipelines = new PipelineRegistry<SamPipeline>();

/** Boxes found on an image of another size (e.g. a downscaled copy) are scaled to this one. */
function boxesFor(
  boxes: BoxesValue | undefined,
  width: number,
  height: number,
): { boxes: SamBoxPrompt[]; rescaled: boolean } {
  if (!boxes) return { boxes: [], rescaled: false };
  const sx = boxes.width > 0 ? width / boxes.width : 1;
  const sy = boxes.height > 0 ? height / boxes.height : 1;
  return {
    boxes: boxes.boxes.map((b) => ({
      x1: b.x1 * sx,
      y1: b.y1 * sy,
      x2: b.x2 * sx,
      y2: b.y2 * sy,
      label: b.label,
    })),
    rescaled: sx !== 1 || sy !== 1,
  };
}

export const SamNode = defineNode({
  type: 'SAM',
  version: 1,
  title: 'Segment Anything',
  category: 'segment',
  description:
    'Turns boxes (e.g. from GroundingDINO) and/or clicked points into object masks with Segment Anything. ' +
    'Outputs one mask per box and their union. The image embedding is cached per image, so changing boxes or ' +
    'points on the same image reruns only the fast decoder.',
  inputs: {
    image: port('IMAGE'),
    boxes: port('BOXES', {
      optional: true,
      description: 'One object per box; empty boxes give an empty mask and a warning.',
    }),
  },
  outputs: {
    mask: port('MASK', { description: 'Union of all objects (255 = selected).' }),
    masks: port('MASKS', {
      description: 'One mask per box, with the predicted IoU as score and the box label.',
    }),
  },
  params: z.object({
    points: z
      .array(
        z.object({
          x: z.number().describe('Pixel x in the image'),
          y: z.number().describe('Pixel y in the image'),
          label: z
            .union([z.literal(1), z.literal(0)])
            .default(1)
            .describe('1 = part of the object, 0 = not part of it'),
        }),
      )
      .default([])
      .describe('Clicks in image pixels; with boxes they refine every box, alone they describe one object')
      .meta({ widget: 'points' }),
    model: z
      .string()
      .min(1)
      .default(SAM_DEFAULT_MODEL)
      .describe('Model id: mobile-sam (small, default) or sam-vit-b')
      .meta({ widget: 'model', kind: 'sam' }),
    variant: z
      .string()
      .min(1)
      .optional()
      .describe('Files variant, e.g. multi/single (MobileSAM) or fp16/int8 (ViT-B); empty = default'),
    maskChoice: z
      .enum(['single', 'best'])
      .default('single')
      .describe(
        "single: the decoder's single-mask answer (mask 0, what Grounded-SAM uses); best: the multimask answer with the highest predicted IoU",
      ),
    outputMode: z
      .enum(['binary', 'soft'])
      .default('binary')
      .describe('binary: 0/255 at logit 0; soft: the mask probability × 255'),
  }),
  models: [SAM_DEFAULT_MODEL, 'sam-vit-b'],
  // Same identity as the embedding cache's model part: replacing the files invalidates both.
  fingerprint: async (params, ctx) => {
    const models = modelResolverFrom(ctx.services);
    return models ? tryModelFingerprint(models, params.model, 'sam', params.variant) : 'no-model-host';
  },

  async execute({ inputs: { image, boxes }, params, ctx }) {
    const { width, height } = image;
    for (const [i, p] of params.points.entries()) {
      if (!(p.x >= 0 && p.x <= width && p.y >= 0 && p.y <= height)) {
        throw new UserError(`point ${i + 1} (${p.x}, ${p.y}) is outside the ${width}×${height} image`, {
          code: 'point-outside',
          field: 'points',
        });
      }
    }
    const prompts = boxesFor(boxes, width, height);
    if (prompts.rescaled && boxes)
      ctx.warn(
        `the boxes were found on a ${boxes.width}×${boxes.height} image; they were scaled to ${width}×${height}`,
      );
    const empty = {
      mask: maskValue(width, height),
      masks: { kind: 'masks', width, height, items: [] } satisfies MasksValue,
    };
    if (prompts.boxes.length === 0 && params.points.length === 0) {
      ctx.warn(
        boxes
          ? 'no boxes to segment (nothing was detected): the mask is empty'
          : 'nothing to segment: connect boxes or add points; the mask is empty',
      );
      return empty;
    }

    const host = modelHostFrom(ctx.services, 'SAM');
    const model = await host.models.resolve(params.model, {
      kind: 'sam',
      variant: params.variant,
      signal: ctx.signal,
      onProgress: downloadProgress((v, m, phase) => ctx.progress(v, m, undefined, phase)),
    });
    ctx.throwIfAborted();
    const fingerprint = await modelFingerprint(model);
    const pipeline = await samPipelines.get(
      host.inference,
      `${params.model}@${params.variant ?? ''}`,
      fingerprint,
      () =>
        SamPipeline.load(host.inference, model.files, {
          fingerprint,
          cache: samEmbeddingCache,
          signal: ctx.signal,
        }),
    );
    const result = await pipeline.segment(image, {
      boxes: prompts.boxes,
      points: params.points,
      maskChoice: params.maskChoice,
      outputMode: params.outputMode,
      signal: ctx.signal,
      onProgress: (done, total, phase) => ctx.progress(done, total, undefined, phase),
    });
    ctx.throwIfAborted();
    ctx.log.debug(
      `[${ctx.nodeId}] SAM: embedding ${result.embeddingCached ? 'from cache' : `encoded in ${result.ms.encode.toFixed(0)} ms`}, ` +
        `${result.objects.length} mask(s) decoded in ${result.ms.decode.toFixed(0)} ms`,
    );
    const items = result.objects.map((o) => ({
      mask: maskValue(width, height, o.mask),
      score: o.score,
      label: o.label,
    }));
    return {
      mask: maskValue(width, height, result.union),
      masks: { kind: 'masks', width, height, items } satisfies MasksValue,
    };
  },
});
