/**
 * The error-code table: every rejection edgefleet can produce, with the HTTP status the control plane
 * maps it to. Codes are stable strings that devices, operators and dashboards match on; messages are
 * for humans and may change. Every package's error class carries one of these codes.
 */

export const ERROR_CODES = Object.freeze({
  // Wire format
  CBOR_MALFORMED: { http: 400, summary: 'payload is not well-formed CBOR' },
  MESSAGE_TOO_LARGE: { http: 413, summary: 'payload exceeds the size limit' },
  MESSAGE_TOO_DEEP: { http: 400, summary: 'payload nests deeper than allowed' },
  SCHEMA_INVALID: { http: 400, summary: 'payload does not match the message schema' },
  TOPIC_UNKNOWN: { http: 400, summary: 'topic is not an edgefleet topic' },
  TOPIC_FORBIDDEN: { http: 403, summary: 'client may not use this topic' },
  MQTT_PROTOCOL_INVALID: {
    http: 400,
    summary: 'the MQTT client broke the protocol (first packet not CONNECT, bad length)',
  },
  CONNECT_TIMEOUT: { http: 408, summary: 'no MQTT CONNECT arrived in time after the connection opened' },
  CONNECTION_LIMIT: { http: 503, summary: 'the broker holds as many connections as it allows' },
  RATE_LIMITED: { http: 429, summary: 'too many requests, connections or bytes in too short a time' },
  // Trust
  SIGNATURE_INVALID: { http: 400, summary: 'signature does not verify' },
  KEY_UNKNOWN: { http: 400, summary: 'document is signed by a key the verifier does not trust for that role' },
  THRESHOLD_NOT_MET: { http: 400, summary: 'too few valid signatures for the role threshold' },
  DOCUMENT_EXPIRED: { http: 400, summary: 'document is past its expiry' },
  DOCUMENT_REPLAYED: { http: 409, summary: 'document sequence is not newer than the one already applied' },
  DOWNGRADE: { http: 409, summary: 'version is lower than the highest accepted for that model line' },
  WRONG_DEVICE: { http: 400, summary: 'document is addressed to another device' },
  ROOT_CHAIN_INVALID: {
    http: 400,
    summary: 'a root document does not follow from the trusted root (version gap or missing signatures)',
  },
  // Bundles and installs
  CHUNK_HASH_MISMATCH: { http: 400, summary: 'chunk bytes do not match the manifest hash' },
  BUNDLE_HASH_MISMATCH: { http: 400, summary: 'bundle bytes do not match the manifest digest' },
  BUNDLE_TOO_LARGE: { http: 413, summary: 'bundle is larger than the manifest or the limit allows' },
  BUNDLE_UNKNOWN: { http: 404, summary: 'no bundle with that digest' },
  FETCH_TIMEOUT: { http: 504, summary: 'bundle chunks did not arrive in time' },
  SELF_TEST_FAILED: { http: 422, summary: 'model outputs differ from the manifest self-test vectors' },
  MODEL_LOAD_FAILED: { http: 422, summary: 'runtime could not load the model' },
  RUNTIME_UNAVAILABLE: { http: 422, summary: 'the model runtime is not available on this device' },
  NO_MODEL: { http: 503, summary: 'no verified model is installed for that line' },
  INPUT_INVALID: { http: 400, summary: 'inference input does not match the model schema' },
  INPUT_MISSING: { http: 400, summary: 'a named input of the model is missing from the request' },
  INPUT_UNEXPECTED: { http: 400, summary: 'the request names an input the model does not have' },
  INPUT_DTYPE: { http: 400, summary: 'an input has the wrong element type' },
  INPUT_RANK: { http: 400, summary: 'an input has the wrong number of dimensions' },
  INPUT_DIM: { http: 400, summary: 'an input dimension violates a fixed or symbolic dimension of the model' },
  INPUT_TOO_LARGE: { http: 400, summary: 'an input has more elements than the configured limit' },
  OUTPUT_UNKNOWN: { http: 400, summary: 'the request asks for an output the model does not have' },
  STREAM_LIMIT: { http: 429, summary: 'too many open state streams; reset one or wait for one to expire' },
  MODEL_DTYPE_UNSUPPORTED: {
    http: 422,
    summary: 'a model input or output has an element type (or is not a tensor) the runtime does not support',
  },
  MODEL_OPERATOR_UNSUPPORTED: {
    http: 422,
    summary: "the model uses an operator or opset the runtime's CPU provider does not implement",
  },
  SAMPLE_INPUTS_MISMATCH: {
    http: 422,
    summary: 'the uploaded sample inputs do not match the model contract, or the model fails on them',
  },
  QUANTIZATION_REJECTED: {
    http: 422,
    summary:
      'the int8 variant was not registered: it agrees with its fp32 version less than required, or nothing could be quantized',
  },
  // Serial link to microcontrollers (firmware bridge, DESIGN.md §6)
  FRAME_CORRUPT: { http: 400, summary: 'serial frame fails its COBS structure or CRC-32, or is truncated' },
  FRAME_TYPE_UNKNOWN: { http: 400, summary: 'serial frame carries an unknown message type' },
  LINK_TIMEOUT: { http: 504, summary: 'the serial peer did not acknowledge a frame after every retry' },
  LINK_RESET: { http: 503, summary: 'the serial peer restarted; unacknowledged messages were dropped' },
  MCU_REFUSED: { http: 422, summary: 'the microcontroller refused the model (flash, RAM or image check)' },
  // Device resources and agent self-update
  INSUFFICIENT_STORAGE: { http: 507, summary: 'not enough free disk on the device for the bundle (with reserve)' },
  INSUFFICIENT_MEMORY: { http: 507, summary: 'not enough free memory on the device to load the bundle (with reserve)' },
  AGENT_UNHEALTHY: {
    http: 422,
    summary: 'the new agent did not report healthy in time; the previous one was restored',
  },
  // Drift
  SKETCH_INVALID: { http: 400, summary: 'drift sketch does not match the reference profile or is inconsistent' },
  MODEL_VERSION_UNKNOWN: { http: 404, summary: 'no such model version (or it has no reference profile)' },
  // Federated learning
  FL_UPDATE_INVALID: {
    http: 400,
    summary: 'federated update has the wrong length, a NaN/Inf value or a sample count that is not a positive integer',
  },
  FL_CONFIG_INVALID: {
    http: 400,
    summary: 'federated-learning strategy, secure-aggregation or DP settings are invalid',
  },
  FL_NO_UPDATES: { http: 409, summary: 'there are no accepted updates to aggregate' },
  FL_SECAGG_INVALID: {
    http: 400,
    summary:
      'secure-aggregation inputs are inconsistent (missing or unknown seeds, a dropped client masked, wrong length)',
  },
  FL_ROUND_CLOSED: { http: 409, summary: 'the federated round is not (or no longer) accepting this message' },
  FL_NOT_SELECTED: { http: 403, summary: 'the device was not selected for this federated round' },
  FL_QUORUM_NOT_MET: { http: 409, summary: 'too few clients submitted before the round deadline' },
  FL_TASK_INVALID: { http: 400, summary: 'federated task or its training inputs do not match the model spec' },
  SAMPLES_INVALID: { http: 400, summary: 'training samples are malformed or do not match the line feature width' },
  // Registry, devices, API
  BODY_INVALID: { http: 400, summary: 'request body is invalid' },
  PATH_INVALID: { http: 400, summary: 'a path parameter is invalid' },
  QUERY_INVALID: { http: 400, summary: 'a query parameter is invalid' },
  CONTENT_TYPE_UNSUPPORTED: { http: 415, summary: 'the request body has a content type this route does not take' },
  AUTH_REQUIRED: { http: 401, summary: 'missing or unknown credentials' },
  AUTH_FORBIDDEN: { http: 403, summary: 'credentials lack the role for this action' },
  ENROLMENT_TOKEN_INVALID: { http: 401, summary: 'enrolment token is unknown, used or expired' },
  DEVICE_UNKNOWN: { http: 404, summary: 'no such device' },
  DEVICE_REVOKED: { http: 403, summary: 'the device was revoked and is no longer a fleet member' },
  NOT_FOUND: { http: 404, summary: 'no such resource' },
  CONFLICT: { http: 409, summary: 'request conflicts with existing state' },
  INVALID_TRANSITION: { http: 409, summary: 'state machine refuses this transition' },
  /** Operator CLI: no HTTP answer at all — refused connection, DNS failure, timeout. */
  SERVER_UNREACHABLE: { http: 503, summary: 'the control plane could not be reached' },
  /** Operator CLI: unknown flags, missing arguments, unreadable or malformed input files. */
  USAGE_INVALID: { http: 400, summary: 'command-line arguments or input file are invalid' },
  /** External broker mode: the configured MQTT broker does not answer (refused, DNS, timeout). */
  BROKER_UNAVAILABLE: { http: 503, summary: 'the external MQTT broker could not be reached' },
  /** External broker mode: the broker refused the control plane's credentials or a dynamic-security command. */
  BROKER_REFUSED: { http: 502, summary: 'the external MQTT broker refused the control plane' },
  INTERNAL: { http: 500, summary: 'internal error' },
} as const);

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

export function httpStatusOf(code: ErrorCode): number {
  return ERROR_CODES[code].http;
}
