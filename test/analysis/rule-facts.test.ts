// The per-model facts rules filter on (rules/lib/util.ts policyFacts, tableList,
// forEachPolicyKeyWithoutTable, functionLists' definerFacts) must say what the model's objects
// say, and follow model.policies: some rules walk the tables' policies with a running index
// into policyFacts, which holds because model.policies lists each table's policies, tables in
// model.tables order, before the policies on tables the workspace does not create.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { Model } from '../../server/src/analysis/model.js';
import { policiesWithKeys } from '../../server/src/analysis/policy-exprs.js';
import { PSEUDO_ROLES } from '../../server/src/analysis/privileges.js';
import { rejectedPolicies } from '../../server/src/analysis/rejected.js';
import { initParser, Workspace } from '../../server/src/engine/workspace.js';
import {
  DF_BODY,
  DF_PLPGSQL_BODY,
  DF_PUBLIC_EXECUTE,
  DF_ROW_DATA,
  DF_SEARCH_PATH,
  DF_TRIGGER,
  forEachPolicyKeyWithoutTable,
  functionLists,
  PF_ALL,
  PF_ANON,
  PF_CHECK,
  PF_DELETE,
  PF_GRANTED,
  PF_INSERT,
  PF_PERMISSIVE,
  PF_PUBLIC,
  PF_SELECT,
  PF_UPDATE,
  PF_USING,
  policyFacts,
  privilegesNeeded,
  tableList,
} from '../../server/src/rules/lib/util.js';

before(initParser);

const FILES: Record<string, string> = {
  // a policy on a table not created yet: it stays on no table, also once the table is created
  '1_orphan.sql': `CREATE POLICY early ON app.late FOR SELECT TO authenticated USING (true);
CREATE POLICY objects_read ON storage.objects FOR SELECT USING (bucket_id = 'public');
CREATE POLICY objects_write ON storage.objects AS RESTRICTIVE FOR INSERT TO authenticated WITH CHECK (owner = auth.uid());`,
  '2_tables.sql': `CREATE SCHEMA app;
CREATE TABLE app.late (id int);
ALTER TABLE app.late ENABLE ROW LEVEL SECURITY;
CREATE TABLE docs (id int PRIMARY KEY, owner_id uuid);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON docs TO authenticated;
CREATE POLICY docs_read ON docs FOR SELECT TO authenticated, anon USING (owner_id = auth.uid());
CREATE POLICY docs_all ON docs TO authenticated USING (true) WITH CHECK (owner_id = auth.uid());
CREATE POLICY docs_write ON docs FOR UPDATE TO PUBLIC USING (owner_id = auth.uid());
CREATE TABLE notes (id int);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
GRANT ALL ON notes TO authenticated;
CREATE POLICY notes_del ON notes AS RESTRICTIVE FOR DELETE TO authenticated USING (false);
CREATE POLICY notes_ins ON notes FOR INSERT TO current_user WITH CHECK (true);
ALTER TABLE notes RENAME TO memos;
CREATE POLICY app_late ON app.late FOR ALL TO authenticated USING (true);
CREATE FUNCTION f_sql() RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$ SELECT 1 $$;
CREATE FUNCTION f_pl() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$ BEGIN RETURN NEW; END $$;
REVOKE EXECUTE ON FUNCTION f_pl() FROM PUBLIC;
CREATE FUNCTION f_invoker() RETURNS int LANGUAGE sql AS $$ SELECT 2 $$;`,
};

function modelOf(files: Record<string, string>): Model {
  const ws = new Workspace();
  for (const [f, t] of Object.entries(files)) ws.setFile(f, t);
  return ws.model();
}

test('policyFacts: one entry per policy of model.policies, with the bits its fields give', () => {
  const model = modelOf(FILES);
  const facts = policyFacts(model);
  assert.equal(facts.length, model.policies.length);
  const bit = { all: PF_ALL, select: PF_SELECT, insert: PF_INSERT, update: PF_UPDATE, delete: PF_DELETE };
  const rejected = rejectedPolicies(model);
  model.policies.forEach((p, i) => {
    // (one PostgreSQL rejects never exists: no bits; here the early policy, 42P01 on app.late, created later)
    if (rejected.has(p)) return assert.equal(facts[i], 0, `rejected policy ${p.name} on ${p.table}`);
    const t = model.tables.get(p.table);
    const need = privilegesNeeded(p);
    const granted = !!t && p.roles.every((r) => PSEUDO_ROLES.has(r) || need.some((x) => t.grants.get(r)?.has(x)));
    const expected =
      bit[p.command] |
      (p.permissive ? PF_PERMISSIVE : 0) |
      (p.using ? PF_USING : 0) |
      (p.withCheck ? PF_CHECK : 0) |
      (p.roles.includes('public') ? PF_PUBLIC : 0) |
      (p.roles.includes('anon') ? PF_ANON : 0) |
      (granted ? PF_GRANTED : 0);
    assert.equal(facts[i], expected, `policy ${p.name} on ${p.table}`);
  });
  assert.deepEqual([...rejected.keys()].map((p) => p.name), ['early']);
  assert.ok(facts.some((f) => f & PF_GRANTED) && facts.some((f) => !(f & PF_GRANTED)));
  assert.ok(facts.some((f) => f & PF_ANON));
});

test("tableList and model.policies: each table's policies in table order come first, at a running index", () => {
  const model = modelOf(FILES);
  assert.deepEqual(tableList(model), [...model.tables.values()]);
  let k = 0;
  for (const t of tableList(model)) for (const p of t.policies) assert.equal(model.policies[k++], p, `${p.name} on ${t.key}`);
  // what follows: the policies on no table (the one created before app.late too)
  const rest = model.policies.slice(k).map((p) => `${p.table}.${p.name}`);
  assert.deepEqual(rest, ['app.late.early', 'storage.objects.objects_read', 'storage.objects.objects_write']);
  assert.ok(model.tables.get('public.memos')?.policies.every((p) => p.table === 'public.memos'));
});

test('forEachPolicyKeyWithoutTable: the keys of model.policies no table has, first-seen order, with their policies', () => {
  const model = modelOf(FILES);
  const got: Array<[string, string[]]> = [];
  forEachPolicyKeyWithoutTable(model, (key, policies) => got.push([key, policies.map((p) => p.name)]));
  const expected = [...policiesWithKeys(model)].filter(([key]) => !model.tables.has(key)).map(([key, ps]) => [key, ps.map((p) => p.name)]);
  assert.deepEqual(got, expected);
  assert.deepEqual(got.map(([key]) => key), ['storage.objects']);
});

test('functionLists: definerFacts, one entry per definer', () => {
  const model = modelOf(FILES);
  const { definers, definerFacts } = functionLists(model);
  assert.deepEqual(definers.map((f) => f.name), ['f_sql', 'f_pl']);
  assert.equal(definerFacts.length, definers.length);
  definers.forEach((f, i) => {
    const expected =
      (f.settings.some((s) => s.name === 'search_path') ? DF_SEARCH_PATH : 0) |
      (f.body ? DF_BODY | (f.language === 'plpgsql' ? DF_PLPGSQL_BODY : 0) : 0) |
      (f.returnsTrigger ? DF_TRIGGER : 0) |
      (f.publicExecute ? DF_PUBLIC_EXECUTE : 0) |
      (f.writes.size || f.truncates.size || !['void', 'boolean', 'smallint', 'integer', 'bigint', 'numeric', 'real', 'double precision'].includes(f.returnType) ? DF_ROW_DATA : 0);
    assert.equal(definerFacts[i], expected, f.name);
  });
});

test('policy-role-without-grant leaves a policy on no table alone, also when a table of its key is created later', () => {
  const ws = new Workspace();
  for (const [f, t] of Object.entries(FILES)) ws.setFile(f, t);
  const found = [...ws.lint().byFile.values()].flat().filter((f) => f.rule === 'policy-role-without-grant');
  const names = found.map((f) => /^Policy "([^"]+)"/.exec(f.message)?.[1]).sort();
  // docs_read: anon has no grant here but its grants are not managed here; app_late: authenticated has none on app.late
  assert.deepEqual(names, ['app_late']);
});

test('Func.returnType: the return type, setof for a set, RETURNS TABLE as setof record (of its type for one column), none for a procedure', () => {
  const model = modelOf({
    'a.sql': `CREATE TABLE t (id int);
CREATE FUNCTION r1() RETURNS SETOF t LANGUAGE sql AS $$ SELECT * FROM t $$;
CREATE FUNCTION r2() RETURNS TABLE (id int, n int) LANGUAGE sql AS $$ SELECT id, 1 FROM t $$;
CREATE FUNCTION r6() RETURNS TABLE (id int) LANGUAGE sql AS $$ SELECT id FROM t $$;
CREATE FUNCTION r3() RETURNS void LANGUAGE sql AS $$ SELECT 1 $$;
CREATE FUNCTION r4() RETURNS int8 LANGUAGE sql AS $$ SELECT 1::int8 $$;
CREATE PROCEDURE r5() LANGUAGE sql AS $$ SELECT 1 $$;`,
  });
  const types = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6'].map((n) => model.functions.get(`public.${n}`)![0]!.returnType);
  // (one column: PostgreSQL's grammar makes RETURNS TABLE a set of that column's type)
  assert.deepEqual(types, ['setof t', 'setof record', 'void', 'bigint', '', 'setof integer']);
});
