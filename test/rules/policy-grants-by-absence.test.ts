// policy-grants-by-absence on PostgreSQL (PGlite), with Supabase's auth.uid() reading the
// request's claims: a policy admitting callers with NO row in contractor_users (hvac-saas's
// "*_internal" policies) lets a user who just signed up delete or read every row, while a
// contractor gets none; a block list and a restrictive ban list behave as meant and are not reported.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { affected, closeAll, count, expectPgError, getDb, inRollback, type Q } from '../helpers/pg.js';
import { findingsOf, initParser, invalidFinding, lintDocExample, lintFiles, nestedParentheses, sqlOf, TENANT_A, TENANT_B, textAt } from '../helpers/rule-proof.js';
import { actAs, onSupabase } from '../helpers/supabase.js';
import { Workspace } from '../../server/src/engine/workspace.js';

const ID = 'policy-grants-by-absence';
before(initParser);
after(closeAll);

/** A user id nobody has written anywhere: an account made a moment ago. */
const NEW_USER = '00000000-0000-0000-0000-0000000000ff';

/** The migrations on Supabase's defaults, TENANT_B a contractor, three visits; then a request as `user`. */
async function visits(q: Q, sql: string, user: string): Promise<void> {
  await onSupabase(q, sql);
  await q(`INSERT INTO public.contractor_users VALUES ('${TENANT_B}', 1)`);
  await q(`INSERT INTO public.job_visits VALUES (1, 1, 'a'), (2, 1, 'b'), (3, 2, 'c')`);
  await q(actAs(user));
  await q('SET ROLE authenticated');
}

test('err: FOR DELETE USING (NOT (EXISTS (… contractor_users … auth.uid()))) (Invalid 1): a user who just signed up deletes every visit; a contractor deletes none', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(nestedParentheses(finding.message), undefined, 'no parenthesis inside another');
  assert.equal(textAt(ws, finding), 'job_visits_delete_internal');
  assert.match(
    finding.message,
    /^Policy "job_visits_delete_internal" on public\.job_visits \(FOR DELETE, TO authenticated\) admits callers by the absence of a row: its USING is true for every caller with no matching row in public\.contractor_users\. PostgreSQL evaluates it as written, so every authenticated caller without such a row deletes every row of public\.job_visits \(with a statement that reads no column; .*\)\. On Supabase, anyone who signs up gets a session with the authenticated role and no such row, and passes\. A missing row is not a role: mark the users meant here positively/,
  );
  assert.deepEqual(finding.fixes, []);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await visits(q, sqlOf(ws), NEW_USER);
    assert.equal(await affected(q, 'DELETE FROM public.job_visits'), 3, 'a brand-new user deletes every visit');
  });
  await inRollback(db, async (q) => {
    await visits(q, sqlOf(ws), TENANT_B);
    assert.equal(await affected(q, 'DELETE FROM public.job_visits'), 0, 'the contractor deletes none');
  });
});

test('err: FOR SELECT USING ((select auth.uid()) NOT IN (SELECT … contractor_users)) (Invalid 2): a new user reads every visit, a contractor none', async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.equal(textAt(ws, finding), 'job_visits_select_internal');
  assert.match(finding.message, /so every authenticated caller without such a row reads every row of public\.job_visits\. On Supabase/);
  const db = await getDb();
  for (const [user, n] of [[NEW_USER, 3], [TENANT_A, 3], [TENANT_B, 0]] as const) {
    await inRollback(db, async (q) => {
      await visits(q, sqlOf(ws), user);
      assert.equal(await count(q, 'public.job_visits'), n, user);
    });
  }
});

test('ok: the staff table (Valid 1) admits only staff; the block list (Valid 2) hides only the blockers\' posts; the restrictive ban list (Valid 3) takes rows away — none reported', async () => {
  const db = await getDb();
  {
    const { ws, mine } = lintDocExample(ID, 'valid', 0);
    assert.deepEqual(mine, []);
    for (const [user, n] of [[NEW_USER, 0], [TENANT_A, 2]] as const) {
      await inRollback(db, async (q) => {
        await onSupabase(q, sqlOf(ws));
        await q(`INSERT INTO public.staff_users VALUES ('${TENANT_A}')`);
        await q(`INSERT INTO public.job_visits VALUES (1, 1, 'a'), (2, 2, 'b')`);
        await q(actAs(user));
        await q('SET ROLE authenticated');
        assert.equal(await affected(q, 'DELETE FROM public.job_visits'), n, user);
      });
    }
  }
  {
    const { ws, mine } = lintDocExample(ID, 'valid', 1);
    assert.deepEqual(mine, []);
    await inRollback(db, async (q) => {
      await onSupabase(q, sqlOf(ws));
      // B blocked A: A sees the posts of everyone but B
      await q(`INSERT INTO public.blocks VALUES ('${TENANT_B}', '${TENANT_A}')`);
      await q(`INSERT INTO public.posts VALUES (1, '${TENANT_B}', 'b'), (2, '${NEW_USER}', 'n'), (3, '${TENANT_A}', 'a')`);
      await q(actAs(TENANT_A));
      await q('SET ROLE authenticated');
      assert.deepEqual((await q('SELECT id FROM public.posts ORDER BY id')).map((r) => r.id), [2, 3]);
    });
  }
  {
    const { ws, mine } = lintDocExample(ID, 'valid', 2);
    assert.deepEqual(mine, []);
    for (const [user, n] of [[NEW_USER, 0], [TENANT_A, 1], [TENANT_B, 0]] as const) {
      await inRollback(db, async (q) => {
        await onSupabase(q, sqlOf(ws));
        await q(`INSERT INTO public.banned_users VALUES ('${TENANT_B}')`);
        await q(`INSERT INTO public.notes VALUES (1, '${TENANT_A}', 'a'), (2, '${TENANT_B}', 'b')`);
        await q(actAs(user));
        await q('SET ROLE authenticated');
        assert.equal(await count(q, 'public.notes'), n, `${user}: a new user reads nothing, the banned owner nothing`);
      });
    }
  }
  assert.deepEqual(lintDocExample(ID, 'valid', 3).mine, []);
});

const TABLES = `CREATE TABLE public.contractor_users (user_id uuid PRIMARY KEY, contractor_id bigint NOT NULL);
CREATE TABLE public.attachments (id bigint PRIMARY KEY, entity_type text NOT NULL, entity_id bigint, owner_id uuid);
CREATE TABLE public.jobs (id bigint PRIMARY KEY, account_id uuid);
ALTER TABLE public.contractor_users ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.attachments ENABLE ROW LEVEL SECURITY;
CREATE POLICY cu_self ON public.contractor_users FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
`;
const NOT_CONTRACTOR = 'NOT EXISTS (SELECT 1 FROM public.contractor_users cu WHERE cu.user_id = auth.uid())';
const FILE = 'supabase/migrations/20240101000000_a.sql';
const lint = (policy: string) => lintFiles([{ file: FILE, text: TABLES + policy }], ID).mine;

test('err/ok (lint): which branches and forms count', () => {
  const on = (using: string, extra = '') => lint(`CREATE POLICY p ON public.attachments FOR ALL TO authenticated USING (${using});\n${extra}`);
  // hvac-saas's attachments policy: the branch `entity_type <> 'job'` asks nothing more of the caller
  const [f] = on(`${NOT_CONTRACTOR} AND (entity_type <> 'job' OR EXISTS (SELECT 1 FROM public.jobs j WHERE j.id = attachments.entity_id AND j.account_id = auth.uid()))`);
  assert.match(f?.message ?? '', /every row of public\.attachments that a condition on the row's own columns AND-ed with it admits/);
  // every branch positive: not reported
  assert.deepEqual(on(`${NOT_CONTRACTOR} AND EXISTS (SELECT 1 FROM public.jobs j WHERE j.id = attachments.entity_id AND j.account_id = auth.uid())`), []);
  assert.deepEqual(on(`${NOT_CONTRACTOR} AND owner_id = auth.uid()`), []);
  // OR-ed with the caller's own rows: the other branch still admits every row
  assert.equal(on(`owner_id = auth.uid() OR ${NOT_CONTRACTOR}`).length, 1);
  // "signed in" is no positive test
  assert.equal(on(`auth.uid() IS NOT NULL AND ${NOT_CONTRACTOR}`).length, 1);
  // (SELECT …) IS NULL and <> ALL
  assert.equal(on('(SELECT cu.contractor_id FROM public.contractor_users cu WHERE cu.user_id = auth.uid()) IS NULL').length, 1);
  assert.equal(on('auth.uid() <> ALL (SELECT cu.user_id FROM public.contractor_users cu)').length, 1);
  // the sub-select names the row (qualified, or a column only the row has): a per-row test, not reported
  assert.deepEqual(on('NOT EXISTS (SELECT 1 FROM public.contractor_users cu WHERE cu.user_id = auth.uid() AND cu.user_id = attachments.owner_id)'), []);
  assert.deepEqual(on('NOT EXISTS (SELECT 1 FROM public.contractor_users cu WHERE cu.user_id = auth.uid() AND cu.contractor_id = entity_id)'), []);
  assert.deepEqual(on('owner_id NOT IN (SELECT cu.user_id FROM public.contractor_users cu WHERE cu.user_id = auth.uid())'), []);
  // nothing about the caller (a global switch), or no table read: not a membership
  assert.deepEqual(on('NOT EXISTS (SELECT 1 FROM public.jobs)'), []);
  // a restrictive policy for the same command and role asking more than "signed in": ANDed with it
  assert.deepEqual(on(NOT_CONTRACTOR, 'CREATE POLICY r ON public.attachments AS RESTRICTIVE FOR ALL TO authenticated USING (owner_id = auth.uid());'), []);
  assert.equal(on(NOT_CONTRACTOR, 'CREATE POLICY r ON public.attachments AS RESTRICTIVE FOR ALL TO authenticated USING (auth.uid() IS NOT NULL);').length, 1);
  // only for service_role (BYPASSRLS on Supabase): changes nothing
  assert.deepEqual(lint(`CREATE POLICY p ON public.attachments FOR ALL TO service_role USING (${NOT_CONTRACTOR});`), []);
  // FOR INSERT: WITH CHECK
  const [ins] = lint(`CREATE POLICY p ON public.attachments FOR INSERT TO authenticated WITH CHECK (${NOT_CONTRACTOR});`);
  assert.match(ins?.message ?? '', /its WITH CHECK is true .* inserts rows with any values\./);
  // TO PUBLIC: a request without a signed-in user passes too (auth.uid() is NULL)
  const [pub] = lint(`CREATE POLICY p ON public.attachments FOR SELECT USING (${NOT_CONTRACTOR});`);
  assert.match(pub?.message ?? '', /A request without a signed-in user passes as well: auth\.uid\(\) is NULL there/);
});

test('err (PGlite): hvac-saas\'s attachments branch — a new user reads and deletes the non-job attachments, a contractor none; a request without a user (anon) reads them through a policy TO PUBLIC', async () => {
  const policy = `CREATE POLICY p ON public.attachments FOR ALL TO authenticated USING (${NOT_CONTRACTOR} AND (entity_type <> 'job' OR EXISTS (SELECT 1 FROM public.jobs j WHERE j.id = attachments.entity_id AND j.account_id = auth.uid())));`;
  const db = await getDb();
  const setup = async (q: Q, sql: string, user: string | undefined, role = 'authenticated') => {
    await onSupabase(q, sql);
    await q(`INSERT INTO public.contractor_users VALUES ('${TENANT_B}', 1)`);
    await q(`INSERT INTO public.jobs VALUES (1, '${TENANT_A}')`);
    await q(`INSERT INTO public.attachments VALUES (1, 'job', 1, NULL), (2, 'customer', 7, NULL), (3, 'invoice', 8, NULL)`);
    if (user) await q(actAs(user));
    await q(`SET ROLE ${role}`);
  };
  for (const [user, n] of [[NEW_USER, 2], [TENANT_B, 0]] as const) {
    await inRollback(db, async (q) => {
      await setup(q, TABLES + policy, user);
      assert.equal(await count(q, 'public.attachments'), n, user);
      assert.equal(await affected(q, 'DELETE FROM public.attachments'), n, user);
    });
  }
  const pub = `CREATE POLICY p ON public.attachments FOR SELECT USING (${NOT_CONTRACTOR});`;
  assert.equal(lint(pub).length, 1);
  await inRollback(db, async (q) => {
    await setup(q, TABLES + pub, undefined, 'anon');
    assert.equal(await count(q, 'public.attachments'), 3, 'anon, no user: auth.uid() is NULL, matches no contractor row');
  });
});

test('ok (lint): an edit elsewhere that makes the sub-select name the row is seen on re-lint', () => {
  const ws = new Workspace();
  ws.setFile(FILE, TABLES.replace('contractor_id bigint NOT NULL', 'contractor_id bigint NOT NULL'));
  ws.setFile('supabase/migrations/20240102000000_p.sql', 'CREATE POLICY p ON public.attachments FOR SELECT TO authenticated USING (NOT EXISTS (SELECT 1 FROM public.contractor_users cu WHERE cu.user_id = auth.uid() AND entity_id IS NOT NULL));');
  // entity_id: not a column of contractor_users, a column of the row → the row's: not reported
  assert.deepEqual(findingsOf(ws, ID), []);
  // the membership table gains an entity_id column: now the sub-select's own column
  ws.setFile(FILE, TABLES.replace('contractor_id bigint NOT NULL', 'contractor_id bigint NOT NULL, entity_id bigint'));
  assert.equal(findingsOf(ws, ID).length, 1);
});

test('ok (lint): an UPDATE whose WITH CHECK ties the new row to the caller is not said to update every row', () => {
  const [f] = lint(`CREATE POLICY p ON public.attachments FOR UPDATE TO authenticated USING (${NOT_CONTRACTOR}) WITH CHECK (owner_id = auth.uid());`);
  assert.equal(f, undefined);
  const [g] = lint(`CREATE POLICY p ON public.attachments FOR UPDATE TO authenticated USING (${NOT_CONTRACTOR}) WITH CHECK (${NOT_CONTRACTOR});`);
  assert.match(g?.message ?? '', /updates every row of public\.attachments/);
  const [h] = lint(`CREATE POLICY p ON public.attachments FOR ALL TO authenticated USING (${NOT_CONTRACTOR}) WITH CHECK (owner_id = auth.uid());`);
  assert.match(h?.message ?? '', /reads and deletes every row of public\.attachments\. On Supabase/);
});

// marzoouq/waqf-wise (a waqf endowment's accounting): landing_page_settings' policy for PUBLIC asks
// `auth.uid() IS NOT NULL AND NOT EXISTS (… user_roles … auth.uid() …)`: a request without a
// signed-in user does not pass it, and the message said it did.
const LANDING = `CREATE TABLE public.user_roles (user_id uuid, role text);
CREATE TABLE public.landing_page_settings (id int PRIMARY KEY, setting_key text, is_active boolean);
ALTER TABLE public.landing_page_settings ENABLE ROW LEVEL SECURITY;
CREATE POLICY "authenticated_users_view_public_settings" ON public.landing_page_settings FOR SELECT
  USING (auth.uid() IS NOT NULL AND NOT EXISTS (SELECT 1 FROM user_roles WHERE user_roles.user_id = auth.uid() AND user_roles.role = 'admin') AND is_active = true);
`;

test('err: `auth.uid() IS NOT NULL AND NOT EXISTS (…)` for PUBLIC: a new user reads the rows, anon does not, and the message no longer says anon passes (PGlite)', async () => {
  const { mine } = lintFiles([{ file: 'supabase/migrations/20260119100613_landing.sql', text: LANDING }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /On Supabase, anyone who signs up gets a session with the authenticated role and no such row, and passes\./);
  assert.doesNotMatch(mine[0]!.message, /without a signed-in user passes/);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, LANDING);
    await q(`INSERT INTO public.landing_page_settings VALUES (1, 'hero_title', true), (2, 'footer_description', true)`);
    await q('SET ROLE anon');
    assert.equal(await count(q, 'public.landing_page_settings'), 0, 'anon reads none');
    await q('RESET ROLE');
    await q(actAs(NEW_USER));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.landing_page_settings'), 2, 'a new user reads both');
  });
});

// Nahtral/100IN (a basketball club's management app), supabase/migrations/20250908094258_…sql:
// "Players read only teams" (and schedules, players, analytics_events), `FOR INSERT WITH CHECK (NOT
// has_role(auth.uid(), 'player'::user_role) OR is_super_admin(auth.uid()))`, has_role() a SQL
// SECURITY DEFINER helper returning `EXISTS (SELECT 1 FROM user_roles WHERE user_id = _user_id AND
// role = _role AND is_active)`: the absence of a row, read through a function, was not reported.
const CLUB = `CREATE TYPE public.user_role AS ENUM ('player', 'coach', 'super_admin');
CREATE TABLE public.user_roles (user_id uuid NOT NULL, role public.user_role NOT NULL, is_active boolean DEFAULT true);
CREATE TABLE public.teams (id bigint PRIMARY KEY, name text, coach_id uuid);
ALTER TABLE public.user_roles ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.teams ENABLE ROW LEVEL SECURITY;
CREATE POLICY roles_self ON public.user_roles FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE OR REPLACE FUNCTION public.has_role(_user_id uuid, _role public.user_role)
RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = 'public'
AS $$
  SELECT EXISTS (
    SELECT 1 FROM public.user_roles
    WHERE user_id = _user_id AND role = _role AND is_active = TRUE
  )
$$;
CREATE OR REPLACE FUNCTION public.is_super_admin(_user_id uuid)
RETURNS boolean LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = 'public'
AS $$
BEGIN
  RETURN EXISTS (SELECT 1 FROM public.user_roles WHERE user_id = _user_id AND role = 'super_admin');
END;
$$;
`;
const PLAYERS_READ_ONLY = `CREATE POLICY "Players read only teams" ON public.teams
FOR INSERT
WITH CHECK (NOT has_role(auth.uid(), 'player'::user_role) OR is_super_admin(auth.uid()));
`;

test('err (PGlite): 100IN\'s `NOT has_role(auth.uid(), \'player\')` — a user who just signed up and a request without a user insert teams, a player cannot', async () => {
  const { mine } = lintFiles([{ file: FILE, text: CLUB + PLAYERS_READ_ONLY }], ID);
  assert.equal(mine.length, 1);
  assert.equal(
    mine[0]!.message,
    'Policy "Players read only teams" on public.teams (FOR INSERT, TO PUBLIC) admits callers by the absence of a row: its WITH CHECK is true for every caller with no matching row in public.user_roles (read through function public.has_role(uuid, user_role)). PostgreSQL evaluates it as written, so every PUBLIC caller without such a row inserts rows with any values. On Supabase, anyone who signs up gets a session with the authenticated role and no such row, and passes. A request without a signed-in user passes as well: auth.uid() is NULL there, and NULL matches no row. A missing row is not a role: mark the users meant here positively (a staff table, or a role claim) and test for membership with a call of has_role(…) for the role meant, without NOT, not its absence.',
  );
  const db = await getDb();
  for (const [user, role, ok] of [[NEW_USER, 'authenticated', true], [undefined, 'anon', true], [TENANT_B, 'authenticated', false]] as const) {
    await inRollback(db, async (q) => {
      await onSupabase(q, CLUB + PLAYERS_READ_ONLY);
      await q(`INSERT INTO public.user_roles VALUES ('${TENANT_B}', 'player', true)`);
      if (user) await q(actAs(user));
      await q(`SET ROLE ${role}`);
      const insert = `INSERT INTO public.teams VALUES (1, 'a team of my own making', '${TENANT_A}')`;
      if (ok) assert.equal(await affected(q, insert), 1, `${role} ${user ?? ''}`);
      else await expectPgError(q(insert), '42501', /new row violates row-level security policy for table "teams"/);
    });
  }
});

test('ok (lint): through a function — an argument naming the row, a body that is more than an EXISTS, a positive call: not reported', () => {
  const on = (check: string, extra = '') => lintFiles([{ file: FILE, text: `${CLUB}${extra}CREATE POLICY p ON public.teams FOR INSERT TO authenticated WITH CHECK (${check});` }], ID).mine;
  // the plpgsql form (RETURN EXISTS …), and a helper asking auth.uid() itself
  assert.equal(on('NOT is_super_admin(auth.uid())').length, 1);
  const ASKS = `CREATE FUNCTION public.is_player() RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
AS $$ SELECT EXISTS (SELECT 1 FROM public.user_roles WHERE user_id = auth.uid() AND role = 'player') $$;\n`;
  assert.equal(on('NOT is_player()', ASKS).length, 1);
  // the row's own column passed: a per-row test (the coach of this team is not a player)
  assert.deepEqual(on(`NOT has_role(coach_id, 'player'::user_role)`), []);
  // nothing about the caller passed: a constant id
  assert.deepEqual(on(`NOT has_role('${TENANT_A}'::uuid, 'player'::user_role)`), []);
  // positive
  assert.deepEqual(on(`has_role(auth.uid(), 'coach'::user_role)`), []);
  // AND-ed with a positive test of the caller
  assert.deepEqual(on(`has_role(auth.uid(), 'coach'::user_role) AND NOT has_role(auth.uid(), 'player'::user_role)`), []);
  // a body doing more than returning the EXISTS
  const MORE = `CREATE FUNCTION public.not_banned(_u uuid) RETURNS boolean LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF _u IS NULL THEN RETURN false; END IF;
  RETURN EXISTS (SELECT 1 FROM public.user_roles WHERE user_id = _u);
END;
$$;\n`;
  assert.deepEqual(on('NOT not_banned(auth.uid())', MORE), []);
});
