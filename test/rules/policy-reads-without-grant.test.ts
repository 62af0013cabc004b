// policy-reads-without-grant on PostgreSQL (PGlite): a policy's sub-select is checked against the
// privileges of the role whose query it filters; without SELECT on the table it reads, every query
// of that role fails with 42501, even on an empty table. Another permissive policy that is always
// true folds the OR away, and then nothing is checked.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, count, expectPgError, getDb, inRollback, tryQuery, type Q } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintDocExample, lintFiles, sqlOf, TENANT_A, TENANT_B, textAt, validExampleRuns } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';

const ID = 'policy-reads-without-grant';
before(initParser);
after(closeAll);

/** Supabase's platform default privileges and its auth.users, on which anon and authenticated have no privilege. */
const SUPABASE = `
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role;
CREATE TABLE auth.users (id uuid PRIMARY KEY, email text);
INSERT INTO auth.users VALUES ('${TENANT_A}', 'a@example.com'), ('${TENANT_B}', 'b@example.com');`;

async function supabase(q: Q, sql: string): Promise<void> {
  await q(AUTH_STUB_SQL);
  await q(SUPABASE);
  await q(sql);
  await q(`INSERT INTO public.invites VALUES ('${TENANT_A}', 'a@example.com'), ('${TENANT_B}', 'b@example.com')`);
}

test('err: Supabase: a policy reading auth.users fails every query of authenticated with 42501, even on an empty table; the fix reads the email from the JWT', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'auth.users');
  assert.match(finding.message, /authenticated has no SELECT privilege on it: Supabase grants anon and authenticated no privilege on auth\.users/);
  assert.match(finding.message, /every SELECT on public\.invites by authenticated fails with 42501 permission denied for table users/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q(SUPABASE);
    await q(sqlOf(ws));
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    await expectPgError(q('SELECT count(*) FROM public.invites'), '42501', 'permission denied for table users');
  });
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /USING \(email = \(select auth\.jwt\(\) ->> 'email'\)\)/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(db, async (q) => {
    await supabase(q, sqlOf(fixed));
    await q(actAs(TENANT_A, { email: 'a@example.com' }));
    await q('SET ROLE authenticated');
    assert.deepEqual(await q('SELECT email FROM public.invites'), [{ email: 'a@example.com' }], "the user's own invite, no other");
  });
});

async function team(q: Q, sql: string): Promise<void> {
  await q(sql);
  await q(`INSERT INTO app.members VALUES (1, 'app_user'), (2, 'someone_else')`);
  await q(`INSERT INTO app.documents VALUES (10, 1, 'ours'), (20, 2, 'theirs')`);
  await q('SET ROLE app_user');
}

test('err: a sub-select on a table the role may not read: 42501 permission denied for table members; the GRANT makes the policy work', async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.equal(textAt(ws, finding), 'app.members');
  assert.match(finding.message, /Policy "documents_team" on app\.documents reads app\.members in a sub-select, but app_user has no SELECT privilege on it/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await team(q, sqlOf(ws));
    await expectPgError(q('SELECT count(*) FROM app.documents'), '42501', 'permission denied for table members');
  });
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /GRANT SELECT ON app\.members TO app_user;/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(db, async (q) => {
    await team(q, sqlOf(fixed));
    assert.deepEqual(await q('SELECT title FROM app.documents'), [{ title: 'ours' }], "only the team's document: members' own policy shows the sub-select app_user's membership");
  });
});

test('ok: another permissive policy USING (true) for the role: PostgreSQL folds the OR, the sub-select never runs and no privilege is checked', async () => {
  const { ws } = invalidFinding(ID, 1);
  const sql = sqlOf(ws) + '\nCREATE POLICY documents_all ON app.documents FOR SELECT TO app_user USING (true);\n';
  const { mine } = lintFiles([{ file: 'm.sql', text: sql }], ID);
  assert.equal(mine.length, 0);
  await inRollback(await getDb(), async (q) => {
    await team(q, sql);
    assert.equal(await count(q, 'app.documents'), 2);
  });
});

test('err: a policy for PUBLIC is reported for the roles granted the table; INSERT … WITH CHECK fails the same way', async () => {
  const sql = `
CREATE ROLE app_user;
CREATE TABLE members (team_id bigint NOT NULL, user_name text NOT NULL);
CREATE TABLE notes (id bigint PRIMARY KEY, team_id bigint NOT NULL);
GRANT SELECT, INSERT ON notes TO app_user;
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE notes FORCE ROW LEVEL SECURITY;
CREATE POLICY notes_write ON notes FOR INSERT
  WITH CHECK (team_id IN (SELECT m.team_id FROM members m WHERE m.user_name = current_user));`;
  const { mine } = lintFiles([{ file: 'm.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /but app_user has no SELECT privilege on it.*every INSERT on public\.notes by app_user fails with 42501 permission denied for table members/);
  await inRollback(await getDb(), async (q) => {
    await q(sql);
    await q('SET ROLE app_user');
    await expectPgError(q('INSERT INTO notes VALUES (1, 1)'), '42501', 'permission denied for table members');
  });
});

test('ok: a table whose owner is the role, or a role that reads through a group it is a member of, is not reported', async () => {
  const sql = `
CREATE ROLE app_user;
CREATE ROLE readers;
GRANT readers TO app_user;
CREATE TABLE members (team_id bigint NOT NULL, user_name text NOT NULL);
CREATE TABLE notes (id bigint PRIMARY KEY, team_id bigint NOT NULL);
GRANT SELECT ON notes TO app_user;
GRANT SELECT ON members TO readers;
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE notes FORCE ROW LEVEL SECURITY;
CREATE POLICY notes_team ON notes FOR SELECT TO app_user
  USING (team_id IN (SELECT m.team_id FROM members m WHERE m.user_name = current_user));`;
  assert.equal(lintFiles([{ file: 'm.sql', text: sql }], ID).mine.length, 0);
  await inRollback(await getDb(), async (q) => {
    await q(sql);
    await q(`INSERT INTO members VALUES (1, 'app_user'); INSERT INTO notes VALUES (1, 1), (2, 2)`);
    await q('SET ROLE app_user');
    assert.equal(await count(q, 'notes'), 1);
  });
});

test('ok: Valid examples run, and read what they should', async () => {
  const jwt = lintDocExample(ID, 'valid', 0);
  assert.equal(jwt.mine.length, 0);
  await inRollback(await getDb(), async (q) => {
    await supabase(q, sqlOf(jwt.ws));
    await q(actAs(TENANT_B, { email: 'b@example.com' }));
    await q('SET ROLE authenticated');
    assert.deepEqual(await q('SELECT email FROM public.invites'), [{ email: 'b@example.com' }]);
  });
  await validExampleRuns(ID, 1, async (q) => {
    await q(`INSERT INTO app.members VALUES (1, 'app_user'); INSERT INTO app.documents VALUES (10, 1, 'ours'), (20, 2, 'theirs')`);
    await q('SET ROLE app_user');
    assert.equal(await count(q, 'app.documents'), 1);
  });
  // Supabase: the platform's default privileges grant public's tables to the API roles
  const { ws, mine } = lintDocExample(ID, 'valid', 3);
  assert.equal(mine.length, 0);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(SUPABASE);
    await q(sqlOf(ws));
    await q(`INSERT INTO public.members VALUES (1, '${TENANT_A}'); INSERT INTO public.projects VALUES (1, 'ours'), (2, 'theirs')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.projects'), 1);
  });
});

test('err: an unqualified table in the sub-select resolves through the SET search_path the policy was created under (another schema than the default): 42501 there too', async () => {
  const sql = `CREATE SCHEMA app_public;
CREATE SCHEMA app_hidden;
SET search_path TO app_public, app_hidden, public;
GRANT USAGE ON SCHEMA app_public, app_hidden TO authenticated;
CREATE TABLE app_hidden.repos (id bigint PRIMARY KEY, visible boolean NOT NULL);
CREATE TABLE builds (id bigint PRIMARY KEY, repo_id bigint NOT NULL);
CREATE INDEX ON builds (repo_id);
ALTER TABLE builds ENABLE ROW LEVEL SECURITY;
ALTER TABLE builds FORCE ROW LEVEL SECURITY;
GRANT SELECT ON builds TO authenticated;
CREATE POLICY builds_visible ON builds FOR SELECT TO authenticated
  USING (EXISTS (SELECT 1 FROM repos WHERE repos.id = builds.repo_id AND repos.visible));`;
  const { ws, mine } = lintFiles([{ file: 'migrations/1_schema.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'repos');
  assert.match(mine[0]!.message, /reads app_hidden\.repos in a sub-select, but authenticated has no SELECT privilege on it/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(sql);
    await q('SET ROLE authenticated');
    await expectPgError(q('SELECT count(*) FROM app_public.builds'), '42501', 'permission denied for table repos');
  });
  const fixed = applyFix(ws, mine[0]!);
  assert.match(sqlOf(fixed), /GRANT SELECT ON app_hidden\.repos TO authenticated;/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(db, async (q) => {
    await q(sqlOf(fixed));
    await q('INSERT INTO app_hidden.repos VALUES (1, true), (2, false); INSERT INTO app_public.builds VALUES (10, 1), (20, 2)');
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'app_public.builds'), 1, 'the visible repo’s build');
  });
  // without the SET, repos is public.repos, which the migrations do not create: nothing is said
  assert.equal(lintFiles([{ file: 'migrations/1_schema.sql', text: sql.replace(/^SET search_path.*$/m, '') }], ID).mine.length, 0);
});

// Calibration cal30 (deptrai/suna: its security migration takes back a GRANT SELECT on projects
// from anon on purpose): the message names that REVOKE and does not push granting it back.
test("err (wording): the privilege a REVOKE took away: the message names the REVOKE, and the GRANT fix says it undoes it; PGlite: anon's read of threads fails with 42501 on projects", async () => {
  const sql = `-- « naïve » 日本語 😀
CREATE TABLE public.projects (project_id uuid PRIMARY KEY, account_id uuid NOT NULL, is_public boolean DEFAULT false);
CREATE TABLE public.threads (thread_id uuid PRIMARY KEY, project_id uuid, account_id uuid);
ALTER TABLE public.projects ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.threads ENABLE ROW LEVEL SECURITY;
CREATE POLICY project_select ON public.projects FOR SELECT USING (is_public OR account_id = (select auth.uid()));
CREATE POLICY thread_select ON public.threads FOR SELECT TO anon USING (EXISTS (SELECT 1 FROM public.projects p WHERE p.project_id = threads.project_id AND p.is_public));
GRANT SELECT ON TABLE public.projects TO anon;
GRANT SELECT ON TABLE public.threads TO anon, authenticated;
REVOKE SELECT ON TABLE public.projects FROM anon;
`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/20250416133920_schema.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /no SELECT privilege on it: the REVOKE at 20250416133920_schema\.sql:10 takes it from it\. .*If that REVOKE is meant/);
  assert.doesNotMatch(mine[0]!.message, /grant it none/);
  assert.match(mine[0]!.fixes[0]!.title, /undoes the REVOKE at 20250416133920_schema\.sql:10/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql);
    await q('SET ROLE anon');
    await expectPgError(q('SELECT count(*) FROM public.threads'), '42501', 'permission denied for table projects');
  });
});

// Calibration cal106 (yhensproperty-png/Yhensproperty-Final's enforce_aal2_for_sensitive_operations, the
// Supabase MFA guide's "enforce only for users that have opted in" policy): a restrictive policy whose
// sub-select reads auth.mfa_factors. Supabase grants anon and authenticated nothing on its Auth server's
// tables, auth.mfa_factors as auth.users (supabase/auth#944: 42501 permission denied for table mfa_factors).
test("err: Supabase: the MFA guide's restrictive policy reading auth.mfa_factors fails every UPDATE of authenticated with 42501, even with an aal2 token (PGlite); no GRANT fix; a SECURITY DEFINER helper, or the migrations' own GRANT, is not reported", async () => {
  const MFA_FACTORS = `CREATE TABLE auth.mfa_factors (id uuid PRIMARY KEY, user_id uuid NOT NULL, status text NOT NULL, secret text);
INSERT INTO auth.mfa_factors VALUES ('${TENANT_B}', '${TENANT_A}', 'verified', 's3cret');`;
  const base = `CREATE TABLE public.notes (id uuid PRIMARY KEY, owner_id uuid NOT NULL, body text);
CREATE INDEX ON public.notes (owner_id);
ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_owner ON public.notes FOR ALL TO authenticated
  USING (owner_id = (select auth.uid())) WITH CHECK (owner_id = (select auth.uid()));
`;
  const sql = `${base}CREATE POLICY notes_mfa ON public.notes AS RESTRICTIVE FOR UPDATE TO authenticated
  USING ((select auth.jwt() ->> 'aal') = 'aal2' OR (SELECT count(*) FROM auth.mfa_factors f WHERE f.user_id = (select auth.uid()) AND f.status = 'verified') = 0);
`;
  const file = 'supabase/migrations/20260220053410_mfa.sql';
  const { ws, mine } = lintFiles([{ file, text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'auth.mfa_factors');
  assert.match(mine[0]!.message, /^Policy "notes_mfa" on public\.notes reads auth\.mfa_factors in a sub-select, but authenticated has no SELECT privilege on it: Supabase grants anon and authenticated no privilege on the tables of its Auth server in schema auth, auth\.mfa_factors among them, and these migrations grant it none\. .*every UPDATE on public\.notes by authenticated fails with 42501 permission denied for table mfa_factors\. Do not grant SELECT on auth\.mfa_factors/);
  assert.equal(mine[0]!.fixes.length, 0, 'no GRANT: the table holds every account\'s factors (and their secrets)');
  const db = await getDb();
  const run = async (q: Q, migrations: string) => {
    await q(AUTH_STUB_SQL);
    await q(SUPABASE);
    await q(MFA_FACTORS);
    await q(migrations);
    await q(`INSERT INTO public.notes VALUES ('${TENANT_A}', '${TENANT_A}', 'mine')`);
    await q(actAs(TENANT_A, { aal: 'aal2' }));
    await q('SET ROLE authenticated');
  };
  await inRollback(db, async (q) => {
    await run(q, sql);
    assert.equal(await count(q, 'public.notes'), 1, 'a SELECT, which the restrictive policy does not filter, works');
    await expectPgError(q(`UPDATE public.notes SET body = 'edited' WHERE id = '${TENANT_A}'`), '42501', 'permission denied for table mfa_factors');
  });
  // (the helper Supabase's docs now suggest: a SECURITY DEFINER function reads the factors)
  const helper = `${base}CREATE FUNCTION public.mfa_required() RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS
  $$ SELECT EXISTS (SELECT 1 FROM auth.mfa_factors f WHERE f.user_id = (select auth.uid()) AND f.status = 'verified') $$;
CREATE POLICY notes_mfa ON public.notes AS RESTRICTIVE FOR UPDATE TO authenticated
  USING ((select auth.jwt() ->> 'aal') = 'aal2' OR NOT (select public.mfa_required()));
`;
  assert.equal(lintFiles([{ file, text: helper }], ID).mine.length, 0);
  await inRollback(db, async (q) => {
    await run(q, helper);
    assert.deepEqual(await q(`UPDATE public.notes SET body = 'edited' WHERE id = '${TENANT_A}' RETURNING body`), [{ body: 'edited' }]);
  });
  // (the migrations grant it: the sub-select runs)
  const granted = `${sql}GRANT SELECT ON auth.mfa_factors TO authenticated;\n`;
  assert.equal(lintFiles([{ file, text: granted }], ID).mine.length, 0);
  await inRollback(db, async (q) => {
    await run(q, granted);
    assert.deepEqual(await q(`UPDATE public.notes SET body = 'edited' WHERE id = '${TENANT_A}' RETURNING body`), [{ body: 'edited' }]);
  });
  // (outside a Supabase project auth.mfa_factors is nothing the migrations know: not reported)
  assert.equal(lintFiles([{ file: 'db/migrations/001_mfa.sql', text: sql }], ID).mine.length, 0);
});

test("err (wording): a policy for a group role: its members that hold SELECT on the table read pass, the others fail like the group, and the message names both (PGlite)", async () => {
  const sql = `
CREATE ROLE staff NOLOGIN;
CREATE ROLE operator NOLOGIN;
CREATE ROLE clerk NOLOGIN;
GRANT staff TO operator, clerk;
CREATE TABLE applications (id bigint PRIMARY KEY);
CREATE TABLE applications_history (history_id bigint PRIMARY KEY, id bigint NOT NULL);
GRANT SELECT ON applications_history TO staff;
GRANT SELECT ON applications TO operator;
ALTER TABLE applications_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE applications_history FORCE ROW LEVEL SECURITY;
CREATE POLICY history_of_visible ON applications_history FOR SELECT TO staff
  USING (EXISTS (SELECT 1 FROM applications a WHERE a.id = applications_history.id));`;
  const { mine } = lintFiles([{ file: 'm.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /but staff has no SELECT privilege on it/);
  assert.match(mine[0]!.message, /The policy applies to staff's members too, and operator holds SELECT on public\.applications itself: its queries pass this check; clerk, also a member, does not, and its SELECTs fail the same way\./);
  const db = await getDb();
  const as = (role: string, body: (q: Q) => Promise<void>) =>
    inRollback(db, async (q) => {
      await q(sql);
      await q('INSERT INTO applications VALUES (1); INSERT INTO applications_history VALUES (10, 1), (11, 2)');
      await q(`SET ROLE ${role}`);
      await body(q);
    });
  await as('operator', async (q) => assert.equal(await count(q, 'applications_history'), 1, "the operator's read passes: the history of the application it sees"));
  await as('clerk', async (q) => void (await expectPgError(q('SELECT count(*) FROM applications_history'), '42501', 'permission denied for table applications')));
  await as('staff', async (q) => void (await expectPgError(q('SELECT count(*) FROM applications_history'), '42501', 'permission denied for table applications')));
  // (every member holding SELECT itself: only the group's own queries fail)
  const all = sql.replace('GRANT SELECT ON applications TO operator;', 'GRANT SELECT ON applications TO operator, clerk;');
  const { mine: allMine } = lintFiles([{ file: 'm.sql', text: all }], ID);
  assert.equal(allMine.length, 1);
  assert.match(allMine[0]!.message, /clerk and operator hold SELECT on public\.applications themselves: their queries pass this check, and only a SELECT run as staff itself \(after SET ROLE staff\) fails\./);
});

// Calibration cal158 (rifkiri/betterme: its last migrations REVOKE SELECT from anon on every table of
// public, goals and goal_assignments alike, and keep anon's UPDATE and INSERT): a role without SELECT on
// the policy's own table is refused there first by any statement that reads one of its columns, so not
// every UPDATE fails on the table the sub-select reads.
test("err (wording): a role without SELECT on the policy's own table either: an UPDATE reading a column fails on that table, one reading none on the sub-select's; INSERT … RETURNING alike (PGlite)", async () => {
  const sql = `CREATE TABLE public.goals (id int PRIMARY KEY, user_id uuid, title text);
CREATE TABLE public.goal_assignments (goal_id int, user_id uuid);
ALTER TABLE public.goals ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.goal_assignments ENABLE ROW LEVEL SECURITY;
CREATE POLICY goals_update ON public.goals FOR UPDATE USING (user_id = auth.uid() OR EXISTS (SELECT 1 FROM public.goal_assignments a WHERE a.goal_id = goals.id AND a.user_id = auth.uid()));
CREATE POLICY assignments_insert ON public.goal_assignments FOR INSERT WITH CHECK (EXISTS (SELECT 1 FROM public.goals g WHERE g.id = goal_id));
GRANT SELECT, INSERT, UPDATE ON public.goals, public.goal_assignments TO anon;
REVOKE SELECT ON TABLE public.goals FROM anon;
REVOKE SELECT ON TABLE public.goal_assignments FROM anon;
`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/20260710110026_lockdown.sql', text: sql }], ID);
  const update = mine.find((f) => f.message.includes('"goals_update"'))!;
  const insert = mine.find((f) => f.message.includes('"assignments_insert"'))!;
  assert.match(update.message, /every UPDATE on public\.goals by anon fails with 42501: one that reads a column of public\.goals \(in a WHERE, a SET expression or RETURNING\) with permission denied for table goals, as it has no SELECT on public\.goals either; one that reads none with permission denied for table goal_assignments\./);
  assert.match(insert.message, /every INSERT on public\.goal_assignments by anon fails with 42501: one that reads a column of public\.goal_assignments .* with permission denied for table goal_assignments, .*; one that reads none with permission denied for table goals\./);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql);
    await q('INSERT INTO public.goals VALUES (1, NULL, \'a\')');
    await q('SET ROLE anon');
    const noColumn = await tryQuery(q, `UPDATE public.goals SET title = 'x'`);
    assert.equal(noColumn.ok ? 'ok' : `${noColumn.error.code} ${noColumn.error.message}`, '42501 permission denied for table goal_assignments');
    const where = await tryQuery(q, `UPDATE public.goals SET title = 'y' WHERE id = 1`);
    assert.equal(where.ok ? 'ok' : `${where.error.code} ${where.error.message}`, '42501 permission denied for table goals');
    const plain = await tryQuery(q, `INSERT INTO public.goal_assignments VALUES (1, NULL)`);
    assert.equal(plain.ok ? 'ok' : `${plain.error.code} ${plain.error.message}`, '42501 permission denied for table goals');
    await expectPgError(q(`INSERT INTO public.goal_assignments VALUES (1, NULL) RETURNING goal_id`), '42501', 'permission denied for table goal_assignments');
  });
});
