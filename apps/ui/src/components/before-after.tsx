import { useEffect, useRef, useState } from 'react';

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

/** The result with a draggable divider: left of it the input, right of it the output; optional change-mask overlay. */
export function BeforeAfter({ before, after, alt }: { before?: string; after: string; alt: string }) {
  const [split, setSplit] = useState(50);
  const [overlay, setOverlay] = useState(false);
  const [maskInfo, setMaskInfo] = useState<string>();
  const canvas = useRef<HTMLCanvasElement>(null);

  useEffect(() => {
    if (!overlay || !before || !canvas.current) return;
    let live = true;
    setMaskInfo('computing…');
    changeMask(before, after, canvas.current)
      .then((frac) => live && setMaskInfo(`${(frac * 100).toFixed(1)}% of the pixels changed`))
      .catch((err: unknown) => live && setMaskInfo(err instanceof Error ? err.message : String(err)));
    return () => {
      live = false;
    };
  }, [overlay, before, after]);

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
        {overlay && before && <canvas ref={canvas} className="mf-ba-mask" />}
        {before && <div className="mf-ba-divider" style={{ left: `${split}%` }} />}
      </div>
      {before ? (
        <div className="mf-ba-controls">
          <input
            type="range"
            min={0}
            max={100}
            value={split}
            aria-label="Before/after divider"
            onChange={(e) => setSplit(Number(e.target.value))}
          />
          <label className="mf-check">
            <input type="checkbox" checked={overlay} onChange={(e) => setOverlay(e.target.checked)} /> mask
            overlay
          </label>
          {overlay && maskInfo && <span className="mf-muted">{maskInfo}</span>}
        </div>
      ) : (
        <div className="mf-muted">
          No input image found upstream of this output, so there is no before/after view.
        </div>
      )}
    </div>
  );
}
