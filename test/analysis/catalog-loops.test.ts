// A DO block's loop over the tables the catalog lists, running ALTER TABLE … ROW LEVEL SECURITY
// and policy DDL for each through EXECUTE (catalog-loops.ts; LanternOps/breeze's 0008 over
// information_schema.columns WHERE column_name = 'org_id'): the replay runs the loop's statements
// for each table its state holds there that the query lists. Each case compares the model with
// what PGlite makes of the same migrations.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { mergeConfig } from '../../server/src/analysis/config.js';
import { mayBeDynamic } from '../../server/src/analysis/dynamic-rls.js';
import { buildModel, type Model } from '../../server/src/analysis/model.js';
import { parseFile } from '../../server/src/analysis/parse.js';
import { closeAll, getDb, inRollback } from '../helpers/pg.js';
import { modelState, pgState } from '../helpers/model-state.js';
import { applyFix, findingsOf, initParser, lintFiles, sqlOf } from '../helpers/rule-proof.js';
import { AUTH_STUB_SQL } from '../helpers/supabase.js';

before(initParser);
after(closeAll);

const model = (text: string): Model => buildModel([parseFile('1.sql', text)], mergeConfig({}));

/** A loop the replay does not run: public.a keeps RLS off and is "may be dynamic". */
function leftDynamic(text: string): void {
  const m = model(text);
  assert.equal(m.tables.get('public.a')!.rlsEnabled, false);
  assert.equal(mayBeDynamic(m, 'enable', m.tables.get('public.a')!), true);
}

const BREEZE = `CREATE TABLE public.orgs (id uuid PRIMARY KEY);
CREATE TABLE public.devices (id uuid PRIMARY KEY, org_id uuid NOT NULL);
CREATE TABLE public.alerts (id uuid PRIMARY KEY, org_id uuid NOT NULL, body text);
CREATE VIEW public.alert_bodies AS SELECT org_id, body FROM public.alerts;
CREATE FUNCTION public.has_org_access(o uuid) RETURNS boolean LANGUAGE sql STABLE AS $f$ SELECT o::text = current_setting('app.org', true) $f$;
DO $$
DECLARE
  r record;
BEGIN
  FOR r IN
    SELECT c.table_schema, c.table_name
    FROM information_schema.columns c
    INNER JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
    WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' AND c.column_name = 'org_id'
    GROUP BY c.table_schema, c.table_name
  LOOP
    EXECUTE format('ALTER TABLE %I.%I ENABLE ROW LEVEL SECURITY', r.table_schema, r.table_name);
    EXECUTE format('ALTER TABLE %I.%I FORCE ROW LEVEL SECURITY', r.table_schema, r.table_name);
    EXECUTE format('DROP POLICY IF EXISTS org_isolation_select ON %I.%I', r.table_schema, r.table_name);
    EXECUTE format('CREATE POLICY org_isolation_select ON %I.%I FOR SELECT USING (public.has_org_access(org_id))', r.table_schema, r.table_name);
    EXECUTE format('CREATE POLICY %I ON %I.%I FOR INSERT WITH CHECK (public.has_org_access(org_id))', r.table_name || '_insert', r.table_schema, r.table_name);
  END LOOP;
END;
$$;
CREATE TABLE public.later (id uuid PRIMARY KEY, org_id uuid);
`;

describe('catalog loops', () => {
  test("ok: breeze's loop over information_schema.columns (org_id) joined with tables (BASE TABLE): RLS enabled and forced and the policies made on each table with the column made before it; not on the others, nor on one made after it, nor on the view; as PGlite", async () => {
    const m = model(BREEZE);
    assert.deepEqual(modelState(m), await pgState(BREEZE));
    assert.deepEqual(modelState(m), [
      'alerts true true alerts_insert:insert,org_isolation_select:select',
      'devices true true devices_insert:insert,org_isolation_select:select',
      'later false false ',
      'orgs false false ',
    ]);
    // (what the loop does is known: nothing about these tables is "may be dynamic")
    for (const w of ['enable', 'force', 'policy'] as const) assert.equal(mayBeDynamic(m, w, m.tables.get('public.devices')!), false, w);
    // a policy's statement is the loop's, where its EXECUTE's string is
    const p = m.tables.get('public.alerts')!.policies.find((x) => x.name === 'alerts_insert')!;
    assert.equal(p.stmt.dynamic, true);
    assert.equal(p.created.start, BREEZE.indexOf("'CREATE POLICY %I ON"));
    // rls-not-enabled: the tables the loop does not reach, and only those
    const { findings } = lintFiles([{ file: '1.sql', text: BREEZE }], 'rls-not-enabled');
    assert.deepEqual(findings.filter((f) => f.rule === 'rls-not-enabled').map((f) => f.message.match(/Table (\S+)/)![1]).sort(), ['public.later', 'public.orgs']);
  });

  test('ok: pg_tables with rowsecurity = false, NOT IN and NOT LIKE; a scalar loop variable; NO FORCE on a table never forced is no event; as PGlite', async () => {
    const text = `CREATE TABLE public.a (id int);
CREATE TABLE public.b (id int);
CREATE TABLE public.c (id int);
CREATE TABLE public.tmp_x (id int);
CREATE TABLE public.skip_me (id int);
ALTER TABLE public.c ENABLE ROW LEVEL SECURITY;
DO $$
DECLARE t text;
BEGIN
  FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND rowsecurity = false AND tablename NOT IN ('skip_me') AND tablename NOT LIKE 'tmp\\_%' LOOP
    EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY "%s_read" ON public.%I FOR SELECT TO PUBLIC USING (id > 0)', t, t);
  END LOOP;
END $$;
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT schemaname, tablename FROM pg_catalog.pg_tables WHERE schemaname = 'public' LOOP
    EXECUTE format('ALTER TABLE %I.%I NO FORCE ROW LEVEL SECURITY', r.schemaname, r.tablename);
  END LOOP;
END $$;
`;
    const m = model(text);
    assert.deepEqual(modelState(m), await pgState(text));
    assert.deepEqual(modelState(m), ['a true false a_read:select', 'b true false b_read:select', 'c true false ', 'skip_me false false ', 'tmp_x false false ']);
    assert.deepEqual(m.tables.get('public.a')!.rlsEvents.map((e) => e.kind), ['enable']);
  });

  test('ok: a query the replay does not read (a condition on something else) stays "may be dynamic": no policy made, and the tables it may reach are left alone', () => {
    const text = `CREATE TABLE public.a (id int, org_id uuid);
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'org_id' AND is_nullable = 'NO' LOOP
    EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY', r.table_name);
    EXECUTE format('CREATE POLICY p ON public.%I USING (true)', r.table_name);
  END LOOP;
END $$;
`;
    const m = model(text);
    assert.deepEqual(m.tables.get('public.a')!.policies, []);
    assert.equal(mayBeDynamic(m, 'enable', m.tables.get('public.a')!), true);
    assert.equal(mayBeDynamic(m, 'policy', m.tables.get('public.a')!), true);
  });

  test('ok: a table whose columns the replay does not know for certain (LIKE another) is taken as reached: its policies are seen, none is said missing', async () => {
    const text = `CREATE TABLE public.base (id int, org_id uuid);
CREATE TABLE public.copy (LIKE public.base);
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'org_id' LOOP
    EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY', r.table_name);
  END LOOP;
END $$;
`;
    const m = model(text);
    assert.deepEqual(modelState(m), await pgState(text));
  });
});

describe('catalog loops: what runs for each table', () => {
  test('ok: an EXECUTE under an IF of the loop (in a BEGIN … EXCEPTION block of its body too) is not run for every table: it stays "may be dynamic", while one in the block itself is replayed; as PGlite', async () => {
    const text = `CREATE TABLE public.a (id int, org_id uuid);
CREATE TABLE public.b (id int, org_id uuid);
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'org_id' LOOP
    BEGIN
      EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY', r.table_name);
      IF r.table_name = 'a' THEN
        EXECUTE format('CREATE POLICY only_a ON public.%I USING (true)', r.table_name);
      END IF;
    EXCEPTION WHEN others THEN NULL;
    END;
  END LOOP;
END $$;
`;
    const m = model(text);
    assert.deepEqual(modelState(m), ['a true false ', 'b true false ']);
    assert.deepEqual(await pgState(text), ['a true false only_a:all', 'b true false ']);
    assert.equal(mayBeDynamic(m, 'policy', m.tables.get('public.b')!), true);
  });
});

describe('loops whose EXECUTE string is made with ||', () => {
  test("ok: `'ALTER TABLE ' || quote_ident(r.tablename) || ' ENABLE …'` over pg_tables and `'CREATE POLICY ' || quote_ident(t || '_read') || …` over a literal list are replayed like format(); as PGlite", async () => {
    const text = `CREATE TABLE public.a (id int);
CREATE TABLE public."B" (id int);
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
    EXECUTE 'ALTER TABLE public.' || quote_ident(r.tablename) || ' ENABLE ROW LEVEL SECURITY';
  END LOOP;
END $$;
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['a', 'B'] LOOP
    EXECUTE 'CREATE POLICY ' || quote_ident(t || '_read') || ' ON public.' || quote_ident(t) || ' FOR SELECT USING (id > 0)';
  END LOOP;
END $$;
`;
    const m = model(text);
    assert.deepEqual(modelState(m), await pgState(text));
    assert.deepEqual(modelState(m), ['B true false B_read:select', 'a true false a_read:select']);
    const p = m.tables.get('public.a')!.policies[0]!;
    assert.equal(p.created.start, text.indexOf("'CREATE POLICY ' ||"));
  });
});

describe('loops over pg_class', () => {
  const TABLES = `CREATE TABLE public.a (id int, org_id uuid);
CREATE TABLE public.events (id int, at date) PARTITION BY RANGE (at);
CREATE TABLE public.events_2026 PARTITION OF public.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE VIEW public.v AS SELECT id FROM public.a;
CREATE SEQUENCE public.s;
CREATE SCHEMA other;
CREATE TABLE other.x (id int);
`;

  test("ok: pg_class JOIN pg_namespace ON n.oid = c.relnamespace, relkind IN ('r', 'p'): every table and partitioned table of the schema gets RLS (not the view, the sequence, another schema's table, nor one made after it); as PGlite", async () => {
    const text = `${TABLES}DO $$
DECLARE r record;
BEGIN
  FOR r IN
    SELECT n.nspname AS schemaname, c.relname AS tablename
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
  LOOP
    EXECUTE format('ALTER TABLE %I.%I ENABLE ROW LEVEL SECURITY', r.schemaname, r.tablename);
  END LOOP;
END $$;
CREATE TABLE public.later (id int);
`;
    const m = model(text);
    assert.deepEqual(modelState(m), await pgState(text));
    assert.deepEqual(modelState(m), ['a true false ', 'events true false ', 'events_2026 true false ', 'later false false ']);
    assert.equal(m.tables.get('other.x')!.rlsEnabled, false);
    for (const t of ['a', 'events', 'later']) assert.equal(mayBeDynamic(m, 'enable', m.tables.get(`public.${t}`)!), false, t);
  });

  test("ok: the conditions in an inner join's ON (`JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'`) filter as the WHERE's do; as PGlite", async () => {
    const text = `${TABLES}DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public' WHERE c.relkind = 'r' LOOP
    EXECUTE format('ALTER TABLE %I.%I ENABLE ROW LEVEL SECURITY', r.nspname, r.relname);
  END LOOP;
END $$;
`;
    const m = model(text);
    assert.deepEqual(modelState(m), await pgState(text));
    assert.deepEqual(modelState(m), ['a true false ', 'events false false ', 'events_2026 true false ']);
    assert.equal(m.tables.get('other.x')!.rlsEnabled, false);
  });

  test("ok: `FROM pg_class c, pg_namespace n WHERE c.relnamespace = n.oid AND c.relkind = 'r' AND NOT c.relispartition`, each EXECUTE in a BEGIN … EXCEPTION WHEN others block: ENABLE and FORCE on the plain tables only (the partitioned table and its partition are not listed); as PGlite", async () => {
    const text = `${TABLES}do $$
declare r record;
begin
  for r in
    select n.nspname, c.relname
    from pg_class c, pg_namespace n
    where c.relnamespace = n.oid and n.nspname = 'public' and c.relkind = 'r' and not c.relispartition
  loop
    begin execute format('alter table %I.%I enable row level security', r.nspname, r.relname); exception when others then null; end;
    begin execute format('alter table %I.%I force row level security', r.nspname, r.relname); exception when others then null; end;
  end loop;
end $$;
`;
    const m = model(text);
    assert.deepEqual(modelState(m), await pgState(text));
    assert.deepEqual(modelState(m), ['a true true ', 'events false false ', 'events_2026 false false ']);
  });

  test("ok: pg_class alone, `relnamespace = 'public'::regnamespace AND relkind = 'r' AND NOT relrowsecurity`, a scalar variable: the policy is made on the tables without RLS at that point; as PGlite", async () => {
    const text = `CREATE TABLE public.a (id int);
CREATE TABLE public.b (id int);
ALTER TABLE public.b ENABLE ROW LEVEL SECURITY;
DO $$
DECLARE t name;
BEGIN
  FOR t IN SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' AND NOT relrowsecurity LOOP
    EXECUTE format('CREATE POLICY read_all ON public.%I FOR SELECT USING (true)', t);
    EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY', t);
  END LOOP;
END $$;
`;
    const m = model(text);
    assert.deepEqual(modelState(m), await pgState(text));
    assert.deepEqual(modelState(m), ['a true false read_all:select', 'b true false ']);
  });

  test('ok: pg_class with no relkind condition (it lists views, sequences and indexes too) is not replayed: "may be dynamic"', () => {
    const text = `${TABLES}DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' LOOP
    EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY', r.relname);
  END LOOP;
END $$;
`;
    leftDynamic(text);
  });
});

describe('strings with no variable', () => {
  test("ok: a DO block of constant EXECUTEs (breeze's workspace_content_chunks: ENABLE, FORCE, DROP POLICY IF EXISTS, CREATE POLICY) is replayed as its statements: RLS enabled and forced, the policies made, nothing \"may be dynamic\"; as PGlite", async () => {
    const text = `CREATE TABLE public.chunks (id int, org_id uuid);
DO $$
BEGIN
  EXECUTE 'ALTER TABLE chunks ENABLE ROW LEVEL SECURITY';
  EXECUTE 'ALTER TABLE chunks FORCE ROW LEVEL SECURITY';
  EXECUTE 'DROP POLICY IF EXISTS org_select ON chunks';
  EXECUTE 'CREATE POLICY org_select ON chunks FOR SELECT USING (org_id::text = current_setting(''app.org'', true))';
END $$;
`;
    const m = model(text);
    assert.deepEqual(modelState(m), await pgState(text));
    assert.deepEqual(modelState(m), ['chunks true true org_select:select']);
    for (const w of ['enable', 'force', 'policy'] as const) assert.equal(mayBeDynamic(m, w, m.tables.get('public.chunks')!), false, w);
  });
});

describe('DDL in constant strings', () => {
  test("ok: `EXECUTE 'CREATE TABLE …'` in the arms of an IF / ELSE (one runs), `EXECUTE $ddl$ CREATE INDEX … $ddl$`, ADD COLUMN and GRANT so: the table, its columns, index and grant are the model's, as PGlite has them; no second CREATE TABLE is seen; a finding on the table edits no string: rls-not-forced's FORCE goes after the file's own ENABLE, outside the DO block (PGlite: then forced)", async () => {
    const text = `DO $$
BEGIN
  IF current_setting('server_version_num')::int >= 150000 THEN
    EXECUTE 'CREATE TABLE public.a (id int PRIMARY KEY, owner uuid)';
  ELSE
    EXECUTE 'CREATE TABLE public.a (id int PRIMARY KEY, owner uuid, extra text)';
  END IF;
  EXECUTE $ddl$ CREATE INDEX a_owner ON public.a (owner) $ddl$;
  EXECUTE 'ALTER TABLE public.a ADD COLUMN note text';
  EXECUTE 'GRANT SELECT ON public.a TO authenticated';
END $$;
ALTER TABLE public.a ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON public.a FOR SELECT TO authenticated USING (owner = (select auth.uid()));
`;
    const m = model(text);
    const a = m.tables.get('public.a')!;
    assert.ok(a, 'the table is made');
    assert.deepEqual([...a.columns], ['id', 'owner', 'note']);
    assert.deepEqual(a.indexes.map((i) => i.name), ['a_owner']);
    assert.ok(a.grants.get('authenticated')?.has('select'));
    assert.equal(mayBeDynamic(m, 'enable', a), false);
    await inRollback(await getDb(), async (q) => {
      await q(AUTH_STUB_SQL);
      await q(text);
      const cols = (await q(`SELECT attname FROM pg_attribute WHERE attrelid = 'public.a'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`)) as Array<{ attname: string }>;
      assert.deepEqual(cols.map((c) => c.attname), ['id', 'owner', 'note']);
      assert.deepEqual((await q(`SELECT indexname FROM pg_indexes WHERE tablename = 'a' AND indexname = 'a_owner'`)).length, 1);
      assert.deepEqual((await q(`SELECT has_table_privilege('authenticated', 'public.a', 'SELECT') AS ok`))[0]!.ok, true);
    });
    const { findings, mine: notForced, ws } = lintFiles([{ file: '1.sql', text }], 'rls-not-forced');
    assert.deepEqual(findings.filter((f) => f.rule === 'table-already-exists'), []);
    assert.equal(notForced.length, 1);
    // (no fix edits the string: the one offered is a statement of the file after its ENABLE, outside the DO block)
    const enable = 'ALTER TABLE public.a ENABLE ROW LEVEL SECURITY;';
    assert.deepEqual(notForced[0]!.fixes.map((f) => f.edits.map((e) => [e.start, e.end, e.newText])), [[[text.indexOf(enable) + enable.length, text.indexOf(enable) + enable.length, '\nALTER TABLE public.a FORCE ROW LEVEL SECURITY;']]]);
    const fixed = sqlOf(applyFix(ws, notForced[0]!));
    assert.deepEqual(findingsOf(applyFix(ws, notForced[0]!), 'rls-not-forced'), []);
    await inRollback(await getDb(), async (q) => {
      await q(AUTH_STUB_SQL);
      await q(fixed);
      assert.deepEqual(await q(`SELECT relforcerowsecurity AS f FROM pg_class WHERE oid = 'public.a'::regclass`), [{ f: true }]);
    });
  });
});

describe('functions in constant strings', () => {
  test("ok: `EXECUTE $fn$ CREATE FUNCTION … $fn$` in a dollar-quoted DO block is the function, its body analysed where the file has it: definer-search-path-missing finds it, as PGlite has it (SECURITY DEFINER, no search_path), and its fix writes SET search_path in the string (PGlite: then set); so is one in a single-quoted string (its quotes doubled, its body a '…' string in it: quotes doubled twice), whose fixes are written in its string, `''` doubled (PGlite: search_path=public, pg_temp, or \"\")", async () => {
    const text = `CREATE TABLE public.docs (id int, owner uuid);
DO $$
BEGIN
  EXECUTE $fn$
    CREATE OR REPLACE FUNCTION public.doc_count() RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER AS $body$
    BEGIN
      RETURN (SELECT count(*) FROM public.docs);
    END;
    $body$
  $fn$;
  EXECUTE 'CREATE FUNCTION public.quoted() RETURNS text LANGUAGE sql SECURITY DEFINER AS ''SELECT ''''x''''::text''';
END $$;
`;
    const m = model(text);
    const f = m.findFunction(['public', 'doc_count'], 0)!;
    assert.ok(f, 'the function is made');
    assert.equal(f.securityDefiner, true);
    const quoted = m.findFunction(['public', 'quoted'], 0)!;
    assert.ok(quoted, 'the single-quoted one is made too');
    assert.equal(quoted.securityDefiner, true);
    // (its body where the file writes it: within the inner quotes, doubled)
    assert.equal(text.slice(quoted.body!.start, quoted.body!.end), "SELECT ''''x''''::text");
    assert.equal(quoted.body!.statements.length, 1);
    const { ws, mine, findings } = lintFiles([{ file: '1.sql', text }], 'definer-search-path-missing');
    assert.deepEqual(findings.filter((f) => f.rule === 'syntax-error'), [], 'its body is the text between its own quotes');
    assert.ok((m.findFunction(['public', 'doc_count'], 0)!.body?.statements.length ?? 0) > 0, 'its body is analysed');
    assert.equal(mine.length, 2);
    const [dollar, single] = [...mine].sort((a, b) => a.start - b.start) as [(typeof mine)[0], (typeof mine)[0]];
    assert.ok(dollar.start > text.indexOf('$fn$') && dollar.start < text.lastIndexOf('$fn$'));
    assert.equal(text.slice(single.start, single.end), 'SECURITY DEFINER');
    assert.ok(single.start > text.indexOf("'CREATE FUNCTION public.quoted"));
    const fixed = applyFix(ws, dollar);
    assert.ok(dollar.fixes[0]!.edits.every((e) => e.start > text.indexOf('$fn$') && e.end < text.lastIndexOf('$fn$')), 'the fix edits the string');
    // (the quoted one's finding is left, moved by the edit before it)
    assert.deepEqual(findingsOf(fixed, 'definer-search-path-missing').map((x) => x.start - sqlOf(fixed).indexOf("'CREATE FUNCTION public.quoted")), [single.start - text.indexOf("'CREATE FUNCTION public.quoted")]);
    const proconfig = async (sql: string, name: string) => {
      let out: unknown;
      await inRollback(await getDb(), async (q) => {
        await q(sql);
        out = (await q(`SELECT prosecdef, proconfig FROM pg_proc WHERE proname = '${name}'`))[0];
      });
      return out;
    };
    assert.deepEqual(await proconfig(text, 'doc_count'), { prosecdef: true, proconfig: null });
    assert.deepEqual(await proconfig(sqlOf(fixed), 'doc_count'), { prosecdef: true, proconfig: ['search_path=public, pg_temp'] });
    assert.deepEqual(await proconfig(text, 'quoted'), { prosecdef: true, proconfig: null });
    // (the quoted one's two fixes, each written in its string)
    for (const [title, written, config] of [
      [/^Add SET search_path = public, pg_temp$/, 'SECURITY DEFINER SET search_path = public, pg_temp AS', 'search_path=public, pg_temp'],
      [/^Add SET search_path = ''/, "SECURITY DEFINER SET search_path = '''' AS", 'search_path=""'],
    ] as const) {
      const done = applyFix(ws, single, title);
      assert.ok(sqlOf(done).includes(`'CREATE FUNCTION public.quoted() RETURNS text LANGUAGE sql ${written} ''SELECT`), sqlOf(done));
      assert.deepEqual(findingsOf(done, 'definer-search-path-missing').map((x) => x.start), [dollar.start]);
      assert.deepEqual(findingsOf(done, 'syntax-error'), []);
      assert.deepEqual(await proconfig(sqlOf(done), 'quoted'), { prosecdef: true, proconfig: [config] });
    }
  });

  // A function a DO block makes with EXECUTE of an E'…' string or of a `'…' || '…'` chain (and a
  // '…' one) is analysed as one written in the file: parse.ts parses its body in the SQL the string
  // runs and puts each offset where the string writes its character (UTF-16 offsets, past the
  // escapes; libpg-query's are UTF-8 bytes of the SQL run, not of the file).
  const MEMBERS = `-- Übersicht: 日本語 😀 (before the block)
CREATE TABLE public.org_members (org_id uuid, user_id uuid, kind text);
GRANT SELECT ON public.org_members TO authenticated;
`;
  const USER = '00000000-0000-0000-0000-00000000000a';
  // (a setting of its own per case: once set in the session, even transaction-locally, it reads '' rather than raising 42704)
  for (const [name, exec, setting] of [
    ["E'…'", String.raw`EXECUTE E'CREATE FUNCTION public.my_uid() RETURNS uuid LANGUAGE plpgsql STABLE AS $f$\n  -- prüfe 😀 \'ü\'\n  BEGIN\n    IF \'é😀\' <> \'\' THEN\n      RETURN current_setting(\'app.uid_e\')::uuid;\n    END IF;\n    RETURN NULL;\n  END\n$f$';`, 'app.uid_e'],
    ["'…' || '…'", `EXECUTE 'CREATE FUNCTION public.my_uid() RETURNS uuid ' || 'LANGUAGE plpgsql STABLE AS $f$ /* ü😀 */ BEGIN IF ''é😀'' <> '''' THEN RETURN current_setting(''app.uid_chain'')::uuid; END IF; RETURN NULL; END $f$';`, 'app.uid_chain'],
    ["'…'", `EXECUTE 'CREATE FUNCTION public.my_uid() RETURNS uuid LANGUAGE plpgsql STABLE AS $f$ /* ü😀 */ BEGIN IF ''é😀'' <> '''' THEN RETURN current_setting(''app.uid_plain'')::uuid; END IF; RETURN NULL; END $f$';`, 'app.uid_plain'],
  ] as const) {
    test(`ok: ${name} CREATE FUNCTION in a DO block's EXECUTE, after non-ASCII text: the function is made, its body's statements where the file writes them; policy-current-setting-unsafe reports its current_setting('${setting}') there (the message quoting it as it runs), its fix is written in the string and re-lints clean; PGlite: 42704 for authenticated's reads before, none after`, async () => {
      const text = `${MEMBERS}DO $$\nBEGIN\n  ${exec}\nEND $$;\nALTER TABLE public.org_members ENABLE ROW LEVEL SECURITY;\nCREATE POLICY members_read ON public.org_members FOR SELECT TO authenticated USING (user_id = public.my_uid());\n`;
      const m = model(text);
      const f = m.findFunction(['public', 'my_uid'], 0)!;
      assert.ok(f, 'the function is made');
      assert.equal(f.body?.language, 'plpgsql');
      // (the call where the string writes it, its quotes as written)
      const call = text.indexOf('current_setting(', text.indexOf('DO $$'));
      const written = text.slice(call, text.indexOf(')', call) + 1);
      assert.match(written, /^current_setting\((\\'|'')app\.uid_\w+(\\'|'')\)$/);
      // (its statements — the IF's condition, the RETURNs' expressions — where the string writes them)
      assert.deepEqual(
        f.body!.statements.map((s) => text.slice(s.start, s.end).replace(/\\'|''/g, "'")),
        ["'é😀' <> ''", `${written.replace(/\\'|''/g, "'")}::uuid`, 'NULL'],
      );
      const { ws, mine, findings } = lintFiles([{ file: '1.sql', text }], 'policy-current-setting-unsafe');
      assert.deepEqual(findings.filter((x) => x.rule === 'syntax-error'), []);
      assert.equal(mine.length, 1);
      assert.equal(mine[0]!.start, call);
      assert.equal(mine[0]!.end, call + written.length);
      // (the editor's position: line and UTF-16 column)
      const line = text.slice(0, call).split('\n').length - 1;
      assert.deepEqual(mine[0]!.range.start, { line, character: call - (text.lastIndexOf('\n', call - 1) + 1) });
      assert.match(mine[0]!.message, new RegExp(`^Function public\\.my_uid\\(\\), called by policy "members_read" on public\\.org_members, reads current_setting\\('${setting.replace('.', '\\.')}'\\): `));
      assert.ok(mine[0]!.message.includes(`Write nullif(current_setting('${setting}', true), '')::uuid`), mine[0]!.message);
      assert.equal(mine[0]!.fixes[0]?.title, `Replace current_setting('${setting}') with nullif(current_setting('${setting}', true), '') in my_uid() (check its callers: it returns NULL where it used to raise an error)`);
      const fixed = applyFix(ws, mine[0]!);
      const q = name === "E'…'" ? "\\'" : "''";
      assert.ok(sqlOf(fixed).includes(`RETURN nullif(current_setting(${q}${setting}${q}, true), ${q}${q})::uuid;`), sqlOf(fixed));
      assert.deepEqual(findingsOf(fixed, 'policy-current-setting-unsafe'), []);
      assert.deepEqual(findingsOf(fixed, 'syntax-error'), []);
      const read = async (sql: string, set: boolean) => {
        let out: unknown;
        await inRollback(await getDb(), async (q) => {
          await q(sql);
          await q(`INSERT INTO public.org_members VALUES ('00000000-0000-0000-0000-0000000000aa', '${USER}', 'member')`);
          if (set) await q(`SELECT set_config('${setting}', '${USER}', true)`);
          await q('SET ROLE authenticated');
          try {
            out = (await q('SELECT count(*)::int AS n FROM public.org_members'))[0];
          } catch (e) {
            out = (e as { code?: string }).code;
          }
        });
        return out;
      };
      assert.equal(await read(text, false), '42704');
      assert.deepEqual(await read(sqlOf(fixed), false), { n: 0 });
      assert.deepEqual(await read(sqlOf(fixed), true), { n: 1 });
    });
  }
});

describe('loops over every schema but some', () => {
  const TABLES = `CREATE SCHEMA app;
CREATE TABLE public.a (id int);
CREATE TABLE app.b (id int);
CREATE TABLE app.c (id int);
`;
  /** RLS enabled, per table of public and app, as PGlite has it after the text. */
  async function pgEnabled(text: string): Promise<string[]> {
    let out: string[] = [];
    await inRollback(await getDb(), async (q) => {
      await q(text);
      const rows = (await q(`SELECT n.nspname || '.' || c.relname || ' ' || c.relrowsecurity AS s FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname IN ('public', 'app') AND c.relkind = 'r' ORDER BY 1`)) as Array<{ s: string }>;
      out = rows.map((r) => r.s);
    });
    return out;
  }
  const enabled = (m: Model) => [...m.tables.values()].filter((t) => t.schema === 'public' || t.schema === 'app').map((t) => `${t.schema}.${t.name} ${t.rlsEnabled}`).sort();

  test("ok: information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema', 'auth', 'storage') AND table_type = 'BASE TABLE': every table of the other schemas; as PGlite", async () => {
    const text = `${TABLES}DO $$
DECLARE r record;
BEGIN
  FOR r IN
    SELECT table_schema, table_name FROM information_schema.tables
    WHERE table_schema NOT IN ('pg_catalog', 'information_schema', 'auth', 'storage') AND table_type = 'BASE TABLE'
  LOOP
    EXECUTE format('ALTER TABLE %I.%I ENABLE ROW LEVEL SECURITY;', r.table_schema, r.table_name);
  END LOOP;
END $$;
`;
    const m = model(text);
    assert.deepEqual(enabled(m), await pgEnabled(text));
    assert.deepEqual(enabled(m), ['app.b true', 'app.c true', 'public.a true']);
  });

  test("ok: pg_tables WHERE schemaname NOT LIKE 'pg_%' AND schemaname <> 'information_schema' AND schemaname <> 'public': the app schema's tables; as PGlite", async () => {
    const text = `${TABLES}DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT schemaname, tablename FROM pg_tables WHERE schemaname NOT LIKE 'pg_%' AND schemaname <> 'information_schema' AND schemaname <> 'public' LOOP
    EXECUTE format('ALTER TABLE %I.%I ENABLE ROW LEVEL SECURITY;', r.schemaname, r.tablename);
  END LOOP;
END $$;
`;
    const m = model(text);
    assert.deepEqual(enabled(m), await pgEnabled(text));
    assert.deepEqual(enabled(m), ['app.b true', 'app.c true', 'public.a false']);
  });

  test("ok: a loop that leaves out some schemas but not pg_catalog (it reaches the system's tables, and fails there) is not replayed: \"may be dynamic\"", () => {
    const text = `${TABLES}DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT schemaname, tablename FROM pg_tables WHERE schemaname NOT IN ('auth', 'storage') LOOP
    EXECUTE format('ALTER TABLE %I.%I ENABLE ROW LEVEL SECURITY;', r.schemaname, r.tablename);
  END LOOP;
END $$;
`;
    leftDynamic(text);
  });
});

describe('loops granting table privileges', () => {
  test('ok: GRANT and REVOKE of table privileges run by a literal loop and by a catalog loop are replayed: the tables\' grants are the model\'s, as PGlite has them', async () => {
    const text = `CREATE ROLE app_reader;
CREATE TABLE public.a (id int, org_id uuid);
CREATE TABLE public.b (id int);
CREATE TABLE public.c (id int, org_id uuid);
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['a', 'b'] LOOP
    EXECUTE format('GRANT SELECT, INSERT ON public.%I TO app_reader', t);
  END LOOP;
END $$;
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'org_id' LOOP
    EXECUTE format('REVOKE INSERT ON public.%I FROM app_reader', r.table_name);
    EXECUTE format('GRANT UPDATE ON public.%I TO app_reader', r.table_name);
  END LOOP;
END $$;
`;
    const m = model(text);
    const granted = (t: string) => [...(m.tables.get(`public.${t}`)!.grants.get('app_reader') ?? [])].sort().join(',');
    assert.deepEqual(['a', 'b', 'c'].map(granted), ['select,update', 'insert,select', 'update']);
    await inRollback(await getDb(), async (q) => {
      await q(text.replace('CREATE ROLE app_reader;', "DO $r$ BEGIN CREATE ROLE app_reader; EXCEPTION WHEN duplicate_object THEN NULL; END $r$;"));
      const rows = (await q(`SELECT c.relname AS t, string_agg(lower(p.privilege_type), ',' ORDER BY lower(p.privilege_type)) AS privs
        FROM pg_class c JOIN information_schema.role_table_grants p ON p.table_name = c.relname AND p.table_schema = 'public' AND p.grantee = 'app_reader'
        WHERE c.relname IN ('a', 'b', 'c') GROUP BY c.relname ORDER BY 1`)) as Array<{ t: string; privs: string }>;
      assert.deepEqual(rows.map((r) => r.privs), ['select,update', 'insert,select', 'update']);
    });
  });
});

// tutur3u/platform's 20260312113000_lock_description_tables_to_server_apis.sql: a loop over a WITH
// query of information_schema.columns joined with tables, keeping the tables with a text column
// named so (ORed equalities and LIKE … ESCAPE patterns), that enables RLS on each, drops all its
// policies through a loop over pg_policies, and revokes the API roles' privileges.
const TUTUR_LOOP = `do $$
declare
  r record;
  p record;
begin
  for r in
    with protected_tables as (
      select distinct c.table_name
      from information_schema.columns c
      join information_schema.tables t
        on t.table_schema = c.table_schema
        and t.table_name = c.table_name
      where c.table_schema = 'public'
        and t.table_type = 'BASE TABLE'
        and c.data_type in ('text', 'character varying', 'character')
        and (
          c.column_name = 'description'
          or c.column_name = 'content'
          or c.column_name = 'message'
          or c.column_name = 'body'
          or c.column_name = 'html'
          or c.column_name = 'prompt'
          or c.column_name = 'data'
          or c.column_name like '%\\_content' escape '\\'
          or c.column_name like '%\\_text' escape '\\'
        )
    )
    select table_name
    from protected_tables
    order by table_name
  loop
    execute format('alter table public.%I enable row level security', r.table_name);
    for p in
      select policyname
      from pg_policies
      where schemaname = 'public'
        and tablename = r.table_name
    loop
      execute format('drop policy if exists %I on public.%I', p.policyname, r.table_name);
    end loop;
    execute format('revoke all privileges on table public.%I from anon, authenticated', r.table_name);
  end loop;
end;
$$;
`;

const TUTUR_TABLES = `CREATE SCHEMA IF NOT EXISTS private;
CREATE TABLE public.support_inquiries (id uuid PRIMARY KEY, email text NOT NULL, message text NOT NULL);
ALTER TABLE public.support_inquiries ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Everyone can insert" ON public.support_inquiries AS PERMISSIVE FOR INSERT TO public WITH CHECK (true);
CREATE POLICY "Staff read" ON public.support_inquiries FOR SELECT TO authenticated USING (true);
CREATE TABLE public.notes (id int PRIMARY KEY, content varchar(200));
CREATE POLICY notes_read ON public.notes FOR SELECT TO authenticated USING (true);
CREATE TABLE public.codes (id int PRIMARY KEY, short_text char(4));
CREATE TABLE public.wide (id int PRIMARY KEY, xtext text, page_content text[]);
CREATE TABLE public.items (id int PRIMARY KEY, data jsonb);
ALTER TABLE public.items ENABLE ROW LEVEL SECURITY;
CREATE POLICY items_read ON public.items FOR SELECT TO authenticated USING (true);
CREATE TABLE public.added (id int PRIMARY KEY);
ALTER TABLE public.added ADD COLUMN prompt text;
CREATE POLICY added_read ON public.added FOR SELECT TO authenticated USING (true);
CREATE TABLE public.retyped (id int PRIMARY KEY, body text);
ALTER TABLE public.retyped ALTER COLUMN body TYPE jsonb USING to_jsonb(body);
CREATE POLICY retyped_read ON public.retyped FOR SELECT TO authenticated USING (true);
CREATE TABLE public.renamed (id int PRIMARY KEY, old_html text);
ALTER TABLE public.renamed RENAME COLUMN old_html TO html;
CREATE TABLE private.notes (id int PRIMARY KEY, content text);
CREATE POLICY private_read ON private.notes FOR SELECT TO authenticated USING (true);
CREATE VIEW public.note_texts AS SELECT id, content AS description FROM public.notes;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO anon, authenticated;
`;

/** The API roles' privileges on the public tables, as the model has them: `table role:priv,…`. */
function modelGrants(m: Model): string[] {
  return [...m.tables.values()]
    .filter((t) => t.schema === 'public')
    .flatMap((t) => ['anon', 'authenticated'].map((r) => `${t.name} ${r}:${[...(t.grants.get(r) ?? [])].sort().join(',')}`))
    .sort();
}

/** The same, as PGlite has them after running the text (information_schema.role_table_grants). */
async function pgGrants(text: string): Promise<string[]> {
  let out: string[] = [];
  await inRollback(await getDb(), async (q) => {
    await q(text);
    const rows = (await q(`SELECT c.relname AS t, r.rolname AS role,
        coalesce((SELECT string_agg(lower(g.privilege_type), ',' ORDER BY lower(g.privilege_type)) FROM information_schema.role_table_grants g
          WHERE g.table_schema = 'public' AND g.table_name = c.relname AND g.grantee = r.rolname), '') AS privs
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace CROSS JOIN pg_roles r
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND r.rolname IN ('anon', 'authenticated')`)) as Array<{ t: string; role: string; privs: string }>;
    out = rows.map((x) => `${x.t} ${x.role}:${x.privs}`).sort();
  });
  return out;
}

describe("tutur3u's loop over a WITH query of information_schema.columns", () => {
  const text = TUTUR_TABLES + TUTUR_LOOP + 'CREATE TABLE public.later (id int PRIMARY KEY, description text);\n';

  test('ok: the tables with a text, varchar or char column of those names (equal, or LIKE with ESCAPE) get RLS, lose every policy and the API roles\' privileges: not one whose column is jsonb, text[] or retyped to jsonb, whose name only matches with `_` as a wildcard, of another schema, the view, nor one made after; RLS, policies and grants as PGlite has them', async () => {
    const m = model(text);
    assert.deepEqual(modelState(m), await pgState(text));
    assert.deepEqual(modelState(m), [
      'added true false ',
      'codes true false ',
      'items true false items_read:select',
      'later false false ',
      'notes true false ',
      'renamed true false ',
      'retyped false false retyped_read:select',
      'support_inquiries true false ',
      'wide false false ',
    ]);
    assert.deepEqual(modelGrants(m), await pgGrants(text));
    assert.deepEqual(
      modelGrants(m).filter((g) => g.endsWith(':')),
      ['added', 'codes', 'later', 'notes', 'renamed', 'support_inquiries'].flatMap((t) => [`${t} anon:`, `${t} authenticated:`]),
    );
    // (the other schema's policy stays)
    assert.deepEqual(m.tables.get('private.notes')!.policies.map((p) => p.name), ['private_read']);
    // (what the loop does is known: nothing "may be dynamic" about the tables)
    for (const w of ['enable', 'policy', 'grant'] as const) assert.equal(mayBeDynamic(m, w, m.tables.get('public.items')!), false, w);
  });

  test('ok: no finding stays on a policy the loop dropped (policy-always-true, policy-applies-to-public on support_inquiries\'s), as in tutur3u', () => {
    const files = [
      { file: 'supabase/migrations/20241226071736_add_support_inquiries.sql', text: TUTUR_TABLES },
      { file: 'supabase/migrations/20260312113000_lock_description_tables_to_server_apis.sql', text: TUTUR_LOOP },
    ];
    const { findings } = lintFiles(files, 'policy-always-true');
    // (findings there are on policies the loop leaves: retyped's, private.notes')
    assert.ok(findings.some((f) => f.message.startsWith('Policy "retyped_read"')));
    assert.deepEqual(findings.filter((f) => /^Policy "(?:Everyone can insert|Staff read|notes_read|added_read)"/.test(f.message)).map((f) => f.message), []);
  });

  test('ok: the narrower form (no WITH, `column_name = … OR column_name = …`, no data_type): every policy of the tables dropped; a policy reading a table whose SELECT was revoked stays; as PGlite', async () => {
    const narrow = `create table public.tasks (id bigint primary key, title text not null, description text);
create table public.task_relationships (id bigint primary key, source_task_id bigint not null);
alter table public.tasks enable row level security;
alter table public.task_relationships enable row level security;
create policy "Anyone signed in manages tasks" on public.tasks for all to authenticated using (true) with check (true);
create policy "Members read relationships" on public.task_relationships for select to authenticated
  using (exists (select 1 from public.tasks t where t.id = task_relationships.source_task_id));
grant select on public.tasks, public.task_relationships to authenticated;
do $$
declare
  r record;
  p record;
begin
  for r in
    select distinct c.table_name
    from information_schema.columns c
    where c.table_schema = 'public'
      and (c.column_name = 'description' or c.column_name = 'content')
  loop
    for p in select policyname from pg_policies where schemaname = 'public' and tablename = r.table_name loop
      execute format('drop policy if exists %I on public.%I', p.policyname, r.table_name);
    end loop;
    execute format('revoke all privileges on table public.%I from anon, authenticated', r.table_name);
  end loop;
end;
$$;
`;
    const m = model(narrow);
    assert.deepEqual(modelState(m), await pgState(narrow));
    assert.deepEqual(modelState(m), ['task_relationships true false Members read relationships:select', 'tasks true false ']);
    assert.deepEqual(modelGrants(m), await pgGrants(narrow));
  });

  test('err: a loop of that shape whose query the replay does not read (a condition on is_nullable) is not ignored: the tables made before it are "may be dynamic" for RLS, policies and grants; not one made after it', () => {
    const unread = TUTUR_TABLES + TUTUR_LOOP.replace("and t.table_type = 'BASE TABLE'", "and t.table_type = 'BASE TABLE' and c.is_nullable = 'YES'") + 'CREATE TABLE public.later (id int PRIMARY KEY, description text);\n';
    const m = model(unread);
    const t = m.tables.get('public.support_inquiries')!;
    assert.equal(t.policies.length, 2);
    for (const w of ['enable', 'policy', 'grant'] as const) {
      assert.equal(mayBeDynamic(m, w, t), true, w);
      assert.equal(mayBeDynamic(m, w, m.tables.get('public.later')!), false, `${w} later`);
    }
  });
});
