/**
 * One MCU as a fleet member (DESIGN.md §6): a child device `{gateway}--{mcu}` run by the real agent code over
 * the gateway agent's MQTT session (`openChild`), with its own state directory — trust state, slots, telemetry
 * outbox — so it has its own reported state, desired state, telemetry and drift sketches. Its runtime is the
 * MCU itself (`mcu-int8`: models are delivered to flash and run there) when the MCU says it runs its own
 * model, else onnxruntime on the gateway (inference on behalf of the MCU). Readings from the MCU go through
 * the child agent's `predict` — the same latency windows, drift sketches and shadow runs as any device — and
 * the answer goes back to the MCU as an infer-res. Readings that cannot be answered are counted by code.
 */
import { join } from 'node:path';
import { type Agent, type AgentOptions, createAgent, createOnnxRuntime } from '@edgefleet/agent';
import { type Clock, type EdgefleetError, errorCodeOf } from '@edgefleet/protocol';
import type { Logger } from 'pino';
import { createMcuRuntime } from './mcu-runtime.js';
import type { Hello, McuSession } from './mcu-session.js';
import type { TransferOptions, TransferResult } from './model-transfer.js';

/** Agent tuning a gateway passes on to its children (telemetry and drift windows, fetch, reports). */
export type ChildTuning = Pick<AgentOptions, 'fetch' | 'telemetry' | 'drift' | 'shadow' | 'reportIntervalMs'>;

export interface ChildDevice {
  readonly mcuId: string;
  readonly deviceId: string;
  readonly agent: Agent;
  /** Readings that got no answer, by error code (NO_MODEL before any model is installed, …). */
  readonly unanswered: Record<string, number>;
  readonly transfers: TransferResult[];
  close(): Promise<void>;
}

export async function startChildDevice(options: {
  gateway: Agent;
  session: McuSession;
  hello: Hello;
  stateDir: string;
  rootPublicKeys: readonly string[];
  clock: Clock;
  logger: Logger;
  tuning: ChildTuning;
  transfer: TransferOptions;
}): Promise<ChildDevice> {
  const { session, hello, clock } = options;
  const uplink = options.gateway.openChild(hello.mcu);
  const logger = options.logger.child({ deviceId: uplink.deviceId, mcu: hello.mcu });
  const transfers: TransferResult[] = [];
  const runtime = hello.ownModel
    ? createMcuRuntime({
        session,
        clock,
        logger,
        transfer: options.transfer,
        onTransfer: (result) => transfers.push(result),
      })
    : createOnnxRuntime();
  const agent = await createAgent({
    ...options.tuning,
    stateDir: join(options.stateDir, 'children', hello.mcu),
    rootPublicKeys: options.rootPublicKeys,
    clock,
    logger: options.logger,
    runtime,
    child: {
      uplink,
      hardware: { platform: 'mcu', arch: hello.arch, cpus: 1, memoryBytes: hello.ramBytes, profile: hello.board },
      version: hello.fw,
    },
  });
  const unanswered: Record<string, number> = {};

  async function answer(readings: { id: number; rows: number[][]; line?: string | undefined }): Promise<void> {
    try {
      const lines = agent.installed().map((m) => m.line);
      const line = readings.line ?? (lines.length === 1 ? lines[0] : undefined);
      if (line === undefined) throw Object.assign(new Error('no model line for these readings'), { code: 'NO_MODEL' });
      const prediction = await agent.predict(line, readings.rows);
      await session.send('infer-res', { id: readings.id, outputs: prediction.outputs, version: prediction.version });
    } catch (error) {
      const code = (error as { code?: string }).code ?? errorCodeOf(error as EdgefleetError);
      unanswered[code] = (unanswered[code] ?? 0) + 1;
      logger.debug({ err: error, code }, 'readings not answered');
      session.send('infer-res', { id: readings.id, error: code.slice(0, 64) }).catch(() => undefined);
    }
  }
  const onReadings = (readings: { id: number; rows: number[][]; line?: string | undefined }) => void answer(readings);
  session.on('readings', onReadings);

  return {
    mcuId: hello.mcu,
    deviceId: uplink.deviceId,
    agent,
    unanswered,
    transfers,
    async close() {
      session.off('readings', onReadings);
      await agent.close();
    },
  };
}
