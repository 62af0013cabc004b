// Installs what the editor end-to-end tests need, outside the project's dependencies:
// Debian packages (only the missing ones) and code-server 4.100.3 in a cache folder reused
// between runs (~/.cache/pg-rls-lint-e2e, or $PG_RLS_LINT_E2E_CACHE).
// See ../../../shared/E2E.md for why each step is done this way (the three install traps).
//
// A failure here is the environment's (no apt, no registry, a failed native build), never the
// product's: it throws EnvironmentError so the runner can tell the two apart.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const CODE_SERVER_VERSION = '4.100.3';
export const APT_PACKAGES = ['chromium', 'ripgrep', 'libkrb5-dev', 'pkg-config', 'build-essential', 'neovim'];
const RIPGREP_ARCHIVE = { dir: 'vscode-ripgrep-cache-1.15.11', file: 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz' };

export class EnvironmentError extends Error {}

export function cacheRoot() {
  return process.env.PG_RLS_LINT_E2E_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'pg-rls-lint-e2e');
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  return { status: r.status ?? (r.error ? 127 : 1), out: `${r.stdout ?? ''}${r.stderr ?? ''}`, error: r.error };
}

function tail(text, lines = 25) {
  return text.trim().split('\n').slice(-lines).join('\n');
}

function installed(pkg) {
  const r = run('dpkg-query', ['-W', '-f=${Status}', pkg]);
  return r.status === 0 && r.out.includes('install ok installed');
}

/** Installs the missing Debian packages (apt-get update first). Returns the names installed. */
export function ensureAptPackages(log) {
  const missing = APT_PACKAGES.filter((p) => !installed(p));
  if (missing.length === 0) return [];
  // as root, or through passwordless sudo (a CI user that is not root)
  const root = typeof process.getuid !== 'function' || process.getuid() === 0;
  if (!root && run('sudo', ['-n', 'true']).status !== 0) {
    throw new EnvironmentError(`missing Debian packages ${missing.join(' ')} and not root (no passwordless sudo): run \`sudo apt-get install -y ${missing.join(' ')}\``);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const timeout = 10 * 60_000;
  const apt = (args) =>
    root ? run('apt-get', args, { env, timeout }) : run('sudo', ['-n', 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', ...args], { env, timeout });
  log(`${root ? '' : 'sudo '}apt-get install ${missing.join(' ')}`);
  const upd = apt(['update', '-qq']);
  if (upd.status !== 0) throw new EnvironmentError(`apt-get update failed (exit ${upd.status}):\n${tail(upd.out)}`);
  const inst = apt(['install', '-y', '-qq', '--no-install-recommends', ...missing]);
  if (inst.status !== 0) throw new EnvironmentError(`apt-get install ${missing.join(' ')} failed (exit ${inst.status}):\n${tail(inst.out)}`);
  const still = missing.filter((p) => !installed(p));
  if (still.length) throw new EnvironmentError(`apt-get did not install ${still.join(' ')}`);
  return missing;
}

/** code-server's entry point (installed into the cache folder when missing). */
export function ensureCodeServer(log) {
  const dir = join(cacheRoot(), `code-server-${CODE_SERVER_VERSION}`);
  const bin = join(dir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  const done = join(dir, '.complete');
  if (existsSync(done) && existsSync(bin)) return { bin, dir, fresh: false };

  log(`installing code-server ${CODE_SERVER_VERSION} into ${dir} (once; reused by later runs)`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'pg-rls-lint-e2e-code-server', private: true }, null, 2));

  // Trap 1: @vscode/ripgrep's postinstall downloads from GitHub unless it finds this archive
  // under $TMPDIR; Debian's rg is the same 13.0.0.
  const tmp = join(dir, 'tmp');
  const rgCache = join(tmp, RIPGREP_ARCHIVE.dir);
  mkdirSync(rgCache, { recursive: true });
  const rg = run('which', ['rg']).out.trim();
  if (!rg) throw new EnvironmentError('ripgrep (rg) is not installed: apt-get install ripgrep');
  const tar = run('tar', ['-czf', join(rgCache, RIPGREP_ARCHIVE.file), '-C', rg.replace(/\/rg$/, ''), 'rg']);
  if (tar.status !== 0) throw new EnvironmentError(`could not pack ${rg} for @vscode/ripgrep:\n${tail(tar.out)}`);

  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = run(
    npm,
    // Trap 3: as root, --unsafe-perm; a local install (this folder), not -g.
    ['install', `code-server@${CODE_SERVER_VERSION}`, '--unsafe-perm', '--no-audit', '--no-fund', '--no-save', '--loglevel=error'],
    {
      cwd: dir,
      // Trap 2: node-pty's postinstall runs `npx node-gyp`, which `yes=false` cancels.
      env: { ...process.env, TMPDIR: tmp, npm_config_yes: 'true', npm_config_update_notifier: 'false' },
      timeout: 20 * 60_000,
    },
  );
  if (r.status !== 0 || !existsSync(bin)) {
    throw new EnvironmentError(`npm install code-server@${CODE_SERVER_VERSION} failed (exit ${r.status}${r.error ? `, ${r.error.message}` : ''}):\n${tail(r.out, 40)}`);
  }
  rmSync(tmp, { recursive: true, force: true });
  writeFileSync(done, `${new Date().toISOString()}\n`);
  return { bin, dir, fresh: true };
}

/** Everything the editor tests need; throws EnvironmentError. */
export function ensureEnvironment(log = console.log) {
  const t0 = Date.now();
  const apt = ensureAptPackages(log);
  const t1 = Date.now();
  const cs = ensureCodeServer(log);
  const t2 = Date.now();
  const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
  if (!chromium) throw new EnvironmentError('chromium is not installed (apt-get install chromium)');
  const nvim = run('which', ['nvim']).out.trim();
  log(`setup: apt ${apt.length ? `${((t1 - t0) / 1000).toFixed(1)} s (${apt.join(' ')})` : 'ok (nothing missing)'}, code-server ${cs.fresh ? `installed in ${((t2 - t1) / 1000).toFixed(1)} s` : 'cached'}`);
  return { codeServer: cs.bin, chromium, nvim: nvim || undefined };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    console.log(ensureEnvironment());
  } catch (err) {
    console.error(err instanceof EnvironmentError ? `environment: ${err.message}` : err);
    process.exit(err instanceof EnvironmentError ? 3 : 1);
  }
}
