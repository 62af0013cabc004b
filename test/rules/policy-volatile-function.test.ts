// policy-volatile-function on PostgreSQL (PGlite): a VOLATILE helper with no row argument in a
// policy's USING is called once per row in a sequential scan that ignores the index on the column
// it is compared with; wrapped in (select …) it is an InitPlan evaluated once that an index scan
// uses, and declared STABLE the condition is an index condition. The wrap is safe where the body
// reads no table; where it reads one, a VOLATILE call sees the rows its statement wrote before
// (evaluated once, it does not), so it is offered only.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { asOwner, closeAll, count, getDb, inRollback, type Q } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintFiles, sqlOf, TENANT_A } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';

const ID = 'policy-volatile-function';
before(initParser);
after(closeAll);

/** Runs `sql` as the owner, fills invoices (or projects) with 20,000 rows, 20 of them A's, analyses, and acts as A (authenticated). */
async function load(q: Q, sql: string, table = 'invoices', column = 'tenant_id'): Promise<void> {
  await q(AUTH_STUB_SQL);
  await asOwner(q, sql);
  await q(`INSERT INTO ${table} (id, ${column}) SELECT g, CASE WHEN g % 1000 = 0 THEN '${TENANT_A}'::uuid ELSE gen_random_uuid() END FROM generate_series(1, 20000) g`);
  await q(`ANALYZE ${table}`);
  await q(`GRANT SELECT ON ${table} TO authenticated`);
  await q(actAs(TENANT_A));
  await q(`SELECT set_config('app.tenant_id', '${TENANT_A}', true)`);
  await q('SET ROLE authenticated');
}

/** As A: the rows seen and the plan of reading the table. */
async function seen(text: string, table = 'invoices', column = 'tenant_id', then?: (q: Q) => Promise<unknown>): Promise<{ n: number; plan: string; more?: unknown }> {
  return inRollback(await getDb(), async (q) => {
    if (table === 'projects') {
      await q(AUTH_STUB_SQL);
      await asOwner(q, text);
      await q(`INSERT INTO members VALUES ('${TENANT_A}', '${TENANT_A}')`);
      await q(`INSERT INTO projects (id, org_id) SELECT g, CASE WHEN g % 1000 = 0 THEN '${TENANT_A}'::uuid ELSE gen_random_uuid() END FROM generate_series(1, 20000) g`);
      await q('ANALYZE projects');
      await q('GRANT SELECT ON projects, members TO authenticated');
      await q(actAs(TENANT_A));
      await q('SET ROLE authenticated');
    } else await load(q, text, table, column);
    const n = await count(q, table);
    const plan = (await q(`EXPLAIN (COSTS OFF) SELECT * FROM ${table}`)).map((r) => r['QUERY PLAN']).join('\n');
    return { n, plan, more: then && (await then(q)) };
  });
}

/** The first Invalid example with its helper counting its calls (a sequence): not linted, run only. */
const counting = (text: string) =>
  text
    .replace('CREATE FUNCTION current_tenant()', 'CREATE SEQUENCE tenant_calls;\nGRANT USAGE, SELECT ON SEQUENCE tenant_calls TO authenticated;\nCREATE FUNCTION current_tenant()')
    .replace('BEGIN\n  RETURN', "BEGIN\n  PERFORM nextval('tenant_calls');\n  RETURN");

async function calls(text: string): Promise<{ n: number; calls: number }> {
  return inRollback(await getDb(), async (q) => {
    await load(q, counting(text));
    const n = await count(q, 'invoices');
    const [{ v }] = (await q(`SELECT CASE WHEN is_called THEN last_value::int ELSE 0 END AS v FROM tenant_calls`)) as Array<{ v: number }>;
    return { n, calls: v };
  });
}

test('err: a VOLATILE plpgsql helper reading a setting: a sequential scan with one call per row despite the index; wrapped (the safe fix), one call and an index scan, the same rows', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.match(finding.message, /public\.current_tenant\(\) is VOLATILE \(the default: its CREATE FUNCTION names no volatility\)/);
  assert.match(finding.message, /current_tenant\(\) runs once per row, and it never makes a condition on a VOLATILE call an index condition .*`tenant_id = current_tenant\(\)` cannot use an index on tenant_id/);
  assert.deepEqual(
    finding.fixes.map((f) => f.kind),
    ['safe', 'unsafe'],
  );
  const text = sqlOf(ws);
  const asWritten = await seen(text);
  assert.equal(asWritten.n, 20);
  assert.match(asWritten.plan, /Seq Scan on invoices\n\s+Filter: \(tenant_id = current_tenant\(\)\)/, asWritten.plan);
  assert.deepEqual(await calls(text), { n: 20, calls: 20000 }, 'one call per row');

  const wrapped = applyFix(ws, finding, /^Wrap/);
  assert.equal(findingsOf(wrapped, ID).length, 0);
  assert.match(sqlOf(wrapped), /USING \(tenant_id = \(select current_tenant\(\)\)\)/);
  const after = await seen(sqlOf(wrapped));
  assert.equal(after.n, 20);
  assert.match(after.plan, /InitPlan/, after.plan);
  assert.match(after.plan, /Index Cond: \(tenant_id = \(InitPlan 1\)\.col1\)/, after.plan);
  assert.deepEqual(await calls(sqlOf(wrapped)), { n: 20, calls: 1 }, 'once per statement');
});

test('err: the unsafe fix declares the helper STABLE too: re-lints clean, an index condition on the call', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  const fixed = applyFix(ws, finding, /^Declare/);
  assert.match(sqlOf(fixed), /ALTER FUNCTION public\.current_tenant\(\) STABLE;/);
  assert.deepEqual([...new Set([...fixed.lint().byFile.values()].flat().map((f) => f.rule))].filter((r) => r === ID || r === 'policy-per-row-function'), []);
  const after = await seen(sqlOf(fixed));
  assert.equal(after.n, 20);
  assert.match(after.plan, /Index Cond: \(tenant_id = \(InitPlan 1\)\.col1\)/, after.plan);
  // declared STABLE alone (not wrapped), the call itself is an index condition
  const stable = sqlOf(ws).replace('LANGUAGE plpgsql AS', 'LANGUAGE plpgsql STABLE AS');
  const alone = await seen(stable);
  assert.equal(alone.n, 20);
  assert.match(alone.plan, /Index Cond: \(tenant_id = current_tenant\(\)\)/, alone.plan);
});

test('err: a SECURITY DEFINER lookup reading members: a sequential scan; the wrap is offered, not applied by --fix (it reads a table)', async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.match(finding.message, /public\.my_org\(\) is VOLATILE/);
  assert.deepEqual(
    finding.fixes.map((f) => f.kind),
    ['unsafe', 'unsafe'],
  );
  const asWritten = await seen(sqlOf(ws), 'projects', 'org_id');
  assert.equal(asWritten.n, 20);
  assert.match(asWritten.plan, /Seq Scan on projects\n\s+Filter: \(org_id = my_org\(\)\)/, asWritten.plan);
  const wrapped = applyFix(ws, finding, /^Wrap/);
  assert.equal(findingsOf(wrapped, ID).length, 0);
  const after = await seen(sqlOf(wrapped), 'projects', 'org_id');
  assert.equal(after.n, 20);
  assert.match(after.plan, /Index Cond: \(org_id = \(InitPlan 1\)\.col1\)/, after.plan);
});

test('ok: why a wrap is unsafe for a helper reading a table: per row, a VOLATILE call sees what its statement wrote to the rows before (0, 1, 2); STABLE or once, it does not (0, 0, 0)', async () => {
  const result = await inRollback(await getDb(), async (q) => {
    await q(`CREATE TABLE c (id int, flag int DEFAULT 0, seen int);
      INSERT INTO c (id) SELECT generate_series(1, 3);
      CREATE FUNCTION flagged_v() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN (SELECT count(*) FROM c WHERE flag = 1); END $$;
      CREATE FUNCTION flagged_s() RETURNS int LANGUAGE plpgsql STABLE AS $$ BEGIN RETURN (SELECT count(*) FROM c WHERE flag = 1); END $$;`);
    const out: Record<string, number[]> = {};
    for (const [name, set] of [
      ['volatile', 'flagged_v()'],
      ['stable', 'flagged_s()'],
      ['volatile, once', '(SELECT flagged_v())'],
    ] as const) {
      await q(`UPDATE c SET flag = 0, seen = NULL; UPDATE c SET flag = 1, seen = ${set}`);
      out[name] = (await q('SELECT seen FROM c ORDER BY id')).map((r) => r.seen as number);
    }
    return out;
  });
  assert.deepEqual(result, { volatile: [0, 1, 2], stable: [0, 0, 0], 'volatile, once': [0, 0, 0] });
});

/** invoices, indexed on tenant_id, with RLS and a SELECT policy comparing tenant_id with current_tenant(). */
const INVOICES = `CREATE TABLE invoices (id bigint PRIMARY KEY, tenant_id uuid NOT NULL, amount numeric);
CREATE INDEX ON invoices (tenant_id);
ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
CREATE POLICY invoices_tenant ON invoices FOR SELECT TO authenticated
  USING (tenant_id = current_tenant());`;

test('ok: a VOLATILE LANGUAGE sql expression is inlined: an index condition on its (STABLE) body, not reported', async () => {
  const text = `CREATE FUNCTION current_tenant() RETURNS uuid LANGUAGE sql AS $$
  SELECT nullif(current_setting('app.tenant_id', true), '')::uuid
$$;
${INVOICES}`;
  assert.equal(lintFiles([{ file: 'm.sql', text }], ID).mine.length, 0);
  const r = await seen(text);
  assert.equal(r.n, 20);
  assert.match(r.plan, /Index Cond: \(tenant_id = \(NULLIF\(current_setting/, r.plan);
  // not inlined once SECURITY DEFINER (or with a SET clause): reported
  const definer = text.replace('LANGUAGE sql AS', 'LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS');
  assert.equal(lintFiles([{ file: 'm.sql', text: definer }], ID).mine.length, 1);
  assert.match((await seen(definer)).plan, /Seq Scan on invoices\n\s+Filter: \(tenant_id = current_tenant\(\)\)/);
});

const HELPER = (body: string, extra = '') => `${extra}CREATE FUNCTION current_tenant() RETURNS uuid LANGUAGE plpgsql AS $$
BEGIN
${body}
END
$$;
${INVOICES}`;
const SETTING = "  RETURN nullif(current_setting('app.tenant_id', true), '')::uuid;";

test('ok: not reported where the body changes something or may: a write, nextval, set_config, random(), dynamic SQL, FOR UPDATE, an unknown function, a VOLATILE helper that writes', () => {
  for (const body of [
    `  INSERT INTO audit DEFAULT VALUES;\n${SETTING}`,
    `  PERFORM nextval('s');\n${SETTING}`,
    `  PERFORM set_config('app.seen', 'yes', true);\n${SETTING}`,
    '  RETURN CASE WHEN random() < 2 THEN gen_random_uuid() END;',
    "  EXECUTE 'SELECT 1';\n" + SETTING,
    '  RETURN (SELECT tenant_id FROM invoices LIMIT 1 FOR UPDATE);',
    '  RETURN extensions.tenant_of(auth.uid());',
    '  RETURN log_and_get();',
  ]) {
    const extra = 'CREATE TABLE audit (at timestamptz DEFAULT now());\nCREATE SEQUENCE s;\nCREATE FUNCTION log_and_get() RETURNS uuid LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit DEFAULT VALUES; RETURN NULL; END $$;\n';
    assert.equal(lintFiles([{ file: 'm.sql', text: HELPER(body, extra) }], ID).mine.length, 0, body);
  }
  // reading only, through a STABLE helper, auth.uid(), a VOLATILE helper that only reads: reported
  for (const body of [SETTING, '  RETURN (SELECT auth.uid());', '  RETURN read_only();', '  RETURN stable_one();']) {
    const extra = `CREATE FUNCTION read_only() RETURNS uuid LANGUAGE plpgsql AS $$ BEGIN ${SETTING.trim()} END $$;\nCREATE FUNCTION stable_one() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT now()::text::uuid $$;\n`;
    assert.equal(lintFiles([{ file: 'm.sql', text: HELPER(body, extra) }], ID).mine.length, 1, body);
  }
});

test('ok: not reported inside a sub-select, with a column argument, in WITH CHECK, declared STABLE, or beside USING (true)', () => {
  const base = HELPER(SETTING);
  for (const [what, text] of [
    ['wrapped', base.replace('USING (tenant_id = current_tenant())', 'USING (tenant_id = (select current_tenant()))')],
    ['in IN (SELECT …)', base.replace('USING (tenant_id = current_tenant())', 'USING (tenant_id IN (SELECT current_tenant()))')],
    ['a column argument', base.replace('current_tenant() RETURNS uuid', 'current_tenant(x uuid) RETURNS uuid').replace('USING (tenant_id = current_tenant())', 'USING (tenant_id = current_tenant(tenant_id))')],
    ['WITH CHECK', base.replace('FOR SELECT TO authenticated\n  USING', 'FOR INSERT TO authenticated\n  WITH CHECK')],
    ['STABLE', base.replace('LANGUAGE plpgsql AS', 'LANGUAGE plpgsql STABLE AS')],
    ['made STABLE later', `${base}\nALTER FUNCTION current_tenant() STABLE;`],
    ['folded beside USING (true)', `${base}\nCREATE POLICY invoices_all ON invoices FOR SELECT TO authenticated USING (true);`],
  ] as const) {
    assert.equal(lintFiles([{ file: 'm.sql', text }], ID).mine.length, 0, what);
  }
  // a constant argument is no row's: reported
  const arg = base.replace('current_tenant() RETURNS uuid', "current_tenant(k text) RETURNS uuid").replace('USING (tenant_id = current_tenant())', "USING (tenant_id = current_tenant('app.tenant_id'))");
  assert.equal(lintFiles([{ file: 'm.sql', text: arg }], ID).mine.length, 1);
});

const ORG_MEMBERS = `CREATE FUNCTION me() RETURNS uuid LANGUAGE plpgsql AS $$ BEGIN RETURN auth.uid(); END $$;
CREATE TABLE org_members (org_id uuid NOT NULL, user_id uuid NOT NULL, PRIMARY KEY (user_id, org_id));
ALTER TABLE org_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE org_members FORCE ROW LEVEL SECURITY;
CREATE POLICY org_members_read ON org_members FOR SELECT TO authenticated
  USING (user_id = me());
CREATE POLICY org_members_invite ON org_members FOR INSERT TO authenticated
  WITH CHECK (EXISTS (SELECT 1 FROM org_members m WHERE m.org_id = org_members.org_id AND m.user_id = (select auth.uid())));`;

test('err: T31: where wrapping would make the INSERT recurse (42P17), only the STABLE fix is offered, and it keeps the INSERT working', async () => {
  const { mine, ws } = lintFiles([{ file: 'm.sql', text: ORG_MEMBERS }], ID);
  assert.equal(mine.length, 1);
  const f = mine[0]!;
  assert.deepEqual(
    f.fixes.map((x) => [x.kind, x.title]),
    [['unsafe', 'Declare me() STABLE: ALTER FUNCTION public.me() STABLE']],
  );
  assert.match(f.message, /Not wrapped automatically: policy "org_members_invite" on public\.org_members reads public\.org_members inside a sub-select.*42P17.*`user_id = me\(\)` can use an index on user_id/);
  const fixed = applyFix(ws, f);
  assert.equal(findingsOf(fixed, ID).length, 0);
  const run = async (text: string) =>
    inRollback(await getDb(), async (q) => {
      await q(AUTH_STUB_SQL);
      await asOwner(q, text);
      await q(`INSERT INTO org_members VALUES ('${TENANT_A}', '${TENANT_A}'); GRANT SELECT, INSERT ON org_members TO authenticated`);
      await q(actAs(TENANT_A));
      await q('SET ROLE authenticated');
      try {
        await q(`INSERT INTO org_members VALUES ('${TENANT_A}', gen_random_uuid())`);
        return 'ok';
      } catch (e) {
        return (e as { code?: string }).code;
      }
    });
  assert.equal(await run(sqlOf(fixed)), 'ok', 'declared STABLE: the INSERT works');
  assert.equal(await run(ORG_MEMBERS.replace('USING (user_id = me())', 'USING (user_id = (select me()))')), '42P17', 'wrapped by hand: 42P17 (T31)');
});


test('err: T31 with the call compared with no column: no fix (STABLE alone would leave it per row), the message says what to do', () => {
  const text = ORG_MEMBERS.replace('USING (user_id = me());', 'USING (me() IS NOT NULL AND user_id = auth.uid());');
  const { mine } = lintFiles([{ file: 'm.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.equal(mine[0]!.fixes.length, 0);
  assert.match(mine[0]!.message, /declared STABLE it would still run per row .*through a SECURITY DEFINER function, then wrap the call/);
});

const ADMIN = `CREATE TABLE admins (user_id uuid PRIMARY KEY);
CREATE FUNCTION is_admin() RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  RETURN EXISTS (SELECT 1 FROM public.admins WHERE user_id = auth.uid());
END
$$;
CREATE TABLE invoices (id bigint PRIMARY KEY, tenant_id uuid NOT NULL, amount numeric);
CREATE INDEX ON invoices (tenant_id);
ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
CREATE POLICY invoices_read ON invoices FOR SELECT TO authenticated
  USING (is_admin() OR tenant_id = (select auth.uid()));`;

test('err: a VOLATILE lookup compared with no column (`is_admin() OR …`): per row in the Filter, STABLE alone too; wrapped, one InitPlan; the message makes no index claim', async () => {
  const { mine, ws } = lintFiles([{ file: 'm.sql', text: ADMIN }], ID);
  assert.equal(mine.length, 1);
  const f = mine[0]!;
  assert.match(f.message, /is_admin\(\) runs once per row\. Its body only reads/);
  assert.doesNotMatch(f.message, /index/);
  const plan = async (text: string) =>
    (await seen(text, 'invoices', 'tenant_id')).plan;
  assert.match(await plan(ADMIN), /Seq Scan on invoices\n\s+Filter: \(is_admin\(\) OR/);
  assert.match(await plan(ADMIN.replace('LANGUAGE plpgsql SECURITY DEFINER', 'LANGUAGE plpgsql STABLE SECURITY DEFINER')), /Seq Scan on invoices\n\s+Filter: \(is_admin\(\) OR/, 'STABLE alone: still in the Filter, per row');
  const wrapped = applyFix(ws, f, /^Wrap/);
  assert.equal(findingsOf(wrapped, ID).length, 0);
  assert.match(await plan(sqlOf(wrapped)), /Filter: \(\(InitPlan 1\)\.col1 OR[\s\S]*InitPlan 1\n\s+->  Result/);
});

test('ok: the index sentence is for an equality with a column only: `tenant_id <> current_tenant()` gets none', () => {
  const ne = HELPER(SETTING).replace('USING (tenant_id = current_tenant())', 'USING (tenant_id <> current_tenant())');
  const { mine } = lintFiles([{ file: 'm.sql', text: ne }], ID);
  assert.equal(mine.length, 1);
  assert.doesNotMatch(mine[0]!.message, /index/);
  const reversed = HELPER(SETTING).replace('USING (tenant_id = current_tenant())', 'USING (current_tenant() = invoices.tenant_id)');
  assert.match(lintFiles([{ file: 'm.sql', text: reversed }], ID).mine[0]!.message, /`invoices\.tenant_id = current_tenant\(\)` cannot use an index on invoices\.tenant_id/);
});

test('err: STABLE where the policy is written, replaced after it by a CREATE OR REPLACE naming no volatility: VOLATILE, and the message says which CREATE made it so (IntelliFlow-CRM; PGlite)', async () => {
  const first = `CREATE TABLE invoices (id int PRIMARY KEY, tenant_id uuid);
CREATE INDEX ON invoices (tenant_id);
ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION current_tenant() RETURNS uuid LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN nullif(current_setting('app.tenant_id', true), '')::uuid;
END;
$$;
CREATE POLICY tenant_isolation ON invoices FOR SELECT TO authenticated USING (tenant_id = current_tenant());`;
  const later = `CREATE OR REPLACE FUNCTION current_tenant() RETURNS uuid LANGUAGE plpgsql AS $$
BEGIN
  RETURN nullif(current_setting('app.tenant_id', true), '')::uuid;
END;
$$;`;
  const { mine } = lintFiles([{ file: 'migrations/001_tenants.sql', text: first }, { file: 'migrations/002_helpers.sql', text: later }], ID);
  assert.equal(mine.length, 1);
  assert.equal(mine[0]!.file, 'migrations/001_tenants.sql');
  assert.match(mine[0]!.message, /current_tenant\(\) is VOLATILE: its CREATE OR REPLACE FUNCTION at 002_helpers\.sql:1, after this policy, names no volatility, and CREATE OR REPLACE gives a function the volatility it writes, VOLATILE \(the default\) when it names none/);
  assert.equal(mine[0]!.related[0]!.file, 'migrations/002_helpers.sql');
  // (written in one file, the function first declared VOLATILE by default: the short form stays)
  const once = lintFiles([{ file: 'migrations/001_tenants.sql', text: first.replace(' STABLE AS', ' AS') }], ID);
  assert.match(once.mine[0]!.message, /is VOLATILE \(the default: its CREATE FUNCTION names no volatility\)/);
  const r = await seen(`${first}\n${later}`, 'invoices', 'tenant_id', async (q) => (await q(`SELECT provolatile FROM pg_proc WHERE proname = 'current_tenant'`))[0]!.provolatile);
  assert.equal(r.more, 'v');
  assert.equal(r.n, 20);
  assert.match(r.plan, /Seq Scan on invoices/);
});
