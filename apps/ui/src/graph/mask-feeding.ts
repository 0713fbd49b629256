import type { NodeSpec, Workflow, WorkflowEdge } from '@maskflow/workflow';

/** The edge that brings a mask into a node: which node and input take it, which node and output give it. */
export interface MaskFeed {
  /** The node with the MASK input (SDInpaint, MaskFill, Composite, …). */
  consumer: string;
  input: string;
  /** The node and output handle feeding that input. */
  source: string;
  handle: string;
}

/**
 * The mask fed to the nearest node at or upstream of `nodeId` that has a
 * connected MASK input, e.g. for SaveImage ← SDInpaint ← MaskDilate ← SAM:
 * SDInpaint's `mask`, fed by `maskdilate.mask`. That is the mask the edit was
 * made through, so it is the one worth painting over the result.
 *
 * Breadth-first against the edges, so the fewest hops win. Ties go to the
 * node's inputs in the order its spec declares them (Composite's `base`
 * before its `mask`), then to the edge order; a node with several MASK inputs
 * (MaskCombine's `a` and `b`) gives its first connected one. Nodes whose type
 * has no spec are walked through but never consumers. Undefined when nothing
 * upstream takes a mask.
 */
export function maskFeeding(
  graph: Pick<Workflow, 'nodes' | 'edges'> | undefined,
  nodeId: string,
  specOf: (type: string) => NodeSpec | undefined,
): MaskFeed | undefined {
  if (!graph) return undefined;
  const typeOf = new Map(graph.nodes.map((n) => [n.id, n.type]));
  const into = new Map<string, WorkflowEdge[]>();
  for (const e of graph.edges) {
    const list = into.get(e.target);
    if (list) list.push(e);
    else into.set(e.target, [e]);
  }
  const seen = new Set([nodeId]);
  let level = [nodeId];
  while (level.length) {
    const next: string[] = [];
    for (const id of level) {
      const type = typeOf.get(id);
      const inputs = (type && specOf(type)?.inputs) || [];
      const rank = (port: string) => {
        const i = inputs.findIndex((p) => p.name === port);
        return i < 0 ? inputs.length : i;
      };
      // Array.prototype.sort is stable: edges into the same input keep their order.
      const edges = [...(into.get(id) ?? [])].sort((a, b) => rank(a.targetHandle) - rank(b.targetHandle));
      const mask = edges.find((e) => inputs.some((p) => p.name === e.targetHandle && p.type === 'MASK'));
      if (mask)
        return { consumer: id, input: mask.targetHandle, source: mask.source, handle: mask.sourceHandle };
      for (const e of edges) {
        if (seen.has(e.source)) continue;
        seen.add(e.source);
        next.push(e.source);
      }
    }
    level = next;
  }
  return undefined;
}
