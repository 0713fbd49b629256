import { createTestRegistry } from '../../../test/helpers/test-nodes';
import { findCycles, topologicalOrder, wouldCreateCycle } from './graph';
import { applyWorkflowInputs, validateWorkflow, WorkflowInputError } from './validate';
import { WORKFLOW_LIMITS } from './workflow.schema';

const catalog = createTestRegistry().catalog;

function node(id: string, type: string, params: Record<string, unknown> = {}, typeVersion?: number) {
  return { id, type, params, ...(typeVersion ? { typeVersion } : {}) };
}
function edge(source: string, sourceHandle: string, target: string, targetHandle: string) {
  return { source, sourceHandle, target, targetHandle };
}
function problems(doc: unknown, target?: string) {
  return validateWorkflow(doc, catalog, { target }).issues.map((i) => ({
    code: i.code,
    nodeId: i.nodeId,
    field: i.field,
  }));
}

describe('validateWorkflow', () => {
  /*
   *   a ──► s ──► out
   */
  it('accepts a valid graph and fills in current versions', () => {
    const r = validateWorkflow(
      {
        version: 1,
        nodes: [node('a', 'Const', { value: 1 }), node('s', 'Add'), node('out', 'Output')],
        edges: [edge('a', 'value', 's', 'a'), edge('s', 'sum', 'out', 'value')],
      },
      catalog,
    );
    expect(r.issues).toEqual([]);
    expect(r.workflow!.nodes.map((n) => n.typeVersion)).toEqual([1, 2, 1]);
  });

  /*
   *   ?? (type "Nope")
   */
  it('reports an unknown node type', () => {
    expect(problems({ version: 1, nodes: [node('x', 'Nope')], edges: [] })).toEqual([
      { code: 'unknown-type', nodeId: 'x', field: 'type' },
    ]);
  });

  /*
   *   s: Add@9 (newer than known)     t: Const@0? no: Const has no migrations, saved as v1 of v1 is fine
   */
  it('reports a version newer than known, and an older one without migration', () => {
    expect(problems({ version: 1, nodes: [node('s', 'Add', {}, 9)], edges: [] })).toEqual([
      { code: 'unknown-version', nodeId: 's', field: 'typeVersion' },
    ]);
  });

  /*
   *   a ──► s (Add@1, param "bias") ── migrated to Add@2 "offset"
   */
  it('migrates params saved by an older node version', () => {
    const r = validateWorkflow(
      {
        version: 1,
        nodes: [node('a', 'Const'), node('s', 'Add', { bias: 4 }, 1)],
        edges: [edge('a', 'value', 's', 'a')],
      },
      catalog,
    );
    expect(r.issues).toEqual([]);
    expect(r.workflow!.nodes[1]).toMatchObject({ typeVersion: 2, params: { offset: 4 } });
  });

  /*
   *   (nothing) ──► s.a (required)
   */
  it('reports a missing required input but not a missing optional one', () => {
    expect(problems({ version: 1, nodes: [node('s', 'Add')], edges: [] })).toEqual([
      { code: 'missing-input', nodeId: 's', field: 'a' },
    ]);
  });

  /*
   *   t (TEXT) ──► s.a (NUMBER)
   */
  it('reports a port type mismatch on the target input', () => {
    expect(
      problems({
        version: 1,
        nodes: [node('t', 'Text'), node('s', 'Add')],
        edges: [edge('t', 'text', 's', 'a')],
      }),
    ).toEqual([{ code: 'type-mismatch', nodeId: 's', field: 'a' }]);
  });

  /*
   *   a ──► s.a
   *   b ──┘ (same input twice)
   */
  it('reports two edges into one input', () => {
    expect(
      problems({
        version: 1,
        nodes: [node('a', 'Const'), node('b', 'Const'), node('s', 'Add')],
        edges: [edge('a', 'value', 's', 'a'), edge('b', 'value', 's', 'a')],
      }),
    ).toEqual([{ code: 'duplicate-edge', nodeId: 's', field: 'a' }]);
  });

  /*
   *   a ──► ghost (no such node)      a.nope ──► s.zzz (no such handles)
   */
  it('reports dangling edges and unknown handles', () => {
    expect(
      problems({
        version: 1,
        nodes: [node('a', 'Const'), node('s', 'Add')],
        edges: [
          edge('a', 'value', 'ghost', 'a'),
          edge('a', 'nope', 's', 'zzz'),
          edge('a', 'value', 's', 'a'),
        ],
      }),
    ).toEqual([
      { code: 'dangling-edge', nodeId: 'a', field: 'edges.0' },
      { code: 'unknown-handle', nodeId: 'a', field: 'nope' },
      { code: 'unknown-handle', nodeId: 's', field: 'zzz' },
    ]);
  });

  /*
   *   c ──► x ──► y ──► z
   *         ▲           │
   *         └───────────┘
   */
  it('reports a cycle naming its nodes', () => {
    const r = validateWorkflow(
      {
        version: 1,
        nodes: [node('c', 'Const'), node('x', 'Add'), node('y', 'Add'), node('z', 'Add')],
        edges: [
          edge('c', 'value', 'x', 'a'),
          edge('x', 'sum', 'y', 'a'),
          edge('y', 'sum', 'z', 'a'),
          edge('z', 'sum', 'x', 'b'),
        ],
      },
      catalog,
    );
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0]).toMatchObject({ code: 'cycle', nodeId: 'x', nodes: ['x', 'y', 'z'] });
    expect(r.issues[0].message).toContain('"x" → "y" → "z"');
  });

  /*
   *   s ──► s (self loop)
   */
  it('reports a self-loop as a cycle', () => {
    expect(
      problems({
        version: 1,
        nodes: [node('c', 'Const'), node('s', 'Add')],
        edges: [edge('c', 'value', 's', 'a'), edge('s', 'sum', 's', 'b')],
      }),
    ).toEqual([{ code: 'cycle', nodeId: 's', field: undefined }]);
  });

  /*
   *   a: Const { value: "ten", delayMs: -1 }
   */
  it('reports invalid params with their zod path and message', () => {
    const r = validateWorkflow(
      { version: 1, nodes: [node('a', 'Const', { value: 'ten', delayMs: -1 })], edges: [] },
      catalog,
    );
    expect(r.issues.map((i) => [i.code, i.nodeId, i.field])).toEqual([
      ['invalid-param', 'a', 'value'],
      ['invalid-param', 'a', 'delayMs'],
    ]);
    expect(r.issues[0].message).toMatch(/number/);
  });

  /*
   *   a   a (same id twice)
   */
  it('reports duplicate ids', () => {
    expect(problems({ version: 1, nodes: [node('a', 'Const'), node('a', 'Const')], edges: [] })).toEqual([
      { code: 'duplicate-id', nodeId: 'a', field: 'id' },
    ]);
  });

  /*
   *   inputs.prompt → ghost.text ;  inputs.value → a.nope
   */
  it('reports exposed inputs pointing nowhere', () => {
    expect(
      problems({
        version: 1,
        nodes: [node('a', 'Const')],
        edges: [],
        inputs: {
          prompt: { node: 'ghost', param: 'text' },
          value: { node: 'a', param: 'nope' },
          ok: { node: 'a', param: 'value' },
        },
      }),
    ).toEqual([
      { code: 'exposed-input', nodeId: undefined, field: 'inputs.prompt' },
      { code: 'exposed-input', nodeId: 'a', field: 'inputs.value' },
    ]);
  });

  /*
   *   t (TEXT) ──► s.a    ?? (Nope)    s { offset: "x" }    edge to ghost    a, a
   */
  it('returns every problem at once', () => {
    const codes = problems({
      version: 1,
      nodes: [
        node('t', 'Text'),
        node('s', 'Add', { offset: 'x' }),
        node('n', 'Nope'),
        node('a', 'Const'),
        node('a', 'Const'),
      ],
      edges: [edge('t', 'text', 's', 'a'), edge('a', 'value', 'ghost', 'x')],
    }).map((p) => p.code);
    expect(codes.sort()).toEqual([
      'dangling-edge',
      'duplicate-id',
      'invalid-param',
      'type-mismatch',
      'unknown-type',
    ]);
  });

  it('reports a malformed document with paths, tying node problems to the node id', () => {
    expect(problems({ version: 2, nodes: 'x' })).toEqual([
      { code: 'format', nodeId: undefined, field: 'version' },
      { code: 'format', nodeId: undefined, field: 'nodes' },
    ]);
    expect(problems({ version: 1, nodes: [{ id: 'a', type: 5 }] })).toEqual([
      { code: 'format', nodeId: 'a', field: 'type' },
    ]);
    expect(problems('not a workflow')[0]).toMatchObject({ code: 'format', field: '(document)' });
    expect(problems({ version: 1, nodes: [{ id: '../../etc', type: 'Const' }] })[0]).toMatchObject({
      code: 'format',
      nodeId: '../../etc',
      field: 'id',
    });
  });

  it('bounds the graph size', () => {
    const nodes = Array.from({ length: WORKFLOW_LIMITS.maxNodes + 1 }, (_, i) => node(`n${i}`, 'Const'));
    expect(problems({ version: 1, nodes, edges: [] })).toEqual([
      { code: 'format', nodeId: undefined, field: 'nodes' },
    ]);
  });

  it('reports an unknown run target', () => {
    expect(problems({ version: 1, nodes: [node('a', 'Const')], edges: [] }, 'zz')).toEqual([
      { code: 'unknown-target', nodeId: undefined, field: 'target' },
    ]);
  });
});

describe('graph helpers', () => {
  /*
   *   a ──► b ──► c
   */
  it('wouldCreateCycle refuses back edges and self loops', () => {
    const edges = [
      { source: 'a', target: 'b' },
      { source: 'b', target: 'c' },
    ];
    expect(wouldCreateCycle(edges, 'c', 'a')).toBe(true);
    expect(wouldCreateCycle(edges, 'b', 'b')).toBe(true);
    expect(wouldCreateCycle(edges, 'a', 'c')).toBe(false);
  });

  it('orders topologically, keeping document order among ready nodes', () => {
    expect(topologicalOrder(['c', 'b', 'a'], [{ source: 'a', target: 'c' }])).toEqual(['b', 'a', 'c']);
    expect(() =>
      topologicalOrder(
        ['a', 'b'],
        [
          { source: 'a', target: 'b' },
          { source: 'b', target: 'a' },
        ],
      ),
    ).toThrow('cycle');
  });

  it('finds cycles in a deep chain without overflowing the stack', () => {
    const ids = Array.from({ length: 20000 }, (_, i) => `n${i}`);
    const edges = ids.slice(1).map((id, i) => ({ source: ids[i], target: id }));
    expect(findCycles(ids, edges)).toEqual([]);
    edges.push({ source: ids.at(-1)!, target: ids[0] });
    expect(findCycles(ids, edges)[0]).toHaveLength(20000);
  });
});

describe('applyWorkflowInputs', () => {
  const wf = validateWorkflow(
    {
      version: 1,
      nodes: [node('a', 'Const', { value: 1 })],
      edges: [],
      inputs: { value: { node: 'a', param: 'value' } },
    },
    catalog,
  ).workflow!;

  it('sets exposed params on a copy', () => {
    const out = applyWorkflowInputs(wf, { value: 42 });
    expect(out.nodes[0].params.value).toBe(42);
    expect(wf.nodes[0].params.value).toBe(1);
  });

  it('refuses unknown input names, listing the known ones', () => {
    expect(() => applyWorkflowInputs(wf, { prompt: 'x' })).toThrow(WorkflowInputError);
    expect(() => applyWorkflowInputs(wf, { prompt: 'x' })).toThrow('exposes "value"');
  });
});
