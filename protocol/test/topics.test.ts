import { describe, expect, it } from 'vitest';
import {
  bridgePattern,
  childDeviceId,
  deviceTopic,
  fleetPattern,
  parseChildDeviceId,
  parseTopic,
} from '../src/index.js';

describe('topics', () => {
  it('builds and parses device topics in both directions', () => {
    expect(deviceTopic('dev-1', 'fetch/req')).toBe('ef/v1/dev-1/fetch/req');
    expect(parseTopic('ef/v1/dev-1/fetch/req')).toEqual({
      deviceId: 'dev-1',
      ownerId: 'dev-1',
      kind: 'fetch/req',
      direction: 'device-to-cp',
    });
    expect(parseTopic('ef/v1/dev-1/desired')).toEqual({
      deviceId: 'dev-1',
      ownerId: 'dev-1',
      kind: 'desired',
      direction: 'cp-to-device',
    });
    expect(fleetPattern('telemetry')).toBe('ef/v1/+/telemetry');
  });

  it.each([
    'ef/v1/dev-1/unknown',
    'ef/v1/+/telemetry',
    'ef/v1/#',
    'ef/v2/dev-1/telemetry',
    'ef/v1/DEV/telemetry',
    'ef/v1/dev-1',
    'other/topic',
    'ef/v1/dev-1/telemetry/extra',
    'ef/v1/gw--a/telemetry',
    'ef/v1/gw/bridge/mcu',
    'ef/v1/gw/bridge/+/desired',
    'ef/v1/gw/bridge/a--b/desired',
    'ef/v1/gw/bridge/mcu-/desired',
    'ef/v1/gw/bridge/mcu/unknown',
    'ef/v1/gw--x/bridge/mcu/desired',
  ])('refuses %s', (topic) => {
    expect(parseTopic(topic)).toBeNull();
  });

  it('refuses to build a topic from an id that could inject levels or wildcards', () => {
    for (const id of ['a/b', '+', '#', '', 'A']) expect(() => deviceTopic(id, 'desired')).toThrow(RangeError);
  });

  it("maps a child device {gateway}--{child} to its gateway's bridge sub-tree and back", () => {
    const id = childDeviceId('gw-1', 'mcu-7');
    expect(id).toBe('gw-1--mcu-7');
    expect(parseChildDeviceId(id)).toEqual({ gatewayId: 'gw-1', childName: 'mcu-7' });
    expect(deviceTopic(id, 'fetch/res')).toBe('ef/v1/gw-1/bridge/mcu-7/fetch/res');
    expect(parseTopic('ef/v1/gw-1/bridge/mcu-7/fetch/req')).toEqual({
      deviceId: 'gw-1--mcu-7',
      ownerId: 'gw-1',
      kind: 'fetch/req',
      direction: 'device-to-cp',
    });
    expect(bridgePattern('telemetry')).toBe('ef/v1/+/bridge/+/telemetry');
    expect(parseChildDeviceId('dev-1')).toBeNull();
  });

  it('refuses child ids that would not split back into the same gateway and child', () => {
    for (const [gw, mcu] of [
      ['gw-', 'mcu'],
      ['gw', '-mcu'],
      ['gw', 'a--b'],
      ['a--b', 'mcu'],
      ['gw', 'x'.repeat(62)],
    ] as const) {
      expect(() => childDeviceId(gw, mcu), `${gw} / ${mcu}`).toThrow(RangeError);
    }
    expect(() => deviceTopic('gw---mcu', 'desired')).toThrow(RangeError);
  });
});
