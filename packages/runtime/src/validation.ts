import { randomUUID } from 'node:crypto';
import { Ajv, type ErrorObject } from 'ajv';
import { HttpError, MAX_DETAILS, MAX_ROW_DETAILS, type ErrorDetail } from './errors.js';
import { clipName, quoteList, show } from './preview.js';
import type { Row } from './schemas/model-spec.js';
import type { FeatureSpec, ModelSpec } from './schemas/model-spec.js';

export type BodyCheck = { rows: Row[] } | { error: HttpError };

/**
 * The ajv of every request check (rows, feedback). verbose: errors carry the received value.
 * strictNumbers: a JSON number beyond the float range (1e400) parses to Infinity, which is no
 * feature value, truth or ID. No useDefaults: ajv fills a default only when row[name] ===
 * undefined, which is never true for names such as `constructor` or `__proto__` (inherited from
 * Object.prototype); the row check fills defaults as own properties instead.
 */
export function createAjv(): Ajv {
  return new Ajv({
    allErrors: true,
    ownProperties: true,
    strict: false,
    strictNumbers: true,
    verbose: true,
    coerceTypes: false,
    useDefaults: false,
  });
}

/**
 * The /predict body check, compiled once: one row or an array of rows. Rows are validated one by
 * one with the row schema (not anyOf [row, array]), so each problem is reported once, with its row.
 * Defaults of optional features are filled in as own properties.
 */
export function createBodyValidator(spec: ModelSpec, rowSchema: object, maxBatchSize: number): (body: unknown) => BodyCheck {
  const ajv = createAjv();
  // Ajv skips a property named `__proto__` in `properties` (never validated, and refused by
  // additionalProperties): such a feature is validated under an alias no client can guess.
  const protoAlias = Object.hasOwn((rowSchema as { properties?: object }).properties ?? {}, '__proto__')
    ? `__proto__#${randomUUID()}`
    : null;
  const validateRow = ajv.compile(protoAlias ? renameFeature(rowSchema, '__proto__', protoAlias) : structuredClone(rowSchema));
  const features = new Map(spec.features.map((f) => [f.name, f]));
  const allowed = [...features.keys(), ...(spec.idField ? [spec.idField] : [])];
  const position = new Map(allowed.map((name, i) => [name, i]));
  const order = (field: string | undefined) => (field === undefined ? -1 : (position.get(field) ?? allowed.length));
  // "N more unknown keys in this row" comes after the problems of that row.
  const summaries = new WeakSet<ErrorDetail>();
  const rank = (d: ErrorDetail) => (summaries.has(d) ? allowed.length + 1 : order(d.field));
  const defaults = spec.features.filter((f) => f.default !== undefined).map((f) => [f.name, f.default] as const);

  const fillDefaults = (row: Record<string, unknown>): void => {
    for (const [name, value] of defaults)
      if (!Object.hasOwn(row, name)) Object.defineProperty(row, name, { value, enumerable: true, writable: true, configurable: true });
  };

  const idField = spec.idField;
  const unknownHint = `allowed: ${quoteList(allowed)}`;

  const checkRow = (row: unknown, index: number | undefined, details: ErrorDetail[]): void => {
    const valid = validateRow(protoAlias ? renameKey(row, '__proto__', protoAlias) : row);
    const idProblem = idField === null ? undefined : unsafeIntegerId(row, idField, index);
    if (valid && !idProblem) {
      fillDefaults(row as Record<string, unknown>);
      return;
    }
    if (idProblem) details.push(idProblem);
    // Problems of the features are few (bounded by the schema); unknown keys are as many as the
    // client sends: the first MAX_ROW_DETAILS are listed, the rest counted.
    let unknown = 0;
    for (const raw of valid ? [] : (validateRow.errors ?? [])) {
      if (raw.keyword === 'additionalProperties' && ++unknown > MAX_ROW_DETAILS) continue;
      details.push(describe(protoAlias ? unalias(raw, protoAlias) : raw, index, features, unknownHint));
    }
    if (unknown > MAX_ROW_DETAILS) {
      const rest = unknown - MAX_ROW_DETAILS;
      const path = index === undefined ? '' : `/${index}`;
      const message = `${rest} more unknown key${rest === 1 ? '' : 's'} in this ${index === undefined ? 'body' : 'row'} (${unknown} in all), not listed; ${unknownHint}`;
      const summary = index === undefined ? { path, message } : { path, row: index, message };
      summaries.add(summary);
      details.push(summary);
    }
  };

  return (body) => {
    if (body === null || body === undefined)
      return { error: new HttpError(400, 'request body is missing; send one row object or an array of rows as JSON') };
    const details: ErrorDetail[] = [];
    if (Array.isArray(body)) {
      if (body.length === 0) return { error: new HttpError(400, `the batch is empty; send 1 to ${maxBatchSize} rows`) };
      if (body.length > maxBatchSize)
        return {
          error: new HttpError(
            400,
            `a batch of ${body.length} rows is over the limit of ${maxBatchSize} rows (service.max_batch_size); split it into smaller requests`,
          ),
        };
      for (let i = 0; i < body.length; i++) checkRow(body[i], i, details);
    } else if (typeof body === 'object') {
      checkRow(body, undefined, details);
    } else {
      return { error: new HttpError(400, `request body must be one row object or an array of rows; got ${show(body)}`) };
    }
    if (details.length === 0) return { rows: Array.isArray(body) ? body : [body as Row] };
    // Ajv reports `required` before the other keywords: list problems by row, then in feature order.
    details.sort((a, b) => (a.row ?? 0) - (b.row ?? 0) || rank(a) - rank(b));
    const first = details[0]!;
    const count = details.length === 1 ? 'one problem' : `${details.length} problems`;
    const shown =
      details.length > MAX_DETAILS ? ` (details list the first ${MAX_DETAILS}; ${details.length - MAX_DETAILS} more not listed)` : '';
    // The sentence is logged: it never quotes the value of a feature marked `redact: true`.
    const what = first.field !== undefined && features.get(first.field)?.redact ? 'invalid value (see details)' : first.message;
    return {
      error: new HttpError(
        400,
        `invalid request body: ${count}${shown}; first at ${first.path || '/'}: ${what}`,
        details.slice(0, MAX_DETAILS),
      ),
    };
  };
}

/** A shallow copy of an object with one own key renamed (non-objects pass through). */
function renameKey(value: unknown, from: string, to: string): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value))
    Object.defineProperty(copy, key === from ? to : key, { value: v, enumerable: true, writable: true, configurable: true });
  return copy;
}

function renameFeature(schema: object, from: string, to: string): object {
  const s = structuredClone(schema) as { properties: object; required?: string[] };
  return { ...s, properties: renameKey(s.properties, from, to), required: s.required?.map((name) => (name === from ? to : name)) };
}

function unalias(e: ErrorObject, alias: string): ErrorObject {
  const segment = `/${alias}`;
  const params = { ...e.params };
  for (const key of ['missingProperty', 'additionalProperty']) if (params[key] === alias) params[key] = '__proto__';
  return {
    ...e,
    instancePath: e.instancePath.startsWith(segment) ? `/__proto__${e.instancePath.slice(segment.length)}` : e.instancePath,
    params,
  };
}

const escapePointer = (name: string): string => name.replace(/~/g, '~0').replace(/\//g, '~1');
const unescapePointer = (segment: string): string => segment.replace(/~1/g, '/').replace(/~0/g, '~');

/** An ID JSON.parse could not keep exactly (also used by POST /feedback's entity_id). */
export const unsafeIdMessage = (id: number): string =>
  `an integer ID must be between -${Number.MAX_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER} (2^53 - 1) to be kept exactly; got ${show(id)}: send a longer ID as a JSON string`;

/**
 * An integer ID beyond 2^53 - 1 has already lost digits when JSON.parse read it (12345678901234567890123
 * becomes 1.2345678901234568e+22): refused rather than answered and logged as another ID.
 */
function unsafeIntegerId(row: unknown, idField: string, index: number | undefined): ErrorDetail | undefined {
  if (typeof row !== 'object' || row === null || !Object.hasOwn(row, idField)) return undefined;
  const id = (row as Record<string, unknown>)[idField];
  if (typeof id !== 'number' || !Number.isFinite(id) || Number.isSafeInteger(id)) return undefined;
  const path = `${index === undefined ? '' : `/${index}`}/${escapePointer(idField)}`;
  const message = unsafeIdMessage(id);
  return index === undefined ? { path, field: idField, message } : { path, field: idField, row: index, message };
}

/** What a feature accepts, e.g. `number between 0 and 10`, `one of "a", "b"`. */
export function allowedValues(f: FeatureSpec): string {
  switch (f.type) {
    case 'number':
    case 'integer':
      if (f.min !== undefined && f.max !== undefined) return `${f.type} between ${f.min} and ${f.max}`;
      if (f.min !== undefined) return `${f.type} >= ${f.min}`;
      if (f.max !== undefined) return `${f.type} <= ${f.max}`;
      return f.type;
    case 'boolean':
      return 'true or false';
    case 'category':
      return `one of ${quoteList(f.values ?? [])}`;
    case 'string':
      return 'string';
  }
}

const got = (e: ErrorObject): string => `got ${show(e.data)}`;

const COMPARISON: Record<string, string> = { maximum: '<=', minimum: '>=', exclusiveMaximum: '<', exclusiveMinimum: '>' };

/** One ajv error as a detail; `e.data` is quoted only where it is the value at fault (for `required` and unknown keys it is the whole row). */
function describe(e: ErrorObject, row: number | undefined, features: Map<string, FeatureSpec>, unknownHint: string): ErrorDetail {
  const prefix = row === undefined ? '' : `/${row}`;
  let path = prefix + e.instancePath;
  let field = e.instancePath ? unescapePointer(e.instancePath.slice(1).split('/')[0]!) : undefined;
  let message: string;
  switch (e.keyword) {
    case 'additionalProperties': {
      field = clipName(String(e.params.additionalProperty));
      path += `/${escapePointer(field)}`;
      message = `unknown feature ${show(field)}; ${unknownHint}`;
      break;
    }
    case 'required': {
      field = String(e.params.missingProperty);
      path += `/${escapePointer(field)}`;
      const f = features.get(field);
      message = f ? `is required (${allowedValues(f)})` : 'is required';
      break;
    }
    case 'type':
      message = field === undefined ? `expected a row object; ${got(e)}` : `expected ${[e.params.type].flat().join(' or ')}; ${got(e)}`;
      break;
    case 'maximum':
    case 'minimum':
    case 'exclusiveMaximum':
    case 'exclusiveMinimum':
      message = `must be ${COMPARISON[e.keyword]} ${e.params.limit}; ${got(e)}`;
      break;
    case 'enum':
      message = `must be one of ${quoteList((e.params.allowedValues as unknown[]).map(String))}; ${got(e)}`;
      break;
    case 'maxLength':
      message = `must be at most ${e.params.limit} characters long; got ${typeof e.data === 'string' ? `${e.data.length} characters` : show(e.data)}`;
      break;
    case 'minLength':
      message = `must be at least ${e.params.limit} character${e.params.limit === 1 ? '' : 's'} long; ${got(e)}`;
      break;
    default:
      message = `${e.message ?? 'is invalid'}; ${got(e)}`;
  }
  return row === undefined ? { path, field, message } : { path, field, row, message };
}
