/**
 * The seam between the control plane and its MQTT broker (DESIGN.md §1, §7): what desired state, fetch
 * replies, FL tasks and ingest need from a broker, whichever one it is — the embedded aedes broker (default)
 * or an external Mosquitto the control plane joins as a client (external-broker.ts). Device credentials are
 * handed to the broker at enrolment (`registerDevice`): the embedded broker checks them against the device
 * registry and needs nothing, Mosquitto gets a dynamic-security client and role (dynsec-credentials.ts).
 */
import type { Duplex } from 'node:stream';

export interface PublishOptions {
  readonly qos: 0 | 1;
  readonly retain: boolean;
}

export type MessageHandler = (topic: string, payload: Uint8Array) => void;

export interface MessageBroker {
  readonly kind: 'embedded' | 'external';
  /** The URL devices connect to (handed out at enrolment). */
  readonly deviceUrl: string;
  /** The port of `deviceUrl` (the embedded broker's listening port). */
  readonly port: number;
  publish(topic: string, payload: Uint8Array, options: PublishOptions): Promise<void>;
  /**
   * Receives every device → cp message matching `pattern` (an MQTT filter with `+`). With an external broker
   * it is a shared subscription: each message reaches exactly one control-plane replica.
   * The handler must not throw (it is called for every matching message).
   */
  subscribe(pattern: string, handler: MessageHandler): Promise<void>;
  /**
   * Device → cp traffic for ingest: like `subscribe`, but the handler's promise says when the message is
   * stored. The embedded broker acknowledges a device's QoS 1 publish only after it resolves, and closes the
   * device's session without an acknowledgement when it rejects (the device sends it again). An external
   * broker has acknowledged the publish itself; there it is `subscribe`.
   */
  consume(pattern: string, handler: (topic: string, payload: Uint8Array) => Promise<void>): Promise<void>;
  /**
   * Serves one MQTT connection over an in-memory duplex stream (the simulator's virtual network). Only the
   * embedded broker can; an external broker's devices connect to it themselves.
   */
  readonly handle?: (stream: Duplex) => void;
  /** Gives the broker a newly enrolled device's credentials and its topic grants (acl.ts). */
  registerDevice(deviceId: string, password: string): Promise<void>;
  /** Removes a revoked device's credentials from the broker and closes its live session. */
  revokeDevice(deviceId: string): Promise<void>;
  /** Staged outage (tests, simulator): the embedded broker closes its listener, an external one disconnects. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}
