/**
 * The byte pipe under the frame codec (DESIGN.md §6): one interface for a real serial device, the mock
 * serial ports the tests and benchmarks use, and the emulator's end of either. `createSerialportTransport`
 * wraps any opened `serialport` stream — a device path through the OS binding, or `@serialport/binding-mock`
 * through the null modem (null-modem.ts) — so the same code reads and writes both.
 */
import type { SerialPortStream } from '@serialport/stream';

export interface SerialTransport {
  readonly path: string;
  readonly baudRate: number;
  /** Resolves once the port has taken the bytes into its transmit buffer (they reach the peer later). */
  write(bytes: Uint8Array): Promise<void>;
  /** Listens to received bytes; returns the function that stops listening. */
  onData(listener: (chunk: Uint8Array) => void): () => void;
  close(): Promise<void>;
}

/** Opens `path` with the OS serial binding (a USB-UART, /dev/ttyACM0, a pty). */
export async function openSerialPort(options: { path: string; baudRate: number }): Promise<SerialTransport> {
  const { SerialPort } = await import('serialport');
  const port = new SerialPort({ path: options.path, baudRate: options.baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
  return createSerialportTransport(port, options.baudRate);
}

/** A SerialTransport over an opened serialport stream. */
export function createSerialportTransport(port: SerialPortStream, baudRate: number): SerialTransport {
  // A failed write also reaches its callback, which rejects the caller's promise (logged there); without a
  // listener the stream's 'error' event would crash the process, e.g. for a write cancelled by close().
  port.on('error', () => undefined);
  return {
    path: port.path,
    baudRate,
    // The write callback fires when the binding has taken these bytes (not `drain`, which waits for every
    // queued write and would stall a sender that keeps two frames in flight).
    write: (bytes) =>
      new Promise<void>((resolve, reject) => {
        port.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), (error) =>
          error ? reject(error) : resolve(),
        );
      }),
    onData(listener) {
      const handler = (chunk: Buffer) => listener(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      port.on('data', handler);
      return () => port.off('data', handler);
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (!port.isOpen) return resolve();
        port.close(() => resolve());
      }),
  };
}
