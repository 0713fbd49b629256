import { applyEdgeChanges, applyNodeChanges } from '@xyflow/react';
import type { Connection, EdgeChange, NodeChange, XYPosition } from '@xyflow/react';
import { create } from 'zustand';
import type { ExposedInput, Workflow } from '@maskflow/workflow';
import type { ConnectionVerdict } from '../graph/connection-rules';
import { checkConnection } from '../graph/connection-rules';
import type { AppEdge, AppNode } from '../graph/flow-types';
import { edgeId } from '../graph/flow-types';
import { defaultParams } from '../graph/param-fields';
import {
  flowToWorkflow,
  freshNodeId,
  portTypeOf,
  toFlowEdge,
  toFlowNode,
  workflowToFlow,
} from '../graph/workflow-convert';
import { specOf, useSpecsStore } from './specs.store';

/** The saved identity of what is open: absent `id` means never saved. */
export interface DocMeta {
  id?: string;
  name: string;
  description: string;
  revision?: number;
}

type Inputs = Record<string, ExposedInput>;

interface Snapshot {
  nodes: AppNode[];
  edges: AppEdge[];
  inputs: Inputs;
  name: string;
}

/** What Ctrl+C keeps: a small workflow fragment. */
export interface ClipboardFragment {
  maskflowClipboard: 1;
  nodes: Workflow['nodes'];
  edges: Workflow['edges'];
}

export interface EditorState {
  nodes: AppNode[];
  edges: AppEdge[];
  inputs: Inputs;
  meta: DocMeta;
  /** The graph as last loaded or saved, serialized: undo back to it and the document is clean again. */
  savedJson: string;
  dirty: boolean;
  past: Snapshot[];
  future: Snapshot[];
  clipboard: ClipboardFragment | null;
  coalesce?: { key: string; at: number };
  /** Bumped by every load: the canvas fits the view once per loaded document. */
  loadGeneration: number;

  onNodesChange(changes: NodeChange<AppNode>[]): void;
  onEdgesChange(changes: EdgeChange<AppEdge>[]): void;
  connect(c: Connection): ConnectionVerdict;
  addNode(type: string, position: XYPosition): string | undefined;
  setParam(nodeId: string, name: string, value: unknown): void;
  setNodeTitle(nodeId: string, title: string): void;
  /** Called when a node drag starts: the position before it becomes one undo step. */
  beginDrag(): void;
  deleteSelection(): number;
  copySelection(): ClipboardFragment | null;
  paste(fragment?: ClipboardFragment | null, at?: XYPosition): number;
  selectNodes(ids: readonly string[]): void;
  undo(): void;
  redo(): void;
  rename(name: string): void;
  exposeParam(nodeId: string, param: string): string;
  unexposeInput(name: string): void;
  renameInput(from: string, to: string): boolean;
  setInputLabel(name: string, label: string): void;
  load(wf: Workflow, meta: DocMeta): void;
  /** After a save: `savedJson` is the editor's serialization taken when the save started. */
  markSaved(meta: DocMeta, savedJson?: string): void;
}

const HISTORY_LIMIT = 200;
/** Param edits to the same field within this window are one undo step (typing a prompt). */
const COALESCE_MS = 1500;

export function workflowOf(s: Pick<EditorState, 'nodes' | 'edges' | 'inputs' | 'meta'>): Workflow {
  return flowToWorkflow(s.nodes, s.edges, {
    inputs: s.inputs,
    name: s.meta.name,
    description: s.meta.description || undefined,
  });
}

export function serialize(s: Pick<EditorState, 'nodes' | 'edges' | 'inputs' | 'meta'>): string {
  return JSON.stringify(workflowOf(s));
}

function snapshot(s: EditorState): Snapshot {
  return { nodes: s.nodes, edges: s.edges, inputs: s.inputs, name: s.meta.name };
}

/** The state change that records the current graph as an undo step. */
function pushed(s: EditorState): Pick<EditorState, 'past' | 'future' | 'coalesce'> {
  const past = s.past.length >= HISTORY_LIMIT ? s.past.slice(1) : s.past.slice();
  past.push(snapshot(s));
  return { past, future: [], coalesce: undefined };
}

const lookup = (type: string) => specOf(type);

function takenIds(nodes: readonly AppNode[]): Set<string> {
  return new Set(nodes.map((n) => n.id));
}

/** Exposed inputs that still point at an existing node. */
function pruneInputs(inputs: Inputs, nodes: readonly AppNode[]): Inputs {
  const ids = takenIds(nodes);
  const entries = Object.entries(inputs).filter(([, i]) => ids.has(i.node));
  return entries.length === Object.keys(inputs).length ? inputs : Object.fromEntries(entries);
}

function emptyState(): Pick<
  EditorState,
  'nodes' | 'edges' | 'inputs' | 'meta' | 'dirty' | 'past' | 'future'
> {
  return {
    nodes: [],
    edges: [],
    inputs: {},
    meta: { name: 'Untitled workflow', description: '' },
    dirty: false,
    past: [],
    future: [],
  };
}

let beforeLoad: ((wf: Workflow) => void) | undefined;

/** The canvas registers here to set its viewport for a document before the document's nodes render. */
export function setBeforeLoad(fn: ((wf: Workflow) => void) | undefined): void {
  beforeLoad = fn;
}

export const useEditorStore = create<EditorState>()((set, get) => ({
  ...emptyState(),
  savedJson: serialize(emptyState()),
  clipboard: null,
  loadGeneration: 0,

  onNodesChange(changes) {
    const s = get();
    let mutates = false;
    let removes = false;
    for (const c of changes) {
      if (c.type === 'remove') removes = true;
      else if (c.type === 'position' || c.type === 'add' || c.type === 'replace') mutates = true;
    }
    const nodes = applyNodeChanges(changes, s.nodes);
    if (removes) {
      set({ ...pushed(s), nodes, inputs: pruneInputs(s.inputs, nodes), dirty: true });
    } else set(mutates ? { nodes, dirty: true } : { nodes });
  },

  onEdgesChange(changes) {
    const s = get();
    const removes = changes.some((c) => c.type === 'remove');
    const edges = applyEdgeChanges(changes, s.edges);
    set(removes ? { ...pushed(s), edges, dirty: true } : { edges });
  },

  connect(c) {
    const s = get();
    const types = new Map(s.nodes.map((n) => [n.id, n.data.type]));
    const verdict = checkConnection(c, { typeOf: (id) => types.get(id), spec: lookup, edges: s.edges });
    if (!verdict.ok) return verdict;
    const sourceHandle = c.sourceHandle ?? '';
    const targetHandle = c.targetHandle ?? '';
    const id = edgeId(c);
    if (s.edges.some((e) => e.id === id)) return verdict;
    const kept = s.edges.filter((e) => !(e.target === c.target && e.targetHandle === targetHandle));
    const edge = toFlowEdge(
      { source: c.source, sourceHandle, target: c.target, targetHandle },
      portTypeOf(lookup, types, c.source, sourceHandle),
    );
    set({ ...pushed(s), edges: [...kept, edge], dirty: true });
    return verdict;
  },

  addNode(type, position) {
    const spec = specOf(type);
    if (!spec) return undefined;
    const s = get();
    const id = freshNodeId(type, takenIds(s.nodes));
    const node = toFlowNode(
      { id, type, typeVersion: spec.version, params: defaultParams(spec), position },
      lookup,
    );
    node.selected = true;
    set({
      ...pushed(s),
      nodes: [...s.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), node],
      dirty: true,
    });
    return id;
  },

  setParam(nodeId, name, value) {
    const s = get();
    const key = `${nodeId}\u0000${name}`;
    const now = Date.now();
    const same = s.coalesce && s.coalesce.key === key && now - s.coalesce.at < COALESCE_MS;
    const nodes = s.nodes.map((n) =>
      n.id === nodeId ? { ...n, data: { ...n.data, params: { ...n.data.params, [name]: value } } } : n,
    );
    set({ ...(same ? {} : pushed(s)), nodes, dirty: true, coalesce: { key, at: now } });
  },

  setNodeTitle(nodeId, title) {
    const s = get();
    const nodes = s.nodes.map((n) =>
      n.id === nodeId ? { ...n, data: { ...n.data, title: title || undefined } } : n,
    );
    set({ ...pushed(s), nodes, dirty: true });
  },

  beginDrag() {
    set(pushed(get()));
  },

  deleteSelection() {
    const s = get();
    const gone = new Set(s.nodes.filter((n) => n.selected).map((n) => n.id));
    const edges = s.edges.filter((e) => !e.selected && !gone.has(e.source) && !gone.has(e.target));
    if (!gone.size && edges.length === s.edges.length) return 0;
    const nodes = s.nodes.filter((n) => !gone.has(n.id));
    set({ ...pushed(s), nodes, edges, inputs: pruneInputs(s.inputs, nodes), dirty: true });
    return gone.size + (s.edges.length - edges.length);
  },

  copySelection() {
    const s = get();
    const picked = s.nodes.filter((n) => n.selected);
    if (!picked.length) return null;
    const ids = new Set(picked.map((n) => n.id));
    const wf = flowToWorkflow(
      picked,
      s.edges.filter((e) => ids.has(e.source) && ids.has(e.target)),
      { inputs: {} },
    );
    const fragment: ClipboardFragment = {
      maskflowClipboard: 1,
      nodes: structuredClone(wf.nodes),
      edges: wf.edges,
    };
    set({ clipboard: fragment });
    return fragment;
  },

  paste(fragment = get().clipboard, at) {
    if (!fragment?.nodes.length) return 0;
    const s = get();
    const taken = takenIds(s.nodes);
    const rename = new Map<string, string>();
    const minX = Math.min(...fragment.nodes.map((n) => n.position.x));
    const minY = Math.min(...fragment.nodes.map((n) => n.position.y));
    const added: AppNode[] = fragment.nodes.map((n) => {
      const id = freshNodeId(n.type, taken);
      taken.add(id);
      rename.set(n.id, id);
      const position = at
        ? { x: at.x + n.position.x - minX, y: at.y + n.position.y - minY }
        : { x: n.position.x + 40, y: n.position.y + 40 };
      const node = toFlowNode({ ...n, id, params: structuredClone(n.params), position }, lookup);
      node.selected = true;
      return node;
    });
    const types = new Map([...s.nodes, ...added].map((n) => [n.id, n.data.type]));
    const edges = fragment.edges.flatMap((e) => {
      const source = rename.get(e.source);
      const target = rename.get(e.target);
      if (!source || !target) return [];
      return [toFlowEdge({ ...e, source, target }, portTypeOf(lookup, types, source, e.sourceHandle))];
    });
    set({
      ...pushed(s),
      nodes: [...s.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), ...added],
      edges: [...s.edges.map((e) => (e.selected ? { ...e, selected: false } : e)), ...edges],
      dirty: true,
    });
    return added.length;
  },

  selectNodes(ids) {
    const want = new Set(ids);
    set({
      nodes: get().nodes.map((n) =>
        !!n.selected === want.has(n.id) ? n : { ...n, selected: want.has(n.id) },
      ),
    });
  },

  undo() {
    const s = get();
    const prev = s.past.at(-1);
    if (!prev) return;
    const restored = {
      nodes: prev.nodes,
      edges: prev.edges,
      inputs: prev.inputs,
      meta: { ...s.meta, name: prev.name },
    };
    set({
      ...restored,
      past: s.past.slice(0, -1),
      future: [...s.future, snapshot(s)],
      coalesce: undefined,
      dirty: serialize(restored) !== s.savedJson,
    });
  },

  redo() {
    const s = get();
    const next = s.future.at(-1);
    if (!next) return;
    const restored = {
      nodes: next.nodes,
      edges: next.edges,
      inputs: next.inputs,
      meta: { ...s.meta, name: next.name },
    };
    set({
      ...restored,
      future: s.future.slice(0, -1),
      past: [...s.past, snapshot(s)],
      coalesce: undefined,
      dirty: serialize(restored) !== s.savedJson,
    });
  },

  rename(name) {
    const s = get();
    if (name === s.meta.name) return;
    // Typing a name is one undo step, like typing a prompt.
    const now = Date.now();
    const same = s.coalesce?.key === 'name' && now - s.coalesce.at < COALESCE_MS;
    set({
      ...(same ? {} : pushed(s)),
      meta: { ...s.meta, name },
      dirty: true,
      coalesce: { key: 'name', at: now },
    });
  },

  exposeParam(nodeId, param) {
    const s = get();
    const existing = Object.entries(s.inputs).find(([, i]) => i.node === nodeId && i.param === param);
    if (existing) return existing[0];
    const base = param.replace(/[^A-Za-z0-9_-]/g, '_') || 'input';
    let name = base;
    for (let i = 2; name in s.inputs; i++) name = `${base}-${i}`;
    set({ ...pushed(s), inputs: { ...s.inputs, [name]: { node: nodeId, param } }, dirty: true });
    return name;
  },

  unexposeInput(name) {
    const s = get();
    if (!(name in s.inputs)) return;
    const { [name]: _gone, ...rest } = s.inputs;
    set({ ...pushed(s), inputs: rest, dirty: true });
  },

  renameInput(from, to) {
    const s = get();
    if (from === to) return true;
    if (!/^[A-Za-z0-9_-]+$/.test(to) || to in s.inputs || !(from in s.inputs)) return false;
    const inputs = Object.fromEntries(Object.entries(s.inputs).map(([k, v]) => [k === from ? to : k, v]));
    set({ ...pushed(s), inputs, dirty: true });
    return true;
  },

  setInputLabel(name, label) {
    const s = get();
    const cur = s.inputs[name];
    if (!cur) return;
    const { label: _old, ...rest } = cur;
    set({ ...pushed(s), inputs: { ...s.inputs, [name]: label ? { ...rest, label } : rest }, dirty: true });
  },

  load(wf, meta) {
    beforeLoad?.(wf);
    const { nodes, edges } = workflowToFlow(wf, lookup);
    const next = { nodes, edges, inputs: wf.inputs, meta };
    set({
      ...next,
      past: [],
      future: [],
      coalesce: undefined,
      dirty: false,
      savedJson: serialize(next),
      loadGeneration: get().loadGeneration + 1,
    });
  },

  markSaved(meta, savedJson) {
    const s = get();
    const next = { ...s, meta };
    // If the graph changed while the save was in flight, it stays dirty against what was saved.
    const json = savedJson ?? serialize(next);
    set({ meta, savedJson: json, dirty: serialize(next) !== json });
  },
}));

/** The open graph as a workflow document. */
export function currentWorkflow(): Workflow {
  return workflowOf(useEditorStore.getState());
}

/** Re-resolves node kinds after the node list arrives (a type unknown at load may be known now). */
export function refreshNodeKinds(): void {
  const { byType } = useSpecsStore.getState();
  const s = useEditorStore.getState();
  let changed = false;
  const nodes = s.nodes.map((n) => {
    const kind = byType.has(n.data.type) ? 'operation' : 'unknown';
    if (kind === n.type) return n;
    changed = true;
    return { ...n, type: kind } as AppNode;
  });
  if (changed) useEditorStore.setState({ nodes });
}
