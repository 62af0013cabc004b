// policy-multiple-permissive on PostgreSQL (PGlite): the permissive policies of a role and
// command are ORed into one filter (the plan shows it), so the merged single policy gives the
// same rows.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, count, getDb, inRollback, tryQuery, type Q } from '../helpers/pg.js';
import { initParser, invalidFinding, lintDocExample, lintFiles, sqlOf, TENANT_A, TENANT_B, textAt } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';
import type { Workspace } from '../../server/src/engine/workspace.js';

const ID = 'policy-multiple-permissive';
before(initParser);
after(closeAll);

async function posts(q: Q, sql: string): Promise<void> {
  await q(AUTH_STUB_SQL);
  await q(sql);
  // A's draft, A's published post, B's draft, B's published post
  await q(`INSERT INTO posts VALUES (1, '${TENANT_A}', false), (2, '${TENANT_A}', true), (3, '${TENANT_B}', false), (4, '${TENANT_B}', true);
    GRANT SELECT ON posts TO authenticated`);
  await q(actAs(TENANT_A));
  await q('SET ROLE authenticated');
}

const plan = async (q: Q) => (await q('EXPLAIN (COSTS OFF) SELECT id FROM posts')).map((r) => Object.values(r)[0] as string).join('\n');

test('err: two permissive SELECT policies are ORed: one filter with both conditions, the union of their rows', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'posts_own');
  assert.match(finding.message, /"posts_published" and "posts_own" on public\.posts are both permissive for SELECT by authenticated/);
  const db = await getDb();
  let before = '';
  await inRollback(db, async (q) => {
    await posts(q, sqlOf(ws));
    assert.deepEqual((await q('SELECT id FROM posts ORDER BY id')).map((r) => Number(r.id)), [1, 2, 4], 'published posts or A’s own');
    before = await plan(q);
    assert.match(before, /Filter: \(published OR \(author = /, 'one OR-ed filter, evaluated per row');
  });
  const merged = lintDocExample(ID, 'valid', 0);
  assert.equal(merged.mine.length, 0);
  await inRollback(db, async (q) => {
    await posts(q, sqlOf(merged.ws));
    assert.deepEqual((await q('SELECT id FROM posts ORDER BY id')).map((r) => Number(r.id)), [1, 2, 4], 'the merged policy admits the same rows');
    assert.equal(await plan(q), before, 'and gives the same plan');
  });
});

test('err: a FOR ALL policy counts toward SELECT', async () => {
  const { finding } = invalidFinding(ID, 1);
  assert.match(finding.message, /"posts_owner" and "posts_published"/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await posts(q, sqlOf(lintDocExample(ID, 'invalid', 1).ws));
    assert.equal(await count(q, 'posts'), 3);
  });
});

test('ok: a FOR ALL policy with only WITH CHECK adds nothing to the SELECT filter: not reported with the SELECT policy (worldweaver usage_write)', async () => {
  const sql = `CREATE TABLE posts (id int PRIMARY KEY, author uuid NOT NULL, published boolean NOT NULL);
ALTER TABLE posts ENABLE ROW LEVEL SECURITY;
CREATE POLICY posts_own ON posts FOR SELECT TO authenticated USING (author = (select auth.uid()));
CREATE POLICY posts_write ON posts FOR ALL TO authenticated WITH CHECK (author = (select auth.uid()) OR published);
`;
  assert.deepEqual(lintFiles([{ file: 'm/1.sql', text: sql }], ID).mine, []);
  await inRollback(await getDb(), async (q) => {
    await posts(q, sql);
    assert.deepEqual((await q('SELECT id FROM posts ORDER BY id')).map((r) => Number(r.id)), [1, 2], 'A’s own only: the WITH CHECK of posts_write is not ORed in');
    assert.doesNotMatch(await plan(q), /published/);
  });
});

test("ok: a policy for a group does not apply to a member that does not inherit it (NOINHERIT before the GRANT, or WITH INHERIT FALSE: omnivore): not reported, and PostgreSQL gives the member only its own policy's rows", async () => {
  const base = `CREATE ROLE app_user;
CREATE ROLE app_admin;
CREATE TABLE accounts (id int PRIMARY KEY, owner_name text NOT NULL);
CREATE INDEX ON accounts (owner_name);
ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
ALTER TABLE accounts FORCE ROW LEVEL SECURITY;
GRANT SELECT, UPDATE ON accounts TO app_user, app_admin;
CREATE POLICY own_update ON accounts FOR UPDATE TO app_user USING (owner_name = current_user);
CREATE POLICY admin_all ON accounts FOR ALL TO app_admin USING (true);
`;
  for (const grant of ['ALTER ROLE app_user NOINHERIT;\nGRANT app_admin TO app_user;', 'GRANT app_admin TO app_user WITH INHERIT FALSE;']) {
    assert.equal(lintFiles([{ file: 'm.sql', text: base + grant }], ID).mine.length, 0, grant);
  }
  // inheriting (the default): both apply to app_user's updates
  assert.equal(lintFiles([{ file: 'm.sql', text: `${base}GRANT app_admin TO app_user;` }], ID).mine.length, 1);
  await inRollback(await getDb(), async (q) => {
    await q(base.replace(/CREATE ROLE (\w+);/g, 'CREATE ROLE $1 LOGIN;'));
    await q('ALTER ROLE app_user NOINHERIT; GRANT app_admin TO app_user');
    await q(`INSERT INTO accounts VALUES (1, 'app_user'), (2, 'someone')`);
    await q('SET ROLE app_user');
    assert.equal((await q(`UPDATE accounts SET owner_name = owner_name RETURNING id`)).length, 0, 'no SELECT policy of its own: admin_all would admit both, it does not apply');
    await q('RESET ROLE');
    await q('SET ROLE app_admin');
    assert.equal((await q(`UPDATE accounts SET owner_name = owner_name RETURNING id`)).length, 2);
  });
});

test("ok (message): a DO block's EXECUTE of a constant DROP POLICY (tetsos) drops that policy in the replay too: only the policies PostgreSQL keeps are named", async () => {
  const text = `CREATE TABLE employees (id uuid PRIMARY KEY, deleted_at timestamptz);
ALTER TABLE employees ENABLE ROW LEVEL SECURITY;
CREATE POLICY "a" ON employees FOR SELECT TO authenticated USING (deleted_at IS NULL);
CREATE POLICY "b" ON employees FOR SELECT TO authenticated USING (true);
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_policies WHERE schemaname = 'public' AND tablename = 'employees' AND policyname = 'b') THEN
    EXECUTE 'DROP POLICY "b" ON public.employees';
  END IF;
END $$;
CREATE POLICY "c" ON employees FOR SELECT TO authenticated USING (id IS NOT NULL);
`;
  const { ws, mine } = lintFiles([{ file: 'm.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^Policies "a" and "c" on public\.employees/);
  await inRollback(await getDb(), async (q) => {
    await q(sqlOf(ws));
    assert.deepEqual(await q(`SELECT policyname FROM pg_policies WHERE tablename = 'employees' ORDER BY 1`), [{ policyname: 'a' }, { policyname: 'c' }]);
  });
});

test('err (wording): a "deny" policy written permissive (TO anon USING (false), lebaneseweddingapp2\'s "Deny public access to profiles") is named as denying nothing: PGlite: anon still reads what the other permissive policy admits; AS RESTRICTIVE, 0 rows', async () => {
  const sql = (as: string) => `CREATE TABLE public.profiles (id int PRIMARY KEY, user_id uuid, is_public boolean NOT NULL DEFAULT false);
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Public or own profiles" ON public.profiles FOR SELECT USING (is_public OR auth.uid() = user_id);
CREATE POLICY "Deny public access to profiles" ON public.profiles${as} FOR SELECT TO anon USING (false);`;
  const file = 'supabase/migrations/20240101000000_profiles.sql';
  const permissive = lintFiles([{ file, text: sql('') }], ID);
  assert.equal(permissive.mine.length, 1);
  const f = permissive.mine[0]!;
  assert.equal(textAt(permissive.ws, f), '"Deny public access to profiles"');
  assert.match(f.message, /^Policy "Deny public access to profiles" on public\.profiles is permissive and its USING is always false: it admits no row, and PostgreSQL ORs it with "Public or own profiles", the other permissive policy for SELECT by anon, so it takes nothing away from it: what anon gets is what that policy admits\./);
  assert.match(f.message, /to deny, make it AS RESTRICTIVE/);
  const restrictive = lintFiles([{ file, text: sql(' AS RESTRICTIVE') }], ID);
  assert.deepEqual(restrictive.mine, [], 'a restrictive policy is ANDed, not ORed');
  const anonReads = async (ws: Workspace) =>
    inRollback(await getDb(), async (q) => {
      await q(AUTH_STUB_SQL);
      await q(sqlOf(ws));
      await q(`INSERT INTO public.profiles VALUES (1, '${TENANT_A}', true), (2, '${TENANT_B}', false); GRANT SELECT ON public.profiles TO anon`);
      await q('SET ROLE anon');
      return count(q, 'public.profiles');
    });
  assert.equal(await anonReads(permissive.ws), 1, 'the permissive "deny" denies nothing: anon reads the public profile');
  assert.equal(await anonReads(restrictive.ws), 0, 'AS RESTRICTIVE: anon reads none');
});

test('ok: two permissive "deny" policies (FOR ALL USING (false) WITH CHECK (false), hire-speedy-ai\'s oauth_states) are not reported: PGlite: authenticated reads no row and cannot insert, with both as with one', async () => {
  const table = `CREATE TABLE public.oauth_states (id int PRIMARY KEY, state text NOT NULL);
ALTER TABLE public.oauth_states ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Block all client access to oauth states" ON public.oauth_states FOR ALL USING (false) WITH CHECK (false);
`;
  const second = 'CREATE POLICY "Service role manages oauth states" ON public.oauth_states FOR ALL USING (false) WITH CHECK (false);\n';
  const file = 'supabase/migrations/20260224150000_oauth.sql';
  const both = lintFiles([{ file, text: table + second }], ID);
  assert.deepEqual(both.mine, [], 'their OR admits no row: nothing is "broadest", nothing to merge');
  const probe = async (ws: Workspace) =>
    inRollback(await getDb(), async (q) => {
      await q(sqlOf(ws));
      await q(`INSERT INTO public.oauth_states VALUES (1, 's'); GRANT SELECT, INSERT ON public.oauth_states TO authenticated`);
      await q('SET ROLE authenticated');
      const rows = await count(q, 'public.oauth_states');
      const ins = await tryQuery(q, `INSERT INTO public.oauth_states VALUES (2, 't')`);
      return { rows, insert: ins.ok ? 'ok' : ins.error.code };
    });
  const one = lintFiles([{ file, text: table }], ID);
  assert.deepEqual(await probe(both.ws), { rows: 0, insert: '42501' });
  assert.deepEqual(await probe(one.ws), { rows: 0, insert: '42501' }, 'one of them alone: the same');
});

test('err: two permissive INSERT policies: the message speaks of one check on new rows, not a filter; a row only one of them accepts goes in (PGlite)', async () => {
  const sql = `CREATE TABLE public.entries (id bigint PRIMARY KEY, author uuid NOT NULL, kind text NOT NULL);
ALTER TABLE public.entries ENABLE ROW LEVEL SECURITY;
CREATE POLICY entries_own ON public.entries FOR INSERT TO authenticated WITH CHECK (author = (select auth.uid()));
CREATE POLICY entries_public ON public.entries FOR INSERT TO authenticated WITH CHECK (kind = 'public');
GRANT INSERT ON public.entries TO authenticated;
`;
  const { ws, mine } = lintFiles([{ file: 'm/1.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /permissive for INSERT by authenticated: PostgreSQL ORs their WITH CHECK conditions into one check, so a new row is accepted as soon as any of them accepts it/);
  assert.doesNotMatch(mine[0]!.message, /filter/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sqlOf(ws));
    await q(`${actAs(TENANT_A)}; SET ROLE authenticated`);
    await q(`INSERT INTO public.entries VALUES (1, '${TENANT_B}', 'public')`); // B's row, accepted by entries_public alone
    const denied = await tryQuery(q, `INSERT INTO public.entries VALUES (2, '${TENANT_B}', 'private')`); // neither accepts it
    assert.equal(denied.ok ? '' : denied.error.code, '42501');
    await q('RESET ROLE');
    assert.equal(await count(q, 'public.entries'), 1);
  });
});

test('ok: a policy PostgreSQL rejects when it is created (42883 uuid = text) is not counted among the permissive ones: it never exists', () => {
  const sql = `CREATE TABLE public.notes (id int PRIMARY KEY, owner uuid NOT NULL, shared boolean NOT NULL DEFAULT false);
ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY bad ON public.notes FOR SELECT TO authenticated USING (owner = current_setting('app.user_id', true));
CREATE POLICY own ON public.notes FOR SELECT TO authenticated USING (owner = (select auth.uid()));
`;
  assert.equal(lintFiles([{ file: 'm/1.sql', text: sql }], 'policy-type-mismatch').mine.length, 1, 'bad is rejected (policy-type-mismatch)');
  assert.deepEqual(lintFiles([{ file: 'm/1.sql', text: sql }], ID).mine, []);
  const three = lintFiles([{ file: 'm/1.sql', text: `${sql}CREATE POLICY shared ON public.notes FOR SELECT TO authenticated USING (shared);\n` }], ID).mine;
  assert.equal(three.length, 1);
  assert.match(three[0]!.message, /^Policies "own" and "shared" on public\.notes are both permissive/);
});

test('ok: two permissive policies on a table the migrations do not create, whose RLS they disable last, are not reported: PostgreSQL ignores them (PGlite: every row, no filter)', async () => {
  const sql = `CREATE POLICY a ON public.ext_notes FOR SELECT TO authenticated USING (owner = (select auth.uid()));
CREATE POLICY b ON public.ext_notes FOR SELECT TO authenticated USING (shared);
ALTER TABLE public.ext_notes DISABLE ROW LEVEL SECURITY;
`;
  assert.deepEqual(lintFiles([{ file: 'm/1.sql', text: sql }], ID).mine, []);
  const enabled = lintFiles([{ file: 'm/1.sql', text: sql.replace('DISABLE', 'ENABLE') }], ID).mine;
  assert.equal(enabled.length, 1, 'reported while they apply');
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q(`CREATE TABLE public.ext_notes (id int, owner uuid, shared boolean); INSERT INTO public.ext_notes VALUES (1, '${TENANT_B}', false);
      GRANT SELECT ON public.ext_notes TO authenticated`);
    await q(sql);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'SELECT * FROM public.ext_notes'), 1, 'RLS disabled: the policies filter nothing');
    assert.doesNotMatch((await q('EXPLAIN (COSTS OFF) SELECT * FROM public.ext_notes')).map((r) => Object.values(r)[0]).join('\n'), /Filter/);
  });
});
