// policy-legacy-jwt-claim on PostgreSQL (PGlite), each request made as PostgREST 12 makes it:
// set_config('request.jwt.claims', <payload>, true) and SET LOCAL ROLE <the payload's role>, and
// no per-claim setting (request.jwt.claim.sub…). A policy reading current_setting('request.jwt.claim.sub',
// true) then admits no row of the user's own (or every row, when it lets NULL through), one
// without missing_ok fails with 42704, and a SECURITY DEFINER caller check on
// request.jwt.claim.role refuses the service role; the fix, reading the claim from
// request.jwt.claims, works. The helpers' actAs() also sets the per-claim setting, as an old
// PostgREST did: it is not used here, nor is auth.uid() (the helpers' stub reads that setting).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, count, expectPgError, getDb, inRollback, tryQuery, type Q } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintDocExample, lintFiles, sqlOf, TENANT_A, TENANT_B, textAt } from '../helpers/rule-proof.js';
import { onSupabase } from '../helpers/supabase.js';

const ID = 'policy-legacy-jwt-claim';
before(initParser);
after(closeAll);

/** What PostgREST 12 does at the start of a request's transaction (no per-claim setting). */
const postgrest = (claims: Record<string, unknown>): string =>
  `SELECT set_config('request.jwt.claims', '${JSON.stringify(claims).replace(/'/g, "''")}', true); SET LOCAL ROLE ${String(claims.role)};`;

const FILE = 'supabase/migrations/20240101000000_notes.sql';
const notes = (using: string): string =>
  `CREATE TABLE public.notes (id int PRIMARY KEY, owner_id uuid NOT NULL, body text);\n` +
  `CREATE INDEX ON public.notes (owner_id);\n` +
  `ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;\nALTER TABLE public.notes FORCE ROW LEVEL SECURITY;\n` +
  `CREATE POLICY notes_own ON public.notes FOR SELECT TO authenticated\n  USING (${using});\n`;

/** The migrations on a Supabase-like database, two notes (A's and B's), then a request of user A. */
async function asUserA(q: Q, sql: string): Promise<void> {
  await onSupabase(q, sql);
  await q(`INSERT INTO public.notes VALUES (1, '${TENANT_A}', 'a'), (2, '${TENANT_B}', 'b')`);
  await q(postgrest({ sub: TENANT_A, role: 'authenticated' }));
}

test('err: owner_id = nullif(current_setting(\'request.jwt.claim.sub\', true), \'\')::uuid (Invalid 1): a PostgREST 12 request of the owner reads 0 of their notes; the fix reads the claim from request.jwt.claims and they read their 1', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), "current_setting('request.jwt.claim.sub', true)");
  assert.match(finding.message, /^Policy "notes_own" on public\.notes reads current_setting\('request\.jwt\.claim\.sub', true\) in its USING: PostgREST no longer sets the per-claim settings/);
  assert.match(finding.message, /since PostgREST 12 on every PostgreSQL \(db-use-legacy-gucs was removed\)/);
  assert.match(finding.message, /assumes PostgREST 12 or later \(Supabase runs it\)/);
  assert.match(finding.message, /the clause is never true: the policy admits no row/);
  assert.match(finding.message, /\(nullif\(current_setting\('request\.jwt\.claims', true\), ''\)::jsonb ->> 'sub'\) \(or auth\.uid\(\)\)/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await asUserA(q, sqlOf(ws));
    const r = await q(`SELECT current_setting('request.jwt.claim.sub', true) AS legacy, current_setting('request.jwt.claims', true)::jsonb ->> 'sub' AS sub`);
    assert.deepEqual(r[0], { legacy: null, sub: TENANT_A }, 'PostgREST 12 sets the claims, not the per-claim setting');
    assert.equal(await count(q, 'public.notes'), 0, 'the owner reads none of their notes');
  });
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /\(select nullif\(\(nullif\(current_setting\('request\.jwt\.claims', true\), ''\)::jsonb ->> 'sub'\), ''\)::uuid\)/);
  assert.deepEqual(findingsOf(fixed, ID), []);
  assert.deepEqual(findingsOf(fixed, 'policy-current-setting-unsafe'), []);
  await inRollback(db, async (q) => {
    await asUserA(q, sqlOf(fixed));
    assert.deepEqual(await q('SELECT id FROM public.notes'), [{ id: 1 }], 'with the fix, the owner reads their note and only it');
  });
});

test("err: without missing_ok, current_setting('request.jwt.claim.sub')::uuid: every SELECT of a PostgREST 12 request fails with 42704; the fix works", async () => {
  const { ws, mine } = lintFiles([{ file: FILE, text: notes("owner_id = (select current_setting('request.jwt.claim.sub')::uuid)") }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /raises 42704 unrecognized configuration parameter "request\.jwt\.claim\.sub" \(T15\): every statement the policy applies to fails/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await asUserA(q, sqlOf(ws));
    const r = await tryQuery(q, 'SELECT count(*) FROM public.notes');
    assert.ok(!r.ok && r.error.code === '42704', 'unrecognized configuration parameter');
    await expectPgError(q('SELECT count(*) FROM public.notes'), '42704', /unrecognized configuration parameter "request\.jwt\.claim\.sub"/);
  });
  const fixed = applyFix(ws, mine[0]!);
  assert.deepEqual(findingsOf(fixed, ID), []);
  await inRollback(db, async (q) => {
    await asUserA(q, sqlOf(fixed));
    assert.equal(await count(q, 'public.notes'), 1);
  });
});

test("err: current_setting('request.jwt.claim.sub', true) IS NULL OR owner_id = …: fails open, every signed-in user reads every note; the fix closes it", async () => {
  const cond = "current_setting('request.jwt.claim.sub', true) IS NULL OR owner_id = nullif(current_setting('request.jwt.claim.sub', true), '')::uuid";
  const { ws, mine } = lintFiles([{ file: FILE, text: notes(cond) }], ID);
  assert.equal(mine.length, 1, 'one finding per clause');
  assert.match(mine[0]!.message, /the clause admits every row \(it fails open/);
  assert.match(mine[0]!.message, /\(1 more such call in this clause\)/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await asUserA(q, sqlOf(ws));
    assert.equal(await count(q, 'public.notes'), 2, "user A reads B's note too");
  });
  const fixed = applyFix(ws, mine[0]!);
  assert.deepEqual(findingsOf(fixed, ID), []);
  await inRollback(db, async (q) => {
    await asUserA(q, sqlOf(fixed));
    assert.equal(await count(q, 'public.notes'), 1);
  });
});

test("err: a SECURITY DEFINER caller check on request.jwt.claim.role (Invalid 2): a PostgREST 12 request as service_role is refused ('forbidden'); with the fix it gets the total", async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.equal(textAt(ws, finding), "current_setting('request.jwt.claim.role', true)");
  assert.match(finding.message, /^Function public\.metrics_total\(\) \(SECURITY DEFINER\) reads current_setting\('request\.jwt\.claim\.role', true\)/);
  assert.match(finding.message, /IS DISTINCT FROM a value is then true/);
  const db = await getDb();
  const run = async (q: Q, sql: string) => {
    await onSupabase(q, sql);
    await q('INSERT INTO public.metrics VALUES (1, 2), (2, 3)');
    await q(postgrest({ role: 'service_role' }));
  };
  await inRollback(db, async (q) => {
    await run(q, sqlOf(ws));
    await expectPgError(q('SELECT public.metrics_total()'), 'P0001', 'forbidden');
  });
  const fixed = applyFix(ws, finding);
  assert.deepEqual(findingsOf(fixed, ID), []);
  await inRollback(db, async (q) => {
    await run(q, sqlOf(fixed));
    assert.deepEqual(await q('SELECT public.metrics_total()::int AS total'), [{ total: 5 }]);
  });
});

test('ok: the Valid examples, run as PostgREST 12 requests, admit the owner (the JSON claims; the coalesce fallback); the one that sets the setting is not reported', async () => {
  for (let i = 0; i < 3; i++) assert.deepEqual(lintDocExample(ID, 'valid', i).mine, [], `Valid ${i + 1}`);
  const db = await getDb();
  for (const i of [0, 1]) {
    const { ws } = lintDocExample(ID, 'valid', i);
    await inRollback(db, async (q) => {
      await asUserA(q, sqlOf(ws));
      assert.deepEqual(await q('SELECT id FROM public.notes'), [{ id: 1 }], `Valid ${i + 1}`);
    });
  }
});

test('err: a SQL helper the policy calls (public.me()): reported in the helper, naming the policy, which a PostgREST 12 request finds admitting none of the owner\'s notes', async () => {
  const helper =
    "CREATE FUNCTION public.me() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT nullif(current_setting('request.jwt.claim.sub', true), '')::uuid $$;\n" + notes('owner_id = (select public.me())');
  const { ws, mine } = lintFiles([{ file: FILE, text: helper }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^Function public\.me\(\) \(called by policy "notes_own" on public\.notes\) reads/);
  assert.match(mine[0]!.message, /the policy's USING is never true: the policy admits no row/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await asUserA(q, sqlOf(ws));
    assert.equal(await count(q, 'public.notes'), 0);
  });
  const fixed = applyFix(ws, mine[0]!);
  assert.deepEqual(findingsOf(fixed, ID), []);
  await inRollback(db, async (q) => {
    await asUserA(q, sqlOf(fixed));
    assert.equal(await count(q, 'public.notes'), 1);
  });
});

test("err: coalesce(nullif(current_setting('request.jwt.claim.role', true), ''), session_user) in a helper of a helper the policy calls (PropertyPro): the message says the default is taken, not that the read raises 42704 (it has missing_ok: a PostgREST 12 request runs the policy without error)", async () => {
  const table = notes('public.can_read(owner_id)');
  const at = table.indexOf('CREATE POLICY');
  const sql =
    table.slice(0, at) +
    "CREATE FUNCTION public.effective_role() RETURNS text LANGUAGE sql STABLE AS $$ SELECT coalesce(nullif(current_setting('request.jwt.claim.role', true), ''), session_user)::text $$;\n" +
    "CREATE FUNCTION public.is_privileged() RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT public.effective_role() IN ('service_role', 'supabase_admin') $$;\n" +
    'CREATE FUNCTION public.can_read(owner uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$\n' +
    '  SELECT CASE WHEN public.is_privileged() THEN true WHEN auth.uid() IS NULL THEN false ELSE EXISTS (SELECT 1 FROM public.notes n WHERE n.owner_id = auth.uid() AND n.owner_id = owner) END $$;\n' +
    table.slice(at);
  const { ws, mine } = lintFiles([{ file: FILE, text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^Function public\.effective_role\(\) \(called by policy "notes_own" on public\.notes\) reads current_setting\('request\.jwt\.claim\.role', true\)/);
  assert.match(mine[0]!.message, /it reads NULL, so coalesce\(\) gives its default for every request, whoever signed in/);
  assert.doesNotMatch(mine[0]!.message, /42704|without missing_ok/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await onSupabase(q, sqlOf(ws));
    await q(postgrest({ sub: TENANT_A, role: 'service_role' }));
    const r = await q('SELECT public.effective_role() AS role, session_user AS session');
    assert.equal(r[0]!.role, r[0]!.session, "a service_role request's role is not read: the default (session_user) is");
    assert.notEqual(r[0]!.role, 'service_role');
  });
});

test('ok/err (lint): what is and is not reported', () => {
  const lint = (text: string, file = FILE) => lintFiles([{ file, text }], ID).mine;
  // Supabase's own helpers of 2021 (a remote_schema dump: bis, astrotribe) are not reported
  const authDump =
    "CREATE SCHEMA IF NOT EXISTS auth;\nCREATE OR REPLACE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $$\n  select coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''), (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'))::uuid\n$$;\n" +
    "CREATE OR REPLACE FUNCTION auth.role() RETURNS text LANGUAGE sql STABLE AS $$ select nullif(current_setting('request.jwt.claim.role', true), '')::text $$;\n";
  assert.deepEqual(lint(authDump + notes('owner_id = (select auth.uid())')), []);
  // a fallback to auth.uid() first (vip-drive-florida's upsert_passenger_preferences)
  const definer = (expr: string) =>
    `CREATE TABLE public.prefs (user_id uuid PRIMARY KEY, v text);\nALTER TABLE public.prefs ENABLE ROW LEVEL SECURITY;\n` +
    `CREATE FUNCTION public.save(v text) RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$\nDECLARE uid uuid := ${expr};\nBEGIN\n  INSERT INTO public.prefs VALUES (uid, v);\nEND $$;\n`;
  assert.deepEqual(lint(definer("COALESCE(auth.uid(), NULLIF(current_setting('request.jwt.claim.sub', true), '')::uuid)")), []);
  const alone = lint(definer("NULLIF(current_setting('request.jwt.claim.sub', true), '')::uuid"));
  assert.equal(alone.length, 1);
  // coalesce with a default only (vip-drive-florida's dispatcher_list_bookings): reported, with what the default does
  const dispatch = lint(definer("coalesce(current_setting('request.jwt.claim.sub', true), '')::uuid"));
  assert.equal(dispatch.length, 1);
  assert.match(dispatch[0]!.message, /coalesce\(\) gives its default for every request/);
  // the workspace sets the setting itself: the application does, not PostgREST
  const cond = "owner_id = (select nullif(current_setting('request.jwt.claim.sub', true), '')::uuid)";
  assert.equal(lint(notes(cond)).length, 1);
  assert.deepEqual(lint(`SELECT set_config('request.jwt.claim.sub', '${TENANT_A}', false);\n${notes(cond)}`), []);
  assert.deepEqual(lint(`ALTER DATABASE postgres SET "request.jwt.claim.sub" TO '${TENANT_A}';\n${notes(cond)}`), []);
  // another PostgREST app: only where its roles are made and request.jwt.claims is read somewhere
  const other = 'db/001_notes.sql';
  const plain = `CREATE ROLE authenticated NOLOGIN;\n${notes(cond)}GRANT SELECT ON public.notes TO authenticated;\n`;
  assert.deepEqual(lint(plain, other), [], 'an app that may set the setting from its own server (Delibrium), or run an old PostgREST');
  assert.equal(lint(`${plain}CREATE FUNCTION public.me() RETURNS text LANGUAGE sql STABLE AS $$ SELECT current_setting('request.jwt.claims', true)::jsonb ->> 'email' $$;\n`, other).length, 1);
  // assigned to a variable, then tested (airev's update_campaign_run_status): what NULL makes of each test
  const assigned = lint(definer("current_setting('request.jwt.claim.role', true)"));
  assert.equal(assigned.length, 1);
  assert.match(assigned[0]!.message, /it reads NULL whoever signed in, so what is computed from it sees no claim: = a value is never true, while IS NULL and IS DISTINCT FROM a value are true for every request/);
});

test("ok: the fix as PostgREST's docs write it, current_setting('request.jwt.claims', true)::jsonb ->> 'sub', is what policy-current-setting-unsafe reports (22P02 once the setting reads ''): the fix adds nullif", () => {
  const bare = lintFiles([{ file: FILE, text: notes("owner_id = (select (current_setting('request.jwt.claims', true)::jsonb ->> 'sub')::uuid)") }], 'policy-current-setting-unsafe');
  assert.equal(bare.mine.length, 1);
  assert.deepEqual(bare.findings.filter((f) => f.rule === ID), []);
});
