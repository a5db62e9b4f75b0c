// What an exported model answers when run directly by onnxruntime-node, to check a service against.
// onnxruntime-node cannot return a ZipMap (a sequence of maps), so its probabilities are read from
// a copy of the model that also outputs the ZipMap's input tensor (the ZipMap itself is left in place).
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export interface DirectAnswer {
  /** The model's own label output, as strings (int64 labels as their digits); null for a regressor. */
  labels: string[] | null;
  /** Probabilities per row in the ZipMap's class order, with that order; null for a regressor. */
  probabilities: number[][] | null;
  classes: string[] | null;
  values: number[] | null;
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** Runs `file` on the rows (`features` in input order), row by row when its batch dimension is fixed. */
export async function runDirect(file: string, features: string[], rows: Record<string, number>[]): Promise<DirectAnswer> {
  const model = onnx.ModelProto.decode(readFileSync(file));
  const graph = model.graph!;
  const zipMap = (graph.node ?? []).find((n) => n.opType === 'ZipMap');
  let classes: string[] | null = null;
  if (zipMap) {
    const attr = (name: string) => (zipMap.attribute ?? []).find((a) => a.name === name);
    classes = (attr('classlabels_strings')?.strings ?? []).map(text);
    if (!classes.length) classes = (attr('classlabels_int64s')?.ints ?? []).map((i) => String(i));
    graph.output!.push({ name: zipMap.input![0]!, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } } });
  }
  const session = await ort.InferenceSession.create(onnx.ModelProto.encode(model).finish());
  const input = session.inputNames[0]!;
  const meta = session.inputMetadata[0] as { shape: (number | string)[] };
  const fixed = typeof meta.shape[0] === 'number' ? meta.shape[0] : null;
  const tensorOutputs = session.outputNames.filter((n) => n !== zipMap?.output?.[0]);
  const labelName = zipMap ? tensorOutputs.find((n) => n !== zipMap.input![0]) : undefined;
  const answer: DirectAnswer = { labels: zipMap ? [] : null, probabilities: zipMap ? [] : null, classes, values: zipMap ? null : [] };
  const groups = fixed ? rows.map((r) => [r]) : [rows];
  try {
    for (const group of groups) {
      const X = Float32Array.from(group.flatMap((r) => features.map((f) => r[f]!)));
      const out = await session.run({ [input]: new ort.Tensor('float32', X, [group.length, features.length]) }, tensorOutputs);
      if (zipMap) {
        const p = out[zipMap.input![0]!]!.data as Float32Array;
        const C = classes!.length;
        group.forEach((_, i) => answer.probabilities!.push(Array.from(p.slice(i * C, (i + 1) * C))));
        answer.labels!.push(...Array.from(out[labelName!]!.data as ArrayLike<unknown>, String));
      } else {
        answer.values!.push(...Array.from(out[tensorOutputs[0]!]!.data as Float32Array));
      }
    }
  } finally {
    await session.release();
  }
  return answer;
}
