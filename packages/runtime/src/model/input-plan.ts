// How rows reach an ONNX model's inputs, planned from the inputs' names, element types and shapes.
// Free of onnx-proto: the runtime plans from onnxruntime's own input metadata (the image carries no
// ONNX protobuf classes), `npm run train` and the generator from the file (onnx-inspect.ts).

/** Element types the service can feed (ONNX float, double, int64, string). */
export type FeedType = 'float32' | 'float64' | 'int64' | 'string';

/** One model input: its name, the element type when the service can feed it, that type as text for messages, its dimensions (a number when fixed). */
export interface ModelInput {
  name: string;
  type: FeedType | null;
  typeText: string;
  dims: (number | string)[];
}

const NUMERIC_FEATURES = ['number', 'integer', 'boolean'];
const TEXT_FEATURES = ['category', 'string'];
const quote = (s: string) => JSON.stringify(s);
const list = (xs: string[]) => `[${xs.map(quote).join(', ')}]`;
const shapeText = (v: ModelInput) => `[${v.dims.join(', ')}]`;

/** The parts of the features spec the inspection reads (ModelSpec in the service, ServiceSpec in the generator). */
export interface InspectedSpec {
  task: 'classification' | 'regression';
  classes: string[] | null;
  features: { name: string; type: string }[];
}

/** config.yaml model.outputs: names that override what the inspection would choose. */
export interface OutputNames {
  label?: string;
  probabilities?: string;
  value?: string;
}

/** One problem of the model: the config key (or features.yaml key) to look at and a message with the fix. */
export interface ModelProblem {
  file: 'model' | 'config.yaml' | 'features.yaml';
  key: string;
  message: string;
}

export class ModelInspectionError extends Error {
  override readonly name = 'ModelInspectionError';
  constructor(readonly problems: ModelProblem[]) {
    super(problems.map((p) => `${p.key}: ${p.message}`).join('\n'));
  }
}

/** How rows become the model's inputs. */
export type InputLayout =
  /** One input [N, width]: the preprocessor's values per row, in the input's element type. */
  | { kind: 'matrix'; input: string; type: Exclude<FeedType, 'string'>; width: number }
  /** One input per feature, named after it, [N, 1] each (skl2onnx's ColumnTransformer layout). */
  | { kind: 'columns'; columns: { input: string; feature: string; featureType: string; type: FeedType }[] };

export interface InputPlan {
  layout: InputLayout;
  /** The model takes exactly this many rows per run (a fixed first dimension), or null for any number. */
  batch: number | null;
}

/**
 * How the features (or, for a trained model, the preprocessor's `width` values per row) reach the
 * model's inputs. Throws ModelInspectionError naming each input that cannot be fed and the fix.
 */
export function planInputs(inputs: readonly ModelInput[], spec: InspectedSpec, width = spec.features.length): InputPlan {
  const problems: ModelProblem[] = [];
  const fail = (key: string, message: string) => problems.push({ file: 'model', key, message });
  const byName = new Map(inputs.map((v) => [v.name, v]));
  const featureNames = spec.features.map((f) => f.name);
  const columns = inputs.length > 1 || (inputs.length === 1 && featureNames.length === 1 && byName.has(featureNames[0]!));
  let layout: InputLayout | null = null;

  if (!columns) {
    const v = inputs[0]!;
    const name = v.name;
    const type = v.type;
    const shape = v.dims;
    if (!type || type === 'string')
      fail(
        `input ${quote(name)}`,
        `it takes ${v.typeText} ${shapeText(v)}; a single input is fed as one row of numbers per row (float32, float64 or int64). Fix: export it with FloatTensorType, DoubleTensorType or Int64TensorType, or with one input per feature (named after it).`,
      );
    else if (shape.length !== 2)
      fail(
        `input ${quote(name)}`,
        `it has shape ${shapeText(v)}; the service feeds [N, ${width}] (one row of ${width} values per row). Fix: export it with shape [None, ${width}].`,
      );
    else if (typeof shape[1] === 'number' && shape[1] !== width)
      fail(
        `input ${quote(name)}`,
        width === featureNames.length
          ? `it takes ${shape[1]} values per row; features.yaml declares ${width} features (${list(featureNames)}). Fix: make features.yaml list the model's ${shape[1]} inputs in its order.`
          : `it takes ${shape[1]} values per row; preprocessor.json produces ${width}. Fix: train the model and the preprocessor together (\`npm run train\`).`,
      );
    else layout = { kind: 'matrix', input: name, type, width };
  } else {
    const cols: Extract<InputLayout, { kind: 'columns' }>['columns'] = [];
    for (const f of spec.features) {
      const v = byName.get(f.name);
      if (!v) {
        fail(
          `feature ${quote(f.name)}`,
          `the model has no input named after it (its inputs: ${list([...byName.keys()])}). Fix: name the model's inputs after the features of features.yaml (or rename the feature).`,
        );
        continue;
      }
      const type = v.type;
      const shape = v.dims;
      const fits = type && (type === 'string' ? TEXT_FEATURES.includes(f.type) : NUMERIC_FEATURES.includes(f.type));
      if (!type)
        fail(
          `input ${quote(f.name)}`,
          `it takes ${v.typeText} ${shapeText(v)}, which the service cannot feed. Fix: export it as a string, float, double or int64 tensor [None, 1].`,
        );
      else if (!fits)
        fail(
          `input ${quote(f.name)}`,
          `it takes ${type} and feature ${quote(f.name)} is a ${f.type}. Fix: make the feature ${type === 'string' ? 'a category or string' : 'a number, integer or boolean'} in features.yaml, or export the input as ${type === 'string' ? 'a number' : 'a string'} tensor.`,
        );
      else if (shape.length < 1 || shape.length > 2 || (shape.length === 2 && typeof shape[1] === 'number' && shape[1] !== 1))
        fail(
          `input ${quote(f.name)}`,
          `it has shape ${shapeText(v)}; one input per feature takes [N, 1]. Fix: export it with shape [None, 1].`,
        );
      else cols.push({ input: f.name, feature: f.name, featureType: f.type, type });
    }
    for (const name of byName.keys())
      if (!featureNames.includes(name))
        fail(
          `input ${quote(name)}`,
          `no feature of features.yaml has this name (features: ${list(featureNames)}). Fix: add it to features.yaml, or export one input [N, ${spec.features.length}] or one per feature.`,
        );
    layout = { kind: 'columns', columns: cols };
  }
  const fixed = [...new Set(inputs.map((v) => v.dims[0]).filter((d): d is number => typeof d === 'number'))];
  if (fixed.length > 1)
    fail('model inputs', `they fix different batch sizes (${fixed.join(', ')}). Fix: export them with a dynamic first dimension (None).`);
  if (problems.length) throw new ModelInspectionError(problems);
  return { layout: layout!, batch: fixed[0] ?? null };
}
