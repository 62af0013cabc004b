// session-context-not-local on PostgreSQL (PGlite): a request context set with
// set_config(…, false) or a plain SET survives COMMIT, so the next "request" on the same
// connection (a pooled connection) still runs with it — a policy reading the setting admits
// the previous tenant's rows. After the fix (set_config(…, true) / SET LOCAL) the next
// transaction reads '' (T15b) and sees nothing. The fix is unsafe, and the last cases show
// why: a caller in autocommit mode loses the setting at the end of its statement.
//
// These cases need real COMMITs, so they run on a throwaway instance outside inRollback.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { PGlite } from '@electric-sql/pglite';
import { closeAll, freshDb, queryFn, type Q } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintFiles, sqlOf, TENANT_A, TENANT_B, textAt } from '../helpers/rule-proof.js';

const ID = 'session-context-not-local';
before(initParser);
after(closeAll);

const INVOICES = `
CREATE TABLE invoices (id int PRIMARY KEY, tenant_id uuid NOT NULL);
INSERT INTO invoices VALUES (1, '${TENANT_A}'), (2, '${TENANT_B}');
ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
CREATE POLICY invoices_tenant ON invoices FOR SELECT TO authenticated
  USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT ON invoices TO authenticated;`;

/** What a second request on the same connection sees, without setting any context. */
async function nextRequest(q: Q): Promise<{ setting: string; rows: number }> {
  await q('BEGIN; SET LOCAL ROLE authenticated');
  const setting = (await q(`SELECT current_setting('app.tenant_id', true) AS v`))[0]!.v as string;
  const rows = (await q('SELECT count(*)::int AS n FROM invoices'))[0]!.n as number;
  await q('COMMIT');
  return { setting, rows };
}

let shared: PGlite | undefined;

/** Runs the request on a throwaway instance (one per file, reset between scenarios), then a second request. */
async function scenario(sql: string, request: string): Promise<{ setting: string; rows: number }> {
  shared ??= await freshDb();
  const q = queryFn(shared);
  // a clean session and schema: DISCARD ALL resets every setting
  await q('DISCARD ALL');
  await q('DROP SCHEMA public CASCADE; CREATE SCHEMA public; GRANT USAGE ON SCHEMA public TO PUBLIC;');
  await q(INVOICES);
  await q(sql);
  await q('GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO authenticated');
  await q(request);
  return nextRequest(q);
}

test("err: set_config(…, false) in a function: the tenant leaks into the next transaction; fixed (true): it reads '' and admits nothing", async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), "set_config('app.tenant_id', tid::text, false)");
  assert.match(finding.message, /^set_config\('app\.tenant_id', …, false\) in function public\.set_tenant\(uuid\) sets app\.tenant_id for the rest of the session/);
  assert.match(finding.message, /reads '' afterwards \(T15b\)/);
  assert.equal(finding.fixes[0]!.kind, 'unsafe');
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /set_config\('app\.tenant_id', tid::text, true\)/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  const request = `BEGIN; SET LOCAL ROLE authenticated; SELECT set_tenant('${TENANT_A}'); COMMIT;`;
  assert.deepEqual(await scenario(sqlOf(ws), request), { setting: TENANT_A, rows: 1 }, "the next request sees tenant A's invoice");
  assert.deepEqual(await scenario(sqlOf(fixed), request), { setting: '', rows: 0 });
});

test("err: set_config(…, 'false') (a string) is reported and fixed too", async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.equal(textAt(ws, finding), "set_config('request.user_id', uid::text, 'false')");
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /set_config\('request\.user_id', uid::text, true\)/);
  assert.equal(findingsOf(fixed, ID).length, 0);
});

test("err: a plain SET survives COMMIT; SET LOCAL does not", async () => {
  const { ws, finding } = invalidFinding(ID, 2);
  assert.match(textAt(ws, finding), /^SET app\.tenant_id = /);
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /SET LOCAL app\.tenant_id = /);
  assert.equal(findingsOf(fixed, ID).length, 0);
  const set = sqlOf(ws).replace(/'[0-9a-f-]{36}'/, `'${TENANT_A}'`);
  const local = sqlOf(fixed).replace(/'[0-9a-f-]{36}'/, `'${TENANT_A}'`);
  assert.deepEqual(await scenario('', `BEGIN; ${set}; COMMIT;`), { setting: TENANT_A, rows: 1 });
  assert.deepEqual(await scenario('', `BEGIN; ${local}; COMMIT;`), { setting: '', rows: 0 });
});

test('err: a SET clause on the function does not contain a session-level set_config inside it (reported, and it leaks)', async () => {
  const sql = `CREATE FUNCTION set_tenant(tid uuid) RETURNS void LANGUAGE plpgsql SET app.tenant_id = '' AS $$
BEGIN PERFORM set_config('app.tenant_id', tid::text, false); END $$;`;
  assert.equal(lintFiles([{ file: 'm.sql', text: sql }], ID).mine.length, 1);
  assert.deepEqual(await scenario(sql, `SELECT set_tenant('${TENANT_A}')`), { setting: TENANT_A, rows: 1 });
});

test('ok (why the fix is unsafe): a caller in autocommit mode loses a transaction-local setting at the end of its statement', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  const fixed = applyFix(ws, finding);
  // one statement sets the context, the next one (a separate implicit transaction) uses it
  const autocommit = `SELECT set_tenant('${TENANT_A}')`;
  assert.deepEqual(await scenario(sqlOf(ws), autocommit), { setting: TENANT_A, rows: 1 }, 'before: the setting is there');
  assert.deepEqual(await scenario(sqlOf(fixed), autocommit), { setting: '', rows: 0 }, 'after: gone — code relying on it changes behaviour');
});

test('ok: not reported: transaction-local writes, clearing, extension and built-in settings, row_security, a non-constant is_local', () => {
  for (const text of [
    "SELECT set_config('app.tenant_id', 'x', true);",
    "SELECT set_config('app.tenant_id', 'x', 'on');",
    'SET LOCAL app.tenant_id = 1;',
    "SELECT set_config('app.tenant_id', '', false);",
    "SET app.tenant_id = '';",
    'SET app.tenant_id TO DEFAULT;',
    'RESET app.tenant_id;',
    "SET pg_stat_statements.track = 'all';",
    "SELECT set_config('auto_explain.log_min_duration', '10', false);",
    "SELECT pg_catalog.set_config('supabase.ignore_dup_table_warning', 'true', false);",
    "SET search_path = public;",
    'SET row_security = off;',
    "CREATE FUNCTION f(v text, l boolean) RETURNS text LANGUAGE sql AS $$ SELECT set_config('app.x', v, l) $$;",
    "CREATE FUNCTION f(v text) RETURNS void LANGUAGE plpgsql AS $$ BEGIN SET LOCAL app.x = 'a'; PERFORM set_config('app.x', v, true); END $$;",
  ]) {
    assert.equal(lintFiles([{ file: 'm.sql', text }], ID).mine.length, 0, text);
  }
  // SET SESSION and a session SET inside a function body are reported
  for (const text of ["SET SESSION app.tenant_id = 'a';", "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN SET app.x = 'a'; END $$;"]) {
    const { mine, ws } = lintFiles([{ file: 'm.sql', text }], ID);
    assert.equal(mine.length, 1, text);
    assert.match(sqlOf(applyFix(ws, mine[0]!)), /SET LOCAL app\./);
  }
});

test('ok (message): a session-level flag that names no tenant or user (app.bypass_audit) is said to carry over, not to leak an id; a tenant setting is', async () => {
  const fn = (setting: string) => `-- « naïve » 日本語 😀
CREATE FUNCTION set_flag(v boolean) RETURNS void LANGUAGE plpgsql AS $$
BEGIN PERFORM set_config('${setting}', v::text, false); END $$;`;
  const flag = lintFiles([{ file: 'm.sql', text: fn('app.bypass_audit') }], ID).mine;
  assert.equal(flag.length, 1);
  assert.match(flag[0]!.message, /the next client's queries run with this request's app\.bypass_audit\. /);
  assert.doesNotMatch(flag[0]!.message, /tenant or user id/);
  const tenant = lintFiles([{ file: 'm.sql', text: fn('app.tenant_id') }], ID).mine;
  assert.match(tenant[0]!.message, /run with this request's app\.tenant_id \(a tenant or user id leaks across requests\)\. /);
  // (what the message says of the flag, on PostgreSQL: after COMMIT the next transaction still reads it)
  const db: PGlite = await freshDb();
  const q = queryFn(db);
  await q(`${fn('app.bypass_audit')}; BEGIN; SELECT set_flag(true); COMMIT`);
  assert.equal((await q(`SELECT current_setting('app.bypass_audit', true) AS v`))[0]!.v, 'true');
});

test('ok: a logout that sets the nil uuid session-wide is not reported: made transaction-local it would bring the logged-in tenant back after COMMIT', async () => {
  const clear = `CREATE FUNCTION set_tenant(tid uuid) RETURNS void LANGUAGE sql AS $$ SELECT set_config('app.tenant_id', tid::text, false) $$;
CREATE FUNCTION end_session() RETURNS void LANGUAGE sql AS $$ SELECT set_config('app.tenant_id', '00000000-0000-0000-0000-000000000000', false) $$;`;
  const { ws, mine } = lintFiles([{ file: '1.sql', text: `${INVOICES}\n${clear}` }], ID);
  assert.deepEqual(mine.map((f) => textAt(ws, f)), ["set_config('app.tenant_id', tid::text, false)"]);
  const session = `BEGIN; SET LOCAL ROLE authenticated; SELECT set_tenant('${TENANT_A}'); COMMIT;`;
  // as written: after the logout the next request reads the nil uuid and sees nothing
  assert.deepEqual(await scenario(clear, `${session} BEGIN; SELECT end_session(); COMMIT;`), { setting: '00000000-0000-0000-0000-000000000000', rows: 0 });
  // made transaction-local (the rule's fix), the logout ends with its transaction: tenant A is back
  const local = clear.replace("'00000000-0000-0000-0000-000000000000', false", "'00000000-0000-0000-0000-000000000000', true");
  assert.deepEqual(await scenario(local, `${session} BEGIN; SELECT end_session(); COMMIT;`), { setting: TENANT_A, rows: 1 });
});

// Calibration (cal137, ADAM): its first migration runs `SET adam.user_attributes = '{}'`, which
// was said to leak "this request's adam.user_attributes (a tenant or user id …)": '{}' is the
// attributes of no one, a clear, as '' and the nil uuid are.
test("ok: a session-wide write of an empty JSON object or array ('{}', '[]') clears the setting: not reported; PGlite: the next transaction reads it and gets no attribute, while made transaction-local it would bring the earlier session's attributes back after COMMIT", async () => {
  for (const text of [
    "SET adam.user_attributes = '{}';",
    "SELECT set_config('app.claims', '[]', false);",
    "SELECT set_config('app.claims', '{ }'::text, false);",
    "CREATE FUNCTION end_session() RETURNS void LANGUAGE sql AS $$ SELECT set_config('app.user_attributes', '{}', false) $$;",
  ]) {
    assert.equal(lintFiles([{ file: 'm.sql', text }], ID).mine.length, 0, text);
  }
  // (a constant carrying something is still reported)
  assert.equal(lintFiles([{ file: 'm.sql', text: `SET app.user_attributes = '{"role": "admin"}';` }], ID).mine.length, 1);
  const db: PGlite = await freshDb();
  const q = queryFn(db);
  const role = async () => (await q(`SELECT current_setting('app.user_attributes', true)::jsonb ->> 'role' AS v`))[0]!.v as string | null;
  await q(`SELECT set_config('app.user_attributes', '{"role": "admin"}', false)`);
  await q(`BEGIN; SET app.user_attributes = '{}'; COMMIT`);
  assert.equal(await role(), null, 'as written: the next transaction gets no attribute');
  await q(`SELECT set_config('app.user_attributes', '{"role": "admin"}', false)`);
  await q(`BEGIN; SET LOCAL app.user_attributes = '{}'; COMMIT`);
  assert.equal(await role(), 'admin', "made LOCAL: the earlier session's attributes are back");
});

test("err: as pg_dump writes it, set_config('app.tenant_id'::text, …, false), the leak is the same: reported, and fixed", async () => {
  const sql = "CREATE FUNCTION public.set_tenant(tid uuid) RETURNS void LANGUAGE sql AS $$ SELECT set_config('app.tenant_id'::text, (tid)::text, false) $$;\n";
  const { ws, mine } = lintFiles([{ file: 'schema.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), "set_config('app.tenant_id'::text, (tid)::text, false)");
  const fixed = applyFix(ws, mine[0]!);
  assert.equal(findingsOf(fixed, ID).length, 0);
  const request = `BEGIN; SET LOCAL ROLE authenticated; SELECT set_tenant('${TENANT_A}'); COMMIT;`;
  assert.deepEqual(await scenario(sqlOf(ws), request), { setting: TENANT_A, rows: 1 });
  assert.deepEqual(await scenario(sqlOf(fixed), request), { setting: '', rows: 0 });
});

test('ok: a function a later migration replaces with set_config(…, true) (or drops) no longer sets anything for the session', () => {
  const leaky = "CREATE FUNCTION app_set_user(id uuid) RETURNS void LANGUAGE plpgsql AS $$ BEGIN PERFORM set_config('app.current_user', id::text, false); END $$;\n";
  const fixed = "CREATE OR REPLACE FUNCTION app_set_user(id uuid) RETURNS void LANGUAGE plpgsql AS $$ BEGIN PERFORM set_config('app.current_user', id::text, true); END $$;\n";
  assert.equal(lintFiles([{ file: '019_fn.sql', text: leaky }], ID).mine.length, 1);
  assert.equal(lintFiles([{ file: '019_fn.sql', text: leaky }, { file: '024_fix.sql', text: fixed }], ID).mine.length, 0);
  assert.equal(lintFiles([{ file: '019_fn.sql', text: leaky }, { file: '025_drop.sql', text: 'DROP FUNCTION app_set_user(uuid);\n' }], ID).mine.length, 0);
  // (replaced by the same leaky text elsewhere: the new definition is reported, once)
  const again = lintFiles([{ file: '019_fn.sql', text: leaky }, { file: '030_again.sql', text: leaky.replace('CREATE', 'CREATE OR REPLACE') }], ID).mine;
  assert.deepEqual(again.map((f) => f.file), ['030_again.sql']);
});

test("ok/err: a function that clears the setting for the session before it returns, whatever path it takes (Delibrium's check_login), leaves only '' behind: not reported; a clear under an IF, after a RETURN or made LOCAL leaves the tenant: reported", async () => {
  const fn = (body: string) => `CREATE FUNCTION check_login(tid uuid) RETURNS int LANGUAGE plpgsql AS $$
DECLARE n int;
BEGIN
  ${body}
  RETURN n;
END $$;`;
  const cleared = fn(`SET app.tenant_id TO 'x'; PERFORM set_config('app.tenant_id', tid::text, false);
  IF tid IS NOT NULL THEN SELECT count(*) INTO n FROM pg_class; END IF;
  SET app.tenant_id TO '';`);
  assert.equal(lintFiles([{ file: 'm.sql', text: cleared }], ID).mine.length, 0);
  assert.deepEqual(await scenario(cleared, `SELECT check_login('${TENANT_A}')`), { setting: '', rows: 0 });
  const reset = cleared.replace("SET app.tenant_id TO '';", 'RESET app.tenant_id;');
  assert.equal(lintFiles([{ file: 'm.sql', text: reset }], ID).mine.length, 0, 'RESET');
  const underIf = fn(`PERFORM set_config('app.tenant_id', tid::text, false);
  IF tid IS NULL THEN SET app.tenant_id TO ''; END IF;`);
  assert.equal(lintFiles([{ file: 'm.sql', text: underIf }], ID).mine.length, 1, 'a clear under an IF');
  assert.deepEqual(await scenario(underIf, `SELECT check_login('${TENANT_A}')`), { setting: TENANT_A, rows: 1 });
  const early = fn(`PERFORM set_config('app.tenant_id', tid::text, false);
  IF tid IS NOT NULL THEN RETURN 1; END IF;
  SET app.tenant_id TO '';`);
  assert.equal(lintFiles([{ file: 'm.sql', text: early }], ID).mine.length, 1, 'a RETURN before the clear');
  assert.deepEqual(await scenario(early, `SELECT check_login('${TENANT_A}')`), { setting: TENANT_A, rows: 1 });
  const local = fn(`PERFORM set_config('app.tenant_id', tid::text, false);
  SET LOCAL app.tenant_id TO '';`);
  assert.equal(lintFiles([{ file: 'm.sql', text: local }], ID).mine.length, 1, 'a LOCAL clear');
  assert.deepEqual(await scenario(local, `BEGIN; SELECT check_login('${TENANT_A}'); COMMIT;`), { setting: TENANT_A, rows: 1 }, 'at COMMIT the session value comes back');
});

test("err (message): a session-level setter of its own argument that any role may call (we-community's set_current_company_context): a caller picks another tenant for the connection, and their next request reads that tenant's rows; revoked from PUBLIC and granted to no role subject to RLS, or setting no argument, the message does not say so", async () => {
  const setter = `CREATE FUNCTION public.set_tenant(p_tenant uuid) RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  PERFORM set_config('app.tenant_id', p_tenant::text, false);
END $$;`;
  const { mine } = lintFiles([{ file: 'db/1.sql', text: `${INVOICES}\n${setter}` }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /And the value is the function's argument: whoever may call public\.set_tenant\(uuid\) \(every role: PUBLIC holds EXECUTE on a function unless it is revoked\) chooses it/);
  assert.match(mine[0]!.message, /Check in the function that the caller may act for the value they pass before setting it/);
  // (a user of tenant A, in a request of their own, picks B; their next request reads B's invoice)
  const seen = await scenario(setter, `BEGIN; SET LOCAL ROLE authenticated; SELECT public.set_tenant('${TENANT_B}'); COMMIT;`);
  assert.deepEqual(seen, { setting: TENANT_B, rows: 1 });
  const quiet = [
    `CREATE ROLE service_role BYPASSRLS;\n${setter}\nREVOKE EXECUTE ON FUNCTION public.set_tenant(uuid) FROM PUBLIC;\nGRANT EXECUTE ON FUNCTION public.set_tenant(uuid) TO service_role;`,
    setter.replace('p_tenant::text', "(SELECT tenant_id::text FROM invoices LIMIT 1)"),
  ];
  for (const text of quiet) {
    const r = lintFiles([{ file: 'db/1.sql', text: `${INVOICES}\n${text}` }], ID).mine;
    assert.equal(r.length, 1, text);
    assert.doesNotMatch(r[0]!.message, /whoever may call/, text);
  }
});

test("ok: a setting the migrations' scripts use to pass a psql variable into their own DO blocks, read by no policy, view, function or default (OreStudio's setup scripts: `select set_config('ores.cur_user', :'iam_service_user', false)` then a DO block creating that user), is not a request's context: not reported; read by a policy (or a function) as well, or by nothing in the workspace, it is; PGlite: the DO block of the next statement reads the session value, and made transaction-local as the fix would make it, it reads '' and fails", async () => {
  const script = `select set_config('ores.cur_user', 'ores_iam_svc', false);
do $$ begin
    if not exists (select 1 from pg_roles where rolname = current_setting('ores.cur_user')) then
        execute format('create role %I', current_setting('ores.cur_user')); end if; end $$;
`;
  assert.equal(lintFiles([{ file: 'projects/ores.sql/create/iam/service_users_create.sql', text: script }], ID).mine.length, 0);
  const reported = (extra: string) => lintFiles([{ file: 'setup.sql', text: script + extra }], ID).mine.length;
  // read where a later request's query runs it: a policy, a function, a DO block's dynamic CREATE POLICY
  const table = 'CREATE TABLE notes (id int PRIMARY KEY, author text NOT NULL);\nALTER TABLE notes ENABLE ROW LEVEL SECURITY;\n';
  assert.equal(reported(`${table}CREATE POLICY own ON notes USING (author = current_setting('ores.cur_user', true));\n`), 1, 'a policy reads it');
  assert.equal(reported("CREATE FUNCTION cur() RETURNS text LANGUAGE sql STABLE AS $$ SELECT current_setting('ores.cur_user', true) $$;\n"), 1, 'a function reads it');
  assert.equal(reported(`${table}DO $$ BEGIN EXECUTE 'CREATE POLICY own ON notes USING (author = current_setting(''ores.cur_user'', true))'; END $$;\n`), 1, "a DO block's dynamic policy reads it");
  // read by nothing the workspace holds (the application's queries may): still reported
  assert.equal(lintFiles([{ file: 'setup.sql', text: "select set_config('ores.cur_user', 'ores_iam_svc', false);\n" }], ID).mine.length, 1);
  // (a function's own write is made for requests, whoever reads it)
  assert.equal(lintFiles([{ file: 'setup.sql', text: `CREATE FUNCTION set_cur(u text) RETURNS void LANGUAGE sql AS $$ SELECT set_config('ores.cur_user', u, false) $$;\n${script}` }], ID).mine.length, 1);

  shared ??= await freshDb();
  const q = queryFn(shared);
  await q('DISCARD ALL');
  // psql in autocommit mode: each statement is its own transaction
  await q("select set_config('ores.cur_user', 'ores_cal_svc_a', false)");
  await q("do $$ begin execute format('create role %I', current_setting('ores.cur_user')); end $$");
  assert.deepEqual(await q("SELECT rolname FROM pg_roles WHERE rolname = 'ores_cal_svc_a'"), [{ rolname: 'ores_cal_svc_a' }], 'the DO block read the session value');
  await q('DISCARD ALL');
  await q("select set_config('ores.cur_user', 'ores_cal_svc_b', true)");
  let code: string | undefined;
  try {
    await q("do $$ begin execute format('create role %I', current_setting('ores.cur_user')); end $$");
  } catch (e) {
    code = (e as { code?: string }).code;
  }
  assert.equal(code, '42601', 'transaction-local, the value is gone (\'\') when the DO block runs: zero-length delimited identifier');
  await q('DROP ROLE ores_cal_svc_a');
});

/** A request's admin switch set for the rest of the session (policy-setting-bypass's setting, set_config(…, false)). */
const ENABLE_ADMIN_MODE = `CREATE FUNCTION enable_admin_mode() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('app.bypass_rls', 'true', false);
END $$;`;

test('err (message): a setting a policy reads as a switch (policy-setting-bypass): the message says what its session-level value opens; the next request reads every invoice', async () => {
  const sql = `CREATE POLICY invoices_bypass ON invoices FOR SELECT TO authenticated USING (current_setting('app.bypass_rls', true) = 'true');
${ENABLE_ADMIN_MODE}`;
  const { mine } = lintFiles([{ file: 'migrations/001.sql', text: `${INVOICES}\n${sql}` }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /run with this request's app\.bypass_rls — and while it holds 'true', policy "invoices_bypass" on public\.invoices admits every row \(policy-setting-bypass\): that client then reads every row of public\.invoices\. /);
  const next = await scenario(sql, 'BEGIN; SET LOCAL ROLE authenticated; SELECT enable_admin_mode(); COMMIT;');
  assert.equal(next.rows, 2, "both tenants' invoices, with no tenant set");
});

test('err (message): a switch in a policy for DELETE only: the message says the next client\'s DELETE reaches every row, not that it reads them; PGlite: its DELETE removes both tenants\' invoices', async () => {
  const sql = `CREATE POLICY invoices_purge ON invoices FOR DELETE TO authenticated USING (current_setting('app.bypass_rls', true) = 'true');
GRANT DELETE ON invoices TO authenticated;
${ENABLE_ADMIN_MODE}`;
  const { mine } = lintFiles([{ file: 'migrations/001.sql', text: `${INVOICES}\n${sql}` }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /policy "invoices_purge" on public\.invoices admits every row \(policy-setting-bypass\): that client's DELETE then reaches every row of public\.invoices\. /);
  assert.doesNotMatch(mine[0]!.message, /reads every row/);
  const next = await scenario(sql, 'BEGIN; SET LOCAL ROLE authenticated; SELECT enable_admin_mode(); COMMIT;');
  assert.equal(next.rows, 0, 'it reads nothing: no SELECT policy admits a row without a tenant');
  const q = queryFn(shared!);
  await q('BEGIN; SET LOCAL ROLE authenticated');
  assert.equal((await q('WITH d AS (DELETE FROM invoices RETURNING 1) SELECT count(*)::int AS n FROM d'))[0]!.n, 2);
  await q('ROLLBACK');
});

test("err: a wrapper of set_config taking the setting's name from its argument (Anu062004/AleoJob's public.set_config(setting_name, setting_value), set_config(…, false)), callable by the request role, where a policy reads a custom setting: reported; PGlite: authenticated sets app.tenant_id to tenant B through it, reads B's invoice, and the next request on the connection still does", async () => {
  const wrapper = `CREATE OR REPLACE FUNCTION set_config(setting_name text, setting_value text) RETURNS void AS $$
BEGIN
  PERFORM set_config(setting_name, setting_value, false);
END;
$$ LANGUAGE plpgsql;
`;
  const { ws, mine } = lintFiles([{ file: 'migrations/1_invoices.sql', text: INVOICES }, { file: 'migrations/2_set_config.sql', text: wrapper }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'set_config(setting_name, setting_value, false)');
  assert.match(
    mine[0]!.message,
    /^set_config\(setting_name, …\) in function public\.set_config\(text, text\) sets whichever setting its caller names, for the rest of the session: whoever may call it \(every role: PUBLIC holds EXECUTE on a function unless it is revoked\) can set app\.tenant_id, which the policies read, to any value\. Policy "invoices_tenant" on public\.invoices reads app\.tenant_id: the rows it admits for a value \(another user's or tenant's\) are then the caller's for the asking;/,
  );
  assert.match(mine[0]!.message, /REVOKE EXECUTE ON FUNCTION public\.set_config\(text, text\) FROM PUBLIC\)\.$/);
  // (transaction-local by a constant: what remains is the caller's choice of value, not a session leak; a name checked against a list: left alone; no policy reading a setting: nothing to set)
  assert.equal(lintFiles([{ file: 'migrations/1_invoices.sql', text: INVOICES }, { file: 'migrations/2_set_config.sql', text: wrapper.replace('setting_value, false)', 'setting_value, true)') }], ID).mine.length, 0);
  const checked = wrapper.replace('BEGIN\n', "BEGIN\n  IF setting_name NOT IN ('app.locale') THEN RAISE EXCEPTION 'not allowed'; END IF;\n");
  assert.equal(lintFiles([{ file: 'migrations/1_invoices.sql', text: INVOICES }, { file: 'migrations/2_set_config.sql', text: checked }], ID).mine.length, 0);
  assert.equal(lintFiles([{ file: 'migrations/2_set_config.sql', text: wrapper }], ID).mine.length, 0);
  const next = await scenario(wrapper, `BEGIN; SET LOCAL ROLE authenticated; SELECT public.set_config('app.tenant_id', '${TENANT_B}'); COMMIT`);
  assert.deepEqual(next, { setting: TENANT_B, rows: 1 }, "B's invoice, in the next request too");
});
