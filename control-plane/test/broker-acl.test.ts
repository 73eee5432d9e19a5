import { describe, expect, it } from 'vitest';
import { authorizeDevicePublish, authorizeDeviceSubscribe } from '../src/index.js';

const A = 'dev-a';

describe('broker ACL: device publish', () => {
  it.each(['reported', 'fetch/req', 'events', 'telemetry'])('allows a device to publish to its own %s', (kind) => {
    expect(authorizeDevicePublish(A, `ef/v1/${A}/${kind}`)).toEqual({ allowed: true });
  });

  it.each(['desired', 'fetch/res'])('refuses a device publishing to its own cp → device topic %s', (kind) => {
    expect(authorizeDevicePublish(A, `ef/v1/${A}/${kind}`)).toMatchObject({ allowed: false, code: 'TOPIC_FORBIDDEN' });
  });

  it('refuses a device publishing to another device’s topics', () => {
    expect(authorizeDevicePublish(A, 'ef/v1/dev-b/telemetry').allowed).toBe(false);
    expect(authorizeDevicePublish(A, 'ef/v1/dev-b/reported').allowed).toBe(false);
  });

  it.each(['other/topic', '$SYS/broker/x', 'ef/v1/dev-a', 'ef/v1/dev-a/unknown', 'ef/v2/dev-a/telemetry', ''])(
    'refuses the non-edgefleet topic %j',
    (topic) => {
      expect(authorizeDevicePublish(A, topic).allowed).toBe(false);
    },
  );
});

describe('broker ACL: device subscribe', () => {
  it.each(['desired', 'fetch/res'])('allows a device to subscribe to its own %s', (kind) => {
    expect(authorizeDeviceSubscribe(A, `ef/v1/${A}/${kind}`)).toEqual({ allowed: true });
  });

  it('refuses subscribing to another device’s desired state or fetch responses', () => {
    expect(authorizeDeviceSubscribe(A, 'ef/v1/dev-b/desired').allowed).toBe(false);
    expect(authorizeDeviceSubscribe(A, 'ef/v1/dev-b/fetch/res').allowed).toBe(false);
  });

  it('refuses subscribing to its own device → cp topics (another client’s traffic could be read)', () => {
    expect(authorizeDeviceSubscribe(A, `ef/v1/${A}/telemetry`).allowed).toBe(false);
  });

  it.each([
    'ef/v1/+/desired',
    'ef/v1/dev-a/#',
    '#',
    '+/v1/dev-a/desired',
    'ef/v1/dev-a/fetch/+',
    '$share/g/ef/v1/dev-a/desired',
  ])('refuses the wildcard or shared filter %j', (filter) => {
    expect(authorizeDeviceSubscribe(A, filter)).toMatchObject({ allowed: false, code: 'TOPIC_FORBIDDEN' });
  });

  it('refuses non-edgefleet filters', () => {
    expect(authorizeDeviceSubscribe(A, 'news').allowed).toBe(false);
    expect(authorizeDeviceSubscribe(A, '$SYS/broker/clients').allowed).toBe(false);
  });
});

describe('broker ACL: a gateway and its children (DESIGN.md §6)', () => {
  it.each(['reported', 'fetch/req', 'events', 'telemetry'])("allows a gateway to publish its child's %s", (kind) => {
    expect(authorizeDevicePublish(A, `ef/v1/${A}/bridge/mcu-1/${kind}`)).toEqual({ allowed: true });
  });

  it.each(['desired', 'fetch/res'])("allows a gateway to subscribe to its child's %s, by exact name", (kind) => {
    expect(authorizeDeviceSubscribe(A, `ef/v1/${A}/bridge/mcu-1/${kind}`)).toEqual({ allowed: true });
    expect(authorizeDeviceSubscribe(A, `ef/v1/${A}/bridge/+/${kind}`).allowed).toBe(false);
  });

  it("refuses a gateway writing or reading another gateway's children", () => {
    expect(authorizeDevicePublish(A, 'ef/v1/dev-b/bridge/mcu-1/telemetry').allowed).toBe(false);
    expect(authorizeDevicePublish(A, 'ef/v1/dev-b/bridge/mcu-1/reported').allowed).toBe(false);
    expect(authorizeDeviceSubscribe(A, 'ef/v1/dev-b/bridge/mcu-1/desired').allowed).toBe(false);
  });

  it('refuses a gateway writing its children’s cp → device topics, and children logging in on their own', () => {
    expect(authorizeDevicePublish(A, `ef/v1/${A}/bridge/mcu-1/desired`).allowed).toBe(false);
    expect(authorizeDevicePublish(`${A}--mcu-1`, `ef/v1/${A}/bridge/mcu-1/telemetry`).allowed).toBe(false);
    expect(authorizeDevicePublish(A, `ef/v1/${A}--mcu-1/telemetry`).allowed).toBe(false);
  });
});
