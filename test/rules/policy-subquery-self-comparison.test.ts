// policy-subquery-self-comparison on PostgreSQL (PGlite): an unqualified column in a policy's
// sub-select resolves to the sub-select's own table, so `m.org_id = org_id` compares the column
// with itself and a member of any organisation reads every organisation's rows; the safe fix
// (qualify it with the policy's table) re-lints clean and limits each member to their own.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { affected, closeAll, count, getDb, inRollback, tryQuery, type Q } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintDocExample, lintFiles, sqlOf, TENANT_A, TENANT_B, textAt } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL, onSupabase } from '../helpers/supabase.js';

const ID = 'policy-subquery-self-comparison';
before(initParser);
after(closeAll);

const ORG_A = '00000000-0000-0000-0000-0000000000aa';
const ORG_B = '00000000-0000-0000-0000-0000000000bb';

async function seen(q: Q, sql: string): Promise<number> {
  await q(AUTH_STUB_SQL);
  await q(sql);
  await q(`INSERT INTO members VALUES ('${ORG_A}', '${TENANT_A}'), ('${ORG_B}', '${TENANT_B}')`);
  await q(`INSERT INTO documents VALUES (1, '${ORG_A}', 'a'), (2, '${ORG_B}', 'b secret')`);
  await q('GRANT SELECT ON members, documents TO authenticated');
  await q(`${actAs(TENANT_A)} SET ROLE authenticated`);
  return count(q, 'documents');
}

test("err: m.org_id = org_id in the policy's EXISTS is m.org_id = m.org_id: A, a member of org A only, reads org B's document; the safe fix qualifies it and A reads its own only", async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'org_id');
  assert.match(finding.message, /compares m\.org_id with org_id, but PostgreSQL resolves the unqualified org_id to the sub-select's own table public\.members .* Qualify it with the policy's table: documents\.org_id\./);
  const db = await getDb();
  await inRollback(db, async (q) => assert.equal(await seen(q, sqlOf(ws)), 2, "A sees B's document too"));
  const fixed = applyFix(ws, finding);
  assert.equal(finding.fixes[0]!.kind, 'safe');
  assert.match(sqlOf(fixed), /WHERE m\.org_id = documents\.org_id AND/);
  assert.deepEqual(findingsOf(fixed, ID), []);
  await inRollback(db, async (q) => assert.equal(await seen(q, sqlOf(fixed)), 1, 'fixed: its own only'));
});

test('ok: the Valid example (qualified) runs and limits A to its organisation', async () => {
  const { ws, mine } = lintDocExample(ID, 'valid', 0);
  assert.deepEqual(mine, []);
  await inRollback(await getDb(), async (q) => assert.equal(await seen(q, sqlOf(ws)), 1));
});

// Calibration (we-community's messages policies: cp.conversation_id = conversation_id)
test('err/ok: reported in WITH CHECK too; not when the sub-select table lacks the column (then the name is the outer one), nor when two tables of the FROM list have it', () => {
  const base = `CREATE TABLE conversation_participants (conversation_id uuid NOT NULL, user_id uuid NOT NULL);
CREATE TABLE messages (id uuid PRIMARY KEY, conversation_id uuid NOT NULL, sender_id uuid NOT NULL);
ALTER TABLE messages ENABLE ROW LEVEL SECURITY;
CREATE POLICY send ON messages FOR INSERT TO authenticated WITH CHECK (sender_id = (select auth.uid()) AND
  EXISTS (SELECT 1 FROM conversation_participants cp WHERE cp.conversation_id = conversation_id AND cp.user_id = (select auth.uid())));
`;
  const lint = (text: string) => lintFiles([{ file: 'supabase/migrations/20250914165424_messages.sql', text }], ID).mine;
  assert.equal(lint(base).length, 1);
  assert.deepEqual(lint(base.replace('(conversation_id uuid NOT NULL, user_id', '(conv_id uuid NOT NULL, conversation uuid, user_id').replace('cp.conversation_id = conversation_id', 'cp.conv_id = conversation_id')), []);
  assert.deepEqual(lint(base.replace('FROM conversation_participants cp WHERE', 'FROM conversation_participants cp, messages m2 WHERE')), []);
});

// Calibration cal30 (ocebs/secretsanta-graphile 000005: matchup IN (SELECT matchup FROM matchup
// WHERE …), a table with no column of that name): the selected name is the message's own.
test("err: col IN (SELECT col FROM t …) where t has no such column: the sub-select returns the row's own col, and the IN is true whenever it finds a row; PGlite: profile 1 reads the other matchup's message", async () => {
  const sql = `-- « naïve » 日本語 😀
CREATE TABLE matchup (id int PRIMARY KEY, sender int, recipient int);
CREATE TABLE message (id int PRIMARY KEY, body text, matchup int);
CREATE FUNCTION current_profile_id() RETURNS int LANGUAGE sql STABLE AS $$ SELECT nullif(current_setting('jwt.claims.profile', true), '')::int $$;
ALTER TABLE message ENABLE ROW LEVEL SECURITY;
CREATE POLICY read_matchup_messages ON message FOR SELECT TO authenticated
  USING (matchup IN (SELECT matchup FROM matchup WHERE recipient = (SELECT current_profile_id()) OR sender = (SELECT current_profile_id())));
`;
  const { ws, mine } = lintFiles([{ file: 'migrations/committed/000005.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'matchup');
  assert.match(mine[0]!.message, /selects matchup, which public\.matchup has no column of: PostgreSQL takes it from the enclosing query/);
  const fixedSql = sql.replace('(SELECT matchup FROM matchup', '(SELECT id FROM matchup');
  assert.deepEqual(lintFiles([{ file: 'migrations/committed/000005.sql', text: fixedSql }], ID).mine, []);
  const read = async (text: string) =>
    inRollback(await getDb(), async (q) => {
      await q(text);
      await q(`INSERT INTO matchup VALUES (10, 1, 2), (20, 3, 4); INSERT INTO message VALUES (100, 'for 2', 10), (200, 'for 4: secret', 20)`);
      await q(`GRANT SELECT ON message, matchup TO authenticated; SELECT set_config('jwt.claims.profile', '1', false); SET ROLE authenticated`);
      return count(q, 'message');
    });
  assert.equal(await read(sql), 2, "profile 1 reads matchup 20's message");
  assert.equal(await read(fixedSql), 1, 'selecting the id: its own matchup only');
});

// Calibration cal189 (SixtySecondsApp/use60 20260203100001_copilot_executions.sql: organization_id IN
// (SELECT organization_id FROM organization_memberships …), whose column is org_id; the table has no id).
test("err (message): the column the sub-select's table holds it in is named where one `<stem>_id` matches the selected name's stem (org_id for organization_id), else its id, else its few columns; PGlite: an admin of org 1 reads org 2's executions, and selecting org_id keeps them to org 1", async () => {
  const sql = `CREATE TABLE public.organization_memberships (org_id uuid NOT NULL, user_id uuid NOT NULL, role text NOT NULL DEFAULT 'member', PRIMARY KEY (org_id, user_id));
CREATE TABLE public.copilot_executions (id int PRIMARY KEY, organization_id uuid NOT NULL, user_id uuid);
ALTER TABLE public.copilot_executions ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON public.copilot_executions, public.organization_memberships TO authenticated;
CREATE POLICY "Platform admins can view org copilot executions" ON public.copilot_executions FOR SELECT TO authenticated
  USING (organization_id IN (SELECT organization_id FROM public.organization_memberships WHERE user_id = auth.uid() AND role IN ('admin', 'platform_admin')));
`;
  const file = 'supabase/migrations/20260203100001_copilot_executions.sql';
  const message = (text: string) => {
    const { mine } = lintFiles([{ file, text }], ID);
    assert.equal(mine.length, 1);
    return mine[0]!.message;
  };
  assert.match(message(sql), /selects organization_id, which public\.organization_memberships has no column of: .* Select the column of public\.organization_memberships that holds it \(e\.g\. its org_id\), qualified with the table's alias\.$/);
  assert.match(message(sql.replace('(org_id uuid NOT NULL,', '(id int, tenant uuid, org_id uuid NOT NULL,').replaceAll('org_id', 'tenant_ref')), /that holds it \(e\.g\. its id\), qualified/);
  assert.match(message(sql.replaceAll('org_id', 'tenant_ref')), /that holds it \(one of its columns: tenant_ref, user_id, role\), qualified/);
  const fixed = sql.replace('(SELECT organization_id FROM public.organization_memberships', '(SELECT org_id FROM public.organization_memberships');
  assert.deepEqual(lintFiles([{ file, text: fixed }], ID).mine, []);
  const read = async (text: string) =>
    inRollback(await getDb(), async (q) => {
      await q(AUTH_STUB_SQL);
      await q(text);
      const [o1, o2] = ['00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000a2'];
      await q(`INSERT INTO public.organization_memberships VALUES ('${o1}', '${TENANT_A}', 'admin'); INSERT INTO public.copilot_executions VALUES (1, '${o1}', NULL), (2, '${o2}', NULL)`);
      await q(actAs(TENANT_A));
      await q('SET ROLE authenticated');
      return count(q, 'public.copilot_executions');
    });
  assert.equal(await read(sql), 2, "the admin of org 1 reads org 2's execution");
  assert.equal(await read(fixed), 1, 'selecting org_id: org 1 only');
});

test("err: a function a policy calls compares a column with itself (classroomio's is_org_admin(), `WHERE organization_id = organization_id`; or a LANGUAGE sql helper whose parameter the column shadows): the admin of one org deletes another org's rows, a member of one reads another's", async () => {
  const text = `CREATE TABLE public.members (org_id int, user_id uuid, role_id int);
CREATE TABLE public.items (id int PRIMARY KEY, org_id int);
ALTER TABLE public.items ENABLE ROW LEVEL SECURITY;
GRANT SELECT, DELETE ON public.items TO authenticated;
CREATE FUNCTION public.is_org_admin() RETURNS boolean LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
$$ BEGIN RETURN EXISTS (SELECT 1 FROM public.members WHERE org_id = org_id AND user_id = auth.uid() AND role_id = 1); END $$;
CREATE FUNCTION public.is_member(org_id int) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
$$ SELECT EXISTS (SELECT 1 FROM public.members WHERE org_id = org_id AND user_id = auth.uid()) $$;
CREATE POLICY items_read ON public.items FOR SELECT TO authenticated USING (public.is_member(org_id));
CREATE POLICY items_delete ON public.items FOR DELETE TO authenticated USING (public.is_org_admin());
`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_items.sql', text }], ID);
  assert.deepEqual(mine.map((f) => textAt(ws, f)), ['org_id', 'org_id']);
  assert.match(mine[0]!.message, /^In function public\.is_org_admin\(\), which policy "items_delete" on public\.items calls, org_id = org_id compares public\.members\.org_id with itself: /);
  assert.match(mine[1]!.message, /the parameter org_id is never read/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(text);
    await q(`INSERT INTO public.members VALUES (1, '${TENANT_A}', 1); INSERT INTO public.items VALUES (1, 1), (2, 2)`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.deepEqual(await q('SELECT public.is_member(2) AS m'), [{ m: true }], 'A, a member of org 1 only, is taken for a member of org 2');
    assert.equal(await count(q, 'public.items'), 2, "A reads org 2's item");
    assert.equal((await q('DELETE FROM public.items WHERE org_id = 2 RETURNING id')).length, 1, "the admin of org 1 deletes org 2's item");
  });
  // a parameter with a name no column has: nothing to report
  const fixed = text.replace('is_member(org_id int)', 'is_member(p_org_id int)').replace('WHERE org_id = org_id AND user_id = auth.uid())', 'WHERE org_id = p_org_id AND user_id = auth.uid())');
  assert.equal(lintFiles([{ file: 'supabase/migrations/20240101000000_items.sql', text: fixed }], ID).mine.length, 1);
});

test("err: a sub-select reading the policy's own table again under an alias (we-community's space_members): `sm.space_id = space_id` is sm's own column, so an admin of space A deletes space B's rows; qualified with the table's name it is the checked row's, and they cannot", async () => {
  const file = 'supabase/migrations/20240101000000_spaces.sql';
  const text = `create table public.space_members (id int primary key, space_id int not null, user_id uuid not null, role text not null);
alter table public.space_members enable row level security;
create policy read_all on public.space_members for select to authenticated using (true);
create policy admins_delete on public.space_members for delete to authenticated using (
  exists (select 1 from public.space_members sm where sm.space_id = space_id and sm.user_id = (select auth.uid()) and sm.role = 'admin'));
`;
  const linted = lintFiles([{ file, text }], ID);
  assert.equal(linted.mine.length, 1);
  assert.match(linted.mine[0]!.message, /^In policy "admins_delete" on public\.space_members, the sub-select reads public\.space_members again as sm and compares sm\.space_id with space_id, but PostgreSQL resolves the unqualified space_id to the sub-select's row sm/);
  // (not aliased: the name is the sub-select's table, and `space_members.space_id` would be too: not reported)
  assert.equal(lintFiles([{ file, text: text.replace('public.space_members sm where sm.space_id = space_id and sm.user_id', 'public.space_members where space_members.space_id = space_id and user_id').replace(" and sm.role = 'admin'", " and role = 'admin'") }], ID).mine.length, 0);
  const fixed = applyFix(linted.ws, linted.mine[0]!);
  assert.match(sqlOf(fixed), /sm\.space_id = space_members\.space_id/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  const run = async (sql: string) =>
    inRollback(await getDb(), async (q) => {
      await onSupabase(q, sql);
      await q(`INSERT INTO public.space_members VALUES (1, 1, '${TENANT_A}', 'admin'), (2, 2, '${TENANT_B}', 'admin')`);
      await q(actAs(TENANT_A));
      await q('SET ROLE authenticated');
      return affected(q, 'DELETE FROM public.space_members WHERE space_id = 2');
    });
  assert.equal(await run(sqlOf(linted.ws)), 1, "space B's admin row deleted by space A's admin");
  assert.equal(await run(sqlOf(fixed)), 0);
});

// sprintable's notifications and inbox_items: the row's org_id is tied by a conjunct outside the
// sub-select (`org_id IN (SELECT admin_org_ids())`), so the self-comparison loses only the check
// that the assignee belongs to the row's org; and `tm.id = user_id` takes user_id from tm too.
const ORG_SQL = (assignee: string) => `CREATE TABLE team_members (id uuid PRIMARY KEY, org_id uuid NOT NULL, user_id uuid, role text NOT NULL);
CREATE TABLE notifications (id serial PRIMARY KEY, org_id uuid NOT NULL, ${assignee} uuid NOT NULL REFERENCES team_members(id), title text);
CREATE FUNCTION admin_org_ids() RETURNS SETOF uuid LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS
  $$ SELECT org_id FROM public.team_members WHERE user_id = auth.uid() AND role = 'admin' $$;
ALTER TABLE team_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE notifications ENABLE ROW LEVEL SECURITY;
CREATE POLICY tm_read ON team_members FOR SELECT TO authenticated USING (org_id IN (SELECT admin_org_ids()));
CREATE POLICY n_read ON notifications FOR SELECT TO authenticated USING (org_id IN (SELECT admin_org_ids()));
CREATE POLICY n_insert ON notifications FOR INSERT TO authenticated
  WITH CHECK (org_id IN (SELECT admin_org_ids())
    AND EXISTS (SELECT 1 FROM team_members tm WHERE tm.id = ${assignee} AND tm.org_id = org_id));
GRANT SELECT ON team_members TO authenticated;
GRANT SELECT, INSERT ON notifications TO authenticated;
GRANT USAGE ON SEQUENCE notifications_id_seq TO authenticated;
`;
const M_A = '00000000-0000-0000-0000-0000000000a1';
const M_A2 = '00000000-0000-0000-0000-0000000000a2';
const M_B = '00000000-0000-0000-0000-0000000000b1';

/** What admin A's inserts give: into org A with an assignee of A, into org A with one of B, into org B with one of B. */
async function adminInserts(sql: string, assignee: string): Promise<string[]> {
  const out: string[] = [];
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql);
    await q(`INSERT INTO team_members VALUES ('${M_A}', '${ORG_A}', '${TENANT_A}', 'admin'), ('${M_A2}', '${ORG_A}', NULL, 'member'), ('${M_B}', '${ORG_B}', '${TENANT_B}', 'admin')`);
    await q(`${actAs(TENANT_A)} SET ROLE authenticated`);
    for (const [org, m] of [[ORG_A, M_A2], [ORG_A, M_B], [ORG_B, M_B]]) {
      const r = await tryQuery(q, `INSERT INTO notifications (org_id, ${assignee}, title) VALUES ('${org}', '${m}', 'x')`);
      out.push(r.ok ? 'ok' : r.error.code!);
    }
    await q('RESET ROLE');
  });
  return out;
}

test("err (message): another condition of the policy still ties org_id (sprintable's inbox_items): the message says what is lost, not that every org's rows are admitted; PGlite: admin A cannot insert into org B (team_members' own policy also hides org B's members from the sub-select here), before and after the fix", async () => {
  const sql = ORG_SQL('assignee');
  const { mine, ws } = lintFiles([{ file: 'm.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.doesNotMatch(mine[0]!.message, /admits the rows of every org_id/);
  assert.match(mine[0]!.message, /another condition of the policy, outside the sub-select \(where org_id is the row's\), still ties org_id, so what is lost is the sub-select's check that its row of public\.team_members has the same org_id as the row of public\.notifications\. Qualify it/);
  // (team_members' own policy hides org B's members from admin A's sub-select: the assignee check passes only for org A's)
  assert.deepEqual(await adminInserts(sql, 'assignee'), ['ok', '42501', '42501']);
  const fixed = applyFix(ws, mine[0]!);
  assert.deepEqual(findingsOf(fixed, ID), []);
  assert.deepEqual(await adminInserts(sqlOf(fixed), 'assignee'), ['ok', '42501', '42501']);
});

const JOBS_SQL = `CREATE FUNCTION is_service_mode() RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT current_setting('app.tenant_id', true) = '__SERVICE__' $$;
CREATE TABLE cc_jobs (id uuid PRIMARY KEY, tenant_id uuid NOT NULL);
CREATE TABLE requests (id serial PRIMARY KEY, tenant_id uuid, job_id uuid REFERENCES cc_jobs(id));
CREATE INDEX ON requests (tenant_id);
ALTER TABLE requests ENABLE ROW LEVEL SECURITY;
CREATE POLICY requests_tenant_insert ON requests FOR INSERT TO authenticated
  WITH CHECK (
    is_service_mode() OR (
      tenant_id IS NOT NULL AND
      tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid AND
      (job_id IS NULL OR EXISTS (SELECT 1 FROM cc_jobs j WHERE j.id = job_id AND j.tenant_id = tenant_id))));
GRANT SELECT ON cc_jobs TO authenticated;
GRANT INSERT ON requests TO authenticated;
GRANT USAGE ON SEQUENCE requests_id_seq TO authenticated;
`;

test("err (message): the condition tying tenant_id sits beside the sub-select in one branch of an OR (Community-Canvas' emergency_tenant_insert: is_service_mode() OR (tenant_id = … AND (… OR EXISTS (…)))): the message says what is lost, not that every tenant's rows are admitted; PGlite: tenant A cannot insert a row of tenant B, and can insert its own row naming tenant B's job until the fix", async () => {
  const { mine, ws } = lintFiles([{ file: 'm.sql', text: JOBS_SQL }], ID);
  assert.equal(mine.length, 1);
  assert.doesNotMatch(mine[0]!.message, /admits the rows of every tenant_id/);
  assert.match(mine[0]!.message, /another condition of the policy, outside the sub-select \(where tenant_id is the row's\), still ties tenant_id, so what is lost is the sub-select's check that its row of public\.cc_jobs has the same tenant_id as the row of public\.requests\. Qualify it/);
  const JOB_A = '00000000-0000-0000-0000-0000000000a1';
  const JOB_B = '00000000-0000-0000-0000-0000000000b1';
  const inserts = async (sql: string): Promise<string[]> => {
    const out: string[] = [];
    await inRollback(await getDb(), async (q) => {
      await q(sql);
      await q(`INSERT INTO cc_jobs VALUES ('${JOB_A}', '${TENANT_A}'), ('${JOB_B}', '${TENANT_B}')`);
      await q(`SELECT set_config('app.tenant_id', '${TENANT_A}', true); SET ROLE authenticated`);
      // (tenant A: its own row with its job, its own row with B's job, a row of B with B's job)
      for (const [tenant, job] of [[TENANT_A, JOB_A], [TENANT_A, JOB_B], [TENANT_B, JOB_B]]) {
        const r = await tryQuery(q, `INSERT INTO requests (tenant_id, job_id) VALUES ('${tenant}', '${job}')`);
        out.push(r.ok ? 'ok' : r.error.code!);
      }
      await q('RESET ROLE');
    });
    return out;
  };
  assert.deepEqual(await inserts(JOBS_SQL), ['ok', 'ok', '42501'], "a row of tenant B is refused; only the job's tenant is unchecked");
  const fixed = applyFix(ws, mine[0]!);
  assert.deepEqual(findingsOf(fixed, ID), []);
  assert.deepEqual(await inserts(sqlOf(fixed)), ['ok', '42501', '42501']);
});

const RECEIPTS_SQL = `CREATE TABLE leases (id uuid PRIMARY KEY, owner_user_id uuid NOT NULL);
CREATE TABLE rent_charges (id uuid PRIMARY KEY, lease_id uuid NOT NULL REFERENCES leases(id), owner_user_id uuid NOT NULL);
CREATE TABLE rent_receipts (id serial PRIMARY KEY, lease_id uuid NOT NULL REFERENCES leases(id), charge_id uuid REFERENCES rent_charges(id), owner_user_id uuid NOT NULL);
CREATE INDEX ON rent_receipts (owner_user_id);
ALTER TABLE rent_receipts ENABLE ROW LEVEL SECURITY;
CREATE POLICY rent_receipts_insert ON rent_receipts FOR INSERT TO authenticated
  WITH CHECK (
    owner_user_id = (select auth.uid())
    AND EXISTS (SELECT 1 FROM leases l WHERE l.id = lease_id AND l.owner_user_id = (select auth.uid()))
    AND EXISTS (SELECT 1 FROM rent_charges c WHERE c.id = charge_id AND c.lease_id = lease_id AND c.owner_user_id = (select auth.uid())));
GRANT SELECT ON leases, rent_charges TO authenticated;
GRANT INSERT ON rent_receipts TO authenticated;
GRANT USAGE ON SEQUENCE rent_receipts_id_seq TO authenticated;
`;

test("err (message): another sub-select of the policy ties the column, naming it unqualified where its own table has no such column (tenant-flow's rent_receipts_insert: EXISTS (SELECT 1 FROM leases l WHERE l.id = lease_id …)): the message says what is lost; PGlite: a user cannot insert a receipt on another user's lease, and can attach their own charge of another of their leases until the fix", async () => {
  const { mine, ws } = lintFiles([{ file: 'm.sql', text: RECEIPTS_SQL }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'lease_id');
  assert.doesNotMatch(mine[0]!.message, /admits the rows of every lease_id/);
  assert.match(mine[0]!.message, /still ties lease_id, so what is lost is the sub-select's check that its row of public\.rent_charges has the same lease_id as the row of public\.rent_receipts\./);
  const L_A1 = '00000000-0000-0000-0000-0000000000a1';
  const L_A2 = '00000000-0000-0000-0000-0000000000a2';
  const L_B = '00000000-0000-0000-0000-0000000000b1';
  const C_A2 = '00000000-0000-0000-0000-0000000000c2';
  const C_B = '00000000-0000-0000-0000-0000000000cb';
  const inserts = async (sql: string): Promise<string[]> => {
    const out: string[] = [];
    await inRollback(await getDb(), async (q) => {
      await q(AUTH_STUB_SQL);
      await q(sql);
      await q(`INSERT INTO leases VALUES ('${L_A1}', '${TENANT_A}'), ('${L_A2}', '${TENANT_A}'), ('${L_B}', '${TENANT_B}')`);
      await q(`INSERT INTO rent_charges VALUES ('${C_A2}', '${L_A2}', '${TENANT_A}'), ('${C_B}', '${L_B}', '${TENANT_B}')`);
      await q(`${actAs(TENANT_A)} SET ROLE authenticated`);
      // (user A: lease A2 with its charge, lease A1 with lease A2's charge, lease B with B's charge)
      for (const [lease, charge] of [[L_A2, C_A2], [L_A1, C_A2], [L_B, C_B]]) {
        const r = await tryQuery(q, `INSERT INTO rent_receipts (lease_id, charge_id, owner_user_id) VALUES ('${lease}', '${charge}', '${TENANT_A}')`);
        out.push(r.ok ? 'ok' : r.error.code!);
      }
      await q('RESET ROLE');
    });
    return out;
  };
  assert.deepEqual(await inserts(RECEIPTS_SQL), ['ok', 'ok', '42501'], "another user's lease is refused; only the charge's lease is unchecked");
  const fixed = applyFix(ws, mine[0]!);
  assert.deepEqual(findingsOf(fixed, ID), []);
  assert.deepEqual(await inserts(sqlOf(fixed)), ['ok', '42501', '42501']);
});

test('err (message): a sub-select beside it whose own table has the column does not tie the policy\'s row', () => {
  const sql = RECEIPTS_SQL.replace('CREATE TABLE leases (id uuid PRIMARY KEY,', 'CREATE TABLE leases (id uuid PRIMARY KEY, lease_id uuid,');
  const { mine } = lintFiles([{ file: 'm.sql', text: sql }], ID);
  assert.ok(mine.some((f) => /c\.lease_id with lease_id/.test(f.message) && /admits the rows of every lease_id/.test(f.message)));
});

test('err (message): a NULL test of the column beside the sub-select ties it to nothing: every tenant\'s rows are admitted', () => {
  const sql = JOBS_SQL.replace("tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid AND", '');
  const { mine } = lintFiles([{ file: 'm.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /admits the rows of every tenant_id/);
});

test("err (message): a second unqualified name of the sub-select that both tables have (sprintable's notifications: tm.id = user_id) is named: it is tm.user_id too; PGlite: every insert fails, before and after qualifying org_id", async () => {
  const sql = ORG_SQL('user_id');
  const { mine } = lintFiles([{ file: 'm.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /Other unqualified names of this sub-select that public\.notifications has resolve the same way, to tm: user_id is tm\.user_id, not notifications\.user_id — qualify each name with the table it means\./);
  assert.deepEqual(await adminInserts(sql, 'user_id'), ['42501', '42501', '42501']);
  // (both qualified, as the message advises: admin A assigns a member of org A in org A, nothing else)
  const both = sql.replace('tm.id = user_id AND tm.org_id = org_id', 'tm.id = notifications.user_id AND tm.org_id = notifications.org_id');
  assert.deepEqual(lintFiles([{ file: 'm.sql', text: both }], ID).mine, []);
  assert.deepEqual(await adminInserts(both, 'user_id'), ['ok', '42501', '42501']);
});

test('ok (message): in a sub-select nested in another, only the innermost query\'s names are taken as captured: not the outer query\'s kind (projects.kind)', () => {
  const sql = `CREATE TABLE projects (id bigint PRIMARY KEY, kind text);
CREATE TABLE members (org_id uuid NOT NULL, user_id uuid NOT NULL);
CREATE TABLE docs (id bigint PRIMARY KEY, org_id uuid NOT NULL, project_id bigint, kind text);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY docs_read ON docs FOR SELECT TO authenticated USING (
  EXISTS (SELECT 1 FROM projects p, members m2 WHERE p.id = project_id AND kind = 'open' AND m2.user_id = (select auth.uid())
          AND EXISTS (SELECT 1 FROM members m WHERE m.org_id = org_id AND m.user_id = (select auth.uid()))));`;
  const mine = lintFiles([{ file: 'm.sql', text: sql }], ID).mine.filter((f) => /m\.org_id with org_id/.test(f.message));
  assert.equal(mine.length, 1);
  assert.doesNotMatch(mine[0]!.message, /Other unqualified names/);
});

// Calibration cal92 (WellFitCommunity/WellFit-Community-Daily-Complete 20260204120000: welfare
// check reports `tenant_id IN (SELECT tenant_id FROM user_roles WHERE user_id = auth.uid())`, where
// user_roles, made with IF NOT EXISTS, gets no tenant_id from the migrations, but an earlier
// migration inserts into user_roles.tenant_id): the table was made elsewhere with the column, so
// the selected name is user_roles' own. PGlite: on a database where the table lacks it, the
// INSERT fails with 42703 before the policy is reached; where it has it, the policy admits the
// caller's tenant only.
test("ok: col IN (SELECT col FROM t …) where t, made with IF NOT EXISTS, lacks col but an INSERT of the migrations writes t.col: t was made elsewhere with it; PGlite: 42703 without the column, the caller's tenant only with it", async () => {
  const roles = `CREATE TABLE IF NOT EXISTS public.user_roles (user_id uuid, role text);
`;
  const seed = `INSERT INTO public.user_roles (user_id, role, tenant_id) VALUES ('${TENANT_A}', 'officer', '${ORG_A}') ON CONFLICT DO NOTHING;
`;
  const reports = `CREATE TABLE public.reports (id int PRIMARY KEY, tenant_id uuid);
ALTER TABLE public.reports ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON public.reports, public.user_roles TO authenticated;
CREATE POLICY reports_read ON public.reports FOR SELECT USING (tenant_id IN (SELECT tenant_id FROM user_roles WHERE user_id = auth.uid()));
`;
  const files = (withSeed: boolean) => [
    { file: 'supabase/migrations/20250101000000_roles.sql', text: roles },
    ...(withSeed ? [{ file: 'supabase/migrations/20250201000000_seed.sql', text: seed }] : []),
    { file: 'supabase/migrations/20250301000000_reports.sql', text: reports },
  ];
  assert.equal(lintFiles(files(false), ID).mine.length, 1, 'no statement names user_roles.tenant_id: reported');
  assert.deepEqual(lintFiles(files(true), ID).mine, []);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(roles);
    const r = await tryQuery(q, seed);
    assert.equal(r.ok ? 'ok' : r.error.code, '42703', 'the table as the migrations make it: the INSERT fails, the migrations stop before the policy');
  });
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(roles.replace('role text', 'role text, tenant_id uuid'));
    await q(seed);
    await q(reports);
    await q(`INSERT INTO public.reports VALUES (1, '${ORG_A}'), (2, '${ORG_B}')`);
    await q(`${actAs(TENANT_A)} SET ROLE authenticated`);
    assert.equal(await count(q, 'public.reports'), 1, "the table as the INSERT needs it: the caller's tenant only");
  });
});

// Calibration (cryoprotect's shared_resources): `team_id = team_id`, both unqualified, in a sub-select
// reading one table. Both names are the sub-select's table's column: every member of any team reads
// every team's resources (PGlite). The fix qualifies the right-hand one with the policy's table.
test('err: team_id = team_id, both unqualified, in EXISTS (SELECT 1 FROM members …) is the members column with itself: A reads org B\'s document; the fix qualifies one side and A reads its own only', async () => {
  const sql = `CREATE TABLE members (org_id uuid NOT NULL, user_id uuid NOT NULL);
CREATE TABLE documents (id int PRIMARY KEY, org_id uuid NOT NULL, body text);
ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
CREATE POLICY documents_read ON documents FOR SELECT TO authenticated USING (
  EXISTS (SELECT 1 FROM members WHERE org_id = org_id AND user_id = (select auth.uid())));
`;
  const { ws, mine } = lintFiles([{ file: 'migrations/003_teams.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  const finding = mine[0]!;
  assert.match(finding.message, /compares org_id = org_id, both unqualified, but PostgreSQL resolves both to the sub-select's own table public\.members .* Qualify it with the policy's table: documents\.org_id\./);
  const db = await getDb();
  await inRollback(db, async (q) => assert.equal(await seen(q, sqlOf(ws)), 2, "A sees B's document too"));
  const fixed = applyFix(ws, finding);
  assert.equal(finding.fixes[0]!.kind, 'safe');
  assert.match(sqlOf(fixed), /WHERE org_id = documents\.org_id AND/);
  assert.deepEqual(findingsOf(fixed, ID), []);
  await inRollback(db, async (q) => assert.equal(await seen(q, sqlOf(fixed)), 1, 'fixed: its own only'));
});

test('err (no fix): col = col in a sub-select reading the policy\'s own table under its own name: reported without a fix (no name there reaches the checked row: the message gives the table an alias); cal193, kinpulse', () => {
  const sql = `CREATE TABLE members (org_id uuid NOT NULL, user_id uuid NOT NULL);
ALTER TABLE members ENABLE ROW LEVEL SECURITY;
CREATE POLICY members_read ON members FOR SELECT TO authenticated USING (
  EXISTS (SELECT 1 FROM members WHERE org_id = org_id AND user_id = (select auth.uid())));
`;
  const { mine } = lintFiles([{ file: 'migrations/001.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.equal(mine[0]!.fixes?.length ?? 0, 0);
  assert.match(mine[0]!.message, /FROM members x WHERE x\.org_id = members\.org_id\.$/);
});

test("err (message): the self-comparison in a sub-select used as a value (tarrasque's \"Media can be updated if the size is not set\": (SELECT m.size FROM media m WHERE m.id = id) IS NULL): the message says it fails with 21000, not that every row is admitted; PGlite: with two rows every UPDATE fails with 21000, and the safe fix lets only the row without a size be updated", async () => {
  const file = 'supabase/migrations/20231207150251_media.sql';
  const text = `CREATE TABLE public.media (id uuid PRIMARY KEY, size integer, name text);
ALTER TABLE public.media ENABLE ROW LEVEL SECURITY;
GRANT SELECT, UPDATE ON public.media TO authenticated;
CREATE POLICY "Media can be viewed by anyone" ON public.media FOR SELECT TO public USING (true);
CREATE POLICY "Media can be updated if the size is not set" ON public.media AS PERMISSIVE FOR UPDATE TO authenticated
  USING (((SELECT media_1.size FROM media media_1 WHERE (media_1.id = id)) IS NULL));
`;
  const linted = lintFiles([{ file, text }], ID);
  assert.equal(linted.mine.length, 1);
  const finding = linted.mine[0]!;
  assert.equal(textAt(linted.ws, finding), 'id');
  assert.match(finding.message, /the comparison is media_1\.id = media_1\.id/);
  assert.match(finding.message, /this sub-select is used as a value: it now returns media_1's value for every row of public\.media the rest of its WHERE admits, not for the row the policy checks, so where that is two rows or more PostgreSQL raises 21000 \(more than one row returned by a subquery used as an expression\) and the statement fails/);
  assert.doesNotMatch(finding.message, /admits the rows of every id/);
  // (in EXISTS the usual consequence is kept)
  const exists = lintFiles([{ file, text: text.replace('((SELECT media_1.size FROM media media_1 WHERE (media_1.id = id)) IS NULL)', 'EXISTS (SELECT 1 FROM media media_1 WHERE media_1.id = id AND media_1.size IS NULL)') }], ID).mine;
  assert.equal(exists.length, 1);
  assert.match(exists[0]!.message, /admits the rows of every id/);
  const rows = `INSERT INTO public.media VALUES ('${TENANT_A}', NULL, 'a'), ('${TENANT_B}', 5, 'b');`;
  const db = await getDb();
  await inRollback(db, async (q) => {
    await onSupabase(q, sqlOf(linted.ws));
    await q(rows);
    await q('SET ROLE authenticated');
    const r = await tryQuery(q, `UPDATE public.media SET name = 'x' WHERE id = '${TENANT_A}'`);
    assert.equal(r.ok ? 'ok' : r.error.code, '21000', 'the UPDATE of the row without a size fails');
  });
  const fixed = applyFix(linted.ws, finding);
  assert.deepEqual(findingsOf(fixed, ID), []);
  await inRollback(db, async (q) => {
    await onSupabase(q, sqlOf(fixed));
    await q(rows);
    await q('SET ROLE authenticated');
    assert.equal(await affected(q, `UPDATE public.media SET name = 'x' WHERE id = '${TENANT_A}'`), 1, 'the row without a size');
    assert.equal(await affected(q, `UPDATE public.media SET name = 'y' WHERE id = '${TENANT_B}'`), 0, 'not the row with a size');
  });
});

test("ok: a table made with CREATE TABLE … (LIKE src …) has src's columns where it is made: `org_id IN (SELECT org_id FROM members …)` selects members.org_id, not reported; PGlite: A reads org A's document only. A column src gains later is not the copy's: then it is reported", async () => {
  const tpl = 'CREATE TABLE tpl (org_id uuid NOT NULL, user_id uuid NOT NULL);\n';
  const rest = `CREATE TABLE members (LIKE tpl INCLUDING ALL);
CREATE TABLE documents (id int PRIMARY KEY, org_id uuid NOT NULL, body text);
ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
CREATE POLICY docs_member ON documents FOR SELECT TO authenticated
  USING (org_id IN (SELECT org_id FROM members WHERE user_id = (select auth.uid())));
`;
  assert.deepEqual(lintFiles([{ file: '1.sql', text: tpl }, { file: '2.sql', text: rest }], ID).mine, []);
  assert.equal(await inRollback(await getDb(), (q) => seen(q, tpl + rest)), 1);
  // (the column added to tpl after the copy: members has none, the IN selects the row's own org_id)
  const late = `CREATE TABLE tpl (user_id uuid NOT NULL);\n${rest.replace('CREATE TABLE documents', 'ALTER TABLE tpl ADD COLUMN org_id uuid;\nCREATE TABLE documents')}`;
  assert.equal(lintFiles([{ file: '1.sql', text: late }], ID).mine.length, 1);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(late);
    assert.equal(await count(q, "(SELECT 1 FROM information_schema.columns WHERE table_name = 'members' AND column_name = 'org_id') c"), 0);
  });
});

// Calibration cal194 (pawtograder/platform's "anyone in class can see all" on
// assignment_groups_members: EXISTS (SELECT 1 FROM public.user_privileges ur WHERE ur.user_id =
// auth.uid() AND (ur.class_id = class_id))): the message's example of who gets every row said "a
// member of any organisation" whatever the column; it now names the sub-select's table and column.
test("err: the example of who reads every row names the sub-select's table and column (ur.class_id = class_id: a caller with a row of public.user_privileges for any class_id), as PGlite shows", async () => {
  const sql = `CREATE TABLE public.user_privileges (user_id uuid NOT NULL, class_id bigint NOT NULL, role text NOT NULL);
CREATE TABLE public.assignment_groups_members (id bigint PRIMARY KEY, class_id bigint NOT NULL, profile_id uuid NOT NULL);
ALTER TABLE public.assignment_groups_members ENABLE ROW LEVEL SECURITY;
CREATE POLICY "anyone in class can see all" ON public.assignment_groups_members FOR SELECT TO authenticated
  USING (EXISTS (SELECT 1 FROM public.user_privileges ur WHERE ur.user_id = (select auth.uid()) AND (ur.class_id = class_id)));
`;
  const mine = lintFiles([{ file: 'supabase/migrations/20250916200614_gradebook.sql', text: sql }], ID).mine;
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /the policy admits the rows of every class_id to anyone the rest of the sub-select admits \(e\.g\. a caller with a row of public\.user_privileges for any class_id\)\. /);
  assert.doesNotMatch(mine[0]!.message, /organisation/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql);
    await q(`INSERT INTO public.user_privileges VALUES ('${TENANT_A}', 1, 'student')`);
    await q(`INSERT INTO public.assignment_groups_members VALUES (1, 1, '${TENANT_A}'), (2, 2, '${TENANT_B}')`);
    await q('GRANT SELECT ON public.user_privileges, public.assignment_groups_members TO authenticated');
    await q(`${actAs(TENANT_A)} SET ROLE authenticated`);
    assert.equal(await count(q, 'public.assignment_groups_members'), 2, "a student of class 1 reads class 2's group members too");
  });
});

// Calibration cal193 (kanwarsx-prog/kinpulse's fix_member_removal_rls.sql, "Group members can add
// members" on group_members: `auth.uid() IN (SELECT user_id FROM group_members WHERE group_id =
// group_id)`): the sub-select reads the policy's own table under its own name, so both names are
// its row's; it was left out because the fix `group_members.group_id` names that row too. Now told,
// with the alias the fix needs, and no automatic fix.
test("err: group_id = group_id, both unqualified, in a sub-select reading the policy's own table without an alias: A, a member of group 1, adds B to group 2 (PGlite); no fix is offered (group_members.group_id is the sub-select's row there), and the aliased form refuses it with 42501", async () => {
  const sql = (inner: string) => `CREATE TABLE public.group_members (group_id uuid, user_id uuid, PRIMARY KEY (group_id, user_id));
ALTER TABLE public.group_members ENABLE ROW LEVEL SECURITY;
CREATE POLICY gm_read ON public.group_members FOR SELECT TO authenticated USING (user_id = auth.uid());
CREATE POLICY "Group members can add members" ON public.group_members FOR INSERT TO authenticated
  WITH CHECK (auth.uid() IN (${inner}));
GRANT SELECT, INSERT ON public.group_members TO authenticated;
`;
  const bare = sql('SELECT user_id FROM group_members WHERE group_id = group_id');
  const aliased = sql('SELECT x.user_id FROM group_members x WHERE x.group_id = group_members.group_id');
  const { ws, mine } = lintFiles([{ file: 'm.sql', text: bare }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'group_id');
  assert.equal(mine[0]!.fixes?.length ?? 0, 0);
  assert.match(mine[0]!.message, /reads public\.group_members again, without an alias, and compares group_id = group_id, both unqualified: .* Give it an alias and compare with the checked row: FROM group_members x WHERE x\.group_id = group_members\.group_id\./);
  assert.deepEqual(lintFiles([{ file: 'm.sql', text: aliased }], ID).mine, []);
  const db = await getDb();
  for (const [text, ok] of [[bare, true], [aliased, false]] as const) {
    await inRollback(db, async (q) => {
      await q(AUTH_STUB_SQL);
      await q(text);
      await q(`INSERT INTO public.group_members VALUES ('${ORG_A}', '${TENANT_A}')`);
      await q(`${actAs(TENANT_A)} SET ROLE authenticated`);
      const r = await tryQuery(q, `INSERT INTO public.group_members VALUES ('${ORG_B}', '${TENANT_B}')`);
      if (ok) assert.equal(r.ok, true, 'A adds B to group 2, which A is not in');
      else assert.equal(r.ok ? undefined : r.error.code, '42501');
    });
  }
});
