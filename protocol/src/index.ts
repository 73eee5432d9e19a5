/**
 * @edgefleet/protocol — everything the device and the control plane must agree on, with no I/O: topics,
 * message schemas, the CBOR codec and its limits, signed documents (root, manifest, desired state),
 * version ordering, chunk hashing, the error-code table and the Clock interface.
 */
export { CODEC_LIMITS, type DecodeLimits, decodeCbor, decodeCborUnknown, encodeCbor } from './cbor/codec.js';
export {
  type ChunkedBundle,
  chunkBundle,
  chunkCount,
  chunkRange,
  DEFAULT_CHUNK_BYTES,
  sha256Hex,
} from './chunking.js';
export { type Clock, systemClock } from './clock.js';
export {
  categoricalBin,
  NUMERIC_BIN_COUNT,
  NUMERIC_EDGE_COUNT,
  numericBin,
  quantileSorted,
} from './drift/binning.js';
export { EMPTY_MOMENTS, type Moments, mergeMoments, momentsSchema, varianceOf } from './drift/moments.js';
export {
  argmax,
  type BuildProfileOptions,
  binCountOf,
  buildReferenceProfile,
  type CategoricalFeatureProfile,
  type FeatureProfile,
  featureProfileSchema,
  type NumericFeatureProfile,
  REFERENCE_DEFAULTS,
  type ReferenceProfile,
  referenceProfileSchema,
} from './drift/profile.js';
export {
  type DriftSketch,
  driftSketchBodySchema,
  type FeatureSketch,
  featureSketchSchema,
  mergeSketches,
  SketchAccumulator,
  validateSketch,
} from './drift/sketch.js';
export { ERROR_CODES, type ErrorCode, httpStatusOf, isErrorCode } from './errors/codes.js';
export { EdgefleetError, type ErrorDetails, errorCodeOf, ProtocolError } from './errors/edgefleet-error.js';
export * from './messages/primitives.js';
export * from './messages/wire.js';
export {
  CP_TO_DEVICE,
  type CpToDeviceKind,
  DEVICE_ID_PATTERN,
  DEVICE_TO_CP,
  type DeviceToCpKind,
  deviceTopic,
  fleetPattern,
  isDeviceId,
  type ParsedTopic,
  parseTopic,
  TOPIC_PREFIX,
  type TopicKind,
} from './topics.js';
export {
  type DesiredBody,
  desiredBodySchema,
  type VerifiedDesired,
  type VerifiedManifest,
  verifyDesired,
} from './trust/desired-state.js';
export { generateSigningKey, keyIdOf, keyIdSchema, type SigningKey, seedOf } from './trust/keys.js';
export {
  AGENT_RELEASE_LINE,
  MAX_BUNDLE_BYTES,
  type ManifestBody,
  MODEL_RUNTIMES,
  manifestBodySchema,
  modelSelfTest,
  resourcesSchema,
  type SelfTest,
  selfTestSchema,
  type TensorSpec,
  tensorSpecSchema,
  verifyManifest,
} from './trust/manifest.js';
export {
  buildRootDocument,
  pinnedRootKeys,
  ROLE_NAMES,
  type RoleName,
  type RootBody,
  type RootKeys,
  rootBodySchema,
  type TrustedRoot,
  trustedRootFrom,
  verifyRootDocument,
} from './trust/root.js';
export {
  assertNotExpired,
  type RoleKeys,
  type SignedDocument,
  signDocument,
  signedDocumentSchema,
  verifyDocument,
} from './trust/signed-document.js';
export { type AcceptedVersion, assertUpgradeAllowed, compareVersions } from './versions.js';
