// Re-running the generator in a service: user changes survive, unchanged generated files follow the new inputs.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SERVICE_DEPENDENCIES } from '../generators/app/dependencies.js';
import { REPO_ROOT, scaffold } from './helpers/scaffold.js';

const VERSION = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).version;

describe('re-running in a generated service', () => {
  it('keeps what the user changed, updates the rest, merges package.json and records the version', async () => {
    const dir = await scaffold();
    const read = (p: string) => readFileSync(join(dir, p), 'utf8');
    const json = (p: string) => JSON.parse(read(p));
    expect(json('.yo-rc.json')['generator-mlservice'].version).toBe(VERSION);

    writeFileSync(join(dir, 'data/train.csv'), 'mine\n');
    writeFileSync(join(dir, 'Dockerfile'), `${read('Dockerfile')}# mine\n`);
    const pkg = json('package.json');
    pkg.dependencies['left-pad'] = '1.3.0';
    pkg.dependencies.fastify = '0.0.1';
    pkg.scripts.lint = 'eslint .';
    pkg.scripts.start = 'node my-server.js';
    writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
    writeFileSync(join(dir, 'config.yaml'), read('config.yaml').replace('port: 8080', 'port: 9191'));
    expect(read('docs/OIP.md')).not.toContain('9191');

    const log: string[] = [];
    await scaffold({ dir, log });
    expect(read('data/train.csv')).toBe('mine\n');
    expect(read('Dockerfile')).toContain('# mine\n');
    expect(read('Dockerfile')).not.toContain('9191');
    expect(log.join('\n')).toMatch(/kept your changes to 1 file \(the new version was not written\): Dockerfile\n/);
    expect(log.join('\n')).toMatch(/scripts: start/);
    expect(read('docs/OIP.md')).toContain('9191');
    const merged = json('package.json');
    expect(merged.dependencies['left-pad']).toBe('1.3.0');
    expect(merged.dependencies.fastify).toBe(SERVICE_DEPENDENCIES.fastify);
    expect(Object.keys(merged.dependencies)).toEqual(Object.keys(merged.dependencies).sort((a, b) => a.localeCompare(b, 'en')));
    expect(merged.scripts.lint).toBe('eslint .');
    expect(merged.scripts.start).toBe('node my-server.js');
    const record = json('.yo-rc.json')['generator-mlservice'];
    expect(record.version).toBe(VERSION);
    expect(record.files['docs/OIP.md']).toMatch(/^[0-9a-f]{64}$/);
    expect(record.files['package.json']).toMatch(/^[0-9a-f]{64}$/);
    expect(record.files['data/train.csv']).toBeUndefined();

    const files = Object.keys(record.files).filter((f) => f !== 'Dockerfile');
    const yoRc = readFileSync(join(dir, '.yo-rc.json'), 'utf8');
    const before = new Map(files.map((f) => [f, statSync(join(dir, f)).mtimeMs]));
    await scaffold({ dir });
    // Nothing changed: no file is written again, and the record stays the same.
    for (const [f, mtime] of before) expect(statSync(join(dir, f)).mtimeMs, f).toBe(mtime);
    expect(readFileSync(join(dir, '.yo-rc.json'), 'utf8')).toBe(yoRc);
  });

  it('keeps changed files of a service made before the generator recorded hashes', async () => {
    const dir = await scaffold();
    const read = (p: string) => readFileSync(join(dir, p), 'utf8');
    writeFileSync(join(dir, '.yo-rc.json'), '{"generator-mlservice": {}}\n');
    writeFileSync(join(dir, 'Dockerfile'), '# mine\n');
    const log: string[] = [];
    await scaffold({ dir, log });
    expect(read('Dockerfile')).toBe('# mine\n');
    expect(log.join('\n')).toContain('kept your changes to 1 file ');
  });

  it("keeps the comments and layout of the service's own config.yaml when a re-run changes nothing in its data", async () => {
    const dir = await scaffold();
    const path = join(dir, 'config.yaml');
    const mine = `# my note on this service\n${readFileSync(path, 'utf8').replace('port: 8080', 'port: 9191 # the port our proxy expects')}`;
    writeFileSync(path, mine);
    const log: string[] = [];
    await scaffold({ dir, log });
    expect(readFileSync(path, 'utf8')).toBe(mine);
    // Not a conflict at all: its data is what the generator would write.
    expect(log.join('\n')).not.toContain('kept your changes');
    expect(readFileSync(join(dir, 'docs/OIP.md'), 'utf8')).toContain('9191');
  });

  it('keeps a config.yaml made by an older generator, which lacks keys that now have defaults, as it is', async () => {
    const dir = await scaffold();
    const path = join(dir, 'config.yaml');
    const older = `# written by an older generator\n${readFileSync(path, 'utf8').replace(/^ *transport: forward\n/m, '')}`;
    expect(older).not.toContain('transport:');
    writeFileSync(path, older);
    const log: string[] = [];
    await scaffold({ dir, log });
    expect(readFileSync(path, 'utf8')).toBe(older);
    expect(log.join('\n')).not.toContain('kept your changes');
  });

  it("replaces an older generator's runtime tarball: the old one is deleted and forgotten, package.json points at the new one", async () => {
    const dir = await scaffold();
    const [current] = readdirSync(join(dir, 'vendor'));
    const old = 'vendor/mlservice-runtime-0.0.9.tgz';
    copyFileSync(join(dir, 'vendor', current!), join(dir, old));
    const yoRc = JSON.parse(readFileSync(join(dir, '.yo-rc.json'), 'utf8'));
    yoRc['generator-mlservice'].files[old] = createHash('sha256')
      .update(readFileSync(join(dir, old)))
      .digest('hex');
    writeFileSync(join(dir, '.yo-rc.json'), JSON.stringify(yoRc));
    await scaffold({ dir });
    expect(existsSync(join(dir, old))).toBe(false);
    expect(readdirSync(join(dir, 'vendor'))).toEqual([current]);
    expect(JSON.parse(readFileSync(join(dir, '.yo-rc.json'), 'utf8'))['generator-mlservice'].files[old]).toBeUndefined();
    expect(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).dependencies['@mlservice/runtime']).toBe(`file:vendor/${current}`);
  });

  it('moves a service of the old layout over: old generated runtime files go, the now user-owned ones are replaced while unchanged', async () => {
    const dir = await scaffold();
    const sha = (text: string) => createHash('sha256').update(text).digest('hex');
    const old = {
      'src/routes/predict.ts': '// GENERATED (old layout): do not edit\nexport {};\n',
      'src/app.ts': '// GENERATED (old layout): do not edit\nexport const buildApp = () => null;\n',
      'test/hostile.test.ts': '// GENERATED (old layout)\n',
      'src/logging/fluent-forwarder.ts': '// GENERATED (old layout)\n',
    };
    const { mkdirSync } = await import('node:fs');
    const yoRc = JSON.parse(readFileSync(join(dir, '.yo-rc.json'), 'utf8'));
    for (const [file, text] of Object.entries(old)) {
      mkdirSync(join(dir, file, '..'), { recursive: true });
      writeFileSync(join(dir, file), text);
      yoRc['generator-mlservice'].files[file] = sha(text);
    }
    writeFileSync(join(dir, '.yo-rc.json'), JSON.stringify(yoRc));
    // the user changed one of the old generated files
    writeFileSync(join(dir, 'src/logging/fluent-forwarder.ts'), '// GENERATED (old layout)\n// my fix\n');
    const log: string[] = [];
    await scaffold({ dir, log });
    expect(existsSync(join(dir, 'src/routes/predict.ts'))).toBe(false);
    expect(existsSync(join(dir, 'test/hostile.test.ts'))).toBe(false);
    expect(readFileSync(join(dir, 'src/app.ts'), 'utf8')).toContain("from '@mlservice/runtime'");
    expect(readFileSync(join(dir, 'src/logging/fluent-forwarder.ts'), 'utf8')).toContain('my fix');
    expect(log.join('\n')).toMatch(
      /kept 1 file an older generator wrote and this one no longer does, because you changed them: src\/logging\/fluent-forwarder\.ts/,
    );
    const files = JSON.parse(readFileSync(join(dir, '.yo-rc.json'), 'utf8'))['generator-mlservice'].files;
    for (const file of Object.keys(old)) expect(files[file], file).toBeUndefined();
    // the old example contract (no record: user-owned files are not recorded) is known by its hash
    const oldExample = readFileSync(join(REPO_ROOT, 'test/fixtures/old-layout/preprocessor.ts'));
    writeFileSync(join(dir, 'src/contract/preprocessor.ts'), oldExample);
    writeFileSync(
      join(dir, 'src/contract/train.ts'),
      `${readFileSync(join(REPO_ROOT, 'test/fixtures/old-layout/preprocessor.ts'), 'utf8')}// edited\n`,
    );
    await scaffold({ dir });
    expect(readFileSync(join(dir, 'src/contract/preprocessor.ts'), 'utf8')).toBe(
      readFileSync(join(REPO_ROOT, 'templates/service/src/contract/preprocessor.ts'), 'utf8'),
    );
    expect(readFileSync(join(dir, 'src/contract/train.ts'), 'utf8')).toContain('// edited');
    // the user's own src/app.ts, once written, is never replaced
    writeFileSync(join(dir, 'src/app.ts'), '// mine\n');
    await scaffold({ dir });
    expect(readFileSync(join(dir, 'src/app.ts'), 'utf8')).toBe('// mine\n');
  });
});
