// policy-always-true on PostgreSQL (PGlite): a permissive policy whose expression is a
// tautology admits every row for its roles and command — an UPDATE with no WHERE changes other
// users' rows, an INSERT names anyone, a DELETE removes everyone's rows, and WITH CHECK (NOT
// false) lets a user hand a row to someone else. FOR ALL … USING without WITH CHECK is not a
// hole: USING is the check (T14c).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { affected, asOwner, closeAll, count, expectPgError, getDb, inRollback, type Q, tryQuery } from '../helpers/pg.js';
import { initParser, invalidFinding, lintDocExample, lintFiles, nestedParentheses, sqlOf, TENANT_A, TENANT_B, textAt } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL, STORAGE_STUB_SQL } from '../helpers/supabase.js';

const ID = 'policy-always-true';
before(initParser);
after(closeAll);

/** Runs the example's migrations as the non-superuser owner, adds one document of A and one of B, acts as A. */
async function documents(q: Q, sql: string): Promise<void> {
  await q(AUTH_STUB_SQL);
  await asOwner(q, sql);
  await q(`INSERT INTO documents VALUES (1, '${TENANT_A}', 'a'), (2, '${TENANT_B}', 'b')`);
  await q('GRANT SELECT, INSERT, UPDATE, DELETE ON documents TO authenticated');
  await q(actAs(TENANT_A));
  await q('SET ROLE authenticated');
}

async function superuserView(q: Q): Promise<Array<{ id: number; owner_id: string; body: string }>> {
  await q('RESET ROLE');
  const rows = (await q('SELECT id, owner_id, body FROM documents ORDER BY id')) as Array<{ id: number; owner_id: string; body: string }>;
  await q('SET ROLE authenticated');
  return rows;
}

test('err: FOR UPDATE USING (true): an UPDATE without WHERE changes the other user’s row too', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), '(true)');
  assert.match(finding.message, /Policy "documents_update" on public\.documents \(FOR UPDATE\) admits every row: its USING is always true/);
  assert.match(finding.message, /authenticated \(given the UPDATE privilege\), who may update any row and give it any values with a statement that reads no column/);
  assert.match(finding.message, /With no WITH CHECK, USING is also the check for new rows \(T14c\)/);
  assert.equal(finding.fixes.length, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await documents(q, sqlOf(ws));
    assert.equal(await count(q, 'documents'), 1, 'A sees only its own document');
    assert.equal(await affected(q, `UPDATE documents SET body = 'hacked'`), 2, 'but updates both');
    assert.deepEqual((await superuserView(q)).map((r) => r.body), ['hacked', 'hacked']);
  });
});

test('err: FOR INSERT WITH CHECK (1 = 1): A inserts a document owned by B; with a real condition it is refused (42501)', async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.equal(textAt(ws, finding), '(1 = 1)');
  assert.match(finding.message, /its WITH CHECK is always true.*may insert rows with any values/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await documents(q, sqlOf(ws));
    assert.equal(await affected(q, `INSERT INTO documents VALUES (3, '${TENANT_B}', 'forged')`), 1);
    assert.equal((await superuserView(q)).find((r) => r.id === 3)?.owner_id, TENANT_B);
  });
  const strict = sqlOf(ws).replace('WITH CHECK (1 = 1)', 'WITH CHECK (owner_id = (select auth.uid()))');
  assert.equal(lintFiles([{ file: 'm.sql', text: strict }], ID).mine.length, 0);
  await inRollback(db, async (q) => {
    await documents(q, strict);
    await expectPgError(q(`INSERT INTO documents VALUES (3, '${TENANT_B}', 'forged')`), '42501', 'new row violates row-level security policy');
  });
});

test('err: FOR ALL … WITH CHECK (NOT false): A inserts B’s rows and hands its own to B with an UPDATE that reads no column', async () => {
  const { ws, finding } = invalidFinding(ID, 2);
  assert.equal(textAt(ws, finding), '(NOT false)');
  assert.match(finding.message, /\(FOR ALL\) admits every row: its WITH CHECK is always true/);
  assert.match(finding.message, /with a statement that reads no column .*; one that reads columns also checks the new row against the SELECT policies/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await documents(q, sqlOf(ws));
    assert.equal(await affected(q, `INSERT INTO documents VALUES (3, '${TENANT_B}', 'forged')`), 1);
    // with a WHERE the new row is also checked against the SELECT policies (here: USING)
    const where = await tryQuery(q, `UPDATE documents SET owner_id = '${TENANT_B}' WHERE id = 1`);
    assert.equal(where.ok ? 'ok' : where.error.code, '42501');
    assert.equal(await affected(q, `UPDATE documents SET owner_id = '${TENANT_B}'`), 1);
    assert.deepEqual((await superuserView(q)).map((r) => r.owner_id), [TENANT_B, TENANT_B, TENANT_B]);
    assert.equal(await count(q, 'documents'), 0, 'and A can no longer see it');
  });
});

test('err: FOR DELETE USING (… OR true): a DELETE without WHERE removes every user’s rows (with WHERE only visible ones, T27)', async () => {
  const { ws, finding } = invalidFinding(ID, 3);
  assert.equal(textAt(ws, finding), '(owner_id = (select auth.uid()) OR true)');
  assert.match(finding.message, /may delete any row with a DELETE that reads no column/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await documents(q, sqlOf(ws));
    assert.equal(await affected(q, 'DELETE FROM documents WHERE id = 2'), 0, 'B’s row is not visible to a DELETE that reads a column');
    assert.equal(await affected(q, 'DELETE FROM documents'), 2);
    assert.equal((await superuserView(q)).length, 0);
  });
});

test('ok: FOR ALL … USING without WITH CHECK (Valid example): USING is the check, A cannot insert B’s row (T14c)', async () => {
  const valid = lintDocExample(ID, 'valid', 1);
  assert.equal(valid.mine.length, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await documents(q, sqlOf(valid.ws));
    assert.equal(await affected(q, `INSERT INTO documents VALUES (3, '${TENANT_A}', 'mine')`), 1);
    await expectPgError(q(`INSERT INTO documents VALUES (4, '${TENANT_B}', 'forged')`), '42501');
  });
});

test('ok: permissive true narrowed by a restrictive policy (Valid example): rows of other tenants stay out of reach', async () => {
  const valid = lintDocExample(ID, 'valid', 3);
  assert.equal(valid.mine.length, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await asOwner(q, sqlOf(valid.ws));
    await q(`INSERT INTO documents VALUES (1, '${TENANT_A}', 'a'), (2, '${TENANT_B}', 'b'); GRANT ALL ON documents TO authenticated`);
    await q(actAs(TENANT_A, { app_metadata: { tenant_id: TENANT_A } }));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'documents'), 1);
    assert.equal(await affected(q, `UPDATE documents SET body = 'x'`), 1);
  });
});

test('ok: not reported: SELECT USING (true), restrictive true, BYPASSRLS roles, the table owner, Supabase service_role', () => {
  const base = 'CREATE TABLE t (id int PRIMARY KEY); ALTER TABLE t ENABLE ROW LEVEL SECURITY; ALTER TABLE t FORCE ROW LEVEL SECURITY;';
  const cases = [
    `${base} CREATE POLICY p ON t FOR SELECT TO authenticated USING (true);`,
    `${base} CREATE POLICY p ON t FOR SELECT TO authenticated USING (id > 0); CREATE POLICY r ON t AS RESTRICTIVE FOR ALL TO authenticated USING (true);`,
    `CREATE ROLE etl BYPASSRLS; ${base} CREATE POLICY p ON t FOR ALL TO etl USING (true) WITH CHECK (true);`,
    `CREATE ROLE owner_role; SET ROLE owner_role; ${base} RESET ROLE; CREATE POLICY p ON t FOR INSERT TO owner_role WITH CHECK (true);`,
  ];
  for (const sql of cases) assert.equal(lintFiles([{ file: 'm.sql', text: sql }], ID).mine.length, 0, sql);
  const supa = lintFiles([{ file: 'supabase/migrations/1_t.sql', text: `${base} CREATE POLICY p ON t FOR ALL TO service_role USING (true);` }], ID);
  assert.equal(supa.mine.length, 0);
});

test('err: equivalent tautologies are recognised; non-constant expressions are not', () => {
  const base = 'CREATE TABLE t (id int PRIMARY KEY, a int); ALTER TABLE t ENABLE ROW LEVEL SECURITY; ALTER TABLE t FORCE ROW LEVEL SECURITY;';
  const yes = ["'a' = 'a'", 'true AND true', 'NOT false', "'t'::boolean", 'NULL IS NULL', '1 < 2', '(true) IS TRUE'];
  for (const e of yes) assert.equal(lintFiles([{ file: 'm.sql', text: `${base} CREATE POLICY p ON t FOR DELETE TO authenticated USING (${e});` }], ID).mine.length, 1, e);
  const no = ['a = a', 'id > 0 OR false', 'false', "1 = '1'", 'NULL', 'NOT true'];
  for (const e of no) assert.equal(lintFiles([{ file: 'm.sql', text: `${base} CREATE POLICY p ON t FOR DELETE TO authenticated USING (${e});` }], ID).mine.length, 0, e);
});

test("ok (message): where the migrations grant the role only some of the policy's commands, the message says which (maevsi's upload service policy: SELECT, UPDATE only)", () => {
  const sql = `CREATE ROLE svc;
CREATE TABLE upload (id int PRIMARY KEY, path text);
ALTER TABLE upload ENABLE ROW LEVEL SECURITY;
ALTER TABLE upload FORCE ROW LEVEL SECURITY;
GRANT SELECT, UPDATE ON TABLE upload TO svc;
CREATE POLICY upload_svc_all ON upload FOR ALL TO svc USING (true);
`;
  const { mine } = lintFiles([{ file: '1.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /These migrations grant svc only the SELECT and UPDATE privileges on public\.upload today: the rest takes a GRANT first\./);
  // granted all: no such sentence
  assert.doesNotMatch(lintFiles([{ file: '1.sql', text: sql.replace('GRANT SELECT, UPDATE', 'GRANT SELECT, INSERT, UPDATE, DELETE') }], ID).mine[0]!.message, /These migrations grant/);
});

test("ok (message): roles granted different privileges are each named with what they hold (danbiagini/parlour-room's admin_invitations_policy: parlour_admin and parlour_root granted ALL on the table, parlour_postgraphile SELECT and UPDATE; all three were said to hold only SELECT and UPDATE)", async () => {
  const sql = `CREATE ROLE adm;
CREATE ROLE svc;
CREATE TABLE invitation (id int PRIMARY KEY, email text);
GRANT SELECT, UPDATE ON invitation TO svc;
ALTER TABLE invitation ENABLE ROW LEVEL SECURITY;
CREATE POLICY admin_invitations_policy ON invitation TO adm, svc USING (true);
GRANT ALL ON ALL TABLES IN SCHEMA public TO adm;
`;
  const { mine } = lintFiles([{ file: '1.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, / These migrations grant svc only the SELECT and UPDATE privileges on public\.invitation today: the rest takes a GRANT first\. Write/);
  assert.doesNotMatch(mine[0]!.message, /grant adm/);
  await inRollback(await getDb(), async (q) => {
    await q(sql);
    const held = async (role: string) =>
      (await q(`SELECT array_agg(p ORDER BY p) AS ps FROM unnest(ARRAY['SELECT','INSERT','UPDATE','DELETE']) p WHERE has_table_privilege('${role}', 'invitation', p)`))[0]!.ps;
    assert.deepEqual(await held('adm'), ['DELETE', 'INSERT', 'SELECT', 'UPDATE']);
    assert.deepEqual(await held('svc'), ['SELECT', 'UPDATE']);
  });
});

test('ok (message): FOR ALL WITH CHECK (true) without USING, and no other policy that lets the role update: INSERT only, no row can be updated (worldweaver usage_manage)', async () => {
  const sql = `CREATE TABLE documents (id int PRIMARY KEY, owner_id uuid NOT NULL, body text);
ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
CREATE POLICY documents_read ON documents FOR SELECT TO authenticated USING (owner_id = (select auth.uid()));
CREATE POLICY documents_manage ON documents FOR ALL TO authenticated WITH CHECK (true);
`;
  const { mine } = lintFiles([{ file: 'm/1.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /\(given the INSERT privilege\), who may insert rows with any values, e\.g\. rows that name another user or tenant \(no row can be updated through it: it has no USING, and no other policy lets these roles update a row\)/);
  await inRollback(await getDb(), async (q) => {
    await documents(q, sql);
    assert.equal(await affected(q, `UPDATE documents SET owner_id = '${TENANT_B}'`), 0, 'no row to update');
    assert.equal(await affected(q, `INSERT INTO documents VALUES (3, '${TENANT_B}', 'x')`), 1, 'a row named after B');
  });
  // an UPDATE policy with USING for the role: the WITH CHECK (true) is ORed with its check
  const withUpdate = sql + "CREATE POLICY documents_update ON documents FOR UPDATE TO authenticated USING (owner_id = (select auth.uid())) WITH CHECK (owner_id = (select auth.uid()));\n";
  const other = lintFiles([{ file: 'm/1.sql', text: withUpdate }], ID).mine;
  assert.match(other[0]!.message, /and give the rows they may update any values/);
  await inRollback(await getDb(), async (q) => {
    await documents(q, withUpdate);
    assert.equal(await affected(q, `UPDATE documents SET owner_id = '${TENANT_B}'`), 1, 'A hands its row to B: the checks are ORed');
  });
});

/** Supabase's auth.role(): the role claim of the request's JWT, as PostgREST sets it. */
const AUTH_ROLE_SQL = `CREATE OR REPLACE FUNCTION auth.role() RETURNS text LANGUAGE sql STABLE AS
  $$ SELECT coalesce(nullif(current_setting('request.jwt.claim.role', true), ''), (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role'))::text $$;`;

test("err: Supabase: USING (auth.role() = 'authenticated') admits every row to every signed-in user: A updates and deletes B's client", async () => {
  const { ws, finding } = invalidFinding(ID, 4);
  assert.equal(textAt(ws, finding), "((select auth.role()) = 'authenticated')");
  assert.match(
    finding.message,
    /^Policy "clients_all" on public\.clients \(FOR ALL\) admits every row: its USING is true for every request of authenticated whatever the row, by a condition on who the request is alone .* who may read, update and delete any row \(new rows must still pass WITH CHECK\)/,
  );
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(AUTH_ROLE_SQL);
    await q(sqlOf(ws));
    await q(`INSERT INTO public.clients VALUES (1, '${TENANT_A}', 'a'), (2, '${TENANT_B}', 'b'); GRANT ALL ON public.clients TO authenticated`);
    await q(actAs(TENANT_A, { role: 'authenticated' }));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.clients'), 2, "A reads B's client");
    const kept = await tryQuery(q, `UPDATE public.clients SET name = 'mine' WHERE id = 2`);
    assert.equal(!kept.ok && kept.error.code, '42501', "B's row as it is fails WITH CHECK");
    assert.equal(await affected(q, `UPDATE public.clients SET name = 'mine', created_by = '${TENANT_A}' WHERE id = 2`), 1, 'and takes it over (the new row passes WITH CHECK)');
    assert.equal(await affected(q, `DELETE FROM public.clients WHERE id = 2`), 1, 'and deletes it');
  });
  // the same condition for anon is false: a policy for PUBLIC is reported for authenticated only
  const pub = lintFiles([{ file: 'supabase/migrations/20240101000000_clients.sql', text: sqlOf(ws).replace('FOR ALL TO authenticated', 'FOR ALL') }], ID).mine;
  assert.equal(pub.length, 1);
  assert.match(pub[0]!.message, /true for every request of authenticated whatever the row/);
  // outside a Supabase project, auth.role() is not known: not reported
  assert.equal(lintFiles([{ file: 'm.sql', text: sqlOf(ws) }], ID).mine.length, 0);
});

test("err (message): Supabase: auth.role() <> 'anon' and auth.jwt() ->> 'role' = 'authenticated' are true for every request of authenticated; service_role's and anon's auth.uid() IS NOT NULL are not reported", () => {
  const sql = `CREATE TABLE public.jobs (id bigint PRIMARY KEY, owner_id uuid NOT NULL, payload text NOT NULL);
CREATE INDEX ON public.jobs (owner_id);
ALTER TABLE public.jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.jobs FORCE ROW LEVEL SECURITY;
CREATE POLICY j_read ON public.jobs FOR SELECT TO authenticated USING (owner_id = (select auth.uid()));
CREATE POLICY j_svc ON public.jobs FOR UPDATE TO authenticated, service_role USING ((select auth.role()) = 'service_role');
CREATE POLICY j_jwt ON public.jobs FOR DELETE TO authenticated USING ((select auth.jwt()) ->> 'role' = 'authenticated');
CREATE POLICY j_notanon ON public.jobs FOR INSERT TO authenticated WITH CHECK ((select auth.role()) <> 'anon');
CREATE POLICY j_anon ON public.jobs FOR DELETE TO anon USING ((select auth.uid()) IS NOT NULL);`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_jobs.sql', text: sql }], ID);
  assert.deepEqual(mine.map((f) => /Policy "(\w+)"/.exec(f.message)![1]).sort(), ['j_jwt', 'j_notanon']);
});

test("err (message): FOR ALL USING (true) WITH CHECK (false) (postgrest-sqitch-example's web_anon): the role reads and deletes any row, but no update or insert passes the check (42501)", async () => {
  const text = `CREATE TABLE todos (id int PRIMARY KEY, task text NOT NULL);
ALTER TABLE todos ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON todos TO admin_role;
CREATE POLICY todos_anon ON todos FOR ALL TO admin_role USING (true) WITH CHECK (false);
`;
  const { ws, mine } = lintFiles([{ file: 'm.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /may read and delete any row \(its WITH CHECK \(false\) refuses every new row: nothing is inserted or updated through it\)/);
  assert.doesNotMatch(mine[0]!.message, /update any row/);
  await inRollback(await getDb(), async (q) => {
    await q(sqlOf(ws));
    await q(`INSERT INTO todos VALUES (1, 'a'), (2, 'b')`);
    await q('SET ROLE admin_role');
    assert.equal((await q('SELECT count(*)::int AS n FROM todos'))[0]!.n, 2);
    const update = await tryQuery(q, 'UPDATE todos SET task = task');
    assert.equal(update.ok ? 'ok' : `${update.error.code} ${update.error.message}`, '42501 new row violates row-level security policy for table "todos"');
    assert.equal((await q('DELETE FROM todos WHERE id = 1 RETURNING id')).length, 1);
  });
});

test("err: a policy calling a helper whose body only returns true (soil-sidekick's is_service_role(): \"for now, it returns true\") admits every row: anon reads, updates and deletes them", async () => {
  const helper = (body: string, lang = 'plpgsql') => `CREATE FUNCTION public.is_service_role() RETURNS boolean LANGUAGE ${lang} SECURITY DEFINER STABLE SET search_path = ''
AS $$
${body}
$$;
CREATE TABLE public.security_incidents (id int PRIMARY KEY, detail text);
ALTER TABLE public.security_incidents ENABLE ROW LEVEL SECURITY;
CREATE POLICY incidents_service ON public.security_incidents FOR ALL USING (public.is_service_role());
`;
  const sql = helper('BEGIN\n  -- For now, it returns true for service operations\n  RETURN true;\nEND;');
  const { mine } = lintFiles([{ file: 'supabase/migrations/1_init.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /its USING is always true \(it calls public\.is_service_role\(\), whose body returns true whatever the call\), so every row passes it for every role \(PUBLIC\)/);
  // also a plain PostgreSQL project, and a SQL body; not a helper that asks anything, or may raise first
  assert.equal(lintFiles([{ file: 'db/1.sql', text: helper('SELECT true', 'sql') }], ID).mine.length, 1);
  for (const body of ["BEGIN RETURN auth.role() = 'service_role'; END;", "BEGIN RAISE EXCEPTION 'not yet'; RETURN true; END;", 'BEGIN IF false THEN RETURN false; END IF; RETURN true; END;'])
    assert.equal(lintFiles([{ file: 'supabase/migrations/1_init.sql', text: helper(body) }], ID).mine.length, 0, body);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await asOwner(q, sql);
    await q("INSERT INTO public.security_incidents VALUES (1, 'a'), (2, 'b'); GRANT ALL ON public.security_incidents TO anon; SET ROLE anon");
    assert.equal(await count(q, 'public.security_incidents'), 2);
    assert.equal(await affected(q, "UPDATE public.security_incidents SET detail = 'wiped'"), 2);
    assert.equal(await affected(q, 'DELETE FROM public.security_incidents'), 2);
  });
});

test("err: Supabase Storage: UPDATE and DELETE policies on storage.objects asking only the bucket (and auth.role()) let user B overwrite and delete user A's files (cocktailsop); one asking the path or owner, or an INSERT (an upload takes no one's object), is not reported", async () => {
  const policies = `CREATE POLICY "Public can view avatars" ON storage.objects FOR SELECT USING (bucket_id = 'avatars');
CREATE POLICY "Users can read purchase order files" ON storage.objects FOR SELECT
  USING (bucket_id = 'purchase-orders' AND auth.role() = 'authenticated');
CREATE POLICY "Users can update avatars" ON storage.objects FOR UPDATE TO authenticated
  USING (bucket_id = 'avatars') WITH CHECK (bucket_id = 'avatars');
CREATE POLICY "Users can delete purchase order files" ON storage.objects FOR DELETE
  USING (bucket_id = 'purchase-orders' AND auth.role() = 'authenticated');
CREATE POLICY "Own avatar" ON storage.objects FOR DELETE TO authenticated
  USING (bucket_id = 'avatars' AND (storage.foldername(name))[1] = (select auth.uid()::text));
CREATE POLICY "Own files" ON storage.objects FOR UPDATE TO authenticated
  USING (bucket_id IN ('docs', 'photos') AND owner = (select auth.uid()));
CREATE POLICY "Uploads" ON storage.objects FOR INSERT TO authenticated WITH CHECK (bucket_id = 'avatars');
`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/20250101000000_storage.sql', text: policies }], ID);
  assert.deepEqual(
    mine.map((f) => /^Policy "([^"]+)" on storage\.objects \((FOR \w+)\) admits every object of bucket '([\w-]+)' to every signed-in user/.exec(f.message)?.slice(1)),
    [
      ['Users can update avatars', 'FOR UPDATE', 'avatars'],
      ['Users can delete purchase order files', 'FOR DELETE', 'purchase-orders'],
    ],
  );
  // (its USING is the check of the new row too: it may get any values but another bucket_id — gasmask-nexus)
  assert.match(mine[0]!.message, /who may update any object of the bucket 'avatars', other users' included, and give it any values but another bucket_id/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(AUTH_ROLE_SQL);
    await q(`CREATE SCHEMA storage;
CREATE TABLE storage.objects (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), bucket_id text, name text, owner uuid, metadata jsonb);
CREATE FUNCTION storage.foldername(name text) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$ SELECT (string_to_array(name, '/'))[1:array_length(string_to_array(name, '/'), 1) - 1] $$;
ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY;
GRANT USAGE ON SCHEMA storage TO authenticated;
GRANT SELECT, UPDATE, DELETE ON storage.objects TO authenticated;
INSERT INTO storage.objects (bucket_id, name, owner) VALUES ('avatars', '${TENANT_A}/me.png', '${TENANT_A}'), ('purchase-orders', '${TENANT_A}/po1.pdf', '${TENANT_A}');`);
    await q(policies);
    await q(actAs(TENANT_B, { role: 'authenticated' }));
    await q('SET ROLE authenticated');
    assert.equal(await affected(q, `UPDATE storage.objects SET metadata = '{"hijacked": true}', owner = '${TENANT_B}' WHERE bucket_id = 'avatars'`), 1, "B takes over A's avatar");
    assert.equal(await affected(q, `DELETE FROM storage.objects WHERE bucket_id = 'purchase-orders'`), 1, "B deletes A's purchase order");
    // … but cannot move the avatar to another bucket: USING checks the new row
    await expectPgError(q(`UPDATE storage.objects SET bucket_id = 'public' WHERE bucket_id = 'avatars'`), '42501', 'new row violates row-level security policy');
  });
  // not on Supabase, or on another table: not this rule's bucket case
  assert.equal(lintFiles([{ file: 'supabase/migrations/1_x.sql', text: 'CREATE TABLE public.files (id int, bucket_id text);\nALTER TABLE public.files ENABLE ROW LEVEL SECURITY;\nCREATE POLICY f ON public.files FOR DELETE TO authenticated USING (bucket_id = \'a\');\n' }], ID).mine.length, 0);
});

test("err (message): a storage policy for PUBLIC asking only the bucket (b2b-materialidad-v2's \"Public Delete Invoices\") says anon passes it too; one asking auth.role() or TO authenticated does not; PGlite: anon deletes the object", async () => {
  const text = (using: string, to = '') => `CREATE POLICY "Public Delete Invoices" ON storage.objects FOR DELETE${to} USING (${using});\n`;
  const lint = (sql: string) => lintFiles([{ file: 'supabase/migrations/20250101000000_storage.sql', text: sql }], ID).mine;
  const [open] = lint(text("bucket_id = 'invoices'"));
  assert.match(open!.message, /admits every object of bucket 'invoices' to every signed-in user.* Nor does it ask for a signed-in user: anon, the role of requests without one, passes it too\./);
  for (const sql of [text("bucket_id = 'invoices' AND auth.role() = 'authenticated'"), text("bucket_id = 'invoices'", ' TO authenticated')]) {
    const [f] = lint(sql);
    assert.match(f!.message, /admits every object of bucket 'invoices'/, sql);
    assert.doesNotMatch(f!.message, /anon, the role of requests without one/, sql);
  }
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(`CREATE SCHEMA storage;
CREATE TABLE storage.objects (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), bucket_id text, name text, owner uuid);
ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY;
GRANT USAGE ON SCHEMA storage TO anon;
GRANT SELECT, DELETE ON storage.objects TO anon;
INSERT INTO storage.objects (bucket_id, name, owner) VALUES ('invoices', '${TENANT_A}/inv1.pdf', '${TENANT_A}');`);
    await q(text("bucket_id = 'invoices'"));
    // (a DELETE that filters reads the rows first: a SELECT policy admitting them, as the bucket's public read does)
    await q(`CREATE POLICY "Public Read Invoices" ON storage.objects FOR SELECT USING (bucket_id = 'invoices')`);
    await q('SET ROLE anon');
    assert.equal(await affected(q, `DELETE FROM storage.objects WHERE bucket_id = 'invoices'`), 1, "anon deletes A's invoice");
  });
});

test("err: Supabase Storage: a FOR ALL policy asking only the bucket and auth.role() (synapse's git-state) says objects, with one comma: B reads, updates and deletes A's object, inserts one, and cannot move one to another bucket", async () => {
  const policies = `CREATE POLICY "Authenticated users can access git state"
  ON storage.objects
  FOR ALL
  USING (bucket_id = 'git-state' AND auth.role() = 'authenticated')
  WITH CHECK (bucket_id = 'git-state' AND auth.role() = 'authenticated');
`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/20250101000000_storage.sql', text: policies }], ID);
  assert.equal(mine.length, 1);
  const m = mine[0]!.message;
  assert.match(m, /^Policy "Authenticated users can access git state" on storage\.objects \(FOR ALL\) admits every object of bucket 'git-state' to every signed-in user/);
  assert.match(m, /who may read, update and delete any object of the bucket 'git-state', other users' included, and insert or update objects with any values but another bucket_id\./);
  assert.doesNotMatch(m, /,,|rows with any values/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(AUTH_ROLE_SQL);
    await q(`CREATE SCHEMA storage;
CREATE TABLE storage.objects (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), bucket_id text, name text, owner uuid, metadata jsonb);
ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY;
GRANT USAGE ON SCHEMA storage TO authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE ON storage.objects TO authenticated;
INSERT INTO storage.objects (bucket_id, name, owner) VALUES ('git-state', '${TENANT_A}/HEAD', '${TENANT_A}'), ('git-state', '${TENANT_A}/ORIG_HEAD', '${TENANT_A}');`);
    await q(policies);
    await q(actAs(TENANT_B, { role: 'authenticated' }));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'storage.objects'), 2, "B reads A's objects");
    assert.equal(await affected(q, `UPDATE storage.objects SET metadata = '{"hijacked": true}', owner = '${TENANT_B}' WHERE name = '${TENANT_A}/HEAD'`), 1, "B overwrites A's object");
    assert.equal(await affected(q, `DELETE FROM storage.objects WHERE name = '${TENANT_A}/ORIG_HEAD'`), 1, "B deletes A's object");
    assert.equal(await affected(q, `INSERT INTO storage.objects (bucket_id, name, owner) VALUES ('git-state', '${TENANT_A}/planted', '${TENANT_A}')`), 1, "B writes into A's folder in A's name");
    await expectPgError(q(`UPDATE storage.objects SET bucket_id = 'public' WHERE name = '${TENANT_A}/HEAD'`), '42501', 'new row violates row-level security policy');
  });
});

test("err: Supabase Storage: an UPDATE policy whose USING asks the owner but whose WITH CHECK asks only the bucket (snapconnect) is said to let a user give its own objects any owner and path in the bucket, not to admit every object: B updates none of A's, A hands its avatar to B and moves it into B's folder", async () => {
  const policies = `CREATE POLICY "Avatars are publicly viewable" ON storage.objects FOR SELECT USING (bucket_id = 'avatars');
CREATE POLICY "Users can update their own avatars" ON storage.objects
FOR UPDATE USING ((SELECT auth.uid()) = owner)
WITH CHECK (
  bucket_id = 'avatars'
);
`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/0001_setup_storage.sql', text: policies }], ID);
  assert.equal(mine.length, 1);
  const m = mine[0]!.message;
  assert.equal(textAt(ws, mine[0]!).replace(/\s+/g, ' '), "( bucket_id = 'avatars' )");
  assert.match(m, /^Policy "Users can update their own avatars" on storage\.objects \(FOR UPDATE\) lets every signed-in user give the objects they may update \(its USING decides which\) any owner and any path in bucket 'avatars': its WITH CHECK is a condition on the bucket/);
  assert.doesNotMatch(m, /admits every object|every object there passes|other users' included/);
  assert.match(m, /who may give the objects they may update any values but another bucket_id, e\.g\. set their owner to another user or move them into another user's folder/);
  assert.match(m, /ask the new row what its USING asks of the old one, e\.g\. `WITH CHECK \(bucket_id = 'avatars' AND \(SELECT auth\.uid\(\)\) = owner\)`\.$/);
  assert.equal(nestedParentheses(m), undefined);
  // (a USING that is an OR is ANDed in parentheses: `a AND b OR c` would leave c's rows free)
  const or = lintFiles([{ file: 'supabase/migrations/0001_setup_storage.sql', text: policies.replace('USING ((SELECT auth.uid()) = owner)', 'USING ((SELECT auth.uid()) = owner OR public.is_admin())') }], ID).mine;
  assert.match(or[0]!.message, /e\.g\. `WITH CHECK \(bucket_id = 'avatars' AND \(\(SELECT auth\.uid\(\)\) = owner OR public\.is_admin\(\)\)\)`\.$/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(STORAGE_STUB_SQL);
    await q(`GRANT UPDATE ON storage.objects TO authenticated;
INSERT INTO storage.buckets (id, name, public) VALUES ('avatars', 'avatars', true), ('photos', 'photos', true);
INSERT INTO storage.objects (bucket_id, name, owner) VALUES ('avatars', '${TENANT_A}/me.png', '${TENANT_A}');`);
    await q(policies);
    await q('SET ROLE authenticated');
    // B cannot update A's object: USING asks the owner
    await q(actAs(TENANT_B));
    assert.equal(await affected(q, `UPDATE storage.objects SET owner = '${TENANT_B}'`), 0, "B updates none of A's objects");
    // A can give its own object to B and move it into B's folder: the WITH CHECK asks only the bucket
    await q(actAs(TENANT_A));
    assert.equal(await affected(q, `UPDATE storage.objects SET owner = '${TENANT_B}', name = '${TENANT_B}/avatar.png' WHERE name = '${TENANT_A}/me.png'`), 1, 'A re-owns and moves its avatar');
    await q('RESET ROLE');
    assert.deepEqual(await q('SELECT bucket_id, name, owner FROM storage.objects'), [{ bucket_id: 'avatars', name: `${TENANT_B}/avatar.png`, owner: TENANT_B }]);
    // … but not out of the bucket
    await q(`UPDATE storage.objects SET owner = '${TENANT_A}', name = '${TENANT_A}/me.png'`);
    await q('SET ROLE authenticated');
    await q(actAs(TENANT_A));
    await expectPgError(q(`UPDATE storage.objects SET bucket_id = 'photos'`), '42501', 'new row violates row-level security policy');
  });
});

test("err: Supabase: a helper whose body only returns auth.uid() IS NOT NULL (garden's is_authenticated()) as the whole WITH CHECK: B adds itself to A's conversation and reads A's message", async () => {
  const sql = `CREATE FUNCTION public.is_authenticated() RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT auth.uid() IS NOT NULL $$;
CREATE TABLE public.chat_messages (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, conversation_id uuid NOT NULL, body text);
CREATE INDEX ON public.chat_messages (conversation_id);
CREATE TABLE public.chat_participants (conversation_id uuid NOT NULL, user_id uuid NOT NULL, role text NOT NULL DEFAULT 'member', PRIMARY KEY (conversation_id, user_id));
CREATE INDEX ON public.chat_participants (user_id);
ALTER TABLE public.chat_participants ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.chat_messages ENABLE ROW LEVEL SECURITY;
CREATE POLICY participants_read ON public.chat_participants FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE POLICY participants_add ON public.chat_participants FOR INSERT TO authenticated WITH CHECK (public.is_authenticated());
CREATE POLICY messages_read ON public.chat_messages FOR SELECT TO authenticated
  USING (conversation_id IN (SELECT conversation_id FROM public.chat_participants WHERE user_id = (select auth.uid())));
`;
  const file = 'supabase/migrations/20260211020353_chat.sql';
  const { mine } = lintFiles([{ file, text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^Policy "participants_add" on public\.chat_participants \(FOR INSERT\) admits every row: its WITH CHECK is true for every request of authenticated whatever the row/);
  // a helper that asks more, or takes arguments, is not taken for it
  for (const body of ['SELECT auth.uid() IS NOT NULL AND EXISTS (SELECT 1 FROM public.chat_messages)', 'SELECT auth.uid() = auth.uid() AND false'])
    assert.equal(lintFiles([{ file, text: sql.replace('SELECT auth.uid() IS NOT NULL', body) }], ID).mine.length, 0, body);
  const conv = '00000000-0000-0000-0000-00000000c0c0';
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql);
    await q(`GRANT SELECT, INSERT ON public.chat_participants, public.chat_messages TO authenticated;
INSERT INTO public.chat_participants VALUES ('${conv}', '${TENANT_A}', 'admin');
INSERT INTO public.chat_messages (conversation_id, body) VALUES ('${conv}', 'private message of A');`);
    await q(actAs(TENANT_B));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.chat_messages'), 0, 'B sees nothing');
    await q(`INSERT INTO public.chat_participants VALUES ('${conv}', '${TENANT_B}', 'admin')`);
    assert.deepEqual(await q('SELECT body FROM public.chat_messages'), [{ body: 'private message of A' }], "B reads A's message");
  });
});

// Calibration cal32 (versale-react's purchases: CASE WHEN auth.uid() = seller_id THEN true ELSE true END)
test("err: a CASE whose every branch is true is always true: user B takes user A's item (PGlite); policy-context-fails-open leaves it to this rule", async () => {
  const sql = `CREATE TABLE public.items (id int PRIMARY KEY, seller_id uuid NOT NULL, price numeric NOT NULL);
ALTER TABLE public.items ENABLE ROW LEVEL SECURITY;
CREATE POLICY items_read ON public.items FOR SELECT TO authenticated, anon USING (true);
CREATE POLICY items_own ON public.items FOR UPDATE TO authenticated
  USING (CASE WHEN auth.uid() = seller_id THEN true ELSE true END)
  WITH CHECK (CASE WHEN auth.uid() = seller_id THEN true ELSE true END);
GRANT SELECT, UPDATE ON public.items TO anon, authenticated;
`;
  const { findings, mine } = lintFiles([{ file: 'supabase/migrations/20250125174900_items.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /admits every row: its USING and WITH CHECK are always true/);
  assert.deepEqual(findings.filter((f) => f.rule === 'policy-context-fails-open'), []);
  // (a CASE with a branch that is not true, or without ELSE, is not)
  assert.deepEqual(lintFiles([{ file: 'supabase/migrations/20250125174900_items.sql', text: sql.replaceAll('ELSE true END', 'ELSE false END') }], ID).mine, []);
  assert.deepEqual(lintFiles([{ file: 'supabase/migrations/20250125174900_items.sql', text: sql.replaceAll(' ELSE true END', ' END') }], ID).mine, []);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql);
    await q(`INSERT INTO public.items VALUES (1, '${TENANT_A}', 100)`);
    await q(`${actAs(TENANT_B)} SET ROLE authenticated`);
    assert.deepEqual(await q(`UPDATE public.items SET price = 0, seller_id = '${TENANT_B}' WHERE id = 1 RETURNING price::int, seller_id`), [{ price: 0, seller_id: TENANT_B }]);
  });
});

// Calibration (fg-core's control_plane_command_receipts): on an append-only table, whose BEFORE
// UPDATE and BEFORE DELETE triggers raise first thing, USING (true) FOR ALL lets its roles read
// every row and insert any, but not update or delete one: the message leaves those verbs out and
// names the triggers (it said "may read, update and delete any row"); policy-context-fails-open
// does the same. A trigger with a WHEN, or a function that raises only under a condition, still
// lets some rows be updated: the verbs stay.
test('err (message): an append-only table (triggers raising on UPDATE and DELETE): "may read any row, and insert rows with any values (UPDATE fails: trigger … raises an exception; DELETE fails: …)"; PGlite: read and insert pass, UPDATE and DELETE fail (P0001)', async () => {
  const table = `CREATE FUNCTION append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- receipts are never changed
  RAISE EXCEPTION 'append-only';
END; $$;
CREATE TABLE receipts (id int PRIMARY KEY, tenant_id text NOT NULL, ok boolean);
CREATE TRIGGER receipts_no_update BEFORE UPDATE ON receipts FOR EACH ROW EXECUTE FUNCTION append_only();
CREATE TRIGGER receipts_no_delete BEFORE DELETE ON receipts FOR EACH ROW EXECUTE FUNCTION append_only();
ALTER TABLE receipts ENABLE ROW LEVEL SECURITY;
ALTER TABLE receipts FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON receipts TO authenticated;
`;
  const sql = `${table}CREATE POLICY receipts_all ON receipts TO authenticated USING (true);\n`;
  const [f, ...rest] = lintFiles([{ file: 'db/1.sql', text: sql }], ID).mine;
  assert.equal(rest.length, 0);
  assert.match(f!.message, /who may read any row, and insert rows with any values \(UPDATE fails: trigger receipts_no_update raises an exception; DELETE fails: trigger receipts_no_delete raises an exception, whatever the policies say\)/);
  assert.match(f!.message, /given the SELECT and INSERT privileges/);
  const open = `${table}CREATE POLICY receipts_tenant ON receipts TO authenticated USING (current_setting('app.tenant_id', true) IS NULL OR tenant_id = current_setting('app.tenant_id', true));\n`;
  const [g] = lintFiles([{ file: 'db/1.sql', text: open }], 'policy-context-fails-open').mine;
  assert.match(g!.message, /So authenticated may read every row, and insert rows with any values/);
  assert.doesNotMatch(g!.message, /update|delete/i);
  // a trigger with a WHEN, or a function raising only under a condition: some rows may still be updated
  const when = sql.replace('BEFORE UPDATE ON receipts FOR EACH ROW', 'BEFORE UPDATE ON receipts FOR EACH ROW WHEN (OLD.ok)');
  assert.match(lintFiles([{ file: 'db/1.sql', text: when }], ID).mine[0]!.message, /may read and update any row, and insert or update rows with any values \(DELETE fails/);
  const conditional = sql.replace("  RAISE EXCEPTION 'append-only';", "  IF OLD.ok THEN RAISE EXCEPTION 'append-only'; END IF;\n  RETURN NEW;");
  assert.match(lintFiles([{ file: 'db/1.sql', text: conditional }], ID).mine[0]!.message, /may read, update and delete any row, and insert or update rows with any values/);
  // FOR UPDATE alone: every statement it admits fails — nothing to report
  assert.deepEqual(lintFiles([{ file: 'db/1.sql', text: `${table}CREATE POLICY receipts_update ON receipts FOR UPDATE TO authenticated USING (true);\n` }], ID).mine, []);
  for (const write of ['UPDATE receipts SET ok = false', 'DELETE FROM receipts']) {
    await inRollback(await getDb(), async (q) => {
      await asOwner(q, sql);
      await q(`INSERT INTO receipts VALUES (1, 'acme', true)`);
      await q('SET ROLE authenticated');
      await q(`INSERT INTO receipts VALUES (2, 'globex', true)`);
      assert.equal(await count(q, 'receipts'), 2);
      await expectPgError(q(write), 'P0001', 'append-only');
    });
  }
});

// Calibration (sheenapps): a CI baseline beside the Supabase migrations stubs the platform's roles
// in a DO block, `IF NOT EXISTS (… pg_roles …) THEN CREATE ROLE service_role`. On Supabase the role
// exists, so that CREATE ROLE never runs and service_role keeps BYPASSRLS: its USING (true) policy
// admits nothing it did not already read (was: 26 findings "every row passes it for service_role").
test('ok: a policy for service_role, whose CREATE ROLE in a CI stub sits behind IF NOT EXISTS: the role keeps BYPASSRLS (PGlite: the guarded CREATE ROLE leaves it so), not reported', async () => {
  const stub = `DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN CREATE ROLE service_role; END IF;
END $$;
`;
  const app = `CREATE TABLE public.feedback (id bigint PRIMARY KEY, body text);
ALTER TABLE public.feedback ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Service role all" ON public.feedback FOR ALL TO service_role USING (true) WITH CHECK (true);
`;
  const { mine } = lintFiles(
    [
      { file: 'apps/web/supabase/migrations/20260101000000_feedback.sql', text: app },
      { file: 'apps/worker/migrations/000_ci_baseline.sql', text: stub },
    ],
    ID,
  );
  assert.deepEqual(mine, []);
  await inRollback(await getDb(), async (q) => {
    await q(stub);
    const rows = (await q(`SELECT rolbypassrls FROM pg_roles WHERE rolname = 'service_role'`)) as Array<{ rolbypassrls: boolean }>;
    assert.equal(rows[0]!.rolbypassrls, true);
  });
});

test("err: Supabase: the literal cast as pg_dump and supabase db diff write it, auth.role() = 'authenticated'::text (victoria-aquaculture's pesapal_transactions), is the same condition: A's UPDATE with no WHERE moves B's payment to A's order; bucket_id = 'avatars'::text is the bucket", async () => {
  const sql = `CREATE TABLE public.orders (id uuid PRIMARY KEY, user_id uuid NOT NULL);
CREATE INDEX ON public.orders (user_id);
ALTER TABLE public.orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY orders_own ON public.orders FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE TABLE public.payments (id uuid PRIMARY KEY, order_id uuid NOT NULL REFERENCES public.orders(id), status text NOT NULL);
CREATE INDEX ON public.payments (order_id);
ALTER TABLE public.payments ENABLE ROW LEVEL SECURITY;
CREATE POLICY payments_select ON public.payments FOR SELECT TO authenticated
  USING (order_id IN (SELECT id FROM public.orders WHERE user_id = (select auth.uid())));
CREATE POLICY payments_update ON public.payments FOR UPDATE TO authenticated
  USING ((select auth.role()) = 'authenticated'::text)
  WITH CHECK (order_id IN (SELECT id FROM public.orders WHERE user_id = (select auth.uid())));`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_payments.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^Policy "payments_update" on public\.payments \(FOR UPDATE\) admits every row: its USING is true for every request of authenticated whatever the row/);
  const orderA = '00000000-0000-0000-0000-0000000000a1';
  const orderB = '00000000-0000-0000-0000-0000000000b1';
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(AUTH_ROLE_SQL);
    await q(sqlOf(ws));
    await q(`INSERT INTO public.orders VALUES ('${orderA}', '${TENANT_A}'), ('${orderB}', '${TENANT_B}');
      INSERT INTO public.payments VALUES (gen_random_uuid(), '${orderB}', 'COMPLETED');
      GRANT SELECT, UPDATE ON public.orders, public.payments TO authenticated`);
    await q(actAs(TENANT_A, { role: 'authenticated' }));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.payments'), 0, "A reads no payment of B's");
    // (an UPDATE reading no column: the SELECT policies are not applied to it)
    assert.equal(await affected(q, `UPDATE public.payments SET order_id = '${orderA}'`), 1, "A's UPDATE moves B's payment to A's order");
    assert.equal(await count(q, 'public.payments'), 1, 'which A now reads as theirs');
  });
  const storage = `CREATE POLICY avatars_update ON storage.objects FOR UPDATE TO authenticated USING (bucket_id = 'avatars'::text);`;
  assert.equal(lintFiles([{ file: 'supabase/migrations/20240101000000_avatars.sql', text: storage }], ID).mine.length, 1);
});

test("ok (message): on a table with no column naming a user or group (open-bsp-api's organizations, a tenant itself) the message gives no example of another user's or tenant's rows", () => {
  const sql = `CREATE TABLE organizations (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text NOT NULL);
ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE organizations FORCE ROW LEVEL SECURITY;
GRANT INSERT ON organizations TO authenticated;
CREATE POLICY orgs_create ON organizations FOR INSERT TO authenticated WITH CHECK (true);`;
  const { mine } = lintFiles([{ file: 'm.sql', text: sql }], 'policy-always-true');
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /may insert rows with any values/);
  assert.doesNotMatch(mine[0]!.message, /another user or tenant/);
  // (with an owner column, the example stays)
  const owned = sql.replace('name text NOT NULL', 'name text NOT NULL, owner_id uuid');
  assert.match(lintFiles([{ file: 'm.sql', text: owned }], 'policy-always-true').mine[0]!.message, /e\.g\. rows that name another user or tenant/);
});

test("err: WITH CHECK (true) where the role may write only some columns (beach-volley-app's match: GRANT INSERT (location), host_id defaulting to the caller): the message says so and names no other user's row; PGlite refuses the other columns (42501)", async () => {
  const schema = `CREATE TABLE public.matches (id serial PRIMARY KEY, host_id text NOT NULL DEFAULT current_setting('app.user_id', true), location text, status text NOT NULL DEFAULT 'open');
ALTER TABLE public.matches ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.matches FORCE ROW LEVEL SECURITY;
GRANT USAGE ON SEQUENCE public.matches_id_seq TO authenticated;
CREATE POLICY matches_read ON public.matches FOR SELECT TO authenticated USING (true);
CREATE POLICY matches_insert ON public.matches FOR INSERT TO authenticated WITH CHECK (true);
CREATE POLICY matches_update ON public.matches FOR UPDATE TO authenticated USING (host_id = current_setting('app.user_id', true)) WITH CHECK (true);
`;
  const text = `${schema}GRANT SELECT, INSERT (location), UPDATE (location, status) ON public.matches TO authenticated;\n`;
  const { mine } = lintFiles([{ file: 'db/1_matches.sql', text }], ID);
  assert.equal(mine.length, 2);
  for (const f of mine) assert.doesNotMatch(f.message, /another user or tenant/);
  assert.match(mine[0]!.message, /who may insert rows with any values\. These migrations grant authenticated INSERT on public\.matches only on the column location: every other column of a row they insert takes its default \(naming another is refused, 42501\)/);
  assert.match(mine[1]!.message, /These migrations grant authenticated UPDATE on public\.matches only on the columns location, status: an UPDATE leaves every other column as it is/);
  // (granted on the whole table: any host_id, as the message said before)
  const whole = lintFiles([{ file: 'db/1_matches.sql', text: `${schema}GRANT SELECT, INSERT, UPDATE ON public.matches TO authenticated;\n` }], ID).mine;
  assert.equal(whole.length, 2);
  assert.match(whole[0]!.message, /rows that name another user or tenant/);
  assert.doesNotMatch(whole[0]!.message, /only on the column/);
  await inRollback(await getDb(), async (q) => {
    await asOwner(q, text);
    await q(`SELECT set_config('app.user_id', 'alice', true)`);
    await q('SET ROLE authenticated');
    assert.deepEqual(await q(`INSERT INTO public.matches (location) VALUES ('beach') RETURNING host_id`), [{ host_id: 'alice' }], 'host_id takes its default');
    for (const sql of [`INSERT INTO public.matches (location, host_id) VALUES ('beach', 'bob')`, `UPDATE public.matches SET host_id = 'bob'`]) {
      const r = await tryQuery(q, sql);
      assert.equal(r.ok ? 'ok' : `${r.error.code} ${r.error.message}`, '42501 permission denied for table matches');
    }
    assert.equal(await affected(q, `UPDATE public.matches SET status = 'closed'`), 1, 'the granted columns take any value');
  });
});

// Calibration cal95 (nabostylisten): Realtime Authorization's INSERT policy WITH CHECK (true) on
// realtime.messages lets every signed-in user send to every channel. The advice named an owner
// column realtime.messages does not have; it now names the channel, realtime.topic(). PGlite
// (realtime.messages and realtime.topic() stubbed as Supabase defines them: the topic from the
// request's setting): the advised check admits the user's own room only.
test('err (advice): an always-true INSERT policy on Supabase Realtime\'s realtime.messages is advised a check of realtime.topic(), not an owner column; PGlite: the advised policy admits the own room only', async () => {
  const policy = `CREATE POLICY "send anywhere" ON realtime.messages FOR INSERT TO authenticated WITH CHECK (true);\n`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/20250101000000_rt.sql', text: policy }], 'policy-always-true');
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /e\.g\. on the channel the request joins: \(select realtime\.topic\(\)\) = 'room:' \|\| \(select auth\.uid\(\)\)::text/);
  assert.doesNotMatch(mine[0]!.message, /owner_id/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(`CREATE SCHEMA IF NOT EXISTS realtime;
      CREATE TABLE realtime.messages (id bigserial PRIMARY KEY, topic text NOT NULL, extension text NOT NULL DEFAULT 'broadcast', payload jsonb);
      CREATE FUNCTION realtime.topic() RETURNS text LANGUAGE sql STABLE AS $$ SELECT nullif(current_setting('realtime.topic', true), '')::text $$;
      ALTER TABLE realtime.messages ENABLE ROW LEVEL SECURITY;
      GRANT USAGE ON SCHEMA realtime TO authenticated; GRANT INSERT ON realtime.messages TO authenticated; GRANT USAGE ON SEQUENCE realtime.messages_id_seq TO authenticated;
      CREATE POLICY own_room ON realtime.messages FOR INSERT TO authenticated WITH CHECK ((select realtime.topic()) = 'room:' || (select auth.uid())::text)`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    await q(`SELECT set_config('realtime.topic', 'room:${TENANT_A}', true)`);
    assert.ok((await tryQuery(q, `INSERT INTO realtime.messages (topic) VALUES ('room:${TENANT_A}')`)).ok, 'the own room');
    await q(`SELECT set_config('realtime.topic', 'room:${TENANT_B}', true)`);
    const other = await tryQuery(q, `INSERT INTO realtime.messages (topic) VALUES ('room:${TENANT_B}')`);
    assert.equal(other.ok ? '' : other.error.code, '42501', "another user's room is refused");
  });
});

test("ok: on Supabase, a policy TO supabase_storage_admin on storage.buckets WITH CHECK (true) (emahosa/afrolove's \"Allow bucket creation for storage admin\") is not reported: that role owns Supabase's storage tables, which do not force row-level security, so no policy applies to it; PGlite: as the table's owner it inserts any bucket with the policy, and with a WITH CHECK (false) one instead", async () => {
  const files = [
    { file: 'supabase/migrations/20250828084500_add_rls_policy_for_bucket_creation.sql', text: 'CREATE POLICY "Allow bucket creation for storage admin" ON storage.buckets FOR INSERT TO supabase_storage_admin WITH CHECK (true);\n' },
  ];
  assert.deepEqual(lintFiles(files, ID).mine, []);
  // (the same policy for authenticated still is)
  const api = [{ file: files[0]!.file, text: files[0]!.text.replace('TO supabase_storage_admin', 'TO authenticated') }];
  assert.equal(lintFiles(api, ID).mine.length, 1);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(STORAGE_STUB_SQL);
    await q('CREATE ROLE supabase_storage_admin NOLOGIN NOBYPASSRLS; ALTER TABLE storage.buckets OWNER TO supabase_storage_admin; GRANT USAGE ON SCHEMA storage TO supabase_storage_admin');
    const inserts = async (policy: string): Promise<number> => {
      await q('SAVEPOINT p');
      await q(policy);
      await q('SET ROLE supabase_storage_admin');
      const n = await affected(q, "INSERT INTO storage.buckets (id, name, public) VALUES ('any', 'any', true)");
      await q('RESET ROLE');
      await q('ROLLBACK TO SAVEPOINT p');
      return n;
    };
    assert.equal(await inserts(files[0]!.text), 1);
    assert.equal(await inserts(files[0]!.text.replace('WITH CHECK (true)', 'WITH CHECK (false)')), 1, 'the owner is not subject to the policy');
    // (FORCE would make it so: then WITH CHECK (false) refuses it)
    await q('ALTER TABLE storage.buckets FORCE ROW LEVEL SECURITY');
    await q(files[0]!.text.replace('WITH CHECK (true)', 'WITH CHECK (false)'));
    await q('SET ROLE supabase_storage_admin');
    await expectPgError(q("INSERT INTO storage.buckets (id, name) VALUES ('x', 'x')"), '42501', 'new row violates row-level security policy');
  });
});

test('err: DELETE and UPDATE USING (true) beside a SELECT policy USING (true): no WHERE narrows them, and the message says so instead of "limited to the rows the SELECT policies admit"', async () => {
  // (recogito/recogito-server's 20230620144836_annotations_target_bodies_policies_8.sql: "Users with correct policies can
  // DELETE / UPDATE / SELECT on objects" on storage.objects, each TO authenticated USING (true))
  const sql = `CREATE TABLE public.documents (id int PRIMARY KEY, owner_id uuid NOT NULL, body text);
ALTER TABLE public.documents ENABLE ROW LEVEL SECURITY;
CREATE POLICY documents_read ON public.documents FOR SELECT TO authenticated USING (true);
CREATE POLICY documents_delete ON public.documents FOR DELETE TO authenticated USING (true);
CREATE POLICY documents_update ON public.documents FOR UPDATE TO authenticated USING (true) WITH CHECK (true);
`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_documents.sql', text: sql }], ID);
  const byName = new Map(mine.map((f) => [/Policy "(\w+)"/.exec(f.message)![1], f.message]));
  assert.deepEqual([...byName.keys()].sort(), ['documents_delete', 'documents_update']);
  assert.match(byName.get('documents_delete')!, /who may delete any row, whatever the DELETE reads: the SELECT policy "documents_read" admits every row to them too, so one with a WHERE or RETURNING reaches every row its WHERE picks \(T27\)/);
  assert.doesNotMatch(byName.get('documents_delete')!, /limited to the rows the SELECT policies admit/);
  assert.match(byName.get('documents_update')!, /who may update any row and give it any values, whatever the UPDATE reads: the SELECT policy "documents_read" admits every row to them too/);
  assert.doesNotMatch(byName.get('documents_update')!, /reads no column/);
  // (on Supabase's storage.objects, a table the migrations do not make, the same: recogito-server's policies)
  const storage = lintFiles([{ file: 'supabase/migrations/20240101000000_objects.sql', text: sql.replace(/public\.documents/g, 'storage.objects').replace(/documents_/g, 'objects_') }], ID).mine;
  assert.deepEqual(storage.map((f) => /whatever the (\w+) reads: the SELECT policy "objects_read" admits every row to them too/.exec(f.message)?.[1]).sort(), ['DELETE', 'UPDATE']);
  // (with a SELECT policy that narrows, the old wording stays: a DELETE with a WHERE reaches only the visible rows)
  const narrowed = sql.replace('FOR SELECT TO authenticated USING (true)', 'FOR SELECT TO authenticated USING (owner_id = (select auth.uid()))');
  const old = lintFiles([{ file: 'supabase/migrations/20240101000000_documents.sql', text: narrowed }], ID).mine;
  assert.ok(old.some((f) => /may delete any row with a DELETE that reads no column \(no WHERE, no column in RETURNING\); one that reads columns is limited to the rows the SELECT policies admit \(T27\)/.test(f.message)));
  const db = await getDb();
  await inRollback(db, async (q) => {
    await documents(q, sql.replace(/public\./g, ''));
    // A (authenticated) updates and deletes B's row by its id: a WHERE reading columns narrows nothing
    assert.equal(await affected(q, `UPDATE documents SET owner_id = '${TENANT_A}' WHERE id = 2 RETURNING id`), 1);
    assert.equal(await affected(q, 'DELETE FROM documents WHERE id = 1 RETURNING body'), 1);
    assert.deepEqual((await superuserView(q)).map((r) => [r.id, r.owner_id]), [[2, TENANT_A]]);
  });
  await inRollback(db, async (q) => {
    await documents(q, narrowed.replace(/public\./g, ''));
    assert.equal(await affected(q, 'DELETE FROM documents WHERE id = 2'), 0, 'with the SELECT policy narrowing, B’s row is out of reach of a WHERE');
  });
});

test("err: a policy named for the service role but written without TO (fluentia-lms' service_manage_parent_links, \"Service role can manage AI profiles\"): the message says it is for every role and that service_role, BYPASSRLS on Supabase, needs no policy (PGlite: anon reads and writes every row through it; a BYPASSRLS role does with no policy at all)", async () => {
  const sql = `CREATE TABLE public.parent_links (id bigint PRIMARY KEY, student_id uuid NOT NULL, access_code text);
ALTER TABLE public.parent_links ENABLE ROW LEVEL SECURITY;
CREATE POLICY service_manage_parent_links ON public.parent_links FOR ALL USING (true) WITH CHECK (true);`;
  const file = 'supabase/migrations/012_parent_dashboard.sql';
  const { mine } = lintFiles([{ file, text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /Its name says it is meant for the service role, but it names no role \(TO\), so it is for every role \(PUBLIC\); and service_role, which Supabase gives BYPASSRLS, needs no policy: it reads and writes every row without one\. Drop the policy, or write TO service_role/);
  // (a name that does not say the service role, or a policy with TO: the usual advice)
  const other = lintFiles([{ file, text: sql.replace('service_manage_parent_links', 'services_catalog_open') }], ID);
  assert.doesNotMatch(other.mine[0]!.message, /meant for the service role/);
  assert.match(other.mine[0]!.message, /Write the condition a row must meet/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(`DO $$ BEGIN CREATE ROLE service_role NOLOGIN BYPASSRLS; EXCEPTION WHEN duplicate_object THEN NULL; END $$`);
    await q(sql);
    await q('GRANT ALL ON public.parent_links TO anon, service_role');
    await q(`INSERT INTO public.parent_links VALUES (1, '${TENANT_A}', 'secret-a')`);
    await q('SET ROLE anon');
    assert.deepEqual(await q('SELECT access_code FROM public.parent_links'), [{ access_code: 'secret-a' }]);
    assert.equal(await affected(q, `INSERT INTO public.parent_links VALUES (2, '${TENANT_B}', 'forged')`), 1);
    await q('RESET ROLE; DROP POLICY service_manage_parent_links ON public.parent_links; SET ROLE service_role');
    assert.equal(await count(q, 'public.parent_links'), 2, 'no policy: BYPASSRLS reads every row');
    assert.equal(await affected(q, `UPDATE public.parent_links SET access_code = 'rotated'`), 2);
  });
});
