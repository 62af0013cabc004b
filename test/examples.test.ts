// The bundled examples are what `npm run demo` lints: they must be real PostgreSQL, and the
// mistakes the demo reports must really happen when executed.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { closeAll, count, getDb, inRollback, sqlStatements, tryQuery } from './helpers/pg.js';
import { actAs, AUTH_STUB_SQL } from './helpers/supabase.js';

const DIR = join(__dirname, '..', 'examples', 'migrations');
const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.sql'))
  .sort(new Intl.Collator('en', { numeric: true }).compare)
  .map((f) => ({ name: f, text: readFileSync(join(DIR, f), 'utf8') }));

after(closeAll);

/** Supabase's auth.users, as far as the examples read it: no privilege for the API roles. */
const AUTH_USERS_SQL = `CREATE TABLE auth.users (id uuid PRIMARY KEY, email text);
REVOKE ALL ON auth.users FROM PUBLIC;`;

test('ok: every example statement executes on PostgreSQL (PGlite)', async () => {
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q(AUTH_USERS_SQL);
    for (const f of files) {
      for (const stmt of sqlStatements(f.text)) {
        const r = await tryQuery(q, stmt);
        assert.ok(r.ok, `${f.name}: ${r.ok ? '' : r.error.code} ${r.ok ? '' : r.error.message}\n${stmt}`);
      }
    }
  });
});

test('err: the recursion the demo reports on tenant_users is real (42P17)', async () => {
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q(AUTH_USERS_SQL);
    for (const f of files) await q(f.text);
    await q('GRANT SELECT ON tenant_users TO authenticated');
    await q(actAs('00000000-0000-0000-0000-000000000001'));
    await q('SET ROLE authenticated');
    const r = await tryQuery(q, 'SELECT count(*) FROM tenant_users');
    assert.equal(r.ok ? 'no error' : r.error.code, '42P17');
  });
});

test('err: the table the demo reports without RLS leaks every row to a granted role', async () => {
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q(AUTH_USERS_SQL);
    for (const f of files) await q(f.text);
    await q(`INSERT INTO invoices (tenant_id, amount_cents) VALUES (gen_random_uuid(), 100), (gen_random_uuid(), 200)`);
    await q('GRANT SELECT ON invoices TO authenticated');
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'invoices'), 2, 'both tenants’ invoices are visible');
  });
});

test("err: the definer function the demo reports lists another tenant's members to any signed-in user", async () => {
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q(AUTH_USERS_SQL);
    for (const f of files) await q(f.text);
    const [t1, t2, u1] = ['00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000a2', '00000000-0000-0000-0000-0000000000b1'];
    await q(`INSERT INTO tenants (id, name) VALUES ('${t1}', 'one'), ('${t2}', 'two')`);
    await q(`INSERT INTO tenant_users (tenant_id, user_id) VALUES ('${t1}', '${u1}'), ('${t2}', gen_random_uuid()), ('${t2}', gen_random_uuid())`);
    await q(actAs(u1)); // a member of tenant one only
    await q('SET ROLE authenticated');
    assert.equal(await count(q, `SELECT * FROM tenant_members('${t2}')`), 2, "tenant two's members");
  });
});

test("err: the view the demo reports hands every account's email to anon, which may not read auth.users", async () => {
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q(AUTH_USERS_SQL);
    // Supabase's default privileges: every privilege on new tables and views in public for the API roles
    await q('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role');
    for (const f of files) await q(f.text);
    await q(`INSERT INTO auth.users VALUES (gen_random_uuid(), 'a@example.com'), (gen_random_uuid(), 'b@example.com')`);
    await q('SET ROLE anon');
    assert.equal(await count(q, 'member_emails'), 2, 'every email');
    const r = await tryQuery(q, 'SELECT email FROM auth.users');
    assert.equal(r.ok ? 'no error' : r.error.code, '42501');
  });
});
