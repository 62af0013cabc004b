// policy-type-mismatch on PostgreSQL (PGlite): a policy comparing a uuid column with text
// (`->>`, current_setting()) fails with 42883 operator does not exist: uuid = text (text = uuid
// written the other way round), top-level and in a DO block: the policy does not exist. The fix
// (the text cast to the column's type, through nullif for a setting) re-lints clean, and the
// policy it makes admits the tenant's rows only. Calibration: organizacao10x's invites, audit log
// and services (`tenant_id = auth.jwt() ->> 'tenant_id'`), where the tool used to report per-row
// and missing-index findings on policies that never exist.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, count, expectPgError, getDb, inRollback, runEachStatement } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintFiles, sqlOf, TENANT_A, TENANT_B, textAt, validExampleRuns } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';
import { steps } from '../helpers/relint.js';

const ID = 'policy-type-mismatch';
before(initParser);
after(closeAll);

test('err: uuid = text (a JWT claim): 42883, the policy is not created; the other rules say nothing of it; fixed: cast to uuid, re-lints clean, the tenant reads its rows only', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), '=');
  assert.match(finding.message, /^Policy "invites_tenant" on public\.invites compares tenant_id, a uuid column, with \(select auth\.jwt\(\) ->> 'tenant_id'\), which is text: PostgreSQL has no operator uuid = text .* 42883 operator does not exist: uuid = text\. The policy is never created/);
  // (no finding of another rule on the policy: it does not exist)
  assert.deepEqual(lintFiles([{ file: 'm.sql', text: sqlOf(ws) }], ID).findings.filter((f) => f.rule.startsWith('policy-')).map((f) => f.rule), [ID]);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    const errors = await runEachStatement(q, sqlOf(ws));
    assert.deepEqual(errors.map((e) => `${e.code} ${e.message}`), ['42883 operator does not exist: uuid = text']);
    assert.equal(await count(q, `(SELECT 1 FROM pg_policy WHERE polrelid = 'invites'::regclass) p`), 0);
  });
  // in a DO block too
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q('CREATE TABLE invites (id uuid PRIMARY KEY, tenant_id uuid NOT NULL)');
    await expectPgError(q(`DO $$ BEGIN CREATE POLICY p ON invites USING (tenant_id = auth.jwt() ->> 'tenant_id'); END $$`), '42883', 'operator does not exist: uuid = text');
  });
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /USING \(tenant_id = \(select auth\.jwt\(\) ->> 'tenant_id'\)::uuid\);/);
  assert.deepEqual(findingsOf(fixed, ID), []);
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runEachStatement(q, sqlOf(fixed)), []);
    await q(`INSERT INTO invites VALUES ('${TENANT_A}', '${TENANT_A}', 'a@x'), ('${TENANT_B}', '${TENANT_B}', 'b@x'); GRANT SELECT ON invites TO authenticated`);
    await q(actAs(TENANT_A, { tenant_id: TENANT_A }));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'invites'), 1);
  });
});

test('err: text = uuid (a session setting, written first): 42883 text = uuid; fixed through nullif: re-lints clean, runs, and reads the tenant rows', async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.match(finding.message, /PostgreSQL has no operator text = uuid .* 42883 operator does not exist: text = uuid/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    const errors = await runEachStatement(q, sqlOf(ws));
    assert.deepEqual(errors.map((e) => `${e.code} ${e.message}`), ['42883 operator does not exist: text = uuid']);
  });
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /USING \(nullif\(\(select current_setting\('app\.tenant_id', true\)\), ''\)::uuid = tenant_id\);/);
  assert.deepEqual(findingsOf(fixed, ID), []);
  assert.deepEqual(findingsOf(fixed, 'policy-current-setting-unsafe'), []);
  await inRollback(db, async (q) => {
    assert.deepEqual(await runEachStatement(q, sqlOf(fixed)), []);
    await q(`INSERT INTO documents VALUES (1, '${TENANT_A}', 'a'), (2, '${TENANT_B}', 'b'); GRANT SELECT ON documents TO app_user`);
    await q(`SELECT set_config('app.tenant_id', '${TENANT_A}', true)`);
    await q('SET ROLE app_user');
    assert.equal(await count(q, 'documents'), 1);
  });
});

test('ok: the Valid examples run and give nothing', async () => {
  await validExampleRuns(ID, 0);
  await validExampleRuns(ID, 1);
  // (the sub-select of unnest(specialties): the user reads the services of their specialties)
  await validExampleRuns(ID, 2, async (q) => assert.equal(await namesReadByA(q), 'plumbing,electric'));
});

test('ok: what the text does not tell for certain is not reported (an untyped literal, a text column, a column retyped later, a table made IF NOT EXISTS, a sub-select’s own column, a DO block); PGlite: each runs', async () => {
  const table = 'CREATE TABLE t (id int PRIMARY KEY, tenant_id uuid NOT NULL, code text, n int);\nALTER TABLE t ENABLE ROW LEVEL SECURITY;\n';
  const cases = [
    `CREATE POLICY p ON t USING (tenant_id = '${TENANT_A}');`,
    `CREATE POLICY p ON t USING (code = current_setting('app.code', true));`,
    `CREATE POLICY p ON t USING (tenant_id::text = current_setting('app.tenant_id', true));`,
    `CREATE POLICY p ON t USING (EXISTS (SELECT 1 FROM t x WHERE x.code = current_setting('app.code', true)));`,
  ];
  for (const c of cases) {
    assert.deepEqual(lintFiles([{ file: 'm.sql', text: table + c }], ID).mine, [], c);
    await inRollback(await getDb(), async (q) => assert.deepEqual(await runEachStatement(q, table + c), [], c));
  }
  const mismatch = `CREATE POLICY p ON t USING (n = current_setting('app.n', true));`;
  assert.equal(lintFiles([{ file: 'm.sql', text: table + mismatch }], ID).mine.length, 1);
  await inRollback(await getDb(), async (q) => assert.deepEqual((await runEachStatement(q, table + mismatch)).map((e) => e.message), ['operator does not exist: integer = text']));
  // the column retyped by a later migration: not said
  assert.deepEqual(lintFiles([{ file: '1.sql', text: table + mismatch }, { file: '2.sql', text: 'ALTER TABLE t ALTER COLUMN n TYPE text;' }], ID).mine, []);
  // (organizacao10x's kan01: a table made IF NOT EXISTS first, the policy in a DO block under IF NOT EXISTS (… pg_policies …): said; the DO block fails with it)
  const kan = `${table.replace('CREATE TABLE t', 'CREATE TABLE IF NOT EXISTS t')}DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_policies WHERE tablename = 't') THEN ${mismatch} END IF; END $$;`;
  assert.equal(lintFiles([{ file: 'm.sql', text: kan }], ID).mine.length, 1);
  await inRollback(await getDb(), async (q) => assert.deepEqual((await runEachStatement(q, kan)).map((e) => `${e.code} ${e.message}`), ['42883 operator does not exist: integer = text']));
});

// `x = ANY (SELECT arr …)`: a sub-select's rows are compared whole. With specialties text[], each
// row's value is a text[], so PostgreSQL looks for text = text[] and rejects the CREATE POLICY.
const PROFILES = `CREATE TABLE profiles (id uuid PRIMARY KEY, specialties text[] NOT NULL DEFAULT '{}');
CREATE TABLE services (id bigint PRIMARY KEY, name text NOT NULL, n int);
ALTER TABLE services ENABLE ROW LEVEL SECURITY;
`;
const SERVICE_ROWS = `INSERT INTO profiles VALUES ('${TENANT_A}', '{plumbing,electric}'), ('${TENANT_B}', '{roofing}');
INSERT INTO services (id, name) VALUES (1, 'plumbing'), (2, 'electric'), (3, 'roofing');
GRANT SELECT ON services, profiles TO authenticated`;

/** The names of the services TENANT_A reads under the policy (its specialties: plumbing, electric). */
async function namesReadByA(q: Parameters<Parameters<typeof inRollback>[1]>[0]): Promise<string> {
  await q(SERVICE_ROWS);
  await q(actAs(TENANT_A));
  await q('SET ROLE authenticated');
  const rows = await q('SELECT string_agg(name, \',\' ORDER BY id) AS s FROM services');
  await q('RESET ROLE');
  return rows[0]!.s;
}

test('err: name = ANY (SELECT specialties …) with specialties text[]: 42883 text = text[], the policy is not created; fixed with unnest: re-lints clean, runs, and compares with the elements', async () => {
  const { ws, finding } = invalidFinding(ID, 2);
  assert.equal(textAt(ws, finding), '=');
  assert.match(finding.message, /^Policy "services_by_specialty" on public\.services compares name \(text\) with the rows of a sub-select of specialties \(text\[\], a column of profiles\): `name = ANY \(SELECT specialties …\)` compares name with each row's whole array, not with its elements, so PostgreSQL looks for an operator text = text\[\], finds none, and rejects this CREATE POLICY with 42883 operator does not exist: text = text\[\]\. The policy is never created/);
  assert.match(finding.message, /A second pair of parentheses, `= ANY \(\(SELECT specialties …\)\)`, is read as the same sub-select and fails alike\. Compare with the elements: `name = ANY \(SELECT unnest\(specialties\) …\)`, or `EXISTS \(SELECT 1 FROM profiles WHERE … AND services\.name = ANY \(specialties\)\)`; or cast the sub-select to one array value, `= ANY \(\(SELECT specialties …\)::text\[\]\)`, which fails with 21000 when it returns more than one row\.$/);
  // (no finding of another rule on the policy: it does not exist)
  assert.deepEqual(lintFiles([{ file: 'm.sql', text: sqlOf(ws) }], ID).findings.filter((f) => f.rule.startsWith('policy-')).map((f) => f.rule), [ID]);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    const errors = await runEachStatement(q, sqlOf(ws));
    assert.deepEqual(errors.map((e) => `${e.code} ${e.message}`), ['42883 operator does not exist: text = text[]']);
    assert.equal(await count(q, `(SELECT 1 FROM pg_policy WHERE polrelid = 'services'::regclass) p`), 0);
  });
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /USING \(name = ANY \(SELECT unnest\(specialties\) FROM profiles WHERE id = \(select auth\.uid\(\)\)\)\);/);
  assert.deepEqual(findingsOf(fixed, ID), []);
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    assert.deepEqual(await runEachStatement(q, sqlOf(fixed)), []);
    assert.equal(await namesReadByA(q), 'plumbing,electric');
  });
});

test('err: the other forms the message names, on PGlite: IN, <> ALL and ((SELECT …)) fail alike and are reported; the EXISTS and the ::text[] cast run and compare with the elements (the cast: 21000 for two rows)', async () => {
  const db = await getDb();
  const rejected: Array<[string, string, RegExp]> = [
    ['name IN (SELECT specialties FROM profiles WHERE id = auth.uid())', 'text = text[]', /`name IN \(SELECT specialties …\)` compares name with each row's whole array.*Compare with the elements: `name IN \(SELECT unnest\(specialties\) …\)`, or `EXISTS/],
    ['name <> ALL (SELECT specialties FROM profiles WHERE id = auth.uid())', 'text <> text[]', /operator does not exist: text <> text\[\]\..*`name <> ALL \(SELECT unnest\(specialties\) …\)`; or cast/],
    ['name = ANY ((SELECT specialties FROM profiles WHERE id = auth.uid()))', 'text = text[]', /42883 operator does not exist: text = text\[\]/],
    ['n = ANY (SELECT p.ints FROM profiles p WHERE p.id = auth.uid())', 'integer = integer[]', /compares n \(integer\) with the rows of a sub-select of p\.ints \(integer\[\], a column of profiles\)/],
    [`(auth.jwt() ->> 'specialty') = ANY (SELECT specialties FROM profiles)`, 'text = text[]', /42883 operator does not exist: text = text\[\]/],
  ];
  for (const [cond, pair, message] of rejected) {
    const sql = `${PROFILES.replace("'{}');", "'{}', ints int[]);")}CREATE POLICY p ON services FOR SELECT TO authenticated USING (${cond});`;
    const { mine } = lintFiles([{ file: 'm.sql', text: sql }], ID);
    assert.equal(mine.length, 1, cond);
    assert.match(mine[0]!.message, message, cond);
    await inRollback(db, async (q) => {
      await q(AUTH_STUB_SQL);
      assert.deepEqual((await runEachStatement(q, sql)).map((e) => `${e.code} ${e.message}`), [`42883 operator does not exist: ${pair}`], cond);
    });
  }
  const accepted: Array<[string, string]> = [
    ['EXISTS (SELECT 1 FROM profiles WHERE id = auth.uid() AND services.name = ANY (specialties))', 'plumbing,electric'],
    ['name = ANY ((SELECT specialties FROM profiles WHERE id = auth.uid())::text[])', 'plumbing,electric'],
    ['name IN (SELECT unnest(specialties) FROM profiles WHERE id = auth.uid())', 'plumbing,electric'],
    ['name <> ALL (SELECT unnest(specialties) FROM profiles WHERE id = auth.uid())', 'roofing'],
  ];
  for (const [cond, names] of accepted) {
    const sql = `${PROFILES}CREATE POLICY p ON services FOR SELECT TO authenticated USING (${cond});`;
    assert.deepEqual(lintFiles([{ file: 'm.sql', text: sql }], ID).mine, [], cond);
    await inRollback(db, async (q) => {
      await q(AUTH_STUB_SQL);
      assert.deepEqual(await runEachStatement(q, sql), [], cond);
      assert.equal(await namesReadByA(q), names, cond);
    });
  }
  // the cast makes the sub-select one value: two rows fail the query
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q(`${PROFILES}CREATE POLICY p ON services FOR SELECT TO authenticated USING (name = ANY ((SELECT specialties FROM profiles)::text[]))`);
    await q(SERVICE_ROWS);
    await q('SET ROLE authenticated');
    await expectPgError(q('SELECT count(*) FROM services'), '21000', 'more than one row returned by a subquery used as an expression');
  });
});

test('err: circle-marketplace: vendors.name = ANY (SELECT specialties …) inside a sub-select, specialties added by ADD COLUMN IF NOT EXISTS, profiles made again later: reported, and policy-user-metadata no longer cites the policy', async () => {
  const files = [
    { file: 'supabase/migrations/20250729014430_init.sql', text: `CREATE TABLE public.vendors (id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY, name text NOT NULL, contact_email text);
CREATE TABLE public.profiles (id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY, user_id uuid NOT NULL UNIQUE, display_name text);
ALTER TABLE public.vendors ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
` },
    { file: 'supabase/migrations/20250729020701_specialties.sql', text: 'ALTER TABLE public.profiles ADD COLUMN IF NOT EXISTS specialties TEXT[];\n' },
    { file: 'supabase/migrations/20250730165336_notifications.sql', text: `CREATE TABLE public.consultation_notifications (id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY, vendor_id uuid NOT NULL);
ALTER TABLE public.consultation_notifications ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Vendors can view their own notifications"
ON public.consultation_notifications
FOR SELECT
USING (vendor_id IN (SELECT id FROM vendors WHERE name = ANY(
  SELECT specialties FROM profiles WHERE user_id = auth.uid() AND 'vendor' = ANY(specialties)
)));
` },
    { file: 'supabase/migrations/20250816011321_profiles.sql', text: 'CREATE TABLE public.profiles (id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY, user_id uuid NOT NULL UNIQUE, specialties TEXT[]);\n' },
    { file: 'supabase/migrations/20250819005929_vendor_trigger.sql', text: `CREATE OR REPLACE FUNCTION public.auto_create_vendor_record()
RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path TO 'public'
AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM public.vendors WHERE id = NEW.id) THEN
    INSERT INTO public.vendors (id, name, contact_email)
    VALUES (NEW.id, COALESCE(NEW.raw_user_meta_data->>'company_name', NEW.raw_user_meta_data->>'name', 'New Vendor'), NEW.email);
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER on_auth_user_vendor_created AFTER INSERT ON auth.users FOR EACH ROW EXECUTE FUNCTION public.auto_create_vendor_record();
` },
  ];
  const { ws, mine, findings } = lintFiles(files, ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), '=');
  assert.match(mine[0]!.message, /^Policy "Vendors can view their own notifications" on public\.consultation_notifications compares name \(text\) with the rows of a sub-select of specialties \(text\[\], a column of profiles\): .*42883 operator does not exist: text = text\[\]\. .*`EXISTS \(SELECT 1 FROM profiles WHERE … AND vendors\.name = ANY \(specialties\)\)`/);
  assert.deepEqual(findings.filter((f) => f.rule === 'policy-user-metadata').map((f) => f.message.match(/policy "[^"]+"/)?.[0]), []);
  // the policy fixed exists, and policy-user-metadata tells what it trusts
  const fixed = applyFix(ws, mine[0]!);
  assert.match(fixed.text('supabase/migrations/20250730165336_notifications.sql') ?? '', /SELECT unnest\(specialties\) FROM profiles/);
  assert.deepEqual(findingsOf(fixed, ID), []);
  assert.ok(findingsOf(fixed, 'policy-user-metadata').some((f) => f.message.includes('"Vendors can view their own notifications"')));
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q('CREATE TABLE auth.users (id uuid PRIMARY KEY, email text, raw_user_meta_data jsonb)');
    const errors = await runEachStatement(q, sqlOf(ws));
    assert.deepEqual(errors.map((e) => `${e.code} ${e.message}`), ['42883 operator does not exist: text = text[]', '42P07 relation "profiles" already exists']);
  });
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q('CREATE TABLE auth.users (id uuid PRIMARY KEY, email text, raw_user_meta_data jsonb)');
    assert.deepEqual((await runEachStatement(q, sqlOf(fixed))).map((e) => e.code), ['42P07']);
    assert.equal(await count(q, `(SELECT 1 FROM pg_policy WHERE polrelid = 'consultation_notifications'::regclass) p`), 1);
  });
});

test('ok: what the text does not tell for certain, or PostgreSQL accepts, is not reported (an array compared with arrays, a scalar column, a sub-select of unnest, a column retyped later, types that disagree, a CTE); PGlite: the accepted ones run', async () => {
  const base = `${PROFILES.replace("'{}');", "'{}', tag text, ints int[]);")}`;
  const runs = [
    `CREATE POLICY p ON services USING (ARRAY[name] = ANY (SELECT specialties FROM profiles));`,
    `CREATE POLICY p ON services USING (name = ANY (SELECT tag FROM profiles));`,
    `CREATE POLICY p ON services USING (name = ANY (SELECT unnest(specialties) FROM profiles));`,
    `CREATE POLICY p ON services USING (name = ANY (SELECT s FROM profiles, unnest(specialties) s));`,
    `CREATE POLICY p ON services USING (name IN (WITH x AS (SELECT tag AS specialties FROM profiles) SELECT specialties FROM x));`,
  ];
  for (const c of runs) {
    assert.deepEqual(lintFiles([{ file: 'm.sql', text: base + c }], ID).mine, [], c);
    await inRollback(await getDb(), async (q) => assert.deepEqual(await runEachStatement(q, base + c), [], c));
  }
  const mismatch = 'CREATE POLICY p ON services USING (name = ANY (SELECT specialties FROM profiles));';
  assert.equal(lintFiles([{ file: 'm.sql', text: base + mismatch }], ID).mine.length, 1);
  // retyped by a later migration, or added with another type than the CREATE TABLE's: not said
  assert.deepEqual(lintFiles([{ file: '1.sql', text: base + mismatch }, { file: '2.sql', text: 'ALTER TABLE profiles ALTER COLUMN specialties TYPE text;' }], ID).mine, []);
  assert.deepEqual(lintFiles([{ file: '1.sql', text: base.replace("specialties text[] NOT NULL DEFAULT '{}', ", '') }, { file: '2.sql', text: 'ALTER TABLE profiles ADD COLUMN IF NOT EXISTS specialties text[];' }, { file: '3.sql', text: 'ALTER TABLE profiles ADD COLUMN IF NOT EXISTS specialties text;' }, { file: '4.sql', text: mismatch }], ID).mine, []);
  // added only after the policy: PostgreSQL stops at the column (42703), not said here
  assert.deepEqual(lintFiles([{ file: '1.sql', text: base.replace("specialties text[] NOT NULL DEFAULT '{}', ", '') + mismatch }, { file: '2.sql', text: 'ALTER TABLE profiles ADD COLUMN specialties text[];' }], ID).mine, []);
});

test('ok: re-lints follow the type of the array column into other files (an ADD COLUMN, a CREATE TABLE made again), as a fresh lint does', () => {
  const files = {
    '1.sql': 'CREATE TABLE profiles (id uuid PRIMARY KEY);\nCREATE TABLE services (id bigint PRIMARY KEY, name text NOT NULL);\nALTER TABLE services ENABLE ROW LEVEL SECURITY;\n',
    '2.sql': 'ALTER TABLE profiles ADD COLUMN specialties text[];\n',
    '3.sql': 'CREATE POLICY p ON services USING (name = ANY (SELECT specialties FROM profiles));\n',
  };
  assert.deepEqual(
    steps(files, ID, [
      ['2.sql', 'ALTER TABLE profiles ADD COLUMN specialties text;\n'],
      ['2.sql', 'ALTER TABLE profiles ADD COLUMN specialties text[];\n'],
      ['4.sql', 'CREATE TABLE profiles (id uuid PRIMARY KEY, specialties text);\n'],
      ['4.sql', 'CREATE TABLE profiles (id uuid PRIMARY KEY, specialties text[]);\n'],
      ['4.sql', 'CREATE TABLE profiles (id uuid PRIMARY KEY, specialties varchar[]);\n'],
    ]),
    [1, 0, 1, 0, 1, 0],
  );
});
