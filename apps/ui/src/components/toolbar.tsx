import { useRef } from 'react';
import { cancelCurrentRun, runGraph } from '../actions/run.actions';
import { exportCurrent, importWorkflowFile, newWorkflow, saveWorkflow } from '../actions/workflow.actions';
import { useEditorStore } from '../store/editor.store';
import { isTerminal } from '../store/run-events';
import { useCurrentRun, useRunStore } from '../store/run.store';
import { MAX_RUN_COUNT, useUiStore } from '../store/ui.store';

const CONNECTION_TEXT = {
  connecting: 'connecting…',
  connected: 'live',
  reconnecting: 'reconnecting…',
  offline: 'offline',
} as const;

function RunSummary() {
  const run = useCurrentRun();
  if (!run) return null;
  const states = Object.values(run.nodes);
  const done = states.filter((n) => n.status === 'done' || n.status === 'cached').length;
  const total = run.order.length || states.length;
  return (
    <span
      className={`mf-run-summary mf-run-${run.status}`}
      data-testid="run-status"
      data-status={run.status}
      data-run-id={run.runId}
      data-seq={run.lastSeq}
    >
      {run.status === 'running' ? `running ${done}/${total}` : run.status}
      {run.error && run.status !== 'finished' ? ` — ${run.error.message.split('\n')[0]}` : ''}
    </span>
  );
}

export function Toolbar() {
  const name = useEditorStore((s) => s.meta.name);
  const saved = useEditorStore((s) => s.meta.id !== undefined);
  const dirty = useEditorStore((s) => s.dirty);
  const canUndo = useEditorStore((s) => s.past.length > 0);
  const canRedo = useEditorStore((s) => s.future.length > 0);
  const selectedOne = useEditorStore((s) => {
    const sel = s.nodes.filter((n) => n.selected);
    return sel.length === 1 ? sel[0].id : undefined;
  });
  const connection = useRunStore((s) => s.connection);
  const runCount = useUiStore((s) => s.runCount);
  const setRunCount = useUiStore((s) => s.setRunCount);
  const run = useCurrentRun();
  const active = run !== undefined && !isTerminal(run.status);
  const file = useRef<HTMLInputElement>(null);

  return (
    <header className="mf-toolbar">
      <span className="mf-logo" title="Maskflow">
        ◐ Maskflow
      </span>
      <input
        className="mf-input mf-name"
        aria-label="Workflow name"
        value={name}
        onChange={(e) => useEditorStore.getState().rename(e.target.value)}
        title={saved ? 'Rename (saved with the next save)' : 'Name for the first save'}
      />
      <span
        className="mf-dirty"
        data-testid="dirty-marker"
        title={dirty ? 'Unsaved changes' : 'Saved'}
        aria-label={dirty ? 'unsaved changes' : 'saved'}
      >
        {dirty ? '● unsaved' : saved ? '✓ saved' : ''}
      </span>
      <div className="mf-toolbar-group">
        <button type="button" className="mf-btn" onClick={newWorkflow} title="New empty workflow">
          New
        </button>
        <button
          type="button"
          className="mf-btn"
          onClick={() => useUiStore.getState().setWorkflowsOpen(true)}
          title="Open, rename, duplicate, delete saved workflows"
        >
          Open…
        </button>
        <button
          type="button"
          className="mf-btn"
          onClick={() => void saveWorkflow()}
          title="Save (Ctrl+S)"
          data-testid="save"
        >
          Save
        </button>
        <button
          type="button"
          className="mf-btn"
          onClick={exportCurrent}
          title="Download this graph as a JSON file"
        >
          Export
        </button>
        <button
          type="button"
          className="mf-btn"
          onClick={() => file.current?.click()}
          title="Import a workflow JSON file"
        >
          Import
        </button>
        <input
          ref={file}
          type="file"
          accept="application/json,.json"
          hidden
          aria-label="Import workflow file"
          onChange={(e) => {
            const f = e.target.files?.[0];
            e.target.value = '';
            if (f) void importWorkflowFile(f);
          }}
        />
      </div>
      <div className="mf-toolbar-group">
        <button
          type="button"
          className="mf-btn"
          disabled={!canUndo}
          onClick={() => useEditorStore.getState().undo()}
          title="Undo (Ctrl+Z)"
          aria-label="Undo"
        >
          ↶
        </button>
        <button
          type="button"
          className="mf-btn"
          disabled={!canRedo}
          onClick={() => useEditorStore.getState().redo()}
          title="Redo (Ctrl+Shift+Z)"
          aria-label="Redo"
        >
          ↷
        </button>
      </div>
      <div className="mf-toolbar-group">
        <button
          type="button"
          className="mf-btn mf-btn-primary"
          onClick={() => void runGraph()}
          title="Run the graph (Ctrl+Enter)"
          data-testid="run"
        >
          ▶ Run
        </button>
        <label
          className="mf-run-count"
          title="Runs one click queues: with a seed set to random each run, each is a new variation"
        >
          ×
          <input
            className="mf-input"
            type="number"
            min={1}
            max={MAX_RUN_COUNT}
            step={1}
            aria-label="Runs per click"
            value={runCount}
            onChange={(e) => setRunCount(Number(e.target.value))}
          />
        </label>
        <button
          type="button"
          className="mf-btn"
          disabled={!selectedOne}
          onClick={() => selectedOne && void runGraph(selectedOne)}
          title={
            selectedOne
              ? `Run only "${selectedOne}" and what it needs (Ctrl+Shift+Enter)`
              : 'Select one node to run up to it'
          }
        >
          ▶ to selected
        </button>
        <button
          type="button"
          className="mf-btn mf-btn-danger"
          disabled={!active}
          onClick={() => void cancelCurrentRun()}
          title="Cancel the run"
          data-testid="cancel"
        >
          ■ Cancel
        </button>
      </div>
      <RunSummary />
      <span
        className={`mf-conn mf-conn-${connection}`}
        title="Connection to the server (events are caught up after a reconnect)"
        data-testid="connection"
      >
        {CONNECTION_TEXT[connection]}
      </span>
    </header>
  );
}
