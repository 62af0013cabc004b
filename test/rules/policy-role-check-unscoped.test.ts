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
