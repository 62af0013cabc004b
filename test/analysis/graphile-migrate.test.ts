// A graphile-migrate project's `.gmrc` decides the order its migrations folder's files replay in:
// `graphile-migrate reset` creates the database, runs the afterReset actions (regen-server's
// `initial_schema.sql`, a pg_dump of the schema the committed migrations start from), then the
// committed migrations by number; `watch` runs the current migration last. The path order puts
// the afterReset dump after `committed/`, where PostgreSQL rejects the first migration touching
// its tables (42P01), and the lint said their policies were "written before the table is created".
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import { gmrcSettings, graphileRanks, unrunGraphileFiles, type GraphileMigrate } from '../../server/src/analysis/graphile-migrate.js';
import { searchPathSetting } from '../../server/src/analysis/ast.js';
import { migrationOrder, NOT_APPLIED, notReplayedReason } from '../../server/src/analysis/model.js';
import { Workspace } from '../../server/src/engine/workspace.js';
import { readGraphileMigrate } from '../../server/src/io/files.js';
import { closeAll, getDb, inRollback, tryQuery } from '../helpers/pg.js';
import { findingsOf, initParser } from '../helpers/rule-proof.js';
import { decodedId } from '../../server/src/analysis/file-id.js';

before(initParser);
after(closeAll);

/** regen-server's shape, in small: the .gmrc graphile-migrate init writes (JSON5: comments, trailing commas), an afterReset dump, committed migrations, the current one. */
const GMRC = `/*
 * Graphile Migrate configuration.
 */
{
  "pgSettings": {
    // "search_path": "app_public,app_private,app_hidden,public",
  },
  afterReset: [
    // "afterReset.sql",
    { "_": "command", "command": "graphile-worker --schema-only" },
    "!initial_schema.sql",
  ],
  "afterAllMigrations": [
    { "_": "command", "shadow": true, "command": "pg_dump --schema-only --file=./migrations/schema_snapshot.sql $SHADOW_DATABASE_URL" },
  ],
  // migrationsFolder: "./migrations",
}
`;
const FILES: Record<string, string> = {
  'migrations/committed/000001.sql':
    '--! Previous: -\n--! Hash: sha1:1\n\nALTER TABLE account ENABLE ROW LEVEL SECURITY;\nALTER TABLE account FORCE ROW LEVEL SECURITY;\n' +
    'CREATE POLICY account_own ON account FOR SELECT TO authenticated USING (owner_name = current_user);\nGRANT SELECT ON account TO authenticated;\n',
  'migrations/committed/000002.sql': '--! Previous: sha1:1\n--! Hash: sha1:2\n\nCREATE INDEX account_owner_idx ON account (owner_name);\n',
  'migrations/current.sql': '-- Enter migration here\nALTER TABLE account ADD COLUMN email text;\n',
  'migrations/initial_schema.sql': 'CREATE TABLE public.account (id bigint PRIMARY KEY, owner_name text NOT NULL, name text);\n',
};
const PATH_ORDER = ['migrations/committed/000001.sql', 'migrations/committed/000002.sql', 'migrations/current.sql', 'migrations/initial_schema.sql'];
const GRAPHILE_ORDER = ['migrations/initial_schema.sql', 'migrations/committed/000001.sql', 'migrations/committed/000002.sql', 'migrations/current.sql'];
const PROJECT: GraphileMigrate = { folder: 'migrations/', source: '.gmrc', afterReset: ['migrations/initial_schema.sql'] };

test("ok: .gmrc (JSON5): afterReset's SQL files in order — a string (`!`: run as root, stripped), {\"_\": \"sql\", file} — not its commands; migrationsFolder when set; what graphile-migrate would refuse is a problem", () => {
  assert.deepEqual(gmrcSettings(GMRC), { afterReset: ['initial_schema.sql'] });
  assert.deepEqual(gmrcSettings(`{ migrationsFolder: 'db/migrations', afterReset: ['a.sql', { _: 'sql', file: 'b.sql', root: true }, { command: 'old style' }, '!c.sql'] }`), {
    migrationsFolder: 'db/migrations',
    afterReset: ['a.sql', 'b.sql', 'c.sql'],
  });
  // (a single action, as graphile-migrate takes it; none)
  assert.deepEqual(gmrcSettings('{ "afterReset": "afterReset.sql" }'), { afterReset: ['afterReset.sql'] });
  assert.deepEqual(gmrcSettings('{}'), { afterReset: [] });
  assert.match((gmrcSettings('{ "afterReset": [') as { problem: string }).problem, /^not valid JSON5 \(JSON5: invalid end of input at 1:18\)$/);
  assert.deepEqual(gmrcSettings('[]'), { problem: 'not a JSON5 object' });
  assert.deepEqual(gmrcSettings('{ "afterReset": [{ "_": "js", "file": "x.js" }] }'), { problem: '"afterReset" action 0 is neither a file name nor a {"_": "sql", "file": …} or {"_": "command", …} action' });
  assert.deepEqual(gmrcSettings('{ "migrationsFolder": 1 }'), { problem: '"migrationsFolder" is not a string' });
});

test('ok: migrationOrder: afterReset files first, then committed/ by number, then the current migration (current.sql, or current/ by number), then the folder\'s other files in path order; files outside stay where they are', () => {
  assert.deepEqual(migrationOrder(PATH_ORDER.map((file) => ({ file }))).map((f) => f.file), PATH_ORDER);
  assert.deepEqual(migrationOrder(PATH_ORDER.map((file) => ({ file })), undefined, undefined, undefined, [PROJECT]).map((f) => f.file), GRAPHILE_ORDER);
  const files = [
    'a_outside.sql',
    'db/migrations/afterReset.sql',
    'db/migrations/committed/000009-add-x.sql',
    'db/migrations/committed/000010.sql',
    'db/migrations/committed/README.sql',
    'db/migrations/current/1-tables.sql',
    'db/migrations/current/2-policies.sql',
    'db/migrations/fixtures/helpers.sql',
    'db/migrations/schema_snapshot.sql',
    'db/seed.sql',
    'z_outside.sql',
  ];
  const project: GraphileMigrate = { folder: 'db/migrations/', source: 'db/.gmrc', afterReset: ['db/migrations/schema_snapshot.sql', 'db/seed.sql', 'db/migrations/afterReset.sql'] };
  assert.deepEqual(migrationOrder(files.map((file) => ({ file })), undefined, undefined, undefined, [project]).map((f) => f.file), [
    'a_outside.sql',
    'db/migrations/schema_snapshot.sql',
    'db/seed.sql',
    'db/migrations/afterReset.sql',
    'db/migrations/committed/000009-add-x.sql',
    'db/migrations/committed/000010.sql',
    'db/migrations/current/1-tables.sql',
    'db/migrations/current/2-policies.sql',
    // (not graphile-migrate's: a committed/ file without a number, a fixture --!include takes in)
    'db/migrations/committed/README.sql',
    'db/migrations/fixtures/helpers.sql',
    'z_outside.sql',
  ]);
  // (the language server's ids: URIs, percent-encoded; the .gmrc's names are not)
  const ranks = graphileRanks([{ file: 'file:///w/migrations/initial%20schema.sql' }, { file: 'file:///w/migrations/committed/000003.sql' }], [{ folder: 'file:///w/migrations/', source: '.gmrc', afterReset: ['file:///w/migrations/initial schema.sql'] }]);
  assert.deepEqual(ranks.map((r) => r && [r.group, r.place]), [[0, 0], [1, 3]]);
});

test('err → ok: regen-server: the afterReset dump makes the table; in path order the committed migration runs first, PostgreSQL rejects it (42P01) and the lint says RLS is never enabled (its ENABLE runs before the CREATE TABLE); in graphile-migrate\'s order it runs (authenticated reads its own row only) and no finding', async () => {
  const ws = new Workspace();
  for (const [file, text] of Object.entries(FILES)) ws.setFile(file, text);
  const before = findingsOf(ws, 'rls-not-enabled');
  assert.equal(before.length, 1);
  assert.equal(before[0]!.file, 'migrations/initial_schema.sql');
  assert.match(before[0]!.message, /^Table public\.account is in the exposed schema "public" but row-level security is never enabled \(the ALTER TABLE … ENABLE ROW LEVEL SECURITY at 000001\.sql:4 runs before the CREATE TABLE at initial_schema\.sql:1: PostgreSQL rejects it, 42P01 relation does not exist, and the migration stops there; that is the files' path order, which the lint follows as the name initial_schema\.sql carries no version: where a script runs initial_schema\.sql before 000001\.sql, the statement works/);
  ws.setGraphileMigrate([PROJECT]);
  assert.deepEqual(findingsOf(ws, 'rls-not-enabled'), []);
  const account = ws.lint().model.tables.get('public.account')!;
  assert.equal(account.rlsEnabled, true);
  assert.deepEqual(account.policies.map((p) => p.name), ['account_own']);
  // (current.sql last: its column is there)
  assert.deepEqual(account.columns, ['id', 'owner_name', 'name', 'email']);

  // PostgreSQL, each file as graphile-migrate runs it (one after the other, stopping at an error)
  const db = await getDb();
  const runs = (order: string[]) =>
    inRollback(db, async (q) => {
      for (const file of order) {
        const r = await tryQuery(q, FILES[file]!);
        if (!r.ok) return { failed: file, code: r.error.code, message: r.error.message };
      }
      await q(`INSERT INTO account (id, owner_name) VALUES (1, 'authenticated'), (2, 'anon')`);
      await q('SET ROLE authenticated');
      const rows = await q('SELECT id FROM account');
      await q('RESET ROLE');
      return { rows: rows.map((r) => r.id) };
    });
  assert.deepEqual(await runs(PATH_ORDER), { failed: 'migrations/committed/000001.sql', code: '42P01', message: 'relation "account" does not exist' });
  assert.deepEqual(await runs(GRAPHILE_ORDER), { rows: [1] });
});

// Calibration cal186 (Soren-365/postgraphileStarter): a scratch file kept in the migrations folder
// (`migrations/test.sql`, `migrations/test copy.sql`) re-makes tables its current.sql makes.
// graphile-migrate never runs it (reset and migrate read afterReset's files, committed/'s numbered
// migrations, the current migration, and fixtures/ where a migration includes one), but it was
// replayed after current.sql: three CREATE TABLEs were said to stop "a migration tool applying them
// in order" with 42P07, and the policies it makes again were reported in it.
test('err → ok: a file of the migrations folder graphile-migrate never runs (a scratch test.sql) is parsed, not replayed: no 42P07 said of it; committed/, current, afterReset files and fixtures/ are replayed as before', async () => {
  const project: GraphileMigrate = { folder: 'db/migrations/', source: 'db/.gmrc', afterReset: ['db/migrations/afterReset.sql'] };
  const files: Record<string, string> = {
    'db/migrations/afterReset.sql': 'CREATE ROLE visitor;',
    'db/migrations/committed/000001.sql': 'CREATE TABLE public.topics (title text PRIMARY KEY);\nALTER TABLE public.topics ENABLE ROW LEVEL SECURITY;',
    'db/migrations/current.sql': 'CREATE TABLE public.posts (id int PRIMARY KEY, topic text);',
    'db/migrations/fixtures/helpers.sql': 'CREATE OR REPLACE FUNCTION public.one() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;',
    'db/migrations/committed/README.sql': 'CREATE TABLE public.readme (id int);',
    'db/migrations/test.sql': 'CREATE TABLE public.posts (id int PRIMARY KEY, topic text);\nCREATE POLICY all_posts ON public.posts USING (true);',
  };
  assert.deepEqual([...unrunGraphileFiles(Object.keys(files), [project]).keys()].sort(), ['db/migrations/committed/README.sql', 'db/migrations/test.sql']);
  assert.equal(unrunGraphileFiles(Object.keys(files), []).size, 0);
  const ws = new Workspace();
  for (const [file, text] of Object.entries(files)) ws.setFile(file, text);
  // (without the .gmrc: replayed in path order, the scratch file's CREATE TABLE after current.sql's)
  assert.equal(findingsOf(ws, 'table-already-exists').length, 1);
  ws.setGraphileMigrate([project]);
  assert.deepEqual(findingsOf(ws, 'table-already-exists'), []);
  assert.equal(notReplayedReason(ws.parsed('db/migrations/test.sql')!), NOT_APPLIED.graphile('db/.gmrc'));
  assert.equal(notReplayedReason(ws.parsed('db/migrations/current.sql')!), undefined);
  const model = ws.lint().model;
  assert.deepEqual(model.tables.get('public.posts')?.policies.map((p) => p.name), []);
  // (a fixture: replayed as before, after the migrations)
  assert.ok(model.functions.has('public.one'));
  assert.ok(!model.tables.has('public.readme'));
  // PostgreSQL, the files graphile-migrate runs, in its order: they run; the scratch file after them fails (42P07)
  const db = await getDb();
  const result = await inRollback(db, async (q) => {
    for (const f of ['db/migrations/afterReset.sql', 'db/migrations/committed/000001.sql', 'db/migrations/current.sql']) {
      const r = await tryQuery(q, f === 'db/migrations/afterReset.sql' ? 'CREATE ROLE visitor_cal186;' : files[f]!);
      if (!r.ok) return { failed: f, code: r.error.code };
    }
    const r = await tryQuery(q, files['db/migrations/test.sql']!);
    return r.ok ? { ok: true } : { code: r.error.code };
  });
  assert.deepEqual(result, { code: '42P07' });
});

// Calibration cal186 (leo91000/postgraphile-standalone-starter): graphile/starter's afterAllMigrations
// writes a pg_dump to `data/schema.sql`, and `data/` sorts before `migrations/`: the dump was replayed
// first, as a baseline, and its `ALTER DEFAULT PRIVILEGES FOR ROLE <dumped owner> … GRANT ALL ON
// FUNCTIONS TO <dumped visitor>` was said (definer-execute-granted-to-public, 9 findings) to grant
// EXECUTE on the definers committed/000001.sql makes "at schema.sql:2188".
test('err → ok: the pg_dump a graphile-migrate project writes outside its migrations folder, first in path order, is no baseline: not replayed (file-not-replayed says why), and its default privileges reach none of the migrations\' functions', async () => {
  const project: GraphileMigrate = { folder: 'migrations/', source: '.gmrc', afterReset: ['migrations/afterReset.sql'] };
  const dump = [
    '--',
    '-- PostgreSQL database dump',
    '--',
    "SELECT pg_catalog.set_config('search_path', '', false);",
    'CREATE SCHEMA app_public;',
    'CREATE TABLE app_public.users (id int PRIMARY KEY);',
    'ALTER TABLE app_public.users ENABLE ROW LEVEL SECURITY;',
    'GRANT USAGE ON SCHEMA app_public TO dumped_visitor;',
    'ALTER DEFAULT PRIVILEGES IN SCHEMA app_public GRANT ALL ON FUNCTIONS TO dumped_visitor;',
    '',
  ].join('\n');
  const files: Record<string, string> = {
    'data/schema.sql': dump,
    'migrations/afterReset.sql': 'CREATE ROLE dumped_visitor;',
    'migrations/committed/000001.sql': [
      'CREATE SCHEMA app_public;',
      'CREATE TABLE app_public.users (id int PRIMARY KEY);',
      'ALTER TABLE app_public.users ENABLE ROW LEVEL SECURITY;',
      'CREATE FUNCTION app_public.who(int) RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$ SELECT count(*)::int FROM app_public.users $$;',
      'REVOKE EXECUTE ON FUNCTION app_public.who(int) FROM PUBLIC;',
      '',
    ].join('\n'),
  };
  const ws = new Workspace();
  for (const [file, text] of Object.entries(files)) ws.setFile(file, text);
  // (path order alone: the dump is a baseline, its default privileges granted the function made after it)
  const before = findingsOf(ws, 'definer-execute-granted-to-public');
  assert.equal(before.length, 1);
  assert.match(before[0]!.message, /^SECURITY DEFINER function app_public\.who\(integer\) is executable by dumped_visitor: .* the default privileges set at schema\.sql:9 /);
  ws.setGraphileMigrate([project]);
  const model = ws.lint().model;
  assert.deepEqual([...model.notReplayed].map(([f, kind]) => [f.file, kind]), [['data/schema.sql', 'graphile-dump']]);
  assert.deepEqual(findingsOf(ws, 'definer-execute-granted-to-public'), []);
  const note = findingsOf(ws, 'file-not-replayed');
  assert.equal(note.length, 1);
  assert.match(note[0]!.message, /^pg-rls-lint does not replay schema\.sql: it re-makes the tables of the graphile-migrate project of \.gmrc, as the pg_dump its afterAllMigrations actions write after each migration does\. graphile-migrate never runs it/);
  // (a dump most of whose tables the project does not make is kept: replayed where it stands)
  const other = new Workspace();
  other.setFile('data/schema.sql', dump.replace(/app_public\.users/g, 'app_public.accounts'));
  other.setFile('migrations/committed/000001.sql', 'CREATE TABLE public.notes (id int);');
  other.setGraphileMigrate([project]);
  assert.equal(other.lint().model.notReplayed.size, 0);
  // (without the .gmrc: the first dump is a baseline, replayed, as before)
  ws.setGraphileMigrate([]);
  assert.equal(ws.lint().model.notReplayed.size, 0);
  // PostgreSQL: run first, the dump makes the committed migration fail (42P06 on its CREATE SCHEMA): no baseline of it
  const db = await getDb();
  const run = await inRollback(db, async (q) => {
    await q('CREATE ROLE dumped_visitor_cal186');
    const first = await tryQuery(q, dump.replace(/dumped_visitor/g, 'dumped_visitor_cal186'));
    if (!first.ok) return { dump: first.error.code };
    const r = await tryQuery(q, files['migrations/committed/000001.sql']!);
    return r.ok ? { ok: true } : { code: r.error.code };
  });
  assert.deepEqual(run, { code: '42P06' });
});

test("ok: readGraphileMigrate finds the .gmrc above the files (a temporary folder), the afterReset files as file ids; a .gmrc whose migrations folder holds none of them is left out; one that cannot be parsed is said once and the files keep their path order", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pg-rls-lint-gmrc-'));
  try {
    const write = (name: string, text: string) => {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), text);
    };
    for (const [file, text] of Object.entries(FILES)) write(file, text);
    write('.gmrc', GMRC);
    // (as the CLI's: ids relative to the folder linted)
    const ids = (folder: string) => {
      const rel = relative(dir, folder).replace(/\\/g, '/');
      return { prefix: rel === '' ? '' : `${rel}/`, shown: rel === '' ? '' : `${rel}/` };
    };
    const absolute = Object.keys(FILES).map((f) => join(dir, f));
    const logged: string[] = [];
    const read = () => readGraphileMigrate(absolute, ids, (path, problem) => logged.push(`${relative(dir, path)}: ${problem}`));
    const projects = await read();
    assert.deepEqual(projects, [PROJECT]);
    assert.deepEqual(logged, []);
    assert.deepEqual(migrationOrder(Object.keys(FILES).map((file) => ({ file })), undefined, undefined, undefined, projects).map((f) => f.file), GRAPHILE_ORDER);
    // another migrations folder: not this project's files
    write('.gmrc', '{ "migrationsFolder": "./db/migrations", "afterReset": ["initial_schema.sql"] }');
    assert.deepEqual(await read(), []);
    // a custom one that holds them (relative to the .gmrc's folder)
    write('.gmrc', '{ "migrationsFolder": "./migrations/", "afterReset": ["../seed.sql"] }');
    assert.deepEqual(await read(), [{ folder: 'migrations/', source: '.gmrc', afterReset: ['seed.sql'] }]);
    // cannot be parsed: one line, and path order
    write('.gmrc', '{ "afterReset": ["initial_schema.sql" ');
    assert.deepEqual(await read(), []);
    assert.equal(logged.length, 1);
    assert.match(logged[0]!, /^\.gmrc: not valid JSON5 \(JSON5: invalid end of input at 1:39\); its replay order \(afterReset files, then committed\/ by number, then the current migration\) is not used: the migrations are replayed in path order$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// danbiagini/parlour-room's .gmrc sets `"pgSettings": {"search_path": "parlour_public,parlour_private"}`
// and its current.sql writes `create policy user_policy on users …` unqualified: graphile-migrate
// sets each pgSetting on the connection before the migration runs (withClient: set_config(key,
// value, false)), so `users` is parlour_public.users. The lint resolved it with the default
// path: it said parlour_public.users had RLS "but no policy" and put the policies on public.users.
const PATH_GMRC = '{ "pgSettings": { "search_path": "app_public, app_private" } }';
const PATH_FILE =
  'CREATE SCHEMA app_public;\nCREATE TABLE app_public.users (uid uuid PRIMARY KEY, name text);\nALTER TABLE app_public.users ENABLE ROW LEVEL SECURITY;\n' +
  "CREATE POLICY user_policy ON users TO authenticated USING (uid = nullif(current_setting('app.uid', true), '')::uuid);\nGRANT SELECT ON app_public.users TO authenticated;\n";

test('ok: pgSettings.search_path read as PostgreSQL reads the setting (unquoted names folded, quoted ones kept, a comma list); none where not set or not a string', () => {
  assert.deepEqual(gmrcSettings(PATH_GMRC), { afterReset: [], searchPath: ['app_public', 'app_private'] });
  assert.deepEqual(searchPathSetting('"$user", Public,"My Schema"'), ['$user', 'public', 'My Schema']);
  assert.equal(searchPathSetting('a,,b'), undefined);
  assert.deepEqual(gmrcSettings('{ "pgSettings": { "search_path": 3 } }'), { afterReset: [] });
});

test("err → ok: parlour-room: a .gmrc's pgSettings search_path is the path each of its files starts with: the unqualified CREATE POLICY is app_public.users's (PGlite: with graphile-migrate's set_config the file runs and the policy is app_public's; without it 42P01), and rls-enabled-without-policy says nothing; a rebuild after an edit keeps it", async () => {
  const ws = new Workspace();
  ws.setFile('migrations/current.sql', PATH_FILE);
  const project: GraphileMigrate = { folder: 'migrations/', source: '.gmrc', afterReset: [], searchPath: ['app_public', 'app_private'] };
  // (no .gmrc: the default path, where `users` is public.users)
  assert.equal(findingsOf(ws, 'rls-enabled-without-policy').length, 1);
  ws.setGraphileMigrate([project]);
  assert.deepEqual(findingsOf(ws, 'rls-enabled-without-policy'), []);
  assert.deepEqual(ws.lint().model.tables.get('app_public.users')!.policies.map((p) => p.name), ['user_policy']);
  // (the language server's rebuild: an edit above the policy)
  ws.setFile('migrations/current.sql', '-- Enter migration here\n' + PATH_FILE);
  assert.deepEqual(findingsOf(ws, 'rls-enabled-without-policy'), []);
  assert.deepEqual(ws.lint().model.tables.get('app_public.users')!.policies.map((p) => p.name), ['user_policy']);
  ws.setGraphileMigrate([{ ...project, searchPath: undefined }]);
  assert.equal(findingsOf(ws, 'rls-enabled-without-policy').length, 1);

  const db = await getDb();
  const run = (setup: string) =>
    inRollback(db, async (q) => {
      if (setup) await q(setup);
      const r = await tryQuery(q, PATH_FILE);
      if (!r.ok) return { code: r.error.code };
      return { policies: (await q(`SELECT schemaname, tablename, policyname FROM pg_policies WHERE policyname = 'user_policy'`)).map((x) => `${x.schemaname}.${x.tablename}.${x.policyname}`) };
    });
  assert.deepEqual(await run(`select pg_catalog.set_config('search_path', 'app_public, app_private', false)`), { policies: ['app_public.users.user_policy'] });
  assert.deepEqual(await run(''), { code: '42P01' });
});

test("a file's own `SELECT set_config('search_path', …)` is read as the .gmrc's is (searchPathSetting): a list PostgreSQL rejects (22023, PGlite) leaves the path as it was", async () => {
  const policyTable = (set: string) => {
    const ws = new Workspace();
    ws.setFile('m.sql', `${set}\n${PATH_FILE}`);
    return ws.lint().model.policies.map((p) => p.table);
  };
  assert.deepEqual(policyTable(`SELECT pg_catalog.set_config('search_path', 'App_Public, app_private', false);`), ['app_public.users']);
  assert.deepEqual(policyTable(`SELECT pg_catalog.set_config('search_path', 'app_public,,app_private', false);`), ['public.users']);
  await inRollback(await getDb(), async (q) => {
    const r = await tryQuery(q, `SELECT pg_catalog.set_config('search_path', 'app_public,,app_private', false)`);
    assert.equal(r.ok ? undefined : r.error.code, '22023');
  });
});

test('ok: decodedId (one helper for graphile-migrate and Liquibase): backslashes to slashes, a URI percent-decoded, a bad escape left as it is', () => {
  assert.equal(decodedId('C:\\w\\migrations\\a.sql'), 'C:/w/migrations/a.sql');
  assert.equal(decodedId('file:///w/my%20db/n%40me.sql'), 'file:///w/my db/n@me.sql');
  assert.equal(decodedId('file:///w/100%.sql'), 'file:///w/100%.sql');
});
