/** A problem in one of the user's input files. The message names the file, the key and the fix. */
export class SpecError extends Error {
  constructor(readonly problems: SpecProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'SpecError';
  }
}

export interface SpecProblem {
  file: string;
  /** Key path inside the file, e.g. `features[2].type`; empty for the whole file. */
  path: string;
  message: string;
}

export function formatProblem(p: SpecProblem): string {
  return `${p.file}${p.path ? `: ${p.path}` : ''}: ${p.message}`;
}

/** `features[2].type` from zod's `['features', 2, 'type']`. */
export function keyPath(path: readonly PropertyKey[]): string {
  return path
    .map((k, i) =>
      typeof k === 'number'
        ? `[${k}]`
        : /^[A-Za-z_][\w-]*$/.test(String(k))
          ? `${i ? '.' : ''}${String(k)}`
          : `[${JSON.stringify(String(k))}]`,
    )
    .join('');
}
