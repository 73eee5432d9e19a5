/**
 * Per-device desired state (the brief's `desired` topic): a DesiredBody naming, per model line, the signed
 * manifest the device should run, signed by the director role with a short TTL and a per-device sequence
 * that only grows (seq = previous + 1), so a replayed retained message can never undo a newer one. Every
 * document is persisted byte-exact and published retained with QoS 1, so a device that was offline finds
 * the current one when it subscribes (MQTT 3.1.1 §3.3.1.3).
 */
import {
  type DesiredBody,
  decodeCbor,
  deviceTopic,
  encodeCbor,
  type ManifestBody,
  type SigningKey,
  signDocument,
  signedDocumentSchema,
} from '@edgefleet/protocol';
import { eq } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { MessageBroker } from '../broker/message-broker.js';
import type { Database, Tables } from '../db/database.js';
import type { ModelRegistry } from '../registry/model-registry.js';

export interface Assignment {
  readonly line: string;
  readonly version: number;
  /** A challenger run in shadow beside `version` (issue 4): same inputs, only the champion answers. */
  readonly shadow?: number;
}

export type DesiredRow = Tables['deviceDesired']['$inferSelect'];

export interface DesiredState {
  /** Signs, stores and publishes a new document for the device (seq + 1). */
  assign(options: {
    deviceId: string;
    assignments: readonly Assignment[];
    rolloutId: string | null;
  }): Promise<DesiredRow>;
  current(deviceId: string): Promise<DesiredRow | null>;
  /** Manifests of the bundles currently assigned to the device (what it may fetch). */
  assignedManifests(deviceId: string): Promise<ManifestBody[]>;
  /** Re-signs (seq + 1) every document past half its TTL; returns how many. */
  refreshDue(): Promise<number>;
  /** Publishes every stored document again (the embedded broker's retained store is in memory). */
  republishAll(): Promise<void>;
}

export function createDesiredState(options: {
  database: Database;
  broker: MessageBroker;
  registry: ModelRegistry;
  directorKeys: readonly SigningKey[];
  ttlMs: number;
  now: () => number;
  logger: Logger;
}): DesiredState {
  const { broker, registry, now, logger } = options;
  const { db, tables } = options.database;
  const { deviceDesired } = tables;
  const current = async (deviceId: string) =>
    (await db.select().from(deviceDesired).where(eq(deviceDesired.deviceId, deviceId)).limit(1))[0] ?? null;

  const publish = async (row: DesiredRow) => {
    const doc = decodeCbor(new Uint8Array(row.signedDoc), signedDocumentSchema);
    const message = { v: 1, type: 'desired', ts: now(), doc };
    await broker.publish(deviceTopic(row.deviceId, 'desired'), encodeCbor(message), { qos: 1, retain: true });
  };

  const assign: DesiredState['assign'] = async ({ deviceId, assignments, rolloutId }) => {
    const seq = ((await current(deviceId))?.seq ?? 0) + 1;
    const issuedAt = now();
    const body: DesiredBody = {
      _type: 'desired',
      deviceId,
      seq,
      issuedAt,
      expiresAt: issuedAt + options.ttlMs,
      rolloutId,
      assignments: await Promise.all(
        assignments.map(async (a) => ({
          line: a.line,
          manifest: (await registry.get(a.line, a.version)).signedManifest,
          ...(a.shadow === undefined ? {} : { shadow: (await registry.get(a.line, a.shadow)).signedManifest }),
        })),
      ),
    };
    const signedDoc = Buffer.from(encodeCbor(signDocument(body, options.directorKeys)));
    const values = {
      deviceId,
      seq,
      rolloutId,
      assignments: assignments.map((a) => ({
        line: a.line,
        version: a.version,
        ...(a.shadow === undefined ? {} : { shadow: a.shadow }),
      })),
      signedDoc,
      issuedAt,
      expiresAt: body.expiresAt,
    };
    await db.insert(deviceDesired).values(values).onConflictDoUpdate({ target: deviceDesired.deviceId, set: values });
    await publish(values);
    logger.info({ deviceId, rolloutId, seq }, 'desired state published');
    return values;
  };

  return {
    assign,
    current,
    async assignedManifests(deviceId) {
      // A shadow challenger is fetched like the champion, so its bundle is served too.
      const versions = ((await current(deviceId))?.assignments ?? []).flatMap((a) => [
        { line: a.line, version: a.version },
        ...(a.shadow === undefined ? [] : [{ line: a.line, version: a.shadow }]),
      ]);
      return Promise.all(versions.map(async (v) => (await registry.get(v.line, v.version)).manifest));
    },
    async refreshDue() {
      const due = (await db.select().from(deviceDesired)).filter(
        (row) => now() >= row.issuedAt + (row.expiresAt - row.issuedAt) / 2,
      );
      for (const row of due) {
        await assign({ deviceId: row.deviceId, assignments: row.assignments, rolloutId: row.rolloutId });
      }
      return due.length;
    },
    async republishAll() {
      for (const row of await db.select().from(deviceDesired)) await publish(row);
    },
  };
}
