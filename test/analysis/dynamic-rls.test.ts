// What dynamic SQL the replay cannot see may do to views (analysis/dynamic-rls.ts): make them
// security_invoker, or drop them.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { mergeConfig } from '../../server/src/analysis/config.js';
import { dynamicRls, mayBeDynamic } from '../../server/src/analysis/dynamic-rls.js';
import { buildModel } from '../../server/src/analysis/model.js';
import { initParser, parseFile } from '../../server/src/analysis/parse.js';

before(async () => {
  await initParser();
});

const model = (files: Record<string, string>) => buildModel(Object.entries(files).map(([f, t]) => parseFile(f, t)), mergeConfig({}));
const view = (m: ReturnType<typeof model>, key: string) => m.views.get(key)!;

describe('dynamic SQL on views', () => {
  test('ok: a DO block looping over the catalog with ALTER VIEW … SET (security_invoker = true) covers the views made before it, not after', () => {
    const m = model({
      '1.sql': 'CREATE TABLE t (id int);\nCREATE VIEW before_v AS SELECT id FROM t;',
      '2.sql': `DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'v' LOOP
    EXECUTE format('alter view %I.%I set (security_invoker = on)', r.nspname, r.relname);
  END LOOP; END $$;`,
      '3.sql': 'CREATE VIEW after_v AS SELECT id FROM t;',
    });
    assert.equal(mayBeDynamic(m, 'invoker', view(m, 'public.before_v')), true);
    assert.equal(mayBeDynamic(m, 'invoker', view(m, 'public.after_v')), false);
    assert.equal(mayBeDynamic(m, 'dropView', view(m, 'public.before_v')), false);
  });

  test('ok: DROP VIEW by a constant EXECUTE string is replayed (a quoted view too): the views are gone; format() over a list: the names listed may be dropped', () => {
    const m = model({
      '1.sql': 'CREATE TABLE t (id int);\nCREATE VIEW users_admin AS SELECT id FROM t;\nCREATE VIEW "Mixed" AS SELECT id FROM t;\nCREATE VIEW listed AS SELECT id FROM t;\nCREATE VIEW kept AS SELECT id FROM t;',
      '2.sql': `DO $$ BEGIN EXECUTE 'DROP VIEW IF EXISTS public.users_admin, "Mixed"'; END $$;
DO $$ DECLARE v text; BEGIN FOR v IN SELECT unnest(ARRAY['listed', 'other']) LOOP EXECUTE format('DROP VIEW %I', v); END LOOP; END $$;`,
    });
    assert.deepEqual([m.views.has('public.users_admin'), m.views.has('public.Mixed')], [false, false]);
    assert.deepEqual(
      ['listed', 'kept'].map((n) => mayBeDynamic(m, 'dropView', view(m, `public.${n}`))),
      [true, false],
    );
  });
});

describe('dynamic SQL on tables', () => {
  test("ok: a constant EXECUTE string names its table with its schema (helper's EXECUTE 'CREATE POLICY … ON \"realtime\".\"messages\"' under IF EXISTS (… tablename = 'messages')): realtime.messages, not public.messages", () => {
    const m = model({
      '1.sql': `CREATE TABLE messages (id bigint PRIMARY KEY, body text);
ALTER TABLE messages ENABLE ROW LEVEL SECURITY;
CREATE SCHEMA realtime;
CREATE TABLE realtime.messages (id bigint, extension text);
ALTER TABLE realtime.messages ENABLE ROW LEVEL SECURITY;`,
      '2.sql': `DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = 'realtime' AND tablename = 'messages') THEN
    EXECUTE 'CREATE POLICY "listen" ON "realtime"."messages" FOR SELECT TO authenticated USING (realtime.messages.extension = ''broadcast'')';
    EXECUTE 'ALTER TABLE realtime.messages FORCE ROW LEVEL SECURITY';
  END IF;
END $$;`,
    });
    const table = (k: string) => m.tables.get(k)!;
    // (the CREATE POLICY and the ALTER TABLE of a constant string are replayed, like static
    // statements of the block: the policy and FORCE are the model's, nothing about them is unknown)
    assert.deepEqual(['policy', 'force', 'enable'].map((w) => mayBeDynamic(m, w as 'policy', table('realtime.messages'))), [false, false, false]);
    assert.equal(table('realtime.messages').rlsForced, true);
    assert.deepEqual(table('realtime.messages').policies.map((p) => p.name), ['listen']);
    assert.deepEqual(['policy', 'force', 'enable'].map((w) => mayBeDynamic(m, w as 'policy', table('public.messages'))), [false, false, false]);
  });

  test('ok: a loop over a literal array replays ALTER TABLE … ROW LEVEL SECURITY on each table (trinketstore); NO FORCE in a catalog loop is not taken for FORCE', () => {
    const m = model({
      '1.sql': 'CREATE TABLE a (id int);\nCREATE TABLE b (id int);\nALTER TABLE a ENABLE ROW LEVEL SECURITY;\nALTER TABLE b ENABLE ROW LEVEL SECURITY;',
      '2.sql': `DO $$ DECLARE t text; BEGIN FOREACH t IN ARRAY ARRAY['a'] LOOP EXECUTE format('ALTER TABLE public.%I DISABLE ROW LEVEL SECURITY', t); END LOOP; END $$;
DO $$ DECLARE r record; BEGIN FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP EXECUTE format('ALTER TABLE %I NO FORCE ROW LEVEL SECURITY', r.tablename); END LOOP; END $$;`,
    });
    assert.deepEqual([m.tables.get('public.a')!.rlsEnabled, m.tables.get('public.b')!.rlsEnabled], [false, true]);
    assert.deepEqual(m.tables.get('public.a')!.rlsEvents.map((e) => e.kind), ['enable', 'disable']);
    assert.equal(mayBeDynamic(m, 'force', m.tables.get('public.b')!), false);
  });
});

describe('dynamic SQL on views: information_schema.views', () => {
  test('ok: a DO block looping over information_schema.views making each security_invoker covers the views made before it (camerpulse)', () => {
    const m = model({
      '1.sql': 'CREATE TABLE t (id int);\nCREATE VIEW v1 AS SELECT id FROM t;',
      '2.sql': `DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT table_schema, table_name FROM information_schema.views WHERE table_schema = 'public' LOOP
    EXECUTE format('ALTER VIEW %I.%I SET (security_invoker = on)', r.table_schema, r.table_name);
  END LOOP; END $$;`,
      '3.sql': 'CREATE VIEW v2 AS SELECT id FROM t;',
    });
    assert.equal(mayBeDynamic(m, 'invoker', view(m, 'public.v1')), true);
    assert.equal(mayBeDynamic(m, 'invoker', view(m, 'public.v2')), false);
  });
});

describe('dynamic SQL in functions looping over the catalog: where they run', () => {
  const loop = (name: string, args = '') => `CREATE OR REPLACE FUNCTION ${name}(${args}) RETURNS void LANGUAGE plpgsql AS $$
DECLARE r record; BEGIN
  FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
    EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY', r.tablename);
  END LOOP; END $$;`;
  const reached = (m: ReturnType<typeof model>) => [...m.tables.values()].filter((t) => mayBeDynamic(m, 'enable', t)).map((t) => t.name);

  test('ok: called by another function that a DO block runs: the tables made before that block; a CREATE OR REPLACE with another body ends it, a DROP of another overload does not', () => {
    const m = model({
      '1.sql': `CREATE TABLE a (id int);\n${loop('rls_all')}\nCREATE FUNCTION setup() RETURNS void LANGUAGE plpgsql AS $$ BEGIN PERFORM rls_all(); END $$;\nCREATE TABLE b (id int);\nDO $$ BEGIN PERFORM setup(); END $$;\nCREATE TABLE c (id int);`,
      '2.sql': `${loop('never_called')}\nCREATE TABLE d (id int);\nDROP FUNCTION never_called(int);\nCREATE TABLE e (id int);\nCREATE OR REPLACE FUNCTION never_called() RETURNS void LANGUAGE sql AS 'SELECT 1';\nCREATE TABLE f (id int);`,
    });
    assert.deepEqual(reached(m), ['a', 'b', 'c', 'd', 'e']);
    assert.deepEqual(
      dynamicRls(m).enableLoops.map((l) => [l.name, l.called, l.uncalled]),
      [['rls_all', true, false], ['never_called', false, true]],
    );
  });
});

describe('literal loops of ALTER TABLE … ROW LEVEL SECURITY', () => {
  test("ok: `FOREACH t IN ARRAY ARRAY['a', 'b'] LOOP EXECUTE format('ALTER TABLE %I ENABLE / FORCE ROW LEVEL SECURITY', t)` (breeze's workspace tables): RLS enabled and forced on each, and nothing about them is \"may be dynamic\"", () => {
    const loop = (values: string) => `DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY[${values}] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
  END LOOP;
END $$;`;
    const m = model({ '1.sql': 'CREATE TABLE a (id int);\nCREATE TABLE b (id int);', '2.sql': loop("'a', 'b'") });
    for (const k of ['public.a', 'public.b']) {
      const t = m.tables.get(k)!;
      assert.deepEqual([t.rlsEnabled, t.rlsForced], [true, true], k);
      assert.deepEqual(['enable', 'force'].map((w) => mayBeDynamic(m, w as 'enable', t)), [false, false], k);
    }
  });
});
