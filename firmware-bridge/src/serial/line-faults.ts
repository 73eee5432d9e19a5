/**
 * Line faults for the emulator and the tests (DESIGN.md §6): each byte crossing a SerialTransport, in either
 * direction, is dropped with probability `dropRate` or has one random bit flipped with probability
 * `bitFlipRate` — the noise of a long unshielded UART run. `random` is injectable so a test replays one exact
 * sequence of faults. Counts of what was done are kept, so a test can assert the link really saw faults.
 */
import type { SerialTransport } from './serial-transport.js';

export interface LineFaultOptions {
  readonly bitFlipRate?: number;
  readonly dropRate?: number;
  readonly random?: () => number;
}

export interface LineFaultCounts {
  flipped: number;
  dropped: number;
}

export interface FaultyTransport extends SerialTransport {
  readonly faults: LineFaultCounts;
}

export function withLineFaults(transport: SerialTransport, options: LineFaultOptions): FaultyTransport {
  const random = options.random ?? Math.random;
  const bitFlipRate = options.bitFlipRate ?? 0;
  const dropRate = options.dropRate ?? 0;
  const faults: LineFaultCounts = { flipped: 0, dropped: 0 };

  function corrupt(bytes: Uint8Array): Uint8Array {
    if (bitFlipRate === 0 && dropRate === 0) return bytes;
    const out: number[] = [];
    for (const byte of bytes) {
      if (random() < dropRate) {
        faults.dropped++;
        continue;
      }
      if (random() < bitFlipRate) {
        faults.flipped++;
        out.push(byte ^ (1 << Math.floor(random() * 8)));
      } else out.push(byte);
    }
    return Uint8Array.from(out);
  }

  return {
    path: transport.path,
    baudRate: transport.baudRate,
    faults,
    write: (bytes) => transport.write(corrupt(bytes)),
    onData: (listener) => transport.onData((chunk) => listener(corrupt(chunk))),
    close: () => transport.close(),
  };
}
