import { artifactRefSchema } from '../api/api.client';
import { api } from '../api/api.client';
import { outputPreviewOf } from '../store/run-events';
import { useUiStore } from '../store/ui.store';
import { DetectionsView, detectionsOf } from './detections.view';

/** In-memory values the server sends a small picture of (a JPEG of an image, a grayscale PNG of a mask). */
const PREVIEWED = new Set(['image', 'mask', 'masks']);

/** "mask 1800×1200", "masks 1800×1200 ×3": a described value by kind and size, anything else as short JSON. */
function valueLabel(v: unknown): string | undefined {
  const d = v as { kind?: unknown; width?: unknown; height?: unknown; count?: unknown } | null;
  const size =
    d && typeof d.width === 'number' && typeof d.height === 'number' ? `${d.width}×${d.height}` : '';
  return d && typeof d.kind === 'string'
    ? `${d.kind}${size ? ` ${size}` : ''}${typeof d.count === 'number' ? ` ×${d.count}` : ''}`
    : JSON.stringify(v)?.slice(0, 60);
}

/**
 * What a node produced: images it saved as thumbnails (click for the gallery),
 * boxes (detections) drawn over the node's input image and listed, in-memory
 * images and masks as their size with the server's small preview under it
 * (masks on a dark ground, so white reads as masked), other values as their
 * size.
 */
export function NodeOutputs({
  runId,
  nodeId,
  outputs,
  previews = true,
}: {
  runId: string;
  nodeId: string;
  outputs: Record<string, unknown>;
  /** False on a node that already shows its picture (Load Image's upload): labels only. */
  previews?: boolean;
}) {
  const pick = useUiStore((s) => s.pickGallery);
  const setTab = useUiStore((s) => s.setSideTab);
  const entries = Object.entries(outputs);
  if (!entries.length) return null;
  return (
    <div className="mf-node-outputs">
      {entries.map(([port, v]) => {
        const art = artifactRefSchema.safeParse(v);
        if (art.success && (art.data.mime ?? 'image/').startsWith('image/')) {
          return (
            <button
              type="button"
              key={port}
              className="mf-output-thumb nodrag"
              title={`${port}: ${art.data.name ?? art.data.id.slice(0, 12)} — open in the gallery`}
              onClick={() => {
                pick({ runId, nodeId, port });
                setTab('gallery');
              }}
            >
              <img
                src={api.thumbnailUrl(art.data.id, 256)}
                alt={`${nodeId} ${port} output`}
                data-testid="node-output-image"
                draggable={false}
              />
            </button>
          );
        }
        const detections = detectionsOf(v);
        if (detections)
          return <DetectionsView key={port} port={port} nodeId={nodeId} value={detections} runId={runId} />;
        const label = valueLabel(v);
        const kind = (v as { kind?: unknown } | null)?.kind;
        const preview =
          previews && typeof kind === 'string' && PREVIEWED.has(kind) ? outputPreviewOf(v) : undefined;
        if (preview) {
          const mask = kind !== 'image';
          return (
            <div key={port} className="mf-output-preview">
              <div className="mf-output-value">
                <span className="mf-output-port">{port}</span> {label}
              </div>
              {/* Not a link: a picture to look at. nodrag so pressing it does not pick the node up. */}
              <img
                className={`mf-output-preview-img nodrag${mask ? ' mf-output-preview-mask' : ''}`}
                src={preview.url}
                width={preview.width}
                height={preview.height}
                alt={`${nodeId} ${port} preview`}
                title={`${port}: ${label}${mask ? ' (white = masked)' : ''}, preview${
                  preview.width && preview.height ? ` ${preview.width}×${preview.height}` : ''
                }`}
                data-testid="node-output-preview"
                data-kind={kind}
                draggable={false}
              />
            </div>
          );
        }
        return (
          <div key={port} className="mf-output-value">
            <span className="mf-output-port">{port}</span> {label}
          </div>
        );
      })}
    </div>
  );
}
