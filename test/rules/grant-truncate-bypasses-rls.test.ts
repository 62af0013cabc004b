// grant-truncate-bypasses-rls on PostgreSQL (PGlite): TRUNCATE is not subject to row-level
// security. A role whose owner-only policy shows it 0 rows, and whose DELETE removes 0, empties
// the table with TRUNCATE; with CASCADE, the tables referencing it where it holds TRUNCATE too
// (without TRUNCATE there: 0A000 alone, 42501 with CASCADE, and not reported). After the fix's
// REVOKE, TRUNCATE fails with 42501 and the role's own DELETE still works.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { affected, closeAll, count, expectPgError, getDb, inRollback, tryQuery } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintFiles, sqlOf, textAt, validExampleRuns } from '../helpers/rule-proof.js';
import { actAs, onSupabase } from '../helpers/supabase.js';

const ID = 'grant-truncate-bypasses-rls';
before(initParser);
after(closeAll);

const A = '00000000-0000-0000-0000-00000000000a';
const B = '00000000-0000-0000-0000-00000000000b';
const C = '00000000-0000-0000-0000-00000000000c';
const as = (setting: string, id: string) => `SELECT set_config('${setting}', '${id}', true)`;

test('err: GRANT … TRUNCATE to the role of an owner-only policy (the rep5 repro of fulbo): it sees 0 rows, its DELETE removes 0, its TRUNCATE removes all; after the REVOKE, 42501 and its own DELETE still works', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.match(textAt(ws, finding), /^GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON notes TO app_user/);
  assert.match(finding.message, /^app_user is granted TRUNCATE on public\.notes, which has row-level security\. TRUNCATE is not subject to row-level security: PostgreSQL checks only the TRUNCATE privilege/);
  assert.match(finding.message, /REVOKE TRUNCATE ON notes FROM app_user;/);
  assert.equal(finding.fixes[0]!.kind, 'safe');
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(sqlOf(ws));
    await q(`INSERT INTO notes VALUES (1, '${A}', 'a'), (2, '${B}', 'b')`);
    await q('SET ROLE app_user');
    await q(as('app.user_id', C));
    assert.equal(await count(q, 'notes'), 0, 'it sees no row');
    assert.equal(await affected(q, 'DELETE FROM notes'), 0, 'and deletes none');
    await q('TRUNCATE notes');
    await q('RESET ROLE');
    assert.equal(await count(q, 'notes'), 0, 'TRUNCATE removed both users’ rows');
  });
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /TRUNCATE ON notes TO app_user;\nREVOKE TRUNCATE ON notes FROM app_user;/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(db, async (q) => {
    await q(sqlOf(fixed));
    await q(`INSERT INTO notes VALUES (1, '${A}', 'a'), (2, '${B}', 'b')`);
    await q('SET ROLE app_user');
    await q(as('app.user_id', A));
    const r = await tryQuery(q, 'TRUNCATE notes');
    assert.ok(!r.ok && r.error.code === '42501' && /permission denied for table notes/.test(r.error.message));
    assert.equal(await affected(q, 'DELETE FROM notes'), 1, 'its own row, through the policy');
    await q('RESET ROLE');
    assert.equal(await count(q, 'notes'), 1, "the other user's row stays");
  });
});

test('err: GRANT ALL ON ALL TABLES IN SCHEMA (Delibrium): one finding for both tables; TRUNCATE … CASCADE of the referenced one empties both; the fix lists them', async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.match(textAt(ws, finding), /^GRANT ALL ON ALL TABLES IN SCHEMA app TO web_user/);
  assert.match(finding.message, /^web_user is granted TRUNCATE \(in ALL\) on app\.project, app\.task, which have row-level security\./);
  assert.match(finding.message, /TRUNCATE app\.project CASCADE empties app\.task with it \(the tables referencing it, on which web_user holds TRUNCATE too\)\./);
  const db = await getDb();
  const seed = async (q: (s: string) => Promise<unknown>) => {
    await q(`INSERT INTO app.project VALUES (1, '${A}'), (2, '${B}')`);
    await q(`INSERT INTO app.task VALUES (1, 1, '${A}'), (2, 2, '${B}')`);
    await q('SET ROLE web_user');
    await q(as('app.tenant_id', C));
  };
  await inRollback(db, async (q) => {
    await q(sqlOf(ws));
    await seed(q);
    assert.equal(await count(q, 'app.project'), 0);
    assert.equal(await count(q, 'app.task'), 0);
    const alone = await tryQuery(q, 'TRUNCATE app.project');
    assert.ok(!alone.ok && alone.error.code === '0A000', 'a referenced table is not truncated alone');
    await q('TRUNCATE app.project CASCADE');
    await q('RESET ROLE');
    assert.equal(await count(q, 'app.project'), 0);
    assert.equal(await count(q, 'app.task'), 0);
  });
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /REVOKE TRUNCATE ON app\.project, app\.task FROM web_user;/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(db, async (q) => {
    await q(sqlOf(fixed));
    await seed(q);
    await expectPgError(q('TRUNCATE app.task'), '42501', 'permission denied for table task');
  });
});

test('ok: a table referenced by one the role cannot truncate: PostgreSQL refuses (0A000, with CASCADE 42501), not reported; the referencing table itself is', async () => {
  const text = `CREATE ROLE t_user NOLOGIN;
CREATE TABLE parent (id int PRIMARY KEY, owner text NOT NULL);
CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent, owner text NOT NULL);
ALTER TABLE parent ENABLE ROW LEVEL SECURITY;
ALTER TABLE child ENABLE ROW LEVEL SECURITY;
CREATE POLICY p ON parent TO t_user USING (owner = current_user);
CREATE POLICY c ON child TO t_user USING (owner = current_user);
GRANT SELECT, DELETE, TRUNCATE ON parent TO t_user;
GRANT SELECT, DELETE, TRUNCATE ON child TO t_user;
REVOKE TRUNCATE ON child FROM t_user;
`;
  const { mine } = lintFiles([{ file: 'db/1.sql', text }], ID);
  assert.equal(mine.length, 0);
  await inRollback(await getDb(), async (q) => {
    await q(text);
    await q(`INSERT INTO parent VALUES (1, 'x'); INSERT INTO child VALUES (1, 1, 'x')`);
    await q('SET ROLE t_user');
    const alone = await tryQuery(q, 'TRUNCATE parent');
    assert.ok(!alone.ok && alone.error.code === '0A000');
    await expectPgError(q('TRUNCATE parent CASCADE'), '42501', 'permission denied for table child');
  });
  const swapped = text.replace('REVOKE TRUNCATE ON child', 'REVOKE TRUNCATE ON parent');
  const { mine: m2 } = lintFiles([{ file: 'db/1.sql', text: swapped }], ID);
  assert.equal(m2.length, 1);
  assert.match(m2[0]!.message, /^t_user is granted TRUNCATE on public\.child,/);
});

test('err: ALTER DEFAULT PRIVILEGES … GRANT ALL ON TABLES: reported there, once, for the RLS tables made after it (not scratch, without RLS); the fix revokes TRUNCATE in the defaults, and the table made after has none', async () => {
  const text = `CREATE ROLE d_user NOLOGIN;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO d_user;
CREATE TABLE doc (id int PRIMARY KEY, owner text NOT NULL);
ALTER TABLE doc ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON doc TO d_user USING (owner = current_user);
CREATE TABLE log (id int PRIMARY KEY, owner text NOT NULL);
ALTER TABLE log ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON log TO d_user USING (owner = current_user);
CREATE TABLE scratch (id int);
`;
  const { ws, mine } = lintFiles([{ file: 'db/1.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.match(textAt(ws, mine[0]!), /^ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO d_user/);
  assert.match(mine[0]!.message, /^d_user gets TRUNCATE \(in ALL\) on the tables made after it, public\.doc, public\.log, which have row-level security\./);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(text);
    await q(`INSERT INTO doc VALUES (1, 'someone')`);
    await q('SET ROLE d_user');
    assert.equal(await count(q, 'doc'), 0);
    await q('TRUNCATE doc');
    await q('RESET ROLE');
    assert.equal(await count(q, 'doc'), 0);
  });
  const fixed = applyFix(ws, mine[0]!);
  assert.match(sqlOf(fixed), /TO d_user;\nALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE TRUNCATE ON TABLES FROM d_user;/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(db, async (q) => {
    await q(sqlOf(fixed));
    await q('SET ROLE d_user');
    await expectPgError(q('TRUNCATE doc'), '42501', 'permission denied for table doc');
  });
});

test("err: ALTER DEFAULT PRIVILEGES both without and with FOR ROLE a role the migrations create (calibration: Supabase's old init script, `… FOR USER supabase_admin …`): a table the session's role makes gets TRUNCATE from the first, so the finding and its fix are there; the FOR ROLE one's REVOKE would leave it truncatable (PGlite). Made after SET ROLE to that role, the FOR ROLE one is the source", async () => {
  const head = `CREATE ROLE d_user NOLOGIN;
CREATE ROLE app_admin NOLOGIN;
GRANT CREATE ON SCHEMA public TO app_admin;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO d_user;
ALTER DEFAULT PRIVILEGES FOR ROLE app_admin IN SCHEMA public GRANT ALL ON TABLES TO d_user;
`;
  const table = `CREATE TABLE doc (id int PRIMARY KEY, owner text NOT NULL);
ALTER TABLE doc ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON doc TO d_user USING (owner = current_user);
`;
  const text = head + table;
  const { ws, mine } = lintFiles([{ file: 'db/1.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.match(textAt(ws, mine[0]!), /^ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO d_user/);
  assert.match(mine[0]!.message, /Revoke TRUNCATE \(ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE TRUNCATE ON TABLES FROM d_user;\)/);
  const fixed = applyFix(ws, mine[0]!);
  assert.equal(findingsOf(fixed, ID).length, 0);
  const db = await getDb();
  const truncates = async (sql: string) => {
    let out: boolean | string = false;
    await inRollback(db, async (q) => {
      await q(sql);
      await q(`INSERT INTO doc VALUES (1, 'someone')`);
      await q('SET ROLE d_user');
      const r = await tryQuery(q, 'TRUNCATE doc');
      out = r.ok ? true : r.error.code;
    });
    return out;
  };
  assert.equal(await truncates(text), true, 'as written: d_user empties doc');
  assert.equal(await truncates(sqlOf(fixed)), '42501', 'the fix, after the statement without FOR ROLE: no TRUNCATE');
  const forRoleRevoke = text.replace(table, `ALTER DEFAULT PRIVILEGES FOR ROLE app_admin IN SCHEMA public REVOKE TRUNCATE ON TABLES FROM d_user;\n${table}`);
  assert.equal(await truncates(forRoleRevoke), true, 'the FOR ROLE statement did not give it: revoking there changes nothing');
  // made by app_admin: the FOR ROLE statement's defaults apply (and the other's do not)
  const asAdmin = `${head}SET ROLE app_admin;\n${table}RESET ROLE;\n`;
  const second = lintFiles([{ file: 'db/1.sql', text: asAdmin }], ID);
  assert.equal(second.mine.length, 1);
  assert.match(textAt(second.ws, second.mine[0]!), /^ALTER DEFAULT PRIVILEGES FOR ROLE app_admin IN SCHEMA public GRANT ALL ON TABLES TO d_user/);
  assert.equal(await truncates(asAdmin), true);
  const fixedAdmin = applyFix(second.ws, second.mine[0]!);
  assert.equal(findingsOf(fixedAdmin, ID).length, 0);
  assert.equal(await truncates(sqlOf(fixedAdmin)), '42501');
});

test('err: GRANT TRUNCATE … TO PUBLIC: every role, one no policy names too', async () => {
  const text = `CREATE ROLE p_user NOLOGIN;
CREATE TABLE doc (id int PRIMARY KEY, owner text NOT NULL);
ALTER TABLE doc ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON doc TO p_user USING (owner = current_user);
GRANT SELECT, TRUNCATE ON doc TO PUBLIC;
`;
  const { mine } = lintFiles([{ file: 'db/1.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^PUBLIC \(every role\) is granted TRUNCATE on public\.doc.*so every role can remove every row.*REVOKE TRUNCATE ON doc FROM PUBLIC;/);
  await inRollback(await getDb(), async (q) => {
    await q(text);
    await q(`INSERT INTO doc VALUES (1, 'someone')`);
    await q('SET ROLE admin_role');
    assert.equal(await count(q, 'doc'), 0);
    await q('TRUNCATE doc');
    await q('RESET ROLE');
    assert.equal(await count(q, 'doc'), 0);
  });
});

test('ok: the Valid examples run, and are not reported (TRUNCATE not granted; granted by ALL then revoked; a BYPASSRLS role)', async () => {
  await validExampleRuns(ID, 0);
  await validExampleRuns(ID, 1, async (q) => {
    await q('SET ROLE web_user');
    await expectPgError(q('TRUNCATE app.project'), '42501', 'permission denied for table project');
  });
  await validExampleRuns(ID, 2, async (q) => {
    await q(`INSERT INTO notes VALUES (1, '${A}', 'a')`);
    await q('SET ROLE maintenance');
    assert.equal(await count(q, 'notes'), 1, 'it sees every row anyway');
  });
});

test('ok: the owner, a role no policy restricts and the migrations do not create, a DELETE policy USING (true), an ON TRUNCATE trigger, a later REVOKE ALL', () => {
  const base = `CREATE ROLE app_user NOLOGIN;
CREATE TABLE doc (id int PRIMARY KEY, owner text NOT NULL);
ALTER TABLE doc ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON doc TO app_user USING (owner = current_user);
`;
  const none = (extra: string, why: string) => assert.equal(lintFiles([{ file: 'db/1.sql', text: base + extra }], ID).mine.length, 0, why);
  none('ALTER TABLE doc OWNER TO app_owner;\nGRANT ALL ON doc TO app_owner;\n', 'the owner');
  none('GRANT ALL ON doc TO etl_loader;\n', 'a role made elsewhere that no policy names: it may bypass RLS');
  none('CREATE POLICY purge ON doc FOR DELETE TO app_user USING (true);\nGRANT SELECT, DELETE, TRUNCATE ON doc TO app_user;\n', 'its DELETE removes every row anyway');
  none(`CREATE FUNCTION no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no'; END $$;
CREATE TRIGGER doc_no_truncate BEFORE TRUNCATE ON doc FOR EACH STATEMENT EXECUTE FUNCTION no_truncate();
GRANT ALL ON doc TO app_user;
`, 'an ON TRUNCATE trigger may refuse it');
  none('GRANT ALL ON doc TO app_user;\nREVOKE ALL ON doc FROM app_user;\nGRANT SELECT, DELETE ON doc TO app_user;\n', 'taken back');
  none('GRANT ALL ON doc TO app_user;\nALTER TABLE doc DISABLE ROW LEVEL SECURITY;\n', 'no RLS at the end');
  // (a role made elsewhere that a policy names is meant to be restricted)
  const named = lintFiles([{ file: 'db/1.sql', text: base.replace('TO app_user USING', 'TO app_user, web_anon USING') + 'GRANT ALL ON doc TO web_anon;\n' }], ID).mine;
  assert.equal(named.length, 1);
  assert.match(named[0]!.message, /^web_anon is granted TRUNCATE \(in ALL\)/);
});

const NOTES = `create table public.notes (id bigint primary key, user_id uuid not null, body text);
create index on public.notes (user_id);
alter table public.notes enable row level security;
create policy "own notes" on public.notes for all to authenticated using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));
grant all on table public.notes to anon;
grant all on table public.notes to authenticated;
grant all on table public.notes to service_role;
`;

test("ok on Supabase: its own service roles act as the platform (supabase_auth_admin granted ALL on user_roles for a custom access token hook, as Supabase's guide writes it: nextbase)", () => {
  const hook = `create table public.user_roles (id bigint primary key, user_id uuid not null, role text not null);
alter table public.user_roles enable row level security;
grant all on table public.user_roles to supabase_auth_admin;
create policy "Allow auth admin to read user roles" on public.user_roles as permissive for select to supabase_auth_admin using (true);
`;
  assert.equal(lintFiles([{ file: 'supabase/migrations/20240101000000_hook.sql', text: hook }], ID).mine.length, 0);
  // (outside Supabase, a role of that name is any other role)
  assert.equal(lintFiles([{ file: 'db/001_hook.sql', text: `create role supabase_auth_admin;\n${hook}` }], ID).mine.length, 1);
});

test("ok on Supabase: `supabase db diff`'s grant all to anon, authenticated (PostgREST never sends TRUNCATE); err where a SECURITY INVOKER function they may call truncates the table, and PGlite shows the call empties it", async () => {
  assert.equal(lintFiles([{ file: 'supabase/migrations/20240101000000_notes.sql', text: NOTES }], ID).mine.length, 0);
  const withFn = `${NOTES}create function public.clear_notes() returns void language sql as $$ truncate public.notes $$;
`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_notes.sql', text: withFn }], ID);
  assert.deepEqual(
    mine.map((f) => f.message.slice(0, f.message.indexOf(' is granted'))),
    ['anon', 'authenticated'],
  );
  assert.equal(mine[0]!.fixes[0]!.kind, 'unsafe', 'the function would fail after the REVOKE');
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, sqlOf(ws));
    await q(`INSERT INTO public.notes VALUES (1, '${A}', 'a'), (2, '${B}', 'b')`);
    await q(actAs(C));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.notes'), 0);
    await q('SELECT public.clear_notes()');
    await q('RESET ROLE');
    assert.equal(await count(q, 'public.notes'), 0, 'the call removed every row');
  });
});

test("err: a role the migrations create without BYPASSRLS that no policy names (flowglad's authenticated, granted ALL ON ALL TABLES): it sees no row, yet TRUNCATE empties the table", async () => {
  const text = `CREATE ROLE trunc_reader; CREATE ROLE trunc_merchant;
CREATE TABLE trunc_notes (id bigint PRIMARY KEY, org_id uuid NOT NULL, body text);
ALTER TABLE trunc_notes ENABLE ROW LEVEL SECURITY; ALTER TABLE trunc_notes FORCE ROW LEVEL SECURITY;
GRANT ALL ON ALL TABLES IN SCHEMA public TO trunc_reader;
GRANT SELECT ON trunc_notes TO trunc_merchant;
CREATE POLICY notes_org ON trunc_notes FOR SELECT TO trunc_merchant USING (org_id = (select nullif(current_setting('app.org_id', true), '')::uuid));
`;
  const { mine } = lintFiles([{ file: 'db/0216_grants.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^trunc_reader is granted TRUNCATE \(in ALL\) on public\.trunc_notes/);
  // (one the migrations do not create may bypass row-level security: not reported)
  assert.equal(lintFiles([{ file: 'db/0216_grants.sql', text: text.replace('CREATE ROLE trunc_reader; ', '') }], ID).mine.length, 0);
  await inRollback(await getDb(), async (q) => {
    await q(text);
    await q(`INSERT INTO trunc_notes VALUES (1, gen_random_uuid(), 'a'), (2, gen_random_uuid(), 'b')`);
    assert.equal(await count(q, 'trunc_notes'), 2);
    await q('SET ROLE trunc_reader');
    assert.equal(await count(q, 'trunc_notes'), 0, 'no policy: no row');
    await q('TRUNCATE trunc_notes');
    await q('RESET ROLE');
    assert.equal(await count(q, 'trunc_notes'), 0, 'emptied');
  });
});
