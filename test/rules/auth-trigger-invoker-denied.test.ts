// auth-trigger-invoker-denied on PostgreSQL (PGlite): a SECURITY INVOKER trigger function on
// auth.users runs with the rights of the role that writes auth.users, Supabase's Auth server's
// supabase_auth_admin, which holds no privilege on public.profiles: the sign-up fails with 42501.
// After the fix (SECURITY DEFINER, owned by the role that ran the migrations) it passes and the
// profile row is there; granted INSERT on the table, the invoker function works too.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, count, ensureRoles, expectPgError, getDb, inRollback, type Q } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintDocExample, lintFiles, nestedParentheses, sqlOf } from '../helpers/rule-proof.js';
import { AUTH_USER, authServerPlatform as platform, signUpAsAuthServer as signUp } from '../helpers/supabase.js';

const ID = 'auth-trigger-invoker-denied';
const USER = AUTH_USER;
before(initParser);
after(closeAll);

test('err: the sign-up fails with 42501 permission denied for table profiles; after the fix (SECURITY DEFINER) it passes and makes the profile', async () => {
  const db = await getDb();
  await ensureRoles(db, ['supabase_auth_admin']);
  const { ws, finding } = invalidFinding(ID, 0);
  assert.match(finding.message, /Trigger function public\.handle_new_user\(\) runs on each INSERT of Supabase's auth\.users \(trigger on_auth_user_created\), and it is SECURITY INVOKER: it runs with the rights of the role that writes auth\.users, the Auth server's supabase_auth_admin/);
  assert.match(finding.message, /which the migrations grant no privilege on public\.profiles \(written\)/);
  assert.match(finding.message, /fails with 42501 \(permission denied for table profiles\)/);
  assert.match(finding.message, /every sign-up fails with "Database error saving new user"/);
  assert.equal(nestedParentheses(finding.message), undefined);
  await inRollback(db, async (q) => {
    await platform(q, sqlOf(ws));
    await expectPgError(signUp(q), '42501', 'permission denied for table profiles');
  });
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /ALTER FUNCTION public\.handle_new_user\(\) SECURITY DEFINER SET search_path = public, pg_temp;/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(db, async (q) => {
    await platform(q, sqlOf(fixed));
    await signUp(q);
    assert.equal(await count(q, `SELECT 1 FROM public.profiles WHERE id = '${USER}'`), 1);
  });
});

test('ok: granted INSERT on the table (no RLS), the invoker trigger works and nothing is reported; an UPDATE trigger reading a table says sign-ins fail', async () => {
  const db = await getDb();
  await ensureRoles(db, ['supabase_auth_admin']);
  const { ws, mine } = lintDocExample(ID, 'valid', 1);
  assert.equal(mine.length, 0);
  await inRollback(db, async (q) => {
    await platform(q, sqlOf(ws));
    await signUp(q);
    assert.equal(await count(q, 'public.profiles'), 1);
  });
  const text = `CREATE TABLE public.profiles (id uuid PRIMARY KEY, email text, seen_at timestamptz);
CREATE FUNCTION public.touch_profile() RETURNS trigger LANGUAGE plpgsql SET search_path = '' AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM public.profiles WHERE id = NEW.id) THEN
    RAISE NOTICE 'seen';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER on_auth_user_updated AFTER UPDATE ON auth.users FOR EACH ROW EXECUTE FUNCTION public.touch_profile();
`;
  const r = lintFiles([{ file: 'supabase/migrations/20240101000000_x.sql', text }], ID);
  assert.equal(r.mine.length, 1);
  assert.match(r.mine[0]!.message, /public\.profiles \(read\)/);
  assert.match(r.mine[0]!.message, /every sign-in and account change that updates auth\.users fails/);
  await inRollback(db, async (q) => {
    await platform(q, sqlOf(r.ws));
    await q(`INSERT INTO auth.users (id, email) VALUES ('${USER}', 'a@example.com')`);
    await q('SET LOCAL ROLE supabase_auth_admin');
    await expectPgError(q(`UPDATE auth.users SET email = 'b@example.com' WHERE id = '${USER}'`), '42501', 'permission denied for table profiles');
  });
  // (a body that sets the role, either way: nothing)
  assert.equal(lintFiles([{ file: 'supabase/migrations/20240101000000_x.sql', text: text.replace('BEGIN\n  IF EXISTS', "BEGIN\n  PERFORM set_config('role', 'postgres', true);\n  IF EXISTS") }], ID).mine.length, 0);
  assert.equal(lintFiles([{ file: 'supabase/migrations/20240101000000_x.sql', text: text.replace('BEGIN\n  IF EXISTS', 'BEGIN\n  SET LOCAL ROLE postgres;\n  IF EXISTS') }], ID).mine.length, 0);
  // (not Supabase: nothing; an EXCEPTION clause: nothing)
  assert.equal(lintFiles([{ file: 'migrations/001_x.sql', text: 'CREATE SCHEMA auth;\nCREATE TABLE auth.users (id uuid);\n' + text }], ID).mine.length, 0);
  assert.equal(lintFiles([{ file: 'supabase/migrations/20240101000000_x.sql', text: text.replace("RETURN NEW;\nEND $$;", "RETURN NEW;\nEXCEPTION WHEN others THEN RETURN NEW;\nEND $$;") }], ID).mine.length, 0);
});

test("err: a Supabase Auth hook (granted EXECUTE to supabase_auth_admin) is called by the Auth server: with user_roles unqualified it fails with 42P01 (auth-trigger-unqualified-name), qualified but SECURITY INVOKER without a grant with 42501 (this rule); granted SELECT it answers", async () => {
  const db = await getDb();
  await ensureRoles(db, ['supabase_auth_admin']);
  const hook = (table: string) => `CREATE TABLE public.user_roles (user_id uuid PRIMARY KEY, role text);
CREATE FUNCTION public.custom_access_token_hook(event jsonb) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE r text;
BEGIN
  SELECT role INTO r FROM ${table} WHERE user_id = (event ->> 'user_id')::uuid;
  RETURN jsonb_set(event, '{claims,user_role}', to_jsonb(coalesce(r, 'none')));
END $$;
GRANT EXECUTE ON FUNCTION public.custom_access_token_hook(jsonb) TO supabase_auth_admin;
REVOKE EXECUTE ON FUNCTION public.custom_access_token_hook(jsonb) FROM authenticated, anon, public;
`;
  const file = 'supabase/migrations/20240101000000_hook.sql';
  const call = `SELECT public.custom_access_token_hook('{"user_id": "${USER}", "claims": {}}'::jsonb) ->> 'claims' AS c`;
  const asAuth = async (q: Q) => {
    await q('SET LOCAL search_path = auth');
    await q('SET LOCAL ROLE supabase_auth_admin');
    return q(call);
  };
  // unqualified: both rules (42P01 first; qualified, 42501)
  const bare = lintFiles([{ file, text: hook('user_roles') }], ID);
  assert.equal(bare.mine.length, 1);
  assert.match(bare.mine[0]!.message, /^Function public\.custom_access_token_hook\(jsonb\) is granted EXECUTE to supabase_auth_admin \(at 20240101000000_hook\.sql:8\), as a Supabase Auth hook is: the Auth server calls it, and it is SECURITY INVOKER: it runs with the rights of its caller, the Auth server's supabase_auth_admin/);
  assert.match(bare.mine[0]!.message, /public\.user_roles \(read\).*each Auth request that calls the hook fails \(for a custom access token hook, every sign-in and token refresh\)/);
  const unq = lintFiles([{ file, text: hook('user_roles') }], 'auth-trigger-unqualified-name').mine;
  assert.equal(unq.length, 1);
  assert.match(unq[0]!.message, /user_roles \(made in public\) is not found there\. The statement fails with 42P01 \(relation "user_roles" does not exist\), and with it the Auth server's request: each Auth request that calls the hook fails/);
  await inRollback(db, async (q) => {
    await platform(q, hook('user_roles'));
    await expectPgError(asAuth(q), '42P01', 'relation "user_roles" does not exist');
  });
  const qualified = lintFiles([{ file, text: hook('public.user_roles') }], ID);
  assert.equal(qualified.mine.length, 1);
  assert.equal(lintFiles([{ file, text: hook('public.user_roles') }], 'auth-trigger-unqualified-name').mine.length, 0);
  await inRollback(db, async (q) => {
    await platform(q, hook('public.user_roles'));
    await expectPgError(asAuth(q), '42501', 'permission denied for table user_roles');
  });
  // granted SELECT, as Supabase's hook guide does: nothing, and the hook answers
  const granted = `${hook('public.user_roles')}GRANT SELECT ON public.user_roles TO supabase_auth_admin;\n`;
  assert.equal(lintFiles([{ file, text: granted }], ID).mine.length, 0);
  await inRollback(db, async (q) => {
    await platform(q, granted);
    await q(`INSERT INTO public.user_roles VALUES ('${USER}', 'admin')`);
    const rows = (await asAuth(q)) as Array<{ c: string }>;
    assert.deepEqual(JSON.parse(rows[0]!.c), { user_role: 'admin' });
  });
  // the fix: SECURITY DEFINER, and the hook answers
  const fixed = applyFix(qualified.ws, qualified.mine[0]!);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(db, async (q) => {
    await platform(q, sqlOf(fixed));
    const rows = (await asAuth(q)) as Array<{ c: string }>;
    assert.deepEqual(JSON.parse(rows[0]!.c), { user_role: 'none' });
  });
});

test("err: granted, but row-level security with no policy for supabase_auth_admin: the hook's read sees no row (it answers 'none' for an admin), the trigger's INSERT fails with 42501; a policy for supabase_auth_admin (Supabase's hook guide) ends both", async () => {
  const db = await getDb();
  await ensureRoles(db, ['supabase_auth_admin']);
  const file = 'supabase/migrations/20240101000000_hook.sql';
  const hook = `CREATE TABLE public.user_roles (user_id uuid PRIMARY KEY, role text);
ALTER TABLE public.user_roles ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON public.user_roles FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
GRANT SELECT ON public.user_roles TO supabase_auth_admin;
CREATE FUNCTION public.custom_access_token_hook(event jsonb) RETURNS jsonb LANGUAGE plpgsql STABLE SET search_path = '' AS $$
DECLARE r text;
BEGIN
  SELECT role INTO r FROM public.user_roles WHERE user_id = (event ->> 'user_id')::uuid;
  RETURN jsonb_set(event, '{claims,user_role}', to_jsonb(coalesce(r, 'none')));
END $$;
GRANT EXECUTE ON FUNCTION public.custom_access_token_hook(jsonb) TO supabase_auth_admin;
`;
  const { mine } = lintFiles([{ file, text: hook }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /grant privileges on public\.user_roles, but it has row-level security and no permissive policy for supabase_auth_admin \(or PUBLIC\)/);
  assert.match(mine[0]!.message, /So its reads of public\.user_roles return no row, without an error: what it looks up there it never finds \(a custom access token hook then adds no claim\)/);
  assert.equal(nestedParentheses(mine[0]!.message), undefined);
  const call = `SELECT public.custom_access_token_hook('{"user_id": "${USER}", "claims": {}}'::jsonb) -> 'claims' ->> 'user_role' AS r`;
  const asAuth = async (q: Q) => {
    await q('SET LOCAL search_path = auth');
    await q('SET LOCAL ROLE supabase_auth_admin');
    const rows = (await q(call)) as Array<{ r: string }>;
    await q('RESET ROLE');
    return rows[0]!.r;
  };
  await inRollback(db, async (q) => {
    await platform(q, hook);
    await q(`INSERT INTO public.user_roles VALUES ('${USER}', 'admin')`);
    assert.equal(await asAuth(q), 'none');
  });
  const withPolicy = `${hook}CREATE POLICY auth_admin_reads ON public.user_roles FOR SELECT TO supabase_auth_admin USING (true);\n`;
  assert.equal(lintFiles([{ file, text: withPolicy }], ID).mine.length, 0);
  await inRollback(db, async (q) => {
    await platform(q, withPolicy);
    await q(`INSERT INTO public.user_roles VALUES ('${USER}', 'admin')`);
    assert.equal(await asAuth(q), 'admin');
  });
  // a trigger inserting into an RLS table it is granted INSERT on, with no policy for it
  const trigger = `CREATE TABLE public.profiles (id uuid PRIMARY KEY, email text);
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
GRANT INSERT ON public.profiles TO supabase_auth_admin;
CREATE FUNCTION public.handle_new_user() RETURNS trigger LANGUAGE plpgsql SET search_path = '' AS $$
BEGIN
  INSERT INTO public.profiles (id, email) VALUES (NEW.id, NEW.email);
  RETURN NEW;
END $$;
CREATE TRIGGER on_auth_user_created AFTER INSERT ON auth.users FOR EACH ROW EXECUTE FUNCTION public.handle_new_user();
`;
  const t = lintFiles([{ file, text: trigger }], ID).mine;
  assert.equal(t.length, 1);
  assert.match(t[0]!.message, /So its INSERT into public\.profiles fails with 42501 \(new row violates row-level security policy\), and with it the Auth server's write of auth\.users: every sign-up fails/);
  await inRollback(db, async (q) => {
    await platform(q, trigger);
    await expectPgError(signUp(q), '42501', 'new row violates row-level security policy for table "profiles"');
  });
});

// Calibration (cal204: OverClawApp/releases' supabase/migrations/002_token_billing.sql, create_token_balance() and
// create_user_api_key() on each sign-up, `INSERT INTO token_balances …` with no schema and no search_path): the
// message said the INSERT fails with 42501, but the Auth server's session (search_path auth) does not find the
// table, and the statement fails first with 42P01 — 42501 comes once the name is found.
test('err: a table named without its schema: the message says 42P01 comes first (auth-trigger-unqualified-name), then 42501; PGlite: 42P01, and qualified 42501', async () => {
  const db = await getDb();
  await ensureRoles(db, ['supabase_auth_admin']);
  const text = (table: string) => `CREATE TABLE public.token_balances (user_id uuid PRIMARY KEY, balance bigint NOT NULL DEFAULT 0);
CREATE OR REPLACE FUNCTION create_token_balance() RETURNS TRIGGER AS $$
BEGIN
  INSERT INTO ${table} (user_id, balance) VALUES (NEW.id, 4000) ON CONFLICT (user_id) DO NOTHING;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER on_auth_user_created_balance AFTER INSERT ON auth.users FOR EACH ROW EXECUTE FUNCTION create_token_balance();
`;
  const file = 'supabase/migrations/002_token_billing.sql';
  const bare = lintFiles([{ file, text: text('token_balances') }], ID);
  assert.equal(bare.mine.length, 1);
  assert.match(
    bare.mine[0]!.message,
    /Written without its schema, token_balances is not found in the Auth server's session \(search_path auth\), so the statement fails first with 42P01 \(auth-trigger-unqualified-name\); once it is found \(written public\.token_balances, or through a SET search_path\), it fails with 42501 \(permission denied for table token_balances\), and with it the Auth server's write of auth\.users: every sign-up fails/,
  );
  assert.doesNotMatch(bare.mine[0]!.message, /So the statement fails with 42501/);
  assert.equal(nestedParentheses(bare.mine[0]!.message), undefined);
  assert.equal(findingsOf(bare.ws, 'auth-trigger-unqualified-name').length, 1);
  await inRollback(db, async (q) => {
    await platform(q, sqlOf(bare.ws));
    await expectPgError(signUp(q), '42P01', 'relation "token_balances" does not exist');
  });
  // qualified: 42501, as the message then says
  const qualified = lintFiles([{ file, text: text('public.token_balances') }], ID);
  assert.match(qualified.mine[0]!.message, /So the statement fails with 42501 \(permission denied for table token_balances\)/);
  await inRollback(db, async (q) => {
    await platform(q, sqlOf(qualified.ws));
    await expectPgError(signUp(q), '42501', 'permission denied for table token_balances');
  });
  // (the fix, SECURITY DEFINER with SET search_path, settles both)
  const fixed = applyFix(bare.ws, bare.mine[0]!);
  assert.equal(findingsOf(fixed, ID).length, 0);
  assert.equal(findingsOf(fixed, 'auth-trigger-unqualified-name').length, 0);
  await inRollback(db, async (q) => {
    await platform(q, sqlOf(fixed));
    await signUp(q);
    assert.equal(await count(q, 'public.token_balances'), 1);
  });
});
