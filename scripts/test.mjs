// Runs the test suite with node's built-in runner. Node 20's `--test` does not expand globs,
// so the files are listed here. Usage: node scripts/test.mjs [paths or globs …]
// (default: every test/**/*.test.ts except the editor end-to-end tests, run by test:e2e).
// The TAP report goes to stdout; a spec report goes to a temporary file, and when a test
// fails its "failing tests" section (names, files, errors) is printed again at the very end,
// so a log that keeps only its tail (CI) still says which test failed and why.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { globSync } from 'tinyglobby';

const args = process.argv.slice(2);
const patterns = args.length ? args.map((a) => (a.endsWith('.ts') ? a : `${a.replace(/\/$/, '')}/**/*.test.ts`)) : ['test/**/*.test.ts'];
const files = globSync(patterns, { ignore: args.length ? [] : ['test/e2e/**'] }).sort();
if (files.length === 0) {
  console.error(`no test files match ${patterns.join(' ')}`);
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'pg-rls-lint-test-'));
const spec = join(dir, 'spec.txt');
// (every test file also loads test/helpers/guard-shared.ts: see there)
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--import', './test/helpers/guard-shared.ts', '--test', '--test-concurrency=2',
    '--test-reporter=tap', '--test-reporter-destination=stdout', '--test-reporter=spec', `--test-reporter-destination=${spec}`, ...files],
  { stdio: 'inherit' },
);
if (r.status !== 0) {
  let text = '';
  try { text = readFileSync(spec, 'utf8'); } catch { /* no spec report: nothing to repeat */ }
  const at = text.search(/^\S*\s*failing tests:/m);
  if (at >= 0) console.log(`\n# ---- failing tests (repeated from the report above) ----\n${text.slice(at).replace(/\u001b\[[0-9;]*m/g, '')}`);
}
rmSync(dir, { recursive: true, force: true });
process.exit(r.status ?? 1);
