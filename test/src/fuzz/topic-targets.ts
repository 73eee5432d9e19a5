/**
 * Fuzz targets for the CBOR message of every MQTT topic (DESIGN.md §2), both directions: the control plane's
 * ingest handlers and the agent's handlers all enter through `decodeCbor(payload, <topic schema>)`, so that
 * call is what is fuzzed, seeded with valid messages of each topic. An accepted input must also be valid for
 * the independent strict decoder (strict-cbor.ts) and its value must pass the same schema — otherwise the
 * codec turned invalid bytes into a valid-looking message (e.g. invalid UTF-8 into U+FFFD).
 */
import {
  decodeCbor,
  desiredMessageSchema,
  eventsMessageSchema,
  fetchRequestSchema,
  fetchResponseSchema,
  flTaskMessageSchema,
  flUpdateMessageSchema,
  reportedMessageSchema,
  statusMessageSchema,
  type TopicKind,
  telemetryMessageSchema,
} from '@edgefleet/protocol';
import fc from 'fast-check';
import type { z } from 'zod';
import { FuzzFinding, type FuzzTarget, rejectsCleanly } from './fuzz-target.js';
import { mutantsOf } from './mutations.js';
import { strictDecode, toNode } from './strict-cbor.js';

const NOW = Date.UTC(2026, 10, 23);
const DIGEST = 'ab'.repeat(32);
const base = { v: 1, ts: NOW } as const;
const latency = { p50: 1.5, p95: 3, p99: 4, max: 9, mean: 2 };

/** Valid messages per topic, one per message type where a topic carries several. */
export const TOPIC_SEEDS: Record<TopicKind, { schema: z.ZodType; seeds: unknown[] }> = {
  reported: {
    schema: reportedMessageSchema,
    seeds: [
      {
        ...base,
        type: 'reported',
        agentVersion: '0.1.0',
        desiredSeq: 3,
        installed: [{ line: 'iris', version: 2, digest: DIGEST, installedAt: NOW }],
        install: { line: 'iris', version: 3, phase: 'fetching', chunksDone: 1, chunksTotal: 4 },
        lastError: { code: 'CHUNK_HASH_MISMATCH', message: 'chunk 3 — ünïcode' },
        hardware: { platform: 'linux', arch: 'arm64', cpus: 4, memoryBytes: 2e9, profile: 'pi4-2gb' },
        runtimes: ['onnx'],
        shadows: [{ line: 'iris', version: 4, digest: DIGEST }],
      },
    ],
  },
  'fetch/req': {
    schema: fetchRequestSchema,
    seeds: [{ ...base, type: 'fetch-req', digest: DIGEST, first: 0, count: 8 }],
  },
  events: {
    schema: eventsMessageSchema,
    seeds: [
      {
        ...base,
        type: 'events',
        records: [
          { seq: 1, at: NOW, kind: 'install-failed', line: 'iris', version: 2, error: { code: 'X', message: 'm' } },
          {
            seq: 2,
            at: NOW,
            kind: 'drift-alarm',
            drift: { detector: 'adwin', signal: 'confidence', estimate: 0.5, samples: 10 },
          },
        ],
      },
    ],
  },
  telemetry: {
    schema: telemetryMessageSchema,
    seeds: [
      {
        ...base,
        type: 'telemetry',
        records: [
          {
            seq: 7,
            kind: 'inference',
            line: 'iris',
            version: 2,
            windowStartMs: NOW,
            windowEndMs: NOW + 60_000,
            count: 100,
            errors: 0,
            latencyMs: latency,
          },
          {
            seq: 8,
            kind: 'shadow',
            line: 'iris',
            championVersion: 2,
            challengerVersion: 3,
            windowStartMs: NOW,
            windowEndMs: NOW + 60_000,
            rows: 10,
            agreements: 9,
            challengerErrors: 0,
            latencyMs: { champion: latency, challenger: latency },
          },
        ],
      },
    ],
  },
  'fl/update': {
    schema: flUpdateMessageSchema,
    seeds: [
      { ...base, type: 'fl-accept', roundId: 'r-1', sampleCount: 20, publicKey: new Uint8Array(32).fill(3) },
      { ...base, type: 'fl-update-part', roundId: 'r-1', index: 0, count: 2, bytes: new Uint8Array(40).fill(9) },
      {
        ...base,
        type: 'fl-update-done',
        roundId: 'r-1',
        sampleCount: 20,
        encoding: 'f32-delta',
        digest: DIGEST,
        metrics: { loss: 0.3, steps: 10, trainMs: 12.5 },
      },
    ],
  },
  status: {
    schema: statusMessageSchema,
    seeds: [
      { ...base, type: 'status', state: 'online' },
      { ...base, type: 'status', state: 'offline' },
    ],
  },
  desired: {
    schema: desiredMessageSchema,
    seeds: [
      {
        ...base,
        type: 'desired',
        doc: {
          body: new Uint8Array([0xa1, 0x61, 0x61, 0x01]),
          sigs: [{ keyId: '0123456789abcdef', sig: new Uint8Array(64) }],
        },
      },
    ],
  },
  'fetch/res': {
    schema: fetchResponseSchema,
    seeds: [
      { ...base, type: 'fetch-chunk', digest: DIGEST, index: 3, bytes: new Uint8Array(64).fill(1) },
      { ...base, type: 'fetch-error', digest: DIGEST, error: { code: 'BUNDLE_UNKNOWN', message: 'no' } },
    ],
  },
  'fl/task': {
    schema: flTaskMessageSchema,
    seeds: [
      {
        ...base,
        type: 'fl-peers',
        roundId: 'r-1',
        peers: [{ deviceId: 'dev-1', publicKey: new Uint8Array(32).fill(5) }],
      },
      { ...base, type: 'fl-cancel', roundId: 'r-1', reason: 'deadline' },
    ],
  },
};

/** The fuzz target for one topic's payload parser. */
export function topicTarget(kind: TopicKind): FuzzTarget<Uint8Array> {
  const { schema, seeds } = TOPIC_SEEDS[kind];
  for (const seed of seeds) schema.parse(seed); // a broken seed would make the fuzzer test nothing
  return {
    name: `cbor ${kind}`,
    input: fc.oneof(...seeds.map((s) => mutantsOf(toNode(s)))),
    check(bytes) {
      const outcome = rejectsCleanly(() => decodeCbor(bytes, schema));
      if (outcome.verdict === 'rejected') return 'rejected';
      const oracle = strictDecode(bytes);
      if (!oracle.ok) throw new FuzzFinding('accepted-invalid', `decoder accepted invalid CBOR (${oracle.why})`);
      if (!schema.safeParse(oracle.value).success) {
        throw new FuzzFinding('accepted-invalid', 'the strictly decoded value does not match the schema');
      }
      return 'accepted';
    },
  };
}
