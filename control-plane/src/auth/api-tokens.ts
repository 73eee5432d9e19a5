/**
 * Operator API tokens with roles (DESIGN.md §3): admin > operator > viewer. Tokens are stored as sha256
 * hashes under a unique name (the audit log's actor). The bootstrap admin token is either given in the
 * options or generated once and written to `${dataDir}/admin-token` (mode 0600) so the first operator can
 * log in; on every start its hash is (re)installed under the name 'admin'.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import type { Database } from '../db/database.js';
import { ControlPlaneError } from '../errors.js';
import { hashSecret, newSecret } from './secrets.js';

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Actor {
  readonly name: string;
  readonly role: Role;
}

/** True when `role` includes every permission of `required` (roles are strictly ordered). */
export function roleAtLeast(role: Role, required: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(required);
}

export interface ApiTokenInfo {
  readonly name: string;
  readonly role: Role;
  readonly createdAt: number;
}

export interface ApiTokens {
  authenticate(token: string): Promise<Actor | null>;
  create(options: { name: string; role: Role }): Promise<string>;
  /** Every token by name and role; never the secret or its hash. */
  list(): Promise<ApiTokenInfo[]>;
  /** Deletes the token: its next call is 401. NOT_FOUND for an unknown name. */
  revoke(name: string): Promise<void>;
  /** A new secret under the same name and role; the old one stops working at once. */
  rotate(name: string): Promise<{ token: string; name: string; role: Role }>;
}

const BOOTSTRAP_NAME = 'admin';

export function createApiTokens(options: { database: Database; now: () => number }): ApiTokens {
  const { db, tables } = options.database;
  const { apiTokens } = tables;
  const { now } = options;
  return {
    async authenticate(token) {
      // Lookup by hash: the index does the comparison on a value the caller cannot steer bit by bit.
      const [row] = await db
        .select()
        .from(apiTokens)
        .where(eq(apiTokens.tokenHash, hashSecret(token)))
        .limit(1);
      return row === undefined ? null : { name: row.name, role: row.role };
    },
    async create({ name, role }) {
      const [existing] = await db.select().from(apiTokens).where(eq(apiTokens.name, name)).limit(1);
      if (existing !== undefined) {
        throw new ControlPlaneError('CONFLICT', `a token named ${name} exists`, { details: { name } });
      }
      const token = newSecret('eft_');
      await db.insert(apiTokens).values({ tokenHash: hashSecret(token), name, role, createdAt: now() });
      return token;
    },
    async list() {
      return db
        .select({ name: apiTokens.name, role: apiTokens.role, createdAt: apiTokens.createdAt })
        .from(apiTokens)
        .orderBy(apiTokens.name);
    },
    async revoke(name) {
      const deleted = await db.delete(apiTokens).where(eq(apiTokens.name, name)).returning({ name: apiTokens.name });
      if (deleted.length === 0)
        throw new ControlPlaneError('NOT_FOUND', `no token named ${name}`, { details: { name } });
    },
    async rotate(name) {
      const token = newSecret('eft_');
      const updated = await db
        .update(apiTokens)
        .set({ tokenHash: hashSecret(token), createdAt: now() })
        .where(eq(apiTokens.name, name))
        .returning({ role: apiTokens.role });
      const role = updated[0]?.role;
      if (role === undefined) throw new ControlPlaneError('NOT_FOUND', `no token named ${name}`, { details: { name } });
      return { token, name, role };
    },
  };
}

/** Installs the bootstrap admin token and returns it in clear (for the handle and the CLI). */
export async function installAdminToken(options: {
  database: Database;
  dataDir: string;
  adminToken?: string;
  now: () => number;
}): Promise<string> {
  const file = join(options.dataDir, 'admin-token');
  let token = options.adminToken;
  if (token === undefined) {
    if (existsSync(file)) {
      token = readFileSync(file, 'utf8').trim();
    } else {
      token = newSecret('eft_');
      writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
    }
  }
  const tokenHash = hashSecret(token);
  const { apiTokens } = options.database.tables;
  await options.database.transaction(async (tx) => {
    await tx.delete(apiTokens).where(eq(apiTokens.name, BOOTSTRAP_NAME));
    await tx.delete(apiTokens).where(eq(apiTokens.tokenHash, tokenHash));
    await tx.insert(apiTokens).values({ tokenHash, name: BOOTSTRAP_NAME, role: 'admin', createdAt: options.now() });
  });
  return token;
}
