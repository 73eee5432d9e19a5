/**
 * Device enrolment (the brief's contract): an operator mints a one-time enrolment token bound to a group;
 * a device presents it once to obtain its id and broker password. Token and password are stored only as
 * sha256 hashes. Consuming the token and creating the device happen in one transaction, so a token can
 * never enrol two devices and a refused enrolment (id taken) leaves the token usable.
 */
import { randomBytes } from 'node:crypto';
import { CHILD_SEPARATOR, isEnrollableDeviceId } from '@edgefleet/protocol';
import { eq, like } from 'drizzle-orm';
import { hashSecret, newSecret } from '../auth/secrets.js';
import type { Database, Tables } from '../db/database.js';
import { ControlPlaneError } from '../errors.js';

export interface Hardware {
  readonly platform: string;
  readonly arch: string;
  readonly cpus: number;
  readonly memoryBytes: number;
  readonly profile?: string | undefined;
}

/** An enrolment token as operators see it: an id (a prefix of its hash), never the token itself. */
export interface EnrolmentTokenInfo {
  readonly id: string;
  readonly group: string;
  readonly tags: string[];
  readonly createdBy: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly state: 'usable' | 'used' | 'expired' | 'revoked';
  /** Tokens are single-use: 1 while usable, else 0. */
  readonly remainingUses: number;
  readonly usedBy: string | null;
}

/** Characters of the token hash that name a token in the API. */
const TOKEN_ID_LENGTH = 16;

export interface Enrolment {
  createToken(options: { group: string; tags: string[]; ttlSec: number; createdBy: string }): Promise<{
    token: string;
    id: string;
    group: string;
    expiresAt: number;
  }>;
  /**
   * Undoes an enrolment whose broker-side credential could not be created: deletes the device row and makes
   * its token usable again, in one transaction, so the device can simply retry.
   */
  undo(deviceId: string): Promise<void>;
  listTokens(): Promise<EnrolmentTokenInfo[]>;
  /** Makes an unused token unusable; NOT_FOUND for an unknown id, CONFLICT for a used one. */
  revokeToken(id: string): Promise<EnrolmentTokenInfo>;
  /** Consumes the token and creates the device; returns its id and (only now, in clear) its password. */
  enrol(options: { token: string; deviceId: string | undefined; hardware: Hardware | undefined }): Promise<{
    deviceId: string;
    password: string;
    group: string;
  }>;
}

function tokenInfo(row: Tables['enrolmentTokens']['$inferSelect'], at: number): EnrolmentTokenInfo {
  const state =
    row.revokedAt !== null ? 'revoked' : row.usedAt !== null ? 'used' : row.expiresAt <= at ? 'expired' : 'usable';
  return {
    id: row.tokenHash.slice(0, TOKEN_ID_LENGTH),
    group: row.group,
    tags: row.tags,
    createdBy: row.createdBy,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    state,
    remainingUses: state === 'usable' ? 1 : 0,
    usedBy: row.usedBy,
  };
}

export function createEnrolment(options: { database: Database; now: () => number }): Enrolment {
  const { database, now } = options;
  const { devices, enrolmentTokens } = database.tables;
  return {
    async createToken({ group, tags, ttlSec, createdBy }) {
      const token = newSecret('eet_');
      const createdAt = now();
      const expiresAt = createdAt + ttlSec * 1000;
      const tokenHash = hashSecret(token);
      await database.db.insert(enrolmentTokens).values({ tokenHash, group, tags, createdBy, createdAt, expiresAt });
      return { token, id: tokenHash.slice(0, TOKEN_ID_LENGTH), group, expiresAt };
    },
    async undo(deviceId) {
      await database.transaction(async (tx) => {
        await tx
          .update(enrolmentTokens)
          .set({ usedAt: null, usedBy: null })
          .where(eq(enrolmentTokens.usedBy, deviceId));
        await tx.delete(devices).where(eq(devices.id, deviceId));
      });
    },
    async listTokens() {
      const rows = await database.db.select().from(enrolmentTokens).orderBy(enrolmentTokens.createdAt);
      return rows.map((row) => tokenInfo(row, now()));
    },
    async revokeToken(id) {
      const [row] =
        id.length === TOKEN_ID_LENGTH && /^[0-9a-f]+$/.test(id)
          ? await database.db
              .select()
              .from(enrolmentTokens)
              .where(like(enrolmentTokens.tokenHash, `${id}%`))
              .limit(1)
          : [];
      if (row === undefined) throw new ControlPlaneError('NOT_FOUND', `no enrolment token ${id}`, { details: { id } });
      if (row.usedAt !== null) {
        throw new ControlPlaneError(
          'CONFLICT',
          `enrolment token ${id} enrolled ${row.usedBy} already; revoke the device`,
          {
            details: { id, usedBy: row.usedBy },
          },
        );
      }
      const revokedAt = row.revokedAt ?? now();
      await database.db.update(enrolmentTokens).set({ revokedAt }).where(eq(enrolmentTokens.tokenHash, row.tokenHash));
      return tokenInfo({ ...row, revokedAt }, now());
    },
    async enrol({ token, deviceId, hardware }) {
      const id = deviceId ?? `dev-${randomBytes(6).toString('hex')}`;
      if (!isEnrollableDeviceId(id)) {
        // `--` joins a gateway's id and its child's name (DESIGN.md §6): an enrolled id must never look like one.
        throw new ControlPlaneError(
          'BODY_INVALID',
          `deviceId must be 1-63 chars of [a-z0-9-] without ${CHILD_SEPARATOR}`,
          {
            details: { deviceId: id },
          },
        );
      }
      const password = newSecret();
      return database.transaction(async (tx) => {
        const [row] = await tx
          .select()
          .from(enrolmentTokens)
          .where(eq(enrolmentTokens.tokenHash, hashSecret(token)))
          .limit(1);
        if (row === undefined || row.usedAt !== null || row.revokedAt !== null || row.expiresAt <= now()) {
          throw new ControlPlaneError('ENROLMENT_TOKEN_INVALID', 'enrolment token is unknown, used or expired');
        }
        const [taken] = await tx.select({ id: devices.id }).from(devices).where(eq(devices.id, id)).limit(1);
        if (taken !== undefined) {
          throw new ControlPlaneError('CONFLICT', `device id ${id} is taken`, { details: { deviceId: id } });
        }
        await tx.insert(devices).values({
          id,
          group: row.group,
          tags: row.tags,
          passwordHash: hashSecret(password),
          hardware: hardware === undefined ? null : { ...hardware },
          enrolledAt: now(),
        });
        await tx
          .update(enrolmentTokens)
          .set({ usedAt: now(), usedBy: id })
          .where(eq(enrolmentTokens.tokenHash, row.tokenHash));
        return { deviceId: id, password, group: row.group };
      });
    },
  };
}
