// policy-admits-anonymous-users on PostgreSQL (PGlite), with Supabase's auth.uid() / auth.jwt()
// reading the request's claims: an anonymous session (role authenticated, is_anonymous true)
// passes a SELECT policy that asks only for a signed-in user and reads every row; the fix keeps
// it out and still admits permanent users.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, count, getDb, inRollback, type Q } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintDocExample, lintFiles, sqlOf, TENANT_A, textAt } from '../helpers/rule-proof.js';
import { actAs, onSupabase } from '../helpers/supabase.js';
import { mergeConfig } from '../../server/src/analysis/config.js';
import { apiSchemasOf } from '../../server/src/analysis/supabase-config.js';
import { Workspace } from '../../server/src/engine/workspace.js';

const ID = 'policy-admits-anonymous-users';
before(initParser);
after(closeAll);

const ANONYMOUS = { role: 'authenticated', is_anonymous: true };
const PERMANENT = { role: 'authenticated', is_anonymous: false, email: 'a@example.com' };

/** The migrations on Supabase's defaults, three salaries, then a request as user A with `claims`. */
async function salaries(q: Q, sql: string, claims: Record<string, unknown>): Promise<void> {
  await onSupabase(q, sql);
  await q(`INSERT INTO public.salaries VALUES (1, '${TENANT_A}', 100), (2, gen_random_uuid(), 200), (3, gen_random_uuid(), 300)`);
  await q(actAs(TENANT_A, claims));
  await q('SET ROLE authenticated');
}

test('err: TO authenticated USING (true) with anonymous sign-ins on (Invalid): an anonymous session reads every salary; the fix keeps it out and admits permanent users and JWTs without the claim', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'staff_read');
  assert.match(
    finding.message,
    /^Policy "staff_read" on public\.salaries \(FOR SELECT\) admits every row to every signed-in user .* and the setting anonymousSignIns says anonymous sign-ins are on: anyone can get a signed-in session with supabase\.auth\.signInAnonymously\(\), .* reads every row of public\.salaries/,
  );
  const db = await getDb();
  await inRollback(db, async (q) => {
    await salaries(q, sqlOf(ws), ANONYMOUS);
    assert.equal(await count(q, 'public.salaries'), 3, 'an anonymous session reads every salary');
  });
  const fixed = applyFix(ws, finding);
  assert.deepEqual(findingsOf(fixed, ID), []);
  for (const [claims, expected] of [[ANONYMOUS, 0], [PERMANENT, 3], [{ role: 'authenticated' }, 3]] as const) {
    await inRollback(db, async (q) => {
      await salaries(q, sqlOf(fixed), claims);
      assert.equal(await count(q, 'public.salaries'), expected, JSON.stringify(claims));
    });
  }
});

test('err: USING ((select auth.uid()) IS NOT NULL) (Invalid 2) is true for an anonymous session too: it has a user id of its own', async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.equal(textAt(ws, finding), 'notes_signed_in');
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, sqlOf(ws));
    await q(`INSERT INTO public.notes VALUES (1, 'internal')`);
    await q(actAs(TENANT_A, ANONYMOUS));
    await q('SET ROLE authenticated');
    assert.deepEqual(await q('SELECT body FROM public.notes'), [{ body: 'internal' }]);
  });
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /USING \(\(\(select auth\.uid\(\)\) IS NOT NULL\) AND \(select \(auth\.jwt\(\) ->> 'is_anonymous'\)::boolean\) IS NOT TRUE\)/);
});

test("ok: Supabase's RESTRICTIVE policy (Valid 2) keeps the anonymous session out of USING (true) on PGlite; anonymous sign-ins off (Valid 3) is not reported", async () => {
  const { ws, mine } = lintDocExample(ID, 'valid', 1);
  assert.deepEqual(mine, []);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await salaries(q, sqlOf(ws), ANONYMOUS);
    assert.equal(await count(q, 'public.salaries'), 0);
  });
  await inRollback(db, async (q) => {
    await salaries(q, sqlOf(ws), PERMANENT);
    assert.equal(await count(q, 'public.salaries'), 3);
  });
  assert.deepEqual(lintDocExample(ID, 'valid', 2).mine, []);
});

test("err/ok (lint): the project's supabase/config.toml turns them on under 'auto' (the message names it), the setting 'false' overrides it; auth.role() = 'authenticated' counts; a public table anon reads anyway, a policy naming is_anonymous, and a policy with a row condition are not reported", () => {
  const file = 'supabase/migrations/20240101000000_a.sql';
  const table = `CREATE TABLE public.salaries (id bigint PRIMARY KEY, employee uuid NOT NULL, amount int NOT NULL);
ALTER TABLE public.salaries ENABLE ROW LEVEL SECURITY;
`;
  const toml = apiSchemasOf('[api]\nschemas = ["public"]\n\n[auth]\nenabled = true\nenable_anonymous_sign_ins = true\n');
  assert.deepEqual(toml, { schemas: ['public'], anonymousSignIns: true });
  assert.deepEqual(apiSchemasOf('[auth]\nenable_anonymous_sign_ins = false\n'), { schemas: ['public', 'graphql_public'] });
  const lint = (policy: string, config = mergeConfig()) => {
    const ws = new Workspace(config);
    ws.setApiSchemas([{ folder: 'supabase/', source: 'supabase/config.toml', schemas: ['public'], anonymousSignIns: true }]);
    ws.setFile(file, table + policy);
    return findingsOf(ws, ID);
  };
  const read = 'CREATE POLICY staff_read ON public.salaries FOR SELECT TO authenticated USING (true);';
  const [f] = lint(read);
  assert.match(f?.message ?? '', /and supabase\/config\.toml turns anonymous sign-ins on \(\[auth\] enable_anonymous_sign_ins = true\)/);
  assert.deepEqual(lint(read, mergeConfig({ anonymousSignIns: 'false' })), []);
  assert.equal(lint("CREATE POLICY r ON public.salaries FOR SELECT TO authenticated USING ((select auth.role()) = 'authenticated');").length, 1);
  assert.deepEqual(lint('CREATE POLICY r ON public.salaries FOR SELECT USING (true);'), [], 'PUBLIC: anon reads it too');
  // anon reads every row by another policy (TO anon, or PUBLIC FOR ALL): an anonymous session reads nothing more
  assert.deepEqual(lint(`${read}\nCREATE POLICY anon_read ON public.salaries FOR SELECT TO anon USING (true);`), []);
  assert.deepEqual(lint(`${read}\nCREATE POLICY rpc ON public.salaries FOR ALL USING (true);`), []);
  // … unless a restrictive policy narrows what anon reads, or anon's policy has a row condition
  assert.equal(lint(`${read}\nCREATE POLICY anon_read ON public.salaries FOR SELECT TO anon USING (true);\nCREATE POLICY narrow ON public.salaries AS RESTRICTIVE FOR SELECT TO anon USING (amount < 100);`).length, 1);
  assert.equal(lint(`${read}\nCREATE POLICY anon_read ON public.salaries FOR SELECT TO anon USING (amount < 100);`).length, 1);
  assert.deepEqual(lint("CREATE POLICY r ON public.salaries FOR SELECT TO authenticated USING (coalesce((auth.jwt() ->> 'is_anonymous')::boolean, false) = false);"), []);
  assert.deepEqual(lint('CREATE POLICY r ON public.salaries FOR SELECT TO authenticated USING (employee = (select auth.uid()));'), [], "an anonymous user's own rows only");
  // a write policy admitting every signed-in user is policy-always-true's, which then says anyone can be one
  const ws = new Workspace();
  ws.setApiSchemas([{ folder: 'supabase/', source: 'supabase/config.toml', schemas: ['public'], anonymousSignIns: true }]);
  ws.setFile(file, table + 'CREATE POLICY w ON public.salaries FOR INSERT TO authenticated WITH CHECK ((select auth.uid()) IS NOT NULL);');
  assert.deepEqual(findingsOf(ws, ID), []);
  assert.match(findingsOf(ws, 'policy-always-true')[0]?.message ?? '', /Anonymous sign-ins are on \(supabase\/config\.toml\): anyone can get an authenticated session with supabase\.auth\.signInAnonymously\(\)\./);
  // … not where anon has that access anyway, without signing in (TO anon, authenticated)
  ws.setFile(file, table + 'CREATE POLICY w ON public.salaries FOR INSERT TO anon, authenticated WITH CHECK (true);');
  const both = findingsOf(ws, 'policy-always-true');
  assert.equal(both.length, 1);
  assert.doesNotMatch(both[0]!.message, /Anonymous sign-ins are on/);
  // without the file and the setting: off
  assert.deepEqual(lintFiles([{ file, text: table + read }], ID).mine, []);
});

test("err: on Supabase Storage's objects, a SELECT policy for authenticated asking only for the bucket (USING (bucket_id = 'contracts')) lets an anonymous session read every object of it (PGlite, storage.objects stubbed); per-user folders, and a bucket public by intent (no TO), are not reported", async () => {
  const file = 'supabase/migrations/20240101000000_storage.sql';
  const lint = (policy: string) => lintFiles([{ file, text: policy }], ID, mergeConfig({ anonymousSignIns: 'true' })).mine;
  const read = "CREATE POLICY contracts_read ON storage.objects FOR SELECT TO authenticated USING (bucket_id = 'contracts');";
  const [f] = lint(read);
  assert.match(f?.message ?? '', /^Policy "contracts_read" on storage\.objects \(FOR SELECT\) admits every object of bucket 'contracts' to every signed-in user \(its USING asks only for the bucket and that the request is signed in\)/);
  assert.deepEqual(lint("CREATE POLICY own_read ON storage.objects FOR SELECT TO authenticated USING (bucket_id = 'contracts' AND (storage.foldername(name))[1] = (select auth.uid()::text));"), []);
  assert.deepEqual(lint("CREATE POLICY avatars_read ON storage.objects FOR SELECT USING (bucket_id = 'avatars');"), []);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, `CREATE SCHEMA storage;
CREATE TABLE storage.objects (id bigint PRIMARY KEY, bucket_id text, name text, owner uuid);
ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY;
GRANT USAGE ON SCHEMA storage TO authenticated;
GRANT SELECT ON storage.objects TO authenticated;
INSERT INTO storage.objects VALUES (1, 'contracts', 'acme/nda.pdf', gen_random_uuid()), (2, 'contracts', 'globex/msa.pdf', gen_random_uuid());
${read}`);
    await q(actAs(TENANT_A, ANONYMOUS));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'storage.objects'), 2, "every contract, to an anonymous session");
  });
});
