// A sqitch project's plan decides the order its deploy scripts replay in.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { planChanges, planProjects, sqitchLayout, unplannedScripts } from '../../server/src/analysis/sqitch-plan.js';
import { closeAll, expectPgError, getDb, inRollback } from '../helpers/pg.js';
import { migrationOrder, NOT_APPLIED, notReplayedReason } from '../../server/src/analysis/model.js';
import { initParser, Workspace } from '../../server/src/engine/workspace.js';

before(initParser);
after(closeAll);

const PLAN = `%syntax-version=1.0.0
%project=vibetype

privilege_execute_revoke 1970-01-01T00:00:00Z Jonas <j@example.com> # Revoke execute privilege from public.
schema_public [privilege_execute_revoke] 1970-01-01T00:00:00Z Jonas <j@example.com> # Add public schema.
function_a [schema_public] 1970-01-01T00:00:00Z Jonas <j@example.com> # A function.
@v1.0 2024-01-01T00:00:00Z Jonas <j@example.com> # Tag v1.0.
-dropped 2024-01-02T00:00:00Z Jonas <j@example.com>
function_a [function_a@v1.0] 2024-02-01T00:00:00Z Jonas <j@example.com> # Reworked.
`;

test('ok: the plan names the changes in deploy order as their scripts are named (a reworked change: its script as of the tag after its first place, then its current one); pragmas, tags and reverted changes are left out', () => {
  assert.deepEqual(planChanges(PLAN), ['privilege_execute_revoke', 'schema_public', 'function_a@v1.0', 'function_a']);
  assert.deepEqual(planChanges(''), []);
});

test('ok: migrationOrder runs the deploy scripts in plan order (not the path order), a script as of a tag before its change, others where they were', () => {
  const files = ['src/deploy/function_a.sql', 'src/deploy/function_a@v1.0.sql', 'src/deploy/privilege_execute_revoke.sql', 'src/deploy/schema_public.sql', 'src/revert/function_a.sql', 'src/test.sql'].map((file) => ({ file }));
  const plans = [{ folder: 'src/', changes: planChanges(PLAN) }];
  assert.deepEqual(
    migrationOrder(files, plans).map((f) => f.file),
    ['src/deploy/privilege_execute_revoke.sql', 'src/deploy/schema_public.sql', 'src/deploy/function_a@v1.0.sql', 'src/deploy/function_a.sql', 'src/revert/function_a.sql', 'src/test.sql'],
  );
});

test("err → ok: maevsi: ALTER DEFAULT PRIVILEGES … REVOKE EXECUTE FROM PUBLIC first in the plan covers the functions the path order put before it", () => {
  const ws = new Workspace();
  ws.setFile('src/deploy/function_secret.sql', "CREATE FUNCTION public.secret() RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$ SELECT count(*)::int FROM pg_catalog.pg_class $$;\n");
  ws.setFile('src/deploy/privilege_execute_revoke.sql', 'ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;\n');
  const rule = () => [...ws.lint().byFile.values()].flat().filter((f) => f.rule === 'definer-execute-granted-to-public').length;
  assert.equal(rule(), 1, 'path order: the function comes first, executable by PUBLIC');
  ws.setSqitchPlans([{ folder: 'src/', changes: ['privilege_execute_revoke', 'function_secret'] }]);
  assert.equal(rule(), 0, 'plan order: the revoke of the defaults comes first');
  assert.deepEqual(ws.configOf('src/deploy/function_secret.sql').sqitchPlans?.[0]?.folder, 'src/');
});

test("ok: sqitch.conf: plan_file and deploy_dir under top_dir by default; [engine \"pg\"] (or [engine.pg]) overrides [core]; comments and quotes", () => {
  assert.deepEqual(sqitchLayout(''), { planFile: './sqitch.plan', deployDir: './deploy', reworkedDeployDir: './deploy' });
  assert.deepEqual(sqitchLayout('[core]\n\tengine = pg\n\tplan_file = sqitch.plan\n\ttop_dir = db/sqitch\n'), { planFile: 'sqitch.plan', deployDir: 'db/sqitch/deploy', reworkedDeployDir: 'db/sqitch/deploy' });
  assert.deepEqual(sqitchLayout('[core]\n  top_dir = a\n[engine "pg"]\n  top_dir = "b" # the pg one\n'), { planFile: 'b/sqitch.plan', deployDir: 'b/deploy', reworkedDeployDir: 'b/deploy' });
  assert.deepEqual(sqitchLayout('[engine.pg]\n  deploy_dir = scripts/up\n; note\n'), { planFile: './sqitch.plan', deployDir: 'scripts/up', reworkedDeployDir: './deploy' });
});

// Calibration cal182 (avi2008rai/parkhands): its sqitch.conf sets `reworked_dir = reworked` (under
// [engine "pg"]), so sqitch keeps a reworked change's earlier scripts in reworked/deploy/ and runs
// them from there (Plan::Change deploy_file: reworked_deploy_dir, by default deploy/ under
// reworked_dir, itself top_dir by default).
test("ok: sqitch.conf: reworked_dir (or reworked_deploy_dir) is where a reworked change's earlier scripts are", () => {
  assert.equal(sqitchLayout('[engine "pg"]\n  target = dev\n\treworked_dir = reworked\n').reworkedDeployDir, 'reworked/deploy');
  assert.equal(sqitchLayout('[core]\n  top_dir = db\n  reworked_deploy_dir = old/up\n').reworkedDeployDir, 'old/up');
  assert.equal(sqitchLayout('[core]\n  top_dir = db\n').reworkedDeployDir, 'db/deploy');
});

test('ok: migrationOrder takes the earlier places of a reworked change from the plan\'s reworked deploy folder', () => {
  const plan = 'table_slot 2020-01-01T00:00:00Z A <a@example.com>\nrls_slot [table_slot] 2020-01-01T00:00:00Z A <a@example.com>\n@v1 2020-01-02T00:00:00Z A <a@example.com>\ntable_slot [table_slot@v1] 2020-01-03T00:00:00Z A <a@example.com>\nrls_slot [rls_slot@v1] 2020-01-03T00:00:00Z A <a@example.com>\n';
  const paths = ['db/deploy/rls_slot.sql', 'db/deploy/table_slot.sql', 'db/reworked/deploy/rls_slot@v1.sql', 'db/reworked/deploy/table_slot@v1.sql'];
  const order = (plans: Parameters<typeof migrationOrder>[1]) => migrationOrder(paths.map((file) => ({ file })), plans).map((f) => f.file);
  assert.deepEqual(order([{ folder: 'db/', changes: planChanges(plan), reworkedDeploy: 'db/reworked/deploy/' }]), [
    'db/reworked/deploy/table_slot@v1.sql',
    'db/reworked/deploy/rls_slot@v1.sql',
    'db/deploy/table_slot.sql',
    'db/deploy/rls_slot.sql',
  ]);
  // (looked for in deploy/, they were not found there and kept their path-order places, rls_slot@v1 first)
  assert.deepEqual(order([{ folder: 'db/', changes: planChanges(plan) }]).slice(2), ['db/reworked/deploy/rls_slot@v1.sql', 'db/reworked/deploy/table_slot@v1.sql']);
});

// Calibration cal163 (seattleflu/id3c-customizations): `policies` is tagged @2020-03-07 and
// @2020-03-09 before its first rework, and `sqitch rework` kept its script as
// `policies@2020-03-09.sql` (named after the latest tag); sqitch runs, for a reworked change's
// earlier place, the first of its rework tags' scripts that exists (Plan::Change path_segments).
// The plan was read as naming `policies@2020-03-07`, so the script kept its path-order place; and
// its `-- requires: roles/vis/create` header, read as a constraint, put it after `create.sql`, the
// current script of a change the plan reworks much later.
const REWORK_PLAN = `%syntax-version=1.0.0
%project=acme

roles/vis/create 2020-01-01T00:00:00Z A <a@example.com> # role
policies [roles/vis/create] 2020-01-02T00:00:00Z A <a@example.com> # policies
@2020-03-07 2020-03-07T00:00:00Z A <a@example.com> # tag
views 2020-03-08T00:00:00Z A <a@example.com> # views
@2020-03-09 2020-03-09T00:00:00Z A <a@example.com> # tag
policies [policies@2020-03-09] 2020-03-10T00:00:00Z A <a@example.com> # rework
@2021-07-14 2021-07-14T00:00:00Z A <a@example.com> # tag
roles/vis/create [roles/vis/create@2021-07-14] 2021-07-15T00:00:00Z A <a@example.com> # rework
`;

test('ok: an earlier place of a reworked change names every tag before its next place (sqitch runs the first whose script exists), and migrationOrder puts that script there; under a plan, `-- requires:` headers do not reorder', () => {
  assert.deepEqual(planChanges(REWORK_PLAN), ['roles/vis/create@2020-03-07 roles/vis/create@2020-03-09 roles/vis/create@2021-07-14', 'policies@2020-03-07 policies@2020-03-09', 'views', 'policies', 'roles/vis/create']);
  const header = '-- Deploy acme:policies to pg\n-- requires: roles/vis/create\n\nBEGIN;\nSELECT 1;\nCOMMIT;\n';
  const files = [
    { file: 's/deploy/policies.sql', text: header },
    { file: 's/deploy/policies@2020-03-09.sql', text: header },
    { file: 's/deploy/roles/vis/create.sql', text: 'SELECT 1;\n' },
    { file: 's/deploy/roles/vis/create@2021-07-14.sql', text: 'SELECT 1;\n' },
    { file: 's/deploy/views.sql', text: 'SELECT 1;\n' },
  ];
  const plans = [{ folder: 's/', changes: planChanges(REWORK_PLAN) }];
  assert.deepEqual(
    migrationOrder(files, plans).map((f) => f.file),
    ['s/deploy/roles/vis/create@2021-07-14.sql', 's/deploy/policies@2020-03-09.sql', 's/deploy/views.sql', 's/deploy/policies.sql', 's/deploy/roles/vis/create.sql'],
  );
  // (the first candidate that exists: with both scripts kept, the earlier tag's)
  const both = [...files, { file: 's/deploy/policies@2020-03-07.sql', text: header }];
  assert.equal(migrationOrder(both, plans).map((f) => f.file)[1], 's/deploy/policies@2020-03-07.sql');
  // (without a plan, the headers still order a project's scripts: launchql's packages have none)
  const unplanned = migrationOrder(files).map((f) => f.file);
  assert.ok(unplanned.indexOf('s/deploy/policies@2020-03-09.sql') > unplanned.indexOf('s/deploy/roles/vis/create.sql'));
});

// Calibration cal182 (avi2008rai/parkhands): deploy/rls_parking_space_availability.sql, which
// enables RLS on api.parking_space_availability and creates its policies, is named by no line of
// sqitch.plan, so `sqitch deploy` never runs it. It was replayed at its path-order place, before
// the plan's table_parking_space_availability: three policies "created on a table made only
// later" (42P01), and RLS said to be enabled before the table exists.
test('ok: a deploy script the plan does not name is parsed, not replayed (sqitch deploy never runs it); a reworked script is named by its change as of a tag', () => {
  const plan = [{ folder: 'db/', changes: ['table_a', 'rls_a@v1', 'rls_a'], reworkedDeploy: 'db/reworked/deploy/' }];
  const files = ['db/deploy/table_a.sql', 'db/deploy/rls_a.sql', 'db/deploy/rls_b.sql', 'db/reworked/deploy/rls_a@v1.sql', 'db/reworked/deploy/rls_a@v0.sql', 'db/revert/rls_b.sql', 'other/deploy/x.sql'];
  assert.deepEqual([...unplannedScripts(files, plan).keys()], ['db/deploy/rls_b.sql', 'db/reworked/deploy/rls_a@v0.sql']);
  assert.deepEqual([...unplannedScripts(files, []).keys()], []);
  // an earlier place naming several tags: each candidate counts as named (sqitch runs the first that exists)
  assert.deepEqual([...unplannedScripts(['s/deploy/p@t1.sql', 's/deploy/p@t2.sql'], [{ folder: 's/', changes: ['p@t1 p@t2', 'p'] }]).keys()], []);

  const ws = new Workspace();
  ws.setFile('db/deploy/table_a.sql', 'BEGIN;\nCREATE TABLE a (id int PRIMARY KEY, owner text);\nGRANT SELECT ON a TO app_anonymous;\nCOMMIT;\n');
  ws.setFile('db/deploy/rls_b.sql', "BEGIN;\nALTER TABLE a ENABLE ROW LEVEL SECURITY;\nCREATE POLICY own ON a TO app_anonymous USING (owner = current_setting('app.user', true));\nCOMMIT;\n");
  ws.setFile('db/deploy/rls_c.sql', "BEGIN;\nCREATE TABLE c (id int PRIMARY KEY, owner text);\nALTER TABLE c ENABLE ROW LEVEL SECURITY;\nCREATE POLICY own ON c TO app_anonymous USING (owner = current_setting('app.user', true));\nCOMMIT;\n");
  const rules = () => [...ws.lint().byFile.values()].flat().map((f) => f.rule);
  // path order, no plan: rls_b runs before table_a: its policy is created on a table made only later
  assert.ok(rules().includes('policy-unknown-column'));
  ws.setSqitchPlans([{ folder: 'db/', changes: ['rls_c', 'table_a'] }]);
  const after = [...ws.lint().byFile.values()].flat();
  assert.equal(notReplayedReason(ws.parsed('db/deploy/rls_b.sql')!), NOT_APPLIED.sqitch);
  assert.equal(notReplayedReason(ws.parsed('db/deploy/table_a.sql')!), undefined);
  assert.deepEqual(after.filter((f) => f.rule === 'policy-unknown-column'), []);
  const notEnabled = after.filter((f) => f.rule === 'rls-not-enabled');
  assert.equal(notEnabled.length, 1);
  assert.match(notEnabled[0]!.message, /sqitch deploy never runs them/);
});


// Calibration cal196 (stlbucket/sqitch-phile): one database of several sqitch projects, db/schema/auth,
// db/schema/auth_fn, … each with its plan, whose changes require other projects' (`[auth:structure/app_user]`).
// Ranked by their place in their own plan alone, the projects' changes were interleaved (each
// project's first change, then each one's second…): auth_fn's functions returning auth.app_user came
// before auth made the type, and verify reported 70 statement errors.
const AUTH_PLAN = `%syntax-version=1.0.0
%project=auth

structure/schema 2018-04-11T19:25:04Z K <k@example.com> # schema
structure/app_user [structure/schema] 2018-04-11T19:29:00Z K <k@example.com> # users
custom-type/jwt_token [structure/schema] 2018-04-11T20:20:17Z K <k@example.com> # token
`;
const AUTH_FN_PLAN = `%syntax-version=1.0.0
%project=auth-fn

structure/schema [auth:structure/schema] 2018-04-11T19:25:04Z K <k@example.com> # functions
function/current_app_user [auth:structure/app_user auth:custom-type/jwt_token !auth:gone] 2018-04-11T20:32:48Z K <k@example.com> # current user
`;
const AUTH_SQL: Record<string, string> = {
  'db/auth/deploy/structure/schema.sql': 'CREATE SCHEMA auth;\n',
  'db/auth/deploy/structure/app_user.sql': 'CREATE TABLE auth.app_user (id uuid PRIMARY KEY, tenant_id uuid);\nALTER TABLE auth.app_user ENABLE ROW LEVEL SECURITY;\n',
  'db/auth/deploy/custom-type/jwt_token.sql': 'CREATE TYPE auth.jwt_token AS (role text, app_user_id uuid);\n',
  'db/auth_fn/deploy/structure/schema.sql': 'CREATE SCHEMA auth_fn;\n',
  'db/auth_fn/deploy/function/current_app_user.sql': "CREATE FUNCTION auth_fn.current_app_user() RETURNS auth.app_user LANGUAGE sql STABLE AS $$ SELECT * FROM auth.app_user WHERE id = nullif(current_setting('jwt.claims.app_user_id', true), '')::uuid $$;\n",
};

test("ok: planProjects reads a plan's project and the other projects its changes require (not a conflict's, not its own)", () => {
  assert.deepEqual(planProjects(AUTH_PLAN), { project: 'auth', requires: [] });
  assert.deepEqual(planProjects(AUTH_FN_PLAN), { project: 'auth-fn', requires: ['auth'] });
  assert.deepEqual(planProjects('%project=x\na [x:b y:c @v1] 2020-01-01T00:00:00Z K <k@e> # n\n'), { project: 'x', requires: ['y'] });
});

test('ok: several sqitch projects deploy one after another, each in its plan order (not interleaved), a project after those whose changes it requires; PGlite: that order runs, the interleaved one fails with 42704', async () => {
  const files = Object.keys(AUTH_SQL).sort().map((file) => ({ file }));
  const auth = { folder: 'db/auth/', changes: planChanges(AUTH_PLAN), ...planProjects(AUTH_PLAN) };
  const authFn = { folder: 'db/auth_fn/', changes: planChanges(AUTH_FN_PLAN), ...planProjects(AUTH_FN_PLAN) };
  const expected = ['db/auth/deploy/structure/schema.sql', 'db/auth/deploy/structure/app_user.sql', 'db/auth/deploy/custom-type/jwt_token.sql', 'db/auth_fn/deploy/structure/schema.sql', 'db/auth_fn/deploy/function/current_app_user.sql'];
  assert.deepEqual(migrationOrder(files, [auth, authFn]).map((f) => f.file), expected);
  // (the requiring project's folder first in path order: its requirement still deploys first)
  const moved = Object.keys(AUTH_SQL).map((f) => ({ file: f.replace('db/auth_fn/', 'db/a_fn/') })).sort((a, b) => (a.file < b.file ? -1 : 1));
  assert.deepEqual(migrationOrder(moved, [auth, { ...authFn, folder: 'db/a_fn/' }]).map((f) => f.file), expected.map((f) => f.replace('db/auth_fn/', 'db/a_fn/')));
  await inRollback(await getDb(), async (q) => {
    for (const f of expected) await q(AUTH_SQL[f]!);
    assert.equal((await q('SELECT auth_fn.current_app_user() IS NULL AS unset'))[0]!.unset, true);
  });
  const interleaved = ['db/auth/deploy/structure/schema.sql', 'db/auth_fn/deploy/structure/schema.sql', 'db/auth_fn/deploy/function/current_app_user.sql'];
  await inRollback(await getDb(), async (q) => {
    for (const f of interleaved.slice(0, 2)) await q(AUTH_SQL[f]!);
    await expectPgError(q(AUTH_SQL[interleaved[2]!]!), '42704', 'type "auth.app_user" does not exist');
  });
});
