// `pg-rls-lint verify` as CI runs it (dist/cli.js as a subprocess). PGlite cannot cancel a
// running statement (statement_timeout does not fire in it), so the CLI runs verify in a worker
// thread and stops a statement or probe that outlasts --timeout: reported as 57014, with what
// was found before it kept.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ensureServerBuilt, ROOT } from '../lsp/client.js';

const CLI = join(ROOT, 'dist', 'cli.js');
const dirs: string[] = [];
const cache = mkdtempSync(join(tmpdir(), 'pg-rls-lint-verify-cache-'));
dirs.push(cache);

function run(files: Record<string, string>, args: string[], env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'pg-rls-lint-verify-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [CLI, 'verify', ...args, '.'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', XDG_CACHE_HOME: cache, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - t0 };
}

before(() => ensureServerBuilt());
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('verify --timeout', () => {
  test('err: a statement that never ends is stopped and reported as 57014; the errors before it are kept', () => {
    const r = run(
      {
        '1_loop.sql': [
          'CREATE TABLE t (id int);',
          'CREATE POLICY p ON missing_table USING (true);',
          'DO $$ BEGIN LOOP PERFORM 1; END LOOP; END $$;',
          'CREATE TABLE never_created (id int);',
          '',
        ].join('\n'),
      },
      ['--timeout', '15', '--format', 'json'],
    );
    assert.equal(r.code, 1, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.timedOut, true, r.stdout);
    assert.deepEqual(
      out.statementErrors.map((e: { path: string; line: number; code: string }) => `${e.path}:${e.line} ${e.code}`),
      ['1_loop.sql:2 42P01', '1_loop.sql:3 57014'],
      r.stdout,
    );
    assert.match(out.statementErrors[1].message, /PGlite cannot cancel a statement/);
    // (it stops at all: without the timeout the loop never ends; how soon depends on the machine's load)
    assert.ok(r.ms < 180_000, `stopped after ${r.ms} ms`);
  });

  test('err: a probe that never ends (a policy calling an endless function) is reported as 57014', () => {
    const r = run(
      {
        '1_spin.sql': [
          'CREATE ROLE app_user;',
          'CREATE FUNCTION spin() RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN LOOP END LOOP; END $$;',
          'CREATE TABLE t (id int);',
          'INSERT INTO t VALUES (1);',
          'ALTER TABLE t ENABLE ROW LEVEL SECURITY;',
          'GRANT SELECT ON t TO app_user;',
          'CREATE POLICY p ON t FOR SELECT TO app_user USING (spin());',
          '',
        ].join('\n'),
      },
      ['--timeout', '15'],
    );
    assert.equal(r.code, 1, r.stderr + r.stdout);
    assert.match(r.stdout, /app_user SELECT public\.t → 57014 still running after the 15 s budget/);
    assert.match(r.stdout, /time budget exhausted/);
    assert.match(r.stdout, /0 failing probes \(recursion\), 1 probe still running at the time budget/);
  });

  // (PGlite's start made 5 s slower, the budget 4 s: counted, the start alone would exhaust it;
  // not counted, the replay and probes of this file have 4 s (≈ 0.5 s here), under any load)
  test("ok: the budget starts once PGlite has started (a 5 s start does not eat a 4 s budget)", () => {
    const r = run({ '1.sql': 'CREATE TABLE t (id int);\nSELECT 1;\n' }, ['--timeout', '4', '--format', 'json'], { PG_RLS_LINT_TEST_START_DELAY_MS: '5000' });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(JSON.parse(r.stdout).timedOut, false, r.stdout);
  });

  test('err: --timeout must be a positive number', () => {
    const r = run({ '1.sql': 'SELECT 1;\n' }, ['--timeout', '0']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--timeout expects a positive number of seconds, got "0"/);
  });
});

describe('verify seeding', () => {
  // T02 through an invoker plpgsql helper: it recurses only when the policy runs on a row
  const files = {
    '1.sql': `CREATE ROLE app_user;
CREATE TABLE members (id bigint PRIMARY KEY, team_id bigint NOT NULL, user_name text NOT NULL);
CREATE FUNCTION my_teams() RETURNS SETOF bigint LANGUAGE plpgsql STABLE AS $$
BEGIN RETURN QUERY SELECT team_id FROM members WHERE user_name = current_user; END $$;
ALTER TABLE members ENABLE ROW LEVEL SECURITY;
CREATE POLICY members_mine ON members FOR SELECT TO app_user USING (team_id IN (SELECT my_teams()));
GRANT SELECT ON members TO app_user;
CREATE TABLE odd (id int PRIMARY KEY, a int NOT NULL CHECK (a < 0 AND a > 0));
ALTER TABLE odd ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON odd TO app_user;
`,
  };

  test('err: by default each empty RLS table gets a row first: the recursion shows (exit 1); a refused row is listed', () => {
    const r = run(files, []);
    assert.equal(r.code, 1, r.stderr + r.stdout);
    assert.match(r.stdout, /seeded: 1 empty RLS table got one row \(as the superuser, foreign keys and triggers off\)/);
    assert.match(r.stdout, /public\.odd left empty: 23514 new row for relation "odd" violates check constraint/);
    assert.match(r.stdout, /app_user SELECT public\.members → 54001 stack depth limit exceeded/);
    // the lint's finding on that policy, shown by the probe; not odd's rls-enabled-without-policy:
    // its read of 0 rows proves nothing, the table being empty
    assert.match(r.stdout, /app_user SELECT public\.odd → 0 rows/);
    assert.match(r.stdout, /lint findings the engine showed \(2 of the 3 findings of rules it can show\):\n {2}1\.sql:2:\d+ {2}rls-not-forced {2}\(rls_owner \(neither superuser nor BYPASSRLS\) owning public\.members, SELECT → 1 row; with FORCE ROW LEVEL SECURITY: 0 rows\)\n {2}1\.sql:6:\d+ {2}policy-recursion {2}\(app_user SELECT public\.members → 54001\)/);
    // (odd's owner reads nothing either way: its row was refused; and members' plan calls
    // my_teams() in a sub-plan, not per row)
    assert.match(r.stdout, /\(and 2 looks that showed nothing: the role got no more than after the fix/);
  });

  test('ok: --no-seed probes the tables as the migrations leave them (empty: no recursion, exit 0); JSON has no seeded list, and shows no finding', () => {
    const r = run(files, ['--no-seed', '--format', 'json']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const out = JSON.parse(r.stdout);
    assert.equal(out.seeded, undefined);
    assert.deepEqual(out.shown, []);
    assert.deepEqual(
      out.probes.map((p: { table: string; outcome: string; rows?: number }) => `${p.table} ${p.outcome} ${p.rows}`),
      ['public.members ok 0', 'public.odd ok 0'],
    );
  });
});

describe('verify: why statements failed', () => {
  // a history that lacks what makes tenants (an ORM's push, a baseline kept elsewhere): its first
  // user fails, and every statement using what that one would have made fails after it
  const files = {
    '1_orders.sql': [
      'CREATE TABLE orders (id int PRIMARY KEY, tenant_id int REFERENCES tenants (id));',
      'ALTER TABLE orders ENABLE ROW LEVEL SECURITY;',
      'CREATE POLICY orders_all ON orders USING (true);',
      'CREATE TABLE items (id int, order_id int REFERENCES orders (id));',
      'CREATE INDEX ON items (order_id);',
      '',
    ].join('\n'),
    '2_later.sql': [
      'ALTER TABLE IF EXISTS items RENAME TO line_items;',
      'ALTER TABLE line_items ENABLE ROW LEVEL SECURITY;',
      'GRANT SELECT ON audit TO PUBLIC;',
      'CREATE TABLE audit (id int);',
      // (the same missing table, unqualified and as public.ghosts: one line of the text report)
      'GRANT SELECT ON ghosts TO PUBLIC;',
      'GRANT SELECT ON public.ghosts TO PUBLIC;',
      '',
    ].join('\n'),
  };

  test('err: JSON gives each error its cause: made nowhere, following an earlier failure (through a rename that ran without its table), made later', () => {
    const r = run(files, ['--no-seed', '--format', 'json']);
    assert.equal(r.code, 1, r.stderr + r.stdout);
    const out = JSON.parse(r.stdout);
    const by = (e: { path: string; line: number; code: string; cause?: { kind: string; missing: { name: string }; follows?: { path: string; line: number }; madeAt?: { path: string; line: number } } }) =>
      `${e.path}:${e.line} ${e.code} ${e.cause ? `${e.cause.kind} ${e.cause.missing.name}${e.cause.follows ? ` ${e.cause.follows.path}:${e.cause.follows.line}` : ''}${e.cause.madeAt ? ` ${e.cause.madeAt.path}:${e.cause.madeAt.line}` : ''}` : '-'}`;
    assert.deepEqual(out.statementErrors.map(by), [
      '1_orders.sql:1 42P01 never tenants',
      '1_orders.sql:2 42P01 follows orders 1_orders.sql:1',
      '1_orders.sql:3 42P01 follows orders 1_orders.sql:1',
      '1_orders.sql:4 42P01 follows orders 1_orders.sql:1',
      '1_orders.sql:5 42P01 follows items 1_orders.sql:4',
      '2_later.sql:2 42P01 follows line_items 1_orders.sql:4',
      '2_later.sql:3 42P01 later audit 2_later.sql:4',
      '2_later.sql:5 42P01 never ghosts',
      '2_later.sql:6 42P01 never public.ghosts',
    ]);
  });

  test('err: the text report counts the errors that follow and lists each name no statement makes once', () => {
    const r = run(files, ['--no-seed']);
    assert.equal(r.code, 1, r.stderr + r.stdout);
    assert.match(r.stdout, /statement errors: 9, of which 5 follow from an earlier failure/);
    assert.match(r.stdout, /\n {2}relation public\.ghosts: 2 statements fail on it \(the first at 2_later\.sql:5:1\)\n/);
    assert.doesNotMatch(r.stdout, /relation ghosts/);
    assert.match(r.stdout, /no statement of these files makes[^\n]*\n {2}relation tenants: 1 statement fails on it \(the first at 1_orders\.sql:1:\d+\), and 5 later errors follow from it\n/);
    assert.match(r.stdout, /the other failures:\n {2}2_later\.sql:3:\d+ {2}42P01 relation "audit" does not exist {2}\(relation audit is made later, at 2_later\.sql:4:1\)\n/);
    // (a following error is not listed on its own)
    assert.doesNotMatch(r.stdout, /1_orders\.sql:2:\d+ {2}42P01/);
  });
});

describe('verify: probes failing with one recursion', () => {
  test('err: one recursing policy fails the probes of every table whose policies read its table: the first few are listed, the others counted with their tables', () => {
    const tables = ['a', 'b', 'c', 'd', 'e'];
    const sql = [
      'CREATE ROLE app_user;',
      'CREATE TABLE members (id int PRIMARY KEY, user_name text NOT NULL);',
      'ALTER TABLE members ENABLE ROW LEVEL SECURITY;',
      'CREATE POLICY members_self ON members FOR SELECT TO app_user USING (EXISTS (SELECT 1 FROM members m WHERE m.user_name = current_user));',
      'GRANT SELECT ON members TO app_user;',
      ...tables.flatMap((t) => [
        `CREATE TABLE t_${t} (id int PRIMARY KEY);`,
        `ALTER TABLE t_${t} ENABLE ROW LEVEL SECURITY;`,
        `CREATE POLICY t_${t}_members ON t_${t} FOR SELECT TO app_user USING (EXISTS (SELECT 1 FROM members WHERE user_name = current_user));`,
        `GRANT SELECT ON t_${t} TO app_user;`,
      ]),
      '',
    ].join('\n');
    const r = run({ '1.sql': sql }, ['--no-seed']);
    assert.equal(r.code, 1, r.stderr + r.stdout);
    const same = r.stdout.split('\n').filter((l) => /^ {2}app_user SELECT .* → 42P17 infinite recursion detected in policy for relation "members"$/.test(l));
    assert.equal(same.length, 4, r.stdout);
    assert.match(r.stdout, /\n {2}\(and 2 more probes failing with the same 42P17 infinite recursion detected in policy for relation "members", of public\.t_d, public\.t_e; --format json lists each\)\n/);
    assert.match(r.stdout, /0 statement errors, 6 failing probes \(recursion\)/);
    // (JSON lists each)
    const json = JSON.parse(run({ '1.sql': sql }, ['--no-seed', '--format', 'json']).stdout);
    assert.equal(json.probes.filter((p: { code?: string }) => p.code === '42P17').length, 6);
  });
});

describe('verify: files the lint does not replay either', () => {
  test('ok: a SQLite migration beside the PostgreSQL ones (not-postgresql) and a pg_dump of what the migrations made (it would fail with 42P06/42P07) are not run; the report names them', () => {
    const files = {
      '1_notes.sql': 'CREATE SCHEMA app;\nCREATE TABLE app.notes (id bigint PRIMARY KEY);\nALTER TABLE app.notes ENABLE ROW LEVEL SECURITY;\n',
      '2_local.sql': '-- the desktop app\'s SQLite cache\nCREATE TABLE cache (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT);\nCREATE TABLE kv (k TEXT, v TEXT);\n',
      'schema.sql': '--\n-- PostgreSQL database dump\n--\n\nCREATE SCHEMA app;\nCREATE TABLE app.notes (id bigint NOT NULL);\nALTER TABLE app.notes ENABLE ROW LEVEL SECURITY;\n',
    };
    const r = run(files, ['--no-seed']);
    assert.match(
      r.stdout,
      /^verified on PostgreSQL [^\n]*: 1 file\nleft out: 1 file written for another database \(not-postgresql\): 2_local\.sql \(SQLite\)\nleft out: 1 schema snapshot \(a pg_dump or extension script re-creating what the migrations before it make; not a migration, the lint does not replay it either\): schema\.sql\n/,
    );
    assert.doesNotMatch(r.stdout, /statement errors|42P07/);
    const json = JSON.parse(run(files, ['--no-seed', '--format', 'json']).stdout);
    assert.deepEqual(json.leftOut, [
      { path: '2_local.sql', dialect: 'SQLite' },
      { path: 'schema.sql', snapshot: true },
    ]);
    assert.deepEqual(json.statementErrors, []);
  });
});

describe('verify: a rollback beside its migration', () => {
  test("ok: a hand-rolled runner's x_down.sql beside its x_up.sql (it sorts first) is not run: no 42P01 from its DROP; the report names it", () => {
    const files = {
      '20260208_norm_up.sql': 'CREATE TABLE lines (id int PRIMARY KEY, norm text);\nALTER TABLE lines ENABLE ROW LEVEL SECURITY;\n',
      '20260208_norm_down.sql': 'DROP TABLE lines;\n',
    };
    const r = run(files, ['--no-seed']);
    assert.match(r.stdout, /^verified on PostgreSQL [^\n]*: 1 file\nleft out: 1 rollback file \(`…_down\.sql` beside its `…_up\.sql`: migrating up never runs it\): 20260208_norm_down\.sql\n/);
    assert.doesNotMatch(r.stdout, /42P01/);
    assert.deepEqual(JSON.parse(run(files, ['--no-seed', '--format', 'json']).stdout).leftOut, [{ path: '20260208_norm_down.sql', rollback: true }]);
  });
  test("ok: a change's revert.sql and verify.sql beside its deploy.sql (kljensen/yelukerest's Zapadka migrations) are not run: the revert's DROP does not take the table; the report names them as such", () => {
    const files = {
      'migrations/01-notes/deploy.sql': 'CREATE TABLE notes (id int PRIMARY KEY);\nALTER TABLE notes ENABLE ROW LEVEL SECURITY;\n',
      'migrations/01-notes/revert.sql': 'DROP TABLE notes;\n',
      'migrations/01-notes/verify.sql': 'SELECT 1 / (SELECT count(*) FROM pg_class WHERE relname = \'notes\')::int;\n',
    };
    const r = run(files, ['--no-seed']);
    assert.match(r.stdout, /^verified on PostgreSQL [^\n]*: 1 file\nleft out: 2 rollback files \(a change's `revert\.sql` or `verify\.sql` beside its `deploy\.sql`: migrating up never runs them\): migrations\/01-notes\/revert\.sql, migrations\/01-notes\/verify\.sql\n/);
    assert.match(r.stdout, /public\.notes/);
  });
});

describe('verify: sqitch verify/ templates of one name in two folders', () => {
  // (nullachtvierzehn/community-management-software: verify/space-items/policies/select-own.sql and
  // verify/space-submissions/policies/select-own.sql, … each sqitch add's `BEGIN; ROLLBACK;`, were listed as
  // "copies of another file" instead of with the other verify scripts)
  test('ok: they are left out as scripts that only verify, not as copies of one another', () => {
    const verify = 'BEGIN;\n-- XXX Add verifications here.\nROLLBACK;\n';
    const files: Record<string, string> = {
      'schema/sqitch.plan': '%syntax-version=1.0.0\n%project=cms\n\ntables 2024-03-04T09:25:56Z A <a@example.com> # tables\n',
      'schema/deploy/tables.sql': 'BEGIN;\nCREATE TABLE space_items (id int PRIMARY KEY);\nCREATE TABLE space_submissions (id int PRIMARY KEY);\nCOMMIT;\n',
    };
    for (const t of ['space-items', 'space-submissions']) for (const p of ['select-own', 'select-approved']) files[`schema/verify/${t}/policies/${p}.sql`] = verify;
    const r = run(files, ['--no-seed']);
    assert.doesNotMatch(r.stdout, /cop(?:y|ies) of another file/);
    assert.match(r.stdout, /\nleft out: 4 files that only roll back \([^\n]*sqitch revert\/ and verify\/[^\n]*\): schema\/verify\//);
    const json = JSON.parse(run(files, ['--no-seed', '--format', 'json']).stdout);
    assert.deepEqual(json.leftOut.filter((x: { copy?: true }) => x.copy), []);
    assert.deepEqual(json.statementErrors, []);
  });
});

describe('verify: files the Supabase CLI does not apply', () => {
  // (cal184, rjsanjaymandal/lovabel-money-flow: Lovable's src/integrations/supabase/uno_schema.sql was run before the
  // migrations, whose CREATE TABLE uno_rooms then failed with 42P07; the note said root scripts were "under supabase/")
  test("ok: a script in a folder merely named supabase (src/integrations/supabase/) and one at the root are not run, and the note says they are outside supabase/", () => {
    const table = 'CREATE TABLE public.uno_rooms (id uuid PRIMARY KEY, code text NOT NULL);\nALTER TABLE public.uno_rooms ENABLE ROW LEVEL SECURITY;\n';
    const files: Record<string, string> = {
      'supabase/migrations/20251206174156_uno.sql': table,
      'src/integrations/supabase/uno_schema.sql': table,
      'create_budgets_table.sql': 'CREATE TABLE public.budgets (id uuid PRIMARY KEY);\n',
    };
    const r = run(files, ['--no-seed']);
    assert.match(r.stdout, /^not run: 2 files that the Supabase CLI does not apply \(scripts outside supabase\/ and any migrations folder\) \(create_budgets_table\.sql, src\/integrations\/supabase\/uno_schema\.sql\)\nverified on PostgreSQL [^\n]*: 1 file\n/, r.stdout);
    assert.doesNotMatch(r.stdout, /42P07/);
  });
});

describe('verify: anonymous sessions', () => {
  test("ok: with anonymousSignIns on (.pg-rls-lint.json), a SELECT policy for every signed-in user is read as an anonymous session: the seeded row, then none with the fix, and the finding of policy-admits-anonymous-users is shown; with it off, no such look", () => {
    const migration = {
      '1_notes.sql':
        'CREATE TABLE public.notes (id bigint PRIMARY KEY, body text);\nALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;\nGRANT SELECT ON public.notes TO authenticated;\n' +
        'CREATE POLICY notes_read ON public.notes FOR SELECT TO authenticated USING ((select auth.uid()) IS NOT NULL);\n',
    };
    const on = JSON.parse(run({ ...migration, '.pg-rls-lint.json': '{ "anonymousSignIns": "true" }' }, ['--format', 'json']).stdout);
    const look = on.exposures.find((e: { kind: string }) => e.kind === 'anonymous');
    assert.deepEqual({ object: look?.object, rows: look?.rows, fixedRows: look?.fixedRows, shown: look?.shown }, { object: 'public.notes', rows: 1, fixedRows: 0, shown: true });
    assert.ok(on.shown.some((c: { rule: string }) => c.rule === 'policy-admits-anonymous-users'), JSON.stringify(on.shown));
    const off = JSON.parse(run(migration, ['--format', 'json']).stdout);
    assert.equal((off.exposures ?? []).filter((e: { kind: string }) => e.kind === 'anonymous').length, 0);
  });
});

describe('verify: Flyway placeholders', () => {
  test("ok: a role written `${APP_USER}` (run as __app_user_, Flyway's placeholder filled in as the lint reads it) is shown as written, in the text and in JSON", () => {
    const files = {
      'V1__init.sql': [
        'CREATE ROLE ${APP_USER};',
        'CREATE TABLE t (id int);',
        'GRANT SELECT ON t TO ${APP_USER};',
        'ALTER TABLE t ENABLE ROW LEVEL SECURITY;',
        'CREATE POLICY p ON t FOR SELECT TO ${APP_USER} USING (true);',
        '',
      ].join('\n'),
    };
    const text = run(files, ['--timeout', '60']);
    assert.equal(text.code, 0, text.stderr + text.stdout);
    assert.match(text.stdout, /\$\{APP_USER\} SELECT public\.t/, text.stdout);
    assert.doesNotMatch(text.stdout, /__app_user_/i, text.stdout);
    const json = run(files, ['--timeout', '60', '--format', 'json']);
    const out = JSON.parse(json.stdout);
    assert.deepEqual(out.probes.map((p: { role: string; table: string }) => `${p.role} ${p.table}`), ['${APP_USER} public.t'], json.stdout);
    assert.doesNotMatch(json.stdout, /__app_user_/i);
  });
});

describe('verify: files the lint does not replay are not counted as verified', () => {
  test("ok: a pgTAP test in supabase/tests/ and a file in a folder inside supabase/migrations/ are left out, named with why, and not counted", () => {
    const files = {
      'supabase/migrations/20240101000000_notes.sql': 'CREATE TABLE public.notes (id bigint PRIMARY KEY, body text);\nALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;\n',
      'supabase/migrations/old/20230101000000_gone.sql': 'DROP TABLE public.notes;\n',
      'supabase/tests/notes_test.sql': "BEGIN;\nSELECT plan(1);\nSELECT has_table('public', 'notes', 'notes exists');\nSELECT * FROM finish();\nROLLBACK;\n",
    };
    const r = run(files, ['--no-seed']);
    assert.match(r.stdout, /^verified on PostgreSQL [^\n]*: 1 file\n/, r.stdout);
    assert.match(r.stdout, /\nleft out: 1 file in a folder inside supabase\/migrations\/ [^\n]*\(the lint does not replay it either\): supabase\/migrations\/old\/20230101000000_gone\.sql\n/, r.stdout);
    assert.match(r.stdout, /\nleft out: 1 file of pgTAP tests in supabase\/tests\/[^\n]*: supabase\/tests\/notes_test\.sql\n/, r.stdout);
    assert.doesNotMatch(r.stdout, /42P01|42883/);
    const json = JSON.parse(run(files, ['--no-seed', '--format', 'json']).stdout);
    assert.deepEqual(
      json.leftOut.map((x: { path: string }) => x.path),
      ['supabase/migrations/old/20230101000000_gone.sql', 'supabase/tests/notes_test.sql'],
    );
  });
});
