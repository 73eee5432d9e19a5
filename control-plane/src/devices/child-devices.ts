/**
 * Child devices behind gateways (DESIGN.md §6). A child `{gateway}--{child}` is registered the first time its
 * gateway publishes in its bridge sub-tree — the broker ACL has already bound that sub-tree to the gateway's
 * own credentials — with the gateway's group and tags, so rollout selectors and drift cohorts treat it like any
 * device. Its hardware (and so its hardware profile, a rollout selector) arrives with its first reported
 * state; late enrolment runs then, as it runs at enrolment for a device. A gateway carries at most
 * `maxChildren` children: one more is refused (CONFLICT), logged and counted, so a compromised gateway cannot
 * flood the registry. A child is online while messages arrive from it and goes offline with its gateway.
 */
import { type ErrorCode, parseChildDeviceId } from '@edgefleet/protocol';
import type { Logger } from 'pino';
import type { DeviceRegistry } from './device-registry.js';

export type Admission =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: ErrorCode; readonly reason: string };

export interface ChildDevices {
  /** Whether messages for `deviceId` may be ingested: a known device, or a new child now registered. */
  admit(deviceId: string): Promise<Admission>;
  /** After a reported state is stored: a child's first one records its hardware; true when it was the first. */
  firstReport(deviceId: string, hardware: Record<string, unknown>): Promise<boolean>;
}

const ADMITTED: Admission = Object.freeze({ ok: true });

export function createChildDevices(options: {
  devices: DeviceRegistry;
  maxChildren: number;
  logger: Logger;
}): ChildDevices {
  const { devices, logger } = options;
  // Children of one gateway are registered one at a time: the cap is a count-then-insert, and two new
  // children arrive on different ingest queues (one per device id).
  const registering = new Map<string, Promise<unknown>>();
  const oneAtATime = <T>(gatewayId: string, run: () => Promise<T>): Promise<T> => {
    const next = (registering.get(gatewayId) ?? Promise.resolve()).then(run, run);
    registering.set(gatewayId, next);
    const forget = () => {
      if (registering.get(gatewayId) === next) registering.delete(gatewayId);
    };
    next.then(forget, forget);
    return next;
  };
  const register = async (deviceId: string, gatewayId: string): Promise<Admission> => {
    if (await devices.exists(deviceId)) return ADMITTED; // registered by the message just before
    if (!(await devices.exists(gatewayId))) {
      return { ok: false, code: 'DEVICE_UNKNOWN', reason: `no device ${deviceId}` };
    }
    const gateway = await devices.get(gatewayId);
    if (gateway.revokedAt !== null) return { ok: false, code: 'DEVICE_REVOKED', reason: `${gatewayId} was revoked` };
    if (gateway.parentId !== null) return { ok: false, code: 'DEVICE_UNKNOWN', reason: 'a child has no children' };
    if ((await devices.childCount(gateway.id)) >= options.maxChildren) {
      return { ok: false, code: 'CONFLICT', reason: `${gateway.id} already carries ${options.maxChildren} children` };
    }
    await devices.createChild(deviceId, gateway);
    logger.info({ deviceId, gatewayId: gateway.id }, 'child device registered');
    return ADMITTED;
  };
  return {
    async admit(deviceId) {
      if (devices.revokedHere(deviceId))
        return { ok: false, code: 'DEVICE_REVOKED', reason: `${deviceId} was revoked` };
      const child = parseChildDeviceId(deviceId);
      if (await devices.exists(deviceId)) {
        if (child !== null && (await devices.get(deviceId)).connection === 'offline')
          await devices.setConnection(deviceId, 'online');
        return ADMITTED;
      }
      if (child === null) return { ok: false, code: 'DEVICE_UNKNOWN', reason: `no device ${deviceId}` };
      return oneAtATime(child.gatewayId, () => register(deviceId, child.gatewayId));
    },
    async firstReport(deviceId, hardware) {
      // Only a child is registered without hardware (a child's id always parses as one; createChild).
      if (parseChildDeviceId(deviceId) === null) return false;
      const device = await devices.get(deviceId);
      if (device.parentId === null || device.hardware !== null) return false;
      await devices.setHardware(deviceId, hardware);
      return true;
    },
  };
}
