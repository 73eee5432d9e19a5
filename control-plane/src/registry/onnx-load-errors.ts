/**
 * Why onnxruntime refused to create a session, as a stable code: the operator or opset is one its CPU
 * provider does not implement (MODEL_OPERATOR_UNSUPPORTED), an element type it has no tensor type for
 * (MODEL_DTYPE_UNSUPPORTED), or anything else (MODEL_LOAD_FAILED: not ONNX, truncated, an unsupported IR
 * version, a type error in the graph). onnxruntime reports all of them as a plain Error, so the message is
 * matched against the texts onnxruntime-node 1.30 writes for each case (collected by loading small graphs
 * built with onnx-proto); an unknown text falls back to MODEL_LOAD_FAILED, which is never wrong, only less
 * precise.
 */
import type { ErrorCode } from '@edgefleet/protocol';
import { ControlPlaneError } from '../errors.js';

interface Rule {
  readonly code: ErrorCode;
  readonly pattern: RegExp;
  /** The human sentence, from the pattern's first group. */
  readonly explain: (found: string) => string;
}

const RULES: readonly Rule[] = [
  {
    // "No Op registered for FrobnicateXYZ with domain_version of 17" (unknown op, or not in that opset)
    code: 'MODEL_OPERATOR_UNSUPPORTED',
    pattern: /No Op registered for (\S+ with domain_version of \d+)/,
    explain: (op) => `the model uses operator ${op}, which onnxruntime does not implement`,
  },
  {
    // "com.example:Foo(-1) is not a registered function/op" (an operator of a domain onnxruntime lacks)
    code: 'MODEL_OPERATOR_UNSUPPORTED',
    pattern: /(\S+) is not a registered function\/op/,
    explain: (op) => `the model uses operator ${op}, which onnxruntime does not implement`,
  },
  {
    // "Could not find an implementation for Relu(14) node with name ''" (no CPU kernel for those types)
    code: 'MODEL_OPERATOR_UNSUPPORTED',
    pattern: /Could not find an implementation for (\S+\(\d+\))/,
    explain: (op) => `onnxruntime's CPU provider has no kernel for ${op} with the model's element types`,
  },
  {
    // "Opset 27 is under development ... Current official support for domain ai.onnx is till opset 26."
    code: 'MODEL_OPERATOR_UNSUPPORTED',
    pattern: /(Opset \d+) is under development/,
    explain: (opset) => `the model is stamped with ${opset}, newer than onnxruntime supports`,
  },
  {
    code: 'MODEL_OPERATOR_UNSUPPORTED',
    pattern: /(\S+) is not implemented|NOT_IMPLEMENTED : (.+)/,
    explain: (what) => `onnxruntime does not implement ${what}`,
  },
  {
    // "Unsupported data type: 16" (bfloat16 in the node binding)
    code: 'MODEL_DTYPE_UNSUPPORTED',
    pattern: /Unsupported data type: (\d+)/,
    explain: (type) => `an input or output has ONNX element type ${type}, which the runtime does not support`,
  },
  {
    // "MLDataType for: tensor(complex64) is not currently registered or supported"
    code: 'MODEL_DTYPE_UNSUPPORTED',
    pattern: /MLDataType for: (\S+) is not currently registered or supported/,
    explain: (type) => `the model uses ${type}, which the runtime does not support`,
  },
];

/** onnxruntime prefixes some messages with the C++ source location and signature; the text after it is the news. */
function plainMessage(message: string): string {
  const located = /^\/onnxruntime_src\/\S+:\d+ .*?\) (.*)$/s.exec(message);
  return (located?.[1] ?? message).trim();
}

export function sessionCreateError(cause: unknown): ControlPlaneError {
  const message = plainMessage(cause instanceof Error ? cause.message : String(cause));
  for (const rule of RULES) {
    const match = rule.pattern.exec(message);
    if (match !== null) {
      const found = match.slice(1).find((g) => g !== undefined) ?? '';
      return new ControlPlaneError(rule.code, `${rule.explain(found)}: ${message}`, {
        cause,
        details: { onnxruntime: message },
      });
    }
  }
  return new ControlPlaneError('MODEL_LOAD_FAILED', `onnxruntime could not load the model: ${message}`, {
    cause,
    details: { onnxruntime: message },
  });
}
