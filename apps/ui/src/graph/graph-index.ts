import type { ExposedInput } from '@maskflow/workflow';
import type { AppEdge } from './flow-types';

/** Remembers the last argument and result: every node's selector shares one computation per store change. */
function lastOf<A extends object, R>(fn: (a: A) => R): (a: A) => R {
  let arg: A | undefined;
  let res: R;
  return (a) => {
    if (a !== arg) {
      res = fn(a);
      arg = a;
    }
    return res;
  };
}

/** Node id → its connected input handles, joined (a string, so selectors compare by value). */
export const fedInputsIndex = lastOf((edges: readonly AppEdge[]): ReadonlyMap<string, string> => {
  const m = new Map<string, string>();
  for (const e of edges) {
    const prev = m.get(e.target);
    m.set(e.target, prev === undefined ? (e.targetHandle ?? '') : `${prev}\u0000${e.targetHandle ?? ''}`);
  }
  return m;
});

/** Node id → `param=inputName` pairs of its exposed params, joined. */
export const exposedIndex = lastOf(
  (inputs: Readonly<Record<string, ExposedInput>>): ReadonlyMap<string, string> => {
    const m = new Map<string, string>();
    for (const [name, i] of Object.entries(inputs)) {
      const prev = m.get(i.node);
      m.set(i.node, prev === undefined ? `${i.param}=${name}` : `${prev}\u0000${i.param}=${name}`);
    }
    return m;
  },
);
