/**
 * Splits a byte stream into whole MQTT packets (MQTT 3.1.1 §2.2: one fixed-header byte, then the remaining
 * length as a variable-length integer of 1-4 bytes). The virtual link delivers packet by packet, so how many
 * packets one stream write happened to coalesce (MQTT.js corks until the next tick) changes neither the
 * random draws nor the arrival times — a requirement for reproducible runs.
 */
export function createPacketSplitter(): (bytes: Buffer) => Buffer[] {
  let pending: Buffer = Buffer.alloc(0);
  return (bytes) => {
    pending = pending.length === 0 ? bytes : Buffer.concat([pending, bytes]);
    const packets: Buffer[] = [];
    for (;;) {
      let length = 0;
      let multiplier = 1;
      let offset = 1;
      let complete = false;
      while (offset < pending.length && offset <= 4) {
        const byte = pending[offset] as number;
        length += (byte & 0x7f) * multiplier;
        multiplier *= 128;
        offset++;
        if ((byte & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete || pending.length < offset + length) break;
      packets.push(pending.subarray(0, offset + length));
      pending = pending.subarray(offset + length);
    }
    return packets;
  };
}
