import { z } from 'zod';
import type { RunStatusName, Workflow, WorkflowInput } from '@maskflow/workflow';
import { artifactRecordSchema, runListSchema, runRecordSchema } from '@maskflow/workflow';
import { request, requestBytes, withToken } from './http';
import {
  modelListSchema,
  nodeSpecListSchema,
  runEventsResponseSchema,
  systemInfoSchema,
  workflowListSchema,
  workflowResponseSchema,
} from './schemas';

/**
 * Every REST call the editor makes, in one place, each answer checked against
 * the shared contract. Paths are relative, so the same build works behind the
 * Nest server at `/` and behind Vite's dev proxy.
 */
export const api = {
  nodes: () => request('/api/nodes', nodeSpecListSchema),
  system: () => request('/api/system', systemInfoSchema),
  models: () => request('/api/models', modelListSchema),

  listWorkflows: () => request('/api/workflows', workflowListSchema),
  getWorkflow: (id: string) => request(`/api/workflows/${encodeURIComponent(id)}`, workflowResponseSchema),
  createWorkflow: (body: { name: string; description?: string; graph: WorkflowInput }) =>
    request('/api/workflows', workflowResponseSchema, { method: 'POST', body }),
  updateWorkflow: (
    id: string,
    body: { revision: number; name?: string; description?: string; graph?: WorkflowInput },
  ) => request(`/api/workflows/${encodeURIComponent(id)}`, workflowResponseSchema, { method: 'PUT', body }),
  deleteWorkflow: (id: string) =>
    request(`/api/workflows/${encodeURIComponent(id)}`, null, { method: 'DELETE' }),
  importWorkflow: (doc: unknown) =>
    request('/api/workflows/import', workflowResponseSchema, { method: 'POST', body: doc }),
  exportWorkflowUrl: (id: string) => withToken(`/api/workflows/${encodeURIComponent(id)}/export`),

  submitRun: (body: {
    workflow?: Workflow;
    workflowId?: string;
    target?: string;
    inputs?: Record<string, unknown>;
  }) => request('/api/runs', runRecordSchema, { method: 'POST', body }),
  getRun: (id: string) => request(`/api/runs/${encodeURIComponent(id)}`, runRecordSchema),
  listRuns: (q: { limit?: number; offset?: number; workflowId?: string; status?: RunStatusName } = {}) => {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v !== undefined) qs.set(k, String(v));
    return request(`/api/runs${qs.size ? `?${qs.toString()}` : ''}`, runListSchema);
  },
  runEvents: (id: string, after: number, signal?: AbortSignal) =>
    request(
      `/api/runs/${encodeURIComponent(id)}/events?after=${after}&limit=10000`,
      runEventsResponseSchema,
      { signal },
    ),
  cancelRun: (id: string) =>
    request(`/api/runs/${encodeURIComponent(id)}/cancel`, runRecordSchema, { method: 'POST' }),
  rerun: (id: string) =>
    request(`/api/runs/${encodeURIComponent(id)}/rerun`, runRecordSchema, { method: 'POST' }),
  deleteRun: (id: string) => request(`/api/runs/${encodeURIComponent(id)}`, null, { method: 'DELETE' }),

  uploadArtifact: (file: Blob, name = 'upload') => {
    const form = new FormData();
    form.append('file', file, name);
    return request('/api/artifacts', artifactRecordSchema, { method: 'POST', form });
  },
  /**
   * A new upload: image `id` with a painted mask (a PNG of its size, white =
   * masked) as its alpha, which Load Image's mask output selects. The
   * original stays as it was.
   */
  maskArtifact: (id: string, png: Blob) => {
    const form = new FormData();
    form.append('file', png, 'mask.png');
    return request(`/api/artifacts/${encodeURIComponent(id)}/mask`, artifactRecordSchema, {
      method: 'POST',
      form,
    });
  },
  artifactUrl: (id: string) => withToken(`/api/artifacts/${encodeURIComponent(id)}`),
  /** The artifact's file, for reading its exact alpha (the mask painter). */
  artifactBytes: (id: string, signal?: AbortSignal) =>
    requestBytes(`/api/artifacts/${encodeURIComponent(id)}`, { signal }),
  /** The image without its alpha, as PNG: the colour under a painted mask, which a canvas would lose. */
  artifactRgbBytes: (id: string, signal?: AbortSignal) =>
    requestBytes(`/api/artifacts/${encodeURIComponent(id)}/rgb`, { signal }),
  thumbnailUrl: (id: string, size = 256) =>
    withToken(`/api/artifacts/${encodeURIComponent(id)}/thumbnail?size=${size}`),
};

export type Api = typeof api;

/** An artifact reference as it appears in node outputs (`{ kind: 'artifact', id, mime, … }`). */
export const artifactRefSchema = z.object({
  kind: z.literal('artifact'),
  id: z.string().regex(/^[0-9a-f]{64}$/),
  mime: z.string().optional(),
  width: z.number().optional(),
  height: z.number().optional(),
  name: z.string().optional(),
});
export type ArtifactRefView = z.infer<typeof artifactRefSchema>;
