// definer-check-fails-open on PostgreSQL (PGlite): IF auth.uid() <> p THEN RAISE does not raise
// for anon (auth.uid() NULL), so a SECURITY DEFINER function hands anon user B's profile while
// user A is refused; with IS DISTINCT FROM anon is refused too. Same with a setting never set.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, expectPgError, getDb, inRollback, type Q, tryQuery } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintDocExample, lintFiles, sqlOf, TENANT_A, TENANT_B, textAt } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';
import type { Workspace } from '../../server/src/engine/workspace.js';

const ID = 'definer-check-fails-open';
before(initParser);
after(closeAll);

/** The migrations run by the superuser (Supabase's postgres bypasses row-level security), users A and B. */
async function profiles(q: Q, ws: Workspace): Promise<void> {
  await q(AUTH_STUB_SQL);
  await q(sqlOf(ws));
  await q(`INSERT INTO public.profiles VALUES ('${TENANT_A}', 'a@example.com'), ('${TENANT_B}', 'b@example.com')`);
}

const exportB = `SELECT public.export_user_data('${TENANT_B}') ->> 'email' AS email`;

/** As written: anon gets B's profile through the function. */
async function anonReadsB(ws: Workspace, note: string): Promise<void> {
  await inRollback(await getDb(), async (q) => {
    await profiles(q, ws);
    await q('SET ROLE anon');
    assert.deepEqual(await q(exportB), [{ email: 'b@example.com' }], note);
  });
}

/** After the fix: anon asking for B's data is refused, B still exports its own. */
async function fixedRefusesAnonNotB(fixed: Workspace): Promise<void> {
  const db = await getDb();
  await inRollback(db, async (q) => {
    await profiles(q, fixed);
    await q('SET ROLE anon');
    await expectPgError(q(exportB), 'P0001', 'Unauthorized');
  });
  await inRollback(db, async (q) => {
    await profiles(q, fixed);
    await q(actAs(TENANT_B));
    await q('SET ROLE authenticated');
    assert.deepEqual(await q(exportB), [{ email: 'b@example.com' }], 'B still exports its own data');
  });
}

test("err: anon gets user B's profile through the guard that refuses user A", async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'auth.uid() != p_user_id');
  assert.match(finding.message, /^The caller check IF auth\.uid\(\) != p_user_id THEN RAISE … in SECURITY DEFINER function public\.export_user_data\(uuid\), which anon and authenticated can call, fails open: for anon, a request without a signed-in user, auth\.uid\(\) is NULL/);
  await anonReadsB(ws, 'anon passes the guard');
  await inRollback(await getDb(), async (q) => {
    await profiles(q, ws);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    await expectPgError(q(exportB), 'P0001', 'Unauthorized');
  });
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /IF auth\.uid\(\) IS DISTINCT FROM p_user_id THEN/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await fixedRefusesAnonNotB(fixed);
});

test('err: a setting never set: app_user deletes anyone’s notes; with IS DISTINCT FROM it is refused', async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.match(finding.message, /where the setting was never set .*current_setting\('app\.user_id', true\) is NULL/);
  const db = await getDb();
  const run = (w: Workspace) =>
    inRollback(db, async (q) => {
      await q(sqlOf(w));
      await q(`INSERT INTO notes VALUES (1, '${TENANT_A}', 'a'), (2, '${TENANT_B}', 'b')`);
      await q('SET ROLE app_user');
      const r = await q(`SELECT delete_notes_of('${TENANT_B}')`).then(
        () => 'deleted',
        (e: { code?: string }) => e.code,
      );
      await q('RESET ROLE');
      return { r, left: (await q('SELECT count(*)::int AS n FROM notes'))[0]!.n };
    });
  assert.deepEqual(await run(ws), { r: 'deleted', left: 1 }, "B's note is gone, deleted by app_user who set nothing");
  const fixed = applyFix(ws, finding);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(db, async (q) => {
    await q(sqlOf(fixed));
    await q('SET ROLE app_user');
    await expectPgError(q(`SELECT delete_notes_of('${TENANT_B}')`), 'P0001', 'not your notes');
  });
});

test('ok: Valid examples: a first IS NULL guard refuses anon; EXECUTE revoked from anon', async () => {
  const db = await getDb();
  for (const n of [1, 2]) {
    const { ws, mine } = lintDocExample(ID, 'valid', n);
    assert.equal(mine.length, 0);
    await inRollback(db, async (q) => {
      await profiles(q, ws);
      await q('SET ROLE anon');
      const r = await q(exportB).then(
        () => 'passed',
        (e: { code?: string }) => e.code,
      );
      assert.equal(r, n === 1 ? 'P0001' : '42501', n === 1 ? 'Not signed in' : 'permission denied for function');
    });
  }
});

test("err: auth.uid() read into a variable first (DECLARE v_uid uuid := auth.uid(), or v_uid := auth.uid()): the guard on the variable fails open the same way", async () => {
  const { ws } = invalidFinding(ID, 0);
  const variants = [
    sqlOf(ws).replace('BEGIN\n  IF auth.uid() != p_user_id', 'DECLARE v_uid uuid := auth.uid();\nBEGIN\n  IF v_uid != p_user_id'),
    sqlOf(ws).replace('BEGIN\n  IF auth.uid() != p_user_id', 'DECLARE v_uid uuid;\nBEGIN\n  v_uid := auth.uid();\n  IF v_uid != p_user_id'),
  ];
  for (const sql of variants) {
    assert.notEqual(sql, sqlOf(ws));
    const file = 'supabase/migrations/20240101000000_export.sql';
    const { mine } = lintFiles([{ file, text: sql }], ID);
    assert.equal(mine.length, 1, sql);
    assert.match(mine[0]!.message, /The caller check IF v_uid != p_user_id THEN RAISE … .* for anon, a request without a signed-in user, auth\.uid\(\) is NULL/);
    // a variable also assigned something else is not followed
    assert.equal(lintFiles([{ file, text: sql.replace("RAISE EXCEPTION 'Unauthorized';", "RAISE EXCEPTION 'Unauthorized';\n  END IF;\n  IF p_user_id IS NULL THEN\n    v_uid := p_user_id;") }], ID).mine.length, 0);
    await inRollback(await getDb(), async (q) => {
      await q(AUTH_STUB_SQL);
      await q(sql);
      await q(`INSERT INTO public.profiles VALUES ('${TENANT_A}', 'a@example.com'), ('${TENANT_B}', 'b@example.com')`);
      await q('SET ROLE anon');
      assert.deepEqual(await q(exportB), [{ email: 'b@example.com' }], 'anon passes the guard');
    });
  }
});

test('err: the guard ORed with conditions on the arguments alone (OR p_user_id IS NULL): NULL OR false is NULL, anon passes; ORed with anything else (a call) it is left alone', async () => {
  const { ws } = invalidFinding(ID, 0);
  const sql = sqlOf(ws).replace('IF auth.uid() != p_user_id THEN', 'IF auth.uid() != p_user_id OR p_user_id IS NULL OR length(p_user_id::text) = 0 THEN');
  assert.notEqual(sql, sqlOf(ws));
  const file = 'supabase/migrations/20240101000000_export.sql';
  const { mine } = lintFiles([{ file, text: sql }], ID);
  assert.equal(mine.length, 0, 'length() is a call: not known to be false for anon');
  const plain = sqlOf(ws).replace('IF auth.uid() != p_user_id THEN', 'IF auth.uid() != p_user_id OR p_user_id IS NULL THEN');
  const found = lintFiles([{ file, text: plain }], ID);
  assert.equal(found.mine.length, 1);
  assert.match(found.mine[0]!.message, /The caller check IF auth\.uid\(\) != p_user_id OR p_user_id IS NULL THEN RAISE … .*so the condition is NULL \(NULL OR false is NULL, and the caller chooses arguments that make the rest false\)/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q(plain);
    await q(`INSERT INTO public.profiles VALUES ('${TENANT_A}', 'a@example.com'), ('${TENANT_B}', 'b@example.com')`);
    await q('SET ROLE anon');
    assert.deepEqual(await q(exportB), [{ email: 'b@example.com' }], 'anon passes the guard');
  });
  const fixed = applyFix(found.ws, found.mine[0]!);
  assert.match(sqlOf(fixed), /IF auth\.uid\(\) IS DISTINCT FROM p_user_id OR p_user_id IS NULL THEN/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sqlOf(fixed));
    await q(`INSERT INTO public.profiles VALUES ('${TENANT_A}', 'a@example.com'), ('${TENANT_B}', 'b@example.com')`);
    await q('SET ROLE anon');
    await expectPgError(q(exportB), 'P0001', 'Unauthorized');
  });
});

test("err: the guard ANDed with auth.uid() IS NOT NULL (siza083/produtive): skipped for anon, who reads B's profile; the fix drops the IS NOT NULL and anon is refused, B is not", async () => {
  const { ex } = invalidFinding(ID, 0);
  const text = ex.files[0]!.text.replace('IF auth.uid() != p_user_id THEN', 'IF auth.uid() IS NOT NULL AND p_user_id IS NOT NULL AND auth.uid() <> p_user_id THEN');
  const { ws, mine } = lintFiles([{ file: ex.files[0]!.file, text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /so the condition is false \(it asks auth\.uid\(\) IS NOT NULL: the check is skipped/);
  await anonReadsB(ws, 'anon skips the check');
  const fixed = applyFix(ws, mine[0]!);
  assert.match(sqlOf(fixed), /IF p_user_id IS NOT NULL AND auth\.uid\(\) IS DISTINCT FROM p_user_id THEN/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await fixedRefusesAnonNotB(fixed);
  // ANDed with the arguments alone: NULL AND true is NULL, also open
  const nullAnd = lintFiles([{ file: ex.files[0]!.file, text: ex.files[0]!.text.replace('IF auth.uid() != p_user_id THEN', 'IF p_user_id IS NOT NULL AND auth.uid() <> p_user_id THEN') }], ID).mine;
  assert.match(nullAnd[0]?.message ?? '', /NULL AND true is NULL/);
});

test("err: the guard ANDed with a call (soil-sidekick's `target_user_id != auth.uid() AND NOT is_admin()`): NULL AND x is never true, anon reads B's profile; the fix refuses anon, B and an admin still pass", async () => {
  const { ex } = invalidFinding(ID, 0);
  const admin = `CREATE TABLE public.admins (user_id uuid PRIMARY KEY);
CREATE FUNCTION public.is_admin(_user_id uuid DEFAULT auth.uid()) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$ SELECT EXISTS (SELECT 1 FROM public.admins WHERE user_id = _user_id) $$;
`;
  const text = admin + ex.files[0]!.text.replace('IF auth.uid() != p_user_id THEN', 'IF p_user_id != auth.uid() AND NOT public.is_admin() THEN');
  assert.notEqual(text, admin + ex.files[0]!.text);
  const { ws, mine } = lintFiles([{ file: ex.files[0]!.file, text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /IF p_user_id != auth\.uid\(\) AND NOT public\.is_admin\(\) THEN RAISE … .*so the condition is NULL or false, never true \(NULL AND x is NULL when x is true, false when x is false\)/);
  await anonReadsB(ws, 'anon passes the guard');
  const fixed = applyFix(ws, mine[0]!);
  assert.match(sqlOf(fixed), /IF p_user_id IS DISTINCT FROM auth\.uid\(\) AND NOT public\.is_admin\(\) THEN/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await fixedRefusesAnonNotB(fixed);
  await inRollback(await getDb(), async (q) => {
    await profiles(q, fixed);
    await q(`INSERT INTO public.admins VALUES ('${TENANT_A}')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.deepEqual(await q(exportB), [{ email: 'b@example.com' }], 'the admin still reads B');
  });
});

test("ok: the guard fails open, but every statement after it is limited to the caller's own rows (bolt-test's delete_user_account: DELETE … AND id = auth.uid()): anon deletes nothing, not reported; without that condition it is", async () => {
  const sql = `CREATE TABLE public.accounts (id uuid PRIMARY KEY, email text);
ALTER TABLE public.accounts ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.delete_user_account(user_id_param uuid)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
  IF auth.uid() != user_id_param THEN
    RAISE EXCEPTION 'You can only delete your own account';
  END IF;
  DELETE FROM public.accounts WHERE id = user_id_param AND id = auth.uid();
END;
$$;
`;
  const file = 'supabase/migrations/20250120110321_weathered_sun.sql';
  assert.deepEqual(lintFiles([{ file, text: sql }], ID).mine, []);
  assert.equal(lintFiles([{ file, text: sql.replace(' AND id = auth.uid();', ';') }], ID).mine.length, 1);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql);
    await q(`INSERT INTO public.accounts VALUES ('${TENANT_B}', 'b@example.com'); GRANT EXECUTE ON FUNCTION public.delete_user_account(uuid) TO anon; SET ROLE anon`);
    await q(`SELECT public.delete_user_account('${TENANT_B}')`);
    await q('RESET ROLE');
    assert.deepEqual(await q('SELECT email FROM public.accounts'), [{ email: 'b@example.com' }], 'B is still there');
  });
});

/** all_emails() of the doc's lookup examples, run as anon, as a signed-in user (A, role user) and as an admin (B). */
async function allEmailsAs(ws: Workspace): Promise<Record<'anon' | 'user' | 'admin', string | number>> {
  const out: Record<string, string | number> = {};
  for (const who of ['anon', 'user', 'admin'] as const) {
    await inRollback(await getDb(), async (q) => {
      await q(AUTH_STUB_SQL);
      await q(sqlOf(ws));
      await q(`INSERT INTO public.profiles VALUES ('${TENANT_A}', 'user'), ('${TENANT_B}', 'admin')`);
      if (who !== 'anon') await q(actAs(who === 'user' ? TENANT_A : TENANT_B));
      await q(`SET ROLE ${who === 'anon' ? 'anon' : 'authenticated'}`);
      out[who] = await q('SELECT count(*)::int AS n FROM public.all_emails()').then(
        (r) => r[0]!.n as number,
        (e: { code?: string }) => String(e.code),
      );
    });
  }
  return out as Record<'anon' | 'user' | 'admin', string | number>;
}

test("err: the caller's role looked up into a variable (SELECT role INTO v_role … WHERE id = auth.uid(); IF v_role <> 'admin'): anon gets no row, v_role NULL, and reads every profile while a signed-in user is refused; IS DISTINCT FROM refuses anon; NOT FOUND or INTO STRICT close it", async () => {
  const { ws, finding } = invalidFinding(ID, 2);
  assert.equal(textAt(ws, finding), "v_role <> 'admin'");
  assert.match(finding.message, /auth\.uid\(\) is NULL: the SELECT … INTO v_role FROM public\.profiles that looks the caller up finds no row and PL\/pgSQL sets v_role to NULL .* Compare with IS DISTINCT FROM instead of <> .*, or raise when the SELECT finds no row \(IF NOT FOUND THEN RAISE …\)\.$/);
  assert.deepEqual(await allEmailsAs(ws), { anon: 2, user: 'P0001', admin: 2 });
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /IF v_role IS DISTINCT FROM 'admin' THEN/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  assert.deepEqual(await allEmailsAs(fixed), { anon: 'P0001', user: 'P0001', admin: 2 });
  // the Valid example: IF NOT FOUND THEN RAISE after the lookup
  const valid = lintDocExample(ID, 'valid', 3);
  assert.equal(valid.mine.length, 0);
  assert.deepEqual(await allEmailsAs(valid.ws), { anon: 'P0001', user: 'P0001', admin: 2 });
  // INTO STRICT raises for the missing row (P0002), IS NULL on the variable raises: both silent
  const sql = sqlOf(ws);
  const file = 'supabase/migrations/20240101000000_admin.sql';
  const strict = sql.replace('SELECT role INTO v_role', 'SELECT role INTO STRICT v_role');
  assert.equal(lintFiles([{ file, text: strict }], ID).mine.length, 0);
  const nullGuard = sql.replace("IF v_role <> 'admin' THEN", "IF v_role IS NULL THEN RAISE EXCEPTION 'no profile'; END IF;\n  IF v_role <> 'admin' THEN");
  assert.equal(lintFiles([{ file, text: nullGuard }], ID).mine.length, 0);
  // a value assigned otherwise too (a default kept when no row comes back is not NULL), or compared before the lookup: silent
  const twice = sql.replace("  IF v_role <> 'admin'", "  v_role := coalesce(v_role, 'user');\n  IF v_role <> 'admin'");
  assert.equal(lintFiles([{ file, text: twice }], ID).mine.length, 0);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(strict);
    await q('SET ROLE anon');
    await expectPgError(q('SELECT count(*) FROM public.all_emails()'), 'P0002');
  });
});

test("err: a boolean looked up for the caller (SELECT is_admin INTO v_admin …; IF NOT v_admin): NOT NULL is NULL, anon passes; the fix writes v_admin IS NOT TRUE", async () => {
  const { ws } = invalidFinding(ID, 2);
  const file = 'supabase/migrations/20240101000000_admin.sql';
  const text = sqlOf(ws)
    .replace("role text NOT NULL DEFAULT 'user'", 'is_admin boolean NOT NULL DEFAULT false')
    .replace('DECLARE v_role text;', 'DECLARE v_admin boolean;')
    .replace('SELECT role INTO v_role', 'SELECT is_admin INTO v_admin')
    .replace("IF v_role <> 'admin' THEN", 'IF NOT v_admin THEN');
  const { ws: w2, mine } = lintFiles([{ file, text }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(w2, mine[0]!), 'NOT v_admin');
  assert.match(mine[0]!.message, /Write v_admin IS NOT TRUE instead of NOT v_admin \(true when it is NULL\)/);
  const run = async (w: Workspace, who: 'anon' | 'user') =>
    inRollback(await getDb(), async (q) => {
      await q(AUTH_STUB_SQL);
      await q(sqlOf(w));
      await q(`INSERT INTO public.profiles VALUES ('${TENANT_A}', false), ('${TENANT_B}', true)`);
      if (who === 'user') await q(actAs(TENANT_A));
      await q(`SET ROLE ${who === 'anon' ? 'anon' : 'authenticated'}`);
      return q('SELECT count(*)::int AS n FROM public.all_emails()').then(
        (r) => r[0]!.n as number,
        (e: { code?: string }) => String(e.code),
      );
    });
  assert.equal(await run(w2, 'anon'), 2, 'anon reads every profile');
  assert.equal(await run(w2, 'user'), 'P0001', 'a signed-in non-admin is refused');
  const fixed = applyFix(w2, mine[0]!);
  assert.match(sqlOf(fixed), /IF v_admin IS NOT TRUE THEN/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  assert.equal(await run(fixed, 'anon'), 'P0001');
});

test("err: a SECURITY DEFINER trigger function's check on a setting (classroomio's e-mail verification guard): no one calls it (0A000), the message names its trigger and who fires it; with the setting unset a signed-in user verifies their own e-mail; IS DISTINCT FROM stops it", async () => {
  const file = 'supabase/migrations/20240101000000_profile.sql';
  const text = `CREATE TABLE public.profile (id uuid PRIMARY KEY, verified boolean DEFAULT false);
ALTER TABLE public.profile ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON public.profile FOR ALL TO authenticated USING (id = (select auth.uid()));
GRANT SELECT, UPDATE ON public.profile TO authenticated;
CREATE FUNCTION public.guard() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  IF OLD.verified IS DISTINCT FROM NEW.verified AND current_setting('app.verify_ctx_t', true) != 'ok' THEN
    RAISE EXCEPTION 'verification is not yours to change';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER g BEFORE UPDATE ON public.profile FOR EACH ROW EXECUTE FUNCTION public.guard();
`;
  const { ws, mine } = lintFiles([{ file, text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^The check IF .* in SECURITY DEFINER trigger function public\.guard\(\), which trigger g on public\.profile runs, fails open: .*the trigger does not raise, and the UPDATE it was to stop goes through, for authenticated, who may UPDATE public\.profile\./);
  assert.doesNotMatch(mine[0]!.message, /can call|whatever arguments|anon/);
  const verifyOwn = async (w: Workspace) =>
    inRollback(await getDb(), async (q) => {
      await q(AUTH_STUB_SQL);
      await q(sqlOf(w));
      await q(`INSERT INTO public.profile VALUES ('${TENANT_A}', false)`);
      await q(actAs(TENANT_A));
      await q('SET ROLE authenticated');
      const direct = await tryQuery(q, 'SELECT public.guard()');
      assert.equal(direct.ok ? 'called' : direct.error.code, '0A000', 'a trigger function cannot be called');
      const r = await tryQuery(q, `UPDATE public.profile SET verified = true WHERE id = '${TENANT_A}' RETURNING verified`);
      return r.ok ? r.rows.length : r.error.code;
    });
  assert.equal(await verifyOwn(ws), 1, 'the user verified their own e-mail');
  const fixed = applyFix(ws, mine[0]!);
  assert.equal(findingsOf(fixed, ID).length, 0);
  assert.equal(await verifyOwn(fixed), 'P0001');
});

test("err: an early exit (IF auth.uid() <> p_user_id THEN RETURN NULL; END IF): it does not return for anon, who gets B's profile while A gets NULL; the same with the data in an ELSE branch", async () => {
  const text = `CREATE TABLE public.profiles (id uuid PRIMARY KEY, email text);
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY profiles_own ON public.profiles FOR SELECT TO authenticated USING (id = (select auth.uid()));
CREATE FUNCTION public.export_user_data(p_user_id uuid) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  IF auth.uid() <> p_user_id THEN
    RETURN NULL;
  END IF;
  RETURN (SELECT to_jsonb(p) FROM public.profiles p WHERE p.id = p_user_id);
END $$;
REVOKE EXECUTE ON FUNCTION public.export_user_data(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.export_user_data(uuid) TO anon, authenticated;
`;
  const file = 'supabase/migrations/20240101000000_export.sql';
  const { ws, mine } = lintFiles([{ file, text }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'auth.uid() <> p_user_id');
  assert.match(mine[0]!.message, /^The caller check IF auth\.uid\(\) <> p_user_id THEN RETURN … in SECURITY DEFINER function public\.export_user_data\(uuid\).*the function does not return early and goes on as its owner/);
  await anonReadsB(ws, 'anon passes the early exit');
  await inRollback(await getDb(), async (q) => {
    await profiles(q, ws);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.deepEqual(await q(exportB), [{ email: null }], 'A gets NULL');
  });
  const fixed = applyFix(ws, mine[0]!);
  assert.match(sqlOf(fixed), /IF auth\.uid\(\) IS DISTINCT FROM p_user_id THEN/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(await getDb(), async (q) => {
    await profiles(q, fixed);
    await q('SET ROLE anon');
    assert.deepEqual(await q(exportB), [{ email: null }], 'anon gets NULL after the fix');
  });
  // the data in an ELSE branch: it runs for anon the same
  const withElse = text.replace('    RETURN NULL;\n  END IF;\n  RETURN (SELECT', '    RETURN NULL;\n  ELSE\n    RETURN (SELECT').replace('WHERE p.id = p_user_id);\nEND $$;', () => 'WHERE p.id = p_user_id);\n  END IF;\nEND $$;');
  assert.notEqual(withElse, text);
  const other = lintFiles([{ file, text: withElse }], ID);
  assert.equal(other.mine.length, 1);
  await anonReadsB(other.ws, 'anon gets the ELSE branch');
});

const UNKNOWN = 'cccccccc-cccc-cccc-cccc-cccccccccccc';
const KNOWN = 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa';

/** redeem_access_token(<id>, <secret>) as anon, with one token row (id KNOWN, secret 'secret', user A): its result, or the error's code. */
async function redeemAsAnon(sql: string, id: string, secret: string, call = (i: string, s: string) => `SELECT public.redeem_access_token('${i}', '${s}'::bytea) AS r`): Promise<string> {
  let out = '';
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql);
    await q(`INSERT INTO app.access_tokens VALUES ('${KNOWN}', '${TENANT_A}', sha256('secret'))`);
    await q('SET ROLE anon');
    const r = await tryQuery(q, call(id, secret));
    out = r.ok ? String(r.rows[0]!.r) : String(r.error.code);
  });
  return out;
}

test("err: a secret checked against a lookup by an argument (supabase/dbdev's redeem_access_token): for a token id no row has, v_hash is NULL, the guard does not raise, and anon gets a token with role authenticated and no user; INTO STRICT, IF NOT FOUND, IS DISTINCT FROM (the fix) refuse it", async () => {
  const { ws, finding } = invalidFinding(ID, 3);
  assert.equal(textAt(ws, finding), 'v_hash != sha256(token)');
  assert.match(
    finding.message,
    /^The caller check IF v_hash != sha256\(token\) THEN RAISE … in SECURITY DEFINER function public\.redeem_access_token\(uuid, bytea\), which .* can call, fails open: when token_id, which the caller chooses, matches no row of app\.access_tokens, the SELECT … INTO v_hash finds no row and PL\/pgSQL sets v_hash to NULL \(without STRICT, SELECT … INTO does not raise when no row comes back\), so the condition is NULL, .*the function does not raise and goes on as its owner.* Compare with IS DISTINCT FROM instead of != \(true when one side is NULL\), or raise when the SELECT finds no row \(IF NOT FOUND THEN RAISE …\)\.$/,
  );
  const sql = sqlOf(ws);
  assert.equal(await redeemAsAnon(sql, UNKNOWN, 'anything'), '{"role" : "authenticated", "sub" : null}', 'an unknown token id is redeemed');
  assert.equal(await redeemAsAnon(sql, KNOWN, 'wrong'), 'P0001', 'a known id with the wrong secret is refused');
  assert.match(await redeemAsAnon(sql, KNOWN, 'secret'), new RegExp(`"sub" : "${TENANT_A}"`), 'the right secret redeems');
  // the fix: IS DISTINCT FROM is true for NULL
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /IF v_hash IS DISTINCT FROM sha256\(token\) THEN/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  assert.equal(await redeemAsAnon(sqlOf(fixed), UNKNOWN, 'anything'), 'P0001');
  assert.match(await redeemAsAnon(sqlOf(fixed), KNOWN, 'secret'), new RegExp(`"sub" : "${TENANT_A}"`));
  // the Valid example: INTO STRICT raises no_data_found
  const strict = lintDocExample(ID, 'valid', 4);
  assert.equal(strict.mine.length, 0);
  assert.equal(await redeemAsAnon(sqlOf(strict.ws), UNKNOWN, 'anything'), 'P0002');
  // closed otherwise: NOT FOUND, the variable (or another of the same SELECT) IS NULL, a condition true for NULL
  const file = 'supabase/migrations/20240101000000_tokens.sql';
  const guard = 'IF v_hash != sha256(token) THEN';
  const closed = {
    notFound: `IF NOT FOUND THEN RAISE EXCEPTION 'Invalid token'; END IF;\n  ${guard}`,
    isNull: `IF v_user IS NULL THEN RAISE EXCEPTION 'Invalid token'; END IF;\n  ${guard}`,
    distinct: 'IF v_hash IS DISTINCT FROM sha256(token) THEN',
    coalesce: 'IF NOT coalesce(v_hash = sha256(token), false) THEN',
  };
  for (const [name, by] of Object.entries(closed)) {
    const text = sql.replace(guard, by);
    assert.notEqual(text, sql);
    assert.equal(lintFiles([{ file, text }], ID).mine.length, 0, name);
    assert.equal(await redeemAsAnon(text, UNKNOWN, 'anything'), 'P0001', name);
  }
  // `NOT (v_hash = …)` fails open the same
  assert.equal(lintFiles([{ file, text: sql.replace(guard, 'IF NOT (v_hash = sha256(token)) THEN') }], ID).mine.length, 1);
  // a lookup keyed by a constant (no argument chooses the row): not reported
  const constant = sql.replace('WHERE t.id = token_id', "WHERE t.id = '00000000-0000-0000-0000-000000000001'");
  assert.notEqual(constant, sql);
  assert.equal(lintFiles([{ file, text: constant }], ID).mine.length, 0);
});

test("err: dbdev's own shape: a row variable of a composite type (tokens_row.token_hash), keyed by a variable cut from the argument; anon redeems an unknown token id, and not with IF NOT FOUND", async () => {
  const text = `CREATE SCHEMA app;
CREATE TABLE app.access_tokens (id uuid PRIMARY KEY, user_id uuid NOT NULL, token_hash bytea NOT NULL);
ALTER TABLE app.access_tokens ENABLE ROW LEVEL SECURITY;
CREATE TYPE app.user_id_and_token_hash AS (user_id uuid, token_hash bytea);
CREATE FUNCTION public.redeem_access_token(access_token text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER STRICT AS $$
DECLARE
  token_id uuid;
  token bytea;
  tokens_row app.user_id_and_token_hash;
BEGIN
  IF substring(access_token from 1 for 4) != 'dbd_' THEN
    RAISE EXCEPTION 'Invalid token';
  END IF;
  token_id := substring(access_token from 5 for 36)::uuid;
  token := convert_to(substring(access_token from 41), 'UTF8');
  SELECT t.user_id, t.token_hash
  INTO tokens_row
  FROM app.access_tokens t
  WHERE t.id = token_id;
  IF tokens_row.token_hash != sha256(token) THEN
    RAISE EXCEPTION 'Invalid token';
  END IF;
  RETURN json_build_object('role', 'authenticated', 'sub', tokens_row.user_id)::text;
END;
$$;
`;
  const file = 'supabase/migrations/20250106073735_jwt_secret_from_vault.sql';
  const { ws, mine } = lintFiles([{ file, text }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'tokens_row.token_hash != sha256(token)');
  assert.match(mine[0]!.message, /which PUBLIC \(every role, anon and authenticated included\) can call, fails open: when token_id, which the caller chooses, matches no row of app\.access_tokens, the SELECT … INTO tokens_row finds no row and PL\/pgSQL sets tokens_row\.token_hash to NULL/);
  const call = (i: string, s: string) => `SELECT public.redeem_access_token('dbd_${i}${s}') AS r`;
  assert.equal(await redeemAsAnon(text, UNKNOWN, 'anything', call), '{"role" : "authenticated", "sub" : null}', 'an unknown token id is redeemed');
  assert.equal(await redeemAsAnon(text, KNOWN, 'wrong', call), 'P0001');
  assert.match(await redeemAsAnon(text, KNOWN, 'secret', call), new RegExp(`"sub" : "${TENANT_A}"`));
  const notFound = text.replace('  IF tokens_row.token_hash', "  IF NOT FOUND THEN\n    RAISE EXCEPTION 'Invalid token';\n  END IF;\n  IF tokens_row.token_hash");
  assert.equal(lintFiles([{ file, text: notFound }], ID).mine.length, 0);
  assert.equal(await redeemAsAnon(notFound, UNKNOWN, 'anything', call), 'P0001');
  // the field of the row variable IS NULL raises first: closed too
  const isNull = text.replace('IF tokens_row.token_hash != sha256(token) THEN', 'IF tokens_row.token_hash IS NULL OR tokens_row.token_hash != sha256(token) THEN');
  assert.equal(lintFiles([{ file, text: isNull }], ID).mine.length, 0);
  assert.equal(await redeemAsAnon(isNull, UNKNOWN, 'anything', call), 'P0001');
});

const MEMBER_FREE = 'a1a1a1a1-0000-0000-0000-000000000001';
const MEMBER_TAKEN = 'a2a2a2a2-0000-0000-0000-000000000002';
const MEMBER_NONE = 'ffffffff-0000-0000-0000-00000000000f';

/** stewardtrack's link_user_to_member (20251218001005, trimmed to what the guard is about), with the caller check before it or not. */
function linkMember(callerCheck: boolean): string {
  return `CREATE TABLE public.members (id uuid PRIMARY KEY, tenant_id uuid NOT NULL, user_id uuid);
ALTER TABLE public.members ENABLE ROW LEVEL SECURITY;
CREATE POLICY members_select ON public.members FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE FUNCTION public.link_user_to_member(p_tenant_id uuid, p_user_id uuid, p_member_id uuid)
RETURNS text LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE v_existing_user_id uuid;
BEGIN
${callerCheck ? "  IF (select auth.uid()) IS DISTINCT FROM p_user_id THEN RAISE EXCEPTION 'not you'; END IF;\n" : ''}  SELECT user_id INTO v_existing_user_id FROM public.members WHERE id = p_member_id AND tenant_id = p_tenant_id;
  IF v_existing_user_id IS NOT NULL AND v_existing_user_id != p_user_id THEN
    RETURN 'MEMBER_ALREADY_LINKED';
  END IF;
  UPDATE public.members SET user_id = p_user_id WHERE id = p_member_id AND tenant_id = p_tenant_id;
  RETURN 'linked';
END $$;
REVOKE EXECUTE ON FUNCTION public.link_user_to_member(uuid, uuid, uuid) FROM PUBLIC, anon;
GRANT EXECUTE ON FUNCTION public.link_user_to_member(uuid, uuid, uuid) TO authenticated;
`;
}

/** User A links itself to a member: what the function returns, and A's links afterwards. */
async function linkAs(sql: string, member: string): Promise<{ r: string; linked: number }> {
  return inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql);
    await q(`INSERT INTO public.members VALUES ('${MEMBER_FREE}', '${TENANT_B}', NULL), ('${MEMBER_TAKEN}', '${TENANT_B}', '${TENANT_B}')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    const res = await tryQuery(q, `SELECT public.link_user_to_member('${TENANT_B}', '${TENANT_A}', '${member}') AS r`);
    await q('RESET ROLE');
    const linked = (await q(`SELECT count(*)::int AS n FROM public.members WHERE user_id = '${TENANT_A}'`))[0]!.n as number;
    return { r: res.ok ? String(res.rows[0]!.r) : String(res.error.code), linked };
  });
}

test("ok: a lookup of what a row holds now, in the column the function then sets (stewardtrack's link_user_to_member: IF v_existing_user_id IS NOT NULL AND v_existing_user_id != p_user_id THEN RETURN 'MEMBER_ALREADY_LINKED'; UPDATE members SET user_id = p_user_id WHERE id = p_member_id): not a caller check; a member id no row has links nothing, and IS DISTINCT FROM would refuse every unlinked member", async () => {
  const file = 'supabase/migrations/20251218001005_user_member_linking.sql';
  for (const callerCheck of [false, true]) {
    const sql = linkMember(callerCheck);
    assert.deepEqual(lintFiles([{ file, text: sql }], ID).mine, [], `caller check: ${callerCheck}`);
    // as written: an unlinked member is linked, one linked to someone else is refused, a member id no row has links nothing
    assert.deepEqual(await linkAs(sql, MEMBER_FREE), { r: 'linked', linked: 1 });
    assert.deepEqual(await linkAs(sql, MEMBER_TAKEN), { r: 'MEMBER_ALREADY_LINKED', linked: 0 });
    assert.deepEqual(await linkAs(sql, MEMBER_NONE), { r: 'linked', linked: 0 }, 'falling through, the UPDATE matches no row');
    // what the rule offered: with IS DISTINCT FROM an unlinked member can never be linked
    const distinct = sql.replace('IF v_existing_user_id IS NOT NULL AND v_existing_user_id != p_user_id THEN', 'IF v_existing_user_id IS DISTINCT FROM p_user_id THEN');
    assert.notEqual(distinct, sql);
    assert.deepEqual(await linkAs(distinct, MEMBER_FREE), { r: 'MEMBER_ALREADY_LINKED', linked: 0 });
  }
  // the doc's Valid example is the shape with the caller check
  const doc = lintDocExample(ID, 'valid', 5);
  assert.equal(doc.mine.length, 0);
  assert.ok(sqlOf(doc.ws).includes(linkMember(true).trim()), 'the Valid example runs above');
  // the same lookup, the function setting that column in another row (keyed by another argument): not the row it read
  const other = linkMember(false)
    .replace('(p_tenant_id uuid, p_user_id uuid, p_member_id uuid)', '(p_tenant_id uuid, p_user_id uuid, p_member_id uuid, p_other uuid)')
    .replace('SET user_id = p_user_id WHERE id = p_member_id', 'SET user_id = p_user_id WHERE id = p_other')
    .replaceAll('link_user_to_member(uuid, uuid, uuid)', 'link_user_to_member(uuid, uuid, uuid, uuid)');
  assert.equal(lintFiles([{ file, text: other }], ID).mine.length, 1);
});

test("ok/err: a guard before it that refuses a caller without identity (IF auth.uid() IS DISTINCT FROM p_user_id OR p_user_id IS NULL THEN RAISE) closes the lookup's hole (a constant too); IS DISTINCT FROM a bare argument does not: anon passes NULL and reads every profile", async () => {
  const { ws } = invalidFinding(ID, 2);
  const file = 'supabase/migrations/20240101000000_admin.sql';
  const withGuard = (cond: string) =>
    sqlOf(ws)
      .replace('all_emails()', 'all_emails(p_user_id uuid)')
      .replaceAll('all_emails() FROM', 'all_emails(uuid) FROM')
      .replaceAll('all_emails() TO', 'all_emails(uuid) TO')
      .replace('BEGIN\n', `BEGIN\n  IF ${cond} THEN\n    RAISE EXCEPTION 'not you';\n  END IF;\n`);
  const run = async (sql: string, arg: string) =>
    inRollback(await getDb(), async (q) => {
      await q(AUTH_STUB_SQL);
      await q(sql);
      await q(`INSERT INTO public.profiles VALUES ('${TENANT_A}', 'user'), ('${TENANT_B}', 'admin')`);
      await q('SET ROLE anon');
      const r = await tryQuery(q, `SELECT count(*)::int AS n FROM public.all_emails(${arg})`);
      return r.ok ? (r.rows[0]!.n as number) : String(r.error.code);
    });
  const closed = withGuard('auth.uid() IS DISTINCT FROM p_user_id OR p_user_id IS NULL');
  assert.match(closed, /all_emails\(p_user_id uuid\)[\s\S]*IF auth\.uid\(\) IS DISTINCT FROM p_user_id OR p_user_id IS NULL THEN[\s\S]*all_emails\(uuid\) TO anon/);
  assert.deepEqual(lintFiles([{ file, text: closed }], ID).mine, []);
  assert.equal(await run(closed, 'NULL'), 'P0001');
  assert.equal(await run(closed, `'${TENANT_B}'`), 'P0001');
  const constant = withGuard(`(select auth.uid()) IS DISTINCT FROM '${TENANT_B}'`);
  assert.deepEqual(lintFiles([{ file, text: constant }], ID).mine, []);
  assert.equal(await run(constant, 'NULL'), 'P0001');
  // IS DISTINCT FROM the argument alone: NULL IS DISTINCT FROM NULL is false
  const open = withGuard('auth.uid() IS DISTINCT FROM p_user_id');
  assert.equal(lintFiles([{ file, text: open }], ID).mine.length, 1);
  assert.equal(await run(open, `'${TENANT_B}'`), 'P0001');
  assert.equal(await run(open, 'NULL'), 2, 'anon passes NULL, then the lookup finds no row and reads every profile');
});

test("ok/err: current_setting('role', true) is PostgreSQL's own parameter, never NULL (travelmatch's atomic_transfer: IF current_setting('role', true) != 'service_role' THEN RAISE): 'none' without SET ROLE, the role's name after it, so the guard raises for anon and for a connection that never set a role (a job); a custom setting (a name with a dot) in the same guard is NULL when unset and lets anon through", async () => {
  const guarded = (setting: string) => `CREATE TABLE public.wallets (user_id uuid PRIMARY KEY, balance numeric NOT NULL);
ALTER TABLE public.wallets ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON public.wallets FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE FUNCTION public.debit(p_user_id uuid, p_amount numeric) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF auth.uid() IS NULL THEN
    IF current_setting('${setting}', true) != 'service_role' THEN
      RAISE EXCEPTION 'Authentication required';
    END IF;
  ELSIF p_user_id IS DISTINCT FROM auth.uid() THEN
    RAISE EXCEPTION 'not yours';
  END IF;
  UPDATE public.wallets SET balance = balance - p_amount WHERE user_id = p_user_id;
END $$;
GRANT EXECUTE ON FUNCTION public.debit(uuid, numeric) TO anon, authenticated;
`;
  const file = 'supabase/migrations/20240101000000_wallets.sql';
  const debitB = async (ws: Workspace, how: 'set role anon' | 'no role set') =>
    inRollback(await getDb(), async (q) => {
      await q(AUTH_STUB_SQL);
      await q(sqlOf(ws));
      await q(`INSERT INTO public.wallets VALUES ('${TENANT_B}', 100)`);
      // a request as anon (PostgREST's SET LOCAL ROLE), or a connection that never set a role
      if (how === 'set role anon') await q('SET ROLE anon');
      const role = (await q(`SELECT current_setting('role', true) AS r`))[0]!.r;
      const r = await tryQuery(q, `SELECT public.debit('${TENANT_B}', 100)`);
      await q('RESET ROLE');
      const left = (await q(`SELECT balance::int AS b FROM public.wallets`))[0]!.b;
      return { role, r: r.ok ? 'debited' : r.error.code, left };
    });
  const role = lintFiles([{ file, text: guarded('role') }], ID);
  assert.deepEqual(role.mine.map((f) => f.message), [], 'the role parameter always has a value');
  assert.deepEqual(await debitB(role.ws, 'set role anon'), { role: 'anon', r: 'P0001', left: 100 });
  assert.deepEqual(await debitB(role.ws, 'no role set'), { role: 'none', r: 'P0001', left: 100 });
  const custom = lintFiles([{ file, text: guarded('app.caller_role') }], ID);
  assert.equal(custom.mine.length, 1);
  assert.match(custom.mine[0]!.message, /where the setting was never set .*current_setting\('app\.caller_role', true\) is NULL/);
  assert.deepEqual(await debitB(custom.ws, 'set role anon'), { role: 'anon', r: 'debited', left: 0 });
});

test("ok/err: an earlier guard on another variable of the caller's lookup (DiveFlow's elevate_user_to_staff: SELECT organization_id, role INTO v_org_id, v_admin_role …; IF COALESCE(v_admin_role, '') != 'admin' THEN RAISE) refuses anon before the check on v_org_id: not reported, and PGlite refuses anon and a user without a profile; without it the check fails open (anon makes B an admin), and the message does not take v_user_org_id IS NOT NULL for v_org_id's", async () => {
  const file = 'supabase/migrations/20260101000000_init.sql';
  const sql = `CREATE TABLE public.profiles (id uuid PRIMARY KEY, organization_id uuid, role text NOT NULL DEFAULT 'client');
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY "own profile" ON public.profiles FOR SELECT TO authenticated USING (id = (select auth.uid()));
GRANT SELECT ON public.profiles TO anon, authenticated;

CREATE FUNCTION public.elevate_user_to_staff(p_user_id uuid, p_target_role text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_org_id uuid;
  v_admin_role text;
  v_user_org_id uuid;
BEGIN
  SELECT organization_id, role::text INTO v_org_id, v_admin_role
  FROM public.profiles WHERE id = auth.uid();

  IF COALESCE(v_admin_role, '') != 'admin' THEN
    RAISE EXCEPTION 'unauthorized: only admins can elevate staff';
  END IF;

  SELECT organization_id INTO v_user_org_id
  FROM public.profiles WHERE id = p_user_id;

  IF v_user_org_id IS NOT NULL AND v_user_org_id != v_org_id THEN
    RAISE EXCEPTION 'employed by another organization';
  END IF;

  UPDATE public.profiles SET role = p_target_role, organization_id = v_org_id WHERE id = p_user_id;
END $$;
`;
  const ORG_B = '00000000-0000-4000-8000-0000000000bb';
  const NO_PROFILE = '00000000-0000-4000-8000-0000000000cc';
  /** What anon, and a signed-in user without a profile, get from elevating B; then B's role. */
  const elevateB = async (text: string) =>
    inRollback(await getDb(), async (q) => {
      await q(AUTH_STUB_SQL);
      await q(text);
      await q(`INSERT INTO public.profiles VALUES ('${TENANT_A}', NULL, 'client'), ('${TENANT_B}', '${ORG_B}', 'client')`);
      const out: Record<string, string> = {};
      for (const who of ['anon', 'authenticated']) {
        await q('SAVEPOINT probe');
        await q(`SET ROLE ${who}`);
        if (who === 'authenticated') await q(actAs(NO_PROFILE));
        const r = await tryQuery(q, `SELECT public.elevate_user_to_staff('${TENANT_B}', 'admin')`);
        out[who] = r.ok ? 'ok' : String(r.error.code);
        await q(r.ok ? 'RELEASE SAVEPOINT probe' : 'ROLLBACK TO SAVEPOINT probe');
        await q('RESET ROLE');
      }
      out.roleOfB = String((await q(`SELECT role FROM public.profiles WHERE id = '${TENANT_B}'`))[0]!.role);
      return out;
    });
  assert.deepEqual(lintFiles([{ file, text: sql }], ID).mine, []);
  assert.deepEqual(await elevateB(sql), { anon: 'P0001', authenticated: 'P0001', roleOfB: 'client' });
  // the sibling refused with IS DISTINCT FROM a constant: the same
  const distinct = sql.replace("COALESCE(v_admin_role, '') != 'admin'", "v_admin_role IS DISTINCT FROM 'admin'");
  assert.deepEqual(lintFiles([{ file, text: distinct }], ID).mine, []);
  assert.deepEqual(await elevateB(distinct), { anon: 'P0001', authenticated: 'P0001', roleOfB: 'client' });
  // COALESCE to the value compared with refuses nothing: reported
  const same = sql.replace("COALESCE(v_admin_role, '') != 'admin'", "COALESCE(v_admin_role, 'admin') != 'admin'");
  assert.equal(lintFiles([{ file, text: same }], ID).mine.length, 1);
  // without the admin check: the guard on v_org_id fails open, anon makes B an admin
  const open = sql.replace(/  IF COALESCE[\s\S]*?END IF;\n/, '');
  const { mine } = lintFiles([{ file, text: open }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^The caller check IF v_user_org_id IS NOT NULL AND v_user_org_id != v_org_id THEN RAISE … .* sets v_org_id to NULL .*so the condition is NULL or false, never true/);
  assert.doesNotMatch(mine[0]!.message, /it asks v_org_id IS NOT NULL/);
  assert.deepEqual(await elevateB(open), { anon: 'ok', authenticated: 'ok', roleOfB: 'admin' });
});

/**
 * B, a builder of acme, promoted by `who` (anon, or A, a builder of acme) through `sql` (the two
 * promote_to_admin tests): B's role after, or the error's code (and message, `withMessage`).
 */
async function promoteB(sql: string, who: 'anon' | 'member', withMessage = true): Promise<string> {
  return inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql);
    await q(`INSERT INTO public.members VALUES ('${TENANT_B}', 'b@example.com'), ('${TENANT_A}', 'a@example.com');
      INSERT INTO public.user_roles VALUES ('${TENANT_B}', 'acme', 'builder'), ('${TENANT_A}', 'acme', 'builder')`);
    if (who === 'member') await q(actAs(TENANT_A));
    await q(`SET ROLE ${who === 'anon' ? 'anon' : 'authenticated'}`);
    const r = await tryQuery(q, `SELECT public.promote_to_admin('b@example.com', 'acme')`);
    await q('RESET ROLE');
    if (r.ok) return (await q(`SELECT role FROM public.user_roles WHERE user_id = '${TENANT_B}'`))[0]!.role as string;
    return withMessage ? `${r.error.code} ${r.error.message}` : r.error.code;
  });
}

/** supa-builder's roles and members (the two promote_to_admin tests below). */
const PROMOTE_TABLES = `create table public.user_roles (
  user_id uuid not null, organization_id text not null, role text not null check (role in ('admin', 'builder')),
  unique (user_id, organization_id)
);
alter table public.user_roles enable row level security;
create table public.members (id uuid primary key, email text not null);
`;

test("err: a guard raising when another SELECT's variable IS NULL does not close the caller's lookup (supabase/supabase's supa-builder promote_to_admin: SELECT role INTO v_caller_role … WHERE user_id = auth.uid() AND organization_id = p_org; IF v_caller_role != 'admin' THEN RAISE; then SELECT id INTO v_user_id … WHERE email = p_email; IF v_user_id IS NULL THEN RAISE): anon makes a member an admin while a member is refused; IS DISTINCT FROM (the fix) refuses anon", async () => {
  const sql = `${PROMOTE_TABLES}create function public.promote_to_admin(p_user_email text, p_organization_id text) returns boolean
language plpgsql security definer set search_path = public, pg_temp as $$
declare
  v_user_id uuid;
  v_caller_role text;
begin
  select role into v_caller_role from public.user_roles
  where user_id = auth.uid() and organization_id = p_organization_id;
  if v_caller_role != 'admin' then
    raise exception 'Only admins can promote users';
  end if;
  select id into v_user_id from public.members where email = p_user_email;
  if v_user_id is null then
    raise exception 'User not found: %', p_user_email;
  end if;
  update public.user_roles set role = 'admin' where user_id = v_user_id and organization_id = p_organization_id;
  return true;
end;
$$;
`;
  const file = 'supabase/migrations/20240101000000_roles.sql';
  const { ws, mine } = lintFiles([{ file, text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), "v_caller_role != 'admin'");
  assert.match(mine[0]!.message, /the SELECT … INTO v_caller_role FROM public\.user_roles that looks the caller up finds no row/);
  const fixed = applyFix(ws, mine[0]!);
  assert.match(sqlOf(fixed), /if v_caller_role IS DISTINCT FROM 'admin' then/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  // (a guard on the caller's own lookup, or on auth.uid(), still closes it)
  assert.equal(lintFiles([{ file, text: sql.replace('if v_user_id is null then', 'if v_caller_role is null then') }], ID).mine.length, 0);
  assert.equal(lintFiles([{ file, text: sql.replace('if v_user_id is null then', 'if auth.uid() is null then') }], ID).mine.length, 0);
  assert.equal(await promoteB(sqlOf(ws), 'anon'), 'admin', 'anon passes the check');
  assert.equal(await promoteB(sqlOf(ws), 'member', false), 'P0001', 'a builder of the organization is refused');
  assert.equal(await promoteB(sqlOf(fixed), 'anon', false), 'P0001', 'IS DISTINCT FROM refuses anon');
});

test("err: IF NOT FOUND after a later SELECT … INTO does not close the caller's lookup (supa-builder's promote_to_admin with the target's lookup checked by FOUND): FOUND is the latest FOUND-setting statement's, so anon, whose role lookup found no row, gets past `IF NOT FOUND` and `IF v_caller_role != 'admin'` and makes a member an admin; IF NOT FOUND right after the caller's lookup, or after statements that leave FOUND alone (an assignment, an EXECUTE), refuses anon; a PERFORM or an UPDATE between does not; one in another branch of an IF is not on the way", async () => {
  const fn = (between: string, afterLookup = '') => `${PROMOTE_TABLES}create function public.promote_to_admin(p_user_email text, p_organization_id text) returns boolean
language plpgsql security definer set search_path = public, pg_temp as $$
declare
  v_user_id uuid;
  v_caller_role text;
  v_email text;
begin
  select role into v_caller_role from public.user_roles
  where user_id = auth.uid() and organization_id = p_organization_id;
${afterLookup}${between}  if not found then
    raise exception 'not found';
  end if;
  if v_caller_role != 'admin' then
    raise exception 'Only admins can promote users';
  end if;
  update public.user_roles set role = 'admin' where user_id = coalesce(v_user_id, (select id from public.members where email = p_user_email)) and organization_id = p_organization_id;
  return true;
end;
$$;
`;
  const later = fn('  select id into v_user_id from public.members where email = p_user_email;\n');
  const file = 'supabase/migrations/20240101000000_roles.sql';
  const { ws, mine } = lintFiles([{ file, text: later }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), "v_caller_role != 'admin'");
  assert.match(mine[0]!.message, /the SELECT … INTO v_caller_role FROM public\.user_roles that looks the caller up finds no row/);
  assert.match(mine[0]!.message, /, or raise when the SELECT finds no row, right after it \(IF NOT FOUND THEN RAISE …\): the IF not found further down reads the FOUND that SELECT … INTO v_user_id set \(PL\/pgSQL sets FOUND again at each SELECT … INTO, PERFORM, INSERT, UPDATE, DELETE, FOR loop, FETCH and MOVE\)\.$/);
  const fixed = applyFix(ws, mine[0]!);
  assert.match(sqlOf(fixed), /if v_caller_role IS DISTINCT FROM 'admin' then/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  // (FOUND right after the caller's lookup; statements that do not set FOUND between: an
  // assignment, a dynamic EXECUTE; a PERFORM in another branch of an IF than the check's)
  const closed = {
    right: fn(''),
    assignment: fn('  v_email := lower(p_user_email);\n'),
    execute: fn("  execute 'select 1';\n"),
    branch: fn("  if p_user_email = '' then\n    perform 1;\n    return false;\n  else\n", '').replace("  if v_caller_role != 'admin' then", "  end if;\n  if v_caller_role != 'admin' then"),
  };
  for (const [what, text] of Object.entries(closed)) assert.equal(lintFiles([{ file, text }], ID).mine.length, 0, what);
  // (statements that set FOUND between: PERFORM, an UPDATE, a FOR loop)
  const open = {
    perform: fn('  perform 1;\n'),
    update: fn('  update public.members set email = email where email = p_user_email;\n'),
    loop: fn('  for v_email in select email from public.members loop\n    null;\n  end loop;\n'),
  };
  for (const [what, text] of Object.entries(open)) assert.equal(lintFiles([{ file, text }], ID).mine.length, 1, what);
  assert.match(lintFiles([{ file, text: open.update }], ID).mine[0]!.message, /reads the FOUND that update public\.members set email = email where email = p_user_email set/);
  assert.equal(await promoteB(later, 'anon'), 'admin', 'anon passes IF NOT FOUND (the target was found) and the role check');
  assert.equal(await promoteB(later, 'member'), 'P0001 Only admins can promote users', 'a builder of the organization is refused');
  assert.equal(await promoteB(sqlOf(fixed), 'anon'), 'P0001 Only admins can promote users', 'IS DISTINCT FROM refuses anon');
  for (const what of ['right', 'assignment', 'execute', 'branch'] as const) assert.equal(await promoteB(closed[what], 'anon'), 'P0001 not found', `${what}: FOUND is the caller lookup's`);
  for (const what of ['perform', 'update', 'loop'] as const) assert.equal(await promoteB(open[what], 'anon'), 'admin', `${what}: FOUND is its own`);
});

// Masuud10's record_fee_payment (zero-start-genesis-place, 20250715143556): the caller's role and
// school looked up, `IF v_user_role NOT IN (…) THEN RETURN` first, then, nested under another IF,
// `IF v_fee_record.school_id != v_user_school_id THEN RETURN`. Schools S1 and S2; a fee of each.
const SCHOOL_1 = '51000000-0000-0000-0000-000000000001';
const SCHOOL_2 = '52000000-0000-0000-0000-000000000002';
const FEE_1 = 'f1000000-0000-0000-0000-000000000001';
const FEE_2 = 'f2000000-0000-0000-0000-000000000002';
/** A signed-in user without a profile row. */
const NO_PROFILE = 'c0000000-0000-0000-0000-00000000000c';
const FEES_SQL = (check: string) => `CREATE TABLE public.profiles (id uuid PRIMARY KEY, role text NOT NULL, school_id uuid);
CREATE TABLE public.fees (id uuid PRIMARY KEY, school_id uuid NOT NULL, amount numeric NOT NULL);
CREATE TABLE public.student_fees (id uuid PRIMARY KEY, fee_id uuid NOT NULL REFERENCES public.fees, paid_amount numeric NOT NULL DEFAULT 0, status text NOT NULL DEFAULT 'pending');
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.fees ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.student_fees ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_profile ON public.profiles FOR SELECT TO authenticated USING (id = (select auth.uid()));

CREATE OR REPLACE FUNCTION public.record_fee_payment(p_student_fee_id uuid, p_amount numeric)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO 'public', 'pg_temp'
AS $$
DECLARE
    v_user_role text;
    v_user_school_id uuid;
    v_fee_record record;
    v_new_paid_amount numeric;
BEGIN
    -- Get user context
    SELECT role, school_id INTO v_user_role, v_user_school_id
    FROM public.profiles WHERE id = auth.uid();

    -- Validate user has finance permissions
${check}
    -- Get the fee record with school validation
    SELECT sf.*, f.amount as fee_amount, f.school_id
    INTO v_fee_record
    FROM public.student_fees sf
    JOIN public.fees f ON sf.fee_id = f.id
    WHERE sf.id = p_student_fee_id;

    IF NOT FOUND THEN
        RETURN jsonb_build_object('error', 'Student fee record not found');
    END IF;

    -- Validate school access for non-admin users
    IF v_user_role NOT IN ('elimisha_admin', 'edufam_admin') THEN
        IF v_fee_record.school_id != v_user_school_id THEN
            RETURN jsonb_build_object('error', 'Cannot record payment for other schools');
        END IF;
    END IF;

    v_new_paid_amount := COALESCE(v_fee_record.paid_amount, 0) + p_amount;
    UPDATE public.student_fees
    SET paid_amount = v_new_paid_amount,
        status = CASE WHEN v_new_paid_amount >= v_fee_record.fee_amount THEN 'paid' ELSE 'partial' END
    WHERE id = p_student_fee_id;

    RETURN jsonb_build_object('success', true, 'paid_amount', v_new_paid_amount);
END;
$$;
`;
const ROLE_CHECK = `    IF v_user_role NOT IN ('finance_officer', 'principal', 'school_owner', 'elimisha_admin', 'edufam_admin') THEN
        RETURN jsonb_build_object('error', 'Insufficient permissions to record payments');
    END IF;
`;

/**
 * What record_fee_payment(fee, 100) answers each caller (its `error`, or the amount paid after
 * it) on PGlite: anon, a signed-in user without a profile row, a teacher of school 1, and school
 * 1's finance officer paying school 2's fee and then its own.
 */
async function feesPaidBy(sql: string): Promise<Record<'anon' | 'noProfile' | 'teacher' | 'officerOther' | 'officerOwn', string>> {
  const out: Record<string, string> = {};
  const cases: Array<[string, string | undefined, string]> = [
    ['anon', undefined, FEE_2],
    ['noProfile', NO_PROFILE, FEE_2],
    ['teacher', TENANT_B, FEE_1],
    ['officerOther', TENANT_A, FEE_2],
    ['officerOwn', TENANT_A, FEE_1],
  ];
  for (const [name, user, fee] of cases) {
    await inRollback(await getDb(), async (q) => {
      await q(AUTH_STUB_SQL);
      await q(sql);
      await q(`INSERT INTO public.profiles VALUES ('${TENANT_A}', 'finance_officer', '${SCHOOL_1}'), ('${TENANT_B}', 'teacher', '${SCHOOL_1}');
               INSERT INTO public.fees VALUES ('${FEE_1}', '${SCHOOL_1}', 500), ('${FEE_2}', '${SCHOOL_2}', 500);
               INSERT INTO public.student_fees (id, fee_id) VALUES ('${FEE_1}', '${FEE_1}'), ('${FEE_2}', '${FEE_2}')`);
      if (user) await q(actAs(user));
      await q(`SET ROLE ${user ? 'authenticated' : 'anon'}`);
      const [r] = await q(`SELECT public.record_fee_payment('${fee}', 100) AS r`);
      await q('RESET ROLE');
      const [paid] = await q(`SELECT paid_amount::text AS p FROM public.student_fees WHERE id = '${fee}'`);
      out[name] = r!.r.error ?? `paid ${paid!.p}`;
    });
  }
  return out as Record<'anon' | 'noProfile' | 'teacher' | 'officerOther' | 'officerOwn', string>;
}

test("err: the first check a caller without a profile row passes is reported, not the nested one after it (Masuud10's record_fee_payment: IF v_user_role NOT IN ('finance_officer', …) THEN RETURN, later IF v_fee_record.school_id != v_user_school_id nested under IF v_user_role NOT IN (…)): NULL NOT IN (…) is NULL, so anon and a signed-in user without a profile pay school 2's fee while a teacher and school 1's finance officer are refused; the fix (v_user_role IN (…)) IS NOT TRUE refuses them, re-lints clean (the nested check with it), and the officer still pays its own school's fee", async () => {
  const sql = FEES_SQL(ROLE_CHECK);
  const file = 'supabase/migrations/20250715143556_fees.sql';
  const { ws, mine } = lintFiles([{ file, text: sql }], ID);
  assert.equal(mine.length, 1, 'one finding: the check that decides');
  assert.equal(textAt(ws, mine[0]!), "v_user_role NOT IN ('finance_officer', 'principal', 'school_owner', 'elimisha_admin', 'edufam_admin')");
  assert.match(
    mine[0]!.message,
    /^The caller check IF v_user_role NOT IN \('finance_officer', 'principal', 'school_owner', 'elimisha_admin', 'edufam_admin'\) THEN RETURN … in SECURITY DEFINER function public\.record_fee_payment\(uuid, numeric\), which .* can call, fails open: for anon, .* the SELECT … INTO v_user_role FROM public\.profiles that looks the caller up finds no row and PL\/pgSQL sets v_user_role to NULL \(as it does for a signed-in user who has no such row\), so the condition is NULL, and IF runs its branch only when the condition is true: the function does not return early and goes on as its owner, for whatever arguments it was given\. Write \(v_user_role IN \(…\)\) IS NOT TRUE instead of v_user_role NOT IN \(…\) \(true when v_user_role is none of the values, and when it is NULL too\), or return when the SELECT finds no row, right after it \(IF NOT FOUND THEN RETURN …\): the IF NOT FOUND further down reads the FOUND that SELECT … INTO v_fee_record set/,
  );
  assert.deepEqual(await feesPaidBy(sql), {
    anon: 'paid 100',
    noProfile: 'paid 100',
    teacher: 'Insufficient permissions to record payments',
    officerOther: 'Cannot record payment for other schools',
    officerOwn: 'paid 100',
  });
  const fixed = applyFix(ws, mine[0]!);
  assert.match(sqlOf(fixed), /IF \(v_user_role IN \('finance_officer', 'principal', 'school_owner', 'elimisha_admin', 'edufam_admin'\)\) IS NOT TRUE THEN/);
  assert.deepEqual(findingsOf(fixed, ID), []);
  assert.deepEqual(await feesPaidBy(sqlOf(fixed)), {
    anon: 'Insufficient permissions to record payments',
    noProfile: 'Insufficient permissions to record payments',
    teacher: 'Insufficient permissions to record payments',
    officerOther: 'Cannot record payment for other schools',
    officerOwn: 'paid 100',
  });
  // (written NOT (v_user_role IN (…)): the same, and the same fix)
  const negated = sql.replace('IF v_user_role NOT IN (\'finance_officer\', \'principal\', \'school_owner\', \'elimisha_admin\', \'edufam_admin\') THEN', "IF NOT (v_user_role IN ('finance_officer', 'principal', 'school_owner', 'elimisha_admin', 'edufam_admin')) THEN");
  assert.notEqual(negated, sql);
  const n = lintFiles([{ file, text: negated }], ID);
  assert.equal(n.mine.length, 1);
  assert.equal(textAt(n.ws, n.mine[0]!), "NOT (v_user_role IN ('finance_officer', 'principal', 'school_owner', 'elimisha_admin', 'edufam_admin'))");
  assert.equal(sqlOf(applyFix(n.ws, n.mine[0]!)), sqlOf(fixed));
  // (without the role check, the nested school check is the first a caller without a profile
  // passes, and is reported, with the IF around it, which is NULL for them too and skips it: the
  // fix changes both, else that caller never reaches the check; with IS NULL refusing that caller
  // first, neither is reported)
  const nested = lintFiles([{ file, text: FEES_SQL('') }], ID);
  assert.equal(nested.mine.length, 1);
  assert.equal(textAt(nested.ws, nested.mine[0]!), 'v_fee_record.school_id != v_user_school_id');
  assert.match(
    nested.mine[0]!.message,
    /so the condition is NULL, and IF runs its branch only when the condition is true; nor does such a caller reach the check: it is inside IF v_user_role NOT IN \('elimisha_admin', 'edufam_admin'\) THEN …, whose condition is NULL for them too, so that branch is skipped: the function does not return early .* Compare with IS DISTINCT FROM instead of != \(true when one side is NULL\), and write \(v_user_role IN \('elimisha_admin', 'edufam_admin'\)\) IS NOT TRUE instead of v_user_role NOT IN \('elimisha_admin', 'edufam_admin'\) .* in IF v_user_role NOT IN \('elimisha_admin', 'edufam_admin'\) THEN around it, or return when the SELECT finds no row/,
  );
  assert.deepEqual(await feesPaidBy(FEES_SQL('')), {
    anon: 'paid 100',
    noProfile: 'paid 100',
    teacher: 'paid 100',
    officerOther: 'Cannot record payment for other schools',
    officerOwn: 'paid 100',
  });
  const nestedFixed = applyFix(nested.ws, nested.mine[0]!);
  assert.match(sqlOf(nestedFixed), /IF \(v_user_role IN \('elimisha_admin', 'edufam_admin'\)\) IS NOT TRUE THEN\s+IF v_fee_record\.school_id IS DISTINCT FROM v_user_school_id THEN/);
  assert.deepEqual(findingsOf(nestedFixed, ID), []);
  assert.deepEqual(await feesPaidBy(sqlOf(nestedFixed)), {
    anon: 'Cannot record payment for other schools',
    noProfile: 'Cannot record payment for other schools',
    teacher: 'paid 100',
    officerOther: 'Cannot record payment for other schools',
    officerOwn: 'paid 100',
  });
  // (inside an IF that reads the role otherwise, `IF v_user_role = 'teacher' THEN`, the check is
  // not meant for a caller without a profile, whom that IF leads past it: not reported)
  const teachersOnly = FEES_SQL('').replace("IF v_user_role NOT IN ('elimisha_admin', 'edufam_admin') THEN", "IF v_user_role = 'teacher' THEN");
  assert.notEqual(teachersOnly, FEES_SQL(''));
  assert.equal(lintFiles([{ file, text: teachersOnly }], ID).mine.length, 0);
  const safe = FEES_SQL(ROLE_CHECK.replace('IF v_user_role NOT IN', 'IF v_user_role IS NULL OR v_user_role NOT IN'));
  assert.equal(lintFiles([{ file, text: safe }], ID).mine.length, 0);
  assert.equal((await feesPaidBy(safe)).noProfile, 'Insufficient permissions to record payments');
});

test("err/ok: a cursor's FETCH and MOVE set FOUND (PGlite: FETCH true with a row, false without, setting its variable NULL; MOVE true when it moved; OPEN and CLOSE leave it): the caller's role FETCHed from a cursor is a lookup (anon reads every profile; IS DISTINCT FROM refuses it), IF NOT FOUND after that FETCH closes it, and IF NOT FOUND after an unrelated FETCH or MOVE of another cursor does not (anon gets past both)", async () => {
  await inRollback(await getDb(), async (q) => {
    await q(`CREATE TABLE t (id int); INSERT INTO t VALUES (1);
      CREATE FUNCTION found_after() RETURNS text LANGUAGE plpgsql AS $$
      DECLARE cur refcursor; v int; out text := '';
      BEGIN
        PERFORM 1 WHERE false; out := out || 'perform:' || found;
        OPEN cur FOR SELECT id FROM t; out := out || ' open:' || found;
        FETCH cur INTO v; out := out || ' fetch:' || found || '/' || coalesce(v::text, 'null');
        FETCH cur INTO v; out := out || ' fetch:' || found || '/' || coalesce(v::text, 'null');
        MOVE FIRST FROM cur; out := out || ' move first:' || found;
        MOVE NEXT FROM cur; out := out || ' move next:' || found;
        CLOSE cur; out := out || ' close:' || found;
        RETURN out;
      END $$`);
    assert.deepEqual(await q('SELECT found_after() AS r'), [{ r: 'perform:false open:false fetch:true/1 fetch:false/null move first:true move next:false close:false' }]);
  });
  const { ws } = invalidFinding(ID, 2);
  const sql = sqlOf(ws);
  const file = 'supabase/migrations/20240101000000_admin.sql';
  const lookup = 'SELECT role INTO v_role FROM public.profiles WHERE id = auth.uid();';
  const fetched = sql.replace('DECLARE v_role text;', 'DECLARE v_role text;\n  c_me CURSOR FOR SELECT role FROM public.profiles WHERE id = auth.uid();').replace(lookup, 'OPEN c_me;\n  FETCH c_me INTO v_role;\n  CLOSE c_me;');
  assert.notEqual(fetched, sql);
  const f = lintFiles([{ file, text: fetched }], ID);
  assert.equal(f.mine.length, 1);
  assert.equal(textAt(f.ws, f.mine[0]!), "v_role <> 'admin'");
  assert.match(f.mine[0]!.message, /fails open: for anon, a request without a signed-in user, auth\.uid\(\) is NULL: the FETCH c_me INTO v_role, whose cursor looks the caller up in public\.profiles, gets no row and PL\/pgSQL sets v_role to NULL .* or raise when the FETCH finds no row \(IF NOT FOUND THEN RAISE …\)\.$/);
  assert.deepEqual(await allEmailsAs(f.ws), { anon: 2, user: 'P0001', admin: 2 });
  const fixed = applyFix(f.ws, f.mine[0]!);
  assert.deepEqual(findingsOf(fixed, ID), []);
  assert.deepEqual(await allEmailsAs(fixed), { anon: 'P0001', user: 'P0001', admin: 2 });
  // (OPEN … FOR a query of an unbound cursor: the same)
  const openFor = sql.replace('DECLARE v_role text;', 'DECLARE v_role text;\n  cur refcursor;').replace(lookup, 'OPEN cur FOR SELECT role FROM public.profiles WHERE id = auth.uid();\n  FETCH cur INTO v_role;\n  CLOSE cur;');
  assert.equal(lintFiles([{ file, text: openFor }], ID).mine.length, 1);
  assert.deepEqual(await allEmailsAs(lintFiles([{ file, text: openFor }], ID).ws), { anon: 2, user: 'P0001', admin: 2 });
  // IF NOT FOUND after that FETCH (CLOSE between leaves FOUND alone): closed
  const notFound = "  IF NOT FOUND THEN\n    RAISE EXCEPTION 'no profile';\n  END IF;\n";
  const guarded = fetched.replace('  CLOSE c_me;\n', `  CLOSE c_me;\n${notFound}`);
  assert.equal(lintFiles([{ file, text: guarded }], ID).mine.length, 0);
  assert.deepEqual(await allEmailsAs(lintFiles([{ file, text: guarded }], ID).ws), { anon: 'P0001', user: 'P0001', admin: 2 });
  // another cursor's FETCH, or MOVE, between the caller's lookup and IF NOT FOUND: FOUND is theirs
  // (every profile is there, so it is true), anon gets past it and the role check
  const other = (between: string) => `  OPEN c_all FOR SELECT id FROM public.profiles;\n${between}  CLOSE c_all;\n${notFound}`;
  const withOther = (text: string, between: string, after: string) => text.replace('DECLARE v_role text;', 'DECLARE v_role text;\n  c_all refcursor;\n  v_first uuid;').replace(after, `${after}\n${other(between)}`);
  const cases = {
    'SELECT … INTO, then FETCH of another cursor': withOther(sql, '  FETCH c_all INTO v_first;\n', lookup),
    'SELECT … INTO, then MOVE of another cursor': withOther(sql, '  MOVE c_all;\n', lookup),
    'FETCH, then MOVE of another cursor': withOther(fetched, '  MOVE c_all;\n', '  CLOSE c_me;'),
  };
  for (const [what, text] of Object.entries(cases)) {
    const l = lintFiles([{ file, text }], ID);
    assert.equal(l.mine.length, 1, what);
    assert.match(l.mine[0]!.message, /: the IF NOT FOUND further down reads the FOUND that (FETCH … INTO v_first|MOVE c_all) set \(PL\/pgSQL sets FOUND again at each SELECT … INTO, PERFORM, INSERT, UPDATE, DELETE, FOR loop, FETCH and MOVE\)\.$/, what);
    assert.deepEqual(await allEmailsAs(l.ws), { anon: 2, user: 'P0001', admin: 2 }, what);
  }
});

test("err: a FOR loop over a bound cursor (`FOR r IN c_all LOOP`, with or without arguments) runs the cursor's query and sets FOUND when it ends: an IF NOT FOUND after it, past the caller's lookup, reads the loop's FOUND, not the lookup's (PGlite: FOUND true after a loop over a row, false over none; anon gets past it and the role check)", async () => {
  await inRollback(await getDb(), async (q) => {
    await q(`CREATE TABLE t (id int); INSERT INTO t VALUES (1);
      CREATE FUNCTION found_after_loop() RETURNS text LANGUAGE plpgsql AS $$
      DECLARE c CURSOR FOR SELECT id FROM t; e CURSOR (k int) FOR SELECT id FROM t WHERE id = k; r record; out text := '';
      BEGIN
        PERFORM 1 WHERE false; FOR r IN c LOOP NULL; END LOOP; out := out || 'loop:' || found;
        PERFORM 1; FOR r IN e(2) LOOP NULL; END LOOP; out := out || ' none:' || found;
        RETURN out;
      END $$`);
    assert.deepEqual(await q('SELECT found_after_loop() AS r'), [{ r: 'loop:true none:false' }]);
  });
  const { ws } = invalidFinding(ID, 2);
  const sql = sqlOf(ws);
  const file = 'supabase/migrations/20240101000000_admin.sql';
  const lookup = 'SELECT role INTO v_role FROM public.profiles WHERE id = auth.uid();';
  const notFound = "  IF NOT FOUND THEN\n    RAISE EXCEPTION 'no profile';\n  END IF;\n";
  // (the IF NOT FOUND right after the lookup closes it: the control)
  const closed = sql.replace(lookup, `${lookup}\n${notFound}`);
  assert.notEqual(closed, sql);
  assert.equal(lintFiles([{ file, text: closed }], ID).mine.length, 0);
  for (const [declare, loop] of [
    ['c_all CURSOR FOR SELECT id FROM public.profiles;', 'FOR r_all IN c_all LOOP'],
    ['c_all CURSOR (k text) FOR SELECT id FROM public.profiles WHERE role IS DISTINCT FROM k;', "FOR r_all IN c_all('x') LOOP"],
  ] as const) {
    const text = sql.replace('DECLARE v_role text;', `DECLARE v_role text;\n  ${declare}\n  r_all record;`).replace(lookup, `${lookup}\n  ${loop}\n    NULL;\n  END LOOP;\n${notFound}`);
    assert.notEqual(text, sql);
    const l = lintFiles([{ file, text }], ID);
    assert.equal(l.mine.length, 1, loop);
    assert.match(l.mine[0]!.message, /: the IF NOT FOUND further down reads the FOUND that SELECT id FROM public\.profiles.* set \(PL\/pgSQL sets FOUND again at each SELECT … INTO, PERFORM, INSERT, UPDATE, DELETE, FOR loop, FETCH and MOVE\)\.$/, loop);
    assert.deepEqual(await allEmailsAs(l.ws), { anon: 2, user: 'P0001', admin: 2 }, loop);
  }
});

// Calibration (99g0dx/dttracker-main's 20260209000005_can_trigger_scrape_agency_bypass.sql):
// can_trigger_scrape looks the workspace's subscription up, sets `v_has_subscription := v_tier IS
// NOT NULL AND v_status IS NOT NULL`, and returns in both branches of `IF NOT v_has_subscription
// THEN … IF … THEN RETURN … ELSE RETURN … END IF; END IF;` (no row: the free tier). Its later
// `IF v_status NOT IN ('active', 'trialing') AND v_status IS NOT NULL THEN RETURN` was said to fail
// open "when target_workspace_id … matches no row … the function does not return early and goes
// on as its owner": no such caller gets there. A flag set inside an IF, or after the check, still
// leaves the case open, and so does an early IF that falls through on one of its branches.
test('ok: the lookup finding no row already returned, through a flag set to `v IS NOT NULL AND …` and an IF whose every branch returns (PGlite: no row gives the free answer, never the owner\'s UPDATE)', async () => {
  const sql = (pre: string) => `CREATE TABLE public.subs (workspace_id uuid PRIMARY KEY, tier text, status text, scraped int DEFAULT 0);
ALTER TABLE public.subs ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.can_scrape(p_ws uuid, p_fast boolean) RETURNS text LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE v_status text; v_tier text; v_has boolean;
BEGIN
  SELECT s.tier, s.status INTO v_tier, v_status FROM public.subs s WHERE s.workspace_id = p_ws;
  ${pre}
  IF v_status NOT IN ('active', 'trialing') AND v_status IS NOT NULL THEN
    RETURN 'blocked';
  END IF;
  UPDATE public.subs SET scraped = scraped + 1 WHERE workspace_id = p_ws;
  RETURN 'scraped';
END $$;`;
  const both = "IF p_fast THEN RETURN 'free, fast'; ELSE RETURN 'free'; END IF;";
  const closed = [
    `v_has := v_tier IS NOT NULL AND v_status IS NOT NULL; IF NOT v_has THEN ${both} END IF;`,
    `IF v_status IS NULL THEN ${both} END IF;`,
    `IF v_status IS NULL THEN IF p_fast THEN RETURN 'a'; ELSIF p_ws IS NULL THEN RAISE EXCEPTION 'no'; ELSE RETURN 'b'; END IF; END IF;`,
  ];
  for (const pre of closed) assert.equal(lintFiles([{ file: 'm.sql', text: sql(pre) }], ID).mine.length, 0, pre);
  const open = [
    `IF v_tier = 'x' THEN v_has := v_status IS NOT NULL; END IF; IF NOT v_has THEN ${both} END IF;`,
    `IF v_status IS NULL THEN IF p_fast THEN RETURN 'a'; END IF; END IF;`,
    `v_has := v_tier IS NOT NULL OR v_status IS NOT NULL; IF NOT v_has THEN ${both} END IF;`,
  ];
  for (const pre of open) assert.equal(lintFiles([{ file: 'm.sql', text: sql(pre) }], ID).mine.length, 1, pre);
  // PGlite: a workspace without a subscription row gets the free answer; 'past_due' is blocked; 'active' scrapes
  await inRollback(await getDb(), async (q) => {
    await q(sql(closed[0]!));
    await q(`INSERT INTO public.subs VALUES ('${TENANT_A}', 'pro', 'past_due'), ('${TENANT_B}', 'pro', 'active')`);
    await q('SET ROLE anon');
    const call = async (ws: string, fast: boolean) => (await q(`SELECT public.can_scrape('${ws}', ${fast}) AS r`))[0]!.r;
    assert.equal(await call('00000000-0000-0000-0000-0000000000ff', false), 'free');
    assert.equal(await call('00000000-0000-0000-0000-0000000000ff', true), 'free, fast');
    assert.equal(await call(TENANT_A, false), 'blocked');
    assert.equal(await call(TENANT_B, false), 'scraped');
  });
});

test("ok (err when it refuses): `IF NOT v_is_private THEN RETURN true` is the check's admitting shortcut: an id that matches no row skips it and goes on to the stricter checks, which return false (pawtograder's check_can_add_to_help_request; PGlite); `IF NOT v_is_private THEN RETURN false` with the admission after it still fails open", async () => {
  const sql = `CREATE TABLE public.help_requests (id bigint PRIMARY KEY, is_private boolean NOT NULL DEFAULT false, created_by uuid);
ALTER TABLE public.help_requests ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.can_add(p_help_request_id bigint)
RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_is_private boolean;
BEGIN
  SELECT is_private INTO v_is_private FROM help_requests WHERE id = p_help_request_id;
  -- anyone can add to a request that is not private
  IF NOT v_is_private THEN
    RAISE NOTICE 'public request';
    RETURN true;
  END IF;
  RETURN EXISTS (SELECT 1 FROM help_requests WHERE id = p_help_request_id AND created_by = auth.uid());
END;
$$;`;
  const file = 'supabase/migrations/20251017190202_help_requests.sql';
  const { ws, mine } = lintFiles([{ file, text: sql }], ID);
  assert.equal(mine.length, 0);
  const refusing = sql.replace("RAISE NOTICE 'public request';\n    RETURN true;", 'RETURN false;').replace('RETURN EXISTS (SELECT 1 FROM help_requests WHERE id = p_help_request_id AND created_by = auth.uid());', 'RETURN true;');
  const err = lintFiles([{ file, text: refusing }], ID);
  assert.equal(err.mine.length, 1);
  assert.match(err.mine[0]!.message, /^The caller check IF NOT v_is_private THEN RETURN … .* fails open: when p_help_request_id, which the caller chooses, matches no row of help_requests/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sqlOf(ws));
    await q(`INSERT INTO public.help_requests VALUES (1, false, '${TENANT_B}'), (2, true, '${TENANT_B}')`);
    await q(actAs(TENANT_A, { email: 'a@example.com' }));
    await q('SET ROLE authenticated');
    assert.deepEqual(await q('SELECT public.can_add(1) AS ok'), [{ ok: true }]);
    assert.deepEqual(await q('SELECT public.can_add(2) AS ok'), [{ ok: false }]);
    // (no such request: the shortcut is skipped, and the check after it refuses)
    assert.deepEqual(await q('SELECT public.can_add(99) AS ok'), [{ ok: false }]);
  });
});

test("ok/err: clinicai-v2's invite_staff() asks `IF NOT public.is_admin() THEN RETURN` before its `v_caller_role != 'owner'` check: an is_admin() of the migrations that looks the caller up (LANGUAGE sql EXISTS … auth.uid()) stops anon there — not reported (PGlite: anon's call returns at the first IF and inserts nothing); an is_admin() the migrations do not create is not assumed either way — the message says what it hinges on", async () => {
  const base = `CREATE TABLE public.profiles (id uuid PRIMARY KEY, role text NOT NULL);
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY profiles_own ON public.profiles FOR SELECT TO authenticated USING (id = (select auth.uid()));
CREATE TABLE public.invites (email text PRIMARY KEY, role text NOT NULL);
ALTER TABLE public.invites ENABLE ROW LEVEL SECURITY;
`;
  const isAdmin = `CREATE FUNCTION public.is_admin() RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM public.profiles WHERE id = auth.uid() AND role IN ('admin', 'owner'))
$$;
`;
  const invite = (guard: string) => `CREATE FUNCTION public.invite_staff(p_email text, p_role text) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE v_caller_role text;
BEGIN
  ${guard}
  SELECT role INTO v_caller_role FROM public.profiles WHERE id = auth.uid();
  IF p_role = 'admin' AND v_caller_role != 'owner' THEN
    RETURN jsonb_build_object('ok', false, 'error', 'only_owner_can_invite_admin');
  END IF;
  INSERT INTO public.invites VALUES (p_email, p_role);
  RETURN jsonb_build_object('ok', true);
END $$;
`;
  const gate = `IF NOT public.is_admin() THEN RETURN jsonb_build_object('ok', false, 'error', 'insufficient_permissions'); END IF;`;
  const file = 'supabase/migrations/20260101000000_staff.sql';
  const known = base + isAdmin + invite(gate);
  assert.deepEqual(lintFiles([{ file, text: known }], ID).mine, []);
  // without the gate anon passes the check: reported, with no word of a gate
  const open = lintFiles([{ file, text: base + invite('') }], ID).mine;
  assert.equal(open.length, 1);
  assert.doesNotMatch(open[0]!.message, /unless/);
  // the gate asks a function made outside the migrations: reported, the message saying it hinges on it
  const unknown = lintFiles([{ file, text: base + invite(gate) }], ID).mine;
  assert.equal(unknown.length, 1);
  assert.match(unknown[0]!.message, /goes on as its owner, for whatever arguments it was given — unless public\.is_admin\(\), which IF NOT public\.is_admin\(\) THEN RETURN … asks before it and these migrations do not create, already stops such a caller there/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(known);
    await q(`INSERT INTO public.profiles VALUES ('${TENANT_A}', 'admin')`);
    await q('SET ROLE anon');
    assert.deepEqual((await q(`SELECT public.invite_staff('x@example.com', 'admin') ->> 'error' AS e`))[0], { e: 'insufficient_permissions' });
    await q('RESET ROLE');
    assert.deepEqual(await q('SELECT * FROM public.invites'), []);
    // without the gate, anon's call inserts the admin invitation (the check fails open)
    await q(`CREATE OR REPLACE FUNCTION public.invite_staff(p_email text, p_role text) RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $f$
DECLARE v_caller_role text;
BEGIN
  SELECT role INTO v_caller_role FROM public.profiles WHERE id = auth.uid();
  IF p_role = 'admin' AND v_caller_role != 'owner' THEN RETURN jsonb_build_object('ok', false); END IF;
  INSERT INTO public.invites VALUES (p_email, p_role);
  RETURN jsonb_build_object('ok', true);
END $f$`);
    await q('SET ROLE anon');
    assert.deepEqual((await q(`SELECT public.invite_staff('x@example.com', 'admin') ->> 'ok' AS ok`))[0], { ok: 'true' });
  });
});
