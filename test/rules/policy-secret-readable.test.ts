// policy-secret-readable on PostgreSQL (PGlite, Supabase's API roles and default privileges): a
// SELECT policy with USING (true) on a table holding a token lets anon read every row's token, not
// only the one it was given; a column grant leaving the token out makes a query naming it fail
// (42501), and a SECURITY DEFINER lookup by the token returns only the matching row. Calibration:
// Howdy-Hills/invoice-tracker's org_invites ("Allow anyone to read by token … unguessable",
// prisma/rls_org_invites.sql), SixtySecondsApp/use60's organization_invitations, dental-clinic-manager's
// shared_links.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { asOwner, closeAll, getDb, inRollback, tryQuery } from '../helpers/pg.js';
import { initParser, invalidFinding, lintDocExample, lintFiles, textAt } from '../helpers/rule-proof.js';
import { onSupabase } from '../helpers/supabase.js';

const ID = 'policy-secret-readable';
before(initParser);
after(closeAll);

const FILE = 'supabase/migrations/20260218000001_org_invites.sql';
const TABLE = `CREATE TABLE public.org_invites (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL,
  email text NOT NULL,
  token uuid NOT NULL DEFAULT gen_random_uuid()
);
ALTER TABLE public.org_invites ENABLE ROW LEVEL SECURITY;
`;
const mine = (text: string, file = FILE) => lintFiles([{ file, text }], ID).mine;

test('err: a read-by-token policy USING (true) shows anon every invitation, token included (PGlite: anon lists both tokens); with the token left out of its column grant, a query naming it fails with 42501, and a SECURITY DEFINER lookup by the token returns the one row', async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'org_invites_token_read');
  assert.match(
    finding.message,
    /^Policy "org_invites_token_read" on public\.org_invites shows every row to anon \(any request with the project's public anon key, without signing in\): its USING is always true, so it filters nothing, and the column token of public\.org_invites holds a secret: anyone reads every row's token \(SELECT token FROM public\.org_invites\), not only the row whose token they already hold\./,
  );
  assert.match(finding.message, /REVOKE SELECT ON public\.org_invites FROM anon; GRANT SELECT \(id, org_id, email\) ON public\.org_invites TO anon: a query naming token then fails with 42501\)\.$/);
  const text = lintDocExample(ID, 'invalid').ex.sql;
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, text);
    await q("INSERT INTO public.org_invites (org_id, email) VALUES (gen_random_uuid(), 'a@example.com'), (gen_random_uuid(), 'b@example.com')");
    await q(`CREATE FUNCTION public.invite_by_token(p_token uuid) RETURNS SETOF text LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$ SELECT i.email FROM public.org_invites i WHERE i.token = p_token $$`);
    const [{ t }] = (await q("SELECT token::text AS t FROM public.org_invites WHERE email = 'b@example.com'")) as Array<{ t: string }>;
    await q('SET ROLE anon');
    assert.equal(((await q('SELECT token FROM public.org_invites')) as unknown[]).length, 2, 'anon reads every token');
    await q('RESET ROLE');
    // (the fix the message names: the column grant without the token)
    await q('REVOKE SELECT ON public.org_invites FROM anon');
    await q('GRANT SELECT (id, org_id, email) ON public.org_invites TO anon');
    await q('SET ROLE anon');
    const named = await tryQuery(q, 'SELECT token FROM public.org_invites');
    assert.equal(named.ok ? 'ok' : named.error.code, '42501');
    const star = await tryQuery(q, 'SELECT * FROM public.org_invites');
    assert.equal(star.ok ? 'ok' : star.error.code, '42501');
    assert.equal(((await q('SELECT email FROM public.org_invites')) as unknown[]).length, 2);
    // (the other fix: a lookup by the token returns the row it matches, and nothing for a guess)
    assert.deepEqual(await q(`SELECT public.invite_by_token('${t}') AS e`), [{ e: 'b@example.com' }]);
    assert.deepEqual(await q(`SELECT public.invite_by_token(gen_random_uuid()) AS e`), []);
  });
});

test('err: a policy for authenticated only names every signed-in user; a column named invite_code, share_token or password_hash counts', () => {
  for (const col of ['invite_code', 'share_token', 'password_hash']) {
    const text = TABLE.replace('token uuid', `${col} text`) + `CREATE POLICY invites_read ON public.org_invites FOR SELECT TO authenticated USING (true);\n`;
    const found = mine(text);
    assert.equal(found.length, 1, col);
    assert.match(found[0]!.message, new RegExp(`shows every row to authenticated \\(every signed-in user: anyone who signs up, where sign-ups are open\\): its USING is always true, so it filters nothing, and the column ${col} of public\\.org_invites holds a secret: every signed-in user reads every row's ${col}`));
  }
});

test('ok: a policy that filters (the invitee), a RESTRICTIVE policy asking for the invitee, a table without a secret column, a device push_token, a role without SELECT, and RLS off (rls-disabled territory) are not reported', () => {
  assert.deepEqual(mine(TABLE + `CREATE POLICY invitee ON public.org_invites FOR SELECT TO authenticated USING (email = (select auth.jwt() ->> 'email'));\n`), []);
  assert.deepEqual(
    mine(
      TABLE +
        `CREATE POLICY all_read ON public.org_invites FOR SELECT TO authenticated USING (true);\n` +
        `CREATE POLICY only_invitee ON public.org_invites AS RESTRICTIVE FOR SELECT TO authenticated USING (email = (select auth.jwt() ->> 'email'));\n`,
    ),
    [],
  );
  assert.deepEqual(mine(TABLE.replace('token uuid', 'slug text') + `CREATE POLICY read_all ON public.org_invites FOR SELECT USING (true);\n`), []);
  assert.deepEqual(mine(TABLE.replace('token uuid', 'push_token text') + `CREATE POLICY read_all ON public.org_invites FOR SELECT USING (true);\n`), []);
  assert.deepEqual(mine(TABLE + `REVOKE ALL ON public.org_invites FROM anon, authenticated;\nCREATE POLICY read_all ON public.org_invites FOR SELECT USING (true);\n`), []);
  assert.deepEqual(mine(TABLE.replace('ALTER TABLE public.org_invites ENABLE ROW LEVEL SECURITY;\n', '') + `CREATE POLICY read_all ON public.org_invites FOR SELECT USING (true);\n`), []);
});

test('ok: the Valid examples run and give no finding', () => {
  for (let i = 0; i < 2; i++) assert.deepEqual(lintDocExample(ID, 'valid', i).mine, []);
});

test("err: a password column (lagp0310/ecommerce-example's customers.password) is not advised as a lookup key: the message asks for a check of one row's password; PGlite: every signed-in user reads both passwords, a lookup by the password returns another customer who shares it, the check by id and password answers for that row alone", async () => {
  const text = `CREATE TABLE public.customers (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  first_name text NOT NULL,
  password text NULL,
  CONSTRAINT customers_pkey PRIMARY KEY (id)
);
ALTER TABLE public.customers ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Read Access" ON public.customers AS PERMISSIVE FOR SELECT TO authenticated USING (true);
`;
  const found = mine(text, 'supabase/migrations/20250112181551_add_customers_policies.sql');
  assert.equal(found.length, 1);
  const msg = found[0]!.message;
  assert.match(msg, /every signed-in user reads every row's password \(SELECT password FROM public\.customers\)\. A password lets whoever reads it sign in as the row's owner/);
  assert.match(msg, /Check it in a SECURITY DEFINER function that takes the row's key and the password and answers only whether they match \(… WHERE id = p_id AND password = …\), not one that looks rows up by the password/);
  assert.doesNotMatch(msg, /WHERE password = p_password|not only the row whose password/);
  assert.match(msg, /GRANT SELECT \(id, first_name\) ON public\.customers TO authenticated: a query naming password then fails with 42501\)\.$/);
  // (a hash: msxsistemas/quick-bite-craft's restaurant_admins.password_hash, "Public can verify login credentials")
  const hashed = mine(text.replace('password text NULL', 'password_hash text NULL'), 'supabase/migrations/20250112181551_add_customers_policies.sql');
  assert.match(hashed[0]!.message, /A password hash can be cracked offline once it is read, and the password found signs in as the row's owner\. Check it .*WHERE id = p_id AND password_hash = …/);
  // (a token keeps the lookup advice)
  assert.match(mine(TABLE + `CREATE POLICY read_all ON public.org_invites FOR SELECT USING (true);\n`)[0]!.message, /WHERE token = p_token/);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, text);
    await q("INSERT INTO public.customers (id, first_name, password) VALUES ('00000000-0000-0000-0000-00000000000a', 'Ann', 'hunter2'), ('00000000-0000-0000-0000-00000000000b', 'Bob', 'hunter2')");
    await q(`CREATE FUNCTION public.customer_by_password(p_password text) RETURNS SETOF text LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$ SELECT c.first_name FROM public.customers c WHERE c.password = p_password ORDER BY 1 $$`);
    await q(`CREATE FUNCTION public.password_matches(p_id uuid, p_password text) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$ SELECT EXISTS (SELECT 1 FROM public.customers c WHERE c.id = p_id AND c.password = p_password) $$`);
    await q('SET ROLE authenticated');
    assert.equal(((await q('SELECT password FROM public.customers')) as unknown[]).length, 2, 'every signed-in user reads both passwords');
    // (a lookup by the password: Ann's guess of her own password returns Bob too)
    assert.deepEqual(await q(`SELECT public.customer_by_password('hunter2') AS n`), [{ n: 'Ann' }, { n: 'Bob' }]);
    // (the check the message names: for one row)
    assert.deepEqual(await q(`SELECT public.password_matches('00000000-0000-0000-0000-00000000000a', 'hunter2') AS ok`), [{ ok: true }]);
    assert.deepEqual(await q(`SELECT public.password_matches('00000000-0000-0000-0000-00000000000a', 'guess') AS ok`), [{ ok: false }]);
  });
});

test("err: a secret the server keeps toward another service (a webhook's signing secret) or an OAuth token (Receptionally/whhops' connected_accounts.access_token, a Stripe account's) is not advised as a lookup key: the message says to read it only as a role that bypasses RLS (service_role on Supabase, the owner unless the table is FORCE'd); PGlite: every signed-in user reads another account's token, service_role reads it with no policy of its own, the owner too until FORCE", async () => {
  const text = `CREATE TABLE public.connected_accounts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL,
  stripe_account_id text NOT NULL,
  access_token text
);
ALTER TABLE public.connected_accounts ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Anyone signed in can view connected accounts" ON public.connected_accounts FOR SELECT TO authenticated USING (true);
`;
  const file = 'supabase/migrations/20240320000126_connected_accounts.sql';
  const found = mine(text, file);
  assert.equal(found.length, 1);
  const msg = found[0]!.message;
  assert.match(msg, /every signed-in user reads every row's access_token \(SELECT access_token FROM public\.connected_accounts\), not only the row whose access_token they already hold\. A token proves nothing once everyone can list them: whoever reads one acts as its holder — toward the service that issued it, for an OAuth token the server keeps/);
  assert.match(msg, /Where only the server uses it, drop this policy and read access_token only as a role that bypasses row-level security \(service_role, the table's owner\); where clients look a row up by it, do that in a SECURITY DEFINER function .*WHERE access_token = p_access_token/);
  const webhook = mine(text.replace('access_token text', 'webhook_secret text'), file);
  assert.match(webhook[0]!.message, /A secret the server keeps to act toward another service .* No client needs it: drop this policy and read webhook_secret only as a role that bypasses row-level security/);
  assert.doesNotMatch(webhook[0]!.message, /Look rows up by the secret|WHERE webhook_secret = p_/);
  // (a FORCE'd table: its owner is under the policies too (T13), so the message names only service_role)
  const forced = mine(text.replace('ENABLE ROW LEVEL SECURITY;', 'ENABLE ROW LEVEL SECURITY;\nALTER TABLE public.connected_accounts FORCE ROW LEVEL SECURITY;'), file);
  assert.match(forced[0]!.message, /read access_token only as a role that bypasses row-level security \(service_role\);/);
  // (outside Supabase: no service_role to name)
  const plain = lintFiles([{ file: 'db/migrations/001_accounts.sql', text: text.replace(' TO authenticated', ' TO PUBLIC').replace('CREATE POLICY', 'CREATE ROLE authenticated;\nGRANT SELECT ON public.connected_accounts TO authenticated;\nCREATE POLICY') }], ID).mine;
  assert.equal(plain.length, 1);
  assert.match(plain[0]!.message, /read access_token only as a role that bypasses row-level security \(the table's owner\);/);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, text);
    await q("INSERT INTO public.connected_accounts (user_id, stripe_account_id, access_token) VALUES (gen_random_uuid(), 'acct_a', 'sk_live_a'), (gen_random_uuid(), 'acct_b', 'sk_live_b')");
    await q('SET ROLE authenticated');
    assert.equal(((await q('SELECT access_token FROM public.connected_accounts')) as unknown[]).length, 2, "every signed-in user reads every account's token");
    await q('RESET ROLE');
    await q('DROP POLICY "Anyone signed in can view connected accounts" ON public.connected_accounts');
    await q('SET ROLE authenticated');
    assert.equal(((await q('SELECT access_token FROM public.connected_accounts')) as unknown[]).length, 0, 'without the policy, no row');
    await q('RESET ROLE');
    await q('SET ROLE service_role');
    assert.equal(((await q('SELECT access_token FROM public.connected_accounts')) as unknown[]).length, 2, 'service_role (BYPASSRLS) still reads them');
    await q('RESET ROLE');
    // (the owner reads them past RLS, unless the table is FORCE'd: then it gets no row either)
    await q('ALTER TABLE public.connected_accounts OWNER TO app_owner');
    assert.equal((await asOwner(q, 'SELECT access_token FROM public.connected_accounts')).length, 2, 'the owner reads them');
    await q('ALTER TABLE public.connected_accounts FORCE ROW LEVEL SECURITY');
    assert.equal((await asOwner(q, 'SELECT access_token FROM public.connected_accounts')).length, 0, "under FORCE the owner gets no row");
  });
});

// Calibration (joseph-ehler/moto-mind-ai's 20251018_auth_magic_links_final.sql): auth_magic_links
// keeps token_hash ("Hashed token for security"), magic links by e-mail or SMS, behind
// "Allow all operations on auth_magic_links" FOR ALL USING (true). The message said that whoever
// reads a row's token_hash "acts as its holder", true of a token, not of its hash.
test("err (message): a token's hash (auth_magic_links.token_hash) is not said to let a reader act as the holder: a long random token's hash gives nothing back, a short code's is found by hashing every code (PGlite: anon reads the hash and finds the 4-digit code from it); the column grant without it fails with 42501", async () => {
  const text = `CREATE TABLE public.auth_magic_links (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  token_hash text NOT NULL UNIQUE,
  identifier text NOT NULL,
  expires_at timestamptz NOT NULL
);
ALTER TABLE public.auth_magic_links ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Allow all operations on auth_magic_links" ON public.auth_magic_links FOR ALL USING (true) WITH CHECK (true);
`;
  const found = mine(text, 'supabase/migrations/20251018000000_auth_magic_links_final.sql');
  assert.equal(found.length, 1);
  const m = found[0]!.message;
  assert.match(m, /anyone reads every row's token_hash \(SELECT token_hash FROM public\.auth_magic_links\)\. token_hash is the hash of a secret, not the secret: a hash of a long random token cannot be turned back into the token, so reading it alone does not let anyone use it; but a short code's \(a 6-digit code sent by SMS or e-mail\) is found offline by hashing every possible code/);
  assert.doesNotMatch(m, /not only the row whose token_hash they already hold|proves nothing once everyone can list them/);
  assert.match(m, /GRANT SELECT \(id, identifier, expires_at\) ON public\.auth_magic_links TO anon: a query naming token_hash then fails with 42501\)\.$/);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, text);
    await q(`INSERT INTO public.auth_magic_links (token_hash, identifier, expires_at) VALUES (encode(sha256('4217'::bytea), 'hex'), '+15550100', now() + interval '15 minutes')`);
    await q('SET ROLE anon');
    const rows = (await q(`SELECT lpad(c::text, 4, '0') AS code FROM generate_series(0, 9999) c, public.auth_magic_links l
      WHERE encode(sha256(convert_to(lpad(c::text, 4, '0'), 'UTF8')), 'hex') = l.token_hash`)) as Array<{ code: string }>;
    assert.deepEqual(rows, [{ code: '4217' }], 'the short code, found from its hash');
    await q('RESET ROLE');
    await q('REVOKE SELECT ON public.auth_magic_links FROM anon');
    await q('GRANT SELECT (id, identifier, expires_at) ON public.auth_magic_links TO anon');
    await q('SET ROLE anon');
    const named = await tryQuery(q, 'SELECT token_hash FROM public.auth_magic_links');
    assert.equal(named.ok ? 'ok' : named.error.code, '42501');
  });
});

// Calibration (cal203, associacaosimplesatitude-debug/projetoananias' campaign_links): a landing page's links,
// read "by token" through `FOR SELECT TO anon, authenticated USING (true)`, keep each customer's panel login in
// access_email and access_password. The finding named token alone, and its column grant kept access_password
// readable by anon.
test("err: a password column named with a prefix (campaign_links.access_password) counts beside token: the message names both, and its column grant leaves both out (PGlite: anon reads every access_password; after that grant a query naming it fails with 42501); a flag (has_password, a boolean reset_password) does not count", async () => {
  const text = `CREATE TABLE public.campaign_links (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  token text UNIQUE NOT NULL DEFAULT gen_random_uuid()::text,
  customer_name text,
  access_email text,
  access_password text
);
ALTER TABLE public.campaign_links ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Public can read campaign_links by token" ON public.campaign_links FOR SELECT TO anon, authenticated USING (true);
`;
  const found = mine(text, 'supabase/migrations/20260310200925_campaign_links.sql');
  assert.equal(found.length, 1);
  assert.match(found[0]!.message, /and the columns token and access_password of public\.campaign_links hold secrets: anyone reads every row's token/);
  assert.match(
    found[0]!.message,
    /or keep token and access_password out of what anon may read \(REVOKE SELECT ON public\.campaign_links FROM anon; GRANT SELECT \(id, customer_name, access_email\) ON public\.campaign_links TO anon: a query naming one of them then fails with 42501\)\.$/,
  );
  // (alone, a password column is reported as one: a credential checked against its row)
  const alone = mine(text.replace('  token text UNIQUE NOT NULL DEFAULT gen_random_uuid()::text,\n', ''));
  assert.equal(alone.length, 1);
  assert.match(alone[0]!.message, /the column access_password of public\.campaign_links holds a secret: anyone reads every row's access_password \(SELECT access_password FROM public\.campaign_links\)\. A password lets whoever reads it sign in as the row's owner\./);
  // (flags: a name no password has, or a boolean)
  const flags = text.replace('  token text UNIQUE NOT NULL DEFAULT gen_random_uuid()::text,\n', '').replace('access_password text', 'has_password boolean,\n  reset_password boolean');
  assert.deepEqual(mine(flags), []);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, text);
    await q("INSERT INTO public.campaign_links (customer_name, access_email, access_password) VALUES ('a', 'a@example.com', 'pw-a'), ('b', 'b@example.com', 'pw-b')");
    await q('SET ROLE anon');
    assert.equal(((await q('SELECT access_password FROM public.campaign_links')) as unknown[]).length, 2, 'anon reads every password');
    await q('RESET ROLE');
    await q('REVOKE SELECT ON public.campaign_links FROM anon');
    await q('GRANT SELECT (id, customer_name, access_email) ON public.campaign_links TO anon');
    await q('SET ROLE anon');
    for (const col of ['access_password', 'token']) {
      const named = await tryQuery(q, `SELECT ${col} FROM public.campaign_links`);
      assert.equal(named.ok ? 'ok' : named.error.code, '42501', col);
    }
    assert.equal(((await q('SELECT customer_name FROM public.campaign_links')) as unknown[]).length, 2);
  });
});

// Hunter28-lucky/Esports-india (a Free Fire tournament site), tournament-website/RLS_OPTIMIZATION.sql:
// "tournaments_public_read" USING (true) on tournaments, whose room_password is the game room's,
// shown to the players who joined. The message said "A password lets whoever reads it sign in as the
// row's owner": a room has no owner who signs in with it.
test("err: a room's password (tournaments.room_password) is said to let whoever reads it into the room, not to sign in as an owner; the column grant leaves it out (PGlite)", async () => {
  const text = `CREATE TABLE public.tournaments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  room_id text,
  room_password text
);
ALTER TABLE public.tournaments ENABLE ROW LEVEL SECURITY;
CREATE POLICY "tournaments_public_read" ON public.tournaments FOR SELECT USING (true);
`;
  const found = mine(text, 'supabase/migrations/20250101000000_tournaments.sql');
  assert.equal(found.length, 1);
  assert.match(
    found[0]!.message,
    /anyone reads every row's room_password \(SELECT room_password FROM public\.tournaments\)\. A password that guards the room, not an account, lets whoever reads it in wherever it is asked for, as if it had been given to them\. Keep room_password out of what anon may read \(REVOKE SELECT ON public\.tournaments FROM anon; GRANT SELECT \(id, name, room_id\) ON public\.tournaments TO anon: a query naming room_password then fails with 42501\), and give it only to those meant to have it, through a SECURITY DEFINER function that checks who calls/,
  );
  assert.doesNotMatch(found[0]!.message, /sign in as the row's owner/);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, text);
    await q("INSERT INTO public.tournaments (name, room_id, room_password) VALUES ('Cup', '4411', 'ff-pw')");
    await q('SET ROLE anon');
    assert.deepEqual(await q('SELECT room_password FROM public.tournaments'), [{ room_password: 'ff-pw' }], 'anon reads the room password');
    await q('RESET ROLE');
    await q('REVOKE SELECT ON public.tournaments FROM anon');
    await q('GRANT SELECT (id, name, room_id) ON public.tournaments TO anon');
    await q('SET ROLE anon');
    const named = await tryQuery(q, 'SELECT room_password FROM public.tournaments');
    assert.equal(named.ok ? 'ok' : named.error.code, '42501');
    assert.deepEqual(await q('SELECT name, room_id FROM public.tournaments'), [{ name: 'Cup', room_id: '4411' }]);
  });
});

// (found reading the change again: the rule reported a secret anon's column grant already leaves
// out — the advice it gives, done — saying anyone reads every row's token)
test("ok/err: a secret anon's column grant leaves out is not reported for anon (PGlite: 42501 naming it, the other columns readable); one it grants still is, and the advice's GRANT keeps the excluded column out", async () => {
  const text = `${TABLE}ALTER TABLE public.org_invites ADD COLUMN invite_code text;
REVOKE ALL ON public.org_invites FROM anon;
GRANT SELECT (id, org_id, email) ON public.org_invites TO anon;
CREATE POLICY invites_read ON public.org_invites FOR SELECT TO anon USING (true);
`;
  assert.deepEqual(mine(text), []);
  const granted = mine(text.replace('GRANT SELECT (id, org_id, email)', 'GRANT SELECT (id, org_id, email, invite_code)'));
  assert.equal(granted.length, 1);
  assert.match(granted[0]!.message, /the column invite_code of public\.org_invites holds a secret: anyone reads every row's invite_code/);
  assert.match(granted[0]!.message, /REVOKE SELECT ON public\.org_invites FROM anon; GRANT SELECT \(id, org_id, email\) ON public\.org_invites TO anon/);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, text);
    await q("INSERT INTO public.org_invites (org_id, email, invite_code) VALUES (gen_random_uuid(), 'a@example.com', 'c1')");
    await q('SET ROLE anon');
    assert.deepEqual(await q('SELECT email FROM public.org_invites'), [{ email: 'a@example.com' }]);
    const named = await tryQuery(q, 'SELECT token FROM public.org_invites');
    assert.equal(named.ok ? 'ok' : named.error.code, '42501');
  });
});
