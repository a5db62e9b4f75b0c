// ESLint (flat config) for the generator, the runtime package, the scripts, the tests and the service templates' own code.
// Style is Prettier's (`npm run lint` runs both); eslint-config-prettier comes last so no rule here argues with it.
import neostandard from 'neostandard';
import prettier from 'eslint-config-prettier';

export default [
  {
    ignores: [
      '**/node_modules/',
      '**/dist/',
      'coverage/',
      '.tools/',
      '.tmp/',
      'demo/',
      'vendor/',
      // tsc output, next to its sources.
      'generators/**/*.js',
      // Copies made by scripts/sync-shared.mjs: their sources in packages/runtime/src are linted instead.
      'generators/app/spec/runtime-config-schema.ts',
      'generators/app/derive/random.ts',
      'generators/app/onnx-inspect.ts',
      'generators/app/input-plan.ts',
      // Generator output and inputs kept as found.
      'test/__snapshots__/',
      'test/fixtures/',
      'packages/runtime/test/fixtures/',
    ],
  },
  ...neostandard({ ts: true, noStyle: true, noJsx: true }),
  {
    rules: {
      // `void p` marks a promise deliberately not awaited (fire-and-forget); it is the idiom, not a mistake.
      'no-void': 'off',
      // prom-client metrics register themselves when constructed (`new Gauge({ registers: [registry], collect })`).
      'no-new': 'off',
      // TypeScript reports real redeclarations itself; this rule only flags the zod `const X` + `type X = z.infer<typeof X>` pair.
      '@typescript-eslint/no-redeclare': 'off',
    },
  },
  {
    files: ['test/**', 'packages/runtime/test/**'],
    rules: {
      // Tests spell Groovy/shell `${...}` and hostile feature names literally, on purpose.
      'no-template-curly-in-string': 'off',
    },
  },
  prettier,
];
