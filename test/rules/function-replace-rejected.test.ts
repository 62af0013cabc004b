// function-replace-rejected on PostgreSQL (PGlite): a CREATE OR REPLACE FUNCTION that renames an
// input parameter, changes the return type (OUT / TABLE row included) or removes a default fails
// with 42P13, a PROCEDURE over a FUNCTION with 42809; the function keeps its body, SECURITY
// DEFINER and SET search_path. The model keeps the old function, as PostgreSQL does: the rules
// read it, not the new text (organizacao10x's is_member_of_org: definer-search-path-missing was
// reported on a definition that never exists). Accepted forms (a type by another name, the only
// OUT column renamed, the same names) are not reported.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, getDb, inRollback, type Q, runEachStatement, runFilesInTransactions } from '../helpers/pg.js';
import { findingsOf, initParser, invalidFinding, lintFiles, sqlOf, textAt, validExampleRuns } from '../helpers/rule-proof.js';
import { AUTH_STUB_SQL } from '../helpers/supabase.js';
import { steps } from '../helpers/relint.js';
import { APP_TENANT } from '../helpers/sql-fixtures.js';

const ID = 'function-replace-rejected';
before(initParser);
after(closeAll);

const proc = async (q: Q, name: string) => (await q(`SELECT proargnames::text AS args, pg_get_function_result(oid) AS result, prosecdef AS definer, proconfig::text AS config FROM pg_proc WHERE proname = '${name}'`))[0];

test('err: an input parameter renamed (p_org → org): 42P13, the function keeps its name, body and options; the new definition is not read by the other rules', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'public.is_member_of_org');
  assert.equal(finding.file, 'supabase/migrations/20251002110000_org_id.sql');
  assert.match(finding.message, /^CREATE OR REPLACE FUNCTION public\.is_member_of_org\(uuid\) changes the name of input parameter p_org \(now org\) of the one created at 20250108000000_is_member\.sql:2, which nothing drops before this statement: PostgreSQL rejects it with 42P13 cannot change name of input parameter "p_org"/);
  assert.match(finding.message, /the function stays as it was — its body, SECURITY DEFINER and SET clauses too/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    const errors = await runEachStatement(q, sqlOf(ws));
    assert.deepEqual(errors.map((e) => `${e.code} ${e.message}`), ['42P13 cannot change name of input parameter "p_org"']);
    assert.deepEqual(await proc(q, 'is_member_of_org'), { args: '{p_org}', result: 'boolean', definer: true, config: '{"search_path=\\"\\""}' });
  });
  // organizacao10x: the new text, without SET search_path, would be reported by
  // definer-search-path-missing; the function PostgreSQL keeps has it
  const files = [
    ...invalidFinding(ID, 0).ex.files.slice(0, 1),
    { file: 'supabase/migrations/20251002110000_org_id.sql', text: `CREATE OR REPLACE FUNCTION public.is_member_of_org(org uuid) RETURNS boolean LANGUAGE plpgsql STABLE SECURITY DEFINER AS $$ BEGIN RETURN EXISTS (SELECT 1 FROM memberships WHERE org_id = org); END $$;\n` },
  ];
  const { findings } = lintFiles(files, ID);
  assert.deepEqual(findings.filter((f) => f.rule.startsWith('definer-') || f.rule === ID).map((f) => f.rule), [ID]);
  // (with the parameter's name kept, the replacement is made: then it is reported)
  const kept = lintFiles([files[0]!, { ...files[1]!, text: files[1]!.text.replace(/\borg\b/g, 'p_org') }], ID).findings;
  assert.ok(kept.some((f) => f.rule === 'definer-search-path-missing'));
  assert.ok(!kept.some((f) => f.rule === ID));
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runFilesInTransactions(q, files), ['ok', '42P13']);
    assert.equal((await proc(q, 'is_member_of_org'))!.config, '{"search_path=\\"\\""}');
  });
});

test('err: another return type (integer → bigint): 42P13, the function keeps integer', async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.match(finding.message, /changes the return type \(bigint, where the function returns integer\)/);
  assert.match(finding.message, /42P13 cannot change return type of existing function/);
  assert.match(finding.message, /Run DROP FUNCTION public\.open_tasks\(uuid\) before it/);
  await inRollback(await getDb(), async (q) => {
    const errors = await runEachStatement(q, sqlOf(ws));
    assert.deepEqual(errors.map((e) => `${e.code} ${e.message}`), ['42P13 cannot change return type of existing function']);
    assert.equal((await proc(q, 'open_tasks'))!.result, 'integer');
  });
});

test('ok: the Valid examples (the same names; DROP FUNCTION first) run and give nothing', async () => {
  await validExampleRuns(ID, 0, async (q) => assert.equal((await proc(q, 'is_member_of_org'))!.args, '{p_org}'));
  await validExampleRuns(ID, 1, async (q) => assert.equal((await proc(q, 'open_tasks'))!.result, 'bigint'));
});

test('err/ok: each rejected form, as PostgreSQL measures it, and the accepted look-alikes', async () => {
  const cases: Array<{ before: string; after: string; error?: string }> = [
    { before: 'f(p int) RETURNS SETOF int', after: 'f(p int) RETURNS int', error: '42P13 cannot change return type of existing function' },
    { before: 'f(p int) RETURNS TABLE (id int, name text)', after: 'f(p int) RETURNS TABLE (id int, title text)', error: '42P13 cannot change return type of existing function' },
    { before: 'f(p int DEFAULT 1) RETURNS int', after: 'f(p int) RETURNS int', error: '42P13 cannot remove parameter defaults from existing function' },
    { before: 'f(p int) RETURNS int', after: 'f(int) RETURNS int', error: '42P13 cannot change name of input parameter "p"' },
    { before: 'f(p int) RETURNS int', after: 'f(p integer) RETURNS int4' },
    { before: 'f(int) RETURNS int', after: 'f(p int) RETURNS int' },
    { before: 'f(p int) RETURNS TABLE (id int)', after: 'f(p int) RETURNS TABLE (ident int)' },
    { before: 'f(p int) RETURNS TABLE (id int)', after: 'f(p int) RETURNS SETOF int' },
    { before: 'f(p int DEFAULT 1) RETURNS int', after: 'f(p int DEFAULT 2) RETURNS int' },
    { before: 'f(p varchar(10)) RETURNS varchar(10)', after: 'f(p varchar) RETURNS character varying' },
  ];
  for (const c of cases) {
    const body = (sig: string) => `LANGUAGE sql AS $$ SELECT ${/TABLE \(id int, /.test(sig) ? '1, null::text' : /varchar|varying/.test(sig) ? "'x'::varchar" : '1'} $$;\n`;
    const files = [
      { file: 'db/1.sql', text: `CREATE FUNCTION ${c.before} ${body(c.before)}` },
      { file: 'db/2.sql', text: `CREATE OR REPLACE FUNCTION ${c.after} ${body(c.after)}` },
    ];
    const { mine } = lintFiles(files, ID);
    assert.equal(mine.length, c.error ? 1 : 0, `${c.before} → ${c.after}: ${mine.map((m) => m.message).join(' | ')}`);
    if (c.error) assert.match(mine[0]!.message, new RegExp(`with ${c.error.replace(/[()"]/g, '\\$&')}`));
    await inRollback(await getDb(), async (q) => {
      const errors = await runEachStatement(q, files.map((f) => f.text).join(''));
      assert.deepEqual(errors.map((e) => `${e.code} ${e.message}`), c.error ? [c.error] : [], `${c.before} → ${c.after}`);
    });
  }
  // a PROCEDURE over a FUNCTION: 42809
  const kind = [
    { file: 'db/1.sql', text: 'CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $$ SELECT $$;\n' },
    { file: 'db/2.sql', text: 'CREATE OR REPLACE PROCEDURE f() LANGUAGE sql AS $$ SELECT $$;\n' },
  ];
  assert.match(lintFiles(kind, ID).mine[0]!.message, /with 42809 cannot change routine kind/);
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual((await runEachStatement(q, kind.map((f) => f.text).join(''))).map((e) => e.code), ['42809']);
  });
});

test('ok: not reported where the function may be gone (a DROP between, a DO block dropping functions dynamically) or was made elsewhere (another folder)', () => {
  const first = { file: 'db/1.sql', text: 'CREATE FUNCTION f(p int) RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;\n' };
  const again = { file: 'db/3.sql', text: 'CREATE OR REPLACE FUNCTION f(q int) RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;\n' };
  assert.equal(lintFiles([first, again], ID).mine.length, 1);
  assert.equal(lintFiles([first, { file: 'db/2.sql', text: 'DROP FUNCTION f(int);\n' }, again], ID).mine.length, 0);
  const dynamic = `DO $$ DECLARE r record; BEGIN FOR r IN SELECT oid::regprocedure AS sig FROM pg_proc WHERE proname = 'f' LOOP EXECUTE 'DROP FUNCTION ' || r.sig; END LOOP; END $$;\n`;
  assert.equal(lintFiles([first, { file: 'db/2.sql', text: dynamic }, again], ID).mine.length, 0);
  // (a call of a workspace function whose body may drop functions: unseen.ts, as for tables)
  const dropper = "CREATE FUNCTION reset_api() RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'DROP FUNCTION ' || 'f(int)'; END $$;\nSELECT reset_api();\n";
  assert.equal(lintFiles([first, { file: 'db/2.sql', text: dropper }, again], ID).mine.length, 0);
  assert.equal(lintFiles([first, { file: 'db/2.sql', text: dropper.replace('DROP FUNCTION', 'DROP TABLE') }, again], ID).mine.length, 1);
  assert.equal(lintFiles([first, { ...again, file: 'other/3.sql' }], ID).mine.length, 0);
  // the same statement, or one in a DO block (it may sit under a condition): nothing
  assert.equal(lintFiles([first, { file: 'db/3.sql', text: `DO $do$ BEGIN ${again.text.trim()} END $do$;\n` }], ID).mine.length, 0);
  assert.equal(findingsOf(lintFiles([first, { ...first, file: 'db/2.sql', text: first.text.replace('CREATE', 'CREATE OR REPLACE') }], ID).ws, ID).length, 0);
});

test("err (message): a file that fails first on an ADD COLUMN of a column an earlier migration added (42701: mostralo-lovable's second products.slug file) says it stops there, not at a later CREATE INDEX", async () => {
  const first = {
    file: 'supabase/migrations/20250824201628_slug.sql',
    text: `CREATE TABLE public.products (id uuid PRIMARY KEY, store_id uuid);
ALTER TABLE public.products
ADD COLUMN slug text;
CREATE INDEX idx_products_slug ON public.products(slug);
CREATE OR REPLACE FUNCTION generate_product_slug(product_name text, store_id uuid) RETURNS text LANGUAGE plpgsql AS $$ BEGIN RETURN product_name; END $$;
`,
  };
  const again = (head: string) => ({
    file: 'supabase/migrations/20250824201721_slug.sql',
    text: `${head}CREATE INDEX idx_products_slug ON public.products(slug);
CREATE OR REPLACE FUNCTION generate_product_slug(product_name text, input_store_id uuid) RETURNS text LANGUAGE plpgsql AS $$ BEGIN RETURN product_name; END $$;
`,
  });
  const add = 'ALTER TABLE public.products\nADD COLUMN slug text;\n';
  const mine = lintFiles([first, again(add)], ID).mine;
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /stops before it, at 20250824201721_slug\.sql:1 \(ALTER TABLE public\.products ADD COLUMN slug, a column 20250824201628_slug\.sql:2 made: 42701\), and here too once it gets this far/);
  // IF NOT EXISTS, a DROP COLUMN before it, or a column no earlier statement made: the CREATE INDEX is the first failure
  for (const head of [add.replace('ADD COLUMN', 'ADD COLUMN IF NOT EXISTS'), `ALTER TABLE public.products DROP COLUMN slug;\n${add}`, add.replaceAll('slug text', 'sku text')]) {
    assert.match(lintFiles([first, again(head)], ID).mine[0]!.message, /stops before it, at 20250824201721_slug\.sql:\d+ \(CREATE INDEX idx_products_slug, which an earlier migration made: 42P07\)/, head);
  }
  // (a DO block running dynamic SQL between may have dropped it: not said)
  const dynamic = { file: 'supabase/migrations/20250824201700_dyn.sql', text: `DO $$ BEGIN EXECUTE 'ALTER TABLE public.products DROP COLUMN ' || 'slug'; END $$;\n` };
  assert.doesNotMatch(lintFiles([first, dynamic, again(add)], ID).mine[0]?.message ?? '', /ADD COLUMN slug/);
  await inRollback(await getDb(), async (q) => {
    await q(first.text);
    const errors = await runEachStatement(q, again(add).text);
    assert.deepEqual(errors.map((e) => `${e.code} ${e.message}`), [
      '42701 column "slug" of relation "products" already exists',
      '42P07 relation "idx_products_slug" already exists',
      '42P13 cannot change name of input parameter "store_id"',
    ]);
  });
});

test('err: a LANGUAGE sql body returning text for uuid (ContemplaHub\'s auth.org_id(), `… ->> \'org_id\'`): 42P13 return type mismatch, no function is made, and the rules read none', async () => {
  const { ws, finding } = invalidFinding(ID, 2);
  assert.equal(textAt(ws, finding), 'app.current_tenant_id');
  assert.match(finding.message, /^Function app\.current_tenant_id is declared to return uuid, but its body \(LANGUAGE sql\) returns text: .* rejects this statement with 42P13 return type mismatch in function declared to return uuid \(Actual return type is text\)/);
  assert.match(finding.message, /stops here, and no function is made of this body/);
  assert.equal(finding.related[0]!.message, 'the body returns text here');
  await inRollback(await getDb(), async (q) => {
    const errors = await runEachStatement(q, sqlOf(ws));
    assert.deepEqual(errors.map((e) => `${e.code} ${e.message}`), ['42P13 return type mismatch in function declared to return uuid']);
    assert.equal(await proc(q, 'current_tenant_id'), undefined);
  });
  await validExampleRuns(ID, 2, async (q) => assert.equal((await proc(q, 'current_tenant_id'))!.result, 'uuid'));
  // MarcoFranca/ContemplaHub: the policies calling auth.org_id() were said to call "the STABLE
  // function auth.org_id()" per row (policy-per-row-function): no such function exists
  const contempla = [
    {
      file: 'sql/rls/lead_diagnosticos_rls.sql',
      text: `create table public.lead_diagnosticos (id uuid primary key, org_id uuid not null);
create schema if not exists auth;
create or replace function auth.org_id() returns uuid language sql stable as $$
select nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'org_id'
$$;
alter table public.lead_diagnosticos enable row level security;
create policy "lead_diag_select" on public.lead_diagnosticos for select using (org_id::text = auth.org_id());
`,
    },
  ];
  const linted = lintFiles(contempla, ID);
  assert.equal(linted.mine.length, 1);
  assert.match(linted.mine[0]!.message, /^Function auth\.org_id is declared to return uuid/);
  assert.deepEqual(linted.findings.filter((f) => f.rule === 'policy-per-row-function' || f.rule === 'policy-column-not-indexed').map((f) => f.message), []);
  await inRollback(await getDb(), async (q) => {
    const errors = await runEachStatement(q, contempla[0]!.text);
    assert.deepEqual(errors.map((e) => `${e.code} ${e.message}`), ['42P13 return type mismatch in function declared to return uuid', '42883 function auth.org_id() does not exist']);
  });
});

test('err/ok: the body forms PostgreSQL refuses for each declared type, and those it accepts', async () => {
  const cases: Array<{ returns: string; body: string; rejected: boolean }> = [
    { returns: 'uuid', body: "SELECT current_setting('app.x', true)", rejected: true },
    { returns: 'uuid', body: "SELECT nullif(current_setting('app.x', true), '')", rejected: true },
    { returns: 'uuid', body: "SELECT coalesce(current_setting('app.x', true), '')", rejected: true },
    { returns: 'uuid', body: "SELECT '{}'::jsonb #>> '{a}'", rejected: true },
    { returns: 'uuid', body: "SELECT pg_catalog.current_setting('app.x')::text", rejected: true },
    { returns: 'SETOF uuid', body: "SELECT current_setting('app.x', true)", rejected: true },
    { returns: 'integer', body: "SELECT current_setting('app.x', true)", rejected: true },
    { returns: 'int', body: "SELECT '{}'::json ->> 'a'", rejected: true },
    { returns: 'bigint', body: "SELECT 'x'", rejected: true },
    { returns: 'boolean', body: "SELECT current_setting('app.x', true)", rejected: true },
    { returns: 'jsonb', body: "SELECT current_setting('app.x', true)", rejected: true },
    { returns: 'timestamptz', body: "SELECT current_setting('app.x', true)", rejected: true },
    { returns: 'uuid', body: "BEGIN ATOMIC SELECT current_setting('app.x', true); END", rejected: true },
    // accepted: a cast, another declared type, a body not certainly text, OUT parameters
    { returns: 'uuid', body: "SELECT nullif(current_setting('app.x', true), '')::uuid", rejected: false },
    { returns: 'text', body: "SELECT current_setting('app.x', true)", rejected: false },
    { returns: 'varchar', body: "SELECT current_setting('app.x', true)", rejected: false },
    { returns: 'regclass', body: "SELECT current_setting('app.x', true)", rejected: false },
    { returns: 'void', body: "SELECT current_setting('app.x', true)", rejected: false },
    { returns: 'uuid', body: 'SELECT gen_random_uuid()', rejected: false },
    { returns: 'uuid[]', body: "SELECT ARRAY[current_setting('app.x', true)::uuid]", rejected: false },
  ];
  for (const c of cases) {
    const text = `CREATE FUNCTION f() RETURNS ${c.returns} LANGUAGE sql STABLE ${c.body.startsWith('BEGIN ATOMIC') ? c.body : `AS $$ ${c.body} $$`};\n`;
    assert.equal(lintFiles([{ file: 'db/1.sql', text }], ID).mine.length, c.rejected ? 1 : 0, text);
    await inRollback(await getDb(), async (q) => {
      // (the whole statement at once: a BEGIN ATOMIC body holds semicolons)
      assert.deepEqual(await runFilesInTransactions(q, [{ text }]), [c.rejected ? '42P13' : 'ok'], text);
    });
  }
  // OUT parameters, PL/pgSQL (analysed only when it runs), check_function_bodies off, a rollback section: nothing said
  const quiet = [
    "CREATE FUNCTION f(OUT a uuid) LANGUAGE sql AS $$ SELECT current_setting('app.x', true) $$;\n",
    "CREATE FUNCTION f() RETURNS uuid LANGUAGE plpgsql AS $$ BEGIN RETURN current_setting('app.x', true); END $$;\n",
    "SET check_function_bodies = false;\nCREATE FUNCTION f() RETURNS uuid LANGUAGE sql AS $$ SELECT current_setting('app.x', true) $$;\n",
    "-- migrate:up\nSELECT 1;\n-- migrate:down\nCREATE FUNCTION f() RETURNS uuid LANGUAGE sql AS $$ SELECT current_setting('app.x', true) $$;\n",
  ];
  for (const text of quiet) assert.equal(lintFiles([{ file: 'db/1.sql', text }], ID).mine.length, 0, text);
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual((await runEachStatement(q, quiet[2]!)).map((e) => e.code), []);
  });
  // CREATE OR REPLACE over a function made before: PostgreSQL keeps it, and so does the model
  const kept = [
    { file: 'db/1.sql', text: 'CREATE FUNCTION app_tenant() RETURNS uuid LANGUAGE sql STABLE SECURITY DEFINER AS $$ SELECT gen_random_uuid() $$;\n' },
    { file: 'db/2.sql', text: "CREATE OR REPLACE FUNCTION app_tenant() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT current_setting('app.x', true) $$;\n" },
  ];
  const { findings, mine } = lintFiles(kept, ID);
  assert.equal(mine.length, 1);
  // (the SECURITY DEFINER function stays: definer-search-path-missing still reads it)
  assert.ok(findings.some((f) => f.rule === 'definer-search-path-missing' && /app_tenant/.test(f.message)));
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual(await runFilesInTransactions(q, kept), ['ok', '42P13']);
    assert.equal((await proc(q, 'app_tenant'))!.definer, true);
  });
});

test('ok (re-lint): a body edited to return text, back to a cast, and check_function_bodies turned off give what a fresh lint gives', () => {
  const { good, bad, table } = APP_TENANT;
  const counts = steps({ 'db/1.sql': good, 'db/2.sql': table }, ID, [
    ['db/1.sql', bad],
    ['db/1.sql', good],
    ['db/1.sql', bad],
    ['db/1.sql', `SET check_function_bodies = off;\n${bad}`],
    ['db/1.sql', bad],
  ]);
  assert.deepEqual(counts, [0, 1, 0, 1, 0, 1]);
});

// OlziYT/cdos (a sports committee's club directory), supabase/migrations/create_users_table.sql,
// and geraldinocv/evently (an event ticketing app), scripts/add_password_field.sql:
// `CREATE OR REPLACE FUNCTION verify_password(email TEXT, password TEXT) RETURNS TABLE (id UUID, …,
// email TEXT) … LANGUAGE plpgsql`. PostgreSQL refuses it (42P13 parameter name "email" used more
// than once), yet the rules read the function: definer-bypasses-rls said any caller learns about
// rows of users through it (cdos), and evently's later `RETURNS boolean` version was said to be
// refused for changing the return type "of the one created at add_password_field.sql:36".
const VERIFY = `CREATE TABLE public.profiles (id uuid PRIMARY KEY, name text, email text, password text);
CREATE OR REPLACE FUNCTION verify_password(email TEXT, password TEXT)
RETURNS TABLE(id UUID, name TEXT, email TEXT) AS $$
BEGIN
    RETURN QUERY
    SELECT p.id, p.name, p.email FROM profiles p
    WHERE p.email = verify_password.email AND p.password = verify_password.password;
END;
$$ LANGUAGE plpgsql SECURITY DEFINER;
`;
const VERIFY_BOOL = `CREATE OR REPLACE FUNCTION verify_password(user_email TEXT, user_password TEXT)
RETURNS BOOLEAN AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM public.profiles WHERE email = user_email AND password = user_password);
END;
$$ LANGUAGE plpgsql;
`;

test('err: a PL/pgSQL input parameter and a RETURNS TABLE column of one name (cdos\' and evently\'s verify_password): 42P13, no function is made, and a later CREATE OR REPLACE of another return type is no replacement', async () => {
  const files = [
    { file: 'scripts/add_password_field.sql', text: VERIFY },
    { file: 'scripts/setup_supabase_complete.sql', text: VERIFY_BOOL },
  ];
  const { mine, findings } = lintFiles(files, ID);
  assert.equal(mine.length, 1, mine.map((f) => f.message).join('\n'));
  assert.equal(mine[0]!.file, 'scripts/add_password_field.sql');
  assert.match(
    mine[0]!.message,
    /^Function verify_password has input parameter email and RETURNS TABLE column email: PL\/pgSQL makes each parameter a variable of the body, .* so PostgreSQL rejects this statement with 42P13 parameter name "email" used more than once\. So a migration tool applying the migrations in order stops here, and no function is made of it: .* Rename one of them \(the input parameter to p_email, say, and the body's uses of it\)/,
  );
  // (the rules read no verify_password(text, text) of the first file: no definer finding on it)
  assert.deepEqual(findings.filter((f) => f.rule.startsWith('definer-') && f.file === 'scripts/add_password_field.sql').map((f) => f.rule), []);
  await inRollback(await getDb(), async (q) => {
    const errors = await runEachStatement(q, VERIFY + VERIFY_BOOL);
    assert.deepEqual(errors.map((e) => `${e.code} ${e.message}`), ['42P13 parameter name "email" used more than once']);
    assert.equal((await proc(q, 'verify_password'))!.result, 'boolean', 'the later version is made: there was none to replace');
  });
});

test('err/ok: which parameter names alike PostgreSQL refuses (PGlite), and the rule with it', async () => {
  const cases: Array<[string, boolean]> = [
    // the parameter list: any two alike but an input beside an OUT / TABLE column, in any language
    ['CREATE FUNCTION f(a int, a int) RETURNS int LANGUAGE sql AS $$ SELECT 1 $$', true],
    ['CREATE FUNCTION f(INOUT a int, OUT a int) LANGUAGE sql AS $$ SELECT 1, 2 $$', true],
    ['CREATE FUNCTION f(OUT a int, OUT a int) LANGUAGE sql AS $$ SELECT 1, 2 $$', true],
    // an input and an output column: PL/pgSQL only
    ['CREATE FUNCTION f(a int) RETURNS TABLE (a int) LANGUAGE plpgsql AS $$ BEGIN RETURN; END $$', true],
    ['CREATE FUNCTION f(a int, OUT a int) LANGUAGE plpgsql AS $$ BEGIN END $$', true],
    ['CREATE FUNCTION f(a int) RETURNS TABLE (a int) LANGUAGE sql AS $$ SELECT 1 $$', false],
    // names differ once folded or quoted
    ['CREATE FUNCTION f(Email text) RETURNS TABLE ("Email" text) LANGUAGE plpgsql AS $$ BEGIN RETURN; END $$', false],
    ['CREATE FUNCTION f(Email text) RETURNS TABLE (email text) LANGUAGE plpgsql AS $$ BEGIN RETURN; END $$', true],
    // bodies not checked: made (each call fails instead)
    ['SET check_function_bodies = false;\nCREATE FUNCTION f(a int) RETURNS TABLE (a int) LANGUAGE plpgsql AS $$ BEGIN RETURN; END $$', false],
  ];
  for (const [sql, refused] of cases) {
    const { mine } = lintFiles([{ file: 'db/001_f.sql', text: `${sql};\n` }], ID);
    assert.equal(mine.length, refused ? 1 : 0, sql);
    await inRollback(await getDb(), async (q) => {
      const errors = await runEachStatement(q, `${sql};`);
      assert.deepEqual(errors.map((e) => e.code), refused ? ['42P13'] : [], sql);
    });
  }
});

// Nahtral/100IN (a basketball club's management app), supabase/migrations/20250907055905_…sql:
// `CREATE OR REPLACE FUNCTION rpc_create_chat(p_title TEXT DEFAULT NULL, p_is_group BOOLEAN DEFAULT
// FALSE, p_participants UUID[])`: PostgreSQL refuses it (42P13 input parameters after one with a
// default value must also have defaults), yet the rules read it — and the next two migrations'
// `rpc_create_chat(p_title TEXT, p_is_group BOOLEAN, p_participants UUID[])` were said to be
// refused for removing its defaults, while PostgreSQL makes the first of them.
const CHAT = `CREATE OR REPLACE FUNCTION rpc_create_chat(
  p_title TEXT DEFAULT NULL,
  p_is_group BOOLEAN DEFAULT FALSE,
  p_participants UUID[]
) RETURNS UUID
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
AS $$ BEGIN RETURN gen_random_uuid(); END; $$;
`;
const CHAT_FIXED = `CREATE OR REPLACE FUNCTION rpc_create_chat(
  p_title TEXT,
  p_is_group BOOLEAN,
  p_participants UUID[]
) RETURNS UUID
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
AS $$ BEGIN RETURN gen_random_uuid(); END; $$;
`;

test('err: an input parameter without a default after one with a default (100IN\'s rpc_create_chat): 42P13, no function is made, and the next CREATE OR REPLACE is no removal of defaults', async () => {
  const files = [
    { file: 'supabase/migrations/20250907055905_chat.sql', text: CHAT },
    { file: 'supabase/migrations/20250907055926_chat_fix.sql', text: CHAT_FIXED },
  ];
  const { mine } = lintFiles(files, ID);
  assert.equal(mine.length, 1, mine.map((f) => f.message).join('\n'));
  assert.equal(mine[0]!.file, 'supabase/migrations/20250907055905_chat.sql');
  assert.match(
    mine[0]!.message,
    /^Function rpc_create_chat has a default for input parameter p_title but none for input parameter p_participants after it: PostgreSQL rejects this statement with 42P13 input parameters after one with a default value must also have defaults\. So a migration tool applying the migrations in order stops here, and no function is made of it: .* Give p_participants a default too, or move it before the parameters that have one/,
  );
  await inRollback(await getDb(), async (q) => {
    const errors = await runEachStatement(q, CHAT + CHAT_FIXED);
    assert.deepEqual(errors.map((e) => `${e.code} ${e.message}`), ['42P13 input parameters after one with a default value must also have defaults']);
    assert.equal((await proc(q, 'rpc_create_chat'))!.args, '{p_title,p_is_group,p_participants}', 'the second one is made');
  });
  // (an OUT parameter after the defaults, or VARIADIC with a default, is accepted; an INOUT without one is not)
  for (const [sql, refused] of [
    ['CREATE FUNCTION f(a int DEFAULT 1, OUT b int) LANGUAGE sql AS $$ SELECT 1 $$', false],
    ['CREATE FUNCTION f(a int DEFAULT 1, VARIADIC b int[] DEFAULT \'{}\') RETURNS int LANGUAGE sql AS $$ SELECT 1 $$', false],
    ['CREATE FUNCTION f(a int DEFAULT 1, INOUT b int) LANGUAGE sql AS $$ SELECT 1 $$', true],
    ['CREATE FUNCTION f(a int DEFAULT 1, int) RETURNS int LANGUAGE sql AS $$ SELECT 1 $$', true],
  ] as Array<[string, boolean]>) {
    assert.equal(lintFiles([{ file: 'db/001_f.sql', text: `${sql};\n` }], ID).mine.length, refused ? 1 : 0, sql);
    await inRollback(await getDb(), async (q) => {
      const errors = await runEachStatement(q, `${sql};`);
      assert.deepEqual(errors.map((e) => e.code), refused ? ['42P13'] : [], sql);
    });
  }
});

// longsangsabo/sabo-pool-v8-76 (a billiards tournament app): sync_spa_wallet_data() RETURNS jsonb,
// then a DO block's EXECUTE of text the replay cannot read (`EXECUTE format('ALTER TABLE public.%I RENAME COLUMN player_id TO user_id', …)`),
// then `CREATE OR REPLACE … RETURNS integer` (not said to be refused: the DO block may have dropped
// the function), then `… RETURNS jsonb` again, said to be refused for changing the return type "of
// the one created at" the integer one — which PostgreSQL had refused: the jsonb one is made.
test('ok: a CREATE OR REPLACE over one whose own replacement may have been refused (a DO block\'s dynamic EXECUTE between) is not said to be refused for what that one declared (PGlite: the integer one fails, the jsonb one is made)', async () => {
  const files = [
    { file: 'db/1.sql', text: 'CREATE FUNCTION public.sync_wallets() RETURNS jsonb LANGUAGE sql AS $$ SELECT \'{}\'::jsonb $$;\n' },
    { file: 'db/2.sql', text: `DO $$ DECLARE r record; BEGIN FOR r IN SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'player_id' LOOP EXECUTE format('ALTER TABLE public.%I RENAME COLUMN player_id TO user_id', r.table_name); END LOOP; END $$;\n` },
    { file: 'db/3.sql', text: 'CREATE OR REPLACE FUNCTION public.sync_wallets() RETURNS integer LANGUAGE sql AS $$ SELECT 0 $$;\n' },
    { file: 'db/4.sql', text: 'CREATE OR REPLACE FUNCTION public.sync_wallets() RETURNS jsonb LANGUAGE sql AS $$ SELECT \'{"synced": 0}\'::jsonb $$;\n' },
  ];
  assert.deepEqual(lintFiles(files, ID).mine.map((f) => f.message), []);
  // (without the DO block: the integer one is refused, and the jsonb one replaces the first)
  const plain = lintFiles([files[0]!, files[2]!, files[3]!], ID).mine;
  assert.deepEqual(plain.map((f) => f.file), ['db/3.sql']);
  await inRollback(await getDb(), async (q) => {
    const errors = await runEachStatement(q, files.map((f) => f.text).join(''));
    assert.deepEqual(errors.map((e) => `${e.code} ${e.message}`), ['42P13 cannot change return type of existing function']);
    assert.equal((await proc(q, 'sync_wallets'))!.result, 'jsonb');
  });
});
