// definer-execute-granted-to-public on PostgreSQL (PGlite): a SECURITY DEFINER function is
// executable by PUBLIC until revoked, so a role with no grant calls it and gets answers about
// rows it cannot read (T22); REVOKE … FROM anon leaves PUBLIC. After the fix: 42501 for anon.
// Why the fix is unsafe: REVOKE … FROM PUBLIC alone breaks a policy's role (42501 on the
// table's query) — the fix's GRANT to the policy's role keeps it working.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, ensureRoles, expectPgError, getDb, inRollback, queryFn, tryQuery, withFreshDb, type Q } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintDocExample, lintFiles, sqlOf, TENANT_A, TENANT_B, textAt } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL, onSupabase } from '../helpers/supabase.js';

const ID = 'definer-execute-granted-to-public';
before(initParser);
after(closeAll);

const MEMBERS = `INSERT INTO tenant_users VALUES ('${TENANT_B}', '${TENANT_B}')`;
const ask = (q: Q) => q(`SELECT is_member('${TENANT_B}') AS m`);

test('err: never revoked: anon (no grant) calls the definer helper and learns a membership it cannot read (T22); after the fix 42501', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'is_member');
  assert.match(finding.message, /executable by PUBLIC.*\(T22\)/);
  const db = await getDb();
  const setup = async (q: Q, sql: string) => {
    await q(AUTH_STUB_SQL);
    await q(`CREATE TABLE tenant_users (tenant_id uuid, user_id uuid); ALTER TABLE tenant_users ENABLE ROW LEVEL SECURITY; ${MEMBERS}`);
    await q(sql);
    await q(actAs(TENANT_B)); // anon forges nothing here: it simply asks as whoever the request claims to be
    await q('SET ROLE anon');
  };
  await inRollback(db, async (q) => {
    await setup(q, sqlOf(ws));
    const direct = await tryQuery(q, 'SELECT count(*) FROM tenant_users');
    assert.equal(!direct.ok && direct.error.code, '42501', 'anon cannot read tenant_users itself');
    assert.equal((await ask(q))[0]!.m, true, 'anon has no grant, yet executes it with the owner’s rights');
  });
  const fixed = applyFix(ws, finding);
  assert.equal(finding.fixes[0]!.kind, 'unsafe');
  assert.match(sqlOf(fixed), /\$\$;\nREVOKE EXECUTE ON FUNCTION public\.is_member\(uuid\) FROM PUBLIC;/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(db, async (q) => {
    await setup(q, sqlOf(fixed));
    await expectPgError(ask(q), '42501', 'permission denied for function is_member');
  });
});

/** Runs Invalid example 2 (or its fix) and returns what anon and authenticated get. */
async function run(sql: string): Promise<{ anon: string; authenticatedProjects: number | string }> {
  const db = await getDb();
  return inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql);
    await q(`${MEMBERS}; INSERT INTO projects VALUES (1, '${TENANT_A}'), (2, '${TENANT_B}')`);
    await q(actAs(TENANT_B));
    await q('SET ROLE anon');
    const a = await tryQuery(q, `SELECT is_member('${TENANT_B}') AS m`);
    await q('RESET ROLE; SET ROLE authenticated');
    const p = await tryQuery(q, 'SELECT count(*)::int AS n FROM projects');
    return {
      anon: a.ok ? `called: ${a.rows[0]!.m}` : a.error.code,
      authenticatedProjects: p.ok ? (p.rows[0]!.n as number) : p.error.code,
    };
  });
}

test('err: REVOKE … FROM anon leaves PUBLIC; the fix revokes from PUBLIC and grants the policy’s role, which keeps working', async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.match(finding.message, /Revoking it from anon does not remove PUBLIC's privilege/);
  assert.deepEqual(await run(sqlOf(ws)), { anon: 'called: true', authenticatedProjects: 1 });
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /\$\$;\nREVOKE EXECUTE ON FUNCTION public\.is_member\(uuid\) FROM PUBLIC;\nGRANT EXECUTE ON FUNCTION public\.is_member\(uuid\) TO authenticated;/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  assert.deepEqual(await run(sqlOf(fixed)), { anon: '42501', authenticatedProjects: 1 });
});

test('ok (why the fix is unsafe): REVOKE FROM PUBLIC without the GRANT breaks the policy for authenticated with 42501', async () => {
  const { ws } = invalidFinding(ID, 1);
  const sql = `${sqlOf(ws)};\nREVOKE EXECUTE ON FUNCTION is_member(uuid) FROM PUBLIC;`;
  assert.equal(lintFiles([{ file: 'm.sql', text: sql }], ID).mine.length, 0);
  assert.deepEqual(await run(sql), { anon: '42501', authenticatedProjects: '42501' });
});

test('ok: CREATE OR REPLACE keeps the revoke (no finding); anon still gets 42501', async () => {
  const valid = lintDocExample(ID, 'valid', 3);
  assert.equal(valid.mine.length, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q(`CREATE TABLE tenant_users (tenant_id uuid, user_id uuid)`);
    await q(sqlOf(valid.ws));
    await q('SET ROLE anon');
    await expectPgError(ask(q), '42501');
  });
});

test('err: ALTER DEFAULT PRIVILEGES IN SCHEMA … REVOKE EXECUTE FROM PUBLIC does not cover it (reported); the global form does (not reported)', async () => {
  const body = lintDocExample(ID, 'valid', 1).ex.sql.replace(/^ALTER DEFAULT PRIVILEGES[^\n]*\n/m, '');
  const inSchema = `ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;\n${body}`;
  const global = `ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;\n${body}`;
  assert.equal(lintFiles([{ file: 'm.sql', text: inSchema }], ID).mine.length, 1);
  assert.equal(lintFiles([{ file: 'm.sql', text: global }], ID).mine.length, 0);
  const db = await getDb();
  for (const [sql, expected] of [[inSchema, 'called'], [global, '42501']] as const) {
    await inRollback(db, async (q) => {
      await q(AUTH_STUB_SQL);
      await q(`CREATE TABLE tenant_users (tenant_id uuid, user_id uuid)`);
      await q(sql);
      await q('SET ROLE anon');
      const r = await tryQuery(q, `SELECT is_member('${TENANT_B}')`);
      assert.equal(r.ok ? 'called' : r.error.code, expected);
    });
  }
});

test('ok: a trigger function is not reported: PostgreSQL refuses to call it directly (0A000)', async () => {
  const valid = lintDocExample(ID, 'valid', 2);
  assert.equal(valid.mine.length, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(sqlOf(valid.ws));
    await q('SET ROLE anon');
    await expectPgError(q('SELECT stamp_audit()'), '0A000', 'trigger functions can only be called as triggers');
  });
});

test('err: in a schema of its own the message names USAGE on it: a role without USAGE gets 42501, one granted USAGE calls it (postgrest-starter-kit: settings.get)', async () => {
  const sql = `CREATE SCHEMA settings;
CREATE TABLE settings.secrets (key text PRIMARY KEY, value text NOT NULL);
CREATE FUNCTION settings.get(text) RETURNS text AS $$
  SELECT value FROM settings.secrets WHERE key = $1
$$ SECURITY DEFINER STABLE LANGUAGE sql SET search_path = settings, pg_temp;`;
  const { mine } = lintFiles([{ file: 'db/settings.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /so every role that has USAGE on schema settings \(PUBLIC has it only on public unless granted\) can call it directly/);
  const plain = lintDocExample(ID, 'invalid', 0).mine[0]!;
  assert.match(plain.message, /so every role can call it directly/, 'a function in public: every role');
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(sql);
    await q(`INSERT INTO settings.secrets VALUES ('jwt_secret', 's3cret')`);
    await q('SET ROLE anon');
    const r = await tryQuery(q, `SELECT settings.get('jwt_secret') AS v`);
    assert.equal(!r.ok && r.error.code, '42501', 'EXECUTE through PUBLIC, but no USAGE on the schema');
    assert.match(!r.ok ? r.error.message : '', /permission denied for schema settings/);
  });
  await inRollback(db, async (q) => {
    await q(sql);
    await q(`INSERT INTO settings.secrets VALUES ('jwt_secret', 's3cret'); GRANT USAGE ON SCHEMA settings TO anon`);
    await q('SET ROLE anon');
    assert.equal((await q(`SELECT settings.get('jwt_secret') AS v`))[0]!.v, 's3cret', 'with USAGE: the owner’s answer');
  });
});

// Calibration (nuxtsupabucket): `GRANT ALL ON ALL ROUTINES IN SCHEMA app_fn TO anon, authenticated`
// in a later file grants EXECUTE to them directly; REVOKE … FROM PUBLIC alone leaves it to them.
test('err: EXECUTE also granted directly (ALL ROUTINES IN SCHEMA … TO a role): the message says so and the fix revokes it from them too', async () => {
  const sql = [
    'CREATE SCHEMA app_fn;',
    'CREATE ROLE app_visitor NOLOGIN;',
    "CREATE FUNCTION app_fn.become_admin() RETURNS boolean LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$ SELECT count(*) > 0 FROM pg_catalog.pg_authid $$;",
    'GRANT USAGE ON SCHEMA app_fn TO app_visitor;',
    'GRANT ALL ON ALL ROUTINES IN SCHEMA app_fn TO app_visitor;',
    '',
  ].join('\n');
  const { ws, mine } = lintFiles([{ file: '1.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /also granted to app_visitor directly, which keeps EXECUTE after a REVOKE … FROM PUBLIC/);
  const db = await getDb();
  const call = async (text: string) =>
    inRollback(db, async (q) => {
      await q(text);
      await q('SET ROLE app_visitor');
      return tryQuery(q, 'SELECT app_fn.become_admin() AS ok');
    });
  assert.equal((await call(sql)).ok, true, 'app_visitor calls it');
  const onlyPublic = `${sql}REVOKE EXECUTE ON FUNCTION app_fn.become_admin() FROM PUBLIC;\n`;
  assert.equal((await call(onlyPublic)).ok, true, 'REVOKE … FROM PUBLIC alone: app_visitor still calls it');
  const fixed = applyFix(ws, mine[0]!);
  assert.match(sqlOf(fixed), /REVOKE EXECUTE ON FUNCTION app_fn\.become_admin\(\) FROM PUBLIC, app_visitor;/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  const after = await call(sqlOf(fixed));
  assert.equal(!after.ok && after.error.code, '42501', 'fixed: app_visitor gets 42501');
});

test('err: Supabase: a policy helper revoked from PUBLIC only: anon keeps EXECUTE by the default privileges and reads the admins of any organization; after the fix 42501', async () => {
  const sql = `CREATE TABLE public.org_members (org_id uuid NOT NULL, user_id uuid NOT NULL, is_admin boolean NOT NULL DEFAULT false);
ALTER TABLE public.org_members ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.org_admin_ids(org uuid) RETURNS SETOF uuid LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT user_id FROM public.org_members WHERE org_id = org AND is_admin
$$;
REVOKE EXECUTE ON FUNCTION public.org_admin_ids(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.org_admin_ids(uuid) TO authenticated;
CREATE POLICY admins_manage ON public.org_members FOR ALL TO authenticated
  USING ((select auth.uid()) IN (SELECT public.org_admin_ids(org_id)));
`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_orgs.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'public.org_admin_ids');
  assert.match(mine[0]!.message, /^SECURITY DEFINER function public\.org_admin_ids\(uuid\) is executable by anon: its EXECUTE is revoked from PUBLIC, but on Supabase default privileges grant EXECUTE on new functions in public to anon and authenticated directly/);
  assert.match(mine[0]!.message, /policies that call it \("admins_manage" on public\.org_members\) are for authenticated\. Add REVOKE EXECUTE ON FUNCTION public\.org_admin_ids\(uuid\) FROM anon;$/);
  const fixed = applyFix(ws, mine[0]!);
  assert.equal(findingsOf(fixed, ID).length, 0);
  // Supabase's platform default privileges, which the migrations do not show
  const platform = 'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO anon, authenticated;';
  const admins = async (text: string) =>
    inRollback(await getDb(), async (q) => {
      await q(AUTH_STUB_SQL);
      await q(platform);
      await q(text);
      await q(`INSERT INTO public.org_members VALUES ('${TENANT_A}', '${TENANT_B}', true)`);
      await q('SET ROLE anon');
      const r = await tryQuery(q, `SELECT public.org_admin_ids('${TENANT_A}') AS id`);
      return r.ok ? r.rows.map((x) => x.id) : r.error.code;
    });
  assert.deepEqual(await admins(sqlOf(ws)), [TENANT_B], "anon reads an organization's admin through the helper");
  assert.equal(await admins(sqlOf(fixed)), '42501');
  // a policy for anon that calls it, or a project that is not Supabase: not reported
  const forAnon = sql.replace('TO authenticated\n  USING', 'TO anon, authenticated\n  USING');
  assert.deepEqual(lintFiles([{ file: 'supabase/migrations/20240101000000_orgs.sql', text: forAnon }], ID).mine, []);
  assert.deepEqual(lintFiles([{ file: 'db/migrations/001_orgs.sql', text: sql }], ID).mine, []);
});

test("ok: a definer that only sets a custom setting is not reported: any role may call set_config() on it itself, so EXECUTE gives a caller nothing (debt-manager's app.set_user)", async () => {
  const setter = "CREATE FUNCTION set_user(id uuid) RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$\nBEGIN\n  PERFORM set_config('app.current_user', id::text, true);\nEND $$;\n";
  assert.equal(lintFiles([{ file: '1.sql', text: setter }], ID).mine.length, 0);
  // (one that also reads a table is reported)
  const reader = setter.replace("PERFORM set_config('app.current_user', id::text, true);", "PERFORM set_config('app.current_user', (SELECT max(id::text) FROM pg_class WHERE false), true);\n  PERFORM 1 FROM notes;");
  assert.equal(lintFiles([{ file: '1.sql', text: `CREATE TABLE notes (id int);\n${reader}` }], ID).mine.length, 1);
  await inRollback(await getDb(), async (q) => {
    await q('SET ROLE anon');
    assert.deepEqual(await q(`SELECT set_config('app.current_user', '${TENANT_A}', true) AS v`), [{ v: TENANT_A }], 'anon sets it without any function');
  });
});

test('err: Supabase: a definer no policy calls, revoked from PUBLIC and granted to service_role only: anon still calls it (default privileges) and writes a secret; after the fix 42501', async () => {
  const sql = `CREATE TABLE public.secrets (name text PRIMARY KEY, value text);
REVOKE ALL ON public.secrets FROM anon, authenticated;
CREATE FUNCTION public.manage_secret(p_name text, p_value text) RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  INSERT INTO public.secrets VALUES (p_name, p_value) ON CONFLICT (name) DO UPDATE SET value = excluded.value;
END $$;
REVOKE ALL ON FUNCTION public.manage_secret(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.manage_secret(text, text) TO service_role;
`;
  const file = 'supabase/migrations/20260110175719_manage_secret.sql';
  const { ws, mine } = lintFiles([{ file, text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^SECURITY DEFINER function public\.manage_secret\(text, text\) is executable by anon and authenticated: its EXECUTE is revoked from PUBLIC and granted to service_role, but on Supabase default privileges/);
  assert.match(mine[0]!.message, /So any request, signed in or not, can call it directly \(as an RPC of the Data API\), and it runs with its owner's rights\. Add REVOKE EXECUTE ON FUNCTION public\.manage_secret\(text, text\) FROM anon, authenticated;$/);
  const fixed = applyFix(ws, mine[0]!);
  assert.equal(findingsOf(fixed, ID).length, 0);
  const platform = 'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO anon, authenticated, service_role;';
  const asAnon = async (text: string) =>
    inRollback(await getDb(), async (q) => {
      await q(AUTH_STUB_SQL);
      await q(platform);
      await q(text);
      await q('SET ROLE anon');
      const r = await tryQuery(q, "SELECT public.manage_secret('stripe_key', 'attacker')");
      await q('RESET ROLE');
      return r.ok ? (await q("SELECT value FROM public.secrets WHERE name = 'stripe_key'"))[0]?.value : r.error.code;
    });
  assert.equal(await asAnon(sqlOf(ws)), 'attacker', 'anon overwrote the secret');
  assert.equal(await asAnon(sqlOf(fixed)), '42501');
  // granted to authenticated on purpose: only anon is reported; not Supabase: nothing
  const forUsers = sql.replace('TO service_role;', 'TO authenticated;');
  assert.match(lintFiles([{ file, text: forUsers }], ID).mine[0]!.message, /is executable by anon: .* So a request without a signed-in user can call it/);
  assert.deepEqual(lintFiles([{ file: 'db/migrations/001_secret.sql', text: sql }], ID).mine, []);
});

// betterr_me's 20260301000001_vault_auth_checks.sql: get_plaid_secret() returns Vault's
// decrypted_secret, revoked FROM PUBLIC, authenticated and granted to service_role; it was not
// reported because Vault's relations are not the migrations' (taken for unknown tables with RLS).
test('err: Supabase: a definer reading Vault (vault.decrypted_secrets), revoked from PUBLIC and authenticated only: anon reads the decrypted secret through it (default privileges); after the fix 42501', async () => {
  const sql = `CREATE OR REPLACE FUNCTION get_plaid_secret(secret_name TEXT) RETURNS TEXT LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
  result pg_catalog.text;
BEGIN
  SELECT decrypted_secret INTO result FROM vault.decrypted_secrets WHERE name = secret_name;
  RETURN result;
END;
$$;
REVOKE EXECUTE ON FUNCTION get_plaid_secret(TEXT) FROM PUBLIC, authenticated;
GRANT EXECUTE ON FUNCTION get_plaid_secret(TEXT) TO service_role;
`;
  const file = 'supabase/migrations/20260301000001_vault_auth_checks.sql';
  const { ws, mine } = lintFiles([{ file, text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^SECURITY DEFINER function public\.get_plaid_secret\(text\) is executable by anon: its EXECUTE is revoked from PUBLIC and granted to service_role/);
  assert.match(mine[0]!.message, /it runs with its owner's rights: it reads vault\.decrypted_secrets as its owner, Supabase Vault's secrets, which no policy guards and which anon and authenticated are not granted themselves\. Add REVOKE EXECUTE ON FUNCTION public\.get_plaid_secret\(text\) FROM anon;$/);
  const fixed = applyFix(ws, mine[0]!);
  assert.equal(findingsOf(fixed, ID).length, 0);
  const platform = 'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO anon, authenticated, service_role;';
  const vault = `CREATE SCHEMA vault;
CREATE TABLE vault.secrets (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text UNIQUE, secret text NOT NULL);
CREATE VIEW vault.decrypted_secrets AS SELECT id, name, secret AS decrypted_secret FROM vault.secrets;
GRANT USAGE ON SCHEMA vault TO service_role; GRANT SELECT ON vault.decrypted_secrets TO service_role;
INSERT INTO vault.secrets (name, secret) VALUES ('plaid_access_token', 'access-live-123');`;
  const asAnon = async (text: string) =>
    inRollback(await getDb(), async (q) => {
      await q(AUTH_STUB_SQL);
      await q(platform);
      await q(vault);
      await q(text);
      await q('SET ROLE anon');
      const direct = await tryQuery(q, 'SELECT decrypted_secret FROM vault.decrypted_secrets');
      assert.equal(!direct.ok && direct.error.code, '42501', 'anon may not read Vault itself');
      const r = await tryQuery(q, "SELECT public.get_plaid_secret('plaid_access_token') AS s");
      return r.ok ? r.rows[0]!.s : r.error.code;
    });
  assert.equal(await asAnon(sqlOf(ws)), 'access-live-123', 'anon read the decrypted secret');
  assert.equal(await asAnon(sqlOf(fixed)), '42501');
  // (a project that makes a vault.secrets table of its own: not Supabase's, judged as its table)
  assert.equal(lintFiles([{ file, text: `CREATE SCHEMA vault;\nCREATE TABLE vault.decrypted_secrets (name text, decrypted_secret text);\nALTER TABLE vault.decrypted_secrets ENABLE ROW LEVEL SECURITY;\n${sql}` }], ID).mine.length, 0);
  // not Supabase: nothing
  assert.deepEqual(lintFiles([{ file: 'db/migrations/001_secret.sql', text: sql }], ID).mine, []);
});

// restaurant-copilot's get_employee_bank_encryption_key(): Vault read through an EXECUTE of a
// constant string (behind to_regclass, so that the function compiles without Vault); the message
// said "a caller gets only what its body chooses (e.g. about the caller themselves)".
test('err: Supabase: a definer reading Vault through EXECUTE of a constant string, executable by PUBLIC: the message says it reads vault.decrypted_secrets; anon gets the key; after the fix 42501', async () => {
  const sql = `CREATE OR REPLACE FUNCTION public.get_key() RETURNS text LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path TO 'public', pg_temp AS $function$
DECLARE
  key_value text;
BEGIN
  IF to_regclass('vault.decrypted_secrets') IS NOT NULL THEN
    EXECUTE 'SELECT decrypted_secret::text FROM vault.decrypted_secrets WHERE name = $1 LIMIT 1' INTO key_value USING 'bank_key';
  END IF;
  RETURN NULLIF(key_value, '');
END;
$function$;
`;
  const file = 'supabase/migrations/20260430001030_encrypt_bank_data.sql';
  const { ws, mine } = lintFiles([{ file, text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /it takes no argument, but it reads vault\.decrypted_secrets as its owner and never looks at who is calling, so every caller gets what its body returns of it, the same for all \(a secret/);
  // (a setting read first, as restaurant-copilot's: it may be the caller's context, so "the same for all" is not said; Vault still is)
  const withSetting = sql.replace('BEGIN\n', "BEGIN\n  key_value := NULLIF(current_setting('app.bank_key', true), '');\n  IF key_value IS NOT NULL THEN RETURN key_value; END IF;\n");
  const second = lintFiles([{ file, text: withSetting }], ID).mine;
  assert.equal(second.length, 1);
  assert.match(second[0]!.message, /it takes no argument, but it reads vault\.decrypted_secrets as its owner, Supabase Vault's secrets, which no policy guards and which anon and authenticated are not granted themselves: a caller gets whatever its body returns of them/);
  const fixed = applyFix(ws, mine[0]!);
  assert.equal(findingsOf(fixed, ID).length, 0);
  const vault = `CREATE SCHEMA vault;
CREATE TABLE vault.secrets (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text UNIQUE, secret text NOT NULL);
CREATE VIEW vault.decrypted_secrets AS SELECT id, name, secret AS decrypted_secret FROM vault.secrets;
INSERT INTO vault.secrets (name, secret) VALUES ('bank_key', 'k-123');`;
  const asAnon = async (text: string) =>
    inRollback(await getDb(), async (q) => {
      await q(AUTH_STUB_SQL);
      await q('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO anon, authenticated, service_role;');
      await q(vault);
      await q(text);
      await q('SET ROLE anon');
      const r = await tryQuery(q, 'SELECT public.get_key() AS k');
      return r.ok ? r.rows[0]!.k : r.error.code;
    });
  assert.equal(await asAnon(sqlOf(ws)), 'k-123', 'anon read the key through the EXECUTE');
  assert.equal(await asAnon(sqlOf(fixed)), '42501');
});

test('ok: a role granted EXECUTE directly that bypasses RLS (service_role) is not in the revoke: it reads every row itself, and server code calls the function as it', () => {
  const sql = `CREATE TABLE public.members (org_id uuid NOT NULL, user_id uuid NOT NULL);
ALTER TABLE public.members ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.is_member(org uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT EXISTS (SELECT 1 FROM public.members WHERE org_id = org AND user_id = auth.uid())
$$;
GRANT ALL ON FUNCTION public.is_member(uuid) TO service_role;
CREATE POLICY members_read ON public.members FOR SELECT TO authenticated USING (public.is_member(org_id));
`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_m.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.doesNotMatch(mine[0]!.message, /service_role/);
  assert.doesNotMatch(mine[0]!.fixes[0]!.edits[0]!.newText, /service_role/);
});

test('ok: a role granted EXECUTE on the function by name is meant to call it: the fix revokes from PUBLIC only (postgraphile_user_system: the GraphQL visitor role)', () => {
  const sql = `CREATE ROLE app_visitor;
CREATE FUNCTION change_password(old text, new text) RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$ BEGIN RETURN old <> new AND EXISTS (SELECT 1 FROM pg_catalog.pg_authid); END $$;
GRANT EXECUTE ON FUNCTION change_password(text, text) TO app_visitor;
`;
  const { mine } = lintFiles([{ file: '1.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.doesNotMatch(mine[0]!.message, /also granted to app_visitor/);
  assert.match(mine[0]!.fixes[0]!.edits[0]!.newText, /REVOKE EXECUTE ON FUNCTION public\.change_password\(text, text\) FROM PUBLIC;$/);
});

test("ok: a later DO block revoking EXECUTE from anon on every function of public in a loop over pg_proc (liam) takes anon's EXECUTE: not reported for anon; a loop filtered by name is not followed", async () => {
  const fn = `CREATE TABLE public.members (org_id uuid NOT NULL, user_id uuid NOT NULL, PRIMARY KEY (org_id, user_id));
CREATE INDEX ON public.members (user_id);
ALTER TABLE public.members ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.is_member(_org uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT EXISTS (SELECT 1 FROM public.members m WHERE m.org_id = _org AND m.user_id = auth.uid())
$$;
REVOKE ALL ON FUNCTION public.is_member(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.is_member(uuid) TO authenticated;
CREATE POLICY members_read ON public.members FOR SELECT TO authenticated USING (public.is_member(org_id));
`;
  const loop = (where: string) => `DO $$
DECLARE func_name text;
BEGIN
  FOR func_name IN SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON p.pronamespace = n.oid
                   WHERE n.nspname = 'public'${where}
  LOOP
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM anon', func_name);
  END LOOP;
END $$;
`;
  const file = (text: string) => [{ file: 'supabase/migrations/20240101000000_fn.sql', text: fn }, { file: 'supabase/migrations/20240102000000_revoke.sql', text }];
  const before = lintFiles(file('SELECT 1;'), ID).mine;
  assert.equal(before.length, 1);
  assert.match(before[0]!.message, /anon/);
  const { ws, mine } = lintFiles(file(loop('')), ID);
  assert.deepEqual(mine, []);
  assert.equal(lintFiles(file(loop(" AND p.proname LIKE 'admin_%'")), ID).mine.length, 1);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON FUNCTIONS TO anon, authenticated'); // (Supabase's)
    await q(sqlOf(ws));
    await q('SET ROLE anon');
    await expectPgError(q(`SELECT public.is_member('${TENANT_A}')`), '42501', 'permission denied for function is_member');
  });
});

test("err: a function with no argument (fastnd-poc's get_my_tenant_id(), keyed on auth.uid()) is still reported, without 'about other tenants': a caller gets only what its body chooses, their own tenant", async () => {
  const text = `CREATE TABLE public.profiles (id uuid PRIMARY KEY, tenant_id uuid);
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.my_tenant() RETURNS uuid LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT tenant_id FROM public.profiles WHERE id = auth.uid() $$;
`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_t.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /it takes no argument, so a caller gets only what its body chooses \(e\.g\. about the caller themselves\)/);
  assert.doesNotMatch(mine[0]!.message, /other tenants/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(text);
    await q(`INSERT INTO public.profiles VALUES ('${TENANT_A}', '${TENANT_A}'), ('${TENANT_B}', '${TENANT_B}')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.deepEqual(await q('SELECT public.my_tenant() AS t'), [{ t: TENANT_A }]);
  });
});

test("ok: EXECUTE revoked by a DO block looping over a literal array of signatures (sm-crm's FOREACH fn IN ARRAY ARRAY['public.emails()', …] LOOP EXECUTE format('REVOKE ALL ON FUNCTION %s FROM public, anon, authenticated', fn)): as the REVOKE itself; anon may not call it (42501)", async () => {
  const text = `CREATE TABLE public.secrets (id int PRIMARY KEY, body text);
ALTER TABLE public.secrets ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.all_secrets() RETURNS SETOF text LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$ SELECT body FROM public.secrets $$;
CREATE FUNCTION public.one_secret(p_id int) RETURNS text LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$ SELECT body FROM public.secrets WHERE id = p_id $$;
DO $$ DECLARE fn text; BEGIN
  FOREACH fn IN ARRAY ARRAY['public.all_secrets()', 'public.one_secret(integer)'] LOOP
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM public, anon, authenticated', fn);
  END LOOP;
END $$;
`;
  const file = 'supabase/migrations/20240101000000_s.sql';
  assert.equal(lintFiles([{ file, text }], ID).mine.length, 0);
  assert.equal(lintFiles([{ file, text }], 'definer-bypasses-rls').mine.length, 0);
  // (without the loop both are reported)
  assert.equal(lintFiles([{ file, text: text.slice(0, text.indexOf('DO $$')) }], ID).mine.length, 2);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(text);
    await q('SET ROLE anon');
    await expectPgError(q('SELECT public.all_secrets()'), '42501');
  });
});

// Calibration cal194 (reabal-n/instantmed's 20260713085920_lock_down_security_definer_rpc_acls.sql):
// a DO block's FOR over a VALUES manifest of (signature, access policy) revoking EXECUTE on
// to_regprocedure(signature) from PUBLIC, anon, authenticated and service_role, then granting it back
// to service_role, or to authenticated and service_role, by an IF on the row's policy. It was not
// replayed: 24 definer-execute-granted-to-public and 20 definer-bypasses-rls findings said functions
// it locks down could be called by PUBLIC (verify, running it, found none). Each EXECUTE is now
// replayed for the rows it runs for.
test("ok: EXECUTE revoked, and granted back per row, by a DO block's FOR over a VALUES manifest (instantmed's ACL lockdown): as the REVOKE and GRANTs themselves; PGlite: anon gets 42501, authenticated calls only the one granted to it", async () => {
  const head = `CREATE TABLE public.notes (id int PRIMARY KEY, owner uuid NOT NULL, body text);
ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON public.notes TO authenticated;
CREATE FUNCTION public.is_doctor() RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$ SELECT EXISTS (SELECT 1 FROM public.notes WHERE owner = (select auth.uid())) $$;
CREATE FUNCTION public.purge_notes(p_days integer) RETURNS integer LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$ WITH d AS (DELETE FROM public.notes RETURNING 1) SELECT count(*)::int FROM d $$;
CREATE FUNCTION public.note_body(p_id integer, p_owner uuid) RETURNS text LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$ SELECT body FROM public.notes WHERE id = p_id AND owner = p_owner $$;
CREATE POLICY notes_doctor ON public.notes FOR SELECT TO authenticated USING ((select public.is_doctor()));
`;
  const loop = `DO $acl$
DECLARE
  function_signature text;
  function_oid regprocedure;
  function_policy text;
BEGIN
  FOR function_signature, function_oid, function_policy IN
    SELECT policy.function_signature, pg_catalog.to_regprocedure(policy.function_signature), policy.access_policy
    FROM (VALUES
      ('public.is_doctor()', 'authenticated'),
      ('public.purge_notes(integer)', 'service_role'),
      ('public.note_body(integer, uuid)', 'owner_only')
    ) AS policy(function_signature, access_policy)
  LOOP
    IF function_oid IS NULL THEN
      CONTINUE;
    END IF;
    EXECUTE pg_catalog.format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC, anon, authenticated, service_role', function_oid);
    IF function_policy = 'service_role' THEN
      EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO service_role', function_oid);
    ELSIF function_policy = 'authenticated' THEN
      EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO authenticated', function_oid);
      EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO service_role', function_oid);
    ELSIF function_policy NOT IN ('owner_only') THEN
      RAISE EXCEPTION 'Unknown ACL policy: %', function_policy;
    END IF;
  END LOOP;
END
$acl$;
`;
  const file = 'supabase/migrations/20260713085920_lock_down.sql';
  const all = (text: string) => lintFiles([{ file, text }], ID).findings.filter((f) => f.rule === ID || f.rule === 'definer-bypasses-rls' || f.rule === 'policy-calls-without-execute').map((f) => f.rule);
  assert.deepEqual(all(head + loop), []);
  // (without the loop: each reported; with is_doctor() owner_only too, the ELSIF no row takes: still none)
  assert.equal(lintFiles([{ file, text: head }], ID).mine.length, 3);
  assert.deepEqual(all(head + loop.replace("'public.is_doctor()', 'authenticated'", "'public.is_doctor()', 'owner_only'")).filter((r) => r !== 'policy-calls-without-execute'), []);
  // (an EXECUTE the rows do not decide, under an IF on something else: none of the loop's is replayed, as before)
  assert.equal(lintFiles([{ file, text: head + loop.replace("IF function_policy = 'service_role' THEN", "IF now() IS NOT NULL AND function_policy = 'service_role' THEN") }], ID).mine.length, 3);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(head + loop);
    const can = async (role: string, fn: string) => (await q(`SELECT has_function_privilege('${role}', '${fn}', 'EXECUTE') AS x`))[0]!.x as boolean;
    assert.deepEqual(
      [await can('anon', 'public.is_doctor()'), await can('authenticated', 'public.is_doctor()'), await can('authenticated', 'public.purge_notes(integer)'), await can('service_role', 'public.purge_notes(integer)'), await can('service_role', 'public.note_body(integer, uuid)')],
      [false, true, false, true, false],
    );
    await q('SET ROLE anon');
    await expectPgError(q('SELECT public.purge_notes(0)'), '42501');
  });
});

// Calibration (siteproof's get_user_role): its only query fails as written (42702), so no call
// answers until that is fixed; the message says so, as definer-bypasses-rls's does.
test('err (message): a function whose query fails as written with 42702 says so (PGlite: the call fails)', async () => {
  const sql = `CREATE TABLE public.organization_members (organization_id uuid NOT NULL, user_id uuid NOT NULL, role text NOT NULL, PRIMARY KEY (organization_id, user_id));
ALTER TABLE public.organization_members ENABLE ROW LEVEL SECURITY;
CREATE POLICY om_self ON public.organization_members FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE FUNCTION public.get_user_role(org_id uuid, user_id uuid) RETURNS varchar AS $$
DECLARE user_role varchar;
BEGIN
  SELECT role INTO user_role FROM public.organization_members WHERE organization_id = org_id AND organization_members.user_id = user_id;
  RETURN user_role;
END $$ LANGUAGE plpgsql SECURITY DEFINER SET search_path = '';
`;
  const [f] = lintFiles([{ file: 'db/1.sql', text: sql }], ID).mine;
  assert.match(f?.message ?? '', /fails as written with 42702 column reference "user_id" is ambiguous, plpgsql-ambiguous-column: a call that reaches it gets that error, not rows/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql);
    await expectPgError(q(`SELECT public.get_user_role('${TENANT_A}', '${TENANT_B}')`), '42702', 'column reference "user_id" is ambiguous');
  });
});

// abhiguru/SSBackend (volumes/db/init/00-roles.sql): the project's own default privileges grant
// EXECUTE on every later function of public to anon and authenticated directly, so a REVOKE …
// FROM PUBLIC leaves them.
const VICTIM = '11111111-1111-1111-1111-111111111111';
const DEFPRIV = 'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO anon, authenticated;';
const USERS = `CREATE TABLE public.users (id uuid PRIMARY KEY, email text);
ALTER TABLE public.users ENABLE ROW LEVEL SECURITY; ALTER TABLE public.users FORCE ROW LEVEL SECURITY;`;
const PURGE = `CREATE FUNCTION public.purge_user(p_user_id uuid) RETURNS void LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = public, pg_temp AS $$ BEGIN DELETE FROM public.users WHERE id = p_user_id; END $$;`;
const REVOKE_PUBLIC = 'REVOKE EXECUTE ON FUNCTION public.purge_user(uuid) FROM PUBLIC;';

/** Runs the migrations, then purge_user as each role: 'called' (and the rows left) or the error code; and the function's ACL. */
async function purgeAs(sql: string, roles = ['anon', 'authenticated']): Promise<{ acl: string; calls: Record<string, string> }> {
  const db = await getDb();
  return inRollback(db, async (q) => {
    await q(sql);
    const acl = String((await q(`SELECT proacl::text AS acl FROM pg_proc WHERE proname = 'purge_user'`))[0]!.acl);
    const calls: Record<string, string> = {};
    for (const role of roles) {
      await q(`INSERT INTO public.users VALUES ('${VICTIM}', 'victim@example.com') ON CONFLICT DO NOTHING`);
      await q(`SET ROLE ${role}`);
      const r = await tryQuery(q, `SELECT public.purge_user('${VICTIM}')`);
      await q('RESET ROLE');
      calls[role] = r.ok ? `called, ${(await q('SELECT count(*)::int AS n FROM public.users'))[0]!.n} rows left` : r.error.code;
    }
    return { acl, calls };
  });
}

test("err: the workspace's own ALTER DEFAULT PRIVILEGES … GRANT EXECUTE ON FUNCTIONS TO anon, authenticated (SSBackend): after REVOKE … FROM PUBLIC anon still deletes a row through the definer; reported, and the fix's REVOKE FROM anon, authenticated gives 42501", async () => {
  const sql = `${DEFPRIV}\n${USERS}\n${PURGE}\n${REVOKE_PUBLIC}`;
  const { ws, mine } = lintFiles([{ file: 'volumes/db/init/00-roles.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'public.purge_user');
  assert.match(mine[0]!.message, /is executable by anon and authenticated: its EXECUTE is revoked from PUBLIC, but the default privileges set at 00-roles\.sql:1 \(ALTER DEFAULT PRIVILEGES … GRANT EXECUTE ON FUNCTIONS\) granted EXECUTE on it to anon, authenticated directly when it was made, and a REVOKE … FROM PUBLIC leaves those grants/);
  assert.match(mine[0]!.message, /Add REVOKE EXECUTE ON FUNCTION public\.purge_user\(uuid\) FROM anon, authenticated;/);
  const before = await purgeAs(sql);
  assert.match(before.acl, /anon=X\/\w+/, 'proacl: anon holds EXECUTE directly');
  assert.match(before.acl, /authenticated=X\/\w+/);
  assert.doesNotMatch(before.acl, /(^|[{,])=X\//, 'PUBLIC no longer holds it');
  assert.deepEqual(before.calls, { anon: 'called, 0 rows left', authenticated: 'called, 0 rows left' });
  const fixed = applyFix(ws, mine[0]!);
  assert.match(sqlOf(fixed), /\$\$;\nREVOKE EXECUTE ON FUNCTION public\.purge_user\(uuid\) FROM anon, authenticated;/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  assert.deepEqual((await purgeAs(sqlOf(fixed))).calls, { anon: '42501', authenticated: '42501' });
});

test("err: never revoked, with the workspace's default grant to anon, authenticated: the message names them and the fix revokes from PUBLIC, anon, authenticated (REVOKE … FROM PUBLIC alone: anon still calls it)", async () => {
  const sql = `${DEFPRIV}\n${USERS}\n${PURGE}`;
  const { ws, mine } = lintFiles([{ file: 'm.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /It is also granted to anon, authenticated directly \(by the default privileges set at m\.sql:1, ALTER DEFAULT PRIVILEGES … GRANT EXECUTE ON FUNCTIONS, when it was made\), which keep EXECUTE after a REVOKE … FROM PUBLIC/);
  const fixed = applyFix(ws, mine[0]!);
  assert.match(sqlOf(fixed), /\$\$;\nREVOKE EXECUTE ON FUNCTION public\.purge_user\(uuid\) FROM PUBLIC, anon, authenticated;/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  assert.deepEqual((await purgeAs(sql, ['anon'])).calls, { anon: 'called, 0 rows left' });
  assert.deepEqual((await purgeAs(`${sql}\n${REVOKE_PUBLIC}`, ['anon'])).calls, { anon: 'called, 0 rows left' }, 'FROM PUBLIC alone');
  assert.deepEqual((await purgeAs(sqlOf(fixed))).calls, { anon: '42501', authenticated: '42501' });
});

test('ok: default privileges reach only what is made afterwards, by the role they were set for, until revoked: a function made before the ALTER, one made after a default REVOKE, and one made by a role other than FOR ROLE are not reported; PGlite: 42501 for anon each time', async () => {
  const cases = {
    'made before': `${USERS}\n${PURGE}\n${DEFPRIV}\n${REVOKE_PUBLIC}`,
    'default revoked': `${DEFPRIV}\nALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE EXECUTE ON FUNCTIONS FROM anon, authenticated;\n${USERS}\n${PURGE}\n${REVOKE_PUBLIC}`,
    // (a role the migrations create: not the one running them)
    'for another role': `CREATE ROLE fn_maker NOLOGIN;\nALTER DEFAULT PRIVILEGES FOR ROLE fn_maker IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO anon, authenticated;\n${USERS}\n${PURGE}\n${REVOKE_PUBLIC}`,
  };
  for (const [name, sql] of Object.entries(cases)) {
    assert.equal(lintFiles([{ file: 'm.sql', text: sql }], ID).mine.length, 0, name);
    const { acl, calls } = await purgeAs(sql);
    assert.doesNotMatch(acl, /anon=/, name);
    assert.deepEqual(calls, { anon: '42501', authenticated: '42501' }, name);
  }
});

test('err: FOR ROLE app_owner reaches what app_owner makes (SET ROLE app_owner): reported; PGlite: anon calls it', async () => {
  const sql = `GRANT CREATE ON SCHEMA public TO app_owner;
ALTER DEFAULT PRIVILEGES FOR ROLE app_owner IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO anon;
${USERS}
GRANT SELECT, DELETE ON public.users TO app_owner;
SET ROLE app_owner;
${PURGE}
${REVOKE_PUBLIC}
RESET ROLE;`;
  const { mine } = lintFiles([{ file: 'm.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /is executable by anon: .*FROM anon;/);
  const { acl, calls } = await purgeAs(sql, ['anon']);
  assert.match(acl, /anon=X\/app_owner/);
  assert.equal(calls.anon, 'called, 1 rows left', 'anon calls it (app_owner, under FORCE with no policy for it, deletes nothing)');
});

test("ok: default privileges that revoke from PUBLIC and grant EXECUTE to a role say that role is meant to call the project's functions (graphile/starter's visitor): with no REVOKE naming the function, not reported (PGlite: the role calls it, as designed)", async () => {
  const sql = `ALTER DEFAULT PRIVILEGES REVOKE ALL ON FUNCTIONS FROM PUBLIC;\n${DEFPRIV}\n${USERS}\n${PURGE}`;
  assert.equal(lintFiles([{ file: 'migrations/000001.sql', text: sql }], ID).mine.length, 0);
  const r = await purgeAs(sql);
  assert.doesNotMatch(r.acl, /(^|[{,])=X\//, 'PUBLIC does not hold it');
  assert.deepEqual(r.calls, { anon: 'called, 0 rows left', authenticated: 'called, 0 rows left' });
});

test("err (message): a definer without arguments that writes a table as its owner (k-connection's grant_admin_to_current_user()) says what it writes for whoever calls; PGlite: any role calling it gets the row it could not insert itself", async () => {
  const text = `CREATE TABLE public.user_roles (user_id text NOT NULL, role text NOT NULL);
ALTER TABLE public.user_roles ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_roles ON public.user_roles FOR SELECT USING (user_id = current_setting('app.user_id', true));
GRANT SELECT, INSERT ON public.user_roles TO PUBLIC;
CREATE FUNCTION public.grant_admin_to_current_user() RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = ''
  AS $$ INSERT INTO public.user_roles VALUES (current_setting('app.user_id', true), 'admin') $$;
`;
  const { mine } = lintFiles([{ file: 'm.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /it takes no argument, but it writes public\.user_roles as its owner for whoever calls it \(what its body writes there for the caller, such as a role for themselves, any caller gets by calling it\)/);
  await inRollback(await getDb(), async (q) => {
    await q(text);
    await q(`SELECT set_config('app.user_id', 'u1', true)`);
    await q('SET ROLE anon');
    assert.equal((await tryQuery(q, `INSERT INTO public.user_roles VALUES ('u1', 'admin')`)).ok, false, 'no INSERT policy: refused');
    await q('SELECT public.grant_admin_to_current_user()');
    assert.deepEqual(await q('SELECT role FROM public.user_roles'), [{ role: 'admin' }]);
  });
});

// AAInventoryManager/Inventory-Manager's 021_invite_lifecycle_rpcs.sql: expire_company_invites()
// takes no argument and never looks at who calls it; it marks every company's lapsed invites expired
// and logs an event for each (a data-modifying WITH). What it writes is no role of the caller's: any
// caller makes it write the same rows.
test("err (message): a definer without arguments that writes tables and never looks at the caller (Inventory-Manager's expire_company_invites()) says any caller makes it write the same rows, not a role of the caller's own; PGlite: anon, with no privilege on either table, expires every company's invites through it", async () => {
  const text = `CREATE TABLE public.company_invites (company_id uuid NOT NULL, email text NOT NULL, status text NOT NULL DEFAULT 'pending', expires_at timestamptz NOT NULL);
CREATE TABLE public.invite_events (event_type text NOT NULL, company_id uuid NOT NULL);
ALTER TABLE public.company_invites ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.invite_events ENABLE ROW LEVEL SECURITY;
CREATE OR REPLACE FUNCTION public.expire_company_invites()
RETURNS INTEGER
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    v_expired_count INTEGER := 0;
BEGIN
    WITH expired AS (
        UPDATE public.company_invites
        SET status = 'expired'
        WHERE status = 'pending'
          AND expires_at < now()
        RETURNING company_id
    ),
    inserted AS (
        INSERT INTO public.invite_events (event_type, company_id)
        SELECT 'invite_expired', company_id FROM expired
        RETURNING 1
    )
    SELECT COUNT(*) INTO v_expired_count FROM inserted;
    RETURN v_expired_count;
END;
$$;
`;
  const { mine } = lintFiles([{ file: 'm.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /it takes no argument, but it writes public\.company_invites, public\.invite_events as its owner for whoever calls it \(its body never looks at who is calling, so any caller makes it write the same rows there, as often as it likes\)/);
  assert.doesNotMatch(mine[0]!.message, /a role of the caller's own/);
  await inRollback(await getDb(), async (q) => {
    await q(text);
    await q(`INSERT INTO public.company_invites VALUES ('${TENANT_A}', 'a@x', 'pending', now() - interval '1 day'), ('${TENANT_B}', 'b@x', 'pending', now() - interval '1 day')`);
    await q('SET ROLE anon');
    assert.equal((await tryQuery(q, `UPDATE public.company_invites SET status = 'expired'`)).ok, false, 'anon may not update the table itself');
    assert.deepEqual(await q('SELECT public.expire_company_invites() AS n'), [{ n: 2 }]);
    await q('RESET ROLE');
    assert.deepEqual(await q('SELECT status FROM public.company_invites ORDER BY email'), [{ status: 'expired' }, { status: 'expired' }]);
    assert.deepEqual(await q('SELECT count(*)::int AS n FROM public.invite_events'), [{ n: 2 }]);
  });
});

// HeroTools/pager-backend's supabase/migrations/20250724083029_remote_schema.sql: a dump of the
// database writes `GRANT ALL ON FUNCTION … TO "anon"`, "authenticated" and "service_role" for every
// function of public, Supabase's default privileges written out. Those grants are no choice to let
// anon call the definer: the message says anon and authenticated keep EXECUTE, and the fix revokes it.
test("err: a Supabase dump's GRANT ALL of the definer to anon, authenticated and service_role (pager-backend's remote_schema.sql) restates the platform's defaults: the message says they keep EXECUTE and the fix revokes it from them; PGlite: after REVOKE … FROM PUBLIC alone anon still calls it, after the fix 42501", async () => {
  const file = 'supabase/migrations/20250724083029_remote_schema.sql';
  const dump = (grants: string) => `CREATE TABLE IF NOT EXISTS "public"."invites" ("token" "text" PRIMARY KEY, "workspace_id" "uuid" NOT NULL);
ALTER TABLE "public"."invites" ENABLE ROW LEVEL SECURITY;
CREATE OR REPLACE FUNCTION "public"."invite_workspace"("p_token" "text") RETURNS "uuid"
    LANGUAGE "plpgsql" SECURITY DEFINER
    SET "search_path" TO ''
    AS $$
BEGIN
  RETURN (SELECT workspace_id FROM public.invites WHERE token = p_token);
END $$;
${grants}`;
  const restated = dump(`GRANT ALL ON FUNCTION "public"."invite_workspace"("p_token" "text") TO "anon";
GRANT ALL ON FUNCTION "public"."invite_workspace"("p_token" "text") TO "authenticated";
GRANT ALL ON FUNCTION "public"."invite_workspace"("p_token" "text") TO "service_role";
`);
  const { ws, mine } = lintFiles([{ file, text: restated }], ID);
  assert.equal(mine.length, 1);
  const finding = mine[0]!;
  assert.match(
    finding.message,
    /It is also granted to anon, authenticated directly \(anon and authenticated at 20250724083029_remote_schema\.sql:10: a GRANT ALL to anon, authenticated and service_role, as a dump of the database writes for every function, is Supabase's default privileges written out, not a choice to let them call this one\), which keep EXECUTE after a REVOKE … FROM PUBLIC\. Add REVOKE EXECUTE ON FUNCTION public\.invite_workspace\(text\) FROM PUBLIC, anon, authenticated;/,
  );
  assert.doesNotMatch(finding.message, /FROM PUBLIC, anon, authenticated, service_role|usually grant/);
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /TO "authenticated";\nREVOKE EXECUTE ON FUNCTION public\.invite_workspace\(text\) FROM PUBLIC, anon, authenticated;/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  const asAnon = async (sql: string) =>
    inRollback(await getDb(), async (q) => {
      await onSupabase(q, sql);
      await q(`INSERT INTO public.invites VALUES ('secret', '${TENANT_B}')`);
      await q('SET ROLE anon');
      const r = await tryQuery(q, `SELECT public.invite_workspace('secret') AS w`);
      return r.ok ? r.rows[0]!.w : r.error.code;
    });
  assert.equal(await asAnon(`${restated}REVOKE EXECUTE ON FUNCTION public.invite_workspace(text) FROM PUBLIC;\n`), TENANT_B, 'the old fix: anon still calls it');
  assert.equal(await asAnon(sqlOf(fixed)), '42501', 'the fix');
  // (a grant to anon written by hand, GRANT EXECUTE TO anon alone, is a choice: the fix revokes from PUBLIC only)
  const chosen = lintFiles([{ file, text: dump('GRANT EXECUTE ON FUNCTION public.invite_workspace(text) TO anon;\n') }], ID).mine;
  assert.equal(chosen.length, 1);
  assert.doesNotMatch(chosen[0]!.message, /also granted to anon/);
  assert.match(chosen[0]!.fixes[0]!.edits[0]!.newText, /FROM PUBLIC;$/);
});

// danielbech/machi-os: 034 makes accept_pending_invites() (it reads public.pending_invites and moves
// each invite of the caller's email into workspace_memberships); 059 drops pending_invites (and a
// `accept_pending_invites(uuid)` that does not exist). The message said the function "writes
// public.workspace_memberships, public.pending_invites as its owner for whoever calls it".
test('err (wording): a no-argument definer whose body names a table a later migration drops: the message says where it is dropped and that a call reaching it fails with 42P01, not that it writes the tables; PGlite: the call fails so, as anon too', async () => {
  const text = `CREATE TABLE public.workspace_memberships (project_id int, user_email text);
CREATE TABLE public.pending_invites (id int, project_id int, email text);
ALTER TABLE public.workspace_memberships ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.accept_pending_invites() RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE invite record;
BEGIN
  FOR invite IN SELECT pi.id, pi.project_id FROM public.pending_invites pi WHERE pi.email = current_setting('app.email', true) LOOP
    INSERT INTO public.workspace_memberships VALUES (invite.project_id, current_setting('app.email', true));
    DELETE FROM public.pending_invites WHERE id = invite.id;
  END LOOP;
END $$;
DROP TABLE IF EXISTS public.pending_invites CASCADE;
`;
  const { mine } = lintFiles([{ file: 'm.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /it takes no argument, and its body names public\.pending_invites, which m\.sql:12 drops: a call that reaches it fails with 42P01 \(relation does not exist\), so the function may no longer do what it did; drop it if nothing calls it any more/);
  assert.doesNotMatch(mine[0]!.message, /writes public\.workspace_memberships/);
  // (while the table is there, the writes are named as before)
  const before = lintFiles([{ file: 'm.sql', text: text.replace(/DROP TABLE[^\n]*\n/, '') }], ID).mine;
  assert.match(before[0]!.message, /it writes public\.workspace_memberships, public\.pending_invites as its owner for whoever calls it/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(text);
    await q('SET ROLE anon');
    await expectPgError(q('SELECT public.accept_pending_invites()'), '42P01', 'relation "public.pending_invites" does not exist');
  });
});

// growbrohk/Coffeebro: get_today_run_percentage() reads public.daily_runs; 20260222010100 drops it in a
// DO block guarded by `IF to_regclass('public.daily_runs') IS NOT NULL`, and 20260222020000 repeats that
// block, which then finds it gone. The message named the second as the one that drops it.
test('err (wording): the place said to drop a table a no-argument definer reads is the first DROP after its last creation — a later guarded DO block or DROP … IF EXISTS finds it gone; PGlite: the second block drops nothing, and a table made again is dropped by the DROP after that', async () => {
  const guard = `DO $$ BEGIN
  IF to_regclass('public.daily_runs') IS NOT NULL THEN
    DROP TABLE public.daily_runs CASCADE;
  END IF;
END $$;
`;
  const files = [
    { file: 'supabase/migrations/20260119083050_runs.sql', text: `CREATE TABLE public.daily_runs (id int, user_id uuid);
ALTER TABLE public.daily_runs ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.get_today_run_percentage() RETURNS numeric LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$ SELECT count(*)::numeric FROM public.daily_runs $$;
` },
    { file: 'supabase/migrations/20260222010100_create_daily_coffees.sql', text: guard },
    { file: 'supabase/migrations/20260222020000_coffeebro_multi_entry.sql', text: `${guard}DROP TABLE IF EXISTS public.daily_runs;
` },
  ];
  const { mine } = lintFiles(files, ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /its body names public\.daily_runs, which 20260222010100_create_daily_coffees\.sql:3 drops: a call that reaches it fails with 42P01/);
  // (made again between the two: the second drops it)
  const again = [...files.slice(0, 2), { file: 'supabase/migrations/20260222015000_again.sql', text: 'CREATE TABLE public.daily_runs (id int);\n' }, files[2]!];
  assert.match(lintFiles(again, ID).mine[0]!.message, /public\.daily_runs, which 20260222020000_coffeebro_multi_entry\.sql:3 drops/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(files[0]!.text);
    await q(files[1]!.text);
    assert.equal((await q("SELECT to_regclass('public.daily_runs') AS r"))[0]!.r, null, 'the first block drops it');
    // (the second block's IF is false, its DROP … IF EXISTS only notices: nothing left to drop)
    await q(files[2]!.text);
    await q(again[2]!.text);
    await q(files[2]!.text);
    assert.equal((await q("SELECT to_regclass('public.daily_runs') AS r"))[0]!.r, null, 'made again, the next block drops it');
  });
});

// Calibration cal97 (supabase-community/database-build's supabase_functions_certificate_secret()):
// a definer function of no argument that reads a secret as its owner and never looks at the caller
// was said to give a caller "only what its body chooses (e.g. about the caller themselves)".
test('err (message): a no-argument definer function reading a table as its owner, never looking at the caller, is said to answer every caller alike; PGlite: anon gets 42501 on the table and the secret through the function', async () => {
  const sql = `-- « naïve » 日本語 😀
CREATE SCHEMA private;
CREATE TABLE private.secrets (name text PRIMARY KEY, value text NOT NULL);
CREATE FUNCTION public.certificate_secret() RETURNS text LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$ SELECT value FROM private.secrets WHERE name = 'cert' $$;
`;
  const { mine } = lintFiles([{ file: 'db/1.sql', text: sql }], 'definer-execute-granted-to-public');
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /it takes no argument, but it reads private\.secrets as its owner and never looks at who is calling, so every caller gets what its body returns of it, the same for all/);
  assert.doesNotMatch(mine[0]!.message, /about the caller themselves/);
  // (the system catalogs are no secret: an unqualified pg_class is pg_catalog's, readable by all)
  const catalog = lintFiles([{ file: 'db/1.sql', text: `CREATE FUNCTION public.rls_tables() RETURNS SETOF text LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$ SELECT relname::text FROM pg_class WHERE relrowsecurity $$;\n` }], 'definer-execute-granted-to-public').mine;
  assert.equal(catalog.length, 1);
  assert.doesNotMatch(catalog[0]!.message, /pg_class/);
  await inRollback(await getDb(), async (q) => {
    await q(sql);
    await q(`INSERT INTO private.secrets VALUES ('cert', 'CERT-SECRET'); DO $$ BEGIN CREATE ROLE anon NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$`);
    await q('SET ROLE anon');
    const direct = await tryQuery(q, 'SELECT value FROM private.secrets');
    assert.equal(direct.ok ? 'read' : direct.error.code, '42501', 'anon may not read the table');
    assert.deepEqual(await q('SELECT public.certificate_secret() AS s'), [{ s: 'CERT-SECRET' }], 'the function hands it over');
  });
});

// Calibration cal112 (a goose project, dropway): the app's and the billing migrations are two
// numbered folders of one database (the billing tables reference the app's), and sqlc's copy of
// the schema, `db/sqlc/schema.sql`, sits beside them, as near to both folders. It was split off
// into a database of its own and replayed there, without the migrations' REVOKE (the copy omits
// grants): its definer function was said to be executable by PUBLIC, which the migrations revoke.
test('ok: a schema copy as near to two folders that are one database is that database\'s snapshot, not a database of its own (no finding on a REVOKE it omits); PGlite: the migrations leave PUBLIC without EXECUTE, and the copy fails after them', async () => {
  const app = `-- +goose Up
CREATE ROLE cal112_app NOLOGIN;
CREATE SCHEMA app;
CREATE TABLE app.orgs (id uuid PRIMARY KEY, name text NOT NULL);
CREATE FUNCTION app.all_org_ids() RETURNS SETOF uuid LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$ SELECT id FROM app.orgs $$;
REVOKE ALL ON FUNCTION app.all_org_ids() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.all_org_ids() TO cal112_app;

-- +goose Down
DROP SCHEMA app CASCADE;
`;
  const billing = `-- +goose Up
CREATE SCHEMA billing;
CREATE TABLE billing.subscriptions (org_id uuid PRIMARY KEY REFERENCES app.orgs (id), status text NOT NULL);
GRANT USAGE ON SCHEMA billing TO cal112_app;
GRANT SELECT, INSERT, UPDATE ON billing.subscriptions TO cal112_app;

-- +goose Down
DROP SCHEMA billing CASCADE;
`;
  const copy = `-- sqlc's schema: the Up-only DDL of db/migrations/app, grants omitted
CREATE SCHEMA app;
CREATE TABLE app.orgs (id uuid PRIMARY KEY, name text NOT NULL);
CREATE FUNCTION app.all_org_ids() RETURNS SETOF uuid LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$ SELECT id FROM app.orgs $$;
`;
  const files = [
    { file: 'db/migrations/app/0001_baseline.sql', text: app },
    { file: 'db/migrations/billing/0001_billing.sql', text: billing },
    { file: 'db/sqlc/schema.sql', text: copy },
  ];
  const { ws, findings, mine } = lintFiles(files, ID);
  assert.deepEqual(mine.map((f) => f.file), []);
  assert.deepEqual(findings.filter((f) => f.file === 'db/sqlc/schema.sql').map((f) => f.rule), ['file-not-replayed']);
  assert.deepEqual(ws.databases().map((d) => d.files.length), [3]);
  // (a file as near to two folders that stay two databases stays apart)
  const apart = lintFiles([files[0]!, { ...files[1]!, text: billing.replace(' REFERENCES app.orgs (id)', '').replace(/^GRANT .*\n/gm, '') }, files[2]!], ID);
  assert.deepEqual(apart.mine.map((f) => f.file), ['db/sqlc/schema.sql']);
  await inRollback(await getDb(), async (q) => {
    for (const f of files.slice(0, 2)) await q(f.text.split('-- +goose Down')[0]!);
    assert.deepEqual(await q(`SELECT has_function_privilege('public', 'app.all_org_ids()', 'EXECUTE') AS x`), [{ x: false }]);
    const rerun = await tryQuery(q, copy);
    assert.equal(rerun.ok ? 'ran' : rerun.error.code, '42P06', 'the copy is no migration: schema "app" already exists');
  });
});

// fix108: TRUNCATE is kept apart from the rows a body writes (Func.truncates), and the system
// catalogs are keyed in pg_catalog by the model, not filtered by name here.
test('err (message): a no-argument definer function that only empties a table with TRUNCATE is said to empty it for whoever calls; PGlite: anon may not TRUNCATE the RLS table itself, its call empties it, after REVOKE … FROM PUBLIC the call fails with 42501', async () => {
  const sql = `CREATE TABLE public.logs (id int, owner text);
ALTER TABLE public.logs ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_logs ON public.logs FOR ALL USING (owner = current_user);
GRANT SELECT, DELETE ON public.logs TO anon;
CREATE FUNCTION public.clear_logs() RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$ BEGIN TRUNCATE public.logs; END $$;
`;
  const { mine } = lintFiles([{ file: 'db/1.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /it takes no argument, but it empties public\.logs with TRUNCATE as its owner for whoever calls it \(every row, whatever the policies let the caller see or delete: row-level security does not apply to TRUNCATE, and the caller needs no TRUNCATE privilege of its own\), and revoking keeps that to the roles that need it \(their call then fails with 42501 permission denied for function; T22\)/);
  assert.doesNotMatch(mine[0]!.message, /it writes public\.logs/);
  await inRollback(await getDb(), async (q) => {
    await q(sql);
    await q(`INSERT INTO public.logs VALUES (1, 'anon'), (2, 'someone_else')`);
    await q('SET ROLE anon');
    assert.equal((await q('SELECT count(*)::int AS n FROM public.logs'))[0]!.n, 1, 'the policy lets anon see its own row only');
    const own = await tryQuery(q, 'TRUNCATE public.logs');
    assert.ok(!own.ok && own.error.code === '42501', 'anon holds no TRUNCATE');
    await q('SELECT public.clear_logs()');
    await q('RESET ROLE');
    assert.equal((await q('SELECT count(*)::int AS n FROM public.logs'))[0]!.n, 0, "every row went, the other role's too");
    await q('REVOKE EXECUTE ON FUNCTION public.clear_logs() FROM PUBLIC');
    await q('SET ROLE anon');
    await expectPgError(q('SELECT public.clear_logs()'), '42501', 'permission denied for function clear_logs');
  });
});

test("ok (message): a no-argument definer whose TRUNCATE PostgreSQL refuses is not said to empty the table: one another table's foreign key references, without CASCADE (was: said to empty it); PGlite: anon's call fails with 0A000 and every row stays; with CASCADE it is said to, and both tables are emptied", async () => {
  const sql = `CREATE TABLE public.logs (id int PRIMARY KEY, owner text);
CREATE TABLE public.log_notes (id int PRIMARY KEY, log_id int REFERENCES public.logs (id));
ALTER TABLE public.logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.log_notes ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.clear_logs() RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$ BEGIN TRUNCATE public.logs; END $$;
`;
  const { mine } = lintFiles([{ file: 'db/1.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.doesNotMatch(mine[0]!.message, /empties/);
  const cascade = sql.replace('TRUNCATE public.logs;', 'TRUNCATE public.logs CASCADE;');
  assert.match(lintFiles([{ file: 'db/1.sql', text: cascade }], ID).mine[0]!.message, /it takes no argument, but it empties public\.logs, public\.log_notes with TRUNCATE as its owner for whoever calls it/);
  for (const [text, result, rows] of [[sql, '0A000', 1], [cascade, 'ok', 0]] as const) {
    await inRollback(await getDb(), async (q) => {
      await q(text);
      await q(`INSERT INTO public.logs VALUES (1, 'a'); INSERT INTO public.log_notes VALUES (1, 1)`);
      await q('SET ROLE anon');
      const r = await tryQuery(q, 'SELECT public.clear_logs()');
      assert.equal(r.ok ? 'ok' : r.error.code, result);
      await q('RESET ROLE');
      assert.deepEqual((await q('SELECT (SELECT count(*) FROM public.logs)::int AS l, (SELECT count(*) FROM public.log_notes)::int AS n'))[0], { l: rows, n: rows });
    });
  }
});

test('ok/err (message): an unqualified pg_class is pg_catalog\'s even where the migrations make a public.pg_class (not named as what the owner reads); pg_authid, which no ordinary role reads, is named; PGlite: the function counts the catalog, and anon gets 42501 on pg_authid but its rows through the function', async () => {
  const catalog = `CREATE TABLE public.pg_class (secret text);
CREATE FUNCTION public.rls_tables() RETURNS bigint LANGUAGE sql SECURITY DEFINER AS $$ SELECT count(*) FROM pg_class WHERE relrowsecurity $$;
`;
  const a = lintFiles([{ file: 'db/1.sql', text: catalog }], ID).mine;
  assert.equal(a.length, 1);
  assert.doesNotMatch(a[0]!.message, /pg_class/);
  const authid = `CREATE FUNCTION public.role_hashes() RETURNS SETOF text LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$ SELECT rolname::text FROM pg_authid $$;\n`;
  const b = lintFiles([{ file: 'db/1.sql', text: authid }], ID).mine;
  assert.equal(b.length, 1);
  assert.match(b[0]!.message, /it takes no argument, but it reads pg_catalog\.pg_authid as its owner and never looks at who is calling/);
  await inRollback(await getDb(), async (q) => {
    await q(catalog);
    await q(`INSERT INTO public.pg_class VALUES ('mine')`);
    await q('ALTER TABLE public.pg_class ENABLE ROW LEVEL SECURITY');
    // (public.pg_class has no relrowsecurity column: the function reads pg_catalog's, which lists the table just enabled)
    assert.ok((await q('SELECT public.rls_tables() AS n'))[0]!.n >= 1);
    await q(authid);
    await q('SET ROLE anon');
    const direct = await tryQuery(q, 'SELECT rolname FROM pg_catalog.pg_authid');
    assert.ok(!direct.ok && direct.error.code === '42501', 'anon may not read pg_authid');
    assert.ok((await q('SELECT public.role_hashes() AS r')).length > 0, 'the function hands its rows over');
  });
});

test("err (message): a no-argument definer function that only refreshes a materialized view (REFRESH MATERIALIZED VIEW [CONCURRENTLY]) returns nothing: the message says any caller makes its owner refresh it, and that without CONCURRENTLY the refresh holds an ACCESS EXCLUSIVE lock, not that it reads the view and every caller gets what it returns; PGlite: anon may not refresh it itself (42501; granted MAINTAIN it may), its call does (the view's rows change after the table's), and the lock is ACCESS EXCLUSIVE without CONCURRENTLY, EXCLUSIVE with it", async () => {
  const sql = (concurrently: boolean) => `CREATE TABLE public.orders (id int PRIMARY KEY, amount int NOT NULL);
ALTER TABLE public.orders ENABLE ROW LEVEL SECURITY;
CREATE MATERIALIZED VIEW public.mv_order_totals AS SELECT 1 AS id, count(*)::int AS n, coalesce(sum(amount), 0)::int AS total FROM public.orders;
CREATE UNIQUE INDEX ON public.mv_order_totals (id);
GRANT SELECT ON public.mv_order_totals TO anon;
CREATE FUNCTION public.refresh_order_totals() RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  REFRESH MATERIALIZED VIEW ${concurrently ? 'CONCURRENTLY ' : ''}public.mv_order_totals;
END $$;
`;
  const common = String.raw`it takes no argument and returns nothing, but it refreshes public\.mv_order_totals as its owner for whoever calls it: REFRESH MATERIALIZED VIEW runs the view's query again over the tables it reads, as often as any caller likes \(a caller refreshing it itself fails with 42501 unless it owns the view or, from PostgreSQL 17, holds MAINTAIN on it\)`;
  const plain = lintFiles([{ file: 'db/1.sql', text: sql(false) }], ID).mine;
  assert.equal(plain.length, 1);
  assert.match(plain[0]!.message, new RegExp(`${common}, and without CONCURRENTLY it holds an ACCESS EXCLUSIVE lock on public\\.mv_order_totals until the caller's transaction ends, so every read of it waits meanwhile, and revoking keeps that to the roles that need it \\(T22\\)\\.`));
  const concurrent = lintFiles([{ file: 'db/1.sql', text: sql(true) }], ID).mine;
  assert.equal(concurrent.length, 1);
  assert.match(concurrent[0]!.message, new RegExp(`${common}, and revoking keeps that to the roles that need it \\(T22\\)\\.`));
  for (const m of [plain[0]!.message, concurrent[0]!.message]) assert.doesNotMatch(m, /reads public\.mv_order_totals|every caller gets what its body returns/);
  /** After the migrations (committed, on an instance of its own): anon's call, in a transaction of its own; what anon gets refreshing the view itself, the view's rows before and after, and the locks anon's transaction then holds on it. */
  const anonRefreshes = (concurrently: boolean) =>
    withFreshDb(async (db) => {
      const q = queryFn(db);
      await q(sql(concurrently));
      await q('INSERT INTO public.orders VALUES (1, 10), (2, 32)');
      await q('SET ROLE anon');
      await q('BEGIN');
      const own = await tryQuery(q, 'REFRESH MATERIALIZED VIEW public.mv_order_totals');
      await q('ROLLBACK');
      // (PostgreSQL 17's MAINTAIN privilege lets a role refresh it)
      await q('BEGIN');
      await q('RESET ROLE');
      await q('GRANT MAINTAIN ON public.mv_order_totals TO anon');
      await q('SET ROLE anon');
      const maintain = await tryQuery(q, 'REFRESH MATERIALIZED VIEW public.mv_order_totals');
      await q('ROLLBACK');
      await q('SET ROLE anon');
      const before = (await q('SELECT n, total FROM public.mv_order_totals'))[0];
      await q('BEGIN');
      await q('SELECT public.refresh_order_totals()');
      const locks = (await q(`SELECT mode FROM pg_locks WHERE relation = 'public.mv_order_totals'::regclass AND pid = pg_backend_pid() ORDER BY mode`)).map((r) => r.mode as string);
      await q('COMMIT');
      const after = (await q('SELECT n, total FROM public.mv_order_totals'))[0];
      await q('RESET ROLE');
      return { own: own.ok ? 'ok' : `${own.error.code} ${own.error.message}`, maintain: maintain.ok, before, after, locks };
    });
  const p = await anonRefreshes(false);
  assert.equal(p.own, '42501 permission denied for materialized view mv_order_totals', 'anon may not refresh it itself');
  assert.equal(p.maintain, true, 'granted MAINTAIN, it may');
  assert.deepEqual([p.before, p.after], [{ n: 0, total: 0 }, { n: 2, total: 42 }], "anon's call refreshed it: the rows the owner added are counted");
  assert.ok(p.locks.includes('AccessExclusiveLock'), `ACCESS EXCLUSIVE without CONCURRENTLY: ${p.locks}`);
  const c = await anonRefreshes(true);
  assert.equal(c.own, '42501 permission denied for materialized view mv_order_totals');
  assert.deepEqual([c.before, c.after], [{ n: 0, total: 0 }, { n: 2, total: 42 }]);
  assert.ok(c.locks.includes('ExclusiveLock') && !c.locks.includes('AccessExclusiveLock'), `EXCLUSIVE with CONCURRENTLY, reads go on: ${c.locks}`);
});

test("err (message): REVOKE ALL … FROM PUBLIC then GRANT EXECUTE … TO PUBLIC (aelmamclinic's nhost migrations) is not 'never revoked': the message names the GRANT that gives EXECUTE back and the REVOKE it undoes (with their Hasura version folders); PGlite: anon calls it after both, 42501 after the fix", async () => {
  const dir = 'nhost/migrations/default/20260105025000_current_account_support';
  const sql = `CREATE TABLE public.tenant_users (tenant_id uuid, user_id uuid);
ALTER TABLE public.tenant_users ENABLE ROW LEVEL SECURITY;
CREATE OR REPLACE FUNCTION public.is_member(t uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT EXISTS (SELECT 1 FROM public.tenant_users WHERE tenant_id = t) $$;
REVOKE ALL ON FUNCTION public.is_member(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.is_member(uuid) TO PUBLIC;
`;
  const { ws, mine } = lintFiles([{ file: `${dir}/up.sql`, text: `-- « naïve » 日本語 😀\n${sql}` }, { file: `${dir}/down.sql`, text: 'DROP FUNCTION public.is_member(uuid);\n' }], ID);
  assert.equal(mine.length, 1);
  const m = mine[0]!.message;
  assert.match(m, /is executable by PUBLIC: the GRANT … TO PUBLIC at 20260105025000_current_account_support\/up\.sql:8 gives back the EXECUTE that the REVOKE … FROM PUBLIC at 20260105025000_current_account_support\/up\.sql:7 took, so every role can call it directly/);
  assert.doesNotMatch(m, /unless that is revoked/);
  assert.match(m, /Grant EXECUTE at 20260105025000_current_account_support\/up\.sql:8 to the roles that must call it instead of PUBLIC, or add REVOKE EXECUTE ON FUNCTION public\.is_member\(uuid\) FROM PUBLIC; after it/);
  // (a GRANT … TO PUBLIC with no REVOKE before it, or a REVOKE after the GRANT: the message as before, or no finding)
  assert.match(lintFiles([{ file: 'm.sql', text: sql.replace(/REVOKE ALL[^\n]*\n/, '') }], ID).mine[0]!.message, /functions are executable by PUBLIC unless that is revoked/);
  assert.deepEqual(lintFiles([{ file: 'm.sql', text: `${sql}REVOKE EXECUTE ON FUNCTION public.is_member(uuid) FROM PUBLIC;\n` }], ID).mine, []);
  const fixed = applyFix(ws, mine[0]!);
  assert.deepEqual(findingsOf(fixed, ID), []);
  const calls = async (text: string) =>
    inRollback(await getDb(), async (q) => {
      await q(text);
      await q('SET ROLE anon');
      const r = await tryQuery(q, `SELECT public.is_member('${TENANT_A}') AS m`);
      return r.ok ? 'called' : r.error.code;
    });
  assert.equal(await calls(sql), 'called', 'the GRANT gives PUBLIC, and so anon, EXECUTE again');
  assert.equal(await calls(fixed.text(`${dir}/up.sql`)!), '42501');
});

test("err (message): a CREATE OR REPLACE after REVOKE … FROM PUBLIC and GRANT … TO PUBLIC keeps both (aelmamclinic's my_feature_permissions): the message still names them; PGlite: anon calls the replaced function", async () => {
  const fn = (n: number) => `CREATE OR REPLACE FUNCTION public.is_member(t uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT EXISTS (SELECT 1 FROM public.tenant_users WHERE tenant_id = t) AND ${n} > 0 $$;
`;
  const first = `CREATE TABLE public.tenant_users (tenant_id uuid, user_id uuid);\nALTER TABLE public.tenant_users ENABLE ROW LEVEL SECURITY;\n${fn(1)}REVOKE ALL ON FUNCTION public.is_member(uuid) FROM PUBLIC;\nGRANT EXECUTE ON FUNCTION public.is_member(uuid) TO PUBLIC;\n`;
  const files = [
    { file: 'nhost/migrations/default/20251228095500_permissions/up.sql', text: first },
    { file: 'nhost/migrations/default/20260110094000_default_allow/up.sql', text: fn(2) },
  ];
  const { mine } = lintFiles(files, ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /the GRANT … TO PUBLIC at 20251228095500_permissions\/up\.sql:7 gives back the EXECUTE that the REVOKE … FROM PUBLIC at 20251228095500_permissions\/up\.sql:6 took/);
  const called = await inRollback(await getDb(), async (q) => {
    await q(first);
    await q(fn(2));
    await q('SET ROLE anon');
    const r = await tryQuery(q, `SELECT public.is_member('${TENANT_A}') AS m`);
    return r.ok ? 'called' : r.error.code;
  });
  assert.equal(called, 'called', 'CREATE OR REPLACE keeps the privileges: PUBLIC, and so anon, still holds EXECUTE');
});

// Calibration cal158 (rifkiri/betterme's last migration): a DO block's loop over pg_proc keeping the
// SECURITY DEFINER functions of public, with two EXECUTEs per function — REVOKE EXECUTE ON FUNCTION
// public.%I(%s) FROM anon, public, then GRANT … TO authenticated. The replay followed a loop of one
// `%s` EXECUTE only, with no condition on prosecdef: its four definers were still said to be
// executable by PUBLIC.
test("ok: a loop over pg_proc's SECURITY DEFINER functions of public revoking EXECUTE from anon and PUBLIC, then granting it to authenticated (format('… public.%I(%s) …')), is replayed: not reported; an invoker function keeps PUBLIC's EXECUTE (PGlite)", async () => {
  const sql = `CREATE TABLE public.goals (id uuid PRIMARY KEY, user_id uuid);
ALTER TABLE public.goals ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.is_goal_owner(_goal uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$ SELECT EXISTS (SELECT 1 FROM public.goals g WHERE g.id = _goal AND g.user_id = auth.uid()) $$;
CREATE FUNCTION public.plain_helper() RETURNS int LANGUAGE sql STABLE AS $$ SELECT 1 $$;
DO $$
DECLARE func RECORD;
BEGIN
    FOR func IN
        SELECT p.proname, pg_get_function_identity_arguments(p.oid) as args
        FROM pg_proc p JOIN pg_namespace n ON p.pronamespace = n.oid
        WHERE n.nspname = 'public' AND p.prosecdef = true
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION public.%I(%s) FROM anon, public;', func.proname, func.args);
        EXECUTE format('GRANT EXECUTE ON FUNCTION public.%I(%s) TO authenticated;', func.proname, func.args);
    END LOOP;
END $$;
`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/20260730083752_lockdown.sql', text: sql }], ID);
  assert.deepEqual(mine.map((f) => f.message.slice(0, 60)), []);
  // (without the loop: reported, as before)
  assert.equal(lintFiles([{ file: 'supabase/migrations/20260730083752_lockdown.sql', text: sql.slice(0, sql.indexOf('DO $$')) }], ID).mine.length, 1);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql);
    const rows = await q(`SELECT has_function_privilege('anon', 'public.is_goal_owner(uuid)', 'EXECUTE') AS anon_definer,
      has_function_privilege('authenticated', 'public.is_goal_owner(uuid)', 'EXECUTE') AS auth_definer,
      (SELECT proacl::text FROM pg_proc WHERE proname = 'is_goal_owner') LIKE '%=X/%' AND (SELECT proacl::text FROM pg_proc WHERE proname = 'is_goal_owner') NOT LIKE '%{=X/%' AND (SELECT proacl::text FROM pg_proc WHERE proname = 'is_goal_owner') NOT LIKE '%,=X/%' AS public_revoked,
      has_function_privilege('anon', 'public.plain_helper()', 'EXECUTE') AS anon_invoker`);
    assert.deepEqual(rows, [{ anon_definer: false, auth_definer: true, public_revoked: true, anon_invoker: true }]);
  });
});

// Calibration cal170 (flaviokosta79/crimedash): initialize_targets_schema() takes no argument and
// only runs DDL on targets (ALTER TABLE … ADD COLUMN / ADD CONSTRAINT, CREATE INDEX), besides
// catalog lookups: it was said to read public.targets and hand every caller "what its body returns
// of it", which it never reads nor returns. It changes the table's definition as its owner.
test("err (message): a no-argument definer that only alters a table (ALTER TABLE, CREATE INDEX; crimedash's initialize_targets_schema()) is said to alter it for whoever calls, not to read it; PGlite: anon may not alter the table itself (42501 must be owner), its call does, after REVOKE … FROM PUBLIC the call fails with 42501", async () => {
  const sql = `CREATE TABLE public.targets (id int PRIMARY KEY, unit text);
ALTER TABLE public.targets ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.initialize_targets_schema() RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'targets' AND column_name = 'semester') THEN
    ALTER TABLE public.targets ADD COLUMN semester integer NOT NULL DEFAULT 1;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_indexes WHERE tablename = 'targets' AND indexname = 'idx_targets_semester') THEN
    CREATE INDEX idx_targets_semester ON public.targets (semester);
  END IF;
  ALTER TABLE public.targets DROP CONSTRAINT IF EXISTS targets_unit_key;
  ALTER TABLE public.targets ADD CONSTRAINT targets_unit_key UNIQUE (unit, semester);
END $$;
`;
  const { mine } = lintFiles([{ file: 'db/1.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /it takes no argument, but it alters public\.targets \(ALTER TABLE, CREATE INDEX\) as its owner for whoever calls it: a role that does not own it may not do that itself \(42501 must be owner of table\), yet through the function it may, as often as it likes, and revoking keeps that to the roles that need it \(T22\)/);
  assert.doesNotMatch(mine[0]!.message, /reads public\.targets|what its body returns/);
  // (a body that also reads the table's rows still says it reads it)
  const reading = sql.replace('END $$;', () => '  PERFORM count(*) FROM public.targets;\nEND $$;');
  assert.match(lintFiles([{ file: 'db/1.sql', text: reading }], ID).mine[0]!.message, /it reads public\.targets as its owner and never looks at who is calling/);
  await inRollback(await getDb(), async (q) => {
    await q(sql);
    await q('SET ROLE anon');
    const own = await tryQuery(q, 'ALTER TABLE public.targets ADD COLUMN x int');
    assert.ok(!own.ok && own.error.code === '42501' && /must be owner of table targets/.test(own.error.message), 'anon may not alter the table');
    const index = await tryQuery(q, 'CREATE INDEX anon_idx ON public.targets (unit)');
    assert.ok(!index.ok && index.error.code === '42501' && /must be owner of table targets/.test(index.error.message), 'nor index it');
    await q('SELECT public.initialize_targets_schema()');
    await q('SELECT public.initialize_targets_schema()');
    await q('RESET ROLE');
    assert.deepEqual(await q(`SELECT (SELECT count(*) FROM information_schema.columns WHERE table_name = 'targets' AND column_name = 'semester')::int AS c, (SELECT count(*) FROM pg_indexes WHERE indexname IN ('idx_targets_semester', 'targets_unit_key'))::int AS i`), [{ c: 1, i: 2 }], "anon's calls added the column, the index and the constraint");
    await q('REVOKE EXECUTE ON FUNCTION public.initialize_targets_schema() FROM PUBLIC');
    await q('SET ROLE anon');
    await expectPgError(q('SELECT public.initialize_targets_schema()'), '42501', 'permission denied for function initialize_targets_schema');
  });
});

// Calibration cal170 (sortavo/raffle-builder): refresh_raffle_stats() refreshes raffle_stats_mv and
// returns when and how long (`RETURNS TABLE (refreshed_at timestamptz, duration_ms integer)`, from
// clock_timestamp()): it was said to read the view as its owner and hand every caller "what its body
// returns of it", which is no row of the view.
test("err (message): a no-argument definer that refreshes a materialized view and returns only its own timing (raffle-builder's refresh_raffle_stats()) is said to refresh it for whoever calls, not to read it; PGlite: anon may not refresh it itself (42501), its call does and returns a duration, no row of the view", async () => {
  const sql = `CREATE TABLE public.orders (id int PRIMARY KEY, amount int NOT NULL);
ALTER TABLE public.orders ENABLE ROW LEVEL SECURITY;
CREATE MATERIALIZED VIEW public.mv_order_totals AS SELECT 1 AS id, count(*)::int AS n FROM public.orders;
GRANT SELECT ON public.mv_order_totals TO anon;
CREATE FUNCTION public.refresh_order_totals() RETURNS TABLE (refreshed_at timestamptz, duration_ms integer) LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
  v_start timestamptz;
  v_end timestamptz;
BEGIN
  v_start := clock_timestamp();
  REFRESH MATERIALIZED VIEW public.mv_order_totals;
  v_end := clock_timestamp();
  RETURN QUERY SELECT v_end, (EXTRACT(EPOCH FROM (v_end - v_start)) * 1000)::integer;
END $$;
`;
  const { mine } = lintFiles([{ file: 'db/1.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /it takes no argument, returns nothing it reads from a table, but it refreshes public\.mv_order_totals as its owner for whoever calls it: REFRESH MATERIALIZED VIEW runs the view's query again over the tables it reads, as often as any caller likes/);
  assert.doesNotMatch(mine[0]!.message, /reads public\.mv_order_totals|what its body returns|returns nothing,/);
  // (a body that also returns the view's rows still reads it)
  const returning = sql.replace('RETURN QUERY SELECT v_end, (EXTRACT(EPOCH FROM (v_end - v_start)) * 1000)::integer;', 'RETURN QUERY SELECT v_end, n FROM public.mv_order_totals;');
  assert.match(lintFiles([{ file: 'db/1.sql', text: returning }], ID).mine[0]!.message, /it reads public\.mv_order_totals as its owner and never looks at who is calling/);
  await inRollback(await getDb(), async (q) => {
    await q(sql);
    await q('INSERT INTO public.orders VALUES (1, 10), (2, 32)');
    await q('SET ROLE anon');
    assert.deepEqual(await q('SELECT n FROM public.mv_order_totals'), [{ n: 0 }]);
    const own = await tryQuery(q, 'REFRESH MATERIALIZED VIEW public.mv_order_totals');
    assert.ok(!own.ok && own.error.code === '42501', 'anon may not refresh it itself');
  });
  await inRollback(await getDb(), async (q) => {
    await q(sql);
    await q('INSERT INTO public.orders VALUES (1, 10), (2, 32)');
    await q('SET ROLE anon');
    const r = await q('SELECT * FROM public.refresh_order_totals()');
    assert.equal(r.length, 1);
    assert.deepEqual(Object.keys(r[0]!).sort(), ['duration_ms', 'refreshed_at'], 'it returns its timing, no column of the view');
    assert.deepEqual(await q('SELECT n FROM public.mv_order_totals'), [{ n: 2 }], "anon's call refreshed it");
  });
});

// Calibration (cal210): Kinetic639/coreframe-boilerplate's supabase-target auth hooks
// (20260320000012_target_p3_b3_auth_hooks.sql): custom_access_token_hook(jsonb), SECURITY DEFINER,
// granted to supabase_auth_admin and never revoked from PUBLIC. The advice was REVOKE … FROM
// PUBLIC, anon: authenticated keeps EXECUTE by Supabase's default privileges and still reads any
// user's roles through the hook. PGlite: after that REVOKE authenticated still calls it; after
// the fix's (… FROM PUBLIC, anon, authenticated) 42501, and supabase_auth_admin still calls it.
test("err: Supabase: a definer granted by name to supabase_auth_admin (an Auth hook) and never revoked from PUBLIC: the fix revokes from authenticated too (its default-privilege EXECUTE survives REVOKE … FROM PUBLIC, anon); PGlite: authenticated reads another user's role until then", async () => {
  const sql = `CREATE TABLE public.user_roles (user_id uuid PRIMARY KEY, role text NOT NULL);
ALTER TABLE public.user_roles ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.custom_access_token_hook(event jsonb) RETURNS jsonb LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = '' AS $$
DECLARE r text;
BEGIN
  SELECT role INTO r FROM public.user_roles WHERE user_id = (event->>'user_id')::uuid;
  RETURN jsonb_set(event, '{claims,user_role}', to_jsonb(coalesce(r, 'none')));
END $$;
GRANT EXECUTE ON FUNCTION public.custom_access_token_hook(jsonb) TO supabase_auth_admin;
`;
  const file = 'supabase/migrations/20260320000012_auth_hooks.sql';
  const { ws, mine } = lintFiles([{ file, text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /It is granted to supabase_auth_admin by name, the role meant to call it, while on Supabase default privileges grant EXECUTE on new functions in public to anon and authenticated directly/);
  assert.match(mine[0]!.message, /Add REVOKE EXECUTE ON FUNCTION public\.custom_access_token_hook\(jsonb\) FROM PUBLIC, anon, authenticated; /);
  assert.doesNotMatch(mine[0]!.message, /default privileges usually grant/);
  const fixed = applyFix(ws, mine[0]!);
  assert.equal(findingsOf(fixed, ID).length, 0);
  const db = await getDb();
  await ensureRoles(db, ['supabase_auth_admin']);
  const call = `SELECT public.custom_access_token_hook('{"user_id": "${TENANT_B}", "claims": {}}') #>> '{claims,user_role}' AS role`;
  const as = async (text: string, role: string) =>
    inRollback(db, async (q) => {
      await q(AUTH_STUB_SQL);
      await q('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO anon, authenticated, service_role;');
      await q(text);
      await q(`INSERT INTO public.user_roles VALUES ('${TENANT_B}', 'owner')`);
      await q(`SET ROLE ${role}`);
      const r = await tryQuery(q, call);
      await q('RESET ROLE');
      return r.ok ? (r.rows[0] as { role: string }).role : r.error.code;
    });
  assert.equal(await as(sql, 'authenticated'), 'owner', "any signed-in user reads B's role");
  assert.equal(await as(`${sql}REVOKE EXECUTE ON FUNCTION public.custom_access_token_hook(jsonb) FROM PUBLIC, anon;\n`, 'authenticated'), 'owner', 'the old advice leaves authenticated its EXECUTE');
  assert.equal(await as(sqlOf(fixed), 'authenticated'), '42501');
  assert.equal(await as(sqlOf(fixed), 'anon'), '42501');
  assert.equal(await as(sqlOf(fixed), 'supabase_auth_admin'), 'owner', 'the Auth server still calls its hook');
});
