// What a new user meets first: --help and the README agree, a first scaffold says `create`, the path
// questions check the file exists, an input error is reported once and names the README section,
// every generated file says so in its header.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import helpers from 'yeoman-test';
import { createEnv } from 'yeoman-environment';
import { ownerOf } from '../generators/app/files.js';
import { validateYamlFile } from '../generators/app/prompts.js';
import { REPO_ROOT, scaffold } from './helpers/scaffold.js';

const GENERATOR = join(REPO_ROOT, 'generators/app/index.js');
const freshDir = (name: string) => {
  const dir = join(tmpdir(), `mlservice-${name}-${process.pid}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  return dir;
};

async function createGenerator() {
  const env = createEnv({ cwd: freshDir('help') });
  env.register(GENERATOR, { namespace: 'mlservice:app' });
  const generator = (await env.create('mlservice:app', { generatorArgs: [], generatorOptions: { help: true } } as never)) as unknown as {
    help(): string;
  };
  return { env, generator };
}

describe('yo mlservice --help and the README', () => {
  it('list the same options', async () => {
    const { generator } = await createGenerator();
    const fromHelp = [...generator.help().matchAll(/^\s+(?:-\w,\s+)?(--[\w-]+)/gm)].map((m) => m[1]!).sort();
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    // The table's header row, however Prettier pads its columns.
    const start = readme.search(/^\|\s*option\s*\|\s*meaning\s*\|$/m);
    const table = readme.slice(start, readme.indexOf('\n\n', start));
    const fromReadme = [...table.matchAll(/^\| `(--[\w-]+)/gm)].map((m) => m[1]!).sort();
    expect(fromHelp.length).toBeGreaterThan(8);
    expect(fromReadme).toEqual(fromHelp);
  });

  it('the generator names npm as the package manager (no "Error detecting the package manager")', async () => {
    const { env } = await createGenerator();
    expect((env as unknown as { options: { nodePackageManager?: string } }).options.nodePackageManager).toBe('npm');
  });
});

describe('a first scaffold into an empty folder', () => {
  it('reports every file as create, and writes none again on a re-run', () => {
    const dir = join(freshDir('first'), 'iris-service');
    const run = () => {
      const r = spawnSync('node', [join(REPO_ROOT, 'scripts/scaffold.mjs'), dir, '--skip-install'], {
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      });
      expect(r.status, r.stderr).toBe(0);
      // eslint-disable-next-line no-control-regex -- strips ANSI colour codes, which start with ESC
      const out = `${r.stdout}${r.stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
      return [...out.matchAll(/^\s*(create|force|identical|conflict|skip)\s+(\S+)/gm)].map((m) => [m[1]!, m[2]!] as const);
    };
    const first = run();
    expect(first.length).toBeGreaterThan(40);
    // yeoman's conflicter always forces .yo-rc.json (its own record file), new or not.
    expect(first.filter(([status, file]) => status !== 'create' && file !== '.yo-rc.json')).toEqual([]);
    const second = run();
    // Nothing changed: no file is written again (only yeoman's own record is).
    expect(second).toEqual([['force', '.yo-rc.json']]);
  });
});

describe('the path questions', () => {
  it('accept an existing .yaml file only', () => {
    const dir = freshDir('paths');
    writeFileSync(join(dir, 'features.yaml'), 'features: []\n');
    mkdirSync(join(dir, 'folder.yaml'));
    const validate = validateYamlFile(dir);
    expect(validate('features.yaml')).toBe(true);
    expect(validate(join(dir, 'features.yaml'))).toBe(true);
    expect(validate('missing.yaml')).toBe(`${join(dir, 'missing.yaml')} does not exist; give the path of your file (relative to ${dir}).`);
    expect(validate('folder.yaml')).toBe(`${join(dir, 'folder.yaml')} is not a file.`);
    expect(validate('features.txt')).toBe('Give the path of a .yaml file.');
  });
});

describe('an input error', () => {
  const run = (config: string) => {
    const src = freshDir('inputs');
    writeFileSync(join(src, 'bad-config.yaml'), config);
    return helpers.run(GENERATOR).withOptions({
      yes: true,
      skipInstall: true,
      features: join(REPO_ROOT, 'examples/iris/features.yaml'),
      config: join(src, 'bad-config.yaml'),
    });
  };

  it('a bad service.name is reported once, not again for the keys that copy it', async () => {
    const error = await run('service:\n  name: Bad_Name\n').then(
      () => null,
      (e: Error) => e.message,
    );
    expect(error).toMatch(/bad-config\.yaml: service\.name: .*got "Bad_Name"/);
    expect(error!.match(/Bad_Name/g)).toHaveLength(1);
  });

  it('the same bad value written by the user at two keys is reported at both', async () => {
    const error = await run('service:\n  name: Bad_Name\nmodel:\n  name: Bad_Name\n').then(
      () => null,
      (e: Error) => e.message,
    );
    expect(error).toMatch(/service\.name: /);
    expect(error).toMatch(/model\.name: /);
  });

  it("an unknown key points at the README section of the format, not at the user's file name", async () => {
    const error = await run('service:\n  colour: red\n').then(
      () => null,
      (e: Error) => e.message,
    );
    expect(error).toContain('bad-config.yaml: service.colour: unknown key');
    expect(error).toContain('use one of the keys service allows: name, version,');
    expect(error).toContain('see the README\'s "config.yaml" reference');
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    expect(readme).toMatch(/^## config\.yaml$/m);
    expect(readme).toMatch(/^## features\.yaml$/m);
  });
});

/** Formats that take no comment, and the user's own inputs and data copied in. */
const NO_HEADER = [/\.json$/, /\.ndjson$/, /\.csv$/, /\.tgz$/, /^features\.yaml$/, /^config\.yaml$/];
const HEADER = /(Generated|GENERATED) by generator-mlservice/;

function filesOf(root: string, dir = root): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesOf(root, path) : [relative(root, path)];
  });
}

describe('the generated service', () => {
  it('marks every generated file as generated in its first lines', async () => {
    const dir = await scaffold({ dir: join(freshDir('headers'), 'iris-service') });
    const missing = filesOf(dir)
      .map((f) => f.split('\\').join('/'))
      .filter((f) => ownerOf(f) === 'generated' && !NO_HEADER.some((re) => re.test(f)))
      .filter((f) => !HEADER.test(readFileSync(join(dir, f), 'utf8').split('\n').slice(0, 3).join('\n')));
    expect(missing).toEqual([]);
    for (const f of [
      'src/schemas/features.ts',
      'Dockerfile',
      'README.md',
      'tsconfig.json',
      '.gitignore',
      `helm/iris-service/templates/deployment.yaml`,
    ])
      expect(readFileSync(join(dir, f), 'utf8'), f).toMatch(HEADER);
  });

  it('its README gives the description as text and lists every file of the model bundle', async () => {
    const dir = await scaffold({ dir: join(freshDir('readme'), 'iris-service') });
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    const description = readFileSync(join(REPO_ROOT, 'examples/iris/config.yaml'), 'utf8').match(/description: (.*)/)?.[1];
    const expected = description ? description.replace(/^["']|["']$/g, '') : 'Model-serving microservice generated by generator-mlservice';
    expect(readme.split('\n')[3]).toBe(expected);
    for (const file of ['model.onnx', 'preprocessor.json', 'metadata.json', 'reference.json']) expect(readme).toContain(`\`${file}\``);
  });
});
