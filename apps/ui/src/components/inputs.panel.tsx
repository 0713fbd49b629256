import { useState } from 'react';
import { paramFields } from '../graph/param-fields';
import { useEditorStore } from '../store/editor.store';
import { useSpecsStore } from '../store/specs.store';
import { ParamWidget } from './widgets/param.widget';

function InputName({ name }: { name: string }) {
  const [draft, setDraft] = useState(name);
  const [bad, setBad] = useState(false);
  return (
    <input
      className={`mf-input mf-input-name${bad ? ' mf-invalid' : ''}`}
      aria-label={`Input name ${name}`}
      title="The name a caller uses (letters, digits, _ and -)"
      value={draft}
      onChange={(e) => {
        setDraft(e.target.value);
        setBad(false);
      }}
      onBlur={() => {
        if (!useEditorStore.getState().renameInput(name, draft)) {
          setBad(draft !== name);
          if (draft !== name) setTimeout(() => setDraft(name), 1500);
        }
      }}
      onKeyDown={(e) => e.key === 'Enter' && (e.target as HTMLInputElement).blur()}
    />
  );
}

/**
 * The workflow's exposed inputs: the params a remote caller sets by name
 * (`--input prompt=…`), editable here without hunting for the node.
 */
export function InputsPanel() {
  const inputs = useEditorStore((s) => s.inputs);
  const nodes = useEditorStore((s) => s.nodes);
  const byType = useSpecsStore((s) => s.byType);
  const entries = Object.entries(inputs);
  if (!entries.length) {
    return (
      <div className="mf-muted mf-pad">
        No exposed inputs. Click <b>⇱</b> next to a param on a node to expose it: it shows here, and callers
        of the saved workflow (API, CLI <code>--input</code>) can set it by name.
      </div>
    );
  }
  return (
    <ul className="mf-inputs">
      {entries.map(([name, ref]) => {
        const node = nodes.find((n) => n.id === ref.node);
        const spec = node ? byType.get(node.data.type) : undefined;
        const field = spec ? paramFields(spec).find((f) => f.name === ref.param) : undefined;
        return (
          <li key={name} className="mf-input-row" data-input={name}>
            <div className="mf-input-head">
              <InputName key={name} name={name} />
              <button
                type="button"
                className="mf-link-btn"
                onClick={() => useEditorStore.getState().selectNodes([ref.node])}
                title="Select the node"
              >
                {ref.node}.{ref.param}
              </button>
              <button
                type="button"
                className="mf-icon-btn"
                aria-label={`Stop exposing ${name}`}
                title="Stop exposing"
                onClick={() => useEditorStore.getState().unexposeInput(name)}
              >
                ✕
              </button>
            </div>
            <input
              className="mf-input mf-input-label"
              placeholder="Label (optional)"
              aria-label={`Label of ${name}`}
              value={ref.label ?? ''}
              onChange={(e) => useEditorStore.getState().setInputLabel(name, e.target.value)}
            />
            {node && field ? (
              <ParamWidget
                field={field}
                value={node.data.params[ref.param]}
                onChange={(v) => useEditorStore.getState().setParam(ref.node, ref.param, v)}
                idPrefix={`input.${name}`}
                nodeId={ref.node}
              />
            ) : (
              <div className="mf-field-error">
                points at {node ? `an unknown param "${ref.param}"` : `a missing node "${ref.node}"`}
              </div>
            )}
          </li>
        );
      })}
    </ul>
  );
}
