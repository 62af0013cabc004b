// view-exposes-auth-users on PostgreSQL (PGlite): anon has no privilege on auth.users, yet reads
// every account's email through a view (or materialized view) that the migrations' superuser
// owns and Supabase's default privileges grant; both fixes (security_invoker, REVOKE SELECT)
// turn that into 42501, and the Valid forms show each caller its own row, or nothing of
// auth.users at all.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, expectPgError, getDb, inRollback, type Q } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintDocExample, sqlOf, TENANT_A, TENANT_B, textAt, nestedParentheses } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';
import type { Workspace } from '../../server/src/engine/workspace.js';

const ID = 'view-exposes-auth-users';
before(initParser);
after(closeAll);

/**
 * Supabase's auth.users (owned by the superuser; no privilege for the API roles), two accounts,
 * and the platform's default privileges: every privilege on new tables and views in public for
 * the API roles. Then the migration, run by the superuser (Supabase's postgres may read
 * auth.users).
 */
async function migrate(q: Q, ws: Workspace): Promise<void> {
  await q(AUTH_STUB_SQL);
  await q(`CREATE TABLE auth.users (id uuid PRIMARY KEY, email text, encrypted_password text, raw_user_meta_data jsonb, created_at timestamptz NOT NULL DEFAULT now());
           REVOKE ALL ON auth.users FROM PUBLIC`);
  await q('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role');
  await q(sqlOf(ws));
  await q(`INSERT INTO auth.users (id, email, encrypted_password, raw_user_meta_data) VALUES ('${TENANT_A}', 'a@example.com', 'hash-a', '{"name":"A"}'), ('${TENANT_B}', 'b@example.com', 'hash-b', '{"name":"B"}')`);
}

const emails = async (q: Q, sql: string) => (await q(sql)).map((r) => r.email as string).sort();

test('err: a view over auth.users: anon gets 42501 from the table and every email from the view', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'public.user_emails');
  assert.match(finding.message, /as it never looks at who is asking \(no `auth\.uid\(\)`, `auth\.jwt\(\)`, `current_user`\)/);
  assert.equal(nestedParentheses(finding.message), undefined, 'SQL in backticks: no parenthesis inside another');
  assert.match(finding.message, /^View public\.user_emails reads auth\.users, .* but is not security_invoker: .*\(T18\)\. So anon and authenticated \(by Supabase's default privileges .*\) read what it selects of other users' accounts/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await migrate(q, ws);
    await q('SET ROLE anon');
    assert.deepEqual(await emails(q, 'SELECT email FROM public.user_emails'), ['a@example.com', 'b@example.com']);
    await expectPgError(q('SELECT email FROM auth.users'), '42501', /permission denied for table users/);
  });
});

test('err→ok: either fix (security_invoker, REVOKE SELECT) re-lints clean, and anon then gets 42501 from the view', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.deepEqual(
    finding.fixes?.map((f) => f.title),
    ['Make public.user_emails security_invoker (PostgreSQL 15+; its readers then get 42501 for auth.users)', 'Revoke SELECT on public.user_emails from anon, authenticated'],
  );
  for (const title of [/security_invoker/, /Revoke SELECT/]) {
    const fixed = applyFix(ws, finding, title);
    assert.deepEqual(findingsOf(fixed, ID), [], String(title));
    const db = await getDb();
    await inRollback(db, async (q) => {
      await migrate(q, fixed);
      await q(actAs(TENANT_A));
      await q('SET ROLE authenticated');
      await expectPgError(q('SELECT email FROM public.user_emails'), '42501');
    });
  }
});

test('err: a materialized view joining auth.users: anon reads the stored emails', async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.equal(textAt(ws, finding), 'member_directory');
  assert.match(finding.message, /^Materialized view public\.member_directory stores data of auth\.users/);
  assert.match(finding.message, /or a filter on the caller \(`WHERE id = \(select auth\.uid\(\)\)`\)\./);
  assert.equal(nestedParentheses(finding.message), undefined, 'SQL in backticks: no parenthesis inside another');
  assert.deepEqual(finding.fixes?.map((f) => f.title), ['Revoke SELECT on public.member_directory from anon, authenticated']);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await migrate(q, ws);
    await q(`INSERT INTO profiles VALUES ('${TENANT_A}', 'A'), ('${TENANT_B}', 'B'); REFRESH MATERIALIZED VIEW member_directory`);
    await q('SET ROLE anon');
    assert.deepEqual(await emails(q, 'SELECT email FROM member_directory'), ['a@example.com', 'b@example.com']);
    await q('RESET ROLE');
  });
  const fixed = applyFix(ws, finding);
  assert.deepEqual(findingsOf(fixed, ID), []);
  await inRollback(db, async (q) => {
    await migrate(q, fixed);
    await q('SET ROLE anon');
    await expectPgError(q('SELECT email FROM member_directory'), '42501');
  });
});

test("err: outside supabase/migrations/, a GRANT to anon and Supabase's default privileges: anon and authenticated read every email", async () => {
  const { ws, finding } = invalidFinding(ID, 2);
  assert.match(finding.message, /So anon and authenticated \(anon by a GRANT, authenticated by Supabase's default privileges on new tables and views in public, which these migrations do not take away\) read what it selects/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await migrate(q, ws);
    for (const role of ['anon', 'authenticated']) {
      await q(`SET ROLE ${role}`);
      assert.deepEqual(await emails(q, 'SELECT email FROM signup_check'), ['a@example.com', 'b@example.com'], role);
      await q('RESET ROLE');
    }
  });
});

test('ok: a profiles table filled by a trigger: anon reads names, nothing of auth.users', async () => {
  const { ws, mine } = lintDocExample(ID, 'valid', 0);
  assert.equal(mine.length, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await migrate(q, ws);
    await q('SET ROLE anon');
    assert.deepEqual((await q('SELECT display_name FROM public.profiles ORDER BY 1')).map((r) => r.display_name), ['A', 'B']);
    await expectPgError(q('SELECT email FROM auth.users'), '42501');
  });
});

test('ok: a view filtered on auth.uid(): user A sees its own email, anon none', async () => {
  const { ws, mine } = lintDocExample(ID, 'valid', 1);
  assert.equal(mine.length, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await migrate(q, ws);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.deepEqual(await emails(q, 'SELECT email FROM public.my_account'), ['a@example.com']);
    await q('RESET ROLE');
    await q("SELECT set_config('request.jwt.claim.sub', '', true)");
    await q('SET ROLE anon');
    assert.deepEqual(await emails(q, 'SELECT email FROM public.my_account'), []);
  });
});

test('ok: SELECT revoked from the API roles, or a schema they may not use: 42501', async () => {
  for (const [n, view] of [
    [2, 'public.user_emails'],
    [3, 'private.user_emails'],
  ] as const) {
    const { ws, mine } = lintDocExample(ID, 'valid', n);
    assert.equal(mine.length, 0);
    const db = await getDb();
    await inRollback(db, async (q) => {
      await migrate(q, ws);
      await q('SET ROLE anon');
      await expectPgError(q(`SELECT email FROM ${view}`), '42501');
    });
  }
});

test("ok/err: a local stand-in for Supabase's auth.users (CREATE TABLE IF NOT EXISTS) still means Supabase's; a plain CREATE TABLE auth.users is the migrations' own table", async () => {
  const { lintFiles } = await import('../helpers/rule-proof.js');
  const view = 'CREATE VIEW public.user_emails AS SELECT id, email FROM auth.users;\n';
  const standIn = 'CREATE SCHEMA IF NOT EXISTS auth;\nCREATE TABLE IF NOT EXISTS auth.users (id uuid PRIMARY KEY, email text);\n';
  assert.equal(lintFiles([{ file: 'supabase/migrations/1.sql', text: standIn + view }], ID).mine.length, 1);
  assert.equal(lintFiles([{ file: 'supabase/migrations/1.sql', text: standIn.replace(' IF NOT EXISTS auth.users', ' auth.users') + view }], ID).mine.length, 0);
});

test('ok/err: a role the migrations grant SELECT on auth.users gets nothing it could not read: only the others are named', async () => {
  const { lintFiles } = await import('../helpers/rule-proof.js');
  const view = 'CREATE VIEW public.user_emails AS SELECT id, email FROM auth.users;\n';
  const one = lintFiles([{ file: 'supabase/migrations/1.sql', text: `GRANT SELECT ON auth.users TO authenticated;\n${view}` }], ID).mine;
  assert.equal(one.length, 1);
  assert.match(one[0]!.message, /on which anon has no privilege, .* So anon \(by Supabase's default privileges/);
  assert.deepEqual(lintFiles([{ file: 'supabase/migrations/1.sql', text: `GRANT SELECT ON auth.users TO anon, authenticated;\n${view}` }], ID).mine, []);
});

test('ok: a materialized view over auth.users that also reads a table the migrations create only later is never created (42P01): no finding', async () => {
  const { lintFiles } = await import('../helpers/rule-proof.js');
  const mv = `CREATE MATERIALIZED VIEW public.user_activity AS
SELECT u.id AS user_id, count(f.follower_id) AS follows FROM auth.users u LEFT JOIN public.user_follows f ON f.follower_id = u.id GROUP BY u.id;
`;
  const follows = `CREATE TABLE public.user_follows (follower_id uuid NOT NULL, following_id uuid NOT NULL);
ALTER TABLE public.user_follows ENABLE ROW LEVEL SECURITY;
CREATE POLICY follows_read ON public.user_follows FOR SELECT TO authenticated USING (true);
`;
  const before = [
    { file: 'supabase/migrations/20240102000000_mv.sql', text: mv },
    { file: 'supabase/migrations/20240103000000_follows.sql', text: follows },
  ];
  assert.deepEqual(lintFiles(before, ID).mine, []);
  // (the table first: the view is made, and reported)
  const after = [
    { file: 'supabase/migrations/20240102000000_follows.sql', text: follows },
    { file: 'supabase/migrations/20240103000000_mv.sql', text: mv },
  ];
  assert.equal(lintFiles(after, ID).mine.length, 1);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q('CREATE TABLE auth.users (id uuid PRIMARY KEY, email text); REVOKE ALL ON auth.users FROM PUBLIC');
    await expectPgError(q(mv), '42P01', 'relation "public.user_follows" does not exist');
  });
});
