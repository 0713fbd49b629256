import { CancelledError, UserError } from '@maskflow/workflow';
import { embeddingKey, modelFingerprint, samEmbeddingCache } from '@maskflow/pipelines';
import type { BoxesValue } from '../../contract';
import { imageValue, NodeRegistry } from '../../contract';
import { createTestContext } from '../../../../../test/helpers/node-context';
import type { DetectionTestEnv } from '../../../../../test/detection/detection-test.helper';
import {
  createDetectionEnv,
  maskBounds,
  modelRuns,
  TEST_MODEL_IDS,
} from '../../../../../test/detection/detection-test.helper';
import { SamNode } from './sam.node';

let env: DetectionTestEnv;
beforeAll(async () => {
  env = await createDetectionEnv();
}, 120_000);
afterAll(() => env?.close());

const W = 160;
const H = 100;
const image = imageValue(
  W,
  H,
  3,
  Uint8Array.from({ length: W * H * 3 }, (_, i) => (i * 13) % 256),
);
const boxes = (list: Array<[number, number, number, number]>, width = W, height = H): BoxesValue => ({
  kind: 'boxes',
  width,
  height,
  boxes: list.map(([x1, y1, x2, y2], i) => ({ x1, y1, x2, y2, score: 0.9 - i * 0.1, label: `thing ${i}` })),
});

/** The fixture decoder grows the prompt box by 4 pixels of the 1024 frame: 0.625 px here, so border pixels whose centre is that close join. */
const grown = (x1: number, y1: number, x2: number, y2: number) => ({
  x1: x1 - 1,
  y1: y1 - 1,
  x2: x2 + 1,
  y2: y2 + 1,
});

function ctx() {
  return createTestContext({ services: env.services, nodeId: 'sam' });
}

describe('SAM params', () => {
  it('defaults to MobileSAM, the single-mask answer, binary masks and no points', () => {
    expect(SamNode.params.parse({})).toEqual({
      points: [],
      model: 'mobile-sam',
      maskChoice: 'single',
      outputMode: 'binary',
    });
    expect(SamNode.params.parse({ points: [{ x: 1, y: 2 }] }).points).toEqual([{ x: 1, y: 2, label: 1 }]);
    expect(SamNode.params.safeParse({ points: [{ x: 1, y: 2, label: 2 }] }).success).toBe(false);
    expect(SamNode.params.safeParse({ maskChoice: 'largest' }).success).toBe(false);
  });

  it('describes itself for the palette: image, optional boxes → mask and masks', () => {
    const spec = new NodeRegistry([SamNode]).spec(SamNode);
    expect(spec).toMatchObject({ type: 'SAM', category: 'segment', models: ['mobile-sam', 'sam-vit-b'] });
    expect(spec.inputs).toEqual([
      { name: 'image', type: 'IMAGE' },
      expect.objectContaining({ name: 'boxes', type: 'BOXES', optional: true }),
    ]);
    expect(spec.outputs.map((o) => [o.name, o.type])).toEqual([
      ['mask', 'MASK'],
      ['masks', 'MASKS'],
    ]);
  });
});

describe('SAM execute (tiny fixture)', () => {
  it('segments one mask per box, carries labels and scores, and unions them', async () => {
    const c = ctx();
    const out = await SamNode.execute({
      inputs: {
        image,
        boxes: boxes([
          [10, 10, 60, 50],
          [90, 40, 150, 95],
        ]),
      },
      params: SamNode.params.parse({}),
      ctx: c,
    });
    expect(out.masks.items.map((m) => m.label)).toEqual(['thing 0', 'thing 1']);
    expect(out.masks.items.every((m) => m.score > 0.5 && m.mask.width === W && m.mask.height === H)).toBe(
      true,
    );
    expect(maskBounds(out.masks.items[0].mask)).toEqual(grown(10, 10, 60, 50));
    expect(maskBounds(out.mask)).toEqual(grown(10, 10, 150, 95));
    expect(c.warnings).toEqual([]);
    // Step 1 is the embedding, then one step per box.
    expect(c.progressCalls.slice(-3)).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
  });

  it('scales boxes found on an image of another size, and says so', async () => {
    const c = ctx();
    const out = await SamNode.execute({
      inputs: { image, boxes: boxes([[5, 5, 30, 25]], W / 2, H / 2) },
      params: SamNode.params.parse({}),
      ctx: c,
    });
    expect(maskBounds(out.mask)).toEqual(grown(10, 10, 60, 50));
    expect(c.warnings[0]).toMatch(/found on a 80×50 image; they were scaled to 160×100/);
  });

  it('segments clicks alone', async () => {
    const out = await SamNode.execute({
      inputs: { image },
      params: SamNode.params.parse({
        points: [
          { x: 20, y: 20 },
          { x: 70, y: 60 },
        ],
      }),
      ctx: ctx(),
    });
    expect(out.masks.items).toHaveLength(1);
    expect(out.masks.items[0].label).toBe('points');
    const b = maskBounds(out.mask)!;
    expect(b.x1).toBeLessThanOrEqual(20);
    expect(b.x2).toBeGreaterThanOrEqual(70);
  });

  it('warns and returns an empty mask when there is nothing to segment, without loading the model', async () => {
    const noHost = createTestContext({ nodeId: 'sam' });
    const a = await SamNode.execute({
      inputs: { image, boxes: boxes([]) },
      params: SamNode.params.parse({}),
      ctx: noHost,
    });
    expect(a.mask.data.every((v) => v === 0)).toBe(true);
    expect(a.masks).toEqual({ kind: 'masks', width: W, height: H, items: [] });
    expect(noHost.warnings).toEqual(['no boxes to segment (nothing was detected): the mask is empty']);
    const b = createTestContext({ nodeId: 'sam' });
    await SamNode.execute({ inputs: { image }, params: SamNode.params.parse({}), ctx: b });
    expect(b.warnings[0]).toMatch(/connect boxes or add points/);
  });

  it('refuses a point outside the image, naming the points field', async () => {
    const err: unknown = await SamNode.execute({
      inputs: { image },
      params: SamNode.params.parse({ points: [{ x: 500, y: 5 }] }),
      ctx: ctx(),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).field).toBe('points');
  });

  it('stops with CancelledError when the run is cancelled', async () => {
    const abort = new AbortController();
    abort.abort();
    const c = createTestContext({ services: env.services, signal: abort.signal });
    await expect(
      SamNode.execute({
        inputs: { image, boxes: boxes([[10, 10, 60, 50]]) },
        params: SamNode.params.parse({}),
        ctx: c,
      }),
    ).rejects.toThrow(CancelledError);
  });

  it('runs the NCHW encoder and the single-mask decoder variant', async () => {
    const out = await SamNode.execute({
      inputs: { image, boxes: boxes([[10, 10, 60, 50]]) },
      params: SamNode.params.parse({ model: TEST_MODEL_IDS.samNchw, variant: 'single', maskChoice: 'best' }),
      ctx: ctx(),
    });
    expect(maskBounds(out.mask)).toEqual(grown(10, 10, 60, 50));
  });
});

describe('SAM caching', () => {
  it("uses one model identity for the node's fingerprint and the embedding cache key", async () => {
    samEmbeddingCache.clear();
    const params = SamNode.params.parse({});
    const fp = await SamNode.fingerprint!(params, ctx());
    expect(fp).toBe(await modelFingerprint(await env.models.resolve('mobile-sam', { kind: 'sam' })));
    expect(await SamNode.fingerprint!({ ...params, variant: 'single' }, ctx())).not.toBe(fp);

    const encoderRuns = modelRuns(env.runtime, env.fixtures.sam.encoder);
    await SamNode.execute({ inputs: { image, boxes: boxes([[10, 10, 60, 50]]) }, params, ctx: ctx() });
    expect(samEmbeddingCache.has(embeddingKey(fp, image))).toBe(true);
    // Other boxes, other clicks, same image: the decoder alone runs.
    await SamNode.execute({ inputs: { image, boxes: boxes([[30, 30, 90, 90]]) }, params, ctx: ctx() });
    await SamNode.execute({
      inputs: { image },
      params: SamNode.params.parse({ points: [{ x: 50, y: 50 }] }),
      ctx: ctx(),
    });
    expect(modelRuns(env.runtime, env.fixtures.sam.encoder)).toBe(encoderRuns + 1);
    expect(samEmbeddingCache.stats()).toMatchObject({ hits: 2, misses: 1 });
  });
});
