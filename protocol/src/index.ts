/**
 * @edgefleet/protocol — everything the device and the control plane must agree on, with no I/O: topics,
 * message schemas, the CBOR codec and its limits, signed documents (root, manifest, desired state),
 * version ordering, chunk hashing, the error-code table and the Clock interface; and the pure math of
 * federated learning both sides run: secure-aggregation masking, DP clipping/noise and its accountant.
 */
export { CODEC_LIMITS, type DecodeLimits, decodeCbor, decodeCborUnknown, encodeCbor } from './cbor/codec.js';
export {
  type ChunkedBundle,
  chunkBundle,
  chunkCount,
  chunkRange,
  DEFAULT_CHUNK_BYTES,
  MAX_CHUNKS,
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
  outputFeatureCount,
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
export {
  type DriftFeatures,
  type DriftRows,
  driftFeatureNames,
  driftFeaturesSchema,
  type InputSummary,
  inputSummarySchema,
  MAX_DRIFT_FEATURES,
  type NumericArray,
  numericView,
  OUTPUT_SUMMARIES,
  type OutputSummary,
  summarizeForDrift,
} from './drift/summary-features.js';
export { ERROR_CODES, type ErrorCode, httpStatusOf, isErrorCode } from './errors/codes.js';
export { EdgefleetError, type ErrorDetails, errorCodeOf, ProtocolError } from './errors/edgefleet-error.js';
export {
  addGaussianNoise,
  clipToNorm,
  type DpNoiseOptions,
  l2Norm,
  type PrivatizedUpdate,
  privatizeUpdate,
} from './fl/differential-privacy.js';
export {
  type DpAccountingInput,
  type DpAccountingMethod,
  type DpGuarantee,
  dpEpsilon,
  gaussianRdp,
  sampledGaussianRdp,
} from './fl/dp-accountant.js';
export { FIXED_POINT_DEFAULTS, maxSafeScaleBits } from './fl/fixed-point.js';
export {
  type BlobRef,
  blobRefSchema,
  type DeclineReason,
  type DpSettings,
  declineReasonSchema,
  dpSettingsSchema,
  FL_LIMITS,
  type FlTask,
  type FlTaskMessage,
  type FlUpdateMessage,
  flTaskMessageSchema,
  flTaskSchema,
  flUpdateMessageSchema,
  roundIdSchema,
  updateEncodingSchema,
} from './fl/fl-messages.js';

export {
  initialMlpWeights,
  MLP_LIMITS,
  type MlpSpec,
  type MlpTensorSlice,
  mlpLayout,
  mlpParameterCount,
  mlpSpecSchema,
} from './fl/mlp-spec.js';
export { type SecAggKeyPair, type SecAggPeer, secAggKeyPair } from './fl/secagg-keys.js';
export {
  type MaskedUpdateInput,
  maskedUpdate,
  pairwiseSeedsFor,
  type RevealedSeed,
  type UnmaskInput,
  unmaskAggregate,
} from './fl/secure-aggregation.js';
export { type UpdateProblem, updateProblem } from './fl/update-check.js';
export { float32FromBytes, float32ToBytes, uint32FromBytes, uint32ToBytes } from './fl/vector-bytes.js';
export {
  decodeMcuModel,
  encodeMcuModel,
  MCU_MODEL_LIMITS,
  type McuActivation,
  type McuLayer,
  type McuModel,
  mcuModelArenaBytes,
  mcuModelClasses,
  runMcuModel,
} from './mcu/mcu-model.js';
export * from './messages/primitives.js';
export * from './messages/wire.js';
export { mulberry32, type Rng, shuffled } from './random/prng.js';
export {
  compileFeedChecker,
  type Dim,
  type FeedChecker,
  type FeedLimits,
  shapeFits,
  type TensorMismatch,
  type TensorSpec,
  tensorSpecSchema,
} from './tensors/contract.js';
export {
  ARRAY_OF,
  BYTES_PER_ELEMENT,
  elementAsNumber,
  float16ToNumber,
  holdsDType,
  isTensorDType,
  TENSOR_DTYPES,
  type TensorArray,
  type TensorDType,
  type TypedArrayOf,
} from './tensors/dtypes.js';
export {
  float16Bits,
  type JsonTensor,
  jsonTensorSchema,
  MAX_JSON_ELEMENTS,
  tensorFromJson,
  tensorToJson,
} from './tensors/json-tensor.js';
export { decodeSelfTestSet, type PackedBundle, packModelBundle } from './tensors/model-bundle.js';
export {
  agreeingRows,
  comparedOutput,
  DEFAULT_COMPARISON,
  type OutputComparison,
  outputComparisonSchema,
} from './tensors/output-comparison.js';
export {
  type ElementDifference,
  firstDifference,
  SELF_TEST_LIMITS,
  type SelfTest,
  type SelfTestSet,
  selfTestSchema,
  selfTestSetSchema,
  type Tolerance,
  toleranceSchema,
} from './tensors/self-test-set.js';
export { bindSymbols, initialState, resolveDims, type StatePair, statePairSchema } from './tensors/state.js';
export {
  decodeTensor,
  decodeTensorMap,
  dimsSchema,
  type EncodedTensor,
  elementCount,
  encodedTensorMapSchema,
  encodedTensorSchema,
  encodeTensor,
  encodeTensorMap,
  TENSOR_LIMITS,
  type Tensor,
  type TensorMap,
  tensorNameSchema,
  zerosTensor,
} from './tensors/tensor.js';
export { TOPIC_MESSAGES, type TopicMessage } from './topic-messages.js';
export {
  bridgePattern,
  CHILD_NAME_PATTERN,
  CHILD_SEPARATOR,
  type ChildDeviceId,
  CP_TO_DEVICE,
  type CpToDeviceKind,
  childDeviceId,
  DEVICE_ID_PATTERN,
  DEVICE_TO_CP,
  type DeviceToCpKind,
  deviceTopic,
  fleetPattern,
  isDeviceId,
  isEnrollableDeviceId,
  type ParsedTopic,
  parseChildDeviceId,
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
  type ModelRuntime,
  manifestBodySchema,
  resourcesSchema,
  type TrainingLineage,
  trainingLineageSchema,
  verifyManifest,
} from './trust/manifest.js';
export { type ModelQuality, modelQualitySchema } from './trust/model-quality.js';
export {
  RELEASE_MANIFEST_FILE,
  type ReleaseEnvelope,
  type ReleaseManifest,
  releaseEnvelopeSchema,
  releaseManifestSchema,
  verifyReleaseEnvelope,
} from './trust/release-manifest.js';
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
  claimedRootVersion,
  type FollowedChain,
  followRootChain,
  nextTrustedRoot,
  trustFromPinned,
} from './trust/root-chain.js';
export {
  assertNotExpired,
  isSignedBy,
  type RoleKeys,
  resignDocument,
  type SignedDocument,
  signDocument,
  signedDocumentSchema,
  verifyDocument,
} from './trust/signed-document.js';
export { type AcceptedVersion, assertUpgradeAllowed, compareVersions } from './versions.js';
