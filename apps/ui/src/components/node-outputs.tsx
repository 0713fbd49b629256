import { artifactRefSchema } from '../api/api.client';
import { api } from '../api/api.client';
import { useUiStore } from '../store/ui.store';
import { DetectionsView, detectionsOf } from './detections.view';

/**
 * What a node produced: images it saved as thumbnails (click for the gallery),
 * boxes (detections) drawn over the node's input image and listed, other
 * in-memory values as their size.
 */
export function NodeOutputs({
  runId,
  nodeId,
  outputs,
}: {
  runId: string;
  nodeId: string;
  outputs: Record<string, unknown>;
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
        if (detections) return <DetectionsView key={port} port={port} nodeId={nodeId} value={detections} />;
        const d = v as { kind?: unknown; width?: unknown; height?: unknown; count?: unknown } | null;
        const size =
          d && typeof d.width === 'number' && typeof d.height === 'number' ? `${d.width}×${d.height}` : '';
        const label =
          d && typeof d.kind === 'string'
            ? `${d.kind}${size ? ` ${size}` : ''}${typeof d.count === 'number' ? ` ×${d.count}` : ''}`
            : JSON.stringify(v)?.slice(0, 60);
        return (
          <div key={port} className="mf-output-value">
            <span className="mf-output-port">{port}</span> {label}
          </div>
        );
      })}
    </div>
  );
}
