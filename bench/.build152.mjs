import { buildSync } from 'esbuild';
import { join } from 'node:path';
import { mkdirSync, copyFileSync } from 'node:fs';
const root = process.argv[2];
mkdirSync(join(root, 'bench/.cache'), { recursive: true });
copyFileSync(join(root, 'node_modules/libpg-query/wasm/libpg-query.wasm'), join(root, 'bench/.cache/libpg-query.wasm'));
buildSync({ entryPoints: [join(root, 'bench/phase.ts')], bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'warning',
  alias: { 'jsonc-parser': join(root, 'node_modules/jsonc-parser/lib/esm/main.js') }, outfile: join(root, 'bench/.cache/bench.js') });
