import { isUtf8 } from 'node:buffer';
import type { FastifyError, FastifyInstance } from 'fastify';
import { HttpError } from './errors.js';
import { clipName } from './preview.js';

export interface JsonBodyOptions {
  protoAction: 'error' | 'ignore';
  /** service.max_depth: the deepest nesting of arrays and objects a body may have. */
  maxDepth: number;
  /** service.max_keys: the most keys one object of a body may have. */
  maxKeys: number;
}

/**
 * The only body parser: application/json bodies through fastify's own parser (same speed, same prototype-poisoning
 * guard), except that a malformed body is answered with the parser's message: fastify's parser
 * says only "Body is not valid JSON", which does not tell a client where the mistake is.
 * Only failed bodies are parsed a second time. Bytes that are not UTF-8 are refused (decoding
 * would replace them silently), and so is a body nested deeper than maxDepth: every later walk over
 * the body (validation, error messages) can then rely on a bounded depth.
 */
export function registerJsonBodyParser(app: FastifyInstance, opts: JsonBodyOptions): void {
  const parse = app.getDefaultJsonParser(opts.protoAction, 'error');
  // Only JSON: without this, fastify's text/plain parser would hand a string to validation (400, not 415).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const bytes = body as Buffer;
    if (!isUtf8(bytes))
      return done(
        new HttpError(400, `request body is not valid UTF-8 (near byte ${firstInvalidUtf8(bytes)}); send JSON encoded as UTF-8`),
        undefined,
      );
    // A scan of the bytes finds the depth and the widest object before JSON.parse builds anything;
    // only a body over the depth limit is walked after parsing, for the path.
    const shape = scanJson(bytes);
    if (shape.widest > opts.maxKeys)
      return done(
        new HttpError(
          400,
          `request body has an object with ${shape.widest} keys, over the limit of ${opts.maxKeys} (service.max_keys); a row has one key per feature`,
        ),
        undefined,
      );
    const tooDeep = shape.depth > opts.maxDepth;
    const text = bytes.toString('utf8');
    parse(request, text, (err, value) => {
      if ((err as FastifyError | null)?.code === 'FST_ERR_CTP_INVALID_JSON_BODY') return done(explainInvalidJson(text), undefined);
      if (err) return done(err, undefined);
      const deep = tooDeep ? pathBeyondDepth(value, opts.maxDepth) : null;
      if (deep !== null)
        return done(
          new HttpError(
            400,
            `request body is nested deeper than ${opts.maxDepth} levels (service.max_depth) at ${deep}; a request body needs only a few levels`,
          ),
          undefined,
        );
      done(null, value);
    });
  });
}

function explainInvalidJson(body: string): HttpError {
  try {
    JSON.parse(body);
  } catch (err) {
    return new HttpError(400, `request body is not valid JSON: ${(err as Error).message}`);
  }
  // Valid JSON that the guard refused: a "__proto__" key, or "constructor" with "prototype".
  return new HttpError(400, 'request body holds a "__proto__" or "constructor.prototype" key, which is refused; no feature has that name');
}

interface Level {
  value: object;
  depth: number;
  parent: Level | null;
  key: string;
}

/**
 * The JSON Pointer of the first array or object at depth maxDepth + 1 (the body itself is depth 1),
 * or null. Iterative, and it visits each array and object once.
 */
export function pathBeyondDepth(root: unknown, maxDepth: number): string | null {
  if (typeof root !== 'object' || root === null) return null;
  const stack: Level[] = [{ value: root, depth: 1, parent: null, key: '' }];
  while (stack.length > 0) {
    const level = stack.pop()!;
    if (level.depth > maxDepth) return pointerOf(level);
    const v = level.value as Record<string, unknown>;
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) {
        const child: unknown = v[i];
        if (typeof child === 'object' && child !== null)
          stack.push({ value: child, depth: level.depth + 1, parent: level, key: String(i) });
      }
    } else {
      for (const key in v) {
        const child = v[key];
        if (typeof child === 'object' && child !== null && Object.hasOwn(v, key))
          stack.push({ value: child, depth: level.depth + 1, parent: level, key });
      }
    }
  }
  return null;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;

const COLON = 0x3a;

/**
 * Of valid JSON text: the deepest nesting of arrays and objects, and the most keys of one object
 * (a colon outside strings ends a key). One pass over the bytes.
 */
export function scanJson(bytes: Uint8Array): { depth: number; widest: number } {
  let depth = 0;
  let max = 0;
  let widest = 0;
  let inString = false;
  // Keys so far of each open object; -1 for an open array.
  const keys: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) inString = true;
    else if (b === COLON) {
      if (depth > 0 && keys[depth - 1]! >= 0 && ++keys[depth - 1]! > widest) widest = keys[depth - 1]!;
    } else if (b === OPEN_BRACKET || b === OPEN_BRACE) {
      keys[depth] = b === OPEN_BRACE ? 0 : -1;
      if (++depth > max) max = depth;
    } else if ((b === CLOSE_BRACKET || b === CLOSE_BRACE) && depth > 0) depth--;
  }
  return { depth: max, widest };
}

function pointerOf(level: Level): string {
  const segments: string[] = [];
  for (let l: Level | null = level; l?.parent; l = l.parent) segments.push(clipName(l.key, 40).replace(/~/g, '~0').replace(/\//g, '~1'));
  return `/${segments.reverse().join('/')}`;
}

/**
 * Where the first invalid byte is, within a few bytes: the longest prefix that is UTF-8 or becomes
 * UTF-8 with up to 3 more bytes (a prefix may end inside a valid sequence), by bisection with isUtf8.
 */
function firstInvalidUtf8(bytes: Buffer): number {
  let lo = 0;
  let hi = bytes.length;
  while (hi - lo > 4) {
    const mid = (lo + hi) >>> 1;
    if (
      isUtf8(bytes.subarray(0, mid)) ||
      isUtf8(bytes.subarray(0, mid + 1)) ||
      isUtf8(bytes.subarray(0, mid + 2)) ||
      isUtf8(bytes.subarray(0, mid + 3))
    )
      lo = mid;
    else hi = mid;
  }
  return lo;
}
