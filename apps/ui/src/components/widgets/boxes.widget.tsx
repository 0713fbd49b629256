import { useState } from 'react';
import { api } from '../../api/api.client';
import type { Box } from '../../graph/region-geometry';
import { boxAt, boxesOf, boxFromDrag, boxStyle } from '../../graph/region-geometry';
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

const describe = (b: Box) => `${b.x1},${b.y1} → ${b.x2},${b.y2} (${b.x2 - b.x1}×${b.y2 - b.y1})`;

/**
 * Boxes drawn on the image reaching the node's `image` input (a Load Image
 * upload): drag to add one, click one to select it, Delete/Backspace or its ×
 * to remove it. Coordinates are natural image pixels, edges rounded to whole
 * pixels and clipped to the image (x2, y2 exclusive), exactly what
 * BoxesToMask fills. The JSON stays editable for exact numbers; with no image
 * to show, it is the editor.
 */
export function BoxesWidget(props: WidgetProps<'boxes'>) {
  const { field, value, onChange, nodeId } = props;
  const image = useUpstreamImage(nodeId);
  const src = image.kind === 'ok' ? api.artifactUrl(image.artifactId) : undefined;
  const [natural, setNatural] = useNaturalSize(src);
  const [selected, setSelected] = useState<number>();
  const boxes = boxesOf(value ?? field.default);
  const sel = boxes && selected !== undefined && selected < boxes.length ? selected : undefined;

  const json = <JsonWidget {...props} />;
  if (image.kind !== 'ok' || !src || !boxes) {
    const hint = boxes
      ? noImageHint(image, 'boxes')
      : 'These boxes are not a list of {x1, y1, x2, y2}: fix the JSON.';
    return <RegionFallback hint={hint} json={json} />;
  }

  const remove = (i: number) => {
    onChange(boxes.filter((_, k) => k !== i));
    setSelected(undefined);
  };
  const noun = field.label.toLowerCase();
  return (
    <div className="mf-region-widget">
      <RegionSurface
        src={src}
        alt={`${image.sourceId} image`}
        label={`${field.label}: drag on the image to add a box, click a box to select it, Delete removes it`}
        natural={natural}
        onNatural={setNatural}
        draws
        testId="region-boxes"
        onDrag={(a, b, size) => {
          const box = boxFromDrag(a, b, size);
          if (!box) return;
          onChange([...boxes, box]);
          setSelected(boxes.length);
        }}
        onTap={(p) => setSelected(boxAt(boxes, p))}
        onKeyDown={(e) => {
          if (e.key === 'Delete' || e.key === 'Backspace') {
            // Handled here: the editor's Delete would remove the node.
            e.preventDefault();
            e.stopPropagation();
            if (sel !== undefined) remove(sel);
          } else if (e.key === 'Escape') setSelected(undefined);
        }}
      >
        {(size, draft) => {
          const d = draft && boxFromDrag(draft.a, draft.b, size);
          return (
            <>
              {boxes.map((b, i) => (
                <div
                  key={i}
                  className={`mf-region-box${i === sel ? ' mf-region-selected' : ''}`}
                  style={boxStyle(b, size)}
                  data-testid="region-box"
                >
                  {i === sel && (
                    <button
                      type="button"
                      className="mf-region-remove"
                      aria-label={`Remove box ${i + 1}`}
                      title="Remove this box (Delete)"
                      onClick={() => remove(i)}
                    >
                      ×
                    </button>
                  )}
                </div>
              ))}
              {d && <div className="mf-region-box mf-region-draft" style={boxStyle(d, size)} />}
            </>
          );
        }}
      </RegionSurface>
      <RegionBar
        info={
          sel !== undefined
            ? `box ${sel + 1}: ${describe(boxes[sel])}`
            : `${boxes.length} ${boxes.length === 1 ? 'box' : 'boxes'}${natural ? ` on ${natural.width}×${natural.height}` : ''}`
        }
        noun={noun}
        clearTitle="Remove every box"
        onClear={
          boxes.length
            ? () => {
                onChange([]);
                setSelected(undefined);
              }
            : undefined
        }
        json={json}
      />
    </div>
  );
}
