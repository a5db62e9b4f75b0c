import type { GeneratorPackageJson } from '../written-record.js';

type Json = Record<string, unknown>;
type Entries = Record<string, string>;

const DEPENDENCY_SECTIONS = ['dependencies', 'devDependencies'] as const;

export interface MergedPackageJson {
  json: Json;
  /** Generator scripts the user changed since the generator last offered them: theirs is kept. */
  keptScripts: { name: string; generators: string }[];
}

/** Sorted by name, as npm writes dependencies. */
const sorted = (entries: Entries): Entries => Object.fromEntries(Object.entries(entries).sort(([a], [b]) => a.localeCompare(b, 'en')));

const entries = (value: unknown): Entries => (value && typeof value === 'object' ? (value as Entries) : {});

/**
 * The service's package.json after a re-run: the generator's own content (`generated`) over the
 * existing file, keeping what the user added. `previous` is what the generator offered last time
 * (.yo-rc.json): a script the user changed from it is kept, and what the generator offered then
 * but no longer does is dropped unless the user changed it.
 */
export function mergePackageJson(
  generated: Json,
  existing: Json | undefined,
  previous: GeneratorPackageJson | undefined,
): MergedPackageJson {
  const user = existing ?? {};
  const keptScripts: MergedPackageJson['keptScripts'] = [];
  const json: Json = {};
  for (const [key, value] of Object.entries(generated)) {
    if (key === 'scripts') json.scripts = mergeScripts(entries(value), entries(user.scripts), previous?.scripts, keptScripts);
    else if ((DEPENDENCY_SECTIONS as readonly string[]).includes(key))
      json[key] = mergeDependencies(key as (typeof DEPENDENCY_SECTIONS)[number], generated, user, previous);
    else json[key] = value;
  }
  for (const [key, value] of Object.entries(user)) if (!(key in json)) json[key] = value;
  return { json, keptScripts };
}

function mergeScripts(generated: Entries, user: Entries, previous: Entries | undefined, kept: MergedPackageJson['keptScripts']): Entries {
  const scripts: Entries = {};
  for (const [name, command] of Object.entries(generated)) {
    const theirs = user[name];
    const untouched = theirs === undefined || theirs === command || (previous !== undefined && theirs === previous[name]);
    scripts[name] = untouched ? command : theirs;
    if (!untouched) kept.push({ name, generators: command });
  }
  for (const [name, command] of Object.entries(user)) {
    const droppedByGenerator = previous?.[name] === command;
    if (!(name in scripts) && !droppedByGenerator) scripts[name] = command;
  }
  return scripts;
}

function mergeDependencies(
  section: (typeof DEPENDENCY_SECTIONS)[number],
  generated: Json,
  user: Json,
  previous: GeneratorPackageJson | undefined,
): Entries {
  const owned = new Set(DEPENDENCY_SECTIONS.flatMap((s) => Object.keys(entries(generated[s]))));
  const offeredBefore = Object.assign({}, ...DEPENDENCY_SECTIONS.map((s) => previous?.[s] ?? {})) as Entries;
  const theirs = Object.entries(entries(user[section])).filter(([name, version]) => !owned.has(name) && offeredBefore[name] !== version);
  return sorted({ ...Object.fromEntries(theirs), ...entries(generated[section]) });
}
