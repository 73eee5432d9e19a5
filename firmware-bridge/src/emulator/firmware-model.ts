/**
 * The emulated firmware's model handling (DESIGN.md §6), the part of mcu-emulator.ts that answers the
 * gateway: `model-offer` (already held → complete; too big for a slot → refused; else stage, resuming a
 * matching transfer), `model-chunk` (in-order, CRC-checked flash writes; on the last one the whole image's
 * CRC-32, its format and its RAM arena are checked before it counts as committed), and `infer-req` (run the
 * named flash image with the protocol's reference int8 arithmetic). A reboot point lets the emulator lose power
 * right after a flash write, before the ack.
 */
import { performance } from 'node:perf_hooks';
import { decodeMcuModel, type McuModel, mcuModelArenaBytes, mcuModelClasses, runMcuModel } from '@edgefleet/protocol';
import type { MessageBody } from '../messages/messages.js';
import { commit, type EmulatedFlash, findImage, slotBytes, stage, writeChunk } from './flash.js';

type Ack = MessageBody<'model-ack'>;

export interface FirmwareModelCounts {
  resumedAt: number[];
  imagesCommitted: number;
  modelsRefused: number;
  inferences: number;
}

export interface FirmwareModel {
  offer(body: MessageBody<'model-offer'>): Ack;
  /** The ack for a chunk, or null when the MCU lost power before acking it. */
  chunk(body: MessageBody<'model-chunk'>): Ack | null;
  infer(body: MessageBody<'infer-req'>): MessageBody<'infer-res'>;
}

export function createFirmwareModel(options: {
  flash: EmulatedFlash;
  ownModel: boolean;
  /** RAM left for a model's activation arena once the link buffers are allocated. */
  arenaBudgetBytes: number;
  stats: FirmwareModelCounts;
  /** A firmware log line for the gateway. */
  log: (msg: string) => void;
  /** Called after each flash write with the staged byte count; true = power is lost now. */
  powerFailsAt: (have: number) => boolean;
}): FirmwareModel {
  const { flash, ownModel, stats } = options;
  const models = new Map<number, McuModel>();
  let tick = 0;

  function refuse(img: number, reason: string): Ack {
    stats.modelsRefused++;
    options.log(`model ${img.toString(16)} refused: ${reason}`);
    return { img, off: 0, status: 'refused', reason };
  }

  function offer({ img, size }: MessageBody<'model-offer'>): Ack {
    if (!ownModel) return refuse(img, 'no on-MCU model support');
    if (findImage(flash, img) !== undefined) return { img, off: size, status: 'complete' };
    if (size > slotBytes(flash)) return refuse(img, `image of ${size} B exceeds a ${slotBytes(flash)} B slot`);
    const staged = stage(flash, img, size);
    if (staged.have > 0) stats.resumedAt.push(staged.have);
    return { img, off: staged.have, status: 'resume' };
  }

  function chunk({ img, off, data, crc }: MessageBody<'model-chunk'>): Ack | null {
    const staged = flash.staging;
    if (staged === null || staged.crc !== img) return refuse(img, 'no transfer of that image');
    if (off !== staged.have || off + data.length > staged.size) {
      return { img, off: staged.have, status: 'resume', reason: 'unexpected offset' };
    }
    if (!writeChunk(staged, data, crc)) {
      return { img, off: staged.have, status: 'resume', reason: 'chunk CRC mismatch' };
    }
    if (options.powerFailsAt(staged.have)) return null;
    if (staged.have < staged.size) return { img, off: staged.have, status: 'ok' };
    if (!commit(flash, staged, ++tick)) return { img, off: 0, status: 'corrupt' };
    let model: McuModel;
    try {
      model = decodeMcuModel(findImage(flash, img)?.bytes ?? new Uint8Array(0));
    } catch (error) {
      flash.slots[staged.slot] = null;
      return refuse(img, (error as Error).message.slice(0, 60));
    }
    if (mcuModelArenaBytes(model) > options.arenaBudgetBytes) {
      flash.slots[staged.slot] = null;
      return refuse(img, `needs ${mcuModelArenaBytes(model)} B of RAM`);
    }
    models.set(img, model);
    stats.imagesCommitted++;
    return { img, off: staged.size, status: 'complete' };
  }

  function infer({ id, img, rows }: MessageBody<'infer-req'>): MessageBody<'infer-res'> {
    if (!ownModel) return { id, error: 'no on-MCU model support' };
    const image = findImage(flash, img);
    if (image === undefined) return { id, error: 'no such image' };
    let model = models.get(img);
    if (model === undefined) {
      model = decodeMcuModel(image.bytes);
      models.set(img, model);
    }
    if (rows.some((row) => row.length !== model.features)) return { id, error: 'bad input width' };
    const started = performance.now();
    const out = runMcuModel(model, Float32Array.from(rows.flat()), rows.length);
    const us = Math.round((performance.now() - started) * 1000);
    const classes = mcuModelClasses(model);
    image.lastUsed = ++tick;
    stats.inferences++;
    return { id, us, outputs: rows.map((_, r) => Array.from(out.subarray(r * classes, (r + 1) * classes))) };
  }

  return { offer, chunk, infer };
}
