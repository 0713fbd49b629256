import { useEffect, useRef, useState } from 'react';
import type { MaskFeed } from '../graph/mask-feeding';

function loadImage(src: string): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.decoding = 'async';
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error(`cannot load ${src}`));
    img.src = src;
  });
}

/** Longest side the change mask is computed at (enough for an overlay, cheap on big images). */
const MASK_MAX_SIDE = 1024;

/**
 * Paints, over `after`, the pixels where it differs from `before`: the area
 * the run actually edited (an inpainting run leaves every other pixel as it
 * was, so this is the effective mask).
 */
export async function changeMask(
  beforeSrc: string,
  afterSrc: string,
  canvas: HTMLCanvasElement,
  tint: [number, number, number] = [255, 40, 80],
): Promise<number> {
  const [before, after] = await Promise.all([loadImage(beforeSrc), loadImage(afterSrc)]);
  const scale = Math.min(1, MASK_MAX_SIDE / Math.max(after.naturalWidth, after.naturalHeight));
  const w = Math.max(1, Math.round(after.naturalWidth * scale));
  const h = Math.max(1, Math.round(after.naturalHeight * scale));
  const read = (img: HTMLImageElement) => {
    const c = document.createElement('canvas');
    c.width = w;
    c.height = h;
    const ctx = c.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error('no 2D canvas');
    ctx.drawImage(img, 0, 0, w, h);
    return ctx.getImageData(0, 0, w, h).data;
  };
  const a = read(before);
  const b = read(after);
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas');
  const out = ctx.createImageData(w, h);
  let changed = 0;
  for (let i = 0; i < a.length; i += 4) {
    const d = Math.max(Math.abs(a[i] - b[i]), Math.abs(a[i + 1] - b[i + 1]), Math.abs(a[i + 2] - b[i + 2]));
    if (d > 6) {
      out.data[i] = tint[0];
      out.data[i + 1] = tint[1];
      out.data[i + 2] = tint[2];
      out.data[i + 3] = 255;
      changed++;
    }
  }
  ctx.putImageData(out, 0, 0);
  return changed / (w * h);
}

/**
 * Tints a grayscale mask: each pixel's grey level (white = masked) becomes the
 * alpha of `tint`, so a feathered edge is partly tinted and black not at all.
 * Writes RGBA into `out` (same length as `gray`) and returns the masked share
 * of the area (grey levels counted in part).
 */
export function tintMask(
  gray: Uint8ClampedArray,
  out: Uint8ClampedArray,
  tint: readonly [number, number, number] = [255, 40, 80],
): number {
  let sum = 0;
  for (let i = 0; i < gray.length; i += 4) {
    // Grayscale PNGs decode to r = g = b; the mean also reads a coloured mask sensibly. Its own alpha scales it.
    const level = Math.round((((gray[i] + gray[i + 1] + gray[i + 2]) / 3) * gray[i + 3]) / 255);
    out[i] = tint[0];
    out[i + 1] = tint[1];
    out[i + 2] = tint[2];
    out[i + 3] = level;
    sum += level;
  }
  return gray.length ? sum / 255 / (gray.length / 4) : 0;
}

/**
 * Paints the mask at `maskSrc` tinted into `canvas`, at the mask's own size:
 * the canvas is stretched over the result, which scales the mask to the image
 * (the mask has the size of the image the node received). Returns the masked
 * share of the area.
 */
export async function paintMask(maskSrc: string, canvas: HTMLCanvasElement): Promise<number> {
  const mask = await loadImage(maskSrc);
  const w = Math.max(1, mask.naturalWidth);
  const h = Math.max(1, mask.naturalHeight);
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('no 2D canvas');
  ctx.drawImage(mask, 0, 0, w, h);
  const gray = ctx.getImageData(0, 0, w, h).data;
  const out = ctx.createImageData(w, h);
  const share = tintMask(gray, out.data);
  ctx.putImageData(out, 0, 0);
  return share;
}

/** A mask to paint over the result instead of the difference: the preview of the mask a node upstream was fed. */
export interface OverlayMask extends MaskFeed {
  /** The mask's preview (a grayscale PNG data URL, white = masked). */
  url: string;
}

const pct = (frac: number) => `${(frac * 100).toFixed(1)}%`;

/**
 * The result with a draggable divider: left of it the input, right of it the
 * output; optional mask overlay. With `mask`, the overlay is that mask (what
 * the run was told to edit); without it, the pixels where the result differs
 * from the input (what it did edit: an inpainting run leaves every other
 * pixel as it was).
 */
export function BeforeAfter({
  before,
  after,
  alt,
  mask,
}: {
  before?: string;
  after: string;
  alt: string;
  mask?: OverlayMask;
}) {
  const [split, setSplit] = useState(50);
  const [overlay, setOverlay] = useState(false);
  const [maskInfo, setMaskInfo] = useState<string>();
  const canvas = useRef<HTMLCanvasElement>(null);
  const maskUrl = mask?.url;

  useEffect(() => {
    if (!overlay || !(maskUrl || before) || !canvas.current) return;
    let live = true;
    setMaskInfo('computing…');
    const done = maskUrl
      ? paintMask(maskUrl, canvas.current).then((frac) => `${pct(frac)} of the image`)
      : changeMask(before!, after, canvas.current).then((frac) => `${pct(frac)} of the pixels changed`);
    done
      .then((info) => live && setMaskInfo(info))
      .catch((err: unknown) => live && setMaskInfo(err instanceof Error ? err.message : String(err)));
    return () => {
      live = false;
    };
  }, [overlay, before, after, maskUrl]);

  return (
    <div className="mf-ba">
      <div className="mf-ba-stage" data-testid="before-after">
        <img className="mf-ba-img" src={after} alt={`${alt} (after)`} draggable={false} />
        {before && (
          <img
            className="mf-ba-img mf-ba-before"
            src={before}
            alt={`${alt} (before)`}
            style={{ clipPath: `inset(0 ${100 - split}% 0 0)` }}
            draggable={false}
          />
        )}
        {overlay && (mask || before) && (
          <canvas
            ref={canvas}
            className="mf-ba-mask"
            data-testid="mask-overlay"
            data-mask={mask ? 'fed' : 'difference'}
          />
        )}
        {before && <div className="mf-ba-divider" style={{ left: `${split}%` }} />}
      </div>
      {(before || mask) && (
        <div className="mf-ba-controls">
          {before && (
            <input
              type="range"
              min={0}
              max={100}
              value={split}
              aria-label="Before/after divider"
              onChange={(e) => setSplit(Number(e.target.value))}
            />
          )}
          <label className="mf-check">
            <input type="checkbox" checked={overlay} onChange={(e) => setOverlay(e.target.checked)} /> mask
            overlay
          </label>
          {overlay && (mask || maskInfo) && (
            <span
              className="mf-muted"
              data-testid="mask-caption"
              title={
                mask
                  ? `The mask ${mask.source}.${mask.handle} fed to ${mask.consumer}'s ${mask.input} input, tinted where it is white`
                  : 'The pixels where the result differs from the input image'
              }
            >
              {mask ? `mask: ${mask.source}.${mask.handle} → ${mask.consumer}` : ''}
              {mask && maskInfo ? ' · ' : ''}
              {maskInfo}
            </span>
          )}
        </div>
      )}
      {!before && (
        <div className="mf-muted">
          No input image found upstream of this output, so there is no before/after view.
        </div>
      )}
    </div>
  );
}
