// The pure insight module and the RLS matrix: names under the cursor, hover data, navigation,
// CodeLens titles, outline, completion context, matrix cells. Non-ASCII text sits before
// every name so that offsets are UTF-16 code units, not bytes.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { mergeConfig } from '../../server/src/analysis/config.js';
import {
  completionContext,
  definitionOf,
  documentSymbols,
  functionInfo,
  functionOf,
  refAt,
  referencesOf,
  relationInfo,
  roleCandidates,
  tableCandidates,
  tableLenses,
  workspaceSymbols,
} from '../../server/src/analysis/insight.js';
import { rlsMatrix } from '../../server/src/analysis/matrix.js';
import { buildModel, type Model } from '../../server/src/analysis/model.js';
import { initParser, parseFile } from '../../server/src/analysis/parse.js';
import { INSIGHT_FILES } from '../helpers/insight-fixtures.js';

before(async () => {
  await initParser();
});

function model(files: Record<string, string> = INSIGHT_FILES, config = {}): Model {
  return buildModel(Object.entries(files).map(([f, t]) => parseFile(f, t)), mergeConfig(config));
}

/** UTF-16 offset of the n-th occurrence of `needle` in a fixture file, plus `delta`. */
function at(file: string, needle: string, n = 0, delta = 1): number {
  const text = INSIGHT_FILES[file]!;
  let k = -1;
  for (let i = 0; i <= n; i++) k = text.indexOf(needle, k + 1);
  assert.ok(k >= 0, needle);
  return k + delta;
}

const textAt = (loc: { file: string; start: number; end: number }) => INSIGHT_FILES[loc.file]!.slice(loc.start, loc.end);

describe('names under the cursor', () => {
  test('ok: a table in a policy ON, a FROM in a view, a qualified CREATE TABLE name', () => {
    const m = model();
    const r = refAt(m, '3_policies.sql', at('3_policies.sql', 'ON docs', 0, 4))!;
    assert.equal(r.kind, 'relation');
    assert.equal(r.key, 'public.docs');
    assert.equal(textAt(r), 'docs');
    const v = refAt(m, '3_policies.sql', at('3_policies.sql', 'FROM docs', 0, 9))!; // at the name's end
    assert.equal(v.key, 'public.docs');
    const c = refAt(m, '1_tables.sql', at('1_tables.sql', 'public.docs', 0, 8))!;
    assert.equal(c.definition, true);
    assert.equal(textAt(c), 'public.docs');
    assert.equal(refAt(m, '3_policies.sql', at('3_policies.sql', 'CREATE POLICY', 0, 2)), undefined);
  });

  test('ok: a function call in a policy, its CREATE FUNCTION name, REVOKE/GRANT names', () => {
    const m = model();
    const call = refAt(m, '3_policies.sql', at('3_policies.sql', 'is_member('))!;
    assert.equal(call.kind, 'function');
    assert.equal(call.key, 'public.is_member');
    assert.equal(call.argCount, 1);
    const def = refAt(m, '2_functions.sql', at('2_functions.sql', 'is_member(t'))!;
    assert.equal(def.definition, true);
    assert.equal(textAt(def), 'is_member');
    assert.equal(functionOf(m, def), functionOf(m, call));
    const refs = referencesOf(m, call, true).map((l) => `${l.file}:${textAt(l)}`);
    assert.deepEqual(refs, ['2_functions.sql:is_member', '2_functions.sql:is_member', '2_functions.sql:is_member', '3_policies.sql:is_member']);
    assert.equal(referencesOf(m, call, false).length, 3);
  });
});

describe('hover data', () => {
  test('ok: table: RLS state and policies by command with their USING / WITH CHECK text and line', () => {
    const info = relationInfo(model(), 'public.docs');
    assert.equal(info.kind, 'table');
    assert.equal(info.rlsEnabled, true);
    assert.equal(info.rlsForced, true);
    assert.deepEqual(
      info.policies.map((p) => [p.name, p.command, p.permissive, p.roles.join(','), p.using, p.withCheck, p.loc.file, p.line]),
      [
        ['docs_guard', 'all', false, 'authenticated', 'owner_id IS NOT NULL', undefined, '3_policies.sql', 4],
        ['docs_select', 'select', true, 'authenticated', 'is_member(tenant_id) /* 😀 */', undefined, '3_policies.sql', 2],
        ['docs_insert', 'insert', true, 'app_user', undefined, 'true', '3_policies.sql', 3],
      ],
    );
    const unknown = relationInfo(model(), 'auth.users');
    assert.equal(unknown.kind, 'unknown');
    assert.deepEqual(relationInfo(model(), 'public.docs_view').kind, 'view');
  });

  test('ok: function: language, definer, volatility, search_path, EXECUTE grants, calling policies', () => {
    const m = model();
    const f = functionOf(m, refAt(m, '3_policies.sql', at('3_policies.sql', 'is_member('))!)!;
    const info = functionInfo(m, f);
    assert.equal(info.signature, 'public.is_member(uuid)');
    assert.equal(info.language, 'plpgsql');
    assert.equal(info.securityDefiner, true);
    assert.equal(info.volatility, 'stable');
    assert.deepEqual(info.searchPath, ['public', 'pg_temp']);
    assert.equal(info.publicExecute, false);
    assert.deepEqual(info.executeGrants, ['authenticated']);
    assert.deepEqual(info.calledBy.map((p) => p.name), ['docs_select']);
    assert.equal(textAt(info.definition), 'is_member');
  });
});

describe('navigation', () => {
  test('ok: definition of a call and of a table reference, across files', () => {
    const m = model();
    const d = definitionOf(m, refAt(m, '3_policies.sql', at('3_policies.sql', 'is_member('))!)!;
    assert.equal(d.file, '2_functions.sql');
    assert.equal(textAt(d), 'is_member');
    const t = definitionOf(m, refAt(m, '3_policies.sql', at('3_policies.sql', 'FROM docs', 0, 6))!)!;
    assert.equal(t.file, '1_tables.sql');
    assert.equal(textAt(t), 'public.docs');
  });

  test('ok: references of a table: policies ON it, ALTERs, GRANTs, a function body, a view', () => {
    const m = model();
    const ref = refAt(m, '1_tables.sql', at('1_tables.sql', 'public.docs'))!;
    const refs = referencesOf(m, ref, false).map((l) => `${l.file}:${INSIGHT_FILES[l.file]!.slice(0, l.start).split('\n').length}`);
    assert.deepEqual(refs, ['1_tables.sql:3', '1_tables.sql:4', '1_tables.sql:7', '2_functions.sql:3', '3_policies.sql:2', '3_policies.sql:3', '3_policies.sql:4', '3_policies.sql:5']);
    assert.equal(referencesOf(m, ref, true).length, 9);
  });

  test('ok: a foreign table: its CREATE FOREIGN TABLE name is the declaration, left out of references without it', () => {
    const text = "-- données 日本 🎉\nCREATE FOREIGN TABLE public.rates (code text, rate numeric) SERVER fx;\nGRANT SELECT ON public.rates TO web;\nCREATE VIEW public.v AS SELECT * FROM public.rates;\n";
    const m = model({ 'f.sql': text });
    const decl = refAt(m, 'f.sql', text.indexOf('public.rates') + 1)!;
    assert.equal(decl.definition, true);
    assert.deepEqual(referencesOf(m, decl, true).map((l) => text.slice(0, l.start).split('\n').length), [2, 3, 4]);
    assert.deepEqual(referencesOf(m, decl, false).map((l) => text.slice(0, l.start).split('\n').length), [3, 4]);
  });
});

describe('CodeLens and symbols', () => {
  test('ok: one lens per CREATE TABLE with the RLS summary and the policies', () => {
    const lenses = tableLenses(model(), '1_tables.sql');
    assert.deepEqual(
      lenses.map((l) => [l.table, l.title, l.policies.length, textAt(l.at)]),
      [
        ['public.docs', 'RLS on · forced · 3 policies', 3, 'public.docs'],
        ['public.notes', 'RLS off', 0, 'notes'],
      ],
    );
    const m2 = model({ 'a.sql': 'CREATE TABLE t (id int);\nALTER TABLE t ENABLE ROW LEVEL SECURITY;\n' });
    assert.equal(tableLenses(m2, 'a.sql')[0]!.title, 'RLS on · not forced · 0 policies');
  });

  test('ok: outline nests the policies of this file; the others are named in the detail', () => {
    const m = model();
    const tables = documentSymbols(m, '1_tables.sql');
    assert.deepEqual(tables.map((s) => [s.kind, s.name]), [['table', 'public.docs'], ['table', 'public.notes'], ['role', 'app_user']]);
    assert.match(tables[0]!.detail!, /^RLS on · forced · 3 policies \(in other files: docs_select \(3_policies\.sql:2\), docs_insert \(3_policies\.sql:3\), docs_guard \(3_policies\.sql:4\)\)$/);
    const policies = documentSymbols(m, '3_policies.sql');
    assert.deepEqual(policies.map((s) => [s.kind, s.name]), [['table', 'public.docs'], ['view', 'public.docs_view']]);
    assert.deepEqual(policies[0]!.children.map((c) => [c.kind, c.name, c.detail, textAt(c.selection)]), [
      ['policy', 'docs_select', 'SELECT · TO authenticated', 'docs_select'],
      ['policy', 'docs_insert', 'INSERT · TO app_user', 'docs_insert'],
      ['policy', 'docs_guard', 'restrictive · ALL · TO authenticated', 'docs_guard'],
    ]);
    const fns = documentSymbols(m, '2_functions.sql');
    assert.deepEqual(fns.map((s) => [s.kind, s.name, s.detail]), [['function', 'public.is_member(uuid)', 'SECURITY DEFINER · plpgsql · stable']]);
  });

  test('ok: workspace symbols filter by a fuzzy query', () => {
    const m = model();
    assert.deepEqual(workspaceSymbols(m, 'dsel').map((s) => [s.kind, s.name, s.container]), [['policy', 'docs_select', 'public.docs']]);
    assert.ok(workspaceSymbols(m, '').length >= 8);
    assert.deepEqual(workspaceSymbols(m, 'ismem').map((s) => s.name), ['public.is_member(uuid)']);
  });
});

describe('triggers', () => {
  const TEXT =
    '-- déclencheurs 😀\n' +
    'CREATE TABLE t (id int);\n' +
    "CREATE FUNCTION audit.log_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit_log VALUES (1); RETURN NEW; END $$;\n" +
    'CREATE TRIGGER t_audit AFTER UPDATE ON t FOR EACH ROW EXECUTE FUNCTION audit.log_change();\n';
  const slice = (l: { start: number; end: number }) => TEXT.slice(l.start, l.end);

  test('ok: a trigger is nested under its table; its function name resolves to the CREATE FUNCTION', () => {
    const m = model({ 'a.sql': TEXT });
    const symbols = documentSymbols(m, 'a.sql');
    assert.deepEqual(symbols.map((x) => [x.kind, x.name]), [['table', 'public.t'], ['function', 'audit.log_change()']]);
    assert.deepEqual(symbols[0]!.children.map((c) => [c.kind, c.name, c.detail, slice(c.selection)]), [['trigger', 't_audit', 'EXECUTE FUNCTION audit.log_change', 't_audit']]);
    const ref = refAt(m, 'a.sql', TEXT.lastIndexOf('log_change'))!;
    assert.equal(ref.kind, 'function');
    assert.equal(slice(ref), 'audit.log_change');
    assert.equal(slice(definitionOf(m, ref)!), 'audit.log_change');
    assert.equal(referencesOf(m, ref, true).length, 2);
    assert.equal(functionInfo(m, functionOf(m, ref)!).returnsTrigger, true);
  });
});

describe('completion context', () => {
  test('ok: roles after CREATE POLICY … TO, tables after ON / ALTER TABLE / GRANT … ON', () => {
    assert.deepEqual(completionContext('CREATE TABLE t (id int);\nCREATE POLICY p ON t FOR SELECT TO '), { kind: 'role' });
    assert.deepEqual(completionContext('CREATE POLICY p ON t TO authenticated, a'), { kind: 'role' });
    assert.deepEqual(completionContext('CREATE POLICY "é p" ON '), { kind: 'table' });
    assert.deepEqual(completionContext('create policy p on pub'), { kind: 'table' });
    assert.deepEqual(completionContext('CREATE TRIGGER tr AFTER INSERT ON '), { kind: 'table' });
    assert.deepEqual(completionContext('ALTER TABLE '), { kind: 'table' });
    assert.deepEqual(completionContext('GRANT SELECT ON '), { kind: 'table' });
    assert.equal(completionContext('GRANT EXECUTE ON FUNCTION '), undefined);
    assert.equal(completionContext('CREATE POLICY p ON t TO a USING (x = '), undefined);
    assert.equal(completionContext("CREATE POLICY p ON t TO a; SELECT 'TO "), undefined);
    assert.equal(completionContext('-- CREATE POLICY p ON t TO \n'), undefined);
    assert.equal(completionContext('SELECT 1 FROM '), undefined);
  });

  test('ok: candidates: declared and used roles, Supabase roles when Supabase-like, PUBLIC; tables unqualified in the default schema', () => {
    const m = model();
    assert.deepEqual(roleCandidates(m).map((r) => r.name), ['app_user', 'authenticated', 'anon', 'public']);
    assert.deepEqual(roleCandidates(model({ 'a.sql': 'CREATE POLICY p ON t TO app;' })).map((r) => r.name), ['app', 'public']);
    assert.deepEqual(tableCandidates(model({ 'a.sql': 'CREATE TABLE t (id int); CREATE TABLE s.u (id int);' })).map((t) => t.name), ['t', 's.u']);
  });
});

describe('RLS matrix', () => {
  test('ok: allow / filtered / deny / rls-off per table × role × command', () => {
    const mx = rlsMatrix(model());
    assert.deepEqual(mx.roles, ['app_user', 'authenticated']);
    const docs = mx.tables.find((t) => t.table === 'public.docs')!;
    assert.deepEqual(docs.cells.app_user!.insert, { access: 'allow', policies: ['docs_insert'] });
    assert.deepEqual(docs.cells.app_user!.select, { access: 'deny', policies: [], reason: 'no permissive policy' });
    assert.deepEqual(docs.cells.authenticated!.select, { access: 'filtered', policies: ['docs_select', 'docs_guard'] });
    assert.equal(docs.cells.authenticated!.update.reason, 'no GRANT');
    const notes = mx.tables.find((t) => t.table === 'public.notes')!;
    assert.deepEqual(notes.cells.app_user!.select, { access: 'deny', policies: [], reason: 'no GRANT' });
  });

  test('ok: no GRANT anywhere: RLS off lets every role see all; owner and BYPASSRLS bypass; a true permissive allows', () => {
    const mx = rlsMatrix(
      model({
        'a.sql':
          'CREATE ROLE admin BYPASSRLS; CREATE ROLE app; CREATE TABLE open (id int);\n' +
          'CREATE TABLE t (id int); ALTER TABLE t ENABLE ROW LEVEL SECURITY; ALTER TABLE t OWNER TO app;\n' +
          'CREATE TABLE u (id int); ALTER TABLE u ENABLE ROW LEVEL SECURITY; CREATE POLICY all_u ON u USING (true);\n',
      }),
    );
    assert.deepEqual(mx.roles, ['admin', 'app', 'public']);
    const row = (k: string) => mx.tables.find((t) => t.table === k)!;
    assert.equal(row('public.open').cells.app!.delete.access, 'rls-off');
    assert.deepEqual(row('public.t').cells.app!.select, { access: 'bypass', policies: [], reason: 'owner (RLS not forced)' });
    assert.deepEqual(row('public.t').cells.admin!.select, { access: 'bypass', policies: [], reason: 'BYPASSRLS' });
    assert.equal(row('public.t').cells.public!.select.access, 'deny');
    assert.deepEqual(row('public.u').cells.public!.update, { access: 'allow', policies: ['all_u'] });
  });

  // Calibration (hps-dealengine: 69 policies made by `DO … EXECUTE $$create policy …$$`): the
  // matrix said "deny (no permissive policy)" of tables whose policies it does not read.
  test('ok: a table whose policies dynamic SQL may create is unknown, not deny', () => {
    const mx = rlsMatrix(
      model({
        'a.sql':
          'CREATE ROLE app; CREATE TABLE deals (id int, org_id int); ALTER TABLE deals ENABLE ROW LEVEL SECURITY; GRANT SELECT ON deals TO app;\n' +
          'CREATE TABLE cards (id int, org_id int); ALTER TABLE cards ENABLE ROW LEVEL SECURITY; GRANT SELECT ON cards TO app;\n' +
          "DO $$ DECLARE t text; BEGIN SELECT relname INTO t FROM pg_class WHERE relname = 'deals'; EXECUTE format('CREATE POLICY deals_org ON %I FOR SELECT TO app USING (org_id = 1)', t); END $$;\n" +
          "DO $$ BEGIN EXECUTE 'CREATE POLICY cards_org ON cards FOR SELECT TO app USING (org_id = 1)'; END $$;\n" +
          'CREATE TABLE notes (id int); ALTER TABLE notes ENABLE ROW LEVEL SECURITY; GRANT SELECT ON notes TO app;\n',
      }),
    );
    // (a constant string's policy is replayed, as a static statement of the block: known; a name
    // a query reads into a variable is not)
    const row = (k: string) => mx.tables.find((t) => t.table === k)!;
    assert.deepEqual(row('public.deals').cells.app!.select, { access: 'unknown', policies: [], reason: 'policies made by dynamic SQL' });
    assert.deepEqual(row('public.notes').cells.app!.select, { access: 'deny', policies: [], reason: 'no permissive policy' });
    assert.deepEqual(row('public.cards').cells.app!.select, { access: 'filtered', policies: ['cards_org'] });
  });
});
