// The per-model policy index keeps each table's run of rows on the table object (policy-exprs.ts
// tableRuns), recursion.ts activeReads keeps each kept run's reads records on it, and
// policy-type-mismatch keeps on a run whether its expressions cast to a number and on each overload
// list whether a body does: a re-lint's model shares the tables and lists an edit does not touch.
// Each test lints an editing Workspace (as the language server makes it: its first edit already
// redoes segments from their records, so the tables of untouched files are the same objects),
// edits what a kept result depends on in ANOTHER file (a function a policy calls, the policy's
// table, a grant, a role, a rejection, the default schema), re-lints the same Workspace and
// compares every finding with what a fresh Workspace finds; and checks that the index's runs
// are its active rows, in order.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { DEFAULT_CONFIG, type Config } from '../../server/src/analysis/config.js';
import { activeRows, activeRuns } from '../../server/src/analysis/policy-exprs.js';
import { initParser, Workspace } from '../../server/src/engine/workspace.js';
import { fresh, summary } from '../helpers/relint.js';

before(initParser);

function count(ws: Workspace, rule: string): number {
  return [...ws.lint().byFile.values()].flat().filter((f) => f.rule === rule).length;
}

/** The runs of the index, one after the other, are its active rows (the same row objects, in order). */
function runsAreActiveRows(ws: Workspace, step: string): void {
  const m = ws.model();
  const flat = activeRuns(m).flatMap((r) => r.active);
  const rows = activeRows(m);
  assert.equal(flat.length, rows.length, `${step}: runs and active rows`);
  for (let i = 0; i < rows.length; i++) assert.ok(flat[i] === rows[i], `${step}: run row ${i} is not the active row`);
}

/**
 * Lints an editing workspace, then applies each edit ([file, text], or [file, undefined] to remove
 * the file) and checks it against a fresh one; returns the counts of `rule` per step.
 */
function steps(files: Record<string, string>, rule: string, edits: Array<[string, string | undefined]>, config: Config = DEFAULT_CONFIG): number[] {
  const ws = new Workspace(config, undefined, { editing: true });
  for (const [f, t] of Object.entries(files)) ws.setFile(f, t);
  runsAreActiveRows(ws, 'first lint');
  const counts = [count(ws, rule)];
  for (const [i, [file, text]] of edits.entries()) {
    if (text === undefined) ws.removeFile(file);
    else ws.setFile(file, text);
    assert.deepEqual(summary(ws), summary(fresh(ws)), `step ${i + 1} (${file}) differs from a fresh lint`);
    runsAreActiveRows(ws, `step ${i + 1}`);
    counts.push(count(ws, rule));
  }
  return counts;
}

/** Tables whose policies call helpers, none of them touched by the edits (their runs are kept). */
const OTHERS = Array.from({ length: 6 }, (_, i) => `CREATE TABLE other_${i} (id int PRIMARY KEY, autor integer, owner_id uuid);
ALTER TABLE other_${i} ENABLE ROW LEVEL SECURITY;
GRANT SELECT, UPDATE ON other_${i} TO authenticated;
CREATE POLICY other_${i}_read ON other_${i} FOR SELECT TO authenticated USING (autor = current_user_id());
CREATE POLICY other_${i}_write ON other_${i} FOR UPDATE TO authenticated USING (owner_id = auth.uid()) WITH CHECK (owner_id = auth.uid());
`).join('');

const CAST_HELPER = 'CREATE FUNCTION current_user_id() RETURNS integer LANGUAGE sql STABLE AS $$ SELECT auth.uid()::text::integer $$;';
const SAFE_HELPER = "CREATE FUNCTION current_user_id() RETURNS integer LANGUAGE sql STABLE AS $$ SELECT (auth.jwt() ->> 'user_number')::integer $$;";

test('policy-type-mismatch: a helper the policies call, in another file, gaining and losing the uuid cast through text; a policy of its own text cast added and removed (kept per run and per overload list)', () => {
  const files = {
    '1_helper.sql': SAFE_HELPER,
    '2_tables.sql': OTHERS,
    '3_own.sql': 'SELECT 1;',
  };
  const own = `CREATE TABLE notes (id int PRIMARY KEY, autor integer);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_read ON notes FOR SELECT TO authenticated USING (autor = auth.uid()::text::integer);`;
  const counts = steps(files, 'policy-type-mismatch', [
    ['1_helper.sql', CAST_HELPER],
    ['1_helper.sql', SAFE_HELPER],
    ['3_own.sql', own],
    ['1_helper.sql', CAST_HELPER],
    ['3_own.sql', 'SELECT 1;'],
    ['1_helper.sql', `${SAFE_HELPER}\nCREATE FUNCTION other_id() RETURNS integer LANGUAGE sql STABLE AS $$ SELECT auth.uid()::text::integer $$;`],
    ['1_helper.sql', undefined],
    ['1_helper.sql', CAST_HELPER],
  ]);
  assert.deepEqual(counts, [0, 6, 0, 1, 7, 6, 0, 0, 6]);
});

test('policy index: a policy early on a key a CREATE TABLE makes (its FOREIGN KEY names a table made later: no table) becomes a policy on a table the workspace does not create when that file goes, and back (the row kept on its statement is made again)', () => {
  const items = `CREATE TABLE items (id int PRIMARY KEY, org_id int REFERENCES orgs (id));
ALTER TABLE items ENABLE ROW LEVEL SECURITY;`;
  const files = {
    '1_items.sql': items,
    '2_orgs.sql': 'CREATE TABLE orgs (id int PRIMARY KEY);',
    '3_policy.sql': "CREATE POLICY items_org ON items USING (org_id = current_setting('app.org_id', true)::int);",
    '4_more.sql': OTHERS,
  };
  const counts = steps(files, 'policy-current-setting-unsafe', [
    ['1_items.sql', undefined],
    ['4_more.sql', `${OTHERS}\n-- edited`],
    ['1_items.sql', items],
    ['4_more.sql', OTHERS],
    ['1_items.sql', 'SELECT 1;'],
    ['1_items.sql', items.replace(' REFERENCES orgs (id)', '')],
    ['1_items.sql', items],
  ]);
  assert.deepEqual(counts, [0, 1, 1, 0, 0, 1, 1, 0]);
});

test('policy index and activeReads: the policies of a table untouched by the edits, after its RLS, its grants, a role, a membership, a helper it calls and a table its sub-select reads change in other files (policy-recursion, definer-helper-under-force-rls, policy-calls-without-execute, policy-reads-without-grant)', () => {
  const helper = (security: string) => `CREATE FUNCTION is_member(t uuid) RETURNS boolean LANGUAGE sql STABLE ${security} AS $$ SELECT EXISTS (SELECT 1 FROM members WHERE tenant_id = t) $$;`;
  const files = {
    '1_helper.sql': helper('SECURITY DEFINER'),
    '2_tables.sql': `CREATE TABLE members (tenant_id uuid, user_id uuid);
ALTER TABLE members ENABLE ROW LEVEL SECURITY;
ALTER TABLE members FORCE ROW LEVEL SECURITY;
CREATE POLICY m ON members FOR SELECT TO authenticated USING (is_member(tenant_id));
CREATE TABLE docs (id int PRIMARY KEY, tenant_id uuid);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON docs TO authenticated;
CREATE POLICY d ON docs FOR SELECT TO authenticated USING (tenant_id IN (SELECT tenant_id FROM teams WHERE owner = auth.uid()));
${OTHERS}`,
    '3_later.sql': 'SELECT 1;',
  };
  const later: Array<[string, string | undefined]> = [
    ['1_helper.sql', helper('')],
    ['1_helper.sql', helper('SECURITY DEFINER')],
    ['3_later.sql', 'ALTER TABLE members NO FORCE ROW LEVEL SECURITY;'],
    ['3_later.sql', 'CREATE ROLE admin BYPASSRLS; ALTER FUNCTION is_member(uuid) OWNER TO admin;'],
    ['3_later.sql', 'REVOKE EXECUTE ON FUNCTION is_member(uuid) FROM PUBLIC;'],
    ['3_later.sql', 'CREATE TABLE teams (tenant_id uuid, owner uuid); ALTER TABLE teams ENABLE ROW LEVEL SECURITY; CREATE POLICY t ON teams FOR SELECT TO authenticated USING (tenant_id IN (SELECT tenant_id FROM docs));'],
    ['3_later.sql', 'CREATE TABLE teams (tenant_id uuid, owner uuid); GRANT SELECT ON teams TO authenticated;'],
    ['3_later.sql', 'CREATE ROLE app_user; GRANT authenticated TO app_user; GRANT SELECT ON members TO app_user;'],
    ['3_later.sql', 'ALTER TABLE members DISABLE ROW LEVEL SECURITY;'],
    ['1_helper.sql', undefined],
    ['3_later.sql', 'SELECT 1;'],
    ['1_helper.sql', helper('SECURITY DEFINER')],
  ];
  for (const rule of ['definer-helper-under-force-rls', 'policy-recursion', 'policy-calls-without-execute', 'policy-reads-without-grant']) {
    const counts = steps(files, rule, later);
    if (rule === 'definer-helper-under-force-rls') assert.deepEqual(counts, [1, 0, 1, 0, 0, 1, 1, 1, 1, 0, 0, 0, 1]);
    // (the helper made SECURITY INVOKER reads members under members' own policy: 54001)
    if (rule === 'policy-recursion') assert.deepEqual(counts, [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  }
});

test('policy index: a policy of an untouched table rejected, then accepted again, by a column of the table its sub-select reads, changed in another file (its kept run is not taken while it is rejected)', () => {
  const teams = (col: string) => `CREATE TABLE teams (tenant_id uuid, ${col} uuid);`;
  const files = {
    '1_teams.sql': teams('owner'),
    '2_docs.sql': `CREATE TABLE docs (id int PRIMARY KEY, tenant_id uuid);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON docs TO authenticated;
CREATE POLICY d ON docs FOR SELECT TO authenticated USING (tenant_id IN (SELECT tenant_id FROM teams WHERE owner = auth.uid()));
CREATE POLICY d2 ON docs FOR UPDATE TO authenticated USING (tenant_id IS NOT NULL);
${OTHERS}`,
  };
  const counts = steps(files, 'policy-unknown-column', [
    ['1_teams.sql', teams('manager')],
    ['1_teams.sql', teams('owner')],
    ['1_teams.sql', teams('manager')],
    ['1_teams.sql', undefined],
    ['1_teams.sql', teams('owner')],
  ]);
  assert.deepEqual(counts, [0, 1, 0, 1, 0, 0]);
});

test('activeReads: the reads kept on a run follow the default schema (a policy reading an unqualified table, the config changed)', () => {
  const files = {
    '1_tables.sql': `CREATE SCHEMA app;
CREATE TABLE app.teams (tenant_id uuid, owner uuid);
ALTER TABLE app.teams ENABLE ROW LEVEL SECURITY;
CREATE TABLE app.docs (id int PRIMARY KEY, tenant_id uuid);
ALTER TABLE app.docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY t ON app.teams FOR SELECT TO authenticated USING (tenant_id IN (SELECT tenant_id FROM docs));
CREATE POLICY d ON app.docs FOR SELECT TO authenticated USING (tenant_id IN (SELECT tenant_id FROM teams));
${OTHERS}`,
    '2_other.sql': 'SELECT 1;',
  };
  const ws = new Workspace(DEFAULT_CONFIG, undefined, { editing: true });
  for (const [f, t] of Object.entries(files)) ws.setFile(f, t);
  const recursion = () => count(ws, 'policy-recursion');
  const before = recursion();
  ws.setConfig({ ...DEFAULT_CONFIG, defaultSchema: 'app' });
  ws.setFile('2_other.sql', 'SELECT 2;');
  assert.deepEqual(summary(ws), summary(fresh(ws)));
  const inApp = recursion();
  ws.setConfig(DEFAULT_CONFIG);
  ws.setFile('2_other.sql', 'SELECT 1;');
  assert.deepEqual(summary(ws), summary(fresh(ws)));
  assert.deepEqual([before, inApp, recursion()], [0, inApp, 0]);
  assert.ok(inApp > 0, 'under default schema app, the two policies read each other (42P17)');
});

test('policy index: a policy written before the CREATE TABLE of the last table (on its key, not among its policies) put next to its kept run and taken away again, in another file (a kept run is taken only where no other policy on its key follows it)', () => {
  const early = (on: boolean) => (on ? `CREATE POLICY early ON zz FOR UPDATE TO authenticated USING (true);\n` : '') + 'SELECT 1;';
  const tables = `CREATE TABLE aa (id int PRIMARY KEY, owner_id uuid);
ALTER TABLE aa ENABLE ROW LEVEL SECURITY;
CREATE POLICY aa_sel ON aa FOR SELECT TO authenticated USING (owner_id = auth.uid());
GRANT SELECT, UPDATE ON aa TO authenticated;
CREATE TABLE zz (id int PRIMARY KEY, owner_id uuid);
ALTER TABLE zz ENABLE ROW LEVEL SECURITY;
CREATE POLICY zz_upd ON zz FOR UPDATE TO authenticated USING (owner_id = auth.uid());
CREATE POLICY zz_del ON zz FOR DELETE TO authenticated USING (owner_id = auth.uid());
GRANT SELECT, UPDATE, DELETE ON zz TO authenticated;`;
  const ws = new Workspace();
  ws.setFile('1_early.sql', early(false));
  ws.setFile('2_tables.sql', tables);
  ws.lint();
  for (const [i, on] of [true, false, true, false].entries()) {
    ws.setFile('1_early.sql', early(on));
    assert.deepEqual(summary(ws), summary(fresh(ws)), `step ${i + 1} differs from a fresh lint`);
    // (the early policy comes right after zz's own: the tables' policies, then the others)
    assert.deepEqual(ws.lint().model.policies.map((p) => `${p.table} ${p.name}`).slice(-3), on ? ['public.zz zz_upd', 'public.zz zz_del', 'public.zz early'] : ['public.aa aa_sel', 'public.zz zz_upd', 'public.zz zz_del']);
  }
});
