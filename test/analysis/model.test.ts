import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { mergeConfig } from '../../server/src/analysis/config.js';
import { buildModel, extensionVersionScripts, migrationOrder, notReplayedReason, type Model } from '../../server/src/analysis/model.js';
import { closeAll, getDb, inRollback } from '../helpers/pg.js';
import { initParser, parseFile } from '../../server/src/analysis/parse.js';
import { Workspace } from '../../server/src/engine/workspace.js';
import { groupsOf } from '../../server/src/analysis/privileges.js';
import { roleMembers } from '../../server/src/rules/lib/util.js';

before(async () => {
  await initParser();
});
after(closeAll);

function model(files: Record<string, string>, config = {}) {
  return buildModel(Object.entries(files).map(([f, t]) => parseFile(f, t)), mergeConfig(config));
}

describe('replay order', () => {
  test('ok: natural sort of paths (2_x before 10_x)', () => {
    const order = migrationOrder([{ file: 'm/10_b.sql' }, { file: 'm/2_a.sql' }, { file: 'm/1_z.sql' }]).map((f) => f.file);
    assert.deepEqual(order, ['m/1_z.sql', 'm/2_a.sql', 'm/10_b.sql']);
    // a name before the same name with a suffix, as byte order has it ('.' before '_'; maevsi's table_x.sql, then table_x_policy.sql)
    assert.deepEqual(migrationOrder([{ file: 'deploy/table_note_policy.sql' }, { file: 'deploy/table_note.sql' }]).map((f) => f.file), ['deploy/table_note.sql', 'deploy/table_note_policy.sql']);
  });

  test('ok: Supabase migrations whose versions differ in length run in file name order, as the Supabase CLI runs them', () => {
    const files = ['supabase/migrations/20251216_create_documents.sql', 'supabase/migrations/20251115150428_schema.sql', 'supabase/migrations/20251126040000_fix.sql', 'supabase/migrations/20260101_later.sql'];
    assert.deepEqual(
      migrationOrder(files.map((file) => ({ file }))).map((f) => f.file),
      ['supabase/migrations/20251115150428_schema.sql', 'supabase/migrations/20251126040000_fix.sql', 'supabase/migrations/20251216_create_documents.sql', 'supabase/migrations/20260101_later.sql'],
    );
    // short sequence numbers in a folder with timestamps too: file name order (boothbrain's 001_, 20250127_, 999_; the CLI runs 999_ last)
    assert.deepEqual(
      migrationOrder(['supabase/migrations/999_fix.sql', 'supabase/migrations/20250127_create_tables.sql', 'supabase/migrations/001_init.sql', 'supabase/migrations/20251027_consolidate.sql'].map((file) => ({ file }))).map((f) => f.file),
      ['supabase/migrations/001_init.sql', 'supabase/migrations/20250127_create_tables.sql', 'supabase/migrations/20251027_consolidate.sql', 'supabase/migrations/999_fix.sql'],
    );
    // elsewhere, and in a folder of short sequence numbers only, the natural order stays
    assert.deepEqual(
      migrationOrder(['db/20251216_a.sql', 'db/20251115150428_b.sql', 'supabase/migrations/10_c.sql', 'supabase/migrations/2_d.sql'].map((file) => ({ file }))).map((f) => f.file),
      ['db/20251216_a.sql', 'db/20251115150428_b.sql', 'supabase/migrations/2_d.sql', 'supabase/migrations/10_c.sql'],
    );
  });

  test('ok: the files of supabase/schemas/ run in the order the Supabase CLI loads its declarative schema (afero.Walk: each folder byte by byte), after the migrations', () => {
    const files = ['supabase/schemas/schema.sql', 'supabase/schemas/schema-production.sql', 'supabase/schemas/2_tables.sql', 'supabase/schemas/10_policies.sql', 'supabase/schemas/a/x.sql', 'supabase/schemas/a.sql', 'supabase/schemas/Users.sql', 'supabase/migrations/20250101000000_init.sql'];
    assert.deepEqual(migrationOrder(files.map((file) => ({ file }))).map((f) => f.file), [
      'supabase/migrations/20250101000000_init.sql',
      'supabase/schemas/10_policies.sql',
      'supabase/schemas/2_tables.sql',
      'supabase/schemas/Users.sql',
      'supabase/schemas/a/x.sql',
      'supabase/schemas/a.sql',
      'supabase/schemas/schema-production.sql',
      'supabase/schemas/schema.sql',
    ]);
  });

  test("ok: Flyway's versioned migrations run by version across folders (V1.2 before V1.10 before V2), as flyway migrate applies them", () => {
    const order = (files: string[]) => migrationOrder(files.map((file) => ({ file }))).map((f) => f.file);
    // two locations: common/V2 ran before postgres/V1 by path; parts compared as numbers, `_` as `.`, 1.0 as 1
    assert.deepEqual(order(['db/common/V2__policies.sql', 'db/common/V1.10__c.sql', 'db/postgres/V1__tables.sql', 'db/postgres/V1_2__b.sql', 'db/postgres/V001.0.1__a.sql']), [
      'db/postgres/V1__tables.sql',
      'db/postgres/V001.0.1__a.sql',
      'db/postgres/V1_2__b.sql',
      'db/common/V1.10__c.sql',
      'db/common/V2__policies.sql',
    ]);
    // one version twice (1_1 and 1.1: Flyway's validation fails): their path order; U (undo) files keep their places (not replayed: isRollbackFile)
    assert.deepEqual(order(['m/V2__x.sql', 'm/V1.1__a.sql', 'm/U2__undo.sql', 'm/V1_1__b.sql', 'm/V1.0.9__c.sql']), ['m/U2__undo.sql', 'm/V1.0.9__c.sql', 'm/V1_1__b.sql', 'm/V1.1__a.sql', 'm/V2__x.sql']);
    // a seed beside them: still a Flyway project, the seed keeps its place
    assert.deepEqual(order(['b/V1__x.sql', 'a/V2__y.sql', 'seed.sql']), ['b/V1__x.sql', 'a/V2__y.sql', 'seed.sql']);
    // mostly another tool's files (one V… among them): path order, nothing moved
    assert.deepEqual(order(['m/V2__x.sql', 'n/001_a.sql', 'n/002_b.sql', 'o/V1__y.sql']), ['m/V2__x.sql', 'n/001_a.sql', 'n/002_b.sql', 'o/V1__y.sql']);
  });

  test("ok: Flyway's callbacks run where migrate runs them: beforeMigrate first, afterMigrate (and afterEachMigrate) after the last migration, repeatables included", () => {
    const order = (files: string[]) => migrationOrder(files.map((file) => ({ file }))).map((f) => f.file);
    assert.deepEqual(
      order(['db/migration/afterMigrate.sql', 'db/migration/afterEachMigrate__grants.sql', 'db/migration/beforeMigrate.sql', 'db/migration/beforeRepeatables.sql', 'db/migration/R__views.sql', 'db/migration/V1__tables.sql', 'db/migration/V2__more.sql', 'db/migration/afterMigrateError.sql', 'db/callbacks/beforeEachMigrate.sql']),
      [
        // (afterMigrateError never runs on a migrate that succeeds: it keeps its path order, as the other commands' callbacks do)
        'db/migration/afterMigrateError.sql',
        'db/migration/beforeMigrate.sql',
        'db/callbacks/beforeEachMigrate.sql',
        'db/migration/V1__tables.sql',
        'db/migration/V2__more.sql',
        'db/migration/beforeRepeatables.sql',
        'db/migration/R__views.sql',
        'db/migration/afterEachMigrate__grants.sql',
        'db/migration/afterMigrate.sql',
      ],
    );
    // outside a Flyway project (no V… migration), an afterMigrate.sql keeps its place
    assert.deepEqual(order(['m/002_b.sql', 'm/afterMigrate.sql', 'm/001_a.sql']), ['m/001_a.sql', 'm/002_b.sql', 'm/afterMigrate.sql']);
  });

  test('ok: Flyway undo migrations (U1__x.sql) are not replayed, wherever the version order puts them', () => {
    const m = model({
      'db/V1__tables.sql': 'CREATE TABLE notes (id int);',
      'db/U2__undo.sql': 'DROP TABLE notes;',
      'db/V2__rls.sql': 'ALTER TABLE notes ENABLE ROW LEVEL SECURITY;',
    });
    assert.equal(m.tables.get('public.notes')?.rlsEnabled, true);
    assert.equal(m.statements.filter((s) => s.stmt.kind === 'DropStmt').length, 0);
  });

  test('ok: later statements win (enable, force, no force, disable)', () => {
    const m = model({
      '10_later.sql': 'ALTER TABLE t DISABLE ROW LEVEL SECURITY; ALTER TABLE t NO FORCE ROW LEVEL SECURITY;',
      '2_rls.sql': 'ALTER TABLE t ENABLE ROW LEVEL SECURITY; ALTER TABLE t FORCE ROW LEVEL SECURITY;',
      '1_t.sql': 'CREATE TABLE t (id int);',
    });
    const t = m.tables.get('public.t')!;
    assert.equal(t.rlsEnabled, false);
    assert.equal(t.rlsForced, false);
    assert.deepEqual(t.rlsEvents.map((e) => e.kind), ['enable', 'force', 'disable', 'no-force']);
    assert.equal(t.rlsEvents[2]!.loc.file, '10_later.sql');
  });
});

describe('tables, policies, roles', () => {
  let m: Model;
  before(() => { m = model({
    '1.sql': `
      CREATE ROLE app_admin BYPASSRLS;
      CREATE ROLE app_user;
      CREATE TABLE app.members (id uuid PRIMARY KEY, org_id uuid, user_id uuid, UNIQUE (org_id, user_id));
      CREATE INDEX members_user ON app.members (user_id);
      ALTER TABLE app.members OWNER TO app_user;
      ALTER TABLE app.members ENABLE ROW LEVEL SECURITY;
      CREATE POLICY m_sel ON app.members FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
      CREATE POLICY m_all ON app.members AS RESTRICTIVE USING (true);
      ALTER POLICY m_sel ON app.members TO authenticated, anon;
      GRANT SELECT, INSERT ON app.members TO authenticated;
      REVOKE INSERT ON app.members FROM authenticated;
      CREATE TABLE events (id int) PARTITION BY RANGE (id);
      CREATE TABLE events_1 PARTITION OF events FOR VALUES FROM (1) TO (10);
      CREATE VIEW v WITH (security_invoker = true) AS SELECT * FROM app.members;
      CREATE VIEW v2 AS SELECT * FROM events;
      ALTER VIEW v2 SET (security_invoker = on);
      CREATE TABLE old_name (id int);
      ALTER TABLE old_name RENAME TO new_name;
      CREATE TABLE dropped (id int);
      DROP TABLE dropped;
    `,
  }); });
  test('ok: schema-qualified keys, unqualified resolve to public', () => {
    assert.ok(m.tables.has('app.members'));
    assert.ok(m.tables.has('public.events'));
    assert.ok(m.tables.has('public.new_name'));
    assert.ok(!m.tables.has('public.old_name'));
    assert.ok(!m.tables.has('public.dropped'));
  });
  test('ok: policies with command, roles, permissive, ALTER POLICY', () => {
    const t = m.tables.get('app.members')!;
    const sel = t.policies.find((p) => p.name === 'm_sel')!;
    assert.equal(sel.command, 'select');
    assert.deepEqual(sel.roles, ['authenticated', 'anon']);
    const all = t.policies.find((p) => p.name === 'm_all')!;
    assert.equal(all.permissive, false);
    assert.deepEqual(all.roles, ['public']);
    assert.equal(all.implicitPublic, true);
  });
  test('ok: owner, keys, indexes, grants after revoke', () => {
    const t = m.tables.get('app.members')!;
    assert.equal(t.owner?.role, 'app_user');
    assert.deepEqual(t.keys, [['id'], ['org_id', 'user_id']]);
    assert.deepEqual(t.indexes.map((i) => i.columns), [['user_id']]);
    assert.deepEqual([...t.grants.get('authenticated')!], ['select']);
  });
  test('ok: roles and BYPASSRLS', () => {
    assert.equal(m.roleBypassesRls('app_admin'), true);
    assert.equal(m.roleBypassesRls('app_user'), false);
    assert.equal(m.roleBypassesRls('unknown'), undefined);
  });
  test('ok: partitions and views', () => {
    assert.deepEqual(m.tables.get('public.events_1')!.parents.map((p) => [p.key, p.kind]), [['public.events', 'partition']]);
    assert.equal(m.tables.get('public.events')!.partitioned, true);
    assert.equal(m.views.get('public.v')!.securityInvoker, true);
    assert.deepEqual([...m.views.get('public.v')!.reads], ['app.members']);
    assert.equal(m.views.get('public.v2')!.securityInvoker, true);
  });
});

describe('names as written', () => {
  test('ok: a qualified name with quoted parts is located whole ("storage"."objects", not "storage")', () => {
    const text = [
      'CREATE TABLE "storage"."objects" (id int);',
      'CREATE TABLE "public"."Odd""Name" (id int);',
      'CREATE VIEW "public"."v" AS SELECT 1 AS x;',
      'CREATE FUNCTION "public"."f"() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;',
    ].join('\n');
    const m = model({ '1.sql': text });
    const at = (l: { start: number; end: number }) => text.slice(l.start, l.end);
    assert.equal(at(m.tables.get('storage.objects')!.nameLoc), '"storage"."objects"');
    assert.equal(at(m.tables.get('public.Odd"Name')!.nameLoc), '"public"."Odd""Name"');
    assert.equal(at(m.views.get('public.v')!.nameLoc), '"public"."v"');
    assert.equal(at(m.findFunction(['public', 'f'])!.nameLoc), '"public"."f"');
  });
});

describe('functions', () => {
  let m: Model;
  before(() => { m = model({
    '1.sql': `
      ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
      CREATE FUNCTION private.is_member(org uuid) RETURNS boolean
        LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
      BEGIN
        RETURN EXISTS (SELECT 1 FROM members WHERE org_id = org);
      END $$;
      ALTER FUNCTION private.is_member(uuid) OWNER TO helper_owner;
      CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
      BEGIN INSERT INTO audit_log VALUES (1); UPDATE counters SET n = n + 1; RETURN NEW; END $$;
      CREATE TRIGGER t_audit AFTER UPDATE ON projects FOR EACH ROW EXECUTE FUNCTION audit();
      CREATE FUNCTION uid2() RETURNS uuid LANGUAGE sql IMMUTABLE AS 'select auth.uid()';
      ALTER FUNCTION uid2() STABLE;
      CREATE FUNCTION set_tenant(t text) RETURNS void LANGUAGE sql AS $$ SELECT set_config('app.tenant', t, false) $$;
      GRANT EXECUTE ON FUNCTION uid2() TO authenticated;
    `,
  }); });
  test('ok: definer, settings, owner, reads', () => {
    const f = m.findFunction(['private', 'is_member'])!;
    assert.equal(f.securityDefiner, true);
    assert.equal(f.volatility, 'stable');
    assert.deepEqual(f.settings.map((s) => [s.name, s.values]), [['search_path', ['public', 'pg_temp']]]);
    assert.equal(f.owner?.role, 'helper_owner');
    assert.deepEqual([...f.reads], ['public.members']);
    assert.equal(f.signature, 'private.is_member(uuid)');
    assert.equal(f.publicExecute, false, 'default privileges revoked EXECUTE from PUBLIC');
  });
  test('ok: trigger function writes, trigger attached', () => {
    const f = m.findFunction(['audit'])!;
    assert.equal(f.returnsTrigger, true);
    assert.deepEqual([...f.writes].sort(), ['public.audit_log', 'public.counters']);
    assert.deepEqual(m.triggers.map((t) => [t.name, t.table, t.func]), [['t_audit', 'public.projects', 'public.audit']]);
  });
  test('ok: ALTER FUNCTION changes volatility; calls recorded; grants', () => {
    const f = m.findFunction(['uid2'])!;
    assert.equal(f.volatility, 'stable');
    assert.ok(f.calls.has('auth.uid'));
    assert.ok(f.executeGrants.has('authenticated'));
  });
  test('ok: context writes from set_config inside functions', () => {
    const w = m.contextWrites.find((c) => c.name === 'app.tenant')!;
    assert.equal(w.local, false);
    assert.equal(w.inFunction, 'public.set_tenant');
  });
});

describe('supabase layout', () => {
  test('ok: supabase/migrations/ implies platform roles with BYPASSRLS', () => {
    const m = model({ 'supabase/migrations/20240101000000_init.sql': 'CREATE TABLE t (id int);' });
    assert.equal(m.supabase, true);
    assert.equal(m.assumeUnknownOwnerBypassesRls, true);
    assert.equal(m.roleBypassesRls('postgres'), true);
  });
  test('ok: supabase/schemas/ (declarative schema) is a Supabase layout too', () => {
    const m = model({ 'supabase/schemas/documents.sql': 'SELECT 1;' });
    assert.equal(m.supabase, true);
    assert.equal(m.assumeUnknownOwnerBypassesRls, true);
    assert.equal(model({ 'db/schemas/documents.sql': 'SELECT 1;' }).supabase, false);
  });
  test('ok: a CREATE ROLE of a platform role in a DO block (a CI stub, behind IF NOT EXISTS) leaves it as the platform made it', () => {
    const stub = `DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN CREATE ROLE service_role; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'worker') THEN CREATE ROLE worker; END IF;
END $$;`;
    const m = model({ 'supabase/migrations/20240101000000_init.sql': 'CREATE TABLE t (id int);', 'worker/migrations/000_ci_baseline.sql': stub });
    assert.equal(m.roleBypassesRls('service_role'), true);
    assert.equal(m.roleBypassesRls('worker'), false);
    // (outside a DO block a CREATE ROLE of a known role is taken as written: a DROP ROLE may come before it)
    assert.equal(model({ 'supabase/migrations/20240101000000_init.sql': 'CREATE ROLE service_role;' }).roleBypassesRls('service_role'), false);
  });
  test('ok: setting false overrides auto', () => {
    const m = model({ 'supabase/migrations/1.sql': 'SELECT 1;' }, { definerOwnerBypassesRls: 'false' });
    assert.equal(m.assumeUnknownOwnerBypassesRls, false);
  });
});

describe('DO blocks replay their static statements', () => {
  test('ok: policy created inside DO is in the model', () => {
    const m = model({
      '1.sql': `CREATE TABLE t (id int);
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_policies WHERE policyname = 'p') THEN
    CREATE POLICY p ON t FOR SELECT TO authenticated USING (true);
  END IF;
  EXECUTE 'ALTER TABLE t ENABLE ROW LEVEL SECURITY';
END $$;`,
    });
    assert.deepEqual(m.tables.get('public.t')!.policies.map((p) => p.name), ['p']);
  });
});

describe('rollback sections of two-way migration files are not replayed', () => {
  test('ok: dbmate -- migrate:down, goose -- +goose Down, sql-migrate -- +migrate Down, tern ---- create above / drop below ----', () => {
    const m = model({
      '1_dbmate.sql': `-- migrate:up
CREATE TABLE a (id int);
ALTER TABLE a ENABLE ROW LEVEL SECURITY;
-- migrate:down
ALTER TABLE a DISABLE ROW LEVEL SECURITY;
DROP TABLE a;`,
      '2_goose.sql': `-- +goose Up
-- +goose StatementBegin
CREATE TABLE b (id int);
-- +goose StatementEnd
-- +goose Down
DROP TABLE b;`,
      '3_sql_migrate.sql': `-- +migrate Up
CREATE TABLE c (id int);
-- +migrate Down
DROP TABLE c;`,
      '4_tern.sql': `CREATE TABLE d (id int);
ALTER TABLE d ENABLE ROW LEVEL SECURITY;

---- create above / drop below ----

ALTER TABLE d DISABLE ROW LEVEL SECURITY;
DROP TABLE d;`,
    });
    assert.equal(m.tables.get('public.a')?.rlsEnabled, true);
    assert.ok(m.tables.has('public.b'));
    assert.ok(m.tables.has('public.c'));
    assert.equal(m.tables.get('public.d')?.rlsEnabled, true);
    assert.equal(m.statements.filter((s) => s.stmt.kind === 'DropStmt').length, 0);
  });
  test("ok: node-pg-migrate's SQL migrations: -- Down Migration beside -- Up Migration (any case, dashes) is not replayed; without an up marker node-pg-migrate runs the whole file, and so does the replay", () => {
    const m = model({
      '1700000000000_a.sql': `-- Up Migration
CREATE TABLE a (id int);
ALTER TABLE a ENABLE ROW LEVEL SECURITY;

-- Down Migration
ALTER TABLE a DISABLE ROW LEVEL SECURITY;
DROP TABLE a;`,
      '1700000000001_b.sql': `---- down migration
DROP TABLE IF EXISTS b;
---- up migration
CREATE TABLE b (id int);`,
      '1700000000002_c.sql': `CREATE TABLE c (id int);
-- Down migration: nothing to undo here
ALTER TABLE c ENABLE ROW LEVEL SECURITY;`,
    });
    assert.equal(m.tables.get('public.a')?.rlsEnabled, true);
    assert.ok(m.tables.has('public.b'));
    assert.equal(m.tables.get('public.c')?.rlsEnabled, true);
    assert.equal(m.statements.filter((s) => s.stmt.kind === 'DropStmt').length, 0);
  });
  test('ok: rollback files are parsed but not replayed (golang-migrate/sqlx .down.sql, diesel down.sql, Flyway U__ undo, postgrator .undo., sqitch revert/ and verify/)', () => {
    const m = model({
      'migrations/000001_todos.up.sql': 'CREATE TABLE todos (id int);\nALTER TABLE todos ENABLE ROW LEVEL SECURITY;',
      'migrations/000001_todos.down.sql': 'ALTER TABLE todos DISABLE ROW LEVEL SECURITY;\nDROP TABLE todos;',
      'migrations/000002_notes.down.sql': 'DROP TABLE notes;',
      'migrations/000002_notes.up.sql': 'CREATE TABLE notes (id int);',
      'diesel/2024-01-01-000000_x/down.sql': 'DROP TABLE notes;',
      'diesel/2024-01-01-000000_x/up.sql': 'CREATE TABLE x (id int);',
      'flyway/U3__undo.sql': 'DROP TABLE x;',
      'sqitch/deploy/appschema/todos.sql': 'CREATE TABLE sq (id int);',
      'sqitch/revert/appschema/todos.sql': 'DROP TABLE sq;',
      'sqitch/verify/appschema/todos.sql': 'BEGIN; SELECT id FROM sq WHERE FALSE; ROLLBACK;',
      'migrations/0003_slowdown.sql': 'CREATE TABLE slowdown (id int);',
      'postgrator/0004.do.undone.sql': 'CREATE TABLE undone (id int);',
      'postgrator/0004.undo.undone.sql': 'DROP TABLE undone;',
      'postgrator/0005.undo.sql': 'DROP TABLE undone;',
    });
    assert.ok(m.tables.has('public.undone'));
    assert.equal(m.tables.get('public.todos')?.rlsEnabled, true);
    assert.ok(m.tables.has('public.notes'));
    assert.ok(m.tables.has('public.x'));
    assert.ok(m.tables.has('public.slowdown'));
    assert.ok(m.tables.has('public.sq'));
    assert.equal(m.statements.filter((s) => s.stmt.kind === 'DropStmt' || s.stmt.kind === 'AlterTableStmt' && /down/.test(s.file.file)).length, 0);
  });
  test("ok: a hand-rolled runner's `x_down.sql` beside its `x_up.sql` (or -down, -up) is a rollback, not replayed (Steffi-2203/remix-of-immoflow); a name ending in _down with no _up twin is a migration", () => {
    const ws = new Workspace(mergeConfig());
    ws.setFile('migrations/20260208_norm_up.sql', 'CREATE TABLE lines (id int, norm text);');
    ws.setFile('migrations/20260208_norm_down.sql', 'ALTER TABLE lines DROP COLUMN norm;\nDROP TABLE lines;');
    ws.setFile('migrations/20260209_other-up.sql', 'CREATE TABLE other (id int);');
    ws.setFile('migrations/20260209_other-DOWN.sql', 'DROP TABLE other;');
    ws.setFile('migrations/20260210_scale_down.sql', 'CREATE TABLE scaled (id int);');
    const m = ws.model();
    assert.deepEqual(m.tables.get('public.lines')?.columns, ['id', 'norm']);
    assert.ok(m.tables.has('public.other'));
    assert.ok(m.tables.has('public.scaled'));
    assert.match(notReplayedReason(m.files.find((f) => f.file.endsWith('norm_down.sql'))!) ?? '', /only roll back, named `…_down\.sql` beside their `…_up\.sql`/);
  });
  test("ok: `<name>_rollback.sql` beside `<name>.sql`, or beside its archived copy in a folder inside theirs (joseph-ehler/moto-mind-ai's database/supabase/migrations/20251014_fix_rls_policy_garages_rollback.sql, archive/20251014_fix_rls_policy_garages.sql), is a rollback, not replayed: RLS stays enabled; a versioned `…_rollback.sql` with no such twin is a migration", () => {
    const ws = new Workspace(mergeConfig());
    ws.setFile('db/migrations/20251013_base.sql', 'CREATE TABLE garages (id int, tenant_id uuid);\nCREATE TABLE vehicles (id int, tenant_id uuid);\nCREATE TABLE trips (id int);');
    ws.setFile('db/migrations/archive/20251014_fix_rls_policy_garages.sql', 'ALTER TABLE garages ENABLE ROW LEVEL SECURITY;');
    ws.setFile('db/migrations/20251014_fix_rls_policy_garages_rollback.sql', '-- ROLLBACK RLS POLICY FIX: garages\nALTER TABLE garages DISABLE ROW LEVEL SECURITY;');
    ws.setFile('db/migrations/20251015_vehicles_rls.sql', 'ALTER TABLE vehicles ENABLE ROW LEVEL SECURITY;');
    ws.setFile('db/migrations/20251015_vehicles_rls-rollback.sql', 'ALTER TABLE vehicles DISABLE ROW LEVEL SECURITY;');
    ws.setFile('db/migrations/20251016_trips_rollback.sql', 'ALTER TABLE trips ENABLE ROW LEVEL SECURITY;');
    const m = ws.model();
    assert.equal(m.tables.get('public.vehicles')?.rlsEnabled, true);
    assert.equal(m.tables.get('public.trips')?.rlsEnabled, true, 'no twin: a migration, replayed');
    for (const f of ['db/migrations/20251014_fix_rls_policy_garages_rollback.sql', 'db/migrations/20251015_vehicles_rls-rollback.sql']) {
      assert.match(notReplayedReason(m.files.find((x) => x.file === f)!) ?? '', /`…_rollback\.sql` beside the migration of the same name \(or its archived copy in a folder inside theirs\)/, f);
    }
    assert.equal(notReplayedReason(m.files.find((x) => x.file === 'db/migrations/20251016_trips_rollback.sql')!), undefined);
    // (right in a Supabase migrations folder the CLI applies every file, this one too: replayed)
    const cli = new Workspace(mergeConfig());
    cli.setFile('supabase/migrations/20251013_base.sql', 'CREATE TABLE garages (id int);\nALTER TABLE garages ENABLE ROW LEVEL SECURITY;');
    cli.setFile('supabase/migrations/archive/20251014_fix.sql', 'ALTER TABLE garages ENABLE ROW LEVEL SECURITY;');
    cli.setFile('supabase/migrations/20251014_fix_rollback.sql', 'ALTER TABLE garages DISABLE ROW LEVEL SECURITY;');
    assert.equal(cli.model().tables.get('public.garages')?.rlsEnabled, false);
  });
  test("ok: files in a folder named as an archive (archive/, archived/, old-migrations/, migrations_backup/ …) beside live migrations are not replayed (joseph-ehler/moto-mind-ai's archive/, AJamesPhillips/DataCurator's supabase_setup/archived/); a migration's own folder whose name has such a word, a workspace that is all archive, and a config naming the databases still replay them", () => {
    const files: Record<string, string> = {
      'db/migrations/001_base.sql': 'CREATE TABLE garages (id int, tenant_id uuid);\nALTER TABLE garages ENABLE ROW LEVEL SECURITY;\n',
      'archive/migrations/development_history/001_init.sql': 'CREATE TABLE garages (id int);\nALTER TABLE garages DISABLE ROW LEVEL SECURITY;\n',
      'app/supabase_setup/archived/recursion_policy_problem.sql': 'DROP TABLE IF EXISTS usrs;\nCREATE TABLE usrs (id int);\n',
      'db/old-migrations/002_x.sql': 'CREATE TABLE old_x (id int);\n',
      'db/migrations_backup/003_y.sql': 'CREATE TABLE backup_y (id int);\n',
      'prisma/migrations/20240101000000_drop_old_columns/migration.sql': 'CREATE TABLE prisma_t (id int);\n',
    };
    const ws = new Workspace(mergeConfig());
    for (const [f, t] of Object.entries(files)) ws.setFile(f, t);
    // (the marks are the partition's: made with the databases)
    const reason = (w: Workspace, f: string) => (w.databases(), notReplayedReason(w.parsed(f)!));
    for (const f of ['archive/migrations/development_history/001_init.sql', 'app/supabase_setup/archived/recursion_policy_problem.sql', 'db/old-migrations/002_x.sql', 'db/migrations_backup/003_y.sql']) {
      assert.match(reason(ws, f) ?? '', /^in a folder named as an archive \(`archive\/`, `archived\/`, `old\/`, `backup\/`, `deprecated\/` …\) beside migrations outside it: taken as kept for reference, not applied with them/, f);
    }
    assert.equal(reason(ws, 'db/migrations/001_base.sql'), undefined);
    assert.equal(reason(ws, 'prisma/migrations/20240101000000_drop_old_columns/migration.sql'), undefined, "a migration's own folder");
    const all = ws.databases().map((d) => ws.model(d.files[0]));
    assert.ok(all.every((m) => !m.tables.has('public.usrs') && !m.tables.has('public.old_x') && !m.tables.has('public.backup_y')));
    assert.equal(ws.model('db/migrations/001_base.sql').tables.get('public.garages')?.rlsEnabled, true);
    // a workspace that is the archive itself (pg-rls-lint archive/): replayed
    const only = new Workspace(mergeConfig());
    only.setFile('archive/migrations/development_history/001_init.sql', files['archive/migrations/development_history/001_init.sql']!);
    assert.equal(reason(only, 'archive/migrations/development_history/001_init.sql'), undefined);
    // the config names the databases' files: as it says
    const named = new Workspace(mergeConfig({ databases: { live: ['db/**'], history: ['archive/**'] } }));
    for (const [f, t] of Object.entries(files)) named.setFile(f, t);
    assert.equal(reason(named, 'archive/migrations/development_history/001_init.sql'), undefined);
    // and as the files change: an archive file made live again (moved out) is replayed
    ws.setFile('archive/migrations/development_history/001_init.sql', '');
    ws.setFile('db/002_x.sql', 'CREATE TABLE old_x (id int);\n');
    assert.equal(reason(ws, 'db/002_x.sql'), undefined);
  });
  test("ok: a change's revert.sql and verify.sql beside its deploy.sql (Zapadka's folder per change: kljensen/yelukerest's migrations/<id>-<name>/) are not replayed, so the revert does not put back what the deploy replaced; a revert.sql with no deploy.sql beside it is a migration", () => {
    const ws = new Workspace(mergeConfig());
    ws.setFile('migrations/01-base/deploy.sql', 'CREATE TABLE notes (id int);\nALTER TABLE notes ENABLE ROW LEVEL SECURITY;');
    ws.setFile('migrations/01-base/revert.sql', 'DROP TABLE notes;');
    ws.setFile('migrations/02-gate/deploy.sql', "CREATE OR REPLACE FUNCTION check_jwt() RETURNS void LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'scope'; END $$;");
    ws.setFile('migrations/02-gate/revert.sql', 'CREATE OR REPLACE FUNCTION check_jwt() RETURNS void LANGUAGE plpgsql AS $$ BEGIN NULL; END $$;');
    ws.setFile('migrations/02-gate/verify.sql', 'BEGIN;\nCREATE TABLE probe (id int);\nROLLBACK;');
    ws.setFile('scripts/revert.sql', 'CREATE TABLE kept (id int);');
    const m = ws.model();
    assert.ok(m.tables.get('public.notes')?.rlsEnabled);
    assert.ok(m.tables.has('public.kept'));
    assert.equal(m.findFunction(['check_jwt'], 0)?.created.file, 'migrations/02-gate/deploy.sql');
    assert.equal(m.statements.filter((s) => /migrations\/0[12]-\w+\/(revert|verify)\.sql$/.test(s.file.file)).length, 0);
    for (const f of ['migrations/01-base/revert.sql', 'migrations/02-gate/revert.sql', 'migrations/02-gate/verify.sql']) {
      assert.match(notReplayedReason(m.files.find((x) => x.file === f)!) ?? '', /`revert\.sql` and `verify\.sql` beside its `deploy\.sql`/, f);
    }
    assert.equal(notReplayedReason(m.files.find((x) => x.file === 'scripts/revert.sql')!), undefined);
  });
  test('ok: a rollback script that no version orders (rollback_v2.sql, v2_rollback.sql) is not replayed (DRANTIQ/platform-db: its scripts/rollback_v2.sql, DROP SCHEMA … CASCADE of every schema the migrations make, replayed after them, left no table and no finding); a numbered or Flyway migration named rollback is', () => {
    const ws = new Workspace(mergeConfig());
    ws.setFile('migrations/001_schemas.sql', 'CREATE SCHEMA platform;\nCREATE TABLE platform.scans (id uuid PRIMARY KEY, tenant_id uuid NOT NULL);');
    ws.setFile('migrations/002_rls.sql', "ALTER TABLE platform.scans ENABLE ROW LEVEL SECURITY;\nCREATE POLICY tenant_isolation ON platform.scans USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);");
    ws.setFile('migrations/003_rollback_bad_index.sql', 'CREATE TABLE platform.kept (id int);');
    ws.setFile('flyway/V4__rollback.sql', 'CREATE TABLE flyway_kept (id int);');
    ws.setFile('flyway/R__rollback.sql', 'CREATE TABLE repeatable_kept (id int);');
    ws.setFile('scripts/rollback_v2.sql', '-- Roll back the V2 schemas\nDROP SCHEMA IF EXISTS platform CASCADE;');
    ws.setFile('scripts/v2_rollback.sql', 'DROP TABLE IF EXISTS flyway_kept;');
    ws.setFile('seeds/dev_bootstrap.sql', "INSERT INTO platform.scans VALUES (gen_random_uuid(), gen_random_uuid());");
    ws.setFile('sqitch/deploy/rollback_feature.sql', 'CREATE TABLE sqitch_kept (id int);');
    const m = ws.model();
    assert.equal(m.tables.get('platform.scans')?.rlsEnabled, true);
    assert.equal(m.tables.get('platform.scans')?.policies.length, 1);
    assert.ok(m.tables.has('platform.kept'));
    assert.ok(m.tables.has('public.flyway_kept'));
    assert.ok(m.tables.has('public.repeatable_kept'));
    assert.ok(m.tables.has('public.sqitch_kept'), "a sqitch change's deploy script named rollback_feature");
    for (const f of ['scripts/rollback_v2.sql', 'scripts/v2_rollback.sql']) {
      assert.match(notReplayedReason(m.files.find((x) => x.file === f)!) ?? '', /a rollback script that no version orders\): migrating up never runs them/, f);
    }
    for (const f of ['migrations/003_rollback_bad_index.sql', 'flyway/V4__rollback.sql', 'flyway/R__rollback.sql', 'seeds/dev_bootstrap.sql']) {
      assert.equal(notReplayedReason(m.files.find((x) => x.file === f)!), undefined, f);
    }
  });
  // Calibration (cal204: supabase-community/supabase-custom-claims' uninstall.sql, `DROP FUNCTION get_my_claims; … DROP
  // FUNCTION is_claims_admin;`, sorted after install.sql and replayed after it): the model kept only get_claim, the one
  // function it forgets, and the SECURITY DEFINER set_claim, get_claims and delete_claim got no finding.
  test('ok: an uninstall script (uninstall.sql: only DROPs) is not replayed after the install script; one that creates too is (PGlite: run after install.sql, it leaves no function)', async () => {
    const install = "CREATE OR REPLACE FUNCTION set_claim(uid uuid, claim text, value jsonb) RETURNS text\n  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$ BEGIN RETURN 'OK'; END; $$;\nCREATE OR REPLACE FUNCTION get_claim(uid uuid, claim text) RETURNS jsonb\n  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$ BEGIN RETURN NULL; END; $$;\n";
    const uninstall = "DROP FUNCTION set_claim;\nNOTIFY pgrst, 'reload schema';\n";
    const m = model({ 'install.sql': install, 'uninstall.sql': uninstall });
    assert.deepEqual([...m.functions.keys()].filter((k) => /claim/.test(k)).sort().length, 2);
    assert.match(notReplayedReason(m.files.find((x) => x.file === 'uninstall.sql')!) ?? '', /^named for emptying the database or uninstalling \(clear_all\.sql, drop_all\.sql, teardown\.sql, uninstall\.sql\)/);
    // (an uninstall script that creates too, and a numbered migration named so: replayed)
    for (const [file, text] of [['uninstall.sql', `${uninstall}CREATE TABLE kept (id int);\n`], ['migrations/003_uninstall.sql', uninstall]] as const) {
      const mm = model({ 'install.sql': install, [file]: text });
      assert.equal(notReplayedReason(mm.files.find((x) => x.file === file)!), undefined, file);
    }
    await inRollback(await getDb(), async (q) => {
      await q(install);
      await q(uninstall);
      assert.equal((await q("SELECT count(*)::int AS n FROM pg_proc WHERE proname = 'set_claim'"))[0]!.n, 0);
    });
  });
  test('ok: a teardown script named for it with no version (clear_all.sql: only DROP TABLEs) is not replayed after the migrations (AJamesPhillips/DataCurator: it took every table they make, and every finding on them); one that creates too, a numbered one and a sqitch deploy script are', async () => {
    const tables = 'CREATE TABLE bases (id bigint PRIMARY KEY, owner_user_id uuid NOT NULL);\nALTER TABLE bases ENABLE ROW LEVEL SECURITY;\n';
    const clear = 'DROP TABLE IF EXISTS access_controls;\nDROP TABLE IF EXISTS bases;\n-- DROP TABLE IF EXISTS spatial_data_set;\n';
    const m = model({ 'supabase_setup/1_bases/0010_bases_tables.sql': tables, 'supabase_setup/clear_all.sql': clear, 'scripts/drop_all.sql': 'DROP SCHEMA IF EXISTS other CASCADE;\n' });
    assert.equal(m.tables.get('public.bases')?.rlsEnabled, true);
    for (const f of ['supabase_setup/clear_all.sql', 'scripts/drop_all.sql']) assert.match(notReplayedReason(m.files.find((x) => x.file === f)!) ?? '', /^named for emptying the database/, f);
    // (a script that drops and makes again, a numbered migration, a sqitch change: replayed)
    for (const [file, text] of [
      ['supabase_setup/drop_all.sql', `${clear}CREATE TABLE bases (id bigint PRIMARY KEY);\n`],
      ['supabase_setup/9_drop_all.sql', clear],
      ['sqitch/deploy/drop_tables.sql', clear],
    ] as const) {
      const mm = model({ 'supabase_setup/1_bases/0010_bases_tables.sql': tables, [file]: text });
      assert.equal(notReplayedReason(mm.files.find((x) => x.file === file)!), undefined, file);
    }
    // PGlite: run after the migrations, the script leaves no table
    await inRollback(await getDb(), async (q) => {
      await q(tables);
      await q(clear);
      assert.equal((await q("SELECT to_regclass('public.bases') AS t"))[0]!.t, null);
    });
  });
  test("ok: a sqitch project kept in a folder named verify or revert (constructive-io/testing-pgpm-modules-fixture's pgpm module packages/verify/) has its deploy/ scripts replayed; its own revert/ and verify/ are not", () => {
    const deploy = "-- Deploy procedures/verify_role to pg\nBEGIN;\nCREATE FUNCTION verify_role (_user text) RETURNS boolean AS $$\nBEGIN\n  RETURN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = _user);\nEND;\n$$ LANGUAGE plpgsql STABLE;\nCOMMIT;\n";
    const files = {
      'packages/verify/deploy/procedures/verify_role.sql': deploy,
      'packages/verify/revert/procedures/verify_role.sql': '-- Revert procedures/verify_role from pg\nBEGIN;\nDROP FUNCTION verify_role;\nCOMMIT;\n',
      'packages/verify/verify/procedures/verify_role.sql': "-- Verify procedures/verify_role on pg\nBEGIN;\nSELECT verify_function ('public.verify_role');\nROLLBACK;\n",
      'packages/revert/deploy/schemas/app/tables/notes.sql': 'BEGIN;\nCREATE TABLE notes (id int);\nALTER TABLE notes ENABLE ROW LEVEL SECURITY;\nCOMMIT;\n',
      'packages/revert/revert/schemas/app/tables/notes.sql': 'BEGIN;\nALTER TABLE notes DISABLE ROW LEVEL SECURITY;\nDROP TABLE notes;\nCOMMIT;\n',
    };
    const m = model(files);
    assert.deepEqual(m.functions.get('public.verify_role')?.map((f) => f.created.file), ['packages/verify/deploy/procedures/verify_role.sql']);
    assert.equal(m.tables.get('public.notes')?.rlsEnabled, true);
    assert.equal(m.statements.filter((s) => s.stmt.kind === 'DropStmt').length, 0);
    const reasons = Object.entries(files).map(([f, t]) => [f, notReplayedReason(parseFile(f, t)) === undefined]);
    assert.deepEqual(reasons, [
      ['packages/verify/deploy/procedures/verify_role.sql', true],
      ['packages/verify/revert/procedures/verify_role.sql', false],
      ['packages/verify/verify/procedures/verify_role.sql', false],
      ['packages/revert/deploy/schemas/app/tables/notes.sql', true],
      ['packages/revert/revert/schemas/app/tables/notes.sql', false],
    ]);
  });
  test("ok: a pg_dump snapshot of what the migrations before it made (graphile-migrate's data/schema.sql) is not replayed; a dump no migration precedes is", () => {
    const DUMP = '--\n-- PostgreSQL database dump\n--\n\n-- Dumped by pg_dump version 17.2\n\nSET check_function_bodies = false;\n';
    const migration = 'CREATE SCHEMA app;\nCREATE TABLE app.users (id int PRIMARY KEY, name text);\nALTER TABLE app.users ENABLE ROW LEVEL SECURITY;\nCREATE POLICY own ON app.users USING (id = 1);\nCREATE TABLE app.posts (id int);';
    const dump = `${DUMP}CREATE SCHEMA app;\nCREATE TABLE app.users (id integer NOT NULL, name text);\nCREATE TABLE app.posts (id integer);\nALTER TABLE app.users ENABLE ROW LEVEL SECURITY;\nCREATE POLICY own ON app.users USING ((id = 1));\nCREATE POLICY only_in_dump ON app.posts USING (true);\n`;
    const m = model({ '@app/db/migrations/committed/000001.sql': migration, 'data/schema.sql': dump });
    assert.equal(m.tables.get('app.users')?.created?.file, '@app/db/migrations/committed/000001.sql');
    assert.deepEqual(m.policies.map((p) => [p.name, p.loc.file]), [['own', '@app/db/migrations/committed/000001.sql']]);
    // (still parsed: a file of the workspace)
    assert.ok(m.files.some((f) => f.file === 'data/schema.sql'));
    // alone (Rails' db/structure.sql beside Ruby migrations), or first (a baseline), a dump is the schema's source
    assert.deepEqual(model({ 'db/structure.sql': dump }).policies.map((p) => p.name), ['own', 'only_in_dump']);
    const baseline = model({ 'migrations/0000_baseline.sql': dump, 'migrations/0001_more.sql': 'CREATE TABLE app.tags (id int);' });
    assert.deepEqual([...baseline.tables.keys()].sort(), ['app.posts', 'app.tags', 'app.users']);
    // (`supabase db dump` keeps pg_dump's preamble, not its header; Supabase's own tables, auth.users…, are not counted)
    const preamble = 'SET statement_timeout = 0;\nSET lock_timeout = 0;\nSELECT pg_catalog.set_config(\'search_path\', \'\', false);\n';
    const supaDump = `${preamble}CREATE SCHEMA IF NOT EXISTS auth;\nCREATE TABLE auth.users (id uuid);\nCREATE TABLE auth.sessions (id uuid);\nCREATE TABLE public.notes (id int);\nCREATE POLICY dump_only ON public.notes USING (true);\n`;
    const notes = 'CREATE TABLE public.notes (id int);\nALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;';
    const after = model({ 'supabase/migrations/20250101000000_notes.sql': notes, 'supabase/schema.sql': supaDump });
    assert.deepEqual(after.policies.map((p) => p.name), []);
    // (before the migrations, a dump is their baseline: replayed)
    const first = model({ 'supabase/backup.sql': supaDump, 'supabase/migrations/20250101000000_notes.sql': notes });
    assert.ok(first.tables.has('auth.users'));
    // a dump-like migration PostgreSQL runs after them (tables re-made IF NOT EXISTS) that changes what they
    // left (InventoryManagment's 20250926171500_profiles_rls.sql: RLS enabled, policies made) is replayed
    const ine = supaDump.replace(/CREATE TABLE /g, 'CREATE TABLE IF NOT EXISTS ');
    const plainNotes = { 'supabase/migrations/20250101000000_notes.sql': 'CREATE TABLE public.notes (id int);' };
    const replayed = model({ ...plainNotes, 'supabase/migrations/20250102000000_dump.sql': ine.replace('CREATE POLICY', 'ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;\nCREATE POLICY') });
    assert.deepEqual([replayed.policies.map((p) => p.name), replayed.tables.get('public.notes')?.rlsEnabled], [['dump_only'], true]);
    // (not when it makes a policy of theirs again, 42710, or re-makes a table plainly, 42P07, or changes nothing)
    assert.deepEqual(model({ 'supabase/migrations/20250101000000_notes.sql': `${notes}\nCREATE POLICY dump_only ON public.notes USING (true);`, 'supabase/schema.sql': ine }).policies.map((p) => p.loc.file), ['supabase/migrations/20250101000000_notes.sql']);
    assert.deepEqual(model({ ...plainNotes, 'supabase/migrations/20250102000000_dump.sql': `${supaDump}ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;\n` }).tables.get('public.notes')?.rlsEnabled, false);
    assert.ok(!model({ ...plainNotes, 'supabase/migrations/20250102000000_dump.sql': ine.replace(/CREATE POLICY[^\n]*\n/, '') }).tables.has('auth.users'));
    // (a dump most of whose tables are new is no snapshot of the files before it)
    const mostlyNew = model({ '1.sql': 'CREATE SCHEMA app;\nCREATE TABLE app.users (id int);', '2.sql': `${DUMP}CREATE TABLE app.users (id int);\nCREATE TABLE app.a (id int);\nCREATE TABLE app.b (id int);` });
    assert.ok(mostlyNew.tables.has('app.b'));
    // dbmate: migrations that `SET search_path = app` and make unqualified tables, then its db/schema.sql dump writing app.x
    const dbmate = model({
      'db/migration/20240325144656_create_tables.sql': '-- migrate:up\nCREATE SCHEMA app;\nSET search_path = app;\nCREATE TABLE users (id uuid PRIMARY KEY);\nCREATE TABLE todos (id uuid, owner_id uuid);\n',
      'db/schema.sql': `${preamble}CREATE TABLE app.todos (id uuid, owner_id uuid);\nCREATE TABLE app.users (id uuid NOT NULL);\nCREATE TABLE public.migrations_version (version text);\nCREATE POLICY dump_only ON app.todos USING (true);\n`,
    });
    assert.deepEqual(dbmate.policies.map((p) => p.name), []);
    assert.ok(!dbmate.tables.has('public.migrations_version'));
    // a schema file without a dump's header, by its name (Sourcegraph's migrations/frontend/squashed.sql after <ts>_name/up.sql):
    // a snapshot when it makes again the tables of the files before it; first, or of new tables, replayed
    const up = { 'migrations/frontend/1729267030_add_cody_audit_log_table/up.sql': 'CREATE TABLE cody_audit_log (id int, tenant_id int);\nCREATE POLICY cody_audit_log_isolation_policy ON cody_audit_log USING (true);\n' };
    const squashed = 'CREATE TABLE cody_audit_log (id int, tenant_id int);\nCREATE POLICY tenant_isolation_policy ON cody_audit_log USING (true);\n';
    assert.deepEqual(model({ ...up, 'migrations/frontend/squashed.sql': squashed }).policies.map((p) => p.name), ['cody_audit_log_isolation_policy']);
    assert.deepEqual(model({ 'migrations/frontend/squashed.sql': squashed }).policies.map((p) => p.name), ['tenant_isolation_policy']);
    assert.deepEqual(model({ ...up, 'migrations/frontend/squashed.sql': 'CREATE TABLE other (id int);\nCREATE POLICY p ON other USING (true);\n' }).policies.map((p) => p.name).sort(), ['cody_audit_log_isolation_policy', 'p']);
    // (Supabase's declarative schema is replayed)
    assert.deepEqual(model({ 'supabase/migrations/20250101000000_a.sql': up['migrations/frontend/1729267030_add_cody_audit_log_table/up.sql'], 'supabase/schemas/schema.sql': squashed }).policies.map((p) => p.name).sort(), ['cody_audit_log_isolation_policy', 'tenant_isolation_policy']);
  });
  test('ok: a pgTAP test (plan … finish()) anywhere is parsed but not replayed: pg_prove runs it against the migrated database', () => {
    const m = model({
      'schema/deploy/users.sql': 'CREATE TABLE users (id int);',
      'schema/test/unit/users_test.sql': "BEGIN;\nSELECT plan(1);\nCREATE TABLE fixture_only (id int);\nSELECT has_table('users');\nSELECT * FROM finish();\nCOMMIT;\n",
    });
    assert.deepEqual([...m.tables.keys()], ['public.users']);
    assert.ok(m.files.some((f) => f.file === 'schema/test/unit/users_test.sql'));
    // (a migration making a table plan and a function finish is no test)
    const named = model({ 'db/1.sql': 'CREATE TABLE plan (id int);\nCREATE FUNCTION finish() RETURNS void LANGUAGE sql AS $$ SELECT 1 FROM plan $$;\nSELECT finish();\n' });
    assert.deepEqual([...named.tables.keys()], ['public.plan']);
    // (`select finish();` without `* from`: cas-cif's tests)
    const bare = model({ 'schema/deploy/users.sql': 'CREATE TABLE users (id int);', 'schema/test/unit/form_test.sql': "begin;\nselect plan(1);\ncreate table fixture_only (id int);\nset jwt.claims.sub to '1';\nselect finish();\n" });
    assert.deepEqual([...bare.tables.keys()], ['public.users']);
    // (one cut short before its finish(), with pgTAP assertions: cas-cif's form_test.sql)
    const cut = model({ 'schema/deploy/users.sql': 'CREATE TABLE users (id int);', 'schema/test/unit/tables/form_test.sql': "begin;\nselect plan(10);\nselect has_table('public', 'users', 'exists');\ncreate table fixture_only (id int);\nselect lives_ok($$ select 1 $$, 'ok');\n" });
    assert.deepEqual([...cut.tables.keys()], ['public.users']);
  });

  test('ok: a file of sqlc queries (-- name: X :one) is parsed but not replayed: the queries run against the migrated database, before whose migrations the path order puts them', () => {
    const m = model({
      'internal/db/queries/users.sql': '-- name: GetUser :one\nSELECT * FROM app.users WHERE id = $1;\n\n-- name: DeleteUser :exec\nDELETE FROM app.users WHERE id = $1;\n',
      'internal/db/queries/temp.sql': '-- name: MakeScratch :exec\nCREATE TABLE scratch (id int);\n',
      'migrations/001_init.sql': 'CREATE SCHEMA app;\nCREATE TABLE app.users (id int PRIMARY KEY);\n',
    });
    assert.deepEqual([...m.tables.keys()], ['app.users']);
    // (a migration with a comment naming something is one)
    const named = model({ 'db/1.sql': '-- name: users table\nCREATE TABLE users (id int);\n' });
    assert.deepEqual([...named.tables.keys()], ['public.users']);
  });

  test('ok: a copy of a migration (same name and text in another folder: a Docker build context, a backup) is not replayed; a file of the same name with other text is', () => {
    const users = 'CREATE TABLE users (id int PRIMARY KEY);\nCREATE POLICY own ON users USING (id = 1);\n';
    const rls = 'ALTER TABLE users ENABLE ROW LEVEL SECURITY;\n';
    const later = 'ALTER POLICY own ON users USING (id = 2);\n';
    const m = model({
      'docker/migrations/db/20210101_users.sql': users,
      'docker/migrations/db/20210102_rls.sql': rls,
      'docker/migrations/db/20210103_later.sql': later,
      'packages/migrations/db/20210101_users.sql': users,
      'packages/migrations/db/20210102_rls.sql': rls,
      'packages/migrations/db/20210103_later.sql': later,
    });
    // the copies would re-create users after the last ALTER POLICY: the original's state stays
    assert.equal(m.tables.get('public.users')?.created?.file, 'docker/migrations/db/20210101_users.sql');
    assert.ok(m.tables.get('public.users')?.rlsEnabled);
    assert.deepEqual(m.policies.map((p) => [p.name, p.loc.file]), [['own', 'docker/migrations/db/20210103_later.sql']]);
    // the copy kept is the one in the folder with the most files (a backup of part of the history sorts first)
    const backup = model({
      'backups/2025/migrations_backup/20210101_users.sql': users,
      'backups/2025/migrations_backup/20210102_rls.sql': rls,
      'supabase/migrations/20210101_users.sql': users,
      'supabase/migrations/20210102_rls.sql': rls,
      'supabase/migrations/20210103_later.sql': later,
    });
    assert.equal(backup.tables.get('public.users')?.created?.file, 'supabase/migrations/20210101_users.sql');
    assert.equal(backup.files.length, 5);
    assert.ok(backup.statements.length > 0 && backup.statements.every((x) => !x.file.file.startsWith('backups/')), 'the backup copies are not replayed');
    // a file the Supabase CLI skips with the text of one it applies (chess-map-frontend's 20250927T130500_fix.sql): a copy, not replayed where its name sorts
    const fix = 'CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;\n';
    const skipped = model({
      'supabase/migrations/20250927130500_fix.sql': fix,
      'supabase/migrations/20250927173000_later.sql': 'CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 2 $$;\n',
      'supabase/migrations/20250927T130500_fix.sql': fix,
    });
    assert.deepEqual(skipped.functions.get('public.f')!.map((x) => x.created.file), ['supabase/migrations/20250927173000_later.sql']);
    // (one with other text is replayed where it sorts)
    const differs = model({ 'supabase/migrations/20250927130500_fix.sql': fix, 'supabase/migrations/20250927T130500_fix.sql': fix.replace('SELECT 1', 'SELECT 3') });
    assert.deepEqual(differs.functions.get('public.f')!.map((x) => x.created.file), ['supabase/migrations/20250927T130500_fix.sql']);
    // (one file of a fixed name written again, Prisma's migration.sql re-adding a column, is no copy)
    const prisma = model({
      'prisma/migrations/20240101_init/migration.sql': 'CREATE TABLE items (id int);',
      'prisma/migrations/20240102_add/migration.sql': 'ALTER TABLE items ADD COLUMN owner text;',
      'prisma/migrations/20240103_drop/migration.sql': 'ALTER TABLE items DROP COLUMN owner;',
      'prisma/migrations/20240104_readd/migration.sql': 'ALTER TABLE items ADD COLUMN owner text;',
    });
    assert.deepEqual(prisma.tables.get('public.items')?.columns, ['id', 'owner']);
    // (another text under the same name is a migration of its own)
    const other = model({ 'a/1_users.sql': users, 'b/1_users.sql': `${users}-- changed\n` });
    assert.equal(other.tables.get('public.users')?.created?.file, 'b/1_users.sql');
  });

  test("ok: sqitch deploy scripts run after the changes their `-- requires:` header names (a column after its table, which the path order puts first); its extension bundle is a snapshot", () => {
    const deploy = (change: string, requires: string[], sql: string) => ({
      file: `pkg/deploy/${change}.sql`,
      text: `-- Deploy: ${change} to pg\n-- « made » 日本語 😀\n\n${requires.map((r) => `-- requires: ${r}\n`).join('')}\nBEGIN;\n${sql}\nCOMMIT;\n`,
    });
    const files = [
      deploy('schemas/app/tables/users/columns/name/column', ['schemas/app/schema', 'schemas/app/tables/users/table'], 'ALTER TABLE app.users ADD COLUMN name text;'),
      deploy('schemas/app/tables/users/policies/enable_row_level_security', ['schemas/app/tables/users/table'], 'ALTER TABLE app.users ENABLE ROW LEVEL SECURITY;'),
      deploy('schemas/app/tables/users/table', ['schemas/app/schema'], 'CREATE TABLE app.users (id int);'),
      deploy('schemas/app/schema', [], 'CREATE SCHEMA app;'),
      // (another project's change, and a tag: not followed, nothing to wait for)
      deploy('schemas/app/tables/users/grants/select', ['jwt:schemas/jwt/schema', 'schemas/app/tables/users/table@v1.0'], 'GRANT SELECT ON app.users TO PUBLIC;'),
      { file: 'pkg/revert/schemas/app/schema.sql', text: 'DROP SCHEMA app;' },
      { file: 'pkg/sql/app--0.0.1.sql', text: '\\echo Use "CREATE EXTENSION app" to load this file. \\quit\nCREATE SCHEMA app;\nCREATE TABLE app.users (id int, name text);\n' },
    ];
    assert.deepEqual(
      migrationOrder(files).map((f) => f.file.replace(/^pkg\//, '')),
      [
        'deploy/schemas/app/schema.sql',
        'deploy/schemas/app/tables/users/table.sql',
        'deploy/schemas/app/tables/users/columns/name/column.sql',
        'deploy/schemas/app/tables/users/grants/select.sql',
        'deploy/schemas/app/tables/users/policies/enable_row_level_security.sql',
        'revert/schemas/app/schema.sql',
        'sql/app--0.0.1.sql',
      ],
    );
    // (the grant's requirement of the table names a tag: it waits for the table all the same)
    const m = model(Object.fromEntries(files.map((f) => [f.file, f.text])));
    const users = m.tables.get('app.users');
    assert.equal(users?.created?.file, 'pkg/deploy/schemas/app/tables/users/table.sql');
    assert.equal(users?.rlsEnabled, true);
    assert.deepEqual(users?.columns, ['id', 'name']);
    // a cycle keeps the path order; without texts (file names only) the path order stays
    const cycle = [deploy('b', ['a'], 'SELECT 1;'), deploy('a', ['b'], 'SELECT 2;')];
    assert.deepEqual(migrationOrder(cycle).map((f) => f.file), ['pkg/deploy/a.sql', 'pkg/deploy/b.sql']);
    const byName = migrationOrder(files.map((f) => ({ file: f.file }))).map((f) => f.file);
    assert.ok(byName.indexOf('pkg/deploy/schemas/app/tables/users/columns/name/column.sql') < byName.indexOf('pkg/deploy/schemas/app/tables/users/table.sql'));
  });
  test('ok: a sqitch change reworked: its script as of a tag (deploy/x@v1.sql, the earlier version) runs before its current one (deploy/x.sql), which the path order puts first', () => {
    const files = [
      { file: 'deploy/views/admin.sql', text: 'DROP VIEW IF EXISTS admin; CREATE VIEW admin AS SELECT 2 AS v;' },
      { file: 'deploy/views/admin@v1.16.0.sql', text: 'CREATE VIEW admin AS SELECT 1 AS v;' },
      { file: 'deploy/tables/users.sql', text: 'CREATE TABLE users (id int);' },
    ];
    assert.deepEqual(migrationOrder(files).map((f) => f.file), ['deploy/tables/users.sql', 'deploy/views/admin@v1.16.0.sql', 'deploy/views/admin.sql']);
    // (the language server's ids are URIs, `@` written %40)
    const uris = files.map((f) => ({ ...f, file: `file:///p/${f.file.replace('@', '%40')}` }));
    assert.deepEqual(migrationOrder(uris).map((f) => f.file.slice(10)), ['deploy/tables/users.sql', 'deploy/views/admin%40v1.16.0.sql', 'deploy/views/admin.sql']);
  });
  test('ok: a marker inside a function body or string is no marker', () => {
    const m = model({
      '1.sql': `CREATE TABLE a (id int);
CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $$
-- migrate:down
SELECT 'x'
$$;
DROP TABLE a;`,
    });
    assert.equal(m.tables.has('public.a'), false);
  });
});

describe('CREATE TABLE IF NOT EXISTS', () => {
  test('ok: an existing table keeps its RLS state, policies and owner; a new one is created', () => {
    const m = model({
      '1.sql': `CREATE TABLE t (id int);
ALTER TABLE t ENABLE ROW LEVEL SECURITY;
CREATE POLICY p ON t USING (true);
ALTER TABLE t OWNER TO app_owner;`,
      '2.sql': `CREATE TABLE IF NOT EXISTS t (id int, x int);
CREATE TABLE IF NOT EXISTS u (id int);`,
    });
    const t = m.tables.get('public.t')!;
    assert.equal(t.rlsEnabled, true);
    assert.deepEqual(t.policies.map((p) => p.name), ['p']);
    assert.equal(t.owner?.role, 'app_owner');
    assert.equal(t.created.file, '1.sql');
    assert.ok(m.tables.has('public.u'));
  });

  test('ok: a CREATE TABLE in a DO block (under IF NOT EXISTS, or failing with 42P07 and its block with it) never replaces an existing table', () => {
    const m = model({
      '1.sql': `CREATE TABLE profiles (id uuid PRIMARY KEY);
ALTER TABLE profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY p ON profiles USING (true);`,
      '2.sql': `DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM information_schema.tables WHERE table_name = 'profiles') THEN
    CREATE TABLE profiles (id uuid PRIMARY KEY, name text);
  END IF;
  CREATE TABLE notes (id int);
END $$;`,
    });
    const t = m.tables.get('public.profiles')!;
    assert.equal(t.rlsEnabled, true);
    assert.deepEqual(t.policies.map((p) => p.name), ['p']);
    assert.equal(t.created.file, '1.sql');
    assert.equal(m.tables.get('public.notes')?.created.file, '2.sql');
  });

  test('ok: nor does a CREATE POLICY in a DO block replace a policy of its name (EXCEPTION WHEN duplicate_object, or IF NOT EXISTS … pg_policies)', () => {
    const m = model({
      '1.sql': `CREATE TABLE albums (id int, owner uuid);
ALTER TABLE albums ENABLE ROW LEVEL SECURITY;
CREATE POLICY albums_read ON albums FOR SELECT TO authenticated USING (owner = auth.uid());
CREATE POLICY storage_read ON storage.objects FOR SELECT TO authenticated USING (true);`,
      '2.sql': `DO $$ BEGIN
  CREATE POLICY albums_read ON albums FOR SELECT USING (true);
EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN
  CREATE POLICY storage_read ON storage.objects FOR SELECT USING (true);
  CREATE POLICY albums_write ON albums FOR INSERT TO authenticated WITH CHECK (owner = auth.uid());
EXCEPTION WHEN duplicate_object THEN NULL; END $$;`,
    });
    const t = m.tables.get('public.albums')!;
    assert.deepEqual(t.policies.map((p) => [p.name, p.roles.join(), p.created.file]), [['albums_read', 'authenticated', '1.sql'], ['albums_write', 'authenticated', '2.sql']]);
    assert.deepEqual(m.policies.filter((p) => p.table === 'storage.objects').map((p) => [p.roles.join(), p.created.file]), [['authenticated', '1.sql']]);
    assert.deepEqual(m.replacedPolicies, []);
  });
});

describe('transactions rolled back', () => {
  test('ok: what BEGIN … ROLLBACK and SAVEPOINT … ROLLBACK TO undo is not replayed (pgTAP tests); COMMIT keeps it', () => {
    const m = model({
      'supabase/migrations/1.sql': `BEGIN;
CREATE TABLE kept (id int);
SAVEPOINT s;
CREATE TABLE undone_to_savepoint (id int);
ROLLBACK TO SAVEPOINT s;
ALTER TABLE kept ENABLE ROW LEVEL SECURITY;
COMMIT;`,
      'supabase/tests/notes.test.sql': `begin;
select plan(1);
create table test_only (id int);
create policy p on kept using (true);
select * from finish();
rollback;`,
    });
    assert.deepEqual([...m.tables.keys()], ['public.kept']);
    assert.equal(m.tables.get('public.kept')!.rlsEnabled, true);
    assert.deepEqual(m.policies, []);
  });

  test('ok: a Supabase pgTAP file (supabase/tests/) is not replayed, even outside a transaction (its test helpers are not the schema)', () => {
    const m = model({
      'supabase/migrations/1.sql': 'CREATE TABLE notes (id int);',
      'supabase/tests/00_helpers.sql': 'CREATE SCHEMA tests;\nCREATE FUNCTION tests.create_supabase_user(name text) RETURNS uuid LANGUAGE sql SECURITY DEFINER AS $$ SELECT gen_random_uuid() $$;',
    });
    assert.deepEqual([...m.functions.keys()], []);
    assert.deepEqual([...m.tables.keys()], ['public.notes']);
  });
});

describe('psql includes (\\i, \\ir) replay the included file where it is included', () => {
  test('ok: an init.sql that includes tables, then policies: natural order would replay the policies first', () => {
    const m = model({
      'db/init.sql': "\\set ON_ERROR_STOP on\n\\ir schema/tables.sql\n\\ir 'schema/policies.sql'\nALTER TABLE docs FORCE ROW LEVEL SECURITY;",
      'db/schema/policies.sql': 'ALTER TABLE docs ENABLE ROW LEVEL SECURITY;\nCREATE POLICY docs_read ON docs FOR SELECT TO authenticated USING (true);',
      'db/schema/tables.sql': 'CREATE TABLE docs (id int);',
    });
    const t = m.tables.get('public.docs')!;
    assert.equal(t.rlsEnabled, true);
    assert.equal(t.rlsForced, true);
    assert.deepEqual(t.policies.map((p) => p.name), ['docs_read']);
    assert.deepEqual(m.statements.map((s) => s.file.file), ['db/schema/tables.sql', 'db/schema/policies.sql', 'db/schema/policies.sql', 'db/init.sql']);
  });
  test('ok: \\i resolves from the including folder or an ancestor (psql working directory); URIs; unknown targets and cycles are ignored', () => {
    const m = model({
      'file:///w/sql/all.sql': "\\i 'sql/b c.sql'\n\\i missing.sql\n\\include sql/a.sql",
      'file:///w/sql/a.sql': "\\ir all.sql\nALTER TABLE t ENABLE ROW LEVEL SECURITY;",
      'file:///w/sql/b%20c.sql': 'CREATE TABLE t (id int);',
    });
    assert.equal(m.tables.get('public.t')?.rlsEnabled, true);
    assert.deepEqual(m.statements.map((s) => s.file.file.replace('file:///w/sql/', '')), ['b%20c.sql', 'a.sql']);
  });
  test('ok: psql drops the semicolons that end an unquoted file name (`\\ir tables/init.sql;`, as in DBA-style init scripts)', () => {
    const m = model({
      'db/init.sql': '\\ir tables/init.sql;\n\\i db/policies.sql;;\n',
      'db/policies.sql': 'CREATE POLICY docs_read ON docs FOR SELECT TO authenticated USING (true);',
      'db/tables/init.sql': 'CREATE TABLE docs (id int);',
    });
    assert.deepEqual(m.tables.get('public.docs')?.policies.map((p) => p.name), ['docs_read']);
    assert.deepEqual(m.statements.map((s) => s.file.file), ['db/tables/init.sql', 'db/policies.sql']);
  });
});

describe('psql includes inside a rollback section', () => {
  test('ok: are not followed (migrating up never runs them)', () => {
    const m = model({
      'db/a_drop.sql': 'DROP TABLE t;',
      'db/b_up_down.sql': '-- migrate:up\nCREATE TABLE t (id int);\n-- migrate:down\n\\ir a_drop.sql',
    });
    // followed, a_drop.sql would run after the CREATE and drop t; not followed, it runs first, in path order
    assert.ok(m.tables.has('public.t'));
    assert.deepEqual(m.statements.map((s) => s.file.file), ['db/a_drop.sql', 'db/b_up_down.sql']);
  });
});

describe('SET search_path during the replay', () => {
  test('ok: unqualified names go to the first schema of the path (creation) or the first that has them (lookup); a new session starts over', () => {
    const m = model({
      '1_app.sql': `CREATE SCHEMA data;
CREATE TABLE public.accounts (id int);
SET search_path TO data, public;
CREATE TABLE todo (id int, owner int);
ALTER TABLE todo ENABLE ROW LEVEL SECURITY;
CREATE POLICY todo_owner ON todo FOR SELECT TO authenticated USING (owner = 1);
ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON todo TO authenticated;`,
      '2_more.sql': `CREATE TABLE notes (id int);
SET SCHEMA 'data';
CREATE TABLE items (id int);
RESET search_path;
CREATE TABLE other (id int);`,
    });
    const todo = m.tables.get('data.todo')!;
    assert.equal(todo.rlsEnabled, true);
    assert.deepEqual(todo.policies.map((p) => p.name), ['todo_owner']);
    assert.ok(todo.grants.get('authenticated')?.has('select'));
    assert.equal(m.tables.get('public.accounts')?.rlsEnabled, true);
    assert.ok(!m.tables.has('public.todo'));
    assert.ok(m.tables.has('public.notes'), 'a new file is a new session');
    assert.ok(m.tables.has('data.items'));
    assert.ok(m.tables.has('public.other'));
    assert.equal(m.key(['todo']), 'public.todo', 'after the replay: the default schema');
  });
});

describe('policies on tables the workspace does not create', () => {
  test('ok: a CREATE POLICY of a name the table already has replaces it, as on a created table (the first was dropped where the model cannot see, e.g. by a function executing DROP POLICY)', () => {
    const m = model({
      '1.sql': `CREATE POLICY public_view ON dokumenty FOR SELECT TO member;
CREATE POLICY admin_all ON storage.objects TO administrator USING (true);`,
      '2.sql': `SELECT app_private.drop_policies('public.dokumenty');
CREATE POLICY public_view ON dokumenty FOR SELECT TO member USING (true);
CREATE POLICY public_view ON other FOR SELECT TO member USING (true);`,
    });
    const views = m.policies.filter((p) => p.name === 'public_view');
    assert.deepEqual(views.map((p) => [p.table, p.loc.file]), [['public.dokumenty', '2.sql'], ['public.other', '2.sql']]);
    assert.ok(views[0]!.using, 'the later one, with its USING');
    assert.equal(m.policies.filter((p) => p.name === 'admin_all').length, 1);
  });
});

describe('function identity', () => {
  test('ok: an argument type of the default schema is the same type with or without it: CREATE OR REPLACE of f(public.job) replaces f(job), and REVOKE … f(public.job) names it', () => {
    const m = model({
      '1.sql': `CREATE TYPE job AS (id int);
CREATE FUNCTION run(j job) RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$ SELECT $$;`,
      '2.sql': `CREATE OR REPLACE FUNCTION run(j public.job) RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$ SELECT 1 $$;
REVOKE EXECUTE ON FUNCTION public.run(public.job) FROM PUBLIC;`,
    });
    const fs = m.functions.get('public.run') ?? [];
    assert.equal(fs.length, 1);
    assert.equal(fs[0]!.signature, 'public.run(job)');
    assert.equal(fs[0]!.created.file, '2.sql');
    assert.equal(fs[0]!.publicExecute, false);
  });

  test('ok: a type of another schema stays qualified: f(app.job) and f(job) are two functions', () => {
    const m = model({ '1.sql': `CREATE FUNCTION run(j job) RETURNS void LANGUAGE sql AS $$ SELECT $$;\nCREATE FUNCTION run(j app.job) RETURNS void LANGUAGE sql AS $$ SELECT $$;` });
    assert.deepEqual((m.functions.get('public.run') ?? []).map((f) => f.signature).sort(), ['public.run(app.job)', 'public.run(job)']);
  });
});

describe('ALTER … SET SCHEMA', () => {
  test('ok: a table moved keeps its policies, grants and triggers under its new key; the old name is free for a new table; a view and a function move too', () => {
    const m = model({
      '1.sql': `CREATE SCHEMA private;
        CREATE TABLE notes (id int, owner text);
        ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
        CREATE POLICY notes_own ON notes USING (owner = current_user);
        GRANT SELECT ON notes TO app;
        CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
        CREATE TRIGGER notes_touch BEFORE UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION touch();
        CREATE VIEW note_list AS SELECT id FROM notes;`,
      '2.sql': `ALTER TABLE IF EXISTS public.notes SET SCHEMA private;
        ALTER VIEW note_list SET SCHEMA private;
        ALTER FUNCTION touch() SET SCHEMA private;
        CREATE TABLE notes (id int);`,
    });
    const t = m.tables.get('private.notes')!;
    assert.deepEqual([t.schema, t.name, t.rlsEnabled], ['private', 'notes', true]);
    assert.deepEqual(t.policies.map((p) => [p.name, p.table]), [['notes_own', 'private.notes']]);
    assert.deepEqual(t.triggers.map((x) => x.table), ['private.notes']);
    assert.ok(t.grants.get('app')?.has('select'));
    // (the new public.notes: another table, without RLS, and not a re-creation of the first)
    assert.equal(m.tables.get('public.notes')?.rlsEnabled, false);
    assert.ok(m.views.has('private.note_list') && !m.views.has('public.note_list'));
    assert.deepEqual(m.functions.get('private.touch')?.map((f) => f.signature), ['private.touch()']);
    assert.equal(m.functions.get('public.touch'), undefined);
    // (the trigger runs the moved function)
    assert.deepEqual(m.triggers.map((x) => [x.name, x.func]), [['notes_touch', 'private.touch']]);
  });
});

describe('ALTER ROLE … RENAME TO', () => {
  test("ok: the renamed role keeps what the old name held (PostgreSQL keeps a role by OID): its policies, grants, default privileges, ownership, EXECUTE and memberships; the old name is no role afterwards (GitGazer's gitgazer_user, renamed gitgazer_writer)", () => {
    const m = model({
      '1.sql': `CREATE SCHEMA app;
        CREATE ROLE app_user NOLOGIN;
        CREATE ROLE app_login LOGIN;
        GRANT app_user TO app_login;
        GRANT USAGE ON SCHEMA app TO app_user;
        ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT, INSERT ON TABLES TO app_user;
        CREATE TABLE app.events (tenant text, id int);
        CREATE TABLE app.owned (id int);
        ALTER TABLE app.owned OWNER TO app_user;
        ALTER TABLE app.events ENABLE ROW LEVEL SECURITY;
        CREATE POLICY tenant ON app.events TO app_user, anon USING (tenant = current_setting('app.tenant', true));
        CREATE FUNCTION app.f() RETURNS int LANGUAGE sql AS 'SELECT 1';
        GRANT EXECUTE ON FUNCTION app.f() TO app_user;`,
      '2.sql': `ALTER ROLE app_user RENAME TO app_writer;
        CREATE TABLE app.later (id int);`,
    });
    assert.ok(m.roles.has('app_writer') && !m.roles.has('app_user'));
    const t = m.tables.get('app.events')!;
    assert.deepEqual(t.policies.map((p) => p.roles), [['app_writer', 'anon']]);
    assert.deepEqual([...t.grants.keys()], ['app_writer']);
    assert.deepEqual([...t.grants.get('app_writer')!].sort(), ['insert', 'select']);
    assert.equal(m.tables.get('app.owned')!.owner?.role, 'app_writer');
    // (the default privileges set for app_user reach a table made after the rename: granted to app_writer)
    assert.deepEqual([...m.tables.get('app.later')!.grants.keys()], ['app_writer']);
    assert.deepEqual([...m.functions.get('app.f')![0]!.executeGrants], ['app_writer']);
    assert.ok(m.grantEvents.every((g) => !g.grantees.includes('app_user')));
    assert.ok(groupsOf(m, 'app_login')?.has('app_writer'));
    assert.deepEqual([...(roleMembers(m).get('app_writer') ?? [])], ['app_login']);
    assert.equal(roleMembers(m).get('app_user'), undefined);
  });

  test('ok: a role made again under the old name after the rename is another role; a name used before the rename is the renamed one', () => {
    const m = model({
      '1.sql': `CREATE ROLE a NOLOGIN; CREATE ROLE login1 LOGIN; GRANT a TO login1;
        CREATE TABLE t (id int); GRANT SELECT ON t TO a;
        ALTER USER a RENAME TO b;
        CREATE ROLE a NOLOGIN; CREATE ROLE login2 LOGIN; GRANT a TO login2;
        GRANT DELETE ON t TO a;`,
    });
    const t = m.tables.get('public.t')!;
    assert.deepEqual([...t.grants.get('b')!], ['select']);
    assert.deepEqual([...t.grants.get('a')!], ['delete']);
    assert.deepEqual([...(roleMembers(m).get('b') ?? [])], ['login1']);
    assert.deepEqual([...(roleMembers(m).get('a') ?? [])], ['login2']);
    assert.ok(groupsOf(m, 'login1')?.has('b') && !groupsOf(m, 'login1')?.has('a'));
  });
});

describe('triggers', () => {
  test("ok: a trigger keeps the transition tables its REFERENCING clause declares (names as parsed), also once its table is renamed or moved", () => {
    const m = model({
      '1.sql': `CREATE TABLE public.items (id int);
        CREATE FUNCTION public.f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
        CREATE TRIGGER a AFTER UPDATE ON public.items REFERENCING OLD TABLE AS Old_Rows NEW TABLE AS "New Rows" FOR EACH STATEMENT EXECUTE FUNCTION public.f();
        CREATE TRIGGER b AFTER INSERT ON public.items FOR EACH ROW EXECUTE FUNCTION public.f();
        CREATE SCHEMA app;
        ALTER TABLE public.items SET SCHEMA app;`,
    });
    assert.deepEqual(m.triggers.map((t) => [t.name, t.table, [...t.transitionTables]]), [['a', 'app.items', ['old_rows', 'New Rows']], ['b', 'app.items', []]]);
    assert.deepEqual(m.tables.get('app.items')!.triggers.map((t) => [t.name, [...t.transitionTables]]), [['a', ['old_rows', 'New Rows']], ['b', []]]);
  });
});

describe('SET SESSION AUTHORIZATION', () => {
  test('ok: like SET ROLE, what is created after it is owned by that role, until RESET (PostgreSQL regression tests switch users so)', () => {
    const m = model({
      '1.sql': `CREATE TABLE a (id int);
SET SESSION AUTHORIZATION regress_rls_bob;
CREATE TABLE b (id int);
CREATE VIEW v AS SELECT * FROM b;
RESET SESSION AUTHORIZATION;
CREATE TABLE c (id int);`,
    });
    assert.equal(m.tables.get('public.a')!.owner, undefined);
    assert.equal(m.tables.get('public.b')!.owner?.role, 'regress_rls_bob');
    assert.equal(m.views.get('public.v')!.owner?.role, 'regress_rls_bob');
    assert.equal(m.tables.get('public.c')!.owner, undefined);
  });
});

describe('function bodies: TRUNCATE apart, system catalogs in pg_catalog', () => {
  test('ok: a TRUNCATE (static, or a constant EXECUTE) is in Func.truncates, not in writes or reads; a table the body also writes rows of is in both', () => {
    const m = model({
      'a.sql': `CREATE TABLE users (id int PRIMARY KEY); CREATE TABLE sessions (id int, user_id int REFERENCES users); CREATE TABLE logs (x text);
CREATE FUNCTION purge() RETURNS void LANGUAGE plpgsql SECURITY DEFINER AS $$ BEGIN TRUNCATE users CASCADE; INSERT INTO logs VALUES ('purged'); TRUNCATE logs; END $$;
CREATE FUNCTION purge_dyn() RETURNS void LANGUAGE plpgsql SECURITY DEFINER AS $$ BEGIN EXECUTE 'TRUNCATE TABLE public.sessions CASCADE'; EXECUTE 'TRUNCATE ' || quote_ident('users'); END $$;
CREATE FUNCTION app_purge() RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = app, pg_temp AS $$ TRUNCATE devices $$;`,
    });
    const f = m.findFunction(['purge'])!;
    assert.deepEqual([...f.truncates].sort(), ['public.logs', 'public.users']);
    assert.deepEqual([...f.writes], ['public.logs']);
    assert.deepEqual([...f.reads], []);
    const d = m.findFunction(['purge_dyn'])!;
    assert.deepEqual([...d.truncates], ['public.sessions'], 'a table name built at run time is not known');
    assert.deepEqual([...d.writes], []);
    assert.deepEqual([...m.findFunction(['app_purge'])!.truncates], ['app.devices'], "the function's own search_path");
  });

  test("ok: a function's EXECUTE of one string constant reads and writes what its SQL does (restaurant-copilot's Vault read behind to_regclass); one built at run time, or format()'s, is not known", () => {
    const m = model({
      'a.sql': `CREATE TABLE items (id int); CREATE TABLE audit (id int); CREATE SCHEMA app; CREATE TABLE app.notes (id int);
CREATE FUNCTION k() RETURNS text LANGUAGE plpgsql SECURITY DEFINER AS $$ DECLARE v text; BEGIN EXECUTE 'SELECT decrypted_secret FROM vault.decrypted_secrets WHERE name = $1' INTO v USING 'x'; RETURN v; END $$;
CREATE FUNCTION w(i int) RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'DELETE FROM public.items WHERE id = $1' USING i; EXECUTE 'INSERT INTO audit SELECT id FROM items'; END $$;
CREATE FUNCTION sp() RETURNS void LANGUAGE plpgsql SET search_path = app, pg_temp AS $$ BEGIN EXECUTE 'SELECT count(*) FROM notes'; END $$;
CREATE FUNCTION built(t text) RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'SELECT count(*) FROM ' || quote_ident(t); EXECUTE format('SELECT count(*) FROM %I', t); END $$;`,
    });
    assert.deepEqual([...m.findFunction(['k'])!.reads], ['vault.decrypted_secrets']);
    const w = m.findFunction(['w'])!;
    assert.deepEqual([...w.writes].sort(), ['public.audit', 'public.items']);
    assert.deepEqual([...w.reads].sort(), ['public.items'], 'the DELETE reads the rows it removes; the INSERT … SELECT reads items');
    assert.deepEqual([...m.findFunction(['sp'])!.reads], ['app.notes'], "the function's own search_path");
    const b = m.findFunction(['built'])!;
    assert.deepEqual([...b.reads, ...b.writes], []);
  });

  test("ok: Model.funcRelKey gives a body's relation names as the function resolves them (Func.relKeys): under SET search_path = app the INSERT, UPDATE (in a WITH), DELETE targets and the read are app's, a qualified name and a function without the clause keep Model.key's; a body with no such name notes none", () => {
    const text = `CREATE SCHEMA app; CREATE TABLE app.audit (id int); CREATE TABLE public.audit (id int); CREATE TABLE app.items (id int); CREATE TABLE public.items (id int);
CREATE FUNCTION p() RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = app, pg_temp AS $$ BEGIN INSERT INTO audit SELECT id FROM items; WITH u AS (UPDATE audit SET id = 2 RETURNING id) DELETE FROM public.audit WHERE id IN (SELECT id FROM u); END $$;
CREATE FUNCTION q() RETURNS void LANGUAGE sql AS $$ DELETE FROM audit $$;`;
    const m = model({ 'a.sql': text });
    const p = m.findFunction(['public', 'p'])!;
    const rvs: Array<{ node: object; name: string; schema?: string }> = [];
    for (const s of p.body!.statements) {
      const visit = (n: unknown): void => {
        if (!n || typeof n !== 'object') return;
        for (const [k, v] of Object.entries(n as Record<string, unknown>)) {
          if ((k === 'RangeVar' || k === 'relation') && v && typeof v === 'object' && 'relname' in v) rvs.push({ node: v, name: String((v as { relname: string }).relname), schema: (v as { schemaname?: string }).schemaname });
          else visit(v);
        }
      };
      visit(s.node);
    }
    assert.deepEqual(
      rvs.map((r) => `${r.schema ?? ''}.${r.name} → ${m.funcRelKey(p, r.node)}`).sort(),
      ['.audit → app.audit', '.audit → app.audit', '.items → app.items', '.u → public.u', 'public.audit → public.audit'].sort(),
    );
    assert.deepEqual([...p.writes].sort(), ['app.audit', 'public.audit']);
    const q = m.findFunction(['public', 'q'])!;
    assert.equal(q.relKeys.size, 0);
    assert.equal(m.funcRelKey(q, q.body!.statements[0]!.node.relation), 'public.audit');
  });

  test("ok: Func.truncations records each TRUNCATE once, in source order (an EXECUTE's among the statements): its tables resolved with the function's own search_path, CASCADE, where it is; Func.truncates is their keys", () => {
    const text = `CREATE SCHEMA app; CREATE TABLE app.audit (id int); CREATE TABLE public.audit (id int); CREATE TABLE public.b (id int);
CREATE FUNCTION p() RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = app AS $$ BEGIN EXECUTE 'TRUNCATE public.b CASCADE'; TRUNCATE audit, public.audit; END $$;`;
    const m = model({ 'a.sql': text });
    const f = m.findFunction(['public', 'p'])!;
    const at = (l: { start: number; end: number }) => text.slice(l.start, l.end);
    assert.deepEqual(
      f.truncations.map((t) => ({ keys: t.keys, cascade: t.cascade, text: at(t.loc), file: t.loc.file, stmt: t.stmt?.kind })),
      [
        { keys: ['public.b'], cascade: true, text: "'TRUNCATE public.b CASCADE'", file: 'a.sql', stmt: undefined },
        { keys: ['app.audit', 'public.audit'], cascade: false, text: 'TRUNCATE audit, public.audit', file: 'a.sql', stmt: 'TruncateStmt' },
      ],
    );
    assert.equal(f.truncations[1]!.stmt, f.body!.statements.find((s) => s.kind === 'TruncateStmt'));
    assert.deepEqual([...f.truncates], ['public.b', 'app.audit', 'public.audit']);
  });

  test("ok: an unqualified system catalog or view read in a body is pg_catalog's (searched first), also where the workspace makes public.pg_class; a public.pg_jobs of its own stays public's", () => {
    const m = model({
      'a.sql': `CREATE TABLE public.pg_class (secret text); CREATE TABLE public.pg_jobs (id int);
CREATE FUNCTION cat() RETURNS bigint LANGUAGE sql SECURITY DEFINER AS $$ SELECT count(*) FROM pg_class JOIN pg_policies ON true JOIN pg_roles ON true JOIN pg_jobs ON true $$;
CREATE FUNCTION cat_empty() RETURNS bigint LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$ SELECT count(*) FROM pg_class $$;
CREATE FUNCTION cat_own() RETURNS bigint LANGUAGE sql SECURITY DEFINER SET search_path = app, pg_temp AS $$ SELECT count(*) FROM pg_tables $$;
CREATE FUNCTION cat_qualified() RETURNS bigint LANGUAGE sql SECURITY DEFINER AS $$ SELECT count(*) FROM public.pg_class $$;`,
    });
    assert.deepEqual([...m.findFunction(['cat'])!.reads].sort(), ['pg_catalog.pg_class', 'pg_catalog.pg_policies', 'pg_catalog.pg_roles', 'public.pg_jobs']);
    assert.deepEqual([...m.findFunction(['cat_empty'])!.reads], ['pg_catalog.pg_class']);
    assert.deepEqual([...m.findFunction(['cat_own'])!.reads], ['pg_catalog.pg_tables']);
    assert.deepEqual([...m.findFunction(['cat_qualified'])!.reads], ['public.pg_class']);
  });

  test("ok: under a session search_path listing pg_catalog after public (as pg_dump once wrote), a public.pg_class the migrations make is the one read, pg_catalog's otherwise; also when an edit adds or removes it", () => {
    const fn = `SET search_path = public, pg_catalog;\nCREATE FUNCTION cat() RETURNS bigint LANGUAGE sql SECURITY DEFINER AS $$ SELECT count(*) FROM pg_class $$;\n`;
    assert.deepEqual([...model({ 'b.sql': fn }).findFunction(['cat'])!.reads], ['pg_catalog.pg_class']);
    assert.deepEqual([...model({ 'a.sql': 'CREATE TABLE public.pg_class (secret text);', 'b.sql': fn }).findFunction(['cat'])!.reads], ['public.pg_class']);
    // (pg_catalog listed first, or in the function's own path: pg_catalog's)
    assert.deepEqual([...model({ 'a.sql': 'CREATE TABLE public.pg_class (secret text);', 'b.sql': fn.replace('public, pg_catalog', 'pg_catalog, public') }).findFunction(['cat'])!.reads], ['pg_catalog.pg_class']);
    const ws = new Workspace();
    ws.setFile('b.sql', fn);
    assert.deepEqual([...ws.lint().model.findFunction(['cat'])!.reads], ['pg_catalog.pg_class']);
    ws.setFile('a.sql', 'CREATE TABLE public.pg_class (secret text);');
    assert.deepEqual([...ws.lint().model.findFunction(['cat'])!.reads], ['public.pg_class'], 'the prototype is not reused: the name resolves otherwise');
    ws.setFile('a.sql', 'CREATE TABLE public.other (secret text);');
    assert.deepEqual([...ws.lint().model.findFunction(['cat'])!.reads], ['pg_catalog.pg_class']);
  });
});

// Calibration cal196 (usebasejump/supabase-test-helpers): an extension's folder holds a script per
// version (supabase_test_helpers--0.0.1.sql … --0.0.6.sql) and update scripts (--0.0.4--0.0.5.sql):
// alternatives, of which CREATE EXTENSION runs one. Replayed in path order, each version ran over
// the last and every finding was reported once per version (16 findings on 11 files, 8 on the one run).
describe("an extension's version scripts", () => {
  test('ok: only the latest version is replayed (the others and the updates are not); without a script of its own, an earlier version and the fewest updates to it; one script alone stays; PGlite: CREATE EXTENSION runs just that', async () => {
    const ws = new Workspace();
    const script = (v: string, body: string) => ws.setFile(`ext/helpers--${v}.sql`, body);
    script('1.0', 'CREATE SCHEMA IF NOT EXISTS tests;\nCREATE FUNCTION tests.v() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;\nCREATE TABLE tests.v1_only (id int);\n');
    script('1.0--2.0', 'CREATE TABLE tests.upd (id int);\n');
    script('2.0', 'CREATE SCHEMA IF NOT EXISTS tests;\nCREATE OR REPLACE FUNCTION tests.v() RETURNS int LANGUAGE sql AS $$ SELECT 2 $$;\n');
    ws.setFile('ext/other--1.0.sql', 'CREATE TABLE other_t (id int);\n');
    ws.lint();
    const reason = (f: string) => notReplayedReason(ws.parsed(f)!);
    assert.match(reason('ext/helpers--1.0.sql') ?? '', /of an extension's other versions .*CREATE EXTENSION runs the script of the latest version/);
    assert.ok(reason('ext/helpers--1.0--2.0.sql'));
    assert.equal(reason('ext/helpers--2.0.sql'), undefined);
    assert.equal(reason('ext/other--1.0.sql'), undefined, 'an extension with one script: replayed');
    assert.deepEqual(extensionVersionScripts(['e/x--1.0.sql', 'e/x--1.0--1.1.sql', 'e/x--1.1--1.2.sql', 'e/x--0.9.sql', 'e/x--0.9--1.2.sql']), ['e/x--1.0.sql', 'e/x--1.0--1.1.sql', 'e/x--1.1--1.2.sql'], 'no 1.2 script: 0.9 and its one update (fewer steps than 1.0, 1.1, 1.2)');
    assert.deepEqual(extensionVersionScripts(['e/x--1.9.sql', 'e/x--1.10.sql']), ['e/x--1.9.sql'], 'versions compared as numbers');
    assert.deepEqual(extensionVersionScripts(['db/2024-01-01--init.sql', 'db/2024-01-01--seed.sql', 'db/app--init.sql', 'db/app--seed.sql']), [], 'no extension: a name starting with a digit, or versions not');
    // (PGlite: files in its extension folder; default_version 2.0 runs helpers--2.0.sql alone; 1.1 without a script of its own, 1.0's then the update)
    const db = await getDb();
    const share = (await db.query<{ setting: string }>(`SELECT setting FROM pg_config WHERE name = 'SHAREDIR'`)).rows[0]!.setting;
    const FS = (db as unknown as { mod: { FS: { writeFile(p: string, s: string): void } } }).mod.FS;
    FS.writeFile(`${share}/extension/pgrls_cal196.control`, "default_version = '2.0'\nrelocatable = false\n");
    for (const v of ['1.0', '1.0--2.0', '2.0']) FS.writeFile(`${share}/extension/pgrls_cal196--${v}.sql`, ws.text(`ext/helpers--${v}.sql`)!);
    FS.writeFile(`${share}/extension/pgrls_cal196b.control`, "default_version = '1.1'\nrelocatable = false\n");
    FS.writeFile(`${share}/extension/pgrls_cal196b--1.0.sql`, 'CREATE TABLE b_base (id int);\n');
    FS.writeFile(`${share}/extension/pgrls_cal196b--1.0--1.1.sql`, 'CREATE TABLE b_upd (id int);\n');
    await inRollback(db, async (q) => {
      await q('CREATE EXTENSION pgrls_cal196; CREATE EXTENSION pgrls_cal196b');
      assert.deepEqual(await q(`SELECT tests.v() AS v, to_regclass('tests.v1_only') AS v1, to_regclass('tests.upd') AS upd, to_regclass('b_base') IS NOT NULL AS base, to_regclass('b_upd') IS NOT NULL AS upd_b`), [{ v: 2, v1: null, upd: null, base: true, upd_b: true }]);
    });
  });
});
