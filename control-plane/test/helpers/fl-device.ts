/**
 * A scripted federated client speaking the wire protocol directly (no agent): it answers `fl-task` offers
 * as told — accept and send a chosen delta, decline, or stay silent after accepting (a dropout) — fetching
 * the global weights over `fetch/req` like a device. With secure aggregation it masks its update with the
 * protocol's pairwise masks and reveals seeds when asked. Tests use it to drive the coordinator exactly,
 * including updates no honest agent would send.
 */
import {
  decodeCbor,
  deviceTopic,
  encodeCbor,
  FL_LIMITS,
  type FlTask,
  fetchResponseSchema,
  float32FromBytes,
  float32ToBytes,
  flTaskMessageSchema,
  maskedUpdate,
  pairwiseSeedsFor,
  secAggKeyPair,
  sha256Hex,
  uint32ToBytes,
} from '@edgefleet/protocol';
import type { MqttClient } from './mqtt.js';

export interface FlBehaviour {
  /** 'dropout' accepts and then never sends its update. */
  readonly mode: 'accept' | 'decline' | 'dropout';
  readonly sampleCount?: number;
  /** The update's float values from the global weights (default: +1 on every weight). */
  delta?(global: Float32Array): Float32Array;
}

export interface ScriptedFlDevice {
  readonly tasks: FlTask[];
  readonly globals: Float32Array[];
  /** Publishes an arbitrary fl/update message as this device. */
  send(message: Record<string, unknown>): Promise<void>;
  /** Updates this device completed (the broker acknowledged the done message). */
  readonly submitted: number;
  /** Sends a complete update for a round (parts + done), whatever the device's script says. */
  sendUpdate(roundId: string, bytes: Uint8Array, sampleCount: number, encoding?: string): Promise<void>;
}

export async function scriptedFlDevice(
  client: MqttClient,
  deviceId: string,
  behaviour: FlBehaviour,
): Promise<ScriptedFlDevice> {
  const tasks: FlTask[] = [];
  const globals: Float32Array[] = [];
  const chunks = new Map<string, Map<number, Uint8Array>>();
  const waiting = new Map<string, () => void>();
  const keys = secAggKeyPair();
  const peersOf = new Map<string, { deviceId: string; publicKey: Uint8Array }[]>();
  const peerWaiters = new Map<string, () => void>();
  const sampleCount = behaviour.sampleCount ?? 10;
  let submitted = 0;
  const send = async (message: Record<string, unknown>) => {
    await client.publishAsync(
      deviceTopic(deviceId, 'fl/update'),
      Buffer.from(encodeCbor({ v: 1, ts: Date.now(), ...message })),
      { qos: 1 },
    );
  };
  const sendUpdate = async (roundId: string, bytes: Uint8Array, count: number, encoding = 'f32-delta') => {
    const parts = Math.max(1, Math.ceil(bytes.length / FL_LIMITS.maxPartBytes));
    for (let index = 0; index < parts; index++) {
      const part = bytes.subarray(index * FL_LIMITS.maxPartBytes, (index + 1) * FL_LIMITS.maxPartBytes);
      await send({ type: 'fl-update-part', roundId, index, count: parts, bytes: part });
    }
    await send({
      type: 'fl-update-done',
      roundId,
      sampleCount: count,
      encoding,
      digest: sha256Hex(bytes),
      metrics: { loss: 0, steps: 1, trainMs: 1 },
    });
    submitted++;
  };

  async function fetchWeights(task: FlTask): Promise<Float32Array> {
    const { digest } = task.weights;
    chunks.set(digest, new Map());
    const done = new Promise<void>((resolve) => waiting.set(digest, resolve));
    for (let first = 0; first < task.weights.chunks.length; first += 64) {
      const count = Math.min(64, task.weights.chunks.length - first);
      const request = { v: 1, type: 'fetch-req', ts: Date.now(), digest, first, count };
      await client.publishAsync(deviceTopic(deviceId, 'fetch/req'), Buffer.from(encodeCbor(request)), { qos: 1 });
    }
    await done;
    const parts = chunks.get(digest) as Map<number, Uint8Array>;
    const whole = Buffer.concat(task.weights.chunks.map((_, i) => parts.get(i) as Uint8Array));
    return float32FromBytes(new Uint8Array(whole));
  }

  async function onTask(task: FlTask): Promise<void> {
    tasks.push(task);
    if (behaviour.mode === 'decline')
      return send({ type: 'fl-decline', roundId: task.roundId, reason: 'not-enough-samples' });
    const secure = task.secureAggregation !== null;
    await send({ type: 'fl-accept', roundId: task.roundId, sampleCount, publicKey: secure ? keys.publicKey : null });
    if (behaviour.mode === 'dropout') return;
    const global = await fetchWeights(task);
    globals.push(global);
    const delta = behaviour.delta?.(global) ?? new Float32Array(global.length).fill(1);
    if (task.secureAggregation === null) return sendUpdate(task.roundId, float32ToBytes(delta), sampleCount);
    if (!peersOf.has(task.roundId)) await new Promise<void>((resolve) => peerWaiters.set(task.roundId, resolve));
    const peers = (peersOf.get(task.roundId) ?? []).filter((p) => p.deviceId !== deviceId);
    const masked = maskedUpdate({
      roundId: task.roundId,
      selfId: deviceId,
      secretKey: keys.secretKey,
      peers,
      delta,
      sampleCount,
      scaleBits: task.secureAggregation.scaleBits,
      clipAbs: task.secureAggregation.clipAbs,
    });
    await sendUpdate(task.roundId, uint32ToBytes(masked), sampleCount, 'u32-masked');
  }

  client.on('message', (topic, payload) => {
    const bytes = new Uint8Array(payload);
    if (topic === deviceTopic(deviceId, 'fetch/res')) {
      const response = decodeCbor(bytes, fetchResponseSchema);
      if (response.type !== 'fetch-chunk') return;
      const parts = chunks.get(response.digest);
      parts?.set(response.index, response.bytes);
      const task = tasks.find((t) => t.weights.digest === response.digest);
      if (parts !== undefined && task !== undefined && parts.size === task.weights.chunks.length)
        waiting.get(response.digest)?.();
      return;
    }
    if (topic !== deviceTopic(deviceId, 'fl/task')) return;
    const message = decodeCbor(bytes, flTaskMessageSchema);
    if (message.type === 'fl-task') void onTask(message.task);
    else if (message.type === 'fl-peers') {
      peersOf.set(message.roundId, message.peers);
      peerWaiters.get(message.roundId)?.();
    } else if (message.type === 'fl-reveal-req') {
      const peers = (peersOf.get(message.roundId) ?? []).filter((p) => message.dropped.includes(p.deviceId));
      const seeds = pairwiseSeedsFor({
        roundId: message.roundId,
        selfId: deviceId,
        secretKey: keys.secretKey,
        dropped: peers,
      });
      void send({
        type: 'fl-reveal',
        roundId: message.roundId,
        seeds: seeds.map((s) => ({ peer: s.a === deviceId ? s.b : s.a, seed: s.seed })),
      });
    }
  });
  await client.subscribeAsync([deviceTopic(deviceId, 'fl/task'), deviceTopic(deviceId, 'fetch/res')], { qos: 1 });
  return {
    tasks,
    globals,
    send,
    sendUpdate,
    get submitted() {
      return submitted;
    },
  };
}
