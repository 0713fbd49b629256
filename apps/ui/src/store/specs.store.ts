import { create } from 'zustand';
import type { NodeCatalog, NodeSpec } from '@maskflow/workflow';
import { catalogFromSpecs } from '../graph/spec-catalog';

interface SpecsState {
  specs: NodeSpec[];
  byType: ReadonlyMap<string, NodeSpec>;
  catalog: NodeCatalog;
  status: 'loading' | 'ready' | 'error';
  error?: string;
  /** Node types the server sent that this editor cannot draw. */
  rejected: string[];
  setSpecs(specs: NodeSpec[], rejected?: string[]): void;
  setError(message: string): void;
}

/** The node types from GET /api/nodes: the palette, the handles, the widgets and the client-side checks. */
export const useSpecsStore = create<SpecsState>()((set) => ({
  specs: [],
  byType: new Map(),
  catalog: () => undefined,
  status: 'loading',
  rejected: [],
  setSpecs: (specs, rejected = []) =>
    set({
      specs,
      byType: new Map(specs.map((s) => [s.type, s])),
      catalog: catalogFromSpecs(specs),
      status: 'ready',
      rejected,
      error: undefined,
    }),
  setError: (message) => set({ status: 'error', error: message }),
}));

export const specOf = (type: string): NodeSpec | undefined => useSpecsStore.getState().byType.get(type);
