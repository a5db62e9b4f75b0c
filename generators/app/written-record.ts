import { createHash } from 'node:crypto';

/** What a service's .yo-rc.json holds under "generator-mlservice": what the generator last wrote there. */
export interface WrittenRecord {
  version?: string;
  /** sha256 of each generated file as the generator last wrote it, by path relative to the service. */
  files?: Record<string, string>;
  /** The generator's own package.json scripts and dependencies as last offered (derive/package-json.ts). */
  packageJson?: GeneratorPackageJson;
}

export interface GeneratorPackageJson {
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

export const sha256 = (contents: string | Buffer): string => createHash('sha256').update(contents).digest('hex');

/**
 * What a re-run does with one generated file: `write` when absent or unchanged by the user since
 * the generator wrote it, `identical` when it already holds the new content, `changed` when the
 * user edited it (or there is no record of what the generator wrote: a service from before records).
 */
export function decide(existing: Buffer | undefined, next: Buffer, recorded: string | undefined): 'write' | 'identical' | 'changed' {
  if (!existing) return 'write';
  if (existing.equals(next)) return 'identical';
  return recorded !== undefined && sha256(existing) === recorded ? 'write' : 'changed';
}
