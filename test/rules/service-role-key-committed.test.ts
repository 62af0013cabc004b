// service-role-key-committed on PostgreSQL (PGlite): the key is what makes a request run as
// service_role, which has BYPASSRLS — service_role reads every row of a table whose only policy
// admits each user's own rows, where authenticated reads none; a key written in a function's body
// is stored as written and read in pg_proc.prosrc by a role with no privilege at all. The anon key,
// the local stack's shared keys, other JWTs and text that only looks like one are not reported.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, getDb, inRollback } from '../helpers/pg.js';
import { initParser, invalidFinding, lintFiles, sqlOf, TENANT_A, TENANT_B, textAt, validExampleRuns } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';
import { Workspace } from '../../server/src/engine/workspace.js';

const ID = 'service-role-key-committed';
before(initParser);
after(closeAll);

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const jwt = (claims: object) => `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}.Zm9yZ2VkLXNpZ25hdHVyZS1ub3QtYS1yZWFsLWtleQ`;
const SERVICE = jwt({ iss: 'supabase', ref: 'abcdefghijklmnopqrst', role: 'service_role', iat: 1735689600, exp: 2051222400 });
const SECRET = 'sb_secret_Q2x1bXN5LWZha2Uta2V5LWZvci10ZXN0cw';

test('err: a service_role JWT in a function body: service_role bypasses the policies; the body is read in pg_proc by a role with no privilege', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), SERVICE);
  assert.match(finding.message, /^This is a Supabase service_role key: a JWT whose role claim is service_role \(project abcdefghijklmnopqrst\), valid until 2035-01-01 unless the project's JWT secret changes or its legacy keys are disabled\. /);
  assert.match(finding.message, /runs a request bearing it as the service_role role, which has BYPASSRLS: PostgreSQL applies no row-level security policy to it/);
  assert.match(finding.message, /every role that can connect to the database reads the key in pg_catalog\.pg_proc \(prosrc\), whose SELECT is granted to PUBLIC/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sqlOf(ws));
    // (a role with no privilege at all reads the function's definition, key included)
    await q('CREATE ROLE key_outsider NOLOGIN');
    await q('SET ROLE key_outsider');
    const src = (await q(`SELECT prosrc FROM pg_catalog.pg_proc WHERE proname = 'notify_new_order'`))[0]!.prosrc as string;
    assert.ok(src.includes(SERVICE));
    await q('RESET ROLE');
    // (what the key gets: the service_role role, to which no policy applies)
    await q(`CREATE TABLE orders (id bigint PRIMARY KEY, owner_id uuid NOT NULL);
      ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
      ALTER TABLE orders FORCE ROW LEVEL SECURITY;
      GRANT SELECT ON orders TO authenticated, service_role;
      CREATE POLICY orders_own ON orders FOR SELECT TO authenticated USING (owner_id = (select auth.uid()));
      INSERT INTO orders VALUES (1, '${TENANT_A}'), (2, '${TENANT_B}');`);
    await q('SET ROLE authenticated');
    assert.equal((await q('SELECT id FROM orders')).length, 0);
    await q('RESET ROLE');
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.equal((await q('SELECT id FROM orders')).length, 1);
    await q('RESET ROLE');
    await q('SET ROLE service_role');
    assert.equal((await q('SELECT id FROM orders')).length, 2);
    await q('RESET ROLE');
  });
});

test('ok: the Valid example (the key read from Vault; the anon key) runs', async () => {
  await validExampleRuns(ID, 0);
});

test("ok: the anon key, the local stack's shared keys (iss supabase-demo, the CLI's sb_secret_N7UND0…), another role's JWT, a JWT-looking string that is not one", () => {
  const cases: Array<[string, string]> = [
    ['anon key', `SELECT '${jwt({ iss: 'supabase', ref: 'abcdefghijklmnopqrst', role: 'anon', exp: 2051222400 })}';`],
    ['local demo service_role key', `SELECT '${jwt({ iss: 'supabase-demo', role: 'service_role', exp: 1983812996 })}';`],
    ['local default secret key', "SELECT 'sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz';"],
    ['a user token', `SELECT '${jwt({ iss: 'supabase', role: 'authenticated', sub: TENANT_A })}';`],
    ['not base64 JSON', "SELECT 'eyJhbGciOiJIUzI1NiJ9.eyJub3QganNvbiBhdCBhbGw.c2lnbmF0dXJlLXNpZ25hdHVyZQ';"],
    ['secret key prefix only', "SELECT 'sb_secret_';"],
  ];
  for (const [what, sql] of cases) assert.deepEqual(lintFiles([{ file: 'supabase/migrations/20250101000000_x.sql', text: sql }], ID).mine, [], what);
});

// Calibration (Superbro-Crm, Job-Hunter-4U, putuporshutup): cron jobs calling Edge Functions with
// the project's service_role key in net.http_post's headers, inside cron.schedule's command.
test('err: a key in a cron job, a comment, Vault and a secret API key: each reported, what the statement stores said only where it is true', () => {
  const text = `-- ${SECRET}
SELECT cron.schedule('sync', '*/5 * * * *', $$
  SELECT net.http_post(url := 'https://abcdefghijklmnopqrst.supabase.co/functions/v1/sync',
    headers := '{"Authorization": "Bearer ${SERVICE}"}'::jsonb);
$$);
SELECT vault.create_secret('${SERVICE}', 'service_role_key');
`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/20250101000000_cron.sql', text }], ID);
  assert.equal(mine.length, 3);
  const [comment, cron, vault] = mine;
  assert.match(comment!.message, /^This is a Supabase secret API key \(sb_secret_…\)\. /);
  assert.match(comment!.message, /create a new secret key in the project's API settings and delete this one/);
  assert.doesNotMatch(comment!.message, /pg_proc|Vault keeps/);
  assert.doesNotMatch(cron!.message, /pg_proc|Vault keeps/);
  assert.match(vault!.message, /Supabase Vault keeps it encrypted in the database, but this migration writes it in clear text\./);
  for (const f of mine) assert.match(f.message, /Then keep it out of SQL: store it once in Supabase Vault/);
});

test('ok: a re-lint finds a key typed into an open file, and forgets it when it goes', () => {
  const ws = new Workspace(undefined, undefined, { editing: true });
  const file = 'supabase/migrations/20250101000000_x.sql';
  ws.setFile(file, 'SELECT 1;\n');
  const count = () => (ws.lint().byFile.get(file) ?? []).filter((f) => f.rule === ID).length;
  assert.equal(count(), 0);
  ws.setFile(file, `SELECT 1;\nSELECT '${SERVICE}';\n`);
  assert.equal(count(), 1);
  ws.setFile(file, 'SELECT 1;\n');
  assert.equal(count(), 0);
});

// The pre-Vault pattern: the key in a database setting, read by current_setting() where it is used.
test('err: a key in ALTER DATABASE … SET: the setting is readable by every role in pg_db_role_setting (PGlite)', async () => {
  const text = `ALTER DATABASE postgres SET "app.settings.service_role_key" = '${SERVICE}';\n`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/20250101000000_settings.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /PostgreSQL also keeps the setting in pg_catalog\.pg_db_role_setting, which every role can read, and starts every new session of the database with it: any role reads it with current_setting\('app\.settings\.service_role_key'\)\./);
  await inRollback(await getDb(), async (q) => {
    await q(text);
    await q('CREATE ROLE settings_outsider NOLOGIN');
    await q('SET ROLE settings_outsider');
    const rows = await q('SELECT unnest(setconfig) AS s FROM pg_catalog.pg_db_role_setting');
    assert.ok(rows.some((r) => r.s === `app.settings.service_role_key=${SERVICE}`));
    await q('RESET ROLE');
  });
});
