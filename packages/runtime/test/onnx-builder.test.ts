// The ONNX graphs the builder writes, run by the real onnxruntime, against a hand computation.
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { ONNX_NAMES, buildLinearRegression, buildSoftmaxRegression } from '../src/model/onnx-builder.js';

const F = 3;
const C = 4;
const N = 5;
// Arbitrary weights and inputs (not produced by the code under test).
const W = [0.5, -1.2, 0.3, 2.0, -0.7, 0.4, 1.1, -0.2, 0.9, 0.0, -1.5, 0.6];
const b = [0.1, -0.3, 0.25, 0.0];
const X = [1, 2, 3, -1, 0.5, 2, 0, 0, 0, 4, -2, 1, 0.3, 0.3, -0.3];

function handLogits(row: number): number[] {
  return Array.from({ length: C }, (_, c) => b[c]! + [0, 1, 2].reduce((s, j) => s + X[row * F + j]! * W[j * C + c]!, 0));
}

async function run(bytes: Uint8Array, fetches: string[]) {
  const session = await ort.InferenceSession.create(bytes);
  try {
    return await session.run({ [ONNX_NAMES.input]: new ort.Tensor('float32', Float32Array.from(X), [N, F]) }, fetches);
  } finally {
    await session.release();
  }
}

describe('buildSoftmaxRegression', () => {
  it('computes softmax(XW + b) and its argmax as int64', async () => {
    const out = await run(buildSoftmaxRegression({ features: F, outputs: C, weights: W, bias: b }), [
      ONNX_NAMES.probabilities,
      ONNX_NAMES.label,
    ]);
    const probs = out[ONNX_NAMES.probabilities]!;
    const labels = out[ONNX_NAMES.label]!;
    expect(probs.dims).toEqual([N, C]);
    expect(labels.type).toBe('int64');
    expect(labels.data).toBeInstanceOf(BigInt64Array);
    for (let i = 0; i < N; i++) {
      const z = handLogits(i);
      const max = Math.max(...z);
      const e = z.map((v) => Math.exp(v - max));
      const sum = e.reduce((a, v) => a + v, 0);
      const row = Array.from((probs.data as Float32Array).subarray(i * C, i * C + C));
      row.forEach((p, c) => expect(p).toBeCloseTo(e[c]! / sum, 5));
      expect(row.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 5);
      expect(Number((labels.data as BigInt64Array)[i])).toBe(z.indexOf(max));
    }
  });

  it('declares its input and outputs with a symbolic batch dimension', async () => {
    const session = await ort.InferenceSession.create(buildSoftmaxRegression({ features: F, outputs: C, weights: W, bias: b }));
    expect(session.inputNames).toEqual([ONNX_NAMES.input]);
    expect(session.outputNames).toEqual([ONNX_NAMES.probabilities, ONNX_NAMES.label]);
    const input = session.inputMetadata[0]!;
    expect(input.isTensor && input.type).toBe('float32');
    expect(input.isTensor && input.shape[1]).toBe(F);
    await session.release();
  });

  it('refuses weights of the wrong size', () => {
    expect(() => buildSoftmaxRegression({ features: F, outputs: C, weights: W.slice(1), bias: b })).toThrow(/weights: expected 12 values/);
    expect(() => buildSoftmaxRegression({ features: F, outputs: C, weights: W, bias: [1] })).toThrow(/bias: expected 4 values/);
  });
});

describe('buildLinearRegression', () => {
  it('computes XW + b as float32 [N, 1]', async () => {
    const w = [1.5, -2, 0.25];
    const bias = [3];
    const out = (await run(buildLinearRegression({ features: F, weights: w, bias }), [ONNX_NAMES.value]))[ONNX_NAMES.value]!;
    expect(out.dims).toEqual([N, 1]);
    for (let i = 0; i < N; i++) {
      const expected = bias[0]! + w.reduce((s, wj, j) => s + wj * X[i * F + j]!, 0);
      expect((out.data as Float32Array)[i]).toBeCloseTo(expected, 5);
    }
  });
});
