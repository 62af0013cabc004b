// policy-insert-plants-row on PostgreSQL (PGlite): an INSERT policy whose check does not name the
// column the SELECT policy ties to the reader lets user A insert a note carrying B's user_id, which
// B then reads among their own notes; a doc into a tenant A is not a member of, which that tenant's
// members read. With the fix, A's planted row fails 42501 and A's own rows are inserted as before.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, count, getDb, inRollback, type Q, tryQuery } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintFiles, sqlOf, TENANT_A, TENANT_B, nestedParentheses } from '../helpers/rule-proof.js';
import { actAs, onSupabase } from '../helpers/supabase.js';

const ID = 'policy-insert-plants-row';
before(initParser);
after(closeAll);

const USER_A = TENANT_A;
const USER_B = TENANT_B;

async function as(q: Q, user: string): Promise<void> {
  await q('RESET ROLE');
  await q(actAs(user));
  await q('SET ROLE authenticated');
}

test("err: user A inserts a note carrying B's user_id and B reads it as their own; after the fix A's planted note fails 42501 and A's own is inserted", async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.match(finding.message, /^Policy "insert_notes" on public\.notes lets authenticated insert rows and checks the new row with its WITH CHECK, which does not name its user_id, while policy "own_notes" admits a row by its user_id, compared with who calls: /);
  assert.match(finding.message, /authenticated can insert a row with any user_id, one that is not theirs, and policy "own_notes" then shows it to the user \(or group\) that user_id stands for as their own \(a planted row\)\. /);
  assert.match(finding.message, /an INSERT … RETURNING also needs the SELECT policies to admit it, T30, and fails 42501 for such a row; one without RETURNING does not\)\. /);
  assert.match(finding.message, /Add `user_id = \(select auth\.uid\(\)\)` to the WITH CHECK, or a BEFORE INSERT trigger that sets user_id\.$/);
  assert.equal(nestedParentheses(finding.message), undefined, 'SQL in backticks: no parenthesis inside another');
  const fixed = applyFix(ws, finding);
  assert.equal(findingsOf(fixed, ID).length, 0);
  assert.match(sqlOf(fixed), /WITH CHECK \(\(body IS NOT NULL\) AND user_id = \(select auth\.uid\(\)\)\);/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await onSupabase(q, sqlOf(ws));
    await as(q, USER_A);
    await q(`INSERT INTO public.notes (user_id, body) VALUES ('${USER_B}', 'planted by A')`);
    assert.equal(await count(q, 'public.notes'), 0, 'A does not see the note A planted');
    // (the message's aside: an INSERT … RETURNING has the row checked by the SELECT policies too, T30)
    const returning = await tryQuery(q, `INSERT INTO public.notes (user_id, body) VALUES ('${USER_B}', 'again') RETURNING id`);
    assert.equal(returning.ok ? 'ok' : returning.error.code, '42501');
    await as(q, USER_B);
    assert.deepEqual(await q('SELECT body FROM public.notes'), [{ body: 'planted by A' }], 'B reads it among their notes');
  });
  await inRollback(db, async (q) => {
    await onSupabase(q, sqlOf(fixed));
    await as(q, USER_A);
    const planted = await tryQuery(q, `INSERT INTO public.notes (user_id, body) VALUES ('${USER_B}', 'planted by A')`);
    assert.equal(planted.ok ? 'ok' : planted.error.code, '42501');
    await q(`INSERT INTO public.notes (user_id, body) VALUES ('${USER_A}', 'mine')`);
    assert.equal(await count(q, 'public.notes'), 1, "A's own note is inserted and read");
  });
});

test("err: a member of tenant A inserts a doc into tenant B, whose members read it; after the fix (the SELECT policy's membership condition in the WITH CHECK) that fails 42501 and a doc into A's tenant is inserted", async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.match(finding.message, /which does not name its tenant_id, while policy "tenant_docs" admits a row to the members of its tenant_id \(a membership of the caller's\): /);
  assert.match(finding.message, /authenticated can insert a row into any tenant_id, one they are not a member of, and policy "tenant_docs" then shows it to that tenant_id's members\./);
  const fixed = applyFix(ws, finding);
  assert.equal(findingsOf(fixed, ID).length, 0);
  const db = await getDb();
  const run = async (q: Q, sql: string) => {
    await onSupabase(q, sql);
    await q(`INSERT INTO public.memberships VALUES ('${TENANT_A}', '${USER_A}'), ('${TENANT_B}', '${USER_B}')`);
  };
  await inRollback(db, async (q) => {
    await run(q, sqlOf(ws));
    await as(q, USER_A);
    await q(`INSERT INTO public.docs (tenant_id, owner_id, title) VALUES ('${TENANT_B}', '${USER_A}', 'planted in B')`);
    await as(q, USER_B);
    assert.deepEqual(await q('SELECT title FROM public.docs'), [{ title: 'planted in B' }], "B's tenant reads it");
  });
  await inRollback(db, async (q) => {
    await run(q, sqlOf(fixed));
    await as(q, USER_A);
    const planted = await tryQuery(q, `INSERT INTO public.docs (tenant_id, owner_id, title) VALUES ('${TENANT_B}', '${USER_A}', 'planted in B')`);
    assert.equal(planted.ok ? 'ok' : planted.error.code, '42501');
    await q(`INSERT INTO public.docs (tenant_id, owner_id, title) VALUES ('${TENANT_A}', '${USER_A}', 'mine')`);
    assert.equal(await count(q, 'public.docs'), 1);
  });
});

test('ok: not reported: a check naming a bound column, on no column, asking the caller more than a stamp; a CHECK constraint tying the columns, a restrictive INSERT policy, a BEFORE INSERT trigger setting the column, column privileges; anon; a key column', () => {
  const { ex } = invalidFinding(ID, 0);
  const base = ex.files[0]!.text;
  const check = 'WITH CHECK (body IS NOT NULL)';
  const cases: Array<[string, string]> = [
    ['names it', base.replace(check, 'WITH CHECK (user_id = (select auth.uid()))')],
    ['no column', base.replace(check, "WITH CHECK ((select auth.role()) = 'authenticated')")],
    ['a privilege of the caller', base.replace(check, 'WITH CHECK (body IS NOT NULL AND public.is_editor((select auth.uid())))').replace('CREATE TABLE public.notes', 'CREATE FUNCTION public.is_editor(u uuid) RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT true $$;\nCREATE TABLE public.notes')],
    ['CHECK constraint', base.replace('body text)', 'body text, author_id uuid NOT NULL, CHECK (author_id = user_id))').replace(check, 'WITH CHECK (author_id = (select auth.uid()))')],
    ['restrictive', `${base}\nCREATE POLICY own_rows ON public.notes AS RESTRICTIVE FOR INSERT TO authenticated WITH CHECK (user_id = (select auth.uid()));`],
    [
      'trigger',
      `${base}\nCREATE FUNCTION public.set_user() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.user_id := auth.uid(); RETURN NEW; END $$;\nCREATE TRIGGER notes_user BEFORE INSERT ON public.notes FOR EACH ROW EXECUTE FUNCTION public.set_user();`,
    ],
    ['column privileges', `${base}\nREVOKE INSERT ON public.notes FROM authenticated;\nGRANT INSERT (body) ON public.notes TO authenticated;`],
    ['anon', base.replace('FOR INSERT TO authenticated', 'FOR INSERT TO anon').replace('FOR SELECT TO authenticated', 'FOR SELECT TO anon, authenticated')],
    ['a key', base.replace('id bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY, user_id uuid NOT NULL', 'user_id uuid PRIMARY KEY')],
  ];
  for (const [what, text] of cases) {
    assert.notEqual(text, base, what);
    assert.equal(lintFiles([{ file: ex.files[0]!.file, text }], ID).mine.length, 0, what);
  }
});

test('err: the kept reports of a table follow an edit of its INSERT policy in another file', () => {
  const { ex } = invalidFinding(ID, 0);
  const files = [{ file: ex.files[0]!.file, text: ex.files[0]!.text }, { file: 'supabase/migrations/20240102000000_fix.sql', text: 'SELECT 1;' }];
  assert.equal(lintFiles(files, ID).mine.length, 1);
  files[1]!.text = 'DROP POLICY insert_notes ON public.notes;\nCREATE POLICY insert_notes ON public.notes FOR INSERT TO authenticated WITH CHECK (user_id = (select auth.uid()));';
  assert.equal(lintFiles(files, ID).mine.length, 0);
});

// fix63: the gap policy-update-moves-row had (appliesToRole(policy TO authenticated, 'public') is false): a writer PUBLIC is every role
test("err (wording): an INSERT policy for PUBLIC with INSERT granted to PUBLIC: a RESTRICTIVE INSERT policy TO authenticated naming user_id keeps signed-in users from planting (PGlite: 42501), so it is not reported for PUBLIC; a SELECT policy TO app_user tying user_id to them is asked for PUBLIC, whose app_user plants a note (PGlite)", async () => {
  const { ex } = invalidFinding(ID, 0);
  const pub = ex.files[0]!.text.replace('FOR SELECT TO authenticated', 'FOR SELECT').replace('FOR INSERT TO authenticated', 'FOR INSERT');
  const guardedText = `${pub}\nCREATE POLICY own_rows ON public.notes AS RESTRICTIVE FOR INSERT TO authenticated WITH CHECK (user_id = (select auth.uid()));\nGRANT INSERT ON public.notes TO PUBLIC;\n`;
  const guardedLint = lintFiles([{ file: ex.files[0]!.file, text: guardedText }], ID);
  assert.deepEqual(guardedLint.mine.map((f) => f.message), [], 'not "lets PUBLIC insert rows … PUBLIC can insert a row with any user_id"');
  const db = await getDb();
  await inRollback(db, async (q) => {
    await onSupabase(q, sqlOf(guardedLint.ws));
    await as(q, USER_A);
    const planted = await tryQuery(q, `INSERT INTO public.notes (user_id, body) VALUES ('${USER_B}', 'planted by A')`);
    assert.equal(planted.ok ? 'ok' : planted.error.code, '42501');
  });
  // (no Supabase: PUBLIC holds the privileges, app_user's SELECT policy ties user_id to a request setting)
  const plain = `CREATE ROLE app_user;
CREATE TABLE public.notes (id bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY, user_id uuid NOT NULL, body text);
CREATE INDEX ON public.notes (user_id);
ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT ON public.notes TO PUBLIC;
CREATE POLICY own_notes ON public.notes FOR SELECT TO app_user USING (user_id = nullif(current_setting('app.user_id', true), '')::uuid);
CREATE POLICY insert_notes ON public.notes FOR INSERT WITH CHECK (body IS NOT NULL);
`;
  const { ws, mine } = lintFiles([{ file: 'migrations/001_notes.sql', text: plain }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^Policy "insert_notes" on public\.notes lets PUBLIC insert rows and checks the new row with its WITH CHECK, which does not name its user_id, while policy "own_notes" admits a row by its user_id, compared with who calls: PUBLIC can insert a row with any user_id/);
  assert.match(mine[0]!.message, /an INSERT … RETURNING also needs the SELECT policies to admit it, T30, and fails 42501 for such a row/);
  await inRollback(db, async (q) => {
    await q(sqlOf(ws));
    await q(`SET ROLE app_user; SELECT set_config('app.user_id', '${USER_A}', true)`);
    await q(`INSERT INTO public.notes (user_id, body) VALUES ('${USER_B}', 'planted by A')`);
    const returning = await tryQuery(q, `INSERT INTO public.notes (user_id, body) VALUES ('${USER_B}', 'again') RETURNING id`);
    assert.equal(returning.ok ? 'ok' : returning.error.code, '42501');
    await q(`SELECT set_config('app.user_id', '${USER_B}', true)`);
    assert.deepEqual(await q('SELECT body FROM public.notes'), [{ body: 'planted by A' }], 'B reads it among their notes');
  });
});

test("err (wording): a SELECT policy admitting a row otherwise than by its user_id (USING (is_public)): the message no longer says an INSERT … RETURNING of a planted row fails 42501, which it does not (PGlite)", async () => {
  const { ex } = invalidFinding(ID, 0);
  const text = ex.files[0]!.text.replace('body text)', 'body text, is_public boolean NOT NULL DEFAULT false)') + '\nCREATE POLICY public_notes ON public.notes FOR SELECT TO authenticated USING (is_public);\n';
  const { ws, mine } = lintFiles([{ file: ex.files[0]!.file, text }], ID);
  assert.equal(mine.length, 1);
  assert.doesNotMatch(mine[0]!.message, /42501/);
  assert.match(mine[0]!.message, /\(an INSERT … RETURNING also needs a SELECT policy to admit the new row, T30, which policy "public_notes" may do whatever its user_id\)\. /);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, sqlOf(ws));
    await as(q, USER_A);
    const returning = await tryQuery(q, `INSERT INTO public.notes (user_id, body, is_public) VALUES ('${USER_B}', 'planted by A', true) RETURNING body`);
    assert.equal(returning.ok ? 'ok' : returning.error.code, 'ok');
  });
});

// journeys-tribe's trips: a partial unique index (one active trip per user) is no key of user_id,
// which the INSERT policy's check names: a user inserts only trips of their own, any number of them.
test('ok: a partial unique index on the bound column (… (user_id) WHERE status = \'active\') does not make it a key: the check naming user_id binds the row, nothing is planted (PGlite)', async () => {
  const text = `
CREATE TABLE public.follows (follower_id uuid NOT NULL, following_id uuid NOT NULL, PRIMARY KEY (follower_id, following_id));
CREATE TABLE public.trips (id bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY, user_id uuid NOT NULL, title text, status text DEFAULT 'completed', visibility text NOT NULL DEFAULT 'public');
CREATE INDEX ON public.trips (user_id);
CREATE UNIQUE INDEX trips_one_active ON public.trips (user_id) WHERE status = 'active';
ALTER TABLE public.trips ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.can_view_trip(_viewer uuid, _owner uuid, _visibility text) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT CASE WHEN _viewer = _owner THEN true WHEN _visibility = 'public' THEN true
              WHEN _visibility = 'followers' THEN EXISTS (SELECT 1 FROM public.follows WHERE follower_id = _viewer AND following_id = _owner)
              ELSE false END $$;
REVOKE EXECUTE ON FUNCTION public.can_view_trip(uuid, uuid, text) FROM PUBLIC, anon;
GRANT EXECUTE ON FUNCTION public.can_view_trip(uuid, uuid, text) TO authenticated;
CREATE POLICY trips_select ON public.trips FOR SELECT TO authenticated USING (public.can_view_trip((select auth.uid()), user_id, visibility));
CREATE POLICY trips_insert ON public.trips FOR INSERT TO authenticated WITH CHECK (user_id = (select auth.uid()));
`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_trips.sql', text }], ID);
  assert.deepEqual(mine.map((f) => f.message), []);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, sqlOf(ws));
    await as(q, USER_A);
    await q(`INSERT INTO public.trips (user_id, title, visibility) VALUES ('${USER_A}', 'one', 'followers'), ('${USER_A}', 'two', 'followers')`);
    const planted = await tryQuery(q, `INSERT INTO public.trips (user_id, title, visibility) VALUES ('${USER_B}', 'as B', 'followers')`);
    assert.equal(planted.ok ? 'ok' : planted.error.code, '42501', 'a trip is only ever its author\'s');
    await as(q, USER_B);
    assert.equal(await count(q, 'public.trips'), 0, 'B, who follows no one, sees none of them');
  });
});

test("err: the SELECT policy a DO block's EXECUTE makes: the fix copies its USING as PostgreSQL runs it (title NOT LIKE 'draft%', not the string's ''draft%''): the fixed file re-lints with no syntax error and the planted doc fails 42501 (PGlite)", async () => {
  const sql = `CREATE TABLE public.memberships (tenant_id uuid NOT NULL, user_id uuid NOT NULL, PRIMARY KEY (user_id, tenant_id));
ALTER TABLE public.memberships ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_memberships ON public.memberships FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE TABLE public.docs (id bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY, tenant_id uuid NOT NULL, owner_id uuid NOT NULL, title text);
CREATE INDEX ON public.docs (tenant_id);
ALTER TABLE public.docs ENABLE ROW LEVEL SECURITY;
DO $$ BEGIN
  EXECUTE 'CREATE POLICY tenant_docs ON public.docs FOR SELECT TO authenticated USING (title NOT LIKE ''draft%'' AND tenant_id IN (SELECT m.tenant_id FROM public.memberships m WHERE m.user_id = (select auth.uid())))';
END $$;
CREATE POLICY insert_docs ON public.docs FOR INSERT TO authenticated
  WITH CHECK (owner_id = (select auth.uid()));
`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_docs.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  const fixed = applyFix(ws, mine[0]!);
  assert.match(sqlOf(fixed), /AND \(title NOT LIKE 'draft%' AND tenant_id IN/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  assert.equal(findingsOf(fixed, 'syntax-error').length, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await onSupabase(q, sqlOf(fixed));
    await q(`INSERT INTO public.memberships VALUES ('${TENANT_A}', '${USER_A}'), ('${TENANT_B}', '${USER_B}')`);
    await as(q, USER_A);
    const planted = await tryQuery(q, `INSERT INTO public.docs (tenant_id, owner_id, title) VALUES ('${TENANT_B}', '${USER_A}', 'planted in B')`);
    assert.equal(planted.ok ? 'ok' : planted.error.code, '42501');
    await q(`INSERT INTO public.docs (tenant_id, owner_id, title) VALUES ('${TENANT_A}', '${USER_A}', 'mine')`);
    assert.equal(await count(q, 'public.docs'), 1);
  });
});

// Calibration (Muzsy/tippmixapp, a betting community's social schema): friend_requests, INSERT
// `WITH CHECK (from_uid = auth.uid())`, SELECT `USING (to_uid = auth.uid())`, was said to let a user
// plant a row B reads "as their own": it is a friend request, which carries its true sender and
// which B is meant to read. A stamp that names no sender (changed_by, beside the owner's user_id)
// still plants: an audit entry in another user's trail.
test("ok: a row sent to a recipient, its sender stamped (friend_requests from_uid = auth.uid(), read by to_uid): not reported; PGlite: B reads A's request with from_uid A, and A cannot send one as C (42501). An audit row stamped changed_by, read by user_id, still is", async () => {
  const sql = `CREATE TABLE public.friend_requests (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), to_uid uuid NOT NULL, from_uid uuid NOT NULL, accepted boolean NOT NULL DEFAULT false);
CREATE INDEX ON public.friend_requests (to_uid);
ALTER TABLE public.friend_requests ENABLE ROW LEVEL SECURITY;
CREATE POLICY friend_requests_read_owner ON public.friend_requests FOR SELECT TO authenticated USING (to_uid = auth.uid());
CREATE POLICY friend_requests_insert_owner ON public.friend_requests FOR INSERT TO authenticated WITH CHECK (from_uid = auth.uid());`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/0008_social_schema.sql', text: sql }], ID);
  assert.deepEqual(mine, []);
  // (camelCase and other words of sending: senderId to recipientId, inviter to invitee)
  const camel = sql.replace(/to_uid/g, '"recipientId"').replace(/from_uid/g, '"senderId"');
  assert.deepEqual(lintFiles([{ file: 'supabase/migrations/0008_social_schema.sql', text: camel }], ID).mine, []);
  const audit = `CREATE TABLE public.user_preference_audit (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), user_id uuid NOT NULL, changed_by uuid NOT NULL, change jsonb);
CREATE INDEX ON public.user_preference_audit (user_id);
ALTER TABLE public.user_preference_audit ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_select_own ON public.user_preference_audit FOR SELECT TO authenticated USING (user_id = auth.uid());
CREATE POLICY audit_insert_authenticated ON public.user_preference_audit FOR INSERT TO authenticated WITH CHECK (changed_by = auth.uid());`;
  assert.equal(lintFiles([{ file: 'supabase/migrations/1_audit.sql', text: audit }], ID).mine.length, 1, 'a stamp that is no sender: planted');
  const USER_C = '00000000-0000-4000-8000-00000000000c';
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, sql);
    await as(q, USER_A);
    await q(`INSERT INTO public.friend_requests (to_uid, from_uid) VALUES ('${USER_B}', '${USER_A}')`);
    const forged = await tryQuery(q, `INSERT INTO public.friend_requests (to_uid, from_uid) VALUES ('${USER_B}', '${USER_C}')`);
    assert.equal(forged.ok ? 'ok' : forged.error.code, '42501', 'a request in another sender\'s name is refused');
    await as(q, USER_B);
    assert.deepEqual(await q('SELECT from_uid FROM public.friend_requests'), [{ from_uid: USER_A }], 'B reads the request with its true sender');
  });
});
