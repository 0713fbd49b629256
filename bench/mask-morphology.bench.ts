/**
 * MaskDilate and MaskBlur on a 4096² mask (a few large blobs plus noise), side
 * by side with native OpenCV (python3 + cv2) on the same mask.
 *
 * Ours is timed as the ops the two nodes run (growShrinkMask, blurMask), in
 * this thread: the nodes hand big masks to the CPU worker pool, whose thread
 * hop and copies are not part of the comparison with cv2.
 *
 * `npx tsx bench/run.ts morph`
 *
 * OpenCV runs in a python child process that the bench drives one run at a
 * time, alternating with ours, so that both see the same load on a shared
 * machine. OpenCV is timed with its default thread count (the reference
 * column) and with one thread (in the note), since our code is single-threaded.
 * Dilation is compared with cv2.dilate and an elliptic kernel of size 2r+1,
 * the blur with cv2.GaussianBlur at the same sigma (r/3). Our output is also
 * checked against OpenCV: morphology must equal cv2.dilate/erode with the exact
 * disc kernel; for the blur the note gives the largest difference.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import type { MaskValue } from '../libs/nodes/src/contract';
import { maskValue } from '../libs/nodes/src/contract';
import { blurMask } from '../libs/nodes/src/ops/blur';
import { DISTANCE_PATH_MIN_RADIUS, growShrinkMask } from '../libs/nodes/src/ops/morphology';
import type { BenchRow } from './bench.types';
import { median } from './bench.types';

const SIZE = 4096;
type Op = 'dilate' | 'erode' | 'blur';
const CASES: Array<{ op: Op; radius: number; target?: number }> = [
  { op: 'dilate', radius: 4, target: 2.0 },
  { op: 'dilate', radius: 16 },
  { op: 'dilate', radius: 64, target: 1.0 },
  // One shrink, to show erosion costs the same as growing.
  { op: 'erode', radius: 16 },
  { op: 'blur', radius: 4 },
  { op: 'blur', radius: 16 },
  { op: 'blur', radius: 64 },
];
/** Timed runs per case; 3 when an OpenCV run takes over a second (radius 64 dilation takes ~3–6 s). */
const REPS = 5;
const SLOW_REPS = 3;
/** V8 reaches its top tier for these loops after about five calls (a server runs them many times). */
const WARMUP = 6;

/** Deterministic mask: six wobbly blobs covering ~20 % plus 0.1 % salt noise. */
function makeMask(width: number, height: number): MaskValue {
  let seed = 12345;
  const rand = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 4294967296;
  };
  const data = new Uint8Array(width * height);
  for (let b = 0; b < 6; b++) {
    const cx = width * (0.15 + 0.7 * rand());
    const cy = height * (0.15 + 0.7 * rand());
    const radius = Math.min(width, height) * (0.05 + 0.12 * rand());
    for (let y = Math.max(0, Math.floor(cy - radius * 1.5)); y < Math.min(height, cy + radius * 1.5); y++) {
      for (let x = Math.max(0, Math.floor(cx - radius * 1.5)); x < Math.min(width, cx + radius * 1.5); x++) {
        const wobble = radius * (1 + 0.25 * Math.sin(5 * Math.atan2(y - cy, x - cx) + b));
        if ((x - cx) ** 2 + (y - cy) ** 2 <= wobble * wobble) data[y * width + x] = 255;
      }
    }
  }
  for (let i = 0; i < width * height * 0.001; i++) data[Math.floor(rand() * width * height)] = 255;
  return maskValue(width, height, data);
}

function hasCv2(python: string): boolean {
  return spawnSync(python, ['-c', 'import cv2, numpy'], { stdio: 'ignore' }).status === 0;
}

/** A python with cv2 and numpy, installing Debian's python3-opencv if needed; or why there is none. */
function findPython(): { python: string } | { reason: string } {
  const candidates = ['python3', '/usr/bin/python3'];
  for (const p of candidates) if (hasCv2(p)) return { python: p };
  process.stderr.write('  cv2 not found; trying apt-get install -y python3-opencv…\n');
  const install = () =>
    spawnSync('apt-get', ['install', '-y', 'python3-opencv'], { stdio: 'ignore' }).status === 0;
  if (!install()) {
    spawnSync('apt-get', ['update'], { stdio: 'ignore' });
    install();
  }
  // Debian's package goes to the system python, which may not be the first python3 on PATH.
  for (const p of candidates) if (hasCv2(p)) return { python: p };
  return {
    reason: 'no OpenCV reference: python3 -c "import cv2" fails and apt-get install python3-opencv failed',
  };
}

/** The python side of the comparison, one JSON line per request. */
class OpenCv {
  private readonly lines: AsyncIterableIterator<string>;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    readonly version: string,
    readonly threads: number,
    lines: AsyncIterableIterator<string>,
  ) {
    this.lines = lines;
  }

  static async start(python: string, maskPath: string): Promise<OpenCv> {
    const cfg = JSON.stringify({ mask: maskPath, width: SIZE, height: SIZE });
    const child = spawn(python, [path.join(__dirname, 'opencv-morphology.py'), cfg]);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const first = await lines.next();
    if (first.done) throw new Error(`OpenCV script failed: ${stderr.trim()}`);
    const hello = JSON.parse(first.value) as { version: string; threads: number };
    return new OpenCv(child, hello.version, hello.threads, lines);
  }

  private async request<T>(cmd: Record<string, unknown>): Promise<T> {
    this.child.stdin.write(JSON.stringify(cmd) + '\n');
    const line = await this.lines.next();
    if (line.done) throw new Error('the OpenCV script exited');
    return JSON.parse(line.value) as T;
  }

  time(op: Op, radius: number, threads: 0 | 1): Promise<{ ms: number; cpu: number }> {
    return this.request({ cmd: 'time', op, radius, threads });
  }

  save(op: Op, radius: number, file: string): Promise<unknown> {
    return this.request({ cmd: 'save', op, radius, path: file });
  }

  stop(): void {
    this.child.stdin.end(JSON.stringify({ cmd: 'quit' }) + '\n');
  }
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

function maxAbsDiff(a: Uint8Array, b: Uint8Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export async function run(): Promise<BenchRow[]> {
  const mask = makeMask(SIZE, SIZE);
  const dir = mkdtempSync(path.join(tmpdir(), 'maskflow-bench-morph-'));
  let cv: OpenCv | undefined;
  try {
    const maskPath = path.join(dir, 'mask.u8');
    writeFileSync(maskPath, mask.data);
    const found = findPython();
    let noReference = 'reason' in found ? found.reason : '';
    if ('python' in found) {
      try {
        cv = await OpenCv.start(found.python, maskPath);
      } catch (err) {
        noReference = `no OpenCV reference: ${err instanceof Error ? err.message : String(err)}`;
      }
    }

    const rows: BenchRow[] = [];
    for (const { op, radius, target } of CASES) {
      process.stderr.write(`  ${op} r=${radius}…\n`);
      let result: Uint8Array | undefined;
      const ours = async (): Promise<{ ms: number; cpu: number }> => {
        // A macrotask between runs, as between node runs, lets V8 collect the previous output.
        await new Promise((resolve) => setImmediate(resolve));
        const c0 = process.cpuUsage();
        const t0 = process.hrtime.bigint();
        result =
          op === 'blur'
            ? blurMask(mask.data, SIZE, SIZE, radius)
            : growShrinkMask(mask.data, SIZE, SIZE, op === 'dilate' ? radius : -radius);
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        const c = process.cpuUsage(c0);
        return { ms, cpu: (c.user + c.system) / 1000 };
      };

      for (let i = 0; i < WARMUP; i++) await ours();
      const first = cv ? await cv.time(op, radius, 0) : undefined;
      const reps = first && first.ms > 1000 ? SLOW_REPS : REPS;
      const mine: Array<{ ms: number; cpu: number }> = [];
      const theirs: Array<{ ms: number; cpu: number }> = [];
      const theirs1: Array<{ ms: number; cpu: number }> = [];
      for (let i = 0; i < reps; i++) {
        if (cv) theirs.push(await cv.time(op, radius, 0));
        mine.push(await ours());
        if (cv) theirs1.push(await cv.time(op, radius, 1));
      }
      if (!result) throw new Error('no result');

      const row: BenchRow = {
        group: `${op === 'blur' ? 'MaskBlur' : 'MaskDilate'} ${SIZE}²`,
        case: `radius ${op === 'erode' ? -radius : radius}`,
        ours: median(mine.map((t) => t.ms)),
      };
      const notes: string[] = [];
      if (op !== 'blur') notes.push(`${radius < DISTANCE_PATH_MIN_RADIUS ? 'row-bits' : 'distance'} path`);
      if (cv) {
        const ref = median(theirs.map((t) => t.ms));
        const ref1 = median(theirs1.map((t) => t.ms));
        row.reference = ref;
        row.referenceName =
          op === 'blur'
            ? `cv2.GaussianBlur σ=${(radius / 3).toFixed(2)}`
            : `cv2.${op} ellipse ${2 * radius + 1}²`;
        row.ratio = row.ours / ref;
        if (target !== undefined) {
          row.target = `≤ ${target.toFixed(1)}`;
          row.pass = row.ratio <= target;
        }
        notes.push(
          `cv2 ${cv.version} ${cv.threads} threads; cv2 1 thread ${ref1.toFixed(1)} ms (ours/that ${(row.ours / ref1).toFixed(2)})`,
          `CPU ms ours ${median(mine.map((t) => t.cpu)).toFixed(1)}, cv2 1 thread ${median(theirs1.map((t) => t.cpu)).toFixed(1)}`,
        );
        const file = path.join(dir, `${op}-${radius}.u8`);
        await cv.save(op, radius, file);
        const reference = new Uint8Array(readFileSync(file));
        if (op === 'blur') notes.push(`max |ours − cv2| ${maxAbsDiff(result, reference)}`);
        else {
          const at = firstDifference(result, reference);
          notes.push(
            at < 0
              ? 'equals cv2 with the exact disc kernel'
              : `DIFFERS from cv2's disc result at pixel ${at}`,
          );
          if (at >= 0) row.pass = false;
        }
      } else {
        notes.push(noReference);
      }
      notes.push(`load avg ${loadavg()[0].toFixed(1)}`);
      row.note = notes.join('; ');
      rows.push(row);
    }
    return rows;
  } finally {
    cv?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
