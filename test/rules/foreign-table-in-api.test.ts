// foreign-table-in-api on PostgreSQL (PGlite with file_fdw standing in for Supabase Wrappers or
// postgres_fdw): a foreign table has no row-level security (ENABLE ROW LEVEL SECURITY and CREATE
// POLICY on one fail with 42809), and anon, granted it by Supabase's default privileges on public,
// reads every row its server returns; the fix's REVOKE leaves anon 42501 permission denied for
// foreign table. The other rules see foreign tables too (model.ts View.foreign): rls-on-view says
// "foreign table", policy-reads-without-grant names PostgreSQL's message for one.
import assert from 'node:assert/strict';
import { PGlite } from '@electric-sql/pglite';
import { file_fdw } from '@electric-sql/pglite/contrib/file_fdw';
import { after, before, test } from 'node:test';
import { ensureRoles, expectPgError, queryFn, type Q } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintFiles, textAt } from '../helpers/rule-proof.js';

const ID = 'foreign-table-in-api';
let db: PGlite;
let q: Q;
before(async () => {
  await initParser();
  db = await PGlite.create({ extensions: { file_fdw } });
  q = queryFn(db);
  await ensureRoles(db, ['anon', 'authenticated']);
  // (Supabase's default privileges on schema public: every new table to the API roles)
  await q('GRANT USAGE ON SCHEMA public TO anon, authenticated');
  await q('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated');
  await q('CREATE EXTENSION file_fdw');
  await q("COPY (SELECT 'cus_1' AS id, 'alice@example.com' AS email, 'Alice' AS name UNION ALL SELECT 'cus_2', 'bob@example.com', 'Bob') TO '/tmp/customers.csv' WITH (format csv)");
  await q('CREATE SERVER stripe_server FOREIGN DATA WRAPPER file_fdw');
});
after(() => db.close());

/** The Invalid example's foreign table, over file_fdw. */
const FOREIGN_TABLE = "CREATE FOREIGN TABLE public.stripe_customers (id text, email text, name text) SERVER stripe_server OPTIONS (filename '/tmp/customers.csv', format 'csv')";

test("err: a foreign table in public on Supabase: reported on its name; anon reads every customer's row, and RLS cannot be enabled on it (42809)", async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'public.stripe_customers');
  assert.match(finding.message, /^Foreign table public\.stripe_customers is in the exposed schema "public", and anon and authenticated may read it \(Supabase's default privileges grant new tables in it to them\): PostgreSQL has no row-level security for foreign tables \(ENABLE ROW LEVEL SECURITY and CREATE POLICY on one fail with 42809\)/);
  await q('BEGIN');
  try {
    await q(FOREIGN_TABLE);
    await q('SET ROLE anon');
    assert.deepEqual((await q('SELECT email FROM public.stripe_customers ORDER BY id')).map((r) => r.email), ['alice@example.com', 'bob@example.com']);
    await q('RESET ROLE');
    await q('SAVEPOINT s');
    await expectPgError(q('ALTER TABLE public.stripe_customers ENABLE ROW LEVEL SECURITY'), '42809', /ALTER action ENABLE ROW SECURITY cannot be performed on relation "stripe_customers"/);
    await q('ROLLBACK TO SAVEPOINT s');
    await expectPgError(q('CREATE POLICY own ON public.stripe_customers USING (false)'), '42809', /"stripe_customers" is not a table/);
  } finally {
    await q('ROLLBACK');
  }
});

test('err→ok: the fix revokes it from anon and authenticated: re-lint clean; anon then gets 42501 permission denied for foreign table', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(finding.fixes[0]!.title, 'Revoke public.stripe_customers from anon and authenticated (the API then no longer serves it)');
  const fixed = applyFix(ws, finding);
  assert.deepEqual(findingsOf(fixed, ID), []);
  const revoke = /revoke all on public\.stripe_customers from anon, authenticated;/i.exec(fixed.text(fixed.files()[0]!)!)?.[0];
  assert.ok(revoke, 'the REVOKE is in the file');
  await q('BEGIN');
  try {
    await q(FOREIGN_TABLE);
    await q(revoke);
    await q('SET ROLE anon');
    await expectPgError(q('SELECT * FROM public.stripe_customers'), '42501', /permission denied for foreign table stripe_customers/);
  } finally {
    await q('ROLLBACK');
  }
});

test('err: elsewhere, a foreign table granted to a role in an exposed schema names that role; not granted to any, or outside the exposed schemas, nothing', () => {
  const { finding } = invalidFinding(ID, 1);
  assert.match(finding.message, /^Foreign table public\.salaries is in the exposed schema "public", and web_user may read it: PostgreSQL has no row-level security/);
  const none = lintFiles([{ file: 'db/1.sql', text: 'CREATE SERVER s FOREIGN DATA WRAPPER postgres_fdw;\nCREATE FOREIGN TABLE public.salaries (amount numeric) SERVER s;\n' }], ID);
  assert.equal(none.mine.length, 0);
  const other = lintFiles([{ file: 'supabase/migrations/20240101000000_x.sql', text: 'CREATE SCHEMA reports;\nCREATE FOREIGN TABLE reports.salaries (amount numeric) SERVER s;\n' }], ID);
  assert.equal(other.mine.length, 0);
});

test('ok: the model keeps a foreign table with the views (no query, no RLS): DROP FOREIGN TABLE removes it, IF NOT EXISTS keeps the first; rls-on-view and policy-reads-without-grant speak of a foreign table', () => {
  const sql = `CREATE ROLE app_user;
CREATE SERVER s FOREIGN DATA WRAPPER postgres_fdw;
CREATE FOREIGN TABLE public.remote_members (user_name text, org_id int) SERVER s;
CREATE FOREIGN TABLE IF NOT EXISTS public.remote_members (other int) SERVER s;
CREATE FOREIGN TABLE public.gone (id int) SERVER s;
DROP FOREIGN TABLE public.gone;
CREATE TABLE public.docs (id int PRIMARY KEY, org_id int);
ALTER TABLE public.docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY docs_read ON public.docs FOR SELECT TO app_user USING (org_id IN (SELECT org_id FROM public.remote_members WHERE user_name = current_user));
GRANT SELECT ON public.docs TO app_user;
ALTER TABLE public.remote_members ENABLE ROW LEVEL SECURITY;
`;
  const { ws, findings } = lintFiles([{ file: 'db/1.sql', text: sql }], ID);
  const m = ws.model();
  assert.equal(m.views.get('public.remote_members')?.foreign, true);
  assert.equal(m.views.get('public.remote_members')?.created.start, sql.indexOf('CREATE FOREIGN TABLE public.remote_members'));
  assert.equal(m.views.has('public.gone'), false);
  assert.equal(m.tables.has('public.remote_members'), false);
  const onView = findings.filter((f) => f.rule === 'rls-on-view');
  assert.equal(onView.length, 1);
  assert.match(onView[0]!.message, /^public\.remote_members is a foreign table: PostgreSQL rejects this statement with 42809 .*A foreign table reads its rows through its server/);
  assert.deepEqual(onView[0]!.fixes.map((f) => f.title), ['Remove this statement (PostgreSQL rejects it)']);
  const reads = findings.filter((f) => f.rule === 'policy-reads-without-grant');
  assert.equal(reads.length, 1);
  assert.match(reads[0]!.message, /fails with 42501 permission denied for foreign table remote_members\..*\(a foreign table has no row-level security: the sub-select then reads every row its server returns\)/);
});

test('ok: as the language server lints (a Workspace that records for re-lints, a GRANT copying the foreign table): reported at the first lint and after an edit of another file, as by a fresh lint', async () => {
  const { Workspace } = await import('../../server/src/engine/workspace.js');
  const ws = new Workspace(undefined, undefined, { editing: true });
  ws.setFile('db/1.sql', 'CREATE SERVER s FOREIGN DATA WRAPPER postgres_fdw;\nCREATE FOREIGN TABLE public.salaries (amount numeric) SERVER s;\n');
  ws.setFile('db/2.sql', 'CREATE TABLE public.notes (id int);\n');
  ws.setFile('db/3.sql', 'GRANT SELECT ON public.salaries TO web_user;\n');
  const mine = () => findingsOf(ws, ID).map((f) => f.message.slice(0, 63));
  assert.deepEqual(mine(), ['Foreign table public.salaries is in the exposed schema "public"']);
  assert.equal(ws.model().views.get('public.salaries')?.foreign, true);
  ws.setFile('db/2.sql', 'CREATE TABLE public.notes (id int, body text);\n');
  assert.deepEqual(mine(), ['Foreign table public.salaries is in the exposed schema "public"']);
});

test("ok: on Supabase, USAGE on public revoked from anon alone leaves anon PUBLIC's (apiUsesSchema, as rls-not-enabled reads it): still reported; revoked from PUBLIC too, anon cannot reach it", () => {
  const base = 'create server s foreign data wrapper postgres_fdw;\ncreate foreign table public.salaries (amount numeric) server s;\n';
  const anonOnly = lintFiles([{ file: 'supabase/migrations/20240101000000_x.sql', text: `${base}revoke usage on schema public from anon;\n` }], ID);
  assert.match(anonOnly.mine[0]!.message, /and anon and authenticated may read it/);
  const both = lintFiles([{ file: 'supabase/migrations/20240101000000_x.sql', text: `${base}revoke usage on schema public from anon, public;\n` }], ID);
  assert.match(both.mine[0]!.message, /, and authenticated may read it/);
});

test('ok: on Supabase, a foreign table the migrations grant to anon themselves: the message does not put it on the default privileges', () => {
  const text = 'create server s foreign data wrapper postgres_fdw;\ncreate foreign table public.salaries (amount numeric) server s;\nrevoke all on public.salaries from anon, authenticated;\ngrant select on public.salaries to anon;\n';
  const { mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_x.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^Foreign table public\.salaries is in the exposed schema "public", and anon may read it: PostgreSQL/);
});
