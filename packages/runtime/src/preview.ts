// Received values as error messages quote them: JSON-like, cut at a length, in time bounded by that length.

/** Longest quoted value in a message. */
export const PREVIEW_LENGTH = 60;

/**
 * A received value, shortened for a message. Unlike JSON.stringify it stops once `max` characters
 * are written and walks with its own stack, so a huge or deeply nested value costs no more than a
 * small one (only an object's key list is read whole).
 */
export function show(value: unknown, max = PREVIEW_LENGTH): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number' && !Number.isFinite(value))
    return Number.isNaN(value) ? 'NaN' : `a number beyond the range of a 64-bit float (read as ${value})`;
  let out = '';
  // Work items: a value to write, or a literal piece of text (closing brackets, commas).
  const stack: { text?: string; value?: unknown; key?: string }[] = [{ value }];
  while (stack.length > 0 && out.length <= max) {
    const item = stack.pop()!;
    if (item.text !== undefined) {
      out += item.text;
      continue;
    }
    if (item.key !== undefined) out += `${JSON.stringify(item.key.length > max ? item.key.slice(0, max) : item.key)}:`;
    const v = item.value;
    if (Array.isArray(v)) {
      out += '[';
      stack.push({ text: ']' });
      // Only as many elements as can still show (pushed in reverse: the stack pops the first).
      for (let i = Math.min(v.length, max - out.length + 1) - 1; i >= 0; i--) {
        stack.push({ value: v[i] });
        if (i > 0) stack.push({ text: ',' });
      }
    } else if (typeof v === 'object' && v !== null) {
      out += '{';
      stack.push({ text: '}' });
      const entries: [string, unknown][] = [];
      for (const key in v) {
        if (entries.length > max - out.length) break;
        if (Object.hasOwn(v, key)) entries.push([key, (v as Record<string, unknown>)[key]]);
      }
      for (let i = entries.length - 1; i >= 0; i--) {
        stack.push({ key: entries[i]![0], value: entries[i]![1] });
        if (i > 0) stack.push({ text: ',' });
      }
    } else if (typeof v === 'string') {
      out += JSON.stringify(v.length > max ? v.slice(0, max + 1) : v);
    } else if (typeof v === 'number' && !Number.isFinite(v)) {
      out += String(v);
    } else {
      out += JSON.stringify(v) ?? String(v);
    }
  }
  return out.length > max ? `${out.slice(0, max - 3)}...` : out;
}

/** Names as a quoted list, at most `max` of them, with the count of the rest. */
export const quoteList = (names: readonly string[], max = 30, more = 'see /docs'): string =>
  names
    .slice(0, max)
    .map((n) => JSON.stringify(n))
    .join(', ') + (names.length > max ? `, ... (${names.length - max} more; ${more})` : '');

/** An unknown key as an error detail names it: cut when longer than a useful name (the detail would echo a huge key). */
export const clipName = (name: string, max = 200): string => (name.length > max ? `${name.slice(0, max)}...` : name);
