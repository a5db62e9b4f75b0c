// Build step: files the generator shares with the service it generates, so each fact has one place.
// The generator validates config.yaml with the service's own schema file, and draws sample data with
// the service's seeded generator, and reads a brought model with the service's inspection. Each is copied next to the generator's sources (git-ignored,
// overwritten on every build: edit the template, not the copy).
import { readFileSync, writeFileSync } from 'node:fs';

const SHARED = {
  'packages/runtime/src/config-schema.ts': 'generators/app/spec/runtime-config-schema.ts',
  'packages/runtime/src/random.ts': 'generators/app/derive/random.ts',
  'packages/runtime/src/model/onnx-inspect.ts': 'generators/app/onnx-inspect.ts',
  'packages/runtime/src/model/input-plan.ts': 'generators/app/input-plan.ts',
};
for (const [from, to] of Object.entries(SHARED)) {
  const text = readFileSync(new URL(`../${from}`, import.meta.url), 'utf8');
  writeFileSync(new URL(`../${to}`, import.meta.url), `// COPY of ${from} made by \`npm run build\`: edit that file instead.\n${text}`);
}
