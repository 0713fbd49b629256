import { ReactFlowProvider } from '@xyflow/react';
import { useEffect } from 'react';
import { api } from './api/api.client';
import { errorMessage } from './api/run-channel';
import { startRunChannel } from './actions/run.actions';
import { openWorkflow, workflowIdFromLocation } from './actions/workflow.actions';
import { ConflictDialog } from './components/conflict.dialog';
import { FlowCanvas } from './components/flow-canvas';
import { PalettePanel } from './components/palette.panel';
import { SidePanel } from './components/side.panel';
import { Toasts } from './components/toasts';
import { Toolbar } from './components/toolbar';
import { WorkflowsDialog } from './components/workflows.dialog';
import { useShortcuts } from './hooks/use-shortcuts';
import { refreshNodeKinds, useEditorStore } from './store/editor.store';
import { useSpecsStore } from './store/specs.store';
import { toast } from './store/ui.store';

let booted = false;

async function boot(): Promise<void> {
  // Once per page, even when React mounts twice (StrictMode in development).
  if (booted) return;
  booted = true;
  startRunChannel();
  try {
    const { specs, rejected } = await api.nodes();
    useSpecsStore.getState().setSpecs(specs, rejected);
    if (rejected.length)
      toast('error', `Some node types cannot be shown by this editor: ${rejected.join('; ')}`);
    refreshNodeKinds();
  } catch (err) {
    useSpecsStore.getState().setError(errorMessage(err));
    return;
  }
  const id = workflowIdFromLocation();
  if (id) await openWorkflow(id, { force: true });
}

function useDocumentTitle(): void {
  const name = useEditorStore((s) => s.meta.name);
  const dirty = useEditorStore((s) => s.dirty);
  useEffect(() => {
    document.title = `${dirty ? '● ' : ''}${name} — Maskflow`;
  }, [name, dirty]);
}

export function App() {
  useShortcuts();
  useDocumentTitle();
  useEffect(() => {
    void boot();
  }, []);
  return (
    <ReactFlowProvider>
      <div className="mf-app">
        <Toolbar />
        <main className="mf-main">
          <PalettePanel />
          <FlowCanvas />
          <SidePanel />
        </main>
        <WorkflowsDialog />
        <ConflictDialog />
        <Toasts />
      </div>
    </ReactFlowProvider>
  );
}
