import type { DataSource } from 'typeorm';

/**
 * One SQL statement with `?` placeholders and double-quoted identifiers: the
 * same text runs on SQLite and Postgres.
 */
export interface Statement {
  sql: string;
  params?: unknown[];
}

/** The little of better-sqlite3's Database used here (the package ships no types). */
interface SqliteDatabase {
  prepare(sql: string): {
    reader: boolean;
    all(...params: unknown[]): unknown[];
    run(...params: unknown[]): unknown;
  };
  transaction<T>(fn: () => T): () => T;
}

/**
 * Runs the statements in one transaction and returns the rows each returned
 * (none for statements that return no rows); any error rolls all of them back.
 *
 * On better-sqlite3 every query of the process shares one connection, so a
 * TypeORM transaction there would take in whatever other writes (a running
 * run's events) happen while it awaits, and roll them back with it. The
 * statements therefore run synchronously in better-sqlite3's own transaction,
 * which nothing can interleave with. Elsewhere (Postgres) it is a TypeORM
 * transaction on a connection of its own.
 */
export async function runInTransaction(ds: DataSource, statements: Statement[]): Promise<unknown[][]> {
  if (ds.options.type === 'better-sqlite3') {
    const db = (ds.driver as unknown as { databaseConnection: SqliteDatabase }).databaseConnection;
    return db.transaction(() =>
      statements.map(({ sql, params = [] }) => {
        const stmt = db.prepare(sql);
        if (stmt.reader) return stmt.all(...params);
        stmt.run(...params);
        return [];
      }),
    )();
  }
  return ds.transaction(async (em) => {
    const results: unknown[][] = [];
    for (const { sql, params = [] } of statements) {
      let n = 0;
      const rows: unknown = await em.query(
        sql.replace(/\?/g, () => `$${++n}`),
        params,
      );
      results.push(/^\s*select\b/i.test(sql) && Array.isArray(rows) ? rows : []);
    }
    return results;
  });
}
