import type { NodeSpec, PortType, Workflow, WorkflowEdge, WorkflowNode } from '@maskflow/workflow';
import { PORT_COLORS } from '@maskflow/workflow';
import type { AppEdge, AppNode, GraphNodeData } from './flow-types';
import { edgeId } from './flow-types';

export type SpecLookup = (type: string) => NodeSpec | undefined;

export function toFlowNode(n: WorkflowNode, spec: SpecLookup): AppNode {
  const data: GraphNodeData = {
    type: n.type,
    params: n.params,
    ...(n.typeVersion !== undefined ? { typeVersion: n.typeVersion } : {}),
    ...(n.title !== undefined ? { title: n.title } : {}),
  };
  return { id: n.id, type: spec(n.type) ? 'operation' : 'unknown', position: { ...n.position }, data };
}

export function portTypeOf(
  spec: SpecLookup,
  nodes: ReadonlyMap<string, string>,
  source: string,
  handle: string,
): PortType | undefined {
  const t = nodes.get(source);
  return t ? spec(t)?.outputs.find((p) => p.name === handle)?.type : undefined;
}

export function toFlowEdge(e: WorkflowEdge, portType: PortType | undefined): AppEdge {
  return {
    id: edgeId(e),
    source: e.source,
    sourceHandle: e.sourceHandle,
    target: e.target,
    targetHandle: e.targetHandle,
    data: portType ? { portType } : {},
    ...(portType ? { style: { stroke: PORT_COLORS[portType], strokeWidth: 2 } } : {}),
  };
}

/** A workflow document as React Flow nodes and edges. */
export function workflowToFlow(wf: Workflow, spec: SpecLookup): { nodes: AppNode[]; edges: AppEdge[] } {
  const types = new Map(wf.nodes.map((n) => [n.id, n.type]));
  return {
    nodes: wf.nodes.map((n) => toFlowNode(n, spec)),
    edges: wf.edges.map((e) => toFlowEdge(e, portTypeOf(spec, types, e.source, e.sourceHandle))),
  };
}

/** The editor's graph as a workflow document (the one format for saving, the API and the UI). */
export function flowToWorkflow(
  nodes: readonly AppNode[],
  edges: readonly AppEdge[],
  meta: { inputs: Workflow['inputs']; name?: string; description?: string },
): Workflow {
  return {
    version: 1,
    ...(meta.name ? { name: meta.name } : {}),
    ...(meta.description ? { description: meta.description } : {}),
    nodes: nodes.map((n) => ({
      id: n.id,
      type: n.data.type,
      ...(n.data.typeVersion !== undefined ? { typeVersion: n.data.typeVersion } : {}),
      params: n.data.params,
      position: { x: Math.round(n.position.x), y: Math.round(n.position.y) },
      ...(n.data.title ? { title: n.data.title } : {}),
    })),
    edges: edges.map((e) => ({
      source: e.source,
      sourceHandle: e.sourceHandle ?? '',
      target: e.target,
      targetHandle: e.targetHandle ?? '',
    })),
    inputs: meta.inputs,
  };
}

/** A fresh node id for a type that is not taken yet: `maskfill`, `maskfill-2`, … */
export function freshNodeId(type: string, taken: ReadonlySet<string>): string {
  const base = type.replace(/[^A-Za-z0-9]+/g, '').toLowerCase() || 'node';
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base}-${i}`)) return `${base}-${i}`;
}
