// policy-subquery-sees-no-rows on PostgreSQL (PGlite): row-level security applies inside a
// policy's sub-select as in any query of the role, so an EXISTS on a table whose policies show
// the role no row is never true and the policy admits nothing (T12); a SELECT policy for the
// role on the other table makes it work.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, count, getDb, inRollback, tryQuery, type Q } from '../helpers/pg.js';
import { initParser, invalidFinding, lintDocExample, lintFiles, nestedParentheses, sqlOf, TENANT_A, TENANT_B, textAt } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';

const ID = 'policy-subquery-sees-no-rows';
before(initParser);
after(closeAll);

const STORE = TENANT_A;

async function store(q: Q, sql: string): Promise<void> {
  await q(AUTH_STUB_SQL);
  await q(sql);
  await q(`INSERT INTO public.profiles (id, restaurant_name) VALUES ('${STORE}', 'Pizza A')`);
  await q(`INSERT INTO public.product_categories (id, restaurant_id, name) VALUES ('${TENANT_B}', '${STORE}', 'Pizzas')`);
  await q('GRANT SELECT ON public.profiles, public.product_categories TO anon, authenticated');
}

test('err: an anon policy whose EXISTS reads a table showing anon no row (meu-delivery-pro): anon gets 0 categories, with no error', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'public_categories');
  assert.match(finding.message, /is for anon and admits a row only when its sub-select EXISTS \(SELECT … FROM public\.profiles …\) finds one, but no row of public\.profiles is visible to that role: of its SELECT policies, policy "own_profile" admits a row only for the signed-in user/);
  assert.match(finding.message, /get no row through it, with no error/);
  await inRollback(await getDb(), async (q) => {
    await store(q, sqlOf(ws));
    assert.equal(await count(q, 'public.product_categories'), 1, 'the category exists');
    await q('SET ROLE anon');
    assert.equal(await count(q, 'public.profiles'), 0, 'anon sees no profile');
    assert.equal(await count(q, 'public.product_categories'), 0, 'so the policy admits no category');
  });
});

test('ok: the Valid examples: a policy showing anon the published stores; user_document showing the role its own invitations', async () => {
  const { ws, mine } = lintDocExample(ID, 'valid', 0);
  assert.deepEqual(mine, []);
  await inRollback(await getDb(), async (q) => {
    await store(q, sqlOf(ws));
    await q(`UPDATE public.profiles SET published = true`);
    await q('SET ROLE anon');
    assert.equal(await count(q, 'public.product_categories'), 1, 'the published store: anon sees its category');
  });
  assert.deepEqual(lintDocExample(ID, 'valid', 1).mine, []);
});

// meu-delivery-pro's option items: the EXISTS joins option groups and products; option groups
// show anon rows only through products, which show anon none.
test('err: a chain (option items → option groups → products, an inner join): the hidden table at the end; PGlite: anon sees nothing', async () => {
  const sql = `-- « naïve » 日本語 😀
CREATE TABLE public.products (id uuid PRIMARY KEY, restaurant_id uuid NOT NULL, available boolean NOT NULL DEFAULT true);
ALTER TABLE public.products ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_products ON public.products FOR ALL TO authenticated USING (restaurant_id = (select auth.uid()));
CREATE TABLE public.product_option_groups (id uuid PRIMARY KEY, product_id uuid NOT NULL);
ALTER TABLE public.product_option_groups ENABLE ROW LEVEL SECURITY;
CREATE POLICY public_groups ON public.product_option_groups FOR SELECT TO anon
  USING (EXISTS (SELECT 1 FROM public.products p WHERE p.id = product_id AND p.available));
CREATE TABLE public.product_option_items (id uuid PRIMARY KEY, option_group_id uuid NOT NULL);
ALTER TABLE public.product_option_items ENABLE ROW LEVEL SECURITY;
CREATE POLICY public_items ON public.product_option_items FOR SELECT TO anon
  USING (EXISTS (SELECT 1 FROM public.product_option_groups og JOIN public.products p ON p.id = og.product_id WHERE og.id = option_group_id AND p.available));
`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20260112002146_options.sql', text: sql }], ID);
  assert.deepEqual(mine.map((f) => textAt(ws, f)), ['public_groups', 'public_items']);
  assert.match(mine[1]!.message, /no row of public\.product_option_groups is visible to that role: of its SELECT policies, policy "public_groups" requires a row of public\.products, which it cannot see either/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql);
    await q(`INSERT INTO public.products VALUES ('${TENANT_A}', '${TENANT_A}', true); INSERT INTO public.product_option_groups VALUES ('${TENANT_A}', '${TENANT_A}'); INSERT INTO public.product_option_items VALUES ('${TENANT_A}', '${TENANT_A}')`);
    await q('GRANT SELECT ON public.products, public.product_option_groups, public.product_option_items TO anon');
    await q('SET ROLE anon');
    assert.equal(await count(q, 'public.product_option_groups'), 0);
    assert.equal(await count(q, 'public.product_option_items'), 0);
  });
});

test('err/ok: a WITH CHECK built the same way refuses every insert (42501); not reported for a role that sees rows, a role that may lack SELECT, PUBLIC where authenticated sees rows, or a policy outside Supabase for PUBLIC', async () => {
  const base = `CREATE ROLE app_user;
CREATE TABLE public.teams (id int PRIMARY KEY);
ALTER TABLE public.teams ENABLE ROW LEVEL SECURITY;
CREATE TABLE public.tasks (id int PRIMARY KEY, team_id int NOT NULL);
ALTER TABLE public.tasks ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT ON public.teams, public.tasks TO app_user;
CREATE POLICY tasks_insert ON public.tasks FOR INSERT TO app_user
  WITH CHECK (team_id IN (SELECT t.id FROM public.teams t));
`;
  const lint = (text: string) => lintFiles([{ file: 'db/1_tasks.sql', text }], ID);
  const { ws, mine } = lint(base);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'tasks_insert');
  assert.match(mine[0]!.message, /no permissive SELECT \(or ALL\) policy of it applies to app_user.*every INSERT it alone would admit fails with 42501/);
  const readable = `${base}CREATE POLICY teams_read ON public.teams FOR SELECT TO app_user USING (true);\n`;
  assert.deepEqual(lint(readable).mine, [], 'teams readable by app_user');
  assert.deepEqual(lint(base.replace('public.teams, public.tasks', 'public.tasks')).mine, [], 'no SELECT on teams: 42501 instead (policy-reads-without-grant)');
  assert.deepEqual(lint(base.replace(' TO app_user\n  WITH CHECK', '\n  WITH CHECK')).mine, [], 'for PUBLIC outside Supabase: its roles are not known');
  await inRollback(await getDb(), async (q) => {
    await q(base.replaceAll('app_user', 'sq_app_user'));
    await q('INSERT INTO public.teams VALUES (1)');
    await q('SET ROLE sq_app_user');
    const r = await tryQuery(q, 'INSERT INTO public.tasks VALUES (1, 1)');
    assert.equal(r.ok ? 'ok' : r.error.code, '42501', 'the team exists, but the check cannot see it');
  });
  await inRollback(await getDb(), async (q) => {
    await q(readable.replaceAll('app_user', 'sq_app_user'));
    await q('INSERT INTO public.teams VALUES (1)');
    await q('SET ROLE sq_app_user');
    assert.deepEqual(await tryQuery(q, 'INSERT INTO public.tasks VALUES (1, 1)'), { ok: true, rows: [] }, 'teams readable: the insert passes');
  });
  // (Supabase, PUBLIC: authenticated sees its own profile row, so not every role is blind)
  const supa = `CREATE TABLE public.profiles (id uuid PRIMARY KEY);
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON public.profiles FOR SELECT USING (id = (select auth.uid()));
CREATE TABLE public.notes (id int PRIMARY KEY, author uuid NOT NULL);
ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_read ON public.notes FOR SELECT USING (EXISTS (SELECT 1 FROM public.profiles p WHERE p.id = author));
`;
  assert.deepEqual(lintFiles([{ file: 'supabase/migrations/20250101000000_notes.sql', text: supa }], ID).mine, []);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(supa);
    await q(`INSERT INTO public.profiles VALUES ('${TENANT_A}'); INSERT INTO public.notes VALUES (1, '${TENANT_A}'); GRANT SELECT ON public.profiles, public.notes TO authenticated`);
    await q(`${actAs(TENANT_A)} SET ROLE authenticated`);
    assert.equal(await count(q, 'public.notes'), 1, 'authenticated: its own profile is visible, the note too');
  });
});

test('ok: a policy written before its table is created (files in path order: a CREATE TABLE IF NOT EXISTS of users a year later) is rejected with 42P01 and never exists: not reported, whatever its sub-select sees', async () => {
  const members = `CREATE TABLE public.members (id uuid PRIMARY KEY, group_id uuid, user_id uuid NOT NULL);
ALTER TABLE public.members ENABLE ROW LEVEL SECURITY;
CREATE POLICY co_members ON public.users FOR SELECT TO authenticated
  USING (EXISTS (SELECT 1 FROM public.members m WHERE m.user_id = users.id));
`;
  const users = `CREATE TABLE IF NOT EXISTS public.users (id uuid PRIMARY KEY);
ALTER TABLE public.users ENABLE ROW LEVEL SECURITY;
`;
  const files = [
    { file: 'supabase/migrations/20240101000001_members.sql', text: members },
    { file: 'supabase/migrations/20250101000001_users.sql', text: users },
  ];
  assert.equal(lintFiles(files, 'policy-subquery-sees-no-rows').mine.length, 0);
  // (rls-enabled-without-policy names the rejected policy)
  assert.match(lintFiles(files, 'rls-enabled-without-policy').mine.find((f) => f.message.startsWith('public.users'))!.message, /Its policy "co_members" is written before the table is created/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(members.split('CREATE POLICY')[0]!);
    const r = await tryQuery(q, `CREATE POLICY${members.split('CREATE POLICY')[1]}`);
    assert.equal(r.ok ? 'created' : r.error.code, '42P01');
  });
});

// Calibration (sheenapps): a dump among the Supabase migrations creates auth.users with RLS and no
// policy; a policy for PUBLIC reads it in an EXISTS. The API roles are granted nothing on
// auth.users, so the sub-select fails with 42501 (policy-reads-without-grant's finding), not the
// empty result this rule describes: not reported here.
test('ok: an EXISTS on Supabase\'s auth.users (made with RLS by a dump in the workspace): the API roles may not read it at all, so the sub-select fails with 42501 (PGlite), not reported as seeing no rows', async () => {
  const dump = `CREATE SCHEMA IF NOT EXISTS auth;
CREATE TABLE auth.users (id uuid PRIMARY KEY, role text);
ALTER TABLE auth.users ENABLE ROW LEVEL SECURITY;
`;
  const app = `CREATE TABLE public.recovery (id bigint PRIMARY KEY, note text);
ALTER TABLE public.recovery ENABLE ROW LEVEL SECURITY;
CREATE POLICY recovery_admin_only ON public.recovery USING (EXISTS (SELECT 1 FROM auth.users WHERE users.id = (select auth.uid()) AND users.role = 'super_admin'));
`;
  const { mine } = lintFiles(
    [
      { file: 'supabase/migrations/000_reference_schema.sql', text: dump },
      { file: 'supabase/migrations/20260101000000_recovery.sql', text: app },
    ],
    ID,
  );
  assert.deepEqual(mine, []);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(dump.replace('CREATE SCHEMA IF NOT EXISTS auth;\n', ''));
    await q(app);
    await q('GRANT SELECT ON public.recovery TO authenticated');
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    const r = await tryQuery(q, 'SELECT * FROM public.recovery');
    assert.equal(r.ok ? 'ok' : r.error.code, '42501');
  });
});

// Calibration (collaborative-editor, PostGraphile): the document policy's third branch,
// `id IN (SELECT document_id FROM user_document WHERE user_id = current_user_id())`, reads
// user_document, where no SELECT policy applies to postgraphile_user: the branch never finds a
// row, and a user invited to a document never saw it.
const ALICE = TENANT_A;
const BOB = TENANT_B;
const PRIVATE_DOC = '00000000-0000-0000-0000-0000000000d1';
const PUBLIC_DOC = '00000000-0000-0000-0000-0000000000d2';

/** Alice (postgraphile_user) invites Bob to her private document; what Bob then sees of document. */
async function invitedSees(q: Q, sql: string): Promise<string[]> {
  await q(sql);
  await q(`INSERT INTO document VALUES ('${PRIVATE_DOC}', '${ALICE}', false), ('${PUBLIC_DOC}', '${ALICE}', true)`);
  await q(`SET app.user_id = '${ALICE}'; SET ROLE postgraphile_user`);
  await q(`INSERT INTO user_document (document_id, user_id) VALUES ('${PRIVATE_DOC}', '${BOB}')`);
  await q(`SET app.user_id = '${BOB}'`);
  const rows = await q('SELECT id FROM document ORDER BY id');
  await q('RESET ROLE');
  assert.equal(await count(q, 'user_document'), 1, 'the invitation exists');
  return rows.map((r) => r.id as string);
}

test('err: a branch of an OR whose IN sub-select reads a table showing the role no row (collaborative-editor): reported on the branch; PGlite: the invited user sees only the public document; with a SELECT policy for its own invitations (Valid) it sees both', async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.equal(textAt(ws, finding), 'id IN (SELECT ud.document_id FROM user_document ud WHERE ud.user_id = (select current_user_id()))');
  assert.match(finding.message, /^Policy "doc_select" on public\.document is for postgraphile_user, and this branch of its OR is true only when its sub-select … IN \(SELECT … FROM user_document …\) finds a row, but no row of user_document is visible to that role: no permissive SELECT \(or ALL\) policy of it applies to postgraphile_user\./);
  assert.match(finding.message, /this branch is never true: their queries of public\.document get no row through this branch, only the rows its other branches admit, with no error/);
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual(await invitedSees(q, sqlOf(ws)), [PUBLIC_DOC]);
  });
  const valid = lintDocExample(ID, 'valid', 1);
  assert.deepEqual(valid.mine, []);
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual(await invitedSees(q, sqlOf(valid.ws)), [PRIVATE_DOC, PUBLIC_DOC]);
  });
  // (the Valid example's comment: the same SELECT policy with a sub-select makes the invitation recurse, T31; policy-recursion says so)
  const wrapped = sqlOf(valid.ws).replace('USING (user_id = current_user_id());', 'USING (user_id = (select current_user_id()));');
  assert.notEqual(wrapped, sqlOf(valid.ws));
  assert.equal(lintFiles([{ file: 'migration.sql', text: wrapped }], 'policy-recursion').mine.length, 1);
  await inRollback(await getDb(), async (q) => {
    const r = await tryQuery(q, `${wrapped};\nSET app.user_id = '${ALICE}'; SET ROLE postgraphile_user;\nINSERT INTO user_document (document_id, user_id) VALUES ('${PRIVATE_DOC}', '${BOB}')`);
    assert.equal(r.ok ? 'ok' : r.error.code, '42P17');
  });
});

test('err: an anon policy `featured OR EXISTS (… profiles …)` where profiles shows anon no row: the EXISTS branch is reported; PGlite: anon sees the featured category only', async () => {
  const sql = `CREATE TABLE public.profiles (id uuid PRIMARY KEY, restaurant_name text NOT NULL);
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_profile ON public.profiles FOR SELECT TO authenticated
  USING (id = (select auth.uid()));
CREATE TABLE public.product_categories (id uuid PRIMARY KEY, restaurant_id uuid NOT NULL, name text NOT NULL, featured boolean NOT NULL DEFAULT false);
CREATE INDEX ON public.product_categories (restaurant_id);
ALTER TABLE public.product_categories ENABLE ROW LEVEL SECURITY;
CREATE POLICY public_categories ON public.product_categories FOR SELECT TO anon
  USING (featured OR EXISTS (SELECT 1 FROM public.profiles p WHERE p.id = restaurant_id));
`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20260112000000_store.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'EXISTS (SELECT 1 FROM public.profiles p WHERE p.id = restaurant_id)');
  assert.match(mine[0]!.message, /this branch of its OR is true only when its sub-select EXISTS \(SELECT … FROM public\.profiles …\) finds a row, but no row of public\.profiles is visible to that role: no permissive SELECT \(or ALL\) policy of it applies to anon\./);
  await inRollback(await getDb(), async (q) => {
    await store(q, sql);
    await q(`INSERT INTO public.product_categories (id, restaurant_id, name, featured) VALUES ('${TENANT_A}', '${STORE}', 'Featured', true)`);
    await q('SET ROLE anon');
    assert.deepEqual(await q('SELECT name FROM public.product_categories'), [{ name: 'Featured' }], "the store's other category exists, its profile too, but the EXISTS never sees it");
  });
});

test('ok: one finding a policy: a sub-select the whole policy requires and a branch on the same hidden table give one finding, on the policy; two branches on it, one', () => {
  const base = `CREATE ROLE sq_reader;
CREATE TABLE public.teams (id int PRIMARY KEY);
ALTER TABLE public.teams ENABLE ROW LEVEL SECURITY;
CREATE TABLE public.tasks (id int PRIMARY KEY, team_id int NOT NULL, public boolean NOT NULL DEFAULT false);
ALTER TABLE public.tasks ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON public.teams, public.tasks TO sq_reader;
`;
  const lint = (policy: string) => lintFiles([{ file: 'db/1_tasks.sql', text: base + policy }], ID);
  const both = lint(`CREATE POLICY tasks_read ON public.tasks FOR SELECT TO sq_reader
  USING (EXISTS (SELECT 1 FROM public.teams t WHERE t.id = team_id) AND (public OR team_id IN (SELECT t.id FROM public.teams t)));\n`);
  assert.equal(both.mine.length, 1);
  assert.equal(textAt(both.ws, both.mine[0]!), 'tasks_read');
  const two = lint(`CREATE POLICY tasks_read ON public.tasks FOR SELECT TO sq_reader
  USING (public OR EXISTS (SELECT 1 FROM public.teams t WHERE t.id = team_id) OR team_id IN (SELECT t.id FROM public.teams t));\n`);
  assert.equal(two.mine.length, 1);
  assert.equal(textAt(two.ws, two.mine[0]!), 'EXISTS (SELECT 1 FROM public.teams t WHERE t.id = team_id)');
  // (a branch whose table the role sees rows of: not reported)
  assert.deepEqual(lint(`CREATE POLICY teams_read ON public.teams FOR SELECT TO sq_reader USING (true);
CREATE POLICY tasks_read ON public.tasks FOR SELECT TO sq_reader
  USING (public OR team_id IN (SELECT t.id FROM public.teams t));\n`).mine, []);
});

// The first row (quick-paste-magic's workspace_members): an INSERT check looks for the workspace
// of the new membership, which the role sees only once it is a member of it.
const WS_A = TENANT_A;
const WS_B = TENANT_B;
const CREATOR = '00000000-0000-0000-0000-0000000000c1';

/** The migrations, then a workspace of CREATOR (inserted as CREATOR), and the insert of their own owner membership, as CREATOR: its error code, or 'ok'. */
async function firstMembership(q: Q, sql: string): Promise<string> {
  await q(AUTH_STUB_SQL);
  await q(sql);
  await q('GRANT SELECT, INSERT ON public.workspaces, public.workspace_members TO authenticated');
  await q(`${actAs(CREATOR)} SET ROLE authenticated`);
  await q(`INSERT INTO public.workspaces (id, owner_id) VALUES ('${WS_A}', '${CREATOR}')`);
  const r = await tryQuery(q, `INSERT INTO public.workspace_members (workspace_id, user_id, role) VALUES ('${WS_A}', '${CREATOR}', 'owner')`);
  await q('RESET ROLE');
  return r.ok ? 'ok' : r.error.code;
}

test('err: an owner\'s first membership whose EXISTS reads workspaces, visible only to their members (quick-paste-magic): PGlite: 42501 for the creator; an existing member\'s insert passes', async () => {
  const { ws, finding } = invalidFinding(ID, 2);
  assert.equal(textAt(ws, finding), 'add_self_as_owner');
  assert.match(
    finding.message,
    /^Policy "add_self_as_owner" on public\.workspace_members is for authenticated and admits a new row only when its sub-select EXISTS \(SELECT … FROM public\.workspaces …\) finds the row of public\.workspaces whose id is the new row's workspace_id, but the SELECT policy "members_view_workspace" of public\.workspaces shows a row of it only to a user who already has a row of public\.workspace_members for it\./,
  );
  assert.match(finding.message, /the first one for a row of public\.workspaces \(e\.g\. its creator's own\) never passes, and an INSERT only this policy would admit fails with 42501 new row violates row-level security policy\. Add the first row in a SECURITY DEFINER function/);
  assert.match(finding.message, /admitting the rows this check needs \(those whose owner_id is the caller's, as the sub-select asks\)\.$/);
  assert.equal(nestedParentheses(finding.message), undefined);
  await inRollback(await getDb(), async (q) => {
    assert.equal(await firstMembership(q, sqlOf(ws)), '42501', 'the creator cannot add themselves');
    assert.equal(await count(q, 'public.workspace_members'), 0);
    // (an existing member of another workspace of theirs, as an editor: the same check passes)
    await q(`ALTER TABLE public.workspace_members DROP CONSTRAINT workspace_members_pkey`);
    await q(`INSERT INTO public.workspaces (id, owner_id) VALUES ('${WS_B}', '${CREATOR}'); INSERT INTO public.workspace_members VALUES ('${WS_B}', '${CREATOR}', 'editor')`);
    await q(`${actAs(CREATOR)} SET ROLE authenticated`);
    const r = await tryQuery(q, `INSERT INTO public.workspace_members (workspace_id, user_id, role) VALUES ('${WS_B}', '${CREATOR}', 'owner')`);
    assert.equal(r.ok, true, 'already a member: the check passes');
  });
});

test('ok: the owner sees their workspace through a policy of its own (Valid): not reported; PGlite: the creator adds themselves, no recursion', async () => {
  const { ws, mine } = lintDocExample(ID, 'valid', 2);
  assert.deepEqual(mine, []);
  await inRollback(await getDb(), async (q) => {
    assert.equal(await firstMembership(q, sqlOf(ws)), 'ok');
  });
});

const WORKSPACES = `CREATE TABLE public.workspaces (id uuid PRIMARY KEY, owner_id uuid NOT NULL);
ALTER TABLE public.workspaces ENABLE ROW LEVEL SECURITY;
CREATE TABLE public.workspace_members (workspace_id uuid NOT NULL REFERENCES public.workspaces (id), user_id uuid NOT NULL, role text NOT NULL, PRIMARY KEY (workspace_id, user_id));
ALTER TABLE public.workspace_members ENABLE ROW LEVEL SECURITY;
CREATE POLICY create_own_workspace ON public.workspaces FOR INSERT TO authenticated WITH CHECK (owner_id = auth.uid());
`;
const OWNER_CHECK = `CREATE POLICY add_self_as_owner ON public.workspace_members FOR INSERT TO authenticated
  WITH CHECK (user_id = auth.uid() AND role = 'owner' AND EXISTS (SELECT 1 FROM public.workspaces w WHERE w.id = workspace_id AND w.owner_id = auth.uid()));
`;
const lintWs = (text: string) => lintFiles([{ file: 'supabase/migrations/20260219120000_workspaces.sql', text }], ID);

test('err: the membership written out in workspaces\' policy, a PL/pgSQL helper, an IN sub-select, a helper returning the role compared with a constant; PGlite: the written-out EXISTS refuses the first membership with 42501 (no recursion)', async () => {
  const direct = `${WORKSPACES}CREATE POLICY own_membership ON public.workspace_members FOR SELECT TO authenticated USING (user_id = auth.uid());
CREATE POLICY members_view ON public.workspaces FOR SELECT TO authenticated
  USING (EXISTS (SELECT 1 FROM public.workspace_members m WHERE m.workspace_id = workspaces.id AND m.user_id = auth.uid()));
${OWNER_CHECK}`;
  const { ws, mine } = lintWs(direct);
  assert.deepEqual(mine.map((f) => textAt(ws, f)), ['add_self_as_owner']);
  assert.match(mine[0]!.message, /the SELECT policy "members_view" of public\.workspaces shows a row of it only to a user who already has a row of public\.workspace_members for it/);
  await inRollback(await getDb(), async (q) => {
    assert.equal(await firstMembership(q, direct), '42501');
  });
  const plpgsql = `${WORKSPACES}CREATE FUNCTION public.is_member(ws uuid) RETURNS boolean LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  RETURN EXISTS (SELECT 1 FROM public.workspace_members m WHERE m.workspace_id = ws AND m.user_id = auth.uid());
END $$;
CREATE POLICY members_view ON public.workspaces FOR SELECT TO authenticated USING (public.is_member(id));
${OWNER_CHECK}`;
  assert.equal(lintWs(plpgsql).mine.length, 1, 'PL/pgSQL helper');
  const inForm = `${WORKSPACES}CREATE POLICY own_membership ON public.workspace_members FOR SELECT TO authenticated USING (user_id = auth.uid());
CREATE POLICY members_view ON public.workspaces FOR SELECT TO authenticated
  USING (id IN (SELECT m.workspace_id FROM public.workspace_members m WHERE m.user_id = auth.uid()));
CREATE POLICY add_self_as_owner ON public.workspace_members FOR INSERT TO authenticated
  WITH CHECK (user_id = auth.uid() AND workspace_id IN (SELECT w.id FROM public.workspaces w WHERE w.owner_id = auth.uid()));
`;
  assert.equal(lintWs(inForm).mine.length, 1, 'IN on both sides');
  await inRollback(await getDb(), async (q) => {
    assert.equal(await firstMembership(q, inForm), '42501');
  });
  const role = `${WORKSPACES}CREATE FUNCTION public.member_role(u uuid, ws uuid) RETURNS text LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
  AS $$ SELECT role FROM public.workspace_members WHERE user_id = u AND workspace_id = ws $$;
CREATE POLICY members_view ON public.workspaces FOR SELECT TO authenticated USING (public.member_role(auth.uid(), id) IN ('owner', 'editor'));
CREATE FUNCTION public.create_workspace() RETURNS uuid LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE v uuid := gen_random_uuid();
BEGIN
  INSERT INTO public.workspaces (id, owner_id) VALUES (v, auth.uid());
  INSERT INTO public.workspace_members (workspace_id, user_id, role) VALUES (v, auth.uid(), 'owner');
  RETURN v;
END $$;
${OWNER_CHECK}`;
  const r = lintWs(role).mine;
  assert.equal(r.length, 1, 'a helper returning the role');
  assert.match(r[0]!.message, / public\.create_workspace\(\) inserts into both tables as SECURITY DEFINER: if the first row is made there, this policy is not what admits it, and it admits only users who already have one\./);
});

test('ok: not reported: a check through a definer helper reading the workspace\'s owner, a sub-select not matched with the new row, a workspace policy that does not need the membership, a recursion (42P17, policy-recursion\'s)', async () => {
  const helper = `CREATE FUNCTION public.is_member(ws uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
  AS $$ SELECT EXISTS (SELECT 1 FROM public.workspace_members m WHERE m.workspace_id = ws AND m.user_id = auth.uid()) $$;
CREATE POLICY members_view ON public.workspaces FOR SELECT TO authenticated USING (public.is_member(id));
`;
  const owns = `${WORKSPACES}${helper}CREATE FUNCTION public.owns_workspace(ws uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
  AS $$ SELECT EXISTS (SELECT 1 FROM public.workspaces w WHERE w.id = ws AND w.owner_id = auth.uid()) $$;
CREATE POLICY add_self_as_owner ON public.workspace_members FOR INSERT TO authenticated
  WITH CHECK (user_id = auth.uid() AND role = 'owner' AND public.owns_workspace(workspace_id));
`;
  assert.deepEqual(lintWs(owns).mine, [], 'the owner looked up by a definer helper');
  await inRollback(await getDb(), async (q) => {
    assert.equal(await firstMembership(q, owns), 'ok');
  });
  const uncorrelated = `${WORKSPACES}${helper}CREATE POLICY add_self ON public.workspace_members FOR INSERT TO authenticated
  WITH CHECK (user_id = auth.uid() AND EXISTS (SELECT 1 FROM public.workspaces w WHERE w.owner_id = auth.uid()));
`;
  assert.deepEqual(lintWs(uncorrelated).mine, [], 'not matched with the new row');
  const ownerOr = `${WORKSPACES}CREATE FUNCTION public.is_member(ws uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
  AS $$ SELECT EXISTS (SELECT 1 FROM public.workspace_members m WHERE m.workspace_id = ws AND m.user_id = auth.uid()) $$;
CREATE POLICY members_view ON public.workspaces FOR SELECT TO authenticated USING (owner_id = auth.uid() OR public.is_member(id));
${OWNER_CHECK}`;
  assert.deepEqual(lintWs(ownerOr).mine, [], 'the owner sees it through the OR');
  const recursive = `${WORKSPACES}CREATE POLICY co_members ON public.workspace_members FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE POLICY members_view ON public.workspaces FOR SELECT TO authenticated
  USING (EXISTS (SELECT 1 FROM public.workspace_members m WHERE m.workspace_id = workspaces.id AND m.user_id = auth.uid()));
${OWNER_CHECK}`;
  assert.deepEqual(lintWs(recursive).mine, [], 'a recursion: policy-recursion reports it');
  assert.equal(lintFiles([{ file: 'supabase/migrations/20260219120000_workspaces.sql', text: recursive }], 'policy-recursion').mine.length > 0, true);
  await inRollback(await getDb(), async (q) => {
    assert.equal(await firstMembership(q, recursive), '42P17');
  });
});

test('err: a check for PUBLIC on Supabase, workspaces\' policy for authenticated only: anon sees no workspace at all, authenticated only as a member: reported, for both', () => {
  const text = `${WORKSPACES}CREATE FUNCTION public.is_member(ws uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
  AS $$ SELECT EXISTS (SELECT 1 FROM public.workspace_members m WHERE m.workspace_id = ws AND m.user_id = auth.uid()) $$;
CREATE POLICY members_view ON public.workspaces FOR SELECT TO authenticated USING (public.is_member(id));
${OWNER_CHECK.replace(' TO authenticated', '')}`;
  const { mine } = lintWs(text);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /is for anon and authenticated \(it is for PUBLIC\) and admits a new row only when/);
});

// Calibration cal98 (Case_Bridge): the table read has a SELECT policy for the role, but one
// PostgreSQL rejects when it is created (it names a column the table lacks: 42703). The message
// said only that no SELECT policy applies; it now names the rejected one.
test('err (message): the only SELECT policy for the role on the table read is rejected when created (42703): named as such; PGlite: the CREATE POLICY fails and the user sees no document', async () => {
  const sql = `-- « naïve » 日本語 😀
CREATE TABLE public.members (doc_id int NOT NULL, user_id uuid NOT NULL);
ALTER TABLE public.members ENABLE ROW LEVEL SECURITY;
CREATE POLICY members_read ON public.members FOR SELECT TO authenticated USING (member_id = (select auth.uid()));
CREATE TABLE public.docs (id int PRIMARY KEY, title text);
ALTER TABLE public.docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY docs_read ON public.docs FOR SELECT TO authenticated USING (EXISTS (SELECT 1 FROM public.members m WHERE m.doc_id = docs.id AND m.user_id = (select auth.uid())));
GRANT SELECT ON public.members, public.docs TO authenticated;
`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/20250101000000_docs.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /no permissive SELECT \(or ALL\) policy of it applies to authenticated \(one is written for it, but PostgreSQL rejects "members_read" when the migrations create it \(42703\): it never exists\)/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    for (const stmt of sql.replace(/^-- .*\n/, '').split(';\n').filter((x) => x.trim())) {
      const r = await tryQuery(q, stmt);
      if (stmt.includes('members_read')) assert.equal(r.ok ? '' : r.error.code, '42703', 'the CREATE POLICY is rejected');
      else assert.ok(r.ok, stmt);
    }
    await q(`INSERT INTO public.docs VALUES (1, 'brief'); INSERT INTO public.members VALUES (1, '${TENANT_A}')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.members'), 0, 'no policy on members: the member row is invisible');
    assert.equal(await count(q, 'public.docs'), 0, 'so the member sees no document');
  });
});
