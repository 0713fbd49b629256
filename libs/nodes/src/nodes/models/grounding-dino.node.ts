import { z } from 'zod';
import {
  downloadProgress,
  GroundingDinoPipeline,
  modelFingerprint,
  modelHostFrom,
  modelResolverFrom,
  PipelineRegistry,
  tryModelFingerprint,
} from '@maskflow/pipelines';
import type { Box } from '../../contract';
import { defineNode, port } from '../../contract';

export const GROUNDING_DINO_DEFAULT_MODEL = 'grounding-dino-tiny';

/** Loaded GroundingDINO pipelines, kept warm between runs (see PipelineRegistry). */
export const groundingDinoPipelines = new PipelineRegistry<GroundingDinoPipeline>();

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

export const GroundingDinoNode = defineNode({
  type: 'GroundingDINO',
  version: 1,
  title: 'GroundingDINO',
  category: 'detect',
  description:
    'Finds the objects a text prompt names and outputs their boxes, each labelled with the phrase it matched. ' +
    'Several phrases are separated by "." (e.g. "dog . red mug"). Open-vocabulary detection with GroundingDINO; ' +
    'when nothing scores above the box threshold the boxes are empty and the node shows a warning.',
  inputs: { image: port('IMAGE') },
  outputs: {
    boxes: port('BOXES', {
      description: 'Pixel boxes (x1, y1, x2, y2) with score and phrase, highest score first.',
    }),
  },
  params: z.object({
    prompt: z
      .string()
      .min(1, 'name what to find, e.g. "dog . red mug"')
      .describe('What to find; separate several phrases with "." (e.g. "dog . red mug")')
      .meta({ multiline: true }),
    boxThreshold: z
      .number()
      .min(0)
      .max(1)
      .default(0.35)
      .describe('Keep a box when its best token probability is above this')
      .meta({ widget: 'slider', step: 0.01 }),
    textThreshold: z
      .number()
      .min(0)
      .max(1)
      .default(0.25)
      .describe('A word of the phrase counts as matched above this probability')
      .meta({ widget: 'slider', step: 0.01 }),
    maxDetections: z
      .number()
      .int()
      .min(1)
      .max(900)
      .default(100)
      .describe('Keep at most this many boxes (highest scores)'),
    nmsIou: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe(
        'Remove overlapping boxes of the same phrase above this IoU (off when empty; the model itself has no NMS)',
      )
      .meta({ widget: 'slider', step: 0.05 }),
    model: z
      .string()
      .min(1)
      .default(GROUNDING_DINO_DEFAULT_MODEL)
      .describe('Model id from the model manifest')
      .meta({ widget: 'model', kind: 'grounding-dino' }),
    variant: z
      .string()
      .min(1)
      .optional()
      .describe('Weights variant (dtype), e.g. fp32, fp16, q4f16; empty = the model default')
      .meta({ widget: 'model-variant' }),
  }),
  models: [GROUNDING_DINO_DEFAULT_MODEL],
  // The same model id may point to other files (a variant, a replaced download): they are part of the identity.
  fingerprint: async (params, ctx) => {
    const models = modelResolverFrom(ctx.services);
    return models
      ? tryModelFingerprint(models, params.model, 'grounding-dino', params.variant)
      : 'no-model-host';
  },

  async execute({ inputs: { image }, params, ctx }) {
    const host = modelHostFrom(ctx.services, 'GroundingDINO');
    const model = await host.models.resolve(params.model, {
      kind: 'grounding-dino',
      variant: params.variant,
      signal: ctx.signal,
      onProgress: downloadProgress((v, m, phase) => ctx.progress(v, m, undefined, phase)),
    });
    ctx.throwIfAborted();
    const fingerprint = await modelFingerprint(model);
    ctx.progress(0, 2, undefined, 'load');
    const pipeline = await groundingDinoPipelines.get(
      host.inference,
      `${params.model}@${params.variant ?? ''}`,
      fingerprint,
      () => GroundingDinoPipeline.load(host.inference, model.files, { signal: ctx.signal }),
    );
    ctx.progress(1, 2, undefined, 'detect');
    const result = await pipeline.detect(image, params.prompt, {
      boxThreshold: params.boxThreshold,
      textThreshold: params.textThreshold,
      maxDetections: params.maxDetections,
      nmsIou: params.nmsIou,
      signal: ctx.signal,
    });
    ctx.throwIfAborted();
    ctx.progress(2, 2, undefined, 'detect');

    if (result.tokens.dropped.length > 0) {
      ctx.warn(
        `the prompt is longer than the model reads; left out: ${result.tokens.dropped.map((p) => `"${p}"`).join(', ')}`,
      );
    }
    if (result.detections.length === 0) {
      ctx.warn(
        `nothing found for "${result.tokens.prompt.text}": the best score was ${result.bestScore.toFixed(2)}, ` +
          `the box threshold is ${params.boxThreshold}`,
      );
    }
    // Boxes stay inside the image: a box a little past the border means "up to the border".
    const boxes: Box[] = result.detections.map((d) => ({
      x1: clamp(d.box[0], 0, image.width),
      y1: clamp(d.box[1], 0, image.height),
      x2: clamp(d.box[2], 0, image.width),
      y2: clamp(d.box[3], 0, image.height),
      score: d.score,
      label: d.label,
    }));
    return { boxes: { kind: 'boxes', width: image.width, height: image.height, boxes } };
  },
});
