import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { byteToUtf16Mapper, initParser, lex, parseFile, quoteIdent, sqlOneLine, walk } from '../../server/src/analysis/parse.js';
import type { ParsedFile } from '../../server/src/analysis/types.js';
import { lintFiles } from '../helpers/rule-proof.js';

before(async () => {
  await initParser();
});

const kinds = (p: ParsedFile) => p.statements.map((s) => s.kind);
const textOf = (p: ParsedFile, s: { start: number; end: number }) => p.text.slice(s.start, s.end);

// Accents (2 bytes), CJK (3 bytes) and an emoji (4 bytes, a UTF-16 surrogate pair).
const PREFIX = '-- Café 日本語 😀 ünïcödé 🎉🎉\n-- 表 “quoted”\n';

describe('byte offsets → UTF-16', () => {
  test('ok: mapper handles 1-4 byte sequences', () => {
    const s = 'aé日😀b';
    const m = byteToUtf16Mapper(s);
    assert.equal(m(0), 0); // a
    assert.equal(m(1), 1); // é
    assert.equal(m(3), 2); // 日
    assert.equal(m(6), 3); // 😀 (high surrogate)
    assert.equal(m(10), 5); // b
    assert.equal(m(11), 6); // end
  });

  test('ok: mapper agrees with a naive byte walk on mixed text', () => {
    for (const s of ['aé日😀b', 'é', '😀', 'abc', '日本語 test 😀😀 é', '«x» ü'.repeat(50), PREFIX]) {
      const m = byteToUtf16Mapper(s);
      let byte = 0;
      for (let i = 0; i < s.length; i++) {
        const cp = s.codePointAt(i)!;
        const w = Buffer.byteLength(String.fromCodePoint(cp));
        for (let k = 0; k < w; k++) assert.equal(m(byte + k), i, `${JSON.stringify(s)} byte ${byte + k}`);
        byte += w;
        if (cp > 0xffff) i++;
      }
      assert.equal(m(byte), s.length);
    }
  });

  test('ok: statement and node locations are UTF-16 offsets after non-ASCII text', () => {
    const text = `${PREFIX}CREATE TABLE 😀t (id int);\nCREATE POLICY p ON 😀t USING (true);`;
    const p = parseFile('a.sql', text);
    assert.deepEqual(p.errors, []);
    assert.equal(textOf(p, p.statements[0]!), 'CREATE TABLE 😀t (id int)');
    const pol = p.statements[1]!;
    assert.equal(text.slice(pol.node.table.location, pol.node.table.location + 3), '😀t');
    const pos = p.positionAt(pol.node.table.location);
    assert.deepEqual(pos, { line: 3, character: 19 });
  });

  test("ok: PostgreSQL 18's list bounds (ARRAY[…], IN (…)) are UTF-16 offsets in the file too, in every kind of parse", () => {
    const policy = `CREATE POLICY p ON 😀t USING (tag = ANY (ARRAY['é', 'ü']) AND kind IN ('a', '日'));`;
    const bounds = (p: ParsedFile) => {
      const out: string[] = [];
      const walk = (n: unknown): void => {
        if (!n || typeof n !== 'object') return;
        for (const [k, v] of Object.entries(n)) {
          if (/list_(start|end)$/.test(k) && typeof v === 'number') out.push(`${k}:${p.text[v]}`);
          else walk(v);
        }
      };
      for (const st of p.statements) walk(st.node);
      return out.sort();
    };
    const expected = ['list_end:]', 'list_start:[', 'rexpr_list_end:)', 'rexpr_list_start:('];
    const whole = parseFile('a.sql', `${PREFIX}${policy}\nSELECT 1;`);
    assert.deepEqual(bounds(whole), expected);
    // a file that does not parse as a whole is parsed statement by statement
    const chunked = parseFile('a.sql', `${PREFIX}SELEC 1;\n${policy}`);
    assert.equal(chunked.errors.length, 1);
    assert.deepEqual(bounds(chunked), expected);
    // a re-parse after an edit before the policy moves them with it
    const edited = parseFile('a.sql', `${PREFIX}-- 🎉\n${policy}\nSELECT 1;`, whole);
    assert.deepEqual(bounds(edited), expected);
  });

  test('err: syntax error positioned at the token PostgreSQL names, after non-ASCII text', () => {
    const text = `${PREFIX}CREATE TABLE ok1 (id int);\nCREATE TABEL 日本 (id int);\nCREATE TABLE ok2 (name text DEFAULT 'ü');`;
    const p = parseFile('a.sql', text);
    assert.equal(p.errors.length, 1);
    const e = p.errors[0]!;
    assert.match(e.message, /syntax error at or near "TABEL"/);
    assert.equal(text.slice(e.start, e.end), 'TABEL');
    assert.deepEqual(p.positionAt(e.start), { line: 3, character: 7 });
    // the statements around it are still parsed
    assert.deepEqual(kinds(p), ['CreateStmt', 'CreateStmt']);
    assert.equal(p.statements[1]!.node.relation.relname, 'ok2');
  });

  test('err: error inside a multi-byte identifier statement keeps later positions right', () => {
    const text = `${PREFIX}SELECT '😀😀' FROM;\nCREATE TABLE é (id int);`;
    const p = parseFile('a.sql', text);
    assert.equal(p.errors.length, 1);
    assert.match(p.errors[0]!.message, /at or near ";"/);
    assert.equal(text.slice(p.errors[0]!.start, p.errors[0]!.end), ';');
    const t = p.statements.find((s) => s.kind === 'CreateStmt')!;
    assert.equal(text.slice(t.node.relation.location, t.node.relation.location + 1), 'é');
  });

  test('err: end-of-input error points at the last token', () => {
    const p = parseFile('a.sql', 'CREATE TABLE t (id int');
    assert.equal(p.errors.length, 1);
    assert.match(p.errors[0]!.message, /end of input/);
    assert.equal(p.text.slice(p.errors[0]!.start, p.errors[0]!.end), 'int');
  });

  test('err: unterminated quote is one error, earlier statements survive', () => {
    const p = parseFile('a.sql', "CREATE TABLE a (id int);\nSELECT 'oops;\nCREATE TABLE b (id int);");
    assert.equal(p.errors.length, 1);
    assert.deepEqual(kinds(p), ['CreateStmt']);
  });

  test('err: an unclosed parenthesis is one error, the statements after it are still parsed', () => {
    const text = 'CREATE TABLE a (id int);\nCREATE TABLE b (id int;\nCREATE TABLE c (id int);\nALTER TABLE c ENABLE ROW LEVEL SECURITY;';
    const p = parseFile('a.sql', text);
    assert.equal(p.errors.length, 1);
    assert.equal(text.slice(p.errors[0]!.start, p.errors[0]!.end), ';');
    assert.match(p.errors[0]!.message, /syntax error at or near ";"/);
    assert.deepEqual(kinds(p), ['CreateStmt', 'CreateStmt', 'AlterTableStmt']);
    assert.equal(text.slice(p.statements[1]!.start, p.statements[1]!.end), 'CREATE TABLE c (id int)');
  });

  test('ok: semicolons inside parentheses of a statement that parses are not split (multi-action rule)', () => {
    const p = parseFile('a.sql', 'CREATE TABLE t (id int);\nCREATE TABLE log (id int);\nCREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO log VALUES (1); INSERT INTO log VALUES (2));\nSELECT (1;');
    assert.equal(p.errors.length, 1);
    assert.deepEqual(kinds(p), ['CreateStmt', 'CreateStmt', 'RuleStmt']);
  });

  test("err: a semicolon inside parentheses that close before the statement's own `;` is one error, at that semicolon (medina474/sae5-supabase's seed3.sql `values (135;2,'Panier simple');`): psql sends the statement whole, as parentheses keep it open; PGlite reports 42601 at the `;`", async () => {
    const broken = "insert into paniers (jardin_id) values\n(135;2,'Panier simple');";
    const text = `create table paniers (jardin_id int, x int, nom text);\n${broken}\ncreate table b (id int);\n`;
    const p = parseFile('a.sql', text);
    assert.deepEqual(p.errors.map((e) => [text.slice(e.start, e.end), e.message.replace(/ \(SQLSTATE.*$/, '')]), [[';', 'syntax error at or near ";"']]);
    assert.deepEqual(kinds(p), ['CreateStmt', 'CreateStmt']);
    const { getDb, inRollback, tryQuery } = await import('../helpers/pg.js');
    const r = await inRollback(await getDb(), async (q) => {
      await q('create table paniers (jardin_id int, x int, nom text)');
      return tryQuery(q, broken);
    });
    assert.equal(r.ok, false);
    if (!r.ok) assert.deepEqual([r.error.code, r.error.message, broken[r.error.position! - 1]], ['42601', 'syntax error at or near ";"', ';']);
  });
});

describe('migration files are not pure SQL', () => {
  test("ok: Liquibase's formatted SQL: a `-- changeset` line ends the statement before it, which needs no semicolon (Liquibase runs each changeset on its own); elsewhere it is a comment", () => {
    const body = `${PREFIX}-- changeset migrate:t-001
CREATE TABLE trailers (id int, tenant text NOT NULL)

-- changeset migrate:t-002
ALTER TABLE trailers OWNER TO app_owner
-- rollback ALTER TABLE trailers OWNER TO postgres;

--changeset migrate:t-003 splitStatements:true
GRANT SELECT ON TABLE trailers TO app_owner;
ALTER TABLE trailers ENABLE ROW LEVEL SECURITY
`;
    const p = parseFile('changelog/001.sql', `-- liquibase formatted sql\n${body}`);
    assert.deepEqual(p.errors, []);
    assert.deepEqual(kinds(p), ['CreateStmt', 'AlterTableStmt', 'GrantStmt', 'AlterTableStmt']);
    assert.deepEqual(p.statements.map((x) => textOf(p, x).split('\n')[0]), [
      'CREATE TABLE trailers (id int, tenant text NOT NULL)',
      'ALTER TABLE trailers OWNER TO app_owner',
      'GRANT SELECT ON TABLE trailers TO app_owner',
      'ALTER TABLE trailers ENABLE ROW LEVEL SECURITY',
    ]);
    // without the header the lines are comments, and PostgreSQL rejects what they join
    const plain = parseFile('a.sql', body);
    assert.equal(plain.errors.length, 1);
    assert.match(plain.errors[0]!.message, /syntax error at or near "ALTER"/);
  });

  test("ok: Liquibase's formatted SQL: a `/` or GO first on a line, and a changeset's endDelimiter (`/`, `//`, a regular expression) alone or ending a line, end a statement as Liquibase splits them (StringUtil.isDelimiter); elsewhere, or in a plain file, they are PostgreSQL's syntax errors", () => {
    const body = `--changeset dev:1
CREATE TABLE notes (id int, owner text NOT NULL)
/
ALTER TABLE notes ENABLE ROW LEVEL SECURITY
GO
SELECT 4
/ 2;
--changeset dev:2 endDelimiter://
CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 8 / 2; END $$ //
ALTER TABLE notes FORCE ROW LEVEL SECURITY
//
--changeSet dev:3 stripComments:false endDelimiter:\\n\\s*/\\s*\\n|\\n\\s*/\\s*$
CREATE POLICY notes_own ON notes USING (owner = current_user)
/
GRANT SELECT ON notes TO PUBLIC
/
`;
    const p = parseFile('changelog/001.sql', `-- liquibase formatted sql\n${body}`);
    assert.deepEqual(p.errors, []);
    assert.deepEqual(kinds(p), ['CreateStmt', 'AlterTableStmt', 'SelectStmt', 'CreateFunctionStmt', 'AlterTableStmt', 'CreatePolicyStmt', 'GrantStmt']);
    // (`-- liquibase formatted.sql` is Liquibase's header too)
    assert.deepEqual(parseFile('changelog/002.sql', `--liquibase formatted.sql\n${body}`).errors, []);
    // (a / that more follows on its line is division: Liquibase would split there too, and PostgreSQL reject both halves)
    assert.equal(textOf(p, p.statements[2]!), 'SELECT 4\n/ 2');
    // (endDelimiter:; leaves only the semicolon: a / line is then PostgreSQL's)
    assert.equal(parseFile('changelog/003.sql', '-- liquibase formatted sql\n--changeset dev:1 endDelimiter:;\nCREATE TABLE a (id int)\n/\n').errors.length, 1);
    const plain = parseFile('a.sql', body.replace(/^--changeset.*\n/gm, ''));
    assert.ok(plain.errors.length > 0);
  });

  test('ok: psql meta-commands are skipped', () => {
    const text = [
      '\\set ON_ERROR_STOP on',
      '\\echo creating tables',
      '\\i other.sql',
      '\\ir relative.sql',
      '\\c mydb',
      '\\if :is_prod',
      'CREATE TABLE t (id int);',
      '\\endif',
      '\\quit',
    ].join('\n');
    const p = parseFile('a.sql', text);
    assert.deepEqual(p.errors, []);
    assert.deepEqual(kinds(p), ['CreateStmt']);
  });

  test('ok: psql variables keep positions', () => {
    const text = "CREATE TABLE :schema.t (id int DEFAULT :default_id, label text DEFAULT :'label', x int);\nGRANT SELECT ON t TO :\"role\";\nSELECT 1::int, a[1:2] FROM arr;";
    const p = parseFile('a.sql', text);
    assert.deepEqual(p.errors, []);
    assert.deepEqual(kinds(p), ['CreateStmt', 'GrantStmt', 'SelectStmt']);
    assert.equal(p.statements[0]!.node.relation.relname, 't');
    const { clean } = lex(text);
    assert.equal(clean.length, text.length);
  });

  test('ok: extension script placeholders', () => {
    const p = parseFile('a.sql', 'CREATE TABLE @extschema@.t (id int);\nCREATE FUNCTION @extschema:other@.f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;');
    assert.deepEqual(p.errors, []);
    assert.equal(p.statements[0]!.node.relation.schemaname, '_extschema_');
  });

  test('ok: messages and fixes name psql variables as written, not the identifiers put in for them', () => {
    const text = "\\set tbl docs\nCREATE TABLE :tbl (id int, owner_id uuid);\nCREATE TABLE _tbl_log (id int);\n";
    const p = parseFile('a.sql', text);
    assert.deepEqual([...(p.placeholders ?? [])], [['_tbl', ':tbl']]);
    const { mine } = lintFiles([{ file: 'a.sql', text }], 'rls-not-enabled');
    const [docs, log] = mine;
    assert.match(docs!.message, /public\.:tbl\b/);
    assert.doesNotMatch(docs!.message, /_tbl\b/);
    assert.ok(docs!.fixes[0]!.edits.some((e) => e.newText.includes('ALTER TABLE :tbl ENABLE ROW LEVEL SECURITY')), JSON.stringify(docs!.fixes[0]));
    // (an identifier that only starts with the same name is left alone)
    assert.match(log!.message, /public\._tbl_log\b/);
    // a role named by a variable in capitals: PostgreSQL folds the identifier put in for it
    const roles = "CREATE TABLE t (id int);\nGRANT SELECT ON t TO :DATABASE_VISITOR;\nALTER TABLE t ENABLE ROW LEVEL SECURITY;";
    const [granted] = lintFiles([{ file: 'a.sql', text: roles }], 'rls-enabled-without-policy').mine;
    assert.match(granted!.message, /:DATABASE_VISITOR is granted/);
  });

  // What psql or a migration tool puts in before PostgreSQL sees the text. The file's statement
  // as PostgreSQL gets it (`rendered`): PGlite's error position there, mapped back to the file
  // (the placeholder and its value differ in length), is where the lint must report the error.
  const pgErrorAt = async (sql: string, placeholder?: string, value = '') => {
    const { getDb, inRollback, tryQuery } = await import('../helpers/pg.js');
    const at = placeholder === undefined ? -1 : sql.indexOf(placeholder);
    const rendered = at < 0 ? sql : sql.slice(0, at) + value + sql.slice(at + placeholder!.length);
    const r = await inRollback(await getDb(), (q) => tryQuery(q, rendered));
    assert.ok(!r.ok, rendered);
    const pos = r.error.position! - 1; // (ASCII statements: characters are UTF-16 units)
    return { code: r.error.code, message: r.error.message, at: at >= 0 && pos >= at + value.length ? pos - value.length + placeholder!.length : pos };
  };

  test('ok: a psql variable where the grammar wants a string (COPY … FROM :path, delibrium-postgrest): parsed with a literal there; a real error beside it is still PostgreSQL\'s, at its place', async () => {
    const copy = 'COPY school (id, name) FROM :school_path WITH (format csv, header true);';
    const broken = 'COPY school (id, name) FROM :school_path WITH (format csv,);';
    const head = `${PREFIX}\\set school_path '\\'' /tmp '/school.csv\\''\nCREATE TABLE school (id bigint PRIMARY KEY, name text);\n`;
    const text = `${head}${copy}\n${broken}\nCREATE ROLE :db_user PASSWORD :authenticator_pass;\nALTER TABLE school ENABLE ROW LEVEL SECURITY;`;
    const p = parseFile('data/init.sql', text);
    assert.deepEqual(kinds(p), ['CreateStmt', 'CopyStmt', 'CreateRoleStmt', 'AlterTableStmt']);
    assert.deepEqual(p.positionAt(p.statements[1]!.start), { line: 4, character: 0 });
    assert.equal(textOf(p, p.statements[1]!), copy.slice(0, -1));
    const rel = p.statements[1]!.node.relation;
    assert.equal(text.slice(rel.location, rel.location + 6), 'school');
    assert.equal(p.statements[2]!.node.role, '_db_user');
    assert.equal(p.errors.length, 1);
    const e = p.errors[0]!;
    assert.match(e.message, /^syntax error at or near "\)"$/);
    // PGlite: psql's value (a quoted path) parses there; the variable as a name does not (42601); the broken one fails at its `)`
    const { getDb, inRollback, tryQuery } = await import('../helpers/pg.js');
    await inRollback(await getDb(), async (q) => {
      await q('CREATE TABLE school (id bigint PRIMARY KEY, name text)');
      const value = await tryQuery(q, copy.replace(':school_path', "'/tmp/school.csv'"));
      assert.ok(!value.ok && value.error.code === '58P01', JSON.stringify(value)); // (past the parser: no such file)
      const name = await tryQuery(q, copy.replace(':school_path', 'school_path'));
      assert.ok(!name.ok && name.error.code === '42601', JSON.stringify(name));
    });
    const pg = await pgErrorAt(broken, ':school_path', "'/tmp/school.csv'");
    assert.equal(pg.code, '42601');
    assert.equal(pg.message, e.message);
    assert.equal(e.start, text.indexOf(broken) + pg.at);
    assert.deepEqual(p.positionAt(e.start), { line: 5, character: broken.indexOf(',)') + 1 });
  });

  test('ok: a psql variable holding SQL text, alone on its line (`:pgjwt_sql`, delibrium-postgrest): not checked, and the statements after it are', async () => {
    const text = [
      PREFIX + "\\set pgjwt_sql `sed -e 's/@extschema@/pgjwt/g' pgjwt--0.0.1.sql`",
      'CREATE SCHEMA pgjwt;',
      'SET search_path TO pgjwt, public;',
      ':pgjwt_sql',
      'SET search_path TO public;',
      'GRANT USAGE ON SCHEMA pgjwt TO authenticated;',
      'CREATE TABLE logs (id int) :table_options;',
      'GRANT USAGE ON SCHEMA pgjwt TO;',
      'CREATE TABLE after_it (id int);',
    ].join('\n');
    const p = parseFile('libs/pgjwt/schema.sql', text);
    assert.deepEqual(kinds(p), ['CreateSchemaStmt', 'VariableSetStmt', 'VariableSetStmt', 'GrantStmt', 'CreateStmt']);
    const set = p.statements[2]!;
    assert.equal(textOf(p, set), 'SET search_path TO public');
    assert.deepEqual(p.positionAt(set.start), { line: 6, character: 0 });
    assert.equal(p.statements[4]!.node.relation.relname, 'after_it');
    // the only error: the real one, where PostgreSQL puts it
    assert.equal(p.errors.length, 1);
    const e = p.errors[0]!;
    const broken = 'GRANT USAGE ON SCHEMA pgjwt TO;';
    const pg = await pgErrorAt(broken);
    assert.equal(pg.message, e.message);
    assert.equal(e.start, text.indexOf(broken) + pg.at);
    assert.deepEqual(p.positionAt(e.start), { line: 9, character: broken.length - 1 });
    // PGlite: what psql sends there, the script it read into the variable, then the next line's statement, runs
    const { getDb, inRollback } = await import('../helpers/pg.js');
    await inRollback(await getDb(), async (q) => {
      await q('CREATE SCHEMA pgjwt; SET search_path TO pgjwt, public;');
      await q("CREATE OR REPLACE FUNCTION url_encode(data bytea) RETURNS text LANGUAGE sql AS $$ SELECT translate(encode(data, 'base64'), E'+/=\\n', '-_') $$;\nSET search_path TO public;");
      assert.deepEqual(await q("SELECT pgjwt.url_encode('a') AS v"), [{ v: 'YQ' }]);
    });
  });

  test("ok: @extschema@ in function bodies of an extension script (pgjwt's): CREATE EXTENSION puts the schema in everywhere in the script; a real error in a body is still reported", async () => {
    const encode = 'CREATE OR REPLACE FUNCTION url_encode(data bytea) RETURNS text LANGUAGE sql AS $$ SELECT 1::text $$;';
    const sign = "CREATE OR REPLACE FUNCTION sign(payload json) RETURNS text LANGUAGE sql AS $$\n  SELECT @extschema@.url_encode(convert_to(payload::text, 'utf8'))\n$$;";
    const quoted = "CREATE FUNCTION sign2(payload json) RETURNS text LANGUAGE sql AS 'SELECT @extschema@.url_encode(convert_to(payload::text, ''utf8''))';";
    const broken = 'CREATE FUNCTION sign3(payload json) RETURNS text LANGUAGE sql AS $$ SELECT @extschema@.url_encode(payload) FROM; $$;';
    const text = `${PREFIX}\\echo Use "CREATE EXTENSION pgjwt" to load this file. \\quit\n${encode}\n${sign}\n${quoted}\n${broken}`;
    const p = parseFile('pgjwt--0.0.1.sql', text);
    assert.deepEqual(kinds(p), ['CreateFunctionStmt', 'CreateFunctionStmt', 'CreateFunctionStmt', 'CreateFunctionStmt']);
    const body = p.statements[1]!.body!;
    assert.deepEqual(body.errors, []);
    assert.deepEqual(body.statements.map((s) => s.kind), ['SelectStmt']);
    assert.ok(textOf(p, body.statements[0]!).startsWith('SELECT @extschema@.url_encode('), textOf(p, body.statements[0]!));
    assert.deepEqual(p.statements[2]!.body!.errors, []);
    assert.deepEqual(p.statements[3]!.body!.errors.map((e) => [e.message, text.slice(e.start, e.end), p.positionAt(e.start)]), [
      ['in function body: syntax error at or near ";"', ';', { line: 8, character: broken.indexOf('FROM;') + 4 }],
    ]);
    // PGlite: the script with the schema put in (what CREATE EXTENSION, or delibrium's sed, runs) creates the functions;
    // the text as written is rejected (psql never sends it: the script's first line ends psql's run)
    const { getDb, inRollback, tryQuery } = await import('../helpers/pg.js');
    await inRollback(await getDb(), async (q) => {
      await q(`CREATE SCHEMA pgjwt; SET search_path TO pgjwt, public;\n${[encode, sign, quoted].join('\n').replaceAll('@extschema@', 'pgjwt')}`);
      assert.deepEqual(await q(`SELECT pgjwt.sign('{}') AS a, pgjwt.sign2('{}') AS b`), [{ a: '1', b: '1' }]);
      const raw = await tryQuery(q, sign);
      assert.ok(!raw.ok && raw.error.code === '42601', JSON.stringify(raw));
      const bad = await tryQuery(q, broken.replaceAll('@extschema@', 'pgjwt'));
      assert.ok(!bad.ok && bad.error.code === '42601' && bad.error.message === 'syntax error at or near ";"', JSON.stringify(bad));
    });
  });

  test("ok: a migration tool's Go template actions (tern's `{{ env \"PGUSER\" }}`, ludat/fulbo) are parsed as the name or literal they render to; Jinja's (dbt) are not", async () => {
    const grant = 'GRANT anon TO {{ env "PGUSER" }};';
    const broken = 'GRANT app_user TO {{ env "PGUSER" }} WITH;';
    const text = [
      `${PREFIX}CREATE ROLE anon NOLOGIN;`,
      'CREATE ROLE app_user NOLOGIN;',
      grant,
      broken,
      'CREATE TABLE {{ .prefix }}_users (id int, note text DEFAULT {{ printf "%q" .note }});',
      '{{ template "shared/grants.sql" . }}',
      'ALTER ROLE app_user SET search_path TO {{.schema}};',
    ].join('\n');
    const p = parseFile('db/migrations/001_initial_schema.sql', text);
    assert.deepEqual(kinds(p), ['CreateRoleStmt', 'CreateRoleStmt', 'GrantRoleStmt', 'CreateStmt', 'AlterRoleSetStmt']);
    const g = p.statements[2]!;
    assert.equal(textOf(p, g), grant.slice(0, -1));
    assert.deepEqual(p.positionAt(g.start), { line: 4, character: 0 });
    const grantee = g.node.grantee_roles[0].RoleSpec;
    assert.equal(text.slice(grantee.location, grantee.location + 2), '{{');
    assert.equal(p.placeholders?.get(grantee.rolename), '{{ env "PGUSER" }}');
    assert.equal(p.statements[3]!.node.relation.relname, '____prefix____users');
    assert.equal(p.errors.length, 1);
    const e = p.errors[0]!;
    const pg = await pgErrorAt(broken, '{{ env "PGUSER" }}', 'postgres');
    assert.equal(pg.code, '42601');
    assert.equal(pg.message, e.message);
    assert.equal(e.start, text.indexOf(broken) + pg.at);
    assert.deepEqual(p.positionAt(e.start), { line: 5, character: broken.length - 1 });
    // PGlite: the action as written is a syntax error; what tern renders runs
    const { getDb, inRollback, tryQuery } = await import('../helpers/pg.js');
    await inRollback(await getDb(), async (q) => {
      await q('CREATE ROLE app_user NOLOGIN');
      const raw = await tryQuery(q, grant);
      assert.ok(!raw.ok && raw.error.code === '42601' && raw.error.message === 'syntax error at or near "{"', JSON.stringify(raw));
      await q(grant.replace('{{ env "PGUSER" }}', 'postgres'));
    });
    // dbt's Jinja: still PostgreSQL's syntax errors (not-postgresql names the file from them)
    const dbt = parseFile('models/orders.sql', "{{ config(materialized='table') }}\nSELECT id FROM {{ ref('orders') }};\nSELECT {{ this }};");
    assert.deepEqual(dbt.errors.map((x) => [x.message, dbt.text.slice(x.start, x.end)]), [
      ['syntax error at or near "{"', '{'],
      ['syntax error at or near "{"', '{'],
    ]);
  });

  // Calibration (cal204: artifacthub/hub's database/migrations/schema/001_initial_schema.sql, a tern migration
  // ending in `{{ if eq .loadSampleData "true" }}` `{{ template "data/sample.sql" }}` `{{ end }}`): Go's control
  // actions were a syntax error at or near "{", though tern renders them away before PostgreSQL sees the file.
  test("ok: a tern migration's Go control actions ({{ if … }}, {{ else }}, {{ end }}, {{/* … */}}) are rendered away, not a syntax error; PGlite runs what tern renders", async () => {
    const head = `${PREFIX}CREATE TABLE opt_out (id uuid PRIMARY KEY);\n`;
    const block = '{{ if eq .loadSampleData "true" }}\n{{ template "data/sample.sql" }}\n{{- else if and (ne .env "prod") .demo }}\n{{/* no sample data */}}\n{{ else }}\n{{ end }}\n';
    const tail = 'CREATE TABLE after_block (id int);\n';
    const p = parseFile('database/migrations/schema/001_initial_schema.sql', head + block + tail);
    assert.deepEqual(p.errors, []);
    assert.deepEqual(kinds(p), ['CreateStmt', 'CreateStmt']);
    assert.equal(p.statements[1]!.node.relation.relname, 'after_block');
    // (Jinja stays a syntax error: dbt's `{{ this }}`, and its blocks are `{% … %}`)
    assert.equal(parseFile('models/x.sql', 'SELECT {{ this }};').errors.length, 1);
    // PGlite: the file as written fails at the first action; rendered (loadSampleData false), it runs
    const { getDb, inRollback, tryQuery } = await import('../helpers/pg.js');
    await inRollback(await getDb(), async (q) => {
      const raw = await tryQuery(q, head + block + tail);
      assert.ok(!raw.ok && raw.error.code === '42601' && raw.error.message === 'syntax error at or near "{"', JSON.stringify(raw));
    });
    await inRollback(await getDb(), async (q) => {
      await q(head + tail);
    });
  });

  test('ok: COPY … FROM stdin data is skipped up to \\.', () => {
    const text = "CREATE TABLE t (id int, note text);\nCOPY t (id, note) FROM stdin;\n1\tit's \"fine\"; really\n2\t\\N\n\\.\nALTER TABLE t ENABLE ROW LEVEL SECURITY;";
    const p = parseFile('a.sql', text);
    assert.deepEqual(p.errors, []);
    assert.deepEqual(kinds(p), ['CreateStmt', 'CopyStmt', 'AlterTableStmt']);
  });

  test('ok: COPY … FROM stdin after a psql meta-command line: its data is still data', () => {
    const text = 'CREATE TABLE t (id int);\n\\echo loading\nCOPY t (id) FROM STDIN;\n1\n2\n\\.\nCREATE TABLE u (id int);';
    const p = parseFile('a.sql', text);
    assert.deepEqual(p.errors, []);
    assert.deepEqual(kinds(p), ['CreateStmt', 'CopyStmt', 'CreateStmt']);
  });

  test('ok: COPY … FROM stdin without a \\. line: the data runs to the end of the file, as in psql', () => {
    const text = "CREATE TABLE t (id int, note text);\nCOPY t (id, note) FROM stdin;\n1\tnot; SQL\n2\tstill data";
    const p = parseFile('a.sql', text);
    assert.deepEqual(p.errors, []);
    assert.deepEqual(kinds(p), ['CreateStmt', 'CopyStmt']);
  });

  test('ok: a statement after a nested block comment starts at its first token', () => {
    const text = 'SELECT 1;\n/* outer /* inner; */ still; comment */ CREATE TABLE t (id int);';
    const p = parseFile('a.sql', text);
    assert.deepEqual(p.errors, []);
    assert.equal(text.slice(p.statements[1]!.start, p.statements[1]!.end), 'CREATE TABLE t (id int)');
  });

  test('ok: BEGIN/COMMIT blocks, dollar quotes with tags, BEGIN ATOMIC bodies', () => {
    const text = [
      'BEGIN;',
      'CREATE FUNCTION f() RETURNS text LANGUAGE plpgsql AS $body$ BEGIN RETURN $x$;$x$; END $body$;',
      'CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 2 END; END;',
      'COMMIT;',
      'SELEC 1;',
      'CREATE TABLE after_error (id int);',
    ].join('\n');
    const p = parseFile('a.sql', text);
    assert.equal(p.errors.length, 1);
    assert.deepEqual(kinds(p), ['TransactionStmt', 'CreateFunctionStmt', 'CreateFunctionStmt', 'TransactionStmt', 'CreateStmt']);
  });

  test('ok: DO block static statements are analysed like top-level ones', () => {
    const text = `DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_policies WHERE policyname = 'p') THEN
    CREATE POLICY p ON t FOR SELECT TO authenticated USING (true);
  END IF;
END $$;`;
    const p = parseFile('a.sql', text);
    assert.deepEqual(p.errors, []);
    const inner = p.statements.find((s) => s.kind === 'CreatePolicyStmt')!;
    assert.equal(inner.origin, 'do');
    assert.equal(textOf(p, inner), 'CREATE POLICY p ON t FOR SELECT TO authenticated USING (true)');
    assert.equal(text.slice(inner.node.table.location, inner.node.table.location + 1), 't');
  });

  test('ok: a function a dollar-quoted DO block creates has its body parsed and located in the file (after non-ASCII text)', () => {
    const text = `${PREFIX}DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_proc WHERE proname = 'f') THEN
    CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql SECURITY DEFINER AS $fn$
    BEGIN RETURN (SELECT count(*) FROM secrets); END $fn$;
  END IF;
END $$;`;
    const p = parseFile('a.sql', text);
    assert.deepEqual(p.errors, []);
    const inner = p.statements.find((s) => s.kind === 'CreateFunctionStmt')!;
    assert.equal(inner.origin, 'do');
    assert.equal(inner.body?.language, 'plpgsql');
    const rel = JSON.stringify(inner.body!.statements).match(/"relname":"secrets"[^}]*"location":(\d+)/);
    assert.ok(rel, 'the body reads secrets');
    assert.equal(text.slice(+rel[1]!, +rel[1]! + 7), 'secrets');
  });
});

describe('function bodies', () => {
  test('ok: PL/pgSQL body statements are parsed and located in the file', () => {
    const text = `${PREFIX}CREATE FUNCTION f(tbl text) RETURNS int LANGUAGE plpgsql SECURITY DEFINER AS $fn$
DECLARE n int;
BEGIN
  PERFORM set_config('app.tenant', 'x', false);
  SET row_security = off;
  EXECUTE 'SELECT count(*) FROM ' || tbl INTO n;
  EXECUTE format('SELECT count(*) FROM %I', tbl) INTO n;
  n := (SELECT count(*) FROM tenant_users);
  INSERT INTO audit_log (what) VALUES ('x');
  RETURN n;
END $fn$;`;
    const p = parseFile('a.sql', text);
    assert.deepEqual(p.errors, []);
    const body = p.statements[0]!.body!;
    assert.equal(body.language, 'plpgsql');
    const stmtKinds = body.statements.map((s) => s.kind);
    assert.ok(stmtKinds.includes('VariableSetStmt'));
    assert.ok(stmtKinds.includes('InsertStmt'));
    const ins = body.statements.find((s) => s.kind === 'InsertStmt')!;
    assert.equal(text.slice(ins.node.relation.location, ins.node.relation.location + 9), 'audit_log');
    assert.equal(body.dynamicExecutes.length, 2);
    assert.deepEqual(body.dynamicExecutes.map((d) => [d.concatenated, d.quoted]), [[true, false], [false, true]]);
    const assign = body.statements.find((s) => JSON.stringify(s.node).includes('tenant_users'))!;
    const loc = JSON.stringify(assign.node).match(/"relname":"tenant_users"[^}]*"location":(\d+)/)!;
    assert.equal(text.slice(+loc[1]!, +loc[1]! + 12), 'tenant_users');
  });

  test('ok: an EXECUTE run unconditionally by a loop over a literal array records the values (FOREACH over ARRAY[…] or a never-assigned array variable, FOR … IN SELECT unnest(…)); not one under IF, nor over an assigned variable', () => {
    const text = `DO $$
DECLARE t text; fixed text[] := ARRAY['a', 'b']; moved text[] := '{c}'::text[];
BEGIN
  FOREACH t IN ARRAY ARRAY['x', 'y'] LOOP EXECUTE format('%I', t); END LOOP;
  FOREACH t IN ARRAY fixed LOOP EXECUTE format('%I', t); IF t = 'a' THEN EXECUTE format('%I', t); END IF; END LOOP;
  FOR t IN SELECT unnest('{p,q}'::text[]) LOOP EXECUTE format('%I', t); END LOOP;
  moved := array_append(moved, 'd');
  FOREACH t IN ARRAY moved LOOP EXECUTE format('%I', t); END LOOP;
  FOR t IN SELECT tablename FROM pg_tables LOOP EXECUTE format('%I', t); END LOOP;
END $$;`;
    const p = parseFile('a.sql', text);
    assert.deepEqual(p.errors, []);
    assert.deepEqual(
      p.statements[0]!.body!.dynamicExecutes.map((d) => d.each),
      [{ variable: 't', values: ['x', 'y'] }, { variable: 't', values: ['a', 'b'] }, undefined, { variable: 't', values: ['p', 'q'] }, undefined, undefined],
    );
  });

  test('ok: PL/pgSQL statements record the variables they assign (:=, SELECT … INTO, RETURNING … INTO), in branches and nested blocks', () => {
    const text = `CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE a text; b uuid; r record; arr text[];
BEGIN
  a := NEW.raw_user_meta_data->>'role';
  SELECT x, y INTO a, b FROM t WHERE z = 1;
  IF a IS NOT NULL THEN SELECT * INTO r FROM t; ELSE arr[1] = 'x'; END IF;
  BEGIN
    INSERT INTO t (c) VALUES (a) RETURNING id INTO STRICT b;
  EXCEPTION WHEN OTHERS THEN NEW.role := 'member';
  END;
  PERFORM g(a);
  RETURN NEW;
END $$;`;
    const p = parseFile('a.sql', text);
    assert.deepEqual(p.errors, []);
    const got = p.statements[0]!.body!.statements.map((s) => [s.kind, s.assigns]);
    assert.deepEqual(got, [
      ['SelectStmt', ['a']],
      ['SelectStmt', ['a', 'b']],
      ['SelectStmt', undefined],
      ['SelectStmt', ['r']],
      ['SelectStmt', ['arr']],
      ['InsertStmt', ['b']],
      ['SelectStmt', ['new']],
      ['SelectStmt', undefined],
    ]);
  });

  test('ok: PL/pgSQL statements that set FOUND are marked (SELECT … INTO, PERFORM, INSERT/UPDATE/DELETE, RETURN QUERY, a FOR or FOREACH loop); an assignment, an IF condition, EXECUTE, GET DIAGNOSTICS, a plain SQL statement are not', () => {
    const text = `CREATE FUNCTION f(p int) RETURNS SETOF int LANGUAGE plpgsql AS $$
DECLARE a int; r record; arr int[];
BEGIN
  a := (SELECT count(*) FROM t);
  SELECT x INTO a FROM t WHERE z = p;
  PERFORM 1;
  UPDATE t SET x = 1 WHERE z = p;
  DELETE FROM t WHERE z = p RETURNING x INTO a;
  IF found THEN EXECUTE 'SELECT 1'; END IF;
  GET DIAGNOSTICS a = ROW_COUNT;
  CREATE TEMP TABLE tt (x int);
  FOR r IN SELECT x FROM t LOOP a := r.x; END LOOP;
  FOREACH a IN ARRAY arr LOOP NULL; END LOOP;
  RETURN QUERY SELECT x FROM t;
END $$;`;
    const p = parseFile('a.sql', text);
    assert.deepEqual(p.errors, []);
    const got = p.statements[0]!.body!.statements.map((s) => [s.kind, !!s.setsFound]);
    assert.deepEqual(got, [
      ['SelectStmt', false],
      ['SelectStmt', true],
      ['SelectStmt', true],
      ['UpdateStmt', true],
      ['DeleteStmt', true],
      ['SelectStmt', false],
      ['SelectStmt', false],
      ['CreateStmt', false],
      // (the FOR loop's body, then its query; GET DIAGNOSTICS has none)
      ['SelectStmt', false],
      ['SelectStmt', true],
      ['SelectStmt', true],
      ['SelectStmt', true],
    ]);
  });

  test("ok: a cursor's FETCH and MOVE are statements that set FOUND (FetchStmt: the cursor's name, whether it moves), from their keyword on their line to their end, FETCH's variables its assigns; a cursor's query (OPEN … FOR, OPEN … FOR EXECUTE, a declared bound cursor) carries the cursor's name; OPEN and CLOSE set nothing", () => {
    const text = `CREATE FUNCTION f(p int) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
  a int; r record;
  c_bound CURSOR FOR SELECT x FROM t WHERE z = p;
  c refcursor;
BEGIN
  OPEN c_bound;
  FETCH c_bound INTO a;
  -- fetch or move, in a comment on its own line
  OPEN c FOR SELECT x, z FROM t; MOVE   FORWARD 2 FROM c;
  FETCH ABSOLUTE p FROM c INTO r; CLOSE c;
  OPEN c FOR EXECUTE 'SELECT 1';
  IF NOT FOUND THEN RETURN 0; END IF;
  RETURN a;
END $$;`;
    const p = parseFile('a.sql', text);
    assert.deepEqual(p.errors, []);
    const got = p.statements[0]!.body!.statements.map((s) => [s.kind, textOf(p, s), !!s.setsFound, s.assigns, s.opens, s.kind === 'FetchStmt' ? s.node : undefined]);
    assert.deepEqual(got, [
      ['SelectStmt', 'SELECT x FROM t WHERE z = p', false, undefined, 'c_bound', undefined],
      ['FetchStmt', 'FETCH c_bound INTO a', true, ['a'], undefined, { portalname: 'c_bound', ismove: false }],
      ['SelectStmt', 'SELECT x, z FROM t', false, undefined, 'c', undefined],
      // (each count, an expression, then its FETCH or MOVE)
      ['SelectStmt', '2', false, undefined, undefined, undefined],
      ['FetchStmt', 'MOVE   FORWARD 2 FROM c', true, undefined, undefined, { portalname: 'c', ismove: true }],
      ['SelectStmt', 'p', false, undefined, undefined, undefined],
      ['FetchStmt', 'FETCH ABSOLUTE p FROM c INTO r', true, ['r'], undefined, { portalname: 'c', ismove: false }],
      ['SelectStmt', "'SELECT 1'", false, undefined, 'c', undefined],
      ['SelectStmt', 'NOT FOUND', false, undefined, undefined, undefined],
      // (RETURN 0; RETURN a, a lone variable, is kept as one, not an expression)
      ['SelectStmt', '0', false, undefined, undefined, undefined],
    ]);
  });

  test('ok: PL/pgSQL statements that may not run when the function runs are marked mayNotRun: in a loop (its header too) or a CASE statement, after a RETURN, a RAISE EXCEPTION, an EXIT leaving the list or a statement holding one (an IF returning); not an EXIT leaving only a loop, a RAISE NOTICE, nor (IF branches have `arms`) an IF\'s branch', () => {
    const text = `${PREFIX}CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$
DECLARE v int := 1;
BEGIN
  SELECT 2 INTO v;
  LOOP v := 3; EXIT WHEN v > 1; END LOOP;
  FOR i IN 1..4 LOOP CONTINUE; END LOOP;
  RAISE NOTICE '%', 5;
  CASE WHEN v = 6 THEN v := 7; END CASE;
  IF v > 8 THEN v := 9; END IF;
  <<b>> BEGIN
    v := 10;
    LOOP EXIT b; END LOOP;
    v := 11;
  END;
  v := 12;
END $$;
CREATE FUNCTION g() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  IF 1 > 0 THEN RETURN 1; END IF;
  RETURN 2;
END $$;
CREATE FUNCTION h() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'no';
  RETURN 3;
END $$;`;
    const p = parseFile('a.sql', text);
    assert.deepEqual(p.errors, []);
    const got = p.statements.map((st) => st.body!.statements.map((s) => `${textOf(p, s)}${s.mayNotRun ? ' (may not run)' : ''}`));
    assert.deepEqual(got, [
      [
        '1',
        'SELECT 2',
        '3 (may not run)',
        'v > 1 (may not run)',
        '1 (may not run)',
        '4 (may not run)',
        '5',
        'v = 6 (may not run)',
        '7 (may not run)',
        'v > 8',
        '9',
        '10',
        '11 (may not run)',
        '12 (may not run)',
      ],
      ['1 > 0', '1', '2 (may not run)'],
      ['3 (may not run)'],
    ]);
  });

  test("ok: a SQL statement with INTO is located where it is written (PL/pgSQL keeps its text with the INTO clause blanked, a space per byte, or cut off when last), and so are its nodes, after accents, CJK and emoji, a non-ASCII variable or comment in the clause; an EXECUTE's string twice: each at its own place", () => {
    const body = `
DECLARE v_role text; v_rôle_日本 text; n int; c refcursor;
BEGIN
  SELECT role INTO v_role FROM members WHERE user_id = auth.uid();
  SELECT role INTO STRICT v_rôle_日本 FROM members m WHERE m.user_id = auth.uid() AND m.role <> 'x';
  SELECT role INTO v_role -- 🎉 注释 “c”
    FROM members WHERE members.user_id = auth.uid();
  SELECT INTO v_rôle_日本 role FROM members WHERE user_id = auth.uid();
  SELECT role INTO v_role FROM members WHERE user_id = auth.uid();
  SELECT role FROM members WHERE user_id = auth.uid() INTO v_rôle_日本;
  WITH x AS (SELECT 1) SELECT 1 INTO n FROM x, members WHERE members.user_id = auth.uid();
  INSERT INTO logs (who) VALUES (auth.uid()) RETURNING id INTO n;
  UPDATE logs SET who = auth.uid() WHERE id = n RETURNING id INTO STRICT n;
  DELETE FROM logs WHERE who = auth.uid() RETURNING id INTO n;
  EXECUTE 'SELECT count(*) FROM members' INTO n;
  OPEN c FOR SELECT role FROM members WHERE user_id = auth.uid();
  FETCH c INTO v_role;
  EXECUTE 'SELECT count(*) FROM members' INTO n;
  RETURN v_role;
END `;
    const text = `${PREFIX}CREATE FUNCTION f() RETURNS text LANGUAGE plpgsql SECURITY DEFINER AS $fn$${body}$fn$;\n`;
    const p = parseFile('a.sql', text);
    assert.deepEqual(p.errors, []);
    const b = p.statements[0]!.body!;
    const bodyAt = text.indexOf(body);
    // (each statement: its text as PL/pgSQL keeps it, from its first token to INTO when INTO is last)
    // (a cursor's FETCH is a statement of its own, FetchStmt, from FETCH to its end, INTO included)
    const lines = body.split(';').map((l) => l.trim().replace(/^BEGIN\s+/, '')).filter((l) => /^(SELECT|WITH|INSERT|UPDATE|DELETE|EXECUTE|OPEN|FETCH)/.test(l));
    const expected = lines.map((l) => (l.startsWith('FETCH') ? l : l.replace(/^EXECUTE ('[^']*').*$/s, '$1').replace(/^OPEN c FOR /, '').replace(/\s+INTO\s+(STRICT\s+)?\S+$/, '')));
    assert.deepEqual(b.statements.map((s) => textOf(p, s)), expected);
    // (each at its own place: in order, after the one before)
    const starts = b.statements.map((s) => s.start);
    assert.deepEqual(starts, [...starts].sort((x, y) => x - y));
    assert.ok(starts[0]! > bodyAt);
    assert.deepEqual(b.dynamicExecutes.map((d) => textOf(p, d)), ["'SELECT count(*) FROM members'", "'SELECT count(*) FROM members'"]);
    assert.notEqual(b.dynamicExecutes[0]!.start, b.dynamicExecutes[1]!.start);
    assert.deepEqual(b.dynamicExecutes.map((d) => d.start), [b.statements[10]!.start, b.statements[13]!.start]);
    // every name of every statement: its location is where the file has it
    let names = 0;
    for (const s of b.statements) {
      walk(s.node, (k, v) => {
        const name = k === 'RangeVar' ? v.relname : k === 'ColumnRef' ? v.fields?.[0]?.String?.sval : k === 'FuncCall' ? v.funcname?.[0]?.String?.sval : undefined;
        if (typeof name !== 'string' || typeof v.location !== 'number') return;
        names++;
        assert.ok(v.location >= s.start && v.location < s.end, `${name} inside its statement`);
        assert.equal(text.slice(v.location, v.location + name.length), name, `${k} ${name} at ${v.location}`);
      });
    }
    assert.ok(names > 40, String(names));
  });

  test("ok: a FOR loop's query (FOR r IN SELECT, IN EXECUTE, a cursor's arguments) is located where it is written, before the loop's statements, though libpg-query gives the loop's body first (in the list it stays after them: FOUND is set when the loop ends); two loops over the same query: each at its own, after accents, CJK and emoji", () => {
    const body = `
DECLARE r record; n int; c CURSOR (k uuid) FOR SELECT id FROM members WHERE user_id = k;
BEGIN
  FOR r IN SELECT id FROM members WHERE user_id = auth.uid() LOOP
    PERFORM 1 FROM logs WHERE who = r.id;
  END LOOP;
  FOR r IN SELECT id FROM members WHERE user_id = auth.uid() LOOP
    PERFORM 2 FROM logs WHERE who = r.id;
  END LOOP;
  FOR r IN EXECUTE 'SELECT 1' USING (SELECT count(*) FROM members) LOOP
    PERFORM 3;
  END LOOP;
  FOR r IN c((SELECT auth.uid())) LOOP
    PERFORM 4;
  END LOOP;
  RETURN;
END `;
    const text = `${PREFIX}-- “é” 😀\nCREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $fn$${body}$fn$;\n`;
    const p = parseFile('a.sql', text);
    assert.deepEqual(p.errors, []);
    const b = p.statements[0]!.body!;
    const placed = b.statements.map((s) => [textOf(p, s), s.start] as const);
    const loop = 'SELECT id FROM members WHERE user_id = auth.uid()';
    const first = text.indexOf(loop);
    const second = text.indexOf(loop, first + 1);
    assert.ok(first > 0 && second > first);
    const loops = placed.filter(([t]) => t === loop).map(([, at]) => at);
    assert.deepEqual(loops, [first, second], 'each loop query at its own place');
    // (each in the list after its loop's statements, where PL/pgSQL sets FOUND: definer-check-fails-open)
    assert.deepEqual(placed.slice(0, 3).map(([t]) => t), ['SELECT id FROM members WHERE user_id = k', '1 FROM logs WHERE who = r.id', loop]);
    for (const [t, at] of placed) assert.equal(text.slice(at, at + t.length), t);
    for (const s of b.statements) assert.ok(s.start > text.indexOf('DECLARE'), textOf(p, s));
  });

  test("ok: a FOR loop over a bound cursor (`FOR r IN c LOOP`, `FOR r IN d(5) LOOP`) runs the cursor's declared query: a statement of it after the loop's statements (and its arguments), located at the declaration, its rows into the loop's variable, setting FOUND, in the loop (mayNotRun); the declaration's own stays (Statement.opens)", () => {
    const text = `${PREFIX}CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$
DECLARE c CURSOR FOR SELECT id FROM t; d CURSOR (k int) FOR SELECT id FROM u WHERE id = k; r record;
BEGIN
  FOR r IN c LOOP PERFORM 1; END LOOP;
  FOR r IN d(5) LOOP PERFORM 2; END LOOP;
  OPEN c;
END $$;`;
    const p = parseFile('a.sql', text);
    assert.deepEqual(p.errors, []);
    const got = p.statements[0]!.body!.statements.map((s) => [textOf(p, s), s.start, s.loopInto, !!s.setsFound, !!s.mayNotRun, s.opens]);
    const [c, d] = [text.indexOf('SELECT id FROM t'), text.indexOf('SELECT id FROM u WHERE id = k')];
    assert.deepEqual(got, [
      ['SELECT id FROM t', c, undefined, false, false, 'c'],
      ['SELECT id FROM u WHERE id = k', d, undefined, false, false, 'd'],
      ['1', text.indexOf('1; END'), undefined, true, true, undefined],
      ['SELECT id FROM t', c, ['r'], true, true, undefined],
      ['2', text.indexOf('2; END'), undefined, true, true, undefined],
      ['5', text.indexOf('5)'), undefined, true, true, undefined],
      ['SELECT id FROM u WHERE id = k', d, ['r'], true, true, undefined],
    ]);
  });

  test("ok: a SQL statement with INTO is not matched to a text that only looks like PostgreSQL's (a comment with it as it is kept, the same query with another INTO), and in a DO block's single-quoted body its nodes are where the file has them", () => {
    const text = `${PREFIX}DO 'DECLARE n int; m_日本 int;
BEGIN
  -- SELECT 1 FROM members WHERE role = ''x''
  -- SELECT 1        FROM members WHERE role = ''x''
  SELECT 1 INTO m_日本 FROM members WHERE role = ''x'';
  SELECT 1 INTO n FROM members WHERE role = ''x'';
  SELECT 1 FROM members WHERE role = ''x'' INTO n;
END';
`;
    const p = parseFile('a.sql', text);
    assert.deepEqual(p.errors, []);
    const b = p.statements[0]!.body!;
    assert.deepEqual(b.statements.map((s) => textOf(p, s)), ["SELECT 1 INTO m_日本 FROM members WHERE role = ''x''", "SELECT 1 INTO n FROM members WHERE role = ''x''", "SELECT 1 FROM members WHERE role = ''x''"]);
    const lines = text.split('\n');
    for (const [i, s] of b.statements.entries()) {
      const role = JSON.stringify(s.node).match(/"ColumnRef":\{"fields":\[\{"String":\{"sval":"role"\}\}\],"location":(\d+)/)!;
      const { line } = p.positionAt(+role[1]!);
      assert.equal(line, 6 + i);
      assert.equal(text.slice(+role[1]!, +role[1]! + 4), 'role');
      assert.equal(lines[line]!.trim().startsWith('SELECT 1'), true);
    }
  });

  test('ok: SQL body in single quotes with doubled quotes maps positions', () => {
    const text = "CREATE FUNCTION g() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM t WHERE x = ''a'' AND y IN (SELECT 1 FROM members)';";
    const p = parseFile('a.sql', text);
    assert.deepEqual(p.errors, []);
    const s = p.statements[0]!.body!.statements[0]!;
    const loc = JSON.stringify(s.node).match(/"relname":"members"[^}]*"location":(\d+)/)!;
    assert.equal(text.slice(+loc[1]!, +loc[1]! + 7), 'members');
  });

  test('err: a broken PL/pgSQL body is an error but the statement is kept', () => {
    const p = parseFile('a.sql', 'CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1 END $$;\nCREATE TABLE t (id int);');
    assert.equal(p.errors.length, 1);
    assert.deepEqual(kinds(p), ['CreateFunctionStmt', 'CreateStmt']);
  });
});

describe('suppression comments', () => {
  test('ok: next-line and file comments are collected', () => {
    const p = parseFile('a.sql', '-- pg-rls-lint-disable-file rls-not-forced\n-- pg-rls-lint-disable-next-line rls-not-enabled, policy-applies-to-public\nCREATE TABLE t (id int);');
    assert.ok(p.disabledFile.has('rls-not-forced'));
    assert.deepEqual([...p.disabledLines.get(2)!], ['rls-not-enabled', 'policy-applies-to-public']);
  });
});

describe('while a statement is being typed (see typing.test.ts)', () => {
  const errorsOf = (p: ParsedFile) => p.errors.map((e) => [e.message, p.text.slice(e.start, e.end)]);
  const texts = (p: ParsedFile) => p.statements.map((s) => textOf(p, s));

  test('ok: a UTF-8 byte order mark at the start is ignored, as psql does', () => {
    const p = parseFile('a.sql', '\ufeff-- 日本語\r\nCREATE TABLE t (id int);\r\nCREATE TABLE u (id int)');
    assert.deepEqual(p.errors, []);
    assert.deepEqual(texts(p), ['CREATE TABLE t (id int)', 'CREATE TABLE u (id int)']);
  });

  test('err: an unterminated block comment is PostgreSQL\'s error (it was silently dropped with what followed)', () => {
    for (const comment of ['/* oops', '/* oops /* nested */ still open']) {
      const p = parseFile('a.sql', `CREATE TABLE a (id int);\n${comment}\nCREATE TABLE b (id int);`);
      assert.equal(p.errors.length, 1, comment);
      assert.match(p.errors[0]!.message, /^unterminated \/\* comment/);
      assert.equal(p.positionAt(p.errors[0]!.start).line, 1);
      assert.deepEqual(kinds(p), ['CreateStmt']); // psql, too, reads the rest as the comment
    }
  });

  test('err: a -- comment ends at a carriage return, as in PostgreSQL (CR-only line endings)', () => {
    // the lexer ran the comment to the next line feed: the broken statement and the rest vanished without an error
    const p = parseFile('a.sql', 'CREATE TABLE a (id int);\r-- c\rSELEC 1;\rCREATE TABLE b (id int);');
    assert.deepEqual(errorsOf(p), [['syntax error at or near "SELEC"', 'SELEC']]);
    assert.deepEqual(texts(p), ['CREATE TABLE a (id int)', 'CREATE TABLE b (id int)']);
    const q = parseFile('a.sql', '-- pg-rls-lint-disable-next-line rls-not-enabled\rCREATE TABLE a (id int);\r-- rls-not-forced');
    assert.deepEqual([...q.disabledLines.get(1)!], ['rls-not-enabled']);
  });

  test('err: "end of input" after a non-ASCII name does not split a surrogate pair', () => {
    const text = 'CREATE TABLE a (id int);\nGRANT SELECT ON 表😀';
    const p = parseFile('a.sql', text);
    assert.deepEqual(errorsOf(p), [['syntax error at end of input', '表😀']]);
    const body = 'CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$😀 BEGIN RETURN 1; END $$;';
    assert.deepEqual(errorsOf(parseFile('a.sql', body)), [['in PL/pgSQL body: syntax error at or near "😀"', '😀']]);
  });

  test('err: a statement without its semicolon is one error at the next statement, which is still parsed', () => {
    const text = 'CREATE POLICY p ON t USING (true)\nALTER TABLE t ENABLE ROW LEVEL SECURITY;\nCREATE TABLE u (id int);';
    const p = parseFile('a.sql', text);
    assert.deepEqual(errorsOf(p), [['syntax error at or near "ALTER"', 'ALTER']]);
    assert.deepEqual(texts(p), ['ALTER TABLE t ENABLE ROW LEVEL SECURITY', 'CREATE TABLE u (id int)']);
  });

  test('err: a half-typed statement is one error; the statements on the next lines are still parsed', () => {
    const p = parseFile('a.sql', 'CREATE TABLE a (id int);\nCREATE POLI\nCREATE TABLE b (id int);\nCREATE TABLE c (id int);');
    assert.deepEqual(errorsOf(p), [['syntax error at or near "POLI"', 'POLI']]);
    assert.deepEqual(kinds(p), ['CreateStmt', 'CreateStmt', 'CreateStmt']);
    // `x.` takes the keyword of the next line as a column name: the error is the text's own
    const q = parseFile('a.sql', 'CREATE POLICY p ON t USING (auth.\nCREATE TABLE b (id int);');
    assert.deepEqual(errorsOf(q), [['syntax error at end of input', 'auth']]);
    assert.deepEqual(texts(q), ['CREATE TABLE b (id int)']);
  });

  test('err: a body whose closing $$ is not typed yet is one error; later bodies and statements are still parsed', () => {
    // the `$$` being typed pairs with the next body's opening `$$`: every later body was turned inside out
    const text = [
      'CREATE TABLE a (id int);',
      'CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$',
      '  SELECT 1',
      'CREATE FUNCTION g() RETURNS int LANGUAGE plpgsql AS $$',
      'BEGIN',
      '  RETURN (SELECT count(*) FROM a);',
      'END $$;',
      'DO $$ BEGIN PERFORM g(); END $$;',
      'CREATE TABLE c (id int);',
    ].join('\n');
    const p = parseFile('a.sql', text);
    assert.deepEqual(errorsOf(p), [['unterminated dollar-quoted string at or near "$$\n  SELECT 1"', '$$']]);
    assert.equal(p.positionAt(p.errors[0]!.start).line, 1);
    assert.deepEqual(kinds(p), ['CreateStmt', 'CreateFunctionStmt', 'DoStmt', 'CreateStmt']);
    assert.equal(p.statements[1]!.body!.statements[0]!.kind, 'SelectStmt');
    // a tag that never closes
    const q = parseFile('a.sql', 'DO $body$\nBEGIN\nCREATE TABLE c (id int);\nCREATE TABLE d (id int);');
    assert.deepEqual(errorsOf(q), [['unterminated dollar-quoted string at or near "$body$\nBEGIN"', '$body$']]);
    assert.deepEqual(texts(q), ['CREATE TABLE c (id int)', 'CREATE TABLE d (id int)']);
  });

  test('err: BEGIN ATOMIC without its END is one error; the statements after it are still parsed', () => {
    const text = 'CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1;\nCREATE TABLE c (id int);\nCREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 2; END;';
    const p = parseFile('a.sql', text);
    assert.equal(p.errors.length, 1);
    assert.match(p.errors[0]!.message, /end of input/);
    assert.deepEqual(kinds(p), ['CreateStmt', 'CreateFunctionStmt']);
  });

  test('err: after an unclosed parenthesis, COPY … FROM stdin data is still data', () => {
    for (const between of ['', '  SELECT 1;\n']) {
      const text = `CREATE TABLE b (id int;\n${between}COPY t FROM stdin;\n1\tit's; "x\n\\.\nCREATE TABLE c (id int);`;
      const p = parseFile('a.sql', text);
      assert.deepEqual(errorsOf(p), [['syntax error at or near ";"', ';']], JSON.stringify(between));
      assert.deepEqual(kinds(p).slice(-2), ['CopyStmt', 'CreateStmt']);
    }
  });

  test('ok: recovery keeps PostgreSQL\'s error and never promotes a body\'s statements', () => {
    // the text before the next line parses on its own: PostgreSQL's error is the one reported
    const p = parseFile('a.sql', 'SELECT a\nALTER TABLE t ENABLE ROW LEVEL SECURITY;');
    assert.deepEqual(errorsOf(p), [['syntax error at or near "TABLE"', 'TABLE']]);
    // a DO block (closed) whose missing `;` runs into the next statement: its CREATE POLICY stays inside
    const q = parseFile('a.sql', 'DO $$\nBEGIN\nCREATE POLICY p ON t USING (true);\nEND $$\nCREATE TABLE x (id int);');
    assert.deepEqual(errorsOf(q), [['syntax error at or near "CREATE"', 'CREATE']]);
    assert.deepEqual(texts(q), ['CREATE TABLE x (id int)']);
    // SET at the start of a line continues a CREATE FUNCTION: not a statement of its own
    const r = parseFile('a.sql', 'CREATE FUNCTION f() RETURNS void LANGUAG sql\nSET search_path = public\nAS $$ SELECT 1 $$;\nCREATE TABLE x (id int);');
    assert.deepEqual(errorsOf(r), [['syntax error at or near "LANGUAG"', 'LANGUAG']]);
    assert.deepEqual(kinds(r), ['CreateStmt']);
  });

  test('ok: a file full of broken statements stays fast (recovery has a budget)', () => {
    const text = 'CREATE TABLE x (id int\nCREATE TABLE y (id int);\n'.repeat(3000);
    const t0 = performance.now();
    const p = parseFile('a.sql', text);
    assert.ok(performance.now() - t0 < 5000);
    assert.ok(p.errors.length >= 1);
  });
});

describe('never throws', () => {
  test('ok: garbage input gives errors, not exceptions', () => {
    for (const s of ['', ';;;', '$$', "'", '"', '/*', 'CREATE', '\\', '\u0000', '😀'.repeat(1000), '(((((']) {
      const p = parseFile('x.sql', s);
      assert.ok(Array.isArray(p.errors));
    }
  });
});

describe('error cursor is in characters', () => {
  test('err: error after emoji inside the same statement', () => {
    const text = "SELECT '😀😀', 'é' FROM WHERE;";
    const p = parseFile('a.sql', text);
    assert.equal(p.errors.length, 1);
    assert.match(p.errors[0]!.message, /"WHERE"/);
    assert.equal(text.slice(p.errors[0]!.start, p.errors[0]!.end), 'WHERE');
  });
  test('err: error in a SQL function body after emoji', () => {
    const text = "CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $$ SELECT '😀' FROM WHERE $$;";
    const p = parseFile('a.sql', text);
    assert.equal(p.errors.length, 1);
    assert.equal(text.slice(p.errors[0]!.start, p.errors[0]!.end), 'WHERE');
  });
});

describe('PL/pgSQL without a catalog', () => {
  test('ok: a variable of a user-defined type is not a syntax error; the body is still analysed', () => {
    const text = `create function accept(tok text) returns void language plpgsql security definer set search_path = public as $$
declare
    acc uuid;
    declare new_role basejump.account_role;
begin
    select i.account_id, i.account_role into acc, new_role from basejump.invitations i where i.token = tok;
    insert into basejump.account_user (account_id, account_role) values (acc, new_role);
end;
$$;`;
    const p = parseFile('a.sql', text);
    assert.deepEqual(p.errors, []);
    const kinds2 = p.statements[0]!.body!.statements.map((s) => s.kind);
    assert.deepEqual(kinds2, ['SelectStmt', 'InsertStmt']);
    const ins = p.statements[0]!.body!.statements[1]!;
    assert.equal(text.slice(ins.node.relation.location, ins.node.relation.location + 8), 'basejump');
  });

  // libpg-query takes a type it does not know for a row type: `FOR a, b IN` with such an `a`
  // is "a syntax error at or near ','" there, `RETURNS citext[]` "cannot return type record[]";
  // PostgreSQL runs both (a domain or citext is a scalar type).
  test('ok: FOR a, b IN … with a of a domain or extension type is not a syntax error; the body is analysed in place', () => {
    const text = `${PREFIX}CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  a mydomain;
  k citext := 'x';
  b int;
BEGIN
  FOR a, b IN SELECT name, n FROM app.items LOOP
    PERFORM current_setting('app.tenant_id');
  END LOOP;
END $$;`;
    const p = parseFile('a.sql', text);
    assert.deepEqual(p.errors, []);
    const body = p.statements[0]!.body!;
    assert.deepEqual(body.errors, []);
    assert.deepEqual(body.statements.map((s) => textOf(p, s)).sort(), ["'x'", 'SELECT name, n FROM app.items', "current_setting('app.tenant_id')"]);
    // a real syntax error in such a body is still one
    const broken = parseFile('a.sql', text.replace('FOR a, b IN', 'FOR a, IN'));
    assert.match(broken.errors[0]?.message ?? '', /in PL\/pgSQL body: syntax error/);
  });

  test('ok: RETURNS citext[] (an array of a type libpg-query does not know): the body is analysed', () => {
    const text = `CREATE FUNCTION perms() RETURNS citext[] LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (SELECT array_agg(x) FROM jsonb_array_elements_text(auth.jwt() -> 'user_metadata' -> 'permissions') x);
END $$;`;
    const p = parseFile('a.sql', text);
    assert.deepEqual(p.errors, []);
    const body = p.statements[0]!.body!;
    assert.deepEqual(body.statements.map((s) => s.kind), ['SelectStmt']);
    assert.ok(textOf(p, body.statements[0]!).includes("'user_metadata'"));
  });
});

describe('quoteIdent', () => {
  test("ok: quotes as PostgreSQL's quote_ident does: keywords other than unreserved ones (user, group, order, left), upper case and odd characters; leaves plain names and unreserved keywords (name, role) bare", async () => {
    const names = ['team', 'user', 'group', 'order', 'left', 'name', 'role', 'Mixed', 'a b', 'x"y', '_x1$'];
    const { closeAll, getDb } = await import('../helpers/pg.js');
    try {
      const db = await getDb();
      for (const n of names) {
        const [row] = (await db.query<{ q: string }>('SELECT quote_ident($1) AS q', [n])).rows;
        assert.equal(quoteIdent(n), row!.q, n);
      }
    } finally {
      await closeAll();
    }
  });
});

test("sqlOneLine: what a message or a fix quotes on one line drops comments (a `--` comment kept there would swallow the rest) and collapses white space, but not inside string constants or quoted identifiers", () => {
  assert.equal(sqlOneLine("owner_id = auth.uid() -- the owner\n  OR is_admin() /* staff */\n"), 'owner_id = auth.uid() OR is_admin()');
  assert.equal(sqlOneLine("kind = 'a  -- b'\n AND \"Odd  Name\" = 'it''s  x'"), "kind = 'a  -- b' AND \"Odd  Name\" = 'it''s  x'");
  assert.equal(sqlOneLine('  a\t=\r\n b  '), 'a = b');
});

test('ok: parse.ts is the only module that talks to libpg-query (the others ask tryParseSql / tryParsePlpgsql); the helpers give a tree, or undefined where PostgreSQL\'s parser fails', async () => {
  const { readdirSync, readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const files = (readdirSync('server/src', { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
  const importing = files.filter((f) => /from ['"]libpg-query['"]|import\(['"]libpg-query['"]\)/.test(readFileSync(join('server/src', f), 'utf8')));
  assert.deepEqual(importing.map((f) => f.replace(/\\/g, '/')), ['analysis/parse.ts']);
  const { tryParsePlpgsql, tryParseSql } = await import('../../server/src/analysis/parse.js');
  assert.equal(tryParseSql('SELECT 1; SELECT 2')?.stmts?.length, 2);
  assert.equal(tryParseSql('SELEC 1'), undefined);
  assert.ok(tryParsePlpgsql('CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$')?.plpgsql_funcs?.length);
  assert.equal(tryParsePlpgsql('CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1 END $$'), undefined);
});

describe('RETURN QUERY EXECUTE, FOR … IN EXECUTE and OPEN … FOR EXECUTE are dynamic EXECUTEs', () => {
  before(initParser);
  test('each query string is recorded at its place (after accents, CJK and emoji), with the statements parsed from it', () => {
    const body = `
DECLARE r record; c refcursor;
BEGIN
  RETURN QUERY EXECUTE format('SELECT * FROM %I', p) USING 1;
  FOR r IN EXECUTE 'SELECT ' || p LOOP RAISE NOTICE '%', r; END LOOP;
  OPEN c FOR EXECUTE quote_ident(p);
  EXECUTE 'SELECT 1';
END`;
    const text = `${PREFIX}CREATE FUNCTION f(p text) RETURNS SETOF record LANGUAGE plpgsql AS $fn$${body}$fn$;\n`;
    const p = parseFile('a.sql', text);
    assert.deepEqual(p.errors, []);
    const d = p.statements[0]!.body!.dynamicExecutes;
    assert.deepEqual(d.map((x) => textOf(p, x)), ["format('SELECT * FROM %I', p)", "'SELECT ' || p", 'quote_ident(p)', "'SELECT 1'"]);
    assert.deepEqual(d.map((x) => [x.concatenated, x.quoted]), [[false, true], [true, false], [false, true], [false, false]]);
    // (a DO block's FOR … IN EXECUTE is not: a DO block's dynamic EXECUTEs are the statements it may replay)
    const doBlock = parseFile('b.sql', `DO $$ DECLARE r record; BEGIN FOR r IN EXECUTE 'SELECT 1' LOOP END LOOP; END $$;`);
    assert.deepEqual(doBlock.statements[0]!.body!.dynamicExecutes, []);
  });
});
