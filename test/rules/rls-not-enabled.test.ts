// rls-not-enabled on PostgreSQL (PGlite): without RLS a granted role reads every row; after
// the fix (ENABLE + FORCE) it reads none without a policy, and only its own rows with one.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { affected, asOwner, closeAll, count, ensureRoles, getDb, inRollback, runEachStatement, runFilesInTransactions, tryQuery, type Q } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintDocExample, lintFiles, nestedParentheses, sqlOf, TENANT_A, TENANT_B, textAt } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL, onSupabase } from '../helpers/supabase.js';
import { migrationOrder } from '../../server/src/analysis/model.js';
import { DEFAULT_CONFIG } from '../../server/src/analysis/config.js';

const ID = 'rls-not-enabled';
before(initParser);
after(closeAll);

async function profiles(q: Q, sql: string, extra = ''): Promise<number> {
  await q(AUTH_STUB_SQL);
  await asOwner(q, sql);
  if (extra) await asOwner(q, extra);
  await q(`INSERT INTO profiles VALUES ('${TENANT_A}', 'a'), ('${TENANT_B}', 'b'); GRANT SELECT ON profiles TO authenticated`);
  await q(actAs(TENANT_A));
  await q('SET ROLE authenticated');
  return count(q, 'profiles');
}

test('err: no RLS: a granted role reads every row; fixed: none without a policy, its own with one', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'profiles');
  assert.match(finding.message, /row-level security is never enabled/);
  // (no GRANT in the migrations, outside Supabase: said so; the test grants it afterwards, as a deployment would)
  assert.match(finding.message, /the migrations give no role but its owner \(or one that bypasses RLS\) access to it, yet any role granted access elsewhere or later reads and writes all rows/);
  const db = await getDb();
  await inRollback(db, async (q) => assert.equal(await profiles(q, sqlOf(ws)), 2));
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /ALTER TABLE profiles ENABLE ROW LEVEL SECURITY;\nALTER TABLE profiles FORCE ROW LEVEL SECURITY;/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(db, async (q) => assert.equal(await profiles(q, sqlOf(fixed)), 0, 'RLS on, no policy: nothing (T12)'));
  const policy = 'CREATE POLICY profiles_own ON profiles FOR SELECT TO authenticated USING (id = (select auth.uid()));';
  await inRollback(db, async (q) => assert.equal(await profiles(q, sqlOf(fixed), policy), 1, 'with a policy: only its own row'));
});

test('err: enabling another table in a later file does not count', async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.equal(textAt(ws, finding), 'public.invoices');
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await asOwner(q, sqlOf(ws));
    await q(`INSERT INTO invoices VALUES (1, '${TENANT_A}'), (2, '${TENANT_B}'); GRANT SELECT ON invoices TO authenticated; SET ROLE authenticated`);
    assert.equal(await count(q, 'invoices'), 2);
  });
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await asOwner(q, sqlOf(applyFix(ws, finding)));
    await q(`INSERT INTO invoices VALUES (1, '${TENANT_A}'), (2, '${TENANT_B}'); GRANT SELECT ON invoices TO authenticated; SET ROLE authenticated`);
    assert.equal(await count(q, 'invoices'), 0);
  });
});

test('err: a name with quoted parts is reported and fixed whole (supabase-cache-helpers: create table "public"."address_book")', () => {
  const { ws, mine } = lintFiles([{ file: 'm/1_t.sql', text: 'create table "public"."address_book" (id uuid primary key);' }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), '"public"."address_book"');
  const fixed = applyFix(ws, mine[0]!);
  assert.match(sqlOf(fixed), /ALTER TABLE "public"\."address_book" ENABLE ROW LEVEL SECURITY;\nALTER TABLE "public"\."address_book" FORCE ROW LEVEL SECURITY;/);
  assert.equal(findingsOf(fixed, ID).length, 0);
});

test('ok: a later CREATE TABLE IF NOT EXISTS of the table only gives a NOTICE: RLS stays on (Valid example 4)', async () => {
  const { ex, mine } = lintDocExample(ID, 'valid', 3);
  assert.equal(mine.length, 0);
  assert.match(ex.sql, /CREATE TABLE IF NOT EXISTS invoices/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await asOwner(q, ex.sql);
    await q(`INSERT INTO invoices VALUES (1, '${TENANT_A}'); GRANT SELECT ON invoices TO authenticated; SET ROLE authenticated`);
    assert.equal(await count(q, 'invoices'), 0, 'RLS on and no policy: nothing');
    await q('RESET ROLE');
    const [r] = await q(`SELECT relrowsecurity AS on, relforcerowsecurity AS forced FROM pg_class WHERE relname = 'invoices'`);
    assert.deepEqual({ ...r }, { on: true, forced: true });
  });
});

test('ok: RLS enabled by dynamic SQL is not "never enabled": a DO block looping over names, a loop over the catalog keeping a prefix, a helper called with the table (analysis/dynamic-rls.ts)', async () => {
  const tables = 'CREATE TABLE invoices (id int);\nCREATE TABLE orders (id int);\nCREATE TABLE fa_scans (id int);\nCREATE TABLE fa_jobs (id int);\nCREATE TABLE audit_log (id int);\nCREATE TABLE notes (id int);\n';
  const loops = `DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['invoices', 'orders'] LOOP
    EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY', t);
  END LOOP;
END $$;
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public' AND c.relkind = 'r' AND left(c.relname, 3) = 'fa_' LOOP
    EXECUTE 'ALTER TABLE public.' || quote_ident(r.relname) || ' ENABLE ROW LEVEL SECURITY';
  END LOOP;
END $$;
CREATE FUNCTION enable_rls(t regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
END $$;
SELECT enable_rls('public.audit_log'::regclass);
`;
  const { mine } = lintFiles([{ file: 'm/1_tables.sql', text: tables }, { file: 'm/2_rls.sql', text: loops }], ID);
  assert.deepEqual(mine.map((f) => f.message.match(/Table (\S+)/)![1]), ['public.notes']);
  await inRollback(await getDb(), async (q) => {
    await q(tables + loops);
    const rows = await q(`SELECT relname, relrowsecurity AS on FROM pg_class WHERE relname IN ('invoices', 'orders', 'fa_scans', 'fa_jobs', 'audit_log', 'notes') ORDER BY relname`);
    assert.deepEqual(rows.map((r) => `${r.relname}:${r.on}`), ['audit_log:true', 'fa_jobs:true', 'fa_scans:true', 'invoices:true', 'notes:false', 'orders:true']);
  });
});

test('err: a DO block looping over every table of the catalog enables RLS on those made before it, not on a table made after it', async () => {
  const sql = `CREATE TABLE early (id int);
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
    EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY', r.tablename);
  END LOOP;
END $$;
CREATE TABLE later (id int);
`;
  const { mine } = lintFiles([{ file: 'm/1.sql', text: sql }], ID);
  assert.deepEqual(mine.map((f) => f.message.match(/Table (\S+)/)![1]), ['public.later']);
  await inRollback(await getDb(), async (q) => {
    await q(sql);
    const rows = await q(`SELECT relname, relrowsecurity AS on FROM pg_class WHERE relname IN ('early', 'later') ORDER BY relname`);
    assert.deepEqual(rows.map((r) => `${r.relname}:${r.on}`), ['early:true', 'later:false']);
  });
});

test('ok: a loop whose query builds the statement text (ENABLE in a string with its semicolon, the FOR query in parentheses) and leaves tables out by name reaches every other table made before it (sephanguyen/go)', async () => {
  const sql = `CREATE TABLE public.lessons (id text PRIMARY KEY);
CREATE TABLE public.schema_migrations (version bigint PRIMARY KEY);
DO $$
DECLARE selectrow record;
exclude_table text[] = '{schema_migrations}';
BEGIN
  FOR selectrow IN (
    SELECT 'alter table "' || t.mytable || '" ENABLE ROW LEVEL security;' AS script
    FROM (SELECT tablename AS mytable FROM pg_tables WHERE schemaname = 'public' AND NOT (tablename = ANY(exclude_table))) t
  ) LOOP
    EXECUTE selectrow.script;
  END LOOP;
END $$;
CREATE TABLE public.later (id int);
`;
  const { mine } = lintFiles([{ file: 'm/1.sql', text: sql }], ID);
  // (schema_migrations: left out by name, which the model does not follow: not reported, sound rather than complete)
  assert.deepEqual(mine.map((f) => f.message.match(/Table (\S+)/)![1]), ['public.later']);
  await inRollback(await getDb(), async (q) => {
    await q(sql);
    const rows = await q(`SELECT relname, relrowsecurity AS on FROM pg_class WHERE relname IN ('lessons', 'schema_migrations', 'later') ORDER BY relname`);
    assert.deepEqual(rows.map((r) => `${r.relname}:${r.on}`), ['later:false', 'lessons:true', 'schema_migrations:false']);
  });
});

test('err: outside the exposed schemas, a table granted to the role the policies are for: that role reads every session of every user (Invalid example 3); with RLS and a policy: its own only', async () => {
  const { ws, finding } = invalidFinding(ID, 2);
  // the fix revokes (enabled without its policies the table would give app_auth nothing)
  const revoked = applyFix(ws, finding);
  assert.match(sqlOf(revoked), /REVOKE SELECT, INSERT, UPDATE, DELETE ON app\.sessions FROM app_auth;/);
  assert.equal(findingsOf(revoked, ID).length, 0);
  assert.match(finding.message, /^Table app\.sessions never gets row-level security, yet app_auth, a role the workspace's policies are written for .* is granted SELECT, INSERT, UPDATE, DELETE on it: without RLS, privileges alone decide, so app_auth reads every row of it/);
  const sessions = async (sql: string) =>
    inRollback(await getDb(), async (q) => {
      // (as the superuser: the example creates its role; app_auth is not the owner either way)
      await q(sql);
      await q(`INSERT INTO app.sessions VALUES ('t-a', '${TENANT_A}'), ('t-b', '${TENANT_B}')`);
      await q(`SET ROLE app_auth; SELECT set_config('app.user_id', '${TENANT_A}', true)`);
      return count(q, 'app.sessions');
    });
  assert.equal(await sessions(sqlOf(ws)), 2, "user A's request reads user B's session token too");
  // (enabled, with the policy the message asks for: A's own session only)
  const policy = `${sqlOf(ws)}\nALTER TABLE app.sessions ENABLE ROW LEVEL SECURITY;\nALTER TABLE app.sessions FORCE ROW LEVEL SECURITY;\nCREATE POLICY sessions_own ON app.sessions TO app_auth USING (user_id = nullif(current_setting('app.user_id', true), '')::uuid);\n`;
  assert.equal(await sessions(policy), 1);
  const denied = await inRollback(await getDb(), async (q) => {
    await q(sqlOf(revoked));
    await q('SET ROLE app_auth');
    const r = await tryQuery(q, 'SELECT count(*) FROM app.sessions');
    return r.ok ? 'ok' : r.error.code;
  });
  assert.equal(denied, '42501', 'revoked: app_auth cannot reach the sessions');
});

test('ok: a declarative schema (supabase/schemas/) restating a table the migrations made and enabled: RLS stays on (its CREATE fails, 42P07), nothing reported (nuxt-supabase-team-auth)', async () => {
  const migration = `CREATE TABLE public.profiles (id uuid PRIMARY KEY, name text);
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.profiles FORCE ROW LEVEL SECURITY;
CREATE POLICY profiles_own ON public.profiles FOR SELECT TO authenticated USING (id = (select auth.uid()));
GRANT SELECT ON public.profiles TO authenticated;
`;
  const schema = 'CREATE TABLE profiles (id uuid PRIMARY KEY, name text);\n';
  const files = [
    { file: 'supabase/migrations/20250101000000_profiles.sql', text: migration },
    { file: 'supabase/schemas/profiles.sql', text: schema },
  ];
  const { findings } = lintFiles(files, ID);
  assert.deepEqual(findings.filter((f) => f.rule === ID || f.rule === 'policy-on-table-without-rls' || f.rule === 'policy-role-without-grant'), []);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(migration);
    const r = await tryQuery(q, schema);
    assert.equal(r.ok ? 'ok' : r.error.code, '42P07');
    await q(`INSERT INTO profiles VALUES ('${TENANT_A}', 'a'), ('${TENANT_B}', 'b')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'profiles'), 1, 'RLS on, the policy applies: A reads its own row');
  });
  // a file that restates the state too (ENABLE, the same policy) changes nothing
  const full = lintFiles([files[0]!, { file: 'supabase/schemas/profiles.sql', text: migration.replace(/public\./g, '') }], ID);
  assert.deepEqual(full.findings.filter((f) => f.rule === ID || f.rule === 'policy-multiple-permissive'), []);
});

/** debate-map's app schema: every table granted to admin_role by default privileges, maps with a PUBLIC policy, users without RLS. */
const DEBATE_MAP_APP = `CREATE SCHEMA app;
GRANT USAGE ON SCHEMA app TO admin_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO admin_role;
CREATE TABLE app.users (id text PRIMARY KEY, is_admin boolean NOT NULL DEFAULT false);
CREATE TABLE app.maps (id text PRIMARY KEY, creator text NOT NULL);
CREATE INDEX ON app.maps (creator);
ALTER TABLE app.maps ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.maps FORCE ROW LEVEL SECURITY;
CREATE POLICY maps_rls ON app.maps FOR ALL USING (creator = current_setting('app.user_id', true));
`;

test("err: outside the exposed schemas, policies written for PUBLIC filter the roles their tables are granted to (debate-map's rls_obeyer, given every table of app by default privileges): a table of app without RLS is read whole by that role", async () => {
  const text = DEBATE_MAP_APP;
  const { ws, mine } = lintFiles([{ file: 'db/1_app.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^Table app\.users never gets row-level security, yet admin_role, a role the workspace's policies are written for/);
  await inRollback(await getDb(), async (q) => {
    await q(sqlOf(ws));
    await q(`INSERT INTO app.users VALUES ('alice', false), ('mallory', false); INSERT INTO app.maps VALUES ('m1', 'alice'), ('m2', 'mallory')`);
    await q(`SELECT set_config('app.user_id', 'mallory', true)`);
    await q('SET ROLE admin_role');
    assert.deepEqual(await q('SELECT id FROM app.maps'), [{ id: 'm2' }], 'the policy filters admin_role');
    assert.equal(await affected(q, `UPDATE app.users SET is_admin = true WHERE id = 'mallory'`), 1, 'but it writes any user of app.users');
    assert.equal((await q('SELECT count(*)::int AS n FROM app.users'))[0]!.n, 2);
  });
});

test("ok: a role the policies name only to admit every row (sushii-db's admin role: `FOR ALL TO admin_role USING (true)`), granted every table of app, is not one they filter: a table of app without RLS gives it nothing its policies do not", async () => {
  const text = `${DEBATE_MAP_APP}CREATE POLICY admin_access ON app.maps FOR ALL TO admin_role USING (true);
`;
  const { ws, mine } = lintFiles([{ file: 'db/1_app.sql', text }], ID);
  assert.deepEqual(mine, []);
  // (a role named by a public read alone, FOR SELECT … USING (true), is still one the PUBLIC policies filter)
  const read = text.replace('FOR ALL TO admin_role USING (true)', 'FOR SELECT TO admin_role USING (true)');
  assert.match(lintFiles([{ file: 'db/1_app.sql', text: read }], ID).mine[0]?.message ?? '', /^Table app\.users never gets row-level security, yet admin_role/);
  await inRollback(await getDb(), async (q) => {
    await q(sqlOf(ws));
    await q(`INSERT INTO app.users VALUES ('alice', false), ('mallory', false); INSERT INTO app.maps VALUES ('m1', 'alice'), ('m2', 'mallory')`);
    await q(`SELECT set_config('app.user_id', 'mallory', true)`);
    await q('SET ROLE admin_role');
    assert.deepEqual(await q('SELECT id FROM app.maps ORDER BY id'), [{ id: 'm1' }, { id: 'm2' }], 'its own policy admits every row of the RLS table: its queries are not filtered');
    assert.equal(await affected(q, `UPDATE app.maps SET creator = 'mallory'`), 2, 'and it writes every row there too');
  });
});

test("err/ok: an event trigger enabling RLS on new tables (skaleclub) covers the tables made after it, not one made before: that one is reported, and PGlite shows it without RLS", async () => {
  const before = 'CREATE TABLE public.audit (id int);\nGRANT SELECT ON public.audit TO anon;\n';
  const trigger = `CREATE FUNCTION public.auto_rls() RETURNS event_trigger LANGUAGE plpgsql AS $$
DECLARE obj record;
BEGIN
  FOR obj IN SELECT object_identity FROM pg_event_trigger_ddl_commands() WHERE command_tag = 'CREATE TABLE' AND schema_name = 'public' LOOP
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', obj.object_identity);
  END LOOP;
END $$;
CREATE EVENT TRIGGER auto_rls ON ddl_command_end WHEN TAG IN ('CREATE TABLE') EXECUTE FUNCTION public.auto_rls();
`;
  const after = 'CREATE TABLE public.later (id int);\nGRANT SELECT ON public.later TO anon;\n';
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_all.sql', text: before + trigger + after }], ID);
  assert.deepEqual(mine.map((f) => textAt(ws, f)), ['public.audit']);
  await inRollback(await getDb(), async (q) => {
    await q(sqlOf(ws));
    assert.deepEqual(await q(`SELECT relname, relrowsecurity FROM pg_class WHERE relname IN ('audit', 'later') ORDER BY 1`), [
      { relname: 'audit', relrowsecurity: false },
      { relname: 'later', relrowsecurity: true },
    ]);
  });
});

// Calibration calH (incubrain/astrotribe): public.add_authorize_rls_policies() loops over
// pg_tables enabling RLS on each, is never called by the migrations and is dropped in
// 20240810075031_cleanup.sql; public.jobs, made months later and granted to anon, got no finding.
const ENABLE_EVERYWHERE = `create or replace function public.enable_rls_everywhere() returns void language plpgsql as $$
declare t record; begin
  for t in select tablename from pg_tables where schemaname='public' loop
    execute format('alter table %I.%I enable row level security','public',t.tablename);
  end loop; end $$;
`;
const relrowsecurity = async (q: Q, names: string[]) =>
  (await q(`SELECT relname, relrowsecurity AS on FROM pg_class WHERE relname IN (${names.map((n) => `'${n}'`).join(', ')}) ORDER BY relname`)).map((r) => `${r.relname}:${r.on}`);

test('err: a function looping over the catalog enabling RLS, never called and dropped before a table is made (astrotribe): that table is reported; PGlite: anon reads and writes it, and the function enables it only when called after it', async () => {
  const files = [
    { file: 'supabase/migrations/20240101000000_fn.sql', text: ENABLE_EVERYWHERE },
    { file: 'supabase/migrations/20240115000000_drop.sql', text: 'drop function public.enable_rls_everywhere();\n' },
    { file: 'supabase/migrations/20240201000000_jobs.sql', text: 'create table public.jobs (id uuid primary key, title text);\n' },
  ];
  const { ws, mine } = lintFiles(files, ID);
  assert.deepEqual(mine.map((f) => textAt(ws, f)), ['public.jobs']);
  assert.match(
    mine[0]!.message,
    /never enabled \(public\.enable_rls_everywhere\(\) at 20240101000000_fn\.sql:1 enables row-level security on each table its loop over the catalog finds, but it is never called by the migrations and is dropped at 20240115000000_drop\.sql:1, before the CREATE TABLE at 20240201000000_jobs\.sql:1: such a loop reaches only the tables that exist when it runs\): anon and authenticated, the roles of every API request, may read and write all of its rows/,
  );
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, sqlOf(ws));
    assert.deepEqual(await relrowsecurity(q, ['jobs']), ['jobs:false']);
    await q(`SET ROLE anon; INSERT INTO public.jobs VALUES ('${TENANT_A}', 'a'), ('${TENANT_B}', 'b')`);
    assert.equal(await affected(q, `UPDATE public.jobs SET title = 'x'`), 2, 'anon rewrites every row');
    assert.equal(await count(q, 'public.jobs'), 2, 'and reads them all');
  });
  // (not dropped and called after the CREATE TABLE instead: RLS on, anon gets no row)
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, `${ENABLE_EVERYWHERE}${files[2]!.text}SELECT public.enable_rls_everywhere();\n`);
    await q(`INSERT INTO public.jobs VALUES ('${TENANT_A}', 'a'); SET ROLE anon`);
    assert.equal(await count(q, 'public.jobs'), 0);
  });
});

test('err/ok: such a function called by the migrations (a top-level SELECT, a DO block\'s PERFORM) covers the tables made before its last call, not one made after; PGlite agrees', async () => {
  for (const call of ['SELECT public.enable_rls_everywhere();', 'DO $$ BEGIN PERFORM public.enable_rls_everywhere(); END $$;']) {
    const sql = `CREATE TABLE public.early (id int);\n${ENABLE_EVERYWHERE}CREATE TABLE public.middle (id int);\n${call}\nCREATE TABLE public.later (id int);\n`;
    const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_all.sql', text: sql }], ID);
    assert.deepEqual(mine.map((f) => textAt(ws, f)), ['public.later'], call);
    assert.match(mine[0]!.message, /enables row-level security on each table its loop over the catalog finds, but it last runs at 20240101000000_all\.sql:8, before the CREATE TABLE at 20240101000000_all\.sql:9/);
    await inRollback(await getDb(), async (q) => {
      await q(sql);
      assert.deepEqual(await relrowsecurity(q, ['early', 'middle', 'later']), ['early:true', 'later:false', 'middle:true']);
    });
  }
});

test('ok: such a function never called by the migrations and not dropped is left alone: the application may call it (an RPC) after any table is made, as PGlite shows', async () => {
  const sql = `${ENABLE_EVERYWHERE}CREATE TABLE public.jobs (id uuid primary key, title text);\n`;
  assert.deepEqual(lintFiles([{ file: 'supabase/migrations/20240101000000_all.sql', text: sql }], ID).mine, []);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, sql);
    await q('SELECT public.enable_rls_everywhere()');
    assert.deepEqual(await relrowsecurity(q, ['jobs']), ['jobs:true']);
  });
});

test('ok: such a function run by an event trigger on ddl_command_end, or by a row trigger, runs after later tables are made too: none reported; PGlite: the event trigger enables a later table', async () => {
  const event = `${ENABLE_EVERYWHERE.replace('returns void', 'returns event_trigger')}CREATE EVENT TRIGGER rls_everywhere ON ddl_command_end WHEN TAG IN ('CREATE TABLE') EXECUTE FUNCTION public.enable_rls_everywhere();\n`;
  const trigger = `CREATE TABLE public.audit (id int);\n${ENABLE_EVERYWHERE.replace('returns void', 'returns trigger').replace('end loop; end', 'end loop; return null; end')}CREATE TRIGGER rls_everywhere AFTER INSERT ON public.audit FOR EACH STATEMENT EXECUTE FUNCTION public.enable_rls_everywhere();\n`;
  const later = 'CREATE TABLE public.later (id int);\n';
  for (const setup of [event, trigger]) assert.deepEqual(lintFiles([{ file: 'supabase/migrations/20240101000000_all.sql', text: setup + later }], ID).mine, []);
  await inRollback(await getDb(), async (q) => {
    await q(event + later);
    assert.deepEqual(await relrowsecurity(q, ['later']), ['later:true']);
  });
});

test("ok: Supabase: a table every API role lost its privileges on, granted to no other role (gearup's trigger_debug, written by definer triggers): anon and authenticated get 42501, not reported; one privilege left is", async () => {
  const sql = `CREATE TABLE IF NOT EXISTS public.trigger_debug (id serial PRIMARY KEY, event_type text, message text);
REVOKE ALL ON TABLE public.trigger_debug FROM anon, authenticated;
`;
  const file = 'supabase/migrations/20250708162033_remote_schema.sql';
  assert.deepEqual(lintFiles([{ file, text: sql }], ID).mine, []);
  assert.equal(lintFiles([{ file, text: `${sql}GRANT SELECT ON public.trigger_debug TO authenticated;\n` }], ID).mine.length, 1);
  await inRollback(await getDb(), async (q) => {
    await q('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated');
    await q(sql);
    for (const role of ['anon', 'authenticated']) {
      await q(`SET ROLE ${role}`);
      const r = await tryQuery(q, 'SELECT * FROM public.trigger_debug');
      assert.equal(!r.ok && r.error.code, '42501', role);
      await q('RESET ROLE');
    }
  });
});

// Calibration cal29 (logto: every table granted to the tenant role, then REVOKE ALL on the
// internal systems and service_logs): outside Supabase too, a table a REVOKE leaves to its owner.
test("ok: a table a REVOKE takes every role's privileges from (logto's systems), outside Supabase: the tenant role gets 42501, not reported; a privilege left to it is", async () => {
  const sql = `-- « naïve » 日本語 😀
CREATE ROLE rne_tenant NOINHERIT;
CREATE TABLE systems (key text PRIMARY KEY, value jsonb NOT NULL);
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO rne_tenant;
REVOKE ALL PRIVILEGES ON TABLE systems FROM rne_tenant;
`;
  const file = 'packages/schemas/tables/systems.sql';
  assert.deepEqual(lintFiles([{ file, text: sql }], ID).mine, []);
  assert.equal(lintFiles([{ file, text: sql.replace('REVOKE ALL PRIVILEGES', 'REVOKE INSERT, UPDATE, DELETE') }], ID).mine.length, 1, 'SELECT left: reported');
  assert.equal(lintFiles([{ file, text: sql.replace(/REVOKE .*\n/, '') }], ID).mine.length, 1, 'no REVOKE: reported');
  await inRollback(await getDb(), async (q) => {
    await q(sql);
    await q('SET ROLE rne_tenant');
    const r = await tryQuery(q, 'SELECT * FROM systems');
    assert.equal(!r.ok && r.error.code, '42501');
  });
});

// Calibration cal31 (oasis-supabase-core's staff_provisionable_roles: REVOKE ALL from PUBLIC,
// anon and authenticated, then GRANT SELECT to authenticated): the message says what the API
// roles may do, not "reads and writes".
test("err: Supabase: the message names what the API roles may do (authenticated reads every row, anon nothing, no role writes), as PGlite shows; with the platform's defaults alone, both read and write", async () => {
  const sql = `CREATE TABLE IF NOT EXISTS public.staff_roles (role_key text PRIMARY KEY, description text NOT NULL);
REVOKE ALL ON TABLE public.staff_roles FROM PUBLIC, anon, authenticated;
GRANT SELECT ON TABLE public.staff_roles TO authenticated;
`;
  const file = 'supabase/migrations/20260819110000_staff.sql';
  const [f] = lintFiles([{ file, text: sql }], ID).mine;
  assert.match(f!.message, /never enabled: authenticated may read all of its rows \(anon holds no privilege on it\), and no policy can filter them\./);
  const [g] = lintFiles([{ file, text: 'CREATE TABLE public.notes (id int PRIMARY KEY, body text);\n' }], ID).mine;
  assert.match(g!.message, /never enabled: anon and authenticated, the roles of every API request, may read and write all of its rows, and no policy/);
  await inRollback(await getDb(), async (q) => {
    await q('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated');
    await q(sql);
    await q(`INSERT INTO public.staff_roles VALUES ('sales', 'Sales'), ('ops', 'Ops')`);
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.staff_roles'), 2, 'every row');
    for (const w of [`INSERT INTO public.staff_roles VALUES ('x', 'y')`, `UPDATE public.staff_roles SET description = 'z'`, 'DELETE FROM public.staff_roles']) {
      const r = await tryQuery(q, w);
      assert.equal(!r.ok && r.error.code, '42501', w);
    }
    await q('RESET ROLE');
    await q('SET ROLE anon');
    const r = await tryQuery(q, 'SELECT * FROM public.staff_roles');
    assert.equal(!r.ok && r.error.code, '42501');
  });
});

test("err: outside Supabase the message says what the granted roles may do as the grants tell (GamingPlatform: player and manager, SELECT only, read all rows and write none)", async () => {
  const text = `CREATE ROLE rne_player;
CREATE ROLE rne_manager;
CREATE TABLE public.team (name text PRIMARY KEY, leader text);
GRANT SELECT ON public.team TO rne_player, rne_manager;
`;
  const { mine } = lintFiles([{ file: 'db/1.sql', text }], 'rls-not-enabled');
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /row-level security is never enabled: rne_player and rne_manager may read all of its rows \(as the migrations grant it\), and no policy can filter them/);
  await inRollback(await getDb(), async (q) => {
    await q(text);
    await q(`INSERT INTO public.team VALUES ('A', 'u1'), ('B', 'u2'); SET ROLE rne_player`);
    assert.equal(await count(q, 'public.team'), 2);
    const err = await tryQuery(q, `INSERT INTO public.team VALUES ('C', 'u3')`);
    assert.equal(err.ok ? 'inserted' : err.error.code, '42501');
  });
});

// Calibration (property-manager's legacy file tables): a DO block drops the table with a constant
// EXECUTE string, then a view takes its name; the table never holds a row in the end.
test("ok: a table a DO block drops with EXECUTE 'DROP TABLE … CASCADE' is not reported (PGlite: the name is then a view)", async () => {
  const sql = `CREATE TABLE public.work_order_files (id uuid PRIMARY KEY, work_order_id uuid);
DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = 'public' AND table_name = 'work_order_files') THEN
    EXECUTE 'DROP TABLE public.work_order_files CASCADE';
  END IF;
END $$;
CREATE OR REPLACE VIEW public.work_order_files WITH (security_invoker = true) AS SELECT gen_random_uuid() AS id, NULL::uuid AS work_order_id;
`;
  assert.deepEqual(lintFiles([{ file: 'supabase/migrations/20250101000000_drop.sql', text: sql }], ID).mine, []);
  await inRollback(await getDb(), async (q) => {
    await q(sql);
    assert.deepEqual(await q(`SELECT relkind FROM pg_class WHERE oid = 'public.work_order_files'::regclass`), [{ relkind: 'v' }]);
  });
});

// Calibration (be-my-doctor's clinic_assistants): a CREATE TABLE whose FOREIGN KEY names a table
// made only later fails (42P01), and with it the ENABLE and the policies after it; a later CREATE
// TABLE IF NOT EXISTS makes the table with RLS off. The model kept the first table's RLS and
// policies, and nothing was reported.
test('err: a CREATE TABLE referencing a table made only later makes nothing: its ENABLE and policies neither; the table a later migration makes has RLS off (PGlite, each file in a transaction and each statement alone)', async () => {
  const files = [
    {
      file: 'supabase/migrations/20250101000000_a.sql',
      text: `CREATE TABLE IF NOT EXISTS public.clinic_assistants (id uuid PRIMARY KEY, clinic_id uuid REFERENCES public.clinics(id), assistant_id uuid NOT NULL);
ALTER TABLE public.clinic_assistants ENABLE ROW LEVEL SECURITY;
CREATE POLICY "assistant reads" ON public.clinic_assistants FOR SELECT TO authenticated USING (assistant_id = (select auth.uid()));
`,
    },
    {
      file: 'supabase/migrations/20250103000000_c.sql',
      text: `CREATE TABLE public.clinics (id uuid PRIMARY KEY);
CREATE TABLE IF NOT EXISTS public.clinic_assistants (id uuid PRIMARY KEY, clinic_id uuid REFERENCES public.clinics(id), assistant_id uuid NOT NULL);
ALTER TABLE public.clinics ENABLE ROW LEVEL SECURITY;
`,
    },
  ];
  const { mine, ws } = lintFiles(files, ID);
  assert.equal(mine.length, 1);
  assert.equal(mine[0]!.file, files[1]!.file);
  assert.equal(textAt(ws, mine[0]!), 'public.clinic_assistants');
  assert.match(
    mine[0]!.message,
    /\(its CREATE TABLE at 20250101000000_a\.sql:1 fails, 42P01: it references public\.clinics, which the migrations create only later\. So the ALTER TABLE … ENABLE ROW LEVEL SECURITY at 20250101000000_a\.sql:2 finds no table \(42P01\) and enables nothing, nor do the policies written for it then exist; the CREATE TABLE at 20250103000000_c\.sql:2 makes the table, with row-level security off\)/,
  );
  // (the policy is said never to exist: policy-unknown-column, at the CREATE POLICY)
  const unknown = findingsOf(ws, 'policy-unknown-column');
  assert.equal(unknown.length, 1);
  assert.match(unknown[0]!.message, /is made only at 20250103000000_c\.sql:2/);
  const db = await getDb();
  const check = async (q: Q) => {
    const rls = await q(`SELECT relrowsecurity FROM pg_class WHERE oid = 'public.clinic_assistants'::regclass`);
    assert.equal(rls[0]!.relrowsecurity, false);
    assert.equal(await count(q, `(SELECT 1 FROM pg_policy WHERE polrelid = 'public.clinic_assistants'::regclass) p`), 0);
    await q(`INSERT INTO public.clinic_assistants (id, assistant_id) VALUES ('${TENANT_A}', '${TENANT_B}'); GRANT SELECT ON public.clinic_assistants TO authenticated`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.clinic_assistants'), 1, "another user's row is read: RLS is off");
  };
  // as the Supabase CLI runs them (each file one transaction: the first fails whole, 42P01)
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runFilesInTransactions(q, files), ['42P01', 'ok']);
    await check(q);
  });
  // as psql without ON_ERROR_STOP (each statement alone: the ENABLE and the policy fail with 42P01)
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    const errors = await runEachStatement(q, files.map((f) => f.text).join(''));
    assert.deepEqual(errors.map((e) => e.code), ['42P01', '42P01', '42P01']);
    await check(q);
  });
});

// Calibration (organizacao10x's student responsibles): policies written in a migration replayed
// before the CREATE TABLE IF NOT EXISTS of their table went unmentioned; "no policy can filter
// them" read as if none had been written.
test('err (message): policies written before the table is created are named: PostgreSQL rejects them (42P01); the table has RLS off (PGlite)', async () => {
  const files = [
    { file: 'db/1_p.sql', text: "CREATE POLICY p ON responsibles FOR SELECT TO authenticated USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid);\n" },
    { file: 'db/2_t.sql', text: 'create table if not exists responsibles (id uuid primary key, org_id uuid not null);\n' },
  ];
  const { mine } = lintFiles(files, ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /never enabled \(its policy "p" is written before the table is created, at 1_p\.sql:1: PostgreSQL rejects that CREATE POLICY, 42P01, as the table does not exist yet; were the table made elsewhere before, it would exist and do nothing, with RLS off\)/);
  await inRollback(await getDb(), async (q) => {
    const errors = await runEachStatement(q, files.map((f) => f.text).join(''));
    assert.deepEqual(errors.map((e) => `${e.code} ${e.message}`), ['42P01 relation "responsibles" does not exist']);
    assert.equal((await q(`SELECT relrowsecurity FROM pg_class WHERE oid = 'responsibles'::regclass`))[0]!.relrowsecurity, false);
  });
});

// Calibration (DAST-SV/es-lecto-escritura-web-nextjs's supabase/schemas/books/): rls/authors_policies.sql
// enables RLS on books.authors and writes its policies, but sorts before tables/authors.sql, which
// makes the table; authors is granted to authenticated, for whom the other policies are written, in a
// schema no API exposes. The message said only "never gets row-level security", as if no ENABLE had
// been written; it now says where it is and why it enables nothing, as it did for an exposed table.
test('err (message): a table of an unexposed schema granted to the policies\' role, whose ENABLE ROW LEVEL SECURITY and policies are replayed before its CREATE TABLE (books/rls/ before books/tables/), names that ENABLE: PostgreSQL rejects it (42P01); the table has RLS off (PGlite)', async () => {
  const files = [
    { file: 'db/schemas/books/00_init.sql', text: 'CREATE SCHEMA books;\nGRANT USAGE ON SCHEMA books TO authenticated;\nCREATE TABLE books.lists (id uuid PRIMARY KEY, owner uuid NOT NULL);\nALTER TABLE books.lists ENABLE ROW LEVEL SECURITY;\nCREATE POLICY lists_own ON books.lists FOR ALL TO authenticated USING (owner = auth.uid());\nGRANT SELECT ON books.lists TO authenticated;\n' },
    { file: 'db/schemas/books/rls/authors_policies.sql', text: 'ALTER TABLE books.authors ENABLE ROW LEVEL SECURITY;\nCREATE POLICY authors_public_read ON books.authors FOR SELECT USING (is_active = true);\n' },
    { file: 'db/schemas/books/tables/authors.sql', text: 'CREATE TABLE IF NOT EXISTS books.authors (id uuid PRIMARY KEY, is_active boolean DEFAULT true);\nGRANT SELECT, INSERT, UPDATE, DELETE ON books.authors TO authenticated;\n' },
  ];
  const { mine } = lintFiles(files, ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^Table books\.authors never gets row-level security \(the ALTER TABLE … ENABLE ROW LEVEL SECURITY at authors_policies\.sql:1 runs before the CREATE TABLE at authors\.sql:1: PostgreSQL rejects it, 42P01 relation does not exist, and the migration stops there; that is the files' path order, which the lint follows as their names carry no version: where a script runs authors\.sql before authors_policies\.sql, the statement works, and this finding comes from the path order alone — list the files in the order they run in the "order" setting of \.pg-rls-lint\.json\), yet authenticated, a role the workspace's policies are written for/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    const errors = await runEachStatement(q, files.map((f) => f.text).join(''));
    assert.deepEqual(errors.map((e) => `${e.code} ${e.message}`), ['42P01 relation "books.authors" does not exist', '42P01 relation "books.authors" does not exist']);
    assert.equal((await q(`SELECT relrowsecurity FROM pg_class WHERE oid = 'books.authors'::regclass`))[0]!.relrowsecurity, false);
  });
});

test("err (message): anon without USAGE on schema public (MakerKit revokes it from anon and from public) cannot reach the table (42501): the message names authenticated only; a REVOKE from PUBLIC alone leaves the platform's grant to anon", async () => {
  const file = 'supabase/migrations/20240101000000_carriers.sql';
  const text = `revoke all privileges on schema public from anon;
revoke all on schema public from public;
grant usage on schema public to authenticated;
create table public.carriers (id bigint primary key, name text);
grant all on public.carriers to authenticated;
`;
  const linted = lintFiles([{ file, text }], ID);
  assert.equal(linted.mine.length, 1);
  assert.match(linted.mine[0]!.message, /: authenticated may read and write all of its rows \(anon has no USAGE on schema public, so it cannot reach it\)/);
  const fromPublic = lintFiles([{ file, text: text.replace('revoke all privileges on schema public from anon;\n', '') }], ID).mine;
  assert.doesNotMatch(fromPublic[0]!.message, /anon has no USAGE/, 'from PUBLIC only');
  const fromAnon = lintFiles([{ file, text: text.replace('revoke all on schema public from public;\n', '') }], ID).mine;
  assert.doesNotMatch(fromAnon[0]!.message, /anon has no USAGE/, 'from anon only: PUBLIC still has it');
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, sqlOf(linted.ws));
    await q(`INSERT INTO public.carriers VALUES (1, 'x')`);
    await q('SET ROLE anon');
    const r = await tryQuery(q, 'SELECT * FROM public.carriers');
    assert.equal(!r.ok && r.error.code, '42501');
    assert.match(!r.ok ? r.error.message : '', /permission denied for schema public/);
    await q('RESET ROLE');
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.carriers'), 1);
  });
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, text.replace('revoke all on schema public from public;\n', ''));
    await q(`INSERT INTO public.carriers VALUES (1, 'x'); GRANT SELECT ON public.carriers TO anon`);
    await q('SET ROLE anon');
    assert.equal(await count(q, 'public.carriers'), 1, 'revoked from anon only: USAGE through PUBLIC');
  });
});

test("err (message): a table granted SELECT only to the policies' role (fundament's catalog of kubernetes versions): the message says rows are read whoever they belong to if they belong to anyone, a shared catalog being fine; PGlite: the role reads every row", async () => {
  const text = `CREATE ROLE app_api_cat;
CREATE TABLE orgs_cat (id int PRIMARY KEY, tenant uuid NOT NULL);
ALTER TABLE orgs_cat ENABLE ROW LEVEL SECURITY;
CREATE POLICY orgs_cat_tenant ON orgs_cat FOR SELECT TO app_api_cat USING (tenant = nullif(current_setting('app.tenant', true), '')::uuid);
CREATE SCHEMA catalog;
GRANT USAGE ON SCHEMA catalog TO app_api_cat;
CREATE TABLE catalog.versions_cat (id int PRIMARY KEY, version text NOT NULL UNIQUE);
GRANT SELECT ON catalog.versions_cat TO app_api_cat;
`;
  const { mine, ws } = lintFiles([{ file: 'db/migrations/031_catalog.up.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /reads every row of it, whichever tenant or user a row belongs to, if rows belong to one \(a catalog every tenant shares has none\)/);
  await inRollback(await getDb(), async (q) => {
    await q(sqlOf(ws));
    await q(`INSERT INTO catalog.versions_cat VALUES (1, '1.30'), (2, '1.31')`);
    await q('SET ROLE app_api_cat');
    assert.equal(await count(q, 'catalog.versions_cat'), 2);
  });
});

// Calibration (malarisch/InventoryManagment's supabase/migrations/20250926171500_profiles_rls.sql):
// `supabase db dump`'s output (pg_dump's preamble, CREATE TABLE IF NOT EXISTS) run as a migration
// on the tables an earlier one made, enabling row-level security on them and making their
// policies, was taken for a schema snapshot (snapshot.ts) and not replayed: rls-not-enabled on
// every table, nothing for the file.
test('ok: a dump-like migration re-making the tables IF NOT EXISTS and enabling RLS on them is replayed (PGlite: only a notice, the ENABLE applies)', async () => {
  const files = [
    { file: 'supabase/migrations/20250101000000_a.sql', text: "CREATE TABLE public.articles (id bigserial PRIMARY KEY, name varchar NOT NULL DEFAULT '');\n" },
    {
      file: 'supabase/migrations/20250102000000_b.sql',
      text: `SET statement_timeout = 0;
SELECT pg_catalog.set_config('search_path', '', false);
CREATE TABLE IF NOT EXISTS public.articles (id bigint NOT NULL, name character varying DEFAULT ''::character varying NOT NULL);
ALTER TABLE public.articles ENABLE ROW LEVEL SECURITY;
`,
    },
  ];
  const { mine, findings } = lintFiles(files, ID);
  assert.deepEqual(mine, []);
  // (the state the ENABLE leaves: RLS on, no policy)
  assert.deepEqual(findings.filter((f) => f.rule === 'rls-enabled-without-policy').map((f) => f.file), [files[1]!.file]);
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual(await runFilesInTransactions(q, files), ['ok', 'ok']);
    assert.equal((await q(`SELECT relrowsecurity FROM pg_catalog.pg_class WHERE oid = 'public.articles'::regclass`))[0]!.relrowsecurity, true);
  });
  // a dump of what the migrations made stays a snapshot: its CREATE TABLE without IF NOT EXISTS
  // (PGlite: 42P07, the whole file fails), or one that changes nothing
  const plain = [files[0]!, { ...files[1]!, text: files[1]!.text.replace(' IF NOT EXISTS', '') }];
  assert.equal(lintFiles(plain, ID).mine.length, 1);
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual(await runFilesInTransactions(q, plain), ['ok', '42P07']);
    assert.equal((await q(`SELECT relrowsecurity FROM pg_catalog.pg_class WHERE oid = 'public.articles'::regclass`))[0]!.relrowsecurity, false);
  });
  const same = [files[0]!, { ...files[1]!, text: files[1]!.text.replace(/ALTER TABLE[^\n]*\n/, '') }];
  assert.equal(lintFiles(same, ID).mine.length, 1);
});

// Dzheims/sqoop: `CREATE TABLE twitter_accounts …`, later `ALTER TABLE twitter_accounts RENAME TO
// twitter_sources`: the message named public.twitter_sources and said "Add ALTER TABLE
// twitter_accounts ENABLE …", a name no table has once the migrations ran.
test('err (message): a table renamed later: the message names the ALTER TABLE by the name it ends with, and where it is created by the old one; both run on PostgreSQL where they belong', async () => {
  const files = [
    { file: 'migrations/V1__accounts.sql', text: 'CREATE TABLE twitter_accounts (account_id int PRIMARY KEY, account_name text);\n' },
    { file: 'migrations/V2__rename.sql', text: 'ALTER TABLE twitter_accounts RENAME TO twitter_sources;\n' },
  ];
  const { ws, mine } = lintFiles(files, ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^Table public\.twitter_sources /);
  assert.match(mine[0]!.message, /Add ALTER TABLE twitter_sources \(named twitter_accounts where it is created\) ENABLE ROW LEVEL SECURITY \(and FORCE\)/);
  const fixed = applyFix(ws, mine[0]!);
  assert.match(sqlOf(fixed), /CREATE TABLE twitter_accounts [^;]*;\s*ALTER TABLE twitter_accounts ENABLE ROW LEVEL SECURITY;/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(await getDb(), async (q) => {
    await q(files.map((f) => f.text).join(''));
    // after the migrations, the name the message gives works; the old one is gone
    const old = await tryQuery(q, 'ALTER TABLE twitter_accounts ENABLE ROW LEVEL SECURITY');
    assert.equal(old.ok ? 'ok' : old.error.code, '42P01');
    await q('ALTER TABLE twitter_sources ENABLE ROW LEVEL SECURITY');
    const [{ r }] = (await q("SELECT relrowsecurity AS r FROM pg_class WHERE relname = 'twitter_sources'")) as Array<{ r: boolean }>;
    assert.equal(r, true);
  });
  await inRollback(await getDb(), async (q) => {
    await q(sqlOf(fixed));
    const [{ r }] = (await q("SELECT relrowsecurity AS r FROM pg_class WHERE relname = 'twitter_sources'")) as Array<{ r: boolean }>;
    assert.equal(r, true, 'the fix, after the CREATE TABLE, under its old name');
  });
});

test("ok: a table made without a schema and enabled under another schema's name no statement makes (aekyung11/pupcle, a Graphile starter): the migrations' session puts that schema first on its search_path, so the table is that one, with RLS; PGlite: with that search_path the table is app_public's with RLS on, with the default one the ALTER TABLE fails (42P01)", async () => {
  const text = `CREATE SCHEMA app_public;
CREATE ROLE app_visitor;
CREATE TABLE missions (id uuid PRIMARY KEY);
ALTER TABLE app_public.missions ENABLE ROW LEVEL SECURITY;
CREATE POLICY select_all ON app_public.missions FOR SELECT TO app_visitor USING (true);
GRANT SELECT ON app_public.missions TO app_visitor;
`;
  const { mine } = lintFiles([{ file: 'migrations/committed/000001.sql', text }], ID);
  assert.deepEqual(mine.map((f) => f.message), []);
  // (the same without the ENABLE: reported, as the table's schema then does not matter)
  const plain = lintFiles([{ file: 'migrations/committed/000001.sql', text: text.replace(/ALTER TABLE app_public\.missions ENABLE ROW LEVEL SECURITY;\n/, '') }], ID);
  assert.equal(plain.mine.length, 1);
  const db = await getDb();
  await ensureRoles(db, ['app_visitor']);
  await inRollback(db, async (q) => {
    await q('SET LOCAL search_path = app_public, public');
    const errors = await runEachStatement(q, text.replace('CREATE ROLE app_visitor;\n', ''));
    assert.deepEqual(errors, []);
    const rows = (await q(`SELECT n.nspname, c.relrowsecurity FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = 'missions'`)) as Array<{ nspname: string; relrowsecurity: boolean }>;
    assert.deepEqual(rows.map((r) => `${r.nspname} ${r.relrowsecurity}`), ['app_public true']);
  });
  await inRollback(db, async (q) => {
    const errors = await runEachStatement(q, text.replace('CREATE ROLE app_visitor;\n', ''));
    assert.deepEqual(errors.map((e) => e.code), ['42P01', '42P01', '42P01']);
  });
});

// Calibration (a Flyway project whose functions and policies are repeatable migrations,
// `R__x.sql`, some in a sub-folder): the path order replayed them before the versioned
// `V<version>__x.sql` files (`R` and `functions/` sort before `V`), so an ENABLE and a policy in
// `R__policies.sql` were said to run before their table's CREATE TABLE (rls-not-enabled, and
// policy-unknown-column's 42P01 error). Flyway applies the repeatable ones after every versioned one.
test('ok: a Flyway repeatable migration (R__x.sql) runs after the versioned ones (V1__x.sql), whatever the folders (PGlite)', async () => {
  const files = [
    { file: 'db/migration/R__policies.sql', text: `ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
ALTER TABLE invoices FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS invoices_tenant ON invoices;
CREATE POLICY invoices_tenant ON invoices TO app_user
  USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid))
  WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));
` },
    { file: 'db/migration/V1__tables.sql', text: `CREATE TABLE invoices (id bigint PRIMARY KEY, tenant_id uuid NOT NULL, amount numeric);
CREATE INDEX ON invoices (tenant_id);
GRANT SELECT, INSERT, UPDATE, DELETE ON invoices TO app_user;
` },
    { file: 'db/migration/V2__notes.sql', text: 'CREATE TABLE notes (id bigint PRIMARY KEY, tenant_id uuid NOT NULL);\nCREATE INDEX ON notes (tenant_id);\nGRANT SELECT ON notes TO app_user;\n' },
    // (a repeatable in a sub-folder, sorted among the repeatables by its description)
    { file: 'db/migration/functions/R__notes_policies.sql', text: `ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE notes FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS notes_tenant ON notes;
CREATE POLICY notes_tenant ON notes FOR SELECT TO app_user USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));
` },
  ];
  const { findings } = lintFiles(files, ID);
  assert.deepEqual(findings.map((f) => `${f.rule} ${f.file}`), []);
  const db = await getDb();
  await ensureRoles(db, ['app_user']);
  const rls = (q: Q) => q(`SELECT relname, relrowsecurity AS on, (SELECT count(*)::int FROM pg_policy WHERE polrelid = c.oid) AS policies FROM pg_class c WHERE relname IN ('invoices', 'notes') ORDER BY relname`);
  // as Flyway runs them: the versioned ones, then the repeatable ones
  await inRollback(db, async (q) => {
    assert.deepEqual(await runFilesInTransactions(q, [files[1]!, files[2]!, files[3]!, files[0]!]), ['ok', 'ok', 'ok', 'ok']);
    assert.deepEqual((await rls(q)).map((r) => `${r.relname}:${r.on}:${r.policies}`), ['invoices:true:1', 'notes:true:1']);
  });
  // in the path order (functions/R__…, R__…, V1__…, V2__…), both repeatable ones fail, 42P01
  await inRollback(db, async (q) => {
    assert.deepEqual(await runFilesInTransactions(q, [files[3]!, files[0]!, files[1]!, files[2]!]), ['42P01', '42P01', 'ok', 'ok']);
    assert.deepEqual((await rls(q)).map((r) => `${r.relname}:${r.on}:${r.policies}`), ['invoices:false:0', 'notes:false:0']);
  });
});

// Flyway applies its versioned migrations by version across all its locations (folders), then
// its callbacks' afterMigrate.sql: the path order ran `afterMigrate.sql` (`a` sorts before `V`) and
// `common/V2__policies.sql` before `postgres/V1__tables.sql`, so the ENABLE was said to run before
// its table (rls-not-enabled, 42P01).
test('ok: Flyway versioned migrations run by version across folders (postgres/V1 before common/V2), afterMigrate.sql after them (PGlite)', async () => {
  const files = [
    { file: 'db/migration/afterMigrate.sql', text: 'GRANT SELECT, INSERT, UPDATE, DELETE ON invoices TO app_user;\n' },
    { file: 'db/migration/common/V2__policies.sql', text: `ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
ALTER TABLE invoices FORCE ROW LEVEL SECURITY;
CREATE POLICY invoices_tenant ON invoices TO app_user
  USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid))
  WITH CHECK (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));
` },
    { file: 'db/migration/postgres/V1__tables.sql', text: 'CREATE TABLE invoices (id bigint PRIMARY KEY, tenant_id uuid NOT NULL, amount numeric);\nCREATE INDEX ON invoices (tenant_id);\n' },
  ];
  // (the lint replays them as Flyway runs them, and finds nothing)
  assert.deepEqual(migrationOrder(files).map((f) => f.file), [files[2]!.file, files[1]!.file, files[0]!.file]);
  const { findings } = lintFiles(files, ID);
  assert.deepEqual(findings.map((f) => `${f.rule} ${f.file}`), []);
  const db = await getDb();
  await ensureRoles(db, ['app_user']);
  const state = (q: Q) =>
    q(`SELECT relrowsecurity AS on, (SELECT count(*)::int FROM pg_policy WHERE polrelid = c.oid) AS policies, has_table_privilege('app_user', c.oid, 'SELECT') AS granted FROM pg_class c WHERE relname = 'invoices'`);
  // as Flyway runs them: V1 (postgres/), V2 (common/), then the afterMigrate callback
  await inRollback(db, async (q) => {
    assert.deepEqual(await runFilesInTransactions(q, [files[2]!, files[1]!, files[0]!]), ['ok', 'ok', 'ok']);
    assert.deepEqual((await state(q)).map((r) => `${r.on}:${r.policies}:${r.granted}`), ['true:1:true']);
  });
  // in the path order (afterMigrate.sql, common/V2…, postgres/V1…): the GRANT and the ENABLE fail, 42P01
  await inRollback(db, async (q) => {
    assert.deepEqual(await runFilesInTransactions(q, files), ['42P01', '42P01', 'ok']);
    assert.deepEqual((await state(q)).map((r) => `${r.on}:${r.policies}:${r.granted}`), ['false:0:false']);
  });
});

// Calibration (francois/elm-scoutges): its postgrest.conf says db-schema = "api", yet the finding
// said public.que_jobs was "in the exposed schema public". With PostgREST's schemas read
// (io/files.ts readPostgrestSchemas), the finding is on the table of the schema it serves, and
// what it says the grant gives is shown on PostgreSQL.
test("err: a plain PostgREST serving api (postgrest.conf db-schema): api's table without RLS is reported, naming the file; public's is not exposed", async () => {
  const sql =
    'CREATE SCHEMA api;\nCREATE TABLE public.que_jobs (id bigint PRIMARY KEY, data jsonb);\nCREATE TABLE api.items (id bigint PRIMARY KEY, name text);\n' +
    'GRANT USAGE ON SCHEMA api TO anonymous;\nGRANT SELECT ON api.items TO anonymous;\n';
  const { ws } = lintFiles([{ file: 'db/deploy/tables.sql', text: sql }], ID);
  ws.setApiSchemas([{ folder: '', source: 'postgrest.conf', schemas: ['api'], postgrest: { key: 'db-schema' } }]);
  const mine = findingsOf(ws, ID);
  assert.deepEqual(mine.map((f) => textAt(ws, f)), ['api.items']);
  assert.match(mine[0]!.message, /^Table api\.items is in the exposed schema "api" \(PostgREST serves it: postgrest\.conf db-schema\) but row-level security is never enabled: anonymous may read all of its rows \(as the migrations grant it\), and no policy can filter them/);
  const db = await getDb();
  await ensureRoles(db, ['anonymous']);
  await inRollback(db, async (q) => {
    // (the schema made by the superuser for the migrations' role, which makes the rest)
    await q('CREATE SCHEMA api AUTHORIZATION app_owner');
    await asOwner(q, sql.replace('CREATE SCHEMA api;\n', ''));
    await asOwner(q, "INSERT INTO api.items VALUES (1, 'a'), (2, 'b')");
    await q('SET ROLE anonymous');
    assert.equal(await count(q, 'api.items'), 2, 'every row, as granted');
  });
  await inRollback(db, async (q) => {
    await q('CREATE SCHEMA api AUTHORIZATION app_owner');
    await asOwner(q, sql.replace('CREATE SCHEMA api;\n', '') + 'ALTER TABLE api.items ENABLE ROW LEVEL SECURITY;\n');
    await asOwner(q, "INSERT INTO api.items VALUES (1, 'a'), (2, 'b')");
    await q('SET ROLE anonymous');
    assert.equal(await count(q, 'api.items'), 0, 'RLS on, no policy: nothing (T12)');
  });
});

// Calibration (cal137, GitGazer): its first migrations make gitgazer_user, give it every table of
// its schemas by default privileges and write the tenant policies TO it; a later migration renames
// it gitgazer_writer. PostgreSQL keeps a role by OID: the grants and policies are gitgazer_writer's
// from then on, and gitgazer_user names no role. The model kept them under gitgazer_user, so this
// rule said gitgazer_user "is granted SELECT, INSERT, UPDATE, DELETE" on a table without RLS (a
// role that no longer exists), and the matrix gave gitgazer_writer neither the policies nor the grants.
test("err (message): a role renamed later (ALTER ROLE … RENAME TO) is named by its new name, which holds the old one's grants and policies; PGlite: the old name is no role (SET ROLE: 22023 role does not exist), the new one reads every row of the table without RLS and the tenant's rows of the other", async () => {
  const files = [
    {
      file: 'db/migrations/1_init.sql',
      text: `CREATE SCHEMA gg;
CREATE ROLE gg_user NOLOGIN;
GRANT USAGE ON SCHEMA gg TO gg_user;
ALTER DEFAULT PRIVILEGES IN SCHEMA gg GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO gg_user;
CREATE TABLE gg.users (id bigint PRIMARY KEY, nickname text NOT NULL);
CREATE TABLE gg.events (integration_id uuid NOT NULL, id bigint NOT NULL, PRIMARY KEY (integration_id, id));
ALTER TABLE gg.events ENABLE ROW LEVEL SECURITY;
CREATE POLICY "tenant separation" ON gg.events AS PERMISSIVE FOR ALL TO gg_user USING (integration_id = ANY(string_to_array(NULLIF(current_setting('rls.integration_ids', TRUE), ''), ',')::uuid[]));
`,
    },
    { file: 'db/migrations/2_rename.sql', text: 'ALTER ROLE gg_user RENAME TO gg_writer;\n' },
  ];
  const { mine } = lintFiles(files, ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^Table gg\.users never gets row-level security, yet gg_writer, a role the workspace's policies are written for .* is granted SELECT, INSERT, UPDATE, DELETE on it: without RLS, privileges alone decide, so gg_writer reads every row of it/);
  assert.doesNotMatch(mine[0]!.message, /gg_user/);
  await inRollback(await getDb(), async (q) => {
    for (const f of files) await q(f.text);
    await q(`INSERT INTO gg.users VALUES (1, 'a'), (2, 'b'); INSERT INTO gg.events VALUES ('${TENANT_A}', 1), ('${TENANT_B}', 2)`);
    const policyRoles = await q(`SELECT array_to_string(roles, ',') AS roles FROM pg_policies WHERE tablename = 'events'`);
    assert.deepEqual(policyRoles, [{ roles: 'gg_writer' }]);
    const old = await tryQuery(q, 'SET ROLE gg_user');
    assert.equal(old.ok ? 'ok' : `${old.error.code} ${old.error.message}`, '22023 role "gg_user" does not exist');
    await q(`SET ROLE gg_writer; SELECT set_config('rls.integration_ids', '${TENANT_A}', true)`);
    assert.equal(await count(q, 'gg.users'), 2, 'every row of the table without RLS');
    assert.equal(await count(q, 'gg.events'), 1, "the policy written TO gg_user filters gg_writer: the tenant's row only");
    assert.equal(await affected(q, `UPDATE gg.users SET nickname = 'x'`), 2, 'and writes every row of it');
  });
});

// Calibration (cal137, truealpha): an append-only audit table granted INSERT only to the role the
// policies filter was said to let it "reach every row of it, whatever tenant or user it belongs
// to": INSERT reaches no row there. What it does give: rows for any tenant, which nothing checks.
test("err (message): a table without RLS granted INSERT only: the role inserts rows naming any tenant (it reads none), not 'reaches every row'; PGlite: its insert for another tenant passes, its read fails with 42501; enabled with a WITH CHECK policy, the insert for another tenant fails", async () => {
  const sql = `CREATE SCHEMA ta;
CREATE ROLE ta_runtime NOLOGIN;
GRANT USAGE ON SCHEMA ta TO ta_runtime;
CREATE TABLE ta.objects (id int PRIMARY KEY, tenant_id text NOT NULL);
ALTER TABLE ta.objects ENABLE ROW LEVEL SECURITY;
ALTER TABLE ta.objects FORCE ROW LEVEL SECURITY;
CREATE POLICY objects_tenant ON ta.objects TO ta_runtime USING (tenant_id = nullif(current_setting('ta.tenant_id', true), ''));
GRANT SELECT ON ta.objects TO ta_runtime;
CREATE TABLE ta.audit_events (id int PRIMARY KEY, tenant_id text NOT NULL, action text NOT NULL);
GRANT INSERT ON ta.audit_events TO ta_runtime;
`;
  const { mine } = lintFiles([{ file: 'db/migrations/0001.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^Table ta\.audit_events never gets row-level security, yet ta_runtime, a role the workspace's policies are written for .* is granted INSERT on it: without RLS, privileges alone decide, so ta_runtime inserts rows naming any tenant or user it likes: nothing checks the rows it writes \(it reads none of them\)\. /);
  assert.doesNotMatch(mine[0]!.message, /every row/);
  const run = async (extra: string) =>
    inRollback(await getDb(), async (q) => {
      await q(sql + extra);
      await q(`SET ROLE ta_runtime; SELECT set_config('ta.tenant_id', 'tenant-a', true)`);
      const insert = await tryQuery(q, `INSERT INTO ta.audit_events VALUES (1, 'tenant-b', 'forged')`);
      const read = await tryQuery(q, 'SELECT count(*) FROM ta.audit_events');
      return [insert.ok ? 'ok' : insert.error.code, read.ok ? 'ok' : read.error.code];
    });
  assert.deepEqual(await run(''), ['ok', '42501'], "as written: a row for tenant-b goes in; nothing of the table can be read");
  const enabled = `ALTER TABLE ta.audit_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_tenant ON ta.audit_events FOR INSERT TO ta_runtime WITH CHECK (tenant_id = nullif(current_setting('ta.tenant_id', true), ''));
`;
  assert.deepEqual(await run(enabled), ['42501', '42501'], "with RLS and a WITH CHECK policy: tenant-a's session cannot write tenant-b's row");
});

test("err: outside a Supabase layout, migrations calling auth.uid() (imake's Drizzle migrations, app/sql/migrations/) may run on Supabase: the message says what the platform's default privileges would let anon and authenticated do, not that no role has access; PGlite with Supabase's defaults: anon reads and writes it", async () => {
  const files = [
    { file: 'app/sql/migrations/0000_init.sql', text: 'CREATE TABLE "jobs" ("id" bigint PRIMARY KEY, "title" text);\n' },
    {
      file: 'app/sql/migrations/0001_todos.sql',
      text: 'CREATE TABLE "todos" ("id" bigint PRIMARY KEY, "profile_id" uuid);\nALTER TABLE "todos" ENABLE ROW LEVEL SECURITY;\nCREATE POLICY "todos-select" ON "todos" FOR SELECT TO "authenticated" USING ((select auth.uid()) = "todos"."profile_id");\n',
    },
  ];
  const { mine } = lintFiles(files, ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /if the migrations run on Supabase as postgres \(they call Supabase's auth functions\), the platform's default privileges grant the table to the roles of every API request: anon and authenticated may read and write all of its rows/);
  assert.doesNotMatch(mine[0]!.message, /give no role but its owner/);
  // what the migrations revoke still counts
  const revoked = lintFiles([files[0]!, { file: files[1]!.file, text: `${files[1]!.text}REVOKE ALL ON "jobs" FROM anon;\nREVOKE INSERT, UPDATE, DELETE ON "jobs" FROM authenticated;\n` }], ID);
  assert.match(revoked.mine[0]!.message, /the roles of every API request: authenticated may read all of its rows/);
  // (roles the migrations create themselves: not Supabase's)
  const own = lintFiles([{ file: 'app/sql/migrations/0000_roles.sql', text: 'CREATE ROLE anon;\nCREATE ROLE authenticated;\n' }, ...files], ID);
  assert.ok(own.mine.every((f) => !/Supabase/.test(f.message)));
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, files.map((f) => f.text).join(''));
    await q(`SET ROLE anon`);
    await q(`INSERT INTO jobs VALUES (1, 'x')`);
    assert.equal(await count(q, 'jobs'), 1, 'anon writes and reads every row: no RLS');
  });
});

test("err: an ENABLE only in a file the Drizzle journal does not list (Yersimo/tempo-platform: 0001_rls_policies.sql beside a journal naming 0000 alone): not replayed, and the message says where it is and why it does not count, instead of seeming not to have seen it; PGlite: the journal's files leave RLS off, the unlisted file run by other means turns it on", async () => {
  const files = [
    { file: 'drizzle/0000_init.sql', text: 'CREATE TABLE "goals" ("id" bigint PRIMARY KEY, "org_id" uuid NOT NULL);\n--> statement-breakpoint\nCREATE TABLE "notes" ("id" bigint PRIMARY KEY);\n' },
    { file: 'drizzle/0001_rls_policies.sql', text: 'ALTER TABLE goals ENABLE ROW LEVEL SECURITY;\nCREATE POLICY goals_org ON goals USING (org_id = nullif(current_setting(\'app.current_org_id\', true), \'\')::uuid);\n' },
  ];
  const journal = { folder: 'drizzle/', source: 'drizzle/meta/_journal.json', tags: ['0000_init'] };
  const { ws, mine } = lintFiles(files, ID, undefined, [journal]);
  assert.deepEqual(mine.map((f) => textAt(ws, f)), ['"goals"', '"notes"']);
  const goals = mine.find((f) => f.message.includes('public.goals'))!;
  assert.match(
    goals.message,
    /no policy can filter them\. Its ALTER TABLE … ENABLE ROW LEVEL SECURITY, at 0001_rls_policies\.sql:1, is in one of the files of a Drizzle Kit migrations folder that its drizzle\/meta\/_journal\.json does not list: drizzle-kit migrate never applies them, and the lint does not replay it either: where that file is run by other means, the table has RLS\. Add ALTER TABLE /,
  );
  assert.equal(nestedParentheses(goals.message), undefined);
  // (a table no file enables: the message as before)
  assert.doesNotMatch(mine.find((f) => f.message.includes('public.notes'))!.message, /one of the files/);
  // (listed in the journal: replayed, RLS on, no finding for goals)
  const listed = lintFiles(files, ID, undefined, [{ ...journal, tags: ['0000_init', '0001_rls_policies'] }]);
  assert.deepEqual(listed.mine.map((f) => f.message.includes('public.notes')), [true]);
  await inRollback(await getDb(), async (q) => {
    const rls = async () => (await q(`SELECT relrowsecurity FROM pg_class WHERE oid = 'goals'::regclass`))[0]!.relrowsecurity;
    await asOwner(q, files[0]!.text.split('--> statement-breakpoint').join('\n'));
    assert.equal(await rls(), false, "drizzle's migrator runs the journal's files only: RLS stays off");
    await asOwner(q, files[1]!.text);
    assert.equal(await rls(), true, 'the unlisted file, run by other means, enables it');
  });
});

// Calibration (pierre-lgb/slashwriter's server/scripts/): tables.sql makes the tables, folders.sql,
// documents.sql and shares.sql enable RLS and write the policies, and the README runs them with
// `psql --file tables.sql --file auth.sql … --file folders.sql …`. In path order folders.sql comes
// first; the message said "the migration stops there" as if that were the order they run in.
test('err (message): an ENABLE in a file whose name carries no version (folders.sql) before the CREATE TABLE of another (tables.sql): the message says the order is the path order only, and names the "order" setting; PGlite: in path order 42P01, in the README\'s order RLS is on', async () => {
  const files = [
    { file: 'server/scripts/folders.sql', text: 'ALTER TABLE folders ENABLE ROW LEVEL SECURITY;\nCREATE POLICY "Folders SELECT policy" ON folders FOR SELECT USING (auth.uid() = owner_id);\n' },
    { file: 'server/scripts/tables.sql', text: 'CREATE TABLE IF NOT EXISTS folders (id uuid PRIMARY KEY, owner_id uuid NOT NULL);\n' },
  ];
  const { mine } = lintFiles(files, ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /the ALTER TABLE … ENABLE ROW LEVEL SECURITY at folders\.sql:1 runs before the CREATE TABLE at tables\.sql:1: PostgreSQL rejects it, 42P01 relation does not exist, and the migration stops there; that is the files' path order, which the lint follows as their names carry no version: where a script runs tables\.sql before folders\.sql, the statement works, and this finding comes from the path order alone — list the files in the order they run in the "order" setting of \.pg-rls-lint\.json\)/);
  // (numbered files carry their order: no such note; nor once the "order" setting gives one)
  const numbered = lintFiles(files.map((f) => ({ file: f.file.replace('folders.sql', '001_folders.sql').replace('tables.sql', '002_tables.sql'), text: f.text })), ID).mine;
  assert.doesNotMatch(numbered[0]!.message, /path order/);
  assert.match(numbered[0]!.message, /and the migration stops there\)/);
  assert.deepEqual(lintFiles(files, ID, { ...DEFAULT_CONFIG, order: ['server/scripts/tables.sql', 'server/scripts/folders.sql'] }).mine, []);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    // path order: 42P01 at the ENABLE and the CREATE POLICY, then the table is made with RLS off
    assert.deepEqual((await runEachStatement(q, files[0]!.text + files[1]!.text)).map((e) => e.code), ['42P01', '42P01']);
    assert.equal((await q(`SELECT relrowsecurity FROM pg_class WHERE oid = 'folders'::regclass`))[0]!.relrowsecurity, false);
  });
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    // the README's order: tables.sql first, and RLS is on
    assert.deepEqual(await runEachStatement(q, files[1]!.text + files[0]!.text), []);
    assert.equal((await q(`SELECT relrowsecurity FROM pg_class WHERE oid = 'folders'::regclass`))[0]!.relrowsecurity, true);
  });
});

// Calibration (cal202: BravoRicDev/agent-first-simple-newsletter-cms, a Node + PostgreSQL app with
// no RLS, no policy, no PostgREST and no Supabase, got 97 of these warnings, one per table, under
// the default exposedSchemas ["public"]): the message now says the workspace uses no RLS at all
// and how to tell the lint that no API serves the schema. What PostgreSQL does is as above (a role
// granted the table reads every row); with "exposedSchemas": [] nothing is reported.
test('err (message): in a workspace with no RLS and no policy at all, off Supabase, the message says so and names "exposedSchemas": []; with that setting, no finding; a workspace with RLS somewhere, or on Supabase, has no such note', async () => {
  const text = 'CREATE TABLE subscribers (id bigint PRIMARY KEY, email text NOT NULL);\nCREATE TABLE issues (id bigint PRIMARY KEY, body text);\n';
  const { mine } = lintFiles([{ file: 'db/migrations/001_init.sql', text }], ID);
  assert.equal(mine.length, 2);
  for (const m of mine) assert.match(m.message, / \(No table of these migrations has row-level security, and no policy: if no API such as PostgREST serves schema "public" and only the application's own role reaches its tables, say so with "exposedSchemas": \[\] in \.pg-rls-lint\.json; this rule then reports only tables granted to a role that policies are written for\.\)$/);
  assert.deepEqual(lintFiles([{ file: 'db/migrations/001_init.sql', text }], ID, { ...DEFAULT_CONFIG, exposedSchemas: [] }).mine, []);
  const withRls = lintFiles([{ file: 'db/migrations/001_init.sql', text: text + 'ALTER TABLE issues ENABLE ROW LEVEL SECURITY;\n' }], ID).mine;
  assert.equal(withRls.length, 1);
  assert.doesNotMatch(withRls[0]!.message, /exposedSchemas/);
  const supabase = lintFiles([{ file: 'supabase/migrations/20250101000000_init.sql', text }], ID).mine;
  assert.equal(supabase.length, 2);
  for (const m of supabase) assert.doesNotMatch(m.message, /exposedSchemas/);
  // (the claim itself: a role granted the table reads every row, with no RLS to filter them)
  const db = await getDb();
  await ensureRoles(db);
  await inRollback(db, async (q) => {
    await q(text);
    await q("INSERT INTO subscribers VALUES (1, 'a@example.com'), (2, 'b@example.com')");
    await q('GRANT SELECT ON subscribers TO admin_role');
    await q('SET ROLE admin_role');
    assert.equal(await count(q, 'SELECT * FROM subscribers'), 2);
    await q('RESET ROLE');
  });
});
