// Statements verify's embedded server cannot run for want of what only the deployment has
// (verify/environment.ts): one naming the deployment's database fails on PGlite with 3D000
// database "myapp" does not exist (PGlite has postgres, template0 and template1). The CLI lists
// it as skipped, apart from the statement errors, and it does not fail the run.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { initParser, parseFile } from '../server/src/analysis/parse.js';
import { environmentNotes } from '../server/src/verify/environment.js';
import { ensureServerBuilt, ROOT } from './lsp/client.js';

const CLI = join(ROOT, 'dist', 'cli.js');
const dirs: string[] = [];

const SQL = `CREATE ROLE app_user;
GRANT CONNECT ON DATABASE myapp TO app_user;
REVOKE ALL ON DATABASE myapp FROM PUBLIC;
ALTER DATABASE myapp SET app.tenant_id = '';
ALTER ROLE app_user IN DATABASE myapp SET search_path = public;
COMMENT ON DATABASE myapp IS 'only a warning in PostgreSQL';
CREATE TABLE t (id bigint PRIMARY KEY, owner text NOT NULL);
ALTER TABLE t ENABLE ROW LEVEL SECURITY;
ALTER TABLE t FORCE ROW LEVEL SECURITY;
GRANT SELECT ON t TO app_user;
CREATE POLICY t_own ON t FOR SELECT TO app_user USING (owner = current_user);
`;
/** (a DO block failing on such a statement undid the rest of the block: a statement error still) */
const DO_BLOCK = `DO $$ BEGIN
  GRANT CONNECT ON DATABASE myapp TO app_user;
  CREATE TABLE made_in_block (id int);
END $$;
`;

function run(files: Record<string, string>, args: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'pg-rls-lint-verify-env-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const r = spawnSync(process.execPath, [CLI, 'verify', ...args, '.'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', XDG_CACHE_HOME: join(ROOT, '.cache') } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(async () => {
  ensureServerBuilt();
  await initParser();
});
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('verify: a statement naming a database the embedded server does not have', () => {
  test('ok: GRANT/REVOKE … ON DATABASE, ALTER DATABASE … SET and ALTER ROLE … IN DATABASE raise 3D000 on PGlite: listed as skipped, not statement errors, exit 0 (COMMENT ON DATABASE only warns)', () => {
    const r = run({ '1.sql': SQL }, []);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /^skipped: 4 statements naming a database that does not exist in the embedded server \(not statement errors of the migrations\):$/m);
    const listed = r.stdout.split('\n').filter((l) => /^ {2}1\.sql:\d+:1 {2}/.test(l));
    assert.deepEqual(listed, [
      '  1.sql:2:1  3D000 database "myapp" does not exist',
      '  1.sql:3:1  3D000 database "myapp" does not exist',
      '  1.sql:4:1  3D000 database "myapp" does not exist  (the session defaults it sets are not in effect in the probes)',
      '  1.sql:5:1  3D000 database "myapp" does not exist  (the session defaults it sets are not in effect in the probes)',
    ]);
    assert.doesNotMatch(r.stdout, /✖|statement errors:/);
    assert.match(r.stdout, /✔ migrations replay cleanly/);
  });

  test('err: JSON lists them under environment, each as a statement error is (path, line, column, code, message, statement), with the database and a note; a DO block failing on one stays a statement error', () => {
    const r = run({ '1.sql': SQL, '2.sql': DO_BLOCK }, ['--format', 'json']);
    assert.equal(r.code, 1, r.stderr + r.stdout);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out.environment[0], {
      path: '1.sql',
      line: 2,
      column: 1,
      code: '3D000',
      message: 'database "myapp" does not exist',
      statement: { start: { line: 2, column: 1 }, end: { line: 2, column: 44 } },
      database: 'myapp',
      note: 'database "myapp" does not exist in the embedded server, so the statement was skipped',
    });
    assert.deepEqual(
      out.environment.map((n: { line: number; note: string }) => `${n.line} ${/session defaults/.test(n.note)}`),
      ['2 false', '3 false', '4 true', '5 true'],
    );
    assert.deepEqual(
      out.statementErrors.map((e: { path: string; line: number; code: string }) => `${e.path}:${e.line} ${e.code}`),
      ['2.sql:1 3D000'],
    );
  });

  test('ok: only a 3D000 naming a database the statement names is a note (by the parsed statement, not the message alone)', () => {
    const text = `GRANT CONNECT ON DATABASE myapp TO app_user;\nSELECT 1;\n`;
    const statements = parseFile('1.sql', text).statements;
    const at = text.indexOf('SELECT');
    const notes = environmentNotes(
      [
        { file: '1.sql', offset: 0, code: '3D000', message: 'database "myapp" does not exist' },
        { file: '1.sql', offset: 0, code: '3D000', message: 'database "other" does not exist' },
        { file: '1.sql', offset: 0, code: '42704', message: 'role "app_user" does not exist' },
        { file: '1.sql', offset: at, code: '3D000', message: 'database "myapp" does not exist' },
      ],
      [{ file: '1.sql', statements }],
    );
    assert.deepEqual(
      notes.map((n) => n?.database),
      ['myapp', undefined, undefined, undefined],
    );
  });
});

describe("verify: a Supabase project's declarative schema restating what its migrations made", () => {
  const TABLE = `CREATE TABLE public.notes (id bigint PRIMARY KEY, owner_id uuid NOT NULL);
ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_own ON public.notes FOR SELECT TO authenticated USING (owner_id = (select auth.uid()));
CREATE FUNCTION public.note_count() RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT count(*) FROM public.notes $$;
`;
  function runProject(files: Record<string, string>, args: string[]) {
    const dir = mkdtempSync(join(tmpdir(), 'pg-rls-lint-verify-decl-'));
    dirs.push(dir);
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(dir, name, '..'), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    const r = spawnSync(process.execPath, [CLI, 'verify', ...args, '.'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', XDG_CACHE_HOME: join(ROOT, '.cache') } });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  test('ok: its CREATEs fail with "already exists" (42P07, 42710, 42723) on PGlite: a note, not statement errors, exit 0; a real failure of it stays an error', () => {
    const files = {
      'supabase/migrations/20240101000000_notes.sql': TABLE,
      'supabase/schemas/notes.sql': TABLE,
    };
    const r = runProject(files, []);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /^restated: 3 statements of supabase\/schemas\/ \(in 1 file\) create what the migrations already made \(42P07, 42710, 42723: already exists\)/m);
    assert.doesNotMatch(r.stdout, /^statement errors|✖/m);
    assert.match(r.stdout, /✔ migrations replay cleanly/);
    const json = JSON.parse(runProject(files, ['--format', 'json']).stdout);
    assert.deepEqual(
      json.restated.map((e: { path: string; line: number; code: string }) => [e.path, e.line, e.code]),
      [
        ['supabase/schemas/notes.sql', 1, '42P07'],
        ['supabase/schemas/notes.sql', 3, '42710'],
        ['supabase/schemas/notes.sql', 4, '42723'],
      ],
    );
    assert.deepEqual(json.statementErrors, []);
    // a statement of the schema failing otherwise (a column the migrations' table lacks): a statement error
    const ahead = runProject({ ...files, 'supabase/schemas/notes.sql': TABLE + 'CREATE INDEX notes_title ON public.notes (title);\n' }, ['--format', 'json']);
    assert.equal(ahead.code, 1);
    assert.deepEqual(
      JSON.parse(ahead.stdout).statementErrors.map((e: { code: string }) => e.code),
      ['42703'],
    );
  });

  test('ok: CREATE EXTENSION pg_cron / pg_net / moddatetime (not in PGlite) make stand-ins: one line each, `standIns` in JSON, not statement errors', () => {
    const files = {
      'supabase/migrations/20240101000000_ext.sql': 'create extension if not exists pg_cron with schema pg_catalog;\ncreate extension if not exists pg_net with schema extensions;\n',
      'supabase/migrations/20240102000000_notes.sql': TABLE + "select cron.schedule('n', '0 3 * * *', 'select 1');\n",
    };
    const r = runProject(files, []);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /^stand-ins: PGlite does not ship pg_cron, pg_net; each CREATE EXTENSION of them made a stand-in of what migrations call instead of failing/m);
    assert.match(r.stdout, /^ {2}pg_cron: schema cron: .* \(supabase\/migrations\/20240101000000_ext\.sql:1:1\)$/m);
    const json = JSON.parse(runProject(files, ['--format', 'json']).stdout);
    assert.deepEqual(json.standIns.map((x: { extension: string; line: number }) => [x.extension, x.line]), [['pg_cron', 1], ['pg_net', 2]]);
    assert.deepEqual(json.statementErrors, []);
  });

  test('err: without migrations beside it, or outside supabase/schemas/, "already exists" is a statement error', () => {
    const r = runProject({ 'db/1.sql': TABLE, 'db/2.sql': TABLE }, ['--format', 'json']);
    assert.equal(r.code, 1);
    const json = JSON.parse(r.stdout);
    assert.equal(json.restated, undefined);
    assert.deepEqual(json.statementErrors.map((e: { code: string }) => e.code), ['42P07', '42710', '42723']);
  });
});
