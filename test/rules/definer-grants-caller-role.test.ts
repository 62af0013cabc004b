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

// finvy's create_user_organization_role(): the user is a parameter required to be the caller, the
// organization and the role are the caller's to choose. Organization B (owner: user B) holds two
// accounts; user A belongs to no organization.
const ORG_B = '00000000-0000-0000-0000-0000000000b0';
const ORGS_FILE = 'supabase/migrations/20250101000000_orgs.sql';

/** The migrations on Supabase, organization B and its accounts, then the transaction acts as user A. */
async function asOutsider(q: Q, sql: string): Promise<void> {
  await onSupabase(q, sql);
  await q(`INSERT INTO public.org_roles VALUES ('${TENANT_B}', '${ORG_B}', 'owner'); INSERT INTO public.accounts VALUES (1, '${ORG_B}'), (2, '${ORG_B}')`);
  await q(actAs(TENANT_A));
  await q('SET ROLE authenticated');
}

/** How many of organization B's accounts user A reads, and deletes (the DELETE rolled back). */
async function orgView(q: Q): Promise<{ read: number; deleted: number }> {
  const read = await count(q, 'public.accounts');
  await q('SAVEPOINT del');
  const deleted = await affected(q, 'DELETE FROM public.accounts');
  await q('ROLLBACK TO SAVEPOINT del');
  return { read, deleted };
}

test("err: finvy's add_org_role(p_user_id, p_org, p_role): A passes its own id, B's organization and 'owner', then reads and deletes B's accounts", async () => {
  const { ws, finding } = invalidFinding(ID, 2);
  assert.match(textAt(ws, finding), /^INSERT INTO public\.org_roles \(user_id, organization_id, role\) VALUES \(p_user_id, p_org, p_role\)$/);
  assert.match(finding.message, /^SECURITY DEFINER function public\.add_org_role\(uuid, uuid, text\) inserts a row of public\.org_roles with user_id = p_user_id \(which it only requires to be the caller's own id\) and role = p_role \(which the caller chooses\), for whoever calls it, and authenticated can call it/);
  assert.match(finding.message, /it checks only that the caller passes their own id as p_user_id\. /);
  assert.match(finding.message, /"owners_delete" on public\.accounts admit a user whose public\.org_roles row has role = 'owner' or 'admin', so any signed-in user who calls public\.add_org_role\(p_user_id => <their own id>, p_org => <any organization_id>, p_role => 'owner'\) is then admitted by each of them, for the organization_id they pass\./);
  assert.match(finding.message, /accept only values of p_role that grant nothing/);
  await inRollback(await getDb(), async (q) => {
    await asOutsider(q, sqlOf(ws));
    assert.deepEqual(await orgView(q), { read: 0, deleted: 0 }, 'before: A is no member of B');
    const other = await tryQuery(q, `SELECT public.add_org_role('${TENANT_B}', '${ORG_B}', 'owner')`);
    assert.ok(!other.ok && /denied/.test(other.error.message), "the function does refuse a row for someone else's id");
    await q(`SELECT public.add_org_role('${TENANT_A}', '${ORG_B}', 'owner')`);
    assert.deepEqual(await orgView(q), { read: 2, deleted: 2 }, "after: A is an owner of B's organization");
  });
});

test('err: the same with IF p_user_id <> auth.uid() THEN RAISE before the write, with a constant \'owner\', or with auth.uid() and p_role', async () => {
  const { ws } = invalidFinding(ID, 2);
  const base = sqlOf(ws);
  const raiseFirst = base.replace(/BEGIN\n {2}IF auth\.uid\(\) = p_user_id THEN\n(.*\n)[^]*?END IF;\n/, "BEGIN\n  IF p_user_id <> auth.uid() THEN\n    RAISE EXCEPTION 'denied';\n  END IF;\n$1");
  assert.match(raiseFirst, /RAISE EXCEPTION 'denied';\n {2}END IF;\n {4}INSERT INTO public\.org_roles .* VALUES \(p_user_id, p_org, p_role\);\nEND \$\$/);
  const found = lintFiles([{ file: ORGS_FILE, text: raiseFirst }], ID).mine;
  assert.equal(found.length, 1);
  assert.match(found[0]!.message, /user_id = p_user_id \(which it only requires to be the caller's own id\) and role = p_role/);
  await inRollback(await getDb(), async (q) => {
    await asOutsider(q, raiseFirst);
    await q(`SELECT public.add_org_role('${TENANT_A}', '${ORG_B}', 'admin')`);
    assert.deepEqual(await orgView(q), { read: 2, deleted: 2 });
  });
  const constant = base.replace('VALUES (p_user_id, p_org, p_role);\n  ELSIF', "VALUES (p_user_id, p_org, 'owner');\n  ELSIF");
  assert.match(lintFiles([{ file: ORGS_FILE, text: constant }], ID).mine[0]?.message ?? '', /user_id = p_user_id \(which it only requires to be the caller's own id\) and role = 'owner', .* p_role => <anything>\)/);
  const uid = base.replace('VALUES (p_user_id, p_org, p_role);\n  ELSIF', 'VALUES (auth.uid(), p_org, p_role);\n  ELSIF');
  assert.match(lintFiles([{ file: ORGS_FILE, text: uid }], ID).mine[0]?.message ?? '', /user_id = the caller and role = p_role \(which the caller chooses\).* it checks nothing but who the caller is\./);
});

test("ok: add_org_role checks the caller is already owner or admin of p_org: A is refused and stays out", async () => {
  const { ws, mine } = lintDocExample(ID, 'valid', 6);
  assert.equal(mine.length, 0);
  await inRollback(await getDb(), async (q) => {
    await asOutsider(q, sqlOf(ws));
    const r = await tryQuery(q, `SELECT public.add_org_role('${TENANT_A}', '${ORG_B}', 'owner')`);
    assert.ok(!r.ok && r.error.code === 'P0001' && /denied/.test(r.error.message));
    assert.deepEqual(await orgView(q), { read: 0, deleted: 0 });
  });
});

test("ok: create_org() makes the caller owner of the organization it has just created: B's accounts stay out of reach", async () => {
  const { ws, mine } = lintDocExample(ID, 'valid', 7);
  assert.equal(mine.length, 0);
  await inRollback(await getDb(), async (q) => {
    await asOutsider(q, sqlOf(ws));
    const [row] = await q("SELECT public.create_org('A''s org') AS id");
    assert.notEqual((row as { id: string }).id, ORG_B);
    assert.deepEqual(await orgView(q), { read: 0, deleted: 0 });
  });
});

test("ok: p_user_id compared with no one, the write only in the can_manage() branch, or p_role limited to 'member': not reported", async () => {
  const { ws } = invalidFinding(ID, 2);
  const base = sqlOf(ws);
  // (without the first branch, the row is for any user an owner passes)
  const managed = base.replace(/IF auth\.uid\(\) = p_user_id THEN\n.*\n {2}ELSIF/, 'IF');
  assert.doesNotMatch(managed, /auth\.uid\(\) = p_user_id/);
  assert.equal(lintFiles([{ file: ORGS_FILE, text: managed }], ID).mine.length, 0);
  const memberOnly = base.replace('BEGIN\n', "BEGIN\n  IF p_role <> 'member' THEN\n    RAISE EXCEPTION 'members only';\n  END IF;\n");
  assert.equal(lintFiles([{ file: ORGS_FILE, text: memberOnly }], ID).mine.length, 0);
  await inRollback(await getDb(), async (q) => {
    await asOutsider(q, memberOnly);
    const r = await tryQuery(q, `SELECT public.add_org_role('${TENANT_A}', '${ORG_B}', 'owner')`);
    assert.ok(!r.ok && /members only/.test(r.error.message));
    await q(`SELECT public.add_org_role('${TENANT_A}', '${ORG_B}', 'member')`);
    assert.deepEqual(await orgView(q), { read: 2, deleted: 0 }, "a member reads B's accounts, as the members policy means, and deletes none");
  });
});
