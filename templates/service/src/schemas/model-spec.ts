/** Shape of `modelSpec` in the generated `features.ts`: the model's inputs and task. */
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
