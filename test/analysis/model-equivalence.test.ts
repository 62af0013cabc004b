// The model rebuilt the way the engine rebuilds it — warm per-statement memos and ops, resumed
// from the state saved before the first changed file — is the model a cold replay from the
// start computes: on every doc example, the examples, a generated workspace and SQL written to
// reach every branch of the replay; again on the same parsed files, under another default
// schema, and after edits in a Workspace, where the states saved to resume from never change
// either. (When the replay was compiled into ops, it was also
// checked against the replay it replaced, then a frozen copy, on every model the suite built.)
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { mergeConfig, type Config } from '../../server/src/analysis/config.js';
import { buildModel, checkRedoWith, resumePointOf, type Model, type ResumePoint } from '../../server/src/analysis/model.js';
import { initParser, parseFile } from '../../server/src/analysis/parse.js';
import { Workspace } from '../../server/src/engine/workspace.js';
import { generateWorkspace } from '../../bench/generate.js';
import { DOCS_DIR, loadRuleDoc } from '../helpers/docs.js';
import { firstDifference, modelSnapshot } from '../helpers/model-snapshot.js';

before(async () => {
  await initParser();
  // every segment a rebuild redoes from its record is checked against its replay
  checkRedoWith((redone, replayed) => assert.deepStrictEqual(redone, replayed));
});

type Files = ReadonlyArray<{ file: string; text: string }>;

/** The reference: a cold replay from the start, on a parse of its own (no memo, no op, no resume). */
function reference(files: Files, config: Config): string {
  return modelSnapshot(buildModel(files.map((f) => parseFile(f.file, f.text)), config));
}

/**
 * A saved replay state as a model snapshot: its tables, views, functions, roles, triggers,
 * policies on tables not created, events and statements (the resolvers are the model's).
 */
function stateSnapshot(state: NonNullable<ResumePoint['saved']>['state'], model: Model, offsets = true): string {
  const s = state;
  const asModel = { tables: s.tables, views: s.views, functions: s.functions, roles: s.roles, triggers: s.triggers, policies: s.orphanPolicies, grantEvents: s.grantEvents, contextWrites: s.contextWrites, rlsEventsOfUncreatedTables: s.rlsEventsOfUncreatedTables, statements: s.statements, defaultTableGrants: s.defaultTableGrants, defaultExecuteRevoked: s.defaultExecuteRevoked, searchPath: s.searchPath, currentRole: s.currentRole };
  return modelSnapshot({ ...asModel, key: (p: string[]) => model.key(p), findFunction: () => undefined, allFunctions: () => [], roleBypassesRls: () => undefined } as unknown as Model, { offsets });
}

function assertSame(expected: string, actual: string, what: string) {
  const d = firstDifference(expected, actual);
  assert.ok(d === undefined, `${what}: models differ ${d}`);
}

/** Cold, then warm on the same parsed files, each against the reference. */
function check(files: Files, config: Config, what: string) {
  const expected = reference(files, config);
  const parsed = files.map((f) => parseFile(f.file, f.text));
  assertSame(expected, modelSnapshot(buildModel(parsed, config)), `${what} (cold)`);
  assertSame(expected, modelSnapshot(buildModel(parsed, config)), `${what} (warm)`);
  // the same statements under another default schema: memos keyed by it are not reused wrongly
  const other = mergeConfig({ ...config, defaultSchema: 'app' });
  assertSame(reference(files, other), modelSnapshot(buildModel(parsed, other)), `${what} (defaultSchema app)`);
  assertSame(expected, modelSnapshot(buildModel(parsed, config)), `${what} (back to the first config)`);
}

/** SQL that reaches every branch of the replay. */
export const TRICKY: Record<string, string> = {
  '001_roles.sql': `
    CREATE ROLE app_admin BYPASSRLS;
    CREATE ROLE app_user IN ROLE authenticated;
    CREATE ROLE boss SUPERUSER;
    ALTER ROLE app_user BYPASSRLS;
    ALTER ROLE app_user NOBYPASSRLS;
    ALTER ROLE ghost SUPERUSER;
    ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
    ALTER DEFAULT PRIVILEGES IN SCHEMA app REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
    ALTER DEFAULT PRIVILEGES IN SCHEMA app, api GRANT SELECT ON TABLES TO app_user;
    ALTER DEFAULT PRIVILEGES GRANT ALL ON TABLES TO app_admin;
    ALTER DEFAULT PRIVILEGES REVOKE INSERT ON TABLES FROM app_admin;
    SET app.tenant = 'x';
    SET LOCAL row_security = off;
    SELECT set_config('app.user', 'u', true), set_config('app.other', 'v', false), set_config('app.third', 'w');
  `,
  '002_tables.sql': `
    CREATE TABLE app.members (id uuid PRIMARY KEY, org_id uuid, user_id uuid UNIQUE, UNIQUE (org_id, user_id));
    CREATE TABLE IF NOT EXISTS app.members (other int);
    CREATE TABLE IF NOT EXISTS app.fresh (id int);
    CREATE INDEX members_user ON app.members (user_id);
    CREATE UNIQUE INDEX members_expr ON app.members (lower(org_id::text), user_id);
    ALTER TABLE app.members OWNER TO app_user;
    ALTER TABLE app.members ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
    ALTER TABLE app.members ADD COLUMN note text UNIQUE, ADD CONSTRAINT k UNIQUE (note, org_id);
    ALTER TABLE app.members DROP COLUMN note;
    ALTER TABLE app.members RENAME COLUMN org_id TO tenant_id;
    ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY;
    ALTER TABLE storage.objects FORCE ROW LEVEL SECURITY;
    ALTER TABLE storage.objects NO FORCE ROW LEVEL SECURITY;
    CREATE TABLE events (id int) PARTITION BY RANGE (id);
    CREATE TABLE events_1 PARTITION OF events FOR VALUES FROM (1) TO (10);
    CREATE TABLE events_2 (id int);
    ALTER TABLE events ATTACH PARTITION events_2 FOR VALUES FROM (10) TO (20);
    ALTER TABLE events DETACH PARTITION events_1;
    CREATE TABLE base (id int);
    CREATE TABLE child (x int) INHERITS (base);
    CREATE TABLE child2 (x int);
    ALTER TABLE child2 INHERIT base;
    ALTER TABLE child NO INHERIT base;
    CREATE TEMP TABLE scratch (id int);
    CREATE TABLE copy_of AS SELECT * FROM base;
    CREATE TABLE IF NOT EXISTS copy_of AS SELECT 1;
    CREATE MATERIALIZED VIEW mv AS SELECT * FROM app.members;
    CREATE TABLE old_name (id int);
    ALTER TABLE old_name ENABLE ROW LEVEL SECURITY;
    CREATE POLICY p_old ON old_name USING (true);
    CREATE TRIGGER tr_old BEFORE INSERT ON old_name FOR EACH ROW EXECUTE FUNCTION app.touch();
    CREATE TABLE kid (id int) INHERITS (old_name);
    ALTER TABLE old_name RENAME TO new_name;
    ALTER TABLE new_name DISABLE ROW LEVEL SECURITY;
    CREATE TABLE dropped (id int);
    CREATE POLICY p_dropped ON dropped USING (true);
    DROP TABLE dropped;
    DROP INDEX members_user;
    GRANT SELECT, INSERT ON app.members TO authenticated, app_user;
    GRANT ALL ON app.members TO PUBLIC;
    REVOKE INSERT ON app.members FROM authenticated;
    REVOKE ALL ON app.members FROM PUBLIC;
    GRANT SELECT ON ALL TABLES IN SCHEMA app, public TO anon;
    REVOKE SELECT ON ALL TABLES IN SCHEMA public FROM anon;
    GRANT USAGE ON SCHEMA app TO anon;
    GRANT USAGE ON SEQUENCE app.seq TO anon;
    GRANT app_user TO boss;
    GRANT SELECT ON missing_table TO anon;
  `,
  '003_views.sql': `
    CREATE VIEW v WITH (security_invoker = true) AS SELECT * FROM app.members m JOIN events e ON true;
    CREATE VIEW v2 AS SELECT * FROM events;
    ALTER VIEW v2 SET (security_invoker = on);
    ALTER VIEW v2 OWNER TO app_user;
    GRANT SELECT ON v2 TO anon;
    CREATE OR REPLACE VIEW v2 AS SELECT id FROM events;
    ALTER VIEW v RESET (security_invoker);
    CREATE VIEW v3 WITH (security_invoker = 'yes') AS WITH c AS (SELECT 1) SELECT * FROM c, base;
    ALTER VIEW v3 RENAME TO v4;
    ALTER MATERIALIZED VIEW mv RENAME TO mv2;
    CREATE VIEW gone AS SELECT 1;
    DROP VIEW gone;
    DROP MATERIALIZED VIEW IF EXISTS mv_nope;
    SET ROLE app_admin;
    CREATE TABLE owned (id int);
    CREATE VIEW owned_v AS SELECT * FROM owned;
    CREATE MATERIALIZED VIEW owned_mv AS SELECT * FROM owned;
    CREATE TABLE owned_as AS SELECT * FROM owned;
    CREATE FUNCTION owned_f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
    RESET ROLE;
    CREATE TABLE not_owned (id int);
  `,
  '004_functions.sql': `
    CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM set_config('app.inner', 'x', true);
      SET LOCAL app.inner2 = 'y';
      SET row_security = off;
      INSERT INTO app.audit (x) VALUES (1);
      UPDATE app.members SET user_id = NULL WHERE id IS NULL;
      DELETE FROM events WHERE id = 0;
      WITH d AS (DELETE FROM base RETURNING *) SELECT * FROM d;
      SELECT * INTO r FROM app.members;
      PERFORM app.helper(1), lower('x');
      RETURN NEW;
    END $$;
    CREATE FUNCTION app.helper(a int) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
      SET search_path = public, pg_temp SET app.x TO 'y' AS $$ SELECT true FROM app.members $$;
    CREATE FUNCTION app.helper(a text, b int DEFAULT 1, OUT c int) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT 1 $$;
    CREATE FUNCTION app.helper(VARIADIC a int[]) RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
    CREATE OR REPLACE FUNCTION app.helper(a int) RETURNS boolean LANGUAGE sql EXTERNAL SECURITY INVOKER AS $$ SELECT false $$;
    ALTER FUNCTION app.helper(int) SECURITY DEFINER SET search_path FROM CURRENT;
    ALTER FUNCTION app.helper(integer) RESET search_path;
    ALTER FUNCTION app.helper(int) SET work_mem = '1MB' SET app.y = 'z';
    ALTER FUNCTION app.helper(int) RESET ALL;
    ALTER FUNCTION app.helper VOLATILE;
    ALTER FUNCTION app.helper(text, int) OWNER TO app_admin;
    ALTER ROUTINE app.helper(int[]) OWNER TO boss;
    REVOKE EXECUTE ON FUNCTION app.helper(int) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION app.helper(int) TO authenticated, app_user;
    REVOKE ALL ON FUNCTION app.helper(int) FROM app_user;
    GRANT EXECUTE ON FUNCTION app.helper TO anon;
    GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA app TO PUBLIC;
    REVOKE EXECUTE ON ALL ROUTINES IN SCHEMA app FROM anon;
    GRANT EXECUTE ON PROCEDURE app.nope() TO anon;
    CREATE PROCEDURE app.proc() LANGUAGE plpgsql AS $$ BEGIN PERFORM set_config('app.p', '1', false); END $$;
    CREATE FUNCTION app.f1() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
    ALTER FUNCTION app.f1() RENAME TO f2;
    CREATE FUNCTION app.f2(int) RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
    DROP FUNCTION app.f2(int);
    DROP FUNCTION IF EXISTS app.f2;
    CREATE FUNCTION gone() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
    DROP FUNCTION gone();
    CREATE FUNCTION trg_fn() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;
    CREATE FUNCTION bad_body() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN (SELECT count(*) FROM nowhere WHERE; END $$;
    DO $$ BEGIN
      CREATE TABLE in_do (id int);
      ALTER TABLE in_do ENABLE ROW LEVEL SECURITY;
      PERFORM set_config('app.do', 'x', true);
    END $$;
  `,
  '005_policies.sql': `
    CREATE POLICY m_sel ON app.members FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
    CREATE POLICY m_all ON app.members AS RESTRICTIVE USING (true) WITH CHECK (false);
    CREATE POLICY "Quoted name" ON app.members FOR UPDATE TO PUBLIC, anon USING (true);
    CREATE POLICY m_sel ON app.members FOR DELETE USING (false);
    ALTER POLICY m_sel ON app.members TO authenticated, anon;
    ALTER POLICY m_all ON app.members USING (user_id IS NOT NULL) WITH CHECK (true);
    ALTER POLICY m_all ON app.members RENAME TO m_all2;
    DROP POLICY "Quoted name" ON app.members;
    CREATE POLICY s_read ON storage.objects FOR SELECT TO authenticated USING (bucket_id = 'x');
    CREATE POLICY s_gone ON storage.objects USING (true);
    ALTER POLICY s_read ON storage.objects TO anon USING (false);
    DROP POLICY s_gone ON storage.objects;
    CREATE POLICY on_new ON new_name FOR INSERT WITH CHECK (current_setting('app.tenant') = 'x');
    CREATE TRIGGER t1 AFTER INSERT ON app.members FOR EACH ROW EXECUTE PROCEDURE app.touch();
    CREATE TRIGGER t2 AFTER INSERT ON app.members FOR EACH ROW EXECUTE FUNCTION app.touch();
    DROP TRIGGER t2 ON app.members;
    CREATE TRIGGER t3 AFTER INSERT ON nowhere FOR EACH ROW EXECUTE FUNCTION app.touch();
    DROP TRIGGER t3 ON nowhere;
  `,
  '006_search_path.sql': `
    SET search_path TO api, app, public;
    CREATE TABLE members_shadow (id int);
    CREATE TABLE members (id int);
    CREATE POLICY p_sp ON members USING (true);
    ALTER TABLE members ENABLE ROW LEVEL SECURITY;
    GRANT SELECT ON members, members_shadow TO anon;
    CREATE FUNCTION sp_fn() RETURNS int LANGUAGE sql AS $$ SELECT count(*) FROM members $$;
    CREATE VIEW sp_v AS SELECT * FROM members JOIN members_shadow USING (id);
    CREATE INDEX ON members (id);
    CREATE TRIGGER sp_t BEFORE INSERT ON members FOR EACH ROW EXECUTE FUNCTION touch();
    REVOKE EXECUTE ON FUNCTION sp_fn() FROM PUBLIC;
    SET SCHEMA 'app';
    CREATE TABLE in_app (id int) INHERITS (base);
    RESET search_path;
    CREATE TABLE back_in_public (id int);
    SET search_path = "$user", pg_temp;
    CREATE TABLE dollar_user (id int);
    SET search_path TO DEFAULT;
  `,
  '007_psql.sql': `
    \\ir 008_included.sql
    CREATE TABLE after_include (id int);
    \\i sub/009_nested.sql
  `,
  '008_included.sql': `
    SET search_path TO inc;
    CREATE TABLE included_t (id int);
  `,
  'sub/009_nested.sql': `
    CREATE TABLE nested_t (id int);
  `,
  '010_both.sql': `
    -- migrate:up
    CREATE TABLE up_t (id int);
    -- migrate:down
    DROP TABLE up_t;
    DROP TABLE app.members;
  `,
  '011_x.down.sql': `DROP TABLE events;`,
  '012_renames.sql': `
    ALTER TABLE app.members RENAME TO people;
    ALTER TABLE nothing RENAME TO still_nothing;
    ALTER POLICY m_sel ON app.people RENAME TO m_sel2;
    ALTER VIEW nothing RENAME TO x;
    ALTER ROLE app_user RENAME TO app_user2;
    ALTER USER ghost2 RENAME TO ghost3;
    DROP TABLE IF EXISTS storage.objects;
    DROP POLICY IF EXISTS p_nope ON nowhere;
    ALTER TABLE events ALTER COLUMN id SET NOT NULL;
    ALTER DEFAULT PRIVILEGES FOR ROLE app_admin GRANT EXECUTE ON FUNCTIONS TO anon;
    CREATE TABLE after_defaults (id int);
    CREATE VIEW after_defaults_v AS SELECT 1;
    CREATE SCHEMA s;
    SET app.last TO DEFAULT;
  `,
};

describe('model equivalence: warm and under another schema, as a cold replay', () => {
  test('ok: every doc example', () => {
    let n = 0;
    for (const md of readdirSync(DOCS_DIR).filter((f) => f.endsWith('.md'))) {
      const doc = loadRuleDoc(md.replace(/\.md$/, ''));
      for (const ex of [...doc.invalid, ...doc.valid]) {
        check(ex.files, ex.config, `${md}:${ex.line}`);
        n++;
      }
    }
    assert.ok(n > 50, `only ${n} examples`);
  });

  test('ok: examples/migrations and the e2e fixture', () => {
    for (const dir of ['examples/migrations', 'test/e2e/fixtures/app']) {
      const files = readdirSync(dir).map((f) => ({ file: `${dir}/${f}`, text: readFileSync(join(dir, f), 'utf8') }));
      check(files, mergeConfig(), dir);
      check(files.map((f) => ({ ...f, file: f.file.replace(dir, 'supabase/migrations') })), mergeConfig(), `${dir} as supabase`);
    }
  });

  test('ok: the SQL that reaches every branch, with each config', () => {
    const files = Object.entries(TRICKY).map(([file, text]) => ({ file, text }));
    check(files, mergeConfig(), 'tricky');
    check(files, mergeConfig({ definerOwnerBypassesRls: 'true' }), 'tricky, definer owner bypasses');
    check(files.map((f) => ({ ...f, file: `supabase/migrations/${f.file}` })), mergeConfig(), 'tricky in supabase/migrations');
    // each file alone and with its neighbours
    for (let i = 0; i < files.length; i++) {
      check([files[i]!], mergeConfig(), `tricky ${files[i]!.file} alone`);
      check(files.slice(0, i + 1), mergeConfig(), `tricky up to ${files[i]!.file}`);
    }
  });

  test('ok: a generated workspace', () => {
    check(generateWorkspace(12, 300, 5, 600), mergeConfig(), 'generated');
  });
});

describe('model equivalence after edits', () => {
  /** Applies each edit to a Workspace and compares its model with the reference after each. */
  function replay(initial: Record<string, string>, edits: Array<[string, string | undefined]>, config = mergeConfig(), editing = false) {
    const ws = new Workspace(config, undefined, { editing });
    const texts = new Map(Object.entries(initial));
    for (const [f, t] of texts) ws.setFile(f, t);
    // every model built stays as it was, and every state saved to resume from (later builds share their objects)
    const built: Array<{ model: Model; snapshot: string }> = [];
    const saved: Array<{ state: NonNullable<ResumePoint['saved']>['state']; model: Model; snapshot: string }> = [];
    const compare = (what: string) => {
      const files = [...texts].map(([file, text]) => ({ file, text }));
      const model = ws.model();
      assertSame(reference(files, config), modelSnapshot(model), what);
      // (without the parse's offsets: an edit moves the statements after it where they are, see model-snapshot.ts)
      for (const b of built) assertSame(b.snapshot, modelSnapshot(b.model, { offsets: false }), `${what}: an earlier model changed`);
      for (const x of saved) assertSame(x.snapshot, stateSnapshot(x.state, x.model, false), `${what}: a saved state changed`);
      const snapshot = modelSnapshot(model, { offsets: false });
      built.push({ model, snapshot });
      if (built.length > 3) built.shift();
      const state = resumePointOf(model)?.saved?.state;
      if (state && !saved.some((x) => x.state === state)) saved.push({ state, model, snapshot: stateSnapshot(state, model, false) });
      if (saved.length > 3) saved.shift();
    };
    compare('initial');
    edits.forEach(([file, text], i) => {
      if (text === undefined) {
        texts.delete(file);
        ws.removeFile(file);
      } else {
        texts.set(file, text);
        ws.setFile(file, text);
      }
      compare(`edit ${i + 1} (${file})`);
    });
  }

  test('ok: tables, RLS, policies, functions, grants added and removed in earlier and later files', () => {
    const a = 'CREATE TABLE t (id int);\nCREATE TABLE u (id int);\n';
    const b = 'ALTER TABLE t ENABLE ROW LEVEL SECURITY;\nCREATE POLICY p ON t USING (true);\n';
    const c = 'CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT count(*) FROM t $$;\nGRANT SELECT ON t TO anon;\n';
    const d = 'ALTER TABLE u FORCE ROW LEVEL SECURITY;\nREVOKE EXECUTE ON FUNCTION f() FROM PUBLIC;\n';
    replay({ '1.sql': a, '2.sql': b, '3.sql': c, '4.sql': d }, [
      ['2.sql', `${b}ALTER TABLE u ENABLE ROW LEVEL SECURITY;\n`],
      ['1.sql', 'CREATE TABLE u (id int);\n'],
      ['1.sql', a],
      ['3.sql', `${c}CREATE POLICY p2 ON u USING (false);\n`],
      ['4.sql', `${d}DROP TABLE t;\n`],
      ['0.sql', 'CREATE TABLE t (other int);\n'],
      ['0.sql', undefined],
      ['3.sql', c.replace('f()', 'f(int)')],
      ['2.sql', `${b}CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 2 $$;\n`],
      ['4.sql', `SET ROLE app;\n${d}CREATE TABLE v (id int);\n`],
      ['2.sql', 'SET search_path TO app;\nCREATE TABLE t (id int);\n'],
      ['5.sql', 'CREATE POLICY q ON t USING (true);\nALTER POLICY p ON t RENAME TO p_old;\n'],
      ['1.sql', 'CREATE TABLE t (id int);\n'],
    ]);
  });

  test('ok: a table made LIKE another copies its columns, keys and indexes as they are where it is made, after edits of the source in an earlier file', () => {
    const a = 'CREATE TABLE tpl (id uuid PRIMARY KEY, org_id uuid);\nCREATE INDEX ON tpl (org_id);\n';
    const b = 'CREATE TABLE members (LIKE tpl INCLUDING ALL, extra int);\nCREATE TABLE plain (LIKE tpl);\nCREATE TABLE far (LIKE app.gone);\n';
    replay({ '1.sql': a, '2.sql': b }, [
      ['1.sql', a.replace('org_id uuid', 'tenant_id uuid').replace('(org_id)', '(tenant_id)')],
      ['1.sql', `${a}ALTER TABLE tpl ADD COLUMN user_id uuid;\n`],
      ['2.sql', `${b}ALTER TABLE tpl ADD COLUMN late int;\nCREATE TABLE later (LIKE tpl INCLUDING INDEXES);\n`],
      ['1.sql', 'CREATE TABLE tpl (only_this int);\n'],
      ['1.sql', a],
    ], mergeConfig(), true);
  });

  test('ok: a policy re-created on a table the workspace does not create replaces the earlier one, in earlier and later files', () => {
    const a = 'CREATE POLICY p ON storage.objects USING (false);\n';
    const b = "SELECT drop_policies('storage.objects');\nCREATE POLICY p ON storage.objects USING (true);\n";
    const c = 'CREATE POLICY q ON storage.objects USING (true);\n';
    replay({ '1.sql': a, '2.sql': b, '3.sql': c }, [
      ['3.sql', `${c}CREATE POLICY p ON storage.objects USING (1 = 1);\n`],
      ['1.sql', `${a}CREATE POLICY q ON storage.objects USING (false);\n`],
      ['2.sql', b.replace('(true)', '(2 = 2)')],
      ['1.sql', ''],
      ['1.sql', a],
    ], mergeConfig(), true);
  });

  test('ok: unchanged files after a search_path change earlier resolve their names anew', () => {
    const files: Record<string, string> = {
      '1.sql': 'CREATE TABLE app.t (id int);\n',
      '2.sql': 'SET search_path TO api, app;\nCREATE POLICY p ON t USING (true);\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT count(*) FROM t $$;\nCREATE VIEW v AS SELECT * FROM t;\nGRANT SELECT ON t TO anon;\nCREATE TABLE c (id int) INHERITS (t);\n',
    };
    replay(files, [
      ['1.sql', 'CREATE TABLE app.t (id int);\nCREATE TABLE api.t (id int);\n'],
      ['1.sql', 'CREATE TABLE app.t (id int);\n'],
      ['1.sql', ''],
      ['1.sql', 'CREATE TABLE api.t (id int);\n'],
    ]);
  });

  test('ok: repeated edits of a later file that change what earlier files created', () => {
    const early = `CREATE ROLE app_user;
CREATE TABLE t (id int PRIMARY KEY, owner_id uuid);
CREATE TABLE parent (id int);
CREATE TABLE kid (id int) INHERITS (parent);
CREATE INDEX t_owner ON t (owner_id);
CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql AS $$ SELECT a $$;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch();
CREATE VIEW v AS SELECT * FROM t;
GRANT SELECT ON v TO anon;
ALTER TABLE t ENABLE ROW LEVEL SECURITY;
CREATE POLICY p ON t TO app_user USING (owner_id IS NOT NULL);
CREATE POLICY s ON storage.objects USING (true);
GRANT SELECT ON t TO app_user;
`;
    const middle = 'CREATE TABLE m (id int);\nGRANT EXECUTE ON FUNCTION f(int) TO app_user;\n';
    // each variant changes other things (a mutation leaking into a saved state or an earlier model shows)
    const later = (variant: number) => `ALTER TABLE t ${variant % 2 ? 'FORCE' : 'NO FORCE'} ROW LEVEL SECURITY;
ALTER TABLE t ${variant % 3 ? 'DISABLE' : 'ENABLE'} ROW LEVEL SECURITY;
ALTER TABLE t OWNER TO owner_${variant};
ALTER TABLE t ADD COLUMN extra_${variant} text UNIQUE;
ALTER TABLE t ADD CONSTRAINT k_${variant} UNIQUE (id, extra_${variant});
CREATE INDEX t_extra_${variant} ON t (extra_${variant});
ALTER TABLE t RENAME COLUMN owner_id TO owner_${variant};
ALTER POLICY p ON t TO r_${variant} USING (${variant} > 0);
ALTER POLICY s ON storage.objects TO r_${variant};
ALTER TABLE storage.objects ${variant % 2 ? 'ENABLE' : 'DISABLE'} ROW LEVEL SECURITY;
CREATE POLICY p2_${variant} ON t USING (false);
GRANT INSERT ON t TO r_${variant};
REVOKE SELECT ON t FROM ${variant % 2 ? 'app_user' : 'anon'};
GRANT SELECT ON v TO r_${variant};
GRANT UPDATE ON ALL TABLES IN SCHEMA public TO s_${variant};
${variant % 2 ? 'REVOKE' : 'GRANT'} EXECUTE ON FUNCTION f(int) ${variant % 2 ? 'FROM' : 'TO'} PUBLIC;
GRANT EXECUTE ON FUNCTION f(int) TO r_${variant};
ALTER FUNCTION f(int) SECURITY DEFINER SET search_path = s_${variant} SET app.v = '${variant}';
ALTER FUNCTION f(int) OWNER TO owner_${variant};
CREATE OR REPLACE FUNCTION f(a int) RETURNS int LANGUAGE sql AS $$ SELECT a + ${variant} $$;
GRANT EXECUTE ON FUNCTION f(int) TO q_${variant};
CREATE OR REPLACE VIEW v AS SELECT id FROM t;
GRANT SELECT ON v TO q_${variant};
ALTER VIEW v SET (security_invoker = ${variant % 2 ? 'true' : 'false'});
ALTER VIEW v OWNER TO owner_${variant};
ALTER ROLE app_user ${variant % 2 ? 'BYPASSRLS' : 'NOBYPASSRLS'};
ALTER TABLE kid ${variant % 2 ? 'NO INHERIT' : 'INHERIT'} parent;
ALTER TABLE parent RENAME TO parent_${variant};
ALTER TABLE t RENAME TO t_${variant};
ALTER FUNCTION touch() RENAME TO touch_${variant};
ALTER POLICY p ON t_${variant} RENAME TO p_${variant};
ALTER ROLE r_${variant} RENAME TO rr_${variant};
ALTER ROLE owner_${variant} RENAME TO owned_by_${variant};
DROP INDEX ${variant % 2 ? 't_owner' : 'nothing'};
${variant % 3 ? 'DROP TRIGGER t_touch ON t_' + variant + ';' : ''}
SET ROLE app_user;
SET search_path TO app, public;
CREATE TABLE owned_${variant} (id int);
`;
    const last = 'CREATE TABLE z (id int);\nCREATE POLICY pz ON t USING (true);\n';
    replay({ '1.sql': early, '2.sql': middle, '3.sql': later(0), '4.sql': last }, [
      ['3.sql', later(1)],
      ['3.sql', later(2)],
      ['3.sql', later(3)],
      ['4.sql', `${last}ALTER TABLE m ENABLE ROW LEVEL SECURITY;\n`],
      ['4.sql', last],
      ['3.sql', later(4)],
      ['2.sql', `${middle}DROP TABLE t;\n`],
      ['3.sql', later(5)],
      ['3.sql', later(6)],
      ['2.sql', middle],
      ['1.sql', `${early}ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO anon;\nALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;\n`],
      ['3.sql', later(7)],
      ['3.sql', later(8)],
      ['0.sql', 'SELECT auth.uid();\n'],
      ['3.sql', later(9)],
      ['0.sql', undefined],
      ['3.sql', later(10)],
    ]);
  });

  test('ok: edits before, in and after a file whose every statement is the first write to an object created earlier', () => {
    // objects of prefix x, each written to by one statement of `writes(x)` only: resumed after
    // their file, each statement writes to an object the saved state shares
    const objects = (x: string) => `CREATE SCHEMA ${x};
CREATE ROLE ${x}_role;
${Array.from({ length: 20 }, (_, i) => `CREATE TABLE ${x}_t${i + 1} (id int PRIMARY KEY, owner_id uuid, note text);`).join('\n')}
CREATE TABLE ${x}_parent (id int);
CREATE TABLE ${x}_kid (id int) INHERITS (${x}_parent);
CREATE TABLE ${x}_kid14 (id int) INHERITS (${x}_t14);
CREATE TABLE ${x}_part (id int) PARTITION BY RANGE (id);
CREATE TABLE ${x}_p1 (id int);
CREATE TABLE ${x}_p2 PARTITION OF ${x}_part FOR VALUES FROM (1) TO (10);
CREATE TABLE ${x}.t (id int);
CREATE VIEW ${x}.v AS SELECT 1;
CREATE INDEX ${x}_t15_owner ON ${x}_t15 (owner_id);
CREATE INDEX ${x}_t19_idx ON ${x}_t19 (note);
CREATE FUNCTION ${x}_touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER ${x}_tr14 BEFORE UPDATE ON ${x}_t14 FOR EACH ROW EXECUTE FUNCTION ${x}_touch();
CREATE TRIGGER ${x}_tr18 BEFORE UPDATE ON ${x}_t18 FOR EACH ROW EXECUTE FUNCTION ${x}_touch();
${Array.from({ length: 9 }, (_, i) => `CREATE FUNCTION ${x}_f${i + 1}(a int) RETURNS int LANGUAGE sql AS $$ SELECT a $$;`).join('\n')}
CREATE FUNCTION ${x}_f7(a text) RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
CREATE FUNCTION ${x}.g() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
${Array.from({ length: 7 }, (_, i) => `CREATE VIEW ${x}_v${i + 1} WITH (security_invoker = true) AS SELECT * FROM ${x}_t1;`).join('\n')}
GRANT SELECT ON ${x}_v2 TO anon;
GRANT SELECT ON ${x}_t12 TO anon;
GRANT EXECUTE ON FUNCTION ${x}_f5(int) TO anon;
${[10, 14, 16, 17].map((i) => `CREATE POLICY ${x}_p${i} ON ${x}_t${i} TO ${x}_role USING (owner_id IS NOT NULL);`).join('\n')}
CREATE POLICY ${x}_s ON storage.objects USING (true);
CREATE POLICY ${x}_s2 ON storage.objects USING (true);
ALTER TABLE storage.buckets ENABLE ROW LEVEL SECURITY;
CREATE TABLE ${x}_untouched (id int);
`;
    const writes = (x: string, v: number) => `ALTER TABLE ${x}_t1 ${v % 2 ? 'ENABLE' : 'DISABLE'} ROW LEVEL SECURITY;
ALTER TABLE ${x}_t2 ${v % 2 ? 'FORCE' : 'NO FORCE'} ROW LEVEL SECURITY;
ALTER TABLE ${x}_t3 OWNER TO o_${v};
ALTER TABLE ${x}_t4 ADD COLUMN extra_${v} text UNIQUE;
ALTER TABLE ${x}_t5 DROP COLUMN ${v % 2 ? 'note' : 'owner_id'};
ALTER TABLE ${x}_t6 ADD CONSTRAINT k_${v} UNIQUE (id, note);
ALTER TABLE ${x}_part ATTACH PARTITION ${x}_p1 FOR VALUES FROM (10) TO (20);
ALTER TABLE ${x}_part DETACH PARTITION ${x}_p2;
ALTER TABLE ${x}_kid NO INHERIT ${x}_parent;
ALTER TABLE ${x}_t7 INHERIT ${x}_parent;
CREATE INDEX ${x}_t8_${v} ON ${x}_t8 (note);
CREATE POLICY ${x}_new_${v} ON ${x}_t9 USING (true);
ALTER POLICY ${x}_p10 ON ${x}_t10 TO r_${v} USING (${v} > 0);
ALTER POLICY ${x}_s ON storage.objects TO r_${v};
CREATE TRIGGER ${x}_new_${v} AFTER INSERT ON ${x}_t11 FOR EACH ROW EXECUTE FUNCTION ${x}_touch();
ALTER ROLE ${x}_role ${v % 2 ? 'BYPASSRLS' : 'NOBYPASSRLS'};
GRANT INSERT ON ${x}_t12 TO r_${v};
GRANT UPDATE ON ALL TABLES IN SCHEMA ${x}, ${x} TO r_${v};
GRANT SELECT ON ${x}_v1 TO r_${v};
${v % 2 ? 'REVOKE' : 'GRANT'} EXECUTE ON FUNCTION ${x}_f1(int) ${v % 2 ? 'FROM' : 'TO'} PUBLIC;
GRANT EXECUTE ON FUNCTION ${x}_f2(int), ${x}_f2(int) TO r_${v};
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ${x} TO r_${v};
ALTER FUNCTION ${x}_f3(int) SECURITY DEFINER SET search_path = s_${v};
ALTER FUNCTION ${x}_f4(int) OWNER TO o_${v};
CREATE OR REPLACE FUNCTION ${x}_f5(a int) RETURNS int LANGUAGE sql AS $$ SELECT a + ${v} $$;
GRANT EXECUTE ON FUNCTION ${x}_f5(int) TO q_${v};
CREATE OR REPLACE VIEW ${x}_v2 AS SELECT ${v} AS id;
GRANT SELECT ON ${x}_v2 TO q_${v};
ALTER VIEW ${x}_v3 SET (security_invoker = ${v % 2 ? 'false' : 'true'});
ALTER VIEW ${x}_v4 OWNER TO o_${v};
ALTER VIEW ${x}_v5 RESET (security_invoker);
ALTER VIEW ${x}_v6 RENAME TO ${x}_v6_${v};
ALTER TABLE ${x}_t14 RENAME TO ${x}_t14_${v};
ALTER TABLE ${x}_t15 RENAME COLUMN owner_id TO owner_${v};
ALTER POLICY ${x}_p16 ON ${x}_t16 RENAME TO ${x}_p16_${v};
ALTER FUNCTION ${x}_f6(int) RENAME TO ${x}_f6_${v};
ALTER FUNCTION ${x}_f7 RENAME TO ${x}_f7_${v};
ALTER ROLE o_${v} RENAME TO o2_${v};
ALTER ROLE r_${v} RENAME TO r2_${v};
DROP POLICY ${x}_p17 ON ${x}_t17;
DROP TRIGGER ${x}_tr18 ON ${x}_t18;
DROP INDEX ${x}_t19_idx;
DROP TABLE ${x}_t20;
DROP VIEW ${x}_v7;
DROP FUNCTION ${x}_f8(int);
ALTER TABLE storage.buckets ${v % 2 ? 'FORCE' : 'NO FORCE'} ROW LEVEL SECURITY;
DROP POLICY ${x}_s2 ON storage.objects;
`;
    // 1.sql: objects written to by 2.sql (a) and 3.sql (b); 2.sql: objects written to by 3.sql (c)
    const two = (v: number) => `${writes('a', v)}${objects('c')}`;
    const three = (v: number) => `${writes('b', v)}${writes('c', v)}`;
    const one = objects('a') + objects('b');
    for (const [file, text] of [['1.sql', one], ['2.sql', two(1)], ['3.sql', three(1)]] as const) assert.deepEqual(parseFile(file, text).errors, [], file);
    replay({ '1.sql': one, '2.sql': two(0), '3.sql': three(0) }, [
      ['3.sql', three(1)],
      ['3.sql', three(2)],
      ['2.sql', two(1)],
      ['2.sql', two(2)],
      ['3.sql', three(3)],
      ['1.sql', `${one}CREATE TABLE d (id int);\n`],
      ['3.sql', three(4)],
      ['2.sql', two(3)],
      ['1.sql', one],
      ['3.sql', three(5)],
    ]);
    // resumed before 3.sql, the model shares with the saved state what 3.sql does not write to, and only that
    const ws = new Workspace();
    ws.setFile('1.sql', one);
    ws.setFile('2.sql', two(0));
    ws.setFile('3.sql', three(0));
    ws.model();
    ws.setFile('3.sql', three(1));
    ws.model();
    ws.setFile('3.sql', three(2));
    const model = ws.model();
    const state = resumePointOf(model)!.saved!.state;
    assert.equal(model.tables.get('public.b_untouched'), state.tables.get('public.b_untouched'));
    for (const k of ['public.b_t1', 'public.b_t9', 'public.b_t12', 'public.c_t11']) {
      assert.notEqual(model.tables.get(k), state.tables.get(k), k);
    }
    assert.notEqual(model.functions.get('public.b_f3')![0], state.functions.get('public.b_f3')![0]);
    assert.equal(model.functions.get('public.b_f9')![0], state.functions.get('public.b_f9')![0]);
  });

  test('ok: later files with DROP POLICY / DROP TRIGGER (the rerunnable-migration idiom) are redone from their records, and replayed when what they drop changed', () => {
    // 0.sql makes tables, policies and triggers; 1.sql is edited; 2.sql and 3.sql drop and make
    // again policies and triggers of 0.sql's tables, of tables never created (orphan policies, the
    // triggers list) and of names that do not exist
    const zero = `CREATE TABLE a (id int);
CREATE FUNCTION fz() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
CREATE VIEW vz AS SELECT 1 AS one;
CREATE FUNCTION fa() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE POLICY pa ON a USING (true);
CREATE TRIGGER ta BEFORE INSERT ON a FOR EACH ROW EXECUTE FUNCTION fa();
`;
    const one = 'CREATE TABLE o (id int);\n';
    const two = `DROP POLICY IF EXISTS pa ON a;
CREATE POLICY pa ON a USING (id > 0);
DROP TRIGGER IF EXISTS ta ON a;
CREATE TRIGGER ta AFTER INSERT ON a FOR EACH ROW EXECUTE FUNCTION fa();
DROP POLICY IF EXISTS nope ON a;
DROP TRIGGER IF EXISTS nope ON a;
DROP TRIGGER IF EXISTS tn ON nowhere;
DROP POLICY IF EXISTS pn ON nowhere;
DROP FUNCTION IF EXISTS fz();
CREATE FUNCTION fz() RETURNS int LANGUAGE sql SECURITY DEFINER AS $$ SELECT 2 $$;
DROP VIEW IF EXISTS vz;
CREATE VIEW vz AS SELECT 2 AS two;
DROP FUNCTION IF EXISTS gone();
DROP VIEW IF EXISTS vgone;
CREATE TABLE b (id int);
`;
    const three = `DROP TRIGGER IF EXISTS ta ON a;
CREATE TRIGGER ta AFTER UPDATE ON a FOR EACH ROW EXECUTE FUNCTION fa();
DROP POLICY IF EXISTS pa ON a;
DROP POLICY IF EXISTS so ON storage.objects;
CREATE POLICY so ON storage.objects USING (true);
CREATE POLICY s2 ON storage.objects USING (false);
DO $$ BEGIN CREATE POLICY s3 ON storage.objects USING (true); EXCEPTION WHEN duplicate_object THEN NULL; END $$;
CREATE TABLE c (id int);
`;
    const edits: Array<[string, string | undefined]> = [
      ['1.sql', `-- a comment\n${one}`],
      ['1.sql', `${one}CREATE TABLE x (id int);\n`],
      ['1.sql', `${one}CREATE FUNCTION gone() RETURNS int LANGUAGE sql AS $$ SELECT 0 $$;\nCREATE VIEW vgone AS SELECT 0 AS zero;\n`],
      ['1.sql', `-- moved\n${one}CREATE FUNCTION gone() RETURNS int LANGUAGE sql AS $$ SELECT 0 $$;\nCREATE VIEW vgone AS SELECT 0 AS zero;\n`],
      ['1.sql', `${one}CREATE FUNCTION fz(x int) RETURNS int LANGUAGE sql AS $$ SELECT x $$;\n`],
      ['1.sql', one],
      ['1.sql', `${one}CREATE POLICY pn ON nowhere USING (true);\n`],
      ['1.sql', `-- moved\n${one}CREATE POLICY pn ON nowhere USING (true);\n`],
      ['1.sql', `${one}CREATE TRIGGER tn BEFORE INSERT ON nowhere FOR EACH ROW EXECUTE FUNCTION fa();\n`],
      ['1.sql', `-- moved\n${one}CREATE TRIGGER tn BEFORE INSERT ON nowhere FOR EACH ROW EXECUTE FUNCTION fa();\n`],
      ['1.sql', `${one}CREATE TRIGGER nope BEFORE INSERT ON a FOR EACH ROW EXECUTE FUNCTION fa();\nCREATE POLICY nope ON a USING (true);\n`],
      ['1.sql', one],
      ['1.sql', `-- again\n${one}`],
      ['0.sql', zero.replace('CREATE TRIGGER ta', 'CREATE TRIGGER tb')],
      ['1.sql', one],
      ['1.sql', `${one}CREATE POLICY so ON storage.objects USING (id > 1);\n`],
      ['1.sql', `-- moved\n${one}CREATE POLICY so ON storage.objects USING (id > 1);\n`],
      ['1.sql', `${one}CREATE POLICY s2 ON storage.objects USING (true);\nCREATE POLICY s3 ON storage.objects USING (false);\n`],
      ['1.sql', `-- moved\n${one}CREATE POLICY s2 ON storage.objects USING (true);\nCREATE POLICY s3 ON storage.objects USING (false);\n`],
      // (the list holds s3 before s2, while 3.sql names s2 before s3: a redo compares them in list order)
      ['1.sql', `${one}CREATE POLICY s3 ON storage.objects USING (false);\nCREATE POLICY s2 ON storage.objects USING (true);\n`],
      ['1.sql', `-- moved\n${one}CREATE POLICY s3 ON storage.objects USING (false);\nCREATE POLICY s2 ON storage.objects USING (true);\n`],
      ['1.sql', one],
      ['0.sql', `${zero}CREATE POLICY so ON storage.objects USING (true);\n`],
      ['1.sql', `-- again\n${one}`],
      ['1.sql', one],
    ];
    const initial = { '0.sql': zero, '1.sql': one, '2.sql': two, '3.sql': three };
    replay(initial, edits);
    replay(initial, edits, mergeConfig(), true);
  });

  test('ok: a DO block looping over the tables the catalog lists (catalog-loops.ts) reaches the tables the files before it make, through edits of those files and of the loop', () => {
    const loop = `DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT table_schema, table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'org_id' LOOP
    EXECUTE format('ALTER TABLE %I.%I ENABLE ROW LEVEL SECURITY', r.table_schema, r.table_name);
    EXECUTE format('DROP POLICY IF EXISTS org_only ON %I.%I', r.table_schema, r.table_name);
    EXECUTE format('CREATE POLICY org_only ON %I.%I USING (org_id IS NOT NULL)', r.table_schema, r.table_name);
  END LOOP;
END $$;
`;
    const one = 'CREATE TABLE a (id int, org_id uuid);\nCREATE TABLE b (id int);\n';
    const edits: Array<[string, string | undefined]> = [
      ['1.sql', `${one}CREATE TABLE c (id int, org_id uuid);\n`],
      ['1.sql', `-- moved\n${one}CREATE TABLE c (id int, org_id uuid);\n`],
      ['1.sql', one.replace('CREATE TABLE b (id int)', 'CREATE TABLE b (id int, org_id uuid)')],
      ['1.sql', `${one}ALTER TABLE a RENAME COLUMN org_id TO tenant_id;\n`],
      ['2.sql', `-- again\n${loop}`],
      ['2.sql', loop.replace("'org_id'", "'tenant_id'")],
      ['3.sql', 'CREATE TABLE d (id int, org_id uuid);\nCREATE POLICY org_only ON a USING (true);\n'],
      ['1.sql', one],
      ['2.sql', loop],
    ];
    const initial = { '1.sql': one, '2.sql': loop, '3.sql': 'CREATE TABLE d (id int, org_id uuid);\n' };
    replay(initial, edits);
    replay(initial, edits, mergeConfig(), true);
  });

  test('ok: unchanged later files redone from their records only while what they read is the same', () => {
    // 2.sql and 3.sql are never edited: each edit of 1.sql changes something one of their statements reads
    const one = 'CREATE TABLE a (id int);\nCREATE FUNCTION fa(x int) RETURNS int LANGUAGE sql AS $$ SELECT x $$;\nCREATE ROLE ra;\n';
    const two = `GRANT SELECT ON a TO anon;
CREATE POLICY pa ON a USING (true);
CREATE INDEX a_id ON a (id);
ALTER TABLE a ENABLE ROW LEVEL SECURITY;
CREATE TRIGGER ta BEFORE INSERT ON a FOR EACH ROW EXECUTE FUNCTION fa();
GRANT EXECUTE ON FUNCTION fa(int) TO anon;
ALTER FUNCTION fa(int) SECURITY DEFINER;
ALTER FUNCTION fa OWNER TO ra;
CREATE OR REPLACE FUNCTION fb(x int) RETURNS int LANGUAGE sql AS $$ SELECT x $$;
ALTER ROLE ra BYPASSRLS;
CREATE TABLE IF NOT EXISTS b (id int);
CREATE TABLE c (id int);
CREATE OR REPLACE VIEW vc AS SELECT 1;
ALTER VIEW vc OWNER TO ra;
ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY;
CREATE POLICY so ON storage.objects USING (true);
ALTER TABLE d ATTACH PARTITION e FOR VALUES FROM (1) TO (2);
CREATE FUNCTION g() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
CREATE ROLE rb;
SET ROLE rb;
CREATE TABLE owned (id int);
SELECT set_config('app.x', 'y', true);
`;
    const three = 'GRANT UPDATE ON c TO anon;\nCREATE POLICY pc ON c USING (true);\nALTER TABLE a FORCE ROW LEVEL SECURITY;\nCREATE TABLE t3 (id int);\n';
    const four = 'CREATE TABLE z (id int);\nCREATE POLICY pz ON z USING (true);\nCREATE FUNCTION fz() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;\n';
    const five = 'GRANT SELECT ON z TO anon;\nALTER TABLE z ENABLE ROW LEVEL SECURITY;\nCREATE TABLE t5 (id int);\n';
    const edits: Array<[string, string | undefined]> = [
      ['1.sql', `-- a comment\n${one}`],
      ['1.sql', `${one}CREATE FUNCTION fa(x text) RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;\n`],
      ['1.sql', one.replace('fa(x int)', 'fa(x bigint)')],
      ['1.sql', `${one}ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO anon;\n`],
      ['1.sql', `${one}ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;\n`],
      ['1.sql', `${one}CREATE TABLE b (id int, x int);\n`],
      ['1.sql', `${one}CREATE VIEW vc AS SELECT 2;\nGRANT SELECT ON vc TO anon;\n`],
      ['1.sql', `${one}CREATE TABLE storage.objects (id int);\n`],
      ['1.sql', `${one}CREATE TABLE d (id int) PARTITION BY RANGE (id);\nCREATE TABLE e (id int);\n`],
      ['1.sql', `${one}SET ROLE ra;\n`],
      ['1.sql', `${one}CREATE FUNCTION g() RETURNS int LANGUAGE sql AS $$ SELECT 0 $$;\nGRANT EXECUTE ON FUNCTION g() TO anon;\n`],
      ['1.sql', one.replace('CREATE ROLE ra;', 'CREATE ROLE ra SUPERUSER;')],
      ['1.sql', `${one}CREATE TABLE c (id int, y int);\nCREATE TABLE owned (id int);\n`],
      ['1.sql', `${one}DROP TABLE a;\n`],
      ['1.sql', `${one}SET ROLE ra;\n\\ir 2.sql\n`],
      ['1.sql', one],
      ['1.sql', `${one}CREATE TABLE z (id int);\nCREATE FUNCTION fz() RETURNS int LANGUAGE sql AS $$ SELECT 2 $$;\n`],
      ['1.sql', one],
    ];
    const initial = { '1.sql': one, '2.sql': two, '3.sql': three, '4.sql': four, '5.sql': five };
    replay(initial, edits);
    // the language server's workspace: its first build records, so the first edit redoes from those records
    replay(initial, edits, mergeConfig(), true);
    const editing = new Workspace(undefined, undefined, { editing: true });
    for (const [f, t] of Object.entries(initial)) editing.setFile(f, t);
    const m0 = editing.model();
    editing.setFile('1.sql', `-- a comment\n${one}`);
    const m0b = editing.model();
    for (const k of ['public.z', 'public.t5']) assert.equal(m0b.tables.get(k), m0.tables.get(k), `first edit: ${k}`);
    assert.equal(m0b.functions.get('public.fz'), m0.functions.get('public.fz'));
    // an edit that changes nothing the later files read leaves their objects as they were (the same objects)
    const ws = new Workspace();
    for (const [f, t] of Object.entries({ '1.sql': one, '2.sql': two, '3.sql': three, '4.sql': four, '5.sql': five })) ws.setFile(f, t);
    ws.model(); // (a first build records nothing)
    ws.setFile('1.sql', `-- another comment\n${one}`);
    const m1 = ws.model();
    ws.setFile('1.sql', `-- a comment\n${one}`);
    const m2 = ws.model();
    // (4.sql and 5.sql read nothing 1.sql makes; 2.sql and 3.sql read table a, made again)
    for (const k of ['public.z', 'public.t5']) assert.equal(m2.tables.get(k), m1.tables.get(k), k);
    assert.equal(m2.functions.get('public.fz'), m1.functions.get('public.fz'));
    for (const k of ['public.c', 'public.owned', 'public.t3']) assert.notEqual(m2.tables.get(k), m1.tables.get(k), k);
    // and one that does gives new objects where it matters
    ws.setFile('1.sql', `${one}ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO anon;\n`);
    const m3 = ws.model();
    assert.notEqual(m3.tables.get('public.z'), m2.tables.get('public.z'));
    assert.deepEqual([...m3.tables.get('public.z')!.grants.get('anon')!], ['select']);
  });

  test('ok: SET search_path FROM CURRENT stores the search_path of its psql session (an including file\'s SET, a RESET, set_config), through edits', () => {
    // (zeebonk/database: main.sql sets the path, then includes the files whose definers say FROM CURRENT)
    const set = 'SET search_path TO app, public;\n';
    const main = (s: string) => `CREATE SCHEMA app;\n${s}\\ir b/fns.sql\nRESET search_path;\nCREATE FUNCTION h() RETURNS int LANGUAGE sql SET search_path FROM CURRENT AS $$ SELECT 1 $$;\n`;
    const fns = 'CREATE FUNCTION app.f() RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path FROM CURRENT AS $$ SELECT 1 $$;\nCREATE TABLE app.t (id int);\n';
    const later = 'CREATE FUNCTION g() RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path FROM CURRENT AS $$ SELECT 1 $$;\nSET search_path = app;\nALTER FUNCTION public.g() SET search_path FROM CURRENT;\n';
    const initial = { 'a.sql': main(set), 'b/fns.sql': fns, 'c.sql': later };
    const edits: Array<[string, string | undefined]> = [
      ['a.sql', `-- moved\n${main(set)}`],
      ['a.sql', main("SELECT pg_catalog.set_config('search_path', '', false);\n")],
      ['a.sql', main('')],
      ['a.sql', main(set)],
      ['c.sql', `SET search_path TO DEFAULT;\n${later}`],
      ['a.sql', main('SET search_path = app, pg_temp;\n')],
    ];
    replay(initial, edits);
    replay(initial, edits, mergeConfig(), true);
    const ws = new Workspace(undefined, undefined, { editing: true });
    for (const [f, t] of Object.entries(initial)) ws.setFile(f, t);
    const current = (k: string) => {
      const c = ws.model().functions.get(k)![0]!.settings[0]!.current!;
      return [c.path, c.set && `${c.set.file}:${c.set.start}`];
    };
    assert.deepEqual(current('app.f'), [['app', 'public'], 'a.sql:19']);
    assert.deepEqual(current('public.h'), [undefined, `a.sql:${main(set).indexOf('RESET')}`]);
    assert.deepEqual(current('public.g'), [['app'], `c.sql:${later.indexOf('SET search_path = app')}`]);
    ws.setFile('a.sql', main("SELECT pg_catalog.set_config('search_path', '', false);\n"));
    assert.deepEqual(current('app.f'), [[], 'a.sql:19']);
    ws.setFile('a.sql', main(''));
    assert.deepEqual(current('app.f'), [undefined, undefined]);
  });

  test('ok: a config change, then edits', () => {
    const files = { '1.sql': 'CREATE TABLE t (id int);\n', '2.sql': 'ALTER TABLE t ENABLE ROW LEVEL SECURITY;\n', '3.sql': 'CREATE POLICY p ON t USING (true);\n' };
    const ws = new Workspace();
    for (const [f, t] of Object.entries(files)) ws.setFile(f, t);
    ws.model();
    ws.setFile('3.sql', 'CREATE POLICY q ON t USING (true);\n');
    ws.model();
    ws.setFile('3.sql', 'CREATE POLICY r ON t USING (true);\n');
    ws.model();
    const config = mergeConfig({ defaultSchema: 'app' });
    ws.setConfig(config);
    const now = { ...files, '3.sql': 'CREATE POLICY r ON t USING (true);\n' };
    assertSame(reference(Object.entries(now).map(([file, text]) => ({ file, text })), config), modelSnapshot(ws.model()), 'after the config change');
    ws.setFile('3.sql', 'CREATE POLICY s ON t USING (true);\n');
    now['3.sql'] = 'CREATE POLICY s ON t USING (true);\n';
    assertSame(reference(Object.entries(now).map(([file, text]) => ({ file, text })), config), modelSnapshot(ws.model()), 'then an edit');
  });

  test('ok: edits in the generated workspace', () => {
    const gen = generateWorkspace(10, 200, 4, 400);
    const initial = Object.fromEntries(gen.map((f) => [f.file, f.text]));
    const big = gen[3]!;
    const first = gen[0]!;
    const last = gen[gen.length - 1]!;
    replay(initial, [
      [big.file, big.text.replace('status text NOT NULL', 'status_x text NOT NULL')],
      [big.file, big.text],
      [big.file, big.text.replace(/CREATE TABLE (items_\d+)/, 'CREATE TABLE $1_renamed')],
      [first.file, first.text.replace('ENABLE ROW LEVEL SECURITY', 'DISABLE ROW LEVEL SECURITY')],
      [last.file, `${last.text}\nALTER TABLE items_3 DISABLE ROW LEVEL SECURITY;\nDROP POLICY items_3_select ON items_3;\n`],
      [big.file, `${big.text}\nCREATE FUNCTION is_member_of(p_tenant uuid) RETURNS boolean LANGUAGE sql AS $$ SELECT true $$;\n`],
      [gen[5]!.file, undefined],
      [first.file, first.text],
    ]);
    // as the language server's workspace (its first build records)
    replay(initial, [
      [big.file, big.text.replace('status text NOT NULL', 'status_x text NOT NULL')],
      [first.file, first.text.replace('ENABLE ROW LEVEL SECURITY', 'DISABLE ROW LEVEL SECURITY')],
    ], mergeConfig(), true);
  });
});
