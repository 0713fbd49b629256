import { api } from '../../api/api.client';
import type { LabeledPoint } from '../../graph/region-geometry';
import { pct, pixelAt, pointsOf } from '../../graph/region-geometry';
import { JsonWidget } from './json.widget';
import {
  noImageHint,
  RegionBar,
  RegionFallback,
  RegionSurface,
  useNaturalSize,
  useUpstreamImage,
} from './region-surface';
import type { WidgetProps } from './widget.types';

const kind = (p: LabeledPoint) => (p.label === 1 ? 'positive' : 'negative');

/**
 * Labelled clicks (SAM's point prompts) on the image reaching the node's
 * `image` input: click adds a positive point (label 1, green), Shift+click a
 * negative one (label 0, red); click a point to remove it; Delete/Backspace
 * removes the last one. Coordinates are the clicked pixel in natural image
 * pixels. The JSON stays editable; with no image to show, it is the editor.
 */
export function PointsWidget(props: WidgetProps<'points'>) {
  const { field, value, onChange, nodeId } = props;
  const image = useUpstreamImage(nodeId);
  const src = image.kind === 'ok' ? api.artifactUrl(image.artifactId) : undefined;
  const [natural, setNatural] = useNaturalSize(src);
  const raw = value ?? field.default;
  const points = pointsOf(raw);

  const json = <JsonWidget {...props} />;
  if (image.kind !== 'ok' || !src || !points) {
    const hint = points
      ? noImageHint(image, 'points')
      : 'These points are not a list of {x, y, label}: fix the JSON.';
    return <RegionFallback hint={hint} json={json} />;
  }

  // Edits keep the entries as they were (extra keys, an omitted label).
  const list = Array.isArray(raw) ? (raw as unknown[]) : [];
  const without = (i: number) => list.filter((_, k) => k !== i);
  const positive = points.filter((p) => p.label === 1).length;
  const noun = field.label.toLowerCase();
  return (
    <div className="mf-region-widget">
      <RegionSurface
        src={src}
        alt={`${image.sourceId} image`}
        label={`${field.label}: click adds a positive point, Shift+click a negative one, click a point to remove it`}
        natural={natural}
        onNatural={setNatural}
        draws={false}
        testId="region-points"
        onTap={(p, { shiftKey }, size) => {
          const at = pixelAt(p, size);
          onChange([...list, { ...at, label: shiftKey ? 0 : 1 }]);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Delete' || e.key === 'Backspace') {
            // Handled here: the editor's Delete would remove the node.
            e.preventDefault();
            e.stopPropagation();
            if (points.length) onChange(without(points.length - 1));
          }
        }}
      >
        {(size) =>
          points.map((p, i) => (
            <button
              key={i}
              type="button"
              className={`mf-region-point mf-region-point-${p.label === 1 ? 'pos' : 'neg'}`}
              // The centre of the pixel the point names.
              style={{ left: pct(p.x + 0.5, size.width), top: pct(p.y + 0.5, size.height) }}
              aria-label={`Remove ${kind(p)} point ${i + 1} at ${p.x}, ${p.y}`}
              title={`${kind(p)} point at ${p.x}, ${p.y}: click to remove`}
              data-testid="region-point"
              data-label={p.label}
              onClick={() => onChange(without(i))}
            />
          ))
        }
      </RegionSurface>
      <RegionBar
        info={`${points.length} ${points.length === 1 ? 'point' : 'points'} (${positive} +, ${points.length - positive} −)`}
        noun={noun}
        clearTitle="Remove every point"
        onClear={points.length ? () => onChange([]) : undefined}
        json={json}
      />
    </div>
  );
}
