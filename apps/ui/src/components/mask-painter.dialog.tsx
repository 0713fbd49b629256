import type { KeyboardEvent, PointerEvent, SyntheticEvent } from 'react';
import { useEffect, useReducer, useRef, useState } from 'react';
import { createPortal } from 'react-dom';
import type { ArtifactRecord } from '@maskflow/workflow';
import { api } from '../api/api.client';
import { errorMessage } from '../api/run-channel';
import { MaskHistory } from '../graph/mask-history';
import type { MaskBuffer, PixelRect } from '../graph/mask-paint';
import {
  defaultBrush,
  invertMask,
  KEPT,
  MASKED,
  maskFromAlpha,
  maxBrush,
  paintSegment,
  stepBrush,
  unionRect,
  wholeRect,
  writeGray,
  writeOpaque,
  writeTint,
} from '../graph/mask-paint';
import type { Pt, Size } from '../graph/region-geometry';
import { containRect, toImage } from '../graph/region-geometry';

interface Props {
  /** The uploaded image to paint on. */
  artifactId: string;
  /** The new upload (the image with the mask as its alpha) was made. */
  onSaved(rec: ArtifactRecord): void;
  onClose(): void;
}

function context2d(canvas: HTMLCanvasElement): CanvasRenderingContext2D {
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('this browser cannot paint here (no 2D canvas)');
  return ctx;
}

/** RGBA pixels, not premultiplied. */
interface RgbaPixels {
  width: number;
  height: number;
  rgba: Uint8ClampedArray;
}

/** An image file decoded by the browser: alpha exact, but no colour where alpha is 0 (a canvas premultiplies). */
async function decode(bytes: Uint8Array): Promise<RgbaPixels> {
  const bitmap = await createImageBitmap(new Blob([bytes as BlobPart]));
  const { width, height } = bitmap;
  const c = document.createElement('canvas');
  c.width = width;
  c.height = height;
  const ctx = context2d(c);
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  return { width, height, rgba: ctx.getImageData(0, 0, width, height).data };
}

/**
 * The image's pixels with exact alpha and colour. Where a painted mask made
 * the picture transparent, a canvas would give black, so the colour comes
 * from the server's copy without alpha (`GET /api/artifacts/:id/rgb`, as
 * ComfyUI's mask editor asks for `channel=rgb`) and the alpha from the file.
 */
async function loadPixels(id: string, signal: AbortSignal): Promise<RgbaPixels> {
  const [file, colour] = await Promise.all([api.artifactBytes(id, signal), api.artifactRgbBytes(id, signal)]);
  const [alpha, px] = await Promise.all([decode(file), decode(colour)]);
  if (alpha.width !== px.width || alpha.height !== px.height)
    throw new Error(
      `the image is ${alpha.width}×${alpha.height} but its colour copy ${px.width}×${px.height}`,
    );
  for (let i = 3; i < px.rgba.length; i += 4) px.rgba[i] = alpha.rgba[i];
  return px;
}

/** The mask as an opaque grey PNG of the image's size (white = masked), what the server takes. */
async function maskPng(mask: MaskBuffer): Promise<Blob> {
  const c = document.createElement('canvas');
  c.width = mask.width;
  c.height = mask.height;
  const ctx = context2d(c);
  const px = ctx.createImageData(mask.width, mask.height);
  writeGray(mask, px.data);
  ctx.putImageData(px, 0, 0);
  const blob = await new Promise<Blob | null>((resolve) => c.toBlob(resolve, 'image/png'));
  if (!blob) throw new Error('the mask could not be encoded as PNG');
  return blob;
}

/** Draws `rect` of the mask on the overlay canvas: only that part, so strokes on a large picture stay fast. */
function showMask(
  canvas: HTMLCanvasElement | null,
  mask: MaskBuffer | null,
  pixels: ImageData | null,
  rect: PixelRect,
): void {
  if (!canvas || !mask || !pixels) return;
  writeTint(mask, rect, pixels.data);
  context2d(canvas).putImageData(pixels, 0, 0, rect.x, rect.y, rect.width, rect.height);
}

interface Stroke {
  pointerId: number;
  last: Pt;
  /** MASKED paints, KEPT erases. */
  value: number;
  /** The whole mask when the stroke began, for its undo step. */
  before: Uint8Array;
  /** Where it has painted so far. */
  rect?: PixelRect;
}

/**
 * React passes events from a portal up to its React parents, wherever the
 * DOM is: the node (a click selects it, focus pans the canvas to it, keys
 * move it), the image widget (a drop uploads) and the editor's shortcuts
 * (Ctrl+Z, Delete, Ctrl+Enter, on window) must not see the painter's.
 */
const stop = (e: SyntheticEvent) => e.stopPropagation();
const CONTAINED = {
  onClick: stop,
  onDoubleClick: stop,
  onContextMenu: stop,
  onKeyDown: stop,
  onFocus: stop,
  onDragOver: stop,
  onDrop: stop,
};

/**
 * Paints a mask on an uploaded image, in the image's natural pixels: a round
 * brush (size in image pixels, `[` and `]`), an eraser (or the right button,
 * or Alt+drag), Clear, Invert, undo and redo per stroke. It starts from the
 * mask the image already has (its transparency). Save uploads the mask; the
 * server makes a new image with it as alpha, which Load Image's mask output
 * selects. Shown over everything (a portal on <body>), so the canvas behind
 * neither pans nor drags a node while painting.
 */
export function MaskPainterDialog(props: Props) {
  return createPortal(<Painter {...props} />, document.body);
}

function Painter({ artifactId, onSaved, onClose }: Props) {
  const root = useRef<HTMLDivElement>(null);
  const stage = useRef<HTMLDivElement>(null);
  const picture = useRef<HTMLCanvasElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const ring = useRef<HTMLDivElement>(null);
  const mask = useRef<MaskBuffer>(null);
  const pixels = useRef<ImageData>(null);
  const history = useRef(new MaskHistory());
  const stroke = useRef<Stroke>(null);
  const pointer = useRef<{ clientX: number; clientY: number }>(null);
  const [source, setSource] = useState<RgbaPixels>();
  const [brush, setBrush] = useState(1);
  const [erasing, setErasing] = useState(false);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string>();
  // Undo and redo live outside React state: re-render when they change.
  const [, historyChanged] = useReducer((n: number) => n + 1, 0);

  useEffect(() => root.current?.focus(), []);

  // The editor behind is inert while painting: Tab cannot leave the dialog,
  // and no click or key (the editor's Ctrl+Z and Delete are on window) reaches the graph.
  useEffect(() => {
    const app = document.getElementById('root');
    if (!app || app.contains(root.current)) return;
    app.setAttribute('inert', '');
    return () => app.removeAttribute('inert');
  }, []);

  const show = (rect: PixelRect) => showMask(canvas.current, mask.current, pixels.current, rect);

  useEffect(() => {
    const abort = new AbortController();
    loadPixels(artifactId, abort.signal).then(
      (px) => {
        if (abort.signal.aborted) return;
        mask.current = maskFromAlpha(px.rgba, px);
        setBrush(defaultBrush(px));
        setSource(px);
      },
      (err) => {
        if (!abort.signal.aborted) setError(`The image cannot be loaded: ${errorMessage(err)}`);
      },
    );
    return () => abort.abort();
  }, [artifactId]);

  // The canvases appear once the pixels are here: the picture, and the whole mask over it.
  useEffect(() => {
    if (!source || !picture.current || !canvas.current) return;
    try {
      const ctx = context2d(picture.current);
      const shown = ctx.createImageData(source.width, source.height);
      writeOpaque(source.rgba, shown.data);
      ctx.putImageData(shown, 0, 0);
      pixels.current = context2d(canvas.current).createImageData(source.width, source.height);
      showMask(canvas.current, mask.current, pixels.current, wholeRect(source));
    } catch (err) {
      setError(errorMessage(err));
    }
  }, [source]);

  const natural: Size | undefined = source;

  /** Where the picture is drawn on screen (object-fit: contain in the stage). */
  const drawn = () => containRect(stage.current!.getBoundingClientRect(), natural!);

  const placeRing = (clientX: number, clientY: number) => {
    pointer.current = { clientX, clientY };
    const el = ring.current;
    if (!el || !natural || !stage.current) return;
    const box = stage.current.getBoundingClientRect();
    const d = (brush * drawn().width) / natural.width;
    Object.assign(el.style, {
      left: `${clientX - box.left}px`,
      top: `${clientY - box.top}px`,
      width: `${d}px`,
      height: `${d}px`,
    });
    el.hidden = false;
  };
  // The ring follows the brush size when [ or ] change it under a still pointer.
  useEffect(() => {
    if (pointer.current) placeRing(pointer.current.clientX, pointer.current.clientY);
  }, [brush]);

  const at = (e: { clientX: number; clientY: number }): Pt =>
    toImage(e.clientX, e.clientY, drawn(), natural!);

  /** Paints the stroke on to each position in turn and shows what changed, once. */
  const extend = (s: Stroke, to: Pt[]) => {
    let changed: PixelRect | undefined;
    for (const p of to) {
      changed = unionRect(changed, paintSegment(mask.current!, s.last, p, brush / 2, s.value));
      s.last = p;
    }
    s.rect = unionRect(s.rect, changed);
    if (changed) show(changed);
  };

  const finish = () => {
    const s = stroke.current;
    stroke.current = null;
    if (s?.rect && history.current.record(s.before, mask.current!, s.rect)) historyChanged();
  };

  const onPointerDown = (e: PointerEvent<HTMLDivElement>) => {
    if (!natural || !mask.current || saving || stroke.current) return;
    if (e.button !== 0 && e.button !== 2) return;
    e.preventDefault();
    e.currentTarget.setPointerCapture?.(e.pointerId);
    const p = at(e);
    stroke.current = {
      pointerId: e.pointerId,
      last: p,
      value: erasing || e.altKey || e.button === 2 ? KEPT : MASKED,
      before: mask.current.data.slice(),
    };
    extend(stroke.current, [p]);
  };

  const onPointerMove = (e: PointerEvent<HTMLDivElement>) => {
    placeRing(e.clientX, e.clientY);
    const s = stroke.current;
    if (!s || s.pointerId !== e.pointerId) return;
    // Every position the pointer reported since the last frame, so curves stay curves in a fast drag.
    const events = e.nativeEvent.getCoalescedEvents?.() ?? [];
    extend(s, (events.length ? events : [e]).map(at));
  };

  const onPointerUp = (e: PointerEvent<HTMLDivElement>) => {
    if (stroke.current?.pointerId === e.pointerId) finish();
  };

  /** A step on the whole mask (Clear, Invert), undoable like a stroke. */
  const whole = (op: (m: MaskBuffer) => void) => {
    const m = mask.current;
    if (!m || stroke.current) return;
    const before = m.data.slice();
    op(m);
    const rect = wholeRect(m);
    if (history.current.record(before, m, rect)) {
      show(rect);
      historyChanged();
    }
  };

  const step = (dir: 'undo' | 'redo') => {
    if (!mask.current || stroke.current) return;
    const rect = history.current[dir](mask.current);
    if (!rect) return;
    show(rect);
    historyChanged();
  };

  const save = async () => {
    const m = mask.current;
    // Nothing changed (or all of it undone): the image already has this mask.
    if (!m || saving || !history.current.canUndo) return;
    setSaving(true);
    setError(undefined);
    try {
      onSaved(await api.maskArtifact(artifactId, await maskPng(m)));
    } catch (err) {
      // The painting stays as it is: fix what the message says (or Cancel) and save again.
      setError(errorMessage(err));
      setSaving(false);
    }
  };

  const max = natural ? maxBrush(natural) : 1;
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const mod = e.ctrlKey || e.metaKey;
    const key = e.key.toLowerCase();
    if (e.key === 'Escape') {
      e.preventDefault();
      if (!saving) onClose();
    } else if (mod && key === 'z') {
      e.preventDefault();
      step(e.shiftKey ? 'redo' : 'undo');
    } else if (mod && key === 'y') {
      e.preventDefault();
      step('redo');
    } else if (mod && key === 's') {
      // Saves the mask, not the workflow behind the dialog (nor the page).
      e.preventDefault();
      void save();
    } else if ((e.key === '[' || e.key === ']') && natural) {
      e.preventDefault();
      setBrush((b) => stepBrush(b, e.key === ']' ? 1 : -1, max));
    }
  };

  return (
    <div className="mf-modal-backdrop mf-painter-backdrop" role="presentation" {...CONTAINED}>
      <div
        ref={root}
        className="mf-modal mf-painter"
        role="dialog"
        aria-modal="true"
        aria-label="Mask painter"
        tabIndex={-1}
        onKeyDown={onKeyDown}
      >
        <div className="mf-painter-tools">
          <div className="mf-painter-group" role="group" aria-label="Tool">
            <button
              type="button"
              className={`mf-btn mf-btn-small${erasing ? '' : ' mf-active'}`}
              aria-pressed={!erasing}
              title="Paint: drag to mask"
              onClick={() => setErasing(false)}
            >
              Brush
            </button>
            <button
              type="button"
              className={`mf-btn mf-btn-small${erasing ? ' mf-active' : ''}`}
              aria-pressed={erasing}
              title="Erase: drag to unmask (also the right button, or Alt+drag)"
              onClick={() => setErasing(true)}
            >
              Eraser
            </button>
          </div>
          <label className="mf-painter-size" title="Brush diameter in image pixels ([ and ] change it)">
            Size
            <input
              type="range"
              min={1}
              max={max}
              value={brush}
              disabled={!natural}
              aria-label="Brush size"
              onChange={(e) => setBrush(Number(e.target.value))}
            />
            <output>{brush} px</output>
          </label>
          <div className="mf-painter-group">
            <button
              type="button"
              className="mf-btn mf-btn-small"
              disabled={!history.current.canUndo}
              title="Undo the last stroke (Ctrl+Z)"
              onClick={() => step('undo')}
            >
              Undo
            </button>
            <button
              type="button"
              className="mf-btn mf-btn-small"
              disabled={!history.current.canRedo}
              title="Redo (Ctrl+Shift+Z)"
              onClick={() => step('redo')}
            >
              Redo
            </button>
          </div>
          <div className="mf-painter-group">
            <button
              type="button"
              className="mf-btn mf-btn-small"
              disabled={!natural}
              title="Unmask everything"
              onClick={() => whole((m) => m.data.fill(KEPT))}
            >
              Clear
            </button>
            <button
              type="button"
              className="mf-btn mf-btn-small"
              disabled={!natural}
              title="Mask what is not masked, and unmask what is"
              onClick={() => whole(invertMask)}
            >
              Invert
            </button>
          </div>
        </div>
        <div
          ref={stage}
          className={`mf-painter-stage${natural ? '' : ' mf-painter-loading'}`}
          data-testid="mask-stage"
          onPointerDown={onPointerDown}
          onPointerMove={onPointerMove}
          onPointerUp={onPointerUp}
          onPointerCancel={finish}
          onPointerLeave={() => {
            pointer.current = null;
            if (ring.current) ring.current.hidden = true;
          }}
          onContextMenu={(e) => e.preventDefault()}
        >
          {natural && (
            <>
              <canvas
                ref={picture}
                className="mf-painter-picture"
                width={natural.width}
                height={natural.height}
                role="img"
                aria-label="the image to mask"
                data-testid="mask-picture"
              />
              <canvas
                ref={canvas}
                className="mf-painter-mask"
                width={natural.width}
                height={natural.height}
                data-testid="mask-canvas"
              />
            </>
          )}
          <div ref={ring} className={`mf-painter-ring${erasing ? ' mf-painter-ring-erase' : ''}`} hidden />
        </div>
        <div className="mf-painter-foot">
          <span className="mf-painter-info" data-testid="painter-info">
            {natural
              ? `${natural.width}×${natural.height} · drag to paint, right button or Alt+drag erases, [ ] size, Ctrl+Z undo`
              : 'Loading the image…'}
          </span>
          {error && (
            <span className="mf-field-error" role="alert">
              {error}
            </span>
          )}
          <button type="button" className="mf-btn" disabled={saving} onClick={onClose} title="Close (Escape)">
            Cancel
          </button>
          <button
            type="button"
            className="mf-btn mf-btn-primary"
            disabled={!natural || saving || !history.current.canUndo}
            onClick={() => void save()}
            title="A new upload with this mask; Load Image's mask output selects what is painted (nothing to save before a change)"
          >
            {saving ? 'Saving…' : 'Save mask'}
          </button>
        </div>
      </div>
    </div>
  );
}
