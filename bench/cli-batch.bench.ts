/**
 * `maskflow run --batch` against a shell loop of `maskflow run`, one process
 * per photo: the same 8 photos and masks through remove-with-mask-file.json
 * (1024×768, no cache either way), from the compiled CLI (`npm run build`).
 * The batch pays start-up (Node, modules, OpenCV's wasm, the worker pool) once.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import type { BenchRow } from './bench.types';
import { median } from './bench.types';

const N = 8;
const W = 1024;
const H = 768;
const root = path.resolve(__dirname, '..');
const bin = path.join(root, 'apps', 'cli', 'bin', 'maskflow.js');
const workflow = path.join(root, 'workflows', 'remove-with-mask-file.json');

function maskflow(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [bin, 'run', workflow, '--no-cache', '--json', ...args], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (r.status !== 0) throw new Error(`maskflow ${args.join(' ')} failed: ${r.stderr}`);
  return performance.now() - t0;
}

export async function run(): Promise<BenchRow[]> {
  if (!existsSync(path.join(root, 'apps', 'cli', 'dist', 'bin.js')))
    throw new Error('the CLI is not built: run npm run build first');
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-batch-'));
  const photos = path.join(dir, 'photos');
  const masks = path.join(dir, 'masks');
  mkdirSync(photos);
  mkdirSync(masks);
  for (let k = 0; k < N; k++) {
    await sharp({
      create: {
        width: W,
        height: H,
        channels: 3,
        background: '#6a8',
        noise: { type: 'gaussian', mean: 120, sigma: 30 },
      },
    })
      .jpeg({ quality: 90 })
      .toFile(path.join(photos, `p${k}.jpg`));
    const m = Buffer.alloc(W * H);
    for (let y = 200; y < 400; y++) m.fill(255, y * W + 100 + k * 40, y * W + 300 + k * 40);
    await sharp(m, { raw: { width: W, height: H, channels: 1 } })
      .png()
      .toFile(path.join(masks, `p${k}.png`));
  }
  const loop: number[] = [];
  const batch: number[] = [];
  for (let rep = 0; rep < 3; rep++) {
    // Side by side, alternating, so load drifts hit both alike.
    let total = 0;
    for (let k = 0; k < N; k++)
      total += maskflow([
        '--input',
        `image=${path.join(photos, `p${k}.jpg`)}`,
        '--input',
        `mask=${path.join(masks, `p${k}.png`)}`,
        '--out',
        path.join(dir, `loop${rep}`),
      ]);
    loop.push(total);
    batch.push(
      maskflow([
        '--batch',
        `image=${photos}`,
        '--batch',
        `mask=${masks}`,
        '--out',
        path.join(dir, `batch${rep}`),
      ]),
    );
  }
  const ours = median(batch);
  const reference = median(loop);
  return [
    {
      group: 'CLI batch',
      case: `${N} photos ${W}×${H} + masks, remove-with-mask-file`,
      ours,
      reference,
      referenceName: `${N} × maskflow run`,
      ratio: ours / reference,
      note: `${(ours / N).toFixed(0)} ms per photo in a batch, ${(reference / N).toFixed(0)} ms per process; median of 3`,
    },
  ];
}
