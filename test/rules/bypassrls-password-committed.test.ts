// bypassrls-password-committed on PostgreSQL (PGlite): a role created with LOGIN, BYPASSRLS and a
// password in the migration gets that password (pg_authid), can log in, and reads every row of a
// FORCE'd table whose policy admits only each user's own rows — the same role without BYPASSRLS
// reads none; a superuser's committed MD5 hash is stored as written. A password given by a psql
// variable, a role that cannot log in, one without BYPASSRLS, or one the migrations take BYPASSRLS
// from again, is not reported.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, getDb, inRollback, type Q } from '../helpers/pg.js';
import { initParser, invalidFinding, lintFiles, sqlOf, TENANT_A, TENANT_B, textAt, validExampleRuns } from '../helpers/rule-proof.js';
import { AUTH_STUB_SQL } from '../helpers/supabase.js';

const ID = 'bypassrls-password-committed';
before(initParser);
after(closeAll);

const NOTES = `CREATE TABLE notes (id bigint PRIMARY KEY, owner_id uuid NOT NULL, body text);
CREATE INDEX ON notes (owner_id);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE notes FORCE ROW LEVEL SECURITY;
GRANT SELECT ON notes TO authenticated;
CREATE POLICY notes_owner ON notes FOR SELECT TO authenticated USING (owner_id = (select auth.uid()));
`;

/** How many notes `role` reads (two notes, of users A and B). */
async function readsAs(q: Q, role: string): Promise<number> {
  await q(`INSERT INTO notes (id, owner_id, body) VALUES (1, '${TENANT_A}', 'a'), (2, '${TENANT_B}', 'b') ON CONFLICT DO NOTHING`);
  await q(`SET ROLE ${role}`);
  const n = (await q('SELECT id FROM notes')).length;
  await q('RESET ROLE');
  return n;
}

test('err: a LOGIN BYPASSRLS role with a clear-text password: it gets that password and reads every row; without BYPASSRLS it reads none', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), "PASSWORD 'reporting-2024'");
  assert.match(finding.message, /^Role reporting can log in and has BYPASSRLS, so PostgreSQL applies no row-level security policy to it \(FORCE ROW LEVEL SECURITY included\), and this statement sets its password in clear text in the migration: whoever reads the repository knows it/);
  assert.match(finding.message, /it may hold privileges on 1 table with row-level security \(public\.notes\)/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sqlOf(ws));
    const r = (await q(`SELECT rolcanlogin, rolbypassrls, rolpassword IS NOT NULL AS has_password FROM pg_authid WHERE rolname = 'reporting'`))[0]!;
    assert.deepEqual({ ...r }, { rolcanlogin: true, rolbypassrls: true, has_password: true });
    assert.equal(await readsAs(q, 'reporting'), 2);
    await q('ALTER ROLE reporting NOBYPASSRLS');
    assert.equal(await readsAs(q, 'reporting'), 0);
  });
});

test("err: a superuser's MD5 hash in the migration is stored as written; a superuser reads every row", async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.equal(textAt(ws, finding), "PASSWORD 'md5a9a1cbabab6f595e212e03f2a1354e1e'");
  assert.match(finding.message, /^Role master can log in and is a superuser/);
  assert.match(finding.message, /stores its password's MD5 hash as written in the migration, and md5 authentication "provides no protection if an attacker manages to steal the password hash" \(PostgreSQL's documentation\)/);
  assert.match(finding.message, /every row of every table, whatever its policies: 1 table with row-level security here \(public\.notes\)/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sqlOf(ws));
    const r = (await q(`SELECT rolsuper, rolcanlogin, rolpassword FROM pg_authid WHERE rolname = 'master'`))[0]!;
    assert.deepEqual({ ...r }, { rolsuper: true, rolcanlogin: true, rolpassword: 'md5a9a1cbabab6f595e212e03f2a1354e1e' });
    assert.equal(await readsAs(q, 'master'), 2);
  });
});

test('ok: the Valid example (password set outside the migrations) runs', async () => {
  await validExampleRuns(ID, 0);
});

test('ok: a psql variable, NOLOGIN, no BYPASSRLS, BYPASSRLS taken away later, a SCRAM secret', () => {
  const cases: Array<[string, string]> = [
    ['psql variable', "CREATE ROLE reporting LOGIN PASSWORD :'reporting_password' BYPASSRLS;\nGRANT SELECT ON notes TO reporting;"],
    ['cannot log in', "CREATE ROLE reporting PASSWORD 'x' BYPASSRLS;\nGRANT SELECT ON notes TO reporting;"],
    ['login taken away', "CREATE USER reporting PASSWORD 'x' BYPASSRLS;\nALTER ROLE reporting NOLOGIN;\nGRANT SELECT ON notes TO reporting;"],
    ['no BYPASSRLS', "CREATE USER reporting PASSWORD 'x';\nGRANT SELECT ON notes TO reporting;"],
    ['BYPASSRLS taken away', "CREATE USER reporting PASSWORD 'x' BYPASSRLS;\nALTER ROLE reporting NOBYPASSRLS;\nGRANT SELECT ON notes TO reporting;"],
    ['SCRAM secret', "CREATE USER reporting PASSWORD 'SCRAM-SHA-256$4096:c2FsdA==$a2V5:a2V5' BYPASSRLS;\nGRANT SELECT ON notes TO reporting;"],
  ];
  for (const [what, sql] of cases) assert.deepEqual(lintFiles([{ file: 'm.sql', text: NOTES + sql }], ID).mine, [], what);
  // (and the reported shapes: CREATE USER implies LOGIN; LOGIN given later by ALTER ROLE)
  assert.equal(lintFiles([{ file: 'm.sql', text: NOTES + "CREATE USER reporting PASSWORD 'x' BYPASSRLS;\nGRANT SELECT ON notes TO reporting;" }], ID).mine.length, 1);
  assert.equal(lintFiles([{ file: 'm.sql', text: NOTES + "CREATE ROLE reporting PASSWORD 'x' BYPASSRLS;\nALTER ROLE reporting LOGIN;\nGRANT SELECT ON notes TO reporting;" }], ID).mine.length, 1);
});

// Calibration (ly-schneider/bless2n-food-system, Flyway V001): `CREATE ROLE ${DB_ADMIN_USER} LOGIN
// PASSWORD '${DB_ADMIN_PASSWORD}' BYPASSRLS;` — Flyway replaces both placeholders before it sends the
// statement, so the password comes from the deployment, not from the repository.
test("ok: a password that is a migration tool's placeholder (Flyway's '${DB_ADMIN_PASSWORD}', a Go template's '{{ env \"PW\" }}') is not in the repository; PGlite stores the value the tool puts in, not the text written", async () => {
  const cases: Array<[string, string]> = [
    ['Flyway, the role a placeholder too', "CREATE ROLE ${DB_ADMIN_USER} LOGIN PASSWORD '${DB_ADMIN_PASSWORD}' BYPASSRLS;\nGRANT SELECT ON notes TO ${DB_ADMIN_USER};"],
    ['Flyway', "CREATE USER reporting PASSWORD '${reporting_password}' BYPASSRLS;\nGRANT SELECT ON notes TO reporting;"],
    ['Go template (tern)', "CREATE USER reporting PASSWORD '{{ env \"REPORTING_PASSWORD\" }}' BYPASSRLS;\nGRANT SELECT ON notes TO reporting;"],
  ];
  for (const [what, sql] of cases) assert.deepEqual(lintFiles([{ file: 'm.sql', text: NOTES + sql }], ID).mine, [], what);
  // (a literal beside a placeholder elsewhere in the statement is still reported)
  const written = "CREATE ROLE ${DB_ADMIN_USER} LOGIN PASSWORD 'admin-2024' BYPASSRLS;\nGRANT SELECT ON notes TO ${DB_ADMIN_USER};";
  const { mine } = lintFiles([{ file: 'm.sql', text: NOTES + written }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^Role \$\{DB_ADMIN_USER\} can log in and has BYPASSRLS/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(NOTES);
    // what Flyway sends with DB_ADMIN_USER=db_admin and DB_ADMIN_PASSWORD=from-the-environment (MD5 to compare the stored password)
    await q("SET password_encryption = 'md5'");
    await q(cases[0]![1].replaceAll('${DB_ADMIN_USER}', 'db_admin').replaceAll('${DB_ADMIN_PASSWORD}', 'from-the-environment'));
    const r = (await q(`SELECT rolpassword = 'md5' || md5('from-the-environment' || 'db_admin') AS deployed, rolpassword = 'md5' || md5('\${DB_ADMIN_PASSWORD}' || 'db_admin') AS written FROM pg_authid WHERE rolname = 'db_admin'`))[0]!;
    assert.deepEqual({ ...r }, { deployed: true, written: false });
  });
});

// Calibration (jaklabs/telehealth-platform-reference, 003_roles.sql): the idempotent form, `DO $$
// BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles …) THEN CREATE ROLE platform_owner LOGIN PASSWORD
// 'local_dev_only' … BYPASSRLS; END IF; END $$;`, was not reported: the rule read only top-level
// statements. On a new database the DO block creates the role with that password, as the plain
// statement does; a statement an EXECUTE builds is still left alone (its text is not the file's).
const IDEMPOTENT = `DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'platform_owner') THEN
        CREATE ROLE platform_owner LOGIN PASSWORD 'local_dev_only'
            NOSUPERUSER NOCREATEDB NOCREATEROLE BYPASSRLS;
    END IF;
END $$;
GRANT SELECT ON notes TO platform_owner;
`;

test('err: CREATE ROLE … PASSWORD … BYPASSRLS inside a DO block (IF NOT EXISTS … pg_roles): PGlite creates the role with that password, and it reads every row', async () => {
  const { ws, mine } = lintFiles([{ file: 'm.sql', text: NOTES + IDEMPOTENT }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), "PASSWORD 'local_dev_only'");
  assert.match(mine[0]!.message, /^Role platform_owner can log in and has BYPASSRLS, .* sets its password in clear text in the migration/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q("SET password_encryption = 'md5'");
    await q(NOTES + IDEMPOTENT);
    const r = (await q(`SELECT rolcanlogin, rolbypassrls, rolpassword = 'md5' || md5('local_dev_only' || 'platform_owner') AS written FROM pg_authid WHERE rolname = 'platform_owner'`))[0]!;
    assert.deepEqual({ ...r }, { rolcanlogin: true, rolbypassrls: true, written: true });
    assert.equal(await readsAs(q, 'platform_owner'), 2);
    await q('ALTER ROLE platform_owner NOBYPASSRLS');
    assert.equal(await readsAs(q, 'platform_owner'), 0);
  });
  // (the role made by an EXECUTE of a string: its password is not in the file as a statement's text)
  const dynamic = "DO $$ BEGIN EXECUTE 'CREATE ROLE platform_owner LOGIN PASSWORD ''x'' BYPASSRLS'; END $$;\nGRANT SELECT ON notes TO platform_owner;";
  assert.deepEqual(lintFiles([{ file: 'm.sql', text: NOTES + dynamic }], ID).mine, []);
});
