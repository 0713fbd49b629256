import { z } from 'zod';
import { defineNode, NodeRegistry, port } from '@maskflow/nodes';
import { UserError } from '@maskflow/workflow';

/** Counts executions per node id, so tests can see what a re-run executed. */
export const executions = new Map<string, number>();
export function resetExecutions(): void {
  executions.clear();
}
function count(id: string): void {
  executions.set(id, (executions.get(id) ?? 0) + 1);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(t);
      reject(new Error('aborted'));
    };
    const t = setTimeout(() => {
      // Remove the listener, or a node sleeping in slices piles them up on the run's signal.
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** A number source. */
export const ConstNode = defineNode({
  type: 'Const',
  version: 1,
  title: 'Const',
  category: 'test',
  description: 'Outputs a number.',
  inputs: {},
  outputs: { value: port('NUMBER') },
  params: z.object({ value: z.number().default(0), delayMs: z.number().int().min(0).default(0) }),
  async execute({ params, ctx }) {
    count(ctx.nodeId);
    if (params.delayMs) await sleep(params.delayMs, ctx.signal);
    return { value: params.value };
  },
});

/** a + b (b optional), with an optional delay that honours cancellation between 10 ms slices. */
export const AddNode = defineNode({
  type: 'Add',
  version: 2,
  title: 'Add',
  category: 'test',
  description: 'Adds two numbers.',
  inputs: { a: port('NUMBER'), b: port('NUMBER', { optional: true }) },
  outputs: { sum: port('NUMBER') },
  params: z.object({ offset: z.number().default(0), delayMs: z.number().int().min(0).default(0) }),
  migrations: {
    // v1 called the param `bias`.
    2: (p) => {
      const { bias, ...rest } = p;
      return { ...rest, offset: bias ?? 0 };
    },
  },
  async execute({ inputs, params, ctx }) {
    count(ctx.nodeId);
    for (let t = 0; t < params.delayMs; t += 10) {
      ctx.throwIfAborted();
      ctx.progress(t, params.delayMs);
      await sleep(10, ctx.signal).catch(() => undefined);
    }
    ctx.throwIfAborted();
    return { sum: inputs.a + (inputs.b ?? 0) + params.offset };
  },
});

export const TextNode = defineNode({
  type: 'Text',
  version: 1,
  title: 'Text',
  category: 'test',
  description: 'Outputs a string.',
  inputs: {},
  outputs: { text: port('TEXT') },
  params: z.object({ text: z.string().default('') }),
  async execute({ params, ctx }) {
    count(ctx.nodeId);
    return { text: params.text };
  },
});

/** Fails with a user error, an environment-like message or a plain bug. */
export const FailNode = defineNode({
  type: 'Fail',
  version: 1,
  title: 'Fail',
  category: 'test',
  description: 'Always fails.',
  inputs: { a: port('NUMBER', { optional: true }) },
  outputs: { value: port('NUMBER') },
  params: z.object({ kind: z.enum(['user', 'internal']).default('user') }),
  async execute({ params, ctx }) {
    count(ctx.nodeId);
    if (params.kind === 'user') throw new UserError('the value is out of range', { field: 'kind' });
    throw new TypeError('boom');
  },
});

/** Never cached when seed is -1, like a sampler with a random seed. */
export const RandomNode = defineNode({
  type: 'Random',
  version: 1,
  title: 'Random',
  category: 'test',
  description: 'A random number.',
  inputs: { a: port('NUMBER', { optional: true }) },
  outputs: { value: port('NUMBER') },
  params: z.object({ seed: z.number().int().default(-1) }),
  cacheable: (p) => p.seed !== -1,
  async execute({ params, ctx }) {
    count(ctx.nodeId);
    return { value: params.seed === -1 ? Math.random() : params.seed };
  },
});

/** Marks its input as a result of the run. */
export const OutputNode = defineNode({
  type: 'Output',
  version: 1,
  title: 'Output',
  category: 'test',
  description: 'A run result.',
  inputs: { value: port('NUMBER') },
  outputs: { value: port('NUMBER') },
  params: z.object({}),
  output: true,
  async execute({ inputs, ctx }) {
    count(ctx.nodeId);
    return { value: inputs.value };
  },
});

/** A w×h grey picture and a mask of its left half. */
export const PictureNode = defineNode({
  type: 'Picture',
  version: 1,
  title: 'Picture',
  category: 'test',
  description: 'A grey image and the mask of its left half.',
  inputs: {},
  outputs: { image: port('IMAGE'), mask: port('MASK'), size: port('NUMBER') },
  params: z.object({ width: z.number().int().min(2).default(8), height: z.number().int().min(1).default(4) }),
  async execute({ params: { width, height }, ctx }) {
    count(ctx.nodeId);
    const mask = new Uint8Array(width * height);
    for (let y = 0; y < height; y++) mask.fill(255, y * width, y * width + width / 2);
    return {
      image: {
        kind: 'image',
        width,
        height,
        channels: 3,
        data: new Uint8Array(width * height * 3).fill(128),
      },
      mask: { kind: 'mask', width, height, data: mask },
      size: width * height,
    };
  },
});

export function createTestRegistry(): NodeRegistry {
  return new NodeRegistry([ConstNode, AddNode, TextNode, FailNode, RandomNode, OutputNode, PictureNode]);
}
