import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { sharedFixture } from '../helpers/node-context';

const root = path.resolve(__dirname, '..', '..');
const workflow = path.join(root, 'workflows', 'remove-object-classical.json');

interface Summary {
  status: string;
  files: Array<{ path: string; mime: string; width: number; height: number }>;
  nodes: Record<string, { status: string; ms?: number; cached: boolean }>;
  error?: { kind: string; message: string; nodeId?: string; field?: string };
}

/** Runs the real CLI (from source, through tsx) as a child process. */
function maskflow(args: string[], cacheDir: string) {
  const r = spawnSync(process.execPath, ['-r', 'tsx/cjs', path.join(root, 'apps/cli/src/bin.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, MASKFLOW_CACHE_DIR: cacheDir },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function json(stdout: string): Summary {
  return JSON.parse(stdout) as Summary;
}

/** A photo: the shared COCO image when present, else a generated scene with texture. */
async function photo(dir: string): Promise<string> {
  const shared = sharedFixture('images', 'coco139.jpg');
  if (shared) return shared;
  console.warn('../shared/fixtures is absent: using a generated photo instead of coco139.jpg');
  const w = 640;
  const h = 426;
  const data = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      data[i] = (x * 255) / w;
      data[i + 1] = (y * 255) / h;
      data[i + 2] = ((x ^ y) & 31) * 8;
    }
  }
  const file = path.join(dir, 'scene.jpg');
  await sharp(data, { raw: { width: w, height: h, channels: 3 } })
    .jpeg({ quality: 90 })
    .toFile(file);
  return file;
}

describe('maskflow run (CLI, end to end)', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'maskflow-cli-'));
  const cacheDir = path.join(work, 'cache');
  const box = { x1: 200, y1: 120, x2: 320, y2: 240 };
  const radius = 8;

  it('removes the boxed region, keeps every pixel outside the dilated mask byte-identical, and re-runs only what changed', async () => {
    const input = await photo(work);
    const out1 = path.join(work, 'out1');
    const first = maskflow(
      [
        'run',
        workflow,
        '--input',
        `image=${input}`,
        '--input',
        `box=${JSON.stringify([box])}`,
        '--out',
        out1,
        '--json',
      ],
      cacheDir,
    );
    expect(first.stderr).not.toMatch(/internal error/);
    expect(first.code).toBe(0);
    const s1 = json(first.stdout);
    expect(s1.status).toBe('finished');
    expect(s1.files).toHaveLength(1);
    expect(s1.files[0].path.startsWith(out1)).toBe(true);
    expect(Object.values(s1.nodes).map((n) => n.status)).toEqual(['done', 'done', 'done', 'done', 'done']);

    const src = await sharp(input).raw().toBuffer({ resolveWithObject: true });
    const res = await sharp(s1.files[0].path).raw().toBuffer({ resolveWithObject: true });
    expect([res.info.width, res.info.height]).toEqual([src.info.width, src.info.height]);
    const { width, channels } = src.info;
    let changedInside = 0;
    for (let y = 0; y < src.info.height; y++) {
      for (let x = 0; x < width; x++) {
        // Distance from (x, y) to the box; outside the round dilation it must be untouched.
        const dx = Math.max(box.x1 - x, 0, x - (box.x2 - 1));
        const dy = Math.max(box.y1 - y, 0, y - (box.y2 - 1));
        const i = (y * width + x) * channels;
        const inside = dx === 0 && dy === 0;
        if (dx * dx + dy * dy > radius * radius) {
          for (let c = 0; c < channels; c++) {
            if (res.data[i + c] !== src.data[i + c])
              throw new Error(`pixel (${x}, ${y}) outside the mask changed`);
          }
        } else if (inside && res.data[i] !== src.data[i]) changedInside++;
      }
    }
    expect(changedInside).toBeGreaterThan(((box.x2 - box.x1) * (box.y2 - box.y1)) / 2);

    // Change one MaskFill param: only fill and save execute.
    const second = maskflow(
      [
        'run',
        workflow,
        '--input',
        `image=${input}`,
        '--input',
        `box=${JSON.stringify([box])}`,
        '--set',
        'fill.method=ns',
        '--out',
        path.join(work, 'out2'),
        '--json',
      ],
      cacheDir,
    );
    expect(second.code).toBe(0);
    const s2 = json(second.stdout);
    expect(Object.fromEntries(Object.entries(s2.nodes).map(([id, n]) => [id, n.status]))).toEqual({
      load: 'cached',
      box: 'cached',
      dilate: 'cached',
      fill: 'done',
      save: 'done',
    });
  });

  it('removes what a painted mask file marks (ImageToMask) and saves the grown mask (MaskToImage)', async () => {
    const input = await photo(work);
    const { width, height } = await sharp(input).metadata();
    // A black mask with one white rectangle, as painted in an image editor (RGB, JPEG-free).
    const rect = { x1: 60, y1: 50, x2: 140, y2: 110 };
    const paint = Buffer.alloc(width * height * 3);
    for (let y = rect.y1; y < rect.y2; y++)
      paint.fill(255, (y * width + rect.x1) * 3, (y * width + rect.x2) * 3);
    const maskFile = path.join(work, 'painted-mask.png');
    await sharp(paint, { raw: { width: width, height: height, channels: 3 } })
      .png()
      .toFile(maskFile);

    const out = path.join(work, 'out-maskfile');
    const r = maskflow(
      [
        'run',
        path.join(root, 'workflows', 'remove-with-mask-file.json'),
        '--input',
        `image=${input}`,
        '--input',
        `mask=${maskFile}`,
        '--out',
        out,
        '--json',
      ],
      cacheDir,
    );
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(0);
    const s = json(r.stdout);
    expect(s.status).toBe('finished');
    const removed = s.files.find((f) => path.basename(f.path).startsWith('removed'));
    const saved = s.files.find((f) => path.basename(f.path).startsWith('mask'));
    expect(removed && saved).toBeTruthy();

    // The saved mask is the rectangle grown by a disc of 8 px, as a grey image.
    const grown = await sharp(saved!.path).raw().toBuffer({ resolveWithObject: true });
    const src = await sharp(input).raw().toBuffer({ resolveWithObject: true });
    const res = await sharp(removed!.path).raw().toBuffer({ resolveWithObject: true });
    let changedInside = 0;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const dx = Math.max(rect.x1 - x, 0, x - (rect.x2 - 1));
        const dy = Math.max(rect.y1 - y, 0, y - (rect.y2 - 1));
        const inMask = dx * dx + dy * dy <= 64;
        const g = (y * width + x) * grown.info.channels;
        if (grown.data[g] !== (inMask ? 255 : 0)) throw new Error(`saved mask wrong at (${x}, ${y})`);
        const i = (y * width + x) * src.info.channels;
        if (!inMask) {
          for (let c = 0; c < src.info.channels; c++)
            if (res.data[i + c] !== src.data[i + c])
              throw new Error(`pixel (${x}, ${y}) outside the mask changed`);
        } else if (dx === 0 && dy === 0 && res.data[i] !== src.data[i]) changedInside++;
      }
    }
    expect(changedInside).toBeGreaterThan(((rect.x2 - rect.x1) * (rect.y2 - rect.y1)) / 2);
  });

  /*
   *   photos/  p1.png  p2.png  p3.png (not an image)     masks/  p1.png  p2.png  p3.png
   *   └───────────── paired by name ─────────────────────────────┘
   *   one engine, one run each: out/p1-removed.png, out/p2-removed.png; p3 fails, the rest still run
   */
  it('runs a folder of photos against a folder of masks (--batch), naming outputs after the inputs', async () => {
    const dir = path.join(work, 'batch');
    const photos = path.join(dir, 'photos');
    const masks = path.join(dir, 'masks');
    mkdirSync(photos, { recursive: true });
    mkdirSync(masks, { recursive: true });
    const W = 160;
    const H = 120;
    const rects = { p1: { x1: 20, y1: 30, x2: 60, y2: 70 }, p2: { x1: 90, y1: 10, x2: 150, y2: 50 } };
    for (const [name, r] of Object.entries(rects)) {
      const px = Buffer.alloc(W * H * 3);
      for (let i = 0; i < px.length; i++) px[i] = (i * 37 + name.length * 11) % 251;
      await sharp(px, { raw: { width: W, height: H, channels: 3 } })
        .png()
        .toFile(path.join(photos, `${name}.png`));
      const m = Buffer.alloc(W * H);
      for (let y = r.y1; y < r.y2; y++) m.fill(255, y * W + r.x1, y * W + r.x2);
      await sharp(m, { raw: { width: W, height: H, channels: 1 } })
        .png()
        .toFile(path.join(masks, `${name}.png`));
    }
    writeFileSync(path.join(photos, 'p3.png'), 'not an image');
    await sharp(Buffer.alloc(W * H), { raw: { width: W, height: H, channels: 1 } })
      .png()
      .toFile(path.join(masks, 'p3.png'));

    const out = path.join(dir, 'out');
    const r = maskflow(
      [
        'run',
        path.join(root, 'workflows', 'remove-with-mask-file.json'),
        '--batch',
        `image=${photos}`,
        '--batch',
        `mask=${masks}`,
        '--out',
        out,
        '--json',
      ],
      cacheDir,
    );
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(1); // one file failed
    const batch = JSON.parse(r.stdout) as {
      status: string;
      counts: Record<string, number>;
      items: Array<Summary & { stem: string; inputs: Record<string, string> }>;
    };
    expect(batch.status).toBe('failed');
    expect(batch.counts).toEqual({ finished: 2, failed: 1, cancelled: 0, notRun: 0 });
    expect(batch.items.map((i) => [i.stem, i.status])).toEqual([
      ['p1', 'finished'],
      ['p2', 'finished'],
      ['p3', 'failed'],
    ]);
    expect(batch.items[2].inputs).toEqual({
      image: path.join(photos, 'p3.png'),
      mask: path.join(masks, 'p3.png'),
    });
    expect(batch.items[2].error).toMatchObject({ nodeId: 'load', field: 'image' });
    expect(readdirSync(out).sort()).toEqual([
      'p1-mask.png',
      'p1-removed.png',
      'p2-mask.png',
      'p2-removed.png',
    ]);

    // Each output is its own photo filled where its own mask (grown by 8 px) is, and untouched elsewhere.
    for (const [name, rect] of Object.entries(rects)) {
      const src = await sharp(path.join(photos, `${name}.png`))
        .raw()
        .toBuffer();
      const res = await sharp(path.join(out, `${name}-removed.png`))
        .raw()
        .toBuffer();
      let changedInside = 0;
      for (let y = 0; y < H; y++)
        for (let x = 0; x < W; x++) {
          const dx = Math.max(rect.x1 - x, 0, x - (rect.x2 - 1));
          const dy = Math.max(rect.y1 - y, 0, y - (rect.y2 - 1));
          const i = (y * W + x) * 3;
          if (dx * dx + dy * dy > 64) {
            if (res[i] !== src[i] || res[i + 1] !== src[i + 1] || res[i + 2] !== src[i + 2])
              throw new Error(`${name}: pixel (${x}, ${y}) outside its mask changed`);
          } else if (dx === 0 && dy === 0 && res[i] !== src[i]) changedInside++;
        }
      expect(changedInside).toBeGreaterThan(((rect.x2 - rect.x1) * (rect.y2 - rect.y1)) / 2);
    }

    // A photo without a mask of its name stops the batch before anything runs.
    writeFileSync(path.join(photos, 'p4.jpg'), '');
    const unpaired = maskflow(
      [
        'run',
        path.join(root, 'workflows', 'remove-with-mask-file.json'),
        '--batch',
        `image=${photos}`,
        '--batch',
        `mask=${masks}`,
        '--out',
        path.join(dir, 'out2'),
      ],
      cacheDir,
    );
    expect(unpaired.code).toBe(1);
    expect(unpaired.stderr).toContain(
      "no file with the same name (extension aside) as image's: mask for p4.jpg",
    );
    expect(existsSync(path.join(dir, 'out2'))).toBe(false);
  });

  it('explains a malformed workflow file and exits non-zero', () => {
    const bad = path.join(work, 'bad.json');
    writeFileSync(bad, '{ "version": 1, "nodes": [ ');
    const r = maskflow(['run', bad], cacheDir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.json" is not valid JSON/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('names the node and field of an unknown node type and of a missing input', () => {
    const wf = path.join(work, 'unknown.json');
    writeFileSync(
      wf,
      JSON.stringify({
        version: 1,
        nodes: [
          { id: 'x', type: 'Sharpen' },
          { id: 'save', type: 'SaveImage' },
        ],
        edges: [],
      }),
    );
    const r = maskflow(['run', wf, '--json'], cacheDir);
    expect(r.code).toBe(1);
    const s = json(r.stdout);
    expect(s.error?.message).toContain('node "x", field "type": unknown node type "Sharpen"');
    expect(s.error?.message).toContain(
      'node "save", field "image": required input "image" (IMAGE) is not connected',
    );
  });

  it('refuses a file that is not an image and a PNG header claiming 100000×100000 pixels, naming node and field', () => {
    const text = path.join(work, 'notes.png');
    writeFileSync(text, 'these are not pixels');
    const r1 = maskflow(
      ['run', workflow, '--input', `image=${text}`, '--out', path.join(work, 'o3'), '--json', '--no-cache'],
      cacheDir,
    );
    expect(r1.code).toBe(1);
    expect(json(r1.stdout).error).toMatchObject({ kind: 'user', nodeId: 'load', field: 'image' });

    // A valid PNG signature and IHDR chunk claiming 100000 × 100000, with a token of compressed data.
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(100000, 0);
    ihdr.writeUInt32BE(100000, 4);
    ihdr.set([8, 2, 0, 0, 0], 8);
    const chunk = (type: string, data: Buffer) => {
      const len = Buffer.alloc(4);
      len.writeUInt32BE(data.length);
      const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
      const crc = Buffer.alloc(4);
      crc.writeUInt32BE(crc32(body));
      return Buffer.concat([len, body, crc]);
    };
    const bomb = path.join(work, 'bomb.png');
    writeFileSync(
      bomb,
      Buffer.concat([
        Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
        chunk('IHDR', ihdr),
        chunk('IDAT', deflateSync(Buffer.alloc(64))),
        chunk('IEND', Buffer.alloc(0)),
      ]),
    );
    const r2 = maskflow(
      ['run', workflow, '--input', `image=${bomb}`, '--out', path.join(work, 'o4'), '--json', '--no-cache'],
      cacheDir,
    );
    expect(r2.code).toBe(1);
    const e = json(r2.stdout).error!;
    expect(e).toMatchObject({ kind: 'user', nodeId: 'load', field: 'image' });
    expect(e.message).toMatch(/100000/);
  });

  it('refuses an unknown --input or --set target with the known names', () => {
    const r = maskflow(['run', workflow, '--input', 'colour=red'], cacheDir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no input "colour"; it exposes image, box, grow, method');
    const r2 = maskflow(['run', workflow, '--set', 'nope.radius=3'], cacheDir);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain('no node "nope"');
  });
});

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}
