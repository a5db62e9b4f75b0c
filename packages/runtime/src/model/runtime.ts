import type { DriftReference } from '../monitoring/drift-reference.js';
import type { Row } from '../schemas/model-spec.js';

/** What `metadata.json` of a model bundle holds. */
export interface ModelMetadata {
  model_uuid: string;
  model_name: string;
  created_at: string;
  task: 'classification' | 'regression';
  /** Class labels in the order of the model's probability output (classification). */
  classes: string[] | null;
  /** Feature names in input order, and the hash of the spec they were trained with. */
  features: string[];
  feature_hash: string;
  /**
   * Names of the ONNX graph's input(s) and outputs; `label_values`: what a brought model's label output
   * holds for each class (its own labels, e.g. int64 3 and 7), when that is not the class index.
   */
  onnx: { input: string; outputs: { label?: string; probabilities?: string; value?: string }; label_values?: string[] };
  /** Training metrics on the held-out split, e.g. { accuracy: 0.96 } or { r2: 0.8, mae: 1.2 }. */
  metrics: Record<string, number>;
  training: { rows: number; test_rows: number; data: string };
}

/** One row's answer. */
export interface Prediction {
  /** Class name (classification) or null (regression). */
  label: string | null;
  /** Class name -> probability, highest first, top-N only (classification). */
  probabilities?: Record<string, number>;
  /** Predicted value (regression). */
  value?: number;
}

/** A loaded model that can answer predictions (after Seldon MLServer's MLModel: load / ready / predict / metadata). */
export interface ModelRuntime {
  /** Loads the bundle, checks it against the spec and runs a warm-up inference. Throws ModelLoadError. */
  load(): Promise<void>;
  readonly ready: boolean;
  readonly metadata: ModelMetadata;
  /** The loaded bundle's drift reference statistics (reference.json), or null (none, or not loaded). */
  readonly reference?: DriftReference | null;
  /** Predicts validated rows (defaults already applied); one answer per row, in order. */
  predict(rows: Row[], topN: number): Promise<Prediction[]>;
  close(): Promise<void>;
}
