// policy-invalid-enum-value: a string compared with an enum column that is not one of the type's
// values fails the CREATE POLICY with 22P02 (PGlite), where the migrations make it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, getDb, inRollback, tryQuery } from '../helpers/pg.js';
import { initParser, invalidFinding, lintDocExample, lintFiles, sqlOf, textAt } from '../helpers/rule-proof.js';
import { AUTH_STUB_SQL } from '../helpers/supabase.js';

const ID = 'policy-invalid-enum-value';
before(initParser);
after(closeAll);

test("err: the Invalid example: 'advisor' is no value of app_role when the policy is made; PGlite rejects the CREATE POLICY with 22P02, and accepts the Valid example's", async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), "'advisor'");
  assert.match(finding.message, /^Policy "advisors_read" on public\.events compares profiles\.role, of the enum type app_role, with 'advisor', which is not one of its values \('administrator', 'collaborator'\) when the policy is made: .*22P02 invalid input value for enum app_role: "advisor", so the policy is not created/);
  const sql = sqlOf(ws);
  const policyAt = sql.indexOf('CREATE POLICY advisors_read');
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql.slice(0, policyAt));
    const r = await tryQuery(q, sql.slice(policyAt));
    assert.equal(r.ok ? 'created' : r.error.code, '22P02');
    assert.equal(r.ok ? '' : r.error.message, 'invalid input value for enum app_role: "advisor"');
  });
  const valid = lintDocExample(ID, 'valid', 0);
  assert.equal(valid.mine.length, 0);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sqlOf(valid.ws));
    assert.equal((await q(`SELECT count(*)::int AS n FROM pg_policies WHERE policyname = 'advisors_read'`))[0]!.n, 1);
  });
});

test('err: the forms PostgreSQL converts (=, <>, IN, the string first, a cast to the type) are reported; a value added before the policy, a cast to text, or a value added only later (reported: too late) behave as on PGlite', async () => {
  const head = `CREATE TYPE public.user_role AS ENUM ('admin', 'user');
CREATE TABLE public.profiles (id uuid PRIMARY KEY, role public.user_role NOT NULL DEFAULT 'user');
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
`;
  const policies = [
    ["role = 'usuario'", '22P02'],
    ["role IN ('admin', 'advisor')", '22P02'],
    ["role <> 'advisor'", '22P02'],
    ["'advisor' = role", '22P02'],
    ["role = 'advisor'::public.user_role", '22P02'],
    ["role::text = 'advisor'", 'created'],
    ["role = 'admin'", 'created'],
  ] as const;
  const text = head + policies.map(([u], i) => `CREATE POLICY p${i} ON public.profiles FOR SELECT USING (${u});`).join('\n') + `\nALTER TYPE public.user_role ADD VALUE 'advisor';\n`;
  const { mine } = lintFiles([{ file: 'db/1.sql', text }], ID);
  assert.deepEqual(mine.map((f) => /^Policy "(p\d)"/.exec(f.message)?.[1]), ['p0', 'p1', 'p2', 'p3', 'p4']);
  await inRollback(await getDb(), async (q) => {
    await q(head);
    for (const [i, [u, expected]] of policies.entries()) {
      const r = await tryQuery(q, `CREATE POLICY p${i} ON public.profiles FOR SELECT USING (${u})`);
      assert.equal(r.ok ? 'created' : r.error.code, expected, u);
    }
  });
  // the value added first: nothing to report
  const added = head.replace("ALTER TABLE", "ALTER TYPE public.user_role ADD VALUE 'advisor';\nALTER TYPE public.user_role RENAME VALUE 'user' TO 'usuario';\nALTER TABLE") + policies.slice(0, 5).map(([u], i) => `CREATE POLICY p${i} ON public.profiles FOR SELECT USING (${u});`).join('\n');
  assert.equal(lintFiles([{ file: 'db/1.sql', text: added }], ID).mine.length, 0);
});
