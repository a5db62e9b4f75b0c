// Scaffolds a service with the COMPILED generator through the yeoman-environment API, as
// scripts/scaffold.mjs does (yo itself refuses to run as root). Run `npm run build` first (`npm test` does).
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEnv } from 'yeoman-environment';
import { TestAdapter } from 'yeoman-test';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const GENERATOR = join(REPO_ROOT, 'generators/app/index.js');

export interface ScaffoldOptions {
  /** features.yaml text; when only one of features/config is given, the other comes from `example`. */
  features?: string;
  /** config.yaml text. */
  config?: string;
  /** Shipped example to start from (default iris) when features/config are not given. */
  example?: string;
  /** Target folder (created when missing); default: a new temporary folder. */
  dir?: string;
  /** Extra generator options (e.g. { name: 'other-name' }). */
  options?: Record<string, unknown>;
  /** Collects what the generator logs, one entry a call. */
  log?: string[];
}

/** Generates a service (skipInstall) and returns its folder. */
export async function scaffold(opts: ScaffoldOptions = {}): Promise<string> {
  if (!existsSync(GENERATOR)) throw new Error(`${GENERATOR} is missing: run \`npm run build\` first.`);
  const dir = resolve(opts.dir ?? mkdtempSync(join(tmpdir(), 'mlservice-scaffold-')));
  mkdirSync(dir, { recursive: true });
  const inputs: Record<string, unknown> = {};
  if (opts.features !== undefined || opts.config !== undefined) {
    const exampleDir = join(REPO_ROOT, 'examples', opts.example ?? 'iris');
    const inputDir = mkdtempSync(join(tmpdir(), 'mlservice-inputs-'));
    const write = (name: string, text: string | undefined) => {
      if (text === undefined) return join(exampleDir, name);
      writeFileSync(join(inputDir, name), text);
      return join(inputDir, name);
    };
    inputs.features = write('features.yaml', opts.features);
    inputs.config = write('config.yaml', opts.config);
  } else if (opts.example) {
    inputs.example = opts.example;
  }
  const env = createEnv({
    cwd: dir,
    skipInstall: true,
    force: true,
    adapter: new TestAdapter(
      opts.log
        ? ({
            spyFactory:
              ({ returns }: { returns?: unknown }) =>
              (...args: unknown[]) => {
                opts.log!.push(args.map(String).join(' '));
                return returns;
              },
          } as never)
        : {},
    ),
  } as never);
  env.register(GENERATOR, { namespace: 'mlservice:app' });
  await env.run('mlservice:app', { yes: true, skipInstall: true, ...inputs, ...opts.options } as never);
  return dir;
}
