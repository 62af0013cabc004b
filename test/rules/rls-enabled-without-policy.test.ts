// rls-enabled-without-policy on PostgreSQL (PGlite): with RLS on and no policy, a granted role
// reads 0 rows, UPDATE/DELETE change 0 rows without an error and INSERT fails with 42501 (T12);
// with FORCE the owner gets the same (T13b). A policy gives the role its rows.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { asOwner, closeAll, count, expectPgError, getDb, inRollback, runEachStatement, type Q, tryQuery } from '../helpers/pg.js';
import { initParser, invalidFinding, lintDocExample, lintFiles, sqlOf, TENANT_A, TENANT_B } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';
import { mergeConfig } from '../../server/src/analysis/config.js';

const ID = 'rls-enabled-without-policy';
before(initParser);
after(closeAll);

async function feedback(q: Q, sql: string): Promise<void> {
  await q(AUTH_STUB_SQL);
  await asOwner(q, sql);
  await q(`INSERT INTO feedback VALUES (1, '${TENANT_A}', 'a'), (2, '${TENANT_B}', 'b')`);
  await q(actAs(TENANT_A));
}

test('err: granted role: 0 rows, UPDATE/DELETE change nothing, INSERT fails with 42501 (T12); the owner too under FORCE', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.match(finding.message, /authenticated is granted access/);
  assert.match(finding.message, /0 rows.*42501.*\(T12\)/);
  assert.equal(finding.fixes.length, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await feedback(q, sqlOf(ws));
    await q('GRANT UPDATE, DELETE ON feedback TO authenticated'); // to observe the silent writes
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'feedback'), 0);
    const upd = await tryQuery(q, `UPDATE feedback SET body = 'x' RETURNING id`);
    assert.deepEqual(upd, { ok: true, rows: [] }, 'UPDATE succeeds and changes nothing');
    const del = await tryQuery(q, `DELETE FROM feedback RETURNING id`);
    assert.deepEqual(del, { ok: true, rows: [] }, 'DELETE succeeds and deletes nothing');
    await q('RESET ROLE');
    assert.deepEqual(await q(`SELECT count(*)::int AS n FROM feedback WHERE body <> 'x'`), [{ n: 2 }], 'nothing was deleted or changed (superuser view)');
    await q('SET ROLE app_owner');
    assert.equal(await count(q, 'feedback'), 0, 'FORCE: the owner sees nothing either (T13b)');
    await q('RESET ROLE; SET ROLE authenticated');
    await expectPgError(q(`INSERT INTO feedback VALUES (3, '${TENANT_A}', 'c')`), '42501', 'new row violates row-level security policy');
  });
});

test('ok: with a policy for the role (Valid example) it reads its own rows', async () => {
  const valid = lintDocExample(ID, 'valid', 0);
  assert.equal(valid.mine.length, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await feedback(q, sqlOf(valid.ws));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'feedback'), 1);
  });
});

test('err: Supabase layout: the platform grants anon/authenticated, so the table is reported without a GRANT in the migrations', async () => {
  const { finding } = invalidFinding(ID, 1);
  assert.match(finding.message, /anon and authenticated are granted access \(here or by Supabase's default privileges\)/);
  // Revoking the platform grants (service-only) clears it.
  const valid = lintDocExample(ID, 'valid', 3);
  assert.equal(valid.mine.length, 0);
});

test('ok: no report for BYPASSRLS grantees, the owner without FORCE, or partitions of an RLS table', () => {
  const cases = [
    'CREATE ROLE worker BYPASSRLS; CREATE TABLE j (id int); ALTER TABLE j ENABLE ROW LEVEL SECURITY; GRANT ALL ON j TO worker;',
    'CREATE ROLE owner_role; SET ROLE owner_role; CREATE TABLE j (id int); ALTER TABLE j ENABLE ROW LEVEL SECURITY; RESET ROLE; GRANT SELECT ON j TO owner_role;',
  ];
  for (const sql of cases) assert.equal(lintFiles([{ file: 'm.sql', text: sql }], ID).mine.length, 0, sql);
  assert.equal(lintDocExample(ID, 'valid', 4).mine.length, 0);
});

test("ok: in a Supabase project, the platform's own tables a full dump re-creates (auth.audit_log_entries, storage.buckets) are Supabase's to secure: not reported", () => {
  const dump = `-- « naïve » 日本語 😀
CREATE SCHEMA IF NOT EXISTS auth;
CREATE TABLE auth.audit_log_entries (instance_id uuid, id uuid NOT NULL, payload json);
ALTER TABLE auth.audit_log_entries ENABLE ROW LEVEL SECURITY;
CREATE ROLE dashboard_user;
GRANT ALL ON TABLE auth.audit_log_entries TO dashboard_user;
CREATE TABLE public.notes (id bigint PRIMARY KEY);
ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;`;
  const { mine } = lintFiles(
    [
      { file: 'supabase/migrations/20240101000000_remote_schema.sql', text: dump },
      { file: 'supabase/migrations/20250101000000_tags.sql', text: 'CREATE TABLE public.tags (id bigint PRIMARY KEY);\nALTER TABLE public.tags ENABLE ROW LEVEL SECURITY;' },
    ],
    'rls-enabled-without-policy',
  );
  assert.deepEqual(mine.map((f) => /^\S+/.exec(f.message)?.[0]), ['public.notes', 'public.tags']);
  // (elsewhere, a schema named auth is the project's own)
  const own = lintFiles([{ file: 'db/1.sql', text: dump }], 'rls-enabled-without-policy').mine;
  assert.deepEqual(own.map((f) => /^\S+/.exec(f.message)?.[0]), ['auth.audit_log_entries']);
});

test('ok (message): policies written before their table (policies/ sorts before tables/) are named: in that order each CREATE POLICY fails (42P01)', async () => {
  const files = [
    { file: 'sql/0_schema.sql', text: 'CREATE SCHEMA api;\n' },
    { file: 'sql/policies/players.sql', text: 'CREATE POLICY players_own ON api.players FOR SELECT TO authenticated USING (owner = current_user);\n' },
    { file: 'sql/tables/players.sql', text: 'CREATE TABLE api.players (id int PRIMARY KEY, owner text NOT NULL);\nALTER TABLE api.players ENABLE ROW LEVEL SECURITY;\nGRANT SELECT ON api.players TO authenticated;\n' },
  ];
  const { mine } = lintFiles(files, ID, mergeConfig({ exposedSchemas: ['api'] }));
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /Its policy "players_own" is written before the table is created, at players\.sql:1: replayed in the files' path order, as here, PostgreSQL rejects that CREATE POLICY, as the table does not exist yet \(42P01, or 3F000 when its schema does not either\)\. Where a script runs the files in another order/);
  await inRollback(await getDb(), async (q) => {
    const errors = await runEachStatement(q, files.map((f) => f.text).join(''));
    assert.deepEqual(errors.map((e) => e.code), ['42P01']);
  });
  assert.match(mine[0]!.message, /list the folders in that order in the "order" setting of \.pg-rls-lint\.json/);
  // (before its schema too: 3F000)
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual((await runEachStatement(q, files[1]!.text)).map((e) => e.code), ['3F000']);
  });
  // the "order" setting says how a script runs them (inkoming's resetdb: tables, …, policies, functions):
  // replayed so, the table has its policy, as on PostgreSQL run in that order
  const order = ['sql/0_schema.sql', 'sql/tables/**', 'sql/policies/**'];
  const ordered = lintFiles(files, ID, mergeConfig({ exposedSchemas: ['api'], order }));
  assert.deepEqual(ordered.mine, []);
  assert.deepEqual(ordered.ws.model().tables.get('api.players')!.policies.map((p) => p.name), ['players_own']);
  await inRollback(await getDb(), async (q) => {
    const errors = await runEachStatement(q, [files[0]!, files[2]!, files[1]!].map((f) => f.text).join(''));
    assert.deepEqual(errors, []);
  });
  // (a glob matching a later file only: what no glob matches comes last, the path order within each)
  const partly = lintFiles(files, ID, mergeConfig({ exposedSchemas: ['api'], order: ['sql/policies/**'] }));
  assert.equal(partly.mine.length, 1);
  assert.match(partly.mine[0]!.message, /replayed in the order of the "order" setting, as here, PostgreSQL rejects that CREATE POLICY.*correct the "order" setting in \.pg-rls-lint\.json/);
});

test("ok: a grant to postgres (initdb's superuser, Supabase's BYPASSRLS migration role: supabase/storage) is no finding unless the migrations make postgres a plain role; postgres reads every row", async () => {
  const text = 'CREATE SCHEMA storage;\nCREATE TABLE storage.objects (id int PRIMARY KEY, name text);\nALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY;\nGRANT ALL ON storage.objects TO postgres WITH GRANT OPTION;\n';
  const { ws, mine } = lintFiles([{ file: 'migrations/0002.sql', text }], ID);
  assert.deepEqual(mine, []);
  assert.equal(lintFiles([{ file: 'migrations/0001.sql', text: `CREATE ROLE postgres NOSUPERUSER NOBYPASSRLS;\n${text}` }], ID).mine.length, 1);
  await inRollback(await getDb(), async (q) => {
    await q(sqlOf(ws));
    await q(`INSERT INTO storage.objects VALUES (1, 'a'), (2, 'b')`);
    assert.deepEqual(await q('SELECT rolsuper FROM pg_roles WHERE rolname = current_user'), [{ rolsuper: true }]);
    assert.equal(await count(q, 'storage.objects'), 2, 'postgres: every row, no policy needed');
  });
});

test("ok: the Supabase Auth server's own migrations (uxodb/auth: tables in its {{ index .Options \"Namespace\" }} schema) grant supabase_auth_admin, the role the server runs them as: it owns the tables and reads every row; another role granted still reads none", async () => {
  const ns = '{{ index .Options "Namespace" }}';
  const text =
    `CREATE TABLE IF NOT EXISTS ${ns}.instances (id uuid PRIMARY KEY, raw_base_config text);\n` +
    `do $$ begin\n  alter table ${ns}.instances enable row level security;\n` +
    `  grant select on ${ns}.instances to supabase_auth_admin with grant option;\nend $$;\n`;
  const file = 'migrations/20240612123726_enable_rls_update_grants.up.sql';
  assert.deepEqual(lintFiles([{ file, text }], ID).mine, []);
  // a role that is not the Auth server's is still reported (it reads nothing)
  const other = lintFiles([{ file, text: text.replace('end $$;', () => `  grant select on ${ns}.instances to authenticated;\nend $$;`) }], ID).mine;
  assert.equal(other.length, 1);
  assert.match(other[0]!.message, /and authenticated is granted access: for it every SELECT returns 0 rows/);
  // FORCE makes the owner subject to the table's RLS: then supabase_auth_admin reads nothing (T13b)
  const forced = lintFiles([{ file, text: text.replace('enable row level security;', 'enable row level security;\n  alter table ' + ns + '.instances force row level security;') }], ID).mine;
  assert.equal(forced.length, 1);
  assert.match(forced[0]!.message, /supabase_auth_admin is granted access/);
  await inRollback(await getDb(), async (q) => {
    // Supabase: CREATE SCHEMA auth AUTHORIZATION supabase_auth_admin; the server renders Namespace and runs the file as that role
    await q('CREATE ROLE supabase_auth_admin NOSUPERUSER NOBYPASSRLS; CREATE SCHEMA auth_ns AUTHORIZATION supabase_auth_admin');
    await q('SET ROLE supabase_auth_admin');
    await q(text.replaceAll(ns, 'auth_ns'));
    await q(`INSERT INTO auth_ns.instances VALUES ('${TENANT_A}', 'a'), ('${TENANT_B}', 'b')`);
    await q('GRANT USAGE ON SCHEMA auth_ns TO authenticated; GRANT SELECT ON auth_ns.instances TO authenticated');
    assert.equal(await count(q, 'auth_ns.instances'), 2, 'the owner, RLS not forced: every row (T13)');
    await q('RESET ROLE; SET ROLE authenticated');
    assert.equal(await count(q, 'auth_ns.instances'), 0, 'another granted role: none (T12)');
    await q('RESET ROLE; ALTER TABLE auth_ns.instances FORCE ROW LEVEL SECURITY; SET ROLE supabase_auth_admin');
    assert.equal(await count(q, 'auth_ns.instances'), 0, 'FORCE: the owner reads none either (T13b)');
  });
});

test("ok/err: a privilege held through a column GRANT is taken by the REVOKE of those columns (e2b's trigger_user: 42501 then, no rows to speak of); one granted on the whole table is not", async () => {
  const base = 'CREATE TABLE public.users (id uuid PRIMARY KEY, email text);\nALTER TABLE public.users ENABLE ROW LEVEL SECURITY;\n';
  const columnOnly = `${base}GRANT SELECT (id) ON public.users TO admin_role;\nREVOKE SELECT (id) ON public.users FROM admin_role;\n`;
  const tableWide = `${base}GRANT SELECT ON public.users TO admin_role;\nREVOKE SELECT (id) ON public.users FROM admin_role;\n`;
  assert.equal(lintFiles([{ file: 'migrations/1.sql', text: columnOnly }], ID).mine.length, 0);
  assert.equal(lintFiles([{ file: 'migrations/1.sql', text: tableWide }], ID).mine.length, 1);
  assert.equal(lintFiles([{ file: 'migrations/1.sql', text: `${base}GRANT SELECT (id, email) ON public.users TO admin_role;\nREVOKE SELECT (id) ON public.users FROM admin_role;\n` }], ID).mine.length, 1, 'email is still granted');
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(columnOnly);
    await q('SET ROLE admin_role');
    const r = await tryQuery(q, 'SELECT id FROM public.users');
    assert.equal(r.ok ? 'ok' : r.error.code, '42501');
  });
  await inRollback(db, async (q) => {
    await q(tableWide);
    await q('SET ROLE admin_role');
    assert.equal(await count(q, 'public.users'), 0, 'the table GRANT stays: RLS gives 0 rows');
  });
});

test("err (message): the table's policy went with DROP FUNCTION … CASCADE of a function it calls (workover's is_admin sweep): the message names that policy and the DROP, and the admin reads nothing after it", async () => {
  const first = `CREATE TABLE public.admins (user_id uuid PRIMARY KEY);
ALTER TABLE public.admins ENABLE ROW LEVEL SECURITY;
CREATE POLICY "admins read self" ON public.admins FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE FUNCTION public.is_admin(p uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT EXISTS (SELECT 1 FROM public.admins WHERE user_id = p) $$;
CREATE TABLE public.system_alarms (id int PRIMARY KEY, title text);
ALTER TABLE public.system_alarms ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Admins manage alarms" ON public.system_alarms FOR ALL TO authenticated USING (public.is_admin((select auth.uid())));
`;
  const sweep = `DROP FUNCTION IF EXISTS public.is_admin(uuid) CASCADE;
CREATE FUNCTION public.is_admin(p_user_id uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT EXISTS (SELECT 1 FROM public.admins a WHERE a.user_id = p_user_id) $$;
`;
  const files = [
    { file: 'supabase/migrations/20251015132119_alarms.sql', text: first },
    { file: 'supabase/migrations/20260127133959_sweep.sql', text: sweep },
  ];
  const mine = lintFiles(files, ID).mine.filter((f) => f.message.startsWith('public.system_alarms'));
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /Its policy "Admins manage alarms" \(20251015132119_alarms\.sql:8\) calls public\.is_admin\(\), which DROP FUNCTION … CASCADE at 20260127133959_sweep\.sql:1 dropped/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(first);
    await q(`INSERT INTO public.admins VALUES ('${TENANT_A}'); INSERT INTO public.system_alarms VALUES (1, 'disk full'); GRANT SELECT ON public.system_alarms, public.admins TO authenticated`);
    const read = async () => {
      await q(`${actAs(TENANT_A)} SET ROLE authenticated`);
      const n = await count(q, 'public.system_alarms');
      await q('RESET ROLE');
      return n;
    };
    assert.equal(await read(), 1, 'before: the admin reads the alarm');
    await q(sweep);
    assert.deepEqual(await q(`SELECT policyname FROM pg_policies WHERE tablename = 'system_alarms'`), []);
    assert.equal(await read(), 0, 'after: no policy, nothing');
  });
});
