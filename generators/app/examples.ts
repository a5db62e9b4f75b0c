import { fileURLToPath } from 'node:url';
import type { TASKS } from './spec/features-schema.js';

const examplesDir = fileURLToPath(new URL('../../examples/', import.meta.url));

/** The shipped examples: a features.yaml and config.yaml each, and training data when it is real. */
export const EXAMPLES = {
  iris: { task: 'classification', dir: `${examplesDir}iris`, data: 'iris.csv', description: 'iris flowers: 4 numeric features, 3 classes' },
  'house-prices': {
    task: 'regression',
    dir: `${examplesDir}house-prices`,
    data: undefined,
    description: 'flat prices: numeric, integer, category and boolean features; synthetic data',
  },
} as const satisfies Record<string, { task: (typeof TASKS)[number]; dir: string; data: string | undefined; description: string }>;
export type ExampleName = keyof typeof EXAMPLES;
export const isExample = (s: string): s is ExampleName => s in EXAMPLES;

/** The example a task starts from. */
export const exampleForTask = (task: (typeof TASKS)[number]): ExampleName =>
  (Object.keys(EXAMPLES) as ExampleName[]).find((name) => EXAMPLES[name].task === task)!;
