import type { NodeSpec } from '@maskflow/workflow';

/** How one param is edited, decided from its JSON Schema property and UI hints. */
export type ParamField =
  | (FieldBase & {
      kind: 'slider' | 'number';
      integer: boolean;
      min?: number;
      max?: number;
      exclusiveMin?: boolean;
      exclusiveMax?: boolean;
      step?: number;
    })
  | (FieldBase & { kind: 'select'; options: Array<string | number> })
  | (FieldBase & { kind: 'text'; multiline: boolean; maxLength?: number; minLength?: number })
  | (FieldBase & { kind: 'seed'; min?: number; max?: number })
  | (FieldBase & { kind: 'image' })
  | (FieldBase & { kind: 'model'; modelKind?: string })
  | (FieldBase & { kind: 'color' })
  | (FieldBase & { kind: 'boolean' })
  /** Boxes drawn on the image reaching the node's `image` input (JSON when there is none). */
  | (FieldBase & { kind: 'boxes' })
  /** Labelled clicks on the image reaching the node's `image` input (JSON when there is none). */
  | (FieldBase & { kind: 'points' })
  | (FieldBase & { kind: 'json' });

export type ParamFieldKind = ParamField['kind'];

interface FieldBase {
  name: string;
  label: string;
  description?: string;
  required: boolean;
  default?: unknown;
}

type Prop = Record<string, unknown>;

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** `maxPixels` → "Max pixels", `boxThreshold` → "Box threshold". */
export function humanize(name: string): string {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .trim()
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function typeOf(p: Prop): string | undefined {
  const t = p.type;
  if (typeof t === 'string') return t;
  // ["integer", "null"] and the like: the first non-null type.
  if (Array.isArray(t)) return t.find((x): x is string => typeof x === 'string' && x !== 'null');
  return undefined;
}

/** One field from one JSON Schema property. Unknown shapes fall back to a JSON editor, never to nothing. */
export function paramField(name: string, prop: Prop, required: boolean): ParamField {
  const base: FieldBase = {
    name,
    label: str(prop.title) ?? str(prop.label) ?? humanize(name),
    description: str(prop.description),
    required,
    default: prop.default,
  };
  const type = typeOf(prop);
  const widget = str(prop.widget);
  if (widget === 'image-upload' || widget === 'image') return { ...base, kind: 'image' };
  if (widget === 'model') return { ...base, kind: 'model', modelKind: str(prop.kind) };
  if (widget === 'boxes' && type === 'array') return { ...base, kind: 'boxes' };
  if (widget === 'points' && type === 'array') return { ...base, kind: 'points' };
  if (prop.seed === true || widget === 'seed')
    return { ...base, kind: 'seed', min: num(prop.minimum), max: num(prop.maximum) };
  if (Array.isArray(prop.enum) && prop.enum.every((v) => typeof v === 'string' || typeof v === 'number')) {
    return { ...base, kind: 'select', options: prop.enum as Array<string | number> };
  }
  if (widget === 'color' || (type === 'string' && str(prop.pattern) === '^#[0-9a-fA-F]{6}$'))
    return { ...base, kind: 'color' };
  if (type === 'boolean') return { ...base, kind: 'boolean' };
  if (type === 'integer' || type === 'number') {
    const exMin = num(prop.exclusiveMinimum);
    const exMax = num(prop.exclusiveMaximum);
    const min = num(prop.minimum) ?? exMin;
    const max = num(prop.maximum) ?? exMax;
    const slider = widget === 'slider' && min !== undefined && max !== undefined;
    return {
      ...base,
      kind: slider ? 'slider' : 'number',
      integer: type === 'integer',
      min,
      max,
      exclusiveMin: exMin !== undefined && num(prop.minimum) === undefined,
      exclusiveMax: exMax !== undefined && num(prop.maximum) === undefined,
      step: num(prop.step) ?? (type === 'integer' ? 1 : undefined),
    };
  }
  if (type === 'string') {
    return {
      ...base,
      kind: 'text',
      multiline: prop.multiline === true || widget === 'textarea',
      maxLength: num(prop.maxLength),
      minLength: num(prop.minLength),
    };
  }
  return { ...base, kind: 'json' };
}

const cache = new WeakMap<NodeSpec, ParamField[]>();

/** Every param of a node type as fields, in declaration order (memoized per spec object). */
export function paramFields(spec: NodeSpec): ParamField[] {
  let fields = cache.get(spec);
  if (!fields) {
    const props = (spec.params.properties ?? {}) as Record<string, Prop>;
    const required = new Set(Array.isArray(spec.params.required) ? (spec.params.required as string[]) : []);
    fields = Object.entries(props).map(([name, prop]) => paramField(name, prop, required.has(name)));
    cache.set(spec, fields);
  }
  return fields;
}

/** The params a new node starts with: every declared default (deep-copied), nothing else. */
export function defaultParams(spec: NodeSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of paramFields(spec)) {
    if (f.default !== undefined) out[f.name] = structuredClone(f.default);
    else if (f.kind === 'image') out[f.name] = '';
  }
  return out;
}

/** Clamps and rounds a number to a field's limits (used by sliders and number boxes on commit). */
export function clampToField(
  field: Extract<ParamField, { kind: 'slider' | 'number' | 'seed' }>,
  value: number,
): number {
  if (field.kind === 'seed') {
    // -1 means "a new random seed on every run" and is always allowed.
    if (Math.round(value) === -1) return -1;
    return Math.min(Math.max(Math.round(value), field.min ?? 0), field.max ?? Number.MAX_SAFE_INTEGER);
  }
  let v = field.integer ? Math.round(value) : value;
  const nudge = field.step ?? (field.integer ? 1 : 0.001);
  if (field.min !== undefined && (v < field.min || (field.exclusiveMin && v <= field.min)))
    v = field.exclusiveMin ? field.min + nudge : field.min;
  if (field.max !== undefined && (v > field.max || (field.exclusiveMax && v >= field.max)))
    v = field.exclusiveMax ? field.max - nudge : field.max;
  return v;
}

/** A random seed within the field's limits (inclusive), never -1. */
export function randomSeed(field: Extract<ParamField, { kind: 'seed' }>): number {
  const lo = Math.max(0, field.min ?? 0);
  const hi = Math.min(field.max ?? 2 ** 32 - 1, Number.MAX_SAFE_INTEGER);
  return lo + Math.floor(Math.random() * (hi - lo + 1));
}
