// A plain PostgREST project's db-schemas (postgrest.conf, PGRST_DB_SCHEMAS): the schemas it serves are the exposed ones.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { dotenvVars, envSchemas, isPostgrestConf, postgrestConfSchemas } from '../../server/src/analysis/postgrest-config.js';
import { configWithApi } from '../../server/src/analysis/supabase-config.js';
import { DEFAULT_CONFIG, mergeConfig } from '../../server/src/analysis/config.js';
import { initParser, Workspace } from '../../server/src/engine/workspace.js';
import { readPostgrestSchemas } from '../../server/src/io/files.js';

// francois/elm-scoutges's postgrest.conf (its old singular key, a comment after the value)
const SCOUTGES = 'db-uri = "postgres://postgrest:secret@localhost:5432/scoutges_development"\ndb-schema = "api" # this schema gets added to the search_path of every request\ndb-anon-role = "anonymous"\ndb-pool = 10\n';

test('ok: db-schemas (else db-schema) is a comma-separated list, each name stripped and kept as written; empty or missing: nothing to use', () => {
  assert.deepEqual(postgrestConfSchemas(SCOUTGES), { schemas: ['api'], key: 'db-schema' });
  assert.deepEqual(postgrestConfSchemas('db-schemas = "tenant1, tenant2 ,Billing"\n'), { schemas: ['tenant1', 'tenant2', 'Billing'], key: 'db-schemas' });
  assert.deepEqual(postgrestConfSchemas('db-schema = "old"\ndb-schemas = "new"\n'), { schemas: ['new'], key: 'db-schemas' });
  assert.deepEqual(postgrestConfSchemas('# db-schemas = "api"\ndb-anon-role = "anon"\n'), undefined);
  assert.deepEqual(postgrestConfSchemas('db-schemas = ""\n'), undefined);
  assert.equal(isPostgrestConf(SCOUTGES), true);
  assert.equal(isPostgrestConf('[core]\n\tengine = pg\n'), false, "sqitch.conf");
  assert.equal(isPostgrestConf("shared_buffers = 128MB\nsearch_path = '\"$user\", public'\n"), false, 'postgresql.conf');
});

test('err: a schema PostgREST refuses, or a value the lint cannot see, is a problem', () => {
  assert.deepEqual(postgrestConfSchemas('db-schemas = "api, pg_catalog"\n'), { problem: `db-schemas names pg_catalog, which PostgREST refuses ("db-schemas does not allow schema: 'pg_catalog'")`, key: 'db-schemas' });
  assert.match((postgrestConfSchemas('db-schemas = "$(SCHEMAS)"\n') as { problem: string }).problem, /taken from the environment/);
  assert.match((postgrestConfSchemas('db-schemas = "api\n') as { problem: string }).problem, /not a quoted string/);
});

test('ok: PGRST_DB_SCHEMAS in a docker compose environment (map or list) or a .env; ${VAR} from the .env or its default', () => {
  assert.deepEqual(envSchemas('services:\n  rest:\n    image: postgrest/postgrest\n    environment:\n      PGRST_DB_URI: postgres://x@db/app\n      PGRST_DB_SCHEMAS: "api, public"\n'), { schemas: ['api', 'public'], key: 'PGRST_DB_SCHEMAS' });
  assert.deepEqual(envSchemas('    environment:\n      - PGRST_DB_SCHEMA=api\n'), { schemas: ['api'], key: 'PGRST_DB_SCHEMA' });
  assert.deepEqual(envSchemas('    environment:\n      - "PGRST_DB_SCHEMAS=v1"\n'), { schemas: ['v1'], key: 'PGRST_DB_SCHEMAS' });
  assert.deepEqual(envSchemas('PGRST_DB_SCHEMAS=api # served\n'), { schemas: ['api'], key: 'PGRST_DB_SCHEMAS' });
  assert.deepEqual(envSchemas('      PGRST_DB_SCHEMAS: ${API_SCHEMAS}\n', dotenvVars('API_SCHEMAS="api,v2"\n')), { schemas: ['api', 'v2'], key: 'PGRST_DB_SCHEMAS' });
  assert.deepEqual(envSchemas('      PGRST_DB_SCHEMAS: ${API_SCHEMAS:-api}\n'), { schemas: ['api'], key: 'PGRST_DB_SCHEMAS' });
  assert.match((envSchemas('      PGRST_DB_SCHEMAS: ${API_SCHEMAS}\n') as { problem: string }).problem, /taken from the environment, which the lint cannot see/);
});

test("ok: configWithApi: PostgREST's schemas replace the default public; a setting naming other schemas keeps them; a Supabase config.toml comes first", () => {
  const pg = [{ folder: '', source: 'postgrest.conf', schemas: ['api'], postgrest: { key: 'db-schema' } }];
  const c = configWithApi(DEFAULT_CONFIG, ['db/deploy/t.sql'], pg);
  assert.deepEqual(c.exposedSchemas, ['api']);
  assert.deepEqual(c.exposedBy, { api: 'postgrest.conf' });
  assert.deepEqual(c.exposedVia, { api: 'db-schema' });
  assert.equal(c.supabaseLayout, undefined);
  const set = configWithApi(mergeConfig({ exposedSchemas: ['app', 'api'] }), ['db/deploy/t.sql'], pg);
  assert.deepEqual(set.exposedSchemas, ['app', 'api']);
  assert.deepEqual(set.exposedBy, {});
  const both = configWithApi(DEFAULT_CONFIG, ['supabase/migrations/1.sql'], [...pg, { folder: 'supabase/', source: 'supabase/config.toml', schemas: ['public', 'graphql_public'] }]);
  assert.deepEqual(both.exposedSchemas, ['public', 'graphql_public']);
});

// Calibration (francois/elm-scoutges): db-schema = "api", yet rls-not-enabled said public.que_jobs
// was "in the exposed schema public". PostgREST serves api only: the finding is on api's table.
test('ok: a table without RLS in a schema PostgREST does not serve is not "in the exposed schema"; one in the schema it serves is, naming the file and key', async () => {
  await initParser();
  const ws = new Workspace();
  const file = 'db/deploy/tables.sql';
  ws.setFile(file, 'CREATE SCHEMA api;\nCREATE TABLE public.que_jobs (id bigint PRIMARY KEY, data jsonb);\nCREATE TABLE api.items (id bigint PRIMARY KEY, name text);\n');
  const found = () => ws.lint().byFile.get(file)!.filter((f) => f.rule === 'rls-not-enabled').map((f) => f.message);
  assert.match(found().join('\n'), /^Table public\.que_jobs is in the exposed schema "public" but/);
  ws.setApiSchemas([{ folder: '', source: 'postgrest.conf', schemas: ['api'], postgrest: { key: 'db-schema' } }]);
  const now = found();
  assert.equal(now.length, 1, now.join('\n'));
  assert.match(now[0]!, /^Table api\.items is in the exposed schema "api" \(PostgREST serves it: postgrest\.conf db-schema\) but row-level security is never enabled/);
});

test('ok: readPostgrestSchemas finds the configuration next to or above the migrations (not past .git); PGRST_DB_SCHEMAS wins over the file; an unreadable value is one log line', async () => {
  const root = mkdtempSync(join(tmpdir(), 'pg-rls-lint-postgrest-'));
  try {
    const put = (rel: string, text: string) => {
      mkdirSync(dirname(join(root, rel)), { recursive: true });
      writeFileSync(join(root, rel), text);
    };
    put('repo/.git/HEAD', 'ref: refs/heads/main\n');
    put('repo/postgrest.conf', SCOUTGES);
    put('repo/nginx.conf', 'events {}\n');
    put('repo/db/deploy/tables/t.sql', 'select 1;\n');
    put('postgrest.conf', 'db-schemas = "outside"\n');
    const ids = (folder: string) => ({ prefix: `${folder}/`, shown: `${folder.slice(root.length + 1)}/` });
    const logs: string[] = [];
    const log = (path: string, problem: string) => logs.push(`${path.slice(root.length + 1)}: ${problem}`);
    const sql = [join(root, 'repo/db/deploy/tables/t.sql')];
    assert.deepEqual(await readPostgrestSchemas(sql, ids, log), [{ folder: `${join(root, 'repo')}/`, source: 'repo/postgrest.conf', schemas: ['api'], postgrest: { key: 'db-schema' } }]);
    put('repo/docker-compose.yml', 'services:\n  rest:\n    environment:\n      PGRST_DB_SCHEMAS: ${SCHEMAS:-v1,v2}\n');
    assert.deepEqual((await readPostgrestSchemas(sql, ids, log)).map((a) => [a.source, a.schemas, a.postgrest?.key]), [['repo/docker-compose.yml', ['v1', 'v2'], 'PGRST_DB_SCHEMAS']]);
    put('repo/docker-compose.yml', 'services:\n  rest:\n    environment:\n      PGRST_DB_SCHEMAS: ${SCHEMAS}\n');
    assert.deepEqual(await readPostgrestSchemas(sql, ids, log), []);
    assert.deepEqual(logs, ['repo/docker-compose.yml: PGRST_DB_SCHEMAS = "${SCHEMAS}" is taken from the environment, which the lint cannot see; its schemas are not used: the setting exposedSchemas decides']);
    put('repo/.env', 'SCHEMAS=api\n');
    assert.deepEqual((await readPostgrestSchemas(sql, ids, log)).map((a) => a.schemas), [['api']]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("ok: a UTF-16 .env or .conf that holds no PostgREST setting is not told about (Ayoubeleshi/ayoub-eleshi-main-project's Vite .env); one that does is, without speaking of psql", async () => {
  const root = mkdtempSync(join(tmpdir(), 'pg-rls-lint-postgrest-'));
  try {
    const put = (rel: string, data: string | Buffer) => {
      mkdirSync(dirname(join(root, rel)), { recursive: true });
      writeFileSync(join(root, rel), data);
    };
    const utf16le = (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    put('repo/.git/HEAD', 'ref: refs/heads/main\n');
    put('repo/.env', utf16le('# Gmail OAuth Configuration\nVITE_GMAIL_CLIENT_ID=x\n'));
    put('repo/nginx.conf', utf16le('events {}\n'));
    put('repo/supabase/migrations/20250101000000_init.sql', 'select 1;\n');
    const ids = (folder: string) => ({ prefix: `${folder}/`, shown: `${folder.slice(root.length + 1)}/` });
    const logs: string[] = [];
    const log = (path: string, problem: string) => logs.push(`${path.slice(root.length + 1)}: ${problem}`);
    const sql = [join(root, 'repo/supabase/migrations/20250101000000_init.sql')];
    assert.deepEqual(await readPostgrestSchemas(sql, ids, log), []);
    assert.deepEqual(logs, []);
    // (one that would configure PostgREST: told, as a file the lint does not read, not as SQL psql would run)
    put('repo/.env', utf16le('PGRST_DB_SCHEMAS=api\n'));
    assert.deepEqual(await readPostgrestSchemas(sql, ids, log), []);
    assert.equal(logs.length, 1);
    assert.match(logs[0]!, /^repo\/\.env: UTF-16 text \(byte-order mark\), which the lint does not read; save it as UTF-8; its schemas are not used/);
    assert.doesNotMatch(logs[0]!, /psql/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
