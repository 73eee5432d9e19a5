/**
 * Operator API tokens with roles (DESIGN.md §3): admin > operator > viewer. Tokens are stored as sha256
 * hashes under a unique name (the audit log's actor). The bootstrap admin token is either given in the
 * options or generated once and written to `${dataDir}/admin-token` (mode 0600) so the first operator can
 * log in; on every start its hash is (re)installed under the name 'admin'.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/open-database.js';
import { apiTokens } from '../db/schema.js';
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

export interface ApiTokens {
  authenticate(token: string): Actor | null;
  create(options: { name: string; role: Role }): string;
}

const BOOTSTRAP_NAME = 'admin';

export function createApiTokens(options: { db: Db; now: () => number }): ApiTokens {
  const { db, now } = options;
  return {
    authenticate(token) {
      // Lookup by hash: the index does the comparison on a value the caller cannot steer bit by bit.
      const row = db
        .select()
        .from(apiTokens)
        .where(eq(apiTokens.tokenHash, hashSecret(token)))
        .get();
      return row === undefined ? null : { name: row.name, role: row.role };
    },
    create({ name, role }) {
      if (db.select().from(apiTokens).where(eq(apiTokens.name, name)).get() !== undefined) {
        throw new ControlPlaneError('CONFLICT', `a token named ${name} exists`, { details: { name } });
      }
      const token = newSecret('eft_');
      db.insert(apiTokens)
        .values({ tokenHash: hashSecret(token), name, role, createdAt: now() })
        .run();
      return token;
    },
  };
}

/** Installs the bootstrap admin token and returns it in clear (for the handle and the CLI). */
export function installAdminToken(options: {
  db: Db;
  dataDir: string;
  adminToken?: string;
  now: () => number;
}): string {
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
  options.db.transaction((tx) => {
    tx.delete(apiTokens).where(eq(apiTokens.name, BOOTSTRAP_NAME)).run();
    tx.delete(apiTokens).where(eq(apiTokens.tokenHash, tokenHash)).run();
    tx.insert(apiTokens).values({ tokenHash, name: BOOTSTRAP_NAME, role: 'admin', createdAt: options.now() }).run();
  });
  return token;
}
