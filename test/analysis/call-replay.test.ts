// A top-level `SELECT f('users')` of a PL/pgSQL function whose EXECUTEs build their statements from
// its parameters (parse.ts callTemplatesOf, model.ts replayCall; telehealth-platform-reference's
// apply_tenant_rls(target regclass)): the statements the call runs are replayed at the call. Each
// case compares the model with what PGlite makes of the same migrations.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { mergeConfig } from '../../server/src/analysis/config.js';
import { mayBeDynamic } from '../../server/src/analysis/dynamic-rls.js';
import { buildModel, type Model } from '../../server/src/analysis/model.js';
import { parseFile } from '../../server/src/analysis/parse.js';
import { closeAll, getDb, inRollback } from '../helpers/pg.js';
import { modelState, pgState } from '../helpers/model-state.js';
import { applyFix, findingsOf, initParser, lintFiles, sqlOf } from '../helpers/rule-proof.js';

before(initParser);
after(closeAll);

const model = (text: string, ...more: string[]): Model => buildModel([parseFile('1.sql', text), ...more.map((t, i) => parseFile(`${i + 2}.sql`, t))], mergeConfig({}));

const TELEHEALTH = `CREATE TABLE users (id uuid PRIMARY KEY, tenant_id uuid NOT NULL);
CREATE TABLE visits (id uuid PRIMARY KEY, tenant_id uuid NOT NULL);
CREATE TABLE notes (id uuid PRIMARY KEY, tenant_id uuid NOT NULL);
CREATE FUNCTION current_tenant_id() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT nullif(current_setting('app.tenant_id', true), '')::uuid $$;
CREATE OR REPLACE FUNCTION apply_tenant_rls(target regclass) RETURNS void AS $$
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', target);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', target);
    EXECUTE format($f$
        CREATE POLICY tenant_isolation ON %s
            USING      (tenant_id = current_tenant_id())
            WITH CHECK (tenant_id = current_tenant_id())
    $f$, target);
END;
$$ LANGUAGE plpgsql;
SELECT apply_tenant_rls('users');
SELECT apply_tenant_rls('visits');
`;

describe('call replay', () => {
  test("ok: telehealth's apply_tenant_rls(regclass) called per table: RLS enabled and forced and the policy made on each table it is called for, not on the others; as PGlite", async () => {
    const m = model(TELEHEALTH);
    assert.deepEqual(modelState(m), await pgState(TELEHEALTH));
    assert.deepEqual(modelState(m), ['notes false false ', 'users true true tenant_isolation:all', 'visits true true tenant_isolation:all']);
    // (what the calls do is known: nothing is "may be dynamic")
    assert.equal(mayBeDynamic(m, 'enable', m.tables.get('public.notes')!), false);
    // each policy stands at its call (its place in the replay), its condition where the function's string has it
    const p = m.tables.get('public.visits')!.policies[0]!;
    assert.equal(TELEHEALTH.slice(p.loc.start, p.loc.end), "SELECT apply_tenant_rls('visits')");
    const col = p.using!.A_Expr.lexpr.ColumnRef.location as number;
    assert.equal(TELEHEALTH.slice(col, col + 9), 'tenant_id');
  });

  test('ok: the findings on the policies a call makes: one per table at the string (its fix edits the function\'s string, so every call\'s policy gets it; PGlite), rls-not-enabled only on the table not called for', async () => {
    const { findings: r, ws } = lintFiles([{ file: 'db/1.sql', text: TELEHEALTH }], '');
    const perRow = r.filter((f) => f.rule === 'policy-per-row-function');
    assert.equal(perRow.length, 2);
    assert.ok(perRow.every((f) => f.fixes.length === 1 && f.fixes[0]!.edits.every((e) => TELEHEALTH.slice(e.start, e.end) === 'current_tenant_id()')));
    const fixed = applyFix(ws, perRow[0]!);
    assert.deepEqual(findingsOf(fixed, 'policy-per-row-function'), []);
    await inRollback(await getDb(), async (q) => {
      await q(sqlOf(fixed));
      const quals = await q(`SELECT tablename, qual FROM pg_policies WHERE policyname = 'tenant_isolation' ORDER BY 1`);
      assert.deepEqual(quals.map((x) => x.tablename), ['users', 'visits']);
      assert.ok(quals.every((x) => /\( SELECT current_tenant_id\(\) AS current_tenant_id\)/.test(x.qual as string)), JSON.stringify(quals));
    });
    assert.ok(perRow.every((f) => TELEHEALTH.slice(f.start).startsWith('current_tenant_id()')));
    const notEnabled = r.filter((f) => f.rule === 'rls-not-enabled').map((f) => f.message.match(/public\.\w+/)![0]);
    assert.deepEqual(notEnabled, ['public.notes']);
    // (a fix on the call's policy would edit the call: none)
    assert.ok(r.filter((f) => f.rule === 'policy-applies-to-public').every((f) => f.fixes.length === 0));
  });

  test('ok: a text parameter formatted with %I, schema-qualified in the pattern; a policy made between two calls on a table made between them', async () => {
    const text = `CREATE FUNCTION enable_rls(tbl text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY', tbl);
  EXECUTE format('CREATE POLICY %I ON public.%I FOR SELECT USING (true)', tbl || '_read', tbl);
END $$;
CREATE TABLE a (id int);
SELECT enable_rls('a');
CREATE TABLE b (id int);
SELECT enable_rls('b');
`;
    const m = model(text);
    assert.deepEqual(modelState(m), await pgState(text));
    assert.deepEqual(modelState(m), ['a true false a_read:select', 'b true false b_read:select']);
    const r = lintFiles([{ file: 'db/1.sql', text }], '').findings;
    assert.deepEqual(r.filter((f) => f.rule === 'policy-on-missing-table' || f.rule === 'syntax-error'), []);
  });

  test('not replayed: a call with a non-literal argument, a function with a static DDL statement, an EXECUTE not made from its parameters (the named table stays "may be dynamic")', () => {
    const fn = (extra: string, exec: string) => `CREATE TABLE a (id int);
CREATE FUNCTION enable_rls(tbl text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  ${extra}
  EXECUTE ${exec};
END $$;
`;
    for (const [text, named] of [
      [`${fn('', "format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tbl)")}SELECT enable_rls(lower('A'));`, false],
      [`${fn('CREATE TABLE IF NOT EXISTS log (x int);', "format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tbl)")}SELECT enable_rls('a');`, true],
      [`${fn('', "format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', (SELECT relname FROM pg_class LIMIT 1))")}SELECT enable_rls('a');`, true],
      [`${fn('', "format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tbl)")}SELECT enable_rls('a') FROM pg_class LIMIT 1;`, true],
    ] as const) {
      const m = model(text);
      assert.equal(m.tables.get('public.a')!.rlsEnabled, false, text);
      assert.equal(mayBeDynamic(m, 'enable', m.tables.get('public.a')!), named, text);
    }
  });

  test('not replayed: a call of a function made in another file (the statements\' nodes would have no text there to read), nor a value with a schema or capitals (%I and %s format it differently): its table stays "may be dynamic"', () => {
    const fn = `CREATE FUNCTION enable_rls(tbl text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tbl);
  EXECUTE format('CREATE POLICY %I ON %I FOR SELECT USING (true)', tbl || '_read', tbl);
END $$;
`;
    for (const m of [model(fn, "CREATE TABLE a (id int);\nSELECT enable_rls('a');"), model(`${fn}CREATE TABLE a (id int);\nSELECT enable_rls('public.a');`), model(`${fn}CREATE TABLE a (id int);\nSELECT enable_rls('A');`)]) {
      assert.equal(m.tables.get('public.a')!.rlsEnabled, false);
      assert.equal(mayBeDynamic(m, 'enable', m.tables.get('public.a')!), true);
    }
  });

  test("not replayed: a reserved key word as a value (`%s` puts `true` in as the constant, the template has a name there)", () => {
    const m = model(`CREATE TABLE a (id int);
CREATE FUNCTION mk(t text, cond text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE POLICY p ON %I FOR SELECT USING (%s)', t, cond);
END $$;
SELECT mk('a', 'true');`);
    assert.equal(m.tables.get('public.a')!.policies.length, 0);
  });

  test('the function the replay holds where the call runs: one dropped before the call is not run; one replaced runs its new body', () => {
    const fn = (cmd: string) => `CREATE OR REPLACE FUNCTION mk(t text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE POLICY p ON %I FOR ${cmd} USING (true)', t);
END $$;
`;
    const dropped = model(`CREATE TABLE a (id int);\n${fn('SELECT')}DROP FUNCTION mk(text);\nSELECT mk('a');`);
    assert.equal(dropped.tables.get('public.a')!.policies.length, 0);
    const replaced = model(`CREATE TABLE a (id int);\n${fn('SELECT')}${fn('DELETE')}SELECT mk('a');`);
    assert.deepEqual(replaced.tables.get('public.a')!.policies.map((p) => p.command), ['delete']);
  });

  test('an edit of the function changes what its calls make', () => {
    const text = `CREATE TABLE a (id int, owner text);
CREATE FUNCTION mk(t text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE POLICY p ON %I FOR SELECT USING (true)', t);
END $$;
SELECT mk('a');
`;
    const first = parseFile('1.sql', text);
    assert.equal(buildModel([first], mergeConfig({})).tables.get('public.a')!.policies[0]!.command, 'select');
    const edited = text.replace('FOR SELECT', 'FOR DELETE');
    const second = parseFile('1.sql', edited, first);
    const m = buildModel([second], mergeConfig({}));
    assert.equal(m.tables.get('public.a')!.policies[0]!.command, 'delete');
  });
});
