// `pg-rls-lint matrix`: the built dist/cli.js as a subprocess on the insight fixture.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ensureServerBuilt, ROOT } from '../lsp/client.js';
import { INSIGHT_FILES } from '../helpers/insight-fixtures.js';

const CLI = join(ROOT, 'dist', 'cli.js');
let dir = '';

before(() => {
  ensureServerBuilt();
  dir = mkdtempSync(join(tmpdir(), 'pg-rls-lint-matrix-'));
  mkdirSync(join(dir, 'm'));
  for (const [name, text] of Object.entries(INSIGHT_FILES)) writeFileSync(join(dir, 'm', name), text);
});
after(() => rmSync(dir, { recursive: true, force: true }));

const run = (args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

test('ok: matrix prints tables × commands × roles as text', () => {
  const r = run(['matrix', 'm']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.equal(lines[0], 'RLS matrix: 2 tables × 2 roles × 4 commands');
  const docs = lines.indexOf('public.docs  RLS on, forced, 3 policies');
  assert.ok(docs > 0, r.stdout);
  assert.deepEqual(lines.slice(docs + 1, docs + 6), [
    '  command  app_user                     authenticated',
    '  SELECT   deny (no permissive policy)  filtered (docs_select, docs_guard)',
    '  INSERT   allow (docs_insert)          deny (no permissive policy)',
    '  UPDATE   deny (no GRANT)              deny (no GRANT)',
    '  DELETE   deny (no GRANT)              deny (no GRANT)',
  ]);
  assert.ok(lines.includes('public.notes  RLS off, 0 policies'), r.stdout);
});

test('ok: matrix --format json gives the cells', () => {
  const r = run(['matrix', 'm', '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.deepEqual(j.roles, ['app_user', 'authenticated']);
  assert.deepEqual(j.commands, ['select', 'insert', 'update', 'delete']);
  assert.deepEqual(j.tables.map((t: { table: string }) => t.table), ['public.docs', 'public.notes']);
  const docs = j.tables[0];
  assert.equal(docs.rlsEnabled, true);
  assert.equal(docs.rlsForced, true);
  assert.equal(docs.policyCount, 3);
  assert.deepEqual(docs.cells.authenticated.select, { access: 'filtered', policies: ['docs_select', 'docs_guard'] });
  assert.deepEqual(docs.cells.app_user.insert, { access: 'allow', policies: ['docs_insert'] });
  assert.deepEqual(j.tables[1].cells.app_user.select, { access: 'deny', policies: [], reason: 'no GRANT' });
});

test('err: matrix with another format or a missing path exits 2', () => {
  const bad = run(['matrix', 'm', '--format', 'sarif']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /matrix: --format must be text or json/);
  const missing = run(['matrix', 'nowhere']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no such file or directory: nowhere/);
});
