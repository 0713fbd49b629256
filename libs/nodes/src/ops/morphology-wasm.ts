/**
 * The row-bits path of the disc morphology (morphology.ts) in WebAssembly
 * SIMD: the kernel is `libs/nodes/wasm/morphology.ts` (AssemblyScript), built
 * by `npm run build:wasm` (part of `npm run build`, which `npm ci` runs) to
 * `libs/nodes/wasm/build/morphology.wasm`.
 *
 * This side owns the memory: the packed image (height rows of ⌈w/64⌉ + 2
 * words), the ring of class rows for the last 2r+1 input rows, and a staging
 * area through which input rows are copied in and output rows copied out in
 * bands of about 128 KB, so the whole mask never has to sit in wasm memory
 * (loading and memory: wasm-kernel.ts).
 */
import { Layout, WasmKernel } from './wasm-kernel';

/** Largest radius the kernel supports: a class row word takes bits from its two neighbours only. */
export const ROW_BITS_MAX_RADIUS = 63;

/** Bytes per band of rows copied through the staging area. */
const STAGING_BYTES = 128 * 1024;

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

const morphologyKernel = new WasmKernel<Kernel>('morphology', 'MaskDilate');

/**
 * Dilates (or, with `invert`, erodes) a mask by the disc whose half-width at
 * vertical offset d is `halfWidths[d]`, d = 0..r, into `out`. The contract
 * of morphology.ts: input thresholded at 128, output 0/255, outside the image
 * not set (set, for erosion).
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

  const layout = new Layout();
  const widthsAt = layout.take(4 * classes);
  const classOfDyAt = layout.take(4 * (r + 1));
  const sourcesAt = layout.take(4 * (2 * r + 1));
  const packedAt = layout.take(height * stride);
  const ringAt = layout.take(ringRows * (classes - 1) * stride);
  // Packing reads up to 63 bytes past the band, unpacking writes up to 127.
  const stagingAt = layout.take(band * width + 128);

  const { memory, kernel } = morphologyKernel.instanceFor(layout.size, opts.keepMemoryBytes);
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
