import { Background, Controls, MiniMap, ReactFlow, useNodesInitialized, useReactFlow } from '@xyflow/react';
import type {
  Connection,
  FinalConnectionState,
  IsValidConnection,
  NodeTypes,
  OnConnectEnd,
} from '@xyflow/react';
import { useCallback, useEffect, useRef } from 'react';
import type { DragEvent } from 'react';
import { PORT_COLORS } from '@maskflow/workflow';
import { checkConnection } from '../graph/connection-rules';
import type { AppEdge, AppNode } from '../graph/flow-types';
import { setBeforeLoad, useEditorStore } from '../store/editor.store';
import { specOf, useSpecsStore } from '../store/specs.store';
import { toast } from '../store/ui.store';
import { OperationNodeComponent, UnknownNodeComponent } from './operation.node';
import { PALETTE_MIME } from './palette.panel';

/** Module scope, so React Flow never sees a new object and never re-mounts the nodes. */
const nodeTypes = { operation: OperationNodeComponent, unknown: UnknownNodeComponent } satisfies NodeTypes;

/** React Flow passes the candidate connection while the user drags; the shared rules decide. */
const isValidConnection: IsValidConnection<AppEdge> = (c) => {
  const s = useEditorStore.getState();
  const types = new Map(s.nodes.map((n) => [n.id, n.data.type]));
  return checkConnection(c, { typeOf: (id) => types.get(id), spec: specOf, edges: s.edges }).ok;
};

/** Explains a refused drop (wrong type, cycle) instead of silently doing nothing. */
const onConnectEnd: OnConnectEnd = (_event, state: FinalConnectionState) => {
  if (state.isValid !== false || !state.fromHandle || !state.toHandle) return;
  const from = state.fromHandle.type === 'source' ? state.fromHandle : state.toHandle;
  const to = state.fromHandle.type === 'source' ? state.toHandle : state.fromHandle;
  const s = useEditorStore.getState();
  const types = new Map(s.nodes.map((n) => [n.id, n.data.type]));
  const verdict = checkConnection(
    { source: from.nodeId, sourceHandle: from.id, target: to.nodeId, targetHandle: to.id },
    { typeOf: (id) => types.get(id), spec: specOf, edges: s.edges },
  );
  if (!verdict.ok) toast('error', `Not connected: ${verdict.message}`);
};

const onConnect = (c: Connection) => {
  const verdict = useEditorStore.getState().connect(c);
  if (!verdict.ok) toast('error', `Not connected: ${verdict.message}`);
};

const onNodeDragStart = () => useEditorStore.getState().beginDrag();

/**
 * The pane swallows mousedown (d3-zoom prevents the default), so a text field
 * would keep the focus and the editor's keys (Delete, Ctrl+Z, Ctrl+V) would
 * go to it: clicking the canvas takes the focus away from fields.
 */
function blurFields(): void {
  const el = document.activeElement as HTMLElement | null;
  if (el && el !== document.body && el.closest('input, textarea, select, [contenteditable]')) el.blur();
}

function minimapColor(n: AppNode): string {
  const spec = specOf(n.data.type);
  const port = spec?.outputs[0]?.type;
  return port ? PORT_COLORS[port] : '#bbb';
}

/**
 * Fits the view once per loaded document, when its nodes have been measured.
 * (React Flow's own `fitView` prop would also re-centre on the first node
 * dropped onto an empty canvas, moving it away from under the pointer.)
 */
function useFitOnLoad(nodeCount: number): void {
  const generation = useEditorStore((s) => s.loadGeneration);
  const initialized = useNodesInitialized();
  const flow = useReactFlow<AppNode, AppEdge>();
  const fitted = useRef(-1);
  // Big documents: frame the estimated bounds before their nodes render, so they render once, at the right detail.
  useEffect(() => {
    setBeforeLoad((wf) => {
      if (wf.nodes.length < 40) return;
      const xs = wf.nodes.map((n) => n.position.x);
      const ys = wf.nodes.map((n) => n.position.y);
      const x = Math.min(...xs);
      const y = Math.min(...ys);
      void flow.fitBounds(
        { x, y, width: Math.max(...xs) - x + 250, height: Math.max(...ys) - y + 320 },
        { padding: 0.15 },
      );
    });
    return () => setBeforeLoad(undefined);
  }, [flow]);
  useEffect(() => {
    if (fitted.current === generation) return;
    if (nodeCount === 0) {
      fitted.current = generation;
      return;
    }
    if (!initialized) return;
    fitted.current = generation;
    void flow.fitView({ padding: 0.15, maxZoom: 1 });
  }, [generation, initialized, nodeCount, flow]);
}

export function FlowCanvas() {
  const nodes = useEditorStore((s) => s.nodes);
  const edges = useEditorStore((s) => s.edges);
  const onNodesChange = useEditorStore((s) => s.onNodesChange);
  const onEdgesChange = useEditorStore((s) => s.onEdgesChange);
  const ready = useSpecsStore((s) => s.status);
  const flow = useReactFlow<AppNode, AppEdge>();
  useFitOnLoad(nodes.length);

  const onDragOver = useCallback((e: DragEvent) => {
    if (!e.dataTransfer.types.includes(PALETTE_MIME)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
  }, []);

  const onDrop = useCallback(
    (e: DragEvent) => {
      const type = e.dataTransfer.getData(PALETTE_MIME);
      if (!type) return;
      e.preventDefault();
      const at = flow.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      useEditorStore.getState().addNode(type, { x: at.x - 110, y: at.y - 20 });
    },
    [flow],
  );

  return (
    <div className="mf-canvas" onDragOver={onDragOver} onDrop={onDrop} data-testid="canvas">
      <ReactFlow<AppNode, AppEdge>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        onConnectEnd={onConnectEnd}
        isValidConnection={isValidConnection}
        onNodeDragStart={onNodeDragStart}
        onPaneClick={blurFields}
        onNodeClick={blurFields}
        deleteKeyCode={null}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={['Meta', 'Control']}
        minZoom={0.05}
        maxZoom={2.5}
        proOptions={{ hideAttribution: true }}
        connectionRadius={28}
      >
        <Background gap={20} size={1} />
        <Controls showInteractive={false} />
        <MiniMap<AppNode> pannable zoomable nodeColor={minimapColor} />
      </ReactFlow>
      {nodes.length === 0 && ready === 'ready' && (
        <div className="mf-empty-hint">
          <p>
            <b>Drag a node from the palette</b> (or click it) to start.
          </p>
          <p>
            Connect an output (right) to an input of the same colour (left). Set the params, then{' '}
            <kbd>Ctrl</kbd>+<kbd>Enter</kbd> runs the graph.
          </p>
        </div>
      )}
    </div>
  );
}
