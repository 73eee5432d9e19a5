/**
 * The agent's one error class. It carries a stable code from protocol's ERROR_CODES table so the local HTTP
 * API, the reported state and the events stream can all say what went wrong in the same words.
 */
import { EdgefleetError } from '@edgefleet/protocol';

export class AgentError extends EdgefleetError {}
