// Runs test/e2e/neovim.lua in a headless Neovim (0.7) against dist/server.js --stdio, on a
// copy of the fixture workspace. Each `PASS`/`FAIL` line the script writes is one result.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

export async function runNeovim({ nvim, tmp, results, timeoutMs = 120_000 }) {
  const dir = join(tmp, 'neovim');
  const ws = join(dir, 'workspace');
  mkdirSync(ws, { recursive: true });
  cpSync(join(root, 'test', 'e2e', 'fixtures', 'app'), join(ws, 'app'), { recursive: true });
  const resultFile = join(dir, 'results.txt');
  writeFileSync(resultFile, '');
  const env = {
    ...process.env,
    PG_RLS_LINT_SERVER: join(root, 'dist', 'server.js'),
    PG_RLS_LINT_ROOT: ws,
    PG_RLS_LINT_RESULT: resultFile,
    NVIM_LOG_FILE: join(dir, 'nvim.log'),
    XDG_CONFIG_HOME: join(dir, 'config'),
    XDG_DATA_HOME: join(dir, 'data'),
    XDG_STATE_HOME: join(dir, 'state'),
    XDG_CACHE_HOME: join(dir, 'cache'),
  };
  const t0 = Date.now();
  const child = spawn(nvim, ['--headless', '-u', 'NONE', '-i', 'NONE', '-n', '-c', `luafile ${join(root, 'test', 'e2e', 'neovim.lua')}`], { env, cwd: ws, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {}
  }, timeoutMs);
  const code = await new Promise((resolve) => child.on('exit', (c, s) => resolve(c ?? s)));
  clearTimeout(timer);
  try {
    process.kill(-child.pid, 'SIGKILL'); // the language server, if it outlived nvim
  } catch {}
  const lines = existsSync(resultFile) ? readFileSync(resultFile, 'utf8').split('\n').filter(Boolean) : [];
  for (const l of lines) {
    const m = /^(PASS|FAIL)\t([^\t]*)\t?(.*)$/.exec(l);
    if (!m) continue;
    if (m[1] === 'PASS') results.pass(m[2]);
    else results.fail(m[2], new Error(m[3] || "failed"));
  }
  const failedLines = lines.filter((l) => l.startsWith('FAIL')).length;
  if (timedOut) results.fail('neovim: finished in time', new Error(`nvim did not exit within ${timeoutMs / 1000} s; output: ${output.trim().slice(-800)}`));
  else if (code !== 0 && failedLines === 0) results.fail('neovim: nvim exits cleanly', new Error(`exit ${code}; output: ${output.trim().slice(-800)}`));
  else if (lines.length === 0) results.fail('neovim: the test script ran', new Error(`no results; output: ${output.trim().slice(-800)}`));
  console.log(`  Neovim part: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
