// definer-dynamic-sql on PostgreSQL (PGlite): a SECURITY DEFINER function concatenates its
// argument into the SQL it EXECUTEs. A tenant's user passes `true OR true OR title` and counts
// every tenant's documents — rows the user cannot read directly. With format('%I') the same
// call fails (42703: the text is a column name, not SQL); the legitimate call still works.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, count, expectPgError, getDb, inRollback, type Q, tryQuery } from '../helpers/pg.js';
import { findingsOf, initParser, invalidFinding, lintFiles, sqlOf, TENANT_A, TENANT_B, textAt } from '../helpers/rule-proof.js';
import { Workspace } from '../../server/src/engine/workspace.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';

const ID = 'definer-dynamic-sql';
before(initParser);
after(closeAll);

async function setup(q: Q, sql: string): Promise<void> {
  await q(AUTH_STUB_SQL);
  await q(sql); // owned by the superuser (as on Supabase, where postgres bypasses RLS)
  await q(`INSERT INTO documents VALUES (1, '${TENANT_A}', 'a1'), (2, '${TENANT_B}', 'b1'), (3, '${TENANT_B}', 'b2');
GRANT SELECT ON documents TO authenticated;`);
  await q(actAs(TENANT_A));
  await q('SET ROLE authenticated');
}

const call = (col: string, val: string) => `SELECT count_documents('${col.replace(/'/g, "''")}', '${val}')::int AS n`;

test('err: injection through the argument counts other tenants’ rows; with format(%I) it fails with 42703', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), "'SELECT count(*) FROM documents WHERE tenant_id = $1 AND ' || col || ' = $2'");
  assert.match(finding.message, /runs EXECUTE on a string built from argument col without quoting/);
  assert.equal(finding.fixes.length, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await setup(q, sqlOf(ws));
    assert.equal(await count(q, 'documents'), 1, 'directly, the user sees only its tenant');
    assert.equal((await q(call('title', 'a1')))[0]!.n, 1, 'the legitimate call');
    assert.equal((await q(call('true OR true OR title', 'x')))[0]!.n, 3, 'the injected condition counts every tenant');
  });
  // the rewrite the doc's Fix section shows
  const fixedSql = sqlOf(ws).replace(
    "EXECUTE 'SELECT count(*) FROM documents WHERE tenant_id = $1 AND ' || col || ' = $2'",
    "EXECUTE format('SELECT count(*) FROM documents WHERE tenant_id = $1 AND %I = $2', col)",
  );
  assert.notEqual(fixedSql, sqlOf(ws));
  const fixed = new Workspace();
  fixed.setFile('migration.sql', fixedSql);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(db, async (q) => {
    await setup(q, fixedSql);
    assert.equal((await q(call('title', 'a1')))[0]!.n, 1, 'the legitimate call still works');
    await expectPgError(q(call('true OR true OR title', 'x')), '42703', 'column "true OR true OR title" does not exist');
  });
});

test('err: through a variable and format(%s): reported at the EXECUTE', () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.equal(textAt(ws, finding), 'stmt');
  assert.match(finding.message, /built from argument tbl without quoting/);
});

test('ok/err: the taint analysis', () => {
  const fn = (params: string, body: string, security = 'SECURITY DEFINER') =>
    `CREATE FUNCTION f(${params}) RETURNS ${/RETURN QUERY/.test(body) ? 'SETOF int' : 'void'} LANGUAGE plpgsql ${security} SET search_path = public, pg_temp AS $$
DECLARE v text; w text; n int; r record; c refcursor;
BEGIN
${body}
END $$;`;
  const reported = (text: string) => lintFiles([{ file: 'm.sql', text }], ID).mine.length;
  for (const [params, body] of [
    ['q text', 'EXECUTE q;'],
    ['x text', "EXECUTE 'select ' || x;"],
    ['x text', "EXECUTE format('select %s', x);"],
    ['x text', "EXECUTE format('select %2$s', 1, x);"],
    ['x text', "EXECUTE concat('select ', x);"],
    ['x text', "v := 'select ' || x; w := v; EXECUTE w;"],
    ['x text', "RETURN QUERY EXECUTE 'select ' || x;"],
    ['x text', "OPEN c FOR EXECUTE 'select ' || x;"],
    ['x text', "FOR r IN EXECUTE 'select ' || lower(x) LOOP END LOOP;"],
    ['text', "EXECUTE 'select ' || $1;"],
    ['x varchar', "EXECUTE 'select ' || x::text;"],
    // only the assignment right before reaches the EXECUTE, but what it reads is its earlier value
    ['x text', "v := 'select ' || x; v := v || ' limit 1'; EXECUTE v;"],
    ['x text', "v := 'select ' || x; w := v; v := 'select 1'; EXECUTE w;"],
    ['x text', "v := 'select 1'; EXECUTE v; IF true THEN v := 'select ' || x; END IF; EXECUTE v;"],
    ['x text', "FOR i IN 1..2 LOOP EXECUTE v; v := 'select ' || x; END LOOP;"],
    // (an IF without ELSE may leave the earlier value; a loop's body may run after its own assignment)
    ['x text', "v := x; IF n > 0 THEN v := ''; END IF; EXECUTE 'select 1' || v;"],
    ['x text', "v := ''; w := ''; FOR i IN 1..2 LOOP w := w || v; v := x; END LOOP; EXECUTE 'select 1' || w;"],
  ]) {
    assert.equal(reported(fn(params!, body!)), 1, body);
  }
  for (const [params, body] of [
    ['x text', "EXECUTE format('select %I, %L', x, x);"],
    ['x text', "EXECUTE format('select %s', quote_literal(x));"],
    ['x text', "EXECUTE format('select %1$I from %1$I', x);"],
    ['x text', "EXECUTE 'select ' || quote_ident(x) || ' = ' || quote_nullable(x);"],
    ['x text', "EXECUTE 'select * from t where a = $1' USING x;"],
    ['x text', "EXECUTE 'select ' || x::regclass;"],
    ['x int', "EXECUTE 'select ' || x;"],
    ['x uuid', "EXECUTE 'select ''' || x || '''';"],
    ['x text', "v := 'select 1'; EXECUTE v;"],
    ['x text', "v := format('select %I', x); EXECUTE v;"],
    ['x text', "EXECUTE format('select 100%% %L', x);"],
    ['x text', "v := 'select ' || x; RAISE NOTICE '%', v; v := format('select %I', x); EXECUTE v;"],
    ['x text', "v := x; IF true THEN v := 'select 1'; EXECUTE v; END IF;"],
    // (every branch assigns it again: the earlier value no longer reaches)
    ['x text', "v := x; IF n > 0 THEN v := ''; ELSIF n < 0 THEN v := 'a'; ELSE v := 'b'; END IF; EXECUTE 'select 1' || v;"],
    ['x text', "w := x; v := ''; w := ''; FOR i IN 1..2 LOOP w := w || v; END LOOP; EXECUTE 'select 1' || w;"],
  ]) {
    assert.equal(reported(fn(params!, body!)), 0, body);
  }
  assert.equal(reported(fn('x text', "EXECUTE 'select ' || x;", 'SECURITY INVOKER')), 0);
});

test('ok: the message names what the reaching assignment is built from (w3labkr get_post_rank_by_views)', () => {
  const text = `CREATE FUNCTION rank(username text, q text) RETURNS SETOF int LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE cmd text;
BEGIN
  IF q <> '' THEN
    cmd := 'select 1 where ''' || username || ''' like ''%' || q || '%''';
    RETURN QUERY EXECUTE cmd;
  ELSE
    cmd := 'select 1 where ''' || username || ''' <> ''''';
    RETURN QUERY EXECUTE cmd;
  END IF;
END $$;`;
  const mine = lintFiles([{ file: 'm.sql', text }], ID).mine;
  assert.deepEqual(mine.map((f) => /built from (.*) without quoting/.exec(f.message)?.[1]), ['argument username, argument q', 'argument username']);
});

test('err: the range is the EXECUTE’s query, not an earlier use of the same name (a declaration, an IF)', () => {
  const text = `CREATE FUNCTION explain_query(q text) RETURNS SETOF text LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  explain_stmt text;
BEGIN
  IF lower(trim(q)) NOT LIKE 'select%' THEN
    RAISE EXCEPTION 'Only SELECT queries are allowed';
  END IF;
  explain_stmt := 'EXPLAIN ' || q;
  RETURN QUERY EXECUTE explain_stmt;
END $$;
CREATE FUNCTION exec_sql(sql text) RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF NOT (sql ~* '^\\s*CREATE') THEN
    RAISE EXCEPTION 'no';
  END IF;
  EXECUTE sql;
END $$;`;
  const { mine } = lintFiles([{ file: 'm.sql', text }], 'definer-dynamic-sql');
  assert.equal(mine.length, 2);
  for (const f of mine) {
    assert.match(text.slice(f.start - 21, f.end), /EXECUTE (explain_stmt|sql)$/);
    assert.match(text.slice(f.start - 8, f.start), /EXECUTE $/);
  }
});

test("err: through a function of the workspace the message names it and does not assume what it does: one that keeps [a-z0-9-] stops the injection, one that only lowercases does not (PGlite)", async () => {
  const sql = (clean: string) => `CREATE TABLE accounts (id int PRIMARY KEY, slug text NOT NULL);
ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION clean(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT ${clean} $$;
CREATE FUNCTION slug_count(p_name text) RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE n bigint;
BEGIN EXECUTE 'SELECT count(*) FROM accounts WHERE slug = ''' || clean(p_name) || '''' INTO n; RETURN n; END $$;`;
  const slugify = "regexp_replace(lower(t), '[^a-z0-9-]+', '-', 'g')";
  for (const clean of [slugify, 'lower(t)']) {
    const mine = lintFiles([{ file: 'm.sql', text: sql(clean) }], ID).mine;
    assert.equal(mine.length, 1);
    assert.match(mine[0]!.message, /on a string built from argument p_name, passed through public\.clean\(\), without quoting: PostgreSQL parses that text as SQL, so a caller can inject SQL that runs with the function owner's privileges and reads or changes data the caller cannot, unless public\.clean\(\) removes quotes and everything else that can end a literal or an identifier \(it is not assumed either way\)\./);
  }
  const counted = async (clean: string) =>
    inRollback(await getDb(), async (q) => {
      await q(sql(clean));
      await q("INSERT INTO accounts VALUES (1, 'a'), (2, 'b'), (3, 'c')");
      await q('SET ROLE authenticated');
      return (await q("SELECT slug_count('x'' OR ''a'' = ''a') AS n"))[0]!.n;
    });
  assert.equal(Number(await counted(slugify)), 0, 'the quote is gone: a slug that matches nothing');
  assert.equal(Number(await counted('lower(t)')), 3, 'the quote stays: every row, which authenticated cannot read');
});

test("err: text taken from a row-type argument's field, a jsonb argument's member, or a loop over jsonb_to_recordset(argument) (statbus' admin.import_job_generate(job)) is the caller's: each injects a statement run as the owner; a field of a safe type is not reported", async () => {
  const sql = `CREATE TABLE public.job (id int PRIMARY KEY, t text, snap jsonb);
CREATE FUNCTION public.f1(j public.job) RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN EXECUTE format('CREATE TABLE x1 (a %s)', j.t); END $$;
CREATE FUNCTION public.f2(s jsonb) RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE r record;
BEGIN FOR r IN SELECT * FROM jsonb_to_recordset(s) AS x(ty text) LOOP EXECUTE format('CREATE TABLE x2 (a %s)', r.ty); END LOOP; END $$;
CREATE FUNCTION public.f3(s jsonb) RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN EXECUTE format('CREATE TABLE x3 (a %s)', s->>'ty'); END $$;
`;
  const { mine } = lintFiles([{ file: 'migrations/1.sql', text: sql }], ID);
  assert.deepEqual(mine.map((f) => /function (public\.f\d)\(\w+\) runs EXECUTE on a string built from argument (\w+)/.exec(f.message)?.slice(1)), [
    ['public.f1', 'j'],
    ['public.f2', 's'],
    ['public.f3', 's'],
  ]);
  // an int field of the row type, and a loop over a table (its data, not the caller's): not reported
  const safe = `CREATE TABLE public.job (id int PRIMARY KEY, t text);
CREATE FUNCTION public.g1(j public.job) RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN EXECUTE format('CREATE TABLE y_%s (a int)', j.id); END $$;
CREATE FUNCTION public.g2(p_id int) RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE r record;
BEGIN FOR r IN SELECT t FROM public.job WHERE id = p_id LOOP EXECUTE format('CREATE TABLE y2 (a %s)', r.t); END LOOP; END $$;
`;
  assert.deepEqual(lintFiles([{ file: 'migrations/1.sql', text: safe }], ID).mine, []);
  await inRollback(await getDb(), async (q) => {
    await q(sql);
    const inject = 'int); CREATE TABLE pwned (b int';
    await q(`SELECT public.f1(ROW(1, '${inject}', NULL)::public.job)`);
    await q(`SELECT public.f2('[{"ty": "${inject.replace('pwned', 'pwned2')}"}]'::jsonb)`);
    await q(`SELECT public.f3('{"ty": "${inject.replace('pwned', 'pwned3')}"}'::jsonb)`);
    assert.deepEqual((await q(`SELECT relname FROM pg_class WHERE relname LIKE 'pwned%' ORDER BY relname`)).map((r) => r.relname), ['pwned', 'pwned2', 'pwned3'], "the caller's text ran as SQL");
  });
});

// Calibration cal95 (hivecom's list_storage_objects and get_admin_users_paginated): a sort order
// checked first with `IF p NOT IN ('asc', 'desc') THEN RAISE EXCEPTION`, and a sort column mapped
// to constants by a CASE, reach the EXECUTE only as one of those constants: no injection.
test("ok: an argument a guard of the function's block keeps to constants (IF … NOT IN (…) THEN RAISE EXCEPTION / RETURN), or a CASE maps to constants, cannot inject (PGlite); the same argument unguarded, guarded only in a branch or an exception handler's block, or reassigned, or a CASE result built from it, is reported", async () => {
  const sql = (body: string) => `CREATE TABLE accounts (id int PRIMARY KEY, slug text NOT NULL);
ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION sorted(p_dir text, p_col text) RETURNS SETOF int LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE v_col text;
BEGIN
${body}
END $$;`;
  const guard = "IF p_dir NOT IN ('asc', 'desc') THEN\n  RAISE EXCEPTION 'Invalid sort order: %', p_dir;\nEND IF;";
  const mapped = "v_col := CASE p_col WHEN 'slug' THEN 'slug' ELSE 'id' END;";
  const run = "RETURN QUERY EXECUTE 'SELECT id FROM accounts ORDER BY ' || v_col || ' ' || p_dir;";
  const reported = (body: string) => lintFiles([{ file: 'm.sql', text: sql(body) }], ID).mine.map((f) => /built from (.*?) without quoting/.exec(f.message)?.[1]);
  assert.deepEqual(reported(`${guard}\n${mapped}\n${run}`), []);
  assert.deepEqual(reported(`${guard.replace('RAISE EXCEPTION', 'RAISE NOTICE')}\n${mapped}\n${run}`), ['argument p_dir']);
  assert.deepEqual(reported(`${mapped}\n${run}`), ['argument p_dir']);
  assert.deepEqual(reported(`${guard.replace("RAISE EXCEPTION 'Invalid sort order: %', p_dir;", 'RETURN;')}\n${mapped}\n${run}`), []);
  assert.deepEqual(reported(`${guard}\n${mapped}\np_dir := p_dir || ' ';\n${run}`), ['argument p_dir']);
  assert.deepEqual(reported(`IF p_col = 'x' THEN\n${guard}\nEND IF;\n${mapped}\n${run}`), ['argument p_dir']);
  assert.deepEqual(reported(`${guard}\n${mapped}\n${run}\nEXCEPTION WHEN others THEN\n  RETURN QUERY EXECUTE 'SELECT id FROM accounts ORDER BY id ' || p_dir;`), ['argument p_dir']);
  assert.deepEqual(reported(`${guard}\nv_col := CASE WHEN p_col = 'slug' THEN 'slug' ELSE p_col END;\n${run}`), ['argument p_col']);
  const attempt = async (body: string, dir: string, col = 'slug') =>
    inRollback(await getDb(), async (q) => {
      await q(sql(body));
      await q("INSERT INTO accounts VALUES (1, 'a'), (2, 'b'), (3, 'c')");
      await q('GRANT EXECUTE ON FUNCTION sorted(text, text) TO authenticated');
      await q('SET ROLE authenticated');
      const r = await tryQuery(q, `SELECT count(*)::int AS n FROM sorted('${dir.replace(/'/g, "''")}', '${col.replace(/'/g, "''")}')`);
      return r.ok ? r.rows[0]!.n : r.error.code;
    });
  // unguarded, the caller's text is SQL: `desc LIMIT 1` changes the query the owner runs
  const inject = 'desc LIMIT 1';
  assert.equal(await attempt(`${mapped}\n${run}`, 'desc'), 3);
  assert.equal(await attempt(`${mapped}\n${run}`, inject), 1);
  // guarded: anything but asc / desc raises before the EXECUTE; a column outside the CASE is 'id'
  assert.equal(await attempt(`${guard}\n${mapped}\n${run}`, 'desc'), 3);
  assert.equal(await attempt(`${guard}\n${mapped}\n${run}`, inject), 'P0001');
  assert.equal(await attempt(`${guard}\n${mapped}\n${run}`, 'asc', 'slug; DROP TABLE accounts'), 3);
});

test("ok: thiloho/archtika's cleanup_user_directory() — an AFTER DELETE trigger putting OLD.username, which a CHECK keeps to [a-zA-Z0-9_-], inside a literal of format() — cannot be injected (PGlite: a quote in a username fails 23514); outside a literal, from a column without such a CHECK, from NEW in a BEFORE trigger, through a variable SELECT … INTO writes, or once the CHECK is dropped, it is reported", async () => {
  const schema = `CREATE SCHEMA internal;
CREATE TABLE internal.user (
  id int PRIMARY KEY,
  username varchar(16) UNIQUE NOT NULL CHECK (length(username) >= 3 AND username ~ '^[a-zA-Z0-9_-]+$'),
  note text
);
CREATE TABLE internal.log (line text);
`;
  const fn = (body: string, timing = 'AFTER DELETE', decl = '') => `${schema}CREATE FUNCTION internal.cleanup_user_directory() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
  _username text;
  _base_path CONSTANT text := '/var/www/sites';
  _user_path text;${decl}
BEGIN
${body}
  RETURN COALESCE(NEW, OLD);
END $$;
CREATE TRIGGER _cleanup_user_directory ${timing} ON internal.user FOR EACH ROW EXECUTE FUNCTION internal.cleanup_user_directory();
`;
  const archtika = fn(`  _username := OLD.username;
  _user_path := _base_path || '/' || _username;
  EXECUTE format('INSERT INTO internal.log VALUES (''rm -rf %s'')', _user_path);`);
  const reported = (text: string) => lintFiles([{ file: 'm.sql', text }], ID).mine.length;
  assert.equal(reported(archtika), 0);
  for (const [what, text] of [
    ['a column no CHECK keeps', archtika.replace(/OLD\.username/, 'OLD.note')],
    ['outside a literal', archtika.replace(`VALUES (''rm -rf %s'')`, 'SELECT %s')],
    ['NEW in a BEFORE trigger (checked after it)', fn(`  _user_path := _base_path || '/' || NEW.username;
  EXECUTE format('INSERT INTO internal.log VALUES (''rm -rf %s'')', _user_path);`, 'BEFORE INSERT')],
    ['a variable SELECT … INTO writes too', archtika.replace('  _user_path := _base_path', "  SELECT note INTO _username FROM internal.user LIMIT 1;\n  _user_path := _base_path")],
    ['a constant with a quote', archtika.replace("|| '/' ||", "|| '''' ||")],
    ['the CHECK dropped', `${archtika}ALTER TABLE internal.user DROP CONSTRAINT user_username_check;\n`],
  ] as const) {
    assert.equal(reported(text), 1, what);
  }
  // (a constraint of another name dropped leaves it: archtika's username_not_blocked)
  assert.equal(reported(`${archtika}ALTER TABLE internal.user ADD CONSTRAINT username_not_blocked CHECK (lower(username) <> 'admin');\nALTER TABLE internal.user DROP CONSTRAINT username_not_blocked;\n`), 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(archtika);
    const quoted = await tryQuery(q, `INSERT INTO internal.user VALUES (1, 'a''), (''x', null)`);
    assert.equal(quoted.ok ? '' : quoted.error.code, '23514');
  });
  await inRollback(db, async (q) => {
    await q(archtika);
    await q(`INSERT INTO internal.user VALUES (1, 'ab_c-9', 'a''), (''injected')`);
    await q('DELETE FROM internal.user');
    assert.deepEqual((await q('SELECT line FROM internal.log')).map((r) => r.line), ['rm -rf /var/www/sites/ab_c-9']);
  });
  // the same trigger on the note column, which no CHECK keeps: the quote ends the literal and adds a row
  await inRollback(db, async (q) => {
    await q(archtika.replace(/OLD\.username/, 'OLD.note'));
    await q(`INSERT INTO internal.user VALUES (1, 'abc', 'a''), (''injected')`);
    await q('DELETE FROM internal.user');
    assert.deepEqual((await q('SELECT line FROM internal.log ORDER BY 1')).map((r) => r.line), ['injected', 'rm -rf /var/www/sites/a']);
  });
});

test("ok: eiscore's eis_grid_summary(payload) — a variable that held the caller's text in one branch is set to '' before a later branch builds it again from format(%L): only what reaches the EXECUTE counts (PGlite: the injected text stays a literal); without that reset the text reaches it and the same call counts every row", async () => {
  const fn = (reset: boolean) => `CREATE TABLE docs (id int, title text);
CREATE FUNCTION count_docs(base text, search text) RETURNS int LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE filter text; cond text := ''; part text; n int;
BEGIN
  IF base <> '' THEN
    filter := regexp_replace(base, '^[?&]*', '');
    FOREACH part IN ARRAY string_to_array(filter, '&') LOOP
      cond := cond || CASE WHEN cond = '' THEN '' ELSE ' and ' END || format('title = %L', part);
    END LOOP;
  END IF;
  IF search <> '' THEN
    ${reset ? "filter := '';" : ''}
    FOREACH part IN ARRAY string_to_array(search, ',') LOOP
      filter := filter || CASE WHEN filter = '' THEN '' ELSE ' or ' END || format('title ilike %L', part);
    END LOOP;
    IF filter <> '' THEN
      cond := cond || CASE WHEN cond = '' THEN '' ELSE ' and ' END || '(' || filter || ')';
    END IF;
  END IF;
  IF cond <> '' THEN cond := ' where ' || cond; END IF;
  EXECUTE format('select count(*) from docs%s', cond) INTO n;
  RETURN n;
END $$;`;
  assert.equal(lintFiles([{ file: 'm.sql', text: fn(true) }], ID).mine.length, 0);
  const mine = lintFiles([{ file: 'm.sql', text: fn(false) }], ID).mine;
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /built from argument base without quoting/);
  const db = await getDb();
  const injected = "SELECT count_docs('1=0) or (true', 'a%') AS n";
  for (const [reset, n] of [[true, 0], [false, 3]] as const) {
    await inRollback(db, async (q) => {
      await q(fn(reset));
      await q("INSERT INTO docs VALUES (1, 'a1'), (2, 'b1'), (3, 'b2')");
      assert.equal((await q("SELECT count_docs('a1', '') AS n"))[0]!.n, 1, 'the legitimate call');
      assert.equal((await q(injected))[0]!.n, n, reset ? 'the text stays a literal' : 'the text runs as SQL');
    });
  }
});

/** accounts (3 rows authenticated cannot read) and sum_parts(p), which adds up what `loop` makes of each ;-separated piece of p (`part`), as its owner. */
const sumPartsSql = (loop: string) => `CREATE TABLE accounts (id int PRIMARY KEY, slug text NOT NULL);
ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION sum_parts(p text) RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE part text; n bigint; total bigint := 0;
BEGIN
  FOREACH part IN ARRAY string_to_array(p, ';') LOOP
${loop}
  END LOOP;
  RETURN total;
END $$;`;

/** As authenticated, sum_parts('1;(SELECT count(*) FROM accounts)'): the sum, or the error's code. */
async function sumParts(sql: string): Promise<number | string> {
  return inRollback(await getDb(), async (q) => {
    await q(sql);
    await q("INSERT INTO accounts VALUES (1, 'a'), (2, 'b'), (3, 'c')");
    await q('SET ROLE authenticated');
    const r = await tryQuery(q, "SELECT sum_parts('1;(SELECT count(*) FROM accounts)') AS n");
    return r.ok ? Number(r.rows[0]!.n) : r.error.code;
  });
}

test("err: a FOREACH … IN ARRAY over the caller's text assigns each piece to its variable: `EXECUTE 'SELECT ' || part` injects (PGlite: every row of a table the caller cannot read); quote_literal(part) does not", async () => {
  const sql = (piece: string) => sumPartsSql(`    EXECUTE 'SELECT ' || ${piece} || '::bigint' INTO n;\n    total := total + n;`);
  const raw = lintFiles([{ file: 'm.sql', text: sql('part') }], ID).mine;
  assert.equal(raw.length, 1);
  assert.match(raw[0]!.message, /built from argument p without quoting/);
  assert.equal(lintFiles([{ file: 'm.sql', text: sql('quote_literal(part)') }], ID).mine.length, 0);
  assert.equal(await sumParts(sql('part')), 4, 'the second piece ran as SQL, as the owner: 1 + 3 rows');
  assert.equal(await sumParts(sql('quote_literal(part)')), '22P02', 'quoted, the piece is a literal: not a number');
});

test("ok: a branch whose condition keeps the variable to a safe regular expression (`part ~ '^[0-9]+$'`, eiscore's `…\\.is\\.(true|false|null)$`) cannot inject (PGlite: the injected piece is skipped); `[^;]+`, `.+` or a negated class keep nothing out and are reported", async () => {
  const sql = (re: string) => sumPartsSql(`    IF part IS NOT NULL AND part ~ '${re}' THEN\n      EXECUTE 'SELECT ' || part || '::bigint' INTO n;\n      total := total + n;\n    END IF;`);
  assert.equal(lintFiles([{ file: 'm.sql', text: sql('^[0-9]+$') }], ID).mine.length, 0);
  for (const re of ['^[^;]+$', '^.+$', '^[0-9]+', '[0-9]+$', '^[0-9a-z ]+$']) assert.equal(lintFiles([{ file: 'm.sql', text: sql(re) }], ID).mine.length, 1, re);
  assert.equal(await sumParts(sql('^[0-9]+$')), 1, 'the injected piece does not match: skipped');
  assert.equal(await sumParts(sql('^[^;]+$')), 4, 'it matches: run as SQL, as the owner');
});

test('ok: safeRegex takes only anchored expressions of letters, digits, _ and escaped dots', async () => {
  const { safeRegex } = await import('../../server/src/rules/definer-dynamic-sql.js');
  for (const re of ['^[0-9]+$', '^[A-Za-z_][A-Za-z0-9_]*\\.is\\.(true|false|null)$', '^\\d{4}\\.\\d{1,2}$', '^(?:asc|desc)$', '^\\w+$']) assert.equal(safeRegex(re), true, re);
  for (const re of ['^.+$', '^[^,]+$', '^[a-z-]+$', '^[0-z]+$', '^a b$', "^a'b$", '^\\s+$', '[0-9]+$', '^[0-9]+', '^[0-9]+\\$', '^(?=a)a$']) assert.equal(safeRegex(re), false, re);
});

test("ok: `IF p !~ '^[a-z_]+$' THEN RAISE …` (or `IF NOT p ~ …`) before the EXECUTE keeps the argument to a safe regular expression: not reported, and an injection attempt is refused (PGlite: P0001); a guard whose expression admits a space or parentheses keeps nothing out", async () => {
  const sql = (cond: string) => `CREATE TABLE accounts (id int PRIMARY KEY, slug text NOT NULL);
ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
CREATE TABLE notes (id int);
GRANT SELECT ON notes TO authenticated;
CREATE FUNCTION count_of(p_table text) RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE n bigint;
BEGIN
  IF ${cond} THEN RAISE EXCEPTION 'invalid table name'; END IF;
  EXECUTE format('SELECT count(*) FROM %s', p_table) INTO n;
  RETURN n;
END $$;`;
  for (const cond of ["p_table !~ '^[a-z_]+$'", "NOT p_table ~ '^[a-z_][a-z0-9_]*$'", "p_table !~* '^[a-z_]+$'"]) assert.equal(lintFiles([{ file: 'm.sql', text: sql(cond) }], ID).mine.length, 0, cond);
  for (const cond of ["p_table !~ '^[a-z_ ()*]+$'", "p_table ~ '^[a-z_]+$'", "p_table !~ '[a-z_]+'"]) assert.equal(lintFiles([{ file: 'm.sql', text: sql(cond) }], ID).mine.length, 1, cond);
  const call = async (cond: string) =>
    inRollback(await getDb(), async (q) => {
      await q(sql(cond));
      await q("INSERT INTO accounts VALUES (1, 'a'), (2, 'b'), (3, 'c')");
      await q('SET ROLE authenticated');
      const r = await tryQuery(q, "SELECT count_of('(select * from accounts) as x') AS n");
      return r.ok ? Number(r.rows[0]!.n) : r.error.code;
    });
  assert.equal(await call("p_table !~ '^[a-z_]+$'"), 'P0001', 'the guard refuses the injected text');
  assert.equal(await call("p_table !~ '^[a-z_ ()*]+$'"), 3, 'the loose guard lets it through: every row, as the owner');
});

test("err: em-clinic's exec_readonly_query(query_text) — `EXECUTE 'SELECT jsonb_agg(row_to_json(t)) FROM (' || query_text || ') t'` after a check that the text starts with SELECT — runs the caller's query: the message says so and gives no quoting advice (PGlite: a user reads every tenant's patients, and a second statement after `;` deletes them all)", async () => {
  const sql = `CREATE TABLE patients (id bigint PRIMARY KEY, tenant_id uuid NOT NULL, name text NOT NULL);
ALTER TABLE patients ENABLE ROW LEVEL SECURITY;
CREATE POLICY patients_tenant ON patients FOR SELECT TO authenticated USING (tenant_id = (select auth.uid()));
GRANT SELECT ON patients TO authenticated;
CREATE FUNCTION exec_readonly_query(query_text text) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE result jsonb;
BEGIN
  IF NOT (upper(trim(query_text)) LIKE 'SELECT%') THEN
    RAISE EXCEPTION 'SELECT only';
  END IF;
  EXECUTE 'SELECT coalesce(jsonb_agg(row_to_json(t)), ''[]''::jsonb) FROM (' || query_text || ') t' INTO result;
  RETURN result;
END $$;
`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20260401000000_exec.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), "'SELECT coalesce(jsonb_agg(row_to_json(t)), ''[]''::jsonb) FROM (' || query_text || ') t'");
  assert.match(mine[0]!.message, /runs EXECUTE on its argument query_text as a query \(inside the statement it builds around it\): whoever can call it runs any query/);
  assert.match(mine[0]!.message, /EXECUTE runs each statement of a string that holds several/);
  assert.match(mine[0]!.message, /Quoting cannot help/);
  assert.doesNotMatch(mine[0]!.message, /%I|quote_ident/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql);
    await q(`INSERT INTO patients VALUES (1, '${TENANT_A}', 'a'), (2, '${TENANT_B}', 'b')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'patients'), 1, 'directly, the user reads its tenant only');
    const rows = await q(`SELECT jsonb_array_length(exec_readonly_query('SELECT * FROM patients')) AS n`);
    assert.equal(rows[0]!.n, 2, 'through the function, every tenant');
    await q(`SELECT exec_readonly_query('SELECT 1) t; DELETE FROM patients; SELECT jsonb_agg(1) FROM (SELECT 1')`);
    await q('RESET ROLE');
    assert.equal(await count(q, 'patients'), 0, 'the second statement ran as the owner');
  });
  // the argument as a whole statement, through a variable or format(%s), is a query too; a value or a name is not
  const shapes: Array<[string, boolean]> = [
    ['EXECUTE query_text;', true],
    ["v := format('SELECT json_agg(x) FROM (%s) x', query_text); EXECUTE v;", true],
    ["EXECUTE 'SELECT count(*) FROM patients WHERE name = ''' || query_text || '''';", false],
    ["EXECUTE 'SELECT count(*) FROM patients WHERE ' || query_text;", false],
    ["EXECUTE 'SELECT count(*) FROM ' || query_text;", false],
    ["EXECUTE 'SELECT count(*) FROM patients WHERE id IN (' || query_text || ')';", false],
  ];
  for (const [body, asQuery] of shapes) {
    const fn = `CREATE FUNCTION run(query_text text) RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE v text;
BEGIN ${body} END $$;`;
    const r = lintFiles([{ file: 'm.sql', text: fn }], ID).mine;
    assert.equal(r.length, 1, body);
    assert.equal(/as a query/.test(r[0]!.message), asQuery, `${body}: ${r[0]!.message}`);
  }
});
