// Results the rules keep across lints (on parsed statements and AST nodes, which survive an
// edit of another file, while the model is rebuilt) must follow every fact they depend on.
// Each test lints a workspace, edits something a kept result depends on in ANOTHER file,
// re-lints the same Workspace and compares with what a fresh Workspace finds.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { DEFAULT_CONFIG, type Config } from '../../server/src/analysis/config.js';
import { checkFix, initParser, Workspace } from '../../server/src/engine/workspace.js';
import { reportKeeper } from '../../server/src/rules/lib/util.js';
import { checkKeptRejectionsWith } from '../../server/src/analysis/rejected.js';
import type { Policy } from '../../server/src/analysis/model.js';
import { fresh, summary } from '../helpers/relint.js';

/** the policies whose verdict (accepted) a re-lint kept from the model before (rejected.ts): each asked again here */
let keptVerdicts = 0;
/** the names of the policies whose verdict the last re-lints kept */
const keptNames = new Set<string>();
before(async () => {
  await initParser();
  checkKeptRejectionsWith((p: Policy, asked) => {
    keptVerdicts++;
    keptNames.add(p.name);
    assert.equal(asked, undefined, `policy ${p.name} on ${p.table}: its kept verdict (accepted) is not what asking again says (${asked?.code})`);
  });
});

function count(ws: Workspace, rule: string): number {
  return [...ws.lint().byFile.values()].flat().filter((f) => f.rule === rule).length;
}

/** Lints, then applies each step to the same workspace and checks it against a fresh one; returns the rule's counts. */
function steps(files: Record<string, string>, rule: string, edits: Array<[string, string]>, config: Config = DEFAULT_CONFIG): number[] {
  const ws = new Workspace(config);
  for (const [f, t] of Object.entries(files)) ws.setFile(f, t);
  const counts = [count(ws, rule)];
  for (const [i, [file, text]] of edits.entries()) {
    ws.setFile(file, text);
    assert.deepEqual(summary(ws), summary(fresh(ws)), `step ${i + 1} (${file}) differs from a fresh lint`);
    counts.push(count(ws, rule));
  }
  return counts;
}

const TABLE = `CREATE TABLE docs (id int PRIMARY KEY, owner_id uuid NOT NULL, tenant_id uuid);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
ALTER TABLE docs FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON docs TO authenticated;
`;

test('policy-context-fails-open / current-setting-unsafe: a helper body, its SET clause, its removal in another file', () => {
  const helper = (body: string) => `CREATE FUNCTION app_tenant() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT ${body} $$;`;
  const policy = `${TABLE}CREATE POLICY p ON docs FOR SELECT TO authenticated USING (app_tenant() IS NULL OR tenant_id = app_tenant());
CREATE POLICY q ON docs FOR UPDATE TO authenticated USING (tenant_id = app_tenant()) WITH CHECK (app_tenant() IS NULL OR tenant_id = app_tenant());`;
  const open = helper(`current_setting('app.tenant_id', true)::uuid`);
  const counts = steps({ '1_helper.sql': open, '2_policy.sql': policy }, 'policy-context-fails-open', [
    ['1_helper.sql', helper(`nullif(current_setting('app.tenant_id', true), '')::uuid`)],
    ['1_helper.sql', helper(`'00000000-0000-0000-0000-000000000001'::uuid`)],
    ['1_helper.sql', open],
    ['1_helper.sql', `${open}\nALTER FUNCTION app_tenant() SET app.tenant_id = '00000000-0000-0000-0000-000000000001';`],
    ['1_helper.sql', 'SELECT 1;'],
    ['1_helper.sql', open],
  ]);
  assert.ok(counts[0]! > 0 && counts.includes(0), `counts ${counts}`);
  const unsafe = steps({ '1_helper.sql': open, '2_policy.sql': policy }, 'policy-current-setting-unsafe', [
    ['1_helper.sql', helper(`current_setting('app.tenant_id')::uuid`)],
    ['1_helper.sql', helper(`nullif(current_setting('app.tenant_id', true), '')::uuid`)],
    ['1_helper.sql', open],
  ]);
  assert.deepEqual(unsafe, [1, 1, 0, 1]);
});

test('policy-context-fails-open: a workspace auth.uid() in another file', () => {
  const policy = `${TABLE}CREATE POLICY p ON docs FOR SELECT TO authenticated USING (auth.uid() IS NULL OR owner_id = auth.uid());`;
  const counts = steps({ '1_auth.sql': 'SELECT 1;', '2_policy.sql': policy }, 'policy-context-fails-open', [
    ['1_auth.sql', `CREATE SCHEMA auth; CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT '00000000-0000-0000-0000-000000000001'::uuid $$;`],
    ['1_auth.sql', 'SELECT 1;'],
  ]);
  assert.deepEqual(counts, [1, 0, 1]);
});

test('policy-per-row-function / policy-column-not-indexed: a helper volatility in another file', () => {
  const helper = (v: string) => `CREATE FUNCTION my_uid() RETURNS uuid LANGUAGE sql ${v} AS $$ SELECT auth.uid() $$;`;
  const policy = `${TABLE}CREATE POLICY p ON docs FOR SELECT TO authenticated USING (owner_id = my_uid());`;
  const perRow = steps({ '1_helper.sql': helper('STABLE'), '2_policy.sql': policy }, 'policy-per-row-function', [
    ['1_helper.sql', helper('VOLATILE')],
    ['1_helper.sql', helper('STABLE')],
    ['1_helper.sql', `${helper('STABLE')}\nALTER FUNCTION my_uid() VOLATILE;`],
    ['1_helper.sql', 'SELECT 1;'],
  ]);
  assert.deepEqual(perRow, [1, 0, 1, 0, 0]);
  const index = steps({ '1_helper.sql': helper('STABLE'), '2_policy.sql': policy, '3_index.sql': 'SELECT 1;' }, 'policy-column-not-indexed', [
    ['1_helper.sql', helper('VOLATILE')],
    ['1_helper.sql', helper('STABLE')],
    ['3_index.sql', 'CREATE INDEX ON docs (owner_id);'],
    ['3_index.sql', 'SELECT 1;'],
    ['3_index.sql', 'ALTER FUNCTION my_uid() VOLATILE;'],
    ['3_index.sql', 'ALTER FUNCTION my_uid() STABLE;'],
    ['1_helper.sql', 'SELECT 1;'],
  ]);
  assert.deepEqual(index, [1, 0, 1, 0, 1, 0, 1, 0]);
});

test('policy-recursion: reads kept on the statement follow the default schema and a helper in another file', () => {
  const files = {
    '1_helper.sql': 'SELECT 1;',
    '2_policy.sql': `CREATE SCHEMA app;
CREATE TABLE app.members (id int, user_id uuid);
ALTER TABLE app.members ENABLE ROW LEVEL SECURITY;
CREATE POLICY m ON app.members FOR SELECT USING (id IN (SELECT id FROM members));
CREATE TABLE public.members (id int, user_id uuid);`,
  };
  const ws = new Workspace();
  for (const [f, t] of Object.entries(files)) ws.setFile(f, t);
  const before = count(ws, 'policy-recursion');
  ws.setConfig({ ...DEFAULT_CONFIG, defaultSchema: 'app' });
  assert.deepEqual(summary(ws), summary(fresh(ws)));
  assert.notEqual(count(ws, 'policy-recursion'), before, 'the default schema changes what `members` reads');
  const helper = `CREATE FUNCTION is_member() RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT EXISTS (SELECT 1 FROM members) $$;`;
  const counts = steps(
    {
      '1_helper.sql': helper,
      '2_policy.sql': `CREATE TABLE members (id int, user_id uuid);
ALTER TABLE members ENABLE ROW LEVEL SECURITY;
CREATE POLICY m ON members FOR SELECT USING (is_member());`,
    },
    'policy-recursion',
    [
      ['1_helper.sql', `CREATE FUNCTION is_member() RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT true $$;`],
      ['1_helper.sql', helper],
    ],
  );
  assert.deepEqual(counts, [1, 0, 1]);
});

test('definer-helper-under-force-rls: definer, owner and FORCE in other files', () => {
  const helper = (security: string) => `CREATE FUNCTION is_member(t uuid) RETURNS boolean LANGUAGE sql STABLE ${security} AS $$ SELECT EXISTS (SELECT 1 FROM members WHERE tenant_id = t) $$;`;
  const files = {
    '1_helper.sql': helper('SECURITY DEFINER'),
    '2_tables.sql': `CREATE TABLE members (tenant_id uuid, user_id uuid);
ALTER TABLE members ENABLE ROW LEVEL SECURITY;
ALTER TABLE members FORCE ROW LEVEL SECURITY;
CREATE POLICY m ON members FOR SELECT TO authenticated USING (is_member(tenant_id));`,
    '3_force.sql': 'SELECT 1;',
  };
  const counts = steps(files, 'definer-helper-under-force-rls', [
    ['1_helper.sql', helper('')],
    ['1_helper.sql', helper('SECURITY DEFINER')],
    ['3_force.sql', 'ALTER TABLE members NO FORCE ROW LEVEL SECURITY;'],
    ['3_force.sql', 'CREATE ROLE admin BYPASSRLS; ALTER FUNCTION is_member(uuid) OWNER TO admin;'],
    ['3_force.sql', 'SELECT 1;'],
    ['1_helper.sql', `CREATE FUNCTION inner_check(t uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER AS $$ SELECT EXISTS (SELECT 1 FROM members WHERE tenant_id = t) $$;
CREATE FUNCTION is_member(t uuid) RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT inner_check(t) $$;`],
  ]);
  assert.deepEqual(counts, [1, 0, 1, 0, 0, 1, 1]);
});

test('policy-context-fails-open: a policy altered in another file (its USING, its WITH CHECK)', () => {
  const files = {
    '1_policy.sql': `${TABLE}CREATE POLICY q ON docs FOR UPDATE TO authenticated USING (owner_id = auth.uid()) WITH CHECK (owner_id = auth.uid());`,
    '2_alter.sql': 'SELECT 1;',
  };
  const counts = steps(files, 'policy-context-fails-open', [
    ['2_alter.sql', 'ALTER POLICY q ON docs WITH CHECK (auth.uid() IS NULL OR owner_id = auth.uid());'],
    ['2_alter.sql', 'ALTER POLICY q ON docs USING (auth.uid() IS NULL OR owner_id = auth.uid());'],
    ['2_alter.sql', 'SELECT 1;'],
    ['2_alter.sql', 'ALTER POLICY q ON docs USING (true) WITH CHECK (auth.uid() IS NULL OR owner_id = auth.uid());'],
    ['2_alter.sql', 'ALTER POLICY q ON docs USING (owner_id = auth.uid()) WITH CHECK (owner_id = auth.uid());'],
  ]);
  assert.deepEqual(counts, [0, 1, 1, 0, 1, 0]);
});

test('policy-current-setting-unsafe / policy-user-metadata: a helper body gains what they look for in another file (kept per parsed file)', () => {
  const helper = (body: string) => `CREATE FUNCTION check_row(t uuid) RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT ${body} $$;`;
  const files = {
    '1_helper.sql': helper('t IS NOT NULL'),
    '2_policy.sql': `${TABLE}CREATE POLICY p ON docs FOR SELECT TO authenticated USING (check_row(tenant_id));`,
  };
  const unsafe = steps(files, 'policy-current-setting-unsafe', [
    ['1_helper.sql', helper(`t = current_setting('app.tenant_id')::uuid`)],
    ['1_helper.sql', helper('t IS NOT NULL')],
  ]);
  assert.deepEqual(unsafe, [0, 1, 0]);
  const meta = steps(files, 'policy-user-metadata', [
    ['1_helper.sql', helper(`(auth.jwt() -> 'user_metadata' ->> 'tenant')::uuid = t`)],
    ['1_helper.sql', helper('t IS NOT NULL')],
  ]);
  assert.deepEqual(meta, [0, 1, 0]);
});

test('definer-execute-granted-to-public: the policies that call it and the grants, across files', () => {
  const files = {
    '1_helper.sql': `CREATE FUNCTION is_admin() RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$ SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_authid) $$;
CREATE FUNCTION wrapper() RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT is_admin() $$;`,
    '2_policy.sql': `${TABLE}CREATE POLICY p ON docs FOR SELECT TO authenticated USING (wrapper());`,
    '3_grants.sql': 'SELECT 1;',
  };
  const counts = steps(files, 'definer-execute-granted-to-public', [
    ['2_policy.sql', `${TABLE}CREATE POLICY p ON docs FOR SELECT TO authenticated, anon USING (is_admin());`],
    ['3_grants.sql', 'REVOKE EXECUTE ON FUNCTION is_admin() FROM PUBLIC;'],
    ['3_grants.sql', 'GRANT EXECUTE ON FUNCTION is_admin() TO PUBLIC;'],
  ]);
  assert.deepEqual(counts, [1, 1, 0, 1]);
});

test('kept reports (policy-column-not-indexed / policy-per-row-function): the table, the policy and a 42P17 cycle change in other files', () => {
  const files = {
    '1_table.sql': TABLE,
    '2_policy.sql': 'CREATE POLICY p ON docs FOR SELECT TO authenticated USING (owner_id = auth.uid());',
    '3_other.sql': 'SELECT 1;',
  };
  const edits: Array<[string, string]> = [
    // the table's name as written (the fix's CREATE INDEX names it so)
    ['1_table.sql', TABLE.replace(/\bdocs\b/g, '"docs"')],
    // the text before the table moves (the policy's file is unchanged)
    ['1_table.sql', `-- header\n\n${TABLE}`],
    ['1_table.sql', TABLE],
    // the policy renamed, its USING altered, the table renamed, all in another file
    ['3_other.sql', 'ALTER POLICY p ON docs RENAME TO p2;'],
    ['3_other.sql', 'ALTER POLICY p ON docs USING (tenant_id = auth.uid());'],
    ['3_other.sql', 'ALTER TABLE docs RENAME TO documents;'],
    ['3_other.sql', 'SELECT 1;'],
    // a policy on another table that reads docs in a sub-select: a 42P17 cycle, so no fix
    ['3_other.sql', `CREATE TABLE teams (id uuid, owner_id uuid);
ALTER TABLE teams ENABLE ROW LEVEL SECURITY;
CREATE POLICY t ON teams FOR SELECT TO authenticated USING (id IN (SELECT tenant_id FROM docs));
CREATE POLICY p3 ON docs AS RESTRICTIVE FOR SELECT TO authenticated USING (tenant_id IN (SELECT id FROM teams));`],
    ['3_other.sql', 'SELECT 1;'],
    // an index in another file
    ['3_other.sql', 'CREATE INDEX ON docs (owner_id);'],
    ['3_other.sql', 'SELECT 1;'],
  ];
  const index = steps(files, 'policy-column-not-indexed', edits);
  assert.deepEqual(index, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1]);
  const perRow = steps(files, 'policy-per-row-function', edits);
  assert.deepEqual(perRow, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
});

test('kept findings: their ranges and fixes follow the text before them moving and CRLF line ends, in the file of the policy and in another file', () => {
  const files = {
    '1_table.sql': TABLE,
    '2_policy.sql': 'CREATE POLICY p ON docs FOR SELECT TO authenticated USING (true);',
    // the finding and its fix (a CREATE INDEX after the ALTER) are in 3_other.sql
    '3_other.sql': 'ALTER POLICY p ON docs USING (owner_id = auth.uid());',
  };
  const edits: Array<[string, string]> = [
    ['2_policy.sql', '-- moved\n\nCREATE POLICY p ON docs FOR SELECT TO authenticated USING (true);'],
    ['2_policy.sql', '-- crlf\r\n\r\nCREATE POLICY p ON docs FOR SELECT TO authenticated USING (true);'],
    ['3_other.sql', '-- moved\n\nALTER POLICY p ON docs USING (owner_id = auth.uid());'],
    ['3_other.sql', '-- crlf\r\nALTER POLICY p ON docs USING (owner_id = auth.uid());'],
    ['2_policy.sql', 'CREATE POLICY p ON docs FOR SELECT TO authenticated USING (true);'],
  ];
  assert.deepEqual(steps(files, 'policy-column-not-indexed', edits), [1, 1, 1, 1, 1, 1]);
  assert.deepEqual(steps(files, 'policy-per-row-function', edits), [1, 1, 1, 1, 1, 1]);
  const ws = new Workspace();
  for (const [f, t] of Object.entries(files)) ws.setFile(f, t);
  ws.lint();
  ws.setFile('3_other.sql', edits[3]![1]);
  const [finding] = ws.lint().byFile.get('3_other.sql')!.filter((x) => x.rule === 'policy-column-not-indexed');
  const [edit] = finding!.fixes[0]!.edits;
  assert.equal(edit!.file, '3_other.sql');
  assert.match(edit!.newText, /^\r\nCREATE INDEX/, 'the edit takes the line ends of its file');
  assert.deepEqual(edit!.range, { start: { line: 1, character: 53 }, end: { line: 1, character: 53 } });
});

test('kept reports: two columns of one USING (one kept report per column) follow indexes in another file', () => {
  const files = {
    '1_table.sql': TABLE,
    '2_policy.sql': 'CREATE POLICY p ON docs FOR SELECT TO authenticated USING (owner_id = auth.uid() AND tenant_id = auth.uid());',
    '3_index.sql': 'SELECT 1;',
  };
  const counts = steps(files, 'policy-column-not-indexed', [
    ['3_index.sql', 'CREATE INDEX ON docs (tenant_id);'],
    ['3_index.sql', 'CREATE INDEX ON docs (owner_id);'],
    ['3_index.sql', 'SELECT 1;'],
    ['1_table.sql', TABLE.replace(/\bdocs\b/g, '"docs"')],
    ['3_index.sql', 'CREATE INDEX ON docs (owner_id);'],
    ['1_table.sql', TABLE],
    ['3_index.sql', 'SELECT 1;'],
  ]);
  assert.deepEqual(counts, [2, 1, 1, 2, 2, 1, 1, 2]);
});

test('reportKeeper: one report per anchor and slot, rebuilt when a dependency differs', () => {
  const keep = reportKeeper();
  const anchor = {};
  let built = 0;
  const make = (slot: string, deps: unknown[]) => keep(anchor, slot, deps, () => ({ file: 'f', start: built++, end: 0, message: slot }));
  const a = make('a', [1, 'x']);
  const b = make('b', [2]);
  const c = make('c', [3]);
  assert.equal(make('a', [1, 'x']), a);
  assert.equal(make('b', [2]), b);
  const b2 = make('b', [2, 0]);
  assert.notEqual(b2, b);
  assert.equal(make('b', [2, 0]), b2);
  assert.equal(make('a', [1, 'x']), a);
  assert.equal(make('c', [3]), c);
  const c2 = make('c', [4]);
  assert.notEqual(c2, c);
  assert.equal(make('a', [1, 'x']), a);
  assert.equal(make('b', [2, 0]), b2);
  assert.equal(make('c', [4]), c2);
  assert.equal(built, 5);
  assert.ok(a.kept && b2.kept && c2.kept && a.kept !== b2.kept && b2.kept !== c2.kept);
});

test('policy-role-without-grant: role membership granted in another file (role statements are looked for per parsed file; the migrations grant memberships, so none is assumed made elsewhere)', () => {
  const files = {
    '1_table.sql': `${TABLE}CREATE TABLE notes (id int);
GRANT SELECT, INSERT ON docs TO grp;
GRANT SELECT ON notes TO member;
GRANT grp TO auditor;`,
    '2_policy.sql': 'CREATE POLICY p ON docs FOR INSERT TO member WITH CHECK (true);',
    '3_roles.sql': 'SELECT 1;',
  };
  const counts = steps(files, 'policy-role-without-grant', [
    ['3_roles.sql', 'GRANT grp TO member;'],
    ['3_roles.sql', 'SELECT 1;'],
    ['3_roles.sql', 'CREATE ROLE member IN ROLE grp;'],
    ['3_roles.sql', 'CREATE ROLE grp2; GRANT grp2 TO member;'],
  ]);
  assert.deepEqual(counts, [1, 0, 1, 0, 1]);
});

test('kept reports: a finding reused across lints follows the severity and suppression comments', () => {
  const files = {
    '1_table.sql': TABLE,
    '2_policy.sql': 'CREATE POLICY p ON docs FOR SELECT TO authenticated USING (owner_id = auth.uid());',
  };
  const ws = new Workspace();
  for (const [f, t] of Object.entries(files)) ws.setFile(f, t);
  const severities = (w: Workspace) => [...w.lint().byFile.values()].flat().map((x) => `${x.rule}:${x.severity}`).sort();
  const before = severities(ws);
  assert.ok(before.includes('policy-per-row-function:warning') && before.includes('policy-column-not-indexed:info'), before.join(' '));
  const config: Config = { ...DEFAULT_CONFIG, rules: { ...DEFAULT_CONFIG.rules, 'policy-per-row-function': 'error', 'policy-column-not-indexed': 'warning' } };
  ws.setConfig(config);
  assert.deepEqual(severities(ws), severities(fresh(ws)));
  assert.ok(severities(ws).includes('policy-per-row-function:error'));
  ws.setFile('2_policy.sql', `-- pg-rls-lint-disable-next-line policy-per-row-function\n${files['2_policy.sql']}`);
  assert.deepEqual(summary(ws), summary(fresh(ws)));
  ws.setFile('2_policy.sql', files['2_policy.sql']);
  assert.deepEqual(summary(ws), summary(fresh(ws)));
  assert.deepEqual(severities(ws), severities(fresh(ws)));
});

test('re-lints keep no old model alive: the heap after gc does not grow over 10 re-lints of the same Workspace', async () => {
  const v8 = await import('node:v8');
  const vm = await import('node:vm');
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const { generateWorkspace } = await import('../../bench/generate.js');
  const files = generateWorkspace(30, 500, 10, 2000);
  const big = files.find((f) => f.text.split('\n').length >= 1800)!;
  const ws = new Workspace();
  for (const f of files) ws.setFile(f.file, f.text);
  const heap = () => {
    gc();
    return process.memoryUsage().heapUsed / 1048576;
  };
  const sizes: number[] = [];
  for (let i = 0; i < 11; i++) {
    ws.setFile(big.file, big.text.replace('status text NOT NULL', `status${i % 2 ? '' : '_x'} text NOT NULL`));
    ws.lint();
    sizes.push(heap());
  }
  // one model of this workspace is several MB: a model kept per re-lint would add tens of MB
  assert.ok(sizes[10]! - sizes[1]! < 4, `heap MB after gc: ${sizes.map((x) => x.toFixed(1)).join(' ')}`);
});

test('statements an edit moves keep what was computed from them, at their new offsets (every rule that keeps offsets)', () => {
  const body = `${TABLE}CREATE TABLE docs_meta (id int, doc_id int);
ALTER TABLE docs_meta ENABLE ROW LEVEL SECURITY;
CREATE POLICY per_row ON docs FOR SELECT TO authenticated USING (owner_id = auth.uid());
CREATE POLICY hard ON docs FOR DELETE TO authenticated USING (tenant_id = '6f1c2b8e-1d2a-4c3b-9e4f-5a6b7c8d9e0f');
CREATE POLICY meta ON docs FOR UPDATE TO authenticated USING ((auth.jwt() -> 'user_metadata' ->> 'tenant')::uuid = tenant_id);
CREATE POLICY setting ON docs_meta FOR SELECT TO authenticated USING (doc_id = current_setting('app.doc')::int);
CREATE POLICY own ON docs_meta FOR SELECT TO authenticated USING (doc_id IN (SELECT doc_id FROM docs_meta));
CREATE FUNCTION run_it(q text) RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  EXECUTE 'DELETE FROM ' || q;
END $$;
`;
  const file = '1_all.sql';
  const ws = new Workspace();
  ws.setFile(file, body);
  const before = summary(ws);
  const rules = new Set([...ws.lint().byFile.values()].flat().map((f) => f.rule));
  for (const r of ['policy-per-row-function', 'policy-column-not-indexed', 'policy-hardcoded-id', 'policy-user-metadata', 'policy-current-setting-unsafe', 'policy-recursion', 'definer-dynamic-sql']) {
    assert.ok(rules.has(r), `${r} finds something in the fixture`);
  }
  const kept = new Set(ws.parsed(file)!.statements);
  let text = body;
  // above every statement: longer, shorter, non-ASCII (UTF-16 surrogate pairs), then back
  for (const [i, prefix] of ['-- 🎉 déjà vu\n', '', '-- x\n-- y\n', '/* 中文 */ ', ''].entries()) {
    text = prefix + body;
    ws.setFile(file, text);
    assert.deepEqual(summary(ws), summary(fresh(ws)), `edit ${i + 1} differs from a fresh lint`);
    const moved = ws.parsed(file)!.statements.filter((s) => kept.has(s)).length;
    // (the first one is parsed again: the edit touches the text before it, which its chunk starts with)
    assert.ok(moved >= kept.size - 1, `edit ${i + 1}: ${moved} of ${kept.size} statements are the same objects, moved where they are`);
  }
  assert.deepEqual(summary(ws), before);
});

test('a fix checked in a clone leaves the workspace as it was; the workspace still moves its own statements in place', () => {
  const file = '1_t.sql';
  const text = `CREATE TABLE a (id int);\n${'CREATE TABLE b (id int);\nALTER TABLE b ENABLE ROW LEVEL SECURITY;\nCREATE POLICY p ON b USING (id = auth.uid()::int);\n'.repeat(3)}`;
  const ws = new Workspace();
  ws.setFile(file, text);
  const before = summary(ws);
  const statements = ws.parsed(file)!.statements.map((s) => [s, s.start] as const);
  // the first finding's fix inserts text after table a: the clone moves the statements after it
  const finding = [...ws.lint().byFile.values()].flat().find((f) => f.rule === 'rls-not-enabled')!;
  const check = checkFix(ws, finding, finding.fixes[0]!);
  assert.equal(check.resolved, true);
  assert.deepEqual(summary(ws), before);
  for (const [s, start] of statements) assert.equal(s.start, start, 'the clone copied the statements it moved');
  ws.setFile(file, `-- moved\n${text}`);
  assert.deepEqual(summary(ws), summary(fresh(ws)));
  const kept = new Set(statements.map(([s]) => s));
  assert.ok(ws.parsed(file)!.statements.filter((s) => kept.has(s)).length >= statements.length - 1, 'moved in place');
});

test('policy-recursion / policy-reads-without-grant: unqualified names in a policy resolve through the SET search_path it was created under; a table created in another file changes what a name resolves to', () => {
  const tables = (more: string) => `CREATE ROLE visitor;
CREATE SCHEMA app;
CREATE SCHEMA hidden;
GRANT USAGE ON SCHEMA app, hidden TO visitor;
CREATE TABLE app.members (org_id bigint NOT NULL, user_name text NOT NULL, PRIMARY KEY (org_id, user_name));
CREATE INDEX ON app.members (user_name);
CREATE TABLE hidden.repos (id bigint PRIMARY KEY, org_id bigint NOT NULL);
CREATE INDEX ON hidden.repos (org_id);
ALTER TABLE app.members ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.members FORCE ROW LEVEL SECURITY;
GRANT SELECT ON app.members TO visitor;
${more}`;
  const policies = (path: string) => `${path}
CREATE POLICY members_read ON app.members FOR SELECT TO visitor
  USING (org_id IN (SELECT m.org_id FROM members m WHERE m.user_name = current_user)
    OR EXISTS (SELECT 1 FROM repos r WHERE r.org_id = members.org_id));
`;
  const files = { '1_tables.sql': tables(''), '2_policies.sql': policies('') };
  const appRepos = `CREATE TABLE app.repos (id bigint PRIMARY KEY, org_id bigint NOT NULL);
CREATE INDEX ON app.repos (org_id);
GRANT SELECT ON app.repos TO visitor;`;
  const edits: Array<[string, string]> = [
    ['2_policies.sql', policies('SET search_path TO app, hidden, public;')],
    // (repos is now app.repos, first on the path, which visitor may read)
    ['1_tables.sql', tables(appRepos)],
    ['1_tables.sql', tables('')],
    ['2_policies.sql', policies('SET search_path TO hidden, public;')],
    ['2_policies.sql', policies('')],
  ];
  // without the SET: members and repos are public's, which the migrations do not create
  assert.deepEqual(steps(files, 'policy-recursion', edits), [0, 1, 1, 1, 0, 0]);
  assert.deepEqual(steps(files, 'policy-reads-without-grant', edits), [0, 1, 0, 1, 1, 0]);
});

test('policy-unknown-column: a statement naming the table added before its CREATE TABLE IF NOT EXISTS, then removed (the table made elsewhere, or not: columns.ts madeBefore, kept per model)', () => {
  const files = {
    '1_before.sql': 'SELECT 1;',
    '2_table.sql': 'CREATE TABLE IF NOT EXISTS public.s (id int, key text);\nALTER TABLE public.s ENABLE ROW LEVEL SECURITY;',
    '3_policy.sql': "CREATE POLICY p ON public.s FOR SELECT USING (category = 'x');",
  };
  const counts = steps(files, 'policy-unknown-column', [
    ['1_before.sql', "CREATE POLICY q ON public.s FOR SELECT USING (category = 'y');"],
    ['1_before.sql', 'SELECT 1;'],
  ]);
  assert.deepEqual(counts, [1, 0, 1]);
});

test('plpgsql-ambiguous-column: an edit before the function moves it (the ON CONFLICT column found at its new place), the table losing or regaining the column, the function fixed', () => {
  const table = 'CREATE TABLE om (org_id int, user_id int, PRIMARY KEY (org_id, user_id));\n';
  const fn = 'CREATE FUNCTION f_conf(x int) RETURNS TABLE (user_id int) LANGUAGE plpgsql AS $$ BEGIN INSERT INTO om (org_id, user_id) VALUES (3, x) ON CONFLICT (org_id, user_id) DO NOTHING; RETURN; END $$;\n';
  const counts = steps({ '1_table.sql': table, '2_fn.sql': fn }, 'plpgsql-ambiguous-column', [
    ['2_fn.sql', `-- a comment that moves what follows\n${fn}`],
    ['1_table.sql', 'CREATE TABLE om (org_id int, member_id int, PRIMARY KEY (org_id, member_id));\n'],
    ['1_table.sql', table],
    ['2_fn.sql', fn.replace('RETURNS TABLE (user_id int)', 'RETURNS TABLE (out_user_id int)')],
  ]);
  assert.deepEqual(counts, [1, 1, 0, 1, 0]);
});

test('policies PostgreSQL rejects: the verdicts kept per table follow the tables its sub-selects read, their CREATE TABLE IF NOT EXISTS, ADD COLUMN and the file order, in other files (rejected.ts)', () => {
  const members = (col: string, ine = '') => `CREATE TABLE ${ine}members (id int PRIMARY KEY, ${col} uuid, org_id int);\nALTER TABLE members ENABLE ROW LEVEL SECURITY;`;
  const files = {
    '1_before.sql': 'SELECT 1;',
    '2_members.sql': members('user_id'),
    '3_docs.sql': `CREATE TABLE docs (id int PRIMARY KEY, org_id int);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY p ON docs FOR SELECT TO authenticated USING (EXISTS (SELECT 1 FROM members m WHERE m.org_id = docs.org_id AND m.user_id = auth.uid()));`,
    '4_other.sql': 'CREATE TABLE other (id int);\nALTER TABLE other ENABLE ROW LEVEL SECURITY;\nCREATE POLICY o ON other FOR SELECT USING (id > 0);',
  };
  const ws = new Workspace(DEFAULT_CONFIG, undefined, { editing: true });
  for (const [f, t] of Object.entries(files)) ws.setFile(f, t);
  const counts = [count(ws, 'policy-unknown-column')];
  const edits: Array<[string, string]> = [
    // the table the sub-select reads loses the column, then gets it back
    ['2_members.sql', members('member_id')],
    ['2_members.sql', members('user_id')],
    // an ADD COLUMN of it in another file, then the column missing from its CREATE TABLE but added later
    ['4_other.sql', `${files['4_other.sql']}\nALTER TABLE members ADD COLUMN role text;`],
    ['2_members.sql', members('member_id')],
    ['4_other.sql', `${files['4_other.sql']}\nALTER TABLE members ADD COLUMN user_id uuid;`],
    ['4_other.sql', files['4_other.sql']],
    ['2_members.sql', members('user_id')],
    // made IF NOT EXISTS without the column, then named before it (made elsewhere: its columns not known)
    ['2_members.sql', members('member_id', 'IF NOT EXISTS ')],
    ['1_before.sql', 'CREATE INDEX ON members (org_id);'],
    ['1_before.sql', 'SELECT 1;'],
    ['2_members.sql', members('user_id')],
    // a file renamed to come after the policy: the policy's sub-select reads a relation made later
    ['1_before.sql', 'SELECT 2;'],
  ];
  for (const [i, [file, text]] of edits.entries()) {
    ws.setFile(file, text);
    assert.deepEqual(summary(ws), summary(fresh(ws)), `step ${i + 1} (${file}) differs from a fresh lint`);
    counts.push(count(ws, 'policy-unknown-column'));
  }
  assert.deepEqual(counts, [0, 1, 0, 0, 1, 1, 1, 0, 1, 0, 1, 0, 0]);
  const kept = keptVerdicts;
  // the same workspace with the members file moved after the policy's (42P01), and back
  ws.removeFile('2_members.sql');
  ws.setFile('5_members.sql', members('user_id'));
  assert.deepEqual(summary(ws), summary(fresh(ws)));
  assert.equal(count(ws, 'policy-unknown-column'), 1);
  ws.removeFile('5_members.sql');
  ws.setFile('2_members.sql', members('user_id'));
  assert.deepEqual(summary(ws), summary(fresh(ws)));
  assert.equal(count(ws, 'policy-unknown-column'), 0);
  // (the kept path was taken: other's policy, in a file none of these edits touched until step 3)
  assert.ok(kept > 0, 'no verdict was kept');
});

test('policies PostgreSQL rejects: a verdict kept for a table its own file, edited, makes again (a new object alike: the same statements, columns and policies) follows the edits of that file that change what it read', () => {
  const members = (col: string) => `CREATE TABLE members (id int PRIMARY KEY, ${col} uuid, org_id int);`;
  const src = (col: string) => `CREATE TABLE src (id int, ${col} int);`;
  const file = (o: { members?: string; other?: string; between?: string; after?: string; src?: string; add?: string } = {}) => `${o.members ?? members('user_id')}
ALTER TABLE members ENABLE ROW LEVEL SECURITY;
${o.other ?? 'CREATE TABLE other (id int, status text);'}
${o.src ?? src('tenant')}
CREATE TABLE copy (LIKE src);
ALTER TABLE copy ENABLE ROW LEVEL SECURITY;
CREATE POLICY c ON copy FOR SELECT TO authenticated USING (tenant = 1);
CREATE TABLE docs (id int PRIMARY KEY, org_id int, owner_id uuid);
${o.between ?? ''}
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY p ON docs FOR SELECT TO authenticated USING (EXISTS (SELECT 1 FROM members m WHERE m.org_id = docs.org_id AND m.user_id = auth.uid()));
CREATE POLICY q ON docs FOR DELETE TO authenticated USING (owner_id = auth.uid());
${o.add ?? 'ALTER TABLE docs ADD COLUMN note text;'}
${o.after ?? ''}
`;
  const ws = new Workspace(DEFAULT_CONFIG, undefined, { editing: true });
  ws.setFile('1_first.sql', 'SELECT 1;');
  ws.setFile('2_app.sql', file());
  ws.setFile('3_last.sql', 'CREATE TABLE last (id int);\nALTER TABLE last ENABLE ROW LEVEL SECURITY;\nCREATE POLICY l ON last FOR SELECT USING (id > 0);');
  const unknown = () => [...ws.lint().byFile.values()].flat().filter((f) => f.rule === 'policy-unknown-column').length;
  const steps: Array<[string, string, number, string[]]> = [
    // a statement of the same file naming neither docs nor members: docs's and copy's verdicts kept, though both tables
    // (and docs's ADD COLUMN) are new objects
    ['2_app.sql', file({ other: 'CREATE TABLE other (id int, status_x text);' }), 0, ['p', 'q', 'c', 'l']],
    ['2_app.sql', file(), 0, ['p', 'q', 'c', 'l']],
    // docs's ADD COLUMN changed (a column dropped: the workspace's column facts changed, nothing kept), then another
    // (policy q names owner_id after the DROP COLUMN: 42703, reported — columns.ts removedBefore)
    ['2_app.sql', file({ add: 'ALTER TABLE docs ADD COLUMN owner_id uuid;', between: 'ALTER TABLE docs DROP COLUMN owner_id;' }), 1, []],
    ['2_app.sql', file({ add: 'ALTER TABLE docs ADD COLUMN owner_ix uuid;' }), 0, []],
    ['2_app.sql', file(), 0, ['c', 'l']],
    // the table the sub-select reads, in the same file, loses the column (its CREATE TABLE changed: docs's verdict asked again)
    ['2_app.sql', file({ members: members('member_id') }), 1, ['c', 'l']],
    ['2_app.sql', file(), 0, ['c', 'l']],
    // a column of members added before the policies, in an ALTER TABLE, then gone again (the same statements but that one)
    // (two places changed at once: the text between, naming every table of the file, changed)
    ['2_app.sql', file({ members: members('member_id'), between: 'ALTER TABLE members ADD COLUMN user_id uuid;' }), 0, ['l']],
    ['2_app.sql', file({ members: members('member_id') }), 1, ['c', 'l']],
    // added after the policy (an ALTER TABLE naming it), then an index (naming it, nothing changed)
    ['2_app.sql', file({ members: members('member_id'), after: 'ALTER TABLE members ADD COLUMN user_id uuid;' }), 1, ['c', 'l']],
    ['2_app.sql', file({ members: members('member_id'), after: 'CREATE INDEX ON members (org_id);' }), 1, ['c', 'l']],
    // (two places changed at once, and the text between names copy: its verdict asked again too)
    ['2_app.sql', file(), 0, ['l']],
    // the table copy is made LIKE changes (copy's CREATE TABLE the same statement, but its columns, src's, are others: its
    // verdict asked again; a LIKE table's columns are not certain, none unknown)
    ['2_app.sql', file({ src: src('region') }), 0, ['p', 'q', 'l']],
    ['2_app.sql', file(), 0, ['p', 'q', 'l']],
    // changes the verdicts are not kept through: a function made (none kept: the functions changed), a comment (a rollback marker may start there)
    ['2_app.sql', file({ other: 'CREATE FUNCTION other() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;' }), 0, []],
    ['2_app.sql', file(), 0, []],
    ['2_app.sql', file({ other: '-- migrate:down\nCREATE TABLE other (id int, status text);' }), 0, ['l']],
    ['2_app.sql', file(), 0, ['l']],
  ];
  // (the fresh lints after all the edits: a lint of another workspace is the model the next re-lint's verdicts would be kept from)
  assert.equal(unknown(), 0);
  const seen: Array<[unknown, Workspace]> = [];
  for (const [i, [f, text, n, kept]] of steps.entries()) {
    keptNames.clear();
    ws.setFile(f, text);
    seen.push([summary(ws), fresh(ws)]);
    assert.equal(unknown(), n, `step ${i + 1}: policy-unknown-column`);
    assert.deepEqual([...keptNames].sort(), [...kept].sort(), `step ${i + 1}: the policies whose verdict was kept`);
  }
  for (const [i, [relint, other]] of seen.entries()) assert.deepEqual(relint, summary(other), `step ${i + 1} differs from a fresh lint`);
});

test('columns.ts workspaceFacts: a file whose ADD COLUMN commands an edit before them moves (kept, each in its place), changes or puts after the policy', () => {
  const file = (pad: string, add = 'ALTER TABLE docs ADD COLUMN owner_id uuid;', after = '') => `CREATE TABLE docs (id int PRIMARY KEY);
${pad}
CREATE TABLE notes (id int);
ALTER TABLE notes ADD COLUMN body text;
${add}
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY p ON docs FOR SELECT TO authenticated USING (owner_id = auth.uid());
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY n ON notes FOR SELECT TO authenticated USING (body IS NOT NULL);
${after}`;
  const ws = new Workspace(DEFAULT_CONFIG, undefined, { editing: true });
  ws.setFile('1_first.sql', 'ALTER TABLE docs ADD COLUMN IF NOT EXISTS extra int;');
  ws.setFile('2_app.sql', file('SELECT 1;'));
  ws.setFile('3_later.sql', 'CREATE POLICY q ON docs FOR UPDATE TO authenticated USING (owner_id = auth.uid());');
  const unknown = () => [...ws.lint().byFile.values()].flat().filter((f) => f.rule === 'policy-unknown-column').length;
  assert.equal(unknown(), 0);
  const steps: Array<[string, number]> = [
    [file('SELECT 100;'), 0],
    [file('SELECT 1;'), 0],
    // the column added changes: both policies name a column docs never gets
    [file('SELECT 100;', 'ALTER TABLE docs ADD COLUMN owner_ix uuid;'), 2],
    [file('SELECT 1;', 'ALTER TABLE docs ADD COLUMN owner_ix uuid;'), 2],
    [file('SELECT 100;'), 0],
    // added after the policy of the same file (42703 there), before the later file's
    [file('SELECT 1;', '', 'ALTER TABLE docs ADD COLUMN owner_id uuid;'), 1],
    [file('SELECT 100;', '', 'ALTER TABLE docs ADD COLUMN owner_id uuid;'), 1],
    [file('SELECT 1;'), 0],
  ];
  const seen: Array<[unknown, Workspace]> = [];
  for (const [i, [text, n]] of steps.entries()) {
    ws.setFile('2_app.sql', text);
    seen.push([summary(ws), fresh(ws)]);
    assert.equal(unknown(), n, `step ${i + 1}: policy-unknown-column`);
  }
  for (const [i, [relint, other]] of seen.entries()) assert.deepEqual(relint, summary(other), `step ${i + 1} differs from a fresh lint`);
});

test("rejected.ts: a policy's 22P02 verdict follows the enum type's values changed in another file", () => {
  const type = (values: string) => `CREATE TYPE app_role AS ENUM (${values});\nCREATE TABLE user_roles (user_id uuid, role app_role);\n`;
  const policies = `CREATE TABLE patients (id uuid PRIMARY KEY);
ALTER TABLE patients ENABLE ROW LEVEL SECURITY;
CREATE POLICY "staff read" ON patients FOR SELECT TO authenticated
  USING ((SELECT auth.uid()) IS NOT NULL AND 'admin'::app_role IS NOT NULL);
CREATE POLICY "staff read" ON patients FOR SELECT TO authenticated USING (true);
`;
  const files = { '1_type.sql': type(`'doctor'`), '2_values.sql': 'SELECT 1;\n', '3_policies.sql': policies };
  // (the first "staff read" fails with 22P02 while 'admin' is no value: the second is then no 42710 collision)
  const counts = steps(files, 'policy-already-exists', [
    ['2_values.sql', `ALTER TYPE app_role ADD VALUE 'admin';\n`],
    ['2_values.sql', `ALTER TYPE app_role ADD VALUE 'nurse';\n`],
    ['2_values.sql', `ALTER TYPE app_role ADD VALUE 'admin';\n`],
    ['2_values.sql', 'SELECT 1;\n'],
    ['1_type.sql', type(`'doctor', 'admin'`)],
    ['1_type.sql', type(`'doctor'`)],
  ]);
  assert.deepEqual(counts, [0, 1, 0, 1, 0, 1, 0]);
});

test("policy-update-moves-row: what guards a table's group column (kept per table) follows a trigger, its function's body and a column GRANT made in other files", () => {
  const tables = `CREATE TABLE memberships (tenant_id uuid, user_id uuid);
CREATE TABLE tasks (id int PRIMARY KEY, tenant_id uuid NOT NULL, assignee_id uuid);
ALTER TABLE tasks ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE ON tasks TO authenticated;
CREATE POLICY sel ON tasks FOR SELECT TO authenticated USING (tenant_id IN (SELECT m.tenant_id FROM memberships m WHERE m.user_id = (SELECT auth.uid())));
CREATE POLICY ins ON tasks FOR INSERT TO authenticated WITH CHECK (tenant_id IN (SELECT m.tenant_id FROM memberships m WHERE m.user_id = (SELECT auth.uid())));
CREATE POLICY upd ON tasks FOR UPDATE TO authenticated USING (assignee_id = (SELECT auth.uid()));
`;
  const fn = (body: string) => `CREATE FUNCTION keep_tenant() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ${body} RETURN NEW; END $$;\n`;
  const trigger = 'CREATE TRIGGER keep BEFORE UPDATE ON tasks FOR EACH ROW EXECUTE FUNCTION keep_tenant();\n';
  const counts = steps({ '1_fn.sql': fn('NEW.tenant_id := OLD.tenant_id;'), '2_tables.sql': tables, '3_more.sql': 'SELECT 1;\n' }, 'policy-update-moves-row', [
    ['3_more.sql', trigger],
    ['1_fn.sql', fn('NULL;')],
    ['1_fn.sql', fn('NEW.tenant_id := OLD.tenant_id;')],
    ['3_more.sql', 'SELECT 1;\n'],
    ['3_more.sql', 'REVOKE UPDATE ON tasks FROM authenticated;\nGRANT UPDATE (assignee_id) ON tasks TO authenticated;\n'],
    // (the same grant events but for their columns: privilegesToken stays, guarded's answer does not)
    ['3_more.sql', 'REVOKE UPDATE ON tasks FROM authenticated;\nGRANT UPDATE (assignee_id, tenant_id) ON tasks TO authenticated;\n'],
    ['3_more.sql', 'REVOKE UPDATE ON tasks FROM authenticated;\nGRANT UPDATE (assignee_id) ON tasks TO authenticated;\n'],
    ['3_more.sql', 'SELECT 1;\n'],
  ]);
  assert.deepEqual(counts, [1, 0, 1, 0, 1, 0, 1, 0, 1]);
});

test("policy-update-moves-row: a table's reports (kept per table) follow roles, memberships, grants, rejections and the tables its policies read, changed in other files", () => {
  const tables = `CREATE TABLE memberships (tenant_id uuid, user_id uuid);
GRANT SELECT ON memberships TO app_user;
CREATE TABLE tasks (id int PRIMARY KEY, tenant_id uuid NOT NULL, assignee_id uuid);
ALTER TABLE tasks ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE ON tasks TO app_user;
CREATE POLICY sel ON tasks FOR SELECT TO app_user USING (tenant_id IN (SELECT m.tenant_id FROM memberships m WHERE m.user_id = (SELECT auth.uid())));
CREATE POLICY ins ON tasks FOR INSERT TO app_user WITH CHECK (tenant_id IN (SELECT m.tenant_id FROM memberships m WHERE m.user_id = (SELECT auth.uid())));
CREATE POLICY upd ON tasks FOR UPDATE TO app_user USING (assignee_id = (SELECT auth.uid()));
`;
  const counts = steps({ '1_roles.sql': 'CREATE ROLE app_user;\n', '2_tables.sql': tables, '3_more.sql': 'SELECT 1;\n' }, 'policy-update-moves-row', [
    // the role bypasses RLS, then no longer
    ['1_roles.sql', 'CREATE ROLE app_user BYPASSRLS;\n'],
    ['1_roles.sql', 'CREATE ROLE app_user;\n'],
    // UPDATE taken from the role, on all tables of the schema, then given back
    ['3_more.sql', 'REVOKE UPDATE ON ALL TABLES IN SCHEMA public FROM app_user;\n'],
    ['3_more.sql', 'REVOKE UPDATE ON ALL TABLES IN SCHEMA public FROM app_user;\nGRANT UPDATE ON tasks TO app_user;\n'],
    // the policies' sub-select reads a table the role may no longer read (every UPDATE fails, 42501)
    ['3_more.sql', 'REVOKE SELECT ON memberships FROM app_user;\n'],
    ['3_more.sql', 'SELECT 1;\n'],
    // the table the policies read is made again without the column they name (the SELECT and INSERT policies are rejected)
    ['3_more.sql', 'DROP TABLE memberships CASCADE;\nCREATE TABLE memberships (org_id uuid, user_id uuid);\n'],
    ['3_more.sql', 'SELECT 1;\n'],
    // the role is a member of a role that bypasses RLS
    ['1_roles.sql', 'CREATE ROLE app_user;\nCREATE ROLE admin_all BYPASSRLS;\nGRANT admin_all TO app_user;\n'],
    ['1_roles.sql', 'CREATE ROLE app_user;\n'],
  ]);
  // (BYPASSRLS is an attribute, not a privilege: a member of a role that has it does not bypass RLS)
  assert.deepEqual(counts, [1, 0, 1, 0, 1, 1, 1, 0, 1, 1, 1]);
});

test("policy-update-self-approves: whether a table's run of policies may report (kept on the run) follows a SELECT gate and an UPDATE policy made, dropped and made again in other files", () => {
  const table = `CREATE TABLE public.vendors (id uuid PRIMARY KEY, user_id uuid NOT NULL UNIQUE, status text NOT NULL DEFAULT 'pending');
ALTER TABLE public.vendors ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Own rows" ON public.vendors FOR SELECT TO authenticated USING ((select auth.uid()) = user_id);
CREATE POLICY "Admins can update any vendor" ON public.vendors FOR UPDATE TO authenticated
  USING ((select auth.jwt()) ->> 'user_role' = 'admin');
`;
  const own = `CREATE POLICY "Vendors can update their own profile" ON public.vendors FOR UPDATE TO authenticated
  USING ((select auth.uid()) = user_id);
`;
  const gate = `CREATE POLICY "Anyone can view approved vendors" ON public.vendors FOR SELECT TO anon, authenticated
  USING (status = 'approved' OR (select auth.uid()) = user_id);
`;
  // (no SELECT policy that may gate, then one; no UPDATE policy, then one)
  const counts = steps({ '1_table.sql': table, '2_own.sql': own, '3_more.sql': 'SELECT 1;\n' }, 'policy-update-self-approves', [
    ['3_more.sql', gate],
    ['3_more.sql', 'SELECT 1;\n'],
    ['3_more.sql', gate],
    ['1_table.sql', table.replace(/CREATE POLICY "Admins[^;]*;\n/, '')],
    ['2_own.sql', 'SELECT 1;\n'],
    ['1_table.sql', table],
    ['2_own.sql', own],
  ]);
  assert.deepEqual(counts, [0, 1, 0, 1, 0, 0, 0, 1]);
});

test('functionLists (kept per overload list): a function made SECURITY DEFINER, given a search_path or an overload, in one file of several, follows each edit', () => {
  const fn = (attrs: string) => `CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql ${attrs} AS $$ SELECT x $$;\n`;
  const counts = steps({ '1_a.sql': fn(''), '2_b.sql': fn('').replace('f(x int)', 'g(x int)'), '3_c.sql': 'SELECT 1;\n' }, 'definer-search-path-missing', [
    ['1_a.sql', fn('SECURITY DEFINER')],
    ['1_a.sql', fn('SECURITY DEFINER SET search_path = public, pg_temp')],
    ['3_c.sql', `${fn('SECURITY DEFINER').replace('f(x int)', 'f(x text)')}`],
    ['3_c.sql', 'ALTER FUNCTION f(int) RESET search_path;\n'],
    ['1_a.sql', fn('')],
    ['3_c.sql', 'SELECT 1;\n'],
  ]);
  assert.deepEqual(counts, [0, 1, 0, 1, 1, 0, 0]);
});

test("policy-insert-plants-row: a table's reports (kept per table) follow the SELECT and INSERT policies, a trigger and column privileges made in other files", () => {
  const table = `CREATE TABLE public.notes (id bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY, user_id uuid NOT NULL, body text);
ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT ON public.notes TO authenticated;
CREATE POLICY insert_notes ON public.notes FOR INSERT TO authenticated WITH CHECK (body IS NOT NULL);
`;
  const read = 'CREATE POLICY own_notes ON public.notes FOR SELECT TO authenticated USING (user_id = (select auth.uid()));\n';
  const trigger = `CREATE FUNCTION public.set_user() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.user_id := auth.uid(); RETURN NEW; END $$;
CREATE TRIGGER notes_user BEFORE INSERT ON public.notes FOR EACH ROW EXECUTE FUNCTION public.set_user();\n`;
  const counts = steps({ '1_table.sql': table, '2_read.sql': 'SELECT 1;\n', '3_more.sql': 'SELECT 1;\n' }, 'policy-insert-plants-row', [
    ['2_read.sql', read],
    ['3_more.sql', trigger],
    ['3_more.sql', 'SELECT 1;\n'],
    ['3_more.sql', 'REVOKE INSERT ON public.notes FROM authenticated;\nGRANT INSERT (body) ON public.notes TO authenticated;\n'],
    ['3_more.sql', 'DROP POLICY insert_notes ON public.notes;\nCREATE POLICY insert_notes ON public.notes FOR INSERT TO authenticated WITH CHECK (user_id = (select auth.uid()));\n'],
    ['3_more.sql', 'SELECT 1;\n'],
    ['2_read.sql', 'SELECT 1;\n'],
  ]);
  assert.deepEqual(counts, [0, 1, 0, 1, 0, 0, 1, 0]);
});

test('looksAtCaller (kept per node): a helper whose body stops or starts looking at the caller, in another file, follows each edit', () => {
  const helper = (body: string) => `CREATE FUNCTION is_editor(s bigint) RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT ${body} $$;\n`;
  const policy = `CREATE ROLE web_user NOLOGIN;
CREATE TABLE topic (id bigint PRIMARY KEY, school_id bigint NOT NULL, title text);
GRANT SELECT, INSERT, UPDATE, DELETE ON topic TO web_user;
ALTER TABLE topic ENABLE ROW LEVEL SECURITY;
CREATE POLICY topic_access ON topic FOR ALL TO web_user
  USING (school_id = (select nullif(current_setting('request.jwt.claim.school_id', true), '')::bigint))
  WITH CHECK (is_editor(school_id));
`;
  const counts = steps({ '1_helper.sql': helper("current_setting('request.jwt.claim.user_group', true) = 'admin'"), '2_policy.sql': policy }, 'policy-delete-wider-than-check', [
    ['1_helper.sql', helper('s > 0')],
    ['1_helper.sql', helper("current_setting('request.jwt.claim.user_group', true) = 'admin'")],
    ['1_helper.sql', helper('s > 0 AND current_user = \'web_user\'')],
    ['1_helper.sql', helper('s > 0')],
  ]);
  // (a WITH CHECK asking nothing of the caller asks no more than the USING: not reported)
  assert.deepEqual(counts, [1, 0, 1, 1, 0]);
});

test("policy-legacy-jwt-claim: the files' texts (kept per parsed file) follow a per-claim read added and removed in one file of several", () => {
  const table = `CREATE TABLE public.notes (id bigint PRIMARY KEY, owner_id uuid NOT NULL);
ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
`;
  const policy = (read: string) => `CREATE POLICY own ON public.notes FOR SELECT TO authenticated USING (owner_id = ${read});\n`;
  const counts = steps({ 'supabase/migrations/1_t.sql': table, 'supabase/migrations/2_p.sql': policy('(select auth.uid())') }, 'policy-legacy-jwt-claim', [
    ['supabase/migrations/2_p.sql', policy("nullif(current_setting('request.jwt.claim.sub', true), '')::uuid")],
    ['supabase/migrations/2_p.sql', policy('(select auth.uid())')],
    ['supabase/migrations/2_p.sql', policy("nullif(current_setting('request.jwt.claim.sub', true), '')::uuid")],
  ]);
  assert.deepEqual(counts, [0, 1, 0, 1]);
});

test('namesNothingUnqualified (kept per body): a definer body gaining or losing an unqualified name, moved by an edit before it, its file edited around it', () => {
  const fn = (from: string, path = 'public') => `CREATE FUNCTION public.n_docs(n bigint) RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = ${path} AS $$
BEGIN SELECT count(*) INTO n FROM ${from}; RETURN n; END $$;\n`;
  const other = 'CREATE FUNCTION public.g() RETURNS int LANGUAGE sql SECURITY DEFINER AS $$ SELECT 1 $$;\n';
  const ws = new Workspace();
  const files: Record<string, string> = { '1_t.sql': 'CREATE TABLE public.docs (id int);\n', '2_f.sql': fn('public.docs') + other };
  for (const [f, t] of Object.entries(files)) ws.setFile(f, t);
  const said = () =>
    [...ws.lint().byFile.values()].flat().filter((x) => x.rule === 'definer-search-path-unsafe' || x.rule === 'definer-search-path-missing').map((x) => x.message.includes('names every table and type with its schema today'));
  const seen = [said()];
  for (const [file, text] of [
    ['2_f.sql', fn('docs') + other],
    ['2_f.sql', `-- moved\n${fn('docs')}${other}`],
    ['2_f.sql', `-- moved\n${fn('public.docs')}${other}`],
    ['2_f.sql', `-- moved again\n\n${fn('public.docs')}${other.replace('SELECT 1', 'SELECT count(*)::int FROM docs')}`],
    ['1_t.sql', 'CREATE TABLE public.docs (id int, x int);\n'],
    ['2_f.sql', fn('public.docs', 'public, pg_temp') + other],
  ] as Array<[string, string]>) {
    ws.setFile(file, text);
    assert.deepEqual(summary(ws), summary(fresh(ws)), `${file} differs from a fresh lint`);
    seen.push(said());
  }
  assert.deepEqual(seen, [[true, true], [false, true], [false, true], [true, true], [true, false], [true, false], [true]]);
});

test("namesNothingUnqualified (kept per body): the transition tables its triggers declare, in another file, gained and lost (REFERENCING NEW TABLE AS new_rows), a second trigger declaring none, the function moved", () => {
  const fn = `CREATE TABLE public.items (id int);
CREATE TABLE public.more (id int);
CREATE TABLE public.counts (n int);
CREATE FUNCTION public.count_new() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN INSERT INTO public.counts SELECT count(*) FROM new_rows; RETURN NULL; END $$;
REVOKE EXECUTE ON FUNCTION public.count_new() FROM PUBLIC;
`;
  // (EXECUTE revoked: no caller makes a trigger of its own run it, so the triggers' declarations decide)
  const trigger = (referencing: string) => `CREATE TRIGGER items_count AFTER INSERT ON public.items ${referencing}FOR EACH STATEMENT EXECUTE FUNCTION public.count_new();\n`;
  const declares = trigger('REFERENCING NEW TABLE AS new_rows ');
  const ws = new Workspace();
  ws.setFile('1_f.sql', fn);
  ws.setFile('2_t.sql', trigger(''));
  const said = () => {
    const f = [...ws.lint().byFile.values()].flat().filter((x) => x.rule === 'definer-search-path-unsafe');
    return f.map((x) => `${x.severity}${x.message.includes('except the transition table new_rows') ? ' aside' : ''}`).join();
  };
  const seen = [said()];
  for (const [file, text] of [
    ['2_t.sql', declares],
    ['2_t.sql', trigger('REFERENCING NEW TABLE AS other_rows ')],
    ['2_t.sql', declares],
    ['2_t.sql', `${declares}CREATE TRIGGER more_count AFTER INSERT ON public.more FOR EACH STATEMENT EXECUTE FUNCTION public.count_new();\n`],
    ['2_t.sql', `${declares}CREATE TRIGGER more_count AFTER INSERT ON public.more REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.count_new();\n`],
    ['1_f.sql', `-- moved\n${fn}`],
    ['2_t.sql', 'SELECT 1;\n'],
  ] as Array<[string, string]>) {
    ws.setFile(file, text);
    assert.deepEqual(summary(ws), summary(fresh(ws)), `${file} differs from a fresh lint`);
    seen.push(said());
  }
  assert.deepEqual(seen, ['error', 'warning aside', 'error', 'warning aside', 'error', 'warning aside', 'warning aside', 'error']);
});

test('policy-legacy-jwt-claim: the reads of a definer body (kept per body) follow the body gaining and losing a fallback, moved by an edit before it', () => {
  const table = `CREATE TABLE public.notes (id bigint PRIMARY KEY, owner_id uuid NOT NULL);
ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
`;
  const fn = (read: string) => `CREATE FUNCTION public.mine() RETURNS SETOF public.notes LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$
  SELECT * FROM public.notes WHERE owner_id = ${read} $$;\n`;
  const legacy = "nullif(current_setting('request.jwt.claim.sub', true), '')::uuid";
  const counts = steps({ 'supabase/migrations/1_t.sql': table, 'supabase/migrations/2_f.sql': fn(legacy) }, 'policy-legacy-jwt-claim', [
    ['supabase/migrations/2_f.sql', `-- moved\n${fn(legacy)}`],
    ['supabase/migrations/2_f.sql', `-- moved\n${fn(`coalesce(${legacy}, (current_setting('request.jwt.claims', true)::jsonb ->> 'sub')::uuid)`)}`],
    ['supabase/migrations/2_f.sql', fn(`${legacy} AND owner_id = ${legacy}`)],
    ['supabase/migrations/1_t.sql', `${table}SELECT set_config('request.jwt.claim.sub', '', false);\n`],
    ['supabase/migrations/1_t.sql', table],
    ['supabase/migrations/2_f.sql', fn(`${legacy} OR owner_id = auth.uid()`)],
    ['supabase/migrations/2_f.sql', fn('(select auth.uid())')],
  ]);
  assert.deepEqual(counts, [1, 1, 0, 1, 0, 1, 0, 0]);
});

test('funcLooksAtCaller (kept per function): a definer calling a helper whose body, in another file, starts or stops looking at the caller, follows each edit', () => {
  const definer = `CREATE FUNCTION public.do_it() RETURNS boolean LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$ SELECT public.chk() $$;
REVOKE EXECUTE ON FUNCTION public.do_it() FROM PUBLIC;
`;
  const helper = (body: string) => `CREATE FUNCTION public.chk() RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT ${body} $$;\n`;
  const counts = steps({ 'supabase/migrations/1_h.sql': helper('true'), 'supabase/migrations/2_d.sql': definer }, 'definer-execute-granted-to-public', [
    ['supabase/migrations/1_h.sql', helper('auth.uid() IS NOT NULL')],
    ['supabase/migrations/1_h.sql', helper('true')],
    // (the request's claims: the helper runs as the definer's owner, so current_user would be the owner's, no look at the caller)
    ['supabase/migrations/1_h.sql', helper("auth.jwt() ->> 'role' = 'x'")],
    ['supabase/migrations/1_h.sql', `-- moved\n${helper("auth.jwt() ->> 'role' = 'x'")}`],
    ['supabase/migrations/1_h.sql', helper('1 = 1')],
  ]);
  assert.deepEqual(counts, [1, 0, 1, 0, 0, 1]);
});

test('type-already-exists: what a SELECT calling a function may drop unseen (kept per statement under functionsToken) follows the function body changed in another file, and the SELECT moved by an edit before it', () => {
  const fn = (body: string) => `CREATE FUNCTION public.reset() RETURNS void LANGUAGE plpgsql AS $$ BEGIN ${body} END $$;\n`;
  const type = `CREATE TYPE public.app_role AS ENUM ('a', 'b');\n`;
  const call = 'SELECT public.reset();\n';
  const counts = steps(
    { 'supabase/migrations/1_f.sql': fn('RETURN;'), 'supabase/migrations/2_t.sql': type, 'supabase/migrations/3_c.sql': call, 'supabase/migrations/4_t.sql': type },
    'type-already-exists',
    [
      ['supabase/migrations/1_f.sql', fn("EXECUTE 'DROP OWNED BY someone';")],
      ['supabase/migrations/3_c.sql', `-- moved\n${call}`],
      ['supabase/migrations/1_f.sql', fn('RETURN;')],
      ['supabase/migrations/3_c.sql', `-- moved\n-- again\n${call}`],
      ['supabase/migrations/1_f.sql', `-- moved\n${fn("EXECUTE 'DROP OWNED BY someone';")}`],
      ['supabase/migrations/3_c.sql', 'SELECT 1;\n'],
    ],
  );
  assert.deepEqual(counts, [1, 0, 0, 1, 1, 0, 1]);
});

test("definer-bypasses-rls: the commands a definer's body writes (kept per body) follow the body edited, moved, and the table's policies changed in another file", () => {
  const table = (insert: string) => `CREATE TABLE public.docs (id int PRIMARY KEY, owner_id uuid NOT NULL);
ALTER TABLE public.docs ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE ON public.docs TO anon, authenticated;
CREATE POLICY docs_select ON public.docs FOR SELECT TO anon, authenticated USING (owner_id = auth.uid());
CREATE POLICY docs_insert ON public.docs FOR INSERT TO anon, authenticated WITH CHECK (${insert});
`;
  const fn = (write: string) => `CREATE FUNCTION public.w() RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$ ${write} $$;\n`;
  const insert = fn('INSERT INTO public.docs (id, owner_id) VALUES (1, gen_random_uuid())');
  const update = fn('UPDATE public.docs SET owner_id = gen_random_uuid() WHERE id = 1');
  const counts = steps({ 'supabase/migrations/1_t.sql': table('true'), 'supabase/migrations/2_f.sql': insert }, 'definer-bypasses-rls', [
    ['supabase/migrations/2_f.sql', update],
    ['supabase/migrations/2_f.sql', `-- moved\n${insert}`],
    ['supabase/migrations/1_t.sql', table('owner_id = auth.uid()')],
    ['supabase/migrations/1_t.sql', table('true')],
    ['supabase/migrations/2_f.sql', `-- moved\n-- again\n${update}`],
  ]);
  assert.deepEqual(counts, [0, 1, 0, 1, 0, 1]);
});

test("definer-bypasses-rls: where a definer's body only records its caller (kept per body under functionsToken) follows a helper it calls, in another file, starting or stopping to check the caller", () => {
  const table = `CREATE TABLE public.docs (id int PRIMARY KEY, owner_id uuid NOT NULL, approved_by uuid);
ALTER TABLE public.docs ENABLE ROW LEVEL SECURITY;
GRANT SELECT, UPDATE ON public.docs TO anon, authenticated;
CREATE POLICY docs_select ON public.docs FOR SELECT TO anon, authenticated USING (owner_id = auth.uid());
CREATE POLICY docs_update ON public.docs FOR UPDATE TO anon, authenticated USING (owner_id = auth.uid());
`;
  const helper = (body: string) => `CREATE FUNCTION public.chk() RETURNS void LANGUAGE plpgsql AS $$ BEGIN ${body} END $$;\n`;
  const definer = `CREATE FUNCTION public.approve(p_id int) RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  PERFORM public.chk();
  UPDATE public.docs SET approved_by = auth.uid() WHERE id = p_id;
END $$;
`;
  // (a check of the request's claims: current_user would be the definer's owner here, no look at the caller)
  const checks = helper("IF auth.jwt() ->> 'user_role' IS DISTINCT FROM 'admin' THEN RAISE EXCEPTION 'no'; END IF;");
  const counts = steps({ 'supabase/migrations/1_t.sql': table, 'supabase/migrations/2_h.sql': helper('RETURN;'), 'supabase/migrations/3_f.sql': definer }, 'definer-bypasses-rls', [
    ['supabase/migrations/2_h.sql', checks],
    ['supabase/migrations/3_f.sql', `-- moved\n${definer}`],
    ['supabase/migrations/2_h.sql', helper('RETURN;')],
    ['supabase/migrations/2_h.sql', `-- moved\n${checks}`],
  ]);
  assert.ok(counts.some((c) => c !== counts[0]), `counts ${counts}`);
});

test('ok: a CREATE TABLE IF NOT EXISTS after a statement naming its table (its columns unknown), through edits of that file and an earlier one (columns.ts namedBefore keeps what each run of statements names)', () => {
  const one = 'CREATE TABLE IF NOT EXISTS app.t (id int);\nALTER TABLE app.t ENABLE ROW LEVEL SECURITY;\nCREATE POLICY p ON app.t USING (nope = 1);\n';
  const counts = steps({ '0.sql': 'CREATE TABLE app.u (id int);\n', '1.sql': one, '2.sql': 'CREATE TABLE IF NOT EXISTS t2 (id int);\nCREATE POLICY q ON t2 USING (nope = 2);\n' }, 'policy-unknown-column', [
    ['0.sql', 'CREATE TABLE app.u (id int);\nCREATE INDEX ON app.t (id);\n'],
    ['0.sql', 'CREATE TABLE app.u (id int);\n'],
    ['1.sql', `CREATE INDEX ON t (id);\n${one}`],
    ['1.sql', `-- moved\n${one}`],
    ['1.sql', `${one}CREATE INDEX ON t2 (id);\n`],
    ['1.sql', `CREATE TABLE app.v (id int);\n${one}`],
    ['0.sql', 'ALTER TABLE t2 ENABLE ROW LEVEL SECURITY;\n'],
    ['0.sql', '-- nothing\n'],
  ]);
  assert.deepEqual(counts, [2, 1, 2, 1, 2, 1, 2, 1, 2]);
});

test("policy-calls-without-execute: each policy's calls of functions PUBLIC lost EXECUTE on (kept from lint to lint while its row, the functions and which of them lost it are the same) follow grants, policies, overloads and a search_path changed in other files", () => {
  const fn = (schema: string, extra = '') => `CREATE ROLE app_user;
CREATE SCHEMA app;
CREATE FUNCTION ${schema}.is_owner(owner_name text) RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT owner_name = current_user $$;
REVOKE EXECUTE ON FUNCTION ${schema}.is_owner(text) FROM PUBLIC;
${extra}`;
  const table = `CREATE TABLE app.documents (id bigint PRIMARY KEY, owner_name text NOT NULL, title text NOT NULL);
GRANT USAGE ON SCHEMA app TO app_user;
GRANT SELECT ON app.documents TO app_user;
ALTER TABLE app.documents ENABLE ROW LEVEL SECURITY;
`;
  const qualified = `${table}CREATE POLICY p ON app.documents FOR SELECT TO app_user USING (app.is_owner(owner_name));\n`;
  const throughPath = `${table}SET search_path = app, public;\nCREATE POLICY p ON app.documents FOR SELECT TO app_user USING (is_owner(owner_name));\n`;
  const counts = steps({ '1_fn.sql': fn('app'), '2_policy.sql': qualified, '3_grants.sql': 'SELECT 1;' }, 'policy-calls-without-execute', [
    ['3_grants.sql', 'GRANT EXECUTE ON FUNCTION app.is_owner(text) TO app_user;'],
    ['3_grants.sql', 'SELECT 1;'],
    ['3_grants.sql', 'GRANT EXECUTE ON FUNCTION app.is_owner(text) TO PUBLIC;'],
    ['3_grants.sql', 'CREATE POLICY q ON app.documents FOR SELECT TO app_user USING (app.is_owner(title));'],
    ['3_grants.sql', 'CREATE FUNCTION app.other() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;\nREVOKE EXECUTE ON FUNCTION app.other() FROM PUBLIC;'],
    ['3_grants.sql', 'SELECT 1;'],
    ['1_fn.sql', fn('app', 'CREATE FUNCTION app.is_owner(owner_name text, n int) RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT true $$;')],
    ['1_fn.sql', fn('app', 'GRANT EXECUTE ON FUNCTION app.is_owner(text) TO app_user;')],
    ['1_fn.sql', fn('app')],
    ['2_policy.sql', throughPath],
    ['1_fn.sql', fn('public')],
    ['1_fn.sql', fn('public', 'CREATE FUNCTION app.is_owner(owner_name text) RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT true $$;')],
    ['1_fn.sql', fn('app')],
    ['1_fn.sql', fn('app', 'CREATE FUNCTION public.is_owner(owner_name text) RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT true $$;')],
    ['1_fn.sql', fn('app')],
    ['3_grants.sql', 'GRANT EXECUTE ON FUNCTION app.is_owner(text) TO app_user;'],
    ['3_grants.sql', 'SELECT 1;'],
  ]);
  assert.deepEqual(counts, [1, 0, 1, 0, 2, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1]);
});

test("policy-calls-without-execute: a row's calls (kept on the row, lib/kept.ts) come back with its policy dropped and made again in a later file, and follow which functions lost EXECUTE and their order, changed in an earlier file", () => {
  const isOwner = `CREATE FUNCTION app.is_owner(owner_name text) RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT owner_name = current_user $$;
REVOKE EXECUTE ON FUNCTION app.is_owner(text) FROM PUBLIC;
`;
  // (app.aaa first: is_owner is then the second function that lost EXECUTE, not the first)
  const aaa = `CREATE FUNCTION app.aaa(owner_name text) RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT true $$;
REVOKE EXECUTE ON FUNCTION app.aaa(text) FROM PUBLIC;
`;
  const fn = (before = '') => `CREATE ROLE app_user;\nCREATE SCHEMA app;\n${before}${isOwner}`;
  const policy = `CREATE TABLE app.documents (id bigint PRIMARY KEY, owner_name text NOT NULL, title text NOT NULL);
GRANT USAGE ON SCHEMA app TO app_user;
GRANT SELECT ON app.documents TO app_user;
ALTER TABLE app.documents ENABLE ROW LEVEL SECURITY;
CREATE POLICY p ON app.documents FOR SELECT TO app_user USING (app.is_owner(owner_name));
`;
  const counts = steps({ '1_fn.sql': fn(), '2_policy.sql': policy, '3_more.sql': 'SELECT 1;' }, 'policy-calls-without-execute', [
    ['3_more.sql', 'DROP POLICY p ON app.documents;'],
    ['3_more.sql', 'SELECT 1;'],
    ['3_more.sql', 'DROP POLICY p ON app.documents;\nGRANT EXECUTE ON FUNCTION app.is_owner(text) TO PUBLIC;'],
    ['3_more.sql', 'GRANT EXECUTE ON FUNCTION app.is_owner(text) TO PUBLIC;'],
    ['3_more.sql', 'SELECT 1;'],
    ['1_fn.sql', fn(aaa)],
    ['1_fn.sql', fn(aaa.replace('(owner_name text)', '(owner_name text, n int)').replace('aaa(text)', 'aaa(text, int)'))],
    ['1_fn.sql', fn()],
    ['3_more.sql', 'CREATE POLICY q ON app.documents FOR SELECT TO app_user USING (app.is_owner(title));'],
    ['1_fn.sql', fn(aaa)],
    ['3_more.sql', 'CREATE POLICY q ON app.documents FOR SELECT TO app_user USING (app.aaa(title) AND app.is_owner(title));'],
  ]);
  assert.deepEqual(counts, [1, 0, 1, 0, 0, 1, 1, 1, 1, 2, 2, 3]);
});

test('policy-reads-without-grant / policy-recursion: an unqualified relation of a policy created under SET search_path = app, public follows the table moved from app to public (and back) in an earlier file', () => {
  const tables = (schema: string, more = '') => `CREATE ROLE visitor;
CREATE SCHEMA app;
GRANT USAGE ON SCHEMA app TO visitor;
CREATE TABLE app.docs (id bigint PRIMARY KEY, org_id bigint NOT NULL);
ALTER TABLE app.docs ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON app.docs TO visitor;
CREATE TABLE ${schema}.members (org_id bigint NOT NULL, user_name text NOT NULL, PRIMARY KEY (org_id, user_name));
${more}`;
  const policy = `SET search_path = app, public;
CREATE POLICY docs_read ON app.docs FOR SELECT TO visitor USING (EXISTS (SELECT 1 FROM members m WHERE m.org_id = docs.org_id AND m.user_name = current_user));
`;
  const granted = (schema: string) => `GRANT SELECT ON ${schema}.members TO visitor;\n`;
  const edits: Array<[string, string]> = [
    ['1_tables.sql', tables('public')],
    ['1_tables.sql', tables('public', granted('public'))],
    ['1_tables.sql', tables('app', granted('public'))],
    ['1_tables.sql', tables('app', `CREATE TABLE public.members (org_id bigint, user_name text);\n${granted('public')}`)],
    ['1_tables.sql', tables('public', `CREATE TABLE app.members (org_id bigint, user_name text);\n${granted('app')}`)],
    ['1_tables.sql', tables('app', granted('app'))],
    ['1_tables.sql', tables('app')],
  ];
  // (visitor may read members only where it is granted: app.members first on the path, else public.members)
  assert.deepEqual(steps({ '1_tables.sql': tables('app'), '2_policy.sql': policy }, 'policy-reads-without-grant', edits), [1, 1, 0, 1, 1, 0, 0, 1]);
});

test('table-already-exists / rls-enabled-without-policy: a CREATE TABLE of an unqualified name under SET search_path = data, public (createKeyOf: the first schema listed that exists) follows schema data made or dropped in an earlier file that makes public.docs', () => {
  const tables = `CREATE ROLE app_user;
SET search_path = data, public;
CREATE TABLE docs (id bigint PRIMARY KEY, owner_id uuid);
ALTER TABLE public.docs ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON public.docs TO app_user;
`;
  const publicDocs = 'CREATE TABLE public.docs (id bigint PRIMARY KEY);\n';
  const edits: Array<[string, string]> = [
    ['1_schema.sql', 'CREATE SCHEMA data;\n'],
    ['1_schema.sql', `CREATE SCHEMA data;\n${publicDocs}`],
    ['1_schema.sql', publicDocs],
    ['1_schema.sql', `CREATE FUNCTION data.f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;\n${publicDocs}`],
    ['1_schema.sql', `CREATE SCHEMA data;\n${publicDocs}`],
  ];
  const files = { '1_schema.sql': publicDocs, '2_tables.sql': tables, '3_more.sql': 'SELECT 1;\n' };
  // (with public.docs made before: the CREATE makes it again, unless schema data exists (a CREATE SCHEMA, or a function in it),
  // then data.docs, and the RLS and GRANT go to the public.docs of 1_schema.sql)
  assert.deepEqual(steps(files, 'table-already-exists', edits), [1, 0, 0, 1, 0, 0]);
  assert.deepEqual(steps(files, 'rls-enabled-without-policy', edits), [1, 0, 1, 1, 1, 1]);
});

/**
 * The edits applied to one workspace, each re-lint compared with a fresh lint of the same files;
 * `alone`: the fresh lints made first, so that the workspace's re-lints follow each other with no
 * other lint between (what is kept from the model before, and updated at the runs of statements
 * an edit changed — policy-exprs.ts RunIndex — is then that of the workspace's last model).
 * Returns the findings of `rule` whose message matches `pattern`, per step.
 */
function stepsOf(files: Record<string, string>, edits: Array<[string, string | undefined]>, rule: string, pattern: RegExp, alone: boolean): number[] {
  const apply = (ws: Workspace, [file, text]: [string, string | undefined]) => (text === undefined ? ws.removeFile(file) : ws.setFile(file, text));
  const matching = (ws: Workspace) => [...ws.lint().byFile.values()].flat().filter((f) => f.rule === rule && pattern.test(f.message)).length;
  const ws = new Workspace();
  for (const [f, t] of Object.entries(files)) ws.setFile(f, t);
  let expected: unknown[] | undefined;
  if (alone) {
    const w = new Workspace();
    for (const [f, t] of Object.entries(files)) w.setFile(f, t);
    expected = edits.map((e) => {
      apply(w, e);
      return summary(fresh(w));
    });
  }
  const counts = [matching(ws)];
  for (const [i, e] of edits.entries()) {
    apply(ws, e);
    assert.deepEqual(summary(ws), expected ? expected[i] : summary(fresh(ws)), `step ${i + 1} (${e[0]}) differs from a fresh lint`);
    counts.push(matching(ws));
  }
  return counts;
}

test('policy-already-exists / policy-unknown-column: a CREATE INDEX and a CREATE TABLE added and removed in an earlier and in a later file of many, and a file added and removed between (policy-exprs.ts statementRuns: the runs of statements, what each makes and names kept per run, the runs naming each name updated at the runs an edit changed)', () => {
  const fill: Record<string, string> = {};
  for (let i = 0; i < 20; i++) fill[`migrations/0_${String(i).padStart(2, '0')}.sql`] = `CREATE TABLE fill_${i} (id int);\nCREATE INDEX fill_${i}_id ON fill_${i} (id);\n`;
  const notes = `CREATE TABLE notes (id bigint PRIMARY KEY, owner_id uuid NOT NULL, shared boolean NOT NULL DEFAULT false);
CREATE INDEX notes_owner ON notes (owner_id);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY "read own" ON notes FOR SELECT TO authenticated USING (owner_id = (select auth.uid()));
`;
  const noIndex = notes.replace('CREATE INDEX notes_owner ON notes (owner_id);\n', '');
  const again = `CREATE INDEX notes_owner ON notes (owner_id);
CREATE POLICY "read own" ON notes FOR SELECT TO authenticated USING (owner_id = (select auth.uid()) OR shared);
`;
  const s = 'CREATE TABLE IF NOT EXISTS s (id int);\nALTER TABLE s ENABLE ROW LEVEL SECURITY;\nCREATE POLICY p ON s USING (nope = 1);\n';
  const files = { ...fill, 'migrations/1_notes.sql': notes, 'migrations/2_again.sql': again, 'migrations/3_s.sql': s, 'migrations/4_later.sql': 'SELECT 1;\n' };
  const edits: Array<[string, string | undefined]> = [
    // an earlier file: the index 2_again.sql makes again removed (its CREATE INDEX no longer fails with 42P07), and back
    ['migrations/1_notes.sql', noIndex],
    ['migrations/1_notes.sql', notes],
    // an earlier file names s before its CREATE TABLE IF NOT EXISTS (s made elsewhere: its columns not known), then no longer
    ['migrations/1_notes.sql', `${notes}CREATE INDEX ON s (id);\n`],
    ['migrations/1_notes.sql', notes],
    // a CREATE TABLE s in an earlier file, with the column (the IF NOT EXISTS one skipped), then gone
    ['migrations/0_05.sql', 'CREATE TABLE s (id int, nope int);\n'],
    ['migrations/0_05.sql', fill['migrations/0_05.sql']!],
    // the earlier file's index made in another earlier file instead
    ['migrations/1_notes.sql', noIndex],
    ['migrations/0_07.sql', `${fill['migrations/0_07.sql']}CREATE INDEX notes_owner ON fill_7 (id);\n`],
    ['migrations/0_07.sql', fill['migrations/0_07.sql']!],
    ['migrations/1_notes.sql', notes],
    // a later file: an index of the name, one naming s, a CREATE TABLE: after them, nothing changes
    ['migrations/4_later.sql', 'CREATE INDEX notes_owner ON notes (shared);\nCREATE INDEX ON s (id);\nCREATE TABLE t (id int);\n'],
    ['migrations/4_later.sql', 'DROP INDEX notes_owner;\nCREATE TABLE IF NOT EXISTS s (id int, nope int);\n'],
    ['migrations/4_later.sql', 'SELECT 1;\n'],
    // a file added between, dropping the index (the runs after it move), then removed
    ['migrations/1_z_between.sql', 'DROP INDEX notes_owner;\n'],
    ['migrations/1_z_between.sql', 'DROP INDEX notes_owner;\nCREATE INDEX ON s (id);\n'],
    ['migrations/1_z_between.sql', undefined],
  ];
  // (2_again.sql stops at its CREATE INDEX while 1_notes.sql, or 0_07.sql, made notes_owner and nothing dropped it)
  const stops = [1, 0, 1, 1, 1, 1, 1, 0, 1, 0, 1, 1, 1, 1, 0, 0, 1];
  // (policy p's missing column: reported while s's columns are known, those of its CREATE TABLE IF NOT EXISTS)
  const unknown = [1, 1, 1, 0, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1];
  const stopsAt = /stops before it, at 2_again\.sql:1 \(CREATE INDEX notes_owner, which an earlier migration made: 42P07\)/;
  for (const alone of [false, true]) {
    assert.deepEqual(stepsOf(files, edits, 'policy-already-exists', stopsAt, alone), stops, `alone: ${alone}`);
    assert.deepEqual(stepsOf(files, edits, 'policy-unknown-column', /./, alone), unknown, `alone: ${alone}`);
  }
});

test('policy-already-exists: a file split into two runs by a psql include (\\ir), the included file and the includer edited: the index made before the include, in the included file, after it; the included file removed and added again', () => {
  const notes = `CREATE TABLE notes (id bigint PRIMARY KEY, owner_id uuid NOT NULL, shared boolean NOT NULL DEFAULT false);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY "read own" ON notes FOR SELECT TO authenticated USING (owner_id = (select auth.uid()));
`;
  const again = `CREATE INDEX notes_owner ON notes (owner_id);
CREATE POLICY "read own" ON notes FOR SELECT TO authenticated USING (owner_id = (select auth.uid()) OR shared);
`;
  const main = (before: string, after: string) => `${notes}${before}\\ir inc.sql\n${after}`;
  const index = 'CREATE INDEX notes_owner ON notes (owner_id);\n';
  const files = { 'db/main.sql': main(index, ''), 'db/inc.sql': again };
  const edits: Array<[string, string | undefined]> = [
    ['db/main.sql', main('', index)],
    ['db/inc.sql', `${index.replace('notes_owner', 'notes_other')}${again}`],
    ['db/main.sql', main(index, index)],
    ['db/inc.sql', again],
    ['db/main.sql', main('', '')],
    ['db/inc.sql', `-- moved\n${again}`],
    ['db/main.sql', main(index, '')],
    // the included file gone (main.sql one run), then back (two runs again: the first one shorter)
    ['db/inc.sql', undefined],
    ['db/inc.sql', again],
    ['db/main.sql', main(index, `${index.replace('notes_owner', 'notes_third')}`)],
  ];
  const stopsAt = /stops before it, at inc\.sql:\d+ \(CREATE INDEX notes_owner, which an earlier migration made: 42P07\)/;
  for (const alone of [false, true]) assert.deepEqual(stepsOf(files, edits, 'policy-already-exists', stopsAt, alone), [1, 0, 0, 1, 1, 0, 0, 1, 0, 1, 1], `alone: ${alone}`);
});

test('policy-unknown-column: a DROP TABLE put before a CREATE TABLE that made the table again (which then may not fail) in another file, and taken out again: the kept results follow (ihp-blog)', () => {
  const table = 'CREATE TABLE posts (id uuid NOT NULL, title text NOT NULL);\nALTER TABLE posts ENABLE ROW LEVEL SECURITY;\n';
  const policy = 'CREATE POLICY own ON posts USING (user_id = ihp_user_id());\n';
  const again = 'CREATE TABLE posts (id uuid NOT NULL, title text NOT NULL, user_id uuid NOT NULL);\n';
  const fn = "CREATE FUNCTION ihp_user_id() RETURNS uuid AS $$ SELECT NULLIF(current_setting('rls.ihp_user_id', true), '')::uuid $$ LANGUAGE sql;\n";
  const counts = steps({ 'm/1.sql': table + policy, 'm/2.sql': fn + again }, 'policy-unknown-column', [
    ['m/2.sql', fn + 'DROP TABLE IF EXISTS posts;\n' + again],
    ['m/2.sql', fn + again],
  ]);
  assert.deepEqual(counts, [1, 0, 1]);
});

test('default-privileges-revoke-ineffective / grant-truncate-bypasses-rls: an ALTER DEFAULT PRIVILEGES added to and taken out of one file of several (util.ts anyDefaultPrivileges: whether a file has one, kept with its parse)', () => {
  const schema = (defaults: string) => `CREATE SCHEMA billing;
GRANT USAGE ON SCHEMA billing TO authenticated, service_role;
${defaults}`;
  const fn = `CREATE TABLE billing.credits (org_id uuid PRIMARY KEY, amount int NOT NULL DEFAULT 0);
ALTER TABLE billing.credits ENABLE ROW LEVEL SECURITY;
ALTER TABLE billing.credits FORCE ROW LEVEL SECURITY;
CREATE FUNCTION billing.add_credits(p_org uuid, p_amount int) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  UPDATE billing.credits SET amount = amount + p_amount WHERE org_id = p_org;
END $$;
GRANT EXECUTE ON FUNCTION billing.add_credits(uuid, int) TO service_role;`;
  const revoke = 'ALTER DEFAULT PRIVILEGES IN SCHEMA billing REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;';
  assert.deepEqual(
    steps({ '1_schema.sql': schema(''), '2_billing.sql': fn }, 'default-privileges-revoke-ineffective', [
      ['1_schema.sql', schema(revoke)],
      ['2_billing.sql', `${fn}\n-- a comment`],
      ['1_schema.sql', schema('')],
      ['1_schema.sql', schema(revoke)],
    ]),
    [0, 1, 1, 0, 1],
  );
  const roles = (defaults: string) => `CREATE ROLE d_user NOLOGIN;\n${defaults}`;
  const tables = `CREATE TABLE doc (id int PRIMARY KEY, owner text NOT NULL);
ALTER TABLE doc ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON doc TO d_user USING (owner = current_user);`;
  const grant = 'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO d_user;';
  assert.deepEqual(
    steps({ '1_roles.sql': roles(''), '2_tables.sql': tables }, 'grant-truncate-bypasses-rls', [
      ['1_roles.sql', roles(grant)],
      ['1_roles.sql', roles('')],
      ['1_roles.sql', roles(grant)],
    ]),
    [0, 1, 0, 1],
  );
});

test('policy-missing-select-companion: a function INSERT … RETURNING, in another file, made a trigger function, its RETURNING taken out and put back, its language changed (the writing functions of an overload list, kept on the list)', () => {
  const table = `CREATE ROLE postgraphile_user;
CREATE TABLE user_document (id serial PRIMARY KEY, document_id uuid NOT NULL, user_id uuid NOT NULL, invited_by uuid NOT NULL);
CREATE INDEX ON user_document (invited_by);
ALTER TABLE user_document ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_document FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT ON user_document TO postgraphile_user;
GRANT USAGE ON SEQUENCE user_document_id_seq TO postgraphile_user;
CREATE POLICY invite ON user_document FOR INSERT TO postgraphile_user
  WITH CHECK (invited_by = (select nullif(current_setting('app.user_id', true), '')::uuid));`;
  const fn = (returning: string) => `CREATE FUNCTION invite_user_to_document(p_user uuid, p_document uuid) RETURNS user_document
LANGUAGE sql VOLATILE STRICT AS $$
  INSERT INTO user_document (user_id, document_id, invited_by)
  VALUES (p_user, p_document, nullif(current_setting('app.user_id', true), '')::uuid)
  ${returning};
$$;`;
  const trigger = `CREATE FUNCTION invite_user_to_document() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO user_document (user_id, document_id, invited_by) VALUES (NEW.id, NEW.id, NEW.id) RETURNING id INTO NEW.id;
  RETURN NEW;
END $$;`;
  const rule = 'policy-missing-select-companion';
  assert.deepEqual(
    steps({ '1_table.sql': table, '2_fn.sql': fn('RETURNING *') }, rule, [
      ['2_fn.sql', fn('')],
      ['2_fn.sql', fn('RETURNING *')],
      ['2_fn.sql', trigger],
      ['2_fn.sql', fn('RETURNING *').replace('LANGUAGE sql', 'LANGUAGE sql SECURITY DEFINER')],
      ['2_fn.sql', fn('RETURNING *')],
    ]),
    [1, 0, 1, 0, 0, 1],
  );
});

/** A file's findings of `rule` underline `texts`, and still do after edits above every statement (longer, non-ASCII, shorter), each re-lint the same as a fresh one. */
function followsEditsAbove(file: string, body: string, rule: string, texts: string[]): void {
  const ws = new Workspace();
  ws.setFile(file, body);
  const at = () => [...ws.lint().byFile.values()].flat().filter((f) => f.rule === rule).map((f) => ws.text(file)!.slice(f.start, f.end));
  assert.deepEqual(at(), texts);
  for (const [i, prefix] of ['-- 🎉 déjà vu\n', '', '-- x\n'].entries()) {
    ws.setFile(file, prefix + body);
    assert.deepEqual(at(), texts, `edit ${i + 1}`);
    assert.deepEqual(summary(ws), summary(fresh(ws)), `edit ${i + 1} differs from a fresh lint`);
  }
}

test('policy-reads-without-grant: an edit before the policy moves it, and the sub-select read is reported at its new place (the reads kept on the expression keep its RangeVars, not their offsets)', () => {
  const body = `CREATE ROLE app_user;
CREATE SCHEMA app;
CREATE TABLE app.members (team_id bigint NOT NULL, user_name text NOT NULL, PRIMARY KEY (team_id, user_name));
CREATE TABLE app.documents (id bigint PRIMARY KEY, team_id bigint NOT NULL, title text NOT NULL);
GRANT USAGE ON SCHEMA app TO app_user;
GRANT SELECT ON app.documents TO app_user;
ALTER TABLE app.documents ENABLE ROW LEVEL SECURITY;
CREATE POLICY documents_team ON app.documents FOR SELECT TO app_user
  USING (EXISTS (SELECT 1 FROM app.members m WHERE m.team_id = documents.team_id AND m.user_name = current_user));
`;
  followsEditsAbove('1_app.sql', body, 'policy-reads-without-grant', ['app.members']);
});

test('policy-calls-without-execute: an edit before the policy moves it, and the call is reported at its new place', () => {
  const body = `create schema if not exists kit;
create function kit.file_account(name text) returns uuid language plpgsql set search_path = '' as $$
begin
  return split_part(name, '.', 1)::uuid;
end;
$$;
revoke execute on function kit.file_account(text) from public;
grant execute on function kit.file_account(text) to authenticated, service_role;
create policy account_image on storage.objects for select
  using (bucket_id = 'account_image' and kit.file_account(name) = (select auth.uid()));
`;
  followsEditsAbove('supabase/migrations/20240101000000_storage.sql', body, 'policy-calls-without-execute', ['kit.file_account']);
});
