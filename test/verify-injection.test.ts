// Verify's injection look (verify/exposures.ts injectionSpecs): a SECURITY DEFINER PL/pgSQL
// function running dynamic SQL, called on PGlite by a role that may execute it with SQL in a
// text argument. The SQL's error names current_user where it ran: the owner, not the caller,
// which shows the definer-dynamic-sql finding.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { verifiedBefore } from './helpers/verified.js';
import { formatExposure } from '../server/src/verify/exposures.js';
import type { VerifyFile } from '../server/src/verify/pglite.js';

const FILES: VerifyFile[] = [
  {
    file: 'migrations/001_items.sql',
    text: `-- « Schéma » 日本語 😀
CREATE ROLE app_user;
CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, owner text NOT NULL);
ALTER TABLE items ENABLE ROW LEVEL SECURITY;
CREATE POLICY items_own ON items FOR SELECT TO app_user USING (owner = current_user);
GRANT SELECT ON items TO app_user;
-- the whole statement from the caller
CREATE FUNCTION run_sql(q text) RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN EXECUTE q; END $$;
-- spliced into a quoted literal
CREATE FUNCTION count_named(p_name text) RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE n bigint;
BEGIN EXECUTE 'SELECT count(*) FROM items WHERE name = ''' || p_name || '''' INTO n; RETURN n; END $$;
-- spliced in as a FROM item, after a uuid argument
CREATE FUNCTION counted(p_id uuid, p_table text) RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE n bigint;
BEGIN EXECUTE 'SELECT count(*) FROM ' || p_table INTO n; RETURN n; END $$;
-- quoted: no SQL gets in
CREATE FUNCTION count_quoted(p_name text) RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE n bigint;
BEGIN EXECUTE format('SELECT count(*) FROM items WHERE name = %L', p_name) INTO n; RETURN n; END $$;
-- the caller checked first: app_user never reaches the EXECUTE
CREATE FUNCTION admin_sql(q text) RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF current_setting('app.admin', true) IS DISTINCT FROM 'on' THEN RAISE EXCEPTION 'admins only'; END IF;
  EXECUTE q;
END $$;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA public FROM PUBLIC;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO app_user;
`,
  },
];

const v = verifiedBefore(FILES, {});

describe('verify: SQL in a definer function\'s text argument', () => {
  test('err: app_user calls each function with SQL in a text argument: spliced whole, into a literal or as a FROM item, it runs as the owner (postgres)', () => {
    const looks = new Map(v.exposures.filter((e) => e.kind === 'injection').map((e) => [e.function?.name, e]));
    for (const [name, argument] of [['run_sql', 'q'], ['count_named', 'p_name'], ['counted', 'p_table']] as const) {
      const e = looks.get(name);
      assert.ok(e, `no injection look of ${name}`);
      assert.equal(e.role, 'app_user');
      assert.equal(e.shown, true, formatExposure(e));
      assert.equal(e.argument, argument);
      assert.equal(e.ranAs, 'postgres');
      assert.equal(e.code, '22P02');
      assert.match(formatExposure(e), new RegExp(`^app_user: SELECT public\\.${name}\\(.*\\) \\(SECURITY DEFINER\\) → 22P02 invalid input syntax for type integer: "postgres:pg_rls_lint_injected": the text of its argument ${argument} ran as SQL, as postgres, not as app_user$`));
    }
    // (the uuid argument holds the seeded value, the text one the SQL)
    assert.match(looks.get('counted')!.call!, /^SELECT public\.counted\('00000000-0000-4000-8000-00000000005e'::pg_catalog\.uuid, '\(SELECT WHERE \(current_user/);
  });

  test('ok: quoted with format(%L), or behind a check of the caller, no SQL runs: looked at, nothing shown', () => {
    const looks = new Map(v.exposures.filter((e) => e.kind === 'injection').map((e) => [e.function?.name, e]));
    assert.equal(looks.get('count_quoted')?.shown, false);
    assert.equal(looks.get('count_quoted')?.ranAs, undefined);
    assert.equal(looks.get('admin_sql')?.shown, false);
    assert.match(formatExposure(looks.get('admin_sql')!), /^app_user: public\.admin_sql\(q text\) \(SECURITY DEFINER\) called with SQL in each text argument → P0001 admins only; none of it ran as SQL$/);
  });

  test("ok: the lint's definer-dynamic-sql findings the looks show: the three injected, not admin_sql's (whose finding stands, unshown)", () => {
    const dynamic = v.findings.filter((f) => f.rule === 'definer-dynamic-sql');
    assert.equal(dynamic.length, 4, dynamic.map((f) => f.message).join('\n'));
    const shown = v.shown.filter((c) => c.finding.rule === 'definer-dynamic-sql').map((c) => c.exposure?.function?.name).sort();
    assert.deepEqual(shown, ['count_named', 'counted', 'run_sql']);
  });
});
