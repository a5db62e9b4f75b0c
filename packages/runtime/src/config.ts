import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { checkRuntimeConfig, RUNTIME_SECTIONS } from './config-schema.js';

/**
 * The sections of config.yaml the service reads (config-schema.ts, shared with the generator).
 * image, scm and kubernetes belong to the build and deploy tools: kept, not checked.
 */
export const ConfigSchema = z.looseObject(RUNTIME_SECTIONS).superRefine(checkRuntimeConfig);
export type Config = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

/** Short environment names of the commonest settings (the MLS_ form wins when both are set). */
const SHORT_FORMS: Record<string, string[]> = { PORT: ['service', 'port'], HOST: ['service', 'host'], LOG_LEVEL: ['logging', 'level'] };

/** Reads config.yaml, applies environment overrides and validates the result. */
export function loadConfig(path = process.env.CONFIG_PATH ?? 'config.yaml', env: Env = process.env): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `cannot read the config file ${path}: ${(err as Error).message}. Fix: run from the service folder or set CONFIG_PATH.`,
    );
  }
  let raw: unknown;
  try {
    raw = parseYaml(text) ?? {};
  } catch (err) {
    throw new ConfigError(`${path} is not valid YAML: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new ConfigError(`${path} must hold a YAML mapping (service:, model:, ...); got ${JSON.stringify(raw)}`);
  return parseConfig(raw as Record<string, unknown>, env, path);
}

/** Validates an already-read config object (tests build one in code) with environment overrides. */
export function parseConfig(raw: Record<string, unknown>, env: Env = {}, source = 'config'): Config {
  const merged = structuredClone(raw) as Record<string, unknown>;
  const origins = new Map<string, string>();
  for (const { variable, path, value } of environmentOverrides(env)) {
    setPath(merged, path, value);
    origins.set(path.join('.'), variable);
  }
  const result = ConfigSchema.safeParse(merged);
  if (!result.success) throw new ConfigError(describeIssues(result.error, merged, source, origins));
  return result.data;
}

interface Override {
  variable: string;
  path: string[];
  value: unknown;
}

/** MLS_<SECTION>_<KEY>[_<SUB>] for every leaf setting of the checked sections, coerced to its type. */
export function environmentOverrides(env: Env): Override[] {
  const leaves = settingLeaves(ConfigSchema.shape as Record<string, z.ZodType>, []);
  const byVariable = new Map(leaves.map((leaf) => [`MLS_${leaf.path.join('_').toUpperCase()}`, leaf]));
  const overrides: Override[] = [];
  for (const [short, path] of Object.entries(SHORT_FORMS)) {
    const value = env[short];
    const variable = `MLS_${path.join('_').toUpperCase()}`;
    if (value !== undefined && value !== '' && env[variable] === undefined)
      overrides.push({ variable: short, path, value: coerce(value, byVariable.get(variable)!.kind, short) });
  }
  const checked = Object.keys(ConfigSchema.shape).map((s) => `MLS_${s.toUpperCase()}_`);
  for (const [variable, value] of Object.entries(env)) {
    if (value === undefined || !checked.some((prefix) => variable.startsWith(prefix))) continue;
    const leaf = byVariable.get(variable);
    if (!leaf)
      throw new ConfigError(
        `environment variable ${variable} names no setting. Settings of its section: ${[...byVariable.keys()].filter((v) => v.startsWith(variable.split('_').slice(0, 2).join('_') + '_')).join(', ')}`,
      );
    overrides.push({ variable, path: leaf.path, value: coerce(value, leaf.kind, variable) });
  }
  return overrides;
}

type Kind = 'number' | 'numbers' | 'boolean' | 'string';

function settingLeaves(shape: Record<string, z.ZodType>, prefix: string[]): { path: string[]; kind: Kind }[] {
  return Object.entries(shape).flatMap(([key, schema]) => {
    const inner = unwrap(schema);
    const path = [...prefix, key];
    if (inner instanceof z.ZodObject) return settingLeaves(inner.shape as Record<string, z.ZodType>, path);
    const kind: Kind =
      inner instanceof z.ZodNumber
        ? 'number'
        : inner instanceof z.ZodArray
          ? 'numbers'
          : inner instanceof z.ZodBoolean
            ? 'boolean'
            : 'string';
    return [{ path, kind }];
  });
}

function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  while (s instanceof z.ZodDefault || s instanceof z.ZodPrefault || s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
  return s;
}

function coerce(value: string, kind: Kind, variable: string): unknown {
  if (kind === 'number') {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n))
      throw new ConfigError(`environment variable ${variable} must be a number; got ${JSON.stringify(value)}`);
    return n;
  }
  if (kind === 'numbers') {
    const list = value.split(',').map((v) => v.trim());
    const numbers = list.map(Number);
    if (list.some((v) => v === '') || !numbers.every(Number.isFinite))
      throw new ConfigError(
        `environment variable ${variable} must be comma-separated numbers such as 0.01,0.1,1; got ${JSON.stringify(value)}`,
      );
    return numbers;
  }
  if (kind === 'boolean') {
    if (/^(true|1|yes)$/i.test(value)) return true;
    if (/^(false|0|no)$/i.test(value)) return false;
    throw new ConfigError(`environment variable ${variable} must be true or false; got ${JSON.stringify(value)}`);
  }
  return value;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

function valueAt(root: unknown, path: PropertyKey[]): unknown {
  let node = root;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

function describeIssues(error: z.ZodError, raw: unknown, source: string, origins = new Map<string, string>()): string {
  const lines = error.issues.map((issue) => {
    const key = issue.path.join('.');
    const origin = origins.get(key) ?? source;
    const value = valueAt(raw, issue.path);
    const got = issue.code === 'unrecognized_keys' ? '' : `; got ${value === undefined ? 'nothing' : JSON.stringify(value)}`;
    return `${origin}: ${key || '(top level)'}: ${issue.message}${got}`;
  });
  return `invalid configuration:\n  ${lines.join('\n  ')}`;
}
