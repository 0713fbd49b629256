/**
 * Exports differ in names, dtypes and optional inputs: the pipelines build
 * feeds from each session's metadata. Checked with in-process sessions (our
 * ModelSession seam) that record what they were fed.
 */
import { EnvironmentError } from '@maskflow/workflow';
import { float16ToFloat32, float32ToFloat16 } from '@maskflow/inference';
import type { Tensor, TensorMap, TensorMetadata } from '@maskflow/inference';
import { builtinBertVocab } from '../../../../test/fixtures/tiny-models/tokenizer-files.fixture';
import { GroundingDinoPipeline } from '../grounding-dino/grounding-dino.pipeline';
import { parsePreprocessorConfig } from '../grounding-dino/grounding-dino.preprocess';
import { GroundingTokenizer } from '../grounding-dino/grounding-dino.tokenizer';
import type { ModelSession } from './model-session';
import { pilBilinearResampler } from './image-resample';
import { SamEmbeddingCache } from './sam-embedding.cache';
import { SamPipeline } from './sam.pipeline';

const meta = (name: string, type: TensorMetadata['type'], shape: Array<number | string>): TensorMetadata => ({
  name,
  isTensor: true,
  type,
  shape,
});

function fakeSession(
  inputs: TensorMetadata[],
  outputs: TensorMetadata[],
  run: (feeds: TensorMap) => TensorMap,
): ModelSession & { calls: TensorMap[]; fetched: Array<string[] | undefined> } {
  const calls: TensorMap[] = [];
  const fetched: Array<string[] | undefined> = [];
  return {
    name: 'fake.onnx',
    inputMetadata: inputs,
    outputMetadata: outputs,
    calls,
    fetched,
    async run(feeds, opts) {
      calls.push(feeds);
      fetched.push(opts?.outputs);
      return run(feeds);
    },
    dispose: async () => undefined,
  };
}

const image = { width: 40, height: 20, channels: 3 as const, data: new Uint8Array(40 * 20 * 3).fill(128) };

describe('GroundingDINO feeds follow the session metadata', () => {
  const tokenizer = GroundingTokenizer.fromVocab(builtinBertVocab());
  const preprocessor = parsePreprocessorConfig({ size: { height: 16, width: 32 } });
  const outputs = [meta('logits', 'float16', [1, 2, 256]), meta('pred_boxes', 'float32', [1, 2, 4])];
  const answer = (): TensorMap => {
    const logits = new Float32Array(2 * 256).fill(-Infinity);
    for (let t = 0; t < 5; t++) logits[t] = t === 1 ? 2 : -2; // query 0 matches the first phrase token
    for (let t = 0; t < 5; t++) logits[256 + t] = -3;
    return {
      logits: { type: 'float16', dims: [1, 2, 256], data: float32ToFloat16(logits) },
      pred_boxes: {
        type: 'float32',
        dims: [1, 2, 4],
        data: Float32Array.from([0.5, 0.5, 0.5, 0.5, 0.1, 0.1, 0.1, 0.1]),
      },
    };
  };

  it('feeds float16 pixels, int32 ids, and only the inputs the graph has', async () => {
    const session = fakeSession(
      [meta('pixel_values', 'float16', [1, 3, 'h', 'w']), meta('input_ids', 'int32', [1, 's'])],
      outputs,
      answer,
    );
    const dino = new GroundingDinoPipeline(session, tokenizer, preprocessor, pilBilinearResampler);
    const r = await dino.detect(image, 'dog');
    const feeds = session.calls[0];
    expect(Object.keys(feeds).sort()).toEqual(['input_ids', 'pixel_values']);
    expect(feeds.pixel_values).toMatchObject({ type: 'float16', dims: [1, 3, 16, 32] });
    expect(feeds.input_ids.type).toBe('int32');
    expect(Array.from(feeds.input_ids.data as Int32Array)).toEqual(tokenizer.encodePrompt('dog').ids);
    // 128/255 normalized, through float16.
    expect(float16ToFloat32(feeds.pixel_values.data as Uint16Array)[0]).toBeCloseTo(
      (128 / 255 - 0.485) / 0.229,
      2,
    );
    expect(r.detections).toHaveLength(1);
    expect(r.detections[0]).toMatchObject({ label: 'dog', box: [10, 5, 30, 15] });
  });

  it('feeds int64 masks and token types when present, and pixel_mask of ones at the model size', async () => {
    const session = fakeSession(
      [
        meta('pixel_values', 'float32', [1, 3, 'h', 'w']),
        meta('input_ids', 'int64', [1, 's']),
        meta('attention_mask', 'int64', [1, 's']),
        meta('token_type_ids', 'int64', [1, 's']),
        meta('pixel_mask', 'int64', [1, 'h', 'w']),
      ],
      outputs,
      answer,
    );
    await new GroundingDinoPipeline(session, tokenizer, preprocessor, pilBilinearResampler).detect(
      image,
      'dog . cat',
    );
    const f = session.calls[0];
    const n = tokenizer.encodePrompt('dog . cat').ids.length;
    expect(f.attention_mask).toMatchObject({ type: 'int64', dims: [1, n] });
    expect(Array.from(f.attention_mask.data as BigInt64Array)).toEqual(Array(n).fill(1n));
    expect(Array.from(f.token_type_ids.data as BigInt64Array)).toEqual(Array(n).fill(0n));
    expect(f.pixel_mask).toMatchObject({ type: 'int64', dims: [1, 16, 32] });
    expect((f.pixel_mask.data as BigInt64Array).every((v) => v === 1n)).toBe(true);
  });

  it('takes a static graph size over the preprocessor config', async () => {
    const session = fakeSession(
      [meta('pixel_values', 'float32', [1, 3, 24, 24]), meta('input_ids', 'int64', [1, 's'])],
      outputs,
      answer,
    );
    await new GroundingDinoPipeline(session, tokenizer, preprocessor, pilBilinearResampler).detect(
      image,
      'dog',
    );
    expect(session.calls[0].pixel_values.dims).toEqual([1, 3, 24, 24]);
  });

  it('refuses an export it does not know, listing its inputs', () => {
    const session = fakeSession(
      [meta('img', 'float32', [1, 3, 800, 800]), meta('position_ids', 'int64', [1, 's'])],
      outputs,
      answer,
    );
    expect(() => new GroundingDinoPipeline(session, tokenizer, preprocessor)).toThrow(EnvironmentError);
    expect(() => new GroundingDinoPipeline(session, tokenizer, preprocessor)).toThrow(
      /img float32\[1,3,800,800\]/,
    );
  });
});

describe('SAM feeds follow the session metadata', () => {
  const embeddingOut = (type: 'float32' | 'float16'): TensorMap => {
    const data = new Float32Array(256 * 64 * 64).fill(0.25);
    return {
      image_embeddings:
        type === 'float16'
          ? { type, dims: [1, 256, 64, 64], data: float32ToFloat16(data) }
          : { type, dims: [1, 256, 64, 64], data },
    };
  };

  it('drives an NCHW float16 encoder and a decoder with int64 orig_im_size, no mask inputs, and only full-size masks', async () => {
    const encoder = fakeSession(
      [meta('image', 'float16', [1, 3, 1024, 1024])],
      [meta('image_embeddings', 'float16', [1, 256, 64, 64])],
      () => embeddingOut('float16'),
    );
    const decoder = fakeSession(
      [
        meta('image_embeddings', 'float32', [1, 256, 64, 64]),
        meta('point_coords', 'float32', [1, 'n', 2]),
        meta('point_labels', 'float32', [1, 'n']),
        meta('orig_im_size', 'int64', [2]),
      ],
      [meta('masks', 'float32', [1, 1, 'h', 'w']), meta('iou_predictions', 'float32', [1, 1])],
      (feeds: TensorMap): TensorMap => {
        const [h, w] = Array.from(feeds.orig_im_size.data as BigInt64Array, Number);
        const masks = new Float32Array(h * w).map((_, i) => (i % w < w / 2 ? 1 : -1));
        return {
          masks: { type: 'float32', dims: [1, 1, h, w], data: masks },
          iou_predictions: { type: 'float32', dims: [1, 1], data: Float32Array.of(0.7) },
        };
      },
    );
    const sam = new SamPipeline(encoder, decoder, { fingerprint: 'fake', cache: new SamEmbeddingCache() });
    expect(sam.layout).toBe('nchw');
    const r = await sam.segment(image, { boxes: [{ x1: 0, y1: 0, x2: 20, y2: 20 }] });
    const enc: Tensor = encoder.calls[0].image;
    expect(enc).toMatchObject({ type: 'float16', dims: [1, 3, 1024, 1024] });
    const dec = decoder.calls[0];
    expect(Object.keys(dec).sort()).toEqual([
      'image_embeddings',
      'orig_im_size',
      'point_coords',
      'point_labels',
    ]);
    expect(dec.image_embeddings.type).toBe('float32');
    expect(Array.from(dec.orig_im_size.data as BigInt64Array)).toEqual([20n, 40n]);
    expect(Array.from(dec.point_labels.data as Float32Array)).toEqual([2, 3]);
    expect(decoder.fetched[0]).toEqual(['masks', 'iou_predictions']);
    expect(r.objects[0].score).toBeCloseTo(0.7, 6);
    expect(r.objects[0].mask[0]).toBe(255);
    expect(r.objects[0].mask[39]).toBe(0);
  });

  it('fetches only low_res_masks and iou_predictions when the decoder has them, and feeds the embedding as a copy', async () => {
    const encoder = fakeSession(
      [meta('input_image', 'float32', ['h', 'w', 3])],
      [meta('image_embeddings', 'float32', [1, 256, 64, 64])],
      () => embeddingOut('float32'),
    );
    const decoder = fakeSession(
      [
        meta('image_embeddings', 'float32', [1, 256, 64, 64]),
        meta('point_coords', 'float32', [1, 'n', 2]),
        meta('point_labels', 'float32', [1, 'n']),
        meta('mask_input', 'float32', [1, 1, 256, 256]),
        meta('has_mask_input', 'float32', [1]),
        meta('orig_im_size', 'float32', [2]),
      ],
      [
        meta('masks', 'float32', [1, 4, 'h', 'w']),
        meta('iou_predictions', 'float32', [1, 4]),
        meta('low_res_masks', 'float32', [1, 4, 256, 256]),
      ],
      () => ({
        iou_predictions: { type: 'float32', dims: [1, 4], data: Float32Array.of(0.9, 0.5, 0.95, 0.6) },
        low_res_masks: {
          type: 'float32',
          dims: [1, 4, 256, 256],
          data: new Float32Array(4 * 256 * 256).fill(1),
        },
      }),
    );
    const cache = new SamEmbeddingCache();
    const sam = new SamPipeline(encoder, decoder, { fingerprint: 'fake', cache });
    const r = await sam.segment(image, { points: [{ x: 10, y: 10, label: 1 }], maskChoice: 'best' });
    expect(encoder.calls[0].input_image.dims).toEqual([512, 1024, 3]);
    expect(decoder.fetched[0]).toEqual(['low_res_masks', 'iou_predictions']);
    const dec = decoder.calls[0];
    expect(Array.from(dec.point_labels.data as Float32Array)).toEqual([1, -1]);
    expect(dec.point_coords.dims).toEqual([1, 2, 2]);
    // mask_input [1,1,256,256] zeros, has_mask_input [1] = 0, orig_im_size [2] = (H, W).
    expect(dec.mask_input.dims).toEqual([1, 1, 256, 256]);
    expect((dec.mask_input.data as Float32Array).every((v) => v === 0)).toBe(true);
    expect(dec.has_mask_input).toMatchObject({ dims: [1], data: Float32Array.of(0) });
    expect(dec.orig_im_size).toMatchObject({ type: 'float32', dims: [2], data: Float32Array.of(20, 40) });
    expect(r.objects[0]).toMatchObject({ maskIndex: 2, label: 'points' });
    expect(r.objects[0].score).toBeCloseTo(0.95, 6);
    // The feed was a copy: mutating it (as a transfer to a worker would) leaves the cached embedding intact.
    (decoder.calls[0].image_embeddings.data as Float32Array).fill(0);
    const again = await sam.embed(image);
    expect(again.cached).toBe(true);
    expect(again.embedding.data[0]).toBe(0.25);
  });

  it('refuses a decoder that is not the official export, naming its inputs', () => {
    const encoder = fakeSession(
      [meta('input_image', 'float32', ['h', 'w', 3])],
      [meta('image_embeddings', 'float32', [1, 256, 64, 64])],
      () => embeddingOut('float32'),
    );
    const decoder = fakeSession(
      [meta('image_embeddings', 'float32', [1, 256, 64, 64]), meta('boxes', 'float32', [1, 4])],
      [meta('masks', 'float32', [1, 1, 256, 256])],
      () => ({}),
    );
    expect(() => new SamPipeline(encoder, decoder, { fingerprint: 'x' })).toThrow(
      /input "point_coords" is missing/,
    );
  });
});
