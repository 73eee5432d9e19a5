/**
 * PostgreSQL column builders for the SQLite column kinds the schema uses, so pg-schema.ts reads line by line
 * like the SQLite tables: `integer` is a bigint in number mode (millisecond timestamps overflow int4),
 * `bytes` a bytea read as a Buffer (drizzle's pg-core has no bytea builder), JSON text a jsonb.
 */
import { bigint, customType } from 'drizzle-orm/pg-core';

export const integer = (name: string) => bigint(name, { mode: 'number' });

export const bytes = customType<{ data: Buffer; driverData: Buffer }>({
  dataType: () => 'bytea',
  toDriver: (value) => value,
  fromDriver: (value) => (Buffer.isBuffer(value) ? value : Buffer.from(value)),
});
