/**
 * Port types: what flows along an edge. The engine moves the values in memory;
 * the UI colours handles by these names.
 */
export const PORT_TYPES = ['IMAGE', 'MASK', 'MASKS', 'BOXES', 'TEXT', 'NUMBER', 'ARTIFACT'] as const;
export type PortType = (typeof PORT_TYPES)[number];

export const PORT_COLORS: Record<PortType, string> = {
  IMAGE: '#64b5f6',
  MASK: '#81c784',
  MASKS: '#4caf50',
  BOXES: '#ffb74d',
  TEXT: '#ce93d8',
  NUMBER: '#90a4ae',
  ARTIFACT: '#f06292',
};

/** Whether an output of type `from` may feed an input of type `to`. */
export function isPortCompatible(from: PortType, to: PortType): boolean {
  return from === to;
}

export interface PortSpec {
  name: string;
  type: PortType;
  label?: string;
  description?: string;
  optional?: boolean;
}
