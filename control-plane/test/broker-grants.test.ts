import { CP_TO_DEVICE, DEVICE_TO_CP, deviceTopic } from '@edgefleet/protocol';
import { describe, expect, it } from 'vitest';
import { topicMatches } from '../src/broker/topic-filter.js';
import { authorizeDevicePublish, authorizeDeviceSubscribe, deviceGrants } from '../src/index.js';

describe('device grants for an external broker (the pure ACL written out)', () => {
  const grants = deviceGrants('dev-a');

  it('lists exactly the topics the ACL allows the device, by exact name', () => {
    expect(grants.publish).toEqual(DEVICE_TO_CP.map((k) => deviceTopic('dev-a', k)));
    expect(grants.subscribe).toEqual(CP_TO_DEVICE.map((k) => deviceTopic('dev-a', k)));
    for (const topic of grants.publish) expect(authorizeDevicePublish('dev-a', topic)).toEqual({ allowed: true });
    for (const topic of grants.subscribe) expect(authorizeDeviceSubscribe('dev-a', topic)).toEqual({ allowed: true });
  });

  it("grants the gateway sub-tree with one '+' for the child, which every child topic of its own matches", () => {
    expect(grants.bridgeSubscribe).toContain('ef/v1/dev-a/bridge/+/desired');
    for (const [patterns, allowed, kinds] of [
      [grants.bridgePublish, authorizeDevicePublish, DEVICE_TO_CP],
      [grants.bridgeSubscribe, authorizeDeviceSubscribe, CP_TO_DEVICE],
    ] as const) {
      for (const kind of kinds) {
        const topic = deviceTopic('dev-a--mcu-1', kind);
        expect(patterns.some((p) => topicMatches(p, topic))).toBe(true);
        expect(allowed('dev-a', topic)).toEqual({ allowed: true });
        expect(patterns.some((p) => topicMatches(p, deviceTopic('dev-b--mcu-1', kind)))).toBe(false);
      }
    }
  });

  it('grants no device the topics of another', () => {
    const other = deviceGrants('dev-b');
    const mine = new Set([...grants.publish, ...grants.subscribe]);
    expect([...other.publish, ...other.subscribe].filter((t) => mine.has(t))).toEqual([]);
  });
});

describe('topic-filter matching (MQTT 5 §4.7)', () => {
  it.each([
    ['ef/v1/+/telemetry', 'ef/v1/dev-a/telemetry', true],
    ['ef/v1/+/telemetry', 'ef/v1/dev-a/bridge/m/telemetry', false],
    ['ef/v1/+/bridge/+/telemetry', 'ef/v1/dev-a/bridge/m/telemetry', true],
    ['ef/v1/#', 'ef/v1/dev-a/fetch/req', true],
    ['ef/v1/+/fetch/req', 'ef/v1/dev-a/fetch/res', false],
    ['#', '$SYS/broker/uptime', false],
    ['+/x', '$CONTROL/x', false],
    ['a/b', 'a/b/c', false],
  ])('%s matches %s: %s', (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });
});
