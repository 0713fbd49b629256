/**
 * The SDInpaint node's contract: params, caching per seed, the paths that need
 * no model (empty mask, size mismatch, missing host services). Runs on the
 * tiny models are in test/sd/ (through the Engine, every export variant).
 */
import { NodeRegistry } from '../../contract';
import { imageValue, maskValue } from '../../contract';
import { createTestContext } from '../../../../../test/helpers/node-context';
import { SdInpaintNode } from './sd-inpaint.node';

const registry = new NodeRegistry([SdInpaintNode]);
const image = imageValue(
  32,
  24,
  3,
  Uint8Array.from({ length: 32 * 24 * 3 }, (_, i) => i % 251),
);

function params(p: Record<string, unknown> = {}) {
  const r = registry.parseParams(SdInpaintNode, p);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.params as ReturnType<typeof SdInpaintNode.params.parse>;
}

describe('SDInpaint node', () => {
  it('has the issue’s params and defaults', () => {
    expect(params()).toMatchObject({
      prompt: '',
      negativePrompt: '',
      guidance: 7.5,
      seed: -1,
      scheduler: 'default',
      strength: 1,
      regionMode: 'masked',
      model: 'sd-1.5-inpainting',
    });
    const spec = registry.spec(SdInpaintNode);
    expect(spec.inputs.map((p) => `${p.name}:${p.type}`)).toEqual(['image:IMAGE', 'mask:MASK']);
    expect(spec.outputs.map((p) => `${p.name}:${p.type}`)).toEqual(['image:IMAGE', 'seed:NUMBER']);
    const props = spec.params.properties as Record<string, { enum?: string[] }>;
    expect(props.scheduler.enum).toEqual([
      'default',
      'pndm',
      'ddim',
      'euler',
      'euler_a',
      'dpmpp_2m',
      'dpmpp_2m_karras',
      'lcm',
    ]);
    expect(registry.parseParams(SdInpaintNode, { seed: -2 }).ok).toBe(false);
    expect(registry.parseParams(SdInpaintNode, { strength: 0 }).ok).toBe(false);
  });

  it('is cached only with a fixed seed', () => {
    const cacheable = SdInpaintNode.cacheable as (p: ReturnType<typeof params>) => boolean;
    expect(cacheable(params({ seed: -1 }))).toBe(false);
    expect(cacheable(params({ seed: 0 }))).toBe(true);
  });

  it('returns the input unchanged, with a warning and the seed, for an empty mask (no model needed)', async () => {
    const ctx = createTestContext();
    const out = await SdInpaintNode.execute({
      inputs: { image, mask: maskValue(32, 24) },
      params: params({ seed: 9 }),
      ctx,
    });
    expect(out.image).toBe(image);
    expect(out.seed).toBe(9);
    expect(ctx.warnings.join(' ')).toMatch(/mask is empty/);
    // A mask only below the 128 threshold is empty too.
    const faint = maskValue(32, 24, new Uint8Array(32 * 24).fill(100));
    const r = await SdInpaintNode.execute({
      inputs: { image, mask: faint },
      params: params({ seed: -1 }),
      ctx: createTestContext(),
    });
    expect(Number.isInteger(r.seed) && r.seed >= 0).toBe(true);
  });

  it('refuses a mask of another size and a host without the model services', async () => {
    await expect(
      SdInpaintNode.execute({
        inputs: { image, mask: maskValue(10, 10) },
        params: params(),
        ctx: createTestContext(),
      }),
    ).rejects.toThrow(/must match the image/);
    const mask = maskValue(32, 24, new Uint8Array(32 * 24).fill(255));
    await expect(
      SdInpaintNode.execute({ inputs: { image, mask }, params: params(), ctx: createTestContext() }),
    ).rejects.toThrow(/SDInpaint needs the inference runtime/);
  });
});
