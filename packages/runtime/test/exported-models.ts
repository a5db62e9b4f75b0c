// ONNX models in the layouts skl2onnx and onnxmltools write with their default options (ai.onnx.ml
// operators, ZipMap, one input per ColumnTransformer column, float64 / int64 inputs, a fixed batch),
// built with onnx-proto for the tests, with the arithmetic to check their answers against.
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
const T = onnx.TensorProto.DataType;
const A = onnx.AttributeProto.AttributeType;
type Dim = number | string;

const tensor = (name: string, elemType: number, dims: Dim[]): onnxProto.onnx.IValueInfoProto => ({
  name,
  type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
});
const zipMapOutput = (name: string, keyType: number): onnxProto.onnx.IValueInfoProto => ({
  name,
  type: { sequenceType: { elemType: { mapType: { keyType, valueType: { tensorType: { elemType: T.FLOAT } } } } } },
});
const floats = (name: string, values: number[]) => ({ name, type: A.FLOATS, floats: values });
const ints = (name: string, values: number[]) => ({ name, type: A.INTS, ints: values });
const strings = (name: string, values: string[]) => ({ name, type: A.STRINGS, strings: values.map((v) => new TextEncoder().encode(v)) });
const str = (name: string, value: string) => ({ name, type: A.STRING, s: new TextEncoder().encode(value) });
const int = (name: string, value: number) => ({ name, type: A.INT, i: value });

function encode(graph: onnxProto.onnx.IGraphProto): Uint8Array {
  return onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: 7,
      producerName: 'skl2onnx-layout test model',
      opsetImport: [
        { domain: '', version: 13 },
        { domain: 'ai.onnx.ml', version: 1 },
      ],
      graph,
    }),
  ).finish();
}

/** An ai.onnx.ml LinearClassifier with softmax scores, as skl2onnx writes a LogisticRegression. */
const softmaxClassifier = (
  input: string,
  output: [string, string],
  coefficients: number[],
  intercepts: number[],
  labels: onnxProto.onnx.IAttributeProto,
): onnxProto.onnx.INodeProto => ({
  opType: 'LinearClassifier',
  domain: 'ai.onnx.ml',
  input: [input],
  output,
  name: 'linear_classifier',
  attribute: [
    floats('coefficients', coefficients),
    floats('intercepts', intercepts),
    labels,
    int('multi_class', 0),
    str('post_transform', 'SOFTMAX'),
  ],
});

/** Softmax of the scores x·W + b, W row-major classes x features (LinearClassifier's `coefficients`). */
export function softmaxScores(x: number[], coefficients: number[], intercepts: number[]): number[] {
  const F = x.length;
  const z = intercepts.map((b, c) => b + x.reduce((s, xj, j) => s + xj * coefficients[c * F + j]!, 0));
  const max = Math.max(...z);
  const e = z.map((v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

/** One string input and one float input per feature (skl2onnx's ColumnTransformer layout): OneHotEncoder + Concat + LinearClassifier + ZipMap. */
export const COLUMNS_CLASSIFIER = {
  colours: ['red', 'green', 'blue'],
  classes: ['small', 'large'],
  // per class: [size, red, green, blue]
  coefficients: [-1.5, 0.8, -0.2, 0.1, 1.5, -0.8, 0.2, -0.1],
  intercepts: [2, -2],
  /** The model's input vector of one row: size, then the one-hot colour. */
  x: (row: { size: number; colour: string }) => [row.size, ...COLUMNS_CLASSIFIER.colours.map((c) => (c === row.colour ? 1 : 0))],
  build(): Uint8Array {
    const m = COLUMNS_CLASSIFIER;
    return encode({
      name: 'column_transformer_logreg',
      input: [tensor('colour', T.STRING, ['N', 1]), tensor('size', T.FLOAT, ['N', 1])],
      output: [tensor('output_label', T.STRING, ['N']), zipMapOutput('output_probability', T.STRING)],
      node: [
        {
          opType: 'OneHotEncoder',
          domain: 'ai.onnx.ml',
          input: ['colour'],
          output: ['colour_onehot'],
          name: 'onehot',
          attribute: [strings('cats_strings', m.colours), int('zeros', 1)],
        },
        { opType: 'Flatten', input: ['colour_onehot'], output: ['colour_flat'], name: 'flatten', attribute: [int('axis', 1)] },
        { opType: 'Concat', input: ['size', 'colour_flat'], output: ['features'], name: 'concat', attribute: [int('axis', 1)] },
        softmaxClassifier(
          'features',
          ['label', 'probability_tensor'],
          m.coefficients,
          m.intercepts,
          strings('classlabels_strings', m.classes),
        ),
        { opType: 'Identity', input: ['label'], output: ['output_label'], name: 'label_identity' },
        {
          opType: 'ZipMap',
          domain: 'ai.onnx.ml',
          input: ['probability_tensor'],
          output: ['output_probability'],
          name: 'zipmap',
          attribute: [strings('classlabels_strings', m.classes)],
        },
      ],
    });
  },
};

/** A float64 input [N, 2] and a float64 output (a regression exported with DoubleTensorType). */
export const DOUBLE_REGRESSOR = {
  weights: [0.123456789012, -2.5],
  bias: 1e-3,
  value: (x: number[]) => DOUBLE_REGRESSOR.bias + x[0]! * DOUBLE_REGRESSOR.weights[0]! + x[1]! * DOUBLE_REGRESSOR.weights[1]!,
  build(): Uint8Array {
    const m = DOUBLE_REGRESSOR;
    return encode({
      name: 'double_regressor',
      input: [tensor('input', T.DOUBLE, ['N', 2])],
      output: [tensor('variable', T.DOUBLE, ['N', 1])],
      initializer: [
        { name: 'W', dataType: T.DOUBLE, dims: [2, 1], doubleData: m.weights },
        { name: 'b', dataType: T.DOUBLE, dims: [1], doubleData: [m.bias] },
      ],
      node: [
        { opType: 'MatMul', input: ['input', 'W'], output: ['xw'], name: 'matmul' },
        { opType: 'Add', input: ['xw', 'b'], output: ['variable'], name: 'add' },
      ],
    });
  },
};

/** An int64 input [N, 2] (Int64TensorType), int64 class labels 3 and 7, ZipMap (or, labelOnly, the label output alone). */
export const INT64_CLASSIFIER = {
  labels: [3, 7],
  coefficients: [0.5, -0.25, -0.5, 0.25],
  intercepts: [0.1, -0.1],
  build(labelOnly = false): Uint8Array {
    const m = INT64_CLASSIFIER;
    return encode({
      name: 'int64_input_classifier',
      input: [tensor('input', T.INT64, ['N', 2])],
      output: [tensor('output_label', T.INT64, ['N']), ...(labelOnly ? [] : [zipMapOutput('output_probability', T.INT64)])],
      node: [
        { opType: 'Cast', input: ['input'], output: ['input_float'], name: 'cast', attribute: [int('to', T.FLOAT)] },
        softmaxClassifier('input_float', ['label', 'probabilities'], m.coefficients, m.intercepts, ints('classlabels_ints', m.labels)),
        { opType: 'Cast', input: ['label'], output: ['output_label'], name: 'label_cast', attribute: [int('to', T.INT64)] },
        {
          opType: 'ZipMap',
          domain: 'ai.onnx.ml',
          input: ['probabilities'],
          output: ['output_probability'],
          name: 'zipmap',
          attribute: [ints('classlabels_int64s', m.labels)],
        },
      ],
    });
  },
};

/** A fixed batch of 3 rows ([3, 2], as older exports wrote): LinearRegressor -> variable [3, 1]. */
export const FIXED_BATCH_REGRESSOR = {
  batch: 3,
  coefficients: [2, -1],
  intercept: 0.5,
  value: (x: number[]) =>
    FIXED_BATCH_REGRESSOR.intercept + x[0]! * FIXED_BATCH_REGRESSOR.coefficients[0]! + x[1]! * FIXED_BATCH_REGRESSOR.coefficients[1]!,
  build(): Uint8Array {
    const m = FIXED_BATCH_REGRESSOR;
    return encode({
      name: 'fixed_batch_regressor',
      input: [tensor('input', T.FLOAT, [m.batch, 2])],
      output: [tensor('variable', T.FLOAT, [m.batch, 1])],
      node: [
        {
          opType: 'LinearRegressor',
          domain: 'ai.onnx.ml',
          input: ['input'],
          output: ['variable'],
          name: 'linear_regressor',
          attribute: [floats('coefficients', m.coefficients), floats('intercepts', [m.intercept]), int('targets', 1)],
        },
      ],
    });
  },
};

/** Bad models: an int32 input (which the service does not feed) and a model whose only output is a ZipMap-less map. */
export const BAD_MODELS = {
  int32Input(): Uint8Array {
    return encode({
      name: 'int32_input',
      input: [tensor('input', T.INT32, ['N', 2])],
      output: [tensor('variable', T.FLOAT, ['N', 2])],
      node: [{ opType: 'Cast', input: ['input'], output: ['variable'], name: 'cast', attribute: [int('to', T.FLOAT)] }],
    });
  },
  /** A classifier whose outputs are not the conventional names and come from no classifier node. */
  noUsableOutput(): Uint8Array {
    return encode({
      name: 'no_usable_output',
      input: [tensor('input', T.FLOAT, ['N', 2])],
      output: [tensor('scores_a', T.FLOAT, ['N', 2]), tensor('scores_b', T.FLOAT, ['N', 2])],
      node: [
        { opType: 'Identity', input: ['input'], output: ['scores_a'], name: 'a' },
        { opType: 'Relu', input: ['input'], output: ['scores_b'], name: 'b' },
      ],
    });
  },
};
