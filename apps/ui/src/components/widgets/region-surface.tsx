import type { KeyboardEvent, PointerEvent, ReactNode } from 'react';
import { useCallback, useMemo, useRef, useState } from 'react';
import type { Pt, Size } from '../../graph/region-geometry';
import { TAP_SLOP, toImage } from '../../graph/region-geometry';
import type { UpstreamImage } from '../../graph/upstream-image';
import { upstreamImageKey } from '../../graph/upstream-image';
import { useEditorStore } from '../../store/editor.store';
import { FIELD_CLASSES } from './widget.types';

/** The image reaching `nodeId`'s `image` input (see graph/upstream-image.ts), re-read when the graph changes. */
export function useUpstreamImage(nodeId: string | undefined): UpstreamImage {
  const key = useEditorStore((s) => upstreamImageKey(s.nodes, s.edges, nodeId));
  return useMemo(() => JSON.parse(key) as UpstreamImage, [key]);
}

/** The natural size of the image at `src`, once it has loaded (never the size of a previous image). */
export function useNaturalSize(src: string | undefined): [Size | undefined, (size: Size) => void] {
  const [loaded, setLoaded] = useState<{ src: string; size: Size }>();
  const natural = src !== undefined && loaded?.src === src ? loaded.size : undefined;
  const set = useCallback((size: Size) => src !== undefined && setLoaded({ src, size }), [src]);
  return [natural, set];
}

/** Why there is no picture to draw on, said in one line. */
export function noImageHint(image: UpstreamImage, noun: string): string {
  switch (image.kind) {
    case 'unconnected':
      return `Connect a Load Image to the image input to draw ${noun} on the picture.`;
    case 'not-load-image':
      return `The image comes from ${image.sourceId} (${image.sourceType}), which exists only during a run: type the ${noun} in that image's pixels.`;
    case 'no-upload':
      return `Upload an image in ${image.sourceId} to draw ${noun} on it.`;
    case 'ok':
      return '';
  }
}

export interface RegionDraft {
  a: Pt;
  b: Pt;
}

interface Props {
  src: string;
  alt: string;
  /** The surface's accessible name, which also says the gestures. */
  label: string;
  natural: Size | undefined;
  onNatural(size: Size): void;
  /** Drags draw (boxes); otherwise a drag does nothing and only clicks count (points). */
  draws: boolean;
  /**
   * Only shows the picture and its overlays (a node's outputs): no gestures,
   * not focusable, and pointer drags move the node like anywhere else on it.
   */
  readOnly?: boolean;
  /** A press and release without moving: where (natural pixels, not rounded), and whether Shift was held. */
  onTap?(p: Pt, mods: { shiftKey: boolean }, natural: Size): void;
  /** A finished drag, from where it started to where it ended (natural pixels, not rounded or clipped). */
  onDrag?(a: Pt, b: Pt, natural: Size): void;
  onKeyDown?(e: KeyboardEvent<HTMLDivElement>): void;
  /** Overlays, positioned in percentages of the image; `draft` is the drag in progress. */
  children?(natural: Size, draft: RegionDraft | undefined): ReactNode;
  testId: string;
}

interface Gesture {
  pointerId: number;
  a: Pt;
  clientX: number;
  clientY: number;
  moved: boolean;
  shiftKey: boolean;
}

/**
 * The picture the region widgets draw on: the image scaled to the node's
 * width, with overlays in percentages of it. Pointer positions are converted
 * to natural pixels with the drawn size (`getBoundingClientRect`, so the
 * canvas zoom is included). `nodrag nopan nowheel`: React Flow neither drags
 * the node nor pans the canvas while drawing here; `nokey`: Shift+click is a
 * negative point, not the start of React Flow's box selection (its pane
 * takes Shift+pointerdown in the capture phase otherwise).
 */
export function RegionSurface({
  src,
  alt,
  label,
  natural,
  onNatural,
  draws,
  readOnly = false,
  onTap,
  onDrag,
  onKeyDown,
  children,
  testId,
}: Props) {
  const img = useRef<HTMLImageElement>(null);
  const gesture = useRef<Gesture | null>(null);
  const [draft, setDraft] = useState<RegionDraft>();
  const [failed, setFailed] = useState<string>();

  const at = (e: { clientX: number; clientY: number }, size: Size): Pt =>
    toImage(e.clientX, e.clientY, img.current!.getBoundingClientRect(), size);
  const far = (g: Gesture, e: { clientX: number; clientY: number }) =>
    Math.hypot(e.clientX - g.clientX, e.clientY - g.clientY) >= TAP_SLOP;

  const onPointerDown = (e: PointerEvent<HTMLDivElement>) => {
    if (!natural || e.button !== 0 || !img.current) return;
    // The × of a box and the points are buttons with their own clicks.
    if ((e.target as HTMLElement).closest('button')) return;
    e.preventDefault();
    e.currentTarget.focus();
    e.currentTarget.setPointerCapture?.(e.pointerId);
    gesture.current = {
      pointerId: e.pointerId,
      a: at(e, natural),
      clientX: e.clientX,
      clientY: e.clientY,
      moved: false,
      shiftKey: e.shiftKey,
    };
  };
  const onPointerMove = (e: PointerEvent<HTMLDivElement>) => {
    const g = gesture.current;
    if (!g || g.pointerId !== e.pointerId || !natural) return;
    if (!g.moved && !far(g, e)) return;
    g.moved = true;
    if (draws) setDraft({ a: g.a, b: at(e, natural) });
  };
  const onPointerUp = (e: PointerEvent<HTMLDivElement>) => {
    const g = gesture.current;
    if (!g || g.pointerId !== e.pointerId || !natural) return;
    gesture.current = null;
    setDraft(undefined);
    if (!g.moved && !far(g, e)) onTap?.(g.a, { shiftKey: g.shiftKey || e.shiftKey }, natural);
    else if (draws) onDrag?.(g.a, at(e, natural), natural);
  };
  const cancel = () => {
    gesture.current = null;
    setDraft(undefined);
  };

  if (failed === src) return <div className="mf-region-hint mf-field-error">The image cannot be loaded.</div>;
  const image = (
    <img
      ref={img}
      className="mf-region-img"
      src={src}
      alt={alt}
      draggable={false}
      onLoad={(e) => {
        const { naturalWidth: width, naturalHeight: height } = e.currentTarget;
        if (width > 0 && height > 0 && (width !== natural?.width || height !== natural?.height))
          onNatural({ width, height });
      }}
      onError={() => setFailed(src)}
    />
  );
  if (readOnly) {
    return (
      <div
        className={`mf-region-frame mf-region-readonly${natural ? '' : ' mf-region-loading'}`}
        role="group"
        aria-label={label}
        title={label}
        data-testid={testId}
      >
        {image}
        {natural && children?.(natural, undefined)}
      </div>
    );
  }
  return (
    <div
      className={`mf-region-frame ${FIELD_CLASSES} nopan nokey${natural ? '' : ' mf-region-loading'}`}
      role="group"
      aria-label={label}
      title={label}
      tabIndex={0}
      data-testid={testId}
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={onPointerUp}
      onPointerCancel={cancel}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && gesture.current) cancel();
        onKeyDown?.(e);
      }}
      onContextMenu={(e) => gesture.current && e.preventDefault()}
    >
      {image}
      {natural && children?.(natural, draft)}
    </div>
  );
}

/** What a region widget shows when it cannot draw: why (or what is wrong with the value), and the JSON editor. */
export function RegionFallback({ hint, json }: { hint: string; json: ReactNode }) {
  return (
    <div className="mf-region-widget">
      <div className="mf-region-hint" data-testid="region-hint">
        {hint}
      </div>
      {json}
    </div>
  );
}

/** The bar under a region picture: a summary, Clear, and the `{ }` toggle that opens the JSON below it. */
export function RegionBar({
  info,
  noun,
  clearTitle,
  onClear,
  json,
}: {
  info: ReactNode;
  /** The param's label in lower case ("boxes", "points"). */
  noun: string;
  clearTitle: string;
  /** Absent when there is nothing to clear. */
  onClear?: () => void;
  json: ReactNode;
}) {
  const [jsonOpen, setJsonOpen] = useState(false);
  return (
    <>
      <div className="mf-region-bar">
        <span className="mf-region-info" data-testid="region-info">
          {info}
        </span>
        <button
          type="button"
          className={`mf-btn mf-btn-small ${FIELD_CLASSES}`}
          disabled={!onClear}
          title={clearTitle}
          onClick={onClear}
        >
          Clear
        </button>
        <button
          type="button"
          className={`mf-btn mf-btn-small ${FIELD_CLASSES}${jsonOpen ? ' mf-active' : ''}`}
          aria-expanded={jsonOpen}
          aria-label={`Edit ${noun} as JSON`}
          title={`Edit ${noun} as JSON (exact numbers)`}
          onClick={() => setJsonOpen(!jsonOpen)}
        >
          {'{ }'}
        </button>
      </div>
      {jsonOpen && json}
    </>
  );
}
