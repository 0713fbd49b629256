import { useCallback, useEffect, useState } from 'react';
import type { WorkflowRecord } from '@maskflow/workflow';
import { api } from '../api/api.client';
import { errorMessage } from '../api/run-channel';
import {
  deleteWorkflow,
  duplicateWorkflow,
  newWorkflow,
  openWorkflow,
  renameWorkflow,
} from '../actions/workflow.actions';
import { useEditorStore } from '../store/editor.store';
import { useUiStore } from '../store/ui.store';

function Row({ w, current, reload }: { w: WorkflowRecord; current: boolean; reload(): void }) {
  const [renaming, setRenaming] = useState<string>();
  return (
    <li className={`mf-wf-row${current ? ' mf-current' : ''}`} data-workflow-id={w.id}>
      {renaming === undefined ? (
        <button
          type="button"
          className="mf-wf-open"
          onClick={() => void openWorkflow(w.id)}
          title={w.description || 'Open'}
        >
          <span className="mf-wf-name">{w.name}</span>
          <span className="mf-muted">
            {w.graph.nodes.length} nodes · rev {w.revision} · {new Date(w.updatedAt).toLocaleString()}
          </span>
        </button>
      ) : (
        <form
          className="mf-wf-rename"
          onSubmit={(e) => {
            e.preventDefault();
            void renameWorkflow(w.id, renaming).then(() => {
              setRenaming(undefined);
              reload();
            });
          }}
        >
          <input
            className="mf-input"
            autoFocus
            aria-label="New name"
            value={renaming}
            onChange={(e) => setRenaming(e.target.value)}
          />
          <button type="submit" className="mf-btn mf-btn-small">
            OK
          </button>
          <button type="button" className="mf-btn mf-btn-small" onClick={() => setRenaming(undefined)}>
            Cancel
          </button>
        </form>
      )}
      <div className="mf-wf-actions">
        <button type="button" className="mf-btn mf-btn-small" onClick={() => setRenaming(w.name)}>
          Rename
        </button>
        <button
          type="button"
          className="mf-btn mf-btn-small"
          onClick={() => void duplicateWorkflow(w.id).then(reload)}
        >
          Duplicate
        </button>
        <a className="mf-btn mf-btn-small" href={api.exportWorkflowUrl(w.id)} download>
          Export
        </a>
        <button
          type="button"
          className="mf-btn mf-btn-small mf-btn-danger"
          onClick={() => void deleteWorkflow(w.id, w.name).then((ok) => ok && reload())}
        >
          Delete
        </button>
      </div>
    </li>
  );
}

export function WorkflowsDialog() {
  const open = useUiStore((s) => s.workflowsOpen);
  const currentId = useEditorStore((s) => s.meta.id);
  const [list, setList] = useState<WorkflowRecord[]>();
  const [error, setError] = useState<string>();
  const [filter, setFilter] = useState('');

  const reload = useCallback(() => {
    api
      .listWorkflows()
      .then((l) => {
        setList([...l].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt)));
        setError(undefined);
      })
      .catch((err: unknown) => setError(errorMessage(err)));
  }, []);

  useEffect(() => {
    if (open) reload();
  }, [open, reload]);

  if (!open) return null;
  const shown = (list ?? []).filter((w) => w.name.toLowerCase().includes(filter.toLowerCase()));
  return (
    <div
      className="mf-modal-backdrop"
      role="presentation"
      onClick={(e) => e.target === e.currentTarget && useUiStore.getState().setWorkflowsOpen(false)}
    >
      <div
        className="mf-modal mf-modal-wide"
        role="dialog"
        aria-modal="true"
        aria-labelledby="mf-wf-title"
        data-testid="workflows-dialog"
      >
        <div className="mf-modal-head">
          <h2 id="mf-wf-title">Workflows</h2>
          <input
            className="mf-input"
            type="search"
            placeholder="Filter…"
            aria-label="Filter workflows"
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
          />
          <button type="button" className="mf-btn" onClick={newWorkflow}>
            New
          </button>
          <button
            type="button"
            className="mf-btn"
            aria-label="Close"
            onClick={() => useUiStore.getState().setWorkflowsOpen(false)}
          >
            ✕
          </button>
        </div>
        {error && <div className="mf-field-error">{error}</div>}
        {list === undefined && !error && <div className="mf-muted">Loading…</div>}
        {list !== undefined && !shown.length && (
          <div className="mf-muted">
            No saved workflows{filter ? ` match "${filter}"` : ' yet: build one and press Save'}.
          </div>
        )}
        <ul className="mf-wf-list">
          {shown.map((w) => (
            <Row key={w.id} w={w} current={w.id === currentId} reload={reload} />
          ))}
        </ul>
      </div>
    </div>
  );
}
