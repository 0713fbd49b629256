import { z } from 'zod';
import { defineNode, NodeRegistry, port } from '@maskflow/nodes';
import type { ImageValue } from '@maskflow/nodes';
import { ConstNode, FailNode, OutputNode } from '../../helpers/test-nodes';

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}

/** A 32×32 preview whose colour moves with the step, like a sampler's latent preview. */
function preview(step: number, steps: number): ImageValue {
  const data = new Uint8Array(32 * 32 * 3);
  const t = step / steps;
  for (let i = 0; i < 32 * 32; i++) {
    data[i * 3] = Math.round(255 * t);
    data[i * 3 + 1] = (i % 32) * 8;
    data[i * 3 + 2] = Math.round(255 * (1 - t));
  }
  return { kind: 'image', width: 32, height: 32, channels: 3, data };
}

/**
 * A stand-in for SDInpaint with the same UI surface: a multiline prompt, a
 * seed (-1 = random each run, never cached), steps with a progress bar and a
 * preview per step, cancellable between steps; reports the seed it used.
 */
export const FakeSamplerNode = defineNode({
  type: 'FakeSampler',
  version: 1,
  title: 'Fake Sampler',
  category: 'test',
  description: 'Counts steps with previews, like a diffusion sampler.',
  inputs: { a: port('NUMBER', { optional: true }) },
  outputs: { value: port('NUMBER'), seed: port('NUMBER') },
  params: z.object({
    prompt: z.string().max(1000).default('').describe('What to paint').meta({ multiline: true }),
    seed: z
      .number()
      .int()
      .min(-1)
      .max(4294967295)
      .default(-1)
      .describe('-1 picks a new seed every run')
      .meta({ seed: true }),
    steps: z
      .number()
      .int()
      .min(1)
      .max(500)
      .default(20)
      .describe('Denoising steps')
      .meta({ widget: 'slider', step: 1 }),
    stepMs: z.number().int().min(0).max(5000).default(50),
  }),
  cacheable: (p) => p.seed !== -1,
  async execute({ inputs, params, ctx }) {
    const seed = params.seed === -1 ? Math.floor(Math.random() * 4294967295) : params.seed;
    for (let i = 1; i <= params.steps; i++) {
      ctx.throwIfAborted();
      await sleep(params.stepMs, ctx.signal);
      ctx.throwIfAborted();
      ctx.progress(i, params.steps, preview(i, params.steps), 'denoise');
    }
    return { value: (inputs.a ?? 0) + (seed % 1000), seed };
  },
});

export function uiTestRegistry(): NodeRegistry {
  return new NodeRegistry([ConstNode, FakeSamplerNode, FailNode, OutputNode]);
}
