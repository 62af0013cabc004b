// policy-on-table-without-rls on PostgreSQL (PGlite): the policy is ignored until ENABLE ROW
// LEVEL SECURITY: a granted role sees other users' rows; after the fix only its own.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { asOwner, closeAll, count, expectPgError, getDb, inRollback, type Q } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintFiles, sqlOf, TENANT_A, TENANT_B, textAt } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';
import { pglofiTrigger } from '../helpers/sql-fixtures.js';

const ID = 'policy-on-table-without-rls';
before(initParser);
after(closeAll);

async function notes(q: Q, sql: string): Promise<number> {
  await q(AUTH_STUB_SQL);
  await asOwner(q, sql);
  await q(`INSERT INTO notes VALUES (1, '${TENANT_A}'), (2, '${TENANT_B}'); GRANT SELECT ON notes TO authenticated`);
  await q(actAs(TENANT_A));
  await q('SET ROLE authenticated');
  return count(q, 'notes');
}

for (const n of [0, 1]) {
  test(`err: Invalid example ${n + 1}: the policy is ignored (2 rows); after ENABLE + FORCE only the user’s own row`, async () => {
    const { ws, finding } = invalidFinding(ID, n);
    assert.equal(textAt(ws, finding), n === 0 ? 'notes_author' : 'notes_read');
    const db = await getDb();
    await inRollback(db, async (q) => assert.equal(await notes(q, sqlOf(ws)), 2));
    const fixed = applyFix(ws, finding);
    assert.equal(findingsOf(fixed, ID).length, 0);
    await inRollback(db, async (q) => assert.equal(await notes(q, sqlOf(fixed)), 1));
  });
}

// Calibration (property-manager's journal_entries): the ENABLE is there, in a migration that sorts
// before the one creating the table; it fails, and the message says so instead of "never enabled" alone.
test('err (message): an ALTER TABLE … ENABLE ROW LEVEL SECURITY in an earlier migration than the CREATE TABLE is named: PostgreSQL rejects it (42P01, PGlite)', async () => {
  const early = 'ALTER TABLE public.journal_entries ENABLE ROW LEVEL SECURITY;\n';
  const create = `CREATE TABLE public.journal_entries (id uuid PRIMARY KEY, org_id uuid NOT NULL);
CREATE POLICY je_select ON public.journal_entries FOR SELECT TO authenticated USING (org_id = (select auth.uid()));
`;
  const { mine } = lintFiles(
    [
      { file: 'supabase/migrations/20250101000000_rls.sql', text: early },
      { file: 'supabase/migrations/20250201000000_create.sql', text: create },
    ],
    ID,
  );
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /row-level security is never enabled on the table \(the ALTER TABLE … ENABLE ROW LEVEL SECURITY at 20250101000000_rls\.sql:1 runs before the CREATE TABLE at 20250201000000_create\.sql:1: PostgreSQL rejects it, 42P01 relation does not exist/);
  await inRollback(await getDb(), async (q) => {
    await expectPgError(q(early), '42P01', 'relation "public.journal_entries" does not exist');
  });
});

// Calibration (QA-Localization-tool's audit_logs): enabled on a first table of that name, which a
// later migration drops and makes again (partitioned). The ENABLE is not rejected: it enabled the
// table that is gone. "Never enabled" holds for the table that stands; "runs before" would be false.
test('err (message): an ENABLE on an earlier table of the same name, dropped and made again, is named as such, not as rejected (PGlite: the ENABLE runs, the new table has no RLS)', async () => {
  const first = 'CREATE TABLE public.audit_logs (id uuid PRIMARY KEY, tenant_id uuid NOT NULL);\n';
  const enable = `ALTER TABLE public.audit_logs ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_select ON public.audit_logs FOR SELECT TO authenticated USING (tenant_id = (select auth.uid()));
`;
  const again = `DROP TABLE IF EXISTS public.audit_logs CASCADE;
CREATE TABLE public.audit_logs (id uuid, tenant_id uuid NOT NULL, created_at timestamptz NOT NULL) PARTITION BY RANGE (created_at);
CREATE POLICY audit_select ON public.audit_logs FOR SELECT TO authenticated USING (tenant_id = (select auth.uid()));
`;
  const { mine } = lintFiles(
    [
      { file: 'supabase/migrations/00000_schema.sql', text: first },
      { file: 'supabase/migrations/00002_rls.sql', text: enable },
      { file: 'supabase/migrations/00004_partition.sql', text: again },
    ],
    ID,
  );
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /row-level security is never enabled on the table \(the ALTER TABLE … ENABLE ROW LEVEL SECURITY at 00002_rls\.sql:1 enabled it on an earlier table of that name, which the DROP TABLE at 00004_partition\.sql:1 removed, its policies with it; the CREATE TABLE at 00004_partition\.sql:2 makes a new one, with row-level security off\)/);
  assert.doesNotMatch(mine[0]!.message, /runs before|42P01/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(first + enable + again);
    const rows = (await q(`SELECT relrowsecurity FROM pg_class WHERE oid = 'public.audit_logs'::regclass`)) as Array<{ relrowsecurity: boolean }>;
    assert.equal(rows[0]!.relrowsecurity, false);
  });
});

// Calibration cal94: in a Supabase layout (the migrations run as postgres, which has BYPASSRLS:
// definerOwnerBypassesRls auto) rls-not-forced is silent, and the fix enabling RLS no longer adds
// a FORCE that changes nothing for that owner (PGlite: a BYPASSRLS owner reads every row, forced or not).
test('fix: in a Supabase layout the fix enables RLS without FORCE (the owner bypasses RLS anyway), re-lints clean, and the policy then filters', async () => {
  const sql = `-- « naïve » 日本語 😀
CREATE TABLE public.notes (id int PRIMARY KEY, author uuid NOT NULL);
CREATE POLICY notes_author ON public.notes FOR SELECT TO authenticated USING (author = (select auth.uid()));
`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20250101000000_notes.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /Add ALTER TABLE public\.notes ENABLE ROW LEVEL SECURITY after the CREATE TABLE/);
  assert.doesNotMatch(mine[0]!.message, /FORCE/);
  assert.equal(mine[0]!.fixes[0]!.title, 'Enable row-level security on public.notes');
  const fixed = applyFix(ws, mine[0]!);
  assert.doesNotMatch(sqlOf(fixed), /FORCE/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  assert.equal(findingsOf(fixed, 'rls-not-forced').length, 0);
  const outside = lintFiles([{ file: 'migrations/1_notes.sql', text: sql }], ID).mine;
  assert.equal(outside[0]!.fixes[0]!.title, 'Enable and force row-level security on public.notes', 'elsewhere the owner is not known to bypass RLS');
  const db = await getDb();
  await inRollback(db, async (q) => assert.equal(await notes(q, sqlOf(fixed)), 1, 'the policy filters authenticated'));
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q('CREATE ROLE bypass_owner_t BYPASSRLS');
    await q(sqlOf(fixed));
    await q(`INSERT INTO notes VALUES (1, '${TENANT_A}'), (2, '${TENANT_B}'); ALTER TABLE notes OWNER TO bypass_owner_t`);
    await q('SET ROLE bypass_owner_t');
    assert.equal(await count(q, 'notes'), 2, 'a BYPASSRLS owner reads every row');
    await q('RESET ROLE');
    await q('ALTER TABLE notes FORCE ROW LEVEL SECURITY');
    await q('SET ROLE bypass_owner_t');
    assert.equal(await count(q, 'notes'), 2, 'forced too: FORCE changes nothing for it');
  });
});

// Calibration (cryoprotect's RBAC migration): ALTER TABLE IF EXISTS … ENABLE ROW LEVEL SECURITY
// before the CREATE TABLE IF NOT EXISTS of the same file. PostgreSQL does not reject it: it skips
// it with a notice, the migration goes on, and the table is made with RLS off (PGlite).
test('err (message): an ALTER TABLE IF EXISTS … ENABLE before the CREATE TABLE is named as skipped, not as rejected (PGlite: no error, RLS off)', async () => {
  const sql = `ALTER TABLE IF EXISTS roles ENABLE ROW LEVEL SECURITY;
CREATE TABLE IF NOT EXISTS roles (id uuid PRIMARY KEY, name text NOT NULL);
CREATE POLICY roles_read ON roles FOR SELECT TO authenticated USING ((select auth.uid()) IS NOT NULL);
`;
  const { mine } = lintFiles([{ file: 'migrations/011_rbac.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /\(the ALTER TABLE IF EXISTS … ENABLE ROW LEVEL SECURITY at 011_rbac\.sql:1 runs before the CREATE TABLE at 011_rbac\.sql:2: PostgreSQL finds no table there and skips it with a notice/);
  assert.doesNotMatch(mine[0]!.message, /rejects it|42P01|migration stops/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql); // (no error: the ALTER is skipped and the rest of the file runs)
    const rows = (await q(`SELECT relrowsecurity FROM pg_class WHERE oid = 'public.roles'::regclass`)) as Array<{ relrowsecurity: boolean }>;
    assert.equal(rows[0]!.relrowsecurity, false);
    assert.equal(((await q(`SELECT count(*)::int AS n FROM pg_policies WHERE tablename = 'roles'`)) as Array<{ n: number }>)[0]!.n, 1);
  });
});

// Calibration (cryoprotect's roles / user_roles and has_role()): the fix added ENABLE and FORCE, and
// the policies call a SECURITY DEFINER helper reading the same table, owned by the role that ran the
// migrations. FORCE would filter the helper's read (T06b: the admin loses the rows it gave, and the
// lint then reports definer-helper-under-force-rls), so the fix enables only; rls-not-forced then
// offers the FORCE in the editor with the reason.
test('err (fix): a policy calls a definer helper that reads the table: the fix enables without FORCE, and the admin keeps its rows (PGlite: 2; with FORCE 1)', async () => {
  const sql = `CREATE TABLE user_roles (user_id uuid NOT NULL, role text NOT NULL);
CREATE FUNCTION has_role(p_user uuid, p_role text) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  RETURN EXISTS (SELECT 1 FROM public.user_roles WHERE user_id = p_user AND role = p_role);
END $$;
CREATE POLICY user_roles_read ON user_roles FOR SELECT TO authenticated
  USING (user_id = (select auth.uid()) OR has_role((select auth.uid()), 'admin'));
`;
  const { ws, mine } = lintFiles([{ file: 'migrations/011_rbac.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /Add ALTER TABLE user_roles ENABLE ROW LEVEL SECURITY after the CREATE TABLE at 011_rbac\.sql:1\. Not FORCE yet: policy "user_roles_read" calls has_role\(\)/);
  assert.equal(mine[0]!.fixes[0]!.kind, 'safe');
  const fixed = applyFix(ws, mine[0]!);
  assert.doesNotMatch(sqlOf(fixed), /FORCE/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  assert.equal(findingsOf(fixed, 'definer-helper-under-force-rls').length, 0);
  assert.equal(findingsOf(fixed, 'rls-not-forced')[0]?.fixes[0]?.kind, 'unsafe');
  const seen = async (text: string, user: string) =>
    inRollback(await getDb(), async (q) => {
      await q(AUTH_STUB_SQL);
      await asOwner(q, text);
      await q(`INSERT INTO user_roles VALUES ('${TENANT_A}', 'admin'), ('${TENANT_B}', 'member'); GRANT SELECT ON user_roles TO authenticated`);
      await q(actAs(user));
      await q('SET ROLE authenticated');
      const n = await count(q, 'user_roles');
      await q('RESET ROLE');
      return n;
    });
  assert.equal(await seen(sqlOf(fixed), TENANT_A), 2, 'the admin, through has_role()');
  assert.equal(await seen(sqlOf(fixed), TENANT_B), 1, 'a member: its own row (the policy applies now)');
  assert.equal(await seen(`${sqlOf(fixed)};\nALTER TABLE user_roles FORCE ROW LEVEL SECURITY;`, TENANT_A), 1, 'with FORCE the helper sees no row (T06b)');
});

// Calibration (daveyplate/pglofi, as rls-not-forced): a SECURITY DEFINER trigger function inserts
// into the table, and no INSERT policy of it applies to the function's owner. The fix enables RLS
// but does not force it: forced, the owner's insert is checked against the policies and fails (T07).
test('fix: ENABLE without FORCE where a definer trigger function inserts into the table with no INSERT policy for its owner: after the fix the insert into users works (PGlite); forced it fails with 42501 (T07)', async () => {
  const sql = pglofiTrigger(`CREATE POLICY profiles_read ON profiles FOR SELECT TO authenticated USING (true);
`);
  const { ws, mine } = lintFiles([{ file: 'migrations/001_users.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /Not FORCE yet: SECURITY DEFINER trigger function public\.handle_new_user\(\) inserts into public\.profiles, .* \(T07\)\./);
  const fixed = applyFix(ws, mine[0]!);
  assert.match(sqlOf(fixed), /ALTER TABLE profiles ENABLE ROW LEVEL SECURITY;/);
  assert.doesNotMatch(sqlOf(fixed), /FORCE/);
  assert.equal(findingsOf(fixed, 'definer-trigger-blocked-by-force-rls').length, 0);
  const db = await getDb();
  const insertUser = (text: string) =>
    inRollback(db, async (q) => {
      await asOwner(q, text);
      await q('SET ROLE app_owner');
      try {
        await q("INSERT INTO users VALUES (1, 'a')");
        return 'ok';
      } catch (e) {
        return `${(e as { code?: string }).code}`;
      } finally {
        await q('RESET ROLE').catch(() => undefined);
      }
    });
  assert.equal(await insertUser(sqlOf(fixed)), 'ok');
  assert.equal(await insertUser(`${sqlOf(fixed)}ALTER TABLE profiles FORCE ROW LEVEL SECURITY;\n`), '42501');
});

test("ok: a DO block enabling RLS on `preuve_%I` for each value of an enum (territoires-en-transitions' preuve_v2: foreach name in array enum_range(NULL::preuve_type)) reaches preuve_complementaire, whose later policies are not reported (PGlite: relrowsecurity is true); a table of another name, or of the prefix with no value of the enum (preuve_base), still is", async () => {
  const file = 'deploy/preuve.sql';
  const text = `CREATE TYPE preuve_type AS ENUM ('complementaire', 'reglementaire');
CREATE TABLE preuve_complementaire (id serial PRIMARY KEY, collectivite_id integer NOT NULL);
CREATE TABLE preuve_reglementaire (id serial PRIMARY KEY, collectivite_id integer NOT NULL);
CREATE TABLE action_pilote (id serial PRIMARY KEY, collectivite_id integer NOT NULL);
CREATE TABLE preuve_base (id serial PRIMARY KEY, collectivite_id integer NOT NULL);
DO $$
DECLARE name text;
BEGIN
  FOREACH name IN ARRAY enum_range(NULL::preuve_type) LOOP
    EXECUTE format('alter table preuve_%I
        enable row level security;', name);
    EXECUTE format('create policy allow_read
        on preuve_%I using (true);', name);
  END LOOP;
END $$;
CREATE POLICY allow_delete ON preuve_complementaire FOR DELETE USING (collectivite_id = 1);
CREATE POLICY allow_delete ON action_pilote FOR DELETE USING (collectivite_id = 1);
CREATE POLICY allow_delete ON preuve_base FOR DELETE USING (collectivite_id = 1);
`;
  const { mine } = lintFiles([{ file, text }], ID);
  assert.deepEqual(
    mine.map((f) => f.message.slice(0, 60)),
    ['Policy "allow_delete" on public.action_pilote has no effect:', 'Policy "allow_delete" on public.preuve_base has no effect: r'],
  );
  await inRollback(await getDb(), async (q) => {
    await q(text);
    assert.deepEqual(await q(`SELECT relname, relrowsecurity FROM pg_class WHERE relname IN ('preuve_complementaire', 'action_pilote', 'preuve_base') ORDER BY relname`), [
      { relname: 'action_pilote', relrowsecurity: false },
      { relname: 'preuve_base', relrowsecurity: false },
      { relname: 'preuve_complementaire', relrowsecurity: true },
    ]);
  });
});

test("err (message): AllIincompassing's admin_actions — its ENABLE ROW LEVEL SECURITY sits in a DO block that returns when to_regclass() finds no table, a migration before the baseline that creates it: the block skips it, no error (PGlite), and the policies written after the CREATE TABLE are ignored; the message says skipped, not 42P01", async () => {
  const early = `DO $$
BEGIN
  IF to_regclass('public.admin_actions') IS NULL THEN
    RAISE NOTICE 'Skipping admin_actions policy setup: table does not exist.';
    RETURN;
  END IF;
  ALTER TABLE public.admin_actions ENABLE ROW LEVEL SECURITY;
END $$;
`;
  const create = `CREATE TABLE IF NOT EXISTS public.admin_actions (id int PRIMARY KEY, admin_user_id uuid);\n`;
  const policies = `CREATE POLICY admin_actions_select_scoped ON public.admin_actions FOR SELECT TO authenticated USING (admin_user_id = (select auth.uid()));\n`;
  const files = [
    { file: 'supabase/migrations/20250922120000_secure_misc_tables_rls.sql', text: early },
    { file: 'supabase/migrations/20251224110000_baseline_admin_actions.sql', text: create },
    { file: 'supabase/migrations/20251224120000_metadata_constraints.sql', text: policies },
  ];
  const { mine } = lintFiles(files, ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /\(the ALTER TABLE … ENABLE ROW LEVEL SECURITY at 20250922120000_secure_misc_tables_rls\.sql:7, in a DO block that first looks the table up, runs before the CREATE TABLE at 20251224110000_baseline_admin_actions\.sql:1: the table is not there yet, so the block skips it and enables nothing\)/);
  assert.doesNotMatch(mine[0]!.message, /42P01|migration stops/);
  // without the lookup the DO block fails (42P01): said so
  const bare = lintFiles([{ ...files[0]!, text: `DO $$ BEGIN ALTER TABLE public.admin_actions ENABLE ROW LEVEL SECURITY; END $$;\n` }, files[1]!, files[2]!], ID).mine;
  assert.match(bare[0]!.message, /PostgreSQL rejects it, 42P01/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(early + create + policies);
    assert.deepEqual(await q(`SELECT relrowsecurity FROM pg_class WHERE oid = 'public.admin_actions'::regclass`), [{ relrowsecurity: false }]);
    await expectPgError(q(`DO $$ BEGIN ALTER TABLE public.nope ENABLE ROW LEVEL SECURITY; END $$`), '42P01', 'relation "public.nope" does not exist');
  });
});
