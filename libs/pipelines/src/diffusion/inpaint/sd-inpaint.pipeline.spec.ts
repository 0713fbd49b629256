/**
 * The pipeline against in-process fake sessions (plain functions with
 * exporter-shaped metadata): export shapes the tiny ONNX fixtures do not
 * cover (timestep_cond, a fixed batch of 1, fixed spatial dims, wrong
 * exports), and the exact arithmetic of one guided DDIM step end to end.
 */
import type { Tensor, TensorMap, TensorMetadata } from '@maskflow/inference';
import type { ModelSession } from '../../sam/model-session';
import { NOISE_STREAMS, PhiloxNoise } from '../noise/philox.noise';
import { DdimScheduler } from '../schedulers/ddim.scheduler';
import { guidanceScaleEmbedding } from '../schedulers/guidance-embedding';
import { resolveSchedulerConfig } from '../schedulers/scheduler-config';
import { ClipTokenizer } from '../tokenizer/clip.tokenizer';
import type { SdInpaintRequest, SdInpaintSessions } from './sd-inpaint.pipeline';
import { SdInpaintPipeline } from './sd-inpaint.pipeline';

const SD15 = {
  _class_name: 'PNDMScheduler',
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  beta_start: 0.00085,
  clip_sample: false,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
};

function tokenizer(): ClipTokenizer {
  const units: string[] = [];
  for (let c = 33; c <= 126; c++) units.push(String.fromCharCode(c));
  const vocab: Record<string, number> = {};
  [...units, ...units.map((u) => `${u}</w>`), '<|startoftext|>', '<|endoftext|>'].forEach(
    (t, i) => (vocab[t] = i),
  );
  return new ClipTokenizer({ vocabJson: JSON.stringify(vocab), mergesTxt: '#version: 0.2\n' });
}

const meta = (name: string, type: TensorMetadata['type'], shape: Array<number | string>): TensorMetadata => ({
  name,
  isTensor: true,
  type,
  shape,
});

function f32(t: Tensor): Float32Array {
  if (t.type !== 'float32') throw new Error(`expected float32, got ${t.type}`);
  return t.data;
}

interface FakeOptions {
  unetInputs?: TensorMetadata[];
  hidden?: number;
  vaeOutput?: 'latent_sample' | 'latent_parameters';
  /** ε for batch item b given its text embedding value (all entries of the fake embedding are equal). */
  eps?: (textValue: number) => number;
}

interface Calls {
  unet: TensorMap[];
  text: TensorMap[];
  decoded: Float32Array[];
}

/**
 * Text encoder: embedding value 0 for an empty prompt (EOS right after BOS), 1 otherwise.
 * UNet: ε = eps(text value) everywhere. VAE encoder: mean 0.5 (+ logvar 0). VAE decoder: records its input.
 */
function fakeSessions(o: FakeOptions = {}): { sessions: SdInpaintSessions; calls: Calls } {
  const hidden = o.hidden ?? 768;
  const calls: Calls = { unet: [], text: [], decoded: [] };
  const session = (
    name: string,
    inputs: TensorMetadata[],
    outputs: TensorMetadata[],
    run: (feeds: TensorMap) => TensorMap,
  ): ModelSession => ({
    name,
    inputMetadata: inputs,
    outputMetadata: outputs,
    run: async (feeds) => run(feeds),
    dispose: async () => undefined,
  });
  const textEncoder = session(
    'text_encoder',
    [meta('input_ids', 'int32', ['batch', 77])],
    [meta('last_hidden_state', 'float32', ['batch', 77, hidden])],
    (feeds) => {
      calls.text.push(feeds);
      const ids = feeds.input_ids;
      if (ids.type !== 'int32') throw new Error('int32 ids expected');
      const b = ids.dims[0];
      const out = new Float32Array(b * 77 * hidden);
      for (let i = 0; i < b; i++)
        out.fill(
          ids.data[i * 77 + 1] === ids.data[i * 77 + 76] && ids.data[i * 77 + 2] === ids.data[i * 77 + 76]
            ? 0
            : 1,
          i * 77 * hidden,
          (i + 1) * 77 * hidden,
        );
      return { last_hidden_state: { type: 'float32', dims: [b, 77, hidden], data: out } };
    },
  );
  const unetInputs = o.unetInputs ?? [
    meta('sample', 'float32', ['batch', 9, 'h', 'w']),
    meta('timestep', 'int64', ['batch']),
    meta('encoder_hidden_states', 'float32', ['batch', 77, hidden]),
  ];
  const eps = o.eps ?? ((v: number) => 0.1 + v);
  const unet = session(
    'unet',
    unetInputs,
    [meta('out_sample', 'float32', ['batch', 4, 'h', 'w'])],
    (feeds) => {
      calls.unet.push(feeds);
      const s = feeds.sample;
      const [b, , h, w] = s.dims;
      const text = f32(feeds.encoder_hidden_states);
      const per = text.length / b;
      const out = new Float32Array(b * 4 * h * w);
      for (let i = 0; i < b; i++) out.fill(eps(text[i * per]), i * 4 * h * w, (i + 1) * 4 * h * w);
      return { out_sample: { type: 'float32', dims: [b, 4, h, w], data: out } };
    },
  );
  const kind = o.vaeOutput ?? 'latent_sample';
  const vaeEncoder = session(
    'vae_encoder',
    [meta('sample', 'float32', ['batch', 3, 'H', 'W'])],
    [meta(kind, 'float32', ['batch', kind === 'latent_sample' ? 4 : 8, 'h', 'w'])],
    (feeds) => {
      const [b, , H, W] = feeds.sample.dims;
      const n = (H / 8) * (W / 8);
      const c = kind === 'latent_sample' ? 4 : 8;
      const out = new Float32Array(b * c * n);
      out.fill(0.5, 0, 4 * n); // mean; log-variance (channels 4…7) stays 0 → std 1
      return { [kind]: { type: 'float32', dims: [b, c, H / 8, W / 8], data: out } };
    },
  );
  const vaeDecoder = session(
    'vae_decoder',
    [meta('latent_sample', 'float32', ['batch', 4, 'h', 'w'])],
    [meta('sample', 'float32', ['batch', 3, 'H', 'W'])],
    (feeds) => {
      const l = f32(feeds.latent_sample);
      calls.decoded.push(Float32Array.from(l));
      const [b, , h, w] = feeds.latent_sample.dims;
      return {
        sample: {
          type: 'float32',
          dims: [b, 3, h * 8, w * 8],
          data: new Float32Array(b * 3 * h * 8 * w * 8),
        },
      };
    },
  );
  return { sessions: { textEncoder, unet, vaeEncoder, vaeDecoder }, calls };
}

function request(over: Partial<SdInpaintRequest> = {}): SdInpaintRequest {
  const w = 32;
  const h = 16;
  const mask = new Uint8Array(w * h);
  mask.fill(255, 0, w * 8);
  return {
    image: new Float32Array(w * h * 3).fill(100),
    mask,
    width: w,
    height: h,
    prompt: 'fox',
    steps: 3,
    guidance: 7.5,
    seed: 5,
    ...over,
  };
}

describe('SdInpaintPipeline with fake sessions', () => {
  it('one guided DDIM step is ε₋ + g(ε₊ − ε₋) through the exact DDIM update, decoded at latents / 0.18215', async () => {
    const { sessions, calls } = fakeSessions({ eps: (v) => (v === 0 ? 0.2 : 0.6) });
    const p = new SdInpaintPipeline(sessions, tokenizer(), { schedulerConfig: SD15 });
    await p.inpaint(request({ scheduler: 'ddim', steps: 1, guidance: 3 }));
    const n = 4 * 2 * 4;
    const z = new PhiloxNoise(5).normal(NOISE_STREAMS.initialLatents, n);
    const s = new DdimScheduler(resolveSchedulerConfig('ddim', SD15));
    s.setTimesteps(1);
    expect(s.timesteps).toEqual([1]);
    const a = s.alphasCumprod[1];
    const ap = s.alphasCumprod[0]; // set_alpha_to_one false: the step after t = 1 lands on ᾱ_0
    const eps = 0.2 + 3 * (0.6 - 0.2);
    const decoded = calls.decoded[0];
    for (let k = 0; k < n; k++) {
      const x0 = (z[k] - Math.sqrt(1 - a) * eps) / Math.sqrt(a);
      expect(decoded[k]).toBeCloseTo((Math.sqrt(ap) * x0 + Math.sqrt(1 - ap) * eps) / 0.18215, 4);
    }
    // The UNet saw [uncond, cond] in one batch: mask channel and masked-image latents 0.18215 · 0.5.
    const sample = f32(calls.unet[0].sample);
    expect(calls.unet[0].sample.dims).toEqual([2, 9, 2, 4]);
    const hw = 8;
    expect(Array.from(sample.slice(4 * hw, 5 * hw))).toEqual([1, 1, 1, 1, 0, 0, 0, 0]); // latent mask: top half
    expect(sample[5 * hw]).toBeCloseTo(0.18215 * 0.5, 6);
  });

  it('a UNet with timestep_cond gets the guidance embedding and no classifier-free guidance', async () => {
    const { sessions, calls } = fakeSessions({
      unetInputs: [
        meta('sample', 'float32', ['batch', 9, 'h', 'w']),
        meta('timestep', 'float32', ['batch']),
        meta('encoder_hidden_states', 'float32', ['batch', 77, 768]),
        meta('timestep_cond', 'float32', ['batch', 256]),
      ],
    });
    const p = new SdInpaintPipeline(sessions, tokenizer(), { schedulerConfig: SD15 });
    expect(p.usesCfg(7.5)).toBe(false);
    await p.inpaint(request({ scheduler: 'lcm', steps: 2, guidance: 8 }));
    expect(calls.text[0].input_ids.dims).toEqual([1, 77]);
    expect(calls.unet).toHaveLength(2);
    const cond = calls.unet[0].timestep_cond;
    expect(cond.dims).toEqual([1, 256]);
    expect(Array.from(f32(cond))).toEqual(Array.from(guidanceScaleEmbedding(7, 256)));
    expect(Array.from(f32(calls.unet[0].timestep))).toEqual([999]);
  });

  it('an export with a fixed batch of 1 gets two calls per step, with the same result as one batched call', async () => {
    const fixed = fakeSessions({
      unetInputs: [
        meta('sample', 'float32', [1, 9, 'h', 'w']),
        meta('timestep', 'int64', [1]),
        meta('encoder_hidden_states', 'float32', [1, 77, 768]),
      ],
    });
    const batched = fakeSessions();
    const a = new SdInpaintPipeline(fixed.sessions, tokenizer(), { schedulerConfig: SD15 });
    const b = new SdInpaintPipeline(batched.sessions, tokenizer(), { schedulerConfig: SD15 });
    await a.inpaint(request({ scheduler: 'euler' }));
    await b.inpaint(request({ scheduler: 'euler' }));
    expect(fixed.calls.unet).toHaveLength(6);
    expect(batched.calls.unet).toHaveLength(3);
    expect(fixed.calls.unet[0].timestep.dims).toEqual([1]);
    expect(Array.from(fixed.calls.decoded[0])).toEqual(Array.from(batched.calls.decoded[0]));
  });

  it('latent_parameters are sampled as mean + e^{logvar/2}·z with the seeded VAE stream', async () => {
    const { sessions, calls } = fakeSessions({ vaeOutput: 'latent_parameters' });
    const p = new SdInpaintPipeline(sessions, tokenizer(), { schedulerConfig: SD15 });
    expect(p.vaeEnc.kind).toBe('latent_parameters');
    await p.inpaint(request({ steps: 1 }));
    const n = 4 * 8;
    const z = new PhiloxNoise(5).normal(NOISE_STREAMS.vaeSample, n);
    const sample = f32(calls.unet[0].sample);
    for (let k = 0; k < n; k++)
      expect(sample[5 * 8 + k]).toBeCloseTo(Math.fround(0.5 + z[k]) * Math.fround(0.18215), 5);
  });

  it('a UNet with fixed spatial dims fixes the request size', async () => {
    const { sessions } = fakeSessions({
      unetInputs: [
        meta('sample', 'float32', ['batch', 9, 2, 4]),
        meta('timestep', 'int64', ['batch']),
        meta('encoder_hidden_states', 'float32', ['batch', 77, 768]),
      ],
    });
    const p = new SdInpaintPipeline(sessions, tokenizer(), { schedulerConfig: SD15 });
    expect(p.fixedSize).toEqual({ width: 32, height: 16 });
    await expect(p.inpaint(request({ width: 16, height: 32 }))).rejects.toThrow(/only takes 32×16/);
  });

  it('names the problem with exports it cannot drive', async () => {
    const t2i = fakeSessions({
      unetInputs: [
        meta('sample', 'float32', ['batch', 4, 'h', 'w']),
        meta('timestep', 'int64', ['batch']),
        meta('encoder_hidden_states', 'float32', ['batch', 77, 768]),
      ],
    });
    expect(() => new SdInpaintPipeline(t2i.sessions, tokenizer(), { schedulerConfig: SD15 })).toThrow(
      /text-to-image UNet/,
    );
    const mismatch = fakeSessions({
      hidden: 1024,
      unetInputs: [
        meta('sample', 'float32', ['batch', 9, 'h', 'w']),
        meta('timestep', 'int64', ['batch']),
        meta('encoder_hidden_states', 'float32', ['batch', 77, 768]),
      ],
    });
    const p = new SdInpaintPipeline(mismatch.sessions, tokenizer(), { schedulerConfig: SD15 });
    await expect(p.inpaint(request())).rejects.toThrow(/1024-wide embeddings but the UNet takes 768/);
  });

  it('falls back to pndm, with a note, for a scheduler class it does not have', () => {
    const { sessions } = fakeSessions();
    const p = new SdInpaintPipeline(sessions, tokenizer(), {
      schedulerConfig: { ...SD15, _class_name: 'UniPCMultistepScheduler' },
    });
    expect(p.defaultScheduler).toBe('pndm');
    expect(p.schedulerNote).toMatch(/UniPCMultistepScheduler/);
  });
});
