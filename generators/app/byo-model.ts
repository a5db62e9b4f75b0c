import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { decodeModel, inspectModel, ModelInspectionError, type ModelPlan } from './onnx-inspect.js';
import { SpecError } from './spec/errors.js';
import type { ServiceSpec } from './spec/types.js';

/**
 * Checks a brought model against the features and config.yaml model.outputs with the service's own
 * inspection (src/model/onnx-inspect.ts), and puts the model's classes into the spec when features.yaml
 * gives none, so the generated schemas and OpenAPI name them.
 */
export function checkByoModel(spec: ServiceSpec, path: string, file = 'config.yaml'): ModelPlan {
  const shown = relative(process.cwd(), path) || path;
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new SpecError([
      {
        file,
        path: 'model.onnx_path',
        message: `cannot read ${JSON.stringify(path)} (${(e as Error).message}). Fix: point it at an existing .onnx file.`,
      },
    ]);
  }
  let plan: ModelPlan;
  try {
    plan = inspectModel(decodeModel(bytes), spec, spec.config.model.outputs);
  } catch (e) {
    if (!(e instanceof ModelInspectionError)) throw e;
    throw new SpecError(
      e.problems.map((p) => ({
        file: p.file === 'model' ? shown : p.file === 'config.yaml' ? file : p.file,
        path: p.key,
        message: p.message,
      })),
    );
  }
  if (spec.task === 'classification' && !spec.classes) spec.classes = plan.classes;
  return plan;
}
