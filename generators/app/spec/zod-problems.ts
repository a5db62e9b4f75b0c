import type { z } from 'zod';
import { keyPath, type SpecProblem } from './errors.js';

const shown = (v: unknown): string => (v === undefined ? 'nothing' : JSON.stringify(v));

/** The keys an object schema allows at `path` (through optional/default/prefault wrappers), or null. */
export function allowedKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] | null {
  type Node = { shape?: Record<string, unknown>; _zod?: { def?: { innerType?: unknown; in?: unknown; element?: unknown } } };
  const unwrap = (s: unknown): Node | undefined => {
    let x = s as Node | undefined;
    for (let i = 0; i < 8 && x && !x.shape && !x._zod?.def?.element; i++)
      x = (x._zod?.def?.innerType ?? x._zod?.def?.in) as Node | undefined;
    return x;
  };
  let node = unwrap(schema);
  for (const key of path)
    node =
      typeof key === 'number'
        ? unwrap(node?._zod?.def?.element)
        : typeof key === 'string' && node?.shape
          ? unwrap(node.shape[key])
          : undefined;
  return node?.shape ? Object.keys(node.shape) : null;
}

/** Turns zod issues into problems that say what was received and what is allowed. */
/**
 * `reference`: the README section of the file's format (`features.yaml` or `config.yaml`), whatever
 * the user's file is called.
 * `schema`: lets an unknown key's message list the keys its section allows.
 */
export function zodProblems(
  file: string,
  error: z.ZodError,
  renamePath: (p: string) => string = (p) => p,
  reference: 'features.yaml' | 'config.yaml' = 'config.yaml',
  schema?: z.ZodType,
): SpecProblem[] {
  return error.issues.flatMap((issue): SpecProblem[] => {
    const path = renamePath(keyPath(issue.path));
    const got = 'input' in issue ? `got ${shown(issue.input)}` : '';
    switch (issue.code) {
      case 'unrecognized_keys': {
        const allowed = schema ? allowedKeys(schema, issue.path) : null;
        const listed = `${allowed ? `: ${allowed.join(', ')}` : ''} (see the README's "${reference}" reference)`;
        return issue.keys.map((key) => ({
          file,
          path: renamePath(keyPath([...issue.path, key])),
          message: `unknown key. Fix: remove it or use one of the keys ${issue.path.length ? `${keyPath(issue.path)} allows` : 'allowed at the top level'}${listed}.`,
        }));
      }
      case 'invalid_type':
        return [
          {
            file,
            path,
            message:
              issue.input === undefined ? `is required (expected ${issue.expected}). Fix: add it.` : `expected ${issue.expected}, ${got}.`,
          },
        ];
      case 'invalid_value':
        return [{ file, path, message: `${got}; allowed: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}.` }];
      case 'too_small':
        return [
          {
            file,
            path,
            message: `${got}; must be ${issue.inclusive ? 'at least' : 'more than'} ${String(issue.minimum)}${issue.origin === 'string' ? ' characters long' : issue.origin === 'array' ? ' items' : ''}.`,
          },
        ];
      case 'too_big':
        return [
          {
            file,
            path,
            message: `${got}; must be ${issue.inclusive ? 'at most' : 'less than'} ${String(issue.maximum)}${issue.origin === 'string' ? ' characters long' : issue.origin === 'array' ? ' items' : ''}.`,
          },
        ];
      case 'custom':
        // Our own refinements already say what was received; zod's input here is the whole object.
        return [{ file, path, message: issue.message }];
      default:
        return [{ file, path, message: got ? `${issue.message}; ${got}.` : issue.message }];
    }
  });
}

/**
 * Drops a problem that repeats an earlier one (the same message) at a key the user did not write:
 * a value copied from another key (model.name and kubernetes.deployment_name default to
 * service.name) is reported once, where the user wrote it.
 */
export function withoutDerivedRepeats(problems: SpecProblem[], raw: unknown): SpecProblem[] {
  const given = (path: string): boolean => {
    let node: unknown = raw;
    for (const key of path.split('.')) {
      if (typeof node !== 'object' || node === null || !Object.hasOwn(node, key)) return false;
      node = (node as Record<string, unknown>)[key];
    }
    return true;
  };
  const seen = new Set<string>();
  return problems.filter((p) => {
    const repeat = seen.has(p.message);
    seen.add(p.message);
    return !repeat || given(p.path);
  });
}
