/**
 * workflows/remove-by-text.json through the Engine with the tiny
 * contract-exact GroundingDINO and SAM models: the mask of what was named,
 * grown, filled from its surroundings, nothing else touched.
 *
 *   load ─► detect ─► segment ─► grow ─► fill ─► save
 *     └────────────────┴───────────────────┘
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { DirectoryArtifactStore, Engine } from '@maskflow/engine';
import type { ArtifactRef, MaskValue } from '@maskflow/nodes';
import type { Workflow } from '@maskflow/workflow';
import { applyWorkflowInputs, validateWorkflow } from '@maskflow/workflow';
import type { DetectionTestEnv } from './detection-test.helper';
import { createDetectionEnv, writeTestImage } from './detection-test.helper';

const FILE = path.resolve(__dirname, '../../workflows/remove-by-text.json');
const doc = JSON.parse(readFileSync(FILE, 'utf8')) as Workflow;

let env: DetectionTestEnv;
let photo: string;
beforeAll(async () => {
  env = await createDetectionEnv();
  photo = await writeTestImage(env.dir, 'photo.png', 128, 96);
}, 120_000);
afterAll(() => env?.close());

describe('workflows/remove-by-text.json', () => {
  it('needs no Stable Diffusion and validates once its inputs are set', () => {
    expect(doc.nodes.map((n) => n.type)).not.toContain('SDInpaint');
    expect(Object.keys(doc.inputs)).toEqual(['image', 'find', 'grow', 'boxThreshold', 'method']);
    const wf = applyWorkflowInputs(doc, { image: 'photo.png', find: 'red mug' });
    expect(validateWorkflow(wf, env.registry.catalog).issues).toEqual([]);
  });

  it('fills the grown mask of what it found and keeps every other pixel exactly', async () => {
    const wf = applyWorkflowInputs(doc, { image: 'photo.png', find: 'Red mug . dog' });
    const engine = new Engine({ registry: env.registry, services: env.services });
    const artifacts = new DirectoryArtifactStore(env.dir, path.join(env.dir, 'out'));
    const result = await engine.run(wf, { artifacts });
    expect(result.status).toBe('finished');
    for (const id of ['load', 'detect', 'segment', 'grow', 'fill', 'save'])
      expect(result.nodes[id].status).toBe('done');

    // The grown mask, from the cache of the same engine.
    const grown = (await engine.run(wf, { target: 'grow', artifacts })).outputs.grow.mask as MaskValue;
    const selected = grown.data.reduce((n, v) => n + (v > 0 ? 1 : 0), 0);
    expect(selected).toBeGreaterThan(0);
    expect(selected).toBeLessThan(grown.data.length);

    const saved = result.outputs.save.artifact as ArtifactRef;
    const out = await sharp(saved.path).raw().toBuffer({ resolveWithObject: true });
    const src = await sharp(photo).raw().toBuffer({ resolveWithObject: true });
    expect(out.info).toMatchObject({ width: 128, height: 96, channels: 3 });
    let changed = 0;
    for (let i = 0; i < grown.data.length; i++) {
      const differs = [0, 1, 2].some((c) => out.data[i * 3 + c] !== src.data[i * 3 + c]);
      if (grown.data[i] === 0 && differs) throw new Error(`pixel ${i} outside the mask changed`);
      if (differs) changed++;
    }
    expect(changed).toBeGreaterThan(0);
  });
});
