/**
 * Rollout orchestrator cost: with 1 000 and 10 000 enrolled devices in one rollout,
 * the cost per device of (a) creating it (signing and publishing every desired document), (b) one
 * orchestrator `tick()` of the installing wave, and (c) ingesting one install-completed event per device
 * through the real MQTT ingest (embedded broker → CBOR decode → dedup insert → status update → coalesced
 * step). Baselines in the same run, same N: a plain SQLite scan over N device rows (tick) and CBOR decode +
 * schema check + unique insert of the same event payloads (ingest), both on better-sqlite3. The goal is a
 * flat per-device cost: ratio10kTo1k ≈ 1.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createControlPlane } from '@edgefleet/control-plane';
import { decodeCbor, deviceTopic, encodeCbor, eventsMessageSchema } from '@edgefleet/protocol';
import { buildIrisModels } from '@edgefleet/test-kit/models';

// The baseline needs raw better-sqlite3, a dependency of the control plane (not of this package).
const requireFromCp = createRequire(new URL('../../control-plane/package.json', import.meta.url));
const Database = requireFromCp('better-sqlite3') as new (
  file: string,
) => {
  exec(sql: string): void;
  prepare(sql: string): { run(...a: unknown[]): unknown; all(): unknown[]; iterate(): Iterable<unknown> };
  transaction<T>(fn: () => T): () => T;
  close(): void;
};

const SIZES = [1_000, 10_000];
const TICKS = 20;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function eventPayload(seq: number): Uint8Array {
  const record = { seq, at: Date.now(), kind: 'install-completed', line: 'iris', version: 1 };
  return encodeCbor({ v: 1, type: 'events', ts: Date.now(), records: [record] });
}

async function measureControlPlane(n: number) {
  const dataDir = mkdtempSync(join(tmpdir(), 'edgefleet-bench-rollout-'));
  process.env.EDGEFLEET_LOG_LEVEL ??= 'silent';
  const cp = await createControlPlane({ dataDir, rollouts: { tickMs: 3_600_000 } });
  const call = async (path: string, init: { json?: unknown; body?: FormData; token?: string | null }) => {
    const headers: Record<string, string> = {};
    if (init.token !== null) headers.authorization = `Bearer ${cp.adminToken}`;
    if (init.json !== undefined) headers['content-type'] = 'application/json';
    const body = init.json !== undefined ? JSON.stringify(init.json) : init.body;
    const res = await cp.app.request(path, { method: 'POST', headers, ...(body === undefined ? {} : { body }) });
    if (res.status >= 300) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as Record<string, unknown>;
  };
  try {
    const iris = buildIrisModels();
    const form = new FormData();
    form.append('model', new Blob([new Uint8Array(iris.fp32)]), 'model.onnx');
    form.append('metadata', JSON.stringify({ sampleInputs: iris.meta.sampleInputs.slice(0, 2) }));
    await call('/v1/models/iris/versions', { body: form });
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const { token } = await call('/v1/enrolment-tokens', { json: { group: 'bench' } });
      ids.push((await call('/v1/enrol', { token: null, json: { token, deviceId: `bench-${i}` } })).deviceId as string);
    }
    const plan = {
      line: 'iris',
      version: 1,
      selector: { group: 'bench' },
      waves: [{ percent: 100 }],
      concurrency: n,
      installTimeoutMs: 3_600_000,
      observationMs: 3_600_000,
    };
    let t = performance.now();
    const rollout = await call('/v1/rollouts', { json: plan });
    const createMs = performance.now() - t;
    const tickMs: number[] = [];
    for (let i = 0; i < TICKS; i++) {
      t = performance.now();
      await cp.rollouts.tick();
      tickMs.push(performance.now() - t);
    }
    const payloads = ids.map(() => eventPayload(1));
    t = performance.now();
    await Promise.all(
      ids.map((id, i) =>
        cp.broker.publish(deviceTopic(id, 'events'), payloads[i] as Uint8Array, { qos: 1, retain: false }),
      ),
    );
    await cp.drain();
    await cp.rollouts.tick();
    const ingestMs = performance.now() - t;
    const state = (await cp.rollouts.get(rollout.id as string)).state;
    return { createMs, tickMs: median(tickMs), ingestMs, finalState: state };
  } finally {
    await cp.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function measureBaseline(n: number) {
  const dir = mkdtempSync(join(tmpdir(), 'edgefleet-bench-raw-'));
  const db = new Database(join(dir, 'raw.db'));
  try {
    db.exec('pragma journal_mode = wal');
    db.exec('create table members (device_id text primary key, status text, assigned_at integer)');
    db.exec(
      'create table events (device_id text, seq integer, kind text, line text, version integer, unique(device_id, seq))',
    );
    const insertMember = db.prepare('insert into members values (?, ?, ?)');
    db.transaction(() => {
      for (let i = 0; i < n; i++) insertMember.run(`bench-${i}`, 'pending', Date.now());
    })();
    const scan = db.prepare('select * from members');
    const tickMs: number[] = [];
    for (let i = 0; i < TICKS; i++) {
      const t = performance.now();
      let pending = 0;
      for (const row of scan.iterate()) if ((row as { status: string }).status === 'pending') pending++;
      if (pending !== n) throw new Error('baseline scan');
      tickMs.push(performance.now() - t);
    }
    const payloads = Array.from({ length: n }, () => eventPayload(1));
    const insertEvent = db.prepare('insert or ignore into events values (?, ?, ?, ?, ?)');
    const update = db.prepare("update members set status = 'installed' where device_id = ?");
    const t = performance.now();
    payloads.forEach((p, i) => {
      const message = decodeCbor(p, eventsMessageSchema);
      const r = message.records[0];
      insertEvent.run(`bench-${i}`, r?.seq, r?.kind, r?.line, r?.version);
      update.run(`bench-${i}`);
    });
    return { tickMs: median(tickMs), ingestMs: performance.now() - t };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runRolloutBench(): Promise<object> {
  const rows: Record<string, Record<string, number | string>> = {};
  for (const n of SIZES) {
    const cp = await measureControlPlane(n);
    const raw = measureBaseline(n);
    const us = (ms: number) => Math.round((ms / n) * 1000 * 100) / 100;
    rows[String(n)] = {
      devices: n,
      finalState: cp.finalState,
      createUsPerDevice: us(cp.createMs),
      tickUsPerDevice: us(cp.tickMs),
      tickBaselineUsPerDevice: us(raw.tickMs),
      ingestUsPerDevice: us(cp.ingestMs),
      ingestBaselineUsPerDevice: us(raw.ingestMs),
    };
  }
  const small = rows['1000'] as Record<string, number>;
  const large = rows['10000'] as Record<string, number>;
  const ratio = (k: string) => Math.round(((large[k] as number) / (small[k] as number)) * 100) / 100;
  return {
    bench: 'rollout-orchestrator',
    sizes: rows,
    ratio10kTo1k: {
      create: ratio('createUsPerDevice'),
      tick: ratio('tickUsPerDevice'),
      tickBaseline: ratio('tickBaselineUsPerDevice'),
      ingest: ratio('ingestUsPerDevice'),
      ingestBaseline: ratio('ingestBaselineUsPerDevice'),
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await runRolloutBench(), null, 2));
}
