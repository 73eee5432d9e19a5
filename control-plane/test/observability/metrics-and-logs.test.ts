import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Fixture, startFixture } from '../helpers/control-plane-fixture.js';
import { connectDevice, deviceClients } from '../helpers/mqtt.js';

let f: Fixture;
const devices = deviceClients();
afterEach(async () => {
  await devices.closeAll();
  await f.close();
});

/** Prometheus text format 0.0.4: `name{label="v",…} value` sample lines, `# HELP`/`# TYPE` comments. */
function parseExposition(text: string) {
  const samples: { name: string; labels: Record<string, string>; value: number }[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type?.[1] !== undefined && type[2] !== undefined) types.set(type[1], type[2]);
    if (line.startsWith('#')) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (sample?.[1] === undefined || sample[3] === undefined) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const m of (sample[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) {
      if (m[1] !== undefined && m[2] !== undefined) labels[m[1]] = m[2];
    }
    samples.push({ name: sample[1], labels, value: Number(sample[3]) });
  }
  const value = (name: string, labels: Record<string, string> = {}) =>
    samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
  return { samples, types, value };
}

async function scrape(token?: string) {
  const res = await f.request('GET', '/metrics', token === undefined ? {} : { token });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await res.text());
}

describe('GET /metrics', () => {
  it('needs a token and lets a viewer scrape', async () => {
    f = await startFixture();
    expect((await f.request('GET', '/metrics', { token: null })).status).toBe(401);
    const minted = await f.request('POST', '/v1/tokens', { json: { name: 'prometheus', role: 'viewer' } });
    const { token } = (await minted.json()) as { token: string };
    const metrics = await scrape(token);
    expect(metrics.types.get('edgefleet_devices')).toBe('gauge');
    expect(metrics.types.get('edgefleet_rejections_total')).toBe('counter');
  });

  it('reports devices by connection state as they come and go', async () => {
    f = await startFixture();
    const a = await f.enrol();
    await f.enrol();
    expect((await scrape()).value('edgefleet_devices', { state: 'offline' })).toBe(2);
    await devices.online(a);
    await vi.waitFor(async () => expect((await scrape()).value('edgefleet_devices', { state: 'online' })).toBe(1));
    expect((await scrape()).value('edgefleet_devices', { state: 'offline' })).toBe(1);
  });

  it('counts rejections by error code and MQTT messages by kind', async () => {
    f = await startFixture();
    const device = await f.enrol();
    await expect(
      connectDevice({ url: device.mqttUrl, deviceId: device.deviceId, password: 'wrong' }),
    ).rejects.toThrow();
    const metrics = await scrape();
    expect(metrics.value('edgefleet_rejections_total', { code: 'AUTH_REQUIRED' })).toBe(1);
    expect(metrics.value('edgefleet_chunks_served_total')).toBe(0);
  });

  it('exports every rollout state and FL job state, counting the rollouts that exist', async () => {
    f = await startFixture();
    expect((await f.registerIris()).status).toBe(201);
    const created = await f.request('POST', '/v1/rollouts', { json: { line: 'iris', version: 1, group: 'lab' } });
    expect(created.status).toBe(201);
    const { state } = (await created.json()) as { state: string };
    const metrics = await scrape();
    const rollouts = metrics.samples.filter((s) => s.name === 'edgefleet_rollouts');
    expect(rollouts.map((s) => s.labels.state)).toEqual(expect.arrayContaining(['pending', 'paused', 'rolled-back']));
    expect(rollouts.reduce((sum, s) => sum + s.value, 0)).toBe(1);
    expect(metrics.value('edgefleet_rollouts', { state })).toBe(1);
    expect(metrics.value('edgefleet_fl_jobs', { state: 'running' })).toBe(0);
  });

  it('shows the single SQLite process as scheduler leader in /metrics, /v1/health and leadership()', async () => {
    f = await startFixture();
    const metrics = await scrape();
    expect(metrics.value('edgefleet_scheduler_leader', { state: 'leader' })).toBe(1);
    expect(metrics.value('edgefleet_scheduler_leader', { state: 'follower' })).toBe(0);
    const health = (await (await f.request('GET', '/v1/health', { token: null })).json()) as { scheduler: string };
    expect(health.scheduler).toBe('leader');
    expect(f.cp.leadership()).toEqual({ state: 'leader', terms: 1 });
  });

  it('counts HTTP requests by route pattern, not by concrete path', async () => {
    f = await startFixture();
    const { deviceId } = await f.enrol();
    await f.request('GET', `/v1/devices/${deviceId}`);
    await f.request('GET', '/v1/devices/dev-unknown');
    const metrics = await scrape();
    expect(metrics.value('edgefleet_http_requests_total', { route: '/v1/devices/:id', status: '200' })).toBe(1);
    expect(metrics.value('edgefleet_http_requests_total', { route: '/v1/devices/:id', status: '404' })).toBe(1);
    expect(metrics.samples.some((s) => s.labels.route?.includes(deviceId))).toBe(false);
  });
});

describe('structured request logs', () => {
  it('writes one JSON line per request with route, status, actor and the rollout id', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const l of String(chunk).split('\n')) if (l !== '') lines.push(JSON.parse(l));
        done();
      },
    });
    f = await startFixture({ logger: pino({ level: 'debug' }, sink) });
    await f.request('POST', '/v1/rollouts/r-missing/pause');
    await f.request('GET', '/v1/models', { token: 'eft_wrong' });
    const requests = lines.filter((l) => l.msg === 'http request');
    expect(requests).toContainEqual(
      expect.objectContaining({
        method: 'POST',
        route: '/v1/rollouts/:id/pause',
        path: '/v1/rollouts/r-missing/pause',
        status: 404,
        actor: 'admin',
        rolloutId: 'r-missing',
        level: 40,
      }),
    );
    expect(requests).toContainEqual(expect.objectContaining({ route: '/v1/models', status: 401, actor: null }));
    expect(requests.every((l) => typeof l.durationMs === 'number')).toBe(true);
  });
});
