/**
 * Rollout test harness: a real control plane on a manual clock, devices enrolled over HTTP (optionally with
 * a hardware profile), and device messages (install events, inference, drift and shadow windows) fed through
 * the real ingest by publishing on the embedded broker, then drained.
 */
import { deviceTopic, encodeCbor } from '@edgefleet/protocol';
import { expect } from 'vitest';
import type { ControlPlaneOptions } from '../../src/index.js';
import { type Fixture, startFixture } from '../helpers/control-plane-fixture.js';
import { createManualClock, type ManualClock } from '../helpers/manual-clock.js';

export interface Harness {
  readonly f: Fixture;
  readonly clock: ManualClock;
  enrol(
    count: number,
    options?: { group?: string; tags?: string[]; profile?: string; prefix?: string },
  ): Promise<string[]>;
  send(deviceId: string, kind: 'events' | 'telemetry', records: Record<string, unknown>[]): Promise<void>;
  installed(deviceIds: readonly string[], version: number, kind?: string, error?: unknown): Promise<void>;
  inference(
    deviceId: string,
    version: number,
    window: { errors?: number; count?: number; p95?: number },
  ): Promise<void>;
  shadow(
    deviceId: string,
    w: { champion: number; challenger: number; rows: number; agreements: number },
  ): Promise<void>;
  rollout(body: unknown): Promise<Rollout>;
  get(id: string): Promise<Rollout>;
  desired(
    deviceId: string,
  ): Promise<{ seq: number; assignments: { line: string; version: number; shadow?: number }[] } | null>;
  /** Advances the clock and lets the orchestrator's tick run. */
  advance(ms: number): Promise<void>;
}

export interface Rollout {
  id: string;
  state: string;
  version: number;
  championVersion: number | null;
  currentWave: number;
  offline: number;
  waves: {
    index: number;
    mode: string;
    devices: string[];
    state: string;
    counts: Record<string, number>;
    gates: Gate[];
  }[];
  rollback?: { version: number; contentOf: number; reason: string; gate?: Gate[] };
  devices: { deviceId: string; status: string; error?: string }[];
}

export interface Gate {
  gate: string;
  threshold: number;
  value: number | null;
  passed: boolean;
  outcome: string;
  detail: Record<string, unknown>;
}

/** Device-local record seqs; module-wide so a harness restarted on the same dataDir never reuses one. */
const seqs = new Map<string, number>();

export async function startHarness(
  options: Partial<Omit<ControlPlaneOptions, 'clock'>> & { dataDir?: string; clock?: ManualClock } = {},
): Promise<Harness> {
  const clock = options.clock ?? createManualClock(1_700_000_000_000);
  const f = await startFixture({ ...options, clock });
  const nextSeq = (id: string) => {
    const seq = (seqs.get(id) ?? 0) + 1;
    seqs.set(id, seq);
    return seq;
  };
  let counter = 0;
  const h: Harness = {
    f,
    clock,
    async enrol(count, { group = 'lab', tags, profile, prefix = 'dev' } = {}) {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        const minted = await f.request('POST', '/v1/enrolment-tokens', { json: { group, ...(tags ? { tags } : {}) } });
        const { token } = (await minted.json()) as { token: string };
        const deviceId = `${prefix}-${group}-${counter++}`;
        const hardware = {
          platform: 'linux',
          arch: 'arm64',
          cpus: 4,
          memoryBytes: 1e9,
          ...(profile ? { profile } : {}),
        };
        const res = await f.request('POST', '/v1/enrol', { token: null, json: { token, deviceId, hardware } });
        expect(res.status).toBe(201);
        ids.push(deviceId);
      }
      return ids;
    },
    async send(deviceId, kind, records) {
      const message = {
        v: 1,
        type: kind,
        ts: clock.now(),
        records: records.map((r) => ({ seq: nextSeq(deviceId), ...r })),
      };
      await f.cp.broker.publish(deviceTopic(deviceId, kind), encodeCbor(message), { qos: 1, retain: false });
      await f.cp.drain();
    },
    async installed(deviceIds, version, kind = 'install-completed', error) {
      for (const id of deviceIds) {
        await h.send(id, 'events', [{ at: clock.now(), kind, line: 'iris', version, ...(error ? { error } : {}) }]);
      }
    },
    async inference(deviceId, version, { errors = 0, count = 100, p95 = 2 }) {
      const now = clock.now();
      await h.send(deviceId, 'telemetry', [
        {
          kind: 'inference',
          line: 'iris',
          version,
          windowStartMs: now,
          windowEndMs: now + 1,
          count,
          errors,
          latencyMs: { p50: p95 / 2, p95, p99: p95, max: p95, mean: p95 / 2 },
        },
      ]);
    },
    async shadow(deviceId, w) {
      const now = clock.now();
      const latency = { p50: 1, p95: 2, p99: 3, max: 4, mean: 1 };
      await h.send(deviceId, 'telemetry', [
        {
          kind: 'shadow',
          line: 'iris',
          championVersion: w.champion,
          challengerVersion: w.challenger,
          windowStartMs: now,
          windowEndMs: now + 1,
          rows: w.rows,
          agreements: w.agreements,
          challengerErrors: 0,
          latencyMs: { champion: latency, challenger: latency },
        },
      ]);
    },
    async rollout(body) {
      const res = await f.request('POST', '/v1/rollouts', { json: body });
      expect(res.status, await res.clone().text()).toBe(201);
      return (await res.json()) as Rollout;
    },
    async get(id) {
      return (await (await f.request('GET', `/v1/rollouts/${id}`)).json()) as Rollout;
    },
    async desired(deviceId) {
      const detail = (await (await f.request('GET', `/v1/devices/${deviceId}`)).json()) as {
        desired: Awaited<ReturnType<Harness['desired']>>;
      };
      return detail.desired;
    },
    async advance(ms) {
      clock.advance(ms);
      await f.cp.rollouts.tick();
    },
  };
  return h;
}

/** Registers iris v1..v`count` (same bytes, new versions). */
export async function registerVersions(h: Harness, count: number): Promise<void> {
  for (let v = 1; v <= count; v++) expect((await h.f.registerIris({ version: v })).status).toBe(201);
}

/** Puts every listed device on iris v1 through a legacy rollout that completes. */
export async function onChampion(h: Harness, ids: readonly string[], group = 'lab'): Promise<void> {
  const r = await h.rollout({ line: 'iris', version: 1, group });
  await h.installed(ids, 1);
  expect((await h.get(r.id)).state).toBe('completed');
}
