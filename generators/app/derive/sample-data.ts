import { stringify } from 'csv-stringify/sync';
import type { Feature, ServiceSpec } from '../spec/types.js';
import { seededRandom } from './random.js';

const round = (x: number) => Math.round(x * 1000) / 1000;

/**
 * Synthetic training data for a spec that ships no data of its own: values inside each feature's
 * range, and a target that depends on the features, so `npm run train` learns something real.
 * Returns the CSV text (header: feature names, then the target).
 */
export function sampleCsv(spec: ServiceSpec, rows = 300): string {
  const rand = seededRandom(42);
  const classes = spec.classes ?? ['class_a', 'class_b'];
  const weights = spec.features.map(() => rand() * 2 - 1);
  const body: unknown[][] = [];
  for (let i = 0; i < rows; i++) {
    let score = 0;
    const values = spec.features.map((f, j) => {
      const [v, x] = sampleValue(f, rand, i);
      score += weights[j]! * x;
      return v;
    });
    const target =
      spec.task === 'regression'
        ? round(score * 10 + (rand() - 0.5))
        : classes[Math.min(classes.length - 1, Math.floor(((Math.tanh(score * 2) + 1) / 2) * classes.length))];
    body.push([...values, target]);
  }
  return stringify([[...spec.features.map((f) => f.name), spec.target], ...body], { cast: { boolean: (b) => String(b) } });
}

/** A value of the feature and its position in [-1, 1] (what the target is computed from). */
function sampleValue(f: Feature, rand: () => number, i: number): [unknown, number] {
  const u = rand();
  switch (f.type) {
    case 'number':
    case 'integer': {
      const lo = f.min ?? (f.max !== undefined ? f.max - 10 : 0);
      const hi = f.max ?? lo + 10;
      const v = f.type === 'integer' ? Math.round(lo + u * (hi - lo)) : round(lo + u * (hi - lo));
      return [v, hi > lo ? ((v - lo) / (hi - lo)) * 2 - 1 : 0];
    }
    case 'boolean':
      return [u < 0.5, u < 0.5 ? 1 : -1];
    case 'category': {
      const k = Math.floor(u * f.values!.length);
      return [f.values![k], f.values!.length > 1 ? (k / (f.values!.length - 1)) * 2 - 1 : 0];
    }
    case 'string':
      return [`text ${i}`, 0];
  }
}
