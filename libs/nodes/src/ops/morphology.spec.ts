import {
  binarizeMask,
  dilateDisc,
  discHalfWidths,
  DISTANCE_PATH_MIN_RADIUS,
  erodeDisc,
  growShrinkMask,
  isqrt,
} from './morphology';
import type { MorphologyMethod } from './morphology';
import { discMorphologyWasm, ROW_BITS_MAX_RADIUS } from './morphology-wasm';

const MAX_RADIUS = 64;
const METHODS: MorphologyMethod[] = ['row-bits', 'distance', 'auto'];

/** The radii of `list` a method takes (row-bits stops at ROW_BITS_MAX_RADIUS). */
function radiiFor(method: MorphologyMethod, list: number[]): number[] {
  return method === 'row-bits' ? list.filter((r) => Math.abs(r) <= ROW_BITS_MAX_RADIUS) : list;
}

interface TestMask {
  name: string;
  width: number;
  height: number;
  data: Uint8Array;
}

/** Deterministic PRNG (mulberry32), so a failure reproduces. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Set pixels get random values ≥ 128, unset ones < 128, so binarization is exercised too. */
function softValue(rand: () => number, set: boolean): number {
  return set ? 128 + Math.floor(rand() * 128) : Math.floor(rand() * 128);
}

function sparseDots(width: number, height: number, density: number, seed: number): TestMask {
  const rand = prng(seed);
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = softValue(rand, rand() < density);
  return { name: `dots ${width}×${height} p=${density}`, width, height, data };
}

/** Random discs and rectangles, some crossing the image border, plus a little noise. */
function blobs(width: number, height: number, seed: number): TestMask {
  const rand = prng(seed);
  const set = new Uint8Array(width * height);
  for (let b = 0; b < 5; b++) {
    const cx = rand() * width;
    const cy = rand() * height;
    const rx = 3 + rand() * width * 0.3;
    const ry = 3 + rand() * height * 0.3;
    const round = rand() < 0.6;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const u = (x - cx) / rx;
        const v = (y - cy) / ry;
        if (round ? u * u + v * v <= 1 : Math.abs(u) <= 1 && Math.abs(v) <= 1) set[y * width + x] = 1;
      }
    }
  }
  // Holes and specks, so erosion sees unset pixels deep inside blobs.
  for (let i = 0; i < set.length; i++) if (rand() < 0.01) set[i] ^= 1;
  const data = new Uint8Array(set.length);
  for (let i = 0; i < set.length; i++) data[i] = softValue(rand, set[i] === 1);
  return { name: `blobs ${width}×${height}`, width, height, data };
}

/** Mask touching all four borders: full edge rows/columns partly, and a blob in a corner. */
function bordersTouched(width: number, height: number, seed: number): TestMask {
  const rand = prng(seed);
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const edge =
        (y === 0 && x < width / 2) || (x === width - 1 && y > height / 3) || (y === height - 1 && x > 5);
      const leftBand = x < 4 && y > 10 && y < height - 10;
      const corner = (x - width) ** 2 + (y - 0) ** 2 <= 15 ** 2;
      data[y * width + x] = softValue(rand, edge || leftBand || corner || rand() < 0.002);
    }
  }
  return { name: `borders ${width}×${height}`, width, height, data };
}

/**
 * Brute-force squared distance from every pixel to the nearest pixel in `set`
 * (Infinity if there is none), over the whole image.
 */
function bruteSquaredDistance(width: number, height: number, isSet: (i: number) => boolean): Float64Array {
  const points: Array<[number, number]> = [];
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) if (isSet(y * width + x)) points.push([x, y]);
  const d2 = new Float64Array(width * height).fill(Infinity);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let best = Infinity;
      for (const [px, py] of points) {
        const d = (px - x) * (px - x) + (py - y) * (py - y);
        if (d < best) best = d;
      }
      d2[y * width + x] = best;
    }
  }
  return d2;
}

interface Reference {
  /** Squared distance to the nearest set pixel (for growing). */
  toSet: Float64Array;
  /** Squared distance to the nearest unset pixel inside the image (for shrinking; outside counts as set). */
  toUnset: Float64Array;
}

function reference(m: TestMask): Reference {
  return {
    toSet: bruteSquaredDistance(m.width, m.height, (i) => m.data[i] >= 128),
    toUnset: bruteSquaredDistance(m.width, m.height, (i) => m.data[i] < 128),
  };
}

/** Grown: some set pixel within r. Shrunk: no unset pixel within r. */
function expected(ref: Reference, radius: number): Uint8Array {
  const r2 = radius * radius;
  const out = new Uint8Array(ref.toSet.length);
  for (let i = 0; i < out.length; i++) {
    out[i] = (radius >= 0 ? ref.toSet[i] <= r2 : ref.toUnset[i] > r2) ? 255 : 0;
  }
  return out;
}

/** First differing pixel as "x,y: got a, want b", or undefined when equal. */
function firstDifference(got: Uint8Array, want: Uint8Array, width: number): string | undefined {
  if (got.length !== want.length) return `length ${got.length} ≠ ${want.length}`;
  for (let i = 0; i < got.length; i++) {
    if (got[i] !== want[i]) return `${i % width},${Math.floor(i / width)}: got ${got[i]}, want ${want[i]}`;
  }
  return undefined;
}

const MASKS: TestMask[] = [
  sparseDots(64, 48, 0.004, 1),
  sparseDots(95, 33, 0.02, 2),
  blobs(96, 80, 3),
  blobs(67, 70, 4),
  bordersTouched(80, 64, 5),
  sparseDots(200, 3, 0.05, 6),
  sparseDots(1, 40, 0.1, 7),
  sparseDots(33, 1, 0.1, 8),
  sparseDots(7, 5, 0.3, 9),
  // Three 64-bit words and a partial one per row: shifts cross word boundaries.
  blobs(230, 24, 10),
];

describe('disc morphology, exact against brute force', () => {
  for (const m of MASKS) {
    const ref = reference(m);
    // Both algorithms at every radius they take; `auto` only picks one of them (tested below).
    for (const method of ['row-bits', 'distance'] as const) {
      const max = method === 'row-bits' ? ROW_BITS_MAX_RADIUS : MAX_RADIUS;
      it(`${m.name}, ${method}: every radius −${max}..${max}`, () => {
        for (let r = -max; r <= max; r++) {
          const got = growShrinkMask(m.data, m.width, m.height, r, { method });
          const diff = firstDifference(got, expected(ref, r), m.width);
          if (diff) throw new Error(`radius ${r}: ${diff}`);
        }
      });
    }
  }

  it('the reference itself agrees with painting discs literally', () => {
    const m = sparseDots(40, 30, 0.03, 11);
    const ref = reference(m);
    for (const r of [1, 2, 3, 5, 8, 13]) {
      const painted = new Uint8Array(m.width * m.height);
      for (let qy = 0; qy < m.height; qy++) {
        for (let qx = 0; qx < m.width; qx++) {
          if (m.data[qy * m.width + qx] < 128) continue;
          for (let y = Math.max(0, qy - r); y <= Math.min(m.height - 1, qy + r); y++) {
            for (let x = Math.max(0, qx - r); x <= Math.min(m.width - 1, qx + r); x++) {
              if ((x - qx) ** 2 + (y - qy) ** 2 <= r * r) painted[y * m.width + x] = 255;
            }
          }
        }
      }
      expect(firstDifference(expected(ref, r), painted, m.width)).toBeUndefined();
    }
  });

  it('reads masks at any byte offset and width (aligned and unaligned fast paths)', () => {
    for (const width of [31, 32, 33, 64, 100]) {
      const base = blobs(width, 20, width);
      const ref = reference(base);
      for (const offset of [0, 1, 2, 4]) {
        const buffer = new Uint8Array(base.data.length + offset);
        buffer.set(base.data, offset);
        const data = buffer.subarray(offset);
        for (const method of METHODS) {
          for (const r of [-9, -3, 3, 9]) {
            const got = growShrinkMask(data, width, 20, r, { method });
            expect(firstDifference(got, expected(ref, r), width)).toBeUndefined();
          }
        }
      }
    }
  });
});

describe('disc morphology, edge cases', () => {
  it.each(METHODS)('an empty mask stays empty (%s)', (method) => {
    const data = new Uint8Array(50 * 30);
    for (const r of radiiFor(method, [1, 4, 20, 63, 100])) {
      expect(dilateDisc(data, 50, 30, r, { method }).every((v) => v === 0)).toBe(true);
      expect(erodeDisc(data, 50, 30, r, { method }).every((v) => v === 0)).toBe(true);
    }
  });

  it.each(METHODS)('a full mask stays full, also when shrunk: the outside counts as set (%s)', (method) => {
    const data = new Uint8Array(50 * 30).fill(255);
    for (const r of radiiFor(method, [1, 4, 20, 63, 100])) {
      expect(dilateDisc(data, 50, 30, r, { method }).every((v) => v === 255)).toBe(true);
      expect(erodeDisc(data, 50, 30, r, { method }).every((v) => v === 255)).toBe(true);
    }
  });

  it.each(METHODS)('1×1 masks (%s)', (method) => {
    for (const r of radiiFor(method, [0, 1, 7, 63, 512])) {
      expect([...growShrinkMask(Uint8Array.of(200), 1, 1, r, { method })]).toEqual([255]);
      expect([...growShrinkMask(Uint8Array.of(200), 1, 1, -r, { method })]).toEqual([255]);
      expect([...growShrinkMask(Uint8Array.of(100), 1, 1, r, { method })]).toEqual([0]);
      expect([...growShrinkMask(Uint8Array.of(100), 1, 1, -r, { method })]).toEqual([0]);
    }
  });

  it('an empty (0×0) mask gives an empty mask', () => {
    expect(growShrinkMask(new Uint8Array(0), 0, 0, 5)).toHaveLength(0);
    expect(growShrinkMask(new Uint8Array(0), 0, 7, -5)).toHaveLength(0);
  });

  it.each(METHODS)('a single pixel grows into the digital disc (%s)', (method) => {
    const size = 41;
    const data = new Uint8Array(size * size);
    data[20 * size + 20] = 255;
    const grown = dilateDisc(data, size, size, 10, { method });
    const want = new Uint8Array(size * size);
    const rows: string[] = [];
    for (let y = 0; y < size; y++) {
      let row = '';
      for (let x = 0; x < size; x++) {
        if ((x - 20) ** 2 + (y - 20) ** 2 <= 100) want[y * size + x] = 255;
        row += grown[y * size + x] ? '#' : '.';
      }
      rows.push(row);
    }
    expect(firstDifference(grown, want, size)).toBeUndefined();
    // The disc's widest row and column are 21 px, and it is not a square.
    expect(rows[20].split('#')).toHaveLength(22);
    expect(rows[10][20]).toBe('#');
    expect(rows[11][13]).toBe('.');
  });

  it('thresholds at 128 and outputs only 0 and 255', () => {
    const data = Uint8Array.of(0, 127, 128, 255, 64, 200);
    expect([...binarizeMask(data)]).toEqual([0, 0, 255, 255, 0, 255]);
    expect([...growShrinkMask(data, 6, 1, 0)]).toEqual([0, 0, 255, 255, 0, 255]);
    for (const method of METHODS) {
      const out = dilateDisc(Uint8Array.of(127, 127, 127, 127, 127, 128), 6, 1, 1, { method });
      expect([...out]).toEqual([0, 0, 0, 0, 255, 255]);
    }
  });

  it('returns a new buffer and leaves the input untouched', () => {
    const m = blobs(40, 30, 12);
    const copy = Uint8Array.from(m.data);
    for (const r of [-20, -3, 0, 3, 20]) {
      const out = growShrinkMask(m.data, m.width, m.height, r);
      expect(out).not.toBe(m.data);
      expect(out.buffer).not.toBe(m.data.buffer);
    }
    expect(m.data).toEqual(copy);
  });

  it('auto switches to the distance path at DISTANCE_PATH_MIN_RADIUS with the same result', () => {
    const m = blobs(90, 70, 13);
    expect(DISTANCE_PATH_MIN_RADIUS).toBe(ROW_BITS_MAX_RADIUS + 1);
    for (const r of [DISTANCE_PATH_MIN_RADIUS - 1, DISTANCE_PATH_MIN_RADIUS]) {
      const auto = dilateDisc(m.data, m.width, m.height, r);
      const other = r < DISTANCE_PATH_MIN_RADIUS ? 'distance' : 'row-bits';
      if (other === 'row-bits') continue;
      expect(
        firstDifference(auto, dilateDisc(m.data, m.width, m.height, r, { method: 'distance' }), 90),
      ).toBeUndefined();
    }
  });

  it('handles radii far beyond the image (up to the node maximum)', () => {
    const m = sparseDots(30, 20, 0.01, 14);
    const ref = reference(m);
    for (const method of METHODS) {
      // 126 is the last radius whose capped distances fit the byte-lane path.
      const radii = method === 'row-bits' ? [-63, -40, 40, 63] : [-512, -127, -100, 100, 126, 127, 512];
      for (const r of radii) {
        expect(
          firstDifference(growShrinkMask(m.data, 30, 20, r, { method }), expected(ref, r), 30),
        ).toBeUndefined();
      }
    }
  });

  it('row-bits refuses radii past its kernel, with the limit in the message', () => {
    const m = sparseDots(30, 20, 0.01, 15);
    expect(() => dilateDisc(m.data, 30, 20, ROW_BITS_MAX_RADIUS + 1, { method: 'row-bits' })).toThrow(
      `up to ${ROW_BITS_MAX_RADIUS}, got ${ROW_BITS_MAX_RADIUS + 1}`,
    );
  });

  it('row-bits streams tall, wide masks through its staging area in bands and equals the distance path', () => {
    // 4100 px rows: 32 rows per 128 KB band, so output rows need input rows of the next band.
    const m = blobs(4100, 150, 16);
    for (const r of [-63, -9, 1, 4, 31, 63]) {
      const bits = growShrinkMask(m.data, m.width, m.height, r, { method: 'row-bits' });
      const dist = growShrinkMask(m.data, m.width, m.height, r, { method: 'distance' });
      const diff = firstDifference(bits, dist, m.width);
      if (diff) throw new Error(`radius ${r}: ${diff}`);
    }
  });

  it('row-bits gives a mask too big for the kept wasm memory an instance of its own, with the same result', () => {
    const m = blobs(300, 200, 17);
    for (const r of [5, -5]) {
      const kept = growShrinkMask(m.data, m.width, m.height, r, { method: 'row-bits' });
      const own = new Uint8Array(m.width * m.height);
      discMorphologyWasm(m.data, m.width, m.height, discHalfWidths(Math.abs(r)), r < 0, own, {
        keepMemoryBytes: 1024,
      });
      expect(firstDifference(own, kept, m.width)).toBeUndefined();
    }
  });

  it('rejects bad arguments', () => {
    expect(() => dilateDisc(new Uint8Array(5), 2, 2, 1)).toThrow(RangeError);
    expect(() => dilateDisc(new Uint8Array(4), 2, 2, 1.5)).toThrow(RangeError);
    expect(() => dilateDisc(new Uint8Array(4), 2, 2, -1)).toThrow(RangeError);
    expect(() => growShrinkMask(new Uint8Array(4), 2, 2, Number.NaN)).toThrow(RangeError);
  });
});

describe('disc helpers', () => {
  it('isqrt is exact around perfect squares', () => {
    const wrong: number[] = [];
    for (let s = 1; s < 20_000; s++) {
      if (isqrt(s * s) !== s || isqrt(s * s - 1) !== s - 1 || isqrt(s * s + 1) !== s) wrong.push(s);
    }
    expect(wrong).toEqual([]);
    expect(isqrt(0)).toBe(0);
  });

  it('discHalfWidths matches the definition', () => {
    for (const r of [1, 4, 17, 64]) {
      const hw = discHalfWidths(r);
      const wrong: number[] = [];
      for (let d = 0; d <= r; d++) {
        if (hw[d] * hw[d] + d * d > r * r || (hw[d] + 1) ** 2 + d * d <= r * r) wrong.push(d);
      }
      expect(wrong).toEqual([]);
    }
  });
});
