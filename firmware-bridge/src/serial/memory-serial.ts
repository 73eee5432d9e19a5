/**
 * The in-memory twin of a serial line: two SerialTransports whose writes arrive on the other end in the same
 * order on the next microtask, instantly (the baud rate is only declared, for the link's timing estimates).
 * Unit tests run the link and the emulator on it under fake timers; the null modem (null-modem.ts) is the
 * paced, serialport-backed line. Both pass the same contract suite.
 */
import type { SerialTransport } from './serial-transport.js';

export function openMemorySerialPair(options: { baudRate: number }): [SerialTransport, SerialTransport] {
  const listeners: [Set<(chunk: Uint8Array) => void>, Set<(chunk: Uint8Array) => void>] = [new Set(), new Set()];
  const open = [true, true];
  const end = (self: 0 | 1): SerialTransport => {
    const peer = self === 0 ? 1 : 0;
    return {
      path: `memory-${self === 0 ? 'a' : 'b'}`,
      baudRate: options.baudRate,
      async write(bytes) {
        if (!open[self]) throw new Error('port is closed');
        const copy = bytes.slice();
        queueMicrotask(() => {
          if (open[peer]) for (const listener of listeners[peer]) listener(copy);
        });
      },
      onData(listener) {
        listeners[self].add(listener);
        return () => listeners[self].delete(listener);
      },
      async close() {
        open[self] = false;
        listeners[self].clear();
      },
    };
  };
  return [end(0), end(1)];
}
