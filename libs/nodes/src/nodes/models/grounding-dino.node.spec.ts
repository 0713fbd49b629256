import { CancelledError, EnvironmentError, UserError } from '@maskflow/workflow';
import { boxIou } from '@maskflow/pipelines';
import { imageValue, NodeRegistry } from '../../contract';
import { createTestContext } from '../../../../../test/helpers/node-context';
import type { DetectionTestEnv } from '../../../../../test/detection/detection-test.helper';
import { createDetectionEnv, TEST_MODEL_IDS } from '../../../../../test/detection/detection-test.helper';
import { GroundingDinoNode } from './grounding-dino.node';

let env: DetectionTestEnv;
beforeAll(async () => {
  env = await createDetectionEnv();
}, 120_000);
afterAll(() => env?.close());

const W = 90;
const H = 60;
const image = imageValue(
  W,
  H,
  3,
  Uint8Array.from({ length: W * H * 3 }, (_, i) => (i * 7) % 256),
);

function ctx() {
  return createTestContext({ services: env.services, nodeId: 'dino' });
}

describe('GroundingDINO params', () => {
  it('defaults to Grounded-SAM thresholds, no NMS, the grounding-dino-tiny model', () => {
    expect(GroundingDinoNode.params.parse({ prompt: 'dog' })).toEqual({
      prompt: 'dog',
      boxThreshold: 0.35,
      textThreshold: 0.25,
      maxDetections: 100,
      model: 'grounding-dino-tiny',
    });
    expect(GroundingDinoNode.params.safeParse({}).success).toBe(false);
    expect(GroundingDinoNode.params.safeParse({ prompt: 'dog', boxThreshold: 1.5 }).success).toBe(false);
  });

  it('describes itself for the palette', () => {
    const spec = new NodeRegistry([GroundingDinoNode]).spec(GroundingDinoNode);
    expect(spec).toMatchObject({
      type: 'GroundingDINO',
      category: 'detect',
      models: ['grounding-dino-tiny'],
    });
    expect(spec.inputs).toEqual([{ name: 'image', type: 'IMAGE' }]);
    expect(spec.outputs[0]).toMatchObject({ name: 'boxes', type: 'BOXES' });
    expect(spec.params.required).toEqual(['prompt']);
  });
});

describe('GroundingDINO execute (tiny fixture)', () => {
  it('outputs pixel boxes inside the image, labelled with a phrase, highest score first', async () => {
    const c = ctx();
    const { boxes } = await GroundingDinoNode.execute({
      inputs: { image },
      params: GroundingDinoNode.params.parse({ prompt: 'Dog . Red mug' }),
      ctx: c,
    });
    expect(boxes).toMatchObject({ kind: 'boxes', width: W, height: H });
    expect(boxes.boxes.length).toBe(5);
    for (const b of boxes.boxes) {
      expect(b.x1).toBeGreaterThanOrEqual(0);
      expect(b.y1).toBeGreaterThanOrEqual(0);
      expect(b.x2).toBeLessThanOrEqual(W);
      expect(b.y2).toBeLessThanOrEqual(H);
      expect(b.x2).toBeGreaterThan(b.x1);
      expect(['dog', 'red mug']).toContain(b.label);
    }
    expect(c.warnings).toEqual([]);
    expect(c.progressCalls.at(-1)).toEqual([2, 2]);
  });

  it('caps the count and suppresses overlapping boxes of one phrase on request', async () => {
    const capped = await GroundingDinoNode.execute({
      inputs: { image },
      params: GroundingDinoNode.params.parse({ prompt: 'dog', maxDetections: 2 }),
      ctx: ctx(),
    });
    expect(capped.boxes.boxes).toHaveLength(2);
    const nms = await GroundingDinoNode.execute({
      inputs: { image },
      params: GroundingDinoNode.params.parse({ prompt: 'dog', nmsIou: 0.05 }),
      ctx: ctx(),
    });
    const kept = nms.boxes.boxes;
    expect(kept.length).toBeLessThan(5);
    for (let i = 0; i < kept.length; i++) {
      for (let j = i + 1; j < kept.length; j++) {
        expect(
          boxIou(
            [kept[i].x1, kept[i].y1, kept[i].x2, kept[i].y2],
            [kept[j].x1, kept[j].y1, kept[j].x2, kept[j].y2],
          ),
        ).toBeLessThanOrEqual(0.05);
      }
    }
  });

  it('warns and returns no boxes when nothing scores above the threshold', async () => {
    const c = ctx();
    const { boxes } = await GroundingDinoNode.execute({
      inputs: { image },
      params: GroundingDinoNode.params.parse({ prompt: 'zebra', boxThreshold: 0.999 }),
      ctx: c,
    });
    expect(boxes.boxes).toEqual([]);
    expect(c.warnings).toHaveLength(1);
    expect(c.warnings[0]).toMatch(
      /^nothing found for "zebra \.": the best score was 0\.\d\d, the box threshold is 0\.999$/,
    );
  });

  it('stops with CancelledError when the run is cancelled', async () => {
    const abort = new AbortController();
    abort.abort();
    const c = createTestContext({ services: env.services, signal: abort.signal });
    await expect(
      GroundingDinoNode.execute({
        inputs: { image },
        params: GroundingDinoNode.params.parse({ prompt: 'dog' }),
        ctx: c,
      }),
    ).rejects.toThrow(CancelledError);
  });

  it('runs the static-size export too', async () => {
    const { boxes } = await GroundingDinoNode.execute({
      inputs: { image },
      params: GroundingDinoNode.params.parse({ prompt: 'cat', model: TEST_MODEL_IDS.dinoStatic }),
      ctx: ctx(),
    });
    expect(boxes.boxes.length).toBe(5);
  });

  it('names the problem when the host has no model services, or the model is unknown', async () => {
    const params = GroundingDinoNode.params.parse({ prompt: 'dog' });
    const bare = createTestContext();
    await expect(GroundingDinoNode.execute({ inputs: { image }, params, ctx: bare })).rejects.toThrow(
      EnvironmentError,
    );
    await expect(GroundingDinoNode.execute({ inputs: { image }, params, ctx: bare })).rejects.toThrow(
      /GroundingDINO needs the inference runtime/,
    );
    await expect(
      GroundingDinoNode.execute({
        inputs: { image },
        params: { ...params, model: 'no-such-model' },
        ctx: ctx(),
      }),
    ).rejects.toThrow(UserError);
  });

  it('refuses an empty prompt with a user error on the prompt field', async () => {
    const err: unknown = await GroundingDinoNode.execute({
      inputs: { image },
      params: GroundingDinoNode.params.parse({ prompt: ' . ' }),
      ctx: ctx(),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).field).toBe('prompt');
  });
});

describe('GroundingDINO fingerprint', () => {
  it('names the model files, so another variant or replaced files change the cache key', async () => {
    const params = GroundingDinoNode.params.parse({ prompt: 'dog' });
    const a = await GroundingDinoNode.fingerprint!(params, ctx());
    expect(a).toContain('grounding-dino-tiny@');
    expect(a).toContain('model=onnx/model.onnx:');
    expect(await GroundingDinoNode.fingerprint!(params, ctx())).toBe(a);
    expect(
      await GroundingDinoNode.fingerprint!({ ...params, model: TEST_MODEL_IDS.dinoStatic }, ctx()),
    ).not.toBe(a);
    expect(await GroundingDinoNode.fingerprint!(params, createTestContext())).toBe('no-model-host');
  });
});
