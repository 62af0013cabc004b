// membership-bypasses-rls on PostgreSQL (PGlite): a member of the tables' owner is treated as
// their owner and bypasses their policies unless FORCE'd (T13); a member of a superuser can SET
// ROLE to it. Each fix takes that away: the policy applies again.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, closeDb, count, ensureRoles, freshDb, getDb, inRollback, queryFn, type Q } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintDocExample, lintFiles, sqlOf, textAt } from '../helpers/rule-proof.js';

const ID = 'membership-bypasses-rls';
before(async () => {
  await initParser();
  // roles are cluster-wide, and a session authorization must outlive the rolled-back case: made once
  await ensureRoles(await getDb(), [{ name: 'app_user', login: true, createInPublic: true }, 'notes_owner']);
});
after(closeAll);

/** Runs the migrations as the superuser (their CREATE ROLEs made once, in before()), with two notes (one by app_user), then acts as app_user (SET ROLE: ownership is judged for the current role). */
async function asAppUser(q: Q, sql: string): Promise<void> {
  await q(sql.replace(/CREATE ROLE [^;]*;/g, ''));
  await q(`INSERT INTO notes (id, author) VALUES (1, 'app_user'), (2, 'someone_else')`);
  await q('SET ROLE app_user');
}

test('err: a member of the owner role reads every row (T13: the owner bypasses unforced RLS); either fix: the policy applies again', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'GRANT notes_owner TO app_user');
  assert.match(finding.message, /notes_owner owns an RLS table without FORCE ROW LEVEL SECURITY \(public\.notes\).*app_user reads and changes every row of it \(T13\)/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await asAppUser(q, sqlOf(ws));
    assert.equal(await count(q, 'notes'), 2, 'both notes: the policy is bypassed');
  });
  for (const title of [/^Remove GRANT notes_owner TO app_user/, /WITH INHERIT FALSE, SET FALSE/]) {
    const fixed = applyFix(ws, finding, title);
    assert.equal(findingsOf(fixed, ID).length, 0, `${title}: re-lints clean`);
    await inRollback(db, async (q) => {
      await asAppUser(q, sqlOf(fixed));
      assert.equal(await count(q, 'notes'), 1, `${title}: only app_user's note`);
    });
  }
});

/**
 * Whether app_user, logged in as itself, can SET ROLE `target` after the migrations: a fresh
 * instance (PGlite does not undo SET SESSION AUTHORIZATION at ROLLBACK or RESET).
 */
async function canSetRole(sql: string, target: string): Promise<boolean | string> {
  const db = await freshDb();
  try {
    const q = queryFn(db);
    await ensureRoles(db, [{ name: 'app_user', login: true, createInPublic: true }, 'notes_owner']);
    await q(sql.replace(/CREATE ROLE [^;]*;/g, ''));
    await q('SET SESSION AUTHORIZATION app_user');
    try {
      await q(`SET ROLE ${target}`);
      return true;
    } catch (e) {
      return String((e as { code?: string }).code);
    }
  } finally {
    await closeDb(db);
  }
}

test('err: the membership also lets app_user SET ROLE the owner; with the fix WITH INHERIT FALSE, SET FALSE it cannot (42501)', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(await canSetRole(sqlOf(ws), 'notes_owner'), true);
  assert.equal(await canSetRole(sqlOf(applyFix(ws, finding, /WITH INHERIT FALSE, SET FALSE/)), 'notes_owner'), '42501');
});

test('err: GRANT postgres: the member is treated as the owner of what postgres created, and can SET ROLE postgres (a superuser); fixed, neither', async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.match(finding.message, /postgres usually runs the migrations, so it owns the tables they create, here an RLS table .*\(public\.notes\).*can also SET ROLE postgres, a superuser on most installations/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await asAppUser(q, sqlOf(ws));
    assert.equal(await count(q, 'notes'), 2);
  });
  assert.equal(await canSetRole(sqlOf(ws), 'postgres'), true, 'app_user can become the superuser');
  const fixed = applyFix(ws, finding, /WITH INHERIT FALSE, SET FALSE/);
  assert.match(sqlOf(fixed), /GRANT postgres TO app_user WITH INHERIT FALSE, SET FALSE;/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(db, async (q) => {
    await asAppUser(q, sqlOf(fixed));
    assert.equal(await count(q, 'notes'), 1);
  });
  assert.equal(await canSetRole(sqlOf(fixed), 'postgres'), '42501');
});

test('ok: FORCE ROW LEVEL SECURITY (the owner, and so its members, are subject to the policies) and a later REVOKE of the membership (Valid examples): app_user reads its note only', async () => {
  const db = await getDb();
  for (const n of [1, 3]) {
    const valid = lintDocExample(ID, 'valid', n);
    assert.equal(valid.mine.length, 0);
    await inRollback(db, async (q) => {
      await asAppUser(q, sqlOf(valid.ws));
      assert.equal(await count(q, 'notes'), 1, `Valid example #${n + 1}`);
    });
  }
});

test('err (message): a NOINHERIT member (supabase/storage\'s authenticator) does not inherit the ownership, but can still SET ROLE the owner and read every row', async () => {
  const { ws } = invalidFinding(ID, 0);
  const file = ws.files()[0]!;
  const text = ws.text(file)!.replace('GRANT notes_owner TO app_user', 'ALTER ROLE app_user NOINHERIT;\nGRANT notes_owner TO app_user');
  const { ws: noinherit, mine } = lintFiles([{ file, text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /makes app_user a member of notes_owner, without notes_owner's privileges \(app_user is NOINHERIT, so the membership does not pass them on\) but with the right to SET ROLE notes_owner/);
  assert.match(mine[0]!.message, /after SET ROLE notes_owner, app_user acts as its owner/);
  assert.doesNotMatch(mine[0]!.message, /PostgreSQL treats a member as their owner/);
  await inRollback(await getDb(), async (q) => {
    await asAppUser(q, sqlOf(noinherit));
    assert.equal(await count(q, 'notes'), 1, 'the membership passes nothing on: the policy applies');
    assert.deepEqual(await q(`SELECT inherit_option, set_option FROM pg_auth_members WHERE member = 'app_user'::regrole AND roleid = 'notes_owner'::regrole`), [{ inherit_option: false, set_option: true }]);
  });
  assert.equal(await canSetRole(sqlOf(noinherit), 'notes_owner'), true, 'and SET ROLE makes it the owner');
});

test("ok/err: PostgREST's authenticator (NOINHERIT, a member of anon and authenticated to switch to them) made a member of service_role (BYPASSRLS): how a service-key request runs as service_role, not reported (SET FALSE would refuse the switch, 42501); a member of a superuser, or an INHERIT role, still is (SSBackend)", async () => {
  const file = 'volumes/db/init/00-roles.sql';
  const roles = `CREATE ROLE anon NOLOGIN;\nCREATE ROLE authenticated NOLOGIN;\nCREATE ROLE service_role NOLOGIN BYPASSRLS;\nCREATE ROLE authenticator NOINHERIT LOGIN;\nGRANT anon TO authenticator;\nGRANT authenticated TO authenticator;\n`;
  const text = `${roles}GRANT service_role TO authenticator;\n`;
  assert.equal(lintFiles([{ file, text }], ID).mine.length, 0);
  const superuser = lintFiles([{ file, text: `${roles}CREATE ROLE admin_su SUPERUSER NOLOGIN;\nGRANT admin_su TO authenticator;\n` }], ID).mine;
  assert.equal(superuser.length, 1);
  assert.match(superuser[0]!.message, /authenticator can SET ROLE admin_su, a superuser/);
  assert.equal(lintFiles([{ file, text: text.replace('CREATE ROLE authenticator NOINHERIT LOGIN', 'CREATE ROLE authenticator LOGIN') }], ID).mine.length, 1, 'INHERIT: it is a BYPASSRLS role itself');
  assert.equal(lintFiles([{ file, text: text.replace('GRANT anon TO authenticator;\nGRANT authenticated TO authenticator;\n', '') }], ID).mine.length, 1, 'a member of nothing else: no switcher');
  const db = await freshDb();
  try {
    const q = queryFn(db);
    const attempt = (sql: string) => q(sql).then(() => true, (e: { code?: string }) => String(e.code));
    await ensureRoles(db, [{ name: 'authenticator', login: true }, { name: 'authenticator_set_false', login: true }, 'anon', 'authenticated', { name: 'service_role', bypassrls: true }]);
    await q('ALTER ROLE authenticator NOINHERIT');
    await q('ALTER ROLE authenticator_set_false NOINHERIT');
    await q('GRANT anon, authenticated TO authenticator, authenticator_set_false');
    await q('GRANT service_role TO authenticator');
    await q('GRANT service_role TO authenticator_set_false WITH INHERIT FALSE, SET FALSE');
    await q('CREATE TABLE public.secrets (id int); ALTER TABLE public.secrets ENABLE ROW LEVEL SECURITY; INSERT INTO public.secrets VALUES (1); GRANT SELECT ON public.secrets TO service_role');
    await q('SET SESSION AUTHORIZATION authenticator_set_false');
    assert.equal(await attempt('SET ROLE service_role'), '42501', 'SET FALSE breaks every service-key request');
    await q('SET SESSION AUTHORIZATION authenticator');
    assert.equal(await attempt('SELECT * FROM public.secrets'), '42501', 'NOINHERIT: authenticator holds nothing of service_role itself');
    await q('SET ROLE service_role');
    assert.equal(await count(q, 'public.secrets'), 1, 'the switch a service-key request makes');
  } finally {
    await closeDb(db);
  }
});
