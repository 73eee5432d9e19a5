/**
 * Splits the serial byte stream into frames at each 0x00 delimiter (frame-codec.ts) and decodes them. The
 * receive buffer never grows beyond one maximum encoded frame: past that the deframer drops bytes until the
 * next delimiter and reports MESSAGE_TOO_LARGE once for the run, which is how a microcontroller with a fixed
 * RX buffer must behave. Line noise between frames (garbage bytes, a torn frame) surfaces as FRAME_CORRUPT
 * for the bytes up to the next delimiter; decoding then resumes, nothing else is lost.
 */
import { BridgeError } from '../errors.js';
import { decodeFrame, FRAME_DELIMITER, type Frame, maxEncodedBytes } from './frame-codec.js';

export interface Deframer {
  push(chunk: Uint8Array): void;
  /** Forgets a partial frame (the peer rebooted, the port was reopened). */
  reset(): void;
}

export function createDeframer(options: {
  maxFrameBytes: number;
  onFrame: (frame: Frame) => void;
  onError: (error: BridgeError) => void;
}): Deframer {
  const capacity = maxEncodedBytes(options.maxFrameBytes);
  const buffer = new Uint8Array(capacity);
  let length = 0;
  let state: 'collecting' | 'discarding' = 'collecting';

  function endOfFrame(): void {
    if (state === 'discarding') {
      state = 'collecting';
      return;
    }
    if (length === 0) return; // back-to-back delimiters: idle line
    const encoded = buffer.slice(0, length);
    length = 0;
    let frame: Frame;
    try {
      frame = decodeFrame(encoded, options.maxFrameBytes);
    } catch (error) {
      options.onError(error as BridgeError);
      return;
    }
    options.onFrame(frame);
  }

  return {
    push(chunk) {
      for (const byte of chunk) {
        if (byte === FRAME_DELIMITER) {
          endOfFrame();
          continue;
        }
        if (state === 'discarding') continue;
        if (length === capacity) {
          state = 'discarding';
          length = 0;
          options.onError(
            new BridgeError(
              'MESSAGE_TOO_LARGE',
              `frame exceeds ${capacity} encoded bytes; dropped to the next delimiter`,
            ),
          );
          continue;
        }
        buffer[length++] = byte;
      }
    },
    reset() {
      length = 0;
      state = 'collecting';
    },
  };
}
