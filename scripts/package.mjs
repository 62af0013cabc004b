// Packages the extension into pg-rls-lint-<version>.vsix with @vscode/vsce, offline.
// Run through `npm run package` (which builds dist/ first). What goes into the vsix is set by
// .vscodeignore; this script prints the path, the size and the file list of the result.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipEntries } from './zip.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const out = `${pkg.name}-${pkg.version}.vsix`;

for (const f of ['dist/extension.js', 'dist/server.js', 'dist/libpg-query.wasm']) {
  if (!existsSync(join(root, f))) {
    console.error(`${f} is missing: run \`npm run build\` first (or \`npm run package\`, which builds).`);
    process.exit(1);
  }
}

// vsce's bin; --no-dependencies: everything the extension needs is bundled into dist/.
const vsce = join(require.resolve('@vscode/vsce/package.json').replace(/package\.json$/, ''), 'vsce');
const r = spawnSync(process.execPath, [vsce, 'package', '--no-dependencies', '--out', out], {
  cwd: root,
  // No stdin: a vsce question (e.g. a missing LICENSE) fails instead of waiting forever.
  stdio: ['ignore', 'inherit', 'inherit'],
});
if (r.status !== 0) {
  console.error(`vsce package failed (exit ${r.status ?? r.signal})`);
  process.exit(r.status || 1);
}

const vsixPath = join(root, out);
const entries = zipEntries(readFileSync(vsixPath));
console.log(`\n${vsixPath}`);
console.log(`${(statSync(vsixPath).size / 1024).toFixed(1)} KB, ${entries.length} files:`);
for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
  console.log(`  ${e.name.padEnd(60)} ${(e.size / 1024).toFixed(1).padStart(8)} KB`);
}
