// policy-missing-select-companion on PostgreSQL (PGlite): with an UPDATE or DELETE policy and no
// SELECT policy for the role, statements that read a column (WHERE, SET n = n + 1, RETURNING id)
// silently affect 0 rows (T26, T27), while ones that read none change every row USING admits.
// The fix adds a SELECT policy with the same USING: the filtered statements then work.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { affected, asOwner, closeAll, count, expectPgError, getDb, inRollback, type Q, tryQuery } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintDocExample, lintFiles, sqlOf, TENANT_A, TENANT_B, textAt } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';

const ID = 'policy-missing-select-companion';
before(initParser);
after(closeAll);

/** A owns documents 1 and 2, B owns 3. */
async function documents(q: Q, sql: string, grants = 'SELECT, UPDATE, DELETE'): Promise<void> {
  await q(AUTH_STUB_SQL);
  await asOwner(q, sql);
  const cols = sql.includes('public boolean') ? '(id, owner_id)' : '(id, owner_id, body)';
  const row = (id: number, owner: string) => (cols.includes('body') ? `(${id}, '${owner}', 'v')` : `(${id}, '${owner}')`);
  await q(`INSERT INTO documents ${cols} VALUES ${row(1, TENANT_A)}, ${row(2, TENANT_A)}, ${row(3, TENANT_B)}`);
  await q(`GRANT ${grants} ON documents TO authenticated`);
  await q(actAs(TENANT_A));
  await q('SET ROLE authenticated');
}

test('err: UPDATE policy without SELECT: WHERE, SET n = n + 1 and RETURNING id affect 0 rows (T26); no WHERE updates every own row; fixed: WHERE id = 1 updates 1', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'documents_update');
  assert.match(finding.message, /lets authenticated UPDATE rows, but no SELECT \(or ALL\) policy with a USING applies to that role/);
  assert.match(finding.message, /UPDATE documents SET … WHERE id = … silently affects 0 rows, with no error \(T26\)/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await documents(q, sqlOf(ws));
    assert.equal(await affected(q, `UPDATE documents SET body = 'x' WHERE id = 1`), 0);
    assert.equal(await affected(q, `UPDATE documents SET body = body || '!'`), 0);
    assert.deepEqual(await q(`UPDATE documents SET body = 'y' RETURNING id`), []);
    assert.equal(await affected(q, `UPDATE documents SET body = 'z'`), 2, 'reads no column: every row USING admits');
  });
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /CREATE POLICY documents_update_select ON documents FOR SELECT TO authenticated\n {2}USING \(owner_id = \(select auth\.uid\(\)\)\);/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(db, async (q) => {
    await documents(q, sqlOf(fixed));
    assert.equal(await affected(q, `UPDATE documents SET body = 'x' WHERE id = 1`), 1);
    assert.equal(await affected(q, `UPDATE documents SET body = 'x' WHERE id = 3`), 0, 'B’s row stays out of reach');
    assert.deepEqual(await q(`UPDATE documents SET body = body || '!' RETURNING id`), [{ id: 1 }, { id: 2 }]);
  });
});

test('err: DELETE policy, SELECT policy only for anon: DELETE … WHERE id = … deletes 0 rows (T27), DELETE without WHERE deletes the own rows; fixed: 1', async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.match(finding.message, /DELETE FROM documents WHERE id = … silently affects 0 rows, with no error \(T27\)/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await documents(q, sqlOf(ws));
    assert.equal(await affected(q, 'DELETE FROM documents WHERE id = 1'), 0);
    assert.deepEqual(await q('DELETE FROM documents RETURNING id'), []);
    assert.equal(await affected(q, 'DELETE FROM documents'), 2);
  });
  const fixed = applyFix(ws, finding);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(db, async (q) => {
    await documents(q, sqlOf(fixed));
    assert.equal(await affected(q, 'DELETE FROM documents WHERE id = 1'), 1);
    assert.equal(await affected(q, 'DELETE FROM documents WHERE id = 3'), 0);
  });
});

test('err: the role lacks the SELECT privilege too: the message says such statements fail with 42501 (T28) and the fix adds the GRANT', async () => {
  const sql = `CREATE TABLE documents (id bigint PRIMARY KEY, owner_id uuid NOT NULL, body text);
CREATE INDEX ON documents (owner_id);
ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE documents FORCE ROW LEVEL SECURITY;
GRANT UPDATE ON documents TO authenticated;
CREATE POLICY documents_update ON documents FOR UPDATE TO authenticated
  USING (owner_id = (select nullif(current_setting('request.jwt.claim.sub', true), '')::uuid));`;
  const linted = lintFiles([{ file: 'm.sql', text: sql }], ID);
  assert.equal(linted.mine.length, 1);
  const finding = linted.mine[0]!;
  assert.match(finding.message, /authenticated also has no SELECT privilege on public\.documents, so for it such statements fail with 42501 permission denied instead, T28/);
  const fixed = applyFix(linted.ws, finding);
  assert.match(sqlOf(fixed), /GRANT SELECT ON documents TO authenticated;/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  assert.equal(findingsOf(fixed, 'policy-role-without-grant').length, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await documents(q, sql, 'UPDATE');
    await expectPgError(q(`UPDATE documents SET body = 'x' WHERE id = 1`), '42501', 'permission denied for table documents');
  });
  await inRollback(db, async (q) => {
    await documents(q, sqlOf(fixed), 'UPDATE');
    assert.equal(await affected(q, `UPDATE documents SET body = 'x' WHERE id = 1`), 1);
  });
});

test('ok: Valid examples: a SELECT policy, a FOR ALL policy, or a SELECT policy for a group role the updater belongs to', async () => {
  for (let i = 0; i < 2; i++) assert.equal(lintDocExample(ID, 'valid', i).mine.length, 0);
  const valid = lintDocExample(ID, 'valid', 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await documents(q, sqlOf(valid.ws));
    assert.equal(await affected(q, `UPDATE documents SET body = 'x' WHERE id = 1`), 1);
  });
});

test('err: no fix when a companion SELECT policy with a sub-select would recurse (T31)', async () => {
  // org_members: INSERT checks membership with a sub-select on org_members; giving org_members a
  // SELECT policy with a sub-select makes that INSERT fail with 42P17 (T31).
  const sql = `CREATE TABLE org_members (org_id uuid NOT NULL, user_id uuid NOT NULL, PRIMARY KEY (user_id, org_id));
CREATE INDEX ON org_members (org_id);
ALTER TABLE org_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE org_members FORCE ROW LEVEL SECURITY;
CREATE POLICY org_members_invite ON org_members FOR INSERT TO authenticated
  WITH CHECK (EXISTS (SELECT 1 FROM org_members m WHERE m.org_id = org_members.org_id AND m.user_id = auth.uid()));
CREATE POLICY org_members_leave ON org_members FOR DELETE TO authenticated
  USING (user_id = (select auth.uid()));`;
  const { mine, ws } = lintFiles([{ file: 'm.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.equal(mine[0]!.fixes.length, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    const withCompanion = `${sqlOf(ws)}\nCREATE POLICY org_members_read ON org_members FOR SELECT TO authenticated USING (user_id = (select auth.uid()));`;
    await asOwner(q, withCompanion);
    await q(`INSERT INTO org_members VALUES ('${TENANT_A}', '${TENANT_A}'); GRANT SELECT, INSERT, DELETE ON org_members TO authenticated`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    const r = await tryQuery(q, `INSERT INTO org_members VALUES ('${TENANT_A}', '${TENANT_B}')`);
    assert.equal(r.ok ? 'ok' : r.error.code, '42P17', 'the companion the fix would add makes the INSERT recurse');
  });
});

test("ok: Supabase: a PUBLIC DELETE policy whose USING needs auth.uid() admits anon nothing, and authenticated has a SELECT policy: not reported (a SELECT policy for PUBLIC would only add anon reads)", async () => {
  const sql = `CREATE TABLE public.notes (id bigint PRIMARY KEY, user_id uuid NOT NULL);
ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
GRANT SELECT, DELETE ON public.notes TO anon, authenticated;
CREATE POLICY notes_read ON public.notes FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE POLICY notes_delete ON public.notes FOR DELETE USING (user_id = auth.uid());
`;
  const file = 'supabase/migrations/20240101000000_notes.sql';
  assert.deepEqual(lintFiles([{ file, text: sql }], ID).mine, []);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql);
    await q(`INSERT INTO public.notes VALUES (1, '${TENANT_A}')`);
    await q('SET ROLE anon');
    assert.equal(await affected(q, 'DELETE FROM public.notes WHERE id = 1'), 0, 'anon: the DELETE policy admits nothing');
    await q(`RESET ROLE; SET ROLE authenticated; ${actAs(TENANT_A)}`);
    assert.equal(await affected(q, 'DELETE FROM public.notes WHERE id = 1'), 1, 'authenticated: its SELECT policy lets the WHERE reach the row');
  });
  // a USING that does not need a signed-in user (anon may delete rows it cannot read): reported
  const open = sql.replace('USING (user_id = auth.uid());', "USING (user_id IS NOT NULL);");
  assert.equal(lintFiles([{ file, text: open }], ID).mine.length, 1);
});

test("ok: Supabase: a PUBLIC DELETE policy whose every branch needs auth.uid(), one through a membership helper (garden's user_has_unit_access(auth.uid(), unit_id): EXISTS … WHERE user_id = _u), admits anon nothing: not reported", async () => {
  const sql = `CREATE TABLE public.user_units (user_id uuid NOT NULL, unit_id uuid NOT NULL, PRIMARY KEY (user_id, unit_id));
ALTER TABLE public.user_units ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.user_has_unit_access(_u uuid, _unit uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT EXISTS (SELECT 1 FROM public.user_units WHERE user_id = _u AND unit_id = _unit) $$;
CREATE TABLE public.task_times (id bigint PRIMARY KEY, unit_id uuid NOT NULL, user_id uuid NOT NULL);
ALTER TABLE public.task_times ENABLE ROW LEVEL SECURITY;
GRANT SELECT, DELETE ON public.task_times TO anon, authenticated;
CREATE POLICY task_times_read ON public.task_times FOR SELECT TO authenticated USING (public.user_has_unit_access((select auth.uid()), unit_id));
CREATE POLICY task_times_delete ON public.task_times FOR DELETE
  USING (user_id = (select auth.uid()) OR public.user_has_unit_access((select auth.uid()), unit_id));
`;
  const file = 'supabase/migrations/20260304064730_times.sql';
  assert.deepEqual(lintFiles([{ file, text: sql }], ID).mine, []);
  const unit = '00000000-0000-0000-0000-00000000000u'.replace('u', 'c');
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql);
    await q(`INSERT INTO public.user_units VALUES ('${TENANT_A}', '${unit}'); INSERT INTO public.task_times VALUES (1, '${unit}', '${TENANT_B}'), (2, '${unit}', '${TENANT_A}')`);
    await q('SET ROLE anon');
    assert.equal(await affected(q, 'DELETE FROM public.task_times'), 0, 'anon: no branch admits a row');
    await q(`RESET ROLE; SET ROLE authenticated; ${actAs(TENANT_A)}`);
    assert.equal(await affected(q, 'DELETE FROM public.task_times WHERE id = 1'), 1, "authenticated: the unit's member reaches the row through its SELECT policy");
  });
  // a branch anon may pass (a row-only condition), or a helper that may return a row from none (count(*)): reported
  assert.equal(lintFiles([{ file, text: sql.replace('USING (user_id = (select auth.uid()) OR', 'USING (user_id IS NULL OR') }], ID).mine.length, 1);
  assert.equal(lintFiles([{ file, text: sql.replace('SELECT EXISTS (SELECT 1 FROM', 'SELECT EXISTS (SELECT count(*) FROM') }], ID).mine.length, 1);
});

test("ok: Supabase: a PUBLIC DELETE policy on a role looked up for auth.uid() (a SQL function `SELECT role FROM profiles WHERE id = auth.uid()`, returning NULL when no row matches) admits anon nothing, and authenticated has a SELECT policy: not reported", async () => {
  const sql = `CREATE TYPE public.app_role AS enum ('admin', 'user');
CREATE TABLE public.profiles (id uuid PRIMARY KEY, role public.app_role NOT NULL DEFAULT 'user');
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY profiles_own ON public.profiles FOR SELECT TO authenticated USING (id = (select auth.uid()));
CREATE FUNCTION public.my_role() RETURNS public.app_role LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT role FROM public.profiles WHERE id = auth.uid() $$;
CREATE TABLE public.tickets (id bigint PRIMARY KEY, user_id uuid NOT NULL);
ALTER TABLE public.tickets ENABLE ROW LEVEL SECURITY;
GRANT SELECT, DELETE ON public.tickets TO anon, authenticated;
CREATE POLICY tickets_own ON public.tickets FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE POLICY tickets_admin_read ON public.tickets FOR SELECT TO authenticated USING ((select public.my_role()) = 'admin');
CREATE POLICY tickets_admin_delete ON public.tickets FOR DELETE USING ((select public.my_role()) = 'admin');
`;
  const file = 'supabase/migrations/20240823101451_tickets.sql';
  assert.deepEqual(lintFiles([{ file, text: sql }], ID).mine, []);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql);
    await q(`INSERT INTO public.profiles VALUES ('${TENANT_A}', 'admin'), ('${TENANT_B}', 'user'); INSERT INTO public.tickets VALUES (1, '${TENANT_B}'), (2, '${TENANT_B}')`);
    await q('SET ROLE anon');
    assert.equal(await affected(q, 'DELETE FROM public.tickets'), 0, 'anon: my_role() returns NULL, the DELETE policy admits nothing');
    await q(`RESET ROLE; SET ROLE authenticated; ${actAs(TENANT_B)}`);
    assert.equal(await affected(q, 'DELETE FROM public.tickets'), 0, 'a user: not an admin');
    await q(`RESET ROLE; SET ROLE authenticated; ${actAs(TENANT_A)}`);
    assert.equal(await affected(q, 'DELETE FROM public.tickets WHERE id = 1'), 1, 'the admin: its SELECT policy lets the WHERE reach the row');
  });
  // a lookup that may return a row without a signed-in user (no auth.uid() in its WHERE), or an aggregate (a row from none): reported
  assert.equal(lintFiles([{ file, text: sql.replace('WHERE id = auth.uid() $$', "WHERE role = 'admin' LIMIT 1 $$") }], ID).mine.length, 1);
  assert.equal(lintFiles([{ file, text: sql.replace('SELECT role FROM public.profiles WHERE id = auth.uid()', 'SELECT max(role::text)::public.app_role FROM public.profiles WHERE id = auth.uid()') }], ID).mine.length, 1);
});

test('ok: a deny-all USING (false) policy (lablueprint/path) changes no row, with or without a SELECT policy: not reported, nor by policy-applies-to-public', async () => {
  const text = `CREATE TABLE documents (id bigint PRIMARY KEY, owner_id uuid NOT NULL, body text);
CREATE INDEX ON documents (owner_id);
ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE documents FORCE ROW LEVEL SECURITY;
CREATE POLICY "no deletes" ON documents FOR DELETE USING (false);
CREATE POLICY "no updates" ON documents FOR UPDATE USING (false) WITH CHECK (false);`;
  const { ws, findings } = lintFiles([{ file: 'supabase/migrations/20240101000000_documents.sql', text }], ID);
  assert.deepEqual(findings.filter((f) => f.rule === ID || f.rule === 'policy-applies-to-public').map((f) => f.rule), []);
  await inRollback(await getDb(), async (q) => {
    await documents(q, sqlOf(ws));
    assert.equal(await affected(q, 'DELETE FROM documents'), 0);
    assert.equal(await affected(q, `UPDATE documents SET body = 'x'`), 0);
  });
});

test("ok: a DELETE policy for PUBLIC where only authenticated, which has a SELECT policy, is granted DELETE (revoked from anon: crispy-crm): no role meets the silent 0 rows, anon gets 42501", async () => {
  const text = `CREATE TABLE public.documents (id bigint PRIMARY KEY, owner_id uuid NOT NULL, body text);
CREATE INDEX ON public.documents (owner_id);
ALTER TABLE public.documents ENABLE ROW LEVEL SECURITY;
CREATE POLICY documents_select ON public.documents FOR SELECT TO authenticated USING (owner_id = (select auth.uid()));
CREATE POLICY documents_delete ON public.documents FOR DELETE USING ((select auth.jwt()) ->> 'role' = 'authenticated');
GRANT SELECT, DELETE ON public.documents TO authenticated;
REVOKE DELETE, SELECT ON public.documents FROM anon;`;
  const file = 'supabase/migrations/20240101000000_documents.sql';
  const { ws, mine } = lintFiles([{ file, text }], ID);
  assert.deepEqual(mine, []);
  // with anon keeping DELETE (no REVOKE), anon is the one that has no SELECT policy: reported
  assert.equal(lintFiles([{ file, text: text.replace(/REVOKE[^\n]*$/, '') }], ID).mine.length, 1);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await asOwner(q, sqlOf(ws));
    await q(`INSERT INTO public.documents VALUES (1, '${TENANT_A}', 'a')`);
    await q('SET ROLE anon');
    const r = await tryQuery(q, 'DELETE FROM public.documents WHERE id = 1');
    assert.equal(r.ok ? 'ok' : r.error.code, '42501');
  });
});

test("ok: Supabase: a PUBLIC UPDATE policy where anon, the only API role without a SELECT policy, lost its privileges to a REVOKE ALL alone (2025MainShopManager's work_order_parts): anon gets 42501, authenticated reaches the row: not reported", async () => {
  const sql = `CREATE TABLE public.work_order_parts (id int PRIMARY KEY, shop_id uuid, name text);
ALTER TABLE public.work_order_parts ENABLE ROW LEVEL SECURITY;
CREATE POLICY parts_update ON public.work_order_parts FOR UPDATE USING (true);
CREATE POLICY parts_read ON public.work_order_parts FOR SELECT TO authenticated USING (shop_id = (select auth.uid()));
`;
  const revoke = 'REVOKE ALL ON public.work_order_parts FROM anon;\n';
  const at = (i: number) => `supabase/migrations/2026061407582${i}_m.sql`;
  assert.deepEqual(lintFiles([{ file: at(0), text: sql }, { file: at(1), text: revoke }], ID).mine, []);
  assert.equal(lintFiles([{ file: at(0), text: sql }], ID).mine.length, 1, 'anon keeps the platform grant: reported');
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(`${sql}GRANT ALL ON public.work_order_parts TO anon, authenticated;\n${revoke}`);
    await q(`INSERT INTO public.work_order_parts VALUES (1, '${TENANT_A}', 'x'); SET ROLE anon`);
    const denied = await tryQuery(q, `UPDATE public.work_order_parts SET name = 'y' WHERE id = 1`);
    assert.equal(!denied.ok && denied.error.code, '42501', 'anon: permission denied, not 0 rows');
    await q(`RESET ROLE; SET ROLE authenticated; ${actAs(TENANT_A)}`);
    assert.equal(await affected(q, `UPDATE public.work_order_parts SET name = 'y' WHERE id = 1`), 1);
  });
});

// Calibration cal33 (yellow-project: a SELECT policy for the role, without USING)
test('err: a SELECT policy without USING admits no row: the message names it', async () => {
  const sql = `CREATE TABLE public.notes (id int PRIMARY KEY, owner_id uuid NOT NULL, body text);
ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_read ON public.notes AS PERMISSIVE FOR SELECT TO authenticated;
CREATE POLICY notes_update ON public.notes FOR UPDATE TO authenticated USING (owner_id = (select auth.uid()));
GRANT SELECT, UPDATE ON public.notes TO authenticated;
`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20240711150242_notes.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /no SELECT \(or ALL\) policy with a USING applies to that role \(policy "notes_read", for SELECT, has no USING: it admits no row\)/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sqlOf(ws));
    await q(`INSERT INTO public.notes VALUES (1, '${TENANT_A}', 'mine')`);
    await q(`${actAs(TENANT_A)} SET ROLE authenticated`);
    assert.equal(await count(q, 'public.notes'), 0, 'the SELECT policy without USING admits nothing');
    assert.deepEqual(await q(`UPDATE public.notes SET body = 'x' WHERE id = 1 RETURNING id`), []);
  });
});

test("ok: an UPDATE policy on a table the migrations never create (MKB's public.riders, made by a base schema outside the repository) is not judged by the few policies they show; on storage.objects, the platform's, it still is", () => {
  const riders = `ALTER TABLE public.riders ADD COLUMN hub_id uuid;
CREATE POLICY "Rider can update own profile" ON public.riders FOR UPDATE TO authenticated
  USING (id = (select auth.uid())) WITH CHECK (id = (select auth.uid()));
`;
  assert.equal(lintFiles([{ file: 'supabase/migrations/20260812112230_riders.sql', text: riders }], 'policy-missing-select-companion').mine.length, 0);
  const storage = `CREATE POLICY "Owners update their files" ON storage.objects FOR UPDATE TO authenticated
  USING (owner = (select auth.uid()));
`;
  assert.equal(lintFiles([{ file: 'supabase/migrations/20260812112230_storage.sql', text: storage }], 'policy-missing-select-companion').mine.length, 1);
});

// Calibration (bryandijkhuizen/dartproject-s7's 20240504120546_update_user_public_name.sql): an
// UPDATE policy on Supabase's auth.users, TO public. The platform grants the API roles no UPDATE on
// auth.users: theirs fails with 42501 before any policy is asked (T28), never silently 0 rows.
test("ok: an UPDATE policy on Supabase's auth.users, whose UPDATE the API roles do not hold: their UPDATE fails with 42501 (PGlite), no silent 0 rows; once the migrations grant it, judged", async () => {
  const policy = `CREATE POLICY "Users can update their own data" ON "auth"."users" AS PERMISSIVE FOR UPDATE TO public
  USING ((auth.uid() = id)) WITH CHECK ((auth.uid() = id));
`;
  const file = 'supabase/migrations/20240504120546_update_user_public_name.sql';
  assert.equal(lintFiles([{ file, text: policy }], ID).mine.length, 0);
  const granted = lintFiles([{ file, text: `GRANT UPDATE ON auth.users TO authenticated;\n${policy}` }], ID).mine;
  assert.equal(granted.length, 1);
  assert.match(granted[0]!.message, /UPDATE auth\.users SET … WHERE id = … silently affects 0 rows/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    // (a stand-in for the platform's table: made by the superuser, RLS enabled, the API roles granted nothing on it)
    await q(`CREATE TABLE auth.users (id uuid PRIMARY KEY, email text); ALTER TABLE auth.users ENABLE ROW LEVEL SECURITY;
INSERT INTO auth.users VALUES ('${TENANT_A}', 'a@x'); ${policy}`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    await expectPgError(q(`UPDATE auth.users SET email = 'b@x' WHERE id = '${TENANT_A}'`), '42501', 'permission denied for table users');
  });
});

// Calibration (kickstart-hub's user_sessions): an own-row UPDATE policy, and a SELECT policy for the
// same role that admits rows only to superadmins, whatever the row: a user sees none of their
// sessions, and the app's `UPDATE … WHERE id = …` (its sign-out) changes nothing.
test('err: the only SELECT policy for the role is a gate on the caller (superadmins), whatever the row: a user\'s UPDATE … WHERE of their own row affects 0 rows (PGlite); the fix (a SELECT policy with the same USING) re-lints clean and it affects 1', async () => {
  const sql = `CREATE TABLE public.user_roles (user_id uuid NOT NULL, role text NOT NULL);
CREATE FUNCTION public.is_superadmin(_uid uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS
  $$ SELECT EXISTS (SELECT 1 FROM public.user_roles WHERE user_id = _uid AND role = 'superadmin') $$;
CREATE TABLE public.user_sessions (id int PRIMARY KEY, user_id uuid NOT NULL, logout_at timestamptz);
CREATE INDEX ON public.user_sessions (user_id);
ALTER TABLE public.user_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.user_sessions FORCE ROW LEVEL SECURITY;
GRANT SELECT, UPDATE ON public.user_sessions TO authenticated;
CREATE POLICY sessions_superadmin_read ON public.user_sessions FOR SELECT TO authenticated USING ((select public.is_superadmin((select auth.uid()))));
CREATE POLICY sessions_update_own ON public.user_sessions FOR UPDATE TO authenticated USING (user_id = (select auth.uid()));
`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20260327120534_sessions.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^Policy "sessions_update_own" on public\.user_sessions lets authenticated UPDATE rows by a condition on the row, but the only SELECT \(or ALL\) policy for that role, "sessions_superadmin_read" \(USING \(select public\.is_superadmin\(\(select auth\.uid\(\)\)\)\)\), admits rows whatever the row, only to callers for whom its condition holds/);
  const run = async (text: string) =>
    inRollback(await getDb(), async (q) => {
      await q(AUTH_STUB_SQL);
      await q(text);
      await q(`INSERT INTO public.user_sessions VALUES (1, '${TENANT_A}', null)`);
      await q(actAs(TENANT_A));
      await q('SET ROLE authenticated');
      return affected(q, 'UPDATE public.user_sessions SET logout_at = now() WHERE id = 1');
    });
  assert.equal(await run(sql), 0, 'the user does not see their own session');
  const fixed = applyFix(ws, mine[0]!);
  assert.match(sqlOf(fixed), /CREATE POLICY sessions_update_own_select ON public\.user_sessions FOR SELECT TO authenticated\n  USING \(user_id = \(select auth\.uid\(\)\)\);/);
  assert.deepEqual(findingsOf(fixed, ID), []);
  assert.equal(await run(sqlOf(fixed)), 1);
  // a gate both policies call, or a SELECT policy true for every signed-in user: not reported
  assert.deepEqual(lintFiles([{ file: 'supabase/migrations/20260327120534_sessions.sql', text: sql.replace('USING (user_id = (select auth.uid()));', 'USING (user_id = (select auth.uid()) AND (select public.is_superadmin((select auth.uid()))));') }], ID).mine, []);
  assert.deepEqual(lintFiles([{ file: 'supabase/migrations/20260327120534_sessions.sql', text: sql.replace('USING ((select public.is_superadmin((select auth.uid()))))', "USING (auth.role() = 'authenticated')") }], ID).mine, []);
});

// Calibration (leamonline/Smarter-dog-bookings' salon_config): staff read it through is_staff(),
// customers through NOT is_staff(), an EXISTS that is never NULL: between them every signed-in user
// reads every row, so the owner's UPDATE … WHERE reaches it.
test('ok: SELECT policies gating on a condition and on its negation (is_staff() and NOT is_staff(), a never-NULL EXISTS) admit every caller: the owners\' UPDATE policy is not reported; PGlite: an owner\'s and a customer\'s UPDATE … WHERE id = 1 each see the row (the customer\'s changes nothing: the UPDATE policy refuses it). A helper that may return NULL (a role column compared) is still reported: a caller without a row sees nothing', async () => {
  const sql = `CREATE TABLE public.staff_profiles (user_id uuid PRIMARY KEY, role text NOT NULL);
CREATE FUNCTION public.is_staff() RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
  $$ SELECT EXISTS (SELECT 1 FROM staff_profiles WHERE user_id = (select auth.uid())) $$;
CREATE TABLE public.salon_config (id int PRIMARY KEY, name text);
ALTER TABLE public.salon_config ENABLE ROW LEVEL SECURITY;
GRANT SELECT, UPDATE ON public.salon_config TO authenticated;
GRANT SELECT ON public.staff_profiles TO authenticated;
CREATE POLICY staff_select_salon_config ON public.salon_config FOR SELECT TO authenticated USING ((select public.is_staff()));
CREATE POLICY customer_select_salon_config ON public.salon_config FOR SELECT TO authenticated USING (not public.is_staff());
CREATE POLICY owner_update_salon_config ON public.salon_config FOR UPDATE TO authenticated
  USING (id > 0 AND EXISTS (SELECT 1 FROM public.staff_profiles WHERE user_id = (select auth.uid()) AND role = 'owner'));
`;
  const file = 'supabase/migrations/011_indexes_and_functions.sql';
  assert.deepEqual(lintFiles([{ file, text: sql }], ID).mine, []);
  const run = async (who: string) =>
    inRollback(await getDb(), async (q) => {
      await q(AUTH_STUB_SQL);
      await q(sql);
      await q(`INSERT INTO public.salon_config VALUES (1, 'Salon')`);
      await q(`INSERT INTO public.staff_profiles VALUES ('${TENANT_A}', 'owner')`);
      await q(actAs(who));
      await q('SET ROLE authenticated');
      const seen = await count(q, 'public.salon_config');
      return { seen, updated: await affected(q, "UPDATE public.salon_config SET name = 'Salon 2' WHERE id = 1") };
    });
  assert.deepEqual(await run(TENANT_A), { seen: 1, updated: 1 }, 'the owner (staff) sees and updates the row');
  assert.deepEqual(await run(TENANT_B), { seen: 1, updated: 0 }, 'a customer sees it through NOT is_staff(); the UPDATE policy refuses them');
  // (a helper that may return NULL: a caller without a profile has neither condition true)
  const nullable = sql
    .replace('SELECT EXISTS (SELECT 1 FROM staff_profiles WHERE user_id = (select auth.uid()))', "SELECT (SELECT role FROM staff_profiles WHERE user_id = (select auth.uid())) IS DISTINCT FROM NULL AND (SELECT role FROM staff_profiles WHERE user_id = (select auth.uid())) <> 'x'");
  assert.equal(lintFiles([{ file, text: nullable }], ID).mine.length, 1);
});

// Calibration (collaborative-editor, PostGraphile): the mutation invite_user_to_document runs
// `INSERT INTO user_document … RETURNING *` as its caller, postgraphile_user, which an INSERT
// policy admits but no SELECT policy applies to: RETURNING needs the new row to pass a SELECT
// policy too (T30), so every invitation failed with 42501.
const INVITER = TENANT_A;
const INVITEE = TENANT_B;
const DOC = '00000000-0000-0000-0000-0000000000d1';

async function invite(q: Q, sql: string): Promise<{ ok: boolean; code?: string; rows?: unknown[] }> {
  await q(sql);
  await q(`SET app.user_id = '${INVITER}'; SET ROLE postgraphile_user`);
  const r = await tryQuery(q, `SELECT * FROM invite_user_to_document('${INVITEE}', '${DOC}')`);
  return r.ok ? { ok: true, rows: r.rows } : { ok: false, code: r.error.code };
}

test('err: a SECURITY INVOKER function\'s INSERT … RETURNING * (collaborative-editor): an INSERT policy for the caller, no SELECT policy: reported on the INSERT, no fix; PGlite: every call fails with 42501, the plain INSERT passes; with a SELECT policy (Valid) the call returns the row', async () => {
  const { ws, finding } = invalidFinding(ID, 2);
  assert.equal(textAt(ws, finding), 'INSERT INTO user_document');
  assert.match(finding.message, /^Function public\.invite_user_to_document\(uuid, uuid\) inserts into public\.user_document with RETURNING, which reads the new row/);
  assert.match(finding.message, /It runs as its caller \(SECURITY INVOKER\): postgraphile_user, which may call it, is subject to row-level security on public\.user_document, where "invite" lets it insert, but no permissive SELECT \(or ALL\) policy with a USING applies to it: every call by that role with no NULL argument \(the function is STRICT\) fails: the row it adds is refused with 42501 new row violates row-level security policy for table "user_document"/);
  assert.match(finding.message, /Add a SELECT policy on public\.user_document for that role admitting the rows it inserts, or drop RETURNING/);
  assert.equal(finding.fixes.length, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    const r = await invite(q, sqlOf(ws));
    assert.deepEqual(r, { ok: false, code: '42501' });
    const strict = await tryQuery(q, `SELECT invite_user_to_document(NULL, '${DOC}') AS r`);
    assert.deepEqual(strict, { ok: true, rows: [{ r: null }] }, 'STRICT: a NULL argument returns NULL without running the INSERT');
    assert.equal(await affected(q, `INSERT INTO user_document (user_id, document_id, invited_by) VALUES ('${INVITEE}', '${DOC}', '${INVITER}')`), 1, 'the same INSERT without RETURNING passes the INSERT policy');
  });
  const valid = lintDocExample(ID, 'valid', 2);
  assert.deepEqual(valid.mine, []);
  await inRollback(db, async (q) => {
    const r = await invite(q, sqlOf(valid.ws));
    assert.equal(r.ok, true);
    assert.equal((r.rows as Array<{ user_id: string }>)[0]!.user_id, INVITEE);
  });
});

test('err/ok: PL/pgSQL INSERT … RETURNING id INTO v counts the same (42501 on PGlite); RETURNING of no column, an EXCEPTION handler, a SELECT policy for the role, or a SECURITY DEFINER function whose owner the migrations do not show: not reported, and the call passes', async () => {
  const base = `CREATE ROLE sq_writer;
CREATE TABLE public.notes (id serial PRIMARY KEY, author text NOT NULL DEFAULT current_user, body text);
ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT ON public.notes TO sq_writer;
GRANT USAGE ON SEQUENCE public.notes_id_seq TO sq_writer;
CREATE POLICY notes_insert ON public.notes FOR INSERT TO sq_writer WITH CHECK (author = current_user);
`;
  const plpgsql = `CREATE FUNCTION public.add_note(p text) RETURNS int LANGUAGE plpgsql AS $$
DECLARE v int;
BEGIN
  INSERT INTO public.notes (body) VALUES (p) RETURNING id INTO v;
  RETURN v;
END $$;
`;
  const variants: Record<string, string> = {
    'RETURNING 1': plpgsql.replace('RETURNING id INTO v', 'RETURNING 1 INTO v'),
    'EXCEPTION WHEN': plpgsql.replace('  RETURN v;\nEND', '  RETURN v;\nEXCEPTION WHEN insufficient_privilege THEN RETURN -1;\nEND'),
    'a SELECT policy': `${plpgsql}CREATE POLICY notes_read ON public.notes FOR SELECT TO sq_writer USING (author = current_user);\n`,
    'SECURITY DEFINER': plpgsql.replace('LANGUAGE plpgsql AS', "LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS"),
  };
  const lint = (text: string) => lintFiles([{ file: 'db/1_notes.sql', text }], ID).mine;
  const mine = lint(base + plpgsql);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /Function public\.add_note\(text\) inserts into public\.notes with RETURNING.*every call by that role in which this INSERT adds a row fails: the row it adds is refused with 42501/);
  for (const [name, text] of Object.entries(variants)) assert.deepEqual(lint(base + text), [], name);
  const db = await getDb();
  const call = (text: string) =>
    inRollback(db, async (q) => {
      await q(base + text);
      await q('SET ROLE sq_writer');
      const r = await tryQuery(q, 'SELECT public.add_note($$hello$$) AS v');
      return r.ok ? (r.rows[0]!.v as number) : r.error.code;
    });
  assert.equal(await call(plpgsql), '42501', 'RETURNING … INTO: the new row must pass a SELECT policy');
  assert.equal(await call(variants['RETURNING 1']!), 1, 'reads no column of the row: no SELECT policy check');
  assert.equal(await call(variants['EXCEPTION WHEN']!), -1, 'the handler catches the 42501');
  assert.equal(typeof (await call(variants['a SELECT policy']!)), 'number');
  assert.equal(typeof (await call(variants['SECURITY DEFINER']!)), 'number', 'runs as its owner, the (superuser) migration runner');
});

test('err/ok: a SECURITY DEFINER function owned by a role subject to the table\'s RLS (FORCE, an INSERT policy for it, no SELECT policy): every call fails (PGlite); the owner with BYPASSRLS: not reported, the call passes', async () => {
  const sql = `CREATE ROLE sq_owner NOLOGIN;
CREATE ROLE sq_caller;
CREATE TABLE public.audit (id serial PRIMARY KEY, what text);
ALTER TABLE public.audit OWNER TO sq_owner;
ALTER TABLE public.audit ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.audit FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_insert ON public.audit FOR INSERT TO sq_owner WITH CHECK (what IS NOT NULL);
CREATE FUNCTION public.record(p text) RETURNS public.audit LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$
  INSERT INTO public.audit (what) VALUES (p) RETURNING *
$$;
ALTER FUNCTION public.record(text) OWNER TO sq_owner;
`;
  const bypass = sql.replace('CREATE ROLE sq_owner NOLOGIN;', 'CREATE ROLE sq_owner NOLOGIN BYPASSRLS;');
  const mine = lintFiles([{ file: 'db/1_audit.sql', text: sql }], ID).mine;
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /It runs as its owner sq_owner \(SECURITY DEFINER\), which is subject to row-level security on public\.audit, where "audit_insert" lets it insert, but no permissive SELECT \(or ALL\) policy with a USING applies to it: every call fails: the row it adds is refused with 42501/);
  assert.deepEqual(lintFiles([{ file: 'db/1_audit.sql', text: bypass }], ID).mine, []);
  const db = await getDb();
  const call = (text: string) =>
    inRollback(db, async (q) => {
      await q(text);
      await q('SET ROLE sq_caller');
      const r = await tryQuery(q, `SELECT (public.record('x')).what`);
      return r.ok ? r.rows[0]!.what : r.error.code;
    });
  assert.equal(await call(sql), '42501');
  assert.equal(await call(bypass), 'x');
});

test("err (wording): an UPDATE policy for a group role: the message names the members with a SELECT policy of their own, whose UPDATE … WHERE reaches rows, and those in the group's case (PGlite: 1 row, 0 rows)", async () => {
  const sql = `
CREATE ROLE staff NOLOGIN;
CREATE ROLE operator NOLOGIN;
CREATE ROLE clerk NOLOGIN;
GRANT staff TO operator, clerk;
CREATE TABLE comments (id bigint PRIMARY KEY, created_by bigint NOT NULL, body text);
GRANT SELECT, UPDATE ON comments TO staff;
ALTER TABLE comments ENABLE ROW LEVEL SECURITY;
ALTER TABLE comments FORCE ROW LEVEL SECURITY;
CREATE POLICY comments_edit_own ON comments FOR UPDATE TO staff
  USING (created_by = (SELECT nullif(current_setting('app.identity', true), '')::bigint));
CREATE POLICY comments_read ON comments FOR SELECT TO operator USING (true);`;
  const { mine } = lintFiles([{ file: 'm.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /lets staff UPDATE rows, but no SELECT \(or ALL\) policy with a USING applies to that role/);
  assert.match(mine[0]!.message, /\(operator, a member of staff, has a SELECT policy of its own: its statements reach the rows both admit, while clerk, also a member, is in staff's case\)/);
  for (const [role, n] of [['operator', 1], ['clerk', 0], ['staff', 0]] as const) {
    await inRollback(await getDb(), async (q) => {
      await q(sql);
      await q(`INSERT INTO comments VALUES (1, 7, 'v')`);
      await q(`SELECT set_config('app.identity', '7', true)`);
      await q(`SET ROLE ${role}`);
      assert.equal(await affected(q, `UPDATE comments SET body = 'w' WHERE id = 1`), n, `${role}'s UPDATE … WHERE id = 1`);
    });
  }
});

test("err: an UPDATE policy a DO block's EXECUTE makes (USING (kind LIKE ''pub%'' …) in the string): it is reported, and no fix pastes the string's escaped text into a static policy (the companion is offered for static policies only); the SQL runs on PGlite", async () => {
  const sql = `CREATE TABLE documents (id int PRIMARY KEY, owner_id uuid, kind text DEFAULT 'public');
ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
DO $$ BEGIN
  EXECUTE 'CREATE POLICY documents_update ON documents FOR UPDATE TO authenticated USING (kind LIKE ''pub%'' AND owner_id = auth.uid())';
END $$;
`;
  const { ws, mine } = lintFiles([{ file: 'm.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  for (const fix of mine[0]!.fixes) {
    const fixed = applyFix(ws, mine[0]!, new RegExp(fix.title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    assert.doesNotMatch(sqlOf(fixed), /USING \(kind LIKE ''pub%''[^']*\);/, 'not the escaped text in a static policy');
    assert.equal(findingsOf(fixed, 'syntax-error').length, 0);
  }
  const db = await getDb();
  await inRollback(db, async (q) => {
    await documents(q, sql.replace("kind text DEFAULT 'public'", 'kind text DEFAULT \'public\', body text'));
    assert.equal(await affected(q, `UPDATE documents SET body = 'x' WHERE id = 1`), 0, 'T26: no SELECT policy, the WHERE reaches no row');
  });
});

test("err: an UPDATE policy a DO block's EXECUTE makes, run whenever the block runs ('…', E'…', $q$…$q$): the companion SELECT policy is offered after the DO block, its USING as PostgreSQL runs it (not the string's escapes); the fixed file runs, re-lints clean, and UPDATE … WHERE id = 1 updates the row (PGlite: 0 before, T26); under an IF, no fix (the block may not make the policy)", async () => {
  const table = `CREATE TABLE documents (id int PRIMARY KEY, owner_id uuid, kind text DEFAULT 'public', body text);\nALTER TABLE documents ENABLE ROW LEVEL SECURITY;\n`;
  const policy = (q: string) => `CREATE POLICY documents_update ON documents FOR UPDATE TO authenticated USING (kind LIKE ${q}pub%${q} AND owner_id = auth.uid())`;
  const forms: Record<string, string> = {
    "'…'": `DO $$ BEGIN\n  EXECUTE '${policy("''")}';\nEND $$;\n`,
    "E'…'": `DO $$ BEGIN\n  EXECUTE E'${policy("\\'")}';\nEND $$;\n`,
    '$q$…$q$': `DO $$ BEGIN\n  EXECUTE $q$${policy("'")}$q$;\nEND $$;\n`,
  };
  for (const [what, block] of Object.entries(forms)) {
    const sql = table + block;
    const { ws, mine } = lintFiles([{ file: 'm.sql', text: sql }], ID);
    assert.equal(mine.length, 1, what);
    assert.equal(mine[0]!.fixes.length, 1, what);
    const fixed = sqlOf(applyFix(ws, mine[0]!));
    assert.equal(fixed, `${sql}CREATE POLICY documents_update_select ON documents FOR SELECT TO authenticated\n  USING (kind LIKE 'pub%' AND owner_id = auth.uid());\n`, what);
    assert.deepEqual(lintFiles([{ file: 'm.sql', text: fixed }], ID).mine, [], what);
    assert.equal(lintFiles([{ file: 'm.sql', text: fixed }], 'syntax-error').mine.length, 0, what);
    await inRollback(await getDb(), async (q) => {
      await documents(q, sql);
      assert.equal(await affected(q, `UPDATE documents SET body = 'x' WHERE id = 1`), 0, `${what}: T26 before the fix`);
    });
    await inRollback(await getDb(), async (q) => {
      await documents(q, fixed);
      assert.equal(await affected(q, `UPDATE documents SET body = 'x' WHERE id = 1`), 1, `${what}: the fix`);
      assert.equal(await affected(q, `UPDATE documents SET body = 'x' WHERE id = 3`), 0, `${what}: another user's row`);
    });
  }
  // (under an IF, or in a loop, the EXECUTE may not run: a SELECT policy after the block would not follow it)
  for (const block of [`DO $$ BEGIN\n  IF to_regclass('documents') IS NOT NULL THEN\n    EXECUTE '${policy("''")}';\n  END IF;\nEND $$;\n`, `DO $$ BEGIN\n  FOR i IN 1..1 LOOP\n    EXECUTE '${policy("''")}';\n  END LOOP;\nEND $$;\n`]) {
    const { mine } = lintFiles([{ file: 'm.sql', text: table + block }], ID);
    assert.equal(mine.length, 1, block);
    assert.deepEqual(mine[0]!.fixes, [], block);
  }
});

// Calibration cal173 (Lekbanken/lekbanken-main: its baseline makes badge_presets' SELECT policy read
// the security_invoker view tenant_memberships; the next migration's DO block returns early when
// user_tenant_memberships.role is already tenant_role_enum, as the baseline makes it, before a
// `DROP VIEW IF EXISTS public.tenant_memberships CASCADE` and the view made again). The replay took
// the CASCADE, and with it the SELECT policy: the UPDATE and DELETE policies were said to have no
// SELECT policy for PUBLIC. A statement of a DO block that may not run keeps what a CASCADE would take.
test('ok: a SELECT policy a DO block may drop with DROP VIEW … CASCADE after an early RETURN is kept: no finding; PGlite: the block returns, the policy stays and a DELETE … WHERE reaches the row', async () => {
  const baseline = `CREATE TYPE public.tenant_role_enum AS ENUM ('owner', 'admin', 'member');
CREATE TABLE public.user_tenant_memberships (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), user_id uuid NOT NULL, tenant_id uuid NOT NULL, role public.tenant_role_enum NOT NULL DEFAULT 'member');
CREATE VIEW public.tenant_memberships WITH (security_invoker = on) AS SELECT id, user_id, tenant_id, role FROM public.user_tenant_memberships;
CREATE TABLE public.badge_presets (id uuid PRIMARY KEY, tenant_id uuid, created_by_user_id uuid);
ALTER TABLE public.badge_presets ENABLE ROW LEVEL SECURITY;
CREATE POLICY "badge_presets_delete_policy" ON public.badge_presets FOR DELETE
  USING ((created_by_user_id = ( SELECT auth.uid() AS uid)));
CREATE POLICY "badge_presets_select_policy" ON public.badge_presets FOR SELECT
  USING (((tenant_id IS NULL) OR (EXISTS ( SELECT 1 FROM public.tenant_memberships tm WHERE ((tm.tenant_id = badge_presets.tenant_id) AND (tm.user_id = ( SELECT auth.uid() AS uid)))))));
GRANT SELECT, DELETE ON public.badge_presets TO authenticated;
GRANT SELECT ON public.tenant_memberships, public.user_tenant_memberships TO authenticated;
`;
  const roles = `DO $$
DECLARE
  col_type text;
BEGIN
  SELECT udt_name INTO col_type FROM information_schema.columns
   WHERE table_schema = 'public' AND table_name = 'user_tenant_memberships' AND column_name = 'role';
  IF col_type = 'tenant_role_enum' THEN
    RAISE NOTICE 'Column role is already tenant_role_enum — skipping';
    RETURN;
  END IF;
  DROP VIEW IF EXISTS public.tenant_memberships CASCADE;
  ALTER TABLE public.user_tenant_memberships ALTER COLUMN role TYPE public.tenant_role_enum USING role::public.tenant_role_enum;
  CREATE VIEW public.tenant_memberships WITH (security_invoker = on) AS SELECT id, user_id, tenant_id, role FROM public.user_tenant_memberships;
END $$;
`;
  const files = [
    { file: 'supabase/migrations/00000000000000_baseline.sql', text: baseline },
    { file: 'supabase/migrations/20251208130000_role_enum_and_permissions.sql', text: roles },
  ];
  assert.deepEqual(lintFiles(files, ID).mine, []);
  // (the same drop run unconditionally takes the policy, and is still reported)
  const plain = roles.replace(/  IF col_type[\s\S]*?END IF;\n/, '');
  assert.equal(lintFiles([files[0]!, { ...files[1]!, text: plain }], ID).mine.length, 1);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q(baseline);
    await q(roles);
    const policies = await q(`SELECT policyname FROM pg_policies WHERE tablename = 'badge_presets' ORDER BY 1`);
    assert.deepEqual(policies.map((r) => r.policyname), ['badge_presets_delete_policy', 'badge_presets_select_policy'], 'the block returned: the SELECT policy stays');
    await q(`INSERT INTO public.badge_presets VALUES ('${TENANT_B}', NULL, '${TENANT_A}')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.equal(await affected(q, `DELETE FROM public.badge_presets WHERE id = '${TENANT_B}'`), 1, 'DELETE … WHERE reaches the row the SELECT policy shows');
  });
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q(baseline);
    await q(plain);
    const policies = await q(`SELECT policyname FROM pg_policies WHERE tablename = 'badge_presets' ORDER BY 1`);
    assert.deepEqual(policies.map((r) => r.policyname), ['badge_presets_delete_policy'], 'run unconditionally, the CASCADE takes the SELECT policy');
  });
});

test("ok (err when the lookup does not need a user): an UPDATE and a DELETE policy for PUBLIC with `student_id IN (SELECT id FROM students WHERE user_id = auth.uid())`, a SELECT policy for authenticated only (portal-ctmo's post_reactions): without a signed-in user the sub-select returns no row, x IN (no row) is false whatever x is, so anon reaches nothing with or without a SELECT policy (PGlite)", async () => {
  const sql = `CREATE TABLE public.students (id uuid PRIMARY KEY, user_id uuid);
CREATE TABLE public.post_reactions (id bigint PRIMARY KEY, student_id uuid, kind text);
ALTER TABLE public.students ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.post_reactions ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON public.students TO anon, authenticated;
GRANT SELECT, UPDATE, DELETE ON public.post_reactions TO anon, authenticated;
CREATE POLICY students_all ON public.students FOR SELECT USING (true);
CREATE POLICY reactions_read ON public.post_reactions FOR SELECT TO authenticated USING (true);
CREATE POLICY reactions_update ON public.post_reactions FOR UPDATE
  USING (student_id IN (SELECT id FROM public.students WHERE user_id = auth.uid()));
CREATE POLICY reactions_delete ON public.post_reactions FOR DELETE
  USING (student_id IN (SELECT id FROM public.students WHERE user_id = auth.uid()));
`;
  const file = 'supabase/migrations/20251030035928_reactions.sql';
  assert.deepEqual(lintFiles([{ file, text: sql }], ID).mine, []);
  // (a lookup that returns rows without a signed-in user: reported for anon)
  assert.equal(lintFiles([{ file, text: sql.replaceAll('WHERE user_id = auth.uid()', 'WHERE user_id IS NULL') }], ID).mine.length, 2);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql);
    // (a reaction whose student_id is NULL too: NULL IN (no row) is false, not NULL)
    await q(`INSERT INTO public.students VALUES ('${TENANT_A}', '${TENANT_A}'); INSERT INTO public.post_reactions VALUES (1, '${TENANT_A}', 'like'), (2, NULL, 'like')`);
    await q('SET ROLE anon');
    assert.equal(await affected(q, `UPDATE public.post_reactions SET kind = 'x'`), 0, 'anon: the sub-select returns no row');
    assert.equal(await affected(q, 'DELETE FROM public.post_reactions'), 0);
    await q(`RESET ROLE; SET ROLE authenticated; ${actAs(TENANT_A)}`);
    assert.equal(await affected(q, `UPDATE public.post_reactions SET kind = 'x' WHERE id = 1`), 1, 'A: its SELECT policy lets the WHERE reach the row');
  });
});

test('ok: UPDATE and DELETE policies dropped by a later loop over pg_policies WHERE … AND cmd IN (…): the replay follows it; the SELECT policy stays', async () => {
  // (lorenzocamejoofficial-code/poddispatch: "claim_payments — drop UPDATE + DELETE entirely
  // (insert-only)" with `FOR p IN SELECT policyname FROM pg_policies WHERE schemaname = 'public'
  // AND tablename = 'claim_payments' AND cmd IN ('UPDATE','DELETE') LOOP EXECUTE format('DROP
  // POLICY IF EXISTS %I …')`, then its SELECT policy made TO authenticated: two findings on
  // policies that no longer existed)
  const first = `CREATE TABLE claim_payments (id int PRIMARY KEY, company_id uuid NOT NULL);
CREATE FUNCTION is_system_creator() RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT current_setting('app.creator', true) = 'on' $$;
ALTER TABLE claim_payments ENABLE ROW LEVEL SECURITY;
CREATE POLICY "cp select" ON claim_payments FOR SELECT USING (company_id = auth.uid() OR is_system_creator());
CREATE POLICY "cp update" ON claim_payments FOR UPDATE USING (company_id = auth.uid() OR is_system_creator());
CREATE POLICY "cp delete" ON claim_payments FOR DELETE USING (company_id = auth.uid() OR is_system_creator());
`;
  const loop = (where: string) => `DO $$ DECLARE p record; BEGIN
  FOR p IN SELECT policyname FROM pg_policies WHERE schemaname = 'public' AND tablename = 'claim_payments' AND ${where} LOOP
    EXECUTE format('DROP POLICY IF EXISTS %I ON public.claim_payments', p.policyname);
  END LOOP;
END $$;
DROP POLICY "cp select" ON claim_payments;
CREATE POLICY "cp select" ON claim_payments FOR SELECT TO authenticated USING (company_id = auth.uid() AND is_system_creator());
`;
  const without = lintFiles([{ file: 'supabase/migrations/1_a.sql', text: first }, { file: 'supabase/migrations/2_b.sql', text: loop('true').replace(/^DO[^]*END \$\$;\n/, '') }], ID).mine;
  assert.equal(without.length, 2, 'without the loop both policies stay, for PUBLIC, with a SELECT policy for authenticated only');
  for (const where of ["cmd IN ('UPDATE','DELETE')", "cmd = ANY (ARRAY['UPDATE', 'DELETE'])"]) {
    const { ws, mine } = lintFiles([{ file: 'supabase/migrations/1_a.sql', text: first }, { file: 'supabase/migrations/2_b.sql', text: loop(where) }], ID);
    assert.deepEqual(mine, [], where);
    const t = ws.model().tables.get('public.claim_payments')!;
    assert.deepEqual(t.policies.map((p) => p.name), ['cp select'], where);
    const db = await getDb();
    await inRollback(db, async (q) => {
      await q(AUTH_STUB_SQL);
      await asOwner(q, sqlOf(ws));
      assert.deepEqual(await q(`SELECT policyname, cmd FROM pg_policies WHERE tablename = 'claim_payments' ORDER BY 1`), [{ policyname: 'cp select', cmd: 'SELECT' }], where);
    });
  }
  // (one command only: the DELETE policy stays, and is reported)
  const { mine } = lintFiles([{ file: 'supabase/migrations/1_a.sql', text: first }, { file: 'supabase/migrations/2_b.sql', text: loop("cmd = 'UPDATE'") }], ID);
  assert.deepEqual(mine.map((f) => /Policy "(.*?)"/.exec(f.message)?.[1]), ['cp delete']);
});
