/**
 * Entry point of the quantize feature: turns fp32 ONNX model bytes into a dynamically quantized int8 variant
 * and reports which nodes were converted and why the others were not.
 */
export {
  type QuantizableOp,
  type QuantizeDynamicOptions,
  type QuantizeDynamicResult,
  type QuantizedNode,
  quantizeDynamic,
  type SkippedNode,
} from './quantize-dynamic.js';
