import { SERVER_COMMAND, SERVICE_DEPENDENCIES, SERVICE_DEV_DEPENDENCIES, SERVICE_ENGINES } from '../dependencies.js';
import type { ServiceSpec } from '../spec/types.js';

/** The generated service's package.json (generated in code: a JSON file cannot carry a header). */
export function packageJson(spec: ServiceSpec): Record<string, unknown> {
  return {
    name: spec.config.service.name,
    version: spec.config.service.version,
    description: spec.config.service.description,
    private: true,
    type: 'module',
    engines: { ...SERVICE_ENGINES },
    scripts: {
      build: 'tsc -p tsconfig.json',
      typecheck: 'tsc -p tsconfig.json --noEmit',
      train: 'npm run build && node dist/src/train.js',
      // V8's default young generation is most of what the service's resident memory grows by under load.
      start: SERVER_COMMAND.join(' '),
      dev: 'npm run build && node dist/src/server.js',
      test: 'vitest run',
      bench: 'npm run build && node dist/bench/bench.js',
      lint: 'eslint . && prettier --check .',
      'lint:fix': 'eslint . --fix && prettier --write .',
    },
    dependencies: { ...SERVICE_DEPENDENCIES },
    devDependencies: { ...SERVICE_DEV_DEPENDENCIES },
  };
}
