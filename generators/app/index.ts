import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import Generator from 'yeoman-generator';
import { stringify as toYaml } from 'yaml';
import { checkByoModel } from './byo-model.js';
import { createHandlebars, templateContext } from './derive/context.js';
import { featuresModule } from './derive/features-module.js';
import { packageJson } from './derive/package-json.js';
import { sampleCsv } from './derive/sample-data.js';
import { EXAMPLES, exampleForTask, isExample } from './examples.js';
import { ownerOf, planFiles } from './files.js';
import { OPTIONS, type MlserviceOptions } from './options.js';
import { askSources } from './prompts.js';
import { SpecError } from './spec/errors.js';
import { TASKS } from './spec/features-schema.js';
import { loadSpec, readSources } from './spec/load.js';
import type { ServiceSpec } from './spec/types.js';

/** Where the two input files come from, decided before anything is read. */
export interface Inputs {
  featuresPath: string;
  configPath: string;
  /** Training data to copy into the service, when one ships with the inputs. */
  dataPath?: string;
  name?: string;
}

const BYO_MODEL_PATH = 'model_src/model.onnx';

export default class MlserviceGenerator extends Generator<Record<string, never>, MlserviceOptions & Generator['options']> {
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
    if (o.example && !isExample(o.example)) throw this._failure(new SpecError([{ file: 'command line', path: '--example', message: `unknown example ${JSON.stringify(o.example)}; shipped examples: ${Object.keys(EXAMPLES).join(', ')}.` }]));
    if (o.task && !(TASKS as readonly string[]).includes(o.task)) throw this._failure(new SpecError([{ file: 'command line', path: '--task', message: `got ${JSON.stringify(o.task)}; allowed: ${TASKS.join(', ')}.` }]));
    if (Boolean(o.features) !== Boolean(o.config))
      throw this._failure(new SpecError([{ file: 'command line', path: o.features ? '--config' : '--features', message: 'pass both --features and --config (or neither, to start from an example or regenerate the service in this folder).' }]));
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

  writing(): void {
    const spec = this.spec;
    const hb = createHandlebars();
    const context = templateContext(spec);
    for (const file of planFiles(spec)) {
      if (file.owner === 'user' && existsSync(this.destinationPath(file.destination))) continue;
      const text = readFileSync(file.source);
      if (file.render) this._writeFile(file.destination, hb.compile(text.toString('utf8'), { noEscape: true, strict: true })(context));
      else this._writeFile(file.destination, text);
    }
    this._writeFile('package.json', `${JSON.stringify(packageJson(spec), null, 2)}\n`);
    this._writeFile('src/schemas/features.ts', featuresModule(spec));
    const migrated = spec.formats.features === 'legacy' || spec.formats.config === 'legacy';
    this._writeFile('features.yaml', migrated ? nativeFeaturesYaml(spec) : readFileSync(this.inputs.featuresPath, 'utf8'));
    this._writeFile('config.yaml', configYaml(spec));
    const data = spec.config.training.data;
    if (!spec.config.model.onnx_path && !existsSync(this.destinationPath(data))) {
      const shipped = this.inputs.dataPath ?? resolve(dirname(this.inputs.configPath), data);
      this._writeFile(data, existsSync(shipped) ? readFileSync(shipped) : sampleCsv(spec));
    }
    if (this.byoSource && resolve(this.byoSource) !== this.destinationPath(BYO_MODEL_PATH)) this._writeFile(BYO_MODEL_PATH, readFileSync(this.byoSource));
  }

  end(): void {
    const name = this.spec.config.service.name;
    this.log.ok(`${name} is ready. Next: ${this.options.skipInstall ? 'npm install && ' : ''}npm run train && npm start, then open http://localhost:${this.spec.config.service.port}/docs`);
  }

  /**
   * Writes one file of the service. Generated files are regenerated without asking (their header
   * says so); a user file is written only when absent (checked by the caller). A new file is
   * left to yeoman, which reports it as `create`.
   */
  private _writeFile(destination: string, contents: string | Buffer): void {
    const path = this.destinationPath(destination);
    const existed = existsSync(path);
    this.fs.write(path, contents);
    if (existed && ownerOf(destination) === 'generated') {
      const file = this.fs.store.get(path) as { conflicter?: string };
      file.conflicter = 'force';
    }
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

const dnsName = (s: string) => s.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^[^a-z]+|-+$/g, '').slice(0, 53) || 'mlservice';

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
    features: spec.features.map(({ required, redact, ...f }) => ({ ...f, ...(required ? {} : { required }), ...(redact ? { redact } : {}) })),
  };
  return `${HEADER('features.yaml')}# Migrated from the Python template's format.\n${toYaml(features)}`;
}
