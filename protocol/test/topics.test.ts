import { describe, expect, it } from 'vitest';
import { deviceTopic, fleetPattern, parseTopic } from '../src/index.js';

describe('topics', () => {
  it('builds and parses device topics in both directions', () => {
    expect(deviceTopic('dev-1', 'fetch/req')).toBe('ef/v1/dev-1/fetch/req');
    expect(parseTopic('ef/v1/dev-1/fetch/req')).toEqual({
      deviceId: 'dev-1',
      kind: 'fetch/req',
      direction: 'device-to-cp',
    });
    expect(parseTopic('ef/v1/dev-1/desired')).toEqual({
      deviceId: 'dev-1',
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
  ])('refuses %s', (topic) => {
    expect(parseTopic(topic)).toBeNull();
  });

  it('refuses to build a topic from an id that could inject levels or wildcards', () => {
    for (const id of ['a/b', '+', '#', '', 'A']) expect(() => deviceTopic(id, 'desired')).toThrow(RangeError);
  });
});
