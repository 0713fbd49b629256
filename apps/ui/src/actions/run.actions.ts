import type { Workflow } from '@maskflow/workflow';
import { validateWorkflow } from '@maskflow/workflow';
import { api } from '../api/api.client';
import { ApiRequestError } from '../api/http';
import { errorMessage, RunChannel } from '../api/run-channel';
import type { SocketLike } from '../api/run-channel';
import { connectSocket } from '../api/socket';
import { currentWorkflow, useEditorStore } from '../store/editor.store';
import { emptyRun, isTerminal } from '../store/run-events';
import { runEventBatcher, useRunStore } from '../store/run.store';
import { useSpecsStore } from '../store/specs.store';
import { toast, useUiStore } from '../store/ui.store';
import { setLocationWorkflow } from './workflow.actions';

let channel: RunChannel | undefined;

/** Opens the socket and wires run events into the store (batched per frame). */
export function startRunChannel(socket: SocketLike = connectSocket()): RunChannel {
  channel = new RunChannel({
    socket,
    onEvents: (events) => runEventBatcher.push(...events),
    fetchEvents: async (runId, after) => (await api.runEvents(runId, after)).events,
    onConnection: (state) => useRunStore.getState().setConnection(state),
    onError: (message) => console.warn(`[maskflow] ${message}`),
  });
  return channel;
}

function requireChannel(): RunChannel {
  return (channel ??= startRunChannel());
}

/** Remembers the graph a run was started with (the gallery finds the "before" image in it); the current run shows on the canvas. */
function noteRun(runId: string, graph: Workflow | undefined, current = true): void {
  const runs = useRunStore.getState().runs;
  const view = runs[runId] ?? emptyRun(runId);
  useRunStore.setState({
    runs: { ...runs, [runId]: { ...view, ...(graph ? { graph } : {}) } },
    ...(current ? { currentRunId: runId } : {}),
  });
}

/**
 * Runs the open graph, or only `target` and what it needs, `count` times
 * (the toolbar's runs per click). The graph is checked first with the
 * server's own validator, so problems show on the nodes before anything is
 * sent. The first run shows on the canvas; the others queue behind it and
 * their images join the gallery. Answers the first run's id.
 */
export async function runGraph(
  target?: string,
  count = useUiStore.getState().runCount,
): Promise<string | undefined> {
  const specs = useSpecsStore.getState();
  const editor = useEditorStore.getState();
  const wf = currentWorkflow();
  if (!wf.nodes.length) {
    toast('info', 'Add some nodes first: drag them from the palette on the left.');
    return undefined;
  }
  const { issues } = validateWorkflow(wf, specs.catalog, target ? { target } : {});
  const ui = useUiStore.getState();
  if (issues.length) {
    ui.setIssues(issues);
    ui.setSideTab('problems');
    toast(
      'error',
      `The graph has ${issues.length} problem${issues.length === 1 ? '' : 's'}; they are marked on the nodes.`,
    );
    return undefined;
  }
  ui.setIssues([]);
  // A saved, unchanged workflow runs by id (the run is then listed under it); anything else runs as a graph.
  const body =
    editor.meta.id && !editor.dirty
      ? { workflowId: editor.meta.id, ...(target ? { target } : {}) }
      : { workflow: wf, ...(target ? { target } : {}) };
  const ch = requireChannel();
  let first: string | undefined;
  try {
    for (let k = 0; k < count; k++) {
      let runId: string;
      if (ch.connected) {
        runId = (await ch.submit(body)).runId;
      } else {
        runId = (await api.submitRun(body)).id;
        void ch.follow(runId, 0);
      }
      noteRun(runId, wf, k === 0);
      first ??= runId;
    }
    ui.setSideTab(useUiStore.getState().sideTab === 'problems' ? 'runs' : useUiStore.getState().sideTab);
    if (count > 1) toast('info', `Queued ${count} runs; their images gather in the Gallery.`);
    return first;
  } catch (err) {
    if (err instanceof ApiRequestError && err.issues.length) {
      ui.setIssues(err.issues);
      ui.setSideTab('problems');
    }
    toast('error', `The run was refused: ${errorMessage(err)}`);
    // Runs queued before the refusal go on; the first of them is still the one on the canvas.
    return first;
  }
}

export async function cancelCurrentRun(): Promise<void> {
  const run = useRunStore.getState().currentRunId;
  const view = run ? useRunStore.getState().runs[run] : undefined;
  if (!run || !view || isTerminal(view.status)) return;
  await cancelRun(run);
}

export async function cancelRun(runId: string): Promise<void> {
  const ch = requireChannel();
  try {
    if (ch.connected) await ch.cancel(runId);
    else await api.cancelRun(runId);
  } catch (err) {
    toast('error', `Cancel failed: ${errorMessage(err)}`);
  }
}

/**
 * Shows a past (or still running) run on the canvas: its graph as it ran,
 * every node's state and its outputs, and follows it live if it is not over.
 */
export async function reopenRun(runId: string): Promise<void> {
  const editor = useEditorStore.getState();
  try {
    const record = await api.getRun(runId);
    const graph = record.graph;
    if (graph) {
      const sameDoc = editor.meta.id !== undefined && record.workflowId === editor.meta.id && !editor.dirty;
      const sameNodes =
        sameDoc &&
        graph.nodes.length === editor.nodes.length &&
        graph.nodes.every((n) => editor.nodes.some((m) => m.id === n.id));
      if (!sameNodes) {
        if (
          editor.dirty &&
          !window.confirm(`"${editor.meta.name}" has unsaved changes. Open the run's graph anyway?`)
        )
          return;
        const when = new Date(record.createdAt).toLocaleString();
        useEditorStore
          .getState()
          .load(graph, { name: `Run of ${when}`, description: `The graph of run ${record.id}` });
        setLocationWorkflow(undefined);
      }
    }
    useRunStore.getState().hydrate(record);
    noteRun(runId, graph);
    const ch = requireChannel();
    // Everything stored, in order, through the channel (it keeps the seq), then live if still going.
    const { events } = await api.runEvents(runId, ch.lastSeq(runId));
    for (const e of events) ch.accept(e);
    runEventBatcher.flushNow();
    if (!isTerminal(record.status)) await ch.follow(runId, ch.lastSeq(runId));
  } catch (err) {
    toast('error', `Cannot open run: ${errorMessage(err)}`);
  }
}

export async function rerun(runId: string): Promise<void> {
  try {
    const record = await api.rerun(runId);
    const old = useRunStore.getState().runs[runId];
    noteRun(record.id, old?.graph);
    await requireChannel().follow(record.id, 0);
  } catch (err) {
    toast('error', `Re-run failed: ${errorMessage(err)}`);
  }
}
