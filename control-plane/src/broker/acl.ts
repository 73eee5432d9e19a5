/**
 * The broker ACL for devices (DESIGN.md §2), as pure functions so it can be tested without a broker.
 * Deny by default: a device may publish only to its own device → cp topics and subscribe only to its own
 * cp → device topics, by exact name. Wildcards are refused outright for devices (a `+` in the device level
 * would read every device's desired state), as are `$share/`, `$SYS` and any non-edgefleet topic. A gateway
 * (DESIGN.md §6) also uses the topics of its own children, `ef/v1/{gateway}/bridge/{child}/…`, by exact name:
 * the topic's owner (protocol `parseTopic`) must be the client, so no device reaches another's sub-tree.
 */
import { CP_TO_DEVICE, DEVICE_TO_CP, deviceTopic, parseTopic } from '@edgefleet/protocol';

export type AclDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly code: 'TOPIC_FORBIDDEN'; readonly reason: string };

const ALLOW: AclDecision = Object.freeze({ allowed: true });

function deny(reason: string): AclDecision {
  return { allowed: false, code: 'TOPIC_FORBIDDEN', reason };
}

function check(deviceId: string, topic: string, allowedKinds: readonly string[], verb: string): AclDecision {
  // MQTT 3.1.1 §4.7.1: '+' and '#' are wildcards only in filters; a device never gets one.
  if (topic.includes('+') || topic.includes('#')) return deny(`wildcards are not allowed for devices (${verb})`);
  const parsed = parseTopic(topic);
  if (parsed === null) return deny(`not an edgefleet device topic (${verb})`);
  if (parsed.ownerId !== deviceId) return deny(`topic belongs to another device (${verb})`);
  if (!allowedKinds.includes(parsed.kind)) return deny(`devices may not ${verb} ${parsed.kind}`);
  return ALLOW;
}

/** May device `deviceId` publish to `topic`? */
export function authorizeDevicePublish(deviceId: string, topic: string): AclDecision {
  return check(deviceId, topic, DEVICE_TO_CP, 'publish');
}

/** May device `deviceId` subscribe to `topicFilter`? */
export function authorizeDeviceSubscribe(deviceId: string, topicFilter: string): AclDecision {
  return check(deviceId, topicFilter, CP_TO_DEVICE, 'subscribe');
}

export interface DeviceGrants {
  /** Exact topics the device may publish to. */
  readonly publish: readonly string[];
  /** Exact topics (filters without wildcards) the device may subscribe to. */
  readonly subscribe: readonly string[];
  /**
   * Its gateway sub-tree (DESIGN.md §6), one `+` for the child's name: `ef/v1/{d}/bridge/+/{kind}`. An
   * external broker needs them as patterns because children join after enrolment.
   */
  readonly bridgePublish: readonly string[];
  readonly bridgeSubscribe: readonly string[];
}

/**
 * The same policy as the two functions above, written out as a list for a broker that takes ACL entries
 * (Mosquitto dynamic security): every topic in it passes `authorizeDevicePublish` / `authorizeDeviceSubscribe`.
 */
export function deviceGrants(deviceId: string): DeviceGrants {
  const bridge = (kind: string) => `${deviceTopic(deviceId, 'desired').slice(0, -'desired'.length)}bridge/+/${kind}`;
  return {
    publish: DEVICE_TO_CP.map((kind) => deviceTopic(deviceId, kind)),
    subscribe: CP_TO_DEVICE.map((kind) => deviceTopic(deviceId, kind)),
    bridgePublish: DEVICE_TO_CP.map(bridge),
    bridgeSubscribe: CP_TO_DEVICE.map(bridge),
  };
}
