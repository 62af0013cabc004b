// policy-role-check-unscoped on PostgreSQL (PGlite): has_role(auth.uid(), 'admin') asks about any
// condominium and the membership test about any role, so an admin of condominium 1 who is a
// doorman of condominium 2 makes himself admin of 2 (kickstart-hub's user_roles); with the role
// checked for the row's condominium he changes nothing.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, getDb, inRollback, type Q } from '../helpers/pg.js';
import { initParser, invalidFinding, lintDocExample, lintFiles, sqlOf, TENANT_A, TENANT_B, textAt } from '../helpers/rule-proof.js';
import { actAs, onSupabase } from '../helpers/supabase.js';
import type { Workspace } from '../../server/src/engine/workspace.js';

const ID = 'policy-role-check-unscoped';
before(initParser);
after(closeAll);

/** The migrations; A is admin of condominium 1 and doorman of 2, B admin of 2; then act as A. */
async function asA(q: Q, ws: Workspace): Promise<void> {
  await onSupabase(q, sqlOf(ws));
  await q(`INSERT INTO public.user_roles VALUES (1, '${TENANT_A}', 1, 'admin'), (2, '${TENANT_A}', 2, 'doorman'), (3, '${TENANT_B}', 2, 'admin')`);
  await q(actAs(TENANT_A));
  await q('SET ROLE authenticated');
}

const promote = `UPDATE public.user_roles SET role = 'admin' WHERE id = 2 RETURNING condominium_id::int AS c, role::text AS role`;

test("err: an admin of condominium 1 who is a doorman of 2 makes himself admin of 2; a doorman admin nowhere cannot", async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'public.has_role');
  assert.match(finding.message, /reads public\.user_roles for a row with the caller's user_id and role = 'admin' but not its condominium_id, so it asks whether the caller is 'admin' in any condominium_id/);
  await inRollback(await getDb(), async (q) => {
    await asA(q, ws);
    assert.deepEqual(await q(promote), [{ c: 2, role: 'admin' }]);
  });
  await inRollback(await getDb(), async (q) => {
    await asA(q, ws);
    await q(`RESET ROLE; DELETE FROM public.user_roles WHERE id = 1; SET ROLE authenticated`);
    assert.deepEqual(await q(promote), [], 'a doorman admin nowhere changes nothing');
  });
});

test('ok: Valid example: the role checked for the row\'s condominium; A changes nothing in condominium 2', async () => {
  const { ws, mine } = lintDocExample(ID, 'valid', 0);
  assert.deepEqual(mine, []);
  await inRollback(await getDb(), async (q) => {
    await asA(q, ws);
    assert.deepEqual(await q(promote), []);
  });
});

test("ok: a column of the same name that is the role table's own key (user_roles.id beside condominiums.id) is no group column", () => {
  const { ex } = lintDocExample(ID, 'invalid', 0);
  const extra = `CREATE TABLE public.condominiums (id bigint PRIMARY KEY, name text NOT NULL);
ALTER TABLE public.condominiums ENABLE ROW LEVEL SECURITY;
CREATE POLICY condominiums_admin ON public.condominiums FOR UPDATE TO authenticated
  USING ((select public.has_role((select auth.uid()), 'admin')) AND id IN (SELECT public.user_condominium_ids((select auth.uid()))));
`;
  const { mine } = lintFiles([{ file: ex.files[0]!.file, text: ex.files[0]!.text + extra }], ID);
  assert.deepEqual(mine.map((f) => f.message.slice(0, 40)), ['Policy "roles_admin_update" on public.us']);
});

// An OR of a company tie with a permission checked in the caller's own company (Staff-Optima's
// has_permission('settings:departments')): M, a manager of company A, deletes company B's departments.
const COMPANY_A = 'aaaaaaaa-0000-0000-0000-000000000000';
const COMPANY_B = 'bbbbbbbb-0000-0000-0000-000000000000';

/** The migrations; A (TENANT_A) a manager of company A holding settings:departments, admin of nothing; then act as `who`. */
async function managerOfA(q: Q, ws: Workspace, who: string): Promise<void> {
  await onSupabase(q, sqlOf(ws));
  await q(`INSERT INTO public.companies VALUES ('${COMPANY_A}', '${TENANT_B}'), ('${COMPANY_B}', '${TENANT_B}');
    INSERT INTO public.company_members VALUES ('${TENANT_A}', '${COMPANY_A}');
    INSERT INTO public.roles VALUES ('cccccccc-0000-0000-0000-000000000000', '${COMPANY_A}', ARRAY['settings:departments']);
    INSERT INTO public.user_roles VALUES ('${TENANT_A}', 'cccccccc-0000-0000-0000-000000000000');
    INSERT INTO public.departments VALUES (1, '${COMPANY_A}', 'A eng'), (2, '${COMPANY_B}', 'B eng'), (3, '${COMPANY_B}', 'B ops')`);
  await q(actAs(who));
  await q('SET ROLE authenticated');
}

const deleteB = `DELETE FROM public.departments WHERE company_id = '${COMPANY_B}' RETURNING id`;

test("err: has_permission('settings:departments') ORed with the company tie: a manager of company A deletes company B's departments", async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.equal(textAt(ws, finding), 'public.has_permission');
  assert.match(finding.message, /ORs has_permission\('settings:departments'\) with a branch that ties the row's company_id to the caller/);
  assert.match(finding.message, /compares public\.roles\.company_id with public\.get_user_company_id\(\), never with the row's company_id/);
  await inRollback(await getDb(), async (q) => {
    await managerOfA(q, ws, TENANT_A);
    assert.deepEqual(await q(deleteB), [{ id: 2 }, { id: 3 }]);
  });
  await inRollback(await getDb(), async (q) => {
    const nobody = '00000000-0000-0000-0000-00000000000c';
    await managerOfA(q, ws, nobody);
    assert.deepEqual(await q(deleteB), [], 'a user without the permission deletes nothing');
  });
});

test("ok: Valid example 2: the permission checked in the row's company, and a platform role read from a table with no company", async () => {
  const { ws, mine } = lintDocExample(ID, 'valid', 1);
  assert.deepEqual(mine, []);
  await inRollback(await getDb(), async (q) => {
    await managerOfA(q, ws, TENANT_A);
    assert.deepEqual(await q(deleteB), [], 'nothing of company B');
    assert.deepEqual(await q(`DELETE FROM public.departments WHERE company_id = '${COMPANY_A}' RETURNING id`), [{ id: 1 }], "company A's department");
  });
});

test('ok: an OR whose helper compares only the user column (user_roles.user_id = auth.uid()) with a branch tying the row\'s user_id, or under a restrictive policy, is not reported', () => {
  const { ex } = lintDocExample(ID, 'invalid', 1);
  const base = ex.files[0]!.text.replace(/CREATE POLICY departments_delete[\s\S]*$/, '');
  const selfOnly = `CREATE FUNCTION public.has_any_role(_n int) RETURNS boolean
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS
  $$ SELECT EXISTS (SELECT 1 FROM public.user_roles WHERE user_id = (select auth.uid()) OFFSET _n) $$;
CREATE FUNCTION public.is_me(_user_id uuid) RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT _user_id = (select auth.uid()) $$;
CREATE POLICY members_delete ON public.company_members FOR DELETE TO authenticated
  USING (public.is_me(user_id) OR (select public.has_any_role(0)));
`;
  assert.deepEqual(lintFiles([{ file: ex.files[0]!.file, text: base + selfOnly }], ID).mine, []);
  const restrictive = ex.files[0]!.text + `
CREATE POLICY departments_own_company ON public.departments AS RESTRICTIVE FOR DELETE TO authenticated
  USING (company_id = (select public.get_user_company_id()));
`;
  assert.deepEqual(lintFiles([{ file: ex.files[0]!.file, text: restrictive }], ID).mine, []);
});
