/**
 * The mission workflow, workflows/text-guided-inpaint.json, end to end on the
 * tiny fixtures through the Engine:
 *
 *   load ─► detect ─► segment ─► grow ─► inpaint ─► save
 *     │        (GroundingDINO) (SAM) (MaskDilate) (SDInpaint) (SaveImage)
 *     └───────────────────────────────────┘ image
 *
 * with `find`, `prompt` and `seed` set as workflow inputs. Every pixel outside
 * the grown and feathered SAM mask must come out byte-identical.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { DirectoryArtifactStore, Engine, OutputCache } from '@maskflow/engine';
import { InferenceRuntime } from '@maskflow/inference';
import { ModelManager } from '@maskflow/models';
import type { ArtifactRef, ImageValue, MaskValue } from '@maskflow/nodes';
import type { Workflow } from '@maskflow/workflow';
import { applyWorkflowInputs, validateWorkflow } from '@maskflow/workflow';
import { blurMask } from '../../libs/nodes/src/ops/blur';
import { generateTinyModels } from '../fixtures/generate-tiny-models';
import { sdRegistry, testPhoto, writePng } from './sd-test.helper';

const FILE = path.resolve(__dirname, '../../workflows/text-guided-inpaint.json');
const doc = JSON.parse(readFileSync(FILE, 'utf8')) as Workflow;
const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined };

let runtime: InferenceRuntime;
let models: ModelManager;
let dir: string;

beforeAll(async () => {
  const fx = await generateTinyModels();
  dir = mkdtempSync(path.join(tmpdir(), 'maskflow-mission-'));
  models = new ModelManager({
    modelsDir: path.join(dir, 'models'),
    env: {},
    autoDownload: false,
    localModels: {
      'grounding-dino-tiny': { path: fx.groundingDino.dir, kind: 'grounding-dino', origin: 'test' },
      'mobile-sam': { path: fx.sam.dir, kind: 'sam', origin: 'test' },
      'sd-1.5-inpainting': { path: fx.sdInpaint.dir, kind: 'sd-inpaint', origin: 'test' },
    },
  });
  runtime = new InferenceRuntime({ device: 'cpu', logger: quiet, env: {}, intraOpNumThreads: 1 });
});

afterAll(async () => {
  await runtime?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('workflows/text-guided-inpaint.json', () => {
  it('is LoadImage → GroundingDINO → SAM → MaskDilate → SDInpaint → SaveImage with prompt, find and seed exposed', () => {
    const type = (id: string): string | undefined => doc.nodes.find((n) => n.id === id)?.type;
    expect(['load', 'detect', 'segment', 'grow', 'inpaint', 'save'].map(type)).toEqual([
      'LoadImage',
      'GroundingDINO',
      'SAM',
      'MaskDilate',
      'SDInpaint',
      'SaveImage',
    ]);
    expect(doc.inputs.prompt).toMatchObject({ node: 'inpaint', param: 'prompt' });
    expect(doc.inputs.find).toMatchObject({ node: 'detect', param: 'prompt' });
    expect(doc.inputs.seed).toMatchObject({ node: 'inpaint', param: 'seed' });
    expect(doc.edges).toEqual(
      expect.arrayContaining([
        { source: 'grow', sourceHandle: 'mask', target: 'inpaint', targetHandle: 'mask' },
        { source: 'load', sourceHandle: 'image', target: 'inpaint', targetHandle: 'image' },
        { source: 'inpaint', sourceHandle: 'image', target: 'save', targetHandle: 'image' },
      ]),
    );
    const { issues } = validateWorkflow(
      applyWorkflowInputs(doc, { image: 'photo.png', find: 'dog', prompt: 'a fox', seed: 3 }),
      sdRegistry().catalog,
    );
    expect(issues).toEqual([]);
  });

  it('finds, segments, repaints and saves; pixels outside the grown, feathered mask are untouched', async () => {
    const width = 128;
    const height = 96;
    const photo = testPhoto(width, height);
    // The GroundingDINO stand-in returns its fixed boxes for any phrase; the block gives SAM's stand-in an object.
    for (let y = 30; y < 70; y++) for (let x = 25; x < 75; x++) photo.set([220, 40, 30], (y * width + x) * 3);
    await writePng(dir, 'photo.png', photo, width, height, 3);
    const wf = applyWorkflowInputs(doc, {
      image: 'photo.png',
      find: 'red mug',
      prompt: 'a red fox',
      seed: 42,
    });
    // Keep the test quick on the tiny models: fewer steps, a small working resolution.
    const inpaint = wf.nodes.find((n) => n.id === 'inpaint');
    if (inpaint) inpaint.params = { ...inpaint.params, steps: 4, resolution: 128 };
    const engine = new Engine({
      registry: sdRegistry(),
      services: { inference: runtime, models },
      cache: new OutputCache(),
    });
    const artifacts = new DirectoryArtifactStore(dir, path.join(dir, 'out'));
    const result = await engine.run(wf, { artifacts });
    expect(result.status).toBe('finished');
    for (const id of ['load', 'detect', 'segment', 'grow', 'inpaint', 'save'])
      expect(result.nodes[id].status).toBe('done');
    const saved = result.outputs.save.artifact as ArtifactRef;
    expect(saved).toMatchObject({ width, height });

    // The inpainted image, the grown mask it used, and the check against the input.
    const out = (await engine.run(wf, { artifacts, target: 'inpaint' })).outputs.inpaint as unknown as {
      image: ImageValue;
      seed: number;
    };
    expect(out.seed).toBe(42);
    const grown = (await engine.run(wf, { artifacts, target: 'grow' })).outputs.grow.mask as MaskValue;
    expect(grown.data.some((v) => v > 0)).toBe(true);
    const alpha = blurMask(grown.data, width, height, 8);
    let changed = 0;
    for (let p = 0; p < width * height; p++) {
      for (let c = 0; c < 3; c++) {
        const i = p * 3 + c;
        if (alpha[p] === 0) expect(out.image.data[i]).toBe(photo[i]);
        else if (grown.data[p] && out.image.data[i] !== photo[i]) changed++;
      }
    }
    expect(changed).toBeGreaterThan(0);
    // The saved PNG is that image.
    expect(saved.path).toBeDefined();
    const png = await sharp(String(saved.path)).raw().toBuffer();
    expect(Buffer.from(png).equals(Buffer.from(out.image.data))).toBe(true);
  });
});
