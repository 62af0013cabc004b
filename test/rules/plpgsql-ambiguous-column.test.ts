// plpgsql-ambiguous-column on PostgreSQL (PGlite): a PL/pgSQL query naming, unqualified, a
// variable of its function that is also a column in reach fails with 42702 each time it runs;
// a policy calling such a helper fails every query that evaluates it. The forms reported are
// exactly those PostgreSQL refuses; the fix (the parameter qualified with the function's name)
// re-lints clean and the helper then answers.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, count, expectPgError, getDb, inRollback, tryQuery } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintFiles, sqlOf, TENANT_A, TENANT_B, textAt } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';

const ID = 'plpgsql-ambiguous-column';
before(initParser);
after(closeAll);

const ORG = '00000000-0000-0000-0000-0000000000aa';

test('err: is_org_member(org_id, user_id) with `m.org_id = org_id`: 42702 on every call; the fix qualifies the parameters, re-lints clean, and the helper answers', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'org_id');
  assert.match(finding.message, /^In PL\/pgSQL function public\.is_org_member\(uuid, uuid\), org_id is a parameter of the function and a column of public\.org_members, which this query reads: PL\/pgSQL raises 42702 column reference "org_id" is ambiguous .*\(Also ambiguous in this function: user_id\.\)/);
  const fixed = applyFix(ws, finding);
  assert.deepEqual(findingsOf(fixed, ID), []);
  assert.match(sqlOf(fixed), /m\.org_id = is_org_member\.org_id AND m\.user_id = is_org_member\.user_id/);
  await inRollback(await getDb(), async (q) => {
    await q(sqlOf(ws));
    await q(`INSERT INTO public.org_members VALUES ('${ORG}', '${TENANT_A}', 'member')`);
    await expectPgError(q(`SELECT public.is_org_member('${ORG}', '${TENANT_A}')`), '42702', 'column reference "org_id" is ambiguous');
  });
  await inRollback(await getDb(), async (q) => {
    await q(sqlOf(fixed));
    await q(`INSERT INTO public.org_members VALUES ('${ORG}', '${TENANT_A}', 'member')`);
    assert.deepEqual(await q(`SELECT public.is_org_member('${ORG}', '${TENANT_A}') AS a, public.is_org_member('${ORG}', '${TENANT_B}') AS b`), [{ a: true, b: false }]);
  });
});

test("err: a policy calling the helper (boothbrain's is_organization_member): the message says so, and every read of the table as authenticated fails with 42702", async () => {
  const sql = `CREATE TABLE public.org_members (org_id uuid NOT NULL, user_id uuid NOT NULL, PRIMARY KEY (org_id, user_id));
CREATE TABLE public.items (id bigint PRIMARY KEY, org_id uuid NOT NULL);
CREATE FUNCTION public.is_organization_member(org_id uuid, user_id uuid) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  RETURN EXISTS (SELECT 1 FROM public.org_members om WHERE om.org_id = is_organization_member.org_id AND om.user_id = user_id);
END;
$$;
ALTER TABLE public.items ENABLE ROW LEVEL SECURITY;
CREATE POLICY items_read ON public.items FOR SELECT TO authenticated USING (public.is_organization_member(org_id, (select auth.uid())));
GRANT SELECT ON public.items TO authenticated;
`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20250127000000_tables.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'user_id');
  assert.match(mine[0]!.message, /so every call that reaches it fails instead of answering, and so does every query evaluating a policy whose call of it does\./);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql);
    await q(`INSERT INTO public.org_members VALUES ('${ORG}', '${TENANT_A}'); INSERT INTO public.items VALUES (1, '${ORG}')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    await expectPgError(q('SELECT * FROM public.items'), '42702', 'column reference "user_id" is ambiguous');
  });
});

test('err/ok: the forms reported are exactly those PostgreSQL refuses with 42702 (WHERE, an IF condition, SET and RETURNING, ON CONFLICT with a RETURNS TABLE column, a sub-select in reach, a DECLAREd variable), not a qualified name, an INSERT column list or VALUES, #variable_conflict, or LANGUAGE sql', async () => {
  const table = 'CREATE TABLE public.om (org_id int, user_id int, role text, PRIMARY KEY (org_id, user_id));\n';
  const fns: Array<[string, string, boolean]> = [
    ['f_select', 'CREATE FUNCTION f_select(org_id int, uid int) RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN RETURN EXISTS (SELECT 1 FROM om WHERE om.org_id = org_id AND om.user_id = uid); END $$;', true],
    ['f_if', 'CREATE FUNCTION f_if(user_id int) RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN IF EXISTS (SELECT 1 FROM om WHERE om.user_id = user_id) THEN RETURN true; END IF; RETURN false; END $$;', true],
    ['f_set', "CREATE FUNCTION f_set(role text) RETURNS void LANGUAGE plpgsql AS $$ BEGIN UPDATE om SET role = role WHERE om.user_id = 1; END $$;", true],
    ['f_ret', 'CREATE FUNCTION f_ret(role text) RETURNS text LANGUAGE plpgsql AS $$ DECLARE r text; BEGIN INSERT INTO om (org_id, user_id) VALUES (4, 4) RETURNING role INTO r; RETURN r; END $$;', true],
    ['f_conf', 'CREATE FUNCTION f_conf(x int) RETURNS TABLE (user_id int) LANGUAGE plpgsql AS $$ BEGIN INSERT INTO om (org_id, user_id) VALUES (3, x) ON CONFLICT (org_id, user_id) DO NOTHING; RETURN; END $$;', true],
    ['f_sub', 'CREATE FUNCTION f_sub(user_id int) RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN RETURN EXISTS (SELECT 1 FROM om WHERE om.user_id = (SELECT 1 WHERE user_id > 0)); END $$;', true],
    ['f_decl', "CREATE FUNCTION f_decl() RETURNS boolean LANGUAGE plpgsql AS $$ DECLARE role text := 'admin'; BEGIN RETURN EXISTS (SELECT 1 FROM om WHERE om.role = role); END $$;", true],
    ['f_qual', "CREATE FUNCTION f_qual(user_id int) RETURNS void LANGUAGE plpgsql AS $$ BEGIN UPDATE om SET role = 'x' WHERE om.user_id = f_qual.user_id; END $$;", false],
    ['f_ins', 'CREATE FUNCTION f_ins(user_id int) RETURNS void LANGUAGE plpgsql AS $$ BEGIN INSERT INTO om (org_id, user_id) VALUES (2, user_id); END $$;', false],
    ['f_uv', 'CREATE FUNCTION f_uv(user_id int) RETURNS boolean LANGUAGE plpgsql AS $$\n#variable_conflict use_variable\nBEGIN RETURN EXISTS (SELECT 1 FROM om WHERE om.user_id = user_id); END $$;', false],
    ['f_sql', 'CREATE FUNCTION f_sql(user_id int) RETURNS boolean LANGUAGE sql AS $$ SELECT EXISTS (SELECT 1 FROM om WHERE om.user_id = user_id) $$;', false],
  ];
  const sql = table + fns.map((f) => f[1]).join('\n') + '\n';
  const { findings } = lintFiles([{ file: 'db/1_fns.sql', text: sql }], ID);
  const reported = new Set(findings.filter((f) => f.rule === ID).map((f) => /function public\.(\w+)\(/.exec(f.message)![1]));
  assert.deepEqual([...reported].sort(), fns.filter((f) => f[2]).map((f) => f[0]).sort());
  const calls: Record<string, string> = { f_select: 'f_select(1, 1)', f_if: 'f_if(1)', f_set: "f_set('y')", f_ret: "f_ret('z')", f_conf: '* FROM f_conf(5)', f_sub: 'f_sub(1)', f_decl: 'f_decl()', f_qual: 'f_qual(1)', f_ins: 'f_ins(5)', f_uv: 'f_uv(1)', f_sql: 'f_sql(1)' };
  await inRollback(await getDb(), async (q) => {
    await q(sql);
    await q("INSERT INTO om VALUES (1, 1, 'admin')");
    for (const [name, , fails] of fns) {
      const r = await tryQuery(q, `SELECT ${calls[name]}`);
      assert.equal(r.ok ? 'ok' : r.error.code, fails ? '42702' : 'ok', name);
    }
  });
});

test('ok: plpgsql.variable_conflict set for the function, or by the migrations (ALTER DATABASE … SET): not reported, and PostgreSQL answers', async () => {
  const base = 'CREATE TABLE public.om (org_id int, user_id int);\n';
  const fn = 'CREATE FUNCTION f(user_id int) RETURNS boolean LANGUAGE plpgsql SET plpgsql.variable_conflict = use_variable AS $$ BEGIN RETURN EXISTS (SELECT 1 FROM om WHERE om.user_id = user_id); END $$;\n';
  assert.deepEqual(lintFiles([{ file: 'db/1.sql', text: base + fn }], ID).mine, []);
  const bare = fn.replace(' SET plpgsql.variable_conflict = use_variable', '');
  assert.equal(lintFiles([{ file: 'db/1.sql', text: base + bare }], ID).mine.length, 1);
  assert.deepEqual(lintFiles([{ file: 'db/0.sql', text: 'ALTER DATABASE postgres SET plpgsql.variable_conflict = use_variable;\n' }, { file: 'db/1.sql', text: base + bare }], ID).mine, []);
  await inRollback(await getDb(), async (q) => {
    await q(base + fn);
    await q('INSERT INTO om VALUES (1, 1)');
    assert.deepEqual(await q('SELECT f(1) AS x'), [{ x: true }]);
    assert.equal(await count(q, 'om'), 1);
  });
});

test("err/ok: a JOIN's ON condition reaches that join's tables only (a column of another FROM item is no conflict), ON CONFLICT … DO UPDATE SET values reach the table (42702), and a RETURNS TABLE column over a table's column is worded for it (qualify the column: the variable is NULL until assigned)", async () => {
  const sql = `CREATE TABLE public.a (id uuid PRIMARY KEY, name text);
CREATE TABLE public.b (id uuid PRIMARY KEY, a_id uuid, x int);
CREATE TABLE public.d (id uuid, only_d int);
CREATE FUNCTION public.e16(only_d int) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
  RETURN (SELECT count(*) FROM public.b JOIN public.a ON a.id = b.a_id AND b.x = only_d, public.d);
END $$;
CREATE FUNCTION public.upsert_name(p_id uuid, name text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.a (id, name) VALUES (p_id, upsert_name.name) ON CONFLICT (id) DO UPDATE SET name = name;
END $$;
CREATE FUNCTION public.deal_history(p_deal uuid) RETURNS TABLE (id uuid, name text) LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY SELECT a.id, a.name FROM public.a WHERE id = p_deal;
END $$;
`;
  const { mine } = lintFiles([{ file: 'db/1_fns.sql', text: sql }], ID);
  const by = new Map(mine.map((f) => [/function public\.(\w+)\(/.exec(f.message)![1], f.message]));
  assert.deepEqual([...by.keys()].sort(), ['deal_history', 'upsert_name']);
  assert.match(by.get('deal_history')!, /id is an output column \(OUT or RETURNS TABLE\) of the function .* Qualify the table's column \(a\.id, or its alias\): id the variable is the function's result column, NULL until the function assigns it/);
  await inRollback(await getDb(), async (q) => {
    await q(sql);
    await q(`INSERT INTO public.a VALUES ('${TENANT_A}', 'x')`);
    assert.deepEqual(await q('SELECT public.e16(1)::int AS n'), [{ n: 0 }]);
    const r = await tryQuery(q, `SELECT public.upsert_name('${TENANT_A}', 'y')`);
    assert.equal(r.ok ? 'ok' : r.error.code, '42702');
    const h = await tryQuery(q, `SELECT * FROM public.deal_history('${TENANT_A}')`);
    assert.equal(h.ok ? 'ok' : h.error.code, '42702');
  });
});

test("err: a variable named like a column of a catalog relation in reach (setique's RETURNS TABLE (table_name …) over information_schema.columns; relname over pg_class, unqualified): 42702; a public table named like a catalog view is the model's", async () => {
  const sql = `CREATE FUNCTION public.validate_alignment() RETURNS TABLE (table_name text, ok boolean) LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY SELECT c.table_name::text, true FROM information_schema.columns c WHERE table_name = 'deals' LIMIT 1;
END $$;
CREATE FUNCTION public.rel_kind(relname name) RETURNS "char" LANGUAGE plpgsql AS $$
BEGIN
  RETURN (SELECT c.relkind FROM pg_class c WHERE c.relname = relname LIMIT 1);
END $$;
CREATE TABLE public.columns (id int);
CREATE FUNCTION public.count_columns(table_name text) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
  RETURN (SELECT count(*) FROM columns WHERE id > 0 AND table_name IS NOT NULL);
END $$;
`;
  const { mine } = lintFiles([{ file: 'db/1_fns.sql', text: sql }], ID);
  const by = new Map(mine.map((f) => [/function public\.(\w+)\(/.exec(f.message)![1], f.message]));
  assert.deepEqual([...by.keys()].sort(), ['rel_kind', 'validate_alignment']);
  assert.match(by.get('validate_alignment')!, /table_name is an output column \(OUT or RETURNS TABLE\) of the function and a column of information_schema\.columns/);
  assert.match(by.get('rel_kind')!, /relname is a parameter of the function and a column of pg_catalog\.pg_class/);
  await inRollback(await getDb(), async (q) => {
    await q(sql);
    for (const call of ['SELECT * FROM public.validate_alignment()', "SELECT public.rel_kind('pg_class')"]) {
      const r = await tryQuery(q, call);
      assert.equal(r.ok ? 'ok' : r.error.code, '42702', call);
    }
    assert.deepEqual(await q("SELECT public.count_columns('x')::int AS n"), [{ n: 0 }]);
  });
});

test('the message\'s warning holds: `#variable_conflict use_column` makes `m.user_id = user_id` compare the column with itself, true for every row (PGlite: a non-member is told yes)', async () => {
  await inRollback(await getDb(), async (q) => {
    await q(`CREATE TABLE public.org_members (org_id uuid NOT NULL, user_id uuid NOT NULL);
CREATE FUNCTION public.is_member(user_id uuid) RETURNS boolean LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
BEGIN
  RETURN EXISTS (SELECT 1 FROM public.org_members m WHERE m.user_id = user_id);
END $$;
INSERT INTO public.org_members VALUES ('${ORG}', '${TENANT_A}')`);
    assert.deepEqual(await q(`SELECT public.is_member('${TENANT_B}') AS b`), [{ b: true }]);
  });
});

// Calibration cal28 (gantt-flow's can_invite_collaborators): the query sits in a block whose
// EXCEPTION WHEN OTHERS catches the 42702, so the call answers, with the handler's false.
test("err (wording): an EXCEPTION clause that catches the 42702 (WHEN OTHERS THEN RETURN false): the message says the call returns the handler's result; PGlite: false for an admin, no error", async () => {
  const sql = `-- « naïve » 日本語 😀
CREATE TABLE public.profiles (user_id uuid PRIMARY KEY, role text);
CREATE FUNCTION public.can_invite(user_id uuid) RETURNS boolean LANGUAGE plpgsql STABLE AS $$
DECLARE
  user_role text;
BEGIN
  SELECT role INTO user_role FROM public.profiles WHERE user_id = $1;
  RETURN user_role IN ('tenant_admin', 'manager');
EXCEPTION
  WHEN OTHERS THEN
    RETURN false;
END;
$$;
`;
  const { ws, mine } = lintFiles([{ file: 'migrations/1_invite.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'user_id');
  assert.match(mine[0]!.message, /its EXCEPTION clause catches that error: every call that reaches the query runs the handler instead and returns what the handler returns, never an answer from public\.profiles\./);
  assert.doesNotMatch(mine[0]!.message, /fails instead of answering/);
  await inRollback(await getDb(), async (q) => {
    await q(sqlOf(ws));
    await q(`INSERT INTO public.profiles VALUES ('${TENANT_A}', 'tenant_admin')`);
    assert.deepEqual(await q(`SELECT public.can_invite('${TENANT_A}') AS ok`), [{ ok: false }], 'the handler answers: false, even for an admin');
    const fn = sql.slice(sql.indexOf('CREATE FUNCTION'));
    await q(fn.replace(/EXCEPTION\n  WHEN OTHERS THEN\n    RETURN false;\n/, '').replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION'));
    await expectPgError(q(`SELECT public.can_invite('${TENANT_A}')`), '42702', 'column reference "user_id" is ambiguous');
  });
});

// Calibration cal98 (an automation runner): the query sits in a block whose EXCEPTION WHEN OTHERS
// catches the 42702, but the handler logs the failure with a query ambiguous the same way
// (`duration_ms = duration_ms`), which nothing catches: the call fails with 42702, it does not
// return the handler's result. A handler whose queries are fine still answers.
test("err (wording): the handler of the EXCEPTION clause that catches the 42702 runs an ambiguous query too: the message says every call fails; PGlite: 42702, not the handler's result", async () => {
  const fn = (handlerSet: string) => `CREATE OR REPLACE FUNCTION public.run_task(p_id int) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  duration_ms integer;
BEGIN
  BEGIN
    duration_ms := 5;
    UPDATE public.task_logs SET status = 'completed', duration_ms = duration_ms WHERE id = p_id;
    RETURN jsonb_build_object('success', true);
  EXCEPTION WHEN OTHERS THEN
    duration_ms := 7;
    UPDATE public.task_logs SET status = 'failed'${handlerSet} WHERE id = p_id;
    RETURN jsonb_build_object('success', false);
  END;
END;
$$;
`;
  const table = `-- « naïve » 日本語 😀
CREATE TABLE public.task_logs (id int PRIMARY KEY, duration_ms int, status text);
`;
  const failing = table + fn(', duration_ms = duration_ms');
  const answering = table + fn('');
  const { ws, mine } = lintFiles([{ file: 'migrations/1_tasks.sql', text: failing }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'duration_ms');
  assert.match(mine[0]!.message, /its EXCEPTION clause catches that error, but the handler then runs a query naming duration_ms that is ambiguous the same way and that nothing catches: a call whose handler reaches that query fails with 42702 all the same\./);
  assert.doesNotMatch(mine[0]!.message, /returns what the handler returns/);
  const other = lintFiles([{ file: 'migrations/1_tasks.sql', text: answering }], ID).mine;
  assert.equal(other.length, 1);
  assert.match(other[0]!.message, /every call that reaches the query runs the handler instead and returns what the handler returns, never an answer from public\.task_logs\./);
  await inRollback(await getDb(), async (q) => {
    await q(answering);
    await q(`INSERT INTO public.task_logs VALUES (1, NULL, 'running')`);
    assert.deepEqual(await q(`SELECT public.run_task(1) AS r`), [{ r: { success: false } }], 'a handler whose own query is fine answers');
    await q(fn(', duration_ms = duration_ms'));
    await expectPgError(q(`SELECT public.run_task(1)`), '42702', 'column reference "duration_ms" is ambiguous');
  });
});

test("ok (wording): the handler's ambiguous query sits in another WHEN branch than the one catching the 42702 (WHEN unique_violation before WHEN OTHERS): the call returns the OTHERS branch's result; PGlite", async () => {
  const sql = `-- « naïve » 日本語 😀
CREATE TABLE public.task_logs (id int PRIMARY KEY, duration_ms int, status text);
CREATE OR REPLACE FUNCTION public.run_task(p_id int) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  duration_ms integer;
BEGIN
  BEGIN
    duration_ms := 5;
    UPDATE public.task_logs SET status = 'completed', duration_ms = duration_ms WHERE id = p_id;
    RETURN jsonb_build_object('success', true);
  EXCEPTION
    WHEN unique_violation THEN
      UPDATE public.task_logs SET status = 'dup', duration_ms = duration_ms WHERE id = p_id;
      RETURN jsonb_build_object('success', false, 'dup', true);
    WHEN OTHERS THEN
      RETURN jsonb_build_object('success', false);
  END;
END;
$$;
`;
  const { mine } = lintFiles([{ file: 'migrations/1_tasks.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /every call that reaches the query runs the handler instead and returns what the handler returns/);
  assert.doesNotMatch(mine[0]!.message, /all the same/);
  await inRollback(await getDb(), async (q) => {
    await q(sql);
    await q(`INSERT INTO public.task_logs VALUES (1, NULL, 'running')`);
    assert.deepEqual(await q(`SELECT public.run_task(1) AS r`), [{ r: { success: false } }], 'the OTHERS branch answers');
  });
});

// Calibration cal30 (deptrai/suna): a later RENAME COLUMN user_id of another table (credit_accounts)
// hid the ambiguity of create_account_for_user's ON CONFLICT (user_id, …) on basejump.account_user.
test('err: a column renamed on another table does not hide the ambiguity (suna); renamed on the table read, it does', async () => {
  const sql = `-- « naïve » 日本語 😀
CREATE SCHEMA basejump;
CREATE TABLE basejump.account_user (user_id uuid NOT NULL, account_id uuid NOT NULL, account_role text, PRIMARY KEY (user_id, account_id));
CREATE FUNCTION public.add_owner(user_id uuid, p_account uuid) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO basejump.account_user (user_id, account_id, account_role) VALUES (user_id, p_account, 'owner')
  ON CONFLICT (user_id, account_id) DO NOTHING;
END $$;
CREATE TABLE public.credit_accounts (user_id uuid PRIMARY KEY, balance numeric DEFAULT 0);
ALTER TABLE credit_accounts RENAME COLUMN user_id TO account_id;
`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/20250927050300_account.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /user_id is a parameter of the function and a column of basejump\.account_user/);
  assert.deepEqual(lintFiles([{ file: 'supabase/migrations/20250927050300_account.sql', text: sql.replace('ALTER TABLE credit_accounts RENAME COLUMN user_id TO account_id;', 'ALTER TABLE basejump.account_user RENAME COLUMN user_id TO member_id;') }], ID).mine, []);
  await inRollback(await getDb(), async (q) => {
    await q(sql);
    await expectPgError(q(`SELECT public.add_owner(gen_random_uuid(), gen_random_uuid())`), '42702', 'column reference "user_id" is ambiguous');
  });
});

// Calibration cal32 (yugi-forge-arena's notify_daily_tournament_participants: RETURNS TABLE (user_id …))
test("err: of two ambiguous queries, the finding is on the one that runs first, a FOR loop's query before its body's (PGlite's error context: at FOR over SELECT rows)", async () => {
  const sql = `CREATE TABLE public.tournaments (id bigint PRIMARY KEY, title text);
CREATE TABLE public.tournament_participants (id bigint PRIMARY KEY, tournament_id bigint, user_id uuid);
CREATE TABLE public.notifications (id bigserial PRIMARY KEY, user_id uuid, type text);
CREATE FUNCTION public.notify_participants() RETURNS TABLE (user_id uuid, tournament_id bigint)
LANGUAGE plpgsql AS $$
DECLARE t_record record; p_record record;
BEGIN
  FOR t_record IN SELECT id FROM public.tournaments LOOP
    FOR p_record IN SELECT user_id FROM public.tournament_participants WHERE tournament_id = t_record.id LOOP
      IF NOT EXISTS (SELECT 1 FROM public.notifications WHERE user_id = p_record.user_id) THEN
        user_id := p_record.user_id; tournament_id := t_record.id;
        RETURN NEXT;
      END IF;
    END LOOP;
  END LOOP;
END $$;
`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20260201120000_checkin.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  const text = ws.text('supabase/migrations/20260201120000_checkin.sql')!;
  assert.equal(text.slice(0, mine[0]!.start).split('\n').length, 9, 'the FOR loop query (line 9), not the IF EXISTS query (line 10)');
  await inRollback(await getDb(), async (q) => {
    await q(sql);
    await q(`INSERT INTO public.tournaments VALUES (1, 't'); INSERT INTO public.tournament_participants VALUES (1, 1, '${TENANT_A}')`);
    await q('SAVEPOINT call');
    let where = '';
    try {
      await q('SELECT * FROM public.notify_participants()');
    } catch (e) {
      assert.equal((e as { code?: string }).code, '42702');
      where = String((e as { where?: string }).where);
    }
    await q('ROLLBACK TO SAVEPOINT call');
    assert.match(where, /at FOR over SELECT rows/);
  });
});

test("ok/err: a declaration's default sees only the variables declared before it (docker4gis's `role name := role FROM web.users …`): not reported, and PGlite answers; the same query assigned in the body, or naming an earlier variable, fails with 42702", async () => {
  const table = "CREATE SCHEMA web; CREATE TABLE web.users (email text PRIMARY KEY, role name NOT NULL, pass text);\n";
  const fns: Array<[string, string, boolean]> = [
    ['own_default', 'CREATE FUNCTION web.own_default(email text, pass text) RETURNS name LANGUAGE plpgsql AS $$\nDECLARE\n  role name := role FROM web.users WHERE users.email = own_default.email AND users.pass = own_default.pass;\nBEGIN\n  RETURN role;\nEND $$;', false],
    ['later_var', 'CREATE FUNCTION web.later_var(e text) RETURNS name LANGUAGE plpgsql AS $$\nDECLARE\n  r name := (SELECT role FROM web.users WHERE users.email = e);\n  role name;\nBEGIN\n  RETURN r;\nEND $$;', false],
    ['earlier_var', "CREATE FUNCTION web.earlier_var(e text) RETURNS name LANGUAGE plpgsql AS $$\nDECLARE\n  role name := 'x';\n  r name := (SELECT u.email FROM web.users u WHERE u.role = role);\nBEGIN\n  RETURN r;\nEND $$;", true],
    ['param_default', 'CREATE FUNCTION web.param_default(email text) RETURNS name LANGUAGE plpgsql AS $$\nDECLARE\n  r name := (SELECT u.role FROM web.users u WHERE u.email = email);\nBEGIN\n  RETURN r;\nEND $$;', true],
    ['body_assign', 'CREATE FUNCTION web.body_assign(email text, pass text) RETURNS name LANGUAGE plpgsql AS $$\nDECLARE\n  role name;\nBEGIN\n  role := role FROM web.users WHERE users.email = body_assign.email AND users.pass = body_assign.pass;\n  RETURN role;\nEND $$;', true],
  ];
  const sql = table + fns.map((f) => f[1]).join('\n') + '\n';
  const { findings } = lintFiles([{ file: 'db/1_fns.sql', text: sql }], ID);
  const reported = new Set(findings.filter((f) => f.rule === ID).map((f) => /function web\.(\w+)\(/.exec(f.message)![1]));
  assert.deepEqual([...reported].sort(), fns.filter((f) => f[2]).map((f) => f[0]).sort());
  const calls: Record<string, string> = { own_default: "web.own_default('a@b.c', 'x')", later_var: "web.later_var('a@b.c')", earlier_var: "web.earlier_var('a@b.c')", param_default: "web.param_default('a@b.c')", body_assign: "web.body_assign('a@b.c', 'x')" };
  await inRollback(await getDb(), async (q) => {
    await q(sql);
    await q("INSERT INTO web.users VALUES ('a@b.c', 'web_user1', 'x')");
    for (const [name, , fails] of fns) {
      const r = await tryQuery(q, `SELECT ${calls[name]} AS v`);
      assert.equal(r.ok ? 'ok' : r.error.code, fails ? '42702' : 'ok', name);
      if (name === 'own_default' && r.ok) assert.deepEqual(r.rows, [{ v: 'web_user1' }]);
    }
  });
});

test("err (wording): a RETURNS TABLE column named in ON CONFLICT (domain): the advice is not to qualify it there (ON CONFLICT (t.domain) is 42601) but to name the constraint or write ((t.domain)); PGlite: the function fails with 42702, both advised forms answer, and the second call of each infers the unique index (no 23505)", async () => {
  const table = 'CREATE TABLE public.workspace_domains (domain text PRIMARY KEY, organization_id uuid, n int NOT NULL DEFAULT 0);\n';
  const fn = (conflict: string) => `CREATE FUNCTION public.provision(p_domain text) RETURNS TABLE (organization_id uuid, domain text) LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.workspace_domains (domain, organization_id) VALUES (p_domain, NULL) ${conflict};
  domain := p_domain;
  RETURN NEXT;
END $$;
`;
  const sql = table + fn('ON CONFLICT (domain) DO NOTHING');
  const { ws, mine } = lintFiles([{ file: 'db/1_fns.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'domain');
  assert.match(mine[0]!.message, /In ON CONFLICT \(domain\) the column cannot be written qualified \(ON CONFLICT \(workspace_domains\.domain\) is a syntax error, 42601\): name its unique constraint \(ON CONFLICT ON CONSTRAINT …\), write the column as an expression in parentheses \(ON CONFLICT \(\(workspace_domains\.domain\)\), or with its alias/);
  assert.doesNotMatch(mine[0]!.message, /Qualify the table's column/);
  await inRollback(await getDb(), async (q) => {
    await q(sql);
    const r = await tryQuery(q, `SELECT * FROM public.provision('a.com')`);
    assert.equal(r.ok ? 'ok' : r.error.code, '42702');
  });
  // (the qualified form the old advice gave is refused when the function is made)
  await inRollback(await getDb(), async (q) => {
    await q(table);
    const r = await tryQuery(q, fn('ON CONFLICT (workspace_domains.domain) DO NOTHING'));
    assert.equal(r.ok ? 'ok' : r.error.code, '42601');
  });
  for (const conflict of ['ON CONFLICT ((workspace_domains.domain)) DO UPDATE SET n = workspace_domains.n + 1', 'ON CONFLICT ON CONSTRAINT workspace_domains_pkey DO UPDATE SET n = workspace_domains.n + 1']) {
    const fixed = table + fn(conflict);
    assert.deepEqual(lintFiles([{ file: 'db/1_fns.sql', text: fixed }], ID).mine, [], conflict);
    await inRollback(await getDb(), async (q) => {
      await q(fixed);
      await q(`SELECT * FROM public.provision('a.com')`);
      assert.deepEqual(await q(`SELECT domain FROM public.provision('a.com')`), [{ domain: 'a.com' }], conflict);
      assert.deepEqual(await q(`SELECT n FROM public.workspace_domains`), [{ n: 1 }], conflict);
    });
  }
});

test("err: the ambiguous name in a `SELECT … INTO` (INTO before FROM) is found where it is written, after accents, CJK and emoji, with a non-ASCII variable in the clause: PL/pgSQL keeps the query with its INTO clause blanked, a space per byte (PGlite's 42702 quotes that text and points at the name), and the fix qualifies that very name", async () => {
  const fns = [
    ['role_of', 'SELECT role INTO v_role FROM public.members m WHERE m.user_id = user_id;', 'INTO v_role '],
    ['role_of_2', 'SELECT role INTO STRICT v_rôle_日本 -- 😀 “c”\n    FROM public.members m WHERE m.user_id = user_id;', 'INTO STRICT v_rôle_日本 -- 😀 “c”\n    '],
  ] as const;
  const sql = `-- Café 日本語 😀 ünïcödé 🎉🎉
-- 表 “quoted”
CREATE TABLE public.members (user_id uuid PRIMARY KEY, role text NOT NULL);
${fns.map(([name, stmt]) => `CREATE FUNCTION public.${name}(user_id uuid) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE v_role text; v_rôle_日本 text; -- ✓
BEGIN
  ${stmt}
  RETURN coalesce(v_role, v_rôle_日本);
END $$;
`).join('')}`;
  const file = 'supabase/migrations/20250301000000_roles.sql';
  const { ws, mine } = lintFiles([{ file, text: sql }], ID);
  assert.equal(mine.length, 2);
  for (const [name, stmt] of fns) {
    const f = mine.find((x) => x.message.includes(`function public.${name}(uuid)`))!;
    // (the range is the parameter compared with m.user_id in that statement, where the file has it)
    assert.equal(f.start, sql.indexOf(stmt) + stmt.lastIndexOf('user_id'), name);
    assert.equal(textAt(ws, f), 'user_id');
  }
  let fixed = ws;
  for (const name of fns.map((f) => f[0])) fixed = applyFix(fixed, findingsOf(fixed, ID).find((x) => x.message.includes(`function public.${name}(uuid)`))!);
  assert.deepEqual(findingsOf(fixed, ID), []);
  const fixedSql = sqlOf(fixed);
  for (const [name, stmt] of fns) assert.ok(fixedSql.includes(stmt.replace(/= user_id;$/, `= ${name}.user_id;`)), name);
  await inRollback(await getDb(), async (q) => {
    await q(sql);
    await q(`INSERT INTO public.members VALUES ('${TENANT_A}', 'admin')`);
    for (const [name, stmt, clause] of fns) {
      await q('SAVEPOINT call');
      const err = await q(`SELECT public.${name}('${TENANT_A}')`).then(
        () => undefined,
        (e: { code?: string; internalQuery?: string; internalPosition?: string }) => e,
      );
      await q('ROLLBACK TO SAVEPOINT call');
      assert.equal(err?.code, '42702', name);
      // PostgreSQL's text of the query: the INTO clause (to the next token) blanked, a space per UTF-8 byte
      const kept = stmt.replace(/;$/, '').replace(clause, ' '.repeat(Buffer.byteLength(clause)));
      assert.equal(err.internalQuery, kept, name);
      assert.equal(kept.slice(Number(err.internalPosition) - 1), 'user_id', name);
    }
  });
  await inRollback(await getDb(), async (q) => {
    await q(fixedSql);
    await q(`INSERT INTO public.members VALUES ('${TENANT_A}', 'admin')`);
    assert.deepEqual(await q(`SELECT public.role_of('${TENANT_A}') AS a, public.role_of('${TENANT_B}') AS b, public.role_of_2('${TENANT_A}') AS c`), [{ a: 'admin', b: null, c: 'admin' }]);
  });
});

test("err: a function a DO block makes with EXECUTE (in '…', E'…', $q$…$q$), or writes in its body, is checked like a top-level one: PGlite, its call fails with 42702; the fix qualifies the parameters inside the string, re-lints clean, and the fixed file's function answers", async () => {
  const table = 'CREATE TABLE public.org_members (org_id uuid, user_id uuid);\n';
  const fn = (q: string) => `CREATE FUNCTION public.is_member(org_id uuid, user_id uuid) RETURNS boolean LANGUAGE plpgsql AS $f$
BEGIN
  RETURN EXISTS (SELECT 1 FROM public.org_members m WHERE m.org_id = org_id AND m.user_id = user_id AND m.user_id <> ${q}00000000-0000-0000-0000-000000000000${q}::uuid);
END $f$`;
  const forms: Record<string, string> = {
    "EXECUTE '…'": `DO $do$\nBEGIN\n  EXECUTE '${fn("''")}';\nEND $do$;\n`,
    "EXECUTE E'…'": `DO $do$\nBEGIN\n  EXECUTE E'${fn("\\'")}';\nEND $do$;\n`,
    'EXECUTE $q$…$q$': `DO $do$\nBEGIN\n  EXECUTE $q$${fn("'")}$q$;\nEND $do$;\n`,
    'in the body': `DO $do$\nBEGIN\n  ${fn("'")};\nEND $do$;\n`,
  };
  const call = `SELECT public.is_member('${ORG}', '${TENANT_A}') AS ok`;
  for (const [what, block] of Object.entries(forms)) {
    const text = table + block;
    const { mine, ws } = lintFiles([{ file: 'm.sql', text }], ID);
    assert.equal(mine.length, 1, what);
    assert.equal(textAt(ws, mine[0]!), 'org_id', what);
    assert.match(mine[0]!.message, /^In PL\/pgSQL function public\.is_member\(uuid, uuid\), org_id is a parameter of the function and a column of public\.org_members, which this query reads: PL\/pgSQL raises 42702 column reference "org_id" is ambiguous .*\(Also ambiguous in this function: user_id\.\)/, what);
    await inRollback(await getDb(), async (q) => {
      await q(text);
      await expectPgError(q(call), '42702', 'column reference "org_id" is ambiguous');
    });
    assert.equal(mine[0]!.fixes?.length, 1, what);
    const fixed = applyFix(ws, mine[0]!);
    assert.match(sqlOf(fixed), /m\.org_id = is_member\.org_id AND m\.user_id = is_member\.user_id/, what);
    assert.deepEqual(findingsOf(fixed, ID), [], what);
    await inRollback(await getDb(), async (q) => {
      await q(sqlOf(fixed));
      await q(`INSERT INTO public.org_members VALUES ('${ORG}', '${TENANT_A}')`);
      assert.deepEqual(await q(call), [{ ok: true }], what);
      assert.deepEqual(await q(`SELECT public.is_member('${ORG}', '${TENANT_B}') AS ok`), [{ ok: false }], what);
    });
  }
});

test("err: on Supabase, a function RETURNS TABLE (id uuid, email text …) selecting auth.users' email unqualified: 42702 on every call (petoclub's get_all_profiles); qualified, it answers. Not said where the migrations make their own auth.users without the column", async () => {
  const fn = (column: string) => `CREATE TABLE public.profiles (id uuid PRIMARY KEY, is_admin boolean NOT NULL DEFAULT false);
CREATE FUNCTION public.get_all_profiles() RETURNS TABLE (id uuid, email text, created_at timestamptz)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  RETURN QUERY SELECT u.id, ${column}, u.created_at FROM auth.users u;
END;
$$;
`;
  const file = 'supabase/migrations/20240101000000_profiles.sql';
  const { ws, mine } = lintFiles([{ file, text: fn('email') }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'email');
  assert.match(mine[0]!.message, /^In PL\/pgSQL function public\.get_all_profiles\(\), email is an output column \(OUT or RETURNS TABLE\) of the function and a column of auth\.users, which this query reads: PL\/pgSQL raises 42702 column reference "email" is ambiguous/);
  assert.deepEqual(lintFiles([{ file, text: fn('u.email::text') }], ID).mine, []);
  // (a workspace that makes its own auth.users, without email: not Supabase's)
  assert.deepEqual(lintFiles([{ file: 'migrations/1.sql', text: `CREATE SCHEMA auth;\nCREATE TABLE auth.users (id uuid PRIMARY KEY, created_at timestamptz);\n${fn('email')}` }], ID).mine, []);
  // (Supabase's auth.users has id, email and created_at among its columns: a stand-in with those)
  const auth = `${AUTH_STUB_SQL}CREATE TABLE auth.users (instance_id uuid, id uuid PRIMARY KEY, aud varchar(255), role varchar(255), email varchar(255), created_at timestamptz, updated_at timestamptz, phone text);
INSERT INTO auth.users (id, email, created_at) VALUES ('${TENANT_A}', 'a@example.com', now());\n`;
  await inRollback(await getDb(), async (q) => {
    await q(auth + fn('email'));
    await expectPgError(q('SELECT * FROM public.get_all_profiles()'), '42702', 'column reference "email" is ambiguous');
  });
  await inRollback(await getDb(), async (q) => {
    // (Supabase's email is varchar(255): RETURN QUERY wants the declared text, 42804 otherwise)
    await q(auth + fn('u.email::text'));
    assert.equal(await count(q, '(SELECT * FROM public.get_all_profiles()) p'), 1);
  });
});
