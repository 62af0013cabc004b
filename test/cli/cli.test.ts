// The CLI as CI runs it: the built dist/cli.js as a subprocess, against temp fixtures.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { writeIfUnchanged } from '../../server/src/cli/run.js';
import { ensureServerBuilt, ROOT } from '../lsp/client.js';
import { orgLoopFile } from '../helpers/catalog-loop.js';

const CLI = join(ROOT, 'dist', 'cli.js');
const dirs: string[] = [];

function fixture(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(join(tmpdir(), 'pg-rls-lint-cli-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

function run(cwd: string, args: string[], cli = CLI) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const NO_RLS = '-- é 日本 😀\nCREATE TABLE accounts (id uuid PRIMARY KEY);\n';
const ONLY_ENABLED = 'CREATE TABLE docs (id int PRIMARY KEY);\nALTER TABLE docs ENABLE ROW LEVEL SECURITY;\nCREATE POLICY docs_read ON docs FOR SELECT USING (true);\n';
const DEFINER = "CREATE FUNCTION f() RETURNS int LANGUAGE sql SECURITY DEFINER AS $$ SELECT 1 $$;\nREVOKE EXECUTE ON FUNCTION f() FROM PUBLIC;\n";

before(() => ensureServerBuilt());
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('output formats', () => {
  test('ok: a finding quoting a clause written over several lines stays on one line (its line breaks and indentation become one space)', () => {
    const sql = [
      'CREATE ROLE anon;',
      'CREATE TABLE t (id int PRIMARY KEY, bucket text, status text);',
      'ALTER TABLE t ENABLE ROW LEVEL SECURITY;',
      'ALTER TABLE t FORCE ROW LEVEL SECURITY;',
      'GRANT SELECT, DELETE ON t TO anon;',
      'CREATE POLICY t_read ON t FOR SELECT TO anon USING (true);',
      "CREATE POLICY p ON t FOR DELETE TO anon USING (\r\n  bucket = 'x'\r\n  AND status = 'draft'\r\n);",
      '',
    ].join('\r\n');
    const dir = fixture({ 'm/1.sql': sql });
    const r = run(dir, ['m', '--rule', 'policy-anon-write=error']);
    assert.equal(r.code, 1, r.stderr);
    const line = r.stdout.split('\n').find((l) => l.includes('policy-anon-write'));
    assert.ok(line, r.stdout);
    assert.match(line, /USING \(bucket = 'x' AND status = 'draft'\) tests only the row/);
    const json = JSON.parse(run(dir, ['m', '--format', 'json']).stdout);
    const messages = json.files.flatMap((f: { diagnostics: Array<{ message: string }> }) => f.diagnostics.map((d) => d.message));
    assert.ok(messages.length > 0 && messages.every((m: string) => !/[\r\n]/.test(m)), messages.join('\n---\n'));
  });
  test('ok: text output names file, line:col, severity, rule', () => {
    const dir = fixture({ 'm/1.sql': NO_RLS });
    const r = run(dir, ['m']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /m\/1\.sql/);
    assert.match(r.stdout, /2:14\s+warning\s+Table public\.accounts .* rls-not-enabled/);
    // enabling RLS with no policy yet denies the application's roles: offered in the editor, not --fix
    assert.doesNotMatch(r.stdout, /fixable with --fix/);
    assert.match(run(fixture({ 'm/1.sql': ONLY_ENABLED }), ['m']).stdout, /1 fixable with --fix/);
  });

  test('ok: json follows the contract (0-based lines, UTF-16 characters)', () => {
    const dir = fixture({ 'm/1.sql': NO_RLS, 'm/2.sql': 'SELECT 1;' });
    const r = run(dir, ['m', '--format', 'json']);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(j.files.map((f: { path: string }) => f.path), ['m/1.sql', 'm/2.sql']);
    const d = j.files[0].diagnostics.find((x: { rule: string }) => x.rule === 'rls-not-enabled');
    assert.deepEqual(Object.keys(d).sort(), ['fixes', 'message', 'range', 'rule', 'severity']);
    assert.deepEqual(d.range, { start: { line: 1, character: 13 }, end: { line: 1, character: 21 } });
    assert.equal(d.severity, 'warning');
    assert.equal(d.fixes[0].edits[0].path, 'm/1.sql');
    assert.ok(d.fixes[0].edits[0].range.start.line >= 1);
    assert.deepEqual(j.files[1].diagnostics, []);
  });

  test("ok: gitlab is GitLab's code quality report: each finding's rule, message, severity, path and lines, and a fingerprint that outlives moved lines", () => {
    const dir = fixture({ 'm/1.sql': DEFINER, 'm/2.sql': DEFINER.replace(/f\(\)/g, 'g()') });
    const r = run(dir, ['m', '--format', 'gitlab']);
    assert.equal(r.code, 1);
    const report = JSON.parse(r.stdout) as Array<{ description: string; check_name: string; fingerprint: string; severity: string; location: { path: string; lines: { begin: number } } }>;
    const f = report.find((x) => x.check_name === 'definer-search-path-missing' && x.location.path === 'm/1.sql')!;
    assert.equal(f.severity, 'critical');
    assert.equal(f.location.lines.begin, 1);
    assert.match(f.description, /^SECURITY DEFINER function public\.f\(\) has no SET search_path/);
    assert.match(f.fingerprint, /^[0-9a-f]{32}$/);
    assert.equal(new Set(report.map((x) => x.fingerprint)).size, report.length, 'one per finding, in two files alike');
    writeFileSync(join(dir, 'm/1.sql'), '-- moved\n\n' + DEFINER);
    const moved = (JSON.parse(run(dir, ['m', '--format', 'gitlab']).stdout) as typeof report).find((x) => x.check_name === 'definer-search-path-missing' && x.location.path === 'm/1.sql')!;
    assert.equal(moved.location.lines.begin, 3);
    assert.equal(moved.fingerprint, f.fingerprint);
    assert.match(run(dir, ['m', '--format', 'xml']).stderr, /--format must be text, compact, json, sarif, github or gitlab, got "xml"/);
  });

  test("ok: compact is a line per finding, `path:line:col: severity [rule] message`, as Vim's errorformat and Emacs' compilation mode read it; the same findings and exit code as json", () => {
    const dir = fixture({ 'm/1.sql': '-- é 日本 😀\n' + DEFINER, 'm/2.sql': NO_RLS });
    const r = run(dir, ['m', '--format', 'compact']);
    assert.equal(r.code, 1);
    const lines = r.stdout.trimEnd().split('\n');
    const json = JSON.parse(run(dir, ['m', '--format', 'json']).stdout) as { files: Array<{ path: string; diagnostics: Array<{ rule: string; severity: string; message: string; range: { start: { line: number; character: number } } }> }> };
    const expected = json.files.flatMap((f) => f.diagnostics.map((d) => `${f.path}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.severity} [${d.rule}] ${d.message}`));
    assert.deepEqual(lines, expected);
    assert.ok(lines.length >= 3);
    for (const l of lines) assert.match(l, /^m\/[12]\.sql:\d+:\d+: (error|warning|info|hint) \[[a-z0-9-]+\] \S/);
    assert.ok(lines.some((l) => l.startsWith('m/1.sql:2:') && l.includes('[definer-search-path-missing]')), 'after the non-ASCII comment, on line 2');
  });
  test('ok: sarif 2.1.0 has what GitHub code scanning requires', () => {
    const dir = fixture({ 'm/1.sql': DEFINER });
    const r = run(dir, ['m', '--format', 'sarif']);
    assert.equal(r.code, 1);
    const s = JSON.parse(r.stdout);
    assert.equal(s.version, '2.1.0');
    assert.match(s.$schema, /sarif/);
    const driver = s.runs[0].tool.driver;
    assert.equal(driver.name, 'pg-rls-lint');
    assert.ok(driver.rules.length > 5 && driver.rules.every((x: { id: string; helpUri: string }) => x.id && x.helpUri));
    const res = s.runs[0].results.find((x: { ruleId: string }) => x.ruleId === 'definer-search-path-missing');
    assert.equal(res.level, 'error');
    assert.equal(driver.rules[res.ruleIndex].id, res.ruleId);
    const loc = res.locations[0].physicalLocation;
    assert.equal(loc.artifactLocation.uri, 'm/1.sql');
    assert.deepEqual([loc.region.startLine, loc.region.startColumn], [1, 46]); // SECURITY at 0-based 45
    // a fingerprint code scanning tracks the alert by: the same when lines move, new when the statement changes
    const print = res.partialFingerprints['pgRlsLintFinding/v1'];
    assert.match(print, /^definer-search-path-missing:[0-9a-f]{16}:1$/);
    const moved = fixture({ 'm/1.sql': '-- moved down\n\n' + DEFINER });
    const again = JSON.parse(run(moved, ['m', '--format', 'sarif']).stdout).runs[0].results.find((x: { ruleId: string }) => x.ruleId === 'definer-search-path-missing');
    assert.equal(again.locations[0].physicalLocation.region.startLine, 3);
    assert.equal(again.partialFingerprints['pgRlsLintFinding/v1'], print);
    const edited = fixture({ 'm/1.sql': DEFINER.replace('SELECT 1', 'SELECT 2') });
    const other = JSON.parse(run(edited, ['m', '--format', 'sarif']).stdout).runs[0].results.find((x: { ruleId: string }) => x.ruleId === 'definer-search-path-missing');
    assert.notEqual(other.partialFingerprints['pgRlsLintFinding/v1'], print);
    // findings alike in one file (a rule on the same words of the same statement) stay apart
    const all = s.runs[0].results.map((x: { partialFingerprints: Record<string, string> }) => x.partialFingerprints['pgRlsLintFinding/v1']);
    assert.equal(new Set(all).size, all.length);
  });

  test('ok: github annotations, escaped', () => {
    const dir = fixture({ 'm/1.sql': NO_RLS });
    const r = run(dir, ['m', '--format', 'github']);
    assert.match(r.stdout, /^::warning file=m\/1\.sql,line=2,col=14,endLine=2,endColumn=22,title=rls-not-enabled::Table public\.accounts/m);
  });

  test("ok: github annotations: a DO block's loop making a policy on each of five tables is one notice naming the others (GitHub shows a few per step); JSON lists each", () => {
    const dir = fixture({ 'm/1.sql': orgLoopFile(5) });
    const notices = run(dir, ['m', '--format', 'github']).stdout.split('\n').filter((l) => l.includes('title=policy-applies-to-public'));
    assert.equal(notices.length, 1);
    assert.match(notices[0]!, /::Policy "org_only" on public\.t0 \(and the same for public\.t1, public\.t2, public\.t3, public\.t4\) has no TO clause/);
    const json = JSON.parse(run(dir, ['m', '--format', 'json']).stdout);
    assert.equal(json.files[0].diagnostics.filter((d: { rule: string }) => d.rule === 'policy-applies-to-public').length, 5);
  });

  test("ok: text: the loop's five findings are one line naming the others; the summary counts all five and says where each is listed", () => {
    const dir = fixture({ 'm/1.sql': orgLoopFile(5) });
    const r = run(dir, ['m']);
    const lines = r.stdout.split('\n').filter((l) => l.includes('policy-applies-to-public'));
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /Policy "org_only" on public\.t0 \(and the same for public\.t1, public\.t2, public\.t3, public\.t4\) has no TO clause/);
    const json = JSON.parse(run(dir, ['m', '--format', 'json']).stdout);
    const total = json.files[0].diagnostics.length;
    assert.match(r.stdout, new RegExp(`✖ ${total} problems`));
    assert.match(r.stdout, /4 findings of one rule at one place \(a loop over tables, or a function called for each\) shown in the line naming them; --format json lists each/);
  });
});

describe('exit codes and errors', () => {
  test('err: exit 1 on an error finding', () => {
    const dir = fixture({ '1.sql': DEFINER });
    assert.equal(run(dir, ['.']).code, 1);
  });
  test('ok: --rule id=off turns a rule off; --max-warnings', () => {
    const dir = fixture({ '1.sql': DEFINER + NO_RLS });
    assert.equal(run(dir, ['.', '--rule', 'definer-search-path-missing=off']).code, 0);
    assert.equal(run(dir, ['.', '--rule', 'definer-search-path-missing=off', '--max-warnings', '0']).code, 1);
    assert.equal(run(dir, ['.', '--rule', 'definer-search-path-missing=warning', '--max-warnings', '5']).code, 0);
  });
  test('err: missing path → exit 2 with one line', () => {
    const dir = fixture({});
    const r = run(dir, ['nope']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim(), 'pg-rls-lint: no such file or directory: nope');
  });
  test('err: a folder without SQL files → exit 2 naming the include globs (a wrong path or include is not a clean lint); the same for verify and matrix', () => {
    const dir = fixture({ 'notes.txt': 'not SQL\n', 'node_modules/x/1.sql': NO_RLS });
    for (const args of [['.'], ['verify', '.'], ['matrix', '.']]) {
      const r = run(dir, args);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.stderr.trim(), 'pg-rls-lint: no SQL files in . (include: **/*.sql, **/*.pgsql, **/*.psql; node_modules and .git are skipped)');
    }
  });
  test('err: invalid config JSON names line and column', () => {
    const dir = fixture({ '.pg-rls-lint.json': '{\n  "rules": {\n', '1.sql': NO_RLS });
    const r = run(dir, ['.']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /invalid config \.pg-rls-lint\.json: invalid JSON: .* at line \d+, column \d+/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });
  test('err: a UTF-16 file (saved by Windows PowerShell) is named as UTF-16, not as binary', () => {
    const dir = fixture({ 'utf16.sql': Buffer.from('\ufeffCREATE TABLE t (id int);\r\n', 'utf16le'), 'ok.sql': NO_RLS });
    const r = run(dir, ['.']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot lint utf16\.sql: UTF-16 text \(byte-order mark\): PostgreSQL has no UTF-16 client encoding, so psql cannot run it either; save it as UTF-8/);
    assert.doesNotMatch(r.stderr, /binary/);
  });
  test('err: an unreadable file (not UTF-8, binary) is named, exit 2, and the other files are still linted and reported', () => {
    const dir = fixture({ 'bad.sql': Buffer.from([0x43, 0x52, 0xff, 0xfe, 0x0a]), 'bin.sql': Buffer.from([0x43, 0x00, 0x52]), 'ok.sql': NO_RLS });
    const r = run(dir, ['.']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot lint bad\.sql: not valid UTF-8; the other files were linted/);
    assert.match(r.stderr, /cannot lint bin\.sql: binary file \(contains NUL bytes\)/);
    assert.match(r.stdout, /ok\.sql[\s\S]*rls-not-enabled/);
    const json = JSON.parse(run(dir, ['.', '--format', 'json']).stdout);
    assert.deepEqual(json.unreadable.map((u: { path: string }) => u.path), ['bad.sql', 'bin.sql']);
    assert.equal(json.files.find((f: { path: string }) => f.path === 'ok.sql').diagnostics[0].rule, 'rls-not-enabled');
    const sarif = JSON.parse(run(dir, ['.', '--format', 'sarif']).stdout);
    assert.equal(sarif.runs[0].invocations[0].executionSuccessful, false);
    assert.equal(sarif.runs[0].invocations[0].toolExecutionNotifications.length, 2);
    assert.equal(sarif.runs[0].results[0].ruleId, 'rls-not-enabled');
    // commands that replay every file refuse to run without one
    const m = run(dir, ['matrix', '.']);
    assert.equal(m.code, 2);
    assert.match(m.stderr, /cannot read bad\.sql: not valid UTF-8/);
  });
  test('err: migrations written in another language that set up RLS are named: no SQL at all (exit 2), beside SQL (a warning), or given as a file (cannot lint it)', () => {
    const exs = 'defmodule App.Repo.Migrations.Rls do\n  use Ecto.Migration\n  def up, do: execute("ALTER TABLE posts ENABLE ROW LEVEL SECURITY")\nend\n';
    const py = 'from django.db import migrations\nclass Migration(migrations.Migration):\n    operations = [migrations.RunSQL("CREATE POLICY p ON posts USING (true)")]\n';
    const only = fixture({ 'priv/repo/migrations/20240101_rls.exs': exs, 'priv/repo/migrations/20231231_init.exs': 'defmodule X do\nend\n' });
    const r = run(only, ['.']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no SQL files in \. \(.*\); 1 migration written in another language sets up row-level security \(priv\/repo\/migrations\/20240101_rls\.exs\), and pg-rls-lint reads SQL files only: its policies are not linted\. Lint a schema dump of the migrated database \(pg_dump --schema-only > schema\.sql\)/);
    const beside = fixture({ 'scripts/init.sql': NO_RLS, 'tenants/migrations/0002_rls.py': py });
    const b = run(beside, ['.', '--format', 'json']);
    assert.equal(b.code, 0);
    assert.equal(JSON.parse(b.stdout).files.length, 1);
    assert.match(b.stderr, /1 migration written in another language sets up row-level security \(tenants\/migrations\/0002_rls\.py\)/);
    const given = run(only, ['priv/repo/migrations/20240101_rls.exs']);
    assert.equal(given.code, 2);
    assert.match(given.stderr, /cannot lint priv\/repo\/migrations\/20240101_rls\.exs: an Elixir \(Ecto\) file, not SQL: pg-rls-lint reads SQL files only/);
    assert.doesNotMatch(given.stdout, /syntax-error/);
  });
  test('err: unknown rule in --rule, unknown flag, bad format', () => {
    const dir = fixture({ '1.sql': NO_RLS });
    assert.match(run(dir, ['--rule', 'nope=off']).stderr, /unknown rule "nope" \(known: .*rls-not-enabled/);
    const r = run(dir, ['--bogus']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Unknown option '--bogus'/);
    assert.equal(run(dir, ['--format', 'xml']).code, 2);
  });
  test('ok: --help, --version, --list-rules', () => {
    const dir = fixture({});
    assert.match(run(dir, ['--help']).stdout, /Usage: pg-rls-lint/);
    assert.match(run(dir, ['--version']).stdout, /^\d+\.\d+\.\d+/);
    assert.match(run(dir, ['--list-rules']).stdout, /rls-not-forced\s+warning/);
    // --explain prints the rule's doc page, shipped in dist/ (the same page the editor's "Show rule documentation" shows)
    const doc = run(dir, ['--explain', 'rls-not-forced']);
    assert.equal(doc.code, 0);
    assert.equal(doc.stdout, readFileSync(join(ROOT, 'docs/rules/rls-not-forced.md'), 'utf8'));
    const unknown = run(dir, ['--explain', 'rls-forced']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /--explain: unknown rule "rls-forced" \(did you mean rls-not-forced\?\); --list-rules prints them all/);
  });
});

describe('workspace semantics', () => {
  test('ok: migration order is natural (2_ before 10_)', () => {
    const dir = fixture({ 'm/2_tables.sql': 'CREATE TABLE t (id int);', 'm/10_rls.sql': 'ALTER TABLE t ENABLE ROW LEVEL SECURITY; ALTER TABLE t FORCE ROW LEVEL SECURITY;' });
    const j = JSON.parse(run(dir, ['m', '--format', 'json']).stdout);
    const rules = j.files.flatMap((f: { diagnostics: Array<{ rule: string }> }) => f.diagnostics.map((d) => d.rule));
    assert.ok(!rules.includes('rls-not-enabled'), rules.join(','));
  });
  test('ok: node_modules and .git are skipped; globs expand', () => {
    const dir = fixture({ 'node_modules/x/1.sql': NO_RLS, '.git/2.sql': NO_RLS, 'db/3.sql': NO_RLS });
    const j = JSON.parse(run(dir, ['.', '--format', 'json']).stdout);
    assert.deepEqual(j.files.map((f: { path: string }) => f.path), ['db/3.sql']);
    const g = JSON.parse(run(dir, ['db/*.sql', '--format', 'json']).stdout);
    assert.deepEqual(g.files.map((f: { path: string }) => f.path), ['db/3.sql']);
  });
  test("ok: a folder given on the command line is matched with the config's globs relative to the root, as the README says (elhub: exclude db/test_data/** with `pg-rls-lint db`), and relative to the folder as before", () => {
    const files = { 'db/y.sql': NO_RLS, 'db/sub/x.sql': NO_RLS };
    const paths = (config: object) => {
      const dir = fixture({ ...files, '.pg-rls-lint.json': JSON.stringify(config) });
      return JSON.parse(run(dir, ['db', '--format', 'json']).stdout).files.map((f: { path: string }) => f.path).sort();
    };
    assert.deepEqual(paths({ exclude: ['db/sub/**'] }), ['db/y.sql']);
    assert.deepEqual(paths({ include: ['db/**/*.sql'] }), ['db/sub/x.sql', 'db/y.sql']);
    assert.deepEqual(paths({ include: ['*.sql'] }), ['db/y.sql'], 'relative to the folder');
    assert.deepEqual(paths({ exclude: ['sub/**'] }), ['db/y.sql'], 'relative to the folder');
  });
  test("ok: files parsed but not replayed are told, by reason, in text and JSON: a clean run over files no rule saw is not a clean history (portal-site keeps every migration in folders inside supabase/migrations/, which the Supabase CLI never reads)", () => {
    // a Supabase project whose supabase/migrations/ holds only folders: the CLI applies none of them, and they are the
    // only history there is: replayed in path order (run by hand), said so (the definer is reported)
    const only = fixture({ 'supabase/migrations/2025/20250101000000_a.sql': DEFINER, 'supabase/migrations/2025/20250102000000_b.sql': NO_RLS, 'supabase/migrations/2025/x/20250103000000_c.sql': NO_RLS.replace('accounts', 'later'), 'supabase/migrations/2026/20260101000000_d.sql': NO_RLS.replace('accounts', 'latest') });
    const text = run(only, ['.']);
    assert.equal(text.code, 1, text.stdout);
    assert.match(text.stdout, /definer-search-path-missing/);
    assert.match(text.stdout, /replayed as the history, in path order: 4 files in folders inside a supabase\/migrations\/ that holds no file itself — the Supabase CLI applies none of them, so they are taken as run by hand or by another tool \(supabase\/migrations\/2025\/20250101000000_a\.sql, supabase\/migrations\/2025\/20250102000000_b\.sql, supabase\/migrations\/2025\/x\/20250103000000_c\.sql, and 1 more;/);
    assert.doesNotMatch(text.stdout, /not replayed/);
    // (listed in replay order, the deeper folder's file where its path sorts)
    assert.deepEqual(JSON.parse(run(only, ['.', '--format', 'json']).stdout).historyInFolders, ['supabase/migrations/2025/20250101000000_a.sql', 'supabase/migrations/2025/20250102000000_b.sql', 'supabase/migrations/2025/x/20250103000000_c.sql', 'supabase/migrations/2026/20260101000000_d.sql']);
    // files none of which is replayed: a clean run says so
    const none = run(fixture({ 'db/0001_x.down.sql': DEFINER, 'db/0002_y.down.sql': NO_RLS }), ['.']);
    assert.equal(none.code, 0, none.stdout);
    assert.match(none.stdout, /not replayed \(only their syntax is checked\): 2 files that only roll back \(down\.sql, Flyway undo, postgrator \.undo\., sqitch revert\/ and verify\/, a rollback script that no version orders\): migrating up never runs them \(db\/0001_x\.down\.sql, db\/0002_y\.down\.sql;/);
    assert.match(none.stdout, /✔ no problems in 2 files \(none of them replayed: only syntax was checked\)/);
    // beside a live history: both kinds named, each on its line; the run's findings are the history's
    const mixed = fixture({
      'supabase/migrations/20240101000000_live.sql': NO_RLS,
      'supabase/migrations/archive/20230101000000_old.sql': DEFINER,
      'supabase/tests/a.test.sql': 'begin;\nselect plan(1);\nselect ok(true);\nselect * from finish();\nrollback;\n',
      'db/0001_x.down.sql': 'DROP TABLE accounts;\n',
      'supabase/scripts/fix.sql': DEFINER,
    });
    const j = JSON.parse(run(mixed, ['.', '--format', 'json']).stdout);
    assert.deepEqual(
      j.notReplayed.map((n: { path: string; reason: string }) => [n.path, n.reason.split(' ').slice(0, 3).join(' ')]).sort(),
      [
        ['db/0001_x.down.sql', 'that only roll'],
        ['supabase/migrations/archive/20230101000000_old.sql', 'in a folder'],
        ['supabase/scripts/fix.sql', "of a Supabase"],
        ['supabase/tests/a.test.sql', 'of pgTAP tests'],
      ],
    );
    const t = run(mixed, ['.']).stdout;
    // (one line per kind; the files beside a Supabase project that its CLI never applies — its scripts/, the down file
    // outside supabase/ — are told on the databases' line instead)
    assert.equal(t.match(/^not replayed/gm)?.length, 2, t);
    assert.match(t, /2 files that the Supabase CLI does not apply \(1 under supabase\/: not migrations, listed schemas, seeds or tests; 1 outside supabase\/ and any migrations folder\)/);
    assert.doesNotMatch(t, /none of them replayed|replayed as the history/);
    // nothing to tell: no line
    assert.doesNotMatch(run(fixture({ 'm/1.sql': NO_RLS }), ['.']).stdout, /not replayed/);
  });
});

describe('--workspace: changed files linted against every migration', () => {
  // a pre-commit hook (or lint-staged, or a CI step on a pull request's changed files) passes the files it changed
  const migrations = {
    'db/migrations/1_tables.sql': NO_RLS + 'CREATE TABLE notes (id int PRIMARY KEY);\n',
    'db/migrations/2_rls.sql': 'ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;\nALTER TABLE accounts FORCE ROW LEVEL SECURITY;\n',
    'db/migrations/3_fn.sql': 'CREATE FUNCTION f() RETURNS int LANGUAGE sql SECURITY DEFINER AS $$ SELECT 1 $$;\n',
  };
  const rulesOf = (stdout: string) => (JSON.parse(stdout).files as Array<{ path: string; diagnostics: Array<{ rule: string }> }>).map((f) => [f.path, f.diagnostics.map((d) => d.rule).sort()]);
  test('err: a file given alone is linted without its folder: its findings miss what the others do, and stderr says so', () => {
    const dir = fixture(migrations);
    const r = run(dir, ['db/migrations/1_tables.sql', '--format', 'json']);
    assert.deepEqual(rulesOf(r.stdout), [['db/migrations/1_tables.sql', ['rls-not-enabled', 'rls-not-enabled']]], 'accounts looks unprotected: its ENABLE is in 2_rls.sql');
    assert.match(r.stderr, /^pg-rls-lint: db\/migrations\/1_tables\.sql is linted without the 2 other SQL files in the same folder \(db\/migrations\/: 2_rls\.sql, 3_fn\.sql\): what they do \(RLS enabled, policies, grants\) is not seen, so findings that depend on it may be wrong or missing\. Lint the folder, or pass --workspace db\/migrations to replay it and report only the files named\.$/m);
    // (the whole folder, or every file of it named: nothing to say)
    assert.equal(run(dir, ['db/migrations', '--format', 'json']).stderr, '');
    assert.equal(run(dir, ['db/migrations/1_tables.sql', 'db/migrations/2_rls.sql', 'db/migrations/3_fn.sql', '--format', 'json']).stderr, '');
  });
  test('ok: --workspace replays the folder and reports only the files named, with findings as the whole history leaves them; the exit code is theirs', () => {
    const dir = fixture(migrations);
    const r = run(dir, ['--workspace', 'db', 'db/migrations/1_tables.sql', '--format', 'json']);
    assert.equal(r.stderr, '');
    assert.deepEqual(rulesOf(r.stdout), [['db/migrations/1_tables.sql', ['rls-not-enabled']]], 'only notes: accounts is enabled in 2_rls.sql');
    assert.equal(r.code, 0, "3_fn.sql's error is not reported, so it does not fail the run");
    const fn = run(dir, ['-w', 'db', 'db/migrations/3_fn.sql']);
    assert.equal(fn.code, 1);
    assert.match(fn.stdout, /definer-search-path-missing/);
    assert.doesNotMatch(fn.stdout, /1_tables\.sql/);
    // no files named: the whole workspace, as `pg-rls-lint db`
    assert.deepEqual(rulesOf(run(dir, ['-w', 'db', '--format', 'json']).stdout), rulesOf(run(dir, ['db', '--format', 'json']).stdout));
    // a file outside the workspace is replayed with it and reported (notes' RLS, enabled there, counts)
    writeFileSync(join(dir, 'extra.sql'), 'ALTER TABLE notes ENABLE ROW LEVEL SECURITY;\n');
    assert.deepEqual(rulesOf(run(dir, ['-w', 'db', 'db/migrations/1_tables.sql', 'extra.sql', '--format', 'json']).stdout), [['db/migrations/1_tables.sql', []], ['extra.sql', []]]);
    // a workspace that does not exist, or a lint mode that replays what it is given: a usage error
    const missing = run(dir, ['-w', 'nowhere', 'db/migrations/1_tables.sql']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no such file or directory: nowhere/);
    const verify = run(dir, ['verify', '-w', 'db', 'db/migrations/1_tables.sql']);
    assert.equal(verify.code, 2);
    assert.match(verify.stderr, /verify: --workspace is for lint runs/);
  });
  test('ok: --fix with --workspace writes only the files named', () => {
    const other = 'CREATE FUNCTION g() RETURNS int LANGUAGE sql SECURITY DEFINER AS $$ SELECT 2 $$;\n';
    const dir = fixture({ ...migrations, 'db/migrations/4_g.sql': other });
    const r = run(dir, ['--fix', '--workspace', 'db', 'db/migrations/3_fn.sql']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(readFileSync(join(dir, 'db/migrations/3_fn.sql'), 'utf8'), /SECURITY DEFINER SET search_path = public, pg_temp/);
    assert.equal(readFileSync(join(dir, 'db/migrations/4_g.sql'), 'utf8'), other, "the other file's safe fix (the same SET search_path) is not applied");
  });
});

describe('--baseline: CI fails on new findings only', () => {
  const SCHEMA = '-- é 日本 😀\nCREATE TABLE accounts (id uuid PRIMARY KEY);\n' + DEFINER.replace('REVOKE EXECUTE ON FUNCTION f() FROM PUBLIC;\n', '');
  const rulesOf = (stdout: string) => (JSON.parse(stdout).files as Array<{ diagnostics: Array<{ rule: string }> }>).flatMap((f) => f.diagnostics.map((d) => d.rule)).sort();
  test("ok: --update-baseline records the findings; --baseline leaves them out wherever their lines move, reports new ones (and those of a statement changed), and counts the ones gone", () => {
    const dir = fixture({ 'db/1_schema.sql': SCHEMA });
    const before = run(dir, ['db', '--format', 'json']);
    assert.equal(before.code, 1);
    const found = rulesOf(before.stdout);
    assert.ok(found.includes('definer-search-path-missing') && found.includes('rls-not-enabled'), found.join(','));
    const missing = run(dir, ['db', '--baseline', 'baseline.json']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /baseline baseline\.json does not exist: create it with --update-baseline/);
    const write = run(dir, ['db', '--baseline', 'baseline.json', '--update-baseline']);
    assert.equal(write.code, 0, write.stderr);
    assert.equal(write.stdout, `pg-rls-lint: baseline.json records ${found.length} findings; runs with --baseline baseline.json leave them out\n`);
    const recorded = JSON.parse(readFileSync(join(dir, 'baseline.json'), 'utf8'));
    assert.equal(recorded.version, 1);
    assert.deepEqual(recorded.findings.map((e: { rule: string }) => e.rule).sort(), [...new Set(found)].sort());
    assert.ok(recorded.findings.every((e: { path: string }) => e.path === 'db/1_schema.sql'));
    const clean = run(dir, ['db', '--baseline', 'baseline.json']);
    assert.equal(clean.code, 0, clean.stdout);
    assert.match(clean.stdout, new RegExp(`✔ no problems in 1 file\\n  ${found.length} findings recorded in the baseline baseline\\.json not shown\\n$`));
    // lines added above, the statements reindented: the same findings
    writeFileSync(join(dir, 'db/1_schema.sql'), '-- a comment\n\n' + SCHEMA.replace('CREATE TABLE accounts (id uuid PRIMARY KEY);', 'CREATE TABLE accounts (\n  id uuid PRIMARY KEY\n);'));
    assert.equal(run(dir, ['db', '--baseline', 'baseline.json']).code, 0);
    // a new SECURITY DEFINER function: reported, and the run fails
    writeFileSync(join(dir, 'db/2_more.sql'), "CREATE FUNCTION g() RETURNS int LANGUAGE sql SECURITY DEFINER AS $$ SELECT 2 $$;\nREVOKE EXECUTE ON FUNCTION g() FROM PUBLIC;\n");
    const added = run(dir, ['db', '--baseline', 'baseline.json', '--format', 'json']);
    assert.equal(added.code, 1);
    assert.deepEqual(rulesOf(added.stdout), ['definer-search-path-missing', 'definer-unneeded'], 'g() only');
    assert.deepEqual(JSON.parse(added.stdout).baseline, { path: 'baseline.json', suppressed: found.length, stale: 0 });
    // accounts dropped from the schema: its finding is no longer found, said so
    writeFileSync(join(dir, 'db/1_schema.sql'), SCHEMA.replace('CREATE TABLE accounts (id uuid PRIMARY KEY);\n', ''));
    const gone = run(dir, ['db/1_schema.sql', '--baseline', 'baseline.json']);
    assert.equal(gone.code, 0, gone.stdout);
    assert.match(gone.stdout, /  1 finding of the baseline baseline\.json no longer found \(fixed, or the SQL changed\): --update-baseline drops it/);
    // a finding's statement changed (f() given SET search_path): its other finding (definer-unneeded) is new
    writeFileSync(join(dir, 'db/1_schema.sql'), SCHEMA.replace('SECURITY DEFINER', 'SECURITY DEFINER SET search_path = public, pg_temp'));
    const changed = run(dir, ['db/1_schema.sql', '--baseline', 'baseline.json', '--format', 'json']);
    assert.deepEqual(rulesOf(changed.stdout), ['definer-unneeded']);
    assert.deepEqual(JSON.parse(changed.stdout).baseline, { path: 'baseline.json', suppressed: 1, stale: 2 });
  });
  test('err: a malformed baseline, --update-baseline alone, or a baseline for verify: usage errors (exit 2), the file left as it was', () => {
    const dir = fixture({ 'db/1_schema.sql': SCHEMA, 'bad.json': '{"version": 1, "findings": [{"rule": 1}]}\n', 'broken.json': '{' });
    const bad = run(dir, ['db', '--baseline', 'bad.json']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /invalid baseline bad\.json: expected \{"version": 1, "findings": \[/);
    const broken = run(dir, ['db', '--baseline', 'broken.json', '--update-baseline']);
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /invalid baseline broken\.json: .*write it again with --update-baseline/);
    assert.equal(readFileSync(join(dir, 'broken.json'), 'utf8'), '{');
    assert.match(run(dir, ['db', '--update-baseline']).stderr, /--update-baseline needs --baseline <file>/);
    assert.match(run(dir, ['verify', 'db', '--baseline', 'bad.json']).stderr, /verify: --baseline is for lint runs/);
  });
  test('ok: --update-baseline with --workspace and a file named records that file only, keeping the entries of the others', () => {
    const dir = fixture({ 'db/1_a.sql': NO_RLS, 'db/2_b.sql': DEFINER.replace('REVOKE EXECUTE ON FUNCTION f() FROM PUBLIC;\n', '') });
    assert.equal(run(dir, ['db', '--baseline', 'b.json', '--update-baseline']).code, 0);
    const all = JSON.parse(readFileSync(join(dir, 'b.json'), 'utf8')).findings.length;
    writeFileSync(join(dir, 'db/1_a.sql'), NO_RLS + 'CREATE TABLE more (id int);\n');
    assert.equal(run(dir, ['-w', 'db', 'db/1_a.sql', '--baseline', 'b.json', '--update-baseline']).code, 0);
    const after = JSON.parse(readFileSync(join(dir, 'b.json'), 'utf8')).findings as Array<{ path: string }>;
    assert.equal(after.length, all + 1);
    assert.ok(after.some((e) => e.path === 'db/2_b.sql'));
    assert.equal(run(dir, ['db', '--baseline', 'b.json']).code, 0);
  });
  test("ok: --fix with --baseline fixes the new findings only: the baseline's are accepted as they are (often in migrations already run)", () => {
    const old = 'CREATE FUNCTION f() RETURNS int LANGUAGE sql SECURITY DEFINER AS $$ SELECT 1 $$;\nREVOKE EXECUTE ON FUNCTION f() FROM PUBLIC;\n';
    const dir = fixture({ 'db/1_old.sql': old });
    assert.equal(run(dir, ['db', '--baseline', 'b.json', '--update-baseline']).code, 0);
    const added = old.replaceAll('f()', 'g()').replace('SELECT 1', 'SELECT 2');
    writeFileSync(join(dir, 'db/2_new.sql'), added);
    // (one file holding both: the baseline's finding and the new one side by side)
    writeFileSync(join(dir, 'db/1_old.sql'), old + added.replaceAll('g()', 'h()'));
    const r = run(dir, ['db', '--fix', '--baseline', 'b.json', '--format', 'json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const oldText = readFileSync(join(dir, 'db/1_old.sql'), 'utf8');
    assert.match(oldText, /FUNCTION f\(\) RETURNS int LANGUAGE sql SECURITY DEFINER AS/, "the baseline's f() left as it was");
    assert.match(oldText, /FUNCTION h\(\) RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS/);
    assert.match(readFileSync(join(dir, 'db/2_new.sql'), 'utf8'), /SECURITY DEFINER SET search_path = public, pg_temp AS/);
    assert.deepEqual(JSON.parse(r.stdout).baseline, { path: 'b.json', suppressed: 2, stale: 0 }, "f()'s findings still recorded, still left out");
  });
});

describe('--fix', () => {
  test('ok: safe fixes are written and the fixed rules are clean', () => {
    const dir = fixture({ '1.sql': NO_RLS + ONLY_ENABLED + DEFINER });
    const r = run(dir, ['.', '--fix']);
    const text = readFileSync(join(dir, '1.sql'), 'utf8');
    assert.doesNotMatch(text, /ALTER TABLE accounts ENABLE/, 'rls-not-enabled: an unsafe fix, left to the editor');
    assert.match(text, /ALTER TABLE docs FORCE ROW LEVEL SECURITY;/);
    assert.match(text, /SECURITY DEFINER SET search_path = public, pg_temp/);
    assert.match(r.stdout, /fixed: 1\.sql/);
    const j = JSON.parse(run(dir, ['.', '--format', 'json']).stdout);
    const left = j.files[0].diagnostics.map((d: { rule: string }) => d.rule);
    for (const rule of ['rls-not-forced', 'definer-search-path-missing']) assert.ok(!left.includes(rule), `${rule} left: ${left}`);
    assert.ok(left.includes('rls-not-enabled'));
  });
  // Calibration (sweetr, debt-manager): the FORCE for a table made in one file goes after its ENABLE
  // in a later one; counted as "fixable with --fix", it was never applied.
  test('ok: a safe fix of a finding in one file whose edit is in another is applied; what is counted fixable is what --fix applies', () => {
    const dir = fixture({
      'm/1_tables.sql': 'CREATE TABLE notes (id int PRIMARY KEY, owner int NOT NULL);\n',
      'm/2_rls.sql': 'ALTER TABLE notes ENABLE ROW LEVEL SECURITY;\nCREATE POLICY notes_own ON notes TO app_user USING (owner = 1);\n',
    });
    assert.match(run(dir, ['m']).stdout, /1 fixable with --fix/);
    const r = run(dir, ['m', '--fix']);
    assert.match(r.stdout, /fixed: m\/2_rls\.sql/);
    assert.equal(readFileSync(join(dir, 'm/1_tables.sql'), 'utf8'), 'CREATE TABLE notes (id int PRIMARY KEY, owner int NOT NULL);\n');
    assert.match(readFileSync(join(dir, 'm/2_rls.sql'), 'utf8'), /^ALTER TABLE notes ENABLE ROW LEVEL SECURITY;\nALTER TABLE notes FORCE ROW LEVEL SECURITY;\n/);
    const again = run(dir, ['m', '--format', 'json']);
    assert.ok(!JSON.parse(again.stdout).files.some((f: { diagnostics: Array<{ rule: string }> }) => f.diagnostics.some((d) => d.rule === 'rls-not-forced')));
    assert.doesNotMatch(run(dir, ['m']).stdout, /fixable with --fix/);
  });
  test('ok: the atomic writer leaves a file alone that changed on disk meanwhile', async () => {
    const dir = fixture({ 'a.sql': 'one' });
    const path = join(dir, 'a.sql');
    writeFileSync(path, 'changed by someone else');
    assert.equal(await writeIfUnchanged(path, 'one', 'fixed'), false);
    assert.equal(readFileSync(path, 'utf8'), 'changed by someone else');
    assert.equal(await writeIfUnchanged(path, 'changed by someone else', 'fixed'), true);
    assert.equal(readFileSync(path, 'utf8'), 'fixed');
  });
  test('ok: --fix keeps a UTF-8 byte order mark and CRLF line ends', () => {
    const dir = fixture({ 'm/1.sql': `\ufeff-- é\r\n${ONLY_ENABLED.replace(/\n/g, '\r\n')}` });
    const r = run(dir, ['m', '--fix']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const after = readFileSync(join(dir, 'm/1.sql'), 'utf8');
    assert.equal(after.charCodeAt(0), 0xfeff);
    assert.match(after, /FORCE ROW LEVEL SECURITY/);
    assert.doesNotMatch(after.replace(/\r\n/g, ''), /\n/, 'every inserted line ends with CRLF too');
    assert.doesNotMatch(r.stdout, /not fixed/);
  });
});

describe('dist/ is self-contained', () => {
  test('ok: dist/ copied where no node_modules exists runs the CLI and loads the .wasm from there', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'pg-rls-lint-dist-'));
    dirs.push(tmp);
    cpSync(join(ROOT, 'dist'), join(tmp, 'dist'), { recursive: true, filter: (src) => !/\.(data|tar\.gz)$|pglite\.wasm|initdb\.wasm/.test(src) });
    const dir = fixture({ '1.sql': NO_RLS });
    const r = run(dir, ['.', '--format', 'json'], join(tmp, 'dist', 'cli.js'));
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.ok(j.files[0].diagnostics.some((d: { rule: string }) => d.rule === 'rls-not-enabled'));
  });
  test("ok: the npm package (npm pack) is dist/ with the README, LICENSE and CHANGELOG, no source map nor the VS Code extension, and no dependency: `npm install` of it gives the pg-rls-lint command", () => {
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const files = (JSON.parse(r.stdout)[0].files as Array<{ path: string }>).map((f) => f.path);
    const outside = files.filter((f) => !f.startsWith('dist/') && !['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md'].includes(f));
    assert.deepEqual(outside, []);
    for (const f of ['dist/cli.js', 'dist/libpg-query.wasm', 'dist/server.js', 'dist/pglite.wasm', 'dist/pglite.data', 'dist/docs/rules/rls-not-enabled.md', 'README.md']) assert.ok(files.includes(f), f);
    assert.deepEqual(files.filter((f) => f.endsWith('.map') || f === 'dist/extension.js'), []);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    assert.equal(pkg.bin['pg-rls-lint'], 'dist/cli.js');
    assert.equal(pkg.dependencies, undefined, 'everything the CLI runs is bundled into dist/');
    assert.equal(pkg.scripts.prepack, 'npm run build', 'npm pack and npm publish build dist/ first');
  });
});

describe('several databases', () => {
  // two services, each with its own migration history (golang-migrate's layout): each creates users
  const SERVICES = {
    'internal/user/res/migrations/000001_init.up.sql': 'CREATE TABLE users (id int PRIMARY KEY, name text);\nALTER TABLE users ENABLE ROW LEVEL SECURITY;\nALTER TABLE users FORCE ROW LEVEL SECURITY;\nCREATE POLICY users_own ON users TO PUBLIC USING (id = 1);\n',
    'internal/user/res/migrations/000001_init.down.sql': 'DROP TABLE users;\n',
    'internal/admin/res/migrations/000001_init.up.sql': 'CREATE TABLE users (id int PRIMARY KEY, email text);\n',
  };
  test('ok: folders that each start a migration sequence are linted as databases of their own, and the output says so', () => {
    const dir = fixture(SERVICES);
    const j = JSON.parse(run(dir, ['.', '--format', 'json']).stdout);
    assert.deepEqual(
      j.databases.map((d: { name: string; files: string[] }) => `${d.name}: ${d.files.length}`),
      ['internal/admin/res/migrations: 1', 'internal/user/res/migrations: 2'],
    );
    const rules = (p: string) => j.files.find((f: { path: string }) => f.path === p).diagnostics.map((d: { rule: string }) => d.rule);
    // admin's users is a table of its own: no RLS there, and no "already exists"
    assert.deepEqual(rules('internal/admin/res/migrations/000001_init.up.sql'), ['rls-not-enabled']);
    const text = run(dir, ['.']).stdout;
    assert.match(text, /2 databases, each replayed on its own: internal\/admin\/res\/migrations \(1 file\), internal\/user\/res\/migrations \(2 files\)/);
    // "one" in the config: one database, as before
    writeFileSync(join(dir, '.pg-rls-lint.json'), '{ "databases": "one" }');
    const one = JSON.parse(run(dir, ['.', '--format', 'json']).stdout);
    assert.deepEqual(one.databases.map((d: { name: string }) => d.name), ['']);
    assert.doesNotMatch(run(dir, ['.']).stdout, /databases/);
  });
  test("ok: a folder repeating a Supabase project's history under other names (snapshot.ts mirroredHistories: not replayed) is not counted as a database in the summary; its files are told as not replayed", () => {
    const a = 'CREATE TABLE notes (id bigint PRIMARY KEY, body text);\nALTER TABLE notes ENABLE ROW LEVEL SECURITY;\n';
    const b = 'CREATE TABLE tags (id bigint PRIMARY KEY, name text);\nALTER TABLE tags ENABLE ROW LEVEL SECURITY;\n';
    const dir = fixture({
      'packages/db/migrations/001_notes.sql': a,
      'packages/db/migrations/002_tags.sql': b,
      'supabase/migrations/20260101000000_notes.sql': a,
      'supabase/migrations/20260102000000_tags.sql': b,
    });
    const text = run(dir, ['.']).stdout;
    assert.doesNotMatch(text, /databases, each replayed on its own/);
    assert.match(text, /not replayed \(only their syntax is checked\): 2 files of a migration sequence that repeats the Supabase project's history/);
  });
  test('ok: run from another folder (the repository given by its path, outside cwd), the databases are the same; a fix names only its own database\'s tables', () => {
    const dir = fixture({
      'svc_a/000001_init.up.sql': 'CREATE TABLE orders (id int PRIMARY KEY);\nALTER TABLE orders ENABLE ROW LEVEL SECURITY;\nCREATE POLICY o ON orders TO app_a USING (id = 1);\n',
      'svc_b/000001_init.up.sql':
        'CREATE ROLE app_b;\nCREATE TABLE invoices (id int PRIMARY KEY);\nALTER TABLE invoices ENABLE ROW LEVEL SECURITY;\nCREATE POLICY i ON invoices TO app_b USING (id = 1);\nGRANT ALL ON ALL TABLES IN SCHEMA public TO app_b;\n',
    });
    const elsewhere = fixture({ 'README.md': 'elsewhere' });
    const names = (cwd: string, path: string) => {
      const j = JSON.parse(run(cwd, [path, '--format', 'json']).stdout);
      const truncate = j.files.flatMap((f: { diagnostics: Array<{ rule: string; message: string }> }) => f.diagnostics).filter((d: { rule: string }) => d.rule === 'grant-truncate-bypasses-rls');
      return { dbs: j.databases.map((d: { files: string[] }) => d.files.length), truncate: truncate.map((d: { message: string }) => /TRUNCATE(?: \(in ALL\))? on (.+?), which ha/.exec(d.message)?.[1]) };
    };
    const inside = names(dir, '.');
    assert.deepEqual(inside, { dbs: [1, 1], truncate: ['public.invoices'] });
    assert.deepEqual(names(elsewhere, dir), inside, 'the same from another folder');
    assert.deepEqual(names(elsewhere, join(dir, 'svc_b')).truncate, ['public.invoices']);
  });
  test('ok: the config names databases by globs; matrix has one section per database', () => {
    const dir = fixture({
      'db/registry/1627205500881-tenants.sql': 'CREATE TABLE tenants (id int);\nALTER TABLE tenants ENABLE ROW LEVEL SECURITY;\n',
      'db/data/1632744251543-comments.sql': 'CREATE TABLE comments (id int);\n',
      '.pg-rls-lint.json': '{ "databases": { "registry": "db/registry/**", "tenant": ["db/data/**"] } }',
    });
    const j = JSON.parse(run(dir, ['.', '--format', 'json']).stdout);
    assert.deepEqual(j.databases.map((d: { name: string; kind: string }) => `${d.kind}:${d.name}`), ['config:registry', 'config:tenant']);
    const m = run(dir, ['matrix', '.']).stdout;
    assert.match(m, /== database registry ==\nRLS matrix: 1 table[^]*public\.tenants[^]*== database tenant ==\nRLS matrix: 1 table[^]*public\.comments/);
    // a database whose globs match no file is said (a typo would put every file in one)
    writeFileSync(join(dir, '.pg-rls-lint.json'), '{ "databases": { "registry": "db/registry/**", "tenant": ["db/data/**"], "audit": "db/audti/**" } }');
    assert.match(run(dir, ['.']).stderr, /the config's database "audit" gets none of the files linted: its globs match none/);
    const mj = JSON.parse(run(dir, ['matrix', '.', '--format', 'json']).stdout);
    assert.deepEqual(mj.databases.map((d: { name: string; tables: Array<{ table: string }> }) => `${d.name}: ${d.tables.map((t) => t.table)}`), ['registry: public.tenants', 'tenant: public.comments']);
  });
  test('ok: the config\'s "order" runs the files as a script does (tables/ before policies/): the policy counts, the databases list shows that order; a glob matching no file is said', () => {
    const dir = fixture({
      'sql/policies/players.sql': 'CREATE POLICY players_own ON players FOR SELECT TO app_user USING (owner = current_user);\n',
      'sql/tables/players.sql': 'CREATE TABLE players (id int PRIMARY KEY, owner text NOT NULL);\nALTER TABLE players ENABLE ROW LEVEL SECURITY;\nALTER TABLE players FORCE ROW LEVEL SECURITY;\nGRANT SELECT ON players TO app_user;\n',
    });
    const rules = (j: { files: Array<{ diagnostics: Array<{ rule: string }> }> }) => j.files.flatMap((f) => f.diagnostics.map((d) => d.rule));
    assert.ok(rules(JSON.parse(run(dir, ['.', '--format', 'json']).stdout)).includes('rls-enabled-without-policy'));
    writeFileSync(join(dir, '.pg-rls-lint.json'), '{ "order": ["sql/tables/**", "sql/policies/**", "sql/functions/**"] }');
    const r = run(dir, ['.', '--format', 'json']);
    const j = JSON.parse(r.stdout);
    assert.ok(!rules(j).includes('rls-enabled-without-policy'), r.stdout);
    assert.deepEqual(j.databases[0].files, ['sql/tables/players.sql', 'sql/policies/players.sql']);
    assert.match(r.stderr, /the config's "order" glob "sql\/functions\/\*\*" matches none of the files linted/);
  });
  test('err: a bad "databases" value is one clear line, exit 2', () => {
    const dir = fixture({ '1.sql': NO_RLS, '.pg-rls-lint.json': '{ "databases": ["a"] }' });
    const r = run(dir, ['.']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /invalid config \.pg-rls-lint\.json: "databases" must be "auto", "one", or an object/);
  });
  test('ok: verify replays each database on a PostgreSQL of its own (as one, the second CREATE TABLE users fails with 42P07)', () => {
    const dir = fixture(SERVICES);
    const cache = mkdtempSync(join(tmpdir(), 'pg-rls-lint-verify-cache-'));
    dirs.push(cache);
    const verify = () => spawnSync(process.execPath, [CLI, 'verify', '.', '--format', 'json'], { cwd: dir, encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: cache } });
    const r = verify();
    const j = JSON.parse(r.stdout);
    assert.deepEqual(j.statementErrors, [], r.stdout);
    assert.deepEqual(j.databases.map((d: { name: string; statementErrors: unknown[] }) => `${d.name}: ${d.statementErrors.length}`), ['internal/admin/res/migrations: 0', 'internal/user/res/migrations: 0']);
    // each database's probes carry its name
    assert.ok(j.probes.length > 0 && j.probes.every((p: { database: string }) => p.database === 'internal/user/res/migrations' || p.database === 'internal/admin/res/migrations'));
    writeFileSync(join(dir, '.pg-rls-lint.json'), '{ "databases": "one" }');
    const one = JSON.parse(verify().stdout);
    assert.deepEqual(one.statementErrors.map((e: { code: string; path: string }) => `${e.code} ${e.path}`), ['42P07 internal/user/res/migrations/000001_init.up.sql']);
  });
});

describe("a Supabase project's config.toml", () => {
  test("ok: the seed files [db.seed] sql_paths lists (supabase db reset runs them after the migrations) are replayed like seed.sql; a file it does not list stays unapplied (backyard keeps its policies in supabase/policies/ and seeds them)", () => {
    const files = {
      'supabase/migrations/20240101000000_notes.sql': 'CREATE TABLE public.notes (id bigint PRIMARY KEY, owner uuid NOT NULL);\n',
      'supabase/policies/notes.sql': 'ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;\nCREATE POLICY own ON public.notes FOR SELECT TO authenticated USING (owner = (select auth.uid()));\n',
      'supabase/drafts/scratch.sql': 'CREATE TABLE public.scratch (id int);\n',
      'supabase/seed.sql': 'INSERT INTO public.notes VALUES (1, gen_random_uuid());\n',
    };
    const rules = (config: string) => {
      const j = JSON.parse(run(fixture({ ...files, 'supabase/config.toml': config }), ['.', '--format', 'json']).stdout);
      return { rules: (j.files as Array<{ path: string; diagnostics: Array<{ rule: string }> }>).flatMap((f) => f.diagnostics.map((d) => `${f.path} ${d.rule}`)), notReplayed: j.notReplayed.map((n: { path: string }) => n.path) };
    };
    const seeded = rules('[db.seed]\nenabled = true\nsql_paths = ["./seed.sql", "./policies/*.sql"]\n');
    assert.ok(!seeded.rules.some((r: string) => r.endsWith('rls-not-enabled')), seeded.rules.join('\n'));
    assert.deepEqual(seeded.notReplayed, ['supabase/drafts/scratch.sql']);
    // without the entry, or with seeding disabled: the policies' file is one the CLI never applies; seed.sql is a seed
    // without the entry (the CLI's default), none with seeding disabled or a list that leaves it out
    for (const [config, seedRuns] of [['project_id = "p"\n', true], ['[db.seed]\nenabled = false\nsql_paths = ["./policies/*.sql"]\n', false]] as const) {
      const r = rules(config);
      assert.ok(r.rules.includes('supabase/migrations/20240101000000_notes.sql rls-not-enabled'), r.rules.join('\n'));
      assert.deepEqual(r.notReplayed.sort(), ['supabase/drafts/scratch.sql', ...(seedRuns ? [] : ['supabase/seed.sql']), 'supabase/policies/notes.sql'].sort());
    }
    assert.deepEqual(rules('[db.seed]\nsql_paths = ["./policies/*.sql"]\n').notReplayed.sort(), ['supabase/drafts/scratch.sql', 'supabase/seed.sql']);
    // after every migration, in sql_paths' order, whatever their folders' names (regression check, backyard: indexes/
    // sorts before migrations/, and its CREATE INDEX ran before the table existed: a false policy-column-not-indexed)
    const ordered = fixture({
      'supabase/config.toml': '[db.seed]\nsql_paths = ["./zz_policies/*.sql", "./indexes/*.sql", "./migrations/*.sql"]\n',
      'supabase/migrations/20240101000000_tasks.sql': 'CREATE TABLE public.tasks (id uuid PRIMARY KEY, user_id uuid NOT NULL);\n',
      'supabase/indexes/tasks.sql': 'CREATE INDEX IF NOT EXISTS tasks_user ON public.tasks (user_id);\n',
      'supabase/zz_policies/tasks.sql': 'ALTER TABLE public.tasks ENABLE ROW LEVEL SECURITY;\nCREATE POLICY own ON public.tasks FOR SELECT TO authenticated USING ((select auth.uid()) = user_id);\n',
    });
    const j = JSON.parse(run(ordered, ['.', '--format', 'json']).stdout);
    assert.deepEqual(j.databases[0].files, ['supabase/migrations/20240101000000_tasks.sql', 'supabase/zz_policies/tasks.sql', 'supabase/indexes/tasks.sql']);
    const found = (j.files as Array<{ path: string; diagnostics: Array<{ rule: string }> }>).flatMap((f) => f.diagnostics.map((d) => `${f.path} ${d.rule}`));
    assert.ok(!found.some((r) => /policy-column-not-indexed|table-|policy-on-table-without-rls|rls-not-enabled/.test(r)), found.join('\n'));
  });
  test("ok: the declarative schema files [db.migrations] schema_paths lists are replayed in its order (supabase db diff loads them so), the first glob's first; a file of schemas/ it does not list is not replayed", () => {
    const files = {
      'supabase/migrations/20240101000000_init.sql': 'CREATE EXTENSION IF NOT EXISTS pgcrypto;\n',
      'supabase/schemas/00_policies.sql': 'ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;\nCREATE POLICY own ON public.notes FOR SELECT TO authenticated USING (owner = (select auth.uid()));\n',
      'supabase/schemas/tables.sql': 'CREATE TABLE public.notes (id bigint PRIMARY KEY, owner uuid NOT NULL);\nCREATE INDEX notes_owner ON public.notes (owner);\n',
      'supabase/schemas/old/stale.sql': 'CREATE TABLE public.stale (id int);\n',
    };
    const lint = (config: string) => {
      const j = JSON.parse(run(fixture({ ...files, 'supabase/config.toml': config }), ['.', '--format', 'json']).stdout);
      return {
        order: j.databases[0].files as string[],
        rules: (j.files as Array<{ path: string; diagnostics: Array<{ rule: string }> }>).flatMap((f) => f.diagnostics.map((d) => `${f.path} ${d.rule}`)),
        notReplayed: (j.notReplayed as Array<{ path: string }>).map((n) => n.path),
      };
    };
    const listed = lint('[db.migrations]\nschema_paths = ["./schemas/tables.sql", "./schemas/*.sql"]\n');
    assert.deepEqual(listed.order, ['supabase/migrations/20240101000000_init.sql', 'supabase/schemas/tables.sql', 'supabase/schemas/00_policies.sql']);
    assert.deepEqual(listed.rules, []);
    assert.deepEqual(listed.notReplayed, ['supabase/schemas/old/stale.sql']);
    // without the entry (or an empty list): every file of schemas/, in the order the CLI walks them; the policies come first, on a table not made yet
    for (const config of ['project_id = "p"\n', '[db.migrations]\nschema_paths = []\n']) {
      const walked = lint(config);
      assert.deepEqual(walked.order, ['supabase/migrations/20240101000000_init.sql', 'supabase/schemas/00_policies.sql', 'supabase/schemas/old/stale.sql', 'supabase/schemas/tables.sql']);
      assert.deepEqual(walked.notReplayed, []);
      assert.ok(walked.rules.some((r) => r.startsWith('supabase/schemas/00_policies.sql ')), walked.rules.join('\n'));
    }
  });
  const BILLING =
    'CREATE SCHEMA billing;\nCREATE TABLE billing.invoices (id bigint PRIMARY KEY, org_id uuid NOT NULL);\n' +
    'GRANT USAGE ON SCHEMA billing TO anon, authenticated;\nGRANT SELECT ON billing.invoices TO anon, authenticated;\n';
  test('ok: a schema its Data API serves ([api] schemas) is exposed: its tables need RLS, said with the file; from the project folder too', () => {
    const dir = fixture({
      'supabase/config.toml': 'project_id = "shop"\n\n[api]\nenabled = true\nschemas = ["public", "graphql_public", "billing"]\n',
      'supabase/migrations/20240101000000_billing.sql': BILLING,
    });
    const r = run(dir, ['.', '--format', 'json']);
    const found = JSON.parse(r.stdout).files[0].diagnostics;
    assert.deepEqual(found.map((d: { rule: string }) => d.rule), ['rls-not-enabled']);
    assert.match(found[0].message, /exposed schema "billing" \(its Data API serves it: supabase\/config\.toml \[api\] schemas\)/);
    assert.equal(r.stderr, '');
    // linted from inside supabase/ (its config.toml is then ./config.toml)
    const inside = run(join(dir, 'supabase'), ['migrations', '--format', 'json']);
    assert.match(JSON.parse(inside.stdout).files[0].diagnostics[0].message, /\(its Data API serves it: config\.toml \[api\] schemas\)/);
    // … and from inside supabase/migrations/, where the ids name no supabase/ folder: the same findings (calibration: cd supabase && pg-rls-lint .)
    const deeper = run(join(dir, 'supabase', 'migrations'), ['.', '--format', 'json']);
    assert.match(JSON.parse(deeper.stdout).files[0].diagnostics[0].message, /\(its Data API serves it: \.\.\/config\.toml \[api\] schemas\)/);
    // a Supabase project however it is named: no rls-not-forced (the owner is postgres, and the rule says so where it matters), as from the root
    const plain = fixture({
      'supabase/config.toml': 'project_id = "p"\n',
      'supabase/migrations/20240101000000_notes.sql': 'CREATE TABLE public.notes (id bigint PRIMARY KEY, owner uuid NOT NULL);\nALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;\nCREATE POLICY own ON public.notes FOR SELECT TO authenticated USING (owner = (select auth.uid()));\n',
    });
    const rules = (cwd: string, arg: string) => (JSON.parse(run(cwd, [arg, '--format', 'json']).stdout).files as Array<{ diagnostics: Array<{ rule: string }> }>).flatMap((f) => f.diagnostics.map((d) => d.rule)).sort();
    const fromRoot = rules(plain, 'supabase');
    assert.deepEqual(rules(join(plain, 'supabase'), '.'), fromRoot);
    assert.deepEqual(rules(join(plain, 'supabase', 'migrations'), '.'), fromRoot);
    // matrix and verify read it too (verify: no complaint about it on stderr)
    assert.equal(run(dir, ['matrix', '.']).stderr, '');
  });
  // Calibration (organizacao10x, no config.toml): from inside supabase/, the ids named no supabase/
  // folder: the Supabase CLI's file-name rules went silent, the replay order changed, and
  // rls-not-enabled spoke of no Supabase roles. The ids are now relative to the project's folder.
  test('ok: linted from inside supabase/ or supabase/migrations/ (no config.toml), the findings are those from the project folder; paths are shown relative to the current directory', () => {
    const dir = fixture({
      'supabase/migrations/001_notes.sql': 'CREATE TABLE public.notes (id bigint PRIMARY KEY, owner uuid NOT NULL); ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;\n',
      'supabase/migrations/001_tags.sql': 'CREATE TABLE public.tags (id bigint PRIMARY KEY, name text);\n',
    });
    const found = (cwd: string, arg: string) => {
      const out = JSON.parse(run(cwd, [arg, '--format', 'json']).stdout) as { files: Array<{ path: string; diagnostics: Array<{ rule: string; message: string }> }> };
      return out.files.map((f) => ({ path: f.path, found: f.diagnostics.map((d) => `${d.rule}: ${d.message}`) }));
    };
    const fromRoot = found(dir, '.');
    assert.deepEqual(fromRoot.map((f) => f.path), ['supabase/migrations/001_notes.sql', 'supabase/migrations/001_tags.sql']);
    assert.deepEqual(fromRoot[1]!.found.map((x) => x.split(':')[0]), ['supabase-migration-version-duplicate', 'rls-not-enabled']);
    assert.match(fromRoot[1]!.found[1]!, /anon and authenticated, the roles of every API request/);
    const same = (cwd: string, arg: string, prefix: string) =>
      assert.deepEqual(found(cwd, arg), fromRoot.map((f) => ({ ...f, path: f.path.replace('supabase/migrations/', prefix) })));
    same(join(dir, 'supabase'), '.', 'migrations/');
    same(join(dir, 'supabase'), 'migrations', 'migrations/');
    same(join(dir, 'supabase', 'migrations'), '.', '');
  });
  test('err: a config.toml that is not TOML is named on stderr with its line; the lint goes on with the setting alone', () => {
    const dir = fixture({
      'supabase/config.toml': '[api]\nschemas = ["public", "billing"\n',
      'supabase/migrations/20240101000000_billing.sql': BILLING,
    });
    const r = run(dir, ['.', '--format', 'json']);
    assert.equal(r.code, 0);
    assert.match(r.stderr, /^pg-rls-lint: supabase\/config\.toml: not valid TOML at line \d+, column \d+: .*; its \[api\] schemas, \[auth\] enable_anonymous_sign_ins, \[auth\.hook\.custom_access_token\], \[db\] major_version, \[db\.seed\] sql_paths and \[db\.migrations\] schema_paths are not used\n$/);
    assert.deepEqual(JSON.parse(r.stdout).files[0].diagnostics, []);
  });
});

describe("a plain PostgREST's configuration", () => {
  // Calibration (francois/elm-scoutges): db-schema = "api" in postgrest.conf at the root, migrations in db/deploy/
  const SQL = 'CREATE SCHEMA api;\nCREATE TABLE public.que_jobs (id bigint PRIMARY KEY, data jsonb);\nCREATE TABLE api.items (id bigint PRIMARY KEY, name text);\n';
  test('ok: postgrest.conf above the migrations: the schemas it serves are the exposed ones, said with the file; a value PostgREST refuses is one line on stderr, the setting decides', () => {
    const dir = fixture({
      'postgrest.conf': 'db-uri = "postgres://x@localhost/app"\ndb-schema = "api" # added to the search_path of every request\ndb-anon-role = "anonymous"\n',
      'db/deploy/tables.sql': SQL,
    });
    const messages = () => {
      const r = run(dir, ['.', '--format', 'json']);
      return { stderr: r.stderr, found: (JSON.parse(r.stdout).files as Array<{ diagnostics: Array<{ rule: string; message: string }> }>).flatMap((f) => f.diagnostics.filter((d) => d.rule === 'rls-not-enabled').map((d) => d.message)) };
    };
    const ok = messages();
    assert.equal(ok.stderr, '');
    assert.equal(ok.found.length, 1, ok.found.join('\n'));
    assert.match(ok.found[0]!, /^Table api\.items is in the exposed schema "api" \(PostgREST serves it: postgrest\.conf db-schema\)/);
    writeFileSync(join(dir, 'postgrest.conf'), 'db-schemas = "api, pg_catalog"\n');
    const bad = messages();
    assert.match(bad.stderr, /^pg-rls-lint: postgrest\.conf: db-schemas names pg_catalog, which PostgREST refuses .*; its schemas are not used: the setting exposedSchemas decides\n$/);
    assert.match(bad.found.join('\n'), /^Table public\.que_jobs is in the exposed schema "public" but/);
  });
});

describe("a Supabase project's anonymous sign-ins", () => {
  test("ok: [auth] enable_anonymous_sign_ins = true in config.toml: a SELECT policy asking only for a signed-in user is reported, naming the file; the setting anonymousSignIns = false (.pg-rls-lint.json) turns it off", () => {
    const files = {
      'supabase/config.toml': '[auth]\nenable_anonymous_sign_ins = true\n',
      'supabase/migrations/20240101000000_notes.sql':
        'CREATE TABLE public.notes (id bigint PRIMARY KEY, body text);\nALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;\nALTER TABLE public.notes FORCE ROW LEVEL SECURITY;\n' +
        'CREATE POLICY notes_read ON public.notes FOR SELECT TO authenticated USING (true);\n',
    };
    const r = run(fixture(files), ['.', '--format', 'json']);
    const found = JSON.parse(r.stdout).files[0].diagnostics;
    assert.deepEqual(found.map((d: { rule: string }) => d.rule), ['policy-admits-anonymous-users']);
    assert.match(found[0].message, /supabase\/config\.toml turns anonymous sign-ins on/);
    const off = run(fixture({ ...files, '.pg-rls-lint.json': '{ "anonymousSignIns": "false" }' }), ['.', '--format', 'json']);
    assert.deepEqual(JSON.parse(off.stdout).files.flatMap((f: { diagnostics: unknown[] }) => f.diagnostics), []);
  });
});

describe("a Supabase project's PostgreSQL version", () => {
  // ilhamsa1/deploy-vercel: [db] major_version = 15 and a function named json, which 17 and later reject
  test('ok: [db] major_version = 15 in config.toml: json(…) is a warning naming the file (exit 0); postgresVersion = 17 in .pg-rls-lint.json: an error (exit 1)', () => {
    const files = {
      'supabase/config.toml': '[db]\nmajor_version = 15\n',
      'supabase/migrations/20240101000000_json.sql': 'CREATE DOMAIN uuid_ulid AS uuid;\nCREATE FUNCTION json(uuid_ulid) RETURNS json AS $$ SELECT to_json($1::text) $$ LANGUAGE sql IMMUTABLE;\n',
    };
    const r = run(fixture(files), ['.', '--format', 'json']);
    assert.equal(r.code, 0);
    const found = JSON.parse(r.stdout).files[0].diagnostics;
    assert.deepEqual(found.map((d: { rule: string; severity: string }) => [d.rule, d.severity]), [['syntax-error', 'warning']]);
    assert.match(found[0].message, /on PostgreSQL 17 and later, .*This project pins PostgreSQL 15 \(supabase\/config\.toml \[db\] major_version\)/);
    const later = run(fixture({ ...files, '.pg-rls-lint.json': '{ "postgresVersion": 17 }' }), ['.', '--format', 'json']);
    assert.equal(later.code, 1);
    const again = JSON.parse(later.stdout).files[0].diagnostics;
    assert.deepEqual(again.map((d: { severity: string }) => d.severity), ['error']);
    assert.match(again[0].message, /PostgreSQL would reject this statement/);
  });
});

describe('psql includes', () => {
  test("ok: JSON databases list the files where psql runs them: an included file at its \\ir, an empty one after its neighbour", () => {
    const dir = fixture({
      'db/a_policies.sql': 'ALTER TABLE t ENABLE ROW LEVEL SECURITY;\n',
      'db/b_empty.sql': '-- nothing yet\n',
      'db/init.sql': '\\ir z_tables.sql\n\\ir a_policies.sql\n',
      'db/z_tables.sql': 'CREATE TABLE t (id int);\n',
    });
    const j = JSON.parse(run(dir, ['.', '--format', 'json']).stdout);
    assert.deepEqual(j.databases[0].files, ['db/b_empty.sql', 'db/init.sql', 'db/z_tables.sql', 'db/a_policies.sql']);
  });
});

describe("a Drizzle Kit migrations folder's journal", () => {
  const JOURNAL = (tags: string[]) => JSON.stringify({ version: '7', dialect: 'postgresql', entries: tags.map((tag, idx) => ({ idx, version: '7', when: 1700000000000 + idx, tag, breakpoints: true })) });
  const files = {
    'src/db/migrations/meta/_journal.json': JOURNAL(['notes', 'enable_rls']),
    'src/db/migrations/enable_rls.sql': 'ALTER TABLE notes ENABLE ROW LEVEL SECURITY;\n--> statement-breakpoint\nALTER TABLE notes FORCE ROW LEVEL SECURITY;\n',
    'src/db/migrations/notes.sql': 'CREATE TABLE notes (id bigint PRIMARY KEY, body text);\n',
    'src/db/migrations/0005_add_is_super_admin.sql': 'ALTER TABLE notes ADD COLUMN is_super_admin boolean;\nALTER TABLE notes DISABLE ROW LEVEL SECURITY;\n',
  };
  const rulesOf = (out: { files: Array<{ path: string; diagnostics: Array<{ rule: string }> }> }) => out.files.flatMap((f) => f.diagnostics.map((d) => `${f.path} ${d.rule}`));

  test("ok: the journal's files replay in its order, a file it does not list is not replayed and is reported (drizzle-migration-not-in-journal), in lint, JSON databases and verify", () => {
    const dir = fixture(files);
    const r = run(dir, ['.', '--format', 'json']);
    assert.equal(r.stderr, '');
    const j = JSON.parse(r.stdout);
    assert.deepEqual(j.databases[0].files, ['src/db/migrations/0005_add_is_super_admin.sql', 'src/db/migrations/notes.sql', 'src/db/migrations/enable_rls.sql']);
    assert.deepEqual(rulesOf(j), ['src/db/migrations/0005_add_is_super_admin.sql drizzle-migration-not-in-journal']);
    // (not replayed as a Drizzle journal's file, not as a Supabase project's: it said "of a Supabase project's that are neither its migrations …")
    assert.deepEqual(j.notReplayed, [{ path: 'src/db/migrations/0005_add_is_super_admin.sql', reason: 'of a Drizzle Kit migrations folder that its src/db/migrations/meta/_journal.json does not list: drizzle-kit migrate never applies them' }]);
    const text = run(dir, ['.']).stdout;
    assert.match(text, /drizzle-kit migrate never applies 0005_add_is_super_admin\.sql: src\/db\/migrations\/meta\/_journal\.json does not list it/);
    const v = run(dir, ['verify', '.']);
    assert.match(v.stdout, /verified on .*: 2 files/);
    assert.match(v.stdout, /left out: 1 file of a Drizzle Kit migrations folder that its meta\/_journal\.json does not list \(drizzle-kit migrate never applies it; drizzle-migration-not-in-journal\): src\/db\/migrations\/0005_add_is_super_admin\.sql/);
  });

  test('ok: a journal that cannot be parsed: one warning on stderr, and nothing changes (every file replayed, in path order)', () => {
    const dir = fixture({ ...files, 'src/db/migrations/meta/_journal.json': '{"entries": [' });
    const r = run(dir, ['.', '--format', 'json']);
    assert.equal(r.code, 0);
    // (one line; JSON.parse's own words vary with the Node version)
    assert.match(r.stderr, /^pg-rls-lint: src\/db\/migrations\/meta\/_journal\.json: not valid JSON \([^\n]+\); its list of migrations is not used: every \.sql file of its folder is replayed, in path order, as without a journal\n$/);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(j.databases[0].files, ['src/db/migrations/0005_add_is_super_admin.sql', 'src/db/migrations/enable_rls.sql', 'src/db/migrations/notes.sql']);
    assert.ok(!rulesOf(j).some((x) => x.endsWith('drizzle-migration-not-in-journal')));
  });
});

describe("a graphile-migrate project's .gmrc", () => {
  const files = {
    '.gmrc': '/* Graphile Migrate configuration (JSON5) */\n{\n  "afterReset": [\n    // "afterReset.sql",\n    "initial_schema.sql",\n  ],\n}\n',
    'migrations/committed/000001.sql': '--! Previous: -\n--! Hash: sha1:1\n\nALTER TABLE account ENABLE ROW LEVEL SECURITY;\nALTER TABLE account FORCE ROW LEVEL SECURITY;\n',
    'migrations/current.sql': '-- Enter migration here\n',
    'migrations/initial_schema.sql': 'CREATE TABLE public.account (id bigint PRIMARY KEY, name text);\n',
  };
  const notEnabled = (out: { files: Array<{ diagnostics: Array<{ rule: string }> }> }) => out.files.flatMap((f) => f.diagnostics.filter((d) => d.rule === 'rls-not-enabled')).length;

  test("ok: the afterReset files replay first, then committed/, then current.sql (regen-server: no rls-not-enabled for the dump's table), in lint, JSON databases and verify", () => {
    const dir = fixture(files);
    const r = run(dir, ['.', '--format', 'json']);
    assert.equal(r.stderr, '');
    const j = JSON.parse(r.stdout);
    assert.deepEqual(j.databases[0].files, ['migrations/initial_schema.sql', 'migrations/committed/000001.sql', 'migrations/current.sql']);
    assert.equal(notEnabled(j), 0);
    const v = run(dir, ['verify', '.']);
    assert.match(v.stdout, /verified on .*: 3 files/);
    assert.doesNotMatch(v.stdout, /42P01/);
    // without the .gmrc: the path order, the committed migration before the table
    rmSync(join(dir, '.gmrc'));
    assert.equal(notEnabled(JSON.parse(run(dir, ['.', '--format', 'json']).stdout)), 1);
  });

  test("ok: a .gmrc's pgSettings search_path (danbiagini/parlour-room): its files start with it, in lint (the unqualified CREATE POLICY is app_public.users's: no rls-enabled-without-policy) and verify (the migration replays cleanly; without it, 42P01)", () => {
    const dir = fixture({
      '.gmrc': '{\n  "pgSettings": {\n    "search_path": "app_public,app_private",\n  },\n}\n',
      'migrations/current.sql':
        'CREATE ROLE app_user;\nCREATE SCHEMA app_public;\nCREATE TABLE app_public.users (uid uuid PRIMARY KEY, name text);\nALTER TABLE app_public.users ENABLE ROW LEVEL SECURITY;\nGRANT SELECT ON app_public.users TO app_user;\n' +
        "CREATE POLICY user_policy ON users TO app_user USING (uid = nullif(current_setting('app.uid', true), '')::uuid);\nCREATE TYPE mood AS ENUM ('ok');\nCREATE TABLE app_public.notes (id int PRIMARY KEY, m mood);\n",
    });
    const withoutPolicy = (out: { files: Array<{ diagnostics: Array<{ rule: string }> }> }) => out.files.flatMap((f) => f.diagnostics.filter((d) => d.rule === 'rls-enabled-without-policy')).length;
    const r = run(dir, ['.', '--format', 'json']);
    assert.equal(r.stderr, '');
    assert.equal(withoutPolicy(JSON.parse(r.stdout)), 0);
    const v = run(dir, ['verify', '.']);
    assert.match(v.stdout, /replay cleanly/);
    assert.doesNotMatch(v.stdout, /42P01|42704/);
    rmSync(join(dir, '.gmrc'));
    assert.equal(withoutPolicy(JSON.parse(run(dir, ['.', '--format', 'json']).stdout)), 1);
    assert.match(run(dir, ['verify', '.']).stdout, /42P01 relation "users" does not exist/);
  });

  test('ok: a .gmrc that cannot be parsed: one warning on stderr, and the path order', () => {
    const dir = fixture({ ...files, '.gmrc': '{ "afterReset": ["initial_schema.sql" ' });
    const r = run(dir, ['.', '--format', 'json']);
    assert.equal(r.stderr, 'pg-rls-lint: .gmrc: not valid JSON5 (JSON5: invalid end of input at 1:39); its replay order (afterReset files, then committed/ by number, then the current migration) is not used: the migrations are replayed in path order\n');
    const j = JSON.parse(r.stdout);
    assert.deepEqual(j.databases[0].files, ['migrations/committed/000001.sql', 'migrations/current.sql', 'migrations/initial_schema.sql']);
    assert.equal(notEnabled(j), 1);
  });
});

describe("a Liquibase project's master changelog", () => {
  // Spring Boot's layout: the master in src/main/resources/db/changelog/, paths from the classpath root or relative to the changelog
  const C = 'src/main/resources/db/changelog';
  const files = {
    [`${C}/db.changelog-master.yaml`]: 'databaseChangeLog:\n  - include:\n      file: db/changelog/changes/tables.sql\n  - include:\n      file: changes/access.sql\n      relativeToChangelogFile: true\n',
    [`${C}/changes/tables.sql`]: '--liquibase formatted sql\n\n--changeset dev:1\nCREATE TABLE public.notes (id bigint PRIMARY KEY, owner text NOT NULL);\n--rollback DROP TABLE public.notes;\n',
    [`${C}/changes/access.sql`]:
      '--liquibase formatted sql\n\n--changeset dev:2\nALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;\nALTER TABLE public.notes FORCE ROW LEVEL SECURITY;\n' +
      'CREATE POLICY notes_own ON public.notes FOR SELECT TO authenticated USING (owner = current_user);\n--rollback DROP POLICY notes_own ON public.notes;\n',
    [`${C}/changes/scratch.sql`]: 'ALTER TABLE public.notes DISABLE ROW LEVEL SECURITY;\n',
  };
  const rulesOf = (out: { files: Array<{ path: string; diagnostics: Array<{ rule: string }> }> }) => out.files.flatMap((f) => f.diagnostics.map((d) => `${f.path.replace(`${C}/`, '')} ${d.rule}`));

  test("ok: the changelog's files replay in its order (access.sql, the policies, sorts first and runs after tables.sql: no policy on a table made later, no 42P01), a file it does not run is not replayed and said so, in lint, JSON and verify", () => {
    const dir = fixture(files);
    const r = run(dir, ['.', '--format', 'json']);
    assert.equal(r.stderr, '');
    const j = JSON.parse(r.stdout);
    assert.deepEqual(j.databases[0].files, [`${C}/changes/tables.sql`, `${C}/changes/scratch.sql`, `${C}/changes/access.sql`]);
    assert.deepEqual(rulesOf(j).filter((x) => !/policy-column-not-indexed/.test(x)), []);
    assert.deepEqual(j.notReplayed, [
      { path: `${C}/changes/scratch.sql`, reason: `of a Liquibase project that no include, includeAll or sqlFile of its changelog ${C}/db.changelog-master.yaml runs (or only with ignore, or a dbms that leaves PostgreSQL out): liquibase update never runs them` },
    ]);
    assert.match(run(dir, ['.']).stdout, /not replayed \(only their syntax is checked\): 1 file of a Liquibase project that no include, includeAll or sqlFile of its changelog src\/main\/resources\/db\/changelog\/db\.changelog-master\.yaml runs .*: liquibase update never runs them \(src\/main\/resources\/db\/changelog\/changes\/scratch\.sql; --format json lists each\)/);
    const v = run(dir, ['verify', '.']);
    assert.match(v.stdout, /verified on .*: 2 files/);
    assert.match(v.stdout, /left out: 1 file of a Liquibase project that no include, includeAll or sqlFile of its changelog src\/main\/resources\/db\/changelog\/db\.changelog-master\.yaml runs \(liquibase update never runs it\): src\/main\/resources\/db\/changelog\/changes\/scratch\.sql/);
    assert.doesNotMatch(v.stdout, /42P01/);
    // without the changelog: the path order, the policy before its table (42P01), and scratch.sql replayed
    rmSync(join(dir, C, 'db.changelog-master.yaml'));
    const plain = JSON.parse(run(dir, ['.', '--format', 'json']).stdout);
    assert.deepEqual(plain.databases[0].files, [`${C}/changes/tables.sql`, `${C}/changes/access.sql`, `${C}/changes/scratch.sql`].sort());
    assert.deepEqual(rulesOf(plain).filter((x) => /policy-unknown-column/.test(x)), ['changes/access.sql policy-unknown-column']);
    assert.deepEqual(plain.notReplayed, []);
  });

  test("ok: a changelog's own SQL (<sql>, entities decoded) is replayed where it runs and linted on the changelog (its two parts, before and after an include, one file); a sqlFile's plain file split at its `/` lines; verify runs them", () => {
    const dir = fixture({
      'db/master.xml':
        '<?xml version="1.0" encoding="UTF-8"?>\n<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog">\n' +
        '  <include file="sql/tables.sql" relativeToChangelogFile="true"/>\n' +
        '  <changeSet id="1" author="dev"><sqlFile path="sql/grants.sql" relativeToChangelogFile="true"/></changeSet>\n' +
        '  <changeSet id="2" author="dev">\n    <sql>ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;\nCREATE POLICY notes_read ON public.notes FOR SELECT USING (id &gt; 0 AND owner = current_user)</sql>\n  </changeSet>\n' +
        '  <include file="sql/later.sql" relativeToChangelogFile="true"/>\n' +
        '  <changeSet id="3" author="dev"><sql>CREATE POLICY notes_upd ON public.notes FOR UPDATE USING (owner = current_user)</sql></changeSet>\n' +
        '</databaseChangeLog>\n',
      'db/sql/tables.sql': '--liquibase formatted sql\n--changeset dev:1\nCREATE TABLE public.notes (id bigint PRIMARY KEY, owner text NOT NULL);\n',
      'db/sql/grants.sql': 'GRANT SELECT ON public.notes TO PUBLIC\n/\n',
      'db/sql/later.sql': "COMMENT ON TABLE public.notes IS 'notes';\n",
    });
    const r = run(dir, ['.', '--format', 'json']);
    assert.equal(r.stderr, '');
    const j = JSON.parse(r.stdout);
    assert.deepEqual(j.databases[0].files, ['db/sql/tables.sql', 'db/sql/grants.sql', 'db/master.xml', 'db/sql/later.sql', 'db/master.xml#2']);
    const master = j.files.find((f: { path: string }) => f.path === 'db/master.xml');
    const places = master.diagnostics.map((d: { rule: string; range: { start: { line: number; character: number } } }) => `${d.rule} ${d.range.start.line + 1}:${d.range.start.character + 1}`);
    // (line 7: `owner` after `&gt;`, three characters on from the SQL's column; line 10: the second part's)
    assert.deepEqual(places, ['policy-applies-to-public 7:15', 'policy-column-not-indexed 7:74', 'policy-applies-to-public 10:53']);
    assert.deepEqual(rulesOf(j).filter((x) => /rls-not-enabled|syntax-error/.test(x)), []);
    const v = run(dir, ['verify', '.']);
    assert.match(v.stdout, /verified on .*: 5 files/);
    assert.doesNotMatch(v.stdout, /42601|statement error/i);
  });

  test("ok: a project whose SQL is all in its changelog (no .sql file): the changelog is found and linted, verify runs it; one with no SQL of its own either: exit 2, said so", () => {
    const master =
      '<?xml version="1.0" encoding="UTF-8"?>\n<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog">\n' +
      '  <changeSet id="1" author="dev"><sql>CREATE TABLE public.notes (id bigint PRIMARY KEY, owner text NOT NULL)</sql></changeSet>\n' +
      '  <changeSet id="2" author="dev"><sql>ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;\nCREATE POLICY notes_own ON public.notes FOR SELECT TO PUBLIC USING (owner = current_user)</sql></changeSet>\n' +
      '</databaseChangeLog>\n';
    const dir = fixture({ [`${C}/db.changelog-master.xml`]: master, 'pom.xml': '<project/>\n' });
    const j = JSON.parse(run(dir, ['.', '--format', 'json']).stdout);
    assert.deepEqual(j.databases[0].files, [`${C}/db.changelog-master.xml`]);
    assert.ok(rulesOf(j).includes('db.changelog-master.xml rls-not-forced'), rulesOf(j).join(', '));
    assert.match(run(dir, ['verify', '.']).stdout, /verified on .*: 1 file/);
    const none = fixture({ [`${C}/db.changelog-master.xml`]: master.replace(/<sql>[\s\S]*?<\/sql>/g, '') });
    const r = run(none, ['.']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, new RegExp(`no SQL files in \\. .*; nor SQL of their own in the Liquibase changelogs ${C.replace(/\//g, '\\/')}\\/db\\.changelog-master\\.xml`));
  });

  test("err: tables made with <createTable> (no SQL): rls-not-forced at the createTable of the table a <sql> change enables RLS on, rls-not-enabled at the other one, with no fix; verify runs the SQL Liquibase makes for them", () => {
    const master =
      '<?xml version="1.0" encoding="UTF-8"?>\n<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog">\n' +
      '  <changeSet id="1" author="dev">\n' +
      '    <createTable tableName="users">\n      <column name="id" type="uuid"><constraints primaryKey="true"/></column>\n    </createTable>\n' +
      '    <createTable tableName="notes">\n      <column name="id" type="BIGINT" autoIncrement="true"><constraints primaryKey="true"/></column>\n' +
      '      <column name="owner_id" type="uuid"><constraints nullable="false" references="users(id)" foreignKeyName="notes_owner_fk"/></column>\n' +
      '      <column name="created_at" type="DATETIME" defaultValueComputed="now()"/>\n    </createTable>\n' +
      '  </changeSet>\n' +
      "  <changeSet id=\"2\" author=\"dev\"><sql>ALTER TABLE notes ENABLE ROW LEVEL SECURITY;\nCREATE POLICY notes_own ON notes FOR SELECT TO PUBLIC USING (owner_id = nullif(current_setting('app.uid', true), '')::uuid)</sql></changeSet>\n" +
      '</databaseChangeLog>\n';
    const dir = fixture({ [`${C}/db.changelog-master.xml`]: master, 'pom.xml': '<project/>\n' });
    const r = run(dir, ['.', '--format', 'json']);
    assert.equal(r.stderr, '');
    const j = JSON.parse(r.stdout);
    assert.deepEqual(j.databases[0].files, [`${C}/db.changelog-master.xml`]);
    const file = j.files.find((f: { path: string }) => f.path === `${C}/db.changelog-master.xml`);
    const lines = master.split('\n');
    const at = (rule: string) =>
      file.diagnostics.filter((d: { rule: string }) => d.rule === rule).map((d: { range: { start: { line: number; character: number } }; fixes: unknown[] }) => ({ text: lines[d.range.start.line]!.slice(d.range.start.character), fixes: d.fixes.length }));
    // (each at its createTable's tableName; nothing to write into the XML)
    assert.deepEqual(at('rls-not-forced'), [{ text: 'notes">', fixes: 0 }]);
    assert.deepEqual(at('rls-not-enabled'), [{ text: 'users">', fixes: 0 }]);
    assert.equal(at('policy-column-not-indexed').length, 1);
    assert.deepEqual(at('policy-unknown-column'), []);
    const v = run(dir, ['verify', '.']);
    assert.match(v.stdout, /verified on .*: 1 file/);
    assert.doesNotMatch(v.stdout, /statement error/i);
  });

  test("err: a policy a changelog's <sql> makes and a sqlFile in another folder makes again: policy-already-exists (42710, PGlite: the second fails); the changelog's order is one sequence, whatever the folders", async () => {
    const policy = "CREATE POLICY notes_owner ON notes FOR SELECT TO PUBLIC USING (owner_id = nullif(current_setting('app.uid', true), '')::uuid);";
    const first = `CREATE TABLE notes (id uuid PRIMARY KEY, owner_id uuid);\nALTER TABLE notes ENABLE ROW LEVEL SECURITY;\n${policy}`;
    const master =
      '<?xml version="1.0" encoding="UTF-8"?>\n<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog">\n' +
      `  <changeSet id="1" author="dev"><sql>${first}</sql></changeSet>\n` +
      '  <changeSet id="2" author="dev"><sqlFile path="../../sql/2_again.sql" relativeToChangelogFile="true"/></changeSet>\n' +
      '</databaseChangeLog>\n';
    const dir = fixture({ [`${C}/db.changelog-master.xml`]: master, 'src/main/resources/sql/2_again.sql': `${policy}\n`, 'pom.xml': '<project/>\n' });
    const j = JSON.parse(run(dir, ['.', '--format', 'json']).stdout);
    assert.ok(rulesOf(j).includes('src/main/resources/sql/2_again.sql policy-already-exists'), rulesOf(j).join(', '));
    const { PGlite } = await import('@electric-sql/pglite');
    const db = new PGlite();
    try {
      await db.exec(first);
      await assert.rejects(db.exec(policy), (e: { code?: string }) => e.code === '42710');
    } finally {
      await db.close();
    }
  });

  test("ok: a project whose SQL is all in its changelogs, beside SQL files that are not its own in folders far from them (dallay/hatchgrid: test fixtures in src/test/resources/db/, init scripts in infra/): the changelogs are followed and their SQL linted", () => {
    const dir = fixture({
      [`${C}/master.yaml`]: 'databaseChangeLog:\n  - includeAll:\n      path: migrations\n      relativeToChangelogFile: true\n',
      [`${C}/migrations/001-workspaces.yaml`]: 'databaseChangeLog:\n  - changeSet:\n      id: 001\n      author: dev\n      changes:\n        - sql:\n            sql: CREATE TABLE public.workspaces (id uuid PRIMARY KEY, name text NOT NULL)\n',
      [`${C}/migrations/002-workspaces-rls.yaml`]:
        'databaseChangeLog:\n  - changeSet:\n      id: 002\n      author: dev\n      changes:\n        - sql:\n            splitStatements: false\n            sql: |\n' +
        '              ALTER TABLE workspaces ENABLE ROW LEVEL SECURITY;\n' +
        "              CREATE POLICY workspace_access ON workspaces FOR ALL TO PUBLIC\n              USING (id = current_setting('app.current_workspace')::uuid);\n",
      'src/test/resources/db/workspace/clean.sql': 'DELETE FROM workspaces;\n',
      'infra/postgresql/init-scripts/schema.sql': 'CREATE SCHEMA IF NOT EXISTS app;\n',
    });
    const j = JSON.parse(run(dir, ['.', '--format', 'json']).stdout);
    const rules = rulesOf(j);
    // (before: only the two SQL files were read, the changelogs never followed: "no problems", the policy and the table unseen)
    assert.ok(rules.includes('migrations/002-workspaces-rls.yaml policy-current-setting-unsafe'), rules.join(', '));
    assert.ok(rules.includes('migrations/001-workspaces.yaml rls-not-forced'), rules.join(', '));
    assert.ok(j.databases.some((d: { files: string[] }) => d.files.includes(`${C}/migrations/001-workspaces.yaml`) && d.files.includes(`${C}/migrations/002-workspaces-rls.yaml`)), JSON.stringify(j.databases));
  });

  test('ok: a changelog that cannot be followed (a property in a path): one warning on stderr, and nothing changes (every file replayed, in path order)', () => {
    const dir = fixture({ ...files, [`${C}/db.changelog-master.yaml`]: 'databaseChangeLog:\n  - include:\n      file: ${changes}/tables.sql\n  - include:\n      file: changes/access.sql\n      relativeToChangelogFile: true\n' });
    const r = run(dir, ['.', '--format', 'json']);
    assert.equal(
      r.stderr,
      `pg-rls-lint: ${C}/db.changelog-master.yaml: include file="\${changes}/tables.sql" uses a changelog property (\${…}), which the lint does not substitute; the Liquibase changelog ${C}/db.changelog-master.yaml is not followed: its files are replayed in path order, and none is said not to run\n`,
    );
    const j = JSON.parse(r.stdout);
    assert.deepEqual(j.databases[0].files, [`${C}/changes/tables.sql`, `${C}/changes/access.sql`, `${C}/changes/scratch.sql`].sort());
    assert.deepEqual(j.notReplayed, []);
    assert.ok(rulesOf(j).includes('changes/access.sql policy-unknown-column'));
  });
});

describe("a sqitch project's plan", () => {
  test('ok: the deploy scripts replay in sqitch.plan order (maevsi: the revoke of the default EXECUTE first), in lint, JSON databases and verify', () => {
    const dir = fixture({
      'src/sqitch.plan': '%syntax-version=1.0.0\n%project=p\n\nprivilege_execute_revoke 2024-01-01T00:00:00Z A <a@example.com> # revoke\nfunction_secret [privilege_execute_revoke] 2024-01-01T00:00:00Z A <a@example.com> # fn\n',
      'src/deploy/function_secret.sql': "BEGIN;\nCREATE FUNCTION public.secret() RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$ SELECT count(*)::int FROM pg_catalog.pg_class $$;\nCOMMIT;\n",
      'src/deploy/privilege_execute_revoke.sql': 'BEGIN;\nALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;\nCOMMIT;\n',
    });
    const j = JSON.parse(run(dir, ['.', '--format', 'json']).stdout);
    assert.deepEqual(j.databases[0].files, ['src/deploy/privilege_execute_revoke.sql', 'src/deploy/function_secret.sql']);
    const executable = (out: { files: Array<{ diagnostics: Array<{ rule: string }> }> }) => out.files.flatMap((f) => f.diagnostics.filter((d) => d.rule === 'definer-execute-granted-to-public')).length;
    assert.equal(executable(j), 0);
    // without the plan: the path order, and the finding
    rmSync(join(dir, 'src/sqitch.plan'));
    assert.equal(executable(JSON.parse(run(dir, ['.', '--format', 'json']).stdout)), 1);
  });

  test("ok: a plan a sqitch.conf above the scripts names (top_dir = db/sqitch, plan_file at the root: crm-for-devs) orders them; a conf for another layout does not", () => {
    const files = {
      'sqitch.conf': '[core]\n\tengine = pg\n\tplan_file = sqitch.plan\n\ttop_dir = db/sqitch\n[engine "pg"]\n\ttarget = db:pg:crm\n',
      'sqitch.plan': '%syntax-version=1.0.0\n%project=crm\n\nnotes 2024-01-01T00:00:00Z A <a@example.com> # table\nadd_rls [notes] 2024-01-01T00:00:00Z A <a@example.com> # rls\n',
      'db/sqitch/deploy/add_rls.sql': 'ALTER TABLE notes ENABLE ROW LEVEL SECURITY;\nALTER TABLE notes FORCE ROW LEVEL SECURITY;\n',
      'db/sqitch/deploy/notes.sql': 'CREATE TABLE notes (id bigint PRIMARY KEY, body text);\n',
    };
    const dir = fixture(files);
    const j = JSON.parse(run(dir, ['.', '--format', 'json']).stdout);
    assert.deepEqual(j.databases[0].files, ['db/sqitch/deploy/notes.sql', 'db/sqitch/deploy/add_rls.sql']);
    const notEnabled = (out: { files: Array<{ diagnostics: Array<{ rule: string }> }> }) => out.files.flatMap((f) => f.diagnostics.filter((d) => d.rule === 'rls-not-enabled')).length;
    assert.equal(notEnabled(j), 0);
    // a conf whose top_dir is elsewhere: the path order (add_rls first), so RLS is enabled before the table exists
    const other = fixture({ ...files, 'sqitch.conf': files['sqitch.conf'].replace('top_dir = db/sqitch', 'top_dir = sql') });
    assert.equal(notEnabled(JSON.parse(run(other, ['.', '--format', 'json']).stdout)), 1);
  });

  test("ok: a sqitch.conf beside the plan whose reworked_dir keeps a reworked change's earlier scripts in reworked/deploy/ (avi2008rai/parkhands): they replay at their places in the plan", () => {
    const plan = [
      '%syntax-version=1.0.0',
      '%project=PH',
      'table_slot 2020-03-16T14:42:00Z A <a@example.com> # table',
      'rls_slot [table_slot] 2020-03-24T16:06:30Z A <a@example.com> # rls',
      '@v1.0.56 2020-08-01T00:00:00Z A <a@example.com> # tag',
      'table_slot [table_slot@v1.0.56] 2020-08-04T11:06:49Z A <a@example.com> # rework',
      '@v1.0.77 2020-08-05T00:00:00Z A <a@example.com> # tag',
      'rls_slot [rls_slot@v1.0.77] 2020-08-07T13:12:40Z A <a@example.com> # rework',
      '',
    ].join('\n');
    const files = {
      'db/migrations/sqitch.conf': '[core]\n  engine = pg\n[engine "pg"]\n  target = dev\n\treworked_dir = reworked\n',
      'db/migrations/sqitch.plan': plan,
      'db/migrations/reworked/deploy/table_slot@v1.0.56.sql': 'BEGIN;\nCREATE SCHEMA api;\nCREATE TABLE api.slot (id uuid PRIMARY KEY, user_id uuid NOT NULL, deleted boolean NOT NULL DEFAULT false);\nCOMMIT;\n',
      'db/migrations/reworked/deploy/rls_slot@v1.0.77.sql': "BEGIN;\nALTER TABLE api.slot ENABLE ROW LEVEL SECURITY;\nCREATE POLICY crud_own_rows ON api.slot USING (user_id = current_setting('request.user_id', true)::uuid);\nCOMMIT;\n",
      'db/migrations/deploy/table_slot.sql': 'BEGIN;\nCOMMENT ON TABLE api.slot IS \'slots\';\nCOMMIT;\n',
      'db/migrations/deploy/rls_slot.sql': "BEGIN;\nCREATE POLICY select_enabled_rows ON api.slot FOR SELECT USING (NOT deleted);\nCOMMIT;\n",
    };
    const rules = (out: { files: Array<{ diagnostics: Array<{ rule: string }> }> }) => out.files.flatMap((f) => f.diagnostics.map((d) => d.rule));
    const j = JSON.parse(run(fixture(files), ['.', '--format', 'json']).stdout);
    assert.deepEqual(j.databases[0].files, [
      'db/migrations/reworked/deploy/table_slot@v1.0.56.sql',
      'db/migrations/reworked/deploy/rls_slot@v1.0.77.sql',
      'db/migrations/deploy/table_slot.sql',
      'db/migrations/deploy/rls_slot.sql',
    ]);
    // the path order ran rls_slot@v1.0.77 before table_slot@v1.0.56 and the current scripts before both:
    // "api.slot never gets row-level security", and its policies "created on a table made only later"
    assert.deepEqual(rules(j).filter((r) => r === 'rls-not-enabled' || r === 'policy-unknown-column'), []);
    const without = JSON.parse(run(fixture({ ...files, 'db/migrations/sqitch.conf': '[core]\n  engine = pg\n' }), ['.', '--format', 'json']).stdout);
    assert.deepEqual(rules(without).filter((r) => r === 'policy-unknown-column'), ['policy-unknown-column']);
  });
});

describe('psql includes', () => {
  test('ok: a file given alone is linted with the files its \\ir and \\i include (transitively, in the order psql runs them); an include found nowhere is a warning on stderr', () => {
    const dir = fixture({
      'db/main.sql': '\\ir schema/tables.sql\n\\i db/schema/policies.sql\n',
      'db/schema/tables.sql': 'CREATE TABLE docs (id int PRIMARY KEY, owner_name text NOT NULL);\n\\ir rls.sql\n',
      'db/schema/rls.sql': 'ALTER TABLE docs ENABLE ROW LEVEL SECURITY;\nALTER TABLE docs FORCE ROW LEVEL SECURITY;\n',
      'db/schema/policies.sql': 'CREATE POLICY docs_own ON docs TO PUBLIC USING (owner_name = current_user);\nREVOKE ALL ON docs FROM PUBLIC;\n',
      'other.sql': 'CREATE TABLE unrelated (id int);\n',
    });
    const r = run(dir, ['--format', 'json', 'db/main.sql']);
    assert.equal(r.stderr, '');
    const out = JSON.parse(r.stdout) as { files: Array<{ path: string; diagnostics: Array<{ rule: string }> }> };
    assert.deepEqual(out.files.map((f) => f.path), ['db/main.sql', 'db/schema/policies.sql', 'db/schema/rls.sql', 'db/schema/tables.sql']);
    // (the RLS enabled in rls.sql, included by tables.sql, counts: no rls-not-enabled nor policy-on-table-without-rls)
    assert.deepEqual(out.files.flatMap((f) => f.diagnostics.map((d) => d.rule)).filter((x) => x.startsWith('rls-') || x.startsWith('policy-on-table')), []);
    writeFileSync(join(dir, 'db/main.sql'), '\\ir schema/tables.sql\n\\ir schema/missing.sql\n');
    const missing = run(dir, ['db/main.sql']);
    assert.equal(missing.code, 0, missing.stderr);
    assert.equal(missing.stderr.trim(), 'pg-rls-lint: db/main.sql: cannot find the file \\ir schema/missing.sql includes (looked for db/schema/missing.sql): what it runs is not linted');
  });
});
