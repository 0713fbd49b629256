import { useReactFlow } from '@xyflow/react';
import type { AppEdge, AppNode } from '../graph/flow-types';
import { useEditorStore } from '../store/editor.store';
import { useUiStore } from '../store/ui.store';

/** Every problem with the graph, each tied to its node: click to go there. */
export function ProblemsPanel() {
  const issues = useUiStore((s) => s.issues);
  const flow = useReactFlow<AppNode, AppEdge>();
  if (!issues.length)
    return (
      <div className="mf-muted mf-pad">
        No problems found. The graph is checked with the server's rules when you run it.
      </div>
    );
  return (
    <ul className="mf-problems">
      {issues.map((i, k) => (
        <li key={k}>
          <button
            type="button"
            className="mf-problem"
            disabled={!i.nodeId}
            onClick={() => {
              if (!i.nodeId) return;
              useEditorStore.getState().selectNodes([i.nodeId]);
              void flow.fitView({ nodes: [{ id: i.nodeId }], duration: 300, maxZoom: 1.2 });
            }}
          >
            {i.nodeId && <b>{i.nodeId}</b>} {i.field && <code>{i.field}</code>} {i.message}
          </button>
        </li>
      ))}
    </ul>
  );
}
