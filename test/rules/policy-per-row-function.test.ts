// policy-per-row-function on PostgreSQL (PGlite): a row-independent call in USING outside a
// sub-select is evaluated in the scan's Filter for every row (a counting helper is called once
// per row); wrapped in (select …) it becomes an InitPlan evaluated once, with the same rows.
// The fix is withheld exactly where the sub-select would make the table's SELECT policies
// recursive (T31: the INSERT then fails with 42P17), and offered for UPDATE policies there.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { asOwner, closeAll, count, getDb, inRollback, type Q, tryQuery } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintDocExample, lintFiles, nestedParentheses, sqlOf, TENANT_A, TENANT_B, textAt } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';
import type { Workspace } from '../../server/src/engine/workspace.js';

const ID = 'policy-per-row-function';
before(initParser);
after(closeAll);

const ORG_A = '0000000a-0000-0000-0000-000000000000';

/** The plan of a query as the current role, sequential scans forced so the policy is a Filter. */
async function plan(q: Q, sql: string): Promise<string> {
  await q('SET LOCAL enable_indexscan = off; SET LOCAL enable_bitmapscan = off');
  return (await q(`EXPLAIN (COSTS OFF) ${sql}`)).map((r) => r['QUERY PLAN']).join('\n');
}

/** Runs the migrations, adds 200 rows (2 of them A's), acts as A. */
async function load(q: Q, sql: string, table: string, column: string, claims: Record<string, unknown> = {}): Promise<void> {
  await q(AUTH_STUB_SQL);
  await asOwner(q, sql);
  const cols = table === 'documents' ? '(id, owner_id)' : table === 'invoices' ? '(id, tenant_id)' : '(id, org_id)';
  const mine = table === 'projects' ? ORG_A : TENANT_A;
  await q(`INSERT INTO ${table} ${cols} SELECT g, CASE WHEN g % 100 = 0 THEN '${mine}'::uuid ELSE gen_random_uuid() END FROM generate_series(1, 200) g`);
  await q(`GRANT SELECT ON ${table} TO authenticated`);
  await q(actAs(TENANT_A, claims));
  await q(`SELECT set_config('app.tenant_id', '${TENANT_A}', true)`);
  await q('SET ROLE authenticated');
  void column;
}

for (const [n, table, column, claims] of [
  [0, 'documents', 'owner_id', {}],
  [1, 'invoices', 'tenant_id', {}],
  [2, 'projects', 'org_id', { app_metadata: { org_id: ORG_A } }],
] as const) {
  test(`err: Invalid example ${n + 1}: the call sits in the per-row Filter; fixed, an InitPlan computes it once and the rows are the same`, async () => {
    const { ws, finding } = invalidFinding(ID, n);
    assert.match(finding.message, /in its USING outside any sub-select: its value is the same for every row, but PostgreSQL evaluates it again for each row a scan filters/);
    // (the sub-select in backticks: not a parenthesis of the prose inside another — LanternOps/breeze)
    assert.match(finding.message, /Wrapped in a scalar sub-select, `\(select [\w.]+\((?:…)?\)\)`, it is evaluated once per statement as an InitPlan/);
    assert.equal(nestedParentheses(finding.message), undefined);
    assert.match(textAt(ws, finding), /^(auth\.uid|current_tenant|auth\.jwt)$/);
    assert.equal(finding.fixes[0]!.kind, 'safe');
    const fixed = applyFix(ws, finding);
    assert.equal(findingsOf(fixed, ID).length, 0);
    const db = await getDb();
    let before = 0;
    await inRollback(db, async (q) => {
      await load(q, sqlOf(ws), table, column, claims);
      const p = await plan(q, `SELECT * FROM ${table}`);
      assert.match(p, new RegExp(`Seq Scan on ${table}\\n\\s+Filter: \\(${column} = .*current_setting\\('request\\.jwt|app\\.tenant_id`), p);
      assert.doesNotMatch(p, /InitPlan/, p);
      before = await count(q, table);
      assert.equal(before, 2);
    });
    await inRollback(db, async (q) => {
      await load(q, sqlOf(fixed), table, column, claims);
      const p = await plan(q, `SELECT * FROM ${table}`);
      assert.match(p, /Filter: \(.*\(InitPlan 1\)\.col1/, p);
      assert.match(p, /InitPlan 1\n\s+->  Result/, p);
      assert.doesNotMatch(p.split('InitPlan 1\n')[0]!, /current_setting/, 'the Filter no longer evaluates the call');
      assert.equal(await count(q, table), before);
    });
  });
}

/** documents with a STABLE plpgsql helper that counts its calls (a sequence), called in the policy's USING. */
const COUNTED = `CREATE SEQUENCE uid_calls;
CREATE FUNCTION counted_uid() RETURNS uuid LANGUAGE plpgsql STABLE AS $$
BEGIN
  PERFORM nextval('uid_calls');
  RETURN auth.uid();
END $$;
CREATE TABLE documents (id bigint PRIMARY KEY, owner_id uuid NOT NULL, body text);
CREATE INDEX ON documents (owner_id);
ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE documents FORCE ROW LEVEL SECURITY;
CREATE POLICY documents_own ON documents FOR SELECT TO authenticated
  USING (owner_id = counted_uid());`;

/** Runs `text` (COUNTED's shape) with 200 rows, 2 of them A's, and counts as A: rows seen, helper calls, then the plan. */
async function countedCalls(text: string, prelude = ''): Promise<{ n: number; v: number; p: string }> {
  return inRollback(await getDb(), async (q) => {
    if (prelude) await q(prelude);
    await load(q, text, 'documents', 'owner_id');
    await q('RESET ROLE');
    await q('GRANT USAGE ON SEQUENCE uid_calls TO authenticated');
    await q('SET ROLE authenticated');
    await q('SET LOCAL enable_indexscan = off; SET LOCAL enable_bitmapscan = off');
    const n = await count(q, 'documents');
    await q('RESET ROLE');
    const [{ v }] = (await q(`SELECT CASE WHEN is_called THEN last_value::int ELSE 0 END AS v FROM uid_calls`)) as Array<{ v: number }>;
    await q('SET ROLE authenticated');
    // (after the count: planning the EXPLAIN calls the helper once more, to estimate)
    const p = await plan(q, 'SELECT * FROM documents');
    return { n, v, p };
  });
}

/** Runs a fixed workspace's docs_owner policy on PGlite: its qual holds the wrapped setting, and authenticated with app.uid 2 sees one row. */
async function wrappedOwnerPolicyRuns(fixed: Workspace): Promise<void> {
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sqlOf(fixed));
    const [p] = await q(`SELECT qual FROM pg_policies WHERE tablename = 'docs' AND policyname = 'docs_owner'`);
    assert.match(p!.qual, /^\(owner = \(NULLIF\(\( SELECT current_setting\('app\.uid'::text, true\) AS current_setting\), ''::text\)\)::integer\)$/, p!.qual);
    await q(`SET ROLE authenticated; SELECT set_config('app.uid', '2', true)`);
    assert.equal(await count(q, 'public.docs'), 1);
  });
}
test('err: a counting STABLE plpgsql helper is called once per row before the fix and once per statement after', async () => {
  const linted = lintFiles([{ file: 'm.sql', text: COUNTED }], ID);
  assert.equal(linted.mine.length, 1);
  assert.match(linted.mine[0]!.message, /calls the STABLE function counted_uid\(\)/);
  const fixed = applyFix(linted.ws, linted.mine[0]!);
  // 200 rows: one call per row, plus one by the planner (it evaluates STABLE calls to estimate selectivity)
  const before = await countedCalls(COUNTED);
  assert.deepEqual({ n: before.n, v: before.v }, { n: 2, v: 201 }, 'once per row');
  assert.match(before.p, /Filter: \(owner_id = counted_uid\(\)\)/, before.p);
  const after = await countedCalls(sqlOf(fixed));
  assert.deepEqual({ n: after.n, v: after.v }, { n: 2, v: 1 }, 'once per statement');
});

/** COUNTED with its policy `counted_uid() IN (SELECT d.owner_id FROM documents_owners d …)`: `where` after the FROM. */
const countedIn = (where: string) =>
  COUNTED.replace('USING (owner_id = counted_uid());', `USING (counted_uid() IN (SELECT d.owner_id FROM documents_owners d${where}));`).replace(
    'CREATE TABLE documents (',
    'CREATE TABLE documents_owners (id bigint PRIMARY KEY, owner_id uuid NOT NULL);\nGRANT SELECT ON documents_owners TO authenticated;\nCREATE TABLE documents (',
  );

/** Runs `text` (countedIn's shape, documents_owners filled from documents as `owners` selects) with 200 rows: the plan, then rows seen and helper calls as A. */
async function countedInCalls(text: string, owners: string): Promise<{ n: number; v: number; p: string }> {
  return inRollback(await getDb(), async (q) => {
    await load(q, text, 'documents', 'owner_id');
    await q('RESET ROLE');
    await q(`INSERT INTO documents_owners SELECT id, owner_id FROM documents ${owners}`);
    await q('GRANT USAGE ON SEQUENCE uid_calls TO authenticated');
    await q('SET ROLE authenticated');
    const p = await plan(q, 'SELECT * FROM documents');
    await q('RESET ROLE');
    await q("SELECT setval('uid_calls', 1, false)");
    await q('SET ROLE authenticated');
    const n = await count(q, 'documents');
    await q('RESET ROLE');
    const [{ v }] = (await q('SELECT CASE WHEN is_called THEN last_value::int ELSE 0 END AS v FROM uid_calls')) as Array<{ v: number }>;
    return { n, v, p };
  });
}

for (const [what, where, owners, rows, filter] of [
  ["correlated (booking's `auth.uid() in (select user_id from membership where organization_id = id)`)", ' WHERE d.id = documents.id', '', 2, /Filter: \(ANY \(counted_uid\(\) = \(SubPlan 1\)/],
  ["uncorrelated: in a policy the test stays in the scan's Filter (a WHERE clause of that shape gets a One-Time Filter)", '', `WHERE owner_id = '${TENANT_A}'`, 200, /Filter: \(ANY \(counted_uid\(\) = \(hashed SubPlan 1\)/],
] as const) {
  test(`err: the left side of \`IN (SELECT …)\` is the outer query's, ${what}: called once per row; fixed, \`(select counted_uid()) IN (…)\` once per statement, the same rows`, async () => {
    const text = countedIn(where);
    const linted = lintFiles([{ file: 'm.sql', text }], ID);
    assert.equal(linted.mine.length, 1);
    assert.match(linted.mine[0]!.message, /calls the STABLE function counted_uid\(\)/);
    assert.match(textAt(linted.ws, linted.mine[0]!), /^counted_uid/);
    const fixed = applyFix(linted.ws, linted.mine[0]!);
    assert.match(sqlOf(fixed), /USING \(\(select counted_uid\(\)\) IN \(SELECT d\.owner_id/);
    assert.deepEqual(findingsOf(fixed, ID), []);
    const before = await countedInCalls(text, owners);
    assert.match(before.p, /^Seq Scan on documents\n/);
    assert.match(before.p, filter);
    assert.deepEqual({ n: before.n, v: before.v }, { n: rows, v: 200 }, 'once per row');
    const after = await countedInCalls(sqlOf(fixed), owners);
    assert.deepEqual({ n: after.n, v: after.v }, { n: rows, v: 1 }, 'once per statement');
  });
}

test('ok: beside a permissive USING (true) for the same command and roles, PostgreSQL folds `true OR …` and never calls the helper: not reported', async () => {
  const folded = `${COUNTED}\nCREATE POLICY documents_public ON documents FOR SELECT TO anon, authenticated USING (true);`;
  assert.equal(lintFiles([{ file: 'm.sql', text: folded }], ID).mine.length, 0);
  // not folded where the true policy leaves a command or a role out: UPDATE, or another role
  for (const other of [
    `${COUNTED.replace('FOR SELECT TO authenticated', 'FOR ALL TO authenticated').replace('counted_uid());', 'counted_uid()) WITH CHECK (true);')}\nCREATE POLICY documents_public ON documents FOR SELECT TO authenticated USING (true);`,
    `${COUNTED.replace('TO authenticated', 'TO authenticated, staff')}\nCREATE POLICY documents_public ON documents FOR SELECT TO authenticated USING (true);`,
    `${COUNTED}\nCREATE POLICY documents_public ON documents AS RESTRICTIVE FOR SELECT TO authenticated USING (true);`,
  ])
    assert.equal(lintFiles([{ file: 'm.sql', text: other }], ID).mine.length, 1, other);
  const beside = await countedCalls(folded);
  assert.deepEqual({ n: beside.n, v: beside.v }, { n: 200, v: 0 }, 'beside USING (true): every row, never called');
  assert.doesNotMatch(beside.p, /Filter/, beside.p);
});

const ORG_MEMBERS = `CREATE TABLE org_members (org_id uuid NOT NULL, user_id uuid NOT NULL, PRIMARY KEY (user_id, org_id));
CREATE INDEX ON org_members (org_id);
ALTER TABLE org_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE org_members FORCE ROW LEVEL SECURITY;
CREATE POLICY org_members_read ON org_members FOR SELECT TO authenticated
  USING (user_id = auth.uid());
CREATE POLICY org_members_update ON org_members FOR UPDATE TO authenticated
  USING (user_id = auth.uid());
CREATE POLICY org_members_invite ON org_members FOR INSERT TO authenticated
  WITH CHECK (EXISTS (SELECT 1 FROM org_members m WHERE m.org_id = org_members.org_id AND m.user_id = (select auth.uid())));`;

test('err: T31: no fix for the SELECT policy whose sub-select would make the INSERT recurse (42P17); the UPDATE policy is wrapped safely', async () => {
  const { mine, ws } = lintFiles([{ file: 'm.sql', text: ORG_MEMBERS }], ID);
  assert.equal(mine.length, 2);
  const [read, update] = mine as [(typeof mine)[0], (typeof mine)[0]];
  assert.equal(read.fixes.length, 0);
  assert.match(read.message, /Not wrapped automatically: policy "org_members_invite" on public\.org_members reads public\.org_members inside a sub-select.*42P17 infinite recursion \(T31\)/);
  assert.equal(update.fixes.length, 1);
  const updateFixed = applyFix(ws, update);
  const manual = ORG_MEMBERS.replace('USING (user_id = auth.uid());\nCREATE POLICY org_members_update', 'USING (user_id = (select auth.uid()));\nCREATE POLICY org_members_update');
  assert.notEqual(manual, ORG_MEMBERS);
  const db = await getDb();
  const run = (text: string) =>
    inRollback(db, async (q) => {
      await q(AUTH_STUB_SQL);
      await asOwner(q, text);
      await q(`INSERT INTO org_members VALUES ('${ORG_A}', '${TENANT_A}'); GRANT SELECT, INSERT, UPDATE ON org_members TO authenticated`);
      await q(actAs(TENANT_A));
      await q('SET ROLE authenticated');
      const ins = await tryQuery(q, `INSERT INTO org_members VALUES ('${ORG_A}', '${TENANT_B}')`);
      const upd = await tryQuery(q, `UPDATE org_members SET org_id = org_id WHERE user_id = '${TENANT_A}'`);
      return { insert: ins.ok ? 'ok' : ins.error.code, update: upd.ok ? 'ok' : upd.error.code };
    });
  assert.deepEqual(await run(ORG_MEMBERS), { insert: 'ok', update: 'ok' }, 'as written: works (T32)');
  assert.deepEqual(await run(sqlOf(updateFixed)), { insert: 'ok', update: 'ok' }, 'UPDATE policy wrapped: still no recursion');
  assert.deepEqual(await run(manual), { insert: '42P17', update: 'ok' }, 'SELECT policy wrapped by hand: the INSERT recurses (T31)');
});

const TEAM_MEMBERS = `CREATE TABLE team_members (team_id uuid NOT NULL, user_id uuid NOT NULL, PRIMARY KEY (team_id, user_id));
CREATE INDEX ON team_members (user_id);
ALTER TABLE team_members ENABLE ROW LEVEL SECURITY;
CREATE MATERIALIZED VIEW team_permissions AS SELECT DISTINCT team_id, user_id FROM team_members;
CREATE POLICY team_members_access ON team_members FOR ALL TO authenticated
  USING (user_id = auth.uid() OR EXISTS (SELECT 1 FROM team_permissions tp WHERE tp.team_id = team_members.team_id AND tp.user_id = (select auth.uid())));`;

test('ok: a sub-select reading a materialized view over the table is no T31 cycle (its stored rows are read, no policy expanded): wrapped, no 42P17; through an invoker view it is one', async () => {
  // (GECO-Project-App/facilitation-app: team_members_access_policy reads the materialized view team_permissions)
  const { mine, ws } = lintFiles([{ file: 'm.sql', text: TEAM_MEMBERS }], ID);
  assert.equal(mine.length, 1);
  assert.doesNotMatch(mine[0]!.message, /Not wrapped automatically/);
  assert.equal(mine[0]!.fixes[0]!.kind, 'safe');
  const fixed = sqlOf(applyFix(ws, mine[0]!));
  assert.match(fixed, /user_id = \(select auth\.uid\(\)\)/);
  const invoker = fixed.replace('CREATE MATERIALIZED VIEW team_permissions AS', 'CREATE VIEW team_permissions WITH (security_invoker = true) AS');
  assert.notEqual(invoker, fixed);
  const asView = lintFiles([{ file: 'm.sql', text: TEAM_MEMBERS.replace('CREATE MATERIALIZED VIEW team_permissions AS', 'CREATE VIEW team_permissions WITH (security_invoker = true) AS') }], ID).mine;
  assert.match(asView[0]!.message, /Not wrapped automatically: policy "team_members_access" on public\.team_members reads public\.team_members inside a sub-select/);
  const db = await getDb();
  const run = (text: string) =>
    inRollback(db, async (q) => {
      await q(AUTH_STUB_SQL);
      await asOwner(q, text);
      await asOwner(q, `INSERT INTO team_members VALUES ('${ORG_A}', '${TENANT_A}'), ('${ORG_A}', '${TENANT_B}')`);
      if (text.includes('MATERIALIZED')) await asOwner(q, 'REFRESH MATERIALIZED VIEW team_permissions');
      await asOwner(q, 'GRANT SELECT, INSERT, UPDATE ON team_members TO authenticated; GRANT SELECT ON team_permissions TO authenticated');
      await q(actAs(TENANT_A));
      await q('SET ROLE authenticated');
      const sel = await tryQuery(q, 'SELECT count(*)::int AS n FROM team_members');
      const ins = await tryQuery(q, `INSERT INTO team_members VALUES ('${ORG_A}', '00000000-0000-0000-0000-0000000000c1')`);
      return { select: sel.ok ? sel.rows[0]!.n : sel.error.code, insert: ins.ok ? 'ok' : ins.error.code };
    });
  assert.deepEqual(await run(fixed), { select: 2, insert: 'ok' }, 'materialized view, wrapped: no recursion');
  assert.deepEqual(await run(invoker), { select: '42P17', insert: '42P17' }, 'invoker view, wrapped: 42P17 (T31)');
});

test('ok: Valid examples: already wrapped, inside a sub-select at any depth, VOLATILE helpers and WITH CHECK are not reported', async () => {
  for (let i = 0; i < 3; i++) assert.equal(lintDocExample(ID, 'valid', i).mine.length, 0, `valid ${i + 1}`);
  const base = 'CREATE TABLE t (id int PRIMARY KEY, owner_id uuid, tenant_id uuid); ALTER TABLE t ENABLE ROW LEVEL SECURITY; ALTER TABLE t FORCE ROW LEVEL SECURITY;';
  const imm = 'CREATE FUNCTION fixed_tenant() RETURNS uuid LANGUAGE sql IMMUTABLE AS $$ SELECT gen_random_uuid() $$;';
  for (const e of [
    'EXISTS (SELECT 1 FROM t t2 WHERE t2.id = t.id AND t2.owner_id = auth.uid())',
    'owner_id IN (SELECT x FROM (SELECT auth.uid() AS x) s)',
    '(select (select auth.uid())) = owner_id',
    'owner_id::text = current_user',
    'tenant_id = fixed_tenant()',
    'owner_id = gen_random_uuid()',
  ]) {
    assert.equal(lintFiles([{ file: 'm.sql', text: `${imm} ${base} CREATE POLICY p ON t FOR SELECT TO authenticated USING (${e});` }], ID).mine.length, 0, e);
  }
  // the same policy for UPDATE, DELETE and ALL is reported; a nested call gives one wrap, outermost
  const helper = 'CREATE FUNCTION tenant_of(u uuid) RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT u $$;';
  const nested = lintFiles([{ file: 'm.sql', text: `${helper} ${base} CREATE POLICY p ON t FOR DELETE TO authenticated USING (tenant_id = tenant_of(auth.uid()));` }], ID);
  assert.equal(nested.mine.length, 1);
  assert.equal(nested.mine[0]!.fixes[0]!.edits.length, 1);
  assert.equal(nested.mine[0]!.fixes[0]!.edits[0]!.newText, '(select tenant_of(auth.uid()))');
});

test('ok: auth.uid() as an argument of a helper that also takes a column: the message says the helper still runs for each row (no 152 → 11 ms claim); the fix still wraps the call, and the plan keeps the helper in the Filter', async () => {
  const sql = `CREATE TABLE public.accounts (id bigint PRIMARY KEY, workspace_id uuid NOT NULL);
ALTER TABLE public.accounts ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.is_workspace_admin(uid uuid, ws uuid) RETURNS boolean LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$ BEGIN RETURN uid IS NOT NULL AND ws IS NOT NULL; END $$;
CREATE POLICY accounts_admin ON public.accounts FOR SELECT TO authenticated USING (is_workspace_admin(auth.uid(), workspace_id));
`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_a.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /but it is an argument of is_workspace_admin\(…\), which depends on the row and still runs for each row: wrapping saves only this call's cost/);
  assert.doesNotMatch(mine[0]!.message, /152 ms/);
  assert.match(mine[0]!.message, /give it no row value \(e\.g\. have it return the ids it allows, and test the column with `IN \(select …\)` of them\)\./);
  assert.equal(nestedParentheses(mine[0]!.message), undefined);
  const fixed = applyFix(ws, mine[0]!);
  assert.match(sqlOf(fixed), /is_workspace_admin\(\(select auth\.uid\(\)\), workspace_id\)/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sqlOf(fixed));
    await q('GRANT SELECT ON public.accounts TO authenticated; SET ROLE authenticated');
    const plan = (await q('EXPLAIN (COSTS OFF) SELECT * FROM public.accounts')).map((r) => Object.values(r)[0]).join('\n');
    assert.match(plan, /InitPlan/, 'auth.uid() once');
    assert.match(plan, /Filter: is_workspace_admin\(\(InitPlan 1\)\.col1, workspace_id\)|Filter: is_workspace_admin\(\$0, workspace_id\)/, plan);
  });
});

test('ok (message): a setting read as an argument of a call whose arguments name no column (sveltekit regexp_split_to_array): the message says to wrap that whole call, and wrapped it is an InitPlan', async () => {
  const sql = `CREATE TABLE spaces (id integer PRIMARY KEY, title text);
ALTER TABLE spaces ENABLE ROW LEVEL SECURITY;
CREATE POLICY space_read ON spaces FOR SELECT TO PUBLIC
  USING (id = ANY (regexp_split_to_array(nullif(current_setting('app.spaces', true), ''), ',')::integer[]));
`;
  const { mine } = lintFiles([{ file: 'm/1.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /it is an argument of regexp_split_to_array\(…\), whose arguments name no column either: wrap that whole call instead, `\(select regexp_split_to_array\(…\)\)`, and it too runs once per statement\./);
  assert.equal(nestedParentheses(mine[0]!.message), undefined);
  assert.doesNotMatch(mine[0]!.message, /depends on the row/);
  const whole = sql.replace("ANY (regexp_split_to_array(nullif(current_setting('app.spaces', true), ''), ',')::integer[])", "ANY ((select regexp_split_to_array(nullif(current_setting('app.spaces', true), ''), ',')::integer[])::integer[])");
  // (the cast after the sub-select: `= ANY ((select …))` alone is ANY over the sub-select's rows)
  assert.deepEqual(lintFiles([{ file: 'm/1.sql', text: whole }], ID).mine, []);
  await inRollback(await getDb(), async (q) => {
    await q(whole);
    await q("INSERT INTO spaces VALUES (1, 'a'), (2, 'b'), (3, 'c'); GRANT SELECT ON spaces TO PUBLIC; CREATE ROLE per_row_probe; SET ROLE per_row_probe; SET LOCAL app.spaces = '1,3'");
    assert.deepEqual((await q('SELECT id FROM spaces ORDER BY id')).map((r) => Number(r.id)), [1, 3]);
    assert.match(await plan(q, 'SELECT id FROM spaces'), /Filter: \(id = ANY \(\(InitPlan 1\)\.col1\)\)|Filter: \(id = ANY \(\$0\)\)/);
  });
});

// Oppsera's 0094: a DO block reads every policy's text from pg_policies, wraps the bare calls
// with replace() and creates each policy again: the policies written before it hold
// (select current_setting(…)) from then on; one written after it does not.
const REWRITTEN = `CREATE TABLE invoices (id int PRIMARY KEY, tenant_id text NOT NULL);
ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
CREATE POLICY invoices_tenant ON invoices FOR SELECT TO authenticated
  USING (tenant_id = current_setting('app.current_tenant_id', true));
`;
const REWRITE = `DO $fn$
DECLARE
  pol RECORD;
  new_qual TEXT;
  search_with_cast TEXT := $$current_setting('app.current_tenant_id'::text, true)$$;
  replace_with_cast TEXT := $$(select current_setting('app.current_tenant_id'::text, true))$$;
  create_sql TEXT;
BEGIN
  FOR pol IN
    SELECT policyname, tablename, cmd, roles, qual FROM pg_policies
    WHERE schemaname = 'public' AND qual LIKE '%current_setting(%'
  LOOP
    EXECUTE format('DROP POLICY IF EXISTS %I ON public.%I', pol.policyname, pol.tablename);
    new_qual := replace(pol.qual, search_with_cast, replace_with_cast);
    create_sql := format('CREATE POLICY %I ON public.%I FOR %s TO %s USING %s', pol.policyname, pol.tablename, pol.cmd, array_to_string(pol.roles, ', '), new_qual);
    EXECUTE create_sql;
  END LOOP;
END $fn$;
`;
const LATER = `CREATE TABLE notes (id int PRIMARY KEY, tenant_id text NOT NULL);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_tenant ON notes FOR SELECT TO authenticated
  USING (tenant_id = current_setting('app.current_tenant_id', true));
`;

test('ok: a DO block rewriting the policies pg_policies returns with replace() into (select current_setting(…)) (Oppsera 0094): the policies before it are not reported, one after it is', async () => {
  const files = [
    { file: 'm/1.sql', text: REWRITTEN },
    { file: 'm/2.sql', text: REWRITE },
    { file: 'm/3.sql', text: LATER },
  ];
  const { mine } = lintFiles(files, ID);
  assert.deepEqual(
    mine.map((f) => [f.file, /Policy "(\w+)"/.exec(f.message)?.[1]]),
    [['m/3.sql', 'notes_tenant']],
  );
  // without the rewrite, both are
  assert.equal(lintFiles([files[0]!, files[2]!], ID).mine.length, 2);
  await inRollback(await getDb(), async (q) => {
    await q(files.map((f) => f.text).join('\n'));
    const quals = Object.fromEntries((await q(`SELECT tablename, qual FROM pg_policies WHERE tablename IN ('invoices', 'notes')`)).map((r) => [r.tablename, String(r.qual)]));
    assert.match(quals.invoices!, /\( SELECT current_setting\('app\.current_tenant_id'::text, true\) AS current_setting\)/);
    assert.doesNotMatch(quals.notes!, /SELECT/);
    await q("INSERT INTO invoices SELECT g, 't' || (g % 100) FROM generate_series(1, 200) g; INSERT INTO notes SELECT * FROM invoices");
    await q("GRANT SELECT ON invoices, notes TO authenticated; SET LOCAL app.current_tenant_id = 't1'; SET LOCAL ROLE authenticated");
    assert.match(await plan(q, 'SELECT * FROM invoices'), /InitPlan/);
    assert.doesNotMatch(await plan(q, 'SELECT * FROM notes'), /InitPlan/);
    assert.equal(await count(q, 'invoices'), 2);
  });
});

test('err: a rewrite limited to some tables, or wrapping another call, leaves the other policies reported', async () => {
  const only = (where: string, replacement: string) => `DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT policyname, tablename, qual FROM pg_policies WHERE schemaname = 'public' AND ${where} LOOP
    EXECUTE format('ALTER POLICY %I ON public.%I USING (%s)', r.policyname, r.tablename,
      regexp_replace(r.qual, 'current_setting\\(', '${replacement}', 'g'));
  END LOOP;
END $$;
`;
  const at = (where: string, replacement: string) =>
    lintFiles([{ file: 'm/1.sql', text: REWRITTEN + LATER }, { file: 'm/2.sql', text: only(where, replacement) }], ID).mine.map((f) => /Policy "(\w+)"/.exec(f.message)?.[1]);
  const wrap = "(select current_setting(''app.current_tenant_id''::text, true))";
  assert.deepEqual(at("tablename = 'invoices'", wrap), ['notes_tenant']);
  assert.deepEqual(at("tablename IN ('invoices', 'notes')", wrap), []);
  assert.deepEqual(at('true', wrap), [], 'no condition on the table: any');
  // another setting wrapped, or a replacement that wraps nothing
  assert.deepEqual(at("tablename = 'invoices'", "(select current_setting(''app.other''::text, true))"), ['invoices_tenant', 'notes_tenant']);
  assert.deepEqual(at("tablename = 'invoices'", 'pg_catalog.current_setting('), ['invoices_tenant', 'notes_tenant']);
});

// drizzle-orm's crudPolicy writes `(select auth.user_id() = "t"."user_id")` (AFENA-TEMPLATE's
// 569 policies): the call is inside a sub-select, but one without FROM that names the row's
// column, so it is correlated, a SubPlan run for each row, the call with it; and the condition
// cannot be an index condition.
const CORRELATED = COUNTED.replace('USING (owner_id = counted_uid());', 'USING ((select counted_uid() = "documents"."owner_id"));');

test('err: a call inside a correlated sub-select without FROM, (select f() = "t"."col"): called once per row and no index scan; fixed, ((select f()) = "t"."col") calls it once and scans the index', async () => {
  assert.notEqual(CORRELATED, COUNTED);
  const { ws, mine } = lintFiles([{ file: 'drizzle/0000_a.sql', text: CORRELATED }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'counted_uid');
  assert.match(
    mine[0]!.message,
    /calls the STABLE function counted_uid\(\) in its USING inside `\(select counted_uid\(\) = "documents"\."owner_id"\)`, a sub-select without FROM that reads the row's column "documents"\."owner_id": so it is correlated, and PostgreSQL runs it again for each row a scan filters \(a SubPlan in the plan's Filter\), the call with it, and cannot use the condition to scan an index\. Take the comparison out of the sub-select and wrap only the call, `\(\(select counted_uid\(\)\) = "documents"\."owner_id"\)`: the call is then evaluated once per statement as an InitPlan/,
  );
  assert.doesNotMatch(mine[0]!.message, /outside any sub-select|152 ms/);
  const fixed = applyFix(ws, mine[0]!);
  assert.match(sqlOf(fixed), /USING \(\(\(select counted_uid\(\)\) = "documents"\."owner_id"\)\);/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  const before = await countedCalls(CORRELATED);
  assert.equal(before.n, 2);
  assert.ok(before.v >= 200, `once per row: ${before.v} calls`);
  assert.match(before.p, /Filter: \(SubPlan 1\)\n\s+SubPlan 1/, before.p);
  const after = await countedCalls(sqlOf(fixed));
  assert.deepEqual({ n: after.n, v: after.v }, { n: 2, v: 1 }, 'once per statement');
  // with sequential scans off: the correlated form still scans the table; fixed, the index
  const db = await getDb();
  const scan = (text: string) =>
    inRollback(db, async (q) => {
      await load(q, text, 'documents', 'owner_id');
      await q('RESET ROLE; GRANT USAGE ON SEQUENCE uid_calls TO authenticated; SET ROLE authenticated');
      await q('SET LOCAL enable_seqscan = off');
      return (await q('EXPLAIN (COSTS OFF) SELECT * FROM documents')).map((r) => r['QUERY PLAN']).join('\n');
    });
  const seq = await scan(CORRELATED);
  assert.match(seq, /Seq Scan on documents/, seq);
  const idx = await scan(sqlOf(fixed));
  assert.match(idx, /Index Cond: \(owner_id = \(InitPlan 1\)\.col1\)/, idx);
  // a sub-select with FROM, or one naming no column, stays unreported
  for (const e of ['(select (select auth.uid())) = owner_id', '(select auth.uid()) = owner_id', 'EXISTS (SELECT 1 FROM documents d WHERE d.id = documents.id AND d.owner_id = auth.uid())'])
    assert.equal(lintFiles([{ file: 'm.sql', text: COUNTED.replace('owner_id = counted_uid()', e) }], ID).mine.length, 0, e);
});

// Neon Authorize's auth.user_id() is pg_session_jwt's, `STRICT STABLE PARALLEL SAFE`
// (sql/pg_session_jwt--0.1.0--0.1.1.sql), made outside the migrations: drizzle-orm/neon's
// crudPolicy writes `(select auth.user_id() = "posts"."user_id")` in Drizzle Kit migrations that
// never create it (dhanushreddy291/workos-drizzle-sveltekit-neon-authorize, daveyplate/pglofi),
// and these policies went unreported. On PGlite a counting STABLE stand-in of the extension's
// function is called once per row before the fix, once per statement after.
const NEON_POSTS = `CREATE TABLE "posts" (
\t"id" integer PRIMARY KEY NOT NULL,
\t"user_id" text DEFAULT (auth.user_id()) NOT NULL
);
--> statement-breakpoint
ALTER TABLE "posts" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "crud-authenticated-policy-select" ON "posts" AS PERMISSIVE FOR SELECT TO "authenticated" USING ((select auth.user_id() = "posts"."user_id"));`;

/** pg_session_jwt's auth.user_id() as a counting stand-in: the `sub` of request.jwt.claims. */
const NEON_COUNTED_STUB = `CREATE SCHEMA IF NOT EXISTS auth;
CREATE SEQUENCE user_id_calls;
CREATE FUNCTION auth.user_id() RETURNS text LANGUAGE plpgsql STRICT STABLE PARALLEL SAFE AS $$
BEGIN
  PERFORM nextval('user_id_calls');
  RETURN nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub';
END $$;
GRANT USAGE ON SCHEMA auth TO PUBLIC;
GRANT USAGE ON SEQUENCE user_id_calls TO PUBLIC;`;

test("err: Neon Authorize's auth.user_id() in crudPolicy's (select auth.user_id() = col), no migration creating it: reported and fixed; PGlite with a STABLE stand-in, once per row before, once after", async () => {
  const { ws, mine } = lintFiles([{ file: 'drizzle/0000_majestic_logan.sql', text: NEON_POSTS }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'auth.user_id');
  assert.match(mine[0]!.message, /calls auth\.user_id\(\) in its USING inside `\(select auth\.user_id\(\) = "posts"\."user_id"\)`, a sub-select without FROM that reads the row's column "posts"\."user_id": so it is correlated/);
  const fixed = applyFix(ws, mine[0]!);
  assert.match(sqlOf(fixed), /USING \(\(\(select auth\.user_id\(\)\) = "posts"\."user_id"\)\);/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  const db = await getDb();
  const calls = (text: string): Promise<{ n: number; v: number }> =>
    inRollback(db, async (q) => {
      await q(NEON_COUNTED_STUB);
      await q('DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = \'authenticated\') THEN CREATE ROLE authenticated; END IF; END $$');
      await q(text.replace(/--> statement-breakpoint/g, ''));
      await q(`INSERT INTO posts SELECT g, CASE WHEN g % 100 = 0 THEN 'user_a' ELSE 'user_' || g END FROM generate_series(1, 200) g`);
      await q('GRANT SELECT ON posts TO authenticated');
      await q(`SELECT set_config('request.jwt.claims', '{"sub":"user_a"}', true)`);
      await q('SET ROLE authenticated; SET LOCAL enable_indexscan = off; SET LOCAL enable_bitmapscan = off');
      const n = await count(q, 'posts');
      await q('RESET ROLE');
      const [{ v }] = (await q(`SELECT last_value::int AS v FROM user_id_calls`)) as Array<{ v: number }>;
      return { n, v };
    });
  const before = await calls(NEON_POSTS);
  assert.equal(before.n, 2);
  assert.ok(before.v >= 200, `once per row: ${before.v} calls`);
  assert.deepEqual(await calls(sqlOf(fixed)), { n: 2, v: 1 }, 'once per statement');
  // not Neon's where the workspace shows no Neon Authorize (a plain file, no Drizzle Kit policy
  // TO authenticated), nor where a migration makes its own auth.user_id() of unknown volatility
  const plain = NEON_POSTS.replace(/--> statement-breakpoint/g, '').replace('TO "authenticated" ', '');
  assert.equal(lintFiles([{ file: 'm.sql', text: plain }], ID).mine.length, 0);
  const own = `CREATE SCHEMA auth;\nCREATE FUNCTION auth.user_id() RETURNS text LANGUAGE sql VOLATILE AS $$ select current_user::text $$;\n--> statement-breakpoint\n${NEON_POSTS}`;
  assert.equal(lintFiles([{ file: 'drizzle/0000_a.sql', text: own }], ID).mine.length, 0);
});

test("fix: a policy a DO block's EXECUTE makes, in a single-quoted or a dollar-quoted string: the (select …) wrap is written in the string as it is (the copied call's '' kept); the fixed block runs and pg_policies.qual has the sub-select", async () => {
  for (const exec of [
    "EXECUTE 'CREATE POLICY docs_owner ON public.docs TO authenticated USING (owner = nullif(current_setting(''app.uid'', true), '''')::int)';",
    'EXECUTE $q$CREATE POLICY docs_owner ON public.docs TO authenticated USING (owner = nullif(current_setting(\'app.uid\', true), \'\')::int)$q$;',
  ]) {
    const text = `CREATE TABLE public.docs (id int, owner int);\nALTER TABLE public.docs ENABLE ROW LEVEL SECURITY;\nGRANT SELECT ON public.docs TO authenticated;\nINSERT INTO public.docs VALUES (1, 1), (2, 2);\nDO $$\nBEGIN\n  ${exec}\nEND $$;\n`;
    const { ws, mine } = lintFiles([{ file: 'migrations/001.sql', text }], 'policy-per-row-function');
    assert.equal(mine.length, 1, exec);
    const fixed = applyFix(ws, mine[0]!);
    assert.ok(sqlOf(fixed).includes(exec.startsWith("EXECUTE '") ? "nullif((select current_setting(''app.uid'', true)), '''')" : "nullif((select current_setting('app.uid', true)), '')"), sqlOf(fixed));
    assert.equal(findingsOf(fixed, 'policy-per-row-function').length, 0);
    await wrappedOwnerPolicyRuns(fixed);
  }
});

// A call written without its schema resolves through the policy's search_path, as PostgreSQL
// resolves it when CREATE POLICY runs: `uid()` under `SET search_path = auth, public` is
// auth.uid(); `counted_uid()` under `SET search_path = app, public` is app's, not public's.
test('err: an unqualified uid() under SET search_path = auth, public is auth.uid(): the scan\'s Filter evaluates it for each row; fixed, an InitPlan, the same rows', async () => {
  const text = `CREATE TABLE documents (id bigint PRIMARY KEY, owner_id uuid NOT NULL, body text);
CREATE INDEX ON documents (owner_id);
ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE documents FORCE ROW LEVEL SECURITY;
SET search_path = auth, public;
CREATE POLICY documents_own ON documents FOR SELECT TO authenticated
  USING (owner_id = uid());
`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20250101000000_documents.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'uid');
  assert.match(mine[0]!.message, /calls uid\(\) in its USING outside any sub-select/);
  const fixed = applyFix(ws, mine[0]!);
  assert.match(sqlOf(fixed), /USING \(owner_id = \(select uid\(\)\)\)/);
  assert.deepEqual(findingsOf(fixed, ID), []);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await load(q, text, 'documents', 'owner_id');
    // (the policy calls auth.uid: what CREATE POLICY resolved uid() to)
    assert.deepEqual(await q(`SELECT p.pronamespace::regnamespace::text || '.' || p.proname AS f FROM pg_depend d JOIN pg_proc p ON p.oid = d.refobjid WHERE d.classid = 'pg_policy'::regclass AND d.refclassid = 'pg_proc'::regclass`), [{ f: 'auth.uid' }]);
    const p = await plan(q, 'SELECT * FROM documents');
    assert.match(p, /Seq Scan on documents\n\s+Filter: \(owner_id = .*current_setting\('request\.jwt\.claim\.sub'/, p);
    assert.doesNotMatch(p, /InitPlan/, p);
    assert.equal(await count(q, 'documents'), 2);
  });
  await inRollback(db, async (q) => {
    await load(q, sqlOf(fixed), 'documents', 'owner_id');
    const p = await plan(q, 'SELECT * FROM documents');
    assert.match(p, /InitPlan 1\n\s+->  Result/, p);
    assert.doesNotMatch(p.split('InitPlan 1\n')[0]!, /current_setting/, 'the Filter no longer evaluates the call');
    assert.equal(await count(q, 'documents'), 2);
  });
});

/** Lets the migrations' owner create a schema (in the transaction). */
const OWNER_CREATES_SCHEMAS = `DO $$ BEGIN EXECUTE format('GRANT CREATE ON DATABASE %I TO app_owner', current_database()); END $$`;

/** COUNTED with a VOLATILE public.counted_uid() beside it, and `schema`'s STABLE one, the policy created under `SET search_path = <schema>, public`. */
const shadowed = (stable: 'app' | 'public') => {
  const other = stable === 'app' ? 'public' : 'app';
  return `CREATE SCHEMA app;
GRANT USAGE ON SCHEMA app TO authenticated;
${COUNTED.replace('CREATE FUNCTION counted_uid()', () => `CREATE FUNCTION ${stable}.counted_uid()`)
  .replace('CREATE TABLE documents', () => `CREATE FUNCTION ${other}.counted_uid() RETURNS uuid LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM nextval('uid_calls');
  RETURN auth.uid();
END $$;
CREATE TABLE documents`)
  .replace('CREATE POLICY', 'SET search_path = app, public;\nCREATE POLICY')}
`;
};

test("err/ok: under SET search_path = app, public, counted_uid() is app's: reported where app's is STABLE (public's VOLATILE), called once per row, fixed once per statement; not reported where app's is VOLATILE (public's STABLE)", async () => {
  const stableInApp = shadowed('app');
  const linted = lintFiles([{ file: 'm.sql', text: stableInApp }], ID);
  assert.equal(linted.mine.length, 1);
  assert.match(linted.mine[0]!.message, /calls the STABLE function counted_uid\(\)/);
  const fixed = applyFix(linted.ws, linted.mine[0]!);
  const before = await countedCalls(stableInApp, OWNER_CREATES_SCHEMAS);
  assert.deepEqual({ n: before.n, v: before.v }, { n: 2, v: 201 }, 'once per row');
  assert.match(before.p, /Filter: \(owner_id = counted_uid\(\)\)/, before.p);
  const after = await countedCalls(sqlOf(fixed), OWNER_CREATES_SCHEMAS);
  assert.deepEqual({ n: after.n, v: after.v }, { n: 2, v: 1 }, 'once per statement');
  await inRollback(await getDb(), async (q) => {
    await q(OWNER_CREATES_SCHEMAS);
    await load(q, stableInApp, 'documents', 'owner_id');
    const called = await q(`SELECT p.pronamespace::regnamespace::text || '.' || p.proname AS f, p.provolatile AS v FROM pg_depend d JOIN pg_proc p ON p.oid = d.refobjid WHERE d.classid = 'pg_policy'::regclass AND d.refclassid = 'pg_proc'::regclass`);
    assert.deepEqual(called, [{ f: 'app.counted_uid', v: 's' }]);
  });
  // app's VOLATILE: the policy calls it (pg_depend), not public's STABLE one; not reported
  const volatileInApp = shadowed('public');
  assert.deepEqual(lintFiles([{ file: 'm.sql', text: volatileInApp }], ID).mine, []);
  await inRollback(await getDb(), async (q) => {
    await q(OWNER_CREATES_SCHEMAS);
    await load(q, volatileInApp, 'documents', 'owner_id');
    const called = await q(`SELECT p.pronamespace::regnamespace::text || '.' || p.proname AS f, p.provolatile AS v FROM pg_depend d JOIN pg_proc p ON p.oid = d.refobjid WHERE d.classid = 'pg_policy'::regclass AND d.refclassid = 'pg_proc'::regclass`);
    assert.deepEqual(called, [{ f: 'app.counted_uid', v: 'v' }]);
  });
});

// Calibration (mdsamialsohan/EmployeeManagementBackend): the policy "Admins can view all profiles"
// reads profiles through the plain view admin_user_ids, which the migrations' role (Supabase's
// postgres, a superuser here) owns: the view reads profiles with no policy applied, so wrapping the
// profiles policies' auth.uid() makes no T31 cycle. Through a view a declared ordinary role owns
// (not the table's owner, or the table FORCEs RLS: the profiles policies apply to it), it does.
const PROFILES = `create table profiles (id uuid primary key, role text not null default 'employee');
alter table profiles enable row level security;
create policy "Users can view their own profile" on profiles for select using (auth.uid() = id);
create or replace view admin_user_ids as select id from profiles where role = 'admin';
create policy "Admins can view all profiles" on profiles for select using (auth.uid() IN (select id from admin_user_ids));
`;

test('ok: a sub-select reading the table through a plain view its (undeclared, superuser) owner reads with no policy is no T31 cycle: the fix is offered, wrapped no 42P17 (PGlite); a view owned by a declared ordinary role still is one', async () => {
  const { mine, ws } = lintFiles([{ file: 'supabase/migrations/20250626225432_allow-admins-view-all-profiles.sql', text: PROFILES }], ID);
  assert.equal(mine.length, 2, mine.map((f) => f.message).join('\n'));
  for (const f of mine) {
    assert.doesNotMatch(f.message, /Not wrapped automatically/);
    assert.equal(f.fixes.length, 1);
  }
  let fixed = applyFix(ws, mine[0]!);
  fixed = applyFix(fixed, findingsOf(fixed, ID)[0]!);
  const wrapped = sqlOf(fixed);
  assert.equal((wrapped.match(/\(select auth\.uid\(\)\)/g) ?? []).length, 2, wrapped);
  const owned = PROFILES + `create role view_owner nologin;\ngrant select on profiles to view_owner;\nalter view admin_user_ids owner to view_owner;\nalter table profiles force row level security;\n`;
  const byRole = lintFiles([{ file: 'm.sql', text: owned }], ID).mine;
  assert.equal(byRole.length, 2);
  for (const f of byRole) assert.match(f.message, /Not wrapped automatically: policy "Admins can view all profiles" on public\.profiles reads public\.profiles inside a sub-select/);
  const db = await getDb();
  const run = (text: string) =>
    inRollback(db, async (q) => {
      await q(AUTH_STUB_SQL);
      await q(text);
      await q(`INSERT INTO profiles VALUES ('${TENANT_A}', 'admin'), ('${TENANT_B}', 'employee'); GRANT SELECT ON profiles, admin_user_ids TO authenticated`);
      await q(actAs(TENANT_A));
      await q('SET ROLE authenticated');
      const r = await tryQuery(q, 'SELECT count(*)::int AS n FROM profiles');
      return r.ok ? r.rows[0]!.n : r.error.code;
    });
  assert.equal(await run(PROFILES), 2, 'as written: the admin reads both rows');
  assert.equal(await run(wrapped), 2, 'wrapped, the view owned by the superuser: no 42P17');
  const wrappedOwned = wrapped + `create role view_owner nologin;\ngrant select on profiles to view_owner;\nalter view admin_user_ids owner to view_owner;\nalter table profiles force row level security;\n`;
  assert.equal(await run(wrappedOwned), '42P17', 'wrapped, the view owned by an ordinary role the policies apply to: 42P17 (T31)');
});

test("fix: a policy a DO block's EXECUTE makes from adjacent literals (ultra-csm's `format('CREATE POLICY … ON %s ' 'USING (…) ' 'WITH CHECK (…)', t)`, after non-ASCII text): reported at the call where its piece writes it (line and column), the wrap written in that piece; the fixed block runs and pg_policies.qual has the sub-select", async () => {
  const text = `-- Mandanten-Isolierung « tenant » 🚀\nCREATE TABLE public.docs (id int, owner int);\nALTER TABLE public.docs ENABLE ROW LEVEL SECURITY;\nGRANT SELECT ON public.docs TO authenticated;\nINSERT INTO public.docs VALUES (1, 1), (2, 2);
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['public.docs'] LOOP
    EXECUTE format(
      'CREATE POLICY docs_owner ON %s TO authenticated '
      'USING (owner = nullif(current_setting(''app.uid'', true), '''')::int) '
      'WITH CHECK (owner = nullif(current_setting(''app.uid'', true), '''')::int)', t);
  END LOOP;
END $$;
`;
  const { ws, mine } = lintFiles([{ file: 'migrations/001.sql', text }], ID);
  assert.equal(mine.length, 1);
  const line = text.split('\n').findIndex((l) => l.startsWith("      'USING ("));
  assert.deepEqual(mine[0]!.range.start, { line, character: "      'USING (owner = nullif(".length });
  assert.equal(textAt(ws, mine[0]!), 'current_setting');
  const fixed = applyFix(ws, mine[0]!);
  assert.ok(sqlOf(fixed).includes("'USING (owner = nullif((select current_setting(''app.uid'', true)), '''')::int) '\n"), sqlOf(fixed));
  assert.equal(findingsOf(fixed, ID).length, 0);
  await wrappedOwnerPolicyRuns(fixed);
});
