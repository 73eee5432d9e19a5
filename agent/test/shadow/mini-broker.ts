/**
 * A minimal MQTT 3.1.1 broker for one agent on a real TCP socket (127.0.0.1, ephemeral port): CONNECT →
 * CONNACK, SUBSCRIBE → SUBACK plus the retained message of the topic, UNSUBSCRIBE → UNSUBACK, QoS 1
 * PUBLISH → PUBACK, PINGREQ → PINGRESP. Test infrastructure, not product: the agent's real MQTT session talks to it unchanged, and the
 * test plays the control plane through `onPublish` / `publish` (aedes lives in the control-plane package,
 * which agent tests do not depend on). Packet layouts: MQTT 3.1.1 §2.2 (fixed header), §3.3 (PUBLISH),
 * §3.8 (SUBSCRIBE), §3.9 (SUBACK), §3.10-3.11 (UNSUBSCRIBE, UNSUBACK).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { remainingLength } from '@edgefleet/test-kit';

export interface MiniBroker {
  readonly url: string;
  /** Publishes to the connected client (QoS 0); a retained message is also kept for later subscribers. */
  publish(topic: string, payload: Uint8Array, options?: { retain?: boolean }): void;
  close(): Promise<void>;
}

function packet(first: number, body: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([first, ...remainingLength(body.length)]), body]);
}

function publishPacket(topic: string, payload: Uint8Array, retain: boolean): Buffer {
  const name = Buffer.from(topic, 'utf8');
  const header = Buffer.from([name.length >> 8, name.length & 0xff]);
  return packet(0x30 | (retain ? 1 : 0), Buffer.concat([header, name, payload]));
}

export async function startMiniBroker(options: {
  onPublish: (topic: string, payload: Uint8Array) => void;
}): Promise<MiniBroker> {
  const retained = new Map<string, Uint8Array>();
  const sockets = new Set<Socket>();
  const subscriptions = new Map<Socket, Set<string>>();

  function handle(socket: Socket, type: number, flags: number, body: Buffer): void {
    if (type === 1) socket.write(Buffer.from([0x20, 0x02, 0x00, 0x00]));
    else if (type === 8) {
      let offset = 2;
      const topics: string[] = [];
      while (offset < body.length) {
        const length = body.readUInt16BE(offset);
        topics.push(body.subarray(offset + 2, offset + 2 + length).toString('utf8'));
        offset += 3 + length;
      }
      socket.write(packet(0x90, Buffer.from([body[0] ?? 0, body[1] ?? 0, ...topics.map(() => 1)])));
      for (const topic of topics) {
        subscriptions.get(socket)?.add(topic);
        const message = retained.get(topic);
        if (message !== undefined) socket.write(publishPacket(topic, message, true));
      }
    } else if (type === 3) {
      const qos = (flags >> 1) & 3;
      const length = body.readUInt16BE(0);
      const topic = body.subarray(2, 2 + length).toString('utf8');
      let offset = 2 + length;
      if (qos > 0) {
        socket.write(Buffer.from([0x40, 0x02, body[offset] ?? 0, body[offset + 1] ?? 0]));
        offset += 2;
      }
      options.onPublish(topic, new Uint8Array(body.subarray(offset)));
    } else if (type === 10) {
      for (let offset = 2; offset < body.length; ) {
        const length = body.readUInt16BE(offset);
        subscriptions.get(socket)?.delete(body.subarray(offset + 2, offset + 2 + length).toString('utf8'));
        offset += 2 + length;
      }
      socket.write(Buffer.from([0xb0, 0x02, body[0] ?? 0, body[1] ?? 0]));
    } else if (type === 12) socket.write(Buffer.from([0xd0, 0x00]));
    else if (type === 14) socket.end();
  }

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    subscriptions.set(socket, new Set());
    let buffer = Buffer.alloc(0);
    socket.on('data', (data: Buffer) => {
      buffer = Buffer.concat([buffer, data]);
      for (;;) {
        let length = 0;
        let multiplier = 1;
        let index = 1;
        let complete = false;
        while (index < buffer.length && index <= 4) {
          const byte = buffer[index] as number;
          length += (byte & 0x7f) * multiplier;
          multiplier *= 128;
          index++;
          if ((byte & 0x80) === 0) {
            complete = true;
            break;
          }
        }
        if (!complete || buffer.length < index + length) return;
        const first = buffer[0] as number;
        const body = buffer.subarray(index, index + length);
        buffer = buffer.subarray(index + length);
        handle(socket, first >> 4, first & 0x0f, Buffer.from(body));
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      sockets.delete(socket);
      subscriptions.delete(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };

  return {
    url: `mqtt://127.0.0.1:${port}`,
    publish(topic, payload, publishOptions = {}) {
      if (publishOptions.retain === true) retained.set(topic, payload);
      for (const [socket, topics] of subscriptions) {
        if (topics.has(topic)) socket.write(publishPacket(topic, payload, false));
      }
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
