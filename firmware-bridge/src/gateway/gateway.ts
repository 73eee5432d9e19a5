/**
 * The gateway (DESIGN.md §6): the gateway's own agent (enrolled like any device, holding the pinned root
 * keys) plus one McuSession per configured serial port. When an MCU says hello on a port, it becomes a child
 * device of the agent (child-device.ts); a reboot of the same MCU keeps its child, a different MCU on the
 * port replaces it. Everything signed — manifests, desired state — is verified by the child's agent code
 * with the gateway's root before a byte reaches an MCU, which can only check CRCs. `stats()` gives per-port
 * link counters and refusals by error code; `close()` stops children, ports, then the gateway agent.
 */
import { type Agent, type AgentOptions, createAgent } from '@edgefleet/agent';
import { systemClock } from '@edgefleet/protocol';
import { pino } from 'pino';
import type { LinkStats } from '../link/reliable-link.js';
import { openSerialPort, type SerialTransport } from '../serial/serial-transport.js';
import { type ChildDevice, type ChildTuning, startChildDevice } from './child-device.js';
import { createMcuSession, type Hello, type McuSession } from './mcu-session.js';
import type { TransferOptions } from './model-transfer.js';

export interface PortConfig {
  readonly path: string;
  readonly baudRate: number;
}

export interface GatewayOptions {
  /** The gateway's own agent (enrolment, state dir, pinned root keys, …). */
  readonly agent: AgentOptions;
  readonly ports: readonly PortConfig[];
  /** Opens a port (default: the OS serial binding); tests pass null-modem ends. */
  readonly openPort?: (port: PortConfig) => Promise<SerialTransport>;
  /** Agent tuning for the children (telemetry, drift, fetch, reports). */
  readonly children?: ChildTuning;
  readonly transfer?: TransferOptions;
  /** Largest frame the gateway accepts from an MCU. */
  readonly maxFrameBytes?: number;
}

export interface PortStats {
  readonly path: string;
  readonly mcu: string | null;
  readonly state: McuSession['state'];
  readonly link: LinkStats;
  readonly rejections: Record<string, number>;
}

export interface Gateway {
  readonly agent: Agent;
  children(): ChildDevice[];
  /** Resolves with the child of `mcuId` once it has said hello and its agent runs. */
  child(mcuId: string): Promise<ChildDevice>;
  stats(): PortStats[];
  close(): Promise<void>;
}

export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const clock = options.agent.clock ?? systemClock;
  const logger = options.agent.logger ?? pino({ level: process.env.EDGEFLEET_LOG_LEVEL ?? 'info' });
  const agent = await createAgent({ ...options.agent, logger });
  const log = logger.child({ deviceId: agent.deviceId, gateway: true });
  const openPort = options.openPort ?? openSerialPort;
  const sessions: McuSession[] = [];
  /** Per port: the latest adoption (chained, so hellos on one port are handled in order) and its child. */
  const byPort = new Map<McuSession, Promise<ChildDevice>>();
  const adopted = new Map<McuSession, ChildDevice>();
  const waiters = new Map<string, Array<(child: ChildDevice) => void>>();
  let state: 'running' | 'closing' = 'running';

  async function adopt(session: McuSession, hello: Hello, current: ChildDevice | undefined): Promise<ChildDevice> {
    if (current?.mcuId === hello.mcu) return current;
    if (current !== undefined) {
      log.warn({ path: session.path, was: current.mcuId, now: hello.mcu }, 'another MCU on the port; replacing');
      await current.close();
    }
    const child = await startChildDevice({
      gateway: agent,
      session,
      hello,
      stateDir: options.agent.stateDir,
      rootPublicKeys: options.agent.rootPublicKeys,
      clock,
      logger,
      tuning: options.children ?? {},
      transfer: options.transfer ?? {},
    });
    adopted.set(session, child);
    log.info({ path: session.path, mcu: hello.mcu, child: child.deviceId }, 'MCU joined the fleet as a child device');
    for (const resolve of waiters.get(hello.mcu)?.splice(0) ?? []) resolve(child);
    return child;
  }

  for (const port of options.ports) {
    const session = createMcuSession({
      transport: await openPort(port),
      gatewayId: agent.deviceId,
      clock,
      logger: log,
      ...(options.maxFrameBytes === undefined ? {} : { maxFrameBytes: options.maxFrameBytes }),
    });
    sessions.push(session);
    session.on('hello', (hello) => {
      if (state !== 'running') return;
      const previous = (byPort.get(session) ?? Promise.resolve(undefined)).catch(() => undefined);
      const adoption = previous.then((current) => adopt(session, hello, current));
      adoption.catch((error: unknown) => log.error({ err: error, mcu: hello.mcu }, 'MCU could not join the fleet'));
      byPort.set(session, adoption);
    });
  }

  return {
    agent,
    children: () => [...adopted.values()],
    child(mcuId) {
      const found = [...adopted.values()].find((c) => c.mcuId === mcuId);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve) => waiters.set(mcuId, [...(waiters.get(mcuId) ?? []), resolve]));
    },
    stats: () =>
      sessions.map((s) => ({
        path: s.path,
        mcu: s.hello?.mcu ?? null,
        state: s.state,
        link: s.stats(),
        rejections: s.rejections(),
      })),
    async close() {
      state = 'closing';
      await Promise.allSettled(byPort.values());
      await Promise.allSettled([...adopted.values()].map((c) => c.close()));
      await Promise.allSettled(sessions.map((s) => s.close()));
      await agent.close();
    },
  };
}
