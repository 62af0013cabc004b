// policy-current-setting-unsafe on PostgreSQL (PGlite): current_setting('x') fails with 42704
// while x was never set (T15); current_setting('x', true)::uuid fails with 22P02 once a
// transaction-local set has ended and the setting reads '' (T15b). The fixed forms give NULL:
// no rows, no error, and the tenant's rows when the setting is set. Where a NULL could admit
// rows (NOT EXISTS …), the same rewrite is only offered as unsafe — and the test shows why.
//
// A transaction-local set that ends: set_config(…, true) inside a savepoint, then ROLLBACK TO
// SAVEPOINT (the same GUC stack pop as the end of a transaction; every case here runs inside
// one rolled-back transaction).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { asOwner, closeAll, count, expectPgError, getDb, inRollback, type Q, tryQuery, withFreshDb } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintDocExample, lintFiles, sqlOf, TENANT_A, TENANT_B, textAt } from '../helpers/rule-proof.js';
import { AUTH_STUB_SQL } from '../helpers/supabase.js';

const ID = 'policy-current-setting-unsafe';
before(initParser);
after(closeAll);

async function invoices(q: Q, sql: string): Promise<void> {
  await q(AUTH_STUB_SQL);
  await asOwner(q, sql);
  await q(`INSERT INTO invoices VALUES (1, '${TENANT_A}', 10), (2, '${TENANT_B}', 20); GRANT SELECT ON invoices TO authenticated`);
  if (/CREATE TABLE blocked/.test(sql)) await q('GRANT SELECT ON blocked TO authenticated');
  await q('SET ROLE authenticated');
}

/** Sets app.tenant_id transaction-locally inside a savepoint and rolls it back: it now reads ''. */
async function localSetEnded(q: Q): Promise<void> {
  await q(`SAVEPOINT local_set; SELECT set_config('app.tenant_id', '${TENANT_A}', true); ROLLBACK TO SAVEPOINT local_set; RELEASE SAVEPOINT local_set`);
  assert.deepEqual(await q(`SELECT current_setting('app.tenant_id', true) AS v`), [{ v: '' }], "after the local set ended the setting reads '' (not NULL)");
}

const rows = async (q: Q) => {
  const r = await tryQuery(q, 'SELECT count(*)::int AS n FROM invoices');
  return r.ok ? r.rows[0]!.n : r.error.code;
};

/**
 * After a transaction-local set ended (T15b): the workspace's policies fail with 22P02, the
 * fixed ones answer 0 rows; `after` runs next in each (e.g. set the tenant again).
 */
async function expectLocalSetEnded(ws: Parameters<typeof sqlOf>[0], fixed: Parameters<typeof sqlOf>[0], after?: (q: Q) => Promise<void>): Promise<void> {
  const db = await getDb();
  await inRollback(db, async (q) => {
    await invoices(q, sqlOf(ws));
    await localSetEnded(q);
    assert.equal(await rows(q), '22P02');
    await after?.(q);
  });
  await inRollback(db, async (q) => {
    await invoices(q, sqlOf(fixed));
    await localSetEnded(q);
    assert.equal(await rows(q), 0);
    await after?.(q);
  });
}

test('err: current_setting without missing_ok: 42704 while never set (T15), 22P02 after a local set ended (T15b); the safe fix: 0 rows, then the tenant’s row', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), "current_setting('app.tenant_id')");
  assert.match(finding.message, /42704 unrecognized configuration parameter "app\.tenant_id" when the setting was never set in the session \(T15\)/);
  assert.match(finding.message, /22P02 invalid input syntax for type uuid \(T15b\)/);
  const fix = finding.fixes[0]!;
  assert.equal(fix.kind, 'safe');
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /USING \(tenant_id = \(select nullif\(current_setting\('app\.tenant_id', true\), ''\)::uuid\)\)/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  // a fresh session: the setting has never been set
  await withFreshDb(async (db) => {
    await inRollback(db, async (q) => {
      await invoices(q, sqlOf(ws));
      await expectPgError(q('SELECT * FROM invoices'), '42704', 'unrecognized configuration parameter "app.tenant_id"');
    });
    await inRollback(db, async (q) => {
      await invoices(q, sqlOf(fixed));
      assert.equal(await rows(q), 0, 'never set: no rows, no error');
      await q(`SELECT set_config('app.tenant_id', '${TENANT_A}', true)`);
      assert.equal(await rows(q), 1, "set: the tenant's row");
    });
  });
  await expectLocalSetEnded(ws, fixed);
});

test("err: current_setting('x', true)::uuid: 22P02 after a local set ended (T15b); fixed with nullif: 0 rows", async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.equal(textAt(ws, finding), "current_setting('app.tenant_id', true)");
  assert.doesNotMatch(finding.message, /42704/);
  const fixed = applyFix(ws, finding);
  assert.equal(finding.fixes[0]!.kind, 'safe');
  assert.equal(findingsOf(fixed, ID).length, 0);
  await expectLocalSetEnded(ws, fixed, async (q) => {
    await q(`SELECT set_config('app.tenant_id', '${TENANT_B}', true)`);
    assert.equal(await rows(q), 1);
  });
});

test("err: as pg_dump writes it, current_setting('app.tenant_id'::text, true)::uuid: the same 22P02; fixed with nullif: 0 rows", async () => {
  const { ws, finding } = invalidFinding(ID, 3);
  assert.equal(textAt(ws, finding), "current_setting('app.tenant_id'::text, true)");
  const fixed = applyFix(ws, finding);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await expectLocalSetEnded(ws, fixed);
});

test('err: in a helper the policy calls: 22P02 through the function; the (unsafe) fix in its body: 0 rows', async () => {
  const { ws, finding } = invalidFinding(ID, 2);
  assert.match(finding.message, /^Function public\.current_tenant\(\), called by policy "invoices_tenant" on public\.invoices/);
  assert.equal(finding.fixes[0]!.kind, 'unsafe');
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /SELECT nullif\(current_setting\('app\.tenant_id', true\), ''\)::uuid/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await expectLocalSetEnded(ws, fixed);
});

test('err: where NULL is not simply compared (NOT EXISTS), the fix is unsafe: after it, an unset setting admits every row', async () => {
  const sql = `CREATE TABLE blocked (user_id uuid PRIMARY KEY);
CREATE TABLE invoices (id bigint PRIMARY KEY, tenant_id uuid NOT NULL, amount numeric);
CREATE INDEX ON invoices (tenant_id);
ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
ALTER TABLE invoices FORCE ROW LEVEL SECURITY;
CREATE POLICY invoices_not_blocked ON invoices FOR SELECT TO authenticated
  USING (NOT EXISTS (SELECT 1 FROM blocked b WHERE b.user_id = current_setting('app.user_id')::uuid));`;
  const linted = lintFiles([{ file: 'm.sql', text: sql }], ID);
  assert.equal(linted.mine.length, 1);
  const fix = linted.mine[0]!.fixes[0]!;
  assert.equal(fix.kind, 'unsafe');
  assert.match(fix.title, /check the policy/);
  const fixed = applyFix(linted.ws, linted.mine[0]!);
  await withFreshDb(async (db) => {
    await inRollback(db, async (q) => {
      await invoices(q, sql);
      assert.equal(await rows(q), '42704', 'before: unset fails');
    });
    await inRollback(db, async (q) => {
      await invoices(q, sqlOf(fixed));
      assert.equal(await rows(q), 2, 'after: unset admits every row — a change a safe fix must not make');
    });
  });
  // IS NULL / coalesce paths are not strict either
  for (const e of ["current_setting('app.role') IS NULL OR tenant_id IS NULL", "coalesce(current_setting('app.tenant_id', true)::uuid, tenant_id) = tenant_id"]) {
    const text = `CREATE TABLE t (id int PRIMARY KEY, tenant_id uuid); ALTER TABLE t ENABLE ROW LEVEL SECURITY; ALTER TABLE t FORCE ROW LEVEL SECURITY;
CREATE POLICY p ON t FOR SELECT TO authenticated USING (${e});`;
    const { mine } = lintFiles([{ file: 'm.sql', text }], ID);
    assert.equal(mine.length, 1, e);
    assert.equal(mine[0]!.fixes[0]!.kind, 'unsafe', e);
  }
});

test('ok: not reported: nullif form, text comparisons, built-in settings, a non-literal name', () => {
  const base = 'CREATE TABLE t (id int PRIMARY KEY, tenant_id uuid, role text); ALTER TABLE t ENABLE ROW LEVEL SECURITY; ALTER TABLE t FORCE ROW LEVEL SECURITY;';
  for (const e of [
    "tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid",
    "tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid)",
    "role = current_setting('app.role', true)",
    "role = current_setting('app.role', true)::text",
    "role = current_setting('search_path')",
    "role = current_setting(role, true)",
  ]) {
    assert.equal(lintFiles([{ file: 'm.sql', text: `${base} CREATE POLICY p ON t FOR SELECT TO authenticated USING (${e});` }], ID).mine.length, 0, e);
  }
  // a sub-select wrapper keeps the cast in view: (select current_setting(…, true))::uuid is reported
  const wrapped = `${base} CREATE POLICY p ON t FOR SELECT TO authenticated USING (tenant_id = (select current_setting('app.tenant_id', true))::uuid);`;
  const w = lintFiles([{ file: 'm.sql', text: wrapped }], ID).mine;
  assert.equal(w.length, 1);
  assert.equal(w[0]!.fixes[0]!.kind, 'safe');
});

test('ok: a PL/pgSQL helper that catches 22P02 in an EXCEPTION clause: no error after a local set ended, no rows while unset (Valid example)', async () => {
  const valid = lintDocExample(ID, 'valid', 2);
  assert.equal(valid.mine.length, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await invoices(q, sqlOf(valid.ws));
    assert.equal(await rows(q), 0, 'never set: NULL matches no row');
    await localSetEnded(q);
    assert.equal(await rows(q), 0, "'' after a local set ended: the handler returns NULL, no 22P02");
    await q(`SELECT set_config('app.tenant_id', '${TENANT_A}', true)`);
    assert.equal(await rows(q), 1, "set: the tenant's row");
  });
  // the same helper without the handler fails with 22P02 once the setting reads ''
  await inRollback(db, async (q) => {
    await invoices(q, sqlOf(valid.ws).replace(/EXCEPTION WHEN invalid_text_representation THEN\s*RETURN NULL;/, ''));
    await localSetEnded(q);
    assert.equal(await rows(q), '22P02');
  });
});

test("ok: CASE WHEN current_setting(…) = '' THEN false ELSE …::uuid END: planning and execution reach the cast in order, so no 22P02 after a local set ended (Valid example)", async () => {
  const valid = lintDocExample(ID, 'valid', 3);
  assert.equal(valid.mine.length, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await invoices(q, sqlOf(valid.ws));
    assert.equal(await rows(q), 0, 'never set: the ELSE compares with NULL');
    await localSetEnded(q);
    assert.equal(await rows(q), 0, "'' after a local set ended: the WHEN decides, the cast is never computed");
    assert.equal(await count(q, 'invoices WHERE id = 1'), 0, 'with an index condition too');
    await q(`SELECT set_config('app.tenant_id', '${TENANT_A}', true)`);
    assert.equal(await rows(q), 1, "set: the tenant's row");
  });
});

test("err: a text comparison without missing_ok: 42704 while never set; the fix wraps it in nullif too, since after a local set ended the setting reads '' and would match a row whose column is ''", async () => {
  const sql = `CREATE TABLE notes (id int PRIMARY KEY, tenant text NOT NULL);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_tenant ON notes FOR SELECT TO authenticated USING (tenant = current_setting('app.tenant_id'));`;
  const { ws, mine } = lintFiles([{ file: '1.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /Write nullif\(current_setting\('app\.tenant_id', true\), ''\): an unset or empty setting then gives NULL, so the comparison admits no row/);
  const fixed = applyFix(ws, mine[0]!);
  assert.match(sqlOf(fixed), /USING \(tenant = \(select nullif\(current_setting\('app\.tenant_id', true\), ''\)\)\)|USING \(tenant = nullif\(current_setting\('app\.tenant_id', true\), ''\)\)/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  const setUp = async (q: Q, text: string) => {
    await q(AUTH_STUB_SQL);
    await asOwner(q, text);
    await q(`INSERT INTO notes VALUES (1, 'acme'), (2, ''); GRANT SELECT ON notes TO authenticated; SET ROLE authenticated`);
  };
  const notes = async (q: Q) => {
    const r = await tryQuery(q, 'SELECT count(*)::int AS n FROM notes');
    return r.ok ? r.rows[0]!.n : r.error.code;
  };
  await withFreshDb(async (db) => {
    await inRollback(db, async (q) => {
      await setUp(q, sqlOf(ws));
      assert.equal(await notes(q), '42704', 'never set: the query fails');
    });
    await inRollback(db, async (q) => {
      await setUp(q, sqlOf(ws).replace("current_setting('app.tenant_id')", "current_setting('app.tenant_id', true)"));
      await localSetEnded(q);
      assert.equal(await notes(q), 1, "missing_ok alone: '' matches the row whose tenant is ''");
    });
    await inRollback(db, async (q) => {
      await setUp(q, sqlOf(fixed));
      assert.equal(await notes(q), 0, 'fixed, never set: no rows');
      await localSetEnded(q);
      assert.equal(await notes(q), 0, "fixed, after a local set ended: no rows (nullif turns '' into NULL)");
    });
  });
});

test("err: a call in an OR branch: the statement fails (the planner folds the cast up front), or only at the rows the scan evaluates it for (under COALESCE with a column: a row the other branch admits escapes); the message says both", async () => {
  const table =
    'CREATE TABLE invoices (id bigint PRIMARY KEY, tenant_id uuid, amount numeric);\n' +
    'ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;\nALTER TABLE invoices FORCE ROW LEVEL SECURITY;\n';
  const folded = `${table}CREATE POLICY invoices_tenant ON invoices FOR SELECT TO authenticated\n  USING (tenant_id IS NULL OR tenant_id = current_setting('app.tenant_id', true)::uuid);\n`;
  const perRow = `${table}CREATE POLICY invoices_tenant ON invoices FOR SELECT TO authenticated\n  USING (tenant_id IS NULL OR tenant_id = coalesce(current_setting('app.tenant_id', true)::uuid, tenant_id));\n`;
  for (const sql of [folded, perRow]) {
    const { mine } = lintFiles([{ file: '1.sql', text: sql }], ID);
    assert.equal(mine.length, 1);
    assert.match(mine[0]!.message, /then statements the policy applies to fail \(as the planner or the scan evaluates the call: a row the rest of the condition decides first, through AND, OR, CASE or COALESCE, may escape\)/);
  }
  const run = async (sql: string) => {
    let out: unknown;
    await inRollback(await getDb(), async (q) => {
      await q(AUTH_STUB_SQL);
      await asOwner(q, sql);
      await q(`INSERT INTO invoices VALUES (1, NULL, 10), (2, '${TENANT_B}', 20); GRANT SELECT ON invoices TO authenticated`);
      await q('SET ROLE authenticated');
      await localSetEnded(q);
      const one = await tryQuery(q, 'SELECT id FROM invoices WHERE id = 1');
      const all = await tryQuery(q, 'SELECT count(*) FROM invoices');
      out = [one.ok ? one.rows : one.error.code, all.ok ? all.rows : all.error.code];
    });
    return out;
  };
  assert.deepEqual(await run(folded), ['22P02', '22P02'], 'even the NULL-tenant row: the statement fails');
  assert.deepEqual(await run(perRow), [[{ id: 1 }], '22P02'], 'the NULL-tenant row escapes; a statement reaching the other fails');
});

test("ok: a setting the migrations give every session a default (ALTER DATABASE … SET, ALTER ROLE ALL SET) is never unset: neither 42704 nor '' (Delibrium's app.debug); a role's own default or an empty one does not count", () => {
  const policy = "CREATE TABLE t (id int PRIMARY KEY, debug boolean);\nALTER TABLE t ENABLE ROW LEVEL SECURITY;\nCREATE POLICY t_debug ON t FOR SELECT TO authenticated USING (debug = current_setting('app.debug')::boolean);\n";
  const lint = (pre: string) => lintFiles([{ file: '1.sql', text: pre + policy }], ID).mine.length;
  assert.equal(lint(''), 1);
  assert.equal(lint(`ALTER DATABASE _db_name SET "app.debug" TO 'f';\n`), 0);
  assert.equal(lint(`ALTER ROLE ALL SET app.debug = 'f';\n`), 0);
  assert.equal(lint(`ALTER ROLE authenticator SET app.debug = 'f';\n`), 1);
  assert.equal(lint(`ALTER DATABASE app SET app.debug = '';\n`), 1);
  // policy-context-fails-open: the same
  const open = "CREATE TABLE t (id int PRIMARY KEY, tenant_id uuid);\nALTER TABLE t ENABLE ROW LEVEL SECURITY;\nCREATE POLICY t_all ON t FOR SELECT TO authenticated USING (current_setting('app.tenant_id', true) IS NULL OR tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);\n";
  assert.equal(lintFiles([{ file: '1.sql', text: open }], 'policy-context-fails-open').mine.length, 1);
  assert.equal(lintFiles([{ file: '1.sql', text: `ALTER DATABASE app SET app.tenant_id = '00000000-0000-0000-0000-000000000001';\n${open}` }], 'policy-context-fails-open').mine.length, 0);
});

test("err (message): a cast to an array type names the error PostgreSQL raises for it, 22P02 malformed array literal", async () => {
  const sql = `CREATE TABLE events (id bigint PRIMARY KEY, team_id bigint NOT NULL);
ALTER TABLE events ENABLE ROW LEVEL SECURITY;
ALTER TABLE events FORCE ROW LEVEL SECURITY;
CREATE POLICY events_teams ON events FOR SELECT TO authenticated
  USING (team_id = ANY ((select current_setting('app.team_ids', true))::bigint[]));`;
  const { mine } = lintFiles([{ file: 'm.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /the cast to bigint\[\] fails with 22P02 malformed array literal: "" \(T15b\)/);
  // '' (what the setting reads after a local set ended, T15b), cast so
  await inRollback(await getDb(), async (q) => {
    await q(sql);
    await expectPgError(q("SELECT ''::bigint[]"), '22P02', 'malformed array literal: ""');
  });
});

test("err (message): a cast to jsonb names the error PostgreSQL raises for it, 22P02 invalid input syntax for type json (jsonb's input shares json's parser; calibration: an auth.uid() reading request.jwt.claims)", async () => {
  const sql = `CREATE TABLE notes (id bigint PRIMARY KEY, owner_id uuid NOT NULL);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE notes FORCE ROW LEVEL SECURITY;
CREATE POLICY notes_own ON notes FOR SELECT TO authenticated
  USING (owner_id = (current_setting('request.jwt.claims', true)::jsonb ->> 'sub')::uuid);`;
  const { mine } = lintFiles([{ file: 'm.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /the cast to jsonb fails with 22P02 invalid input syntax for type json \(T15b\)/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await asOwner(q, sql);
    await q(`INSERT INTO notes VALUES (1, '${TENANT_A}'); GRANT SELECT ON notes TO authenticated`);
    await q('SET ROLE authenticated');
    await q(`SAVEPOINT local_set; SELECT set_config('request.jwt.claims', '{"sub": "${TENANT_A}"}', true); ROLLBACK TO SAVEPOINT local_set; RELEASE SAVEPOINT local_set`);
    await expectPgError(q('SELECT count(*) FROM notes'), '22P02', /^invalid input syntax for type json$/);
  });
});

test("err: a helper the policy calls unqualified under a search_path (SET search_path, or pg_dump's SELECT set_config('search_path', …): debate-map) is found in that schema, and named so; PostgreSQL raises 42704 through it", async () => {
  const body = (set: string) => `CREATE SCHEMA app;
${set}
CREATE TABLE app.t (id text PRIMARY KEY, owner text NOT NULL);
CREATE INDEX ON app.t (owner);
CREATE FUNCTION is_owner(o text) RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT current_setting('app.uid') = o $$;
ALTER TABLE app.t ENABLE ROW LEVEL SECURITY;
CREATE POLICY p ON app.t FOR SELECT TO authenticated USING ((SELECT is_owner(owner)));
`;
  for (const set of ['SET search_path = app;', "SELECT pg_catalog.set_config('search_path', 'App', false);"]) {
    const { ws, mine } = lintFiles([{ file: 'a.sql', text: body(set) }], ID);
    assert.equal(mine.length, 1, set);
    assert.match(mine[0]!.message, /^Function app\.is_owner\(text\), called by policy "p" on app\.t, reads current_setting\('app\.uid'\)/);
    await inRollback(await getDb(), async (q) => {
      await q(sqlOf(ws));
      assert.deepEqual(await q(`SELECT n.nspname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.proname = 'is_owner'`), [{ nspname: 'app' }]);
      await q(`INSERT INTO app.t VALUES ('1', 'u1'); GRANT USAGE ON SCHEMA app TO authenticated; GRANT SELECT ON app.t TO authenticated`);
      await q('SET ROLE authenticated');
      await expectPgError(q('SELECT * FROM app.t'), '42704', 'unrecognized configuration parameter "app.uid"');
    });
  }
});

test("ok: a table the migrations do not create (originDev's, made by knex) whose last word is DISABLE ROW LEVEL SECURITY: its policy is ignored, no 42704 while the setting is unset; neither this rule nor policy-per-row-function reports it (rls-disabled does)", async () => {
  const files = [
    { file: 'db/27_origin_schema.sql', text: "ALTER TABLE origin.blogs ENABLE ROW LEVEL SECURITY;\nCREATE POLICY blogs_security ON origin.blogs TO origin_user USING (id = current_setting('jwt.claims.id')::integer);\n" },
    { file: 'db/28_origin_schema.sql', text: 'ALTER TABLE origin.blogs DISABLE ROW LEVEL SECURITY;\n' },
  ];
  const { findings, mine } = lintFiles(files, 'policy-current-setting-unsafe');
  assert.deepEqual(mine, []);
  assert.deepEqual(findings.filter((f) => f.rule === 'policy-per-row-function'), []);
  assert.equal(findings.filter((f) => f.rule === 'rls-disabled').length, 1);
  // enabled at the end: reported
  assert.equal(lintFiles(files.slice(0, 1), 'policy-current-setting-unsafe').mine.length, 1);
  await inRollback(await getDb(), async (q) => {
    await q(`CREATE ROLE origin_user_t; CREATE SCHEMA origin; GRANT USAGE ON SCHEMA origin TO origin_user_t;
CREATE TABLE origin.blogs (id integer PRIMARY KEY, body text); INSERT INTO origin.blogs VALUES (1, 'a'), (2, 'b');
GRANT SELECT ON origin.blogs TO origin_user_t`);
    for (const f of files) await q(f.text.replace('TO origin_user ', 'TO origin_user_t '));
    await q('SET ROLE origin_user_t');
    assert.equal(await count(q, 'origin.blogs'), 2, 'RLS disabled: no policy runs, no 42704');
  });
});

// Calibration cal28 (g2): coalesce(current_setting(x, true), '')::uuid turns "never set" into ''
// as well, so the cast fails whenever the setting is unset; the fix replaces the coalesce.
test("err: coalesce(current_setting(x, true), '')::uuid fails with 22P02 whenever the setting is unset, never set included; the safe fix (nullif in its place) re-lints clean and admits no row instead", async () => {
  const sql = `-- « naïve » 日本語 😀
CREATE TABLE t2 (id int PRIMARY KEY, tenant_id uuid NOT NULL);
ALTER TABLE t2 ENABLE ROW LEVEL SECURITY;
CREATE POLICY p2 ON t2 FOR SELECT TO authenticated
  USING (tenant_id = (SELECT coalesce(current_setting('app.tenant', true), '')::uuid));
`;
  const { ws, mine } = lintFiles([{ file: 'db/1_t2.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /coalesce\(…, ''\) makes an unset setting '' — never set in the session, or after a transaction-local set .* whenever the setting is unset \(T15, T15b\)/);
  const fix = mine[0]!.fixes[0]!;
  assert.equal(fix.kind, 'safe');
  const fixed = applyFix(ws, mine[0]!);
  assert.match(sqlOf(fixed), /\(SELECT nullif\(current_setting\('app\.tenant', true\), ''\)::uuid\)/);
  assert.deepEqual(findingsOf(fixed, ID), []);
  const probe = async (text: string) =>
    inRollback(await getDb(), async (q) => {
      await q(text);
      await q(`INSERT INTO t2 VALUES (1, '${TENANT_A}'), (2, '${TENANT_B}'); GRANT SELECT ON t2 TO authenticated; SET ROLE authenticated`);
      const never = await tryQuery(q, 'SELECT count(*)::int AS n FROM t2');
      await q(`SELECT set_config('app.tenant', '${TENANT_A}', false)`);
      const set = await tryQuery(q, 'SELECT count(*)::int AS n FROM t2');
      return [never.ok ? never.rows[0]!.n : never.error.code, set.ok ? set.rows[0]!.n : set.error.code];
    });
  assert.deepEqual(await probe(sql), ['22P02', 1], 'never set: 22P02; set: its row');
  assert.deepEqual(await probe(sqlOf(fixed)), [0, 1], 'fixed: never set admits no row; set: its row');
});

// Calibration cal30 (foxfriends/cartography's current_account_id()): a parameter name without a
// prefix that is no built-in one can never be set, so the call always raises 42704.
test("err: current_setting('current_account_id') (no prefix, no such built-in parameter): SET and set_config refuse it, and every query the policy filters fails with 42704; a built-in name (work_mem) or a prefixed one set is fine; no fix offered", async () => {
  const sql = `-- « naïve » 日本語 😀
CREATE FUNCTION current_account_id() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT nullif(current_setting('current_account_id'), '')
$$;
CREATE TABLE field_cards (card_id bigint PRIMARY KEY, account_id text NOT NULL);
ALTER TABLE field_cards ENABLE ROW LEVEL SECURITY;
CREATE POLICY field_cards_owner ON field_cards FOR SELECT TO authenticated USING (account_id = current_account_id());
`;
  const { mine } = lintFiles([{ file: 'migrations/000002.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /"current_account_id" has no prefix and is no parameter of PostgreSQL's: .* always raises 42704/);
  assert.deepEqual(mine[0]!.fixes, []);
  assert.deepEqual(lintFiles([{ file: 'migrations/000002.sql', text: sql.replace("current_setting('current_account_id')", "current_setting('work_mem')") }], ID).mine, []);
  await inRollback(await getDb(), async (q) => {
    await q(sql);
    await q(`INSERT INTO field_cards VALUES (1, 'alice'); GRANT SELECT ON field_cards TO authenticated; SET ROLE authenticated`);
    const set = await tryQuery(q, `SELECT set_config('current_account_id', 'alice', false)`);
    assert.equal(set.ok ? 'ok' : set.error.code, '42704', 'set_config refuses it');
    await expectPgError(q('SELECT * FROM field_cards'), '42704', 'unrecognized configuration parameter "current_account_id"');
  });
});

// Calibration cal31 (roiheimen's coalesce(current_setting('jwt.claims.admin', true), 'false')::boolean)
/** As localSetEnded, for the setting below (a name no other test sets: its first read here is 'never set'). */
async function adminSetEnded(q: Q): Promise<void> {
  await q(`SAVEPOINT local_set; SELECT set_config('app.is_admin_cs31', 'true', true); ROLLBACK TO SAVEPOINT local_set; RELEASE SAVEPOINT local_set`);
  assert.deepEqual(await q(`SELECT current_setting('app.is_admin_cs31', true) AS v`), [{ v: '' }]);
}

test("err: coalesce(current_setting('x', true), 'false')::boolean: the default covers a setting never set, not one a local set left '': 22P02; fixed inside the coalesce (nullif), the default applies: 0 rows, then the flag's rows", async () => {
  const sql = `CREATE TABLE invoices (id int PRIMARY KEY, tenant_id uuid NOT NULL, amount int NOT NULL);
ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
CREATE POLICY invoices_admin ON invoices FOR SELECT TO authenticated
  USING (coalesce(current_setting('app.is_admin_cs31', true), 'false')::boolean);
`;
  const { ws, mine } = lintFiles([{ file: 'migrations/1_invoices.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  const finding = mine[0]!;
  assert.equal(textAt(ws, finding), "current_setting('app.is_admin_cs31', true)");
  assert.match(finding.message, /the setting reads '' rather than NULL, so the cast to boolean fails with 22P02 invalid input syntax for type boolean \(T15b\).* Write coalesce\(nullif\(current_setting\('app\.is_admin_cs31', true\), ''\), …\)::boolean: an empty setting then takes the coalesce's default, as an unset one does\./);
  const fixed = applyFix(ws, finding);
  assert.equal(finding.fixes[0]!.kind, 'safe');
  assert.match(sqlOf(fixed), /USING \(coalesce\(nullif\(current_setting\('app\.is_admin_cs31', true\), ''\), 'false'\)::boolean\)/);
  assert.deepEqual(findingsOf(fixed, ID), []);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await invoices(q, sqlOf(ws));
    assert.equal(await rows(q), 0, "never set (in this session): the default 'false'");
    await adminSetEnded(q);
    assert.equal(await rows(q), '22P02');
  });
  await inRollback(db, async (q) => {
    await invoices(q, sqlOf(fixed));
    await adminSetEnded(q);
    assert.equal(await rows(q), 0);
    await q(`SELECT set_config('app.is_admin_cs31', 'true', true)`);
    assert.equal(await rows(q), 2);
  });
});

// Calibration cal32 (openweights: IF auth.check_if_service_account() THEN … current_setting('request.jwt.claims', true)::json …)
test("ok/err: a cast in the branch of an IF whose condition reads the same setting (through a helper) is not reached when the setting is '': not reported (PGlite: no error); the guard is, when it fails itself; a condition reading another setting guards nothing", async () => {
  const guard = (read: string) => `CREATE SCHEMA IF NOT EXISTS app;
GRANT USAGE ON SCHEMA app TO authenticated;
CREATE FUNCTION app.is_service() RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT coalesce((${read})::json->>'is_service', 'false')::boolean $$;
`;
  const member = (cond: string) => `CREATE TABLE events (id int PRIMARY KEY, org_id uuid);
ALTER TABLE events ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION is_member(org uuid) RETURNS boolean LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF ${cond} THEN
    RETURN (current_setting('request.jwt.claims', true)::json->>'org_id')::uuid = org;
  END IF;
  RETURN false;
END $$;
CREATE POLICY events_member ON events FOR SELECT TO authenticated USING (is_member(org_id));
GRANT SELECT ON events TO authenticated;
`;
  const safe = guard(`nullif(current_setting('request.jwt.claims', true), '')`);
  const file = 'supabase/migrations/20241205000003_service.sql';
  const lint = (text: string) => lintFiles([{ file, text }], ID).mine;
  assert.deepEqual(lint(`${safe}${member('app.is_service()')}`), []);
  const unsafeGuard = lint(`${guard(`current_setting('request.jwt.claims', true)`)}${member('app.is_service()')}`);
  assert.equal(unsafeGuard.length, 1);
  assert.match(unsafeGuard[0]!.message, /^Function app\.is_service\(\), called by policy "events_member"/);
  assert.equal(lint(`${safe}${member("current_setting('app.other', true) IS NOT NULL")}`).length, 1);
  await inRollback(await getDb(), async (q) => {
    await q(`${safe}${member('app.is_service()')}`);
    await q(`INSERT INTO events VALUES (1, '${TENANT_A}')`);
    await q(`SAVEPOINT s; SELECT set_config('request.jwt.claims', '{}', true); ROLLBACK TO SAVEPOINT s; RELEASE SAVEPOINT s`);
    assert.deepEqual(await q(`SELECT current_setting('request.jwt.claims', true) AS v`), [{ v: '' }]);
    await q('SET ROLE authenticated');
    assert.equal(await rows2(q), 0, "'' : the guard is false, the cast never runs");
    await q('RESET ROLE');
  });
});

const rows2 = async (q: Q) => {
  const r = await tryQuery(q, 'SELECT count(*)::int AS n FROM events');
  return r.ok ? r.rows[0]!.n : r.error.code;
};

test("err (wording): the setting's cast an argument of a PL/pgSQL function: only a statement that evaluates the policy for a row fails, and the message says so; a comparison fails even on an empty table. PGlite: 22P02 for a row, none for an empty table", async () => {
  const sql = (cond: string) => `CREATE TABLE invoices (id int PRIMARY KEY, tenant_id uuid, amount int);
ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION same_tenant(_a uuid, _b uuid) RETURNS boolean LANGUAGE plpgsql STABLE AS $$ BEGIN RETURN _a = _b; END $$;
CREATE POLICY tenant_read ON invoices FOR SELECT TO authenticated USING (${cond});
`;
  const wrapped = sql("same_tenant(current_setting('app.tenant_id', true)::uuid, tenant_id)");
  const compared = sql("tenant_id = current_setting('app.tenant_id', true)::uuid");
  const w = lintFiles([{ file: 'm.sql', text: wrapped }], ID).mine;
  assert.equal(w.length, 1);
  assert.match(w[0]!.message, /then every statement that evaluates the policy for a row fails \(the value is an argument of public\.same_tenant\(uuid, ?uuid\), which PostgreSQL does not inline/);
  const c = lintFiles([{ file: 'm.sql', text: compared }], ID).mine;
  assert.match(c[0]!.message, /then every statement the policy applies to fails/);
  const db = await getDb();
  for (const [text, emptyFails] of [[wrapped, false], [compared, true]] as const) {
    await inRollback(db, async (q) => {
      await q(AUTH_STUB_SQL);
      await asOwner(q, text);
      await q('GRANT SELECT, UPDATE ON invoices TO authenticated; SET ROLE authenticated');
      await localSetEnded(q);
      assert.equal(await rows(q), emptyFails ? '22P02' : 0, 'an empty table');
    });
    await inRollback(db, async (q) => {
      await q(AUTH_STUB_SQL);
      await asOwner(q, text);
      await q(`INSERT INTO invoices VALUES (1, '${TENANT_A}', 10); GRANT SELECT, UPDATE ON invoices TO authenticated; SET ROLE authenticated`);
      await localSetEnded(q);
      assert.equal(await rows(q), '22P02', 'a row to evaluate the policy for');
    });
  }
});

test("err (wording): the setting's cast inside a sub-select, or compared with no column of the row: the planner does not compute it, so only a statement that evaluates the policy for a row fails, and the message says so (calibration: SmartPick1's `(select current_setting('request.jwt.claims', true)::json->>'role') = 'service_role'`). PGlite: 22P02 for a row, none for an empty table; compared with a column, 22P02 for an empty table too", async () => {
  const sql = (cond: string) => `CREATE TABLE invoices (id int PRIMARY KEY, tenant_id uuid, amount int);
ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_read ON invoices FOR SELECT TO authenticated USING (${cond});
`;
  const cases = [
    { cond: "tenant_id = (select current_setting('app.tenant_id', true)::uuid)", emptyFails: false, why: /\(the value is computed in a sub-select, which PostgreSQL runs only when a row reaches it: a statement that reaches no row, such as a SELECT of an empty table, still runs\)/ },
    { cond: "(select current_setting('app.tenant_id', true)::json ->> 'role') = 'service_role'", emptyFails: false, why: /\(the value is computed in a sub-select/ },
    { cond: "current_setting('app.tenant_id', true)::json ->> 'role' = 'service_role'", emptyFails: false, why: /\(the value is compared with no column of the row, so the planner does not compute it while estimating the filter: a statement that reaches no row, such as a SELECT of an empty table, still runs\)/ },
    { cond: "current_setting('app.tenant_id', true)::boolean", emptyFails: false, why: /\(the value is compared with no column of the row/ },
    { cond: "tenant_id::text = current_setting('app.tenant_id', true)::json ->> 'tenant'", emptyFails: true, why: /then every statement the policy applies to fails\./ },
  ];
  const db = await getDb();
  for (const { cond, emptyFails, why } of cases) {
    const text = sql(cond);
    const w = lintFiles([{ file: 'm.sql', text }], ID).mine;
    assert.equal(w.length, 1, cond);
    assert.match(w[0]!.message, why, cond);
    if (!emptyFails) assert.match(w[0]!.message, /then every statement that evaluates the policy for a row fails/, cond);
    await inRollback(db, async (q) => {
      await q(AUTH_STUB_SQL);
      await asOwner(q, text);
      await q('GRANT SELECT ON invoices TO authenticated; SET ROLE authenticated');
      await localSetEnded(q);
      assert.equal(await rows(q), emptyFails ? '22P02' : 0, `an empty table: ${cond}`);
    });
    await inRollback(db, async (q) => {
      await q(AUTH_STUB_SQL);
      await asOwner(q, text);
      await q(`INSERT INTO invoices VALUES (1, '${TENANT_A}', 10); GRANT SELECT ON invoices TO authenticated; SET ROLE authenticated`);
      await localSetEnded(q);
      assert.equal(await rows(q), '22P02', `a row to evaluate the policy for: ${cond}`);
    });
  }
});

// Calibration cal107 (kufu/activerecord-tenant-level-security): NULLIF(current_setting('x'), '')
// without missing_ok raises 42704 while the setting was never set; the fix wrapped it in a second
// nullif. It now adds missing_ok alone.
test("fix: NULLIF(current_setting('x'), '')::uuid only lacks missing_ok: the fix adds it, with no second nullif; PGlite: 42704 before, 0 rows after while unset", async () => {
  const sql = `-- « naïve » 日本語 😀
CREATE TABLE public.items (id int PRIMARY KEY, tenant_id uuid NOT NULL);
ALTER TABLE public.items ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON public.items TO pcsu_app USING (tenant_id = NULLIF(current_setting('tls.tenant_id'), '')::uuid);
GRANT SELECT ON public.items TO pcsu_app;
`;
  const { ws, mine } = lintFiles([{ file: 'db/1.sql', text: `CREATE ROLE pcsu_app;\n${sql}` }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /Write nullif\(current_setting\('tls\.tenant_id', true\), ''\)/);
  const fixed = applyFix(ws, mine[0]!);
  assert.match(sqlOf(fixed), /NULLIF\(current_setting\('tls\.tenant_id', true\), ''\)::uuid/);
  assert.doesNotMatch(sqlOf(fixed), /nullif\(nullif/i);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(await getDb(), async (q) => {
    await q(`CREATE ROLE pcsu_app; ${sql}`);
    await q(`INSERT INTO public.items VALUES (1, gen_random_uuid())`);
    await q('SET ROLE pcsu_app');
    await expectPgError(q('SELECT * FROM public.items'), '42704');
  });
  await inRollback(await getDb(), async (q) => {
    await q(sqlOf(fixed));
    await q(`INSERT INTO public.items VALUES (1, gen_random_uuid())`);
    await q('SET ROLE pcsu_app');
    assert.equal((await q('SELECT * FROM public.items')).length, 0, 'unset: NULL, no row');
  });
});

// A policy made by a DO block's EXECUTE: the fix edits the string, so what it writes is escaped
// for the string's quoting (the '' of nullif doubled, the copied call kept as written).
const DYNAMIC_TABLE = `CREATE TABLE public.docs (id int, tenant_id int);
ALTER TABLE public.docs ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON public.docs TO authenticated;
INSERT INTO public.docs VALUES (1, 1), (2, 2);
`;
const DYNAMIC_CONSTANT = `${DYNAMIC_TABLE}DO $$
BEGIN
  EXECUTE 'CREATE POLICY docs_tenant ON public.docs TO authenticated USING (tenant_id = current_setting(''app.current_tenant'')::int)';
END $$;
`;
const DYNAMIC_FORMAT = `${DYNAMIC_TABLE}DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['docs'] LOOP
    EXECUTE format('CREATE POLICY %I ON public.%I TO authenticated USING (tenant_id = current_setting(''app.current_tenant'')::int)', t || '_tenant', t);
  END LOOP;
END $$;
`;

async function dynamicFixRuns(text: string, policy: string): Promise<void> {
  const { ws, mine } = lintFiles([{ file: 'migrations/001.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), "current_setting(''app.current_tenant'')");
  const fixed = applyFix(ws, mine[0]!);
  assert.match(sqlOf(fixed), /USING \(tenant_id = nullif\(current_setting\(''app\.current_tenant'', true\), ''''\)::int\)/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  // (a fresh session: the setting has never been set in it)
  await withFreshDb(async (db) => {
    await inRollback(db, async (q) => {
      await q(AUTH_STUB_SQL);
      await q(sqlOf(ws));
      await q('SET ROLE authenticated');
      await expectPgError(q('SELECT * FROM public.docs'), '42704', 'unrecognized configuration parameter "app.current_tenant"');
    });
  });
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sqlOf(fixed));
    const [p] = await q(`SELECT qual FROM pg_policies WHERE tablename = 'docs' AND policyname = '${policy}'`);
    assert.match(p!.qual, /^\(tenant_id = \(NULLIF\(current_setting\('app\.current_tenant'::text, true\), ''::text\)\)::integer\)$/);
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.docs'), 0, 'never set: no rows, no error');
    await q(`SELECT set_config('app.current_tenant', '2', true)`);
    assert.equal(await count(q, 'public.docs'), 1);
  });
}

test("err: a policy a DO block's EXECUTE makes from a single-quoted string: the fix writes nullif(…, '''') in the string; the fixed block runs and the policy has the nullif (pg_policies.qual)", async () => {
  await dynamicFixRuns(DYNAMIC_CONSTANT, 'docs_tenant');
});

test("err: the same in format() with %I over a loop: the fix edits the pattern away from its placeholders; the fixed block runs", async () => {
  await dynamicFixRuns(DYNAMIC_FORMAT, 'docs_tenant');
});

test("ok (no fix): a call whose text holds a format() placeholder (the setting's name differs per value) is reported without a fix", () => {
  const text = DYNAMIC_FORMAT.replace("current_setting(''app.current_tenant'')", "current_setting(''app.%s'')").replace("t || '_tenant', t)", "t || '_tenant', t, t)");
  const { mine } = lintFiles([{ file: 'migrations/001.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.deepEqual(mine[0]!.fixes, []);
});

// A DO block's EXECUTE of a string written in adjacent literals (PostgreSQL's continuation, one
// literal a line: owieschon/ultra-csm's `format('CREATE POLICY tenant_isolation ON %s ' 'USING
// (…) ' 'WITH CHECK (…)', t)`): the call is found where its piece writes it, and fixed there.
const DYNAMIC_ADJACENT = `${DYNAMIC_TABLE}-- Mandanten: politique « tenant » 🚀
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['docs'] LOOP
    EXECUTE format(
      'CREATE POLICY %I ON public.%I TO authenticated '
      -- the tenant's rows
      'USING (tenant_id = current_setting(''app.current_tenant'')::int)', t || '_tenant', t);
  END LOOP;
END $$;
`;

test("err: the same in a format() pattern of adjacent literals (ultra-csm's, a comment line between): reported at the call in its piece (its line and column), the fix edits that piece; the fixed block runs", async () => {
  const { mine } = lintFiles([{ file: 'migrations/001.sql', text: DYNAMIC_ADJACENT }], ID);
  assert.equal(mine.length, 1);
  const line = DYNAMIC_ADJACENT.split('\n').findIndex((l) => l.startsWith("      'USING ("));
  assert.deepEqual(mine[0]!.range.start, { line, character: "      'USING (tenant_id = ".length });
  await dynamicFixRuns(DYNAMIC_ADJACENT, 'docs_tenant');
});

test("ok (no fix): a call cut between two adjacent literals is reported at its start, with no fix (its edit would span both); PGlite: the policy reads the setting whole", async () => {
  const text = DYNAMIC_CONSTANT.replace("current_setting(''app.current_tenant'')", "current_setting(''app.'\n    'current_tenant'')");
  const { ws, mine } = lintFiles([{ file: 'migrations/001.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.ok(textAt(ws, mine[0]!).startsWith("current_setting(''app.'"), textAt(ws, mine[0]!));
  assert.deepEqual(mine[0]!.fixes, []);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(text);
    const [p] = await q(`SELECT qual FROM pg_policies WHERE policyname = 'docs_tenant'`);
    assert.equal(p!.qual, "(tenant_id = (current_setting('app.current_tenant'::text))::integer)");
  });
});

// armand1m/golinks: get_current_permissions() reads `nullif(current_setting('jwt.claims.permissions', true), '[]')::json`.
// That nullif only makes '[]' NULL: the '' a transaction-local set leaves passes through it to the cast.
const KEPT_NULLIF = (read: string) => `CREATE ROLE pcsu_gl;
CREATE TABLE public.links (id int PRIMARY KEY, url text);
CREATE FUNCTION public.get_current_permissions() RETURNS json AS $$
  SELECT ${read};
$$ LANGUAGE sql STABLE;
CREATE FUNCTION public.has_permission(permission text) RETURNS boolean AS $$
  SELECT coalesce(public.get_current_permissions()::jsonb ? permission, false);
$$ LANGUAGE sql STABLE;
ALTER TABLE public.links ENABLE ROW LEVEL SECURITY;
CREATE POLICY read_links ON public.links FOR SELECT TO pcsu_gl USING (public.has_permission('read:golinks'));
GRANT SELECT ON public.links TO pcsu_gl;
`;

test("err/fix: nullif(current_setting('x', true), '[]')::json lets '' through to the cast (only a nullif with '' guards it): reported, the fix nests nullif(…, ''); PGlite: 22P02 after a local set ended, then 0 rows fixed; a nullif(nullif(…, ''), '[]') is not reported", async () => {
  const text = KEPT_NULLIF(`nullif(current_setting('jwt.claims.permissions', true), '[]')::json`);
  const { ws, mine } = lintFiles([{ file: 'db/migrations/1_links.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /which nullif\(…, '\[\]'\) passes on unchanged \(it makes only '\[\]' NULL\), so the cast to json fails with 22P02 invalid input syntax for type json/);
  assert.match(mine[0]!.message, /Write nullif\(nullif\(current_setting\('jwt\.claims\.permissions', true\), ''\), '\[\]'\)::json/);
  const fixed = applyFix(ws, mine[0]!);
  assert.match(sqlOf(fixed), /SELECT nullif\(nullif\(current_setting\('jwt\.claims\.permissions', true\), ''\), '\[\]'\)::json;/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  const ended = async (q: Q) => {
    await q(`INSERT INTO public.links VALUES (1, 'https://example.com')`);
    await q('SET ROLE pcsu_gl');
    await q(`SAVEPOINT s; SELECT set_config('jwt.claims.permissions', '["read:golinks"]', true); ROLLBACK TO SAVEPOINT s; RELEASE SAVEPOINT s`);
  };
  await inRollback(await getDb(), async (q) => {
    await q(text);
    await ended(q);
    await expectPgError(q('SELECT * FROM public.links'), '22P02', 'invalid input syntax for type json');
  });
  await inRollback(await getDb(), async (q) => {
    await q(sqlOf(fixed));
    await ended(q);
    assert.equal((await q('SELECT * FROM public.links')).length, 0, "'' is NULL: no permission, no row");
    await q(`SELECT set_config('jwt.claims.permissions', '["read:golinks"]', true)`);
    assert.equal((await q('SELECT * FROM public.links')).length, 1, 'set: the link');
  });
  assert.equal(lintFiles([{ file: 'db/migrations/1_links.sql', text: KEPT_NULLIF(`nullif(nullif(current_setting('jwt.claims.permissions', true), ''), '[]')::json`) }], ID).mine.length, 0);
});

test("err (wording): a helper a policy calls: the statements that evaluate the policy for a row fail, and every statement only where the planner calls it while estimating (a STABLE call compared with a column). PGlite: golinks' has_permission('read:golinks') — compared with no column — lets an empty table's SELECT run; `tenant = current_tenant()`, a STABLE definer, fails on it too", async () => {
  const text = KEPT_NULLIF(`nullif(current_setting('jwt.claims.permissions', true), '[]')::json`);
  const { mine } = lintFiles([{ file: 'db/migrations/1_links.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /then statements that evaluate that policy for a row fail, and where the planner calls the function while estimating the filter \(a STABLE function with constant arguments compared with a column, `tenant_id = current_tenant\(\)`\), every statement it applies to, a SELECT of an empty table too/);
  assert.doesNotMatch(mine[0]!.message, /every statement that policy applies to fails/);
  const ended = `SAVEPOINT s; SELECT set_config('jwt.claims.permissions', '{"t":"a"}', true); ROLLBACK TO SAVEPOINT s; RELEASE SAVEPOINT s`;
  await inRollback(await getDb(), async (q) => {
    await q(text);
    await q(`CREATE FUNCTION public.current_tenant() RETURNS text AS $$ BEGIN RETURN nullif(current_setting('jwt.claims.permissions', true), '[]')::json ->> 't'; END $$ LANGUAGE plpgsql STABLE SECURITY DEFINER;
      CREATE TABLE public.notes (id int, tenant text); ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
      CREATE POLICY tenant ON public.notes FOR SELECT TO pcsu_gl USING (tenant = public.current_tenant()); GRANT SELECT ON public.notes TO pcsu_gl`);
    await q('SET ROLE pcsu_gl');
    await q(ended);
    assert.equal((await q('SELECT * FROM public.links')).length, 0, 'no row, has_permission() not called: runs');
    assert.equal((await tryQuery(q, 'SELECT * FROM public.notes')).ok, false, 'no row, but current_tenant() computed while planning: 22P02');
  });
  await inRollback(await getDb(), async (q) => {
    await q(text);
    await q(`INSERT INTO public.links VALUES (1, 'https://example.com')`);
    await q('SET ROLE pcsu_gl');
    await q(ended);
    await expectPgError(q('SELECT * FROM public.links'), '22P02', 'invalid input syntax for type json');
  });
});
