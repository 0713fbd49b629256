import { render } from '@testing-library/react';
import { ReactFlow, ReactFlowProvider } from '@xyflow/react';
import { OperationNodeComponent } from '../src/components/operation.node';
import { useEditorStore } from '../src/store/editor.store';

const nodeTypes = { operation: OperationNodeComponent };

/**
 * The editor's graph on a 1000×800 React Flow canvas, following the store.
 * With `changes`, React Flow's node changes (selection, drags) go back to the
 * store, as in the editor: tests that check a node neither moves nor is selected.
 */
export function Canvas({ changes = false }: { changes?: boolean }) {
  const nodes = useEditorStore((s) => s.nodes);
  const edges = useEditorStore((s) => s.edges);
  return (
    <div style={{ width: 1000, height: 800 }}>
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        {...(changes ? { onNodesChange: useEditorStore.getState().onNodesChange } : {})}
      />
    </div>
  );
}

/** Renders the canvas in its provider. */
export function renderCanvas(opts: { changes?: boolean } = {}) {
  return render(
    <ReactFlowProvider>
      <Canvas {...opts} />
    </ReactFlowProvider>,
  );
}
