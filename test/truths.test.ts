// Executes the rows of /work/shared/TRUTHS.md (what PostgreSQL really does) on PGlite
// (PostgreSQL 18.6 in WASM). Every rule's claim rests on one of these rows; if PGlite or a
// PostgreSQL upgrade changes a behaviour, this file says which rule is affected.
//
// One shared instance; every case runs in a rolled-back transaction. Tables are created as
// `app_owner` (a non-superuser: superusers always bypass RLS); helper functions are owned by
// the superuser `postgres` unless a row says otherwise. The three cases that kill the
// instance (PGlite's deep-recursion gap: T02, T05, T06) each get a fresh instance.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { PGlite } from '@electric-sql/pglite';
import {
  affected,
  asOwner,
  closeAll,
  count,
  expectPgError,
  expectRecursionGap,
  getDb,
  inRollback,
  tryQuery,
  type Q,
} from './helpers/pg.js';
import { AUTH_STUB_SQL } from './helpers/supabase.js';

const A = '00000000-0000-0000-0000-00000000000a';
const B = '00000000-0000-0000-0000-00000000000b';
const A1 = '00000000-0000-0000-0000-0000000000a1'; // tenant A admin
const A2 = '00000000-0000-0000-0000-0000000000a2'; // tenant A member
const B1 = '00000000-0000-0000-0000-0000000000b1'; // tenant B member

let db: PGlite;
before(async () => {
  db = await getDb();
});
after(closeAll);

/** tenant_users with three rows (A: admin + member, B: member), RLS enabled, owned by app_owner,
 * SELECT granted to authenticated. */
async function tenantUsers(q: Q, opts: { force?: boolean; grant?: string | false } = {}): Promise<void> {
  await asOwner(
    q,
    `CREATE TABLE tenant_users (id uuid PRIMARY KEY, tenant_id uuid NOT NULL, role text NOT NULL);
     INSERT INTO tenant_users VALUES ('${A1}', '${A}', 'admin'), ('${A2}', '${A}', 'member'), ('${B1}', '${B}', 'member');
     ALTER TABLE tenant_users ENABLE ROW LEVEL SECURITY;
     ${opts.force ? 'ALTER TABLE tenant_users FORCE ROW LEVEL SECURITY;' : ''}
     ${opts.grant === false ? '' : `GRANT ${opts.grant ?? 'SELECT'} ON tenant_users TO authenticated;`}`,
  );
}

/** The current user for the membership helpers (transaction-local). */
const actAsUser = (id: string) => `SELECT set_config('app.uid', '${id}', true)`;

/** Body of a membership helper: is the current user (app.uid) a member of tenant t? */
const IS_MEMBER_BODY = `SELECT EXISTS (SELECT 1 FROM tenant_users WHERE tenant_id = t AND id = nullif(current_setting('app.uid', true), '')::uuid)`;
const IS_MEMBER_PLPGSQL = `BEGIN RETURN EXISTS (SELECT 1 FROM tenant_users WHERE tenant_id = t AND id = nullif(current_setting('app.uid', true), '')::uuid); END`;

const memberPolicy = (to = 'authenticated') => `CREATE POLICY member_read ON tenant_users FOR SELECT TO ${to} USING (is_member(tenant_id));`;

/** SET ROLE authenticated as user A1 (tenant A admin), then count tenant_users. */
async function probe(q: Q, table = 'tenant_users', user = A1): Promise<number> {
  await q(`SET ROLE authenticated; ${actAsUser(user)}`);
  const n = await count(q, table);
  await q('RESET ROLE');
  return n;
}

/**
 * A case that kills the instance: run it on a fresh one, expect the gap. PostgreSQL 15: 54001
 * stack depth limit exceeded. PGlite: the count comes back without a row, and the instance
 * answers nothing afterwards.
 */
const expectTenantRecursionGap = (setup: (q: Q) => Promise<void>) =>
  expectRecursionGap(async (q) => (await setup(q), await q(`SET ROLE authenticated; ${actAsUser(A1)}`)), (q) => count(q, 'tenant_users'));

describe('folklore that is wrong', () => {
  test('ok: F1 a SECURITY DEFINER sql helper (with or without SET) is not inlined, no recursion', async () => {
    for (const set of ['', 'SET search_path = public']) {
      await inRollback(db, async (q) => {
        await tenantUsers(q);
        await q(`CREATE FUNCTION is_member(t uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER ${set} AS $$ ${IS_MEMBER_BODY} $$;
                 ${memberPolicy()}`);
        assert.equal(await probe(q), 2);
      });
    }
  });

  test('err: F2 row_security = off in a definer trigger function makes the insert fail, not bypass', async () => {
    await inRollback(db, async (q) => {
      await auditSetup(q);
      await asOwner(q, `ALTER FUNCTION audit_log_trigger() SET row_security TO off`);
      await q('SET ROLE authenticated');
      await expectPgError(q(`UPDATE projects SET name = 'x' WHERE id = 1`), '42501', 'query would be affected by row-level security policy for table "audit_log"');
    });
  });

  test('err: F3 SET search_path = public does not protect a definer helper from a temp table', async () => {
    await inRollback(db, async (q) => {
      assert.deepEqual(await hijack(q, 'SET search_path = public', 'tenant_users'), { before: 2, after: 1, tenant: B });
    });
  });
});

describe('verified behaviour', () => {
  test('err: T01 a policy whose USING reads its own table raises 42P17', async () => {
    await inRollback(db, async (q) => {
      await tenantUsers(q);
      await asOwner(
        q,
        `CREATE POLICY member_read ON tenant_users FOR SELECT TO authenticated USING (
           EXISTS (SELECT 1 FROM tenant_users me WHERE me.tenant_id = tenant_users.tenant_id
                   AND me.id = nullif(current_setting('app.uid', true), '')::uuid))`,
      );
      await q(`SET ROLE authenticated; ${actAsUser(A1)}`);
      await expectPgError(count(q, 'tenant_users'), '42P17', 'infinite recursion detected in policy for relation "tenant_users"');
    });
  });

  test('err: T02 a sql SECURITY INVOKER helper reading the table recurses (PGlite: the instance dies)', async () => {
    await expectTenantRecursionGap(async (q) => {
      await tenantUsers(q);
      await q(`CREATE FUNCTION is_member(t uuid) RETURNS boolean LANGUAGE sql STABLE AS $$ ${IS_MEMBER_BODY} $$; ${memberPolicy()}`);
    });
  });

  test('ok: T03 the same helper as SECURITY DEFINER (sql) works, 2 rows', async () => {
    await inRollback(db, async (q) => {
      await tenantUsers(q);
      await q(`CREATE FUNCTION is_member(t uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER AS $$ ${IS_MEMBER_BODY} $$; ${memberPolicy()}`);
      assert.equal(await probe(q), 2);
    });
  });

  test('ok: T04 the same helper as plpgsql SECURITY DEFINER works, 2 rows', async () => {
    await inRollback(db, async (q) => {
      await tenantUsers(q);
      await q(`CREATE FUNCTION is_member(t uuid) RETURNS boolean LANGUAGE plpgsql STABLE SECURITY DEFINER AS $$ ${IS_MEMBER_PLPGSQL} $$; ${memberPolicy()}`);
      assert.equal(await probe(q), 2);
    });
  });

  test('err: T05 a plpgsql SECURITY INVOKER helper reading the table recurses (PGlite: the instance dies)', async () => {
    await expectTenantRecursionGap(async (q) => {
      await tenantUsers(q);
      await q(`CREATE FUNCTION is_member(t uuid) RETURNS boolean LANGUAGE plpgsql STABLE AS $$ ${IS_MEMBER_PLPGSQL} $$; ${memberPolicy()}`);
    });
  });

  test('err: T06 a definer helper owned by the non-superuser table owner recurses under FORCE (PGlite: dies)', async () => {
    await expectTenantRecursionGap(async (q) => {
      await tenantUsers(q, { force: true });
      // the policy applies to everyone (PUBLIC), so also to the owner the helper runs as
      await asOwner(q, `CREATE FUNCTION is_member(t uuid) RETURNS boolean LANGUAGE plpgsql STABLE SECURITY DEFINER AS $$ ${IS_MEMBER_PLPGSQL} $$; ${memberPolicy('public')}`);
    });
  });

  test('ok: T06b FORCE + owner-owned definer helper, policy TO authenticated: helper read is filtered, 0 rows; BYPASSRLS owner: 2', async () => {
    await inRollback(db, async (q) => {
      await tenantUsers(q, { force: true });
      await asOwner(q, `CREATE FUNCTION is_member(t uuid) RETURNS boolean LANGUAGE plpgsql STABLE SECURITY DEFINER AS $$ ${IS_MEMBER_PLPGSQL} $$; ${memberPolicy()}`);
      assert.equal(await probe(q), 0);
      // Giving the owner BYPASSRLS. TRUTHS says "new session": on PostgreSQL 15.18 (measured),
      // the helper's plan cached by the probe above still applies RLS after ALTER ROLE in the
      // same session (0 rows) until DISCARD PLANS or a new session. On PGlite (PG 18.6) the
      // change takes effect at once (2 rows). DISCARD PLANS makes the case hold on both.
      await q('ALTER ROLE app_owner BYPASSRLS');
      assert.equal(await probe(q), 2, 'PGlite (PG 18): at once; PG 15: 0 here, stale cached plan');
      await q('DISCARD PLANS');
      assert.equal(await probe(q), 2);
    });
    await inRollback(db, async (q) => {
      // the same with a helper owned by a role that already has BYPASSRLS
      await tenantUsers(q, { force: true });
      await asOwner(q, `GRANT SELECT ON tenant_users TO bypass_owner`);
      await q(`CREATE FUNCTION is_member(t uuid) RETURNS boolean LANGUAGE plpgsql STABLE SECURITY DEFINER AS $$ ${IS_MEMBER_PLPGSQL} $$;
               ALTER FUNCTION is_member(uuid) OWNER TO bypass_owner;`);
      await asOwner(q, memberPolicy());
      assert.equal(await probe(q), 2);
    });
  });

  test('err: T07 a definer trigger function owned by the table owner cannot insert into a FORCE-RLS audit table', async () => {
    await inRollback(db, async (q) => {
      await auditSetup(q);
      await q('SET ROLE authenticated');
      await expectPgError(q(`UPDATE projects SET name = 'x' WHERE id = 1`), '42501', 'new row violates row-level security policy for table "audit_log"');
    });
  });

  test('err: T08 adding SET row_security TO off still fails, with "query would be affected"', async () => {
    await inRollback(db, async (q) => {
      await auditSetup(q);
      await asOwner(q, `ALTER FUNCTION audit_log_trigger() SET row_security TO off`);
      await q('SET ROLE authenticated');
      await expectPgError(q(`UPDATE projects SET name = 'x' WHERE id = 1`), '42501', 'query would be affected by row-level security policy for table "audit_log"');
    });
  });

  test('ok: T09 the trigger function owned by a superuser works', async () => {
    await inRollback(db, async (q) => {
      await auditSetup(q);
      await q(`ALTER FUNCTION audit_log_trigger() OWNER TO postgres`);
      await q('SET ROLE authenticated');
      assert.equal(await affected(q, `UPDATE projects SET name = 'x' WHERE id = 1`), 1);
      await q('RESET ROLE');
      assert.equal(await count(q, 'audit_log'), 1);
    });
  });

  test('ok: T10 INSERT policy WITH CHECK (pg_trigger_depth() > 0): trigger works, direct inserts fail', async () => {
    await inRollback(db, async (q) => {
      await auditSetup(q);
      await asOwner(q, `CREATE POLICY audit_insert ON audit_log FOR INSERT WITH CHECK (pg_trigger_depth() > 0);
                        GRANT INSERT ON audit_log TO authenticated;`);
      await q('SET ROLE authenticated');
      assert.equal(await affected(q, `UPDATE projects SET name = 'x' WHERE id = 1`), 1);
      const direct = await tryQuery(q, `INSERT INTO audit_log (project_id) VALUES (1)`);
      assert.equal(!direct.ok && direct.error.code, '42501');
      await q('SET ROLE app_owner');
      const byOwner = await tryQuery(q, `INSERT INTO audit_log (project_id) VALUES (1)`);
      assert.equal(!byOwner.ok && byOwner.error.code, '42501');
      await q('RESET ROLE');
      assert.equal(await count(q, 'audit_log'), 1);
    });
  });

  test('ok: T11 the trigger function owned by a BYPASSRLS role works', async () => {
    await inRollback(db, async (q) => {
      await auditSetup(q);
      await asOwner(q, `GRANT INSERT ON audit_log TO bypass_owner`);
      await q(`ALTER FUNCTION audit_log_trigger() OWNER TO bypass_owner`);
      await q('SET ROLE authenticated');
      assert.equal(await affected(q, `UPDATE projects SET name = 'x' WHERE id = 1`), 1);
      await q('RESET ROLE');
      assert.equal(await count(q, 'audit_log'), 1);
    });
  });

  test('ok: T11b INSERT policy TO the function owner: trigger works, app role still cannot insert', async () => {
    await inRollback(db, async (q) => {
      await auditSetup(q);
      await asOwner(q, `CREATE POLICY audit_trigger_insert ON audit_log FOR INSERT TO app_owner WITH CHECK (true)`);
      await q('SET ROLE authenticated');
      assert.equal(await affected(q, `UPDATE projects SET name = 'x' WHERE id = 1`), 1);
      await expectPgError(q(`INSERT INTO audit_log (project_id) VALUES (1)`), '42501', 'permission denied for table audit_log');
    });
  });

  test('ok: T12 RLS enabled without a policy: a non-owner sees 0 rows, no error', async () => {
    await inRollback(db, async (q) => {
      await tenantUsers(q);
      assert.equal(await probe(q), 0);
    });
  });

  test('ok: T13 owner sees all rows without FORCE', async () => {
    await inRollback(db, async (q) => {
      await tenantUsers(q);
      await asOwner(q, `CREATE POLICY member_read ON tenant_users FOR SELECT TO authenticated USING (false)`);
      await q('SET ROLE app_owner');
      assert.equal(await count(q, 'tenant_users'), 3);
    });
  });

  test('ok: T13b with FORCE the owner, without a policy for it, sees 0 rows', async () => {
    await inRollback(db, async (q) => {
      await tenantUsers(q, { force: true });
      await asOwner(q, `CREATE POLICY member_read ON tenant_users FOR SELECT TO authenticated USING (true)`);
      await q('SET ROLE app_owner');
      assert.equal(await count(q, 'tenant_users'), 0);
    });
  });

  test('err: T14 an INSERT policy without WITH CHECK admits nothing (42501)', async () => {
    await inRollback(db, async (q) => {
      await tenantUsers(q, { grant: 'SELECT, INSERT' });
      await asOwner(q, `CREATE POLICY ins ON tenant_users FOR INSERT TO authenticated`);
      await q('SET ROLE authenticated');
      await expectPgError(q(`INSERT INTO tenant_users VALUES (gen_random_uuid(), '${A}', 'member')`), '42501', 'new row violates row-level security policy');
    });
  });

  test('err: T14b an INSERT policy with USING is rejected at CREATE (42601)', async () => {
    await inRollback(db, async (q) => {
      await tenantUsers(q);
      await expectPgError(asOwner(q, `CREATE POLICY ins ON tenant_users FOR INSERT USING (true)`), '42601', 'only WITH CHECK expression allowed for INSERT');
    });
  });

  test('ok: T14c FOR ALL USING without WITH CHECK checks new rows with USING (not a hole)', async () => {
    await inRollback(db, async (q) => {
      await tenantUsers(q, { grant: 'SELECT, INSERT' });
      await asOwner(q, `CREATE POLICY tenant_a ON tenant_users FOR ALL TO authenticated USING (tenant_id = '${A}')`);
      await q('SET ROLE authenticated');
      assert.equal(await affected(q, `INSERT INTO tenant_users VALUES (gen_random_uuid(), '${A}', 'member')`), 1);
      await expectPgError(q(`INSERT INTO tenant_users VALUES (gen_random_uuid(), '${B}', 'member')`), '42501', 'new row violates row-level security policy');
    });
  });

  test('err: T15 current_setting without missing_ok fails when the setting was never set (42704)', async () => {
    await inRollback(db, async (q) => {
      await tenantUsers(q);
      // a name no other test sets: placeholders persist for the session
      await asOwner(q, `CREATE POLICY by_tenant ON tenant_users FOR SELECT TO authenticated USING (tenant_id = current_setting('app.t15_tenant')::uuid)`);
      await q('SET ROLE authenticated');
      await expectPgError(count(q, 'tenant_users'), '42704', 'unrecognized configuration parameter "app.t15_tenant"');
    });
  });

  test("err: T15b after a transaction-local set_config ends the setting reads '' and ::uuid fails (22P02)", async () => {
    // never set: current_setting(…, true) is NULL, the cast passes, 0 rows
    await inRollback(db, async (q) => {
      await t15bPolicy(q, `current_setting('app.t15b_tenant', true)::uuid`);
      assert.equal(await probe(q), 0);
    });
    // a committed transaction did a transaction-local set (this commits nothing else)
    await db.exec(`BEGIN; SELECT set_config('app.t15b_tenant', '${A}', true); COMMIT;`);
    assert.equal((await db.query<{ v: string }>(`SELECT current_setting('app.t15b_tenant', true) AS v`)).rows[0]!.v, '');
    await inRollback(db, async (q) => {
      await t15bPolicy(q, `current_setting('app.t15b_tenant', true)::uuid`);
      await q('SET ROLE authenticated');
      await expectPgError(count(q, 'tenant_users'), '22P02', 'invalid input syntax for type uuid: ""');
    });
    // the safe form
    await inRollback(db, async (q) => {
      await t15bPolicy(q, `nullif(current_setting('app.t15b_tenant', true), '')::uuid`);
      assert.equal(await probe(q), 0);
    });
  });

  test('ok: T17 only a RESTRICTIVE policy: 0 rows', async () => {
    await inRollback(db, async (q) => {
      await tenantUsers(q);
      await asOwner(q, `CREATE POLICY only_a ON tenant_users AS RESTRICTIVE FOR SELECT TO authenticated USING (tenant_id = '${A}')`);
      assert.equal(await probe(q), 0);
      await asOwner(q, `CREATE POLICY all_rows ON tenant_users FOR SELECT TO authenticated USING (true)`);
      assert.equal(await probe(q), 2, 'with a permissive policy added the restrictive one filters');
    });
  });

  test('ok: T18 a plain view over an RLS table shows every row (owner rights); the table shows 0', async () => {
    await inRollback(db, async (q) => {
      await tenantUsers(q);
      await asOwner(q, `CREATE VIEW tenant_users_v AS SELECT * FROM tenant_users; GRANT SELECT ON tenant_users_v TO authenticated;`);
      assert.equal(await probe(q, 'tenant_users_v'), 3);
      assert.equal(await probe(q, 'tenant_users'), 0);
    });
  });

  test('ok: T18b the view WITH (security_invoker = true) shows 0 rows', async () => {
    await inRollback(db, async (q) => {
      await tenantUsers(q);
      await asOwner(q, `CREATE VIEW tenant_users_v WITH (security_invoker = true) AS SELECT * FROM tenant_users; GRANT SELECT ON tenant_users_v TO authenticated;`);
      assert.equal(await probe(q, 'tenant_users_v'), 0);
    });
  });

  test('err: T19 definer helper with SET search_path = public reads an attacker temp table', async () => {
    await inRollback(db, async (q) => {
      assert.deepEqual(await hijack(q, 'SET search_path = public', 'tenant_users'), { before: 2, after: 1, tenant: B });
    });
  });

  test('ok: T19b SET search_path = public, pg_temp is safe', async () => {
    await inRollback(db, async (q) => {
      assert.deepEqual(await hijack(q, 'SET search_path = public, pg_temp', 'tenant_users'), { before: 2, after: 2, tenant: A });
    });
  });

  test("ok: T19c SET search_path = '' with schema-qualified names is safe", async () => {
    await inRollback(db, async (q) => {
      assert.deepEqual(await hijack(q, `SET search_path = ''`, 'public.tenant_users'), { before: 2, after: 2, tenant: A });
    });
  });

  test('err: T22 a SECURITY DEFINER helper is executable by PUBLIC unless EXECUTE is revoked', async () => {
    await inRollback(db, async (q) => {
      await tenantUsers(q);
      await q(`CREATE FUNCTION is_member(t uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$ ${IS_MEMBER_BODY} $$;`);
      // anon has no grant on the table …
      await q(`SET ROLE anon; ${actAsUser(B1)}`);
      const table = await tryQuery(q, 'SELECT count(*) FROM tenant_users');
      assert.equal(!table.ok && table.error.code, '42501');
      // … but can probe any user's membership of any tenant through the helper
      assert.deepEqual(await q(`SELECT is_member('${B}') AS b, is_member('${A}') AS a`), [{ b: true, a: false }]);
      await q(`RESET ROLE; REVOKE EXECUTE ON FUNCTION is_member(uuid) FROM PUBLIC; SET ROLE anon`);
      await expectPgError(q(`SELECT is_member('${B}')`), '42501', 'permission denied for function is_member');
    });
  });

  test('err: T24 an IMMUTABLE helper reading current_setting leaks across tenants with a generic plan', async () => {
    await inRollback(db, async (q) => {
      assert.deepEqual(await genericPlanCounts(q, 'IMMUTABLE'), [2, 2]);
    });
  });

  test('ok: T24b the same helper as STABLE follows the tenant switch', async () => {
    await inRollback(db, async (q) => {
      assert.deepEqual(await genericPlanCounts(q, 'STABLE'), [2, 1]);
    });
  });

  test('err: T25 policies on a and b reading each other raise 42P17 for "a"', async () => {
    await inRollback(db, async (q) => {
      await asOwner(
        q,
        `CREATE TABLE a (id int); CREATE TABLE b (id int);
         INSERT INTO a VALUES (1); INSERT INTO b VALUES (1);
         ALTER TABLE a ENABLE ROW LEVEL SECURITY; ALTER TABLE b ENABLE ROW LEVEL SECURITY;
         GRANT SELECT ON a, b TO authenticated;
         CREATE POLICY a_read ON a FOR SELECT TO authenticated USING (EXISTS (SELECT 1 FROM b WHERE b.id = a.id));
         CREATE POLICY b_read ON b FOR SELECT TO authenticated USING (EXISTS (SELECT 1 FROM a WHERE a.id = b.id));`,
      );
      await q('SET ROLE authenticated');
      await expectPgError(count(q, 'a'), '42P17', 'infinite recursion detected in policy for relation "a"');
    });
  });

  test('ok: T26 UPDATE policy without a SELECT policy: WHERE id = … updates 0 rows, no WHERE updates all', async () => {
    await inRollback(db, async (q) => {
      await tenantUsers(q, { grant: 'SELECT, UPDATE' });
      await asOwner(q, `CREATE POLICY upd ON tenant_users FOR UPDATE TO authenticated USING (true)`);
      await q('SET ROLE authenticated');
      assert.equal(await affected(q, `UPDATE tenant_users SET role = 'x' WHERE id = '${A1}'`), 0);
      assert.equal(await affected(q, `UPDATE tenant_users SET role = 'x'`), 3);
    });
  });

  test('ok: T27 DELETE policy without a SELECT policy: WHERE id = … deletes 0 rows', async () => {
    await inRollback(db, async (q) => {
      await tenantUsers(q, { grant: 'SELECT, DELETE' });
      await asOwner(q, `CREATE POLICY del ON tenant_users FOR DELETE TO authenticated USING (true)`);
      await q('SET ROLE authenticated');
      assert.equal(await affected(q, `DELETE FROM tenant_users WHERE id = '${A1}'`), 0);
      await q('RESET ROLE');
      assert.equal(await count(q, 'tenant_users'), 3);
    });
  });

  test('err: T28 a policy TO authenticated without a GRANT: 42501 permission denied', async () => {
    await inRollback(db, async (q) => {
      await tenantUsers(q, { grant: false });
      await asOwner(q, `CREATE POLICY all_rows ON tenant_users FOR SELECT TO authenticated USING (true)`);
      await q('SET ROLE authenticated');
      await expectPgError(count(q, 'tenant_users'), '42501', 'permission denied for table tenant_users');
    });
  });

  test('err: T29 a partition queried directly has no RLS: it returns the other tenant’s row', async () => {
    await inRollback(db, async (q) => {
      await asOwner(
        q,
        `CREATE TABLE docs (tenant_id uuid NOT NULL, body text) PARTITION BY LIST (tenant_id);
         CREATE TABLE docs_a PARTITION OF docs FOR VALUES IN ('${A}');
         CREATE TABLE docs_b PARTITION OF docs FOR VALUES IN ('${B}');
         INSERT INTO docs VALUES ('${A}', 'a'), ('${B}', 'b');
         ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
         CREATE POLICY by_tenant ON docs FOR SELECT TO authenticated USING (tenant_id = nullif(current_setting('app.tenant', true), '')::uuid);
         GRANT SELECT ON docs, docs_b TO authenticated;`,
      );
      await q(`SET ROLE authenticated; SELECT set_config('app.tenant', '${A}', true)`);
      assert.equal(await count(q, 'docs'), 1);
      assert.deepEqual(await q('SELECT tenant_id, body FROM docs_b'), [{ tenant_id: B, body: 'b' }]);
    });
  });

  test('err: T30 INSERT … RETURNING without a SELECT policy fails (42501)', async () => {
    await inRollback(db, async (q) => {
      await tenantUsers(q, { grant: 'SELECT, INSERT' });
      await asOwner(q, `CREATE POLICY ins ON tenant_users FOR INSERT TO authenticated WITH CHECK (true)`);
      await q('SET ROLE authenticated');
      assert.equal(await affected(q, `INSERT INTO tenant_users VALUES (gen_random_uuid(), '${A}', 'member')`), 1);
      await expectPgError(q(`INSERT INTO tenant_users VALUES (gen_random_uuid(), '${A}', 'member') RETURNING id`), '42501', 'new row violates row-level security policy');
    });
  });

  test('err: T31 an uncorrelated (select auth.uid()) in the SELECT policy makes the self-reading INSERT policy recurse', async () => {
    await inRollback(db, async (q) => {
      await orgMembers(q, `user_id = (select auth.uid())`);
      await q(`SET ROLE authenticated; ${AUTH_CLAIM}`);
      assert.equal(await count(q, 'org_members'), 1, 'SELECT works');
      await expectPgError(q(ORG_INSERT), '42P17', 'infinite recursion detected in policy for relation "org_members"');
    });
  });

  test('ok: T32 SELECT policy user_id = auth.uid() (no sub-select): the INSERT works', async () => {
    await inRollback(db, async (q) => {
      await orgMembers(q, `user_id = auth.uid()`);
      await q(`SET ROLE authenticated; ${AUTH_CLAIM}`);
      assert.equal(await affected(q, ORG_INSERT), 1);
    });
  });

  test('ok: T33 SELECT policy calling a plpgsql SECURITY DEFINER helper: the INSERT works', async () => {
    await inRollback(db, async (q) => {
      await q(`${AUTH_STUB_SQL}
        CREATE FUNCTION my_org(o uuid) RETURNS boolean LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public AS $$
        BEGIN RETURN EXISTS (SELECT 1 FROM org_members WHERE org_id = o AND user_id = auth.uid()); END $$;`);
      await orgMembers(q, `my_org(org_id)`, false);
      await q(`SET ROLE authenticated; ${AUTH_CLAIM}`);
      assert.equal(await count(q, 'org_members'), 1);
      assert.equal(await affected(q, ORG_INSERT), 1);
    });
  });
});

// ---------------------------------------------------------------------------------------
// Setups shared by several rows

/** T07: projects (no RLS) with an AFTER UPDATE trigger whose SECURITY DEFINER plpgsql function,
 * owned by the non-superuser table owner, inserts into audit_log (FORCE RLS, SELECT policy only). */
async function auditSetup(q: Q): Promise<void> {
  await asOwner(
    q,
    `CREATE TABLE projects (id int PRIMARY KEY, name text);
     INSERT INTO projects VALUES (1, 'p');
     GRANT SELECT, UPDATE ON projects TO authenticated;
     CREATE TABLE audit_log (project_id int, at timestamptz NOT NULL DEFAULT now());
     ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
     ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
     CREATE POLICY audit_read ON audit_log FOR SELECT TO authenticated USING (true);
     GRANT SELECT ON audit_log TO authenticated;
     CREATE FUNCTION audit_log_trigger() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
     BEGIN INSERT INTO audit_log (project_id) VALUES (NEW.id); RETURN NEW; END $$;
     CREATE TRIGGER projects_audit AFTER UPDATE ON projects FOR EACH ROW EXECUTE FUNCTION audit_log_trigger();`,
  );
}

async function t15bPolicy(q: Q, expr: string): Promise<void> {
  await tenantUsers(q);
  await asOwner(q, `CREATE POLICY by_tenant ON tenant_users FOR SELECT TO authenticated USING (tenant_id = ${expr})`);
}

/** F3/T19: a superuser-owned definer helper with `searchPath`; the policy on public.tenant_users
 * calls it. Returns the probe's count before and after the caller creates a TEMP TABLE
 * tenant_users claiming it is a member of tenant B, and the tenant it sees afterwards. */
async function hijack(q: Q, searchPath: string, tableRef: string): Promise<{ before: number; after: number; tenant: string }> {
  await tenantUsers(q);
  await q(`CREATE FUNCTION public.is_member(t uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER ${searchPath} AS $$
             SELECT EXISTS (SELECT 1 FROM ${tableRef} WHERE tenant_id = t AND id = nullif(current_setting('app.uid', true), '')::uuid) $$;
           CREATE POLICY member_read ON public.tenant_users FOR SELECT TO authenticated USING (public.is_member(tenant_id));`);
  await q(`SET ROLE authenticated; ${actAsUser(A1)}`);
  const before = await count(q, 'public.tenant_users');
  // the attacker: any role with TEMP (granted to PUBLIC by default)
  await q(`CREATE TEMP TABLE tenant_users (id uuid, tenant_id uuid, role text);
           INSERT INTO tenant_users VALUES ('${A1}', '${B}', 'admin');`);
  const after = await count(q, 'public.tenant_users');
  const tenants = await q('SELECT DISTINCT tenant_id FROM public.tenant_users');
  await q('RESET ROLE');
  assert.equal(tenants.length, 1);
  return { before, after, tenant: tenants[0]!.tenant_id as string };
}

/** T24: counts through a prepared statement with a generic plan, tenant A then tenant B. */
async function genericPlanCounts(q: Q, volatility: 'IMMUTABLE' | 'STABLE'): Promise<number[]> {
  await tenantUsers(q);
  await q(`CREATE FUNCTION cur_tenant() RETURNS uuid LANGUAGE sql ${volatility} AS $$ SELECT current_setting('app.tenant')::uuid $$;`);
  await asOwner(q, `CREATE POLICY by_tenant ON tenant_users FOR SELECT TO authenticated USING (tenant_id = cur_tenant())`);
  await q(`SET ROLE authenticated; SET plan_cache_mode = force_generic_plan;
           SELECT set_config('app.tenant', '${A}', false);
           PREPARE t24 AS SELECT count(*)::int AS n FROM tenant_users;`);
  const first = (await q('EXECUTE t24'))[0]!.n as number;
  await q(`SELECT set_config('app.tenant', '${B}', false)`);
  const second = (await q('EXECUTE t24'))[0]!.n as number;
  await q('DEALLOCATE t24; RESET ROLE');
  return [first, second];
}

const ORG = '00000000-0000-0000-0000-0000000000c0';
const U1 = '00000000-0000-0000-0000-0000000000c1';
const U2 = '00000000-0000-0000-0000-0000000000c2';
const AUTH_CLAIM = `SELECT set_config('request.jwt.claim.sub', '${U1}', true)`;
const ORG_INSERT = `INSERT INTO org_members VALUES ('${ORG}', '${U2}', 'member')`;

/** T31–T33: org_members (U1 is admin of ORG), a SELECT policy `selectUsing`, and an INSERT policy
 * whose WITH CHECK reads org_members (only an admin of the org may add members). */
async function orgMembers(q: Q, selectUsing: string, withStub = true): Promise<void> {
  if (withStub) await q(AUTH_STUB_SQL);
  await asOwner(
    q,
    `CREATE TABLE org_members (org_id uuid NOT NULL, user_id uuid NOT NULL, role text NOT NULL);
     INSERT INTO org_members VALUES ('${ORG}', '${U1}', 'admin');
     ALTER TABLE org_members ENABLE ROW LEVEL SECURITY;
     GRANT SELECT, INSERT ON org_members TO authenticated;
     CREATE POLICY members_read ON org_members FOR SELECT TO authenticated USING (${selectUsing});
     CREATE POLICY admins_add ON org_members FOR INSERT TO authenticated WITH CHECK (
       EXISTS (SELECT 1 FROM org_members m WHERE m.org_id = org_members.org_id AND m.user_id = auth.uid() AND m.role = 'admin'));`,
  );
}
