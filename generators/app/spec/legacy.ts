import { LEGACY_CONFIG_KEYS } from './config-schema.js';
import type { FeaturesFile } from './features-schema.js';

export type LegacyKey = keyof typeof LEGACY_CONFIG_KEYS;
export const isLegacyConfig = (raw: Record<string, unknown>): boolean =>
  Object.keys(raw).some((k) => k in LEGACY_CONFIG_KEYS);

/** The Python template wrote booleans and numbers as strings ("True", "8080"); take them as meant. */
function coerce(native: string, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  if (/^(true|false)$/i.test(value) && native.endsWith('enabled')) return value.toLowerCase() === 'true';
  if (/^\d+$/.test(value) && /(port|replicas|top_n)$/.test(native)) return Number(value);
  return value;
}

const dnsFrom = (s: string) =>
  s.replace(/\.[A-Za-z0-9]+$/, '').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^[^a-z]+|-+$/g, '').slice(0, 53) || 'model';

/**
 * Moves each legacy flat key to its native place. Returns the native config, the entity-ID field
 * (ID_NAME lives with the features now), and warnings for values that had to change.
 */
export function migrateLegacyConfig(raw: Record<string, unknown>): { config: Record<string, any>; idField?: string; warnings: string[]; origin: Map<string, string> } {
  const config: Record<string, any> = {};
  const warnings: string[] = [];
  const origin = new Map<string, string>();
  let idField: string | undefined;
  for (const [key, value] of Object.entries(raw)) {
    const target = (LEGACY_CONFIG_KEYS as Record<string, string>)[key];
    if (!target) {
      // Unknown keys go through untouched so that validation reports them by their own name.
      config[key] = value;
      continue;
    }
    if (value === null || value === '') continue;
    if (target === 'features.id_field') {
      idField = String(value);
      continue;
    }
    let v = coerce(target, value);
    if (key === 'model_name' && typeof v === 'string') {
      const name = dnsFrom(v);
      if (name !== v) warnings.push(`config.yaml: model_name ${JSON.stringify(v)} becomes model.name "${name}" (the model file is always model.onnx in the bundle).`);
      v = name;
    }
    if (key === 'model_path' && typeof v === 'string') v = v.replace(/\/+$/, '') || '.';
    const parts = target.split('.');
    let node = config;
    for (const p of parts.slice(0, -1)) node = node[p] ??= {};
    node[parts.at(-1)!] = v;
    origin.set(target, key);
  }
  return { config, idField, warnings, origin };
}

/** `input_features: [a, b]` -> every feature numeric and required, task classification. */
export function migrateLegacyFeatures(names: string[], idField: string | undefined): FeaturesFile {
  return {
    task: 'classification',
    target: 'target',
    ...(idField ? { id_field: idField } : {}),
    features: names.map((name) => ({ name, type: 'number' as const })),
  };
}
