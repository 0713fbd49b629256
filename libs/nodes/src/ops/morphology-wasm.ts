/**
 * The row-bits path of the disc morphology (morphology.ts) in WebAssembly
 * SIMD: the kernel is `libs/nodes/wasm/morphology.ts` (AssemblyScript), built
 * by `npm run build:wasm` (part of `npm run build`, which `npm ci` runs) to
 * `libs/nodes/wasm/build/morphology.wasm`.
 *
 * This side owns the memory: the packed image (height rows of ⌈w/64⌉ + 2
 * words), the ring of class rows for the last 2r+1 input rows, and a staging
 * area through which input rows are copied in and output rows copied out in
 * bands of about 128 KB, so the whole mask never has to sit in wasm memory.
 * One instance (with its memory) is kept per thread for masks that need up
 * to {@link KEEP_MEMORY_BYTES}; bigger ones get an instance of their own,
 * dropped after the call, since wasm memory never shrinks.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { EnvironmentError } from '@maskflow/workflow';

/** Largest radius the kernel supports: a class row word takes bits from its two neighbours only. */
export const ROW_BITS_MAX_RADIUS = 63;

/** Wasm memory kept between calls in a thread; above this a call gets its own instance. */
export const KEEP_MEMORY_BYTES = 64 * 1024 * 1024;

/** Bytes per band of rows copied through the staging area. */
const STAGING_BYTES = 128 * 1024;
const PAGE = 65536;

interface Kernel {
  pack(src: number, width: number, rows: number, dst: number, stride: number, invert: number): void;
  init(
    packed: number,
    ring: number,
    sources: number,
    widths: number,
    classOfDy: number,
    classes: number,
    ringRows: number,
    stride: number,
    width: number,
    height: number,
    radius: number,
    invert: number,
  ): void;
  run(y0: number, y1: number, out: number): void;
}

interface Instance {
  memory: WebAssembly.Memory;
  kernel: Kernel;
}

/** Where the build puts the kernel: the same relative path from src/ops and dist/ops. */
export function morphologyWasmPath(): string {
  return path.resolve(__dirname, '../../wasm/build/morphology.wasm');
}

let compiled: WebAssembly.Module | undefined;
let kept: Instance | undefined;

function wasmModule(): WebAssembly.Module {
  if (compiled) return compiled;
  const file = morphologyWasmPath();
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new EnvironmentError(
      `the MaskDilate kernel ${file} is missing: run \`npm run build:wasm\` (npm ci and npm run build do this)`,
      { code: 'wasm-missing', cause: err },
    );
  }
  compiled = new WebAssembly.Module(bytes);
  return compiled;
}

function instantiate(bytes: number): Instance {
  const memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / PAGE) });
  const instance = new WebAssembly.Instance(wasmModule(), { env: { memory } });
  return { memory, kernel: instance.exports as unknown as Kernel };
}

/** An instance with at least `bytes` of memory: the kept one (grown) when small enough, else a fresh one. */
function instanceFor(bytes: number, keepMemoryBytes: number): Instance {
  if (bytes > keepMemoryBytes) return instantiate(bytes);
  kept ??= instantiate(bytes);
  const have = kept.memory.buffer.byteLength;
  if (have < bytes) kept.memory.grow(Math.ceil((bytes - have) / PAGE));
  return kept;
}

/**
 * Dilates (or, with `invert`, erodes) a mask by the disc whose half-width at
 * vertical offset d is `halfWidths[d]`, d = 0..r. Same contract as the
 * row-bits path of morphology.ts: input thresholded at 128, output 0/255,
 * outside the image not set (set, for erosion).
 */
export function discMorphologyWasm(
  src: Uint8Array,
  width: number,
  height: number,
  halfWidths: Int32Array,
  invert: boolean,
  out: Uint8Array,
  opts: { keepMemoryBytes?: number } = {},
): void {
  const r = halfWidths.length - 1;
  if (r < 1 || r > ROW_BITS_MAX_RADIUS)
    throw new RangeError(`the row-bits kernel takes radii 1..${ROW_BITS_MAX_RADIUS}, got ${r}`);
  const widths = Int32Array.from(new Set(halfWidths)).sort();
  const classes = widths.length;
  const classOfDy = new Int32Array(r + 1);
  for (let d = 0; d <= r; d++) classOfDy[d] = widths.indexOf(halfWidths[d]);

  // A row: a zero word, ⌈w/64⌉ words, a zero word, padded to whole 16-byte vectors.
  const words = Math.ceil(width / 64);
  const stride = ((words + 2 + 1) & ~1) * 8;
  const ringRows = Math.min(2 * r + 1, height);
  const band = Math.max(1, Math.min(height, Math.floor(STAGING_BYTES / width)));

  let p = 0;
  const take = (bytes: number): number => {
    const at = p;
    p = (p + bytes + 15) & ~15;
    return at;
  };
  const widthsAt = take(4 * classes);
  const classOfDyAt = take(4 * (r + 1));
  const sourcesAt = take(4 * (2 * r + 1));
  const packedAt = take(height * stride);
  const ringAt = take(ringRows * (classes - 1) * stride);
  // Packing reads up to 63 bytes past the band, unpacking writes up to 127.
  const stagingAt = take(band * width + 128);

  const { memory, kernel } = instanceFor(p, opts.keepMemoryBytes ?? KEEP_MEMORY_BYTES);
  const bytes = new Uint8Array(memory.buffer);
  const ints = new Int32Array(memory.buffer);
  ints.set(widths, widthsAt >>> 2);
  ints.set(classOfDy, classOfDyAt >>> 2);
  const inv = invert ? 1 : 0;

  for (let y = 0; y < height; y += band) {
    const rows = Math.min(band, height - y);
    bytes.set(src.subarray(y * width, (y + rows) * width), stagingAt);
    kernel.pack(stagingAt, width, rows, packedAt + y * stride, stride, inv);
  }
  kernel.init(
    packedAt,
    ringAt,
    sourcesAt,
    widthsAt,
    classOfDyAt,
    classes,
    ringRows,
    stride,
    width,
    height,
    r,
    inv,
  );
  for (let y = 0; y < height; y += band) {
    const rows = Math.min(band, height - y);
    kernel.run(y, y + rows, stagingAt);
    out.set(bytes.subarray(stagingAt, stagingAt + rows * width), y * width);
  }
}
