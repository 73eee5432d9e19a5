/**
 * Two connected in-memory stream ends whose bytes travel through a `deliver` hook (the virtual network
 * decides when, whether and how damaged each write arrives). Destroying one end closes the other after
 * the hook's delay, like a TCP FIN/RST crossing the link.
 */
import { Duplex } from 'node:stream';

export type Deliver = (bytes: Buffer, arrive: (bytes: Buffer | null) => void) => void;

class LinkEnd extends Duplex {
  peer: LinkEnd | null = null;
  constructor(private readonly deliver: Deliver) {
    super();
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const peer = this.peer;
    if (peer !== null) this.deliver(chunk, (bytes) => peer.arrive(bytes));
    callback();
  }
  /** MQTT.js and aedes cork a packet's parts (header, topic, payload): one corked packet = one delivery. */
  override _writev(
    chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>,
    callback: (error?: Error | null) => void,
  ): void {
    this._write(Buffer.concat(chunks.map((c) => c.chunk)), 'binary', callback);
  }
  override _final(callback: (error?: Error | null) => void): void {
    const peer = this.peer;
    if (peer !== null) this.deliver(Buffer.alloc(0), () => peer.arrive(null));
    callback();
  }
  override _read(): void {}
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const peer = this.peer;
    this.peer = null;
    if (peer !== null && !peer.destroyed) this.deliver(Buffer.alloc(0), () => peer.destroy());
    callback(error);
  }
  arrive(bytes: Buffer | null): void {
    if (this.destroyed) return;
    if (bytes === null) this.push(null);
    else if (bytes.length > 0) this.push(bytes);
  }
}

/** [a, b]: what a writes arrives at b through `aToB`, and the reverse through `bToA`. */
export function duplexPair(aToB: Deliver, bToA: Deliver): [Duplex, Duplex] {
  const a = new LinkEnd(aToB);
  const b = new LinkEnd(bToA);
  a.peer = b;
  b.peer = a;
  return [a, b];
}
