// definer-helper-under-force-rls on PostgreSQL (PGlite): a SECURITY DEFINER helper owned by the
// non-superuser owner of a FORCE'd table reads the table through its policies. With the policy
// only TO authenticated the helper sees no rows and every row is denied without an error
// (T06b); with a policy that applies to the owner too it recurses (T06: 54001, PGlite's
// instance dies). The fix (the helper owned by a BYPASSRLS role) gives the intended rows.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { asOwner, closeAll, count, expectRecursionGap, getDb, inRollback, tryQuery, type Q } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintDocExample, lintFiles, sqlOf, TENANT_A, TENANT_B } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';

const ID = 'definer-helper-under-force-rls';
before(initParser);
after(closeAll);

const A = '00000000-0000-0000-0000-0000000000a1';
const A2 = '00000000-0000-0000-0000-0000000000a2';
const B = '00000000-0000-0000-0000-0000000000b1';

/** Runs the example (as `owner`, or as the superuser for 'postgres'), adds three memberships and acts as A. */
async function setup(q: Q, sql: string, owner = 'app_owner'): Promise<void> {
  await q(AUTH_STUB_SQL);
  if (owner === 'postgres') await q(sql);
  else await asOwner(q, sql, owner);
  await q(`INSERT INTO org_members VALUES ('${TENANT_A}', '${A}'), ('${TENANT_A}', '${A2}'), ('${TENANT_B}', '${B}')`);
  await q(actAs(A));
}

async function visible(q: Q): Promise<number> {
  await q('SET ROLE authenticated');
  const n = await count(q, 'org_members');
  await q('RESET ROLE');
  return n;
}

/** The SQL the fix inserts (CREATE ROLE … BYPASSRLS and ALTER FUNCTION … OWNER TO need a superuser). */
function fixText(finding: { fixes: Array<{ edits: Array<{ newText: string }> }> }): string {
  return finding.fixes[0]!.edits.map((e) => e.newText).join('\n');
}

test('err: T06b the helper owned by the non-superuser table owner sees no rows: every row denied; the BYPASSRLS owner fix works', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.match(finding.message, /nothing in the workspace shows the function's owner .* is a superuser or has BYPASSRLS/);
  assert.match(finding.message, /54001 stack depth limit exceeded \(T06\); otherwise the read sees no rows and the policy silently denies every row \(T06b\)/);
  // (the table by its key, schema-qualified, though its CREATE TABLE writes org_members: in the message, its related notes and the fix alike)
  assert.match(finding.message, /^Policy "[^"]+" on public\.org_members calls is_org_member\(\), a SECURITY DEFINER function that reads public\.org_members, and public\.org_members has FORCE ROW LEVEL SECURITY/);
  assert.doesNotMatch(finding.message, /[^.]\borg_members\b/);
  assert.deepEqual(finding.related.map((r) => r.message).slice(0, 2), ['is_org_member() is SECURITY DEFINER and reads public.org_members', 'FORCE ROW LEVEL SECURITY on public.org_members']);
  assert.equal(finding.fixes[0]!.kind, 'unsafe');
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /-- FORCE ROW LEVEL SECURITY applies the policies of public\.org_members to the owner of is_org_member\(\) too/);
  assert.match(sqlOf(fixed), /CREATE ROLE rls_helper_owner NOLOGIN BYPASSRLS;\nGRANT SELECT ON public\.org_members TO rls_helper_owner;\nALTER FUNCTION public\.is_org_member\(uuid\) OWNER TO rls_helper_owner;/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  assert.equal(findingsOf(fixed, 'policy-recursion').length, 0);

  const db = await getDb();
  await inRollback(db, async (q) => {
    await setup(q, sqlOf(ws));
    assert.equal((await q("SELECT proowner::regrole::text AS o FROM pg_proc WHERE proname = 'is_org_member'"))[0]!.o, 'app_owner');
    assert.equal(await visible(q), 0, 'T06b: A sees none of the two members of its org');
  });
  await inRollback(db, async (q) => {
    await setup(q, sqlOf(ws));
    await q(fixText(finding)); // as the superuser
    assert.equal((await q("SELECT proowner::regrole::text AS o FROM pg_proc WHERE proname = 'is_org_member'"))[0]!.o, 'rls_helper_owner');
    assert.equal(await visible(q), 2, 'A sees the two members of its org');
    await q(actAs(B));
    assert.equal(await visible(q), 1);
  });
});

test('err: T06 the same helper with a policy that applies to the owner too recurses (PGlite: the instance dies)', async () => {
  const { ex } = invalidFinding(ID, 0);
  const sql = ex.sql.replace('FOR SELECT TO authenticated', 'FOR SELECT TO authenticated, app_owner');
  // still this rule's finding: the owner is not shown, so the workspace cannot tell which case it is
  assert.equal(lintFiles([{ file: 'm.sql', text: sql }], ID).mine.length, 1);
  await expectRecursionGap((q) => setup(q, sql), visible);
  // shown as owned by that ordinary role, the same workspace is policy-recursion's (T06)
  const shown = `CREATE ROLE app_owner NOLOGIN;\n${sql}\nALTER TABLE org_members OWNER TO app_owner;\nALTER FUNCTION is_org_member(uuid) OWNER TO app_owner;`;
  assert.equal(lintFiles([{ file: 'm.sql', text: shown }], ID).mine.length, 0);
  assert.equal(lintFiles([{ file: 'm.sql', text: shown }], 'policy-recursion').mine.length, 1);
});

test('err: a shown ordinary owner no policy applies to: T06b stated as fact; fixed', async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.match(finding.message, /Its owner app_owner is neither a superuser nor BYPASSRLS: no policy of public\.org_members applies to app_owner, so the function's read sees no rows.*\(T06b\)/);
  const strip = (s: string) => s.replace('CREATE ROLE app_owner NOLOGIN;', '');
  const db = await getDb();
  await inRollback(db, async (q) => {
    await setup(q, strip(sqlOf(ws)), 'postgres');
    assert.equal(await visible(q), 0);
  });
  const fixed = applyFix(ws, finding);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(db, async (q) => {
    await setup(q, strip(sqlOf(fixed)), 'postgres');
    assert.equal(await visible(q), 2);
  });
});

test('ok: not reported: Supabase layout, a BYPASSRLS owner, the setting, no FORCE, an invoker helper', async () => {
  for (const n of [0, 1, 2, 3, 4]) assert.equal(lintDocExample(ID, 'valid', n).mine.length, 0, `Valid example ${n + 1}`);
  const base = invalidFinding(ID, 0).ex.files[0]!.text;
  assert.equal(lintFiles([{ file: 'supabase/migrations/1_x.sql', text: base }], ID).mine.length, 0);
  assert.equal(lintFiles([{ file: 'm.sql', text: base.replace('SECURITY DEFINER ', '') }], ID).mine.length, 0);
  // the BYPASSRLS owner (Valid 2) works on PGlite: 2 rows
  const { ex } = lintDocExample(ID, 'valid', 1);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await setup(q, ex.sql, 'postgres');
    assert.equal(await visible(q), 2);
  });
});

test('ok: beside a permissive USING (true) for the same command and roles the helper is never called (PostgreSQL folds `true OR …`): not reported; its WITH CHECK still counts', async () => {
  const base = invalidFinding(ID, 0).ex.files[0]!.text;
  const open = `${base}\nCREATE POLICY org_members_all ON org_members FOR SELECT TO authenticated USING (true);`;
  assert.equal(lintFiles([{ file: 'm.sql', text: open }], ID).mine.length, 0);
  // a command or a role the true policy leaves out: still reported
  assert.equal(lintFiles([{ file: 'm.sql', text: `${base}\nCREATE POLICY org_members_all ON org_members FOR SELECT TO anon USING (true);` }], ID).mine.length, 1);
  assert.equal(lintFiles([{ file: 'm.sql', text: `${base}\nCREATE POLICY org_members_all ON org_members AS RESTRICTIVE FOR SELECT TO authenticated USING (true);` }], ID).mine.length, 1);
  // the helper in an INSERT check is called for each new row, whatever SELECT policies say
  const check = `${open}\nCREATE POLICY org_members_join ON org_members FOR INSERT TO authenticated WITH CHECK (is_org_member(org_id));`;
  assert.equal(lintFiles([{ file: 'm.sql', text: check }], ID).mine.length, 1);
  // PGlite, as the non-superuser owner (T06b alone: 0 rows): every row, no error — the helper is not run
  const db = await getDb();
  await inRollback(db, async (q) => {
    await setup(q, open);
    assert.equal(await visible(q), 3);
  });
});

test("err: the helper has SET row_security = off: its read fails with 42501 (T08) instead of recursing or seeing no rows, and the message says so", async () => {
  // saas-multitenant-template's app_current_role(): LANGUAGE sql STABLE SECURITY DEFINER SET row_security = off,
  // reading memberships, FORCE'd, whose policies call it; the owner is not shown
  const base = invalidFinding(ID, 0).ex.files[0]!.text;
  const off = base.replace('SECURITY DEFINER SET search_path', 'SECURITY DEFINER SET row_security = off SET search_path');
  assert.notEqual(off, base);
  const mine = lintFiles([{ file: 'm.sql', text: off }], ID).mine;
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /its SET row_security = off makes that read fail: each call raises 42501 query would be affected by row-level security policy for table public\.org_members \(T08\)/);
  assert.doesNotMatch(mine[0]!.message, /54001|T06b/);
  // PGlite, as the non-superuser owner: 42501, with no policy for the owner (T06b's shape) and with one (T06's)
  const db = await getDb();
  for (const sql of [off, off.replace('FOR SELECT TO authenticated', 'FOR SELECT TO authenticated, app_owner')]) {
    await inRollback(db, async (q) => {
      await setup(q, sql);
      await q('SET ROLE authenticated');
      const r = await tryQuery(q, 'SELECT count(*) FROM org_members');
      assert.equal(r.ok ? 'ok' : r.error.code, '42501');
      assert.match(r.ok ? '' : r.error.message, /query would be affected by row-level security policy for table "org_members"/);
    });
  }
  // the BYPASSRLS owner of the fix: the clause changes nothing, 2 rows
  assert.match(fixText(mine[0]!), /-- that owner bypasses RLS, the function's read fails under its SET row_security = off \(T08: 42501\)\./);
  await inRollback(db, async (q) => {
    await setup(q, off);
    await q(fixText(mine[0]!));
    assert.equal(await visible(q), 2);
  });
  // the ordinary owner shown: the same, stated as fact
  const shown = invalidFinding(ID, 1).ex.files[0]!.text.replace('SECURITY DEFINER SET search_path', 'SECURITY DEFINER SET row_security = off SET search_path');
  const [f] = lintFiles([{ file: 'm.sql', text: shown }], ID).mine;
  assert.match(f!.message, /Its owner app_owner is neither a superuser nor BYPASSRLS: its SET row_security = off makes that read fail: each call raises 42501/);
  // rls-not-forced's note on FORCE, before the table is forced
  const unforced = off.replace('ALTER TABLE org_members FORCE ROW LEVEL SECURITY;\n', '');
  const [nf] = lintFiles([{ file: 'm.sql', text: unforced }], 'rls-not-forced').mine;
  assert.match(nf!.message, /under its SET row_security = off that read would fail with 42501 query would be affected by row-level security policy \(T08\)/);
});

/** Projects of A's org (two) and of B's (one), then acting as A. */
async function projects(q: Q): Promise<void> {
  await q(`INSERT INTO projects VALUES (1, '${TENANT_A}', 'a1'), (2, '${TENANT_A}', 'a2'), (3, '${TENANT_B}', 'b1')`);
  await q(actAs(A));
}
async function visibleProjects(q: Q): Promise<number> {
  await q('SET ROLE authenticated');
  const n = await count(q, 'projects');
  await q('RESET ROLE');
  return n;
}

test("err: T06b across tables: the policy on projects calls a definer reading the FORCE'd org_members, whose policies are all for authenticated: A sees none of its projects; fixed", async () => {
  const { ws, finding } = invalidFinding(ID, 2);
  assert.equal(finding.message,
    'Policy "projects_read" on public.projects calls is_org_member(), a SECURITY DEFINER function that reads public.org_members, and public.org_members has FORCE ROW LEVEL SECURITY, ' +
      "which applies its policies to the function's owner too. Here nothing in the workspace shows the function's owner (the role that ran this migration, unless changed) is a superuser or has BYPASSRLS (setting definerOwnerBypassesRls). " +
      "Unless it is, no policy of public.org_members applies to that owner (its SELECT policies are for authenticated), so the function's read sees no rows: is_org_member() answers as if public.org_members were empty, " +
      'and a row of public.projects the policy would admit only through this call is filtered out without an error (T06b). ' +
      'Have the function owned by a role with BYPASSRLS (or a superuser), or set definerOwnerBypassesRls to true if it already is.');
  assert.deepEqual(finding.related.map((r) => r.message), ['is_org_member() is SECURITY DEFINER and reads public.org_members', 'FORCE ROW LEVEL SECURITY on public.org_members']);
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /GRANT SELECT ON public\.org_members TO rls_helper_owner;\nALTER FUNCTION public\.is_org_member\(uuid\) OWNER TO rls_helper_owner;/);
  assert.deepEqual(findingsOf(fixed, ID), []);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await setup(q, sqlOf(ws));
    await projects(q);
    assert.equal(await visibleProjects(q), 0, 'T06b: A sees none of the two projects of its org');
    // (and a write its WITH CHECK admits only through the helper fails)
    await q(`CREATE POLICY projects_add ON projects FOR INSERT TO authenticated WITH CHECK (is_org_member(org_id))`);
    await q('GRANT INSERT ON projects TO authenticated');
    await q('SET ROLE authenticated');
    const w = await tryQuery(q, `INSERT INTO projects VALUES (4, '${TENANT_A}', 'a3')`);
    assert.equal(w.ok ? 'ok' : `${w.error.code} ${w.error.message}`, '42501 new row violates row-level security policy for table "projects"');
    await q('RESET ROLE');
  });
  await inRollback(db, async (q) => {
    await setup(q, sqlOf(ws));
    await q(fixText(finding)); // as the superuser
    await projects(q);
    assert.equal(await visibleProjects(q), 2);
  });
});

test('ok: across tables, a policy of the table read applies to the owner (PUBLIC): not reported, and the helper answers right; one finding for many calling tables; 42501 under row_security off', async () => {
  const { ex, mine } = lintDocExample(ID, 'valid', 5);
  assert.equal(mine.length, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await setup(q, ex.sql);
    await projects(q);
    assert.equal(await visibleProjects(q), 2, "the owner's read sees A's own memberships through the PUBLIC policy");
  });
  const base = invalidFinding(ID, 2).ex.sql;
  const more = `${base}\nCREATE TABLE tasks (id bigint PRIMARY KEY, org_id uuid NOT NULL);\nALTER TABLE tasks ENABLE ROW LEVEL SECURITY;\nCREATE POLICY tasks_write ON tasks FOR INSERT TO authenticated WITH CHECK (is_org_member(org_id));\n`;
  const two = lintFiles([{ file: 'm.sql', text: more }], ID).mine;
  assert.equal(two.length, 1);
  assert.match(two[0]!.message, /filtered out without an error \(T06b\)\. The policies of public\.tasks call it too, with the same result\. Have/);
  const off = lintFiles([{ file: 'm.sql', text: base.replace('SET search_path = public, pg_temp AS', 'SET search_path = public, pg_temp SET row_security = off AS') }], ID).mine;
  assert.equal(off.length, 1);
  assert.match(off[0]!.message, /its SET row_security = off makes that read fail: each call raises 42501 query would be affected by row-level security policy for table public\.org_members \(T08\), and so does every statement that evaluates the policy for a row of public\.projects\./);
  await inRollback(db, async (q) => {
    await setup(q, base.replace('SET search_path = public, pg_temp AS', 'SET search_path = public, pg_temp SET row_security = off AS'));
    await projects(q);
    await q('SET ROLE authenticated');
    const r = await tryQuery(q, 'SELECT count(*) FROM projects');
    assert.equal(r.ok ? 'ok' : `${r.error.code} ${r.error.message}`, '42501 query would be affected by row-level security policy for table "org_members"');
    await q('RESET ROLE');
  });
  // (the Supabase layout assumes the owner bypasses RLS, as for the same-table case)
  assert.equal(lintFiles([{ file: 'supabase/migrations/1_x.sql', text: base }], ID).mine.length, 0);
});
