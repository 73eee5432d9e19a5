/**
 * @edgefleet/firmware-bridge — microcontrollers behind a gateway as fleet members (DESIGN.md §6): the serial
 * frame codec and reliable link, the serial transports (a real port, the paced mock null modem, an in-memory
 * twin), the MCU emulator, and the gateway that presents each MCU as a child device of its agent.
 */

export { createFlash, type EmulatedFlash } from './emulator/flash.js';
export {
  createMcuEmulator,
  EMULATOR_DEFAULTS,
  type McuEmulator,
  type McuEmulatorOptions,
  type McuEmulatorStats,
  type McuState,
} from './emulator/mcu-emulator.js';
export { BridgeError } from './errors.js';
export { decodeFrame, encodeFrame, FRAME_DEFAULTS, type Frame, maxPayloadBytes } from './frame/frame-codec.js';
export type { ChildDevice, ChildTuning } from './gateway/child-device.js';
export {
  createGateway,
  type Gateway,
  type GatewayOptions,
  type PortConfig,
  type PortStats,
} from './gateway/gateway.js';
export { createMcuRuntime } from './gateway/mcu-runtime.js';
export { createMcuSession, type Hello, type McuSession, type McuSessionState } from './gateway/mcu-session.js';
export {
  deliverImage,
  TRANSFER_DEFAULTS,
  type TransferOptions,
  type TransferResult,
} from './gateway/model-transfer.js';
export { createMessagePort, type MessagePort } from './link/message-port.js';
export type { LinkStats } from './link/reliable-link.js';
export {
  decodeMessage,
  encodeMessage,
  MESSAGE_TYPES,
  type Message,
  type MessageBody,
  type MessageName,
} from './messages/messages.js';
export { type FaultyTransport, type LineFaultOptions, withLineFaults } from './serial/line-faults.js';
export { openMemorySerialPair } from './serial/memory-serial.js';
export { lineTimeMs, openNullModem } from './serial/null-modem.js';
export { createSerialportTransport, openSerialPort, type SerialTransport } from './serial/serial-transport.js';
