import { create } from 'zustand';
import type { Issue } from '../api/schemas';

export interface Toast {
  id: number;
  kind: 'info' | 'error' | 'success';
  text: string;
}

/** A save refused because someone saved in between (409). */
export interface SaveConflict {
  workflowId: string;
  message: string;
  /** The revision this editor had. */
  mine: number;
}

export type SideTab = 'inputs' | 'runs' | 'gallery' | 'problems';

interface UiState {
  toasts: Toast[];
  workflowsOpen: boolean;
  conflict?: SaveConflict;
  sideTab: SideTab;
  /** Problems found in the open graph (client check, or the server's refusal), by node where they have one. */
  issues: Issue[];
  /** The artifact shown large in the gallery. */
  galleryPick?: { runId: string; nodeId: string; port: string };
  busy?: string;
  /** How many runs one Run queues (ComfyUI's batch count): with a random seed, that many variations. */
  runCount: number;
  toast(kind: Toast['kind'], text: string, ms?: number): void;
  dismiss(id: number): void;
  setWorkflowsOpen(open: boolean): void;
  setConflict(c: SaveConflict | undefined): void;
  setSideTab(tab: SideTab): void;
  setIssues(issues: Issue[]): void;
  pickGallery(p: UiState['galleryPick']): void;
  setBusy(what: string | undefined): void;
  setRunCount(n: number): void;
}

/** At most this many runs per click: enough variations to pick from, not a flood of the queue. */
export const MAX_RUN_COUNT = 16;

let nextToast = 1;

export const useUiStore = create<UiState>()((set, get) => ({
  toasts: [],
  workflowsOpen: false,
  sideTab: 'inputs',
  issues: [],
  runCount: 1,
  toast(kind, text, ms = kind === 'error' ? 8000 : 3500) {
    const id = nextToast++;
    set({ toasts: [...get().toasts.slice(-4), { id, kind, text }] });
    setTimeout(() => get().dismiss(id), ms);
  },
  dismiss: (id) => set({ toasts: get().toasts.filter((t) => t.id !== id) }),
  setWorkflowsOpen: (workflowsOpen) => set({ workflowsOpen }),
  setConflict: (conflict) => set({ conflict }),
  setSideTab: (sideTab) => set({ sideTab }),
  setIssues: (issues) => set({ issues }),
  pickGallery: (galleryPick) => set({ galleryPick }),
  setBusy: (busy) => set({ busy }),
  setRunCount: (n) =>
    set({ runCount: Number.isFinite(n) ? Math.min(MAX_RUN_COUNT, Math.max(1, Math.round(n))) : 1 }),
}));

export const toast = (kind: Toast['kind'], text: string): void => useUiStore.getState().toast(kind, text);
