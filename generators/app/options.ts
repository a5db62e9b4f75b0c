import { EXAMPLES, type ExampleName } from './examples.js';
import { TASKS } from './spec/features-schema.js';

/** Every question has a CLI option and a default, so `--yes` or a closed stdin never blocks. */
export const OPTIONS = {
  features: { type: String, description: "Path to features.yaml (native or the Python template's `input_features` list)" },
  config: { type: String, description: "Path to config.yaml (native or the Python template's flat keys)" },
  example: { type: String, description: `Start from a shipped example instead of your own files: ${Object.keys(EXAMPLES).join(', ')}` },
  task: {
    type: String,
    description: `Without --features/--config: start from the example of this task (${TASKS.join(', ')}); default classification`,
  },
  name: {
    type: String,
    description: 'Service name (DNS-1123: lower case, digits, "-"); default: config.yaml service.name, else the folder name',
  },
  yes: { type: Boolean, alias: 'y', description: 'Answer every question with its default (non-interactive)' },
} as const;

export interface MlserviceOptions {
  features?: string;
  config?: string;
  example?: ExampleName;
  task?: (typeof TASKS)[number];
  name?: string;
  yes?: boolean;
}
