// Policy DDL a DO block runs with EXECUTE over a literal list (parse.ts materialize): a constant
// string, or format() of a constant pattern with the loop variable, replayed once per value of
// `FOREACH t IN ARRAY ARRAY[…]` / `FOR t IN SELECT unnest(ARRAY[…])` as real policies, in the
// loop's order (finvy's 20250719000003_rls_policies.sql); with variables whose value is certain
// there (breeze's predicate), in a BEGIN … END of the loop's body (swanEPR's). What is not certain
// (a loop over the catalog, a variable set under an IF or by a query) stays "may be dynamic"
// (dynamic-rls.ts). Executed on PGlite.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { mergeConfig } from '../../server/src/analysis/config.js';
import { mayBeDynamic } from '../../server/src/analysis/dynamic-rls.js';
import { buildModel } from '../../server/src/analysis/model.js';
import { parseFile } from '../../server/src/analysis/parse.js';
import { editInLiteral } from '../../server/src/engine/string-edits.js';
import { Workspace } from '../../server/src/engine/workspace.js';
import { closeAll, getDb, inRollback, tryQuery } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, lintFiles, sqlOf, textAt } from '../helpers/rule-proof.js';
import { AUTH_STUB_SQL } from '../helpers/supabase.js';

before(initParser);
after(closeAll);

const model = (text: string) => buildModel([parseFile('1.sql', text)], mergeConfig({}));

const TABLES = `CREATE TABLE public.accounts (id int PRIMARY KEY, kind text);
CREATE TABLE public."Notes" (id int PRIMARY KEY, kind text);
ALTER TABLE public.accounts ENABLE ROW LEVEL SECURITY;
ALTER TABLE public."Notes" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "accounts_read" ON public.accounts FOR SELECT USING (false);
`;
// (the DROP of each iteration runs before its CREATE; %I quotes "Notes", %L the literal it's)
const LOOP = `DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['accounts', 'Notes'] LOOP
    EXECUTE format('DROP POLICY IF EXISTS %I ON public.%I', t || '_read', t);
    EXECUTE format('DROP POLICY IF EXISTS "%s_read" ON public.%I', t, t);
    EXECUTE format('CREATE POLICY "%s_read" ON public.%I FOR SELECT TO authenticated USING (kind = %L)', t, t, 'it''s');
    EXECUTE format('COMMENT ON TABLE public.%I IS %L', t, upper(t));
  END LOOP;
END $$;
`;

test("ok: a loop over two tables makes two policies, where the EXECUTE's string is, in the loop's order (the DROP of an earlier policy of the name first); %I and %L quote as PostgreSQL: pg_policies on PGlite has the same", async () => {
  const text = TABLES + LOOP;
  const m = model(text);
  const at = text.indexOf(`'CREATE POLICY "%s_read"`);
  const policies = [...m.tables.values()].flatMap((t) => t.policies);
  assert.deepEqual(
    policies.map((p) => [p.table, p.name, p.roles, p.loc.start, p.stmt.dynamic]),
    [
      ['public.accounts', 'accounts_read', ['authenticated'], at, true],
      ['public.Notes', 'Notes_read', ['authenticated'], at, true],
    ],
  );
  assert.equal(policies[0]!.using?.A_Expr?.rexpr?.A_Const?.sval?.sval, "it's");
  for (const t of policies.map((p) => m.tables.get(p.table)!)) assert.equal(mayBeDynamic(m, 'policy', t), false);
  // (`t || '_read'` is the loop variable joined to a constant, as oppsera names its policies;
  // a COMMENT, and an argument calling a function, are not replayed)
  const body = parseFile('1.sql', text).statements.find((s) => s.kind === 'DoStmt')!.body!;
  assert.deepEqual(body.dynamicExecutes.map((d) => !!d.materialized), [true, true, true, false]);
  assert.deepEqual(
    parseFile('1.sql', text).statements.filter((s) => s.dynamic).map((s) => s.kind),
    ['DropStmt', 'DropStmt', 'CreatePolicyStmt', 'DropStmt', 'DropStmt', 'CreatePolicyStmt'],
  );
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(text);
    assert.deepEqual(await q(`SELECT tablename, policyname, roles::text[] AS roles, qual FROM pg_policies WHERE schemaname = 'public' ORDER BY 1`), [
      { tablename: 'Notes', policyname: 'Notes_read', roles: ['authenticated'], qual: `(kind = 'it''s'::text)` },
      { tablename: 'accounts', policyname: 'accounts_read', roles: ['authenticated'], qual: `(kind = 'it''s'::text)` },
    ]);
  });
});

test('ok: a loop over pg_tables makes its policy on each table of the schema made before it (catalog-loops.ts), none on those made after; a name in a variable whose value is certain (its declaration\'s default) makes its policy, as PGlite shows', async () => {
  const text = `CREATE TABLE public.a (id int);
ALTER TABLE public.a ENABLE ROW LEVEL SECURITY;
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
    EXECUTE format('CREATE POLICY "%s_read" ON public.%I FOR SELECT TO authenticated USING (true)', r.tablename, r.tablename);
  END LOOP;
END $$;
CREATE TABLE public.b (id int);
ALTER TABLE public.b ENABLE ROW LEVEL SECURITY;
DO $$
DECLARE t text := 'b';
BEGIN
  EXECUTE format('CREATE POLICY "%s_read" ON public.%I FOR SELECT TO authenticated USING (true)', t, t);
END $$;
`;
  const m = model(text);
  assert.deepEqual(m.tables.get('public.a')!.policies.map((p) => [p.name, p.stmt.dynamic, p.roles]), [['a_read', true, ['authenticated']]]);
  assert.equal(mayBeDynamic(m, 'policy', m.tables.get('public.a')!), false);
  assert.deepEqual(m.tables.get('public.b')!.policies.map((p) => [p.name, p.stmt.dynamic]), [['b_read', true]]);
  const { findings } = lintFiles([{ file: '1.sql', text }], 'rls-enabled-without-policy');
  assert.deepEqual(findings.filter((f) => f.rule === 'rls-enabled-without-policy'), []);
  await inRollback(await getDb(), async (q) => {
    await q(text);
    assert.deepEqual(await q(`SELECT tablename, policyname FROM pg_policies WHERE schemaname = 'public' ORDER BY 1`), [
      { tablename: 'a', policyname: 'a_read' },
      { tablename: 'b', policyname: 'b_read' },
    ]);
  });
});

test("ok: a finding on a policy a loop makes is where its EXECUTE's string is; its fix (policy-applies-to-public's TO) is written in the string, as for the static policy; PGlite: the loop's policy is for {public}, and after the fix for {authenticated}", async () => {
  const base = 'CREATE TABLE public.notes (id int);\nALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;\n';
  const loop = `${base}DO $$ DECLARE t text; BEGIN FOREACH t IN ARRAY ARRAY['notes'] LOOP EXECUTE format('CREATE POLICY "%s_read" ON public.%I FOR SELECT USING (id > 0)', t, t); END LOOP; END $$;\n`;
  const stat = `${base}CREATE POLICY "notes_read" ON public.notes FOR SELECT USING (id > 0);\n`;
  const s = lintFiles([{ file: '1.sql', text: stat }], 'policy-applies-to-public').mine;
  assert.equal(s.length, 1);
  assert.ok(s[0]!.fixes.length > 0, 'the static policy is fixable');
  const { ws, mine } = lintFiles([{ file: '1.sql', text: loop }], 'policy-applies-to-public');
  assert.equal(mine.length, 1);
  assert.equal(mine[0]!.message, s[0]!.message);
  assert.equal(mine[0]!.start, loop.indexOf(`'CREATE POLICY "%s_read"`));
  assert.ok(textAt(ws, mine[0]!).startsWith("'CREATE"), textAt(ws, mine[0]!));
  // (the fix's TO goes into the format() pattern: every policy the loop makes gets it)
  const fixed = applyFix(ws, mine[0]!);
  assert.match(sqlOf(fixed), /EXECUTE format\('CREATE POLICY "%s_read" ON public\.%I FOR SELECT TO authenticated USING \(id > 0\)', t, t\)/);
  assert.deepEqual(findingsOf(fixed, 'policy-applies-to-public'), []);
  await inRollback(await getDb(), async (q) => {
    await q(sqlOf(ws));
    assert.deepEqual(await q(`SELECT roles::text[] AS roles FROM pg_policies WHERE policyname = 'notes_read'`), [{ roles: ['public'] }]);
  });
  await inRollback(await getDb(), async (q) => {
    await q(`DO $r$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN CREATE ROLE authenticated; END IF; END $r$`);
    await q(sqlOf(fixed));
    assert.deepEqual(await q(`SELECT roles::text[] AS roles FROM pg_policies WHERE policyname = 'notes_read'`), [{ roles: ['authenticated'] }]);
  });
});

test("ok: the policy's nodes are where the string has their text (hps-dealengine's `EXECUTE $$create policy … using (user_id = auth.uid())$$`, a '…' string with doubled quotes, a format pattern): policy-per-row-function names auth.uid() as written, at it; its fix is written in the string (quotes doubled in a '…' one) and runs on PGlite", async () => {
  const base = 'CREATE TABLE public.notes (id int PRIMARY KEY, user_id uuid, kind text);\nCREATE INDEX ON public.notes (user_id);\nALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;\n';
  const stat = lintFiles([{ file: '1.sql', text: `${base}create policy notes_read on public.notes for select to authenticated using (user_id = auth.uid());\n` }], 'policy-per-row-function');
  assert.equal(stat.mine.length, 1);
  assert.ok(stat.mine[0]!.fixes.length > 0, 'the static policy is fixable');
  for (const exec of [
    `EXECUTE $q$create policy notes_read on public.notes for select to authenticated using (user_id = auth.uid())$q$;`,
    `EXECUTE 'create policy notes_read on public.notes for select to authenticated using (kind <> ''x'' and user_id = auth.uid())';`,
    `FOREACH t IN ARRAY ARRAY['notes'] LOOP EXECUTE format('create policy %I on public.%I for select to authenticated using (kind <> %L and user_id = auth.uid())', t || '_read', t, 'x'); END LOOP;`,
  ]) {
    const text = `${base}DO $$ DECLARE t text; BEGIN ${exec} END $$;\n`;
    const { ws, mine } = lintFiles([{ file: '1.sql', text }], 'policy-per-row-function');
    assert.equal(mine.length, 1, exec);
    assert.match(mine[0]!.message, /^Policy "notes_read" on public\.notes calls auth\.uid\(\) in its USING outside any sub-select/);
    assert.equal(textAt(ws, mine[0]!), textAt(stat.ws, stat.mine[0]!));
    const fixed = applyFix(ws, mine[0]!);
    assert.ok(sqlOf(fixed).includes('user_id = (select auth.uid())'), sqlOf(fixed));
    assert.deepEqual(findingsOf(fixed, 'policy-per-row-function'), [], exec);
    await inRollback(await getDb(), async (q) => {
      await q(AUTH_STUB_SQL);
      await q(sqlOf(fixed));
      const [{ qual }] = await q(`SELECT qual FROM pg_policies WHERE policyname = 'notes_read'`);
      assert.match(qual as string, /\( SELECT auth\.uid\(\) AS uid\)/, exec);
    });
  }
});

// LanternOps/breeze's 2026-07-26 migration: the legacy policy's name and the predicate are
// variables set in the loop (`legacy_policy := table_name || '_org_isolation'`, `predicate :=
// format('EXISTS (… %I.config_policy_id ' || 'AND …)', table_name)`), then `EXECUTE
// format('CREATE POLICY … USING (%s)', table_name, predicate)`.
const VARIABLES = `CREATE TABLE public.members (org_id int, user_id int);
CREATE TABLE public.docs (id int, org_id int);
ALTER TABLE public.members ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY members_legacy ON public.members FOR SELECT TO app USING (true);
DO $$
DECLARE
  t text;
  legacy text;
  predicate text;
BEGIN
  FOREACH t IN ARRAY ARRAY['members', 'docs'] LOOP
    legacy := t || '_legacy';
    EXECUTE format('DROP POLICY IF EXISTS %I ON public.%I', legacy, t);
    predicate := format(
      'EXISTS (SELECT 1 FROM public.members m WHERE m.org_id = %I.org_id '
      || 'AND m.user_id = current_setting(''app.user_id'')::int)',
      t
    );
    EXECUTE format('CREATE POLICY %I ON public.%I FOR SELECT TO app USING (%s)', t || '_member', t, predicate);
  END LOOP;
END $$;
`;

test("ok: variables a loop sets before its EXECUTE (a policy's name, a predicate made with format() of a pattern written over several lines) make its policies: the legacy one dropped, the new ones with the predicate, which on members reads members (policy-recursion, 42P17 on PGlite)", async () => {
  const m = model(VARIABLES);
  assert.deepEqual(
    [...m.tables.values()].flatMap((t) => t.policies.map((p) => [p.table, p.name, p.stmt.dynamic])),
    [
      ['public.members', 'members_member', true],
      ['public.docs', 'docs_member', true],
    ],
  );
  const { ws, mine } = lintFiles([{ file: '1.sql', text: VARIABLES }], 'policy-recursion');
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^Policy "members_member" on members recurses: .* reads members in a sub-select/);
  // (at the EXECUTE's %s, where the predicate goes; no fix edits a string)
  assert.equal(textAt(ws, mine[0]!).slice(0, 2), '%s');
  assert.equal(mine[0]!.fixes.length, 0);
  const db = await getDb();
  await db.exec(`DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app') THEN CREATE ROLE app; END IF; END $$;`);
  await inRollback(db, async (q) => {
    await q(VARIABLES);
    await q('GRANT SELECT ON public.members, public.docs TO app');
    assert.deepEqual(await q(`SELECT tablename, policyname FROM pg_policies WHERE schemaname = 'public' ORDER BY 1, 2`), [
      { tablename: 'docs', policyname: 'docs_member' },
      { tablename: 'members', policyname: 'members_member' },
    ]);
    await q("SELECT set_config('app.user_id', '1', true)");
    await q('SET LOCAL ROLE app');
    await assert.rejects(q('SELECT * FROM public.docs'), (e: { code?: string }) => e.code === '42P17');
  });
});

test('ok: a variable whose value is not certain at the EXECUTE leaves its policy "may be dynamic": set under an IF, set after the EXECUTE in the loop (the iteration before set it), or by a query; an EXECUTE in a BEGIN … END of the loop body is replayed, one under an IF is not', () => {
  const base = `CREATE TABLE public.a (id int);
ALTER TABLE public.a ENABLE ROW LEVEL SECURITY;
`;
  const loop = (body: string) => `${base}DO $$
DECLARE t text; p text := 'true';
BEGIN
  FOREACH t IN ARRAY ARRAY['a'] LOOP
${body}
  END LOOP;
END $$;
`;
  const exec = "    EXECUTE format('CREATE POLICY a_read ON public.%I FOR SELECT USING (%s)', t, p);";
  const cases: Array<[string, boolean]> = [
    [exec, true],
    [`    p := 'id > 0';\n${exec}`, true],
    [`    IF t = 'a' THEN p := 'id > 0'; END IF;\n${exec}`, false],
    [`${exec}\n    p := 'id > 0';`, false],
    [`    SELECT 'id > 0' INTO p;\n${exec}`, false],
    [`    BEGIN p := 'id > 0'; EXCEPTION WHEN others THEN NULL; END;\n${exec}`, false],
    // (an EXECUTE in a BEGIN … END of the loop's body runs once per value too, swanEPR's; not one under an IF)
    [`    BEGIN\n  ${exec}\n    EXCEPTION WHEN undefined_table THEN NULL;\n    END;`, true],
    [`    BEGIN p := 'id > 0';\n  ${exec}\n    EXCEPTION WHEN undefined_table THEN NULL;\n    END;`, true],
    [`    IF t <> 'b' THEN\n  ${exec}\n    END IF;`, false],
    [`    BEGIN IF t <> 'b' THEN\n  ${exec}\n    END IF; END;`, false],
  ];
  for (const [body, made] of cases) {
    const m = model(loop(body));
    const t = m.tables.get('public.a')!;
    assert.equal(t.policies.length, made ? 1 : 0, body);
    assert.equal(mayBeDynamic(m, 'policy', t), !made, body);
  }
});

test("ok: a loop's EXECUTE in a BEGIN … EXCEPTION WHEN undefined_table block (ZaheaniQo/swanEPR's tenant policies over a declared list) makes the policies of the tables that exist, as PGlite shows", async () => {
  const text = `CREATE TABLE public.invoices (id int, tenant_id int);
ALTER TABLE public.invoices ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Enable all access for authenticated users" ON public.invoices USING (true);
DO $$
DECLARE
  t text;
  tables text[] := ARRAY['invoices', 'audit_logs'];
BEGIN
  FOREACH t IN ARRAY tables LOOP
    BEGIN
      EXECUTE format('DROP POLICY IF EXISTS "Enable all access for authenticated users" ON %I', t);
      EXECUTE format('CREATE POLICY "Tenant Isolation Select" ON %I FOR SELECT USING (tenant_id = 1)', t);
    EXCEPTION WHEN undefined_table THEN
      RAISE NOTICE 'Table % does not exist, skipping RLS update', t;
    END;
  END LOOP;
END $$;
`;
  const m = model(text);
  assert.deepEqual(m.tables.get('public.invoices')!.policies.map((p) => [p.name, p.stmt.dynamic]), [['Tenant Isolation Select', true]]);
  const before = text.slice(0, text.indexOf('DO $$'));
  assert.equal(lintFiles([{ file: '1.sql', text: before }], 'policy-always-true').mine.length, 1);
  assert.equal(lintFiles([{ file: '1.sql', text }], 'policy-always-true').mine.length, 0, 'the dropped policy is gone');
  await inRollback(await getDb(), async (q) => {
    await q(text);
    assert.deepEqual(await q(`SELECT tablename, policyname FROM pg_policies WHERE schemaname = 'public' ORDER BY 1, 2`), [{ tablename: 'invoices', policyname: 'Tenant Isolation Select' }]);
  });
});

test("ok: %I writes a name bare where quote_ident does (hrds100/marketplace10's `%I_admin_all`, a pattern of constants joined with ||, two statements in one string), and a regclass loop variable's `t::text` is the name regclass prints (ohjayaxel/ohjay_dasboard's `create policy %I_read on %s`): PGlite has the same policies", async () => {
  const text = `CREATE TABLE public.wk_numbers (id int);
CREATE TABLE public.wk_tasks (id int);
CREATE TABLE public.connections (id int);
ALTER TABLE public.wk_numbers ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.wk_tasks ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.connections ENABLE ROW LEVEL SECURITY;
DO $$
DECLARE t text;
BEGIN
  FOR t IN SELECT unnest(ARRAY['wk_numbers', 'wk_tasks']) LOOP
    EXECUTE format(
      'DROP POLICY IF EXISTS %I_admin_all ON %I; ' ||
      'CREATE POLICY %I_admin_all ON %I FOR ALL TO authenticated USING (id > 0);',
      t, t, t, t
    );
  END LOOP;
END $$;
do $$
declare t regclass;
begin
  for t in select unnest(array['Connections'::regclass]) loop
    execute format($f$
      create policy %I_read on %s
      for select using (id > 0);
    $f$, t::text, t::text);
  end loop;
end$$;
`;
  const m = model(text);
  assert.deepEqual(
    [...m.tables.values()].flatMap((t) => t.policies.map((p) => [p.table, p.name])),
    [
      ['public.wk_numbers', 'wk_numbers_admin_all'],
      ['public.wk_tasks', 'wk_tasks_admin_all'],
      ['public.connections', 'connections_read'],
    ],
  );
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(text);
    assert.deepEqual(await q(`SELECT tablename, policyname FROM pg_policies WHERE schemaname = 'public' ORDER BY 1, 2`), [
      { tablename: 'connections', policyname: 'connections_read' },
      { tablename: 'wk_numbers', policyname: 'wk_numbers_admin_all' },
      { tablename: 'wk_tasks', policyname: 'wk_tasks_admin_all' },
    ]);
  });
});

// Fixes inside an E'…' string (backslash escapes) and inside one string of a `'…' || '…'` chain
// (engine/string-edits.ts): the policy-current-setting-unsafe fix, applied, re-linted and run on PGlite.
const NOTES = "CREATE TABLE public.notes (id int PRIMARY KEY, owner uuid, kind text);\nALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;\n";
const qualOf = async (q: (sql: string) => Promise<Array<Record<string, unknown>>>) => (await q(`SELECT qual FROM pg_policies WHERE policyname = 'notes_read'`))[0]?.qual as string;

test("ok: in an E'…' string, the fix's quotes are written as the string writes them (`\\'` or `''`) and what it keeps stays as written (`\\\\`, `\\t`); its title quotes the SQL as it reads; PGlite: the policy reads current_setting('app.uid') before, nullif(current_setting('app.uid', true), '') after, its 'a\\b' kept", async () => {
  for (const [exec, written] of [
    [String.raw`EXECUTE E'CREATE POLICY notes_read ON public.notes FOR SELECT TO authenticated USING (kind <> \'a\\b\' AND owner = current_setting(\'app.uid\')::uuid)';`, String.raw`nullif(current_setting(\'app.uid\', true), \'\')`],
    [String.raw`EXECUTE E'CREATE POLICY notes_read ON public.notes\tFOR SELECT TO authenticated USING (kind <> ''a\\b'' AND owner = current_setting(''app.uid'')::uuid)';`, "nullif(current_setting(''app.uid'', true), '''')"],
  ]) {
    const text = `${NOTES}DO $$ BEGIN ${exec} END $$;\n`;
    const { ws, mine } = lintFiles([{ file: '1.sql', text }], 'policy-current-setting-unsafe');
    assert.equal(mine.length, 1, exec);
    assert.equal(mine[0]!.fixes.length, 1, 'the fix is offered');
    assert.equal(mine[0]!.fixes[0]!.title, "Replace current_setting('app.uid') with nullif(current_setting('app.uid', true), '')");
    const fixed = applyFix(ws, mine[0]!);
    assert.ok(sqlOf(fixed).includes(`${written}::uuid)';`), sqlOf(fixed));
    assert.deepEqual(findingsOf(fixed, 'policy-current-setting-unsafe'), []);
    assert.deepEqual(findingsOf(fixed, 'syntax-error'), []);
    await inRollback(await getDb(), async (q) => {
      await q(text);
      assert.match(await qualOf(q), /\(kind <> 'a\\b'::text\) AND \(owner = \(current_setting\('app\.uid'::text\)\)::uuid\)/);
    });
    await inRollback(await getDb(), async (q) => {
      await q(sqlOf(fixed));
      assert.match(await qualOf(q), /\(kind <> 'a\\b'::text\) AND \(owner = \(NULLIF\(current_setting\('app\.uid'::text, true\), ''::text\)\)::uuid\)/);
    });
  }
});

test("ok: editInLiteral writes a backslash a fix adds to an E'…' string as `\\\\` (a '…' string keeps it: it has no escapes); PGlite: the DO block makes the policy with the one backslash", async () => {
  const exec = "EXECUTE E'CREATE POLICY notes_read ON public.notes FOR SELECT USING (true)';";
  const text = `${NOTES}DO $$ BEGIN ${exec} END $$;\n`;
  const start = text.indexOf("E'") + 2;
  const lit = { start, end: text.indexOf("';", start), quote: "'", format: false, escapes: true as const };
  const at = text.indexOf('true', start);
  const e = editInLiteral({ start: at, end: at + 4, newText: "kind <> 'a\\b'" }, text, lit);
  assert.equal(e?.newText, "kind <> ''a\\\\b''");
  assert.equal(editInLiteral({ start: at, end: at + 4, newText: "kind <> 'a\\b'" }, text, { ...lit, escapes: undefined })?.newText, "kind <> ''a\\b''");
  const fixed = text.slice(0, at) + e!.newText + text.slice(at + 4);
  await inRollback(await getDb(), async (q) => {
    await q(fixed);
    assert.equal(await qualOf(q), "(kind <> 'a\\b'::text)");
  });
});

test("ok: in a `'…' || '…'` chain, a fix whose edit falls inside one string is written there (a constant chain; a loop's chain with quote_ident(t) between its strings); PGlite: the policy reads nullif(…) after. An edit across two strings gets no fix, nor a call in a piece that is not a string constant (nor a finding: its text is not in the file)", async () => {
  for (const exec of [
    "EXECUTE 'CREATE POLICY notes_read ON public.notes FOR SELECT TO authenticated ' || 'USING (owner = current_setting(''app.uid'')::uuid)';",
    "FOREACH t IN ARRAY ARRAY['notes'] LOOP EXECUTE 'CREATE POLICY ' || quote_ident(t || '_read') || ' ON public.' || quote_ident(t) || E' FOR SELECT TO authenticated USING (owner = current_setting(\\'app.uid\\')::uuid)'; END LOOP;",
  ]) {
    const text = `${NOTES}DO $$ DECLARE t text; BEGIN ${exec} END $$;\n`;
    const { ws, mine } = lintFiles([{ file: '1.sql', text }], 'policy-current-setting-unsafe');
    assert.equal(mine.length, 1, exec);
    assert.ok(textAt(ws, mine[0]!).startsWith('current_setting('), 'the finding is where the chain\'s string has the call');
    assert.equal(mine[0]!.fixes[0]?.title, "Replace current_setting('app.uid') with nullif(current_setting('app.uid', true), '')", exec);
    const fixed = applyFix(ws, mine[0]!);
    assert.match(sqlOf(fixed), /USING \(owner = nullif\(current_setting\((''|\\')app\.uid(''|\\'), true\), (''''|\\'\\')\)::uuid\)'/);
    assert.deepEqual(findingsOf(fixed, 'policy-current-setting-unsafe'), []);
    await inRollback(await getDb(), async (q) => {
      await q(text);
      assert.match(await qualOf(q), /current_setting\('app\.uid'::text\)\)::uuid/);
    });
    await inRollback(await getDb(), async (q) => {
      await q(sqlOf(fixed));
      assert.match(await qualOf(q), /NULLIF\(current_setting\('app\.uid'::text, true\), ''::text\)\)::uuid/);
    });
  }
  for (const exec of [
    // (the call cut between two strings)
    "EXECUTE 'CREATE POLICY notes_read ON public.notes FOR SELECT TO authenticated USING (owner = current_setting(''app' || '.uid'')::uuid)';",
    // (the call in a piece that is not a string constant: its text is not in the file)
    "EXECUTE 'CREATE POLICY notes_read ON public.notes FOR SELECT TO authenticated USING (owner = ' || format('current_setting(%L)', 'app.uid') || '::uuid)';",
  ]) {
    const text = `${NOTES}DO $$ BEGIN ${exec} END $$;\n`;
    const { mine } = lintFiles([{ file: '1.sql', text }], 'policy-current-setting-unsafe');
    // (the cut call is found, at its first string; the format()'s has no text in the file to be found at)
    assert.equal(mine.length, exec.includes("'app' ||") ? 1 : 0, exec);
    assert.deepEqual(mine.flatMap((f) => f.fixes), [], exec);
    await inRollback(await getDb(), async (q) => {
      await q(text);
      assert.match(await qualOf(q), /current_setting\('app\.uid'::text\)\)::uuid/, exec);
    });
  }
});

// Fixes at a dynamic policy's end (parse.ts Statement.inString: where its text ends in its string;
// the engine moves an edit at the statement's end — its EXECUTE's expression's — there), written
// for the string's quoting: policy-insert-without-check's Add WITH CHECK, applied, re-linted and run
// on PGlite.
const INSERTS = "CREATE TABLE public.notes (id int PRIMARY KEY, owner uuid, kind text);\nALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;\nGRANT SELECT, INSERT ON public.notes TO authenticated;\n";
const SIBLING = "CREATE POLICY notes_sel ON public.notes FOR SELECT TO authenticated USING (kind LIKE 'pub%');\n";
/** As authenticated: whether an insert of each kind passes (true) or fails with 42501 (false); the insert policy's WITH CHECK as pg_policies has it. */
async function inserts(sql: string, policy: string): Promise<{ check: unknown; public: boolean; private: boolean }> {
  return inRollback(await getDb(), async (q) => {
    await q(sql);
    const [row] = await q(`SELECT with_check FROM pg_policies WHERE policyname = '${policy.replace(/'/g, "''")}'`);
    const ok = async (kind: string, id: number) => {
      const r = await tryQuery(q, `SET ROLE authenticated; INSERT INTO public.notes (id, kind) VALUES (${id}, '${kind}'); RESET ROLE`);
      if (!r.ok) assert.equal(r.error.code, '42501', r.error.message);
      await q('RESET ROLE');
      return r.ok;
    };
    return { check: row?.with_check, public: await ok('public', 1), private: await ok('private', 2) };
  });
}

test("ok: policy-insert-without-check's Add WITH CHECK on a policy a DO block makes is written where its text ends in the string (before the closing quote, or a `;` and a comment in it), escaped for the string: '…' (quotes doubled), E'…' (as it writes them: `\\'` or `''`), $q$…$q$ (as is), a chain's last string, a loop's format() pattern (`%` doubled too); the sibling's condition copied as PostgreSQL runs it, from a static policy or one in a '…' or E'…' string; re-lints clean; PGlite: every insert fails (42501) before, the kind the sibling reads passes after", async () => {
  const cases: Array<[string, string, string, string]> = [
    // [the DO block's body, the policy's name, the sibling (static when ''), what the string ends with after the fix]
    [`EXECUTE 'CREATE POLICY notes_ins ON public.notes FOR INSERT TO authenticated';`, 'notes_ins', SIBLING, "TO authenticated\n  WITH CHECK (kind LIKE ''pub%'')';"],
    [`EXECUTE 'CREATE POLICY notes_ins ON public.notes FOR INSERT TO authenticated ; -- the insert policy\n';`, 'notes_ins', SIBLING, "TO authenticated\n  WITH CHECK (kind LIKE ''pub%'') ; -- the insert policy\n';"],
    [`EXECUTE 'CREATE POLICY notes_sel ON public.notes FOR SELECT TO authenticated USING (kind LIKE ''pub%'')'; EXECUTE 'CREATE POLICY notes_ins ON public.notes FOR INSERT TO authenticated';`, 'notes_ins', '', "TO authenticated\n  WITH CHECK (kind LIKE ''pub%'')';"],
    [String.raw`EXECUTE E'CREATE POLICY notes_sel ON public.notes FOR SELECT TO authenticated USING (kind LIKE \'pub%\')'; EXECUTE E'CREATE POLICY "note\'s insert" ON public.notes\tFOR INSERT TO authenticated';`, "note's insert", '', "TO authenticated\n  WITH CHECK (kind LIKE \\'pub%\\')';"],
    [String.raw`EXECUTE E'CREATE POLICY notes_ins ON public.notes\tFOR INSERT TO authenticated';`, 'notes_ins', SIBLING, "TO authenticated\n  WITH CHECK (kind LIKE ''pub%'')';"],
    [`EXECUTE $q$CREATE POLICY notes_ins ON public.notes FOR INSERT TO authenticated$q$;`, 'notes_ins', SIBLING, "TO authenticated\n  WITH CHECK (kind LIKE 'pub%')$q$;"],
    [`EXECUTE 'CREATE POLICY notes_ins ON public.notes ' || 'FOR INSERT TO authenticated';`, 'notes_ins', SIBLING, "|| 'FOR INSERT TO authenticated\n  WITH CHECK (kind LIKE ''pub%'')';"],
    [`FOREACH t IN ARRAY ARRAY['notes'] LOOP EXECUTE format('CREATE POLICY %I ON public.%I FOR INSERT TO authenticated', t || '_ins', t); END LOOP;`, 'notes_ins', SIBLING, "TO authenticated\n  WITH CHECK (kind LIKE ''pub%%'')', t || '_ins', t);"],
  ];
  for (const [body, name, sibling, after] of cases) {
    const text = `${INSERTS}${sibling}DO $$ DECLARE t text; BEGIN ${body} END $$;\n`;
    const { ws, mine } = lintFiles([{ file: '1.sql', text }], 'policy-insert-without-check');
    assert.equal(mine.length, 1, body);
    assert.equal(mine[0]!.fixes.length, 1, `the fix is offered: ${body}`);
    assert.equal(mine[0]!.fixes[0]!.title, `Add WITH CHECK (kind LIKE 'pub%') to "${name}" (the condition of "notes_sel")`, body);
    const fixed = applyFix(ws, mine[0]!);
    assert.ok(sqlOf(fixed).includes(after), sqlOf(fixed));
    assert.deepEqual(findingsOf(fixed, 'policy-insert-without-check'), [], body);
    assert.deepEqual(findingsOf(fixed, 'syntax-error'), [], body);
    assert.deepEqual(await inserts(text, name), { check: null, public: false, private: false }, body);
    assert.deepEqual(await inserts(sqlOf(fixed), name), { check: "(kind ~~ 'pub%'::text)", public: true, private: false }, body);
  }
  // (without a sibling: the placeholder WITH CHECK (false), in an E'…' string; PGlite: it admits no row, as before)
  const text = `${INSERTS}DO $$ BEGIN EXECUTE E'CREATE POLICY notes_ins ON public.notes\\tFOR INSERT TO authenticated'; END $$;\n`;
  const { ws, mine } = lintFiles([{ file: '1.sql', text }], 'policy-insert-without-check');
  assert.match(mine[0]!.fixes[0]!.title, /^Add WITH CHECK \(false\) to "notes_ins"/);
  const fixed = applyFix(ws, mine[0]!);
  assert.ok(sqlOf(fixed).includes("TO authenticated\n  WITH CHECK (false)'; END $$;"), sqlOf(fixed));
  assert.deepEqual(findingsOf(fixed, 'policy-insert-without-check'), []);
  assert.deepEqual(await inserts(sqlOf(fixed), 'notes_ins'), { check: 'false', public: false, private: false });
  // (in the editor: an edit before the DO block re-parses the file, moving its statements where
  // they are — inString too (parse.ts moveInPlace): the fix lands at the moved end; accents, CJK and
  // an emoji before it shift UTF-16 offsets)
  const editing = new Workspace(undefined, undefined, { editing: true });
  editing.setFile('1.sql', text);
  assert.equal(editing.lint().byFile.get('1.sql')!.filter((f) => f.rule === 'policy-insert-without-check').length, 1);
  const edited = `-- prüfe 日本 😀\n${text}`;
  editing.setFile('1.sql', edited);
  const moved = editing.lint().byFile.get('1.sql')!.find((f) => f.rule === 'policy-insert-without-check')!;
  const [edit] = moved.fixes[0]!.edits;
  assert.equal(edit!.start, edited.indexOf("TO authenticated';") + 'TO authenticated'.length);
  assert.deepEqual(edit!.range.start, { line: 4, character: edited.split('\n')[4]!.indexOf("TO authenticated';") + 'TO authenticated'.length });
  // (two statements in one string, each ending elsewhere: the policy's end is not told apart from
  // the DROP's, where the finding is (the string's start): no fix rather than one at the wrong end)
  const two = lintFiles([{ file: '1.sql', text: `${INSERTS}${SIBLING}DO $$ BEGIN EXECUTE 'DROP POLICY IF EXISTS notes_ins ON public.notes; CREATE POLICY notes_ins ON public.notes FOR INSERT TO authenticated'; END $$;\n` }], 'policy-insert-without-check');
  assert.equal(two.mine.length, 1);
  assert.deepEqual(two.mine[0]!.fixes, []);
});

test("ok: a static policy's Add WITH CHECK copies a sibling's condition a DO block's '…' string writes as PostgreSQL runs it (`kind LIKE 'pub%'`, not the string's `kind LIKE ''pub%''`, a syntax error there); PGlite: the kind the sibling reads passes after", async () => {
  const text = `${INSERTS}DO $$ BEGIN EXECUTE 'CREATE POLICY notes_sel ON public.notes FOR SELECT TO authenticated USING (kind LIKE ''pub%'')'; END $$;\nCREATE POLICY notes_ins ON public.notes FOR INSERT TO authenticated;\n`;
  const { ws, mine } = lintFiles([{ file: '1.sql', text }], 'policy-insert-without-check');
  assert.equal(mine[0]!.fixes[0]!.title, `Add WITH CHECK (kind LIKE 'pub%') to "notes_ins" (the condition of "notes_sel")`);
  const fixed = applyFix(ws, mine[0]!);
  assert.ok(sqlOf(fixed).includes("FOR INSERT TO authenticated\n  WITH CHECK (kind LIKE 'pub%');"), sqlOf(fixed));
  assert.deepEqual(findingsOf(fixed, 'policy-insert-without-check'), []);
  assert.deepEqual(findingsOf(fixed, 'syntax-error'), []);
  assert.deepEqual(await inserts(sqlOf(fixed), 'notes_ins'), { check: "(kind ~~ 'pub%'::text)", public: true, private: false });
});

test("ok: a finding's message quotes a dynamic policy's text as PostgreSQL runs it, whatever the string's quoting: '…', E'…' (`\\'`), a `'…' || '…'` chain (constant, or with quote_ident(t) of a loop between), a loop's format() pattern (its `''`, `%%` read): the same message as the static policy's (current_setting('app.uid'), never current_setting(''app.uid'')), what the rule writes itself (`, '')`) kept; PGlite: the policy's qual reads current_setting('app.uid'::text)", async () => {
  const stat = lintFiles([{ file: '1.sql', text: `${NOTES}CREATE POLICY notes_read ON public.notes FOR SELECT TO authenticated USING (owner = current_setting('app.uid')::uuid);\n` }], 'policy-current-setting-unsafe').mine;
  assert.equal(stat.length, 1);
  assert.ok(stat[0]!.message.includes("reads current_setting('app.uid') in its USING") && stat[0]!.message.includes("Write nullif(current_setting('app.uid', true), '')::uuid"), stat[0]!.message);
  for (const exec of [
    "EXECUTE 'CREATE POLICY notes_read ON public.notes FOR SELECT TO authenticated USING (owner = current_setting(''app.uid'')::uuid)';",
    String.raw`EXECUTE E'CREATE POLICY notes_read ON public.notes FOR SELECT TO authenticated USING (owner = current_setting(\'app.uid\')::uuid)';`,
    "EXECUTE 'CREATE POLICY notes_read ON public.notes FOR SELECT TO authenticated ' || 'USING (owner = current_setting(''app.uid'')::uuid)';",
    "FOREACH t IN ARRAY ARRAY['notes'] LOOP EXECUTE 'CREATE POLICY ' || quote_ident(t || '_read') || ' ON public.' || quote_ident(t) || ' FOR SELECT TO authenticated USING (owner = current_setting(''app.uid'')::uuid)'; END LOOP;",
    "FOREACH t IN ARRAY ARRAY['notes'] LOOP EXECUTE format('CREATE POLICY %I ON public.%I FOR SELECT TO authenticated USING (owner = current_setting(''app.uid'')::uuid)', t || '_read', t); END LOOP;",
  ]) {
    const text = `${NOTES}DO $$ DECLARE t text; BEGIN ${exec} END $$;\n`;
    const { mine } = lintFiles([{ file: '1.sql', text }], 'policy-current-setting-unsafe');
    assert.equal(mine.length, 1, exec);
    assert.equal(mine[0]!.message, stat[0]!.message, exec);
    await inRollback(await getDb(), async (q) => {
      await q(text);
      assert.match(await qualOf(q), /current_setting\('app\.uid'::text\)\)::uuid/, exec);
    });
  }
});
