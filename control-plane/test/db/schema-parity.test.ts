import { getTableName, is, Table } from 'drizzle-orm';
import { type PgTable, getTableConfig as pgConfig } from 'drizzle-orm/pg-core';
import { type SQLiteTable, getTableConfig as sqliteConfig } from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import * as pgSchema from '../../src/db/pg-schema.js';
import * as sqliteSchema from '../../src/db/schema.js';

/** The PostgreSQL type each SQLite column kind maps to (pg-columns.ts). */
const TYPE_MAP: Record<string, string[]> = {
  integer: ['bigint', 'bigserial'],
  text: ['text', 'jsonb'],
  blob: ['bytea'],
  real: ['double precision'],
};

type Shape = {
  columns: { name: string; notNull: boolean; primary: boolean; hasDefault: boolean; type: string }[];
  primaryKeys: string[][];
  indexes: { name: string; unique: boolean; columns: string[] }[];
  foreignKeys: { columns: string[]; table: string }[];
  uniques: string[][];
};

function shapeOf(config: ReturnType<typeof sqliteConfig> | ReturnType<typeof pgConfig>): Shape {
  return {
    columns: config.columns.map((c) => ({
      name: c.name,
      notNull: c.notNull,
      primary: c.primary,
      hasDefault: c.hasDefault && !c.name.startsWith('id'),
      type: c.getSQLType(),
    })),
    primaryKeys: config.primaryKeys.map((pk) => pk.columns.map((c) => c.name)),
    indexes: config.indexes
      .map((i) => ({
        name: i.config.name ?? '',
        unique: i.config.unique,
        columns: i.config.columns.map((c) => ('name' in c ? String(c.name) : '?')),
      }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    foreignKeys: config.foreignKeys.map((fk) => {
      const ref = fk.reference();
      return { columns: ref.columns.map((c) => c.name), table: getTableName(ref.foreignTable) };
    }),
    uniques: config.uniqueConstraints.map((u) => u.columns.map((c) => c.name)),
  };
}

const tablesOf = (schema: Record<string, unknown>) =>
  new Map(
    Object.values(schema)
      .filter((t) => is(t, Table))
      .map((t) => [getTableName(t as Table), t]),
  );

describe('SQLite and PostgreSQL schemas', () => {
  const sqlite = tablesOf(sqliteSchema);
  const pg = tablesOf(pgSchema);

  it('have the same tables', () => {
    expect([...pg.keys()].sort()).toEqual([...sqlite.keys()].sort());
    expect(sqlite.size).toBeGreaterThanOrEqual(19);
  });

  it.each([...sqlite.keys()])('%s has the same columns, keys, indexes and references in both dialects', (name) => {
    const lite = shapeOf(sqliteConfig(sqlite.get(name) as SQLiteTable));
    const post = shapeOf(pgConfig(pg.get(name) as PgTable));
    const strip = (s: Shape) => ({ ...s, columns: s.columns.map(({ type: _, ...rest }) => rest) });
    expect(strip(post)).toEqual(strip(lite));
    for (const [i, column] of lite.columns.entries()) {
      const pgType = post.columns[i]?.type ?? '';
      expect(TYPE_MAP[column.type]?.includes(pgType), `${name}.${column.name}: ${column.type} → ${pgType}`).toBe(true);
    }
  });
});
