/**
 * SimLink: one virtual device's network link to the control plane's embedded broker, as an agent
 * `Transport`. Each connection attempt is an in-memory duplex pair whose far end the broker serves
 * (`broker.handle`); bytes cross it on the virtual clock with latency + jitter + serialisation delay
 * (bandwidth), lost segments cost a retransmission timeout (TCP hides loss as delay), and chunk messages may
 * arrive with a flipped byte. While the link is down (a scheduled outage or a flap) open connections are
 * cut and new attempts fail at once, so the agent's own backoff and resume paths do the work.
 */
import type { Duplex } from 'node:stream';
import type { Clock } from '@edgefleet/protocol';
import { duplexPair } from './duplex-pair.js';
import { createPacketSplitter } from './mqtt-framing.js';

export interface LinkProfile {
  readonly latencyMs: number;
  readonly jitterMs: number;
  /** 0 = unlimited. */
  readonly bandwidthKbps: number;
  /** Probability that one write is lost once and retransmitted after `retransmitMs`. */
  readonly loss: number;
  readonly retransmitMs: number;
  /** Probability that a bundle chunk message (topic …/fetch/res) arrives with one byte flipped. */
  readonly corruptChunks: number;
}

export interface SimLinkStats {
  connects: number;
  refused: number;
  cuts: number;
  bytesUp: number;
  bytesDown: number;
  /** MQTT packets delivered per direction. */
  messagesUp: number;
  messagesDown: number;
  corrupted: number;
}

export interface SimLink {
  connect(): Duplex;
  setUp(up: boolean): void;
  readonly up: boolean;
  readonly stats: SimLinkStats;
}

const FETCH_RES = Buffer.from('/fetch/res');

export function createSimLink(options: {
  clock: Clock;
  profile: LinkProfile;
  random: () => number;
  serve: (stream: Duplex) => void;
  /** Called when a bundle chunk message arrives at the device (crash-mid-install faults hook here). */
  onChunk?: () => void;
}): SimLink {
  const { clock, profile, random } = options;
  const stats: SimLinkStats = {
    connects: 0,
    refused: 0,
    cuts: 0,
    bytesUp: 0,
    bytesDown: 0,
    messagesUp: 0,
    messagesDown: 0,
    corrupted: 0,
  };
  const open = new Set<Duplex>();
  let up = true;

  /** One direction: packet by packet; arrivals keep their order (a later one never overtakes). */
  function direction(down: boolean) {
    let lastArrival = 0;
    const split = createPacketSplitter();
    return (bytes: Buffer, arrive: (bytes: Buffer | null) => void) => {
      if (bytes.length === 0) {
        // End of stream or a reset: after everything already on the way.
        const at = Math.max(clock.now() + profile.latencyMs, lastArrival);
        clock.setTimer(at - clock.now(), () => arrive(bytes));
        return;
      }
      for (const packet of split(bytes)) {
        if (down) {
          stats.bytesDown += packet.length;
          stats.messagesDown++;
        } else {
          stats.bytesUp += packet.length;
          stats.messagesUp++;
        }
        let delay = profile.latencyMs + profile.jitterMs * random();
        if (profile.bandwidthKbps > 0) delay += (packet.length * 8) / profile.bandwidthKbps;
        if (profile.loss > 0 && random() < profile.loss) delay += profile.retransmitMs;
        let payload = packet;
        const chunk = down && packet.length > 64 && packet.subarray(0, 96).includes(FETCH_RES);
        if (chunk && profile.corruptChunks > 0 && random() < profile.corruptChunks) {
          payload = Buffer.from(packet);
          const at = payload.length - 1;
          payload[at] = (payload[at] as number) ^ 0xff;
          stats.corrupted++;
        }
        const at = Math.max(clock.now() + Math.round(delay), lastArrival);
        lastArrival = at;
        clock.setTimer(at - clock.now(), () => {
          arrive(payload);
          if (chunk) options.onChunk?.();
        });
      }
    };
  }

  return {
    stats,
    get up() {
      return up;
    },
    connect() {
      const [device, broker] = duplexPair(direction(false), direction(true));
      if (!up) {
        stats.refused++;
        // Refused like a SYN into a dead link: the error surfaces asynchronously, as from a socket.
        queueMicrotask(() => device.destroy(Object.assign(new Error('link down'), { code: 'ECONNREFUSED' })));
        return device;
      }
      stats.connects++;
      open.add(device);
      device.once('close', () => open.delete(device));
      options.serve(broker);
      return device;
    },
    setUp(next) {
      if (next === up) return;
      up = next;
      if (up) return;
      for (const stream of open) {
        stats.cuts++;
        stream.destroy();
      }
      open.clear();
    },
  };
}
