import { create } from 'zustand';
import type { RunEvent, RunRecord } from '@maskflow/workflow';
import { FrameBatcher } from './frame-batcher';
import type { NodeRunState, RunView } from './run-events';
import { applyRunEvent, cleanOutputs, emptyRun, isTerminal } from './run-events';

export interface RunStoreState {
  /** Every run the editor has seen this session, by id. */
  runs: Record<string, RunView>;
  /** The run whose states are drawn on the nodes. */
  currentRunId?: string;
  /** Socket state, for the toolbar. */
  connection: 'connecting' | 'connected' | 'reconnecting' | 'offline';
  setCurrent(runId: string | undefined): void;
  /** Folds a batch of events in (one state change for all of them). */
  applyEvents(events: readonly RunEvent[]): void;
  /** Seeds or refreshes a run from its REST record (re-open from history). */
  hydrate(record: RunRecord): void;
  setConnection(c: RunStoreState['connection']): void;
  forget(runId: string): void;
}

/**
 * The one store for run state. Node components select their own node's
 * state (`useNodeRunState`), so a progress event re-renders one node.
 */
export const useRunStore = create<RunStoreState>()((set, get) => ({
  runs: {},
  currentRunId: undefined,
  connection: 'connecting',
  setCurrent: (currentRunId) => set({ currentRunId }),
  applyEvents(events) {
    if (!events.length) return;
    const runs = { ...get().runs };
    for (const e of events) runs[e.runId] = applyRunEvent(runs[e.runId] ?? emptyRun(e.runId), e);
    set({ runs });
  },
  hydrate(record) {
    const prev = get().runs[record.id] ?? emptyRun(record.id, record.status);
    const nodes: Record<string, NodeRunState> = { ...prev.nodes };
    for (const [id, raw] of Object.entries(record.nodes)) {
      const s = raw as Partial<NodeRunState> & { status?: string };
      if (nodes[id] && prev.lastSeq >= record.lastSeq) continue;
      const status =
        (['pending', 'running', 'cached', 'done', 'failed', 'cancelled', 'skipped'] as const).find(
          (x) => x === s.status,
        ) ?? 'pending';
      nodes[id] = {
        ...nodes[id],
        status: isTerminal(record.status) && status === 'pending' ? 'skipped' : status,
        ...(typeof s.ms === 'number' ? { ms: s.ms } : {}),
      };
    }
    // Previews in a stored record are checked as the events' are.
    const recordOutputs = Object.fromEntries(
      Object.entries(record.outputs).map(([id, outs]) => [id, cleanOutputs(outs)]),
    );
    for (const [id, outs] of Object.entries(recordOutputs))
      nodes[id] = {
        ...nodes[id],
        status: nodes[id]?.status ?? 'done',
        // What the node's events brought (previews included) wins, as for the run's outputs below.
        outputs: { ...outs, ...nodes[id]?.outputs },
      };
    const view: RunView = {
      ...prev,
      status: prev.lastSeq > record.lastSeq ? prev.status : record.status,
      workflowId: record.workflowId,
      target: record.target,
      nodes,
      outputs: { ...recordOutputs, ...prev.outputs },
      ...(record.error ? { error: record.error } : {}),
      ...(record.graph ? { graph: record.graph } : {}),
    };
    set({ runs: { ...get().runs, [record.id]: view } });
  },
  setConnection: (connection) => set({ connection }),
  forget(runId) {
    const { [runId]: _gone, ...runs } = get().runs;
    set({ runs, ...(get().currentRunId === runId ? { currentRunId: undefined } : {}) });
  },
}));

/** Socket events go through here: batched to one store update per animation frame. */
export const runEventBatcher = new FrameBatcher<RunEvent>((events) =>
  useRunStore.getState().applyEvents(events),
);

const IDLE: NodeRunState | undefined = undefined;

/** One node's state in the current run (undefined when it has none). */
export function useNodeRunState(nodeId: string): NodeRunState | undefined {
  return useRunStore((s) => (s.currentRunId ? (s.runs[s.currentRunId]?.nodes[nodeId] ?? IDLE) : IDLE));
}

export function useCurrentRun(): RunView | undefined {
  return useRunStore((s) => (s.currentRunId ? s.runs[s.currentRunId] : undefined));
}
