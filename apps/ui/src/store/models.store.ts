import { create } from 'zustand';
import { api } from '../api/api.client';
import type { ModelList } from '../api/schemas';
import { errorMessage } from '../api/run-channel';

type ModelEntry = ModelList['models'][number];

interface ModelsState {
  status: 'idle' | 'loading' | 'ready' | 'error';
  models: ModelEntry[];
  note?: string;
  /** Fetches GET /api/models once (again after `refresh`). */
  ensure(): void;
  refresh(): void;
}

/** The model manifest as the server sees it, for model pickers. */
export const useModelsStore = create<ModelsState>()((set, get) => ({
  status: 'idle',
  models: [],
  ensure() {
    if (get().status === 'idle') get().refresh();
  },
  refresh() {
    set({ status: 'loading' });
    api
      .models()
      .then((l) => set({ status: 'ready', models: l.models, note: l.note }))
      .catch((err: unknown) => set({ status: 'error', note: errorMessage(err) }));
  },
}));
