/**
 * The byte pipe under the MQTT session. Production uses TCP; the simulator and tests pass a Transport that
 * returns in-memory duplex streams (with injected latency, loss or partitions), so the real session code
 * runs unchanged over a fake network.
 */
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';

export interface Transport {
  /** Opens a fresh connection to the broker; called once per connection attempt. */
  connect(): Duplex;
}

/** TCP transport for `mqtt://host:port` (default port 1883, MQTT 3.1.1 §4.2). */
export function tcpTransport(url: string): Transport {
  const parsed = new URL(url);
  if (parsed.protocol !== 'mqtt:' && parsed.protocol !== 'tcp:') {
    throw new RangeError(`unsupported broker URL ${url} (expected mqtt://host:port)`);
  }
  const host = parsed.hostname;
  const port = parsed.port === '' ? 1883 : Number(parsed.port);
  // noDelay: MQTT is request/response (fetch window → chunks → PUBACK); Nagle's algorithm combined with the
  // peer's delayed ACK adds ~40 ms per exchange, measured here as ~100 ms per chunk round trip on loopback.
  return { connect: () => connect({ host, port, noDelay: true }) };
}
