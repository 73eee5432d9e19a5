import type { Readable } from 'node:stream';
import { Aedes } from 'aedes';
import { afterEach, describe, expect, it } from 'vitest';
import { indexRetainedByTopic, type RetainedPersistence } from '../src/broker/retained-index.js';

async function collect(stream: Readable): Promise<string[]> {
  const topics: string[] = [];
  for await (const packet of stream) topics.push((packet as { topic: string }).topic);
  return topics;
}

const packet = (topic: string, payload: string) => ({
  cmd: 'publish' as const,
  topic,
  payload: Buffer.from(payload),
  qos: 1 as const,
  retain: true,
  dup: false,
  brokerId: 'b',
  brokerCounter: 1,
});

describe('retained messages indexed by exact topic (aedes memory persistence)', () => {
  let broker: Aedes | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (broker ? broker.close(() => resolve()) : resolve()));
  });

  async function indexed() {
    broker = await Aedes.createBroker();
    const persistence = (broker as unknown as { persistence: RetainedPersistence }).persistence;
    return { persistence, index: indexRetainedByTopic(persistence) };
  }

  it('answers an exact subscription with that topic’s retained message only', async () => {
    const { persistence, index } = await indexed();
    for (let i = 0; i < 50; i++) await persistence.storeRetained(packet(`ef/v1/dev-${i}/desired`, `d${i}`));
    expect(index.size()).toBe(50);
    expect(
      await collect(persistence.createRetainedStreamCombi(['ef/v1/dev-7/desired', 'ef/v1/dev-7/fetch/res'])),
    ).toEqual(['ef/v1/dev-7/desired']);
  });

  it('forgets a topic whose retained message is cleared with an empty payload (MQTT 3.1.1 §3.3.1.3)', async () => {
    const { persistence, index } = await indexed();
    await persistence.storeRetained(packet('ef/v1/dev-1/desired', 'x'));
    await persistence.storeRetained(packet('ef/v1/dev-1/desired', ''));
    expect(index.size()).toBe(0);
    expect(await collect(persistence.createRetainedStreamCombi(['ef/v1/dev-1/desired']))).toEqual([]);
  });

  it('still serves wildcard filters from the full scan', async () => {
    const { persistence } = await indexed();
    await persistence.storeRetained(packet('ef/v1/dev-1/reported', 'a'));
    await persistence.storeRetained(packet('ef/v1/dev-2/reported', 'b'));
    await persistence.storeRetained(packet('ef/v1/dev-2/desired', 'c'));
    const topics = await collect(persistence.createRetainedStreamCombi(['ef/v1/+/reported']));
    expect(topics.sort()).toEqual(['ef/v1/dev-1/reported', 'ef/v1/dev-2/reported']);
  });
});
