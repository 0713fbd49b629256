import type { Workflow } from '@maskflow/workflow';
import { workflowSchema } from '@maskflow/workflow';
import { api } from '../api/api.client';
import { ApiRequestError } from '../api/http';
import type { WorkflowResponse } from '../api/schemas';
import { errorMessage } from '../api/run-channel';
import type { DocMeta } from '../store/editor.store';
import { serialize, useEditorStore, workflowOf } from '../store/editor.store';
import { toast, useUiStore } from '../store/ui.store';

/** The graph as the server stores it: name and description live on the record. */
function graphOnly(wf: Workflow): Workflow {
  const { name: _n, description: _d, ...graph } = wf;
  return graph;
}

function metaOf(r: WorkflowResponse): DocMeta {
  return { id: r.id, name: r.name, description: r.description, revision: r.revision };
}

/** `#/workflow/<id>` keeps the open workflow across a reload. */
export function setLocationWorkflow(id: string | undefined): void {
  const hash = id ? `#/workflow/${encodeURIComponent(id)}` : '';
  if (window.location.hash !== hash)
    history.replaceState(null, '', `${window.location.pathname}${window.location.search}${hash}`);
}

export function workflowIdFromLocation(): string | undefined {
  const m = /^#\/workflow\/([^/]+)$/.exec(window.location.hash);
  return m ? decodeURIComponent(m[1]) : undefined;
}

function report(what: string, err: unknown): void {
  toast('error', `${what}: ${errorMessage(err)}`);
}

function confirmDiscard(): boolean {
  const s = useEditorStore.getState();
  return !s.dirty || window.confirm(`"${s.meta.name}" has unsaved changes. Discard them?`);
}

/** Saves the open graph: a new workflow the first time, then against the revision it was read at. */
export async function saveWorkflow(): Promise<boolean> {
  const s = useEditorStore.getState();
  const json = serialize(s);
  const graph = graphOnly(workflowOf(s));
  const name = s.meta.name.trim() || 'Untitled workflow';
  try {
    const saved =
      s.meta.id === undefined || s.meta.revision === undefined
        ? await api.createWorkflow({ name, description: s.meta.description, graph })
        : await api.updateWorkflow(s.meta.id, {
            revision: s.meta.revision,
            name,
            description: s.meta.description,
            graph,
          });
    useEditorStore.getState().markSaved(metaOf(saved), json);
    setLocationWorkflow(saved.id);
    toast('success', `Saved "${saved.name}" (revision ${saved.revision})`);
    return true;
  } catch (err) {
    if (err instanceof ApiRequestError && err.status === 409 && s.meta.id) {
      useUiStore
        .getState()
        .setConflict({ workflowId: s.meta.id, message: err.message, mine: s.meta.revision ?? 0 });
      return false;
    }
    report('Save failed', err);
    return false;
  }
}

/** What to do about a stale save: take theirs, keep mine over theirs, or keep both. */
export async function resolveConflict(choice: 'reload' | 'overwrite' | 'copy'): Promise<void> {
  const conflict = useUiStore.getState().conflict;
  useUiStore.getState().setConflict(undefined);
  if (!conflict) return;
  if (choice === 'reload') {
    await openWorkflow(conflict.workflowId, { force: true });
    return;
  }
  if (choice === 'copy') {
    await saveAsCopy();
    return;
  }
  try {
    const theirs = await api.getWorkflow(conflict.workflowId);
    const s = useEditorStore.getState();
    useEditorStore.getState().markSaved({ ...s.meta, revision: theirs.revision }, s.savedJson);
    await saveWorkflow();
  } catch (err) {
    report('Overwrite failed', err);
  }
}

/** Saves the open graph as a new workflow ("<name> (copy)"), which then is the open one. */
export async function saveAsCopy(): Promise<void> {
  const s = useEditorStore.getState();
  const name = `${s.meta.name} (copy)`;
  try {
    const copy = await api.createWorkflow({
      name,
      description: s.meta.description,
      graph: graphOnly(workflowOf(s)),
    });
    useEditorStore.getState().markSaved(metaOf(copy));
    setLocationWorkflow(copy.id);
    toast('success', `Saved as "${copy.name}"`);
  } catch (err) {
    report('Save as copy failed', err);
  }
}

export async function openWorkflow(id: string, opts: { force?: boolean } = {}): Promise<boolean> {
  if (!opts.force && !confirmDiscard()) return false;
  try {
    performance.mark('maskflow:open-start');
    const w = await api.getWorkflow(id);
    useEditorStore.getState().load(w.graph, metaOf(w));
    useUiStore.getState().setIssues(w.issues);
    setLocationWorkflow(w.id);
    useUiStore.getState().setWorkflowsOpen(false);
    return true;
  } catch (err) {
    report(`Cannot open workflow "${id}"`, err);
    if (err instanceof ApiRequestError && err.status === 404 && workflowIdFromLocation() === id)
      setLocationWorkflow(undefined);
    return false;
  }
}

export function newWorkflow(): void {
  if (!confirmDiscard()) return;
  useEditorStore
    .getState()
    .load({ version: 1, nodes: [], edges: [], inputs: {} }, { name: 'Untitled workflow', description: '' });
  useUiStore.getState().setIssues([]);
  setLocationWorkflow(undefined);
  useUiStore.getState().setWorkflowsOpen(false);
}

export async function duplicateWorkflow(id: string): Promise<void> {
  try {
    const w = await api.getWorkflow(id);
    const copy = await api.createWorkflow({
      name: `${w.name} (copy)`,
      description: w.description,
      graph: w.graph,
    });
    toast('success', `Duplicated as "${copy.name}"`);
  } catch (err) {
    report('Duplicate failed', err);
  }
}

/** Renames a saved workflow on the server (only the name; the open graph's unsaved edits stay unsaved). */
export async function renameWorkflow(id: string, name: string): Promise<void> {
  const trimmed = name.trim();
  if (!trimmed) return;
  try {
    const s = useEditorStore.getState();
    const revision =
      s.meta.id === id && s.meta.revision !== undefined
        ? s.meta.revision
        : (await api.getWorkflow(id)).revision;
    const saved = await api.updateWorkflow(id, { revision, name: trimmed });
    const now = useEditorStore.getState();
    if (now.meta.id === id) {
      const savedDoc = JSON.parse(now.savedJson) as Record<string, unknown>;
      savedDoc.name = saved.name;
      useEditorStore.setState({
        meta: { ...now.meta, name: saved.name, revision: saved.revision },
        savedJson: JSON.stringify(savedDoc),
      });
      useEditorStore.setState({
        dirty: serialize(useEditorStore.getState()) !== useEditorStore.getState().savedJson,
      });
    }
    toast('success', `Renamed to "${saved.name}"`);
  } catch (err) {
    if (err instanceof ApiRequestError && err.status === 409) {
      useUiStore.getState().setConflict({
        workflowId: id,
        message: err.message,
        mine: useEditorStore.getState().meta.revision ?? 0,
      });
      return;
    }
    report('Rename failed', err);
  }
}

export async function deleteWorkflow(id: string, name: string): Promise<boolean> {
  if (!window.confirm(`Delete the workflow "${name}"? Its runs are kept.`)) return false;
  try {
    await api.deleteWorkflow(id);
    const s = useEditorStore.getState();
    if (s.meta.id === id) {
      // The graph stays on the canvas as an unsaved document.
      useEditorStore.setState({ meta: { name: s.meta.name, description: s.meta.description }, dirty: true });
      setLocationWorkflow(undefined);
    }
    toast('info', `Deleted "${name}"`);
    return true;
  } catch (err) {
    report('Delete failed', err);
    return false;
  }
}

/** Imports a workflow file (as exported): saved on the server, then opened. */
export async function importWorkflowFile(file: File): Promise<void> {
  let doc: unknown;
  try {
    doc = JSON.parse(await file.text());
  } catch (err) {
    toast('error', `${file.name} is not JSON: ${errorMessage(err)}`);
    return;
  }
  const parsed = workflowSchema.safeParse(doc);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    toast(
      'error',
      `${file.name} is not a Maskflow workflow: ${first ? `${first.path.join('.') || '(document)'}: ${first.message}` : 'invalid'}`,
    );
    return;
  }
  if (!confirmDiscard()) return;
  try {
    const saved = await api.importWorkflow({
      ...parsed.data,
      name: parsed.data.name ?? file.name.replace(/\.json$/i, ''),
    });
    await openWorkflow(saved.id, { force: true });
    toast('success', `Imported "${saved.name}"`);
  } catch (err) {
    report('Import failed', err);
  }
}

/** Downloads the open graph (with unsaved edits) as a workflow file. */
export function exportCurrent(): void {
  const s = useEditorStore.getState();
  const doc = workflowOf(s);
  const blob = new Blob([JSON.stringify(doc, null, 2) + '\n'], { type: 'application/json' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `${
    (s.meta.name || 'workflow')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'workflow'
  }.json`;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}
