/**
 * The Runtime interface (DESIGN.md §1, §4): a model engine that loads a model file and runs one float32
 * input tensor to one float32 output tensor. onnxruntime-node implements it for devices; an in-memory twin
 * implements it for unit tests; both pass the same contract suite (test/runtime/runtime-contract.ts).
 */
import type { ModelRuntime } from '@edgefleet/protocol';

/** A dense row-major float32 tensor. `data.length` equals the product of `shape`. */
export interface TensorData {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

export interface LoadedModel {
  /** Runs one inference. Rejects with AgentError('NO_MODEL') once the model is closed. */
  run(input: TensorData): Promise<TensorData>;
  /** Releases the engine's resources. Idempotent. */
  close(): Promise<void>;
}

export interface LoadOptions {
  readonly modelPath: string;
  readonly inputName: string;
  readonly outputName: string;
  /**
   * sha256 of the model file, already checked against its signed manifest by the caller (installer, boot
   * loader): a runtime that shares sessions between identical files may key them by it without reading the
   * file again.
   */
  readonly sha256?: string | undefined;
}

export interface Runtime {
  /** Must match the manifests' `runtime` (e.g. `mcu-int8` for the firmware bridge's microcontroller runtime). */
  readonly name: ModelRuntime;
  /** Rejects with AgentError('MODEL_LOAD_FAILED') when the file cannot be loaded or lacks the named tensors. */
  load(options: LoadOptions): Promise<LoadedModel>;
}
