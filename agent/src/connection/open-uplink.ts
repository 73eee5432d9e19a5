/**
 * Who the agent is and how it reaches the control plane, decided once at start: an enrolled device loads
 * (or obtains, on first start) its credentials and root of trust and opens its own MQTT session; a child
 * device behind a gateway (DESIGN.md §6) takes its id, the gateway's root of trust (the same holder, so a
 * rotation either one follows holds for both) and its uplink from the gateway agent (`openChild`). Only a
 * device with its own session can carry children.
 */
import type { Clock, ReportedMessage } from '@edgefleet/protocol';
import type { Logger } from 'pino';
import type { AgentOptions, BackoffOptions } from '../config.js';
import { hardwareProfile, loadOrEnrol } from '../enrol/enrol.js';
import { createRootOfTrust, type RootOfTrust } from '../trust/root-of-trust.js';
import { createBackoff } from './backoff.js';
import { createSession, type Session } from './session.js';
import { tcpTransport } from './transport.js';
import type { Uplink } from './uplink.js';

export interface OpenedUplink {
  readonly deviceId: string;
  readonly root: RootOfTrust;
  readonly uplink: Uplink;
  /** The device's own MQTT session; null for a child device. */
  readonly session: Session | null;
  /** What the reported state says about the hardware and the software version. */
  readonly hardware: ReportedMessage['hardware'];
  readonly version: string;
}

export async function openUplink(
  options: AgentOptions,
  context: { clock: Clock; logger: Logger; backoff: BackoffOptions; agentVersion: string },
): Promise<OpenedUplink> {
  const { clock, logger } = context;
  if (options.child !== undefined) {
    const { uplink, hardware, version } = options.child;
    return { deviceId: uplink.deviceId, root: uplink.root, uplink: uplink.link, session: null, hardware, version };
  }
  const { credentials, root } = await loadOrEnrol({
    stateDir: options.stateDir,
    rootPublicKeys: options.rootPublicKeys,
    controlPlaneUrl: options.controlPlaneUrl,
    enrolmentToken: options.enrolmentToken,
    deviceId: options.deviceId,
    nowMs: clock.now(),
    logger,
  });
  const { deviceId } = credentials;
  const rootOfTrust = createRootOfTrust({
    root,
    stateDir: options.stateDir,
    clock,
    logger: logger.child({ deviceId }),
  });
  const session = createSession({
    transport: options.transport ?? tcpTransport(options.mqttUrl ?? credentials.mqtt.url),
    deviceId,
    username: credentials.mqtt.username,
    password: credentials.mqtt.password,
    clock,
    backoff: createBackoff({ ...context.backoff, ...(options.random ? { random: options.random } : {}) }),
    logger: logger.child({ deviceId }),
    ...(options.keepaliveSec === undefined ? {} : { keepaliveSec: options.keepaliveSec }),
    ...(options.statusHeartbeatMs === undefined ? {} : { heartbeatMs: options.statusHeartbeatMs }),
    ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
  });
  return {
    deviceId,
    root: rootOfTrust,
    uplink: session,
    session,
    hardware: reportedHardware(hardwareProfile(options.hardwareProfile)),
    version: context.agentVersion,
  };
}

/** Drops an absent profile (exactOptionalPropertyTypes: the reported schema has no `profile: undefined`). */
function reportedHardware(detected: ReturnType<typeof hardwareProfile>): ReportedMessage['hardware'] {
  const { profile, ...rest } = detected;
  return profile === undefined ? rest : { ...rest, profile };
}
