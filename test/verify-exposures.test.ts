// Verify's exposures (verify/pglite.ts ExposureResult): what a role gets that a finding says it
// should not, made visible on PGlite in rolled-back transactions, and the lint findings they show
// (view-bypasses-rls, view-exposes-auth-users, rls-not-enabled, rls-not-forced,
// definer-execute-granted-to-public, policy-always-true, policy-missing-select-companion). A Supabase project: its default privileges grant anon and
// authenticated every table, view and function the migrations create in public.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import type { Finding } from '../server/src/engine/workspace.js';
import type { Confirmation } from '../server/src/verify/confirm.js';
import { verified } from './helpers/verified.js';
import { formatExposure, OWNER_ROLE, type ExposureResult } from '../server/src/verify/exposures.js';
import { STAND_IN_ROLE, verify, type VerifyFile, type VerifyResult } from '../server/src/verify/pglite.js';

const FILES: VerifyFile[] = [
  {
    file: 'supabase/migrations/20240101000000_init.sql',
    text: `-- « Schéma » 日本語 😀
-- no row-level security: anon and authenticated read and update every row
CREATE TABLE profiles (id uuid PRIMARY KEY, display_name text NOT NULL);
-- enabled, not forced (on Supabase, its owner postgres bypasses RLS either way)
CREATE TABLE notes (id bigint PRIMARY KEY, owner_id uuid NOT NULL, body text);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_own ON notes FOR SELECT TO authenticated USING (owner_id = (select auth.uid()));
-- read with its owner's rights: anon gets the note no policy gives it
CREATE VIEW note_list AS SELECT id, body FROM notes;
CREATE VIEW own_notes WITH (security_invoker = true) AS SELECT id FROM notes;
-- auth.users, on which anon and authenticated have no privilege
CREATE VIEW member_emails AS SELECT id, email FROM auth.users;
-- forced
CREATE TABLE board (id bigint PRIMARY KEY, msg text);
ALTER TABLE board ENABLE ROW LEVEL SECURITY;
ALTER TABLE board FORCE ROW LEVEL SECURITY;
CREATE POLICY board_read ON board FOR SELECT TO authenticated USING (true);
-- PUBLIC may execute the first; not the second (revoked), nor the trigger function (not callable)
CREATE FUNCTION is_admin() RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$ SELECT EXISTS (SELECT 1 FROM public.notes WHERE false) $$;
CREATE FUNCTION note_count() RETURNS bigint LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$ SELECT count(*) FROM public.notes $$;
REVOKE EXECUTE ON FUNCTION note_count() FROM PUBLIC;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$ BEGIN RETURN NEW; END $$;
-- always true: authenticated deletes every note, inserts one naming another user; board's two
-- UPDATE policies each admit every row, so without one the other still does
CREATE POLICY notes_delete ON notes FOR DELETE TO authenticated USING (true);
CREATE POLICY notes_insert ON notes FOR INSERT TO authenticated WITH CHECK (true);
CREATE POLICY board_edit ON board FOR UPDATE TO authenticated USING (true);
CREATE POLICY board_edit_too ON board FOR UPDATE TO authenticated USING (true);
-- definer functions on auth.users that never look at the caller: anon deletes the seeded account, reads its email
CREATE FUNCTION delete_user(p_id uuid) RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$ DELETE FROM auth.users WHERE id = p_id $$;
CREATE FUNCTION user_email(p_id uuid) RETURNS text LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$ SELECT email FROM auth.users WHERE id = p_id $$;
-- a DELETE policy, but no SELECT policy for authenticated: a DELETE whose WHERE reads a column reaches no row
CREATE TABLE drafts (id bigint PRIMARY KEY, owner_id uuid NOT NULL, body text);
ALTER TABLE drafts ENABLE ROW LEVEL SECURITY;
CREATE POLICY drafts_delete ON drafts FOR DELETE TO authenticated USING (owner_id = (select auth.uid()));
-- a DELETE policy for anon whose USING tests only the row: anon's DELETE reading no column reaches the row
CREATE TABLE guestbook (id bigint PRIMARY KEY, body text);
ALTER TABLE guestbook ENABLE ROW LEVEL SECURITY;
CREATE POLICY guestbook_clean ON guestbook FOR DELETE TO anon USING (body IS NULL);
`,
  },
];

let result: VerifyResult;
let shown: Array<Confirmation<Finding>>;
before(async () => {
  ({ result, shown } = await verified(FILES, { seed: true, supabaseDefaultPrivileges: true }));
});

const of = (kind: ExposureResult['kind'], object: string, role?: string) => (result.exposures ?? []).filter((e) => e.kind === kind && e.object === object && (!role || e.role === role));

describe('verify: exposures', () => {
  test('ok: through a view that is not security_invoker, anon reads the seeded note no policy gives it; made security_invoker, none (authenticated, whose note it is, reads it both ways)', () => {
    const [anon] = of('view', 'public.note_list', 'anon');
    assert.deepEqual({ rows: anon?.rows, fixedRows: anon?.fixedRows, shown: anon?.shown }, { rows: 1, fixedRows: 0, shown: true });
    assert.equal(formatExposure(anon!), 'anon SELECT public.note_list → 1 row; with security_invoker = true: 0 rows');
    const [auth] = of('view', 'public.note_list', 'authenticated');
    assert.deepEqual({ rows: auth?.rows, fixedRows: auth?.fixedRows, shown: auth?.shown }, { rows: 1, fixedRows: 1, shown: false });
    assert.deepEqual(of('view', 'public.own_notes'), []);
  });

  test('ok: a view over auth.users returns its (seeded) row to anon, which made security_invoker gets 42501 permission denied', () => {
    const [anon] = of('view', 'public.member_emails', 'anon');
    assert.equal(anon?.rows, 1);
    assert.equal(anon?.fixedCode, '42501');
    assert.match(anon!.fixedMessage!, /^permission denied for table users/);
    assert.equal(anon?.shown, true);
  });

  test('ok: a table without RLS: anon reads 1 of its 1 rows (put in for the look) and updates it', () => {
    const [anon] = of('no-rls', 'public.profiles', 'anon');
    assert.deepEqual({ rows: anon?.rows, total: anon?.total, updated: anon?.updated, shown: anon?.shown }, { rows: 1, total: 1, updated: 1, shown: true });
    assert.equal(formatExposure(anon!), 'anon SELECT public.profiles (no row-level security) → 1 of 1 row; UPDATE of every row → 1 row');
  });

  test('ok: no owner is looked at in a Supabase project: its migrations run as postgres, a BYPASSRLS role, which reads every row forced or not', () => {
    assert.deepEqual((result.exposures ?? []).filter((e) => e.kind === 'owner'), []);
  });

  test('ok: PUBLIC may execute a SECURITY DEFINER function unless revoked; trigger functions are left out', () => {
    const execute = (result.exposures ?? []).filter((e) => e.kind === 'execute').map((e) => e.object);
    assert.deepEqual(execute, ['public.delete_user(p_id uuid)', 'public.is_admin()', 'public.user_email(p_id uuid)']);
  });

  test('ok: the lint findings these show, each by the exposure of its own view, table or function', () => {
    const line = (c: Confirmation<Finding>) => `${c.finding.rule} ${c.finding.range.start.line + 1} ${c.exposure?.kind} ${c.exposure?.object} ${c.exposure?.role}`;
    assert.deepEqual(shown.filter((c) => c.exposure).map(line).sort(), [
      'definer-execute-granted-to-public 19 execute public.is_admin() PUBLIC',
      'definer-execute-granted-to-public 30 execute public.delete_user(p_id uuid) PUBLIC',
      'definer-execute-granted-to-public 31 execute public.user_email(p_id uuid) PUBLIC',
      'definer-exposes-auth-users 30 auth-users public.delete_user(p_id uuid) anon',
      'definer-exposes-auth-users 31 auth-users public.user_email(p_id uuid) anon',
      'policy-always-true 25 policy public.notes authenticated',
      'policy-always-true 26 policy public.notes authenticated',
      'policy-anon-write 39 anon-write public.guestbook anon',
      'policy-missing-select-companion 35 companion public.drafts authenticated',
      'policy-missing-select-companion 39 companion public.guestbook anon',
      'rls-not-enabled 3 no-rls public.profiles anon',
      'view-bypasses-rls 9 view public.note_list anon',
      'view-exposes-auth-users 12 view public.member_emails anon',
    ]);
  });

  test("ok: definer functions on auth.users, called by anon with the seeded account's id: one deletes it, one returns its email; as SECURITY INVOKER each is refused (42501 permission denied for table users)", () => {
    const look = (object: string) => (result.exposures ?? []).find((e) => e.kind === 'auth-users' && e.object === object);
    const del = look('public.delete_user(p_id uuid)');
    assert.deepEqual({ role: del?.role, usersChanged: del?.usersChanged, fixedCode: del?.fixedCode, shown: del?.shown }, { role: 'anon', usersChanged: true, fixedCode: '42501', shown: true });
    assert.equal(
      formatExposure(del!),
      "anon: SELECT public.delete_user('00000000-0000-4000-8000-00000000005e'::pg_catalog.uuid) (SECURITY DEFINER) → auth.users changed; as SECURITY INVOKER: 42501 permission denied for table users",
    );
    const email = look('public.user_email(p_id uuid)');
    assert.deepEqual({ result: email?.result, usersChanged: email?.usersChanged, fixedCode: email?.fixedCode, shown: email?.shown }, { result: '["user@example.com"]', usersChanged: false, fixedCode: '42501', shown: true });
  });

  test("ok: anon's DELETE reading no column reaches the row a DELETE policy for anon admits by testing only the row, and none without the policy", () => {
    const e = (result.exposures ?? []).find((x) => x.kind === 'anon-write' && x.object === 'public.guestbook');
    assert.deepEqual({ role: e?.role, policy: e?.policy, command: e?.command, rows: e?.rows, fixedRows: e?.fixedRows, shown: e?.shown }, { role: 'anon', policy: 'guestbook_clean', command: 'delete', rows: 1, fixedRows: 0, shown: true });
    assert.equal(formatExposure(e!), 'anon DELETE FROM public.guestbook (no WHERE) → 1 row; without policy "guestbook_clean": 0 rows');
  });

  test('ok: a write a policy that is always true admits, made as its role reading no column, and made again without the policy', () => {
    const brief = (e: ExposureResult) => ({ policy: e.policy, command: e.command, rows: e.rows, fixed: e.fixedRows ?? e.fixedCode, shown: e.shown });
    assert.deepEqual((result.exposures ?? []).filter((e) => e.kind === 'policy').map(brief), [
      { policy: 'board_edit', command: 'update', rows: 1, fixed: 1, shown: false },
      { policy: 'board_edit_too', command: 'update', rows: 1, fixed: 1, shown: false },
      { policy: 'notes_delete', command: 'delete', rows: 1, fixed: 0, shown: true },
      { policy: 'notes_insert', command: 'insert', rows: 1, fixed: '42501', shown: true },
    ]);
    const [insert] = (result.exposures ?? []).filter((e) => e.policy === 'notes_insert');
    assert.match(formatExposure(insert!), /^authenticated INSERT INTO public\.notes of a row naming another user → 1 row; without policy "notes_insert": 42501 new row violates row-level security policy/);
  });

  test("ok: a DELETE policy's role without a SELECT policy deletes its own row with a DELETE reading no column, none with a WHERE reading one; a role with a SELECT policy is not looked at", () => {
    const companions = (result.exposures ?? []).filter((e) => e.kind === 'companion');
    assert.deepEqual(
      companions.map((e) => ({ policy: e.policy, role: e.role, rows: e.rows, fixed: e.fixedRows, shown: e.shown })),
      [
        { policy: 'drafts_delete', role: 'authenticated', rows: 1, fixed: 0, shown: true },
        { policy: 'guestbook_clean', role: 'anon', rows: 1, fixed: 0, shown: true },
      ],
    );
    assert.equal(formatExposure(companions[0]!), 'authenticated DELETE FROM public.drafts (policy "drafts_delete") → 1 row reading no column; with a WHERE reading one, matching every row: 0 rows');
  });

  test("ok: each look rolls back what it changed: anon's look made member_emails security_invoker, and authenticated's, after it, still reads through the owner's rights", () => {
    const [anon, auth] = [of('view', 'public.member_emails', 'anon')[0], of('view', 'public.member_emails', 'authenticated')[0]];
    assert.ok(result.exposures!.indexOf(anon!) < result.exposures!.indexOf(auth!));
    assert.deepEqual({ rows: auth?.rows, fixedCode: auth?.fixedCode }, { rows: 1, fixedCode: '42501' });
  });

  test('ok: with explicit probes, no exposures are looked at', async () => {
    const again = await verify(FILES, { cacheDir: join(__dirname, '..', '.cache'), seed: false, supabaseDefaultPrivileges: true, probes: [] });
    assert.equal(again.exposures, undefined);
  });
});

describe('verify: exposures of owners, search paths, companions and session settings (not a Supabase project)', () => {
  let exposures: ExposureResult[];
  let shownHere: Array<Confirmation<Finding>>;
  before(async () => {
    const files: VerifyFile[] = [
      {
        file: 'migrations/001.sql',
        text: `CREATE ROLE app;
-- not forced: its owner reads the row; forced, no policy admits the owner
CREATE TABLE notes (id bigint PRIMARY KEY, owner_name text NOT NULL);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_own ON notes FOR SELECT TO app USING (owner_name = current_user);
-- not forced, but a policy for PUBLIC admits every row: forced, the owner reads the same
CREATE TABLE everyone (id bigint PRIMARY KEY);
ALTER TABLE everyone ENABLE ROW LEVEL SECURITY;
CREATE POLICY everyone_read ON everyone FOR SELECT USING (true);
-- not forced; forced, its policy for PUBLIC reads a setting the owner never set: 42704
CREATE TABLE scoped (id bigint PRIMARY KEY, tenant text NOT NULL);
ALTER TABLE scoped ENABLE ROW LEVEL SECURITY;
CREATE POLICY scoped_tenant ON scoped FOR SELECT USING (tenant = current_setting('app.tenant'));
-- forced: not looked at
CREATE TABLE board (id bigint PRIMARY KEY);
ALTER TABLE board ENABLE ROW LEVEL SECURITY;
ALTER TABLE board FORCE ROW LEVEL SECURITY;
-- definer functions reading notes by an unqualified name: a temporary view of that name takes its place
CREATE FUNCTION note_count(p_owner text) RETURNS bigint LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public AS $$
BEGIN RETURN (SELECT count(*) FROM notes WHERE owner_name = p_owner); END $$;
CREATE FUNCTION any_notes() RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER AS $$ SELECT EXISTS (SELECT 1 FROM notes) $$;
CREATE FUNCTION safe_count() RETURNS bigint LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$ SELECT count(*) FROM notes $$;
CREATE FUNCTION temp_first() RETURNS bigint LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_temp, public AS $$ SELECT count(*) FROM notes $$;
CREATE FUNCTION add_note(p text) RETURNS void LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN INSERT INTO notes (id, owner_name) SELECT coalesce(max(id), 0) + 1, p FROM notes; END $$;
-- writing only: the UPDATE goes to the view
CREATE FUNCTION rename_notes(p text) RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$ UPDATE notes SET owner_name = p $$;
-- reading no table: its cast to text takes a temporary domain text (w3labkr's generate_password)
CREATE FUNCTION generate_password() RETURNS text LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN RETURN md5(random()::text); END $$;
-- a declared variable of an enum of public: a temporary domain of that name
CREATE TYPE mood AS ENUM ('calm', 'angry');
CREATE FUNCTION first_mood() RETURNS text LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE m mood := 'calm'; BEGIN RETURN m::pg_catalog.text; END $$;
-- only keyword types (int is pg_catalog's int4 whatever the search_path): not looked at
CREATE FUNCTION doubled(p int) RETURNS int LANGUAGE sql SECURITY DEFINER AS $$ SELECT (p * 2)::int $$;
-- a trigger function: app's INSERT into events fires it, and its INSERT goes to app's view
CREATE TABLE events (id bigint NOT NULL);
CREATE TABLE event_log (event_id bigint);
GRANT INSERT ON events TO app;
CREATE FUNCTION log_event() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN INSERT INTO event_log (event_id) VALUES (NEW.id); RETURN NEW; END $$;
CREATE TRIGGER events_log AFTER INSERT ON events FOR EACH ROW EXECUTE FUNCTION log_event();
-- the same on a table no role may write: not looked at
CREATE FUNCTION log_board() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN INSERT INTO event_log (event_id) VALUES (NEW.id); RETURN NEW; END $$;
CREATE TRIGGER board_log AFTER INSERT ON board FOR EACH ROW EXECUTE FUNCTION log_board();
-- a DELETE policy for PUBLIC whose table only app may read: the stand-in role, granted SELECT and DELETE, deletes blind, not with a WHERE
CREATE TABLE tasks (id bigint PRIMARY KEY, owner_name text NOT NULL);
ALTER TABLE tasks ENABLE ROW LEVEL SECURITY;
ALTER TABLE tasks FORCE ROW LEVEL SECURITY;
CREATE POLICY tasks_read ON tasks FOR SELECT TO app USING (owner_name = current_user);
CREATE POLICY tasks_delete ON tasks FOR DELETE USING (owner_name IS NOT NULL);
-- request context: for the session (kept after COMMIT), for the transaction, and one that also writes (not called)
CREATE FUNCTION set_tenant(t text) RETURNS void LANGUAGE sql AS $$ SELECT set_config('app.tenant', t, false) $$;
CREATE FUNCTION set_tenant_local(t text) RETURNS void LANGUAGE plpgsql AS $$ BEGIN PERFORM set_config('app.tenant', t, true); END $$;
CREATE FUNCTION set_and_log(t text) RETURNS void LANGUAGE plpgsql AS $$ BEGIN PERFORM set_config('app.tenant', t, false); INSERT INTO event_log VALUES (1); END $$;
-- a trigger on INSERT and UPDATE: app's INSERT of the seeded row is refused (not its own), its UPDATE fires the trigger
CREATE TABLE chores (id bigint PRIMARY KEY, owner_name text NOT NULL);
ALTER TABLE chores ENABLE ROW LEVEL SECURITY;
ALTER TABLE chores FORCE ROW LEVEL SECURITY;
CREATE POLICY chores_read ON chores FOR SELECT TO app USING (owner_name IS NOT NULL);
CREATE POLICY chores_add ON chores FOR INSERT TO app WITH CHECK (owner_name = current_user);
CREATE POLICY chores_edit ON chores FOR UPDATE TO app USING (owner_name IS NOT NULL);
GRANT SELECT, INSERT, UPDATE ON chores TO app;
CREATE FUNCTION log_chore() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN INSERT INTO event_log (event_id) VALUES (NEW.id); RETURN NEW; END $$;
CREATE TRIGGER chores_log AFTER INSERT OR UPDATE ON chores FOR EACH ROW EXECUTE FUNCTION log_chore();
-- a policy on a table whose RLS is never enabled: app reads every row
CREATE TABLE memos (id bigint PRIMARY KEY, owner_name text NOT NULL);
CREATE POLICY memos_own ON memos FOR SELECT TO app USING (owner_name = current_user);
GRANT SELECT ON memos TO app;
-- RLS and no policy; only a RESTRICTIVE policy: app reads no row of either (each holds the seeded row)
CREATE TABLE vault (id bigint PRIMARY KEY);
ALTER TABLE vault ENABLE ROW LEVEL SECURITY;
ALTER TABLE vault FORCE ROW LEVEL SECURITY;
GRANT SELECT ON vault TO app;
CREATE TABLE gated (id bigint PRIMARY KEY, owner_name text NOT NULL);
ALTER TABLE gated ENABLE ROW LEVEL SECURITY;
ALTER TABLE gated FORCE ROW LEVEL SECURITY;
CREATE POLICY gated_owner ON gated AS RESTRICTIVE FOR SELECT TO app USING (owner_name IS NOT NULL);
GRANT SELECT ON gated TO app;
-- a partition and an INHERITS child without RLS of their own, of RLS tables: app, granted them, reads their rows directly,
-- past the parents' policies (the partition gets the parent's seeded row, the child its own)
CREATE TABLE events_all (id bigint NOT NULL, owner_name text NOT NULL) PARTITION BY RANGE (id);
ALTER TABLE events_all ENABLE ROW LEVEL SECURITY;
ALTER TABLE events_all FORCE ROW LEVEL SECURITY;
CREATE POLICY events_own ON events_all FOR SELECT TO app USING (owner_name = current_user);
CREATE TABLE events_low PARTITION OF events_all FOR VALUES FROM (0) TO (1000);
GRANT SELECT ON events_all, events_low TO app;
CREATE TABLE base_items (id bigint NOT NULL, owner_name text NOT NULL);
ALTER TABLE base_items ENABLE ROW LEVEL SECURITY;
ALTER TABLE base_items FORCE ROW LEVEL SECURITY;
CREATE POLICY base_own ON base_items FOR SELECT TO app USING (owner_name = current_user);
CREATE TABLE extra_items (note text) INHERITS (base_items);
GRANT SELECT ON base_items, extra_items TO app;
-- DISABLE as the last word: app reads every row (the no-rls look); NO FORCE as the last word: its owner reads past the policy
CREATE TABLE ledger (id bigint PRIMARY KEY, owner_name text NOT NULL);
ALTER TABLE ledger ENABLE ROW LEVEL SECURITY;
CREATE POLICY ledger_own ON ledger FOR SELECT TO app USING (owner_name = current_user);
GRANT SELECT ON ledger TO app;
ALTER TABLE ledger DISABLE ROW LEVEL SECURITY;
CREATE TABLE vault2 (id bigint PRIMARY KEY, owner_name text NOT NULL);
ALTER TABLE vault2 ENABLE ROW LEVEL SECURITY;
ALTER TABLE vault2 FORCE ROW LEVEL SECURITY;
CREATE POLICY vault2_own ON vault2 FOR SELECT TO app USING (owner_name = current_user);
ALTER TABLE vault2 NO FORCE ROW LEVEL SECURITY;
`,
      },
    ];
    let r: VerifyResult;
    ({ result: r, shown: shownHere } = await verified(files, { seed: true }));
    exposures = r.exposures ?? [];
  });

  test('ok: owned by an ordinary role, a table that is not forced gives it its row, forced none (or an error: its policy now runs for the owner); a policy for PUBLIC admitting every row gives it the row both ways; a forced table is not looked at', () => {
    const brief = (e: ExposureResult) => ({ object: e.object, role: e.role, rows: e.rows, fixed: e.fixedRows ?? e.fixedCode, shown: e.shown });
    const owners = exposures.filter((e) => e.kind === 'owner');
    assert.deepEqual(owners.map(brief), [
      { object: 'public.everyone', role: OWNER_ROLE, rows: 1, fixed: 1, shown: false },
      { object: 'public.notes', role: OWNER_ROLE, rows: 1, fixed: 0, shown: true },
      { object: 'public.scoped', role: OWNER_ROLE, rows: 1, fixed: '42704', shown: true },
      { object: 'public.vault2', role: OWNER_ROLE, rows: 1, fixed: 0, shown: true },
    ]);
    assert.equal(formatExposure(owners[1]!), `${OWNER_ROLE} (neither superuser nor BYPASSRLS) owning public.notes, SELECT → 1 row; with FORCE ROW LEVEL SECURITY: 0 rows`);
  });

  test("ok: a definer function whose search_path does not end with pg_temp (or is not set) reads or writes a role's temporary view of a table it names without a schema, or makes a value of its temporary domain of a type it so names, as its owner; one ending with pg_temp is not looked at; one listing pg_temp first is", () => {
    const paths = exposures.filter((e) => e.kind === 'search-path');
    assert.deepEqual(
      paths.map((e) => ({ object: e.object, hijacked: e.hijacked, shown: e.shown })),
      [
        { object: 'public.add_note(p text)', hijacked: 'notes', shown: true },
        { object: 'public.any_notes()', hijacked: 'notes', shown: true },
        { object: 'public.first_mood()', hijacked: 'mood', shown: true },
        { object: 'public.generate_password()', hijacked: 'text', shown: true },
        { object: 'public.log_chore()', hijacked: 'event_log', shown: true },
        { object: 'public.log_event()', hijacked: 'event_log', shown: true },
        { object: 'public.note_count(p_owner text)', hijacked: 'notes', shown: true },
        { object: 'public.rename_notes(p text)', hijacked: 'notes', shown: true },
        { object: 'public.temp_first()', hijacked: 'notes', shown: true },
      ],
    );
    // (a write into the name is a write into the view, which takes none)
    assert.equal(`${paths[0]!.code} ${paths[0]!.message}`, '55000 cannot insert into view "notes"');
    const of = (fn: string) => paths.find((e) => e.function?.name === fn)!;
    assert.match(of('note_count').message!, /"pg_rls_lint: pg_temp\.notes read"/);
    assert.match(formatExposure(of('note_count')), /made a temporary view pg_temp\.notes; a call of public\.note_count\(p_owner text\) \(SECURITY DEFINER, with NULL arguments\) used it instead of the table notes, running as its owner/);
    assert.equal(`${of('rename_notes').code} ${of('rename_notes').message}`, '55000 cannot update view "notes"');
    // (a type: the domain's CHECK raised the marked error when the function made a value of it)
    assert.equal(of('generate_password').shadow, 'domain');
    assert.match(formatExposure(of('generate_password')), /made a temporary domain pg_temp\.text; a call of public\.generate_password\(\) \(SECURITY DEFINER\) used it instead of the type text, running as its owner \(22P02 invalid input syntax for type integer: "pg_rls_lint: pg_temp\.text used"\)/);
    assert.equal(of('first_mood').shadow, 'domain');
    // (a trigger function: a write of the role's fired it)
    assert.equal(formatExposure(of('log_event')), 'app made a temporary view pg_temp.event_log; an INSERT into public.events fired trigger events_log, whose function public.log_event() (SECURITY DEFINER) used it instead of the table event_log, running as its owner (55000 cannot insert into view "event_log")');
    assert.equal(paths.filter((e) => e.function?.name === 'log_board').length, 0, 'no role may write board');
    // (its INSERT refused by the policy before the AFTER trigger, the next write fired it: the UPDATE)
    assert.deepEqual(of('log_chore').trigger, { name: 'chores_log', table: 'public.chores', command: 'update' });
    const line = (c: Confirmation<Finding>) => `${c.finding.rule} ${c.finding.range.start.line + 1} ${c.exposure?.kind}`;
    assert.deepEqual(shownHere.filter((c) => c.exposure?.kind === 'search-path').map(line).sort(), ['definer-search-path-missing 21 search-path', 'definer-search-path-missing 24 search-path', 'definer-search-path-unsafe 19 search-path', 'definer-search-path-unsafe 23 search-path', 'definer-search-path-unsafe 27 search-path', 'definer-search-path-unsafe 29 search-path', 'definer-search-path-unsafe 33 search-path', 'definer-search-path-unsafe 41 search-path', 'definer-search-path-unsafe 66 search-path']);
    assert.equal(paths.filter((e) => e.function?.name === 'doubled').length, 0, 'a function naming only keyword types is not looked at');
  });

  test('ok: a DELETE policy for PUBLIC, no probe role without a SELECT policy: the stand-in role, granted SELECT and DELETE for the look, deletes the row blind and none with a WHERE', () => {
    const companions = exposures.filter((e) => e.kind === 'companion');
    assert.deepEqual(
      companions.map((e) => ({ policy: e.policy, role: e.role, standIn: e.standIn, rows: e.rows, fixed: e.fixedRows, shown: e.shown })),
      [{ policy: 'tasks_delete', role: STAND_IN_ROLE, standIn: true, rows: 1, fixed: 0, shown: true }],
    );
    assert.equal(formatExposure(companions[0]!), `${STAND_IN_ROLE} (standing in for PUBLIC, granted SELECT and DELETE) DELETE FROM public.tasks (policy "tasks_delete") → 1 row reading no column; with a WHERE reading one, matching every row: 0 rows`);
  });

  test('ok: a policy on a table whose RLS is never enabled is shown by the table\'s no-rls exposure: app reads the row its policy would not give it', () => {
    const memos = exposures.filter((e) => e.kind === 'no-rls' && e.object === 'public.memos');
    assert.deepEqual(memos.map((e) => ({ role: e.role, rows: e.rows, total: e.total, shown: e.shown })), [{ role: 'app', rows: 1, total: 1, shown: true }]);
    const line = (c: Confirmation<Finding>) => `${c.finding.rule} ${c.finding.range.start.line + 1} ${c.exposure?.kind}`;
    assert.deepEqual(shownHere.filter((c) => c.exposure?.object === 'public.memos').map(line).sort(), ['policy-on-table-without-rls 71 no-rls']);
  });

  test('ok: a read passing with 0 rows of a table holding the seeded row shows rls-enabled-without-policy (any role but the owner) and policy-only-restrictive (as the policy\'s role)', () => {
    const line = (c: Confirmation<Finding>) => `${c.finding.rule} ${c.finding.range.start.line + 1} ${c.probe?.role} ${c.probe?.table} ${c.probe?.rows}`;
    assert.deepEqual(
      shownHere.filter((c) => c.finding.rule === 'rls-enabled-without-policy' || c.finding.rule === 'policy-only-restrictive').map(line).sort(),
      ['policy-only-restrictive 81 app public.gated 0', 'rls-enabled-without-policy 75 app public.vault 0'],
    );
  });

  test("ok: a partition and an INHERITS child without RLS of their own: app reads their rows directly (the no-rls look), which shows partition-without-rls", () => {
    const noRls = (object: string) => exposures.find((e) => e.kind === 'no-rls' && e.object === object);
    assert.deepEqual({ rows: noRls('public.events_low')?.rows, total: noRls('public.events_low')?.total, shown: noRls('public.events_low')?.shown }, { rows: 1, total: 1, shown: true });
    assert.deepEqual({ rows: noRls('public.extra_items')?.rows, shown: noRls('public.extra_items')?.shown }, { rows: 1, shown: true });
    assert.deepEqual(
      shownHere.filter((c) => c.finding.rule === 'partition-without-rls').map((c) => c.exposure?.object).sort(),
      ['public.events_low', 'public.extra_items'],
    );
  });

  test('ok: rls-disabled is shown on a DISABLE by the table\'s no-rls look (app reads its row), and on a NO FORCE by its owner look (the owner reads past the policy)', () => {
    const line = (c: Confirmation<Finding>) => `${c.exposure?.kind} ${c.exposure?.object}`;
    assert.deepEqual(shownHere.filter((c) => c.finding.rule === 'rls-disabled').map(line).sort(), ['no-rls public.ledger', 'owner public.vault2']);
  });

  test("ok: a function setting a request setting for the session leaves it set after its transaction committed; one setting it for the transaction does not; one that also writes is not called", () => {
    const sessions = exposures.filter((e) => e.kind === 'session');
    assert.deepEqual(
      sessions.map((e) => ({ object: e.object, setting: e.setting, value: e.value, shown: e.shown })),
      [
        { object: 'public.set_tenant(t text)', setting: 'app.tenant', value: 'pg-rls-lint', shown: true },
        { object: 'public.set_tenant_local(t text)', setting: 'app.tenant', value: '', shown: false },
      ],
    );
    assert.equal(formatExposure(sessions[0]!), "app: public.set_tenant(t text) called in a transaction that committed; the next transaction still reads app.tenant = 'pg-rls-lint' (set for the session, not the transaction)");
    const line = (c: Confirmation<Finding>) => `${c.finding.rule} ${c.finding.range.start.line + 1}`;
    assert.deepEqual(shownHere.filter((c) => c.exposure?.kind === 'session').map(line), ['session-context-not-local 55']);
  });
});

describe('verify: a policy whose USING reads a custom setting as a switch (not a Supabase project)', () => {
  let exposures: ExposureResult[];
  let shownHere: Array<Confirmation<Finding>>;
  before(async () => {
    const files: VerifyFile[] = [
      {
        file: 'migrations/001.sql',
        text: `CREATE ROLE app_user;
CREATE TABLE orders (id bigint PRIMARY KEY, tenant_id uuid NOT NULL);
ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
ALTER TABLE orders FORCE ROW LEVEL SECURITY;
GRANT SELECT ON orders TO app_user;
CREATE POLICY orders_tenant ON orders FOR SELECT TO app_user
  USING (current_setting('app.bypass_rls', true) = 'on' OR tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
-- the tenant setting alone: no value of it admits the seeded row but its own tenant's (not looked for)
CREATE TABLE invoices (id bigint PRIMARY KEY, tenant_id uuid NOT NULL);
ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
ALTER TABLE invoices FORCE ROW LEVEL SECURITY;
GRANT SELECT ON invoices TO app_user;
CREATE POLICY invoices_tenant ON invoices FOR SELECT TO app_user
  USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
`,
      },
    ];
    let r: VerifyResult;
    ({ result: r, shown: shownHere } = await verified(files, { seed: true }));
    exposures = r.exposures ?? [];
  });

  test("ok: app_user reads no order with no setting, and the seeded order after running set_config('app.bypass_rls', 'on', true) itself; the tenant-only policy gives no more rows for any value it compares with; the finding is shown", () => {
    const looks = exposures.filter((e) => e.kind === 'setting-switch');
    assert.deepEqual(
      looks.map((e) => ({ object: e.object, role: e.role, setting: e.setting, value: e.value, rows: e.rows, fixedRows: e.fixedRows, shown: e.shown })),
      [
        { object: 'public.invoices', role: 'app_user', setting: 'app.tenant_id', value: undefined, rows: 0, fixedRows: 0, shown: false },
        { object: 'public.orders', role: 'app_user', setting: 'app.bypass_rls', value: 'on', rows: 1, fixedRows: 0, shown: true },
      ],
    );
    assert.equal(formatExposure(looks[1]!), `app_user ran set_config('app.bypass_rls', 'on', true) itself (no privilege needed), then SELECT public.orders → 1 row through policy "orders_tenant"; without it: 0 rows`);
    const line = (c: Confirmation<Finding>) => `${c.finding.rule} ${c.finding.range.start.line + 1}`;
    assert.deepEqual(shownHere.filter((c) => c.exposure?.kind === 'setting-switch').map(line), ['policy-setting-bypass 7']);
  });
});
