/**
 * Segment Anything, split export (encoder + decoder): prepare → encoder (once
 * per image, cached) → decoder (once per box) → postprocess. Reads both
 * sessions' metadata to pick the encoder's input layout and the decoder's
 * feeds, so MobileSAM, SAM ViT-B/H and the samexporter variants all fit.
 */
import { CancelledError } from '@maskflow/workflow';
import type { InferenceService, TensorMap, TensorMetadata } from '@maskflow/inference';
import type { PlaneSize, RgbImage, RgbResampler } from './image-resample';
import type { ModelSession } from './model-session';
import {
  findValue,
  findValueByNames,
  floatFeed,
  intFeed,
  loadSession,
  requireOutput,
  staticDims,
  toFloat32,
  unsupportedExport,
} from './model-session';
import type { SamEmbedding, SamEmbeddingCache } from './sam-embedding.cache';
import { embeddingKey, samEmbeddingCache } from './sam-embedding.cache';
import type { SamMaskChoice, SamOutputMode } from './sam-postprocess';
import { maskFromLogits, selectMaskIndex, unionMasks, upscaleMask } from './sam-postprocess';
import type { SamEncoderLayout } from './sam-preprocess';
import { samEncoderImage, samEncoderLayout } from './sam-preprocess';
import type { SamBox, SamPoint } from './sam-prompt';
import { encodeSamPrompt } from './sam-prompt';

export interface SamBoxPrompt extends SamBox {
  /** Carried to the object's mask (e.g. the GroundingDINO phrase). */
  label?: string;
}

export interface SamSegmentOptions {
  /** One object per box; the points refine every box. */
  boxes?: readonly SamBoxPrompt[];
  /** Clicks in original pixels. Without boxes they describe one object. */
  points?: readonly SamPoint[];
  maskChoice?: SamMaskChoice;
  outputMode?: SamOutputMode;
  signal?: AbortSignal;
  /** Steps: the encoder (or the cache hit) is step 1, then one per decoder run. */
  onProgress?(done: number, total: number, phase: 'encode' | 'decode'): void;
}

export interface SamObject {
  mask: Uint8Array;
  /** The decoder's predicted IoU of the chosen mask. */
  score: number;
  label: string;
  /** Which of the decoder's masks was chosen. */
  maskIndex: number;
}

export interface SamResult {
  width: number;
  height: number;
  objects: SamObject[];
  /** Per-pixel maximum over the objects (empty when there is none). */
  union: Uint8Array;
  /** Whether the image embedding came from the cache (decoder-only run). */
  embeddingCached: boolean;
  /** Whether the encoder ran at all (false when there was nothing to segment). */
  encoderRan: boolean;
  ms: { encode: number; decode: number };
}

export interface SamPipelineOptions {
  /** The model's identity (modelFingerprint), part of every embedding cache key. */
  fingerprint: string;
  cache?: SamEmbeddingCache;
  /** How the image is resized to the long side 1024 (default: sharp's linear kernel, off the event loop). */
  resample?: RgbResampler;
}

const DECODER_INPUTS = [
  'image_embeddings',
  'point_coords',
  'point_labels',
  'mask_input',
  'has_mask_input',
  'orig_im_size',
];

export class SamPipeline {
  readonly layout: SamEncoderLayout;
  readonly cache: SamEmbeddingCache;
  readonly fingerprint: string;
  private readonly encoderInput: TensorMetadata;
  private readonly fixedHwc?: PlaneSize;
  private readonly embeddingOutput: string;
  private readonly lowResOutput?: string;
  private readonly masksOutput?: string;
  private readonly iouOutput: string;
  private readonly inflight = new Map<string, Promise<SamEmbedding>>();
  private readonly resample?: RgbResampler;
  /** Only what postprocessing reads: skips computing the full-size `masks` when low_res_masks exists. */
  private readonly decoderFetch: string[];

  constructor(
    readonly encoder: ModelSession,
    readonly decoder: ModelSession,
    opts: SamPipelineOptions,
  ) {
    this.fingerprint = opts.fingerprint;
    this.cache = opts.cache ?? samEmbeddingCache;
    this.resample = opts.resample;

    const inputs = encoder.inputMetadata.filter((m): m is TensorMetadata => m.isTensor);
    if (inputs.length !== 1)
      throw unsupportedExport(encoder, 'a SAM image encoder', 'it should take exactly one image input');
    this.encoderInput = inputs[0];
    const layout = samEncoderLayout(this.encoderInput);
    if (!layout) {
      throw unsupportedExport(
        encoder,
        'a SAM image encoder',
        `input "${this.encoderInput.name}" has rank ${this.encoderInput.shape.length}, expected [H,W,3] or [1,3,1024,1024]`,
      );
    }
    this.layout = layout;
    if (layout === 'hwc') {
      const [h, w] = staticDims(this.encoderInput);
      if (h !== undefined && w !== undefined) this.fixedHwc = { height: h, width: w };
    }
    const emb =
      findValue(encoder.outputMetadata, 'image_embeddings') ??
      encoder.outputMetadata.find((m): m is TensorMetadata => m.isTensor);
    if (!emb) throw unsupportedExport(encoder, 'a SAM image encoder', 'it has no tensor output');
    this.embeddingOutput = emb.name;

    for (const name of ['image_embeddings', 'point_coords', 'point_labels']) {
      if (!findValue(decoder.inputMetadata, name))
        throw unsupportedExport(decoder, 'a SAM mask decoder', `input "${name}" is missing`);
    }
    const unknown = decoder.inputMetadata.filter((m) => !DECODER_INPUTS.includes(m.name)).map((m) => m.name);
    if (unknown.length > 0)
      throw unsupportedExport(
        decoder,
        'a SAM mask decoder (official export)',
        `unknown inputs ${unknown.join(', ')}`,
      );
    this.lowResOutput = findValue(decoder.outputMetadata, 'low_res_masks')?.name;
    this.masksOutput = findValue(decoder.outputMetadata, 'masks')?.name;
    if (!this.lowResOutput && !this.masksOutput)
      throw unsupportedExport(decoder, 'a SAM mask decoder', 'it has neither low_res_masks nor masks');
    const iou = findValueByNames(decoder.outputMetadata, ['iou_predictions', 'scores', 'iou_scores']);
    if (!iou) throw unsupportedExport(decoder, 'a SAM mask decoder', 'it has no iou_predictions output');
    this.iouOutput = iou.name;
    this.decoderFetch = [this.lowResOutput ?? this.masksOutput ?? 'masks', this.iouOutput];
  }

  /** Loads both sessions through the runtime. */
  static async load(
    runtime: InferenceService,
    files: { encoder: string; decoder: string },
    opts: SamPipelineOptions & { signal?: AbortSignal },
  ): Promise<SamPipeline> {
    const encoder = await loadSession(runtime, files.encoder, { signal: opts.signal });
    try {
      const decoder = await loadSession(runtime, files.decoder, { signal: opts.signal });
      try {
        return new SamPipeline(encoder, decoder, opts);
      } catch (err) {
        await decoder.dispose();
        throw err;
      }
    } catch (err) {
      await encoder.dispose();
      throw err;
    }
  }

  async dispose(): Promise<void> {
    await Promise.all([this.encoder.dispose(), this.decoder.dispose()]);
  }

  embeddingKey(image: RgbImage): string {
    return embeddingKey(this.fingerprint, image);
  }

  /** The image embedding, from the cache or by running the encoder (concurrent requests for one image share a run). */
  async embed(image: RgbImage, signal?: AbortSignal): Promise<{ embedding: SamEmbedding; cached: boolean }> {
    const key = this.embeddingKey(image);
    const hit = this.cache.get(key);
    if (hit) return { embedding: hit, cached: true };
    const shared = this.inflight.get(key);
    const pending = shared ?? this.runEncoder(image, signal).finally(() => this.inflight.delete(key));
    if (!shared) this.inflight.set(key, pending);
    let embedding: SamEmbedding;
    try {
      embedding = await pending;
    } catch (err) {
      // Another caller's run was cancelled, not ours: run it again for us.
      if (shared && err instanceof CancelledError && !signal?.aborted) return this.embed(image, signal);
      throw err;
    }
    this.cache.set(key, embedding);
    return { embedding, cached: false };
  }

  private async runEncoder(image: RgbImage, signal?: AbortSignal): Promise<SamEmbedding> {
    const input = await samEncoderImage(image, this.layout, this.fixedHwc, this.resample);
    const outputs = await this.encoder.run(
      { [this.encoderInput.name]: floatFeed(this.encoderInput, input.dims, input.data) },
      { signal },
    );
    const t = requireOutput(outputs, this.embeddingOutput, this.encoder);
    return { data: toFloat32(t, this.embeddingOutput), dims: [...t.dims], resized: input.resized };
  }

  /** Runs the decoder for one prompt; returns each mask's logits plane getter and the predicted IoUs. */
  private async runDecoder(
    embedding: SamEmbedding,
    prompt: { box?: SamBox; points?: readonly SamPoint[] },
    original: PlaneSize,
    signal?: AbortSignal,
  ): Promise<{ count: number; ious: Float32Array; mask(index: number, mode: SamOutputMode): Uint8Array }> {
    const encoded = encodeSamPrompt(prompt, original, embedding.resized);
    const meta = (name: string): TensorMetadata | undefined => findValue(this.decoder.inputMetadata, name);
    const feeds: TensorMap = {};
    const embMeta = meta('image_embeddings');
    // Feeds are handed over to the worker: the cached embedding itself must stay.
    if (embMeta) feeds[embMeta.name] = floatFeed(embMeta, embedding.dims, embedding.data.slice());
    const coords = meta('point_coords');
    if (coords) feeds[coords.name] = floatFeed(coords, [1, encoded.count, 2], encoded.coords);
    const labels = meta('point_labels');
    if (labels) feeds[labels.name] = floatFeed(labels, [1, encoded.count], encoded.labels);
    const maskInput = meta('mask_input');
    if (maskInput) {
      const [, , h = 256, w = 256] = staticDims(maskInput);
      feeds[maskInput.name] = floatFeed(maskInput, [1, 1, h, w], new Float32Array(h * w));
    }
    const hasMask = meta('has_mask_input');
    if (hasMask)
      feeds[hasMask.name] = floatFeed(hasMask, hasMask.shape.length === 0 ? [] : [1], new Float32Array(1));
    const orig = meta('orig_im_size');
    // float32 in the official export; some re-exports take int64: intFeed follows the metadata either way.
    if (orig) feeds[orig.name] = intFeed(orig, [2], [original.height, original.width]);

    const outputs = await this.decoder.run(feeds, { signal, outputs: this.decoderFetch });
    const iouT = requireOutput(outputs, this.iouOutput, this.decoder);
    const ious = toFloat32(iouT, this.iouOutput);
    if (this.lowResOutput) {
      const t = requireOutput(outputs, this.lowResOutput, this.decoder);
      const data = toFloat32(t, this.lowResOutput);
      const [, c, h, w] = t.dims;
      const size = { width: w, height: h };
      return {
        count: c,
        ious,
        mask: (i, mode) =>
          upscaleMask(data.subarray(i * h * w, (i + 1) * h * w), size, embedding.resized, original, mode),
      };
    }
    const name = this.masksOutput ?? 'masks';
    const t = requireOutput(outputs, name, this.decoder);
    const data = toFloat32(t, name);
    const [, c, h, w] = t.dims;
    if (h !== original.height || w !== original.width) {
      throw unsupportedExport(
        this.decoder,
        'a SAM mask decoder',
        `its masks are ${w}×${h} for a ${original.width}×${original.height} image and it has no low_res_masks`,
      );
    }
    return {
      count: c,
      ious,
      mask: (i, mode) => maskFromLogits(data.subarray(i * h * w, (i + 1) * h * w), mode),
    };
  }

  /** Masks for every box (points refine each), or for the points alone. */
  async segment(image: RgbImage, opts: SamSegmentOptions = {}): Promise<SamResult> {
    const original = { width: image.width, height: image.height };
    const pixels = image.width * image.height;
    const boxes = opts.boxes ?? [];
    const points = opts.points ?? [];
    const prompts: Array<{ box?: SamBox; points: readonly SamPoint[]; label: string }> =
      boxes.length > 0
        ? boxes.map((b) => ({ box: b, points, label: b.label ?? '' }))
        : points.length > 0
          ? [{ points, label: 'points' }]
          : [];
    if (prompts.length === 0) {
      return {
        ...original,
        objects: [],
        union: new Uint8Array(pixels),
        embeddingCached: false,
        encoderRan: false,
        ms: { encode: 0, decode: 0 },
      };
    }
    const total = prompts.length + 1;
    const t0 = performance.now();
    const { embedding, cached } = await this.embed(image, opts.signal);
    const t1 = performance.now();
    opts.onProgress?.(1, total, 'encode');
    const objects: SamObject[] = [];
    for (const [i, p] of prompts.entries()) {
      if (opts.signal?.aborted) throw new CancelledError();
      const out = await this.runDecoder(embedding, p, original, opts.signal);
      const index = selectMaskIndex(out.ious, out.count, opts.maskChoice ?? 'single');
      objects.push({
        mask: out.mask(index, opts.outputMode ?? 'binary'),
        score: out.ious[index],
        label: p.label,
        maskIndex: index,
      });
      opts.onProgress?.(i + 2, total, 'decode');
    }
    return {
      ...original,
      objects,
      // One object: its mask is the union (values are immutable, so sharing the buffer is safe).
      union:
        objects.length === 1
          ? objects[0].mask
          : unionMasks(
              objects.map((o) => o.mask),
              pixels,
            ),
      embeddingCached: cached,
      encoderRan: !cached,
      ms: { encode: t1 - t0, decode: performance.now() - t1 },
    };
  }
}
