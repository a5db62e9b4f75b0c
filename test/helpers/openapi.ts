// A generated service's OpenAPI document checked with the tools its users run: the OpenAPI 3.0
// validator of @apidevtools/swagger-parser, and a typed client from openapi-typescript that must
// compile (and must refuse a label that is not one of the classes).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';

/** GET /docs/json of a built and trained service (dist/, model_bin/), with its model loaded. */
export function docsOf(serviceDir: string): Record<string, unknown> {
  const script = `
    const { buildApp } = await import('./dist/src/app.js');
    const { service } = await import('./dist/src/service.js');
    const { loadConfig, OnnxModelRuntime } = await import('@mlservice/runtime');
    const config = loadConfig('config.yaml', {});
    const { modelSpec, exampleRow } = service.features;
    const runtime = new OnnxModelRuntime({ dir: config.model.dir, topN: config.model.top_n, spec: modelSpec, exampleRow, Preprocessor: service.Preprocessor });
    const app = buildApp({ config, runtime, logger: false });
    await app.ready();
    await runtime.load();
    process.stdout.write((await app.inject('/docs/json')).body);
    await app.close();
    await runtime.close();`;
  const r = spawnSync('node', ['--input-type=module', '-e', script], { cwd: serviceDir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`reading /docs/json in ${serviceDir} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

function compile(files: Record<string, string>): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'mlservice-client-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const options: ts.CompilerOptions = {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      skipLibCheck: false,
      types: [],
    };
    const program = ts.createProgram(
      Object.keys(files)
        .filter((f) => f.endsWith('.ts'))
        .map((f) => join(dir, f)),
      options,
    );
    return ts
      .getPreEmitDiagnostics(program)
      .map(
        (d) =>
          `${d.file ? `${d.file.fileName.slice(dir.length + 1)}: ` : ''}TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`,
      );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const CLIENT = `import type { components, operations, paths } from './api.js';
export type Row = components['schemas']['FeatureRow'];
export type Answer = paths['/predict']['post']['responses'][200]['content']['application/json'];
export const labels = (a: Answer): (string | null)[] => a.predictions.map((p: components['schemas']['Prediction']) => p.label);
export const errorText = (e: operations['predict']['responses'][400]['content']['application/json']): string => e.error;
export const outputs = (a: operations['oipInfer']['responses'][200]['content']['application/json']) => a.outputs.map((o) => o.name);
export const methods: (keyof operations)[] = ['predict', 'getLive', 'getReady', 'getMetrics', 'sendFeedback', 'oipInfer', 'oipModelMetadata', 'oipServerMetadata'];
export type TooLarge = operations['oipInfer']['responses'][413]['content']['application/json'];
`;

/** Throws unless the document validates and its typed client compiles; with `classes`, a label outside them must not compile. */
export async function checkOpenApiDocument(doc: Record<string, unknown>, { classes }: { classes: string[] | null }): Promise<void> {
  await SwaggerParser.validate(structuredClone(doc) as never);
  const types = astToString(await openapiTS(structuredClone(doc) as never));
  const files = { 'package.json': '{"type":"module"}', 'api.d.ts': types, 'client.ts': CLIENT };
  const problems = compile(files);
  if (problems.length > 0) throw new Error(`the openapi-typescript client does not compile:\n${problems.join('\n')}`);
  if (!classes) return;
  const good = `import type { components } from './api.js';\nexport const label: components['schemas']['Prediction']['label'] = ${JSON.stringify(classes[0])};\n`;
  const bad = `import type { components } from './api.js';\nexport const label: components['schemas']['Prediction']['label'] = ${JSON.stringify(`${classes.join('')}-not-a-class`)};\n`;
  const goodProblems = compile({ ...files, 'label.ts': good });
  if (goodProblems.length > 0) throw new Error(`a class label does not compile as Prediction.label:\n${goodProblems.join('\n')}`);
  if (!compile({ ...files, 'label.ts': bad }).some((p) => p.includes('TS2322')))
    throw new Error('Prediction.label accepts a label that is not one of the classes (no enum?)');
}
