import type { Edge, Node } from '@xyflow/react';
import type { PortType } from '@maskflow/workflow';

/** What every editor node carries: the workflow node minus its id and position (React Flow holds those). */
export interface GraphNodeData extends Record<string, unknown> {
  type: string;
  typeVersion?: number;
  params: Record<string, unknown>;
  title?: string;
}

/** A node whose type the server knows: ports, widgets and run state come from its NodeSpec. */
export type OperationNode = Node<GraphNodeData, 'operation'>;

/**
 * A node whose type the server does not (yet) know, e.g. a workflow saved with
 * a newer server: kept with its params and edges so nothing is lost on save.
 */
export type UnknownNode = Node<GraphNodeData, 'unknown'>;

/** The typed node union React Flow renders. */
export type AppNode = OperationNode | UnknownNode;
export type AppNodeKind = AppNode['type'];

export interface PortEdgeData extends Record<string, unknown> {
  /** The port type that flows along the edge (colours the stroke). */
  portType?: PortType;
}
export type AppEdge = Edge<PortEdgeData>;

export function edgeId(e: {
  source: string;
  sourceHandle?: string | null;
  target: string;
  targetHandle?: string | null;
}): string {
  return `${e.source}.${e.sourceHandle ?? ''}->${e.target}.${e.targetHandle ?? ''}`;
}
