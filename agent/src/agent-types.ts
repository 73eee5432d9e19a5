/**
 * The agent's public surface: the handle `createAgent` returns, its events and its counters. Kept apart
 * from agent.ts (the composition root) so the contract reads on one page.
 */
import type { EventEmitter } from 'node:events';
import type { TensorMap } from '@edgefleet/protocol';
import type { ConnectionState } from './connection/state.js';
import type { ChildUplink } from './connection/uplink.js';
import type { DriftAlarmNotice } from './drift/drift-monitor.js';
import type { FlClientStats } from './fl/fl-client.js';
import type { Inference, InferOptions, Prediction, TensorPrediction } from './inference/inference-service.js';
import type { OutcomeEvents } from './outcomes.js';
import type { TensorData } from './runtime/runtime.js';
import type { ShadowStats } from './shadow/shadow-runner.js';

export interface AgentEvents extends OutcomeEvents {
  state: [ConnectionState];
  'drift-alarm': [DriftAlarmNotice];
  /** An agent release is staged: exit, so systemd restarts the process into it (also after a trial reverted itself). */
  'restart-requested': [];
}

export interface AgentStats {
  readonly rejections: Record<string, number>;
  readonly outbox: { readonly pending: number; readonly dropped: number };
  readonly inferences: number;
  readonly authFailures: number;
  readonly rejectedChunks: number;
  /** Drift alarms raised by the change detectors since start. */
  readonly driftAlarms: number;
  /** Shadow runs of challengers since start. */
  readonly shadow: ShadowStats;
  /** Federated tasks offered, accepted, declined by reason, submitted, failed. */
  readonly fl: FlClientStats;
}

export interface Agent {
  readonly deviceId: string;
  readonly connectionState: ConnectionState;
  /** Base URL of the local HTTP API, or null when it is not started. */
  readonly httpUrl: string | null;
  /**
   * Named tensors in, named tensors out, as the model's graph declares them (typed arrays, no copies);
   * `stream` names the caller's state stream for models with recurrent state.
   */
  infer(line: string, feeds: TensorMap, options?: InferOptions): Promise<Inference>;
  /** Forgets a state stream; false when it did not exist. */
  resetStream(line: string, stream: string): boolean;
  /** Rows in, rows out, for tabular models (one float32 [N, F] input). */
  predict(line: string, rows: readonly (readonly number[])[]): Promise<Prediction>;
  /** Typed fast path: a Float32Array [rows, features] in, the output tensor out (no conversions). */
  predictTensor(line: string, input: TensorData): Promise<TensorPrediction>;
  /** Label feedback for the 'error' drift signal: class predicted per row and true label per row. */
  feedback(line: string, body: { predicted: readonly number[]; labels: readonly number[] }): { accepted: number };
  installed(): Array<{ line: string; version: number; digest: string }>;
  /**
   * The local training data of federated rounds: `add` stores labelled rows `{ rows: [{ features, label }] }`
   * for a model line (validated; oldest dropped beyond the bound). They never leave the device.
   */
  readonly samples: {
    add(line: string, body: unknown): { added: number; dropped: number };
    count(line: string): number;
  };
  stats(): AgentStats;
  readonly events: EventEmitter<AgentEvents>;
  /** Closes the open latency, drift and shadow windows now and tries to publish the outbox. */
  flushTelemetry(): Promise<void>;
  /** Resolves when no install is running or queued. */
  whenIdle(): Promise<void>;
  /**
   * The uplink of child device `{deviceId}--{name}` over this agent's MQTT session (DESIGN.md §6), to pass
   * to `createAgent({ child })`: a gateway presenting a microcontroller to the fleet. Throws BODY_INVALID for
   * a name that makes no valid child id, CONFLICT on a child device.
   */
  openChild(name: string): ChildUplink;
  close(): Promise<void>;
}
