// `npm run test:e2e`: the packaged extension in a real VS Code (code-server + chromium via
// playwright-core) and the language server in a second editor (headless Neovim).
//
//   node test/e2e/run.mjs [--only vscode|neovim|package] [--keep]
//
// 1. installs what it needs (setup.mjs: missing Debian packages, code-server in a cache folder)
// 2. builds and packages the .vsix, checks what it contains
// 3. drives VS Code (vscode.mjs), then Neovim (neovim.lua)
// Prints one closing line `N passed, M failed`. Exit codes: 0 all passed, 1 a check failed,
// 3 the environment could not be prepared (apt or the npm registry unreachable, no root…):
// then nothing of the product was tested, and the output says so.
// Screenshots and logs stay in a temp folder (printed); --keep keeps it on success too.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureEnvironment, EnvironmentError } from './setup.mjs';
import { zipEntries } from '../../scripts/zip.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
process.chdir(root);
const argv = process.argv.slice(2);
const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : undefined;
const keep = argv.includes('--keep');
const want = (part) => !only || only === part;
const sec = (ms) => `${(ms / 1000).toFixed(1)} s`;
const T0 = Date.now();

// ---- results ----
const passed = [];
const failed = [];
const skipped = [];
const results = {
  pass(name) {
    passed.push(name);
    console.log(`  ✔ ${name}`);
  },
  fail(name, err) {
    failed.push(name);
    const msg = err instanceof Error ? err.message : String(err);
    console.log(`  ✖ ${name}\n      ${msg.split('\n').join('\n      ')}`);
  },
  skip(name, reason) {
    skipped.push(name);
    console.log(`  - ${name}: skipped (${reason})`);
  },
};

function finish(code) {
  console.log('');
  if (skipped.length) console.log(`skipped: ${skipped.join('; ')}`);
  console.log(`e2e took ${sec(Date.now() - T0)}`);
  console.log(`${passed.length} passed, ${failed.length} failed`);
  process.exit(code ?? (failed.length ? 1 : 0));
}

// Nothing may hang CI: a run longer than this is a failure that says where it stood.
const WATCHDOG_MS = Number(process.env.PG_RLS_LINT_E2E_TIMEOUT_MS || 20 * 60_000);
setTimeout(() => {
  results.fail('e2e watchdog', new Error(`the e2e run did not finish within ${sec(WATCHDOG_MS)}; stopped`));
  finish(1);
}, WATCHDOG_MS).unref();

// ---- 1. environment ----
let envInfo;
console.log('e2e: preparing the environment');
try {
  envInfo = ensureEnvironment((m) => console.log(`  ${m}`));
} catch (err) {
  if (!(err instanceof EnvironmentError)) throw err;
  console.log(`\ne2e: ENVIRONMENT UNAVAILABLE, nothing of the product was tested:\n  ${err.message.split('\n').join('\n  ')}`);
  console.log('\n0 passed, 0 failed (e2e not run: environment unavailable)');
  process.exit(3);
}

const tmp = mkdtempSync(join(tmpdir(), 'pg-rls-lint-e2e-'));
console.log(`e2e: temp folder ${tmp}`);

// ---- 2. package ----
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const vsix = join(root, `${pkg.name}-${pkg.version}.vsix`);

console.log('\ne2e: npm run package');
{
  const t = Date.now();
  const r = spawnSync('npm', ['run', '--silent', 'package'], { encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });
  if (r.status !== 0 || !existsSync(vsix)) {
    results.fail('npm run package', new Error(`exit ${r.status}:\n${`${r.stdout}${r.stderr}`.trim().slice(-1500)}`));
    finish(1);
  }
  const names = zipEntries(readFileSync(vsix)).map((e) => e.name);
  const allowed = [/^\[Content_Types\]\.xml$/, /^extension\.vsixmanifest$/, /^extension\/dist\/[^/]+\.js$/, /^extension\/dist\/libpg-query\.wasm$/, /^extension\/dist\/(pglite\.wasm|pglite\.data|initdb\.wasm|[a-z0-9_-]+\.tar\.gz)$/, /^extension\/dist\/docs\//, /^extension\/dist\/pg-rls-lint\.schema\.json$/, /^extension\/snippets\//, /^extension\/(readme\.md|changelog\.md|LICENSE\.txt|package\.json)$/i, /^extension\/images\/icon\.png$/];
  const unexpected = names.filter((n) => !allowed.some((re) => re.test(n)));
  const required = ['extension/dist/extension.js', 'extension/dist/server.js', 'extension/dist/libpg-query.wasm', 'extension/dist/cli.js', 'extension/dist/pglite.wasm', 'extension/dist/pglite.data', 'extension/dist/pg-rls-lint.schema.json', 'extension/package.json', 'extension/images/icon.png'];
  const missing = required.filter((n) => !names.includes(n));
  const kb = statSync(vsix).size / 1024;
  console.log(`  ${vsix}: ${kb.toFixed(0)} KB, ${names.length} files (${sec(Date.now() - t)})`);
  if (unexpected.length || missing.length || names.some((n) => n.includes('node_modules/') || n.endsWith('.map'))) {
    results.fail('the .vsix holds only the bundles, the .wasm, PGlite, docs, the config schema, snippets, README, LICENSE, CHANGELOG, icon', new Error(`unexpected: ${unexpected.join(', ') || '-'}; missing: ${missing.join(', ') || '-'}`));
  } else if (kb > 10 * 1024) {
    results.fail('the .vsix stays small', new Error(`${kb.toFixed(0)} KB > 10 MB`));
  } else {
    results.pass(`the .vsix holds only dist bundles, .wasm, PGlite, docs, the config schema, snippets, README, LICENSE, CHANGELOG, icon (${kb.toFixed(0)} KB)`);
  }
}

// ---- what the server and the snippets offer now (steps depending on them are conditional) ----
async function serverCapabilities() {
  const child = spawn(process.execPath, ['dist/server.js', '--stdio'], { stdio: ['pipe', 'pipe', 'ignore'] });
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { processId: process.pid, rootUri: null, capabilities: {} } });
  child.stdin.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  let buf = '';
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no initialize response within 20 s')), 20_000);
      child.stdout.on('data', (d) => {
        buf += d;
        const m = /\r\n\r\n(\{.*"id":1.*\})/s.exec(buf);
        if (!m) return;
        try {
          const msg = JSON.parse(m[1]);
          clearTimeout(timer);
          resolve(msg.result?.capabilities ?? {});
        } catch {}
      });
      child.on('exit', (c) => reject(new Error(`server exited (${c}) before answering initialize`)));
    });
  } finally {
    child.kill('SIGKILL');
  }
}

function snippetInfo() {
  const f = join(root, 'snippets', 'sql.code-snippets');
  if (!existsSync(f)) return undefined;
  let all;
  try {
    // JSONC: drop // comments outside strings is overkill here; the file is plain JSON today.
    all = JSON.parse(readFileSync(f, 'utf8').replace(/^\s*\/\/.*$/gm, ''));
  } catch {
    return undefined;
  }
  for (const s of Object.values(all)) {
    const prefixes = [s?.prefix].flat();
    if (!prefixes.includes('rls-audit-table')) continue;
    const body = [s.body].flat().join('\n');
    // the first line of the body without placeholders, e.g. "CREATE TABLE …": what must appear
    const first = body.split('\n').map((l) => l.replace(/\$\{\d+:([^}]*)\}/g, '$1').replace(/\$\{\d+\|([^,|}]*)[^}]*\}/g, '$1').replace(/\$\d+/g, '').trim()).find((l) => l && !l.startsWith('--'));
    return { prefix: 'rls-audit-table', expect: first ?? body.trim().split('\n')[0] };
  }
  return undefined;
}

let capabilities = {};
try {
  capabilities = await serverCapabilities();
} catch (err) {
  results.fail('the language server starts (dist/server.js --stdio answers initialize)', err);
}
const snippet = snippetInfo();

// ---- 3. VS Code ----
if (want('vscode')) {
  console.log('\ne2e: VS Code (code-server 4.100.3, chromium, playwright-core)');
  const t = Date.now();
  try {
    const { runVsCode } = await import('./vscode.mjs');
    await runVsCode({ codeServer: envInfo.codeServer, chromium: envInfo.chromium, vsix, tmp, capabilities, snippet, results });
  } catch (err) {
    results.fail('VS Code session', err);
  }
  console.log(`  VS Code part: ${sec(Date.now() - t)}; screenshots in ${join(tmp, 'screenshots')}`);
}

// ---- 4. Neovim ----
if (want('neovim')) {
  console.log('\ne2e: Neovim (a second LSP client)');
  if (!envInfo.nvim) {
    results.fail('neovim', new Error('nvim is not installed'));
  } else {
    try {
      const { runNeovim } = await import('./neovim.mjs');
      await runNeovim({ nvim: envInfo.nvim, tmp, results });
    } catch (err) {
      results.fail('Neovim session', err);
    }
  }
}

if (!failed.length && !keep) rmSync(tmp, { recursive: true, force: true });
else console.log(`\ne2e: logs and screenshots kept in ${tmp}`);
finish();
