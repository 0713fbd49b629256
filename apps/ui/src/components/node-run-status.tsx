import type { NodeRunState } from '../store/run-events';

const LABELS: Record<NodeRunState['status'], string> = {
  pending: 'pending',
  queued: 'queued',
  running: 'running',
  cached: 'cached',
  done: 'done',
  failed: 'failed',
  cancelled: 'cancelled',
  skipped: 'skipped',
};

export function formatMs(ms: number | undefined): string {
  if (ms === undefined) return '';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
}

export function StatusChip({ state }: { state: NodeRunState | undefined }) {
  if (!state) return null;
  return (
    <span className={`mf-chip mf-chip-${state.status}`} data-testid="node-status">
      {LABELS[state.status]}
      {state.ms !== undefined && (state.status === 'done' || state.status === 'failed')
        ? ` · ${formatMs(state.ms)}`
        : ''}
    </span>
  );
}

/** A bar while the node runs: determinate when it reports value/max, else a moving stripe. */
export function ProgressBar({ state }: { state: NodeRunState | undefined }) {
  if (!state || state.status !== 'running') return null;
  const known = state.max !== undefined && state.max > 0 && state.value !== undefined;
  const pct = known ? Math.max(0, Math.min(100, (state.value! / state.max!) * 100)) : 0;
  return (
    <div
      className={`mf-progress${known ? '' : ' mf-progress-indeterminate'}`}
      role="progressbar"
      aria-valuemin={0}
      aria-valuemax={state.max}
      aria-valuenow={state.value}
      title={known ? `${state.phase ? `${state.phase}: ` : ''}${state.value}/${state.max}` : state.phase}
    >
      <div className="mf-progress-fill" style={known ? { width: `${pct}%` } : undefined} />
      {known && (
        <span className="mf-progress-text">
          {state.phase ? `${state.phase} ` : ''}
          {state.value}/{state.max}
        </span>
      )}
    </div>
  );
}
