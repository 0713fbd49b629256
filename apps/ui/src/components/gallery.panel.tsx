import { useMemo } from 'react';
import type { NodeSpec, Workflow } from '@maskflow/workflow';
import { ancestorsOf, artifactIdSchema } from '@maskflow/workflow';
import { api, artifactRefSchema } from '../api/api.client';
import type { ArtifactRefView } from '../api/api.client';
import { maskFeeding } from '../graph/mask-feeding';
import { paramFields } from '../graph/param-fields';
import type { RunView } from '../store/run-events';
import { outputPreviewOf } from '../store/run-events';
import { useRunStore } from '../store/run.store';
import { specOf } from '../store/specs.store';
import { useEditorStore } from '../store/editor.store';
import { toast, useUiStore } from '../store/ui.store';
import { BeforeAfter } from './before-after';
import type { OverlayMask } from './before-after';

interface GalleryItem {
  runId: string;
  nodeId: string;
  port: string;
  artifact: ArtifactRefView;
  at: number;
}

function itemsOf(run: RunView): GalleryItem[] {
  const out: GalleryItem[] = [];
  for (const [nodeId, ports] of Object.entries(run.outputs)) {
    for (const [port, v] of Object.entries(ports)) {
      const a = artifactRefSchema.safeParse(v);
      if (a.success && (a.data.mime ?? 'image/').startsWith('image/'))
        out.push({
          runId: run.runId,
          nodeId,
          port,
          artifact: a.data,
          at: run.finishedAt ?? run.startedAt ?? 0,
        });
    }
  }
  return out;
}

/** Where an output's upload came from: the node and image param that held it, and the artifact. */
export interface InputImage {
  nodeId: string;
  type: string;
  param: string;
  artifactId: string;
}

/** The uploaded image upstream of an output (its "before"): the first image param with an artifact among its ancestors. */
export function inputImageOf(graph: Workflow | undefined, nodeId: string): InputImage | undefined {
  if (!graph) return undefined;
  const up = ancestorsOf(nodeId, graph.edges);
  for (const n of graph.nodes) {
    if (!up.has(n.id) || n.id === nodeId) continue;
    const spec = specOf(n.type);
    if (!spec) continue;
    for (const f of paramFields(spec)) {
      const v = n.params[f.name];
      if (f.kind === 'image' && typeof v === 'string' && artifactIdSchema.safeParse(v).success)
        return { nodeId: n.id, type: n.type, param: f.name, artifactId: v };
    }
  }
  return undefined;
}

/**
 * "Use as input": puts a result into the upload param it came from, in the
 * editor's graph, so the next edit starts from it (paint a new mask, name
 * another object), as IOPaint keeps editing its last result. Says why not
 * when that node is gone from the editor or already holds the result.
 */
function UseAsInput({ input, artifactId }: { input: InputImage | undefined; artifactId: string }) {
  const current = useEditorStore((s) => {
    const n = input && s.nodes.find((x) => x.id === input.nodeId && x.data.type === input.type);
    return n ? n.data.params[input.param] : undefined;
  });
  const setParam = useEditorStore((s) => s.setParam);
  const why = !input
    ? 'no uploaded image upstream of this output'
    : current === undefined
      ? `the editor's graph has no ${input.type} "${input.nodeId}" any more`
      : current === artifactId
        ? `${input.nodeId} already loads this result`
        : undefined;
  return (
    <button
      type="button"
      className="mf-link-btn"
      disabled={why !== undefined}
      title={
        why ?? `Load this result in ${input!.nodeId} instead of ${String(current)}: edit it further, then run`
      }
      onClick={() => {
        if (!input) return;
        setParam(input.nodeId, input.param, artifactId);
        toast('info', `${input.nodeId} now loads this result; undo with Ctrl+Z`);
      }}
    >
      use as input
    </button>
  );
}

/**
 * The mask the run fed to the nearest node upstream of an output that takes
 * one (see `maskFeeding`), as the preview the server sent with that mask's
 * node.finished or node.cached event. Undefined without the run's graph or
 * without a preview (an older server, a failed conversion): the gallery then
 * shows the difference instead.
 */
export function overlayMaskFor(
  run: RunView | undefined,
  nodeId: string,
  specs: (type: string) => NodeSpec | undefined = specOf,
): OverlayMask | undefined {
  const feed = maskFeeding(run?.graph, nodeId, specs);
  if (!run || !feed) return undefined;
  const preview =
    outputPreviewOf(run.outputs[feed.source]?.[feed.handle]) ??
    outputPreviewOf(run.nodes[feed.source]?.outputs?.[feed.handle]);
  return preview ? { ...feed, url: preview.url } : undefined;
}

/** Every image the session's runs produced; the picked one large, with before/after and mask overlay. */
export function GalleryPanel() {
  const runs = useRunStore((s) => s.runs);
  const currentRunId = useRunStore((s) => s.currentRunId);
  const pick = useUiStore((s) => s.galleryPick);
  const setPick = useUiStore((s) => s.pickGallery);

  const items = useMemo(() => {
    const all = Object.values(runs).flatMap(itemsOf);
    return all.sort(
      (a, b) => (a.runId === currentRunId ? -1 : 0) - (b.runId === currentRunId ? -1 : 0) || b.at - a.at,
    );
  }, [runs, currentRunId]);

  const chosen =
    items.find((i) => pick && i.runId === pick.runId && i.nodeId === pick.nodeId && i.port === pick.port) ??
    items[0];
  if (!chosen)
    return (
      <div className="mf-muted mf-pad">
        Outputs of runs appear here (a SaveImage node saves its image as a run output).
      </div>
    );
  const input = inputImageOf(runs[chosen.runId]?.graph, chosen.nodeId);
  const beforeId = input?.artifactId;
  const mask = overlayMaskFor(runs[chosen.runId], chosen.nodeId);

  return (
    <div className="mf-gallery">
      <div className="mf-gallery-main" data-testid="gallery-main">
        <BeforeAfter
          before={beforeId ? api.artifactUrl(beforeId) : undefined}
          after={api.artifactUrl(chosen.artifact.id)}
          alt={`${chosen.nodeId}.${chosen.port}`}
          mask={mask}
        />
        <div className="mf-gallery-meta">
          <span>
            {chosen.nodeId}.{chosen.port}
            {chosen.artifact.width && chosen.artifact.height
              ? ` · ${chosen.artifact.width}×${chosen.artifact.height}`
              : ''}
          </span>
          <a href={api.artifactUrl(chosen.artifact.id)} target="_blank" rel="noreferrer">
            full size
          </a>
          <a
            href={api.artifactUrl(chosen.artifact.id)}
            download={chosen.artifact.name ?? `${chosen.nodeId}.png`}
          >
            download
          </a>
          <UseAsInput input={input} artifactId={chosen.artifact.id} />
        </div>
      </div>
      <div className="mf-gallery-grid">
        {items.map((i) => (
          <button
            type="button"
            key={`${i.runId}/${i.nodeId}/${i.port}`}
            className={`mf-gallery-thumb${i === chosen ? ' mf-current' : ''}`}
            onClick={() => setPick({ runId: i.runId, nodeId: i.nodeId, port: i.port })}
            title={`${i.nodeId}.${i.port} (run ${i.runId.slice(0, 8)})`}
          >
            <img src={api.thumbnailUrl(i.artifact.id, 128)} alt={`${i.nodeId} output`} draggable={false} />
          </button>
        ))}
      </div>
    </div>
  );
}
