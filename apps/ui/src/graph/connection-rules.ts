import type { NodeSpec, PortSpec } from '@maskflow/workflow';
import { isPortCompatible, wouldCreateCycle } from '@maskflow/workflow';

export interface ConnectionLike {
  source: string;
  target: string;
  sourceHandle?: string | null;
  targetHandle?: string | null;
}

export interface GraphView {
  /** The node type of each node id. */
  typeOf(nodeId: string): string | undefined;
  spec(type: string): NodeSpec | undefined;
  edges: readonly ConnectionLike[];
}

export type ConnectionVerdict =
  | { ok: true; replaces?: ConnectionLike }
  | { ok: false; reason: 'type' | 'cycle' | 'unknown'; message: string };

function port(ports: readonly PortSpec[] | undefined, name: string | null | undefined): PortSpec | undefined {
  return name ? ports?.find((p) => p.name === name) : undefined;
}

/**
 * Whether a connection may be made, with the reason when not. The same rules
 * as the server's validator (libs/workflow): port types must be compatible and
 * the graph must stay acyclic. A connection into an input that is already fed
 * replaces the old edge (one edge per input), so it is allowed and says which
 * edge it replaces.
 */
export function checkConnection(c: ConnectionLike, g: GraphView): ConnectionVerdict {
  const sType = g.typeOf(c.source);
  const tType = g.typeOf(c.target);
  const out = port(sType ? g.spec(sType)?.outputs : undefined, c.sourceHandle);
  const inp = port(tType ? g.spec(tType)?.inputs : undefined, c.targetHandle);
  if (!out || !inp)
    return {
      ok: false,
      reason: 'unknown',
      message: 'connect an output (right side) to an input (left side)',
    };
  if (!isPortCompatible(out.type, inp.type)) {
    return {
      ok: false,
      reason: 'type',
      message: `${out.type} output "${out.name}" cannot feed ${inp.type} input "${inp.name}"`,
    };
  }
  const replaces = g.edges.find((e) => e.target === c.target && e.targetHandle === c.targetHandle);
  // The edge being replaced goes away, so it cannot be part of a cycle the new one closes.
  const remaining = replaces ? g.edges.filter((e) => e !== replaces) : g.edges;
  if (wouldCreateCycle(remaining, c.source, c.target)) {
    return {
      ok: false,
      reason: 'cycle',
      message: `connecting ${c.source} → ${c.target} would close a cycle`,
    };
  }
  if (replaces && replaces.source === c.source && replaces.sourceHandle === c.sourceHandle)
    return { ok: true };
  return replaces ? { ok: true, replaces } : { ok: true };
}
