/**
 * GroundingDinoPipeline against the fixture exports in the worker runtime:
 * the I/O contract as the session reports it, the model input size for the
 * DETR rule and for a static graph, and the raw outputs.
 */
import type { RgbImage } from '@maskflow/pipelines';
import { GroundingDinoPipeline, sigmoid } from '@maskflow/pipelines';
import type { DetectionTestEnv } from './detection-test.helper';
import { createDetectionEnv } from './detection-test.helper';

let env: DetectionTestEnv;
let dino: GroundingDinoPipeline;
let dinoStatic: GroundingDinoPipeline;

const image = (width: number, height: number): RgbImage => ({
  width,
  height,
  channels: 3,
  data: Uint8Array.from({ length: width * height * 3 }, (_, i) => (i * 11) % 256),
});

beforeAll(async () => {
  env = await createDetectionEnv();
  dino = await GroundingDinoPipeline.load(env.runtime, env.fixtures.groundingDino);
  dinoStatic = await GroundingDinoPipeline.load(env.runtime, env.fixtures.groundingDinoStatic);
}, 120_000);
afterAll(() => env?.close());

describe('GroundingDinoPipeline on the fixture exports', () => {
  it('sees the onnx-community contract in the session metadata', () => {
    const shapes = Object.fromEntries(
      dino.session.inputMetadata.map((m) => [m.name, m.isTensor ? [m.type, m.shape.length] : []]),
    );
    expect(shapes).toEqual({
      pixel_values: ['float32', 4],
      input_ids: ['int64', 2],
      token_type_ids: ['int64', 2],
      attention_mask: ['int64', 2],
      pixel_mask: ['int64', 3],
    });
    expect(dino.adapter.name).toBe('transformers');
  });

  it('sizes the input by the DETR rule, or by the static graph', async () => {
    const a = await dino.prepare(image(120, 80), 'dog');
    expect(a.size).toEqual({ width: 96, height: 64 }); // shortest 64, longest 96
    const b = await dinoStatic.prepare(image(120, 80), 'dog');
    expect(b.size).toEqual({ width: 64, height: 64 });
  });

  it('returns logits [1,900,256] (−inf past the caption) and pred_boxes [1,900,4]', async () => {
    const prepared = await dino.prepare(image(120, 80), 'a cat . a dog');
    const outputs = await dino.session.run(dino.adapter.feeds(dino.session, prepared));
    const { logits, boxes } = dino.adapter.outputs(dino.session, outputs);
    expect(logits.dims).toEqual([1, 900, 256]);
    expect(boxes.dims).toEqual([1, 900, 4]);
    const S = prepared.tokens.ids.length;
    expect(S).toBe(8);
    for (let q = 0; q < 900; q += 97) {
      expect(Number.isFinite(logits.data[q * 256 + S - 1])).toBe(true);
      expect(logits.data[q * 256 + S]).toBe(-Infinity);
      expect(sigmoid(logits.data[q * 256 + 255])).toBe(0);
    }
    expect(boxes.data.every((v) => v > 0 && v < 1)).toBe(true);
  });

  it('scales boxes to the original image whatever the model size', async () => {
    const small = await dino.detect(image(120, 80), 'dog');
    const big = await dino.detect(image(240, 160), 'dog');
    expect(small.inputSize).toEqual({ width: 96, height: 64 });
    expect(big.inputSize).toEqual({ width: 96, height: 64 });
    // The fixture's query 0 box is (0.5, 0.5, 0.5, 0.5) give or take its image term.
    for (const [r, w, h] of [
      [small, 120, 80],
      [big, 240, 160],
    ] as const) {
      const [x1, y1, x2, y2] = r.detections.find((d) => d.query === 0)!.box;
      expect(x1 / w).toBeCloseTo(0.25, 1);
      expect(y1 / h).toBeCloseTo(0.25, 1);
      expect(x2 / w).toBeCloseTo(0.75, 1);
      expect(y2 / h).toBeCloseTo(0.75, 1);
    }
  });
});
