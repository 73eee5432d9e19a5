/**
 * The raw baseline of the scale benchmark: the same number of bare MQTT.js clients as virtual devices,
 * through the same in-memory duplex pairs into a bare aedes broker (no authentication hooks, no control
 * plane), each connecting, subscribing to the five topics an agent subscribes to, publishing `up` QoS 1
 * messages of `bytesUp / up` bytes, and receiving `down` messages published to it by the broker side. What
 * is left of the simulator's cost above this line is the agent, the control plane and the virtual clock.
 */
import { Aedes } from 'aedes';
import { MqttClient } from 'mqtt';
import { duplexPair } from '../src/network/duplex-pair.js';

export interface BaselineResult {
  readonly clients: number;
  readonly messagesUp: number;
  readonly messagesDown: number;
  readonly wallMs: number;
  readonly peakRssBytes: number;
}

const KINDS = ['desired', 'fetch/res', 'fl/task', 'fl/weights', 'acks'];

export async function runBaseline(options: {
  clients: number;
  upPerClient: number;
  downPerClient: number;
  bytesPerMessage: number;
}): Promise<BaselineResult> {
  const started = performance.now();
  let peakRss = process.memoryUsage.rss();
  const broker = await Aedes.createBroker();
  // Delivered on the next event-loop turn: no latency, but no unbounded recursion through aedes either.
  const immediate = (bytes: Buffer, arrive: (b: Buffer | null) => void) => setImmediate(() => arrive(bytes));
  const payload = Buffer.alloc(options.bytesPerMessage, 7);
  const clients: MqttClient[] = [];
  const BATCH = 200;
  for (let first = 0; first < options.clients; first += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, options.clients - first) }, (_, k) => first + k);
    await Promise.all(
      batch.map(async (i) => {
        const id = `dev-${i}`;
        let received = 0;
        let allReceived: () => void = () => {};
        const done = new Promise<void>((resolve) => {
          allReceived = resolve;
        });
        const client = new MqttClient(
          () => {
            const [device, server] = duplexPair(immediate, immediate);
            broker.handle(server);
            return device;
          },
          { clientId: id, protocolVersion: 4, keepalive: 0, reconnectPeriod: 0 },
        );
        clients.push(client);
        client.on('message', () => {
          received++;
          if (received === options.downPerClient) allReceived();
        });
        await new Promise<void>((resolve) => client.once('connect', () => resolve()));
        await client.subscribeAsync(
          KINDS.map((k) => `ef/v1/${id}/${k}`),
          { qos: 1 },
        );
        for (let m = 0; m < options.upPerClient; m++)
          await client.publishAsync(`ef/v1/${id}/telemetry`, payload, { qos: 1 });
        for (let m = 0; m < options.downPerClient; m++) {
          broker.publish(
            { cmd: 'publish', topic: `ef/v1/${id}/desired`, payload, qos: 1, retain: false, dup: false },
            () => {},
          );
        }
        if (options.downPerClient > 0) await done;
      }),
    );
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }
  const wallMs = performance.now() - started;
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await new Promise<void>((resolve) => broker.close(() => resolve()));
  return {
    clients: options.clients,
    messagesUp: options.clients * options.upPerClient,
    messagesDown: options.clients * options.downPerClient,
    wallMs: Math.round(wallMs),
    peakRssBytes: peakRss,
  };
}
