// The example trainer: softmax regression by full-batch gradient descent with a little L2
// (classification), ridge linear regression in closed form (regression). Deterministic for a given
// seed. It feeds float32 [N, width] to `input` and answers `probabilities` float32 [N, classes]
// (and `label`, int64 class index) or `value` float32 [N, 1].
import { ONNX_NAMES, buildLinearRegression, buildSoftmaxRegression } from '../model/onnx-builder.js';
import type { Trainer, TrainedModel, TrainerOptions } from '../contract.js';
import { seededRandom } from '../random.js';

export const trainExampleModel: Trainer = (X: Float32Array, y: number[], options: TrainerOptions): TrainedModel => {
  const n = y.length;
  if (n === 0) throw new Error('no training rows');
  if (X.length % n !== 0) throw new Error(`X has ${X.length} values, not a multiple of ${n} rows`);
  const width = X.length / n;
  if (width === 0)
    throw new Error(
      'the preprocessor produces no input values (only string features?): encode at least one feature in src/contract/preprocessor.ts',
    );
  if (options.task === 'classification') {
    const classes = options.classes ?? [];
    if (classes.length < 2) throw new Error(`classification needs at least 2 classes; got ${classes.length}`);
    const { weights, bias } = softmaxRegression(X, y, width, classes.length, options);
    return {
      onnx: buildSoftmaxRegression({ features: width, outputs: classes.length, weights, bias }),
      input: ONNX_NAMES.input,
      outputs: { probabilities: ONNX_NAMES.probabilities, label: ONNX_NAMES.label },
    };
  }
  const { weights, bias } = ridgeRegression(X, y, width, options.l2 ?? 1e-6);
  return { onnx: buildLinearRegression({ features: width, weights, bias }), input: ONNX_NAMES.input, outputs: { value: ONNX_NAMES.value } };
};

/** Mean cross-entropy + L2 of W[F, C] (row-major), b[C]; fills `grad` (W part then b part) when given. */
function softmaxLoss(X: Float32Array, y: number[], F: number, C: number, params: Float64Array, l2: number, grad?: Float64Array): number {
  const n = y.length;
  const logits = new Float64Array(C);
  let loss = 0;
  grad?.fill(0);
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let c = 0; c < C; c++) {
      let z = params[F * C + c]!;
      for (let j = 0; j < F; j++) z += X[i * F + j]! * params[j * C + c]!;
      logits[c] = z;
      if (z > max) max = z;
    }
    let sum = 0;
    for (let c = 0; c < C; c++) sum += logits[c] = Math.exp(logits[c]! - max);
    const yi = y[i]!;
    loss -= Math.log(Math.max(logits[yi]! / sum, 1e-300));
    if (!grad) continue;
    for (let c = 0; c < C; c++) {
      const d = logits[c]! / sum - (c === yi ? 1 : 0);
      grad[F * C + c]! += d;
      for (let j = 0; j < F; j++) grad[j * C + c]! += d * X[i * F + j]!;
    }
  }
  let penalty = 0;
  for (let k = 0; k < F * C; k++) penalty += params[k]! * params[k]!;
  if (grad) {
    for (let k = 0; k < grad.length; k++) grad[k] = grad[k]! / n + (k < F * C ? l2 * params[k]! : 0);
  }
  return loss / n + 0.5 * l2 * penalty;
}

function softmaxRegression(
  X: Float32Array,
  y: number[],
  F: number,
  C: number,
  o: TrainerOptions,
): { weights: Float32Array; bias: Float32Array } {
  for (const c of y) if (!Number.isInteger(c) || c < 0 || c >= C) throw new Error(`class index ${c} outside 0..${C - 1}`);
  const l2 = o.l2 ?? 1e-3;
  const rand = seededRandom(o.seed);
  const params = new Float64Array(F * C + C);
  for (let k = 0; k < F * C; k++) params[k] = (rand() - 0.5) * 0.02;
  const grad = new Float64Array(params.length);
  const trial = new Float64Array(params.length);
  let lr = o.learningRate;
  let loss = softmaxLoss(X, y, F, C, params, l2, grad);
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    // Backtracking: a step that raises the loss is retried with half the rate, so a too-large
    // learning_rate slows training down instead of making it diverge.
    for (let tries = 0; tries < 30; tries++) {
      for (let k = 0; k < params.length; k++) trial[k] = params[k]! - lr * grad[k]!;
      const next = softmaxLoss(X, y, F, C, trial, l2);
      if (next <= loss) {
        params.set(trial);
        loss = softmaxLoss(X, y, F, C, params, l2, grad);
        break;
      }
      lr /= 2;
    }
  }
  return { weights: Float32Array.from(params.subarray(0, F * C)), bias: Float32Array.from(params.subarray(F * C)) };
}

/** Ridge regression in closed form: solves (Xc'Xc + l2*n*I) w = Xc'yc on centred data, then b = mean(y) - mean(X) w. */
function ridgeRegression(X: Float32Array, y: number[], F: number, l2: number): { weights: Float32Array; bias: Float32Array } {
  const n = y.length;
  const meanX = new Float64Array(F);
  let meanY = 0;
  for (let i = 0; i < n; i++) {
    meanY += y[i]! / n;
    for (let j = 0; j < F; j++) meanX[j]! += X[i * F + j]! / n;
  }
  // Augmented matrix [A | b] of the normal equations.
  const A = Array.from({ length: F }, () => new Float64Array(F + 1));
  for (let i = 0; i < n; i++) {
    const yc = y[i]! - meanY;
    for (let j = 0; j < F; j++) {
      const xj = X[i * F + j]! - meanX[j]!;
      const rowJ = A[j]!;
      for (let k = j; k < F; k++) rowJ[k]! += xj * (X[i * F + k]! - meanX[k]!);
      rowJ[F]! += xj * yc;
    }
  }
  for (let j = 0; j < F; j++) {
    for (let k = 0; k < j; k++) A[j]![k] = A[k]![j]!;
    A[j]![j]! += l2 * n + 1e-9;
  }
  const w = solve(A, F);
  let b = meanY;
  for (let j = 0; j < F; j++) b -= meanX[j]! * w[j]!;
  return { weights: Float32Array.from(w), bias: Float32Array.of(b) };
}

/** Gaussian elimination with partial pivoting on an augmented F x (F+1) matrix. */
function solve(A: Float64Array[], F: number): Float64Array {
  for (let col = 0; col < F; col++) {
    let pivot = col;
    for (let r = col + 1; r < F; r++) if (Math.abs(A[r]![col]!) > Math.abs(A[pivot]![col]!)) pivot = r;
    [A[col], A[pivot]] = [A[pivot]!, A[col]!];
    const p = A[col]![col]!;
    if (Math.abs(p) < 1e-12) continue; // a constant column: its weight stays 0
    for (let r = 0; r < F; r++) {
      if (r === col) continue;
      const factor = A[r]![col]! / p;
      if (factor === 0) continue;
      for (let k = col; k <= F; k++) A[r]![k]! -= factor * A[col]![k]!;
    }
  }
  const w = new Float64Array(F);
  for (let j = 0; j < F; j++) w[j] = Math.abs(A[j]![j]!) < 1e-12 ? 0 : A[j]![F]! / A[j]![j]!;
  return w;
}
