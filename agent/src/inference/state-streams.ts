/**
 * Recurrent state per caller-chosen stream (DESIGN.md §4 Inference): for a model whose manifest declares
 * state pairs, each stream keeps the state outputs of its last call and feeds them back as inputs on its
 * next one. Streams are bounded in number (a new stream beyond the bound evicts the least recently used
 * idle one, or is refused with STREAM_LIMIT when every stream is busy) and expire after a TTL without use.
 * Calls on one stream run one after another, so a stream's state is never read before the previous call
 * wrote it; two streams never see each other's state. A model swap clears its line's streams.
 */
import type { Clock, Tensor } from '@edgefleet/protocol';
import { AgentError } from '../errors.js';

export const STREAM_DEFAULTS = Object.freeze({ maxStreams: 1024, ttlMs: 10 * 60 * 1000 });

interface Stream {
  state: Record<string, Tensor> | undefined;
  lastUsedMs: number;
  /** The tail of this stream's call chain. */
  tail: Promise<void>;
  busy: number;
}

export interface StateStreams {
  /**
   * Runs `call` with the stream's current state (undefined for a new stream) once the stream's previous call
   * has finished; the state `call` returns becomes the stream's.
   */
  run<T>(
    line: string,
    stream: string,
    call: (state: Record<string, Tensor> | undefined) => Promise<{ result: T; state: Record<string, Tensor> }>,
  ): Promise<T>;
  /** Forgets a stream's state; true when it existed. */
  reset(line: string, stream: string): boolean;
  /** Forgets every stream of a line (a hot swap, promotion or rollback). */
  clearLine(line: string): void;
  count(): number;
}

export interface StateStreamsOptions {
  readonly clock: Clock;
  readonly maxStreams?: number;
  readonly ttlMs?: number;
}

export function createStateStreams(options: StateStreamsOptions): StateStreams {
  const maxStreams = options.maxStreams ?? STREAM_DEFAULTS.maxStreams;
  const ttlMs = options.ttlMs ?? STREAM_DEFAULTS.ttlMs;
  // Map order is insertion order; a used stream is re-inserted, so the first entries are least recently used.
  const streams = new Map<string, Stream>();
  const keyOf = (line: string, stream: string) => `${line}\u0000${stream}`;

  function expire(now: number): void {
    for (const [key, s] of streams) {
      if (now - s.lastUsedMs <= ttlMs) break;
      if (s.busy === 0) streams.delete(key);
    }
  }

  function admit(key: string, now: number): Stream {
    let s = streams.get(key);
    if (s !== undefined) {
      streams.delete(key);
      streams.set(key, s);
      return s;
    }
    if (streams.size >= maxStreams) {
      const idle = [...streams].find(([, candidate]) => candidate.busy === 0);
      if (idle === undefined) {
        throw new AgentError('STREAM_LIMIT', `${maxStreams} streams are open and busy`, { details: { maxStreams } });
      }
      streams.delete(idle[0]);
    }
    s = { state: undefined, lastUsedMs: now, tail: Promise.resolve(), busy: 0 };
    streams.set(key, s);
    return s;
  }

  return {
    run(line, stream, call) {
      const now = options.clock.now();
      expire(now);
      const key = keyOf(line, stream);
      let s: Stream;
      try {
        s = admit(key, now);
      } catch (error) {
        return Promise.reject(error);
      }
      s.lastUsedMs = now;
      s.busy += 1;
      const done = s.tail.then(async () => {
        const { result, state } = await call(s.state);
        // A reset or swap while the call ran dropped this stream: its state must not come back.
        if (streams.get(key) === s) s.state = state;
        return result;
      });
      s.tail = done.then(
        () => undefined,
        () => undefined,
      );
      return done.finally(() => {
        s.busy -= 1;
        s.lastUsedMs = options.clock.now();
      });
    },
    reset(line, stream) {
      return streams.delete(keyOf(line, stream));
    },
    clearLine(line) {
      const prefix = `${line}\u0000`;
      for (const key of streams.keys()) if (key.startsWith(prefix)) streams.delete(key);
    },
    count: () => streams.size,
  };
}
