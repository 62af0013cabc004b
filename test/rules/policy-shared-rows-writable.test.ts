// policy-shared-rows-writable on PostgreSQL (PGlite): a FOR ALL policy sharing rows for reading
// (`tenant check OR visibility = 'global_approved'`) lets tenant B delete tenant A's shared row
// and move another into its own tenant (WITH CHECK checks only the new row); without WITH CHECK
// B may rewrite A's shared row and insert shared rows in A's name. After the split fix B still
// reads the shared rows and changes none of them.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { affected, asOwner, closeAll, count, getDb, inRollback, type Q, tryQuery } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintDocExample, lintFiles, nestedParentheses, sqlOf, TENANT_A, TENANT_B } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';
import { topLevelOr } from '../../server/src/rules/policy-shared-rows-writable.js';

const ID = 'policy-shared-rows-writable';
before(initParser);
after(closeAll);

/** The skills example as app_owner, with rows of tenants A (two shared, one not) and B, acting as tenant B. */
async function skills(q: Q, sql: string): Promise<void> {
  await q('CREATE ROLE app_user NOLOGIN'); // (by the superuser; rolled back with the rest)
  await asOwner(q, sql.replace('CREATE ROLE app_user NOLOGIN;', ''));
  await q(`INSERT INTO skills VALUES ('a1', 'A', 'global_approved'), ('a2', 'A', 'tenant'), ('a3', 'A', 'global_approved'), ('b1', 'B', 'tenant')`);
  await q(`SELECT set_config('app.tenant_id', 'B', true)`);
  await q('SET ROLE app_user');
}

test("err: tenant B deletes tenant A's shared row and moves another into its own tenant; after the split it reads them and changes none", async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.match(finding.message, /its branch `visibility = 'global_approved'` admits rows without looking at who is asking — other users' and tenants' rows among them — so app_user may delete those rows/);
  assert.match(finding.message, /move them into their own tenant/);
  const fixed = applyFix(ws, finding);
  assert.equal(findingsOf(fixed, ID).length, 0);
  assert.match(sqlOf(fixed), /CREATE POLICY tenant_isolation_delete ON skills FOR DELETE TO app_user\n {2}USING \(tenant_id = \(select current_setting\('app\.tenant_id', true\)\)\);/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await skills(q, sqlOf(ws));
    assert.equal(await count(q, 'skills'), 3, "B reads its own row and A's two shared ones");
    assert.deepEqual(await q(`DELETE FROM skills WHERE id = 'a1' RETURNING id`), [{ id: 'a1' }]);
    assert.deepEqual(await q(`UPDATE skills SET tenant_id = 'B' WHERE id = 'a3' RETURNING id, tenant_id`), [{ id: 'a3', tenant_id: 'B' }]);
    assert.equal(await affected(q, `UPDATE skills SET visibility = 'x' WHERE id = 'a2'`), 0, "A's unshared row stays out of reach");
  });
  await inRollback(db, async (q) => {
    await skills(q, sqlOf(fixed));
    assert.equal(await count(q, 'skills'), 3);
    assert.equal(await affected(q, `DELETE FROM skills WHERE id = 'a1'`), 0);
    assert.equal(await affected(q, `UPDATE skills SET tenant_id = 'B' WHERE id = 'a3'`), 0);
    assert.equal(await affected(q, `UPDATE skills SET visibility = 'global_approved' WHERE id = 'b1'`), 1, 'its own rows it still changes');
    const foreign = await tryQuery(q, `INSERT INTO skills VALUES ('x', 'A', 'global_approved')`);
    assert.equal(foreign.ok ? 'ok' : foreign.error.code, '42501');
  });
});

test("err: without WITH CHECK: user B rewrites A's published quiz and inserts one in A's name; after the split neither", async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.match(finding.message, /with no WITH CHECK, USING is the check too/);
  const fixed = applyFix(ws, finding);
  assert.equal(findingsOf(fixed, ID).length, 0);
  assert.match(sqlOf(fixed), /FOR INSERT TO authenticated\n {2}WITH CHECK \(created_by = \(select auth\.uid\(\)\)\);/);
  const db = await getDb();
  const run = async (q: Q, sql: string) => {
    await q(AUTH_STUB_SQL);
    await asOwner(q, sql);
    await q(`INSERT INTO quizzes VALUES (1, '${TENANT_A}', 'published', true, 'A''s quiz'), (2, '${TENANT_A}', 'draft', false, 'A''s draft')`);
    await q('GRANT SELECT, INSERT, UPDATE, DELETE ON quizzes TO authenticated'); // (Supabase's default privileges)
    await q(actAs(TENANT_B));
    await q('SET ROLE authenticated');
  };
  await inRollback(db, async (q) => {
    await run(q, sqlOf(ws));
    assert.deepEqual(await q(`UPDATE quizzes SET title = 'defaced by B' WHERE id = 1 RETURNING id`), [{ id: 1 }]);
    assert.equal(await affected(q, `INSERT INTO quizzes VALUES (3, '${TENANT_A}', 'published', true, 'spam in A''s name')`), 1);
    assert.equal(await affected(q, `DELETE FROM quizzes WHERE id = 1`), 1);
  });
  await inRollback(db, async (q) => {
    await run(q, sqlOf(fixed));
    assert.equal(await count(q, 'quizzes'), 1, "B still reads A's published quiz");
    assert.equal(await affected(q, `UPDATE quizzes SET title = 'defaced by B' WHERE id = 1`), 0);
    assert.equal(await affected(q, `DELETE FROM quizzes WHERE id = 1`), 0);
    const foreign = await tryQuery(q, `INSERT INTO quizzes VALUES (3, '${TENANT_A}', 'published', true, 'spam')`);
    assert.equal(foreign.ok ? 'ok' : foreign.error.code, '42501');
  });
});

test('ok: Valid: a read policy with the shared branch and a write policy without it: B reads the shared row and cannot delete it', async () => {
  const { ws } = lintDocExample(ID, 'valid', 0);
  await inRollback(await getDb(), async (q) => {
    await skills(q, sqlOf(ws));
    assert.equal(await count(q, 'skills'), 3);
    assert.equal(await affected(q, `DELETE FROM skills WHERE id = 'a1'`), 0);
  });
});

test('ok: not reported: an always-true branch (policy-always-true), a FOR SELECT policy, no caller branch at all', () => {
  const { ex } = invalidFinding(ID, 0);
  const base = ex.files[0]!.text;
  for (const [what, text] of [
    ['OR true', base.replace("visibility = 'global_approved'", 'true')],
    ['FOR SELECT', base.replace('FOR ALL', 'FOR SELECT').replace(/\n {2}WITH CHECK[^\n]*;/, ';')],
    ['no caller', base.replace("tenant_id = (select current_setting('app.tenant_id', true))", "tenant_id = 'A'").replace("WITH CHECK (tenant_id = (select current_setting('app.tenant_id', true)))", "WITH CHECK (tenant_id = 'A')")],
  ] as const) {
    assert.notEqual(text, base, what);
    assert.equal(lintFiles([{ file: 'm.sql', text }], ID).mine.length, 0, what);
  }
});

test('ok: the USING is split at its top-level ORs only (parentheses, strings, dollar quotes and comments skipped)', () => {
  assert.deepEqual(topLevelOr("a = 1 OR (b = 2 OR c = 3) or d = 'x OR y'"), ['a = 1', '(b = 2 OR c = 3)', "d = 'x OR y'"]);
  assert.deepEqual(topLevelOr('color = $$or$$ -- or\n OR ok'), ['color = $$or$$', 'ok']);
  assert.deepEqual(topLevelOr('-- everyone sees public rows\nis_public /* shared */ OR owner = current_user'), ['is_public', 'owner = current_user']);
  assert.equal(topLevelOr('a = 1 AND (b OR c)'), undefined);
  assert.equal(topLevelOr('ordered OR'), undefined);
});

test('ok: an append-only table (a trigger raising on UPDATE and DELETE, or DO INSTEAD NOTHING rules: fg-core) is left alone, and PostgreSQL refuses the writes', async () => {
  const { ex } = invalidFinding(ID, 0);
  const base = ex.files[0]!.text;
  const trigger = `${base}\nCREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'append-only'; END $$;\nCREATE TRIGGER skills_append_only BEFORE UPDATE OR DELETE ON skills FOR EACH ROW EXECUTE FUNCTION refuse();`;
  const rules = `${base}\nCREATE RULE skills_no_update AS ON UPDATE TO skills DO INSTEAD NOTHING;\nCREATE RULE skills_no_delete AS ON DELETE TO skills DO INSTEAD NOTHING;`;
  for (const text of [trigger, rules]) assert.equal(lintFiles([{ file: 'm.sql', text }], ID).mine.length, 0);
  // one of the two refused: the other is still said
  const onlyDelete = lintFiles([{ file: 'm.sql', text: trigger.replace('BEFORE UPDATE OR DELETE', 'BEFORE DELETE') }], ID).mine;
  assert.match(onlyDelete[0]?.message ?? '', /may update them as far as WITH CHECK allows/);
  assert.doesNotMatch(onlyDelete[0]!.message, /delete those rows/);
  await inRollback(await getDb(), async (q) => {
    await skills(q, trigger);
    const r = await tryQuery(q, `DELETE FROM skills WHERE id = 'a1'`);
    assert.equal(r.ok ? 'ok' : r.error.code, 'P0001');
  });
});

test('ok: no role subject to RLS granted UPDATE or DELETE (a policy for PUBLIC where the app connects as the owner): not reported', () => {
  const text = `CREATE TABLE users (id int PRIMARY KEY, tenant_id uuid);
CREATE INDEX ON users (tenant_id);
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
CREATE POLICY user_tenant ON users USING (tenant_id = current_setting('app.tenant_id', true)::uuid OR tenant_id IS NULL);`;
  assert.equal(lintFiles([{ file: 'm.sql', text }], ID).mine.length, 0);
  assert.equal(lintFiles([{ file: 'm.sql', text: `${text}\nCREATE ROLE app NOLOGIN;\nGRANT SELECT, UPDATE ON users TO app;` }], ID).mine.length, 1);
});

test("err: `user_id = auth.uid() OR user_id IS NULL` (gasmask's autopilot settings): the branch admits rows of no one, never another user's; user B takes the shared row over (it passes the caller's branch as the new row) and cannot touch A's", async () => {
  const text = `CREATE TABLE public.settings (id bigint PRIMARY KEY, user_id uuid, value text);
CREATE INDEX ON public.settings (user_id);
ALTER TABLE public.settings ENABLE ROW LEVEL SECURITY;
CREATE POLICY settings_own ON public.settings FOR ALL TO authenticated
  USING ((select auth.uid()) = user_id OR user_id IS NULL);
`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_settings.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /admits rows without looking at who is asking — rows that belong to no one, shared by all — /);
  assert.doesNotMatch(mine[0]!.message, /other users/);
  assert.match(mine[0]!.message, /still shared, or taken over as the caller's own/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sqlOf(ws));
    await q(`INSERT INTO public.settings VALUES (1, NULL, 'default'), (2, '${TENANT_A}', 'mine')`);
    await q('GRANT SELECT, INSERT, UPDATE, DELETE ON public.settings TO authenticated');
    await q(actAs(TENANT_B));
    await q('SET ROLE authenticated');
    assert.equal(await affected(q, `UPDATE public.settings SET value = 'x' WHERE id = 2`), 0, "A's row: not reached");
    assert.equal(await affected(q, `UPDATE public.settings SET user_id = '${TENANT_B}' WHERE id = 1`), 1, 'the shared row taken over');
    assert.deepEqual(await q('SELECT id FROM public.settings'), [{ id: 1 }]);
  });
});

test("ok: a helper that checks the caller through a parameter's default (is_admin(_user_id uuid DEFAULT auth.uid()): soil-sidekick) looks at who is asking: not reported; user A changes none of B's rows", async () => {
  const text = `CREATE TABLE public.user_roles (user_id uuid NOT NULL, role text NOT NULL);
CREATE TABLE public.profiles (id bigint PRIMARY KEY, user_id uuid NOT NULL, name text);
CREATE INDEX ON public.profiles (user_id);
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.is_admin(_user_id uuid DEFAULT auth.uid()) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS
  $$ SELECT EXISTS (SELECT 1 FROM public.user_roles WHERE user_id = _user_id AND role = 'admin') $$;
CREATE POLICY profiles_own ON public.profiles FOR ALL TO authenticated
  USING (user_id = (select auth.uid()) OR public.is_admin());
`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_profiles.sql', text }], ID);
  assert.deepEqual(mine, []);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sqlOf(ws));
    await q(`INSERT INTO public.profiles VALUES (1, '${TENANT_A}', 'a'), (2, '${TENANT_B}', 'b')`);
    await q('GRANT SELECT, INSERT, UPDATE, DELETE ON public.profiles TO authenticated');
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.equal(await affected(q, `UPDATE public.profiles SET name = 'x' WHERE id = 2`), 0);
    assert.equal(await affected(q, 'DELETE FROM public.profiles WHERE id = 2'), 0);
  });
});

test("err (wording): a policy for PUBLIC on a FORCE'd table no other role is granted names the owner, not every role; with a grant to one role, that role; PGlite: the owner deletes the row of no one", async () => {
  const text = `CREATE TABLE users (id int PRIMARY KEY, tenant_id text);
ALTER TABLE users OWNER TO app_owner;
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY user_tenant ON users USING (tenant_id = current_setting('app.tenant_id', true) OR tenant_id IS NULL);
`;
  const owner = lintFiles([{ file: 'm.sql', text }], ID).mine;
  assert.equal(owner.length, 1);
  assert.match(owner[0]!.message, /so app_owner \(the table's owner, whom FORCE ROW LEVEL SECURITY subjects to the policy\) may delete those rows/);
  assert.doesNotMatch(owner[0]!.message, /every role|PUBLIC/);
  const granted = lintFiles([{ file: 'm.sql', text: `${text}GRANT SELECT, DELETE ON users TO authenticated;\n` }], ID).mine;
  // (authenticated is granted DELETE, not UPDATE nor INSERT: it is said to delete, the owner to do all three)
  assert.match(granted[0]!.message, /so authenticated may delete those rows; app_owner \(the table's owner, whom FORCE ROW LEVEL SECURITY subjects to the policy\) may delete those rows, and update them/);
  for (const f of [owner[0]!, granted[0]!]) assert.equal(nestedParentheses(f.message), undefined, f.message);
  const toPublic = lintFiles([{ file: 'm.sql', text: `${text}GRANT SELECT, DELETE ON users TO PUBLIC;\n` }], ID).mine;
  assert.match(toPublic[0]!.message, /so every role \(PUBLIC\) may delete/);
  await inRollback(await getDb(), async (q) => {
    await q(text);
    await q(`INSERT INTO users VALUES (1, 'A'), (2, NULL)`);
    await q(`SELECT set_config('app.tenant_id', 'B', true)`);
    await q('SET ROLE app_owner');
    assert.deepEqual(await q('DELETE FROM users RETURNING id'), [{ id: 2 }], "the owner, tenant B, deletes the row of no one and not A's");
  });
});

// saltastroops/data-archive-database's position_policy (FOR ALL, no TO, no WITH CHECK, `… OR
// owner_institution_user_ids IS NULL`): observations_editor is granted SELECT, DELETE and INSERT on
// position, not UPDATE. It was said to "delete those rows, and update them …": PostgreSQL refuses
// its UPDATE (42501 permission denied) before any policy is looked at.
test('err (wording): a role granted DELETE and INSERT but not UPDATE is said to delete and insert shared rows, not to update them; PGlite: its DELETE and INSERT pass, its UPDATE is denied', async () => {
  const text = `CREATE ROLE observations_editor NOLOGIN;
CREATE TABLE position (id int PRIMARY KEY, owner_ids int[]);
GRANT SELECT, DELETE, INSERT ON position TO observations_editor;
ALTER TABLE position ENABLE ROW LEVEL SECURITY;
CREATE POLICY position_policy ON position
USING (current_setting('my.user_id')::int = ANY(position.owner_ids) OR position.owner_ids IS NULL);
`;
  const mine = lintFiles([{ file: 'V1__position.sql', text }], ID).mine;
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /so observations_editor may delete those rows, and insert rows that pass that branch; not only read them\./);
  assert.doesNotMatch(mine[0]!.message, /update them/);
  const both = lintFiles([{ file: 'V1__position.sql', text: `${text}CREATE ROLE archive_user NOLOGIN;\nGRANT SELECT, UPDATE ON position TO archive_user;\n` }], ID).mine;
  assert.match(both[0]!.message, /so observations_editor may delete those rows, and insert rows that pass that branch; archive_user may update them to any values that pass that USING/);
  await inRollback(await getDb(), async (q) => {
    await q('CREATE ROLE observations_editor NOLOGIN');
    await asOwner(q, text.replace('CREATE ROLE observations_editor NOLOGIN;', ''));
    await q(`INSERT INTO position VALUES (1, NULL), (2, NULL), (3, '{7}')`);
    await q(`SELECT set_config('my.user_id', '5', true)`);
    await q('SET ROLE observations_editor');
    assert.equal(await affected(q, 'DELETE FROM position WHERE id = 1'), 1, 'it deletes a row of no one');
    assert.equal(await affected(q, 'INSERT INTO position VALUES (4, NULL)'), 1, 'it inserts a row of no one');
    const upd = await tryQuery(q, `UPDATE position SET owner_ids = '{5}' WHERE id = 2`);
    assert.equal(upd.ok ? 'ok' : upd.error.code, '42501', 'no UPDATE privilege: refused');
  });
});

// Oppsera's 0331_ai_support_rls_policies.sql: `tenant_id IS NULL OR tenant_id = <setting>` in the
// USING and in the WITH CHECK. The split fix used to copy that WITH CHECK into the INSERT and UPDATE
// policies, and every tenant still planted rows of no tenant (calibration, PGlite).
const CARDS_SETTING = "(select current_setting('app.current_tenant_id', true))";
const CARDS = `CREATE ROLE app_user NOLOGIN;
CREATE TABLE answer_cards (id text PRIMARY KEY, tenant_id text, body text NOT NULL);
CREATE INDEX ON answer_cards (tenant_id);
GRANT SELECT, INSERT, UPDATE, DELETE ON answer_cards TO app_user;
ALTER TABLE answer_cards ENABLE ROW LEVEL SECURITY;
ALTER TABLE answer_cards FORCE ROW LEVEL SECURITY;
CREATE POLICY rls_answer_cards ON answer_cards FOR ALL TO app_user
  USING (tenant_id IS NULL OR tenant_id = ${CARDS_SETTING})
  WITH CHECK (tenant_id IS NULL OR tenant_id = ${CARDS_SETTING});
`;

/** The cards migrations as app_owner, a shared row and one of tenant B, acting as app_user of tenant A. */
async function cards(q: Q, sql: string): Promise<void> {
  await q('CREATE ROLE app_user NOLOGIN');
  await asOwner(q, sql.replace('CREATE ROLE app_user NOLOGIN;', ''));
  await q(`INSERT INTO answer_cards VALUES ('s1', NULL, 'shared'), ('b1', 'B', 'B private')`);
  await q('SET ROLE app_user');
  await q(`SELECT set_config('app.current_tenant_id', 'A', true)`);
}

/** What tenant B reads (the ids), from within the same transaction. */
async function readAsB(q: Q): Promise<string[]> {
  await q(`SELECT set_config('app.current_tenant_id', 'B', true)`);
  return (await q('SELECT id FROM answer_cards ORDER BY id')).map((r) => String(r.id));
}

test("err: FOR ALL whose WITH CHECK has the shared branch too (Oppsera): tenant A plants a row of no tenant that B reads; the split fix's INSERT and UPDATE checks drop that branch: A's plants fail, A's own rows still written", async () => {
  const { ws, mine } = lintFiles([{ file: 'm.sql', text: CARDS }], ID);
  assert.equal(mine.length, 1);
  const finding = mine[0]!;
  assert.match(finding.message, /Its WITH CHECK admits the same rows \(`tenant_id IS NULL`\): app_user may also create them — insert such rows, or turn rows they may update into such rows — and this policy shows them to all its roles/);
  assert.match(finding.message, /only the condition on the caller, in WITH CHECK too\./);
  assert.match(finding.fixes[0]!.title, /INSERT, UPDATE and DELETE get only the condition on the caller/);
  const fixed = applyFix(ws, finding);
  assert.equal(findingsOf(fixed, ID).length, 0, 'the fixed file lints clean (the split-form check included)');
  const sql = sqlOf(fixed);
  assert.match(sql, new RegExp(`FOR INSERT TO app_user\\n {2}WITH CHECK \\(tenant_id = ${CARDS_SETTING.replace(/[()]/g, '\\$&')}\\);`));
  assert.match(sql, new RegExp(`FOR UPDATE TO app_user\\n {2}USING \\(tenant_id = [^\\n]*\\)\\n {2}WITH CHECK \\(tenant_id = ${CARDS_SETTING.replace(/[()]/g, '\\$&')}\\);`));
  assert.doesNotMatch(sql.slice(sql.indexOf('_insert')), /IS NULL/, 'no shared branch left in the write policies');
  const db = await getDb();
  await inRollback(db, async (q) => {
    await cards(q, sqlOf(ws));
    assert.equal(await affected(q, `INSERT INTO answer_cards VALUES ('p1', NULL, 'planted by A')`), 1);
    assert.equal(await affected(q, `INSERT INTO answer_cards VALUES ('a1', 'A', 'A row')`), 1);
    assert.equal(await affected(q, `UPDATE answer_cards SET tenant_id = NULL, body = 'planted 2' WHERE id = 'a1'`), 1);
    assert.deepEqual(await readAsB(q), ['a1', 'b1', 'p1', 's1'], "B reads both rows A planted");
  });
  await inRollback(db, async (q) => {
    await cards(q, sql);
    const plant = await tryQuery(q, `INSERT INTO answer_cards VALUES ('p1', NULL, 'planted by A')`);
    assert.equal(plant.ok ? 'ok' : plant.error.code, '42501');
    assert.equal(await affected(q, `INSERT INTO answer_cards VALUES ('a1', 'A', 'A row')`), 1, 'its own rows A still inserts');
    assert.equal(await affected(q, `UPDATE answer_cards SET body = 'edited' WHERE id = 'a1'`), 1, 'and updates');
    const turn = await tryQuery(q, `UPDATE answer_cards SET tenant_id = NULL WHERE id = 'a1'`);
    assert.equal(turn.ok ? 'ok' : turn.error.code, '42501');
    assert.equal(await affected(q, `UPDATE answer_cards SET body = 'x' WHERE id = 's1'`), 0, 'the shared row: out of reach');
    assert.deepEqual(await readAsB(q), ['b1', 's1'], 'B reads the shared row, nothing of A');
  });
});

test("err: the same policies split by command (FOR SELECT + FOR INSERT, Oppsera's r2): reported on the INSERT policy; PGlite: A plants a row B reads; the fix keeps the caller's branch only", async () => {
  const { ws, finding } = invalidFinding(ID, 2);
  assert.match(finding.message, /^Policy "cards_insert" on public\.answer_cards checks new rows with a branch `tenant_id IS NULL` that does not look at who is asking, and policy "cards_select" shows the rows it admits to app_user, whoever asks: so app_user may insert such rows, and they then show up for every caller, whatever their tenant or user/);
  assert.doesNotMatch(finding.message, /turn rows/, 'no UPDATE policy, no UPDATE grant');
  const fixed = applyFix(ws, finding);
  assert.equal(findingsOf(fixed, ID).length, 0);
  assert.match(sqlOf(fixed), new RegExp(`FOR INSERT TO app_user\\n {2}WITH CHECK \\(tenant_id = ${CARDS_SETTING.replace(/[()]/g, '\\$&')}\\);`));
  const db = await getDb();
  await inRollback(db, async (q) => {
    await cards(q, sqlOf(ws));
    assert.equal(await affected(q, `INSERT INTO answer_cards VALUES ('p1', NULL, 'pay to IBAN XX (planted by A)')`), 1);
    assert.deepEqual(await readAsB(q), ['b1', 'p1', 's1']);
  });
  await inRollback(db, async (q) => {
    await cards(q, sqlOf(fixed));
    const plant = await tryQuery(q, `INSERT INTO answer_cards VALUES ('p1', NULL, 'planted by A')`);
    assert.equal(plant.ok ? 'ok' : plant.error.code, '42501');
    assert.equal(await affected(q, `INSERT INTO answer_cards VALUES ('a1', 'A', 'A row')`), 1);
    assert.deepEqual(await readAsB(q), ['b1', 's1']);
  });
  // an UPDATE policy with that check: turning its rows into shared ones (r4's update policy)
  const update = CARDS.replace(/CREATE POLICY rls_answer_cards[^;]*;/, `CREATE POLICY cards_select ON answer_cards FOR SELECT TO app_user USING (tenant_id IS NULL OR tenant_id = ${CARDS_SETTING});
CREATE POLICY cards_update ON answer_cards FOR UPDATE TO app_user USING (tenant_id = ${CARDS_SETTING}) WITH CHECK (tenant_id IS NULL OR tenant_id = ${CARDS_SETTING});`);
  const u = lintFiles([{ file: 'm.sql', text: update }], ID).mine;
  assert.equal(u.length, 1);
  assert.match(u[0]!.message, /so app_user may turn rows they may update into such rows,/);
  await inRollback(db, async (q) => {
    await cards(q, update);
    await q(`RESET ROLE`);
    await q(`INSERT INTO answer_cards VALUES ('a1', 'A', 'A row')`);
    await q('SET ROLE app_user');
    assert.equal(await affected(q, `UPDATE answer_cards SET tenant_id = NULL, body = 'planted' WHERE id = 'a1'`), 1);
    assert.deepEqual(await readAsB(q), ['a1', 'b1', 's1']);
  });
});

test('ok: the shared branch of the check also asks for an admin (Valid), or no SELECT policy shows the rows it admits: not reported; PGlite: A (no admin) cannot plant', async () => {
  const { ws } = lintDocExample(ID, 'valid', 2);
  await inRollback(await getDb(), async (q) => {
    await cards(q, sqlOf(ws));
    const plant = await tryQuery(q, `INSERT INTO answer_cards VALUES ('p1', NULL, 'planted by A')`);
    assert.equal(plant.ok ? 'ok' : plant.error.code, '42501');
    await q(`SELECT set_config('app.role', 'admin', true)`);
    assert.equal(await affected(q, `INSERT INTO answer_cards VALUES ('p2', NULL, 'by an admin')`), 1);
  });
  const { ex } = invalidFinding(ID, 2);
  const base = ex.files[0]!.text;
  for (const [what, text] of [
    ['SELECT shows only the caller’s rows', base.replace(`USING (tenant_id IS NULL OR tenant_id = ${CARDS_SETTING})`, `USING (tenant_id = ${CARDS_SETTING})`)],
    ['a restrictive INSERT policy', `${base}CREATE POLICY cards_own ON answer_cards AS RESTRICTIVE FOR INSERT TO app_user WITH CHECK (tenant_id = ${CARDS_SETTING});\n`],
    ['no INSERT grant', base.replace('GRANT SELECT, INSERT ON', 'GRANT SELECT ON')],
  ] as const) {
    assert.notEqual(text, base, what);
    assert.equal(lintFiles([{ file: 'm.sql', text }], ID).mine.length, 0, what);
  }
});

// The shared branch kept in the USING of a FOR DELETE or FOR UPDATE policy (Oppsera's 0331 policies
// split by command, calibration h2 r2–r4; vouti's whatsapp_emoji_history FOR UPDATE): that USING
// decides which rows DELETE removes and UPDATE reaches.
const CARDS_USING = `USING (tenant_id IS NULL OR tenant_id = ${CARDS_SETTING})`;
const splitCards = (write: string) =>
  CARDS.replace(/CREATE POLICY rls_answer_cards[^;]*;/, `CREATE POLICY cards_select ON answer_cards FOR SELECT TO app_user ${CARDS_USING};\n${write}`);

test("err: a DELETE policy whose USING has the shared branch a SELECT policy shows (Invalid): tenant A deletes the shared row; after the fix it cannot, still deletes its own, B still reads the shared row", async () => {
  const { ws, finding } = invalidFinding(ID, 3);
  assert.match(finding.message, /^Policy "cards_delete" on public\.answer_cards is FOR DELETE, so its USING decides which rows DELETE removes: its branch `tenant_id IS NULL` does not look at who is asking, and policy "cards_select" shows the rows it admits to app_user, whoever asks — so app_user, whatever their tenant or user, may delete those shared rows\. Keep only the condition on the caller in this USING; policy "cards_select" still shows the shared rows\.$/);
  const fixed = applyFix(ws, finding);
  assert.equal(findingsOf(fixed, ID).length, 0, 'the fixed workspace re-lints clean');
  assert.match(sqlOf(fixed), new RegExp(`FOR DELETE TO app_user\\n {2}USING \\(tenant_id = ${CARDS_SETTING.replace(/[()]/g, '\\$&')}\\);`));
  const db = await getDb();
  await inRollback(db, async (q) => {
    await cards(q, sqlOf(ws));
    assert.deepEqual(await q(`DELETE FROM answer_cards WHERE id = 's1' RETURNING id`), [{ id: 's1' }], 'tenant A deletes the shared row');
    assert.deepEqual(await readAsB(q), ['b1'], 'gone for B too');
  });
  await inRollback(db, async (q) => {
    await cards(q, sqlOf(fixed));
    assert.equal(await affected(q, `DELETE FROM answer_cards WHERE id = 's1'`), 0);
    assert.equal(await affected(q, 'DELETE FROM answer_cards'), 0, 'nor with no WHERE');
    await q('RESET ROLE');
    await q(`INSERT INTO answer_cards VALUES ('a1', 'A', 'A row')`);
    await q('SET ROLE app_user');
    assert.equal(await affected(q, `DELETE FROM answer_cards WHERE id = 'a1'`), 1, 'its own rows A still deletes');
    assert.deepEqual(await readAsB(q), ['b1', 's1'], 'B still reads the shared row');
  });
});

test("err: an UPDATE policy whose USING has the shared branch, no WITH CHECK (its USING checks the new row): A rewrites the shared row, takes one over, shares its own; after the fix none of it, its own rows still updated", async () => {
  const text = splitCards(`CREATE POLICY cards_update ON answer_cards FOR UPDATE TO app_user\n  ${CARDS_USING};`);
  const { ws, mine } = lintFiles([{ file: 'm.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^Policy "cards_update" on public\.answer_cards is FOR UPDATE, so its USING decides which rows UPDATE reaches: its branch `tenant_id IS NULL` does not look at who is asking, and policy "cards_select" shows the rows it admits to app_user, whoever asks — so app_user, whatever their tenant or user, may update those shared rows\. With no WITH CHECK, USING is the check of the new row too, so what they may write follows it: a shared row rewritten and still shared, or taken over as the caller's own, and rows of their own turned into shared ones\. Keep only the condition on the caller in this USING \(it then checks the new row too\)/);
  const fixed = applyFix(ws, mine[0]!);
  assert.equal(findingsOf(fixed, ID).length, 0, 'the fixed workspace re-lints clean');
  const sql = sqlOf(fixed);
  assert.match(sql, new RegExp(`FOR UPDATE TO app_user\\n {2}USING \\(tenant_id = ${CARDS_SETTING.replace(/[()]/g, '\\$&')}\\);`));
  const db = await getDb();
  const run = async (q: Q, s: string) => {
    await cards(q, s);
    await q('RESET ROLE');
    await q(`INSERT INTO answer_cards VALUES ('s2', NULL, 'shared 2'), ('a1', 'A', 'A row')`);
    await q('SET ROLE app_user');
  };
  await inRollback(db, async (q) => {
    await run(q, text);
    assert.equal(await affected(q, `UPDATE answer_cards SET body = 'defaced by A' WHERE id = 's1'`), 1, 'rewritten, still shared');
    assert.equal(await affected(q, `UPDATE answer_cards SET tenant_id = 'A' WHERE id = 's2'`), 1, 'taken over');
    assert.equal(await affected(q, `UPDATE answer_cards SET tenant_id = NULL, body = 'planted by A' WHERE id = 'a1'`), 1, 'its own row shared');
    await q(`SELECT set_config('app.current_tenant_id', 'B', true)`);
    assert.deepEqual(await q('SELECT id, body FROM answer_cards ORDER BY id'), [{ id: 'a1', body: 'planted by A' }, { id: 'b1', body: 'B private' }, { id: 's1', body: 'defaced by A' }], 'B reads what A wrote, and no longer s2');
  });
  await inRollback(db, async (q) => {
    await run(q, sql);
    assert.equal(await affected(q, `UPDATE answer_cards SET body = 'defaced by A' WHERE id = 's1'`), 0);
    assert.equal(await affected(q, `UPDATE answer_cards SET tenant_id = 'A' WHERE id = 's2'`), 0);
    assert.equal(await affected(q, `UPDATE answer_cards SET body = 'edited' WHERE id = 'a1'`), 1, 'its own rows A still updates');
    const share = await tryQuery(q, `UPDATE answer_cards SET tenant_id = NULL WHERE id = 'a1'`);
    assert.equal(share.ok ? 'ok' : share.error.code, '42501');
    await q(`SELECT set_config('app.current_tenant_id', 'B', true)`);
    assert.deepEqual(await q('SELECT id, body FROM answer_cards ORDER BY id'), [{ id: 'b1', body: 'B private' }, { id: 's1', body: 'shared' }, { id: 's2', body: 'shared 2' }]);
  });
});

test('err: an UPDATE policy whose USING has the shared branch, with WITH CHECK: the tenant check lets A move the shared row into A; the shared check (one finding, not two) lets A rewrite it and share its own; the fixes cut USING (and that check)', async () => {
  const own = splitCards(`CREATE POLICY cards_update ON answer_cards FOR UPDATE TO app_user\n  ${CARDS_USING}\n  WITH CHECK (tenant_id = ${CARDS_SETTING});`);
  const o = lintFiles([{ file: 'm.sql', text: own }], ID);
  assert.equal(o.mine.length, 1);
  assert.match(o.mine[0]!.message, /may update those shared rows, as far as WITH CHECK allows \(it checks only the new row: e\.g\. move them into their own tenant, gone for everyone else\)\. Keep only the condition on the caller in this USING;/);
  const ownFixed = applyFix(o.ws, o.mine[0]!);
  assert.equal(findingsOf(ownFixed, ID).length, 0);
  const shared = splitCards(`CREATE POLICY cards_update ON answer_cards FOR UPDATE TO app_user\n  ${CARDS_USING}\n  WITH CHECK (tenant_id IS NULL OR tenant_id = ${CARDS_SETTING});`);
  const s = lintFiles([{ file: 'm.sql', text: shared }], ID);
  assert.equal(s.mine.length, 1);
  assert.match(s.mine[0]!.message, /Its WITH CHECK admits the same rows \(`tenant_id IS NULL`\): a shared row may be rewritten and stay shared, or be taken over as the caller's own, and rows of their own turned into shared ones\. Keep only the condition on the caller in this USING and in the WITH CHECK;/);
  const sharedFixed = applyFix(s.ws, s.mine[0]!);
  assert.equal(findingsOf(sharedFixed, ID).length, 0);
  assert.doesNotMatch(sqlOf(sharedFixed), /cards_update[^;]*IS NULL/);
  const db = await getDb();
  const run = async (q: Q, sql: string) => {
    await cards(q, sql);
    await q('RESET ROLE');
    await q(`INSERT INTO answer_cards VALUES ('a1', 'A', 'A row')`);
    await q('SET ROLE app_user');
  };
  await inRollback(db, async (q) => {
    await run(q, own);
    assert.equal(await affected(q, `UPDATE answer_cards SET tenant_id = 'A' WHERE id = 's1'`), 1, "the shared row moved into A's tenant");
    assert.deepEqual(await readAsB(q), ['b1'], 'gone for B');
  });
  await inRollback(db, async (q) => {
    await run(q, sqlOf(ownFixed));
    assert.equal(await affected(q, `UPDATE answer_cards SET tenant_id = 'A' WHERE id = 's1'`), 0);
  });
  await inRollback(db, async (q) => {
    await run(q, shared);
    assert.equal(await affected(q, `UPDATE answer_cards SET body = 'defaced by A' WHERE id = 's1'`), 1);
    assert.equal(await affected(q, `UPDATE answer_cards SET tenant_id = NULL WHERE id = 'a1'`), 1);
    assert.deepEqual(await readAsB(q), ['a1', 'b1', 's1']);
  });
  await inRollback(db, async (q) => {
    await run(q, sqlOf(sharedFixed));
    assert.equal(await affected(q, `UPDATE answer_cards SET body = 'defaced by A' WHERE id = 's1'`), 0);
    const share = await tryQuery(q, `UPDATE answer_cards SET tenant_id = NULL WHERE id = 'a1'`);
    assert.equal(share.ok ? 'ok' : share.error.code, '42501');
    assert.equal(await affected(q, `UPDATE answer_cards SET body = 'edited' WHERE id = 'a1'`), 1);
  });
});

test('ok: a DELETE or UPDATE policy with the shared branch but no SELECT policy showing it, no DELETE grant, a restrictive DELETE policy, a trigger refusing DELETE, or the caller only in USING (r4): not reported as such; PGlite: the restrictive policy keeps the shared row', async () => {
  const { ex } = invalidFinding(ID, 3);
  const base = ex.files[0]!.text;
  const restrictive = `${base}CREATE POLICY cards_own ON answer_cards AS RESTRICTIVE FOR DELETE TO app_user USING (tenant_id = ${CARDS_SETTING});\n`;
  for (const [what, text] of [
    ['SELECT shows only the caller’s rows', base.replace(`FOR SELECT TO app_user\n  ${CARDS_USING}`, `FOR SELECT TO app_user\n  USING (tenant_id = ${CARDS_SETTING})`)],
    ['no DELETE grant', base.replace('GRANT SELECT, DELETE ON', 'GRANT SELECT ON')],
    ['a restrictive DELETE policy', restrictive],
    ['a trigger refusing DELETE', `${base}CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'append-only'; END $$;\nCREATE TRIGGER cards_no_delete BEFORE DELETE ON answer_cards FOR EACH ROW EXECUTE FUNCTION refuse();\n`],
    ['the caller only', base.replace(`FOR DELETE TO app_user\n  ${CARDS_USING}`, `FOR DELETE TO app_user\n  USING (tenant_id = ${CARDS_SETTING})`)],
  ] as const) {
    assert.notEqual(text, base, what);
    assert.equal(lintFiles([{ file: 'm.sql', text }], ID).mine.length, 0, what);
  }
  // r4: the shared branch only in the UPDATE policy's check is the check's finding, as before
  const r4 = splitCards(`CREATE POLICY cards_update ON answer_cards FOR UPDATE TO app_user USING (tenant_id = ${CARDS_SETTING}) WITH CHECK (tenant_id IS NULL OR tenant_id = ${CARDS_SETTING});`);
  assert.match(lintFiles([{ file: 'm.sql', text: r4 }], ID).mine[0]?.message ?? '', /checks new rows with a branch `tenant_id IS NULL`/);
  await inRollback(await getDb(), async (q) => {
    await cards(q, restrictive);
    assert.equal(await affected(q, `DELETE FROM answer_cards WHERE id = 's1'`), 0);
  });
});

// Calibration cal182 (resolve-works/insight-migrate): private.inodes has a FOR ALL policy
// `owner_id = <the JWT's sub> OR is_public` (WITH CHECK the owner test) and, beside it, a
// restrictive DELETE policy for PUBLIC `owner_id = <the JWT's sub>`. The finding said external_user
// "may delete those rows" — the restrictive policy keeps every DELETE to the caller's own rows —
// and it still may update them (no restrictive UPDATE policy): PGlite shows both.
test("ok: a restrictive DELETE policy asking who is asking (insight-migrate's inodes_external_user_delete) takes deleting the shared rows out of the FOR ALL finding; updating them stays", async () => {
  const sub = `(current_setting('request.jwt.claims', true)::json ->> 'sub')::uuid`;
  const sql = [
    'CREATE SCHEMA private;',
    'CREATE TABLE private.inodes (id bigint PRIMARY KEY, owner_id uuid NOT NULL, is_public boolean NOT NULL DEFAULT false, name text);',
    'ALTER TABLE private.inodes ENABLE ROW LEVEL SECURITY;',
    'GRANT USAGE ON SCHEMA private TO app_user;',
    'GRANT SELECT, INSERT, UPDATE, DELETE ON private.inodes TO app_user;',
    `CREATE POLICY inodes_external_user_select ON private.inodes\n  USING ((owner_id = ${sub}) OR is_public)\n  WITH CHECK ((owner_id = ${sub}));`,
    `CREATE POLICY inodes_external_user_delete ON private.inodes AS RESTRICTIVE FOR DELETE\n  USING ((owner_id = ${sub}));`,
    '',
  ].join('\n');
  const mine = lintFiles([{ file: 'm.sql', text: sql }], ID).mine;
  assert.equal(mine.length, 1);
  assert.doesNotMatch(mine[0]!.message, /delete those rows/);
  assert.match(mine[0]!.message, /so app_user may update them as far as WITH CHECK allows/);
  // without the restrictive policy (or with one that does not ask who is asking): deleting too
  const without = sql.replace(/CREATE POLICY inodes_external_user_delete[^;]*;\n/, '');
  assert.match(lintFiles([{ file: 'm.sql', text: without }], ID).mine[0]?.message ?? '', /app_user may delete those rows, and update them/);
  const notCaller = sql.replace(`AS RESTRICTIVE FOR DELETE\n  USING ((owner_id = ${sub}))`, 'AS RESTRICTIVE FOR DELETE\n  USING (name IS NOT NULL)');
  assert.match(lintFiles([{ file: 'm.sql', text: notCaller }], ID).mine[0]?.message ?? '', /app_user may delete those rows/);
  const A = '00000000-0000-0000-0000-00000000000a';
  const B = '00000000-0000-0000-0000-00000000000b';
  await inRollback(await getDb(), async (q) => {
    await q('CREATE ROLE app_user NOLOGIN');
    await q('CREATE SCHEMA private AUTHORIZATION app_owner'); // (by the superuser; rolled back with the rest)
    await asOwner(q, sql.replace('CREATE SCHEMA private;\n', ''));
    await asOwner(q, `INSERT INTO private.inodes VALUES (1, '${A}', true, 'a shared'), (2, '${A}', false, 'a own')`);
    await q(`SELECT set_config('request.jwt.claims', '{"sub": "${B}"}', true)`);
    await q('SET ROLE app_user');
    assert.equal(await count(q, 'private.inodes'), 1, "B reads A's shared inode");
    assert.equal(await affected(q, 'DELETE FROM private.inodes WHERE id = 1'), 0, 'the restrictive policy keeps it from DELETE');
    assert.equal(await affected(q, 'DELETE FROM private.inodes'), 0);
    assert.deepEqual(await q(`UPDATE private.inodes SET owner_id = '${B}' WHERE id = 1 RETURNING id`), [{ id: 1 }], 'UPDATE takes it over');
  });
});
