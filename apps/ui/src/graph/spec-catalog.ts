import { z } from 'zod';
import type { NodeCatalog, NodeSpec, NodeTypeInfo, ParamProblem } from '@maskflow/workflow';

/**
 * The shared validator's node catalog, built from the NodeSpec JSON the
 * server serves: the editor checks a graph with exactly the rules the server
 * will apply before it runs it. Params are checked against the JSON Schema
 * (converted back to zod); a schema zod cannot read is not checked here (the
 * server still is).
 */
export function catalogFromSpecs(specs: readonly NodeSpec[]): NodeCatalog {
  const infos = new Map<string, NodeTypeInfo>();
  for (const spec of specs) infos.set(spec.type, infoFromSpec(spec));
  return (type) => infos.get(type);
}

function infoFromSpec(spec: NodeSpec): NodeTypeInfo {
  let schema: z.ZodType | undefined;
  try {
    schema = z.fromJSONSchema(spec.params as Parameters<typeof z.fromJSONSchema>[0]);
  } catch {
    schema = undefined;
  }
  const properties = (spec.params.properties ?? {}) as Record<string, unknown>;
  return {
    type: spec.type,
    version: spec.version,
    inputs: spec.inputs,
    outputs: spec.outputs,
    paramNames: Object.keys(properties),
    models: spec.models,
    checkParams(params: Record<string, unknown>): ParamProblem[] {
      if (!schema) return [];
      const r = schema.safeParse(params);
      return r.success
        ? []
        : r.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
    },
    // Older saves are migrated by the server (it owns the migrations); the editor only reads current params.
    migrate: (_from, params) => params,
  };
}
