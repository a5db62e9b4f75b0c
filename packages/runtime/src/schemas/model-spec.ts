/** Shape of `modelSpec` in a service's generated `src/schemas/features.ts`: the model's inputs and task. */
export type FeatureType = 'number' | 'integer' | 'boolean' | 'string' | 'category';
export type FeatureValue = number | string | boolean;

export interface FeatureSpec {
  name: string;
  type: FeatureType;
  required: boolean;
  /** Used when an optional feature is missing from a request row. */
  default?: FeatureValue;
  min?: number;
  max?: number;
  /** Allowed values of a category feature. */
  values?: string[];
  example: FeatureValue;
  /** Left out of prediction logs. */
  redact: boolean;
}

export interface ModelSpec {
  task: 'classification' | 'regression';
  /** Column of the training data that holds the label or value. */
  target: string;
  /** Class labels; null when learnt from the training data (or for regression). */
  classes: string[] | null;
  /** Name of the optional entity-ID field of a request row. */
  idField: string | null;
  /** sha256 of feature names, types and category values; a model bundle must carry the same. */
  featureHash: string;
  features: FeatureSpec[];
}

/**
 * One feature row as the runtime handles it. A service's generated `Row` type (zod) is a narrower
 * type of the same object; rows are only ever read through their own properties (a feature may be
 * named `__proto__` or `constructor`).
 */
export type Row = Record<string, unknown>;

/** JSON Schema as plain data. */
export type JsonSchema = Record<string, unknown>;

/** What a service's generated `src/schemas/features.ts` exports, as the runtime takes it. */
export interface FeatureModule {
  modelSpec: ModelSpec;
  /** JSON Schema of one request row: the one row check of requests and training data. */
  rowJsonSchema: JsonSchema;
  /** A valid row: /docs examples, warm-up inference, smoke checks. */
  exampleRow: Row;
}
