import { readFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import { SpecError } from './spec/errors.js';
import type { ServiceSpec } from './spec/types.js';

const { onnx } = onnxProto;

export interface OnnxSignature {
  inputs: { name: string; shape: (number | string)[] }[];
  outputs: string[];
}

/** Reads an ONNX file's graph inputs and outputs (no native runtime needed at generation time). */
export function readOnnxSignature(path: string): OnnxSignature {
  const model = onnx.ModelProto.decode(readFileSync(path));
  const dims = (v: onnxProto.onnx.IValueInfoProto) =>
    (v.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue ?? 0)));
  const initializers = new Set((model.graph?.initializer ?? []).map((t) => t.name));
  return {
    inputs: (model.graph?.input ?? []).filter((v) => !initializers.has(v.name)).map((v) => ({ name: v.name ?? '', shape: dims(v) })),
    outputs: (model.graph?.output ?? []).map((v) => v.name ?? ''),
  };
}

/** Checks a brought model against the features and the configured output names. */
export function checkByoModel(spec: ServiceSpec, path: string, file = 'config.yaml'): OnnxSignature {
  const key = 'model.onnx_path';
  let sig: OnnxSignature;
  try {
    sig = readOnnxSignature(path);
  } catch (e) {
    throw new SpecError([{ file, path: key, message: `cannot read ${JSON.stringify(path)} as an ONNX model (${(e as Error).message}). Fix: point it at a valid .onnx file.` }]);
  }
  const problems = [];
  if (sig.inputs.length !== 1)
    problems.push({ file, path: key, message: `the model has ${sig.inputs.length} inputs (${sig.inputs.map((i) => i.name).join(', ')}); the service feeds one float32 input [N, ${spec.features.length}]. Fix: export the model with a single input.` });
  const width = sig.inputs[0]?.shape[1];
  if (typeof width === 'number' && width > 0 && width !== spec.features.length)
    problems.push({ file, path: key, message: `the model's input "${sig.inputs[0]!.name}" takes ${width} values per row, features.yaml declares ${spec.features.length} features. Fix: make them match.` });
  const out = spec.config.model.outputs;
  const wanted = spec.task === 'classification' ? [['label', out.label], ['probabilities', out.probabilities]] : [['value', out.value]];
  for (const [role, name] of wanted)
    if (!sig.outputs.includes(name!))
      problems.push({ file, path: `model.outputs.${role}`, message: `the model has no output ${JSON.stringify(name)}; its outputs are ${sig.outputs.map((o) => JSON.stringify(o)).join(', ')}. Fix: set model.outputs.${role} to one of them.` });
  if (spec.task === 'classification' && !spec.classes)
    problems.push({ file: 'features.yaml', path: 'classes', message: 'a brought classification model needs its class labels in the order of its probability output. Fix: add `classes: [...]`.' });
  if (problems.length) throw new SpecError(problems);
  return sig;
}
