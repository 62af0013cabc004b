// row-security-off-does-not-bypass on PostgreSQL (PGlite): `ALTER FUNCTION … SET row_security
// TO OFF` on a SECURITY DEFINER trigger function owned by a non-superuser does not let it write
// a FORCE-RLS table: every UPDATE fails with 42501 "query would be affected by row-level
// security policy" (T08). The fix (remove it + trigger-only INSERT policy, T10) works and a
// direct INSERT still fails. In a body, via set_config, or at top level: 42501 as well.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { asOwner, closeAll, count, expectPgError, getDb, inRollback, tryQuery, type Q } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintFiles, sqlOf, TENANT_A, TENANT_B, textAt } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';

const ID = 'row-security-off-does-not-bypass';
before(initParser);
after(closeAll);

async function audited(q: Q, sql: string): Promise<void> {
  await q(AUTH_STUB_SQL);
  await asOwner(q, sql); // app_owner: a non-superuser without BYPASSRLS owns the tables and the trigger function
  await q(`INSERT INTO projects VALUES (1, '${TENANT_A}', 'a'), (2, '${TENANT_B}', 'b')`); // as the superuser
  await q(actAs(TENANT_A));
  await q('SET ROLE authenticated');
}

test('err: SET row_security TO OFF on a definer trigger function: UPDATE fails with 42501 (T08); the fix (trigger-only INSERT policy, T10) works', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'SET row_security TO OFF');
  assert.match(finding.message, /does not bypass row-level security.*42501.*\(T08, F2\)/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await audited(q, sqlOf(ws));
    await expectPgError(q(`UPDATE projects SET name = 'x' WHERE id = 1`), '42501', 'query would be affected by row-level security policy for table "audit_log"');
  });
  const fixed = applyFix(ws, finding);
  const text = sqlOf(fixed);
  assert.doesNotMatch(text, /row_security/);
  assert.match(text, /END \$\$;\nCREATE POLICY audit_log_insert_from_trigger ON audit_log FOR INSERT TO CURRENT_USER WITH CHECK \(pg_trigger_depth\(\) > 0\);/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(db, async (q) => {
    await audited(q, text);
    await q(`UPDATE projects SET name = 'x' WHERE id = 1`);
    await q('RESET ROLE');
    assert.equal(await count(q, 'audit_log'), 1, 'the trigger wrote its row');
    const direct = await tryQuery(q, `SET ROLE app_owner; INSERT INTO audit_log (project_id, actor) VALUES (1, NULL)`);
    assert.equal(!direct.ok && direct.error.code, '42501', 'a direct INSERT by the owner still fails');
  });
});

test('ok (T07): without the setting the trigger fails too, with "new row violates row-level security policy"', async () => {
  const { ws } = invalidFinding(ID, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await audited(q, sqlOf(ws).replace(/ALTER FUNCTION audit_log_trigger\(\) SET row_security TO OFF;/, ''));
    await expectPgError(q(`UPDATE projects SET name = 'x' WHERE id = 1`), '42501', 'new row violates row-level security policy for table "audit_log"');
  });
});

const PROJECTS = `CREATE TABLE projects (id bigint PRIMARY KEY, owner_id uuid NOT NULL, name text);
ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
CREATE POLICY p ON projects FOR SELECT TO authenticated USING (owner_id = auth.uid());
GRANT SELECT ON projects TO authenticated;
INSERT INTO projects VALUES (1, '${TENANT_A}', 'a'), (2, '${TENANT_B}', 'b');`;

for (const n of [1, 2]) {
  test(`err: Invalid example ${n + 1} (${n === 1 ? 'SET in a body' : 'set_config'}): calling it fails with 42501; after removing it the caller's rows are counted`, async () => {
    const { ws, finding } = invalidFinding(ID, n);
    const db = await getDb();
    const call = async (sql: string) =>
      inRollback(db, async (q) => {
        await q(AUTH_STUB_SQL);
        await q(PROJECTS);
        await q(sql);
        await q(actAs(TENANT_A));
        await q('SET ROLE authenticated');
        const r = await tryQuery(q, 'SELECT project_count()::int AS n');
        return r.ok ? (r.rows[0]!.n as number) : r.error.code;
      });
    assert.equal(await call(sqlOf(ws)), '42501');
    const fixed = applyFix(ws, finding);
    assert.doesNotMatch(sqlOf(fixed), /row_security/);
    assert.equal(findingsOf(fixed, ID).length, 0);
    assert.equal(await call(sqlOf(fixed)), 1);
  });
}

test('err: top-level SET row_security = off: a role subject to RLS gets 42501; the superuser is unaffected', async () => {
  const { ws, finding } = invalidFinding(ID, 3);
  assert.equal(textAt(ws, finding), 'SET row_security = off');
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q(PROJECTS);
    await q('GRANT UPDATE ON projects TO authenticated');
    await q(`CREATE POLICY u ON projects FOR UPDATE TO authenticated USING (owner_id = auth.uid())`);
    await q(actAs(TENANT_A));
    const su = await tryQuery(q, sqlOf(ws));
    assert.equal(su.ok, true, 'as the superuser the migration runs');
    await q('SET ROLE authenticated');
    await expectPgError(q(sqlOf(ws)), '42501', 'query would be affected by row-level security policy for table "projects"');
  });
});

test("ok: SET row_security = off on a Supabase SECURITY DEFINER helper whose owner bypasses RLS (postgres, as the other rules assume: stewardtrack) changes nothing and nothing fails: not reported; owned by a role declared NOBYPASSRLS, reported, and PGlite raises 42501 for it", async () => {
  const sql = `CREATE TABLE public.tenant_users (user_id uuid NOT NULL, tenant_id uuid NOT NULL);
ALTER TABLE public.tenant_users ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.user_belongs_to_tenant(p_tenant_id uuid) RETURNS boolean
SECURITY DEFINER SET search_path = public, pg_temp SET row_security = off
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN EXISTS (SELECT 1 FROM public.tenant_users WHERE user_id = auth.uid() AND tenant_id = p_tenant_id);
END $$;
`;
  const file = 'supabase/migrations/20260123240000_helpers.sql';
  assert.deepEqual(lintFiles([{ file, text: sql }], ID).mine, []);
  const owned = `${sql}CREATE ROLE helper_owner NOLOGIN NOBYPASSRLS;\nALTER FUNCTION public.user_belongs_to_tenant(uuid) OWNER TO helper_owner;\n`;
  assert.equal(lintFiles([{ file, text: owned }], ID).mine.length, 1);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql);
    await q(`CREATE ROLE bypass_owner_t NOLOGIN BYPASSRLS; GRANT SELECT ON public.tenant_users TO bypass_owner_t; GRANT USAGE ON SCHEMA auth TO bypass_owner_t;
ALTER FUNCTION public.user_belongs_to_tenant(uuid) OWNER TO bypass_owner_t;
INSERT INTO public.tenant_users VALUES ('${TENANT_A}', '${TENANT_B}')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.deepEqual(await q(`SELECT public.user_belongs_to_tenant('${TENANT_B}') AS ok`), [{ ok: true }]);
    await q('RESET ROLE');
    await q(`CREATE ROLE nobypass_owner_t NOLOGIN NOBYPASSRLS; GRANT SELECT ON public.tenant_users TO nobypass_owner_t; GRANT USAGE ON SCHEMA auth TO nobypass_owner_t;
ALTER FUNCTION public.user_belongs_to_tenant(uuid) OWNER TO nobypass_owner_t`);
    await q('SET ROLE authenticated');
    const r = await tryQuery(q, `SELECT public.user_belongs_to_tenant('${TENANT_B}') AS ok`);
    assert.equal(r.ok ? 'ok' : r.error.code, '42501');
  });
});

test("fp: a SECURITY DEFINER function owned by the owner of every table it reads, none FORCE'd, is not reported: no policy applies to it, so row_security = off changes nothing (ng-alain-gighub); once the table is FORCE'd it is, and PGlite fails with 42501", async () => {
  const text = `CREATE ROLE rso_owner;
CREATE ROLE rso_app;
CREATE TABLE public.notes (id int PRIMARY KEY, body text);
ALTER TABLE public.notes OWNER TO rso_owner;
ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY none_for_app ON public.notes FOR SELECT TO rso_app USING (false);
CREATE FUNCTION public.note_count() RETURNS bigint LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp SET row_security = off AS $$ SELECT count(*) FROM public.notes $$;
ALTER FUNCTION public.note_count() OWNER TO rso_owner;
GRANT EXECUTE ON FUNCTION public.note_count() TO rso_app;
`;
  assert.deepEqual(lintFiles([{ file: 'db/1.sql', text }], ID).mine, []);
  // the same with an unnamed owner (the migrations' role made both) and a table without RLS read too
  const unnamed = text.replace(/ALTER (TABLE|FUNCTION) public\.note[^;]*OWNER TO rso_owner;\n/g, '').replace('SELECT count(*) FROM public.notes', 'SELECT count(*) FROM public.notes, public.plain').replace('CREATE TABLE public.notes', 'CREATE TABLE public.plain (x int);\nCREATE TABLE public.notes');
  assert.deepEqual(lintFiles([{ file: 'db/1.sql', text: unnamed }], ID).mine, []);
  // a table owned by another role: its policies apply to the function's owner
  const other = unnamed.replace('CREATE TABLE public.plain (x int);', 'CREATE TABLE public.plain (x int);\nALTER TABLE public.plain OWNER TO rso_app;\nALTER TABLE public.plain ENABLE ROW LEVEL SECURITY;');
  assert.equal(lintFiles([{ file: 'db/1.sql', text: other }], ID).mine.length, 1);
  const forced = text + 'ALTER TABLE public.notes FORCE ROW LEVEL SECURITY;\n';
  const { mine } = lintFiles([{ file: 'db/1.sql', text: forced }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /nor for a table's owner where the table is not FORCE'd \(its policies do not apply to the owner: T13\)/);
  await inRollback(await getDb(), async (q) => {
    await q(text);
    await q(`INSERT INTO public.notes VALUES (1, 'a'); SET ROLE rso_app`);
    assert.deepEqual(await q('SELECT public.note_count()::int AS n'), [{ n: 1 }]);
    await q('RESET ROLE; ALTER TABLE public.notes FORCE ROW LEVEL SECURITY; SET ROLE rso_app');
    await expectPgError(q('SELECT public.note_count()'), '42501');
  });
});

// Calibration (property-manager's is_org_member, written STABLE, then VOLATILE by a later migration).
const MEMBERS = `CREATE TABLE public.org_memberships (user_id uuid NOT NULL, org_id uuid NOT NULL);
ALTER TABLE public.org_memberships ENABLE ROW LEVEL SECURITY;
CREATE POLICY om_sel ON public.org_memberships FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
GRANT SELECT ON public.org_memberships TO authenticated;
`;
const helper = (volatility: string) => `CREATE OR REPLACE FUNCTION public.is_org_member(p_org_id uuid) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER ${volatility} SET search_path = public, pg_temp AS $$
BEGIN
  SET LOCAL row_security = off;
  RETURN EXISTS (SELECT 1 FROM public.org_memberships WHERE user_id = auth.uid() AND org_id = p_org_id);
END $$;
`;

test('err: SET row_security = off in the body of a STABLE PL/pgSQL function: every call fails with 0A000 (PGlite), whoever calls it; the message says so', async () => {
  const sql = MEMBERS + helper('STABLE');
  const file = 'supabase/migrations/20250101000000_a.sql';
  const [f, ...rest] = lintFiles([{ file, text: sql }], ID).mine;
  assert.equal(rest.length, 0);
  assert.match(f!.message, /^SET row_security = off in the body of STABLE function public\.is_org_member\(uuid\) fails every call that reaches it: PostgreSQL allows no SET statement in a non-volatile function \(0A000/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql);
    await expectPgError(q(`SELECT public.is_org_member('${TENANT_A}')`), '0A000', 'SET is not allowed in a non-volatile function');
  });
});

test("err: SET LOCAL row_security = off in the body of a VOLATILE definer whose owner bypasses RLS outlives the call: the caller's next filtered query fails with 42501 (PGlite); with a SET clause instead it is undone on exit, not reported; a definition replaced later is not reported", async () => {
  const sql = MEMBERS + helper('VOLATILE');
  const file = 'supabase/migrations/20250101000000_a.sql';
  const [f, ...rest] = lintFiles([{ file, text: sql }], ID).mine;
  assert.equal(rest.length, 0);
  assert.match(f!.message, /outlives the call: a setting made in a function's body stays after it returns .* for the rest of the transaction every query of the caller that a policy would filter fails with 42501/);
  const clause = sql.replace('  SET LOCAL row_security = off;\n', '').replace('SET search_path = public, pg_temp AS', 'SET search_path = public, pg_temp SET row_security = off AS');
  assert.deepEqual(lintFiles([{ file, text: clause }], ID).mine, []);
  // the STABLE definition, replaced by a later migration's VOLATILE one with a SET clause: only the later one runs
  assert.deepEqual(lintFiles([{ file, text: MEMBERS + helper('STABLE') }, { file: 'supabase/migrations/20250201000000_b.sql', text: clause.slice(MEMBERS.length) }], ID).mine, []);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql); // owned by the superuser: it bypasses RLS
    await q(`INSERT INTO public.org_memberships VALUES ('${TENANT_A}', '${TENANT_A}'), ('${TENANT_B}', '${TENANT_B}')`);
    await q(`${actAs(TENANT_A)} SET ROLE authenticated`);
    assert.deepEqual(await q(`SELECT public.is_org_member('${TENANT_A}') AS m`), [{ m: true }]);
    assert.deepEqual(await q('SHOW row_security'), [{ row_security: 'off' }]);
    await expectPgError(q('SELECT count(*) FROM public.org_memberships'), '42501', 'query would be affected by row-level security policy');
  });
});

// Calibration (a wallet-creating definer of a Lovable project): the body turns row_security off
// with set_config(…, true), writes, and turns it back on before it returns: nothing outlives the
// call. Reported still when the restore is in an IF branch, or a RETURN comes before it.
const restoring = (between: string, restore: string) => `CREATE OR REPLACE FUNCTION public.join_org(p_org_id uuid) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER VOLATILE SET search_path = public, pg_temp AS $$
BEGIN
  PERFORM set_config('row_security', 'off', true);
  INSERT INTO public.org_memberships VALUES (auth.uid(), p_org_id);
${between}  ${restore}
  RETURN true;
END $$;
`;
const RESTORE = "PERFORM set_config('row_security', 'on', true);";

test("ok: set_config('row_security', 'off', true) in a definer's body that sets it back on before returning does not outlive the call (PGlite: the caller's next filtered query works); an early RETURN before the restore, or a restore in an IF branch, is still reported", async () => {
  const file = 'supabase/migrations/20250101000000_a.sql';
  const sql = MEMBERS + restoring('', RESTORE);
  assert.deepEqual(lintFiles([{ file, text: sql }], ID).mine, []);
  // RESET and SET LOCAL … = on restore it as well
  assert.deepEqual(lintFiles([{ file, text: MEMBERS + restoring('', 'RESET row_security;') }], ID).mine, []);
  assert.deepEqual(lintFiles([{ file, text: MEMBERS + restoring('', 'SET LOCAL row_security = on;') }], ID).mine, []);
  const early = MEMBERS + restoring('  IF p_org_id IS NULL THEN\n    RETURN false;\n  END IF;\n', RESTORE);
  const conditional = MEMBERS + restoring('', `IF p_org_id IS NOT NULL THEN ${RESTORE} END IF;`);
  for (const text of [early, conditional]) {
    const [f, ...rest] = lintFiles([{ file, text }], ID).mine;
    assert.equal(rest.length, 0);
    assert.match(f!.message, /outlives the call/);
  }
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql); // owned by the superuser: it bypasses RLS
    await q('GRANT INSERT ON public.org_memberships TO authenticated');
    await q(`${actAs(TENANT_A)} SET ROLE authenticated`);
    assert.deepEqual(await q(`SELECT public.join_org('${TENANT_B}') AS j`), [{ j: true }]);
    assert.deepEqual(await q('SHOW row_security'), [{ row_security: 'on' }]);
    assert.deepEqual(await q('SELECT count(*)::int AS n FROM public.org_memberships'), [{ n: 1 }]);
  });
  // the early RETURN: the setting outlives the call, as reported
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(early.replace("RETURN false", "RETURN true").replace('IS NULL THEN', 'IS NOT NULL THEN'));
    await q(`${actAs(TENANT_A)} SET ROLE authenticated`);
    await q(`SELECT public.join_org('${TENANT_B}')`);
    await expectPgError(q('SELECT count(*) FROM public.org_memberships'), '42501', 'query would be affected by row-level security policy');
  });
});

// Calibration (wetraineducattiontech's seed.sql): the Supabase CLI applies migrations and seeds as
// postgres, a BYPASSRLS role: a top-level SET row_security = off there changes nothing.
test('ok: top-level SET row_security = off in a Supabase seed or migration (run as postgres, which bypasses RLS) is not reported; after SET ROLE authenticated it is', () => {
  const seed = "SET session_replication_role = replica;\nSET row_security = off;\nINSERT INTO public.notes VALUES (1);\n";
  const files = (text: string) => [
    { file: 'supabase/migrations/20240101000000_notes.sql', text: 'CREATE TABLE public.notes (id int);\nALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;\n' },
    { file: 'supabase/seed.sql', text },
  ];
  assert.deepEqual(lintFiles(files(seed), ID).mine, []);
  assert.equal(lintFiles(files(`SET ROLE authenticated;\n${seed}`), ID).mine.length, 1);
  // elsewhere, who runs it is not known: reported
  assert.equal(lintFiles([{ file: 'db/seed.sql', text: seed }], ID).mine.length, 1);
});

// fix126: the tables a trigger function INSERTs into are the ones the model resolves in the
// function, with its own SET search_path (model.funcRelKey), not the session's default schema.
test("err→fix: audit_log_trigger() with SET search_path = app inserts into audit_log, where app.audit_log and public.audit_log both exist: the fix's trigger-only INSERT policy goes on app.audit_log, the table PostgreSQL writes (PGlite: with it the UPDATE works; the same policy on public.audit_log leaves it failing with 42501 on app.audit_log)", async () => {
  const { ws } = invalidFinding(ID, 0);
  const text = `CREATE SCHEMA app;
CREATE TABLE public.audit_log (id bigserial PRIMARY KEY, project_id bigint NOT NULL, actor uuid);
ALTER TABLE public.audit_log ENABLE ROW LEVEL SECURITY;
${sqlOf(ws)
  .replace(/\b(TABLE|ON) audit_log\b/g, '$1 app.audit_log')
  .replace('SET search_path = public, pg_temp', 'SET search_path = app, pg_temp')}`;
  assert.match(text, /INSERT INTO audit_log \(/);
  const { ws: appWs, mine } = lintFiles([{ file: 'migrations/001_audit.sql', text }], ID);
  assert.equal(mine.length, 1);
  const fixed = sqlOf(applyFix(appWs, mine[0]!));
  assert.match(fixed, /\nCREATE POLICY audit_log_insert_from_trigger ON app\.audit_log FOR INSERT TO CURRENT_USER WITH CHECK \(pg_trigger_depth\(\) > 0\);/);
  assert.doesNotMatch(fixed, /CREATE POLICY audit_log_insert_from_trigger ON (public\.)?audit_log /);
  const db = await getDb();
  const run = (sql: string) =>
    inRollback(db, async (q) => {
      await q('CREATE SCHEMA app AUTHORIZATION app_owner');
      await audited(q, sql.replace('CREATE SCHEMA app;', ''));
      const r = await tryQuery(q, `UPDATE projects SET name = 'x' WHERE id = 1`);
      await q('RESET ROLE');
      return { r, app: await count(q, 'app.audit_log'), pub: await count(q, 'public.audit_log') };
    });
  const withFix = await run(fixed);
  assert.ok(withFix.r.ok, 'the trigger insert passes the policy on app.audit_log');
  assert.deepEqual([withFix.app, withFix.pub], [1, 0], 'it wrote app.audit_log');
  const onPublic = await run(fixed.replace('ON app.audit_log FOR INSERT', 'ON public.audit_log FOR INSERT'));
  assert.ok(!onPublic.r.ok && onPublic.r.error.code === '42501' && /policy for table "audit_log"/.test(onPublic.r.error.message), 'a policy on public.audit_log does not let it write app.audit_log');
});

// andreascansee/advanced-postgres's expense-demo/init.sql opens with pg_dump's preamble under a
// `-- Setup` comment instead of the dump's header (`SET check_function_bodies = false; SET xmloption
// = content; SET client_min_messages = warning; SET row_security = off;`). pg_dump writes that SET
// on purpose: a dump or restore that a policy would filter fails instead of missing rows. Not reported,
// as a dump with its header is not; a SET without that preamble still is.
test('ok: pg_dump\'s preamble without its header comment (check_function_bodies, xmloption before it): not reported; PGlite: under it a read a policy would filter fails (42501) rather than miss rows', async () => {
  const preamble = `-- Setup
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;
`;
  const body = `CREATE TABLE expenses (id int PRIMARY KEY, user_id int NOT NULL);
ALTER TABLE expenses ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON expenses USING (user_id = current_setting('app.user_id', true)::int);
GRANT SELECT ON expenses TO authenticated;
`;
  assert.equal(lintFiles([{ file: 'init.sql', text: preamble + body }], ID).mine.length, 0);
  // (the same SET alone, or with only one of those lines, is still reported)
  assert.equal(lintFiles([{ file: 'init.sql', text: `SET row_security = off;\n${body}` }], ID).mine.length, 1);
  assert.equal(lintFiles([{ file: 'init.sql', text: `SET xmloption = content;\nSET row_security = off;\n${body}` }], ID).mine.length, 1);
  await inRollback(await getDb(), async (q) => {
    await asOwner(q, body);
    await q('INSERT INTO expenses VALUES (1, 1), (2, 2)');
    await q('SET ROLE authenticated');
    await q(`SELECT set_config('app.user_id', '1', true)`);
    assert.equal(await count(q, 'expenses'), 1, 'with row_security on, the policy filters');
    await q('SET row_security = off');
    const r = await tryQuery(q, 'SELECT count(*) FROM expenses');
    assert.equal(r.ok ? 'ok' : r.error.code, '42501', 'under the preamble the filtered read fails instead');
  });
});
