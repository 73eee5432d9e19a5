/**
 * Two mock serial ports wired to each other like a null-modem cable, at a real baud rate. Built on
 * `@serialport/binding-mock`, which has no notion of time (a write lands at once, and only on its own port):
 * this binding wraps it so a write on one end occupies that direction of the line for 10 bits per byte
 * (8N1: start + 8 data + stop) at `baudRate`, then arrives on the other end through serialport's own read
 * path. Each direction is a separate wire, as on a UART (full duplex). Like a real port, each end has a
 * transmit buffer (`txBufferBytes`, the driver's FIFO): a write returns once what is still queued ahead of
 * it fits the buffer, so a sender can keep the line busy without gaps, and its bytes arrive when the line
 * has carried them. A write to an end whose peer is closed is lost, like bytes into an unplugged cable.
 * This pacing is what makes the throughput benchmark measure something real.
 */
import { SerialPortStream } from '@serialport/stream';
import { SerialPortMock } from 'serialport';
import { createSerialportTransport, type SerialTransport } from './serial-transport.js';

export const BITS_PER_BYTE = 10;

/** Seconds-free helper: how long `bytes` occupy a line at `baudRate`, in ms. */
export function lineTimeMs(bytes: number, baudRate: number): number {
  return (bytes * BITS_PER_BYTE * 1000) / baudRate;
}

// serialport's SerialPortMock.binding is @serialport/binding-mock's MockBinding (that package's own exports
// carry no types under NodeNext resolution).
const MockBinding = SerialPortMock.binding;
type MockPort = Awaited<ReturnType<typeof MockBinding.open>>;

let pairs = 0;

/** Opens both ends of a new null-modem pair; close each with its transport's close(). */
export async function openNullModem(options: {
  baudRate: number;
  /** Bytes a port buffers for transmission before a write waits (default 256). */
  txBufferBytes?: number;
}): Promise<[SerialTransport, SerialTransport]> {
  const bufferMs = lineTimeMs(options.txBufferBytes ?? 256, options.baudRate);
  const id = ++pairs;
  const paths = [`/dev/null-modem-${process.pid}-${id}-a`, `/dev/null-modem-${process.pid}-${id}-b`] as const;
  for (const path of paths) MockBinding.createPort(path, { maxReadSize: 4096 });
  const ends = new Map<string, MockPort>();
  const lineFreeAt = new Map<string, number>();

  const binding: typeof MockBinding = {
    ...MockBinding,
    async open(openOptions) {
      const port = await MockBinding.open(openOptions);
      const peerPath = openOptions.path === paths[0] ? paths[1] : paths[0];
      ends.set(openOptions.path, port);
      const write = port.write.bind(port);
      port.write = async (buffer: Buffer) => {
        await write(buffer); // binding-mock's own checks and bookkeeping
        const now = performance.now();
        const start = Math.max(now, lineFreeAt.get(openOptions.path) ?? now);
        const end = start + lineTimeMs(buffer.length, options.baudRate);
        lineFreeAt.set(openOptions.path, end);
        setTimeout(() => {
          const peer = ends.get(peerPath);
          if (peer?.isOpen === true) peer.emitData(buffer);
        }, end - now);
        // Returns once the backlog ahead of the next write fits the transmit buffer.
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, end - bufferMs - now)));
      };
      const close = port.close.bind(port);
      port.close = async () => {
        ends.delete(openOptions.path);
        await close();
      };
      return port;
    },
  };

  const open = async (path: string) => {
    const port = new SerialPortStream({ binding, path, baudRate: options.baudRate, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
    return createSerialportTransport(port, options.baudRate);
  };
  return [await open(paths[0]), await open(paths[1])];
}
