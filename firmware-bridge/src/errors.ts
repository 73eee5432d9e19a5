/**
 * The firmware bridge's one error class. It carries a stable code from protocol's ERROR_CODES table
 * (FRAME_CORRUPT, LINK_TIMEOUT, MCU_REFUSED, …) so the gateway's logs, counters and the child device's
 * reported `lastError` say what went wrong on the serial line in the fleet's words.
 */
import { EdgefleetError } from '@edgefleet/protocol';

export class BridgeError extends EdgefleetError {}
