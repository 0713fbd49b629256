/**
 * GroundingDINO: prompt + image → boxes. prepare (caption, tokens, pixels) →
 * processor (the export adapter builds feeds from the session's metadata) →
 * session → postprocess (thresholds, phrase mapping, optional NMS).
 */
import { readFile } from 'node:fs/promises';
import { EnvironmentError } from '@maskflow/workflow';
import type { InferenceService, TensorMap, TensorMetadata } from '@maskflow/inference';
import type { PlaneSize, RgbImage, RgbResampler } from '../sam/image-resample';
import type { ModelSession } from '../sam/model-session';
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
} from '../sam/model-session';
import type { FloatTensor, GroundedDetection } from './grounding-dino.postprocess';
import { nonMaximumSuppression, postProcessGroundedDetection } from './grounding-dino.postprocess';
import type { GroundingDinoPreprocessorConfig } from './grounding-dino.preprocess';
import {
  groundingDinoInputSize,
  groundingDinoPixelValues,
  parsePreprocessorConfig,
} from './grounding-dino.preprocess';
import type { TokenizedPrompt, TokenizerFiles } from './grounding-dino.tokenizer';
import { GROUNDING_MAX_TOKENS, GroundingTokenizer } from './grounding-dino.tokenizer';

/** Files of a GroundingDINO folder in the Hugging Face layout (the model manager's GroundingDinoFiles fits). */
export interface GroundingDinoModelFiles extends TokenizerFiles {
  model: string;
  preprocessorConfig: string;
  config?: string;
}

export interface PreparedInputs {
  pixelValues: Float32Array;
  size: PlaneSize;
  tokens: TokenizedPrompt;
}

/**
 * How one family of exports takes its inputs and names its outputs. Only the
 * transformers/Optimum export (onnx-community) is implemented; others (e.g.
 * X-AnyLabeling's `img`, `position_ids`, `text_token_mask`) would add one.
 */
export interface GroundingDinoExportAdapter {
  readonly name: string;
  accepts(session: ModelSession): boolean;
  /** The graph's fixed input size, if it has one. */
  staticSize(session: ModelSession): PlaneSize | undefined;
  feeds(session: ModelSession, inputs: PreparedInputs): TensorMap;
  outputs(session: ModelSession, outputs: TensorMap): { logits: FloatTensor; boxes: FloatTensor };
}

const HF_INPUTS = ['pixel_values', 'input_ids', 'attention_mask', 'token_type_ids', 'pixel_mask'];

/** onnx-community/grounding-dino-*-ONNX (transformers.js / Optimum). */
export const transformersGroundingDinoExport: GroundingDinoExportAdapter = {
  name: 'transformers',
  accepts(session) {
    const names = session.inputMetadata.map((m) => m.name);
    return (
      names.includes('pixel_values') &&
      names.includes('input_ids') &&
      names.every((n) => HF_INPUTS.includes(n))
    );
  },
  staticSize(session) {
    const pv = findValue(session.inputMetadata, 'pixel_values');
    if (!pv) return undefined;
    const [, , h, w] = staticDims(pv);
    return h !== undefined && w !== undefined ? { height: h, width: w } : undefined;
  },
  feeds(session, { pixelValues, size, tokens }) {
    const meta = (n: string): TensorMetadata | undefined => findValue(session.inputMetadata, n);
    const feeds: TensorMap = {};
    const S = tokens.ids.length;
    const pv = meta('pixel_values');
    if (pv) feeds[pv.name] = floatFeed(pv, [1, 3, size.height, size.width], pixelValues);
    const ids = meta('input_ids');
    if (ids) feeds[ids.name] = intFeed(ids, [1, S], tokens.ids);
    const am = meta('attention_mask');
    if (am) feeds[am.name] = intFeed(am, [1, S], tokens.attentionMask);
    const tt = meta('token_type_ids');
    if (tt) feeds[tt.name] = intFeed(tt, [1, S], tokens.tokenTypeIds);
    const pm = meta('pixel_mask');
    // Batch of one: nothing is padded, so every pixel is real.
    if (pm)
      feeds[pm.name] = intFeed(
        pm,
        [1, size.height, size.width],
        new Uint8Array(size.width * size.height).fill(1),
      );
    return feeds;
  },
  outputs(session, outputs) {
    const logitsName = findValueByNames(session.outputMetadata, ['logits', 'pred_logits'])?.name ?? 'logits';
    const boxesName = findValueByNames(session.outputMetadata, ['pred_boxes', 'boxes'])?.name ?? 'pred_boxes';
    const l = requireOutput(outputs, logitsName, session);
    const b = requireOutput(outputs, boxesName, session);
    return {
      logits: { data: toFloat32(l, logitsName), dims: l.dims },
      boxes: { data: toFloat32(b, boxesName), dims: b.dims },
    };
  },
};

export const GROUNDING_DINO_EXPORTS: readonly GroundingDinoExportAdapter[] = [
  transformersGroundingDinoExport,
];

export interface GroundingDinoDetectOptions {
  boxThreshold?: number;
  textThreshold?: number;
  /** Keep at most this many boxes (highest scores). */
  maxDetections?: number;
  /** Non-maximum suppression within each phrase at this IoU; off when undefined. */
  nmsIou?: number;
  signal?: AbortSignal;
}

export interface GroundingDinoDetection extends GroundedDetection {
  /** The matched words decoded (IDEA's phrase text), e.g. "mug". */
  matchedText: string;
}

export interface GroundingDinoResult {
  detections: GroundingDinoDetection[];
  tokens: TokenizedPrompt;
  /** The highest query score, kept or not (tells "nothing found" from "almost found"). */
  bestScore: number;
  inputSize: PlaneSize;
  ms: number;
}

export class GroundingDinoPipeline {
  readonly adapter: GroundingDinoExportAdapter;

  constructor(
    readonly session: ModelSession,
    readonly tokenizer: GroundingTokenizer,
    readonly preprocessor: GroundingDinoPreprocessorConfig,
    /** How the image is resized (default: sharp's linear kernel, off the event loop). */
    readonly resample?: RgbResampler,
  ) {
    const adapter = GROUNDING_DINO_EXPORTS.find((a) => a.accepts(session));
    if (!adapter) {
      throw unsupportedExport(
        session,
        'a GroundingDINO export Maskflow knows',
        `expected inputs ${HF_INPUTS.join(', ')} (pixel_values and input_ids required)`,
      );
    }
    this.adapter = adapter;
  }

  static async load(
    runtime: InferenceService,
    files: GroundingDinoModelFiles,
    opts: { signal?: AbortSignal; resample?: RgbResampler } = {},
  ): Promise<GroundingDinoPipeline> {
    const preprocessor = parsePreprocessorConfig(await readJson(files.preprocessorConfig));
    const config = files.config ? await readJson(files.config) : {};
    const maxTokens = typeof config.max_text_len === 'number' ? config.max_text_len : GROUNDING_MAX_TOKENS;
    const tokenizer = await GroundingTokenizer.fromFiles(files, maxTokens);
    const session = await loadSession(runtime, files.model, { signal: opts.signal });
    try {
      return new GroundingDinoPipeline(session, tokenizer, preprocessor, opts.resample);
    } catch (err) {
      await session.dispose();
      throw err;
    }
  }

  dispose(): Promise<void> {
    return this.session.dispose();
  }

  /** Tokens and pixels for one image and prompt. */
  async prepare(image: RgbImage, prompt: string): Promise<PreparedInputs> {
    const tokens = this.tokenizer.encodePrompt(prompt);
    const size = groundingDinoInputSize(image, this.preprocessor, this.adapter.staticSize(this.session));
    return {
      tokens,
      size,
      pixelValues: await groundingDinoPixelValues(image, size, this.preprocessor, this.resample),
    };
  }

  async detect(
    image: RgbImage,
    prompt: string,
    opts: GroundingDinoDetectOptions = {},
  ): Promise<GroundingDinoResult> {
    const t0 = performance.now();
    const prepared = await this.prepare(image, prompt);
    const outputs = await this.session.run(this.adapter.feeds(this.session, prepared), {
      signal: opts.signal,
    });
    const { logits, boxes } = this.adapter.outputs(this.session, outputs);
    const raw = postProcessGroundedDetection(logits, boxes, prepared.tokens.phrases, {
      boxThreshold: opts.boxThreshold ?? 0.35,
      textThreshold: opts.textThreshold ?? 0.25,
      targetSize: { width: image.width, height: image.height },
    });
    const bestScore = raw.length > 0 ? raw[0].score : bestQueryScore(logits);
    let kept = opts.nmsIou !== undefined ? nonMaximumSuppression(raw, opts.nmsIou) : raw;
    if (opts.maxDetections !== undefined) kept = kept.slice(0, opts.maxDetections);
    const ids = prepared.tokens.ids;
    return {
      detections: kept.map((d) => ({
        ...d,
        matchedText: this.tokenizer.decode(d.matchedTokens.map((t) => ids[t])),
      })),
      tokens: prepared.tokens,
      bestScore,
      inputSize: prepared.size,
      ms: performance.now() - t0,
    };
  }
}

function bestQueryScore(logits: FloatTensor): number {
  let m = -Infinity;
  for (const v of logits.data) if (v > m) m = v;
  return 1 / (1 + Math.exp(-m));
}

async function readJson(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new EnvironmentError(`cannot read ${file}: ${(err as Error).message}`, {
      code: 'model-invalid',
      cause: err,
    });
  }
  try {
    const json: unknown = JSON.parse(text);
    if (typeof json !== 'object' || json === null || Array.isArray(json))
      throw new Error('not a JSON object');
    return json as Record<string, unknown>;
  } catch (err) {
    throw new EnvironmentError(`${file} is not valid JSON: ${(err as Error).message}`, {
      code: 'model-invalid',
      cause: err,
    });
  }
}
