/**
 * The mask blur (blur.ts) in WebAssembly SIMD: the kernels are
 * `libs/nodes/wasm/blur.ts` (AssemblyScript), built by `npm run build:wasm`
 * (part of `npm run build`, which `npm ci` runs) to
 * `libs/nodes/wasm/build/blur.wasm`.
 *
 * This side owns the memory: a ring of mask rows, a ring of row-pass results
 * (H), the blur's pipeline rings and a band of output rows. Mask rows are
 * copied in and output rows copied out a band at a time, so the whole mask
 * never has to sit in wasm memory (loading and memory: wasm-kernel.ts).
 */
import { Layout, WasmKernel } from './wasm-kernel';

/**
 * Output rows per band, in units of the blur's reach: a blurred row range
 * that crosses into the next band restarts there, reading the reach again,
 * so bands are several reaches tall; and small, so that the band's rows of
 * the mask and of H stay in L2 for the column pass.
 */
const BAND_REACHES = 6;
const MIN_BAND_ROWS = 64;

interface Kernel {
  init(
    width: number,
    height: number,
    l: number,
    alpha: number,
    norm: number,
    normFinal: number,
    taps: number,
    tapCount: number,
    ringEntries: number,
    srcRing: number,
    srcRingRows: number,
    hRing: number,
    hRingRows: number,
    hRowStride: number,
    hRings: number,
    vRings: number,
    sums: number,
    hOut: number,
    segStart: number,
    segEnd: number,
    tmp: number,
    hRows: number,
    ties: number,
  ): void;
  band(y0: number, y1: number, out: number): void;
}

const blurKernel = new WasmKernel<Kernel>('blur', 'MaskBlur');

const roundUp = (n: number, m: number): number => Math.ceil(n / m) * m;

/** Copies mask rows from..to − 1 into their slots of a ring of `cap` rows at `at`. */
function copyRows(
  bytes: Uint8Array,
  src: Uint8Array,
  width: number,
  at: number,
  cap: number,
  from: number,
  to: number,
): void {
  for (let y = from; y < to;) {
    const slot = y % cap;
    const n = Math.min(to - y, cap - slot);
    bytes.set(src.subarray(y * width, (y + n) * width), at + slot * width);
    y += n;
  }
}

/** The extended box the blur runs three times per axis, with its norms (blur.ts computes them). */
export interface BoxPasses {
  l: number;
  alpha: number;
  /** 1 / (2l + 1 + 2·alpha): the passes into 8.8 fixed point. */
  norm: number;
  /** norm / 256: the last pass, into bytes. */
  normFinal: number;
}

/** What to blur with: three extended boxes per axis, or Gaussian taps (an odd number, up to 7) directly. */
export type BlurKernel = { boxes: BoxPasses } | { taps: Float64Array };

export interface BlurWasmOptions {
  keepMemoryBytes?: number;
  /** Output rows per band (tests use small bands to cross band edges). */
  bandRows?: number;
}

/**
 * Blurs `src` into `out` as blur.ts documents: rows first, into 8.8 fixed
 * point, then columns into bytes; borders replicate.
 */
export function blurWasm(
  src: Uint8Array,
  width: number,
  height: number,
  kernel: BlurKernel,
  out: Uint8Array,
  opts: BlurWasmOptions = {},
): void {
  const box = 'boxes' in kernel ? kernel.boxes : undefined;
  const taps = 'taps' in kernel ? kernel.taps : undefined;
  if (taps && (taps.length % 2 !== 1 || taps.length > 7)) {
    throw new RangeError(`expected an odd number of taps up to 7, got ${taps.length}`);
  }
  // How far one step reads either way (a box: l + 1), and all steps together.
  const step = box ? box.l + 1 : ((taps?.length ?? 1) - 1) / 2;
  const reach = box ? 3 * step : step;
  const hStride = roundUp(width, 16) * 2;
  const band = Math.min(height, opts.bandRows ?? roundUp(Math.max(MIN_BAND_ROWS, BAND_REACHES * reach), 8));
  const srcRows = Math.min(height, band + 2 * reach + 1);
  const hRows = Math.min(height, band + 2 * reach);
  // The pipeline rings hold a step's reach either way and the 16 positions that go in at a time.
  let ringEntries = 1;
  while (ringEntries < 2 * step + 16) ringEntries *= 2;
  const blocks = Math.ceil(width / 16);

  const layout = new Layout();
  const srcAt = layout.take(srcRows * width + 32);
  const hAt = layout.take(hRows * hStride);
  const hRingsAt = layout.take(3 * ringEntries * 64);
  const vRingsAt = layout.take(3 * ringEntries * 128);
  const sumsAt = layout.take(3 * 128);
  const hOutAt = layout.take(width * 16);
  const segStartAt = layout.take(blocks * 4);
  const segEndAt = layout.take(blocks * 4);
  const tmpAt = layout.take(64);
  const hRowTableAt = layout.take((band + 2 * reach) * 4);
  const tiesAt = layout.take(256);
  const tapsAt = layout.take(8 * 8);
  const outAt = layout.take(band * width + 16);

  const { memory, kernel: wasm } = blurKernel.instanceFor(layout.size, opts.keepMemoryBytes);
  const bytes = new Uint8Array(memory.buffer);
  if (taps) new Float64Array(memory.buffer, tapsAt, taps.length).set(taps);
  wasm.init(
    width,
    height,
    box?.l ?? 0,
    box?.alpha ?? 0,
    box?.norm ?? 0,
    box?.normFinal ?? 0,
    tapsAt,
    taps?.length ?? 0,
    ringEntries,
    srcAt,
    srcRows,
    hAt,
    hRows,
    hStride,
    hRingsAt,
    vRingsAt,
    sumsAt,
    hOutAt,
    segStartAt,
    segEndAt,
    tmpAt,
    hRowTableAt,
    tiesAt,
  );
  let srcNext = 0;
  for (let y0 = 0; y0 < height; y0 += band) {
    const y1 = Math.min(height, y0 + band);
    const need = Math.min(height, y1 + reach);
    copyRows(bytes, src, width, srcAt, srcRows, srcNext, need);
    srcNext = need;
    wasm.band(y0, y1, outAt);
    out.set(bytes.subarray(outAt, outAt + (y1 - y0) * width), y0 * width);
  }
}
