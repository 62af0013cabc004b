// rls-not-forced on PostgreSQL (PGlite): with ENABLE and no FORCE, the (non-superuser) table
// owner sees every row (T13); after the FORCE fix the owner, who has no policy, sees 0 (T13b).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { affected, asOwner, closeAll, count, getDb, inRollback, tryQuery, type Q } from '../helpers/pg.js';
import { mergeConfig } from '../../server/src/analysis/config.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintDocExample, lintFiles, sqlOf, TENANT_A, TENANT_B, textAt } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';
import { pglofiTrigger } from '../helpers/sql-fixtures.js';

const ID = 'rls-not-forced';
before(initParser);
after(closeAll);

async function documents(q: Q, sql: string, owner = 'app_owner'): Promise<void> {
  await q(AUTH_STUB_SQL);
  await asOwner(q, sql, owner);
  await q(`INSERT INTO documents VALUES (1, '${TENANT_A}'), (2, '${TENANT_B}'), (3, '${TENANT_B}'); GRANT SELECT ON documents TO authenticated, bypass_owner`);
  await q(actAs(TENANT_A));
}

async function seen(q: Q, role: string): Promise<number> {
  await q(`SET ROLE ${role}`);
  const n = await count(q, 'documents');
  await q('RESET ROLE');
  return n;
}

test('err: ENABLE without FORCE: the owner sees all 3 rows (T13), authenticated its 1; FORCE: the owner 0 (T13b)', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'documents');
  assert.match(finding.message, /\(T13\)/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await documents(q, sqlOf(ws));
    assert.equal(await seen(q, 'app_owner'), 3);
    assert.equal(await seen(q, 'authenticated'), 1);
  });
  const fixed = applyFix(ws, finding);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(db, async (q) => {
    await documents(q, sqlOf(fixed));
    assert.equal(await seen(q, 'app_owner'), 0);
    assert.equal(await seen(q, 'authenticated'), 1);
    assert.equal(await seen(q, 'bypass_owner'), 3, 'a BYPASSRLS role bypasses RLS even when forced (as the message says)');
  });
});

// Calibration (nextbase, nuxt-supabase-starter): in a Supabase layout the tables are owned by
// postgres, which has BYPASSRLS, and FORCE changes nothing for such an owner.
test('ok: an owner that bypasses RLS (Supabase layout: postgres) sees every row with or without FORCE, so no finding', async () => {
  const { ws, mine } = lintDocExample(ID, 'valid', 2);
  assert.match(ws.files()[0]!, /^supabase\/migrations\//);
  assert.equal(mine.length, 0);
  const db = await getDb();
  const sql = sqlOf(ws);
  for (const forced of [false, true]) {
    await inRollback(db, async (q) => {
      await documents(q, forced ? `${sql};\nALTER TABLE documents FORCE ROW LEVEL SECURITY;` : sql, 'bypass_owner');
      assert.equal(await seen(q, 'bypass_owner'), 3, `the BYPASSRLS owner sees every row${forced ? ' even when forced' : ''}`);
      assert.equal(await seen(q, 'authenticated'), 1);
    });
  }
});

test('ok/err: the owner the workspace shows decides; unknown owners follow definerOwnerBypassesRls', () => {
  const table = 'CREATE TABLE documents (id bigint PRIMARY KEY);\nALTER TABLE documents ENABLE ROW LEVEL SECURITY;\nCREATE POLICY p ON documents FOR SELECT USING (true);\n';
  const supa = (text: string, config?: Parameters<typeof mergeConfig>[0]) =>
    lintFiles([{ file: 'supabase/migrations/1_documents.sql', text }], ID, config ? mergeConfig(config) : undefined).mine.length;
  const plain = (text: string) => lintFiles([{ file: 'migrations/1_documents.sql', text }], ID).mine.length;
  assert.equal(supa(table), 0, 'Supabase layout: owned by postgres (BYPASSRLS)');
  assert.equal(supa(`${table}ALTER TABLE documents OWNER TO postgres;`), 0, 'postgres shown as the owner');
  assert.equal(supa(`CREATE ROLE app_owner;\n${table}ALTER TABLE documents OWNER TO app_owner;`), 1, 'an ordinary owner in a Supabase layout');
  assert.equal(supa(table, { definerOwnerBypassesRls: 'false' }), 1, 'setting false: the migration role is not assumed to bypass');
  assert.equal(plain(table), 1, 'elsewhere the owner is not known to bypass');
  assert.equal(plain(`CREATE ROLE svc BYPASSRLS;\n${table}ALTER TABLE documents OWNER TO svc;`), 0, 'a BYPASSRLS owner shown in the workspace');
  assert.equal(plain(`CREATE ROLE app_owner;\n${table}ALTER TABLE documents OWNER TO app_owner;`), 1);
});

// Calibration (cal205 roomah's docs/schema.sql, cal206 pajamasweb-freelance's docs/database/):
// migrations using Supabase's auth.uid() outside a supabase/ folder. Run on Supabase as postgres
// (BYPASSRLS), FORCE changes nothing for the owner: the finding stands (the setting's auto is the
// layout's), and says so, with the setting that states it.
test('err (message): Supabase used outside a supabase/ folder: the note on postgres (BYPASSRLS) and definerOwnerBypassesRls; the setting silences it; none elsewhere', async () => {
  const table = 'CREATE TABLE documents (id bigint PRIMARY KEY, owner_id uuid NOT NULL);\nALTER TABLE documents ENABLE ROW LEVEL SECURITY;\nCREATE POLICY p ON documents FOR SELECT TO authenticated USING (owner_id = (select auth.uid()));\n';
  const lint = (file: string, text: string, config?: Parameters<typeof mergeConfig>[0]) => lintFiles([{ file, text }], ID, config ? mergeConfig(config) : undefined).mine;
  const [f] = lint('docs/database/1_documents.sql', table);
  assert.match(f!.message, /These migrations use Supabase \(its auth functions or Storage\) outside a supabase\/ folder: run on Supabase as its postgres role \(as the Supabase CLI and the SQL editor run them\), the tables they make are owned by postgres, which has BYPASSRLS, and FORCE changes nothing for it\. If so, set definerOwnerBypassesRls to true in \.pg-rls-lint\.json/);
  assert.deepEqual(lint('docs/database/1_documents.sql', table, { definerOwnerBypassesRls: 'true' }), [], 'the setting the note names');
  assert.deepEqual(lint('supabase/migrations/1_documents.sql', table), [], 'the layout assumes it');
  const other = lint('migrations/1_documents.sql', table.replace('(select auth.uid())', "(select nullif(current_setting('app.user_id', true), '')::uuid)"));
  assert.equal(other.length, 1);
  assert.doesNotMatch(other[0]!.message, /outside a supabase\//, 'not a Supabase project');
  assert.doesNotMatch(lint('docs/database/1_documents.sql', `CREATE ROLE app_owner;\n${table}ALTER TABLE documents OWNER TO app_owner;`)[0]!.message, /outside a supabase\//, 'an owner the workspace shows');
  // (what the note says: an owner with BYPASSRLS sees every row, FORCE'd or not)
  await inRollback(await getDb(), async (q) => {
    await documents(q, `${table}ALTER TABLE documents FORCE ROW LEVEL SECURITY;`, 'bypass_owner');
    assert.equal(await seen(q, 'bypass_owner'), 3);
  });
});

// Calibration (shelf.nu): tables with RLS on and no policy at all, read by the owner only. FORCE
// would not close a hole there: it would leave the owner no row either.
test('ok: a service-only table (RLS on, no policy): the owner is its only reader, FORCE would leave it 0 rows, so no finding', async () => {
  const { ws, mine } = lintDocExample(ID, 'valid', 4);
  assert.equal(mine.length, 0);
  const db = await getDb();
  const sql = sqlOf(ws);
  for (const forced of [false, true]) {
    await inRollback(db, async (q) => {
      await asOwner(q, forced ? `${sql};\nALTER TABLE job_queue FORCE ROW LEVEL SECURITY;` : sql, 'app_owner');
      await q(`INSERT INTO job_queue VALUES (1, '{}'), (2, '{}'); GRANT SELECT ON job_queue TO authenticated`);
      await q('SET ROLE app_owner');
      assert.equal(await count(q, 'job_queue'), forced ? 0 : 2, forced ? 'forced: the owner sees no row' : 'the owner sees every row');
      await q('SET ROLE authenticated');
      assert.equal(await count(q, 'job_queue'), 0, 'no policy: other roles see none');
      await q('RESET ROLE');
    });
  }
});

test('ok (fix): after ALTER TABLE … RENAME, the FORCE the fix adds names the table by its new name, and runs', async () => {
  const sql = [
    'CREATE TABLE docs (id bigint PRIMARY KEY, owner_id uuid);',
    'ALTER TABLE docs RENAME TO documents;',
    'ALTER TABLE documents ENABLE ROW LEVEL SECURITY;',
    'CREATE POLICY documents_read ON documents FOR SELECT USING (true);',
    '',
  ].join('\n');
  const { ws, mine } = lintFiles([{ file: '1.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /Add ALTER TABLE documents FORCE ROW LEVEL SECURITY/);
  const fixed = applyFix(ws, mine[0]!);
  assert.match(sqlOf(fixed), /ALTER TABLE documents ENABLE ROW LEVEL SECURITY;\nALTER TABLE documents FORCE ROW LEVEL SECURITY;/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(sqlOf(fixed));
    assert.deepEqual(await q(`SELECT relforcerowsecurity AS f FROM pg_class WHERE relname = 'documents'`), [{ f: true }]);
  });
});

test("ok: in a Supabase project, a platform table a full dump re-creates (storage.objects, owned by supabase_storage_admin) is not the project's to force: not reported", () => {
  const dump = `-- « naïve » 日本語 😀
CREATE SCHEMA IF NOT EXISTS storage;
CREATE TABLE storage.objects (id uuid NOT NULL, bucket_id text, name text, owner uuid);
ALTER TABLE storage.objects OWNER TO supabase_storage_admin;
ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY;
CREATE POLICY "own files" ON storage.objects FOR SELECT TO authenticated USING (owner = (select auth.uid()));`;
  const files = [
    { file: 'supabase/backup.sql', text: dump },
    { file: 'supabase/migrations/20250101000000_notes.sql', text: 'CREATE TABLE public.notes (id bigint PRIMARY KEY);' },
  ];
  assert.deepEqual(lintFiles(files, ID).mine, []);
  // (a project's own schema named storage, outside a Supabase project: reported)
  assert.equal(lintFiles([{ file: 'db/1.sql', text: dump }], ID).mine.length, 1);
});

// Calibration cal28 (ib3g/Hoxtup): the tenant policies of most tables are made by a DO block,
// EXECUTE format('CREATE POLICY … ON %I …') in a FOREACH over their names. The non-superuser
// owner the app connects as bypasses them as it does a written policy. (Hoxtup's array, declared
// with its names and never assigned, is a literal loop the replay follows: its policies are the
// model's, below; one assigned in the body is dynamic SQL the replay cannot follow.)
test('err: policies made only by dynamic SQL (a DO block over the tables named): the owner still sees every row; the fix is offered as unsafe', async () => {
  const sql = `-- « naïve » 日本語 😀
CREATE TABLE member (id text PRIMARY KEY, organization_id text NOT NULL);
ALTER TABLE member ENABLE ROW LEVEL SECURITY;
DO $$
DECLARE
  table_name text;
  tables text[];
BEGIN
  tables := ARRAY['member'];
  FOREACH table_name IN ARRAY tables LOOP
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (organization_id = current_setting(''app.tenant_id'', true))', table_name);
  END LOOP;
END
$$;
`;
  const { ws, mine } = lintFiles([{ file: 'migrations/1_member.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'member');
  assert.match(mine[0]!.message, /dynamic SQL .* creates for it with EXECUTE/);
  assert.match(mine[0]!.message, /\(T13b\)/);
  assert.equal(mine[0]!.fixes[0]!.kind, 'unsafe', 'were there no policy, FORCE would leave the owner no row');
  const seenBy = async (q: Q, role: string, tenant: string) => {
    await q(`SET ROLE ${role}`);
    await q(`SELECT set_config('app.tenant_id', '${tenant}', true)`);
    const n = await count(q, 'member');
    await q('RESET ROLE');
    return n;
  };
  const db = await getDb();
  await inRollback(db, async (q) => {
    await asOwner(q, sqlOf(ws));
    await q(`INSERT INTO member VALUES ('m1', 'A'), ('m2', 'B')`);
    assert.deepEqual(await q(`SELECT polname FROM pg_policy WHERE polrelid = 'member'::regclass`), [{ polname: 'tenant_isolation' }]);
    assert.equal(await seenBy(q, 'app_owner', 'A'), 2, "the owner sees tenant B's row too (T13)");
  });
  const fixed = applyFix(ws, mine[0]!);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(db, async (q) => {
    await asOwner(q, sqlOf(fixed));
    await q(`INSERT INTO member VALUES ('m1', 'A'), ('m2', 'B')`);
    assert.equal(await seenBy(q, 'app_owner', 'A'), 1, 'forced: the owner sees its tenant only');
  });
  // (Hoxtup's form: the loop's policy replayed, the finding is the one of a written policy)
  const literal = sql.replace("  tables text[];\nBEGIN\n  tables := ARRAY['member'];\n", () => "  tables text[] := ARRAY['member'];\nBEGIN\n");
  assert.notEqual(literal, sql);
  const known = lintFiles([{ file: 'migrations/1_member.sql', text: literal }], ID).mine;
  const written = lintFiles([{ file: 'migrations/1_member.sql', text: literal.replace(/DO \$\$[\s\S]*\$\$;\n/, () => "CREATE POLICY tenant_isolation ON member USING (organization_id = current_setting('app.tenant_id', true));\n") }], ID).mine;
  assert.equal(written.length, 1);
  assert.deepEqual(known.map((f) => [f.message, f.fixes.map((x) => x.kind)]), written.map((f) => [f.message, f.fixes.map((x) => x.kind)]));
});

// Calibration (cryoprotect's has_role()): a policy of the table calls a SECURITY DEFINER helper that
// reads the same table, owned by the role that ran the migrations (no BYPASSRLS shown). FORCE applies
// the policies to that owner's read too: here none applies to it, so the helper sees no rows and the
// admin loses the rows the helper gave (T06b). --fix added the FORCE and the lint then reported
// definer-helper-under-force-rls; the FORCE is now the editor's only, and the message says why.
const HELPER_SQL = `CREATE TABLE user_roles (user_id uuid NOT NULL, role text NOT NULL);
CREATE FUNCTION has_role(p_user uuid, p_role text) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  RETURN EXISTS (SELECT 1 FROM public.user_roles WHERE user_id = p_user AND role = p_role);
END $$;
ALTER TABLE user_roles ENABLE ROW LEVEL SECURITY;
CREATE POLICY user_roles_read ON user_roles FOR SELECT TO authenticated
  USING (user_id = (select auth.uid()) OR has_role((select auth.uid()), 'admin'));
`;

test('err (fix unsafe): FORCE would filter the read of a definer helper its policies call (owner not shown to bypass RLS): the admin sees 2 rows, after FORCE 1 (T06b, PGlite)', async () => {
  const { ws, mine } = lintFiles([{ file: 'migrations/011_rbac.sql', text: HELPER_SQL }], ID);
  assert.equal(mine.length, 1);
  const finding = mine[0]!;
  assert.match(finding.message, /But policy "user_roles_read" calls has_role\(\), a SECURITY DEFINER function that reads public\.user_roles/);
  assert.match(finding.message, /\(T06b\)/);
  assert.deepEqual(finding.fixes.map((f) => f.kind), ['unsafe'], '--fix leaves it alone');
  const forced = applyFix(ws, finding);
  assert.equal(findingsOf(forced, 'definer-helper-under-force-rls').length, 1, 'what the FORCE would bring');
  const adminSees = async (sql: string) =>
    inRollback(await getDb(), async (q) => {
      await q(AUTH_STUB_SQL);
      await asOwner(q, sql);
      await q(`INSERT INTO user_roles VALUES ('${TENANT_A}', 'admin'), ('${TENANT_B}', 'member'); GRANT SELECT ON user_roles TO authenticated`);
      await q(actAs(TENANT_A));
      await q('SET ROLE authenticated');
      const n = await count(q, 'user_roles');
      await q('RESET ROLE');
      return n;
    });
  assert.equal(await adminSees(HELPER_SQL), 2, 'without FORCE the helper, run as the owner, sees the admin row');
  assert.equal(await adminSees(sqlOf(forced)), 1, 'with FORCE its read is filtered: no policy applies to the owner, it answers false (T06b)');
});

test('ok (fix safe): the same helper owned by a BYPASSRLS role: FORCE changes nothing for it (PGlite: 2 rows either way)', async () => {
  const owned = `${HELPER_SQL}CREATE ROLE helper_owner NOLOGIN BYPASSRLS;\nALTER FUNCTION has_role(uuid, text) OWNER TO helper_owner;\n`;
  const { ws, mine } = lintFiles([{ file: 'migrations/011_rbac.sql', text: owned }], ID);
  assert.equal(mine.length, 1);
  assert.doesNotMatch(mine[0]!.message, /has_role/);
  assert.deepEqual(mine[0]!.fixes.map((f) => f.kind), ['safe']);
  const forced = applyFix(ws, mine[0]!);
  assert.equal(findingsOf(forced, 'definer-helper-under-force-rls').length, 0);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await asOwner(q, HELPER_SQL + 'ALTER TABLE user_roles FORCE ROW LEVEL SECURITY;');
    await q(`GRANT SELECT ON user_roles TO bypass_owner; ALTER FUNCTION has_role(uuid, text) OWNER TO bypass_owner`);
    await q(`INSERT INTO user_roles VALUES ('${TENANT_A}', 'admin'), ('${TENANT_B}', 'member'); GRANT SELECT ON user_roles TO authenticated`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'user_roles'), 2);
    await q('RESET ROLE');
  });
});

// Calibration fix101 (regen-server): the table is enabled as party and renamed account later; the
// fix inserts FORCE right after the ENABLE, where its name is party: the message said only "Add
// ALTER TABLE public.party FORCE" on a finding about public.account.
test('err (message): a table enabled before a RENAME: the message says where the FORCE goes and that the table is still named so there; the fix applied runs on PGlite and forces the renamed table', async () => {
  const sql = `-- « naïve » 日本語 😀
CREATE TABLE public.party (id int PRIMARY KEY, owner text);
ALTER TABLE public.party ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON public.party USING (owner = current_user);
ALTER TABLE public.party RENAME TO account;
`;
  const { ws, mine } = lintFiles([{ file: 'db/1.sql', text: sql }], 'rls-not-forced');
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^Row-level security on public\.account is enabled but not forced/);
  assert.match(mine[0]!.message, /Add ALTER TABLE public\.party FORCE ROW LEVEL SECURITY right after its ENABLE at 1\.sql:3, where it is still named public\.party \(it is renamed account later\)\./);
  const fixed = applyFix(ws, mine[0]!);
  assert.equal(findingsOf(fixed, 'rls-not-forced').length, 0);
  await inRollback(await getDb(), async (q) => {
    await q(sqlOf(fixed));
    assert.deepEqual(await q(`SELECT relforcerowsecurity AS f FROM pg_class WHERE relname = 'account'`), [{ f: true }]);
  });
});

// Calibration cal161 (mdluo/graphile-next-example): app_public.users' UPDATE policy calls
// current_user_id(), a SECURITY DEFINER function reading app_public.users, and the table has
// `select_all … FOR SELECT USING (true)` for PUBLIC. The message said FORCE would make the helper
// recurse (54001) or see no rows (T06b), and offered FORCE as unsafe only: under FORCE the owner's
// read inside the helper gets the policy for PUBLIC, USING (true) — every row, nothing called again.
const GRAPHILE_SQL = `
CREATE TABLE users (id uuid PRIMARY KEY, name text);
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION current_user_id() RETURNS uuid AS $$
  SELECT id FROM public.users WHERE id = (SELECT nullif(pg_catalog.current_setting('jwt.claims.user_id', true), '')::uuid);
$$ LANGUAGE sql STABLE SECURITY DEFINER SET search_path TO pg_catalog, public, pg_temp;
CREATE POLICY select_all ON users FOR SELECT USING (true);
CREATE POLICY update_self ON users FOR UPDATE USING (id = current_user_id());
GRANT SELECT ON users TO authenticated;
GRANT UPDATE (name) ON users TO authenticated;
`;

test('ok (fix safe): the helper reads a table whose SELECT policy for PUBLIC is USING (true): FORCE leaves its read whole, no note (PGlite: the UPDATE updates the caller\'s row, forced or not)', async () => {
  const { ws, mine } = lintFiles([{ file: 'migrations/committed/000001.sql', text: GRAPHILE_SQL }], ID);
  assert.equal(mine.length, 1);
  assert.doesNotMatch(mine[0]!.message, /current_user_id|54001|T06b/);
  assert.deepEqual(mine[0]!.fixes.map((f) => f.kind), ['safe']);
  const forced = applyFix(ws, mine[0]!);
  assert.match(sqlOf(forced), /FORCE ROW LEVEL SECURITY/);
  assert.equal(findingsOf(forced, 'definer-helper-under-force-rls').length, 0);
  // the policy for the SELECT made TO authenticated only: the owner's read gets no policy, T06b
  const narrowed = GRAPHILE_SQL.replace('FOR SELECT USING (true)', 'FOR SELECT TO authenticated USING (true)');
  const n = lintFiles([{ file: 'migrations/committed/000001.sql', text: narrowed }], ID);
  assert.match(n.mine[0]!.message, /But policy "update_self" calls current_user_id\(\).*\(T06b\)/);
  const nForced = applyFix(n.ws, n.mine[0]!);
  assert.equal(findingsOf(nForced, 'definer-helper-under-force-rls').length, 1);
  // a RESTRICTIVE SELECT policy beside it may filter the owner's read: still said
  const restricted = `${GRAPHILE_SQL}CREATE POLICY hide ON users AS RESTRICTIVE FOR SELECT USING (name IS NOT NULL);\n`;
  assert.match(lintFiles([{ file: 'm.sql', text: restricted }], ID).mine[0]!.message, /But policy "update_self"/);

  const updated = async (sql: string) =>
    inRollback(await getDb(), async (q) => {
      await asOwner(q, sql);
      await q(`INSERT INTO users VALUES ('${TENANT_A}', 'a'), ('${TENANT_B}', 'b')`);
      await q(`SELECT set_config('jwt.claims.user_id', '${TENANT_A}', true)`);
      await q('SET ROLE authenticated');
      const n = await affected(q, `UPDATE users SET name = 'x' WHERE id IN ('${TENANT_A}', '${TENANT_B}')`);
      await q('RESET ROLE');
      return n;
    });
  assert.equal(await updated(GRAPHILE_SQL), 1, 'not forced: the caller updates its own row');
  assert.equal(await updated(sqlOf(forced)), 1, 'forced: the same, the helper sees every row through select_all');
  assert.equal(await updated(narrowed), 1);
  assert.equal(await updated(sqlOf(nForced)), 0, 'forced, no policy for the owner: the helper sees no row (T06b)');
});

test('fix: a table named through a Flyway placeholder (`${schema}.notes`) gets FORCE on that name, and forced it is (PGlite, the placeholder replaced as Flyway does)', async () => {
  const text = 'CREATE SCHEMA ${schema};\nCREATE TABLE ${schema}.notes (id int PRIMARY KEY, owner text);\nALTER TABLE ${schema}.notes ENABLE ROW LEVEL SECURITY;\nCREATE POLICY own ON ${schema}.notes USING (owner = current_user);\n';
  const { ws, mine } = lintFiles([{ file: 'db/migration/V1__init.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /Add ALTER TABLE \$\{schema\}\.notes FORCE ROW LEVEL SECURITY\./);
  const fixed = applyFix(ws, mine[0]!);
  const out = fixed.text('db/migration/V1__init.sql')!;
  assert.match(out, /\nALTER TABLE \$\{schema\}\.notes FORCE ROW LEVEL SECURITY;/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(await getDb(), async (q) => {
    await q(out.replaceAll('${schema}', 'flyway_app'));
    assert.equal((await q(`SELECT relforcerowsecurity AS f FROM pg_class WHERE oid = 'flyway_app.notes'::regclass`))[0]!.f, true);
  });
});

// Calibration (daveyplate/pglofi): handle_new_user(), a SECURITY DEFINER trigger function `after
// insert on public.users`, inserts into public.profiles, whose only INSERT policy is for
// authenticated, WITH CHECK (false). The FORCE fix was safe, --fix applied it, and the lint then
// reported definer-trigger-blocked-by-force-rls: with FORCE the owner's insert is checked against
// the policies, none admits it, and every INSERT into users fails (T07). The FORCE is now the
// editor's only, and the message says why.
const TRIGGER_SQL = pglofiTrigger(`ALTER TABLE profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY profiles_read ON profiles FOR SELECT TO authenticated USING (true);
CREATE POLICY profiles_no_insert ON profiles FOR INSERT TO authenticated WITH CHECK (false);
`);

test('err (fix unsafe): FORCE would make a definer trigger function\'s insert into the table fail (owner not shown to bypass RLS, no INSERT policy for it): the insert into users works, after FORCE 42501 (T07, PGlite); with a trigger-only INSERT policy it works again (T10)', async () => {
  const { ws, mine } = lintFiles([{ file: 'migrations/001_users.sql', text: TRIGGER_SQL }], ID);
  assert.equal(mine.length, 1);
  const finding = mine[0]!;
  assert.equal(textAt(ws, finding), 'profiles');
  assert.match(finding.message, /But SECURITY DEFINER trigger function public\.handle_new_user\(\) \(trigger on_user_created on public\.users\) inserts into public\.profiles, no INSERT policy of public\.profiles applies to its owner/);
  assert.match(finding.message, /fail with 42501 new row violates row-level security policy and abort each statement that fires the trigger \(T07\)/);
  assert.deepEqual(finding.fixes.map((f) => f.kind), ['unsafe'], '--fix leaves it alone');
  const forced = applyFix(ws, finding);
  assert.equal(findingsOf(forced, 'definer-trigger-blocked-by-force-rls').length, 1, 'what the FORCE would bring');
  const db = await getDb();
  const insertUser = (sql: string) =>
    inRollback(db, async (q) => {
      await asOwner(q, sql);
      const r = await tryQuery(q, "SET ROLE app_owner; INSERT INTO users VALUES (1, 'a')");
      await q('RESET ROLE');
      return r.ok ? 'ok' : `${r.error.code} ${r.error.message}`;
    });
  assert.equal(await insertUser(TRIGGER_SQL), 'ok', 'without FORCE the owner\'s insert bypasses the policies');
  assert.equal(await insertUser(sqlOf(forced)), '42501 new row violates row-level security policy for table "profiles"');
  const t10 = `${sqlOf(forced)}\nCREATE POLICY profiles_insert_from_trigger ON profiles FOR INSERT TO CURRENT_USER WITH CHECK (pg_trigger_depth() > 0);\n`;
  assert.equal(await insertUser(t10), 'ok');
  // the policy the message names first: then FORCE breaks nothing, and the fix is safe again
  const withPolicy = lintFiles([{ file: 'migrations/001_users.sql', text: `${TRIGGER_SQL}CREATE POLICY profiles_insert_from_trigger ON profiles FOR INSERT WITH CHECK (pg_trigger_depth() > 0);\n` }], ID).mine;
  assert.equal(withPolicy.length, 1);
  assert.doesNotMatch(withPolicy[0]!.message, /handle_new_user/);
  assert.deepEqual(withPolicy[0]!.fixes.map((f) => f.kind), ['safe']);
  // and so where the function's owner bypasses RLS
  const owned = lintFiles([{ file: 'migrations/001_users.sql', text: `${TRIGGER_SQL}CREATE ROLE fn_owner NOLOGIN BYPASSRLS;\nALTER FUNCTION handle_new_user() OWNER TO fn_owner;\n` }], ID).mine;
  assert.equal(owned.length, 1);
  assert.deepEqual(owned[0]!.fixes.map((f) => f.kind), ['safe']);
});

// The same across tables (saas-multitenant-template's shape): the policy on projects calls a
// definer reading org_members, whose policies are all for authenticated. FORCE on org_members
// would leave the helper's read no row, so the projects of A's org would vanish for A (T06b):
// the FORCE is the editor's only there too, and the message names the calling policy's table.
test('err (fix unsafe): FORCE would empty the read of a definer helper that policies of another table call: A sees 2 projects, after FORCE 0 (T06b, PGlite)', async () => {
  const sql = `CREATE TABLE org_members (org_id uuid NOT NULL, user_id uuid NOT NULL, PRIMARY KEY (org_id, user_id));
ALTER TABLE org_members ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON org_members TO authenticated;
CREATE POLICY org_members_self ON org_members FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE FUNCTION is_org_member(_org_id uuid) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  RETURN EXISTS (SELECT 1 FROM org_members WHERE org_id = _org_id AND user_id = (select auth.uid()));
END $$;
CREATE TABLE projects (id bigint PRIMARY KEY, org_id uuid NOT NULL);
ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
ALTER TABLE projects FORCE ROW LEVEL SECURITY;
GRANT SELECT ON projects TO authenticated;
CREATE POLICY projects_read ON projects FOR SELECT TO authenticated USING (is_org_member(org_id));
`;
  const { ws, mine } = lintFiles([{ file: 'migrations/012_orgs.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  const finding = mine[0]!;
  assert.equal(textAt(ws, finding), 'org_members');
  assert.match(finding.message, /But policy "projects_read" on public\.projects calls is_org_member\(\), a SECURITY DEFINER function that reads public\.org_members, .* so the function would see no rows of public\.org_members, no policy of which applies to that owner, and answer as if it were empty \(T06b\)\./);
  assert.deepEqual(finding.fixes.map((f) => f.kind), ['unsafe']);
  const forced = applyFix(ws, finding);
  assert.equal(findingsOf(forced, 'definer-helper-under-force-rls').length, 1, 'what the FORCE would bring');
  const aSees = async (text: string) =>
    inRollback(await getDb(), async (q) => {
      await q(AUTH_STUB_SQL);
      await asOwner(q, text);
      await q(`INSERT INTO org_members VALUES ('${TENANT_A}', '${TENANT_A}'); INSERT INTO projects VALUES (1, '${TENANT_A}'), (2, '${TENANT_A}'), (3, '${TENANT_B}')`);
      await q(actAs(TENANT_A));
      await q('SET ROLE authenticated');
      const n = await count(q, 'projects');
      await q('RESET ROLE');
      return n;
    });
  assert.equal(await aSees(sql), 2);
  assert.equal(await aSees(sqlOf(forced)), 0);
  // (a policy of org_members for PUBLIC gives the owner the caller's rows: FORCE is safe there)
  const pub = sql.replace('FOR SELECT TO authenticated USING (user_id', 'FOR SELECT USING (user_id');
  assert.deepEqual(lintFiles([{ file: 'migrations/012_orgs.sql', text: pub }], ID).mine.map((f) => f.fixes.map((x) => x.kind)), [['safe']]);
});
