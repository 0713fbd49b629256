import { groundingDinoConfigFiles } from '../../../../test/fixtures/tiny-models/grounding-dino.fixture';
import {
  detrResizedSize,
  groundingDinoInputSize,
  groundingDinoPixelValues,
  parsePreprocessorConfig,
} from './grounding-dino.preprocess';

describe('detrResizedSize (transformers get_size_with_aspect_ratio)', () => {
  it.each([
    // [w, h] → [w, h] with shortest_edge 800, longest_edge 1333
    [
      [640, 480],
      [1066, 800],
    ],
    [
      [1800, 1200],
      [1200, 800],
    ],
    [
      [480, 640],
      [800, 1066],
    ],
    [
      [800, 600],
      [1066, 800],
    ],
    [
      [1066, 800],
      [1066, 800],
    ], // short side already 800: unchanged
    [
      [3000, 500],
      [1333, 222],
    ], // long side capped: raw short side 222.17 → 222, long side int(222.17 · 6) = 1333
    [
      [500, 3000],
      [222, 1333],
    ],
  ])('%j → %j', ([w, h], [ew, eh]) => {
    expect(detrResizedSize({ width: w, height: h }, 800, 1333)).toEqual({ width: ew, height: eh });
  });

  it('rounds the capped short side like Python (half to even)', () => {
    // raw = 1333 · 250 / 1333 = 250 exactly; and 96·? cases with .5: longest 100, 3:1 → raw 33.33 → 33
    expect(detrResizedSize({ width: 1333, height: 250 }, 800, 1333)).toEqual({ width: 1333, height: 250 });
    // raw = 105 · 1 / 2 = 52.5 → 52 (banker's rounding), long side int(52.5 · 2) = 105
    expect(detrResizedSize({ width: 2, height: 1 }, 80, 105)).toEqual({ width: 105, height: 52 });
  });

  it('follows the tiny fixture config (shortest 64, longest 96)', () => {
    expect(detrResizedSize({ width: 120, height: 80 }, 64, 96)).toEqual({ width: 96, height: 64 });
    expect(detrResizedSize({ width: 300, height: 100 }, 64, 96)).toEqual({ width: 96, height: 32 });
  });
});

describe('parsePreprocessorConfig', () => {
  it('reads the DETR rule and the ImageNet normalization', () => {
    const cfg = parsePreprocessorConfig(
      JSON.parse(groundingDinoConfigFiles({ vocabSize: 10 })['preprocessor_config.json']),
    );
    expect(cfg.resize).toEqual({ kind: 'shortest-edge', shortestEdge: 64, longestEdge: 96 });
    expect(cfg.mean).toEqual([0.485, 0.456, 0.406]);
    expect(cfg.std).toEqual([0.229, 0.224, 0.225]);
    expect(cfg.rescaleFactor).toBeCloseTo(1 / 255, 12);
  });

  it('reads a plain {height, width} stretch, and a static graph size wins over both', () => {
    const cfg = parsePreprocessorConfig(
      JSON.parse(
        groundingDinoConfigFiles({ vocabSize: 10, staticSize: { height: 64, width: 64 } })[
          'preprocessor_config.json'
        ],
      ),
    );
    expect(cfg.resize).toEqual({ kind: 'fixed', height: 64, width: 64 });
    expect(groundingDinoInputSize({ width: 300, height: 100 }, cfg)).toEqual({ width: 64, height: 64 });
    const detr = parsePreprocessorConfig({ size: { shortest_edge: 800, longest_edge: 1333 } });
    expect(groundingDinoInputSize({ width: 640, height: 480 }, detr)).toEqual({ width: 1066, height: 800 });
    expect(groundingDinoInputSize({ width: 640, height: 480 }, detr, { width: 800, height: 800 })).toEqual({
      width: 800,
      height: 800,
    });
  });

  it('accepts the legacy {size: 800, max_size: 1333} form', () => {
    expect(parsePreprocessorConfig({ size: 800, max_size: 1333 }).resize).toEqual({
      kind: 'shortest-edge',
      shortestEdge: 800,
      longestEdge: 1333,
    });
  });
});

describe('groundingDinoPixelValues', () => {
  it('is RGB / 255, normalized, NCHW (alpha ignored)', async () => {
    const cfg = parsePreprocessorConfig({ size: { height: 2, width: 2 } });
    const rgba = new Uint8Array(4 * 4);
    for (let i = 0; i < 4; i++) rgba.set([255, 0, 51, 7], i * 4);
    const px = await groundingDinoPixelValues(
      { width: 2, height: 2, channels: 4, data: rgba },
      { width: 2, height: 2 },
      cfg,
    );
    expect(px).toHaveLength(12);
    const expected = [(1 - 0.485) / 0.229, (0 - 0.456) / 0.224, (0.2 - 0.406) / 0.225];
    for (let c = 0; c < 3; c++) for (let i = 0; i < 4; i++) expect(px[c * 4 + i]).toBeCloseTo(expected[c], 5);
  });
});
