import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { parseDocument } from 'yaml';
import { ConfigFile } from './config-schema.js';
import { SpecError, type SpecProblem } from './errors.js';
import { FeaturesFile, LegacyFeaturesFile, type FeatureInput } from './features-schema.js';
import { checkImageReference } from './image-reference.js';
import { isLegacyConfig, isTemplateExample, LEGACY_KEYS, migrateLegacyConfig, migrateLegacyFeatures } from './legacy.js';
import type { Feature, ResolvedConfig, ServiceSpec } from './types.js';
import { withoutDerivedRepeats, zodProblems } from './zod-problems.js';

/** The build-image pipeline's smoke-test body inside a generated service. */
export const SMOKE_REQUEST_FILE = 'jenkins/build-image/smoke-request.json';

/** A file of the Python template's split layout read beside its root config.yaml. */
export interface CompanionFile {
  file: string;
  text: string;
  format: 'yaml' | 'dotenv';
}

export interface SpecSources {
  features: { file: string; text: string };
  /** dir: the config file's folder (paths in config.yaml are relative to it); companions: see readSources. */
  config: { file: string; text: string; dir?: string; companions?: CompanionFile[] };
  /** Used when config.yaml names no service (e.g. the target folder's name). */
  fallbackName: string;
  /** Wins over config.yaml's service.name (the --name option). */
  nameOverride?: string;
}

export const readSources = (featuresPath: string, configPath: string, fallbackName: string, nameOverride?: string): SpecSources => ({
  features: { file: basename(featuresPath), text: readText(featuresPath, 'features') },
  config: {
    file: basename(configPath),
    text: readText(configPath, 'config'),
    dir: dirname(resolve(configPath)),
    companions: companionsOf(configPath),
  },
  fallbackName,
  nameOverride,
});

/**
 * The template's split layout (July 2020 on): build settings in config/build.yaml and run-time
 * variables in config/env.sample beside the root config.yaml (or env.sample beside build.yaml).
 * They are read only when the config is a legacy one.
 */
function companionsOf(configPath: string): CompanionFile[] {
  const dir = dirname(resolve(configPath));
  const candidates: [string, string, CompanionFile['format']][] =
    basename(configPath) === 'build.yaml'
      ? [['env.sample', join(dir, 'env.sample'), 'dotenv']]
      : [
          ['config/build.yaml', join(dir, 'config', 'build.yaml'), 'yaml'],
          ['config/env.sample', join(dir, 'config', 'env.sample'), 'dotenv'],
        ];
  return candidates
    .filter(([, path]) => existsSync(path))
    .map(([file, path, format]) => ({ file, text: readFileSync(path, 'utf8'), format }));
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new SpecError([
      {
        file: path,
        path: '',
        message: `cannot read the ${what} file (${(e as NodeJS.ErrnoException).code ?? String(e)}). Fix: pass --${what} <path to an existing ${what}.yaml>.`,
      },
    ]);
  }
}

function parseYamlMapping(file: string, text: string): Record<string, unknown> {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length)
    throw new SpecError(
      doc.errors.map((e) => ({
        file,
        path: '',
        message: `not valid YAML: ${e.message.split('\n')[0]} (line ${e.linePos?.[0].line ?? '?'}). Fix the YAML syntax there.`,
      })),
    );
  const value = doc.toJS() ?? {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new SpecError([
      {
        file,
        path: '',
        message: `must be a YAML mapping of keys to values, got ${Array.isArray(value) ? 'a list' : JSON.stringify(value)}.`,
      },
    ]);
  return value as Record<string, unknown>;
}

/** Reads, validates and resolves both files into one ServiceSpec, or throws a SpecError naming every problem. */
export function loadSpec(src: SpecSources): { spec: ServiceSpec; warnings: string[] } {
  const rawFeatures = parseYamlMapping(src.features.file, src.features.text);
  const rawConfig = parseYamlMapping(src.config.file, src.config.text);
  const warnings: string[] = [];
  const problems = [];

  const configFormat = isLegacyConfig(rawConfig) ? 'legacy' : 'native';
  let nativeConfig = rawConfig;
  let legacyIdField: string | undefined;
  let renamePath = (p: string) => p;
  if (configFormat === 'legacy') {
    const { merged, fileOf } = withCompanions(rawConfig, src);
    const migrated = migrateLegacyConfig(merged, fileOf);
    nativeConfig = migrated.config;
    legacyIdField = migrated.idField;
    warnings.push(...migrated.warnings);
    renamePath = (p) => {
      const legacy = [...migrated.origin].find(([native]) => p === native || p.startsWith(`${native}.`))?.[1];
      return legacy ? `${legacy} (${p} in the native format)` : p;
    };
  }
  const config = ConfigFile.safeParse(withNames(nativeConfig, src), { reportInput: true });
  if (!config.success) {
    if (configFormat === 'legacy') {
      problems.push(...withoutDerivedRepeats(zodProblems(src.config.file, config.error, renamePath), nativeConfig));
      for (const p of problems) if (p.message.startsWith('unknown key')) p.message += ` Legacy keys understood: ${LEGACY_KEYS.join(', ')}.`;
    } else
      problems.push(
        ...withoutDerivedRepeats(zodProblems(src.config.file, config.error, renamePath, 'config.yaml', ConfigFile), nativeConfig),
      );
  } else {
    problems.push(...checkImageReference(src.config.file, config.data.image, renamePath));
  }

  const featuresFormat = 'input_features' in rawFeatures ? 'legacy' : 'native';
  let featuresFile: FeaturesFile | undefined;
  let exampleData: ServiceSpec['exampleData'] = null;
  if (featuresFormat === 'legacy') {
    const legacy = LegacyFeaturesFile.safeParse(rawFeatures, { reportInput: true });
    if (legacy.success) {
      if (isTemplateExample(legacy.data.input_features)) {
        exampleData = 'iris';
        warnings.push(
          `${src.features.file}: input_features are the template's own example (the iris measurements): the service gets the template's example data (iris, label column species), so \`npm run train\` learns setosa / versicolor / virginica.`,
        );
      } else
        warnings.push(
          `${src.features.file}: legacy input_features have no training data here: data/train.csv gets synthetic rows (label column target) until you put your data there (config training.data).`,
        );
      const parsed = FeaturesFile.safeParse(migrateLegacyFeatures(legacy.data.input_features, legacyIdField), { reportInput: true });
      if (parsed.success) featuresFile = parsed.data;
      else
        problems.push(
          ...zodProblems(
            src.features.file,
            parsed.error,
            (p) => p.replace(/^features\[(\d+)\]\.name/, 'input_features[$1]'),
            'features.yaml',
          ),
        );
    } else problems.push(...zodProblems(src.features.file, legacy.error, undefined, 'features.yaml'));
  } else {
    const parsed = FeaturesFile.safeParse(rawFeatures, { reportInput: true });
    if (parsed.success) {
      featuresFile = parsed.data;
      if (legacyIdField && !featuresFile.id_field) featuresFile.id_field = legacyIdField;
    } else problems.push(...zodProblems(src.features.file, parsed.error, undefined, 'features.yaml', FeaturesFile));
  }
  const smoke =
    featuresFile && config.success
      ? smokeRequest(src, config.data.image.smoke_request, featuresFile, renamePath, configFormat, warnings)
      : { problems: [], body: null };
  problems.push(...smoke.problems);
  if (problems.length || !featuresFile || !config.success) throw new SpecError(problems);
  // The migrated config.yaml points at the copy the service carries (same body on regeneration).
  if (configFormat === 'legacy') config.data.image.smoke_request = smoke.body === null ? undefined : SMOKE_REQUEST_FILE;

  const features = featuresFile.features.map(resolveFeature);
  return {
    spec: {
      task: featuresFile.task,
      target: featuresFile.target,
      classes: featuresFile.classes ?? null,
      idField: featuresFile.id_field ?? null,
      features,
      featureHash: featureHash(features),
      config: config.data as ResolvedConfig,
      formats: { features: featuresFormat, config: configFormat },
      smokeRequest: smoke.body,
      exampleData,
    },
    warnings,
  };
}

function resolveFeature(f: FeatureInput): Feature {
  return {
    ...f,
    required: f.required ?? f.default === undefined,
    redact: f.redact ?? false,
    example: f.example ?? f.default ?? exampleFor(f),
  };
}

function exampleFor(f: FeatureInput): string | number | boolean {
  switch (f.type) {
    case 'number':
    case 'integer': {
      const mid = f.min !== undefined && f.max !== undefined ? (f.min + f.max) / 2 : (f.min ?? f.max ?? 0);
      return f.type === 'integer' ? Math.round(mid) : mid;
    }
    case 'boolean':
      return true;
    case 'string':
      return 'example';
    case 'category':
      return f.values![0]!;
  }
}

/** What a trained model depends on: the order, names, types and category values of its inputs. */
export function featureHash(features: Pick<Feature, 'name' | 'type' | 'values'>[]): string {
  const canonical = JSON.stringify(features.map((f) => [f.name, f.type, f.values ?? []]));
  return createHash('sha256').update(canonical).digest('hex');
}

/**
 * Fills the names config.yaml may leave out, before validation (so they are checked like any value,
 * and config.yaml is written in the schema's key order whether a name was given or derived):
 * the service's name is --name, else config.yaml's, else the fallback; the others default to it.
 */
function withNames(raw: Record<string, unknown>, { fallbackName, nameOverride }: SpecSources): Record<string, unknown> {
  const given = (raw.service as { name?: unknown } | undefined)?.name;
  const name = nameOverride ?? (typeof given === 'string' ? given : fallbackName);
  const filled = structuredClone(raw);
  const defaults: [string[], string, boolean][] = [
    [['service', 'name'], name, nameOverride !== undefined],
    [['model', 'name'], name, false],
    [['logging', 'fluentd', 'tag_prefix'], name, false],
    [['image', 'repository'], name, false],
  ];
  const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  for (const [path, value, override] of defaults) {
    let node: unknown = filled;
    for (const key of path.slice(0, -1)) {
      if (!isMap(node)) break;
      node = node[key] ??= {};
    }
    // A section that is not a mapping is left as it is: validation reports it.
    const leaf = path.at(-1)!;
    if (isMap(node) && (override || node[leaf] === undefined)) node[leaf] = value;
  }
  return filled;
}

/** The legacy root config.yaml over config/build.yaml over config/env.sample, and which file each key came from. */
function withCompanions(
  raw: Record<string, unknown>,
  src: SpecSources,
): { merged: Record<string, unknown>; fileOf: (key: string) => string } {
  const merged: Record<string, unknown> = {};
  const from = new Map<string, string>();
  for (const c of [...(src.config.companions ?? [])].reverse()) {
    const values = c.format === 'yaml' ? parseYamlMapping(c.file, c.text) : parseDotenv(c.text);
    for (const [k, v] of Object.entries(values)) {
      merged[k] = v;
      from.set(k, c.file);
    }
  }
  for (const [k, v] of Object.entries(raw)) {
    merged[k] = v;
    from.set(k, src.config.file);
  }
  return { merged, fileOf: (key) => from.get(key) ?? src.config.file };
}

/**
 * image.smoke_request (legacy prediction_test_case_path): a JSON file of one row or an array of
 * rows, read now so the build-image pipeline posts it. A legacy path that is absent (only
 * config.yaml was copied) falls back to the generated example, with a warning.
 */
function smokeRequest(
  src: SpecSources,
  path: string | undefined,
  features: FeaturesFile,
  renamePath: (p: string) => string,
  format: 'legacy' | 'native',
  warnings: string[],
): { problems: SpecProblem[]; body: string | null } {
  if (!path) return { problems: [], body: null };
  const key = renamePath('image.smoke_request');
  const problem = (message: string) => ({ problems: [{ file: src.config.file, path: key, message }], body: null });
  const file = resolve(src.config.dir ?? '.', path);
  if (!existsSync(file)) {
    if (format === 'legacy') {
      warnings.push(
        `${src.config.file}: ${key.split(' ')[0]} ${JSON.stringify(path)} not found beside ${src.config.file}: the build-image smoke test posts the generated example row instead.`,
      );
      return { problems: [], body: null };
    }
    return problem(
      `file ${JSON.stringify(path)} not found (relative to ${src.config.file}'s folder). Fix: point it to a JSON request body, or remove the key to use the generated example.`,
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    return problem(
      `${JSON.stringify(path)} is not valid JSON (${(e as Error).message}). Fix: make it one row object or an array of row objects.`,
    );
  }
  const rows = Array.isArray(body) ? body : [body];
  const allowed = new Set([...features.features.map((f) => f.name), ...(features.id_field ? [features.id_field] : [])]);
  for (const [i, row] of rows.entries()) {
    if (typeof row !== 'object' || row === null || Array.isArray(row))
      return problem(`${JSON.stringify(path)}: row ${i} must be an object of feature values, got ${JSON.stringify(row)}.`);
    const unknown = Object.keys(row).filter((k) => !allowed.has(k));
    if (unknown.length)
      return problem(
        `${JSON.stringify(path)}: row ${i} has unknown field(s) ${unknown.map((k) => JSON.stringify(k)).join(', ')}; the features are ${[...allowed].join(', ')}.`,
      );
  }
  if (rows.length === 0) return problem(`${JSON.stringify(path)} is an empty array. Fix: put at least one row in it.`);
  return { problems: [], body: JSON.stringify(body) };
}
