/**
 * The mission graph from the command line, on the tiny contract-exact models
 * (registered as the manifest ids through MASKFLOW_MODEL_PATHS):
 *
 *   load ──► detect (GroundingDINO) ──► segment (SAM) ──► grow ──► inpaint (SDInpaint) ──► save
 *                                                           └──► overlay ──► save_mask_overlay
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { generateTinyModels } from '../fixtures/generate-tiny-models';

const root = path.resolve(__dirname, '..', '..');

interface Summary {
  status: string;
  files: Array<{ node: string; path: string; width: number; height: number }>;
  nodes: Record<string, { status: string }>;
  error?: { message: string };
}

describe('maskflow run workflows/text-guided-inpaint.json (tiny models)', () => {
  it('detects, segments, grows and inpaints, keeping pixels far from the mask unchanged', async () => {
    const tiny = await generateTinyModels();
    const work = mkdtempSync(path.join(tmpdir(), 'maskflow-mission-'));
    const photo = path.join(work, 'photo.png');
    const w = 320;
    const h = 240;
    const px = Buffer.alloc(w * h * 3);
    for (let i = 0; i < w * h; i++) px.set([(i % w) % 256, Math.floor(i / w) % 256, (i * 7) % 256], i * 3);
    await sharp(px, { raw: { width: w, height: h, channels: 3 } })
      .png()
      .toFile(photo);

    const r = spawnSync(
      process.execPath,
      [
        '-r',
        'tsx/cjs',
        path.join(root, 'apps/cli/src/bin.ts'),
        'run',
        path.join(root, 'workflows/text-guided-inpaint.json'),
        '--input',
        `image=${photo}`,
        '--input',
        'find=dark square',
        '--input',
        'prompt=a red fox',
        '--input',
        'seed=7',
        '--input',
        'steps=2',
        '--out',
        path.join(work, 'out'),
        '--json',
        '--no-cache',
      ],
      {
        cwd: root,
        encoding: 'utf8',
        timeout: 120_000,
        env: {
          ...process.env,
          MASKFLOW_AUTO_DOWNLOAD: '0',
          MASKFLOW_MODEL_PATHS: [
            `grounding-dino-tiny=${tiny.groundingDino.dir}`,
            `mobile-sam=${tiny.sam.dir}`,
            `sd-1.5-inpainting=${tiny.sdInpaint.dir}`,
          ].join(';'),
        },
      },
    );
    expect(r.stderr).not.toMatch(/internal error/);
    const s = JSON.parse(r.stdout) as Summary;
    expect(s.error).toBeUndefined();
    expect(r.status).toBe(0);
    expect(s.status).toBe('finished');
    expect(Object.values(s.nodes).every((n) => n.status === 'done')).toBe(true);
    const out = s.files.find((f) => f.node === 'save')!;
    expect([out.width, out.height]).toEqual([w, h]);

    // The tiny detector's boxes cover part of the frame; SDInpaint changes only inside the grown,
    // feathered mask, so a good share of the picture must come back byte-identical.
    const res = await sharp(out.path).raw().toBuffer();
    let same = 0;
    let changed = 0;
    for (let i = 0; i < w * h; i++) {
      const eq =
        res[i * 3] === px[i * 3] && res[i * 3 + 1] === px[i * 3 + 1] && res[i * 3 + 2] === px[i * 3 + 2];
      if (eq) same++;
      else changed++;
    }
    expect(changed).toBeGreaterThan(0);
    expect(same).toBeGreaterThan(0);
  });
});
