/** Pure graph helpers shared by the validator, the engine and the editor. */

export interface EdgeLike {
  source: string;
  target: string;
}

function adjacency(nodeIds: Iterable<string>, edges: readonly EdgeLike[]): Map<string, string[]> {
  const adj = new Map<string, string[]>();
  for (const id of nodeIds) adj.set(id, []);
  for (const e of edges) {
    if (adj.has(e.source) && adj.has(e.target)) adj.get(e.source)!.push(e.target);
  }
  return adj;
}

/**
 * Every cycle's node set (strongly connected components with more than one
 * node, or a self-loop), each listed in a stable order. Tarjan's algorithm,
 * iterative so deep graphs cannot overflow the stack.
 */
export function findCycles(nodeIds: readonly string[], edges: readonly EdgeLike[]): string[][] {
  const adj = adjacency(nodeIds, edges);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  let next = 0;

  for (const root of nodeIds) {
    if (index.has(root)) continue;
    const work: Array<{ v: string; i: number }> = [{ v: root, i: 0 }];
    index.set(root, next);
    low.set(root, next++);
    stack.push(root);
    onStack.add(root);
    while (work.length) {
      const frame = work[work.length - 1];
      const succ = adj.get(frame.v)!;
      if (frame.i < succ.length) {
        const w = succ[frame.i++];
        if (!index.has(w)) {
          index.set(w, next);
          low.set(w, next++);
          stack.push(w);
          onStack.add(w);
          work.push({ v: w, i: 0 });
        } else if (onStack.has(w)) {
          low.set(frame.v, Math.min(low.get(frame.v)!, index.get(w)!));
        }
        continue;
      }
      work.pop();
      if (work.length) {
        const parent = work[work.length - 1].v;
        low.set(parent, Math.min(low.get(parent)!, low.get(frame.v)!));
      }
      if (low.get(frame.v) === index.get(frame.v)) {
        const comp: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          comp.push(w);
        } while (w !== frame.v);
        const selfLoop = comp.length === 1 && adj.get(comp[0])!.includes(comp[0]);
        if (comp.length > 1 || selfLoop) {
          const order = new Map(nodeIds.map((id, i) => [id, i]));
          cycles.push(comp.sort((a, b) => order.get(a)! - order.get(b)!));
        }
      }
    }
  }
  return cycles;
}

/**
 * Kahn's topological order. Ties keep the document order, so runs are
 * reproducible. Throws if the graph has a cycle (validate first).
 */
export function topologicalOrder(nodeIds: readonly string[], edges: readonly EdgeLike[]): string[] {
  const adj = adjacency(nodeIds, edges);
  const indeg = new Map<string, number>(nodeIds.map((id) => [id, 0]));
  for (const succ of adj.values()) for (const t of succ) indeg.set(t, indeg.get(t)! + 1);
  const pos = new Map(nodeIds.map((id, i) => [id, i]));
  const ready = nodeIds.filter((id) => indeg.get(id) === 0);
  const order: string[] = [];
  while (ready.length) {
    ready.sort((a, b) => pos.get(a)! - pos.get(b)!);
    const v = ready.shift()!;
    order.push(v);
    for (const w of adj.get(v)!) {
      indeg.set(w, indeg.get(w)! - 1);
      if (indeg.get(w) === 0) ready.push(w);
    }
  }
  if (order.length !== nodeIds.length) throw new Error('graph has a cycle');
  return order;
}

/** The node itself and every node it depends on, transitively. */
export function ancestorsOf(target: string, edges: readonly EdgeLike[]): Set<string> {
  const preds = new Map<string, string[]>();
  for (const e of edges) {
    if (!preds.has(e.target)) preds.set(e.target, []);
    preds.get(e.target)!.push(e.source);
  }
  const seen = new Set<string>([target]);
  const todo = [target];
  while (todo.length) {
    for (const p of preds.get(todo.pop()!) ?? []) {
      if (!seen.has(p)) {
        seen.add(p);
        todo.push(p);
      }
    }
  }
  return seen;
}

/** Whether adding the edge source → target would close a cycle (for the editor's drag check). */
export function wouldCreateCycle(edges: readonly EdgeLike[], source: string, target: string): boolean {
  if (source === target) return true;
  return ancestorsOf(source, edges).has(target);
}
