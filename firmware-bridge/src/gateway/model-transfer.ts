/**
 * Delivers a verified model image to an MCU's flash over the serial link (DESIGN.md §6): offer it (CRC-32 and
 * size), let the MCU say where to resume (0 for a new image, the bytes it already verified after a reboot,
 * or "complete" when it already holds it), then stream chunks, each with its own CRC-32, keeping at most
 * `windowChunks` ahead of the MCU's acks so flash writes pace the sender. The MCU checks each chunk after
 * writing it and the whole image before committing. A link reset (the MCU rebooted) or a stall waits for
 * the MCU to come back and offers again; after `maxAttempts` the transfer fails. The image was already
 * verified by the gateway agent (manifest signature, sha256) — the MCU can only check CRCs.
 */
import { crc32 } from 'node:zlib';
import type { Logger } from 'pino';
import { BridgeError } from '../errors.js';
import { maxPayloadBytes } from '../frame/frame-codec.js';
import type { MessageBody } from '../messages/messages.js';
import type { McuSession } from './mcu-session.js';

export const TRANSFER_DEFAULTS = Object.freeze({
  chunkBytes: 512,
  windowChunks: 4,
  /** Room for the CBOR envelope of a model-chunk around its bytes ({img, off, data, crc}). */
  chunkEnvelopeBytes: 40,
  /** Without a model-ack for this long, the transfer is offered again. */
  stallMs: 5000,
  /** Offers (the first one included) before the transfer fails. */
  maxAttempts: 6,
  upTimeoutMs: 30_000,
});

export interface TransferOptions {
  readonly chunkBytes?: number;
  readonly windowChunks?: number;
  readonly stallMs?: number;
  readonly maxAttempts?: number;
  readonly upTimeoutMs?: number;
}

export interface TransferResult {
  readonly crc: number;
  /** Offsets the MCU resumed from, one per offer that did not start at 0. */
  readonly resumedAt: readonly number[];
  readonly chunksSent: number;
}

type Ack = MessageBody<'model-ack'>;

export async function deliverImage(
  session: McuSession,
  image: Uint8Array,
  options: TransferOptions & { logger: Logger; setTimer: (ms: number, fn: () => void) => () => void },
): Promise<TransferResult> {
  const settings = { ...TRANSFER_DEFAULTS, ...options };
  const crc = crc32(image);
  const resumedAt: number[] = [];
  let chunksSent = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      await session.whenUp(settings.upTimeoutMs);
      const hello = session.hello;
      const chunkBytes = Math.min(
        settings.chunkBytes,
        maxPayloadBytes(hello?.maxFrame ?? settings.chunkBytes) - TRANSFER_DEFAULTS.chunkEnvelopeBytes,
      );
      const outcome = await streamOnce(chunkBytes);
      if (outcome === 'complete') return { crc, resumedAt, chunksSent };
    } catch (error) {
      const code = (error as BridgeError).code;
      if (code === 'MCU_REFUSED' || attempt >= settings.maxAttempts) throw error;
      options.logger.warn({ err: error, attempt, crc }, 'model transfer interrupted; offering again');
    }
  }

  /** One offer and the chunks after it: 'complete', or throws (refused, link reset, stall). */
  function streamOnce(chunkBytes: number): Promise<'complete'> {
    return new Promise((resolve, reject) => {
      let offered = false;
      let next = 0;
      let acked = 0;
      let cancelStall = () => {};
      const done = (error?: Error) => {
        cancelStall();
        session.off('model-ack', onAck);
        session.off('state', onState);
        if (error === undefined) resolve('complete');
        else reject(error);
      };
      const armStall = () => {
        cancelStall();
        cancelStall = options.setTimer(settings.stallMs, () =>
          done(new BridgeError('LINK_TIMEOUT', `no model-ack for ${settings.stallMs} ms`)),
        );
      };
      const pump = () => {
        while (next < image.length && next - acked < settings.windowChunks * chunkBytes) {
          const data = image.subarray(next, Math.min(next + chunkBytes, image.length));
          session.send('model-chunk', { img: crc, off: next, data, crc: crc32(data) }).catch(done);
          chunksSent++;
          next += data.length;
        }
      };
      const onAck = (ack: Ack) => {
        if (ack.img !== crc) return;
        armStall();
        if (ack.status === 'complete') return done();
        if (ack.status === 'refused')
          return done(new BridgeError('MCU_REFUSED', `MCU refused the model: ${ack.reason}`));
        if (ack.status === 'corrupt')
          return done(new BridgeError('BUNDLE_HASH_MISMATCH', 'image CRC-32 failed on the MCU'));
        if (!offered && ack.status === 'resume' && ack.off > 0) resumedAt.push(ack.off);
        offered = true;
        acked = ack.off;
        // 'resume' mid-stream: the MCU wants an earlier offset again (a chunk failed its check).
        if (ack.status === 'resume' || ack.off > next) next = ack.off;
        pump();
      };
      const onState = (state: string) => {
        if (state !== 'up') done(new BridgeError('LINK_RESET', `MCU link ${state} during the transfer`));
      };
      session.on('model-ack', onAck);
      session.on('state', onState);
      armStall();
      session.send('model-offer', { img: crc, size: image.length, chunk: chunkBytes }).catch(done);
    });
  }
}
