import { existsSync, readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { basename, dirname, join, resolve } from 'node:path';
import Generator from 'yeoman-generator';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { checkByoModel } from './byo-model.js';
import { createHandlebars, templateContext } from './derive/context.js';
import { featuresModule } from './derive/features-module.js';
import { formatTypeScript } from './derive/format.js';
import { packageJson } from './derive/package-json.js';
import { mergePackageJson, type MergedPackageJson } from './derive/package-json-merge.js';
import { sampleCsv } from './derive/sample-data.js';
import { EXAMPLES, exampleForTask, isExample } from './examples.js';
import { RUNTIME } from './dependencies.js';
import { ownerOf, planFiles, REPO_ROOT } from './files.js';
import { GENERATOR_VERSION } from './generator-version.js';
import { OPTIONS, type MlserviceOptions } from './options.js';
import { askSources } from './prompts.js';
import { SpecError } from './spec/errors.js';
import { TASKS } from './spec/features-schema.js';
import { loadSpec, readSources } from './spec/load.js';
import type { ServiceSpec } from './spec/types.js';
import { SUPERSEDED_USER_FILES } from './superseded-user-files.js';
import { decide, sha256, type GeneratorPackageJson, type WrittenRecord } from './written-record.js';

/** True when every value `mine` states is in `theirs` as it is (`theirs` may add keys to objects). */
function holdsOnly(mine: unknown, theirs: unknown): boolean {
  if (
    mine === null ||
    theirs === null ||
    typeof mine !== 'object' ||
    typeof theirs !== 'object' ||
    Array.isArray(mine) ||
    Array.isArray(theirs)
  )
    return isDeepStrictEqual(mine, theirs);
  return Object.entries(mine).every(
    ([key, value]) => Object.hasOwn(theirs, key) && holdsOnly(value, (theirs as Record<string, unknown>)[key]),
  );
}

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** Where the two input files come from, decided before anything is read. */
export interface Inputs {
  featuresPath: string;
  configPath: string;
  /** Training data to copy into the service, when one ships with the inputs. */
  dataPath?: string;
  name?: string;
}

const BYO_MODEL_PATH = 'model_src/model.onnx';

export default class MlserviceGenerator extends Generator<
  WrittenRecord & Record<string, unknown>,
  MlserviceOptions & Generator['options']
> {
  private inputs!: Inputs;
  private spec!: ServiceSpec;

  constructor(args: string[], options: Generator['options']) {
    super(args, options);
    for (const [name, spec] of Object.entries(OPTIONS)) this.option(name, spec);
    // The service's lock file and scripts are npm's: say so, rather than have yeoman guess (and log that it could not).
    const envOptions = (this.env as unknown as { options: { nodePackageManager?: string } }).options;
    envOptions.nodePackageManager ??= 'npm';
  }

  /** Non-interactive when asked to be, or when nobody can answer (CI, closed stdin). */
  private get _interactive(): boolean {
    return !this.options.yes && Boolean(process.stdin.isTTY);
  }

  async prompting(): Promise<void> {
    const o = this.options;
    if (o.example && !isExample(o.example))
      throw this._failure(
        new SpecError([
          {
            file: 'command line',
            path: '--example',
            message: `unknown example ${JSON.stringify(o.example)}; shipped examples: ${Object.keys(EXAMPLES).join(', ')}.`,
          },
        ]),
      );
    if (o.task && !(TASKS as readonly string[]).includes(o.task))
      throw this._failure(
        new SpecError([{ file: 'command line', path: '--task', message: `got ${JSON.stringify(o.task)}; allowed: ${TASKS.join(', ')}.` }]),
      );
    if (Boolean(o.features) !== Boolean(o.config))
      throw this._failure(
        new SpecError([
          {
            file: 'command line',
            path: o.features ? '--config' : '--features',
            message: 'pass both --features and --config (or neither, to start from an example or regenerate the service in this folder).',
          },
        ]),
      );
    const here = { featuresPath: this.destinationPath('features.yaml'), configPath: this.destinationPath('config.yaml') };
    if (o.features && o.config) this.inputs = { featuresPath: resolve(o.features), configPath: resolve(o.config), name: o.name };
    else if (!o.example && existsSync(here.featuresPath) && existsSync(here.configPath)) this.inputs = { ...here, name: o.name };
    else if (this._interactive) this.inputs = await askSources(this, o);
    else this.inputs = exampleInputs(o.example ?? exampleForTask(o.task ?? 'classification'), o.name);
  }

  configuring(): void {
    const { featuresPath, configPath, name } = this.inputs;
    const fallbackName = dnsName(basename(this.destinationRoot()));
    try {
      const { spec, warnings } = loadSpec(readSources(featuresPath, configPath, fallbackName, name));
      for (const w of warnings) this.log.info(w);
      if (spec.exampleData) this.inputs.dataPath = join(EXAMPLES[spec.exampleData].dir, EXAMPLES[spec.exampleData].data);
      if (spec.config.model.onnx_path) {
        const source = resolve(dirname(configPath), spec.config.model.onnx_path);
        const fallback = this.destinationPath(spec.config.model.onnx_path);
        checkByoModel(spec, existsSync(source) ? source : fallback, basename(configPath));
        this.byoSource = existsSync(source) ? source : fallback;
        spec.config.model.onnx_path = BYO_MODEL_PATH;
      }
      this.spec = spec;
    } catch (e) {
      throw this._failure(e);
    }
  }

  private byoSource?: string;
  /** What the generator wrote in this service last time (.yo-rc.json). */
  private previous: WrittenRecord = {};
  /** sha256 of each generated file as it is after this run, when the generator's version is what it holds. */
  private written: Record<string, string> = {};
  /** Generated files the user changed, left to yeoman's conflicter to ask about: the hash of the new version. */
  private asked = new Map<string, string>();
  /** Every file this run considered writing (see _removeStale). */
  private readonly planned = new Set<string>();
  /** Recorded files this run took out of .yo-rc.json: no longer generated, or now the user's. */
  private readonly removed = new Set<string>();
  /** Files an older generator wrote, no longer generated, kept because the user changed them. */
  private readonly orphaned: string[] = [];
  /** Generated files the user changed, kept as they are (non-interactive). */
  private kept: string[] = [];
  private keptScripts: MergedPackageJson['keptScripts'] = [];
  private offeredPackageJson!: GeneratorPackageJson;

  async writing(): Promise<void> {
    const spec = this.spec;
    this.previous = this.config.getAll() as WrittenRecord;
    const hb = createHandlebars();
    const context = templateContext(spec);
    for (const file of planFiles(spec)) {
      const text = readFileSync(file.source);
      if (file.render) this._writeFile(file.destination, hb.compile(text.toString('utf8'), { noEscape: true, strict: true })(context));
      else this._writeFile(file.destination, text);
    }
    this._writePackageJson(packageJson(spec));
    this._writeFile('src/schemas/features.ts', await formatTypeScript(featuresModule(spec)));
    this._writeFile(`vendor/${RUNTIME.tarball}`, readFileSync(join(REPO_ROOT, 'vendor', RUNTIME.tarball)));
    const migrated = spec.formats.features === 'legacy' || spec.formats.config === 'legacy';
    this._writeInput(
      'features.yaml',
      this.inputs.featuresPath,
      migrated ? nativeFeaturesYaml(spec) : readFileSync(this.inputs.featuresPath, 'utf8'),
    );
    this._writeInput('config.yaml', this.inputs.configPath, configYaml(spec));
    const data = spec.config.training.data;
    if (!spec.config.model.onnx_path && !existsSync(this.destinationPath(data))) {
      const shipped = this.inputs.dataPath ?? resolve(dirname(this.inputs.configPath), data);
      this._writeFile(data, existsSync(shipped) ? readFileSync(shipped) : sampleCsv(spec));
    }
    if (this.byoSource && resolve(this.byoSource) !== this.destinationPath(BYO_MODEL_PATH))
      this._writeFile(BYO_MODEL_PATH, readFileSync(this.byoSource));
    this._removeStale();
    this._record();
  }

  /**
   * Files an older generator wrote that this one no longer does (the runtime files of a service made
   * before @mlservice/runtime, an old runtime tarball): deleted while unchanged since it wrote them
   * (their sha256 in .yo-rc.json), kept and listed when the user changed them; forgotten either way.
   * A brought model's copy is never deleted.
   */
  private _removeStale(): void {
    for (const [destination, hash] of Object.entries(this.previous.files ?? {})) {
      if (this.planned.has(destination) || destination === BYO_MODEL_PATH) continue;
      this.removed.add(destination);
      const path = this.destinationPath(destination);
      if (!existsSync(path)) continue;
      if (sha256(readFileSync(path)) === hash) this.fs.delete(path);
      else this.orphaned.push(destination);
    }
  }

  /** Records in .yo-rc.json the generator's version and what it wrote. */
  private _record(): void {
    const files = { ...this.previous.files, ...this.written };
    for (const gone of this.removed) delete files[gone];
    this.config.set('version', GENERATOR_VERSION);
    this.config.set(
      'files',
      Object.fromEntries(
        Object.keys(files)
          .sort()
          .map((f) => [f, files[f]]),
      ),
    );
    this.config.set('packageJson', this.offeredPackageJson);
  }

  end(): void {
    // The conflicter has run: a file it asked about holds the new version only when the user took it.
    if (this.asked.size > 0) {
      for (const [destination, hash] of this.asked) {
        const path = this.destinationPath(destination);
        if (existsSync(path) && sha256(readFileSync(path)) === hash) this.written[destination] = hash;
      }
      this._record();
    }
    if (this.kept.length > 0)
      this.log.info(
        `kept your changes to ${plural(this.kept.length, 'file')} (the new version was not written): ${this.kept.join(', ')}\n` +
          'To take the new version of a file, delete it and run `yo mlservice` again, or run `yo mlservice` in a terminal (without --yes) to see each diff and choose.',
      );
    if (this.orphaned.length > 0)
      this.log.info(
        `kept ${plural(this.orphaned.length, 'file')} an older generator wrote and this one no longer does, because you changed them: ${this.orphaned.join(', ')}\n` +
          'The service no longer uses them (its runtime is @mlservice/runtime): move what you need into src/app.ts or src/contract/, then delete them.',
      );
    if (this.keptScripts.length > 0)
      this.log.info(
        `kept your changes to ${plural(this.keptScripts.length, 'package.json script')}: ${this.keptScripts.map((s) => `${s.name} (the generator's: ${JSON.stringify(s.generators)})`).join(', ')}`,
      );
    const name = this.spec.config.service.name;
    this.log.ok(
      `${name} is ready. Next: ${this.options.skipInstall ? 'npm install && ' : ''}npm run train && npm start, then open http://localhost:${this.spec.config.service.port}/docs`,
    );
  }

  /**
   * Writes one file of the service. A user file is written only when absent. A generated file is
   * overwritten without asking only when the user has not changed it since the generator wrote it
   * (its sha256 in .yo-rc.json); a changed one is left to yeoman's conflicter in a terminal, and
   * kept otherwise. `merged` contents already hold the user's changes, so they are always written.
   */
  private _writeFile(destination: string, contents: string | Buffer, merged = false): void {
    this.planned.add(destination);
    const path = this.destinationPath(destination);
    const existing = existsSync(path) ? readFileSync(path) : undefined;
    if (ownerOf(destination) === 'user') {
      // Replaced only while it is what an older generator wrote: a file it recorded as generated and
      // the user's now, or its old example (superseded-user-files.ts).
      const recorded = this.previous.files?.[destination];
      if (recorded !== undefined) this.removed.add(destination);
      const old = existing && sha256(existing);
      if (!existing) this.fs.write(path, contents);
      else if ((recorded === old || SUPERSEDED_USER_FILES[destination]?.includes(old!)) && !existing.equals(Buffer.from(contents))) {
        this.fs.write(path, contents);
        (this.fs.store.get(path) as { conflicter?: string }).conflicter = 'force';
      }
      return;
    }
    const next = Buffer.from(contents);
    const hash = sha256(next);
    const decision = decide(existing, next, this.previous.files?.[destination]);
    if (decision === 'identical') this.written[destination] = hash;
    else if (decision === 'write' || merged) {
      this.fs.write(path, contents);
      if (existing) (this.fs.store.get(path) as { conflicter?: string }).conflicter = 'force';
      this.written[destination] = hash;
    } else if (this._interactive) {
      this.fs.write(path, contents);
      this.asked.set(destination, hash);
    } else this.kept.push(destination);
  }

  /** The generator's package.json content merged into the service's own (see derive/package-json-merge.ts). */
  private _writePackageJson(generated: Record<string, unknown>): void {
    const path = this.destinationPath('package.json');
    let existing: Record<string, unknown> | undefined;
    try {
      existing = existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : undefined;
    } catch (e) {
      throw new Error(`Nothing was written: the service's package.json is not valid JSON (${(e as Error).message}). Fix it and run again.`);
    }
    const { json, keptScripts } = mergePackageJson(generated, existing, this.previous.packageJson);
    this.keptScripts = keptScripts;
    const { scripts, dependencies, devDependencies } = generated as GeneratorPackageJson;
    this.offeredPackageJson = { scripts, dependencies, devDependencies };
    this._writeFile('package.json', `${JSON.stringify(json, null, 2)}\n`, true);
  }

  /**
   * features.yaml and config.yaml. Read from this service's own folder, they are the user's source:
   * rewritten (in the native format, every default written out) only when they hold data the new
   * content does not (the legacy format's keys), so a re-run keeps the user's comments and layout,
   * also after a newer generator added keys with defaults. Read from elsewhere, they
   * are the inputs the user named, and replace the service's copy.
   */
  private _writeInput(destination: string, inputPath: string, contents: string): void {
    this.planned.add(destination);
    const path = this.destinationPath(destination);
    const inPlace = resolve(inputPath) === path;
    // In place, it is written only when it says something the new content does not: a key that
    // took a default (e.g. one a newer generator added) changes nothing, and the user's text stays.
    if (inPlace && holdsOnly(parseYaml(readFileSync(path, 'utf8')), parseYaml(contents))) return;
    this._writeFile(destination, contents, true);
  }

  // Yeoman runs every public method as a task: helpers are `_`-prefixed.
  /** Prints a SpecError's lines and stops the run before anything is written. */
  private _failure(e: unknown): Error {
    if (e instanceof SpecError) {
      const error = new Error(`Nothing was written. Fix these and run again:\n${e.message}`);
      error.name = 'SpecError';
      return error;
    }
    return e as Error;
  }
}

export function exampleInputs(example: keyof typeof EXAMPLES, name?: string): Inputs {
  const { dir, data } = EXAMPLES[example];
  return { featuresPath: join(dir, 'features.yaml'), configPath: join(dir, 'config.yaml'), dataPath: data && join(dir, data), name };
}

const dnsName = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+|-+$/g, '')
    .slice(0, 53) || 'mlservice';

const HEADER = (file: string) =>
  `# ${file} of this service, in the native format of generator-mlservice (every default written out).\n` +
  '# Edit it, then run `yo mlservice` in this folder to regenerate the generated files.\n';

function configYaml(spec: ServiceSpec): string {
  return `${HEADER('config.yaml')}${toYaml(spec.config)}`;
}

function nativeFeaturesYaml(spec: ServiceSpec): string {
  const features = {
    task: spec.task,
    target: spec.target,
    ...(spec.classes ? { classes: spec.classes } : {}),
    ...(spec.idField ? { id_field: spec.idField } : {}),
    features: spec.features.map(({ required, redact, ...f }) => ({
      ...f,
      ...(required ? {} : { required }),
      ...(redact ? { redact } : {}),
    })),
  };
  return `${HEADER('features.yaml')}# Migrated from the Python template's format.\n${toYaml(features)}`;
}
