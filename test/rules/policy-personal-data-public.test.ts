// policy-personal-data-public on PostgreSQL (PGlite): a SELECT policy USING (true) that applies to
// anon shows every row to a request without a signed-in user, every e-mail address and phone number
// included; keeping those columns out of anon's column grants makes a query naming them fail (42501)
// while the public columns stay readable.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, expectPgError, getDb, inRollback, type Q } from '../helpers/pg.js';
import { initParser, invalidFinding, lintDocExample, lintFiles, sqlOf, TENANT_A, TENANT_B, textAt } from '../helpers/rule-proof.js';
import { onSupabase } from '../helpers/supabase.js';

const ID = 'policy-personal-data-public';
before(initParser);
after(closeAll);

async function users(q: Q, sql: string): Promise<void> {
  await onSupabase(q, sql);
  await q(`INSERT INTO public.users VALUES ('${TENANT_A}', 'Ada', 'L', 'ada@example.com', '+1 555 0100'), ('${TENANT_B}', 'Bob', 'M', 'bob@example.com', '+1 555 0101')`);
  await q('SET ROLE anon');
}

test('err: "Public Can View User" USING (true) on users (Invalid, AshrafElshaer/Staff-Optima\'s): anon, with no user signed in, lists every e-mail address and phone number (PGlite)', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), '"Public Can View User"');
  assert.match(
    finding.message,
    /^Policy "Public Can View User" on public\.users shows every row to anon \(any request with the project's public anon key, without signing in: it has no TO clause, so it applies to PUBLIC\): its USING is always true, so it filters nothing, and the columns email and phone_number hold people's personal data: anyone, signed in or not, lists every row's email and phone_number \(SELECT email, phone_number FROM public\.users\)/,
  );
  assert.match(finding.message, /REVOKE SELECT ON public\.users FROM anon; GRANT SELECT \(id, first_name, last_name\) ON public\.users TO anon/);
  await inRollback(await getDb(), async (q) => {
    await users(q, sqlOf(ws));
    const rows = await q('SELECT email, phone_number FROM public.users ORDER BY email');
    assert.deepEqual(rows.map((r) => r.email), ['ada@example.com', 'bob@example.com'], 'every address, to anon');
  });
});

test('ok: the Valid examples (anon granted the public columns only; a directory for authenticated) give none; PGlite: anon reads the names, and a query naming email fails with 42501', async () => {
  const valid = lintDocExample(ID, 'valid', 0);
  assert.deepEqual(valid.mine, []);
  assert.deepEqual(lintDocExample(ID, 'valid', 1).mine, []);
  await inRollback(await getDb(), async (q) => {
    await users(q, sqlOf(valid.ws));
    assert.deepEqual((await q('SELECT first_name FROM public.users ORDER BY 1')).map((r) => r.first_name), ['Ada', 'Bob']);
    await expectPgError(q('SELECT email FROM public.users'), '42501', 'permission denied');
  });
  await inRollback(await getDb(), async (q) => {
    await users(q, sqlOf(valid.ws));
    await expectPgError(q('SELECT * FROM public.users'), '42501', 'permission denied');
  });
});

test('ok/err (lint): a policy TO authenticated, FOR ALL (policy-always-true\'s), a boolean column so named, a restrictive policy for anon, a table with a secret column (policy-secret-readable\'s), a bare address, a table without RLS are not reported; TO anon, TO PUBLIC, contact_email and date_of_birth are', () => {
  const file = 'supabase/migrations/20250101000000_t.sql';
  const lint = (cols: string, policy: string, extra = '') =>
    lintFiles([{ file, text: `CREATE TABLE public.t (id uuid PRIMARY KEY, name text, ${cols});\nALTER TABLE public.t ENABLE ROW LEVEL SECURITY;\n${policy}\n${extra}` }], ID).mine;
  const open = 'CREATE POLICY t_read ON public.t FOR SELECT USING (true);';
  assert.equal(lint('email text', open).length, 1);
  assert.equal(lint('email text', 'CREATE POLICY t_read ON public.t FOR SELECT TO anon USING (true);').length, 1);
  assert.match(lint('email text', 'CREATE POLICY t_read ON public.t FOR SELECT TO PUBLIC USING (1 = 1);')[0]!.message, /: it is TO PUBLIC\)/);
  assert.equal(lint('contact_email text', open).length, 1);
  assert.equal(lint('date_of_birth date', open).length, 1);
  assert.deepEqual(lint('email text', 'CREATE POLICY t_read ON public.t FOR SELECT TO authenticated USING (true);'), []);
  assert.deepEqual(lint('email text', 'CREATE POLICY t_all ON public.t FOR ALL USING (true);'), []);
  assert.deepEqual(lint('mobile boolean', open), []);
  assert.deepEqual(lint('address text', open), []);
  assert.deepEqual(lint('email text, token uuid', open), [], "policy-secret-readable's");
  assert.deepEqual(lint('email text', open, 'CREATE POLICY t_signed_in ON public.t AS RESTRICTIVE FOR SELECT USING ((select auth.uid()) IS NOT NULL);'), []);
  assert.deepEqual(
    lintFiles([{ file, text: `CREATE TABLE public.t (id uuid PRIMARY KEY, email text);\n${open}\n` }], ID).mine,
    [],
    'RLS off: policy-on-table-without-rls',
  );
});
