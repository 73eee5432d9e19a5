/**
 * A client of Mosquitto's dynamic-security plugin (mosquitto 2.0, plugins/dynamic-security/README.md):
 * commands are JSON published to `$CONTROL/dynamic-security/v1`, answers arrive on `.../v1/response`, matched
 * to their command by `correlationData`. Every replica subscribes to the (non-shared) response topic and
 * ignores answers to other replicas' commands. A command the plugin answers with `error` rejects with
 * BROKER_REFUSED, one that gets no answer in time with BROKER_UNAVAILABLE.
 */
import { randomUUID } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { ControlPlaneError } from '../errors.js';

const COMMAND_TOPIC = '$CONTROL/dynamic-security/v1';
export const DYNSEC_RESPONSE_TOPIC = `${COMMAND_TOPIC}/response`;

export interface DynsecCommand {
  readonly command: string;
  readonly [field: string]: unknown;
}

export interface DynsecClient {
  /** Sends one command; resolves with the answer's `data` (often none) when the plugin accepts it. */
  send(command: DynsecCommand): Promise<unknown>;
  /** Call with every message on DYNSEC_RESPONSE_TOPIC. */
  onResponse(payload: Uint8Array): void;
}

interface Pending {
  resolve(data: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export function createDynsecClient(options: { client: MqttClient; timeoutMs: number }): DynsecClient {
  const pending = new Map<string, Pending>();
  return {
    send(command) {
      const correlationData = randomUUID();
      return new Promise<unknown>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(correlationData);
          reject(
            new ControlPlaneError('BROKER_UNAVAILABLE', `dynamic-security ${command.command}: no answer`, {
              details: { command: command.command, timeoutMs: options.timeoutMs },
            }),
          );
        }, options.timeoutMs);
        pending.set(correlationData, { resolve, reject, timer });
        options.client.publish(COMMAND_TOPIC, JSON.stringify({ commands: [{ ...command, correlationData }] }), {
          qos: 1,
        });
      });
    },
    onResponse(payload) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(Buffer.from(payload).toString('utf8'));
      } catch {
        return; // not ours to judge: the broker wrote it, and no pending command can be matched
      }
      const responses = (parsed as { responses?: unknown }).responses;
      if (!Array.isArray(responses)) return;
      for (const r of responses as { command?: string; error?: string; correlationData?: string; data?: unknown }[]) {
        const waiting = r.correlationData === undefined ? undefined : pending.get(r.correlationData);
        if (waiting === undefined || r.correlationData === undefined) continue;
        pending.delete(r.correlationData);
        clearTimeout(waiting.timer);
        if (r.error === undefined) waiting.resolve(r.data);
        else {
          waiting.reject(
            new ControlPlaneError('BROKER_REFUSED', `dynamic-security ${r.command}: ${r.error}`, {
              details: { command: r.command, error: r.error },
            }),
          );
        }
      }
    },
  };
}
