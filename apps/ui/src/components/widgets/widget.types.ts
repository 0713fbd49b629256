import type { ParamField } from '../../graph/param-fields';

export interface WidgetProps<K extends ParamField['kind'] = ParamField['kind']> {
  field: Extract<ParamField, { kind: K }>;
  value: unknown;
  onChange(value: unknown): void;
  /** For ids and labels: `<node>.<param>`. */
  idPrefix: string;
  /** The node the param belongs to (region widgets look up the image reaching it). */
  nodeId?: string;
  /** Seeds only: the seed the last run reported for this node. */
  usedSeed?: number;
}

/** React Flow leaves elements with these classes alone (no node drag, no canvas zoom on scroll). */
export const FIELD_CLASSES = 'nodrag nowheel';
