/**
 * A real host for SD inpainting tests: the worker-thread inference runtime, a
 * model manager whose ids point at the tiny SD fixture folders (every I/O
 * variant), a node registry with the model nodes, and a recorder that wraps
 * sessions to see exactly what the pipeline fed them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { InferenceRuntime } from '@maskflow/inference';
import type { TensorMap } from '@maskflow/inference';
import { ModelManager } from '@maskflow/models';
import type { SdInpaintFiles } from '@maskflow/models';
import type { AnyNodeDefinition } from '@maskflow/nodes';
import { builtinNodes, NodeRegistry } from '@maskflow/nodes';
import type { ModelSession, SdInpaintSessions } from '@maskflow/pipelines';
import { ClipTokenizer, loadSession, SdInpaintPipeline } from '@maskflow/pipelines';
import { readFile } from 'node:fs/promises';
import { modelNodes } from '../../libs/nodes/src/nodes/model-nodes';
import { generateTinyModels } from '../fixtures/generate-tiny-models';
import type { SdFixture, TinyModelPaths } from '../fixtures/generate-tiny-models';

/** Model ids of the SD fixture variants (the manifest's sd-1.5-inpainting id is overridden by the local folder). */
export const SD_MODEL_IDS = {
  sdInpaint: 'sd-1.5-inpainting',
  sdInpaintInt64: 'sd-inpaint-int64-test',
  sdInpaintScalarTimestep: 'sd-inpaint-scalar-test',
  sdInpaintFp16: 'sd-inpaint-fp16-test',
  sd2Inpaint: 'sd2-inpaint-test',
} as const;
export type SdVariantKey = keyof typeof SD_MODEL_IDS;
export const SD_VARIANT_KEYS = Object.keys(SD_MODEL_IDS) as SdVariantKey[];

export interface SdServices {
  inference: InferenceRuntime;
  models: ModelManager;
}

export interface SdTestEnv {
  fixtures: TinyModelPaths;
  runtime: InferenceRuntime;
  models: ModelManager;
  services: SdServices;
  registry: NodeRegistry;
  dir: string;
  close(): Promise<void>;
}

const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined };

export function sdRegistry(): NodeRegistry {
  const defs: AnyNodeDefinition[] = [...builtinNodes()];
  for (const d of modelNodes) if (!defs.some((x) => x.type === d.type)) defs.push(d);
  return new NodeRegistry(defs);
}

export async function createSdEnv(): Promise<SdTestEnv> {
  const fixtures = await generateTinyModels();
  const dir = mkdtempSync(path.join(tmpdir(), 'maskflow-sd-'));
  const localModels = Object.fromEntries(
    SD_VARIANT_KEYS.map((k) => [SD_MODEL_IDS[k], { path: fixtures[k].dir, kind: 'sd-inpaint' as const }]),
  );
  const models = new ModelManager({
    modelsDir: path.join(dir, 'models'),
    env: {},
    autoDownload: false,
    localModels,
  });
  // One ORT thread: the test machine is shared.
  const runtime = new InferenceRuntime({ device: 'cpu', logger: quiet, env: {}, intraOpNumThreads: 1 });
  return {
    fixtures,
    runtime,
    models,
    services: { inference: runtime, models },
    registry: sdRegistry(),
    dir,
    close: async () => {
      await runtime.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RecordedRun {
  session: keyof SdInpaintSessions;
  feeds: Record<string, { type: string; dims: number[] }>;
}

/** Wraps a session so every run's feed types and dims are recorded (before the buffers move to the worker). */
export function recording(name: keyof SdInpaintSessions, s: ModelSession, log: RecordedRun[]): ModelSession {
  return {
    name: s.name,
    get inputMetadata() {
      return s.inputMetadata;
    },
    get outputMetadata() {
      return s.outputMetadata;
    },
    run(feeds: TensorMap, opts?: { signal?: AbortSignal }) {
      log.push({
        session: name,
        feeds: Object.fromEntries(
          Object.entries(feeds).map(([k, t]) => [k, { type: t.type, dims: [...t.dims] }]),
        ),
      });
      return s.run(feeds, opts);
    },
    dispose: () => s.dispose(),
  };
}

/** A pipeline on a fixture folder with recording sessions. */
export async function recordedPipeline(
  runtime: InferenceRuntime,
  fx: SdFixture,
  log: RecordedRun[],
): Promise<SdInpaintPipeline> {
  const files: SdInpaintFiles = {
    schedulerConfig: fx.schedulerConfig,
    tokenizerVocab: fx.tokenizerVocab,
    tokenizerMerges: fx.tokenizerMerges,
    textEncoder: fx.textEncoder,
    unet: fx.unet,
    vaeEncoder: fx.vaeEncoder,
    vaeDecoder: fx.vaeDecoder,
  };
  const sessions: SdInpaintSessions = {
    textEncoder: recording('textEncoder', await loadSession(runtime, files.textEncoder), log),
    unet: recording('unet', await loadSession(runtime, files.unet), log),
    vaeEncoder: recording('vaeEncoder', await loadSession(runtime, files.vaeEncoder), log),
    vaeDecoder: recording('vaeDecoder', await loadSession(runtime, files.vaeDecoder), log),
  };
  const schedulerConfig = JSON.parse(await readFile(files.schedulerConfig, 'utf8')) as Record<
    string,
    unknown
  >;
  return new SdInpaintPipeline(sessions, await ClipTokenizer.fromDirectory(fx.tokenizerDir), {
    schedulerConfig,
  });
}

/** A textured test photo (RGB or RGBA), raw. */
export function testPhoto(width: number, height: number, channels: 3 | 4 = 3): Uint8Array {
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * channels;
      data[p] = (x * 7 + y * 3) & 255;
      data[p + 1] = ((x ^ y) * 5) & 255;
      data[p + 2] = Math.round(128 + 100 * Math.sin(x / 5) * Math.cos(y / 7));
      if (channels === 4) data[p + 3] = (x + y) & 255;
    }
  }
  return data;
}

export async function writePng(
  dir: string,
  name: string,
  data: Uint8Array,
  width: number,
  height: number,
  channels: 3 | 4,
): Promise<string> {
  const file = path.join(dir, name);
  await sharp(Buffer.from(data), { raw: { width, height, channels } }).png().toFile(file);
  return file;
}

/** A 0/255 mask with the given rectangles (x2, y2 exclusive) set. */
export function rectMask(
  width: number,
  height: number,
  rects: Array<[number, number, number, number]>,
): Uint8Array {
  const m = new Uint8Array(width * height);
  for (const [x1, y1, x2, y2] of rects)
    for (let y = y1; y < y2; y++) for (let x = x1; x < x2; x++) m[y * width + x] = 255;
  return m;
}
