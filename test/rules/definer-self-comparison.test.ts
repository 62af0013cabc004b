// definer-self-comparison on PostgreSQL (PGlite): a LANGUAGE sql SECURITY DEFINER function whose
// parameter is shadowed by a column of the same name (`WHERE id = id`) reaches every row, every
// user's, as its owner bypasses the policies; `delete_note.id` reads the parameter. Calibration:
// collaborative-editor's `name = name` in a non-policy SQL function (stop 47's note).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, count, getDb, inRollback } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintFiles, sqlOf, TENANT_A, TENANT_B, textAt, validExampleRuns } from '../helpers/rule-proof.js';
import { actAs, onSupabase } from '../helpers/supabase.js';

const ID = 'definer-self-comparison';
before(initParser);
after(closeAll);

const NOTE_A1 = '00000000-0000-0000-0000-0000000000a1';
const NOTES = `INSERT INTO public.notes (id, user_id, body) VALUES ('${NOTE_A1}', '${TENANT_A}', 'a1'), (gen_random_uuid(), '${TENANT_A}', 'a2'), (gen_random_uuid(), '${TENANT_B}', 'b1');`;

test("err: user A deleting one note of theirs deletes every note, user B's too (PGlite); the fix's delete_note.id deletes that one", async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'id');
  assert.match(
    finding.message,
    /^In SECURITY DEFINER function public\.delete_note\(uuid\), id = id compares public\.notes\.id with itself \(in a LANGUAGE sql function a column name takes precedence over a parameter of the same name: the parameter id is never read\): it is true for every row whose id is not null, so this DELETE deletes every row of public\.notes, not the one meant\. /,
  );
  assert.match(finding.message, /so a call by authenticated deletes them all, rows its policies keep from the caller too\. Qualify the parameter with the function's name \(delete_note\.id\)/);
  const fixed = applyFix(ws, finding);
  assert.deepEqual(findingsOf(fixed, ID), [], 'the fix re-lints clean');
  assert.match(fixed.text(finding.file)!, /WHERE id = delete_note\.id;/);
  const db = await getDb();
  for (const [w, left] of [
    [ws, 0],
    [fixed, 2],
  ] as const) {
    await inRollback(db, async (q) => {
      await onSupabase(q, sqlOf(w));
      await q(NOTES);
      await q(`SET ROLE authenticated; ${actAs(TENANT_A)}`);
      assert.equal(await count(q, 'public.notes'), 2, "A sees A's two notes");
      await q(`SELECT public.delete_note('${NOTE_A1}')`);
      await q('RESET ROLE');
      assert.equal(await count(q, 'public.notes'), left, left === 0 ? "every note is gone, B's too" : 'only that note is gone');
    });
  }
});

test("err: archiving org 1's projects archives org 2's too (PGlite, a plain PostgreSQL app role and a setting)", async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.match(finding.message, /archive_org_projects\(bigint\), org_id = org_id compares projects\.org_id with itself .*this UPDATE changes every row of projects, not the one meant\./);
  assert.match(finding.message, /presumably the table's owner too \(the same migrations create both\), whom its policies do not restrict without FORCE ROW LEVEL SECURITY, so a call by app_user changes them all, rows its policies keep from the caller too/);
  await inRollback(await getDb(), async (q) => {
    await q(sqlOf(ws));
    await q('INSERT INTO projects (id, org_id) VALUES (1, 1), (2, 2)');
    await q("SET ROLE app_user; SELECT set_config('app.org_id', '1', true)");
    await q('SELECT archive_org_projects(1)');
    await q('RESET ROLE');
    assert.equal(await count(q, 'SELECT 1 FROM projects WHERE archived'), 2, "org 2's project is archived too");
  });
});

const ARCHIVE = `CREATE TABLE public.notes (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), user_id uuid NOT NULL DEFAULT auth.uid(), body text NOT NULL);
ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_own ON public.notes FOR ALL TO authenticated USING (user_id = (select auth.uid()));
CREATE FUNCTION public.archive_note(id uuid) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$
  UPDATE public.notes SET body = '[archived]' WHERE id = id AND user_id = auth.uid();
$$;
`;

test("err: with another condition in the WHERE, it says that condition alone chooses the rows, not every user's (PGlite: all of A's notes, none of B's)", async () => {
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/1_notes.sql', text: ARCHIVE }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /so the rest of its WHERE alone chooses the rows this UPDATE changes, whatever id it is called with\. .* so the policies of public\.notes do not narrow it either\./);
  assert.doesNotMatch(mine[0]!.message, /them all/);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, sqlOf(ws));
    await q(NOTES);
    await q(`GRANT EXECUTE ON FUNCTION public.archive_note(uuid) TO authenticated; SET ROLE authenticated; ${actAs(TENANT_A)}`);
    await q(`SELECT public.archive_note('${NOTE_A1}')`);
    await q('RESET ROLE');
    assert.equal(await count(q, "SELECT 1 FROM public.notes WHERE body = '[archived]'"), 2, "both of A's notes, not one");
    assert.equal(await count(q, `SELECT 1 FROM public.notes WHERE body = 'b1'`), 1, "B's note is untouched");
  });
});

const INVITES = `CREATE TABLE public.invites (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), token text NOT NULL UNIQUE, email text NOT NULL);
ALTER TABLE public.invites ENABLE ROW LEVEL SECURITY;
CREATE POLICY invites_none ON public.invites FOR SELECT TO authenticated USING (false);
CREATE FUNCTION public.lookup_invite(token text) RETURNS SETOF public.invites
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT i.* FROM public.invites i WHERE i.token = token;
$$;
GRANT EXECUTE ON FUNCTION public.lookup_invite(text) TO anon;
`;

test('err: `i.token = token` (the unqualified side a parameter and a column) is the column with itself: anon with a wrong token gets every invite (PGlite); the fix reads the parameter', async () => {
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/1_invites.sql', text: INVITES }], ID);
  assert.equal(mine.length, 1);
  const finding = mine[0]!;
  assert.equal(textAt(ws, finding), 'token');
  assert.match(finding.message, /^In SECURITY DEFINER function public\.lookup_invite\(text\), i\.token = token compares public\.invites\.token with itself \(in a LANGUAGE sql function a column name takes precedence over a parameter of the same name: the parameter token is never read\): .*this SELECT reads every row of public\.invites, not the one meant\./);
  const fixed = applyFix(ws, finding);
  assert.match(fixed.text(finding.file)!, /WHERE i\.token = lookup_invite\.token;/);
  assert.deepEqual(findingsOf(fixed, ID), [], 'the fix re-lints clean');
  const db = await getDb();
  for (const [w, rows] of [
    [ws, 2],
    [fixed, 0],
  ] as const) {
    await inRollback(db, async (q) => {
      await onSupabase(q, sqlOf(w));
      await q("INSERT INTO public.invites (token, email) VALUES ('t-a', 'a@x.io'), ('t-b', 'b@x.io')");
      await q('SET ROLE anon');
      assert.equal(await count(q, "SELECT 1 FROM public.lookup_invite('wrong')"), rows, rows ? 'every invite, with a wrong token' : 'none with a wrong token');
      if (!rows) assert.equal(await count(q, "SELECT 1 FROM public.lookup_invite('t-a')"), 1, 'the one with its token');
      await q('RESET ROLE');
    });
  }
  // written the other way round, the same; not where the unqualified name is a column of two tables of the FROM list
  const other = (where: string, from = 'public.invites i') => lintFiles([{ file: 'supabase/migrations/1_invites.sql', text: INVITES.replace('FROM public.invites i WHERE i.token = token', `FROM ${from} WHERE ${where}`) }], ID).mine;
  assert.match(other('token = i.token')[0]?.message ?? '', /, token = i\.token compares public\.invites\.token with itself/);
  const withOrgs = `CREATE TABLE public.orgs (org_id uuid PRIMARY KEY, email text);\n`;
  const join = (where: string) => lintFiles([{ file: 'supabase/migrations/1_invites.sql', text: withOrgs + INVITES.replace('email text NOT NULL', 'email text NOT NULL, org uuid').replace('FROM public.invites i WHERE i.token = token', `FROM public.invites i, public.orgs o WHERE ${where}`) }], ID).mine;
  assert.equal(join('i.email = email AND i.token = lookup_invite.token').length, 0, 'email is a column of both tables: ambiguous (42702), not the column itself');
  assert.equal(join('i.token = token').length, 1, 'orgs has no token: still the column itself');
});

test('ok: not reported for a SECURITY INVOKER function, a function a policy calls (policy-subquery-self-comparison), a PL/pgSQL variable, nor a table without RLS', () => {
  const mk = (fn: string, rls = true) =>
    lintFiles(
      [
        {
          file: 'supabase/migrations/1_notes.sql',
          text: `CREATE TABLE public.notes (id uuid PRIMARY KEY, user_id uuid NOT NULL, body text NOT NULL);\n${rls ? 'ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;\n' : ''}${fn}`,
        },
      ],
      ID,
    ).mine;
  assert.equal(mk(`CREATE FUNCTION public.d(id uuid) RETURNS void LANGUAGE sql SET search_path = '' AS $$ DELETE FROM public.notes WHERE id = id $$;`).length, 0, 'invoker');
  assert.equal(mk(`CREATE FUNCTION public.d(id uuid) RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$ DELETE FROM public.notes WHERE id = id $$;`, false).length, 0, 'no RLS');
  assert.equal(
    mk(
      `CREATE FUNCTION public.mine(user_id uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$ SELECT EXISTS (SELECT 1 FROM public.notes WHERE user_id = user_id) $$;\nCREATE POLICY p ON public.notes FOR SELECT TO authenticated USING (public.mine(auth.uid()));`,
    ).length,
    0,
    'called by a policy',
  );
  assert.equal(
    lintFiles([{ file: 'supabase/migrations/1_notes.sql', text: `CREATE TABLE public.notes (id uuid PRIMARY KEY, user_id uuid NOT NULL);\nALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;\nCREATE FUNCTION public.mine(user_id uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$ SELECT EXISTS (SELECT 1 FROM public.notes WHERE user_id = user_id) $$;\nCREATE POLICY p ON public.notes FOR SELECT TO authenticated USING (public.mine(auth.uid()));` }], 'policy-subquery-self-comparison').mine.length,
    1,
    'policy-subquery-self-comparison reports the one a policy calls',
  );
});

test('ok: the Valid examples give no finding and run', async () => {
  await validExampleRuns(ID, 0);
  await validExampleRuns(ID, 1);
});
