import type { z } from 'zod';
import { keyPath, type SpecProblem } from './errors.js';

const shown = (v: unknown): string => (v === undefined ? 'nothing' : JSON.stringify(v));

/** The keys an object schema allows at `path` (through optional/default/prefault wrappers), or null. */
export function allowedKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] | null {
  type Node = { shape?: Record<string, unknown>; _zod?: { def?: { innerType?: unknown; in?: unknown; element?: unknown } } };
  const unwrap = (s: unknown): Node | undefined => {
    let x = s as Node | undefined;
    for (let i = 0; i < 8 && x && !x.shape && !x._zod?.def?.element; i++) x = (x._zod?.def?.innerType ?? x._zod?.def?.in) as Node | undefined;
    return x;
  };
  let node = unwrap(schema);
  for (const key of path) node = typeof key === 'number' ? unwrap(node?._zod?.def?.element) : typeof key === 'string' && node?.shape ? unwrap(node.shape[key]) : undefined;
  return node?.shape ? Object.keys(node.shape) : null;
}

/** Turns zod issues into problems that say what was received and what is allowed. */
export function zodProblems(file: string, error: z.ZodError, renamePath: (p: string) => string = (p) => p, schema?: z.ZodType): SpecProblem[] {
  return error.issues.flatMap((issue): SpecProblem[] => {
    const path = renamePath(keyPath(issue.path));
    const got = 'input' in issue ? `got ${shown(issue.input)}` : '';
    switch (issue.code) {
      case 'unrecognized_keys': {
        const allowed = schema ? allowedKeys(schema, issue.path) : null;
        const listed = allowed ? `: ${allowed.join(', ')}` : ` (see the README's "${file}" reference)`;
        return issue.keys.map((key) => ({
          file,
          path: renamePath(keyPath([...issue.path, key])),
          message: `unknown key. Fix: remove it or use one of the keys ${issue.path.length ? `${keyPath(issue.path)} allows` : 'allowed at the top level'}${listed}.`,
        }));
      }
      case 'invalid_type':
        return [{ file, path, message: issue.input === undefined ? `is required (expected ${issue.expected}). Fix: add it.` : `expected ${issue.expected}, ${got}.` }];
      case 'invalid_value':
        return [{ file, path, message: `${got}; allowed: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}.` }];
      case 'too_small':
        return [{ file, path, message: `${got}; must be ${issue.inclusive ? 'at least' : 'more than'} ${String(issue.minimum)}${issue.origin === 'string' ? ' characters long' : issue.origin === 'array' ? ' items' : ''}.` }];
      case 'too_big':
        return [{ file, path, message: `${got}; must be ${issue.inclusive ? 'at most' : 'less than'} ${String(issue.maximum)}${issue.origin === 'string' ? ' characters long' : issue.origin === 'array' ? ' items' : ''}.` }];
      case 'custom':
        // Our own refinements already say what was received; zod's input here is the whole object.
        return [{ file, path, message: issue.message }];
      default:
        return [{ file, path, message: got ? `${issue.message}; ${got}.` : issue.message }];
    }
  });
}
