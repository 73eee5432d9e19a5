/**
 * SimulatorError: what the simulator refuses or cannot do (an invalid scenario, a run that could not
 * start), with a stable code and a message that names the file and field at fault.
 */
export type SimulatorErrorCode = 'SCENARIO_INVALID' | 'SCENARIO_UNREADABLE' | 'RUN_FAILED';

export class SimulatorError extends Error {
  readonly code: SimulatorErrorCode;
  constructor(code: SimulatorErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SimulatorError';
    this.code = code;
  }
}
