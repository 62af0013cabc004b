// Which lint findings the engine shows (verify/confirm.ts): each rule's RuleMeta.shownBy names
// the SQLSTATEs of the replayed statement a finding is on, or of a probe of a table the finding
// is about. Lint and verify run on the same migrations, verify on PGlite with seeded rows.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { Finding } from '../server/src/engine/workspace.js';
import type { Confirmation } from '../server/src/verify/confirm.js';
import { verified } from './helpers/verified.js';
import type { VerifyFile, VerifyResult } from '../server/src/verify/pglite.js';

const FILES: VerifyFile[] = [
  {
    file: 'migrations/001_tables.sql',
    text: `-- « Schéma » 日本語 😀
CREATE ROLE app_user;
CREATE TABLE tenant_users (id bigint PRIMARY KEY, tenant_id bigint NOT NULL, user_name text NOT NULL);
CREATE TABLE members (id bigint PRIMARY KEY, team_id bigint NOT NULL, user_name text NOT NULL);
CREATE TABLE docs (id bigint PRIMARY KEY, tenant_id bigint NOT NULL);
CREATE TABLE notes (id bigint PRIMARY KEY, owner text NOT NULL);
CREATE TABLE projects (id bigint PRIMARY KEY, tenant_id uuid NOT NULL);
GRANT SELECT ON tenant_users, members, docs, notes, projects TO app_user;
ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_users ENABLE ROW LEVEL SECURITY;
ALTER TABLE members ENABLE ROW LEVEL SECURITY;
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
`,
  },
  {
    file: 'migrations/002_policies.sql',
    text: `-- T01: reads its own table in a sub-select: 42P17
CREATE POLICY tenant_users_read ON tenant_users FOR SELECT TO app_user
  USING (tenant_id IN (SELECT tenant_id FROM tenant_users WHERE user_name = current_user));
-- T02 through an invoker plpgsql helper: 54001 once the table has a row
CREATE FUNCTION my_teams() RETURNS SETOF bigint LANGUAGE plpgsql STABLE AS $$
BEGIN RETURN QUERY SELECT team_id FROM members WHERE user_name = current_user; END $$;
CREATE POLICY members_mine ON members FOR SELECT TO app_user USING (team_id IN (SELECT my_teams()));
-- T15: current_setting without missing_ok, through a helper: 42704 on a row
CREATE FUNCTION current_tenant() RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT current_setting('app.tenant')::bigint $$;
CREATE POLICY docs_tenant ON docs FOR SELECT TO app_user USING (tenant_id = current_tenant());
-- written twice: the second fails with 42710
CREATE POLICY notes_own ON notes FOR SELECT TO app_user USING (owner = current_user);
CREATE POLICY notes_own ON notes FOR SELECT TO app_user USING (owner = session_user);
-- created twice: 42P07
CREATE TABLE notes (id bigint PRIMARY KEY, owner text NOT NULL, body text);
-- T15b: reads '' once a transaction-local set has ended: 22P02
CREATE POLICY projects_read ON projects FOR SELECT TO app_user USING (tenant_id = (select current_setting('app.tenant_id', true)::uuid));
-- T28: no privilege for the policy's role: its reads fail with 42501 before RLS (an UPDATE policy's finding is not shown by a read)
CREATE ROLE auditor;
CREATE TABLE secrets (id bigint PRIMARY KEY, body text);
ALTER TABLE secrets ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON secrets TO app_user;
GRANT SELECT ON notes TO auditor;
CREATE POLICY secrets_audit ON secrets FOR SELECT TO auditor USING (true);
CREATE POLICY secrets_fix ON secrets FOR UPDATE TO auditor USING (true);
-- per-row auth call: its message mentions 42P17 (a wrapping that could recurse), which the engine does show on tenant_users
CREATE POLICY tenant_users_mine ON tenant_users FOR SELECT TO app_user USING (user_name = current_setting('app.user', true));
`,
  },
  {
    // T15 on two policies of one table, each reading its own setting: the read fails on the SELECT
    // policy's (42704 app.user_id), which says nothing of the DELETE policy's app.tenant_id
    file: 'migrations/003_settings.sql',
    text: `CREATE TABLE t (id uuid PRIMARY KEY, tenant_id uuid NOT NULL, owner_id uuid);
CREATE INDEX ON t (tenant_id);
CREATE INDEX ON t (owner_id);
ALTER TABLE t ENABLE ROW LEVEL SECURITY;
ALTER TABLE t FORCE ROW LEVEL SECURITY;
GRANT SELECT, DELETE ON t TO app_user;
CREATE POLICY t_sel ON t FOR SELECT TO app_user USING (owner_id = (select current_setting('app.user_id')::uuid));
CREATE POLICY t_del ON t FOR DELETE TO app_user USING (tenant_id = (select current_setting('app.tenant_id')::uuid));
`,
  },
];

let result: VerifyResult;
let findings: Finding[];
let shown: Array<Confirmation<Finding>>;
before(async () => {
  ({ result, findings, shown } = await verified(FILES, { seed: true }));
});

const line = (c: Confirmation<Finding>) =>
  `${c.finding.rule} ${c.finding.file}:${c.finding.range.start.line + 1} ${c.code ?? c.exposure?.kind} ${c.probe ? `probe ${c.probe.table}` : c.exposure ? `exposure ${c.exposure.object}` : 'statement'}`;

describe('verify: the lint findings the engine shows', () => {
  test('ok: recursion (42P17 probe; 54001 on a seeded row), an unset setting through a helper and in a policy (42704), a setting read after its local set ended (22P02), a policy and a table written twice (42710, 42P07), a policy role without SELECT or UPDATE (42501, as that role), tables not forced (their owner reads what it reads no longer when forced)', () => {
    assert.deepEqual(shown.map(line).sort(), [
      'policy-already-exists migrations/002_policies.sql:13 42710 statement',
      'policy-current-setting-unsafe migrations/002_policies.sql:17 22P02 probe public.projects',
      'policy-current-setting-unsafe migrations/002_policies.sql:9 42704 probe public.docs',
      // (t_sel's; t_del's finding is not shown by the read failing on t_sel's setting)
      'policy-current-setting-unsafe migrations/003_settings.sql:7 42704 probe public.t',
      'policy-recursion migrations/002_policies.sql:3 42P17 probe public.tenant_users',
      'policy-recursion migrations/002_policies.sql:7 54001 probe public.members',
      'policy-role-without-grant migrations/002_policies.sql:24 42501 probe public.secrets',
      'policy-role-without-grant migrations/002_policies.sql:25 42501 probe public.secrets',
      // (each table's owner, an ordinary role, reads its seeded row; with FORCE, no policy admits it)
      'rls-not-forced migrations/001_tables.sql:3 owner exposure public.tenant_users',
      'rls-not-forced migrations/001_tables.sql:4 owner exposure public.members',
      'rls-not-forced migrations/001_tables.sql:5 owner exposure public.docs',
      'rls-not-forced migrations/001_tables.sql:6 owner exposure public.notes',
      'rls-not-forced migrations/001_tables.sql:7 owner exposure public.projects',
      'rls-not-forced migrations/002_policies.sql:20 owner exposure public.secrets',
      'table-already-exists migrations/002_policies.sql:15 42P07 statement',
    ]);
  });

  test("ok: policy-role-without-grant on an UPDATE policy is shown by the UPDATE probe as its role, not by the read (its claim is about UPDATEs); a refused row's 42501 shows nothing", () => {
    const update = shown.find((c) => c.finding.rule === 'policy-role-without-grant' && c.finding.range.start.line + 1 === 25);
    assert.equal(update?.probe?.command, 'update');
    assert.match(update!.probe!.message!, /^permission denied for table secrets/);
    const read = shown.find((c) => c.finding.rule === 'policy-role-without-grant' && c.finding.range.start.line + 1 === 24);
    assert.equal(read?.probe?.command, 'select');
    // (no finding is shown by "new row violates row-level security policy", also 42501)
    assert.ok(!shown.some((c) => /new row violates/.test(c.probe?.message ?? '')));
  });

  test("ok: a 42704 shows only a finding whose policy (or function) reads the setting it names, as a probe that evaluates that policy: the read failing on t_sel's app.user_id does not show t_del's app.tenant_id", async () => {
    const onT = findings.filter((f) => f.rule === 'policy-current-setting-unsafe' && f.file === 'migrations/003_settings.sql');
    assert.deepEqual(onT.map((f) => /Policy "(\w+)"/.exec(f.message)![1]), ['t_sel', 't_del']);
    const read = result.probes.find((p) => p.table === 'public.t' && p.command === 'select' && !p.settingsEnded);
    assert.equal(`${read?.code} ${read?.message}`, '42704 unrecognized configuration parameter "app.user_id"');
    // (with probes made up: a DELETE failing on app.tenant_id shows t_del's, not t_sel's; a read failing on
    // another setting than the one the helper current_tenant() reads does not show its finding)
    const { confirm } = await import('../server/src/verify/confirm.js');
    const { ruleById, Workspace } = await import('../server/src/engine/workspace.js');
    const ws = new Workspace();
    for (const f of FILES) ws.setFile(f.file, f.text);
    const model = ws.model(FILES[0]!.file);
    const probe = (table: string, command: 'select' | 'delete', setting: string) => ({ table, role: 'app_user', command, outcome: 'error' as const, code: '42704', message: `unrecognized configuration parameter "${setting}"` });
    const shownWith = (p: ReturnType<typeof probe>) =>
      confirm(findings, model, { statementErrors: [], probes: [p], pgVersion: 'x' }, (rule) => ruleById.get(rule)?.meta.shownBy).map((c) => `${c.finding.file}:${c.finding.range.start.line + 1}`);
    assert.deepEqual(shownWith(probe('public.t', 'delete', 'app.tenant_id')), ['migrations/003_settings.sql:8']);
    assert.deepEqual(shownWith(probe('public.t', 'select', 'app.tenant_id')), [], 'a read does not evaluate the DELETE policy');
    assert.deepEqual(shownWith(probe('public.docs', 'select', 'app.tenant')), ['migrations/002_policies.sql:9']);
    assert.deepEqual(shownWith(probe('public.docs', 'select', 'app.other')), []);
  });

  test("ok: a finding is shown only as its rule's shownBy says, even when its message names a code a probe raised (policy-per-row-function, shown by a plan, mentions 42P17)", () => {
    const perRow = findings.filter((f) => f.rule === 'policy-per-row-function');
    assert.ok(perRow.length > 0 && perRow.some((f) => /42P17/.test(f.message)), 'a per-row finding naming 42P17');
    assert.ok(result.probes.some((p) => p.code === '42P17'));
    assert.ok(!shown.some((c) => c.finding.rule === 'policy-per-row-function'));
  });
});

describe('verify: a probe shows only its own cycle', () => {
  test("ok: a 42P17 naming another cycle's relation does not show a recursion finding whose policies are elsewhere (madmono: the projects probe met team_members' recursion first)", async () => {
    const { confirm } = await import('../server/src/verify/confirm.js');
    const { rules } = await import('../server/src/rules/lib/catalog.js');
    const { lintTexts } = await import('../server/src/engine/workspace.js');
    const sql = `CREATE ROLE app_user;
CREATE TABLE workspaces (id bigint PRIMARY KEY);
CREATE TABLE projects (id bigint PRIMARY KEY, workspace_id bigint NOT NULL, team_id bigint NOT NULL);
CREATE TABLE team_members (team_id bigint NOT NULL, user_name text NOT NULL);
GRANT SELECT ON workspaces, projects, team_members TO app_user;
ALTER TABLE workspaces ENABLE ROW LEVEL SECURITY;
ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
ALTER TABLE team_members ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION is_member(ws bigint) RETURNS boolean LANGUAGE plpgsql STABLE AS $$ BEGIN RETURN EXISTS (SELECT 1 FROM workspaces WHERE id = ws); END $$;
CREATE POLICY ws_read ON workspaces FOR SELECT TO app_user USING (is_member(id));
CREATE POLICY tm_read ON team_members FOR SELECT TO app_user USING (team_id IN (SELECT team_id FROM team_members WHERE user_name = current_user));
CREATE POLICY p_read ON projects FOR SELECT TO app_user USING (is_member(workspace_id) AND team_id IN (SELECT team_id FROM team_members));
`;
    const linted = await lintTexts([{ file: '1.sql', text: sql }]);
    const recursion = [...linted.byFile.values()].flat().filter((f) => f.rule === 'policy-recursion');
    assert.ok(recursion.some((f) => /on workspaces recurses/.test(f.message)));
    const shownBy = (id: string) => rules.find((r) => r.meta.id === id)?.meta.shownBy;
    const probe = (table: string, relation: string) => ({ table, role: 'app_user', command: 'select' as const, outcome: 'error' as const, code: '42P17', message: `infinite recursion detected in policy for relation "${relation}"` });
    const shownWith = (p: ReturnType<typeof probe>) =>
      confirm(recursion, linted.model, { statementErrors: [], probes: [p], pgVersion: 'x' }, shownBy).map((c) => /on (\w+) recurses/.exec(c.finding.message)![1]);
    assert.deepEqual(shownWith(probe('public.projects', 'team_members')), [], 'neither the workspaces cycle nor team_members (the probe was of projects)');
    assert.deepEqual(shownWith(probe('public.team_members', 'team_members')), ['team_members']);
    // (the finding's policy rejected by the replay when it was created: a probe of its table shows nothing of it —
    // team9projectgrowth/fms: the 42P17 came from other policies)
    const at = sql.indexOf('CREATE POLICY tm_read');
    const rejected = { file: '1.sql', offset: at, code: '42P01', message: 'relation "x" does not exist', statementStart: at, statementEnd: sql.indexOf(';', at) + 1 };
    const shown = confirm(recursion, linted.model, { statementErrors: [rejected], probes: [probe('public.team_members', 'team_members')], pgVersion: 'x' }, shownBy);
    assert.deepEqual(shown, []);
  });
});

describe('verify: a statement error shows a finding only with the error its rule claims', () => {
  test("ok: policy-type-mismatch on Neon's auth.user_id() is shown by 42883 operator does not exist: text = uuid, not by 42883 function auth.user_id() does not exist (verify's PGlite has no pg_session_jwt)", async () => {
    const { confirm } = await import('../server/src/verify/confirm.js');
    const { rules } = await import('../server/src/rules/lib/catalog.js');
    const { lintTexts } = await import('../server/src/engine/workspace.js');
    const sql = `CREATE TABLE "notes" ("id" serial PRIMARY KEY NOT NULL, "user_id" uuid NOT NULL);--> statement-breakpoint
ALTER TABLE "notes" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "crud-authenticated-policy-select" ON "notes" AS PERMISSIVE FOR SELECT TO "authenticated" USING ((select auth.user_id() = "notes"."user_id"));
`;
    const linted = await lintTexts([{ file: 'drizzle/0000_notes.sql', text: sql }]);
    const mismatch = [...linted.byFile.values()].flat().filter((f) => f.rule === 'policy-type-mismatch');
    assert.equal(mismatch.length, 1);
    const shownBy = (id: string) => rules.find((r) => r.meta.id === id)?.meta.shownBy;
    const at = sql.indexOf('CREATE POLICY');
    const failed = (message: string) => ({ file: 'drizzle/0000_notes.sql', offset: at, code: '42883', message, statementStart: at, statementEnd: sql.length - 1 });
    const shownWith = (message: string) => confirm(mismatch, linted.model, { statementErrors: [failed(message)], probes: [], pgVersion: 'x' }, shownBy).length;
    assert.equal(shownWith('operator does not exist: text = uuid'), 1);
    assert.equal(shownWith('function auth.user_id() does not exist'), 0);
  });
});

// A uuid cast through text to a number (policy-type-mismatch): PostgreSQL creates the policy, and a
// signed-in caller's query fails with 22P02 — verify's read as Supabase's authenticated, signed in
// with a uuid sub, shows it; in the policy's own text, and in a helper the policy calls.
const UUID_AS_NUMBER: VerifyFile[] = [
  {
    file: 'supabase/migrations/001_ids.sql',
    text: `CREATE TABLE usuarios (id serial PRIMARY KEY, tipo_usuario text NOT NULL);
CREATE TABLE logs_alteracoes (id serial PRIMARY KEY, acao text NOT NULL);
CREATE TABLE tarefas (id serial PRIMARY KEY, dono integer);
CREATE TABLE notas (id serial PRIMARY KEY, dono integer);
GRANT SELECT ON usuarios, logs_alteracoes, tarefas, notas TO authenticated, anon;
ALTER TABLE logs_alteracoes ENABLE ROW LEVEL SECURITY;
ALTER TABLE tarefas ENABLE ROW LEVEL SECURITY;
ALTER TABLE notas ENABLE ROW LEVEL SECURITY;
CREATE POLICY logs_admin ON logs_alteracoes FOR SELECT TO authenticated
  USING (EXISTS (SELECT 1 FROM usuarios WHERE id = (select auth.uid())::text::integer AND tipo_usuario = 'Admin'));
CREATE FUNCTION current_user_id() RETURNS integer LANGUAGE plpgsql STABLE AS $$ BEGIN RETURN auth.uid()::text::int; END $$;
CREATE POLICY tarefas_own ON tarefas FOR ALL TO authenticated USING (dono = (select current_user_id()));
-- guarded: no uuid's text matches, the cast is never evaluated (no finding, no failure)
CREATE FUNCTION numeric_user_id() RETURNS integer LANGUAGE sql STABLE AS $$ SELECT CASE WHEN auth.uid()::text ~ '^[0-9]+$' THEN auth.uid()::text::integer END $$;
CREATE POLICY notas_own ON notas FOR SELECT TO authenticated USING (dono = numeric_user_id());
`,
  },
];

describe('verify: a uuid cast through text to a number fails a signed-in read with 22P02', () => {
  let result: VerifyResult;
  let findings: Finding[];
  let shown: Array<Confirmation<Finding>>;
  before(async () => {
    ({ result, findings, shown } = await verified(UUID_AS_NUMBER, { seed: true }));
  });

  test("ok: policy-type-mismatch's cast in the policy (logs_admin) and in the helper it calls (tarefas_own, FOR ALL) are shown by the read as authenticated (22P02 invalid input syntax for type integer: the seeded user's uuid); the guarded helper's table reads with no error, and anon's reads do not fail", () => {
    const mine = findings.filter((f) => f.rule === 'policy-type-mismatch');
    assert.deepEqual(mine.map((f) => /Policy "(\w+)"/.exec(f.message)![1]), ['logs_admin', 'tarefas_own']);
    assert.deepEqual(
      shown.filter((c) => c.finding.rule === 'policy-type-mismatch').map(line),
      ['policy-type-mismatch supabase/migrations/001_ids.sql:10 22P02 probe public.logs_alteracoes', 'policy-type-mismatch supabase/migrations/001_ids.sql:12 22P02 probe public.tarefas'],
    );
    const read = (table: string, role: string) => result.probes.find((p) => p.table === table && p.role === role && p.command === 'select' && !p.settingsEnded);
    for (const t of ['public.logs_alteracoes', 'public.tarefas']) {
      assert.equal(read(t, 'authenticated')?.signedIn, true, t);
      assert.match(`${read(t, 'authenticated')?.code} ${read(t, 'authenticated')?.message}`, /^22P02 invalid input syntax for type integer: "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"$/, t);
      assert.equal(read(t, 'anon')?.outcome, 'ok', t);
    }
    assert.equal(read('public.notas', 'authenticated')?.outcome, 'ok');
  });

  test('ok: a 22P02 shows the finding only when it is a uuid cast to a number (not a setting read as \'\', T15b), in a probe as a role of the finding\'s policy with a command that evaluates it', async () => {
    const { confirm } = await import('../server/src/verify/confirm.js');
    const { ruleById, Workspace } = await import('../server/src/engine/workspace.js');
    const ws = new Workspace();
    for (const f of UUID_AS_NUMBER) ws.setFile(f.file, f.text);
    const model = ws.model(UUID_AS_NUMBER[0]!.file);
    const mine = findings.filter((f) => f.rule === 'policy-type-mismatch');
    const probe = (table: string, role: string, command: 'select' | 'insert', message: string) => ({ table, role, command, outcome: 'error' as const, code: '22P02', message });
    const cast = 'invalid input syntax for type integer: "00000000-0000-4000-8000-00000000005e"';
    const shownWith = (p: ReturnType<typeof probe>) =>
      confirm(mine, model, { statementErrors: [], probes: [p], pgVersion: 'x' }, (rule) => ruleById.get(rule)?.meta.shownBy).map((c) => /Policy "(\w+)"/.exec(c.finding.message)![1]);
    assert.deepEqual(shownWith(probe('public.logs_alteracoes', 'authenticated', 'select', cast)), ['logs_admin']);
    assert.deepEqual(shownWith(probe('public.tarefas', 'authenticated', 'insert', 'invalid input syntax for type bigint: "00000000-0000-4000-8000-00000000005e"')), ['tarefas_own']);
    assert.deepEqual(shownWith(probe('public.logs_alteracoes', 'authenticated', 'select', 'invalid input syntax for type uuid: ""')), [], "a setting read as '' cast to uuid");
    assert.deepEqual(shownWith(probe('public.logs_alteracoes', 'authenticated', 'select', 'invalid input syntax for type integer: "abc"')), [], 'not a uuid');
    assert.deepEqual(shownWith(probe('public.logs_alteracoes', 'anon', 'select', cast)), [], 'logs_admin is for authenticated');
    assert.deepEqual(shownWith(probe('public.logs_alteracoes', 'authenticated', 'insert', cast)), [], 'an INSERT does not evaluate a SELECT policy');
  });
});
