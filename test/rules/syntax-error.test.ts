// syntax-error on PostgreSQL (PGlite): PostgreSQL rejects the Invalid example with 42601, and
// the finding starts at the character position PostgreSQL reports (also after non-ASCII text).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, getDb, inRollback, pgError, runEachStatement, tryQuery } from '../helpers/pg.js';
import { AUTH_STUB_SQL } from '../helpers/supabase.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintFiles, sqlOf } from '../helpers/rule-proof.js';
import { mergeConfig } from '../../server/src/analysis/config.js';
import { Workspace } from '../../server/src/engine/workspace.js';
import { notReplayedReason } from '../../server/src/analysis/model.js';

const ID = 'syntax-error';
before(initParser);
after(closeAll);

/** PostgreSQL's `position` is a 1-based character (code point) index into the query string. */
const positionOf = (text: string, utf16: number) => Array.from(text.slice(0, utf16)).length + 1;

test('err: the Invalid example fails with 42601 at the token the finding covers', async () => {
  const { ex, ws, finding } = invalidFinding(ID, 0);
  const text = ws.text(ex.files[0]!.file)!;
  assert.equal(text.slice(finding.start, finding.end), 'SELCT');
  const db = await getDb();
  await inRollback(db, async (q) => {
    const err = await pgError(q(text));
    assert.equal(err?.code, '42601');
    assert.match(err!.message, /syntax error at or near "SELCT"/);
    assert.equal(err!.position, positionOf(text, finding.start));
  });
});

test('err: after accents, CJK and an emoji the offsets still agree with PostgreSQL', async () => {
  const text = `-- café 日本語 🎉\nCREATE TABLE "naïve_日本" (id int);\nCREATE POLICY "p🎉" ON "naïve_日本" FOR SELECT TO authenticated USING (id >);`;
  const { mine } = lintFiles([{ file: 'm.sql', text }], ID);
  assert.equal(mine.length, 1);
  const db = await getDb();
  await inRollback(db, async (q) => {
    const err = await pgError(q(text));
    assert.equal(err?.code, '42601');
    assert.equal(err!.position, positionOf(text, mine[0]!.start));
    assert.equal(text.slice(mine[0]!.start, mine[0]!.end), ')');
  });
});

test("err: an unterminated quote: PostgreSQL quotes the rest of the file; the message keeps its first line, marked cut", async () => {
  const rest = Array.from({ length: 200 }, (_, i) => `CREATE TABLE t${i} (id int);`).join('\n');
  const text = `CREATE TABLE a (id int);\nSELECT 'oops;\n${rest}`;
  const { mine } = lintFiles([{ file: 'm.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^unterminated quoted string at or near "'oops;…" \(SQLSTATE 42601\)/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    const err = await pgError(q(text));
    assert.equal(err?.code, '42601');
    assert.ok(err!.message.startsWith(`unterminated quoted string at or near "'oops;\n`), 'PostgreSQL quotes the rest of the file');
    assert.ok(err!.message.length > rest.length);
  });
});

// pg_dump writes `SET check_function_bodies = false;` at the top of every dump: PostgreSQL then
// creates a function without parsing its body, and the syntax error surfaces at each call.
const DUMP = `SET check_function_bodies = false;
CREATE TABLE tpop (id int, status int);
CREATE FUNCTION fix_status() RETURNS void LANGUAGE plpgsql AS $_$
BEGIN
  UPDATE tpop WHERE id = 1;
END;
$_$;
CREATE FUNCTION sign_it() RETURNS text LANGUAGE sql AS $$
WITH alg AS (SELECT 1 AS id
SELECT 'x' FROM alg;
$$;
`;

test('err (message): a broken body a later migration replaces (tutur3u) fails at each call only until then: the message says so; after the replacement the call works', async () => {
  const later = `CREATE OR REPLACE FUNCTION fix_status() RETURNS void LANGUAGE plpgsql AS $$ BEGIN UPDATE tpop SET status = 1 WHERE id = 1; END $$;\n`;
  const { mine } = lintFiles([{ file: '001_dump.sql', text: DUMP }, { file: '002_fix.sql', text: later }], ID);
  assert.equal(mine.length, 2);
  const [fixed, kept] = [...mine].sort((a, b) => a.start - b.start);
  assert.match(fixed!.message, /every call of it fails with this error until a later migration replaces or drops it, as these migrations do/);
  assert.match(kept!.message, /every call of it fails with this error\.$/);
  await inRollback(await getDb(), async (q) => {
    await q(DUMP);
    await q(later);
    await q('SELECT fix_status()');
  });
});

test('err: with check_function_bodies off (pg_dump), a broken body is accepted at CREATE and fails at each call: the message says so', async () => {
  const { mine } = lintFiles([{ file: 'dump.sql', text: DUMP }], ID);
  assert.equal(mine.length, 2);
  for (const f of mine) {
    assert.match(f.message, /check_function_bodies is off \(line 1\): PostgreSQL creates the function without parsing its body, and every call of it fails with this error/);
    assert.doesNotMatch(f.message, /would reject this statement/);
  }
  const db = await getDb();
  for (const [call, near] of [['SELECT fix_status()', 'WHERE'], ['SELECT sign_it()', 'SELECT']] as const) {
    await inRollback(db, async (q) => {
      await q(DUMP); // every statement is accepted
      const err = await pgError(q(call));
      assert.equal(err?.code, '42601', call);
      assert.match(err!.message, new RegExp(`syntax error at or near "${near}"`), call);
    });
  }
  // with the setting on (the default, or set back), CREATE FUNCTION itself fails: the usual message
  for (const prefix of ['', 'SET check_function_bodies = false;\nRESET check_function_bodies;\n', 'SET check_function_bodies TO on;\n']) {
    const text = prefix + DUMP.split('\n').slice(1).join('\n');
    const found = lintFiles([{ file: 'm.sql', text }], ID).mine;
    assert.equal(found.length, 2, prefix);
    for (const f of found) assert.match(f.message, /PostgreSQL would reject this statement/, prefix);
  }
  await inRollback(db, async (q) => {
    await q('CREATE TABLE tpop (id int, status int)');
    const err = await pgError(q(DUMP.split('\n').slice(2, 7).join('\n')));
    assert.equal(err?.code, '42601');
  });
  // a DO block is always parsed, whatever the setting
  const doBlock = lintFiles([{ file: 'm.sql', text: 'SET check_function_bodies = off;\nDO $$ BEGIN UPDATE tpop WHERE id = 1; END $$;' }], ID).mine;
  assert.equal(doBlock.length, 1);
  assert.match(doBlock[0]!.message, /PostgreSQL would reject this statement/);
  await inRollback(db, async (q) => {
    await q('CREATE TABLE tpop (id int, status int); SET LOCAL check_function_bodies = off');
    assert.equal((await pgError(q('DO $$ BEGIN UPDATE tpop WHERE id = 1; END $$')))?.code, '42601');
  });
});

// libpg-query's PL/pgSQL parser names no position; PostgreSQL does (the token it quotes, or the
// body's closing quote at "end of input"). The finding is where PostgreSQL points.
test('err: a PL/pgSQL body\'s syntax error is placed where PostgreSQL points, in functions and DO blocks, after non-ASCII text, in any quoting', async () => {
  const bodies: Array<[string, string]> = [
    ['\nDECLARE x int;\nBEGIN\n  x := 1;\n  IF x = 1 THEN\n    RETURN 2\n  END IF;\n  RETURN x;\nEND ', 'IF'], // the IF of END IF
    ['BEGIN\n  -- café 日本 😀\n  RETURN foo(1 2) + 2;\nEND', '2'], // inside an expression: its first "2"
    ['BEGIN\n  SELEC 1;\n  RETURN 1;\nEND', 'SELEC'],
    ['DECLARE x int BEGIN RETURN 1; END', 'BEGIN'],
    ['BEGIN IF true THEN RETURN 1; END; END', ';'],
    ['BEGIN RETURN (1; END', ';'], // mismatched parentheses
    ['BEGIN FOR i IN 1..3 LOOP NULL; END LOOP RETURN 1; END', '1'],
    ['BEGIN RETURN 1; END; x', 'x'],
    ['BEGIN RETURN 1; ', '$$'], // at end of input: the closing quote
    // an expression cut short ends "at end of input" too, but PostgreSQL points at its `;`, after
    // non-ASCII text on the line as well (the `;` before it, and the END after it, are not it)
    ['BEGIN\n  PERFORM 1;\n  /* 😀 é */ RETURN 1 +;\nEND', ';'],
    ['DECLARE x text; BEGIN PERFORM 1; x := \'日本😀\' ||; RETURN 1; END', ';'],
    // the second WHERE of the first sub-select, not one of a later sub-select (a part of the body
    // cut inside its parentheses is closed: Sirimbo's system_admin_tenants, reported 13 lines on)
    ['BEGIN\n  PERFORM 1 FROM (SELECT 1 WHERE true WHERE false) a\n    CROSS JOIN (SELECT 2 WHERE true) b\n    CROSS JOIN (SELECT 3 WHERE \'(\' = \'(\') c;\n  RETURN 1;\nEND', 'WHERE'],
  ];
  const texts: Array<[string, string]> = [];
  for (const [body, token] of bodies) {
    texts.push([`-- ça 🎉\nCREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$${body}$$;`, token]);
    texts.push([`-- ça 🎉\nCREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS '${body.replaceAll("'", "''")}';`, token === '$$' ? "'" : token]);
  }
  texts.push(['-- ça 🎉\nDO $$BEGIN\n  SELEC 1;\nEND$$;', 'SELEC']);
  texts.push(['-- ça 🎉\nDO $$DECLARE x int BEGIN NULL; END$$;', 'BEGIN']);
  texts.push(['-- ça 🎉\nDO $$BEGIN\n  -- 日本 😀\n  PERFORM foo(1 2) + 2;\nEND$$;', '2']);
  texts.push(['-- ça 🎉\nDO $$BEGIN\n  PERFORM 1;\n  PERFORM \'🎉\' FROM;\nEND$$;', ';']);
  const db = await getDb();
  for (const [text, token] of texts) {
    const { mine } = lintFiles([{ file: 'm.sql', text }], ID);
    assert.equal(mine.length, 1, text);
    const f = mine[0]!;
    assert.equal(text.slice(f.start, f.end), token, text);
    await inRollback(db, async (q) => {
      const err = await pgError(q(text));
      assert.equal(err?.code, '42601', text);
      assert.equal(f.message.split(' (SQLSTATE')[0]!.replace('in PL/pgSQL body: ', ''), err!.message, text);
      assert.equal(err!.position, positionOf(text, f.start), text);
    });
  }
});

// Calibration (globalitacademy/muh: 12 migrations with CREATE POLICY IF NOT EXISTS): PostgreSQL has
// no IF NOT EXISTS for policies, triggers, functions, types, roles or constraints; the message says
// so, and the fix makes a statement that runs, twice in a row too (a migration run again).
test('err: CREATE POLICY IF NOT EXISTS (Invalid example 2): 42601 at NOT; the fix (DROP POLICY IF EXISTS, then CREATE POLICY) runs twice on PGlite and re-lints clean', async () => {
  const { ex, ws, finding } = invalidFinding(ID, 1);
  const text = ws.text(ex.files[0]!.file)!;
  assert.equal(text.slice(finding.start, finding.end), 'IF NOT EXISTS');
  assert.match(finding.message, /PostgreSQL has no CREATE POLICY … IF NOT EXISTS; .*DROP POLICY IF EXISTS "Owners read notes" ON notes; then CREATE POLICY "Owners read notes"/);
  const fixed = applyFix(ws, finding);
  const sql = sqlOf(fixed);
  assert.match(sql, /DROP POLICY IF EXISTS "Owners read notes" ON notes;\nCREATE POLICY "Owners read notes" ON notes/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    const err = await pgError(q(text));
    assert.equal(err?.code, '42601');
    assert.match(err!.message, /syntax error at or near "NOT"/);
  });
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql);
    const again = sql.slice(sql.indexOf('DROP POLICY'));
    await q(again);
    const rows = (await q(`SELECT count(*)::int AS n FROM pg_policies WHERE tablename = 'notes'`)) as Array<{ n: number }>;
    assert.equal(rows[0]!.n, 1);
  });
});

test('err: CREATE TRIGGER / FUNCTION … IF NOT EXISTS: the fix writes CREATE OR REPLACE, which runs twice on PGlite; TYPE, ROLE and ADD CONSTRAINT get the DO-block advice (no fix)', async () => {
  const text = `CREATE TABLE notes (id bigint PRIMARY KEY, owner uuid, updated_at timestamptz);
CREATE FUNCTION IF NOT EXISTS touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
CREATE TRIGGER IF NOT EXISTS notes_touch BEFORE UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION touch();
CREATE TYPE IF NOT EXISTS mood AS ENUM ('a', 'b');
ALTER TABLE notes ADD CONSTRAINT IF NOT EXISTS notes_owner_key UNIQUE (owner);
CREATE ROLE IF NOT EXISTS app_user;
`;
  const { ws, mine } = lintFiles([{ file: 'm.sql', text }], ID);
  assert.deepEqual(
    mine.map((f) => [text.slice(f.start, f.end), /PostgreSQL has no ([A-Z …]+?) … IF NOT EXISTS/.exec(f.message)?.[1], f.fixes?.length ?? 0]),
    [
      ['IF NOT EXISTS', 'CREATE FUNCTION', 1],
      ['IF NOT EXISTS', 'CREATE TRIGGER', 1],
      ['IF NOT EXISTS', 'CREATE TYPE', 0],
      ['IF NOT EXISTS', 'ALTER TABLE … ADD CONSTRAINT', 0],
      ['IF NOT EXISTS', 'CREATE ROLE', 0],
    ],
  );
  assert.match(mine[3]!.message, /EXCEPTION WHEN duplicate_object OR duplicate_table THEN NULL/);
  // (OR REPLACE written already: the fix takes IF NOT EXISTS out)
  const both = 'CREATE OR REPLACE FUNCTION IF NOT EXISTS one() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;\n';
  const orReplace = lintFiles([{ file: 'r.sql', text: both }], ID);
  assert.match(orReplace.mine[0]!.message, /Take IF NOT EXISTS out: CREATE OR REPLACE FUNCTION creates the function/);
  const fixedBoth = sqlOf(applyFix(orReplace.ws, orReplace.mine[0]!));
  assert.equal(fixedBoth, 'CREATE OR REPLACE FUNCTION one() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;\n');
  await inRollback(await getDb(), async (q) => assert.equal((await pgError(q(both)))?.code, '42601'));
  await inRollback(await getDb(), async (q) => {
    await q(fixedBoth);
    await q(fixedBoth);
  });
  let fixed = ws;
  for (let i = 0; i < 2; i++) fixed = applyFix(fixed, findingsOf(fixed, ID)[0]!);
  const sql = sqlOf(fixed).split('\n').slice(0, 3).join('\n');
  assert.match(sql, /CREATE OR REPLACE FUNCTION touch\(\)/);
  assert.match(sql, /CREATE OR REPLACE TRIGGER notes_touch BEFORE UPDATE/);
  await inRollback(await getDb(), async (q) => {
    for (const line of text.split('\n').slice(1, 6)) assert.equal((await pgError(q(line)))?.code, '42601', line);
  });
  await inRollback(await getDb(), async (q) => {
    await q(sql);
    await q(sql.split('\n').slice(1).join('\n'));
  });
});

// Calibration (ceqy/init's mdm-material): a CREATE TABLE PostgreSQL rejects (an expression in a
// table's UNIQUE constraint) makes no table; its ENABLE and policies fail with 42P01, yet the
// policies were reported on by three other rules as if they existed.
test('ok: the policies of a table whose CREATE TABLE has a syntax error are no policies: only the syntax error is reported (PGlite: 42601, then 42P01 for the ENABLE and the policy)', async () => {
  const files = [
    { file: 'migrations/001_t.sql', text: "CREATE TABLE material_alternatives (\n  id uuid PRIMARY KEY,\n  tenant_id uuid NOT NULL,\n  material_id uuid NOT NULL,\n  plant varchar(10),\n  CONSTRAINT uk_alt UNIQUE (material_id, COALESCE(plant, ''))\n);\n" },
    { file: 'migrations/002_rls.sql', text: "ALTER TABLE material_alternatives ENABLE ROW LEVEL SECURITY;\nCREATE POLICY tenant_isolation ON material_alternatives\n  USING (tenant_id = current_setting('app.current_tenant_id', true)::uuid);\n" },
  ];
  const { findings } = lintFiles(files, ID);
  assert.deepEqual(findings.map((f) => `${f.rule} ${f.file}`), [`${ID} migrations/001_t.sql`]);
  // (the same policy on a table that parses is reported by the other rules)
  const parses = lintFiles([{ ...files[0]!, text: files[0]!.text.replace(", COALESCE(plant, '')", ', plant') }, files[1]!], ID).findings;
  assert.ok(parses.some((f) => f.rule === 'policy-current-setting-unsafe'));
  await inRollback(await getDb(), async (q) => {
    const errors = await runEachStatement(q, files.map((f) => f.text).join(''));
    assert.deepEqual(errors.map((e) => e.code), ['42601', '42P01', '42P01']);
  });
});

// Calibration (ly-schneider/bless2n-food-system, backend/db/migrations/V001__init_security_roles_and_privileges.sql):
// Flyway replaces `${name}` placeholders before it sends a migration (placeholder replacement is on
// by default), so `CREATE ROLE ${APP_USER} LOGIN …` is no statement PostgreSQL rejects.
const FLYWAY = `CREATE ROLE \${APP_USER} LOGIN PASSWORD '\${APP_USER_PASSWORD}';
CREATE TABLE events (id bigint PRIMARY KEY, name text);
GRANT SELECT, INSERT, UPDATE, DELETE ON events TO \${APP_USER};
GRANT SELECT ON events TO \${APP_USER} WITH;
`;

test('ok: Flyway placeholders (`${APP_USER}`, bless2n-food-system) are no syntax error and are read as the role they name; a real error beside one still is. PGlite: the text as written fails 42601 at the "$", what Flyway sends runs', async () => {
  const { findings, mine } = lintFiles([{ file: 'db/migration/V1__roles.sql', text: FLYWAY }], ID);
  const at = FLYWAY.indexOf('WITH;') + 4;
  assert.deepEqual(mine.map((f) => [f.start, f.message.split(' (SQLSTATE')[0]]), [[at, 'syntax error at or near ";"']]);
  // the grant reaches the model: the table without RLS is readable by the placeholder's role, named as written
  const exposed = findings.find((f) => f.rule === 'rls-not-enabled');
  assert.match(exposed?.message ?? '', /\$\{APP_USER\} may read and write all of its rows/);
  await inRollback(await getDb(), async (q) => {
    const lines = FLYWAY.trim().split('\n');
    const raw = await tryQuery(q, lines[0]!);
    assert.ok(!raw.ok && raw.error.code === '42601' && raw.error.message === 'syntax error at or near "$"', JSON.stringify(raw));
    assert.equal(raw.error.position, positionOf(lines[0]!, lines[0]!.indexOf('$')));
    const sent = (line: string) => line.replaceAll('${APP_USER_PASSWORD}', 'from-the-environment').replaceAll('${APP_USER}', 'app_user');
    for (const line of lines.slice(0, 3)) await q(sent(line));
    const broken = await tryQuery(q, sent(lines[3]!));
    assert.ok(!broken.ok && broken.error.code === '42601', JSON.stringify(broken));
    assert.equal(broken.error.position, positionOf(sent(lines[3]!), sent(lines[3]!).indexOf('WITH;') + 4));
    await q('SET ROLE app_user');
    assert.deepEqual(await q('SELECT count(*)::int AS n FROM events'), [{ n: 0 }]);
    await q('RESET ROLE');
  });
});

// Calibration (ronicos/postgraphql-starter, models/user/user-access-rules.sql): a template its table
// generator fills with JavaScript's `format` (`{0}` the schema, `{1}` the table) before it sends it,
// as Python's str.format (`{schema}`) and .NET's String.Format do: PostgreSQL never sees the `{0}`.
const FORMAT_TEMPLATE = `grant select on table {0}.{1} to authenticated;
ALTER TABLE {0}.{1} ENABLE ROW LEVEL SECURITY;
create policy {1}_select_own on {0}.{1} for select
  using (_id::text = (select current_setting('jwt.claims._id', true)));
create policy {table}_all on {schema}.{table} for all using (true) with;
select '{1,2}'::int[], {1,2};
`;

test('ok: format placeholders (`{0}.{1}`, `{schema}`: postgraphql-starter) are no syntax error; a real error beside one, and a `{` that is no placeholder, still are. PGlite: the text as written fails 42601 at the "{", what the generator sends runs', async () => {
  const { mine } = lintFiles([{ file: 'models/user/user-access-rules.sql', text: FORMAT_TEMPLATE }], ID);
  assert.deepEqual(
    mine.map((f) => [f.start, f.message.split(' (SQLSTATE')[0]]),
    [
      [FORMAT_TEMPLATE.indexOf('with;') + 4, 'syntax error at or near ";"'],
      [FORMAT_TEMPLATE.indexOf(', {1,2}') + 2, 'syntax error at or near "{"'],
    ],
  );
  await inRollback(await getDb(), async (q) => {
    const stmts = FORMAT_TEMPLATE.split(/;\n/).filter((x) => x.trim());
    const raw = await tryQuery(q, stmts[0]!);
    assert.ok(!raw.ok && raw.error.code === '42601' && raw.error.message === 'syntax error at or near "{"', JSON.stringify(raw));
    await q('CREATE SCHEMA demo; CREATE TABLE demo.users (_id int PRIMARY KEY)');
    const sent = (x: string) => x.replaceAll('{0}', 'demo').replaceAll('{1}', 'users').replaceAll('{schema}', 'demo').replaceAll('{table}', 'users');
    for (const x of stmts.slice(0, 3)) await q(sent(x));
    const broken = await tryQuery(q, sent(stmts[3]!));
    assert.ok(!broken.ok && broken.error.code === '42601', JSON.stringify(broken));
    const brace = await tryQuery(q, stmts[4]!);
    assert.ok(!brace.ok && brace.error.code === '42601' && brace.error.message === 'syntax error at or near "{"', JSON.stringify(brace));
  });
});

// Calibration (ilhamsa1/deploy-vercel: supabase/config.toml `[db] major_version = 15`; its
// 20240405061417_create-function-ulid.sql creates `json(UUID_ULID)` and a cast WITH FUNCTION
// json(UUID_ULID)). json is no keyword in PostgreSQL 15 (kwlist.h), an unreserved one in 16, which
// may still name a function, and a COL_NAME keyword, which may not, since 17 (17's release notes:
// the SQL/JSON constructor JSON(); libpg_query's kwlist.h of 16 and 17). PostgreSQL 15.18 ran both
// statements, and the whole migration; PGlite here is PostgreSQL 18, so only the rejection by the
// later versions and the quoted form run in this test.
const JSON_FN = `CREATE DOMAIN uuid_ulid AS uuid;
CREATE FUNCTION json(uuid_ulid) RETURNS json AS $$ SELECT to_json($1::text) $$ LANGUAGE sql IMMUTABLE;
CREATE CAST (uuid_ulid AS json) WITH FUNCTION json(uuid_ulid) AS IMPLICIT;
`;
const MIGRATION = 'supabase/migrations/20240101000000_json.sql';

test('ok (message): json(…) where the project pins PostgreSQL 15 or 16 (deploy-vercel): a warning that 17 and later reject it, naming the pin; PGlite (18) rejects it at the "(", and runs it with json quoted', async () => {
  for (const pinned of [15, 16]) {
    const { mine } = lintFiles([{ file: MIGRATION, text: JSON_FN }], ID, mergeConfig({ postgresVersion: pinned }));
    assert.deepEqual(mine.map((f) => [JSON_FN.slice(f.start, f.end), f.severity, f.range.start.line + 1]), [['(', 'warning', 2], ['(', 'warning', 3]], String(pinned));
    for (const f of mine) {
      assert.equal(
        f.message,
        `syntax error at or near "(" (SQLSTATE 42601) on PostgreSQL 17 and later, where json is a keyword (since 17) that cannot stand unquoted here. This project pins PostgreSQL ${pinned} (setting postgresVersion), whose parser takes json for a name there and does not raise this error: the statement fails once the project moves to PostgreSQL 17 or later. Write it quoted ("json"): a quoted name is never a keyword, and means the same on ${pinned}.`,
      );
      assert.doesNotMatch(f.message, /would reject/);
    }
  }
  // (the version from the Supabase project's config.toml, read by the io layer: its file is named)
  const ws = new Workspace();
  ws.setFile(MIGRATION, JSON_FN);
  ws.setApiSchemas([{ folder: 'supabase/', source: 'supabase/config.toml', schemas: ['public', 'graphql_public'], majorVersion: 15 }]);
  const fromToml = ws.lint().byFile.get(MIGRATION)!.filter((f) => f.rule === ID);
  assert.equal(fromToml.length, 2);
  assert.match(fromToml[0]!.message, /This project pins PostgreSQL 15 \(supabase\/config\.toml \[db\] major_version\), whose parser takes json for a name/);
  assert.equal(fromToml[0]!.severity, 'warning');
  // (the rule's severity set in the config is kept)
  assert.deepEqual(lintFiles([{ file: MIGRATION, text: JSON_FN }], ID, mergeConfig({ postgresVersion: 15, rules: { [ID]: 'error' } })).mine.map((f) => f.severity), ['error', 'error']);
  const db = await getDb();
  await inRollback(db, async (q) => {
    const errors = await runEachStatement(q, JSON_FN);
    assert.deepEqual(errors.map((e) => [e.code, e.message]), [['42601', 'syntax error at or near "("'], ['42601', 'syntax error at or near "("']]);
  });
  await inRollback(db, async (q) => {
    const err = await pgError(q(JSON_FN.split('\n').slice(0, 2).join('\n')));
    assert.equal(err?.position, positionOf(JSON_FN, mine0(JSON_FN).start));
  });
  // quoted, it runs (and a call of "json" is the function's)
  const quoted = JSON_FN.replace(/\bjson\(/g, '"json"(');
  await inRollback(db, async (q) => {
    await q(quoted);
    const rows = (await q(`SELECT "json"('01890a5d-ac96-774b-bcce-b302099a8057'::uuid_ulid)::text AS j`)) as Array<{ j: string }>;
    assert.equal(rows[0]!.j, '"01890a5d-ac96-774b-bcce-b302099a8057"');
  });
  assert.deepEqual(lintFiles([{ file: MIGRATION, text: quoted }], ID, mergeConfig({ postgresVersion: 15 })).findings, []);
});

/** The first syntax-error finding of `text` linted with no pin. */
function mine0(text: string) {
  return lintFiles([{ file: MIGRATION, text }], ID).mine[0]!;
}

test('err: json(…) where the project pins 17 or 18, or pins nothing: PostgreSQL rejects it, as today; another error in the statement is PostgreSQL\'s on 15 too', async () => {
  for (const config of [mergeConfig({ postgresVersion: 17 }), mergeConfig({ postgresVersion: 18 }), mergeConfig({})]) {
    const { mine } = lintFiles([{ file: MIGRATION, text: JSON_FN }], ID, config);
    assert.deepEqual(mine.map((f) => f.severity), ['error', 'error'], JSON.stringify(config.postgresVersion));
    for (const f of mine) assert.match(f.message, /^syntax error at or near "\(" \(SQLSTATE 42601\)\. PostgreSQL would reject this statement/);
  }
  // a statement that fails with json quoted too: the error is not json's
  const other = 'CREATE FUNCTION json(x int) RETURNS int AS $$ SELECT 1 $$ LANGUAG sql;\n';
  const found = lintFiles([{ file: MIGRATION, text: other }], ID, mergeConfig({ postgresVersion: 15 })).mine;
  assert.equal(found.length, 1);
  assert.equal(found[0]!.severity, 'error');
  assert.match(found[0]!.message, /PostgreSQL would reject this statement/);
  await inRollback(await getDb(), async (q) => assert.equal((await pgError(q(other.replace('json(', '"json"('))))?.code, '42601'));
  // a word that is a keyword since 15 already (SELCT is none; WITH is reserved in every version): as today
  const typo = lintFiles([{ file: MIGRATION, text: 'CREATE TABLE t (id int);\nCREATE POLICY p ON t FOR SELCT USING (true);\n' }], ID, mergeConfig({ postgresVersion: 15 })).mine;
  assert.match(typo[0]!.message, /PostgreSQL would reject this statement/);
});

test('ok: json qualified with its schema, or json used where 17 takes it (a type, a column), is no syntax error: PGlite runs them', async () => {
  const ok = `CREATE DOMAIN uuid_ulid AS uuid;
CREATE FUNCTION public.json(uuid_ulid) RETURNS json AS $$ SELECT to_json($1::text) $$ LANGUAGE sql IMMUTABLE;
CREATE TABLE docs (id int, json json, path text);
`;
  assert.deepEqual(lintFiles([{ file: MIGRATION, text: ok }], ID, mergeConfig({ postgresVersion: 15 })).mine, []);
  await inRollback(await getDb(), async (q) => {
    await q(ok);
  });
});

test("err (message): a syntax error in a dbmate `-- migrate:down` section: migrating up runs the file's up section cleanly; the down section fails with 42601, which the message places in a rollback", async () => {
  const up = 'CREATE TABLE notes (id bigint PRIMARY KEY);\nALTER TABLE notes ENABLE ROW LEVEL SECURITY;\nALTER TABLE notes FORCE ROW LEVEL SECURITY;\n';
  const down = 'DROP TABLE notes CASCADE\nDROP TABLE tags;\n';
  const text = `-- migrate:up\n${up}\n-- migrate:down\n${down}`;
  const { mine } = lintFiles([{ file: 'db/migrations/20240101000000_notes.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.equal(text.slice(mine[0]!.start, mine[0]!.end), 'DROP');
  assert.match(mine[0]!.message, /^syntax error at or near "DROP" \(SQLSTATE 42601\), in the file's `-- migrate:down` section, which migrating up does not run: PostgreSQL rejects this statement when the migration is rolled back, and the rollback stops there\./);
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual(await runEachStatement(q, up), []);
    assert.deepEqual((await runEachStatement(q, down)).map((e) => e.code), ['42601']);
  });
  // (the same error in the up section: the message of a statement that has no ';', which migrating up runs)
  const broken = `-- migrate:up\n${down}\n-- migrate:down\nDROP TABLE notes;\n`;
  assert.match(lintFiles([{ file: 'db/migrations/20240101000000_notes.sql', text: broken }], ID).mine[0]!.message, /^syntax error at or near "DROP" \(SQLSTATE 42601\): the statement before it, from line 2, does not end with ';', so PostgreSQL reads the two as one statement and rejects it: neither runs\./);
});

// Calibration (RicardoBoreto/tirilo's 20251210000002_fix_games_rls.sql: `BEGIN; CREATE POLICY …; EXCEPTION WHEN
// OTHERS THEN RAISE NOTICE …; END;`, a DO block's handler written outside one). The transaction's statements stay
// checked (one broken statement hides no finding); the message says what psql does with them.
test("err (message): a syntax error inside BEGIN … COMMIT says psql fails the transaction's statements (25P02) and its COMMIT rolls them back (PGlite, statement by statement); a ROLLBACK TO a savepoint recovers; the transaction's policies are still checked", async () => {
  const text = `CREATE TABLE public.notes (id int);
ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
BEGIN;
  CREATE POLICY notes_update ON public.notes FOR UPDATE TO authenticated USING (true);
EXCEPTION WHEN OTHERS THEN
  RAISE NOTICE 'already there';
CREATE POLICY notes_select ON public.notes FOR SELECT TO authenticated USING (true);
END;
CREATE POLICY notes_delete ON public.notes FOR DELETE TO authenticated USING (true);
BEGIN;
SAVEPOINT s;
CREATE POLICY IF NOT EXISTS oops ON public.notes USING (true);
ROLLBACK TO SAVEPOINT s;
CREATE POLICY notes_insert ON public.notes FOR INSERT TO authenticated WITH CHECK (true);
COMMIT;
`;
  const { findings } = lintFiles([{ file: 'migrations/001_notes.sql', text }], ID);
  const mine = findings.filter((f) => f.rule === ID);
  assert.equal(mine.length, 2);
  assert.match(mine[0]!.message, /^syntax error at or near "EXCEPTION" \(SQLSTATE 42601\)\. PostgreSQL would reject this statement, inside the transaction begun at line 3: psql without ON_ERROR_STOP then fails every statement up to its end \(25P02, current transaction is aborted\) and its COMMIT rolls the whole transaction back, the statements before this one with it; a migration tool stops here\. The other statements of the file, the transaction's too, are still checked as written\.$/);
  // (after ROLLBACK TO, the transaction goes on: nothing more to say)
  assert.doesNotMatch(mine[1]!.message, /transaction/);
  // (still checked: notes_update is reported as it is written)
  assert.ok(findings.some((f) => f.rule === 'policy-always-true' && /"notes_update"/.test(f.message)));
  const db = await getDb();
  await db.exec(`CREATE ROLE authenticated NOLOGIN`).catch(() => undefined);
  // (as psql without ON_ERROR_STOP sends them: one statement at a time, going on after an error)
  const codes: string[] = [];
  for (const s of sqlStatementsOf(text)) codes.push(await db.exec(s).then(() => 'ok', (e: { code?: string }) => e.code ?? '?'));
  try {
    // (CREATE TABLE, ALTER, BEGIN, notes_update, the EXCEPTION line, notes_select, END (a ROLLBACK), notes_delete)
    assert.deepEqual(codes.slice(0, 8), ['ok', 'ok', 'ok', 'ok', '42601', '25P02', 'ok', 'ok']);
    const names = (await db.query<{ policyname: string }>(`SELECT policyname FROM pg_policies WHERE tablename = 'notes' ORDER BY 1`)).rows.map((r) => r.policyname);
    assert.deepEqual(names, ['notes_delete', 'notes_insert']);
  } finally {
    await db.exec('DROP TABLE IF EXISTS public.notes');
  }
});

/** The statements of a script as psql sends them (split at `;` ends of lines: enough for the script above). */
function sqlStatementsOf(text: string): string[] {
  return text.split(/;\s*\n/).map((s) => s.trim()).filter(Boolean).map((s) => `${s};`);
}

// Calibration (supabase/auth, a Go service whose migrations gobuffalo pop renders as Go templates):
// 32 syntax-error errors, one per `{{ index .Options "Namespace" }}` in a DO block's body (the
// action was put in as a name only in top-level statements) or written in a quoted identifier
// (`"{{ index .Options "Namespace" }}".identities`: lexed as `"{{ index .Options "`, then
// `Namespace`, where the error falls). PostgreSQL never sees the action, only what it renders to.
test('ok: Go template actions in a DO body and in a quoted identifier are what the migration tool renders, not a syntax error (PGlite: the rendered file runs)', async () => {
  const text = `CREATE SCHEMA IF NOT EXISTS {{ index .Options "Namespace" }};
CREATE TABLE {{ index .Options "Namespace" }}.identities (id uuid PRIMARY KEY, user_id uuid);
CREATE INDEX IF NOT EXISTS identities_user_id_idx ON "{{ index .Options "Namespace" }}".identities USING btree (user_id);
DO $$ BEGIN
  CREATE TYPE {{ index .Options "Namespace" }}.factor_type AS ENUM ('totp');
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
DO $$ BEGIN
  ALTER TABLE {{ index .Options "Namespace" }}.identities ENABLE ROW LEVEL SECURITY;
END $$;
`;
  const { findings } = lintFiles([{ file: 'migrations/20240101000000_identities.up.sql', text }], ID);
  assert.deepEqual(findings.filter((f) => f.rule === ID), []);
  await inRollback(await getDb(), async (q) => {
    // as pop runs it: the actions rendered first (Namespace = auth_ns)
    await q(text.replaceAll('{{ index .Options "Namespace" }}', 'auth_ns'));
    assert.deepEqual(await q(`SELECT relrowsecurity FROM pg_class WHERE oid = 'auth_ns.identities'::regclass`), [{ relrowsecurity: true }]);
    assert.deepEqual(await q(`SELECT count(*)::int AS n FROM pg_type WHERE typname = 'factor_type'`), [{ n: 1 }]);
  });
  // a real error in such a body is still reported
  const broken = 'DO $$ BEGIN\n  CREATE TYPE {{ index .Options "Namespace" }}.factor_type AS ENUM (\'totp\';\nEND $$;\n';
  assert.equal(lintFiles([{ file: 'migrations/20240101000001_x.up.sql', text: broken }], ID).mine.length, 1);
});

test("err (message, fix): a DO block whose closing $$ has no ';' before the next statement (calibration: aws-saas-factory-postgresql-rls's bootstrap.sql; a Studio export's CREATE FUNCTION … $function$ then CREATE TRIGGER): PostgreSQL reads both as one, fails at the next statement's first word, and neither runs; the fix ends the statement before, and both run (PGlite)", async () => {
  const text = `CREATE TABLE tenant (id int PRIMARY KEY);

-- its policy
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_policies WHERE tablename = 'tenant') THEN
    CREATE POLICY tenant_read ON tenant USING (true);
  END IF;
END
$$

-- the users
CREATE TABLE tenant_user (id int PRIMARY KEY, tenant_id int NOT NULL);
ALTER TABLE tenant ENABLE ROW LEVEL SECURITY;
`;
  const { ws, mine } = lintFiles([{ file: 'db/1.sql', text }], ID);
  assert.equal(mine.length, 1);
  const finding = mine[0]!;
  assert.equal(text.slice(finding.start, finding.end), 'CREATE');
  assert.equal(finding.start, text.indexOf('CREATE TABLE tenant_user'));
  assert.match(finding.message, /^syntax error at or near "CREATE" \(SQLSTATE 42601\): the statement before it, from line 4, does not end with ';', so PostgreSQL reads the two as one statement and rejects it: neither runs\. End that statement with ';'\./);
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /\nEND\n\$\$;\n\n-- the users\n/, "the ';' right after $$, before the comment");
  assert.equal(findingsOf(fixed, ID).length, 0);
  const db = await getDb();
  const state = async (q: Parameters<Parameters<typeof inRollback>[1]>[0]) =>
    (await q(`SELECT (SELECT count(*)::int FROM pg_policies WHERE tablename = 'tenant') AS policies, to_regclass('tenant_user') IS NOT NULL AS users`))[0];
  await inRollback(db, async (q) => {
    const errors = await runEachStatement(q, text);
    assert.deepEqual(errors.map((e) => [e.code, e.message]), [['42601', 'syntax error at or near "CREATE"']]);
    assert.deepEqual(await state(q), { policies: 0, users: false }, 'neither the DO block nor the CREATE TABLE ran');
  });
  await inRollback(db, async (q) => {
    assert.deepEqual(await runEachStatement(q, sqlOf(fixed)), []);
    assert.deepEqual(await state(q), { policies: 1, users: true });
  });
  // a comment at the end of the $$ line: a ';' after it would be part of it, so no fix, the plain message
  const commented = text.replace('END\n$$\n', () => 'END\n$$ -- done\n');
  const plain = lintFiles([{ file: 'db/1.sql', text: commented }], ID).mine;
  assert.equal(plain.length, 1);
  assert.match(plain[0]!.message, /^syntax error at or near "CREATE" \(SQLSTATE 42601\)\. PostgreSQL would reject this statement; the other statements of the file are still checked\.$/);
  assert.equal(plain[0]!.fixes.length, 0);
});

// Calibration cal213 (jaynwanze/interviewgrade's 20230116105327_tables.sql: CREATE TABLE products names a
// column 'price_id' in single quotes, a syntax error among the file's hundred statements).
test("err (message): in a Supabase migration, a syntax error takes the whole file with it (the CLI runs it in one transaction) and no later migration runs: the message says so and counts what follows; PGlite: the file in one transaction leaves not even the table before the error", async () => {
  const text = `CREATE TABLE public.employees (id uuid PRIMARY KEY);
ALTER TABLE public.employees ENABLE ROW LEVEL SECURITY;
CREATE TABLE public.products (
  id uuid PRIMARY KEY,
  'price_id' character varying
);
CREATE TABLE public.candidates (id uuid PRIMARY KEY);
CREATE POLICY candidates_read ON public.candidates FOR SELECT USING (true);
`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/20230116105327_tables.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.equal(mine[0]!.start, text.indexOf("'price_id'"));
  assert.equal(
    mine[0]!.message,
    `syntax error at or near "'price_id'" (SQLSTATE 42601). PostgreSQL would reject this statement, and a migration tool stops here: the Supabase CLI runs each file in one transaction, so none of this file's statements is applied (the 2 after this one included, among them CREATE POLICY "candidates_read"), and no later migration runs. The other statements of the file are still checked as written.`,
  );
  // elsewhere, the plain message (a tool may run the file statement by statement)
  assert.match(lintFiles([{ file: 'db/1_tables.sql', text }], ID).mine[0]!.message, /PostgreSQL would reject this statement; the other statements of the file are still checked\.$/);
  const db = await getDb();
  const err = await pgError(db.exec(`BEGIN;\n${text}COMMIT;`));
  assert.equal(err?.code, '42601');
  await db.exec('ROLLBACK');
  assert.equal((await db.query<{ t: string | null }>(`SELECT to_regclass('public.employees') AS t`)).rows[0]!.t, null, 'the table made before the error is rolled back with it');
});

// Calibration cal106 (maslennikov-ig/MC-2's cleanup_old_drafts_job: a DO $$ … $$ block passing a job's SQL
// in $$ … $$ to cron.schedule): the inner $$ closes the DO block's body, and PostgreSQL fails at the
// job's SELECT. The text before it parses as a DO block, but its body does not parse as PL/pgSQL: a
// ';' there is not what is missing (the DO block still fails), so the finding does not say it is.
test("err (message): a $$ inside a DO block's $$ body closes it early: PostgreSQL fails at the next word, and a ';' before it would not help (the DO block's body, cut there, still fails: PGlite), so the message does not ask for one and no fix adds it", async () => {
  const job = `DO $$
BEGIN
  PERFORM public.schedule_job(
    'cleanup',
    $$
    SELECT 1 AS done;
    $$
  );
END $$;
`;
  const text = `CREATE FUNCTION public.schedule_job(name text, command text) RETURNS void LANGUAGE sql AS 'SELECT NULL';\n${job}`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/20250108000000_jobs.sql', text }], ID);
  const finding = mine.find((f) => text.slice(f.start, f.end) === 'SELECT');
  assert.ok(finding, 'the error at the job\'s SELECT');
  assert.equal(finding.start, text.indexOf('SELECT 1 AS done'));
  assert.match(finding.message, /^syntax error at or near "SELECT" \(SQLSTATE 42601\)\. PostgreSQL would reject this statement, and a migration tool stops here: the Supabase CLI runs each file in one transaction, so none of this file's statements is applied/);
  assert.doesNotMatch(finding.message, /does not end with ';'/);
  assert.equal(finding.fixes.length, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(text.slice(0, text.indexOf('\nDO $$')));
    const err = await pgError(q(job));
    assert.equal(err?.code, '42601');
    assert.match(err!.message, /syntax error at or near "SELECT"/);
    assert.equal(err!.position, positionOf(job, job.indexOf('SELECT 1 AS done')));
  });
  await inRollback(db, async (q) => {
    await q(text.slice(0, text.indexOf('\nDO $$')));
    // (the ';' a missing-';' message would ask for, after the DO block's cut body: it still fails)
    const cut = job.slice(0, job.indexOf('\n    SELECT 1')) + ';';
    const err = await pgError(q(cut));
    assert.equal(err?.code, '42601');
  });
  // (with a tag of its own, the job's SQL stays inside the DO block's body: it runs)
  const tagged = job.replace(/\$\$\n    SELECT 1 AS done;\n    \$\$/, () => '$job$\n    SELECT 1 AS done;\n    $job$');
  assert.equal(lintFiles([{ file: 'supabase/migrations/20250108000000_jobs.sql', text: text.replace(job, () => tagged) }], ID).mine.length, 0);
  await inRollback(db, async (q) => {
    await q(text.slice(0, text.indexOf('\nDO $$')));
    assert.equal(await pgError(q(tagged)), null);
  });
});

// Calibration cal104 (epitome's expand_audit_log_action_values: a DO block's EXECUTE format() of
// string constants continued over lines with `-- REST route actions` comments between them):
// libpg-query rejects the second constant, PostgreSQL's scanner takes the comment as whitespace.
test("ok: a -- comment between a string constant and its continuation on a later line is whitespace (top level, a DO block's EXECUTE, a PL/pgSQL function); PGlite runs them and joins the constants; a comment before a constant that does not continue one is still an error", async () => {
  const top = "SELECT 'a'\n  -- the first part\n  'b' AS x;\n";
  const inDo = `CREATE TABLE audit_log (action text);
DO $$
BEGIN
  EXECUTE format(
    'ALTER TABLE %I ADD CONSTRAINT audit_log_action_check '
    'CHECK (action IN ('
      -- REST route actions
      '''read'',''write'','
      -- consent actions
      '''consent_check'''
    '))',
    'audit_log'
  );
END $$;
CREATE FUNCTION joined() RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  RETURN 'a'
    -- c
    'b';
END $$;
`;
  const { ws, mine } = lintFiles([{ file: 'db/1_top.sql', text: top }, { file: 'db/2_do.sql', text: inDo }], ID);
  assert.deepEqual(mine, []);
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual(await q(top), [{ x: 'ab' }]);
    assert.deepEqual(await runEachStatement(q, sqlOf(ws).replace(top, '')), []);
    assert.deepEqual(await q(`SELECT pg_get_constraintdef(oid) AS d FROM pg_constraint WHERE conname = 'audit_log_action_check'`), [{ d: "CHECK ((action = ANY (ARRAY['read'::text, 'write'::text, 'consent_check'::text])))" }]);
    assert.deepEqual(await q('SELECT joined() AS j'), [{ j: 'ab' }]);
  });
  // (no constant before the comment: `SELECT 1` newline comment newline `'b'` is an error in both)
  const bad = "SELECT 1\n  -- c\n  'b' AS x;\n";
  assert.equal(lintFiles([{ file: 'db/3_bad.sql', text: bad }], ID).mine.length, 1);
  await inRollback(await getDb(), async (q) => {
    assert.equal((await pgError(q(bad)))?.code, '42601');
  });
});

test("warn (message): a broken body in a function a DO block makes with EXECUTE in one IF branch, or under an EXCEPTION clause catching the error, is parsed only when that EXECUTE runs (calibration: an idempotent Supabase migration's ELSE branch whose body lacks END): a warning that says so; PGlite runs the block where the other branch is taken, fails with 42601 where that branch is, and the caught one goes on; an unconditional EXECUTE stays an error", async () => {
  const good = 'CREATE OR REPLACE FUNCTION public.trend() RETURNS integer LANGUAGE plpgsql AS $fbody$ BEGIN RETURN 1; END; $fbody$';
  const broken = 'CREATE OR REPLACE FUNCTION public.trend() RETURNS integer LANGUAGE plpgsql AS $fbody$ BEGIN RETURN 0; $fbody$';
  const branch = (table: string) => `DO $fix$
BEGIN
  IF EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = 'public' AND table_name = '${table}') THEN
    EXECUTE $fn$ ${good} $fn$;
  ELSE
    EXECUTE $fn$ ${broken} $fn$;
  END IF;
END;
$fix$;
`;
  const caught = `DO $fix$
BEGIN
  EXECUTE $fn$ ${broken} $fn$;
EXCEPTION WHEN OTHERS THEN
  RAISE NOTICE 'skipped: %', SQLERRM;
END;
$fix$;
`;
  const plain = `DO $fix$
BEGIN
  EXECUTE $fn$ ${broken} $fn$;
END;
$fix$;
`;
  const table = 'CREATE TABLE public.history (id int);\n';
  const one = (text: string) => lintFiles([{ file: 'db/1.sql', text }], ID).mine;
  const b = one(table + branch('history'));
  assert.deepEqual(b.map((f) => f.severity), ['warning']);
  assert.match(b[0]!.message, /^in PL\/pgSQL body: syntax error at end of input \(SQLSTATE 42601\), in a function that a DO block makes with EXECUTE in one branch of an IF: PostgreSQL parses that text only when the EXECUTE runs, so the DO block fails .* only where that branch is taken/);
  const c = one(caught);
  assert.deepEqual(c.map((f) => f.severity), ['warning']);
  assert.match(c[0]!.message, /under an EXCEPTION clause that catches this error: .* the clause catches the error: the DO block goes on without making the function/);
  const p = one(plain);
  assert.deepEqual(p.map((f) => f.severity), ['error']);
  assert.match(p[0]!.message, /PostgreSQL would reject this statement/);
  await inRollback(await getDb(), async (q) => {
    await q(table + branch('history'));
    assert.deepEqual(await q('SELECT public.trend() AS n'), [{ n: 1 }]);
  });
  await inRollback(await getDb(), async (q) => {
    assert.equal((await pgError(q(branch('no_such_table'))))?.code, '42601');
  });
  await inRollback(await getDb(), async (q) => {
    await q(caught);
    assert.deepEqual(await q(`SELECT count(*)::int AS n FROM pg_proc WHERE proname = 'trend'`), [{ n: 0 }]);
    assert.equal((await pgError(q(plain)))?.code, '42601');
  });
});

// Calibration (cgb808/dev-indexer_1's sql/metrics_writer_role.sql and queue_worker_role.sql):
// `\set metrics_role metrics_writer`, then a DO block asking `WHERE rolname = :'metrics_role'`.
// psql substitutes no variable inside a string constant, a dollar-quoted body included (measured
// with psql 15: the DO block fails with 42601 at or near ":", while `SELECT :'metrics_role'` on the
// next line gives metrics_writer), so PostgreSQL gets the `:` as written. The finding said only
// "syntax error at or near ':'": it now names the psql variable, says why psql leaves it, and how
// to pass the value (set_config before the block, current_setting in it).
test("err (message): a psql variable written in a DO or function body is sent as written (psql does not substitute inside quotes): the message names it and says how to pass the value; PGlite rejects the body as psql sends it and runs the set_config/current_setting form", async () => {
  const body = (v: string) => `DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${v}) THEN
    RAISE NOTICE 'missing';
  END IF;
END $$;`;
  const text = `\\set metrics_role metrics_writer\n${body(":'metrics_role'")}\nCREATE FUNCTION f() RETURNS text LANGUAGE sql AS 'SELECT :''metrics_role''::text';\nCREATE FUNCTION g() RETURNS text LANGUAGE plpgsql AS $b$ BEGIN RETURN :metrics_role; END $b$;\nSELECT :'metrics_role';`;
  const { mine } = lintFiles([{ file: 'm.sql', text }], ID);
  assert.deepEqual(
    mine.map((m) => text.slice(m.start, m.end)),
    [":'metrics_role'", ":''metrics_role''", ':metrics_role'],
  );
  for (const m of mine) {
    assert.match(m.message, /a psql variable in the body: psql substitutes no variable inside a string constant \(a dollar-quoted body is one\), so PostgreSQL receives `:'?metrics_role'?` as written and rejects the statement\./);
    assert.match(m.message, /SELECT set_config\('psql\.metrics_role', :'metrics_role', false\);` before it, and current_setting\('psql\.metrics_role'\) in the body/);
  }
  // a `::` cast and a `:=` assignment in a body are not psql variables; a body without errors gives no finding
  assert.equal(lintFiles([{ file: 'm.sql', text: `DO $$ DECLARE x text; BEGIN x := 'a'::text; END $$;` }], ID).mine.length, 0);
  const db = await getDb();
  // what psql sends: the body as written
  await inRollback(db, async (q) => assert.equal((await pgError(q(body(":'metrics_role'"))))?.code, '42601'));
  await inRollback(db, async (q) => {
    // the advice: psql substitutes :'metrics_role' outside the body ('metrics_writer'), the body reads the setting
    await q(`SELECT set_config('psql.metrics_role', 'metrics_writer', false)`);
    const r = await tryQuery(q, body("current_setting('psql.metrics_role')"));
    assert.equal(r.ok, true);
  });
});

// Calibration (nohseon-song/chackmake-query-tool's 20250821140922 migration, a Lovable project):
// `REVOKE ALL ON VIEW public.inspectors_public FROM PUBLIC;`, the same FROM anon, and `GRANT
// SELECT ON VIEW … TO authenticated`. GRANT and REVOKE have no object type VIEW: PostgreSQL reads
// VIEW as a table's name and fails at the next word (psql 15 and PGlite alike), so the view kept
// the privileges the migration meant to take away. The message said only "syntax error at or near
// \"public\""; it now says why, and the fix writes ON TABLE, which applies to views.
test("err (message, fix): GRANT / REVOKE … ON VIEW (or ON MATERIALIZED VIEW) has no such object type: PostgreSQL fails at the name after it (PGlite); the fix writes ON TABLE and the REVOKE and GRANT then apply to the view", async () => {
  const text = `CREATE TABLE public.inspectors (id int PRIMARY KEY, org uuid);
CREATE VIEW public.inspectors_public AS SELECT id FROM public.inspectors;
REVOKE ALL ON VIEW public.inspectors_public FROM PUBLIC;
GRANT SELECT ON
  MATERIALIZED VIEW public.inspectors_public TO authenticated;
`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20250821140922_x.sql', text }], ID);
  assert.deepEqual(mine.map((m) => text.slice(m.start, m.end)), ['VIEW', 'MATERIALIZED VIEW']);
  assert.match(mine[0]!.message, /^syntax error at or near "public" \(SQLSTATE 42601\): REVOKE has no ON VIEW: PostgreSQL takes VIEW for the name of a table and fails on what follows, so the statement changes no privilege\. Write ON TABLE \(or no object type\): it applies to views and materialized views too\./);
  assert.match(mine[1]!.message, /^syntax error at or near "VIEW" \(SQLSTATE 42601\): GRANT has no ON MATERIALIZED VIEW: PostgreSQL takes MATERIALIZED for the name of a table/);
  const db = await getDb();
  for (const stmt of ['REVOKE ALL ON VIEW public.inspectors_public FROM PUBLIC', 'GRANT SELECT ON MATERIALIZED VIEW public.inspectors_public TO authenticated']) {
    await inRollback(db, async (q) => {
      await q(`CREATE TABLE public.inspectors (id int PRIMARY KEY, org uuid); CREATE VIEW public.inspectors_public AS SELECT id FROM public.inspectors`);
      assert.equal((await pgError(q(stmt)))?.code, '42601', stmt);
    });
  }
  let fixed = applyFix(ws, mine[0]!);
  fixed = applyFix(fixed, findingsOf(fixed, ID)[0]!);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(db, async (q) => {
    await q(sqlOf(fixed));
    const acl = await q(`SELECT relacl::text AS acl FROM pg_class WHERE oid = 'public.inspectors_public'::regclass`);
    assert.match(acl[0]!.acl, /authenticated=r\//);
  });
});

// Calibration (nohseon-song/chackmake-query-tool's 20250919080016 and 20250919080058 migrations):
// `CREATE TRIGGER audit_inspector_contact_access AFTER SELECT ON public.inspector_contacts …`, an
// audit trigger meant to log reads of contact details (the file's next comment says PostgreSQL
// has none). It was reported only as syntax error at or near "SELECT"; the message now says that
// PostgreSQL has no trigger on SELECT, so no trigger records reads, and what does.
test("err (message): a CREATE TRIGGER on SELECT (AFTER SELECT, BEFORE INSERT OR SELECT, INSTEAD OF SELECT) says PostgreSQL has no trigger on reads (PGlite: 42601 for each; AFTER INSERT is made)", async () => {
  const trig = (events: string) => `CREATE TRIGGER audit_contact_access ${events} ON public.inspector_contacts FOR EACH ROW EXECUTE FUNCTION public.log_contact_access();`;
  const head = `CREATE TABLE public.inspector_contacts (id int PRIMARY KEY, phone text);
CREATE FUNCTION public.log_contact_access() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
`;
  const events = ['AFTER SELECT', 'BEFORE INSERT OR UPDATE OF phone OR SELECT', 'INSTEAD OF SELECT'];
  const text = head + events.map(trig).join('\n');
  const { mine } = lintFiles([{ file: 'supabase/migrations/20250919080016_x.sql', text }], ID);
  assert.equal(mine.length, 3);
  for (const m of mine) {
    assert.equal(text.slice(m.start, m.end), 'SELECT');
    assert.match(m.message, /^syntax error at or near "SELECT" \(SQLSTATE 42601\): PostgreSQL has no trigger on SELECT — a trigger fires on INSERT, UPDATE, DELETE or TRUNCATE only — so the trigger is never created, and no trigger can record or refuse reads\./);
  }
  // (a SELECT elsewhere keeps the plain message)
  const other = lintFiles([{ file: 'm.sql', text: 'CREATE VIEW v AS SELECT 1 FROM FROM t;' }], ID).mine;
  assert.equal(other.length, 1);
  assert.doesNotMatch(other[0]!.message, /no trigger on SELECT/);
  const db = await getDb();
  for (const e of events) {
    await inRollback(db, async (q) => {
      await q(head);
      assert.equal((await pgError(q(trig(e))))?.code, '42601', e);
    });
  }
  await inRollback(db, async (q) => {
    await q(head);
    await q(trig('AFTER INSERT'));
  });
});

// Calibration (cal199's AI-app round: a migration's `move_item(item_id uuid, position int)`): a
// keyword PostgreSQL does not take as a parameter's name was reported as a bare syntax error at or
// near "position". The message now says why and what to write instead.
test("err (message): a parameter (or RETURNS TABLE column) named by a keyword PostgreSQL does not take there (position, user, order; time before its type) says so and what to write (PGlite: 42601 at the keyword; quoted, or a type or function name's keyword such as left, the function is made)", async () => {
  const defs = [
    'CREATE FUNCTION public.move_item(item_id uuid, position int) RETURNS int LANGUAGE sql AS $$ SELECT position $$;',
    'CREATE OR REPLACE FUNCTION public.owner_of(p numeric(10, 2), OUT user uuid) LANGUAGE sql AS $$ SELECT NULL::uuid $$;',
    'CREATE PROCEDURE public.reorder(IN order int) LANGUAGE sql AS $$ SELECT 1 $$;',
    'CREATE FUNCTION public.leaderboard() RETURNS TABLE (player uuid, position int) LANGUAGE sql AS $$ SELECT NULL::uuid, 1 $$;',
    'CREATE FUNCTION public.log_at(time text) RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;',
    // (a RETURNS TABLE column after a parameter list: Gstormsfh/citrus-league-storm-main's get_ros_projections, sabo-pool-v8-76's)
    'CREATE FUNCTION public.get_ros_projections(p_player_ids integer[])\nRETURNS TABLE (\n  player_id integer,\n  team_abbrev varchar(3),\n  position varchar(5)\n) LANGUAGE sql AS $$ SELECT 1, NULL::varchar, NULL::varchar $$;',
  ];
  const fine = [
    'CREATE FUNCTION public.move_item(item_id uuid, "position" int) RETURNS int LANGUAGE sql AS $$ SELECT "position" $$;',
    'CREATE FUNCTION public.pad(left int) RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;',
    'CREATE FUNCTION public.leaderboard() RETURNS TABLE (player uuid, "position" int) LANGUAGE sql AS $$ SELECT NULL::uuid, 1 $$;',
    'CREATE FUNCTION public.at_time(time) RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;',
  ];
  const text = [...defs, ...fine].join('\n');
  const { mine } = lintFiles([{ file: 'supabase/migrations/20250101000000_x.sql', text }], ID);
  assert.deepEqual(mine.map((m) => text.slice(m.start, m.end)), ['position', 'user', 'order', 'position', 'time', 'position']);
  assert.match(mine[5]!.message, /^syntax error at or near "position" \(SQLSTATE 42601\): `position` is a keyword that PostgreSQL does not take as a parameter's name, so the function is never created\./);
  assert.match(mine[0]!.message, /^syntax error at or near "position" \(SQLSTATE 42601\): `position` is a keyword that PostgreSQL does not take as a parameter's name, so the function is never created\. Rename the parameter \(`p_position`\) where it is declared and used, or write it in double quotes \(`"position"`\) in both places\./);
  assert.match(mine[2]!.message, /so the procedure is never created/);
  assert.match(mine[4]!.message, /^syntax error at or near "text" \(SQLSTATE 42601\): `time` is a keyword that PostgreSQL does not take as a parameter's name \(it reads `time` as the parameter's type, and fails at the word after it\), so the function is never created\./);
  // (the same keyword elsewhere, or a keyword in a type's modifiers, keeps the plain message)
  const other = lintFiles([{ file: 'm.sql', text: 'SELECT position FROM;\nCREATE FUNCTION f(a numeric(10, order)) RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;' }], ID).mine;
  assert.equal(other.length, 2);
  for (const m of other) assert.doesNotMatch(m.message, /parameter's name/);
  const db = await getDb();
  for (const d of defs) {
    await inRollback(db, async (q) => {
      const err = await pgError(q(d));
      assert.equal(err?.code, '42601', d);
      assert.match(err!.message, /syntax error at or near "(position|user|order|text)"/);
    });
  }
  await inRollback(db, async (q) => {
    for (const d of fine) await q(d);
    assert.equal(((await q('SELECT public.move_item(gen_random_uuid(), 7) AS p')) as Array<{ p: number }>)[0]!.p, 7);
  });
});

// Calibration (cal189: use60's supabase/migrations/20260225100005_contact_rep_memory.sql was
// committed with five unresolved merge conflicts, `<<<<<<< HEAD` … `=======` … `>>>>>>> origin/main`):
// 12 syntax errors at or near the markers, each saying only that PostgreSQL rejects the statement.
// Now one finding per conflict, on its `<<<<<<<` line, that names the markers and what to do.
test("err (message): git's merge conflict markers left in a migration give one finding per conflict, naming its marker lines (PGlite: 42601 at or near the markers; the statements outside run)", async () => {
  const text = `CREATE TABLE public.notes (id int PRIMARY KEY, owner uuid);
ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
<<<<<<< HEAD
CREATE POLICY notes_read ON public.notes FOR SELECT TO authenticated USING (owner = (select auth.uid()));
=======
CREATE POLICY notes_read ON public.notes FOR SELECT TO authenticated USING (true);
>>>>>>> origin/main
CREATE TABLE public.tags (id int PRIMARY KEY);
<<<<<<< HEAD
DROP TABLE IF EXISTS public.tags_old;
=======
>>>>>>> feature
CREATE INDEX notes_owner ON public.notes (owner);
`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20260225100005_x.sql', text }], ID);
  assert.equal(mine.length, 2);
  assert.equal(text.slice(mine[0]!.start, mine[0]!.end), '<<<<<<< HEAD');
  assert.match(mine[0]!.message, /^Unresolved git merge conflict \(`<<<<<<< HEAD` on line 3, `=======` on line 5, `>>>>>>> origin\/main` on line 7\): the file holds both sides of a merge with git's conflict markers between them, and PostgreSQL reads each marker line as the start of the statement after it and rejects that statement \(syntax error at or near "<<<<<<<", SQLSTATE 42601\); a migration tool stops at the first of them\. Keep the side you want, delete the other one and the marker lines\./);
  assert.match(mine[1]!.message, /`<<<<<<< HEAD` on line 9, `=======` on line 11, `>>>>>>> feature` on line 12/);
  // (the statements outside the conflicts are still modelled)
  assert.ok(ws.model().tables.get('public.notes')?.rlsEnabled);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    const errors = await runEachStatement(q, text);
    assert.ok(errors.length >= 2);
    for (const e of errors) {
      assert.equal(e.code, '42601');
      assert.match(e.message, /^syntax error at or near "(<<<<<<<|=======|>>>>>>>)"$/);
    }
    // (the statements before the first marker ran; each one a marker line runs into, the one after
    // a closing marker too, did not: public.tags and the index are never made)
    const got = (await q(`SELECT to_regclass('public.notes') IS NOT NULL AS notes, to_regclass('public.tags') IS NULL AS no_tags, to_regclass('public.notes_owner') IS NULL AS no_index`)) as Array<Record<string, boolean>>;
    assert.deepEqual(got[0], { notes: true, no_tags: true, no_index: true });
  });
  // (a line of = signs in a comment or a string is no marker, and no error)
  assert.deepEqual(lintFiles([{ file: 'm.sql', text: "-- =======\nSELECT '\n<<<<<<< x\n';\n" }], ID).mine, []);
});

// Calibration (cal194: dermatology-ehr's backend/migrations/073_workflow_orchestration.sql wrote
// MySQL's `INDEX idx_workflow_events_created (tenant_id, created_at DESC)` in its CREATE TABLEs):
// with DESC, UNIQUE INDEX or FULLTEXT INDEX the clause is a syntax error, which now says it is
// MySQL's index clause and what to write (without them: table-inline-index, 42704).
test("err (message): MySQL's index clause in a CREATE TABLE with DESC, UNIQUE INDEX or FULLTEXT says so and what to write (PGlite: 42601 at DESC, INDEX, the name)", async () => {
  const tables = [
    'CREATE TABLE workflow_events (id int PRIMARY KEY, tenant_id int, created_at timestamptz,\n  INDEX idx_workflow_events_created (tenant_id, created_at DESC)\n);',
    'CREATE TABLE members (id int, email text, UNIQUE INDEX uq_members_email (email));',
    'CREATE TABLE posts (id int, body text, FULLTEXT INDEX ft_posts_body (body));',
  ];
  const text = tables.join('\n');
  const { mine } = lintFiles([{ file: 'backend/migrations/073_x.sql', text }], ID);
  assert.deepEqual(mine.map((m) => text.slice(m.start, m.end)), ['DESC', 'INDEX', 'ft_posts_body']);
  assert.equal(mine[0]!.message, 'syntax error at or near "DESC" (SQLSTATE 42601), in `INDEX idx_workflow_events_created (tenant_id, created_at DESC)`: that is MySQL\'s index clause, and PostgreSQL has no index clause in CREATE TABLE, so the table is never created. Write the index as a statement of its own after the table: `CREATE INDEX idx_workflow_events_created ON workflow_events (…);`. The other statements of the file are still checked.');
  assert.match(mine[1]!.message, /, in `UNIQUE INDEX uq_members_email \(email\)`: that is MySQL's index clause, .* `CREATE UNIQUE INDEX uq_members_email ON members \(…\);`/);
  assert.match(mine[2]!.message, /, in `FULLTEXT INDEX ft_posts_body \(body\)`: that is MySQL's index clause, .* `CREATE INDEX ft_posts_body ON posts \(…\);`/);
  // (DESC elsewhere keeps the plain message)
  const other = lintFiles([{ file: 'm.sql', text: 'CREATE TABLE t (id int, created_at timestamptz DESC);' }], ID).mine;
  assert.equal(other.length, 1);
  assert.doesNotMatch(other[0]!.message, /MySQL/);
  await inRollback(await getDb(), async (q) => {
    const errors = await runEachStatement(q, text);
    assert.deepEqual(errors.map((e) => [e.code, e.message]), [
      ['42601', 'syntax error at or near "DESC"'],
      ['42601', 'syntax error at or near "INDEX"'],
      ['42601', 'syntax error at or near "ft_posts_body"'],
    ]);
  });
});

// Calibration (cal189: use60's supabase/_migrations_archive/20250831000001_migrate_legacy_contact_relationships.sql
// runs `ROLLBACK TO SAVEPOINT phase1_start;` in a DO block's EXCEPTION handlers, 20 times in three
// files): PL/pgSQL has no such statement. The message now says so, that SAVEPOINT and RELEASE fail
// there too, and that a BEGIN … EXCEPTION block is PL/pgSQL's savepoint.
test("err (message): ROLLBACK TO SAVEPOINT in a PL/pgSQL body says PL/pgSQL has none and a BEGIN … EXCEPTION block is its savepoint (PGlite: 42601 at TO; SAVEPOINT 0A000 when it runs; the block's changes undone by its handler)", async () => {
  const text = `CREATE TABLE steps (id int);
DO $$
BEGIN
  SAVEPOINT phase1_start;
  INSERT INTO steps VALUES (1);
EXCEPTION WHEN OTHERS THEN
  ROLLBACK TO SAVEPOINT phase1_start;
  RAISE;
END $$;
`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/20250831000001_x.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.equal(text.slice(mine[0]!.start, mine[0]!.end), 'ROLLBACK TO');
  assert.match(mine[0]!.message, /^in PL\/pgSQL body: syntax error at or near "TO" \(SQLSTATE 42601\): PL\/pgSQL has no ROLLBACK TO SAVEPOINT, so the DO block is rejected; nor can it run SAVEPOINT or RELEASE SAVEPOINT \(0A000 unsupported transaction command in PL\/pgSQL, when they run\)\. A BEGIN … EXCEPTION … END block is PL\/pgSQL's savepoint/);
  for (const [block, code] of [
    ['DO $$ BEGIN PERFORM 1; EXCEPTION WHEN OTHERS THEN ROLLBACK TO SAVEPOINT s; END $$', '42601'],
    ['DO $$ BEGIN SAVEPOINT s; INSERT INTO steps VALUES (1); END $$', '0A000'],
  ]) {
    await inRollback(await getDb(), async (q) => {
      await q('CREATE TABLE steps (id int)');
      assert.equal((await pgError(q(block!)))?.code, code, block);
    });
  }
  await inRollback(await getDb(), async (q) => {
    await q('CREATE TABLE steps (id int)');
    // (the block's insert is undone when its handler runs: no SAVEPOINT needed)
    await q("DO $$ BEGIN BEGIN INSERT INTO steps VALUES (1); PERFORM 1 / 0; EXCEPTION WHEN division_by_zero THEN RAISE NOTICE 'undone'; END; INSERT INTO steps VALUES (2); END $$");
    assert.deepEqual(((await q('SELECT id FROM steps')) as Array<{ id: number }>).map((r) => r.id), [2]);
  });
});

test('ok: a schema written out for reading ("-- WARNING: This schema is for context only and is not meant to be run."): not replayed, no syntax error at its USER-DEFINED and ARRAY types, no table of it without RLS (IntelliFlow-CRM; PGlite rejects the types)', async () => {
  const text = `-- WARNING: This schema is for context only and is not meant to be run.
-- Table order and constraints may not be valid for execution.

CREATE TABLE public.organizations (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  plan USER-DEFINED NOT NULL DEFAULT 'free'::org_plan,
  CONSTRAINT organizations_pkey PRIMARY KEY (id)
);
CREATE TABLE public.members (
  id uuid NOT NULL,
  tags ARRAY DEFAULT ARRAY[]::text[],
  CONSTRAINT members_pkey PRIMARY KEY (id)
);
CREATE TABLE public.projects (
  id uuid NOT NULL,
  CONSTRAINT projects_pkey PRIMARY KEY (id)
);
`;
  const { ws, findings } = lintFiles([{ file: 'docs/schema.sql', text }], ID);
  assert.deepEqual(findings.map((f) => f.rule), []);
  assert.match(notReplayedReason(ws.parsed('docs/schema.sql')!) ?? '', /^of a schema written out for reading/);
  assert.equal(ws.model().tables.size, 0);
  // (the same statements without the header: a migration, its two errors reported)
  const plain = lintFiles([{ file: 'docs/schema.sql', text: text.replace(/^-- WARNING[^\n]*\n/, '') }], ID);
  assert.equal(plain.mine.length, 2);
  await inRollback(await getDb(), async (q) => {
    for (const [stmt, word] of [[`CREATE TABLE t1 (plan USER-DEFINED NOT NULL)`, 'USER'], [`CREATE TABLE t2 (tags ARRAY DEFAULT ARRAY[]::text[])`, 'ARRAY']] as const) {
      const r = await tryQuery(q, stmt);
      assert.equal(r.ok, false);
      assert.equal((r as { error: { code: string } }).error.code, '42601');
      assert.match((r as { error: { message: string } }).error.message, new RegExp(`syntax error at or near "${word}"`));
    }
  });
});

// Calibration (joseph-ehler/moto-mind-ai's 20251017_09_prevent_duplicate_sessions.sql, and six
// archived scripts): `RAISE NOTICE '✅ Unique constraint added - duplicates prevented!';` as a
// statement of the migration. It was reported only as syntax error at or near "RAISE"; the message
// now says RAISE (PERFORM too) is PL/pgSQL's, and how to keep the message: a DO block.
test("err (message): RAISE and PERFORM written as statements of the file say they are PL/pgSQL's (PGlite: 42601 at or near the word; in a DO block they run); elsewhere the plain message", async () => {
  const text = `CREATE TABLE public.sessions (id int);
-- done
RAISE NOTICE '✅ Unique constraint added; duplicates prevented!';
/* check */ PERFORM count(*) FROM public.sessions;
`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/20251017000009_prevent_duplicate_sessions.sql', text }], ID);
  assert.equal(mine.length, 2);
  assert.equal(text.slice(mine[0]!.start, mine[0]!.end), 'RAISE');
  assert.match(mine[0]!.message, /^syntax error at or near "RAISE" \(SQLSTATE 42601\): RAISE is a statement of PL\/pgSQL, not of SQL: outside a function or DO block PostgreSQL does not know it and rejects the statement\. To print a message from a migration, put it in a DO block \(DO \$\$ BEGIN RAISE NOTICE '…'; END \$\$;\), or drop it\./);
  assert.equal(text.slice(mine[1]!.start, mine[1]!.end), 'PERFORM');
  assert.match(mine[1]!.message, /PERFORM is a statement of PL\/pgSQL, not of SQL: .* run the query with SELECT instead of PERFORM\./);
  // (a RAISE that does not start a statement keeps the plain message)
  const other = lintFiles([{ file: 'm.sql', text: 'CREATE TABLE t (x int);\nUPDATE t SET x = 1 RAISE;' }], ID).mine;
  assert.equal(other.length, 1);
  assert.doesNotMatch(other[0]!.message, /PL\/pgSQL/);
  const db = await getDb();
  for (const stmt of [`RAISE NOTICE 'done';`, 'PERFORM 1;']) {
    await inRollback(db, async (q) => {
      const err = await pgError(q(stmt));
      assert.equal(err?.code, '42601', stmt);
      assert.match(err!.message, new RegExp(`syntax error at or near "${stmt.split(' ')[0]}"`));
    });
  }
  await inRollback(db, async (q) => {
    await q(`DO $$ BEGIN RAISE NOTICE 'done'; PERFORM 1; END $$;`);
  });
});

// Calibration (joseph-ehler/moto-mind-ai's 20251017_09_prevent_duplicate_sessions.sql):
// `ALTER TABLE sessions ADD CONSTRAINT sessions_user_device_unique UNIQUE (user_id, device_id)
// WHERE session_token IS NULL AND device_id IS NOT NULL;`, reported only as syntax error at or
// near "WHERE". PostgreSQL has no partial UNIQUE constraint; a partial unique index does that.
test('err (message): UNIQUE (…) WHERE … (ALTER TABLE … ADD CONSTRAINT, CREATE TABLE) says a constraint takes no WHERE and names the partial unique index (PGlite: 42601 for both; the index and EXCLUDE … WHERE are made and refuse the duplicate)', async () => {
  const table = 'CREATE TABLE public.sessions (user_id uuid, device_id text, session_token text);';
  const alter = `ALTER TABLE public.sessions
  ADD CONSTRAINT sessions_user_device_unique
  UNIQUE (user_id, device_id)
  WHERE session_token IS NULL AND device_id IS NOT NULL;`;
  const create = 'CREATE TABLE public.devices (id int, owner uuid, active boolean, PRIMARY KEY (id), UNIQUE NULLS NOT DISTINCT (owner) WHERE active);';
  const text = `${table}\n${alter}\n${create}\n`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/20251017000009_prevent_duplicate_sessions.sql', text }], ID);
  assert.equal(mine.length, 2);
  for (const m of mine) {
    assert.equal(text.slice(m.start, m.end), 'WHERE');
    assert.match(m.message, /^syntax error at or near "WHERE" \(SQLSTATE 42601\): a UNIQUE constraint takes no WHERE — PostgreSQL has no partial UNIQUE constraint — so the statement fails and nothing of it is made\. For uniqueness among the rows a condition selects, create a partial unique index/);
  }
  // (a WHERE that follows no constraint keeps the plain message)
  const other = lintFiles([{ file: 'm.sql', text: 'CREATE TABLE t (x int);\nDELETE t WHERE x = 1;' }], ID).mine;
  assert.equal(other.length, 1);
  assert.doesNotMatch(other[0]!.message, /partial/);
  const db = await getDb();
  for (const stmt of [alter, create]) {
    await inRollback(db, async (q) => {
      await q(table);
      const err = await pgError(q(stmt));
      assert.equal(err?.code, '42601');
      assert.match(err!.message, /syntax error at or near "WHERE"/);
    });
  }
  const dup = `INSERT INTO public.sessions VALUES ('${'0'.repeat(8)}-0000-0000-0000-000000000001', 'd1', NULL)`;
  for (const made of [
    'CREATE UNIQUE INDEX sessions_user_device_unique ON public.sessions (user_id, device_id) WHERE session_token IS NULL AND device_id IS NOT NULL;',
    'ALTER TABLE public.sessions ADD CONSTRAINT sessions_user_device_unique EXCLUDE USING btree (user_id WITH =, device_id WITH =) WHERE (session_token IS NULL AND device_id IS NOT NULL);',
  ]) {
    await inRollback(db, async (q) => {
      await q(table);
      await q(made);
      await q(dup);
      assert.ok(['23505', '23P01'].includes((await pgError(q(dup)))?.code ?? ''), made);
    });
  }
});

// Calibration (cal204: Valdemar-Junior/solidgo's supabase/migrations/027_vehicles_rls.sql and
// 028_vehicles_rls_broad.sql, six `create or replace policy vehicles_… on public.vehicles …`): each was
// reported only as syntax error at or near "policy". The message now says PostgreSQL has no CREATE OR
// REPLACE POLICY, and the fix drops the policy first, then creates it.
test('err (message): CREATE OR REPLACE POLICY says PostgreSQL has none and drops the policy first (PGlite: 42601 at "policy"; the fixed text makes the policy, twice over)', async () => {
  const head = 'CREATE TABLE public.vehicles (id int PRIMARY KEY);\nALTER TABLE public.vehicles ENABLE ROW LEVEL SECURITY;\n';
  const stmt = '-- Read policy: any authenticated user\ncreate or replace policy vehicles_select_authenticated\non public.vehicles\nfor select\nusing (true);\n';
  const ws = lintFiles([{ file: 'supabase/migrations/027_vehicles_rls.sql', text: head + stmt }], ID);
  assert.equal(ws.mine.length, 1);
  const m = ws.mine[0]!;
  assert.equal((head + stmt).slice(m.start, m.end), 'or replace policy');
  assert.match(
    m.message,
    /^syntax error at or near "policy" \(SQLSTATE 42601\): PostgreSQL has no CREATE OR REPLACE POLICY \(OR REPLACE exists for functions, procedures, views, triggers, rules and a few other objects, not policies\), so the policy is never created\. Drop it first: DROP POLICY IF EXISTS vehicles_select_authenticated ON public\.vehicles; then CREATE POLICY vehicles_select_authenticated … \(or ALTER POLICY/,
  );
  const fixed = applyFix(ws.ws, m);
  const text = sqlOf(fixed);
  assert.match(text, /DROP POLICY IF EXISTS vehicles_select_authenticated ON public\.vehicles;\ncreate POLICY vehicles_select_authenticated\non public\.vehicles/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(head);
    assert.equal((await pgError(q(stmt)))?.code, '42601');
    assert.match((await pgError(q(stmt)))?.message ?? '', /^syntax error at or near "policy"$/);
  });
  await inRollback(db, async (q) => {
    const fixedStmts = text.slice(text.indexOf('DROP POLICY'));
    await q(head);
    await q(fixedStmts);
    await q(fixedStmts); // (run again: it replaces the policy)
    const n = await q(`SELECT count(*)::int AS n FROM pg_policies WHERE tablename = 'vehicles'`);
    assert.equal((n[0] as { n: number }).n, 1);
  });
  // (a CREATE OR REPLACE of another object keeps its own message; a plain CREATE POLICY is no error)
  assert.doesNotMatch(lintFiles([{ file: 'm.sql', text: 'CREATE OR REPLACE TABLE t (id int);' }], ID).mine[0]?.message ?? '', /CREATE OR REPLACE POLICY/);
  assert.equal(lintFiles([{ file: 'm.sql', text: head + 'CREATE POLICY p ON public.vehicles FOR SELECT USING (true);' }], ID).mine.length, 0);
});

// Calibration (barther/samaritan-hub's 20250905213844 migration): `COMMENT ON FUNCTION
// public.org_user(uuid) IS 'Returns true if the given (or current) user\'s email domain is …';`
// was reported only as syntax error at or near "s".
test("err (message): a quote escaped with a backslash in a standard string ('user\\'s') says the backslash escapes nothing there, and the fix doubles the quote (PGlite: 42601 at or near \"s\"; with '' or E'…' it runs); E'…\\'s' is no error, and another error after a quote keeps the plain message", async () => {
  const text = `CREATE FUNCTION public.org_user() RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT true $$;
COMMENT ON FUNCTION public.org_user() IS 'Returns true if the current user\\'s email domain is the org''s';
`;
  const linted = lintFiles([{ file: 'supabase/migrations/20250905213844_org.sql', text }], ID);
  assert.equal(linted.mine.length, 1);
  const f = linted.mine[0]!;
  assert.equal(text.slice(f.start, f.end), 's');
  assert.match(
    f.message,
    /^syntax error at or near "s" \(SQLSTATE 42601\), after `\\'`: a backslash does not escape a quote in a string constant '…': with standard_conforming_strings on \(PostgreSQL's default since 9\.1\) it is an ordinary character, so the string ends at the quote after it and PostgreSQL reads the rest as SQL, rejecting the statement\. Double the quote \('user''s'\), or write an escape string constant \(E'user\\'s'\)\./,
  );
  const fixed = applyFix(linted.ws, f);
  assert.equal(findingsOf(fixed, ID).length, 0, 'the fixed file parses');
  const fixedText = sqlOf(fixed);
  assert.match(fixedText, /current user''s email/);
  // (E'…': the backslash escapes the quote; no finding)
  assert.equal(lintFiles([{ file: 'm.sql', text: text.replace("IS 'Returns", "IS E'Returns").replace("org''s'", "org\\'s'") }], ID).mine.length, 0);
  // (an error after a quote not escaped with a backslash: the plain message)
  const other = lintFiles([{ file: 'm.sql', text: "CREATE TABLE t (x text);\nINSERT INTO t VALUES ('a'b);" }], ID).mine;
  assert.equal(other.length, 1);
  assert.doesNotMatch(other[0]!.message, /backslash/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(text.split('\n')[0]!);
    const err = await pgError(q(text.split('\n')[1]!));
    assert.equal(err?.code, '42601');
    assert.match(err!.message, /syntax error at or near "s"/);
  });
  await inRollback(db, async (q) => {
    await q(fixedText);
    assert.deepEqual(await q(`SELECT obj_description('public.org_user()'::regprocedure) AS d`), [{ d: "Returns true if the current user's email domain is the org's" }]);
    await q(`COMMENT ON FUNCTION public.org_user() IS E'the user\\'s'`);
  });
});

// Calibration (cal203, incubateur-ademe/territoires-en-transitions' revert/indicateur/confidentialite@v2.92.0.sql):
// `create policy allow_read on indicateur_resultat as permissive for select using can_read_acces_restreint(collectivite_id);`
// was reported only as syntax error at or near "can_read_acces_restreint".
test("err (message): a policy's USING or WITH CHECK condition written without parentheses says the clause takes it in parentheses (PGlite: 42601 at the condition's first token for CREATE and ALTER POLICY; in parentheses the policy is made); an error elsewhere after USING keeps the plain message", async () => {
  const text = `CREATE TABLE public.t (c int);
CREATE FUNCTION public.can_read(int) RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT true $$;
CREATE POLICY allow_read ON public.t AS PERMISSIVE FOR SELECT USING public.can_read(c);
CREATE POLICY allow_insert ON public.t FOR INSERT WITH CHECK c > 0;
ALTER POLICY allow_read ON public.t USING c = 1;
`;
  const { mine } = lintFiles([{ file: 'deploy/t.sql', text }], ID);
  assert.deepEqual(
    mine.map((f) => [text.slice(f.start, f.end), f.message.replace(/ The other statements.*$/, '')]),
    [
      ['public', 'syntax error at or near "public" (SQLSTATE 42601): USING takes its condition in parentheses, USING (<condition>), so PostgreSQL rejects the CREATE POLICY and the policy is never created. Write the condition after USING in parentheses.'],
      ['c', 'syntax error at or near "c" (SQLSTATE 42601): WITH CHECK takes its condition in parentheses, WITH CHECK (<condition>), so PostgreSQL rejects the CREATE POLICY and the policy is never created. Write the condition after WITH CHECK in parentheses.'],
      ['c', 'syntax error at or near "c" (SQLSTATE 42601): USING takes its condition in parentheses, USING (<condition>), so PostgreSQL rejects the ALTER POLICY and the policy is left as it was. Write the condition after USING in parentheses.'],
    ],
  );
  // (a USING of another statement: DELETE … USING, a join's USING: the plain message)
  const other = lintFiles([{ file: 'm.sql', text: 'CREATE TABLE a (x int);\nCREATE TABLE b (x int);\nDELETE FROM a USING 1 b;' }], ID).mine;
  assert.equal(other.length, 1);
  assert.doesNotMatch(other[0]!.message, /parentheses/);
  const db = await getDb();
  const lines = text.split('\n');
  await inRollback(db, async (q) => {
    await q(lines.slice(0, 2).join('\n'));
    for (const line of lines.slice(2, 5)) {
      const r = await tryQuery(q, line);
      assert.equal(r.ok ? 'ok' : r.error.code, '42601', line);
    }
    await q('CREATE POLICY allow_read ON public.t AS PERMISSIVE FOR SELECT USING (public.can_read(c))');
    await q('CREATE POLICY allow_insert ON public.t FOR INSERT WITH CHECK (c > 0)');
    await q('ALTER POLICY allow_read ON public.t USING (c = 1)');
  });
});

test("err: a byte-order mark inside the file (guzellik-randevu-ui's archive/migration-history/04-Seed-Data.sql, seed files joined into one: `\\uFEFF-- Seed data` after its first lines) is named, invisible as it is: PostgreSQL takes it for a letter of a name and rejects the statement after it; deleting it (the fix) lets the file run", async () => {
  const text = 'CREATE TABLE public.cities (id int PRIMARY KEY, name text);\n\uFEFF-- Seed data\r\nINSERT INTO public.cities VALUES (1, \'Izmir\');\n';
  const { ws, mine } = lintFiles([{ file: 'initdb/04-seed.sql', text }], ID);
  assert.equal(mine.length, 1);
  const f = mine[0]!;
  assert.equal(text.slice(f.start, f.end), '\uFEFF');
  assert.match(f.message, /the error is at U\+FEFF, a byte-order mark, a character most editors do not show/);
  assert.match(f.message, /PostgreSQL reads it as a letter of a name, so the statement it starts, the one after it, is rejected\. Delete the character\./);
  const db = await getDb();
  await inRollback(db, async (q) => {
    const err = await pgError(q(text));
    assert.equal(err?.code, '42601');
    assert.equal(err!.message, 'syntax error at or near "\uFEFF"');
    assert.equal(err!.position, positionOf(text, f.start));
  });
  const glued = 'CREATE TABLE public.cities (id int);\n\uFEFFINSERT INTO public.cities VALUES (1);\n';
  const g = lintFiles([{ file: 'initdb/04-seed.sql', text: glued }], ID).mine;
  assert.equal(g.length, 1, 'glued to the next word too');
  assert.match(g[0]!.message, /U\+FEFF, a byte-order mark/);
  await inRollback(db, async (q) => {
    assert.equal((await pgError(q(glued)))?.message, 'syntax error at or near "\uFEFFINSERT"');
  });
  const fixed = applyFix(ws, f);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(db, async (q) => {
    await q(sqlOf(fixed));
    assert.deepEqual(await q('SELECT name FROM public.cities'), [{ name: 'Izmir' }]);
  });
});

// Calibration cal207 (niledatabase/niledatabase: examples/ai/graph_rag_tours/graph_rag.sql, a
// query the example's Python reads and runs through psycopg, `ORDER BY embedding <=> %s`): an
// error, syntax error at or near "%". psycopg puts each parameter's value in for `%s` and
// `%(name)s` before PostgreSQL sees the text.
const DBAPI_QUERIES = `SELECT title FROM todos WHERE tenant_id = %(tenant)s ORDER BY id + %s LIMIT 1;
INSERT INTO todos (id, title) VALUES (%s, %s);
SELECT title FROM todos WHERE id = %d;
SELECT 7 % 2, title FROM todos WHERE title LIKE '%s';
`;

test('ok: DB-API placeholders (`%s`, `%(name)s`: psycopg, niledatabase\'s graph_rag.sql) are no syntax error; `%d`, which psycopg does not fill, still is. PGlite: the text as written fails 42601 at the "%", what psycopg sends runs', async () => {
  const { mine } = lintFiles([{ file: 'examples/graph_rag.sql', text: DBAPI_QUERIES }], ID);
  assert.deepEqual(
    mine.map((f) => [f.start, f.message.split(' (SQLSTATE')[0]]),
    [[DBAPI_QUERIES.indexOf('%d'), 'syntax error at or near "%"']],
  );
  await inRollback(await getDb(), async (q) => {
    await q('CREATE TABLE todos (id int, tenant_id uuid, title text)');
    const stmts = DBAPI_QUERIES.split(/;\n/).filter((x) => x.trim());
    for (const x of stmts.slice(0, 3)) {
      const raw = await tryQuery(q, x);
      assert.ok(!raw.ok && raw.error.code === '42601' && raw.error.message === 'syntax error at or near "%"', JSON.stringify(raw));
    }
    await q(stmts[0]!.replace('%(tenant)s', `'${'00000000-0000-0000-0000-000000000001'}'`).replace('%s', '1'));
    await q(stmts[1]!.replace('%s', '1').replace('%s', "'t'"));
    await q(stmts[3]!);
  });
});

test("err: a statement one `)` short — telemed-phase3_0's policies pasted from the dashboard's export — fails at its `;` (or at the clause the unclosed parenthesis swallows): the message counts the parentheses; one `)` too many fails at it; parentheses in strings and comments do not count (PGlite: 42601 at each, the policies never made)", async () => {
  const table = `CREATE TABLE patients (id int PRIMARY KEY, clinician_id uuid);\nALTER TABLE patients ENABLE ROW LEVEL SECURITY;\n`;
  const short = `CREATE POLICY "Clinicians can view patients" ON patients FOR SELECT TO authenticated\n  USING (((clinician_id = auth.uid()) OR (id > 0));\n`;
  const swallowed = `CREATE POLICY "Clinicians can update patients" ON patients FOR UPDATE TO authenticated\n  USING (((clinician_id = auth.uid()) OR (id > 0))\n  WITH CHECK ((clinician_id = auth.uid()));\n`;
  const extra = `CREATE POLICY "Clinicians can delete patients" ON patients FOR DELETE TO authenticated\n  USING ((clinician_id = auth.uid())));\n`;
  const quoted = `CREATE POLICY "Clinicians (all) can insert patients" ON patients FOR INSERT TO authenticated -- (see notes\n  WITH CHECK ((clinician_id = auth.uid()) AND ')' <> '(';\n`;
  const text = table + short + swallowed + extra + quoted;
  const found = lintFiles([{ file: 'supabase/migrations/20251226210500_update_rls_policies.sql', text }], ID).mine;
  assert.deepEqual(found.map((f) => text.slice(f.start, f.end)), [';', 'WITH', ')', ';']);
  assert.match(found[0]!.message, /syntax error at or near ";" \(SQLSTATE 42601\): the statement opens 5 parentheses and closes 4, so PostgreSQL reaches its end with one still open and rejects it: nothing of it is made\. Add the missing `\)`/);
  assert.match(found[1]!.message, /the statement opens 8 parentheses and closes 7, so PostgreSQL reads what follows the unclosed one as still inside it, and rejects the statement at "WITH"/);
  assert.match(found[2]!.message, /closes a parenthesis it never opened — 4 parentheses closed by here, 3 opened/);
  assert.match(found[3]!.message, /the statement opens 3 parentheses and closes 2/);
  // a syntax error inside balanced parentheses is not said to be one
  const typo = lintFiles([{ file: 'm.sql', text: table + `CREATE POLICY p ON patients FOR SELECT USING ((clinician_id = = auth.uid()));\n` }], ID).mine;
  assert.equal(typo.length, 1);
  assert.doesNotMatch(typo[0]!.message, /parenthes/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    const errors = await runEachStatement(q, text);
    assert.deepEqual(errors.map((e) => e.code), ['42601', '42601', '42601', '42601']);
    // (each statement sent alone, without its `;`: PostgreSQL then fails at the end of the input)
    assert.deepEqual(errors.map((e) => /at or near "([^"]*)"/.exec(e.message)?.[1] ?? (/at end of input/.test(e.message) ? ';' : e.message)), [';', 'WITH', ')', ';']);
    assert.deepEqual(await q('SELECT policyname FROM pg_policies'), []);
  });
});

// 6thd/wardah-process-costing (a manufacturing cost accounting ERP): its deploy script sets the
// request's claims with `SET LOCAL "request.jwt.claims" = json_build_object(…)::text;`, which
// PostgreSQL rejects at "(": SET takes a constant. set_config() takes an expression.
test('err (message): SET … = an expression (a call, a sub-select, ||) says SET takes a constant and writes the set_config() call; PGlite: the SET fails with 42601, the call sets the claims until the end of the transaction', async () => {
  const text = `BEGIN;\nSET LOCAL "request.jwt.claims" = json_build_object(\n  'role','service_role',\n  'tenant_id','00000000-0000-0000-0000-000000000001'\n)::text;\nSET app.tenant = 'a' || 'b';\nSET search_path = public, pg_temp;\nCOMMIT;\n`;
  const { mine } = lintFiles([{ file: 'sql/deploy.sql', text }], 'syntax-error');
  assert.equal(mine.length, 2, mine.map((f) => f.message).join('\n'));
  const [claims, concat] = mine;
  assert.match(claims!.message, /^syntax error at or near "\(" \(SQLSTATE 42601\): SET takes its value as a constant .* request\.jwt\.claims keeps the value it had/);
  const call = /SELECT set_config\('request\.jwt\.claims', .*?, true\)/.exec(claims!.message)?.[0];
  assert.equal(call, `SELECT set_config('request.jwt.claims', json_build_object('role','service_role', 'tenant_id','00000000-0000-0000-0000-000000000001')::text, true)`);
  assert.match(concat!.message, /SELECT set_config\('app\.tenant', \('a' \|\| 'b'\)::text, false\) \(false: for the session, as SET;/);
  await inRollback(await getDb(), async (q) => {
    const r = await tryQuery(q, `SET LOCAL "request.jwt.claims" = json_build_object('role','service_role')::text`);
    assert.ok(!r.ok && r.error.code === '42601' && /at or near "\("/.test(r.error.message));
    await q(call!);
    assert.deepEqual(await q(`SELECT current_setting('request.jwt.claims', true)::jsonb ->> 'tenant_id' AS t`), [{ t: '00000000-0000-0000-0000-000000000001' }]);
    await q(`SELECT set_config('app.tenant', ('a' || 'b')::text, false)`);
    assert.deepEqual(await q(`SELECT current_setting('app.tenant') AS t`), [{ t: 'ab' }]);
  });
});

// Calibration (bniceley50/mental-scribe-app, a clinical notes app with HIPAA audit logs):
// supabase/migrations/20251014_password_reset_rl.sql was written through a shell that expanded `$$`
// to its process id: `language sql stable as 271 … 271;`. Both errors said only "at or near "271"".
test("err: a function body quoted with a number where $$ belongs (mental-scribe-app's `as 271 … 271;`, $$ expanded by a shell) is named at both places; PGlite: 42601 at each; writing $$ there (the fix) makes the function", async () => {
  const text =
    'create table password_reset_attempts (user_id uuid not null, at timestamptz not null default now(), ok boolean not null);\n' +
    'create or replace function check_password_reset_rate_limit(_user_id uuid, _max_requests int, _window_minutes int) returns boolean\n' +
    'language sql stable as 271\n' +
    '  select count(*) < _max_requests from password_reset_attempts\n' +
    "  where user_id = _user_id and at >= now() - (_window_minutes || ' minutes')::interval;\n" +
    '271;\n';
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20251014_password_reset_rl.sql', text }], ID);
  assert.equal(mine.length, 2);
  const [open, close] = mine.sort((a, b) => a.start - b.start);
  assert.equal(text.slice(open!.start, open!.end), '271');
  assert.match(open!.message, /^syntax error at or near "271" \(SQLSTATE 42601\): the body of this function is quoted with 271 at line 3 and line 6, where \$\$ belongs — most likely a shell's doing: it replaces `\$\$` by its process id in an unquoted heredoc \(`cat <<EOF`\)/);
  assert.match(close!.message, /271 here closes the body of the function opened with 271 at line 3, where \$\$ belongs/);
  assert.equal(close!.start, text.lastIndexOf('271'));
  // (DO blocks too; a number that opens nothing, or appears once, keeps the plain message)
  const inDo = lintFiles([{ file: 'x/1.sql', text: "do 4242 begin raise notice 'x'; end 4242;\n" }], ID).mine;
  assert.match(inDo[0]!.message, /the body of this DO block is quoted with 4242/);
  const once = lintFiles([{ file: 'x/1.sql', text: 'create function f() returns int language sql as 271 select 1;\n' }], ID).mine;
  assert.equal(once.length, 1);
  assert.doesNotMatch(once[0]!.message, /\$\$/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    assert.deepEqual((await runEachStatement(q, text)).map((e) => e.code), ['42601', '42601']);
    assert.equal((await pgError(q("do 4242 begin raise notice 'x'; end 4242")))?.message, 'syntax error at or near "4242"');
  });
  const fixed = applyFix(ws, open!);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(db, async (q) => {
    await q(sqlOf(fixed));
    assert.deepEqual(await q("SELECT check_password_reset_rate_limit('00000000-0000-0000-0000-000000000001', 3, 15) AS ok"), [{ ok: true }]);
  });
});

// Calibration (mpbhealth/CTO-Dashboard, a HIPAA compliance dashboard): scripts/verify-migration.sql
// prints section headers with `SELECT` newline `'---' as separator,` newline `'ALL TABLES' as info, …`;
// the comment-between-constants rule above took the `---' as separator,` after the opening quote for
// a comment and blanked it, and reported a syntax error at "TABLES" on SQL PostgreSQL runs.
test("ok: a string constant that holds `--` and opens a line, with another constant on the next line (CTO-Dashboard's `'---' as separator,` newline `'ALL TABLES' as info`), is no comment between constants; PGlite runs it (top level and in a function)", async () => {
  const top = "SELECT\n    '---' as separator,\n    'ALL TABLES' as info,\n    '---' as separator2;\n";
  const inFn = "CREATE FUNCTION header() RETURNS text LANGUAGE plpgsql AS $$\nBEGIN\n  RETURN concat(\n    '-- x',\n    'A B');\nEND $$;\n";
  assert.deepEqual(lintFiles([{ file: 'scripts/verify-migration.sql', text: top }, { file: 'scripts/z_fn.sql', text: inFn }], ID).mine, []);
  await inRollback(await getDb(), async (q) => {
    assert.deepEqual(await q(top), [{ separator: '---', info: 'ALL TABLES', separator2: '---' }]);
    await q(inFn);
    assert.deepEqual(await q('SELECT header() AS h'), [{ h: '-- xA B' }]);
  });
});

// mpbhealth/CTO-Dashboard's 20250731141206_gentle_bush.sql: a patch (a bolt.new diff hunk) saved as the
// migration; each error said only "at or near "@@"" or "+".
test("err: a diff saved as the migration (`@@ .. @@` hunks, lines marked + and -) is said to be one, with what to write; PGlite: 42601 at the markers, the SQL after the change runs", async () => {
  const diff =
    '@@ .. @@\n' +
    ' -- Enable Row Level Security on assignments table\n' +
    ' ALTER TABLE assignments ENABLE ROW LEVEL SECURITY;\n' +
    ' \n' +
    '+-- Drop existing policies if they exist\n' +
    '+DROP POLICY IF EXISTS "Users can view their assignments" ON assignments;\n' +
    '-CREATE POLICY old ON assignments FOR SELECT USING (true);\n' +
    ' CREATE POLICY "Users can view their assignments" ON assignments FOR SELECT TO authenticated USING (true);\n';
  const file = 'supabase/migrations/20250731141206_gentle_bush.sql';
  const { mine } = lintFiles([{ file: 'supabase/migrations/20250730000000_t.sql', text: 'CREATE TABLE assignments (id int PRIMARY KEY);\n' }, { file, text: diff }], 'syntax-error');
  assert.ok(mine.length >= 1);
  for (const m of mine) assert.match(m.message, /this file holds a diff — hunks with `@@ … @@` headers and lines marked \+ and - — not the migration's SQL/, m.message);
  assert.match(mine[0]!.message, /^syntax error at or near "@@"/);
  assert.match(mine[0]!.message, /Write the SQL as it reads after the change: the lines marked \+ without their \+, the unmarked lines without their leading space, and none of the lines marked -\./);
  // (a file without a hunk header, whose statement starts with "-" or "+", is not a diff)
  const plain = lintFiles([{ file: 'db/1.sql', text: 'SELECT 1;\n+ 2;\n' }], 'syntax-error').mine;
  assert.doesNotMatch(plain[0]?.message ?? '', /holds a diff/);
  await inRollback(await getDb(), async (q) => {
    await q('CREATE TABLE assignments (id int PRIMARY KEY)');
    const r = await tryQuery(q, diff);
    assert.equal(!r.ok && r.error.code, '42601');
    const after = diff.split('\n').filter((l) => !l.startsWith('-') && !l.startsWith('@@')).map((l) => l.slice(1)).join('\n');
    const ok = await tryQuery(q, after);
    assert.ok(ok.ok, 'the SQL after the change runs');
  });
});

// An explainer's finding in a Supabase migration said what the error is, not that the CLI, which runs
// the file in one transaction, loses every statement of it with the error (the plain message says so).
test("err (message): an explained error in a Supabase migration (RAISE outside a function) also says the CLI loses the whole file and runs no later migration; elsewhere, or inside BEGIN … COMMIT, not; PGlite: the file in one transaction leaves not even the table before the error", async () => {
  const text = `CREATE TABLE public.notes (id int PRIMARY KEY);
RAISE NOTICE 'tables made';
CREATE POLICY notes_read ON public.notes FOR SELECT USING (true);
`;
  const [finding, ...more] = lintFiles([{ file: 'supabase/migrations/20240101000000_notes.sql', text }], ID).mine;
  assert.equal(more.length, 0);
  assert.match(finding!.message, /RAISE is a statement of PL\/pgSQL, not of SQL/);
  assert.match(
    finding!.message,
    /This is a Supabase migration: the Supabase CLI runs each file in one transaction, so none of this file's statements is applied \(the 1 after this one included: CREATE POLICY "notes_read"\), and no later migration runs\. /,
  );
  const plain = lintFiles([{ file: 'db/1_notes.sql', text }], ID).mine[0]!.message;
  assert.match(plain, /RAISE is a statement of PL\/pgSQL/);
  assert.doesNotMatch(plain, /Supabase/);
  const inTx = lintFiles([{ file: 'supabase/migrations/20240101000000_notes.sql', text: `BEGIN;\n${text}COMMIT;\n` }], ID).mine[0]!.message;
  assert.doesNotMatch(inTx, /This is a Supabase migration/, 'the aborted transaction is said instead');
  const db = await getDb();
  const err = await pgError(db.exec(`BEGIN;\n${text}COMMIT;`));
  assert.equal(err?.code, '42601');
  await db.exec('ROLLBACK');
  assert.equal((await db.query<{ t: string | null }>(`SELECT to_regclass('public.notes') AS t`)).rows[0]!.t, null);
});
