/**
 * The SDInpaint node end to end through the Engine on the tiny SD fixtures:
 *
 *   load (LoadImage) ──image──────────────┐
 *        └─image─▶ box (BoxesToMask) ─mask─▶ inpaint (SDInpaint)
 *
 * Checks byte identity outside the grown and blurred mask at full resolution
 * (the mask recomputed here with the same grow/blur ops), every export
 * variant, masks touching the border and several regions, the empty mask,
 * determinism and caching per seed, RGBA, whole-image mode, progress with
 * previews and cancellation mid-loop.
 */
import { Engine, DirectoryArtifactStore, OutputCache } from '@maskflow/engine';
import type { RunResult } from '@maskflow/engine';
import type { ImageValue } from '@maskflow/nodes';
import type { RunEvent, WorkflowInput } from '@maskflow/workflow';
import { blurMask } from '../../libs/nodes/src/ops/blur';
import { growShrinkMask } from '../../libs/nodes/src/ops/morphology';
import type { SdTestEnv, SdVariantKey } from './sd-test.helper';
import { createSdEnv, rectMask, SD_MODEL_IDS, SD_VARIANT_KEYS, testPhoto, writePng } from './sd-test.helper';

let env: SdTestEnv;
beforeAll(async () => {
  env = await createSdEnv();
});
afterAll(async () => {
  await env?.close();
});

type Rect = [number, number, number, number];

interface Case {
  width: number;
  height: number;
  channels?: 3 | 4;
  rects: Rect[];
  params?: Record<string, unknown>;
}

function workflow(file: string, c: Case): WorkflowInput {
  return {
    version: 1,
    nodes: [
      { id: 'load', type: 'LoadImage', params: { image: file } },
      {
        id: 'box',
        type: 'BoxesToMask',
        params: { boxes: c.rects.map(([x1, y1, x2, y2]) => ({ x1, y1, x2, y2 })) },
      },
      {
        id: 'inpaint',
        type: 'SDInpaint',
        params: {
          prompt: 'a red fox',
          steps: 3,
          seed: 7,
          growMask: 4,
          maskBlur: 4,
          contextPadding: 16,
          resolution: 128,
          ...c.params,
        },
      },
    ],
    edges: [
      { source: 'load', sourceHandle: 'image', target: 'box', targetHandle: 'image' },
      { source: 'load', sourceHandle: 'image', target: 'inpaint', targetHandle: 'image' },
      { source: 'box', sourceHandle: 'mask', target: 'inpaint', targetHandle: 'mask' },
    ],
  };
}

let counter = 0;
async function run(
  c: Case,
  opts: { engine?: Engine; signal?: AbortSignal; onEvent?: (e: RunEvent) => void } = {},
): Promise<{ result: RunResult; input: Uint8Array; file: string }> {
  const channels = c.channels ?? 3;
  const input = testPhoto(c.width, c.height, channels);
  const file = await writePng(env.dir, `in-${counter++}.png`, input, c.width, c.height, channels);
  const engine =
    opts.engine ?? new Engine({ registry: env.registry, services: env.services, cache: new OutputCache() });
  const result = await engine.run(workflow(file, c), {
    artifacts: new DirectoryArtifactStore(env.dir, env.dir),
    target: 'inpaint',
    signal: opts.signal,
    onEvent: opts.onEvent,
  });
  return { result, input, file };
}

function output(r: RunResult): { image: ImageValue; seed: number } {
  if (r.status !== 'finished') throw new Error(`run ${r.status}: ${JSON.stringify(r.error ?? r.nodes)}`);
  return r.outputs.inpaint as unknown as { image: ImageValue; seed: number };
}

/** Recomputes the composite alpha (grown, blurred) and checks bytes where it is 0; returns the changed count inside. */
function checkOutside(
  c: Case,
  input: Uint8Array,
  out: ImageValue,
  grow = 4,
  blur = 4,
): { identical: number; changedInside: number } {
  const mask = rectMask(c.width, c.height, c.rects);
  const alpha = blurMask(growShrinkMask(mask, c.width, c.height, grow), c.width, c.height, blur);
  const ch = c.channels ?? 3;
  expect(out.width).toBe(c.width);
  expect(out.height).toBe(c.height);
  expect(out.channels).toBe(ch);
  let identical = 0;
  let changedInside = 0;
  for (let p = 0; p < c.width * c.height; p++) {
    for (let k = 0; k < ch; k++) {
      const i = p * ch + k;
      if (alpha[p] === 0 || k === 3) {
        if (out.data[i] !== input[i])
          throw new Error(
            `pixel ${p % c.width},${Math.floor(p / c.width)} channel ${k} changed outside the mask`,
          );
        identical++;
      } else if (mask[p] && out.data[i] !== input[i]) changedInside++;
    }
  }
  return { identical, changedInside };
}

describe('SDInpaint node through the engine', () => {
  it.each(SD_VARIANT_KEYS)(
    '%s: repaints the mask, every byte outside the grown + blurred mask is the input',
    async (k: SdVariantKey) => {
      const c: Case = {
        width: 96,
        height: 72,
        rects: [[30, 20, 60, 50]],
        params: { model: SD_MODEL_IDS[k] },
      };
      const { result, input } = await run(c);
      const { image, seed } = output(result);
      expect(seed).toBe(7);
      const r = checkOutside(c, input, image);
      expect(r.identical).toBeGreaterThan(0);
      expect(r.changedInside).toBeGreaterThan(0);
    },
  );

  it('masks touching the border and several separate regions', async () => {
    const c: Case = {
      width: 120,
      height: 90,
      rects: [
        [0, 0, 14, 10],
        [100, 70, 120, 90],
        [50, 40, 60, 48],
      ],
    };
    const { result, input } = await run(c);
    const { image } = output(result);
    const r = checkOutside(c, input, image);
    expect(r.changedInside).toBeGreaterThan(0);
    // Each region was repainted.
    for (const [x1, y1] of c.rects) {
      const i = ((y1 + 2) * c.width + x1 + 2) * 3;
      expect([image.data[i], image.data[i + 1], image.data[i + 2]]).not.toEqual([
        input[i],
        input[i + 1],
        input[i + 2],
      ]);
    }
  });

  it('keeps the alpha channel of RGBA images and works in whole-image mode', async () => {
    const c: Case = {
      width: 80,
      height: 64,
      channels: 4,
      rects: [[10, 10, 30, 30]],
      params: { regionMode: 'whole', maskBlur: 0 },
    };
    const { result, input } = await run(c);
    checkOutside(c, input, output(result).image, 4, 0);
  });

  it('an empty mask returns the input unchanged with a warning', async () => {
    const c: Case = { width: 64, height: 64, rects: [] };
    const { result, input } = await run(c);
    const { image } = output(result);
    expect(Buffer.from(image.data).equals(Buffer.from(input))).toBe(true);
    expect(result.nodes.inpaint.warnings?.join(' ')).toMatch(/mask is empty/);
  });

  it('is deterministic per seed and cached only for a fixed seed', async () => {
    const c: Case = { width: 72, height: 56, rects: [[20, 20, 50, 40]], params: { scheduler: 'euler_a' } };
    const a = output((await run(c)).result).image;
    const b = output((await run(c)).result).image;
    expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(true);
    const other = output((await run({ ...c, params: { ...c.params, seed: 8 } })).result).image;
    expect(Buffer.from(a.data).equals(Buffer.from(other.data))).toBe(false);

    const engine = new Engine({ registry: env.registry, services: env.services, cache: new OutputCache() });
    const fixed = await run(c, { engine });
    const again = await engine.run(workflow(fixed.file, c), {
      artifacts: new DirectoryArtifactStore(env.dir, env.dir),
      target: 'inpaint',
    });
    expect(again.nodes.inpaint.status).toBe('cached');

    const random: Case = { ...c, params: { ...c.params, seed: -1 } };
    const r1 = await run(random, { engine });
    const r2 = await engine.run(workflow(r1.file, random), {
      artifacts: new DirectoryArtifactStore(env.dir, env.dir),
      target: 'inpaint',
    });
    expect(r2.nodes.inpaint.status).not.toBe('cached');
    const s1 = output(r1.result).seed;
    const s2 = output(r2).seed;
    expect(Number.isInteger(s1) && s1 >= 0).toBe(true);
    expect(s1).not.toBe(s2);
  });

  it('reports per-step progress with small previews', async () => {
    const events: RunEvent[] = [];
    const c: Case = {
      width: 64,
      height: 64,
      rects: [[16, 16, 40, 40]],
      params: { steps: 10, scheduler: 'ddim' },
    };
    output((await run(c, { onEvent: (e) => events.push(e) })).result);
    const steps = events.filter(
      (e) => e.type === 'node.progress' && e.nodeId === 'inpaint' && e.data.phase === 'denoising',
    );
    expect(steps.map((e) => e.data.value)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const previews = steps
      .filter((e) => e.data.preview !== undefined)
      .map((e) => e.data.preview as ImageValue);
    expect(previews.length).toBeGreaterThanOrEqual(2);
    expect(previews[0].width * previews[0].height).toBeLessThanOrEqual(96 * 96);
  });

  it('cancels mid-loop', async () => {
    const ac = new AbortController();
    const c: Case = {
      width: 64,
      height: 64,
      rects: [[16, 16, 40, 40]],
      params: { steps: 50, scheduler: 'ddim' },
    };
    let last = 0;
    const { result } = await run(c, {
      signal: ac.signal,
      onEvent: (e) => {
        if (e.type === 'node.progress' && e.data.phase === 'denoising') {
          last = Number(e.data.value);
          if (last === 3) ac.abort();
        }
      },
    });
    expect(result.status).toBe('cancelled');
    expect(last).toBeLessThan(5);
  });

  it('refuses a mask of another size', async () => {
    const wf = workflow('x.png', { width: 10, height: 10, rects: [] });
    const input = testPhoto(40, 30);
    const file = await writePng(env.dir, 'size.png', input, 40, 30, 3);
    const other = await writePng(env.dir, 'size-2.png', testPhoto(30, 30), 30, 30, 3);
    wf.nodes[0].params = { image: file };
    wf.nodes.push({ id: 'load2', type: 'LoadImage', params: { image: other } });
    wf.edges = [
      { source: 'load', sourceHandle: 'image', target: 'inpaint', targetHandle: 'image' },
      { source: 'load2', sourceHandle: 'image', target: 'box', targetHandle: 'image' },
      { source: 'box', sourceHandle: 'mask', target: 'inpaint', targetHandle: 'mask' },
    ];
    const engine = new Engine({ registry: env.registry, services: env.services });
    const r = await engine.run(wf, {
      artifacts: new DirectoryArtifactStore(env.dir, env.dir),
      target: 'inpaint',
    });
    expect(r.status).toBe('failed');
    expect(r.error?.message ?? JSON.stringify(r.nodes.inpaint)).toMatch(/must match the image/);
  });
});
