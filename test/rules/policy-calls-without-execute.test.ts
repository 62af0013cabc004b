// policy-calls-without-execute on PostgreSQL (PGlite): PostgreSQL checks EXECUTE on each function
// a policy calls as the role whose query it filters, when the query starts: without it every query
// of that role fails with 42501 permission denied for function …, even on an empty table, in a
// sub-select and for a SECURITY DEFINER function alike. USAGE on the function's schema is not
// checked. Another permissive policy that is always true folds the OR away: nothing is checked.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, count, expectPgError, getDb, inRollback, type Q } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintDocExample, lintFiles, sqlOf, TENANT_A, textAt } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL, STORAGE_STUB_SQL } from '../helpers/supabase.js';
import { Workspace } from '../../server/src/engine/workspace.js';

const ID = 'policy-calls-without-execute';
before(initParser);
after(closeAll);

/** Supabase's storage stubs and an object of the bucket, named after account A. */
async function storage(q: Q, sql: string): Promise<void> {
  await q(AUTH_STUB_SQL);
  await q(STORAGE_STUB_SQL);
  await q(sql);
  await q(`INSERT INTO storage.buckets (id, name, public) VALUES ('account_image', 'account_image', true)`);
  await q(`INSERT INTO storage.objects (bucket_id, name) VALUES ('account_image', '${TENANT_A}.png')`);
}

test("err: Supabase storage: a policy for PUBLIC calling a function revoked from PUBLIC fails anon's reads with 42501 permission denied for function; authenticated, without USAGE on kit, reads; the GRANT fixes anon", async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'kit.file_account');
  assert.match(finding.message, /^Policy "account_image" on storage\.objects calls kit\.file_account\(text\), but anon has no EXECUTE privilege on it: PUBLIC's EXECUTE on it is revoked and nothing in these migrations grants it to that role \(only to authenticated and service_role\)\./);
  assert.match(finding.message, /so every SELECT on storage\.objects by anon fails with 42501 permission denied for function file_account\. GRANT EXECUTE ON FUNCTION kit\.file_account\(text\) TO anon/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await storage(q, sqlOf(ws));
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    // (no GRANT USAGE ON SCHEMA kit: the stored policy calls the function by its identity)
    assert.deepEqual(await q(`SELECT has_schema_privilege('kit', 'USAGE') AS u`), [{ u: false }]);
    assert.equal(await count(q, 'storage.objects'), 1, "account A's own image");
    await q('RESET ROLE');
    await q('SET ROLE anon');
    await expectPgError(q('SELECT count(*) FROM storage.objects'), '42501', 'permission denied for function file_account');
  });
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /GRANT EXECUTE ON FUNCTION kit\.file_account\(text\) TO anon;/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(db, async (q) => {
    await storage(q, sqlOf(fixed));
    await q('SET ROLE anon');
    assert.equal(await count(q, 'storage.objects'), 0, 'no user: no row, and no error');
  });
});

async function documents(q: Q, sql: string): Promise<void> {
  await q(sql);
  await q(`INSERT INTO app.documents VALUES (1, 'app_user', 'mine'), (2, 'app_admin', 'theirs')`);
}

test('err: a role of the policy the function is not granted to: 42501 permission denied for function is_owner (a LANGUAGE sql function too); the other role reads; the GRANT makes the policy work', async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.equal(textAt(ws, finding), 'app.is_owner');
  assert.match(finding.message, /but app_user has no EXECUTE privilege on it: .* \(only to app_admin\)\. .*every SELECT on app\.documents by app_user fails with 42501 permission denied for function is_owner\./);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await documents(q, sqlOf(ws));
    await q('SET ROLE app_admin');
    assert.equal(await count(q, 'app.documents'), 1);
    await q('RESET ROLE');
    await q('SET ROLE app_user');
    await expectPgError(q('SELECT count(*) FROM app.documents'), '42501', 'permission denied for function is_owner');
  });
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /GRANT EXECUTE ON FUNCTION app\.is_owner\(text\) TO app_user;/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(db, async (q) => {
    await documents(q, sqlOf(fixed));
    await q('SET ROLE app_user');
    assert.deepEqual(await q('SELECT title FROM app.documents'), [{ title: 'mine' }]);
  });
});

const BASE = `
CREATE ROLE app_user;
CREATE SCHEMA app;
CREATE TABLE app.documents (id bigint PRIMARY KEY, owner_name text NOT NULL, title text NOT NULL);
GRANT USAGE ON SCHEMA app TO app_user;
GRANT SELECT ON app.documents TO app_user;
ALTER TABLE app.documents ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION app.is_owner(owner_name text) RETURNS boolean LANGUAGE plpgsql STABLE
  AS $$ BEGIN RETURN owner_name = current_user; END $$;
REVOKE EXECUTE ON FUNCTION app.is_owner(text) FROM PUBLIC;
`;

test('err: SECURITY DEFINER, a call in a sub-select, and an empty table: the same 42501; the message names the commands a FOR ALL policy evaluates the call for', async () => {
  const cases = [
    { extra: 'ALTER FUNCTION app.is_owner(text) SECURITY DEFINER;', policy: `CREATE POLICY p ON app.documents FOR SELECT TO app_user USING (app.is_owner(owner_name));`, commands: 'SELECT' },
    { extra: '', policy: `CREATE POLICY p ON app.documents FOR SELECT TO app_user USING ((SELECT app.is_owner('app_user')));`, commands: 'SELECT' },
    { extra: 'GRANT INSERT, UPDATE, DELETE ON app.documents TO app_user;', policy: `CREATE POLICY p ON app.documents FOR ALL TO app_user USING (app.is_owner(owner_name));`, commands: 'SELECT, INSERT, UPDATE and DELETE' },
    { extra: 'GRANT INSERT, UPDATE, DELETE ON app.documents TO app_user;', policy: `CREATE POLICY p ON app.documents FOR ALL TO app_user USING (true) WITH CHECK (app.is_owner(owner_name));`, commands: 'INSERT and UPDATE' },
  ];
  const db = await getDb();
  for (const c of cases) {
    const sql = BASE + c.extra + '\n' + c.policy + '\n';
    const { mine } = lintFiles([{ file: 'm.sql', text: sql }], ID);
    assert.equal(mine.length, 1, c.policy);
    assert.match(mine[0]!.message, new RegExp(`every ${c.commands} on app\\.documents by app_user fails with 42501 permission denied for function is_owner`), c.policy);
    await inRollback(db, async (q) => {
      await q(sql);
      await q('SET ROLE app_user');
      const probe = c.commands.startsWith('SELECT') ? 'SELECT count(*) FROM app.documents' : `INSERT INTO app.documents VALUES (1, 'app_user', 'x')`;
      await expectPgError(q(probe), '42501', 'permission denied for function is_owner');
    });
  }
});

test('ok: another permissive policy USING (true) for the role folds the OR away (no check, PGlite); a role without the table privilege fails on the table first; a role granted EXECUTE through a group is not reported', async () => {
  const db = await getDb();
  const folded = BASE + `CREATE POLICY p ON app.documents FOR SELECT TO app_user USING (app.is_owner(owner_name));\nCREATE POLICY everyone ON app.documents FOR SELECT TO app_user USING (true);\n`;
  assert.equal(lintFiles([{ file: 'm.sql', text: folded }], ID).mine.length, 0);
  await inRollback(db, async (q) => {
    await q(folded);
    await q(`INSERT INTO app.documents VALUES (1, 'x', 'y')`);
    await q('SET ROLE app_user');
    assert.equal(await count(q, 'app.documents'), 1);
  });
  const noTable = BASE.replace('GRANT SELECT ON app.documents TO app_user;', 'CREATE TABLE app.other (id int);\nGRANT SELECT ON app.other TO app_user;') + `CREATE POLICY p ON app.documents FOR SELECT TO app_user USING (app.is_owner(owner_name));\n`;
  assert.equal(lintFiles([{ file: 'm.sql', text: noTable }], ID).mine.length, 0);
  await inRollback(db, async (q) => {
    await q(noTable);
    await q('SET ROLE app_user');
    await expectPgError(q('SELECT count(*) FROM app.documents'), '42501', 'permission denied for table documents');
  });
  const group = BASE + `CREATE ROLE readers;\nGRANT readers TO app_user;\nGRANT EXECUTE ON FUNCTION app.is_owner(text) TO readers;\nCREATE POLICY p ON app.documents FOR SELECT TO app_user USING (app.is_owner(owner_name));\n`;
  assert.equal(lintFiles([{ file: 'm.sql', text: group }], ID).mine.length, 0);
  await inRollback(db, async (q) => {
    await q(group);
    await q('SET ROLE app_user');
    assert.equal(await count(q, 'app.documents'), 0);
  });
});

test('ok: Supabase storage: a migration revoking anon\'s privileges on storage\'s tables leaves anon unknown (no finding)', () => {
  const { ex } = lintDocExample(ID, 'invalid', 0);
  const sql = ex.files[0]!.text + '\nrevoke all privileges on all tables in schema storage from anon;\n';
  assert.equal(lintFiles([{ file: ex.files[0]!.file, text: sql }], ID).mine.length, 0);
});

/** Supabase's platform default privileges in public (tables and functions), as the platform sets them for postgres. */
const PLATFORM_DEFAULTS = `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role;`;

test("ok/err: Supabase: revoking the default EXECUTE from PUBLIC leaves the platform's default grant to anon on functions in public (no finding, anon reads); a per-schema default revoke from anon takes it (finding, 42501)", async () => {
  const { ex } = lintDocExample(ID, 'valid', 2);
  const text = ex.files[0]!.text.replace(/^revoke execute on function .*$/m, '');
  const publicOnly = 'alter default privileges revoke execute on functions from public;\n' + text;
  assert.equal(lintFiles([{ file: ex.files[0]!.file, text: publicOnly }], ID).mine.length, 0);
  const fromAnon = 'alter default privileges revoke execute on functions from public;\nalter default privileges in schema public revoke execute on functions from anon;\n' + text;
  const { mine } = lintFiles([{ file: ex.files[0]!.file, text: fromAnon }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /but anon has no EXECUTE privilege on it: .*every SELECT on public\.projects by anon fails with 42501 permission denied for function is_mine/);
  const db = await getDb();
  for (const sql of [publicOnly, fromAnon]) {
    await inRollback(db, async (q) => {
      await q(AUTH_STUB_SQL);
      await q(PLATFORM_DEFAULTS);
      await q(sql);
      await q(actAs(TENANT_A));
      await q('SET ROLE anon');
      if (sql === publicOnly) assert.equal(await count(q, 'public.projects'), 0);
      else await expectPgError(q('SELECT count(*) FROM public.projects'), '42501', 'permission denied for function is_mine');
    });
  }
});

test('ok: Valid examples run, and read what they should', async () => {
  const db = await getDb();
  const storageValid = lintDocExample(ID, 'valid', 0);
  assert.equal(storageValid.mine.length, 0);
  await inRollback(db, async (q) => {
    await storage(q, sqlOf(storageValid.ws));
    await q('SET ROLE anon');
    assert.equal(await count(q, 'storage.objects'), 0, 'no policy for anon: no row, no error');
  });
  const granted = lintDocExample(ID, 'valid', 1);
  assert.equal(granted.mine.length, 0);
  await inRollback(db, async (q) => {
    await documents(q, sqlOf(granted.ws));
    await q('SET ROLE app_user');
    assert.deepEqual(await q('SELECT title FROM app.documents'), [{ title: 'mine' }]);
  });
  // Supabase's default privileges on functions in public: a REVOKE … FROM PUBLIC leaves anon's EXECUTE
  const platform = lintDocExample(ID, 'valid', 2);
  assert.equal(platform.mine.length, 0);
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q(PLATFORM_DEFAULTS);
    await q(sqlOf(platform.ws));
    await q(`INSERT INTO public.projects VALUES (1, '${TENANT_A}', 'a')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE anon');
    assert.equal(await count(q, 'public.projects'), 1);
  });
});

test('ok: where the migrations GRANT through dynamic SQL (a DO block EXECUTE-ing GRANT EXECUTE … for a list of functions), who may call what is not known: not reported; PGlite: the grant does reach anon, which reads', async () => {
  const sql = `CREATE ROLE pcwe_dyn_anon NOLOGIN;
CREATE SCHEMA kit;
CREATE FUNCTION kit.owner_of(n text) RETURNS text LANGUAGE sql STABLE AS $$ SELECT n $$;
REVOKE EXECUTE ON FUNCTION kit.owner_of(text) FROM PUBLIC;
CREATE TABLE public.docs (id int PRIMARY KEY, name text);
ALTER TABLE public.docs ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON public.docs TO pcwe_dyn_anon;
CREATE POLICY docs_read ON public.docs FOR SELECT TO pcwe_dyn_anon USING (kit.owner_of(name) = 'x');
DO $$ DECLARE f text; BEGIN FOREACH f IN ARRAY ARRAY['kit.owner_of(text)'] LOOP EXECUTE 'GRANT EXECUTE ON FUNCTION ' || f || ' TO pcwe_dyn_anon'; END LOOP; END $$;
`;
  assert.deepEqual(lintFiles([{ file: 'db/1.sql', text: sql }], ID).mine, []);
  const without = sql.slice(0, sql.indexOf('DO $$'));
  assert.equal(lintFiles([{ file: 'db/1.sql', text: without }], ID).mine.length, 1, 'without the DO block it is reported');
  await inRollback(await getDb(), async (q) => {
    await q(sql);
    await q(`INSERT INTO public.docs VALUES (1, 'x')`);
    await q('SET ROLE pcwe_dyn_anon');
    assert.equal((await q('SELECT id FROM public.docs')).length, 1);
  });
});

// What is kept across lints (each policy's calls of functions PUBLIC lost EXECUTE on, reused while
// the policy's row, the functions and which of them lost it are the same) follows edits of another file.
test('ok/err: kept across lints: a GRANT to the role, to PUBLIC, a new policy calling the function and a later REVOKE in another file each change the findings, another function revoked from PUBLIC does not; undone, they come back; PGlite: after the GRANT … TO PUBLIC app_user reads', async () => {
  const policy = `CREATE POLICY p ON app.documents FOR SELECT TO app_user USING (app.is_owner(owner_name));\n`;
  const ws = new Workspace(undefined, undefined, { editing: true });
  ws.setFile('db/1.sql', BASE + policy);
  const second = 'db/2.sql';
  ws.setFile(second, 'SELECT 1;\n');
  const mine = () => [...ws.lint().byFile.values()].flat().filter((f) => f.rule === ID);
  assert.equal(mine().length, 1);
  ws.setFile(second, 'GRANT EXECUTE ON FUNCTION app.is_owner(text) TO app_user;\n');
  assert.equal(mine().length, 0, 'granted to the role');
  ws.setFile(second, 'SELECT 1;\n');
  assert.equal(mine().length, 1);
  const toPublic = 'GRANT EXECUTE ON FUNCTION app.is_owner(text) TO PUBLIC;\n';
  ws.setFile(second, toPublic);
  assert.equal(mine().length, 0, 'granted to PUBLIC');
  ws.setFile(second, 'SELECT 1;\n');
  assert.equal(mine().length, 1);
  // (a policy of another file on the same table: its row comes between the others)
  ws.setFile(second, `CREATE POLICY q ON app.documents FOR SELECT TO app_user USING (app.is_owner(title));\n`);
  assert.deepEqual(mine().map((f) => f.file).sort(), ['db/1.sql', 'db/2.sql']);
  ws.setFile(second, 'SELECT 1;\n');
  assert.deepEqual(mine().map((f) => f.file), ['db/1.sql']);
  // (a REVOKE moving where the GRANT goes: the fix follows it)
  ws.setFile(second, 'REVOKE EXECUTE ON FUNCTION app.is_owner(text) FROM PUBLIC;\n');
  assert.match(mine()[0]!.fixes[0]!.title, /\(after the REVOKE at 2\.sql:1\)$/);
  // (another function PUBLIC lost EXECUTE on: every policy looked at again, the same finding)
  ws.setFile(second, 'CREATE FUNCTION app.extra() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;\nREVOKE EXECUTE ON FUNCTION app.extra() FROM PUBLIC;\n');
  assert.equal(mine().length, 1);
  ws.setFile(second, 'SELECT 1;\n');
  assert.doesNotMatch(mine()[0]!.fixes[0]!.title, /after the REVOKE/);
  await inRollback(await getDb(), async (q) => {
    await q(BASE + policy + toPublic);
    await q(`INSERT INTO app.documents VALUES (1, 'app_user', 'mine')`);
    await q('SET ROLE app_user');
    assert.equal(await count(q, 'app.documents'), 1);
  });
});

// A call written unqualified under `SET search_path = app, public` is bound by CREATE POLICY to the
// function of the first schema listed that has one of its name, when the policy is created. An edit
// of an EARLIER file that moves that function between the schemas changes which function the policy
// calls: a re-lint follows it as a fresh lint does (the call's resolution is computed again).
test('err/ok: kept across lints: a policy under SET search_path = app, public calling is_owner() unqualified follows the function moved from app to public in an earlier file (PGlite: public.is_owner, revoked, fails with 42501; an app.is_owner PUBLIC may execute shadows it)', async () => {
  const fn = (schema: string, extra = '') => `CREATE ROLE app_user;
CREATE SCHEMA app;
CREATE FUNCTION ${schema}.is_owner(owner_name text) RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT owner_name = current_user $$;
REVOKE EXECUTE ON FUNCTION ${schema}.is_owner(text) FROM PUBLIC;
${extra}`;
  const policy = `CREATE TABLE app.documents (id bigint PRIMARY KEY, owner_name text NOT NULL, title text NOT NULL);
GRANT USAGE ON SCHEMA app TO app_user;
GRANT SELECT ON app.documents TO app_user;
ALTER TABLE app.documents ENABLE ROW LEVEL SECURITY;
SET search_path = app, public;
CREATE POLICY p ON app.documents FOR SELECT TO app_user USING (is_owner(owner_name));
`;
  const shadow = 'CREATE FUNCTION app.is_owner(owner_name text) RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT true $$;\n';
  const ws = new Workspace(undefined, undefined, { editing: true });
  ws.setFile('db/1_fn.sql', fn('app'));
  ws.setFile('db/2_policy.sql', policy);
  const mine = () => [...ws.lint().byFile.values()].flat().filter((f) => f.rule === ID);
  const fresh = () => lintFiles(ws.files().map((file) => ({ file, text: ws.text(file)! })), ID).mine.map((f) => f.message);
  assert.match(mine()[0]!.message, /calls app\.is_owner\(text\), but app_user has no EXECUTE privilege on it/);
  const db = await getDb();
  /** On PGlite: the schema of the function the stored policy calls (pg_depend), and what app_user's SELECT does. */
  const probe = async (schema: string, expectError: boolean) =>
    inRollback(db, async (q) => {
      await q(sqlOf(ws));
      const bound = await q(`SELECT n.nspname FROM pg_depend d JOIN pg_proc f ON f.oid = d.refobjid JOIN pg_namespace n ON n.oid = f.pronamespace
        WHERE d.classid = 'pg_policy'::regclass AND d.refclassid = 'pg_proc'::regclass AND f.proname = 'is_owner'`);
      assert.deepEqual(bound, [{ nspname: schema }], 'the function the policy was bound to when created');
      await q(`INSERT INTO app.documents VALUES (1, 'app_user', 'mine'), (2, 'other', 'theirs')`);
      await q('SET ROLE app_user');
      if (expectError) await expectPgError(q('SELECT count(*) FROM app.documents'), '42501', 'permission denied for function is_owner');
      else assert.equal(await count(q, 'app.documents'), 2, 'app.is_owner (true for every row) is the one called');
    });
  await probe('app', true);
  // (moved to public: the path finds none in app, the policy calls public.is_owner, revoked from PUBLIC)
  ws.setFile('db/1_fn.sql', fn('public'));
  assert.deepEqual(mine().map((f) => f.message), fresh());
  assert.equal(mine().length, 1);
  assert.match(mine()[0]!.message, /calls public\.is_owner\(text\), but app_user has no EXECUTE privilege on it: .*every SELECT on app\.documents by app_user fails with 42501 permission denied for function is_owner\. GRANT EXECUTE ON FUNCTION public\.is_owner\(text\) TO app_user/);
  await probe('public', true);
  // (an app.is_owner that PUBLIC may execute, made before the policy: app comes first, nothing to report)
  ws.setFile('db/1_fn.sql', fn('public', shadow));
  assert.deepEqual(mine().map((f) => f.message), fresh());
  assert.equal(mine().length, 0);
  await probe('app', false);
  // (back in app, revoked)
  ws.setFile('db/1_fn.sql', fn('app'));
  assert.deepEqual(mine().map((f) => f.message), fresh());
  assert.match(mine()[0]!.message, /calls app\.is_owner\(text\)/);
  await probe('app', true);
});

test("err: Supabase: a function revoked from PUBLIC and from anon by name (Yostina-hub/fleetwise-fuel-guard's has_role(), then granted to authenticated only): the message says anon lost the platform's default EXECUTE by name, and a policy for PUBLIC fails anon's reads with 42501 (PGlite)", async () => {
  const sql = `CREATE TABLE public.api_keys (id int PRIMARY KEY, organization_id uuid);
ALTER TABLE public.api_keys ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.get_user_organization(_user_id uuid) RETURNS uuid LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT NULL::uuid
$$;
CREATE POLICY "Users can view API keys in their organization" ON public.api_keys FOR SELECT
  USING (organization_id = get_user_organization(auth.uid()));
REVOKE EXECUTE ON FUNCTION public.get_user_organization(uuid) FROM anon;
REVOKE EXECUTE ON FUNCTION public.get_user_organization(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.get_user_organization(uuid) TO authenticated;
`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/1_keys.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /but anon has no EXECUTE privilege on it: PUBLIC's EXECUTE on it is revoked, and so is the EXECUTE Supabase's default privileges give anon on functions in public \(revoked from that role by name\), and nothing in these migrations grants it back to that role \(only to authenticated\)\./);
  // (without the REVOKE from anon, the platform's default grant stays: no finding)
  assert.deepEqual(lintFiles([{ file: 'supabase/migrations/1_keys.sql', text: sql.replace(/^REVOKE EXECUTE .* FROM anon;\n/m, '') }], ID).mine, []);
  const db = await getDb();
  for (const [text, ok] of [[sql, false], [sql.replace(/^REVOKE EXECUTE .* FROM anon;\n/m, ''), true]] as const) {
    await inRollback(db, async (q) => {
      await q(AUTH_STUB_SQL);
      await q(PLATFORM_DEFAULTS);
      await q(text);
      await q('SET ROLE anon');
      if (ok) assert.equal(await count(q, 'public.api_keys'), 0);
      else await expectPgError(q('SELECT count(*) FROM public.api_keys'), '42501', 'permission denied for function get_user_organization');
    });
  }
});
