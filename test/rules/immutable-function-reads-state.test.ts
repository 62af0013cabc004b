// immutable-function-reads-state on PostgreSQL (PGlite): a policy helper marked IMMUTABLE that
// reads current_setting is folded into a cached generic plan, so after the session switches
// tenant a prepared statement still returns the first tenant's rows (T24); STABLE is correct
// (T24b). Also observed here: the leak survives `(select cur_tenant())` and happens with a
// PL/pgSQL helper reading a table.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, expectPgError, getDb, inRollback, tryQuery, type Q } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintFiles, sqlOf, TENANT_A, TENANT_B, textAt } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';

const ID = 'immutable-function-reads-state';
before(initParser);
after(closeAll);

const ROWS = `INSERT INTO tenant_users VALUES (1, '${TENANT_A}', 'admin'), (2, '${TENANT_A}', 'member'), (3, '${TENANT_B}', 'member')`;
const tenant = (id: string) => `SELECT set_config('app.tenant_id', '${id}', true)`;

/** Runs the migration, then as authenticated executes one prepared statement for tenant A and then for tenant B. */
async function probe(q: Q, sql: string): Promise<{ a: number; b: number }> {
  await q(sql);
  await q(ROWS);
  await q('SET LOCAL plan_cache_mode = force_generic_plan');
  await q('SET ROLE authenticated');
  await q('PREPARE visible AS SELECT count(*)::int AS n FROM tenant_users');
  await q(tenant(TENANT_A));
  const a = (await q('EXECUTE visible'))[0]!.n as number;
  await q(tenant(TENANT_B));
  const b = (await q('EXECUTE visible'))[0]!.n as number;
  return { a, b };
}

test("err: IMMUTABLE cur_tenant() in a policy: the generic plan keeps tenant A's 2 rows for tenant B (T24); STABLE: 1 row (T24b)", async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'IMMUTABLE');
  assert.match(finding.message, /public\.cur_tenant\(\) is marked IMMUTABLE but reads current_setting\(\).*\(T24\)/);
  const db = await getDb();
  assert.deepEqual(await inRollback(db, (q) => probe(q, sqlOf(ws))), { a: 2, b: 2 }, 'cross-tenant leak, even through (select cur_tenant())');
  const fixed = applyFix(ws, finding);
  assert.equal(finding.fixes[0]!.kind, 'safe');
  assert.match(sqlOf(fixed), /RETURNS uuid LANGUAGE sql STABLE AS/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  assert.deepEqual(await inRollback(db, (q) => probe(q, sqlOf(fixed))), { a: 2, b: 1 });
});

test('err: the same leak without the sub-select (the T24 policy as measured)', async () => {
  const { ws } = invalidFinding(ID, 0);
  const sql = sqlOf(ws).replace('(select cur_tenant())', 'cur_tenant()');
  const db = await getDb();
  assert.deepEqual(await inRollback(db, (q) => probe(q, sql)), { a: 2, b: 2 });
  assert.deepEqual(await inRollback(db, (q) => probe(q, sql.replace('IMMUTABLE', 'STABLE'))), { a: 2, b: 1 });
});

test('err: a PL/pgSQL IMMUTABLE helper reading a table leaks the same way; STABLE does not', async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.match(finding.message, /reads table public\.memberships, auth\.uid\(\)/);
  const policy = `${sqlOf(ws)};
CREATE TABLE memberships (user_id uuid, tenant_id uuid);
CREATE TABLE tenant_users (id bigint PRIMARY KEY, tenant_id uuid NOT NULL, role text NOT NULL);
ALTER TABLE tenant_users ENABLE ROW LEVEL SECURITY;
CREATE POLICY t ON tenant_users FOR SELECT TO authenticated USING (tenant_id = my_tenant());
GRANT SELECT ON tenant_users, memberships TO authenticated;
INSERT INTO memberships VALUES ('${TENANT_A}', '${TENANT_A}'), ('${TENANT_B}', '${TENANT_B}');`;
  const run = (q: Q, sql: string) => probeUsers(q, sql);
  const db = await getDb();
  assert.deepEqual(await inRollback(db, (q) => run(q, policy)), { a: 2, b: 2 });
  const fixed = sqlOf(applyFix(ws, finding));
  assert.deepEqual(await inRollback(db, (q) => run(q, policy.replace(sqlOf(ws), () => fixed))), { a: 2, b: 1 });
});

/** As probe, but the tenant comes from the user id (auth.uid()) instead of app.tenant_id. */
async function probeUsers(q: Q, sql: string): Promise<{ a: number; b: number }> {
  await q(AUTH_STUB_SQL);
  await q(sql);
  await q(ROWS);
  await q('SET LOCAL plan_cache_mode = force_generic_plan');
  await q('SET ROLE authenticated');
  await q('PREPARE visible AS SELECT count(*)::int AS n FROM tenant_users');
  await q(actAs(TENANT_A));
  const a = (await q('EXECUTE visible'))[0]!.n as number;
  await q(actAs(TENANT_B));
  const b = (await q('EXECUTE visible'))[0]!.n as number;
  return { a, b };
}

test('err: used in an index expression: the fix is unsafe, because PostgreSQL requires IMMUTABLE there (42P17)', async () => {
  const sql = `CREATE FUNCTION cur_tenant() RETURNS uuid LANGUAGE sql IMMUTABLE AS $$ SELECT nullif(current_setting('app.tenant_id', true), '')::uuid $$;
CREATE TABLE t (id bigint PRIMARY KEY, tenant_id uuid);
CREATE INDEX t_mine ON t ((tenant_id = cur_tenant()));`;
  const { mine } = lintFiles([{ file: 'm.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.equal(mine[0]!.fixes[0]!.kind, 'unsafe');
  assert.match(mine[0]!.message, /used in an index expression/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await expectPgError(q(sql.replace('IMMUTABLE', 'STABLE')), '42P17', 'functions in index expression must be marked IMMUTABLE');
  });
});

test("ok: a set-returning IMMUTABLE function reading a table is not reported: PostgreSQL never evaluates it while planning, and the generic plan returns tenant B's row after the switch (txm's all_categories())", async () => {
  const text = `CREATE TABLE tenant_users (id bigint PRIMARY KEY, tenant_id uuid NOT NULL, role text NOT NULL);
ALTER TABLE tenant_users ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_users_own ON tenant_users FOR SELECT TO authenticated
  USING (tenant_id = (select current_setting('app.tenant_id', true)::uuid));
GRANT SELECT ON tenant_users TO authenticated;
CREATE FUNCTION public.my_users() RETURNS SETOF tenant_users LANGUAGE sql IMMUTABLE AS $$ SELECT * FROM tenant_users $$;
CREATE FUNCTION public.my_roles() RETURNS TABLE (role text) LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN RETURN QUERY SELECT t.role FROM tenant_users t; END $$;
`;
  const { mine } = lintFiles([{ file: 'a.sql', text }], ID);
  assert.deepEqual(mine, []);
  for (const fn of ['my_users()', 'my_roles()']) {
    const seen = await inRollback(await getDb(), async (q) => {
      await q(text);
      await q(ROWS);
      await q('SET LOCAL plan_cache_mode = force_generic_plan');
      await q('SET ROLE authenticated');
      await q(`PREPARE visible AS SELECT count(*)::int AS n FROM public.${fn}`);
      await q(tenant(TENANT_A));
      const a = (await q('EXECUTE visible'))[0]!.n as number;
      await q(tenant(TENANT_B));
      const b = (await q('EXECUTE visible'))[0]!.n as number;
      return { a, b };
    });
    assert.deepEqual(seen, { a: 2, b: 1 }, fn);
  }
});

test('ok: an IMMUTABLE trigger function reading the clock and a setting is not reported: PostgreSQL never plans a call to it (0A000 when called in a query), and under a generic plan each INSERT stamps its own tenant and time (energyaccessexplorer/database before_any_create())', async () => {
  const text = `CREATE TABLE notes (id bigint PRIMARY KEY, tenant text, created timestamptz);
CREATE FUNCTION public.before_any_create() RETURNS trigger LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN
  new.tenant = current_setting('app.tenant_id', true);
  new.created = clock_timestamp();
  RETURN new;
END $$;
CREATE TRIGGER notes_before_create BEFORE INSERT ON notes FOR EACH ROW EXECUTE FUNCTION public.before_any_create();
`;
  const { mine } = lintFiles([{ file: 'a.sql', text }], ID);
  assert.deepEqual(mine, []);
  const rows = await inRollback(await getDb(), async (q) => {
    await q(text);
    await q('SET LOCAL plan_cache_mode = force_generic_plan');
    await q('PREPARE add(bigint) AS INSERT INTO notes (id) VALUES ($1)');
    await q(tenant(TENANT_A));
    await q('EXECUTE add(1)');
    // (a moment between the two: on a fast machine both INSERTs could read the same clock_timestamp())
    await q('SELECT pg_sleep(0.005)');
    await q(tenant(TENANT_B));
    await q('EXECUTE add(2)');
    const seen = await q('SELECT id::int, tenant, created::text AS created FROM notes ORDER BY id');
    await q('DEALLOCATE add');
    await expectPgError(q('SELECT public.before_any_create()'), '0A000', 'trigger functions can only be called as triggers');
    return seen;
  });
  assert.deepEqual(rows.map((r) => r.tenant), [TENANT_A, TENANT_B]);
  assert.ok(String(rows[0]!.created) < String(rows[1]!.created), 'the second INSERT stamps a later clock_timestamp()');
});

test("ok/err: an IMMUTABLE function calling an overload that reads no state is not reported for another overload of that name that does (docker4gis's wms.envelope(text) calls the setter wms.env(text, text), not the getter wms.env(text)); PGlite: it never reads the unset setting; calling the getter is reported", async () => {
  const sql = `CREATE SCHEMA wms;
CREATE FUNCTION wms.env(p_key text, p_value text) RETURNS void LANGUAGE sql AS $$ SELECT set_config('wms.' || lower(p_key), p_value, false) $$;
CREATE FUNCTION wms.env(p_key text) RETURNS text LANGUAGE sql STABLE AS $$ SELECT current_setting('wms.' || lower(p_key)) $$;
CREATE FUNCTION wms.envelope(p_envelope text) RETURNS void LANGUAGE sql IMMUTABLE AS $$ SELECT wms.env('envelope', coalesce(nullif(p_envelope, ''), '-180,-90,180,90,4326')) $$;
CREATE FUNCTION wms.box() RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT wms.env('envelope') $$;
`;
  const { mine } = lintFiles([{ file: 'db/1_wms.sql', text: sql }], ID);
  assert.deepEqual(mine.map((f) => /^Function (\S+)/.exec(f.message)![1]), ['wms.box()']);
  assert.match(mine[0]!.message, /reads current_setting\(\) \(through wms\.env\(text\)\)/);
  await inRollback(await getDb(), async (q) => {
    await q(sql);
    const box = await tryQuery(q, 'SELECT wms.box()');
    assert.equal(box.ok ? 'ok' : box.error.code, '42704');
    await q("SELECT wms.envelope('1,2,3,4,4326')");
    assert.deepEqual(await q("SELECT current_setting('wms.envelope') AS v"), [{ v: '1,2,3,4,4326' }]);
  });
});

test("err (message): an unqualified system catalog the body reads is named as pg_catalog's, where PostgreSQL finds it whatever the search_path (Supabase's realtime.quote_wal2json(regclass) reads pg_class and pg_namespace, not public.pg_class); PGlite: with search_path '' the name resolves to pg_catalog.pg_class and public has none", async () => {
  const sql = `SELECT pg_catalog.set_config('search_path', '', false);
CREATE SCHEMA realtime;
CREATE FUNCTION realtime.quote_name_of(entity regclass) RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT nsp.nspname || '.' || pc.relname FROM pg_class pc JOIN pg_namespace nsp ON pc.relnamespace = nsp.oid WHERE pc.oid = entity
$$;`;
  const { mine } = lintFiles([{ file: 'm.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /reads table pg_catalog\.pg_class, table pg_catalog\.pg_namespace,/);
  assert.doesNotMatch(mine[0]!.message, /public\.pg_/);
  await inRollback(await getDb(), async (q) => {
    await q(sql);
    assert.equal((await q(`SELECT realtime.quote_name_of('pg_catalog.pg_proc'::regclass) AS n`))[0]!.n, 'pg_catalog.pg_proc');
    assert.deepEqual((await q(`SELECT 'pg_class'::regclass::oid = 'pg_catalog.pg_class'::regclass::oid AS same, to_regclass('public.pg_class') IS NULL AS none`))[0], { same: true, none: true });
  });
});

test('ok (message): a table of the workspace named pg_something keeps its own name', () => {
  const sql = `CREATE TABLE public.pg_settings_copy (name text PRIMARY KEY, value text);
CREATE FUNCTION setting_of(n text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT value FROM pg_settings_copy WHERE name = n $$;`;
  const { mine } = lintFiles([{ file: 'm.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /reads table public\.pg_settings_copy,/);
});

// Calibration cal104 (chatterbox's pgjwt port in schema auth: IMMUTABLE auth.algorithm_sign() calls
// the workspace's own IMMUTABLE auth.url_encode(), and was said to read state because every auth.*
// call was taken for Supabase's auth.uid() & co.).
test("ok/err: an IMMUTABLE function calling the workspace's own IMMUTABLE auth.url_encode() reads no state; one calling Supabase's auth.uid() (not made by the workspace) or a workspace auth.uid() reading a setting does; PGlite: url_encode is IMMUTABLE and its caller answers alike for the same argument", async () => {
  const encode = `CREATE SCHEMA IF NOT EXISTS auth;
CREATE FUNCTION auth.url_encode(data bytea) RETURNS text IMMUTABLE LANGUAGE sql AS $$ SELECT translate(encode(data, 'base64'), E'+/=\\n', '-_') $$;
CREATE FUNCTION auth.enc2(data bytea) RETURNS text IMMUTABLE LANGUAGE sql AS $$ SELECT auth.url_encode(data) || '.' $$;
`;
  const { ws, mine } = lintFiles([{ file: 'db/1_jwt.sql', text: encode }], ID);
  assert.deepEqual(mine, []);
  const platform = 'CREATE FUNCTION public.me() RETURNS uuid IMMUTABLE LANGUAGE sql AS $$ SELECT auth.uid() $$;\n';
  assert.match(lintFiles([{ file: 'db/1_me.sql', text: platform }], ID).mine[0]?.message ?? '', /reads auth\.uid\(\)/);
  const own = `CREATE SCHEMA IF NOT EXISTS auth;
CREATE FUNCTION auth.uid() RETURNS uuid STABLE LANGUAGE sql AS $$ SELECT nullif(current_setting('request.jwt.claim.sub', true), '')::uuid $$;
${platform}`;
  assert.match(lintFiles([{ file: 'db/1_me.sql', text: own }], ID).mine[0]?.message ?? '', /reads current_setting\(\)/);
  await inRollback(await getDb(), async (q) => {
    await q(sqlOf(ws));
    assert.deepEqual(await q(`SELECT p.proname, p.provolatile FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'auth' AND p.proname IN ('url_encode', 'enc2') ORDER BY 1`), [{ proname: 'enc2', provolatile: 'i' }, { proname: 'url_encode', provolatile: 'i' }]);
    await q(`SET app.x = 'a'`);
    const first = await q(`SELECT auth.enc2('\\x0102'::bytea) AS v`);
    await q(`SET app.x = 'b'`);
    assert.deepEqual(await q(`SELECT auth.enc2('\\x0102'::bytea) AS v`), first);
    assert.deepEqual(first, [{ v: 'AQI.' }]);
  });
});

// fix108: TRUNCATE is kept apart from row writes in the model (Func.truncates); a body running it still needs VOLATILE.
test('err (fix): an IMMUTABLE function that reads a setting and runs TRUNCATE is marked VOLATILE, not STABLE; PGlite: the STABLE version fails with 0A000, the VOLATILE one runs', async () => {
  const sql = `CREATE TABLE scratch (x text);
CREATE FUNCTION reset_scratch() RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN TRUNCATE scratch; RETURN current_setting('app.tenant', true); END $$;
`;
  const { mine } = lintFiles([{ file: 'db/1.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.deepEqual(mine[0]!.fixes?.map((f) => f.title), ['Mark public.reset_scratch() VOLATILE']);
  await inRollback(await getDb(), async (q) => {
    await q(sql.replace('IMMUTABLE', 'STABLE'));
    const stable = await tryQuery(q, 'SELECT reset_scratch()');
    assert.ok(!stable.ok && stable.error.code === '0A000' && /TRUNCATE TABLE is not allowed in a non-volatile function/.test(stable.error.message));
  });
  await inRollback(await getDb(), async (q) => {
    await q(sql.replace('IMMUTABLE', 'VOLATILE'));
    assert.ok((await tryQuery(q, 'SELECT reset_scratch()')).ok);
  });
});
