import { useCallback, useEffect, useState } from 'react';
import type { RunRecord } from '@maskflow/workflow';
import { api } from '../api/api.client';
import { errorMessage } from '../api/run-channel';
import { cancelRun, reopenRun, rerun } from '../actions/run.actions';
import { isTerminal } from '../store/run-events';
import { useCurrentRun, useRunStore } from '../store/run.store';
import { toast } from '../store/ui.store';
import { formatMs } from './node-run-status';

function duration(r: RunRecord): string {
  if (!r.startedAt) return '';
  const end = r.finishedAt ? Date.parse(r.finishedAt) : Date.now();
  return formatMs(end - Date.parse(r.startedAt));
}

/** The current run, and the server's run history with re-open, re-run, cancel and delete. */
export function RunsPanel() {
  const current = useCurrentRun();
  const currentId = useRunStore((s) => s.currentRunId);
  const [items, setItems] = useState<RunRecord[]>();
  const [error, setError] = useState<string>();

  const reload = useCallback(() => {
    api
      .listRuns({ limit: 50 })
      .then((l) => {
        setItems(l.items);
        setError(undefined);
      })
      .catch((err: unknown) => setError(errorMessage(err)));
  }, []);

  // Refresh when the current run changes state (queued → running → finished).
  const status = current?.status;
  useEffect(() => reload(), [reload, currentId, status]);

  return (
    <div className="mf-runs">
      <div className="mf-runs-head">
        <b>Run history</b>
        <button type="button" className="mf-btn mf-btn-small" onClick={reload}>
          Refresh
        </button>
      </div>
      {error && <div className="mf-field-error">{error}</div>}
      {items?.length === 0 && <div className="mf-muted mf-pad">No runs yet.</div>}
      <ul className="mf-run-list">
        {items?.map((r) => (
          <li
            key={r.id}
            className={`mf-run-row${r.id === currentId ? ' mf-current' : ''}`}
            data-run-id={r.id}
          >
            <div>
              <span className={`mf-chip mf-chip-run-${r.status}`}>{r.status}</span>{' '}
              <span className="mf-muted">{new Date(r.createdAt).toLocaleTimeString()}</span>{' '}
              <span className="mf-muted">{duration(r)}</span>
              {r.workflowId && <span className="mf-muted"> · {r.workflowId}</span>}
              {r.target && <span className="mf-muted"> · up to {r.target}</span>}
            </div>
            {r.error && <div className="mf-run-error">{r.error.message.split('\n')[0]}</div>}
            <div className="mf-run-actions">
              <button
                type="button"
                className="mf-btn mf-btn-small"
                onClick={() => void reopenRun(r.id)}
                title="Show this run's graph, node states and outputs"
              >
                Open
              </button>
              <button
                type="button"
                className="mf-btn mf-btn-small"
                onClick={() => void rerun(r.id).then(reload)}
                title="Run the same graph and inputs again"
              >
                Re-run
              </button>
              {!isTerminal(r.status) ? (
                <button
                  type="button"
                  className="mf-btn mf-btn-small mf-btn-danger"
                  onClick={() => void cancelRun(r.id).then(reload)}
                >
                  Cancel
                </button>
              ) : (
                <button
                  type="button"
                  className="mf-btn mf-btn-small"
                  onClick={() =>
                    void api
                      .deleteRun(r.id)
                      .then(() => {
                        useRunStore.getState().forget(r.id);
                        reload();
                      })
                      .catch((err: unknown) => toast('error', `Delete failed: ${errorMessage(err)}`))
                  }
                >
                  Delete
                </button>
              )}
            </div>
          </li>
        ))}
      </ul>
    </div>
  );
}
