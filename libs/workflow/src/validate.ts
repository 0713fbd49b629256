import type { z } from 'zod';
import { findCycles } from './graph';
import type { WorkflowIssue } from './issues';
import type { NodeCatalog, NodeTypeInfo } from './node-spec';
import { isPortCompatible } from './ports';
import type { Workflow, WorkflowNode } from './workflow.schema';
import { workflowSchema } from './workflow.schema';

export interface ValidateOptions {
  /** When set, the run targets this node: it must exist. */
  target?: string;
}

export interface ValidationResult {
  /** The parsed document with node params migrated to the current versions (present unless the format is broken). */
  workflow?: Workflow;
  issues: WorkflowIssue[];
}

function zodPath(path: ReadonlyArray<PropertyKey>): string {
  return path.map((p) => String(p)).join('.');
}

function formatIssues(error: z.ZodError, doc: unknown): WorkflowIssue[] {
  const nodes = (doc as { nodes?: unknown })?.nodes;
  return error.issues.map((iss) => {
    const issue: WorkflowIssue = {
      code: 'format',
      message: iss.message,
      field: zodPath(iss.path) || '(document)',
    };
    // Tie problems inside nodes[i] to that node's id when it has one.
    if (iss.path[0] === 'nodes' && typeof iss.path[1] === 'number' && Array.isArray(nodes)) {
      const n = nodes[iss.path[1]] as { id?: unknown } | undefined;
      if (n && typeof n.id === 'string') {
        issue.nodeId = n.id;
        issue.field = zodPath(iss.path.slice(2)) || '(node)';
      }
    }
    return issue;
  });
}

/** Migrates one node's params from its saved version to the type's current one. */
function migrateNode(
  node: WorkflowNode,
  info: NodeTypeInfo,
  issues: WorkflowIssue[],
): WorkflowNode | undefined {
  if (node.typeVersion === undefined || node.typeVersion === info.version) {
    return { ...node, typeVersion: info.version };
  }
  if (node.typeVersion > info.version) {
    issues.push({
      code: 'unknown-version',
      nodeId: node.id,
      field: 'typeVersion',
      message: `${node.type} version ${node.typeVersion} is newer than this server knows (latest ${info.version})`,
    });
    return undefined;
  }
  let params = node.params;
  for (let v = node.typeVersion; v < info.version; v++) {
    const next = info.migrate?.(v, params);
    if (!next) {
      issues.push({
        code: 'missing-migration',
        nodeId: node.id,
        field: 'typeVersion',
        message: `${node.type} has no migration from version ${v} to ${v + 1}`,
      });
      return undefined;
    }
    params = next;
  }
  return { ...node, typeVersion: info.version, params };
}

/**
 * Validates a workflow document completely and returns every problem at once,
 * each tied to a node id and a field. Pure: the server and the editor share it.
 */
export function validateWorkflow(
  doc: unknown,
  catalog: NodeCatalog,
  opts: ValidateOptions = {},
): ValidationResult {
  const parsed = workflowSchema.safeParse(doc);
  if (!parsed.success) return { issues: formatIssues(parsed.error, doc) };
  const issues: WorkflowIssue[] = [];
  const wf = parsed.data;

  // Ids must be unique before anything else can refer to them.
  const byId = new Map<string, WorkflowNode>();
  for (const node of wf.nodes) {
    if (byId.has(node.id)) {
      issues.push({
        code: 'duplicate-id',
        nodeId: node.id,
        field: 'id',
        message: `node id "${node.id}" is used twice`,
      });
    } else byId.set(node.id, node);
  }

  const infos = new Map<string, NodeTypeInfo>();
  const migrated: WorkflowNode[] = [];
  for (const node of wf.nodes) {
    const info = catalog(node.type);
    if (!info) {
      issues.push({
        code: 'unknown-type',
        nodeId: node.id,
        field: 'type',
        message: `unknown node type "${node.type}"`,
      });
      migrated.push(node);
      continue;
    }
    const m = migrateNode(node, info, issues);
    if (!m) {
      migrated.push(node);
      continue;
    }
    infos.set(node.id, info);
    migrated.push(m);
    for (const p of info.checkParams(m.params)) {
      issues.push({
        code: 'invalid-param',
        nodeId: node.id,
        field: p.path || '(params)',
        message: p.message,
      });
    }
  }

  // Edges: ends exist, handles exist, types agree, one edge per input.
  const fed = new Map<string, number>();
  wf.edges.forEach((e, i) => {
    const where = `edges.${i}`;
    let ok = true;
    for (const end of ['source', 'target'] as const) {
      if (!byId.has(e[end])) {
        issues.push({
          code: 'dangling-edge',
          nodeId: byId.has(e.source) ? e.source : byId.has(e.target) ? e.target : undefined,
          field: where,
          message: `edge ${e.source}.${e.sourceHandle} → ${e.target}.${e.targetHandle}: ${end} node "${e[end]}" does not exist`,
        });
        ok = false;
      }
    }
    if (!ok) return;
    const sInfo = infos.get(e.source);
    const tInfo = infos.get(e.target);
    const out = sInfo?.outputs.find((p) => p.name === e.sourceHandle);
    const inp = tInfo?.inputs.find((p) => p.name === e.targetHandle);
    if (sInfo && !out) {
      issues.push({
        code: 'unknown-handle',
        nodeId: e.source,
        field: e.sourceHandle,
        message: `${sInfo.type} has no output "${e.sourceHandle}" (outputs: ${sInfo.outputs.map((p) => p.name).join(', ') || 'none'})`,
      });
    }
    if (tInfo && !inp) {
      issues.push({
        code: 'unknown-handle',
        nodeId: e.target,
        field: e.targetHandle,
        message: `${tInfo.type} has no input "${e.targetHandle}" (inputs: ${tInfo.inputs.map((p) => p.name).join(', ') || 'none'})`,
      });
    }
    if (out && inp && !isPortCompatible(out.type, inp.type)) {
      issues.push({
        code: 'type-mismatch',
        nodeId: e.target,
        field: e.targetHandle,
        message: `input "${e.targetHandle}" takes ${inp.type} but ${e.source}.${e.sourceHandle} gives ${out.type}`,
      });
    }
    const key = `${e.target}\u0000${e.targetHandle}`;
    fed.set(key, (fed.get(key) ?? 0) + 1);
    if (fed.get(key) === 2) {
      issues.push({
        code: 'duplicate-edge',
        nodeId: e.target,
        field: e.targetHandle,
        message: `input "${e.targetHandle}" has more than one incoming edge`,
      });
    }
  });

  for (const node of migrated) {
    const info = infos.get(node.id);
    if (!info) continue;
    for (const port of info.inputs) {
      if (!port.optional && !fed.has(`${node.id}\u0000${port.name}`)) {
        issues.push({
          code: 'missing-input',
          nodeId: node.id,
          field: port.name,
          message: `required input "${port.name}" (${port.type}) is not connected`,
        });
      }
    }
  }

  const ids = [...byId.keys()];
  const validEdges = wf.edges.filter((e) => byId.has(e.source) && byId.has(e.target));
  for (const cycle of findCycles(ids, validEdges)) {
    issues.push({
      code: 'cycle',
      nodeId: cycle[0],
      nodes: cycle,
      message: `cycle through nodes ${cycle.map((n) => `"${n}"`).join(' → ')}`,
    });
  }

  for (const [name, ref] of Object.entries(wf.inputs)) {
    const node = byId.get(ref.node);
    const info = node && infos.get(node.id);
    if (!node) {
      issues.push({
        code: 'exposed-input',
        field: `inputs.${name}`,
        message: `exposed input "${name}" points to node "${ref.node}", which does not exist`,
      });
    } else if (info && !info.paramNames.includes(ref.param)) {
      issues.push({
        code: 'exposed-input',
        nodeId: node.id,
        field: `inputs.${name}`,
        message: `exposed input "${name}" points to param "${ref.param}", which ${info.type} does not have`,
      });
    }
  }

  if (opts.target !== undefined && !byId.has(opts.target)) {
    issues.push({
      code: 'unknown-target',
      field: 'target',
      message: `target node "${opts.target}" does not exist`,
    });
  }

  return { workflow: { ...wf, nodes: migrated }, issues };
}

/** Thrown when exposed input values cannot be applied. */
export class WorkflowInputError extends Error {}

/**
 * Sets exposed inputs (`{ prompt: "a fox" }`) on a copy of the workflow.
 * Unknown names are refused with the list of known ones.
 */
export function applyWorkflowInputs<T extends Workflow>(wf: T, values: Record<string, unknown>): T {
  const copy = structuredClone(wf);
  for (const [name, value] of Object.entries(values)) {
    const ref = copy.inputs[name];
    if (!ref) {
      const known = Object.keys(copy.inputs);
      throw new WorkflowInputError(
        `unknown workflow input "${name}"; this workflow exposes ${known.length ? known.map((k) => `"${k}"`).join(', ') : 'no inputs'}`,
      );
    }
    const node = copy.nodes.find((n) => n.id === ref.node);
    if (!node) throw new WorkflowInputError(`workflow input "${name}" points to missing node "${ref.node}"`);
    node.params = { ...node.params, [ref.param]: value };
  }
  return copy;
}
