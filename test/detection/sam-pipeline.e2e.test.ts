/**
 * SamPipeline against the fixture sessions in the worker runtime: prompt
 * encoding seen from the decoder's side, low_res_masks postprocessing against
 * the decoder's own full-size masks, mask choice, and the embedding cache.
 */
import type { TensorMap } from '@maskflow/inference';
import type { ModelSession, RgbImage } from '@maskflow/pipelines';
import {
  encodeSamPrompt,
  loadSession,
  SamEmbeddingCache,
  SamPipeline,
  samResizedSize,
  toFloat32,
  upscaleMaskLogits,
} from '@maskflow/pipelines';
import { SAM_MASK_MARGIN } from '../fixtures/tiny-models/sam.fixture';
import type { DetectionTestEnv } from './detection-test.helper';
import { createDetectionEnv, modelRuns } from './detection-test.helper';

let env: DetectionTestEnv;
let pipeline: SamPipeline;
let cache: SamEmbeddingCache;

function image(width: number, height: number, seed = 1): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + seed * 17) % 251;
  return { width, height, channels: 3, data };
}

function area(mask: Uint8Array): number {
  let n = 0;
  for (const v of mask) if (v > 127) n++;
  return n;
}

beforeAll(async () => {
  env = await createDetectionEnv();
  cache = new SamEmbeddingCache();
  pipeline = await SamPipeline.load(
    env.runtime,
    { encoder: env.fixtures.sam.encoder, decoder: env.fixtures.sam.decoder },
    { fingerprint: 'fixture-sam', cache },
  );
}, 120_000);
afterAll(() => env?.close());

describe('SamPipeline on the fixture (HWC encoder, 4-mask decoder)', () => {
  it('reads the encoder layout and caches the embedding per image content', async () => {
    expect(pipeline.layout).toBe('hwc');
    const img = image(200, 150);
    const a = await pipeline.embed(img);
    expect(a.cached).toBe(false);
    expect(a.embedding.dims).toEqual([1, 256, 64, 64]);
    expect(a.embedding.resized).toEqual(samResizedSize(img));
    // Same pixels in another buffer: a hit. One pixel changed (values are immutable: a new buffer): a miss.
    const copy = { ...img, data: img.data.slice() };
    expect((await pipeline.embed(copy)).cached).toBe(true);
    const changed = { ...img, data: img.data.slice() };
    changed.data[5] ^= 1;
    expect((await pipeline.embed(changed)).cached).toBe(false);
  });

  it('shares one encoder run between concurrent requests for the same image', async () => {
    const img = image(64, 48, 9);
    const before = modelRuns(env.runtime, env.fixtures.sam.encoder);
    const [a, b] = await Promise.all([pipeline.embed(img), pipeline.embed(img)]);
    expect(a.embedding).toBe(b.embedding);
    expect(modelRuns(env.runtime, env.fixtures.sam.encoder)).toBe(before + 1);
  });

  it('the embedding key follows the model fingerprint too', async () => {
    const other = new SamPipeline(pipeline.encoder, pipeline.decoder, {
      fingerprint: 'another-model',
      cache,
    });
    const img = image(200, 150);
    expect(other.embeddingKey(img)).not.toBe(pipeline.embeddingKey(img));
    expect((await other.embed(img)).cached).toBe(false);
  });

  it('turns a box into a mask over that box (box = two points labelled 2 and 3, in original pixels)', async () => {
    const img = image(300, 200);
    const box = { x1: 40, y1: 30, x2: 170, y2: 120, label: 'thing' };
    const r = await pipeline.segment(img, { boxes: [box] });
    expect(r.objects).toHaveLength(1);
    const [o] = r.objects;
    expect(o.label).toBe('thing');
    expect(o.maskIndex).toBe(0);
    expect(o.score).toBeCloseTo(0.92, 1);
    // The fixture's mask is the prompt box grown by SAM_MASK_MARGIN pixels of the 1024 frame.
    const m = (SAM_MASK_MARGIN * 300) / 1024;
    const expected = Math.round(box.x2 - box.x1 + 2 * m) * Math.round(box.y2 - box.y1 + 2 * m);
    expect(Math.abs(area(o.mask) - expected) / expected).toBeLessThan(0.03);
    expect(o.mask[Math.round((box.y1 + box.y2) / 2) * 300 + Math.round((box.x1 + box.x2) / 2)]).toBe(255);
    expect(o.mask[10 * 300 + 10]).toBe(0);
  });

  it('segments clicks alone (with the padding point), one object labelled "points"', async () => {
    const img = image(300, 200);
    const r = await pipeline.segment(img, {
      points: [
        { x: 100, y: 50, label: 1 },
        { x: 200, y: 150, label: 1 },
        { x: 5, y: 5, label: 0 },
      ],
    });
    expect(r.embeddingCached).toBe(true);
    expect(r.objects).toHaveLength(1);
    expect(r.objects[0].label).toBe('points');
    // Foreground clicks span the mask; the background click is not in it.
    const mask = r.objects[0].mask;
    expect(mask[100 * 300 + 150]).toBe(255);
    expect(mask[5 * 300 + 5]).toBe(0);
  });

  it('mask choice "best" takes the multimask answer with the highest predicted IoU', async () => {
    const img = image(300, 200);
    const boxes = [{ x1: 50, y1: 50, x2: 150, y2: 150 }];
    const single = await pipeline.segment(img, { boxes, maskChoice: 'single' });
    const best = await pipeline.segment(img, { boxes, maskChoice: 'best' });
    // Fixture IoUs ≈ [0.92, 0.85, 0.80, 0.70]: among masks 1–3 the best is 1, a slightly bigger mask.
    expect(best.objects[0].maskIndex).toBe(1);
    expect(best.objects[0].score).toBeLessThan(single.objects[0].score);
    expect(area(best.objects[0].mask)).toBeGreaterThan(area(single.objects[0].mask));
  });

  it('returns nothing (and runs nothing) without boxes or points', async () => {
    const before = modelRuns(env.runtime, env.fixtures.sam.encoder);
    const r = await pipeline.segment(image(30, 20, 4), { boxes: [] });
    expect(r).toMatchObject({ objects: [], encoderRan: false });
    expect(r.union.every((v) => v === 0)).toBe(true);
    expect(modelRuns(env.runtime, env.fixtures.sam.encoder)).toBe(before);
  });
});

describe("low_res_masks postprocessing against the decoder's full-size masks", () => {
  let decoder: ModelSession;
  beforeAll(async () => {
    decoder = await loadSession(env.runtime, env.fixtures.sam.decoder);
  });
  afterAll(() => decoder.dispose());

  it.each([
    [300, 200],
    [1800, 1200],
    [400, 900],
  ])('%i×%i: thresholded masks agree except along the edges', async (width, height) => {
    const original = { width, height };
    const resized = samResizedSize(original);
    const prompt = encodeSamPrompt(
      { box: { x1: width * 0.2, y1: height * 0.3, x2: width * 0.7, y2: height * 0.8 } },
      original,
      resized,
    );
    const feeds: TensorMap = {
      image_embeddings: { type: 'float32', dims: [1, 256, 64, 64], data: new Float32Array(256 * 64 * 64) },
      point_coords: { type: 'float32', dims: [1, prompt.count, 2], data: prompt.coords },
      point_labels: { type: 'float32', dims: [1, prompt.count], data: prompt.labels },
      mask_input: { type: 'float32', dims: [1, 1, 256, 256], data: new Float32Array(256 * 256) },
      has_mask_input: { type: 'float32', dims: [1], data: new Float32Array(1) },
      orig_im_size: { type: 'float32', dims: [2], data: Float32Array.from([height, width]) },
    };
    const out = await decoder.run(feeds);
    const masks = toFloat32(out.masks, 'masks');
    const low = toFloat32(out.low_res_masks, 'low_res_masks');
    expect(out.masks.dims).toEqual([1, 4, height, width]);
    const ours = upscaleMaskLogits(
      low.subarray(0, 256 * 256),
      { width: 256, height: 256 },
      resized,
      original,
    );
    let selected = 0;
    let differ = 0;
    let worstDisagreement = 0;
    for (let i = 0; i < width * height; i++) {
      if (masks[i] > 0) selected++;
      if (ours[i] > 0 !== masks[i] > 0) {
        differ++;
        worstDisagreement = Math.max(worstDisagreement, Math.abs(masks[i]));
      }
    }
    expect(selected).toBeGreaterThan(0);
    // The logits are distances in 4-pixel cells of the 1024 frame: the two may disagree only on pixels
    // whose centre lies within a fraction of a cell of the mask's edge.
    expect(worstDisagreement).toBeLessThan(0.25);
    expect(differ / selected).toBeLessThan(0.02);
  });
});
