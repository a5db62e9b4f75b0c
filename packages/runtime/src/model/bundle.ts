// Reads, checks and writes a model bundle: model.onnx, preprocessor.json, metadata.json.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import type { ModelSpec } from '../schemas/model-spec.js';
import { DriftReferenceSchema, referenceProblem, type DriftReference } from '../monitoring/drift-reference.js';
import type { ModelMetadata } from './runtime.js';

export const BUNDLE_FILES = { model: 'model.onnx', preprocessor: 'preprocessor.json', metadata: 'metadata.json' } as const;
/** Optional bundle file: the training data's reference statistics for drift monitoring (src/monitoring/drift-reference.ts). */
export const REFERENCE_FILE = 'reference.json';

const RETRAIN = 'Fix: run `npm run train` to write a new model bundle.';

/** The model bundle cannot be used; the message names the file and the fix. */
export class ModelLoadError extends Error {
  override readonly name = 'ModelLoadError';
  constructor(
    message: string,
    /** The file (or dir) at fault. */
    readonly file?: string,
  ) {
    super(message);
  }
}

export interface ModelBundle {
  onnx: Uint8Array;
  /** The fitted Preprocessor's state (checked by Preprocessor.fromState). */
  preprocessor: unknown;
  metadata: ModelMetadata;
  /** reference.json; null when the bundle has none (older bundles, a brought model without data): drift monitoring is off. */
  reference?: DriftReference | null;
}

const Metadata = z.object({
  model_uuid: z.string().min(1),
  model_name: z.string(),
  created_at: z.string(),
  task: z.enum(['classification', 'regression']),
  classes: z.array(z.string()).min(2).nullable(),
  features: z.array(z.string()),
  feature_hash: z.string().min(1),
  onnx: z.object({
    input: z.string().min(1),
    outputs: z.object({
      label: z.string().min(1).optional(),
      probabilities: z.string().min(1).optional(),
      value: z.string().min(1).optional(),
    }),
    label_values: z.array(z.string()).optional(),
  }),
  metrics: z.record(z.string(), z.number()),
  training: z.object({ rows: z.number(), test_rows: z.number(), data: z.string() }),
});

function readFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ModelLoadError(`${path} ${code === 'ENOENT' ? 'is missing' : `cannot be read (${(e as Error).message})`}. ${RETRAIN}`, path);
  }
}

function readJson(path: string): unknown {
  const text = readFile(path).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ModelLoadError(`${path} is not valid JSON (${(e as Error).message}). ${RETRAIN}`, path);
  }
}

const list = (xs: string[] | null) => (xs ? `[${xs.map((x) => JSON.stringify(x)).join(', ')}]` : 'none');

/** Checks metadata.json against the spec this service was generated from. */
export function checkMetadata(raw: unknown, spec: ModelSpec, path: string): ModelMetadata {
  const parsed = Metadata.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ModelLoadError(`${path} is not model metadata: ${issue.path.join('.') || '(root)'}: ${issue.message}. ${RETRAIN}`, path);
  }
  const m = parsed.data as ModelMetadata;
  if (m.feature_hash !== spec.featureHash)
    throw new ModelLoadError(
      `${path}: features.yaml changed since this model was trained (model feature hash ${m.feature_hash.slice(0, 12)}…, features.yaml ${spec.featureHash.slice(0, 12)}…). Fix: retrain with \`npm run train\`.`,
      path,
    );
  if (m.task !== spec.task)
    throw new ModelLoadError(
      `${path}: the model does ${m.task}, features.yaml declares ${spec.task}. Fix: retrain with \`npm run train\`.`,
      path,
    );
  if (spec.task === 'classification') {
    if (!m.classes) throw new ModelLoadError(`${path}: a classification model without classes. ${RETRAIN}`, path);
    if (!m.onnx.outputs.probabilities && !m.onnx.outputs.label)
      throw new ModelLoadError(`${path}: onnx.outputs names neither a probabilities nor a label output. ${RETRAIN}`, path);
    if (spec.classes && (spec.classes.length !== m.classes.length || spec.classes.some((c, i) => c !== m.classes![i])))
      throw new ModelLoadError(
        `${path}: the model's classes ${list(m.classes)} differ from features.yaml's ${list(spec.classes)}. Fix: retrain with \`npm run train\`.`,
        path,
      );
  } else if (!m.onnx.outputs.value) {
    throw new ModelLoadError(`${path}: onnx.outputs names no value output. ${RETRAIN}`, path);
  }
  return m;
}

/** Reads and checks the bundle in `dir`; throws ModelLoadError naming the file and the fix. */
export function readBundle(dir: string, spec: ModelSpec): ModelBundle {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new ModelLoadError(
      `the model bundle ${dir} is missing. Fix: run \`npm run train\` first (it writes ${BUNDLE_FILES.model}, ${BUNDLE_FILES.preprocessor} and ${BUNDLE_FILES.metadata} there).`,
      dir,
    );
  const metadataPath = join(dir, BUNDLE_FILES.metadata);
  const metadata = checkMetadata(readJson(metadataPath), spec, metadataPath);
  const preprocessor = readJson(join(dir, BUNDLE_FILES.preprocessor));
  const onnx = readFile(join(dir, BUNDLE_FILES.model));
  if (onnx.length === 0) throw new ModelLoadError(`${join(dir, BUNDLE_FILES.model)} is empty. ${RETRAIN}`, join(dir, BUNDLE_FILES.model));
  const reference = readReference(join(dir, REFERENCE_FILE), spec, metadata.model_uuid);
  return { onnx: new Uint8Array(onnx.buffer, onnx.byteOffset, onnx.byteLength), preprocessor, metadata, reference };
}

/** reference.json of a bundle: null when absent (drift monitoring off); a corrupt one is refused like any bundle file. */
export function readReference(path: string, spec: ModelSpec, modelUuid: string): DriftReference | null {
  if (!existsSync(path)) return null;
  const parsed = DriftReferenceSchema.safeParse(readJson(path));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ModelLoadError(
      `${path} is not drift reference statistics: ${issue.path.join('.') || '(root)'}: ${issue.message}. ${RETRAIN}`,
      path,
    );
  }
  const reference = parsed.data as DriftReference;
  const problem = referenceProblem(reference, spec, modelUuid);
  if (problem) throw new ModelLoadError(`${path} does not belong to this model bundle: ${problem}. ${RETRAIN}`, path);
  return reference;
}

/**
 * Writes the bundle to `dir`, replacing any previous one. Each file is written next to its final name
 * and renamed over it; metadata.json is removed first and put back last, so a crash leaves either the old
 * bundle or one without metadata.json (refused with the fix), never a mix that loads. Only files are
 * renamed: renaming a directory of a lower image layer fails with EXDEV on overlay filesystems.
 */
export function writeBundle(dir: string, bundle: ModelBundle): void {
  const target = resolve(dir);
  mkdirSync(target, { recursive: true });
  const id = randomUUID();
  const files: [string, string | Uint8Array | null][] = [
    [BUNDLE_FILES.model, bundle.onnx],
    [BUNDLE_FILES.preprocessor, `${JSON.stringify(bundle.preprocessor, null, 2)}\n`],
    [REFERENCE_FILE, bundle.reference ? `${JSON.stringify(bundle.reference)}\n` : null],
    [BUNDLE_FILES.metadata, `${JSON.stringify(bundle.metadata, null, 2)}\n`],
  ];
  const staged = (name: string) => join(target, `.${name}.${id}.tmp`);
  try {
    for (const [name, content] of files) if (content !== null) writeFileSync(staged(name), content);
    rmSync(join(target, BUNDLE_FILES.metadata), { force: true });
    for (const [name, content] of files) {
      if (content === null) rmSync(join(target, name), { force: true });
      else renameSync(staged(name), join(target, name));
    }
  } finally {
    for (const [name] of files) rmSync(staged(name), { force: true });
  }
}
