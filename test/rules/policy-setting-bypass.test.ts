// policy-setting-bypass on PostgreSQL (PGlite): a custom setting is not a privilege. A role with
// nothing but SELECT and INSERT on a table sets app.bypass_rls itself (SET, set_config()), after
// REVOKE SET ON PARAMETER … FROM PUBLIC too, and then reads and writes every tenant's rows
// through the policy's switch branch.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, count, getDb, inRollback, type Q } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintFiles, sqlOf, TENANT_A, TENANT_B, textAt, validExampleRuns } from '../helpers/rule-proof.js';

const ID = 'policy-setting-bypass';
before(initParser);
after(closeAll);

const TENANT_C = '00000000-0000-0000-0000-00000000000c';

test('err: a switch branch: app_user sets app.bypass_rls itself (no privilege, REVOKE SET ON PARAMETER changes nothing) and reads and writes every tenant', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'current_setting');
  assert.match(
    finding.message,
    /^Policy "tenant_isolation" on public\.orders admits every row for SELECT, INSERT, UPDATE and DELETE when the session sets app\.bypass_rls = 'on' \(`\(select current_setting\('app\.bypass_rls', true\)\) = 'on'`, a branch of its OR\): a custom setting is not a privilege\. Any role may SET it or call set_config\(\) on it/,
  );
  assert.match(finding.message, /any SQL that runs as app_user turns this table's row-level security off for itself/);
  assert.equal(finding.fixes.length, 1);
  assert.equal(finding.fixes[0]!.kind, 'unsafe');
  assert.match(finding.fixes[0]!.title, /^Drop the branch \(select current_setting\('app\.bypass_rls', true\)\) = 'on'; code that must see every row then connects as a login role with BYPASSRLS \(snippet rls-admin-role\)$/);
  const fixed = applyFix(ws, finding);
  assert.equal(findingsOf(fixed, ID).length, 0, 'the fix re-lints clean');
  assert.match(sqlOf(fixed), /USING \(tenant_id = \(select nullif\(current_setting\('app\.tenant_id', true\), ''\)::uuid\)\);/);
  await inRollback(await getDb(), async (q: Q) => {
    await q(sqlOf(fixed));
    await q(`INSERT INTO orders VALUES (1, '${TENANT_A}', 10), (2, '${TENANT_B}', 20)`);
    await q('SET ROLE app_user');
    await q(`SET app.tenant_id = '${TENANT_A}'`);
    await q(`SET app.bypass_rls = 'on'`);
    assert.equal(await count(q, 'orders'), 1, 'fixed: the switch opens nothing');
    await q('RESET ROLE');
  });
  await inRollback(await getDb(), async (q: Q) => {
    await q(sqlOf(ws));
    await q(`INSERT INTO orders VALUES (1, '${TENANT_A}', 10), (2, '${TENANT_B}', 20), (3, '${TENANT_C}', 30)`);
    // (what an operator might try: accepted, and nothing is recorded — a custom setting has no ACL to revoke from)
    await q(`REVOKE SET ON PARAMETER "app.bypass_rls" FROM PUBLIC`);
    assert.deepEqual(await q(`SELECT * FROM pg_parameter_acl`), []);
    await q('SET ROLE app_user');
    await q(`SET app.tenant_id = '${TENANT_A}'`);
    assert.equal(await count(q, 'orders'), 1, 'its own tenant');
    await q(`SET app.bypass_rls = 'on'`);
    assert.equal(await count(q, 'orders'), 3, 'every tenant, after a SET no privilege allowed or could deny');
    await q(`INSERT INTO orders VALUES (4, '${TENANT_B}', 40)`);
    await q('RESET ROLE');
    assert.equal(await count(q, `orders WHERE tenant_id = '${TENANT_B}'`), 2, "a row written into another tenant's orders");
  });
});

test('err: a policy that is only the switch (set_config, as application code writes it): every row', async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.match(finding.message, /^Policy "invoices_service_bypass" on public\.invoices admits every row for SELECT when the session sets app\.bypass_rls = 'true' \(the policy's whole condition\)/);
  assert.match(finding.fixes[0]!.title, /^Remove policy "invoices_service_bypass" \(it admits rows through the switch alone\)/);
  const fixed = applyFix(ws, finding);
  assert.equal(findingsOf(fixed, ID).length, 0, 'the fix re-lints clean');
  assert.doesNotMatch(sqlOf(fixed), /invoices_service_bypass/);
  await inRollback(await getDb(), async (q: Q) => {
    await q(sqlOf(fixed));
    await q(`INSERT INTO invoices VALUES (1, '${TENANT_A}'), (2, '${TENANT_B}')`);
    await q('SET ROLE app_user');
    await q(`SELECT set_config('app.tenant_id', '${TENANT_A}', false), set_config('app.bypass_rls', 'true', false)`);
    assert.equal(await count(q, 'invoices'), 1, 'fixed: the switch opens nothing');
    await q('RESET ROLE');
  });
  await inRollback(await getDb(), async (q: Q) => {
    await q(sqlOf(ws));
    await q(`INSERT INTO invoices VALUES (1, '${TENANT_A}'), (2, '${TENANT_B}')`);
    await q('SET ROLE app_user');
    await q(`SELECT set_config('app.tenant_id', '${TENANT_A}', false)`);
    assert.equal(await count(q, 'invoices'), 1);
    await q(`SELECT set_config('app.bypass_rls', 'true', false)`);
    assert.equal(await count(q, 'invoices'), 2);
    await q('RESET ROLE');
  });
});

test('err: a helper that only returns the switch (LANGUAGE sql): reported at its call; ::boolean reads any true text', async () => {
  const text = `CREATE ROLE app_user NOLOGIN;
CREATE TABLE notes (id int PRIMARY KEY, tenant_id uuid NOT NULL);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON notes TO app_user;
CREATE FUNCTION is_super_admin() RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT coalesce(nullif(current_setting('app.is_super_admin', true), ''), 'off')::boolean $$;
CREATE POLICY notes_read ON notes FOR SELECT TO app_user USING (is_super_admin() OR tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));`;
  const { ws, mine } = lintFiles([{ file: 'm.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'is_super_admin');
  assert.match(mine[0]!.message, /sets app\.is_super_admin = 'on' \(`is_super_admin\(\)`, a branch of its OR\)/);
  await inRollback(await getDb(), async (q: Q) => {
    await q(text);
    await q(`INSERT INTO notes VALUES (1, '${TENANT_A}'), (2, '${TENANT_B}')`);
    await q('SET ROLE app_user');
    assert.equal(await count(q, 'notes'), 0);
    await q(`SET app.is_super_admin = 'yes'`);
    assert.equal(await count(q, 'notes'), 2);
    await q('RESET ROLE');
  });
});

test('ok and err: the forms of a switch, and what is not one', () => {
  const base = `CREATE ROLE app_user NOLOGIN; CREATE ROLE app_admin NOLOGIN BYPASSRLS;
CREATE TABLE t (id int PRIMARY KEY, tenant_id uuid, kind text); ALTER TABLE t ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON t TO app_user;`;
  const lint = (e: string, head = 'FOR SELECT TO app_user') => lintFiles([{ file: 'm.sql', text: `${base}\nCREATE POLICY p ON t ${head} USING (${e});` }], ID).mine;
  const tenant = "tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid";
  for (const e of [
    `current_setting('app.bypass_rls', true) = 'on' OR ${tenant}`,
    `${tenant} OR 'true' = current_setting('app.bypass_rls', true)`,
    `coalesce(current_setting('app.bypass_rls', true), '') = 'on' OR ${tenant}`,
    `lower(current_setting('app.bypass_rls', true)) IN ('on', 'true') OR ${tenant}`,
    `current_setting('app.bypass_rls', true)::boolean OR ${tenant}`,
    `nullif(current_setting('app.bypass_rls', true), '')::boolean IS TRUE OR ${tenant}`,
    `current_setting('app.bypass_rls', true)::boolean = true OR ${tenant}`,
    `(select current_setting('app.bypass_rls', true)::text) = 'on' OR ${tenant}`,
    `(current_setting('app.mode', true) = 'system' AND current_setting('app.trusted', true) = '1') OR ${tenant}`,
    `${tenant} OR (kind = 'x' OR current_setting('app.user_role', true) = 'admin')`,
    `pg_catalog.current_setting('app.bypass') = 'yes'`,
  ])
    assert.equal(lint(e).length, 1, e);
  for (const e of [
    tenant,
    // (the unset context: policy-context-fails-open's)
    `current_setting('app.tenant_id', true) IS NULL OR ${tenant}`,
    `current_setting('app.tenant_id', true) = '' OR ${tenant}`,
    // (a condition on the row too)
    `(current_setting('app.user_role', true) = 'admin' AND kind = 'public') OR ${tenant}`,
    // (request settings a server sets from what it verified)
    `current_setting('request.jwt.claim.role', true) = 'admin' OR ${tenant}`,
    `current_setting('jwt.claims.role', true) = 'admin' OR ${tenant}`,
    // (built-in settings: read-only, or not a switch of the application's)
    `current_setting('is_superuser') = 'on' OR ${tenant}`,
  ])
    assert.equal(lint(e).length, 0, e);
  assert.equal(lint(`current_setting('app.bypass_rls', true) = 'on' OR ${tenant}`, 'AS RESTRICTIVE FOR SELECT TO app_user').length, 0, 'restrictive');
  assert.equal(lint(`current_setting('app.bypass_rls', true) = 'on' OR ${tenant}`, 'FOR SELECT TO app_admin').length, 0, 'a role with BYPASSRLS');
  const all = lint(`current_setting('app.bypass_rls', true) = 'on' OR ${tenant}`, 'FOR UPDATE TO app_user');
  assert.match(all[0]!.message, /admits every row for UPDATE \(old and new rows\) when/);
  assert.match(lint(`current_setting('app.bypass_rls', true) = 'on'`, '')[0]!.message, /as any role \(the policy has no TO, or TO PUBLIC\)/);
});

test("ok: on Supabase, a policy for its API roles (a client of the API cannot run SET); a role of the project's own is still reported", () => {
  const text = (roles: string) => `CREATE ROLE reporting NOLOGIN;
CREATE TABLE public.t (id int PRIMARY KEY, owner_id uuid); ALTER TABLE public.t ENABLE ROW LEVEL SECURITY;
CREATE POLICY p ON public.t FOR SELECT TO ${roles} USING (current_setting('app.bypass_rls', true) = 'on' OR owner_id = (select auth.uid()));`;
  const lint = (roles: string) => lintFiles([{ file: 'supabase/migrations/20240101000000_t.sql', text: text(roles) }], ID).mine;
  assert.equal(lint('authenticated').length, 0);
  assert.equal(lint('anon, authenticated').length, 0);
  assert.equal(lint('public').length, 0);
  assert.equal(lint('reporting').length, 1);
});

test('ok: the Valid examples give no finding and run', async () => {
  await validExampleRuns(ID, 0);
  await validExampleRuns(ID, 1);
});

test('err (message): beside a tenant setting the policy also reads, the message says what the switch adds: every row at once, not one tenant', () => {
  const text = `CREATE ROLE app_user NOLOGIN;
CREATE TABLE t (id int PRIMARY KEY, tenant_id uuid); ALTER TABLE t ENABLE ROW LEVEL SECURITY;
CREATE POLICY p ON t FOR SELECT TO app_user USING (tenant_id = nullif(current_setting('app.current_tenant_id', true), '')::uuid OR current_setting('app.bypass_rls', true) = 'on');
CREATE POLICY q ON t FOR DELETE TO app_user USING (current_setting('app.bypass_rls', true) = 'on');`;
  const { mine } = lintFiles([{ file: 'm.sql', text }], ID);
  assert.match(mine[0]!.message, /The app\.current_tenant_id setting the policy also reads is set the same way, but a wrong or leaked value of it opens one tenant's rows; this one opens every row at once\. Give/);
  assert.doesNotMatch(mine[1]!.message, /also reads/);
});
