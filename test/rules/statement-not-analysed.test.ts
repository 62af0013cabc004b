// statement-not-analysed on PostgreSQL (PGlite): a statement nested too deeply for pg-rls-lint's
// walkers is left out of the analysis, and said so; PostgreSQL runs it (PGlite makes the view, the
// policy and the function; querying them needs more stack than PGlite's WebAssembly has — 54001 —
// where a PostgreSQL 15.18 server answered each, measured by hand). Before, a policy of 1,000
// nested NOTs overflowed the stack of 32 rules (each lost its findings on every file) and a
// 2,000-term `||` chain in a function body was reported as a syntax error PostgreSQL would raise.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, getDb, inRollback } from '../helpers/pg.js';
import { initParser, invalidFinding, lintFiles, validExampleRuns } from '../helpers/rule-proof.js';
import { AUTH_STUB_SQL } from '../helpers/supabase.js';

const ID = 'statement-not-analysed';
before(initParser);
after(closeAll);

test('err: a view nesting 340 NOTs: left out and said so (not a syntax error); PostgreSQL makes the view', async () => {
  const { finding, ex, findings } = invalidFinding(ID, 0);
  assert.match(finding.message, /^pg-rls-lint could not analyse this statement: its syntax tree is nested more than 1000 levels deep\. This is a limit of the linter, not an error of PostgreSQL/);
  assert.deepEqual(findings.filter((f) => f.rule === 'syntax-error'), []);
  await inRollback(await getDb(), async (q) => {
    await q(ex.files[0]!.text);
    assert.deepEqual(await q("SELECT count(*)::int AS n FROM pg_views WHERE viewname = 'flag'"), [{ n: 1 }]);
  });
});

test('ok: the valid example runs and gives no finding', async () => {
  await validExampleRuns(ID, 0);
});

test('a policy of 1,000 nested NOTs and a function of a 2,000-term || chain: no rule fails, and the findings of the other statements stay (one finding each for the two)', async () => {
  const policy = `CREATE POLICY deep ON public.notes FOR SELECT TO authenticated USING (${'NOT ('.repeat(1000)}owner_id = (select auth.uid())${')'.repeat(1000)});`;
  const fn = `CREATE FUNCTION public.long_text() RETURNS text LANGUAGE plpgsql AS $$ BEGIN RETURN ${Array(2000).fill("'a'").join(' || ')}; END $$;`;
  const base = `CREATE TABLE public.notes (id bigint PRIMARY KEY, owner_id uuid NOT NULL);
ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY open_update ON public.notes FOR UPDATE TO authenticated USING (true);
`;
  const text = `${base}${policy}\n${fn}\n`;
  const { findings } = lintFiles([{ file: 'supabase/migrations/20260101000000_a.sql', text }], ID);
  assert.deepEqual(findings.filter((f) => /internal error/.test(f.message)), []);
  assert.deepEqual(findings.filter((f) => f.rule === 'syntax-error'), []);
  assert.equal(findings.filter((f) => f.rule === ID).length, 2);
  // (the other statements' findings: the same as without the deep ones)
  const plain = lintFiles([{ file: 'supabase/migrations/20260101000000_a.sql', text: base }], ID).findings.map((f) => `${f.rule} ${f.start}`);
  assert.deepEqual(findings.filter((f) => f.rule !== ID).map((f) => `${f.rule} ${f.start}`), plain);
  // PostgreSQL makes both
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(text);
    assert.deepEqual(await q("SELECT (SELECT count(*)::int FROM pg_policies WHERE policyname = 'deep') AS p, (SELECT count(*)::int FROM pg_proc WHERE proname = 'long_text') AS f"), [{ p: 1, f: 1 }]);
  });
});
