// Which files make up which database (analysis/databases.ts): found from folders that each start
// a numbered migration sequence, joined again where one folder's files name another's tables, or
// named by the config's globs. The engine replays each into a model of its own.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { databasesOf, describeDatabases, orderRanks, relationRefs } from '../../server/src/analysis/databases.js';
import { migrationOrder } from '../../server/src/analysis/model.js';
import { mergeConfig, parseConfigText } from '../../server/src/analysis/config.js';
import { initParser, parseFile } from '../../server/src/analysis/parse.js';
import { lintTexts, Workspace } from '../../server/src/engine/workspace.js';
import { closeAll, getDb, inRollback, tryQuery } from '../helpers/pg.js';
import { AUTH_STUB_SQL } from '../helpers/supabase.js';

before(async () => {
  await initParser();
});
after(closeAll);

const ident = (id: string) => id;
const groups = (paths: string[], setting?: Parameters<typeof databasesOf>[2], texts: Record<string, string> = {}) =>
  databasesOf(paths, ident, setting, (id) => relationRefs(parseFile(id, texts[id] ?? ''))).map((d) => `${d.kind}:${d.name}=${d.files.join(',')}`);

test('ok: one folder, timestamps, or no numbered files: one database', () => {
  assert.deepEqual(groups(['migrations/001_a.sql', 'migrations/002_b.sql', 'seed.sql']), ['one:=migrations/001_a.sql,migrations/002_b.sql,seed.sql']);
  assert.deepEqual(groups(['a/migrations/20240101000000_x.sql', 'b/migrations/20240101000000_y.sql']), ['one:=a/migrations/20240101000000_x.sql,b/migrations/20240101000000_y.sql']);
  assert.deepEqual(groups(['a/schema.sql', 'b/schema.sql']), ['one:=a/schema.sql,b/schema.sql']);
  // graphile-migrate: current/ continues committed/
  assert.equal(groups(['db/migrations/committed/000001.sql', 'db/migrations/current/1-current.sql', 'db/afterReset.sql']).length, 1);
  // a sequence starting at 10 is no start; nor is a rollback file
  assert.deepEqual(groups(['a/10_x.sql', 'b/1_x.down.sql', 'b/2_x.sql']).length, 1);
});

test('ok: two folders that each start a sequence are two databases; a seed joins the nearer one', () => {
  const paths = [
    'internal/user/res/migrations/000001_init_db.up.sql',
    'internal/user/res/migrations/000001_init_db.down.sql',
    'internal/user/res/migrations/000002_add.up.sql',
    'internal/admin/res/migrations/000001_init_db.up.sql',
    'internal/admin/res/fixtures/seed.sql',
    'scripts/reset.sql',
  ];
  assert.deepEqual(groups(paths), [
    'sequence:internal/admin/res/migrations=internal/admin/res/migrations/000001_init_db.up.sql,internal/admin/res/fixtures/seed.sql',
    'sequence:internal/user/res/migrations=internal/user/res/migrations/000001_init_db.up.sql,internal/user/res/migrations/000001_init_db.down.sql,internal/user/res/migrations/000002_add.up.sql',
    'rest:other files=scripts/reset.sql',
  ]);
  // Flyway and drizzle names start sequences too
  assert.equal(groups(['app/db/migration/V1__init.sql', 'test/db/migration/V1__init.sql']).length, 2);
  assert.equal(groups(['a/drizzle/0000_cool.sql', 'b/drizzle/0000_warm.sql']).length, 2);
});

test("ok: a Supabase project's supabase/migrations/ is a history of its own, timestamps and all: beside another sequence it is a database apart (its seed and tests with it)", () => {
  const paths = [
    'apps/hive/db/001_schema.sql',
    'apps/database/supabase/migrations/20230202082703_remote_commit.sql',
    'apps/database/supabase/migrations/20240101000000_more.sql',
    'apps/database/supabase/seed.sql',
    'apps/database/supabase/tests/rls_test.sql',
  ];
  assert.deepEqual(groups(paths), [
    'sequence:apps/database/supabase=apps/database/supabase/migrations/20230202082703_remote_commit.sql,apps/database/supabase/migrations/20240101000000_more.sql,apps/database/supabase/seed.sql,apps/database/supabase/tests/rls_test.sql',
    'sequence:apps/hive/db=apps/hive/db/001_schema.sql',
  ]);
  // alone, or two Supabase projects (each its own history)
  assert.equal(groups(['supabase/migrations/20240101000000_a.sql', 'supabase/seed.sql']).length, 1);
  assert.equal(groups(['a/supabase/migrations/20240101000000_x.sql', 'b/supabase/migrations/20240101000000_y.sql']).length, 2);
  // two Supabase projects stay apart even when one names a table only the other makes (coreframe's legacy and target projects)
  const two = groups(['legacy/supabase/migrations/20250101000000_x.sql', 'target/supabase/migrations/20260101000000_y.sql'], 'auto', {
    'legacy/supabase/migrations/20250101000000_x.sql': 'ALTER TABLE organization_members ENABLE ROW LEVEL SECURITY;',
    'target/supabase/migrations/20260101000000_y.sql': 'CREATE TABLE organization_members (id uuid);',
  });
  assert.equal(two.length, 2);
  // its declarative schemas (numbered or not) are the same database
  assert.deepEqual(groups(['apps/web/supabase/migrations/20240101000000_a.sql', 'apps/web/supabase/schemas/01-tables.sql', 'apps/web/supabase/seed.sql']).length, 1);
  assert.deepEqual(groups(['apps/web/supabase/migrations/20240101000000_a.sql', 'apps/web/supabase/schemas/01-tables.sql', 'apps/hive/db/001_x.sql']), [
    'sequence:apps/hive/db=apps/hive/db/001_x.sql',
    'sequence:apps/web/supabase=apps/web/supabase/migrations/20240101000000_a.sql,apps/web/supabase/schemas/01-tables.sql',
  ]);
});

// Calibration (Projective, wetraineducattiontech): SQL kept under supabase/ beside the migrations —
// drafts in policies/ and tables/, a _backup/ copy, Studio's snippets/ — was replayed with them,
// though `supabase db reset` runs only migrations/ (then the seeds): findings about statements that
// never run, and a draft's REVOKE turned a true migration into a trigger-write-denied error.
test("ok: a Supabase project's files its CLI never applies (policies/, tables/, _backup/, snippets/, scripts beside the migrations) are parsed, not replayed (checked for syntax only); migrations, schemas, seeds, roles.sql and tests stay", async () => {
  const paths = [
    'supabase/_backup/0002_users.sql',
    'supabase/migrations/20240101000000_init.sql',
    'supabase/policies/permissions.sql',
    'supabase/roles.sql',
    'supabase/schemas/01_tables.sql',
    'supabase/seed.sql',
    'supabase/seeds/02_demo.sql',
    'supabase/snippets/Untitled query 1.sql',
    'supabase/tests/rls_test.sql',
  ];
  assert.deepEqual(groups(paths), [
    'one:=supabase/migrations/20240101000000_init.sql,supabase/roles.sql,supabase/schemas/01_tables.sql,supabase/seed.sql,supabase/seeds/02_demo.sql,supabase/tests/rls_test.sql',
    'unapplied:files the Supabase CLI does not apply=supabase/_backup/0002_users.sql,supabase/policies/permissions.sql,supabase/snippets/Untitled query 1.sql',
  ]);
  // (fashionistas100: scripts at the root and in other folders, run by hand in the SQL editor if ever,
  // were replayed before every migration; another tool's history beside it — a migrations folder,
  // a numbered sequence — stays a database)
  assert.deepEqual(
    groups([
      'supabase/migrations/20240101000000_init.sql',
      'create-missing-tables.sql',
      'docs/plan/004-database-schema.sql',
      'prisma/migrations/20240101000000_init/migration.sql',
      'db/migrate/20240101_users.sql',
    ]),
    [
      'one:=supabase/migrations/20240101000000_init.sql,prisma/migrations/20240101000000_init/migration.sql,db/migrate/20240101_users.sql',
      'unapplied:files the Supabase CLI does not apply=create-missing-tables.sql,docs/plan/004-database-schema.sql',
    ],
  );
  // (shodbyed/supabase-learning-hub: a database/migrations/ of scripts named by what they do, none
  // with a version, is no tool's history — replayed first, its disable_all_rls_for_development.sql
  // was "the last word" on tables the CLI's baseline creates; a versioned folder beside it stays)
  assert.deepEqual(
    groups([
      'supabase/migrations/20251130010824_baseline.sql',
      'database/migrations/add_preferences_table.sql',
      'database/migrations/disable_all_rls_for_development.sql',
      'prisma/migrations/20240101000000_init/migration.sql',
      'db/migrations/current.sql',
    ]),
    [
      'one:=supabase/migrations/20251130010824_baseline.sql,prisma/migrations/20240101000000_init/migration.sql,db/migrations/current.sql',
      'unapplied:files the Supabase CLI does not apply=database/migrations/add_preferences_table.sql,database/migrations/disable_all_rls_for_development.sql',
    ],
  );
  assert.deepEqual(groups(['supabase/migrations/20240101000000_init.sql', 'scripts/fix.sql', 'api/001_init.sql', 'api/002_users.sql']), [
    'sequence:api=api/001_init.sql,api/002_users.sql',
    'sequence:supabase=supabase/migrations/20240101000000_init.sql',
    'unapplied:files the Supabase CLI does not apply=scripts/fix.sql',
  ]);
  // without a migrations folder there is no CLI history: every file is the database, as before
  assert.deepEqual(groups(['supabase/schema.sql', 'supabase/policies.sql']), ['one:=supabase/schema.sql,supabase/policies.sql']);
  // the config's "databases" decides when given
  assert.equal(groups(paths, 'one').length, 1);
  const ws = new Workspace();
  ws.setApiSchemas([{ folder: 'supabase/', source: 'supabase/config.toml', schemas: ['public', 'search'] }]);
  ws.setFile(
    'supabase/migrations/20240101000000_init.sql',
    `create schema search;
create table public.teams (id uuid primary key, name text);
alter table public.teams enable row level security;
create policy teams_all on public.teams for all to authenticated using (true) with check (true);
create table search.teams_index (team_id uuid primary key);
create function search.sync_team() returns trigger language plpgsql as $$ begin insert into search.teams_index (team_id) values (new.id) on conflict do nothing; return new; end $$;
create trigger trg_sync after insert on public.teams for each row execute function search.sync_team();
grant usage on schema search to anon, authenticated;
grant all on all tables in schema search to anon, authenticated;
`,
  );
  ws.setFile('supabase/policies/permissions.sql', 'revoke usage on schema search from anon, authenticated;\nrevoke all on all tables in schema search from anon, authenticated;\nselect from;;\ncreate table public.drafts (id int);\n');
  const result = ws.lint();
  const rules = (f: string) => (result.byFile.get(f) ?? []).map((x) => x.rule);
  // the draft's REVOKE is not replayed: the trigger's write is granted
  assert.ok(!rules('supabase/migrations/20240101000000_init.sql').includes('trigger-write-denied'));
  // the draft itself: its syntax error, and nothing about the table it would make
  assert.deepEqual(rules('supabase/policies/permissions.sql'), ['syntax-error']);
  assert.match(describeDatabases(ws.databases()), /^one database: the migrations \(1 file\); 1 file under supabase\/ that the Supabase CLI does not apply \(not migrations, listed schemas, seeds or tests\): checked for syntax only, not replayed$/);
  // a draft moved into migrations/ is replayed (parsed again, its mark dropped)
  ws.removeFile('supabase/policies/permissions.sql');
  ws.setFile('supabase/migrations/20240102000000_revoke.sql', 'revoke usage on schema search from anon, authenticated;\nrevoke all on all tables in schema search from anon, authenticated;\n');
  assert.ok(ws.lint().byFile.get('supabase/migrations/20240101000000_init.sql')!.some((x) => x.rule === 'trigger-write-denied'));
});

// Calibration (cal184, rjsanjaymandal/lovabel-money-flow): Lovable keeps the app's Supabase client in
// src/integrations/supabase/ (client.ts, types.ts), and the project kept a hand-run uno_schema.sql there. That
// folder is no Supabase project (no migrations/): the CLI never reads it, yet being named supabase it was neither
// a script beside the project nor a project's stray file, and it was replayed first, before every migration —
// verify then said the migration making uno_rooms fails with 42P07, which `supabase db reset` never does.
test("ok: a folder merely named supabase (Lovable's src/integrations/supabase/) beside a Supabase project is judged as a script outside it: not replayed; a project's schemas/ and seeds stay", async () => {
  assert.deepEqual(
    groups([
      'create_budgets_table.sql',
      'src/integrations/supabase/uno_schema.sql',
      'supabase/migrations/20251206174156_uno.sql',
    ]),
    [
      'one:=supabase/migrations/20251206174156_uno.sql',
      'unapplied:files the Supabase CLI does not apply=create_budgets_table.sql,src/integrations/supabase/uno_schema.sql',
    ],
  );
  // (another project's declarative schema and seeds, in a supabase/ folder without migrations/, stay as before: a database of their own)
  assert.deepEqual(groups(['apps/api/supabase/migrations/20240101000000_init.sql', 'apps/web/supabase/schemas/01_tables.sql', 'apps/web/supabase/seed.sql']), [
    'sequence:apps/api/supabase=apps/api/supabase/migrations/20240101000000_init.sql',
    'sequence:apps/web/supabase=apps/web/supabase/schemas/01_tables.sql,apps/web/supabase/seed.sql',
  ]);
  const ws = new Workspace();
  const script = `create table public.uno_rooms (id uuid primary key, code text not null);
alter table public.uno_rooms enable row level security;
create policy "Enable all access for authenticated users" on public.uno_rooms for all to authenticated using ((select auth.uid()) is not null);
`;
  const migration = `create table public.uno_rooms (id uuid primary key, code text not null);
alter table public.uno_rooms enable row level security;
create policy "Enable all access for authenticated users" on public.uno_rooms for all to authenticated using ((select auth.uid()) is not null);
`;
  ws.setFile('create_budgets_table.sql', 'create table public.budgets (id uuid primary key);\n');
  ws.setFile('src/integrations/supabase/uno_schema.sql', script);
  ws.setFile('supabase/migrations/20251206174156_uno.sql', migration);
  assert.equal(
    describeDatabases(ws.databases()),
    'one database: the migrations (1 file); 2 files that the Supabase CLI does not apply (scripts outside supabase/ and any migrations folder): checked for syntax only, not replayed',
  );
  // PostgreSQL: replayed first, the script makes the migration's CREATE TABLE fail (what verify reported); the migration alone runs
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    assert.equal((await tryQuery(q, script)).ok, true);
    const r = await tryQuery(q, migration);
    assert.equal(r.ok ? '' : r.error.code, '42P07');
  });
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    assert.equal((await tryQuery(q, migration)).ok, true);
  });
});

test('ok: a sequence folder inside another, or at the root: no certain split, one database', () => {
  assert.equal(groups(['db/001_a.sql', 'db/tests/001_t.sql']).length, 1);
  assert.equal(groups(['001_a.sql', 'other/001_b.sql']).length, 1);
});

test('ok: folders whose files name each other\'s tables are one database (per-folder numbering of one schema)', () => {
  const texts = {
    'db/tables/01_users.sql': 'CREATE TABLE users (id int primary key);',
    'db/policies/01_users.sql': 'ALTER TABLE users ENABLE ROW LEVEL SECURITY; CREATE POLICY p ON users USING (true);',
    'svc/migrations/1_init.sql': 'CREATE TABLE jobs (id int);',
  };
  assert.deepEqual(groups(Object.keys(texts), 'auto', texts), [
    'sequence:db/policies + db/tables=db/policies/01_users.sql,db/tables/01_users.sql',
    'sequence:svc/migrations=svc/migrations/1_init.sql',
  ]);
  // a name made by RENAME is made by its folder (flowglad: "Users" renamed users, beside a demo app's own users)
  const renamed = {
    'db/migrations/0000_init.sql': 'CREATE TABLE "Users" (id int);',
    'db/migrations/0001_lower.sql': 'ALTER TABLE "Users" RENAME TO users;\nALTER TABLE users ENABLE ROW LEVEL SECURITY;',
    'playground/drizzle/0000_demo.sql': 'CREATE TABLE users (id int);',
  };
  assert.equal(groups(Object.keys(renamed), 'auto', renamed).length, 2);
  // a table both create does not join them (each has its own)
  const twice = { 'a/migrations/1_init.sql': 'CREATE TABLE users (id int); ALTER TABLE users ADD c int;', 'b/migrations/1_init.sql': 'CREATE TABLE users (id int);' };
  assert.equal(groups(Object.keys(twice), 'auto', twice).length, 2);
});

test('ok: a file as near to two folders that are joined into one database joins it (sqlc\'s schema.sql beside db/migrations/app and db/migrations/billing); near two databases, it stays in the rest', () => {
  const texts = {
    'db/migrations/app/0001_init.sql': 'CREATE ROLE web NOLOGIN; CREATE SCHEMA app; CREATE TABLE app.orgs (id int primary key);',
    'db/migrations/billing/0001_billing.sql': 'CREATE TABLE subs (org int REFERENCES app.orgs (id)); GRANT SELECT ON subs TO web;',
    'db/sqlc/schema.sql': 'CREATE SCHEMA app; CREATE TABLE app.orgs (id int primary key);',
  };
  assert.deepEqual(groups(Object.keys(texts), 'auto', texts), ['one:=db/migrations/app/0001_init.sql,db/migrations/billing/0001_billing.sql,db/sqlc/schema.sql']);
  const apart = { ...texts, 'db/migrations/billing/0001_billing.sql': 'CREATE TABLE subs (org int);' };
  assert.deepEqual(groups(Object.keys(apart), 'auto', apart), [
    'sequence:db/migrations/app=db/migrations/app/0001_init.sql',
    'sequence:db/migrations/billing=db/migrations/billing/0001_billing.sql',
    'rest:other files=db/sqlc/schema.sql',
  ]);
  // (as near to a third folder, a database of its own, it is in doubt again: it stays in the rest)
  const three = { ...texts, 'db/migrations/audit/0001_audit.sql': 'CREATE TABLE audit_log (id int);' };
  assert.deepEqual(groups(Object.keys(three), 'auto', three), [
    'sequence:db/migrations/app + db/migrations/billing=db/migrations/app/0001_init.sql,db/migrations/billing/0001_billing.sql',
    'sequence:db/migrations/audit=db/migrations/audit/0001_audit.sql',
    'rest:other files=db/sqlc/schema.sql',
  ]);
});

test('ok: the config names the databases (first match wins); "one" keeps one', () => {
  const paths = ['db/registry/1627_a.sql', 'db/data/1632_b.sql', 'queries/get.sql'];
  assert.deepEqual(groups(paths, { registry: ['db/registry/**'], data: ['db/data/**', 'db/registry/**'] }), [
    'config:registry=db/registry/1627_a.sql',
    'config:data=db/data/1632_b.sql',
    'rest:other files=queries/get.sql',
  ]);
  assert.deepEqual(groups(['a/1_x.sql', 'b/1_y.sql'], 'one'), ['one:=a/1_x.sql,b/1_y.sql']);
  assert.match(describeDatabases(databasesOf(paths, ident, { registry: ['db/registry/**'] })), /^2 databases, each replayed on its own: registry \(1 file\), other files \(2 files\)$/);
});

test('ok: "databases" in .pg-rls-lint.json: validated, bad values give one clear problem', () => {
  assert.deepEqual(parseConfigText('{"databases": {"a": "x/**", "b": ["y/**"]}}').config.databases, { a: ['x/**'], b: ['y/**'] });
  assert.equal(parseConfigText('{"databases": "one"}').config.databases, 'one');
  for (const bad of ['"all"', '[]', '{}', '{"a": []}', '{"a": 3}', '{"": "x"}']) {
    const r = parseConfigText(`{"databases": ${bad}}`);
    assert.equal(r.config.databases, undefined, bad);
    assert.equal(r.problems.length, 1, bad);
    assert.match(r.problems[0]!.message, /"databases"/);
  }
});

test('ok: "order" in .pg-rls-lint.json: globs in the order the files run; each file ranked by the first glob it matches, the rest unranked; bad values give one clear problem', () => {
  assert.deepEqual(parseConfigText('{"order": ["sql/tables/**", "sql/policies/**"]}').config.order, ['sql/tables/**', 'sql/policies/**']);
  for (const bad of ['"sql/**"', '[3]', '[""]']) {
    const r = parseConfigText(`{"order": ${bad}}`);
    assert.equal(r.config.order, undefined, bad);
    assert.equal(r.problems.length, 1, bad);
    assert.match(r.problems[0]!.message, /"order"/);
  }
  const ranks = orderRanks(['sql/policies/a.sql', 'sql/tables/a.sql', 'sql/tables/sub/b.sql', 'sql/schema.sql', 'x:outside'], (id) => (id.startsWith('x:') ? undefined : id), ['sql/tables/**', 'sql/policies/**', 'sql/**']);
  assert.deepEqual([...ranks], [['sql/policies/a.sql', 1], ['sql/tables/a.sql', 0], ['sql/tables/sub/b.sql', 0], ['sql/schema.sql', 2]]);
  const files = ['sql/functions/f.sql', 'sql/policies/p.sql', 'sql/tables/t10.sql', 'sql/tables/t2.sql', 'sql/z.sql'].map((file) => ({ file }));
  const byRank = new Map([['sql/tables/t10.sql', 0], ['sql/tables/t2.sql', 0], ['sql/policies/p.sql', 1]]);
  assert.deepEqual(migrationOrder(files, undefined, byRank).map((f) => f.file), ['sql/tables/t2.sql', 'sql/tables/t10.sql', 'sql/policies/p.sql', 'sql/functions/f.sql', 'sql/z.sql']);
});

test('err → ok: each database is replayed on its own: a table of one never answers for another', async () => {
  const files = [
    // two services, each its own database, each with a users table: no table-already-exists
    { file: 'svc/a/migrations/000001_init.up.sql', text: 'CREATE TABLE users (id int);\nALTER TABLE users ENABLE ROW LEVEL SECURITY;\nALTER TABLE users FORCE ROW LEVEL SECURITY;\nCREATE POLICY own ON users TO PUBLIC USING (id = 1);\n' },
    // b's users never gets RLS: a's ALTER TABLE does not count for it
    { file: 'svc/b/migrations/000001_init.up.sql', text: 'CREATE TABLE users (id int, name text);\n' },
  ];
  const r = await lintTexts(files);
  const rules = (f: string) => (r.byFile.get(f) ?? []).map((x) => x.rule).sort();
  assert.equal(r.databases.length, 2);
  assert.deepEqual(rules(files[1]!.file), ['rls-not-enabled']);
  assert.ok(!rules(files[0]!.file).includes('table-already-exists'));
  assert.ok(!rules(files[1]!.file).includes('table-already-exists'));
  // as one database (config "one"): one model, one users table
  const one = await lintTexts(files, { ...r.workspace.getConfig(), databases: 'one' });
  assert.equal(one.databases.length, 1);
  // the model of a file is its database's
  const ws = r.workspace as Workspace;
  assert.ok(ws.model(files[1]!.file).tables.get('public.users')!.rlsEnabled === false);
  assert.ok(ws.model(files[0]!.file).tables.get('public.users')!.rlsEnabled === true);
});

test('ok: an edit that makes one folder name the other\'s table joins them (the partition follows the texts)', async () => {
  await initParser();
  const ws = new Workspace(undefined, undefined, { editing: true });
  ws.setFile('a/migrations/1_init.sql', 'CREATE TABLE orders (id int);\n');
  ws.setFile('b/migrations/1_init.sql', 'CREATE TABLE jobs (id int);\n');
  assert.equal(ws.lint().databases.length, 2);
  ws.setFile('b/migrations/1_init.sql', 'CREATE TABLE jobs (id int);\nALTER TABLE orders ENABLE ROW LEVEL SECURITY;\n');
  assert.equal(ws.lint().databases.length, 1);
  const orders = (ws.lint().byFile.get('a/migrations/1_init.sql') ?? []).map((f) => f.rule);
  assert.ok(!orders.includes('rls-not-enabled'), orders.join());
});

test('ok (review): layered folders joined by schemas, functions and roles; a name several others create joins nothing; a config with no files lints', async () => {
  const layered = {
    'db/roles/01_roles.sql': 'CREATE ROLE app_user;\nCREATE SCHEMA app;',
    'db/functions/01_helpers.sql': "CREATE FUNCTION app.tenant() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT nullif(current_setting('app.tenant', true), '')::uuid $$;",
    'db/tables/01_users.sql': 'CREATE TABLE app.users (id int, tenant uuid);\nALTER TABLE app.users ENABLE ROW LEVEL SECURITY;\nCREATE POLICY t ON app.users TO app_user USING (tenant = app.tenant());',
  };
  assert.equal(groups(Object.keys(layered), 'auto', layered).length, 1);
  const shared = {
    'services/a/migrations/001_init.sql': 'CREATE TABLE users (id int);',
    'services/b/migrations/001_init.sql': 'CREATE TABLE users (id int);',
    'scripts/cleanup.sql': 'DELETE FROM users;',
  };
  assert.deepEqual(groups(Object.keys(shared), 'auto', shared).map((g) => g.split('=')[0]), ['sequence:services/a/migrations', 'sequence:services/b/migrations', 'rest:other files']);
  const ws = new Workspace(mergeConfig({ databases: { a: ['a/**'] } }));
  assert.deepEqual([...ws.lint().byFile.keys()], []);
  assert.equal(ws.databases().length, 1);
});

test("a Supabase project whose supabase/migrations/ holds only folders: their files are its history, replayed in path order; once a file is right in the folder they are archives again (the workspace's edits move the mark both ways)", () => {
  const definer = 'CREATE FUNCTION f() RETURNS int LANGUAGE sql SECURITY DEFINER AS $$ SELECT 1 $$;\nREVOKE EXECUTE ON FUNCTION f() FROM PUBLIC;\n';
  const ws = new Workspace(undefined, undefined, { editing: true });
  ws.setFile('supabase/migrations/2025/20250101000000_fn.sql', definer);
  const rules = () => [...ws.lint().byFile.values()].flat().map((f) => `${f.file} ${f.rule}`);
  assert.ok(rules().includes('supabase/migrations/2025/20250101000000_fn.sql definer-search-path-missing'), rules().join('\n'));
  // a migration right in the folder: the CLI applies it, and the folder inside is an archive (not replayed)
  ws.setFile('supabase/migrations/20250201000000_t.sql', 'CREATE TABLE t (id int);\n');
  assert.ok(!rules().some((r) => r.startsWith('supabase/migrations/2025/')), rules().join('\n'));
  ws.removeFile('supabase/migrations/20250201000000_t.sql');
  assert.ok(rules().includes('supabase/migrations/2025/20250101000000_fn.sql definer-search-path-missing'), rules().join('\n'));
  // (a copy of the folder beside it stays an archive)
  const old = new Workspace();
  old.setFile('supabase/migrations_old/20250101000000_fn.sql', definer);
  assert.deepEqual(old.lint().byFile.get('supabase/migrations_old/20250101000000_fn.sql'), []);
});

test("ok: ihtnc/dooduel's db/ — one schema numbered across folders by kind (schemas/000, extensions/000, types/000, policies/000, then tables/1XX) — is one database: a table using a type only another folder makes, and folders making no table, join it", async () => {
  const texts = {
    'db/schemas/000-schema-app.sql': 'CREATE SCHEMA app;\nGRANT USAGE ON SCHEMA app TO anon, authenticated;',
    'db/extensions/000-extensions-trgm.sql': 'CREATE EXTENSION IF NOT EXISTS pg_trgm;',
    'db/types/000-type-status.sql': "CREATE TYPE status AS ENUM ('initial', 'ready');\nCREATE DOMAIN code AS varchar(8);",
    'db/policies/000-realtime-messages-policy.sql': 'ALTER TABLE realtime.messages ENABLE ROW LEVEL SECURITY;\nCREATE POLICY "Allow anon to receive broadcasts" ON realtime.messages FOR SELECT TO anon USING (true);',
    'db/tables/102-table-game.sql': 'CREATE TABLE public.game (id int PRIMARY KEY, state status NOT NULL, code code);',
    'db/tables/109-table-outbox.sql': 'CREATE TABLE app.outbox (id int, topic varchar);\nALTER TABLE app.outbox ENABLE ROW LEVEL SECURITY;',
  };
  // (were four databases: db/extensions, db/policies, db/schemas with the tables, db/types)
  assert.deepEqual(groups(Object.keys(texts), 'auto', texts).map((g) => g.split('=')[0]), ['one:']);
  // the type alone joins: a folder making a type, beside one whose table uses it
  const typed = { 'a/migrations/001_types.sql': "CREATE TYPE status AS ENUM ('x');", 'b/migrations/001_init.sql': 'CREATE TABLE t (s status);', 'c/migrations/001_init.sql': 'CREATE TABLE u (id int);' };
  assert.deepEqual(groups(Object.keys(typed), 'auto', typed).map((g) => g.split('=')[0]), ['sequence:a/migrations + b/migrations', 'sequence:c/migrations']);
  assert.deepEqual([...relationRefs(parseFile('x.sql', "CREATE TYPE mood AS ENUM ('a'); CREATE TABLE p (m mood, n int); SELECT 'a'::mood;")).creates].sort(), ['t:p', 'y:mood']);
  // two databases making tables: a folder making none is in doubt, and stays apart
  const two = { 'svc/a/migrations/001_init.sql': 'CREATE TABLE users (id int);', 'svc/b/migrations/001_init.sql': 'CREATE TABLE jobs (id int);', 'db/extensions/000_ext.sql': 'CREATE EXTENSION IF NOT EXISTS pg_trgm;' };
  assert.equal(groups(Object.keys(two), 'auto', two).length, 3);
  // a Supabase project's database is what its CLI applies: a numbered backup of policies beside it stays apart (controle-de-pacientes' backup-rls/)
  const supa = { 'supabase/migrations/20240101000000_init.sql': 'CREATE TABLE notes (id int);', 'backup-rls/01-rls.sql': 'ALTER TABLE patients ENABLE ROW LEVEL SECURITY;' };
  assert.deepEqual(groups(Object.keys(supa), 'auto', supa).map((g) => g.split('=')[0]), ['sequence:backup-rls', 'sequence:supabase']);
  // nor does a Supabase project making no table join another's (rei-portfolio-system's supabase/ beside its drizzle/)
  const drizzled = { 'drizzle/0000_init.sql': 'CREATE TABLE deals (id int);', 'supabase/migrations/20240101000000_storage.sql': "INSERT INTO storage.buckets (id, name) VALUES ('docs', 'docs');" };
  assert.deepEqual(groups(Object.keys(drizzled), 'auto', drizzled).map((g) => g.split('=')[0]), ['sequence:drizzle', 'sequence:supabase']);
  // PostgreSQL: the tables' folder applied without the types' fails (42704), so they are one database
  const db = await getDb();
  await inRollback(db, async (q) => {
    const r = await tryQuery(q, texts['db/tables/102-table-game.sql']);
    assert.equal(r.ok ? '' : r.error.code, '42704');
  });
  await inRollback(db, async (q) => {
    await q(texts['db/types/000-type-status.sql']);
    const r = await tryQuery(q, texts['db/tables/102-table-game.sql']);
    assert.ok(r.ok);
  });
});

// Calibration (growly-foundation/suite-os): beside supabase/migrations/, the repository keeps
// backups/20250724_180446/migrations/20250724110446_remote_schema.sql, the CLI's history as it stood
// that day. Its folder is named as migrations are and its file carries a version, so it was taken
// for another tool's history, joined the project's database and was replayed first (its version is
// the earliest): the 15 tables that 20250724180747_initial_schema.sql makes again with IF NOT EXISTS
// got their rls-not-enabled findings in the backup, a file no tool applies. A folder named for a
// backup (backups/, db_backup_2024/, migrations.bak/) that holds a migrations folder, beside a
// Supabase project, holds a copy of a history: parsed, not replayed, with the project's other
// unapplied files. A folder whose name only contains the word (backupsvc/) is judged as before, and
// so is a numbered backup without a migrations folder (backup-rls/, a sequence of its own above).
test("ok: a history copied into a backup folder beside a Supabase project is not replayed (checked for syntax only); the project's migrations get the findings", async () => {
  assert.deepEqual(
    groups([
      'backups/20250724_180446/migrations/20250724110446_remote_schema.sql',
      'backups/20250724_181626/schema.sql',
      'db_backup_2024/migrations/001_init.sql',
      'supabase/migrations/20250724180747_initial_schema.sql',
      'backupsvc/migrations/001_init.sql',
    ]),
    [
      'sequence:backupsvc/migrations=backupsvc/migrations/001_init.sql',
      'sequence:supabase=supabase/migrations/20250724180747_initial_schema.sql',
      'unapplied:files the Supabase CLI does not apply=backups/20250724_180446/migrations/20250724110446_remote_schema.sql,backups/20250724_181626/schema.sql,db_backup_2024/migrations/001_init.sql',
    ],
  );
  const table = (ine: string) => `CREATE TABLE ${ine}public.agents (id uuid PRIMARY KEY, name text);\n`;
  const files = [
    { file: 'backups/20250724_180446/migrations/20250724110446_remote_schema.sql', text: table('') },
    { file: 'supabase/migrations/20250724180747_initial_schema.sql', text: table('IF NOT EXISTS ') },
  ];
  const r = await lintTexts(files);
  const rules = (f: string) => (r.byFile.get(f) ?? []).map((x) => x.rule);
  assert.deepEqual(rules(files[0]!.file), []);
  assert.deepEqual(rules(files[1]!.file), ['rls-not-enabled']);
});
