// definer-trigger-blocked-by-force-rls on PostgreSQL (PGlite): a SECURITY DEFINER trigger
// function owned by a non-superuser table owner inserts into a FORCE'd audit table that has
// only a SELECT policy: every UPDATE of projects fails with 42501 (T07). After the fix (an
// INSERT policy for the owner, WITH CHECK (pg_trigger_depth() > 0)) the trigger works, and a
// direct insert — by the owner or by the app role — still fails (T10). SET row_security = off
// does not help (F2/T08); a BYPASSRLS owner does (T11), and the rule stays silent then.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { asOwner, closeAll, count, expectPgError, getDb, inRollback, type Q, tryQuery } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintFiles, sqlOf, TENANT_A, textAt } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';
import { mergeConfig } from '../../server/src/analysis/config.js';

const ID = 'definer-trigger-blocked-by-force-rls';
before(initParser);
after(closeAll);

/** Creates the example as app_owner (a non-superuser), one project of user A, and acts as A. */
async function setup(q: Q, sql: string, owner = 'app_owner'): Promise<void> {
  await q(AUTH_STUB_SQL);
  await asOwner(q, sql, owner);
  await q(`INSERT INTO projects VALUES (1, '${TENANT_A}', 'p1')`); // as the superuser
  await q('GRANT SELECT, UPDATE ON projects TO authenticated; GRANT SELECT, INSERT ON audit_log TO authenticated');
  await q(actAs(TENANT_A));
}

const update = `UPDATE projects SET name = 'renamed' WHERE id = 1`;

test('err: every UPDATE that fires the trigger fails with 42501 (T07); after the fix it works and direct inserts still fail (T10)', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'INSERT INTO audit_log');
  assert.match(finding.message, /42501 new row violates row-level security policy for table "audit_log".*\(T07\)/);
  assert.match(finding.message, /assumed not to bypass RLS \(setting definerOwnerBypassesRls\)/);
  assert.equal(finding.fixes[0]!.kind, 'unsafe');
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /CREATE POLICY audit_log_insert_from_trigger ON audit_log FOR INSERT TO CURRENT_USER\n {2}WITH CHECK \(pg_trigger_depth\(\) > 0\);/);
  assert.equal(findingsOf(fixed, ID).length, 0);

  const db = await getDb();
  await inRollback(db, async (q) => {
    await setup(q, sqlOf(ws));
    assert.equal((await q("SELECT proowner::regrole::text AS o FROM pg_proc WHERE proname = 'audit_project_change'"))[0]!.o, 'app_owner');
    await q('SET ROLE authenticated');
    await expectPgError(q(update), '42501', 'new row violates row-level security policy for table "audit_log"');
  });
  await inRollback(db, async (q) => {
    await setup(q, sqlOf(fixed));
    await q('SET ROLE authenticated');
    await q(update);
    assert.equal(await count(q, 'SELECT 1 FROM projects WHERE name = $$renamed$$'), 1);
    const direct = await tryQuery(q, `INSERT INTO audit_log (project_id) VALUES (1)`);
    assert.equal(direct.ok ? 'ok' : direct.error.code, '42501', 'the app role cannot insert directly');
    await q('RESET ROLE');
    assert.equal(await count(q, 'audit_log'), 1, 'the trigger wrote its row (counted as the superuser)');
    await q('SET ROLE app_owner');
    await expectPgError(q(`INSERT INTO audit_log (project_id) VALUES (1)`), '42501', 'new row violates row-level security policy');
  });
});

test('ok (F2/T08): SET row_security = off on the function does not help', async () => {
  const { ws } = invalidFinding(ID, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await setup(q, `${sqlOf(ws)};\nALTER FUNCTION audit_project_change() SET row_security = off;`);
    await q('SET ROLE authenticated');
    await expectPgError(q(update), '42501', 'query would be affected by row-level security policy for table "audit_log"');
  });
});

test('ok (T11): with a BYPASSRLS owner the trigger works, and the rule is silent when the workspace shows that owner', async () => {
  const { ws } = invalidFinding(ID, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await setup(q, sqlOf(ws), 'bypass_owner');
    await q('SET ROLE authenticated');
    await q(update);
    await q('RESET ROLE');
    assert.equal(await count(q, 'audit_log'), 1);
  });
  const text = `CREATE ROLE bypass_owner NOLOGIN BYPASSRLS;\n${sqlOf(ws)};\nALTER FUNCTION audit_project_change() OWNER TO bypass_owner;`;
  assert.equal(lintFiles([{ file: 'm.sql', text }], ID).mine.length, 0);
  assert.equal(lintFiles([{ file: 'm.sql', text: text.replace('BYPASSRLS', 'SUPERUSER') }], ID).mine.length, 0);
  assert.equal(lintFiles([{ file: 'm.sql', text: text.replace(' BYPASSRLS', '') }], ID).mine.length, 1);
});

test('err: a known owner: the fix names it (TO audit_owner)', () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.match(finding.message, /its owner audit_owner is neither a superuser nor BYPASSRLS/);
  assert.match(sqlOf(applyFix(ws, finding)), /FOR INSERT TO audit_owner\n {2}WITH CHECK \(pg_trigger_depth\(\) > 0\);\s*$/);
});

test('ok: not reported: an admitting INSERT/ALL policy, no trigger using the function, an invoker function, a Supabase layout', () => {
  const { ex } = invalidFinding(ID, 0);
  const base = ex.files[0]!.text;
  for (const extra of [
    'CREATE POLICY ins ON audit_log FOR INSERT TO PUBLIC WITH CHECK (true);',
    'CREATE POLICY ins ON audit_log FOR ALL TO CURRENT_USER USING (pg_trigger_depth() > 0);',
  ]) {
    assert.equal(lintFiles([{ file: 'm.sql', text: `${base}\n${extra}` }], ID).mine.length, 0, extra);
  }
  // policies that do not admit the write
  for (const extra of [
    'CREATE POLICY ins ON audit_log FOR INSERT TO authenticated WITH CHECK (true);',
    'CREATE POLICY ins ON audit_log FOR INSERT TO CURRENT_USER;',
    'CREATE POLICY ins ON audit_log FOR INSERT TO CURRENT_USER WITH CHECK (false);',
  ]) {
    assert.equal(lintFiles([{ file: 'm.sql', text: `${base}\n${extra}` }], ID).mine.length, 1, extra);
  }
  assert.equal(lintFiles([{ file: 'm.sql', text: base.replace(/CREATE TRIGGER[\s\S]*$/, '') }], ID).mine.length, 0);
  assert.equal(lintFiles([{ file: 'm.sql', text: base.replace('SECURITY DEFINER ', '') }], ID).mine.length, 0);
  assert.equal(lintFiles([{ file: 'supabase/migrations/1_x.sql', text: base }], ID).mine.length, 0);
});

test('ok: a trigger goes with its table: after DROP TABLE … CASCADE and the table made again without it, the UPDATE fires nothing and succeeds (PGlite), and the rule is silent', async () => {
  const { ws } = invalidFinding(ID, 0);
  const again = `DROP TABLE IF EXISTS projects CASCADE;
CREATE TABLE projects (id bigint PRIMARY KEY, owner_id uuid NOT NULL, name text NOT NULL);
ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
ALTER TABLE projects FORCE ROW LEVEL SECURITY;
CREATE POLICY projects_owner ON projects FOR ALL TO authenticated
  USING (owner_id = (select auth.uid()));
`;
  assert.deepEqual(lintFiles([{ file: 'db/1.sql', text: sqlOf(ws) }, { file: 'db/2.sql', text: again }], ID).mine, []);
  assert.equal(lintFiles([{ file: 'db/1.sql', text: sqlOf(ws) }, { file: 'db/2.sql', text: again.split('\n').slice(1).join('\n').replace('CREATE TABLE projects', 'CREATE TABLE IF NOT EXISTS projects') }], ID).mine.length, 1, 'not dropped: the trigger stays');
  await inRollback(await getDb(), async (q) => {
    await setup(q, sqlOf(ws) + '\n' + again);
    await q('SET ROLE authenticated');
    await q(update);
    assert.equal(await count(q, 'SELECT 1 FROM projects WHERE name = $$renamed$$'), 1);
    await q('RESET ROLE');
    assert.equal(await count(q, 'audit_log'), 0, 'no trigger wrote a row');
  });
});

test('err: the INSERT in a SECURITY INVOKER function the trigger function calls runs as the same owner and fails too (42501, PGlite); reported at the call, the chain named; the fix makes it work', async () => {
  const { ws } = invalidFinding(ID, 0);
  const text = sqlOf(ws)
    .replace(
      'CREATE FUNCTION audit_project_change()',
      `CREATE FUNCTION write_audit(p bigint) RETURNS void LANGUAGE plpgsql SET search_path = public, pg_temp AS $f$
BEGIN
  INSERT INTO audit_log (project_id, actor_id) VALUES (p, auth.uid());
END $f$;
CREATE FUNCTION audit_project_change()`,
    )
    .replace('  INSERT INTO audit_log (project_id, actor_id) VALUES (NEW.id, auth.uid());\n  RETURN NEW;', '  PERFORM write_audit(NEW.id);\n  RETURN NEW;');
  const w = lintFiles([{ file: 'm.sql', text }], ID);
  assert.equal(w.mine.length, 1);
  const f = w.mine[0]!;
  assert.equal(textAt(w.ws, f), 'write_audit');
  assert.match(f.message, /^SECURITY DEFINER trigger function public\.audit_project_change\(\) calls public\.write_audit\(bigint\), a SECURITY INVOKER function \(so it runs as the trigger function's owner\), which inserts into public\.audit_log, which has FORCE ROW LEVEL SECURITY and no INSERT policy that applies to that owner; /);
  assert.match(f.message, /reaches this call \(T07\)/);
  const fixed = applyFix(w.ws, f);
  assert.equal(findingsOf(fixed, ID).length, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await setup(q, text);
    await q('SET ROLE authenticated');
    await expectPgError(q(update), '42501', 'new row violates row-level security policy for table "audit_log"');
  });
  await inRollback(db, async (q) => {
    await setup(q, sqlOf(fixed));
    await q('SET ROLE authenticated');
    await q(update);
    await q('RESET ROLE');
    assert.equal(await count(q, 'audit_log'), 1, 'the helper wrote its row');
  });
  // (two calls deep: both named, in order; the INSERT fails the same way)
  const deeper = text
    .replace('CREATE FUNCTION write_audit(p bigint)', 'CREATE FUNCTION write_audit_row(p bigint)')
    .replace('CREATE FUNCTION audit_project_change()', 'CREATE FUNCTION write_audit(p bigint) RETURNS void LANGUAGE sql SET search_path = public, pg_temp AS $f$ SELECT write_audit_row(p) $f$;\nCREATE FUNCTION audit_project_change()');
  const [two] = lintFiles([{ file: 'm.sql', text: deeper }], ID).mine;
  assert.match(
    two?.message ?? '',
    /^SECURITY DEFINER trigger function public\.audit_project_change\(\) calls public\.write_audit\(bigint\), which calls public\.write_audit_row\(bigint\), both SECURITY INVOKER \(so they run as the trigger function's owner\), and public\.write_audit_row\(bigint\) inserts into public\.audit_log, which has FORCE ROW LEVEL SECURITY/,
  );
  await inRollback(db, async (q) => {
    await setup(q, deeper);
    await q('SET ROLE authenticated');
    await expectPgError(q(update), '42501', 'new row violates row-level security policy for table "audit_log"');
  });
  // (an EXCEPTION clause in the helper may catch the error: not reported)
  const caught = text.replace("VALUES (p, auth.uid());\nEND", "VALUES (p, auth.uid());\nEXCEPTION WHEN insufficient_privilege THEN NULL;\nEND");
  assert.equal(lintFiles([{ file: 'm.sql', text: caught }], ID).mine.length, 0);
});

test('err: the INSERT is underlined to the end of its target as written: a quoted schema and name, and a name longer than the 63 bytes PostgreSQL keeps', () => {
  const { ws } = invalidFinding(ID, 0);
  const long = `audit_log_${'x'.repeat(60)}`;
  for (const [name, written] of [
    ['"Audit Log"', 'INSERT INTO public."Audit Log"'],
    [long, `INSERT INTO public.${long}`],
  ] as const) {
    const text = sqlOf(ws).replaceAll('audit_log', name).replace(`INSERT INTO ${name}`, `INSERT INTO public.${name}`);
    const w = lintFiles([{ file: 'm.sql', text }], ID);
    assert.equal(w.mine.length, 1, name);
    assert.equal(textAt(w.ws, w.mine[0]!), written);
  }
});

test('ok: OWNER TO CURRENT_USER names the role running the migration, not a role called current_user: the message does not say it is neither a superuser nor BYPASSRLS; after SET ROLE it is that role', async () => {
  // (chrispeer69/towdispatch's 0004_audit_trigger.sql: `ALTER FUNCTION fn_audit_log() OWNER TO
  // CURRENT_USER;`, run by the bootstrap superuser, was reported as "its owner CURRENT_USER is
  // neither a superuser nor BYPASSRLS"; run so, the trigger's insert works)
  const { ex } = invalidFinding(ID, 0);
  const base = `${ex.files[0]!.text}\nALTER FUNCTION audit_project_change() OWNER TO CURRENT_USER;`;
  for (const kw of ['CURRENT_USER', 'CURRENT_ROLE', 'SESSION_USER']) {
    const [f, ...rest] = lintFiles([{ file: 'm.sql', text: base.replace('TO CURRENT_USER;', `TO ${kw};`) }], ID).mine;
    assert.ok(f && rest.length === 0, kw);
    assert.doesNotMatch(f.message, /its owner (CURRENT_USER|CURRENT_ROLE|SESSION_USER|current_user)/, kw);
    assert.match(f.message, /its owner is not shown in the workspace and is assumed not to bypass RLS \(setting definerOwnerBypassesRls\)/, kw);
  }
  assert.equal(lintFiles([{ file: 'm.sql', text: base }], ID, mergeConfig({ definerOwnerBypassesRls: 'true' })).mine.length, 0, 'an owner assumed to bypass RLS');
  const set = lintFiles([{ file: 'm.sql', text: `CREATE ROLE audit_owner NOLOGIN;\nSET ROLE audit_owner;\n${base}` }], ID).mine;
  assert.equal(set.length, 1);
  assert.match(set[0]!.message, /its owner audit_owner is neither a superuser nor BYPASSRLS/);

  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q(base); // as the superuser, as towdispatch's bootstrap role runs it
    assert.equal((await q("SELECT proowner::regrole::text AS o FROM pg_proc WHERE proname = 'audit_project_change'"))[0]!.o, (await q('SELECT current_user AS u'))[0]!.u);
    await q(`INSERT INTO projects VALUES (1, '${TENANT_A}', 'p1')`);
    await q('GRANT SELECT, UPDATE ON projects TO authenticated');
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    await q(update);
    await q('RESET ROLE');
    assert.equal(await count(q, 'audit_log'), 1, 'the superuser-owned trigger function wrote its row');
  });
});
