/**
 * An enrolled agent with the real iris ONNX model installed and no broker reachable (offline), on a manual
 * Clock: the state directory is laid out the way enrolment and an install leave it (credentials.json with
 * the signed root, a verified slot with the signed manifest), so `createAgent` boots straight into serving.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildReferenceProfile,
  type Clock,
  encodeCbor,
  modelSelfTest,
  type ReferenceProfile,
  signDocument,
} from '@edgefleet/protocol';
import { irisDataset } from '@edgefleet/test/models';
import { pino } from 'pino';
import { type Agent, type AgentOptions, createAgent } from '../../src/index.js';
import { createSlotStore } from '../../src/install/slot-store.js';
import { createOutbox, type OutboxEntry } from '../../src/telemetry/outbox.js';
import { makeKeys, makeManifest, makeRoot, NOW_MS } from '../helpers/signed-docs.js';
import { irisModels, rawSession } from '../runtime/fixtures.js';

/** A Clock that moves only when the test says so; due timers fire in time order. */
export function manualClock(startMs = NOW_MS): Clock & { advance(ms: number): void } {
  let nowMs = startMs;
  let timers: Array<{ atMs: number; fn: () => void }> = [];
  return {
    now: () => nowMs,
    setTimer(ms, fn) {
      const timer = { atMs: nowMs + ms, fn };
      timers.push(timer);
      return () => {
        timers = timers.filter((t) => t !== timer);
      };
    },
    advance(ms) {
      const targetMs = nowMs + ms;
      for (;;) {
        const due = timers.filter((t) => t.atMs <= targetMs).sort((a, b) => a.atMs - b.atMs)[0];
        if (due === undefined) break;
        timers = timers.filter((t) => t !== due);
        nowMs = due.atMs;
        due.fn();
      }
      nowMs = targetMs;
    },
  };
}

/** Profile of the 150 iris rows and the model's own outputs for them: what registration would compute. */
export async function irisProfile(modelPath: string): Promise<ReferenceProfile> {
  const rows = irisDataset().features;
  const session = await rawSession(modelPath);
  try {
    const out = await session.run({ data: Float32Array.from(rows.flat()), shape: [rows.length, 4] });
    const outputs = rows.map((_, r) => Array.from(out.data.subarray(r * 3, r * 3 + 3)));
    return buildReferenceProfile({ rows, outputs });
  } finally {
    await session.release();
  }
}

export interface OfflineAgent {
  readonly agent: Agent;
  readonly clock: ReturnType<typeof manualClock>;
  readonly profile: ReferenceProfile | undefined;
  /** Closes the agent and returns what it left in its outbox. */
  closeAndReadOutbox(): Promise<{ events: OutboxEntry[]; telemetry: OutboxEntry[] }>;
  cleanup(): Promise<void>;
}

export async function startOfflineAgent(
  options: { withProfile?: boolean; tuning?: Pick<AgentOptions, 'drift' | 'httpApi'> } = {},
): Promise<OfflineAgent> {
  const stateDir = await mkdtemp(join(tmpdir(), 'edgefleet-drift-'));
  const keys = makeKeys();
  const root = makeRoot(keys);
  const bundle = irisModels().fp32;
  const bundlePath = join(stateDir, 'bundle.onnx');
  await writeFile(bundlePath, bundle);
  const profile = options.withProfile === false ? undefined : await irisProfile(bundlePath);
  const { body } = makeManifest(keys, { version: 1, bundle });
  // The self-test vector must be what this model really computes.
  const session = await rawSession(bundlePath);
  const selfTest = modelSelfTest(body);
  const input = selfTest.vectors[0]?.input ?? [];
  const expected = Array.from((await session.run({ data: Float32Array.from(input), shape: [1, 4] })).data);
  await session.release();
  const manifest = {
    ...body,
    selfTest: { ...selfTest, vectors: [{ shape: [1, 4], input, expected }] },
    ...(profile === undefined ? {} : { profile }),
  };
  const slots = createSlotStore({ root: join(stateDir, 'slots') });
  const slot = await slots.writeSlot({
    line: 'iris',
    version: 1,
    digest: manifest.digest,
    bundlePath,
    manifestCbor: encodeCbor(signDocument(manifest, keys.targets)),
  });
  await slots.switchTo('iris', slot);
  const deviceId = 'dev-0000000000d1';
  const credentials = {
    deviceId,
    mqtt: { url: 'mqtt://127.0.0.1:1', username: deviceId, password: 'x' },
    root: Buffer.from(encodeCbor(root.doc)).toString('base64'),
  };
  await writeFile(join(stateDir, 'credentials.json'), JSON.stringify(credentials));

  const clock = manualClock();
  const agent = await createAgent({
    stateDir,
    rootPublicKeys: root.pinnedHex,
    clock,
    logger: pino({ level: 'silent' }),
    ...options.tuning,
  });
  let closed = false;
  return {
    agent,
    clock,
    profile,
    async closeAndReadOutbox() {
      await agent.close();
      closed = true;
      const outbox = createOutbox({
        path: join(stateDir, 'outbox.sqlite'),
        maxRows: 100_000,
        maxBytes: 64 * 1024 * 1024,
      });
      try {
        return { events: outbox.peek('events', 10_000), telemetry: outbox.peek('telemetry', 10_000) };
      } finally {
        outbox.close();
      }
    },
    async cleanup() {
      if (!closed) await agent.close();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}
