/**
 * Raw MQTT byte streams for the broker-bounds attacks: a packet header that announces a huge Remaining
 * Length followed by as much body as the broker will take, with or without authenticating first. The
 * attacker respects back-pressure (it waits for 'drain'), so whatever memory grows is the broker's.
 */
import { connect, type Socket } from 'node:net';

/** MQTT 3.1.1 §2.2.3 Remaining Length: seven bits per byte, least significant first. */
export function remainingLength(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return out;
}

function utf8Field(value: string): number[] {
  const bytes = Buffer.from(value, 'utf8');
  return [bytes.length >> 8, bytes.length & 0xff, ...bytes];
}

/** A CONNECT (protocol level 4, clean session, keep-alive 60 s) with username and password. */
export function connectPacket(clientId: string, username: string, password: string): Buffer {
  const body = [
    ...utf8Field('MQTT'),
    4,
    0b1100_0010, // username, password, clean session
    0,
    60,
    ...utf8Field(clientId),
    ...utf8Field(username),
    ...utf8Field(password),
  ];
  return Buffer.from([0x10, ...remainingLength(body.length), ...body]);
}

/** The fixed header of a packet of `type` (1 CONNECT, 3 PUBLISH QoS 0) announcing `bytes` of body. */
export function packetHeader(type: number, bytes: number): Buffer {
  return Buffer.from([type << 4, ...remainingLength(bytes)]);
}

export interface FloodResult {
  /** Body bytes written before the broker closed the connection (or all of them). */
  readonly sentBytes: number;
  readonly closedByBroker: boolean;
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/**
 * Opens a connection, optionally sends a CONNECT and waits for its CONNACK, then writes `header` and up to
 * `bodyBytes` of zeros in 1 MiB chunks until the broker closes the connection.
 */
export async function flood(
  port: number,
  options: { header: Buffer; bodyBytes: number; authenticate?: Buffer },
): Promise<FloodResult> {
  const socket = await open(port);
  let closed = false;
  socket.on('error', () => {
    closed = true;
  });
  socket.on('close', () => {
    closed = true;
  });
  if (options.authenticate !== undefined) {
    const connack = new Promise<Buffer>((resolve) => socket.once('data', resolve));
    socket.write(options.authenticate);
    const reply = await connack;
    if (reply[0] !== 0x20 || reply[3] !== 0) throw new Error(`CONNECT refused: ${reply.toString('hex')}`);
  }
  socket.write(options.header);
  const chunk = Buffer.alloc(1024 * 1024);
  let sent = 0;
  while (sent < options.bodyBytes && !closed) {
    const n = Math.min(chunk.length, options.bodyBytes - sent);
    sent += n;
    if (!socket.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
      await new Promise<void>((resolve) => {
        const done = () => {
          socket.off('drain', done);
          socket.off('close', done);
          resolve();
        };
        socket.once('drain', done);
        socket.once('close', done);
      });
    }
  }
  if (!closed) await new Promise((resolve) => setTimeout(resolve, 200));
  const closedByBroker = closed;
  socket.destroy();
  return { sentBytes: sent, closedByBroker };
}
