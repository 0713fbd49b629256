/**
 * SdInpaintPipeline on the tiny SD fixtures in the worker runtime: every
 * exporter variant (int32/int64 ids, timestep int64 [B] / float [B] / float
 * scalar / float16, fp16 UNet, latent_sample vs latent_parameters, SD 2's
 * 1024-wide text), one UNet call per step on a batch of 2, determinism per
 * seed, cancellation between steps, strength and progress previews.
 */
import { CancelledError } from '@maskflow/workflow';
import type { SdInpaintPipeline, SdInpaintRequest } from '@maskflow/pipelines';
import { SCHEDULER_NAMES } from '@maskflow/pipelines';
import type { RecordedRun, SdTestEnv, SdVariantKey } from './sd-test.helper';
import { createSdEnv, recordedPipeline, SD_VARIANT_KEYS } from './sd-test.helper';

let env: SdTestEnv;
const pipelines = new Map<SdVariantKey, { pipeline: SdInpaintPipeline; log: RecordedRun[] }>();

beforeAll(async () => {
  env = await createSdEnv();
  for (const k of SD_VARIANT_KEYS) {
    const log: RecordedRun[] = [];
    pipelines.set(k, { pipeline: await recordedPipeline(env.runtime, env.fixtures[k], log), log });
  }
});

afterAll(async () => {
  for (const { pipeline } of pipelines.values()) await pipeline.dispose();
  await env?.close();
});

function get(k: SdVariantKey): { pipeline: SdInpaintPipeline; log: RecordedRun[] } {
  const p = pipelines.get(k);
  if (!p) throw new Error(`no pipeline ${k}`);
  p.log.length = 0;
  return p;
}

const W = 64;
const H = 48;

function request(over: Partial<SdInpaintRequest> = {}): SdInpaintRequest {
  const image = new Float32Array(W * H * 3);
  for (let i = 0; i < image.length; i++) image[i] = (i * 37) % 256;
  const mask = new Uint8Array(W * H);
  for (let y = 16; y < 40; y++) for (let x = 8; x < 40; x++) mask[y * W + x] = 255;
  return {
    image,
    mask,
    width: W,
    height: H,
    prompt: 'a red fox',
    negativePrompt: 'blurry',
    steps: 4,
    guidance: 7.5,
    seed: 1234,
    ...over,
  };
}

const bytes = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('every export variant', () => {
  const expected: Record<
    SdVariantKey,
    { ids: string; timestep: { type: string; dims: number[] }; unet: string; hidden: number; vae: string }
  > = {
    sdInpaint: {
      ids: 'int32',
      timestep: { type: 'int64', dims: [2] },
      unet: 'float32',
      hidden: 768,
      vae: 'latent_sample',
    },
    sdInpaintInt64: {
      ids: 'int64',
      timestep: { type: 'float32', dims: [2] },
      unet: 'float32',
      hidden: 768,
      vae: 'latent_parameters',
    },
    sdInpaintScalarTimestep: {
      ids: 'int32',
      timestep: { type: 'float32', dims: [] },
      unet: 'float32',
      hidden: 768,
      vae: 'latent_sample',
    },
    sdInpaintFp16: {
      ids: 'int32',
      timestep: { type: 'float16', dims: [2] },
      unet: 'float16',
      hidden: 768,
      vae: 'latent_sample',
    },
    sd2Inpaint: {
      ids: 'int32',
      timestep: { type: 'int64', dims: [2] },
      unet: 'float32',
      hidden: 1024,
      vae: 'latent_sample',
    },
  };

  it.each(SD_VARIANT_KEYS)('%s: feeds what the export declares and produces an image', async (k) => {
    const { pipeline, log } = get(k);
    const e = expected[k];
    expect(pipeline.vaeEnc.kind).toBe(e.vae);
    const r = await pipeline.inpaint(request());
    expect(r.width).toBe(W);
    expect(r.image).toHaveLength(W * H * 3);
    expect(r.image.every((v) => v >= 0 && v <= 1 && Number.isFinite(v))).toBe(true);
    expect(r.scheduler).toBe('pndm'); // the fixtures' scheduler_config.json is SD-1.5's PNDM

    const text = log.filter((x) => x.session === 'textEncoder');
    expect(text).toHaveLength(1); // negative and positive in one batch
    expect(text[0].feeds.input_ids).toEqual({ type: e.ids, dims: [2, 77] });
    const unet = log.filter((x) => x.session === 'unet');
    expect(unet).toHaveLength(5); // PNDM: 4 steps → 5 calls
    for (const call of unet) {
      expect(call.feeds.sample).toEqual({ type: e.unet, dims: [2, 9, H / 8, W / 8] });
      expect(call.feeds.timestep).toEqual(e.timestep);
      expect(call.feeds.encoder_hidden_states).toEqual({ type: e.unet, dims: [2, 77, e.hidden] });
    }
    expect(log.filter((x) => x.session === 'vaeEncoder')).toHaveLength(1);
    expect(log.filter((x) => x.session === 'vaeDecoder')).toHaveLength(1);
  });

  it.each(SD_VARIANT_KEYS)('%s: the same seed gives the same bytes, another seed others', async (k) => {
    const { pipeline } = get(k);
    const a = await pipeline.inpaint(request({ seed: 42 }));
    const b = await pipeline.inpaint(request({ seed: 42 }));
    const c = await pipeline.inpaint(request({ seed: 43 }));
    expect(bytes(a.image).equals(bytes(b.image))).toBe(true);
    expect(bytes(a.image).equals(bytes(c.image))).toBe(false);
  });
});

describe('schedulers on the pipeline', () => {
  it.each(SCHEDULER_NAMES)('%s runs and is deterministic', async (name) => {
    const { pipeline, log } = get('sdInpaint');
    const a = await pipeline.inpaint(request({ scheduler: name, steps: 4 }));
    const calls = log.filter((x) => x.session === 'unet').length;
    expect(calls).toBe(name === 'pndm' ? 5 : 4);
    const b = await pipeline.inpaint(request({ scheduler: name, steps: 4 }));
    expect(bytes(a.image).equals(bytes(b.image))).toBe(true);
    expect(a.scheduler).toBe(name);
  });
});

describe('guidance, strength, progress and cancellation', () => {
  it('guidance ≤ 1 skips the negative prompt: batch 1', async () => {
    const { pipeline, log } = get('sdInpaint');
    await pipeline.inpaint(request({ guidance: 1 }));
    expect(log.find((x) => x.session === 'textEncoder')?.feeds.input_ids.dims).toEqual([1, 77]);
    expect(log.find((x) => x.session === 'unet')?.feeds.sample.dims[0]).toBe(1);
  });

  it('the guidance scale changes the result', async () => {
    const { pipeline } = get('sdInpaint');
    const a = await pipeline.inpaint(request({ guidance: 7.5 }));
    const b = await pipeline.inpaint(request({ guidance: 3 }));
    expect(bytes(a.image).equals(bytes(b.image))).toBe(false);
  });

  it('strength < 1 runs the last ⌊steps·strength⌋ steps from the noised image', async () => {
    const { pipeline, log } = get('sdInpaint');
    await pipeline.inpaint(request({ scheduler: 'ddim', steps: 10, strength: 0.5 }));
    expect(log.filter((x) => x.session === 'unet')).toHaveLength(5);
    expect(log.filter((x) => x.session === 'vaeEncoder')).toHaveLength(2); // masked image and image
    await expect(pipeline.inpaint(request({ steps: 2, strength: 0.2 }))).rejects.toThrow(/strength/);
  });

  it('reports every step, with a small latent preview every few steps and at the end', async () => {
    const { pipeline } = get('sdInpaint');
    const seen: Array<[number, number, boolean]> = [];
    await pipeline.inpaint(
      request({
        scheduler: 'euler',
        steps: 6,
        previewEvery: 3,
        onStep: (done, total, preview) => {
          seen.push([done, total, preview !== undefined]);
          if (preview) expect(preview).toMatchObject({ width: W / 8, height: H / 8 });
        },
      }),
    );
    expect(seen).toEqual([
      [1, 6, false],
      [2, 6, false],
      [3, 6, true],
      [4, 6, false],
      [5, 6, false],
      [6, 6, true],
    ]);
  });

  it('cancels between steps: no UNet call after the abort', async () => {
    const { pipeline, log } = get('sdInpaint');
    const ac = new AbortController();
    const run = pipeline.inpaint(
      request({
        scheduler: 'ddim',
        steps: 20,
        signal: ac.signal,
        onStep: (done) => {
          if (done === 3) ac.abort();
        },
      }),
    );
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(log.filter((x) => x.session === 'unet')).toHaveLength(3);
    expect(log.filter((x) => x.session === 'vaeDecoder')).toHaveLength(0);
  });

  it('warns when the prompt is longer than CLIP reads', async () => {
    const { pipeline } = get('sdInpaint');
    const r = await pipeline.inpaint(request({ prompt: Array.from({ length: 90 }, () => 'fox').join(' ') }));
    expect(r.warnings.join('\n')).toMatch(/prompt is 90 tokens; CLIP reads 75/);
  });

  it('refuses sizes that are not multiples of 8', async () => {
    const { pipeline } = get('sdInpaint');
    await expect(pipeline.inpaint({ ...request(), width: 60 })).rejects.toThrow(/multiples of 8/);
  });
});
