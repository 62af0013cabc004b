// view-bypasses-rls on PostgreSQL (PGlite): a view reads its tables with its owner's rights
// (T18: all rows when the owner bypasses RLS, the owner's policies otherwise); with
// security_invoker the caller's policies apply (T18b). Materialized views: a snapshot with no
// RLS of their own.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { asOwner, closeAll, count, expectPgError, getDb, inRollback, tryQuery, type Q } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintDocExample, lintFiles, sqlOf, TENANT_A, TENANT_B, textAt } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL } from '../helpers/supabase.js';

const ID = 'view-bypasses-rls';
before(initParser);
after(closeAll);

const ORDERS = `INSERT INTO orders VALUES (1, '${TENANT_A}', 10), (2, '${TENANT_B}', 20), (3, '${TENANT_B}', 5000)`;

/** Runs the migrations as `owner` (superuser by default), adds orders of two customers, grants SELECT on everything. */
async function shop(q: Q, sql: string, owner?: string): Promise<void> {
  await q(AUTH_STUB_SQL);
  if (owner) await asOwner(q, sql, owner);
  else await q(sql);
  await q(ORDERS);
  await q('GRANT SELECT ON ALL TABLES IN SCHEMA public TO authenticated');
  await q(actAs(TENANT_A));
  await q('SET ROLE authenticated');
}

test('err: plain view owned by a superuser: the table shows 1 customer, the view both (T18); security_invoker: 1 (T18b)', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'order_totals');
  assert.match(finding.message, /not security_invoker.*\(T18\)/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await shop(q, sqlOf(ws));
    assert.equal(await count(q, 'orders'), 1);
    assert.equal(await count(q, 'order_totals'), 2, 'through the view: every customer');
  });
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /CREATE VIEW order_totals WITH \(security_invoker = true\) AS/);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(db, async (q) => {
    await shop(q, sqlOf(fixed));
    assert.equal(await count(q, 'order_totals'), 1, 'the caller’s policy applies');
  });
});

test('ok (message’s second half): owner subject to FORCE and without a policy: the view gives the owner’s rows (none), not the caller’s', async () => {
  const { ws } = invalidFinding(ID, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await shop(q, sqlOf(ws), 'app_owner');
    assert.equal(await count(q, 'orders'), 1, 'the caller’s own rows through the table');
    assert.equal(await count(q, 'order_totals'), 0, 'the view applies the policies for app_owner: none');
  });
});

test('err: a column list and WITH options: the fix extends the WITH list', async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.equal(textAt(ws, finding), 'order_count');
  const db = await getDb();
  const n = async (q: Q) => Number((await q('SELECT n FROM order_count'))[0]!.n);
  await inRollback(db, async (q) => {
    await shop(q, sqlOf(ws));
    assert.equal(await n(q), 3, 'order_count counts every order');
  });
  const fixed = applyFix(ws, finding);
  assert.match(sqlOf(fixed), /CREATE VIEW order_count \(n\) WITH \(security_barrier, security_invoker = true\) AS/);
  await inRollback(db, async (q) => {
    await shop(q, sqlOf(fixed));
    assert.equal(await n(q), 1);
  });
});

test('ok: a plain view over a security_invoker view: the inner view checks orders as the caller (no finding)', async () => {
  const valid = lintDocExample(ID, 'valid', 2);
  assert.equal(valid.mine.length, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await shop(q, sqlOf(valid.ws));
    assert.equal(Number((await q('SELECT n FROM my_order_count'))[0]!.n), 1, 'only the caller’s order');
    await q('RESET ROLE');
    await q('REVOKE SELECT ON orders FROM authenticated');
    await q('SET ROLE authenticated');
    await expectPgError(q('SELECT n FROM my_order_count'), '42501', 'permission denied for table orders');
  });
});

test('err: a later RESET (security_invoker) undoes it; the fix is an ALTER VIEW after that statement', async () => {
  const { ws, finding } = invalidFinding(ID, 2);
  const fixed = applyFix(ws, finding);
  assert.match(fixed.text('2_dashboard.sql')!, /RESET \(security_invoker\);\nALTER VIEW order_totals SET \(security_invoker = true\);/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await shop(q, sqlOf(ws));
    assert.equal(await count(q, 'order_totals'), 2);
  });
  await inRollback(db, async (q) => {
    await shop(q, sqlOf(fixed));
    assert.equal(await count(q, 'order_totals'), 1);
  });
});

test('ok: a view owned by a role subject to the policies gives that role’s rows for every caller (no finding)', async () => {
  const valid = lintDocExample(ID, 'valid', 5);
  assert.equal(valid.mine.length, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sqlOf(valid.ws)); // as the superuser, who may give the view to reporter
    await q(ORDERS);
    await q('GRANT SELECT ON small_orders TO authenticated');
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'small_orders'), 2, 'the rows reporter’s policy admits (total < 1000), nothing more');
  });
});

test('err: materialized view: reported without a fix; a role reads the stored rows; RLS and security_invoker are rejected for it', async () => {
  const sql = `${lintDocExample(ID, 'invalid', 0).ex.sql.replace(/CREATE VIEW[\s\S]*$/, '')}
CREATE MATERIALIZED VIEW order_stats AS SELECT customer_id, count(*) AS n FROM orders GROUP BY customer_id;`;
  const { mine } = lintFiles([{ file: 'm.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^Materialized view public\.order_stats stores figures its query computes over the rows of public\.orders \(a GROUP BY or aggregates, not the rows themselves\)/);
  assert.equal(mine[0]!.fixes.length, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql.replace(/CREATE MATERIALIZED VIEW[\s\S]*$/, ''));
    await q(ORDERS);
    await q(sql.replace(/^[\s\S]*(CREATE MATERIALIZED VIEW)/, '$1'));
    await q('GRANT SELECT ON orders, order_stats TO authenticated');
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'orders'), 1);
    assert.equal(await count(q, 'order_stats'), 2, 'the snapshot holds every customer');
    await q('RESET ROLE');
    await expectPgError(q('ALTER TABLE order_stats ENABLE ROW LEVEL SECURITY'), '42809');
  });
  await inRollback(db, async (q) => {
    await q(sql.replace(/CREATE MATERIALIZED VIEW[\s\S]*$/, '').replace(/CREATE POLICY[\s\S]*?;/, ''));
    await expectPgError(q('CREATE MATERIALIZED VIEW m WITH (security_invoker = true) AS SELECT * FROM orders'), '22023', 'unrecognized parameter "security_invoker"');
  });
});

test("err: a view whose query looks at the caller: the message says each caller sees the rows the query picks for it, not all rows (as measured: user A 1 of 3, anon 0)", async () => {
  const text = `CREATE TABLE orders (id bigint PRIMARY KEY, customer_id uuid NOT NULL, amount int NOT NULL);
CREATE INDEX ON orders (customer_id);
ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY orders_own ON orders FOR SELECT TO authenticated USING (customer_id = (select auth.uid()));
CREATE VIEW my_orders AS SELECT * FROM orders o WHERE o.customer_id = auth.uid();`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_orders.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /each role that can select from public\.my_orders sees the rows that query picks for it, whatever the tables' policies say \(T18\)/);
  assert.doesNotMatch(mine[0]!.message, /sees all rows/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await shop(q, sqlOf(ws)); // (owned by the superuser: it bypasses RLS)
    assert.equal(await count(q, 'my_orders'), 1, "user A: its own order");
    await q('RESET ROLE');
    await q('GRANT SELECT ON my_orders TO anon');
    await q("SELECT set_config('request.jwt.claim.sub', '', true)");
    await q('SET ROLE anon');
    assert.equal(await count(q, 'my_orders'), 0, 'anon: none');
  });
});

test("err (message): a view with a WHERE of its own (workover's spaces_public_safe) shows the rows its query selects, not all: anon sees the published spaces through it, the unpublished ones neither way, and a published one the policy hides only through the view", async () => {
  const sql = `CREATE TABLE public.profiles (id uuid PRIMARY KEY, stripe_connected boolean NOT NULL DEFAULT false);
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY profiles_read ON public.profiles FOR SELECT TO anon, authenticated USING (true);
CREATE TABLE public.workspaces (id int PRIMARY KEY, host_id uuid NOT NULL REFERENCES public.profiles (id), published boolean NOT NULL DEFAULT false);
CREATE INDEX ON public.workspaces (host_id);
ALTER TABLE public.workspaces ENABLE ROW LEVEL SECURITY;
CREATE POLICY workspaces_read ON public.workspaces FOR SELECT TO anon, authenticated
  USING (published = true AND EXISTS (SELECT 1 FROM public.profiles WHERE profiles.id = workspaces.host_id AND profiles.stripe_connected = true));
CREATE VIEW public.spaces_public AS SELECT w.id FROM public.workspaces w WHERE w.published = true;
GRANT SELECT ON public.workspaces, public.profiles, public.spaces_public TO anon, authenticated;
`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/20251219000000_view.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /every role that can select from public\.spaces_public sees every row its query selects, whatever the tables' policies say \(T18\): its WHERE stands in for them/);
  assert.doesNotMatch(mine[0]!.message, /sees all rows/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql);
    await q(`INSERT INTO public.profiles VALUES ('${TENANT_A}', true), ('${TENANT_B}', false);
INSERT INTO public.workspaces VALUES (1, '${TENANT_A}', true), (2, '${TENANT_A}', false), (3, '${TENANT_B}', true), (4, '${TENANT_B}', false)`);
    await q('SET ROLE anon');
    const ids = async (rel: string) => (await q(`SELECT id FROM ${rel} ORDER BY id`)).map((r) => Number(r.id));
    assert.deepEqual(await ids('public.workspaces'), [1], 'the policy: published, connected host');
    assert.deepEqual(await ids('public.spaces_public'), [1, 3], "the view's WHERE: published, whoever the host (not all 4 rows)");
  });
});

test("ok: on Supabase, a view every API role lost SELECT on (herocast's decrypted_accounts: REVOKE ALL … FROM anon, authenticated), granted to no other role subject to RLS, is read by no request: not reported; PGlite: 42501 for both", async () => {
  const files = [
    {
      file: 'supabase/migrations/20250709155039_remote_schema.sql',
      text: `CREATE TABLE public.accounts (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), user_id uuid NOT NULL, private_key text);
CREATE INDEX ON public.accounts (user_id);
ALTER TABLE public.accounts ENABLE ROW LEVEL SECURITY;
CREATE POLICY accounts_own ON public.accounts FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
GRANT SELECT ON public.accounts TO authenticated;
CREATE VIEW public.decrypted_accounts AS SELECT id, user_id, upper(private_key) AS decrypted_private_key FROM public.accounts;
GRANT ALL ON TABLE public.decrypted_accounts TO anon, authenticated, service_role;
`,
    },
    { file: 'supabase/migrations/20250801000000_harden.sql', text: 'REVOKE ALL ON public.decrypted_accounts FROM anon, authenticated;\n' },
  ];
  assert.deepEqual(lintFiles(files, 'view-bypasses-rls').mine, []);
  assert.equal(lintFiles(files.slice(0, 1), 'view-bypasses-rls').mine.length, 1, 'without the REVOKE: reported');
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    for (const f of files) await q(f.text);
    for (const role of ['anon', 'authenticated']) {
      await q(`SET ROLE ${role}`);
      const r = await tryQuery(q, 'SELECT count(*) FROM public.decrypted_accounts');
      assert.equal(r.ok ? 'ok' : r.error.code, '42501', role);
      await q('RESET ROLE');
    }
  });
});

// Calibration cal32 (yugi-forge-arena's user_profile_stats over profiles and
// tournament_participants, both read by everyone through SELECT USING (true) policies)
test("ok/err: a view over tables every role that may read it reads whole anyway (permissive SELECT USING (true), no restrictive policy) exposes nothing: not reported, and PGlite shows anon the same rows either way; a table that hides rows is reported, alone", async () => {
  const sql = (participants: string) => `CREATE TABLE public.profiles (id uuid PRIMARY KEY, username text);
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY profiles_read ON public.profiles FOR SELECT USING (true);
CREATE TABLE public.participants (id bigint PRIMARY KEY, user_id uuid, wins int);
ALTER TABLE public.participants ENABLE ROW LEVEL SECURITY;
CREATE POLICY participants_read ON public.participants FOR SELECT USING (${participants});
GRANT SELECT ON public.profiles, public.participants TO anon, authenticated;
CREATE VIEW public.stats AS
  SELECT p.id, p.username, coalesce(sum(t.wins), 0)::int AS wins FROM public.profiles p LEFT JOIN public.participants t ON t.user_id = p.id GROUP BY p.id, p.username;
GRANT SELECT ON public.stats TO anon, authenticated, service_role;
`;
  const file = 'supabase/migrations/20260130210000_stats.sql';
  const open = sql('true');
  assert.deepEqual(lintFiles([{ file, text: open }], ID).mine, []);
  const own = sql('user_id = (select auth.uid())');
  const [f] = lintFiles([{ file, text: own }], ID).mine;
  assert.match(f!.message, /^View public\.stats reads public\.participants, which has row-level security/);
  const seed = `INSERT INTO public.profiles VALUES ('${TENANT_A}', 'a'), ('${TENANT_B}', 'b'); INSERT INTO public.participants VALUES (1, '${TENANT_A}', 3), (2, '${TENANT_B}', 1)`;
  const viewRows = `SELECT username, wins FROM public.stats ORDER BY username`;
  const tableRows = `SELECT p.username, coalesce(sum(t.wins), 0)::int AS wins FROM public.profiles p LEFT JOIN public.participants t ON t.user_id = p.id GROUP BY p.username ORDER BY p.username`;
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q(open);
    await q(seed);
    await q('SET ROLE anon');
    assert.deepEqual(await q(viewRows), await q(tableRows), 'the view shows anon what the tables do');
    assert.deepEqual(await q(viewRows), [{ username: 'a', wins: 3 }, { username: 'b', wins: 1 }]);
  });
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q(own);
    await q(seed);
    await q('SET ROLE anon');
    assert.deepEqual(await q(tableRows), [{ username: 'a', wins: 0 }, { username: 'b', wins: 0 }], 'the table hides every participant from anon');
    assert.deepEqual(await q(viewRows), [{ username: 'a', wins: 3 }, { username: 'b', wins: 1 }], 'the view shows them');
  });
});

// Calibration cal33 (sellspay's public_products: WHERE pr.status = 'published' over a policy USING (status = 'published'))
test("ok/err: a view whose WHERE asks what the readers' constant-only SELECT policy asks (status = 'published') shows them only rows they read anyway: not reported, PGlite shows the same rows; a WHERE asking less is reported", async () => {
  const sql = (where: string) => `CREATE TABLE public.products (id int PRIMARY KEY, name text, status text NOT NULL);
ALTER TABLE public.products ENABLE ROW LEVEL SECURITY;
CREATE POLICY products_published ON public.products FOR SELECT TO anon, authenticated USING (status = 'published');
GRANT SELECT ON public.products TO anon, authenticated;
CREATE VIEW public.public_products AS SELECT pr.id, pr.name, pr.status FROM public.products pr WHERE ${where};
GRANT SELECT ON public.public_products TO anon, authenticated;
`;
  const file = 'supabase/migrations/20260125081007_products.sql';
  const same = sql(`pr.status = 'published'`);
  assert.deepEqual(lintFiles([{ file, text: same }], ID).mine, []);
  const less = sql(`pr.status <> 'archived'`);
  assert.equal(lintFiles([{ file, text: less }], ID).mine.length, 1);
  const seed = `INSERT INTO public.products VALUES (1, 'pub', 'published'), (2, 'draft', 'draft'), (3, 'old', 'archived')`;
  const db = await getDb();
  for (const [text, viewRows] of [[same, ['pub']], [less, ['pub', 'draft']]] as const) {
    await inRollback(db, async (q) => {
      await q(text);
      await q(seed);
      for (const role of ['anon', 'authenticated']) {
        await q(`SET ROLE ${role}`);
        assert.deepEqual((await q('SELECT name FROM public.products ORDER BY id')).map((r) => r.name), ['pub'], role);
        assert.deepEqual((await q('SELECT name FROM public.public_products ORDER BY id')).map((r) => r.name), viewRows, role);
        await q('RESET ROLE');
      }
    });
  }
});

test("ok: a view made after `ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public REVOKE ALL ON TABLES FROM anon, authenticated` (Solara) gets none of Supabase's default grants: no API role reads it (42501), not reported", async () => {
  const text = `ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public REVOKE ALL ON TABLES FROM anon, authenticated;
CREATE TABLE public.events (id bigint PRIMARY KEY, user_id uuid, feature text);
ALTER TABLE public.events ENABLE ROW LEVEL SECURITY;
CREATE POLICY events_own ON public.events FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
GRANT SELECT ON public.events TO authenticated;
CREATE VIEW public.events_per_feature AS SELECT feature, count(*) AS n FROM public.events GROUP BY feature;
`;
  const file = 'supabase/migrations/20260101000000_a.sql';
  assert.equal(lintFiles([{ file, text }], ID).mine.length, 0);
  // (without the default REVOKE the platform's defaults grant it: reported)
  assert.equal(lintFiles([{ file, text: text.slice(text.indexOf('\n') + 1) }], ID).mine.length, 1);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    // (Supabase's platform defaults, as its postgres role has them)
    await q('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated');
    await q(text.replace('FOR ROLE postgres ', ''));
    await q('SET ROLE authenticated');
    await expectPgError(q('SELECT * FROM public.events_per_feature'), '42501');
  });
});

// Calibration (siteproof's report_queue_permissions): auth.uid() only in the select list computes a
// column (is_owner); it chooses no row, so the view returns every row (the message said each role
// "sees the rows that query picks for it: its own filter stands in for them").
test('err (message): auth.uid() only in the select list is no filter: "sees all rows"; PGlite: the table shows the user 1 row, the view all 3', async () => {
  const sql = `CREATE TABLE public.report_queue (id int PRIMARY KEY, requested_by uuid NOT NULL, report_name text NOT NULL);
ALTER TABLE public.report_queue ENABLE ROW LEVEL SECURITY;
CREATE POLICY rq_own ON public.report_queue FOR SELECT TO authenticated USING (requested_by = (select auth.uid()));
GRANT SELECT ON public.report_queue TO authenticated;
CREATE VIEW public.report_queue_permissions AS
SELECT rq.id, rq.report_name, (rq.requested_by = auth.uid()) AS is_owner FROM public.report_queue rq;
GRANT SELECT ON public.report_queue_permissions TO authenticated;
`;
  const file = 'supabase/migrations/20240101000000_reports.sql';
  const [f, ...rest] = lintFiles([{ file, text: sql }], ID).mine;
  assert.equal(rest.length, 0);
  assert.match(f!.message, /every role that can select from public\.report_queue_permissions sees all rows \(T18\)/);
  assert.doesNotMatch(f!.message, /its own filter stands in/);
  // in the WHERE, it does choose the rows
  const where = sql.replace('FROM public.report_queue rq;', 'FROM public.report_queue rq WHERE rq.requested_by = auth.uid();');
  assert.match(lintFiles([{ file, text: where }], ID).mine[0]!.message, /its own filter stands in for them/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql);
    await q(`INSERT INTO public.report_queue VALUES (1, '${TENANT_A}', 'a'), (2, '${TENANT_B}', 'b'), (3, '${TENANT_B}', 'c')`);
    await q(`${actAs(TENANT_A)} SET ROLE authenticated`);
    assert.equal(await count(q, 'public.report_queue'), 1);
    assert.equal(await count(q, 'public.report_queue_permissions'), 3);
  });
});

test('err: a view the migrations give to a role they make BYPASSRLS (and the table FORCEd, no policy for that role): the message says the owner bypasses RLS, not "when"; PGlite: the caller sees every row its WHERE selects', async () => {
  const text = `CREATE ROLE vbr_admin NOLOGIN BYPASSRLS;
CREATE ROLE vbr_user NOLOGIN;
CREATE TABLE profiles (user_id int PRIMARY KEY, name text, is_coach boolean);
ALTER TABLE profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE profiles FORCE ROW LEVEL SECURITY;
CREATE POLICY profiles_self ON profiles FOR SELECT TO vbr_user USING (user_id = current_setting('app.uid', true)::int);
GRANT SELECT ON profiles TO vbr_user;
CREATE VIEW coaches AS SELECT user_id, name FROM profiles WHERE is_coach;
ALTER VIEW coaches OWNER TO vbr_admin;
ALTER TABLE profiles OWNER TO vbr_admin;
GRANT SELECT ON coaches TO vbr_user;
`;
  const { mine } = lintFiles([{ file: 'db/1.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /Its owner vbr_admin has BYPASSRLS \(as the migrations make it\), so no policy of that table applies to the view's reads: every role that can select from public\.coaches sees every row its query selects/);
  assert.doesNotMatch(mine[0]!.message, /When the owner bypasses RLS|otherwise it gets the rows the policies give the owner/);
  await inRollback(await getDb(), async (q) => {
    await q(text);
    await q(`INSERT INTO profiles VALUES (1, 'me', false), (2, 'coach a', true), (3, 'coach b', true)`);
    await q(`SET app.uid = '1'`);
    await q('SET ROLE vbr_user');
    assert.equal(await count(q, 'profiles'), 1, 'through the table: my own row');
    assert.equal(await count(q, 'coaches'), 2, "through the view: every coach, though FORCE applies profiles' policies to its owner and none is for vbr_admin");
  });
});

// Calibration (ZaheaniQo/swanEPR's view_total_shares): the view's filter on who is asking sits in a
// WITH query its FROM reads, through another (`WITH approved_tx AS (… WHERE et.tenant_id =
// app.current_tenant_id()), share_legs AS (… FROM approved_tx …) SELECT … FROM share_legs`); the
// message said every role "sees all rows (T18)".
test("err (message): a filter on the caller in a WITH query the view reads says each caller sees the rows it picks, not all; PGlite: user A's total is its own order's, not all 3 orders'", async () => {
  const sql = `CREATE TABLE public.orders (id bigint PRIMARY KEY, customer_id uuid NOT NULL, amount int NOT NULL);
CREATE INDEX ON public.orders (customer_id);
ALTER TABLE public.orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY orders_own ON public.orders FOR SELECT TO authenticated USING (customer_id = (select auth.uid()));
CREATE VIEW public.order_total AS
WITH mine AS (SELECT o.* FROM public.orders o WHERE o.customer_id = auth.uid()),
legs AS (SELECT amount AS delta FROM mine UNION ALL SELECT -amount FROM mine WHERE amount < 0)
SELECT auth.uid() AS customer_id, coalesce(sum(delta), 0) AS total FROM legs;
GRANT SELECT ON public.orders, public.order_total TO authenticated;
`;
  const file = 'supabase/migrations/20240101000000_orders.sql';
  const [f, ...rest] = lintFiles([{ file, text: sql }], ID).mine;
  assert.equal(rest.length, 0);
  assert.match(f!.message, /Its query looks at who is asking .*each role that can select from public\.order_total sees figures over the rows that query picks for it/);
  assert.match(f!.message, /Its query aggregates with no GROUP BY, so it shows one row of figures/);
  assert.doesNotMatch(f!.message, /sees all rows/);
  // (a WITH query read only in a sub-select of the select list chooses no row: all rows)
  const scalar = `CREATE TABLE public.orders (id bigint PRIMARY KEY, customer_id uuid NOT NULL, amount int NOT NULL);
CREATE INDEX ON public.orders (customer_id);
ALTER TABLE public.orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY orders_own ON public.orders FOR SELECT TO authenticated USING (customer_id = (select auth.uid()));
CREATE VIEW public.order_flags AS
WITH mine AS (SELECT o.id FROM public.orders o WHERE o.customer_id = auth.uid())
SELECT o.id, o.id IN (SELECT id FROM mine) AS is_mine FROM public.orders o;
GRANT SELECT ON public.orders, public.order_flags TO authenticated;
`;
  const [g] = lintFiles([{ file, text: scalar }], ID).mine;
  assert.match(g!.message, /every role that can select from public\.order_flags sees all rows \(T18\)/);
  // (a WITH query with a WHERE of its own that does not look at the caller: the rows it selects)
  const where = sql.replace('WHERE o.customer_id = auth.uid()', 'WHERE o.amount < 1000').replace('SELECT auth.uid() AS customer_id,', 'SELECT');
  assert.notEqual(where, sql);
  assert.match(lintFiles([{ file, text: where }], ID).mine[0]!.message, /reads figures over every row its query selects, whatever the tables' policies say \(T18\): its WHERE stands in for them/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql);
    await q(scalar.replace(/^[\s\S]*?CREATE VIEW/, 'CREATE VIEW'));
    await q(ORDERS.replace('INTO orders', 'INTO public.orders'));
    await q(`${actAs(TENANT_A)} SET ROLE authenticated`);
    assert.equal(await count(q, 'public.orders'), 1, 'the table: its own order');
    assert.deepEqual(await q('SELECT total FROM public.order_total'), [{ total: 10 }], 'through the view: its own order only (all 3 would be 5030)');
    assert.equal(await count(q, 'public.order_flags'), 3, 'a WITH query in the select list: every order');
  });
});

test('ok: a view (plain or materialized) reading a table the migrations create only later is never created (42P01): no finding', async () => {
  const posts = `CREATE TABLE public.posts (id uuid PRIMARY KEY, user_id uuid NOT NULL, body text);
ALTER TABLE public.posts ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_posts ON public.posts FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
`;
  const views = `CREATE MATERIALIZED VIEW public.user_activity AS
SELECT p.user_id, count(f.follower_id) AS follows FROM public.posts p LEFT JOIN public.user_follows f ON f.follower_id = p.user_id GROUP BY p.user_id;
CREATE VIEW public.post_feed AS
SELECT p.id, p.body, f.following_id FROM public.posts p JOIN public.user_follows f ON f.follower_id = p.user_id;
`;
  const follows = `CREATE TABLE public.user_follows (follower_id uuid NOT NULL, following_id uuid NOT NULL);
ALTER TABLE public.user_follows ENABLE ROW LEVEL SECURITY;
CREATE POLICY follows_read ON public.user_follows FOR SELECT TO authenticated USING (true);
`;
  const files = [
    { file: 'supabase/migrations/20240101000000_posts.sql', text: posts },
    { file: 'supabase/migrations/20240102000000_views.sql', text: views },
    { file: 'supabase/migrations/20240103000000_follows.sql', text: follows },
  ];
  assert.deepEqual(lintFiles(files, ID).mine, []);
  // (the same views after the table: both reported)
  const later = [files[0]!, { ...files[2]!, file: 'supabase/migrations/20240102000000_follows.sql' }, { ...files[1]!, file: 'supabase/migrations/20240103000000_views.sql' }];
  const shown = lintFiles(later, ID);
  assert.deepEqual(shown.mine.map((f) => textAt(shown.ws, f)).sort(), ['public.post_feed', 'public.user_activity']);
  // (made later IF NOT EXISTS: the table may exist already, the views are reported)
  const ine = files.map((f) => ({ ...f, text: f.text.replace('CREATE TABLE public.user_follows', 'CREATE TABLE IF NOT EXISTS public.user_follows') }));
  assert.equal(lintFiles(ine, ID).mine.length, 2);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(posts);
    const [mv, view] = views.split(/;\n/);
    for (const sql of [mv!, view!]) {
      const r = await tryQuery(q, sql);
      assert.ok(!r.ok && r.error.code === '42P01' && /relation "public\.user_follows" does not exist/.test(r.error.message), sql);
    }
    await q(follows);
    assert.deepEqual(await q(`SELECT relname FROM pg_class WHERE relname IN ('user_activity', 'post_feed')`), [], 'neither view exists');
  });
});

// Calibration fix122 (naytife/commerce's materialized view daily_sales over orders, and a minimal
// repro): outside Supabase, a view the migrations grant to no role while they grant privileges to
// roles is read by its owner alone: every other role gets 42501, so it leaks nothing; the first
// GRANT that reaches it makes it a bypass.
const GRANTED_TO_NOBODY = lintDocExample(ID, 'valid', 4).ex.sql;
const ORDER_STATS = 'CREATE MATERIALIZED VIEW order_stats AS SELECT customer_id, count(*) AS n FROM orders GROUP BY customer_id;\n';

/** Runs `sql` as the superuser, adds the orders, and sets app_user's customer (tenant A). */
async function appShop(q: Q, sql: string): Promise<void> {
  await q(sql);
  await q(ORDERS);
  if (/MATERIALIZED VIEW order_stats/.test(sql)) await q('REFRESH MATERIALIZED VIEW order_stats');
  await q(`SET app.customer = '${TENANT_A}'`);
}

test('ok: outside Supabase, a view and a materialized view the migrations grant to nobody while they grant orders to app_user: not reported; PGlite: app_user gets 42501 on both, the owner reads through them what it reads from the table', async () => {
  const sql = GRANTED_TO_NOBODY + ORDER_STATS;
  assert.deepEqual(lintFiles([{ file: 'db/001_init.sql', text: sql }], ID).mine, []);
  await inRollback(await getDb(), async (q) => {
    await appShop(q, sql);
    await q('SET ROLE app_user');
    assert.equal(await count(q, 'orders'), 1, 'the table: its own order');
    for (const [rel, kind] of [['order_totals', 'view'], ['order_stats', 'materialized view']]) {
      const r = await tryQuery(q, `SELECT * FROM ${rel}`);
      assert.ok(!r.ok, rel);
      assert.equal(r.error.code, '42501', rel);
      assert.equal(r.error.message, `permission denied for ${kind} ${rel}`);
    }
    await q('RESET ROLE');
    // (the owner, here the superuser, reads the tables themselves with the same rights)
    assert.equal(await count(q, 'order_totals'), Number((await q('SELECT count(DISTINCT customer_id) AS n FROM orders'))[0]!.n));
  });
});

test('err: the first GRANT on it makes it a bypass: reported; PGlite: app_user sees 1 customer through the table, both through the view and the materialized view', async () => {
  const sql = `${GRANTED_TO_NOBODY + ORDER_STATS}GRANT SELECT ON order_totals, order_stats TO app_user;\n`;
  const { ws, mine } = lintFiles([{ file: 'db/001_init.sql', text: sql }], ID);
  assert.deepEqual(mine.map((f) => textAt(ws, f)).sort(), ['order_stats', 'order_totals']);
  await inRollback(await getDb(), async (q) => {
    await appShop(q, sql);
    await q('SET ROLE app_user');
    assert.equal(await count(q, 'orders'), 1);
    assert.equal(await count(q, 'order_totals'), 2, 'through the view: every customer');
    assert.equal(await count(q, 'order_stats'), 2, 'through the materialized view: every customer');
  });
});

test('err: still reported when a GRANT reaches the view another way (PUBLIC, a group role app_user is a member of, ON ALL TABLES IN SCHEMA after it, default privileges before it, dynamic SQL over the catalog); PGlite: app_user reads every customer through it each time', async () => {
  const [head, view] = GRANTED_TO_NOBODY.split(/(?=CREATE VIEW)/) as [string, string];
  const cases: Record<string, string> = {
    PUBLIC: `${head}${view}GRANT SELECT ON order_totals TO PUBLIC;\n`,
    'a group role': `${head}CREATE ROLE order_readers NOLOGIN;\nGRANT order_readers TO app_user;\n${view}GRANT SELECT ON order_totals TO order_readers;\n`,
    'ON ALL TABLES IN SCHEMA': `${head}${view}GRANT SELECT ON ALL TABLES IN SCHEMA public TO app_user;\n`,
    'default privileges': `${head}ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO app_user;\n${view}`,
    'dynamic SQL': `${head}${view}DO $$
DECLARE v record;
BEGIN
  FOR v IN SELECT viewname FROM pg_views WHERE schemaname = 'public' LOOP
    EXECUTE format('GRANT SELECT ON %I TO app_user', v.viewname);
  END LOOP;
END $$;
`,
  };
  for (const [how, sql] of Object.entries(cases)) {
    const { ws, mine } = lintFiles([{ file: 'db/001_init.sql', text: sql }], ID);
    assert.deepEqual(mine.map((f) => textAt(ws, f)), ['order_totals'], how);
    await inRollback(await getDb(), async (q) => {
      await appShop(q, sql);
      await q('SET ROLE app_user');
      assert.equal(await count(q, 'orders'), 1, how);
      assert.equal(await count(q, 'order_totals'), 2, how);
    });
  }
});

test('err: still reported where the migrations grant nothing at all (privileges managed elsewhere) and on Supabase (its default privileges give authenticated the new view; PGlite: every customer through it)', async () => {
  const unknown = GRANTED_TO_NOBODY.replace('GRANT SELECT ON orders TO app_user;\n', '');
  assert.notEqual(unknown, GRANTED_TO_NOBODY);
  assert.equal(lintFiles([{ file: 'db/001_init.sql', text: unknown }], ID).mine.length, 1, 'grants unknown');
  const supabase = GRANTED_TO_NOBODY.replace('CREATE ROLE app_user NOLOGIN;\n', '')
    .replace(/app_user/g, 'authenticated')
    .replace("(select nullif(current_setting('app.customer', true), '')::uuid)", '(select auth.uid())');
  assert.match(supabase, /TO authenticated\s+USING \(customer_id = \(select auth\.uid\(\)\)\)/);
  assert.equal(lintFiles([{ file: 'supabase/migrations/20240101000000_orders.sql', text: supabase }], ID).mine.length, 1, 'Supabase');
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    // (Supabase's platform defaults, as its postgres role has them)
    await q('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated');
    await q(supabase);
    await q(ORDERS);
    await q(`${actAs(TENANT_A)} SET ROLE authenticated`);
    assert.equal(await count(q, 'orders'), 1);
    assert.equal(await count(q, 'order_totals'), 2);
  });
});

// Calibration (liara-lite's mv_mem_facet_counts, a materialized view over views of its memories):
// a materialized view over a view stores what the view read when it was refreshed, a
// security_invoker view's tables read then as the materialized view's owner.
test('err: a materialized view over a security_invoker view of an RLS table is reported (the view is not): anon reads every user\'s rows from it, none from the view (PGlite)', async () => {
  const sql = `CREATE TABLE public.memories (id bigint PRIMARY KEY, user_id uuid NOT NULL, tags text[] NOT NULL);
CREATE INDEX ON public.memories (user_id);
ALTER TABLE public.memories ENABLE ROW LEVEL SECURITY;
CREATE POLICY memories_own ON public.memories FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE VIEW public.v_mem_keyword WITH (security_invoker = true) AS SELECT m.id, m.user_id, k AS value FROM public.memories m, unnest(m.tags) AS k;
CREATE MATERIALIZED VIEW public.mv_mem_facet_counts AS SELECT value, user_id, count(*) AS freq FROM public.v_mem_keyword GROUP BY value, user_id;
`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/20250817000000_facets.sql', text: sql }], ID);
  assert.equal(mine.length, 1, mine.map((f) => f.message).join('\n'));
  assert.match(mine[0]!.message, /^Materialized view public\.mv_mem_facet_counts stores figures its query computes over the rows of public\.memories \(a GROUP BY or aggregates, not the rows themselves\), which has row-level security/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql.replace(/CREATE MATERIALIZED VIEW[\s\S]*$/, ''));
    await q(`INSERT INTO public.memories VALUES (1, '${TENANT_A}', '{diagnosis}'), (2, '${TENANT_B}', '{salary}')`);
    await q(sql.replace(/^[\s\S]*(CREATE MATERIALIZED VIEW)/, '$1'));
    await q('GRANT SELECT ON public.memories, public.v_mem_keyword, public.mv_mem_facet_counts TO anon, authenticated');
    await q('SET ROLE anon');
    assert.equal(await count(q, 'public.v_mem_keyword'), 0, 'the security_invoker view applies the policies: none for anon');
    assert.deepEqual(await q('SELECT value FROM public.mv_mem_facet_counts ORDER BY value'), [{ value: 'diagnosis' }, { value: 'salary' }], "every user's keywords");
  });
  // a plain view over the security_invoker view reads it as the querying role: not followed, not reported
  const plain = sql.replace('CREATE MATERIALIZED VIEW public.mv_mem_facet_counts AS', 'CREATE VIEW public.v_facet_counts AS');
  assert.deepEqual(lintFiles([{ file: 'supabase/migrations/20250817000000_facets.sql', text: plain }], ID).mine, []);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(plain);
    await q(`INSERT INTO public.memories VALUES (1, '${TENANT_A}', '{diagnosis}'), (2, '${TENANT_B}', '{salary}')`);
    await q('GRANT SELECT ON public.memories, public.v_mem_keyword, public.v_facet_counts TO anon, authenticated');
    await q('SET ROLE anon');
    assert.equal(await count(q, 'public.v_facet_counts'), 0, "the security_invoker view inside reads as anon, even through the superuser's view");
  });
});

// Calibration (mdsamialsohan/EmployeeManagementBackend's admin_user_ids): a view that a policy of
// the table it reads reads in a sub-select, "to avoid recursion". The view does expose what it
// selects (a member reads the admins' ids it cannot read from the table), but security_invoker is
// no fix: the view's read of the table would apply that policy again, 42P17 on every query.
test('err: a view a policy of its own table reads: reported, with no security_invoker advice nor fix (PGlite: made security_invoker, 42P17 on the table and the view)', async () => {
  const sql = `create table public.profiles (id uuid primary key, role text);
alter table public.profiles enable row level security;
create policy "Users can view their own profile" on profiles for select using (auth.uid() = id);
create or replace view admin_user_ids as
select id
from profiles
where role = 'admin';
create policy "Admins can view all profiles"
on profiles
for select
using (
  auth.uid() IN (select id from admin_user_ids)
);
`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20250626225432_allow-admins-view-all-profiles.sql', text: sql }], ID);
  assert.equal(mine.length, 1, mine.map((f) => f.message).join('\n'));
  const m = mine[0]!.message;
  assert.equal(textAt(ws, mine[0]!), 'admin_user_ids');
  assert.match(m, /every role that can select from public\.admin_user_ids sees every row its query selects/);
  assert.match(m, /WITH \(security_invoker = true\) is no fix here: policy "Admins can view all profiles" on public\.profiles reads public\.admin_user_ids in a sub-select.*42P17 infinite recursion/);
  assert.doesNotMatch(m, /so the querying role's policies apply \(T18b\)/);
  assert.deepEqual(mine[0]!.fixes, []);
  const seed = `INSERT INTO public.profiles VALUES ('${TENANT_A}', 'admin'), ('${TENANT_B}', 'member'); GRANT SELECT ON public.profiles, public.admin_user_ids TO authenticated;`;
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql);
    await q(seed);
    await q(actAs(TENANT_B));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.profiles'), 1, 'the member reads its own row: no recursion as the view is');
    assert.deepEqual(await q('SELECT id FROM admin_user_ids'), [{ id: TENANT_A }], "the admin's id, a row the member cannot read from the table");
  });
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql.replace('create or replace view admin_user_ids as', 'create or replace view admin_user_ids with (security_invoker = true) as'));
    await q(seed);
    await q(actAs(TENANT_B));
    await q('SET ROLE authenticated');
    const r = await tryQuery(q, 'SELECT count(*) FROM public.profiles');
    assert.equal(r.ok ? 'ok' : r.error.code, '42P17', 'security_invoker: the policy recurses through the view');
    await expectPgError(q('SELECT id FROM admin_user_ids'), '42P17');
  });
  // a view no policy of its table reads keeps the advice and the fix
  const alone = sql.replace(/create policy "Admins can view all profiles"[\s\S]*$/, '');
  const plain = lintFiles([{ file: 'supabase/migrations/20250626225432_allow-admins-view-all-profiles.sql', text: alone }], ID).mine;
  assert.equal(plain.length, 1);
  assert.match(plain[0]!.message, /so the querying role's policies apply \(T18b\)/);
  assert.equal(plain[0]!.fixes.length, 1);
});

// Calibration (cal162, yotadata/adult_matching's video_popularity_daily: `SELECT uvd.video_id,
// date_trunc('day', …) AS d, count(*) AS likes FROM public.user_video_decisions uvd WHERE … GROUP
// BY …`, a table whose policy lets each user read only their own decisions). What it stores are
// counts over every user's rows, none of them a row of the table: the message said it "stores
// rows of public.user_video_decisions". It now says figures computed over the rows; a materialized
// view that keeps the table's rows as they are is still said to store them.
test('err: a materialized view that aggregates stores figures over the rows, not the rows: said so; PGlite: anon and a user read counts over every user\'s decisions', async () => {
  const sql = `CREATE TABLE public.user_video_decisions (id bigint PRIMARY KEY, user_id uuid NOT NULL, video_id integer NOT NULL, decision_type text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX ON public.user_video_decisions (user_id);
ALTER TABLE public.user_video_decisions ENABLE ROW LEVEL SECURITY;
CREATE POLICY "read own decisions" ON public.user_video_decisions FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE MATERIALIZED VIEW public.video_popularity_daily AS
SELECT uvd.video_id, date_trunc('day', uvd.created_at AT TIME ZONE 'UTC') AS d, count(*) AS likes
FROM public.user_video_decisions uvd
WHERE uvd.decision_type IN ('swipe_like', 'grid_like')
GROUP BY uvd.video_id, date_trunc('day', uvd.created_at AT TIME ZONE 'UTC');
GRANT SELECT ON public.video_popularity_daily TO anon, authenticated;
`;
  const file = 'supabase/migrations/20260518200000_decision_type_surface.sql';
  const { mine } = lintFiles([{ file, text: sql }], ID);
  assert.equal(mine.length, 1, mine.map((f) => f.message).join('\n'));
  const m = mine[0]!.message;
  assert.match(m, /^Materialized view public\.video_popularity_daily stores figures its query computes over the rows of public\.user_video_decisions \(a GROUP BY or aggregates, not the rows themselves\), which has row-level security: they are computed with its owner's rights/);
  assert.match(m, /reads them — figures over all the rows when the owner bypasses RLS .*; T18\), those the policies hide from that role included\./);
  assert.doesNotMatch(m, /stores rows of/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql.replace(/CREATE MATERIALIZED VIEW[\s\S]*$/, ''));
    await q(`INSERT INTO public.user_video_decisions (id, user_id, video_id, decision_type) VALUES (1, '${TENANT_A}', 7, 'swipe_like'), (2, '${TENANT_B}', 7, 'grid_like'), (3, '${TENANT_B}', 8, 'swipe_like')`);
    await q(sql.replace(/^[\s\S]*(CREATE MATERIALIZED VIEW)/, '$1'));
    await q('GRANT SELECT ON public.user_video_decisions TO authenticated');
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.user_video_decisions'), 1, 'the table: the user\'s own decision');
    assert.deepEqual(await q('SELECT video_id, likes::int AS likes FROM public.video_popularity_daily ORDER BY video_id'), [{ video_id: 7, likes: 2 }, { video_id: 8, likes: 1 }], 'counts over every user\'s decisions; no row of the table');
    await q('RESET ROLE');
    await q('SET ROLE anon');
    assert.equal(await count(q, 'public.video_popularity_daily'), 2, 'anon reads the figures too');
  });
  // aggregates without GROUP BY, in each arm of a UNION: figures too
  const total = sql.replace(/CREATE MATERIALIZED VIEW[\s\S]*?;\n/, `CREATE MATERIALIZED VIEW public.video_popularity_daily AS
SELECT 'likes' AS k, count(*) AS n FROM public.user_video_decisions WHERE decision_type = 'swipe_like'
UNION ALL SELECT 'nopes', count(*) FROM public.user_video_decisions WHERE decision_type = 'swipe_nope';
`);
  assert.match(lintFiles([{ file, text: total }], ID).mine[0]!.message, /stores figures its query computes over the rows of public\.user_video_decisions/);
  // the rows as they are (a window function aggregates nothing; nor does a sub-select's count): the stored rows are the table's
  const rows = sql.replace(/CREATE MATERIALIZED VIEW[\s\S]*?;\n/, `CREATE MATERIALIZED VIEW public.video_popularity_daily AS
SELECT uvd.video_id, uvd.user_id, count(*) OVER (PARTITION BY uvd.video_id) AS likes, (SELECT count(*) FROM public.user_video_decisions) AS total FROM public.user_video_decisions uvd;
`);
  const plain = lintFiles([{ file, text: rows }], ID).mine;
  assert.equal(plain.length, 1);
  assert.match(plain[0]!.message, /^Materialized view public\.video_popularity_daily stores rows of public\.user_video_decisions, which has row-level security: its rows are computed/);
});

// Calibration (cal164, adminesde/TabunganKu_V2's app_global_stats_view: `SELECT (SELECT COUNT(*)
// FROM public.students) AS total_students, COALESCE(SUM(…), 0) AS total_deposits, … FROM
// public.transactions`, no GROUP BY). It shows one row of totals, no row of either table: the
// message said every role that can select from it "sees all rows". It now says figures over all
// the rows. A view grouping by the table's key (its student_balances_view, GROUP BY s.id, s.name,
// …) shows each row of students, and is still said to show all rows.
test('err: a plain view that aggregates with no GROUP BY shows figures over the rows, not the rows: said so; PGlite: one row of totals over every row', async () => {
  const tables = `CREATE TABLE public.students (id uuid PRIMARY KEY, name text NOT NULL, teacher_id uuid NOT NULL);
CREATE INDEX ON public.students (teacher_id);
ALTER TABLE public.students ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Teachers can view their own students." ON public.students FOR SELECT TO authenticated USING (teacher_id = (select auth.uid()));
CREATE TABLE public.transactions (id bigint PRIMARY KEY, student_id uuid NOT NULL REFERENCES public.students (id), type text NOT NULL, amount numeric NOT NULL);
CREATE INDEX ON public.transactions (student_id);
ALTER TABLE public.transactions ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Teachers can view their students' transactions." ON public.transactions FOR SELECT TO authenticated USING (EXISTS (SELECT 1 FROM public.students s WHERE s.id = student_id));
`;
  const view = `CREATE OR REPLACE VIEW public.app_global_stats_view AS
SELECT
    (SELECT COUNT(*) FROM public.students) AS total_students,
    COALESCE(SUM(CASE WHEN type = 'deposit' THEN amount ELSE 0 END), 0) AS total_deposits,
    COALESCE(SUM(CASE WHEN type = 'deposit' THEN amount ELSE -amount END), 0) AS total_balance
FROM
    public.transactions;
`;
  const file = 'supabase/migrations/0028_membuat_view_app_global_stats_view.sql';
  const { mine } = lintFiles([{ file: 'supabase/migrations/0002_students.sql', text: tables }, { file, text: view }], ID);
  assert.equal(mine.length, 1, mine.map((f) => f.message).join('\n'));
  const m = mine[0]!.message;
  assert.match(m, /^View public\.app_global_stats_view reads public\.students and public\.transactions, which have row-level security, but is not security_invoker/);
  assert.match(m, /Its query aggregates with no GROUP BY, so it shows one row of figures \(counts, sums…\) computed over the rows it reads, not the rows themselves\./);
  assert.match(m, /every role that can select from public\.app_global_stats_view reads figures over all the rows, those the policies hide from that role included \(T18\); otherwise it gets figures over the rows the policies give the owner\./);
  assert.doesNotMatch(m, /sees all rows/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(tables);
    await q(`INSERT INTO public.students VALUES ('${TENANT_A}', 'a', '${TENANT_A}'), ('${TENANT_B}', 'b', '${TENANT_B}')`);
    await q(`INSERT INTO public.transactions VALUES (1, '${TENANT_A}', 'deposit', 10), (2, '${TENANT_B}', 'deposit', 20), (3, '${TENANT_B}', 'withdrawal', 5)`);
    await q(view);
    await q('GRANT SELECT ON ALL TABLES IN SCHEMA public TO authenticated');
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.transactions'), 1, 'the table: the teacher\'s own student\'s transaction');
    assert.deepEqual(await q('SELECT total_students::int AS s, total_deposits::int AS d, total_balance::int AS b FROM public.app_global_stats_view'), [{ s: 2, d: 30, b: 25 }], 'one row of totals over every row, those the policies hide included');
  });
  // with a WHERE of its own: figures over the rows it selects
  const where = view.replace('public.transactions;', "public.transactions WHERE type = 'deposit';");
  assert.match(lintFiles([{ file: 'supabase/migrations/0002_students.sql', text: tables }, { file, text: where }], ID).mine[0]!.message, /reads figures over every row its query selects/);
  // grouped by the table's key: each row of students is shown, as before
  const grouped = `CREATE OR REPLACE VIEW public.student_balances_view AS
SELECT s.id AS student_id, s.name, COALESCE(SUM(t.amount), 0) AS total
FROM public.students s LEFT JOIN public.transactions t ON s.id = t.student_id
GROUP BY s.id, s.name;
`;
  const g = lintFiles([{ file: 'supabase/migrations/0002_students.sql', text: tables }, { file, text: grouped }], ID).mine;
  assert.equal(g.length, 1);
  assert.match(g[0]!.message, /sees all rows \(T18\)/);
  assert.doesNotMatch(g[0]!.message, /figures/);
});

// Calibration (cal174, Aimtara/teachmo's nhost migration 20251224183000_…/up.sql):
// analytics_event_rollups_daily is `SELECT date_trunc('day', event_ts)::date AS day, event_name,
// district_id, school_id, count(*)::bigint AS event_count FROM public.analytics_events GROUP BY
// 1,2,3,4`, a plain view grouping by columns that hold no key of the table: every row it shows is a
// count over a group of events, none of them an event. It was said to let every role that can
// select from it "see all rows"; it shows counts over all of them.
test('err: a plain view over one table grouping by columns that hold none of its keys shows figures, not the rows: said so (positions and output names resolved); PGlite: counts over every row, those the policies hide included', async () => {
  const table = `CREATE TABLE public.analytics_events (id bigint PRIMARY KEY, event_ts timestamptz NOT NULL, event_name text NOT NULL, district_id uuid, actor_user_id uuid);
CREATE INDEX ON public.analytics_events (actor_user_id);
ALTER TABLE public.analytics_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY analytics_events_own ON public.analytics_events FOR SELECT TO authenticated USING (actor_user_id = (select auth.uid()));
`;
  const view = `CREATE OR REPLACE VIEW public.analytics_event_rollups_daily AS
SELECT date_trunc('day', event_ts)::date AS day, event_name, district_id, count(*)::bigint AS event_count
FROM public.analytics_events
GROUP BY 1, 2, 3;
GRANT SELECT ON public.analytics_events, public.analytics_event_rollups_daily TO authenticated;
`;
  const file = 'supabase/migrations/0002_rollups.sql';
  const lint = (v: string) => lintFiles([{ file: 'supabase/migrations/0001_events.sql', text: table }, { file, text: v }], ID).mine;
  const mine = lint(view);
  assert.equal(mine.length, 1, mine.map((f) => f.message).join('\n'));
  const m = mine[0]!.message;
  assert.match(m, /Its query groups the rows of public\.analytics_events by columns that hold none of its keys and aggregates them, so it shows figures \(counts, sums…\) computed over each group of the rows it reads, not the rows themselves\./);
  assert.match(m, /every role that can select from public\.analytics_event_rollups_daily reads figures over all the rows, those the policies hide from that role included \(T18\)/);
  assert.doesNotMatch(m, /sees all rows/);
  // (by output name: the same)
  assert.match(lint(view.replace('GROUP BY 1, 2, 3', 'GROUP BY day, event_name, district_id'))[0]!.message, /reads figures over all the rows/);
  // grouped by the key too: each group is one row of the table, shown as it is
  const byKey = lint(view.replace('SELECT date_trunc', 'SELECT id, date_trunc').replace('GROUP BY 1, 2, 3', 'GROUP BY id, 2, 3, 4'))[0]!.message;
  assert.match(byKey, /sees all rows \(T18\)/);
  assert.doesNotMatch(byKey, /figures/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(table);
    await q(`INSERT INTO public.analytics_events VALUES (1, '2026-01-01 10:00', 'login', NULL, '${TENANT_A}'), (2, '2026-01-01 11:00', 'login', NULL, '${TENANT_B}'), (3, '2026-01-01 12:00', 'login', NULL, '${TENANT_B}')`);
    await q(view);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.analytics_events'), 1, "the table: user A's own event");
    assert.deepEqual(await q('SELECT event_name, event_count::int AS n FROM public.analytics_event_rollups_daily'), [{ event_name: 'login', n: 3 }], 'one count over the three events, those the policy hides included; no event row');
  });
});

// Calibration cal170 (sortavo/raffle-builder): mv_admin_stats is `SELECT (SELECT COUNT(*) FROM
// organizations) AS total_organizations, …, (SELECT COALESCE(SUM(order_total), 0) FROM orders …),
// NOW() AS refreshed_at`: no FROM, one row of counts and sums computed by scalar sub-selects. It was
// said to store "rows of public.organizations, …" that every role selecting from it reads; it
// stores one row of figures over them.
test("err: a materialized view with no FROM whose select list is scalar sub-selects that aggregate (raffle-builder's mv_admin_stats) stores figures, not rows: said so; PGlite: authenticated, shown 1 row of the table, reads counts over all of them", async () => {
  const sql = `CREATE TABLE public.organizations (id int PRIMARY KEY, owner text NOT NULL, subscription_status text);
ALTER TABLE public.organizations ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_org ON public.organizations FOR SELECT TO authenticated USING (owner = current_user);
GRANT SELECT ON public.organizations TO authenticated;
CREATE MATERIALIZED VIEW public.mv_admin_stats AS
SELECT
  (SELECT COUNT(*) FROM public.organizations) AS total_organizations,
  (SELECT COUNT(*) FROM public.organizations WHERE subscription_status = 'active') AS active_subscriptions,
  (SELECT COALESCE(SUM(id), 0) FROM public.organizations) AS id_sum,
  EXISTS (SELECT 1 FROM public.organizations WHERE subscription_status = 'trial') AS any_trial,
  NOW() AS refreshed_at;
GRANT SELECT ON public.mv_admin_stats TO authenticated;
`;
  const { mine } = lintFiles([{ file: 'db/1.sql', text: sql }], ID);
  assert.equal(mine.length, 1, mine.map((f) => f.message).join('\n'));
  assert.match(mine[0]!.message, /^Materialized view public\.mv_admin_stats stores figures its query computes over the rows of public\.organizations \(a GROUP BY or aggregates, not the rows themselves\)/);
  assert.doesNotMatch(mine[0]!.message, /stores rows of/);
  await inRollback(await getDb(), async (q) => {
    await q(sql.replace(/CREATE MATERIALIZED VIEW[\s\S]*$/, ''));
    await q(`INSERT INTO public.organizations VALUES (1, 'authenticated', 'active'), (2, 'someone', 'active'), (3, 'someone', 'trial')`);
    await q(sql.replace(/^[\s\S]*(CREATE MATERIALIZED VIEW)/, '$1'));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.organizations'), 1, 'the table: its own organization');
    assert.deepEqual(await q('SELECT total_organizations::int AS t, active_subscriptions::int AS a, id_sum::int AS s, any_trial FROM public.mv_admin_stats'), [{ t: 3, a: 2, s: 6, any_trial: true }], 'one row of figures over every organization, none of its rows');
  });
  // a scalar sub-select that picks a value of a row (no aggregate): the stored row holds the table's values
  const value = sql.replace("(SELECT COALESCE(SUM(id), 0) FROM public.organizations) AS id_sum", "(SELECT owner FROM public.organizations ORDER BY id LIMIT 1) AS first_owner");
  assert.match(lintFiles([{ file: 'db/1.sql', text: value }], ID).mine[0]!.message, /^Materialized view public\.mv_admin_stats stores rows of public\.organizations/);
});

// Calibration cal173 (MasayaOono/veenis's user_follow_counts: a materialized view of follower
// counts over user_follows, which every role reads whole through "read follows" FOR SELECT USING
// (true)): what it stores of the table is what anon and authenticated read from it themselves.
test("ok/err: a materialized view over a table every role that may read it reads whole anyway (SELECT USING (true)) is not reported; PGlite: anon reads the same counts from the table; a table that hides rows, or one admitting rows by a constant, is reported", async () => {
  const sql = (using: string) => `CREATE TABLE public.user_follows (follower_id uuid NOT NULL, followee_id uuid NOT NULL, PRIMARY KEY (follower_id, followee_id));
ALTER TABLE public.user_follows ENABLE ROW LEVEL SECURITY;
CREATE POLICY "read follows" ON public.user_follows FOR SELECT USING (${using});
CREATE POLICY "follow self-insert only" ON public.user_follows FOR INSERT WITH CHECK (auth.uid() = follower_id);
GRANT ALL ON TABLE public.user_follows TO anon, authenticated, service_role;
CREATE MATERIALIZED VIEW public.user_follow_counts AS
  SELECT fw.followee_id AS user_id, fw.followers FROM (SELECT followee_id, count(*)::int AS followers FROM public.user_follows GROUP BY followee_id) fw;
GRANT ALL ON TABLE public.user_follow_counts TO anon, authenticated, service_role;
`;
  const file = 'supabase/migrations/20250925023848_remote_schema.sql';
  const open = sql('true');
  assert.deepEqual(lintFiles([{ file, text: open }], ID).mine, []);
  const own = sql('follower_id = (select auth.uid())');
  const [f] = lintFiles([{ file, text: own }], ID).mine;
  assert.match(f!.message, /^Materialized view public\.user_follow_counts stores rows of public\.user_follows, which has row-level security/);
  // (a constant policy admits the rows it stored when refreshed, which it may hide by now)
  const constant = sql('followee_id IS NOT NULL').replace('GROUP BY followee_id) fw', 'WHERE followee_id IS NOT NULL GROUP BY followee_id) fw');
  assert.equal(lintFiles([{ file, text: constant }], ID).mine.length, 1);
  const seed = `INSERT INTO public.user_follows VALUES ('${TENANT_A}', '${TENANT_B}'), ('${TENANT_B}', '${TENANT_A}'), (gen_random_uuid(), '${TENANT_A}')`;
  const fromTable = `SELECT followee_id AS user_id, count(*)::int AS followers FROM public.user_follows GROUP BY followee_id ORDER BY 2, 1`;
  const fromView = `SELECT user_id, followers FROM public.user_follow_counts ORDER BY 2, 1`;
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q(open.replace(/CREATE MATERIALIZED VIEW[\s\S]*$/, ''));
    await q(seed);
    await q(open.replace(/^[\s\S]*(CREATE MATERIALIZED VIEW)/, '$1'));
    await q('SET ROLE anon');
    assert.deepEqual(await q(fromView), await q(fromTable), 'anon reads the same counts from the table');
    assert.equal((await q(fromView)).length, 2);
  });
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q(own.replace(/CREATE MATERIALIZED VIEW[\s\S]*$/, ''));
    await q(seed);
    await q(own.replace(/^[\s\S]*(CREATE MATERIALIZED VIEW)/, '$1'));
    await q('SET ROLE anon');
    assert.deepEqual(await q(fromTable), [], 'the table hides every follow from anon');
    assert.equal((await q(fromView)).length, 2, 'the materialized view shows counts over all of them');
  });
});
