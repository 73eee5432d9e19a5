/**
 * MQTT topic names (DESIGN.md §2) and the direction table the broker ACL enforces. A device id is one
 * topic level of [a-z0-9-], so it can never smuggle a `/`, `+` or `#` into a topic.
 *
 * Child devices (DESIGN.md §6: microcontrollers behind a gateway) have the id `{gateway}--{child}` and live
 * in their gateway's sub-tree `ef/v1/{gateway}/bridge/{child}/{kind}`; the gateway's MQTT session carries
 * them, with the gateway's own credentials. The mapping is a pure function of the id, both ways, so the
 * control plane's desired-state and fetch replies reach a child through `deviceTopic` unchanged. `--` is
 * reserved for it: an enrolled device's id never contains `--`, so the split is unambiguous.
 */

export const TOPIC_PREFIX = 'ef/v1';

export const DEVICE_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Joins a gateway's id and its child's name into the child's device id. */
export const CHILD_SEPARATOR = '--';
/** A child's name under its gateway (an MCU id): [a-z0-9-], no `--`, not ending in `-`. */
export const CHILD_NAME_PATTERN = /^[a-z0-9](?:-?[a-z0-9])*$/;

/** Topics a device publishes (device → control plane). */
export const DEVICE_TO_CP = ['reported', 'fetch/req', 'events', 'telemetry', 'fl/update', 'status'] as const;
/** Topics a device subscribes to (control plane → device). */
export const CP_TO_DEVICE = ['desired', 'fetch/res', 'fl/task'] as const;

export type DeviceToCpKind = (typeof DEVICE_TO_CP)[number];
export type CpToDeviceKind = (typeof CP_TO_DEVICE)[number];
export type TopicKind = DeviceToCpKind | CpToDeviceKind;

const BRIDGE_LEVEL = 'bridge';

export function isDeviceId(value: string): boolean {
  return DEVICE_ID_PATTERN.test(value);
}

/** An id an operator or a device may enrol: a device id without the reserved child separator. */
export function isEnrollableDeviceId(value: string): boolean {
  return isDeviceId(value) && !value.includes(CHILD_SEPARATOR);
}

export interface ChildDeviceId {
  readonly gatewayId: string;
  readonly childName: string;
}

/** `{gateway}--{child}`, or a RangeError when either part is invalid or the id would exceed 63 chars. */
export function childDeviceId(gatewayId: string, childName: string): string {
  const id = `${gatewayId}${CHILD_SEPARATOR}${childName}`;
  const parsed = parseChildDeviceId(id);
  if (parsed === null || parsed.gatewayId !== gatewayId || parsed.childName !== childName) {
    throw new RangeError(`no valid child device id for gateway ${JSON.stringify(gatewayId)} / ${childName}`);
  }
  return id;
}

/** The gateway and child name of a child device id; null for an enrolled device's id or an invalid one. */
export function parseChildDeviceId(deviceId: string): ChildDeviceId | null {
  const at = deviceId.indexOf(CHILD_SEPARATOR);
  if (at < 0 || !isDeviceId(deviceId)) return null;
  const gatewayId = deviceId.slice(0, at);
  const childName = deviceId.slice(at + CHILD_SEPARATOR.length);
  if (!isEnrollableDeviceId(gatewayId) || !CHILD_NAME_PATTERN.test(childName)) return null;
  return { gatewayId, childName };
}

export function deviceTopic(deviceId: string, kind: TopicKind): string {
  if (!isDeviceId(deviceId)) throw new RangeError(`invalid device id ${JSON.stringify(deviceId)}`);
  if (!deviceId.includes(CHILD_SEPARATOR)) return `${TOPIC_PREFIX}/${deviceId}/${kind}`;
  const child = parseChildDeviceId(deviceId);
  if (child === null) throw new RangeError(`invalid child device id ${JSON.stringify(deviceId)}`);
  return `${TOPIC_PREFIX}/${child.gatewayId}/${BRIDGE_LEVEL}/${child.childName}/${kind}`;
}

/** The subscription pattern the control plane uses for one device → cp kind across the fleet. */
export function fleetPattern(kind: DeviceToCpKind): string {
  return `${TOPIC_PREFIX}/+/${kind}`;
}

/** The same across every gateway's children (`ef/v1/+/bridge/+/{kind}`). */
export function bridgePattern(kind: DeviceToCpKind): string {
  return `${TOPIC_PREFIX}/+/${BRIDGE_LEVEL}/+/${kind}`;
}

export interface ParsedTopic {
  /** The device the message is for or from: an enrolled device, or a child `{gateway}--{child}`. */
  readonly deviceId: string;
  /** The device whose MQTT session may use the topic: the device itself, or a child's gateway. */
  readonly ownerId: string;
  readonly kind: TopicKind;
  readonly direction: 'device-to-cp' | 'cp-to-device';
}

const KINDS: ReadonlyMap<string, ParsedTopic['direction']> = new Map([
  ...DEVICE_TO_CP.map((k) => [k, 'device-to-cp'] as const),
  ...CP_TO_DEVICE.map((k) => [k, 'cp-to-device'] as const),
]);

/** Parses a concrete topic (no wildcards); null when it is not an edgefleet device or child topic. */
export function parseTopic(topic: string): ParsedTopic | null {
  const prefix = `${TOPIC_PREFIX}/`;
  if (!topic.startsWith(prefix)) return null;
  const rest = topic.slice(prefix.length);
  const slash = rest.indexOf('/');
  if (slash < 0) return null;
  const ownerId = rest.slice(0, slash);
  let kind = rest.slice(slash + 1);
  let deviceId = ownerId;
  if (kind.startsWith(`${BRIDGE_LEVEL}/`)) {
    const child = kind.slice(BRIDGE_LEVEL.length + 1);
    const end = child.indexOf('/');
    if (end < 0 || !isEnrollableDeviceId(ownerId)) return null;
    const childName = child.slice(0, end);
    if (!CHILD_NAME_PATTERN.test(childName)) return null;
    deviceId = `${ownerId}${CHILD_SEPARATOR}${childName}`;
    kind = child.slice(end + 1);
  }
  const direction = KINDS.get(kind);
  if (direction === undefined || !isDeviceId(deviceId) || !isEnrollableDeviceId(ownerId)) return null;
  return { deviceId, ownerId, kind: kind as TopicKind, direction };
}
