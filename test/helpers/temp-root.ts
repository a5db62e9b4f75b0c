// vitest globalSetup: every temporary folder of the test run (scaffolded services, inputs, yeoman-test
// dirs, the service tests' model bundles, npm's own temp files) goes under one parent, removed at the end.
// TMPDIR is read by os.tmpdir() on each call and inherited by the test workers and every child process.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const previous = process.env.TMPDIR;
  const root = mkdtempSync(join(tmpdir(), 'generator-mlservice-test-'));
  // Traversable by the unprivileged user the yo CLI test switches to.
  chmodSync(root, 0o755);
  process.env.TMPDIR = root;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    if (process.env.MLSERVICE_KEEP_TEST_TMP) console.log(`test folders kept in ${root}`);
    else rmSync(root, { recursive: true, force: true });
  };
}
