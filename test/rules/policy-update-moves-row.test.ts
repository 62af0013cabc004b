// policy-update-moves-row on PostgreSQL (PGlite): an UPDATE policy without WITH CHECK whose USING
// admits the assignee's own tasks lets the assignee move a task into a workspace they are not in
// (agency-zen's tasks), where INSERT refuses it; the other workspace's member then reads it. With a
// WITH CHECK tying the workspace to the caller's membership the move fails with 42501.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { affected, closeAll, expectPgError, getDb, inRollback, tryQuery, type Q } from '../helpers/pg.js';
import { initParser, invalidFinding, lintDocExample, lintFiles, sqlOf, TENANT_A, TENANT_B, textAt } from '../helpers/rule-proof.js';
import { actAs, onSupabase } from '../helpers/supabase.js';
import type { Workspace } from '../../server/src/engine/workspace.js';

const ID = 'policy-update-moves-row';
before(initParser);
after(closeAll);

/** Supabase's defaults, the migrations; A is a member of workspace 1 and assigned task 1, B a member of workspace 2; then act as A. */
async function asA(q: Q, ws: Workspace): Promise<void> {
  await onSupabase(q, sqlOf(ws));
  await q(`INSERT INTO public.workspace_members VALUES (1, '${TENANT_A}'), (2, '${TENANT_B}'); INSERT INTO public.tasks VALUES (1, 1, '${TENANT_A}', 'mine')`);
  await q(actAs(TENANT_A));
  await q('SET ROLE authenticated');
}

test("err: the assignee moves a task into workspace 2, which INSERT refuses (42501); B, a member of workspace 2 only, reads it", async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'tasks_update');
  assert.match(finding.message, /checks the new row with its USING \(it has no WITH CHECK, so USING checks the new row too\), which admits it through a condition on assignee_id and the caller, whatever its workspace_id is/);
  assert.match(finding.message, /The row then belongs to that workspace_id: policy "tasks_read" shows it to its members\./);
  await inRollback(await getDb(), async (q) => {
    await asA(q, ws);
    const insert = await tryQuery(q, `INSERT INTO public.tasks VALUES (2, 2, '${TENANT_A}', 'planted')`);
    assert.equal(insert.ok ? 'ok' : insert.error.code, '42501');
    assert.deepEqual(await q(`UPDATE public.tasks SET workspace_id = 2, title = 'planted' WHERE id = 1 RETURNING workspace_id::int AS w`), [{ w: 2 }]);
    await q('RESET ROLE');
    await q(actAs(TENANT_B));
    await q('SET ROLE authenticated');
    assert.deepEqual(await q('SELECT title FROM public.tasks'), [{ title: 'planted' }], "B reads the task A planted in workspace 2");
  });
});

test('ok: Valid examples; with the WITH CHECK the move fails with 42501', async () => {
  const { ws, mine } = lintDocExample(ID, 'valid', 0);
  assert.deepEqual(mine, []);
  assert.deepEqual(lintDocExample(ID, 'valid', 1).mine, []);
  await inRollback(await getDb(), async (q) => {
    await asA(q, ws);
    await expectPgError(q(`UPDATE public.tasks SET workspace_id = 2 WHERE id = 1`), '42501');
  });
});

test('ok: not reported when INSERT already puts rows in any workspace, or when a trigger guards the column', () => {
  const { ex } = lintDocExample(ID, 'invalid', 0);
  const text = ex.files[0]!.text;
  const file = ex.files[0]!.file;
  const freeInsert = text.replace(/CREATE POLICY tasks_insert[\s\S]*?\)\)\);\n/, 'CREATE POLICY tasks_insert ON public.tasks FOR INSERT TO authenticated WITH CHECK (assignee_id = (select auth.uid()));\n');
  assert.notEqual(freeInsert, text);
  assert.deepEqual(lintFiles([{ file, text: freeInsert }], ID).mine, []);
  const trigger = `${text}CREATE FUNCTION public.keep_workspace() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.workspace_id <> OLD.workspace_id THEN RAISE EXCEPTION 'a task stays in its workspace'; END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER keep_workspace BEFORE UPDATE ON public.tasks FOR EACH ROW EXECUTE FUNCTION public.keep_workspace();
`;
  assert.deepEqual(lintFiles([{ file, text: trigger }], ID).mine, []);
  // a helper called with the column binds it too (is_member(workspace_id)), and a WITH CHECK of the assignee alone still moves the row
  const helper = text
    .replace(/CREATE POLICY tasks_insert[\s\S]*?\)\)\);\n/, 'CREATE POLICY tasks_insert ON public.tasks FOR INSERT TO authenticated WITH CHECK (public.is_member(workspace_id));\n')
    .replace('CREATE POLICY members_own', `CREATE FUNCTION public.is_member(w bigint) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$ SELECT EXISTS (SELECT 1 FROM public.workspace_members m WHERE m.workspace_id = w AND m.user_id = auth.uid()) $$;\nCREATE POLICY members_own`)
    .replace(/(CREATE POLICY tasks_update[\s\S]*?\)\)\));\n?$/, '$1\n  WITH CHECK (assignee_id = (select auth.uid()));\n');
  const r = lintFiles([{ file, text: helper }], ID);
  assert.equal(r.mine.length, 1, sqlOf(r.ws));
  assert.match(r.mine[0]!.message, /with its WITH CHECK, which admits it through a condition on assignee_id/);
});

// Calibration (siteproof's ncrs; gasmask-nexus's organization_invites).
test("ok: an INSERT policy tying the row's project, not its own organization_id, to a membership lets a user put rows in any organization already (PGlite): moving one gains nothing, not reported; nor is an UPDATE policy whose USING reads auth.users, which authenticated may not read (every UPDATE fails, 42501)", async () => {
  const sql = `CREATE TABLE public.organization_members (organization_id uuid NOT NULL, user_id uuid NOT NULL, role text NOT NULL, PRIMARY KEY (organization_id, user_id));
CREATE TABLE public.projects (id uuid PRIMARY KEY, organization_id uuid NOT NULL);
CREATE TABLE public.ncrs (id uuid PRIMARY KEY, organization_id uuid NOT NULL, project_id uuid NOT NULL, raised_by uuid NOT NULL, title text NOT NULL);
ALTER TABLE public.organization_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.projects ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.ncrs ENABLE ROW LEVEL SECURITY;
CREATE POLICY om_self ON public.organization_members FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE POLICY projects_read ON public.projects FOR SELECT TO authenticated
  USING (EXISTS (SELECT 1 FROM public.organization_members om WHERE om.organization_id = projects.organization_id AND om.user_id = (select auth.uid())));
CREATE POLICY ncrs_read ON public.ncrs FOR SELECT TO authenticated
  USING (EXISTS (SELECT 1 FROM public.organization_members om WHERE om.organization_id = ncrs.organization_id AND om.user_id = (select auth.uid())) OR raised_by = (select auth.uid()));
CREATE POLICY ncrs_insert ON public.ncrs FOR INSERT TO authenticated
  WITH CHECK (EXISTS (SELECT 1 FROM public.projects p JOIN public.organization_members om ON om.organization_id = p.organization_id WHERE p.id = ncrs.project_id AND om.user_id = (select auth.uid())));
CREATE POLICY ncrs_update ON public.ncrs FOR UPDATE TO authenticated
  USING (raised_by = (select auth.uid()) OR EXISTS (SELECT 1 FROM public.organization_members om WHERE om.organization_id = ncrs.organization_id AND om.user_id = (select auth.uid()) AND om.role IN ('owner', 'admin')));
GRANT SELECT ON public.organization_members, public.projects TO authenticated;
GRANT SELECT, INSERT, UPDATE ON public.ncrs TO authenticated;
`;
  const file = 'supabase/migrations/20240101000000_ncrs.sql';
  assert.deepEqual(lintFiles([{ file, text: sql }], ID).mine, []);
  // with the INSERT policy tying the row's own organization_id, the move is reported
  const bound = sql.replace('WHERE p.id = ncrs.project_id AND om.user_id', 'WHERE p.id = ncrs.project_id AND om.organization_id = ncrs.organization_id AND om.user_id');
  const [f] = lintFiles([{ file, text: bound }], ID).mine;
  assert.match(f?.message ?? '', /admits it through a condition on raised_by and the caller, whatever its organization_id is/);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, sql);
    const ORG_A = '00000000-0000-4000-8000-0000000000a1';
    const ORG_B = '00000000-0000-4000-8000-0000000000b2';
    await q(`INSERT INTO public.organization_members VALUES ('${ORG_A}', '${TENANT_A}', 'member'), ('${ORG_B}', '${TENANT_B}', 'member');
INSERT INTO public.projects VALUES ('${TENANT_A}', '${ORG_A}')`);
    await q(`${actAs(TENANT_A)} SET ROLE authenticated`);
    // user A puts a row in organization B through a project of organization A
    await q(`INSERT INTO public.ncrs VALUES (gen_random_uuid(), '${ORG_B}', '${TENANT_A}', '${TENANT_A}', 'planted by insert')`);
    await q(`RESET ROLE; ${actAs(TENANT_B)} SET ROLE authenticated`);
    assert.deepEqual(await q('SELECT title FROM public.ncrs'), [{ title: 'planted by insert' }]);
  });
  // an UPDATE policy whose USING reads auth.users (no SELECT privilege for authenticated): every UPDATE fails
  const invites = `create table public.organization_users (org_id uuid not null, user_id uuid not null, primary key (org_id, user_id));
create table public.organization_invites (id uuid primary key, org_id uuid not null, invited_email text not null);
alter table public.organization_users enable row level security;
alter table public.organization_invites enable row level security;
create function public.can_manage_org(_user_id uuid, _org_id uuid) returns boolean language sql stable security definer set search_path = public, pg_temp as $$
  select exists (select 1 from public.organization_users where user_id = _user_id and org_id = _org_id) $$;
create policy "members read" on public.organization_users for select to authenticated using (user_id = auth.uid());
create policy "view invites" on public.organization_invites for select to authenticated
  using (public.can_manage_org(auth.uid(), org_id) or invited_email = (select email from auth.users where id = auth.uid()));
create policy "create invites" on public.organization_invites for insert to authenticated with check (public.can_manage_org(auth.uid(), org_id));
create policy "update invites" on public.organization_invites for update to authenticated
  using (public.can_manage_org(auth.uid(), org_id) or invited_email = (select email from auth.users where id = auth.uid()));
`;
  assert.deepEqual(lintFiles([{ file, text: invites }], ID).mine, []);
});

// Calibration (ibiza-construct-flow's messages, "Senders can update their own messages" FOR UPDATE
// USING (auth.uid() = sender_id)): no SELECT policy admits the moved row, yet an UPDATE that reads no
// column has its new row checked by the UPDATE policy alone.
const CONV_A = '00000000-0000-4000-8000-0000000000c1';
const CONV_M = '00000000-0000-4000-8000-0000000000c2';
const USER_M = '00000000-0000-0000-0000-00000000000c';
const MESSAGES = `CREATE TABLE public.conversations (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), client_id uuid NOT NULL, professional_id uuid NOT NULL);
CREATE TABLE public.messages (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), conversation_id uuid NOT NULL REFERENCES public.conversations(id), sender_id uuid NOT NULL, content text NOT NULL);
CREATE INDEX ON public.conversations (client_id); CREATE INDEX ON public.conversations (professional_id);
CREATE INDEX ON public.messages (conversation_id); CREATE INDEX ON public.messages (sender_id);
ALTER TABLE public.conversations ENABLE ROW LEVEL SECURITY; ALTER TABLE public.messages ENABLE ROW LEVEL SECURITY;
CREATE POLICY conv_read ON public.conversations FOR SELECT TO authenticated USING ((select auth.uid()) = client_id OR (select auth.uid()) = professional_id);
CREATE POLICY msg_read ON public.messages FOR SELECT TO authenticated USING (EXISTS (SELECT 1 FROM public.conversations c WHERE c.id = messages.conversation_id AND (c.client_id = (select auth.uid()) OR c.professional_id = (select auth.uid()))));
CREATE POLICY msg_send ON public.messages FOR INSERT TO authenticated WITH CHECK (sender_id = (select auth.uid()) AND EXISTS (SELECT 1 FROM public.conversations c WHERE c.id = messages.conversation_id AND (c.client_id = (select auth.uid()) OR c.professional_id = (select auth.uid()))));
CREATE POLICY msg_edit ON public.messages FOR UPDATE TO authenticated USING (sender_id = (select auth.uid()));
`;

/** The migrations; conversation A↔B, and M's own conversation where M posts one message as M; then act as M. */
async function asM(q: Q, sql: string): Promise<void> {
  await onSupabase(q, sql);
  await q(`INSERT INTO public.conversations VALUES ('${CONV_A}', '${TENANT_A}', '${TENANT_B}'), ('${CONV_M}', '${USER_M}', '${USER_M}')`);
  await q(`${actAs(USER_M)} SET ROLE authenticated`);
  await q(`INSERT INTO public.messages (conversation_id, sender_id, content) VALUES ('${CONV_M}', '${USER_M}', 'hi')`);
}

test("err: no SELECT policy admits the moved message, but an UPDATE with no WHERE moves it into A and B's conversation, which A then reads; with a WHERE it fails (42501), as INSERT does", async () => {
  const file = 'supabase/migrations/20240101000000_x.sql';
  const { ws, mine } = lintFiles([{ file, text: MESSAGES }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'msg_edit');
  assert.match(mine[0]!.message, /admits it through a condition on sender_id and the caller, whatever its conversation_id is/);
  assert.match(mine[0]!.message, /through an UPDATE that reads no column \(UPDATE … SET conversation_id = <another>, <column> = <constant> with no WHERE nor RETURNING\), which moves every row the UPDATE policies let them update, e\.g\. from a fresh account with one row; an UPDATE that reads a column \(a WHERE, RETURNING, or a SET reading the row\) has its new row checked against the SELECT policies too, which admit a row through its conversation_id only, not the moved row, and fails \(42501\)\. The row then belongs to that conversation_id: policy "msg_read" shows it to its members\./);
  await inRollback(await getDb(), async (q) => {
    await asM(q, MESSAGES);
    const insert = await tryQuery(q, `INSERT INTO public.messages (conversation_id, sender_id, content) VALUES ('${CONV_A}', '${USER_M}', 'x')`);
    assert.equal(insert.ok ? 'ok' : insert.error.code, '42501');
    const where = await tryQuery(q, `UPDATE public.messages SET conversation_id = '${CONV_A}' WHERE content = 'hi'`);
    assert.equal(where.ok ? 'ok' : where.error.code, '42501', 'the new row fails the SELECT policy');
    const returning = await tryQuery(q, `UPDATE public.messages SET conversation_id = '${CONV_A}' RETURNING id`);
    assert.equal(returning.ok ? 'ok' : returning.error.code, '42501', 'RETURNING reads the row too');
    assert.equal(await affected(q, `UPDATE public.messages SET conversation_id = '${CONV_A}', content = 'planted by M'`), 1);
    await q(`RESET ROLE; ${actAs(TENANT_A)} SET ROLE authenticated`);
    assert.deepEqual(await q('SELECT content, sender_id::text AS s FROM public.messages'), [{ content: 'planted by M', s: USER_M }], 'A reads the message M planted');
  });
});

test('ok: with a WITH CHECK tying conversation_id to the caller, not reported, and the UPDATE with no WHERE fails (42501); a sub-select comparing the caller with one column of a keyed row (the caller\'s profile) binds no group', async () => {
  const file = 'supabase/migrations/20240101000000_x.sql';
  const fixed = MESSAGES.replace(
    'USING (sender_id = (select auth.uid()));',
    'USING (sender_id = (select auth.uid())) WITH CHECK (sender_id = (select auth.uid()) AND EXISTS (SELECT 1 FROM public.conversations c WHERE c.id = messages.conversation_id AND (c.client_id = (select auth.uid()) OR c.professional_id = (select auth.uid()))));',
  );
  assert.notEqual(fixed, MESSAGES);
  assert.deepEqual(lintFiles([{ file, text: fixed }], ID).mine, []);
  const single = MESSAGES.replace(/ OR c\.professional_id = \(select auth\.uid\(\)\)/g, '');
  assert.notEqual(single, MESSAGES);
  assert.deepEqual(lintFiles([{ file, text: single }], ID).mine, []);
  await inRollback(await getDb(), async (q) => {
    await asM(q, fixed);
    await expectPgError(q(`UPDATE public.messages SET conversation_id = '${CONV_A}', content = 'planted by M'`), '42501');
  });
});

test("err: the tasks with a members-only SELECT policy: the assignee's UPDATE with no WHERE moves the task into workspace 2, where B reads it; with WHERE id = 1 it fails (42501)", async () => {
  const { ex } = lintDocExample(ID, 'invalid', 0);
  const text = ex.files[0]!.text.replace('USING (assignee_id = (select auth.uid()) OR EXISTS', 'USING (EXISTS');
  assert.notEqual(text, ex.files[0]!.text);
  const { ws, mine } = lintFiles([{ file: ex.files[0]!.file, text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /through an UPDATE that reads no column .* which admit a row through its workspace_id only, not the moved row, and fails \(42501\)\. The row then belongs to that workspace_id: policy "tasks_read" shows it to its members\./);
  await inRollback(await getDb(), async (q) => {
    await asA(q, ws);
    const where = await tryQuery(q, `UPDATE public.tasks SET workspace_id = 2 WHERE id = 1`);
    assert.equal(where.ok ? 'ok' : where.error.code, '42501');
    assert.equal(await affected(q, `UPDATE public.tasks SET workspace_id = 2, title = 'planted'`), 1);
    await q(`RESET ROLE; ${actAs(TENANT_B)} SET ROLE authenticated`);
    assert.deepEqual(await q('SELECT title FROM public.tasks'), [{ title: 'planted' }]);
  });
});

// Calibration fix59: the gap policy-membership-self-join had (appliesToRole(policy TO authenticated, 'public') is false)
test("err (wording): an UPDATE policy for PUBLIC beside a SELECT policy TO authenticated showing the assignee their own task: the move with WHERE id = 1 succeeds (PGlite), no 42501 is claimed; with a SELECT policy TO authenticated USING (true) beside it, not reported, and the UPDATE … WHERE succeeds too", async () => {
  const { ex } = lintDocExample(ID, 'invalid', 0);
  const base = ex.files[0]!.text
    .replace('CREATE POLICY tasks_read ON public.tasks FOR SELECT TO authenticated\n  USING (assignee_id = (select auth.uid()) OR EXISTS', 'CREATE POLICY tasks_read ON public.tasks FOR SELECT\n  USING (EXISTS')
    .replace('CREATE POLICY tasks_update ON public.tasks FOR UPDATE TO authenticated', 'CREATE POLICY tasks_update ON public.tasks FOR UPDATE');
  assert.notEqual(base, ex.files[0]!.text);
  assert.ok(!base.includes('tasks_read ON public.tasks FOR SELECT TO') && !base.includes('FOR UPDATE TO'));
  const own = `${base}CREATE POLICY tasks_own ON public.tasks FOR SELECT TO authenticated USING (assignee_id = (select auth.uid()));\n`;
  const { ws, mine } = lintFiles([{ file: ex.files[0]!.file, text: own }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'tasks_update');
  assert.doesNotMatch(mine[0]!.message, /42501/);
  assert.match(mine[0]!.message, /a user can move a row they reach that way into any workspace_id, one they are not in \(UPDATE … SET workspace_id = <another> WHERE id = …; a SELECT policy admits the moved row the same way\)/);
  await inRollback(await getDb(), async (q) => {
    await asA(q, ws);
    assert.equal(await affected(q, `UPDATE public.tasks SET workspace_id = 2 WHERE id = 1`), 1, 'tasks_own admits the moved row: no 42501');
    await q(`RESET ROLE; ${actAs(TENANT_B)} SET ROLE authenticated`);
    assert.deepEqual(await q('SELECT title FROM public.tasks'), [{ title: 'mine' }], 'B, a member of workspace 2, reads it');
  });
  const all = `${base}CREATE POLICY tasks_all ON public.tasks FOR SELECT TO authenticated USING (true);\n`;
  const open = lintFiles([{ file: ex.files[0]!.file, text: all }], ID);
  assert.deepEqual(open.mine, []);
  await inRollback(await getDb(), async (q) => {
    await asA(q, open.ws);
    assert.equal(await affected(q, `UPDATE public.tasks SET workspace_id = 2 WHERE id = 1`), 1, 'USING (true) admits the moved row: no 42501');
  });
});

// Calibration cal61: onronder/axial's teams, "Owners can update own team" (USING owner, no WITH CHECK) beside
// "Members can view team" (id IN (SELECT team_id FROM team_members …)): the "group column" is the table's own key.
test("ok: the group column is the table's own key (teams.id, which team_members.team_id references): not reported; on PGlite the owner cannot give their team another team's id (23505) nor a fresh one its members do not follow (23503), and B's team stays B's alone", async () => {
  const sql = `CREATE TABLE public.teams (id uuid PRIMARY KEY, name text NOT NULL, owner_id uuid NOT NULL);
CREATE TABLE public.team_members (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, team_id uuid REFERENCES public.teams (id) ON DELETE CASCADE, member_user_id uuid NOT NULL);
CREATE INDEX ON public.team_members (member_user_id);
CREATE INDEX ON public.teams (owner_id);
ALTER TABLE public.teams ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.team_members ENABLE ROW LEVEL SECURITY;
CREATE POLICY members_own ON public.team_members FOR SELECT TO authenticated USING (member_user_id = (select auth.uid()));
CREATE POLICY teams_owner_read ON public.teams FOR SELECT TO authenticated USING (owner_id = (select auth.uid()));
CREATE POLICY teams_owner_update ON public.teams FOR UPDATE TO authenticated USING (owner_id = (select auth.uid()));
CREATE POLICY teams_member_read ON public.teams FOR SELECT TO authenticated
  USING (id IN (SELECT team_id FROM public.team_members WHERE member_user_id = (select auth.uid())));
`;
  const file = 'supabase/migrations/20240101000000_teams.sql';
  const { ws, mine } = lintFiles([{ file, text: sql }], ID);
  assert.deepEqual(mine, []);
  const TA = '00000000-0000-4000-8000-0000000000a1';
  const TB = '00000000-0000-4000-8000-0000000000b1';
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, sqlOf(ws));
    await q(`INSERT INTO public.teams VALUES ('${TA}', 'A team', '${TENANT_A}'), ('${TB}', 'B team', '${TENANT_B}');
      INSERT INTO public.team_members (team_id, member_user_id) VALUES ('${TA}', '${TENANT_A}'), ('${TB}', '${TENANT_B}')`);
    await q(`${actAs(TENANT_A)} SET ROLE authenticated`);
    const taken = await tryQuery(q, `UPDATE public.teams SET id = '${TB}', name = 'planted' WHERE id = '${TA}'`);
    assert.equal(taken.ok ? 'ok' : taken.error.code, '23505');
    const fresh = await tryQuery(q, `UPDATE public.teams SET id = gen_random_uuid(), name = 'planted'`);
    assert.equal(fresh.ok ? 'ok' : fresh.error.code, '23503');
    await q(`RESET ROLE; ${actAs(TENANT_B)} SET ROLE authenticated`);
    assert.deepEqual(await q('SELECT name FROM public.teams'), [{ name: 'B team' }]);
  });
  // the same policies on a table whose group column is no key of its own (projects.team_id) are reported
  const projects = `${sql}CREATE TABLE public.projects (id uuid PRIMARY KEY, team_id uuid NOT NULL, owner_id uuid NOT NULL);
CREATE INDEX ON public.projects (team_id);
CREATE INDEX ON public.projects (owner_id);
ALTER TABLE public.projects ENABLE ROW LEVEL SECURITY;
CREATE POLICY projects_owner_read ON public.projects FOR SELECT TO authenticated USING (owner_id = (select auth.uid()));
CREATE POLICY projects_owner_update ON public.projects FOR UPDATE TO authenticated USING (owner_id = (select auth.uid()));
CREATE POLICY projects_member_read ON public.projects FOR SELECT TO authenticated
  USING (team_id IN (SELECT team_id FROM public.team_members WHERE member_user_id = (select auth.uid())));
`;
  const r = lintFiles([{ file, text: projects }], ID);
  assert.equal(r.mine.length, 1, sqlOf(r.ws));
  assert.equal(textAt(r.ws, r.mine[0]!), 'projects_owner_update');
});

// Calibration round 62 (0sa0sa/web-chat's messages): the SELECT and INSERT policies bind
// conversation_id with `conversation_id IN (SELECT id FROM conversations WHERE participant1_id =
// auth.uid() OR participant2_id = auth.uid())`, the IN form of the shared-row sub-select above (a key
// of conversations selected, the caller compared with two of its columns); the UPDATE policy checks
// only user_id. A BEFORE UPDATE trigger setting updated_at guards nothing.
const WEBCHAT = `CREATE TABLE public.conversations (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), participant1_id uuid NOT NULL, participant2_id uuid NOT NULL, CHECK (participant1_id <> participant2_id));
CREATE TABLE public.messages (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), content text NOT NULL, user_id uuid NOT NULL, conversation_id uuid NOT NULL REFERENCES public.conversations(id), updated_at timestamptz DEFAULT now());
CREATE INDEX ON public.conversations (participant1_id); CREATE INDEX ON public.conversations (participant2_id);
CREATE INDEX ON public.messages (conversation_id); CREATE INDEX ON public.messages (user_id);
CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at = now(); RETURN NEW; END $$;
CREATE TRIGGER touch BEFORE UPDATE ON public.messages FOR EACH ROW EXECUTE FUNCTION public.touch();
ALTER TABLE public.conversations ENABLE ROW LEVEL SECURITY; ALTER TABLE public.messages ENABLE ROW LEVEL SECURITY;
CREATE POLICY conv_read ON public.conversations FOR SELECT TO authenticated USING ((select auth.uid()) = participant1_id OR (select auth.uid()) = participant2_id);
CREATE POLICY msg_read ON public.messages FOR SELECT TO authenticated
  USING (conversation_id IN (SELECT id FROM public.conversations WHERE participant1_id = (select auth.uid()) OR participant2_id = (select auth.uid())));
CREATE POLICY msg_send ON public.messages FOR INSERT TO authenticated
  WITH CHECK ((select auth.uid()) = user_id AND conversation_id IN (SELECT id FROM public.conversations WHERE participant1_id = (select auth.uid()) OR participant2_id = (select auth.uid())));
CREATE POLICY msg_edit ON public.messages FOR UPDATE TO authenticated USING ((select auth.uid()) = user_id) WITH CHECK ((select auth.uid()) = user_id);
`;

test("err: conversation_id IN (SELECT id FROM conversations WHERE participant1_id = auth.uid() OR participant2_id = auth.uid()) binds the group: M's UPDATE with no WHERE moves a message into A and B's conversation, which A reads; INSERT there fails (42501)", async () => {
  const file = 'supabase/migrations/20240101000000_x.sql';
  const { ws, mine } = lintFiles([{ file, text: WEBCHAT }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'msg_edit');
  assert.match(mine[0]!.message, /admits it through a condition on user_id and the caller, whatever its conversation_id is/);
  assert.match(mine[0]!.message, /through an UPDATE that reads no column .* The row then belongs to that conversation_id: policy "msg_read" shows it to its members\./);
  const USER_X = '00000000-0000-0000-0000-00000000000d';
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, WEBCHAT);
    await q(`INSERT INTO public.conversations VALUES ('${CONV_A}', '${TENANT_A}', '${TENANT_B}'), ('${CONV_M}', '${USER_M}', '${USER_X}')`);
    await q(`${actAs(USER_M)} SET ROLE authenticated`);
    await q(`INSERT INTO public.messages (conversation_id, user_id, content) VALUES ('${CONV_M}', '${USER_M}', 'hi')`);
    const insert = await tryQuery(q, `INSERT INTO public.messages (conversation_id, user_id, content) VALUES ('${CONV_A}', '${USER_M}', 'x')`);
    assert.equal(insert.ok ? 'ok' : insert.error.code, '42501');
    const where = await tryQuery(q, `UPDATE public.messages SET conversation_id = '${CONV_A}' WHERE content = 'hi'`);
    assert.equal(where.ok ? 'ok' : where.error.code, '42501', 'the new row fails the SELECT policy');
    assert.equal(await affected(q, `UPDATE public.messages SET conversation_id = '${CONV_A}', content = 'planted by M'`), 1);
    await q(`RESET ROLE; ${actAs(TENANT_A)} SET ROLE authenticated`);
    assert.deepEqual(await q('SELECT content, user_id::text AS u FROM public.messages'), [{ content: 'planted by M', u: USER_M }], 'A reads the message M planted');
  });
  // the WITH CHECK tying conversation_id as the INSERT policy does: not reported, and the move fails
  const fixed = WEBCHAT.replace('WITH CHECK ((select auth.uid()) = user_id);', 'WITH CHECK ((select auth.uid()) = user_id AND conversation_id IN (SELECT id FROM public.conversations WHERE participant1_id = (select auth.uid()) OR participant2_id = (select auth.uid())));');
  assert.notEqual(fixed, WEBCHAT);
  assert.deepEqual(lintFiles([{ file, text: fixed }], ID).mine, []);
  // the caller compared with one column of the selected key's row (the caller's own profile): no group
  const single = WEBCHAT.replace(/ OR participant2_id = \(select auth\.uid\(\)\)\)\)/g, '))');
  assert.notEqual(single, WEBCHAT);
  assert.deepEqual(lintFiles([{ file, text: single }], ID).mine, []);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, fixed);
    await q(`INSERT INTO public.conversations VALUES ('${CONV_A}', '${TENANT_A}', '${TENANT_B}'), ('${CONV_M}', '${USER_M}', '${USER_X}')`);
    await q(`${actAs(USER_M)} SET ROLE authenticated`);
    await q(`INSERT INTO public.messages (conversation_id, user_id, content) VALUES ('${CONV_M}', '${USER_M}', 'hi')`);
    await expectPgError(q(`UPDATE public.messages SET conversation_id = '${CONV_A}', content = 'planted by M'`), '42501');
  });
});

// Calibration (c-breeze's employees): the UPDATE policy that would let a user move their own row
// into any organization also reads employees in a sub-select, under a SELECT policy that has one:
// the rewriter raises 42P17 for every UPDATE of the table (policy-recursion reports it), with or
// without a WHERE, so no row moves. Without the recursing branch the move works and is reported.
const ORG_A = '00000000-0000-4000-8000-0000000000a1';
const ORG_B = '00000000-0000-4000-8000-0000000000b2';
const EMPLOYEES = `CREATE TABLE public.employees (id bigint PRIMARY KEY, user_id uuid NOT NULL, organization_id uuid NOT NULL, is_root_admin boolean NOT NULL DEFAULT false);
CREATE INDEX ON public.employees (user_id); CREATE INDEX ON public.employees (organization_id);
ALTER TABLE public.employees ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.my_orgs() RETURNS SETOF uuid LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$ SELECT e.organization_id FROM public.employees e WHERE e.user_id = (select auth.uid()) $$;
CREATE POLICY employee_select ON public.employees FOR SELECT TO authenticated
  USING (user_id = (select auth.uid()) OR organization_id IN (SELECT public.my_orgs()));
CREATE POLICY employee_insert ON public.employees FOR INSERT TO authenticated
  WITH CHECK (organization_id IN (SELECT public.my_orgs()));
CREATE POLICY employee_modify ON public.employees FOR UPDATE TO authenticated
  USING (user_id = (select auth.uid()) OR (organization_id IN (SELECT public.my_orgs()) AND NOT (SELECT e.is_root_admin FROM public.employees e WHERE e.id = employees.id)));
`;

test('ok: an UPDATE policy that recurses (42P17 on every UPDATE of the table, PGlite) moves no row: not reported; without the recursing branch the move works and is reported', async () => {
  const file = 'supabase/migrations/20250121000000_employees.sql';
  const r = lintFiles([{ file, text: EMPLOYEES }], ID);
  assert.deepEqual(r.mine, []);
  assert.ok(r.findings.some((f) => f.rule === 'policy-recursion'), 'policy-recursion reports the UPDATE policy');
  const plain = EMPLOYEES.replace(/USING \(user_id = \(select auth\.uid\(\)\) OR \(organization_id IN[\s\S]*?employees\.id\)\)\);\n$/, 'USING (user_id = (select auth.uid()));\n');
  assert.notEqual(plain, EMPLOYEES);
  const [f] = lintFiles([{ file, text: plain }], ID).mine;
  assert.match(f?.message ?? '', /admits it through a condition on user_id and the caller, whatever its organization_id is/);
  for (const [sql, moves] of [[EMPLOYEES, false], [plain, true]] as const) {
    await inRollback(await getDb(), async (q) => {
      await onSupabase(q, sql);
      await q(`INSERT INTO public.employees VALUES (1, '${TENANT_A}', '${ORG_A}', false), (2, '${TENANT_B}', '${ORG_B}', false)`);
      await q(`${actAs(TENANT_A)} SET ROLE authenticated`);
      const insert = await tryQuery(q, `INSERT INTO public.employees VALUES (3, '${TENANT_A}', '${ORG_B}', false)`);
      assert.equal(insert.ok ? 'ok' : insert.error.code, '42501', 'INSERT refuses a row in organization B');
      if (!moves) {
        for (const update of [`UPDATE public.employees SET organization_id = '${ORG_B}' WHERE id = 1`, `UPDATE public.employees SET organization_id = '${ORG_B}'`]) {
          const r = await tryQuery(q, update);
          assert.equal(r.ok ? 'ok' : r.error.code, '42P17', update);
        }
      } else {
        assert.deepEqual(await q(`UPDATE public.employees SET organization_id = '${ORG_B}' WHERE id = 1 RETURNING id::int AS id`), [{ id: 1 }]);
        await q(`RESET ROLE; ${actAs(TENANT_B)} SET ROLE authenticated`);
        assert.deepEqual(await q('SELECT id::int AS id FROM public.employees ORDER BY id'), [{ id: 1 }, { id: 2 }], "B reads A's row, moved into organization B");
      }
    });
  }
});

test("ok: an UPDATE policy whose other branch tests the caller's role in profiles (`EXISTS (SELECT 1 FROM profiles WHERE id = auth.uid() AND role = 'admin')`, tasks having an id too: armando-cordero4050/clinica2026's orders) admits no row through a column of its own: not reported, as with is_admin(); on PGlite a plain member's move into workspace 2 fails (42501)", async () => {
  const { ex } = lintDocExample(ID, 'invalid', 0);
  const file = ex.files[0]!.file;
  const admin = `EXISTS (SELECT 1 FROM public.profiles WHERE id = (select auth.uid()) AND role = 'admin')`;
  const text = ex.files[0]!.text
    .replace('CREATE TABLE public.tasks', `CREATE TABLE public.profiles (id uuid PRIMARY KEY, role text NOT NULL);\nALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;\nCREATE POLICY profiles_own ON public.profiles FOR SELECT TO authenticated USING (id = (select auth.uid()));\nCREATE TABLE public.tasks`)
    .replace(/(CREATE POLICY tasks_update ON public\.tasks FOR UPDATE TO authenticated\n  USING \()assignee_id = \(select auth\.uid\(\)\)/, `$1${admin}`);
  assert.equal(text.split(admin).length, 2);
  const linted = lintFiles([{ file, text }], ID);
  assert.deepEqual(linted.mine, []);
  const fn = `CREATE FUNCTION public.is_admin() RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$ SELECT ${admin} $$;\n`;
  assert.deepEqual(lintFiles([{ file, text: fn + text.split(admin).join('public.is_admin()') }], ID).mine, [], 'the same test in a function: not reported either');
  await inRollback(await getDb(), async (q) => {
    await asA(q, linted.ws);
    for (const update of ['UPDATE public.tasks SET workspace_id = 2 WHERE id = 1', 'UPDATE public.tasks SET workspace_id = 2']) {
      const r = await tryQuery(q, update);
      assert.equal(r.ok ? 'ok' : r.error.code, '42501', update);
    }
  });
});

test("err (wording): a SELECT policy showing a row to its org's members only where `user_id IS NULL` (SixtySecondsApp/use60's agent_config_questions) does not show a row its user moved, whose user_id the check kept theirs: the finding names no policy as showing it; on PGlite A's move into org 2 succeeds and B, org 2's owner, reads nothing — without the IS NULL, B reads it and the policy is named", async () => {
  const file = 'supabase/migrations/20260223300001_agent_config_questions.sql';
  const sql = (shared: string) => `CREATE TABLE public.organization_memberships (org_id int NOT NULL, user_id uuid NOT NULL, role text NOT NULL, PRIMARY KEY (org_id, user_id));
CREATE FUNCTION public.get_org_role(p_user uuid, p_org int) RETURNS text LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS
  $$ SELECT role FROM public.organization_memberships WHERE user_id = p_user AND org_id = p_org $$;
CREATE TABLE public.agent_config_questions (id int PRIMARY KEY, org_id int NOT NULL, user_id uuid, question text);
ALTER TABLE public.agent_config_questions ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can read own config questions" ON public.agent_config_questions FOR SELECT TO authenticated
  USING (user_id = auth.uid() OR (${shared}get_org_role(auth.uid(), org_id) IS NOT NULL));
CREATE POLICY "Members can add questions" ON public.agent_config_questions FOR INSERT TO authenticated
  WITH CHECK (get_org_role(auth.uid(), org_id) IS NOT NULL);
CREATE POLICY "Users can update own config questions" ON public.agent_config_questions FOR UPDATE TO authenticated
  USING (user_id = auth.uid() OR (user_id IS NULL AND get_org_role(auth.uid(), org_id) IN ('owner', 'admin')))
  WITH CHECK (user_id = auth.uid() OR (user_id IS NULL AND get_org_role(auth.uid(), org_id) IN ('owner', 'admin')));
`;
  /** A (a member of org 1) moves their question into org 2; what B, org 2's owner, then reads. */
  const moved = async (text: string) =>
    inRollback(await getDb(), async (q) => {
      await onSupabase(q, text);
      await q(`INSERT INTO public.organization_memberships VALUES (1, '${TENANT_A}', 'member'), (2, '${TENANT_B}', 'owner'); INSERT INTO public.agent_config_questions VALUES (1, 1, '${TENANT_A}', 'mine')`);
      await q(`${actAs(TENANT_A)} SET ROLE authenticated`);
      const planted = await tryQuery(q, `INSERT INTO public.agent_config_questions VALUES (2, 2, '${TENANT_A}', 'planted')`);
      assert.equal(planted.ok ? 'ok' : planted.error.code, '42501', 'INSERT refuses a question in org 2');
      assert.equal(await affected(q, 'UPDATE public.agent_config_questions SET org_id = 2 WHERE id = 1'), 1, 'the move');
      await q(`RESET ROLE; ${actAs(TENANT_B)} SET ROLE authenticated`);
      return q('SELECT question FROM public.agent_config_questions');
    });
  const project = sql('user_id IS NULL AND ');
  const { mine } = lintFiles([{ file, text: project }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /The row then counts as that org_id's wherever org_id decides/);
  assert.doesNotMatch(mine[0]!.message, /shows it to its members/);
  assert.deepEqual(await moved(project), [], 'B reads nothing: the moved question is still A\'s');
  const open = sql('');
  const shown = lintFiles([{ file, text: open }], ID).mine;
  assert.equal(shown.length, 1);
  assert.match(shown[0]!.message, /The row then belongs to that org_id: policy "Users can read own config questions" shows it to its members\./);
  assert.deepEqual(await moved(open), [{ question: 'mine' }], 'B reads the question A moved into org 2');
});
