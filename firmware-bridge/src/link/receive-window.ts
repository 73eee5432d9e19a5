/**
 * The receiving half of the selective-repeat link (reliable-link.ts; Tanenbaum, Computer Networks §3.4.3):
 * given each data frame's 16-bit sequence number, decides whether to acknowledge it and which frames are now
 * deliverable in order. A frame up to `window` ahead of the next expected one is buffered (it overtook a
 * retransmission); one up to `window` behind is a duplicate whose ack was lost (acknowledged again, never
 * delivered twice); anything else is from another epoch and dropped unacknowledged. A handshake resyncs it.
 */
import type { Frame } from '../frame/frame-codec.js';

export const SEQ_SPACE = 0x10000;
export const seqAdd = (seq: number, n: number) => (seq + n) % SEQ_SPACE;
const seqDiff = (a: number, b: number) => (a - b + SEQ_SPACE) % SEQ_SPACE;

export interface ReceiveCounts {
  duplicates: number;
  reordered: number;
  outOfWindow: number;
}

export interface ReceiveWindow {
  /** The peer's handshake frame carried `seq`: its next data frame is seq + 1. */
  resync(seq: number): void;
  /** Whether to acknowledge `frame`, and the frames it makes deliverable, in order. */
  accept(frame: Frame): { ack: boolean; deliver: Frame[] };
}

export function createReceiveWindow(window: number, counts: ReceiveCounts): ReceiveWindow {
  let next = 0;
  const buffered = new Map<number, Frame>();
  return {
    resync(seq) {
      next = seqAdd(seq, 1);
      buffered.clear();
    },
    accept(frame) {
      const ahead = seqDiff(frame.seq, next);
      if (ahead === 0) {
        const deliver = [frame];
        next = seqAdd(next, 1);
        for (let more = buffered.get(next); more !== undefined; more = buffered.get(next)) {
          buffered.delete(next);
          deliver.push(more);
          next = seqAdd(next, 1);
        }
        return { ack: true, deliver };
      }
      if (ahead < window) {
        if (buffered.has(frame.seq)) counts.duplicates++;
        else {
          counts.reordered++;
          buffered.set(frame.seq, frame);
        }
        return { ack: true, deliver: [] };
      }
      if (ahead >= SEQ_SPACE - window) {
        counts.duplicates++;
        return { ack: true, deliver: [] };
      }
      counts.outOfWindow++;
      return { ack: false, deliver: [] };
    },
  };
}
