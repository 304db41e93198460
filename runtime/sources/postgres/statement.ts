import type { Client, QueryConfig, QueryResult, QueryResultRow } from 'pg';

/**
 * Runs exactly one statement, over the extended query protocol: PostgreSQL refuses a second
 * statement there ("cannot insert multiple commands into a prepared statement"), so a value
 * that slipped past validation can at most break this statement, never append another. pg
 * only uses that protocol by itself when there are parameters; `queryMode` forces it (pg ≥ 8.12,
 * not in @types/pg yet).
 */
export function queryOne<R extends QueryResultRow = QueryResultRow>(client: Client, text: string, values: unknown[] = []): Promise<QueryResult<R>> {
  const config: QueryConfig<unknown[]> & { queryMode: 'extended' } = { text, values, queryMode: 'extended' };
  return client.query<R>(config);
}
