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
