// not-postgresql: a file written for another database (SQLite, MySQL, SQL Server) is rejected by
// PostgreSQL with 42601 at the other dialect's words (run on PGlite below), so it is no
// migration of the database: it gets one finding instead of a syntax error per statement, and
// the model leaves the whole file out (a table of it that happens to parse is not taken for a
// PostgreSQL table: no rls-not-enabled). A PostgreSQL file with ordinary mistakes, or using the
// same words where PostgreSQL allows them, is not such a file.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, getDb, inRollback, runEachStatement } from '../helpers/pg.js';
import { findingsOf, initParser, invalidFinding, lintFiles, sqlOf, textAt, validExampleRuns } from '../helpers/rule-proof.js';

const ID = 'not-postgresql';
before(initParser);
after(closeAll);

test("err: a Tauri app's SQLite migration (Invalid): PostgreSQL rejects AUTOINCREMENT with 42601; one finding, the file left out of the model", async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'AUTOINCREMENT');
  assert.match(
    finding.message,
    /^This file looks written for SQLite, not PostgreSQL: PostgreSQL rejects SQLite's AUTOINCREMENT with 42601 syntax error \(PostgreSQL has GENERATED ALWAYS AS IDENTITY or bigserial\)\. pg-rls-lint leaves the whole file out of the schema it models: none of its 2 statements is checked/,
  );
  assert.match(finding.message, /list it in "exclude" of \.pg-rls-lint\.json/);
  // (no syntax error per statement; its tags table, which PostgreSQL would parse, is no PostgreSQL table)
  assert.deepEqual(findingsOf(ws, 'syntax-error'), []);
  assert.deepEqual(findingsOf(ws, 'rls-not-enabled'), []);
  assert.equal(ws.model().tables.size, 0);
  const errors = await inRollback(await getDb(), (q) => runEachStatement(q, sqlOf(ws)));
  assert.deepEqual(
    errors.map((e) => [e.code, e.message]),
    [['42601', 'syntax error at or near "AUTOINCREMENT"']],
  );
});

test('ok: the Valid example (the same table in PostgreSQL) runs and gives no finding', async () => {
  await validExampleRuns(ID, 0);
});

test("err: each dialect's words, where PostgreSQL rejects them (42601 on PGlite)", async () => {
  const cases: Array<[string, string, string]> = [
    ['PRAGMA foreign_keys = ON;\nCREATE TABLE a (id int);', 'SQLite', 'PRAGMA'],
    ['CREATE TABLE a (id int PRIMARY KEY, x text) WITHOUT ROWID;', 'SQLite', 'ROWID'],
    ["INSERT OR IGNORE INTO a (id) VALUES (1);", 'SQLite', 'OR'],
    // onetimesecret/onetimesecret's apps/web/auth/migrations/schemas/sqlite/004_triggers_⬆.sql (beside its PostgreSQL ones): a trigger's body after its header
    ['CREATE TABLE a (id int, updated_at timestamp);\nCREATE TRIGGER update_a_updated_at\nAFTER UPDATE ON a\nBEGIN\n    UPDATE a SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;', 'SQLite', 'BEGIN'], // (its END; left out here: PostgreSQL takes it for COMMIT)
    // (backquoted names alone are MySQL's and SQLite's alike: drizzle-kit writes them for both)
    ['CREATE TABLE `a` (id int);', 'MySQL or SQLite', '`'],
    ['CREATE TABLE `a` (`id` int NOT NULL AUTO_INCREMENT PRIMARY KEY);', 'MySQL', '`'],
    // brandhaug/b2b-saas-starter's packages/db/migrations/…/migration.sql (drizzle-kit for Cloudflare D1): SQLite's unixepoch()
    ['CREATE TABLE `session` (\n\t`id` text PRIMARY KEY,\n\t`createdAt` integer DEFAULT (unixepoch()) NOT NULL\n);', 'SQLite', '`'],
    ['CREATE TABLE a (id int NOT NULL AUTO_INCREMENT PRIMARY KEY);', 'MySQL', 'AUTO_INCREMENT'],
    ['CREATE TABLE a (id int unsigned NOT NULL);', 'MySQL', 'unsigned'],
    ['CREATE TABLE a (id int) ENGINE=InnoDB;', 'MySQL', 'ENGINE'],
    ['CREATE TABLE a (id int) ENGINE=MEMORY;', 'MySQL', 'ENGINE'],
    // teaching01-netizen/IELTS-LMS' backend/migrations/, moved to MySQL
    ['CREATE TABLE a (id varchar(36) PRIMARY KEY, updated_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP);', 'MySQL', 'ON'],
    ["SET @sql = (SELECT IF(COUNT(*) = 0, 'ALTER TABLE a ADD COLUMN b int', 'SELECT 1') FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_NAME = 'a');", 'MySQL', '@'],
    ['CREATE TABLE a (id int);\nPREPARE stmt FROM @sql;', 'MySQL', 'FROM'],
    ['CREATE TABLE a (id int);\nALTER TABLE a MODIFY COLUMN id bigint NOT NULL;', 'MySQL', 'MODIFY'],
    ['CREATE TABLE a (id int);\nALTER TABLE a ADD COLUMN b varchar(64) NULL AFTER id;', 'MySQL', 'AFTER'],
    ["CREATE TABLE a (id int, email text CHECK (email REGEXP '^[^@]+@[^@]+$'));", 'MySQL', 'REGEXP'],
    ['CREATE TABLE a (id int, slug text);\nALTER TABLE a ADD UNIQUE KEY uk_slug (slug);', 'MySQL', 'KEY'],
    // powersync-ja/self-host-demo's services/mysql/init-scripts/mysql.sql (a MySQL source of the sync service, beside its PostgreSQL one)
    ["CREATE USER 'repl_user'@'%' IDENTIFIED BY 'good_password';", 'MySQL', "'repl_user'"],
    ["GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'repl_user'@'%';", 'MySQL', 'SLAVE'],
    ['FLUSH PRIVILEGES;', 'MySQL', 'FLUSH'],
    // AstromanXD/Astricord's server/migrations/ (a MySQL backend beside the project's Supabase migrations): `USE astricord;` first
    ['-- Migration: server_bans\nUSE astricord;\n\nCREATE TABLE IF NOT EXISTS server_bans (server_id CHAR(36) NOT NULL, user_id CHAR(36) NOT NULL, PRIMARY KEY (server_id, user_id));', 'MySQL', 'USE'],
    ['CREATE TABLE a (id INT IDENTITY(1,1) PRIMARY KEY);', 'SQL Server', 'IDENTITY'],
    ['CREATE TABLE a (id int)\nGO\n', 'SQL Server', 'GO'],
    // ClickHouse: lmnr-ai/lmnr's frontend/lib/clickhouse/migrations/ (an LLM observability app's span store beside its
    // PostgreSQL migrations): 150 syntax errors, and 13 files said to be MySQL's (ENGINE, backquotes)
    ['CREATE TABLE IF NOT EXISTS default.spans (span_id UUID, name String);', 'ClickHouse', 'default'],
    ['CREATE TABLE spans (span_id UUID, name String)\nENGINE = MergeTree()\nORDER BY (span_id);', 'ClickHouse', 'ENGINE'],
    ['CREATE TABLE spans (span_id UUID, version UInt32) ENGINE ReplacingMergeTree(version) ORDER BY span_id;', 'ClickHouse', 'ENGINE'],
    ['CREATE TABLE spans (span_id UUID, input String CODEC(ZSTD(3)));', 'ClickHouse', 'CODEC'],
    ['CREATE TABLE spans (span_id UUID);\nALTER TABLE spans ADD COLUMN IF NOT EXISTS hashes Array(FixedString(32));', 'ClickHouse', 'Array'],
    ['CREATE TABLE spans (span_id UUID);\nALTER TABLE spans MATERIALIZE INDEX spans_parent_idx;', 'ClickHouse', 'MATERIALIZE'],
    ['CREATE TABLE runs (job_id UUID);\nALTER TABLE runs ADD INDEX IF NOT EXISTS runs_job_idx job_id TYPE bloom_filter;', 'ClickHouse', 'EXISTS'],
    ['DROP DICTIONARY IF EXISTS llm_messages_dict;', 'ClickHouse', 'DICTIONARY'],
    ['CREATE VIEW runs_v0 SQL SECURITY INVOKER AS SELECT 1 AS x;', 'ClickHouse', 'SQL'],
    ['CREATE VIEW IF NOT EXISTS runs_v0\nSQL SECURITY INVOKER\nAS SELECT 1 AS x;', 'ClickHouse', 'NOT'],
    ['CREATE TABLE spans (span_id UUID, project_id UUID);\nSELECT span_id FROM spans s PREWHERE s.project_id = gen_random_uuid();', 'ClickHouse', 'PREWHERE'],
    ['CREATE TABLE spans (span_id UUID, project_id UUID);\nSELECT span_id FROM spans WHERE project_id = {project_id:UUID};', 'ClickHouse', '{'],
    // (backquoted names, MySQL's and ClickHouse's: ClickHouse's in a file with one of its words further on)
    ['CREATE TABLE IF NOT EXISTS spans\n(\n    `id` UUID,\n    `data` String CODEC(ZSTD(3))\n)\nENGINE = MergeTree()\nORDER BY (id);', 'ClickHouse', '`'],
    ["{{ config(materialized='table') }}\nSELECT id FROM {{ ref('orders') }};", 'dbt', '{'],
    // a Kysely migration in TypeScript saved as .sql (alma-firebase-studio), and other program code
    ["import { type Kysely } from 'kysely';\nexport async function up(db: Kysely<any>): Promise<void> {\n  await db.schema.createTable('a').execute();\n}\n", 'JavaScript/TypeScript', '{'],
    ["import * as path from 'node:path';\n", 'JavaScript/TypeScript', '*'],
    ['export default {\n  up: (knex) => knex.schema.createTable(\'a\', () => {}),\n};\n', 'JavaScript/TypeScript', 'export'],
    ["const knex = require('knex');\n", 'JavaScript/TypeScript', 'const'],
    ['module.exports = { up };\n', 'JavaScript/TypeScript', 'module'],
  ];
  for (const [text, dialect, word] of cases) {
    const { ws, mine } = lintFiles([{ file: 'other/1.sql', text: `-- « ${dialect} » 日本語 😀\n${text}` }], ID);
    assert.equal(mine.length, 1, text);
    assert.match(mine[0]!.message, new RegExp(`^This file looks written for ${dialect}, not PostgreSQL`), text);
    assert.equal(textAt(ws, mine[0]!), word, text);
    assert.deepEqual(findingsOf(ws, 'syntax-error'), [], text);
    // (the statement holding the word fails on PostgreSQL with a syntax error at it)
    const errors = await inRollback(await getDb(), (q) => runEachStatement(q, text));
    assert.ok(errors.length > 0 && errors.every((e) => e.code === '42601'), `${text}: ${JSON.stringify(errors)}`);
    assert.match(errors[0]!.message, new RegExp(`^syntax error at or near "${word.replace(/[.*+?^${}()|[\]\\`]/g, '\\$&')}"$`, 'i'), text);
  }
});

// Calibration (ceqy/init's iam-access/scripts/init-primary.sql): a Docker entrypoint's shell
// script, psql with a heredoc, saved as .sql: syntax errors were reported, and the SQL in the
// heredoc was taken into the schema.
test('err: a shell script saved as .sql (its #! line first): one finding, the file left out of the model; PGlite: 42601 at "#!/"', async () => {
  const text = '#!/bin/bash\nset -e\npsql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" <<-EOSQL\n  CREATE TABLE outbox (id bigint PRIMARY KEY);\nEOSQL\n';
  const { ws, mine } = lintFiles([{ file: 'scripts/init-primary.sql', text }, { file: 'migrations/1.sql', text: 'CREATE TABLE a (id int);\n' }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^This file looks written for a shell, not PostgreSQL: PostgreSQL rejects a shell's #! line with 42601/);
  assert.deepEqual(findingsOf(ws, 'syntax-error'), []);
  assert.ok(!ws.model().tables.has('public.outbox'), 'the heredoc is not taken into the schema');
  const errors = await inRollback(await getDb(), (q) => runEachStatement(q, text));
  assert.equal(errors[0]!.code, '42601');
  assert.match(errors[0]!.message, /^syntax error at or near "#!\/"$/);
  // (a # further down is PostgreSQL's XOR operator or a psql-less comment: not a shell script)
  assert.deepEqual(lintFiles([{ file: 'm.sql', text: 'SELECT 1 # 2;\n' }], ID).mine, []);
});

// Calibration (cal197: lms-beyond-v3's supabase/FIX_CONTENTIN_SUPER_ADMIN_ROLE.sql and
// FIX_CATALOG_ITEMS_CREATOR_ID.sql hold a query's result rows, `[ { "Info": …, "email": … } ]`,
// copied out of the SQL editor): each was a syntax error (an error, failing CI) at or near "[".
test('err: JSON saved as .sql (an array or an object, nothing else): one finding that says the file holds JSON, no syntax error; PGlite: 42601 at its first character', async () => {
  const rows = '[\n  {\n    "Info": "VERIFICATION FINALE",\n    "email": "someone@example.com",\n    "role": "super_admin",\n    "status": "SUPER ADMIN VALIDE ✓"\n  }\n]\n\n\n';
  const object = '\uFEFF{"avec_creator_id": 3, "total": 3}';
  const { ws, mine } = lintFiles([{ file: 'supabase/FIX_ROLE.sql', text: rows }, { file: 'supabase/COUNTS.sql', text: object }], ID);
  assert.equal(mine.length, 2);
  for (const m of mine) {
    assert.match(m.message, /^This file holds JSON, not SQL \(data, such as the result rows of a query\): PostgreSQL rejects it at its first character with 42601 syntax error, and a migration tool running it stops there\. pg-rls-lint leaves the file out of the schema it models\. Give it a \.json name/);
    assert.equal(m.start, m.file.endsWith('COUNTS.sql') ? 1 : 0);
  }
  assert.deepEqual(findingsOf(ws, 'syntax-error'), []);
  for (const text of [rows, object.slice(1)]) {
    const errors = await inRollback(await getDb(), (q) => runEachStatement(q, text));
    assert.equal(errors[0]!.code, '42601');
    assert.match(errors[0]!.message, /^syntax error at or near "[[{]"$/);
  }
  // (JSON and then SQL, or an array literal in a statement, is PostgreSQL with a mistake: syntax-error says so)
  const mixed = lintFiles([{ file: 'm.sql', text: '{"a": 1}\nCREATE TABLE x (id int);\n' }, { file: 'n.sql', text: "SELECT '{1,2}'::int[];\n[1, 2]" }], ID);
  assert.deepEqual(mixed.mine, []);
  assert.equal(findingsOf(mixed.ws, 'syntax-error').length, 2);
});

// Calibration (AstromanXD/Astricord, a Discord clone): its Express server's MySQL migrations,
// server/migrations/00N_….sql, each `USE astricord;` then CREATE TABLE IF NOT EXISTS with CHAR(36)
// ids and DATETIME(3), were replayed before its supabase/migrations/ (server/ sorts first): the
// MySQL server_bans (server_id CHAR(36)) made the Supabase one's CREATE TABLE IF NOT EXISTS a no-op,
// so its three policies comparing server_member_roles.server_id (uuid) with it were said to be
// rejected, 42883 uuid = character (three errors), and two MySQL-only tables were told to enable RLS.
test('err: MySQL migrations that start with USE db; beside Supabase ones are left out: no 42883 on the Supabase table they shadowed, no rls-not-enabled; PGlite: 42601 at "USE", and the Supabase migration alone works', async () => {
  const mysql = '-- Migration: server_bans und blocked_users\nUSE astricord;\n\nCREATE TABLE IF NOT EXISTS server_bans (\n  server_id CHAR(36) NOT NULL,\n  user_id CHAR(36) NOT NULL,\n  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),\n  PRIMARY KEY (server_id, user_id)\n);\n\nCREATE TABLE IF NOT EXISTS server_member_nicknames (server_id CHAR(36) NOT NULL, user_id CHAR(36) NOT NULL, nickname VARCHAR(32) NOT NULL, PRIMARY KEY (server_id, user_id));\n';
  const supabase = `CREATE TABLE public.server_member_roles (server_id uuid NOT NULL, user_id uuid NOT NULL, PRIMARY KEY (server_id, user_id));
ALTER TABLE public.server_member_roles ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Own roles" ON public.server_member_roles FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE TABLE IF NOT EXISTS server_bans (server_id uuid NOT NULL, user_id uuid NOT NULL, reason text, PRIMARY KEY (server_id, user_id));
ALTER TABLE server_bans ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Admins can view bans" ON server_bans FOR SELECT TO authenticated
  USING (EXISTS (SELECT 1 FROM server_member_roles smr WHERE smr.server_id = server_bans.server_id AND smr.user_id = (select auth.uid())));`;
  const files = [
    { file: 'server/migrations/001_server_bans_blocked_users.sql', text: mysql },
    { file: 'supabase/migrations/20250101000000_server_bans.sql', text: supabase },
  ];
  const { ws, mine } = lintFiles(files, ID);
  assert.equal(mine.length, 1);
  assert.equal(mine[0]!.file, 'server/migrations/001_server_bans_blocked_users.sql');
  assert.equal(textAt(ws, mine[0]!), 'USE');
  assert.match(mine[0]!.message, /^This file looks written for MySQL, not PostgreSQL: PostgreSQL rejects MySQL's USE database with 42601 syntax error \(PostgreSQL has no such statement: a connection is to one database, chosen when it connects \(psql -d, or \\connect\)\)\. pg-rls-lint leaves the whole file out of the schema it models: none of its 3 statements is checked/);
  for (const id of ['syntax-error', 'policy-type-mismatch', 'rls-not-enabled', 'table-if-not-exists-skipped']) assert.deepEqual(findingsOf(ws, id), [], id);
  assert.equal(ws.model('supabase/migrations/20250101000000_server_bans.sql').tables.get('public.server_bans')?.columns.join(','), 'server_id,user_id,reason');
  // (PostgreSQL: the MySQL file fails at USE; the Supabase migration, which the MySQL table had shadowed, creates its policy)
  const db = await getDb();
  const errors = await inRollback(db, (q) => runEachStatement(q, 'USE astricord;'));
  assert.deepEqual(errors.map((e) => [e.code, e.message]), [['42601', 'syntax error at or near "USE"']]);
  await inRollback(db, async (q) => {
    await q(supabase.replace(/\(select auth\.uid\(\)\)/g, "'00000000-0000-0000-0000-000000000001'::uuid").replace(/ TO authenticated/g, ''));
    assert.equal((await q(`SELECT count(*)::int AS n FROM pg_policies WHERE tablename = 'server_bans'`))[0]!.n, 1);
  });
  // (had the MySQL table been made first, PostgreSQL would have refused the policy: 42883)
  await inRollback(db, async (q) => {
    await q('CREATE TABLE server_bans (server_id CHAR(36) NOT NULL, user_id CHAR(36) NOT NULL, PRIMARY KEY (server_id, user_id))');
    const errs = await runEachStatement(q, supabase.replace(/\(select auth\.uid\(\)\)/g, "'00000000-0000-0000-0000-000000000001'::uuid").replace(/ TO authenticated/g, ''));
    assert.deepEqual(errs.map((e) => e.code), ['42883']);
  });
});

// Calibration (AstromanXD/Astricord): server/migrations/002_audit_log_invites_roles.sql has no USE
// and no word PostgreSQL's grammar refuses, but MySQL's DATETIME(3): PostgreSQL rejects its CREATE
// TABLE with 42704. Replayed, its audit_log (server_id CHAR(36)) shadowed the Supabase migration's
// CREATE TABLE IF NOT EXISTS audit_log, whose policy was then said to compare uuid = character.
test('err: a MySQL migration known by its column types (DATETIME(3)) is left out: PGlite rejects it with 42704; no 42883 on the Supabase table it shadowed', async () => {
  const mysql = '-- Audit Log für Server-Aktionen\nCREATE TABLE IF NOT EXISTS audit_log (\n  id CHAR(36) PRIMARY KEY,\n  server_id CHAR(36) NOT NULL,\n  user_id CHAR(36) NOT NULL,\n  details JSON,\n  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)\n);\n\nALTER TABLE servers ADD COLUMN owner_id CHAR(36) NULL;\nALTER TABLE server_members ADD COLUMN timeout_until DATETIME(3) NULL;\n';
  const supabase = `CREATE TABLE public.server_members (server_id uuid NOT NULL, user_id uuid NOT NULL, PRIMARY KEY (server_id, user_id));
CREATE TABLE IF NOT EXISTS audit_log (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), server_id uuid NOT NULL, user_id uuid NOT NULL, action text NOT NULL);
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Members can view audit log" ON audit_log FOR SELECT
  USING (EXISTS (SELECT 1 FROM server_members WHERE server_id = audit_log.server_id AND user_id = auth.uid()));`;
  const { ws, mine } = lintFiles([
    { file: 'server/migrations/002_audit_log_invites_roles.sql', text: mysql },
    { file: 'supabase/migrations/20250101000000_audit_log.sql', text: supabase },
  ], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'DATETIME');
  assert.match(mine[0]!.message, /^This file looks written for MySQL, not PostgreSQL: PostgreSQL rejects MySQL's DATETIME with 42704 type "datetime" does not exist \(PostgreSQL has timestamp or timestamptz\), here and at 1 other place of the file\. pg-rls-lint leaves the whole file out of the schema it models: none of its 3 statements is checked/);
  for (const id of ['syntax-error', 'policy-type-mismatch', 'table-if-not-exists-skipped']) assert.deepEqual(findingsOf(ws, id), [], id);
  const db = await getDb();
  const errors = await inRollback(db, (q) => runEachStatement(q, mysql.split('\n\nALTER')[0]!));
  assert.deepEqual(errors.map((e) => [e.code, e.message]), [['42704', 'type "datetime" does not exist']]);
});

test('ok: DATETIME where PostgreSQL has it (a domain this file or another makes, a comment, a policy file) stays PostgreSQL; a SQLite schema writing DATETIME beside a SQLite word names it', () => {
  const pg = lintFiles([
    { file: 'db/1.sql', text: 'CREATE DOMAIN datetime AS timestamptz;\nCREATE TABLE events (id int PRIMARY KEY, at datetime);\n' },
    { file: 'db/2.sql', text: '-- like MySQL\'s DATETIME\nCREATE TABLE logs (id int PRIMARY KEY, at timestamptz);\n' },
    { file: 'db/3.sql', text: 'CREATE TABLE notes (id int PRIMARY KEY, at datetime);\nALTER TABLE notes ENABLE ROW LEVEL SECURITY;\n' },
  ], ID);
  assert.deepEqual(pg.mine, []);
  assert.deepEqual([...pg.ws.model().tables.keys()].sort(), ['public.events', 'public.logs', 'public.notes']);
  // (a domain another file makes, as Kill Bill's DDL does: this file alone cannot tell, and a bare name is left to PostgreSQL)
  const killbill = lintFiles([
    { file: 'db/1_domains.sql', text: 'CREATE DOMAIN datetime AS timestamp without time zone;\nCREATE DOMAIN mediumtext AS text;\n' },
    { file: 'db/2_tables.sql', text: 'CREATE TABLE accounts (record_id serial PRIMARY KEY, created_date datetime NOT NULL, notes mediumtext);\n' },
  ], ID);
  assert.deepEqual(killbill.mine, []);
  assert.ok(killbill.ws.model().tables.has('public.accounts'));
  const lite = lintFiles([{ file: 'app/schema.sql', text: "CREATE TABLE t (id INTEGER PRIMARY KEY, created_at DATETIME DEFAULT (strftime('%s', 'now')));\n" }], ID);
  assert.equal(lite.mine.length, 1);
  assert.match(lite.mine[0]!.message, /^This file looks written for SQLite, not PostgreSQL: PostgreSQL rejects SQLite's DATETIME with 42704 type "datetime" does not exist/);
  // (a modifier, which no domain takes, without either dialect's words: both named)
  const either = lintFiles([{ file: 'app/schema.sql', text: 'CREATE TABLE t (id INTEGER PRIMARY KEY, active TINYINT(1) NOT NULL);\n' }], ID);
  assert.match(either.mine[0]!.message, /^This file looks written for MySQL or SQLite, not PostgreSQL: PostgreSQL rejects MySQL's and SQLite's TINYINT with 42704 type "tinyint" does not exist/);
});

test('ok: USE in a file that is PostgreSQL by its own words (a policy, row-level security) is a syntax error of a PostgreSQL file, and SQL Server\'s USE with GO is SQL Server\'s', () => {
  const pg = lintFiles([{ file: 'db/1.sql', text: 'USE app;\nCREATE TABLE notes (id int PRIMARY KEY, user_id uuid);\nALTER TABLE notes ENABLE ROW LEVEL SECURITY;\n' }], ID);
  assert.deepEqual(pg.mine, []);
  assert.deepEqual(findingsOf(pg.ws, 'syntax-error').map((f) => textAt(pg.ws, f)), ['USE']);
  assert.ok(pg.ws.model().tables.has('public.notes'));
  const ms = lintFiles([{ file: 'db/1.sql', text: 'USE [app]\nGO\nCREATE TABLE notes (id int)\nGO\n' }], ID);
  assert.equal(ms.mine.length, 1);
  assert.match(ms.mine[0]!.message, /^This file looks written for SQL Server, not PostgreSQL/);
});

test('ok: the same words where PostgreSQL allows them, and PostgreSQL with ordinary mistakes, are PostgreSQL files', () => {
  const files = [
    // names PostgreSQL allows
    { file: 'a.sql', text: 'CREATE TABLE cars (engine text, autoincrement int, identity int, pragma text, rowid int, go int);\nCREATE TABLE code (const int, export text, module text, "let" int, var int);' },
    // a Go template of a migration tool (tern): rendered into PostgreSQL, not dbt (and parsed as the name it renders to)
    { file: 'tern/001_init.sql', text: 'CREATE SCHEMA api;\nGRANT USAGE ON SCHEMA api TO {{ env "PGUSER" }};\n' },
    { file: 'b.sql', text: "GRANT SELECT ON cars TO PUBLIC;\nSELECT engine = 'v8' OR go = 1 FROM cars;" },
    // an ordinary syntax error, at OR and at IDENTITY, not in the other dialects' places
    { file: 'c.sql', text: 'SELECT 1 OR OR 2;\nCREATE TABLE c (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY);\nALTER TABLE c ALTER id IDENTITY;' },
    // a BEGIN PostgreSQL rejects but not after a trigger's header (a MySQL-like FOR EACH ROW BEGIN is not said to be SQLite's)
    { file: 'd.sql', text: 'CREATE TABLE d (id int);\nCREATE TRIGGER d_t BEFORE INSERT ON d FOR EACH ROW BEGIN\nSELECT 1;' },
    // MySQL's words where PostgreSQL has them (ON UPDATE of a foreign key, PREPARE … AS, a trigger's AFTER, the @ operator)
    { file: 'e.sql', text: "CREATE TABLE e (id int PRIMARY KEY, d_id int REFERENCES d (id) ON UPDATE CASCADE, email text CHECK (email ~ '^[^@]+@[^@]+$'));\nPREPARE e_by_id (int) AS SELECT @ -1 FROM e WHERE id = $1;\nCREATE TRIGGER e_t AFTER UPDATE ON e FOR EACH ROW EXECUTE FUNCTION e_f();" },
    // ordinary syntax errors at FROM, ON, KEY: not in MySQL's places
    { file: 'f.sql', text: 'SELECT 1 FROM FROM e;\nCREATE TABLE f (id int ON);\nCREATE TABLE g (id int KEY);' },
    // and at a string, REPLICATION's next word, FLUSH: not in MySQL's places (a role is no string; a role's REPLICATION attribute; flush, a name)
    { file: 'h.sql', text: "CREATE USER 'app' LOGIN;\nALTER ROLE app REPLICATION SLAVE;\nCREATE TABLE h (flush int);\nSELECT flush FROM h;" },
  ];
  const { ws, mine } = lintFiles(files, ID);
  assert.deepEqual(mine, []);
  assert.deepEqual(findingsOf(ws, 'syntax-error').map((f) => [f.file, textAt(ws, f)]).sort(), [
    ['c.sql', 'IDENTITY'],
    ['c.sql', 'OR'],
    ['d.sql', 'BEGIN'],
    ['f.sql', 'FROM'],
    ['f.sql', 'KEY'],
    ['f.sql', 'ON'],
    ['h.sql', "'app'"],
    ['h.sql', 'SLAVE'],
  ]);
  // (their tables are modelled)
  assert.deepEqual([...ws.model().tables.keys()].sort(), ['public.c', 'public.cars', 'public.code', 'public.d', 'public.e', 'public.h']);
});

test('ok: a stray backquote (before a comment, alone on a line: the remains of a Markdown code fence) is no MySQL name: plain syntax errors, the file still PostgreSQL; PGlite: 42601 at "`"', async () => {
  // (recogito/recogito-server's SQL Scripts/table population/create_test_users.sql: "`-- Test Users" on its first
  // line, a lone "`" on its last, between them an INSERT INTO auth.users … written for PostgreSQL)
  const text = "`-- Test Users\nINSERT INTO users (id, email) VALUES (1, 'reader@example.com``');\n`\n";
  const { ws, mine } = lintFiles([{ file: 'scripts/create_test_users.sql', text: `CREATE TABLE users (id int PRIMARY KEY, email text);\n${text}` }], ID);
  assert.deepEqual(mine, []);
  assert.deepEqual(findingsOf(ws, 'syntax-error').map((f) => [textAt(ws, f), /^syntax error at or near "`"/.test(f.message)]), [['`', true], ['`', true]]);
  assert.ok(ws.model().tables.has('public.users'), 'the file is PostgreSQL: its table is in the model');
  const errors = await inRollback(await getDb(), (q) => runEachStatement(q, text));
  assert.deepEqual(errors.map((e) => [e.code, e.message]), [['42601', 'syntax error at or near "`"'], ['42601', 'syntax error at or near "`"']]);
  // (a name in backquotes is still MySQL's: CREATE TABLE `a`, `my table`)
  for (const t of ['CREATE TABLE `a` (id int);', 'SELECT `my table`.id FROM `my table`;'])
    assert.match(lintFiles([{ file: 'other/1.sql', text: t }], ID).mine[0]?.message ?? '', /^This file looks written for MySQL/, t);
});
