import { useState } from 'react';
import { api } from '../api/api.client';
import type { OutputPreview, RunView } from '../store/run-events';
import { outputPreviewOf } from '../store/run-events';
import { useRunStore } from '../store/run.store';
import type { Size } from '../graph/region-geometry';
import { boxStyle } from '../graph/region-geometry';
import { RegionSurface, useNaturalSize, useUpstreamImage } from './widgets/region-surface';
import { FIELD_CLASSES } from './widgets/widget.types';

/** One detection of a BOXES value: image pixels, x2/y2 exclusive, with the phrase it matched and its score. */
export interface Detection {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  score: number;
  label: string;
}

/** A BOXES value as run events carry it (libs/nodes/src/contract/values.ts `BoxesValue`). */
export interface DetectionsValue {
  kind: 'boxes';
  /** The size of the image the boxes are in. */
  width: number;
  height: number;
  boxes: Detection[];
}

/** Rows (and boxes on the picture) shown before "+k more". */
export const DETECTIONS_SHOWN = 8;

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** The value as detections, or undefined when it is not a well-formed BOXES value (then it is shown as text). */
export function detectionsOf(v: unknown): DetectionsValue | undefined {
  const o = v as Partial<Record<keyof DetectionsValue, unknown>> | null;
  if (!o || typeof o !== 'object' || o.kind !== 'boxes') return undefined;
  if (!isNum(o.width) || !isNum(o.height) || o.width <= 0 || o.height <= 0 || !Array.isArray(o.boxes))
    return undefined;
  const boxes: Detection[] = [];
  for (const raw of o.boxes as unknown[]) {
    const b = raw as Partial<Record<keyof Detection, unknown>> | null;
    if (!b || typeof b !== 'object' || !isNum(b.x1) || !isNum(b.y1) || !isNum(b.x2) || !isNum(b.y2))
      return undefined;
    boxes.push({
      x1: b.x1,
      y1: b.y1,
      x2: b.x2,
      y2: b.y2,
      score: isNum(b.score) ? b.score : NaN,
      label: typeof b.label === 'string' ? b.label : '',
    });
  }
  return { kind: 'boxes', width: o.width, height: o.height, boxes };
}

/** Well-separated colours (white text stays readable on them); more labels than these get golden-angle hues. */
const PALETTE = ['#e6194b', '#2f6fde', '#1f9d3a', '#e8590c', '#8e3fcf', '#0c8599', '#c2255c', '#8d6e00'];

/** A colour per distinct label, in order of first appearance: the same label always gets the same colour. */
export function labelColors(boxes: readonly Detection[]): Map<string, string> {
  const colors = new Map<string, string>();
  for (const b of boxes) {
    if (colors.has(b.label)) continue;
    const i = colors.size;
    colors.set(b.label, i < PALETTE.length ? PALETTE[i] : `hsl(${Math.round((i * 137.508) % 360)} 75% 40%)`);
  }
  return colors;
}

const score = (s: number) => (Number.isFinite(s) ? s.toFixed(2) : '–');
const name = (label: string) => label || '(no label)';
/** "dog 0.62": what a box's tag and a list row say. */
export const detectionTag = (b: Detection) => `${name(b.label)} ${score(b.score)}`;
const coords = (b: Detection) =>
  `${Math.round(b.x1)},${Math.round(b.y1)}–${Math.round(b.x2)},${Math.round(b.y2)}`;

/** Aspect ratios differ by more than rounding: the picture is not the image the boxes were found in. */
const aspectDiffers = (a: Size, b: Size) => Math.abs(a.width / a.height / (b.width / b.height) - 1) > 0.02;

/**
 * The picture a node was fed on `input` in a run: the preview of the output
 * wired to it in the graph as it ran (after any resize on the way), from the
 * node's finished or cached event. Undefined without the run's graph or a preview.
 */
export function runInputPreview(
  run: RunView | undefined,
  nodeId: string,
  input = 'image',
): (OutputPreview & { sourceId: string }) | undefined {
  const e = run?.graph?.edges.find((x) => x.target === nodeId && x.targetHandle === input);
  if (!run || !e) return undefined;
  const preview =
    outputPreviewOf(run.nodes[e.source]?.outputs?.[e.sourceHandle]) ??
    outputPreviewOf(run.outputs[e.source]?.[e.sourceHandle]);
  return preview && { ...preview, sourceId: e.source };
}

/**
 * A BOXES output (GroundingDINO's detections) under its node: the boxes
 * drawn over the image the node was fed in that run (its preview, so a
 * resize on the way or a later upload does not matter), else over the Load
 * Image upload reaching it in the editor's graph (as the region widgets find it), each tagged
 * with its label and score and coloured by label; and always a compact list.
 * Boxes are placed in percentages of the BOXES value's width × height, so
 * they land right on the picture whatever size it is drawn at. The first
 * DETECTIONS_SHOWN are shown (picture and list alike), "+k more" shows all
 * in a scrolling list. Read-only: the picture drags the node like the rest
 * of it.
 */
export function DetectionsView({
  port,
  nodeId,
  value,
  runId,
}: {
  port: string;
  nodeId: string;
  value: DetectionsValue;
  runId?: string;
}) {
  const run = useRunStore((s) => (runId ? s.runs[runId] : undefined));
  const fed = runInputPreview(run, nodeId);
  const image = useUpstreamImage(nodeId);
  const picture = fed
    ? { src: fed.url, sourceId: fed.sourceId }
    : image.kind === 'ok'
      ? { src: api.artifactUrl(image.artifactId), sourceId: image.sourceId }
      : undefined;
  const src = picture?.src;
  const [natural, setNatural] = useNaturalSize(src);
  const [all, setAll] = useState(false);
  const [hot, setHot] = useState<number>();
  const { boxes } = value;
  const size: Size = { width: value.width, height: value.height };
  const colors = labelColors(boxes);
  const shown = all ? boxes : boxes.slice(0, DETECTIONS_SHOWN);
  const more = boxes.length - shown.length;
  const n = boxes.length;

  return (
    <div className="mf-detections" data-testid="detections">
      <div className="mf-output-value">
        <span className="mf-output-port">{port}</span> {n} {n === 1 ? 'box' : 'boxes'} on {value.width}×
        {value.height}
      </div>
      {picture && (
        <RegionSurface
          src={picture.src}
          alt={`${picture.sourceId} image`}
          label={`${port}: ${n} detected ${n === 1 ? 'box' : 'boxes'} on ${picture.sourceId}'s image`}
          natural={natural}
          onNatural={setNatural}
          draws={false}
          readOnly
          testId="detections-picture"
        >
          {() =>
            shown.map((b, i) => {
              const color = colors.get(b.label)!;
              // The tag sits above the box, or inside it near the top edge; right-aligned in the right part.
              const inside = Math.min(b.y1, b.y2) < value.height * 0.15;
              const right = Math.min(b.x1, b.x2) > value.width * 0.6;
              return (
                <div
                  key={i}
                  className={`mf-det-box${i === hot ? ' mf-det-hot' : ''}`}
                  style={{ ...boxStyle(b, size), borderColor: color }}
                  data-testid="detection-box"
                  data-label={b.label}
                >
                  <span
                    className={`mf-det-tag${inside ? ' mf-det-tag-inside' : ''}${right ? ' mf-det-tag-right' : ''}`}
                    style={{ background: color }}
                    data-testid="detection-tag"
                  >
                    {detectionTag(b)}
                  </span>
                </div>
              );
            })
          }
        </RegionSurface>
      )}
      {natural && aspectDiffers(natural, size) && (
        <div className="mf-region-hint" data-testid="detections-mismatch">
          This picture is {natural.width}×{natural.height}, not the {value.width}×{value.height} image the
          boxes were found in: the upload may have changed since the run.
        </div>
      )}
      {n === 0 ? (
        <div className="mf-det-empty" data-testid="detections-empty">
          nothing found
        </div>
      ) : (
        <ol
          className={`mf-det-list${all ? ` mf-det-list-all ${FIELD_CLASSES}` : ''}`}
          data-testid="detections-list"
          onMouseLeave={() => setHot(undefined)}
        >
          {shown.map((b, i) => (
            <li
              key={i}
              className={`mf-det-row${i === hot ? ' mf-det-hot' : ''}`}
              data-testid="detection-row"
              title={`box ${i + 1}: ${name(b.label)}, score ${score(b.score)}, x1,y1–x2,y2 = ${coords(b)} (x2, y2 exclusive)`}
              onMouseEnter={() => setHot(i)}
            >
              <span className="mf-det-swatch" style={{ background: colors.get(b.label) }} />
              <span className="mf-det-label">{name(b.label)}</span>
              <span className="mf-det-score">{score(b.score)}</span>
              <span className="mf-det-coords">{coords(b)}</span>
            </li>
          ))}
        </ol>
      )}
      {(more > 0 || all) && n > DETECTIONS_SHOWN && (
        <button
          type="button"
          className={`mf-det-more ${FIELD_CLASSES}`}
          aria-expanded={all}
          onClick={() => {
            setAll(!all);
            setHot(undefined);
          }}
        >
          {all ? `show the first ${DETECTIONS_SHOWN}` : `+${more} more`}
        </button>
      )}
    </div>
  );
}
