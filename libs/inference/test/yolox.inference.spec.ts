/**
 * @jest-environment <rootDir>/libs/inference/test/native-typed-arrays.environment.ts
 *
 * The pool against a REAL network (YOLOX-nano from ../shared/fixtures): results
 * must be bit-identical to ONNX Runtime called directly in this process, and the
 * main thread must stay responsive while it runs.
 */
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import type { ModelHandle } from '../src/inference.runtime';
import { InferenceRuntime } from '../src/inference.runtime';
import {
  bestLatenessOf,
  bytesOf,
  collectingLogger,
  sharedFixture,
  timerLatenessDuring,
} from './inference-test.helper';

const MODEL = sharedFixture('models', 'yolox_nano.onnx');
const IMAGE = sharedFixture('images', 'coco139.jpg');
const SIZE = 416;
const TV = 62; // index of "tv" in coco_classes.txt

/** YOLOX preprocessing: fit into 416×416 keeping the aspect ratio, pad bottom/right with 114, BGR, 0–255, CHW. */
async function preprocess(file: string): Promise<Float32Array> {
  const meta = await sharp(file).metadata();
  const r = Math.min(SIZE / (meta.height ?? SIZE), SIZE / (meta.width ?? SIZE));
  const w = Math.round((meta.width ?? SIZE) * r);
  const h = Math.round((meta.height ?? SIZE) * r);
  const rgb = await sharp(file).removeAlpha().resize(w, h, { fit: 'fill' }).raw().toBuffer();
  const out = new Float32Array(3 * SIZE * SIZE).fill(114);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      const o = y * SIZE + x;
      out[o] = rgb[i + 2]; // B
      out[SIZE * SIZE + o] = rgb[i + 1]; // G
      out[2 * SIZE * SIZE + o] = rgb[i]; // R
    }
  }
  return out;
}

/** A deterministic pseudo-random image, for a second input unrelated to the first. */
function seededPattern(seed: number): Float32Array {
  const out = new Float32Array(3 * SIZE * SIZE);
  let s = seed >>> 0;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

const feeds = (data: Float32Array) => ({
  images: { type: 'float32' as const, dims: [1, 3, SIZE, SIZE], data },
});

const describeWithModel = MODEL && IMAGE ? describe : describe.skip;
if (!MODEL || !IMAGE) {
  console.warn(
    'skipped yolox.inference.spec: ../shared/fixtures (yolox_nano.onnx, coco139.jpg) is absent beside the project',
  );
}

describeWithModel('InferenceRuntime on yolox_nano.onnx', () => {
  const rt = new InferenceRuntime({ device: 'cpu', logger: collectingLogger() });
  let h: ModelHandle;
  let direct: ort.InferenceSession;
  let image: Float32Array;

  beforeAll(async () => {
    h = await rt.load(MODEL as string);
    direct = await ort.InferenceSession.create(MODEL as string);
    image = await preprocess(IMAGE as string);
  });
  afterAll(async () => {
    await rt.close();
    await direct.release();
  });

  it('reports the session metadata', () => {
    expect(h.inputMetadata).toEqual([
      { name: 'images', isTensor: true, type: 'float32', shape: [1, 3, SIZE, SIZE] },
    ]);
    expect(h.outputMetadata).toEqual([
      { name: 'output', isTensor: true, type: 'float32', shape: [1, 3549, 85] },
    ]);
    expect(h.provider).toBe('cpu');
  });

  it('gives outputs bit-identical to a direct in-process onnxruntime run', async () => {
    for (const input of [image, seededPattern(7)]) {
      const ref = await direct.run({ images: new ort.Tensor('float32', input.slice(), [1, 3, SIZE, SIZE]) });
      const refBytes = Buffer.from(bytesOf(ref.output.data as Float32Array));
      for (let i = 0; i < 2; i++) {
        const r = await rt.run(h, feeds(input), { keepFeeds: true });
        expect(r.outputs.output.dims).toEqual([1, 3549, 85]);
        expect(r.outputs.output.type).toBe('float32');
        expect(bytesOf(r.outputs.output.data).equals(refBytes)).toBe(true);
      }
    }
  });

  it('finds the tv in coco139.jpg (the input is what the model expects)', async () => {
    const out = (await rt.run(h, feeds(image.slice()))).outputs.output.data as Float32Array;
    let best = 0;
    for (let a = 0; a < 3549; a++) best = Math.max(best, out[a * 85 + 4] * out[a * 85 + 5 + TV]);
    expect(best).toBeGreaterThan(0.6);
  });

  it('never delays a 10 ms main-thread timer by more than 50 ms during back-to-back inference', async () => {
    const result = await bestLatenessOf(3, () =>
      timerLatenessDuring(1500, () => rt.run(h, feeds(image.slice()))),
    );
    expect(result.steps).toBeGreaterThan(5);
    expect(result.ticks).toBeGreaterThan(60);
    expect(result.max).toBeLessThan(50);
  });
});
