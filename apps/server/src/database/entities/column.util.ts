import type { ValueTransformer } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';

/**
 * Milliseconds since the epoch in a bigint column: SQLite hands back numbers,
 * Postgres strings, the entity always sees a number.
 */
export const epochMs: ValueTransformer = {
  to: (v: number | null | undefined) => v,
  from: (v: string | number | null) => (v === null || v === undefined ? null : Number(v)),
};

/**
 * TypeORM's deep-partial type recurses into JSON columns and rejects
 * `Record<string, unknown>` there; JSON columns are stored whole, so a plain
 * partial is what is meant.
 */
export function columns<T>(patch: Partial<T>): QueryDeepPartialEntity<T> {
  return patch as QueryDeepPartialEntity<T>;
}
