/**
 * The uplink: a device's link to the control plane as the rest of the agent sees it — a connection state,
 * incoming cp → device messages and QoS 1 publishes of device → cp messages. An enrolled device's uplink is
 * its MQTT session (session.ts); a child device behind a gateway (DESIGN.md §6) gets one that rides on the
 * gateway's session, in the gateway's bridge sub-tree (child-link.ts). Everything above it — desired-state
 * verification, fetch, install, telemetry, drift — runs unchanged on either.
 */
import type { EventEmitter } from 'node:events';
import type { CpToDeviceKind, DeviceToCpKind } from '@edgefleet/protocol';
import type { RootOfTrust } from '../trust/root-of-trust.js';
import type { ConnectionState } from './state.js';

export interface UplinkEvents {
  state: [ConnectionState];
  message: [{ kind: CpToDeviceKind; payload: Uint8Array }];
}

export interface Uplink extends EventEmitter<UplinkEvents> {
  readonly state: ConnectionState;
  /** Connection refusals for bad credentials / not authorized (CONNACK 4 and 5); 0 for a child. */
  readonly authFailures: number;
  start(): void;
  /** QoS 1; resolves on PUBACK, rejects at once while not online (the outbox retries). */
  publish(kind: DeviceToCpKind, payload: Uint8Array, options?: { retain?: boolean }): Promise<void>;
  close(): Promise<void>;
}

/** What a gateway hands a child device: its id, the gateway's root of trust (shared), and its uplink. */
export interface ChildUplink {
  readonly deviceId: string;
  readonly root: RootOfTrust;
  readonly link: Uplink;
}
