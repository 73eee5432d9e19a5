/**
 * The Prometheus exposition behind `GET /metrics` (text format 0.0.4, prom-client). Fleet gauges — devices
 * by connection state, rollouts by state, federated jobs by state, this replica's scheduler state — are computed at scrape time from the
 * database, so they never drift from the truth; counters mirror the in-process `Metrics` (MQTT messages by
 * kind, rejections by error code, bundle chunks served) and the HTTP request counter kept by the request
 * logger. One registry per control plane, so several control planes in one test process never share series.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { JobState } from '../fl/fl-state.js';
import type { Metrics } from '../metrics.js';
import { ROLLOUT_STATES } from '../rollouts/rollout-state.js';
import type { SchedulerState } from '../scheduler/leader-election.js';

/** What the scrape reads; plain functions so the registry does not depend on the stores' shapes. */
export interface FleetReadings {
  deviceConnections(): Promise<readonly string[]>;
  rolloutStates(): Promise<readonly string[]>;
  flJobStates(): Promise<readonly string[]>;
  /** This replica's scheduler state (scheduler/leader-election.ts). */
  schedulerState(): string;
}

export interface Prometheus {
  readonly contentType: string;
  render(): Promise<string>;
  /** Called by the request logger once per answered HTTP request. */
  countHttpRequest(labels: { method: string; route: string; status: number }): void;
}

const SCHEDULER_STATES: readonly SchedulerState[] = ['follower', 'leader', 'stopped'];
const FL_JOB_STATES: readonly JobState[] = ['waiting', 'running', 'completed', 'failed', 'cancelled'];

function tally(values: readonly string[], known: readonly string[]): Map<string, number> {
  // Known states are always exported (as 0) so dashboards and alerts see a series before the first event.
  const counts = new Map<string, number>(known.map((k) => [k, 0]));
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}

export function createPrometheus(options: { metrics: Metrics; fleet: FleetReadings }): Prometheus {
  const { metrics, fleet } = options;
  const registry = new Registry();
  new Gauge({
    name: 'edgefleet_devices',
    help: 'Enrolled devices by MQTT connection state',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const values = await fleet.deviceConnections();
      this.reset();
      for (const [state, n] of tally(values, ['online', 'offline'])) this.set({ state }, n);
    },
  });
  new Gauge({
    name: 'edgefleet_rollouts',
    help: 'Rollouts by state',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const values = await fleet.rolloutStates();
      this.reset();
      for (const [state, n] of tally(values, ROLLOUT_STATES)) this.set({ state }, n);
    },
  });
  new Gauge({
    name: 'edgefleet_fl_jobs',
    help: 'Federated training jobs by state',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const values = await fleet.flJobStates();
      this.reset();
      for (const [state, n] of tally(values, FL_JOB_STATES)) this.set({ state }, n);
    },
  });
  new Gauge({
    name: 'edgefleet_scheduler_leader',
    help: "This replica's scheduler state (1 for the current state): one leader among replicas",
    labelNames: ['state'],
    registers: [registry],
    collect() {
      this.reset();
      const current = fleet.schedulerState();
      for (const state of SCHEDULER_STATES) this.set({ state }, state === current ? 1 : 0);
    },
  });
  // The in-process counters are monotonic maps; each scrape copies their current totals.
  new Counter({
    name: 'edgefleet_mqtt_messages_total',
    help: 'MQTT messages received from devices, by message kind (ingest rate: rate() of this)',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [kind, n] of Object.entries(metrics.snapshot().messagesByKind)) this.inc({ kind }, n);
    },
  });
  new Counter({
    name: 'edgefleet_rejections_total',
    help: 'Refused MQTT messages, ACL refusals, failed logins and listener failures, by error code',
    labelNames: ['code'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [code, n] of Object.entries(metrics.snapshot().rejectionsByCode)) this.inc({ code }, n);
    },
  });
  new Counter({
    name: 'edgefleet_chunks_served_total',
    help: 'Bundle and FL weight chunks served to devices (per-device totals: cp.metrics.snapshot())',
    registers: [registry],
    collect() {
      this.reset();
      const perDevice = Object.values(metrics.snapshot().chunksServedByDevice);
      this.inc(perDevice.reduce((a, b) => a + b, 0));
    },
  });
  const httpRequests = new Counter({
    name: 'edgefleet_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  return {
    contentType: registry.contentType,
    render: () => registry.metrics(),
    countHttpRequest: ({ method, route, status }) => httpRequests.inc({ method, route, status: String(status) }),
  };
}
