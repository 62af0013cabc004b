// auth-trigger-unqualified-name on PostgreSQL (PGlite): a trigger function on auth.users that
// names public.profiles without its schema runs in the Auth server's session, whose search_path
// is auth (Supabase: ALTER ROLE supabase_auth_admin SET search_path TO 'auth'). Simulated here:
// the role supabase_auth_admin, with the privileges on auth.users the Auth server has, inserting
// with search_path auth. The INSERT INTO auth.users fails with 42P01; with the fix it passes and
// the profile row is there. In a session whose search_path includes public (the SQL editor), the
// unfixed function works: why the mistake is missed.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, count, ensureRoles, expectPgError, getDb, inRollback, type Q } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintFiles, nestedParentheses, sqlOf } from '../helpers/rule-proof.js';
import { AUTH_USER, authServerPlatform as platform, signUpAsAuthServer as signUp } from '../helpers/supabase.js';

const ID = 'auth-trigger-unqualified-name';
const USER = AUTH_USER;
before(initParser);
after(closeAll);

test('err: every sign-up fails with 42P01 (profiles looked up in auth); it works in a session with public on its search_path; after the fix (SET search_path = public, pg_temp) the sign-up passes and makes the profile', async () => {
  const db = await getDb();
  await ensureRoles(db, ['supabase_auth_admin']);
  const { ws, finding } = invalidFinding(ID, 0);
  assert.match(finding.message, /Trigger function public\.handle_new_user\(\) runs on each INSERT of Supabase's auth\.users \(trigger on_auth_user_created\)/);
  assert.match(finding.message, /supabase_auth_admin has search_path auth/);
  assert.match(finding.message, /profiles \(made in public\) is not found there\. The statement fails with 42P01 \(relation "profiles" does not exist\)/);
  assert.match(finding.message, /every sign-up fails with "Database error saving new user"/);
  assert.equal(nestedParentheses(finding.message), undefined);
  assert.equal(finding.severity, 'error');
  await inRollback(db, async (q) => {
    await platform(q, sqlOf(ws));
    await expectPgError(signUp(q), '42P01', 'relation "profiles" does not exist');
  });
  await inRollback(db, async (q) => {
    await platform(q, sqlOf(ws));
    // (the SQL editor's session: public on the search_path, the same function works)
    await q('SET LOCAL search_path = public, auth');
    await q(`INSERT INTO auth.users (id, email) VALUES ('${USER}', 'a@example.com')`);
    assert.equal(await count(q, 'public.profiles'), 1);
  });
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /END \$\$ SET search_path = public, pg_temp;/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  // (the fix settles definer-search-path-missing's finding on the function too)
  assert.equal(findingsOf(fixed, 'definer-search-path-missing').length, 0);
  await inRollback(db, async (q) => {
    await platform(q, sqlOf(fixed));
    await signUp(q);
    assert.equal(await count(q, `SELECT 1 FROM public.profiles WHERE id = '${USER}'`), 1);
  });
});

test("err: a SET search_path = '' of its own fails in every session; the fix writes the names with their schema (non-ASCII text before them: UTF-16 offsets), and the sign-up passes", async () => {
  const db = await getDb();
  await ensureRoles(db, ['supabase_auth_admin']);
  const text = `-- Profil für jeden Nutzer 👤
CREATE TABLE public.profiles (id uuid PRIMARY KEY, email text);
CREATE TABLE public.user_roles (user_id uuid, role text);
CREATE FUNCTION public.handle_new_user() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  -- «café» ✓
  INSERT INTO profiles (id, email) VALUES (NEW.id, NEW.email);
  IF NOT EXISTS (SELECT 1 FROM user_roles WHERE user_id = NEW.id) THEN
    INSERT INTO user_roles (user_id, role) VALUES (NEW.id, 'member');
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER on_auth_user_created AFTER INSERT ON auth.users FOR EACH ROW EXECUTE FUNCTION public.handle_new_user();
`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_profiles.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /Its SET search_path = '' is used instead, and does not include public: profiles, user_roles \(made in public\) are not found there/);
  await inRollback(db, async (q) => {
    await platform(q, sqlOf(ws));
    await q('SET LOCAL search_path = public, auth');
    await expectPgError(q(`INSERT INTO auth.users (id, email) VALUES ('${USER}', 'a@example.com')`), '42P01', 'relation "profiles" does not exist');
  });
  const fixed = applyFix(ws, mine[0]!);
  const sql = sqlOf(fixed);
  assert.match(sql, /INSERT INTO public\.profiles \(id, email\)/);
  assert.match(sql, /SELECT 1 FROM public\.user_roles WHERE/);
  assert.match(sql, /INSERT INTO public\.user_roles \(user_id, role\)/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(db, async (q) => {
    await platform(q, sql);
    await signUp(q);
    assert.equal(await count(q, 'public.profiles'), 1);
    assert.equal(await count(q, `SELECT 1 FROM public.user_roles WHERE role = 'member'`), 1);
  });
});

test('ok: not reported outside a Supabase project, for a trigger on another table, for Auth\'s own tables, WITH queries or names in dynamic SQL', () => {
  const fn = (body: string, extra = '') => `CREATE TABLE public.profiles (id uuid PRIMARY KEY, email text);
CREATE FUNCTION public.handle_new_user() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER ${extra}AS $$
BEGIN
${body}
  RETURN NEW;
END $$;
`;
  const onAuth = 'CREATE TRIGGER t AFTER INSERT ON auth.users FOR EACH ROW EXECUTE FUNCTION public.handle_new_user();\n';
  const insert = '  INSERT INTO profiles (id, email) VALUES (NEW.id, NEW.email);';
  const supa = (text: string) => lintFiles([{ file: 'supabase/migrations/20240101000000_x.sql', text }], ID).mine.length;
  assert.equal(supa(fn(insert) + onAuth), 1, 'the case itself');
  assert.equal(lintFiles([{ file: 'migrations/001_x.sql', text: 'CREATE ROLE app;\n' + fn(insert) + onAuth.replace('auth.users', 'public.accounts').replace('CREATE TRIGGER', 'CREATE TABLE public.accounts (id uuid);\nCREATE TRIGGER') }], ID).mine.length, 0, 'not Supabase, another table');
  assert.equal(supa(fn(insert) + 'CREATE TABLE public.accounts (id uuid);\n' + onAuth.replace('auth.users', 'public.accounts')), 0, 'a trigger on a table of the project');
  assert.equal(supa(fn('  PERFORM 1 FROM identities WHERE user_id = NEW.id;') + onAuth), 0, "Auth's own table");
  assert.equal(supa(fn('  WITH p AS (SELECT NEW.id AS id) INSERT INTO public.profiles (id) SELECT id FROM p;') + onAuth), 0, 'a WITH query');
  assert.equal(supa(fn("  EXECUTE 'INSERT INTO profiles (id) VALUES ($1)' USING NEW.id;") + onAuth), 0, 'dynamic SQL');
  assert.equal(supa(fn(insert, 'SET search_path = public ') + onAuth), 0, 'its own search_path finds it');
  assert.equal(supa(fn(insert) + onAuth + 'ALTER FUNCTION public.handle_new_user() SET search_path = public, pg_temp;\n'), 0, 'a search_path set later');
});

test('err: a function of the project called without its schema fails with 42883 in the Auth server\'s session; the fix (SET search_path = public, pg_temp) makes the sign-up pass with the value it computes', async () => {
  const db = await getDb();
  await ensureRoles(db, ['supabase_auth_admin']);
  const text = `CREATE TABLE public.profiles (id uuid PRIMARY KEY, username text);
CREATE FUNCTION public.new_username(email text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT split_part(email, '@', 1) $$;
CREATE FUNCTION public.handle_new_user() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
  INSERT INTO public.profiles (id, username) VALUES (NEW.id, lower(new_username(NEW.email)));
  PERFORM now(), gen_random_uuid(), coalesce(NEW.email, '');
  RETURN NEW;
END $$;
CREATE TRIGGER on_auth_user_created AFTER INSERT ON auth.users FOR EACH ROW EXECUTE FUNCTION public.handle_new_user();
`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_profiles.sql', text }], ID);
  assert.equal(mine.length, 1);
  // (lower(), now(), gen_random_uuid() are pg_catalog's: found in every session, not named)
  assert.match(mine[0]!.message, /looked up in auth \(and pg_catalog\) only: new_username\(\) \(made in public\) is not found there\. The statement fails with 42883 \(undefined_function: new_username\)/);
  assert.match(mine[0]!.message, /Write the names with their schema \(public\.new_username\), or add SET search_path = public, pg_temp to the function\./);
  assert.equal(nestedParentheses(mine[0]!.message), undefined);
  await inRollback(db, async (q) => {
    await platform(q, sqlOf(ws));
    await expectPgError(signUp(q), '42883', 'function new_username(text) does not exist');
  });
  const fixed = applyFix(ws, mine[0]!);
  assert.match(sqlOf(fixed), /END \$\$ SET search_path = public, pg_temp;/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(db, async (q) => {
    await platform(q, sqlOf(fixed));
    await signUp(q);
    assert.equal(await count(q, `SELECT 1 FROM public.profiles WHERE username = 'a'`), 1);
  });
  // (with its own search_path, the fix writes the call with its schema)
  const own = lintFiles([{ file: 'supabase/migrations/20240101000000_profiles.sql', text: text.replace('SECURITY DEFINER AS', "SECURITY DEFINER SET search_path = '' AS") }], ID);
  assert.equal(own.mine.length, 1);
  const fixed2 = applyFix(own.ws, own.mine[0]!);
  assert.match(sqlOf(fixed2), /lower\(public\.new_username\(NEW\.email\)\)/);
  assert.equal(findingsOf(fixed2, ID).length, 0);
  await inRollback(db, async (q) => {
    await platform(q, sqlOf(fixed2));
    await signUp(q);
    assert.equal(await count(q, `SELECT 1 FROM public.profiles WHERE username = 'a'`), 1);
  });
});

test("err: uuid_generate_v4() (uuid-ossp, in schema extensions on Supabase) called without its schema fails with 42883; no fix is offered (the extension's schema is not known); written extensions.uuid_generate_v4() or with SET search_path = public, extensions it passes and is not reported", async () => {
  const db = await getDb();
  await ensureRoles(db, ['supabase_auth_admin']);
  // (PGlite's uuid-ossp is not loaded here: a stand-in of the same name in schema extensions, as on Supabase; what is shown is the name's resolution)
  const ext = `CREATE SCHEMA IF NOT EXISTS extensions;
CREATE FUNCTION extensions.uuid_generate_v4() RETURNS uuid LANGUAGE sql AS $$ SELECT gen_random_uuid() $$;
GRANT USAGE ON SCHEMA extensions TO PUBLIC;
`;
  const text = (fn: string) => `CREATE TABLE public.profiles (id uuid PRIMARY KEY, token uuid);
CREATE FUNCTION public.handle_new_user() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER ${fn} $$
BEGIN
  INSERT INTO public.profiles (id, token) VALUES (NEW.id, ${fn.includes('qualified') ? 'extensions.' : ''}uuid_generate_v4());
  RETURN NEW;
END $$;
CREATE TRIGGER on_auth_user_created AFTER INSERT ON auth.users FOR EACH ROW EXECUTE FUNCTION public.handle_new_user();
`;
  const file = 'supabase/migrations/20240101000000_profiles.sql';
  const bad = lintFiles([{ file, text: text('AS') }], ID);
  assert.equal(bad.mine.length, 1);
  assert.match(bad.mine[0]!.message, /uuid_generate_v4\(\) \(of extension uuid-ossp\) is not found there\. The statement fails with 42883/);
  assert.match(bad.mine[0]!.message, /Write the names with their schema \(extensions\.uuid_generate_v4\), or add SET search_path = extensions, pg_temp to the function\./);
  assert.equal(bad.mine[0]!.fixes.length, 0);
  await inRollback(db, async (q) => {
    await platform(q, ext + sqlOf(bad.ws));
    await expectPgError(signUp(q), '42883', 'function uuid_generate_v4() does not exist');
  });
  assert.equal(lintFiles([{ file, text: text("SET search_path = '' AS") }], ID).mine.length, 1, "SET search_path = '' does not find it either");
  for (const good of ['/* qualified */ AS', 'SET search_path = public, extensions AS']) {
    const ok = lintFiles([{ file, text: text(good) }], ID);
    assert.equal(ok.mine.length, 0, good);
    await inRollback(db, async (q) => {
      await platform(q, ext + sqlOf(ok.ws));
      await signUp(q);
      assert.equal(await count(q, `SELECT 1 FROM public.profiles WHERE token IS NOT NULL`), 1);
    });
  }
});

test('err: a SQL-language Auth hook reading a table without its schema fails with 42P01 when supabase_auth_admin calls it with search_path auth; ok: calls found in its own search_path, and a function of auth', async () => {
  const db = await getDb();
  await ensureRoles(db, ['supabase_auth_admin']);
  const text = `CREATE TABLE public.user_roles (user_id uuid, role text);
CREATE FUNCTION public.custom_access_token_hook(event jsonb) RETURNS jsonb LANGUAGE sql STABLE SECURITY DEFINER AS $$
  SELECT jsonb_set(event, '{claims,user_role}', to_jsonb(coalesce((SELECT role FROM user_roles WHERE user_id = (event->>'user_id')::uuid), 'none')))
$$;
GRANT EXECUTE ON FUNCTION public.custom_access_token_hook(jsonb) TO supabase_auth_admin;
`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_hook.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /user_roles \(made in public\) is not found there\. The statement fails with 42P01/);
  await inRollback(db, async (q) => {
    await platform(q, sqlOf(ws));
    await q('SET LOCAL search_path = auth');
    await q('SET LOCAL ROLE supabase_auth_admin');
    await expectPgError(q(`SELECT public.custom_access_token_hook('{"user_id": "${USER}", "claims": {}}')`), '42P01', 'relation "user_roles" does not exist');
  });
  const fixed = applyFix(ws, mine[0]!);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(db, async (q) => {
    await platform(q, sqlOf(fixed));
    await q(`INSERT INTO public.user_roles VALUES ('${USER}', 'admin')`);
    await q('SET LOCAL search_path = auth');
    await q('SET LOCAL ROLE supabase_auth_admin');
    const r = await q(`SELECT public.custom_access_token_hook('{"user_id": "${USER}", "claims": {}}') AS t`);
    assert.equal(r[0]!.t.claims.user_role, 'admin');
  });
  const trig = (body: string, extra = '') => `CREATE TABLE public.profiles (id uuid PRIMARY KEY);
CREATE FUNCTION public.helper(id uuid) RETURNS uuid LANGUAGE sql AS $$ SELECT id $$;
CREATE FUNCTION auth.helper2(id uuid) RETURNS uuid LANGUAGE sql AS $$ SELECT id $$;
CREATE FUNCTION public.handle_new_user() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER ${extra}AS $$
BEGIN
${body}
  RETURN NEW;
END $$;
CREATE TRIGGER t AFTER INSERT ON auth.users FOR EACH ROW EXECUTE FUNCTION public.handle_new_user();
`;
  const supa = (t: string) => lintFiles([{ file: 'supabase/migrations/20240101000000_x.sql', text: t }], ID).mine.length;
  assert.equal(supa(trig('  INSERT INTO public.profiles VALUES (helper(NEW.id));')), 1, 'the case itself');
  assert.equal(supa(trig('  INSERT INTO public.profiles VALUES (helper(NEW.id));', 'SET search_path = public ')), 0, 'its own search_path finds it');
  assert.equal(supa(trig('  INSERT INTO public.profiles VALUES (public.helper(NEW.id));')), 0, 'qualified');
  assert.equal(supa(trig('  INSERT INTO public.profiles VALUES (helper2(NEW.id));')), 0, 'a function of auth');
  assert.equal(supa(trig('  PERFORM uid();') + 'CREATE FUNCTION public.uid() RETURNS uuid LANGUAGE sql AS $$ SELECT NULL::uuid $$;\n'), 0, "the platform's auth.uid()");
  assert.equal(supa(trig("  EXECUTE 'SELECT helper($1)' USING NEW.id;")), 0, 'dynamic SQL');
  assert.equal(supa(trig('  BEGIN INSERT INTO public.profiles VALUES (helper(NEW.id)); EXCEPTION WHEN others THEN NULL; END;')), 0, 'an EXCEPTION clause');
  assert.equal(supa(trig('  INSERT INTO public.profiles VALUES (coalesce(nullif(NEW.id, NULL), gen_random_uuid()));')), 0, "pg_catalog's");
  assert.equal(supa(trig('  INSERT INTO public.profiles VALUES (uuid_generate_v4());', 'SET search_path = public ')), 0, 'an extension function, with a search_path that may hold it');
});

// Calibration (storyprotocol/eliza, elizaOS's adapter-postgres remote_schema.sql): the dump grants
// ALL on every function, and every table, to authenticated, service_role, supabase_admin and
// supabase_auth_admin alike. get_goals(uuid, uuid, boolean, integer), get_relationship(uuid, uuid),
// get_participant_userState(uuid, uuid)… were each said to be "granted EXECUTE to
// supabase_auth_admin, as a Supabase Auth hook is: the Auth server calls it" (4 findings here, 1 of
// auth-trigger-invoker-denied). A Postgres-function hook takes one jsonb argument, the event, and
// returns jsonb (Supabase's Auth Hooks guide); the Auth server calls no function of another
// signature, whatever it is granted. Only such functions count as hooks now.
test("ok: a function granted to supabase_auth_admin is a hook only with a hook's signature, (event jsonb) RETURNS jsonb: a dump's blanket GRANT ALL on get_goals(uuid, …) is not reported, by either auth-trigger rule", () => {
  const text = (sig: string, ret: string, body: string) => `CREATE TABLE public.goals (id uuid PRIMARY KEY, room uuid);
ALTER TABLE public.goals ENABLE ROW LEVEL SECURITY;
GRANT ALL ON TABLE public.goals TO authenticated, supabase_auth_admin;
CREATE FUNCTION public.get_goals(${sig}) RETURNS ${ret} LANGUAGE sql STABLE AS $$ ${body} $$;
GRANT ALL ON FUNCTION public.get_goals(${sig.replace(/\w+ (\w+)/g, '$1')}) TO authenticated;
GRANT ALL ON FUNCTION public.get_goals(${sig.replace(/\w+ (\w+)/g, '$1')}) TO supabase_auth_admin;
`;
  const lint = (t: string, id: string) => lintFiles([{ file: 'supabase/migrations/20240318103238_remote_schema.sql', text: t }], id).mine;
  const notHook = text('query_room uuid, row_count integer', 'SETOF public.goals', 'SELECT * FROM goals WHERE room = query_room LIMIT row_count');
  assert.equal(lint(notHook, ID).length, 0);
  assert.equal(lint(notHook, 'auth-trigger-invoker-denied').length, 0);
  for (const [sig, ret] of [['event json', 'json'], ['event jsonb', 'text'], ['event jsonb, extra int', 'jsonb']]) {
    assert.equal(lint(text(sig, ret, `SELECT NULL::${ret} FROM goals`), ID).length, 0, `${sig} → ${ret}`);
  }
  // (the hook's signature: still reported, by both)
  const hook = text('event jsonb', 'jsonb', "SELECT jsonb_set(event, '{claims,goals}', to_jsonb((SELECT count(*) FROM goals)))");
  assert.equal(lint(hook, ID).length, 1);
  assert.match(lint(hook, ID)[0]!.message, /^Function public\.get_goals\(jsonb\) is granted EXECUTE to supabase_auth_admin .*, as a Supabase Auth hook is/);
  assert.equal(lint(hook, 'auth-trigger-invoker-denied').length, 1);
});
