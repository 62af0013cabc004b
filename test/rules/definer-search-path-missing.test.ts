// definer-search-path-missing on PostgreSQL (PGlite): a temp table named like the table a
// SECURITY DEFINER function reads changes its answer (T19c, pg_temp is searched first); after
// the fix `SET search_path = public, pg_temp` it does not. (F3: `= public` alone would not help.)
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { pgcrypto } from '@electric-sql/pglite/contrib/pgcrypto';
import { closeAll, getDb, inRollback, queryFn, tryQuery, type Q } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintFiles, sqlOf, TENANT_A, TENANT_B, textAt } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';

const ID = 'definer-search-path-missing';
before(initParser);
after(closeAll);

/** Tenant A's user is a member of tenant A only. The attacker (authenticated, acting as that
 * user) forges membership of tenant B with a temp table, then asks the definer function. */
async function probe(q: Q, sql: string): Promise<boolean> {
  await q(AUTH_STUB_SQL);
  await q(`CREATE TABLE tenant_users (tenant_id uuid, user_id uuid); INSERT INTO tenant_users VALUES ('${TENANT_A}', '${TENANT_A}')`);
  await q(sql); // the function is owned by the superuser
  await q('GRANT EXECUTE ON FUNCTION is_member(uuid) TO authenticated');
  await q(actAs(TENANT_A));
  await q('SET ROLE authenticated');
  await q(`CREATE TEMP TABLE tenant_users (tenant_id uuid, user_id uuid); INSERT INTO tenant_users VALUES ('${TENANT_B}', '${TENANT_A}')`);
  return (await q(`SELECT is_member('${TENANT_B}') AS m`))[0]!.m as boolean;
}

test('err: no SET search_path: a temp table hijacks the definer function (T19c); with public, pg_temp it does not', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'SECURITY DEFINER');
  assert.match(finding.message, /pg_temp is searched first.*\(T19c\)/);
  const db = await getDb();
  await inRollback(db, async (q) => assert.equal(await probe(q, sqlOf(ws)), true, 'the forged membership is believed'));
  const fixed = applyFix(ws, finding, /public, pg_temp/);
  assert.match(sqlOf(fixed), /SECURITY DEFINER SET search_path = public, pg_temp/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(db, async (q) => assert.equal(await probe(q, sqlOf(fixed)), false, 'public.tenant_users is read'));
});

test('ok (F3): SET search_path = public alone does not protect it', async () => {
  const { ws } = invalidFinding(ID, 0);
  const sql = sqlOf(ws).replace('SECURITY DEFINER', 'SECURITY DEFINER SET search_path = public');
  const db = await getDb();
  await inRollback(db, async (q) => assert.equal(await probe(q, sql), true));
});

test("ok (message): a body naming every table and type with its schema: no temporary object shadows one yet, but a caller that may create objects in a schema puts it before pg_catalog for the body's functions (PGlite: its lower() runs with the owner's rights)", async () => {
  const sql = `CREATE FUNCTION public.shout(p text) RETURNS text LANGUAGE sql SECURITY DEFINER AS $$ SELECT lower(p) $$;\n`;
  const { mine } = lintFiles([{ file: '1.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /Its body names every table and type with its schema today, so no temporary object can shadow one yet; but the first name written without a schema opens the hole, and a caller that may create objects in some schema can still put it first in its search_path for the body's unqualified functions and operators\./);
  await inRollback(await getDb(), async (q) => {
    await q(sql);
    await q('CREATE SCHEMA evil; GRANT USAGE, CREATE ON SCHEMA evil TO authenticated; GRANT EXECUTE ON FUNCTION public.shout(text) TO authenticated');
    await q('SET ROLE authenticated');
    await q("CREATE FUNCTION evil.lower(text) RETURNS text LANGUAGE sql AS $$ SELECT 'ran as ' || current_user $$");
    await q('SET LOCAL search_path = evil, pg_catalog, public');
    const owner = (await q("SELECT r.rolname AS o FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner WHERE p.proname = 'shout'"))[0]!.o as string;
    assert.notEqual(owner, 'authenticated');
    assert.deepEqual(await q("SELECT public.shout('X') AS v"), [{ v: `ran as ${owner}` }], "the caller's lower() ran with the owner's rights");
  });
});

test('ok (message): DECLARE written again before a declaration is read as the one section it is (PostgreSQL accepts it): its schema-qualified types still name nothing unqualified', async () => {
  const sql = `CREATE SCHEMA app_private;
CREATE TABLE app_private.account (id text PRIMARY KEY, password text);
CREATE FUNCTION app_private.f() RETURNS app_private.account AS $$
  DECLARE a app_private.account;
  DECLARE b app_private.account;
  BEGIN RETURN a; END;
$$ LANGUAGE plpgsql SECURITY DEFINER;
`;
  const { mine } = lintFiles([{ file: '1.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /Its body names every table and type with its schema today/);
  const unqualified = lintFiles([{ file: '1.sql', text: sql.replace('DECLARE b app_private.account', 'DECLARE b account') }], ID).mine;
  assert.doesNotMatch(unqualified[0]!.message, /Its body names every table and type with its schema today/);
  await inRollback(await getDb(), async (q) => {
    await q(sql);
    assert.deepEqual(await q('SELECT (app_private.f()).id AS id'), [{ id: null }], 'PostgreSQL accepts the second DECLARE');
  });
});

test("err: a SECURITY DEFINER trigger function: the message says a role must also fire it in its own session, by writing the trigger's table; one that may does shadow the unqualified audit table with a temporary one", async () => {
  const text = `CREATE ROLE dspm_writer;
CREATE TABLE public.audit_log (what text);
CREATE TABLE public.items (id int PRIMARY KEY);
GRANT INSERT ON public.items TO dspm_writer;
CREATE FUNCTION public.log_item() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN INSERT INTO audit_log VALUES ('item ' || NEW.id); RETURN NEW; END $$;
CREATE TRIGGER items_log AFTER INSERT ON public.items FOR EACH ROW EXECUTE FUNCTION public.log_item();
`;
  const { mine } = lintFiles([{ file: 'db/1.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /Any role that can create temporary objects \(PUBLIC can, by default\) and then fire it in that session, by writing public\.items \(the session whose statement fires a trigger is the one whose search_path its function uses\) can shadow/);
  await inRollback(await getDb(), async (q) => {
    await q(text);
    await q('SET ROLE dspm_writer');
    await q('CREATE TEMP TABLE audit_log (what text)');
    await q('INSERT INTO public.items VALUES (1)');
    assert.deepEqual(await q('SELECT what FROM pg_temp.audit_log'), [{ what: 'item 1' }], "the owner's trigger wrote the writer's temporary table");
    await q('RESET ROLE');
    assert.equal((await q('SELECT count(*)::int AS n FROM public.audit_log'))[0]!.n, 0);
  });
});

test('err: a SECURITY DEFINER trigger function on six tables: the message names three and counts the others; writing one it does not name fires it in the writer\'s session too (PGlite)', async () => {
  const names = ['t1', 't2', 't3', 't4', 't5', 't6'];
  const text = `CREATE ROLE dspm_many;
CREATE TABLE public.audit_log (what text);
CREATE FUNCTION public.log_row() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN INSERT INTO audit_log VALUES (TG_TABLE_NAME); RETURN NEW; END $$;
${names.map((t) => `CREATE TABLE public.${t} (id int);
GRANT INSERT ON public.${t} TO dspm_many;
CREATE TRIGGER ${t}_log AFTER INSERT ON public.${t} FOR EACH ROW EXECUTE FUNCTION public.log_row();`).join('\n')}
`;
  const { mine } = lintFiles([{ file: 'db/1.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /and then fire it in that session, by writing public\.t1, public\.t2, public\.t3 or any of the 3 other tables it is a trigger on \(the session whose statement fires a trigger/);
  assert.doesNotMatch(mine[0]!.message, /public\.t6/);
  await inRollback(await getDb(), async (q) => {
    await q(text);
    await q('SET ROLE dspm_many');
    await q('CREATE TEMP TABLE audit_log (what text)');
    await q('INSERT INTO public.t6 VALUES (1)');
    assert.deepEqual(await q('SELECT what FROM pg_temp.audit_log'), [{ what: 't6' }], "the owner's trigger wrote the writer's temporary table");
    await q('RESET ROLE');
    assert.equal((await q('SELECT count(*)::int AS n FROM public.audit_log'))[0]!.n, 0);
  });
});

test("ok (message): a SECURITY DEFINER trigger only on Supabase's auth.users fires in the Auth server's session: the message says no API role can fire it (no INSERT, UPDATE or DELETE on auth.users), as a warning", () => {
  const text = `CREATE TABLE public.profiles (id uuid PRIMARY KEY);
CREATE FUNCTION public.handle_new_user() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN INSERT INTO profiles (id) VALUES (NEW.id); RETURN NEW; END $$;
CREATE TRIGGER on_auth_user_created AFTER INSERT ON auth.users FOR EACH ROW EXECUTE FUNCTION public.handle_new_user();
`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/20250101000000_x.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.equal(mine[0]!.severity, 'warning');
  assert.doesNotMatch(mine[0]!.message, /Any role that can create temporary objects|by writing auth\.users/);
  assert.match(mine[0]!.message, /would change what it does in the session that fires it \(T19c\)\. But it is a trigger only on Supabase's auth\.users, .*The API roles anon, authenticated and service_role have no INSERT, UPDATE or DELETE on auth\.users \(these migrations grant none\).*opens the hole\. Add SET search_path = public, pg_temp/);
});

test("ok: a DO block's `IF NOT EXISTS (… pg_proc …) THEN EXECUTE 'CREATE OR REPLACE FUNCTION …'` of a function that exists does not replace it (Rochthii/secure-multitenant-saas): its SET search_path stays (PGlite); where it does not exist, the DO block's is made and reported", async () => {
  const first = `CREATE FUNCTION public.is_within_business_hours() RETURNS boolean LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$ BEGIN RETURN extract(hour from now()) BETWEEN 9 AND 17; END $$;\n`;
  const guarded = `DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' AND p.proname = 'is_within_business_hours') THEN
    EXECUTE $func$
      CREATE OR REPLACE FUNCTION public.is_within_business_hours() RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER AS 'SELECT true';
    $func$;
  END IF;
END $$;
`;
  assert.deepEqual(lintFiles([{ file: 'm/001.sql', text: first }, { file: 'm/002.sql', text: guarded }], ID).mine, []);
  assert.equal(lintFiles([{ file: 'm/002.sql', text: guarded }], ID).mine.length, 1, 'no function before it: the DO block makes it, without SET search_path');
  await inRollback(await getDb(), async (q) => {
    await q(first);
    await q(guarded);
    const [row] = await q(`SELECT p.proconfig::text AS config, l.lanname AS lang FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang WHERE p.proname = 'is_within_business_hours'`);
    assert.deepEqual({ config: row!.config, lang: row!.lang }, { config: '{"search_path=public, pg_temp"}', lang: 'plpgsql' });
  });
});

/** onlook-dev/onlook's project_changes(), cut down: a SECURITY DEFINER trigger function writing an
 * unqualified table, on two tables with RLS enabled and no policy, authenticated granted ALL.
 * `timing` and `level` make the trigger; `extra` is added to conversations' CREATE TABLE. */
function changesSql(timing: string, level = 'ROW', extra = ''): string {
  return `CREATE TABLE public.changes (what text);
CREATE TABLE public.projects (id int PRIMARY KEY);
CREATE TABLE public.conversations (id int PRIMARY KEY, project_id int${extra});
CREATE TABLE public.messages (id int PRIMARY KEY, conversation_id int);
ALTER TABLE public.conversations ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.messages ENABLE ROW LEVEL SECURITY;
GRANT ALL ON public.conversations TO authenticated;
GRANT ALL ON public.messages TO authenticated;
CREATE FUNCTION public.project_changes() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN INSERT INTO changes VALUES (TG_TABLE_NAME || ' ' || TG_OP); RETURN COALESCE(NEW, OLD); END $$;
CREATE TRIGGER conversations_changes ${timing} ON public.conversations FOR EACH ${level} EXECUTE FUNCTION public.project_changes();
CREATE TRIGGER messages_changes ${timing} ON public.messages FOR EACH ${level} EXECUTE FUNCTION public.project_changes();
`;
}

/** As `role`, with a temporary `changes` whose default counts the rows written into it (a
 * sequence advance outlives the statement's failure): runs each write, then returns how many
 * rows the trigger wrote into the temporary table and the outcome of each write. */
async function writesAs(q: Q, role: string, writes: string[]): Promise<{ fired: number; outcomes: string[] }> {
  await q('CREATE SEQUENCE public.planted; GRANT ALL ON SEQUENCE public.planted TO PUBLIC');
  await q(`SET ROLE ${role}`);
  await q("CREATE TEMP TABLE changes (what text, n bigint DEFAULT nextval('public.planted'))");
  const outcomes: string[] = [];
  for (const w of writes) {
    const r = await tryQuery(q, w);
    outcomes.push(r.ok ? `ok ${r.rows.length}` : r.error.code);
  }
  const fired = Number((await q(`SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS n FROM public.planted`))[0]!.n);
  await q('RESET ROLE');
  return { fired, outcomes };
}

const WRITES = [
  'INSERT INTO public.conversations VALUES (2, 1)',
  'UPDATE public.conversations SET project_id = 2 RETURNING id',
  'DELETE FROM public.messages RETURNING id',
];

test('ok (message): an AFTER … FOR EACH ROW definer trigger only on tables with RLS enabled and no policy (onlook\'s project_changes()): a role subject to RLS never fires it (PGlite: INSERT 42501, UPDATE and DELETE change 0 rows, nothing written to its temporary table; service_role\'s write does fire it), so the message says only roles that bypass RLS or own the table do, as a warning', async () => {
  const text = changesSql('AFTER INSERT OR UPDATE OR DELETE');
  const { mine } = lintFiles([{ file: 'db/1.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.equal(mine[0]!.severity, 'warning');
  assert.doesNotMatch(mine[0]!.message, /Any role that can create temporary objects|by writing public\.conversations/);
  assert.match(mine[0]!.message, /would change what it does in the session that fires it \(T19c\)\. But each of its triggers on public\.conversations and public\.messages is a FOR EACH ROW trigger that fires after the write \(or before an UPDATE or DELETE\), on a table with row-level security enabled and no policy admitting the writes it fires on to a role subject to RLS: a role subject to RLS that writes it gets 42501 on INSERT and changes 0 rows on UPDATE and DELETE, so the trigger never fires in its session \(T12\)\. Only roles that bypass RLS \(superusers, BYPASSRLS roles such as service_role\) or the table's owner fire it through those tables today: no role subject to RLS can plant a temporary object where it runs today/);
  assert.match(mine[0]!.message, /opens the hole\. Add SET search_path = public, pg_temp/);
  // (a table owner the migrations name, not forced and not known to bypass RLS, fires it in its own
  // sessions — an application role owning its tables — so the error stays)
  const owned = lintFiles([{ file: 'db/1.sql', text: `CREATE ROLE app_owner_t;\n${text}ALTER TABLE public.messages OWNER TO app_owner_t;\n` }], ID).mine;
  assert.equal(owned.length, 1);
  assert.equal(owned[0]!.severity, 'error', 'the named owner fires it');
  await inRollback(await getDb(), async (q) => {
    await q(text);
    await q('INSERT INTO public.conversations VALUES (1, 1); INSERT INTO public.messages VALUES (1, 1); TRUNCATE public.changes');
    assert.deepEqual(await writesAs(q, 'authenticated', WRITES), { fired: 0, outcomes: ['42501', 'ok 0', 'ok 0'] }, 'the trigger never fired in the session of authenticated');
    assert.equal((await q('SELECT count(*)::int AS n FROM public.changes'))[0]!.n, 0);
  });
  await inRollback(await getDb(), async (q) => {
    await q(text);
    await q('INSERT INTO public.conversations VALUES (1, 1); INSERT INTO public.messages VALUES (1, 1); TRUNCATE public.changes');
    await q('GRANT ALL ON public.conversations, public.messages TO service_role');
    assert.deepEqual(await writesAs(q, 'service_role', WRITES), { fired: 4, outcomes: ['ok 0', 'ok 2', 'ok 1'] }, "a BYPASSRLS role's writes fire it for each row, into its temporary table (the UPDATE moves its own inserted row too)");
  });
});

test('err: the same definer trigger BEFORE INSERT … FOR EACH ROW fires before the row is rejected (PGlite: the INSERT fails with 42501, but the trigger wrote the temporary table first): the message still says a role fires it by writing those tables', async () => {
  const text = changesSql('BEFORE INSERT');
  const { mine } = lintFiles([{ file: 'db/1.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.equal(mine[0]!.severity, 'error');
  assert.match(mine[0]!.message, /Any role that can create temporary objects \(PUBLIC can, by default\) and then fire it in that session, by writing public\.conversations or public\.messages \(the session/);
  await inRollback(await getDb(), async (q) => {
    await q(text);
    assert.deepEqual(await writesAs(q, 'authenticated', WRITES.slice(0, 1)), { fired: 1, outcomes: ['42501'] }, "the trigger ran in authenticated's session and wrote its temporary table before the check failed");
  });
});

test('err: a FOR EACH STATEMENT definer trigger fires even when RLS admits no row (PGlite: UPDATE and DELETE of 0 rows fire it), and a foreign key with ON DELETE CASCADE fires a row trigger from the referenced table (PGlite: deleting a project a policy admits fires it in that session): the message keeps saying a role fires it', async () => {
  const statement = changesSql('AFTER INSERT OR UPDATE OR DELETE', 'STATEMENT');
  const s = lintFiles([{ file: 'db/1.sql', text: statement }], ID).mine;
  assert.equal(s.length, 1);
  assert.match(s[0]!.message, /Any role that can create temporary objects \(PUBLIC can, by default\) and then fire it in that session, by writing public\.conversations or public\.messages/);
  await inRollback(await getDb(), async (q) => {
    await q(statement);
    assert.deepEqual(await writesAs(q, 'authenticated', WRITES.slice(1)), { fired: 2, outcomes: ['ok 0', 'ok 0'] }, 'each statement fired it, though it changed no row');
  });
  const cascade = changesSql('AFTER INSERT OR UPDATE OR DELETE', 'ROW', ' REFERENCES public.projects ON DELETE CASCADE') +
    `ALTER TABLE public.projects ENABLE ROW LEVEL SECURITY;
CREATE POLICY projects_own ON public.projects TO authenticated USING (true) WITH CHECK (true);
GRANT ALL ON public.projects TO authenticated;
`;
  const c = lintFiles([{ file: 'db/1.sql', text: cascade }], ID).mine;
  assert.equal(c.length, 1);
  assert.equal(c[0]!.severity, 'error');
  // (messages has no such key: writing it still fires nothing, which the message says of it)
  assert.match(c[0]!.message, /and then fire it in that session, by writing public\.conversations \(its trigger on public\.messages fires only for roles that bypass RLS or own the table: RLS is enabled there and no policy admits the writes it fires on to a role subject to RLS, so a role subject to RLS gets 42501 on INSERT and changes 0 rows on UPDATE and DELETE there\) \(the session/);
  await inRollback(await getDb(), async (q) => {
    await q(cascade);
    await q('INSERT INTO public.projects VALUES (1); INSERT INTO public.conversations VALUES (1, 1); TRUNCATE public.changes');
    assert.deepEqual(await writesAs(q, 'authenticated', ['DELETE FROM public.projects WHERE id = 1 RETURNING id']), { fired: 1, outcomes: ['ok 1'] }, "the cascade deleted the conversation and fired the trigger in authenticated's session");
  });
});

test("err (message): a trigger function reading only its trigger's transition table without a schema (REFERENCING NEW TABLE AS new_rows), EXECUTE left to PUBLIC: writing the table does not shadow it, a trigger of the caller's own does, whatever SET search_path; REVOKE EXECUTE closes it (PGlite)", async () => {
  const text = `CREATE ROLE dspm_tt;
CREATE TABLE public.items (id int);
CREATE TABLE public.item_counts (n int);
GRANT INSERT ON public.items TO dspm_tt;
CREATE FUNCTION public.count_items() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN INSERT INTO public.item_counts SELECT count(*) FROM new_rows; RETURN NULL; END $$;
CREATE TRIGGER items_count AFTER INSERT ON public.items REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.count_items();
`;
  const { mine } = lintFiles([{ file: 'db/1.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.equal(mine[0]!.severity, 'error');
  assert.match(
    mine[0]!.message,
    /and then fire it in that session from a trigger that declares no transition table named new_rows \(REFERENCING … TABLE AS\): one it creates on a table of its own \(a temporary table will do: CREATE TRIGGER asks only for EXECUTE on the function, which PUBLIC holds, and USAGE on its schema\), can shadow/,
  );
  assert.match(
    mine[0]!.message,
    /The only name its body reads without a schema is the transition table new_rows, which every trigger of these migrations that runs it declares: a trigger that declares it reads its own transition table by that name before any schema, pg_temp included, but a trigger that does not reads the name through the search_path, and no SET search_path keeps pg_temp out of that while no schema it lists holds a table of that name \(these migrations make none\): pg_temp is searched first unless listed, and last where listed\. Revoke EXECUTE on it from PUBLIC \(a trigger fires its function without EXECUTE; CREATE TRIGGER asks for it\)/,
  );
  assert.doesNotMatch(mine[0]!.message, /so no temporary (table|object) (shadows|can shadow)/);
  // EXECUTE revoked from PUBLIC (and granted to none): no caller makes a trigger of it, the transition table is all it reads
  const revoked = lintFiles([{ file: 'db/1.sql', text: `${text}REVOKE EXECUTE ON FUNCTION public.count_items() FROM PUBLIC;\n` }], ID).mine;
  assert.match(revoked[0]!.message, /Its body names every table and type with its schema today \(except the transition table new_rows, which every trigger that runs it declares/);
  // a trigger of it declaring no transition table: writing its table is a way too, named
  const plain = lintFiles([{ file: 'db/1.sql', text: `${text}CREATE TABLE public.more (id int);\nCREATE TRIGGER more_count AFTER INSERT ON public.more FOR EACH STATEMENT EXECUTE FUNCTION public.count_items();\n` }], ID).mine;
  assert.match(plain[0]!.message, /, or one of these migrations' that runs the part of the body reading a name it does not declare \(its trigger on public\.more\), can shadow/);
  assert.match(plain[0]!.message, /which some of its triggers declare but not all/);
  assert.doesNotMatch(plain[0]!.message, /names every table and type with its schema today/);
  const counts = async (q: Q) => (await q('SELECT n::int AS n FROM public.item_counts ORDER BY n')).map((r) => r.n);
  for (const setting of ['', 'public, pg_temp', "''"]) {
    await inRollback(await getDb(), async (q) => {
      await q(text);
      if (setting) await q(`ALTER FUNCTION public.count_items() SET search_path = ${setting}`);
      await q('SET ROLE dspm_tt');
      await q('SET search_path = pg_temp, public');
      await q('CREATE TEMP TABLE new_rows AS SELECT g AS id FROM generate_series(1, 5) g');
      await q('INSERT INTO public.items VALUES (1), (2)');
      // (its own trigger, on a temporary table of its own, declaring no transition table)
      await q('CREATE TEMP TABLE mine (x int)');
      await q('CREATE TRIGGER mine_count AFTER INSERT ON pg_temp.mine FOR EACH STATEMENT EXECUTE FUNCTION public.count_items()');
      await q('INSERT INTO pg_temp.mine VALUES (1)');
      await q('RESET ROLE');
      assert.deepEqual(await counts(q), [2, 5], `search_path ${setting || 'unset'}: the items trigger counts the 2 rows inserted; the caller's trigger makes the owner count the 5 rows of its temporary table`);
    });
  }
  await inRollback(await getDb(), async (q) => {
    await q(text);
    await q('REVOKE EXECUTE ON FUNCTION public.count_items() FROM PUBLIC');
    await q('SET ROLE dspm_tt');
    await q('CREATE TEMP TABLE mine (x int)');
    const made = await tryQuery(q, 'CREATE TRIGGER mine_count AFTER INSERT ON pg_temp.mine FOR EACH STATEMENT EXECUTE FUNCTION public.count_items()');
    assert.equal(made.ok ? 'ok' : made.error.code, '42501');
    await q('INSERT INTO public.items VALUES (1), (2), (3)');
    await q('RESET ROLE');
    assert.deepEqual(await counts(q), [3], 'its own trigger still fires it without EXECUTE');
  });
});

test("err (message), calibration haathie/graphile-tools: app.update_contact_tags() reads new_table in its INSERT branch and old_table in its DELETE branch, its INSERT and DELETE triggers each declaring one: not shadowed by writing app.contact_tags, but from the caller's own trigger (PGlite); triggers made by dynamic SQL (postg_realtime's make_subscribable) are named as such", async () => {
  const text = `CREATE ROLE dspm_gt;
CREATE SCHEMA app;
GRANT USAGE ON SCHEMA app TO dspm_gt;
CREATE TABLE app.contacts (id text PRIMARY KEY, tags jsonb NOT NULL DEFAULT '{}');
CREATE TABLE app.contact_tags (contact_id text NOT NULL, tag_id text NOT NULL);
GRANT SELECT, INSERT, DELETE ON app.contact_tags TO dspm_gt;
CREATE FUNCTION app.update_contact_tags() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    WITH updated AS (SELECT contact_id, jsonb_object_agg(tag_id, true) AS new_tags FROM new_table GROUP BY contact_id)
    UPDATE app.contacts c SET tags = tags || new_tags FROM updated u WHERE c.id = u.contact_id;
  ELSIF TG_OP = 'DELETE' THEN
    WITH updated AS (SELECT contact_id, array_agg(tag_id) AS gone FROM old_table GROUP BY contact_id)
    UPDATE app.contacts c SET tags = tags - gone FROM updated u WHERE c.id = u.contact_id;
  END IF;
  RETURN NULL;
END
$$ LANGUAGE plpgsql SECURITY DEFINER;
CREATE TRIGGER new_contact_tags_trigger AFTER INSERT ON app.contact_tags REFERENCING NEW TABLE AS new_table FOR EACH STATEMENT EXECUTE FUNCTION app.update_contact_tags();
CREATE TRIGGER del_contact_tags_trigger AFTER DELETE ON app.contact_tags REFERENCING OLD TABLE AS old_table FOR EACH STATEMENT EXECUTE FUNCTION app.update_contact_tags();
`;
  const { mine } = lintFiles([{ file: 'sql/contacts.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.equal(mine[0]!.severity, 'error');
  assert.doesNotMatch(mine[0]!.message, /by writing app\.contact_tags/);
  assert.match(
    mine[0]!.message,
    /from a trigger that declares no transition table named new_table or old_table \(REFERENCING … TABLE AS\): one it creates on a table of its own \(a temporary table will do: CREATE TRIGGER asks only for EXECUTE on the function, which PUBLIC holds, and USAGE on its schema\), or one of these migrations' that runs the part of the body reading a name it does not declare \(its trigger on app\.contact_tags\), can shadow/,
  );
  assert.match(mine[0]!.message, /The only names its body reads without a schema are the transition tables new_table and old_table, which some of its triggers declare but not all/);
  // (the triggers made by dynamic SQL instead: each declares some of the names)
  const dynamic = text.replace(/CREATE TRIGGER new_contact_tags_trigger[\s\S]*$/, () => `CREATE FUNCTION app.make_subscribable(tbl regclass) RETURNS void AS $$
BEGIN
  EXECUTE 'CREATE TRIGGER ins AFTER INSERT ON ' || tbl::text || ' REFERENCING NEW TABLE AS new_table FOR EACH STATEMENT EXECUTE FUNCTION app.update_contact_tags()';
  EXECUTE 'CREATE TRIGGER del AFTER DELETE ON ' || tbl::text || ' REFERENCING OLD TABLE AS old_table FOR EACH STATEMENT EXECUTE FUNCTION app.update_contact_tags()';
END $$ LANGUAGE plpgsql;
`);
  const dyn = lintFiles([{ file: 'sql/contacts.sql', text: dynamic }], ID).mine;
  assert.equal(dyn.length, 1);
  assert.doesNotMatch(dyn[0]!.message, /by writing a table that a trigger made by dynamic SQL/);
  assert.match(dyn[0]!.message, /or one of these migrations' that runs the part of the body reading a name it does not declare \(the triggers dynamic SQL makes, the EXECUTE at contacts\.sql:\d+\), can shadow/);
  const tags = async (q: Q) => (await q(`SELECT tags::text AS t FROM app.contacts WHERE id = 'c1'`))[0]!.t;
  await inRollback(await getDb(), async (q) => {
    await q(text);
    await q(`INSERT INTO app.contacts VALUES ('c1')`);
    await q('SET ROLE dspm_gt');
    await q(`CREATE TEMP TABLE new_table (contact_id text, tag_id text); INSERT INTO new_table VALUES ('c1', 'FORGED')`);
    await q('CREATE TEMP TABLE old_table (contact_id text, tag_id text)');
    await q(`INSERT INTO app.contact_tags VALUES ('c1', 'real')`);
    await q(`DELETE FROM app.contact_tags WHERE tag_id = 'none'`);
    await q('RESET ROLE');
    assert.equal(await tags(q), '{"real": true}', 'writing app.contact_tags: each trigger reads its own transition table');
    await q('SET ROLE dspm_gt');
    await q('CREATE TEMP TABLE mine (x int)');
    await q('CREATE TRIGGER mine_tags AFTER INSERT ON pg_temp.mine FOR EACH STATEMENT EXECUTE FUNCTION app.update_contact_tags()');
    await q('INSERT INTO pg_temp.mine VALUES (1)');
    await q('RESET ROLE');
    assert.equal(await tags(q), '{"real": true, "FORGED": true}', "its own trigger: the owner wrote the tag of the caller's temporary new_table");
  });
});

test('ok (message): a trigger goes with its table (DROP TABLE … CASCADE) or its function (DROP FUNCTION … CASCADE): a table made again under that name does not fire the function, and the message no longer says writing it does (PGlite)', async () => {
  const head = `CREATE ROLE dspm_again;
CREATE TABLE public.audit_log (what text);
CREATE TABLE public.items (id int PRIMARY KEY);
CREATE FUNCTION public.log_item() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN INSERT INTO audit_log VALUES ('item ' || NEW.id); RETURN NEW; END $$;
CREATE TRIGGER items_log AFTER INSERT ON public.items FOR EACH ROW EXECUTE FUNCTION public.log_item();
`;
  const dropTable = `DROP TABLE IF EXISTS items CASCADE;
CREATE TABLE public.items (id int PRIMARY KEY);
GRANT INSERT ON public.items TO dspm_again;
`;
  const dropFunction = `DROP FUNCTION public.log_item() CASCADE;
CREATE FUNCTION public.log_item() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN INSERT INTO audit_log VALUES ('item ' || NEW.id); RETURN NEW; END $$;
GRANT INSERT ON public.items TO dspm_again;
`;
  for (const later of [dropTable, dropFunction]) {
    const { mine } = lintFiles([{ file: 'db/1.sql', text: head }, { file: 'db/2.sql', text: later }], ID);
    assert.equal(mine.length, 1);
    assert.doesNotMatch(mine[0]!.message, /by writing public\.items/);
    assert.match(mine[0]!.message, /fire it in that session \(no trigger of these migrations runs it yet\)/);
    await inRollback(await getDb(), async (q) => {
      await q(head);
      await q(later);
      assert.equal((await q(`SELECT count(*)::int AS n FROM pg_trigger WHERE tgfoid = 'public.log_item()'::regprocedure`))[0]!.n, 0, 'no trigger runs it');
      await q('SET ROLE dspm_again');
      await q('CREATE TEMP TABLE audit_log (what text)');
      await q('INSERT INTO public.items VALUES (1)');
      assert.equal((await q('SELECT count(*)::int AS n FROM pg_temp.audit_log'))[0]!.n, 0, 'writing the table fires nothing');
    });
  }
  // (without CASCADE, PostgreSQL refuses to drop a trigger's function: the trigger stays)
  const { mine } = lintFiles([{ file: 'db/1.sql', text: head }, { file: 'db/2.sql', text: 'DROP FUNCTION IF EXISTS public.log_item();\n' + dropFunction.split('\n').slice(1).join('\n') }], ID);
  assert.match(mine[0]!.message, /by writing public\.items/);
  await inRollback(await getDb(), async (q) => {
    await q(head);
    await assert.rejects(q('DROP FUNCTION IF EXISTS public.log_item()'), /2BP01|depend/);
  });
});

test("ok (fix): on Supabase, a body calling pgcrypto's pgp_sym_encrypt() without a schema: the fix lists extensions, where the platform installs pgcrypto; SET search_path = public, pg_temp would make the call fail with 42883 (PGlite)", async () => {
  // (supabase/supabase's supa-builder example: CREATE EXTENSION IF NOT EXISTS is a no-op there, pgcrypto being in extensions already)
  const sql = `create extension if not exists "pgcrypto";
create function public.encrypt_key(p_key text, p_secret text) returns text language plpgsql security definer as $$
begin
  return encode(pgp_sym_encrypt(p_key, p_secret, 'cipher-algo=aes256'), 'base64');
end;
$$;
`;
  const file = 'supabase/migrations/20240101000000_keys.sql';
  const { ws, mine } = lintFiles([{ file, text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /calls pgp_sym_encrypt\(\) without a schema: on Supabase pgcrypto is in schema extensions.*42883.*Add SET search_path = public, extensions, pg_temp,/);
  const fixed = applyFix(ws, mine[0]!, /public, extensions, pg_temp/);
  assert.match(fixed.text(file)!, /security definer SET search_path = public, extensions, pg_temp as/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  // (elsewhere than Supabase the extension is where CREATE EXTENSION put it: the fix is unchanged)
  assert.match(lintFiles([{ file: 'db/1.sql', text: sql }], ID).mine[0]!.message, /Add SET search_path = public, pg_temp,/);
  const db = await PGlite.create({ extensions: { pgcrypto } });
  try {
    const q = queryFn(db);
    await q(`CREATE ROLE authenticated; CREATE SCHEMA extensions; GRANT USAGE ON SCHEMA extensions TO PUBLIC; CREATE EXTENSION pgcrypto WITH SCHEMA extensions`);
    await q(sql);
    await q(sql.replace('encrypt_key', 'encrypt_key_public').replace('security definer as', 'security definer SET search_path = public, pg_temp as'));
    await q(fixed.text(file)!.replace(/create extension[^\n]*\n/, '').replace('encrypt_key', 'encrypt_key_fixed'));
    // (the API's session: PostgREST's search_path lists extensions)
    await q('BEGIN');
    await q('SET LOCAL search_path = public, extensions');
    await q('SET LOCAL ROLE authenticated');
    assert.equal((await q(`SELECT length(public.encrypt_key('k', 's')) > 0 AS ok`))[0]!.ok, true, 'as written, the caller\'s path finds pgcrypto');
    assert.equal((await q(`SELECT length(public.encrypt_key_fixed('k', 's')) > 0 AS ok`))[0]!.ok, true, 'the fix keeps it working');
    const r = await tryQuery(q, `SELECT public.encrypt_key_public('k', 's')`);
    assert.equal(r.ok ? '' : r.error.code, '42883', 'SET search_path = public, pg_temp does not find pgp_sym_encrypt()');
    await q('ROLLBACK');
  } finally {
    await db.close();
  }
});

// SMRxT/postgrest-demo's register_account: no SET clause, its body starts with SET LOCAL search_path
// TO postgrest, public. The names after it resolve through that path, not the caller's — but pg_temp,
// not listed, still comes first; and the path outlives the call (no SET clause restores the caller's).
const BODY_SET = (path: string) => `CREATE SCHEMA s;
CREATE TABLE s.account (email text);
CREATE FUNCTION s.register(e text) RETURNS text AS $$
BEGIN
  SET LOCAL search_path TO ${path};
  INSERT INTO account (email) VALUES (e);
  RETURN e;
END $$ LANGUAGE plpgsql SECURITY DEFINER;
GRANT USAGE ON SCHEMA s TO authenticated;
`;

async function bodySetProbe(q: Q, sql: string): Promise<{ temp: number; real: number; after: string }> {
  await q(sql);
  await q('SET ROLE authenticated');
  await q('CREATE TEMP TABLE account (email text)');
  await q(`SELECT s.register('x@example.com')`);
  const after = (await q('SHOW search_path'))[0]!.search_path as string;
  const temp = Number((await q('SELECT count(*)::int AS n FROM pg_temp.account'))[0]!.n);
  await q('RESET ROLE');
  const real = Number((await q('SELECT count(*)::int AS n FROM s.account'))[0]!.n);
  return { temp, real, after };
}

test("err (message): a body whose first statement is SET LOCAL search_path TO s, public: the message names that path, which does not end with pg_temp (PGlite: the caller's temporary table gets the owner's INSERT, and the path stays set after the call)", async () => {
  const sql = BODY_SET('s, public');
  const { mine } = lintFiles([{ file: '1.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /the first statement of its body, SET LOCAL search_path TO s, public, sets the path the rest of it resolves unqualified names through \(and, with no SET clause to restore the caller's, leaves it set after the call, for the rest of the caller's transaction\), a path that does not end with pg_temp, so there pg_temp is searched first/);
  assert.doesNotMatch(mine[0]!.message, /through the caller's search_path/);
  assert.match(mine[0]!.message, /End that statement's path with pg_temp \(SET LOCAL search_path TO s, public, pg_temp\)\. A SET clause on the function alone is not enough while the body's SET stays/);
  const r = await inRollback(await getDb(), (q) => bodySetProbe(q, sql));
  assert.deepEqual(r, { temp: 1, real: 0, after: 's, public' });
  // a SET clause alone: the body's SET replaces its path, and the temporary table still gets the row
  const clause = sql.replace('SECURITY DEFINER;', 'SECURITY DEFINER SET search_path = s, public, pg_temp;');
  assert.notEqual(clause, sql);
  const c = await inRollback(await getDb(), (q) => bodySetProbe(q, clause));
  assert.deepEqual({ temp: c.temp, real: c.real }, { temp: 1, real: 0 });
  assert.notEqual(c.after, 's, public', "the clause gives the caller its path back on return");
  // the fix ends the body's path with pg_temp: nothing is reported, and s.account gets the row
  const { ws } = lintFiles([{ file: '1.sql', text: sql }], ID);
  const fixed = applyFix(ws, mine[0]!, /pg_temp/);
  assert.match(sqlOf(fixed), /SET LOCAL search_path TO s, public, pg_temp;/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  const f = await inRollback(await getDb(), (q) => bodySetProbe(q, sqlOf(fixed)));
  assert.deepEqual(f, { temp: 0, real: 1, after: 's, public, pg_temp' });
});

test('ok: a body whose first statement sets a path ending with pg_temp resolves its names there (PGlite: s.account gets the row, not the temporary table)', async () => {
  const sql = BODY_SET('s, public, pg_temp');
  assert.equal(lintFiles([{ file: '1.sql', text: sql }], ID).mine.length, 0);
  // (a DECLARE default is evaluated before the body's first statement, through the caller's path)
  const early = sql.replace('BEGIN\n  SET LOCAL', 'DECLARE n int := (SELECT count(*) FROM account);\nBEGIN\n  SET LOCAL');
  assert.notEqual(early, sql);
  assert.equal(lintFiles([{ file: '1.sql', text: early }], ID).mine.length, 1);
  const r = await inRollback(await getDb(), (q) => bodySetProbe(q, sql));
  assert.deepEqual(r, { temp: 0, real: 1, after: 's, public, pg_temp' });
});

// movinesta/RideIQ's supabase/schema.sql: a full dump of the Supabase database, platform schemas included
const PLATFORM_DUMP = `CREATE ROLE supabase_storage_admin;
CREATE ROLE anon;
CREATE ROLE authenticated;
CREATE SCHEMA storage;
GRANT USAGE ON SCHEMA storage TO anon, authenticated;
CREATE TABLE storage.prefixes (bucket_id text NOT NULL, name text NOT NULL, PRIMARY KEY (bucket_id, name));
ALTER TABLE storage.prefixes ENABLE ROW LEVEL SECURITY;
ALTER TABLE storage.prefixes OWNER TO supabase_storage_admin;
CREATE FUNCTION storage.add_prefixes(_bucket_id text, _name text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    AS $$
BEGIN
  INSERT INTO storage.prefixes (bucket_id, name) VALUES (_bucket_id, _name) ON CONFLICT DO NOTHING;
END;
$$;
ALTER FUNCTION storage.add_prefixes(_bucket_id text, _name text) OWNER TO supabase_storage_admin;
`;

test("ok: a function of Supabase's own schemas owned by its role (storage.add_prefixes, owner supabase_storage_admin, in a project's full dump) is the platform's: no definer rule reports it; owned by the project's role it is reported", async () => {
  const DEFINER_RULES = /^definer-/;
  const files = (text: string) => [{ file: 'supabase/schema.sql', text }];
  const mineOf = (text: string) => lintFiles(files(text), ID).findings.filter((f) => DEFINER_RULES.test(f.rule));
  assert.deepEqual(mineOf(PLATFORM_DUMP).map((f) => f.rule), []);
  const projects = PLATFORM_DUMP.replace('ALTER FUNCTION storage.add_prefixes(_bucket_id text, _name text) OWNER TO supabase_storage_admin;\n', '');
  assert.notEqual(projects, PLATFORM_DUMP);
  const rules = mineOf(projects).map((f) => f.rule);
  assert.ok(rules.includes(ID), 'the same function made by the project is reported');
  // (the dump runs: the function is the storage role's)
  await inRollback(await getDb(), async (q) => {
    await q(PLATFORM_DUMP.replace(/CREATE ROLE (\w+);/g, "DO $r$ BEGIN CREATE ROLE $1; EXCEPTION WHEN duplicate_object THEN NULL; END $r$;"));
    assert.deepEqual(await q("SELECT pg_get_userbyid(proowner) AS owner FROM pg_proc WHERE proname = 'add_prefixes'"), [{ owner: 'supabase_storage_admin' }]);
  });
});

// betterr_me's 20260301000001_vault_auth_checks.sql: get_plaid_secret() without SET search_path,
// revoked FROM PUBLIC, authenticated and granted to service_role. The message said only "these
// migrations leave it to service_role besides its owner", though Supabase's default privileges
// left it to anon as well (definer-execute-granted-to-public says so): it now names anon.
test('err (message): Supabase, EXECUTE revoked from PUBLIC and authenticated only: anon still holds it by the default privileges, and the message says so (PGlite: has_function_privilege)', async () => {
  const sql = `CREATE FUNCTION get_secret(secret_name text) RETURNS text LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE result text;
BEGIN
  SELECT value INTO result FROM public.secrets WHERE name = secret_name;
  RETURN result;
END $$;
REVOKE EXECUTE ON FUNCTION get_secret(text) FROM PUBLIC, authenticated;
GRANT EXECUTE ON FUNCTION get_secret(text) TO service_role;
`;
  const table = 'CREATE TABLE public.secrets (name text PRIMARY KEY, value text);\n';
  const file = 'supabase/migrations/20260301000001_vault_auth_checks.sql';
  const { mine } = lintFiles([{ file, text: table + sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /these migrations leave it to service_role besides its owner; a member of a role that holds it inherits it; on Supabase, default privileges grant it on new functions in public to anon, authenticated and service_role unless revoked \(here not revoked from anon, which holds it\) —/);
  // (revoked from anon too: nothing more is said)
  const all = lintFiles([{ file, text: table + sql.replace('FROM PUBLIC, authenticated', 'FROM PUBLIC, anon, authenticated') }], ID).mine;
  assert.match(all[0]!.message, /unless revoked — or a function/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO anon, authenticated, service_role');
    await q(table + sql);
    const can = async (r: string) => (await q(`SELECT has_function_privilege('${r}', 'public.get_secret(text)', 'EXECUTE') AS c`))[0]!.c;
    assert.deepEqual([await can('anon'), await can('authenticated'), await can('service_role')], [true, false, true]);
  });
});
