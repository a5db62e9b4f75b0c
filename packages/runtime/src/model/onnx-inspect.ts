// What the service needs to know about an ONNX model, read from the file itself with onnx-proto:
// how its inputs take the features, which outputs are label / probabilities / value, its class
// labels, a fixed batch size, and a ZipMap to take off. The generator checks a brought model with
// this same file (copied by its build), `npm run train` packs it with it, and the runtime reads its
// input layout with it, so a model means the same thing at all three.
import onnxProto from 'onnx-proto';
import {
  ModelInspectionError,
  planInputs,
  type FeedType,
  type InputPlan,
  type InspectedSpec,
  type ModelInput,
  type ModelProblem,
  type OutputNames,
} from './input-plan.js';

export {
  ModelInspectionError,
  type FeedType,
  type InputLayout,
  type InputPlan,
  type InspectedSpec,
  type ModelProblem,
  type OutputNames,
} from './input-plan.js';

const { onnx } = onnxProto;
type Graph = onnxProto.onnx.IGraphProto;
type Model = onnxProto.onnx.IModelProto;
type Node = onnxProto.onnx.INodeProto;
type ValueInfo = onnxProto.onnx.IValueInfoProto;

const FEED_TYPES: Record<number, FeedType> = {
  [onnx.TensorProto.DataType.FLOAT]: 'float32',
  [onnx.TensorProto.DataType.DOUBLE]: 'float64',
  [onnx.TensorProto.DataType.INT64]: 'int64',
  [onnx.TensorProto.DataType.STRING]: 'string',
};

export interface ModelPlan extends InputPlan {
  /** Output names of the model as it is served (after the ZipMap is taken off). */
  outputs: OutputNames;
  /** Class labels in the order of the probability output, as the service answers them. */
  classes: string[] | null;
  /** The model's own labels (int64 ones as digits), in the same order: what its label output holds. Null when it names none. */
  labelValues: string[] | null;
  /** The ZipMap node whose input tensor is served in place of its output, or null. */
  zipMap: { output: string; input: string } | null;
}

const quote = (s: string) => JSON.stringify(s);
const list = (xs: string[]) => `[${xs.map(quote).join(', ')}]`;

/** Decodes an ONNX file; anything that is not a model with a graph, inputs and outputs is refused. */
export function decodeModel(bytes: Uint8Array): Model {
  let model: Model;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new ModelInspectionError([
      {
        file: 'model',
        key: 'model.onnx_path',
        message: `it is not an ONNX model (${(e as Error).message}). Fix: point model.onnx_path at a .onnx file exported by skl2onnx, onnxmltools or torch.onnx.`,
      },
    ]);
  }
  if (!model.graph || !(model.graph.input ?? []).length || !(model.graph.output ?? []).length)
    throw new ModelInspectionError([
      {
        file: 'model',
        key: 'model.onnx_path',
        message:
          'it is not an ONNX model (no graph with inputs and outputs). Fix: point model.onnx_path at a .onnx file exported by skl2onnx, onnxmltools or torch.onnx.',
      },
    ]);
  return model;
}

const dims = (v: ValueInfo): (number | string)[] =>
  (v.type?.tensorType?.shape?.dim ?? []).map((d) =>
    d.dimValue != null && Number(d.dimValue) > 0 ? Number(d.dimValue) : d.dimParam || '?',
  );
const typeName = (v: ValueInfo): string => {
  if (v.type?.sequenceType) return 'a sequence (of maps: a ZipMap?)';
  if (v.type?.mapType) return 'a map';
  const t = v.type?.tensorType?.elemType ?? 0;
  return FEED_TYPES[t] ?? `${onnx.TensorProto.DataType[t] ?? t}`.toLowerCase();
};

/** The graph's real inputs (initializers listed as inputs by older exporters are not fed). */
export function graphInputs(graph: Graph): ValueInfo[] {
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  return (graph.input ?? []).filter((v) => !initializers.has(v.name));
}

const shapeText = (v: ValueInfo) => `[${dims(v).join(', ')}]`;

/** A graph input as the input planner reads it. */
const modelInput = (v: ValueInfo): ModelInput => ({
  name: v.name ?? '',
  type: FEED_TYPES[v.type?.tensorType?.elemType ?? 0] ?? null,
  typeText: typeName(v),
  dims: dims(v),
});

/** How the features reach the graph's inputs (see planInputs). */
export const inspectInputs = (graph: Graph, spec: InspectedSpec, width = spec.features.length): InputPlan =>
  planInputs(graphInputs(graph).map(modelInput), spec, width);

const LABEL_NAMES = ['output_label', 'label', 'labels'];
const PROBABILITY_NAMES = ['output_probability', 'probabilities', 'probability', 'output_probabilities'];
const VALUE_NAMES = ['variable', 'value', 'output', 'predictions', 'prediction'];

const attr = (node: Node, name: string) => (node.attribute ?? []).find((a) => a.name === name);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** Class labels a ZipMap or an ai.onnx.ml classifier node carries, as strings, with their kind. */
function nodeClasses(node: Node): { labels: string[]; kind: 'string' | 'int64' } | null {
  const strings = attr(node, 'classlabels_strings')?.strings ?? [];
  if (strings.length) return { labels: strings.map(text), kind: 'string' };
  const ints = attr(node, 'classlabels_int64s')?.ints ?? attr(node, 'classlabels_ints')?.ints ?? [];
  if (ints.length) return { labels: ints.map((i) => String(i)), kind: 'int64' };
  return null;
}

const isMl = (n: Node) => n.domain === 'ai.onnx.ml';

/**
 * Inspects a model: input layout, which outputs to serve, its classes and a ZipMap to take off.
 * `overrides` is config.yaml model.outputs. Throws ModelInspectionError with every problem found.
 */
export function inspectModel(model: Model, spec: InspectedSpec, overrides: OutputNames = {}, width?: number): ModelPlan {
  const graph = model.graph!;
  const problems: ModelProblem[] = [];
  let inputs: InputPlan | null = null;
  try {
    inputs = inspectInputs(graph, spec, width);
  } catch (e) {
    if (!(e instanceof ModelInspectionError)) throw e;
    problems.push(...e.problems);
  }
  const outputs = new Map((graph.output ?? []).map((v) => [v.name ?? '', v]));
  const names = [...outputs.keys()];
  const producer = new Map<string, Node>();
  for (const n of graph.node ?? []) for (const o of n.output ?? []) producer.set(o, n);
  const described = names.map((n) => `${quote(n)} (${typeName(outputs.get(n)!)} ${shapeText(outputs.get(n)!)})`).join(', ');
  const fail = (key: string, message: string) => problems.push({ file: 'config.yaml', key, message });
  const isTensor = (name: string) => Boolean(outputs.get(name)?.type?.tensorType);
  const zipMapOf = (name: string) => {
    const n = producer.get(name);
    return n && n.opType === 'ZipMap' && isMl(n) ? n : null;
  };
  /** The output for a role: the override, else the one conventional name present, else the classifier node's. */
  const choose = (role: keyof OutputNames, conventional: string[], fallback: () => string | undefined): string | undefined => {
    const given = overrides[role];
    if (given) {
      if (!outputs.has(given))
        fail(
          `model.outputs.${role}`,
          `the model has no output ${quote(given)}; its outputs: ${described}. Fix: set model.outputs.${role} to one of them, or remove it to let the service choose.`,
        );
      return given;
    }
    const found = conventional.filter((n) => outputs.has(n));
    return found.length === 1 ? found[0] : fallback();
  };

  const served: OutputNames = {};
  let classes: string[] | null = null;
  let labelValues: string[] | null = null;
  let zipMap: ModelPlan['zipMap'] = null;
  if (spec.task === 'regression') {
    const tensors = names.filter(isTensor);
    const value = choose('value', VALUE_NAMES, () => (tensors.length === 1 ? tensors[0] : undefined));
    if (!value)
      fail(
        'model.outputs.value',
        `cannot tell which output is the predicted value; the model's outputs: ${described}. Fix: set model.outputs.value to one of them.`,
      );
    else if (outputs.has(value) && !isNumericTensor(outputs.get(value)!))
      fail(
        'model.outputs.value',
        `output ${quote(value)} is ${typeName(outputs.get(value)!)}, not a number tensor. Fix: set model.outputs.value to the model's float output (outputs: ${described}).`,
      );
    else served.value = value;
  } else {
    const classifier = (graph.node ?? []).find((n) => isMl(n) && /Classifier$/.test(n.opType ?? ''));
    const graphOutput = (name: string | null | undefined) => (name && outputs.has(name) ? name : undefined);
    const zipMaps = names.filter(zipMapOf);
    const probabilities = choose('probabilities', PROBABILITY_NAMES, () =>
      zipMaps.length === 1 ? zipMaps[0] : graphOutput(classifier?.output?.[1]),
    );
    const label = choose('label', LABEL_NAMES, () => graphOutput(classifier?.output?.[0]));
    let modelClasses = classifier ? nodeClasses(classifier) : null;
    if (probabilities && outputs.has(probabilities)) {
      const zm = zipMapOf(probabilities);
      if (zm) {
        zipMap = { output: probabilities, input: zm.input![0]! };
        modelClasses = nodeClasses(zm) ?? modelClasses;
        served.probabilities = zipMap.input;
      } else if (!isNumericTensor(outputs.get(probabilities)!))
        fail(
          'model.outputs.probabilities',
          `output ${quote(probabilities)} is ${typeName(outputs.get(probabilities)!)}, not a float tensor [N, classes]. Fix: set model.outputs.probabilities to the model's probability tensor (outputs: ${described}).`,
        );
      else served.probabilities = probabilities;
    }
    if (label && outputs.has(label)) {
      if (!isTensor(label))
        fail(
          'model.outputs.label',
          `output ${quote(label)} is ${typeName(outputs.get(label)!)}, not a tensor. Fix: set model.outputs.label to the model's label tensor (outputs: ${described}).`,
        );
      else served.label = label;
    }
    if (!probabilities && !label)
      fail(
        'model.outputs',
        `cannot tell which output holds the probabilities or the label; the model's outputs: ${described}. Fix: set model.outputs.probabilities (a float tensor [N, classes]) and/or model.outputs.label in config.yaml.`,
      );
    classes = classesFor(spec.classes, modelClasses, problems);
    labelValues = modelClasses?.labels ?? null;
    const width = served.probabilities && outputs.has(served.probabilities) ? dims(outputs.get(served.probabilities)!).at(-1) : undefined;
    if (classes && typeof width === 'number' && width !== classes.length)
      problems.push({
        file: 'features.yaml',
        key: 'classes',
        message: `output ${quote(served.probabilities!)} gives ${width} probabilities per row; the classes are ${list(classes)}. Fix: list the model's ${width} classes in the order of that output.`,
      });
  }
  if (problems.length) throw new ModelInspectionError(problems);
  return { ...inputs!, outputs: served, classes, labelValues, zipMap };
}

function isNumericTensor(v: ValueInfo): boolean {
  const t = FEED_TYPES[v.type?.tensorType?.elemType ?? 0];
  return t === 'float32' || t === 'float64';
}

/** The classes served: features.yaml's when they agree with the model's, else the model's (int64 labels as strings). */
function classesFor(
  given: string[] | null,
  model: { labels: string[]; kind: 'string' | 'int64' } | null,
  problems: ModelProblem[],
): string[] | null {
  if (!model) {
    if (!given)
      problems.push({
        file: 'features.yaml',
        key: 'classes',
        message:
          'the model does not name its classes (no ZipMap or classifier node with classlabels_*). Fix: add `classes: [...]` to features.yaml, in the order of its probability output.',
      });
    return given;
  }
  if (!given) return model.labels;
  const same = given.length === model.labels.length && given.every((c, i) => c === model.labels[i]);
  // int64 labels carry no names: features.yaml may name them, one per label in the model's order.
  if (same || (model.kind === 'int64' && given.length === model.labels.length)) return given;
  problems.push({
    file: 'features.yaml',
    key: 'classes',
    message: `features.yaml lists ${list(given)}; the model's classes are ${list(model.labels)}. Fix: ${model.kind === 'int64' ? `give ${model.labels.length} names, in the model's order, or` : "list the model's classes in its order, or"} remove \`classes\` to take the model's.`,
  });
  return null;
}

/** The model as served: the ZipMap taken off, its input tensor [N, classes] an output instead. The input bytes are not changed. */
export function servedModel(model: Model, plan: ModelPlan): Uint8Array {
  if (!plan.zipMap) return onnx.ModelProto.encode(model).finish();
  const copy = onnx.ModelProto.decode(onnx.ModelProto.encode(model).finish());
  const graph = copy.graph!;
  const { output, input } = plan.zipMap;
  graph.node = (graph.node ?? []).filter((n) => !(n.opType === 'ZipMap' && (n.output ?? []).includes(output)));
  const batch = plan.batch ?? 'N';
  const width = plan.classes?.length;
  const tensor = onnx.ValueInfoProto.create({
    name: input,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: {
          dim: [typeof batch === 'number' ? { dimValue: batch } : { dimParam: batch }, width ? { dimValue: width } : { dimParam: 'C' }],
        },
      },
    },
  });
  const outs = graph.output ?? [];
  graph.output = outs.flatMap((v) => (v.name !== output ? [v] : outs.some((o) => o.name === input) ? [] : [tensor]));
  return onnx.ModelProto.encode(copy).finish();
}
