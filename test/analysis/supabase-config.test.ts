// A Supabase project's config.toml: the schemas its Data API serves count as exposed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apiSchemasOf, configWithApi } from '../../server/src/analysis/supabase-config.js';
import { DEFAULT_CONFIG, mergeConfig, parseConfigText } from '../../server/src/analysis/config.js';
import { initParser, Workspace } from '../../server/src/engine/workspace.js';

test('ok: [api] schemas is read; enabled = false serves none; no [api] or no schemas is Supabase\'s default', () => {
  assert.deepEqual(apiSchemasOf('project_id = "x"\n\n[api]\nenabled = true\nport = 54321\nschemas = ["public", "graphql_public", "Billing"]\n'), { schemas: ['public', 'graphql_public', 'billing'] });
  assert.deepEqual(apiSchemasOf('[api]\nenabled = false\nschemas = ["public", "billing"]\n'), { schemas: [] });
  assert.deepEqual(apiSchemasOf('[db]\nport = 54322\n'), { schemas: ['public', 'graphql_public'] });
  assert.deepEqual(apiSchemasOf('[api]\nport = 54321\n'), { schemas: ['public', 'graphql_public'] });
});

test('err: a file that is not TOML, or schemas that are not names, is one problem with its place', () => {
  const bad = apiSchemasOf('[api]\nschemas = ["public", \n');
  assert.ok('problem' in bad && /^not valid TOML at line \d+, column \d+/.test(bad.problem), JSON.stringify(bad));
  assert.deepEqual(apiSchemasOf('[api]\nschemas = "public"\n'), { problem: '[api] "schemas" must be a list of schema names' });
  assert.deepEqual(apiSchemasOf('api = 3\n'), { problem: '"api" must be a table ([api])' });
});

test('ok: configWithApi adds the schemas of the project most files are under, each with its file; the setting keeps its own', () => {
  const api = [
    { folder: 'apps/a/supabase/', source: 'apps/a/supabase/config.toml', schemas: ['public', 'billing'] },
    { folder: 'apps/b/supabase/', source: 'apps/b/supabase/config.toml', schemas: ['public', 'crm'] },
  ];
  const files = ['apps/b/supabase/migrations/1.sql', 'apps/b/supabase/migrations/2.sql', 'apps/a/supabase/migrations/1.sql'];
  const c = configWithApi(DEFAULT_CONFIG, files, api);
  assert.deepEqual(c.exposedSchemas, ['public', 'crm']);
  assert.deepEqual(c.exposedBy, { crm: 'apps/b/supabase/config.toml' });
  assert.equal(configWithApi(DEFAULT_CONFIG, ['db/1.sql'], api), DEFAULT_CONFIG);
  const set = mergeConfig({ exposedSchemas: ['public', 'crm'] });
  const kept = configWithApi(set, files, api);
  assert.deepEqual(kept.exposedSchemas, set.exposedSchemas, 'a schema the setting names is the setting\'s');
  assert.equal(kept.exposedBy, set.exposedBy);
  // (and the files are a Supabase project's, whatever their ids: the CLI run inside supabase/)
  assert.equal(kept.supabaseLayout, true);
});

test('ok: a table without RLS in a schema the Data API serves is reported, naming config.toml; the same table in a schema it does not serve is not', async () => {
  await initParser();
  const ws = new Workspace();
  const sql = 'CREATE SCHEMA billing;\nCREATE TABLE billing.invoices (id bigint PRIMARY KEY, org_id uuid NOT NULL);\nGRANT USAGE ON SCHEMA billing TO anon, authenticated;\nGRANT SELECT ON billing.invoices TO anon, authenticated;\n';
  ws.setFile('supabase/migrations/20240101000000_billing.sql', sql);
  assert.deepEqual(ws.lint().byFile.get('supabase/migrations/20240101000000_billing.sql')!.map((f) => f.rule), []);
  ws.setApiSchemas([{ folder: 'supabase/', source: 'supabase/config.toml', schemas: ['public', 'graphql_public', 'billing'] }]);
  const found = ws.lint().byFile.get('supabase/migrations/20240101000000_billing.sql')!;
  assert.deepEqual(found.map((f) => f.rule), ['rls-not-enabled']);
  assert.match(found[0]!.message, /^Table billing\.invoices is in the exposed schema "billing" \(its Data API serves it: supabase\/config\.toml \[api\] schemas\) but row-level security is never enabled/);
  assert.deepEqual(ws.configOf('supabase/migrations/20240101000000_billing.sql').exposedSchemas, ['public', 'graphql_public', 'billing']);
  ws.setApiSchemas([{ folder: 'supabase/', source: 'supabase/config.toml', schemas: [] }]);
  assert.deepEqual(ws.lint().byFile.get('supabase/migrations/20240101000000_billing.sql')!.map((f) => f.rule), []);
});

// ilhamsa1/deploy-vercel pins PostgreSQL 15 there (`[db] major_version = 15`): syntax-error then
// tells an error only later versions raise from one PostgreSQL raises (test/rules/syntax-error.test.ts).
test('ok: [db] major_version is the PostgreSQL the project runs, unless the setting postgresVersion says; one that is not a version is not used', () => {
  assert.deepEqual(apiSchemasOf('[db]\nport = 54322\nmajor_version = 15\n'), { schemas: ['public', 'graphql_public'], majorVersion: 15 });
  for (const bad of ['"15"', '15.5', '3']) assert.deepEqual(apiSchemasOf(`[db]\nmajor_version = ${bad}\n`), { schemas: ['public', 'graphql_public'] }, bad);
  const api = [{ folder: 'supabase/', source: 'supabase/config.toml', schemas: ['public'], majorVersion: 15 }];
  const c = configWithApi(DEFAULT_CONFIG, ['supabase/migrations/1.sql'], api);
  assert.equal(c.postgresVersion, 15);
  assert.equal(c.postgresVersionBy, 'supabase/config.toml');
  const set = configWithApi(mergeConfig({ postgresVersion: 17 }), ['supabase/migrations/1.sql'], api);
  assert.equal(set.postgresVersion, 17);
  assert.equal(set.postgresVersionBy, undefined);
  assert.deepEqual(parseConfigText('{ "postgresVersion": 15 }'), { config: { postgresVersion: 15 }, problems: [] });
  for (const bad of ['"15"', '15.2', '9']) {
    const r = parseConfigText(`{ "postgresVersion": ${bad} }`);
    assert.deepEqual(r.config, {}, bad);
    assert.deepEqual(r.problems.map((p) => p.message), ['"postgresVersion" must be a PostgreSQL major version (a whole number such as 15); not used'], bad);
  }
});

// Dev-5804/ITAM's config.toml names its custom access token hook; no migration grants it to
// supabase_auth_admin (the CLI does): the claims it copies are read from the function it names.
test("ok: [auth.hook.custom_access_token] enabled with a pg-functions:// uri names the hook (schema.name); disabled, an http uri, or none: no hook; the policy-membership-self-join finding names the file", async () => {
  const hook = '[auth.hook.custom_access_token]\nenabled = true\nuri = "pg-functions://postgres/public/Add_Custom_Claims"\n';
  assert.deepEqual(apiSchemasOf(hook), { schemas: ['public', 'graphql_public'], accessTokenHook: 'public.add_custom_claims' });
  for (const other of [hook.replace('true', 'false'), hook.replace(/uri = .*/, 'uri = "https://example.com/hook"'), '# [auth.hook.custom_access_token]\n']) {
    assert.deepEqual(apiSchemasOf(other), { schemas: ['public', 'graphql_public'] }, other);
  }
  await initParser();
  const ws = new Workspace();
  const file = 'supabase/migrations/20240101000000_users.sql';
  ws.setFile(
    file,
    `CREATE TABLE public.users (id uuid PRIMARY KEY, role text NOT NULL DEFAULT 'member');
CREATE TABLE public.tools (id bigint PRIMARY KEY);
ALTER TABLE public.users ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.tools ENABLE ROW LEVEL SECURITY;
CREATE POLICY users_self_update ON public.users FOR UPDATE USING (id = auth.uid());
CREATE POLICY users_select ON public.users FOR SELECT USING (id = auth.uid());
CREATE POLICY tools_insert ON public.tools FOR INSERT WITH CHECK ((auth.jwt() ->> 'user_role') IN ('admin', 'owner'));
CREATE OR REPLACE FUNCTION add_custom_claims(event JSONB) RETURNS JSONB AS $$
DECLARE
  claims JSONB;
  user_row RECORD;
BEGIN
  claims := event -> 'claims';
  SELECT tenant_id, role INTO user_row FROM public.users WHERE id = (event->>'user_id')::UUID;
  IF user_row IS NOT NULL THEN
    claims := jsonb_set(claims, '{user_role}', to_jsonb(user_row.role));
  END IF;
  RETURN jsonb_set(event, '{claims}', claims);
END;
$$ LANGUAGE plpgsql SECURITY DEFINER;
`,
  );
  const mine = () => ws.lint().byFile.get(file)!.filter((f) => f.rule === 'policy-membership-self-join');
  assert.deepEqual(mine(), [], 'no hook configured: the claim is not known to come from users.role');
  ws.setApiSchemas([{ folder: 'supabase/', source: 'supabase/config.toml', schemas: ['public'], accessTokenHook: 'public.add_custom_claims' }]);
  const found = mine();
  assert.equal(found.length, 1);
  assert.match(found[0]!.message, /^Policy "users_self_update" on public\.users lets PUBLIC write rows of it checking only their id against who the caller is: .*the custom access token hook public\.add_custom_claims\(jsonb\) \(supabase\/config\.toml \[auth\.hook\.custom_access_token\]\) copies from the role of their row of public\.users/);
});

test('ok: [db.seed] sql_paths and [db.migrations] schema_paths are lists of globs relative to supabase/ (`./` dropped, blank ones left out); an empty schema_paths, or one that is not a list, is none (every file of schemas/); seeding disabled lists no seed', () => {
  const base = { schemas: ['public', 'graphql_public'] };
  assert.deepEqual(apiSchemasOf('[db.migrations]\nschema_paths = ["./schemas/roles.sql", " ./schemas/*.sql ", ""]\n'), { ...base, schemaPaths: ['schemas/roles.sql', 'schemas/*.sql'] });
  for (const none of ['schema_paths = []', 'schema_paths = "./schemas/*.sql"', 'enabled = true']) assert.deepEqual(apiSchemasOf(`[db.migrations]\n${none}\n`), base, none);
  assert.deepEqual(apiSchemasOf('[db.seed]\nenabled = true\nsql_paths = ["./seed.sql", "./seeds/*.sql"]\n'), { ...base, seedPaths: ['seed.sql', 'seeds/*.sql'] });
  assert.deepEqual(apiSchemasOf('[db.seed]\nenabled = false\nsql_paths = ["./seed.sql"]\n'), { ...base, seedPaths: [] });
});
