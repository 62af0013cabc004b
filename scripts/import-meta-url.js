// Injected into the CommonJS bundles by scripts/build.mjs: ESM dependencies that call
// createRequire(import.meta.url) (e.g. fdir, through tinyglobby) get this file's URL instead
// of the `undefined` that esbuild's CJS output would give them.
export const importMetaUrl = require('node:url').pathToFileURL(__filename).href;
