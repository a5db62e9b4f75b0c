// Names and values from the user's files (features.yaml, config.yaml, a brought model) are data: they
// reach generated code and config only through these functions, each of which quotes for one language.
// Templates reach them through the Handlebars helpers of context.ts (json, groovy, shell).

/**
 * Prints a JSON-like value as a TypeScript literal. Names from user files are data: every key is
 * quoted unless it is a plain identifier, and `__proto__` becomes a computed key, because a
 * literal `"__proto__": x` would set the object's prototype instead of adding a property.
 */
export function jsLiteral(value: unknown, indent = ''): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'undefined';
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== 'object')) return `[${value.map((v) => jsLiteral(v)).join(', ')}]`;
    return `[\n${value.map((v) => `${inner}${jsLiteral(v, inner)},`).join('\n')}\n${indent}]`;
  }
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  if (!entries.length) return '{}';
  return `{\n${entries.map(([k, v]) => `${inner}${jsKey(k)}: ${jsLiteral(v, inner)},`).join('\n')}\n${indent}}`;
}

export function jsKey(key: string): string {
  if (key === '__proto__') return '["__proto__"]';
  return /^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key);
}

/** json-schema-to-zod quotes keys with JSON.stringify; make `"__proto__":` keys computed (see above). */
export const fixProtoKeys = (source: string): string => source.replace(/([{,]\s*)"__proto__":/g, '$1["__proto__"]:');

/** Any value as JSON: a safe JS/TS literal, and also a valid YAML scalar or flow collection. */
export const jsonValue = (value: unknown): string => JSON.stringify(value ?? null);

const GROOVY_ESCAPES: Record<string, string> = { '\\': '\\\\', "'": "\\'", '\n': '\\n', '\r': '\\r', '\t': '\\t' };
// eslint-disable-next-line no-control-regex -- the control characters are what it escapes
const GROOVY_SPECIAL = /[\\'\u0000-\u001f\u007f\u2028\u2029]/g;

/** A single-quoted Groovy string literal: no interpolation, and no line or control character left raw. */
export const groovyString = (value: unknown): string =>
  `'${String(value).replace(GROOVY_SPECIAL, (c) => GROOVY_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}'`;

/** A POSIX shell word in single quotes (nothing is expanded inside them). */
export const shellWord = (value: unknown): string => `'${String(value).replace(/'/g, `'\\''`)}'`;
