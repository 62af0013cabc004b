// rls-disabled on PostgreSQL (PGlite): DISABLE makes the policies ignored, NO FORCE exempts
// the owner (T13); the fixes (ENABLE / FORCE) restore the policies.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { asOwner, closeAll, count, getDb, inRollback, type Q } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintFiles, sqlOf, TENANT_A, TENANT_B, textAt } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';

const ID = 'rls-disabled';
before(initParser);
after(closeAll);

/** Runs the migrations as the (non-superuser) owner; the superuser adds one invoice per tenant and grants SELECT. */
async function invoices(q: Q, sql: string): Promise<void> {
  await q(AUTH_STUB_SQL);
  await asOwner(q, sql);
  await q(`INSERT INTO invoices VALUES (1, '${TENANT_A}'), (2, '${TENANT_B}'); GRANT SELECT ON invoices TO authenticated;`);
}

async function visibleTo(q: Q, role: string, table: string): Promise<number> {
  await q(actAs(TENANT_A));
  await q(`SET ROLE ${role}`);
  const n = await count(q, table);
  await q('RESET ROLE');
  return n;
}

test('err: DISABLE as the last word: the policy is ignored and tenant A reads tenant B’s invoice; ENABLE restores it', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'DISABLE ROW LEVEL SECURITY');
  assert.match(finding.message, /ignores its policy \("invoices_tenant"\)/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await invoices(q, sqlOf(ws));
    assert.equal(await visibleTo(q, 'authenticated', 'invoices'), 2, 'with RLS disabled the policy does nothing');
  });
  const fixed = applyFix(ws, finding);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(db, async (q) => {
    await invoices(q, sqlOf(fixed));
    assert.equal(await visibleTo(q, 'authenticated', 'invoices'), 1, 'after ENABLE only tenant A’s invoice');
  });
});

test('err: NO FORCE as the last word: the owner sees every row (T13); FORCE makes it 0 (T13b)', async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.equal(textAt(ws, finding), 'NO FORCE ROW LEVEL SECURITY');
  assert.match(finding.message, /owner bypasses every policy/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await invoices(q, sqlOf(ws));
    assert.equal(await visibleTo(q, 'app_owner', 'invoices'), 2, 'owner bypasses RLS without FORCE');
    assert.equal(await visibleTo(q, 'authenticated', 'invoices'), 1, 'other roles are still filtered');
  });
  const fixed = applyFix(ws, finding);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(db, async (q) => {
    await invoices(q, sqlOf(fixed));
    assert.equal(await visibleTo(q, 'app_owner', 'invoices'), 0, 'with FORCE the owner has no policy and sees nothing');
  });
});

test('err: DISABLE on a never-forced table: the fix enables and forces it', async () => {
  const { ws, finding } = invalidFinding(ID, 2);
  const fixed = applyFix(ws, finding);
  const sql = sqlOf(fixed);
  assert.match(sql, /ALTER TABLE notes ENABLE ROW LEVEL SECURITY;\nALTER TABLE notes FORCE ROW LEVEL SECURITY;/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await asOwner(q, sqlOf(ws));
    const before = await q(`SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = 'notes'`);
    assert.deepEqual(before[0], { relrowsecurity: false, relforcerowsecurity: false });
  });
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await asOwner(q, sql);
    const after = await q(`SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = 'notes'`);
    assert.deepEqual(after[0], { relrowsecurity: true, relforcerowsecurity: true });
  });
});

test('err: a table the migrations only alter (storage.objects) is checked too', async () => {
  const { ws, finding } = invalidFinding(ID, 3);
  assert.match(finding.message, /storage\.objects/);
  const db = await getDb();
  const setup = `CREATE SCHEMA storage; GRANT USAGE, CREATE ON SCHEMA storage TO app_owner;`;
  const objects = `CREATE TABLE storage.objects (id int, bucket_id text); ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY;
    INSERT INTO storage.objects VALUES (1, 'avatars'), (2, 'invoices'); GRANT SELECT ON storage.objects TO authenticated;`;
  await inRollback(db, async (q) => {
    await q(setup);
    await asOwner(q, objects);
    await asOwner(q, sqlOf(ws));
    await q('GRANT USAGE ON SCHEMA storage TO authenticated; SET ROLE authenticated');
    assert.equal(await count(q, 'storage.objects'), 2, 'the private bucket is readable');
  });
  const fixed = applyFix(ws, finding);
  await inRollback(db, async (q) => {
    await q(setup);
    await asOwner(q, objects);
    await asOwner(q, sqlOf(fixed));
    await q('GRANT USAGE ON SCHEMA storage TO authenticated; SET ROLE authenticated');
    assert.equal(await count(q, 'storage.objects'), 1, 'only the avatars bucket');
  });
});

test('ok: no double report with rls-not-enabled, policy-on-table-without-rls or rls-not-forced', () => {
  const cases: Array<[string, string[]]> = [
    // never enabled, explicitly disabled: only rls-disabled
    ['CREATE TABLE t (id int); ALTER TABLE t DISABLE ROW LEVEL SECURITY;', [ID]],
    // policies, then disabled: only rls-disabled
    ['CREATE TABLE t (id int); ALTER TABLE t ENABLE ROW LEVEL SECURITY; CREATE POLICY p ON t FOR SELECT TO authenticated USING (id > 0); ALTER TABLE t DISABLE ROW LEVEL SECURITY;', [ID]],
    // enabled, NO FORCE: only rls-disabled (rls-not-forced leaves it)
    ['CREATE TABLE t (id int); ALTER TABLE t ENABLE ROW LEVEL SECURITY; ALTER TABLE t FORCE ROW LEVEL SECURITY; CREATE POLICY p ON t FOR SELECT TO authenticated USING (id > 0); ALTER TABLE t NO FORCE ROW LEVEL SECURITY;', [ID]],
    // disabled then enabled and forced again: nothing
    ['CREATE TABLE t (id int); ALTER TABLE t DISABLE ROW LEVEL SECURITY; ALTER TABLE t ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY; CREATE POLICY p ON t FOR SELECT TO authenticated USING (id > 0);', []],
  ];
  const related = new Set([ID, 'rls-not-enabled', 'policy-on-table-without-rls', 'rls-not-forced']);
  for (const [sql, expected] of cases) {
    const { findings } = lintFiles([{ file: 'm.sql', text: sql }], ID);
    assert.deepEqual(findings.filter((f) => related.has(f.rule)).map((f) => f.rule), expected, sql);
  }
});

test("err: a DO block's loop over a literal array disabling RLS through EXECUTE format (trinketstore's V17): tenant A reads B's invoice; the fix enables it in the loop", async () => {
  const { ex } = invalidFinding(ID, 0);
  const text = ex.files[0]!.text.replace(
    'ALTER TABLE invoices DISABLE ROW LEVEL SECURITY;',
    () => `DO $$
DECLARE
  t text;
  tables text[] := ARRAY['invoices'];
BEGIN
  FOREACH t IN ARRAY tables LOOP
    EXECUTE format('ALTER TABLE public.%I DISABLE ROW LEVEL SECURITY', t);
  END LOOP;
  FOR t IN SELECT unnest(ARRAY['invoices']) LOOP
    EXECUTE format('ALTER TABLE %I NO FORCE ROW LEVEL SECURITY', t);
  END LOOP;
END $$;`,
  );
  const { ws, mine } = lintFiles([{ file: 'file:///m/1_invoices.sql', text }], ID);
  // (the NO FORCE after it matters once RLS is enabled again: reported then)
  assert.deepEqual(
    mine.map((f) => textAt(ws, f)),
    ['DISABLE ROW LEVEL SECURITY'],
  );
  const db = await getDb();
  await inRollback(db, async (q) => {
    await invoices(q, sqlOf(ws));
    assert.deepEqual(await q(`SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = 'invoices'`), [{ relrowsecurity: false, relforcerowsecurity: false }]);
    assert.equal(await visibleTo(q, 'authenticated', 'invoices'), 2, 'the loop disabled RLS: the policy does nothing');
  });
  const fixed = applyFix(ws, mine[0]!);
  assert.match(sqlOf(fixed), /format\('ALTER TABLE public\.%I ENABLE ROW LEVEL SECURITY', t\)/);
  assert.deepEqual(findingsOf(fixed, ID).map((f) => textAt(fixed, f)), ['NO FORCE ROW LEVEL SECURITY']);
  await inRollback(db, async (q) => {
    await invoices(q, sqlOf(fixed));
    assert.equal(await visibleTo(q, 'authenticated', 'invoices'), 1, 'after the fix only tenant A’s invoice');
  });
  // a loop whose EXECUTE runs only under a condition, or over a catalog query, is not followed
  const conditional = text.replace("EXECUTE format('ALTER TABLE public.%I DISABLE ROW LEVEL SECURITY', t);", () => "IF t <> 'x' THEN EXECUTE format('ALTER TABLE public.%I DISABLE ROW LEVEL SECURITY', t); END IF;");
  assert.equal(lintFiles([{ file: 'file:///m/1_invoices.sql', text: conditional }], ID).mine.filter((f) => /DISABLE/.test(f.message)).length, 0);
});

test("err: a DO loop over pg_tables disabling RLS on every table of public (drive-247) is the last word on each RLS table made before it, but one it leaves out or one made later; no fix is offered (it would enable RLS on every table), and anon reads every row", async () => {
  const before = `CREATE TABLE public.blacklist (id int PRIMARY KEY, tenant_id uuid, who text);
ALTER TABLE public.blacklist ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_reads ON public.blacklist FOR SELECT TO anon, authenticated USING (tenant_id = (select auth.uid()));
CREATE TABLE public.kept (id int PRIMARY KEY);
ALTER TABLE public.kept ENABLE ROW LEVEL SECURITY;
CREATE POLICY kept_read ON public.kept FOR SELECT USING (true);
CREATE TABLE public.plain (id int PRIMARY KEY);
GRANT SELECT ON public.blacklist TO anon;
`;
  const loop = `DO $$
DECLARE tbl RECORD;
BEGIN
  FOR tbl IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'kept' LOOP
    EXECUTE format('ALTER TABLE public.%I DISABLE ROW LEVEL SECURITY', tbl.tablename);
  END LOOP;
END $$;
`;
  const after = `CREATE TABLE public.later (id int PRIMARY KEY, owner uuid);
ALTER TABLE public.later ENABLE ROW LEVEL SECURITY;
CREATE POLICY later_read ON public.later FOR SELECT USING (owner = (select auth.uid()));
`;
  const files = [before, loop, after].map((text, i) => ({ file: `supabase/migrations/2026020912000${i}_m.sql`, text }));
  const { mine } = lintFiles(files, ID);
  assert.deepEqual(mine.map((f) => /on (public\.\w+)/.exec(f.message)?.[1]), ['public.blacklist']);
  assert.match(mine[0]!.message, /The loop runs it for every table of the schema it reads from the catalog: after it, add ALTER TABLE public\.blacklist ENABLE ROW LEVEL SECURITY/);
  assert.deepEqual(mine[0]!.fixes, []);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(files.map((f) => f.text).join('\n'));
    const rls = await q(`SELECT relname, relrowsecurity FROM pg_class WHERE relname IN ('blacklist', 'kept', 'plain', 'later') ORDER BY relname`);
    assert.deepEqual(rls.map((r) => [r.relname, r.relrowsecurity]), [['blacklist', false], ['kept', true], ['later', true], ['plain', false]]);
    await q(`INSERT INTO public.blacklist VALUES (1, '${TENANT_A}', 'a'), (2, '${TENANT_B}', 'b'); SET ROLE anon`);
    assert.equal(await count(q, 'public.blacklist'), 2, "anon reads every tenant's row");
  });
});

test("ok: an ALTER TABLE IF EXISTS … DISABLE ROW LEVEL SECURITY before the table's CREATE TABLE (event-spark-plan's quote_items) finds no table and does nothing to the one made later, whose ENABLE stands", async () => {
  const early = 'ALTER TABLE IF EXISTS public.quote_items DISABLE ROW LEVEL SECURITY;\n';
  const made = `CREATE TABLE public.quote_items (id int PRIMARY KEY, user_id uuid);
ALTER TABLE public.quote_items ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON public.quote_items FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
`;
  const files = [
    { file: 'supabase/migrations/20250102000000_b.sql', text: early },
    { file: 'supabase/migrations/20250103000000_c.sql', text: made },
  ];
  assert.equal(lintFiles(files, ID).mine.length, 0);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(early + made);
    assert.deepEqual(await q(`SELECT relrowsecurity FROM pg_class WHERE relname = 'quote_items'`), [{ relrowsecurity: true }]);
  });
});

test("err: the same loop with its ALTER TABLE made with || (`'ALTER TABLE public.' || quote_ident(r.tablename) || ' DISABLE …'`): the loop's finding, at its DISABLE; no fix; PGlite: RLS off", async () => {
  const text = `CREATE TABLE public.notes (id int PRIMARY KEY, owner uuid);
ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_notes ON public.notes FOR SELECT USING (owner = (select auth.uid()));
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
    EXECUTE 'ALTER TABLE public.' || quote_ident(r.tablename) || ' DISABLE ROW LEVEL SECURITY';
  END LOOP;
END $$;
`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/20260209120000_m.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /The loop runs it for every table of the schema it reads from the catalog: after it, add ALTER TABLE public\.notes ENABLE ROW LEVEL SECURITY/);
  assert.equal(mine[0]!.start, text.indexOf('DISABLE ROW LEVEL SECURITY'));
  assert.deepEqual(mine[0]!.fixes, []);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(text);
    assert.deepEqual((await q(`SELECT relrowsecurity FROM pg_class WHERE relname = 'notes'`)).map((r) => r.relrowsecurity), [false]);
  });
});

test("err: a DO block running `EXECUTE 'ALTER TABLE public.notes DISABLE ROW LEVEL SECURITY'` (a string with no variable) disables RLS as the statement itself would: the finding, at its DISABLE; PGlite: RLS off, the policy ignored; the fix writes ENABLE in the string: RLS on, the policy filters", async () => {
  const text = `CREATE TABLE public.notes (id int PRIMARY KEY, owner uuid);
ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_notes ON public.notes FOR SELECT USING (owner = (select auth.uid()));
DO $$
BEGIN
  EXECUTE 'ALTER TABLE public.notes DISABLE ROW LEVEL SECURITY';
END $$;
`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20260209120000_m.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /DISABLE ROW LEVEL SECURITY is the last word on public\.notes/);
  assert.equal(mine[0]!.start, text.indexOf('DISABLE ROW LEVEL SECURITY'));
  const fixed = applyFix(ws, mine[0]!);
  assert.match(sqlOf(fixed), /EXECUTE 'ALTER TABLE public\.notes ENABLE ROW LEVEL SECURITY';/);
  assert.deepEqual(findingsOf(fixed, ID), []);
  for (const [sql, seen] of [[text, 2], [sqlOf(fixed), 1]] as const) {
    await inRollback(await getDb(), async (q) => {
      await q(AUTH_STUB_SQL);
      await q(sql);
      await q(`INSERT INTO notes VALUES (1, '${TENANT_A}'), (2, '${TENANT_B}'); GRANT SELECT ON notes TO authenticated;`);
      assert.equal(await visibleTo(q, 'authenticated', 'notes'), seen, seen === 2 ? 'RLS off: the policy does nothing' : 'RLS on: the policy filters');
    });
  }
});

// Calibration cal112 (Go backends): tern (jackc/tern) keeps both halves of a migration in one
// file and splits it at `---- create above / drop below ----`; `tern migrate` runs only what is
// above. The half below was replayed as if it ran: its DISABLE was "the last word" on the table.
test("ok: tern's `---- create above / drop below ----`: the down half is not replayed (no finding on its DISABLE; syntax errors there are said to be in it); PGlite: what tern runs leaves RLS on and the policy filtering", async () => {
  const up = `CREATE TABLE invoices (id int PRIMARY KEY, tenant_id uuid NOT NULL);
ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
CREATE POLICY invoices_own ON invoices FOR SELECT TO authenticated USING (tenant_id = (select auth.uid()));
`;
  const down = `DROP POLICY invoices_own ON invoices;
ALTER TABLE invoices DISABLE ROW LEVEL SECURITY;
`;
  const text = `${up}\n---- create above / drop below ----\n\n${down}`;
  const { findings, mine } = lintFiles([{ file: 'migrations/001_invoices.sql', text }], ID);
  assert.deepEqual(mine, []);
  assert.equal(findings.filter((f) => f.rule === 'rls-enabled-without-policy' || f.rule === 'policy-on-table-without-rls').length, 0);
  // (a syntax error below the marker is one of the rollback's)
  const broken = lintFiles([{ file: 'migrations/001_invoices.sql', text: `${text}DROP TABEL invoices;\n` }], 'syntax-error').mine;
  assert.equal(broken.length, 1);
  assert.match(broken[0]!.message, /in the file's `---- create above \/ drop below ----` section, which migrating up does not run/);
  // (in a Supabase migration the CLI runs the whole file: the DISABLE stands)
  assert.equal(lintFiles([{ file: 'supabase/migrations/20240101000000_invoices.sql', text }], ID).mine.length, 1);
  await inRollback(await getDb(), async (q) => {
    await invoices(q, text.split('---- create above / drop below ----')[0]!);
    assert.deepEqual(await q(`SELECT relrowsecurity FROM pg_class WHERE relname = 'invoices'`), [{ relrowsecurity: true }]);
    await q(actAs(TENANT_A));
    assert.equal(await visibleTo(q, 'authenticated', 'invoices'), 1, 'the policy filters: one invoice of two');
  });
});
