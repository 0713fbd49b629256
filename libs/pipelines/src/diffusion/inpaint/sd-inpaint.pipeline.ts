/**
 * Stable Diffusion inpainting on ONNX sessions, following diffusers'
 * pipeline_stable_diffusion_inpaint.py / pipeline_onnx_stable_diffusion_inpaint.py
 * for 9-channel inpainting UNets:
 *
 *   prepare   image → [−1, 1] NCHW; mask binarized (255 = repaint); masked
 *             image = image · (mask < ½); latent mask = mask at (H/8, W/8), nearest
 *   encode    prompts [negative, positive] → CLIP ids → text encoder (one batch);
 *             masked image → VAE encoder → × scaling factor (0.18215)
 *   denoise   latents = noise · init σ (strength 1) or add_noise(image latents);
 *             per step: [x, x] scaled, concatenated with mask and masked
 *             latents → ONE UNet call on the batch of 2 → ε = ε₋ + g·(ε₊ − ε₋)
 *             → scheduler step
 *   decode    latents / scaling → VAE decoder → clip(x/2 + ½, 0, 1)
 *
 * Guidance ≤ 1 skips the negative half (batch 1), as diffusers does; a UNet
 * with `timestep_cond` (LCM-distilled) gets the guidance embedding instead
 * and no classifier-free guidance.
 *
 * VAE encoders that output `latent_parameters` (mean, log-variance) are
 * sampled like diffusers' `retrieve_latents` (mean + e^{logvar/2}·z), with z
 * from the seeded generator, so the result stays a function of the seed.
 * Exports with `latent_sample` sample inside the graph (diffusers' ONNX script
 * bakes a RandomNormalLike in): with those, two runs can differ slightly in
 * the unmasked latents; the tiny test fixtures and Optimum exports do not.
 */
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { InferenceService, LoadOptions, Tensor, TensorMap } from '@maskflow/inference';
import type { SdInpaintFiles } from '@maskflow/models';
import { CancelledError, EnvironmentError, UserError } from '@maskflow/workflow';
import type { ModelSession } from '../../sam/model-session';
import { floatFeed, loadSession, requireOutput, toFloat32, unsupportedExport } from '../../sam/model-session';
import { NOISE_STREAMS, PhiloxNoise } from '../noise/philox.noise';
import { createScheduler } from '../schedulers/scheduler.factory';
import { isSchedulerName, schedulerNameForClass } from '../schedulers/scheduler-config';
import { guidanceScaleEmbedding } from '../schedulers/guidance-embedding';
import type { DiffusionScheduler, SchedulerName } from '../schedulers/scheduler.types';
import { ClipTokenizer } from '../tokenizer/clip.tokenizer';
import type { RgbPreview } from './latent-preview';
import { latentPreview } from './latent-preview';
import type { TextEncoderIo, UnetIo, VaeDecoderIo, VaeEncoderIo } from './sd-inpaint.io';
import { textEncoderIo, unetIo, vaeDecoderIo, vaeEncoderIo } from './sd-inpaint.io';

const f32 = Math.fround;

/** SD's VAE latent scale when the export carries no VAE config. */
export const DEFAULT_VAE_SCALING_FACTOR = 0.18215;
/** SD 1.x/2.x inpainting models are trained at 512². */
export const DEFAULT_SD_RESOLUTION = 512;
const LATENT_CHANNELS = 4;
const VAE_FACTOR = 8;

export interface SdInpaintSessions {
  textEncoder: ModelSession;
  unet: ModelSession;
  vaeEncoder: ModelSession;
  vaeDecoder: ModelSession;
}

export interface SdInpaintOptions {
  /** Parsed scheduler/scheduler_config.json. */
  schedulerConfig: Record<string, unknown>;
  vaeScalingFactor?: number;
  /** Identity of the model files, for cache keys. */
  fingerprint?: string;
}

export interface SdInpaintRequest {
  /** RGB, interleaved floats 0–255, width × height (both multiples of 8). */
  image: Float32Array;
  /** 0 = keep, ≥ 128 = repaint, width × height. */
  mask: Uint8Array;
  width: number;
  height: number;
  prompt: string;
  negativePrompt?: string;
  steps: number;
  guidance: number;
  /** A resolved seed (0 … 2⁵³−1). */
  seed: number;
  /** Default: the export's scheduler_config.json class. */
  scheduler?: SchedulerName;
  /** 1 = start from pure noise; below 1, from the noised image. */
  strength?: number;
  signal?: AbortSignal;
  /** After every step: steps done, steps in all, and every `previewEvery` steps a small preview. */
  onStep?(done: number, total: number, preview?: RgbPreview): void;
  previewEvery?: number;
  /** Also time each step in process CPU time (StepTiming.loopCpuMs/runCpuMs; a few syscalls per step, for benches). */
  measureCpu?: boolean;
}

export interface StepTiming {
  /** The step's wall time: building feeds, session.run, guidance, scheduler, preview. */
  totalMs: number;
  /** Wall time awaiting the UNet's session.run. */
  runMs: number;
  /**
   * Process CPU time outside and inside the awaited UNet run. While the loop
   * works the UNet's worker is idle and vice versa, so these separate the
   * loop's own cost from the model's even on a busy machine, where wall
   * times mostly measure waiting for a core. Only with `measureCpu`.
   */
  loopCpuMs?: number;
  runCpuMs?: number;
}

export interface SdInpaintResult {
  /** RGB, interleaved floats 0–1, width × height. */
  image: Float32Array;
  width: number;
  height: number;
  seed: number;
  scheduler: SchedulerName;
  /** Messages for the user (e.g. a prompt that was too long). */
  warnings: string[];
  timings: { textMs: number; encodeMs: number; decodeMs: number; steps: StepTiming[] };
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError();
}

function nowMs(): number {
  return performance.now();
}

function cpuMs(since?: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
}

/** Reads JSON from a file next to a model, or undefined when it is absent. */
async function readJson(file: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new EnvironmentError(`${file} is not valid JSON: ${(err as Error).message}`, {
      code: 'model-invalid',
    });
  }
}

export class SdInpaintPipeline {
  readonly text: TextEncoderIo;
  readonly unet: UnetIo;
  readonly vaeEnc: VaeEncoderIo;
  readonly vaeDec: VaeDecoderIo;
  readonly defaultScheduler: SchedulerName;
  /** A warning when the export's scheduler class is not one of ours. */
  readonly schedulerNote?: string;
  readonly vaeScalingFactor: number;
  readonly fingerprint?: string;

  constructor(
    readonly sessions: SdInpaintSessions,
    readonly tokenizer: ClipTokenizer,
    readonly options: SdInpaintOptions,
  ) {
    this.text = textEncoderIo(sessions.textEncoder);
    this.unet = unetIo(sessions.unet);
    this.vaeEnc = vaeEncoderIo(sessions.vaeEncoder);
    this.vaeDec = vaeDecoderIo(sessions.vaeDecoder);
    const cls = options.schedulerConfig._class_name;
    const name = schedulerNameForClass(cls, options.schedulerConfig);
    this.defaultScheduler = name ?? 'pndm';
    if (!name)
      this.schedulerNote = `the model's scheduler ${String(cls)} is not available here; using pndm (its usual SD default)`;
    this.vaeScalingFactor = options.vaeScalingFactor ?? DEFAULT_VAE_SCALING_FACTOR;
    this.fingerprint = options.fingerprint;
  }

  /** Loads the four sessions through the inference runtime, plus the tokenizer and configs from the export's folder. */
  static async load(
    runtime: InferenceService,
    files: SdInpaintFiles,
    opts: { fingerprint?: string; signal?: AbortSignal; loadOptions?: LoadOptions } = {},
  ): Promise<SdInpaintPipeline> {
    const loadOptions: LoadOptions = { ...opts.loadOptions, signal: opts.signal };
    const schedulerConfig = await readJson(files.schedulerConfig);
    if (!schedulerConfig)
      throw new EnvironmentError(`cannot read ${files.schedulerConfig}`, { code: 'model-missing' });
    const root = path.dirname(path.dirname(files.unet));
    const vaeConfig =
      (await readJson(path.join(path.dirname(files.vaeDecoder), 'config.json'))) ??
      (await readJson(path.join(path.dirname(files.vaeEncoder), 'config.json')));
    const scaling = typeof vaeConfig?.scaling_factor === 'number' ? vaeConfig.scaling_factor : undefined;
    const tokenizerDir = path.dirname(files.tokenizerVocab);
    const tokenizer = await ClipTokenizer.fromDirectory(tokenizerDir);
    const sessions: Partial<SdInpaintSessions> = {};
    try {
      // One after another: loading is I/O and memory bound, and the UNet is by far the largest.
      sessions.textEncoder = await loadSession(runtime, files.textEncoder, loadOptions);
      sessions.vaeEncoder = await loadSession(runtime, files.vaeEncoder, loadOptions);
      sessions.vaeDecoder = await loadSession(runtime, files.vaeDecoder, loadOptions);
      sessions.unet = await loadSession(runtime, files.unet, loadOptions);
      return new SdInpaintPipeline(sessions as SdInpaintSessions, tokenizer, {
        schedulerConfig,
        vaeScalingFactor: scaling,
        fingerprint: opts.fingerprint ?? root,
      });
    } catch (err) {
      await Promise.all(Object.values(sessions).map((s) => s.dispose().catch(() => undefined)));
      throw err;
    }
  }

  async dispose(): Promise<void> {
    const { textEncoder, unet, vaeEncoder, vaeDecoder } = this.sessions;
    await Promise.all([textEncoder, unet, vaeEncoder, vaeDecoder].map((s) => s.dispose()));
  }

  /** The pixel size a request must have when the UNet's spatial dims are fixed. */
  get fixedSize(): { width: number; height: number } | undefined {
    const f = this.unet.fixedLatent;
    return f ? { width: f.width * VAE_FACTOR, height: f.height * VAE_FACTOR } : undefined;
  }

  /** Whether a request with this guidance runs classifier-free guidance (a batch of 2). */
  usesCfg(guidance: number): boolean {
    return guidance > 1 && !this.unet.timestepCond;
  }

  async inpaint(req: SdInpaintRequest): Promise<SdInpaintResult> {
    const { width, height, signal } = req;
    if (width % VAE_FACTOR !== 0 || height % VAE_FACTOR !== 0 || width < VAE_FACTOR || height < VAE_FACTOR) {
      throw new UserError(`the inpaint size ${width}×${height} must be multiples of 8`, { code: 'bad-size' });
    }
    const fixed = this.fixedSize;
    if (fixed && (fixed.width !== width || fixed.height !== height)) {
      throw new UserError(`this UNet only takes ${fixed.width}×${fixed.height}, not ${width}×${height}`, {
        code: 'bad-size',
      });
    }
    if (req.image.length !== width * height * 3)
      throw new RangeError(`image has ${req.image.length} values, expected ${width}×${height}×3`);
    if (req.mask.length !== width * height)
      throw new RangeError(`mask has ${req.mask.length} values, expected ${width}×${height}`);
    const schedulerName = req.scheduler ?? this.defaultScheduler;
    if (!isSchedulerName(schedulerName))
      throw new UserError(`unknown scheduler "${String(schedulerName)}"`, { field: 'scheduler' });
    const strength = req.strength ?? 1;
    if (!(strength > 0 && strength <= 1))
      throw new UserError(`strength must be in (0, 1], got ${strength}`, { field: 'strength' });

    const warnings: string[] = [];
    const h = height / VAE_FACTOR;
    const w = width / VAE_FACTOR;
    const hw = h * w;
    const noise = new PhiloxNoise(req.seed);
    const scheduler = createScheduler(schedulerName, this.options.schedulerConfig);
    scheduler.setTimesteps(req.steps);
    // diffusers' get_timesteps: strength keeps the last ⌊steps·strength⌋ steps.
    const initSteps = Math.min(Math.floor(req.steps * strength), req.steps);
    const tStart = Math.max(req.steps - initSteps, 0);
    const begin = tStart * scheduler.order;
    if (initSteps < 1 || begin >= scheduler.timesteps.length) {
      throw new UserError(
        `strength ${strength} with ${req.steps} steps leaves no step to run; raise steps or strength`,
        { field: 'strength' },
      );
    }
    scheduler.setBeginIndex(begin);

    // Text.
    let t0 = nowMs();
    const cfg = this.usesCfg(req.guidance);
    const prompts = cfg ? [req.negativePrompt ?? '', req.prompt] : [req.prompt];
    const textEmbeds = await this.encodeText(prompts, warnings, signal);
    const textMs = nowMs() - t0;
    throwIfAborted(signal);

    // Image, mask and their latents.
    t0 = nowMs();
    const pixels = NCHW(req.image, width, height);
    const masked = new Float32Array(pixels.length);
    const plane = width * height;
    for (let p = 0; p < plane; p++) {
      const keep = req.mask[p] < 128;
      for (let c = 0; c < 3; c++) masked[c * plane + p] = keep ? pixels[c * plane + p] : 0;
    }
    const maskLatent = new Float32Array(hw);
    // torch.nn.functional.interpolate(mode="nearest"): source pixel ⌊dst · 8⌋.
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        maskLatent[y * w + x] = req.mask[y * VAE_FACTOR * width + x * VAE_FACTOR] >= 128 ? 1 : 0;
    const maskedLatents = await this.encodeImage(masked, width, height, noise, 0, signal);
    let latents: Float32Array;
    if (strength >= 1) {
      const z = noise.normal(NOISE_STREAMS.initialLatents, LATENT_CHANNELS * hw);
      const s = f32(scheduler.initNoiseSigma);
      latents = new Float32Array(z.length);
      for (let k = 0; k < z.length; k++) latents[k] = z[k] * s;
    } else {
      const imageLatents = await this.encodeImage(pixels, width, height, noise, LATENT_CHANNELS * hw, signal);
      latents = scheduler.addNoise(
        imageLatents,
        noise.normal(NOISE_STREAMS.initialLatents, LATENT_CHANNELS * hw),
        begin,
      );
    }
    const encodeMs = nowMs() - t0;
    throwIfAborted(signal);

    // Denoising loop.
    const steps = await this.denoise(scheduler, begin, latents, maskLatent, maskedLatents, textEmbeds, {
      h,
      w,
      cfg,
      guidance: req.guidance,
      noise,
      signal,
      onStep: req.onStep,
      previewEvery: req.previewEvery,
      measureCpu: req.measureCpu ?? false,
    });

    // Decode.
    t0 = nowMs();
    const image = await this.decode(steps.latents, h, w, signal);
    const decodeMs = nowMs() - t0;
    return {
      image,
      width,
      height,
      seed: req.seed,
      scheduler: schedulerName,
      warnings,
      timings: { textMs, encodeMs, decodeMs, steps: steps.timings },
    };
  }

  /** CLIP ids → last_hidden_state for each prompt, concatenated [B, 77, hidden], in the UNet's float type. */
  private async encodeText(prompts: string[], warnings: string[], signal?: AbortSignal): Promise<Tensor> {
    const len = this.tokenizer.maxLength;
    const ids: number[] = [];
    for (const [i, text] of prompts.entries()) {
      const e = this.tokenizer.encode(text);
      if (e.truncatedTokens > 0) {
        const which = prompts.length === 2 && i === 0 ? 'negative prompt' : 'prompt';
        const dropped = this.tokenizer.decode(this.tokenizer.tokenize(text).slice(len - 2));
        warnings.push(
          `the ${which} is ${e.tokenCount} tokens; CLIP reads ${len - 2}, so "${dropped}" was ignored`,
        );
      }
      ids.push(...e.ids);
    }
    const chunks: Float32Array[] = [];
    let hidden = 0;
    const per = Math.min(this.text.maxBatch, prompts.length);
    for (let b = 0; b < prompts.length; b += per) {
      const n = Math.min(per, prompts.length - b);
      const out = await this.sessions.textEncoder.run(
        { [this.text.ids.name]: this.text.idsFeed(ids.slice(b * len, (b + n) * len), n, len) },
        { signal },
      );
      const t = requireOutput(out, this.text.output, this.sessions.textEncoder);
      hidden = t.dims[2];
      chunks.push(toFloat32(t, this.text.output));
    }
    const expected = this.unet.hiddenSize;
    if (expected !== undefined && hidden !== expected) {
      throw new EnvironmentError(
        `the text encoder gives ${hidden}-wide embeddings but the UNet takes ${expected}: the two files are from different models`,
        { code: 'model-mismatch' },
      );
    }
    const all = new Float32Array(prompts.length * len * hidden);
    let at = 0;
    for (const c of chunks) {
      all.set(c, at);
      at += c.length;
    }
    return floatFeed(this.unet.text, [prompts.length, len, hidden], all);
  }

  /** VAE-encodes an NCHW [−1, 1] image to scaled latents [4, h, w]; `noiseOffset` picks the part of the VAE noise stream. */
  private async encodeImage(
    nchw: Float32Array,
    width: number,
    height: number,
    noise: PhiloxNoise,
    noiseOffset: number,
    signal?: AbortSignal,
  ): Promise<Float32Array> {
    const session = this.sessions.vaeEncoder;
    const out = await session.run(
      { [this.vaeEnc.input.name]: floatFeed(this.vaeEnc.input, [1, 3, height, width], nchw) },
      { signal },
    );
    const t = requireOutput(out, this.vaeEnc.output, session);
    const data = toFloat32(t, this.vaeEnc.output);
    const hw = (height / VAE_FACTOR) * (width / VAE_FACTOR);
    const n = LATENT_CHANNELS * hw;
    const scale = f32(this.vaeScalingFactor);
    const latents = new Float32Array(n);
    if (this.vaeEnc.kind === 'latent_parameters') {
      if (data.length < 2 * n)
        throw unsupportedExport(
          session,
          'an SD VAE encoder',
          `latent_parameters has ${data.length} values, expected 8×${hw}`,
        );
      const z = noise.normal(NOISE_STREAMS.vaeSample, n, noiseOffset);
      for (let k = 0; k < n; k++) {
        const logvar = Math.min(Math.max(data[n + k], -30), 20);
        latents[k] = f32(data[k] + f32(Math.exp(0.5 * logvar)) * z[k]) * scale;
      }
    } else {
      if (data.length < n)
        throw unsupportedExport(
          session,
          'an SD VAE encoder',
          `latent_sample has ${data.length} values, expected 4×${hw}`,
        );
      for (let k = 0; k < n; k++) latents[k] = data[k] * scale;
    }
    return latents;
  }

  private async denoise(
    scheduler: DiffusionScheduler,
    begin: number,
    initial: Float32Array,
    maskLatent: Float32Array,
    maskedLatents: Float32Array,
    text: Tensor,
    o: {
      h: number;
      w: number;
      cfg: boolean;
      guidance: number;
      noise: PhiloxNoise;
      signal?: AbortSignal;
      onStep?: SdInpaintRequest['onStep'];
      previewEvery?: number;
      measureCpu: boolean;
    },
  ): Promise<{ latents: Float32Array; timings: StepTiming[] }> {
    const { h, w, cfg, signal } = o;
    const hw = h * w;
    const n = LATENT_CHANNELS * hw;
    const perItem = 9 * hw;
    const batch = cfg ? 2 : 1;
    const perCall = Math.min(batch, this.unet.maxBatch);
    const unet = this.sessions.unet;
    const total = scheduler.timesteps.length - begin;
    const previewEvery = Math.max(1, o.previewEvery ?? 5);
    const g = f32(o.guidance);
    const cond = this.unet.timestepCond
      ? guidanceScaleEmbedding(o.guidance - 1, this.unet.condDim ?? 256)
      : undefined;
    const timings: StepTiming[] = [];
    let latents = initial;
    for (let i = begin; i < scheduler.timesteps.length; i++) {
      throwIfAborted(signal);
      const tStep = nowMs();
      const cStep = o.measureCpu ? process.cpuUsage() : undefined;
      const t = scheduler.timesteps[i];
      const eps = new Float32Array(batch * n);
      let runMs = 0;
      let runCpuMs = 0;
      for (let b0 = 0; b0 < batch; b0 += perCall) {
        const nb = Math.min(perCall, batch - b0);
        const sample = new Float32Array(nb * perItem);
        for (let b = 0; b < nb; b++) {
          scheduler.scaleModelInput(latents, i, sample, b * perItem);
          sample.set(maskLatent, b * perItem + n);
          sample.set(maskedLatents, b * perItem + n + hw);
        }
        const feeds: TensorMap = {
          [this.unet.sample.name]: floatFeed(this.unet.sample, [nb, 9, h, w], sample),
          [this.unet.timestep.name]: this.unet.timestepFeed(t, nb),
          [this.unet.text.name]: sliceBatch(text, b0, nb),
        };
        if (cond && this.unet.timestepCond) {
          const c = new Float32Array(nb * cond.length);
          for (let b = 0; b < nb; b++) c.set(cond, b * cond.length);
          feeds[this.unet.timestepCond.name] = floatFeed(this.unet.timestepCond, [nb, cond.length], c);
        }
        const r0 = nowMs();
        const c0 = cStep && process.cpuUsage();
        const out = await unet.run(feeds, { signal });
        if (c0) runCpuMs += cpuMs(c0);
        runMs += nowMs() - r0;
        const pred = toFloat32(requireOutput(out, this.unet.output, unet), this.unet.output);
        if (pred.length < nb * n)
          throw unsupportedExport(
            unet,
            'an SD inpainting UNet',
            `out_sample has ${pred.length} values, expected ${nb}×4×${h}×${w}`,
          );
        eps.set(pred.subarray(0, nb * n), b0 * n);
      }
      let guided: Float32Array;
      if (cfg) {
        guided = new Float32Array(n);
        // ε₋ + g·(ε₊ − ε₋), each operation in float32 as diffusers' torch expression.
        for (let k = 0; k < n; k++) guided[k] = eps[k] + f32(g * f32(eps[n + k] - eps[k]));
      } else {
        guided = eps;
      }
      const z = scheduler.needsNoise(i) ? o.noise.normal(NOISE_STREAMS.step(i), n) : undefined;
      const r = scheduler.step(guided, i, latents, z);
      latents = r.prevSample;
      const done = i - begin + 1;
      const preview =
        o.onStep && (done % previewEvery === 0 || done === total)
          ? latentPreview(r.denoised ?? latents, w, h)
          : undefined;
      o.onStep?.(done, total, preview);
      timings.push({
        totalMs: nowMs() - tStep,
        runMs,
        ...(cStep ? { loopCpuMs: cpuMs(cStep) - runCpuMs, runCpuMs } : {}),
      });
    }
    return { latents, timings };
  }

  private async decode(
    latents: Float32Array,
    h: number,
    w: number,
    signal?: AbortSignal,
  ): Promise<Float32Array> {
    throwIfAborted(signal);
    const session = this.sessions.vaeDecoder;
    const inv = f32(1 / this.vaeScalingFactor);
    const scaled = new Float32Array(latents.length);
    for (let k = 0; k < latents.length; k++) scaled[k] = latents[k] * inv;
    const out = await session.run(
      { [this.vaeDec.input.name]: floatFeed(this.vaeDec.input, [1, LATENT_CHANNELS, h, w], scaled) },
      { signal },
    );
    const t = requireOutput(out, this.vaeDec.output, session);
    const data = toFloat32(t, this.vaeDec.output);
    const H = h * VAE_FACTOR;
    const W = w * VAE_FACTOR;
    const plane = H * W;
    if (data.length < 3 * plane)
      throw unsupportedExport(
        session,
        'an SD VAE decoder',
        `sample has ${data.length} values, expected 3×${H}×${W}`,
      );
    const rgb = new Float32Array(plane * 3);
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < 3; c++) rgb[p * 3 + c] = Math.min(Math.max(data[c * plane + p] / 2 + 0.5, 0), 1);
    }
    return rgb;
  }
}

/** Interleaved RGB 0–255 → planar [3, H, W] in [−1, 1]. */
function NCHW(rgb: Float32Array, width: number, height: number): Float32Array {
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) out[c * plane + p] = rgb[p * 3 + c] / 127.5 - 1;
  return out;
}

/** Batch items [from, from + count) of a [B, …] tensor, as a fresh tensor (feeds are moved to the worker, so never reused). */
function sliceBatch(t: Tensor, from: number, count: number): Tensor {
  const per = t.data.length / t.dims[0];
  const dims = [count, ...t.dims.slice(1)];
  switch (t.type) {
    case 'float32':
      return { type: 'float32', dims, data: t.data.slice(from * per, (from + count) * per) };
    case 'float16':
      return { type: 'float16', dims, data: t.data.slice(from * per, (from + count) * per) };
    default:
      throw new Error(`text embeddings must be float, got ${t.type}`);
  }
}
