import { z } from 'zod';
import type { NodeCatalog, NodeSpec, NodeTypeInfo, ParamProblem } from '@maskflow/workflow';
import type { AnyNodeDefinition, PortDecls } from './define-node';
import { portSpecs } from './define-node';

export function zodProblems(error: z.ZodError): ParamProblem[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}

/** Holds every node type; serializes them for the UI and answers the validator. */
export class NodeRegistry {
  private readonly defs = new Map<string, AnyNodeDefinition>();
  private readonly infos = new WeakMap<AnyNodeDefinition, NodeTypeInfo>();

  constructor(defs: Iterable<AnyNodeDefinition> = []) {
    for (const d of defs) this.register(d);
  }

  register(def: AnyNodeDefinition): this {
    if (this.defs.has(def.type)) throw new Error(`node type "${def.type}" is registered twice`);
    this.defs.set(def.type, def);
    return this;
  }

  get(type: string): AnyNodeDefinition | undefined {
    return this.defs.get(type);
  }

  list(): AnyNodeDefinition[] {
    return [...this.defs.values()];
  }

  /** Parses params (defaults applied) or returns the problems. */
  parseParams(
    def: AnyNodeDefinition,
    params: Record<string, unknown>,
  ): { ok: true; params: Record<string, unknown> } | { ok: false; problems: ParamProblem[] } {
    const r = (def.params as z.ZodType).safeParse(params);
    return r.success
      ? { ok: true, params: r.data as Record<string, unknown> }
      : { ok: false, problems: zodProblems(r.error) };
  }

  typeInfo(def: AnyNodeDefinition): NodeTypeInfo {
    let info = this.infos.get(def);
    if (!info) {
      info = this.buildTypeInfo(def);
      this.infos.set(def, info);
    }
    return info;
  }

  private buildTypeInfo(def: AnyNodeDefinition): NodeTypeInfo {
    return {
      type: def.type,
      version: def.version,
      inputs: portSpecs(def.inputs as PortDecls),
      outputs: portSpecs(def.outputs as PortDecls),
      paramNames: Object.keys((def.params as z.ZodObject).shape),
      models: def.models ?? [],
      checkParams: (params) => {
        const r = this.parseParams(def, params);
        return r.ok ? [] : r.problems;
      },
      migrate: (from, params) => def.migrations?.[from + 1]?.(params),
    };
  }

  /** The lookup the pure validator uses. */
  readonly catalog: NodeCatalog = (type) => {
    const def = this.defs.get(type);
    return def ? this.typeInfo(def) : undefined;
  };

  spec(def: AnyNodeDefinition): NodeSpec {
    return {
      type: def.type,
      version: def.version,
      title: def.title,
      category: def.category,
      description: def.description,
      inputs: portSpecs(def.inputs as PortDecls),
      outputs: portSpecs(def.outputs as PortDecls),
      params: z.toJSONSchema(def.params as z.ZodType, { io: 'input', unrepresentable: 'any' }),
      models: def.models ?? [],
      cacheable: def.cacheable !== false,
      output: def.output ?? false,
    };
  }

  /** Every definition as JSON, for `GET /api/nodes` and the palette. */
  toJSON(): NodeSpec[] {
    return this.list().map((d) => this.spec(d));
  }
}
