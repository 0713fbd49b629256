import {
  blurMask,
  blurSigmaForRadius,
  BOX_BLUR_MIN_RADIUS,
  blurKernelFor,
  boxPassesFor,
  extendedBoxFor,
  gaussianKernel,
} from './blur';
import { blurWasm } from './blur-wasm';

const RADII = [1, 2, 3, 4, 5, 8, 13, 16, 24, 32, 64, 100, 256];

/** Row-major 0/255 mask from a predicate. */
function paint(width: number, height: number, inside: (x: number, y: number) => boolean): Uint8Array {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) if (inside(x, y)) data[y * width + x] = 255;
  return data;
}

/** Sampled Gaussian (5 sigma, replicated borders) in floating point: the blur we approximate. */
function referenceBlur(src: Uint8Array, width: number, height: number, sigma: number): Float64Array {
  const k = Math.ceil(5 * sigma);
  const taps = gaussianKernel(sigma, k);
  const clamp = (v: number, max: number) => (v < 0 ? 0 : v > max ? max : v);
  const tmp = new Float64Array(width * height);
  const out = new Float64Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let a = 0;
      for (let j = -k; j <= k; j++) a += taps[j + k] * src[y * width + clamp(x + j, width - 1)];
      tmp[y * width + x] = a;
    }
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let a = 0;
      for (let j = -k; j <= k; j++) a += taps[j + k] * tmp[clamp(y + j, height - 1) * width + x];
      out[y * width + x] = a;
    }
  }
  return out;
}

/**
 * blurMask in plain JS without skipping anything: every row, then every
 * column of the border-replicated mask, with the same arithmetic (8.8 fixed
 * point between passes, floor((sum + alpha·(before + entering))·norm + ½)).
 * The wasm kernels must give these bytes exactly.
 */
function wholeImageBlur(src: Uint8Array, width: number, height: number, radius: number): Uint8Array {
  const out = new Uint8Array(width * height);
  const clamp = (v: number, max: number) => (v < 0 ? 0 : v > max ? max : v);
  const rows = new Float64Array(width * height);
  if (radius < BOX_BLUR_MIN_RADIUS) {
    const sigma = blurSigmaForRadius(radius);
    const taps = gaussianKernel(sigma, Math.ceil(3 * sigma));
    const k = (taps.length - 1) / 2;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let acc = 0;
        for (let j = 0; j < taps.length; j++)
          acc += taps[j] * (src[y * width + clamp(x + j - k, width - 1)] * 256);
        rows[y * width + x] = (acc + 0.5) | 0;
      }
    }
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let acc = 0;
        for (let j = 0; j < taps.length; j++) acc += taps[j] * rows[clamp(y + j - k, height - 1) * width + x];
        out[y * width + x] = (acc * (1 / 256) + 0.5) | 0;
      }
    }
    return out;
  }
  const { l, alpha, norm, normFinal } = boxPassesFor(radius);
  const pad = l + 1;
  const reach = 3 * pad;
  // The three boxes along a line extended by `reach` each side; the middle of the result is the blurred line.
  const boxes = (line: Float64Array, last: boolean): Float64Array => {
    let cur = line;
    for (let p = 1; p <= 3; p++) {
      const next = new Float64Array(cur.length);
      const n = p === 3 && last ? normFinal : norm;
      let sum = 0;
      for (let j = p * pad - l; j <= p * pad + l; j++) sum += cur[j];
      for (let i = p * pad; i < cur.length - p * pad; i++) {
        next[i] = ((sum + alpha * (cur[i - pad] + cur[i + pad])) * n + 0.5) | 0;
        sum += cur[i + pad] - cur[i - l];
      }
      cur = next;
    }
    return cur;
  };
  const line = new Float64Array(width + 2 * reach);
  for (let y = 0; y < height; y++) {
    for (let i = 0; i < line.length; i++) line[i] = src[y * width + clamp(i - reach, width - 1)] * 256;
    rows.set(boxes(line, false).subarray(reach, reach + width), y * width);
  }
  const column = new Float64Array(height + 2 * reach);
  for (let x = 0; x < width; x++) {
    for (let i = 0; i < column.length; i++) column[i] = rows[clamp(i - reach, height - 1) * width + x];
    const blurred = boxes(column, true);
    for (let y = 0; y < height; y++) out[y * width + x] = blurred[reach + y];
  }
  return out;
}

/** Deterministic test masks: blobs (binary or soft), dots, noise. */
function randomMask(width: number, height: number, seed: number): Uint8Array {
  const rand = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 4294967296;
  };
  const data = new Uint8Array(width * height);
  const soft = rand() < 0.5;
  for (let b = 1 + Math.floor(rand() * 6); b > 0; b--) {
    const cx = rand() * width;
    const cy = rand() * height;
    const rx = 1 + (rand() * width) / 3;
    const ry = 1 + (rand() * height) / 3;
    const v = soft ? Math.floor(rand() * 256) : 255;
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++)
        if (((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1) data[y * width + x] = v;
  }
  for (let i = rand() * width * height * 0.01; i > 0; i--) data[Math.floor(rand() * data.length)] = 255;
  if (soft) for (let i = 0; i < 50; i++) data[Math.floor(rand() * data.length)] = Math.floor(rand() * 256);
  return data;
}

/**
 * The 8.8 values v that the row pass leaves changed when constant (a middle
 * box: any v; the taps: v = value << 8), or that the column pass's last step
 * does not round to the nearest byte (half way values, 256c + 128, aside:
 * there the kernel uses the blur's own result).
 */
function constantsChangedByBlur(radius: number): string[] {
  const kernel = blurKernelFor(radius);
  const wrong: string[] = [];
  for (let v = 0; v <= 255 * 256; v++) {
    let middle: number;
    let last: number;
    if ('boxes' in kernel) {
      const { l, alpha, norm, normFinal } = kernel.boxes;
      const sum = (2 * l + 1) * v;
      middle = ((sum + alpha * (v + v)) * norm + 0.5) | 0;
      last = ((sum + alpha * (v + v)) * normFinal + 0.5) | 0;
    } else {
      let acc = 0;
      for (const t of kernel.taps) acc += t * v;
      middle = (v & 255) === 0 ? (acc + 0.5) | 0 : v;
      last = (acc * (1 / 256) + 0.5) | 0;
    }
    if (middle !== v || ((v & 255) !== 128 && last !== (v + 128) >> 8)) {
      wrong.push(`radius ${radius}, v ${v}: ${middle}, ${last}`);
    }
  }
  return wrong;
}

function firstDifference(a: Uint8Array, b: Uint8Array, width: number): string | undefined {
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return `at ${i % width},${Math.floor(i / width)}: ${a[i]} vs ${b[i]}`;
  }
  return undefined;
}

function maxAbsDiff(a: Uint8Array, b: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('blurMask', () => {
  it('radius 0 is the identity (a copy)', () => {
    const data = Uint8Array.from({ length: 12 * 7 }, (_, i) => (i * 37) & 255);
    const out = blurMask(data, 12, 7, 0);
    expect(out).toEqual(data);
    expect(out).not.toBe(data);
  });

  it('uses sigma = radius / 3', () => {
    expect(blurSigmaForRadius(9)).toBe(3);
    for (const r of [3, 8, 64, 256]) {
      const { l, alpha } = extendedBoxFor(blurSigmaForRadius(r));
      // Variance of one extended box, three of them add up to sigma².
      const variance = ((l * (l + 1) * (2 * l + 1)) / 3 + 2 * alpha * (l + 1) ** 2) / (2 * l + 1 + 2 * alpha);
      expect(3 * variance).toBeCloseTo((r / 3) ** 2, 9);
      expect(alpha).toBeGreaterThanOrEqual(0);
      expect(alpha).toBeLessThanOrEqual(1);
    }
  });

  it('is mirror symmetric, exactly', () => {
    // Odd sizes, so the mirror maps the centre pixel onto itself.
    const w = 61;
    const h = 45;
    const data = paint(w, h, (x, y) => {
      const dx = x - 30;
      const dy = y - 22;
      return (dx * dx) / 400 + (dy * dy) / 100 <= 1 || (Math.abs(dx) === 27 && Math.abs(dy) === 17);
    });
    for (const r of RADII) {
      const out = blurMask(data, w, h, r);
      const asymmetric: string[] = [];
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const v = out[y * w + x];
          if (v !== out[y * w + (w - 1 - x)] || v !== out[(h - 1 - y) * w + x]) asymmetric.push(`${x},${y}`);
        }
      }
      expect({ r, asymmetric }).toEqual({ r, asymmetric: [] });
    }
  });

  it('keeps 0 far outside and 255 deep inside', () => {
    const size = 301;
    const radius = 90;
    const data = paint(size, size, (x, y) => (x - 150) ** 2 + (y - 150) ** 2 <= radius * radius);
    for (const r of RADII.filter((r) => r <= 64)) {
      const out = blurMask(data, size, size, r);
      const wrong: string[] = [];
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const fromEdge = Math.hypot(x - 150, y - 150) - radius;
          const v = out[y * size + x];
          // The feather reaches the radius (and never more than 1.15 r + 1 px).
          if (fromEdge > 1.15 * r + 1 && v !== 0) wrong.push(`${x},${y}=${v}`);
          if (fromEdge < -(1.15 * r + 1) && v !== 255) wrong.push(`${x},${y}=${v}`);
        }
      }
      expect({ r, wrong: wrong.slice(0, 5) }).toEqual({ r, wrong: [] });
    }
  });

  it('keeps constant masks constant, also at the borders', () => {
    for (const value of [0, 1, 77, 128, 254, 255]) {
      const data = new Uint8Array(40 * 23).fill(value);
      for (const r of RADII) {
        const out = blurMask(data, 40, 23, r);
        expect({ value, r, ok: out.every((v) => v === value) }).toEqual({ value, r, ok: true });
      }
    }
  });

  it('makes a monotone edge, half way at the edge', () => {
    const w = 300;
    const h = 9;
    // Selected from x = 150 on; the edge lies between pixels 149 and 150.
    const data = paint(w, h, (x) => x >= 150);
    for (const r of RADII.filter((r) => r <= 100)) {
      const out = blurMask(data, w, h, r);
      const wrong: string[] = [];
      for (let y = 0; y < h; y++) {
        const row = out.subarray(y * w, (y + 1) * w);
        for (let x = 1; x < w; x++) if (row[x] < row[x - 1]) wrong.push(`falls at ${x},${y}`);
        // Symmetric around the edge: v(149 − d) + v(150 + d) = 255 (±1 for rounding).
        for (let d = 0; d < 100; d++)
          if (Math.abs(row[149 - d] + row[150 + d] - 255) > 1) wrong.push(`asymmetric at ${d},${y}`);
      }
      expect({ r, wrong }).toEqual({ r, wrong: [] });
      expect(out[4 * w]).toBe(0);
      expect(out[4 * w + w - 1]).toBe(255);
    }
  });

  it('is close to a true Gaussian of sigma = radius / 3', () => {
    const w = 160;
    const h = 120;
    // An edge, a corner, a thin line and lone dots: the hard cases for box filters.
    const data = paint(
      w,
      h,
      (x, y) =>
        (x > 40 && x < 120 && y > 30 && y < 90) || x === 20 || (x % 37 === 5 && y % 29 === 7) || x + y < 20,
    );
    for (const r of [1, 2, 3, 4, 8, 16, 32]) {
      const err = maxAbsDiff(blurMask(data, w, h, r), referenceBlur(data, w, h, r / 3));
      // Radii below BOX_BLUR_MIN_RADIUS are the Gaussian itself (only rounding);
      // the boxes' kernel is close to it, worst at corners and thin lines.
      const bound = r < BOX_BLUR_MIN_RADIUS ? 0.51 : 5;
      expect({ r, err, withinBound: err <= bound }).toEqual({ r, err, withinBound: true });
    }
    // Along a straight edge (what a feather mostly is) the boxes are within 3 levels.
    const edge = paint(400, 5, (x) => x >= 200);
    for (const r of [3, 5, 8, 16, 32, 64, 100]) {
      expect(maxAbsDiff(blurMask(edge, 400, 5, r), referenceBlur(edge, 400, 5, r / 3))).toBeLessThanOrEqual(
        3,
      );
    }
  });

  it('blurs only near changes, with the same result wherever the mask sits', () => {
    // Random dots, blobs and a soft (noisy) patch, placed at two offsets in a flat
    // canvas: the row segments and 16-column blocks that get blurred fall
    // differently, the result must not.
    let seed = 7;
    const rand = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 4294967296;
    };
    const w = 75;
    const h = 53;
    const shape = paint(
      w,
      h,
      (x, y) => rand() < 0.01 || (x - 30) ** 2 + (y - 20) ** 2 < 120 || (x > 50 && y > 35),
    );
    for (let y = 40; y < 50; y++) for (let x = 5; x < 20; x++) shape[y * w + x] = Math.floor(rand() * 256);
    for (const r of [3, 4, 7, 12, 20]) {
      const margin = 3 * r + 10;
      const place = (dx: number, dy: number) => {
        const cw = w + 2 * margin + 16;
        const ch = h + 2 * margin + 16;
        const canvas = new Uint8Array(cw * ch);
        for (let y = 0; y < h; y++) canvas.set(shape.subarray(y * w, (y + 1) * w), (y + dy) * cw + dx);
        return { out: blurMask(canvas, cw, ch, r), cw };
      };
      const a = place(margin, margin);
      const b = place(margin + 5, margin + 11);
      const differ: string[] = [];
      for (let y = -margin + 1; y < h + margin - 1; y++) {
        for (let x = -margin + 1; x < w + margin - 1; x++) {
          const va = a.out[(y + margin) * a.cw + x + margin];
          const vb = b.out[(y + margin + 11) * b.cw + x + margin + 5];
          if (va !== vb) differ.push(`${x},${y}`);
        }
      }
      expect({ r, differ: differ.slice(0, 5) }).toEqual({ r, differ: [] });
      const err = maxAbsDiff(blurMask(shape, w, h, r), referenceBlur(shape, w, h, r / 3));
      expect({ r, err, withinBound: err <= 6 }).toEqual({ r, err, withinBound: true });
    }
  });

  it('handles tiny and non-square masks', () => {
    for (const r of [1, 5, 256]) {
      expect([...blurMask(Uint8Array.of(200), 1, 1, r)]).toEqual([200]);
      expect(blurMask(new Uint8Array(0), 0, 0, r)).toHaveLength(0);
      const column = blurMask(
        paint(1, 50, (_, y) => y >= 25),
        1,
        50,
        r,
      );
      const row = blurMask(
        paint(50, 1, (x) => x >= 25),
        50,
        1,
        r,
      );
      // A column blurs like the same row turned, and both keep the edge's half-way symmetry.
      expect(column).toEqual(row);
      for (let d = 0; d < 25; d++) expect(Math.abs(row[24 - d] + row[25 + d] - 255)).toBeLessThanOrEqual(1);
      if (r < 20) expect([row[0], row[49]]).toEqual([0, 255]);
    }
  });

  it('equals blurring every row and column in plain JS, byte for byte', () => {
    // Widths around the kernels' 16-column blocks, 1-pixel lines, radii of both paths (also fractional).
    const sizes = [
      [1, 1],
      [1, 37],
      [40, 1],
      [15, 9],
      [16, 16],
      [17, 33],
      [33, 17],
      [64, 50],
      [97, 71],
      [130, 40],
    ];
    const radii = [0.4, 1, 1.5, 2, 2.5, 3, 3.5, 4, 5, 7, 8.25, 13, 16, 24, 40];
    let seed = 1;
    for (const [w, h] of sizes) {
      for (const r of radii) {
        const data = randomMask(w, h, seed++);
        const diff = firstDifference(blurMask(data, w, h, r), wholeImageBlur(data, w, h, r), w);
        expect({ w, h, r, diff }).toEqual({ w, h, r, diff: undefined });
      }
    }
    // Stripes with a dot: values exactly half way in flat, skipped columns (see below).
    const stripes = Uint8Array.from({ length: 300 * 120 }, (_, i) => [255, 100][(i % 300) % 2]);
    stripes[60 * 300 + 24] = 17;
    for (const r of [1, 2, 14, 28]) {
      const diff = firstDifference(blurMask(stripes, 300, 120, r), wholeImageBlur(stripes, 300, 120, r), 300);
      expect({ r, diff }).toEqual({ r, diff: undefined });
    }
  });

  it('moves only pixels within the reach of a change', () => {
    // Columns alternating 255/100 (or 255/100/0), the same in every row: the
    // row pass leaves 8.8 values exactly half way between two levels in
    // columns 20 and 292, which the last box rounds down. Far from the dot
    // their blocks are not blurred, yet must come out the same as near it
    // (the JS version rounded them up there, down in blocks it blurred).
    const w = 300;
    const h = 120;
    for (const [period, r, dotX] of [
      [2, 28, 24],
      [3, 14, 288],
    ]) {
      const reach = 3 * (extendedBoxFor(blurSigmaForRadius(r)).l + 1);
      const stripes = new Uint8Array(w * h);
      for (let i = 0; i < stripes.length; i++) stripes[i] = [255, 100, 0][(i % w) % period];
      const dotted = stripes.slice();
      dotted[60 * w + dotX] = 17;
      const a = blurMask(stripes, w, h, r);
      const b = blurMask(dotted, w, h, r);
      const moved: string[] = [];
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const far = Math.abs(x - dotX) > reach || Math.abs(y - 60) > reach;
          if (far && a[y * w + x] !== b[y * w + x]) moved.push(`${x},${y}`);
        }
      }
      expect({ r, moved: moved.slice(0, 5) }).toEqual({ r, moved: [] });
    }
  });

  it('leaves a constant constant, which is what skipping flat parts relies on', () => {
    // Every 8.8 value through the row pass and the column pass (into bytes), for every radius a node
    // offers, and fractional ones below BOX_BLUR_MIN_RADIUS (taps).
    const radii = Array.from({ length: 59 }, (_, i) => (i + 1) / 20);
    for (let r = BOX_BLUR_MIN_RADIUS; r <= 256; r++) radii.push(r);
    const wrong = radii.flatMap((r) => constantsChangedByBlur(r));
    expect(wrong.slice(0, 5)).toEqual([]);
  });

  it('leaves the input untouched', () => {
    const data = paint(30, 20, (x, y) => x > y);
    const copy = Uint8Array.from(data);
    blurMask(data, 30, 20, 7);
    expect(data).toEqual(copy);
  });

  it('rejects bad arguments', () => {
    expect(() => blurMask(new Uint8Array(5), 2, 2, 1)).toThrow(RangeError);
    expect(() => blurMask(new Uint8Array(4), 2, 2, -1)).toThrow(RangeError);
    expect(() => blurMask(new Uint8Array(4), 2, 2, Number.NaN)).toThrow(RangeError);
  });
});

describe('blur kernel (wasm)', () => {
  it('streams the mask in bands of any height with the same result', () => {
    // Bands shorter than the blur's reach make a blurred row range span several bands.
    const w = 83;
    const h = 61;
    const data = randomMask(w, h, 99);
    for (const r of [1, 2.5, 3, 6, 16]) {
      const whole = blurMask(data, w, h, r);
      for (const bandRows of [1, 2, 5, 8, 13]) {
        const out = new Uint8Array(w * h);
        blurWasm(data, w, h, blurKernelFor(r), out, { bandRows });
        expect({ r, bandRows, diff: firstDifference(out, whole, w) }).toEqual({
          r,
          bandRows,
          diff: undefined,
        });
      }
    }
  });

  it('gives a mask too big for the kept wasm memory an instance of its own, with the same result', () => {
    const w = 300;
    const h = 200;
    const data = randomMask(w, h, 5);
    for (const r of [2, 9]) {
      const own = new Uint8Array(w * h);
      blurWasm(data, w, h, blurKernelFor(r), own, { keepMemoryBytes: 1024 });
      expect(firstDifference(own, blurMask(data, w, h, r), w)).toBeUndefined();
    }
  });

  it('rejects taps it cannot run', () => {
    const out = new Uint8Array(4);
    expect(() => blurWasm(new Uint8Array(4), 2, 2, { taps: new Float64Array(9) }, out)).toThrow(RangeError);
    expect(() => blurWasm(new Uint8Array(4), 2, 2, { taps: new Float64Array(4) }, out)).toThrow(RangeError);
  });
});
