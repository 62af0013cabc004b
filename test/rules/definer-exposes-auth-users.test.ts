// definer-exposes-auth-users on PostgreSQL (PGlite): anon and authenticated have no privilege on
// auth.users, yet a SECURITY DEFINER function the migrations' superuser owns hands anon every
// account's email, and lets user A change user B's app metadata; the fix's REVOKE makes the
// calls fail with 42501, and the Valid forms give each caller its own row or a number.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, expectPgError, getDb, inRollback, tryQuery, type Q } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintDocExample, lintFiles, nestedParentheses, sqlOf, TENANT_A, TENANT_B, textAt } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';
import type { Workspace } from '../../server/src/engine/workspace.js';

const ID = 'definer-exposes-auth-users';
before(initParser);
after(closeAll);

/**
 * Supabase's auth.users (owned by the superuser; no privilege for the API roles), two accounts,
 * and the platform's default privileges: EXECUTE on new functions in public for the API roles.
 * Then the migration, run by the superuser (Supabase's postgres may read and change auth.users).
 */
async function migrate(q: Q, ws: Workspace): Promise<void> {
  await q(AUTH_STUB_SQL);
  await q(`CREATE TABLE auth.users (id uuid PRIMARY KEY, email varchar(255), raw_app_meta_data jsonb);
           REVOKE ALL ON auth.users FROM PUBLIC`);
  await q('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO anon, authenticated, service_role');
  await q(sqlOf(ws));
  await q(`INSERT INTO auth.users VALUES ('${TENANT_A}', 'a@example.com', '{}'), ('${TENANT_B}', 'b@example.com', '{}')`);
}

const asUserA = async (q: Q) => {
  await q(actAs(TENANT_A));
  await q('SET ROLE authenticated');
};

test("err: get_user_emails(): anon gets 42501 from auth.users and every account's email from the function", async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'public.get_user_emails');
  assert.equal(nestedParentheses(finding.message), undefined);
  assert.match(finding.message, /^SECURITY DEFINER function public\.get_user_emails\(\) can be called by PUBLIC .* and returns data \(id, email\) of rows of auth\.users, .* any caller can read what it returns of other users' accounts\./);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await migrate(q, ws);
    await q('SET ROLE anon');
    assert.deepEqual((await q('SELECT email FROM public.get_user_emails() ORDER BY email')).map((r) => r.email), ['a@example.com', 'b@example.com']);
    await expectPgError(q('SELECT email FROM auth.users'), '42501', /permission denied for table users/);
  });
});

test("err: set_user_role(uid, role): user A makes user B an admin in B's app metadata", async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.equal(textAt(ws, finding), 'public.set_user_role');
  assert.match(finding.message, /can be called by anon and authenticated \(by Supabase's default privileges .*\) and changes rows of auth\.users, .* any caller can change other users' accounts\./);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await migrate(q, ws);
    await asUserA(q);
    await q(`SELECT public.set_user_role('${TENANT_B}', 'admin')`);
    await q('RESET ROLE');
    assert.deepEqual(await q(`SELECT raw_app_meta_data FROM auth.users WHERE id = '${TENANT_B}'`), [{ raw_app_meta_data: { role: 'admin' } }]);
  });
});

test('err→ok: the fix revokes EXECUTE from the roles that can call it: the migration re-lints clean and the calls fail with 42501', async () => {
  for (const n of [0, 1]) {
    const { ws, finding } = invalidFinding(ID, n);
    const fixed = applyFix(ws, finding);
    assert.deepEqual(findingsOf(fixed, ID), [], `Invalid #${n + 1} after the fix`);
    const db = await getDb();
    await inRollback(db, async (q) => {
      await migrate(q, fixed);
      await asUserA(q);
      const call = n === 0 ? 'SELECT * FROM public.get_user_emails()' : `SELECT public.set_user_role('${TENANT_B}', 'admin')`;
      await expectPgError(q(call), '42501', /permission denied for function/);
    });
  }
});

test('ok: a caller check (auth.uid()): user A gets its own email; a count: a number', async () => {
  for (const n of [0, 2]) {
    const { ws, mine } = lintDocExample(ID, 'valid', n);
    assert.equal(mine.length, 0);
    const db = await getDb();
    await inRollback(db, async (q) => {
      await migrate(q, ws);
      await asUserA(q);
      if (n === 0) assert.deepEqual(await q('SELECT public.my_email() AS email'), [{ email: 'a@example.com' }]);
      else assert.deepEqual(await q('SELECT public.user_count()::int AS n'), [{ n: 2 }]);
    });
  }
});

test('ok: EXECUTE revoked from the API roles: 42501', async () => {
  const { ws, mine } = lintDocExample(ID, 'valid', 1);
  assert.equal(mine.length, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await migrate(q, ws);
    await q('SET ROLE anon');
    await expectPgError(q('SELECT * FROM public.get_user_emails()'), '42501');
  });
});

test("err (message): a function returning two metadata keys of the authors of public rows (mentopanda's get_public_trainings) names them: anon gets the display names, and no email", async () => {
  const sql = `CREATE TABLE public.trainings (id bigint PRIMARY KEY, title text, is_public boolean DEFAULT false, created_by uuid);
ALTER TABLE public.trainings ENABLE ROW LEVEL SECURITY;
CREATE POLICY public_trainings ON public.trainings FOR SELECT TO authenticated, anon USING (is_public = true);
CREATE FUNCTION public.get_public_trainings(limit_count integer DEFAULT 20)
RETURNS TABLE(id bigint, title text, creator_display_name text) AS $$
BEGIN
  RETURN QUERY
  SELECT t.id, t.title, u.raw_user_meta_data->>'display_name'
  FROM public.trainings t LEFT JOIN auth.users u ON t.created_by = u.id
  WHERE t.is_public = true
  LIMIT limit_count;
END;
$$ LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp;
`;
  const ws = lintFiles([{ file: 'supabase/migrations/20250812100219_trainings.sql', text: sql }], ID);
  assert.equal(ws.mine.length, 1);
  assert.match(ws.mine[0]!.message, /returns data \(raw_user_meta_data->>'display_name'\) of rows of auth\.users, .* any caller can read raw_user_meta_data->>'display_name' of other users' accounts\./);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(`CREATE TABLE auth.users (id uuid PRIMARY KEY, email varchar(255), raw_user_meta_data jsonb); REVOKE ALL ON auth.users FROM PUBLIC`);
    await q(sql);
    await q(`INSERT INTO auth.users VALUES ('${TENANT_A}', 'a@example.com', '{"display_name": "Ann"}'), ('${TENANT_B}', 'b@example.com', '{"display_name": "Bob"}');
INSERT INTO public.trainings VALUES (1, 'public one', true, '${TENANT_A}'), (2, 'private', false, '${TENANT_B}');
GRANT EXECUTE ON FUNCTION public.get_public_trainings(integer) TO anon; SET ROLE anon`);
    assert.deepEqual(await q('SELECT * FROM public.get_public_trainings()'), [{ id: 1, title: 'public one', creator_display_name: 'Ann' }]);
  });
});

test("err (message): a PL/pgSQL parameter in the target list of a query joining auth.users (mentopanda's get_public_trainings: CASE WHEN user_project_id IS NULL …) is not named as auth.users' data; PGlite: the column it gives is the same with auth.users emptied", async () => {
  const sql = `CREATE TABLE public.trainings (id bigint PRIMARY KEY, project_id bigint, origin_id bigint, is_public boolean DEFAULT false, created_by uuid);
ALTER TABLE public.trainings ENABLE ROW LEVEL SECURITY;
CREATE POLICY public_trainings ON public.trainings FOR SELECT TO authenticated, anon USING (is_public = true);
CREATE FUNCTION public.get_public_trainings(user_project_id bigint DEFAULT NULL)
RETURNS TABLE(id bigint, creator_display_name text, is_forked boolean) AS $$
BEGIN
  RETURN QUERY
  SELECT t.id, u.raw_user_meta_data->>'display_name',
    CASE WHEN user_project_id IS NULL THEN false
      ELSE EXISTS (SELECT 1 FROM public.trainings f WHERE f.origin_id = t.id AND f.project_id = user_project_id) END
  FROM public.trainings t LEFT JOIN auth.users u ON t.created_by = u.id
  WHERE t.is_public = true;
END;
$$ LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp;
`;
  const ws = lintFiles([{ file: 'supabase/migrations/20250812100219_trainings.sql', text: sql }], ID);
  assert.equal(ws.mine.length, 1);
  assert.match(ws.mine[0]!.message, /returns data \(raw_user_meta_data->>'display_name'\) of rows of auth\.users, /);
  assert.doesNotMatch(ws.mine[0]!.message, /user_project_id/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(`CREATE TABLE auth.users (id uuid PRIMARY KEY, email varchar(255), raw_user_meta_data jsonb); REVOKE ALL ON auth.users FROM PUBLIC`);
    await q(sql);
    await q(`INSERT INTO auth.users VALUES ('${TENANT_A}', 'a@example.com', '{"display_name": "Ann"}');
INSERT INTO public.trainings VALUES (1, 10, NULL, true, '${TENANT_A}'), (2, 20, 1, false, '${TENANT_A}');
GRANT EXECUTE ON FUNCTION public.get_public_trainings(bigint) TO anon`);
    const call = async () => {
      await q('SET ROLE anon');
      const rows = [await q('SELECT * FROM public.get_public_trainings()'), await q('SELECT * FROM public.get_public_trainings(20)')];
      await q('RESET ROLE');
      return rows;
    };
    assert.deepEqual(await call(), [[{ id: 1, creator_display_name: 'Ann', is_forked: false }], [{ id: 1, creator_display_name: 'Ann', is_forked: true }]]);
    await q('DELETE FROM auth.users');
    // (the display name came from auth.users; is_forked, from the argument and trainings alone)
    assert.deepEqual(await call(), [[{ id: 1, creator_display_name: null, is_forked: false }], [{ id: 1, creator_display_name: null, is_forked: true }]]);
  });
});

test("err (message): a function returning only whether an e-mail address has an account (esports-bet-beacon's check_registration_duplicates) tells that, names no column and not its argument: anon learns true / false, and reads no email", async () => {
  const sql = `CREATE FUNCTION public.check_registration_duplicates(p_email text, p_username text)
RETURNS jsonb LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE v_email_exists boolean := false;
BEGIN
  IF p_email IS NOT NULL AND length(trim(p_email)) > 0 THEN
    SELECT EXISTS (SELECT 1 FROM auth.users u WHERE lower(u.email) = lower(p_email)) INTO v_email_exists;
  END IF;
  RETURN jsonb_build_object('email', v_email_exists);
END $$;
`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/20250910201906_dupes.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /and tells whether rows of auth\.users match its arguments \(it returns none of their columns\), .* any caller can learn whether an account exists for any value it passes .*account enumeration/);
  assert.doesNotMatch(mine[0]!.message, /p_email|returns data/);
  // an EXPR sub-select returning a column is still data, named by the column
  const data = sql
    .replace('v_email_exists boolean := false', 'v_id text')
    .replace('SELECT EXISTS (SELECT 1 FROM auth.users u WHERE lower(u.email) = lower(p_email)) INTO v_email_exists;', 'SELECT (SELECT u.id::text FROM auth.users u WHERE lower(u.email) = lower(p_email)) INTO v_id;')
    .replace("jsonb_build_object('email', v_email_exists)", "jsonb_build_object('id', v_id)");
  const dm = lintFiles([{ file: 'supabase/migrations/20250910201906_dupes.sql', text: data }], ID).mine;
  assert.match(dm[0]!.message, /returns data \(id\) of rows of auth\.users/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(`CREATE TABLE auth.users (id uuid PRIMARY KEY, email varchar(255)); REVOKE ALL ON auth.users FROM PUBLIC`);
    await q(sql);
    await q(`INSERT INTO auth.users VALUES ('${TENANT_B}', 'victim@example.com'); SET ROLE anon`);
    assert.deepEqual(await q(`SELECT public.check_registration_duplicates('victim@example.com', null) AS r`), [{ r: { email: true } }]);
    assert.deepEqual(await q(`SELECT public.check_registration_duplicates('nobody@example.com', null) AS r`), [{ r: { email: false } }]);
    await expectPgError(q('SELECT email FROM auth.users'), '42501', /permission denied for table users/);
  });
});

// Calibration (paynless' check_user_membership): the id read INTO a variable only selects which
// membership rows are returned: the caller gets their status, never the id.
test("err (message): an id read INTO a variable used only in the WHERE of the returned query is not returned data: the function tells whether rows match; PGlite: anon gets the member's status for an e-mail address, and no id", async () => {
  const sql = `CREATE TABLE public.members (org_id uuid, user_id uuid, status text);
ALTER TABLE public.members ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.member_status_by_email(p_org uuid, p_email text) RETURNS TABLE(status text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = '' AS $$
DECLARE v_id uuid;
BEGIN
  SELECT id INTO v_id FROM auth.users WHERE email = p_email LIMIT 1;
  RETURN QUERY SELECT m.status FROM public.members m WHERE m.org_id = p_org AND m.user_id = v_id;
END $$;
`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/20250630190924_members.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /tells whether rows of auth\.users match its arguments \(it returns none of their columns\)/);
  assert.doesNotMatch(mine[0]!.message, /returns data/);
  // the id itself returned: data, named
  const data = sql.replace('RETURNS TABLE(status text)', 'RETURNS TABLE(uid uuid)').replace('RETURN QUERY SELECT m.status FROM', 'RETURN QUERY SELECT v_id FROM');
  assert.match(lintFiles([{ file: 'supabase/migrations/20250630190924_members.sql', text: data }], ID).mine[0]!.message, /returns data \(id\) of rows of auth\.users/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(`CREATE TABLE auth.users (id uuid PRIMARY KEY, email varchar(255)); REVOKE ALL ON auth.users FROM PUBLIC`);
    await q(sql);
    await q(`INSERT INTO auth.users VALUES ('${TENANT_B}', 'victim@example.com'); INSERT INTO public.members VALUES ('${TENANT_A}', '${TENANT_B}', 'active'); GRANT EXECUTE ON FUNCTION public.member_status_by_email(uuid, text) TO anon; SET ROLE anon`);
    assert.deepEqual(await q(`SELECT * FROM public.member_status_by_email('${TENANT_A}', 'victim@example.com')`), [{ status: 'active' }]);
    assert.deepEqual(await q(`SELECT * FROM public.member_status_by_email('${TENANT_A}', 'nobody@example.com')`), []);
  });
});

// Calibration cal29 (vitaluxe-flow's fix_orphaned_patient_accounts): auth.users is read in a WITH
// query whose id reaches the result through RETURNING and the CTE's name: data, not existence.
test("err (message): auth.users read in a WITH query (its id carried through RETURNING into the result) is data, not existence; PGlite: authenticated gets the victim's auth id", async () => {
  const sql = `-- « naïve » 日本語 😀
CREATE TABLE public.patient_accounts (id uuid PRIMARY KEY, email text, user_id uuid);
ALTER TABLE public.patient_accounts ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.fix_orphaned_patient_accounts() RETURNS TABLE (patient_id uuid, patient_email text, auth_user_id uuid)
LANGUAGE plpgsql SECURITY DEFINER SET search_path TO '' AS $$
BEGIN
  RETURN QUERY
  WITH orphaned AS (
    SELECT pa.id, pa.email, au.id AS auth_id FROM public.patient_accounts pa JOIN auth.users au ON lower(au.email) = lower(pa.email) WHERE pa.user_id IS NULL
  ), updated AS (
    UPDATE public.patient_accounts pa SET user_id = o.auth_id FROM orphaned o WHERE pa.id = o.id RETURNING pa.id, pa.email, o.auth_id
  )
  SELECT u.id, u.email, u.auth_id FROM updated u;
END $$;
`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/20251114225510_fix.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /returns data of rows of auth\.users/);
  assert.doesNotMatch(mine[0]!.message, /tells whether|its arguments/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(`CREATE TABLE auth.users (id uuid PRIMARY KEY, email varchar(255)); REVOKE ALL ON auth.users FROM PUBLIC`);
    await q(sql);
    await q(`INSERT INTO auth.users VALUES ('${TENANT_B}', 'victim@example.com'); INSERT INTO public.patient_accounts VALUES ('${TENANT_A}', 'victim@example.com', NULL); SET ROLE authenticated`);
    assert.deepEqual(await q('SELECT auth_user_id FROM public.fix_orphaned_patient_accounts()'), [{ auth_user_id: TENANT_B }]);
  });
});

// Calibration (ionpetro/nextbase's get_all_app_admins): columns written schema-qualified,
// `auth.users.email`, are columns of auth.users (the message said "returns none of their columns").
test('err (message): a column written auth.users.email is returned data, named; PGlite: anon gets the email', async () => {
  const sql = `CREATE FUNCTION public.admin_emails() RETURNS TABLE (email text) LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN RETURN QUERY SELECT auth.users.email::text FROM auth.users WHERE auth.users.is_super_admin; END $$;
`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_admins.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /returns data \(email\) of rows of auth\.users/);
  assert.doesNotMatch(mine[0]!.message, /none of their columns/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(`CREATE TABLE auth.users (id uuid PRIMARY KEY, email varchar(255), is_super_admin boolean); REVOKE ALL ON auth.users FROM PUBLIC`);
    await q(sql);
    await q(`INSERT INTO auth.users VALUES ('${TENANT_B}', 'boss@example.com', true); SET ROLE anon`);
    assert.deepEqual(await q('SELECT * FROM public.admin_emails()'), [{ email: 'boss@example.com' }]);
  });
});

test('err (message): a column returned only as a null test (encrypted_password IS NOT NULL: zero-start\'s verify_all_hr_users) is named as that test, not as the column; PGlite: anon gets true, not the hash', async () => {
  const sql = `CREATE FUNCTION public.has_passwords() RETURNS TABLE (id uuid, has_password boolean) LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$
SELECT u.id, u.encrypted_password IS NOT NULL FROM auth.users u $$;
`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_pw.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /returns data \(id, encrypted_password IS NOT NULL\) of rows of auth\.users/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(`CREATE TABLE auth.users (id uuid PRIMARY KEY, encrypted_password text); REVOKE ALL ON auth.users FROM PUBLIC`);
    await q(sql);
    await q(`INSERT INTO auth.users VALUES ('${TENANT_B}', '$2a$10$hash'); SET ROLE anon`);
    assert.deepEqual(await q('SELECT * FROM public.has_passwords()'), [{ id: TENANT_B, has_password: true }]);
  });
});

const AUDIT_SQL = (del: boolean) => `CREATE TABLE public.deletion_log (email text, at timestamptz DEFAULT now());
ALTER TABLE public.deletion_log ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.remove_account(_uid uuid) RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE _email text; _note text;
BEGIN
  SELECT email INTO _email FROM auth.users WHERE id = _uid;
  _note := 'removed ' || _email;
  INSERT INTO public.deletion_log (email) VALUES (_note);
${del ? '  DELETE FROM auth.users WHERE id = _uid;\n' : ''}  RETURN jsonb_build_object('ok', true);
END $$;
`;

test("err (message): an e-mail read INTO a variable that only goes into an audit row (row-level security on, no policy) is not returned data: the function that also deletes is said to delete from auth.users only, without a double comma; one that only logs is not reported; PGlite: the caller gets {ok: true} and no email", async () => {
  const del = lintFiles([{ file: 'supabase/migrations/20240101000000_remove.sql', text: AUDIT_SQL(true) }], ID).mine;
  assert.equal(del.length, 1);
  assert.match(del[0]!.message, /and deletes rows of auth\.users, Supabase's table/);
  assert.doesNotMatch(del[0]!.message, /returns data|,,/);
  assert.match(del[0]!.message, /any caller can delete other users' accounts \(and with each, the rows of every table whose foreign key to auth\.users is ON DELETE CASCADE\)\./);
  assert.equal(lintFiles([{ file: 'supabase/migrations/20240101000000_remove.sql', text: AUDIT_SQL(false) }], ID).mine.length, 0, 'only logs: returns nothing of auth.users');
  // a variable that reaches RETURN is still returned data
  const returned = AUDIT_SQL(false).replace("RETURN jsonb_build_object('ok', true);", "RETURN jsonb_build_object('removed', _note);");
  const r = lintFiles([{ file: 'supabase/migrations/20240101000000_remove.sql', text: returned }], ID).mine;
  assert.equal(r.length, 1);
  assert.match(r[0]!.message, /returns data \(email\) of rows of auth\.users/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(`CREATE TABLE auth.users (id uuid PRIMARY KEY, email varchar(255)); REVOKE ALL ON auth.users FROM PUBLIC`);
    await q(AUDIT_SQL(true));
    await q(`INSERT INTO auth.users VALUES ('${TENANT_B}', 'b@example.com')`);
    await q('GRANT EXECUTE ON FUNCTION public.remove_account(uuid) TO anon; SET ROLE anon');
    assert.deepEqual(await q(`SELECT public.remove_account('${TENANT_B}') AS r`), [{ r: { ok: true } }], 'no email comes back');
    await q('RESET ROLE');
    assert.equal((await q('SELECT count(*)::int AS n FROM auth.users'))[0]!.n, 0, "anon deleted B's account");
  });
});

// auth.users' data that is not returned but copied into a table the callers can read (no
// row-level security: on Supabase anon and authenticated hold SELECT on public's tables): the
// message said the function "returns" it where it was a FOR loop's; it says what happens instead.
const DIRECTORY_SQL = `CREATE TABLE public.directory (id uuid PRIMARY KEY, email text);
CREATE FUNCTION public.sync_directory() RETURNS text LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE r record;
BEGIN
  FOR r IN SELECT id, email FROM auth.users LOOP
    INSERT INTO public.directory (id, email) VALUES (r.id, r.email) ON CONFLICT (id) DO NOTHING;
  END LOOP;
  RETURN 'ok';
END $$;
`;

test("err (message): auth.users' data copied into a table the callers can read (a FOR loop's rows, or a variable INTO an audit row without RLS) is said to be copied there, not returned; PGlite: anon gets 'ok' and reads every account's email from the copy, and still reads it once EXECUTE is revoked; with RLS on the table, not reported", async () => {
  const file = 'supabase/migrations/20250101000000_directory.sql';
  const { ws, mine } = lintFiles([{ file, text: DIRECTORY_SQL }], ID);
  assert.equal(mine.length, 1);
  const m = mine[0]!.message;
  assert.match(m, /^SECURITY DEFINER function public\.sync_directory\(\) can be called by PUBLIC .*? and copies data \(id, email\) of rows of auth\.users, Supabase's table .*?, into public\.directory, which anon and authenticated can read, but never looks at who is calling /);
  assert.doesNotMatch(m, /returns data/);
  assert.match(m, /any caller can read what it copies of other users' accounts from public\.directory\./);
  assert.match(m, /What it has copied stays readable until row-level security on public\.directory limits each user to their own rows\./);
  assert.equal(nestedParentheses(m), undefined);
  // (the audit row of remove_account, its table without RLS: the e-mail copied there, which the callers read)
  const audit = AUDIT_SQL(false).replace('ALTER TABLE public.deletion_log ENABLE ROW LEVEL SECURITY;\n', '');
  const [a] = lintFiles([{ file, text: audit }], ID).mine;
  assert.match(a?.message ?? '', / and copies data \(email\) of rows of auth\.users, .*?, into public\.deletion_log, which anon and authenticated can read, but never /);
  assert.match(a!.message, /any caller can read email of other users' accounts from public\.deletion_log\./);
  // (with row-level security and no policy, or only the user's own rows, the copies are not theirs to read: not reported)
  for (const rls of ['ALTER TABLE public.directory ENABLE ROW LEVEL SECURITY;', 'ALTER TABLE public.directory ENABLE ROW LEVEL SECURITY;\nCREATE POLICY own ON public.directory FOR SELECT TO authenticated USING (id = (select auth.uid()));']) {
    assert.deepEqual(lintFiles([{ file, text: DIRECTORY_SQL + rls + '\n' }], ID).mine, [], rls);
  }
  const fixed = applyFix(ws, mine[0]!);
  assert.deepEqual(findingsOf(fixed, ID), []);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await onPlatform(q, DIRECTORY_SQL + audit);
    await q('SET ROLE anon');
    const direct = await tryQuery(q, 'SELECT email FROM auth.users');
    assert.equal(direct.ok ? 'ok' : `${direct.error.code} ${direct.error.message}`, '42501 permission denied for table users');
    assert.deepEqual(await q('SELECT public.sync_directory() AS r'), [{ r: 'ok' }], 'nothing of auth.users is returned');
    assert.deepEqual(await q('SELECT id, email FROM public.directory ORDER BY email'), [
      { id: TENANT_A, email: 'a@example.com' },
      { id: TENANT_B, email: 'b@example.com' },
    ], "anon reads every account's email from the copy");
    assert.deepEqual(await q(`SELECT public.remove_account('${TENANT_B}') AS r`), [{ r: { ok: true } }]);
    assert.deepEqual(await q('SELECT email FROM public.deletion_log'), [{ email: 'removed b@example.com' }], "anon reads B's email from the audit row");
  });
  // (the fix: the call fails with 42501; what was copied before stays readable)
  await inRollback(db, async (q) => {
    await onPlatform(q, sqlOf(fixed));
    await q('SELECT public.sync_directory()'); // (as the superuser: the copies a call made before)
    await q('SET ROLE anon');
    const call = await tryQuery(q, 'SELECT public.sync_directory()');
    assert.equal(call.ok ? 'ok' : `${call.error.code} ${call.error.message}`, '42501 permission denied for function sync_directory');
    assert.equal((await q('SELECT count(*)::int AS n FROM public.directory'))[0]!.n, 2, 'the copies made before stay readable');
  });
  await inRollback(db, async (q) => {
    await onPlatform(q, DIRECTORY_SQL + 'ALTER TABLE public.directory ENABLE ROW LEVEL SECURITY;\n');
    await q('SET ROLE anon');
    await q('SELECT public.sync_directory()');
    assert.deepEqual(await q('SELECT * FROM public.directory'), [], 'with RLS and no policy: anon reads no copy');
  });
});

// Calibration cal46 (vip-drive-florida's get_or_create_passenger_profile): the e-mail and name
// read from auth.users only go into a new passengers row, whose RETURNING id (its default) is what
// the function returns; passengers' policy shows the row only to its user. The message said the
// caller could read other users' email and full_name.
const PASSENGER_SQL = `CREATE TABLE public.passengers (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), user_id uuid UNIQUE, full_name text NOT NULL, email text NOT NULL);
ALTER TABLE public.passengers ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON public.passengers FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE FUNCTION public.get_or_create_passenger_profile(p_user_id uuid) RETURNS uuid LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE v_id uuid; v_email text; v_name text; BEGIN
  SELECT id INTO v_id FROM public.passengers WHERE user_id = p_user_id; IF v_id IS NOT NULL THEN RETURN v_id; END IF;
  SELECT email, coalesce(raw_user_meta_data->>'full_name', email) INTO v_email, v_name FROM auth.users WHERE id = p_user_id;
  INSERT INTO public.passengers (user_id, full_name, email) VALUES (p_user_id, v_name, v_email) RETURNING id INTO v_id; RETURN v_id; END $$;
`;

/** Supabase's platform (auth stub, default privileges on public's tables and functions), auth.users with A and B, then the SQL. */
async function onPlatform(q: Q, sql: string): Promise<void> {
  await q(AUTH_STUB_SQL);
  await q(`CREATE TABLE auth.users (id uuid PRIMARY KEY, email varchar(255), raw_user_meta_data jsonb); REVOKE ALL ON auth.users FROM PUBLIC`);
  await q('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role');
  await q('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO anon, authenticated, service_role');
  await q(sql);
  await q(`INSERT INTO auth.users VALUES ('${TENANT_A}', 'a@example.com', '{"full_name": "Ann"}'), ('${TENANT_B}', 'b@example.com', '{"full_name": "Bob"}')`);
}

test("ok: auth.users' email and name read INTO variables that only go into a new row whose RETURNING id is returned (vip-drive-florida): not reported; PGlite: user A gets a uuid for B's id, no passengers row, and 23502 for an id without account", async () => {
  const file = 'supabase/migrations/20250101000000_passengers.sql';
  assert.deepEqual(lintFiles([{ file, text: PASSENGER_SQL }], ID).mine, []);
  await inRollback(await getDb(), async (q) => {
    await onPlatform(q, PASSENGER_SQL);
    await asUserA(q);
    const [row] = await q(`SELECT public.get_or_create_passenger_profile('${TENANT_B}') AS r`);
    assert.match(String(row!.r), /^[0-9a-f]{8}-[0-9a-f]{4}-/, 'a uuid, a passengers.id');
    assert.notEqual(row!.r, TENANT_B);
    assert.deepEqual(await q('SELECT * FROM public.passengers'), [], "B's new row, with B's email, is not A's to read");
    const none = await tryQuery(q, `SELECT public.get_or_create_passenger_profile('00000000-0000-0000-0000-0000000000ff')`);
    assert.equal(none.ok ? 'ok' : none.error.code, '23502', 'an id without account: NOT NULL (at most whether the account exists)');
    await q('RESET ROLE');
    assert.deepEqual(await q(`SELECT email FROM public.passengers WHERE id = '${row!.r}'`), [{ email: 'b@example.com' }]);
  });
});

// Calibration cal114 (an org-provisioning function): the id read INTO a variable from auth.users by
// the owner's e-mail only decides whether a membership row is written (IF v_user IS NOT NULL THEN
// INSERT …); the function returns the new organization's id either way. The message said any
// caller could read the id of other users' accounts.
const PROVISION_SQL = `CREATE TABLE public.organizations (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text NOT NULL, owner_email text NOT NULL);
CREATE TABLE public.org_members (org_id uuid NOT NULL REFERENCES public.organizations (id), user_id uuid NOT NULL, role text NOT NULL);
ALTER TABLE public.organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.org_members ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON public.org_members FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE FUNCTION public.provision_org(p_name text, p_email text) RETURNS uuid LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE v_org uuid; v_user uuid; BEGIN
  INSERT INTO public.organizations (name, owner_email) VALUES (p_name, p_email) RETURNING id INTO v_org;
  SELECT id INTO v_user FROM auth.users WHERE email = p_email;
  IF v_user IS NOT NULL THEN
    INSERT INTO public.org_members (org_id, user_id, role) VALUES (v_org, v_user, 'owner');
  END IF;
  RETURN v_org; END $$;
`;

test("ok: an id read INTO a variable that only an IF's condition reads, whose branch only inserts it (an org-provisioning function), is not returned data; an IF that also returns, assigns what is returned or raises (ELSE RAISE EXCEPTION) is reported; PGlite: anon gets a new organization's id for a registered address and for an unknown one, and reads no membership row", async () => {
  const file = 'supabase/migrations/20250101000000_orgs.sql';
  assert.deepEqual(lintFiles([{ file, text: PROVISION_SQL }], ID).mine, []);
  for (const bad of [
    PROVISION_SQL.replace('  END IF;', "  ELSE RAISE EXCEPTION 'no account'; END IF;"),
    PROVISION_SQL.replace("'owner');", "'owner'); RETURN v_user;"),
    PROVISION_SQL.replace("'owner');", "'owner'); v_org := v_user;"),
    PROVISION_SQL.replace("'owner');", "'owner') RETURNING user_id INTO v_org;"),
  ]) {
    assert.equal(lintFiles([{ file, text: bad }], ID).mine.length, 1, bad);
  }
  await inRollback(await getDb(), async (q) => {
    await onPlatform(q, PROVISION_SQL);
    await q('SET ROLE anon');
    const [known] = await q(`SELECT public.provision_org('a', 'b@example.com') AS r`);
    const [unknown] = await q(`SELECT public.provision_org('b', 'nobody@example.com') AS r`);
    for (const r of [known!.r, unknown!.r]) {
      assert.match(String(r), /^[0-9a-f]{8}-[0-9a-f]{4}-/);
      assert.notEqual(r, TENANT_B);
    }
    await q('RESET ROLE');
    assert.deepEqual(await q('SELECT org_id, user_id FROM public.org_members'), [{ org_id: known!.r, user_id: TENANT_B }], "B's membership is written, and not returned");
    await q('SET ROLE anon');
    assert.equal((await tryQuery(q, 'SELECT * FROM auth.users')).ok, false);
  });
});

test("err: the same insert returning what it wrote (RETURNING full_name), a trigger's copy, or a variable returned as it is (RETURN v;) hands auth.users' data back; PGlite: user A gets B's name and email", async () => {
  const file = 'supabase/migrations/20250101000000_passengers.sql';
  const name = PASSENGER_SQL.replace('RETURNS uuid', 'RETURNS text').replace('RETURNING id INTO v_id; RETURN v_id;', 'RETURNING full_name INTO v_name; RETURN v_name;');
  const trigger = PASSENGER_SQL.replace('email text NOT NULL)', 'email text NOT NULL, handle text)').replace('RETURNS uuid', 'RETURNS text').replace('RETURNING id INTO v_id; RETURN v_id;', 'RETURNING handle INTO v_name; RETURN v_name;') +
    `CREATE FUNCTION public.passenger_handle() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.handle := NEW.email; RETURN NEW; END $$;
CREATE TRIGGER passenger_handle BEFORE INSERT ON public.passengers FOR EACH ROW EXECUTE FUNCTION public.passenger_handle();
`;
  const plain = `CREATE FUNCTION public.email_of(p uuid) RETURNS text LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = '' AS $$
DECLARE v text; BEGIN SELECT email INTO v FROM auth.users WHERE id = p; RETURN v; END $$;
`;
  for (const [sql, call, want] of [
    [name, 'get_or_create_passenger_profile', 'Bob'],
    [trigger, 'get_or_create_passenger_profile', 'b@example.com'],
    [plain, 'email_of', 'b@example.com'],
  ] as const) {
    const { mine } = lintFiles([{ file, text: sql }], ID);
    assert.equal(mine.length, 1, call);
    assert.match(mine[0]!.message, /returns data \((email|email, raw_user_meta_data->>'full_name')\) of rows of auth\.users/);
    await inRollback(await getDb(), async (q) => {
      await onPlatform(q, sql);
      await asUserA(q);
      assert.deepEqual(await q(`SELECT public.${call}('${TENANT_B}') AS r`), [{ r: want }]);
    });
  }
});

test("err: a function whose only look at the caller is a sign-in test (stewardtrack's get_user_profiles: IF auth.uid() IS NULL THEN RAISE) is reported, for signed-in callers; PGlite: user A gets user B's email, anon the exception; a check comparing the caller with the ids is not reported", async () => {
  const fn = (check: string) => `CREATE FUNCTION public.get_user_profiles(user_ids uuid[])
RETURNS TABLE (id uuid, email text) LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  ${check}
  RETURN QUERY SELECT au.id, au.email::text FROM auth.users au WHERE au.id = ANY(user_ids);
END $$;
REVOKE EXECUTE ON FUNCTION public.get_user_profiles(uuid[]) FROM PUBLIC;
`;
  const file = 'supabase/migrations/20251218001004_profiles.sql';
  const signIn = fn("IF auth.uid() IS NULL THEN RAISE EXCEPTION 'Authentication required'; END IF;");
  const { ws, mine } = lintFiles([{ file, text: signIn }], ID);
  assert.equal(mine.length, 1);
  assert.match(
    mine[0]!.message,
    /but never checks who is calling \(it uses `auth\.uid\(\)` or the like only to test whether it is NULL, i\.e\. whether anyone is signed in, never to choose the accounts it reads or changes\): .* any signed-in caller can read id, email of other users' accounts\./,
  );
  assert.equal(nestedParentheses(mine[0]!.message), undefined, 'SQL in backticks: no parenthesis inside another');
  // the same through a variable assigned auth.uid(), and an early RETURN instead of the RAISE
  const viaVar = signIn.replace('BEGIN\n', 'DECLARE v_uid uuid := auth.uid();\nBEGIN\n').replace("IF auth.uid() IS NULL THEN RAISE EXCEPTION 'Authentication required'; END IF;", 'IF v_uid IS NULL THEN RETURN; END IF;');
  assert.equal(lintFiles([{ file, text: viaVar }], ID).mine.length, 1, 'IF v_uid IS NULL THEN RETURN');
  // a check that compares the caller with what it is asked for restricts what it reads: not reported
  const checks = [
    "IF auth.uid() IS NULL OR NOT (auth.uid() = ANY(user_ids)) THEN RAISE EXCEPTION 'not yours'; END IF;",
    "IF auth.uid() IS NULL THEN RAISE EXCEPTION 'Authentication required'; END IF;\n  user_ids := ARRAY(SELECT u FROM unnest(user_ids) u WHERE u = auth.uid());",
  ];
  for (const c of checks) assert.equal(lintFiles([{ file, text: fn(c) }], ID).mine.length, 0, c);

  const db = await getDb();
  await inRollback(db, async (q) => {
    await migrate(q, ws);
    await asUserA(q);
    assert.deepEqual(await q(`SELECT id, email FROM public.get_user_profiles(ARRAY['${TENANT_B}']::uuid[])`), [{ id: TENANT_B, email: 'b@example.com' }], "A reads B's email");
    await expectPgError(q('SELECT email FROM auth.users'), '42501', /permission denied for table users/);
  });
  await inRollback(db, async (q) => {
    await migrate(q, ws);
    await q('SET ROLE anon');
    await expectPgError(q(`SELECT * FROM public.get_user_profiles(ARRAY['${TENANT_B}']::uuid[])`), 'P0001', /Authentication required/);
  });
});

test("err (message): auth.users' columns a scalar sub-select returns inside a query of several tables (zebri-crm's get_public_invoice: the bank details from raw_user_meta_data) are returned data, named, not an existence test; PGlite: anon gets the account number", async () => {
  const sql = `CREATE TABLE public.invoices (id uuid PRIMARY KEY, user_id uuid NOT NULL, title text, share_token uuid NOT NULL);
ALTER TABLE public.invoices ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.get_public_invoice(token uuid) RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE result jsonb;
BEGIN
  SELECT jsonb_build_object(
    'title', i.title,
    'bank_account_number', (SELECT raw_user_meta_data->>'bank_account_number' FROM auth.users WHERE id = i.user_id),
    'owner_email', (SELECT u.email FROM auth.users u WHERE u.id = i.user_id)
  ) INTO result
  FROM public.invoices i
  WHERE i.share_token = token;
  RETURN result;
END $$;
`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_invoices.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /returns data \(raw_user_meta_data->>'bank_account_number', email\) of rows of auth\.users/);
  assert.doesNotMatch(mine[0]!.message, /none of their columns|account enumeration/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(`CREATE TABLE auth.users (id uuid PRIMARY KEY, email varchar(255), raw_user_meta_data jsonb); REVOKE ALL ON auth.users FROM PUBLIC`);
    await q(sql);
    await q(`INSERT INTO auth.users VALUES ('${TENANT_B}', 'b@example.com', '{"bank_account_number": "12345678"}');
             INSERT INTO public.invoices VALUES (gen_random_uuid(), '${TENANT_B}', 'Wedding', '${TENANT_A}'); SET ROLE anon`);
    assert.deepEqual(await q(`SELECT public.get_public_invoice('${TENANT_A}') AS r`), [{ r: { title: 'Wedding', bank_account_number: '12345678', owner_email: 'b@example.com' } }]);
    await expectPgError(q('SELECT raw_user_meta_data FROM auth.users'), '42501', /permission denied for table users/);
  });
});

test("err (message): a column without a table in a query joining auth.users with a table that lacks it is auth.users' (email), one the other table has is not (full_name); PGlite: anon gets the email", async () => {
  const sql = `CREATE TABLE public.profiles (id uuid PRIMARY KEY, full_name text);
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.directory() RETURNS TABLE (email text, full_name text) LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$
  SELECT email::text, full_name FROM auth.users u JOIN public.profiles p ON p.id = u.id
$$;
`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_directory.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /returns data \(email\) of rows of auth\.users/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(`CREATE TABLE auth.users (id uuid PRIMARY KEY, email varchar(255)); REVOKE ALL ON auth.users FROM PUBLIC`);
    await q(sql);
    await q(`INSERT INTO auth.users VALUES ('${TENANT_B}', 'b@example.com'); INSERT INTO public.profiles VALUES ('${TENANT_B}', 'Bea'); SET ROLE anon`);
    assert.deepEqual(await q('SELECT * FROM public.directory()'), [{ email: 'b@example.com', full_name: 'Bea' }]);
  });
});

// Existence oracles (the-suite's user_exists): a yes/no or a number about accounts the caller
// chooses by e-mail address or phone number. auth.users with the columns the cases below look up.
const ORACLE_USERS_SQL = `CREATE TABLE auth.users (id uuid PRIMARY KEY, email varchar(255), phone text, confirmation_token text, created_at timestamptz DEFAULT now());
REVOKE ALL ON auth.users FROM PUBLIC`;
const VICTIM = 'victim@example.com';
const VICTIM_PHONE = '15550100';

async function oraclePlatform(q: Q, sql: string): Promise<void> {
  await q(AUTH_STUB_SQL);
  await q(ORACLE_USERS_SQL);
  await q('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO anon, authenticated, service_role');
  await q(sql);
  await q(`INSERT INTO auth.users (id, email, phone, confirmation_token) VALUES ('${TENANT_B}', '${VICTIM}', '${VICTIM_PHONE}', 'secret-token'), ('${TENANT_A}', 'a@example.com', null, null)`);
}

test("err: user_exists(p_email) (Invalid example 3, the-suite's existence check): a boolean telling whether an e-mail address has an account; PGlite: anon gets true for a registered address, false for another, and 42501 from auth.users", async () => {
  const { ws, finding } = invalidFinding(ID, 2);
  assert.equal(textAt(ws, finding), 'public.user_exists');
  assert.equal(nestedParentheses(finding.message), undefined);
  assert.match(
    finding.message,
    /^SECURITY DEFINER function public\.user_exists\(text\) can be called by PUBLIC \(every role, anon and authenticated included\) and tells whether an account of auth\.users matches the e-mail address it is passed, p_email: it returns a boolean, none of the account's columns, but it reads auth\.users, .* on which anon and authenticated have no privilege \(a SELECT on it fails with 42501\), and never looks at who is calling .* any caller can try e-mail addresses one by one and learn which have an account \(account enumeration\)\. Revoke EXECUTE from these roles/,
  );
  await inRollback(await getDb(), async (q) => {
    await oraclePlatform(q, sqlOf(ws));
    await q('SET ROLE anon');
    assert.deepEqual(await q(`SELECT public.user_exists('${VICTIM.toUpperCase()}') AS r`), [{ r: true }]);
    assert.deepEqual(await q(`SELECT public.user_exists('nobody@example.com') AS r`), [{ r: false }]);
    await expectPgError(q('SELECT 1 FROM auth.users'), '42501', /permission denied for table users/);
  });
});

test('err→ok: the fix on user_exists revokes EXECUTE from PUBLIC, anon and authenticated: the migration re-lints clean and the call fails with 42501', async () => {
  const { ws, finding } = invalidFinding(ID, 2);
  const fixed = applyFix(ws, finding);
  assert.deepEqual(findingsOf(fixed, ID), []);
  await inRollback(await getDb(), async (q) => {
    await oraclePlatform(q, sqlOf(fixed));
    await q('SET ROLE anon');
    await expectPgError(q(`SELECT public.user_exists('${VICTIM}')`), '42501', /permission denied for function user_exists/);
  });
});

test("ok: is_my_email(p_email) (Valid example 4) looks up the caller's own account only; PGlite: user A gets true for its own address, false for B's; anon false", async () => {
  const { ws, mine } = lintDocExample(ID, 'valid', 3);
  assert.equal(mine.length, 0);
  await inRollback(await getDb(), async (q) => {
    await oraclePlatform(q, sqlOf(ws));
    await q('SET ROLE anon');
    assert.deepEqual(await q(`SELECT public.is_my_email('${VICTIM}') AS r`), [{ r: false }]);
    await q('RESET ROLE');
    await asUserA(q);
    assert.deepEqual(await q(`SELECT public.is_my_email('a@example.com') AS mine, public.is_my_email('${VICTIM}') AS other`), [{ mine: true, other: false }]);
  });
});

/** Functions telling whether an account matches what the caller passes: each reported, with what anon (or a signed-in user) gets for the victim's address or phone, and for one without account. */
const ORACLES: Array<{ name: string; sql: string; call: (v: string) => string; message: RegExp; yes: unknown; no: unknown; as?: 'user' }> = [
  {
    name: "PL/pgSQL RETURN exists (… lower(email) = lower(p_email)), no search_path (the-suite's own text)",
    sql: `CREATE FUNCTION public.o_thesuite(p_email text) RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER AS $f$
begin
  return exists (select 1 from auth.users where lower(email) = lower(p_email));
end;
$f$;`,
    call: (v) => `SELECT public.o_thesuite('${v}') AS r`,
    message: /tells whether an account of auth\.users matches the e-mail address it is passed, p_email: it returns a boolean/,
    yes: [{ r: true }],
    no: [{ r: false }],
  },
  {
    name: 'SELECT id INTO v … then IF v IS NULL THEN RETURN false',
    sql: `CREATE FUNCTION public.o_into(p_email text) RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $f$
DECLARE v uuid;
BEGIN
  SELECT id INTO v FROM auth.users WHERE email = p_email;
  IF v IS NULL THEN RETURN false; END IF;
  RETURN true;
END $f$;`,
    call: (v) => `SELECT public.o_into('${v}') AS r`,
    message: /matches the e-mail address it is passed, p_email/,
    yes: [{ r: true }],
    no: [{ r: false }],
  },
  {
    name: "a parameter named email, u.email = lower($1) INTO a variable, IF found THEN RETURN true (milad-alizadeh/ApperitifDB's does_email_exist)",
    sql: `CREATE FUNCTION public.o_named(email text) RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = public STABLE AS $f$
DECLARE val text;
BEGIN
  SELECT u.email INTO val FROM auth.users u WHERE u.email = lower($1);
  IF found THEN RETURN true; ELSE RETURN false; END IF;
END $f$;`,
    call: (v) => `SELECT public.o_named('${v}') AS r`,
    message: /matches the e-mail address it is passed, email: it returns a boolean/,
    yes: [{ r: true }],
    no: [{ r: false }],
  },
  {
    name: 'count(*) INTO n, RETURN n > 0',
    sql: `CREATE FUNCTION public.o_count(p_email text) RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $f$
DECLARE n int;
BEGIN
  SELECT count(*) INTO n FROM auth.users u WHERE u.email = p_email;
  RETURN n > 0;
END $f$;`,
    call: (v) => `SELECT public.o_count('${v}') AS r`,
    message: /matches the e-mail address it is passed/,
    yes: [{ r: true }],
    no: [{ r: false }],
  },
  {
    name: 'PERFORM … then RETURN FOUND',
    sql: `CREATE FUNCTION public.o_found(p_email text) RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $f$
BEGIN
  PERFORM 1 FROM auth.users WHERE email = $1;
  RETURN FOUND;
END $f$;`,
    call: (v) => `SELECT public.o_found('${v}') AS r`,
    message: /matches the e-mail address it is passed, p_email/,
    yes: [{ r: true }],
    no: [{ r: false }],
  },
  {
    name: 'IF EXISTS (…) THEN v := true; END IF; RETURN v',
    sql: `CREATE FUNCTION public.o_flag(p_email text) RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $f$
DECLARE v boolean := false;
BEGIN
  IF EXISTS (SELECT 1 FROM auth.users WHERE email = p_email) THEN v := true; END IF;
  RETURN v;
END $f$;`,
    call: (v) => `SELECT public.o_flag('${v}') AS r`,
    message: /matches the e-mail address it is passed/,
    yes: [{ r: true }],
    no: [{ r: false }],
  },
  {
    name: 'IF EXISTS (…) THEN RAISE: the error is the answer',
    sql: `CREATE FUNCTION public.o_raise(p_email text) RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $f$
BEGIN
  IF EXISTS (SELECT 1 FROM auth.users WHERE email = p_email) THEN RAISE EXCEPTION 'already registered'; END IF;
  RETURN true;
END $f$;`,
    call: (v) => `SELECT public.o_raise('${v}') AS r`,
    message: /matches the e-mail address it is passed/,
    yes: 'P0001',
    no: [{ r: true }],
  },
  {
    name: 'LANGUAGE sql count(*) by phone = $1 (a number: whether, or how many)',
    sql: `CREATE FUNCTION public.o_phone(text) RETURNS integer LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$
  SELECT count(*)::int FROM auth.users WHERE phone = $1
$$;`,
    call: (v) => `SELECT public.o_phone('${v === VICTIM ? VICTIM_PHONE : '15550199'}') AS r`,
    message: /tells whether, or how many, accounts of auth\.users match the phone number it is passed: it returns an integer.* try phone numbers one by one/,
    yes: [{ r: 1 }],
    no: [{ r: 0 }],
  },
  {
    name: 'ILIKE a pattern, joined with profiles, IN a list',
    sql: `CREATE FUNCTION public.o_like(p_pattern text) RETURNS bigint LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$
  SELECT count(*) FROM auth.users u JOIN public.profiles p ON p.id = u.id WHERE p.active AND (u.email ILIKE p_pattern OR u.phone IN (p_pattern))
$$;`,
    call: (v) => `SELECT public.o_like('${v === VICTIM ? 'victim@%' : 'nobody@%'}')::int AS r`,
    message: /whether, or how many, accounts of auth\.users match the e-mail address or phone number it is passed, p_pattern/,
    yes: [{ r: 1 }],
    no: [{ r: 0 }],
  },
  {
    name: 'LANGUAGE sql RETURNS TABLE of a yes/no and a number',
    sql: `CREATE FUNCTION public.o_table(p_email text) RETURNS TABLE (taken boolean, n bigint) LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$
  SELECT count(*) > 0, count(*) FROM auth.users WHERE email = p_email
$$;`,
    call: (v) => `SELECT taken, n::int FROM public.o_table('${v}')`,
    message: /tells whether, or how many, accounts of auth\.users match the e-mail address it is passed, p_email: it returns only yes\/no values or numbers, none of the account's columns/,
    yes: [{ taken: true, n: 1 }],
    no: [{ taken: false, n: 0 }],
  },
  {
    name: 'a sign-in test only (IF auth.uid() IS NULL THEN RAISE): any signed-in user',
    sql: `CREATE FUNCTION public.o_signed_in(p_email text) RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $f$
BEGIN
  IF auth.uid() IS NULL THEN RAISE EXCEPTION 'sign in first'; END IF;
  RETURN EXISTS (SELECT 1 FROM auth.users WHERE email = p_email);
END $f$;`,
    call: (v) => `SELECT public.o_signed_in('${v}') AS r`,
    message: /to test whether it is NULL, i\.e\. whether anyone is signed in.* any signed-in caller can try e-mail addresses one by one/,
    yes: [{ r: true }],
    no: [{ r: false }],
    as: 'user',
  },
];

const PROFILES_SQL = `CREATE TABLE public.profiles (id uuid PRIMARY KEY, active boolean DEFAULT true);
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
CREATE TABLE public.invites (id serial PRIMARY KEY, email text, user_id uuid);
ALTER TABLE public.invites ENABLE ROW LEVEL SECURITY;
CREATE TABLE public.team_members (user_id uuid);
ALTER TABLE public.team_members ENABLE ROW LEVEL SECURITY;
`;

test('err: existence oracles in PL/pgSQL and SQL (RETURN exists, SELECT INTO, count, FOUND, a flag, a RAISE, by phone, ILIKE, a sign-in test) (or a table of them) are reported; PGlite: the caller gets one answer for the registered address (phone) and another for one without account', async () => {
  for (const o of ORACLES) {
    const sql = PROFILES_SQL + o.sql + '\n';
    const { mine } = lintFiles([{ file: 'supabase/migrations/20250716105508_oracle.sql', text: sql }], ID);
    assert.equal(mine.length, 1, o.name);
    assert.match(mine[0]!.message, o.message, o.name);
    assert.match(mine[0]!.message, /\(account enumeration\)/, o.name);
    await inRollback(await getDb(), async (q) => {
      await oraclePlatform(q, sql);
      await q(`INSERT INTO public.profiles VALUES ('${TENANT_B}')`);
      if (o.as === 'user') {
        await q('SET ROLE anon');
        const refused = await tryQuery(q, o.call(VICTIM));
        assert.match(refused.ok ? 'ok' : `${refused.error.code} ${refused.error.message}`, /^P0001 sign in first/, o.name);
        await q('RESET ROLE');
        await asUserA(q);
      } else await q('SET ROLE anon');
      const yes = await tryQuery(q, o.call(VICTIM));
      if (typeof o.yes === 'string') assert.equal(yes.ok ? 'ok' : yes.error.code, o.yes, o.name);
      else assert.deepEqual(yes.ok ? yes.rows : yes.error, o.yes, o.name);
      assert.deepEqual(await q(o.call('nobody@example.com')), o.no, o.name);
      await expectPgError(q('SELECT 1 FROM auth.users'), '42501');
    });
  }
});

test("ok: not existence oracles: the caller's own account, a lookup by id, by an e-mail with its token, a count by date, an answer that only chooses what is written, a variable only written, EXECUTE revoked, a policy's helper; PGlite: the invitation returns true either way", async () => {
  const cases: Array<[string, string]> = [
    [
      "the caller's own account (PL/pgSQL)",
      `CREATE FUNCTION public.n_mine(p_email text) RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $f$
BEGIN RETURN EXISTS (SELECT 1 FROM auth.users WHERE id = auth.uid() AND email = p_email); END $f$;`,
    ],
    ['a lookup by id', `CREATE FUNCTION public.n_id(p_id uuid) RETURNS boolean LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$ SELECT EXISTS (SELECT 1 FROM auth.users WHERE id = p_id AND email IS NOT NULL) $$;`],
    [
      'an e-mail with its token',
      `CREATE FUNCTION public.n_token(p_email text, p_token text) RETURNS boolean LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$ SELECT EXISTS (SELECT 1 FROM auth.users WHERE email = p_email AND confirmation_token = p_token) $$;`,
    ],
    ['a count by date', `CREATE FUNCTION public.n_since(p_since timestamptz) RETURNS bigint LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$ SELECT count(*) FROM auth.users WHERE created_at > p_since $$;`],
    [
      'an answer that only chooses what is written',
      `CREATE FUNCTION public.n_invite(p_email text) RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $f$
BEGIN
  IF EXISTS (SELECT 1 FROM auth.users WHERE email = p_email) THEN
    INSERT INTO public.team_members (user_id) SELECT id FROM auth.users WHERE email = p_email;
  ELSE
    INSERT INTO public.invites (email) VALUES (p_email);
  END IF;
  RETURN true;
END $f$;`,
    ],
    [
      'a variable only written',
      `CREATE FUNCTION public.n_written(p_email text) RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $f$
DECLARE v uuid;
BEGIN
  SELECT id INTO v FROM auth.users WHERE email = p_email;
  INSERT INTO public.invites (email, user_id) VALUES (p_email, v);
  RETURN true;
END $f$;`,
    ],
    [
      'EXECUTE revoked',
      `CREATE FUNCTION public.n_revoked(p_email text) RETURNS boolean LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$ SELECT EXISTS (SELECT 1 FROM auth.users WHERE email = p_email) $$;
REVOKE EXECUTE ON FUNCTION public.n_revoked(text) FROM PUBLIC, anon, authenticated;`,
    ],
    [
      "a policy's helper",
      `CREATE FUNCTION public.n_policy(p_email text) RETURNS boolean LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$ SELECT EXISTS (SELECT 1 FROM auth.users WHERE email = p_email) $$;
CREATE POLICY invited ON public.invites FOR SELECT TO authenticated USING (public.n_policy(email));`,
    ],
  ];
  for (const [name, fn] of cases) {
    const { mine, findings } = lintFiles([{ file: 'supabase/migrations/20250716105508_not_oracle.sql', text: PROFILES_SQL + fn + '\n' }], ID);
    assert.deepEqual(
      mine.map((f) => f.message),
      [],
      name,
    );
    assert.deepEqual(findings.filter((f) => f.rule === 'syntax-error'), [], name);
  }
  await inRollback(await getDb(), async (q) => {
    // (every case is a function PostgreSQL creates)
    await oraclePlatform(q, PROFILES_SQL + cases.map(([, fn]) => fn).join('\n'));
    await q('SET ROLE anon');
    assert.deepEqual(await q(`SELECT public.n_invite('${VICTIM}') AS a, public.n_invite('nobody@example.com') AS b`), [{ a: true, b: true }]);
  });
});

test("ok: DDL naming auth.users reads none of its rows (classclown's create_auth_user_trigger: DROP and CREATE TRIGGER … ON auth.users, then a constant); PGlite: anon gets {success: true}, no account's data. The same function also returning emails is reported", async () => {
  const trigger = `CREATE TABLE public.profiles (id uuid PRIMARY KEY, email text);
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.handle_new_user() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $f$
BEGIN INSERT INTO public.profiles (id, email) VALUES (NEW.id, NEW.email); RETURN NEW; END $f$;
`;
  const ddl = `CREATE FUNCTION public.create_auth_user_trigger() RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $f$
BEGIN
  DROP TRIGGER IF EXISTS on_auth_user_created ON auth.users;
  CREATE TRIGGER on_auth_user_created AFTER INSERT ON auth.users FOR EACH ROW EXECUTE FUNCTION public.handle_new_user();
  RETURN jsonb_build_object('success', true);
END $f$;
`;
  const file = 'supabase/migrations/20250524000000_create_auth_trigger_functions.sql';
  assert.deepEqual(lintFiles([{ file, text: trigger + ddl }], ID).mine.map((f) => f.message), []);
  // (a query of auth.users beside the DDL still returns account data)
  const leaky = ddl.replace("RETURN jsonb_build_object('success', true);", "RETURN (SELECT jsonb_agg(email) FROM auth.users);");
  const { mine } = lintFiles([{ file, text: trigger + leaky }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /create_auth_user_trigger\(\) can be called by PUBLIC .* returns data \(email\) of rows of auth\.users/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(`CREATE TABLE auth.users (id uuid PRIMARY KEY, email varchar(255)); REVOKE ALL ON auth.users FROM PUBLIC`);
    await q(trigger + ddl);
    await q(`INSERT INTO auth.users VALUES ('${TENANT_B}', 'b@example.com'); SET ROLE anon`);
    assert.deepEqual(await q('SELECT public.create_auth_user_trigger() AS r'), [{ r: { success: true } }]);
    await q('RESET ROLE');
    assert.deepEqual(await q(`SELECT tgname FROM pg_trigger WHERE tgrelid = 'auth.users'::regclass`), [{ tgname: 'on_auth_user_created' }]);
    await q('SET ROLE anon');
    await expectPgError(q('SELECT email FROM auth.users'), '42501', /permission denied for table users/);
  });
});

// Calibration cal95 (steve-piece's bootstrap_organization): auth.users' e-mail and name are copied
// into a new user_profiles row by sub-selects in the INSERT's VALUES; the function returns something
// else. The message said the caller learns whether an account exists.
const PROFILE_SQL = `CREATE TABLE public.user_profiles (user_id uuid PRIMARY KEY, email text NOT NULL, full_name text);
ALTER TABLE public.user_profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON public.user_profiles FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE FUNCTION public.bootstrap_profile(p_user_id uuid) RETURNS text LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE v text;
BEGIN
  INSERT INTO public.user_profiles (user_id, email, full_name)
  VALUES (p_user_id, coalesce((SELECT email FROM auth.users WHERE id = p_user_id), ''), (SELECT coalesce(raw_user_meta_data->>'full_name', '') FROM auth.users WHERE id = p_user_id))
  ON CONFLICT (user_id) DO NOTHING;
  RETURN 'ok';
END $$;
`;

test("ok: auth.users' e-mail and name copied into a table by sub-selects of an INSERT that returns nothing (bootstrap_organization) are not reported; RETURNING them to the caller is; PGlite: the caller gets 'ok' for an id with an account and for one without, and reads no e-mail", async () => {
  const file = 'supabase/migrations/20250101000000_profiles.sql';
  assert.deepEqual(lintFiles([{ file, text: PROFILE_SQL }], ID).mine, []);
  const returning = PROFILE_SQL.replace('ON CONFLICT (user_id) DO NOTHING;', 'ON CONFLICT (user_id) DO NOTHING RETURNING email INTO v;').replace("RETURN 'ok';", 'RETURN v;');
  assert.equal(lintFiles([{ file, text: returning }], ID).mine.length, 1, 'the copied e-mail handed back');
  await inRollback(await getDb(), async (q) => {
    await onPlatform(q, PROFILE_SQL);
    await asUserA(q);
    assert.deepEqual(await q(`SELECT public.bootstrap_profile('${TENANT_B}') AS r`), [{ r: 'ok' }], 'an id with an account');
    assert.deepEqual(await q(`SELECT public.bootstrap_profile('00000000-0000-0000-0000-0000000000ff') AS r`), [{ r: 'ok' }], 'an id without one: the same answer');
    assert.deepEqual(await q('SELECT * FROM public.user_profiles'), [], 'the copied e-mail is not A’s to read');
  });
});

// Calibration cal163 (steve-piece/subdomain-isolated-turborepo's activate_reservation): a lookup
// checked with `IF NOT FOUND THEN RAISE`, then auth.users' e-mail read INTO a variable and copied,
// with a sub-select's name, into user_profiles by an INSERT that returns nothing; the function
// returns the new organization's id. FOUND was taken to tell of every statement of the body, so the
// copy was said to "return data (email) of rows of auth.users": FOUND tells of the last statement run
// before it is read, and this body reads it before the copy, with no loop to come back to it.
const ACTIVATE_SQL = `CREATE TABLE public.reservations (user_id uuid PRIMARY KEY, subdomain text NOT NULL);
ALTER TABLE public.reservations ENABLE ROW LEVEL SECURITY;
CREATE TABLE public.orgs (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), subdomain text, owner_id uuid);
ALTER TABLE public.orgs ENABLE ROW LEVEL SECURITY;
CREATE TABLE public.user_profiles (user_id uuid PRIMARY KEY, org_id uuid, email text, full_name text);
ALTER TABLE public.user_profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON public.user_profiles FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE FUNCTION public.activate(p_user_id uuid) RETURNS uuid LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_sub text;
  v_org uuid;
  v_email text;
BEGIN
  SELECT subdomain INTO v_sub FROM reservations WHERE user_id = p_user_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no reservation';
  END IF;
  SELECT email INTO v_email FROM auth.users WHERE id = p_user_id;
  INSERT INTO orgs (subdomain, owner_id) VALUES (v_sub, p_user_id) RETURNING id INTO v_org;
  INSERT INTO user_profiles (user_id, org_id, email, full_name)
  VALUES (p_user_id, v_org, v_email, (SELECT raw_user_meta_data->>'full_name' FROM auth.users WHERE id = p_user_id))
  ON CONFLICT (user_id) DO UPDATE SET org_id = EXCLUDED.org_id, email = EXCLUDED.email;
  RETURN v_org;
END $$;
`;

test("ok: auth.users' e-mail copied into a table after an IF NOT FOUND that checks an earlier lookup (activate_reservation) is not reported; a FOUND read after the copy, or in a loop, still is; PGlite: FOUND there tells of the lookup, and the caller gets a new id for an id with an account and for one without, and reads no e-mail", async () => {
  const file = 'supabase/migrations/20250101000000_activate.sql';
  assert.deepEqual(lintFiles([{ file, text: ACTIVATE_SQL }], ID).mine, []);
  // (FOUND read after the e-mail's SELECT … INTO, or after the INSERT copying the name: it may tell of them)
  const foundAfterRead = ACTIVATE_SQL.replace('FROM auth.users WHERE id = p_user_id;\n', "FROM auth.users WHERE id = p_user_id;\n  IF NOT FOUND THEN RAISE EXCEPTION 'no account'; END IF;\n");
  assert.equal(lintFiles([{ file, text: foundAfterRead }], ID).mine.length, 1, 'FOUND after the SELECT … INTO');
  const foundAfterCopy = ACTIVATE_SQL.replace('  RETURN v_org;', "  IF NOT FOUND THEN RAISE EXCEPTION 'not copied'; END IF;\n  RETURN v_org;");
  assert.equal(lintFiles([{ file, text: foundAfterCopy }], ID).mine.length, 1, 'FOUND after the INSERT');
  // (in a loop, the check written first may run after the copy)
  const looped = ACTIVATE_SQL.replace('  SELECT subdomain INTO v_sub', '  FOR i IN 1..2 LOOP\n  SELECT subdomain INTO v_sub').replace('  RETURN v_org;', '  END LOOP;\n  RETURN v_org;');
  assert.equal(lintFiles([{ file, text: looped }], ID).mine.length, 1, 'a loop');
  await inRollback(await getDb(), async (q) => {
    await onPlatform(q, ACTIVATE_SQL);
    const none = '00000000-0000-0000-0000-0000000000ff';
    await q(`INSERT INTO public.reservations VALUES ('${TENANT_B}', 'b'), ('${none}', 'x')`);
    await asUserA(q);
    const withAccount = await q(`SELECT public.activate('${TENANT_B}') AS r`);
    const without = await q(`SELECT public.activate('${none}') AS r`);
    assert.match(String(withAccount[0]?.r), /^[0-9a-f-]{36}$/, 'an id with an account: a new org id');
    assert.match(String(without[0]?.r), /^[0-9a-f-]{36}$/, 'an id without one: the same kind of answer');
    assert.deepEqual(await q('SELECT * FROM public.user_profiles'), [], "the copied e-mail is not A's to read");
    await q('RESET ROLE');
    assert.deepEqual(await q(`SELECT email, full_name FROM public.user_profiles WHERE user_id = '${TENANT_B}'`), [{ email: 'b@example.com', full_name: 'Bob' }], 'copied there');
    // (the IF NOT FOUND tells of the reservation lookup: an account without one raises)
    await asUserA(q);
    await expectPgError(q(`SELECT public.activate('${TENANT_A}')`), 'P0001', /no reservation/);
  });
});

// Calibration cal104 (nuxtsupabucket's assume_app_user_tenancy: it activates a tenancy row, writes
// the user's claims into auth.users.raw_user_meta_data with an UPDATE that returns nothing, and
// returns the tenancy row). The message said it "returns data of rows of auth.users" and that any
// caller "can read other users' accounts": the UPDATE's target is a bare RangeVar the statement
// walk did not see, and PostgreSQL 18's parser keeps RETURNING in returningClause.
const TENANCY_SQL = `CREATE TABLE public.tenancy (id uuid PRIMARY KEY, app_user_id uuid NOT NULL, status text NOT NULL);
ALTER TABLE public.tenancy ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.assume_tenancy(p_id uuid) RETURNS public.tenancy LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE t public.tenancy;
BEGIN
  UPDATE public.tenancy SET status = 'active' WHERE id = p_id RETURNING * INTO t;
  UPDATE auth.users SET raw_user_meta_data = jsonb_build_object('tenancy', t.id) WHERE id = t.app_user_id;
  RETURN t;
END $$;
`;
const COPY_SQL = `CREATE TABLE public.mail_log (email text);
CREATE FUNCTION public.log_mail(p_id uuid) RETURNS SETOF text LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$
  INSERT INTO public.mail_log SELECT email FROM auth.users WHERE id = p_id RETURNING email
$$;
`;

test("err (message): an UPDATE of auth.users that returns nothing changes accounts, it returns none of their data (assume_app_user_tenancy); an INSERT … SELECT email FROM auth.users … RETURNING email in a SQL function returns it; PGlite: user A changes B's metadata and gets the tenancy row, no auth.users column; anon gets B's e-mail from log_mail", async () => {
  const file = 'supabase/migrations/20250101000000_tenancy.sql';
  const [f] = lintFiles([{ file, text: TENANCY_SQL }], ID).mine;
  assert.ok(f);
  assert.match(f.message, /^SECURITY DEFINER function public\.assume_tenancy\(uuid\) can be called by PUBLIC .*? and changes rows of auth\.users, Supabase's table/);
  assert.doesNotMatch(f.message, /returns data|read other users/);
  assert.match(f.message, /any caller can change other users' accounts\./);
  // (RETURNING of auth.users' own columns is returned data, named)
  const returning = TENANCY_SQL.replace("WHERE id = t.app_user_id;", 'WHERE id = t.app_user_id RETURNING email INTO e;').replace('DECLARE t public.tenancy;', 'DECLARE t public.tenancy; e text;').replace('RETURNS public.tenancy', 'RETURNS text').replace('RETURN t;', 'RETURN e;');
  assert.match(lintFiles([{ file, text: returning }], ID).mine[0]!.message, /and returns data \(email\) of rows of auth\.users, and changes rows of auth\.users/);
  const [copy] = lintFiles([{ file, text: COPY_SQL }], ID).mine;
  assert.match(copy?.message ?? '', /^SECURITY DEFINER function public\.log_mail\(uuid\) can be called by PUBLIC .*? and returns data of rows of auth\.users, /);
  await inRollback(await getDb(), async (q) => {
    await onPlatform(q, TENANCY_SQL + COPY_SQL);
    await q(`INSERT INTO public.tenancy VALUES ('${TENANT_B}', '${TENANT_B}', 'inactive')`);
    await asUserA(q);
    const got = await q(`SELECT * FROM public.assume_tenancy('${TENANT_B}')`);
    assert.deepEqual(got, [{ id: TENANT_B, app_user_id: TENANT_B, status: 'active' }], "the tenancy row: none of auth.users' columns");
    await q('RESET ROLE');
    assert.deepEqual(await q(`SELECT raw_user_meta_data AS m FROM auth.users WHERE id = '${TENANT_B}'`), [{ m: { tenancy: TENANT_B } }], "B's account changed by A");
    await q('SET ROLE anon');
    assert.deepEqual(await q(`SELECT public.log_mail('${TENANT_B}') AS e`), [{ e: 'b@example.com' }]);
  });
});

test("err (message): a function that only INSERTs into auth.users (supabase/supabase's slack-clone create_user(email)) adds accounts, it changes none: anon creates one with the e-mail it passes, the existing accounts stay as they were, and one with an e-mail already taken fails with 23505; with an UPDATE the message says it changes other users' accounts", async () => {
  const sql = `CREATE OR REPLACE FUNCTION public.create_user(email text) RETURNS uuid SECURITY DEFINER SET search_path = auth, pg_temp AS $$
declare
  user_id uuid;
BEGIN
  user_id := gen_random_uuid();
  INSERT INTO auth.users (id, email) VALUES (user_id, email) RETURNING id INTO user_id;
  RETURN user_id;
END;
$$ LANGUAGE plpgsql;
`;
  const file = 'supabase/migrations/20240101000000_users.sql';
  const { ws, mine } = lintFiles([{ file, text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /can be called by PUBLIC .* and adds rows to auth\.users, .* any caller can create accounts in auth\.users with the values it passes \(an e-mail address no account has yet, for one; it changes no existing account\)\./);
  assert.doesNotMatch(mine[0]!.message, /change other users' accounts/);
  // (an UPDATE, or an upsert, does change them)
  for (const other of [
    sql.replace('INSERT INTO auth.users (id, email) VALUES (user_id, email) RETURNING id INTO user_id;', 'UPDATE auth.users SET email = create_user.email WHERE id = user_id;'),
    sql.replace('RETURNING id INTO user_id;', 'ON CONFLICT (id) DO UPDATE SET email = excluded.email RETURNING id INTO user_id;'),
    // (a reset that empties auth.users first: every existing account goes; regression check, Cap-go's reset_and_seed_data)
    sql.replace('INSERT INTO auth.users', 'TRUNCATE TABLE auth.users CASCADE;\n  INSERT INTO auth.users'),
  ])
    assert.match(lintFiles([{ file, text: other }], ID).mine[0]!.message, /and changes rows of auth\.users, .* any caller can change other users' accounts\./);
  await inRollback(await getDb(), async (q) => {
    await migrate(q, ws);
    await q('CREATE UNIQUE INDEX ON auth.users (email)');
    await q('SET ROLE anon');
    await q(`SELECT public.create_user('c@example.com')`);
    const taken = await tryQuery(q, `SELECT public.create_user('b@example.com')`);
    assert.equal(taken.ok ? '' : taken.error.code, '23505', 'an e-mail already taken is refused');
    await q('RESET ROLE');
    assert.deepEqual((await q('SELECT email, raw_app_meta_data FROM auth.users ORDER BY email')).map((r) => [r.email, r.raw_app_meta_data]), [
      ['a@example.com', {}],
      ['b@example.com', {}],
      ['c@example.com', null],
    ], 'anon added an account; the others are as they were');
    // the reset variant: anon's call empties auth.users (PGlite: the others are gone)
    await q(`CREATE OR REPLACE FUNCTION public.reset_user(email text) RETURNS void SECURITY DEFINER SET search_path = '' LANGUAGE plpgsql AS $$ BEGIN TRUNCATE TABLE auth.users CASCADE; INSERT INTO auth.users (id, email) VALUES (gen_random_uuid(), email); END $$`);
    await q('SET ROLE anon');
    await q(`SELECT public.reset_user('mallory@example.com')`);
    await q('RESET ROLE');
    assert.deepEqual((await q('SELECT email FROM auth.users')).map((r) => r.email), ['mallory@example.com'], "anon's call removed every other account");
  });
});

test("err: a definer whose only look at the caller is current_user (`AND current_user <> 'anon'`) asks its owner, not the caller: reported, the message saying current_user is its owner here (was: not reported); PGlite: anon gets user B's email", async () => {
  const text = `CREATE FUNCTION public.email_of(p_id uuid) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT email FROM auth.users WHERE id = p_id AND current_user <> 'anon'
$$;
`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_e.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /never looks at who is calling \(no `auth\.uid\(\)` or `auth\.jwt\(\)`, `current_setting\(\)` or function that uses them; `current_user` is its owner here, not the caller: what it is compared with or records is the same for every caller\): /);
  assert.equal(nestedParentheses(mine[0]!.message), undefined);
  await inRollback(await getDb(), async (q) => {
    await migrate(q, ws);
    await q('SET ROLE anon');
    assert.deepEqual(await q(`SELECT public.email_of('${TENANT_B}') AS e, current_user AS c`), [{ e: 'b@example.com', c: 'anon' }], "current_user in the function is its owner, so <> 'anon' holds for anon too");
  });
});

/**
 * Supabase's auth.users as the platform has it for TRUNCATE: the Auth server's auth.identities and
 * auth.sessions reference it (ON DELETE CASCADE, as supabase/auth's migrations make them), row-level
 * security on, no privilege for the API roles; two accounts with an identity and a session each,
 * then the migrations (run by the superuser, as Supabase's postgres, which holds ALL on the auth
 * tables) and a profile per account.
 */
async function withIdentities(q: Q, sql: string): Promise<void> {
  await q(AUTH_STUB_SQL);
  await q(`CREATE TABLE auth.users (id uuid PRIMARY KEY, email varchar(255));
           CREATE TABLE auth.identities (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE);
           CREATE TABLE auth.sessions (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE);
           ALTER TABLE auth.users ENABLE ROW LEVEL SECURITY;
           REVOKE ALL ON auth.users, auth.identities, auth.sessions FROM PUBLIC`);
  await q('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO anon, authenticated, service_role');
  await q(sql);
  await q(`INSERT INTO auth.users VALUES ('${TENANT_A}', 'a@example.com'), ('${TENANT_B}', 'b@example.com');
           INSERT INTO auth.identities (user_id) VALUES ('${TENANT_A}'), ('${TENANT_B}');
           INSERT INTO auth.sessions (user_id) VALUES ('${TENANT_A}'), ('${TENANT_B}');
           INSERT INTO public.profiles VALUES ('${TENANT_A}', 'a'), ('${TENANT_B}', 'b')`);
}

/** How many rows auth.users, auth.identities, auth.sessions and public.profiles hold (as the superuser). */
async function accountRows(q: Q): Promise<number[]> {
  await q('RESET ROLE');
  const [r] = await q('SELECT (SELECT count(*) FROM auth.users)::int AS u, (SELECT count(*) FROM auth.identities)::int AS i, (SELECT count(*) FROM auth.sessions)::int AS s, (SELECT count(*) FROM public.profiles)::int AS p');
  return [r!.u, r!.i, r!.s, r!.p];
}

test("err: a definer that only runs TRUNCATE auth.users CASCADE (an end-to-end tests' reset_test_data()) lets anon delete every account: anon's own TRUNCATE fails with 42501, its call empties auth.users, the identities and sessions referencing it and the project's profiles; the fix's REVOKE makes the call fail with 42501 and re-lints clean. Without CASCADE PostgreSQL refuses it (0A000: auth.identities references auth.users), nothing is deleted, and neither this rule nor definer-execute-granted-to-public says it empties auth.users", async () => {
  const sql = `CREATE TABLE public.profiles (id uuid PRIMARY KEY REFERENCES auth.users (id) ON DELETE CASCADE, username text NOT NULL);
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY "profiles: own" ON public.profiles FOR SELECT TO authenticated USING (id = (select auth.uid()));

CREATE OR REPLACE FUNCTION public.reset_test_data() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  TRUNCATE auth.users CASCADE;
END;
$$;
`;
  const file = 'supabase/migrations/20240101000000_reset.sql';
  const { ws, mine } = lintFiles([{ file, text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'public.reset_test_data');
  assert.equal(nestedParentheses(mine[0]!.message), undefined);
  assert.match(
    mine[0]!.message,
    /^SECURITY DEFINER function public\.reset_test_data\(\) can be called by PUBLIC \(every role, anon and authenticated included\) and empties auth\.users with TRUNCATE … CASCADE, Supabase's table of every account's email, phone, metadata and password hash, on which anon and authenticated have no privilege, but never looks at who is calling .* which include TRUNCATE on auth\.users, and TRUNCATE asks for that privilege alone: not the caller's, who has none, nor any policy \(row-level security does not apply to TRUNCATE\)\. So any caller can delete every account at once, and CASCADE empties with auth\.users every table whose foreign keys reference it, in turn: Supabase's auth\.identities, auth\.sessions, auth\.mfa_factors, auth\.one_time_tokens .*, and this project's public\.profiles\. Revoke EXECUTE from these roles/,
  );
  await inRollback(await getDb(), async (q) => {
    await withIdentities(q, sqlOf(ws));
    assert.deepEqual(await accountRows(q), [2, 2, 2, 2]);
    await q('SET ROLE anon');
    const own = await tryQuery(q, 'TRUNCATE auth.users CASCADE');
    assert.equal(own.ok ? '' : own.error.code, '42501', "anon's own TRUNCATE: permission denied for table users");
    await q('SELECT public.reset_test_data()');
    assert.deepEqual(await accountRows(q), [0, 0, 0, 0], "anon's call deleted every account, identity, session and profile");
  });
  const fixed = applyFix(ws, mine[0]!);
  assert.match(sqlOf(fixed), /REVOKE EXECUTE ON FUNCTION public\.reset_test_data\(\) FROM PUBLIC, anon, authenticated;/);
  assert.deepEqual(findingsOf(fixed, ID), []);
  await inRollback(await getDb(), async (q) => {
    await withIdentities(q, sqlOf(fixed));
    for (const role of ['anon', 'authenticated']) {
      await q(`SET ROLE ${role}`);
      const r = await tryQuery(q, 'SELECT public.reset_test_data()');
      assert.equal(r.ok ? '' : r.error.code, '42501', `${role}: permission denied for function`);
    }
    assert.deepEqual(await accountRows(q), [2, 2, 2, 2]);
  });
  // without CASCADE: refused, nothing said of emptying auth.users
  const plain = sql.replace('TRUNCATE auth.users CASCADE;', 'TRUNCATE auth.users;');
  const p = lintFiles([{ file, text: plain }], ID);
  assert.equal(p.mine.length, 0);
  const publicExecute = p.findings.filter((x) => x.rule === 'definer-execute-granted-to-public');
  assert.equal(publicExecute.length, 1);
  assert.doesNotMatch(publicExecute[0]!.message, /empties/);
  assert.match(lintFiles([{ file, text: sql }], 'definer-execute-granted-to-public').mine[0]!.message, /it empties auth\.users with TRUNCATE as its owner for whoever calls it/);
  await inRollback(await getDb(), async (q) => {
    await withIdentities(q, plain);
    await q('SET ROLE anon');
    const r = await tryQuery(q, 'SELECT public.reset_test_data()');
    assert.equal(r.ok ? '' : `${r.error.code} ${r.error.message}`, '0A000 cannot truncate a table referenced in a foreign key constraint');
    assert.deepEqual(await accountRows(q), [2, 2, 2, 2]);
  });
});

// Calibration (cal164, adminesde/TabunganKu_V2's create_initial_users(jsonb): SECURITY DEFINER, SET
// search_path = '', `INSERT INTO auth.users (…, encrypted_password, …) VALUES (…, crypt(… ->>
// 'password', gen_salt('bf')), …)` in a loop, EXCEPTION WHEN OTHERS returning the error as JSON,
// EXECUTE granted to authenticated). The message said any caller "can create accounts in
// auth.users with the values it passes": as written, no call can. Supabase installs pgcrypto in
// schema extensions, which '' does not list, so PL/pgSQL's plan of the INSERT fails with 42883 and
// the handler returns the error. The finding stays (the hole opens with the search_path fixed),
// and the message now says the INSERT fails as written.
test("err (message): a definer whose INSERT into auth.users calls crypt()/gen_salt() unqualified under SET search_path = '' adds no account as written: said so; PGlite: 42883, caught; with extensions in its path anon creates an account", async () => {
  const sql = `CREATE OR REPLACE FUNCTION public.create_initial_users(users_json JSONB)
RETURNS JSONB
LANGUAGE PLPGSQL
SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
  user_data JSONB;
  new_user_id UUID;
BEGIN
  FOR user_data IN SELECT * FROM jsonb_array_elements(users_json)
  LOOP
    INSERT INTO auth.users (id, email, encrypted_password)
    VALUES (gen_random_uuid(), user_data ->> 'email', crypt(user_data ->> 'password', gen_salt('bf')))
    RETURNING id INTO new_user_id;
  END LOOP;
  RETURN jsonb_build_object('ok', true);
EXCEPTION
  WHEN OTHERS THEN
    RETURN jsonb_build_object('error', SQLERRM);
END;
$$;
GRANT EXECUTE ON FUNCTION public.create_initial_users(JSONB) TO authenticated;
`;
  const file = 'supabase/migrations/0008_membuat_fungsi_sql_create_initial_users.sql';
  const { ws, mine } = lintFiles([{ file, text: sql }], ID);
  assert.equal(mine.length, 1);
  const m = mine[0]!.message;
  assert.match(m, /and adds rows to auth\.users, .* any caller can create accounts in auth\.users with the values it passes/);
  assert.match(m, / \(As written, though, its INSERT into auth\.users calls crypt\(\), gen_salt\(\) without a schema, and its SET search_path \(''\) does not list extensions, where Supabase installs pgcrypto: a call that reaches it gets 42883 \(function does not exist\), which its EXCEPTION clause may catch, and adds no account; the above holds once that is fixed\.\)$/);
  // (with extensions in its path, or the functions qualified: no such note)
  for (const fixed of [sql.replace("SET search_path = ''", 'SET search_path = public, extensions, pg_temp'), sql.replace("crypt(user_data ->> 'password', gen_salt('bf'))", "extensions.crypt(user_data ->> 'password', extensions.gen_salt('bf'))")]) {
    const [f] = lintFiles([{ file, text: fixed }], ID).mine;
    assert.match(f!.message, /any caller can create accounts in auth\.users/);
    assert.doesNotMatch(f!.message, /As written, though/);
  }
  await inRollback(await getDb(), async (q) => {
    // (pgcrypto's two functions, as Supabase installs them: in schema extensions; stand-ins of the same signatures)
    await q(`CREATE SCHEMA IF NOT EXISTS extensions;
             CREATE FUNCTION extensions.gen_salt(text) RETURNS text LANGUAGE sql AS $f$ SELECT '$2a$06$salt' $f$;
             CREATE FUNCTION extensions.crypt(text, text) RETURNS text LANGUAGE sql AS $f$ SELECT $2 || md5($1) $f$;
             GRANT USAGE ON SCHEMA extensions TO PUBLIC`);
    await migrate(q, ws);
    await q('ALTER TABLE auth.users ADD COLUMN encrypted_password text');
    await q('SET ROLE anon');
    const [got] = await q(`SELECT public.create_initial_users('[{"email": "c@example.com", "password": "x"}]') AS r`);
    assert.match(String(got!.r.error), /^function (gen_salt|crypt)\(.*\) does not exist$/, '42883, caught by the handler');
    await q('RESET ROLE');
    assert.equal((await q(`SELECT count(*)::int AS n FROM auth.users WHERE email = 'c@example.com'`))[0]!.n, 0, 'no account added');
    // the path fixed: anon creates an account
    await q(`ALTER FUNCTION public.create_initial_users(jsonb) SET search_path = public, extensions, pg_temp`);
    await q('SET ROLE anon');
    assert.deepEqual((await q(`SELECT public.create_initial_users('[{"email": "c@example.com", "password": "x"}]') AS r`))[0]!.r, { ok: true });
    await q('RESET ROLE');
    assert.equal((await q(`SELECT count(*)::int AS n FROM auth.users WHERE email = 'c@example.com'`))[0]!.n, 1, 'anon added an account');
  });
});

// A login check or a password change that finds the account by e-mail AND by its password
// (`encrypted_password = crypt(p_password, encrypted_password)`) does not tell an address with an
// account from one without: a wrong address and a wrong password both give false. It was said to
// let any caller "learn which have an account (account enumeration)", and the change to "change
// other users' accounts" (cal183, coinhub's update_password); what it gives any caller is a
// password-guessing oracle outside Supabase Auth's sign-in and its rate limit.
test("err (message): a definer looking accounts up by e-mail and password (crypt() against encrypted_password) is a password-guessing oracle, not account enumeration; a change needing the password changes only accounts whose password the caller knows or guesses; a lookup by e-mail alone before the password test still enumerates; PGlite: anon gets false for an unknown address and for a wrong password alike, true for the right one, and changes B's password only with it", async () => {
  const sql = `CREATE FUNCTION public.verify_login(p_email text, p_password text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, extensions, pg_temp AS $$
BEGIN
  RETURN EXISTS (SELECT 1 FROM auth.users WHERE email = p_email AND encrypted_password = crypt(p_password, encrypted_password));
END;
$$;
CREATE FUNCTION public.update_password(p_email text, p_old text, p_new text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, extensions, pg_temp AS $$
BEGIN
  UPDATE auth.users SET encrypted_password = crypt(p_new, encrypted_password)
   WHERE email = p_email AND encrypted_password = crypt(p_old, encrypted_password);
  RETURN FOUND;
END;
$$;
CREATE FUNCTION public.login_status(p_email text, p_password text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, extensions, pg_temp AS $$
DECLARE h text;
BEGIN
  SELECT encrypted_password INTO h FROM auth.users WHERE email = p_email;
  IF h IS NULL THEN RETURN 'no account'; END IF;
  RETURN CASE WHEN h = crypt(p_password, h) THEN 'ok' ELSE 'wrong password' END;
END;
$$;
`;
  const file = 'supabase/migrations/20240101000000_login.sql';
  const { ws, mine } = lintFiles([{ file, text: sql }], ID);
  assert.equal(mine.length, 3);
  const [login, change, status] = mine.map((f) => f.message);
  assert.match(login!, /tells whether an account of auth\.users has the e-mail address and the password it is passed: .*A wrong address and a wrong password both find no account, so it does not tell which e-mail addresses have one; but any caller can try passwords for any e-mail address through it \(password guessing\), outside Supabase Auth's sign-in and the rate limit per IP address Supabase Auth puts on sign-ins\. Sign users in with Supabase Auth/);
  assert.doesNotMatch(login!, /enumeration|learn which have an account/);
  assert.match(change!, /changes rows of auth\.users, .*only the password limits it: it changes an account only where the password it is passed matches the account's hash \(crypt\(\)\), so any caller can try passwords for any account through it \(password guessing\).*and change the account once one matches\./);
  assert.doesNotMatch(change!, /change other users' accounts/);
  assert.match(status!, /tells whether rows of auth\.users match its arguments \(it returns none of their columns\).*learn whether an account exists for any value it passes .*account enumeration/);
  assert.doesNotMatch(status!, /returns data|encrypted_password/);
  await inRollback(await getDb(), async (q) => {
    // (pgcrypto's crypt(), as Supabase installs it in schema extensions: a stand-in of the same
    // signature that, like bcrypt's, gives the stored hash back for the right password only)
    await q(`CREATE SCHEMA IF NOT EXISTS extensions;
             CREATE FUNCTION extensions.crypt(text, text) RETURNS text LANGUAGE sql AS $f$ SELECT 'bf$' || md5($1) $f$;
             GRANT USAGE ON SCHEMA extensions TO PUBLIC`);
    await migrate(q, ws);
    await q(`ALTER TABLE auth.users ADD COLUMN encrypted_password text;
             UPDATE auth.users SET encrypted_password = 'bf$' || md5('right')`);
    await q('SET ROLE anon');
    const ask = async (e: string, p: string) => (await q(`SELECT public.verify_login('${e}', '${p}') AS r`))[0]!.r;
    assert.equal(await ask('nobody@example.com', 'guess'), false, 'no account');
    assert.equal(await ask('a@example.com', 'guess'), false, 'an account, a wrong password: the same answer');
    assert.equal(await ask('a@example.com', 'right'), true, 'the right password');
    const status = async (e: string) => (await q(`SELECT public.login_status('${e}', 'guess') AS r`))[0]!.r;
    assert.notEqual(await status('nobody@example.com'), await status('a@example.com'), 'login_status tells them apart');
    assert.equal((await q(`SELECT public.update_password('b@example.com', 'guess', 'mine') AS r`))[0]!.r, false);
    assert.equal((await q(`SELECT public.update_password('b@example.com', 'right', 'mine') AS r`))[0]!.r, true);
    await q('RESET ROLE');
    const rows = await q(`SELECT email, encrypted_password = 'bf$' || md5('mine') AS changed FROM auth.users ORDER BY email`);
    assert.deepEqual(rows.map((r) => [r.email, r.changed]), [['a@example.com', false], ['b@example.com', true]]);
    await q('SET ROLE anon');
    await expectPgError(q('SELECT email FROM auth.users'), '42501');
  });
});

// Calibration (cartesianpixels/airassist's 012_fix_analytics_foreign_key.sql): create_missing_profiles()
// loops `FOR user_record IN SELECT u.* FROM auth.users u LEFT JOIN public.profiles …` and copies each
// account without a profile into public.profiles; it returns 'Created N missing profiles', and
// names an account only in `RAISE WARNING 'Failed to create profile for user %: %', user_record.id,
// SQLERRM` when its insert fails. It was said to return data of rows of auth.users that any caller
// can read. A notice goes to the session's client, and an API caller's session is PostgREST's,
// which hands no notice to the caller (PostgREST issue 1071): what the caller gets is the text
// returned. PGlite: anon's call returns the count, no account's id or email.
test("ok: auth.users data that reaches only a RAISE WARNING / NOTICE (PostgREST hands the caller no notice) is not said to be returned (PGlite: anon gets the count only); RETURN of the same value still is", async () => {
  const sql = (tail: string) => `CREATE TABLE public.profiles (id uuid PRIMARY KEY, email text);
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON public.profiles FOR SELECT TO authenticated USING ((select auth.uid()) = id);
CREATE FUNCTION public.create_missing_profiles() RETURNS text LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  user_record auth.users%ROWTYPE;
  created_count integer := 0;
BEGIN
  FOR user_record IN SELECT u.* FROM auth.users u LEFT JOIN public.profiles p ON u.id = p.id WHERE p.id IS NULL LOOP
    BEGIN
      INSERT INTO public.profiles (id, email) VALUES (user_record.id, user_record.email);
      created_count := created_count + 1;
    EXCEPTION WHEN OTHERS THEN
      RAISE WARNING 'Failed to create profile for user %: %', user_record.id, SQLERRM;
    END;
  END LOOP;
  ${tail}
END;
$$;`;
  const file = 'supabase/migrations/20250101000000_profiles.sql';
  const warned = lintFiles([{ file, text: sql("RETURN 'Created ' || created_count || ' missing profiles';") }], ID);
  assert.equal(warned.mine.length, 0);
  // (the same loop returning the last account's email: still reported)
  const returned = lintFiles([{ file, text: sql('RETURN user_record.email;') }], ID);
  assert.equal(returned.mine.length, 1);
  assert.match(returned.mine[0]!.message, /returns data .*of rows of auth\.users/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await migrate(q, warned.ws);
    await q('SET ROLE anon');
    const r = await q('SELECT public.create_missing_profiles() AS t');
    assert.equal(r[0]!.t, 'Created 2 missing profiles');
    assert.doesNotMatch(r[0]!.t, /@example\.com|[0-9a-f]{8}-/);
  });
});

// rajattagade1999-ui/ExpensePartner's get_security_question(p_email) (20250204000005_security_question_reset.sql):
// it looks the e-mail up in auth.users INTO v_user_id, then `SELECT secret_question INTO v_question
// FROM public.profiles WHERE id = v_user_id` and returns v_question. It was said to return "data (id)
// of rows of auth.users" and let any caller "read id of other users' accounts": v_question was taken
// for auth.users' data because the query that filled it names v_user_id, though only in its WHERE.
test('err (message): a definer that looks an e-mail up in auth.users and returns another table\'s column of the row it finds is said to tell whether the account exists, not to return its id (PGlite: anon gets the question or NULL, never the id)', async () => {
  const fn = `CREATE TABLE public.profiles (id uuid PRIMARY KEY, secret_question text);
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.get_security_question(p_email text) RETURNS text LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $get_q$
DECLARE
  v_user_id uuid;
  v_question text;
BEGIN
  SELECT id INTO v_user_id FROM auth.users WHERE lower(trim(email)) = lower(trim(p_email)) LIMIT 1;
  IF v_user_id IS NULL THEN
    RETURN NULL;
  END IF;
  SELECT secret_question INTO v_question FROM public.profiles WHERE id = v_user_id;
  RETURN v_question;
END;
$get_q$;
`;
  const file = 'supabase/migrations/20250204000005_security_question_reset.sql';
  const { ws, mine } = lintFiles([{ file, text: fn }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /and tells whether rows of auth\.users match its arguments \(it returns none of their columns\), .* any caller can learn whether an account exists for any value it passes/);
  assert.doesNotMatch(mine[0]!.message, /returns data \(id\)|read id of/);
  // (a query that gives the value back, its target list the column its WHERE sets equal to it: data, as before)
  const back = fn.replace('SELECT secret_question INTO v_question FROM public.profiles WHERE id = v_user_id', 'SELECT p.id::text INTO v_question FROM public.profiles p WHERE p.id = v_user_id');
  assert.match(lintFiles([{ file, text: back }], ID).mine[0]!.message, /returns data \(id\) of rows of auth\.users/);
  // (nor one that returns the variable itself)
  assert.match(lintFiles([{ file, text: fn.replace('RETURN v_question;', 'RETURN v_user_id::text;') }], ID).mine[0]!.message, /returns data \(id\) of rows of auth\.users/);
  await inRollback(await getDb(), async (q) => {
    await migrate(q, ws);
    await q(`INSERT INTO public.profiles VALUES ('${TENANT_A}', 'first pet?')`);
    await q('SET ROLE anon');
    const ask = async (email: string) => (await q(`SELECT public.get_security_question('${email}') AS r`))[0]!.r;
    assert.deepEqual([await ask('a@example.com'), await ask('b@example.com'), await ask('nobody@example.com')], ['first pet?', null, null]);
  });
});

test("err (message): mentalspaceehr's check_client_portal_config(p_client_id) returns a client's portal e-mail from auth.users to any caller, but its RETURNS TABLE column client_id makes its query's `WHERE client_id = c.id` ambiguous: every call fails with 42702 today — the message says so, and that the exposure holds once that is fixed (PGlite: 42702; qualified, anon reads the e-mail)", async () => {
  const fn = (where: string) => `CREATE TABLE public.clients (id uuid PRIMARY KEY, first_name text, portal_user_id uuid);
ALTER TABLE public.clients ENABLE ROW LEVEL SECURITY;
CREATE TABLE public.appointments (id int PRIMARY KEY, client_id uuid);
ALTER TABLE public.appointments ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.check_client_portal_config(p_client_id uuid)
RETURNS TABLE (client_id uuid, portal_user_email text, appointment_count bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  RETURN QUERY
  SELECT c.id AS client_id, au.email::text AS portal_user_email,
    (SELECT count(*) FROM appointments WHERE ${where} = c.id) AS appointment_count
  FROM clients c LEFT JOIN auth.users au ON au.id = c.portal_user_id
  WHERE c.id = p_client_id;
END $$;
`;
  const file = 'supabase/migrations/20251009222306_portal.sql';
  const broken = lintFiles([{ file, text: fn('client_id') }], ID).mine;
  assert.equal(broken.length, 1);
  assert.match(broken[0]!.message, /returns data \(email\) of rows of auth\.users/);
  assert.match(broken[0]!.message, /\(Its query naming client_id fails as written with 42702 column reference "client_id" is ambiguous, plpgsql-ambiguous-column: a call that reaches it gets that error, not rows; the above holds for every call once that is fixed\.\)$/);
  const fixed = lintFiles([{ file, text: fn('appointments.client_id') }], ID).mine;
  assert.equal(fixed.length, 1);
  assert.doesNotMatch(fixed[0]!.message, /42702/);
  const call = `SELECT portal_user_email FROM public.check_client_portal_config('${TENANT_B}')`;
  for (const [where, ok] of [['client_id', false], ['appointments.client_id', true]] as const) {
    await inRollback(await getDb(), async (q) => {
      await q(AUTH_STUB_SQL);
      await q('CREATE TABLE IF NOT EXISTS auth.users (id uuid PRIMARY KEY, email text)');
      await q(fn(where));
      await q(`INSERT INTO auth.users (id, email) VALUES ('${TENANT_A}', 'client@example.com'); INSERT INTO public.clients VALUES ('${TENANT_B}', 'B', '${TENANT_A}')`);
      await q('SET ROLE anon');
      if (ok) assert.deepEqual(await q(call), [{ portal_user_email: 'client@example.com' }]);
      else await expectPgError(q(call), '42702', 'column reference "client_id" is ambiguous');
    });
  }
});

// NashonMuteti/Neema (a church's finance app): delete_user_by_id(uuid), SECURITY DEFINER, executable by
// PUBLIC, deletes the profile and then `DELETE FROM auth.users WHERE id = user_id_to_delete` with no
// look at the caller. It was said to let any caller "change other users' accounts": it deletes them.
const DELETE_USER_SQL = `CREATE TABLE public.profiles (id uuid PRIMARY KEY REFERENCES auth.users (id) ON DELETE CASCADE, name text);
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
CREATE OR REPLACE FUNCTION public.delete_user_by_id(user_id_to_delete uuid) RETURNS void LANGUAGE plpgsql SECURITY DEFINER AS $function$
BEGIN
  DELETE FROM public.profiles WHERE id = user_id_to_delete;
  IF EXISTS (SELECT 1 FROM auth.users WHERE id = user_id_to_delete) THEN
    DELETE FROM auth.users WHERE id = user_id_to_delete;
  END IF;
END;
$function$;
`;

test("err (message): a function that only deletes from auth.users is said to delete other users' accounts, not to change them (Neema's delete_user_by_id); PGlite: anon deletes B's account and profile", async () => {
  const { mine } = lintFiles([{ file: 'supabase/migrations/0165_delete_user.sql', text: DELETE_USER_SQL }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^SECURITY DEFINER function public\.delete_user_by_id\(uuid\) can be called by PUBLIC .*? and deletes rows of auth\.users, Supabase's table/);
  assert.match(mine[0]!.message, /any caller can delete other users' accounts/);
  assert.doesNotMatch(mine[0]!.message, /change other users' accounts/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(`CREATE TABLE auth.users (id uuid PRIMARY KEY, email varchar(255)); REVOKE ALL ON auth.users FROM PUBLIC`);
    await q(DELETE_USER_SQL);
    await q(`INSERT INTO auth.users VALUES ('${TENANT_B}', 'b@example.com'); INSERT INTO public.profiles VALUES ('${TENANT_B}', 'B')`);
    await q('SET ROLE anon');
    await q(`SELECT public.delete_user_by_id('${TENANT_B}')`);
    await q('RESET ROLE');
    assert.equal((await q('SELECT count(*)::int AS n FROM auth.users'))[0]!.n, 0, "anon deleted B's account");
    assert.equal((await q('SELECT count(*)::int AS n FROM public.profiles'))[0]!.n, 0);
  });
});

// codescribblr/budget-app (a budgeting app with shared accounts): get_user_email(uuid), SECURITY
// DEFINER and executable by PUBLIC, returns the e-mail of the account whose id it is passed; policy
// "Users can view invitations to their email" calls it as get_user_email(auth.uid()). A function a
// policy calls was left to definer-execute-granted-to-public's general message: a direct call with
// another account's id returns that account's e-mail.
const USER_EMAIL_SQL = `CREATE TABLE public.account_invitations (id bigserial PRIMARY KEY, account_id bigint, email text);
ALTER TABLE public.account_invitations ENABLE ROW LEVEL SECURITY;
CREATE OR REPLACE FUNCTION public.get_user_email(user_id_param uuid) RETURNS text LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
  user_email text;
BEGIN
  SELECT email INTO user_email FROM auth.users WHERE id = user_id_param;
  RETURN user_email;
END;
$$;
GRANT EXECUTE ON FUNCTION public.get_user_email(uuid) TO authenticated;
CREATE POLICY "Users can view invitations to their email" ON public.account_invitations FOR SELECT TO authenticated USING (email = public.get_user_email(auth.uid()));
GRANT SELECT ON public.account_invitations TO authenticated;
`;

test("err: a policy's helper returning the e-mail of the account its argument names (codescribblr's get_user_email(uuid)); no revoke fix, which would fail the policy; PGlite: anon gets B's e-mail, and with EXECUTE revoked the policy's SELECT fails with 42501", async () => {
  const { mine } = lintFiles([{ file: 'supabase/migrations/20250115000000_invitations.sql', text: USER_EMAIL_SQL }], ID);
  assert.equal(mine.length, 1);
  const m = mine[0]!.message;
  assert.match(m, /^SECURITY DEFINER function public\.get_user_email\(uuid\) can be called by PUBLIC .* returns data \(email\) of rows of auth\.users/);
  assert.match(m, /That policy "Users can view invitations to their email" on public\.account_invitations calls it, for the signed-in user's own account, does not limit who else calls it: a direct call with another account's id returns that account's email\./);
  assert.match(m, /revoking EXECUTE instead would fail every query that policy applies to \(42501 permission denied for function get_user_email\)/);
  assert.doesNotMatch(m, /or revoke EXECUTE from these roles and call it with the service role/);
  assert.deepEqual(mine[0]!.fixes, []);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(`CREATE TABLE auth.users (id uuid PRIMARY KEY, email varchar(255)); REVOKE ALL ON auth.users FROM PUBLIC`);
    await q(USER_EMAIL_SQL);
    await q(`INSERT INTO auth.users VALUES ('${TENANT_A}', 'a@example.com'), ('${TENANT_B}', 'b@example.com'); INSERT INTO public.account_invitations (account_id, email) VALUES (1, 'a@example.com'), (2, 'b@example.com')`);
    await q('SET ROLE anon');
    assert.deepEqual(await q(`SELECT public.get_user_email('${TENANT_B}') AS e`), [{ e: 'b@example.com' }], "anon reads B's e-mail");
    await q('RESET ROLE');
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.deepEqual(await q('SELECT email FROM public.account_invitations'), [{ email: 'a@example.com' }], "the policy: A's own invitation");
    await q('RESET ROLE');
    await q('REVOKE EXECUTE ON FUNCTION public.get_user_email(uuid) FROM PUBLIC, authenticated');
    await q('SET ROLE authenticated');
    const r = await tryQuery(q, 'SELECT email FROM public.account_invitations');
    assert.ok(!r.ok && r.error.code === '42501' && /permission denied for function get_user_email/.test(r.error.message), JSON.stringify(r));
  });
});
