/**
 * The Runtime interface (DESIGN.md §1, §4): a model engine that loads a model file and runs named tensors
 * to named tensors, as the model's own graph declares them (manifest `inputs` / `outputs`). onnxruntime-node
 * implements it for devices; an in-memory twin implements it for unit tests; both pass the same contract
 * suite (test/runtime/runtime-contract.ts). Callers validate feeds against the contract before `run`
 * (inference-service.ts), so a runtime only turns them into its own tensors.
 */
import type { ModelRuntime, Tensor, TensorMap, TensorSpec } from '@edgefleet/protocol';

/** A dense row-major float32 tensor: the tabular [N, F] form of the rows API, drift and shadow runs. */
export interface TensorData {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

export interface LoadedModel {
  /**
   * Runs one inference and returns the outputs named in `fetches` (every output when absent). Rejects with
   * AgentError('NO_MODEL') once the model is closed.
   */
  run(feeds: TensorMap, fetches?: readonly string[]): Promise<Record<string, Tensor>>;
  /** Releases the engine's resources. Idempotent. */
  close(): Promise<void>;
}

export interface LoadOptions {
  readonly modelPath: string;
  /**
   * The model file is the first `modelBytes` bytes of `modelPath` (an installed bundle: its self-test set
   * follows the model); the whole file when absent.
   */
  readonly modelBytes?: number | undefined;
  /** The contract from the verified manifest: the loaded model must have these inputs and outputs. */
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  /**
   * sha256 of the whole file at `modelPath` (for an installed bundle: the manifest's signed digest), already
   * checked by the caller (installer, boot loader): a runtime that shares sessions between identical files
   * may key them by it, with `modelBytes`, without reading the file again.
   */
  readonly sha256?: string | undefined;
}

export interface Runtime {
  /** Must match the manifests' `runtime` (e.g. `mcu-int8` for the firmware bridge's microcontroller runtime). */
  readonly name: ModelRuntime;
  /** Rejects with AgentError('MODEL_LOAD_FAILED') when the file cannot be loaded or lacks the named tensors. */
  load(options: LoadOptions): Promise<LoadedModel>;
}

/** The tabular view of a float32 tensor (no copy). */
export function tensorData(tensor: Tensor): TensorData {
  return { data: tensor.data as Float32Array, shape: tensor.dims };
}

/** The float32 tensor of a tabular view (no copy). */
export function float32Tensor(data: TensorData): Tensor<'float32'> {
  return { type: 'float32', data: data.data, dims: data.shape };
}
