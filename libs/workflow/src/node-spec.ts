import type { PortSpec } from './ports';

/** JSON Schema as produced by zod's `z.toJSONSchema` (kept opaque here). */
export type JsonSchema = Record<string, unknown>;

/**
 * A node type as data: what `GET /api/nodes` serves and what the UI builds its
 * palette, handles and widgets from. No functions, JSON only.
 */
export interface NodeSpec {
  type: string;
  version: number;
  title: string;
  category: string;
  description: string;
  inputs: PortSpec[];
  outputs: PortSpec[];
  /** JSON Schema of the params object; UI hints live in each property's metadata. */
  params: JsonSchema;
  /** Model ids from the model manifest that this node may need. */
  models: string[];
  /** Whether outputs may be cached (false for e.g. random seeds). */
  cacheable: boolean;
  /** True for nodes whose outputs are the run's results (SaveImage). */
  output: boolean;
}

export interface ParamProblem {
  /** Dotted path inside params, e.g. `radius` or `points.0.x`. */
  path: string;
  message: string;
}

/**
 * What the validator needs to know about a node type. The server builds this
 * from the zod-backed registry; a UI can build it from `NodeSpec` JSON.
 */
export interface NodeTypeInfo {
  type: string;
  version: number;
  inputs: PortSpec[];
  outputs: PortSpec[];
  /** Names of the top-level params (for exposed inputs and `--set`). */
  paramNames: string[];
  /** Returns every problem with the params (already migrated to `version`). */
  checkParams(params: Record<string, unknown>): ParamProblem[];
  /**
   * Migrates params saved by an older version, one version at a time.
   * Returns undefined when no migration from `fromVersion` exists.
   */
  migrate?(fromVersion: number, params: Record<string, unknown>): Record<string, unknown> | undefined;
  /** Model ids this node may need; checked against the manifest when given. */
  models?: string[];
}

export type NodeCatalog = (type: string) => NodeTypeInfo | undefined;
