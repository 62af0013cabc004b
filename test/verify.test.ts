// The verify engine on real migrations: replay on PGlite, statement errors mapped to files and
// UTF-16 offsets, probes per (table, role), and PGlite's dead-instance gap reported as 'dead'.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { codePointPosToUtf16, splitSql } from '../server/src/verify/split.js';
import { formatOutcome, verify, type ProbeResult, type VerifyFile, type VerifyResult } from '../server/src/verify/pglite.js';

const A = '00000000-0000-0000-0000-00000000000a';
const B = '00000000-0000-0000-0000-00000000000b';
const A1 = '00000000-0000-0000-0000-0000000000a1';

const FILES: VerifyFile[] = [
  {
    // T01: the policy reads its own table in a sub-select → 42P17
    file: 'migrations/001_tenant_users.sql',
    text: `-- Schéma « multi-tenant » 日本語 😀
\\set ON_ERROR_STOP on
BEGIN;
CREATE TABLE tenant_users (id uuid PRIMARY KEY, tenant_id uuid NOT NULL, role text NOT NULL);
INSERT INTO tenant_users VALUES ('${A1}', '${A}', 'admin'), (gen_random_uuid(), '${A}', 'member'), (gen_random_uuid(), '${B}', 'member');
ALTER TABLE tenant_users ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON tenant_users TO authenticated;
CREATE POLICY tenant_users_read ON tenant_users FOR SELECT TO authenticated
  USING (EXISTS (SELECT 1 FROM tenant_users me WHERE me.tenant_id = tenant_users.tenant_id AND me.id = auth.uid()));
COMMIT;
`,
  },
  {
    // T02: a SECURITY INVOKER sql helper reading the table → 54001 (PGlite: dead)
    file: 'migrations/002_projects.sql',
    text: `CREATE TABLE projects (id int PRIMARY KEY, tenant_id uuid NOT NULL);
INSERT INTO projects VALUES (1, '${A}'), (2, '${B}');
ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON projects TO authenticated;
CREATE FUNCTION project_visible(p int) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM projects WHERE id = p)
$$;
CREATE POLICY projects_read ON projects FOR SELECT TO authenticated USING (project_visible(id));
`,
  },
  {
    // clean; psql meta-commands; COPY … FROM stdin; a role nobody creates (reporting)
    file: 'migrations/003_notes.sql',
    text: `\\echo creating notes; this line is not SQL
CREATE TABLE notes (id int PRIMARY KEY, body text, public boolean NOT NULL);
COPY notes (id, body, public) FROM stdin;
1\thello; not a statement\tt
2\tsecret\tf
3\tworld\tt
\\.
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON notes TO anon, authenticated;
CREATE POLICY notes_public ON notes FOR SELECT TO anon, authenticated USING (public);
\\if :is_prod
\\endif
CREATE POLICY notes_reporting ON notes FOR SELECT TO reporting USING (true);
GRANT SELECT ON notes TO reporting;
`,
  },
  {
    // a statement error after non-ASCII text (2-, 3- and 4-byte characters)
    file: 'migrations/004_broken.sql',
    text: `-- Ünïcödé 日本語 😀🎉 “quoted”
CREATE POLICY broken ON notes FOR SELECT USING (nö_such_column = 1);
CREATE TABLE after_error (id int);
-- « encore » 😀
CREATE VIEW broken_view AS SELECT id, nö_such_column FROM notes;
DO $$
BEGIN
  INSERT INTO nö_table VALUES (1);
END $$;
`,
  },
  {
    // a statement that kills PGlite during the replay (recursion as a non-bypassing role)
    file: 'migrations/005_smoke.sql',
    text: `SET ROLE authenticated;
SELECT count(*) FROM projects;
RESET ROLE;
CREATE TABLE after_smoke (id int);
`,
  },
  {
    // policies without TO apply to every role: the roles granted the table are probed
    file: 'migrations/006_invoices.sql',
    text: `CREATE TABLE invoices (id int PRIMARY KEY, tenant text NOT NULL);
INSERT INTO invoices VALUES (1, 'a'), (2, 'b');
ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
CREATE POLICY by_tenant ON invoices USING (tenant = current_setting('app.tenant', true));
GRANT SELECT ON invoices TO app_user;
`,
  },
];

// the initialised data directory is kept here between test runs (gitignored)
const CACHE_DIR = join(__dirname, '..', '.cache');

let res: VerifyResult;
before(async () => {
  res = await verify(FILES, { cacheDir: CACHE_DIR });
});

const probe = (table: string, role: string): ProbeResult => {
  const p = res.probes.find((x) => x.table === table && x.role === role);
  assert.ok(p, `no probe ${role} ${table}; probes: ${res.probes.map((x) => `${x.role} ${x.table}`).join(', ')}`);
  return p;
};

describe('verify: default probes', () => {
  test('ok: reports the PostgreSQL version it ran', () => {
    assert.match(res.pgVersion, /^PostgreSQL \d+\.\d+ \(PGlite /);
    assert.ok(existsSync(CACHE_DIR) && readdirSync(CACHE_DIR).some((f) => /^pglite-.*-pristine\.tar$/.test(f)), 'pristine data directory cached');
  });

  test('err: T01 recursion migration gives probe outcome error 42P17', () => {
    const p = probe('public.tenant_users', 'authenticated');
    assert.equal(p.outcome, 'error');
    assert.equal(p.code, '42P17');
    assert.equal(p.command, 'select');
    assert.equal(formatOutcome(p), 'authenticated SELECT public.tenant_users → 42P17 infinite recursion detected in policy for relation "tenant_users"');
  });

  test('err: T02 invoker helper gives probe outcome dead (54001 on a real server)', () => {
    const p = probe('public.projects', 'authenticated');
    assert.equal(p.outcome, 'dead');
    assert.equal(p.code, '54001');
    assert.match(formatOutcome(p), /^authenticated SELECT public\.projects → 54001 stack depth limit exceeded/);
  });

  test('ok: probes after a dead one run on a restarted instance', () => {
    const i = res.probes.findIndex((x) => x.outcome === 'dead');
    assert.ok(i >= 0 && i < res.probes.length - 1, 'the dead probe should not be the last one');
    for (const p of res.probes.slice(i + 1)) assert.notEqual(p.outcome, 'dead', formatOutcome(p));
    assert.equal(probe('public.projects', 'reporting').code, '42501');
  });

  test('ok: clean migration gives row counts per role (COPY data loaded, missing role created)', () => {
    assert.deepEqual(
      ['anon', 'authenticated', 'reporting'].map((r) => formatOutcome(probe('public.notes', r))),
      ['anon SELECT public.notes → 2 rows', 'authenticated SELECT public.notes → 2 rows', 'reporting SELECT public.notes → 3 rows'],
    );
  });

  test('ok: default probes are RLS tables × (policy roles + grantees + anon/authenticated), sorted; then writes for the tables with write policies', () => {
    const tables = ['public.invoices', 'public.notes', 'public.projects', 'public.tenant_users'];
    const roles = ['anon', 'app_user', 'authenticated', 'reporting'];
    const reads = res.probes.filter((p) => !p.recursionOnly && !p.settingsEnded);
    assert.deepEqual(
      reads.map((p) => `${p.table} ${p.role}`),
      tables.flatMap((t) => roles.map((r) => `${t} ${r}`)),
    );
    assert.deepEqual(res.probes.slice(0, reads.length), reads, 'the reads first');
    const writes = res.probes.filter((p) => p.recursionOnly);
    assert.ok(writes.every((p) => p.command !== 'select'));
    assert.deepEqual(res.probes.slice(reads.length, reads.length + writes.length), writes, 'then the writes');
    // last, the reads that passed, again after a local set of the settings policies read (app.tenant) ended
    const again = res.probes.slice(reads.length + writes.length);
    assert.deepEqual(
      again.map((p) => `${p.table} ${p.role} ${p.settingsEnded?.join()}`),
      reads.filter((p) => p.outcome === 'ok').map((p) => `${p.table} ${p.role} app.tenant`),
    );
    // the auth stub's tables are not probed
    assert.ok(!res.probes.some((p) => p.table.startsWith('auth.')));
    assert.equal(formatOutcome(probe('public.invoices', 'app_user')), 'app_user SELECT public.invoices → 0 rows');
  });
});

describe('verify: statement errors', () => {
  test('err: a statement error maps to its file and UTF-16 offset after non-ASCII text', () => {
    const text = FILES[3]!.text;
    const errs = res.statementErrors.filter((e) => e.file === 'migrations/004_broken.sql');
    assert.equal(errs.length, 3, JSON.stringify(res.statementErrors));
    // CREATE POLICY parses its expressions without the source text: PostgreSQL gives no
    // position, so the offset is the statement's first token
    const [policy, view, doBlock] = errs;
    assert.equal(policy!.code, '42703');
    assert.equal(policy!.message, 'column "nö_such_column" does not exist');
    assert.equal(policy!.offset, text.indexOf('CREATE POLICY'));
    assert.equal(text.slice(policy!.statementStart, policy!.statementEnd), 'CREATE POLICY broken ON notes FOR SELECT USING (nö_such_column = 1)');
    // CREATE VIEW: PostgreSQL's position (in characters) becomes a UTF-16 offset in the file
    assert.equal(view!.code, '42703');
    assert.equal(view!.offset, text.lastIndexOf('nö_such_column'));
    assert.equal(view!.statementStart, text.indexOf('CREATE VIEW'));
    // inside a DO block: PostgreSQL's internal position within the inner statement
    assert.equal(doBlock!.code, '42P01');
    assert.equal(doBlock!.offset, text.indexOf('nö_table'));
  });

  test('ok: psql meta-commands, BEGIN/COMMIT and COPY data raise no statement error', () => {
    const files = new Set(res.statementErrors.map((e) => e.file));
    assert.ok(!files.has('migrations/001_tenant_users.sql'), JSON.stringify(res.statementErrors));
    assert.ok(!files.has('migrations/003_notes.sql'), JSON.stringify(res.statementErrors));
  });

  test('err: a statement that kills PGlite during the replay is reported as 54001 and skipped', () => {
    const text = FILES[4]!.text;
    const errs = res.statementErrors.filter((e) => e.file === 'migrations/005_smoke.sql');
    assert.deepEqual(
      errs.map((e) => [e.code, e.offset]),
      [['54001', text.indexOf('SELECT count(*)')]],
    );
    // the statements after it ran: after_smoke exists, so no later error and no missing table
    assert.equal(res.statementErrors.length, 4, JSON.stringify(res.statementErrors));
  });
});

describe('verify: COPY … (FREEZE)', () => {
  test("ok: a COPY … (FREEZE ON) after its table's CREATE in the file's BEGIN … COMMIT (kljensen/yelukerest's sample data under init.sql's begin) raises no statement error, as in PostgreSQL; outside a transaction, or after a SAVEPOINT, it is still 55000 (PGlite: the rule is the current subtransaction's)", async () => {
    const { PGlite } = await import('@electric-sql/pglite');
    const pg = new PGlite();
    const copy = (t: string) => pg.query(`COPY ${t} (id) FROM '/dev/blob' (FORMAT text, FREEZE ON)`, [], { blob: new Blob(['1\n']) });
    await pg.exec('BEGIN; CREATE TABLE a (id int);');
    await copy('a'); // the same transaction: allowed
    await pg.exec('COMMIT; CREATE TABLE b (id int);');
    await assert.rejects(copy('b'), (e: any) => e.code === '55000' && /COPY FREEZE/.test(e.message));
    await pg.exec('BEGIN; CREATE TABLE c (id int); SAVEPOINT s;');
    await assert.rejects(copy('c'), (e: any) => e.code === '55000');
    await pg.exec('ROLLBACK');
    await pg.close();
    const sql = (tx: boolean, savepoint = false) => `${tx ? 'BEGIN;\n' : ''}CREATE SCHEMA data;\nCREATE TABLE data."user" (id int PRIMARY KEY, body text);
${savepoint ? 'SAVEPOINT s;\n' : ''}COPY data."user" (id, body) FROM stdin (ENCODING 'utf-8', FREEZE ON);
1\tone
\\.
${tx ? 'COMMIT;\n' : ''}`;
    const inTx = await verify([{ file: 'db/1.sql', text: sql(true) }], { cacheDir: CACHE_DIR, probes: [] });
    assert.deepEqual(inTx.statementErrors, []);
    const alone = await verify([{ file: 'db/1.sql', text: sql(false) }], { cacheDir: CACHE_DIR, probes: [] });
    assert.deepEqual(alone.statementErrors.map((e) => e.code), ['55000']);
    const afterSavepoint = await verify([{ file: 'db/1.sql', text: sql(true, true) }], { cacheDir: CACHE_DIR, probes: [] });
    assert.deepEqual(afterSavepoint.statementErrors.map((e) => e.code), ['55000']);
  });
});

describe('verify: write probes', () => {
  test('err: an INSERT policy reading its own table under a SELECT policy with a sub-select recurses on INSERT only (T31): the write probe shows 42P17, the CLI lists it', async () => {
    const file: VerifyFile = {
      file: 'migrations/001_members.sql',
      text: `CREATE TABLE teams (id int PRIMARY KEY, public boolean NOT NULL DEFAULT true);
CREATE TABLE members (team_id int, user_id uuid);
ALTER TABLE members ENABLE ROW LEVEL SECURITY;
CREATE POLICY members_read ON members FOR SELECT TO authenticated USING (team_id IN (SELECT id FROM teams WHERE public));
CREATE POLICY members_join ON members FOR INSERT TO authenticated WITH CHECK (NOT EXISTS (SELECT 1 FROM members m WHERE m.user_id = auth.uid()));
GRANT SELECT, INSERT ON members, teams TO authenticated;`,
    };
    const r = await verify([file], { cacheDir: CACHE_DIR, roles: ['authenticated'] });
    assert.deepEqual(r.statementErrors, []);
    assert.deepEqual(r.probes.map(formatOutcome), [
      'authenticated SELECT public.members → 0 rows',
      'authenticated INSERT public.members → 42P17 infinite recursion detected in policy for relation "members"',
    ]);
    assert.deepEqual(r.probes.map((p) => !!p.recursionOnly), [false, true]);
  });
});

describe('verify: seeded rows', () => {
  // policies that fail only on a row: on the empty tables the migrations leave, their probes pass
  const file: VerifyFile = {
    file: 'migrations/001_seed.sql',
    text: `CREATE ROLE app_user;
CREATE TYPE doc_kind AS ENUM ('memo', 'report');
CREATE DOMAIN short_code AS text NOT NULL CHECK (length(VALUE) <= 8);
CREATE TABLE teams (id bigint PRIMARY KEY);
-- an invoker helper reading its own table: evaluated once per row, it recurses (54001)
CREATE TABLE members (id bigint PRIMARY KEY, team_id bigint NOT NULL REFERENCES teams (id), user_name varchar(3) NOT NULL,
  status text NOT NULL CHECK (status IN ('active', 'left')), seats int NOT NULL CHECK (seats > 10));
CREATE FUNCTION my_teams() RETURNS SETOF bigint LANGUAGE plpgsql STABLE AS $$
BEGIN RETURN QUERY SELECT team_id FROM members WHERE user_name = current_user; END $$;
ALTER TABLE members ENABLE ROW LEVEL SECURITY;
CREATE POLICY members_mine ON members FOR SELECT TO app_user USING (team_id IN (SELECT my_teams()));
-- every kind of column a row needs: uuid, enum, domain, date, array, json, numeric, boolean, interval, inet
CREATE TABLE docs (id uuid PRIMARY KEY, kind doc_kind NOT NULL, code short_code, due date NOT NULL, tags text[] NOT NULL,
  meta jsonb NOT NULL, price numeric(8,2) NOT NULL, done boolean NOT NULL, span interval NOT NULL, ip inet NOT NULL, note text,
  -- CHECKs on a least length, a pattern, a LIKE
  nick text NOT NULL CHECK (length(nick) > 3), role text NOT NULL CHECK (role ~ '^(owner|member)$'), email text NOT NULL CHECK (email LIKE '%@%'));
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY docs_all ON docs FOR SELECT TO app_user USING (true);
-- a row PostgreSQL refuses (a CHECK it cannot meet): left empty, listed with the error
CREATE TABLE odd (id int PRIMARY KEY, a int NOT NULL, CHECK (a < 0 AND a > 0));
ALTER TABLE odd ENABLE ROW LEVEL SECURITY;
-- rows from the migrations: not seeded
CREATE TABLE filled (id int PRIMARY KEY);
INSERT INTO filled VALUES (1), (2);
ALTER TABLE filled ENABLE ROW LEVEL SECURITY;
CREATE POLICY filled_all ON filled FOR SELECT TO app_user USING (true);
GRANT SELECT ON members, docs, odd, filled TO app_user;`,
  };

  test('err: with seed, an invoker helper reading its own table recurses per row (T02: 54001, PGlite dead), where the empty table gave 0 rows', async () => {
    const empty = await verify([file], { cacheDir: CACHE_DIR, roles: ['app_user'] });
    const seeded = await verify([file], { cacheDir: CACHE_DIR, roles: ['app_user'], seed: true });
    assert.deepEqual(empty.statementErrors, []);
    assert.equal(empty.seeded, undefined);
    assert.deepEqual(empty.probes.map(formatOutcome), [
      'app_user SELECT public.docs → 0 rows',
      'app_user SELECT public.filled → 2 rows',
      'app_user SELECT public.members → 0 rows',
      'app_user SELECT public.odd → 0 rows',
    ]);
    assert.deepEqual(seeded.probes.map(formatOutcome), [
      'app_user SELECT public.docs → 1 row',
      'app_user SELECT public.filled → 2 rows',
      `app_user SELECT public.members → 54001 stack depth limit exceeded (infinite recursion at execution time; PGlite's instance died instead of raising it)`,
      'app_user SELECT public.odd → 0 rows',
    ]);
  });

  test("err: with seed, authenticated is the user the rows name: a policy admitting the owner's rows runs its helper on them, and an invoker helper reading the table recurses (54001) only then", async () => {
    const own: VerifyFile = {
      file: 'supabase/migrations/20240101000000_own.sql',
      text: `CREATE TABLE public.notes (id bigint PRIMARY KEY, owner uuid NOT NULL, archived boolean NOT NULL DEFAULT false);
ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON public.notes TO authenticated;
CREATE FUNCTION public.owns_active() RETURNS boolean LANGUAGE plpgsql STABLE AS $$
BEGIN RETURN EXISTS (SELECT 1 FROM public.notes WHERE owner = auth.uid() AND NOT archived); END $$;
CREATE POLICY notes_own ON public.notes FOR SELECT TO authenticated USING (owner = (select auth.uid()) AND public.owns_active());`,
    };
    const signedOut = await verify([own], { cacheDir: CACHE_DIR, roles: ['authenticated'], seed: true, probes: [{ table: 'public.notes', role: 'authenticated' }] });
    assert.deepEqual(signedOut.probes.map(formatOutcome), ['authenticated SELECT public.notes → 0 rows'], 'auth.uid() NULL: the leakproof owner test filters first, the helper never runs');
    const r = await verify([own], { cacheDir: CACHE_DIR, roles: ['authenticated'], seed: true });
    assert.equal(r.probes[0]!.signedIn, true);
    assert.equal(r.probes[0]!.outcome, 'dead', formatOutcome(r.probes[0]!));
  });

  test('ok: the row meets NOT NULL, enum, domain, CHECK lists, lower bounds, least lengths, patterns and LIKEs; foreign keys are not checked; a refused row is listed; tables with rows are left alone', async () => {
    const r = await verify([file], { cacheDir: CACHE_DIR, roles: [], seed: true });
    assert.deepEqual(
      r.seeded?.map((s) => `${s.table} ${s.outcome}${s.code ? ` ${s.code}` : ''}`),
      ['public.docs seeded', 'public.members seeded', 'public.odd error 23514'],
    );
    assert.match(r.seeded![2]!.message!, /violates check constraint/);
  });
});

describe('verify: reads after a local set ended', () => {
  test("err: after a transaction set the policies' settings locally, each reads '' (T15b): current_setting(…, true)::uuid fails with 22P02, the nullif form passes", async () => {
    const file: VerifyFile = {
      file: 'migrations/001_settings.sql',
      text: `CREATE ROLE app_user;
CREATE TABLE projects (id bigint PRIMARY KEY, tenant_id uuid NOT NULL);
ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
CREATE POLICY projects_read ON projects FOR SELECT TO app_user USING (tenant_id = current_setting('app.tenant_id', true)::uuid);
CREATE TABLE safe (id bigint PRIMARY KEY, tenant_id uuid NOT NULL);
ALTER TABLE safe ENABLE ROW LEVEL SECURITY;
CREATE POLICY safe_read ON safe FOR SELECT TO app_user USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT ON projects, safe TO app_user;`,
    };
    const r = await verify([file], { cacheDir: CACHE_DIR, seed: true });
    assert.deepEqual(r.probes.map(formatOutcome), [
      'app_user SELECT public.projects → 0 rows',
      'app_user SELECT public.safe → 0 rows',
      `app_user SELECT public.projects → 22P02 invalid input syntax for type uuid: "" (after a transaction that set app.tenant_id locally ended: it reads '')`,
      `app_user SELECT public.safe → 0 rows (after a transaction that set app.tenant_id locally ended: it reads '')`,
    ]);
    // explicit probes are run as given, without these
    const explicit = await verify([file], { cacheDir: CACHE_DIR, probes: [{ table: 'public.projects', role: 'app_user' }] });
    assert.equal(explicit.probes.length, 1);
  });
});

describe('verify: a stand-in role', () => {
  test('ok: when no policy names a role and nothing is granted, the probes read as rls_probe, granted each table inside the probe; its grants roll back', async () => {
    const file: VerifyFile = {
      file: 'migrations/001_public.sql',
      text: `CREATE TABLE "Workspace" (id int PRIMARY KEY, tenant int NOT NULL);
ALTER TABLE "Workspace" ENABLE ROW LEVEL SECURITY;
CREATE POLICY by_tenant ON "Workspace" USING (tenant = current_setting('app.tenant', true)::int);`,
    };
    const r = await verify([file], { cacheDir: CACHE_DIR, seed: true });
    assert.deepEqual(r.probes.filter((p) => !p.recursionOnly).map(formatOutcome), [
      'rls_probe SELECT public."Workspace" → 0 rows',
      `rls_probe SELECT public."Workspace" → 22P02 invalid input syntax for type integer: "" (after a transaction that set app.tenant locally ended: it reads '')`,
    ]);
    assert.ok(r.probes.every((p) => p.grantedInProbe));
    // the grants were made inside the rolled-back probes: an explicit probe as rls_probe has none
    const explicit = await verify([file], { cacheDir: CACHE_DIR, probes: [{ table: 'public."Workspace"', role: 'rls_probe' }], roles: ['rls_probe'] });
    assert.equal(explicit.probes[0]!.code, '42501');
  });
});

describe('verify: a Supabase project', () => {
  test("ok: uuid-ossp and pgcrypto are in the extensions schema, as Supabase installs them, unless the files create them", async () => {
    const files: VerifyFile[] = [
      {
        file: 'supabase/migrations/20240101000000_init.sql',
        text: `CREATE TABLE posts (id uuid PRIMARY KEY DEFAULT uuid_generate_v4(), token text DEFAULT encode(gen_random_bytes(8), 'hex'));
CREATE EXTENSION pgcrypto;
INSERT INTO posts DEFAULT VALUES;`,
      },
    ];
    const r = await verify(files, { cacheDir: CACHE_DIR, supabaseDefaultPrivileges: true, probes: [] });
    // uuid-ossp was there; pgcrypto was not (the file creates it: no 42710), so its function fails first
    assert.deepEqual(r.statementErrors.map((e) => `${e.code} ${e.message}`), [
      '42883 function gen_random_bytes(integer) does not exist',
      '42P01 relation "posts" does not exist',
    ]);
    const plain = await verify([{ file: files[0]!.file, text: files[0]!.text.replace('CREATE EXTENSION pgcrypto;', '') }], { cacheDir: CACHE_DIR, supabaseDefaultPrivileges: true, probes: [] });
    assert.deepEqual(plain.statementErrors, []);
  });

  test('ok: on Supabase the extensions schema is there before any migration, even when a later one creates it IF NOT EXISTS (tutur3u); a plain CREATE SCHEMA extensions fails as on the platform (42P06)', async () => {
    const files: VerifyFile[] = [
      { file: 'supabase/migrations/20230202082703_init.sql', text: 'CREATE TABLE posts (id uuid PRIMARY KEY DEFAULT extensions.uuid_generate_v4());\nINSERT INTO posts DEFAULT VALUES;' },
      { file: 'supabase/migrations/20250416161401_ext.sql', text: 'CREATE SCHEMA IF NOT EXISTS extensions;' },
    ];
    const r = await verify(files, { cacheDir: CACHE_DIR, supabaseDefaultPrivileges: true, probes: [] });
    assert.deepEqual(r.statementErrors, []);
    const plain = await verify([files[0]!, { ...files[1]!, text: 'CREATE SCHEMA extensions;' }], { cacheDir: CACHE_DIR, supabaseDefaultPrivileges: true, probes: [] });
    assert.deepEqual(plain.statementErrors.map((e) => e.code), ['42P06']);
  });
});

describe('verify: Supabase Realtime', () => {
  test("ok: a migration adding a table to Supabase Realtime's publication replays: supabase_realtime is there, as on the platform", async () => {
    const files: VerifyFile[] = [{ file: 'supabase/migrations/20240101000000_chat.sql', text: 'CREATE TABLE messages (id bigint PRIMARY KEY, body text);\nALTER PUBLICATION supabase_realtime ADD TABLE messages;' }];
    const r = await verify(files, { cacheDir: CACHE_DIR, supabaseDefaultPrivileges: true, probes: [] });
    assert.deepEqual(r.statementErrors, []);
  });

  // Calibration cal193 (axo-mvo/TbgRuss28's station channels): policies on realtime.messages, whose
  // schema Realtime's own migrations make on every Supabase database, failed with 3F000 schema
  // "realtime" does not exist, and the report said no file made it. The schema is stubbed as
  // Realtime makes it: the policy is created, and a broadcast trigger's function too.
  test('ok: a policy on realtime.messages reading realtime.topic() and a trigger function calling realtime.broadcast_changes() replay on Supabase (Realtime makes the schema); elsewhere they fail with 3F000', async () => {
    const text = `CREATE TABLE public.room_members (room_id uuid, user_id uuid, PRIMARY KEY (room_id, user_id));
ALTER TABLE public.room_members ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON public.room_members FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE POLICY "members receive room broadcasts" ON realtime.messages FOR SELECT TO authenticated USING (
  realtime.messages.extension = 'broadcast'
  AND EXISTS (SELECT 1 FROM public.room_members m WHERE 'room:' || m.room_id::text = (select realtime.topic()) AND m.user_id = (select auth.uid())));
CREATE FUNCTION public.room_changed() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN PERFORM realtime.broadcast_changes('room:' || NEW.room_id::text, TG_OP, TG_OP, TG_TABLE_NAME, TG_TABLE_SCHEMA, NEW, OLD); RETURN NEW; END $$;
CREATE TRIGGER room_changed AFTER INSERT ON public.room_members FOR EACH ROW EXECUTE FUNCTION public.room_changed();
INSERT INTO public.room_members VALUES ('${A}', '${B}');
SELECT realtime.send('{}'::jsonb, 'ping', 'room:${A}', true);`;
    const files: VerifyFile[] = [{ file: 'supabase/migrations/20240101000000_rooms.sql', text }];
    const r = await verify(files, { cacheDir: CACHE_DIR, supabaseDefaultPrivileges: true, probes: [] });
    assert.deepEqual(r.statementErrors, []);
    const plain = await verify([{ file: 'db/1.sql', text }], { cacheDir: CACHE_DIR, probes: [] });
    assert.deepEqual(plain.statementErrors.map((e) => e.code), ['3F000', '3F000', '3F000']);
  });
});

describe('verify: extensions PGlite does not ship get stand-ins; Supabase Vault is there', () => {
  const SQL = `create extension if not exists pg_cron with schema pg_catalog;
create extension if not exists "pg_net" with schema "extensions";
create extension if not exists moddatetime schema extensions;
create table notes (id bigint primary key, body text, updated_at timestamptz);
create trigger notes_updated before update on notes for each row execute procedure extensions.moddatetime(updated_at);
insert into notes values (1, 'a', '2000-01-01');
update notes set body = 'b';
do $$ begin if (select updated_at from notes) < now() - interval '1 day' then raise exception 'moddatetime did not set updated_at'; end if; end $$;
select cron.schedule('nightly', '0 3 * * *', $c$delete from notes where false$c$);
select cron.unschedule('nightly');
select vault.create_secret('s3cr3t', 'token');
select net.http_post(url := 'https://example.com', body := '{}'::jsonb, headers := jsonb_build_object('authorization', 'Bearer ' || (select decrypted_secret from vault.decrypted_secrets where name = 'token')));
create extension if not exists postgis;`;

  test("ok: pg_cron, pg_net and moddatetime (0A000 not available on PGlite) get stand-ins with their functions' signatures, listed apart; Vault is stubbed on Supabase; an extension without a stand-in still fails", async () => {
    const r = await verify([{ file: 'supabase/migrations/20240101000000_jobs.sql', text: SQL }], { cacheDir: CACHE_DIR, supabaseDefaultPrivileges: true, probes: [] });
    assert.deepEqual(r.statementErrors.map((e) => `${e.code} ${e.message}`), ['0A000 extension "postgis" is not available']);
    assert.deepEqual(r.standIns?.map((x) => x.extension), ['pg_cron', 'pg_net', 'moddatetime']);
    assert.equal(r.standIns?.[0]?.offset, 0);
    // outside a Supabase project Vault is not there (3F000 for vault.create_secret, 42P01 for vault.decrypted_secrets); the stand-ins are
    const plain = await verify([{ file: 'db/1.sql', text: SQL }], { cacheDir: CACHE_DIR, probes: [] });
    assert.deepEqual(plain.statementErrors.map((e) => e.code), ['3F000', '42P01', '0A000']);
    assert.equal(plain.standIns?.length, 3);
  });

  test('ok: Supabase Queues (pgmq), supabase_vault and pgjwt (sign/verify: a token verifies with its key, not another) get stand-ins too; pgcrypto created IF NOT EXISTS later is there before, as on the platform', async () => {
    const sql = `CREATE TABLE pins (id bigint PRIMARY KEY, secret text NOT NULL DEFAULT encode(gen_random_bytes(8), 'hex'));
INSERT INTO pins (id) VALUES (1);
CREATE EXTENSION IF NOT EXISTS supabase_vault;
CREATE EXTENSION IF NOT EXISTS pgmq;
DO $$ BEGIN PERFORM pgmq.create('emails'); END $$;
SELECT pgmq.send('emails', '{"to": "a@example.com"}'::jsonb);
DO $$ BEGIN IF (SELECT count(*) FROM pgmq.read('emails', 30, 10)) <> 1 THEN RAISE EXCEPTION 'read'; END IF; END $$;
DO $$ BEGIN IF (SELECT count(*) FROM pgmq.read('emails', 30, 10)) <> 0 THEN RAISE EXCEPTION 'invisible while read'; END IF; END $$;
SELECT pgmq.delete('emails', 1::bigint);
SELECT vault.create_secret('s', 'n');
SELECT decrypted_secret FROM vault.decrypted_secrets WHERE name = 'n';
CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA extensions;
CREATE EXTENSION IF NOT EXISTS pgjwt WITH SCHEMA extensions;
DO $$ BEGIN IF NOT (SELECT valid FROM extensions.verify(extensions.sign('{"sub": "u1"}'::json, 'k'), 'k')) OR (SELECT valid FROM extensions.verify(extensions.sign('{"sub": "u1"}'::json, 'k'), 'other')) THEN RAISE EXCEPTION 'pgjwt'; END IF; END $$;`;
    const r = await verify([{ file: 'supabase/migrations/20240101000000_q.sql', text: sql }], { cacheDir: CACHE_DIR, supabaseDefaultPrivileges: true, probes: [] });
    assert.deepEqual(r.statementErrors, []);
    assert.deepEqual(r.standIns?.map((x) => x.extension), ['supabase_vault', 'pgmq', 'pgjwt']);
  });
  test('ok: pg_jsonschema (a CHECK calling jsonb_matches_schema), pg_graphql and pgsodium (a supabase db dump\'s CREATE EXTENSION … WITH SCHEMA graphql, pgsodium) get stand-ins: no statement error, nor the 42883 and 42704 that followed', async () => {
    // (Nokhte/nokhte's 20230613184615 migration creates pg_jsonschema, 20240710222714 adds a CHECK calling
    // jsonb_matches_schema() and later ones drop it; build-umass/umass-photo's remote_schema.sql creates pg_graphql,
    // recogito/recogito-server's 20230524173605_remote_commit.sql pgsodium)
    const sql = `CREATE EXTENSION IF NOT EXISTS "pgsodium" WITH SCHEMA "pgsodium";
CREATE EXTENSION IF NOT EXISTS "pg_graphql" WITH SCHEMA "graphql";
CREATE EXTENSION IF NOT EXISTS pg_jsonschema WITH SCHEMA extensions;
CREATE TABLE public.user_information (uid uuid PRIMARY KEY, flags jsonb NOT NULL DEFAULT '{}');
ALTER TABLE public.user_information ADD CONSTRAINT user_information_flags_check CHECK (extensions.jsonb_matches_schema('{"type": "object"}', flags));
INSERT INTO public.user_information (uid) VALUES ('00000000-0000-0000-0000-000000000001');
ALTER TABLE public.user_information DROP CONSTRAINT user_information_flags_check;
SELECT graphql.resolve('{ __typename }');`;
    const r = await verify([{ file: 'supabase/migrations/20240101000000_ext.sql', text: sql }], { cacheDir: CACHE_DIR, supabaseDefaultPrivileges: true, probes: [] });
    assert.deepEqual(r.statementErrors, []);
    assert.deepEqual(r.standIns?.map((x) => x.extension), ['pgsodium', 'pg_graphql', 'pg_jsonschema']);
    assert.match(r.standIns?.[2]?.provides ?? '', /checks nothing/);
  });
});

describe('verify: pgvector', () => {
  test('ok: CREATE EXTENSION vector loads pgvector (a package of its own): a table of embeddings with an HNSW index replays, and its distance operator answers', async () => {
    const files: VerifyFile[] = [
      {
        file: 'supabase/migrations/20240101000000_docs.sql',
        text: `CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA extensions;
CREATE TABLE documents (id bigint PRIMARY KEY, embedding extensions.vector(3) NOT NULL);
CREATE INDEX ON documents USING hnsw (embedding extensions.vector_cosine_ops);
INSERT INTO documents VALUES (1, '[1,0,0]'), (2, '[0,1,0]');
ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
CREATE POLICY documents_read ON documents FOR SELECT TO authenticated USING (embedding OPERATOR(extensions.<=>) '[1,0,0]' < 0.5);
GRANT SELECT ON documents TO authenticated;`,
      },
    ];
    const r = await verify(files, { cacheDir: CACHE_DIR, supabaseDefaultPrivileges: true, seed: false });
    assert.deepEqual(r.statementErrors, []);
    const read = r.probes.find((p) => p.role === 'authenticated' && p.command === 'select' && p.table === 'public.documents');
    assert.equal(read?.rows, 1, formatOutcome(read!));
  });
});

describe('verify: anon reads as an anonymous request', () => {
  test('ok: with seeded rows, anon reads with the JWT claims PostgREST sets for a request without a signed-in user ({"role":"anon"}), not what an earlier transaction-local set left in the session (\'\', T15b)', async () => {
    const files: VerifyFile[] = [
      {
        file: 'supabase/migrations/20240101000000_init.sql',
        text: `CREATE FUNCTION public.request_role() RETURNS text LANGUAGE sql STABLE AS $$ SELECT current_setting('request.jwt.claims', true)::jsonb ->> 'role' $$;
CREATE TABLE pages (id bigint PRIMARY KEY);
ALTER TABLE pages ENABLE ROW LEVEL SECURITY;
CREATE POLICY pages_read ON pages FOR SELECT TO anon, authenticated USING (public.request_role() IN ('anon', 'authenticated'));
GRANT SELECT ON pages TO anon, authenticated;`,
      },
    ];
    const r = await verify(files, { cacheDir: CACHE_DIR, seed: true, supabaseDefaultPrivileges: true });
    const reads = r.probes.filter((p) => p.table === 'public.pages' && p.command === 'select' && !p.settingsEnded).map(formatOutcome);
    assert.deepEqual(reads.sort(), ['anon SELECT public.pages → 1 row', 'authenticated SELECT public.pages → 1 row']);
  });
});

describe('verify: explicit probes', () => {
  test('ok: custom SQL, settings (auth.uid()) and the command are reported', async () => {
    const extensions: VerifyFile = {
      // Supabase style: the extension in the `extensions` schema (created by the stub, and on
      // the search_path), PGlite's contrib bundle loaded on demand
      file: 'migrations/000_extensions.sql',
      text: `CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA extensions;
CREATE TABLE tokens (id uuid PRIMARY KEY DEFAULT uuid_generate_v4());
INSERT INTO tokens DEFAULT VALUES;`,
    };
    const r = await verify([extensions, FILES[0]!, FILES[2]!], {
      probes: [
        { table: 'public.notes', role: 'authenticated', sql: `SELECT * FROM notes WHERE id < 3` },
        { table: 'public.notes', role: 'anon', sql: `UPDATE notes SET body = 'x'` },
        { table: 'public.notes', role: 'nobody' },
        { table: 'public.notes', role: 'authenticated', sql: 'SELECT * FROM notes WHERE auth.uid() IS NOT NULL' },
        { table: 'public.notes', role: 'authenticated', sql: 'SELECT * FROM notes WHERE auth.uid() IS NOT NULL', settings: { 'request.jwt.claim.sub': A1 } },
        { table: 'auth.users', role: 'authenticated' },
      ],
    });
    assert.deepEqual(r.statementErrors, []);
    assert.deepEqual(
      r.probes.map(formatOutcome),
      [
        'authenticated SELECT public.notes → 1 row',
        'anon UPDATE public.notes → 42501 permission denied for table notes',
        'nobody SELECT public.notes → 22023 role "nobody" does not exist',
        'authenticated SELECT public.notes → 0 rows',
        'authenticated SELECT public.notes → 2 rows',
        'authenticated SELECT auth.users → 42501 permission denied for table users',
      ],
    );
  });

  test('ok: roles option replaces the default roles; a role nobody created is created', async () => {
    const r = await verify([FILES[2]!], { roles: ['anon', 'auditor'] });
    assert.deepEqual(r.probes.map(formatOutcome), ['anon SELECT public.notes → 2 rows', 'auditor SELECT public.notes → 42501 permission denied for table notes']);
  });

  test('ok: a file included with \\ir runs where it is included, as in the lint (policies after their tables)', async () => {
    const r = await verify(
      [
        { file: 'db/init.sql', text: "\\set ON_ERROR_STOP on\n\\ir schema/tables.sql\n\\ir 'schema/policies.sql'" },
        { file: 'db/schema/policies.sql', text: 'ALTER TABLE docs ENABLE ROW LEVEL SECURITY;\nCREATE POLICY docs_read ON docs FOR SELECT TO authenticated USING (id < 2);\nGRANT SELECT ON docs TO authenticated;' },
        { file: 'db/schema/tables.sql', text: 'CREATE TABLE docs (id int);\nINSERT INTO docs VALUES (1), (2);' },
      ],
      { roles: ['authenticated'] },
    );
    assert.deepEqual(r.statementErrors, []);
    assert.deepEqual(r.probes.map(formatOutcome), ['authenticated SELECT public.docs → 1 row']);
  });

  test('ok: rollback files and sections are not replayed, as in the lint (diesel down.sql sorts before up.sql)', async () => {
    const r = await verify(
      [
        { file: 'migrations/2024-01-01_docs/down.sql', text: 'DROP POLICY docs_read ON docs;\nDROP TABLE docs;' },
        { file: 'migrations/2024-01-01_docs/up.sql', text: 'CREATE TABLE docs (id int);\nINSERT INTO docs VALUES (1), (2);\nGRANT SELECT ON docs TO authenticated;' },
        { file: 'migrations/2024-01-02_rls.sql', text: '-- migrate:up\nALTER TABLE docs ENABLE ROW LEVEL SECURITY;\nCREATE POLICY docs_read ON docs FOR SELECT TO authenticated USING (id < 2);\n-- migrate:down\nDROP POLICY docs_read ON docs;\nALTER TABLE docs DISABLE ROW LEVEL SECURITY;' },
      ],
      { roles: ['authenticated'] },
    );
    assert.deepEqual(r.statementErrors, []);
    assert.deepEqual(r.probes.map(formatOutcome), ['authenticated SELECT public.docs → 1 row']);
  });

  test('ok: RESET SESSION AUTHORIZATION in a migration goes back to the superuser (PGlite alone would stay the role it was set to)', async () => {
    const file: VerifyFile = {
      file: 'migrations/001_owner.sql',
      text: `CREATE ROLE app_owner;
GRANT CREATE, USAGE ON SCHEMA public TO app_owner;
SET SESSION AUTHORIZATION app_owner;
CREATE TABLE owned (id int PRIMARY KEY);
RESET SESSION AUTHORIZATION;
CREATE ROLE made_after;
ALTER TABLE owned ENABLE ROW LEVEL SECURITY;`,
    };
    const r = await verify([file], { cacheDir: CACHE_DIR, probes: [{ table: 'public.owned', role: 'made_after', sql: "SELECT 1 FROM pg_class WHERE relname = 'owned' AND relowner = 'app_owner'::regrole" }] });
    assert.deepEqual(r.statementErrors, []);
    assert.deepEqual(r.probes.map((p) => `${p.outcome} ${p.rows}`), ['ok 1']);
  });

  test("ok: a dump's SET row_security = off does not carry over to the probes", async () => {
    const file: VerifyFile = {
      file: 'db/schema.sql',
      text: `SET row_security = off;
CREATE ROLE reader;
CREATE TABLE docs (id int PRIMARY KEY, public boolean NOT NULL);
INSERT INTO docs VALUES (1, true), (2, false);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY docs_public ON docs FOR SELECT TO reader USING (public);
GRANT SELECT ON docs TO reader;`,
    };
    const r = await verify([file], { cacheDir: CACHE_DIR });
    assert.deepEqual(r.probes.map(formatOutcome), ['reader SELECT public.docs → 1 row']);
  });

  test('ok: timeoutMs <= 0 returns at once, marked timedOut', async () => {
    const r = await verify(FILES, { timeoutMs: 0 });
    assert.equal(r.timedOut, true);
  });
});

describe('split', () => {
  test('ok: quotes, dollar quotes, comments, BEGIN ATOMIC and meta-commands', () => {
    const text = `SELECT 'a;b', "c;d", E'\\';' ; -- x;y
/* a; /* nested; */ b; */ SELECT $f$ ; $f$, $$;$$;
CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 2 END; END;
\\echo hi; there
SELECT 1 \\gset
SELECT 2`;
    const s = splitSql(text);
    assert.deepEqual(
      s.map((x) => x.text),
      [
        `SELECT 'a;b', "c;d", E'\\';'`,
        `SELECT $f$ ; $f$, $$;$$`,
        'CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 2 END; END',
        'SELECT 1',
        'SELECT 2',
      ],
    );
    for (const x of s) assert.equal(text.slice(x.start, x.end).replace(/\\gset/, '      '), x.text);
  });

  test('ok: COPY FROM stdin data is not split as SQL', () => {
    const s = splitSql('COPY t FROM stdin;\na;b\n\\.\nSELECT 1;');
    assert.deepEqual(
      s.map((x) => [x.text, x.copyData]),
      [
        ['COPY t FROM stdin', 'a;b\n'],
        ['SELECT 1', undefined],
      ],
    );
  });

  test('ok: code-point positions map to UTF-16 indexes', () => {
    const s = 'é😀x';
    assert.equal(codePointPosToUtf16(s, 1), 0);
    assert.equal(codePointPosToUtf16(s, 2), 1);
    assert.equal(codePointPosToUtf16(s, 3), 3);
  });
});

describe('verify: each file in a session of its own', () => {
  test('ok: a file that empties the search_path for its session (a pg_dump) does not take it to the next file (3F000 before)', async () => {
    const r = await verify(
      [
        { file: 'db/1_dump.sql', text: "SELECT pg_catalog.set_config('search_path', '', false);\nCREATE TABLE public.a (id int);" },
        { file: 'db/2_next.sql', text: 'CREATE TABLE b (id int);\nCREATE TABLE c (id int);' },
      ],
      { cacheDir: CACHE_DIR },
    );
    assert.deepEqual(r.statementErrors, []);
  });
});

describe('verify: a schema auth made outside the migrations', () => {
  test("ok: used before the files create it (statbus' init-db.sh), it is made without the functions the files make themselves: their own auth.uid() RETURNS integer and the policies comparing an integer with it run (42P13, 42883 before)", async () => {
    const r = await verify(
      [
        { file: 'migrations/20240102100000_secrets.up.sql', text: 'CREATE TABLE auth.secrets (key text PRIMARY KEY, value text NOT NULL);\nALTER TABLE auth.secrets ENABLE ROW LEVEL SECURITY;' },
        {
          file: 'migrations/20240103000000_auth.up.sql',
          text: `CREATE SCHEMA IF NOT EXISTS auth;
CREATE TABLE IF NOT EXISTS auth."user" (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text UNIQUE NOT NULL);
CREATE OR REPLACE FUNCTION auth.uid() RETURNS INTEGER LANGUAGE SQL STABLE AS $$ SELECT id FROM auth."user" WHERE email = current_user $$;
CREATE TABLE auth.refresh_session (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id integer NOT NULL);
ALTER TABLE auth.refresh_session ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_sessions ON auth.refresh_session FOR SELECT USING (user_id = auth.uid());`,
        },
      ],
      { cacheDir: CACHE_DIR },
    );
    assert.deepEqual(r.statementErrors, []);
  });
});

describe('verify: Flyway placeholders', () => {
  test("ok: `${APP_USER}` is filled in as the lint reads it (Flyway replaces it before PostgreSQL sees the text): the role is made, granted and probed, no 42601; a real syntax error beside one is still one, where PostgreSQL puts it", async () => {
    const r = await verify(
      [
        {
          file: 'db/migration/V1__init.sql',
          text: `-- « rôles » 😀
CREATE ROLE \${APP_USER};
CREATE TABLE t (id int);
GRANT SELECT ON t TO \${APP_USER};
ALTER TABLE t ENABLE ROW LEVEL SECURITY;
CREATE POLICY p ON t FOR SELECT TO \${APP_USER} USING (true);
SELECT \${APP_USER} FROM FROM t;
`,
        },
      ],
      { cacheDir: CACHE_DIR, seed: true },
    );
    assert.deepEqual(r.statementErrors.map((e) => `${e.code} ${e.message}`), ['42601 syntax error at or near "FROM"']);
    const text = 'SELECT ${APP_USER} FROM FROM t';
    assert.equal(r.statementErrors[0]!.offset, `-- « rôles » 😀\nCREATE ROLE \${APP_USER};\nCREATE TABLE t (id int);\nGRANT SELECT ON t TO \${APP_USER};\nALTER TABLE t ENABLE ROW LEVEL SECURITY;\nCREATE POLICY p ON t FOR SELECT TO \${APP_USER} USING (true);\n`.length + text.indexOf('FROM t'));
    assert.deepEqual(r.probes.map((p) => `${p.role} ${p.command} ${p.table} ${p.outcome} ${p.rows}`), ['__app_user_ select public.t ok 1']);
  });
});
