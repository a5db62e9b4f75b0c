// Writes small ONNX graphs (softmax regression, linear regression) from weights, with onnx-proto.
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** Opset and IR version of the written models (ONNX 1.8 level; onnxruntime 1.30 runs them). */
export const OPSET_VERSION = 13;
export const IR_VERSION = 7;
export const PRODUCER_NAME = 'generator-mlservice';

/** Names of the graphs' input and outputs (what metadata.json records in `onnx`). */
export const ONNX_NAMES = { input: 'input', probabilities: 'probabilities', label: 'label', value: 'value' } as const;

/** Weights of `X[N, F] @ W[F, K] + b[K]`: `weights` is row-major F x K. */
export interface LinearWeights {
  features: number;
  outputs: number;
  weights: Float32Array | number[];
  bias: Float32Array | number[];
}

type Dim = number | string;

function valueInfo(name: string, elemType: number, dims: Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

function floatInitializer(name: string, dims: number[], values: Float32Array | number[]): onnxProto.onnx.ITensorProto {
  const data = Float32Array.from(values);
  const expected = dims.reduce((a, b) => a * b, 1);
  if (data.length !== expected) throw new Error(`initializer ${name}: ${data.length} values for shape [${dims.join(', ')}]`);
  // ONNX raw_data is little-endian, as are the platforms onnxruntime-node ships for.
  return { name, dataType: onnx.TensorProto.DataType.FLOAT, dims, rawData: new Uint8Array(data.buffer) };
}

function checkWeights(w: LinearWeights): void {
  if (!Number.isInteger(w.features) || w.features < 1) throw new Error(`features must be a positive integer; got ${w.features}`);
  if (!Number.isInteger(w.outputs) || w.outputs < 1) throw new Error(`outputs must be a positive integer; got ${w.outputs}`);
  if (w.weights.length !== w.features * w.outputs)
    throw new Error(`weights: expected ${w.features * w.outputs} values (F x K); got ${w.weights.length}`);
  if (w.bias.length !== w.outputs) throw new Error(`bias: expected ${w.outputs} values; got ${w.bias.length}`);
}

function encodeModel(graph: onnxProto.onnx.IGraphProto, docString: string): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    producerName: PRODUCER_NAME,
    producerVersion: '1',
    docString,
    opsetImport: [{ domain: '', version: OPSET_VERSION }],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}

/**
 * Softmax regression: input float32 [N, F] -> MatMul(W) -> Add(b) -> Softmax(axis 1) ->
 * "probabilities" float32 [N, C], and ArgMax(axis 1) -> "label" int64 [N] (the class index).
 */
export function buildSoftmaxRegression(w: LinearWeights): Uint8Array {
  checkWeights(w);
  const { input, probabilities, label } = ONNX_NAMES;
  const graph: onnxProto.onnx.IGraphProto = {
    name: 'softmax_regression',
    input: [valueInfo(input, onnx.TensorProto.DataType.FLOAT, ['N', w.features])],
    output: [
      valueInfo(probabilities, onnx.TensorProto.DataType.FLOAT, ['N', w.outputs]),
      valueInfo(label, onnx.TensorProto.DataType.INT64, ['N']),
    ],
    initializer: [floatInitializer('W', [w.features, w.outputs], w.weights), floatInitializer('b', [w.outputs], w.bias)],
    node: [
      { opType: 'MatMul', input: [input, 'W'], output: ['xw'], name: 'matmul' },
      { opType: 'Add', input: ['xw', 'b'], output: ['logits'], name: 'add' },
      {
        opType: 'Softmax',
        input: ['logits'],
        output: [probabilities],
        name: 'softmax',
        attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }],
      },
      {
        opType: 'ArgMax',
        input: [probabilities],
        output: [label],
        name: 'argmax',
        attribute: [
          { name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 },
          { name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 },
        ],
      },
    ],
  };
  return encodeModel(graph, `softmax regression: ${w.features} inputs, ${w.outputs} classes`);
}

/** Linear regression: input float32 [N, F] -> MatMul(W[F, 1]) -> Add(b[1]) -> "value" float32 [N, 1]. */
export function buildLinearRegression(w: Omit<LinearWeights, 'outputs'>): Uint8Array {
  const full = { ...w, outputs: 1 };
  checkWeights(full);
  const { input, value } = ONNX_NAMES;
  const graph: onnxProto.onnx.IGraphProto = {
    name: 'linear_regression',
    input: [valueInfo(input, onnx.TensorProto.DataType.FLOAT, ['N', w.features])],
    output: [valueInfo(value, onnx.TensorProto.DataType.FLOAT, ['N', 1])],
    initializer: [floatInitializer('W', [w.features, 1], w.weights), floatInitializer('b', [1], w.bias)],
    node: [
      { opType: 'MatMul', input: [input, 'W'], output: ['xw'], name: 'matmul' },
      { opType: 'Add', input: ['xw', 'b'], output: [value], name: 'add' },
    ],
  };
  return encodeModel(graph, `linear regression: ${w.features} inputs`);
}
