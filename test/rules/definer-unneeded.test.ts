// definer-unneeded on PostgreSQL (PGlite): a LANGUAGE sql SECURITY DEFINER helper that only
// reads a setting is called as a function in the plan (never inlined, F1); after the fix
// (SECURITY INVOKER, no SET clause) EXPLAIN shows its expression inlined into the filter, and
// the results are the same. Keeping only the SET search_path clause also blocks inlining (F1).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { asOwner, closeAll, getDb, inRollback, tryQuery, type Q } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintFiles, sqlOf, TENANT_A, TENANT_B, textAt } from '../helpers/rule-proof.js';

const ID = 'definer-unneeded';
before(initParser);
after(closeAll);

interface Observed {
  filter: string;
  ids: number[];
}

async function observe(q: Q, sql: string): Promise<Observed> {
  await q(sql);
  await q(`CREATE TABLE invoices (id int PRIMARY KEY, tenant_id uuid NOT NULL);
INSERT INTO invoices VALUES (1, '${TENANT_A}'), (2, '${TENANT_B}'), (3, '${TENANT_A}');
GRANT SELECT ON invoices TO authenticated;
SELECT set_config('app.tenant_id', '${TENANT_A}', true);`);
  await q('SET ROLE authenticated');
  const query = 'SELECT id FROM invoices WHERE tenant_id = current_tenant() ORDER BY id';
  const plan = (await q(`EXPLAIN (VERBOSE, COSTS OFF) ${query}`)).map((r) => String(r['QUERY PLAN'])).join('\n');
  const filter = /Filter: (.*)/.exec(plan)?.[1] ?? plan;
  const ids = (await q(query)).map((r) => r.id as number);
  await q('RESET ROLE');
  return { filter, ids };
}

test('err: the definer helper is called, not inlined (F1); the invoker version is inlined; same rows', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'SECURITY DEFINER');
  assert.match(finding.message, /never inlines a SECURITY DEFINER function, nor one with a SET clause \(F1\)/);
  const fix = finding.fixes[0]!;
  assert.equal(fix.kind, 'unsafe');
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /LANGUAGE sql STABLE SECURITY INVOKER AS \$\$/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  const db = await getDb();
  const before = await inRollback(db, (q) => observe(q, sqlOf(ws)));
  const afterFix = await inRollback(db, (q) => observe(q, sqlOf(fixed)));
  assert.match(before.filter, /current_tenant\(\)/, `definer: called — ${before.filter}`);
  assert.doesNotMatch(afterFix.filter, /current_tenant/, `invoker: inlined — ${afterFix.filter}`);
  assert.match(afterFix.filter, /current_setting\('app\.tenant_id'::text, true\)/);
  assert.deepEqual(before.ids, [1, 3]);
  assert.deepEqual(afterFix.ids, before.ids, 'same rows');
  // F1: an invoker function that keeps SET search_path is not inlined either
  const keptSet = await inRollback(db, (q) => observe(q, sqlOf(ws).replace('SECURITY DEFINER', 'SECURITY INVOKER')));
  assert.match(keptSet.filter, /current_tenant\(\)/);
});

test('err: PL/pgSQL: reported for the needless privilege only (no inlining claim); the fix keeps its result', async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.doesNotMatch(finding.message, /inline/);
  const fixed = applyFix(ws, finding);
  assert.equal(findingsOf(fixed, ID).length, 0);
  const db = await getDb();
  const role = async (sql: string) =>
    inRollback(db, async (q) => {
      await q(sql);
      await q(`GRANT EXECUTE ON FUNCTION request_role() TO authenticated; SELECT set_config('request.jwt.claims', '{"role":"authenticated"}', true)`);
      await q('SET ROLE authenticated');
      return (await q('SELECT request_role() AS r'))[0]!.r as string;
    });
  assert.equal(await role(sqlOf(ws)), 'authenticated');
  assert.equal(await role(sqlOf(fixed)), 'authenticated');
});

test('ok: not reported: table reads (directly or through a helper), dynamic SQL, triggers, current_user, restricted settings, sequences, unknown functions', () => {
  const def = (body: string, lang = 'sql') => `CREATE FUNCTION f() RETURNS text LANGUAGE ${lang} STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$ ${body} $$;`;
  for (const text of [
    def('SELECT current_user::text'),
    def("SELECT current_setting('data_directory')"),
    def("SELECT nextval('s')::text"),
    def('SELECT extensions.uuid_generate_v4()::text'),
    def('SELECT private.secret_key()'),
    def("SELECT set_config('app.x', 'y', true)"),
    def("BEGIN RETURN QUERY EXECUTE 'select 1'; END", 'plpgsql'),
    def("BEGIN PERFORM pg_notify('c', 'x'); RETURN 'x'; END", 'plpgsql'),
    def("SELECT has_table_privilege('t', 'select')::text"),
    `CREATE FUNCTION private.secret() RETURNS text LANGUAGE sql AS $$ SELECT 'x' $$; REVOKE EXECUTE ON FUNCTION private.secret() FROM PUBLIC; ${def('SELECT private.secret()')}`,
  ]) {
    assert.equal(lintFiles([{ file: 'm.sql', text }], ID).mine.length, 0, text);
  }
  // auth.uid() counts as reading settings only in a Supabase layout
  assert.equal(lintFiles([{ file: 'supabase/migrations/1_x.sql', text: def('SELECT auth.uid()::text') }], ID).mine.length, 1);
  assert.equal(lintFiles([{ file: 'm.sql', text: def('SELECT auth.uid()::text') }], ID).mine.length, 0);
  // a workspace helper that needs nothing either: reported, and the fix keeps SET search_path (names resolve through it)
  const helper = `CREATE FUNCTION tenant_text() RETURNS text LANGUAGE sql STABLE AS $$ SELECT current_setting('app.tenant_id', true) $$;\n${def('SELECT tenant_text()')}`;
  const l = lintFiles([{ file: 'm.sql', text: helper }], ID);
  assert.equal(l.mine.length, 1);
  assert.match(sqlOf(applyFix(l.ws, l.mine[0]!)), /SECURITY INVOKER SET search_path = public, pg_temp/);
  // ALTER FUNCTION … SECURITY DEFINER / SET search_path: the fix rewrites the ALTERs, which stay valid
  const altered = `CREATE FUNCTION g() RETURNS text LANGUAGE sql STABLE AS $$ SELECT current_setting('app.x', true) $$;
ALTER FUNCTION g() SECURITY DEFINER;
ALTER FUNCTION g() SET search_path = public, pg_temp;`;
  const a = lintFiles([{ file: 'm.sql', text: altered }], ID);
  assert.equal(a.mine.length, 1);
  const fixedAlter = applyFix(a.ws, a.mine[0]!);
  assert.match(sqlOf(fixedAlter), /ALTER FUNCTION g\(\) SECURITY INVOKER;\nALTER FUNCTION g\(\) RESET search_path;/);
  assert.equal(findingsOf(fixedAlter, ID).length, 0);
  assert.equal(findingsOf(fixedAlter, 'syntax-error').length, 0);
});

test('err: a function that only calls built-ins on its argument (repeat, substring, length: victoria-aquaculture) gains nothing as its owner: reported here, not by definer-execute-granted-to-public; as SECURITY INVOKER anon gets the same answer', async () => {
  const text = `CREATE FUNCTION public.mask_phone(phone text) RETURNS text LANGUAGE sql IMMUTABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT CASE WHEN length(phone) < 4 THEN '***' ELSE substring(phone from 1 for 3) || repeat('*', length(phone) - 6) || substring(phone from length(phone) - 2) END
$$;`;
  const { ws, findings } = lintFiles([{ file: 'supabase/migrations/20240101000000_mask.sql', text }], ID);
  assert.deepEqual(findings.filter((f) => f.rule === ID || f.rule === 'definer-execute-granted-to-public').map((f) => f.rule), [ID]);
  const answer = async (sql: string) =>
    inRollback(await getDb(), async (q) => {
      await asOwner(q, sql);
      await q('GRANT EXECUTE ON FUNCTION public.mask_phone(text) TO anon');
      await q('SET ROLE anon');
      return (await q(`SELECT public.mask_phone('+25512345678') AS m`))[0]!.m;
    });
  assert.equal(await answer(sqlOf(ws)), await answer(sqlOf(ws).replace('SECURITY DEFINER', 'SECURITY INVOKER')));
});

test("err: on Supabase a helper returning auth.uid() gains nothing as its owner even when a migration re-creates auth.uid() (paftamobile): reported here, not by definer-execute-granted-to-public; anon gets the same answer either way", async () => {
  const text = `CREATE OR REPLACE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE SET search_path = auth, pg_temp AS $f$
  SELECT nullif(current_setting('request.jwt.claim.sub', true), '')::uuid
$f$;
CREATE OR REPLACE FUNCTION public.current_user_id() RETURNS uuid LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $f$
BEGIN
  RETURN auth.uid();
END $f$;`;
  const { ws, findings } = lintFiles([{ file: 'supabase/migrations/20240101000000_uid.sql', text }], ID);
  const mine = findings.filter((f) => f.rule === ID || f.rule === 'definer-execute-granted-to-public');
  assert.deepEqual(mine.map((f) => f.rule), [ID]);
  assert.match(mine[0]!.message, /only calls auth\.uid\(\)/);
  const answer = async (sql: string) =>
    inRollback(await getDb(), async (q) => {
      // (auth.uid() as the superuser, as Supabase's platform; the helper as the migrations' owner)
      const at = sql.indexOf('CREATE OR REPLACE FUNCTION public');
      await q(`CREATE SCHEMA IF NOT EXISTS auth; GRANT USAGE ON SCHEMA auth TO PUBLIC; ${sql.slice(0, at)}`);
      await asOwner(q, sql.slice(at));
      await q(`SELECT set_config('request.jwt.claim.sub', '${TENANT_A}', true)`);
      await q('SET ROLE anon');
      return (await q('SELECT public.current_user_id() AS id'))[0]!.id;
    });
  assert.equal(await answer(sqlOf(ws)), TENANT_A);
  assert.equal(await answer(sqlOf(ws).replace('SECURITY DEFINER', 'SECURITY INVOKER')), TENANT_A);
});

test('err: a VOLATILE set-returning helper (RETURNS TABLE, produtive debug_team_creation) is not inlined even as SECURITY INVOKER without SET: the message says it must be STABLE too, as EXPLAIN shows', async () => {
  const fn = (security: string, volatility: string) => `CREATE OR REPLACE FUNCTION public.debug_team_creation()
RETURNS TABLE(current_uid uuid, is_authenticated boolean)
LANGUAGE sql${volatility}
${security}
AS $$
  SELECT current_setting('request.jwt.claim.sub', true)::uuid AS current_uid, (current_setting('request.jwt.claim.sub', true) IS NOT NULL) AS is_authenticated;
$$;`;
  const lint = (text: string) => lintFiles([{ file: 'supabase/migrations/20240101000000_debug.sql', text }], ID).mine;
  const [volatileFinding] = lint(fn('SECURITY DEFINER\nSET search_path = public', ''));
  assert.ok(volatileFinding);
  assert.match(volatileFinding.message, /nor a set-returning function declared VOLATILE/);
  assert.match(volatileFinding.message, /declared STABLE if its body calls no volatile function, this LANGUAGE sql function can be inlined where a query calls it in FROM/);
  assert.doesNotMatch(volatileFinding.message, /inlined into the queries and policies that call it/);
  const [stableFinding] = lint(fn('SECURITY DEFINER\nSET search_path = public', ' STABLE'));
  assert.ok(stableFinding);
  assert.match(stableFinding.message, /this set-returning LANGUAGE sql function can be inlined where a query calls it in FROM/);
  assert.doesNotMatch(stableFinding.message, /VOLATILE/);
  const plan = async (sql: string) =>
    inRollback(await getDb(), async (q) => {
      await q(sql);
      return (await q('EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM public.debug_team_creation()')).map((r) => String(r['QUERY PLAN'])).join('\n');
    });
  // SECURITY INVOKER, no SET: still a Function Scan while VOLATILE; inlined (no call left) once STABLE
  assert.match(await plan(fn('SECURITY INVOKER', '')), /Function Scan on public\.debug_team_creation/);
  const stablePlan = await plan(fn('SECURITY INVOKER', ' STABLE'));
  assert.doesNotMatch(stablePlan, /debug_team_creation/);
  assert.match(stablePlan, /current_setting/);
});

// fix108: TRUNCATE is kept apart from row writes in the model (Func.truncates); it still needs the owner's privilege.
test("ok: a definer that only empties a table with TRUNCATE needs its owner's privilege: not reported; PGlite: as SECURITY INVOKER anon's call fails with 42501, as definer it empties the table", async () => {
  const sql = `CREATE TABLE public.scratch (x text);
CREATE FUNCTION public.clear_scratch() RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$ TRUNCATE public.scratch $$;
`;
  assert.deepEqual(lintFiles([{ file: 'db/1.sql', text: sql }], ID).mine, []);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await asOwner(q, `${sql}INSERT INTO public.scratch VALUES ('a');`);
    await asOwner(q, 'ALTER FUNCTION public.clear_scratch() SECURITY INVOKER');
    await q('SET ROLE anon');
    const r = await tryQuery(q, 'SELECT public.clear_scratch()');
    assert.ok(!r.ok && r.error.code === '42501' && /permission denied for table scratch/.test(r.error.message), 'as the invoker');
    await q('RESET ROLE');
    await asOwner(q, 'ALTER FUNCTION public.clear_scratch() SECURITY DEFINER');
    await q('SET ROLE anon');
    await q('SELECT public.clear_scratch()');
    await q('RESET ROLE');
    assert.equal((await q('SELECT count(*)::int AS n FROM public.scratch'))[0]!.n, 0);
  });
});
