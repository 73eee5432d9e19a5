/**
 * The shapes a round attempt exchanges with the job runner: what it needs (deps), what it exposes while it
 * runs (RoundRunner) and what it hands over when it ends (RoundOutcome), plus its per-client record.
 */
import type { BlobRef, Clock, FlTask, FlUpdateMessage } from '@edgefleet/protocol';
import type { Logger } from 'pino';
import type { ClientStatus } from './fl-state.js';
import type { FlStore } from './fl-store.js';
import type { UpdateAssembler } from './update-assembler.js';

export interface SubmittedUpdate {
  readonly deviceId: string;
  readonly sampleCount: number;
  /** f32 delta (plain rounds) or u32 masked words (secure aggregation). */
  readonly values: Float32Array | Uint32Array;
}

export interface RoundOutcome {
  readonly state: 'completed' | 'failed';
  readonly error: string | null;
  readonly updates: readonly SubmittedUpdate[];
  /** Secure aggregation: every accepted client's public key, the dropped ones, and revealed seeds. */
  readonly peers: ReadonlyMap<string, Uint8Array>;
  readonly dropped: readonly string[];
  readonly revealed: ReadonlyMap<string, { peer: string; seed: Uint8Array }[]>;
  readonly counts: Readonly<Record<ClientStatus, number>>;
}

export interface RoundDeps {
  readonly store: FlStore;
  readonly clock: Clock;
  readonly logger: Logger;
  publish(topic: string, payload: Uint8Array): Promise<void>;
}

export interface RoundRunner {
  readonly id: string;
  readonly task: FlTask;
  /**
   * Throws a ControlPlaneError (FL_NOT_SELECTED, FL_ROUND_CLOSED, FL_UPDATE_INVALID) on a refused message;
   * otherwise resolves once what the message changed is stored (an accept's key, a submitted update).
   */
  handle(deviceId: string, message: FlUpdateMessage): Promise<void>;
  servesBlob(deviceId: string, digest: string): BlobRef | null;
  cancel(reason: string): void;
  /** Stops the round's timers and refuses messages, leaving it open in the database (shutdown). */
  suspend(): void;
  readonly outcome: Promise<RoundOutcome>;
}

export interface Client {
  status: ClientStatus;
  sampleCount: number;
  publicKey: Uint8Array | null;
  assembler: UpdateAssembler | null;
  values: Float32Array | Uint32Array | null;
}
