import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServiceSpec } from './spec/types.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export type Owner = 'generated' | 'user';

/** A template folder of this repo and where its files land in the service. */
interface TemplateRoot {
  dir: string;
  to: (spec: ServiceSpec) => string;
}

export const TEMPLATE_ROOTS: TemplateRoot[] = [
  { dir: 'templates/service', to: () => '' },
  { dir: 'helm/chart', to: (spec) => `helm/${spec.config.service.name}` },
  { dir: 'jenkins', to: () => 'jenkins' },
];

/** Files the user fills in: written once, never overwritten by a re-run. */
export const USER_OWNED = [/^src\/contract\//, /^data\//, /^src\/(app|server|train|service)\.ts$/, /^test\//];

/** Templates written only when their condition holds (all others are always written). */
export const CONDITIONS: Record<string, (spec: ServiceSpec) => boolean> = {};

/** npm strips dot-files from a published package, so they are stored with `_` and renamed. */
const DOTFILES: Record<string, string> = {
  _gitignore: '.gitignore',
  _npmrc: '.npmrc',
  _dockerignore: '.dockerignore',
  '_prettierrc.json': '.prettierrc.json',
  _prettierignore: '.prettierignore',
};

export interface PlannedFile {
  /** Absolute path of the template. */
  source: string;
  /** Path relative to the service root. */
  destination: string;
  render: boolean;
  owner: Owner;
}

function walk(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name !== '.gitkeep')
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? walk(path) : [path];
    });
}

export const ownerOf = (destination: string): Owner => (USER_OWNED.some((re) => re.test(destination)) ? 'user' : 'generated');

/** The file table: every template of every root, with its destination, rendering and owner. */
export function planFiles(spec: ServiceSpec): PlannedFile[] {
  return TEMPLATE_ROOTS.flatMap((root) => {
    const base = join(REPO_ROOT, root.dir);
    if (!existsSync(base)) return [];
    return walk(base)
      .filter((source) => CONDITIONS[relative(REPO_ROOT, source)]?.(spec) ?? true)
      .map((source) => {
        const rel = relative(base, source)
          .split('/')
          .map((part) => DOTFILES[part] ?? part)
          .join('/');
        const render = rel.endsWith('.hbs');
        const destination = join(root.to(spec), render ? rel.slice(0, -4) : rel);
        return { source, destination, render, owner: ownerOf(destination) };
      });
  });
}
