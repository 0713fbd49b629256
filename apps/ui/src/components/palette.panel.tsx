import { useReactFlow } from '@xyflow/react';
import { useMemo, useState } from 'react';
import type { NodeSpec } from '@maskflow/workflow';
import { PORT_COLORS } from '@maskflow/workflow';
import type { AppEdge, AppNode } from '../graph/flow-types';
import { useEditorStore } from '../store/editor.store';
import { useSpecsStore } from '../store/specs.store';

export const PALETTE_MIME = 'application/x-maskflow-node';

function matches(spec: NodeSpec, words: string[]): boolean {
  const hay =
    `${spec.title} ${spec.type} ${spec.category} ${spec.description} ${spec.inputs.map((p) => p.type).join(' ')} ${spec.outputs.map((p) => p.type).join(' ')}`.toLowerCase();
  return words.every((w) => hay.includes(w));
}

/** Node types by category, searchable; drag one onto the canvas, or click (or Enter) to add it in view. */
export function PalettePanel() {
  const specs = useSpecsStore((s) => s.specs);
  const status = useSpecsStore((s) => s.status);
  const error = useSpecsStore((s) => s.error);
  const [query, setQuery] = useState('');
  const flow = useReactFlow<AppNode, AppEdge>();

  const groups = useMemo(() => {
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    const by = new Map<string, NodeSpec[]>();
    for (const s of specs) {
      if (!matches(s, words)) continue;
      const list = by.get(s.category) ?? [];
      list.push(s);
      by.set(s.category, list);
    }
    return [...by.entries()].sort(([a], [b]) => a.localeCompare(b));
  }, [specs, query]);

  const add = (type: string) => {
    const el = document.querySelector('.mf-canvas');
    const r = el?.getBoundingClientRect();
    const center = r ? { x: r.left + r.width / 2, y: r.top + r.height / 2 } : { x: 400, y: 300 };
    const at = flow.screenToFlowPosition(center);
    // Staggered, so several clicks do not stack nodes exactly on top of each other.
    const n = useEditorStore.getState().nodes.length % 8;
    useEditorStore.getState().addNode(type, { x: at.x - 110 + n * 24, y: at.y - 60 + n * 24 });
  };

  return (
    <aside className="mf-palette" aria-label="Node palette">
      <input
        className="mf-input mf-palette-search"
        type="search"
        placeholder="Search nodes…"
        aria-label="Search nodes"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        onKeyDown={(e) => {
          const first = groups[0]?.[1][0];
          if (e.key === 'Enter' && first) add(first.type);
        }}
      />
      {status === 'loading' && <div className="mf-muted">Loading node types…</div>}
      {status === 'error' && <div className="mf-field-error">Cannot load node types: {error}</div>}
      {status === 'ready' && !groups.length && <div className="mf-muted">No node matches "{query}".</div>}
      <div className="mf-palette-list">
        {groups.map(([category, list]) => (
          <section key={category}>
            <h3>{category}</h3>
            {list.map((s) => (
              <button
                type="button"
                key={s.type}
                className="mf-palette-item"
                data-node-type={s.type}
                draggable
                title={`${s.description}\n\nClick to add, or drag onto the canvas.`}
                onDragStart={(e) => {
                  e.dataTransfer.setData(PALETTE_MIME, s.type);
                  e.dataTransfer.effectAllowed = 'copy';
                }}
                onClick={() => add(s.type)}
              >
                <span className="mf-palette-title">{s.title}</span>
                <span className="mf-palette-ports">
                  {s.inputs.map((p) => (
                    <i
                      key={`i${p.name}`}
                      style={{ background: PORT_COLORS[p.type] }}
                      title={`in ${p.name}: ${p.type}`}
                    />
                  ))}
                  <b>→</b>
                  {s.outputs.map((p) => (
                    <i
                      key={`o${p.name}`}
                      style={{ background: PORT_COLORS[p.type] }}
                      title={`out ${p.name}: ${p.type}`}
                    />
                  ))}
                </span>
              </button>
            ))}
          </section>
        ))}
      </div>
      <div className="mf-legend">
        {Object.entries(PORT_COLORS).map(([t, c]) => (
          <span key={t}>
            <i style={{ background: c }} />
            {t}
          </span>
        ))}
      </div>
    </aside>
  );
}
