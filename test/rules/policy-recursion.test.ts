// policy-recursion on PostgreSQL (PGlite): each Invalid example of the doc fails the way the
// message says — 42P17 for a self-read (T01), an INSERT policy reading its table while the
// SELECT policy has a sub-select (T31) and a cycle across tables and files (T25); the instance
// dies (PGlite's stand-in for 54001, test/helpers/pg.ts) for an invoker helper (T05) and a
// definer helper owned by an ordinary role under FORCE (T06). The T32/T33 examples are clean
// statically and work on PGlite; each fix re-lints clean, executes and filters correctly.
//
// The Supabase-layout examples run as `bypass_owner` (a non-superuser with BYPASSRLS, like
// Supabase's `postgres`): tables and helpers are owned by it, and `authenticated` queries.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { asOwner, closeAll, count, expectPgError, expectRecursionGap, getDb, inRollback, type Q, tryQuery } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintDocExample, lintFiles, sqlOf, TENANT_A, TENANT_B } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';

const ID = 'policy-recursion';
before(initParser);
after(closeAll);

const ORG_X = TENANT_A;
const ORG_Y = TENANT_B;
const A = '00000000-0000-0000-0000-0000000000a1'; // admin of X
const A2 = '00000000-0000-0000-0000-0000000000a2'; // member of X
const B = '00000000-0000-0000-0000-0000000000b1'; // member of Y
const NEW = '00000000-0000-0000-0000-0000000000c1';

/** The example as `owner`, three memberships (inserted as the superuser), grants, and acting as user A. */
async function orgSetup(q: Q, sql: string, opts: { owner?: string; role?: boolean } = {}): Promise<void> {
  await q(AUTH_STUB_SQL);
  if (opts.owner === 'postgres') await q(sql);
  else await asOwner(q, sql, opts.owner ?? 'bypass_owner');
  const rows =
    opts.role === false
      ? `INSERT INTO org_members (org_id, user_id) VALUES ('${ORG_X}', '${A}'), ('${ORG_X}', '${A2}'), ('${ORG_Y}', '${B}')`
      : `INSERT INTO org_members (org_id, user_id, role) VALUES ('${ORG_X}', '${A}', 'admin'), ('${ORG_X}', '${A2}', 'member'), ('${ORG_Y}', '${B}', 'member')`;
  await q(rows);
  await q('GRANT SELECT, INSERT ON org_members TO authenticated');
  await q(actAs(A));
}

/** A case that kills PGlite (54001 on a real server): the authenticated role reading `probe`, on a fresh instance. */
const expectGapReading = (setup: (q: Q) => Promise<void>, probe: string) =>
  expectRecursionGap(async (q) => (await setup(q), await q('SET ROLE authenticated')), (q) => count(q, probe));

test('err: T01 a SELECT policy reading its own table: 42P17; the fix moves the sub-select into a definer helper', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.match(finding.message, /42P17 infinite recursion detected in policy for relation "org_members".*\(T01\)/);
  assert.equal(finding.fixes[0]!.kind, 'unsafe');
  const fixed = applyFix(ws, finding);
  const sql = sqlOf(fixed);
  assert.match(sql, /CREATE FUNCTION org_members_read_check\(_org_id uuid\) RETURNS boolean\nLANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS \$\$/);
  assert.match(sql, /RETURN _org_id IN \(SELECT org_id FROM org_members WHERE user_id = \(select auth\.uid\(\)\)\);/);
  assert.match(sql, /REVOKE EXECUTE ON FUNCTION org_members_read_check\(uuid\) FROM PUBLIC, anon;\nGRANT EXECUTE ON FUNCTION org_members_read_check\(uuid\) TO authenticated;\nCREATE POLICY/);
  assert.match(sql, /USING \(org_members_read_check\(org_id\)\)/);
  assert.equal(findingsOf(fixed, ID).length, 0);

  const db = await getDb();
  await inRollback(db, async (q) => {
    await orgSetup(q, sqlOf(ws));
    await q('SET ROLE authenticated');
    const r = await tryQuery(q, 'SELECT count(*) FROM org_members');
    assert.equal(r.ok ? 'no error' : r.error.message, 'infinite recursion detected in policy for relation "org_members"');
  });
  await inRollback(db, async (q) => {
    await orgSetup(q, sql);
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'org_members'), 2, 'A sees the two members of org X');
    await q(actAs(B));
    assert.equal(await count(q, 'org_members'), 1, 'B sees the one member of org Y');
  });
});

test('err: T31 an INSERT policy reading its table while the SELECT policy has (select auth.uid()): 42P17 on INSERT only; fixed', async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.match(finding.message, /on every INSERT.*\(T31\)/);
  assert.match(finding.message, /SELECT policy "org_members_read" contains a sub-select/);
  assert.equal(finding.related.some((r) => /SELECT policy "org_members_read"/.test(r.message)), true);
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /RETURN EXISTS \(SELECT 1 FROM org_members m\s+WHERE m\.org_id = _org_id AND/);
  assert.match(sqlOf(fixed), /WITH CHECK \(org_members_invite_check\(org_id\)\)/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  const insert = (org: string) => `INSERT INTO org_members (org_id, user_id) VALUES ('${org}', '${NEW}')`;

  const db = await getDb();
  await inRollback(db, async (q) => {
    await orgSetup(q, sqlOf(ws));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'org_members'), 1, 'SELECT works: A sees its own row');
    const r = await tryQuery(q, insert(ORG_X));
    assert.equal(r.ok ? 'no error' : `${r.error.code} ${r.error.message}`, '42P17 infinite recursion detected in policy for relation "org_members"');
  });
  await inRollback(db, async (q) => {
    await orgSetup(q, sqlOf(fixed));
    await q('SET ROLE authenticated');
    await q(insert(ORG_X)); // A is an admin of X
    const r = await tryQuery(q, insert(ORG_Y)); // …not of Y
    assert.equal(r.ok ? 'no error' : r.error.code, '42501');
    await q('RESET ROLE');
    assert.equal(await count(q, `SELECT 1 FROM org_members WHERE user_id = '${NEW}'`), 1);
  });
});

test('ok: T32 and T33 are clean statically and the INSERT works on PGlite', async () => {
  for (const n of [0, 1]) {
    const { ex, mine } = lintDocExample(ID, 'valid', n);
    assert.equal(mine.length, 0, `Valid example ${n + 1}`);
    const db = await getDb();
    await inRollback(db, async (q) => {
      await orgSetup(q, ex.sql);
      await q('SET ROLE authenticated');
      await q(`INSERT INTO org_members (org_id, user_id) VALUES ('${ORG_X}', '${NEW}')`);
      const r = await tryQuery(q, `INSERT INTO org_members (org_id, user_id) VALUES ('${ORG_Y}', '${NEW}')`);
      assert.equal(r.ok ? 'no error' : r.error.code, '42501', 'A is not an admin of Y');
      // T32: A sees its own row; T33: the members of its org (now three)
      assert.equal(await count(q, 'org_members'), n === 0 ? 1 : 3);
    });
  }
});

test('err: T31 interplay: wrapping auth.uid() of the T32 SELECT policy in (select …) creates the recursion', () => {
  const { ex } = lintDocExample(ID, 'valid', 0);
  const text = ex.files[0]!.text.replace('USING (user_id = auth.uid())', 'USING (user_id = (select auth.uid()))');
  const { mine } = lintFiles([{ file: ex.files[0]!.file, text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /\(T31\)/);
  // and policy-per-row-function does not offer that wrap on the T32 example
  const ppr = lintDocExample(ID, 'valid', 0).findings.filter((f) => f.rule === 'policy-per-row-function');
  assert.equal(ppr.length, 1);
  assert.equal(ppr[0]!.fixes.length, 0);
});

test('err: T25 a cycle across tables and files: 42P17, the chain names both policies and points into each file; fixed', async () => {
  const { ws, finding } = invalidFinding(ID, 2);
  assert.equal(finding.file, 'supabase/migrations/3_projects_policy.sql');
  assert.match(finding.message, /policy "projects_read" on projects \(3_projects_policy\.sql:1\) reads project_members in a sub-select → policy "project_members_read" on project_members \(2_project_members\.sql:9\) reads projects in a sub-select/);
  assert.match(finding.message, /\(T25\)/);
  assert.ok(finding.related.some((r) => r.file === 'supabase/migrations/2_project_members.sql'), 'related location in the other file');
  const fixed = applyFix(ws, finding);
  assert.equal(findingsOf(fixed, ID).length, 0);
  const data = async (q: Q) => {
    await q(`INSERT INTO projects VALUES (1, '${A}', 'a'), (2, '${B}', 'b'), (3, '${B}', 'c')`);
    await q(`INSERT INTO project_members VALUES (2, '${A}')`);
    await q('GRANT SELECT ON projects, project_members TO authenticated');
    await q(actAs(A));
  };
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await asOwner(q, sqlOf(ws), 'bypass_owner');
    await data(q);
    await q('SET ROLE authenticated');
    const r = await tryQuery(q, 'SELECT count(*) FROM projects');
    assert.equal(r.ok ? 'no error' : `${r.error.code} ${r.error.message}`, '42P17 infinite recursion detected in policy for relation "projects"');
  });
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await asOwner(q, sqlOf(fixed), 'bypass_owner');
    await data(q);
    await q('SET ROLE authenticated');
    assert.deepEqual((await q('SELECT id FROM projects ORDER BY id')).map((r) => r.id), [2], 'A sees the project it is a member of');
    await q(actAs(B));
    assert.equal(await count(q, 'projects'), 0, 'B is a member of none');
  });
});

test('err: T05 an invoker helper reading the table: the instance dies (54001); the definer fix works', async () => {
  const { ws, finding } = invalidFinding(ID, 3);
  assert.match(finding.message, /a SECURITY INVOKER function whose query reads org_members as the caller.*54001 stack depth limit exceeded.*\(T05\)/);
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /ALTER FUNCTION public\.is_org_member\(uuid\) SECURITY DEFINER SET search_path = public, pg_temp;\nREVOKE EXECUTE ON FUNCTION public\.is_org_member\(uuid\) FROM PUBLIC, anon;\nGRANT EXECUTE ON FUNCTION public\.is_org_member\(uuid\) TO authenticated;/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await expectGapReading((q) => orgSetup(q, sqlOf(ws)), 'org_members');
  const db = await getDb();
  await inRollback(db, async (q) => {
    await orgSetup(q, sqlOf(fixed));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'org_members'), 2);
  });
});

test('err: T06 a definer helper owned by an ordinary role under FORCE: dies (54001); owned by a BYPASSRLS role it works', async () => {
  const { ws, finding } = invalidFinding(ID, 4);
  assert.match(finding.message, /SECURITY DEFINER function owned by app_owner .*\(T06\)/);
  assert.equal(findingsOf(ws, 'definer-helper-under-force-rls').length, 0, 'one finding, from policy-recursion');
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /CREATE ROLE rls_helper_owner NOLOGIN BYPASSRLS;\nGRANT SELECT ON public\.org_members TO rls_helper_owner;\nALTER FUNCTION public\.is_org_member\(uuid\) OWNER TO rls_helper_owner;/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  // app_owner exists cluster-wide in the harness: drop its CREATE ROLE; run as the superuser (it changes owners)
  const strip = (s: string) => s.replace('CREATE ROLE app_owner NOLOGIN;', '');
  await expectGapReading(async (q) => {
    await orgSetup(q, strip(sqlOf(ws)), { owner: 'postgres', role: false });
    assert.equal((await q("SELECT proowner::regrole::text AS o FROM pg_proc WHERE proname = 'is_org_member'"))[0]!.o, 'app_owner');
  }, 'org_members');
  const db = await getDb();
  await inRollback(db, async (q) => {
    await orgSetup(q, strip(sqlOf(fixed)), { owner: 'postgres', role: false });
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'org_members'), 2);
  });
});

test('ok: the T06 helper with SET row_security = off does not recurse: its read fails with 42501 (T08), which definer-helper-under-force-rls reports', async () => {
  // saas-multitenant-template's helpers have SET row_security = off; owned by an ordinary role under FORCE
  const { ws } = invalidFinding(ID, 4);
  const sql = sqlOf(ws);
  const off = sql.replace(/SECURITY DEFINER( SET| LANGUAGE|\n)/, 'SECURITY DEFINER SET row_security = off$1');
  assert.notEqual(off, sql);
  assert.equal(lintFiles([{ file: 'm.sql', text: off }], ID).mine.length, 0);
  const [helper] = lintFiles([{ file: 'm.sql', text: off }], 'definer-helper-under-force-rls').mine;
  assert.match(helper!.message, /Its owner app_owner is neither a superuser nor BYPASSRLS: its SET row_security = off makes that read fail: each call raises 42501/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await orgSetup(q, off.replace('CREATE ROLE app_owner NOLOGIN;', ''), { owner: 'postgres', role: false });
    assert.equal((await q("SELECT proowner::regrole::text AS o FROM pg_proc WHERE proname = 'is_org_member'"))[0]!.o, 'app_owner');
    await q('SET ROLE authenticated');
    const r = await tryQuery(q, 'SELECT count(*) FROM org_members');
    assert.equal(r.ok ? 'ok' : r.error.code, '42501', 'no recursion: the helper fails at its first read');
  });
});

test('ok: the T05 invoker helper with SET row_security = off does not recurse either: its read as the caller fails with 42501 (T08), which row-security-off-does-not-bypass reports', async () => {
  const { ws } = invalidFinding(ID, 3);
  const off = sqlOf(ws).replace('LANGUAGE plpgsql STABLE SET search_path', 'LANGUAGE plpgsql STABLE SET row_security = off SET search_path');
  assert.notEqual(off, sqlOf(ws));
  assert.equal(lintFiles([{ file: 'm.sql', text: off }], ID).mine.length, 0);
  assert.equal(lintFiles([{ file: 'm.sql', text: off }], 'row-security-off-does-not-bypass').mine.length, 1);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await orgSetup(q, off);
    await q('SET ROLE authenticated');
    const r = await tryQuery(q, 'SELECT count(*) FROM org_members');
    assert.equal(r.ok ? 'ok' : r.error.code, '42501', 'no recursion: the helper fails at its first read');
  });
});

test('ok: T03 (F1) a LANGUAGE sql SECURITY DEFINER helper reading its table is clean and works', async () => {
  const { ex, mine } = lintDocExample(ID, 'valid', 2);
  assert.equal(mine.length, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await orgSetup(q, ex.sql, { owner: 'app_owner', role: false });
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'org_members'), 2);
  });
});

test('ok: not reported: a definer helper whose owner is not shown (left to definer-helper-under-force-rls), a one-way read, RLS off', () => {
  const inv = invalidFinding(ID, 3).ex.files[0]!;
  const definer = inv.text.replace('LANGUAGE plpgsql STABLE SET', 'LANGUAGE plpgsql STABLE SECURITY DEFINER SET');
  assert.equal(lintFiles([{ file: inv.file, text: definer }], ID).mine.length, 0);
  assert.equal(lintFiles([{ file: 'm.sql', text: definer }], ID).mine.length, 0);
  assert.equal(lintFiles([{ file: 'm.sql', text: definer }], 'definer-helper-under-force-rls').mine.length, 1);
  const self = invalidFinding(ID, 0).ex.files[0]!;
  assert.equal(lintFiles([{ file: self.file, text: self.text.replace(/ALTER TABLE org_members (ENABLE|FORCE) ROW LEVEL SECURITY;/g, '') }], ID).mine.length, 0);
  // an invoker sql helper recurses too (T02)
  const t02 = inv.text.replace(/LANGUAGE plpgsql STABLE SET search_path = public, pg_temp AS \$\$\nBEGIN\n {2}RETURN (EXISTS[^;]*);\nEND \$\$;/, (_m, e: string) => `LANGUAGE sql STABLE AS $$ SELECT ${e} $$;`);
  assert.notEqual(t02, inv.text);
  const r = lintFiles([{ file: inv.file, text: t02 }], ID).mine;
  assert.equal(r.length, 1);
  assert.match(r[0]!.message, /\(T02\)/);
});

test('ok: not reported: a self-read in a policy only for a BYPASSRLS role, a cycle whose policies apply to different roles; reported through an invoker view', () => {
  const self = (to: string) =>
    `CREATE TABLE t (id int PRIMARY KEY, o uuid);\nALTER TABLE t ENABLE ROW LEVEL SECURITY;\nCREATE POLICY p ON t FOR SELECT TO ${to} USING (id IN (SELECT id FROM t WHERE o = auth.uid()));`;
  assert.equal(lintFiles([{ file: 'm.sql', text: self('service_role') }], ID).mine.length, 0);
  assert.equal(lintFiles([{ file: 'm.sql', text: self('authenticated') }], ID).mine.length, 1);
  const cycle = (to: string) =>
    'CREATE TABLE a (id int PRIMARY KEY);\nCREATE TABLE b (id int PRIMARY KEY);\nALTER TABLE a ENABLE ROW LEVEL SECURITY;\nALTER TABLE b ENABLE ROW LEVEL SECURITY;\n' +
    `CREATE POLICY pa ON a FOR SELECT TO authenticated USING (id IN (SELECT id FROM b));\nCREATE POLICY pb ON b FOR SELECT TO ${to} USING (id IN (SELECT id FROM a));`;
  assert.equal(lintFiles([{ file: 'm.sql', text: cycle('anon') }], ID).mine.length, 0);
  assert.equal(lintFiles([{ file: 'm.sql', text: cycle('authenticated, anon') }], ID).mine.length, 1);
  const view = 'CREATE TABLE a (id int PRIMARY KEY);\nALTER TABLE a ENABLE ROW LEVEL SECURITY;\nCREATE VIEW v WITH (security_invoker = true) AS SELECT id FROM a;\n' +
    'CREATE POLICY pa ON a FOR SELECT TO authenticated USING (id IN (SELECT id FROM v));';
  const r = lintFiles([{ file: 'm.sql', text: view }], ID).mine;
  assert.equal(r.length, 1);
  assert.match(r[0]!.message, /reads a through view v in a sub-select/);
  // a plain view reads as its owner (here the table's owner, RLS not forced): no recursion
  assert.equal(lintFiles([{ file: 'm.sql', text: view.replace(' WITH (security_invoker = true)', '') }], ID).mine.length, 0);
});

test('ok: not reported: a sub-select reading a materialized view over the table, owned by an ordinary role under FORCE (its stored rows are read, no policy expanded: PGlite, no 42P17); reported through an invoker view', async () => {
  const mv = `CREATE ROLE app_owner NOLOGIN;
CREATE TABLE team_members (team_id uuid NOT NULL, user_id uuid NOT NULL, PRIMARY KEY (team_id, user_id));
ALTER TABLE team_members OWNER TO app_owner;
ALTER TABLE team_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE team_members FORCE ROW LEVEL SECURITY;
CREATE MATERIALIZED VIEW team_permissions AS SELECT DISTINCT team_id, user_id FROM team_members;
ALTER MATERIALIZED VIEW team_permissions OWNER TO app_owner;
CREATE POLICY tm ON team_members FOR SELECT
  USING (user_id = (select auth.uid()) OR team_id IN (SELECT tp.team_id FROM team_permissions tp WHERE tp.user_id = (select auth.uid())));`;
  assert.equal(lintFiles([{ file: 'm.sql', text: mv }], ID).mine.length, 0);
  const invoker = mv
    .replace('CREATE MATERIALIZED VIEW team_permissions AS', 'CREATE VIEW team_permissions WITH (security_invoker = true) AS')
    .replace('ALTER MATERIALIZED VIEW', 'ALTER VIEW');
  assert.equal(lintFiles([{ file: 'm.sql', text: invoker }], ID).mine.length, 1);
  const db = await getDb();
  const run = (text: string) =>
    inRollback(db, async (q) => {
      await q(AUTH_STUB_SQL);
      await asOwner(q, text.replace('CREATE ROLE app_owner NOLOGIN;\n', ''), 'app_owner');
      await q(`INSERT INTO team_members VALUES ('${ORG_X}', '${A}'), ('${ORG_X}', '${A2}'), ('${ORG_Y}', '${B}')`);
      if (text.includes('MATERIALIZED')) await q('REFRESH MATERIALIZED VIEW team_permissions');
      await q('GRANT SELECT ON team_members, team_permissions TO authenticated');
      await q(actAs(A));
      const out: Record<string, number | string> = {};
      for (const role of ['authenticated', 'app_owner']) {
        await q(`SET ROLE ${role}`);
        const r = await tryQuery(q, 'SELECT count(*)::int AS n FROM team_members');
        out[role] = r.ok ? r.rows[0]!.n : r.error.code;
        await q('RESET ROLE');
      }
      return out;
    });
  assert.deepEqual(await run(mv), { authenticated: 1, app_owner: 1 }, 'materialized view: no recursion (refreshed under FORCE as its owner, with no user: it holds no row)');
  assert.deepEqual(await run(invoker), { authenticated: '42P17', app_owner: '42P17' }, 'invoker view: 42P17');
});

test('ok: T05 beside a permissive USING (true) for the same command and roles: PostgreSQL folds `true OR …` and never calls the invoker helper (PGlite: every row, no error); a sub-select recursion is still raised', async () => {
  const base = invalidFinding(ID, 3).ex.files[0]!.text;
  const open = `${base}\nCREATE POLICY org_members_all ON org_members FOR SELECT TO authenticated USING (true);`;
  assert.equal(lintFiles([{ file: 'supabase/migrations/1_x.sql', text: open }], ID).mine.length, 0);
  // a role the true policy leaves out: still reported
  assert.equal(lintFiles([{ file: 'supabase/migrations/1_x.sql', text: `${base}\nCREATE POLICY org_members_all ON org_members FOR SELECT TO anon USING (true);` }], ID).mine.length, 1);
  // T01's sub-select is expanded by the rewriter before any planning: 42P17 either way
  const t01 = invalidFinding(ID, 0).ex.files[0]!.text;
  assert.equal(lintFiles([{ file: 'supabase/migrations/1_x.sql', text: `${t01}\nCREATE POLICY org_members_all ON org_members FOR SELECT TO authenticated USING (true);` }], ID).mine.length, 1);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await orgSetup(q, open);
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'org_members'), 3);
  });
  await inRollback(db, async (q) => {
    await orgSetup(q, `${t01}\nCREATE POLICY org_members_all ON org_members FOR SELECT TO authenticated USING (true);`);
    await q('SET ROLE authenticated');
    const r = await tryQuery(q, 'SELECT count(*) FROM org_members');
    assert.ok(!r.ok && r.error.code === '42P17', JSON.stringify(r));
  });
});

test('err: a cycle through an invoker helper beside another permissive policy: the message says it depends on the rows and the other policies; PGlite: silent while that policy admits the row first, dies (54001) once a rename puts it second', async () => {
  const cycle = (ownName: string) => `
CREATE TABLE study (id uuid PRIMARY KEY, owner_id uuid NOT NULL);
CREATE TABLE study_subject (id uuid PRIMARY KEY, user_id uuid NOT NULL, study_id uuid NOT NULL);
ALTER TABLE study ENABLE ROW LEVEL SECURITY;
ALTER TABLE study_subject ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.is_subject_of(_user uuid, _study uuid) RETURNS boolean LANGUAGE sql STABLE SET search_path = '' AS $$
  SELECT EXISTS (SELECT 1 FROM public.study_subject s WHERE s.user_id = _user AND s.study_id = _study)
$$;
CREATE POLICY "Subjects see their studies" ON study FOR SELECT TO authenticated USING (public.is_subject_of((select auth.uid()), id));
CREATE POLICY "Owners see their studies' subjects" ON study_subject FOR SELECT TO authenticated
  USING ((SELECT s.owner_id = (select auth.uid()) FROM study s WHERE s.id = study_subject.study_id));
CREATE POLICY "${ownName}" ON study_subject FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
GRANT SELECT ON study, study_subject TO authenticated;
`;
  const sql = cycle('Users see their own subjects');
  const { mine } = lintFiles([{ file: 'm.sql', text: sql }], ID);
  assert.equal(mine.length, 1, 'one cycle, one finding');
  const finding = mine[0]!;
  assert.match(finding.message, /54001 stack depth limit exceeded \(T02\)/);
  assert.match(finding.message, /PostgreSQL stops at the first permissive policy of a table that admits a row, so policy "Users see their own subjects" on study_subject may admit it before/);
  assert.doesNotMatch(finding.message, /as soon as/);
  const renamed = cycle('A user sees own subjects');
  assert.match(lintFiles([{ file: 'm.sql', text: renamed }], ID).mine.map((f) => f.message).join('\n'), /policy "A user sees own subjects" on study_subject may admit it/);
  // user A joined study X, which user B owns
  const setup = async (q: Q, text: string) => {
    await q(AUTH_STUB_SQL);
    await asOwner(q, text, 'bypass_owner');
    await q(`INSERT INTO study VALUES ('${ORG_X}', '${B}')`);
    await q(`INSERT INTO study_subject VALUES ('${NEW}', '${A}', '${ORG_X}')`);
    await q(actAs(A));
    await q('SET ROLE authenticated');
  };
  const db = await getDb();
  await inRollback(db, async (q) => {
    await setup(q, sql);
    // study_subject's policies are ORed, "Users see …" first: it admits A's row, the cycle's policy is never evaluated
    assert.equal(await count(q, 'study'), 1, 'A sees the study it joined');
  });
  await inRollback(db, async (q) => {
    await setup(q, sql);
    await q('RESET ROLE');
    await q('DELETE FROM study_subject');
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'study'), 0, 'no row for the helper to read: no recursion');
  });
  // the same policies, one renamed: "Owners see …" is now evaluated first, reads the study, whose policy calls the helper again
  await expectRecursionGap((q) => setup(q, renamed), (q) => count(q, 'study'));
});

test("err: Supabase: an invoker helper that also reads auth.users fails with 42501 before it can recurse (the caller has no privilege on auth.users); the message says so", async () => {
  const sql = `CREATE TABLE public.workspaces (id uuid PRIMARY KEY, name text);
ALTER TABLE public.workspaces ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON public.workspaces TO authenticated;
CREATE FUNCTION public.is_member(ws uuid) RETURNS boolean LANGUAGE sql STABLE AS $$
  select exists (select 1 from public.workspaces w join auth.users u on u.id = auth.uid() where w.id = ws)
$$;
CREATE POLICY workspaces_read ON public.workspaces FOR SELECT TO authenticated USING (public.is_member(id));
`;
  const file = 'supabase/migrations/20240101000000_rls.sql';
  const { mine } = lintFiles([{ file, text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /Before it goes round, the query of is_member\(\) fails: it runs as the caller and also reads auth\.users, .* so a query that evaluates the policy for a row fails with 42501 permission denied for table users; granted that, it would recurse until 54001/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q('CREATE TABLE IF NOT EXISTS auth.users (id uuid PRIMARY KEY); REVOKE ALL ON auth.users FROM PUBLIC, anon, authenticated;');
    await q(sql);
    await q(`INSERT INTO public.workspaces VALUES ('${TENANT_A}', 'a')`);
    await q(`SET ROLE authenticated; ${actAs(TENANT_B)}`);
    const r = await tryQuery(q, 'SELECT count(*) FROM public.workspaces');
    assert.equal(r.ok ? 'ok' : r.error.code, '42501');
    assert.match(r.ok ? '' : r.error.message, /permission denied for table users/);
  });
  // where the migrations grant SELECT on auth.users to the policy's role: the recursion's 54001
  const granted = lintFiles([{ file, text: `${sql}GRANT SELECT ON auth.users TO authenticated;\n` }], ID).mine;
  assert.match(granted[0]!.message, /without end: PostgreSQL fails with 54001/);
});

test('err: an unqualified name in the sub-select resolves through the SET search_path the policy was created under: the policy reads its own table, 42P17', async () => {
  const sql = `CREATE SCHEMA app;
SET search_path TO app, public;
CREATE TABLE members (org_id bigint NOT NULL, user_name text NOT NULL, PRIMARY KEY (org_id, user_name));
CREATE INDEX ON members (user_name);
ALTER TABLE members ENABLE ROW LEVEL SECURITY;
ALTER TABLE members FORCE ROW LEVEL SECURITY;
GRANT USAGE ON SCHEMA app TO authenticated;
GRANT SELECT ON members TO authenticated;
CREATE POLICY members_read ON members FOR SELECT TO authenticated
  USING (org_id IN (SELECT m.org_id FROM members m WHERE m.user_name = current_user));`;
  const { mine } = lintFiles([{ file: 'migrations/1_schema.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /Policy "members_read" on app\.members recurses: .*reads app\.members in a sub-select/);
  await inRollback(await getDb(), async (q) => {
    await q(sql);
    await q('SET ROLE authenticated');
    await expectPgError(q('SELECT count(*) FROM app.members'), '42P17', 'infinite recursion detected in policy for relation "members"');
  });
});

// Calibration cal29 (oitayoo's orders): the invoker helper of the cycle names its parameter
// order_id unqualified beside order_products.order_id: as written every evaluation fails with
// 42702 before it can recurse (54001 would come once that is fixed; not run here: it kills the instance).
test('err (wording): a cycle through a helper whose query fails as written with 42702: the message says that error comes first; PGlite: 42702 for a row the first branch does not admit', async () => {
  const sql = `-- « naïve » 日本語 😀
CREATE TABLE store_staffs (store_id uuid NOT NULL, user_id uuid NOT NULL);
CREATE TABLE orders (id uuid PRIMARY KEY, user_id uuid NOT NULL, code text NOT NULL);
CREATE TABLE order_products (id uuid PRIMARY KEY, store_id uuid NOT NULL, order_id uuid NOT NULL);
CREATE FUNCTION is_store_staff_from_order(order_id uuid) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  is_store_staff boolean;
BEGIN
  SELECT EXISTS (SELECT 1 FROM orders o JOIN order_products op ON o.id = op.order_id JOIN store_staffs ss ON op.store_id = ss.store_id
    WHERE o.id = order_id AND ss.user_id = auth.uid()) INTO is_store_staff;
  RETURN is_store_staff;
END $$;
ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY orders_read ON orders FOR SELECT TO authenticated USING (user_id = (select auth.uid()) OR is_store_staff_from_order(id));
`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/20240805152603_rls_order.sql', text: sql }], 'policy-recursion');
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /as written the query of is_store_staff_from_order\(\) fails first with 42702 \(plpgsql-ambiguous-column\): .* and 54001 stack depth limit exceeded once it is fixed/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql);
    await q(`INSERT INTO orders VALUES ('${TENANT_B}', '${TENANT_B}', 'B1'); GRANT SELECT ON orders, order_products, store_staffs TO authenticated`);
    await q(`${actAs(TENANT_A)} SET ROLE authenticated`);
    await expectPgError(q('SELECT code FROM orders'), '42702', 'column reference "order_id" is ambiguous');
  });
});

test("ok: a recursive policy a DO loop over pg_tables drops with its table (Mipos's reset of the schema), or a DROP SCHEMA … CASCADE drops, is gone, on a table the workspace made or only put policies on; one the loop leaves out stays", async () => {
  // (members is made outside the migrations, as a dashboard would: its policies are the workspace's only trace of it)
  const outside = `CREATE TABLE public.members (org uuid, who uuid);`;
  const first = `CREATE TABLE public.sales (id int PRIMARY KEY, org uuid);
ALTER TABLE public.sales ENABLE ROW LEVEL SECURITY;
CREATE POLICY sales_read ON public.sales FOR SELECT USING (org IN (SELECT s.org FROM public.sales s WHERE s.id = 1));
ALTER TABLE public.members ENABLE ROW LEVEL SECURITY;
CREATE POLICY members_read ON public.members FOR SELECT USING (org IN (SELECT m.org FROM public.members m WHERE m.who = (select auth.uid())));
CREATE TABLE public.kept (id int PRIMARY KEY, org uuid);
ALTER TABLE public.kept ENABLE ROW LEVEL SECURITY;
CREATE POLICY kept_read ON public.kept FOR SELECT USING (org IN (SELECT k.org FROM public.kept k WHERE k.id = 1));
`;
  const reset = `DO $$
DECLARE r RECORD;
BEGIN
  FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'kept' LOOP
    EXECUTE format('DROP TABLE IF EXISTS public.%I CASCADE', r.tablename);
  END LOOP;
END $$;
`;
  const again = `CREATE TABLE public.sales (id int PRIMARY KEY, org uuid);
ALTER TABLE public.sales ENABLE ROW LEVEL SECURITY;
CREATE POLICY sales_mine ON public.sales FOR SELECT USING (org = (select auth.uid()));
CREATE TABLE public.members (org uuid, who uuid);
ALTER TABLE public.members ENABLE ROW LEVEL SECURITY;
`;
  const files = [first, reset, again].map((text, i) => ({ file: `supabase/migrations/2026020912000${i}_m.sql`, text }));
  const tablesOf = (fs: typeof files) => lintFiles(fs, ID).mine.map((f) => /on (\w+) recurses/.exec(f.message)?.[1]);
  assert.deepEqual(tablesOf(files), ['kept']);
  assert.deepEqual(tablesOf(files.filter((f) => f.text !== reset)), ['sales', 'kept']);
  // DROP SCHEMA … CASCADE: everything in it goes, what the workspace made and what it did not
  const schemaReset = `DROP SCHEMA public CASCADE;\nCREATE SCHEMA public;\n`;
  assert.deepEqual(tablesOf([files[0]!, { ...files[1]!, text: schemaReset }, files[2]!]), []);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q([outside, first, reset, again].join('\n'));
    const left = await q(`SELECT tablename, policyname FROM pg_policies WHERE schemaname = 'public' ORDER BY 1, 2`);
    assert.deepEqual(left.map((r) => `${r.tablename}.${r.policyname}`), ['kept.kept_read', 'sales.sales_mine']);
    await q(`GRANT SELECT ON public.sales, public.kept TO authenticated; SET ROLE authenticated`);
    assert.equal(await count(q, 'public.sales'), 0);
    await expectPgError(q('SELECT count(*) FROM public.kept'), '42P17');
  });
});

test("err (wording): an UPDATE policy TO public whose cycle closes through a SELECT policy for authenticated only: the message names authenticated; PGlite: 42P17 for authenticated, anon's UPDATE runs", async () => {
  const sql = `CREATE TABLE docs (id int PRIMARY KEY, title text);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
CREATE TABLE members (doc_id int, user_id uuid);
ALTER TABLE members ENABLE ROW LEVEL SECURITY;
CREATE POLICY docs_read ON docs FOR SELECT USING (EXISTS (SELECT 1 FROM members m WHERE m.doc_id = docs.id AND m.user_id = auth.uid()));
CREATE POLICY members_read ON members FOR SELECT TO authenticated USING (EXISTS (SELECT 1 FROM docs d WHERE d.id = members.doc_id));
CREATE POLICY docs_edit ON docs FOR UPDATE USING (EXISTS (SELECT 1 FROM members m WHERE m.doc_id = docs.id AND m.user_id = auth.uid()));
`;
  const { mine: fs } = lintFiles([{ file: 'supabase/migrations/1_docs.sql', text: sql }], ID);
  const edit = fs.find((f) => /Policy "docs_edit"/.test(f.message)) ?? fs[0]!;
  assert.ok(edit, 'reported');
  assert.match(edit.message, /on every UPDATE that applies the policy run by authenticated, the role whose SELECT policies met on the way hold a sub-select; other roles' queries do not recurse there \(T25\)/);
  assert.doesNotMatch(edit.message, /every (UPDATE|SELECT) that applies the policy \(/);
  const db = await getDb();
  const setup = async (q: Q) => {
    await q(AUTH_STUB_SQL);
    await asOwner(q, sql, 'bypass_owner');
    await q(`INSERT INTO docs VALUES (1, 'a')`);
    await q(`INSERT INTO members VALUES (1, '${A}')`);
    await q('GRANT SELECT, UPDATE ON docs TO authenticated, anon');
    await q('GRANT SELECT ON members TO authenticated, anon');
    await q(actAs(A));
  };
  await inRollback(db, async (q) => {
    await setup(q);
    await q('SET ROLE authenticated');
    const r = await tryQuery(q, `UPDATE docs SET title = 'b' WHERE id = 1`);
    assert.equal(r.ok ? 'no error' : `${r.error.code} ${r.error.message}`, '42P17 infinite recursion detected in policy for relation "docs"');
  });
  await inRollback(db, async (q) => {
    await setup(q);
    await q('SET ROLE anon');
    const r = await tryQuery(q, `UPDATE docs SET title = 'b' WHERE id = 1`);
    assert.equal(r.ok ? 'no error' : `${r.error.code} ${r.error.message}`, 'no error', 'anon meets no sub-select on members: no recursion (it updates no row)');
  });
});

test('ok: a recursing policy dropped by a later loop over pg_policies that keeps some policies by name (policyname <> …): the replay follows it, as PostgreSQL runs it', async () => {
  // (geonook/learning-management-system-esid's 036_rls_simplification.sql: every policy of the
  // schema but service_role_bypass dropped, then simple ones created; 13 recursion findings on
  // policies that no longer existed)
  const first = `CREATE TABLE org_members (org_id uuid, user_id uuid, role text);
ALTER TABLE org_members ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Admins read members" ON org_members FOR SELECT TO authenticated
  USING (EXISTS (SELECT 1 FROM org_members m WHERE m.user_id = auth.uid() AND m.role = 'admin'));
CREATE POLICY service_role_bypass ON org_members FOR ALL TO service_role USING (true);
`;
  const loop = (where: string) => `DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT schemaname, tablename, policyname FROM pg_policies WHERE ${where} LOOP
    EXECUTE format('DROP POLICY IF EXISTS %I ON %I.%I', r.policyname, r.schemaname, r.tablename);
  END LOOP;
END $$;
CREATE POLICY "Members read own rows" ON org_members FOR SELECT TO authenticated USING (user_id = auth.uid());
`;
  assert.equal(lintFiles([{ file: 'm/1.sql', text: first }], ID).mine.length, 1);
  for (const where of ["schemaname = 'public' AND policyname != 'service_role_bypass'", "policyname NOT IN ('service_role_bypass', 'other')"]) {
    const { ws, mine } = lintFiles([{ file: 'm/1.sql', text: first }, { file: 'm/2.sql', text: loop(where) }], ID);
    assert.deepEqual(mine, [], where);
    const db = await getDb();
    await inRollback(db, async (q) => {
      await orgSetup(q, sqlOf(ws), { owner: 'postgres' });
      await q('SET ROLE authenticated');
      assert.equal(await count(q, 'org_members'), 1, where);
      await q('RESET ROLE');
      assert.deepEqual(await q(`SELECT policyname FROM pg_policies WHERE tablename = 'org_members' ORDER BY 1`), [{ policyname: 'Members read own rows' }, { policyname: 'service_role_bypass' }]);
    });
  }
  // (a WHERE naming the one policy to drop is still no such loop: the finding stays where it may not be dropped)
  assert.equal(lintFiles([{ file: 'm/1.sql', text: first }, { file: 'm/2.sql', text: loop("policyname = 'other'") }], ID).mine.length, 1);
});

// Calibration (cal204: Valdemar-Junior/solidgo's users, whose SELECT policy "Admin can view all users" reads users in a
// sub-select, and 47 policies of 22 other tables — vehicles, drivers, orders… — that check `EXISTS (SELECT 1 FROM
// public.users u WHERE u.id = auth.uid() AND u.role = 'admin')`): the finding said only that SELECTs of users fail;
// verify showed 161 probes of the other tables failing with the same 42P17. The message now names those policies.
test("err (message): a self-recursive SELECT policy names the other tables' policies that read the table in a sub-select, for its roles (PGlite: their queries fail with the same 42P17; a role the SELECT policy skips reads them)", async () => {
  const text = `CREATE TABLE public.users (id uuid PRIMARY KEY, role text);
ALTER TABLE public.users ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Admin can view all users" ON public.users FOR SELECT TO authenticated
  USING (EXISTS (SELECT 1 FROM public.users u WHERE u.id = auth.uid() AND u.role = 'admin'));
CREATE TABLE public.vehicles (id int PRIMARY KEY);
ALTER TABLE public.vehicles ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Admins can manage vehicles" ON public.vehicles FOR ALL TO authenticated
  USING (EXISTS (SELECT 1 FROM public.users u WHERE u.id = auth.uid() AND u.role = 'admin'));
CREATE TABLE public.routes (id int PRIMARY KEY);
ALTER TABLE public.routes ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Anon reads routes of admins" ON public.routes FOR SELECT TO anon
  USING (EXISTS (SELECT 1 FROM public.users u WHERE u.role = 'admin'));
GRANT SELECT ON public.users, public.vehicles, public.routes TO authenticated, anon;
`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/004_fix_rls_users.sql', text }], ID);
  const self = mine.find((m) => m.message.startsWith('Policy "Admin can view all users"'));
  assert.ok(self, JSON.stringify(mine.map((m) => m.message.slice(0, 80))));
  assert.match(
    self.message,
    /The same 42P17 fails every query, by these roles, that applies a policy of another table reading users in a sub-select — "Admins can manage vehicles" on vehicles \(1 table\) —, since the SELECT policies of users are expanded inside that sub-select\./,
  );
  // (routes' policy is for anon, to whom no SELECT policy of users applies: not named)
  assert.doesNotMatch(self.message, /routes/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q(text);
    await q(actAs(A));
    await q('SET ROLE authenticated');
    const r = await tryQuery(q, 'SELECT count(*) FROM public.vehicles');
    assert.equal(r.ok ? 'no error' : r.error.message, 'infinite recursion detected in policy for relation "users"');
  });
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q(text);
    await q('SET ROLE anon');
    assert.equal(await count(q, 'public.routes'), 0, 'anon reads routes: no SELECT policy of users applies to it, no recursion');
  });
});
