// policy-applies-to-public on PostgreSQL (PGlite): a policy without TO is a policy TO PUBLIC
// (pg_policies shows {public}), so a role created later gets the rows it admits; with
// TO authenticated only that role does.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, count, getDb, inRollback, tryQuery, type Q } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintDocExample, lintFiles, sqlOf, TENANT_A, TENANT_B, textAt } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL, onSupabase, STORAGE_STUB_SQL } from '../helpers/supabase.js';

const ID = 'policy-applies-to-public';
before(initParser);
after(closeAll);

async function comments(q: Q, sql: string): Promise<void> {
  await q(AUTH_STUB_SQL);
  await q(sql);
  await q(`INSERT INTO comments VALUES (1, '${TENANT_A}', 'a'), (2, '${TENANT_B}', 'b');
    CREATE ROLE later_role NOLOGIN;
    GRANT SELECT ON comments TO authenticated, later_role`);
  await q(actAs(TENANT_A));
}

async function seen(q: Q, role: string): Promise<number> {
  await q(`SET ROLE ${role}`);
  const n = await count(q, 'comments');
  await q('RESET ROLE');
  return n;
}

for (const n of [0, 1]) {
  test(`err: ${n === 0 ? 'no TO clause' : 'TO PUBLIC'}: the policy is for {public}, a role created later gets rows; fixed: only authenticated`, async () => {
    const { ws, finding } = invalidFinding(ID, n);
    assert.equal(textAt(ws, finding), 'comments_own');
    const db = await getDb();
    await inRollback(db, async (q) => {
      await comments(q, sqlOf(ws));
      assert.deepEqual(await q(`SELECT roles::text[] AS roles FROM pg_policies WHERE policyname = 'comments_own'`), [{ roles: ['public'] }]);
      assert.equal(await seen(q, 'later_role'), 1);
      assert.equal(await seen(q, 'authenticated'), 1);
    });
    const fixed = applyFix(ws, finding);
    assert.match(sqlOf(fixed), /FOR SELECT\s+TO authenticated\s+USING/);
    assert.equal(findingsOf(fixed, ID).length, 0);
    await inRollback(db, async (q) => {
      await comments(q, sqlOf(fixed));
      assert.equal(await seen(q, 'later_role'), 0, 'no policy applies to it any more');
      assert.equal(await seen(q, 'authenticated'), 1);
    });
  });
}

test('err: a policy on a table the migrations do not create (storage.objects) is reported and fixable', () => {
  const { ws, finding } = invalidFinding(ID, 2);
  assert.match(sqlOf(applyFix(ws, finding)), /FOR SELECT TO authenticated USING \(bucket_id = 'avatars'\)/);
});

test('err: the message names anon only where the workspace has it (fg-core: a tenant policy without TO, no Supabase)', () => {
  const sql = `CREATE TABLE docs (id int, tenant_id text);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY docs_tenant ON docs USING (tenant_id = (select current_setting('app.tenant_id', true)));`;
  const plain = lintFiles([{ file: 'migrations/0001_docs.sql', text: sql }], 'policy-applies-to-public').mine;
  assert.equal(plain.length, 1);
  assert.match(plain[0]!.message, /every role — including any role created later — that has a grant/);
  // (no role in sight: not Supabase's authenticated, which this project does not have; Prisma's example)
  assert.match(plain[0]!.message, /Name the roles that need it with TO \(e\.g\. TO the role your application connects as\)\./);
  const postgrest = lintFiles([{ file: 'migrations/0001_docs.sql', text: `CREATE ROLE anon NOLOGIN;\n${sql}` }], 'policy-applies-to-public').mine;
  assert.match(postgrest[0]!.message, /including anon and any role created later/);
  const supabase = lintFiles([{ file: 'supabase/migrations/0001_docs.sql', text: sql }], 'policy-applies-to-public').mine;
  assert.match(supabase[0]!.message, /including Supabase's anon and any role created later/);
  // a PostgREST project with its own auth.uid() (statbus: anon made by its init-db.sh): anon, not Supabase's
  const granted = lintFiles([{ file: 'migrations/0001_docs.sql', text: `CREATE SCHEMA auth;\nCREATE FUNCTION auth.uid() RETURNS integer LANGUAGE sql STABLE AS 'SELECT 1';\n${sql}` }], 'policy-applies-to-public').mine;
  assert.match(granted[0]!.message, /including anon and any role created later/);
});

// Calibration cal202 (konstruct: its migrations in supabase/0NN_x.sql, not supabase/migrations/,
// no auth.uid() anywhere, every policy USING (true) for PUBLIC, a public bucket for its blog media).
test("err: a workspace using Supabase Storage (storage.buckets, storage.objects by bucket_id) targets Supabase without a supabase/migrations/ folder or an auth call: the message names anon, who reads the rows with the project's public key (PGlite)", async () => {
  const users = {
    file: 'supabase/001_users.sql',
    text: `-- « пользователи » 日本語 😀
CREATE TABLE public.users (id uuid PRIMARY KEY, email text NOT NULL);
ALTER TABLE public.users ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Allow read" ON public.users FOR SELECT USING (true);
`,
  };
  const storage = {
    file: 'supabase/008_blog_storage.sql',
    text: `insert into storage.buckets (id, name, public) values ('blog-media', 'blog-media', true) on conflict (id) do update set public = true;
create policy "Allow read blog-media" on storage.objects for select to authenticated using (bucket_id = 'blog-media');
`,
  };
  const alone = lintFiles([users], ID).mine;
  assert.equal(alone.length, 1);
  assert.match(alone[0]!.message, /every role — including any role created later — that has a grant/);
  const both = lintFiles([users, storage], ID).mine;
  assert.equal(both.length, 1);
  assert.match(both[0]!.message, /including anon and any role created later/);
  assert.match(both[0]!.message, /e\.g\. TO authenticated/);
  // storage.objects alone, by bucket: the same; a schema storage of the project's own with no bucket: not Supabase
  const objects = { ...storage, text: storage.text.slice(storage.text.indexOf('create policy')) };
  assert.match(lintFiles([users, objects], ID).mine[0]!.message, /including anon and/);
  const own = { file: 'supabase/008_files.sql', text: 'CREATE SCHEMA storage;\nCREATE TABLE storage.objects (id int PRIMARY KEY, path text);\n' };
  assert.match(lintFiles([users, own], ID).mine[0]!.message, /including any role created later/);
  await inRollback(await getDb(), async (q) => {
    await q(STORAGE_STUB_SQL);
    await onSupabase(q, users.text + storage.text);
    await q(`INSERT INTO public.users VALUES ('${TENANT_A}', 'a@example.com')`);
    // the public anon key: no sign-in, every row
    await q('SET ROLE anon');
    assert.equal(await count(q, 'public.users'), 1);
    await q('RESET ROLE');
  });
});

test('ok: a policy TO PUBLIC with neither USING nor WITH CHECK admits nothing: no row, no insert, for any role (not reported)', async () => {
  const { ws, mine } = lintDocExample(ID, 'valid', 1);
  assert.equal(mine.length, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await comments(q, sqlOf(ws));
    await q('GRANT INSERT ON comments TO later_role');
    assert.deepEqual(await q(`SELECT roles::text[] AS roles FROM pg_policies WHERE policyname = 'comments_all'`), [{ roles: ['public'] }]);
    assert.equal(await seen(q, 'later_role'), 0);
    assert.equal(await seen(q, 'authenticated'), 0);
    await q('SET ROLE later_role');
    await assert.rejects(q(`INSERT INTO comments VALUES (3, '${TENANT_A}', 'c')`), /42501|row-level security/);
  });
});

test("ok: outside Supabase the fix and the message name the role the workspace's policies use (app_user), not Supabase's authenticated", () => {
  const sql =
    'CREATE ROLE app_user;\nCREATE TABLE notes (id int PRIMARY KEY, tenant_id uuid NOT NULL);\nALTER TABLE notes ENABLE ROW LEVEL SECURITY;\nALTER TABLE notes FORCE ROW LEVEL SECURITY;\n' +
    "CREATE POLICY notes_tenant ON notes FOR SELECT TO app_user USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);\n" +
    "CREATE POLICY notes_write ON notes FOR INSERT WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);\n";
  const { ws, mine, findings } = lintFiles([{ file: '1.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /\(e\.g\. TO app_user\)\.$/);
  const fixed = applyFix(ws, mine[0]!);
  assert.match(sqlOf(fixed), /CREATE POLICY notes_write ON notes FOR INSERT TO app_user WITH CHECK/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  // (rls-not-forced: no Supabase roles in its "only non-owner roles query it" either)
  const notForced = lintFiles([{ file: '1.sql', text: sql.replace('ALTER TABLE notes FORCE ROW LEVEL SECURITY;\n', '') }], 'rls-not-forced').mine;
  assert.equal(notForced.length, 1);
  assert.doesNotMatch(notForced[0]!.message, /anon|authenticated/);
  assert.ok(findings.length >= 1);
});

test("ok: the fix names the roles the table grants the policy's command to (maevsi: vibetype_account, vibetype_anonymous), not the workspace's usual role", () => {
  const sql = `CREATE ROLE vibetype_account;
CREATE ROLE vibetype_anonymous;
CREATE ROLE service_worker;
CREATE TABLE account (id uuid PRIMARY KEY, username text);
ALTER TABLE account ENABLE ROW LEVEL SECURITY;
ALTER TABLE account FORCE ROW LEVEL SECURITY;
GRANT SELECT ON TABLE account TO vibetype_account, vibetype_anonymous;
CREATE TABLE jobs (id int PRIMARY KEY);
ALTER TABLE jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE jobs FORCE ROW LEVEL SECURITY;
CREATE POLICY jobs_a ON jobs TO service_worker USING (true);
CREATE POLICY jobs_b ON jobs TO service_worker USING (id > 0);
CREATE POLICY account_select ON account FOR SELECT USING (true);
`;
  const { ws, mine } = lintFiles([{ file: '1.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /\(e\.g\. TO vibetype_account, vibetype_anonymous\)\.$/);
  const fixed = applyFix(ws, mine[0]!);
  assert.match(sqlOf(fixed), /CREATE POLICY account_select ON account FOR SELECT TO vibetype_account, vibetype_anonymous USING \(true\)/);
  assert.equal(findingsOf(fixed, ID).length, 0);
});

test("ok: a policy written on a table the migrations moved away with ALTER TABLE … SET SCHEMA (Solara's public.app_admins, archived) is rejected with 42P01 and never exists: no rule reports on it", async () => {
  const text = `CREATE SCHEMA archive;
CREATE TABLE public.app_admins (user_id uuid PRIMARY KEY);
ALTER TABLE public.app_admins SET SCHEMA archive;
CREATE POLICY p ON public.app_admins FOR ALL USING (auth.role() = 'service_role');
`;
  const { findings } = lintFiles([{ file: 'supabase/migrations/20260101000000_a.sql', text }], ID);
  assert.deepEqual(findings.map((f) => f.rule), []);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(text.slice(0, text.indexOf('CREATE POLICY')));
    const r = await tryQuery(q, text.slice(text.indexOf('CREATE POLICY')));
    assert.equal(r.ok ? 'created' : r.error.code, '42P01');
  });
});

// Calibration (rakansens/Deeptrader: Japanese policy names longer than 63 bytes): PostgreSQL keeps
// a name's first 63 bytes (21 such characters), so the parse tree's name is shorter than the one
// written; the finding covers the name as written, closing quote included, not its first 21
// characters, and the message names the policy as PostgreSQL stores it (PGlite's pg_policies).
// A doubled quote inside a quoted name ("Owner""s rows") is one character of the name.
test('err: a policy name PostgreSQL truncates to 63 bytes, or with a doubled quote: the finding covers the whole written name', async () => {
  const long = 'ユーザーは自分のプロフィールのみ読み取り可能';
  const stored = long.slice(0, 21);
  const text = `CREATE TABLE profiles (id uuid PRIMARY KEY);\nALTER TABLE profiles ENABLE ROW LEVEL SECURITY;\n-- 😀\nCREATE POLICY "${long}" ON profiles FOR SELECT USING (true);\nCREATE POLICY "Owner""s rows" ON profiles FOR SELECT USING (true);\n`;
  const { mine } = lintFiles([{ file: 'm.sql', text }], ID);
  assert.deepEqual(mine.map((f) => text.slice(f.start, f.end)), [`"${long}"`, '"Owner""s rows"']);
  assert.match(mine[0]!.message, new RegExp(`^Policy "${stored}" on public\\.profiles`));
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(text);
    assert.deepEqual((await q(`SELECT policyname FROM pg_policies WHERE tablename = 'profiles' ORDER BY policyname`)).map((r) => r.policyname), ['Owner"s rows', stored].sort());
  });
});

test("fix: a loop's policy made from a format() pattern of adjacent literals (owieschon/ultra-csm's `'CREATE POLICY tenant_isolation ON %s ' 'USING (…) ' 'WITH CHECK (…)'`): the TO is written inside the literal its place is in, never across two; re-linted clean; PGlite: each table's policy is for app_runtime after, PUBLIC before", async () => {
  const text = `CREATE TABLE public.part (tenant_id uuid);
CREATE TABLE public.contact (tenant_id uuid);
CREATE ROLE app_runtime;
GRANT SELECT ON public.part, public.contact TO app_runtime;
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['part', 'contact'] LOOP
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON %s '
      'USING (tenant_id = nullif(current_setting(''app.tenant_id'', true), '''')::uuid) '
      'WITH CHECK (tenant_id = nullif(current_setting(''app.tenant_id'', true), '''')::uuid)', t);
  END LOOP;
END $$;
`;
  const { ws, mine } = lintFiles([{ file: 'migrations/001.sql', text }], ID);
  assert.equal(mine.length, 2);
  const fixed = applyFix(ws, mine[0]!);
  assert.ok(sqlOf(fixed).includes("\n      'CREATE POLICY tenant_isolation ON %s '\n      ' TO app_runtime USING (tenant_id"), sqlOf(fixed));
  assert.deepEqual(findingsOf(fixed, ID), []);
  assert.deepEqual(findingsOf(fixed, 'syntax-error'), []);
  const roles = async (sql: string) =>
    inRollback(await getDb(), async (q) => {
      await q(`DO $r$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app_runtime') THEN CREATE ROLE app_runtime; END IF; END $r$`);
      await q(sql.replace('CREATE ROLE app_runtime;', ''));
      return (await q(`SELECT tablename, roles::text[] AS roles FROM pg_policies WHERE policyname = 'tenant_isolation' ORDER BY 1`)).map((r) => `${r.tablename}: ${r.roles}`);
    });
  assert.deepEqual(await roles(sqlOf(ws)), ['contact: public', 'part: public']);
  assert.deepEqual(await roles(sqlOf(fixed)), ['contact: app_runtime', 'part: app_runtime']);
});
