// policy-invalid-enum-value: a string compared with an enum column that is not one of the type's
// values fails the CREATE POLICY with 22P02 (PGlite), where the migrations make it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, closeDb, count, freshDb, getDb, inRollback, tryQuery } from '../helpers/pg.js';
import { initParser, invalidFinding, lintDocExample, lintFiles, sqlOf, textAt } from '../helpers/rule-proof.js';
import { AUTH_STUB_SQL } from '../helpers/supabase.js';
import { mergeConfig } from '../../server/src/analysis/config.js';

const ID = 'policy-invalid-enum-value';
before(initParser);
after(closeAll);

test("err: the Invalid example: 'advisor' is no value of app_role when the policy is made; PGlite rejects the CREATE POLICY with 22P02, and accepts the Valid example's", async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), "'advisor'");
  assert.match(finding.message, /^Policy "advisors_read" on public\.events compares profiles\.role, of the enum type app_role, with 'advisor', which is not one of its values \('administrator', 'collaborator'\) when the policy is made: .*22P02 invalid input value for enum app_role: "advisor", so the policy is not created/);
  const sql = sqlOf(ws);
  const policyAt = sql.indexOf('CREATE POLICY advisors_read');
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql.slice(0, policyAt));
    const r = await tryQuery(q, sql.slice(policyAt));
    assert.equal(r.ok ? 'created' : r.error.code, '22P02');
    assert.equal(r.ok ? '' : r.error.message, 'invalid input value for enum app_role: "advisor"');
  });
  const valid = lintDocExample(ID, 'valid', 0);
  assert.equal(valid.mine.length, 0);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sqlOf(valid.ws));
    assert.equal((await q(`SELECT count(*)::int AS n FROM pg_policies WHERE policyname = 'advisors_read'`))[0]!.n, 1);
  });
});

test('err: the forms PostgreSQL converts (=, <>, IN, the string first, a cast to the type) are reported; a value added before the policy, a cast to text, or a value added only later (reported: too late) behave as on PGlite', async () => {
  const head = `CREATE TYPE public.user_role AS ENUM ('admin', 'user');
CREATE TABLE public.profiles (id uuid PRIMARY KEY, role public.user_role NOT NULL DEFAULT 'user');
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
`;
  const policies = [
    ["role = 'usuario'", '22P02'],
    ["role IN ('admin', 'advisor')", '22P02'],
    ["role <> 'advisor'", '22P02'],
    ["'advisor' = role", '22P02'],
    ["role = 'advisor'::public.user_role", '22P02'],
    ["role::text = 'advisor'", 'created'],
    ["role = 'admin'", 'created'],
  ] as const;
  const text = head + policies.map(([u], i) => `CREATE POLICY p${i} ON public.profiles FOR SELECT USING (${u});`).join('\n') + `\nALTER TYPE public.user_role ADD VALUE 'advisor';\n`;
  const { mine } = lintFiles([{ file: 'db/1.sql', text }], ID);
  assert.deepEqual(mine.map((f) => /^Policy "(p\d)"/.exec(f.message)?.[1]), ['p0', 'p1', 'p2', 'p3', 'p4']);
  await inRollback(await getDb(), async (q) => {
    await q(head);
    for (const [i, [u, expected]] of policies.entries()) {
      const r = await tryQuery(q, `CREATE POLICY p${i} ON public.profiles FOR SELECT USING (${u})`);
      assert.equal(r.ok ? 'created' : r.error.code, expected, u);
    }
  });
  // the value added first: nothing to report
  const added = head.replace("ALTER TABLE", "ALTER TYPE public.user_role ADD VALUE 'advisor';\nALTER TYPE public.user_role RENAME VALUE 'user' TO 'usuario';\nALTER TABLE") + policies.slice(0, 5).map(([u], i) => `CREATE POLICY p${i} ON public.profiles FOR SELECT USING (${u});`).join('\n');
  assert.equal(lintFiles([{ file: 'db/1.sql', text: added }], ID).mine.length, 0);
});

test("ok: a column moved to another enum type (ALTER COLUMN … TYPE: zen-demand's team_members.role) takes that type's values from then on, and a string cast to another type is that type's (42883 on PGlite, not 22P02): neither is reported; before the move a value of the old type only is", async () => {
  const head = `CREATE TYPE public.team_role AS ENUM ('admin', 'requester');
CREATE TYPE public.membership_role AS ENUM ('owner', 'member');
CREATE TABLE public.team_members (team_id int, user_id uuid, role public.team_role NOT NULL);
ALTER TABLE public.team_members ENABLE ROW LEVEL SECURITY;
`;
  const before = `CREATE POLICY cast_before ON public.team_members FOR INSERT WITH CHECK (role = 'owner'::public.membership_role);
CREATE POLICY plain_before ON public.team_members FOR INSERT WITH CHECK (role = 'owner');
`;
  const move = `ALTER TABLE public.team_members ALTER COLUMN role TYPE public.membership_role USING 'member';
`;
  const after_ = `CREATE POLICY plain_after ON public.team_members FOR INSERT WITH CHECK (role = 'owner');
CREATE POLICY old_after ON public.team_members FOR INSERT WITH CHECK (role = 'requester');
`;
  const { mine } = lintFiles([{ file: 'db/1.sql', text: head + before + move + after_ }], ID);
  assert.deepEqual(mine.map((f) => /^Policy "(\w+)"/.exec(f.message)?.[1]), ['plain_before', 'old_after']);
  await inRollback(await getDb(), async (q) => {
    await q(head);
    const cast = await tryQuery(q, "CREATE POLICY cast_before ON public.team_members FOR INSERT WITH CHECK (role = 'owner'::public.membership_role)");
    assert.equal(cast.ok ? 'created' : cast.error.code, '42883');
    const plain = await tryQuery(q, "CREATE POLICY plain_before ON public.team_members FOR INSERT WITH CHECK (role = 'owner')");
    assert.equal(plain.ok ? 'created' : plain.error.code, '22P02');
    await q(move);
    const later = await tryQuery(q, "CREATE POLICY plain_after ON public.team_members FOR INSERT WITH CHECK (role = 'owner')");
    assert.ok(later.ok);
    const old = await tryQuery(q, "CREATE POLICY old_after ON public.team_members FOR INSERT WITH CHECK (role = 'requester')");
    assert.equal(old.ok ? 'created' : old.error.code, '22P02');
  });
});

test("err: a string cast to an enum type it is no value of, as a helper's argument (cavity-care-pro's has_role(auth.uid(), 'admin'::app_role), whose app_role has no 'admin'): PostgreSQL rejects the CREATE POLICY with 22P02; a value of the type is fine", async () => {
  const text = `CREATE TYPE public.app_role AS ENUM ('super_admin', 'doctor');
CREATE TABLE public.user_roles (user_id uuid NOT NULL, role public.app_role NOT NULL);
CREATE FUNCTION public.has_role(_user_id uuid, _role public.app_role) RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT true $$;
CREATE TABLE public.patients (id uuid PRIMARY KEY, full_name text);
ALTER TABLE public.patients ENABLE ROW LEVEL SECURITY;
CREATE POLICY read_patients ON public.patients FOR SELECT TO authenticated
  USING (public.has_role(auth.uid(), 'super_admin'::public.app_role) OR public.has_role(auth.uid(), 'admin'::public.app_role));
`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/20250920083323_roles.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^Policy "read_patients" on public\.patients casts 'admin' to the enum type public\.app_role, which has no such value \('super_admin', 'doctor'\) when the policy is made: .*22P02/);
  const fine = text.replace("'admin'::public.app_role", "'doctor'::public.app_role");
  assert.equal(lintFiles([{ file: 'supabase/migrations/20250920083323_roles.sql', text: fine }], ID).mine.length, 0);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    const r = await tryQuery(q, text);
    assert.equal(!r.ok && r.error.code, '22P02');
    await q(fine);
    assert.equal(await count(q, `(SELECT 1 FROM pg_policies WHERE policyname = 'read_patients') p`), 1);
  });
});

test('err: a CREATE POLICY rejected with 22P02 makes no policy: the same policy written again in a later migration is no 42710 collision, and the rejected one is counted by no other rule (cavity-care-pro; PGlite, each migration in its transaction as a migration tool runs it)', async () => {
  const files = [
    {
      file: 'supabase/migrations/001_base.sql',
      text: `CREATE TYPE public.app_role AS ENUM ('super_admin', 'doctor');
CREATE TABLE public.user_roles (user_id uuid NOT NULL, role public.app_role NOT NULL);
ALTER TABLE public.user_roles ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.has_role(_user_id uuid, _role public.app_role) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT EXISTS (SELECT 1 FROM public.user_roles WHERE user_id = _user_id AND role = _role) $$;
CREATE TABLE public.patients (id uuid PRIMARY KEY);
ALTER TABLE public.patients ENABLE ROW LEVEL SECURITY;
`,
    },
    {
      file: 'supabase/migrations/002_try.sql',
      text: `CREATE POLICY "admins manage" ON public.patients FOR ALL TO authenticated
  USING ((SELECT public.has_role(auth.uid(), 'super_admin'::public.app_role)));
CREATE POLICY "staff read" ON public.patients FOR SELECT TO authenticated
  USING ((SELECT public.has_role(auth.uid(), 'admin'::public.app_role)));
`,
    },
    {
      file: 'supabase/migrations/003_retry.sql',
      text: `CREATE POLICY "admins manage" ON public.patients FOR ALL TO authenticated
  USING ((SELECT public.has_role(auth.uid(), 'super_admin'::public.app_role)));
`,
    },
  ];
  const { findings, mine } = lintFiles(files, ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^Policy "staff read" on public\.patients casts 'admin' to the enum type public\.app_role/);
  // (before: policy-already-exists said 003's CREATE POLICY fails with 42710, and
  // policy-multiple-permissive counted "staff read" beside "admins manage")
  assert.deepEqual(findings.filter((f) => f.rule === 'policy-already-exists' || f.rule === 'policy-multiple-permissive').map((f) => f.rule), []);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(files[0]!.text);
    await q('SAVEPOINT m002');
    const r = await tryQuery(q, files[1]!.text);
    assert.equal(r.ok ? 'applied' : r.error.code, '22P02');
    await q('ROLLBACK TO SAVEPOINT m002');
    await q(files[2]!.text);
    assert.deepEqual((await q(`SELECT policyname FROM pg_policies WHERE tablename = 'patients' ORDER BY 1`)).map((x) => x.policyname), ['admins manage']);
  });
});

test("err: a value ALTER TYPE … ADD VALUE adds in the same transaction (a Supabase CLI migration file, or BEGIN … COMMIT) is refused with 55P04 unsafe use of new value; after a COMMIT, in another migration, in a transaction that made the type, renamed, or in a file psql commits statement by statement, it is not (PGlite)", async () => {
  const base = {
    file: 'supabase/migrations/001_base.sql',
    text: `CREATE TYPE public.app_role AS ENUM ('admin', 'member');
CREATE TABLE public.docs (id bigint PRIMARY KEY, owner uuid NOT NULL, role public.app_role NOT NULL DEFAULT 'member');
ALTER TABLE public.docs ENABLE ROW LEVEL SECURITY;
`,
  };
  const policy = `CREATE POLICY docs_auditor ON public.docs FOR SELECT TO authenticated USING (role = 'auditor');\n`;
  const add = `ALTER TYPE public.app_role ADD VALUE 'auditor';\n`;
  const lint = (files: Array<{ file: string; text: string }>) => lintFiles(files, ID).mine;
  // the Supabase CLI: one migration file, one transaction
  const found = lint([base, { file: 'supabase/migrations/002_auditors.sql', text: `-- auditors\n${add}${policy}` }]);
  assert.equal(found.length, 1);
  assert.match(found[0]!.message, /^Policy "docs_auditor" on public\.docs compares role, of the enum type public\.app_role, with 'auditor', a value the ALTER TYPE … ADD VALUE of line 2 adds in the same transaction \(the Supabase CLI runs each migration file as one transaction\): .*55P04 unsafe use of new value "auditor" of enum type public\.app_role, so the policy is not created/);
  // an explicit transaction of a plain migration
  const tx = lint([{ ...base, file: 'db/001_base.sql' }, { file: 'db/002_auditors.sql', text: `BEGIN;\n${add}${policy}COMMIT;\n` }]);
  assert.equal(tx.length, 1);
  assert.match(tx[0]!.message, /the one its BEGIN of line 1 opens/);
  // not reported: committed in between, another migration, psql's statement-by-statement commits, the type made in the same transaction, a rename, a value it had
  assert.deepEqual(lint([{ ...base, file: 'db/001_base.sql' }, { file: 'db/002_auditors.sql', text: `BEGIN;\n${add}COMMIT;\nBEGIN;\n${policy}COMMIT;\n` }]), []);
  assert.deepEqual(lint([base, { file: 'supabase/migrations/002_enum.sql', text: add }, { file: 'supabase/migrations/003_auditors.sql', text: policy }]), []);
  assert.deepEqual(lint([{ ...base, file: 'db/001_base.sql' }, { file: 'db/002_auditors.sql', text: `${add}${policy}` }]), []);
  assert.deepEqual(lint([{ file: 'supabase/migrations/001_base.sql', text: `${base.text}${add}${policy}` }]), []);
  assert.deepEqual(lint([base, { file: 'supabase/migrations/002_rename.sql', text: `ALTER TYPE public.app_role RENAME VALUE 'member' TO 'auditor';\n${policy}` }]), []);
  assert.deepEqual(lint([base, { file: 'supabase/migrations/002_again.sql', text: `ALTER TYPE public.app_role ADD VALUE IF NOT EXISTS 'admin';\n${policy.replace("'auditor'", "'admin'")}` }]), []);

  // PostgreSQL: the type committed before (another migration), then the migration in one transaction
  const db = await getDb();
  await db.exec(`CREATE TYPE public.app_role_55p04 AS ENUM ('admin', 'member');`);
  try {
    const ddl = base.text.replace('CREATE TYPE public.app_role AS ENUM (\'admin\', \'member\');\n', '').replaceAll('app_role', 'app_role_55p04');
    const mig = (s: string) => s.replaceAll('app_role', 'app_role_55p04');
    await inRollback(db, async (q) => {
      await q(AUTH_STUB_SQL);
      await q(ddl);
      const r = await tryQuery(q, mig(`${add}${policy}`));
      assert.equal(r.ok ? 'created' : `${r.error.code} ${r.error.message}`, '55P04 unsafe use of new value "auditor" of enum type app_role_55p04');
    });
    await inRollback(db, async (q) => {
      await q(AUTH_STUB_SQL);
      await q(ddl);
      await q(mig(`ALTER TYPE public.app_role RENAME VALUE 'member' TO 'auditor';\n${policy}`));
    });
    // (made in the same transaction: its new value may be used)
    await inRollback(db, async (q) => {
      await q(AUTH_STUB_SQL);
      await q(`${base.text}${add}${policy}`);
      assert.equal(await count(q, `SELECT 1 FROM pg_policies WHERE policyname = 'docs_auditor'`), 1);
    });
    // committed first (another migration, or psql -f's own commit): the policy is made
    await db.exec(mig(add));
    await inRollback(db, async (q) => {
      await q(AUTH_STUB_SQL);
      await q(ddl);
      await q(mig(policy));
      assert.equal(await count(q, `SELECT 1 FROM pg_policies WHERE policyname = 'docs_auditor'`), 1);
    });
  } finally {
    await db.exec('DROP TYPE public.app_role_55p04 CASCADE');
  }
});

test("err: the second Invalid example: BEGIN; ALTER TYPE … ADD VALUE 'advisor'; a policy comparing role with it; COMMIT: PGlite refuses the CREATE POLICY with 55P04, and the transaction rolls back with the new value", async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.equal(textAt(ws, finding), "'advisor'");
  assert.match(finding.message, /a value the ALTER TYPE … ADD VALUE of line 6 adds in the same transaction \(the one its BEGIN of line 5 opens\): .*55P04 unsafe use of new value "advisor" of enum type app_role/);
  // (a database of its own: the statements before BEGIN commit, as psql runs them)
  const db = await freshDb();
  try {
    await db.exec(AUTH_STUB_SQL);
    const sql = sqlOf(ws);
    const at = sql.indexOf('BEGIN;');
    await db.exec(sql.slice(0, at));
    const r = await db.exec(sql.slice(at)).then(() => 'applied', (e: { code?: string; message?: string }) => `${e.code} ${e.message}`);
    assert.equal(r, '55P04 unsafe use of new value "advisor" of enum type app_role');
    await db.exec('ROLLBACK');
    assert.deepEqual((await db.query(`SELECT enum_range(NULL::app_role)::text AS r`)).rows, [{ r: '{administrator,collaborator}' }]);
  } finally {
    await closeDb(db);
  }
});

test("err: a string passed for a helper's parameter of an enum type (the usual `has_role(auth.uid(), 'advisor')` with `_role app_role`), positional, named or before a default, is converted as PostgreSQL resolves the call: 22P02 when it is no value of the type, 55P04 when the same transaction added it; not with an overload taking text (PostgreSQL picks it), nor a helper made after the policy (42883 first) (PGlite)", async () => {
  const head = `CREATE TYPE public.app_role AS ENUM ('admin', 'user');
CREATE TABLE public.user_roles (user_id uuid NOT NULL, role public.app_role NOT NULL);
CREATE TABLE public.docs (id bigint PRIMARY KEY);
ALTER TABLE public.docs ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.has_role(_user_id uuid, _role public.app_role) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$ SELECT EXISTS (SELECT 1 FROM public.user_roles WHERE user_id = _user_id AND role = _role) $$;
CREATE FUNCTION public.is_role(_role public.app_role, _user_id uuid DEFAULT auth.uid()) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$ SELECT EXISTS (SELECT 1 FROM public.user_roles WHERE user_id = _user_id AND role = _role) $$;
`;
  const lint = (policy: string, extra = '') => lintFiles([{ file: 'supabase/migrations/001_base.sql', text: head + extra }, { file: 'supabase/migrations/002_docs.sql', text: policy }], ID).mine;
  const p = (expr: string) => `CREATE POLICY docs_read ON public.docs FOR SELECT TO authenticated USING (${expr});\n`;
  const cases: Array<[string, string | undefined]> = [
    [p(`public.has_role(auth.uid(), 'advisor')`), "passes 'advisor' for has_role's parameter _role, of the enum type public.app_role, which is not one of its values ('admin', 'user')"],
    [p(`has_role(_role => 'advisor', _user_id => (select auth.uid()))`), "passes 'advisor' for has_role's parameter _role"],
    [p(`public.is_role('advisor')`), "passes 'advisor' for is_role's parameter _role"],
    [p(`public.has_role(auth.uid(), 'admin')`), undefined],
    [`ALTER TYPE public.app_role ADD VALUE 'advisor';\n${p(`public.has_role(auth.uid(), 'advisor')`)}`, "passes 'advisor' for has_role's parameter _role, of the enum type public.app_role, a value the ALTER TYPE … ADD VALUE of line 1 adds in the same transaction"],
  ];
  for (const [policy, message] of cases) {
    const found = lint(policy);
    assert.deepEqual(found.map((f) => f.message.includes(message ?? '\u0000')), message ? [true] : [], policy);
  }
  // (an overload taking text: PostgreSQL resolves the unknown string to it)
  const overload = `CREATE FUNCTION public.has_role(_user_id uuid, _role text) RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT false $$;\n`;
  assert.deepEqual(lint(p(`public.has_role(auth.uid(), 'advisor')`), overload), []);
  // (the helper made only after the policy: PostgreSQL stops at the call, 42883, not at the string)
  assert.deepEqual(lintFiles([{ file: 'supabase/migrations/001_base.sql', text: head.slice(0, head.indexOf('CREATE FUNCTION')) }, { file: 'supabase/migrations/002_docs.sql', text: p(`public.has_role(auth.uid(), 'advisor')`) + head.slice(head.indexOf('CREATE FUNCTION')) }], ID).mine, []);

  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(head);
    for (const expr of [`public.has_role(auth.uid(), 'advisor')`, `public.has_role(_role => 'advisor', _user_id => (select auth.uid()))`, `public.is_role('advisor')`]) {
      await q('SAVEPOINT s');
      const r = await tryQuery(q, p(expr));
      assert.equal(r.ok ? 'created' : `${r.error.code} ${r.error.message}`, '22P02 invalid input value for enum app_role: "advisor"', expr);
      await q('ROLLBACK TO SAVEPOINT s');
    }
    await q(p(`public.has_role(auth.uid(), 'admin')`));
    await q('DROP POLICY docs_read ON public.docs');
    await q(overload);
    await q(p(`public.has_role(auth.uid(), 'advisor')`));
    assert.equal(await count(q, `SELECT 1 FROM pg_policies WHERE policyname = 'docs_read'`), 1);
  });
});

test("err: arrays of strings converted to an enum type's array: `role = ANY ('{admin,advisor}')` and `ARRAY['admin','advisor']::app_role[]` fail with 22P02 on the string that is no value (reported on it, in the literal too); all values: none (PGlite)", async () => {
  const head = `CREATE TYPE public.app_role AS ENUM ('admin', 'user');
CREATE TABLE public.docs (id bigint PRIMARY KEY, role public.app_role NOT NULL);
ALTER TABLE public.docs ENABLE ROW LEVEL SECURITY;
`;
  const p = (expr: string) => `CREATE POLICY docs_read ON public.docs FOR SELECT TO authenticated USING (${expr});\n`;
  const bad = [`role = ANY ('{admin,advisor}')`, `role = ANY (ARRAY['admin', 'advisor']::public.app_role[])`, `role <> ALL ('{ user , advisor }'::app_role[])`];
  const good = [`role = ANY ('{admin, user}')`, `role = ANY (ARRAY['admin', 'user']::public.app_role[])`];
  for (const expr of bad) {
    const { ws, mine } = lintFiles([{ file: 'db/001.sql', text: head + p(expr) }], ID);
    assert.equal(mine.length, 1, expr);
    assert.equal(textAt(ws, mine[0]!).replace(/'/g, ''), 'advisor', expr);
    assert.match(mine[0]!.message, /'advisor'(, | to the enum type public\.app_role, )which (is not one of its values|has no such value) \('admin', 'user'\)/);
  }
  for (const expr of good) assert.deepEqual(lintFiles([{ file: 'db/001.sql', text: head + p(expr) }], ID).mine, [], expr);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(head);
    for (const expr of bad) {
      await q('SAVEPOINT s');
      const r = await tryQuery(q, p(expr));
      assert.equal(r.ok ? 'created' : `${r.error.code} ${r.error.message}`, '22P02 invalid input value for enum app_role: "advisor"', expr);
      await q('ROLLBACK TO SAVEPOINT s');
    }
    for (const expr of good) {
      await q(p(expr));
      await q('DROP POLICY docs_read ON public.docs');
    }
  });
});

test("err: 55P04 where a migration tool runs the file as one transaction: dbmate (-- migrate:up), goose (-- +goose Up), sql-migrate (-- +migrate Up), golang-migrate (<version>_x.up.sql: one query), Flyway (V<version>__x.sql); not with dbmate's transaction:false, goose's NO TRANSACTION, sql-migrate's notransaction, sqlx's -- no-transaction, a Flyway file holding CREATE INDEX CONCURRENTLY, nor PostgreSQL 11 (PGlite: one query and one transaction refuse the value, statement by statement it is made)", async () => {
  const base = `CREATE TYPE public.app_role AS ENUM ('admin', 'member');
CREATE TABLE public.docs (id bigint PRIMARY KEY, owner uuid NOT NULL, role public.app_role NOT NULL DEFAULT 'member');
ALTER TABLE public.docs ENABLE ROW LEVEL SECURITY;
`;
  const add = `ALTER TYPE public.app_role ADD VALUE 'auditor';\n`;
  const policy = `CREATE POLICY docs_auditor ON public.docs FOR SELECT TO authenticated USING (role = 'auditor');\n`;
  const tool = (files: Array<{ file: string; text: string }>, config?: Parameters<typeof mergeConfig>[0]) =>
    lintFiles(files, ID, config ? mergeConfig(config) : undefined).mine.map((f) => /adds in the same transaction \((.*?)\): PostgreSQL refuses/.exec(f.message)?.[1] ?? f.message);
  // dbmate
  const dbmate = (up: string) => [
    { file: 'db/migrations/20240101000000_base.sql', text: `-- migrate:up\n${base}\n-- migrate:down\nDROP TABLE public.docs;\n` },
    { file: 'db/migrations/20240102000000_auditors.sql', text: `${up}\n${add}${policy}\n-- migrate:down\nDROP POLICY docs_auditor ON public.docs;\n` },
  ];
  assert.deepEqual(tool(dbmate('-- migrate:up')), ['dbmate runs each migration in one transaction (its `-- migrate:up` line does not say `transaction:false`)']);
  assert.deepEqual(tool(dbmate('-- migrate:up transaction:false')), []);
  // goose
  const goose = (head: string) => [
    { file: 'migrations/00001_base.sql', text: `-- +goose Up\n${base}\n-- +goose Down\nDROP TABLE public.docs;\n` },
    { file: 'migrations/00002_auditors.sql', text: `${head}-- +goose Up\n${add}${policy}\n-- +goose Down\nDROP POLICY docs_auditor ON public.docs;\n` },
  ];
  assert.deepEqual(tool(goose('')), ['goose runs each migration in one transaction (the file has no `-- +goose NO TRANSACTION` annotation)']);
  assert.deepEqual(tool(goose('-- +goose NO TRANSACTION\n')), []);
  // sql-migrate
  const sqlMigrate = (up: string) => [
    { file: 'migrations/1_base.sql', text: `-- +migrate Up\n${base}\n-- +migrate Down\nDROP TABLE public.docs;\n` },
    { file: 'migrations/2_auditors.sql', text: `${up}\n${add}${policy}\n-- +migrate Down\nDROP POLICY docs_auditor ON public.docs;\n` },
  ];
  assert.deepEqual(tool(sqlMigrate('-- +migrate Up')), ['sql-migrate runs each migration in one transaction (its `-- +migrate Up` line does not say `notransaction`)']);
  assert.deepEqual(tool(sqlMigrate('-- +migrate Up notransaction')), []);
  // golang-migrate (and sqlx's opt-out)
  const golang = (head: string) => [
    { file: 'migrations/000001_base.up.sql', text: base },
    { file: 'migrations/000002_auditors.up.sql', text: `${head}${add}${policy}` },
    { file: 'migrations/000002_auditors.down.sql', text: 'DROP POLICY docs_auditor ON public.docs;\n' },
  ];
  assert.deepEqual(tool(golang('')), ["golang-migrate's postgres driver sends the whole `.up.sql` file in one query, which PostgreSQL runs as one transaction (unless the database URL sets x-multi-statement)"]);
  assert.deepEqual(tool(golang('-- no-transaction\n')), []);
  // Flyway
  const flyway = (extra: string) => [
    { file: 'src/main/resources/db/migration/V1__base.sql', text: base },
    { file: 'src/main/resources/db/migration/V2__auditors.sql', text: `${add}${policy}${extra}` },
  ];
  assert.deepEqual(tool(flyway('')), ['Flyway runs each migration in one transaction (executeInTransaction is true by default: unless a script configuration file `<migration>.sql.conf` or the project configuration turns it off)']);
  assert.deepEqual(tool(flyway('-- an index built without a lock\nCREATE INDEX CONCURRENTLY docs_role ON public.docs (role);\n')), []);
  assert.deepEqual(tool(flyway(''), { postgresVersion: 11 }), []);
  // a plain numbered file: psql -f, statement by statement
  assert.deepEqual(tool([{ file: 'sql/001_base.sql', text: base }, { file: 'sql/002_auditors.sql', text: `${add}${policy}` }]), []);

  // PostgreSQL: the same statements sent as one query (golang-migrate's Exec, a pgx batch) or in one
  // transaction (dbmate, goose, Flyway) are refused and roll back with the ADD VALUE; sent one by one,
  // the value is committed first and the policy made
  const db = await getDb();
  const t = 'app_role_tools';
  const mig = (s: string) => s.replaceAll('app_role', t).replaceAll('public.docs', 'public.docs_tools').replace('docs_auditor', 'docs_tools_auditor');
  await db.exec(mig(base));
  try {
    const one = await db.exec(mig(`${add}${policy}`)).then(() => 'created', (e: { code?: string; message?: string }) => `${e.code} ${e.message}`);
    assert.equal(one, `55P04 unsafe use of new value "auditor" of enum type ${t}`);
    assert.equal((await db.query<{ r: string }>(`SELECT enum_range(NULL::public.${t})::text AS r`)).rows[0]!.r, '{admin,member}');
    await inRollback(db, async (q) => {
      await q(AUTH_STUB_SQL);
      const r = await tryQuery(q, mig(`${add}${policy}`));
      assert.equal(r.ok ? 'created' : `${r.error.code} ${r.error.message}`, `55P04 unsafe use of new value "auditor" of enum type ${t}`);
    });
    await db.exec(mig(add));
    await db.exec(mig(policy));
    assert.equal((await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_policies WHERE policyname = 'docs_tools_auditor'`)).rows[0]!.n, 1);
  } finally {
    await db.exec(`DROP TABLE public.docs_tools; DROP TYPE public.${t}`);
  }
});

test("err: a view or a LANGUAGE sql function (AS $$…$$, BEGIN ATOMIC; a column, a parameter of the type, a cast) using a value the same transaction added is refused with 55P04 as it is created; not a PL/pgSQL body (created, refused only when run), nor a SQL body with check_function_bodies off, nor in a file psql commits statement by statement (PGlite)", async () => {
  const base = {
    file: 'supabase/migrations/001_base.sql',
    text: `CREATE TYPE public.app_role AS ENUM ('admin', 'member');
CREATE TABLE public.docs (id bigint PRIMARY KEY, owner uuid NOT NULL, role public.app_role NOT NULL DEFAULT 'member');
`,
  };
  const add = `ALTER TYPE public.app_role ADD VALUE 'auditor';\n`;
  const objects = [
    ['view', `CREATE VIEW public.auditor_docs AS SELECT * FROM public.docs d WHERE d.role = 'auditor';`, '55P04'],
    ['sql', `CREATE FUNCTION public.is_auditor(r public.app_role) RETURNS boolean LANGUAGE sql AS $$ SELECT r = 'auditor' $$;`, '55P04'],
    ['atomic', `CREATE FUNCTION public.auditor_count() RETURNS bigint LANGUAGE sql BEGIN ATOMIC SELECT count(*) FROM public.docs WHERE role IN ('admin', 'auditor'); END;`, '55P04'],
    ['cast', `CREATE FUNCTION public.auditor() RETURNS public.app_role LANGUAGE sql AS $$ SELECT 'auditor'::public.app_role $$;`, '55P04'],
    ['plpgsql', `CREATE FUNCTION public.is_auditor2(r public.app_role) RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN RETURN r = 'auditor'; END $$;`, 'created'],
    ['unchecked', `SET check_function_bodies = off;\nCREATE FUNCTION public.is_auditor3(r public.app_role) RETURNS boolean LANGUAGE sql AS $$ SELECT r = 'auditor' $$;`, 'created'],
  ] as const;
  const lint = (file: string, sql: string) => lintFiles([base, { file, text: `${add}${sql}\n` }], ID).mine;
  for (const [what, sql, expected] of objects) {
    const found = lint('supabase/migrations/002_auditors.sql', sql);
    assert.equal(found.length, expected === '55P04' ? 1 : 0, what);
    // psql -f: the ADD VALUE is committed before the next statement
    assert.deepEqual(lint('db/002_auditors.sql', sql), [], what);
  }
  const view = lint('supabase/migrations/002_auditors.sql', objects[0][1])[0]!;
  assert.match(view.message, /^View public\.auditor_docs compares d\.role, of the enum type public\.app_role, with 'auditor', a value the ALTER TYPE … ADD VALUE of line 1 adds in the same transaction \(the Supabase CLI runs each migration file as one transaction\): .* rejects the CREATE VIEW with 55P04 unsafe use of new value "auditor" of enum type public\.app_role, so the view is not created/);
  const fn = lint('supabase/migrations/002_auditors.sql', objects[1][1])[0]!;
  assert.match(fn.message, /^The body of function public\.is_auditor \(LANGUAGE sql, which PostgreSQL analyses as it creates the function: check_function_bodies is on\) compares r, of the enum type public\.app_role, with 'auditor', .* rejects the CREATE FUNCTION with 55P04 .* so the function is not created/);
  assert.match(lint('supabase/migrations/002_auditors.sql', objects[3][1])[0]!.message, /casts 'auditor' to the enum type public\.app_role/);

  const db = await getDb();
  const t = 'app_role_objects';
  const mig = (s: string) => s.replaceAll('public.app_role', `public.${t}`).replaceAll('public.docs', 'public.docs_objects');
  await db.exec(mig(base.text));
  try {
    for (const [what, sql, expected] of objects) {
      await inRollback(db, async (q) => {
        const r = await tryQuery(q, mig(`${add}${sql}`));
        assert.equal(r.ok ? 'created' : `${r.error.code} ${r.error.message}`, expected === '55P04' ? `55P04 unsafe use of new value "auditor" of enum type ${t}` : 'created', what);
        if (what === 'plpgsql') {
          const run = await tryQuery(q, `SELECT public.is_auditor2('admin')`);
          assert.equal(run.ok ? 'ran' : `${run.error.code} ${run.error.message}`, `55P04 unsafe use of new value "auditor" of enum type ${t}`);
        }
      });
    }
  } finally {
    await db.exec(`DROP TABLE public.docs_objects; DROP TYPE public.${t}`);
  }
});

test("err: the third Invalid example (dbmate: ADD VALUE 'auditor', then a view reading role = 'auditor'): reported on the string; PGlite, each up section in one transaction as dbmate runs it: the view is refused with 55P04 and the value rolls back with it", async () => {
  const { ws, finding } = invalidFinding(ID, 2);
  assert.equal(textAt(ws, finding), "'auditor'");
  assert.match(finding.message, /^View public\.auditors compares role, of the enum type app_role, with 'auditor', a value the ALTER TYPE … ADD VALUE of line 2 adds in the same transaction \(dbmate runs each migration in one transaction/);
  const ups = lintDocExample(ID, 'invalid', 2).ex.files.map((f) => f.text.slice(0, f.text.indexOf('-- migrate:down')));
  const db = await freshDb();
  try {
    await db.exec(`BEGIN;\n${ups[0]}\nCOMMIT;`);
    const r = await db.exec(`BEGIN;\n${ups[1]}\nCOMMIT;`).then(() => 'created', (e: { code?: string; message?: string }) => `${e.code} ${e.message}`);
    assert.equal(r, '55P04 unsafe use of new value "auditor" of enum type app_role');
    await db.exec('ROLLBACK');
    assert.equal((await db.query<{ r: string }>(`SELECT enum_range(NULL::app_role)::text AS r`)).rows[0]!.r, '{administrator,collaborator}');
  } finally {
    await closeDb(db);
  }
});

test("ok/err: an ALTER TYPE … RENAME VALUE or ADD VALUE a DO block runs with EXECUTE of a constant string (coach-house-lms' `execute 'alter type public.user_role rename value ''student'' to ''member'''`, under an IF that finds 'student' in pg_enum) changes the type's values as the statement written would: 'member' is a value, 'student' no longer is, and an added value used in the same transaction is 55P04 (PGlite)", async () => {
  const base = {
    file: 'supabase/migrations/20250108150000_bootstrap.sql',
    text: `CREATE TYPE public.user_role AS ENUM ('student', 'admin');
CREATE TABLE public.profiles (id uuid PRIMARY KEY, role public.user_role NOT NULL DEFAULT 'student');
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
`,
  };
  const rename = `do $$ begin
  if exists (
    select 1 from pg_enum e join pg_type t on t.oid = e.enumtypid join pg_namespace n on n.oid = t.typnamespace
    where n.nspname = 'public' and t.typname = 'user_role' and e.enumlabel = 'student'
  ) then
    execute 'alter type public.user_role rename value ''student'' to ''member''';
  end if;
end $$;
`;
  const member = `CREATE POLICY profiles_insert ON public.profiles FOR INSERT TO authenticated WITH CHECK (id = auth.uid() AND role = 'member');\n`;
  const student = `CREATE POLICY profiles_student ON public.profiles FOR SELECT TO authenticated USING (role = 'student');\n`;
  const mine = lintFiles([base, { file: 'supabase/migrations/20260114211000_rename.sql', text: rename }, { file: 'supabase/migrations/20260115194500_policies.sql', text: member + student }], ID).mine;
  assert.deepEqual(mine.map((f) => /^Policy "(\w+)"/.exec(f.message)?.[1]), ['profiles_student']);
  assert.match(mine[0]!.message, /with 'student', which is not one of its values \('member', 'admin'\) when the policy is made/);
  // an added value, used in the same migration file (one transaction)
  const add = `do $$ begin\n  execute 'alter type public.user_role add value ''coach''';\nend $$;\n`;
  const coach = `CREATE POLICY profiles_coach ON public.profiles FOR SELECT TO authenticated USING (role = 'coach');\n`;
  const added = lintFiles([base, { file: 'supabase/migrations/20260114211000_coach.sql', text: add + coach }], ID).mine;
  assert.equal(added.length, 1);
  assert.match(added[0]!.message, /^Policy "profiles_coach" on public\.profiles compares role, of the enum type public\.user_role, with 'coach', a value the ALTER TYPE … ADD VALUE of line 2 adds in the same transaction/);
  assert.deepEqual(lintFiles([base, { file: 'supabase/migrations/20260114211000_coach.sql', text: add }, { file: 'supabase/migrations/20260115194500_policies.sql', text: coach }], ID).mine, []);

  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q(base.text);
    await q(rename);
    await q(member);
    assert.equal(await count(q, `SELECT 1 FROM pg_policies WHERE policyname = 'profiles_insert'`), 1);
    const r = await tryQuery(q, student);
    assert.equal(r.ok ? 'created' : `${r.error.code} ${r.error.message}`, '22P02 invalid input value for enum user_role: "student"');
  });
  // (the type committed by an earlier migration, then the DO block and the policy in one transaction)
  await db.exec(base.text.replaceAll('user_role', 'user_role_do').replaceAll('profiles', 'profiles_do'));
  try {
    await inRollback(db, async (q) => {
      await q(AUTH_STUB_SQL);
      const r = await tryQuery(q, (add + coach).replaceAll('user_role', 'user_role_do').replaceAll('profiles', 'profiles_do'));
      assert.equal(r.ok ? 'created' : `${r.error.code} ${r.error.message}`, '55P04 unsafe use of new value "coach" of enum type user_role_do');
    });
  } finally {
    await db.exec('DROP TABLE public.profiles_do; DROP TYPE public.user_role_do');
  }
});

test("ok/err: an ALTER COLUMN … TYPE of an enum replayed before the table's CREATE TABLE (timmydarcy44/lms-beyond-v3: prisma/migrations/0007_…'s `ALTER COLUMN role TYPE \"ProfileRole\"` before supabase/migrations/000_…'s CREATE TABLE profiles (role text)) changes no column of that table: its policies comparing role with 'admin' are not reported; the same ALTER after the CREATE TABLE is (PGlite: 42P01 first, then the policy is made; after, 22P02)", async () => {
  const enumType = `CREATE TYPE "ProfileRole" AS ENUM ('ADMIN', 'PARTICULIER');\n`;
  const alter = `ALTER TABLE public.profiles ALTER COLUMN role TYPE "ProfileRole" USING (upper(role)::"ProfileRole");\n`;
  const table = `CREATE TABLE public.profiles (id uuid PRIMARY KEY, role text NOT NULL);\nALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;\n`;
  const policy = `CREATE POLICY profiles_admin_all ON public.profiles FOR ALL TO authenticated USING (EXISTS (SELECT 1 FROM public.profiles pr WHERE pr.id = auth.uid() AND pr.role = 'admin'));\n`;
  const before = [
    { file: 'prisma/migrations/0007_profiles_roles/migration.sql', text: enumType + alter },
    { file: 'supabase/migrations/000_admin_basics.sql', text: table + policy },
  ];
  assert.deepEqual(lintFiles(before, ID).mine, []);
  const afterTable = lintFiles([{ file: 'db/001_a.sql', text: enumType + table }, { file: 'db/002_b.sql', text: alter + policy }], ID).mine;
  assert.equal(afterTable.length, 1);
  assert.match(afterTable[0]!.message, /^Policy "profiles_admin_all" on public\.profiles compares pr\.role, of the enum type "?ProfileRole"?, with 'admin', which is not one of its values \('ADMIN', 'PARTICULIER'\)/);

  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(enumType);
    const r = await tryQuery(q, alter);
    assert.equal(r.ok ? 'altered' : r.error.code, '42P01');
  });
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(enumType + table + policy);
    assert.equal(await count(q, `SELECT 1 FROM pg_policies WHERE policyname = 'profiles_admin_all'`), 1);
  });
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(enumType + table + alter);
    const r = await tryQuery(q, policy);
    assert.equal(r.ok ? 'created' : `${r.error.code} ${r.error.message}`, '22P02 invalid input value for enum "ProfileRole": "admin"');
  });
});
