/**
 * @edgefleet/firmware-bridge — microcontrollers behind a gateway as fleet members (DESIGN.md §6): the serial
 * frame codec and reliable link, the serial transports (a real port, the paced mock null modem, an in-memory
 * twin), the MCU emulator, and the gateway that presents each MCU as a child device of its agent.
 */
export { BridgeError } from './errors.js';
export { decodeFrame, encodeFrame, FRAME_DEFAULTS, type Frame, maxPayloadBytes } from './frame/frame-codec.js';
export { type FaultyTransport, type LineFaultOptions, withLineFaults } from './serial/line-faults.js';
export { openMemorySerialPair } from './serial/memory-serial.js';
export { lineTimeMs, openNullModem } from './serial/null-modem.js';
export { createSerialportTransport, openSerialPort, type SerialTransport } from './serial/serial-transport.js';
