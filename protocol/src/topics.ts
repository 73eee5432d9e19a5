/**
 * MQTT topic names (DESIGN.md §2) and the direction table the broker ACL enforces. A device id is one
 * topic level of [a-z0-9-], so it can never smuggle a `/`, `+` or `#` into a topic.
 */

export const TOPIC_PREFIX = 'ef/v1';

export const DEVICE_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Topics a device publishes (device → control plane). */
export const DEVICE_TO_CP = ['reported', 'fetch/req', 'events', 'telemetry', 'fl/update'] as const;
/** Topics a device subscribes to (control plane → device). */
export const CP_TO_DEVICE = ['desired', 'fetch/res', 'fl/task'] as const;

export type DeviceToCpKind = (typeof DEVICE_TO_CP)[number];
export type CpToDeviceKind = (typeof CP_TO_DEVICE)[number];
export type TopicKind = DeviceToCpKind | CpToDeviceKind;

export function isDeviceId(value: string): boolean {
  return DEVICE_ID_PATTERN.test(value);
}

export function deviceTopic(deviceId: string, kind: TopicKind): string {
  if (!isDeviceId(deviceId)) throw new RangeError(`invalid device id ${JSON.stringify(deviceId)}`);
  return `${TOPIC_PREFIX}/${deviceId}/${kind}`;
}

/** The subscription pattern the control plane uses for one device → cp kind across the fleet. */
export function fleetPattern(kind: DeviceToCpKind): string {
  return `${TOPIC_PREFIX}/+/${kind}`;
}

export interface ParsedTopic {
  readonly deviceId: string;
  readonly kind: TopicKind;
  readonly direction: 'device-to-cp' | 'cp-to-device';
}

const KINDS: ReadonlyMap<string, ParsedTopic['direction']> = new Map([
  ...DEVICE_TO_CP.map((k) => [k, 'device-to-cp'] as const),
  ...CP_TO_DEVICE.map((k) => [k, 'cp-to-device'] as const),
]);

/** Parses a concrete topic (no wildcards); null when it is not an edgefleet device topic. */
export function parseTopic(topic: string): ParsedTopic | null {
  const prefix = `${TOPIC_PREFIX}/`;
  if (!topic.startsWith(prefix)) return null;
  const rest = topic.slice(prefix.length);
  const slash = rest.indexOf('/');
  if (slash < 0) return null;
  const deviceId = rest.slice(0, slash);
  const kind = rest.slice(slash + 1);
  const direction = KINDS.get(kind);
  if (direction === undefined || !isDeviceId(deviceId)) return null;
  return { deviceId, kind: kind as TopicKind, direction };
}
