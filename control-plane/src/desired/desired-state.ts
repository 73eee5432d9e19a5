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
import type { Db } from '../db/open-database.js';
import { deviceDesired } from '../db/schema.js';
import type { ModelRegistry } from '../registry/model-registry.js';

export interface Assignment {
  readonly line: string;
  readonly version: number;
  /** A challenger run in shadow beside `version` (issue 4): same inputs, only the champion answers. */
  readonly shadow?: number;
}

export type DesiredRow = typeof deviceDesired.$inferSelect;

export interface DesiredState {
  /** Signs, stores and publishes a new document for the device (seq + 1). */
  assign(options: {
    deviceId: string;
    assignments: readonly Assignment[];
    rolloutId: string | null;
  }): Promise<DesiredRow>;
  current(deviceId: string): DesiredRow | null;
  /** Manifests of the bundles currently assigned to the device (what it may fetch). */
  assignedManifests(deviceId: string): ManifestBody[];
  /** Re-signs (seq + 1) every document past half its TTL; returns how many. */
  refreshDue(): Promise<number>;
  /** Publishes every stored document again (the embedded broker's retained store is in memory). */
  republishAll(): Promise<void>;
}

export function createDesiredState(options: {
  db: Db;
  broker: MessageBroker;
  registry: ModelRegistry;
  directorKeys: readonly SigningKey[];
  ttlMs: number;
  now: () => number;
  logger: Logger;
}): DesiredState {
  const { db, broker, registry, now, logger } = options;
  const current = (deviceId: string) =>
    db.select().from(deviceDesired).where(eq(deviceDesired.deviceId, deviceId)).get() ?? null;

  const publish = async (row: DesiredRow) => {
    const doc = decodeCbor(new Uint8Array(row.signedDoc), signedDocumentSchema);
    const message = { v: 1, type: 'desired', ts: now(), doc };
    await broker.publish(deviceTopic(row.deviceId, 'desired'), encodeCbor(message), { qos: 1, retain: true });
  };

  const assign: DesiredState['assign'] = async ({ deviceId, assignments, rolloutId }) => {
    const seq = (current(deviceId)?.seq ?? 0) + 1;
    const issuedAt = now();
    const body: DesiredBody = {
      _type: 'desired',
      deviceId,
      seq,
      issuedAt,
      expiresAt: issuedAt + options.ttlMs,
      rolloutId,
      assignments: assignments.map((a) => ({
        line: a.line,
        manifest: registry.get(a.line, a.version).signedManifest,
        ...(a.shadow === undefined ? {} : { shadow: registry.get(a.line, a.shadow).signedManifest }),
      })),
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
    db.insert(deviceDesired).values(values).onConflictDoUpdate({ target: deviceDesired.deviceId, set: values }).run();
    await publish(values);
    logger.info({ deviceId, rolloutId, seq }, 'desired state published');
    return values;
  };

  return {
    assign,
    current,
    assignedManifests(deviceId) {
      // A shadow challenger is fetched like the champion, so its bundle is served too.
      return (current(deviceId)?.assignments ?? []).flatMap((a) => [
        registry.get(a.line, a.version).manifest,
        ...(a.shadow === undefined ? [] : [registry.get(a.line, a.shadow).manifest]),
      ]);
    },
    async refreshDue() {
      const due = db
        .select()
        .from(deviceDesired)
        .all()
        .filter((row) => now() >= row.issuedAt + (row.expiresAt - row.issuedAt) / 2);
      for (const row of due) {
        await assign({ deviceId: row.deviceId, assignments: row.assignments, rolloutId: row.rolloutId });
      }
      return due.length;
    },
    async republishAll() {
      for (const row of db.select().from(deviceDesired).all()) await publish(row);
    },
  };
}
