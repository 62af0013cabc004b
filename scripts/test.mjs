// Runs the test suite with node's built-in runner. Node 20's `--test` does not expand globs,
// so the files are listed here. Usage: node scripts/test.mjs [paths or globs …]
// (default: every test/**/*.test.ts except the editor end-to-end tests, run by test:e2e).
import { spawnSync } from 'node:child_process';
import { globSync } from 'tinyglobby';

const args = process.argv.slice(2);
const patterns = args.length ? args.map((a) => (a.endsWith('.ts') ? a : `${a.replace(/\/$/, '')}/**/*.test.ts`)) : ['test/**/*.test.ts'];
const files = globSync(patterns, { ignore: args.length ? [] : ['test/e2e/**'] }).sort();
if (files.length === 0) {
  console.error(`no test files match ${patterns.join(' ')}`);
  process.exit(2);
}
// (every test file also loads test/helpers/guard-shared.ts: see there)
const r = spawnSync(process.execPath, ['--import', 'tsx', '--import', './test/helpers/guard-shared.ts', '--test', '--test-concurrency=2', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
