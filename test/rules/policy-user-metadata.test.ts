// policy-user-metadata on PostgreSQL (PGlite): a user controls their own user_metadata (Supabase's
// updateUser writes auth.users.raw_user_meta_data and the next JWT carries it). Simulated here:
// the request's JWT claims / the user's auth.users row hold a user_metadata the user chose, and
// the policy lets them read every row. After the fix the same forged metadata gives nothing; a
// role in app_metadata (written by the service role) gives access.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, count, expectPgError, getDb, inRollback, tryQuery, type Q } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintDocExample, lintFiles, sqlOf, TENANT_A, textAt } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';

const ID = 'policy-user-metadata';
before(initParser);
after(closeAll);

/** auth.users as on Supabase: authenticated has no privilege on it. */
const AUTH_USERS = 'CREATE TABLE IF NOT EXISTS auth.users (id uuid PRIMARY KEY, raw_user_meta_data jsonb, raw_app_meta_data jsonb);';

async function reports(q: Q, sql: string, claims: Record<string, unknown>, userRow?: { user: object; app: object }): Promise<number> {
  await q(AUTH_STUB_SQL);
  await q(AUTH_USERS);
  await q(sql); // as the superuser, like Supabase's postgres role: it owns the definer helper
  await q(`INSERT INTO reports VALUES (1, 'q1'), (2, 'q2'); GRANT SELECT ON reports TO authenticated`);
  if (userRow) await q(`INSERT INTO auth.users VALUES ('${TENANT_A}', '${JSON.stringify(userRow.user)}', '${JSON.stringify(userRow.app)}')`);
  await q(actAs(TENANT_A, claims));
  await q('SET ROLE authenticated');
  return count(q, 'reports');
}

const FORGED = { user_metadata: { role: 'admin', is_admin: true } };
const GRANTED = { app_metadata: { role: 'admin', is_admin: true } };

for (const [n, label] of [
  [0, "auth.jwt() -> 'user_metadata' ->> 'role'"],
  [2, "auth.jwt() #>> '{user_metadata,is_admin}'"],
] as const) {
  test(`err: ${label}: a user who set their own user_metadata reads every report; fixed: only app_metadata counts`, async () => {
    const { ws, finding } = invalidFinding(ID, n);
    assert.equal(textAt(ws, finding), 'user_metadata');
    assert.match(finding.message, /trusts the JWT's user_metadata claim: every signed-in user can rewrite their own user_metadata with supabase\.auth\.updateUser/);
    const fixed = applyFix(ws, finding);
    assert.match(finding.fixes[0]!.title, /the data must be moved there by the server/);
    assert.equal(findingsOf(fixed, ID).length, 0);
    assert.match(sqlOf(fixed), /app_metadata/);
    const db = await getDb();
    const rows = (sql: string, claims: Record<string, unknown>) => inRollback(db, (q) => reports(q, sql, claims));
    assert.equal(await rows(sqlOf(ws), {}), 0, 'an ordinary user');
    assert.equal(await rows(sqlOf(ws), FORGED), 2, 'the same user after updateUser({ data: { role: "admin" } })');
    assert.equal(await rows(sqlOf(fixed), FORGED), 0, 'fixed: the forged user_metadata gives nothing');
    assert.equal(await rows(sqlOf(fixed), GRANTED), 2, 'fixed: app_metadata set by the service role gives access');
  });
}

test('err: a SECURITY DEFINER helper reading auth.users.raw_user_meta_data: the user’s own metadata row makes them admin; fixed: raw_app_meta_data', async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.equal(textAt(ws, finding), 'raw_user_meta_data');
  assert.match(finding.message, /^Function public\.is_admin\(\), called by policy "reports_admin" on public\.reports, trusts auth\.users\.raw_user_meta_data/);
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /u\.raw_app_meta_data ->> 'role' = 'admin'/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  const db = await getDb();
  const rows = (sql: string, row: { user: object; app: object }) => inRollback(db, (q) => reports(q, sql, {}, row));
  assert.equal(await rows(sqlOf(ws), { user: {}, app: {} }), 0);
  assert.equal(await rows(sqlOf(ws), { user: { role: 'admin' }, app: {} }), 2, 'user-written metadata grants access');
  assert.equal(await rows(sqlOf(fixed), { user: { role: 'admin' }, app: {} }), 0);
  assert.equal(await rows(sqlOf(fixed), { user: {}, app: { role: 'admin' } }), 2);
});

test('err: a sign-up trigger copies the role a user chose into user_roles, which has_role() reads: signing up with { role: "super_admin" } reads every report; fixed: raw_app_meta_data', async () => {
  const { ws, finding } = invalidFinding(ID, 3);
  assert.equal(textAt(ws, finding), "coalesce(chosen, 'member')");
  assert.match(
    finding.message,
    /^Trigger function public\.handle_new_user\(\) copies auth\.users\.raw_user_meta_data into public\.user_roles\.role, and policy "reports_admin" on public\.reports trusts public\.user_roles\.role through public\.has_role\(text\): every user chooses their own user_metadata when they sign up/,
  );
  assert.match(finding.message, /So a user decides what this function writes into public\.user_roles\.role, and with it what the policy grants\. Assign such values on the server: a column default, or app_metadata \(auth\.users\.raw_app_meta_data\), which only the service role can write/);
  assert.deepEqual(
    finding.related.map((r) => [textAt(ws, { ...finding, start: r.start, end: r.end }), r.message]),
    [
      ['raw_user_meta_data', 'the value comes from auth.users.raw_user_meta_data here'],
      ['reports_admin', 'policy "reports_admin" on public.reports trusts public.user_roles.role through public.has_role(text)'],
      ['has_role', 'public.has_role(text) reads public.user_roles.role'],
    ],
  );
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /chosen := NEW\.raw_app_meta_data ->> 'role'/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  // the sign-up: Supabase Auth inserts the auth.users row with the data given to signUp, and the trigger runs
  const db = await getDb();
  const rows = (sql: string, row: { user: object; app: object }) => inRollback(db, (q) => reports(q, sql, {}, row));
  assert.equal(await rows(sqlOf(ws), { user: {}, app: {} }), 0, 'a user who signed up with no metadata');
  assert.equal(await rows(sqlOf(ws), { user: { role: 'super_admin' }, app: {} }), 2, 'signUp({ options: { data: { role: "super_admin" } } }) makes a super admin');
  assert.equal(await rows(sqlOf(fixed), { user: { role: 'super_admin' }, app: {} }), 0, 'fixed: the chosen metadata gives nothing');
  assert.equal(await rows(sqlOf(fixed), { user: {}, app: { role: 'super_admin' } }), 2, 'fixed: app_metadata set by the server gives the role');
  // the Valid example: the display name the user chose is copied, the role keeps its default
  assert.equal(lintDocExample(ID, 'valid', 2).mine.length, 0);
  const valid = lintDocExample(ID, 'valid', 2).ws;
  assert.equal(await rows(sqlOf(valid), { user: { role: 'super_admin', full_name: 'Eve' }, app: {} }), 0);
});

/** A sign-up trigger with the given declarations and statements, user_roles / profiles, and policies that trust their role / tenant_id. */
function signUp(decl: string, body: string, extra = ''): string {
  return `CREATE TABLE user_roles (user_id uuid PRIMARY KEY, role text NOT NULL DEFAULT 'member');
CREATE TABLE profiles (id uuid PRIMARY KEY, full_name text, tenant_id uuid);
CREATE FUNCTION handle_new_user() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE ${decl}
BEGIN
${body}
  RETURN NEW;
END $$;
CREATE FUNCTION has_role(_role text) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT EXISTS (SELECT 1 FROM public.user_roles r WHERE r.user_id = auth.uid() AND r.role = _role)
$$;
CREATE TABLE docs (id bigint PRIMARY KEY, tenant_id uuid);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY docs_admin ON docs FOR SELECT TO authenticated USING ((select has_role('admin')));
CREATE POLICY docs_tenant ON docs FOR SELECT TO authenticated
  USING (tenant_id IN (SELECT p.tenant_id FROM profiles p WHERE p.id = (select auth.uid())));
${extra}`;
}

test('err/ok: what a trigger copies from user metadata, through variables, branches and blocks, into a trusted column', () => {
  const copied = (sql: string) =>
    lintFiles([{ file: 'm.sql', text: sql }], ID)
      .mine.map((f) => /into (\S+), and policy "(\w+)"/.exec(f.message)!.slice(1).join(' '))
      .sort();
  // the shapes of vennyFc/fastnd-poc: a variable set in an ELSIF branch, a cast in a nested block with an exception handler
  assert.deepEqual(
    copied(
      signUp(
        'is_first boolean; meta_role text; assigned text; meta_tenant uuid;',
        `  SELECT NOT EXISTS (SELECT 1 FROM public.profiles LIMIT 1) INTO is_first;
  meta_role := NEW.raw_user_meta_data->>'role';
  IF is_first THEN assigned := 'admin';
  ELSIF meta_role IS NOT NULL AND meta_role IN ('member', 'admin') THEN assigned := meta_role::text;
  ELSE assigned := 'member';
  END IF;
  BEGIN
    IF NEW.raw_user_meta_data ? 'tenant_id' THEN
      meta_tenant := (NEW.raw_user_meta_data->>'tenant_id')::uuid;
    END IF;
  EXCEPTION WHEN OTHERS THEN meta_tenant := NULL;
  END;
  INSERT INTO public.profiles (id, full_name, tenant_id) VALUES (NEW.id, NEW.raw_user_meta_data->>'full_name', meta_tenant);
  INSERT INTO public.user_roles (user_id, role) VALUES (NEW.id, assigned);`,
      ),
    ),
    ['public.profiles.tenant_id docs_tenant', 'public.user_roles.role docs_admin'],
  );
  // SELECT … INTO (column by position), a chain of variables assigned before their source (fixpoint), INSERT … SELECT, UPDATE, ON CONFLICT
  assert.deepEqual(copied(signUp('a text; b text; c text;', `  c := b;\n  SELECT NEW.id::text, NEW.raw_user_meta_data->>'role' INTO a, b;\n  INSERT INTO public.user_roles (user_id, role) SELECT NEW.id, coalesce(c, 'member');`)), [
    'public.user_roles.role docs_admin',
  ]);
  assert.deepEqual(copied(signUp('t uuid;', `  t := (auth.jwt() -> 'user_metadata' ->> 'tenant_id')::uuid;\n  UPDATE public.profiles SET tenant_id = t WHERE id = NEW.id;`)), ['public.profiles.tenant_id docs_tenant']);
  assert.deepEqual(
    copied(signUp('', `  INSERT INTO public.user_roles (user_id, role) VALUES (NEW.id, 'member')\n    ON CONFLICT (user_id) DO UPDATE SET role = NEW.raw_user_meta_data->>'role';`)),
    ['public.user_roles.role docs_admin'],
  );
  // a SQL function (an RPC) copying the JWT's user_metadata claim, and INSERT … SELECT from auth.users
  const rpc = (body: string) =>
    lintFiles([{ file: 'm.sql', text: signUp('', '', `CREATE FUNCTION join_tenant() RETURNS void LANGUAGE sql AS $$ ${body} $$;`) }], ID).mine.filter((f) => f.message.startsWith('Function public.join_tenant()'));
  const claim = rpc(`UPDATE public.profiles SET tenant_id = (auth.jwt() -> 'user_metadata' ->> 'tenant_id')::uuid WHERE id = auth.uid()`);
  assert.equal(claim.length, 1);
  assert.match(claim[0]!.message, /^Function public\.join_tenant\(\) copies the JWT's user_metadata claim into public\.profiles\.tenant_id, and policy "docs_tenant" on public\.docs trusts public\.profiles\.tenant_id: /);
  assert.equal(rpc(`INSERT INTO public.user_roles (user_id, role) SELECT u.id, u.raw_user_meta_data ->> 'role' FROM auth.users u WHERE u.id = auth.uid()`).length, 1);
  // not copies: metadata only tested, or used to look a row up; a variable assigned from a column of that row; an untrusted column
  for (const body of [
    `  IF NEW.raw_user_meta_data->>'role' = 'admin' THEN RAISE EXCEPTION 'no'; END IF;\n  INSERT INTO public.user_roles (user_id, role) VALUES (NEW.id, 'member');`,
    `  SELECT id INTO t FROM public.profiles WHERE full_name = NEW.raw_user_meta_data->>'invited_by';\n  INSERT INTO public.profiles (id, tenant_id) SELECT NEW.id, p.tenant_id FROM public.profiles p WHERE p.id = t;`,
    `  INSERT INTO public.profiles (id, full_name) VALUES (NEW.id, NEW.raw_user_meta_data->>'full_name');`,
  ]) {
    assert.deepEqual(copied(signUp('t uuid;', body)), [], body);
  }
  // a copy into a column no policy reads, when the policies read other columns of the table
  assert.deepEqual(copied(signUp('', `  UPDATE public.user_roles SET user_id = (NEW.raw_user_meta_data->>'id')::uuid WHERE false;`).replace('r.user_id = auth.uid() AND ', '')), []);
});

test('ok: app_metadata, a nested user_metadata key, and user_metadata outside policies are not reported', () => {
  for (let i = 0; i < 3; i++) assert.equal(lintDocExample(ID, 'valid', i).mine.length, 0);
  const base = 'CREATE TABLE r (id int PRIMARY KEY); ALTER TABLE r ENABLE ROW LEVEL SECURITY; ALTER TABLE r FORCE ROW LEVEL SECURITY;';
  for (const e of ["(select auth.jwt() -> 'app_metadata' -> 'user_metadata' ->> 'x') = 'y'", "(select auth.jwt() ->> 'role') = 'authenticated'"]) {
    assert.equal(lintFiles([{ file: 'm.sql', text: `${base} CREATE POLICY p ON r FOR SELECT TO authenticated USING (${e});` }], ID).mine.length, 0, e);
  }
  for (const e of [
    "(select jsonb_extract_path_text(auth.jwt(), 'user_metadata', 'role')) = 'admin'",
    "(select (current_setting('request.jwt.claims', true)::jsonb -> 'user_metadata' ->> 'role')) = 'admin'",
    "(select auth.jwt() #> ARRAY['user_metadata', 'role']) = '\"admin\"'",
  ]) {
    assert.equal(lintFiles([{ file: 'm.sql', text: `${base} CREATE POLICY p ON r FOR SELECT TO authenticated USING (${e});` }], ID).mine.length, 1, e);
  }
});

test('err: a policy reading auth.users itself (no definer helper): anon and authenticated have no SELECT on it, so as written their queries fail with 42501; the message says so', async () => {
  const sql = `CREATE TABLE reports (id bigint PRIMARY KEY, owner uuid, body text);
ALTER TABLE reports ENABLE ROW LEVEL SECURITY;
CREATE POLICY reports_admin ON reports FOR SELECT USING (
  EXISTS (SELECT 1 FROM auth.users WHERE auth.users.id = auth.uid() AND auth.users.raw_user_meta_data ->> 'role' = 'admin'));`;
  const { mine } = lintFiles([{ file: 'm.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(
    mine[0]!.message,
    /As written, its sub-select reads auth\.users, on which Supabase grants anon and authenticated no privilege \(nor do these migrations\): for them every query the policy applies to fails with 42501 permission denied for table users \(unless another of their permissive policies for the command is always true: PostgreSQL then drops the sub-select\)\. Read through a SECURITY DEFINER function, as is usual, the check would let any user pass\./,
  );
  assert.doesNotMatch(mine[0]!.message, /so a user can give themselves/);
  const db = await getDb();
  const run = (more: string) =>
    inRollback(db, async (q) => {
      await q(AUTH_STUB_SQL);
      await q(AUTH_USERS);
      await q(sql + more);
      await q(`INSERT INTO reports VALUES (1, '${TENANT_A}', 'q1'), (2, NULL, 'q2'); GRANT SELECT ON reports TO authenticated`);
      await q(`INSERT INTO auth.users VALUES ('${TENANT_A}', '{"role": "admin"}', '{}')`);
      await q(actAs(TENANT_A, FORGED));
      await q('SET ROLE authenticated');
      return count(q, 'reports');
    });
  await expectPgError(run(''), '42501', /permission denied for table users/);
  // another permissive policy: the sub-select is still planned (OR), and still fails
  await expectPgError(run('\nCREATE POLICY reports_own ON reports FOR SELECT TO authenticated USING (owner = auth.uid());'), '42501', /permission denied for table users/);
  // one that is always true: PostgreSQL folds the OR to true, drops the sub-select, and checks nothing on auth.users
  assert.equal(await run('\nCREATE POLICY reports_all ON reports FOR SELECT TO authenticated USING (true);'), 2);
  // with that always-true policy in the migrations the rule does not claim a 42501 either
  const folded = lintFiles([{ file: 'm.sql', text: `${sql}\nCREATE POLICY reports_all ON reports FOR ALL USING (true) WITH CHECK (true);` }], ID).mine;
  assert.equal(folded.length, 1);
  assert.doesNotMatch(folded[0]!.message, /As written/);
  // granted in the migrations: the usual message
  const granted = lintFiles([{ file: 'm.sql', text: `${AUTH_USERS}\nGRANT SELECT ON auth.users TO authenticated;\n${sql}` }], ID).mine;
  assert.equal(granted.length, 1);
  assert.match(granted[0]!.message, /so a user can give themselves whatever value this checks/);
  assert.doesNotMatch(granted[0]!.message, /As written/);
  // a policy for another role: the usual message
  const other = lintFiles([{ file: 'm.sql', text: sql.replace('FOR SELECT USING', 'FOR SELECT TO app_user USING') }], ID).mine;
  assert.equal(other.length, 1);
  assert.doesNotMatch(other[0]!.message, /As written/);
});

test('ok: a policy a later loop over pg_policies drops (a DO block, or a helper called with the table) is gone: nothing is said of it (secure-multitenant-saas, Sirimbo)', async () => {
  const table = `CREATE TABLE public.categories (id bigint PRIMARY KEY, name text);
ALTER TABLE public.categories ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.categories FORCE ROW LEVEL SECURITY;
CREATE POLICY categories_admin ON public.categories FOR ALL TO authenticated
  USING ((auth.jwt() -> 'user_metadata' ->> 'role') = 'admin');
`;
  const loop = (where: string) => `DO $$
DECLARE pol record;
BEGIN
  FOR pol IN SELECT schemaname, tablename, policyname FROM pg_policies WHERE ${where} LOOP
    EXECUTE format('DROP POLICY IF EXISTS %I ON %I.%I', pol.policyname, pol.schemaname, pol.tablename);
  END LOOP;
END $$;
`;
  const helper = `CREATE FUNCTION public.drop_policies(tbl text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE rec record;
BEGIN
  FOR rec IN SELECT policyname FROM pg_policies WHERE schemaname = split_part(tbl, '.', 1) AND tablename = split_part(tbl, '.', 2) LOOP
    EXECUTE 'DROP POLICY ' || quote_ident(rec.policyname) || ' ON ' || tbl;
  END LOOP;
END $$;
`;
  const after = `CREATE POLICY categories_read ON public.categories FOR SELECT TO authenticated USING (true);\n`;
  const file = 'supabase/migrations/20240101000000_categories.sql';
  const dropped = [
    table + loop("schemaname = 'public' AND tablename IN ('categories', 'other')") + after,
    table + loop("tablename = ANY (ARRAY['categories'])") + after,
    table + loop("schemaname = 'public'") + after,
    // (one loop per table, as projects write them)
    table + loop("tablename = 'other'").replace('END $$;', () => `  FOR pol IN (SELECT schemaname, tablename, policyname FROM pg_policies WHERE tablename = 'categories') LOOP
    EXECUTE 'DROP POLICY ' || quote_ident(pol.policyname) || ' ON public.categories';
  END LOOP;
END $$;`) + after,
    helper + table + "SELECT public.drop_policies('public.categories');\n" + after,
  ];
  for (const sql of dropped) assert.deepEqual(lintFiles([{ file, text: sql }], ID).mine, [], sql);
  // a count of the table's policies (SELECT … INTO) beside a loop over another table is no loop over this one
  const counted = table + loop("tablename = 'other'").replace('BEGIN\n', () => "BEGIN\n  PERFORM 1;\n  SELECT count(*) INTO pol FROM pg_policies WHERE tablename = 'categories';\n") + after;
  assert.notEqual(counted, table + loop("tablename = 'other'") + after);
  assert.equal(lintFiles([{ file, text: counted }], ID).mine.length, 1);
  // a loop that picks policies by name, or one over another table, leaves the policy: still reported
  for (const where of ["tablename = 'categories' AND policyname LIKE 'old_%'", "tablename = 'other'"]) {
    assert.equal(lintFiles([{ file, text: table + loop(where) + after }], ID).mine.length, 1, where);
  }
  assert.equal(lintFiles([{ file, text: helper + table + "SELECT public.drop_policies('public.other');\n" + after }], ID).mine.length, 1);
  const db = await getDb();
  for (const sql of dropped) {
    await inRollback(db, async (q) => {
      await q(AUTH_STUB_SQL);
      await q(sql);
      assert.deepEqual((await q(`SELECT policyname FROM pg_policies WHERE tablename = 'categories'`)).map((r) => r.policyname), ['categories_read']);
    });
  }
});

/**
 * hlieb-decodifi/the-suite (20260206145127_remove_automatic_role_assignment.sql): the sign-up
 * trigger maps the role a user chose through a CASE before storing it, and the policy admits role = 'admin'.
 */
function mappedRole(assign: string, policies = ''): string {
  return `CREATE TABLE public.user_roles (user_id uuid PRIMARY KEY, role text NOT NULL DEFAULT 'client');
ALTER TABLE public.user_roles ENABLE ROW LEVEL SECURITY;
CREATE POLICY user_roles_own ON public.user_roles FOR SELECT TO authenticated USING (user_id = (SELECT auth.uid()));
CREATE TABLE public.admin_configs (key text PRIMARY KEY, value text);
ALTER TABLE public.admin_configs ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Admins can manage configurations" ON public.admin_configs FOR ALL TO public
  USING ((EXISTS ( SELECT 1 FROM user_roles ur WHERE ((ur.user_id = auth.uid()) AND (ur.role = 'admin'::text)))));
CREATE FUNCTION public.handle_new_user() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
  role_from_metadata text;
  assigned_role text;
BEGIN
  role_from_metadata := new.raw_user_meta_data->>'role';
  assigned_role := ${assign};
  INSERT INTO public.user_roles (user_id, role) VALUES (new.id, assigned_role);
  RETURN new;
END $$;
CREATE TRIGGER on_auth_user_created AFTER INSERT ON auth.users FOR EACH ROW EXECUTE FUNCTION public.handle_new_user();
${policies}`;
}
const SUITE_CASE = `CASE
    WHEN role_from_metadata = 'admin' THEN 'client'
    WHEN role_from_metadata IN ('client', 'professional') THEN role_from_metadata
    ELSE 'client'
  END`;
const ADMIN_THROUGH = `CASE WHEN role_from_metadata IN ('client', 'admin') THEN role_from_metadata ELSE 'client' END`;

/** Sign up (Supabase Auth inserts the auth.users row with the data given to signUp; the trigger runs): the role stored, and the admin_configs rows the user then sees. */
async function signUpAs(sql: string, metadata: object): Promise<{ role: string; configs: number }> {
  const db = await getDb();
  return inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q(AUTH_USERS);
    await q(sql);
    await q(`GRANT SELECT ON public.user_roles, public.admin_configs TO authenticated; INSERT INTO public.admin_configs VALUES ('fee', '10')`);
    await q(`INSERT INTO auth.users VALUES ('${TENANT_A}', '${JSON.stringify(metadata)}', '{}')`);
    const [{ role }] = (await q(`SELECT role FROM public.user_roles WHERE user_id = '${TENANT_A}'`)) as [{ role: string }];
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    return { role, configs: await count(q, 'public.admin_configs') };
  });
}

test('ok: a sign-up trigger mapping the chosen role through a CASE that never writes the value the policy checks for (the-suite): signing up as "admin" stores client, sees nothing', async () => {
  const sql = mappedRole(SUITE_CASE);
  assert.deepEqual(lintFiles([{ file: 'm.sql', text: sql }], ID).mine, []);
  assert.deepEqual(await signUpAs(sql, { role: 'admin' }), { role: 'client', configs: 0 });
  assert.deepEqual(await signUpAs(sql, { role: 'professional' }), { role: 'professional', configs: 0 });
  // (a branch is taken only when the earlier ones were not: after WHEN v = 'admin', v IN ('client', 'admin') is never 'admin')
  const earlier = `CASE WHEN role_from_metadata = 'admin' THEN 'client' WHEN role_from_metadata IN ('client', 'admin') THEN role_from_metadata ELSE 'client' END`;
  assert.deepEqual(lintFiles([{ file: 'm.sql', text: mappedRole(earlier) }], ID).mine, []);
  assert.deepEqual(await signUpAs(mappedRole(earlier), { role: 'admin' }), { role: 'client', configs: 0 });
  // (the policy does admit an admin: the role given by the server, not by the trigger)
  assert.deepEqual(await signUpAs(sql.replace(`WHEN role_from_metadata = 'admin' THEN 'client'`, `WHEN role_from_metadata = 'admin' THEN 'admin'`), { role: 'admin' }), { role: 'admin', configs: 1 });
  // the same mapping written otherwise: in VALUES with the variable set in DECLARE, `CASE v WHEN …`, coalesce, a cast, ORs;
  // and through a has_role(uuid, text) helper the policy passes 'admin'
  const direct = (values: string, policies = '') =>
    lintFiles(
      [
        {
          file: 'm.sql',
          text: mappedRole(SUITE_CASE, policies).replace(
            '  INSERT INTO public.user_roles (user_id, role) VALUES (new.id, assigned_role);',
            `  INSERT INTO public.user_roles (user_id, role) VALUES (new.id, ${values});`,
          ),
        },
      ],
      ID,
    ).mine;
  const hasRole = `CREATE FUNCTION public.has_role(_user_id uuid, _role text) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT EXISTS (SELECT 1 FROM public.user_roles WHERE user_id = _user_id AND role = _role)
$$;
CREATE TABLE public.reports (id bigint PRIMARY KEY);
ALTER TABLE public.reports ENABLE ROW LEVEL SECURITY;
CREATE POLICY reports_admin ON public.reports FOR SELECT TO authenticated USING (public.has_role(auth.uid(), 'admin'));`;
  for (const values of [
    `CASE WHEN role_from_metadata IN ('client', 'professional') THEN role_from_metadata ELSE 'client' END`,
    `CASE role_from_metadata WHEN 'professional' THEN 'professional' ELSE 'client' END`,
    `coalesce(CASE WHEN new.raw_user_meta_data->>'role' = 'professional' OR new.raw_user_meta_data->>'role' = 'client' THEN (new.raw_user_meta_data->>'role')::text END, 'client')`,
    `CASE WHEN role_from_metadata = 'admin' THEN 'client' WHEN role_from_metadata IN ('client', 'admin') THEN role_from_metadata ELSE 'client' END`,
  ]) {
    assert.deepEqual(direct(values), [], values);
    assert.deepEqual(direct(values, hasRole), [], values);
  }
});

test('err: a CASE that lets the value the policy checks for through (WHEN v IN (\'client\', \'admin\') THEN v): signing up as "admin" stores admin and reads the admins\' rows', async () => {
  const sql = mappedRole(ADMIN_THROUGH);
  const { ws, mine } = lintFiles([{ file: 'm.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'assigned_role');
  assert.match(
    mine[0]!.message,
    /copies auth\.users\.raw_user_meta_data into public\.user_roles\.role, and policy "Admins can manage configurations" on public\.admin_configs trusts public\.user_roles\.role: .* So a user decides which of 'client', 'admin' this function writes into public\.user_roles\.role, and the policy checks public\.user_roles\.role for 'admin'\. Assign such values on the server/,
  );
  assert.deepEqual(await signUpAs(sql, { role: 'admin' }), { role: 'admin', configs: 1 });
  assert.deepEqual(await signUpAs(sql, { role: 'client' }), { role: 'client', configs: 0 });
  // still reported: the metadata unrestricted (an ELSE or a branch giving it as it is), a constant the user picks, a policy
  // reading the role otherwise than for constants, a helper a policy passes a value the trigger can write
  const found = (assign: string, policies = '') => lintFiles([{ file: 'm.sql', text: mappedRole(assign, policies) }], ID).mine.length;
  for (const assign of [
    `CASE WHEN role_from_metadata IN ('client', 'professional') THEN role_from_metadata ELSE role_from_metadata END`,
    `CASE WHEN role_from_metadata IS NOT NULL THEN role_from_metadata ELSE 'client' END`,
    `CASE WHEN role_from_metadata = 'boss' THEN 'admin' ELSE 'client' END`,
    `CASE role_from_metadata WHEN 'admin' THEN 'admin' ELSE 'client' END`,
    `CASE WHEN role_from_metadata = 'admin' OR role_from_metadata = 'client' THEN role_from_metadata ELSE 'client' END`,
    `coalesce(role_from_metadata, 'client')`,
  ]) {
    assert.equal(found(assign), 1, assign);
  }
  const policies = (using: string) => `CREATE TABLE public.reports (id bigint PRIMARY KEY);
ALTER TABLE public.reports ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.has_role(_user_id uuid, _role text) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT EXISTS (SELECT 1 FROM public.user_roles WHERE user_id = _user_id AND role = _role)
$$;
CREATE POLICY reports_staff ON public.reports FOR SELECT TO authenticated USING (${using});`;
  assert.equal(found(SUITE_CASE, policies(`EXISTS (SELECT 1 FROM public.user_roles ur WHERE ur.user_id = auth.uid() AND ur.role <> 'client')`)), 1);
  assert.equal(found(SUITE_CASE, policies(`public.has_role(auth.uid(), 'professional')`)), 1);
  assert.equal(found(SUITE_CASE, policies(`EXISTS (SELECT 1 FROM public.user_roles ur WHERE ur.user_id = auth.uid() AND ur.role = ANY (ARRAY['professional', 'manager']))`)), 1);
});

test("err: a sign-up trigger whose IF on the user's metadata picks the role it writes (frotaapp: `IF new.raw_user_meta_data->>'phone' = '912345678' THEN user_role := 'admin'`): signing up with that phone makes the user admin (PGlite); the fix reads app_metadata", async () => {
  const sql = `CREATE TABLE public.user_roles (user_id uuid PRIMARY KEY, role text NOT NULL);
ALTER TABLE public.user_roles ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_role ON public.user_roles FOR SELECT TO authenticated USING (user_id = (SELECT auth.uid()));
CREATE TABLE public.vehicles (id int PRIMARY KEY, plate text);
ALTER TABLE public.vehicles ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.has_role(_user_id uuid, _role text) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT EXISTS (SELECT 1 FROM public.user_roles WHERE user_id = _user_id AND role = _role)
$$;
CREATE POLICY admins_vehicles ON public.vehicles FOR SELECT TO authenticated USING (public.has_role((SELECT auth.uid()), 'admin'));
CREATE FUNCTION public.handle_new_user() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
  user_role text := 'driver';
BEGIN
  IF new.raw_user_meta_data->>'phone' = '912345678' THEN
    user_role := 'admin';
  END IF;
  INSERT INTO public.user_roles (user_id, role) VALUES (new.id, user_role);
  RETURN new;
END $$;
CREATE TRIGGER on_auth_user_created AFTER INSERT ON auth.users FOR EACH ROW EXECUTE FUNCTION public.handle_new_user();
`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/1_roles.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^Trigger function public\.handle_new_user\(\) writes into public\.user_roles\.role a value auth\.users\.raw_user_meta_data chooses \(an IF on it picks what is written\), and policy "admins_vehicles" on public\.vehicles trusts public\.user_roles\.role through public\.has_role\(uuid, text\): .*a condition on it is one the user answers .*So a user decides which of 'driver', 'admin' this function writes into public\.user_roles\.role, and the policy checks public\.user_roles\.role for 'admin'\./);
  assert.equal(textAt(ws, mine[0]!), 'user_role');
  const fixed = applyFix(ws, mine[0]!);
  assert.match(fixed.text(mine[0]!.file)!, /IF new\.raw_app_meta_data->>'phone' = '912345678' THEN/);
  assert.deepEqual(findingsOf(fixed, ID), [], 'the fix re-lints clean');
  for (const [w, seen] of [
    [ws, 1],
    [fixed, 0],
  ] as const) {
    await inRollback(await getDb(), async (q) => {
      await q(AUTH_STUB_SQL);
      await q(AUTH_USERS);
      await q(sqlOf(w));
      await q(`GRANT SELECT ON public.vehicles, public.user_roles TO authenticated; INSERT INTO public.vehicles VALUES (1, 'AA-00-BB')`);
      await q(`INSERT INTO auth.users VALUES ('${TENANT_A}', '{"phone": "912345678"}', '{}')`);
      await q(`${actAs(TENANT_A)}; SET ROLE authenticated`);
      assert.equal(await count(q, 'public.vehicles'), seen, seen ? 'the user who signed up with that phone in their own metadata is admin' : 'with app_metadata the user is a driver');
      await q('RESET ROLE');
    });
  }
  // the INSERT itself in the branch: the same
  const inBranch = sql.replace("    user_role := 'admin';\n  END IF;\n  INSERT INTO public.user_roles (user_id, role) VALUES (new.id, user_role);", "    INSERT INTO public.user_roles (user_id, role) VALUES (new.id, 'admin');\n  ELSE\n    INSERT INTO public.user_roles (user_id, role) VALUES (new.id, user_role);\n  END IF;");
  assert.notEqual(inBranch, sql);
  const branch = lintFiles([{ file: 'supabase/migrations/1_roles.sql', text: inBranch }], ID).mine;
  assert.equal(branch.length, 1);
  assert.match(branch[0]!.message, /So a user decides whether this function writes 'admin' into public\.user_roles\.role/);
  // an IF on the metadata writing the new user's id (whether a row is written, not what) or a value no policy checks: not reported
  const noRole = sql.replace("    user_role := 'admin';", "    user_role := 'driver';");
  assert.deepEqual(lintFiles([{ file: 'supabase/migrations/1_roles.sql', text: noRole }], ID).mine, []);
});

/**
 * SethRoll3/AcercateSys (20251102193529_fix_email_sync.sql): the sign-up trigger writes
 * coalesce(NEW.raw_user_meta_data->>'role', 'cliente') — text — into users.role, of an enum type.
 * Text has no assignment cast to an enum: PostgreSQL rejects the INSERT each time (42804), every
 * sign-up fails and no role is ever written, so the user chooses nothing. Cast to the enum, it
 * writes what the user chose.
 */
function enumRole(value: string, write = 'INSERT INTO public.users (id, role) VALUES (new.id, %v%);'): string {
  return `CREATE TYPE public.user_role AS ENUM ('admin', 'cliente', 'asesor');
CREATE TABLE public.users (id uuid PRIMARY KEY, role public.user_role DEFAULT 'cliente');
ALTER TABLE public.users ENABLE ROW LEVEL SECURITY;
CREATE POLICY users_own ON public.users FOR SELECT TO authenticated USING (id = (SELECT auth.uid()));
CREATE TABLE public.loans (id int PRIMARY KEY, amount numeric);
ALTER TABLE public.loans ENABLE ROW LEVEL SECURITY;
CREATE POLICY loans_admin ON public.loans FOR SELECT TO authenticated
  USING ((SELECT role FROM public.users WHERE id = auth.uid()) = 'admin');
CREATE FUNCTION public.handle_new_user() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  INSERT INTO public.users (id) VALUES (new.id) ON CONFLICT (id) DO NOTHING;
  ${write.replace('%v%', () => value)}
  RETURN new;
END $$;
CREATE TRIGGER on_auth_user_created AFTER INSERT ON auth.users FOR EACH ROW EXECUTE FUNCTION public.handle_new_user();
`;
}

test("ok: a sign-up trigger writing the metadata's text into an enum column without a cast (AcercateSys): PostgreSQL rejects it every time (42804), so no user chooses a role; err: cast to the enum, it writes the role chosen (PGlite)", async () => {
  const upsert = 'INSERT INTO public.users (id, role) VALUES (new.id, %v%) ON CONFLICT (id) DO UPDATE SET role = EXCLUDED.role;';
  const update = 'UPDATE public.users SET role = %v% WHERE id = new.id;';
  const failing = [
    [`coalesce(new.raw_user_meta_data->>'role', 'cliente')`, upsert],
    [`new.raw_user_meta_data->>'role'`, update],
    [`(new.raw_user_meta_data #>> '{role}')::text`, upsert],
  ] as const;
  const working = [
    [`coalesce(new.raw_user_meta_data->>'role', 'cliente')::public.user_role`, upsert],
    [`(new.raw_user_meta_data->>'role')::user_role`, update],
  ] as const;
  for (const [value, write] of failing) assert.deepEqual(lintFiles([{ file: 'm.sql', text: enumRole(value, write) }], ID).mine, [], value);
  for (const [value, write] of working) {
    const mine = lintFiles([{ file: 'm.sql', text: enumRole(value, write) }], ID).mine;
    assert.equal(mine.length, 1, value);
    assert.match(mine[0]!.message, /copies auth\.users\.raw_user_meta_data into public\.users\.role, and policy "loans_admin" on public\.loans trusts public\.users\.role/);
  }
  // the same column as text: the copy works, and is reported
  assert.equal(lintFiles([{ file: 'm.sql', text: enumRole(failing[0][0], failing[0][1]).replace('role public.user_role DEFAULT', 'role text DEFAULT') }], ID).mine.length, 1);
  const db = await getDb();
  const signUp = async (sql: string) =>
    inRollback(db, async (q) => {
      await q(AUTH_STUB_SQL);
      await q(AUTH_USERS);
      await q(sql);
      await q(`GRANT SELECT ON public.users, public.loans TO authenticated; INSERT INTO public.loans VALUES (1, 5000)`);
      const r = await tryQuery(q, `INSERT INTO auth.users VALUES ('${TENANT_A}', '{"role": "admin"}', '{}')`);
      if (!r.ok) return r.error.code;
      await q(`${actAs(TENANT_A)}; SET ROLE authenticated`);
      return count(q, 'public.loans');
    });
  for (const [value, write] of failing) assert.equal(await signUp(enumRole(value, write)), '42804', `${value}: the sign-up fails, nothing is written`);
  for (const [value, write] of working) assert.equal(await signUp(enumRole(value, write)), 1, `${value}: signing up as admin reads the admins' loans`);
});

// Calibration cal161 (Steffi-2203/remix-of-immoflow, 20260110184922): handle_new_user() reads
// `invite_token` from the user's metadata; with one it writes the profile with organization_id NULL
// and no role, else it makes an organization, writes the profile in it and the role 'admin'. Both
// were reported: "a user decides whether this function writes 'admin' into public.user_roles.role"
// — but the ELSE is what a sign-up sending no metadata gets: the metadata can only turn 'admin'
// away; and "decides which of  this function writes" for the NULL, which `organization_id IN
// (SELECT profiles.organization_id …)` matches for no row.
const INVITE_SIGNUP = `CREATE TABLE public.organizations (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text);
CREATE TABLE public.profiles (id uuid PRIMARY KEY, organization_id uuid REFERENCES public.organizations);
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_profile ON public.profiles FOR SELECT TO authenticated USING (id = (SELECT auth.uid()));
CREATE TABLE public.user_roles (user_id uuid PRIMARY KEY, role text NOT NULL);
ALTER TABLE public.user_roles ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_role ON public.user_roles FOR SELECT TO authenticated USING (user_id = (SELECT auth.uid()));
CREATE TABLE public.categories (id int PRIMARY KEY, organization_id uuid);
ALTER TABLE public.categories ENABLE ROW LEVEL SECURITY;
CREATE POLICY org_categories ON public.categories FOR SELECT TO authenticated
  USING (organization_id IN (SELECT profiles.organization_id FROM public.profiles WHERE profiles.id = (SELECT auth.uid())));
CREATE TABLE public.portal (id int PRIMARY KEY);
ALTER TABLE public.portal ENABLE ROW LEVEL SECURITY;
CREATE POLICY portal_admins ON public.portal FOR SELECT TO authenticated
  USING (EXISTS (SELECT 1 FROM public.user_roles ur WHERE ur.user_id = (SELECT auth.uid()) AND ur.role = 'admin'));
CREATE FUNCTION public.handle_new_user() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
  new_org_id uuid;
  invite_token_value text;
BEGIN
  invite_token_value := NEW.raw_user_meta_data ->> 'invite_token';
  IF invite_token_value IS NOT NULL AND invite_token_value != '' THEN
    INSERT INTO public.profiles (id, organization_id) VALUES (NEW.id, NULL);
  ELSE
    INSERT INTO public.organizations (name) VALUES ('mine') RETURNING id INTO new_org_id;
    INSERT INTO public.profiles (id, organization_id) VALUES (NEW.id, new_org_id);
    INSERT INTO public.user_roles (user_id, role) VALUES (NEW.id, 'admin');
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER on_auth_user_created AFTER INSERT ON auth.users FOR EACH ROW EXECUTE FUNCTION public.handle_new_user();
`;

test('ok: a sign-up trigger whose metadata picks only the NULL organization or the role an ordinary sign-up (no metadata) gets anyway: not reported (PGlite: with no metadata the user is admin; with an invite token, no role and no category)', async () => {
  const lint = (sql: string) => lintFiles([{ file: 'supabase/migrations/1_signup.sql', text: sql }], ID).mine;
  assert.deepEqual(lint(INVITE_SIGNUP), []);
  // the branch the metadata must ask for writes 'admin': still reported
  const asked = INVITE_SIGNUP.replace("invite_token_value IS NOT NULL AND invite_token_value != ''", "invite_token_value = 'staff-2024'")
    .replace("VALUES (NEW.id, NULL);\n", "VALUES (NEW.id, NULL);\n    INSERT INTO public.user_roles (user_id, role) VALUES (NEW.id, 'admin');\n")
    .replace("    INSERT INTO public.user_roles (user_id, role) VALUES (NEW.id, 'admin');\n  END IF;", "  END IF;");
  assert.equal(asked.match(/'admin'\);/g)?.length, 1);
  const a = lint(asked);
  assert.equal(a.length, 1);
  assert.match(a[0]!.message, /So a user decides whether this function writes 'admin' into public\.user_roles\.role, and the policy checks public\.user_roles\.role for 'admin'\./);
  // a policy for which a NULL organization holds (IS NULL on the profile's): the NULL is the user's to choose, and said so
  const nullOpen = INVITE_SIGNUP.replace(
    'USING (organization_id IN (SELECT profiles.organization_id FROM public.profiles WHERE profiles.id = (SELECT auth.uid())));',
    'USING (organization_id IN (SELECT profiles.organization_id FROM public.profiles WHERE profiles.id = (SELECT auth.uid())) OR EXISTS (SELECT 1 FROM public.profiles p WHERE p.id = (SELECT auth.uid()) AND p.organization_id IS NULL));',
  );
  const n = lint(nullOpen);
  assert.equal(n.length, 1);
  assert.match(n[0]!.message, /So a user decides whether this function writes NULL into public\.profiles\.organization_id, and with it what the policy grants\./);

  const B = '00000000-0000-0000-0000-0000000000b2';
  const seen = async (sql: string) =>
    inRollback(await getDb(), async (q) => {
      await q(AUTH_STUB_SQL);
      await q(AUTH_USERS);
      await q(sql);
      await q(`GRANT SELECT ON public.portal, public.categories, public.profiles, public.user_roles TO authenticated;
        INSERT INTO public.portal VALUES (1); INSERT INTO public.organizations (id, name) VALUES ('${TENANT_A}', 'other');
        INSERT INTO public.categories VALUES (1, '${TENANT_A}'), (2, NULL)`);
      await q(`INSERT INTO auth.users VALUES ('${TENANT_A}', '{}', '{}'), ('${B}', '{"invite_token": "x"}', '{}')`);
      const out: number[] = [];
      for (const u of [TENANT_A, B]) {
        await q(`${actAs(u)}; SET ROLE authenticated`);
        out.push(await count(q, 'public.portal'), await count(q, 'public.categories'));
        await q('RESET ROLE');
      }
      return out;
    });
  assert.deepEqual(await seen(INVITE_SIGNUP), [1, 0, 0, 0], 'no metadata: admin, in a new organization; the invite token: no role, no category');
  assert.deepEqual(await seen(asked), [0, 0, 0, 0], "with 'staff-2024' asked for, no metadata: no role");
  assert.deepEqual(await seen(nullOpen), [1, 0, 0, 2], 'the invite token leaves organization_id NULL, which this policy opens');
});

// Calibration (cal164, itsmikesharescode/Inventory-System-Cainta's seed.sql, a pg_dump of the schema:
// `USING ((public.is_teacher() AND ((((auth.jwt() ->> 'user_metadata'::text))::jsonb ->>
// 'teacher_real_id'::text) = teacher_real_id)))`). pg_dump writes each JSON key cast to text; the
// key was only recognised as a bare literal, so these policies were not reported while the same
// check written by hand was. PGlite: a user who puts another teacher's id in their user_metadata
// reads that teacher's rows through it.
test("err: the key cast to text as pg_dump writes it (`(auth.jwt() ->> 'user_metadata'::text)::jsonb ->> 'k'::text`) is user_metadata too; PGlite: a forged teacher_real_id reads another teacher's rows; fixed: app_metadata", async () => {
  const sql = `CREATE TABLE reports (id bigint PRIMARY KEY, teacher_real_id text);
ALTER TABLE reports ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Allow select if teacher" ON "public"."reports" FOR SELECT TO "authenticated" USING (((("auth"."jwt"() ->> 'user_metadata'::"text"))::"jsonb" ->> 'teacher_real_id'::"text") = "teacher_real_id");
`;
  const file = 'supabase/seed.sql';
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_r.sql', text: sql }], ID);
  assert.equal(mine.length, 1, mine.map((f) => f.message).join('\n'));
  assert.match(mine[0]!.message, /^Policy "Allow select if teacher" on public\.reports trusts the JWT's user_metadata claim/);
  assert.equal(textAt(ws, mine[0]!), 'user_metadata');
  const fixed = applyFix(ws, mine[0]!);
  assert.match(sqlOf(fixed), /->> 'app_metadata'::"text"/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  // (the cast on other keys, and app_metadata's, stay unreported)
  assert.equal(lintFiles([{ file, text: sql.replace("'user_metadata'", "'app_metadata'") }], ID).mine.length, 0);
  const db = await getDb();
  const rows = (text: string, claims: Record<string, unknown>) =>
    inRollback(db, async (q) => {
      await q(AUTH_STUB_SQL);
      await q(text);
      await q(`INSERT INTO reports VALUES (1, 'T-1'), (2, 'T-2'); GRANT SELECT ON reports TO authenticated`);
      await q(actAs(TENANT_A, claims));
      await q('SET ROLE authenticated');
      return q('SELECT id FROM reports ORDER BY id').then((r) => r.map((x) => Number(x.id)));
    });
  assert.deepEqual(await rows(sql, { user_metadata: { teacher_real_id: 'T-1' } }), [1], 'the teacher T-1');
  assert.deepEqual(await rows(sql, { user_metadata: { teacher_real_id: 'T-2' } }), [2], 'the same user after updateUser({ data: { teacher_real_id: "T-2" } }): the other teacher\'s rows');
  assert.deepEqual(await rows(sqlOf(fixed), { user_metadata: { teacher_real_id: 'T-2' } }), [], 'fixed: the forged user_metadata gives nothing');
});

// Calibration (papafreshceo/dalaremarket.com, 067_create_handle_new_user_trigger.sql): the sign-up
// trigger sets `v_role := COALESCE(NEW.raw_user_meta_data->>'role', 'seller')` and, IF v_role =
// 'seller', makes an organization and its member row ('owner', 'active'). A sign-up sending no
// metadata is a seller: it gets that row anyway, and the metadata can only turn it away; it was said
// that "a user decides whether this function writes 'owner' into public.organization_members.role"
// (and 'active' into its status). The COALESCE's default is what the variable then holds. With
// another default ('buyer'), the branch is the metadata's to ask for, and it is still reported.
const SELLER_SIGNUP = `CREATE TABLE public.organizations (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), owner_id uuid);
CREATE TABLE public.organization_members (organization_id uuid, user_id uuid, role text NOT NULL, status text NOT NULL);
ALTER TABLE public.organization_members ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_memberships ON public.organization_members FOR SELECT TO authenticated USING (user_id = (SELECT auth.uid()));
CREATE TABLE public.business_profiles (id int PRIMARY KEY, organization_id uuid);
ALTER TABLE public.business_profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY owners_read ON public.business_profiles FOR SELECT TO authenticated
  USING (organization_id IN (SELECT om.organization_id FROM public.organization_members om WHERE om.user_id = (SELECT auth.uid()) AND om.status = 'active' AND om.role IN ('owner', 'admin')));
CREATE FUNCTION public.handle_new_user() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
  v_role text;
  v_org_id uuid;
BEGIN
  v_role := COALESCE(NEW.raw_user_meta_data->>'role', 'seller');
  IF v_role = 'seller' THEN
    INSERT INTO public.organizations (owner_id) VALUES (NEW.id) RETURNING id INTO v_org_id;
    INSERT INTO public.organization_members (organization_id, user_id, role, status) VALUES (v_org_id, NEW.id, 'owner', 'active');
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER on_auth_user_created AFTER INSERT ON auth.users FOR EACH ROW EXECUTE FUNCTION public.handle_new_user();
`;

test("ok: a sign-up trigger whose IF takes, with no metadata, the branch a COALESCE's default picks (dalaremarket's v_role := COALESCE(…->>'role', 'seller'); IF v_role = 'seller'): not reported; with another default, reported (PGlite: no metadata makes an owner; 'buyer' none)", async () => {
  const lint = (sql: string) => lintFiles([{ file: 'supabase/migrations/1_signup.sql', text: sql }], ID).mine;
  assert.deepEqual(lint(SELLER_SIGNUP), []);
  const buyer = SELLER_SIGNUP.replace("'role', 'seller')", "'role', 'buyer')");
  assert.notEqual(buyer, SELLER_SIGNUP);
  const b = lint(buyer);
  assert.ok(b.length >= 1);
  assert.match(b[0]!.message, /So a user decides whether this function writes '(owner|active)' into public\.organization_members\.(role|status)/);
  const B = '00000000-0000-0000-0000-0000000000b2';
  const owners = async (sql: string) =>
    inRollback(await getDb(), async (q) => {
      await q(AUTH_STUB_SQL);
      await q(AUTH_USERS);
      await q(sql);
      await q(`INSERT INTO auth.users VALUES ('${TENANT_A}', '{}', '{}'), ('${B}', '{"role": "buyer"}', '{}')`);
      return (await q(`SELECT user_id::text AS u FROM public.organization_members WHERE role = 'owner' AND status = 'active' ORDER BY 1`)).map((r) => r.u);
    });
  assert.deepEqual(await owners(SELLER_SIGNUP), [TENANT_A], 'no metadata: an owner of a new organization; the metadata only turns it away');
  assert.deepEqual(await owners(buyer), [], "default 'buyer': only metadata asking for 'seller' makes an owner");
});

// Calibration (cal210): Kinetic639/coreframe-boilerplate's handle_user_signup_hook and
// handle_new_auth_user: the sign-up reads an invitation token from user_metadata, looks the
// invitation up by it (SELECT … INTO … WHERE i.token = invitation_token AND i.email = …), and
// only IF FOUND adds the membership, writing constants ('active') and the invitation row's values.
// The metadata carries a key that must match a row someone else wrote; it was said to choose
// "whether this function writes 'active'". A value copied from the metadata itself inside that
// branch (the role id the metadata names, not the invitation's) is still reported. PGlite: a
// wrong token adds no membership; the right one the invitation's organization; a role id named
// in the metadata is written as given.
test("ok: writes gated by IF FOUND after a lookup keyed by the metadata's invitation token (coreframe-boilerplate's sign-up) are not the metadata's choice; err: a value copied from the metadata in that branch still is; PGlite", async () => {
  const sql = (roleFrom: string) => `CREATE TABLE public.invitations (token text PRIMARY KEY, email text NOT NULL, organization_id uuid NOT NULL, role text NOT NULL);
CREATE TABLE public.organization_members (organization_id uuid, user_id uuid, status text NOT NULL, role text NOT NULL, PRIMARY KEY (organization_id, user_id));
CREATE TABLE public.org_docs (id bigint PRIMARY KEY, organization_id uuid NOT NULL);
ALTER TABLE public.org_docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY members_read ON public.org_docs FOR SELECT TO authenticated USING (EXISTS (
  SELECT 1 FROM public.organization_members m WHERE m.organization_id = org_docs.organization_id AND m.user_id = (select auth.uid()) AND m.status = 'active'));
CREATE POLICY owners_delete ON public.org_docs FOR DELETE TO authenticated USING (EXISTS (
  SELECT 1 FROM public.organization_members m WHERE m.organization_id = org_docs.organization_id AND m.user_id = (select auth.uid()) AND m.role = 'owner'));
ALTER TABLE public.invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.organization_members ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.handle_new_user() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
  invitation_token text;
  invitation_record record;
BEGIN
  invitation_token := NEW.raw_user_meta_data->>'invitation_token';
  IF invitation_token IS NOT NULL AND invitation_token <> '' THEN
    SELECT i.organization_id, i.role INTO invitation_record
    FROM public.invitations i
    WHERE i.token = invitation_token AND lower(i.email) = lower(NEW.raw_user_meta_data->>'email');
    IF FOUND THEN
      INSERT INTO public.organization_members (organization_id, user_id, status, role)
      VALUES (invitation_record.organization_id, NEW.id, 'active', ${roleFrom});
    END IF;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER on_auth_user_created AFTER INSERT ON auth.users FOR EACH ROW EXECUTE FUNCTION public.handle_new_user();
`;
  const safe = sql('invitation_record.role');
  assert.deepEqual(lintFiles([{ file: 'supabase/migrations/20260311100000_signup.sql', text: `CREATE SCHEMA IF NOT EXISTS auth;\n${AUTH_USERS}\n${safe}` }], ID).mine, []);
  const copied = sql("NEW.raw_user_meta_data->>'invitation_role'");
  const mine = lintFiles([{ file: 'supabase/migrations/20260311100000_signup.sql', text: `CREATE SCHEMA IF NOT EXISTS auth;\n${AUTH_USERS}\n${copied}` }], ID).mine;
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /copies auth\.users\.raw_user_meta_data into public\.organization_members\.role, and policy "owners_delete" on public\.org_docs trusts public\.organization_members\.role/);
  // (the organization the metadata names, required equal to the invitation's in the lookup: the invitation's, not reported)
  const named = safe
    .replace("invitation_token := NEW.raw_user_meta_data->>'invitation_token';", "invitation_token := NEW.raw_user_meta_data->>'invitation_token';\n  invitation_org := (NEW.raw_user_meta_data->>'invitation_org')::uuid;")
    .replace('invitation_record record;', 'invitation_record record;\n  invitation_org uuid;')
    .replace('WHERE i.token = invitation_token AND', 'WHERE i.token = invitation_token AND i.organization_id = invitation_org AND')
    .replace('VALUES (invitation_record.organization_id, NEW.id,', 'VALUES (invitation_org, NEW.id,');
  assert.match(named, /VALUES \(invitation_org, NEW\.id,/);
  assert.deepEqual(lintFiles([{ file: 'supabase/migrations/20260311100000_signup.sql', text: `CREATE SCHEMA IF NOT EXISTS auth;\n${AUTH_USERS}\n${named}` }], ID).mine, []);
  // (a lookup by an id the user names, no secret: any organization is found, and the writes are the metadata's choice)
  const byId = named.replace('WHERE i.token = invitation_token AND i.organization_id = invitation_org AND', 'WHERE i.organization_id = invitation_org AND');
  assert.notEqual(byId, named);
  const open = lintFiles([{ file: 'supabase/migrations/20260311100000_signup.sql', text: `CREATE SCHEMA IF NOT EXISTS auth;\n${AUTH_USERS}\n${byId}` }], ID).mine;
  assert.ok(open.some((f) => /copies auth\.users\.raw_user_meta_data into public\.organization_members\.organization_id/.test(f.message)), open.map((f) => f.message).join('\n'));
  const ORG = '00000000-0000-0000-0000-0000000000c1';
  const signUp = async (text: string, meta: object) =>
    inRollback(await getDb(), async (q) => {
      await q(AUTH_STUB_SQL);
      await q(AUTH_USERS);
      await q(text);
      await q(`INSERT INTO public.invitations VALUES ('tok-1', 'a@example.com', '${ORG}', 'member')`);
      await q(`INSERT INTO auth.users VALUES ('${TENANT_A}', '${JSON.stringify(meta)}', '{}')`);
      return q(`SELECT organization_id, status, role FROM public.organization_members`);
    });
  assert.deepEqual(await signUp(safe, { invitation_token: 'guess', email: 'a@example.com' }), [], 'a wrong token joins nothing');
  assert.deepEqual(await signUp(safe, { invitation_token: 'tok-1', email: 'a@example.com' }), [{ organization_id: ORG, status: 'active', role: 'member' }]);
  assert.deepEqual(await signUp(named, { invitation_token: 'tok-1', email: 'a@example.com', invitation_org: TENANT_A }), [], 'another organization named with a valid token: the lookup finds no row');
  assert.deepEqual(await signUp(named, { invitation_token: 'tok-1', email: 'a@example.com', invitation_org: ORG }), [{ organization_id: ORG, status: 'active', role: 'member' }]);
  assert.deepEqual(await signUp(copied, { invitation_token: 'tok-1', email: 'a@example.com', invitation_role: 'owner' }), [{ organization_id: ORG, status: 'active', role: 'owner' }], "the metadata's role is written as given");
});

test("ok: the chosen values are each passed to the helper, the calls one OR's parts (CycleCourierCo/courier-scheduler-ninja's orders INSERT, has_role(…, 'b2b_customer') OR has_role(…, 'b2c_customer')): either sign-up inserts an order alike; a policy admitting one of them is still reported", async () => {
  const policy = (check: string) => `CREATE TABLE public.user_roles (user_id uuid NOT NULL, role text NOT NULL, PRIMARY KEY (user_id, role));
ALTER TABLE public.user_roles ENABLE ROW LEVEL SECURITY;
CREATE POLICY user_roles_own ON public.user_roles FOR SELECT TO authenticated USING (user_id = (SELECT auth.uid()));
CREATE FUNCTION public.has_role(_user_id uuid, _role text) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT EXISTS (SELECT 1 FROM public.user_roles WHERE user_id = _user_id AND role = _role)
$$;
CREATE TABLE public.orders (id int PRIMARY KEY, user_id uuid NOT NULL);
ALTER TABLE public.orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Consolidated orders INSERT policy" ON public.orders FOR INSERT TO authenticated
  WITH CHECK (public.has_role(auth.uid(), 'admin') OR (auth.uid() = user_id AND (${check})));
CREATE FUNCTION public.handle_new_user() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE v_role text;
BEGIN
  v_role := CASE WHEN new.raw_user_meta_data->>'is_business' = 'true' THEN 'b2b_customer' ELSE 'b2c_customer' END;
  INSERT INTO public.user_roles (user_id, role) VALUES (new.id, v_role);
  RETURN new;
END $$;
CREATE TRIGGER on_auth_user_created AFTER INSERT ON auth.users FOR EACH ROW EXECUTE FUNCTION public.handle_new_user();
`;
  const both = policy("public.has_role(auth.uid(), 'b2b_customer') OR public.has_role(auth.uid(), 'b2c_customer') OR public.has_role(auth.uid(), 'sales')");
  assert.deepEqual(lintFiles([{ file: 'supabase/migrations/1_roles.sql', text: both }], ID).mine, []);
  const one = lintFiles([{ file: 'supabase/migrations/1_roles.sql', text: policy("public.has_role(auth.uid(), 'b2b_customer')") }], ID).mine;
  assert.equal(one.length, 1);
  assert.match(one[0]!.message, /So a user decides which of 'b2b_customer', 'b2c_customer' this function writes into public\.user_roles\.role, and the policy checks public\.user_roles\.role for 'b2b_customer'\./);
  // (both calls required at once: no sign-up passes, the choice gives nothing either way — but not
  // an OR: still reported, as before)
  assert.equal(lintFiles([{ file: 'supabase/migrations/1_roles.sql', text: policy("public.has_role(auth.uid(), 'b2b_customer') AND public.has_role(auth.uid(), 'b2c_customer')") }], ID).mine.length, 1);

  const db = await getDb();
  for (const [business, sql, ok] of [['true', both, true], ['false', both, true], ['true', policy("public.has_role(auth.uid(), 'b2b_customer')"), true], ['false', policy("public.has_role(auth.uid(), 'b2b_customer')"), false]] as const) {
    await inRollback(db, async (q) => {
      await q(AUTH_STUB_SQL);
      await q(AUTH_USERS);
      await q(sql);
      await q('GRANT SELECT, INSERT ON public.orders TO authenticated');
      await q(`INSERT INTO auth.users VALUES ('${TENANT_A}', '{"is_business": ${business}}', '{}')`);
      await q(actAs(TENANT_A));
      await q('SET ROLE authenticated');
      const r = await tryQuery(q, `INSERT INTO public.orders VALUES (1, '${TENANT_A}')`);
      assert.equal(r.ok ? 'inserted' : r.error.code, ok ? 'inserted' : '42501', `is_business ${business}`);
    });
  }
});
