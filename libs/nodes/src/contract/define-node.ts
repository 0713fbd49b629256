import type { z } from 'zod';
import type { PortSpec, PortType } from '@maskflow/workflow';
import type { NodeContext } from './context';
import type { PortValueMap } from './values';

export interface PortDecl<T extends PortType = PortType, O extends boolean = boolean> {
  type: T;
  optional: O;
  label?: string;
  description?: string;
}

/** Declares a port: `port('IMAGE')`, `port('MASK', { optional: true })`. */
export function port<T extends PortType>(
  type: T,
  opts?: { label?: string; description?: string },
): PortDecl<T, false>;
export function port<T extends PortType>(
  type: T,
  opts: { optional: true; label?: string; description?: string },
): PortDecl<T, true>;
export function port<T extends PortType>(
  type: T,
  opts: { optional?: boolean; label?: string; description?: string } = {},
): PortDecl<T, boolean> {
  return { type, optional: opts.optional ?? false, label: opts.label, description: opts.description };
}

export type PortDecls = Record<string, PortDecl>;

/** Input values as the node sees them: optional ports may be undefined. */
export type InputValues<I extends PortDecls> = {
  [K in keyof I as I[K]['optional'] extends true ? never : K]: PortValueMap[I[K]['type']];
} & {
  [K in keyof I as I[K]['optional'] extends true ? K : never]?: PortValueMap[I[K]['type']];
};

export type OutputValues<O extends PortDecls> = { [K in keyof O]: PortValueMap[O[K]['type']] };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyObjectSchema = z.ZodObject<any>;

export interface NodeDefinition<
  I extends PortDecls = PortDecls,
  O extends PortDecls = PortDecls,
  P extends AnyObjectSchema = AnyObjectSchema,
> {
  type: string;
  /** Bumped on any change to params or ports; older saves migrate through `migrations`. */
  version: number;
  title: string;
  category: string;
  description: string;
  inputs: I;
  outputs: O;
  /** Params as a zod object. UI hints go in `.meta({ ... })`: widget, step, multiline, seed. */
  params: P;
  /** Model ids (from the manifest) this node may load. */
  models?: string[];
  /**
   * Whether outputs may be cached. A function decides per params, e.g. a
   * random seed (-1) is never cached, a fixed seed is.
   */
  cacheable?: boolean | ((params: z.output<P>) => boolean);
  /** The node's outputs are results of the run (SaveImage). */
  output?: boolean;
  /**
   * `migrations[v]` turns params saved by version v-1 into version v params.
   */
  migrations?: Record<number, (params: Record<string, unknown>) => Record<string, unknown>>;
  /**
   * Extra identity for the cache key beyond params and inputs, e.g. the hash of
   * the file a path param refers to (the file may change under the same name).
   */
  fingerprint?(params: z.output<P>, ctx: NodeContext): Promise<string>;
  execute(args: { inputs: InputValues<I>; params: z.output<P>; ctx: NodeContext }): Promise<OutputValues<O>>;
}

/** Declares a node type. Params are declared once; input, output and param types are inferred from them. */
export function defineNode<I extends PortDecls, O extends PortDecls, P extends AnyObjectSchema>(
  def: NodeDefinition<I, O, P>,
): NodeDefinition<I, O, P> {
  return def;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyNodeDefinition = NodeDefinition<any, any, any>;

export function portSpecs(decls: PortDecls): PortSpec[] {
  return Object.entries(decls).map(([name, d]) => ({
    name,
    type: d.type,
    ...(d.label ? { label: d.label } : {}),
    ...(d.description ? { description: d.description } : {}),
    ...(d.optional ? { optional: true } : {}),
  }));
}
