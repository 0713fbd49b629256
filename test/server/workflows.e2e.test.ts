import type { WorkflowRecord } from '@maskflow/workflow';
import { startServer } from './helpers/server.harness';
import type { TestServer } from './helpers/server.harness';

type Saved = WorkflowRecord & { issues: Array<{ code: string; nodeId?: string; field?: string }> };

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server?.close());

/*
 *   c (Const) ──► out (Output)
 */
const graph = {
  version: 1,
  nodes: [
    { id: 'c', type: 'Const', params: { value: 2 } },
    { id: 'out', type: 'Output', params: {} },
  ],
  edges: [{ source: 'c', sourceHandle: 'value', target: 'out', targetHandle: 'value' }],
  inputs: { value: { node: 'c', param: 'value' } },
};

describe('workflows REST', () => {
  it('seeds the example workflows on first start, named after their files', async () => {
    const list = await server.api.get<WorkflowRecord[]>('/api/workflows');
    expect(list.status).toBe(200);
    expect(list.body.map((w) => w.id)).toContain('remove-object-classical');
    const classical = await server.api.get<Saved>('/api/workflows/remove-object-classical');
    expect(classical.body).toMatchObject({ revision: 1, name: 'Remove an object (classical, no model)' });
    expect(Object.keys(classical.body.graph.inputs)).toEqual(['image', 'box', 'grow', 'method']);
  });

  it('creates, reads, saves with the revision, and refuses a stale save with 409', async () => {
    const created = await server.api.post<Saved>('/api/workflows', { name: 'Two', graph });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Two', description: '', revision: 1, issues: [] });
    const id = created.body.id;

    const read = await server.api.get<Saved>(`/api/workflows/${id}`);
    expect(read.body.graph.nodes.map((n) => n.id)).toEqual(['c', 'out']);

    // Two editors read revision 1; the first save wins, the second is told why it lost.
    const saved = await server.api.put<Saved>(`/api/workflows/${id}`, { revision: 1, name: 'Two (edited)' });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ revision: 2, name: 'Two (edited)' });
    const stale = await server.api.put(`/api/workflows/${id}`, { revision: 1, description: 'mine' });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ error: { kind: 'user', code: 'stale-revision' } });
    expect((stale.body as { error: { message: string } }).error.message).toMatch(
      /revision 2.*your copy is revision 1/,
    );
    const unchanged = await server.api.get<Saved>(`/api/workflows/${id}`);
    expect(unchanged.body).toMatchObject({ revision: 2, description: '' });

    const graph2 = { ...graph, nodes: [...graph.nodes, { id: 'x', type: 'Nope', params: {} }] };
    const withIssue = await server.api.put<Saved>(`/api/workflows/${id}`, { revision: 2, graph: graph2 });
    expect(withIssue.status).toBe(200);
    expect(withIssue.body.revision).toBe(3);
    expect(withIssue.body.issues).toEqual([
      expect.objectContaining({ code: 'unknown-type', nodeId: 'x', field: 'type' }),
    ]);

    expect((await server.api.put(`/api/workflows/nope`, { revision: 1, name: 'x' })).status).toBe(404);
    expect((await server.api.delete(`/api/workflows/${id}`)).status).toBe(204);
    expect((await server.api.get(`/api/workflows/${id}`)).status).toBe(404);
    expect((await server.api.delete(`/api/workflows/${id}`)).status).toBe(404);
  });

  it('exports as a JSON download and imports it back', async () => {
    const exported = await server.api.get<Record<string, unknown>>(
      '/api/workflows/remove-object-classical/export',
    );
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-disposition')).toContain(
      'attachment; filename="remove-an-object-classical-no-model.json"',
    );
    expect(exported.body).toMatchObject({ version: 1, name: 'Remove an object (classical, no model)' });

    const imported = await server.api.post<Saved>('/api/workflows/import', exported.body);
    expect(imported.status).toBe(201);
    expect(imported.body.id).not.toBe('remove-object-classical');
    expect(imported.body.name).toBe('Remove an object (classical, no model)');
    expect(imported.body.graph.nodes).toEqual((exported.body as { nodes: unknown }).nodes);

    const broken = await server.api.post('/api/workflows/import', {
      version: 1,
      nodes: [{ id: 'a', type: 5 }],
    });
    expect(broken.status).toBe(400);
    expect(broken.body).toMatchObject({
      error: { code: 'invalid-request', issues: [{ code: 'format', nodeId: 'a', field: 'type' }] },
    });
  });

  it('answers bad bodies with 400 and every problem', async () => {
    const r = await server.api.post('/api/workflows', {
      name: '',
      graph: { version: 2, nodes: [{ id: 'n', type: 7 }] },
    });
    expect(r.status).toBe(400);
    const fields = (
      r.body as { error: { issues: Array<{ field: string; nodeId?: string }> } }
    ).error.issues.map((i) => [i.nodeId, i.field]);
    expect(fields).toEqual(
      expect.arrayContaining([
        [undefined, 'name'],
        [undefined, 'graph.version'],
        ['n', 'type'],
      ]),
    );
    const noRevision = await server.api.put('/api/workflows/remove-object-classical', { name: 'x' });
    expect(noRevision.status).toBe(400);
    expect(noRevision.body).toMatchObject({ error: { field: 'revision' } });
  });
});
