// definer-grants-caller-role on PostgreSQL (PGlite): a SECURITY DEFINER function that inserts
// (auth.uid(), 'admin') into the user_roles table the policies read through has_role() makes any
// signed-in user admin (k-connection's grant_admin_to_current_user()): a fresh user sees and
// changes no admin-only row, calls the function, then reads and changes every one. The ok-cases
// run too: a function checking the caller first refuses, a bootstrap refuses once an admin exists,
// a function only service_role may call is refused to authenticated (42501), and a 'member' row
// gives nothing.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { affected, closeAll, count, expectPgError, getDb, inRollback, type Q, tryQuery } from '../helpers/pg.js';
import { initParser, invalidFinding, lintDocExample, lintFiles, sqlOf, TENANT_A, TENANT_B, textAt } from '../helpers/rule-proof.js';
import { actAs, onSupabase } from '../helpers/supabase.js';
import type { Workspace } from '../../server/src/engine/workspace.js';

const ID = 'definer-grants-caller-role';
before(initParser);
after(closeAll);

/** The migrations on Supabase, two admin-only invoices, then the transaction acts as a fresh signed-in user A. */
async function asFreshUser(q: Q, ws: Workspace, seed = ''): Promise<void> {
  await onSupabase(q, sqlOf(ws));
  await q(`INSERT INTO public.invoices VALUES (1, 100), (2, 200); ${seed}`);
  await q(actAs(TENANT_A));
  await q('SET ROLE authenticated');
}

/** What user A sees of the admin-only invoices, and how many an UPDATE changes (the UPDATE rolled back). */
async function adminView(q: Q): Promise<{ read: number; updated: number }> {
  const read = await count(q, 'public.invoices');
  await q('SAVEPOINT upd');
  const updated = await affected(q, 'UPDATE public.invoices SET amount = 0');
  await q('ROLLBACK TO SAVEPOINT upd');
  return { read, updated };
}

test("err: k-connection's grant_admin_to_current_user(): a fresh signed-in user calls it and reads and updates every admin-only row", async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.match(textAt(ws, finding), /^INSERT INTO public\.user_roles \(user_id, role\) VALUES \(uid, 'admin'\)/);
  assert.equal(finding.severity, 'error');
  assert.match(finding.message, /^SECURITY DEFINER function public\.grant_admin_to_current_user\(\) upserts a row of public\.user_roles with user_id = the caller and role = 'admin', for whoever calls it, and authenticated and anon \(by Supabase's default privileges on new functions in public, which these migrations do not take away\) can call it \(on Supabase, as an RPC of the Data API\): it runs as its owner/);
  assert.match(finding.message, /"invoices_admin" on public\.invoices \(public\.has_role\(\(select auth\.uid\(\)\), 'admin'\)\)/);
  assert.match(finding.message, /revoke EXECUTE from the API roles \(REVOKE EXECUTE ON FUNCTION public\.grant_admin_to_current_user\(\) FROM authenticated, anon\)/);
  assert.match(finding.message, /admit a user whose public\.user_roles row has role = 'admin', so any signed-in user who calls it is then admitted by each of them/);
  assert.equal(finding.fixes.length, 0);
  await inRollback(await getDb(), async (q) => {
    await asFreshUser(q, ws);
    assert.deepEqual(await adminView(q), { read: 0, updated: 0 }, 'before: the policies keep user A out');
    await q('SELECT public.grant_admin_to_current_user()');
    assert.deepEqual(await adminView(q), { read: 2, updated: 2 }, 'after the call: user A is admin');
    assert.deepEqual(await q('SELECT role FROM public.user_roles'), [{ role: 'admin' }]);
  });
});

test('err: an UPDATE of the caller\'s own profiles.role, read by is_admin(): the caller then reads every profile', async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.equal(textAt(ws, finding), "UPDATE public.profiles SET role = 'admin' WHERE id = auth.uid()");
  assert.match(finding.message, /updates a row of public\.profiles with id = the caller and role = 'admin'/);
  assert.match(finding.message, /"profiles_read" on public\.profiles \(public\.is_admin\(\)\)/);
  assert.match(finding.message, /and PUBLIC \(every role, anon and authenticated included\) can call it/);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, sqlOf(ws));
    await q(`INSERT INTO public.profiles VALUES ('${TENANT_A}', 'user'), ('${TENANT_B}', 'user')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.profiles'), 1, 'before: A reads its own profile');
    await q('SELECT public.become_admin()');
    assert.equal(await count(q, 'public.profiles'), 2, "after: A reads B's profile too");
  });
});

test('err: granting EXECUTE to authenticated only (what definer-execute-granted-to-public advises) is reported the same', () => {
  const { ws } = invalidFinding(ID, 0);
  const text = sqlOf(ws);
  assert.match(text, /GRANT EXECUTE ON FUNCTION public\.grant_admin_to_current_user\(\) TO authenticated/);
  const { findings } = lintFiles([{ file: 'supabase/migrations/20240101000000_roles.sql', text }], ID);
  assert.deepEqual(findings.filter((f) => f.rule === 'definer-execute-granted-to-public' && /grant_admin_to_current_user/.test(f.message)), [], 'the other rule is silent');
});

test('ok: the function checks has_role() first: a fresh user is refused and stays out', async () => {
  const { ws, mine } = lintDocExample(ID, 'valid', 0);
  assert.equal(mine.length, 0);
  await inRollback(await getDb(), async (q) => {
    await asFreshUser(q, ws);
    const r = await tryQuery(q, `SELECT public.grant_admin('${TENANT_A}')`);
    assert.ok(!r.ok && r.error.code === 'P0001' && /not allowed/.test(r.error.message));
    assert.deepEqual(await adminView(q), { read: 0, updated: 0 });
  });
});

test('ok: the function checks an EXISTS on user_roles first: refused', async () => {
  const { ws, mine } = lintDocExample(ID, 'valid', 1);
  assert.equal(mine.length, 0);
  await inRollback(await getDb(), async (q) => {
    await asFreshUser(q, ws);
    await expectPgError(q('SELECT public.claim_admin()'), 'P0001', 'not allowed');
  });
});

test('ok: a first-admin bootstrap: refused once an admin exists (first call: the first user becomes admin, as meant)', async () => {
  const { ws, mine } = lintDocExample(ID, 'valid', 2);
  assert.equal(mine.length, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await asFreshUser(q, ws, `INSERT INTO public.user_roles VALUES ('${TENANT_B}', 'admin');`);
    const r = await tryQuery(q, 'SELECT public.bootstrap_first_admin()');
    assert.ok(!r.ok && /an admin exists already/.test(r.error.message));
    assert.deepEqual(await adminView(q), { read: 0, updated: 0 });
  });
  await inRollback(db, async (q) => {
    await asFreshUser(q, ws);
    await q('SELECT public.bootstrap_first_admin()');
    assert.deepEqual(await adminView(q), { read: 2, updated: 2 });
  });
});

test('ok: EXECUTE only for service_role: authenticated cannot call it (42501); granted to authenticated instead, it is reported', async () => {
  const { ws, mine } = lintDocExample(ID, 'valid', 3);
  assert.equal(mine.length, 0);
  await inRollback(await getDb(), async (q) => {
    await asFreshUser(q, ws);
    await expectPgError(q('SELECT public.grant_admin_to_current_user()'), '42501', 'permission denied for function');
  });
  const text = sqlOf(ws).replace('TO service_role', 'TO service_role, authenticated');
  assert.equal(lintFiles([{ file: 'supabase/migrations/20240101000000_roles.sql', text }], ID).mine.length, 1);
  // (revoked from PUBLIC only: Supabase's default privileges keep anon and authenticated)
  const publicOnly = sqlOf(ws).replace('FROM PUBLIC, anon, authenticated', 'FROM PUBLIC');
  assert.match(lintFiles([{ file: 'supabase/migrations/20240101000000_roles.sql', text: publicOnly }], ID).mine[0]?.message ?? '', /anon and authenticated \(by Supabase's default privileges/);
});

test("ok: a 'member' row is no privilege: after the call the user still sees nothing; 'admin' in its place is reported", async () => {
  const { ws, mine } = lintDocExample(ID, 'valid', 4);
  assert.equal(mine.length, 0);
  await inRollback(await getDb(), async (q) => {
    await asFreshUser(q, ws);
    await q('SELECT public.join_as_member()');
    assert.deepEqual(await adminView(q), { read: 0, updated: 0 });
  });
  const text = sqlOf(ws).replace("(auth.uid(), 'member')", "(auth.uid(), 'admin')");
  assert.equal(lintFiles([{ file: 'supabase/migrations/20240101000000_roles.sql', text }], ID).mine.length, 1);
});

test('ok: a trigger function is not called; a row for a user the caller passes is not the caller\'s', () => {
  assert.equal(lintDocExample(ID, 'valid', 5).mine.length, 0);
  const { ws } = invalidFinding(ID, 0);
  const other = sqlOf(ws)
    .replace('grant_admin_to_current_user()', 'grant_admin_to(p_user uuid)')
    .replace('grant_admin_to_current_user()', 'grant_admin_to(uuid)')
    .replace('grant_admin_to_current_user()', 'grant_admin_to(uuid)')
    .replace("VALUES (uid, 'admin')", "VALUES (p_user, 'admin')");
  assert.match(other, /VALUES \(p_user, 'admin'\)/);
  assert.equal(lintFiles([{ file: 'supabase/migrations/20240101000000_roles.sql', text: other }], ID).mine.length, 0);
});

test('ok: a guard that asks more than a signed-in caller (IF uid IS NULL OR NOT is_admin()) silences it; a helper returning the role compared with a constant is followed', () => {
  const { ws } = invalidFinding(ID, 0);
  const guarded = sqlOf(ws).replace('IF uid IS NULL THEN', "IF uid IS NULL OR NOT public.has_role(uid, 'admin') THEN");
  assert.equal(lintFiles([{ file: 'supabase/migrations/20240101000000_roles.sql', text: guarded }], ID).mine.length, 0);
  const viaRole = `
CREATE TABLE public.profiles (id uuid PRIMARY KEY, role text NOT NULL DEFAULT 'user');
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.get_my_role() RETURNS text LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT role FROM public.profiles WHERE id = auth.uid()
$$;
CREATE POLICY profiles_admin ON public.profiles FOR ALL TO authenticated USING (public.get_my_role() IN ('admin', 'owner'));
CREATE FUNCTION public.make_me_owner() RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  UPDATE public.profiles SET role = 'owner' WHERE id = auth.uid();
END $$;`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_p.sql', text: viaRole }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /"profiles_admin" on public\.profiles \(public\.get_my_role\(\)\)/);
});
