// Bundles the three entry points into dist/ and ships libpg-query's .wasm beside them.
import * as esbuild from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const watch = process.argv.includes('--watch');
rmSync('dist', { recursive: true, force: true });
mkdirSync('dist', { recursive: true });

// libpg-query's emscripten loader resolves its .wasm next to the running script (__dirname).
const wasmDir = dirname(require.resolve('libpg-query/wasm/libpg-query.wasm'));
copyFileSync(join(wasmDir, 'libpg-query.wasm'), 'dist/libpg-query.wasm');

// `pg-rls-lint verify` runs PGlite, whose CommonJS build loads its WASM and data beside the
// bundle, and contrib extensions (`*.tar.gz`) on demand. The extension package leaves them
// out (.vscodeignore): verify is a CLI command.
const pgliteDist = dirname(require.resolve('@electric-sql/pglite'));
for (const f of readdirSync(pgliteDist)) {
  if (/\.(wasm|data|tar\.gz)$/.test(f)) copyFileSync(join(pgliteDist, f), join('dist', f));
}
// pgvector, which AI apps' migrations create (`vector.tar.gz`; PGlite ships it apart)
const pgvectorDist = dirname(require.resolve('@electric-sql/pglite-pgvector'));
copyFileSync(join(pgvectorDist, 'vector.tar.gz'), 'dist/vector.tar.gz');

// Rule docs ship in the extension: "Show rule documentation" previews dist/docs/rules/<id>.md.
mkdirSync('dist/docs/rules', { recursive: true });
if (existsSync('docs/rules')) {
  for (const f of readdirSync('docs/rules')) {
    if (f.endsWith('.md')) copyFileSync(join('docs/rules', f), join('dist/docs/rules', f));
  }
}

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  legalComments: 'none',
  // smaller bundles (the .vsix ships two of them) with readable names in stack traces
  minifyWhitespace: true,
  minifySyntax: true,
  // jsonc-parser's UMD entry uses a dynamic require that bundlers cannot follow; its ESM
  // build bundles cleanly. (libpg-query must stay on its CJS entry: it finds its .wasm
  // through __dirname.)
  alias: { 'jsonc-parser': './node_modules/jsonc-parser/lib/esm/main.js' },
  // ESM dependencies (fdir via tinyglobby) use import.meta.url, which is empty in CJS output.
  define: { 'import.meta.url': 'importMetaUrl' },
  inject: ['scripts/import-meta-url.js'],
};

const builds = [
  { entryPoints: ['client/src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
  { entryPoints: ['server/src/lsp/main.ts'], outfile: 'dist/server.js' },
  { entryPoints: ['server/src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
];

if (watch) {
  for (const b of builds) (await esbuild.context({ ...common, ...b })).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build({ ...common, ...b })));
}
