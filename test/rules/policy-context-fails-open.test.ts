// policy-context-fails-open on PostgreSQL (PGlite): a permissive policy with a branch that is
// true when the tenant setting is unset admits every tenant's rows — with the setting never set
// in the session (current_setting(x, true) is NULL, T15) and/or after a transaction-local set
// has ended (it reads '', T15b) — and lets an INSERT write another tenant's row. After the
// (unsafe) fix the same states see 0 rows, and the tenant's rows once the setting is set.
//
// Data: tenant A has 1 invoice, tenant B has 2; "the leak" is B's 2 rows seen without a tenant.
// For `tenant_id = coalesce(<setting>, tenant_id)` a 4th invoice has no tenant (tenant_id NULL):
// the fallback makes the policy `tenant_id = tenant_id`, which admits A's and B's 3 rows but not
// that one (NULL = NULL is NULL) — what the message says ("every row whose tenant_id is not NULL").
//
// Two instances: the shared one (getDb) for everything that sets app.tenant_id, and one that
// never sets it (a placeholder setting, once set, can never read NULL again in that session).
// A transaction-local set that ends: set_config(…, true) inside a savepoint, then ROLLBACK TO
// SAVEPOINT (the same GUC stack pop as the end of a transaction, as in
// policy-current-setting-unsafe.test.ts).
//
// Other rules on the same examples, checked below so the messages never contradict:
// - policy-current-setting-unsafe reports Invalid #2 (its 22P02 is the `ended` state, this rule
//   the `never` state: both measured); it stays silent on Invalid #3, whose cast is never reached
//   (measured: the INSERT succeeds, no 22P02); and on Valid #5 (cast first: 22P02, never every
//   row) its nullif() fix is unsafe, because applied it opens the policy (measured: 3 rows).
// - policy-always-true reports `… OR true`, this rule does not.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { PGlite } from '@electric-sql/pglite';
import { affected, asOwner, closeAll, count, freshDb, getDb, inRollback, type Q, tryQuery } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintDocExample, lintFiles, sqlOf, TENANT_A, TENANT_B, textAt, nestedParentheses } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';

const ID = 'policy-context-fails-open';
before(initParser);
after(closeAll);

let neverDb: Promise<PGlite> | undefined;
/** The instance in which app.tenant_id is never set. */
const never = () => (neverDb ??= freshDb());

type Ws = Parameters<typeof sqlOf>[0];

/** The example's migrations as the non-superuser owner, A's 1 invoice and B's 2, as authenticated. */
async function invoices(q: Q, sql: string): Promise<void> {
  await asOwner(q, sql);
  await q(`INSERT INTO invoices (id, tenant_id, amount) VALUES (1, '${TENANT_A}', 10), (2, '${TENANT_B}', 20), (3, '${TENANT_B}', 30)`);
  await q('GRANT SELECT, INSERT, UPDATE, DELETE ON invoices TO authenticated');
  await q('SET ROLE authenticated');
}

/** Rows visible, and how many of them are tenant B's, or the error code. */
async function visible(q: Q): Promise<{ all: number; b: number } | string> {
  const r = await tryQuery(q, `SELECT count(*)::int AS all, count(*) FILTER (WHERE tenant_id = '${TENANT_B}')::int AS b FROM invoices`);
  return r.ok ? { all: r.rows[0]!.all, b: r.rows[0]!.b } : r.error.code;
}

/** Inserts an invoice of tenant B: 'ok' or the error code. */
async function insertB(q: Q, id = 9): Promise<string> {
  const r = await tryQuery(q, `INSERT INTO invoices (id, tenant_id, amount) VALUES (${id}, '${TENANT_B}', 99)`);
  return r.ok ? 'ok' : r.error.code;
}

async function assertNeverSet(q: Q): Promise<void> {
  assert.deepEqual(await q(`SELECT current_setting('app.tenant_id', true) AS v`), [{ v: null }], 'never set in this session: NULL (T15)');
}

async function localSetEnded(q: Q): Promise<void> {
  await q(`SAVEPOINT local_set; SELECT set_config('app.tenant_id', '${TENANT_A}', true); ROLLBACK TO SAVEPOINT local_set; RELEASE SAVEPOINT local_set`);
  assert.deepEqual(await q(`SELECT current_setting('app.tenant_id', true) AS v`), [{ v: '' }], "after the local set ended the setting reads '' (T15b)");
}

const setTenant = (q: Q, t: string) => q(`SELECT set_config('app.tenant_id', '${t}', true)`);

/** Runs `fn` with the example loaded, with app.tenant_id never set. */
async function whileNeverSet<T>(ws: Ws, fn: (q: Q) => Promise<T>): Promise<T> {
  return inRollback(await never(), async (q) => {
    await invoices(q, sqlOf(ws));
    await assertNeverSet(q);
    return fn(q);
  });
}

/** Runs `fn` with the example loaded, once a transaction-local set of app.tenant_id has ended. */
async function afterLocalSet<T>(ws: Ws, fn: (q: Q) => Promise<T>): Promise<T> {
  return inRollback(await getDb(), async (q) => {
    await invoices(q, sqlOf(ws));
    await localSetEnded(q);
    return fn(q);
  });
}

/** Runs `fn` with the example loaded and app.tenant_id set to tenant A. */
async function asTenantA<T>(ws: Ws, fn: (q: Q) => Promise<T>): Promise<T> {
  return inRollback(await getDb(), async (q) => {
    await invoices(q, sqlOf(ws));
    await setTenant(q, TENANT_A);
    return fn(q);
  });
}

/** A workspace that fails closed (a fixed one, a Valid example): no finding; 0 rows never set and after a local set, tenant A's 1 row when set. */
async function expectClosed(ws: Ws): Promise<void> {
  assert.equal(findingsOf(ws, ID).length, 0);
  assert.deepEqual(await whileNeverSet(ws, visible), { all: 0, b: 0 }, 'never set: no row');
  assert.deepEqual(await afterLocalSet(ws, visible), { all: 0, b: 0 }, "'': no row");
  assert.deepEqual(await asTenantA(ws, visible), { all: 1, b: 0 }, "set: the tenant's row");
}

test("err: coalesce(…, '') = '' OR …: every tenant's rows never set (T15) and after a local set ended (T15b); fixed: 0 rows, then A's row", async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), "(select coalesce(current_setting('app.tenant_id', true), '')) = ''");
  assert.match(finding.message, /^Policy "invoices_tenant" on public\.invoices admits every row when app\.tenant_id is unset: its USING is then true for every row/);
  assert.match(finding.message, /returns NULL in a session that never set app\.tenant_id \(T15\) and '' for the rest of a session after a transaction-local set .* has ended \(T15b\)/);
  assert.match(finding.message, /So authenticated may read every row/);
  assert.match(finding.message, /BYPASSRLS/);
  assert.equal(finding.fixes[0]!.kind, 'unsafe');
  assert.deepEqual(await whileNeverSet(ws, visible), { all: 3, b: 2 }, 'never set: the leak is B’s 2 rows');
  assert.deepEqual(await afterLocalSet(ws, visible), { all: 3, b: 2 }, "'': the same leak");
  assert.deepEqual(await asTenantA(ws, visible), { all: 1, b: 0 }, 'set: only A');
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /USING \(tenant_id = \(select nullif\(current_setting\('app\.tenant_id', true\), ''\)::uuid\)\);/);
  await expectClosed(fixed);
});

test('err: FOR ALL … IS NULL OR … (no WITH CHECK): never set, every row and an INSERT of B’s row; policy-current-setting-unsafe reports the other state (22P02)', async () => {
  const { ws, finding, findings } = invalidFinding(ID, 1);
  assert.equal(textAt(ws, finding), "(select current_setting('app.tenant_id', true)) IS NULL");
  assert.match(finding.message, /admits every row in a session that never set app\.tenant_id: .* then returns NULL \(T15\)/);
  assert.doesNotMatch(finding.message, /T15b/, 'the ended state is not open here');
  assert.match(finding.message, /may read, update and delete every row, and insert or update rows to any values .*USING is also the check for new rows \(T14c\)/);
  assert.deepEqual(
    await whileNeverSet(ws, async (q) => [await visible(q), await insertB(q)]),
    [{ all: 3, b: 2 }, 'ok'],
    'never set: B’s rows visible and a row written for B',
  );
  // the `ended` state is policy-current-setting-unsafe's: the cast fails, nothing is admitted
  const other = findings.filter((f) => f.rule === 'policy-current-setting-unsafe');
  assert.equal(other.length, 1);
  assert.match(other[0]!.message, /reads '' rather than NULL, so the cast to uuid fails with 22P02 .*\(T15b\); then statements the policy applies to fail \(as the planner or the scan evaluates the call/);
  assert.deepEqual(await afterLocalSet(ws, async (q) => [await visible(q), await insertB(q)]), ['22P02', '22P02']);
  // the fix drops the branch and reads the setting with nullif: both findings are gone
  const fixed = applyFix(ws, finding);
  assert.equal(findingsOf(fixed, 'policy-current-setting-unsafe').length, 0);
  await expectClosed(fixed);
  assert.equal(await whileNeverSet(fixed, insertB), '42501');
  assert.deepEqual(await asTenantA(fixed, async (q) => [await insertB(q), await affected(q, `INSERT INTO invoices (id, tenant_id, amount) VALUES (8, '${TENANT_A}', 1)`)]), ['42501', 1]);
});

test("err: WITH CHECK (… = '' OR tenant_id = …::uuid): checked left to right, so after a local set ended an INSERT of B’s row succeeds (no 22P02)", async () => {
  const { ws, finding, findings } = invalidFinding(ID, 2);
  assert.match(finding.message, /^Policy "invoices_insert" .* admits every row once a transaction-local set of app\.tenant_id .* has ended: its WITH CHECK is then true/);
  assert.match(finding.message, /may insert rows with any values/);
  assert.equal(findings.filter((f) => f.rule === 'policy-current-setting-unsafe').length, 0, 'the cast is never reached: no 22P02 to report');
  assert.deepEqual(await afterLocalSet(ws, async (q) => [await visible(q), await insertB(q)]), [{ all: 0, b: 0 }, 'ok'], 'reads nothing, writes for B');
  assert.equal(await whileNeverSet(ws, insertB), '42501', 'never set: NULL, no row passes');
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /WITH CHECK \(tenant_id = \(select nullif\(current_setting\('app\.tenant_id', true\), ''\)::uuid\)\);/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  assert.equal(await afterLocalSet(fixed, insertB), '42501');
  assert.equal(await asTenantA(fixed, (q) => affected(q, `INSERT INTO invoices (id, tenant_id, amount) VALUES (8, '${TENANT_A}', 1)`)), 1);
});

test('err: through a helper, app_tenant() IS NULL OR …: every row in both states; fixed: 0 rows', async () => {
  const { ws, finding } = invalidFinding(ID, 3);
  assert.match(finding.message, /`current_setting\('app\.tenant_id', true\)` \(in `public\.app_tenant\(\)`\) returns NULL/);
  assert.equal(nestedParentheses(finding.message), undefined, 'SQL in backticks: no parenthesis inside another');
  assert.deepEqual(await whileNeverSet(ws, visible), { all: 3, b: 2 });
  assert.deepEqual(await afterLocalSet(ws, visible), { all: 3, b: 2 });
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /USING \(tenant_id = \(select app_tenant\(\)\)\);/);
  await expectClosed(fixed);
});

test('err: Supabase auth.uid() IS NULL OR owner_id = auth.uid(): anon sees every note; fixed: none, a user sees their own', async () => {
  const { ws, finding } = invalidFinding(ID, 4);
  assert.match(finding.message, /auth\.uid\(\) returns NULL for a request without a signed-in user \(anon\)/);
  assert.match(finding.message, /So anon and authenticated may read every row/);
  assert.match(finding.message, /a comparison with `auth\.uid\(\)` \(e\.g\. `owner_id = \(select auth\.uid\(\)\)`\) matches no row when it is NULL/);
  assert.equal(nestedParentheses(finding.message), undefined, 'SQL in backticks: no parenthesis inside another');
  const notes = async (w: Ws, role: string, user?: string) =>
    inRollback(await getDb(), async (q) => {
      await q(AUTH_STUB_SQL);
      await asOwner(q, sqlOf(w));
      await q(`INSERT INTO notes VALUES (1, '${TENANT_A}', 'a'), (2, '${TENANT_B}', 'b'); GRANT SELECT ON notes TO anon, authenticated`);
      if (user) await q(actAs(user));
      await q(`SET ROLE ${role}`);
      return count(q, 'notes');
    });
  assert.equal(await notes(ws, 'anon'), 2, 'anon: every note');
  assert.equal(await notes(ws, 'authenticated', TENANT_A), 1);
  const fixed = applyFix(ws, finding);
  assert.equal(findingsOf(fixed, ID).length, 0);
  assert.equal(await notes(fixed, 'anon'), 0);
  assert.equal(await notes(fixed, 'authenticated', TENANT_A), 1);
});

test("err: permissive USING (true) + restrictive tenant check that is true once the setting reads '': every row; never set: none (the restrictive one is NULL)", async () => {
  const { ws, finding } = invalidFinding(ID, 5);
  assert.match(finding.message, /^Restrictive policy "invoices_tenant" .* stops narrowing once a transaction-local set .* and permissive policy "invoices_all" admits every row \(its USING is always true\)/);
  assert.deepEqual(await afterLocalSet(ws, visible), { all: 3, b: 2 });
  assert.deepEqual(await whileNeverSet(ws, visible), { all: 0, b: 0 });
  await expectClosed(applyFix(ws, finding));
});

/** Adds invoice 4 without a tenant (tenant_id NULL), as the superuser, and goes back to authenticated. */
async function addRowWithoutTenant(q: Q): Promise<void> {
  await q('RESET ROLE');
  await q('INSERT INTO invoices (id, tenant_id, amount) VALUES (4, NULL, 40)');
  await q('SET ROLE authenticated');
}

/** Rows visible, how many are tenant B's and how many have no tenant, or the error code. */
async function visibleWithNull(q: Q): Promise<{ all: number; b: number; none: number } | string> {
  const r = await tryQuery(q, `SELECT count(*)::int AS all, count(*) FILTER (WHERE tenant_id = '${TENANT_B}')::int AS b, count(*) FILTER (WHERE tenant_id IS NULL)::int AS none FROM invoices`);
  return r.ok ? { all: r.rows[0]!.all, b: r.rows[0]!.b, none: r.rows[0]!.none } : r.error.code;
}

test("err: tenant_id = coalesce(<setting>, tenant_id): the row's own tenant_id when unset, so every tenant's rows (3 of 3) in both states but not the row without a tenant; fixed: 0 rows", async () => {
  const { ws, finding } = invalidFinding(ID, 6);
  assert.equal(textAt(ws, finding), "coalesce((select nullif(current_setting('app.tenant_id', true), '')::uuid), tenant_id)");
  assert.match(finding.message, /^Policy "invoices_tenant" on public\.invoices admits every row whose tenant_id is not NULL \(whichever tenant's or user's it is\) when app\.tenant_id is unset: its USING then compares tenant_id with itself/);
  assert.match(finding.message, /So authenticated may read every row whose tenant_id is not NULL — /);
  assert.match(finding.message, /drop the fallback to the row's own tenant_id; compare with `nullif\(current_setting\('app\.tenant_id', true\), ''\)::uuid`/);
  assert.equal(nestedParentheses(finding.message), undefined, 'SQL in backticks: no parenthesis inside another');
  // 4 rows: A's 1, B's 2 and one without a tenant (tenant_id NULL: NULL = NULL is NULL)
  const leak = { all: 3, b: 2, none: 0 };
  assert.deepEqual(await whileNeverSet(ws, async (q) => (await addRowWithoutTenant(q), visibleWithNull(q))), leak, 'never set: every row with a tenant, not the one without');
  assert.deepEqual(await afterLocalSet(ws, async (q) => (await addRowWithoutTenant(q), visibleWithNull(q))), leak, "'': the same");
  assert.deepEqual(await asTenantA(ws, async (q) => (await addRowWithoutTenant(q), visibleWithNull(q))), { all: 1, b: 0, none: 0 }, 'set: only A');
  // the fix (and the message's advice): compare with the setting alone
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /USING \(tenant_id = \(select nullif\(current_setting\('app\.tenant_id', true\), ''\)::uuid\)\);/);
  await expectClosed(fixed);
  assert.deepEqual(await whileNeverSet(fixed, async (q) => (await addRowWithoutTenant(q), visibleWithNull(q))), { all: 0, b: 0, none: 0 });
  // without nullif: NULL never set (every row with a tenant), '' once a local set ended (22P02 — policy-current-setting-unsafe's)
  const bare = lintFiles([{ file: 'm.sql', text: sqlOf(ws).replace("(select nullif(current_setting('app.tenant_id', true), '')::uuid)", "current_setting('app.tenant_id', true)::uuid") }], ID);
  assert.equal(bare.mine.length, 1);
  assert.match(bare.mine[0]!.message, /admits every row whose tenant_id is not NULL .* in a session that never set app\.tenant_id: /);
  assert.deepEqual(await whileNeverSet(bare.ws, async (q) => (await addRowWithoutTenant(q), visibleWithNull(q))), leak);
  assert.equal(await afterLocalSet(bare.ws, visibleWithNull), '22P02');
  const unsafe = bare.findings.filter((f) => f.rule === 'policy-current-setting-unsafe');
  assert.equal(unsafe.length, 1);
  assert.match(unsafe[0]!.message, /but then the policy admits every row whose tenant_id is not NULL once the setting reads '', as it falls back to the row's own tenant_id/);
  assert.equal(unsafe[0]!.fixes[0]!.kind, 'unsafe');
  assert.deepEqual(await afterLocalSet(applyFix(bare.ws, unsafe[0]!), async (q) => (await addRowWithoutTenant(q), visibleWithNull(q))), leak, 'what its nullif rewrite alone would do');
  const fixedBare = applyFix(bare.ws, bare.mine[0]!);
  assert.match(sqlOf(fixedBare), /USING \(tenant_id = nullif\(current_setting\('app\.tenant_id', true\), ''\)::uuid\);/);
  assert.equal(findingsOf(fixedBare, 'policy-current-setting-unsafe').length, 0);
  await expectClosed(fixedBare);
});

test('err: Supabase owner_id = coalesce(auth.uid(), owner_id): anon sees every note with an owner, not the one without; fixed: none', async () => {
  const sql = `CREATE TABLE notes (id bigint PRIMARY KEY, owner_id uuid, body text);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY; ALTER TABLE notes FORCE ROW LEVEL SECURITY;
CREATE POLICY notes_read ON notes FOR SELECT TO anon, authenticated USING (owner_id = coalesce((select auth.uid()), owner_id));`;
  const { ws, mine } = lintFiles([{ file: 'm.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /admits every row whose owner_id is not NULL .* when auth\.uid\(\) is NULL/);
  const notes = async (w: Ws, role: string, user?: string) =>
    inRollback(await getDb(), async (q) => {
      await q(AUTH_STUB_SQL);
      await asOwner(q, sqlOf(w));
      await q(`INSERT INTO notes VALUES (1, '${TENANT_A}', 'a'), (2, '${TENANT_B}', 'b'), (3, NULL, 'none'); GRANT SELECT ON notes TO anon, authenticated`);
      if (user) await q(actAs(user));
      await q(`SET ROLE ${role}`);
      return count(q, 'notes');
    });
  assert.equal(await notes(ws, 'anon'), 2, 'anon: both notes with an owner, not the one without');
  assert.equal(await notes(ws, 'authenticated', TENANT_A), 1);
  const fixed = applyFix(ws, mine[0]!);
  assert.match(sqlOf(fixed), /USING \(owner_id = \(select auth\.uid\(\)\)\);/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  assert.equal(await notes(fixed, 'anon'), 0);
  assert.equal(await notes(fixed, 'authenticated', TENANT_A), 1);
});

test('ok: fallbacks to a constant or to another column (Valid #7, #8) admit no row unset; a column compared with itself is reported in its mirrored and cast forms, not in look-alikes', async () => {
  for (const n of [6, 7]) {
    const { ws, mine } = lintDocExample(ID, 'valid', n);
    assert.equal(mine.length, 0);
    await expectClosed(ws);
  }
  const base = `CREATE TABLE t (id int PRIMARY KEY, tenant_id uuid, other uuid); ALTER TABLE t ENABLE ROW LEVEL SECURITY; ALTER TABLE t FORCE ROW LEVEL SECURITY;`;
  const T = "current_setting('app.tenant_id', true)";
  const N = `nullif(${T}, '')::uuid`;
  const lint = (e: string) => lintFiles([{ file: 'm.sql', text: `${base}\nCREATE POLICY p ON t FOR SELECT TO authenticated USING (${e});` }], ID).mine;
  const yes: Array<[string, RegExp]> = [
    [`tenant_id = COALESCE(${N}, tenant_id)`, /when app\.tenant_id is unset/],
    [`COALESCE(${N}, tenant_id) = tenant_id`, /when app\.tenant_id is unset/],
    [`t.tenant_id = COALESCE(${N}, t.tenant_id, other)`, /when app\.tenant_id is unset/],
    [`tenant_id::text = coalesce(${T}, tenant_id::text)`, /in a session that never set app\.tenant_id/],
    [`coalesce(nullif(${T}, ''), tenant_id::text) = tenant_id::text`, /when app\.tenant_id is unset/],
  ];
  for (const [e, when] of yes) {
    const mine = lint(e);
    assert.equal(mine.length, 1, e);
    assert.match(mine[0]!.message, /admits every row whose tenant_id is not NULL/, e);
    assert.match(mine[0]!.message, when, e);
    assert.equal(mine[0]!.fixes.length, 1, e);
  }
  const no = [
    `tenant_id = COALESCE(${N}, '00000000-0000-0000-0000-000000000000'::uuid)`,
    `tenant_id = COALESCE(${N}, other)`,
    `tenant_id = COALESCE(${N}, other, tenant_id)`,
    `tenant_id::text = coalesce(${T}, tenant_id::varchar(3))`,
    `lower(tenant_id::text) = coalesce(${T}, tenant_id::text)`,
    `NOT (tenant_id = COALESCE(${N}, tenant_id))`,
    `(tenant_id = COALESCE(${N}, tenant_id)) IS NULL`,
    // true whatever the setting holds (where tenant_id is not NULL): no context to fail open
    `tenant_id = COALESCE(tenant_id, ${N})`,
  ];
  for (const e of no) assert.equal(lint(e).length, 0, e);
});

test('ok: Valid examples on PostgreSQL: nullif and "<> \'\' AND" fail closed; a restrictive OR leaves the permissive filter in charge', async () => {
  for (const n of [0, 1]) {
    const { ws, mine } = lintDocExample(ID, 'valid', n);
    assert.equal(mine.length, 0);
    await expectClosed(ws);
  }
  // restrictive (true once '') + permissive on app.user_id: each user still sees only their rows
  const { ws, mine } = lintDocExample(ID, 'valid', 2);
  assert.equal(mine.length, 0);
  const rows = await inRollback(await getDb(), async (q) => {
    await asOwner(q, sqlOf(ws));
    await q(`INSERT INTO invoices VALUES (1, '${TENANT_A}', '${TENANT_A}', 1), (2, '${TENANT_B}', '${TENANT_B}', 2), (3, '${TENANT_B}', '${TENANT_A}', 3); GRANT SELECT ON invoices TO authenticated`);
    await localSetEnded(q);
    await q(`SELECT set_config('app.user_id', '${TENANT_A}', true)`);
    await q('SET ROLE authenticated');
    return q('SELECT id FROM invoices ORDER BY id');
  });
  assert.deepEqual(rows, [{ id: 1 }, { id: 3 }], "the user's own rows (of both tenants: the restrictive one stopped narrowing), not every row");
});

test("ok: the cast planned first (Valid #5) never admits every row: NULL → 0 rows, '' → 22P02; policy-current-setting-unsafe's nullif fix would open it, so it is unsafe", async () => {
  const { ws, mine, findings } = lintDocExample(ID, 'valid', 4);
  assert.equal(mine.length, 0);
  assert.deepEqual(await whileNeverSet(ws, visible), { all: 0, b: 0 });
  assert.equal(await afterLocalSet(ws, visible), '22P02');
  const unsafe = findings.filter((f) => f.rule === 'policy-current-setting-unsafe');
  assert.equal(unsafe.length, 1);
  assert.match(unsafe[0]!.message, /but then another branch of the policy admits every row once the setting reads '' \(policy-context-fails-open\)/);
  const fix = unsafe[0]!.fixes[0]!;
  assert.equal(fix.kind, 'unsafe', 'not applied by --fix');
  const rewritten = applyFix(ws, unsafe[0]!);
  assert.deepEqual(await afterLocalSet(rewritten, visible), { all: 3, b: 2 }, 'what the nullif rewrite alone would do');
  const opened = findingsOf(rewritten, ID);
  assert.equal(opened.length, 1, 'and this rule reports the result');
  await expectClosed(applyFix(rewritten, opened[0]!));
});

test("ok: the order that decides, measured: USING plans a cast of '' wherever it stands (22P02), WITH CHECK and sub-selects run left to right", async () => {
  const table = `CREATE TABLE invoices (id bigint PRIMARY KEY, tenant_id uuid NOT NULL, amount numeric);
ALTER TABLE invoices ENABLE ROW LEVEL SECURITY; ALTER TABLE invoices FORCE ROW LEVEL SECURITY;`;
  const cases: Array<{ policy: string; probe: 'select' | 'insert'; ended: unknown; reported: boolean }> = [
    { policy: `FOR SELECT TO authenticated USING (current_setting('app.tenant_id', true) = '' OR tenant_id = current_setting('app.tenant_id', true)::uuid)`, probe: 'select', ended: '22P02', reported: false },
    { policy: `FOR SELECT TO authenticated USING (current_setting('app.tenant_id', true) = '' OR tenant_id = (select current_setting('app.tenant_id', true)::uuid))`, probe: 'select', ended: { all: 3, b: 2 }, reported: true },
    { policy: `FOR SELECT TO authenticated USING (current_setting('app.tenant_id', true) = '' OR tenant_id = (select current_setting('app.tenant_id', true))::uuid)`, probe: 'select', ended: { all: 3, b: 2 }, reported: true },
    // a CASE is reached in order by planning too: its guarded cast is never computed
    { policy: `FOR SELECT TO authenticated USING (CASE WHEN current_setting('app.tenant_id', true) = '' THEN true ELSE tenant_id = current_setting('app.tenant_id', true)::uuid END)`, probe: 'select', ended: { all: 3, b: 2 }, reported: true },
    { policy: `FOR SELECT TO authenticated USING (CASE WHEN current_setting('app.tenant_id', true) = '' THEN false ELSE tenant_id = current_setting('app.tenant_id', true)::uuid END)`, probe: 'select', ended: { all: 0, b: 0 }, reported: false },
    { policy: `FOR INSERT TO authenticated WITH CHECK (current_setting('app.tenant_id', true) = '' OR tenant_id = current_setting('app.tenant_id', true)::uuid)`, probe: 'insert', ended: 'ok', reported: true },
    { policy: `FOR INSERT TO authenticated WITH CHECK (tenant_id = current_setting('app.tenant_id', true)::uuid OR current_setting('app.tenant_id', true) = '')`, probe: 'insert', ended: '22P02', reported: false },
  ];
  for (const c of cases) {
    const sql = `${table}\nCREATE POLICY p ON invoices ${c.policy};`;
    const linted = lintFiles([{ file: 'm.sql', text: sql }], ID);
    assert.equal(linted.mine.length, c.reported ? 1 : 0, c.policy);
    const got = await afterLocalSet(linted.ws, (q) => (c.probe === 'select' ? visible(q) : insertB(q)));
    assert.deepEqual(got, c.ended, c.policy);
  }
  // FOR ALL without WITH CHECK: USING is planned for SELECT (22P02) and checked for INSERT (passes)
  const all = `${table}\nCREATE POLICY p ON invoices FOR ALL TO authenticated USING (current_setting('app.tenant_id', true) = '' OR tenant_id = current_setting('app.tenant_id', true)::uuid);`;
  const linted = lintFiles([{ file: 'm.sql', text: all }], ID);
  assert.equal(linted.mine.length, 1);
  assert.match(linted.mine[0]!.message, /So authenticated may insert rows with any values/);
  assert.doesNotMatch(linted.mine[0]!.message, /read/);
  const other = linted.findings.find((f) => f.rule === 'policy-current-setting-unsafe');
  assert.match(other!.message, /then every SELECT, UPDATE and DELETE the policy applies to fails \(an INSERT, which checks USING branch by branch, never reaches the cast/);
  assert.deepEqual(await afterLocalSet(linted.ws, async (q) => [await insertB(q), await visible(q)]), ['ok', '22P02']);
});

/** The plan of the count as the current role, one line per node (EXPLAIN plans, it does not execute). */
async function planOf(q: Q): Promise<string> {
  const rows = await q('EXPLAIN (COSTS OFF) SELECT count(*) FROM invoices');
  return rows.map((r) => String(r['QUERY PLAN'])).join('\n');
}

/** Adds invoices 4..n+3 (a third tenant A's, the rest B's) as the superuser, analyses, and goes back to authenticated. */
async function addRows(q: Q, n: number): Promise<void> {
  await q('RESET ROLE');
  await q(`INSERT INTO invoices SELECT i, CASE WHEN i % 3 = 1 THEN '${TENANT_A}'::uuid ELSE '${TENANT_B}'::uuid END, i FROM generate_series(4, ${n + 3}) i; ANALYZE invoices`);
  await q('SET ROLE authenticated');
}

// Measured on PGlite (PostgreSQL 18), as authenticated, 3 rows (A 1, B 2) and 1003 rows (A 335, B 668):
//
//   USING (…)                                                        never set   '' (local set ended)  set to A
//   cs = '' OR tenant_id IN (SELECT cs::uuid)                        0 rows      every row             A's rows
//   coalesce(cs, '') = '' OR tenant_id IN (SELECT cs::uuid)          every row   every row             A's rows
//   cs = '' OR tenant_id = ANY (SELECT cs::uuid)                     0 rows      every row             A's rows
//   coalesce(cs, '') = '' OR tenant_id = ANY (SELECT cs::uuid)       every row   every row             A's rows
//   cs = '' OR tenant_id = (SELECT cs::uuid)                         0 rows      every row             A's rows
//   tenant_id IN (SELECT cs::uuid) OR cs = ''                        0 rows      22P02                 A's rows
//   tenant_id IN (SELECT cs::uuid)                                   0 rows      22P02                 A's rows
//   coalesce(cs, '') = '' OR tenant_id IN (SELECT current_setting('app.tenant_id')::uuid)
//                                                                    every row   every row             A's rows
//     (no missing_ok: 42704 if reached, but while never set the first branch decides)
//   (cs = current_setting('app.tenant_id', true); an index on tenant_id, plans the same with 3 and 1003 rows)
//
// The plans: IN (SELECT …) and = ANY (SELECT …) are a hashed SubPlan, the scalar form an InitPlan;
// both are computed only when the filter reaches them, so OR's left-to-right order decides:
//   Aggregate
//     ->  Seq Scan on invoices
//           Filter: ((current_setting('app.tenant_id'::text, true) = ''::text) OR (ANY (tenant_id = (hashed SubPlan 1).col1)))
//           SubPlan 1
//             ->  Result
//   Aggregate
//     InitPlan 1
//       ->  Result
//     ->  Seq Scan on invoices
//           Filter: ((current_setting('app.tenant_id'::text, true) = ''::text) OR (tenant_id = (InitPlan 1).col1))
test("err: … = '' OR tenant_id IN (SELECT …::uuid) (Invalid #8): a hashed SubPlan, built only when reached, so every tenant's rows once a local set has ended (no 22P02); fixed: 0 rows, then A's", async () => {
  const { ws, finding, findings } = invalidFinding(ID, 7);
  assert.equal(textAt(ws, finding), "current_setting('app.tenant_id', true) = ''");
  assert.match(finding.message, /^Policy "invoices_tenant" on public\.invoices admits every row once a transaction-local set of app\.tenant_id \(`set_config\(…, true\)` or `SET LOCAL`\) has ended: its USING is then true for every row/);
  assert.match(finding.message, /then returns '' for the rest of the session \(T15b\)/);
  assert.equal(nestedParentheses(finding.message), undefined, 'SQL in backticks: no parenthesis inside another');
  assert.doesNotMatch(finding.message, /T15\)/, 'the never-set state is not open: NULL = \'\' is NULL and IN (SELECT NULL) is NULL');
  assert.equal(findings.filter((f) => f.rule === 'policy-current-setting-unsafe').length, 0, 'the cast is never reached: no 22P02 to report');
  assert.match(await afterLocalSet(ws, planOf), /Filter: .*OR \(ANY \(tenant_id = \(hashed SubPlan 1\)\.col1\)\)\)\n\s+SubPlan 1/);
  assert.deepEqual(await afterLocalSet(ws, visible), { all: 3, b: 2 }, "'': the leak, B's 2 rows");
  assert.deepEqual(await whileNeverSet(ws, visible), { all: 0, b: 0 }, 'never set: NULL, no row');
  assert.deepEqual(await asTenantA(ws, visible), { all: 1, b: 0 });
  // with 1003 rows and statistics: the same plan, the same leak
  const big = async (q: Q) => (await addRows(q, 1000), [await visible(q), await planOf(q)] as const);
  const [rows, plan] = await afterLocalSet(ws, big);
  assert.deepEqual(rows, { all: 1003, b: 668 });
  assert.match(plan, /hashed SubPlan 1/);
  assert.deepEqual((await whileNeverSet(ws, big))[0], { all: 0, b: 0 });
  assert.deepEqual((await asTenantA(ws, big))[0], { all: 335, b: 0 });
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /USING \(tenant_id IN \(SELECT nullif\(current_setting\('app\.tenant_id', true\), ''\)::uuid\)\);/);
  await expectClosed(fixed);
});

test("ok: the other forms of that sub-select, measured: coalesce(…, '') = '' opens both states (no 42704 from a call without missing_ok there either), = ANY and a scalar sub-select behave as IN, the branches the other way round fail with 22P02", async () => {
  const table = `CREATE TABLE invoices (id bigint PRIMARY KEY, tenant_id uuid NOT NULL, amount numeric);
CREATE INDEX ON invoices (tenant_id);
ALTER TABLE invoices ENABLE ROW LEVEL SECURITY; ALTER TABLE invoices FORCE ROW LEVEL SECURITY;`;
  const T = "current_setting('app.tenant_id', true)";
  const leak = { all: 3, b: 2 };
  const none = { all: 0, b: 0 };
  const cases: Array<{ using: string; never: unknown; ended: unknown; plan: RegExp; states?: RegExp; unsafe: boolean }> = [
    { using: `coalesce(${T}, '') = '' OR tenant_id IN (SELECT ${T}::uuid)`, never: leak, ended: leak, plan: /hashed SubPlan/, states: /when app\.tenant_id is unset/, unsafe: false },
    { using: `${T} = '' OR tenant_id = ANY (SELECT ${T}::uuid)`, never: none, ended: leak, plan: /hashed SubPlan/, states: /once a transaction-local set/, unsafe: false },
    { using: `coalesce(${T}, '') = '' OR tenant_id = ANY (SELECT ${T}::uuid)`, never: leak, ended: leak, plan: /hashed SubPlan/, states: /when app\.tenant_id is unset/, unsafe: false },
    { using: `${T} = '' OR tenant_id = (SELECT ${T}::uuid)`, never: none, ended: leak, plan: /InitPlan 1/, states: /once a transaction-local set/, unsafe: false },
    // without missing_ok inside the sub-select: never reached while never set either (no 42704)
    { using: `coalesce(${T}, '') = '' OR tenant_id IN (SELECT current_setting('app.tenant_id')::uuid)`, never: leak, ended: leak, plan: /hashed SubPlan/, states: /when app\.tenant_id is unset/, unsafe: false },
    { using: `coalesce(${T}, '') = '' OR tenant_id = (SELECT current_setting('app.tenant_id')::uuid)`, never: leak, ended: leak, plan: /InitPlan 1/, states: /when app\.tenant_id is unset/, unsafe: false },
    { using: `tenant_id IN (SELECT ${T}::uuid) OR ${T} = ''`, never: none, ended: '22P02', plan: /hashed SubPlan/, unsafe: true },
    { using: `tenant_id IN (SELECT ${T}::uuid)`, never: none, ended: '22P02', plan: /hashed SubPlan/, unsafe: true },
  ];
  for (const c of cases) {
    const linted = lintFiles([{ file: 'm.sql', text: `${table}\nCREATE POLICY p ON invoices FOR SELECT TO authenticated USING (${c.using});` }], ID);
    assert.equal(linted.mine.length, c.states ? 1 : 0, c.using);
    if (c.states) assert.match(linted.mine[0]!.message, c.states, c.using);
    const unsafe = linted.findings.filter((f) => f.rule === 'policy-current-setting-unsafe');
    assert.equal(unsafe.length, c.unsafe ? 1 : 0, c.using);
    if (c.unsafe) assert.match(unsafe[0]!.message, /fails with 22P02/, c.using);
    assert.match(await afterLocalSet(linted.ws, planOf), c.plan, c.using);
    assert.deepEqual(await whileNeverSet(linted.ws, visible), c.never, c.using);
    assert.deepEqual(await afterLocalSet(linted.ws, visible), c.ended, c.using);
    assert.deepEqual(await asTenantA(linted.ws, visible), { all: 1, b: 0 }, c.using);
  }
  // WITH CHECK runs the same left to right: an INSERT of B's row passes once the setting reads ''
  const check = lintFiles([{ file: 'm.sql', text: `${table}\nCREATE POLICY p ON invoices FOR INSERT TO authenticated WITH CHECK (${T} = '' OR tenant_id IN (SELECT ${T}::uuid));` }], ID);
  assert.equal(check.mine.length, 1);
  assert.match(check.mine[0]!.message, /may insert rows with any values/);
  assert.equal(check.findings.filter((f) => f.rule === 'policy-current-setting-unsafe').length, 0);
  assert.equal(await afterLocalSet(check.ws, insertB), 'ok');
  assert.equal(await whileNeverSet(check.ws, insertB), '42501');
});

test('ok: not reported — tautologies (policy-always-true’s), fail-closed forms, BYPASSRLS roles, a restrictive policy that still narrows; reported — other unset shapes', () => {
  const base = `CREATE TABLE t (id int PRIMARY KEY, tenant_id uuid, deleted_at timestamptz); ALTER TABLE t ENABLE ROW LEVEL SECURITY; ALTER TABLE t FORCE ROW LEVEL SECURITY;`;
  const T = "current_setting('app.tenant_id', true)";
  const lint = (policies: string) => lintFiles([{ file: 'm.sql', text: `${base}\n${policies}` }], ID);
  const no = [
    `CREATE POLICY p ON t FOR SELECT TO authenticated USING (tenant_id = nullif(${T}, '')::uuid);`,
    `CREATE POLICY p ON t FOR SELECT TO authenticated USING (${T} IS NOT NULL AND ${T} <> '' AND tenant_id = nullif(${T}, '')::uuid);`,
    `CREATE POLICY p ON t FOR SELECT TO authenticated USING (${T} = 'admin' OR tenant_id = nullif(${T}, '')::uuid);`,
    `CREATE ROLE etl BYPASSRLS; CREATE POLICY p ON t FOR SELECT TO etl USING (${T} IS NULL OR tenant_id = nullif(${T}, '')::uuid);`,
    `CREATE POLICY p ON t FOR SELECT TO authenticated USING (${T} IS NULL OR tenant_id = nullif(${T}, '')::uuid);
     CREATE POLICY r ON t AS RESTRICTIVE FOR SELECT TO authenticated USING (tenant_id = nullif(current_setting('app.org', true), '')::uuid);`,
    `CREATE POLICY p ON t FOR SELECT TO authenticated USING (tenant_id = nullif(${T}, '')::uuid);
     CREATE POLICY r ON t AS RESTRICTIVE FOR SELECT TO authenticated USING (${T} IS NULL OR tenant_id = nullif(${T}, '')::uuid);`,
  ];
  for (const sql of no) assert.equal(lint(sql).mine.length, 0, sql);
  // a tautology is policy-always-true's (and only its) finding
  const taut = lint(`CREATE POLICY p ON t FOR UPDATE TO authenticated USING (${T} IS NULL OR true);`);
  assert.equal(taut.mine.length, 0);
  assert.equal(taut.findings.filter((f) => f.rule === 'policy-always-true').length, 1);
  const yes: Array<[string, RegExp]> = [
    [`nullif(${T}, '') IS NULL OR tenant_id = nullif(${T}, '')::uuid`, /when app\.tenant_id is unset/],
    [`NOT (${T} IS NOT NULL) OR tenant_id = nullif(${T}, '')::uuid`, /in a session that never set app\.tenant_id/],
    [`${T} IN ('', 'all') OR tenant_id = nullif(${T}, '')::uuid`, /once a transaction-local set/],
    [`length(${T}) = 0 OR tenant_id = nullif(${T}, '')::uuid`, /once a transaction-local set/],
    [`coalesce(tenant_id = nullif(${T}, '')::uuid, true)`, /when app\.tenant_id is unset/],
    [`CASE WHEN ${T} = '' THEN true ELSE tenant_id = nullif(${T}, '')::uuid END`, /once a transaction-local set/],
    [`(${T} IS NULL OR tenant_id = nullif(${T}, '')::uuid) AND deleted_at IS NULL`, /admits every row that meets deleted_at IS NULL in a session that never set/],
  ];
  for (const [e, msg] of yes) {
    const { mine } = lint(`CREATE POLICY p ON t FOR SELECT TO authenticated USING (${e});`);
    assert.equal(mine.length, 1, e);
    assert.match(mine[0]!.message, msg, e);
  }
  // the fix is offered only where a whole OR branch can be dropped and the result is checked closed
  const fixable = (e: string) => lint(`CREATE POLICY p ON t FOR SELECT TO authenticated USING (${e});`).mine[0]!.fixes.length > 0;
  assert.equal(fixable(`(${T} IS NULL OR tenant_id = nullif(${T}, '')::uuid) AND deleted_at IS NULL`), true);
  assert.equal(fixable(`coalesce(tenant_id = nullif(${T}, '')::uuid, true)`), false);
  assert.equal(fixable(`CASE WHEN ${T} = '' THEN true ELSE tenant_id = nullif(${T}, '')::uuid END`), false);
});

/** A workspace of two files: `helper` in 1_helper.sql, and a FORCE'd table docs with a SELECT policy USING (`using`) in 2_policy.sql; `mine` re-lints it. */
async function helperAndPolicy(helper: string, using: string) {
  const { Workspace } = await import('../../server/src/engine/workspace.js');
  const ws = new Workspace();
  ws.setFile('1_helper.sql', helper);
  ws.setFile(
    '2_policy.sql',
    `CREATE TABLE docs (id int, tenant_id uuid);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
ALTER TABLE docs FORCE ROW LEVEL SECURITY;
CREATE POLICY docs_tenant ON docs FOR SELECT TO authenticated USING (${using});`,
  );
  return { ws, mine: () => [...ws.lint().byFile.values()].flat().filter((f) => f.rule === ID) };
}

test('ok: results kept across lints follow an edit of the helper in another file (the model is new, the policy node is not)', async () => {
  const helper = `CREATE FUNCTION app_tenant() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT current_setting('app.tenant_id', true)::uuid $$;`;
  const { ws, mine: found } = await helperAndPolicy(helper, 'app_tenant() IS NULL OR tenant_id = app_tenant()');
  const mine = () => found().length;
  assert.equal(mine(), 1);
  ws.setFile('1_helper.sql', 'SELECT 1;');
  assert.equal(mine(), 0, 'without the helper the call reads no context');
  ws.setFile('1_helper.sql', helper);
  assert.equal(mine(), 1, 'the helper is back: so is the finding');
  ws.setFile('1_helper.sql', `${helper}\nALTER FUNCTION app_tenant() SET app.tenant_id = '00000000-0000-0000-0000-000000000001';`);
  assert.equal(mine(), 0, 'a helper that sets the setting itself does not read the unset context');
});

test('ok: a COALESCE fallback to the row’s column follows an edit of the helper before it in another file (results kept across lints)', async () => {
  const helper = `CREATE FUNCTION app_tenant() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT nullif(current_setting('app.tenant_id', true), '')::uuid $$;`;
  const { ws, mine } = await helperAndPolicy(helper, 'tenant_id = coalesce(app_tenant(), tenant_id)');
  assert.equal(mine().length, 1);
  assert.match(mine()[0]!.message, /admits every row whose tenant_id is not NULL/);
  ws.setFile('1_helper.sql', `CREATE FUNCTION app_tenant() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT '00000000-0000-0000-0000-000000000000'::uuid $$;`);
  assert.equal(mine().length, 0, 'a helper that never returns NULL: no fallback to the column');
  ws.setFile('1_helper.sql', helper);
  assert.equal(mine().length, 1, 'the helper is back: so is the finding');
});

test('ok: the same branch in USING and WITH CHECK is named once in the advice', () => {
  const T = "current_setting('app.tenant_id', true)";
  const sql = `CREATE TABLE t (id int PRIMARY KEY, tenant_id uuid NOT NULL); ALTER TABLE t ENABLE ROW LEVEL SECURITY; ALTER TABLE t FORCE ROW LEVEL SECURITY;
CREATE POLICY p ON t TO authenticated USING (tenant_id::text = ${T} OR ${T} = '') WITH CHECK (tenant_id::text = ${T} OR ${T} = '');`;
  const { mine } = lintFiles([{ file: 'm.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /drop `current_setting\('app\.tenant_id', true\) = ''` wherever it stands; compare/);
});

// Calibration (trazo's 004-optimize-rls-auth-uid.sql): the branch named in the advice carried the
// comments around it, the next branch's among them.
test('ok: the branch named in the advice is shown without the comments written around it; the fix keeps the other branch and its comment', () => {
  const T = "current_setting('app.tenant_id', true)";
  const sql = `CREATE TABLE t (id int PRIMARY KEY, tenant_id uuid NOT NULL); ALTER TABLE t ENABLE ROW LEVEL SECURITY; ALTER TABLE t FORCE ROW LEVEL SECURITY;
CREATE POLICY p ON t TO authenticated USING (true) WITH CHECK (
  -- service calls set no tenant
  ${T} = ''
  -- OR rows of the caller's tenant
  OR tenant_id::text = ${T}
);`;
  const { ws, mine } = lintFiles([{ file: 'm.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /drop `current_setting\('app\.tenant_id', true\) = ''`/);
  assert.doesNotMatch(mine[0]!.message, /--/);
  const fixed = applyFix(ws, mine[0]!);
  assert.equal(findingsOf(fixed, ID).length, 0);
});

test('ok: with other conditions (the residual), the effects sentence keeps them: "those rows", never "every row"', () => {
  const base = `CREATE TABLE t (id int PRIMARY KEY, tenant_id uuid, user_id int, deleted_at timestamptz); ALTER TABLE t ENABLE ROW LEVEL SECURITY; ALTER TABLE t FORCE ROW LEVEL SECURITY;`;
  const T = "current_setting('app.tenant_id', true)";
  const one = (policy: string) => {
    const { mine } = lintFiles([{ file: 'm.sql', text: `${base}\n${policy}` }], ID);
    assert.equal(mine.length, 1, policy);
    return mine[0]!.message;
  };
  // SELECT: the headline names the rows; "So … may read" refers back to them
  const sel = one(`CREATE POLICY p ON t FOR SELECT TO authenticated USING ((${T} IS NULL OR tenant_id = nullif(${T}, '')::uuid) AND deleted_at IS NULL);`);
  assert.match(sel, /admits every row that meets deleted_at IS NULL in a session/);
  assert.match(sel, /So authenticated may read those rows — /);
  assert.doesNotMatch(sel, /may read every row/);
  // a fallback to the row's column and another condition (Fahrizal0112's posts): "those rows", not "every row whose tenant_id is not NULL"
  const upd = one(
    `CREATE POLICY p ON t FOR UPDATE TO authenticated USING (tenant_id = coalesce(${T}::uuid, tenant_id) AND user_id = coalesce(current_setting('app.user_id', true)::int, user_id));`,
  );
  assert.match(upd, /admits every row that meets user_id = coalesce\(current_setting\('app\.user_id', true\)::int, user_id\) and whose tenant_id is not NULL/);
  assert.match(upd, /may update those rows, and update rows to any values but a NULL tenant_id that still meet its other conditions \(e\.g\. another tenant's or user's\)/);
  assert.doesNotMatch(upd, /update every row/);
  // a restrictive policy that still narrows by its other conditions says so
  const res = one(
    `CREATE POLICY a ON t FOR SELECT TO authenticated USING (true); CREATE POLICY p ON t AS RESTRICTIVE FOR SELECT TO authenticated USING ((${T} = '' OR tenant_id = nullif(${T}, '')::uuid) AND deleted_at IS NULL);`,
  );
  assert.match(res, /stops narrowing \(but to every row that meets deleted_at IS NULL\) once a transaction-local set/);
  assert.match(res, /its USING is then true for every such row,/);
  assert.match(res, /So authenticated may read those rows\. /);
  // without other conditions: unchanged
  const all = one(`CREATE POLICY p ON t FOR SELECT TO authenticated USING (${T} IS NULL OR tenant_id = nullif(${T}, '')::uuid);`);
  assert.match(all, /So authenticated may read every row — /);
});

test('ok: which policies are looked at (each command, USING and/or WITH CHECK, an UPDATE whose USING raises) agrees with the uses PostgreSQL makes of the clauses (rowUses)', async () => {
  const { rowUses, contextKeys, failsOpen, raisesIn } = await import('../../server/src/analysis/unset-context.js');
  const { activeRows } = await import('../../server/src/analysis/policy-exprs.js');
  const T = "current_setting('app.tenant_id', true)";
  const A = 'auth.uid()';
  // closed, open in both states, open only once '' is read, raising (22P02) once '' is read, another key open and closed, a sub-select with FROM
  const exprs = [`tenant_id = nullif(${T}, '')::uuid`, `${T} IS NULL OR tenant_id = nullif(${T}, '')::uuid`, `${T} = '' OR tenant_id = nullif(${T}, '')::uuid`, `tenant_id = ${T}::uuid`, `${A} IS NULL OR owner_id = ${A}`, `owner_id = ${A}`, `tenant_id IN (SELECT x.tenant_id FROM t AS x WHERE ${T} = '' OR x.owner_id = ${A})`];
  const base = 'CREATE TABLE t (id int PRIMARY KEY, tenant_id uuid, owner_id uuid); ALTER TABLE t ENABLE ROW LEVEL SECURITY; ALTER TABLE t FORCE ROW LEVEL SECURITY;';
  const policies: string[] = [];
  for (const cmd of ['ALL', 'SELECT', 'INSERT', 'UPDATE', 'DELETE'])
    for (const u of [undefined, ...exprs])
      for (const c of [undefined, ...exprs]) {
        if (!u && !c) continue;
        if ((cmd === 'SELECT' || cmd === 'DELETE') && c) continue;
        if (cmd === 'INSERT' && u) continue;
        policies.push(`FOR ${cmd} TO authenticated${u ? ` USING (${u})` : ''}${c ? ` WITH CHECK (${c})` : ''}`);
      }
  // one table per policy, so that no policy narrows another
  const sql = policies.map((p, i) => `${base.replaceAll(' t ', ` t${i} `).replace('TABLE t ', `TABLE t${i} `)}\nCREATE POLICY p${i} ON t${i} ${p};`).join('\n');
  const { ws, mine } = lintFiles([{ file: 'm.sql', text: sql }], ID);
  const model = ws.model();
  const reported = new Set(mine.map((f) => /Policy "(p\d+)"/.exec(f.message)?.[1]));
  let open = 0;
  for (const row of activeRows(model)) {
    const uses = rowUses(row);
    const keys = [...new Set(uses.flatMap((u) => contextKeys(model, u.expr.node)))];
    const opensFor = (k: string) =>
      uses.some((u) => {
        let states = failsOpen(model, u.expr.node, k, { mode: u.mode });
        const reach = uses.find((x) => x.cmd === 'update' && x.effect === 'reach');
        if (u.effect === 'write' && u.cmd === 'update' && reach) states = states.filter((s) => !raisesIn(model, reach.expr.node, k, s.state, { mode: 'filter' }));
        return states.length > 0;
      });
    const firstOpen = keys.find(opensFor);
    if (firstOpen) open++;
    const name = row.policy.name;
    assert.equal(reported.has(name), !!firstOpen, `${name}: ${policies[Number(name.slice(1))]}`);
    // the key reported is the first the clauses read that opens them
    const f = mine.find((x) => x.message.includes(`Policy "${name}"`));
    // (in the headline: another key that opens the policy too is named after it, "The policy also fails open when …")
    if (f) assert.equal(/when auth\.uid\(\) is NULL/.test(f.message.split(' The policy also fails open')[0]!), firstOpen === 'auth.uid', `${name}: ${f.message}`);
  }
  assert.equal(activeRows(model).length, policies.length);
  assert.ok(open > 30 && open < policies.length - 30, `open: ${open} of ${policies.length}`);
});

test("err: `current_setting(…, true) IS NOT NULL` as the \"a user is set\" check: refused while never set, but once a local set has ended it reads '' and admits any row (debt-manager's lists_insert)", async () => {
  const sql = `CREATE TABLE invoices (id int PRIMARY KEY, tenant_id uuid, amount numeric);
ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
ALTER TABLE invoices FORCE ROW LEVEL SECURITY;
CREATE POLICY invoices_insert ON invoices FOR INSERT TO authenticated WITH CHECK (current_setting('app.tenant_id', true) IS NOT NULL);
`;
  const { ws, mine } = lintFiles([{ file: '1.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /admits every row once a transaction-local set of app\.tenant_id .* has ended: its WITH CHECK is then true for every row/);
  assert.equal(await whileNeverSet(ws, (q) => insertB(q)), '42501', 'never set: refused');
  assert.equal(await afterLocalSet(ws, (q) => insertB(q)), 'ok', "after a local set ended: tenant B's row goes in, no tenant set");
});

test("err (message): a FOR INSERT policy for PUBLIC on a table whose rows belong to no one (debt-manager's lists: no tenant or user column) says every role granted the command may insert, without the tenant example; PGlite: the granted role inserts with the setting '' , an ungranted one gets 42501", async () => {
  const sql = `CREATE ROLE app_auth_t NOLOGIN;
CREATE TABLE public.lists (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), currency text NOT NULL, title text NOT NULL);
ALTER TABLE public.lists ENABLE ROW LEVEL SECURITY;
CREATE POLICY lists_insert ON public.lists FOR INSERT WITH CHECK (current_setting('app.current_user', true) IS NOT NULL);
GRANT SELECT, INSERT ON public.lists TO app_auth_t;
`;
  const { mine } = lintFiles([{ file: 'migrations/022_policies_fix_3.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /So every role granted the command \(the policy is for PUBLIC\) may insert rows with any values/);
  assert.doesNotMatch(mine[0]!.message, /another tenant's/);
  await inRollback(await getDb(), async (q) => {
    await q(sql);
    await q(`SELECT set_config('app.current_user', 'u1', true)`);
    await q(`SELECT set_config('app.current_user', '', true)`);
    await q('SET ROLE app_auth_t');
    assert.equal(await affected(q, "INSERT INTO public.lists (currency, title) VALUES ('EUR', 'x')"), 1);
    await q('RESET ROLE');
    await q('SET ROLE authenticated');
    const r = await tryQuery(q, "INSERT INTO public.lists (currency, title) VALUES ('EUR', 'y')");
    assert.equal(r.ok ? 'ok' : r.error.code, '42501');
  });
});

// Calibration cal32 (Row-Level-Security-Backend: tenant_id IS NULL OR tenant_id = COALESCE(…, tenant_id))
test("err: `tenant_id IS NULL OR tenant_id = coalesce(<unset>::int, tenant_id)` admits the NULL rows too: the message says every row and any values (PGlite: a role reads all three rows and writes a NULL tenant_id), while it names the fallback to drop", async () => {
  const sql = `CREATE TABLE cal32_users (id serial PRIMARY KEY, name text, tenant_id integer);
ALTER TABLE cal32_users ENABLE ROW LEVEL SECURITY;
CREATE POLICY user_tenant_isolation ON cal32_users FOR ALL TO PUBLIC
  USING (tenant_id IS NULL OR tenant_id = COALESCE(current_setting('app.cal32_tenant', true)::INTEGER, tenant_id));
GRANT SELECT, INSERT, UPDATE, DELETE ON cal32_users TO authenticated;
GRANT USAGE ON SEQUENCE cal32_users_id_seq TO authenticated;
`;
  const [f] = lintFiles([{ file: 'migrations/000004_nullable.up.sql', text: sql }], ID).mine;
  assert.match(f!.message, /which is true for every row whose tenant_id is not NULL, and another branch admits the rows where tenant_id is NULL/);
  assert.match(f!.message, /may read, update and delete every row, and insert or update rows to any values /);
  assert.doesNotMatch(f!.message, /but a NULL tenant_id/);
  assert.match(f!.message, /drop the fallback to the row's own tenant_id/);
  // (and policy-current-setting-unsafe's note on what its fix leaves open says the same)
  const [u] = lintFiles([{ file: 'migrations/000004_nullable.up.sql', text: sql }], 'policy-current-setting-unsafe').mine;
  assert.match(u!.message, /but then the policy admits every row once the setting reads '', as it falls back to the row's own tenant_id/);
  await inRollback(await getDb(), async (q) => {
    await q(sql);
    await q(`INSERT INTO cal32_users (name, tenant_id) VALUES ('a', 1), ('b', 2), ('none', NULL)`);
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'cal32_users'), 3, 'every row, the NULL one too');
    assert.equal(await affected(q, `INSERT INTO cal32_users (name, tenant_id) VALUES ('x', NULL)`), 1);
    assert.equal(await affected(q, `UPDATE cal32_users SET tenant_id = NULL WHERE name = 'a'`), 1);
  });
});

test("err (message): two settings that each fall back to the row's own value (Row-Level-Security-Backend's posts, `tenant_id = COALESCE(…, tenant_id) AND user_id = COALESCE(…, user_id)`): one finding that names both; with the tenant set and the user unset, app deletes another user's post of its tenant", async () => {
  const sql = `CREATE TABLE posts (id int PRIMARY KEY, tenant_id int NOT NULL, user_id int NOT NULL);
ALTER TABLE posts ENABLE ROW LEVEL SECURITY;
ALTER TABLE posts FORCE ROW LEVEL SECURITY;
CREATE ROLE app;
GRANT SELECT, DELETE ON posts TO app;
CREATE POLICY ps ON posts FOR SELECT TO app USING (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::int));
CREATE POLICY pd ON posts FOR DELETE TO app USING (
  tenant_id = COALESCE((select nullif(current_setting('app.tenant_id', true), '')::int), tenant_id)
  AND user_id = COALESCE((select nullif(current_setting('app.user_id', true), '')::int), user_id));`;
  const { ws, mine } = lintFiles([{ file: 'db/1.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^Policy "pd" on public\.posts admits every row .* when app\.tenant_id is unset/);
  assert.match(mine[0]!.message, /The policy also fails open when app\.user_id is unset \(said here: one finding per policy\), so make that case admit no row too\.$/);
  await inRollback(await getDb(), async (q) => {
    await q(sqlOf(ws));
    await q(`INSERT INTO posts VALUES (1, 2, 10), (2, 2, 11), (3, 3, 12)`);
    // (user 10's request: the tenant set, the user not)
    await q(`SELECT set_config('app.tenant_id', '2', true)`);
    await q('SET ROLE app');
    assert.equal(await affected(q, 'DELETE FROM posts WHERE user_id = 11'), 1, "user 10's request deletes user 11's post");
    assert.equal(await affected(q, 'DELETE FROM posts WHERE user_id = 12'), 0, "not another tenant's (the SELECT policy limits a DELETE that reads a column)");
  });
});

// callgent-api (Prisma): `"tenantPk" = (select COALESCE(NULLIF(current_setting('tenancy.tenantPk', true), ''), '0')::int)`,
// with tenant 0 the "system official" tenant whose rows the SELECT policy shares (`"tenantPk" = 0 OR …`).
// Data: tenant 0's 2 shared templates, tenant 7's 1. tenancy.tenant is never set on the `never`
// instance; on the shared one only inside these tests' rolled-back transactions.

/** The example's migrations as the owner, tenant 0's 2 rows and tenant 7's 1, then as authenticated; the setting as `state` says. */
async function templates<T>(sql: string, state: 'never' | 'ended' | '7', fn: (q: Q) => Promise<T>): Promise<T> {
  return inRollback(state === 'never' ? await never() : await getDb(), async (q) => {
    await asOwner(q, sql);
    await q(`INSERT INTO templates (id, tenant, body) VALUES (1, 0, 'shared a'), (2, 0, 'shared b'), (3, 7, 'tenant 7')`);
    await q('GRANT SELECT, INSERT, UPDATE, DELETE ON templates TO authenticated');
    await q('SET ROLE authenticated');
    if (state === 'never') assert.deepEqual(await q(`SELECT current_setting('tenancy.tenant', true) AS v`), [{ v: null }], 'never set (T15)');
    if (state === 'ended') {
      await q(`SAVEPOINT s; SELECT set_config('tenancy.tenant', '7', true); ROLLBACK TO SAVEPOINT s; RELEASE SAVEPOINT s`);
      assert.deepEqual(await q(`SELECT current_setting('tenancy.tenant', true) AS v`), [{ v: '' }], "a local set ended: '' (T15b)");
    }
    if (state === '7') await q(`SELECT set_config('tenancy.tenant', '7', true)`);
    return fn(q);
  });
}

/** What a session does to tenant 0's rows: rows read, deleted, updated, and whether it inserts one ('ok' or the error code). */
async function onShared(q: Q): Promise<{ read: number; updated: number; deleted: number; insert: string }> {
  const read = await count(q, 'SELECT 1 FROM templates WHERE tenant = 0');
  const updated = await affected(q, `UPDATE templates SET body = 'changed' WHERE tenant = 0`);
  const ins = await tryQuery(q, `INSERT INTO templates (id, tenant, body) VALUES (9, 0, 'planted')`);
  const deleted = await affected(q, 'DELETE FROM templates WHERE tenant = 0');
  return { read, updated, deleted, insert: ins.ok ? 'ok' : ins.error.code };
}

test("err: a fallback to the literal tenant 0 (callgent-api) that the SELECT policy shares (Invalid #9): without the context app deletes tenant 0's rows, in both states, which tenant 7 may not; fixed: none", async () => {
  const { ws, finding } = invalidFinding(ID, 8);
  assert.equal(textAt(ws, finding), "coalesce(nullif(current_setting('tenancy.tenant', true), ''), '0')");
  assert.match(finding.message, /^Policy "templates_delete" on public\.templates admits the rows whose tenant is 0 when tenancy\.tenant is unset: `coalesce\(nullif\(current_setting\('tenancy\.tenant', true\), ''\), '0'\)` then falls back to 0/);
  assert.match(finding.message, /returns NULL in a session that never set tenancy\.tenant \(T15\) and '' .* \(T15b\), so a session without tenancy\.tenant acts as if tenancy\.tenant were set to 0\./);
  assert.match(finding.message, /Those are the rows SELECT policy "templates_read" admits to authenticated whatever the context \(tenant = 0\): so authenticated may delete those rows/);
  assert.match(finding.message, /compare with `nullif\(current_setting\('tenancy\.tenant', true\), ''\)::integer`/);
  assert.equal(nestedParentheses(finding.message), undefined, 'SQL in backticks: no parenthesis inside another');
  const sql = sqlOf(ws);
  for (const state of ['never', 'ended'] as const) {
    assert.deepEqual(await templates(sql, state, onShared), { read: 2, updated: 0, deleted: 2, insert: '42501' }, `${state}: the shared rows are deleted (no UPDATE or INSERT policy)`);
  }
  assert.deepEqual(await templates(sql, '7', onShared), { read: 2, updated: 0, deleted: 0, insert: '42501' }, 'tenant 7 reads them, deletes none');
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /FOR DELETE TO authenticated\s+USING \(tenant = \(select nullif\(current_setting\('tenancy\.tenant', true\), ''\)::int\)\);/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  for (const state of ['never', 'ended'] as const) assert.equal((await templates(sqlOf(fixed), state, onShared)).deleted, 0, `${state}, fixed: none deleted`);
  assert.equal(await templates(sqlOf(fixed), '7', (q) => affected(q, 'DELETE FROM templates')), 1, "fixed: tenant 7 deletes its own row");
});

test("err: the fallback in UPDATE and INSERT policies: without the context app updates tenant 0's rows and inserts one; tenant 7 may do neither", async () => {
  const F = "(select coalesce(nullif(current_setting('tenancy.tenant', true), ''), '0')::int)";
  const sql = `CREATE TABLE templates (id bigint PRIMARY KEY, tenant int NOT NULL, body text);
ALTER TABLE templates ENABLE ROW LEVEL SECURITY;
ALTER TABLE templates FORCE ROW LEVEL SECURITY;
CREATE POLICY templates_read ON templates FOR SELECT TO authenticated USING (tenant = 0 OR tenant = ${F});
CREATE POLICY templates_update ON templates FOR UPDATE TO authenticated USING (tenant = ${F});
CREATE POLICY templates_insert ON templates FOR INSERT TO authenticated WITH CHECK (tenant = ${F});`;
  const { mine } = lintFiles([{ file: 'm.sql', text: sql }], ID);
  assert.equal(mine.length, 2);
  assert.match(mine.find((f) => f.message.includes('"templates_update"'))!.message, /may update those rows, and update rows to tenant = 0 /);
  assert.match(mine.find((f) => f.message.includes('"templates_insert"'))!.message, /may insert rows with tenant = 0 /);
  for (const state of ['never', 'ended'] as const) {
    assert.deepEqual(await templates(sql, state, onShared), { read: 2, updated: 2, deleted: 0, insert: 'ok' }, `${state}: tenant 0's rows updated, one planted`);
  }
  assert.deepEqual(await templates(sql, '7', onShared), { read: 2, updated: 0, deleted: 0, insert: '42501' });
});

test("ok: a literal fallback where nothing shows rows with it (a sentinel), one to NULL, the nil UUID with a CHECK, callgent's own FOR ALL policy (Valid #9), a restrictive policy narrowing, a SELECT-only policy: not reported", async () => {
  const F = "(select coalesce(nullif(current_setting('tenancy.tenant', true), ''), '0')::int)";
  const base = `CREATE TABLE templates (id bigint PRIMARY KEY, tenant int NOT NULL, body text, deleted boolean NOT NULL DEFAULT false);
ALTER TABLE templates ENABLE ROW LEVEL SECURITY; ALTER TABLE templates FORCE ROW LEVEL SECURITY;`;
  const lint = (policies: string) => lintFiles([{ file: 'm.sql', text: `${base}\n${policies}` }], ID).mine;
  const shared = `CREATE POLICY r ON templates FOR SELECT TO authenticated USING (tenant = 0 OR tenant = ${F});`;
  const no = [
    // no SELECT policy singles out 0: it may be a sentinel no row has
    `CREATE POLICY r ON templates FOR SELECT TO authenticated USING (tenant = ${F}); CREATE POLICY d ON templates FOR DELETE TO authenticated USING (tenant = ${F});`,
    // another value is shared
    `CREATE POLICY r ON templates FOR SELECT TO authenticated USING (tenant = 1 OR tenant = ${F}); CREATE POLICY d ON templates FOR DELETE TO authenticated USING (tenant = ${F});`,
    // a fallback to NULL matches no row
    `${shared} CREATE POLICY d ON templates FOR DELETE TO authenticated USING (tenant = (select coalesce(nullif(current_setting('tenancy.tenant', true), ''), NULL)::int));`,
    // the same policy (or another DELETE policy) gives tenant 0's rows to every session anyway
    `CREATE POLICY a ON templates FOR ALL TO authenticated USING (tenant = 0 OR tenant = ${F});`,
    `${shared} CREATE POLICY d ON templates FOR DELETE TO authenticated USING (tenant = ${F}); CREATE POLICY d0 ON templates FOR DELETE TO authenticated USING (tenant = 0);`,
    // a restrictive policy still narrows
    `${shared} CREATE POLICY d ON templates FOR DELETE TO authenticated USING (tenant = ${F}); CREATE POLICY nd ON templates AS RESTRICTIVE FOR DELETE TO authenticated USING (NOT deleted);`,
    // reading is what the SELECT policy shares anyway
    shared,
  ];
  for (const sql of no) assert.equal(lint(sql).length, 0, sql);
  // callgent's one FOR ALL policy: a session without the context does what tenant 7 does to tenant 0's rows
  const { ws, mine } = lintDocExample(ID, 'valid', 8);
  assert.equal(mine.length, 0);
  for (const state of ['never', 'ended', '7'] as const) {
    const got = await templates(sqlOf(ws), state, onShared);
    assert.deepEqual(got, { read: 2, updated: 2, deleted: 3, insert: 'ok' }, `${state}: the same for every session (tenant 0's rows are shared and writable)`);
  }
  // the nil UUID with a CHECK forbidding it: no row has it, an unset session reaches none
  const nil = `CREATE TABLE docs (id int PRIMARY KEY, tenant_id uuid NOT NULL CHECK (tenant_id <> '00000000-0000-0000-0000-000000000000'));
ALTER TABLE docs ENABLE ROW LEVEL SECURITY; ALTER TABLE docs FORCE ROW LEVEL SECURITY;
CREATE POLICY dr ON docs FOR SELECT TO authenticated USING (tenant_id = coalesce(nullif(current_setting('tenancy.tenant', true), '')::uuid, '00000000-0000-0000-0000-000000000000'));
CREATE POLICY dd ON docs FOR DELETE TO authenticated USING (tenant_id = coalesce(nullif(current_setting('tenancy.tenant', true), '')::uuid, '00000000-0000-0000-0000-000000000000'));`;
  assert.equal(lintFiles([{ file: 'm.sql', text: nil }], ID).mine.length, 0);
  const deleted = await inRollback(await never(), async (q) => {
    await asOwner(q, nil);
    await q(`INSERT INTO docs VALUES (1, '${TENANT_A}'); GRANT SELECT, DELETE ON docs TO authenticated`);
    const bad = await tryQuery(q, `INSERT INTO docs VALUES (2, '00000000-0000-0000-0000-000000000000')`);
    assert.equal(bad.ok ? 'ok' : bad.error.code, '23514', 'no row can have the nil UUID');
    await q('SET ROLE authenticated');
    return affected(q, 'DELETE FROM docs');
  });
  assert.equal(deleted, 0);
});

// Calibration (cgb808/dev-indexer_1's sql/rls_policies.sql): p_doc_embeddings_insert's WITH CHECK
// opens with a `--` comment on its own line, then `(current_user IN (…)) AND (NOT
// app_require_tenant() OR …)`. The headline quoted the other condition as the source has it, so
// the message read "admits every row that meets -- allow writes for write/admin roles; enforce
// tenant match if required (current_user IN ('rag_write','rag_admin'))". It is quoted on one line
// now, without comments, as the rule's other quotes are (sqlOneLine).
test('ok: the other conditions are quoted without the comments and line breaks of the source', () => {
  const sql = `CREATE TABLE t (id int PRIMARY KEY, tenant_id text);
ALTER TABLE t ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION app_require_tenant() RETURNS boolean LANGUAGE sql AS $$ SELECT current_setting('app.require_tenant', true) = 'on' $$;
CREATE FUNCTION app_current_tenant() RETURNS text LANGUAGE sql AS $$ SELECT nullif(current_setting('app.current_tenant', true), '') $$;
CREATE POLICY p ON t FOR INSERT
  WITH CHECK (
    -- allow writes for write/admin roles; enforce tenant match if required
    (current_user IN ('rag_write','rag_admin'))
    AND (
      NOT app_require_tenant() OR /* strict */
      (tenant_id = app_current_tenant())
    )
  );`;
  const { mine } = lintFiles([{ file: 'm.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /admits every row that meets \(current_user IN \('rag_write','rag_admin'\)\) once a transaction-local set of app\.require_tenant/);
  assert.doesNotMatch(mine[0]!.message, /--|allow writes|\n/);
});

// Calibration (99g0dx/dttracker-main's 20260206000023_ban_self_policies.sql): "Invited user can
// accept invite" asks for the invite's email in the JWT and that the caller is not banned,
// `NOT is_user_banned(auth.uid())`, true for a NULL uid. It was said to admit every row that meets
// `email = (auth.jwt() ->> 'email') AND accepted_at IS NULL` when auth.uid() is NULL, so that anon
// "may update those rows": but a token without a user has no email claim (the anon key's payload
// is iss, ref, role, iat, exp; a session that never set the claims has none), so the email is NULL
// then too and the policy admits no row. auth.email() likewise. A policy whose other branch does
// not need the user (`OR auth.uid() IS NULL`) is still reported.
test('ok: email = (auth.jwt() ->> \'email\') AND NOT banned(auth.uid()): no email claim without a user, so anon reads and updates no invite', async () => {
  const sql = (cond: string) => `CREATE TABLE public.banned_users (user_id uuid PRIMARY KEY);
CREATE TABLE public.team_invites (id int PRIMARY KEY, email text NOT NULL, accepted_at timestamptz);
CREATE FUNCTION public.is_user_banned(p_user uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT EXISTS (SELECT 1 FROM public.banned_users WHERE user_id = p_user) $$;
ALTER TABLE public.team_invites ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.banned_users ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Invited user can accept invite" ON public.team_invites FOR UPDATE TO anon, authenticated
  USING (${cond} AND accepted_at IS NULL AND NOT public.is_user_banned(auth.uid()))
  WITH CHECK (${cond} AND accepted_at IS NOT NULL AND NOT public.is_user_banned(auth.uid()));
CREATE POLICY "Invited user can read invite" ON public.team_invites FOR SELECT TO anon, authenticated
  USING (${cond} AND NOT public.is_user_banned(auth.uid()));`;
  const jwt = "email = (auth.jwt() ->> 'email')";
  const email = 'email = auth.email()';
  for (const cond of [jwt, email, "email = ((select auth.jwt()) ->> 'email')"]) assert.equal(lintFiles([{ file: 'm.sql', text: sql(cond) }], ID).mine.length, 0, cond);
  // (anon's and a user's branch alike: still open)
  const open = lintFiles([{ file: 'm.sql', text: sql(`(${jwt} OR auth.uid() IS NULL)`) }], ID);
  assert.equal(open.mine.length, 2);
  // PGlite: anon (the anon key's claims) and a session without claims read and update nothing; the invited user does
  const invites = async (claims: Record<string, unknown> | undefined, role: string) =>
    inRollback(await getDb(), async (q) => {
      await q(AUTH_STUB_SQL);
      await q(`CREATE OR REPLACE FUNCTION auth.email() RETURNS text LANGUAGE sql STABLE AS $$ SELECT nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email' $$`);
      await asOwner(q, sql(jwt));
      await q(`INSERT INTO team_invites VALUES (1, 'a@example.com', NULL), (2, 'b@example.com', NULL); GRANT SELECT, UPDATE ON team_invites TO anon, authenticated; GRANT EXECUTE ON FUNCTION public.is_user_banned(uuid) TO anon, authenticated`);
      if (claims) await q(`SELECT set_config('request.jwt.claims', '${JSON.stringify(claims)}', true)${claims.sub ? `, set_config('request.jwt.claim.sub', '${claims.sub}', true)` : ''}`);
      await q(`SET ROLE ${role}`);
      const read = await count(q, 'team_invites');
      const updated = await affected(q, 'UPDATE team_invites SET accepted_at = now()');
      const email = await q(`SELECT auth.uid() AS uid, auth.jwt() ->> 'email' AS jwt, auth.email() AS email`);
      return { read, updated, ctx: email[0] };
    });
  assert.deepEqual(await invites({ iss: 'supabase', ref: 'x', role: 'anon', iat: 1, exp: 2 }, 'anon'), { read: 0, updated: 0, ctx: { uid: null, jwt: null, email: null } }, 'anon key');
  assert.deepEqual(await invites(undefined, 'authenticated'), { read: 0, updated: 0, ctx: { uid: null, jwt: null, email: null } }, 'no claims');
  const a = await invites({ sub: TENANT_A, role: 'authenticated', email: 'a@example.com' }, 'authenticated');
  assert.deepEqual([a.read, a.updated], [1, 1], 'the invited user');
});

// kirill-markin/expense-budget-tracker (an expense and budget tracker): ledger_entries' policy
// admits, with app.workspace_id unset, the rows of every workspace the user (app.user_id) is a
// member of. The message said the role may write rows "(e.g. another tenant's or user's)": the
// membership condition still ties each row to the caller.
const LEDGER = `CREATE ROLE ebt_ctx_app;
CREATE TABLE workspace_members (workspace_id text NOT NULL, user_id text NOT NULL);
CREATE TABLE ledger_entries (id bigint PRIMARY KEY, workspace_id text NOT NULL, amount numeric);
ALTER TABLE ledger_entries ENABLE ROW LEVEL SECURITY;
CREATE POLICY workspace_isolation ON ledger_entries
  USING (
    workspace_id IN (SELECT wm.workspace_id FROM workspace_members wm WHERE wm.user_id = current_setting('app.user_id', true))
    AND (current_setting('app.workspace_id', true) IS NULL OR workspace_id = current_setting('app.workspace_id', true))
  )
  WITH CHECK (
    workspace_id IN (SELECT wm.workspace_id FROM workspace_members wm WHERE wm.user_id = current_setting('app.user_id', true))
    AND (current_setting('app.workspace_id', true) IS NULL OR workspace_id = current_setting('app.workspace_id', true))
  );
GRANT SELECT ON workspace_members TO ebt_ctx_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ledger_entries TO ebt_ctx_app;
`;

test("err (message): an unset workspace with a membership condition on the caller beside it: reported, without \"another tenant's or user's\" rows; PGlite: the user reads and writes the rows of its own workspaces only", async () => {
  const { mine } = lintFiles([{ file: 'db/migrations/0001_initial_schema.sql', text: LEDGER }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /admits every row that meets workspace_id IN \(SELECT .*\) in a session that never set app\.workspace_id/);
  assert.match(mine[0]!.message, /insert or update rows to any values that still meet its other conditions — /);
  assert.doesNotMatch(mine[0]!.message, /another tenant's or user's/);
  await inRollback(await getDb(), async (q) => {
    await q(LEDGER);
    await q(`INSERT INTO workspace_members VALUES ('w1', 'u1'), ('w3', 'u1'), ('w2', 'u2'); INSERT INTO ledger_entries VALUES (1, 'w1', 1), (2, 'w2', 2), (3, 'w3', 3)`);
    await q(`SELECT set_config('app.user_id', 'u1', true)`);
    await q('SET ROLE ebt_ctx_app');
    assert.deepEqual(await q('SELECT id FROM ledger_entries ORDER BY id'), [{ id: 1 }, { id: 3 }], "both of u1's workspaces, not w2");
    const r = await tryQuery(q, `INSERT INTO ledger_entries VALUES (4, 'w2', 4)`);
    assert.ok(!r.ok && r.error.code === '42501', "a row of u2's workspace is refused");
  });
});
