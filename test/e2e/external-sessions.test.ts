/**
 * A single control plane's session at an external Mosquitto is persistent: device messages published while
 * the control plane restarts, or while Mosquitto restarts before the control plane has reconnected, are
 * queued for it and ingested once it is back, instead of dropped for want of a subscriber.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ControlPlane, createControlPlane } from '@edgefleet/control-plane';
import { afterEach, describe, expect, it } from 'vitest';
import { apiClient, enrolRawDevice, type Mosquitto, publishTelemetry, startMosquitto, waitFor } from '../src/index.js';

const MESSAGES = 50;

describe('control-plane session at an external Mosquitto', () => {
  let mosquitto: Mosquitto | undefined;
  const planes: ControlPlane[] = [];
  let dir: string | undefined;
  afterEach(async () => {
    await Promise.allSettled(planes.splice(0).map((cp) => cp.close()));
    await mosquitto?.stop();
    mosquitto = undefined;
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  async function start(options: { reconnectPeriodMs?: number; adminToken?: string; shared?: boolean } = {}) {
    const m = mosquitto as Mosquitto;
    dir ??= await mkdtemp(join(tmpdir(), 'edgefleet-sessions-'));
    const cp = await createControlPlane({
      dataDir: dir,
      httpPort: 0,
      ...(options.adminToken === undefined ? {} : { adminToken: options.adminToken }),
      broker: {
        kind: 'external',
        url: m.url,
        ...m.admin,
        clientId: 'edgefleet-cp-session-test',
        ...(options.shared === false ? { sharedSubscriptions: false } : {}),
        ...(options.reconnectPeriodMs === undefined ? {} : { reconnectPeriodMs: options.reconnectPeriodMs }),
      },
    });
    planes.push(cp);
    return cp;
  }

  const storedWindows = async (cp: ControlPlane, deviceId: string) =>
    (await apiClient(cp.httpUrl, cp.adminToken).get<unknown[]>(`/v1/devices/${deviceId}/telemetry?limit=1000`)).body
      .length;

  it('single replica: keeps what devices publish while Mosquitto restarts and the control plane is not back yet', async () => {
    mosquitto = await startMosquitto({ persistence: true });
    // The control plane comes back 4 s after Mosquitto; the device publishes at once. Mosquitto 2.0 saves
    // plain subscriptions across its restart, not shared ones: a lone control plane subscribes plainly.
    const cp = await start({ reconnectPeriodMs: 4_000, shared: false });
    const device = await enrolRawDevice(apiClient(cp.httpUrl, cp.adminToken), 'session-dev-1');
    await mosquitto.restart();
    await publishTelemetry([device], { perDevice: MESSAGES });
    await waitFor(async () => (await storedWindows(cp, device.deviceId)) === MESSAGES, {
      what: `${MESSAGES} windows published during the outage to be stored`,
    });
  });

  it('single replica: keeps what devices publish while the control plane restarts', async () => {
    mosquitto = await startMosquitto();
    const first = await start({ shared: false });
    const device = await enrolRawDevice(apiClient(first.httpUrl, first.adminToken), 'session-dev-2');
    const adminToken = first.adminToken;
    await first.close();
    planes.splice(planes.indexOf(first), 1);
    await publishTelemetry([device], { perDevice: MESSAGES });
    const second = await start({ adminToken, shared: false });
    await waitFor(async () => (await storedWindows(second, device.deviceId)) === MESSAGES, {
      what: `${MESSAGES} windows published while the control plane was down to be stored`,
    });
    expect(await storedWindows(second, device.deviceId)).toBe(MESSAGES);
  });
});
