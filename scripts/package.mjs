// Packages the extension into pg-rls-lint-<version>.vsix with @vscode/vsce, offline.
// Run through `npm run package` (which builds dist/ first). What goes into the vsix is set by
// .vscodeignore; this script prints the path, the size and the file list of the result.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

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

/** Names and uncompressed sizes from a zip's central directory (a vsix is a zip). */
function zipEntries(buf) {
  // End of central directory record: signature 0x06054b50, within the last 64 KiB + 22 bytes.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip file');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const entries = [];
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error('corrupt zip central directory');
    const size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    entries.push({ name: buf.toString('utf8', p + 46, p + 46 + nameLen), size });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

const vsixPath = join(root, out);
const entries = zipEntries(readFileSync(vsixPath));
console.log(`\n${vsixPath}`);
console.log(`${(statSync(vsixPath).size / 1024).toFixed(1)} KB, ${entries.length} files:`);
for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
  console.log(`  ${e.name.padEnd(60)} ${(e.size / 1024).toFixed(1).padStart(8)} KB`);
}
