// policy-jwt-role-never-matches on PostgreSQL (PGlite), with Supabase's auth.jwt() reading the
// request's claims: a request cannot run as a role the database does not have (SET ROLE admin
// fails with 22023, as PostgREST's switch to the JWT's role would), so a comparison of the
// request's role with 'admin' is never true for a request that reaches the policy; the fix reads
// app_metadata's role, which the server sets.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, count, expectPgError, getDb, inRollback, type Q } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintDocExample, lintFiles, sqlOf, TENANT_A, TENANT_B, textAt } from '../helpers/rule-proof.js';
import { actAs, onSupabase } from '../helpers/supabase.js';

const ID = 'policy-jwt-role-never-matches';
before(initParser);
after(closeAll);

/** An administrator as Supabase apps mark one: the server's app_metadata; the request runs as authenticated. */
const ADMIN = { role: 'authenticated', app_metadata: { role: 'admin' } };

async function profiles(q: Q, sql: string): Promise<void> {
  await onSupabase(q, sql);
  await q(`INSERT INTO public.profiles VALUES ('${TENANT_A}', 'Ada'), ('${TENANT_B}', 'Bob')`);
  await q(actAs(TENANT_A, ADMIN));
  await q('SET ROLE authenticated');
}

test("err: (select auth.jwt() ->> 'role') = 'admin' (Invalid): no request can run as admin (22023), and the administrator, running as authenticated, reads only their own profile; the fix (app_metadata's role) gives them both", async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), "'admin'");
  assert.match(
    finding.message,
    /^The comparison of the request's role with 'admin' in policy "profiles_read" on public\.profiles is never true \(these migrations make no role admin\): through Supabase's API the JWT's role claim is the database role PostgREST runs the request as \(anon, authenticated or service_role\)/,
  );
  const db = await getDb();
  await inRollback(db, async (q) => {
    await onSupabase(q, sqlOf(ws));
    await expectPgError(q('SET ROLE admin'), '22023', 'role "admin" does not exist');
  });
  await inRollback(db, async (q) => {
    await profiles(q, sqlOf(ws));
    assert.equal(await count(q, 'public.profiles'), 1, 'the admin branch is never true');
  });
  const fixed = applyFix(ws, finding);
  assert.deepEqual(findingsOf(fixed, ID), []);
  assert.match(sqlOf(fixed), /\(select auth\.jwt\(\) -> 'app_metadata' ->> 'role'\) = 'admin'/);
  await inRollback(db, async (q) => {
    await profiles(q, sqlOf(fixed));
    assert.equal(await count(q, 'public.profiles'), 2, 'with the fix, the administrator reads every profile');
  });
});

test("err: in a function the policy calls (Invalid 2: is_admin() returning coalesce((auth.jwt() ->> 'role') = 'admin', false)): reported in the function, naming the policy; the fix there works the same", async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.equal(textAt(ws, finding), "'admin'");
  assert.match(finding.message, /in function is_admin\(\), which policy "settings_admin" on public\.settings calls, is never true/);
  const fixed = applyFix(ws, finding);
  assert.deepEqual(findingsOf(fixed, ID), []);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, sqlOf(fixed));
    await q(`INSERT INTO public.settings VALUES (1, 'x')`);
    await q(actAs(TENANT_A, ADMIN));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.settings'), 1);
  });
});

test("err (wording): auth.role() IN ('admin', 'enterprise') (DevPanatec/FacilityManagerPro's inventory policies) names both values and spans the list: neither is a role (SET ROLE enterprise: 22023), and an 'enterprise' user, running as authenticated, reads nothing (PGlite)", async () => {
  const sql = `CREATE TABLE public.inventory (id int PRIMARY KEY, name text);
ALTER TABLE public.inventory ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Enable read access for authenticated users" ON public.inventory FOR SELECT USING (auth.role() IN ('admin', 'enterprise'));
`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20240225000000_create_inventory_tables.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), "'admin', 'enterprise'");
  assert.match(mine[0]!.message, /^The comparison of the request's role with 'admin' or 'enterprise' in policy "Enable read access for authenticated users" on public\.inventory is never true \(these migrations make no role admin or enterprise\)/);
  // (Supabase's auth.role(): the request's role claim)
  const role = `CREATE OR REPLACE FUNCTION auth.role() RETURNS text LANGUAGE sql STABLE AS $$ SELECT nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role' $$;\n`;
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, role + sqlOf(ws));
    await expectPgError(q('SET ROLE enterprise'), '22023', 'role "enterprise" does not exist');
  });
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, role + sqlOf(ws));
    await q(`INSERT INTO public.inventory VALUES (1, 'mop')`);
    await q(actAs(TENANT_A, { role: 'authenticated', app_metadata: { role: 'enterprise' } }));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.inventory'), 0, 'auth.role() is authenticated: neither value matches');
  });
});

test("ok/err (lint): app_metadata's role, an API role (service_role, IN ('anon', 'authenticated')), a claim of one's own and a role the migrations create are not reported; auth.role() = 'admin' and IN ('admin', 'owner') are, and auth.role()'s fix reads app_metadata", () => {
  assert.deepEqual(lintDocExample(ID, 'valid', 0).mine, []);
  assert.deepEqual(lintDocExample(ID, 'valid', 1).mine, []);
  const file = 'supabase/migrations/20240101000000_t.sql';
  const lint = (cond: string, extra = '') =>
    lintFiles([{ file, text: `${extra}CREATE TABLE public.t (id int PRIMARY KEY);\nALTER TABLE public.t ENABLE ROW LEVEL SECURITY;\nCREATE POLICY p ON public.t FOR SELECT TO authenticated USING (${cond});\n` }], ID);
  assert.deepEqual(lint("(select auth.role()) IN ('anon', 'authenticated')").mine, []);
  assert.deepEqual(lint("(auth.jwt() ->> 'user_role') = 'admin'").mine, []);
  assert.deepEqual(lint("(auth.jwt() ->> 'role') = 'moderator'", 'CREATE ROLE moderator;\n').mine, [], 'a role of the database: a JWT may name it');
  assert.equal(lint("(auth.jwt() ->> 'role') IN ('admin', 'owner')").mine.length, 1);
  const r = lint("auth.role() = 'admin'");
  assert.equal(r.mine.length, 1);
  const fixed = applyFix(r.ws, r.mine[0]!);
  assert.match(sqlOf(fixed), /USING \(\(auth\.jwt\(\) -> 'app_metadata' ->> 'role'\) = 'admin'\)/);
  assert.deepEqual(findingsOf(fixed, ID), []);
  // the request settings PostgREST sets, read directly: the same claim (no fix offered)
  for (const cond of ["(current_setting('request.jwt.claims', true)::jsonb ->> 'role') = 'admin'", "current_setting('request.jwt.claim.role', true) = 'admin'"]) {
    const m = lint(cond).mine;
    assert.equal(m.length, 1, cond);
    assert.deepEqual(m[0]!.fixes, [], cond);
  }
  assert.deepEqual(lint("(current_setting('request.jwt.claims', true)::jsonb ->> 'role') = 'authenticated'").mine, []);
  // one branch of an OR: that branch admits nobody, the others still decide (the message says so)
  const branch = lint("(auth.jwt() ->> 'role') = 'admin' OR (auth.jwt() -> 'app_metadata' ->> 'role') = 'admin'").mine;
  assert.equal(branch.length, 1);
  assert.match(branch[0]!.message, /So this branch of its OR admits nobody: only the other branches decide/);
  assert.doesNotMatch(branch[0]!.message, /what it admits is admitted to nobody/);
  assert.match(lint("auth.role() = 'admin'").mine[0]!.message, /So what it admits is admitted to nobody/);
  // where its truth is turned around it refuses nobody: not reported
  for (const cond of [
    "NOT ((auth.jwt() ->> 'role') = 'admin')",
    "((auth.jwt() ->> 'role') = 'admin') IS NOT TRUE",
    "((auth.jwt() ->> 'role') = 'admin') = false",
    "coalesce((auth.jwt() ->> 'role') = 'admin', false) = false",
    "CASE WHEN (auth.jwt() ->> 'role') = 'admin' THEN false ELSE true END",
  ])
    assert.deepEqual(lint(cond).mine, [], cond);
  // other ways of asking it: NULLIF/COALESCE around the claims, coalesce(<role>, …), = ANY (ARRAY[…])
  for (const cond of [
    "(nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role') = 'admin'",
    "coalesce(auth.jwt() ->> 'role', auth.jwt() -> 'user_metadata' ->> 'role') = 'admin'",
    "(auth.jwt() ->> 'role') = ANY (ARRAY['admin', 'owner'])",
  ]) {
    assert.equal(lint(cond).mine.length, 1, cond);
  }
  assert.deepEqual(lint("(auth.jwt() ->> 'role') = ANY (ARRAY['admin', 'authenticated'])").mine, [], 'true for authenticated');
  // outside a Supabase project (no auth schema of the platform): not reported
  assert.deepEqual(lintFiles([{ file: 'db/1.sql', text: "CREATE ROLE app;\nCREATE TABLE t (id int);\nALTER TABLE t ENABLE ROW LEVEL SECURITY;\nCREATE POLICY p ON t TO app USING (current_user = 'admin');\n" }], ID).mine, []);
});

test("ok/err: an auth.role() of the migrations' own reading another claim first (SSBackend's user_role) is true for 'admin' with that claim, so not reported; Supabase's own definition (the role claim only) still is", async () => {
  const file = 'db/init/01_auth.sql';
  const own = `CREATE SCHEMA IF NOT EXISTS auth;
CREATE FUNCTION auth.role() RETURNS text LANGUAGE plpgsql STABLE AS $$ BEGIN
  RETURN coalesce(nullif(current_setting('request.jwt.claims', true), '')::json ->> 'user_role', nullif(current_setting('request.jwt.claims', true), '')::json ->> 'role');
END $$;
CREATE FUNCTION auth.is_admin() RETURNS boolean LANGUAGE plpgsql STABLE AS $$ BEGIN RETURN auth.role() = 'admin'; END $$;
CREATE TABLE public.orders (id int PRIMARY KEY, total int);
ALTER TABLE public.orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY orders_admin_read ON public.orders FOR SELECT TO authenticated USING ((select auth.is_admin()));
`;
  const linted = lintFiles([{ file, text: own }], ID);
  assert.equal(linted.mine.length, 0);
  const supabase = own.replace(/CREATE FUNCTION auth\.role\(\)[\s\S]*?END \$\$;\n/, `CREATE FUNCTION auth.role() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT coalesce(current_setting('request.jwt.claim.role', true), (current_setting('request.jwt.claims', true)::jsonb ->> 'role'))::text
$$;\n`);
  assert.notEqual(supabase, own);
  assert.equal(lintFiles([{ file, text: supabase }], ID).mine.length, 1);
  await inRollback(await getDb(), async (q) => {
    await q(`DROP SCHEMA IF EXISTS auth CASCADE; ${own} GRANT USAGE ON SCHEMA auth TO authenticated; GRANT SELECT ON public.orders TO authenticated; INSERT INTO public.orders VALUES (1, 10), (2, 20)`);
    await q(`SELECT set_config('request.jwt.claims', '{"role":"authenticated","user_role":"admin"}', true)`);
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.orders'), 2, "an administrator's token");
    await q('RESET ROLE');
    await q(`SELECT set_config('request.jwt.claims', '{"role":"authenticated","user_role":"customer"}', true)`);
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.orders'), 0, "a customer's");
  });
});

// sajxraj/ragtopus-api's supabase/migrations/20240321000003_create_profiles.sql:26-27: the same
// comparison in USING and WITH CHECK was reported twice.
test("err: the same comparison in a policy's USING and its WITH CHECK (ragtopus-api's \"Admins can delete profiles\") is one finding naming both clauses, whose fix edits both: PGlite: the administrator changes no other profile before the fix, and Bob's after it", async () => {
  const file = 'supabase/migrations/20240321000003_create_profiles.sql';
  const text = `create table public.profiles (id uuid primary key, full_name text);
alter table public.profiles enable row level security;
grant select, update on public.profiles to authenticated;
create policy "Users can view their own profile"
  on public.profiles for select
  using (auth.uid() = id);
create policy "Admins can delete profiles"
  on public.profiles for update
  using (auth.jwt() ->> 'role' = 'admin')
  with check (auth.jwt() ->> 'role' = 'admin');
`;
  const { ws, mine } = lintFiles([{ file, text }], ID);
  assert.equal(mine.length, 1, 'one finding for the policy');
  const finding = mine[0]!;
  assert.equal(finding.range.start.line, 8);
  assert.match(
    finding.message,
    /^The comparisons of the request's role with 'admin' in the USING and the WITH CHECK of policy "Admins can delete profiles" on public\.profiles are never true \(these migrations make no role admin\): .* So what they admit is admitted to nobody, neither the rows there are \(USING\) nor new rows \(WITH CHECK\): an administrator is refused like everyone else\./,
  );
  assert.equal(finding.related?.length, 1);
  assert.equal(finding.related![0]!.message, 'the same comparison, in the WITH CHECK');
  const fixed = applyFix(ws, finding);
  assert.equal((sqlOf(fixed).match(/auth\.jwt\(\) -> 'app_metadata' ->> 'role' = 'admin'/g) ?? []).length, 2, 'both clauses');
  assert.deepEqual(findingsOf(fixed, ID), []);
  const bob = async (sql: string) =>
    inRollback(await getDb(), async (q) => {
      await profiles(q, sql);
      await q(`UPDATE public.profiles SET full_name = 'renamed'`);
      await q('RESET ROLE');
      return (await q(`SELECT full_name FROM public.profiles WHERE id = '${TENANT_B}'`))[0]!.full_name;
    });
  assert.equal(await bob(sqlOf(ws)), 'Bob');
  assert.equal(await bob(sqlOf(fixed)), 'renamed');
});
