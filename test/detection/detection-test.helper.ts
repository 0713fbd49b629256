/**
 * A real host for the detection nodes in tests: the worker-thread inference
 * runtime, a model manager whose model ids point at the tiny fixture folders,
 * and a node registry with the built-in and model nodes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { InferenceRuntime } from '@maskflow/inference';
import { ModelManager } from '@maskflow/models';
import type { AnyNodeDefinition, MaskValue } from '@maskflow/nodes';
import { builtinNodes, NodeRegistry } from '@maskflow/nodes';
import { modelNodes } from '../../libs/nodes/src/nodes/model-nodes';
import { generateTinyModels } from '../fixtures/generate-tiny-models';
import type { TinyModelPaths } from '../fixtures/generate-tiny-models';

export interface DetectionServices {
  inference: InferenceRuntime;
  models: ModelManager;
}

export interface DetectionTestEnv {
  fixtures: TinyModelPaths;
  runtime: InferenceRuntime;
  models: ModelManager;
  services: DetectionServices;
  registry: NodeRegistry;
  /** A temporary folder for input images and outputs. */
  dir: string;
  close(): Promise<void>;
}

/** Model ids the tests use, mapped to fixture folders (the manifest ids are overridden by local folders). */
export const TEST_MODEL_IDS = {
  dino: 'grounding-dino-tiny',
  dinoStatic: 'grounding-dino-static-test',
  sam: 'mobile-sam',
  samNchw: 'sam-nchw-test',
} as const;

const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined };

/** Every built-in node plus the model nodes (once, whether or not builtinNodes already includes them). */
export function detectionRegistry(): NodeRegistry {
  const defs: AnyNodeDefinition[] = [...builtinNodes()];
  for (const d of modelNodes) if (!defs.some((x) => x.type === d.type)) defs.push(d);
  return new NodeRegistry(defs);
}

export async function createDetectionEnv(): Promise<DetectionTestEnv> {
  const fixtures = await generateTinyModels();
  const dir = mkdtempSync(path.join(tmpdir(), 'maskflow-detection-'));
  const models = new ModelManager({
    modelsDir: path.join(dir, 'models'),
    env: {},
    autoDownload: false,
    localModels: {
      [TEST_MODEL_IDS.dino]: { path: fixtures.groundingDino.dir, kind: 'grounding-dino' },
      [TEST_MODEL_IDS.dinoStatic]: { path: fixtures.groundingDinoStatic.dir, kind: 'grounding-dino' },
      [TEST_MODEL_IDS.sam]: { path: fixtures.sam.dir, kind: 'sam' },
      [TEST_MODEL_IDS.samNchw]: { path: fixtures.samNchw.dir, kind: 'sam' },
    },
  });
  // One ORT thread: the test machine is shared.
  const runtime = new InferenceRuntime({ device: 'cpu', logger: quiet, env: {}, intraOpNumThreads: 1 });
  return {
    fixtures,
    runtime,
    models,
    services: { inference: runtime, models },
    registry: detectionRegistry(),
    dir,
    close: async () => {
      await runtime.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A PNG with a few coloured rectangles on a gradient, written into `dir`. */
export async function writeTestImage(
  dir: string,
  name: string,
  width: number,
  height: number,
  channels: 3 | 4 = 3,
): Promise<string> {
  const data = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * channels;
      const inBox = x > width * 0.2 && x < width * 0.6 && y > height * 0.3 && y < height * 0.8;
      data[p] = inBox ? 220 : Math.round((255 * x) / width);
      data[p + 1] = inBox ? 40 : Math.round((255 * y) / height);
      data[p + 2] = inBox ? 30 : 128;
      if (channels === 4) data[p + 3] = 255;
    }
  }
  const file = path.join(dir, name);
  await sharp(data, { raw: { width, height, channels } }).png().toFile(file);
  return file;
}

/** The bounding box of a mask's selected pixels (x2/y2 exclusive), or undefined when empty. */
export function maskBounds(mask: MaskValue): { x1: number; y1: number; x2: number; y2: number } | undefined {
  let x1 = Infinity;
  let y1 = Infinity;
  let x2 = -Infinity;
  let y2 = -Infinity;
  for (let y = 0; y < mask.height; y++) {
    for (let x = 0; x < mask.width; x++) {
      if (mask.data[y * mask.width + x] > 127) {
        x1 = Math.min(x1, x);
        y1 = Math.min(y1, y);
        x2 = Math.max(x2, x + 1);
        y2 = Math.max(y2, y + 1);
      }
    }
  }
  return x1 === Infinity ? undefined : { x1, y1, x2, y2 };
}

/** Runs of the model file in the runtime (how many times its session ran). */
export function modelRuns(runtime: InferenceRuntime, file: string): number {
  return runtime
    .status()
    .models.filter((m) => path.resolve(m.file) === path.resolve(file))
    .reduce((s, m) => s + m.runs, 0);
}
