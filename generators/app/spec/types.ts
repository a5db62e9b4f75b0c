import type { ConfigFile } from './config-schema.js';
import type { FeatureInput, FeaturesFile } from './features-schema.js';

/** A feature with every optional choice resolved. */
export interface Feature extends Omit<FeatureInput, 'required' | 'redact'> {
  required: boolean;
  redact: boolean;
  example: string | number | boolean;
}

type Resolved<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: NonNullable<T[P]> };

/** config.yaml with every default applied and every derived name filled in. */
export type ResolvedConfig = Omit<ConfigFile, 'logging' | 'image' | 'kubernetes'> & {
  logging: ConfigFile['logging'] & { fluentd: Resolved<ConfigFile['logging']['fluentd'], 'tag_prefix'> };
  image: Resolved<ConfigFile['image'], 'repository'>;
  kubernetes: ConfigFile['kubernetes'];
};

/** The one typed object every generated file is derived from. */
export interface ServiceSpec {
  task: FeaturesFile['task'];
  target: string;
  /** Class labels; null when they are learnt from the training data (classification) or for regression. */
  classes: string[] | null;
  idField: string | null;
  features: Feature[];
  /** sha256 of the model-relevant part of the features; a model bundle must carry the same. */
  featureHash: string;
  config: ResolvedConfig;
  /** Which input formats were read (legacy = the Python template's). */
  formats: { features: 'native' | 'legacy'; config: 'native' | 'legacy' };
  /** One-line JSON read from image.smoke_request: the build-image smoke test's body; null: the generated example. */
  smokeRequest: string | null;
  /** Shipped training data the spec is the example of (the Python template's iris features), or null. */
  exampleData: 'iris' | null;
}
