/**
 * An enrolled agent (real MQTT session, real onnxruntime, real slots and SQLite outbox) facing a scripted
 * control plane on a mini broker: the test signs manifests of real iris ONNX models (self-test vectors
 * computed by onnxruntime, as registration does), publishes desired documents, and reads back what the
 * device sends — fetch requests (counted per digest), reported states, events and telemetry — decoded with
 * the protocol's schemas. Runs on a manual Clock at NOW_MS so the signed documents are valid.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  chunkRange,
  decodeCbor,
  deviceTopic,
  type EventRecord,
  encodeCbor,
  eventsMessageSchema,
  fetchRequestSchema,
  type ManifestBody,
  type OutputComparison,
  parseTopic,
  type ReportedMessage,
  reportedMessageSchema,
  type SignedDocument,
  type TelemetryRecord,
  telemetryMessageSchema,
} from '@edgefleet/protocol';
import * as ort from 'onnxruntime-node';
import { pino } from 'pino';
import { type Agent, type AgentOptions, createAgent } from '../../src/index.js';
import { irisSamples, onnxBundle } from '../helpers/bundles.js';
import { type ManualClock, manualClock } from '../helpers/manual-clock.js';
import { makeDesiredMessage, makeKeys, makeManifest, makeRoot } from '../helpers/signed-docs.js';
import { startMiniBroker } from './mini-broker.js';

export const DEVICE_ID = 'dev-00000000005a';
/** The keys of the harness's root v1 (manifests from `model` and documents from `desired` are signed by them). */
export const HARNESS_KEYS = makeKeys(5);
const keys = HARNESS_KEYS;
const root = makeRoot(keys);

/** Runs `bundle` (ONNX bytes) on `rows` in a plain onnxruntime session: the baseline. */
export async function rawRun(bundle: Uint8Array, rows: readonly (readonly number[])[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bundle);
  try {
    const input = new ort.Tensor('float32', Float32Array.from(rows.flat()), [rows.length, 4]);
    return (await session.run({ features: input })).probabilities?.data as Float32Array;
  } finally {
    await session.release();
  }
}

export interface SignedModel {
  readonly body: ManifestBody;
  readonly doc: SignedDocument;
}

export type Tuning = Pick<AgentOptions, 'hardwareProfile' | 'runtime' | 'shadow' | 'mqttUrl' | 'httpApi'>;

export interface Harness {
  agent: Agent;
  readonly clock: ManualClock;
  readonly stateDir: string;
  /**
   * Packs `model` (ONNX bytes) with a one-row self-test set computed by onnxruntime, as registration does,
   * and signs its manifest; the harness then serves the bundle's chunks.
   */
  model(version: number, model: Uint8Array): Promise<SignedModel>;
  /**
   * Publishes a desired document for `deviceId` (default: the harness device; a child id for gateway tests)
   * on the topic of `topicOf` (default: the same device; another one to play a misrouting attacker).
   */
  desired(
    seq: number,
    assignments: Array<{ manifest: SignedModel; shadow?: SignedModel; compare?: OutputComparison }>,
    deviceId?: string,
    topicOf?: string,
  ): void;
  /** Publishes a desired message the test signed itself, retained, on the topic of `deviceId`. */
  publishDesired(message: Uint8Array, deviceId?: string): void;
  /** Every message the agent published, in order (children's included). */
  readonly published: Array<{ topic: string; payload: Uint8Array }>;
  /** Fetch requests received per bundle digest. */
  readonly fetchRequests: Map<string, number>;
  readonly reported: ReportedMessage[];
  readonly events: EventRecord[];
  readonly telemetry: TelemetryRecord[];
  restart(tuning?: Tuning): Promise<Agent>;
  cleanup(): Promise<void>;
}

export async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export async function startHarness(tuning: Tuning = {}): Promise<Harness> {
  const stateDir = await mkdtemp(join(tmpdir(), 'edgefleet-shadow-'));
  const bundles = new Map<string, { bundle: Uint8Array; body: ManifestBody }>();
  const fetchRequests = new Map<string, number>();
  const reported: ReportedMessage[] = [];
  const events: EventRecord[] = [];
  const telemetry: TelemetryRecord[] = [];
  const published: Array<{ topic: string; payload: Uint8Array }> = [];
  const topic = (kind: Parameters<typeof deviceTopic>[1]) => deviceTopic(DEVICE_ID, kind);

  const broker = await startMiniBroker({
    onPublish(name, payload) {
      published.push({ topic: name, payload });
      const parsed = parseTopic(name);
      if (parsed?.kind === 'fetch/req') {
        const request = decodeCbor(payload, fetchRequestSchema);
        fetchRequests.set(request.digest, (fetchRequests.get(request.digest) ?? 0) + 1);
        const known = bundles.get(request.digest);
        if (known === undefined) return;
        const { bundle, body } = known;
        for (let index = request.first; index < Math.min(request.first + request.count, body.chunks.length); index++) {
          const { start, end } = chunkRange(index, body.chunkBytes, body.sizeBytes);
          const chunk = {
            v: 1,
            type: 'fetch-chunk',
            ts: 0,
            digest: request.digest,
            index,
            bytes: bundle.slice(start, end),
          };
          broker.publish(deviceTopic(parsed.deviceId, 'fetch/res'), encodeCbor(chunk));
        }
      } else if (name === topic('reported')) reported.push(decodeCbor(payload, reportedMessageSchema));
      else if (name === topic('events')) events.push(...decodeCbor(payload, eventsMessageSchema).records);
      else if (name === topic('telemetry')) telemetry.push(...decodeCbor(payload, telemetryMessageSchema).records);
    },
  });
  const credentials = {
    deviceId: DEVICE_ID,
    mqtt: { url: broker.url, username: DEVICE_ID, password: 'x' },
    root: Buffer.from(encodeCbor(root.doc)).toString('base64'),
  };
  await writeFile(join(stateDir, 'credentials.json'), JSON.stringify(credentials));
  const clock = manualClock();
  const start = (options: Tuning) =>
    createAgent({ stateDir, rootPublicKeys: root.pinnedHex, clock, logger: pino({ level: 'silent' }), ...options });

  const harness: Harness = {
    agent: await start(tuning),
    clock,
    stateDir,
    async model(version, model) {
      // One single-row vector: runtimes.ts perturbs batches only, unless perturbing is the point.
      const bundle = await onnxBundle(model, irisSamples([[6.1, 2.8, 4.7, 1.2]]));
      const signed = makeManifest(keys, { version, bundle, chunkBytes: 4096 });
      bundles.set(signed.body.digest, { bundle: bundle.bytes, body: signed.body });
      return signed;
    },
    desired(seq, assignments, deviceId = DEVICE_ID, topicOf = deviceId) {
      const message = makeDesiredMessage(keys, {
        deviceId,
        seq,
        assignments: assignments.map(({ manifest, shadow, compare }) => ({
          line: 'iris',
          manifest: manifest.doc,
          ...(shadow === undefined ? {} : { shadow: shadow.doc }),
          ...(compare === undefined ? {} : { compare }),
        })),
      });
      broker.publish(deviceTopic(topicOf, 'desired'), message, { retain: true });
    },
    publishDesired(message, deviceId = DEVICE_ID) {
      broker.publish(deviceTopic(deviceId, 'desired'), message, { retain: true });
    },
    published,
    fetchRequests,
    reported,
    events,
    telemetry,
    async restart(options = tuning) {
      await harness.agent.close();
      harness.agent = await start(options);
      return harness.agent;
    },
    async cleanup() {
      await harness.agent.close();
      await broker.close();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
  return harness;
}
