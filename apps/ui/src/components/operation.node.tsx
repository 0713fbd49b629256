import { Handle, Position, useStore } from '@xyflow/react';
import type { ReactFlowState } from '@xyflow/react';
import type { NodeProps } from '@xyflow/react';
import { memo, useCallback, useLayoutEffect, useRef } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { PortSpec } from '@maskflow/workflow';
import { PORT_COLORS } from '@maskflow/workflow';
import type { OperationNode, UnknownNode } from '../graph/flow-types';
import { exposedIndex, fedInputsIndex } from '../graph/graph-index';
import type { ParamField } from '../graph/param-fields';
import { paramFields } from '../graph/param-fields';
import { useEditorStore } from '../store/editor.store';
import { useNodeRunState, useRunStore } from '../store/run.store';
import { useSpecsStore } from '../store/specs.store';
import { useUiStore } from '../store/ui.store';
import { NodeOutputs } from './node-outputs';
import { ProgressBar, StatusChip } from './node-run-status';
import { ParamWidget } from './widgets/param.widget';

function PortRow({
  port,
  side,
  connected,
  nodeId,
}: {
  port: PortSpec;
  side: 'in' | 'out';
  connected: boolean;
  nodeId: string;
}) {
  const color = PORT_COLORS[port.type] ?? '#999';
  const missing = side === 'in' && !port.optional && !connected;
  return (
    <div
      className={`mf-port mf-port-${side}${missing ? ' mf-port-missing' : ''}`}
      title={`${port.type}${port.optional ? ' (optional)' : ''}${port.description ? ` — ${port.description}` : ''}`}
    >
      <Handle
        id={port.name}
        type={side === 'in' ? 'target' : 'source'}
        position={side === 'in' ? Position.Left : Position.Right}
        className={`mf-handle mf-handle-${port.type}`}
        style={{ background: color, borderColor: color }}
        data-porttype={port.type}
        aria-label={`${nodeId} ${side === 'in' ? 'input' : 'output'} ${port.name} (${port.type})`}
      />
      <span className="mf-port-label">
        {port.label ?? port.name}
        {side === 'in' && port.optional ? <em> opt</em> : null}
      </span>
      <span className="mf-port-type" style={{ color }}>
        {port.type}
      </span>
    </div>
  );
}

/**
 * Below this zoom, text is unreadable and widgets cannot be used: nodes draw
 * their frame, title, state, progress and ports only (like ComfyUI's
 * low-quality mode), which keeps big graphs fast to open and to drag in.
 */
export const LOW_DETAIL_ZOOM = 0.45;
const zoomedOut = (s: ReactFlowState) => s.transform[2] < LOW_DETAIL_ZOOM;

/** Placeholder heights per widget kind, for nodes never drawn in full detail yet. */
const LOD_HEIGHTS: Record<ParamField['kind'], number> = {
  slider: 44,
  number: 44,
  select: 44,
  text: 44,
  seed: 62,
  image: 150,
  model: 44,
  color: 40,
  boolean: 36,
  boxes: 220,
  points: 220,
  json: 56,
};

/** A node of a known type: ports, widgets from its param schema, and its state in the current run. */
function OperationNodeView({ id, data, selected }: NodeProps<OperationNode>) {
  const spec = useSpecsStore((s) => s.byType.get(data.type));
  const run = useNodeRunState(id);
  const runId = useRunStore((s) => s.currentRunId);
  const issues = useUiStore(useShallow((s) => s.issues.filter((i) => i.nodeId === id)));
  // Strings from shared indexes: O(1) per node per store change, and stable unless this node's edges or exposures change.
  const fed = useEditorStore((s) => fedInputsIndex(s.edges).get(id) ?? '');
  const exposed = useEditorStore((s) => exposedIndex(s.inputs).get(id) ?? '');
  const setParam = useCallback(
    (name: string, value: unknown) => useEditorStore.getState().setParam(id, name, value),
    [id],
  );
  const lowDetail = useStore(zoomedOut);
  // The box keeps its full-detail height when zoomed out, so the layout does not jump.
  const root = useRef<HTMLDivElement>(null);
  const fullHeight = useRef<number | undefined>(undefined);
  useLayoutEffect(() => {
    if (!lowDetail && root.current) fullHeight.current = root.current.offsetHeight;
  });

  if (!spec) return null;
  const fedSet = new Set(fed.split('\u0000'));
  const exposedMap = new Map(
    exposed ? exposed.split('\u0000').map((kv) => kv.split('=') as [string, string]) : [],
  );
  const fields = paramFields(spec);
  const status = run?.status ?? 'idle';

  return (
    <div
      ref={root}
      className={`mf-node mf-status-${status}${selected ? ' mf-selected' : ''}${issues.length ? ' mf-has-issues' : ''}${lowDetail ? ' mf-low-detail' : ''}`}
      data-node-id={id}
      data-status={status}
      style={lowDetail && fullHeight.current ? { minHeight: fullHeight.current } : undefined}
    >
      <div className="mf-node-header" title={spec.description}>
        <span className="mf-node-title">{data.title ?? spec.title}</span>
        <span className="mf-node-id">{id}</span>
        <StatusChip state={run} />
      </div>
      <ProgressBar state={run} />
      <div className="mf-node-ports">
        <div className="mf-ports-in">
          {spec.inputs.map((p) => (
            <PortRow key={p.name} port={p} side="in" connected={fedSet.has(p.name)} nodeId={id} />
          ))}
        </div>
        <div className="mf-ports-out">
          {spec.outputs.map((p) => (
            <PortRow key={p.name} port={p} side="out" connected nodeId={id} />
          ))}
        </div>
      </div>
      {lowDetail && !fullHeight.current && fields.length > 0 && (
        <div className="mf-node-params-lod">
          {fields.map((f) => (
            <div key={f.name} className="mf-param-lod" style={{ height: LOD_HEIGHTS[f.kind] }} />
          ))}
        </div>
      )}
      {!lowDetail && fields.length > 0 && (
        <div className="mf-node-params">
          {fields.map((f) => {
            const inputName = exposedMap.get(f.name);
            const problem = issues.find((i) => i.field === f.name || i.field?.startsWith(`${f.name}.`));
            return (
              <div
                key={f.name}
                className={`mf-param mf-param-${f.kind}${problem ? ' mf-param-problem' : ''}`}
                data-param={f.name}
              >
                <div className="mf-param-head">
                  <label htmlFor={`${id}.${f.name}`} title={f.description}>
                    {f.label}
                    {f.required ? <span className="mf-required">*</span> : null}
                  </label>
                  <button
                    type="button"
                    className={`mf-expose nodrag${inputName ? ' mf-exposed' : ''}`}
                    title={
                      inputName
                        ? `Exposed as workflow input "${inputName}" (click to stop)`
                        : 'Expose as a workflow input (set it per run without knowing node ids)'
                    }
                    aria-label={inputName ? `Stop exposing ${f.name}` : `Expose ${f.name} as input`}
                    onClick={() =>
                      inputName
                        ? useEditorStore.getState().unexposeInput(inputName)
                        : useEditorStore.getState().exposeParam(id, f.name)
                    }
                  >
                    {inputName ? `⇱ ${inputName}` : '⇱'}
                  </button>
                </div>
                <ParamWidget
                  field={f}
                  value={data.params[f.name]}
                  onChange={(v) => setParam(f.name, v)}
                  idPrefix={`${id}.${f.name}`}
                  nodeId={id}
                  usedSeed={f.kind === 'seed' ? run?.usedSeed : undefined}
                />
                {problem && <div className="mf-field-error">{problem.message}</div>}
              </div>
            );
          })}
        </div>
      )}
      {issues
        .filter((i) => !fields.some((f) => i.field === f.name || i.field?.startsWith(`${f.name}.`)))
        .map((i, k) => (
          <div key={k} className="mf-node-issue">
            {i.message}
          </div>
        ))}
      {run?.status === 'failed' && run.error && (
        <div className="mf-node-error" role="alert" data-testid="node-error">
          {run.error.message}
        </div>
      )}
      {run?.warnings?.map((w, k) => (
        <div key={k} className="mf-node-warning">
          {w}
        </div>
      ))}
      {run?.preview && !lowDetail && (
        <img
          className="mf-node-preview"
          src={run.preview.url}
          alt={`${id} step preview`}
          data-testid="node-preview"
          draggable={false}
        />
      )}
      {run?.outputs && runId && !lowDetail && (
        <NodeOutputs
          runId={runId}
          nodeId={id}
          outputs={run.outputs}
          // An upload node shows its picture (and painted mask) in its widget already.
          previews={!fields.some((f) => f.kind === 'image')}
        />
      )}
    </div>
  );
}

export const OperationNodeComponent = memo(OperationNodeView);

/** A node whose type the server does not know: shown, kept and saved as it was, but not runnable. */
function UnknownNodeView({ id, data, selected }: NodeProps<UnknownNode>) {
  const ports = useEditorStore(
    useShallow((s) => {
      const ins = s.edges.filter((e) => e.target === id).map((e) => e.targetHandle ?? '');
      const outs = s.edges.filter((e) => e.source === id).map((e) => e.sourceHandle ?? '');
      return [...new Set(ins)].map((h) => `in:${h}`).concat([...new Set(outs)].map((h) => `out:${h}`));
    }),
  );
  return (
    <div
      className={`mf-node mf-node-unknown${selected ? ' mf-selected' : ''}`}
      data-node-id={id}
      data-status="unknown"
    >
      <div className="mf-node-header">
        <span className="mf-node-title">{data.title ?? data.type}</span>
        <span className="mf-node-id">{id}</span>
      </div>
      <div className="mf-node-issue">
        This server has no node type "{data.type}". The node is kept as it is but cannot run.
      </div>
      {ports.map((p) => {
        const [side, name] = [p.slice(0, p.indexOf(':')), p.slice(p.indexOf(':') + 1)];
        return (
          <div key={p} className={`mf-port mf-port-${side}`}>
            <Handle
              id={name}
              type={side === 'in' ? 'target' : 'source'}
              position={side === 'in' ? Position.Left : Position.Right}
              className="mf-handle"
              isConnectable={false}
            />
            <span className="mf-port-label">{name}</span>
          </div>
        );
      })}
      <pre className="mf-unknown-params">{JSON.stringify(data.params, null, 1)}</pre>
    </div>
  );
}

export const UnknownNodeComponent = memo(UnknownNodeView);
