// policy-anon-write on PostgreSQL (PGlite): a FOR ALL TO anon policy whose USING tests only the
// row (bucket_id = 'avatars') lets an anonymous request (anon, no user id) rename and delete
// another user's files, and a DELETE without WHERE empties the bucket; owner-scoped policies
// for authenticated leave anon nothing to change.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { affected, asOwner, closeAll, count, ensureRoles, expectPgError, getDb, inRollback, tryQuery, type Q } from '../helpers/pg.js';
import { initParser, invalidFinding, lintDocExample, lintFiles, sqlOf, TENANT_A, TENANT_B, textAt } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL, onSupabase } from '../helpers/supabase.js';

const ID = 'policy-anon-write';
before(initParser);
after(closeAll);

/**
 * Supabase Storage's table as the platform makes it (owned by app_owner here, RLS enabled, the
 * API roles granted), user A's and user B's files in the avatars bucket and one elsewhere; then
 * the migration, run by the owner.
 */
async function storageWith(q: Q, sql: string): Promise<void> {
  await q(AUTH_STUB_SQL);
  await q('CREATE SCHEMA storage; GRANT USAGE, CREATE ON SCHEMA storage TO app_owner; GRANT USAGE ON SCHEMA storage TO anon, authenticated');
  await asOwner(
    q,
    `CREATE TABLE storage.objects (id bigint PRIMARY KEY, bucket_id text NOT NULL, name text NOT NULL, owner uuid);
     ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY;
     GRANT SELECT, INSERT, UPDATE, DELETE ON storage.objects TO anon, authenticated;
     INSERT INTO storage.objects VALUES (1, 'avatars', 'a.png', '${TENANT_A}'), (2, 'avatars', 'b.png', '${TENANT_B}'), (3, 'avatars', 'b2.png', '${TENANT_B}'), (4, 'private', 'x.pdf', '${TENANT_B}');`,
  );
  await asOwner(q, sql);
}

const files = (q: Q) => q(`SELECT id, name FROM storage.objects ORDER BY id`);

test("err: FOR ALL TO anon USING (bucket_id = 'avatars'): anon renames and deletes user B's files, and a DELETE without WHERE empties the bucket", async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), '"avatars write"');
  assert.match(finding.message, /is TO anon.*USING \(bucket_id = 'avatars'\) tests only the row.*anyone can update and delete every row it admits/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await storageWith(q, sqlOf(ws));
    await q('SET ROLE anon'); // no request.jwt.claim.sub: auth.uid() is NULL
    assert.deepEqual(await q('SELECT auth.uid() AS uid'), [{ uid: null }]);
    assert.equal(await affected(q, "UPDATE storage.objects SET name = 'defaced.png' WHERE name = 'b.png'"), 1, "anon renames user B's file");
    assert.equal(await affected(q, `DELETE FROM storage.objects WHERE owner = '${TENANT_B}'`), 2, "anon deletes user B's files (its other bucket is not admitted)");
    assert.equal(await affected(q, 'DELETE FROM storage.objects'), 1, 'a DELETE without WHERE: every file left in the bucket');
    await q('RESET ROLE');
    assert.deepEqual(await files(q), [{ id: 4, name: 'x.pdf' }]);
  });
});

test('ok: the owner-scoped variant (TO authenticated, owner = auth.uid()) leaves anon nothing to change; user A changes only its own file', async () => {
  const { ws, mine } = lintDocExample(ID, 'valid', 0);
  assert.equal(mine.length, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await storageWith(q, sqlOf(ws));
    await q('SET ROLE anon');
    assert.equal(await count(q, 'storage.objects'), 3, 'anon still reads the bucket');
    assert.equal(await affected(q, "UPDATE storage.objects SET name = 'defaced.png' WHERE name = 'b.png'"), 0);
    assert.equal(await affected(q, 'DELETE FROM storage.objects'), 0);
    await q('RESET ROLE');
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.equal(await affected(q, "UPDATE storage.objects SET name = 'mine.png'"), 1, "user A's own file only");
    assert.equal(await affected(q, 'DELETE FROM storage.objects'), 1);
    await q('RESET ROLE');
    assert.deepEqual(await files(q), [
      { id: 2, name: 'b.png' },
      { id: 3, name: 'b2.png' },
      { id: 4, name: 'x.pdf' },
    ]);
  });
});

test("err: no TO clause in a Supabase workspace: PUBLIC includes anon, which deletes another author's draft", async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.equal(textAt(ws, finding), '"drafts can be deleted"');
  assert.match(finding.message, /has no TO clause, so it applies to PUBLIC, anon included.*USING \(status = 'draft'\).*anyone can delete every row/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await asOwner(q, sqlOf(ws));
    // Supabase's platform default privileges: ALL on tables in public to its API roles
    await asOwner(q, `GRANT ALL ON posts TO anon, authenticated; INSERT INTO posts VALUES (1, '${TENANT_A}', 'draft'), (2, '${TENANT_B}', 'published')`);
    await q('SET ROLE anon');
    assert.equal(await affected(q, `DELETE FROM posts WHERE author_id = '${TENANT_A}'`), 1, "anon deletes user A's draft");
    assert.equal(await count(q, 'posts'), 1);
  });
});

test('ok: INSERT for anon, an always-true policy (policy-always-true), and PUBLIC where no anon role exists are not reported', () => {
  for (const n of [1, 2, 3]) assert.equal(lintDocExample(ID, 'valid', n).mine.length, 0, `Valid example #${n + 1}`);
  const always = lintDocExample(ID, 'valid', 2);
  assert.equal(always.findings.filter((f) => f.rule === 'policy-always-true').length, 1, 'policy-always-true reports the same policy');
});

/** policy-anon-write's findings for migrations in a Supabase layout (the anon role exists, platform grants). */
function anonFindings(sql: string): string[] {
  return lintFiles([{ file: 'supabase/migrations/20240101000000_t.sql', text: sql }], ID).mine.map((f) => f.message);
}
const TABLE = 'CREATE TABLE t (id bigint PRIMARY KEY, owner uuid, status text); ALTER TABLE t ENABLE ROW LEVEL SECURITY;\n';

test('ok: a condition that may look at the caller (a call, a sub-select, current_user, a qualified operator) is not reported', () => {
  for (const using of [
    "status = 'draft' AND auth.role() = 'anon'",
    'owner = (select auth.uid())',
    "status = 'draft' AND current_user = 'anon'",
    "lower(status) = 'draft'",
    "(storage.foldername(auth.uid()::text))[1] = 'x'",
    "storage.foldername(status) = public.my_folders()",
    "status = (SELECT 'draft')",
    "status OPERATOR(pg_catalog.=) 'draft'",
    'false',
    'NULL',
  ]) assert.deepEqual(anonFindings(`${TABLE}CREATE POLICY p ON t FOR DELETE TO anon USING (${using});`), [], using);
  // a storage.foldername of the workspace's own that is not IMMUTABLE may read anything
  const own = 'CREATE SCHEMA storage; CREATE FUNCTION storage.foldername(name text) RETURNS text[] LANGUAGE sql STABLE AS $$ SELECT string_to_array(name, current_user) $$;\n';
  assert.deepEqual(anonFindings(`${own}${TABLE}CREATE POLICY p ON t FOR DELETE TO anon USING ((storage.foldername(status))[1] = 'x');`), []);
});

test("err: conditions on the row only: comparisons, Supabase Storage's path helpers, IN, IS NULL, CASE, COALESCE, casts", () => {
  for (const using of ["status = 'draft'", "(storage.foldername(status))[1] = 'public'", "storage.extension(status) = 'png'", "status IN ('draft', 'new')", 'owner IS NULL', "coalesce(status, 'draft')::text = 'draft'", "CASE WHEN status = 'x' THEN true ELSE false END", "status LIKE 'd%' OR id > 10"]) {
    assert.equal(anonFindings(`${TABLE}CREATE POLICY p ON t FOR DELETE TO anon USING (${using});`).length, 1, using);
  }
});

test('ok: what leaves anon nothing to change is not reported', () => {
  const cases: Array<[string, string]> = [
    ['INSERT', "CREATE POLICY p ON t FOR INSERT TO anon WITH CHECK (status = 'new');"],
    ['SELECT', "CREATE POLICY p ON t FOR SELECT TO anon USING (status = 'published');"],
    ['UPDATE without USING (policy-without-condition)', "CREATE POLICY p ON t FOR UPDATE TO anon WITH CHECK (status = 'draft');"],
    ['UPDATE whose WITH CHECK looks at the caller', "CREATE POLICY p ON t FOR UPDATE TO anon USING (status = 'draft') WITH CHECK (owner = auth.uid());"],
    ['USING (true): policy-always-true', 'CREATE POLICY p ON t FOR UPDATE TO anon USING (true);'],
    ['WITH CHECK (true): policy-always-true', "CREATE POLICY p ON t FOR UPDATE TO anon USING (status = 'draft') WITH CHECK (true);"],
    ['restrictive', "CREATE POLICY p ON t AS RESTRICTIVE FOR DELETE TO anon USING (status = 'draft');"],
    ['TO authenticated, where no policy looks at the caller (the signed-in half leaves it)', "CREATE POLICY p ON t FOR DELETE TO authenticated USING (status = 'draft');"],
    ['a restrictive policy for anon that looks at the caller', "CREATE POLICY p ON t FOR DELETE TO anon USING (status = 'draft');\nCREATE POLICY signed_in ON t AS RESTRICTIVE FOR ALL TO PUBLIC USING ((select auth.uid()) IS NOT NULL);"],
    ['privileges revoked', "REVOKE UPDATE, DELETE ON t FROM anon;\nCREATE POLICY p ON t FOR ALL TO anon USING (status = 'draft');"],
    ['roles changed by ALTER POLICY', "CREATE POLICY p ON t FOR DELETE TO anon USING (status = 'draft');\nALTER POLICY p ON t TO authenticated;"],
    ['anon bypasses RLS', "ALTER ROLE anon BYPASSRLS;\nCREATE POLICY p ON t FOR DELETE TO anon USING (status = 'draft');"],
  ];
  for (const [what, sql] of cases) assert.deepEqual(anonFindings(`${TABLE}${sql}`), [], what);
  // row-level security never enabled: the policy is ignored (policy-on-table-without-rls)
  assert.deepEqual(anonFindings("CREATE TABLE t (id bigint, status text);\nCREATE POLICY p ON t FOR DELETE TO anon USING (status = 'draft');"), []);
});

test('err: FOR ALL whose WITH CHECK looks at the caller still lets anon DELETE; a role anon is a member of; a restrictive policy on the row only', () => {
  const [all] = anonFindings(`${TABLE}CREATE POLICY p ON t FOR ALL TO anon USING (status = 'draft') WITH CHECK (owner = auth.uid());`);
  assert.match(all ?? '', /anyone can delete every row it admits \(given the DELETE privilege\)/);
  const [group] = anonFindings(`${TABLE}CREATE ROLE web_public; GRANT web_public TO anon;\nCREATE POLICY p ON t FOR UPDATE TO web_public USING (status = 'draft');`);
  assert.match(group ?? '', /applies to anon through a role it is a member of \(web_public\).*anyone can update every row/);
  const restricted = anonFindings(`${TABLE}CREATE POLICY p ON t FOR DELETE TO anon USING (status = 'draft');\nCREATE POLICY r ON t AS RESTRICTIVE FOR DELETE TO anon USING (id > 0);`);
  assert.equal(restricted.length, 1);
});

test("err: an OR branch that tests only the row (ft's player_invitations `admin_id = (select auth.uid()) OR (status = 'pending' AND invitation_code IS NOT NULL)`): anon rewrites a pending invitation; a false branch, or none, is not reported", async () => {
  const sql = `create table public.player_invitations (id int primary key, admin_id uuid not null, invitation_code text, status text not null default 'pending');
create index on public.player_invitations (admin_id);
alter table public.player_invitations enable row level security;
grant select, insert, update, delete on public.player_invitations to anon, authenticated;
create policy invitations_read on public.player_invitations for select to public using (true);
create policy invitations_update on public.player_invitations for update to public
  using ((admin_id = (select auth.uid())) or ((status = 'pending') and (invitation_code is not null)))
  with check ((admin_id = (select auth.uid())) or ((status = 'pending') and (invitation_code is not null)));
`;
  const file = 'supabase/migrations/20260216133000_invitations.sql';
  const { mine } = lintFiles([{ file, text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /has an OR branch that tests only the row, not who is asking: .* so anyone can update every row that branch admits/);
  for (const other of ['(status = \'pending\') and false', 'false'])
    assert.equal(lintFiles([{ file, text: sql.replaceAll("((status = 'pending') and (invitation_code is not null))", `(${other})`) }], ID).mine.length, 0, other);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql);
    await q(`insert into public.player_invitations values (1, '${TENANT_A}', 'code-1', 'pending'); set role anon`);
    assert.equal(await affected(q, `update public.player_invitations set admin_id = '${TENANT_B}', invitation_code = 'mine' where id = 1`), 1, 'anon takes over the invitation');
  });
});

// hashpass's user_blocks (20251015000003_comprehensive_pass_system.sql): FOR ALL with no TO, whose
// sub-select only asks whether the block's speaker exists; bsl_speakers' SELECT policy is USING (true)
const SPEAKER = 'spk-1';
const BLOCKS = `INSERT INTO bsl_speakers VALUES ('${SPEAKER}', 'Ada', '${TENANT_A}');
INSERT INTO user_blocks VALUES (1, '${SPEAKER}', '${TENANT_A}', 'spam'), (2, '${SPEAKER}', '${TENANT_B}', 'spam');`;

/** Supabase's platform defaults, the migrations and two blocks of one speaker, then SET ROLE anon (no signed-in user). */
async function blocksAsAnon(q: Q, sql: string): Promise<void> {
  await onSupabase(q, sql);
  await q(BLOCKS);
  await q('SET ROLE anon');
}

test("err: hashpass's user_blocks: a sub-select reading bsl_speakers, whose SELECT policy for anon is USING (true), asks nothing of the caller: anon updates and deletes every block", async () => {
  const { ws, finding } = invalidFinding(ID, 2);
  assert.equal(textAt(ws, finding), '"Speakers can manage blocks"');
  assert.match(
    finding.message,
    /has no TO clause, so it applies to PUBLIC, anon included, and its condition USING \(speaker_id IN \(SELECT id FROM bsl_speakers WHERE id = speaker_id\)\) tests only the row, not who is asking \(its sub-select reads public\.bsl_speakers, whose SELECT policy "speakers_select" for anon is USING \(true\), and anon may read it: the sub-select gives the same rows for anon as for anyone\).*anyone can update and delete every row it admits/,
  );
  await inRollback(await getDb(), async (q) => {
    await blocksAsAnon(q, sqlOf(ws));
    assert.equal(await count(q, 'user_blocks'), 2, 'FOR ALL lets anon read every block too');
    assert.equal(await affected(q, `UPDATE user_blocks SET blocked_user_id = '${TENANT_B}' WHERE id = 1`), 1, "anon moves user A's block");
    assert.equal(await affected(q, "UPDATE user_blocks SET reason = 'defaced'"), 2, 'anon updates every block');
    assert.equal(await affected(q, 'DELETE FROM user_blocks'), 2, 'anon deletes every block');
    await q('RESET ROLE');
    assert.equal(await count(q, 'user_blocks'), 0);
  });
});

test("ok: the same when anon sees no speaker (SELECT policy USING (auth.uid() = user_id): anon changes no block), or may not read bsl_speakers (42501 for anon)", async () => {
  const own = lintDocExample(ID, 'valid', 4);
  assert.equal(own.mine.length, 0);
  const revokedSql = sqlOf(invalidFinding(ID, 2).ws) + '\n;\nREVOKE SELECT ON bsl_speakers FROM anon;';
  const revoked = lintFiles([{ file: 'supabase/migrations/20251015000003_pass_system.sql', text: revokedSql }], ID);
  assert.equal(revoked.mine.length, 0);
  // a view over bsl_speakers, or a call in the sub-select, still counts as depending on the caller
  const viaView = revokedSql.replace('REVOKE SELECT ON bsl_speakers FROM anon;', 'CREATE VIEW speakers_v AS SELECT * FROM bsl_speakers;').replace('SELECT id FROM bsl_speakers WHERE', 'SELECT id FROM speakers_v WHERE');
  assert.equal(lintFiles([{ file: 'supabase/migrations/20251015000003_pass_system.sql', text: viaView }], ID).mine.length, 0, 'a view');
  const withCall = revokedSql.replace('REVOKE SELECT ON bsl_speakers FROM anon;', '').replace('WHERE id = speaker_id', 'WHERE id = speaker_id AND user_id = auth.uid()');
  assert.equal(lintFiles([{ file: 'supabase/migrations/20251015000003_pass_system.sql', text: withCall }], ID).mine.length, 0, 'auth.uid() in the sub-select');
  const db = await getDb();
  await inRollback(db, async (q) => {
    await blocksAsAnon(q, sqlOf(own.ws));
    assert.equal(await affected(q, "UPDATE user_blocks SET reason = 'defaced'"), 0);
    assert.equal(await affected(q, 'DELETE FROM user_blocks'), 0);
    await q('RESET ROLE');
    assert.equal(await count(q, 'user_blocks'), 2);
  });
  await inRollback(db, async (q) => {
    await blocksAsAnon(q, revokedSql);
    await expectPgError(q('DELETE FROM user_blocks'), '42501', /bsl_speakers/);
  });
});

test('err: a sub-select of a table without row-level security counts as the row; one of a table whose anon SELECT policy is restrictive, or has a sub-select, does not', () => {
  const base = `CREATE TABLE kinds (id bigint PRIMARY KEY, name text);\n${TABLE}`;
  const policy = "CREATE POLICY p ON t FOR DELETE TO anon USING (EXISTS (SELECT 1 FROM kinds k WHERE k.name = t.status));";
  const [msg] = anonFindings(`${base}${policy}`);
  assert.match(msg ?? '', /its sub-select reads public\.kinds, which has no row-level security, and anon may read it/);
  const rls = 'ALTER TABLE kinds ENABLE ROW LEVEL SECURITY;\nCREATE POLICY kinds_read ON kinds FOR SELECT USING (true);\n';
  assert.equal(anonFindings(`${base}${rls}${policy}`).length, 1, 'USING (true)');
  for (const [what, extra] of [
    ['restrictive', 'CREATE POLICY kinds_r ON kinds AS RESTRICTIVE FOR SELECT TO anon USING (id > 0);'],
    ['a sub-select in its policy', 'CREATE POLICY kinds_s ON kinds FOR SELECT USING (EXISTS (SELECT 1 FROM t));'],
    ['no policy for anon', 'DROP POLICY kinds_read ON kinds;'],
  ]) assert.deepEqual(anonFindings(`${base}${rls}${extra}\n${policy}`), [], what);
  assert.deepEqual(anonFindings(`${base}${policy.replace('SELECT 1 FROM kinds k', 'SELECT 1 FROM kinds k, generate_series(1, 2) g')}`), [], 'a function in FROM');
  assert.deepEqual(anonFindings(`${TABLE}${policy}`), [], 'an unknown table');
});

test("err: on storage.objects the suggested scope compares owner_id (text) as text: the condition it names creates and scopes the policy (owner_id = (select auth.uid()) is 42883)", async () => {
  // (Staff-Optima's attachments bucket: a DELETE policy for PUBLIC on the bucket alone)
  const sql = `CREATE SCHEMA IF NOT EXISTS storage;
CREATE TABLE storage.objects (id bigint PRIMARY KEY, bucket_id text NOT NULL, name text NOT NULL, owner_id text);
ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY;
CREATE POLICY "attachments delete" ON storage.objects FOR DELETE USING (bucket_id = 'attachments');
`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/20250415000000_storage.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  const msg = mine[0]!.message;
  // (the owner_id comparison the message suggests, up to its closing parenthesis)
  const at = msg.indexOf('owner_id = (select auth.uid()');
  assert.ok(at > 0, msg);
  let depth = 0;
  let end = at;
  for (; end < msg.length; end++) {
    if (msg[end] === '(') depth++;
    else if (msg[end] === ')' && --depth === 0) break;
  }
  const suggested = msg.slice(at, end + 1);
  assert.equal(suggested, 'owner_id = (select auth.uid()::text)');
  assert.match(msg, /\(storage\.foldername\(name\)\)\[1\] = \(select auth\.uid\(\)::text\)/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q('CREATE SCHEMA storage; GRANT USAGE, CREATE ON SCHEMA storage TO app_owner; GRANT USAGE ON SCHEMA storage TO anon, authenticated');
    await asOwner(
      q,
      `CREATE TABLE storage.objects (id bigint PRIMARY KEY, bucket_id text NOT NULL, name text NOT NULL, owner_id text);
       ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY;
       GRANT SELECT, DELETE ON storage.objects TO anon, authenticated;
       CREATE POLICY read ON storage.objects FOR SELECT USING (bucket_id = 'attachments');
       INSERT INTO storage.objects VALUES (1, 'attachments', 'a.pdf', '${TENANT_A}'), (2, 'attachments', 'b.pdf', '${TENANT_B}');`,
    );
    // (the uuid comparison, as the message used to suggest it, is rejected)
    await q('SAVEPOINT old_fix');
    await expectPgError(
      q("CREATE POLICY old_fix ON storage.objects FOR DELETE TO authenticated USING (bucket_id = 'attachments' AND owner_id = (select auth.uid()))"),
      '42883',
      /text = uuid/,
    );
    await q('ROLLBACK TO SAVEPOINT old_fix');
    await asOwner(q, `CREATE POLICY new_fix ON storage.objects FOR DELETE TO authenticated USING (bucket_id = 'attachments' AND ${suggested})`);
    await q('SET ROLE anon');
    assert.equal(await affected(q, 'DELETE FROM storage.objects'), 0, 'anon deletes nothing');
    await q('RESET ROLE');
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.equal(await affected(q, 'DELETE FROM storage.objects'), 1, "user A deletes its own file only");
    await q('RESET ROLE');
    assert.deepEqual(await files(q), [{ id: 2, name: 'b.pdf' }]);
  });
});

// ---- The signed-in half: a role every signed-in user has ----

const TENANT_C = '00000000-0000-0000-0000-00000000000c';

test("err: FOR DELETE TO authenticated USING (status = 'draft'): user B deletes user A's draft listing with a DELETE that reads no column; scoped to the vendor, B deletes only its own", async () => {
  const { ws, finding } = invalidFinding(ID, 3);
  assert.equal(textAt(ws, finding), '"drafts can be deleted"');
  assert.match(
    finding.message,
    /is TO authenticated, and its condition USING \(status = 'draft'\) tests only the row, not who is asking: PostgreSQL admits to the policy.s roles every row the USING admits, with no check on the caller, so every signed-in user \(authenticated is the role of every request with a user's session — on Supabase, anyone who signs up\) can delete every row it admits, other users' rows included \(given the DELETE privilege\).*DELETE FROM public\.listings.*Add a condition on the caller \(e\.g\. AND user_id = \(select auth\.uid\(\)\)\)/,
  );
  const rows = `INSERT INTO listings VALUES (1, '${TENANT_A}', 'draft'), (2, '${TENANT_B}', 'draft'), (3, '${TENANT_A}', 'published')`;
  const db = await getDb();
  await inRollback(db, async (q) => {
    await onSupabase(q, sqlOf(ws));
    await q(rows);
    await q(actAs(TENANT_B));
    await q('SET ROLE authenticated');
    assert.equal(await affected(q, `DELETE FROM listings WHERE vendor_id = '${TENANT_A}'`), 0, "a DELETE reading a column gets the SELECT policy too: not A's draft (T27)");
    assert.equal(await affected(q, 'DELETE FROM listings'), 2, "a DELETE without WHERE: A's draft and B's own");
    await q('RESET ROLE');
    assert.deepEqual(await q('SELECT id FROM listings ORDER BY id'), [{ id: 3 }]);
  });
  // the fix the message names: a condition on the caller
  await inRollback(db, async (q) => {
    await onSupabase(q, sqlOf(ws).replace("USING (status = 'draft');", "USING (status = 'draft' AND vendor_id = (select auth.uid()));"));
    await q(rows);
    await q(actAs(TENANT_B));
    await q('SET ROLE authenticated');
    assert.equal(await affected(q, 'DELETE FROM listings'), 1, 'B deletes its own draft only');
  });
});

test("ok: on Supabase Storage, FOR DELETE TO authenticated USING (bucket_id = 'avatars') is policy-always-true's finding, not this rule's too (hifihornan's listing images); PGlite: user B deletes user A's file, as that finding says", async () => {
  const sql = `CREATE POLICY "avatars read" ON storage.objects FOR SELECT USING (bucket_id = 'avatars');
CREATE POLICY "avatars upload own" ON storage.objects FOR INSERT TO authenticated
  WITH CHECK (bucket_id = 'avatars' AND owner = (select auth.uid()));
CREATE POLICY "avatars delete" ON storage.objects FOR DELETE TO authenticated
  USING (bucket_id = 'avatars');
`;
  const { mine, findings } = lintFiles([{ file: 'supabase/migrations/20240101000000_avatars.sql', text: sql }], ID);
  assert.deepEqual(mine, []);
  const always = findings.filter((f) => f.rule === 'policy-always-true');
  assert.equal(always.length, 1);
  assert.match(always[0]!.message, /^Policy "avatars delete" on storage\.objects \(FOR DELETE\) admits every object of bucket 'avatars' to every signed-in user/);
  // (TO anon, or PUBLIC, the anon half still reports it: anon's case is this rule's)
  assert.equal(lintFiles([{ file: 'supabase/migrations/20240101000000_avatars.sql', text: sql.replace('FOR DELETE TO authenticated', 'FOR DELETE TO anon, authenticated') }], ID).mine.length, 1);
  await inRollback(await getDb(), async (q) => {
    await storageWith(q, sql);
    await q(actAs(TENANT_B));
    await q('SET ROLE authenticated');
    assert.equal(await affected(q, `DELETE FROM storage.objects WHERE owner = '${TENANT_A}'`), 1, "user B deletes user A's file");
    assert.equal(await affected(q, 'DELETE FROM storage.objects'), 2, "a DELETE without WHERE: every file left in the bucket (B's own two)");
    await q('RESET ROLE');
    assert.deepEqual(await files(q), [{ id: 4, name: 'x.pdf' }]);
  });
});

test("err: not Supabase, FOR UPDATE for PUBLIC USING (status = 'requested') with UPDATE granted to app_user: user B takes over user A's pending request to C; a condition on the caller stops B", async () => {
  const { ws, finding } = invalidFinding(ID, 4);
  assert.equal(textAt(ws, finding), 'friendship_update');
  assert.match(
    finding.message,
    /has no TO clause, so it applies to PUBLIC, and its condition USING \(status = 'requested'\) tests only the row.*so every user of the roles granted UPDATE on public\.friendship here \(app_user\) can update every row it admits, other users' rows included \(given the UPDATE privilege\).*e\.g\. UPDATE public\.friendship SET … to constants.*updated rows must still pass the condition\. Add a condition on the caller \(e\.g\. AND user_id = the current user's id/,
  );
  const me = (id: string) => `SELECT set_config('app.user_id', '${id}', true)`;
  const db = await getDb();
  const setup = async (q: Q, sql: string) => {
    await asOwner(q, sql.replace('CREATE ROLE app_user;', ''));
    await asOwner(q, `INSERT INTO friendship VALUES (1, '${TENANT_A}', '${TENANT_C}', 'requested'), (2, '${TENANT_A}', '${TENANT_C}', 'accepted')`);
  };
  await ensureRoles(db, ['app_user']);
  await inRollback(db, async (q) => {
    await setup(q, sqlOf(ws));
    await q(me(TENANT_B));
    await q('SET ROLE app_user');
    assert.equal(await affected(q, `UPDATE friendship SET addressee = '${TENANT_B}' WHERE id = 1`), 0, 'a statement reading a column gets the SELECT policy too: B sees no row (T26)');
    assert.equal(await affected(q, `UPDATE friendship SET addressee = '${TENANT_B}'`), 1, "no WHERE: B readdresses A's pending request to itself");
    await q('RESET ROLE');
    assert.deepEqual(await q('SELECT id, addressee FROM friendship ORDER BY id'), [{ id: 1, addressee: TENANT_B }, { id: 2, addressee: TENANT_C }]);
    // without WITH CHECK the USING checks the new row (T14c): the updated row must still be pending
    await q('SET ROLE app_user');
    await expectPgError(q("UPDATE friendship SET status = 'accepted'"), '42501', /new row violates row-level security policy/);
  });
  await inRollback(db, async (q) => {
    await setup(q, sqlOf(ws).replace("USING (status = 'requested');", "USING (status = 'requested' AND addressee = nullif(current_setting('app.user_id', true), '')::uuid)\n  WITH CHECK (addressee = nullif(current_setting('app.user_id', true), '')::uuid);"));
    await q(me(TENANT_B));
    await q('SET ROLE app_user');
    assert.equal(await affected(q, `UPDATE friendship SET addressee = '${TENANT_B}'`), 0, 'B changes nothing');
    await q('RESET ROLE');
    await q(me(TENANT_C));
    await q('SET ROLE app_user');
    assert.equal(await affected(q, "UPDATE friendship SET status = 'accepted'"), 1, 'C accepts the request addressed to it');
    await q('RESET ROLE');
  });
});

test('err: TO a role the migrations grant to other roles (app_user, granted to user_a and user_b): user_b deletes user_a\'s draft', async () => {
  const sql = `CREATE ROLE app_user; CREATE ROLE user_a; CREATE ROLE user_b; GRANT app_user TO user_a, user_b;
CREATE TABLE notes (id bigint PRIMARY KEY, author text NOT NULL DEFAULT current_user, status text NOT NULL);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
GRANT SELECT, DELETE ON notes TO app_user;
CREATE POLICY notes_read ON notes FOR SELECT TO app_user USING (author = current_user);
CREATE POLICY drafts_delete ON notes FOR DELETE TO app_user USING (status = 'draft');`;
  const [msg, ...rest] = lintFiles([{ file: 'db/1_notes.sql', text: sql }], ID).mine.map((f) => f.message);
  assert.equal(rest.length, 0);
  assert.match(msg ?? '', /is TO app_user, a role the migrations grant to other roles \(user_a and user_b\).*so every user given app_user can delete every row it admits, other users' rows included \(given the DELETE privilege\)/);
  const db = await getDb();
  await ensureRoles(db, ['app_user', 'user_a', 'user_b']);
  await inRollback(db, async (q) => {
    await q('GRANT app_user TO user_a, user_b');
    await asOwner(q, sql.replace(/^CREATE ROLE[^\n]*\n/, ''));
    await asOwner(q, "INSERT INTO notes VALUES (1, 'user_a', 'draft'), (2, 'user_a', 'final'), (3, 'user_b', 'draft')");
    await q('SET ROLE user_b');
    assert.equal(await affected(q, 'DELETE FROM notes'), 2, "user_b deletes user_a's draft and its own");
    await q('RESET ROLE');
    assert.deepEqual(await q('SELECT id FROM notes ORDER BY id'), [{ id: 2 }]);
  });
});

test('ok: the signed-in half leaves alone a check on the caller (claiming a task), roles without the privilege (42501), PUBLIC granted to no role, a restrictive policy on the caller, and workspaces whose policies never look at the caller', async () => {
  for (const n of [5, 6]) assert.equal(lintDocExample(ID, 'valid', n).mine.length, 0, `Valid example #${n + 1}`);
  const aware = "CREATE POLICY own ON t FOR SELECT TO authenticated USING (owner = (select auth.uid()));\n";
  const cases: Array<[string, string]> = [
    ['WITH CHECK on the caller', "CREATE POLICY p ON t FOR UPDATE TO authenticated USING (owner IS NULL) WITH CHECK (owner = (select auth.uid()));"],
    ['UPDATE and DELETE revoked', "REVOKE UPDATE, DELETE ON t FROM authenticated;\nCREATE POLICY p ON t FOR ALL TO authenticated USING (status = 'draft');"],
    ['a restrictive policy on the caller', "CREATE POLICY p ON t FOR DELETE TO authenticated USING (status = 'draft');\nCREATE POLICY r ON t AS RESTRICTIVE FOR DELETE TO authenticated USING (owner = (select auth.uid()));"],
    ['a sub-select', "CREATE POLICY p ON t FOR DELETE TO authenticated USING (status IN (SELECT 'draft'));"],
    ['a call', "CREATE POLICY p ON t FOR DELETE TO authenticated USING (lower(status) = 'draft');"],
  ];
  for (const [what, sql] of cases) assert.deepEqual(anonFindings(`${TABLE}${aware}${sql}`), [], what);
  assert.equal(anonFindings(`${TABLE}${aware}CREATE POLICY p ON t FOR DELETE TO authenticated USING (status = 'draft');`).length, 1, 'the same policy with the privilege is reported');
  // outside Supabase, PUBLIC with the command granted to no role here
  const plain = (grant: string) => lintFiles([{ file: 'db/1.sql', text: `CREATE TABLE t (id bigint PRIMARY KEY, owner text, status text); ALTER TABLE t ENABLE ROW LEVEL SECURITY;\n${grant}CREATE POLICY own ON t FOR SELECT USING (owner = current_user);\nCREATE POLICY p ON t FOR DELETE USING (status = 'draft');` }], ID).mine.length;
  assert.equal(plain(''), 0);
  assert.equal(plain('GRANT SELECT ON t TO app_user;\n'), 0, 'SELECT only');
  assert.equal(plain('GRANT SELECT, DELETE ON t TO app_user;\n'), 1);
  // PostgreSQL stops a role without the privilege before row-level security (T28)
  const db = await getDb();
  await inRollback(db, async (q) => {
    await onSupabase(q, `${TABLE}${aware}REVOKE DELETE ON t FROM authenticated;\nCREATE POLICY p ON t FOR DELETE TO authenticated USING (status = 'draft');`);
    await q(actAs(TENANT_B));
    await q('SET ROLE authenticated');
    await expectPgError(q('DELETE FROM t'), '42501', /permission denied for table t/);
  });
});

// Regression check of stop 57 (launchql's PostgreSQL regression fixture): outside Supabase, a role
// named authenticated is not "every signed-in user" for a PUBLIC policy: the roles granted the
// command are named instead.
test('ok (message): outside Supabase, a PUBLIC policy names the roles granted the command (bob), not a role that happens to be called authenticated; PGlite: authenticated is refused (42501), bob deletes the rows the USING admits', async () => {
  const text = `CREATE ROLE authenticated;
CREATE ROLE bob;
CREATE TABLE b1 (a int, owner text);
ALTER TABLE b1 ENABLE ROW LEVEL SECURITY;
GRANT ALL ON b1 TO bob;
CREATE POLICY p1 ON b1 USING (a % 2 = 0);
CREATE POLICY own ON b1 FOR SELECT USING (owner = current_user);
`;
  const { mine } = lintFiles([{ file: 'db/1.sql', text }], 'policy-anon-write');
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /granted DELETE(, UPDATE| and UPDATE)?[^(]* \(bob\)|\(bob\)/);
  assert.doesNotMatch(mine[0]!.message, /authenticated included|every signed-in user/);
  const db = await getDb();
  await db.exec(`DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bob') THEN CREATE ROLE bob; END IF; IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN CREATE ROLE authenticated; END IF; END $$`);
  await inRollback(db, async (q) => {
    await q(text.split('\n').filter((l) => !l.startsWith('CREATE ROLE')).join('\n'));
    await q('INSERT INTO b1 VALUES (1, $$x$$), (2, $$x$$), (4, $$x$$)');
    await q('SET ROLE authenticated');
    const denied = await tryQuery(q, 'DELETE FROM b1');
    assert.equal(denied.ok ? 'ran' : denied.error.code, '42501');
    await q('RESET ROLE');
    await q('SET ROLE bob');
    assert.equal((await q('DELETE FROM b1 RETURNING a')).length, 2);
  });
});

// Calibration cal159 (haufhun/conduit-connections-talent-expo-app): a commented-out USING written
// above the policy's own (`-- using (bucket_id = 'skill-images' and (auth.uid())::text = owner);`)
// was quoted as its condition. PostgreSQL stores the USING after the comment (pg_policies), and
// user B deletes user A's object with it (PGlite); the message now quotes that one.
test("err: a commented-out USING above the policy's own is not its condition: the message quotes the one PostgreSQL runs", async () => {
  const sql = `create policy "Users can read their own skill images." on storage.objects for select to authenticated
  using (bucket_id = 'avatars' and owner = (select auth.uid()));
create policy "Users can delete their own skill images."
  on storage.objects for delete to anon
  -- using (bucket_id = 'avatars' and (auth.uid())::text = owner::text);
  /* using (false) */
  using (bucket_id = 'avatars');
`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/20250513013355_init.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /its condition USING \(bucket_id = 'avatars'\) tests only the row/);
  assert.doesNotMatch(mine[0]!.message, /owner::text\)|false/);
  await inRollback(await getDb(), async (q) => {
    await storageWith(q, sql);
    assert.deepEqual(await q(`SELECT qual FROM pg_policies WHERE tablename = 'objects' AND cmd = 'DELETE'`), [{ qual: "(bucket_id = 'avatars'::text)" }]);
    await q('SET ROLE anon');
    assert.equal(await affected(q, `DELETE FROM storage.objects WHERE owner = '${TENANT_A}'`), 0, 'a DELETE reading a column gets the SELECT policies too: anon has none (T27)');
    assert.equal(await affected(q, `DELETE FROM storage.objects`), 3, "anon deletes every user's object of the bucket");
  });
});
