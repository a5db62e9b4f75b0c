// Open Inference Protocol (KServe V2) tensors <-> feature rows. Pure functions, no fastify.
import type { ErrorDetail } from '../../errors.js';
import { show } from '../../preview.js';
import type { ModelMetadata, Prediction } from '../../model/runtime.js';
import type { Row } from '../../schemas/model-spec.js';
import type { FeatureSpec, FeatureType, ModelSpec } from '../../schemas/model-spec.js';

/** The OIP tensor datatypes. */
export const DATATYPES = [
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP16',
  'FP32',
  'FP64',
  'BYTES',
] as const;
export type Datatype = (typeof DATATYPES)[number];

const INTEGER_TYPES: Datatype[] = ['INT64', 'INT32', 'INT16', 'INT8', 'UINT64', 'UINT32', 'UINT16', 'UINT8'];
const FLOAT_TYPES: Datatype[] = ['FP32', 'FP64', 'FP16'];

/** The datatype a feature is listed with in the model metadata. */
export function datatypeOf(type: FeatureType): Datatype {
  switch (type) {
    case 'number':
      return 'FP32';
    case 'integer':
      return 'INT64';
    case 'boolean':
      return 'BOOL';
    case 'string':
    case 'category':
      return 'BYTES';
  }
}

/**
 * The datatypes an input of a feature may be sent as (the listed one first). A number feature also
 * takes FP64/FP16 and integer types (clients send numpy's float64 and ints as they are); an integer
 * feature takes any integer type; a boolean BOOL; a string or category BYTES.
 */
export function acceptedDatatypes(type: FeatureType): Datatype[] {
  switch (type) {
    case 'number':
      return [...FLOAT_TYPES, ...INTEGER_TYPES];
    case 'integer':
      return INTEGER_TYPES;
    case 'boolean':
      return ['BOOL'];
    case 'string':
    case 'category':
      return ['BYTES'];
  }
}

/** The entity-ID field is not a model input but may be sent as one (BYTES or INT64), like in a /predict row. */
const ID_DATATYPES: Datatype[] = ['BYTES', ...INTEGER_TYPES];

/** Whether one element of `data` is a value of the datatype (in its JSON form). */
function fits(datatype: Datatype, value: unknown): boolean {
  switch (datatype) {
    case 'BOOL':
      return typeof value === 'boolean';
    case 'BYTES':
      return typeof value === 'string';
    case 'FP16':
    case 'FP32':
    case 'FP64':
      return Number.isFinite(value);
    default:
      return Number.isInteger(value) && (!datatype.startsWith('U') || (value as number) >= 0);
  }
}

const DATATYPE_WORDS: Record<string, string> = { BOOL: 'true or false', BYTES: 'a string' };
const expectedElement = (datatype: Datatype): string =>
  DATATYPE_WORDS[datatype] ?? (FLOAT_TYPES.includes(datatype) ? 'a number' : datatype.startsWith('U') ? 'an integer >= 0' : 'an integer');

/** A metadata tensor: `{ name, datatype, shape }` (-1: any size). */
export interface MetadataTensor {
  name: string;
  datatype: Datatype;
  shape: number[];
}

/** The model's inputs: one per feature, in features.yaml order, shape [-1] (one value per row). */
export function metadataInputs(spec: ModelSpec): MetadataTensor[] {
  return spec.features.map((f) => ({ name: f.name, datatype: datatypeOf(f.type), shape: [-1] }));
}

/** The model's outputs: label and probabilities (classification; probabilities when the model has them) or value (regression). */
export function metadataOutputs(meta: ModelMetadata): MetadataTensor[] {
  if (meta.task === 'regression') return [{ name: 'value', datatype: 'FP32', shape: [-1] }];
  const outputs: MetadataTensor[] = [{ name: 'label', datatype: 'BYTES', shape: [-1] }];
  if (meta.onnx.outputs.probabilities) outputs.push({ name: 'probabilities', datatype: 'FP32', shape: [-1, meta.classes?.length ?? -1] });
  return outputs;
}

/** An output tensor of an inference answer. */
export interface OutputTensor {
  name: string;
  datatype: Datatype;
  shape: number[];
  data: (string | number)[];
}

/** The inference request as far as it is understood; anything else in it (parameters, ...) is ignored. */
export interface ParsedRequest {
  id?: string;
  /** One row per element of the batch: own properties, as JSON.parse makes them (a feature may be named `__proto__`). */
  rows: Row[];
  /** Names of the requested outputs, or null for all. */
  outputs: string[] | null;
}

const quote = (name: string): string => JSON.stringify(name);
const shortList = (names: string[], max = 20): string =>
  names.slice(0, max).map(quote).join(', ') + (names.length > max ? `, ... (${names.length - max} more; see GET /v2/models/<name>)` : '');

/**
 * Nested arrays in row-major order as one flat list: the first `keep` values and the count of all.
 * Iterative (a body's nesting must not reach the stack limit), each element visited once.
 */
export function flatten(data: unknown[], keep: number): { values: unknown[]; count: number } {
  if (!data.some(Array.isArray)) return { values: data, count: data.length };
  const values: unknown[] = [];
  let count = 0;
  const stack: { array: unknown[]; next: number }[] = [{ array: data, next: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.next === top.array.length) {
      stack.pop();
      continue;
    }
    const v = top.array[top.next++];
    if (Array.isArray(v)) stack.push({ array: v, next: 0 });
    else if (count++ < keep) values.push(v);
  }
  return { values, count };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const own = (o: Record<string, unknown>, key: string): unknown => (Object.hasOwn(o, key) ? o[key] : undefined);
const defineOwn = (o: object, key: string, value: unknown): void => {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
};

/** A client error of the inference request: its message is the whole OIP error (`{ "error": message }`). */
export class InferRequestError extends Error {
  override name = 'InferRequestError';
}

export interface ParseOptions {
  maxBatchSize: number;
  /** Output names the model answers with (for `outputs` of the request). */
  outputNames: string[];
}

/**
 * Checks the shape of an inference request in the feature-per-input form and turns its inputs into
 * rows. The values themselves (ranges, categories, ...) are checked afterwards by the /predict row
 * validator (see describeRowProblems). Throws InferRequestError.
 */
export function parseInferRequest(body: unknown, spec: ModelSpec, opts: ParseOptions): ParsedRequest {
  const fail = (message: string): never => {
    throw new InferRequestError(message);
  };
  if (!isObject(body)) fail(`the request body must be an inference request object {"inputs": [...]}; got ${show(body)}`);
  const request = body as Record<string, unknown>;
  const id = own(request, 'id');
  if (id !== undefined && typeof id !== 'string') fail(`"id" must be a string; got ${show(id)}`);
  checkParameters(own(request, 'parameters'), '"parameters"', fail);

  const features = new Map<string, FeatureSpec>(spec.features.map((f) => [f.name, f]));
  const allowed = [...features.keys(), ...(spec.idField ? [spec.idField] : [])];

  let outputs: string[] | null = null;
  const requested = own(request, 'outputs');
  if (requested !== undefined) {
    if (!Array.isArray(requested)) fail(`"outputs" must be an array of {"name": ...} objects; got ${show(requested)}`);
    outputs = (requested as unknown[]).map((o, i) => {
      const name = isObject(o) ? own(o, 'name') : undefined;
      if (typeof name !== 'string') return fail(`outputs[${i}] must be an object with a string "name"; got ${show(o)}`);
      checkParameters(own(o as Record<string, unknown>, 'parameters'), `outputs[${i}].parameters`, fail);
      if (!opts.outputNames.includes(name))
        fail(`unknown output ${quote(name)} in "outputs"; this model answers with ${shortList(opts.outputNames)}`);
      return name;
    });
    // The protocol: "If not specified all outputs ... will be returned"; an empty list asks for none of them in particular.
    if (outputs.length === 0) outputs = null;
  }

  const inputs = own(request, 'inputs');
  if (!Array.isArray(inputs)) fail(`"inputs" must be an array of input tensors, one per feature; got ${show(inputs)}`);
  if ((inputs as unknown[]).length === 0) fail(`"inputs" is empty; send one input per feature: ${shortList(allowed)}`);

  const columns = new Map<string, unknown[]>();
  let batch: { size: number; from: string } | null = null;
  (inputs as unknown[]).forEach((input, i) => {
    if (!isObject(input)) fail(`inputs[${i}] must be an input tensor object {"name", "datatype", "shape", "data"}; got ${show(input)}`);
    const tensor = input as Record<string, unknown>;
    const name = own(tensor, 'name');
    if (typeof name !== 'string') return fail(`inputs[${i}] has no string "name"; got ${show(name)}`);
    const label = `input ${quote(name)}`;
    checkParameters(own(tensor, 'parameters'), `${label}: "parameters"`, fail);
    if (columns.has(name)) fail(`${label} appears more than once in "inputs"`);
    const feature = features.get(name);
    if (!feature && name !== spec.idField) fail(`unknown ${label}; this model takes ${shortList(allowed)}`);

    const datatype = own(tensor, 'datatype');
    const accepted = feature ? acceptedDatatypes(feature.type) : ID_DATATYPES;
    if (typeof datatype !== 'string' || !accepted.includes(datatype as Datatype)) {
      const what = feature
        ? `feature ${quote(name)} is ${feature.type === 'category' ? 'a category' : `of type ${feature.type}`}`
        : `the entity ID ${quote(name)}`;
      fail(
        `${label} has datatype ${show(datatype)}; ${what}: send ${accepted[0]}${accepted.length > 1 ? ` (or ${accepted.slice(1).join(', ')})` : ''}`,
      );
    }

    const shape = own(tensor, 'shape');
    const okShape =
      Array.isArray(shape) &&
      (shape.length === 1 || (shape.length === 2 && shape[1] === 1)) &&
      shape.every((d) => Number.isInteger(d) && (d as number) >= 0);
    if (!okShape) fail(`${label} has shape ${show(shape)}; send [N] or [N, 1] with N the number of rows`);
    const n = (shape as number[])[0]!;
    if (n === 0) fail(`${label} has shape ${show(shape)}: the batch is empty; send 1 to ${opts.maxBatchSize} rows`);
    if (n > opts.maxBatchSize)
      fail(`${label} has ${n} rows, over the limit of ${opts.maxBatchSize} rows (service.max_batch_size); split it into smaller requests`);
    if (batch && batch.size !== n)
      fail(
        `${label} has shape ${show(shape)} (${n} rows) but input ${quote(batch.from)} has ${batch.size} rows; every input must have the same first dimension N`,
      );
    batch ??= { size: n, from: name };

    const data = own(tensor, 'data');
    if (Array.isArray(data) && !flatOrNestedTo(data, shape as number[]))
      fail(
        `${label} has data nested as ${nesting(data)} but shape ${show(shape)}; send the ${n} values flat, or nested exactly to the shape ([[v], [v], ...] for [N, 1])`,
      );

    if (!Array.isArray(data)) fail(`${label} has no "data" array; got ${show(data)}`);
    // Row-major nested data ([[1], [2]] for shape [2, 1]) is taken as its flat form.
    const { values, count } = flatten(data as unknown[], n);
    if (count !== n) fail(`${label} has ${count} value${count === 1 ? '' : 's'} in "data" but shape ${show(shape)} holds ${n}`);
    for (let r = 0; r < n; r++)
      if (!fits(datatype as Datatype, values[r]))
        fail(
          `${label}: data[${r}] must be ${expectedElement(datatype as Datatype)} (datatype ${datatype as string}); got ${feature?.redact ? 'a value of another type' : show(values[r])}`,
        );
    columns.set(name, values);
  });

  const missing = spec.features.filter((f) => f.required && !columns.has(f.name));
  if (missing.length > 0)
    fail(
      `missing input${missing.length > 1 ? 's' : ''} ${shortList(missing.map((f) => f.name))}: every required feature is an input (datatype ${datatypeOf(missing[0]!.type)}, shape [N])`,
    );

  const n = batch!.size;
  const rows: Row[] = new Array(n);
  for (let r = 0; r < n; r++) {
    const row = {};
    for (const [name, values] of columns) defineOwn(row, name, values[r]);
    rows[r] = row as Row;
  }
  return { ...(id === undefined ? {} : { id: id as string }), rows, outputs };
}

/** `parameters` (of the request, an input or an output): absent, or an object of string, number or boolean values. */
function checkParameters(value: unknown, where: string, fail: (message: string) => never): void {
  if (value === undefined) return;
  if (!isObject(value)) fail(`${where} must be an object of string, number or boolean values; got ${show(value)}`);
  for (const [key, v] of Object.entries(value as Record<string, unknown>))
    if (typeof v !== 'string' && typeof v !== 'boolean' && !(typeof v === 'number' && Number.isFinite(v)))
      fail(`${where}: ${quote(key)} must be a string, number or boolean; got ${show(v)}`);
}

/** Row-major data is flat, or nested exactly to the shape (each level an array of that dimension's length). */
function flatOrNestedTo(data: unknown[], shape: number[]): boolean {
  if (!data.some(Array.isArray)) return true;
  if (shape.length !== 2 || data.length !== shape[0]) return false;
  return data.every((inner) => Array.isArray(inner) && inner.length === shape[1] && !inner.some(Array.isArray));
}

/** How data is nested, for a message: [outer length, inner length of the first nested element]. */
function nesting(data: unknown[]): string {
  const inner = data.find(Array.isArray) as unknown[];
  return `[${data.length}, ${inner.length}${inner.some(Array.isArray) ? ', ...' : ''}]`;
}

/**
 * The /predict validator's details as one OIP error sentence, naming the input and the element:
 * `input "x": data[3] must be <= 10; got 12`. Values of a redacted feature are not quoted.
 */
export function describeRowProblems(details: ErrorDetail[], spec: ModelSpec): string {
  const first = details[0];
  if (!first) return 'the inputs do not match the model';
  const feature = first.field === undefined ? undefined : spec.features.find((f) => f.name === first.field);
  const message = feature?.redact ? first.message.replace(/; got .*$/s, '') : first.message;
  const where = first.field === undefined ? 'inputs' : `input ${quote(first.field)}`;
  const element = first.row === undefined ? '' : `: data[${first.row}]`;
  const more = details.length > 1 ? ` (${details.length - 1} more problem${details.length > 2 ? 's' : ''})` : '';
  return `${where}${element} ${message}${more}`;
}

/**
 * The answer's output tensors from the runtime's predictions. Probabilities are [N, C] in the order
 * of the model's classes (metadata.json), so the runtime must have been asked for all classes.
 */
export function outputTensors(predictions: Prediction[], meta: ModelMetadata, requested: string[] | null): OutputTensor[] {
  const n = predictions.length;
  const want = (name: string) => requested === null || requested.includes(name);
  const outputs: OutputTensor[] = [];
  if (meta.task === 'regression') {
    if (want('value')) outputs.push({ name: 'value', datatype: 'FP32', shape: [n], data: predictions.map((p) => p.value!) });
    return outputs;
  }
  if (want('label')) outputs.push({ name: 'label', datatype: 'BYTES', shape: [n], data: predictions.map((p) => p.label ?? '') });
  if (meta.onnx.outputs.probabilities && want('probabilities')) {
    const classes = meta.classes ?? [];
    const C = classes.length;
    const data: number[] = new Array(n * C);
    for (let i = 0; i < n; i++) {
      const probabilities = predictions[i]!.probabilities ?? {};
      for (let c = 0; c < C; c++) {
        const p = Object.getOwnPropertyDescriptor(probabilities, classes[c]!)?.value;
        data[i * C + c] = typeof p === 'number' ? p : 0;
      }
    }
    outputs.push({ name: 'probabilities', datatype: 'FP32', shape: [n, C], data });
  }
  return outputs;
}
