// Build step: packs packages/runtime (its prepack compiles it) into vendor/, where the generator takes
// it from to ship it inside each generated service (vendor/<tarball>, a `file:` dependency): a service
// installs the runtime without a registry. vendor/runtime.json names the tarball and its version.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const vendor = `${root}vendor`;
rmSync(vendor, { recursive: true, force: true });
mkdirSync(vendor);
const [packed] = JSON.parse(
  execFileSync('npm', ['pack', '--json', '--workspace', 'packages/runtime', '--pack-destination', vendor], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }),
);
if (!readdirSync(vendor).includes(packed.filename)) throw new Error(`npm pack wrote no ${packed.filename} into ${vendor}`);
writeFileSync(
  `${vendor}/runtime.json`,
  `${JSON.stringify({ name: packed.name, version: packed.version, tarball: packed.filename }, null, 2)}\n`,
);
