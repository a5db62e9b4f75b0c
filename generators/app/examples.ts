import { fileURLToPath } from 'node:url';

const examplesDir = fileURLToPath(new URL('../../examples/', import.meta.url));

/** The shipped examples: each a features.yaml, config.yaml and training data. */
export const EXAMPLES = {
  iris: { task: 'classification', dir: `${examplesDir}iris`, data: 'iris.csv', description: 'iris flowers: 4 numeric features, 3 classes' },
} as const;
export type ExampleName = keyof typeof EXAMPLES;
export const isExample = (s: string): s is ExampleName => s in EXAMPLES;
