// policy-delete-wider-than-check on PostgreSQL (PGlite): a FOR ALL policy `USING (<the caller's
// school>) WITH CHECK (<the caller is an admin>)` lets a member who is no admin delete the school's
// rows (DELETE is filtered by USING alone), while their UPDATE of the same rows fails WITH CHECK
// (42501). Delibrium's shape (`is_admin(school_id) OR from_school(school_id)`, checked with
// `is_admin(school_id)`): a student deletes the school's admin user. After the split fix the
// member still reads the rows and deletes none; an admin of the school still deletes them, and not
// another school's.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { affected, asOwner, closeAll, count, getDb, inRollback, type Q, tryQuery } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintFiles, nestedParentheses, sqlOf, TENANT_A, TENANT_B, validExampleRuns } from '../helpers/rule-proof.js';
import { actAs, onSupabase } from '../helpers/supabase.js';

const ID = 'policy-delete-wider-than-check';
before(initParser);
after(closeAll);

/** The topic example as app_owner, topics 1 and 2 of school 1 and 3 of school 2, acting as web_user of school 1 in `group`. */
async function topics(q: Q, sql: string, group: string): Promise<void> {
  await q('CREATE ROLE web_user NOLOGIN'); // (by the superuser; rolled back with the rest)
  await asOwner(q, sql.replace('CREATE ROLE web_user NOLOGIN;', ''));
  await q(`INSERT INTO topic VALUES (1, 1, 'a'), (2, 1, 'b'), (3, 2, 'other school')`);
  await as(q, group);
}
async function as(q: Q, group: string): Promise<void> {
  await q('RESET ROLE');
  await q(`SELECT set_config('request.jwt.claim.school_id', '1', true), set_config('request.jwt.claim.user_group', '${group}', true)`);
  await q('SET ROLE web_user');
}

test("err: a student deletes the school's topics, while updating them fails 42501; after the split they read them and delete none, an admin deletes them and not another school's", async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.match(finding.message, /its WITH CHECK `\(select current_setting\('request\.jwt\.claim\.user_group', true\)\) = 'admin'` asks more of the caller than its USING `school_id = /);
  assert.match(finding.message, /DELETE is filtered by USING alone \(a deleted row has no new row to check; WITH CHECK applies to INSERT and to the new row of UPDATE\)/);
  assert.match(finding.message, /so web_user may still delete a row when they pass the USING on it but not the WITH CHECK, while an UPDATE leaving it as it is fails WITH CHECK \(42501\)/);
  assert.equal(nestedParentheses(finding.message), undefined);
  const fixed = applyFix(ws, finding);
  assert.equal(findingsOf(fixed, ID).length, 0);
  assert.match(sqlOf(fixed), /CREATE POLICY topic_access_delete ON topic FOR DELETE TO web_user\n {2}USING \(\(school_id = .*\) AND \(\(select current_setting\('request\.jwt\.claim\.user_group', true\)\) = 'admin'\)\);/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await topics(q, sqlOf(ws), 'student');
    assert.equal(await count(q, 'topic'), 2, "the student reads the school's two topics");
    const update = await tryQuery(q, `UPDATE topic SET title = 'x' WHERE id = 2`);
    assert.equal(update.ok ? 'ok' : update.error.code, '42501');
    assert.deepEqual(await q('DELETE FROM topic WHERE id = 1 RETURNING id'), [{ id: 1 }], 'yet deletes one');
    assert.equal(await affected(q, 'DELETE FROM topic'), 1, 'and the other: every row the USING admits');
  });
  await inRollback(db, async (q) => {
    await topics(q, sqlOf(fixed), 'student');
    assert.equal(await count(q, 'topic'), 2, 'still read');
    assert.equal(await affected(q, 'DELETE FROM topic'), 0);
    assert.equal(await affected(q, `UPDATE topic SET title = 'x'`), 0);
    const insert = await tryQuery(q, `INSERT INTO topic VALUES (4, 1, 'new')`);
    assert.equal(insert.ok ? 'ok' : insert.error.code, '42501');
    await as(q, 'admin');
    assert.equal(await affected(q, `UPDATE topic SET title = 'x' WHERE id = 2`), 1, 'the admin still updates');
    assert.equal(await affected(q, 'DELETE FROM topic WHERE id = 3'), 0, "not another school's: the fix keeps the USING in DELETE's");
    assert.equal(await affected(q, 'DELETE FROM topic'), 2, 'the admin deletes the school’s topics');
  });
});

test("err (wording): a policy TO PUBLIC on a forced table names its owner, whom FORCE subjects to it, with no parenthesis inside another; on PGlite the owner deletes the school's topics as a student", async () => {
  const { ex } = invalidFinding(ID, 0);
  const text = ex.files[0]!.text.replace('FOR ALL TO web_user', 'FOR ALL') + '\nALTER TABLE topic OWNER TO app_owner;';
  assert.notEqual(text, `${ex.files[0]!.text}\nALTER TABLE topic OWNER TO app_owner;`);
  const mine = lintFiles([{ file: 'm.sql', text }], ID).mine;
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /so web_user and app_owner \(the table's owner, whom FORCE ROW LEVEL SECURITY subjects to the policy\) may still delete a row when they pass the USING on it but not the WITH CHECK, while an UPDATE/);
  assert.equal(nestedParentheses(mine[0]!.message), undefined);
  const unnamed = lintFiles([{ file: 'm.sql', text: ex.files[0]!.text.replace('FOR ALL TO web_user', 'FOR ALL') }], ID).mine;
  assert.match(unnamed[0]!.message, /so web_user and the table's owner \(whom FORCE ROW LEVEL SECURITY subjects to the policy\) may still delete/);
  assert.equal(nestedParentheses(unnamed[0]!.message), undefined);
  await inRollback(await getDb(), async (q) => {
    await topics(q, text, 'student');
    await q('RESET ROLE');
    await q('SET ROLE app_owner');
    const update = await tryQuery(q, `UPDATE topic SET title = 'x' WHERE id = 2`);
    assert.equal(update.ok ? 'ok' : update.error.code, '42501');
    assert.equal(await affected(q, 'DELETE FROM topic'), 2, "the owner, subject to the policy, deletes the school's two topics");
  });
});

test("err: Delibrium's shape (is_admin(school_id) OR from_school(school_id) OR own row, checked with is_admin(school_id) OR own row): a student deletes the school's admin user; after the split, only the admin deletes", async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.match(finding.message, /asks more of the caller than its USING branch `public\.from_school\(school_id\)`\. /);
  assert.match(finding.message, /so authenticated may still delete a row when they pass that branch on it but not the WITH CHECK/);
  const fixed = applyFix(ws, finding);
  assert.equal(findingsOf(fixed, ID).length, 0);
  const db = await getDb();
  const run = async (q: Q, sql: string) => {
    await onSupabase(q, sql);
    await q(`INSERT INTO public.memberships VALUES (1, '${TENANT_A}', true), (1, '${TENANT_B}', false)`);
    await q(`INSERT INTO public.users VALUES ('${TENANT_A}', 1, 'the admin'), ('${TENANT_B}', 1, 'a student')`);
    await q(actAs(TENANT_B));
    await q('SET ROLE authenticated');
  };
  await inRollback(db, async (q) => {
    await run(q, sqlOf(ws));
    const update = await tryQuery(q, `UPDATE public.users SET name = 'x' WHERE id = '${TENANT_A}'`);
    assert.equal(update.ok ? 'ok' : update.error.code, '42501');
    assert.equal(await affected(q, `DELETE FROM public.users WHERE id = '${TENANT_A}'`), 1, "the student deletes the admin's user");
  });
  await inRollback(db, async (q) => {
    await run(q, sqlOf(fixed));
    assert.equal(await count(q, 'public.users'), 2, 'the student still reads the school');
    assert.equal(await affected(q, `DELETE FROM public.users WHERE id = '${TENANT_A}'`), 0);
    assert.equal(await affected(q, `UPDATE public.users SET name = 'me' WHERE id = '${TENANT_B}'`), 1, 'and still updates their own row');
    await q('RESET ROLE');
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.equal(await affected(q, `DELETE FROM public.users WHERE id = '${TENANT_B}'`), 1, 'the admin deletes');
  });
});

test('ok: Valid: the split policies: a student reads and deletes nothing', async () => {
  await validExampleRuns(ID, 0, async (q) => {
    await q(`INSERT INTO topic VALUES (1, 1, 'a')`);
    await as(q, 'student');
    assert.equal(await count(q, 'topic'), 1);
    assert.equal(await affected(q, 'DELETE FROM topic'), 0);
  });
});

test('ok: not reported: no WITH CHECK, the same condition written otherwise, a restrictive DELETE policy, a trigger refusing DELETE; a branch on no caller is policy-shared-rows-writable’s', async () => {
  const { ex } = invalidFinding(ID, 0);
  const base = ex.files[0]!.text;
  const check = "WITH CHECK ((select current_setting('request.jwt.claim.user_group', true)) = 'admin')";
  const restrictive = `${base}\nCREATE POLICY topic_admin_delete ON topic AS RESTRICTIVE FOR DELETE TO web_user USING ((select current_setting('request.jwt.claim.user_group', true)) = 'admin');`;
  for (const [what, text] of [
    ['no WITH CHECK', base.replace(`\n  ${check}`, '')],
    ['the same condition', base.replace(check, "WITH CHECK (nullif(current_setting('request.jwt.claim.school_id', true), '')::bigint = topic.school_id)")],
    ['FOR SELECT', base.replace('FOR ALL', 'FOR SELECT').replace(`\n  ${check}`, '')],
    // (vibetype's friendship: read and delete, never write through this policy)
    ['WITH CHECK (false)', base.replace(check, 'WITH CHECK (false)')],
    ['restrictive', restrictive],
    ['trigger', `${base}\nCREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no deletes'; END $$;\nCREATE TRIGGER topic_no_delete BEFORE DELETE ON topic FOR EACH ROW EXECUTE FUNCTION refuse();`],
  ] as const) {
    assert.notEqual(text, base, what);
    assert.equal(lintFiles([{ file: 'm.sql', text }], ID).mine.length, 0, what);
  }
  const shared = base.replace("::bigint))\n", "::bigint) OR title = 'public')\n");
  assert.notEqual(shared, base);
  const both = lintFiles([{ file: 'm.sql', text: shared }], ID).findings;
  assert.deepEqual(
    both.filter((f) => f.rule === ID || f.rule === 'policy-shared-rows-writable').map((f) => f.rule),
    ['policy-shared-rows-writable'],
  );
  await inRollback(await getDb(), async (q) => {
    await topics(q, restrictive, 'student');
    assert.equal(await affected(q, 'DELETE FROM topic'), 0, 'the restrictive policy decides DELETE');
  });
  // (WITH CHECK (false): the member deletes the school's rows as the policy's author meant, and writes none)
  await inRollback(await getDb(), async (q) => {
    await topics(q, base.replace(check, 'WITH CHECK (false)'), 'student');
    const r = await tryQuery(q, `UPDATE topic SET title = 'x' WHERE id = 1`);
    assert.equal(r.ok ? 'updated' : r.error.code, '42501');
    assert.equal(await affected(q, 'DELETE FROM topic WHERE id = 1'), 1);
  });
});

test("ok: a WITH CHECK that stamps the new row with the caller next to the USING's own condition (tutur3u's task_progress_entries_member_write) is not reported; a stamp alone, instead of the USING's condition, is", () => {
  const text = (check: string) => `CREATE TABLE public.ws_members (ws_id bigint NOT NULL, user_id uuid NOT NULL, PRIMARY KEY (ws_id, user_id));
CREATE INDEX ON public.ws_members (user_id);
ALTER TABLE public.ws_members ENABLE ROW LEVEL SECURITY;
CREATE POLICY ws_members_own ON public.ws_members FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE FUNCTION public.is_ws_member(_ws bigint) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS
  $$ SELECT EXISTS (SELECT 1 FROM public.ws_members WHERE ws_id = _ws AND user_id = (select auth.uid())) $$;
CREATE TABLE public.entries (id bigint PRIMARY KEY, ws_id bigint NOT NULL, created_by uuid NOT NULL);
CREATE INDEX ON public.entries (ws_id);
ALTER TABLE public.entries ENABLE ROW LEVEL SECURITY;
CREATE POLICY entries_member_write ON public.entries FOR ALL TO authenticated
  USING (public.is_ws_member(ws_id))
  WITH CHECK (${check});
`;
  const lint = (check: string) => lintFiles([{ file: 'supabase/migrations/20240101000000_entries.sql', text: text(check) }], ID).mine;
  assert.equal(lint('public.is_ws_member(ws_id) AND created_by = auth.uid()').length, 0);
  assert.equal(lint('(select auth.uid()) = created_by AND is_ws_member(entries.ws_id)').length, 0, 'written otherwise');
  const own = lint('created_by = (select auth.uid())');
  assert.equal(own.length, 1, 'members read, each writes their own: members delete the others’ rows');
  assert.match(own[0]!.message, /asks more of the caller than its USING `public\.is_ws_member\(ws_id\)`/);
  assert.equal(lint("public.is_ws_member(ws_id) AND (select auth.jwt() ->> 'user_role') = 'editor'").length, 1, 'an extra role check');
});

test('err (wording): with another permissive UPDATE policy for the role, UPDATE may pass its WITH CHECK: the message does not say it fails, and on PGlite it passes', async () => {
  const { ex } = invalidFinding(ID, 0);
  const text = `${ex.files[0]!.text}\nCREATE POLICY topic_title ON topic FOR UPDATE TO web_user USING (true) WITH CHECK (true);`;
  const mine = lintFiles([{ file: 'm.sql', text }], ID).mine;
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /on it but not the WITH CHECK\. Split it/);
  assert.doesNotMatch(mine[0]!.message, /42501/);
  await inRollback(await getDb(), async (q) => {
    await topics(q, text, 'student');
    assert.equal(await affected(q, `UPDATE topic SET title = 'x' WHERE id = 2`), 1);
    assert.equal(await affected(q, 'DELETE FROM topic WHERE id = 1'), 1);
  });
});

test("err: on Supabase Storage's objects, which the migrations do not create, a policy without TO applies to the API roles the platform grants every privilege on it (MakerKit's account_image: members delete the image only admins may upload)", () => {
  const text = `create function public.is_member(a uuid) returns boolean language sql stable as $$ select a = (select auth.uid()) $$;
create function public.is_admin(a uuid) returns boolean language sql stable as $$ select a = (select auth.uid()) and false $$;
create policy account_image on storage.objects for all
  using (bucket_id = 'account_image' and public.is_member((storage.filename(name))::uuid))
  with check (bucket_id = 'account_image' and public.is_admin((storage.filename(name))::uuid));
`;
  assert.equal(lintFiles([{ file: 'supabase/migrations/20240101000000_storage.sql', text }], ID).mine.length, 1);
  // (outside Supabase, a table the migrations do not create has no known grants)
  assert.equal(lintFiles([{ file: 'db/001_storage.sql', text }], ID).mine.length, 0);
});
