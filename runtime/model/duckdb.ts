import type { ColumnType } from './star';
import type { DuckDBConnection } from '@duckdb/node-api';

export interface Duck {
  /** Runs a statement; resolves to the rows it changed (for a COPY: the rows written). */
  run(sql: string): Promise<number>;
  /** Small result sets only (counts, schemas): rows never travel through JS on the hot path. */
  rows<T extends Record<string, unknown>>(sql: string): Promise<T[]>;
  close(): void;
}

/** SQL string literal for DuckDB (paths, values we generate). */
export function duckLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

// `string 'a row value'`, `format: "…"`, `key "…"`: where DuckDB quotes the data it failed on.
const QUOTED_DATA = /\b(string|value|format:|key)\s*(["'])(?:(?!\2)[^\n])*\2/gi;

/**
 * A DuckDB error as one line safe for logs and Slack: what failed and where (file, CSV line,
 * column), never the row's values. DuckDB quotes the offending value and, for CSV, prints the
 * whole source line ("Original Line: …"), which is a source row.
 */
export function duckErrorMessage(message: string): string {
  const lines = message.split('\n').map((l) => l.trim()).filter(Boolean);
  const kept = [lines[0] ?? 'DuckDB error', ...lines.slice(1).filter((l) => /^(Error when converting column|file = )/.test(l))];
  return kept.join('; ').replace(QUOTED_DATA, '$1 ***');
}

function duckError(err: unknown): Error {
  return new Error(duckErrorMessage(err instanceof Error ? err.message : String(err)));
}

/** An in-memory DuckDB with bounded memory that spills to `tempDir`. */
export async function openDuck(tempDir: string, memoryLimit = process.env.TRIBUTARY_DUCKDB_MEMORY ?? '512MB'): Promise<Duck> {
  // Loaded on first use: the native module takes ~0.3 s to load, and commands such as
  // `tributary status` import the warehouse without ever opening DuckDB.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { DuckDBInstance } = require('@duckdb/node-api') as typeof import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:', {
    threads: String(Math.max(1, Math.min(4, Number(process.env.TRIBUTARY_DUCKDB_THREADS ?? 2)))),
    memory_limit: memoryLimit,
    temp_directory: tempDir,
    preserve_insertion_order: 'false',
  });
  const connection: DuckDBConnection = await instance.connect();
  return {
    async run(sql) {
      const result = await connection.run(sql).catch((err: unknown) => Promise.reject(duckError(err)));
      return result.rowsChanged;
    },
    async rows<T extends Record<string, unknown>>(sql: string) {
      const reader = await connection.runAndReadAll(sql).catch((err: unknown) => Promise.reject(duckError(err)));
      return reader.getRowObjectsJson() as T[];
    },
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** The DuckDB type of each model column type, for casts and Parquet written from the model. */
export const DUCK_TYPES: Record<ColumnType, string> = {
  int: 'INTEGER',
  bigint: 'BIGINT',
  date: 'DATE',
  time: 'TIME',
  varchar: 'VARCHAR',
  'numeric(10,2)': 'DECIMAL(10,2)',
  'numeric(18,2)': 'DECIMAL(18,2)',
  numeric: 'DECIMAL(38,6)',
  boolean: 'BOOLEAN',
  timestamp: 'TIMESTAMP',
};
