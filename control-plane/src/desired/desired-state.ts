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
  desiredBodySchema,
  deviceTopic,
  encodeCbor,
  isSignedBy,
  type ManifestBody,
  type OutputComparison,
  type SignedDocument,
  type SigningKey,
  signDocument,
  signedDocumentSchema,
} from '@edgefleet/protocol';
import { eq, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { MessageBroker } from '../broker/message-broker.js';
import type { Database, Tables } from '../db/database.js';
import { prepareOnce } from '../db/prepared.js';
import type { ModelRegistry } from '../registry/model-registry.js';

export interface Assignment {
  readonly line: string;
  readonly version: number;
  /** A challenger run in shadow beside `version`: same inputs, only the champion answers. */
  readonly shadow?: number;
  /** How the shadow's answers are compared with the champion's (the plan's `compare`; with `shadow` only). */
  readonly compare?: OutputComparison;
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
  /** The manifest of bundle `digest` if it is assigned to the device now (what it may fetch), else undefined. */
  assignedManifest(deviceId: string, digest: string): Promise<ManifestBody | undefined>;
  /** Re-signs (seq + 1) every document past half its TTL or signed by a retired director key; returns how many. */
  refreshDue(): Promise<number>;
  /**
   * After a key rotation: re-signs (seq + 1) every document the rotation made stale and publishes every
   * other one again, so each device receives the new root documents.
   */
  reissueAll(): Promise<{ reissued: number; republished: number }>;
  /** Publishes every stored document again (the embedded broker's retained store is in memory). */
  republishAll(): Promise<void>;
  /** Deletes the device's document and clears its retained copy on the broker (a revoked device). */
  withdraw(deviceId: string): Promise<void>;
}

/** Devices whose fetchable bundles are kept; the map is cleared when it would grow past this. */
const FETCHABLE_CACHE_SIZE = 100_000;

export function createDesiredState(options: {
  database: Database;
  broker: MessageBroker;
  registry: ModelRegistry;
  /** The current director keys (they change when the director role rotates). */
  directorKeys: () => readonly SigningKey[];
  /** The current targets keys: a document embedding a manifest signed by others is re-issued. */
  targetsKeys: () => readonly SigningKey[];
  /** Root documents v1..vN: every message carries v2..vN so a device follows a rotation before it verifies. */
  rootChain: () => readonly SignedDocument[];
  ttlMs: number;
  now: () => number;
  logger: Logger;
}): DesiredState {
  const { broker, registry, now, logger } = options;
  const { db, tables } = options.database;
  const { deviceDesired } = tables;
  const current = async (deviceId: string) =>
    (
      await prepareOnce<DesiredRow[]>(options.database, 'desired.current', (db, t) =>
        db
          .select()
          .from(t.deviceDesired)
          .where(eq(t.deviceDesired.deviceId, sql.placeholder('deviceId')))
          .limit(1),
      ).execute({ deviceId })
    )[0] ?? null;

  const publish = async (row: DesiredRow) => {
    const doc = decodeCbor(new Uint8Array(row.signedDoc), signedDocumentSchema);
    const roots = options.rootChain().slice(1);
    const message = { v: 1, type: 'desired', ts: now(), doc, ...(roots.length > 0 ? { roots } : {}) };
    await broker.publish(deviceTopic(row.deviceId, 'desired'), encodeCbor(message), { qos: 1, retain: true });
  };

  // The bundles each device may fetch, from the last document this process assigned or read.
  const fetchable = new Map<string, readonly ManifestBody[]>();
  const remember = (deviceId: string, manifests: readonly ManifestBody[]) => {
    if (fetchable.size >= FETCHABLE_CACHE_SIZE) fetchable.clear();
    fetchable.set(deviceId, manifests);
  };
  // A shadow challenger is fetched like the champion, so its bundle is served too.
  const manifestsOf = (assignments: readonly Assignment[]) =>
    Promise.all(
      assignments
        .flatMap((a) => [a.version, ...(a.shadow === undefined ? [] : [a.shadow])].map((v) => ({ line: a.line, v })))
        .map(async ({ line, v }) => (await registry.get(line, v)).manifest),
    );

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
          ...(a.shadow === undefined || a.compare === undefined ? {} : { compare: a.compare }),
        })),
      ),
    };
    const signedDoc = Buffer.from(encodeCbor(signDocument(body, options.directorKeys())));
    const values = {
      deviceId,
      seq,
      rolloutId,
      assignments: assignments.map((a) => ({
        line: a.line,
        version: a.version,
        ...(a.shadow === undefined ? {} : { shadow: a.shadow }),
        ...(a.shadow === undefined || a.compare === undefined ? {} : { compare: a.compare }),
      })),
      signedDoc,
      issuedAt,
      expiresAt: body.expiresAt,
    };
    await db.insert(deviceDesired).values(values).onConflictDoUpdate({ target: deviceDesired.deviceId, set: values });
    remember(deviceId, await manifestsOf(assignments));
    await publish(values);
    logger.info({ deviceId, rolloutId, seq }, 'desired state published');
    return values;
  };

  const reassign = (row: DesiredRow) =>
    assign({ deviceId: row.deviceId, assignments: row.assignments, rolloutId: row.rolloutId });
  /** A test for documents signed by a director key, or embedding a manifest signed by targets keys, that rotated. */
  const signedByRetiredKeys = () => {
    const director = options.directorKeys();
    const targets = options.targetsKeys();
    return (row: DesiredRow) => {
      const doc = decodeCbor(new Uint8Array(row.signedDoc), signedDocumentSchema);
      if (!isSignedBy(doc, director)) return true;
      const body = decodeCbor(doc.body, desiredBodySchema);
      return body.assignments.some(
        (a) => !isSignedBy(a.manifest, targets) || (a.shadow !== undefined && !isSignedBy(a.shadow, targets)),
      );
    };
  };

  return {
    assign,
    current,
    async assignedManifest(deviceId, digest) {
      const find = (manifests: readonly ManifestBody[] | undefined) => manifests?.find((m) => m.digest === digest);
      // Every chunk request asks; the answer changes only with a new document. A miss reads the stored
      // document (another replica may have assigned the bundle); a hit may name a bundle assigned moments
      // ago, which is still one the control plane signed for this device.
      const hit = find(fetchable.get(deviceId));
      if (hit !== undefined) return hit;
      const row = await current(deviceId);
      const manifests = row === null ? [] : await manifestsOf(row.assignments);
      remember(deviceId, manifests);
      return find(manifests);
    },
    async refreshDue() {
      const stale = signedByRetiredKeys();
      // Past half its TTL, or signed by keys that have since rotated (also when another replica rotated, or
      // this one stopped half-way through re-issuing).
      const due = (await db.select().from(deviceDesired)).filter(
        (row) => now() >= row.issuedAt + (row.expiresAt - row.issuedAt) / 2 || stale(row),
      );
      for (const row of due) await reassign(row);
      return due.length;
    },
    async reissueAll() {
      const stale = signedByRetiredKeys();
      let reissued = 0;
      const rows = await db.select().from(deviceDesired);
      for (const row of rows) {
        if (stale(row)) {
          await reassign(row);
          reissued++;
        } else {
          await publish(row);
        }
      }
      return { reissued, republished: rows.length - reissued };
    },
    async republishAll() {
      for (const row of await db.select().from(deviceDesired)) await publish(row);
    },
    async withdraw(deviceId) {
      await db.delete(deviceDesired).where(eq(deviceDesired.deviceId, deviceId));
      fetchable.delete(deviceId);
      // A zero-length retained message removes the retained one (MQTT 3.1.1 §3.3.1.3).
      await broker.publish(deviceTopic(deviceId, 'desired'), new Uint8Array(0), { qos: 1, retain: true });
    },
  };
}
