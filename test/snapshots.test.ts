// The generated tree per scenario, as a committed snapshot (test/__snapshots__/): the list of every
// file, and the content of every file that is rendered or derived (files copied verbatim from a
// template are not repeated). A change to any of them shows up in review. Regenerate with `npx vitest run -u test/snapshots.test.ts`
// after an intended change; never edit the snapshot by hand.
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { scaffold } from './helpers/scaffold.js';

const fixture = (name: string, file: string) => fileURLToPath(new URL(`./fixtures/${name}/${file}`, import.meta.url));

/** The template a generated file was copied from verbatim, if any. */
function verbatimSource(path: string): string | undefined {
  const root = fileURLToPath(new URL('../', import.meta.url));
  const candidates = [
    join(root, 'templates/service', path.replace(/^\.(gitignore|npmrc|dockerignore)$/, '_$1')),
    join(root, 'jenkins', path.replace(/^jenkins\//, '')),
    join(root, 'helm/chart', path.replace(/^helm\/[^/]+\//, '')),
  ];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile());
}

function tree(dir: string): { paths: string[]; derived: Record<string, string> } {
  const paths: string[] = [];
  const derived: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else {
        const rel = relative(dir, path);
        paths.push(rel);
        const text = rel.endsWith('.tgz') ? '' : readFileSync(path, 'utf8');
        const source = verbatimSource(rel);
        // .yo-rc.json holds a hash of every other file: its content is tested in upgrade.test.ts, not snapshotted.
        if (!rel.endsWith('.csv') && !rel.endsWith('.tgz') && rel !== '.yo-rc.json' && !(source && readFileSync(source, 'utf8') === text))
          derived[rel] = text;
      }
    }
  };
  walk(dir);
  return { paths, derived };
}

const SCENARIOS: [string, () => Promise<string>][] = [
  ['iris', () => scaffold({ dir: join(mkdtempSync(join(tmpdir(), 'snapshot-')), 'iris-service') })],
  ...['legacy', 'mixed', 'regression', 'hostile'].map((name): [string, () => Promise<string>] => [
    name,
    // A folder named after the scenario: a legacy config names no service, so the folder does.
    () =>
      scaffold({
        dir: join(mkdtempSync(join(tmpdir(), 'snapshot-')), `${name}-service`),
        options: { features: fixture(name, 'features.yaml'), config: fixture(name, 'config.yaml') },
      }),
  ]),
];

describe('generated tree', () => {
  it.each(SCENARIOS)('%s', async (name, generate) => {
    const { paths, derived } = tree(await generate());
    await expect(`${paths.join('\n')}\n`).toMatchFileSnapshot(`__snapshots__/${name}/FILES.txt`);
    for (const [path, text] of Object.entries(derived)) await expect(text).toMatchFileSnapshot(`__snapshots__/${name}/${path}.snap`);
  });
});

describe('re-running the generator in a generated service', () => {
  it.each(SCENARIOS)(
    "%s: regenerates every file byte for byte from the service's own features.yaml and config.yaml",
    async (_name, generate) => {
      const dir = await generate();
      const before = tree(dir);
      await scaffold({ dir });
      const after = tree(dir);
      expect(after.paths).toEqual(before.paths);
      expect(after.derived).toEqual(before.derived);
    },
  );
});
