// definer-search-path-unsafe on PostgreSQL (PGlite): with SET search_path = public (or a path
// without pg_temp last) a non-superuser's temp table still shadows the table a SECURITY DEFINER
// function reads (F3, T19): pg_temp is searched first for relations unless listed. After the
// fix (`, pg_temp` appended) the function reads public.tenant_users. A single quoted string
// 'public, pg_temp' is one schema name: public is not searched at all.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, expectPgError, getDb, inRollback, tryQuery, type Q } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintDocExample, lintFiles, sqlOf, TENANT_A, TENANT_B, textAt } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';
import type { Workspace } from '../../server/src/engine/workspace.js';

const ID = 'definer-search-path-unsafe';
before(initParser);
after(closeAll);

/** Tenant A's user is a member of tenant A only; the function is owned by app_owner (not a
 * superuser). Acting as that user, `authenticated` optionally forges membership of tenant B
 * in a temp table, then asks the definer function. */
async function setup(q: Q, sql: string): Promise<void> {
  await q(AUTH_STUB_SQL);
  await q(`SET ROLE app_owner`);
  await q(`CREATE TABLE tenant_users (tenant_id uuid, user_id uuid); INSERT INTO tenant_users VALUES ('${TENANT_A}', '${TENANT_A}')`);
  await q(sql);
  await q('GRANT EXECUTE ON FUNCTION is_member(uuid) TO authenticated');
  await q('RESET ROLE');
  await q(actAs(TENANT_A));
  await q('SET ROLE authenticated');
}
const forge = `CREATE TEMP TABLE tenant_users (tenant_id uuid, user_id uuid); INSERT INTO tenant_users VALUES ('${TENANT_B}', '${TENANT_A}');
  GRANT SELECT ON tenant_users TO PUBLIC`; // the temp table is the attacker's: the owner must be able to read it
const isMember = async (q: Q, tid: string) => (await q(`SELECT is_member('${tid}') AS m`))[0]!.m as boolean;

async function hijacked(sql: string): Promise<boolean> {
  return inRollback(await getDb(), async (q) => {
    await setup(q, sql);
    assert.equal(await isMember(q, TENANT_A), true, 'the real membership is seen before the attack');
    await q(forge);
    return isMember(q, TENANT_B);
  });
}

test('err: SET search_path = public: a temp table hijacks the definer function (F3, T19); with public, pg_temp it does not', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'SET search_path = public');
  assert.match(finding.message, /public\.is_member\(uuid\).*does not end with pg_temp.*pg_temp first.*\(F3, T19\)/);
  assert.equal(findingsOf(ws, 'definer-search-path-missing').length, 0, 'not reported twice');
  assert.equal(await hijacked(sqlOf(ws)), true, 'the forged membership of tenant B is believed');
  const fixed = applyFix(ws, finding);
  assert.equal(finding.fixes[0]!.kind, 'safe');
  assert.match(sqlOf(fixed), /SECURITY DEFINER SET search_path = public, pg_temp AS/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  assert.equal(await hijacked(sqlOf(fixed)), false, 'public.tenant_users is read');
});

test('err: ALTER FUNCTION … SET search_path TO "$user", public overrides a safe path; the fix appends pg_temp there', async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.equal(finding.file, '2_path.sql');
  assert.equal(textAt(ws, finding), 'SET search_path TO "$user", public');
  assert.equal(await hijacked(sqlOf(ws)), true);
  const fixed = applyFix(ws, finding);
  assert.match(fixed.text('2_path.sql')!, /ALTER FUNCTION is_member\(uuid\) SET search_path TO "\$user", public, pg_temp;/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  assert.equal(await hijacked(sqlOf(fixed)), false);
});

test("err: 'public, pg_temp' quoted is ONE schema: public is not searched (42P01) and a temp table hijacks it; the list form fixes both", async () => {
  const { ws, finding } = invalidFinding(ID, 2);
  assert.match(finding.message, /names ONE schema, "public, pg_temp"/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await setup(q, sqlOf(ws));
    assert.deepEqual((await q(`SELECT proconfig FROM pg_proc WHERE proname = 'is_member'`))[0]!.proconfig, ['search_path="public, pg_temp"']);
    const r = await tryQuery(q, `SELECT is_member('${TENANT_A}')`);
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.error.code, '42P01', 'relation "tenant_users" does not exist: public is not on the path');
    await q(forge);
    assert.equal(await isMember(q, TENANT_B), true, 'the temp table is read');
  });
  const fixed = applyFix(ws, finding);
  assert.equal(finding.fixes[0]!.kind, 'unsafe');
  assert.match(sqlOf(fixed), /SECURITY DEFINER SET search_path = public, pg_temp AS/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  assert.equal(await hijacked(sqlOf(fixed)), false);
});

test("ok: SET search_path = '' with qualified names is not hijacked (no finding)", async () => {
  const valid = lintDocExample(ID, 'valid', 1);
  assert.equal(valid.mine.length, 0);
  assert.equal(await hijacked(sqlOf(valid.ws)), false);
});

test('ok: functions are never looked up in pg_temp, even with search_path = public', async () => {
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(`SET ROLE app_owner`);
    await q(`CREATE FUNCTION helper() RETURNS text LANGUAGE sql AS $$ SELECT 'real' $$;
      CREATE FUNCTION ask() RETURNS text LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$ SELECT helper() $$;
      GRANT EXECUTE ON FUNCTION ask() TO authenticated`);
    await q('RESET ROLE');
    await q('SET ROLE authenticated');
    await q(`CREATE FUNCTION pg_temp.helper() RETURNS text LANGUAGE sql AS $$ SELECT 'forged' $$`);
    assert.equal((await q('SELECT ask() AS a'))[0]!.a, 'real');
    await expectPgError(q('SET search_path = pg_temp; SELECT helper()'), '42883'); // not even with pg_temp alone on the path
  });
});

test("ok (doc claim): a LANGUAGE sql body is checked with the function's own search_path: 'public, pg_temp' fails at CREATE with 42P01", async () => {
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q('CREATE TABLE tenant_users (tenant_id uuid, user_id uuid)');
    await expectPgError(
      q(`CREATE FUNCTION is_member(tid uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = 'public, pg_temp'
         AS $$ SELECT EXISTS (SELECT 1 FROM tenant_users WHERE tenant_id = tid) $$`),
      '42P01',
    );
  });
});

// Calibration (w3labkr generate_password(): SET search_path = public, reads no table, casts
// random()::text): pg_temp is searched first for types too. A temporary domain named text shadows
// pg_catalog.text, and its CHECK runs the caller's pg_temp function with the owner's rights: here
// it reads a table only the owner can read. With pg_temp last the cast is pg_catalog.text.
test('err: a function that reads no table is hijacked through a type: a temporary domain "text" runs the caller\'s code as the owner', async () => {
  const { ws, mine } = lintFiles(
    [{ file: 'm.sql', text: `CREATE FUNCTION generate_password() RETURNS text LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
  RETURN md5(random()::text);
END $$;` }],
    ID,
  );
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /pg_temp first for relations and types.*a table or type the function names without a schema \(text too/);
  const stolen = async (sql: string) =>
    inRollback(await getDb(), async (q) => {
      await q('SET ROLE app_owner');
      await q(`CREATE TABLE owner_secret (x int); INSERT INTO owner_secret VALUES (42);
        ${sql};
        GRANT EXECUTE ON FUNCTION generate_password() TO authenticated`);
      await q('RESET ROLE');
      await q('SET ROLE authenticated');
      const direct = await tryQuery(q, 'SELECT count(*) FROM owner_secret');
      assert.equal(!direct.ok && direct.error.code, '42501', 'the caller cannot read the table itself');
      await q(`CREATE FUNCTION pg_temp.steal(v pg_catalog.text) RETURNS boolean LANGUAGE sql AS
        $$ SELECT pg_catalog.set_config('app.stolen', (SELECT pg_catalog.string_agg(x::pg_catalog.text, ',') FROM public.owner_secret), false) IS NOT NULL $$;
        CREATE DOMAIN pg_temp.text AS pg_catalog.text CHECK (pg_temp.steal(VALUE))`);
      await q('SELECT generate_password()');
      return (await q(`SELECT current_setting('app.stolen', true) AS s`))[0]!.s as string | null;
    });
  assert.equal(await stolen(sqlOf(ws)), '42', "the owner's table was read by the caller's code");
  const fixed = applyFix(ws, mine[0]!);
  assert.equal(findingsOf(fixed, ID).length, 0);
  assert.ok(!(await stolen(sqlOf(fixed))), 'with pg_temp last the cast resolves to pg_catalog.text');
});

test('ok (message): a body naming every table and type with its schema cannot be shadowed today: the finding says so; a temp table of the same name is not read', async () => {
  const qualified = `CREATE FUNCTION is_member(p uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT EXISTS (SELECT 1 FROM public.tenant_users t WHERE t.tenant_id = p AND t.user_id = auth.uid())
$$`;
  const { mine } = lintFiles([{ file: 'm.sql', text: `-- « naïve » 日本語 😀\n${qualified};` }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /Its body names every table and type with its schema today, so nothing can be shadowed yet: the search_path protects nothing, and the first name written without a schema opens the hole\./);
  assert.doesNotMatch(mine[0]!.message, /the function then reads the attacker's table/);
  assert.equal(mine[0]!.severity, 'warning', 'a warning: no hole today, one the first unqualified name opens');
  assert.equal(await hijacked(qualified), false, 'public.tenant_users is read, not the temp table');
  // a PL/pgSQL body declaring a uuid (a type named by one word, looked up in pg_temp first), or a table named without its
  // schema, or dynamic SQL: the general message
  const cases = [
    `CREATE FUNCTION f(p uuid) RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$ DECLARE v uuid; BEGIN v := p; RETURN v IS NOT NULL; END $$;`,
    `CREATE FUNCTION f(p uuid) RETURNS boolean LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$ SELECT EXISTS (SELECT 1 FROM tenant_users WHERE tenant_id = p) $$;`,
    `CREATE FUNCTION f(p text) RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$ BEGIN EXECUTE 'SELECT 1 FROM ' || pg_catalog.quote_ident(p); END $$;`,
    `CREATE FUNCTION f(p uuid) RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$ DECLARE r tenant_users%ROWTYPE; BEGIN RETURN true; END $$;`,
    `CREATE FUNCTION f(p uuid) RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$ DECLARE r tenant_users.tenant_id%TYPE; BEGIN RETURN true; END $$;`,
    `CREATE FUNCTION f(p uuid) RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$ BEGIN INSERT INTO tenant_users (tenant_id) VALUES (p); END $$;`,
    `CREATE FUNCTION f(p uuid) RETURNS text LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$ SELECT p::text $$;`,
    // (PL/pgSQL expressions the body's parsed statements do not hold: IF, RAISE, a declaration's default)
    `CREATE FUNCTION f(p uuid) RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$ BEGIN IF p::text = '' THEN RETURN false; END IF; RETURN true; END $$;`,
    `CREATE FUNCTION f(p uuid) RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$ BEGIN RAISE NOTICE '%', CAST(p AS text); RETURN true; END $$;`,
    `CREATE FUNCTION f(p uuid) RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$ DECLARE n int := length(p::text); BEGIN RETURN n > 0; END $$;`,
    `CREATE FUNCTION f(p uuid) RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$ BEGIN RETURN EXISTS (SELECT 1 FROM "Tenants" WHERE id = p); END $$;`,
  ];
  for (const text of cases) {
    const r = lintFiles([{ file: 'm.sql', text }], ID).mine;
    assert.equal(r.length, 1, text);
    assert.match(r[0]!.message, /the function then reads the attacker's table/, text);
  }
  // (a PL/pgSQL body whose declarations are keyword types, and whose statements name everything with a schema)
  const plain = `CREATE FUNCTION f(p uuid) RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE n integer := 0; ok boolean; r record;
BEGIN
  SELECT count(*) INTO n FROM public.tenant_users WHERE tenant_id = p;
  ok := n > 0;
  RETURN ok;
END $$;`;
  assert.match(lintFiles([{ file: 'm.sql', text: plain }], ID).mine[0]!.message, /nothing can be shadowed yet/);
  // a %ROWTYPE or %TYPE of a table named with its schema, and ON CONFLICT's DO UPDATE SET, name nothing unqualified
  const certain = [
    `CREATE FUNCTION f(p uuid) RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$ DECLARE r public.tenant_users%ROWTYPE; t public.tenant_users.tenant_id%TYPE; BEGIN RETURN true; END $$;`,
    `CREATE FUNCTION f(p uuid) RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$ BEGIN INSERT INTO public.tenant_users (tenant_id, n) VALUES (p, 1) ON CONFLICT (tenant_id) DO UPDATE SET n = public.tenant_users.n + EXCLUDED.n; END $$;`,
  ];
  for (const text of certain) assert.match(lintFiles([{ file: 'm.sql', text }], ID).mine[0]!.message, /, so nothing can be shadowed yet/, text);
});

test('ok (message): json is a keyword type from PostgreSQL 16 on: a body casting to json is said safe only there; on PGlite (18) a temporary type named json does not shadow it', async () => {
  const body = `CREATE FUNCTION claims() RETURNS text LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT (pg_catalog.current_setting('request.jwt.claims', true)::json ->> 'sub')
$$`;
  const { mine } = lintFiles([{ file: 'm.sql', text: `${body};` }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /json aside, which is a keyword type from PostgreSQL 16 on \(before 16 it is looked up in the search_path like text, so a temporary type named json shadows it\): on 16 and later nothing can be shadowed yet/);
  const shadowed = await inRollback(await getDb(), async (q) => {
    await q('SET ROLE app_owner');
    await q(`${body}; GRANT EXECUTE ON FUNCTION claims() TO authenticated`);
    await q('RESET ROLE');
    await q('SET ROLE authenticated');
    await q(`CREATE FUNCTION pg_temp.mark(v pg_catalog.json) RETURNS boolean LANGUAGE sql AS $$ SELECT pg_catalog.set_config('app.marked', 'yes', false) IS NOT NULL $$;
      CREATE DOMAIN pg_temp.json AS pg_catalog.json CHECK (pg_temp.mark(VALUE))`);
    await q(`SELECT pg_catalog.set_config('request.jwt.claims', '{"sub":"u1"}', true)`);
    const r = await q('SELECT claims() AS c');
    assert.equal(r[0]!.c, 'u1');
    return (await q(`SELECT pg_catalog.current_setting('app.marked', true) AS m`))[0]!.m;
  });
  assert.ok(!shadowed, 'the cast resolved to pg_catalog.json: the temporary domain never ran');
});

/** A definer policy helper with no SET search_path, callable by authenticated only. */
const IS_ADMIN = `CREATE TABLE public.user_roles (user_id uuid PRIMARY KEY, role text);
ALTER TABLE public.user_roles ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.is_admin() RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER AS
  $$ SELECT EXISTS (SELECT 1 FROM user_roles WHERE user_id = auth.uid() AND role = 'admin') $$;
REVOKE EXECUTE ON FUNCTION public.is_admin() FROM PUBLIC, anon;
GRANT EXECUTE ON FUNCTION public.is_admin() TO authenticated;
`;

/** A function's migration and a later one whose DO block sets its search_path, linted: the setting is followed (no definer-search-path-missing), and reported once here. */
function lintWithLoop(fn: string, loop: string) {
  const linted = lintFiles(
    [
      { file: 'supabase/migrations/20240101000000_fn.sql', text: fn },
      { file: 'supabase/migrations/20240102000000_fix.sql', text: loop },
    ],
    ID,
  );
  assert.equal(findingsOf(linted.ws, 'definer-search-path-missing').length, 0, 'the search_path is set');
  assert.equal(linted.mine.length, 1);
  return linted;
}

/** is_admin()'s settings once the workspace's migrations ran. */
async function isAdminConfig(ws: Workspace): Promise<unknown> {
  return inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q('CREATE SCHEMA IF NOT EXISTS extensions');
    await q(sqlOf(ws));
    return (await q(`SELECT proconfig FROM pg_proc WHERE proname = 'is_admin'`))[0]!.proconfig;
  });
}

test('err: a DO block setting the search_path of the functions it names with dynamic ALTER FUNCTION (Supabase advisory fixes): the setting is followed, reported where the format string writes it, and the fix appends pg_temp there (secure-multitenant-saas)', async () => {
  const fn = IS_ADMIN;
  const loop = `DO $$
DECLARE fn_sig text;
BEGIN
  FOREACH fn_sig IN ARRAY ARRAY['public.is_admin()'] LOOP
    EXECUTE format('ALTER FUNCTION %s SET search_path = public, extensions', fn_sig);
  END LOOP;
END $$;
`;
  const linted = lintWithLoop(fn, loop);
  const finding = linted.mine[0]!;
  assert.equal(textAt(linted.ws, finding), 'search_path = public, extensions');
  assert.match(finding.message, /^SECURITY DEFINER function public\.is_admin\(\): search_path = public, extensions does not end with pg_temp/);
  const fixed = applyFix(linted.ws, finding);
  assert.match(fixed.text('supabase/migrations/20240102000000_fix.sql')!, /SET search_path = public, extensions, pg_temp', fn_sig\)/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  assert.equal(findingsOf(fixed, 'definer-search-path-missing').length, 0);
  assert.deepEqual(await isAdminConfig(linted.ws), ['search_path=public, extensions']);
  assert.deepEqual(await isAdminConfig(fixed), ['search_path=public, extensions, pg_temp']);
  // without the function's name among the loop's strings, nothing is set: definer-search-path-missing
  const other = lintFiles([{ file: 'supabase/migrations/20240101000000_fn.sql', text: fn }, { file: 'supabase/migrations/20240102000000_fix.sql', text: loop.replace('public.is_admin()', 'public.other_fn()') }], ID);
  assert.equal(findingsOf(other.ws, 'definer-search-path-missing').length, 1);
});

test("err: a DO block looping over pg_proc (a schema's SECURITY DEFINER functions, those a list names, or those with no search_path yet) setting each one's search_path with dynamic ALTER FUNCTION (kitloop, camerpulse): followed, reported where the string writes the setting, and the fix appends pg_temp there", async () => {
  const fn = IS_ADMIN;
  const definers = `DO $$
DECLARE func RECORD;
BEGIN
  FOR func IN SELECT p.oid::regprocedure::text AS sig FROM pg_proc p JOIN pg_namespace n ON p.pronamespace = n.oid
    WHERE n.nspname = 'public' AND p.prosecdef = true AND pg_get_userbyid(p.proowner) != 'supabase_admin'
  LOOP
    EXECUTE 'ALTER FUNCTION ' || func.sig || ' SET search_path = public';
  END LOOP;
END $$;
`;
  const named = `DO $$
DECLARE func_name text; func_oid oid; target_functions text[] := ARRAY['is_admin', 'other'];
BEGIN
  FOREACH func_name IN ARRAY target_functions LOOP
    FOR func_oid IN SELECT p.oid FROM pg_proc p JOIN pg_namespace n ON p.pronamespace = n.oid WHERE n.nspname = 'public' AND p.proname = func_name LOOP
      EXECUTE format('ALTER FUNCTION %s SET search_path = public, extensions', func_oid::regprocedure);
    END LOOP;
  END LOOP;
END $$;
`;
  // (camerpulse: the definers with no search_path yet, each named %I.%I(%s))
  const unset = `DO $$
DECLARE rec record;
BEGIN
  FOR rec IN SELECT n.nspname, p.proname, pg_get_function_identity_arguments(p.oid) AS args
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'public' AND p.prosecdef = TRUE
      AND (p.proconfig IS NULL OR NOT EXISTS (SELECT 1 FROM pg_options_to_table(p.proconfig) WHERE option_name = 'search_path'))
  LOOP
    EXECUTE format('ALTER FUNCTION %I.%I(%s) SET search_path = public', rec.nspname, rec.proname, rec.args);
  END LOOP;
END $$;
`;
  for (const [loop, setting] of [[definers, 'search_path = public'], [named, 'search_path = public, extensions'], [unset, 'search_path = public']] as const) {
    const linted = lintWithLoop(fn, loop);
    assert.equal(textAt(linted.ws, linted.mine[0]!), setting);
    const fixed = applyFix(linted.ws, linted.mine[0]!);
    assert.equal(findingsOf(fixed, ID).length, 0);
    assert.deepEqual(await isAdminConfig(linted.ws), [setting.replace(' = ', '=')]);
    assert.deepEqual(await isAdminConfig(fixed), [`${setting.replace(' = ', '=')}, pg_temp`]);
  }
  // (a function that has a search_path already keeps it: the loop leaves it out)
  const kept = lintFiles([{ file: 'supabase/migrations/20240101000000_fn.sql', text: `${fn}ALTER FUNCTION public.is_admin() SET search_path = '';\n` }, { file: 'supabase/migrations/20240102000000_fix.sql', text: unset }], ID);
  assert.equal(kept.mine.length, 0);
  // a query filtering on something else is not followed: the function may be left out
  const filtered = lintFiles([{ file: 'supabase/migrations/20240101000000_fn.sql', text: fn }, { file: 'supabase/migrations/20240102000000_fix.sql', text: definers.replace("AND p.prosecdef = true", "AND p.prosecdef = true AND p.proname LIKE 'x%'") }], ID);
  assert.equal(findingsOf(filtered.ws, 'definer-search-path-missing').length, 1);
});

test("ok: a DO block looping over pg_proc where proname IN ('…', '…') of a schema, each altered with format('ALTER FUNCTION public.%I(%s) SET search_path = …', proname, args): the functions it lists get the setting (PGlite), the others not", async () => {
  const loop = (names: string, schema = 'public') => `DO $$
DECLARE func_record RECORD;
BEGIN
  FOR func_record IN SELECT p.oid, p.proname, pg_get_function_identity_arguments(p.oid) AS args
    FROM pg_proc p JOIN pg_namespace n ON p.pronamespace = n.oid
    WHERE n.nspname = 'public' AND p.proname IN (${names})
  LOOP
    EXECUTE format('ALTER FUNCTION ${schema}.%I(%s) SET search_path = public, pg_temp', func_record.proname, func_record.args);
  END LOOP;
END $$;
`;
  const listed = lintFiles([{ file: 'supabase/migrations/20240101000000_fn.sql', text: IS_ADMIN }, { file: 'supabase/migrations/20240102000000_fix.sql', text: loop("'get_user_tenant_id', 'is_admin'") }], ID);
  assert.equal(findingsOf(listed.ws, 'definer-search-path-missing').length, 0, 'the search_path is set');
  assert.equal(listed.mine.length, 0, 'public, pg_temp: safe');
  assert.deepEqual(await isAdminConfig(listed.ws), ['search_path=public, pg_temp']);
  // (a list without its name: PostgreSQL leaves it as it was, and so does the replay)
  const other = lintFiles([{ file: 'supabase/migrations/20240101000000_fn.sql', text: IS_ADMIN }, { file: 'supabase/migrations/20240102000000_fix.sql', text: loop("'get_user_tenant_id', 'is_super_admin'") }], ID);
  assert.equal(findingsOf(other.ws, 'definer-search-path-missing').length, 1);
  assert.equal(await isAdminConfig(other.ws), null);
  // (a schema written in the string other than the one the query keeps: not followed)
  const elsewhere = lintFiles([{ file: 'supabase/migrations/20240101000000_fn.sql', text: IS_ADMIN }, { file: 'supabase/migrations/20240102000000_fix.sql', text: loop("'is_admin'", 'app') }], ID);
  assert.equal(findingsOf(elsewhere.ws, 'definer-search-path-missing').length, 1);
});

// Calibration (zeebonk/database, asyncy's PostGraphile schema): main.sql runs `SET search_path TO
// app_public, app_hidden, app_private, app_runtime, public`, then includes (\ir) files whose 13
// SECURITY DEFINER functions say `SET search_path FROM CURRENT`. PostgreSQL stores the session's
// value as the function's setting: no pg_temp in it, so a temp table shadows what they read.
const MEMBERS = `CREATE SCHEMA app;
CREATE TABLE app.members (org uuid NOT NULL, member uuid NOT NULL, PRIMARY KEY (org, member));
`;
const isMemberFn = (schemaOf = '') => `CREATE FUNCTION app.is_member(o uuid) RETURNS boolean AS $$
  SELECT EXISTS (SELECT 1 FROM ${schemaOf}members WHERE org = o AND member = nullif(current_setting('jwt.claims.sub', true), '')::uuid);
$$ LANGUAGE sql STABLE STRICT SECURITY DEFINER SET search_path FROM CURRENT;
GRANT USAGE ON SCHEMA app TO authenticated;
GRANT EXECUTE ON FUNCTION app.is_member(uuid) TO authenticated;
`;
const fromCurrent = (set: string, schemaOf = '') => `${MEMBERS}${set}${isMemberFn(schemaOf)}`;

/** Runs the migration, then as authenticated (user A, a member of no organisation) asks is_member(B) before and after making a TEMP TABLE members that says it is one; with the stored setting. */
async function shadowedMember(sql: string): Promise<{ config: unknown; before: boolean; after: boolean }> {
  return inRollback(await getDb(), async (q) => {
    await q(sql);
    const config = (await q(`SELECT proconfig FROM pg_proc WHERE proname = 'is_member'`))[0]!.proconfig;
    await q(`SELECT set_config('jwt.claims.sub', '${TENANT_A}', true)`);
    await q('SET ROLE authenticated');
    const ask = async () => (await q(`SELECT app.is_member('${TENANT_B}') AS m`))[0]!.m as boolean;
    const before = await ask();
    await q(`CREATE TEMP TABLE members (org uuid, member uuid); INSERT INTO pg_temp.members VALUES ('${TENANT_B}', '${TENANT_A}')`);
    return { config, before, after: await ask() };
  });
}

test('err: SET search_path FROM CURRENT after SET search_path TO app, public stores app, public: a temp table hijacks the function (zeebonk/database); the fix writes the list out with pg_temp last', async () => {
  const text = fromCurrent('SET search_path TO app, public;\n');
  const { ws, mine } = lintFiles([{ file: 'm.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.equal(findingsOf(ws, 'definer-search-path-missing').length, 0, 'not reported twice');
  const finding = mine[0]!;
  assert.equal(textAt(ws, finding), 'SET search_path FROM CURRENT');
  assert.match(finding.message, /^SECURITY DEFINER function app\.is_member\(uuid\): SET search_path FROM CURRENT stores the session's search_path when it runs, here app, public \(set at m\.sql:3\), which does not end with pg_temp\. PostgreSQL searches pg_temp first/);
  assert.match(finding.message, /the function then reads the attacker's table.*Replace FROM CURRENT with the list ending with pg_temp \(SET search_path = app, public, pg_temp\)/);
  const shown = await shadowedMember(sqlOf(ws));
  assert.deepEqual(shown.config, ['search_path=app, public'], 'PostgreSQL stored the session value');
  assert.equal(shown.before, false, 'user A is not a member of B');
  assert.equal(shown.after, true, 'the temp table members is read instead of app.members');
  assert.equal(finding.fixes[0]!.kind, 'safe');
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /SECURITY DEFINER SET search_path = app, public, pg_temp;/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  const after = await shadowedMember(sqlOf(fixed));
  assert.deepEqual(after.config, ['search_path=app, public, pg_temp']);
  assert.equal(after.after, false, 'app.members is read');
});

test('err: FROM CURRENT with no SET search_path in its psql session stores the default "$user", public (each migration file is a session of its own; a SET in an including file counts, as in zeebonk/database)', async () => {
  // (the table in public: a LANGUAGE sql body is checked at CREATE with the stored path, "$user", public)
  const { ws, mine } = lintFiles([{ file: 'm.sql', text: fromCurrent('').replace('app.members', 'public.members') }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /stores the session's search_path when it runs, here "\$user", public: PostgreSQL's default \(no SET search_path precedes it in its psql session; ALTER DATABASE or ALTER ROLE … SET search_path may give the deployment's sessions another\), which does not end with pg_temp/);
  // (the server's default may not be the deployment's: the fix is offered in the editor only)
  assert.equal(mine[0]!.fixes[0]!.kind, 'unsafe');
  assert.match(sqlOf(applyFix(ws, mine[0]!)), /SET search_path = "\$user", public, pg_temp;/);
  // (PostgreSQL's built-in default is "$user", public; PGlite starts its sessions with public on its command line: the session is given the built-in one)
  const boot = await inRollback(await getDb(), async (q) => (await q(`SELECT boot_val FROM pg_settings WHERE name = 'search_path'`))[0]!.boot_val);
  assert.equal(boot, '"$user", public');
  const shown = await shadowedMember(`SET search_path TO "$user", public;\n${sqlOf(ws)}`);
  assert.deepEqual(shown.config, ['search_path="$user", public']);
  assert.deepEqual([shown.before, shown.after], [false, true], 'the temp table is read');
  // a SET in an earlier migration file is another session's; a RESET goes back to the default; an ALTER FUNCTION … FROM CURRENT is judged too
  const split = lintFiles([{ file: '1.sql', text: `SET search_path TO app, public;\n${MEMBERS}` }, { file: '2.sql', text: isMemberFn() }], ID).mine;
  assert.equal(split.length, 1);
  assert.match(split[0]!.message, /here "\$user", public: PostgreSQL's default \(no SET search_path/);
  const reset = lintFiles([{ file: 'm.sql', text: fromCurrent('SET search_path = app, pg_temp;\nRESET search_path;\n') }], ID).mine;
  assert.match(reset[0]!.message, /here "\$user", public: PostgreSQL's default \(reset at m\.sql:4;/);
  assert.equal(reset[0]!.fixes[0]!.kind, 'unsafe');
  const altered = lintFiles([{ file: 'm.sql', text: `${fromCurrent('SET search_path = public, pg_temp;\n')}SET search_path = app;\nALTER FUNCTION app.is_member(uuid) SET search_path FROM CURRENT;\n` }], ID).mine;
  assert.equal(altered.length, 1);
  assert.match(altered[0]!.message, /here app \(set at m\.sql:9\)/);
  // the SET of the file that includes it (\ir), as psql runs them
  const included = lintFiles(
    [
      { file: 'main.sql', text: `${MEMBERS}SET search_path TO app, public;\n\\ir functions.sql\n` },
      { file: 'functions.sql', text: isMemberFn() },
    ],
    ID,
  ).mine;
  assert.equal(included.length, 1);
  assert.match(included[0]!.message, /here app, public \(set at main\.sql:3\)/);
});

test("ok: FROM CURRENT after SET search_path = public, pg_temp, or after SET search_path = '' (with qualified names), stores a safe path: no finding, and the temp table is not read", async () => {
  for (const [set, schemaOf, stored] of [
    ['SET search_path = app, pg_temp;\n', '', 'search_path=app, pg_temp'],
    ["SET search_path = '';\n", 'app.', 'search_path=""'],
    ["SELECT pg_catalog.set_config('search_path', '', false);\n", 'app.', 'search_path='],
  ] as const) {
    const { ws, mine } = lintFiles([{ file: 'm.sql', text: fromCurrent(set, schemaOf) }], ID);
    assert.equal(mine.length, 0, set);
    assert.equal(findingsOf(ws, 'definer-search-path-missing').length, 0, set);
    const shown = await shadowedMember(sqlOf(ws));
    assert.deepEqual(shown.config, [stored], set);
    assert.deepEqual([shown.before, shown.after], [false, false], set);
  }
});

test("ok (message): a WITH query's name is no table: `WITH updated AS (UPDATE public.t …) SELECT count(*) FROM updated` names nothing a temporary table shadows (rifty's riflett_recompute_trust_weights); the finding says nothing can be shadowed yet", async () => {
  const body = `CREATE FUNCTION bump() RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE n integer;
BEGIN
  WITH updated AS (UPDATE public.tenant_users AS t SET user_id = t.user_id RETURNING 1)
  SELECT count(*) INTO n FROM updated;
  RETURN n;
END $$`;
  const { mine } = lintFiles([{ file: 'm.sql', text: `${body};` }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /Its body names every table and type with its schema today, so nothing can be shadowed yet/);
  assert.equal(findingsOf(lintFiles([{ file: 'm.sql', text: `${body.replace(' SET search_path = public', '')};` }], 'definer-search-path-missing').ws, 'definer-search-path-missing')[0]!.message.includes('Its body names every table and type with its schema today'), true, 'definer-search-path-missing reads the body the same way');
  // on PostgreSQL: a caller's temporary table named updated, holding 5 rows, is not what the function counts
  const counted = await inRollback(await getDb(), async (q) => {
    await q(`SET ROLE app_owner`);
    await q(`CREATE TABLE tenant_users (tenant_id uuid, user_id uuid); INSERT INTO tenant_users VALUES ('${TENANT_A}', '${TENANT_A}')`);
    await q(body);
    await q('GRANT EXECUTE ON FUNCTION bump() TO authenticated');
    await q('RESET ROLE');
    await q('SET ROLE authenticated');
    await q(`CREATE TEMP TABLE updated AS SELECT g FROM generate_series(1, 5) g; GRANT SELECT ON updated TO PUBLIC`);
    return (await q('SELECT bump() AS n'))[0]!.n as number;
  });
  assert.equal(counted, 1, 'the WITH query is read: one row updated, not the 5 of the temporary table');
  // the same name written as a table (no WITH): the general message
  const plain = `CREATE FUNCTION f() RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$ DECLARE n integer; BEGIN SELECT count(*) INTO n FROM updated; RETURN n; END $$;`;
  assert.match(lintFiles([{ file: 'm.sql', text: plain }], ID).mine[0]!.message, /the function then reads the attacker's table/);
});

test("err: a SECURITY DEFINER trigger function a DO block's EXECUTE format('CREATE TRIGGER …') puts on tables: the message does not say no trigger runs it, and writing such a table fires it in the writer's session, where a temporary table shadows its unqualified one (PGlite)", async () => {
  const text = `CREATE ROLE dspu_dyn;
CREATE TABLE public.audit_log (what text);
CREATE TABLE public.t1 (id int);
CREATE TABLE public.t2 (id int);
GRANT INSERT ON public.t1, public.t2 TO dspu_dyn;
CREATE FUNCTION public.log_row() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
BEGIN INSERT INTO audit_log VALUES (TG_TABLE_NAME); RETURN NEW; END $$;
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['t1', 't2'] LOOP
    EXECUTE format('CREATE TRIGGER log_row AFTER INSERT ON public.%I FOR EACH ROW EXECUTE FUNCTION public.log_row()', t);
  END LOOP;
END $$;
`;
  const { mine } = lintFiles([{ file: 'db/1.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.doesNotMatch(mine[0]!.message, /no trigger of these migrations runs it/);
  assert.match(mine[0]!.message, /and then fire it in that session, by writing a table that a trigger made by dynamic SQL \(the EXECUTE at 1\.sql:12\) is on \(the session whose statement fires a trigger is the one whose search_path its function uses\) can shadow/);
  // (with no such EXECUTE, the message still says no trigger of the migrations runs it)
  const bare = lintFiles([{ file: 'db/1.sql', text: text.slice(0, text.indexOf('DO $$')) }], ID).mine;
  assert.match(bare[0]!.message, /fire it in that session \(no trigger of these migrations runs it yet\)/);
  await inRollback(await getDb(), async (q) => {
    await q(text);
    assert.equal((await q(`SELECT count(*)::int AS n FROM pg_trigger WHERE tgfoid = 'public.log_row()'::regprocedure`))[0]!.n, 2, 'the DO block made two triggers');
    await q('SET ROLE dspu_dyn');
    await q('CREATE TEMP TABLE audit_log (what text)');
    await q('INSERT INTO public.t2 VALUES (1)');
    assert.deepEqual(await q('SELECT what FROM pg_temp.audit_log'), [{ what: 't2' }], "the owner's trigger wrote the writer's temporary table");
    await q('RESET ROLE');
    assert.equal((await q('SELECT count(*)::int AS n FROM public.audit_log'))[0]!.n, 0);
  });
});

test("ok (message): a SECURITY DEFINER trigger only on Supabase's auth.users (handle_new_user, salman92-dev/indianvisa) fires in the Auth server's session: no API role may write auth.users (42501), so the message says none can fire it, as a warning; a migration granting authenticated INSERT on it names that role again, whose temporary table the trigger then writes (PGlite)", async () => {
  const text = `CREATE TABLE public.profiles (id uuid PRIMARY KEY, full_name text);
CREATE FUNCTION public.handle_new_user() RETURNS trigger AS $$
DECLARE v_full_name TEXT;
BEGIN
  v_full_name := TRIM(COALESCE(NEW.raw_user_meta_data->>'full_name', ''));
  INSERT INTO profiles (id, full_name) VALUES (NEW.id, v_full_name);
  RETURN NEW;
END;
$$ LANGUAGE plpgsql SECURITY DEFINER SET search_path = public;
CREATE TRIGGER on_auth_user_created AFTER INSERT ON auth.users FOR EACH ROW EXECUTE FUNCTION public.handle_new_user();
`;
  const file = 'supabase/migrations/20251105105015_handle_new_user.sql';
  const { mine } = lintFiles([{ file, text }], ID);
  assert.equal(mine.length, 1);
  const m = mine[0]!.message;
  assert.equal(mine[0]!.severity, 'warning', 'below the rule\'s error: nothing an API role can exploit today');
  assert.doesNotMatch(m, /by writing auth\.users/);
  assert.doesNotMatch(m, /any role that can create temporary objects/);
  assert.match(m, /SET search_path = public does not end with pg_temp\. .*would shadow it in the session that fires the function, which would then read it, or run the code it holds, with the owner's rights \(F3, T19\)\. /);
  assert.match(m, /But it is a trigger only on Supabase's auth\.users, so it runs in the session that writes auth\.users, with that session's temporary objects: the Auth server's \(supabase_auth_admin, on sign-ups and account changes\), or that of one of the platform's administrative roles \(postgres, dashboard_user\)\. /);
  assert.match(m, /The API roles anon, authenticated and service_role have no INSERT, UPDATE or DELETE on auth\.users \(these migrations grant none\), and none of them can create temporary objects in the Auth server's session: no API role can plant a temporary object where it runs, so this is not exploitable by one today; a grant of a write on auth\.users, or a trigger of it on a table API roles write, opens the hole\. Append pg_temp/);
  assert.equal(findingsOf(applyFix(lintFiles([{ file, text }], ID).ws, mine[0]!), ID).length, 0, 'the fix is the same');

  // a migration granting authenticated INSERT on auth.users: it can fire it, and the message names it
  const grant = 'GRANT INSERT ON auth.users TO authenticated;\n';
  const granted = lintFiles([{ file, text: text + grant }], ID).mine;
  assert.equal(granted.length, 1);
  assert.equal(granted[0]!.severity, 'error');
  assert.match(granted[0]!.message, /any role that can create temporary objects \(PUBLIC can, by default\) and then fire it in that session, by writing auth\.users \(which these migrations grant authenticated a write on\) \(the session whose statement fires a trigger/);
  // on a public table too: that table is the way in, auth.users is said to be the Auth server's
  const both = lintFiles([{ file, text: `${text}CREATE TABLE public.invites (id uuid);\nCREATE TRIGGER invite_made AFTER INSERT ON public.invites FOR EACH ROW EXECUTE FUNCTION public.handle_new_user();\n` }], ID).mine;
  assert.match(both[0]!.message, /by writing public\.invites \(its trigger on Supabase's auth\.users fires in the Auth server's session: no API role has INSERT, UPDATE or DELETE on auth\.users\) \(the session/);
  assert.equal(both[0]!.severity, 'error');

  // Supabase's auth.users: owned by the Auth server's role, no privilege for the API roles
  const platform = `${AUTH_STUB_SQL}
CREATE ROLE supabase_auth_admin;
CREATE TABLE auth.users (id uuid PRIMARY KEY, raw_user_meta_data jsonb);
ALTER TABLE auth.users OWNER TO supabase_auth_admin;`;
  const id = '00000000-0000-0000-0000-0000000000a1';
  for (const role of ['authenticated', 'anon']) {
    await inRollback(await getDb(), async (q) => {
      await q(platform);
      await q(text);
      await q(`SET ROLE ${role}`);
      await q('CREATE TEMP TABLE profiles (id uuid, full_name text)');
      await expectPgError(q(`INSERT INTO auth.users VALUES ('${id}', '{}')`), '42501', /permission denied for table users/);
    });
  }
  await inRollback(await getDb(), async (q) => {
    await q(platform);
    await q(text);
    // a sign-up: the Auth server writes auth.users in its own session, where no API role's temporary table is
    await q('SET ROLE supabase_auth_admin');
    await q(`INSERT INTO auth.users VALUES ('${id}', '{"full_name": "A"}')`);
    await q('RESET ROLE');
    assert.deepEqual(await q('SELECT full_name FROM public.profiles'), [{ full_name: 'A' }]);
  });
  await inRollback(await getDb(), async (q) => {
    await q(platform);
    await q(text + grant);
    await q('SET ROLE authenticated');
    await q('CREATE TEMP TABLE profiles (id uuid, full_name text)');
    await q(`INSERT INTO auth.users VALUES ('${id}', '{"full_name": "B"}')`);
    assert.deepEqual(await q('SELECT full_name FROM pg_temp.profiles'), [{ full_name: 'B' }], "the owner's trigger wrote the writer's temporary table");
    await q('RESET ROLE');
    assert.equal((await q('SELECT count(*)::int AS n FROM public.profiles'))[0]!.n, 0);
  });
});

test("ok (message): a body whose only unqualified name is the materialized view it refreshes (GECO's refresh_team_permissions) is a warning that says no code runs with the owner's rights: the shadowed REFRESH fails with 42501 (PGlite)", async () => {
  const sql = `CREATE TABLE public.teams (id int PRIMARY KEY);
CREATE MATERIALIZED VIEW public.team_counts AS SELECT count(*) AS n FROM public.teams;
CREATE FUNCTION public.refresh_counts() RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
  REFRESH MATERIALIZED VIEW team_counts;
END $$;
`;
  const { ws, mine } = lintFiles([{ file: 'm.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.equal(mine[0]!.severity, 'warning');
  assert.match(mine[0]!.message, /so a temporary materialized view of the same name as one the function refreshes without a schema \(REFRESH MATERIALIZED VIEW\) shadows it .*That runs no code of the caller's with the owner's rights: PostgreSQL refreshes a materialized view as its owner, so the call fails with 42501/);
  assert.doesNotMatch(mine[0]!.message, /runs the attacker's code/);
  // another unqualified name beside it: the general message, an error
  const more = lintFiles([{ file: 'm.sql', text: sql.replace('REFRESH MATERIALIZED VIEW team_counts;', 'REFRESH MATERIALIZED VIEW team_counts;\n  PERFORM 1 FROM teams;') }], ID).mine;
  assert.equal(more[0]!.severity, 'error');
  assert.match(more[0]!.message, /the function then reads the attacker's table/);
  const fixed = applyFix(ws, mine[0]!);
  assert.equal(findingsOf(fixed, ID).length, 0);
  for (const [w, expected] of [
    [ws, '42501'],
    [fixed, 'refreshed'],
  ] as const) {
    await inRollback(await getDb(), async (q) => {
      await q('CREATE ROLE mv_owner; CREATE ROLE mv_caller; GRANT CREATE ON SCHEMA public TO mv_owner');
      await q(`SET ROLE mv_owner; ${sqlOf(w)} INSERT INTO public.teams VALUES (1), (2); GRANT EXECUTE ON FUNCTION public.refresh_counts() TO mv_caller; RESET ROLE`);
      await q('SET ROLE mv_caller');
      await q('SELECT public.refresh_counts()');
      await q('CREATE MATERIALIZED VIEW pg_temp.team_counts AS SELECT current_user::text AS n');
      const shadowed = await tryQuery(q, 'SELECT public.refresh_counts()');
      assert.equal(shadowed.ok ? 'refreshed' : shadowed.error.code, expected, expected === '42501' ? "the function's owner may not refresh the caller's materialized view" : 'with pg_temp last, public.team_counts is refreshed');
      await q('RESET ROLE');
    });
  }
});

test("ok (message): SET search_path = public on a SECURITY DEFINER AFTER … FOR EACH ROW trigger function only on tables with RLS enabled and no policy: a role subject to RLS never fires it (shown on PGlite in definer-search-path-missing.test.ts, onlook's project_changes()), so the message says so, as a warning; a policy admitting INSERT brings the error back", () => {
  const text = `CREATE TABLE public.changes (what text);
CREATE TABLE public.conversations (id int PRIMARY KEY);
ALTER TABLE public.conversations ENABLE ROW LEVEL SECURITY;
CREATE POLICY conversations_read ON public.conversations FOR SELECT TO authenticated USING (true);
GRANT ALL ON public.conversations TO authenticated;
CREATE FUNCTION public.project_changes() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN INSERT INTO changes VALUES (TG_OP); RETURN NULL; END $$;
CREATE TRIGGER conversations_changes AFTER INSERT OR UPDATE OR DELETE ON public.conversations FOR EACH ROW EXECUTE FUNCTION public.project_changes();
`;
  const { mine } = lintFiles([{ file: 'db/1.sql', text }], 'definer-search-path-unsafe');
  assert.equal(mine.length, 1);
  assert.equal(mine[0]!.severity, 'warning');
  assert.doesNotMatch(mine[0]!.message, /any role that can create temporary objects/);
  assert.match(mine[0]!.message, /would shadow it in the session that fires the function, .*\(F3, T19\)\. But its trigger on public\.conversations is a FOR EACH ROW trigger that fires after the write .*Only roles that bypass RLS \(superusers, BYPASSRLS roles such as service_role\) or the table's owner fire it through that table today/);
  // (a policy only for a role that bypasses RLS admits no role subject to it)
  const bypass = lintFiles([{ file: 'db/1.sql', text: 'CREATE ROLE dspu_service BYPASSRLS;\n' + text + 'CREATE POLICY conversations_service ON public.conversations TO dspu_service USING (true) WITH CHECK (true);\n' }], 'definer-search-path-unsafe').mine;
  assert.equal(bypass[0]!.severity, 'warning');
  const insert = lintFiles([{ file: 'db/1.sql', text: text + 'CREATE POLICY conversations_add ON public.conversations FOR INSERT TO authenticated WITH CHECK (true);\n' }], 'definer-search-path-unsafe').mine;
  assert.equal(insert[0]!.severity, 'error');
  assert.match(insert[0]!.message, /any role that can create temporary objects \(PUBLIC can, by default\) and then fire it in that session, by writing public\.conversations/);
});

// Calibration (PGlite): a trigger declaring `REFERENCING NEW TABLE AS new_rows` lets its function
// read new_rows, and PostgreSQL resolves that name to the transition table before any schema,
// pg_temp included: the writer's temporary new_rows did not change what the trigger counted.
test("ok (message): a trigger's transition table read without a schema (REFERENCING NEW TABLE AS new_rows) is no table a temporary one shadows where its trigger fires it: a warning that says so when no other role may execute it; with EXECUTE left to PUBLIC, a trigger of the caller's own reads its temporary table (the error, saying so); a trigger of the function declaring none, or an unqualified real table, is the error as before (PGlite)", async () => {
  const head = `CREATE ROLE dspu_tt;
CREATE SCHEMA app;
GRANT USAGE ON SCHEMA app TO dspu_tt;
CREATE TABLE app.x (id int);
CREATE TABLE app.y (id int);
CREATE TABLE app.seen (n int, src text);
GRANT INSERT ON app.x, app.y TO dspu_tt;
`;
  const fn = (into = 'app.seen') => `CREATE FUNCTION app.count_new() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = app AS $$
BEGIN
  INSERT INTO ${into} SELECT count(*), TG_TABLE_NAME FROM new_rows;
  RETURN NULL;
END $$;
`;
  const onX = 'CREATE TRIGGER x_count AFTER INSERT ON app.x REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION app.count_new();\n';
  const onY = 'CREATE TRIGGER y_count AFTER INSERT ON app.y FOR EACH STATEMENT EXECUTE FUNCTION app.count_new();\n';
  const revoke = (f: string) => `REVOKE EXECUTE ON FUNCTION app.${f}() FROM PUBLIC;\n`;
  // (EXECUTE left to PUBLIC: dspu_tt, holding USAGE on app, makes a trigger of its own run it)
  const open = lintFiles([{ file: 'db/1.sql', text: head + fn() + onX }], ID).mine;
  assert.equal(open.length, 1);
  assert.equal(open[0]!.severity, 'error');
  assert.match(open[0]!.message, /fire it in that session from a trigger that declares no transition table named new_rows \(REFERENCING … TABLE AS\): one it creates on a table of its own \(a temporary table will do: CREATE TRIGGER asks only for EXECUTE on the function, which PUBLIC holds, and USAGE on its schema\), can shadow/);
  assert.match(open[0]!.message, /Revoke EXECUTE on it from PUBLIC \(a trigger fires its function without EXECUTE; CREATE TRIGGER asks for it\)/);
  assert.doesNotMatch(open[0]!.message, /so nothing can be shadowed yet/);
  const only = lintFiles([{ file: 'db/1.sql', text: head + fn() + onX + revoke('count_new') }], ID).mine;
  assert.equal(only.length, 1);
  assert.equal(only[0]!.severity, 'warning', 'no name of its body can be shadowed today');
  assert.doesNotMatch(only[0]!.message, /the function then reads the attacker's table/);
  assert.match(
    only[0]!.message,
    /Its body names every table and type with its schema today \(except the transition table new_rows, which every trigger that runs it declares with REFERENCING … TABLE AS new_rows: PostgreSQL resolves that name to the firing trigger's transition table before any schema, pg_temp included, so no temporary table shadows it\), so nothing can be shadowed yet/,
  );
  // (the trigger in another file than the function, and OLD and NEW tables both read: the same)
  const both = `CREATE FUNCTION app.diff() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = app AS $$
BEGIN
  INSERT INTO app.seen SELECT count(*), 'gone' FROM old_rows o LEFT JOIN new_rows n USING (id) WHERE n.id IS NULL;
  RETURN NULL;
END $$;
`;
  const split = lintFiles([{ file: 'db/1.sql', text: head + both + revoke('diff') }, { file: 'db/2.sql', text: 'CREATE TRIGGER x_diff AFTER UPDATE ON app.x REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION app.diff();\n' }], ID).mine;
  assert.equal(split.length, 1);
  assert.equal(split[0]!.severity, 'warning');
  assert.match(split[0]!.message, /\(except the transition tables old_rows and new_rows, which every trigger that runs it declares/);
  // a second trigger running it without REFERENCING: in its firing new_rows is looked up in the search_path
  const mixed = lintFiles([{ file: 'db/1.sql', text: head + fn() + onX + onY }], ID).mine;
  assert.equal(mixed.length, 1);
  assert.equal(mixed[0]!.severity, 'error');
  assert.match(mixed[0]!.message, /the function then reads the attacker's table/);
  assert.match(mixed[0]!.message, /, or one of these migrations' that runs the part of the body reading a name it does not declare \(its trigger on app\.y\), can shadow/);
  const mixedRevoked = lintFiles([{ file: 'db/1.sql', text: head + fn() + onX + onY + revoke('count_new') }], ID).mine;
  assert.equal(mixedRevoked[0]!.severity, 'error');
  assert.match(mixedRevoked[0]!.message, /from a trigger that declares no transition table named new_rows \(REFERENCING … TABLE AS\): one of these migrations' that runs the part of the body reading a name it does not declare \(its trigger on app\.y\), can shadow/);
  assert.doesNotMatch(mixedRevoked[0]!.message, /Revoke EXECUTE/);
  // a genuinely unqualified real table beside the transition table: reported as before
  const real = lintFiles([{ file: 'db/1.sql', text: head + fn('seen') + onX }], ID).mine;
  assert.equal(real.length, 1);
  assert.equal(real[0]!.severity, 'error');
  assert.match(real[0]!.message, /the function then reads the attacker's table/);
  // no trigger runs it: as before (its name is looked up in the search_path wherever it would run)
  const none = lintFiles([{ file: 'db/1.sql', text: head + fn() }], ID).mine;
  assert.equal(none[0]!.severity, 'error');
  assert.match(none[0]!.message, /the function then reads the attacker's table/);

  await inRollback(await getDb(), async (q) => {
    await q(head + fn() + onX + onY);
    await q('SET ROLE dspu_tt');
    await q('CREATE TEMP TABLE new_rows AS SELECT g AS id FROM generate_series(1, 5) g; GRANT SELECT ON new_rows TO PUBLIC');
    await q('INSERT INTO app.x VALUES (1), (2)');
    await q('INSERT INTO app.y VALUES (1), (2)');
    await q('RESET ROLE');
    assert.deepEqual(
      await q('SELECT src, n::int FROM app.seen ORDER BY src'),
      [
        { src: 'x', n: 2 },
        { src: 'y', n: 5 },
      ],
      "x's trigger counted its 2 new rows, the temporary table aside; y's, declaring no transition table, counted the writer's temporary table",
    );
  });
  // its own trigger, on a temporary table, declaring no transition table: the owner counts the caller's 5 rows, with the
  // function's search_path app or app, pg_temp; revoked from PUBLIC, CREATE TRIGGER fails with 42501
  for (const path of ['app', 'app, pg_temp']) {
    await inRollback(await getDb(), async (q) => {
      await q(head + fn() + onX);
      await q(`ALTER FUNCTION app.count_new() SET search_path = ${path}`);
      await q('SET ROLE dspu_tt');
      await q('CREATE TEMP TABLE new_rows AS SELECT g AS id FROM generate_series(1, 5) g');
      await q('CREATE TEMP TABLE mine (x int)');
      await q('CREATE TRIGGER mine_count AFTER INSERT ON pg_temp.mine FOR EACH STATEMENT EXECUTE FUNCTION app.count_new()');
      await q('INSERT INTO pg_temp.mine VALUES (1)');
      await q('RESET ROLE');
      assert.deepEqual(await q('SELECT src, n::int FROM app.seen'), [{ src: 'mine', n: 5 }], `search_path ${path}`);
    });
  }
  await inRollback(await getDb(), async (q) => {
    await q(head + fn() + onX + revoke('count_new'));
    await q('SET ROLE dspu_tt');
    await q('CREATE TEMP TABLE mine (x int)');
    const made = await tryQuery(q, 'CREATE TRIGGER mine_count AFTER INSERT ON pg_temp.mine FOR EACH STATEMENT EXECUTE FUNCTION app.count_new()');
    assert.equal(made.ok ? 'ok' : made.error.code, '42501');
    await q('RESET ROLE');
  });
  // the unqualified real table: the writer's temporary seen is written instead
  await inRollback(await getDb(), async (q) => {
    await q(head + fn('seen') + onX);
    await q('SET ROLE dspu_tt');
    await q('CREATE TEMP TABLE new_rows AS SELECT g AS id FROM generate_series(1, 5) g; CREATE TEMP TABLE seen (n int, src text); GRANT SELECT ON new_rows TO PUBLIC; GRANT INSERT ON seen TO PUBLIC');
    await q('INSERT INTO app.x VALUES (1), (2)');
    assert.deepEqual(await q('SELECT src, n::int FROM pg_temp.seen'), [{ src: 'x', n: 2 }], "the trigger wrote the writer's temporary seen (and counted the real new rows)");
    await q('RESET ROLE');
    assert.equal((await q('SELECT count(*)::int AS n FROM app.seen'))[0]!.n, 0);
  });
});

// Regression check (SanjoSolutions' organizations): the lowered message said a role "gets 42501 on
// INSERT" for a trigger that fires only AFTER UPDATE, on a table whose INSERT policy admits the role.
test('ok (message): an AFTER UPDATE row trigger on a table with no UPDATE policy: the message speaks of UPDATE only, not of INSERT, which a policy admits; PGlite: the INSERT works, the UPDATE changes 0 rows, the trigger never fires', async () => {
  const sql = `CREATE TABLE public.orgs (id int PRIMARY KEY, plan text);
ALTER TABLE public.orgs ENABLE ROW LEVEL SECURITY;
CREATE POLICY orgs_ins ON public.orgs FOR INSERT TO authenticated WITH CHECK (true);
CREATE POLICY orgs_sel ON public.orgs FOR SELECT TO authenticated USING (true);
GRANT SELECT, INSERT, UPDATE ON public.orgs TO authenticated;
CREATE TABLE public.plan_log (x text);
CREATE FUNCTION public.log_plan() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$ BEGIN INSERT INTO plan_log VALUES (NEW.plan); RETURN NEW; END $$;
CREATE TRIGGER orgs_plan AFTER UPDATE ON public.orgs FOR EACH ROW EXECUTE FUNCTION public.log_plan();
`;
  const { mine } = lintFiles([{ file: 'db/1.sql', text: sql }], 'definer-search-path-unsafe');
  assert.equal(mine.length, 1);
  assert.equal(mine[0]!.severity, 'warning');
  assert.match(mine[0]!.message, /a role subject to RLS that writes it changes 0 rows on UPDATE, so the trigger never fires in its session/);
  assert.doesNotMatch(mine[0]!.message, /42501 on INSERT/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.ok((await tryQuery(q, `INSERT INTO public.orgs VALUES (1, 'free')`)).ok, 'the INSERT policy admits it');
    assert.equal((await q(`UPDATE public.orgs SET plan = 'pro' RETURNING id`)).length, 0, 'no UPDATE policy: 0 rows');
    await q('RESET ROLE');
    assert.equal((await q('SELECT count(*)::int AS n FROM public.plan_log'))[0]!.n, 0, 'the trigger never fired');
  });
});

test("the message's example appends pg_temp to the function's own schemas (SET search_path = auth: 'auth, pg_temp', not 'public, pg_temp'; slack-clone's create_user)", () => {
  const sql = "CREATE FUNCTION public.create_user(email text) RETURNS uuid LANGUAGE plpgsql SECURITY DEFINER SET search_path = auth AS $$ BEGIN INSERT INTO users (email) VALUES (email); RETURN NULL; END $$;\n";
  const r = lintFiles([{ file: 'supabase/migrations/20240101000000_u.sql', text: sql }], 'definer-search-path-unsafe');
  assert.equal(r.mine.length, 1);
  assert.match(r.mine[0]!.message, /Append pg_temp \(SET search_path = auth, pg_temp\), or use SET search_path = ''/);
});

test("ok (message): FROM in an expression names no table: `IF public.fn_is_super_admin() IS DISTINCT FROM true`, `IS NOT DISTINCT FROM NULL`, `EXTRACT(epoch FROM …)` (aelmamclinic's admin_payment_stats): a warning that says nothing can be shadowed yet; PGlite: the caller's temporary tables named true and now_ts change nothing", async () => {
  const body = `CREATE FUNCTION is_member(p uuid) RETURNS boolean LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public AS $$
DECLARE since double precision;
BEGIN
  IF auth.uid() IS NOT DISTINCT FROM NULL THEN
    RETURN false;
  END IF;
  since := EXTRACT(epoch FROM pg_catalog.now());
  RETURN (EXISTS (SELECT 1 FROM public.tenant_users t WHERE t.tenant_id = p AND t.user_id = auth.uid())) IS DISTINCT FROM false
    AND since IS DISTINCT FROM NULL;
END $$`;
  const { mine } = lintFiles([{ file: 'm.sql', text: `-- « naïve » 日本語 😀\n${body};` }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /Its body names every table and type with its schema today, so nothing can be shadowed yet/);
  assert.equal(mine[0]!.severity, 'warning');
  // (the same body reading a table without its schema, after an IS DISTINCT FROM: the error, as before)
  const unqualified = body.replace('FROM public.tenant_users t', 'FROM tenant_users t');
  const r = lintFiles([{ file: 'm.sql', text: `${unqualified};` }], ID).mine;
  assert.match(r[0]!.message, /the function then reads the attacker's table/);
  assert.equal(r[0]!.severity, 'error');
  // (and an EXTRACT of a column without its schema is a column, not a table)
  const column = `CREATE FUNCTION f() RETURNS double precision LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$ SELECT max(EXTRACT(epoch FROM t.created_at)) FROM public.events t $$;`;
  assert.match(lintFiles([{ file: 'm.sql', text: `CREATE TABLE public.events (created_at timestamptz);\n${column}` }], ID).mine[0]!.message, /nothing can be shadowed yet/);
  // on PostgreSQL: temporary tables named after the words following FROM are not read
  const answers = await inRollback(await getDb(), async (q) => {
    await setup(q, body);
    const before = await isMember(q, TENANT_A);
    await q(`CREATE TEMP TABLE "true" (x int); CREATE TEMP TABLE "null" (x int); ${forge}`);
    return [before, await isMember(q, TENANT_A), await isMember(q, TENANT_B)];
  });
  assert.deepEqual(answers, [true, true, false], 'public.tenant_users is read before and after: the forged membership of tenant B is not seen');
  assert.equal(await hijacked(unqualified), true, 'with tenant_users unqualified the temporary table is read (F3)');
});

test("ok (message): FROM inside SUBSTRING(… FROM … FOR …), TRIM([BOTH|LEADING] … FROM …), OVERLAY(… PLACING … FROM …) and POSITION(… IN …) names no table: a fully qualified body is the warning; PGlite: temporary tables named after the words after FROM change nothing", async () => {
  for (const path of ["''", 'public, pg_temp', 'public']) {
    const body = `CREATE FUNCTION is_member(p uuid) RETURNS boolean LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ${path} AS $$
BEGIN
  RETURN EXISTS (SELECT 1 FROM public.tenant_users t CROSS JOIN (VALUES (1, ' ')) o (one, pad)
    WHERE t.tenant_id = p AND t.user_id = auth.uid()
      AND TRIM(BOTH pad FROM tenant_id::varchar) <> '' AND TRIM(FROM tenant_id::varchar) <> '' AND TRIM(LEADING FROM user_id::varchar) <> ''
      AND SUBSTRING(user_id::varchar FROM one FOR 8) = SUBSTRING(auth.uid()::varchar FOR 8 FROM one)
      AND OVERLAY(tenant_id::varchar PLACING 'x' FROM one) IS NOT NULL AND OVERLAY(tenant_id::varchar PLACING 'x' FROM one FOR one) IS NOT NULL
      AND POSITION('-' IN tenant_id::varchar) > 0);
END $$`;
    const { mine } = lintFiles([{ file: 'm.sql', text: `${body};` }], ID);
    if (path !== 'public') assert.equal(mine.length, 0, `SET search_path = ${path}: nothing to report`);
    else {
      assert.equal(mine.length, 1);
      assert.match(mine[0]!.message, /nothing can be shadowed yet/);
      assert.equal(mine[0]!.severity, 'warning');
    }
    // (a table named without its schema after an expression's FROM is still the error)
    const unqualified = body.replace('FROM public.tenant_users t', 'FROM tenant_users t');
    const r = lintFiles([{ file: 'm.sql', text: `${unqualified};` }], ID).mine;
    if (path === 'public') {
      assert.match(r[0]!.message, /the function then reads the attacker's table/);
      assert.equal(r[0]!.severity, 'error');
    }
    // on PostgreSQL: temporary tables named one, pad, tenant_id, user_id are not read
    const answers = await inRollback(await getDb(), async (q) => {
      await setup(q, body);
      const before = await isMember(q, TENANT_A);
      await q(`CREATE TEMP TABLE one (x int); CREATE TEMP TABLE pad (x int); CREATE TEMP TABLE tenant_id (x int); CREATE TEMP TABLE user_id (x int); ${forge}`);
      return [before, await isMember(q, TENANT_A), await isMember(q, TENANT_B)];
    });
    assert.deepEqual(answers, [true, true, false], `${path}: public.tenant_users is read before and after: the forged membership of tenant B is not seen`);
  }
});

test('err: a function whose EXECUTE is revoked from PUBLIC: the message says a role must also run it in that session, and names the roles the migrations leave EXECUTE to (white-label-portal)', async () => {
  const fn = `CREATE FUNCTION public.is_member(p uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
  $$ SELECT EXISTS (SELECT 1 FROM tenant_users WHERE tenant_id = p AND user_id = auth.uid()) $$;
REVOKE ALL ON FUNCTION public.is_member(uuid) FROM PUBLIC`;
  const owned = lintFiles([{ file: 'm.sql', text: `${fn};` }], ID).mine;
  assert.equal(owned.length, 1);
  assert.equal(owned[0]!.severity, 'error', 'a function or trigger calling it may still run it in another role\'s session');
  assert.match(owned[0]!.message, /\(PUBLIC can, by default\) and then run the function in that session \(its EXECUTE is revoked from PUBLIC, so only a role that holds EXECUTE — these migrations leave it to its owner alone; a member of a role that holds it inherits it — or a function or trigger that calls it runs it there\) can shadow/);
  const granted = lintFiles([{ file: 'm.sql', text: `${fn};\nGRANT EXECUTE ON FUNCTION public.is_member(uuid) TO authenticated;` }], ID).mine;
  assert.match(granted[0]!.message, /these migrations leave it to authenticated besides its owner/);
  // (PUBLIC holding it: no such note, as before)
  const open = lintFiles([{ file: 'm.sql', text: `${fn.replace(/REVOKE[^]*$/, '')}` }], ID).mine;
  assert.doesNotMatch(open[0]!.message, /run the function in that session/);
  // on PostgreSQL: without EXECUTE the caller's temporary table changes nothing (42501 before the body runs); with it, the forged row is read
  const db = await getDb();
  const denied = await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q('SET ROLE app_owner');
    await q(`CREATE TABLE tenant_users (tenant_id uuid, user_id uuid); INSERT INTO tenant_users VALUES ('${TENANT_A}', '${TENANT_A}')`);
    await q(fn);
    await q('RESET ROLE');
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    await q(forge);
    return tryQuery(q, `SELECT is_member('${TENANT_B}') AS m`);
  });
  assert.equal(denied.ok, false);
  assert.equal(!denied.ok && denied.error.code, '42501');
  assert.equal(await hijacked(fn), true, 'granted EXECUTE (setup grants it to authenticated), the forged membership of tenant B is believed');
});

/** is_member with a safe SET clause whose body sets the search_path again (`reset`) before reading tenant_users. */
// (VOLATILE: PostgreSQL refuses a SET statement in a STABLE function's body)
const resetIn = (reset: string) => `CREATE FUNCTION is_member(tid uuid) RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  ${reset}
  RETURN EXISTS (SELECT 1 FROM tenant_users WHERE tenant_id = tid AND user_id = auth.uid());
END
$$;`;

for (const [what, reset, fixed] of [
  ['SET LOCAL search_path = public', 'SET LOCAL search_path = public;', 'SET LOCAL search_path = public, pg_temp;'],
  ["set_config('search_path', 'public', true)", "PERFORM set_config('search_path', 'public', true);", "PERFORM set_config('search_path', 'public, pg_temp', true);"],
] as const) {
  test(`err: a safe SET clause, then the body's ${what}: a temp table hijacks the rest of the call (F3, T19); the fix appends pg_temp to the body's path`, async () => {
    const text = resetIn(reset);
    const { ws, mine } = lintFiles([{ file: 'm.sql', text }], ID);
    assert.equal(mine.length, 1);
    assert.equal(textAt(ws, mine[0]!), reset.replace(/^PERFORM /, '').replace(/;$/, ''));
    assert.match(mine[0]!.message, /its SET search_path = public, pg_temp ends with pg_temp, but its body's `[^`]+` then sets a search_path that does not \(public\), and a statement after it names a table or type without a schema/);
    assert.equal(await hijacked(text), true, 'the forged membership of tenant B is believed');
    assert.equal(await hijacked(resetIn('')), false, 'without the body SET the clause protects the call');
    assert.equal(mine[0]!.fixes[0]!.kind, 'safe');
    const after = applyFix(ws, mine[0]!);
    assert.ok(sqlOf(after).includes(fixed), sqlOf(after));
    assert.equal(findingsOf(after, ID).length, 0);
    assert.equal(await hijacked(sqlOf(after)), false, 'public.tenant_users is read');
  });
}

test('ok: a body SET of search_path that ends with pg_temp, that is \'\', or after which nothing is named without a schema is not reported', () => {
  for (const reset of [
    'SET LOCAL search_path = public, pg_temp;',
    "SET LOCAL search_path = '';",
    "PERFORM set_config('search_path', 'app, pg_temp', true);",
  ])
    assert.equal(lintFiles([{ file: 'm.sql', text: resetIn(reset) }], ID).mine.length, 0, reset);
  const qualified = resetIn('SET LOCAL search_path = public;').replace('FROM tenant_users', 'FROM public.tenant_users').replace('auth.uid()', 'auth.uid()::pg_catalog.uuid');
  assert.equal(lintFiles([{ file: 'm.sql', text: qualified }], ID).mine.length, 0, 'all names qualified after it');
  // before the SET, the clause's path holds: a name read only before it is not shadowable
  const before = resetIn('PERFORM 1 FROM tenant_users;\n  SET LOCAL search_path = public;').replace('FROM tenant_users WHERE', 'FROM public.tenant_users WHERE');
  assert.equal(lintFiles([{ file: 'm.sql', text: before }], ID).mine.length, 0, 'named only before it');
});
