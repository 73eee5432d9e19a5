/**
 * Device enrolment (the brief's contract): an operator mints a one-time enrolment token bound to a group;
 * a device presents it once to obtain its id and broker password. Token and password are stored only as
 * sha256 hashes. Consuming the token and creating the device happen in one transaction, so a token can
 * never enrol two devices and a refused enrolment (id taken) leaves the token usable.
 */
import { randomBytes } from 'node:crypto';
import { CHILD_SEPARATOR, isEnrollableDeviceId } from '@edgefleet/protocol';
import { eq } from 'drizzle-orm';
import { hashSecret, newSecret } from '../auth/secrets.js';
import type { Database } from '../db/database.js';
import { ControlPlaneError } from '../errors.js';

export interface Hardware {
  readonly platform: string;
  readonly arch: string;
  readonly cpus: number;
  readonly memoryBytes: number;
  readonly profile?: string | undefined;
}

export interface Enrolment {
  createToken(options: { group: string; tags: string[]; ttlSec: number; createdBy: string }): Promise<{
    token: string;
    group: string;
    expiresAt: number;
  }>;
  /** Consumes the token and creates the device; returns its id and (only now, in clear) its password. */
  enrol(options: { token: string; deviceId: string | undefined; hardware: Hardware | undefined }): Promise<{
    deviceId: string;
    password: string;
    group: string;
  }>;
}

export function createEnrolment(options: { database: Database; now: () => number }): Enrolment {
  const { database, now } = options;
  const { devices, enrolmentTokens } = database.tables;
  return {
    async createToken({ group, tags, ttlSec, createdBy }) {
      const token = newSecret('eet_');
      const createdAt = now();
      const expiresAt = createdAt + ttlSec * 1000;
      await database.db
        .insert(enrolmentTokens)
        .values({ tokenHash: hashSecret(token), group, tags, createdBy, createdAt, expiresAt });
      return { token, group, expiresAt };
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
        if (row === undefined || row.usedAt !== null || row.expiresAt <= now()) {
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
