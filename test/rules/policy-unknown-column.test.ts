// policy-unknown-column on PostgreSQL (PGlite): a policy naming a column no table in reach has
// fails with 42703 when it is created, so it never exists (pg_policies) and the table, with RLS
// and no policy, shows a role nothing; the Valid forms are created. A recursion through such a
// policy is not reported, and PostgreSQL raises none.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, count, getDb, inRollback, runEachStatement, runFilesInTransactions, tryQuery, type Q } from '../helpers/pg.js';
import { findingsOf, initParser, invalidFinding, lintFiles, nestedParentheses, sqlOf, TENANT_A, textAt, validExampleRuns } from '../helpers/rule-proof.js';
import { migrationOrder, replayOrder } from '../../server/src/analysis/model.js';
import { DEFAULT_CONFIG } from '../../server/src/analysis/config.js';
import type { Workspace } from '../../server/src/engine/workspace.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';
import { APP_TENANT, migrationRunner } from '../helpers/sql-fixtures.js';
import { steps } from '../helpers/relint.js';

const ID = 'policy-unknown-column';
before(initParser);
after(closeAll);

/** The statements that fail (psql without ON_ERROR_STOP goes on), with their codes. */
const runEach = async (q: Q, sql: string) => (await runEachStatement(q, sql)).map(({ sql: s, code }) => ({ sql: s, code }));

const policies = async (q: Q) => (await q('SELECT policyname FROM pg_policies ORDER BY 1')).map((r) => r.policyname as string);

test('err: a column the table does not have: CREATE POLICY fails with 42703, the policy does not exist, authenticated reads 0 rows', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'created_by');
  assert.match(finding.message, /^Policy "projects_own" on public\.projects names the column created_by, which no table it reads has — public\.projects \(id, owner_id, name\) — .*42703 column "created_by" does not exist/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    const errors = await runEach(q, sqlOf(ws));
    assert.deepEqual(errors.map((e) => e.code), ['42703']);
    assert.match(errors[0]!.sql, /CREATE POLICY projects_own/);
    assert.deepEqual(await policies(q), []);
    await q(`INSERT INTO projects VALUES (1, '${TENANT_A}', 'p')`);
    await q('GRANT SELECT ON projects TO authenticated');
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'projects'), 0, 'RLS with no policy: nothing, even the owner_id row');
  });
});

test('err: a column named in a sub-select, in none of tasks and task_shares: 42703', async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.equal(textAt(ws, finding), 'created_by');
  assert.match(finding.message, /which no table it reads has — public\.tasks \(id, project_id, title\); public\.task_shares \(task_id, user_id\) —/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual((await runEach(q, sqlOf(ws))).map((e) => e.code), ['42703']);
    assert.deepEqual(await policies(q), []);
  });
});

test('ok: the Valid examples are created as written (inner scopes, aliases, columns added before, a view in reach)', async () => {
  for (const n of [0, 1, 2]) await validExampleRuns(ID, n, async (q) => assert.equal((await policies(q)).length, 1));
});

test('ok: a recursion through a policy PostgreSQL rejects is not reported, and PostgreSQL raises none', async () => {
  const sql = `CREATE TABLE tasks (id bigint PRIMARY KEY, owner_id uuid NOT NULL);
CREATE TABLE task_shares (task_id bigint NOT NULL, user_id uuid NOT NULL);
ALTER TABLE tasks ENABLE ROW LEVEL SECURITY;
ALTER TABLE task_shares ENABLE ROW LEVEL SECURITY;
CREATE POLICY tasks_read ON tasks FOR SELECT TO authenticated
  USING (owner_id = (select auth.uid()) OR id IN (SELECT task_id FROM task_shares WHERE user_id = (select auth.uid())));
CREATE POLICY task_shares_read ON task_shares FOR SELECT TO authenticated
  USING (task_id IN (SELECT id FROM tasks WHERE created_by = (select auth.uid())));
`;
  const files = [{ file: 'm/1.sql', text: sql }];
  assert.deepEqual(lintFiles(files, 'policy-recursion').mine, []);
  assert.deepEqual(lintFiles(files, ID).mine.map((f) => f.rule), [ID]);
  // with the column written right, the same two policies recurse: reported, and 42P17
  const fixed = [{ file: 'm/1.sql', text: sql.replace('created_by', 'owner_id') }];
  assert.deepEqual(lintFiles(fixed, 'policy-recursion').mine.map((f) => f.rule), ['policy-recursion']);
  const db = await getDb();
  for (const [text, expected] of [
    [sql, 'no error'],
    [fixed[0]!.text, '42P17'],
  ] as const) {
    await inRollback(db, async (q) => {
      await q(AUTH_STUB_SQL);
      await runEach(q, text);
      await q('GRANT SELECT ON tasks, task_shares TO authenticated');
      await q(actAs(TENANT_A));
      await q('SET ROLE authenticated');
      const r = await tryQuery(q, 'SELECT count(*) FROM task_shares');
      assert.equal(r.ok ? 'no error' : r.error.code, expected);
    });
  }
});

test('ok: not reported when a DO block runs dynamic SQL or holds the policy, or when a column of that name is renamed; a plain CREATE TABLE making the table again fails for certain: reported, and PostgreSQL agrees', async () => {
  const base = 'CREATE TABLE t (id bigint PRIMARY KEY);\nALTER TABLE t ENABLE ROW LEVEL SECURITY;\n';
  const policy = 'CREATE POLICY p ON t FOR SELECT USING (owner = current_user);\n';
  assert.equal(findingsOf(lintFiles([{ file: 'm/1.sql', text: base + policy }], ID).ws, ID).length, 1);
  // CREATE TABLE IF NOT EXISTS of an existing table keeps the first: still reported, and PostgreSQL agrees
  const ine = base + 'CREATE TABLE IF NOT EXISTS t (id bigint PRIMARY KEY, owner text);\n' + policy;
  assert.equal(findingsOf(lintFiles([{ file: 'm/1.sql', text: ine }], ID).ws, ID).length, 1);
  const db = await getDb();
  await inRollback(db, async (q) => {
    assert.deepEqual((await runEach(q, ine)).map((e) => e.code), ['42703']);
  });
  // (a plain CREATE TABLE of it fails, 42P07, and nothing between may drop it: the table keeps the first one's columns —
  // MosesSupposes/ihp-blog; it was left unreported when the model kept the last one's)
  const again = base + 'CREATE TABLE t (id bigint PRIMARY KEY, owner text);\n' + policy;
  assert.match(findingsOf(lintFiles([{ file: 'm/1.sql', text: again }], ID).ws, ID)[0]?.message ?? '', /names the column owner, which no table it reads has — public\.t \(id\) — .*at 1\.sql:3 \(a CREATE TABLE of a table that exists: 42P07\)/);
  await inRollback(db, async (q) => {
    assert.deepEqual((await runEach(q, again)).map((e) => e.code), ['42P07', '42703']);
  });
  for (const extra of [
    "DO $$ BEGIN EXECUTE 'ALTER TABLE t ADD COLUMN owner text'; END $$;\n",
    'CREATE TABLE u (owner text);\nALTER TABLE u RENAME COLUMN owner TO owned_by;\n',
  ]) {
    assert.deepEqual(findingsOf(lintFiles([{ file: 'm/1.sql', text: base + extra + policy }], ID).ws, ID), [], extra);
  }
  const inDo = `${base}DO $$ BEGIN IF false THEN CREATE POLICY p ON t FOR SELECT USING (owner = current_user); END IF; END $$;\n`;
  assert.deepEqual(findingsOf(lintFiles([{ file: 'm/1.sql', text: inDo }], ID).ws, ID), []);
});

test('err: a relation whose columns are not known (a view of `SELECT *`) in another sub-select does not hide a name out of its reach', () => {
  const sql = `CREATE TABLE tasks (id bigint PRIMARY KEY, team_id bigint);
CREATE TABLE task_shares (task_id bigint NOT NULL, user_id uuid NOT NULL);
CREATE VIEW team_admins AS SELECT * FROM (VALUES (1::bigint, NULL::uuid)) AS a (team_id, user_id);
ALTER TABLE task_shares ENABLE ROW LEVEL SECURITY;
CREATE POLICY task_shares_read ON task_shares FOR SELECT TO authenticated
  USING (task_id IN (SELECT id FROM tasks WHERE created_by = (select auth.uid())
                     OR team_id IN (SELECT team_id FROM team_admins WHERE user_id = (select auth.uid()))));
`;
  const { mine } = lintFiles([{ file: 'm/1.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^Policy "task_shares_read" on public\.task_shares names the column created_by, which no table it reads has — public\.tasks \(id, team_id\); public\.task_shares/);
  // in the view's sub-select, an unknown name may be one of the view's columns: not reported
  const inView = sql.replace('WHERE user_id = (select auth.uid())', 'WHERE admin_id = (select auth.uid())').replace('created_by', 'team_id');
  assert.deepEqual(lintFiles([{ file: 'm/1.sql', text: inView }], ID).mine, []);
});

test("ok: a stand-in for a platform table (CREATE TABLE IF NOT EXISTS storage.objects …) says nothing of the real one's columns: not reported", () => {
  const sql = `CREATE SCHEMA IF NOT EXISTS storage;
CREATE TABLE IF NOT EXISTS storage.objects (id uuid PRIMARY KEY, name text);
ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_files ON storage.objects FOR SELECT TO authenticated USING (owner = (select auth.uid()));
`;
  assert.deepEqual(lintFiles([{ file: 'm/1.sql', text: sql }], ID).mine, []);
  // the same in a schema of the migrations' own is reported
  assert.equal(lintFiles([{ file: 'm/1.sql', text: sql.replaceAll('storage', 'files') }], ID).mine.length, 1);
});

test('ok: an ALTER POLICY naming an unknown column fails (42703) but leaves the policy with its former USING: the policy is not taken as gone, nor reported', async () => {
  const sql = `CREATE TABLE t (id bigint PRIMARY KEY, owner_id uuid);
ALTER TABLE t ENABLE ROW LEVEL SECURITY;
CREATE POLICY p ON t FOR SELECT TO authenticated USING (owner_id = (select auth.uid()));
ALTER POLICY p ON t USING (created_by = (select auth.uid()));
`;
  assert.deepEqual(lintFiles([{ file: 'm/1.sql', text: sql }], ID).mine, []);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual((await runEach(q, sql)).map((e) => e.code), ['42703']);
    assert.deepEqual((await q("SELECT qual FROM pg_policies WHERE policyname = 'p'")).map((r) => /owner_id/.test(r.qual as string)), [true]);
  });
});

test("err: two unknown columns, in a JOIN's ON and in WHERE: the finding names the one PostgreSQL's error names (the join's, analysed first), in its words (a qualified name unquoted)", async () => {
  const sql = `-- « naïve » 日本語 😀
CREATE TABLE project (id int PRIMARY KEY);
CREATE TABLE user_profile (id int PRIMARY KEY, auth_user_id uuid);
CREATE TABLE molecule (id int PRIMARY KEY, project_id int);
ALTER TABLE molecule ENABLE ROW LEVEL SECURITY;
CREATE POLICY molecules_members ON molecule FOR SELECT USING (EXISTS (
  SELECT 1 FROM project JOIN user_profile ON user_profile.project_id = project.id
  WHERE project.id = molecule.project_id AND user_profile.user_id = auth.uid()));`;
  const { ws, mine } = lintFiles([{ file: 'm.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'user_profile.project_id');
  const said = /42703 (column .*? does not exist)/.exec(mine[0]!.message)?.[1];
  assert.equal(said, 'column user_profile.project_id does not exist');
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    const errors = await runEachStatement(q, sqlOf(ws));
    assert.deepEqual(errors.map((e) => [e.code, e.message]), [['42703', said]]);
  });
});

test('ok: a column a function of the migrations renames (or adds) may exist: a policy naming its new name is not reported, and PostgreSQL takes it once the function ran (regen-server)', async () => {
  const sql = `CREATE TABLE public.project (id uuid PRIMARY KEY, admin_party_id uuid);
ALTER TABLE public.project ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.project FORCE ROW LEVEL SECURITY;
CREATE FUNCTION rename_helper() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  BEGIN
    ALTER TABLE project RENAME COLUMN admin_party_id TO admin_account_id;
  EXCEPTION WHEN undefined_column THEN
  END;
END $$;
SELECT rename_helper();
DROP FUNCTION rename_helper();
CREATE POLICY project_admin ON public.project FOR UPDATE TO authenticated
  USING (admin_account_id = (select nullif(current_setting('app.account_id', true), '')::uuid));`;
  assert.deepEqual(lintFiles([{ file: 'migrations/001.sql', text: sql }], ID).mine, []);
  // without the call's rename the name is unknown indeed
  const never = sql.replace('RENAME COLUMN admin_party_id TO admin_account_id', 'RENAME COLUMN admin_party_id TO admin_id');
  assert.equal(lintFiles([{ file: 'migrations/001.sql', text: never }], ID).mine.length, 1);
  // a function's dynamic ALTER TABLE that changes no column (enabling RLS on a list of tables) does not stop the rule; one adding a column does
  const enable = `CREATE FUNCTION enable_rls(tbl text) RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY', tbl); END $$;\n`;
  assert.equal(lintFiles([{ file: 'migrations/001.sql', text: enable + never }], ID).mine.length, 1);
  const add = `CREATE FUNCTION add_col(tbl text, col text) RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE format('ALTER TABLE public.%I ADD COLUMN %I uuid', tbl, col); END $$;\n`;
  assert.equal(lintFiles([{ file: 'migrations/001.sql', text: add + never }], ID).mine.length, 0);
  await inRollback(await getDb(), async (q) => {
    await q(sql);
    assert.equal((await q(`SELECT count(*)::int AS n FROM pg_policies WHERE policyname = 'project_admin'`))[0]!.n, 1);
  });
});

test("ok: a policy written before its table is created (a later migration makes it: quranakhdone's notes) fails with 42P01 on the table, not 42703: not reported here (rls-enabled-without-policy names it)", async () => {
  const early = `ALTER TABLE notes ADD COLUMN IF NOT EXISTS visible_to_parent boolean;\nCREATE POLICY "view notes" ON notes FOR SELECT TO authenticated USING (visible_to_parent);\n`;
  const table = 'CREATE TABLE notes (id bigint PRIMARY KEY, body text);\nALTER TABLE notes ENABLE ROW LEVEL SECURITY;\n';
  const files = [
    { file: 'supabase/migrations/20250131000001_threading.sql', text: early },
    { file: 'supabase/migrations/20251016000001_schema.sql', text: table },
  ];
  const { findings, mine } = lintFiles(files, ID);
  assert.deepEqual(mine, []);
  assert.ok(findings.some((f) => f.rule === 'rls-enabled-without-policy' && /written before the table is created/.test(f.message)));
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual(await runFilesInTransactions(q, files), ['42P01', 'ok']);
  });
});

test("ok: a CREATE TABLE IF NOT EXISTS after policies on the table (mtkcx's site_settings, made in the dashboard with other columns): PostgreSQL skipped it, its columns are not known, and the policy naming another column is created: not reported", async () => {
  const files = [
    { file: 'supabase/migrations/20250809230515_secure.sql', text: "CREATE POLICY settings_read ON public.site_settings FOR SELECT USING (category = 'public');\n" },
    {
      file: 'supabase/migrations/20250815183407_settings.sql',
      text: 'CREATE TABLE IF NOT EXISTS public.site_settings (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), key text NOT NULL UNIQUE, value jsonb NOT NULL);\nALTER TABLE public.site_settings ENABLE ROW LEVEL SECURITY;\n',
    },
    { file: 'supabase/migrations/20250816151553_policies.sql', text: "CREATE POLICY settings_safe ON public.site_settings FOR SELECT USING (category IN ('theme', 'ui'));\n" },
  ];
  assert.deepEqual(lintFiles(files, ID).mine, []);
  // without the earlier policy the table is the migrations': reported
  assert.equal(lintFiles(files.slice(1), ID).mine.length, 1);
  await inRollback(await getDb(), async (q) => {
    await q("CREATE TABLE public.site_settings (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), setting_key text, category text)");
    for (const f of files) await q(f.text);
    assert.deepEqual((await q(`SELECT policyname FROM pg_policies WHERE tablename = 'site_settings' ORDER BY 1`)).map((r) => r.policyname), ['settings_read', 'settings_safe']);
  });
});

test("err: OLD.x / NEW.x in a policy (bolt-test's and circle-marketplace's \"prevent privilege escalation\" check): PostgreSQL rejects it with 42P01, the policy never exists", async () => {
  const sql = `CREATE TABLE public.profiles (user_id uuid PRIMARY KEY, display_name text, is_admin boolean NOT NULL DEFAULT false);
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can update basic profile info" ON public.profiles FOR UPDATE TO authenticated
  USING ((select auth.uid()) = user_id)
  WITH CHECK ((select auth.uid()) = user_id AND OLD.is_admin = NEW.is_admin);
`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20250730041423_profiles.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'OLD.is_admin');
  assert.match(mine[0]!.message, /names old\.is_admin, but a policy has no OLD row: .*42P01 missing FROM-clause entry for table "old"/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    const errors = await runEachStatement(q, sql);
    assert.deepEqual(errors.map((e) => [e.code, e.message]), [['42P01', 'missing FROM-clause entry for table "old"']]);
  });
});

test("err: NEW.x in a policy beside a DO block whose dynamic SQL alters columns (fms' tenant-admin FOR ALL policies): still 42P01, whatever columns the tables get; the policy is left out of the other rules (no policy-delete-wider-than-check on it)", async () => {
  const sql = `CREATE TABLE public.members (user_id uuid, tenant_id uuid);
CREATE TABLE public.categories (id uuid PRIMARY KEY, tenant_id uuid);
ALTER TABLE public.categories ENABLE ROW LEVEL SECURITY;
CREATE POLICY manage ON public.categories FOR ALL
  USING (EXISTS (SELECT 1 FROM public.members m WHERE m.user_id = nullif(current_setting('app.user_id', true), '')::uuid AND categories.tenant_id = m.tenant_id))
  WITH CHECK (EXISTS (SELECT 1 FROM public.members m WHERE m.user_id = nullif(current_setting('app.user_id', true), '')::uuid AND NEW.tenant_id = m.tenant_id));
DO $$ BEGIN EXECUTE 'ALTER TABLE public.members ADD COLUMN extra int'; END $$;
`;
  const { ws, mine } = lintFiles([{ file: 'm/1.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'NEW.tenant_id');
  assert.match(mine[0]!.message, /names new\.tenant_id, but a policy has no NEW row: .*42P01 missing FROM-clause entry for table "new"/);
  assert.deepEqual(findingsOf(ws, 'policy-delete-wider-than-check'), []);
  // an alias new in reach is a relation: not reported
  const aliased = sql.replace(/WITH CHECK \(.*\);\n/, 'WITH CHECK (EXISTS (SELECT 1 FROM public.members new WHERE new.tenant_id = categories.tenant_id));\n');
  assert.deepEqual(lintFiles([{ file: 'm/1.sql', text: aliased }], ID).mine, []);
  await inRollback(await getDb(), async (q) => {
    const errors = await runEachStatement(q, sql);
    assert.deepEqual(errors.map((e) => [e.code, e.message]), [['42P01', 'missing FROM-clause entry for table "new"']]);
    assert.deepEqual(await policies(q), []);
  });
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual(await runEachStatement(q, aliased), []);
    assert.deepEqual(await policies(q), ['manage']);
  });
});

test("err: a column the table gets only from a later migration's ADD COLUMN (circle-marketplace's listings policies): PostgreSQL rejects the first CREATE POLICY with 42703, and the same policy written again after the ADD COLUMN is created (no 42710: policy-already-exists is silent)", async () => {
  const files = [
    {
      file: 'supabase/migrations/20250101000000_listings.sql',
      text: `CREATE TABLE public.listings (id uuid PRIMARY KEY, title text);
ALTER TABLE public.listings ENABLE ROW LEVEL SECURITY;
CREATE POLICY "sellers read own" ON public.listings FOR SELECT TO authenticated USING (listings.seller_id = (select auth.uid()));
`,
    },
    {
      file: 'supabase/migrations/20250201000000_sellers.sql',
      text: `ALTER TABLE public.listings ADD COLUMN seller_id uuid;
CREATE POLICY "sellers read own" ON public.listings FOR SELECT TO authenticated USING (listings.seller_id = (select auth.uid()));
`,
    },
  ];
  const { ws, findings, mine } = lintFiles(files, ID);
  assert.equal(mine.length, 1);
  assert.equal(mine[0]!.file, files[0]!.file);
  assert.equal(textAt(ws, mine[0]!), 'listings.seller_id');
  assert.match(mine[0]!.message, /names the column listings\.seller_id, which public\.listings does not have yet: it gets it only at .*20250201000000_sellers\.sql:1 \(ALTER TABLE … ADD COLUMN\).*42703 column "seller_id" does not exist/);
  assert.deepEqual(findings.filter((f) => f.rule === 'policy-already-exists'), []);
  // the same with another name for the second policy: the first still reported
  const renamed = [files[0]!, { ...files[1]!, text: files[1]!.text.replace('"sellers read own"', '"sellers read own 2"') }];
  assert.equal(lintFiles(renamed, ID).mine.length, 1);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    const first = await runEachStatement(q, files[0]!.text);
    assert.deepEqual(first.map((e) => [e.code, e.message]), [['42703', 'column listings.seller_id does not exist']]);
    assert.deepEqual(await runEachStatement(q, files[1]!.text), [], 'the second file runs: no policy of that name exists');
    assert.deepEqual(await policies(q), ['sellers read own']);
  });
});

test('ok: a column added before the policy, one the CREATE TABLE has (ADD COLUMN IF NOT EXISTS later), one a DO block adds later, or one a sub-select may give: not reported, and PostgreSQL creates each policy', async () => {
  const table = 'CREATE TABLE public.listings (id uuid PRIMARY KEY, title text, owner_id uuid);\nALTER TABLE public.listings ENABLE ROW LEVEL SECURITY;\n';
  const cases = [
    // added in an earlier file
    [table + 'ALTER TABLE public.listings ADD COLUMN seller_id uuid;\n', 'CREATE POLICY p ON public.listings FOR SELECT USING (seller_id IS NOT NULL);\n'],
    // in the CREATE TABLE; a later ADD COLUMN IF NOT EXISTS is a no-op
    [table, 'CREATE POLICY p ON public.listings FOR SELECT USING (owner_id IS NOT NULL);\nALTER TABLE public.listings ADD COLUMN IF NOT EXISTS owner_id uuid;\n'],
  ];
  for (const [a, b] of cases) {
    const files = [{ file: 'm/1_a.sql', text: a! }, { file: 'm/2_b.sql', text: b! }];
    assert.deepEqual(lintFiles(files, ID).mine, [], b);
    await inRollback(await getDb(), async (q) => {
      assert.deepEqual(await runFilesInTransactions(q, files), ['ok', 'ok']);
    });
  }
  // a DO block adding it later: it may have run before (a conditional add), not certain
  const inDo = [{ file: 'm/1_a.sql', text: table + 'CREATE POLICY p ON public.listings FOR SELECT USING (seller_id IS NOT NULL);\n' }, { file: 'm/2_b.sql', text: "DO $$ BEGIN IF true THEN ALTER TABLE public.listings ADD COLUMN seller_id uuid; END IF; END $$;\n" }];
  assert.deepEqual(lintFiles(inDo, ID).mine, []);
  // a sub-select in the expression: the name may be a column of the table it reads
  const sub = [{ file: 'm/1_a.sql', text: table + 'CREATE TABLE public.sellers (seller_id uuid);\nCREATE POLICY p ON public.listings FOR SELECT USING (EXISTS (SELECT 1 FROM public.sellers s WHERE s.seller_id = seller_id));\n' }, { file: 'm/2_b.sql', text: 'ALTER TABLE public.listings ADD COLUMN seller_id uuid;\n' }];
  assert.deepEqual(lintFiles(sub, ID).mine, []);
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual(await runFilesInTransactions(q, sub), ['ok', 'ok']);
  });
});

test("err: a table the policy reads in a sub-select that a later migration creates (chess-map-frontend): PostgreSQL rejects the CREATE POLICY with 42P01; a table never created by the migrations (made elsewhere) or created before is not reported", async () => {
  const files = [
    {
      file: 'supabase/migrations/20250920000000_consents.sql',
      text: `CREATE TABLE public.consents (id uuid PRIMARY KEY, child_id uuid NOT NULL);
ALTER TABLE public.consents ENABLE ROW LEVEL SECURITY;
CREATE POLICY parents_read ON public.consents FOR SELECT TO authenticated
  USING (EXISTS (SELECT 1 FROM public.parent_links l WHERE l.child_id = consents.child_id AND l.parent_id = (select auth.uid())));
`,
    },
    { file: 'supabase/migrations/20250925000000_links.sql', text: 'CREATE TABLE public.parent_links (parent_id uuid NOT NULL, child_id uuid NOT NULL);\n' },
  ];
  const { ws, mine } = lintFiles(files, ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'public.parent_links');
  assert.match(mine[0]!.message, /reads public\.parent_links, which the migrations create only later, at 20250925000000_links\.sql:1: .*42P01 relation "public\.parent_links" does not exist/);
  // created before: fine; never created by the migrations: not reported
  assert.deepEqual(lintFiles([files[1]!, { ...files[0]!, file: 'supabase/migrations/20250926000000_consents.sql' }], ID).mine, []);
  assert.deepEqual(lintFiles(files.slice(0, 1), ID).mine, []);
  // first made later by CREATE TABLE IF NOT EXISTS: written for a table that may exist already (made
  // outside the migrations, as ng-alain-gighub's team_bots by its base dump), not reported
  const ine = [files[0]!, { ...files[1]!, text: files[1]!.text.replace('CREATE TABLE', 'CREATE TABLE IF NOT EXISTS') }];
  assert.deepEqual(lintFiles(ine, ID).mine, []);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runFilesInTransactions(q, files), ['42P01', 'ok']);
    // (the table there first — made by the run above, as by a base dump: the policy is created, the IF NOT EXISTS does nothing)
    assert.deepEqual(await runFilesInTransactions(q, ine), ['ok', 'ok']);
  });
});

// Calibration (crm-eco's team_collaboration migration, a bolt.new project): chat_channels' policy
// reads channel_members 70 lines before the same file's CREATE TABLE IF NOT EXISTS channel_members.
test("err: a table a policy's sub-select reads that a CREATE TABLE IF NOT EXISTS further on in the same file makes (crm-eco): 42P01 on a database the migrations make; made IF NOT EXISTS in a later file, in a DO block, or before the policy: not reported", async () => {
  const file = {
    file: 'supabase/migrations/20251013155609_team_collaboration.sql',
    text: `-- « équipe » 日本語 😀
CREATE TABLE IF NOT EXISTS public.chat_channels (id uuid PRIMARY KEY, name text NOT NULL);
ALTER TABLE public.chat_channels ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view channels they are members of" ON public.chat_channels FOR SELECT TO authenticated
  USING (id IN (SELECT channel_id FROM channel_members WHERE user_id = (select auth.uid())));
CREATE TABLE IF NOT EXISTS public.channel_members (channel_id uuid NOT NULL, user_id uuid NOT NULL);
ALTER TABLE public.channel_members ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Members read their rows" ON public.channel_members FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
`,
  };
  const { ws, mine } = lintFiles([file], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'channel_members');
  assert.match(mine[0]!.message, /reads public\.channel_members, which the migrations create only later, at 20251013155609_team_collaboration\.sql:6: .*42P01 relation "channel_members" does not exist/);
  // the CREATE TABLE IF NOT EXISTS in a later file: it may have been made before, outside the migrations (ng-alain-gighub): not reported
  const at = file.text.indexOf('CREATE TABLE IF NOT EXISTS public.channel_members');
  const split = [
    { ...file, text: file.text.slice(0, at) },
    { file: 'supabase/migrations/20251013160000_members.sql', text: file.text.slice(at) },
  ];
  assert.deepEqual(lintFiles(split, ID).mine, []);
  // made in a DO block further on (it may have run before, conditionally): not reported
  const inDo = { ...file, text: file.text.replace(/CREATE TABLE IF NOT EXISTS public\.channel_members \(([^;]*)\);/, "DO $$ BEGIN IF to_regclass('public.channel_members') IS NULL THEN CREATE TABLE public.channel_members ($1); END IF; END $$;") };
  assert.notEqual(inDo.text, file.text);
  assert.deepEqual(lintFiles([inDo], ID).mine, []);
  // the policy after the CREATE TABLE: fine
  const fixed = { ...file, text: file.text.slice(0, file.text.indexOf('CREATE POLICY "Users can view channels')) + file.text.slice(at) + file.text.slice(file.text.indexOf('CREATE POLICY "Users can view channels'), at) };
  assert.deepEqual(lintFiles([fixed], ID).mine, []);
  // as it is edited (each re-lint the same as a fresh lint): moved after, split off, moved back
  assert.deepEqual(
    steps({ [file.file]: fixed.text }, ID, [
      [file.file, file.text],
      [file.file, split[0]!.text],
      [split[1]!.file, split[1]!.text],
      [split[1]!.file, ''],
      [file.file, file.text],
      [file.file, fixed.text],
    ]),
    [0, 1, 0, 0, 0, 1, 0],
  );
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    // on a database these migrations make: the policy fails, and the file with it
    assert.deepEqual(await runFilesInTransactions(q, [file]), ['42P01']);
    assert.deepEqual(await runFilesInTransactions(q, [fixed]), ['ok']);
    assert.equal(await count(q, `SELECT 1 FROM pg_policies WHERE tablename = 'chat_channels'`), 1);
  });
});

// Calibration cal28 (gantt-flow-supabase-baseline's fix_rls_performance migration): a policy on
// public.tasks, which only the later baseline migration creates; tasks then gets policies of its
// own there, so rls-enabled-without-policy has nothing to say.
test("err: a policy on a table a later migration of the folder creates (a plain CREATE TABLE), which then gets policies of its own: 42P01 on the policy's table, reported here; the policy is left out of the table's policies", async () => {
  const files = [
    { file: 'supabase/migrations/20250101000000_profiles.sql', text: 'CREATE TABLE public.profiles (user_id uuid PRIMARY KEY, tenant_id uuid);\nALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;\n' },
    {
      file: 'supabase/migrations/20250102000000_fix_rls.sql',
      text: `-- « naïve » 日本語 😀
CREATE POLICY "tasks_tenant_access" ON public.tasks
  USING (tenant_id = (SELECT p.tenant_id FROM public.profiles p WHERE p.user_id = (select auth.uid())));
`,
    },
    {
      file: 'supabase/migrations/20250103000000_baseline.sql',
      text: `CREATE TABLE public.tasks (id uuid PRIMARY KEY, tenant_id uuid);
ALTER TABLE public.tasks ENABLE ROW LEVEL SECURITY;
CREATE POLICY "tasks read" ON public.tasks FOR SELECT TO authenticated USING (tenant_id IS NOT NULL);
`,
    },
  ];
  const { ws, findings, mine } = lintFiles(files, ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), '"tasks_tenant_access"');
  assert.match(mine[0]!.message, /is created on public\.tasks, which the migrations create only later, at 20250103000000_baseline\.sql:1: .*42P01 relation "public\.tasks" does not exist/);
  // (the policy that never exists gets no other finding: no TO clause, PUBLIC)
  assert.deepEqual(findings.filter((f) => f.rule === 'policy-applies-to-public').map((f) => f.file), []);
  // created before: fine
  assert.deepEqual(lintFiles([files[0]!, files[2]!, { ...files[1]!, file: 'supabase/migrations/20250104000000_fix_rls.sql' }], ID).mine, []);
  // a later CREATE TABLE IF NOT EXISTS (gantt-flow's baseline): the table may have been made elsewhere before the policy (as mtkcx's): not reported
  const ine = files.map((f) => ({ ...f, text: f.text.replace('CREATE TABLE public.tasks', 'CREATE TABLE IF NOT EXISTS public.tasks') }));
  assert.deepEqual(lintFiles(ine, ID).mine, []);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runFilesInTransactions(q, files), ['ok', '42P01', 'ok']);
    assert.deepEqual(await q(`SELECT policyname FROM pg_policies WHERE tablename = 'tasks'`), [{ policyname: 'tasks read' }]);
  });
});

// Calibration cal29 (inpersonmarketplace's markets): made with CREATE TABLE IF NOT EXISTS, without
// market_type, which an UPDATE of the migrations uses long before the policy: the table was made
// elsewhere with it (the live project's), and that CREATE skipped.
test('ok: a table first made with IF NOT EXISTS whose missing column a top-level UPDATE of the migrations uses: not reported (made elsewhere with it: PGlite creates the policy); a column ADD COLUMN IF NOT EXISTS repeats is listed once', async () => {
  const text = `-- « naïve » 日本語 😀
CREATE TABLE IF NOT EXISTS markets (id uuid PRIMARY KEY, name text NOT NULL, active boolean DEFAULT true);
ALTER TABLE markets ADD COLUMN IF NOT EXISTS active boolean DEFAULT true;
ALTER TABLE markets ENABLE ROW LEVEL SECURITY;
UPDATE markets SET active = true WHERE market_type = 'private_pickup';
CREATE POLICY markets_select ON public.markets FOR SELECT USING (active = true AND market_type <> 'event');
`;
  const files = [{ file: 'supabase/migrations/20260813000000_markets.sql', text }];
  assert.deepEqual(lintFiles(files, ID).mine, []);
  // without the UPDATE naming it: reported, the table's columns each listed once
  const { mine } = lintFiles([{ ...files[0]!, text: text.replace(/UPDATE markets .*\n/, '') }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /public\.markets \(id, name, active\)/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(`CREATE TABLE markets (id uuid PRIMARY KEY, name text NOT NULL, market_type text, active boolean DEFAULT true)`);
    assert.deepEqual(await runFilesInTransactions(q, files), ['ok']);
    assert.deepEqual(await q(`SELECT policyname FROM pg_policies WHERE tablename = 'markets'`), [{ policyname: 'markets_select' }]);
  });
});

// Calibration cal29 (coach-os' 0007_platform_admin_and_storage.sql): a sub-select reads
// clients.auth_user_id, which the same file adds only after the policy.
test('err: a column a sub-select reads that its table gets only from a later ADD COLUMN (coach-os): 42703, the message names that table; added before: not reported', async () => {
  const text = `-- « naïve » 日本語 😀
CREATE TABLE public.clients (id uuid PRIMARY KEY, org_id uuid NOT NULL);
CREATE TABLE public.checkin_photos (id uuid PRIMARY KEY, client_id uuid NOT NULL, path text);
ALTER TABLE public.checkin_photos ENABLE ROW LEVEL SECURITY;
CREATE POLICY "checkin photos read by client" ON public.checkin_photos FOR SELECT
  USING (client_id IN (SELECT id FROM public.clients WHERE auth_user_id = (select auth.uid())));
ALTER TABLE public.clients ADD COLUMN IF NOT EXISTS auth_user_id uuid;
`;
  const files = [{ file: 'supabase/migrations/0007_platform_admin_and_storage.sql', text }];
  const { ws, mine } = lintFiles(files, ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'auth_user_id');
  assert.match(mine[0]!.message, /names the column auth_user_id, which public\.clients does not have yet: it gets it only at 0007_platform_admin_and_storage\.sql:7/);
  const before = text.replace('ALTER TABLE public.clients ADD COLUMN IF NOT EXISTS auth_user_id uuid;\n', '').replace('ALTER TABLE public.checkin_photos ENABLE', 'ALTER TABLE public.clients ADD COLUMN IF NOT EXISTS auth_user_id uuid;\nALTER TABLE public.checkin_photos ENABLE');
  assert.deepEqual(lintFiles([{ ...files[0]!, text: before }], ID).mine, []);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runFilesInTransactions(q, files), ['42703']);
  });
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runFilesInTransactions(q, [{ ...files[0]!, text: before }]), ['ok']);
  });
});

// Calibration cal29 (vitaluxe-flow's first migration): its CREATE TABLE references order_lines,
// which a migration months later creates: 42P01, the table and its policy never exist, and a later
// CREATE TABLE IF NOT EXISTS makes the table (table-if-not-exists-skipped is silent then).
test('err: a policy on a table whose CREATE TABLE references a table made only later (42P01): never created, reported here and left out of the other rules; the later CREATE TABLE IF NOT EXISTS makes the table, with its own policy', async () => {
  const files = [
    {
      file: 'supabase/migrations/20250101000000_events.sql',
      text: `-- « naïve » 日本語 😀
CREATE TABLE IF NOT EXISTS public.tracking_events (id uuid PRIMARY KEY, order_line_id uuid NOT NULL REFERENCES public.order_lines(id), status text NOT NULL);
ALTER TABLE public.tracking_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY "System can insert tracking events" ON public.tracking_events FOR INSERT TO authenticated WITH CHECK (true);
`,
    },
    { file: 'supabase/migrations/20251001000000_orders.sql', text: 'CREATE TABLE public.order_lines (id uuid PRIMARY KEY);\n' },
    {
      file: 'supabase/migrations/20251025000000_events_again.sql',
      text: `CREATE TABLE IF NOT EXISTS public.tracking_events (id uuid PRIMARY KEY, updated_at timestamptz DEFAULT now(), order_line_id uuid NOT NULL REFERENCES public.order_lines(id), status text NOT NULL);
ALTER TABLE public.tracking_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Admins read tracking events" ON public.tracking_events FOR SELECT TO authenticated USING (false);
`,
    },
  ];
  const { ws, findings, mine } = lintFiles(files, ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), '"System can insert tracking events"');
  assert.match(mine[0]!.message, /whose CREATE TABLE at 20250101000000_events\.sql:2 fails on a database these migrations make: it references public\.order_lines, which they create only later \(42P01\)\. .* made only at 20251025000000_events_again\.sql:1/);
  assert.deepEqual(findings.filter((f) => f.rule === 'table-if-not-exists-skipped' || f.rule === 'policy-always-true').map((f) => f.rule), []);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runFilesInTransactions(q, files), ['42P01', 'ok', 'ok']);
    assert.deepEqual(await q(`SELECT policyname FROM pg_policies WHERE tablename = 'tracking_events'`), [{ policyname: 'Admins read tracking events' }]);
    assert.deepEqual((await q(`SELECT column_name FROM information_schema.columns WHERE table_name = 'tracking_events' ORDER BY ordinal_position`)).map((r) => r.column_name), ['id', 'updated_at', 'order_line_id', 'status']);
  });
});

// Calibration cal194 (huisu-hwang/dental-clinic-manager): 20250121_protocol_enhancements.sql makes
// protocol_steps referencing protocols, which 20250123 makes; the only CREATE TABLE of it that would
// succeed is in add_protocol_enhancements.sql, a bundle the Supabase CLI skips (and the lint does not
// replay): the finding no longer says the table "is made only at" that file.
test('err: a table whose CREATE TABLE fails (42P01) and is made again only in a skipped bundle: not said to be made there, as nothing runs it', async () => {
  const table = (name: string) => `CREATE TABLE IF NOT EXISTS public.${name} (id uuid PRIMARY KEY, protocol_id uuid REFERENCES public.protocols(id), clinic_id uuid);\n`;
  const policy = `ALTER TABLE public.steps ENABLE ROW LEVEL SECURITY;\nCREATE POLICY "steps_clinic" ON public.steps FOR SELECT TO authenticated USING (clinic_id IS NOT NULL);\n`;
  const files = [
    { file: 'supabase/migrations/20250121_enhancements.sql', text: table('steps') + table('media') + policy },
    { file: 'supabase/migrations/20250123_protocols.sql', text: 'CREATE TABLE IF NOT EXISTS public.protocols (id uuid PRIMARY KEY);\n' },
    { file: 'supabase/migrations/add_enhancements.sql', text: 'CREATE TABLE IF NOT EXISTS public.protocols (id uuid PRIMARY KEY);\n' + table('steps') + table('media') + policy },
  ];
  const { ws, findings, mine } = lintFiles(files, ID);
  assert.match(findings.find((f) => f.rule === 'supabase-migration-skipped')!.message, /leaves it out of its replay/);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), '"steps_clinic"');
  assert.match(mine[0]!.message, /whose CREATE TABLE at 20250121_enhancements\.sql:1 fails on a database these migrations make: it references public\.protocols, which they create only later \(42P01\)/);
  assert.doesNotMatch(mine[0]!.message, /made only at|add_enhancements/);
  assert.equal(mine[0]!.related?.length, 1);
  // applied as the CLI applies them (each file in a transaction, the skipped one not at all): no steps table
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual(await runFilesInTransactions(q, files.slice(0, 2)), ['42P01', 'ok']);
    assert.equal(await count(q, "SELECT * FROM pg_tables WHERE tablename IN ('steps', 'media')"), 0);
  });
  // replayed (when it is run all the same, a misnamed migration of one table): it is where the table is made
  const single = [files[0]!, files[1]!, { file: 'supabase/migrations/add_steps.sql', text: table('steps') + policy }];
  assert.match(lintFiles(single, ID).mine[0]!.message, /made only at add_steps\.sql:1, with the policies written after that/);
});

test('err: a policy calling a function created only after it: CREATE POLICY fails with 42883, the policy does not exist, authenticated reads 0 rows', async () => {
  const { ws, finding } = invalidFinding(ID, 2);
  assert.equal(textAt(ws, finding), 'is_document_owner');
  assert.match(finding.message, /^Policy "documents_read" on public\.documents calls is_document_owner\(\), which the migrations create only later, at .*42883 function is_document_owner\(…\) does not exist/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    const errors = await runEachStatement(q, sqlOf(ws));
    assert.deepEqual(errors.map((e) => e.code), ['42883']);
    assert.match(errors[0]!.message, /function is_document_owner\(uuid\) does not exist/);
    assert.deepEqual(await policies(q), []);
    await q(`INSERT INTO documents VALUES (1, '${TENANT_A}')`);
    await q('GRANT SELECT ON documents TO authenticated');
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'documents'), 0, 'RLS with no policy: nothing, even the owner_id row');
  });
});

test('err/ok: a function created in a later file of the same folder is reported (the finding goes once the function comes first); earlier, in a DO block, another folder, the platform, or renamed: not', async () => {
  const table = `CREATE TABLE notes (id int PRIMARY KEY, owner uuid);\nALTER TABLE notes ENABLE ROW LEVEL SECURITY;\n`;
  const policy = `CREATE POLICY notes_read ON notes FOR SELECT TO authenticated USING (is_owner(owner));\n`;
  const fn = `CREATE FUNCTION is_owner(o uuid) RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT o = (select auth.uid()) $$;\n`;
  const ids = (files: Array<{ file: string; text: string }>) => lintFiles(files, ID).mine.map((f) => `${f.file}:${f.message.slice(0, 60)}`);
  // a later file of the same folder: reported, at the call, naming the file
  const later = ids([{ file: 'db/1.sql', text: table + policy }, { file: 'db/2.sql', text: fn }]);
  assert.equal(later.length, 1);
  assert.match(later[0]!, /^db\/1\.sql:Policy "notes_read" on public\.notes calls is_owner\(\)/);
  // created before (earlier file; earlier in the same file): not
  assert.deepEqual(ids([{ file: 'db/1.sql', text: fn }, { file: 'db/2.sql', text: table + policy }]), []);
  assert.deepEqual(ids([{ file: 'db/1.sql', text: table + fn + policy }]), []);
  // created before and again (CREATE OR REPLACE) after: not
  assert.deepEqual(ids([{ file: 'db/1.sql', text: fn + table + policy + fn.replace('CREATE', 'CREATE OR REPLACE') }]), []);
  // only in a DO block later (it may not run): not; in another folder (its order is not told by the paths): not
  assert.deepEqual(ids([{ file: 'db/1.sql', text: table + policy + `DO $$ BEGIN\n${fn.replaceAll("$$", "$f$")}END $$;\n` }]), []);
  assert.deepEqual(ids([{ file: 'a/1.sql', text: table + policy }, { file: 'b/2.sql', text: fn }]), []);
  // renamed from another name anywhere: not
  const renamed = fn.replace('is_owner', 'is_owner_v1') + table + policy.replace('notes_read', 'x').replace('is_owner', 'is_owner_v1') + 'ALTER FUNCTION is_owner_v1(uuid) RENAME TO is_owner;\n' + policy;
  assert.deepEqual(ids([{ file: 'db/1.sql', text: renamed }]), []);
  // a platform function a Supabase migration writes again (auth.uid()): not
  assert.deepEqual(
    ids([
      { file: 'supabase/migrations/1_t.sql', text: `CREATE TABLE notes (id int PRIMARY KEY, owner uuid);\nALTER TABLE notes ENABLE ROW LEVEL SECURITY;\nCREATE POLICY notes_read ON notes FOR SELECT TO authenticated USING (owner = auth.uid());\n` },
      { file: 'supabase/migrations/2_uid.sql', text: `CREATE OR REPLACE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT nullif(current_setting('request.jwt.claim.sub', true), '')::uuid $$;\n` },
    ]),
    [],
  );
  // dynamic SQL that may create functions: not
  assert.deepEqual(ids([{ file: 'db/0.sql', text: `DO $$ BEGIN EXECUTE 'CREATE FUNCTION f() RETURNS int LANGUAGE sql AS ''SELECT 1'''; END $$;\n` }, { file: 'db/1.sql', text: table + policy }, { file: 'db/2.sql', text: fn }]), []);
  // on PostgreSQL: the two files in order, the first fails with 42883; in the other order both run
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual((await runEachStatement(q, table + policy + fn)).map((e) => e.code), ['42883']);
    assert.deepEqual(await policies(q), []);
  });
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runEachStatement(q, fn + table + policy), []);
    assert.deepEqual(await policies(q), ['notes_read']);
  });
});

test("err (message): where a statement before the policy in its file already fails (local-marketplace's REVOKE of a function a later migration creates), the message says the tool stops there, not at the policy; PGlite: the REVOKE fails first, 42883", async () => {
  const orders = `CREATE TABLE public.orders (id uuid PRIMARY KEY);\nALTER TABLE public.orders ENABLE ROW LEVEL SECURITY;\n`;
  const boundaries = `-- security boundaries
revoke all on function public.brand_owns_order_item(uuid) from public;
grant execute on function public.brand_owns_order_item(uuid) to authenticated;

create policy "Brand owners can read orders containing their items"
  on public.orders for select
  to authenticated
  using (public.brand_owns_order_item(orders.id));
`;
  const fn = `create or replace function public.brand_owns_order_item(p_order_id uuid) returns boolean language sql stable as $$ select p_order_id is not null $$;\n`;
  const files = [
    { file: 'supabase/migrations/1_orders.sql', text: orders },
    { file: 'supabase/migrations/2_security_boundaries.sql', text: boundaries },
    { file: 'supabase/migrations/3_functions.sql', text: fn },
  ];
  const { mine } = lintFiles(files, ID);
  assert.equal(mine.length, 1);
  const m = mine[0]!.message;
  assert.match(m, /and the policy is never created\. A migration tool stops before it, at 2_security_boundaries\.sql:2 \(REVOKE … ON FUNCTION public\.brand_owns_order_item, a function the migrations create only later: 42883\), and here too once it gets this far; psql without ON_ERROR_STOP goes on without it, and public\.orders keeps the policies it had\./);
  assert.doesNotMatch(m, /stops here/);
  assert.equal(nestedParentheses(m), undefined);
  // (an ALTER FUNCTION of it fails the same way; with none of these before the policy: "stops here")
  const altered = lintFiles([files[0]!, { ...files[1]!, text: `alter function public.brand_owns_order_item(uuid) set search_path = '';\n` + boundaries.replace(/^(revoke|grant) .*\n/gm, '') }, files[2]!], ID).mine;
  assert.match(altered[0]!.message, /stops before it, at 2_security_boundaries\.sql:1 \(ALTER FUNCTION public\.brand_owns_order_item, a function the migrations create only later: 42883\)/);
  const alone = lintFiles([files[0]!, { ...files[1]!, text: boundaries.replace(/^(revoke|grant) .*\n/gm, '') }, files[2]!], ID).mine;
  assert.match(alone[0]!.message, /is never created \(a migration tool stops here; psql without ON_ERROR_STOP goes on without it, and public\.orders keeps the policies it had\)\./);
  // (the function created before the REVOKE: nothing fails, nothing reported)
  assert.equal(lintFiles([files[0]!, { file: 'supabase/migrations/2_functions.sql', text: fn }, { file: 'supabase/migrations/3_security_boundaries.sql', text: boundaries }], ID).mine.length, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q(orders);
    const errors = await runEachStatement(q, boundaries);
    assert.deepEqual(errors.map((e) => [e.sql.replace(/--[^\n]*/g, '').replace(/\s+/g, ' ').trim().slice(0, 40), e.code]), [
      ['revoke all on function public.brand_owns', '42883'],
      ['grant execute on function public.brand_o', '42883'],
      ['create policy "Brand owners can read ord', '42883'],
    ]);
    assert.match(errors[0]!.message, /function public\.brand_owns_order_item\(uuid\) does not exist/);
    // run as one migration, the file stops at the REVOKE
    await q('SAVEPOINT f');
    assert.match((await tryQuery(q, boundaries)).ok ? '' : 'failed', /failed/);
    await q('ROLLBACK TO SAVEPOINT f');
    assert.deepEqual(await policies(q), []);
  });
});

test('err: a call and an unknown column in one policy: the one PostgreSQL meets first (a call after the column: 42703; the column in its arguments: 42703; the call first: 42883)', async () => {
  const base = `CREATE TABLE notes (id int PRIMARY KEY, owner uuid);\nALTER TABLE notes ENABLE ROW LEVEL SECURITY;\n`;
  const fn = `CREATE FUNCTION is_owner(o uuid) RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT o = (select auth.uid()) $$;\n`;
  const cases = [
    [`USING (creator IS NOT NULL AND is_owner(owner))`, '42703'],
    [`USING (is_owner(creator))`, '42703'],
    [`USING (is_owner(owner) AND creator IS NOT NULL)`, '42883'],
  ] as const;
  const db = await getDb();
  for (const [using, code] of cases) {
    const sql = `${base}CREATE POLICY p ON notes FOR SELECT TO authenticated ${using};\n${fn}`;
    const mine = lintFiles([{ file: 'db/1.sql', text: sql }], ID).mine;
    assert.equal(mine.length, 1, using);
    assert.match(mine[0]!.message, new RegExp(`with ${code} `), using);
    await inRollback(db, async (q) => {
      await q(AUTH_STUB_SQL);
      assert.deepEqual((await runEachStatement(q, sql)).map((e) => e.code), [code], using);
    });
  }
});

// Calibration (MosesSupposes/ihp-blog): later migrations make posts again, with user_id, and fail
// (42P07); a schema snapshot (Schema.sql, not replayed) makes it once more. The policy naming
// user_id before a function the migrations create only later was said to fail with 42883: the
// table's columns were taken as unknown once it was made again, though each CREATE TABLE fails
// for certain and the table keeps the first one's columns.
test('err (message): a table made again by CREATE TABLEs that fail for certain keeps its columns: a column before a call made later is 42703, not 42883 (PGlite)', async () => {
  const table = 'CREATE TABLE posts (id uuid NOT NULL, title text NOT NULL);\nALTER TABLE posts ENABLE ROW LEVEL SECURITY;\n';
  const policy = 'CREATE POLICY "Users can manage their posts" ON posts USING (user_id = ihp_user_id()) WITH CHECK (user_id = ihp_user_id());\n';
  const again = 'CREATE TABLE posts (id uuid NOT NULL, title text NOT NULL, user_id uuid NOT NULL);\n';
  const fn = "CREATE FUNCTION ihp_user_id() RETURNS uuid AS $$ SELECT NULLIF(current_setting('rls.ihp_user_id', true), '')::uuid $$ LANGUAGE sql;\n";
  const files = [
    { file: 'Application/Migration/1657138147.sql', text: table + policy },
    { file: 'Application/Migration/1657138310.sql', text: again + policy },
    { file: 'Application/Migration/1657219598.sql', text: fn + again },
  ];
  const snapshot = { file: 'Application/Schema.sql', text: again };
  for (const set of [files, [...files, snapshot]]) {
    const { mine } = lintFiles(set, ID);
    assert.equal(mine.length, 2, set.map((f) => f.file).join(', '));
    for (const f of mine) {
      assert.match(f.message, /^Policy "Users can manage their posts" on public\.posts names the column user_id, which no table it reads has — public\.posts \(id, title\) — .*42703 column "user_id" does not exist/);
      assert.doesNotMatch(f.message, /42883/);
    }
  }
  // (a CREATE TABLE that may not fail — a DROP TABLE before it — still leaves the columns unknown: nothing is said)
  const dropped = [files[0]!, { file: 'Application/Migration/1657138310.sql', text: 'DROP TABLE IF EXISTS posts;\n' + again + policy }];
  assert.deepEqual(lintFiles(dropped, ID).mine.filter((f) => f.file.endsWith('1657138310.sql') && /names the column user_id/.test(f.message)), []);
  await inRollback(await getDb(), async (q) => {
    const errors = await runEachStatement(q, files.map((f) => f.text).join(''));
    assert.deepEqual(errors.map((e) => `${e.code} ${e.message}`), [
      '42703 column "user_id" does not exist',
      '42P07 relation "posts" already exists',
      '42703 column "user_id" does not exist',
      '42P07 relation "posts" already exists',
    ]);
  });
});

// Calibration (trazo's rls-policies.sql): the message named the table by the name a later
// migration renames it to.
test('err (message): a policy on a table renamed later is named with the table as the statement names it (PGlite: 42703 there)', async () => {
  const files = [
    { file: 'db/1.sql', text: 'CREATE TABLE recipe_applications (id int PRIMARY KEY, batch_id int);\nALTER TABLE recipe_applications ENABLE ROW LEVEL SECURITY;\nCREATE POLICY apps_read ON recipe_applications FOR SELECT USING (pod_id = 1);\n' },
    { file: 'db/2.sql', text: 'ALTER TABLE recipe_applications RENAME TO recipe_applications_legacy;\n' },
  ];
  const { mine } = lintFiles(files, ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^Policy "apps_read" on public\.recipe_applications names the column pod_id/);
  // (the tables it reads are listed as they are at the end, which the message says)
  assert.match(mine[0]!.message, /public\.recipe_applications_legacy \(id, batch_id\) — even at the end of the migrations/);
  await inRollback(await getDb(), async (q) => {
    const errors = await runEachStatement(q, files.map((f) => f.text).join(''));
    assert.deepEqual(errors.map((e) => `${e.code} ${e.message}`), ['42703 column "pod_id" does not exist']);
  });
});

/** The statements as psql runs them, in the lint's replay order (a file included with \i / \ir runs where it is included). */
const asPsqlRuns = (ws: Workspace) =>
  replayOrder(migrationOrder(ws.files().map((f) => ws.parsed(f)!)))
    .map(({ file, stmt }) => file.text.slice(stmt.start, stmt.end))
    .join(';\n');

// Calibration (ludat/fulbo's db/main.sql, which \i's schema/*.sql in its own order: 32 false
// errors): "made only later" followed the files' path order (schema/groups.sql before
// schema/users.sql), where psql runs each included file where it is included.
test('ok/err: files run through psql includes (\\i) are judged in include order: a foreign key to a table an earlier include makes is not "made only later", and its policy is created; included the other way round: reported, 42P01', async () => {
  const groups = `CREATE TABLE groups (id uuid PRIMARY KEY, created_by uuid REFERENCES users(id));
GRANT SELECT ON groups TO app_user;
ALTER TABLE groups ENABLE ROW LEVEL SECURITY;
ALTER TABLE groups FORCE ROW LEVEL SECURITY;
CREATE POLICY groups_select ON groups FOR SELECT TO app_user USING (created_by IS NOT NULL);
`;
  const files = [
    { file: 'main.sql', text: '\\i schema/users.sql\n\\i schema/groups.sql\n' },
    { file: 'schema/users.sql', text: 'CREATE ROLE app_user;\nCREATE TABLE users (id uuid PRIMARY KEY);\n' },
    { file: 'schema/groups.sql', text: groups },
  ];
  const { ws, mine } = lintFiles(files, ID);
  assert.deepEqual(mine, []);
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual(await runEachStatement(q, asPsqlRuns(ws)), []);
    assert.deepEqual(await policies(q), ['groups_select']);
    await q(`INSERT INTO users VALUES ('${TENANT_A}')`);
    await q(`INSERT INTO groups VALUES (gen_random_uuid(), '${TENANT_A}'), (gen_random_uuid(), NULL)`);
    await q('SET ROLE app_user');
    assert.equal(await count(q, 'groups'), 1, 'the policy exists and filters');
  });
  // included the other way round (the role made first): groups' CREATE TABLE fails, and so does its policy
  const swapped = [{ ...files[0]!, text: 'CREATE ROLE app_user;\n\\i schema/groups.sql\n\\i schema/users.sql\n' }, { ...files[1]!, text: 'CREATE TABLE users (id uuid PRIMARY KEY);\n' }, files[2]!];
  const other = lintFiles(swapped, ID);
  assert.equal(other.mine.length, 1);
  assert.equal(textAt(other.ws, other.mine[0]!), 'groups_select');
  assert.match(other.mine[0]!.message, /whose CREATE TABLE at groups\.sql:1 fails on a database these migrations make: it references public\.users, which they create only later \(42P01\)/);
  await inRollback(await getDb(), async (q) => {
    const errors = await runEachStatement(q, asPsqlRuns(other.ws));
    assert.deepEqual(errors.map((e) => e.code), ['42P01', '42P01', '42P01', '42P01', '42P01']);
    assert.match(errors[0]!.message, /relation "users" does not exist/);
    assert.match(errors[4]!.message, /relation "groups" does not exist/);
    assert.deepEqual(await policies(q), []);
  });
});

// Calibration (Delibrium/delibrium-postgrest: user/model.sql adds user_login's column, then \ir's
// secure/permissions.sql, whose policy names it; the path order put permissions.sql first).
test('ok/err: a column added before a nested \\ir runs the included policy is not "added only later": PostgreSQL creates it; the include before the ADD COLUMN: reported, 42703', async () => {
  const model = `CREATE TABLE users (id bigint PRIMARY KEY);
ALTER TABLE user_login ADD COLUMN user_id bigint REFERENCES users (id);
GRANT SELECT ON user_login TO web_user;
\\ir ../secure/permissions.sql
`;
  const files = [
    { file: 'init.sql', text: '\\ir model/secure/login.sql\n\\ir model/user/model.sql\n' },
    { file: 'model/secure/login.sql', text: 'CREATE ROLE web_user;\nCREATE TABLE user_login (id bigint PRIMARY KEY, login text);\n' },
    { file: 'model/secure/permissions.sql', text: `ALTER TABLE user_login ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_login FORCE ROW LEVEL SECURITY;
CREATE POLICY user_login_own ON user_login FOR SELECT TO web_user
  USING (user_id = (select nullif(current_setting('request.jwt.claim.user_id', true), '')::bigint));
` },
    { file: 'model/user/model.sql', text: model },
  ];
  const { ws, mine } = lintFiles(files, ID);
  assert.deepEqual(mine, []);
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual(await runEachStatement(q, asPsqlRuns(ws)), []);
    assert.deepEqual(await policies(q), ['user_login_own']);
  });
  // the include before the ADD COLUMN: the policy names a column user_login gets only after it
  const early = files.map((f) => (f.file === 'model/user/model.sql' ? { ...f, text: '\\ir ../secure/permissions.sql\n' + model.replace('\\ir ../secure/permissions.sql\n', '') } : f));
  const other = lintFiles(early, ID);
  assert.equal(other.mine.length, 1);
  assert.match(other.mine[0]!.message, /names the column user_id, which public\.user_login does not have yet: it gets it only at model\.sql:3 \(ALTER TABLE … ADD COLUMN\), after this statement/);
  await inRollback(await getDb(), async (q) => {
    const errors = await runEachStatement(q, asPsqlRuns(other.ws));
    assert.deepEqual(errors.map((e) => `${e.code} ${e.message}`), ['42703 column "user_id" does not exist']);
    assert.deepEqual(await policies(q), []);
  });
});

test('ok/err: a function an earlier include creates is not "created only later" (its path sorts after the policy\'s): PostgreSQL creates the policy; included after the policy: reported, 42883', async () => {
  const fn = `CREATE FUNCTION is_owner(o uuid) RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT o = (select auth.uid()) $$;\n`;
  const policy = `CREATE TABLE notes (id int PRIMARY KEY, owner uuid);\nALTER TABLE notes ENABLE ROW LEVEL SECURITY;\nCREATE POLICY notes_read ON notes FOR SELECT TO authenticated USING (is_owner(owner));\n`;
  const files = [
    { file: 'db/main.sql', text: '\\ir z_functions.sql\n\\ir a_notes.sql\n' },
    { file: 'db/a_notes.sql', text: policy },
    { file: 'db/z_functions.sql', text: fn },
  ];
  const { ws, mine } = lintFiles(files, ID);
  assert.deepEqual(mine, []);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runEachStatement(q, asPsqlRuns(ws)), []);
    assert.deepEqual(await policies(q), ['notes_read']);
  });
  const swapped = [{ ...files[0]!, text: '\\ir a_notes.sql\n\\ir z_functions.sql\n' }, files[1]!, files[2]!];
  const other = lintFiles(swapped, ID);
  assert.equal(other.mine.length, 1);
  assert.match(other.mine[0]!.message, /^Policy "notes_read" on public\.notes calls is_owner\(\), which the migrations create only later, at z_functions\.sql:1/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual((await runEachStatement(q, asPsqlRuns(other.ws))).map((e) => e.code), ['42883']);
    assert.deepEqual(await policies(q), []);
  });
});

test("ok: DROP TYPE … CASCADE drops the columns of that type, the policies of any table that name them (a sub-select's too), and the functions taking the type with the policies that call them (k-connection): no finding on a policy PostgreSQL dropped; PGlite agrees", async () => {
  const text = `CREATE TYPE public.user_role AS ENUM ('admin', 'worker');
CREATE TABLE public.profiles (id uuid PRIMARY KEY, role public.user_role NOT NULL DEFAULT 'worker');
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
CREATE TABLE public.salary_records (id uuid PRIMARY KEY, user_id uuid NOT NULL, amount numeric);
ALTER TABLE public.salary_records ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.has_role(_u uuid, _r public.user_role) RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT true $$;
CREATE FUNCTION public.has_role(_u uuid, _r text) RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT true $$;
CREATE POLICY own_salary ON public.salary_records FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE POLICY hr_view_all ON public.salary_records FOR SELECT TO authenticated
  USING (EXISTS (SELECT 1 FROM public.profiles WHERE profiles.id = (select auth.uid()) AND profiles.role = 'admin'));
CREATE POLICY admins_typed ON public.salary_records FOR UPDATE TO authenticated USING (public.has_role((select auth.uid()), 'admin'::public.user_role));
CREATE POLICY admins_text ON public.salary_records FOR DELETE TO authenticated USING (public.has_role((select auth.uid()), 'admin'::text));
DROP TYPE IF EXISTS public.user_role CASCADE;
`;
  const { ws, findings } = lintFiles([{ file: 'supabase/migrations/20251008194646_roles.sql', text }], ID);
  assert.deepEqual(findings.filter((f) => f.rule === ID), []);
  const model = ws.model();
  assert.deepEqual(model.tables.get('public.salary_records')!.policies.map((p) => p.name).sort(), ['admins_text', 'own_salary']);
  assert.deepEqual(model.tables.get('public.profiles')!.columns, ['id']);
  assert.deepEqual((model.functions.get('public.has_role') ?? []).map((f) => f.argTypes.join(',')), ['uuid,text']);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(text);
    assert.deepEqual((await q(`SELECT policyname FROM pg_policies WHERE tablename = 'salary_records' ORDER BY 1`)).map((r) => r.policyname), ['admins_text', 'own_salary']);
    assert.deepEqual((await q(`SELECT pg_get_function_identity_arguments(oid) AS a FROM pg_proc WHERE proname = 'has_role'`)).map((r) => r.a), ['_u uuid, _r text']);
  });
});

test("err: c.user_id with c a table that has no user_id is reported though the policy's own table has a user_id: 42703", async () => {
  // (Fiich: `(select c.user_id from companies c where c.id = company_id) = auth.uid()` on company_members;
  // only c's columns count for c.user_id, and the suggestion stays qualified)
  const sql = `CREATE TABLE public.companies (id uuid PRIMARY KEY, owner_id uuid NOT NULL);
CREATE TABLE public.company_members (company_id uuid NOT NULL, user_id uuid NOT NULL);
ALTER TABLE public.company_members ENABLE ROW LEVEL SECURITY;
CREATE POLICY members_manage ON public.company_members FOR ALL TO authenticated
  USING ((SELECT c.user_id FROM public.companies c WHERE c.id = company_id) = (select auth.uid()));
CREATE POLICY members_read ON public.company_members FOR SELECT TO authenticated
  USING (EXISTS (SELECT 1 FROM public.companies c WHERE c.id = company_id AND c.owner_ud = (select auth.uid())));
`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_members.sql', text: sql }], ID);
  assert.deepEqual(mine.map((f) => textAt(ws, f)), ['c.user_id', 'c.owner_ud']);
  assert.match(mine[0]!.message, /^Policy "members_manage" on public\.company_members names the column c\.user_id, but c is public\.companies, which has no column user_id — public\.companies \(id, owner_id\) — .*42703 column c\.user_id does not exist/);
  assert.doesNotMatch(mine[0]!.message, /Did you mean/, 'user_id unqualified would be company_members.user_id, not a column of c');
  assert.match(mine[1]!.message, /Did you mean c\.owner_id\?/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    const errors = await runEach(q, sqlOf(ws));
    assert.deepEqual(errors.map((e) => e.code), ['42703', '42703']);
    assert.match(errors[0]!.sql, /CREATE POLICY members_manage/);
    assert.match(errors[1]!.sql, /CREATE POLICY members_read/);
    assert.deepEqual(await policies(q), []);
  });
  // the same with c.owner_id is created, and not reported
  const fixed = sql.replace('c.user_id', 'c.owner_id').replace('c.owner_ud', 'c.owner_id');
  const ok = lintFiles([{ file: 'supabase/migrations/20240101000000_members.sql', text: fixed }], ID);
  assert.deepEqual(ok.mine, []);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runEach(q, sqlOf(ok.ws)), []);
    assert.deepEqual(await policies(q), ['members_manage', 'members_read']);
  });
});

// Calibration cal72 (robert-grey-dev/admin-medical-v1): migrations that start mid-history — public.profiles
// and get_user_role(uuid) were made before them — write policies on profiles calling get_user_role(), and a
// later migration drops the function IF EXISTS and creates it again. A fresh database stops at the table
// (42P01), the deployed one creates the policy: 42883 happens on neither.
test("ok: a policy on a table the migrations never create, calling a function (or reading a table) a later migration creates: not reported (PGlite: 42P01 on the policy's own table on a fresh database; the policy created where the table and function were made first); on a platform table (storage.objects): reported", async () => {
  const policy = `CREATE POLICY "Admins can view all profiles" ON public.profiles FOR SELECT TO authenticated USING (get_user_role((select auth.uid())) = 'admin');\n`;
  const fn = `DROP FUNCTION IF EXISTS public.get_user_role(uuid);\nCREATE FUNCTION public.get_user_role(user_id uuid) RETURNS text LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$ BEGIN RETURN (SELECT role FROM public.profiles WHERE id = user_id); END $$;\n`;
  const files = [
    { file: 'supabase/migrations/20250906005703_roles.sql', text: policy },
    { file: 'supabase/migrations/20250906005838_fn.sql', text: fn },
  ];
  assert.deepEqual(lintFiles(files, ID).mine, []);
  // (nor is it taken for rejected: the policy stays among the active ones other rules read)
  assert.equal(lintFiles([{ ...files[0]!, text: policy.replace('get_user_role((select auth.uid()))', 'get_user_role(auth.uid())') }, files[1]!], 'policy-per-row-function').mine.length, 1);
  // reading a table a later migration creates, from a policy on a table made elsewhere: not either
  const reads = [
    { file: 'supabase/migrations/1_p.sql', text: `CREATE POLICY p ON public.profiles FOR SELECT TO authenticated USING (EXISTS (SELECT 1 FROM public.admins a WHERE a.id = (select auth.uid())));\n` },
    { file: 'supabase/migrations/2_t.sql', text: 'CREATE TABLE public.admins (id uuid PRIMARY KEY);\n' },
  ];
  assert.deepEqual(lintFiles(reads, ID).mine, []);
  // the platform makes storage.objects: the function alone is missing there, reported (42883)
  const storage = [{ ...files[0]!, text: `CREATE POLICY "Admins read files" ON storage.objects FOR SELECT TO authenticated USING (get_user_role((select auth.uid())) = 'admin');\n` }, files[1]!];
  const mine = lintFiles(storage, ID).mine;
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /calls get_user_role\(\), which the migrations create only later, .*42883/);
  // a table the migrations create (before the policy): still reported
  const made = [{ ...files[0]!, text: `CREATE TABLE public.profiles (id uuid PRIMARY KEY, role text);\nALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;\n${policy}` }, files[1]!];
  assert.equal(lintFiles(made, ID).mine.length, 1);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    const errors = await runEach(q, policy + fn);
    assert.deepEqual(errors.map((e) => e.code), ['42P01'], 'a fresh database stops at public.profiles (the PL/pgSQL function is created: its body is read when called)');
    assert.match(errors[0]!.sql, /^CREATE POLICY/);
  });
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    // (made before the migrations, as by the dashboard)
    await q(`CREATE TABLE public.profiles (id uuid PRIMARY KEY, role text);\nCREATE FUNCTION public.get_user_role(user_id uuid) RETURNS text LANGUAGE sql STABLE AS $$ SELECT role FROM public.profiles WHERE id = user_id $$;`);
    assert.deepEqual(await runFilesInTransactions(q, files.slice(0, 1)), ['ok']);
    assert.deepEqual(await policies(q), ['Admins can view all profiles']);
  });
});

test('err: a column an earlier ALTER TABLE … DROP COLUMN or RENAME COLUMN took away: PostgreSQL rejects the CREATE POLICY with 42703 and the policy is never made; reported, the message naming the statement (and the new name)', async () => {
  const table = 'CREATE TABLE public.docs (id uuid PRIMARY KEY, owner_id uuid, author_id uuid, title text);\nALTER TABLE public.docs ENABLE ROW LEVEL SECURITY;\n';
  const cases: Array<[string, string, RegExp]> = [
    ['ALTER TABLE public.docs DROP COLUMN owner_id;\n', 'CREATE POLICY p ON public.docs FOR SELECT USING (owner_id = auth.uid());\n', /names the column owner_id, which public\.docs no longer has here: ALTER TABLE … DROP COLUMN at 2_b\.sql:1, before this statement, dropped it\. .*42703 column "owner_id" does not exist/],
    ['ALTER TABLE docs RENAME COLUMN owner_id TO user_id;\n', 'CREATE POLICY p ON public.docs FOR SELECT USING (docs.owner_id = auth.uid());\n', /names the column docs\.owner_id, which public\.docs no longer has here: ALTER TABLE … RENAME COLUMN at 2_b\.sql:1, before this statement, renamed it to user_id\. .*42703 column docs\.owner_id does not exist.*by its new name, user_id/],
    ['ALTER TABLE public.docs DROP COLUMN IF EXISTS owner_id;\n', 'CREATE POLICY p ON public.docs FOR SELECT USING (EXISTS (SELECT 1 FROM public.docs d2 WHERE d2.id = id AND owner_id = auth.uid()));\n', /names the column owner_id, which public\.docs no longer has here: ALTER TABLE … DROP COLUMN/],
  ];
  for (const [b, c, re] of cases) {
    const files = [{ file: 'm/1_a.sql', text: table }, { file: 'm/2_b.sql', text: b }, { file: 'm/3_c.sql', text: c }];
    const { ws, mine } = lintFiles(files, ID);
    assert.equal(mine.length, 1, c);
    assert.match(mine[0]!.message, re);
    assert.match(textAt(ws, mine[0]!), /owner_id$/);
    await inRollback(await getDb(), async (q) => {
      await q(AUTH_STUB_SQL);
      assert.deepEqual(await runFilesInTransactions(q, files), ['ok', 'ok', '42703']);
      assert.deepEqual(await policies(q), []);
    });
  }
});

test('ok: a DROP / RENAME COLUMN that may not have run or may fail, or that comes after the policy, or a name renamed back: not reported, and PostgreSQL creates the policy where the migrations say it does', async () => {
  const table = 'CREATE TABLE public.docs (id uuid PRIMARY KEY, owner_id uuid, title text);\nALTER TABLE public.docs ENABLE ROW LEVEL SECURITY;\n';
  const policy = 'CREATE POLICY p ON public.docs FOR SELECT USING (owner_id = auth.uid());\n';
  const cases: Array<[string, string]> = [
    // in a DO block: it may sit in an IF
    ["DO $$ BEGIN IF false THEN ALTER TABLE public.docs DROP COLUMN owner_id; END IF; END $$;\n", 'ok'],
    // after the policy (CASCADE drops it with the column)
    ['', 'ok'],
    // renamed away and back
    ['ALTER TABLE public.docs RENAME COLUMN owner_id TO user_id;\nALTER TABLE public.docs RENAME COLUMN user_id TO owner_id;\n', 'ok'],
    // dropped and added again
    ['ALTER TABLE public.docs DROP COLUMN owner_id;\nALTER TABLE public.docs ADD COLUMN owner_id uuid;\n', 'ok'],
    // a view reads it: the DROP without CASCADE fails (2BP01) and the column stays
    ['CREATE VIEW public.doc_owners AS SELECT owner_id FROM public.docs;\nALTER TABLE public.docs DROP COLUMN owner_id;\n', '2BP01'],
    // a function's body may drop it
    ["CREATE FUNCTION public.cleanup() RETURNS void LANGUAGE plpgsql AS $$ BEGIN ALTER TABLE public.docs DROP COLUMN owner_id; END $$;\n", 'ok'],
  ];
  for (const [b, code] of cases) {
    const files = b === '' ? [{ file: 'm/1_a.sql', text: table }, { file: 'm/3_c.sql', text: policy + 'ALTER TABLE public.docs DROP COLUMN owner_id CASCADE;\n' }] : [{ file: 'm/1_a.sql', text: table }, { file: 'm/2_b.sql', text: b }, { file: 'm/3_c.sql', text: policy }];
    assert.deepEqual(lintFiles(files, ID).mine, [], b);
    await inRollback(await getDb(), async (q) => {
      await q(AUTH_STUB_SQL);
      const codes = await runFilesInTransactions(q, files);
      assert.equal(codes[codes.length - 1], 'ok', b);
      if (code !== 'ok') assert.equal(codes[1], code, b);
    });
  }
});

test("err: the doc's RENAME COLUMN example: 42703 column \"owner\" does not exist on PGlite, the policy is not created; reported naming the new name", async () => {
  const { ws, finding } = invalidFinding(ID, 3);
  assert.equal(textAt(ws, finding), 'owner');
  assert.match(finding.message, /^Policy "documents_read" on public\.documents names the column owner, which public\.documents no longer has here: ALTER TABLE … RENAME COLUMN at .*renamed it to owner_id\. .*42703 column "owner" does not exist/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    const errors = await runEach(q, sqlOf(ws));
    assert.deepEqual(errors.map((e) => e.code), ['42703']);
    assert.match(errors[0]!.sql, /CREATE POLICY documents_read/);
    assert.deepEqual(await policies(q), []);
  });
});

// Calibration cal159 (FL03/template-nextjs-app): public.profiles' CREATE TABLE references
// orgs.organizations, whose schema a later migration makes too (CREATE SCHEMA IF NOT EXISTS orgs):
// PostgreSQL looks the schema up first and fails with 3F000 schema "orgs" does not exist, not 42P01
// (PGlite); with the schema made before, it is 42P01 as before.
test('err: a policy on a table whose CREATE TABLE references a table of a schema made only later: the CREATE TABLE fails with 3F000, said so', async () => {
  const files = [
    {
      file: 'supabase/migrations/20251101174409_public.sql',
      text: `CREATE TABLE IF NOT EXISTS public.profiles (id uuid PRIMARY KEY, primary_organization uuid, CONSTRAINT profile_fkey_oid FOREIGN KEY (primary_organization) REFERENCES orgs.organizations ON DELETE SET NULL);
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Anyone can view a users profile" ON public.profiles FOR SELECT TO authenticated USING (true);
`,
    },
    { file: 'supabase/migrations/20251101174420_orgs.sql', text: 'CREATE SCHEMA IF NOT EXISTS orgs;\nCREATE TABLE IF NOT EXISTS orgs.organizations (id uuid PRIMARY KEY);\n' },
  ];
  const { mine } = lintFiles(files, ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /it references orgs\.organizations, which they create only later \(and its schema too: the CREATE TABLE fails with 3F000 schema "orgs" does not exist\)\. So public\.profiles does not exist here either, and PostgreSQL rejects this CREATE POLICY with 42P01 relation "public\.profiles" does not exist/);
  assert.match(mine[0]!.related![0]!.message, /does not exist yet \(3F000\)/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    const first = await tryQuery(q, files[0]!.text.split('\n')[0]!);
    assert.equal(first.ok ? 'ok' : first.error.code, '3F000');
    assert.match(first.ok ? '' : first.error.message, /^schema "orgs" does not exist$/);
  });
  // (the schema made first: the relation is what is missing, 42P01)
  const withSchema = [{ file: 'supabase/migrations/20251101000000_schemas.sql', text: 'CREATE SCHEMA IF NOT EXISTS orgs;\n' }, ...files];
  const again = lintFiles(withSchema, ID).mine;
  assert.equal(again.length, 1);
  assert.match(again[0]!.message, /which they create only later \(42P01\)\./);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q('CREATE SCHEMA orgs');
    const first = await tryQuery(q, files[0]!.text.split('\n')[0]!);
    assert.equal(first.ok ? 'ok' : first.error.code, '42P01');
  });
});

// Calibration (cal162, Munkhjavkhlann/mongolec-backend): its database-migrations.sql makes its
// tables through a runner of its own — `CREATE FUNCTION apply_migration(…, migration_sql text, …)`
// whose body runs `EXECUTE migration_sql`, called from DO blocks with `$migration$ CREATE TABLE IF
// NOT EXISTS users (…) … $migration$` — so in path order they exist before database-roles-permissions.sql
// creates policies on them. The rule said those policies failed with 42P01 (the tables "created
// only later" by database-schema.sql) and that media_files had no column access_level (the runner's
// media_files has it). A CREATE TABLE handed to a workspace function that EXECUTEs what it is
// given is dynamic SQL that may make tables, as a DO block's own EXECUTE is: nothing is said.
test('ok: tables made by a migration runner function (EXECUTE of the SQL it is handed) exist for the policies after it: not said to be made only later, nor to lack a column; PGlite: the policies are created', async () => {
  const runner = migrationRunner([['003_users', "CREATE TABLE IF NOT EXISTS users (id uuid PRIMARY KEY, tenant_id uuid NOT NULL, access_level text NOT NULL DEFAULT 'private');"]]);
  const roles = `CREATE ROLE mg_admin;
GRANT SELECT ON users TO mg_admin;
CREATE POLICY admin_bypass_all ON users FOR ALL TO mg_admin USING (true);
CREATE POLICY users_public ON users FOR SELECT TO mg_admin USING (access_level = 'public');
`;
  const schema = `CREATE TABLE users (id uuid PRIMARY KEY, tenant_id uuid NOT NULL);
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation_users ON users USING (tenant_id = nullif(current_setting('app.current_tenant_id', true), '')::uuid);
`;
  const files = [
    { file: 'db/a_migrations.sql', text: runner },
    { file: 'db/b_roles.sql', text: roles },
    { file: 'db/c_schema.sql', text: schema },
  ];
  assert.deepEqual(lintFiles(files, ID).mine.map((f) => f.message), []);
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual(await runFilesInTransactions(q, files), ['ok', 'ok', '42P07'], 'the runner made users: the policies are created, the plain CREATE TABLE after them fails');
    assert.deepEqual(await policies(q), ['admin_bypass_all', 'users_public']);
  });
  // called from a top-level SELECT too
  const select = runner.replace(/DO \$\$ BEGIN PERFORM ([\s\S]*?); END \$\$;\n/, 'SELECT $1;\n');
  assert.match(select, /^SELECT apply_migration\('003_users'/m);
  assert.deepEqual(lintFiles([{ ...files[0]!, text: select }, files[1]!, files[2]!], ID).mine, []);
  // a function that only records the text (no EXECUTE), or EXECUTEs only text it spells out: the tables are made only later, 42P01 on both policies
  for (const body of ['INSERT INTO schema_migrations VALUES (migration_version || migration_sql);', "EXECUTE 'SELECT 1';"]) {
    const inert = runner.replace('EXECUTE migration_sql;', body);
    const mine = lintFiles([{ ...files[0]!, text: inert }, files[1]!, files[2]!], ID).mine;
    assert.equal(mine.length, 2, body);
    assert.match(mine[0]!.message, /^Policy "admin_bypass_all" is created on public\.users, which the migrations create only later, at c_schema\.sql:1: .*42P01/);
    await inRollback(await getDb(), async (q) => {
      assert.deepEqual(await runFilesInTransactions(q, [{ text: inert }, files[1]!, files[2]!]), ['ok', '42P01', 'ok'], body);
    });
  }
});

// cal183: a CREATE POLICY PostgreSQL rejects that a later migration drops (DROP POLICY IF EXISTS)
// and writes again, fixed, was not reported: the model keeps no policy a DROP POLICY removed, so
// nothing held the first statement's failure. The first migration still fails there.
test("err: a rejected CREATE POLICY that a later migration drops (DROP POLICY IF EXISTS) and writes again is reported where it fails, as one the later CREATE POLICY replaces is; dropped and not written again: reported too; PGlite: the first file fails with 42703, the second runs", async () => {
  const files = [
    {
      file: 'supabase/migrations/20240101000000_notes.sql',
      text: `CREATE TABLE public.notes (id bigint PRIMARY KEY, owner_id uuid NOT NULL, body text);
ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_owner ON public.notes FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
`,
    },
    {
      file: 'supabase/migrations/20240102000000_fix.sql',
      text: `DROP POLICY IF EXISTS notes_owner ON public.notes;
CREATE POLICY notes_owner ON public.notes FOR SELECT TO authenticated USING (owner_id = (select auth.uid()));
`,
    },
  ];
  const { ws, mine } = lintFiles(files, ID);
  assert.equal(mine.length, 1);
  assert.equal(mine[0]!.file, files[0]!.file);
  assert.equal(textAt(ws, mine[0]!), 'user_id');
  assert.match(mine[0]!.message, /42703 column "user_id" does not exist, so the policy is never created/);
  // only dropped: the same
  const dropped = [files[0]!, { ...files[1]!, text: 'DROP POLICY IF EXISTS notes_owner ON public.notes;\n' }];
  assert.equal(lintFiles(dropped, ID).mine.length, 1);
  // a table made again after the policy (DROP TABLE, CREATE TABLE, with user_id): the dropped
  // policy was of the old one, whose columns the model no longer holds; not judged by the new one's
  const remade = [files[0]!, { ...files[1]!, text: 'DROP POLICY IF EXISTS notes_owner ON public.notes;\nDROP TABLE public.notes;\nCREATE TABLE public.notes (id bigint PRIMARY KEY, user_id uuid);\n' }];
  assert.deepEqual(lintFiles(remade, ID).mine, []);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runFilesInTransactions(q, files), ['42703', '42P01'], 'the first file fails; run after it the second finds no table (a migration tool stops at the first)');
  });
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    const first = await runEachStatement(q, files[0]!.text);
    assert.deepEqual(first.map((e) => [e.code, e.message]), [['42703', 'column "user_id" does not exist']]);
    assert.deepEqual(await runEachStatement(q, files[1]!.text), [], 'psql going on: the second file runs');
    assert.deepEqual(await policies(q), ['notes_owner']);
  });
});

test("err: a policy calling a function whose only CREATE FUNCTION PostgreSQL refuses (a SQL body returning text for uuid, 42P13): 42883, the policy never exists (MarcoFranca/ContemplaHub's lead_diagnosticos policies calling auth.org_id())", async () => {
  const fn = `create or replace function auth.org_id() returns uuid language sql stable as $$
select nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'org_id'
$$;
`;
  const rest = `alter table public.lead_diagnosticos enable row level security;
create policy "lead_diag_select" on public.lead_diagnosticos for select using (org_id::text = auth.org_id());
`;
  const files = [{ file: 'sql/rls/lead_diagnosticos_rls.sql', text: `create table public.lead_diagnosticos (id uuid primary key, org_id uuid not null);\ncreate schema if not exists auth;\n${fn}${rest}` }];
  const { ws, mine } = lintFiles(files, ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'auth.org_id');
  assert.match(mine[0]!.message, /^Policy "lead_diag_select" on public\.lead_diagnosticos calls auth\.org_id\(\), which no migration makes: its CREATE FUNCTION at lead_diagnosticos_rls\.sql:3 returns text from a LANGUAGE sql body where it declares uuid, and PostgreSQL rejects it \(42P13 return type mismatch: function-replace-rejected\)\. .* rejects this CREATE POLICY with 42883 function auth\.org_id\(…\) does not exist, and the policy is never created/);
  await inRollback(await getDb(), async (q) => {
    const errors = await runEach(q, files[0]!.text);
    assert.deepEqual(errors.map((e) => e.code), ['42P13', '42883']);
    assert.equal(await count(q, "SELECT * FROM pg_policies WHERE tablename = 'lead_diagnosticos'"), 0);
  });
  // a function of that name made before with a valid body: it stays (PostgreSQL keeps it), the policy is created
  const before = { file: 'sql/rls/000_helpers.sql', text: "create table public.lead_diagnosticos (id uuid primary key, org_id uuid not null);\ncreate schema if not exists auth;\ncreate function auth.org_id() returns uuid language sql stable as $$ select nullif(current_setting('app.org', true), '')::uuid $$;\n" };
  const later = { file: 'sql/rls/001_rls.sql', text: fn + rest.replace('org_id::text = auth.org_id()', 'org_id = auth.org_id()') };
  assert.equal(lintFiles([before, later], ID).mine.length, 0);
  await inRollback(await getDb(), async (q) => {
    const errors = await runEach(q, before.text + later.text);
    assert.deepEqual(errors.map((e) => e.code), ['42P13']);
    assert.equal(await count(q, "SELECT * FROM pg_policies WHERE tablename = 'lead_diagnosticos'"), 1);
  });
  // a Supabase platform function written again (auth.uid()): the platform's stays; a DO block's CREATE, another argument count: nothing said
  const supabase = [{ file: 'supabase/migrations/20250101000000_x.sql', text: "create table public.notes (id uuid primary key, user_id uuid);\ncreate or replace function auth.uid() returns uuid language sql stable as $$ select current_setting('request.jwt.claim.sub', true) $$;\nalter table public.notes enable row level security;\ncreate policy p on public.notes using (user_id = auth.uid());\n" }];
  assert.equal(lintFiles(supabase, ID).mine.length, 0);
  const inDo = [{ file: 'db/1.sql', text: files[0]!.text.replace(fn, `do $do$ begin ${fn.trim()} end $do$;\n`) }];
  assert.equal(lintFiles(inDo, ID).mine.length, 0);
  const other = [{ file: 'db/1.sql', text: files[0]!.text.replace('auth.org_id() returns', 'auth.org_id(p int) returns') }];
  assert.equal(lintFiles(other, ID).mine.length, 0);
});

test('ok (re-lint): the helper edited to a refused body and back gives what a fresh lint gives', () => {
  const { good, bad, table } = APP_TENANT;
  const counts = steps({ 'db/1.sql': good, 'db/2.sql': table }, ID, [
    ['db/1.sql', bad],
    ['db/1.sql', good],
    ['db/1.sql', bad],
    ['db/2.sql', table.replace('docs_tenant', 'docs_tenant_2')],
    ['db/1.sql', `SET check_function_bodies = off;\n${bad}`],
  ]);
  assert.deepEqual(counts, [0, 1, 0, 1, 1, 0]);
});

// Calibration cal193 (Nikhil-Sudhan/shipyard: fix-rls-policies.sql and quick-rls-fix.sql each
// `DROP POLICY IF EXISTS … ON conversation_participants` then CREATE POLICY it, both run before
// supabase-schema.sql makes the table): only the second file was reported. The first's policy,
// dropped by the second's DROP POLICY, was left out as one of "a table made again since" — but
// the table did not exist yet, and PostgreSQL refuses that CREATE POLICY with 42P01 all the same.
test("err: a CREATE POLICY on a table made only later that the next file drops (DROP POLICY IF EXISTS) and writes again: each file's CREATE POLICY is reported (PGlite: DROP POLICY IF EXISTS on a missing table only notices; both CREATE POLICY fail with 42P01)", async () => {
  const fix = `DROP POLICY IF EXISTS cp_select ON public.conversation_participants;
CREATE POLICY cp_select ON public.conversation_participants FOR SELECT USING (user_id = auth.uid());
`;
  const files = [
    { file: 'supabase/migrations/20240101000000_fix_rls.sql', text: fix },
    { file: 'supabase/migrations/20240102000000_quick_fix.sql', text: fix },
    {
      file: 'supabase/migrations/20240103000000_schema.sql',
      text: `CREATE TABLE public.conversation_participants (conversation_id uuid, user_id uuid, PRIMARY KEY (conversation_id, user_id));
ALTER TABLE public.conversation_participants ENABLE ROW LEVEL SECURITY;
CREATE POLICY cp_select ON public.conversation_participants FOR SELECT USING (user_id = auth.uid());
`,
    },
  ];
  const { ws, mine } = lintFiles(files, ID);
  assert.deepEqual(mine.map((f) => f.file), [files[0]!.file, files[1]!.file]);
  for (const f of mine) {
    assert.equal(textAt(ws, f), 'cp_select');
    assert.match(f.message, /is created on public\.conversation_participants, which the migrations create only later, at 20240103000000_schema\.sql:1: .*42P01 relation "public\.conversation_participants" does not exist/);
  }
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual((await runEachStatement(q, fix)).map((e) => e.code), ['42P01'], 'the DROP POLICY IF EXISTS passes, the CREATE POLICY fails');
  });
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runFilesInTransactions(q, files), ['42P01', '42P01', 'ok']);
    assert.deepEqual(await policies(q), ['cp_select']);
  });
});

// Calibration cal207 (neondatabase-labs/social-network-drizzle-rls, Neon's Drizzle RLS example:
// drizzle/0000_typical_nehzno.sql makes the view my_chats_participants as `select distinct
// "chatId", "userId" from "chat_participants" …`, then three policies read `select user_id from
// my_chats_participants where chat_id = …`): not reported, the view's columns being taken as
// unknown. PostgreSQL resolves the names against the view's output columns and rejects the three
// CREATE POLICY with 42703, so chat_messages and chats keep no read policy.
test('err: a column none of a view\'s output columns is (named, or plain column references): 42703, reported as of a table or view; unreported where the columns are not certain (`*`, an unnamed expression, a view made again or with a renamed column)', async () => {
  const head = `CREATE SCHEMA IF NOT EXISTS auth;
CREATE OR REPLACE FUNCTION auth.user_id() RETURNS text LANGUAGE sql STABLE AS $$ SELECT current_setting('app.user_id', true) $$;
CREATE TABLE chat_participants ("chatId" text, "userId" text, PRIMARY KEY ("chatId", "userId"));
CREATE TABLE chat_messages (id text PRIMARY KEY, message text NOT NULL, "chatId" text, sender text NOT NULL);
ALTER TABLE chat_messages ENABLE ROW LEVEL SECURITY;
`;
  const view = `CREATE VIEW my_chats_participants AS (select distinct "chatId", "userId" from chat_participants where chat_participants."userId" = auth.user_id());
`;
  const policy = `CREATE POLICY chat_messages_read ON chat_messages AS PERMISSIVE FOR SELECT TO authenticated USING (((select auth.user_id()) in (select user_id from my_chats_participants where chat_id = chat_messages."chatId")));
`;
  const sql = head + view + policy;
  const { ws, mine } = lintFiles([{ file: 'drizzle/0000_x.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'user_id');
  assert.match(mine[0]!.message, /^Policy "chat_messages_read" on public\.chat_messages names the column user_id, which no table or view it reads has — public\.my_chats_participants \(chatId, userId\); public\.chat_messages \(id, message, chatId, sender\) — .*42703 column "user_id" does not exist/);
  // the same with the view's columns named (a column list, or AS): still reported; named as the policy reads them: not
  const listed = view.replace('CREATE VIEW my_chats_participants AS', 'CREATE VIEW my_chats_participants (chat_id, user_id) AS');
  const aliased = view.replace('"chatId", "userId" from', '"chatId" AS chat_id, "userId" AS user_id from');
  const other = view.replace('"chatId", "userId" from', '"chatId" AS chat, "userId" AS member from');
  assert.deepEqual(lintFiles([{ file: 'drizzle/0000_x.sql', text: head + listed + policy }], ID).mine, []);
  assert.deepEqual(lintFiles([{ file: 'drizzle/0000_x.sql', text: head + aliased + policy }], ID).mine, []);
  assert.equal(lintFiles([{ file: 'drizzle/0000_x.sql', text: head + other + policy }], ID).mine.length, 1);
  // columns not certain: not reported
  const star = view.replace('distinct "chatId", "userId" from', '* from');
  const expr = view.replace('distinct "chatId", "userId" from', 'distinct "chatId", lower("userId") from');
  const again = view + `DROP VIEW my_chats_participants;
` + listed;
  const renamed = view + `ALTER TABLE my_chats_participants RENAME COLUMN "userId" TO user_id;
ALTER VIEW my_chats_participants RENAME COLUMN "chatId" TO chat_id;
`;
  for (const v of [star, expr, again, renamed]) assert.deepEqual(lintFiles([{ file: 'drizzle/0000_x.sql', text: head + v + policy }], ID).mine, [], v);
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual((await runEach(q, sql)).map((e) => e.code), ['42703']);
    assert.deepEqual(await policies(q), []);
  });
  for (const v of [listed, aliased, again, renamed]) {
    await inRollback(await getDb(), async (q) => {
      assert.deepEqual(await runEach(q, head + v + policy), [], v);
      assert.deepEqual(await policies(q), ['chat_messages_read']);
    });
  }
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual((await runEach(q, head + other + policy)).map((e) => e.code), ['42703']);
  });
});

test('err (message): a column of the other naming convention, or one an ORM made quoted ("authorId") that an unquoted name folds away from: the suggestion is written as SQL must write it, and PGlite takes it', async () => {
  const text = `CREATE TABLE "Post" (id serial PRIMARY KEY, "authorId" uuid, title text);
ALTER TABLE "Post" ENABLE ROW LEVEL SECURITY;
CREATE POLICY snake ON "Post" FOR SELECT TO authenticated USING (author_id = (select auth.uid()));
CREATE POLICY folded ON "Post" FOR DELETE TO authenticated USING ("Post".authorId = (select auth.uid()));
CREATE TABLE items (id serial PRIMARY KEY, owner_id uuid);
ALTER TABLE items ENABLE ROW LEVEL SECURITY;
CREATE POLICY camel ON items FOR SELECT TO authenticated USING ("ownerId" = (select auth.uid()));`;
  const { mine } = lintFiles([{ file: 'm.sql', text }], ID);
  const hint = (m: string) => /Did you mean ([^?]+)\?( \([^)]*\))?/.exec(m)?.slice(1, 3).map((x) => x ?? '').join('|');
  assert.deepEqual(mine.map((f) => hint(f.message)), [
    '"authorId"|',
    '"Post"."authorId"| (PostgreSQL folds the unquoted authorId to authorid; quote it)',
    'owner_id|',
  ]);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(
      (await runEach(q, text)).map((r) => r.code),
      ['42703', '42703', '42703'],
    );
    await q(`CREATE POLICY snake ON "Post" FOR SELECT TO authenticated USING ("authorId" = (select auth.uid()));
CREATE POLICY folded ON "Post" FOR DELETE TO authenticated USING ("Post"."authorId" = (select auth.uid()));
CREATE POLICY camel ON items FOR SELECT TO authenticated USING (owner_id = (select auth.uid()))`);
    assert.deepEqual(await policies(q), ['camel', 'folded', 'snake']);
  });
});

test("ok/err: clinicai-v2's app_clinic_id() — policies of earlier migrations call it, a later migration replaces it (CREATE OR REPLACE) and its .down.sql restores the version before: the function was there before the migrations (PGlite: on a database that has it, every policy is created, the replacement runs, and the rollback restores the old body); a rollback that drops it, or none, says it was new: reported", async () => {
  const table = `CREATE TABLE public.inbox (id int PRIMARY KEY, clinic_id uuid NOT NULL);\nALTER TABLE public.inbox ENABLE ROW LEVEL SECURITY;\nCREATE POLICY inbox_select ON public.inbox FOR SELECT TO authenticated USING (clinic_id = public.app_clinic_id());\n`;
  const replace = `CREATE OR REPLACE FUNCTION public.app_clinic_id() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT nullif(auth.jwt() -> 'app_metadata' ->> 'clinic_id', '')::uuid $$;\n`;
  const restore = `CREATE OR REPLACE FUNCTION public.app_clinic_id() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT nullif(auth.jwt() ->> 'clinic_id', '')::uuid $$;\n`;
  const ids = (files: Array<{ file: string; text: string }>) => lintFiles(files, ID).mine.map((f) => f.message.slice(0, 60));
  const up = [
    { file: 'db/migrations/20260700000847_inbox.sql', text: table },
    { file: 'db/migrations/20260800000077_app_clinic_id.sql', text: replace },
  ];
  assert.deepEqual(ids([...up, { file: 'db/migrations/20260800000077_app_clinic_id.down.sql', text: restore }]), []);
  // golang-migrate's .up.sql / .down.sql, and dbmate's migrate:down section in the file itself
  assert.deepEqual(ids([up[0]!, { file: 'db/migrations/2_app_clinic_id.up.sql', text: replace }, { file: 'db/migrations/2_app_clinic_id.down.sql', text: restore }]), []);
  assert.deepEqual(ids([up[0]!, { file: 'db/migrations/2_app_clinic_id_up.sql', text: replace }, { file: 'db/migrations/2_app_clinic_id_down.sql', text: restore }]), []);
  assert.deepEqual(ids([up[0]!, { file: 'db/migrations/20260800000077_app_clinic_id.sql', text: `-- migrate:up\n${replace}\n-- migrate:down\n${restore}` }]), []);
  // a rollback that drops it, or no rollback: the function was new, the policy fails with 42883
  assert.equal(ids([...up, { file: 'db/migrations/20260800000077_app_clinic_id.down.sql', text: 'DROP FUNCTION public.app_clinic_id();\n' }]).length, 1);
  assert.equal(ids(up).length, 1);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q(restore); // the database the migrations were written for has it
    assert.deepEqual(await runEachStatement(q, table + replace), []);
    assert.deepEqual(await policies(q), ['inbox_select']);
    await q(restore);
    assert.match(String((await q(`SELECT prosrc FROM pg_proc WHERE proname = 'app_clinic_id'`))[0]!.prosrc), /auth\.jwt\(\) ->> 'clinic_id'/);
  });
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual((await runEachStatement(q, table + replace)).map((e) => e.code), ['42883']);
  });
});

// Calibration (isongeee/CLM-V3, a contract lifecycle manager): supabase/schema_UPDATED_ENTERPRISE_v2.sql
// makes the tables and supabase/rls_UPDATED_ENTERPRISE_v2.sql writes their policies; the README runs
// the schema first, but rls_… sorts first, so 95 policies were errors saying "on a database these
// migrations make, PostgreSQL rejects this CREATE POLICY" with no word that the order was the lint's.
test('err (message): a policy in a file whose name carries no version (rls_x.sql) on a table another (schema_x.sql) makes: the message says the order is the path order only, and names the "order" setting; PGlite: in path order 42P01, in the README\'s order the policy exists', async () => {
  const files = [
    { file: 'supabase/rls_v2.sql', text: 'ALTER TABLE public.apps ENABLE ROW LEVEL SECURITY;\nCREATE POLICY apps_select ON public.apps FOR SELECT TO authenticated USING (true);\n' },
    { file: 'supabase/schema_v2.sql', text: 'CREATE TABLE public.apps (id uuid PRIMARY KEY, name text);\n' },
  ];
  const { mine } = lintFiles(files, ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /which the migrations create only later, at schema_v2\.sql:1: .*or create the table first\. That is the files' path order, which the lint follows as their names carry no version: where a script runs schema_v2\.sql before rls_v2\.sql, the statement works, and this finding comes from the path order alone — list the files in the order they run in the "order" setting of \.pg-rls-lint\.json\.$/);
  // (numbered files carry their order: no such note; nor once the "order" setting gives one)
  const numbered = lintFiles(files.map((f) => ({ file: f.file.replace('rls_v2', '001_rls').replace('schema_v2', '002_schema'), text: f.text })), ID).mine;
  assert.equal(numbered.length, 1);
  assert.doesNotMatch(numbered[0]!.message, /path order/);
  // (geraldinocv/evently, an event ticketing app: scripts/011_supabase_resync.sql's policies on
  // profiles, which scripts/setup_supabase_complete.sql makes — a number on one name only: where the
  // other runs is not told either, and the note names it)
  const mixed = lintFiles(files.map((f) => ({ file: f.file.replace('rls_v2', '011_resync'), text: f.text })), ID).mine;
  assert.equal(mixed.length, 1);
  assert.match(mixed[0]!.message, /That is the files' path order, which the lint follows as the name schema_v2\.sql carries no version: where a script runs schema_v2\.sql before 011_resync\.sql, the statement works/);
  assert.deepEqual(lintFiles(files, ID, { ...DEFAULT_CONFIG, order: ['supabase/schema_*.sql', 'supabase/rls_*.sql'] }).mine, []);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual((await runEachStatement(q, files[0]!.text + files[1]!.text)).map((e) => e.code), ['42P01', '42P01']);
  });
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q(files[1]!.text + files[0]!.text);
    assert.deepEqual(await policies(q), ['apps_select']);
  });
});
