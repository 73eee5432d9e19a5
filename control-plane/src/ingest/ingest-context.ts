/**
 * What an ingest handler may use, and the shape of a handler: one small module per device → cp message
 * kind (like aedes' lib/handlers, one file per packet type), each with the protocol schema its payload must
 * match. The dispatcher has already checked the topic, the device and the schema when `handle` runs.
 */
import type { DeviceToCpKind } from '@edgefleet/protocol';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { MessageBroker } from '../broker/message-broker.js';
import type { Database } from '../db/database.js';
import type { DesiredState } from '../desired/desired-state.js';
import type { ChildDevices } from '../devices/child-devices.js';
import type { DeviceRegistry } from '../devices/device-registry.js';
import type { Presence } from '../devices/presence.js';
import type { FleetDrift } from '../drift/fleet-drift.js';
import type { FlCoordinator } from '../fl/coordinator.js';
import type { Metrics } from '../metrics.js';
import type { BlobStore } from '../registry/blob-store.js';
import type { RolloutService } from '../rollouts/rollout-service.js';
import type { TelemetryWriter } from './telemetry-writer.js';

export interface IngestContext {
  readonly database: Database;
  readonly broker: MessageBroker;
  readonly blobs: BlobStore;
  readonly devices: DeviceRegistry;
  readonly children: ChildDevices;
  readonly desired: DesiredState;
  readonly rollouts: RolloutService;
  readonly drift: FleetDrift;
  readonly fl: Pick<FlCoordinator, 'handleUpdate' | 'servesBlob'>;
  /** Batched, de-duplicated inserts of inference windows (telemetry-writer.ts). */
  readonly telemetry: TelemetryWriter;
  /** Online / offline from heartbeats and last wills (devices/presence.ts). */
  readonly presence: Presence;
  readonly metrics: Metrics;
  readonly logger: Logger;
  now(): number;
}

export interface IngestHandler<S extends z.ZodType = z.ZodType> {
  readonly kind: DeviceToCpKind;
  readonly schema: S;
  /** `deviceId` comes from the (ACL-checked) topic, never from the payload. */
  handle(context: IngestContext, deviceId: string, message: z.output<S>): Promise<void>;
}

/** Keeps the schema and the handler's message type tied together. */
export function defineHandler<S extends z.ZodType>(handler: IngestHandler<S>): IngestHandler<S> {
  return handler;
}
