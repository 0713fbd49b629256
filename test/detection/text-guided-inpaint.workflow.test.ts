/**
 * workflows/text-guided-inpaint.json, detection and segmentation half, run
 * through the Engine up to the saved mask overlay (the inpainting half belongs
 * to the inpainting issue and is not run here):
 *
 *   load ─► detect ─► segment ─► grow ─► overlay ─► save_mask_overlay
 *     └──────────────────┴────────────────┘
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DirectoryArtifactStore, Engine } from '@maskflow/engine';
import type { BoxesValue, MaskValue } from '@maskflow/nodes';
import type { RunEvent, Workflow } from '@maskflow/workflow';
import { applyWorkflowInputs, validateWorkflow } from '@maskflow/workflow';
import type { DetectionTestEnv } from './detection-test.helper';
import { createDetectionEnv, writeTestImage } from './detection-test.helper';

const FILE = path.resolve(__dirname, '../../workflows/text-guided-inpaint.json');
const doc = JSON.parse(readFileSync(FILE, 'utf8')) as Workflow;

let env: DetectionTestEnv;
beforeAll(async () => {
  env = await createDetectionEnv();
  await writeTestImage(env.dir, 'photo.png', 128, 96);
}, 120_000);
afterAll(() => env?.close());

describe('workflows/text-guided-inpaint.json', () => {
  it('exposes the photo and what to find', () => {
    expect(doc.inputs.image).toMatchObject({ node: 'load', param: 'image' });
    expect(doc.inputs.find).toMatchObject({ node: 'detect', param: 'prompt' });
    expect(doc.nodes.find((n) => n.id === 'detect')?.type).toBe('GroundingDINO');
    expect(doc.nodes.find((n) => n.id === 'segment')?.type).toBe('SAM');
  });

  it('validates against the registered nodes once its inputs are set', () => {
    const wf = applyWorkflowInputs(doc, { image: 'photo.png', find: 'red mug' });
    const { issues } = validateWorkflow(wf, env.registry.catalog);
    expect(issues).toEqual([]);
  });

  it('finds, segments, grows the mask and saves the overlay', async () => {
    const wf = applyWorkflowInputs(doc, { image: 'photo.png', find: 'Red mug . dog' });
    const events: RunEvent[] = [];
    const engine = new Engine({ registry: env.registry, services: env.services });
    const result = await engine.run(wf, {
      target: 'save_mask_overlay',
      artifacts: new DirectoryArtifactStore(env.dir, path.join(env.dir, 'out')),
      onEvent: (e) => events.push(e),
    });
    expect(result.status).toBe('finished');
    for (const id of ['load', 'detect', 'segment', 'grow', 'overlay', 'save_mask_overlay'])
      expect(result.nodes[id].status).toBe('done');

    const detected = events.find((e) => e.type === 'node.finished' && e.nodeId === 'detect')?.data
      .outputs as { boxes: BoxesValue };
    expect(detected.boxes.boxes.length).toBeGreaterThan(0);
    expect(detected.boxes.boxes.every((b) => ['red mug', 'dog'].includes(b.label))).toBe(true);
    const saved = result.outputs.save_mask_overlay.artifact as { width?: number; height?: number };
    expect(saved).toMatchObject({ width: 128, height: 96 });

    // The grown mask contains the segmented one.
    const parts = await engine.run(wf, {
      target: 'grow',
      artifacts: new DirectoryArtifactStore(env.dir, path.join(env.dir, 'out')),
    });
    const grown = parts.outputs.grow.mask as MaskValue;
    const seg = await engine.run(wf, {
      target: 'segment',
      artifacts: new DirectoryArtifactStore(env.dir, path.join(env.dir, 'out')),
    });
    const mask = seg.outputs.segment.mask as MaskValue;
    let inside = 0;
    let lost = 0;
    for (let i = 0; i < mask.data.length; i++) {
      if (mask.data[i] > 0) {
        inside++;
        if (grown.data[i] === 0) lost++;
      }
    }
    expect(inside).toBeGreaterThan(0);
    expect(lost).toBe(0);
  });
});
