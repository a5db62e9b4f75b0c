import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigFile, LEGACY_CONFIG_KEYS } from './config-schema.js';
import { SpecError } from './errors.js';
import { FeaturesFile, LegacyFeaturesFile, type FeatureInput } from './features-schema.js';
import { isLegacyConfig, migrateLegacyConfig, migrateLegacyFeatures } from './legacy.js';
import type { Feature, ResolvedConfig, ServiceSpec } from './types.js';
import { withoutDerivedRepeats, zodProblems } from './zod-problems.js';

export interface SpecSources {
  features: { file: string; text: string };
  config: { file: string; text: string };
  /** Used when config.yaml names no service (e.g. the target folder's name). */
  fallbackName: string;
  /** Wins over config.yaml's service.name (the --name option). */
  nameOverride?: string;
}

export const readSources = (featuresPath: string, configPath: string, fallbackName: string, nameOverride?: string): SpecSources => ({
  features: { file: basename(featuresPath), text: readText(featuresPath, 'features') },
  config: { file: basename(configPath), text: readText(configPath, 'config') },
  fallbackName,
  nameOverride,
});

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new SpecError([{ file: path, path: '', message: `cannot read the ${what} file (${(e as NodeJS.ErrnoException).code ?? String(e)}). Fix: pass --${what} <path to an existing ${what}.yaml>.` }]);
  }
}

function parseYamlMapping(file: string, text: string): Record<string, unknown> {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length)
    throw new SpecError(doc.errors.map((e) => ({ file, path: '', message: `not valid YAML: ${e.message.split('\n')[0]} (line ${e.linePos?.[0].line ?? '?'}). Fix the YAML syntax there.` })));
  const value = doc.toJS() ?? {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new SpecError([{ file, path: '', message: `must be a YAML mapping of keys to values, got ${Array.isArray(value) ? 'a list' : JSON.stringify(value)}.` }]);
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
    const migrated = migrateLegacyConfig(rawConfig);
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
    problems.push(...withoutDerivedRepeats(zodProblems(src.config.file, config.error, renamePath), nativeConfig));
    if (configFormat === 'legacy')
      for (const p of problems) if (p.message.startsWith('unknown key')) p.message += ` Legacy keys understood: ${Object.keys(LEGACY_CONFIG_KEYS).join(', ')}.`;
  }

  const featuresFormat = 'input_features' in rawFeatures ? 'legacy' : 'native';
  let featuresFile: FeaturesFile | undefined;
  if (featuresFormat === 'legacy') {
    const legacy = LegacyFeaturesFile.safeParse(rawFeatures, { reportInput: true });
    if (legacy.success) {
      const parsed = FeaturesFile.safeParse(migrateLegacyFeatures(legacy.data.input_features, legacyIdField), { reportInput: true });
      if (parsed.success) featuresFile = parsed.data;
      else problems.push(...zodProblems(src.features.file, parsed.error, (p) => p.replace(/^features\[(\d+)\]\.name/, 'input_features[$1]'), 'features.yaml'));
    } else problems.push(...zodProblems(src.features.file, legacy.error, undefined, 'features.yaml'));
  } else {
    const parsed = FeaturesFile.safeParse(rawFeatures, { reportInput: true });
    if (parsed.success) {
      featuresFile = parsed.data;
      if (legacyIdField && !featuresFile.id_field) featuresFile.id_field = legacyIdField;
    } else problems.push(...zodProblems(src.features.file, parsed.error, undefined, 'features.yaml'));
  }
  if (problems.length || !featuresFile || !config.success) throw new SpecError(problems);

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
    },
    warnings,
  };
}

function resolveFeature(f: FeatureInput): Feature {
  return { ...f, required: f.required ?? f.default === undefined, redact: f.redact ?? false, example: f.example ?? f.default ?? exampleFor(f) };
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
    [['kubernetes', 'deployment_name'], name, false],
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
