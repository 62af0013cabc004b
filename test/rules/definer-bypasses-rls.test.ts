// definer-bypasses-rls on PostgreSQL (PGlite): a SECURITY DEFINER function owned by the table's
// owner, callable by the API roles and blind to the caller, hands user A user B's profile row
// that the policy hides, and lets A make itself an admin; the fix's REVOKE makes the calls fail
// with 42501, and the Valid forms (a caller check, SECURITY INVOKER) return only A's own row.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { affected, asOwner, closeAll, count, expectPgError, getDb, inRollback, pgError, type Q, tryQuery, withFreshDb } from '../helpers/pg.js';
import { applyFix, findingsOf, initParser, invalidFinding, lintDocExample, lintFiles, nestedParentheses, sqlOf, TENANT_A, TENANT_B, textAt } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL, onSupabase } from '../helpers/supabase.js';
import type { Workspace } from '../../server/src/engine/workspace.js';

const ID = 'definer-bypasses-rls';
before(initParser);
after(closeAll);

/**
 * The migration run by the tables' owner (app_owner: not a superuser, no BYPASSRLS, not FORCE'd),
 * under Supabase's platform defaults: its default privileges grant the API roles EXECUTE on new
 * functions and every privilege on new tables in public. Then users A and B.
 */
async function migrate(q: Q, ws: Workspace): Promise<void> {
  await q(AUTH_STUB_SQL);
  await q(`ALTER DEFAULT PRIVILEGES FOR ROLE app_owner IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO anon, authenticated, service_role;
           ALTER DEFAULT PRIVILEGES FOR ROLE app_owner IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role`);
  await asOwner(q, sqlOf(ws));
  const email = /\bemail\b/.test(sqlOf(ws));
  await asOwner(
    q,
    email
      ? `INSERT INTO profiles (id, email) VALUES ('${TENANT_A}', 'a@example.com'), ('${TENANT_B}', 'b@example.com')`
      : `INSERT INTO profiles (id) VALUES ('${TENANT_A}'), ('${TENANT_B}')`,
  );
}

/** As user A (authenticated, request claims set). */
async function asUserA(q: Q): Promise<void> {
  await q(actAs(TENANT_A));
  await q('SET ROLE authenticated');
}

test("err: get_profile(uid) returns user B's row to user A, whom the policy shows only its own", async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'get_profile');
  assert.match(
    finding.message,
    /^SECURITY DEFINER function public\.get_profile\(uuid\) can be called by anon and authenticated \(by Supabase's default privileges on new functions in public, which these migrations do not take away\) and reads rows of public\.profiles, which has row-level security, but never looks at who is calling .* any caller can learn about rows it may not read itself \(through what the function returns, raises or does\)\./,
  );
  assert.equal(nestedParentheses(finding.message), undefined);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await migrate(q, ws);
    await asUserA(q);
    assert.equal(await count(q, `SELECT * FROM profiles WHERE id = '${TENANT_B}'`), 0, "the policy hides B's row from A");
    assert.deepEqual(await q(`SELECT email FROM get_profile('${TENANT_B}')`), [{ email: 'b@example.com' }], 'the function hands it over');
    await q('RESET ROLE');
  });
});

test('err: set_user_role(uid, role): user A, and anon, change the role of any profile', async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.equal(textAt(ws, finding), 'set_user_role');
  assert.match(finding.message, /can be called by PUBLIC \(every role, anon and authenticated included\) and changes rows of public\.profiles.*any caller can change rows it may not change itself\./);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await migrate(q, ws);
    await asUserA(q);
    await q(`SELECT set_user_role('${TENANT_A}', 'admin')`);
    await q('RESET ROLE');
    await q('SET ROLE anon');
    await q(`SELECT set_user_role('${TENANT_B}', 'banned')`);
    await q('RESET ROLE');
    assert.deepEqual(await q('SELECT id, role FROM profiles ORDER BY id'), [
      { id: TENANT_A, role: 'admin' },
      { id: TENANT_B, role: 'banned' },
    ]);
  });
});

test('err→ok: the fix revokes EXECUTE from the roles that could call it (PUBLIC, anon, authenticated): the migration re-lints clean and the calls fail with 42501', async () => {
  for (const n of [0, 1]) {
    const { ws, finding } = invalidFinding(ID, n);
    const fixed = applyFix(ws, finding);
    assert.deepEqual(findingsOf(fixed, ID), [], `Invalid #${n + 1} after the fix`);
    // (Invalid #1 revokes from PUBLIC already: anon and authenticated keep EXECUTE by Supabase's default privileges)
    assert.match(sqlOf(fixed), n === 0 ? /REVOKE EXECUTE ON FUNCTION public\.get_profile\(uuid\) FROM anon, authenticated;/ : /REVOKE EXECUTE ON FUNCTION public\.set_user_role\(uuid, text\) FROM PUBLIC, anon, authenticated;/);
    const db = await getDb();
    await inRollback(db, async (q) => {
      await migrate(q, fixed);
      await asUserA(q);
      const call = n === 0 ? `SELECT * FROM get_profile('${TENANT_B}')` : `SELECT set_user_role('${TENANT_A}', 'admin')`;
      assert.equal((await pgError(q(call)))?.code, '42501', call);
    });
  }
});

test('ok: a caller check (auth.uid()) or SECURITY INVOKER: user A gets only its own row', async () => {
  const { ws, mine } = lintDocExample(ID, 'valid', 0);
  assert.equal(mine.length, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await migrate(q, ws);
    await asUserA(q);
    assert.deepEqual(await q('SELECT email FROM my_profile()'), [{ email: 'a@example.com' }]);
    assert.equal(await count(q, `SELECT * FROM get_profile('${TENANT_B}')`), 0, 'as invoker, the policy applies');
    await q('RESET ROLE');
  });
});

test("ok: ALTER DEFAULT PRIVILEGES takes Supabase's default EXECUTE away before the function is made: authenticated cannot call it", async () => {
  const { ws, mine } = lintDocExample(ID, 'valid', 2);
  assert.equal(mine.length, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await migrate(q, ws);
    await asUserA(q);
    assert.equal((await pgError(q(`SELECT * FROM get_profile('${TENANT_B}')`)))?.code, '42501');
  });
});

test('ok: a table every caller may change whole through its own policies: the function changes nothing they could not', async () => {
  const { ws, mine } = lintDocExample(ID, 'valid', 5);
  assert.equal(mine.length, 0);
  // the same migrations without the GRANT, outside a supabase/ folder: Supabase's defaults may grant the DELETE there
  // (migrations that call auth.uid() and do not create the role: they may run on Supabase)
  const text = `${sqlOf(ws).replace('GRANT SELECT, INSERT, UPDATE, DELETE ON scratch TO authenticated;\n', '')}
GRANT EXECUTE ON FUNCTION clear_scratch(bigint) TO authenticated;
CREATE TABLE notes (id bigint PRIMARY KEY, owner_id uuid NOT NULL);
CREATE INDEX ON notes (owner_id);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_own ON notes FOR SELECT TO authenticated USING (owner_id = (select auth.uid()));`;
  assert.notEqual(text, sqlOf(ws));
  assert.equal(lintFiles([{ file: 'db/migrations/001_scratch.sql', text }], ID).mine.length, 0);
  assert.equal(lintFiles([{ file: 'db/migrations/001_scratch.sql', text: `${text}\nREVOKE DELETE ON scratch FROM authenticated;` }], ID).mine.length, 1, 'unless revoked');
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await asOwner(q, sqlOf(ws));
    await asOwner(q, "INSERT INTO scratch VALUES (1, 'a'), (2, 'b')");
    await q('SET ROLE authenticated');
    assert.equal(await affected(q, "UPDATE scratch SET body = 'x'"), 2, 'authenticated changes every row itself');
    assert.equal(await affected(q, 'DELETE FROM scratch WHERE id = 1'), 1);
    await q('RESET ROLE');
  });
});

test('ok: FORCE ROW LEVEL SECURITY and an ordinary owner: the policies restrict the definer function too', async () => {
  const { ws, mine } = lintDocExample(ID, 'valid', 6);
  assert.equal(mine.length, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    // (app_owner exists already: the example's CREATE ROLE is left out)
    await asOwner(q, sqlOf(ws).replace('CREATE ROLE app_owner NOLOGIN;', '').replace(/ALTER (TABLE|FUNCTION) [^;]* OWNER TO app_owner;/g, ''));
    await q("INSERT INTO notes VALUES (1, 'app_owner', 'mine'), (2, 'someone_else', 'theirs')"); // (as the superuser)
    await asOwner(q, 'GRANT EXECUTE ON FUNCTION note(bigint) TO authenticated');
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'SELECT * FROM note(2)'), 0, "the owner's own policy filters the function's read");
    await q('RESET ROLE');
  });
});

test("err: PUBLIC's EXECUTE in a schema only one role may use: that role is named, and gets another owner's document", async () => {
  const text = `CREATE ROLE web_user NOLOGIN;
CREATE SCHEMA api;
GRANT USAGE ON SCHEMA api TO web_user;
CREATE TABLE docs (id int PRIMARY KEY, owner text NOT NULL, body text);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON docs TO web_user;
CREATE POLICY docs_own ON docs FOR SELECT TO web_user USING (owner = current_user);
CREATE FUNCTION api.doc(did int) RETURNS SETOF docs
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$ SELECT * FROM docs WHERE id = did $$;`;
  const { ws, mine } = lintFiles([{ file: 'migrations/1.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^SECURITY DEFINER function api\.doc\(integer\) can be called by web_user and reads rows of public\.docs/);
  const fixed = applyFix(ws, mine[0]!);
  assert.deepEqual(findingsOf(fixed, ID), []);
  assert.match(sqlOf(fixed), /REVOKE EXECUTE ON FUNCTION api\.doc\(integer\) FROM PUBLIC, web_user;/);
  const db = await getDb();
  for (const [w, expect] of [[ws, 'ok'], [fixed, '42501']] as const) {
    await inRollback(db, async (q) => {
      await q(sqlOf(w)); // (as the superuser: the function's owner bypasses RLS)
      await q(`INSERT INTO docs VALUES (1, 'someone_else', 'secret')`);
      await q('SET ROLE web_user');
      assert.equal(await count(q, 'docs'), 0, 'the policy hides the document');
      const err = await pgError(q('SELECT body FROM api.doc(1)'));
      assert.equal(err?.code ?? 'ok', expect);
      if (!err) assert.deepEqual(await q('SELECT body FROM api.doc(1)'), [{ body: 'secret' }]);
    });
  }
});

test("ok: a caller check through another project's function the workspace does not define (jwt_public.current_user_id(), sqitch's `-- requires: jwt:…`): not said to be blind; with that function, user A gets only its own row", async () => {
  const fn = `CREATE TABLE profiles (id uuid PRIMARY KEY, email text);
ALTER TABLE profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY profiles_own ON profiles FOR SELECT TO authenticated USING (id = (select auth.uid()));
CREATE FUNCTION get_profile(uid uuid) RETURNS SETOF profiles LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT * FROM public.profiles WHERE id = uid AND id = jwt_public.current_user_id()
$$;`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_p.sql', text: `-- « naïve » 日本語 😀\n${fn}` }], ID);
  assert.deepEqual(mine, []);
  // (a function of another schema whose name says nothing of the caller leaves it blind: still reported)
  const blind = lintFiles([{ file: 'supabase/migrations/20240101000000_p.sql', text: fn.replace('jwt_public.current_user_id()', 'extensions.uuid_generate_v4()') }], ID).mine;
  assert.equal(blind.length, 1);
  await inRollback(await getDb(), async (q) => {
    // (the other project's function, as it defines it: the request's user)
    await q(`CREATE SCHEMA jwt_public; GRANT USAGE ON SCHEMA jwt_public TO PUBLIC;
      CREATE FUNCTION jwt_public.current_user_id() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT nullif(current_setting('request.jwt.claim.sub', true), '')::uuid $$`);
    await migrate(q, ws);
    await asUserA(q);
    assert.equal(await count(q, `SELECT * FROM get_profile('${TENANT_B}')`), 0, "B's row is not returned to A");
    assert.equal(await count(q, `SELECT * FROM get_profile('${TENANT_A}')`), 1);
    await q('RESET ROLE');
  });
});

test("ok: a caller check in an IF condition of a body libpg-query's PL/pgSQL parser reads only lexically (a %ROWTYPE variable's field assigned: no catalog): the check is seen; anon's call is refused", async () => {
  const fn = `CREATE TABLE profiles (id uuid PRIMARY KEY, email text);
ALTER TABLE profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY profiles_own ON profiles FOR SELECT TO authenticated USING (id = (select auth.uid()));
CREATE FUNCTION get_profile(uid uuid) RETURNS text LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE v public.profiles%rowtype;
BEGIN
  IF auth.uid() IS NULL OR auth.uid() <> uid THEN
    RAISE EXCEPTION 'not yours';
  END IF;
  SELECT * INTO v FROM public.profiles WHERE id = uid;
  v.email := lower(v.email);
  RETURN v.email;
END $$;`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_p.sql', text: `-- « naïve » 日本語 😀\n${fn}` }], ID);
  const body = ws.parsed('supabase/migrations/20240101000000_p.sql')!.statements.find((s) => s.body)!.body!;
  assert.equal(body.lexical, true, 'the PL/pgSQL parser refused it without a catalog');
  assert.deepEqual(mine, []);
  await inRollback(await getDb(), async (q) => {
    await migrate(q, ws);
    await asUserA(q);
    assert.equal((await q(`SELECT get_profile('${TENANT_A}') AS e`))[0]!.e, 'a@example.com');
    assert.equal((await pgError(q(`SELECT get_profile('${TENANT_B}')`)))?.message, 'not yours');
  });
});

test('ok (message): a function with no argument is not said to let its arguments choose the rows', () => {
  const { mine } = lintFiles(
    [
      {
        file: 'supabase/migrations/20240101000000_stats.sql',
        text: `CREATE TABLE public.orders (id bigint PRIMARY KEY, owner uuid NOT NULL, total int);
ALTER TABLE public.orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON public.orders FOR SELECT TO authenticated USING (owner = (select auth.uid()));
CREATE FUNCTION public.order_stats() RETURNS SETOF int LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$ SELECT total FROM public.orders $$;`,
      },
    ],
    ID,
  );
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /so the rows it reaches are the same whoever calls it \(it takes no argument\), and any caller can learn about rows it may not read itself \(through what the function returns, raises or does\)\./);
  assert.doesNotMatch(mine[0]!.message, /its arguments alone/);
});

test("ok: a definer that only INSERTs where every caller may insert any row itself (its grant and WITH CHECK (true)): not reported (debt-manager's register_user); one that also UPDATEs is", async () => {
  const sql = `CREATE ROLE app_auth;
CREATE TABLE public.users (id uuid PRIMARY KEY, email text NOT NULL, password_hash text);
ALTER TABLE public.users ENABLE ROW LEVEL SECURITY;
GRANT INSERT ON public.users TO app_auth;
CREATE POLICY users_insert_any ON public.users FOR INSERT TO app_auth WITH CHECK (true);
CREATE FUNCTION public.register_user(p_email text, p_hash text) RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  INSERT INTO public.users (id, email, password_hash) VALUES (gen_random_uuid(), p_email, p_hash);
END $$;
REVOKE EXECUTE ON FUNCTION public.register_user(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.register_user(text, text) TO app_auth;
`;
  assert.deepEqual(lintFiles([{ file: 'db/001_users.sql', text: sql }], ID).mine, []);
  // what the definer does, app_auth does itself
  await inRollback(await getDb(), async (q) => {
    await q(sql);
    await q('SET ROLE app_auth');
    assert.equal(await affected(q, "INSERT INTO public.users VALUES (gen_random_uuid(), 'x@example.com', 'h')"), 1);
    await q('RESET ROLE');
  });
  // an UPDATE of any user's hash, which app_auth may not do itself: reported
  const update = sql.replace(
    'INSERT INTO public.users (id, email, password_hash) VALUES (gen_random_uuid(), p_email, p_hash);',
    'UPDATE public.users SET password_hash = p_hash WHERE email = p_email;',
  );
  assert.equal(lintFiles([{ file: 'db/001_users.sql', text: update }], ID).mine.length, 1);
  // without the INSERT grant, the definer adds what the caller lacks: reported
  assert.equal(lintFiles([{ file: 'db/001_users.sql', text: sql.replace('GRANT INSERT ON public.users TO app_auth;\n', '') }], ID).mine.length, 1);
});

test('err: the caller only in what an UPDATE writes (SET approved_by = auth.uid() WHERE id = p_id): user A approves any row, which no policy lets it update', async () => {
  const sql = `CREATE TABLE public.spaces (id uuid PRIMARY KEY, approved boolean NOT NULL DEFAULT false, approved_by uuid);
ALTER TABLE public.spaces ENABLE ROW LEVEL SECURITY;
CREATE POLICY spaces_read ON public.spaces FOR SELECT TO authenticated USING (true);
CREATE FUNCTION public.approve_space(p_id uuid) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  UPDATE public.spaces SET approved = true, approved_by = auth.uid() WHERE id = p_id;
  RETURN true;
END $$;
REVOKE EXECUTE ON FUNCTION public.approve_space(uuid) FROM PUBLIC, anon;
GRANT EXECUTE ON FUNCTION public.approve_space(uuid) TO authenticated;`;
  const file = 'supabase/migrations/20240101000000_spaces.sql';
  const { mine } = lintFiles([{ file, text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /changes rows of public\.spaces, which has row-level security, but never checks who is calling \(it uses `auth\.uid\(\)` or the like only to record the caller, in the values it writes, returns or raises as a notice, never to choose the rows it changes\)/);
  assert.equal(nestedParentheses(mine[0]!.message), undefined);
  // with the caller in the WHERE clause, it is checked
  const checked = sql.replace('WHERE id = p_id', 'WHERE id = p_id AND owner_check(auth.uid())').replace('CREATE FUNCTION public.approve_space', 'CREATE FUNCTION public.owner_check(u uuid) RETURNS boolean LANGUAGE sql STABLE AS $f$ SELECT u IS NOT NULL $f$;\nCREATE FUNCTION public.approve_space');
  assert.equal(lintFiles([{ file, text: checked }], ID).mine.length, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await asOwner(q, sql);
    // (Supabase's platform defaults grant the API roles every privilege on public's tables)
    await asOwner(q, `INSERT INTO public.spaces (id) VALUES ('${TENANT_B}'); GRANT ALL ON public.spaces TO authenticated`);
    await asUserA(q);
    assert.equal(await affected(q, `UPDATE public.spaces SET approved = true WHERE id = '${TENANT_B}'`), 0, 'no policy lets A update it');
    await q(`SELECT public.approve_space('${TENANT_B}')`);
    assert.deepEqual(await q(`SELECT approved, approved_by FROM public.spaces WHERE id = '${TENANT_B}'`), [{ approved: true, approved_by: TENANT_A }], 'the function did');
  });
});

test('ok (message): in plain PostgreSQL (no Supabase roles), the message names what PostgreSQL has, not auth.uid()', () => {
  const sql = `CREATE ROLE app_user;
CREATE TABLE notes (id bigint PRIMARY KEY, owner_name text NOT NULL, body text);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON notes TO app_user;
CREATE POLICY notes_own ON notes FOR SELECT TO app_user USING (owner_name = current_user);
CREATE FUNCTION note_body(nid bigint) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$ SELECT body FROM notes WHERE id = nid $$;`;
  const { mine } = lintFiles([{ file: 'schema.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /never looks at who is calling \(no `session_user`, `current_setting\(\)` or function that uses them\)/);
  // (never `AND owner = current_user`: inside a SECURITY DEFINER function current_user is its owner, see below)
  assert.match(mine[0]!.message, /e\.g\. `AND owner = session_user` where each user logs in as a role of their own, not `current_user`, which is the function's owner inside it; or the request's user or tenant setting/);
  assert.doesNotMatch(mine[0]!.message, /`AND owner = current_user`/);
  assert.equal(nestedParentheses(mine[0]!.message), undefined, 'SQL in backticks: no parenthesis inside another');
  assert.doesNotMatch(mine[0]!.message, /auth\.uid/);
});

test('err: the caller only recorded (an audit row, a variable only SET uses, a RAISE NOTICE): user A, who sees none of the requests, approves them all; the audit table itself is not reported', async () => {
  const head = `CREATE TABLE public.requests (id bigint PRIMARY KEY, owner_id uuid NOT NULL, status text, approved_by uuid);
CREATE INDEX ON public.requests (owner_id);
ALTER TABLE public.requests ENABLE ROW LEVEL SECURITY;
CREATE POLICY requests_own ON public.requests FOR SELECT TO authenticated USING (owner_id = (select auth.uid()));
CREATE TABLE public.request_log (id bigserial PRIMARY KEY, request_id bigint, actor uuid);
ALTER TABLE public.request_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY log_own ON public.request_log FOR SELECT TO authenticated USING (actor = (select auth.uid()));
`;
  const fn = (name: string, decl: string, body: string) => `CREATE FUNCTION public.${name}(p_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
${decl}BEGIN
${body}
END $$;
`;
  const bodies: Record<string, [string, string]> = {
    approve_audited: ['', `  UPDATE public.requests SET status = 'approved' WHERE id = p_id;
  INSERT INTO public.request_log (request_id, actor) VALUES (p_id, auth.uid());`],
    approve_var: ['DECLARE v_uid uuid := auth.uid();\n', `  UPDATE public.requests SET status = 'approved', approved_by = v_uid WHERE id = p_id;`],
    approve_notice: ['', `  RAISE NOTICE 'approved by %', auth.uid();
  UPDATE public.requests SET status = 'approved' WHERE id = p_id;`],
  };
  // (a RETURN that echoes the caller back chooses no rows either: orchestrate-msp's approve_change_request)
  const returned = fn('approve_returned', '', `  UPDATE public.requests SET status = 'approved' WHERE id = p_id;
  RAISE NOTICE 'done';`).replace('RETURNS void', 'RETURNS json').replace("RAISE NOTICE 'done';", "RETURN json_build_object('approved_by', auth.uid());");
  assert.equal(lintFiles([{ file: 'supabase/migrations/20240101000000_requests.sql', text: head + returned }], ID).mine.length, 1);
  // a RETURN whose sub-select reads rows by the caller is a check
  const checkedReturn = returned.replace("RETURN json_build_object('approved_by', auth.uid());", 'RETURN (SELECT json_agg(r) FROM public.requests r WHERE r.owner_id = auth.uid());');
  assert.equal(lintFiles([{ file: 'supabase/migrations/20240101000000_requests.sql', text: head + checkedReturn }], ID).mine.length, 0);
  const file = 'supabase/migrations/20240101000000_requests.sql';
  for (const [name, [decl, body]] of Object.entries(bodies)) {
    const { mine } = lintFiles([{ file, text: head + fn(name, decl, body) }], ID);
    assert.equal(mine.length, 1, name);
    assert.match(mine[0]!.message, new RegExp(`function public\\.${name}\\(bigint\\) .* and changes rows of public\\.requests, which has row-level security, but never checks who is calling \\(it uses \`auth\\.uid\\(\\)\` or the like only to record the caller`), name);
  }
  // the caller in a WHERE, an IF condition comparing it with the rows or a RETURN (directly or through the variable) is a check
  // (an IF that only tests whether the caller IS NULL is not: the test below)
  const checks: Array<[string, string]> = [
    ['', `  UPDATE public.requests SET status = 'approved' WHERE id = p_id AND owner_id = auth.uid();`],
    ['DECLARE v_uid uuid := auth.uid();\n', `  IF v_uid IS NULL OR v_uid <> (SELECT owner_id FROM public.requests WHERE id = p_id) THEN RAISE EXCEPTION 'not yours'; END IF;
  UPDATE public.requests SET status = 'approved', approved_by = v_uid WHERE id = p_id;`],
    ['DECLARE v_uid uuid := auth.uid();\n', `  UPDATE public.requests SET status = 'approved' WHERE id = p_id AND owner_id = v_uid;`],
    ['', `  INSERT INTO public.request_log (request_id, actor) SELECT r.id, auth.uid() FROM public.requests r WHERE r.id = p_id AND r.owner_id = auth.uid();`],
  ];
  for (const [decl, body] of checks) assert.equal(lintFiles([{ file, text: head + fn('approve_checked', decl, body) }], ID).mine.length, 0, body);
  // only INSERTs with the caller among the values: the new rows are the caller's own (create_org)
  const own = fn('log_request', '', `  INSERT INTO public.request_log (request_id, actor) VALUES (p_id, auth.uid());`);
  assert.equal(lintFiles([{ file, text: head + own }], ID).mine.length, 0);
  // beside those, new rows only (a request created for the caller, then its log row): not reported either
  const create = fn('create_request', 'DECLARE v_id bigint;\n', `  INSERT INTO public.requests (id, owner_id) VALUES (p_id, auth.uid()) RETURNING id INTO v_id;
  INSERT INTO public.request_log (request_id) VALUES (v_id);`);
  assert.equal(lintFiles([{ file, text: head + create }], ID).mine.length, 0);

  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await asOwner(q, head + Object.entries(bodies).map(([name, [decl, body]]) => fn(name, decl, body)).join(''));
    await asOwner(q, `INSERT INTO public.requests (id, owner_id) VALUES (1, '${TENANT_B}'), (2, '${TENANT_B}'), (3, '${TENANT_B}');
      GRANT ALL ON public.requests, public.request_log TO authenticated; GRANT USAGE ON SEQUENCE public.request_log_id_seq TO authenticated`);
    await asUserA(q);
    assert.equal(await count(q, 'public.requests'), 0, "the policy hides B's requests from A");
    await q(`SELECT public.approve_audited(1), public.approve_var(2), public.approve_notice(3)`);
    await q('RESET ROLE');
    assert.deepEqual(await q('SELECT id, status, approved_by FROM public.requests ORDER BY id'), [
      { id: 1, status: 'approved', approved_by: null },
      { id: 2, status: 'approved', approved_by: TENANT_A },
      { id: 3, status: 'approved', approved_by: null },
    ]);
  });
});

test('ok: a function whose every read asks what the policy for its callers asks (WHERE … AND is_active = true, USING (is_active = true)) reads only rows they may read: not reported; without that condition it is, and anon then gets an inactive zone', async () => {
  const zones = (where: string) => `CREATE TABLE public.delivery_zones (id int PRIMARY KEY, name text NOT NULL, max_km numeric NOT NULL, fee numeric NOT NULL, is_active boolean NOT NULL DEFAULT true);
ALTER TABLE public.delivery_zones ENABLE ROW LEVEL SECURITY;
CREATE POLICY zones_active ON public.delivery_zones FOR SELECT USING (is_active = true);
CREATE FUNCTION public.delivery_zone(km numeric) RETURNS text LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = '' AS $$
DECLARE z record;
BEGIN
  SELECT * INTO z FROM public.delivery_zones WHERE km <= max_km${where} ORDER BY max_km LIMIT 1;
  RETURN z.name;
END $$;`;
  const file = 'supabase/migrations/20240101000000_zones.sql';
  const filtered = lintFiles([{ file, text: zones(' AND is_active = true') }], ID);
  assert.deepEqual(filtered.mine, []);
  assert.deepEqual(lintFiles([{ file, text: zones(' AND is_active') }], ID).mine, [], 'a bare boolean column asks the same');
  const open = lintFiles([{ file, text: zones('') }], ID);
  assert.equal(open.mine.length, 1);
  const answer = async (ws: Workspace) =>
    inRollback(await getDb(), async (q) => {
      await onSupabase(q, sqlOf(ws));
      await q(`INSERT INTO public.delivery_zones VALUES (1, 'retired', 5, 999, false), (2, 'city', 10, 5, true)`);
      await q('SET ROLE anon');
      assert.equal(await count(q, 'public.delivery_zones'), 1, 'anon reads the active zone only');
      return (await q('SELECT public.delivery_zone(3) AS zone'))[0]!.zone;
    });
  assert.equal(await answer(filtered.ws), 'city', 'the active zone: what anon may read');
  assert.equal(await answer(open.ws), 'retired', 'a row anon may not read');
});

test("ok: a function joining the table to others reads only rows its callers may read when its WHERE asks the policy's condition of the table's alias (guzellik-randevu-ui's salons_within_radius: FROM salons s LEFT JOIN cities c … WHERE s.status = 'APPROVED', policy USING (status = 'APPROVED')): not reported (was: any join was taken as reading every row); without the condition it is, and anon then gets a pending salon; a bare column in a join is not trusted (it may be another table's)", async () => {
  const salons = (where: string) => `CREATE TABLE public.cities (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE public.salons (id int PRIMARY KEY, name text NOT NULL, status text NOT NULL, city_id int REFERENCES public.cities (id));
ALTER TABLE public.salons ENABLE ROW LEVEL SECURITY;
CREATE POLICY public_approved_salons ON public.salons FOR SELECT USING (status = 'APPROVED');
CREATE FUNCTION public.salons_in(p_city text) RETURNS TABLE (name text, city_name text) LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT s.name, c.name AS city_name
  FROM public.salons s
  LEFT JOIN public.cities c ON s.city_id = c.id
  WHERE c.name = p_city${where}
  ORDER BY s.id;
$$;`;
  const file = 'supabase/migrations/20240101000000_salons.sql';
  const filtered = lintFiles([{ file, text: salons(" AND s.status = 'APPROVED'") }], ID);
  assert.deepEqual(filtered.mine, []);
  const inner = lintFiles([{ file, text: salons(" AND s.status = 'APPROVED'").replace('LEFT JOIN', 'JOIN') }], ID);
  assert.deepEqual(inner.mine, [], 'an inner join too');
  assert.equal(lintFiles([{ file, text: salons(" AND status = 'APPROVED'") }], ID).mine.length, 1, 'a bare column beside a join: not trusted');
  const open = lintFiles([{ file, text: salons('') }], ID);
  assert.equal(open.mine.length, 1);
  const answer = async (ws: Workspace) =>
    inRollback(await getDb(), async (q) => {
      await onSupabase(q, sqlOf(ws));
      await q(`INSERT INTO public.cities VALUES (1, 'Izmir'); INSERT INTO public.salons VALUES (1, 'open', 'APPROVED', 1), (2, 'pending', 'PENDING', 1)`);
      await q('SET ROLE anon');
      assert.deepEqual(await q('SELECT name FROM public.salons'), [{ name: 'open' }], 'anon reads the approved salon only');
      return (await q(`SELECT name FROM public.salons_in('Izmir')`)).map((r) => r.name);
    });
  assert.deepEqual(await answer(filtered.ws), ['open'], 'the approved salon: a row anon may read');
  assert.deepEqual(await answer(inner.ws), ['open']);
  assert.deepEqual(await answer(open.ws), ['open', 'pending'], 'a row anon may not read');
});

test("err (message): a lookup that locks the row it finds (SELECT … INTO … FROM proposals p WHERE p.public_token = p_public_token FOR UPDATE OF p; IF v_proposal_id IS NULL THEN RETURN) is the token's lookup (labor-log-71's update_proposal_acceptance_public, a client accepting a proposal by its link): FOR UPDATE OF p names the FROM item, no other relation (was: the generic hint, the lookup not recognised). PGlite: a wrong token changes nothing, the right one its own proposal only", async () => {
  const text = `CREATE TABLE public.proposals (id int PRIMARY KEY, public_token text UNIQUE NOT NULL, acceptance_status text NOT NULL DEFAULT 'pending', accepted_by_name text);
ALTER TABLE public.proposals ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.accept_proposal(p_public_token text, p_name text) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_proposal_id int;
  v_current_status text;
BEGIN
  IF p_public_token IS NULL OR length(trim(p_public_token)) < 8 THEN
    RETURN jsonb_build_object('success', false, 'error', 'Invalid token');
  END IF;
  SELECT p.id, p.acceptance_status INTO v_proposal_id, v_current_status
  FROM public.proposals p
  WHERE p.public_token = p_public_token
  FOR UPDATE OF p;
  IF v_proposal_id IS NULL THEN
    RETURN jsonb_build_object('success', false, 'error', 'Proposal not found');
  END IF;
  UPDATE public.proposals SET acceptance_status = 'accepted', accepted_by_name = p_name WHERE id = v_proposal_id;
  RETURN jsonb_build_object('success', true);
END $$;
`;
  const file = 'supabase/migrations/20240101000000_proposals.sql';
  const { ws, mine } = lintFiles([{ file, text }], ID);
  assert.equal(mine.length, 1);
  const m = mine[0]!.message;
  const line = text.slice(0, text.indexOf('IF v_proposal_id IS NULL')).split('\n').length;
  assert.ok(m.includes(`It looks p_public_token up in public.proposals and stops when no row matches (IF v_proposal_id IS NULL THEN RETURN, 20240101000000_proposals.sql:${line}) before it reads or changes any other row`), m);
  assert.doesNotMatch(m, /If an argument is a secret/);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, sqlOf(ws));
    await q(`INSERT INTO public.proposals (id, public_token) VALUES (1, 'token-of-one'), (2, 'token-of-two')`);
    await q('SET ROLE anon');
    assert.deepEqual((await q(`SELECT public.accept_proposal('not-a-token', 'Eve') AS r`))[0]!.r, { success: false, error: 'Proposal not found' });
    assert.deepEqual((await q(`SELECT public.accept_proposal('token-of-one', 'Ann') AS r`))[0]!.r, { success: true });
    await q('RESET ROLE');
    assert.deepEqual(await q('SELECT id, acceptance_status, accepted_by_name FROM public.proposals ORDER BY id'), [
      { id: 1, acceptance_status: 'accepted', accepted_by_name: 'Ann' },
      { id: 2, acceptance_status: 'pending', accepted_by_name: null },
    ]);
  });
});

test("ok: a policy ORing a constant-only branch with another (USING (status = 'active' OR owner_id = auth.uid())) admits every row that branch admits: a function reading only such rows is not reported (portalmanicure's resolve_tenant); without the condition it is, and anon then gets a suspended tenant's id", async () => {
  const tenants = (where: string) => `CREATE TABLE public.tenants (id uuid PRIMARY KEY, slug text UNIQUE NOT NULL, status text NOT NULL DEFAULT 'active', owner_id uuid);
ALTER TABLE public.tenants ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Anyone can view active tenants" ON public.tenants FOR SELECT USING (status = 'active' OR owner_id = auth.uid());
CREATE FUNCTION public.resolve_tenant(p_slug text) RETURNS uuid LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT id FROM public.tenants WHERE slug = p_slug${where} LIMIT 1;
$$;`;
  const file = 'supabase/migrations/20240101000000_tenants.sql';
  const filtered = lintFiles([{ file, text: tenants(" AND status = 'active'") }], ID);
  assert.deepEqual(filtered.mine, []);
  const open = lintFiles([{ file, text: tenants('') }], ID);
  assert.equal(open.mine.length, 1);
  const answer = async (ws: Workspace) =>
    inRollback(await getDb(), async (q) => {
      await onSupabase(q, sqlOf(ws));
      await q(`INSERT INTO public.tenants (id, slug, status) VALUES ('${TENANT_A}', 'open', 'active'), ('${TENANT_B}', 'closed', 'suspended')`);
      await q('SET ROLE anon');
      assert.deepEqual(await q('SELECT slug FROM public.tenants'), [{ slug: 'open' }], 'anon reads the active tenant only');
      const r = await q(`SELECT public.resolve_tenant('open') AS a, public.resolve_tenant('closed') AS b`);
      return [r[0]!.a, r[0]!.b];
    });
  assert.deepEqual(await answer(filtered.ws), [TENANT_A, null], 'the active tenant: a row anon may read');
  assert.deepEqual(await answer(open.ws), [TENANT_A, TENANT_B], 'a row anon may not read');
});

test("ok (message): a setting holding a server secret (current_setting('app.jwt_secret')) is not a look at the caller: the message does not say the function only records the caller (quizapi_postgrest's login)", () => {
  const text = `CREATE ROLE anon NOLOGIN;
CREATE ROLE authenticated NOLOGIN;
CREATE TABLE users (id uuid PRIMARY KEY, email text UNIQUE NOT NULL, password_hash text NOT NULL, last_login_at timestamp);
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON users TO authenticated;
CREATE POLICY users_self ON users FOR SELECT TO authenticated USING (id = (select nullif(current_setting('request.jwt.claim.user_id', true), '')::uuid));
CREATE FUNCTION make_token(user_id uuid) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  RETURN md5(user_id::text || current_setting('app.jwt_secret'));
END $$;
CREATE FUNCTION login(email text, pass text) RETURNS text LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE v_id uuid; v_hash text;
BEGIN
  SELECT u.id, u.password_hash INTO v_id, v_hash FROM users u WHERE u.email = login.email;
  IF v_id IS NOT NULL AND v_hash = md5(login.pass) THEN
    UPDATE users SET last_login_at = now() WHERE id = v_id;
    RETURN make_token(v_id);
  END IF;
  RETURN NULL;
END $$;
GRANT EXECUTE ON FUNCTION login(text, text) TO anon;`;
  const { mine } = lintFiles([{ file: 'm.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.doesNotMatch(mine[0]!.message, /only to record the caller/);
  assert.match(mine[0]!.message, /If an argument is a secret only the right caller holds/);
  // (dbdev: a secret check that does not raise when no row matches fails open, definer-check-fails-open)
  assert.match(mine[0]!.message, /or a lookup of it comes first and raises when no row matches \(SELECT … INTO STRICT, or IF NOT FOUND THEN RAISE; IF v <> x THEN RAISE does not raise when the lookup left v NULL\); then suppress the finding here\./);
});

test("err: the caller checked only in the WHERE of an UPDATE, which limits that statement alone: the function's INSERT into another table runs for anon too (barbersoft's process_referral_signup)", async () => {
  const text = (after: string) => `CREATE TABLE public.companies (id int PRIMARY KEY, owner_user_id uuid NOT NULL, referral_code text UNIQUE, signup_source text);
ALTER TABLE public.companies ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_companies ON public.companies FOR SELECT TO authenticated USING (owner_user_id = (select auth.uid()));
CREATE TABLE public.referrals (referrer int NOT NULL, referred int NOT NULL UNIQUE);
ALTER TABLE public.referrals ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_referrals ON public.referrals FOR SELECT TO authenticated USING (EXISTS (SELECT 1 FROM public.companies c WHERE c.id IN (referrer, referred)));
CREATE FUNCTION public.process_referral(p_referred int, p_code text) RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE v_referrer int;
BEGIN
  SELECT id INTO v_referrer FROM public.companies WHERE referral_code = p_code;
  IF v_referrer IS NULL OR v_referrer = p_referred THEN RETURN false; END IF;
  UPDATE public.companies SET signup_source = 'ref:' || p_code WHERE id = p_referred AND owner_user_id = auth.uid();${after}
  INSERT INTO public.referrals VALUES (v_referrer, p_referred) ON CONFLICT (referred) DO NOTHING;
  RETURN true;
END $$;`;
  const file = 'supabase/migrations/20240101000000_referrals.sql';
  const { ws, mine } = lintFiles([{ file, text: text('') }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /inserts rows into public\.referrals, which has row-level security, checking who is calling only in the WHERE of its UPDATE public\.companies, which limits that statement alone/);
  // a FOUND check after it guards what follows: left alone
  assert.equal(lintFiles([{ file, text: text("\n  IF NOT FOUND THEN RAISE EXCEPTION 'not yours'; END IF;") }], ID).mine.length, 0);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated');
    await q('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON FUNCTIONS TO anon, authenticated');
    await q(sqlOf(ws));
    await q(`INSERT INTO public.companies VALUES (1, '${TENANT_A}', 'A-CODE', NULL), (2, '${TENANT_B}', 'B-CODE', NULL)`);
    await q('SET ROLE anon');
    assert.deepEqual(await q(`SELECT public.process_referral(2, 'A-CODE') AS ok`), [{ ok: true }], 'anon owns neither company');
    await q('RESET ROLE');
    assert.deepEqual(await q('SELECT referrer, referred FROM public.referrals'), [{ referrer: 1, referred: 2 }]);
  });
});

test("err: a definer whose dynamic SQL works on the table its argument names (EXECUTE format('UPDATE %I …', _table_name): gasmask's soft_delete) and never looks at the caller: anon soft-deletes user A's contact, which it cannot even see", async () => {
  const text = `CREATE TABLE public.crm_contacts (id uuid PRIMARY KEY, owner_id uuid NOT NULL, name text NOT NULL, deleted_at timestamptz);
CREATE INDEX ON public.crm_contacts (owner_id);
ALTER TABLE public.crm_contacts ENABLE ROW LEVEL SECURITY;
CREATE POLICY crm_contacts_own ON public.crm_contacts FOR ALL TO authenticated
  USING (owner_id = (select auth.uid())) WITH CHECK (owner_id = (select auth.uid()));
CREATE FUNCTION public.soft_delete(_table_name text, _record_id uuid) RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  EXECUTE format('UPDATE %I SET deleted_at = now() WHERE id = $1', _table_name) USING _record_id;
END $$;
`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_contacts.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^SECURITY DEFINER function public\.soft_delete\(text, uuid\) can be called by PUBLIC \(every role, anon and authenticated included\) and runs UPDATE on the table its argument _table_name names/);
  assert.match(mine[0]!.message, /any table of schema public with row-level security \(public\.crm_contacts\)/);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, sqlOf(ws));
    await q(`INSERT INTO public.crm_contacts VALUES ('${TENANT_A}', '${TENANT_A}', 'a', NULL)`);
    await q('SET ROLE anon');
    assert.equal(await count(q, 'public.crm_contacts'), 0, 'anon sees nothing');
    await q(`SELECT public.soft_delete('crm_contacts', '${TENANT_A}')`);
    await q('RESET ROLE');
    assert.deepEqual(await q('SELECT deleted_at IS NOT NULL AS gone FROM public.crm_contacts'), [{ gone: true }]);
  });
  // a caller check in the dynamic statement, or a function whose table is written in it, is not this finding
  assert.equal(lintFiles([{ file: 'supabase/migrations/20240101000000_contacts.sql', text: text.replace('WHERE id = $1', 'WHERE id = $1 AND owner_id = auth.uid()') }], ID).mine.length, 0);
});

test("err: the same through RETURN QUERY EXECUTE and FOR … IN EXECUTE (a generic get_rows(p_table)): they were not read as dynamic SQL at all; anon reads user A's contact", async () => {
  const table = `CREATE TABLE public.crm_contacts (id uuid PRIMARY KEY, owner_id uuid NOT NULL, name text NOT NULL);
CREATE INDEX ON public.crm_contacts (owner_id);
ALTER TABLE public.crm_contacts ENABLE ROW LEVEL SECURITY;
CREATE POLICY crm_contacts_own ON public.crm_contacts FOR ALL TO authenticated
  USING (owner_id = (select auth.uid())) WITH CHECK (owner_id = (select auth.uid()));
`;
  const returnQuery = `${table}CREATE FUNCTION public.get_rows(p_table text) RETURNS SETOF json LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  RETURN QUERY EXECUTE format('SELECT to_json(t) FROM public.%I t', p_table);
END $$;
`;
  const forIn = `${table}CREATE FUNCTION public.get_rows(p_table text) RETURNS SETOF json LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE r json;
BEGIN
  FOR r IN EXECUTE format('SELECT to_json(t) FROM public.%I t', p_table) LOOP
    RETURN NEXT r;
  END LOOP;
END $$;
`;
  for (const text of [returnQuery, forIn]) {
    const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_contacts.sql', text }], ID);
    assert.equal(mine.length, 1);
    assert.match(mine[0]!.message, /^SECURITY DEFINER function public\.get_rows\(text\) can be called by PUBLIC \(every role, anon and authenticated included\) and runs SELECT on the table its argument p_table names/);
    assert.match(mine[0]!.message, /so any caller can read rows of any table of schema public with row-level security \(public\.crm_contacts\)/);
    await inRollback(await getDb(), async (q) => {
      await onSupabase(q, sqlOf(ws));
      await q(`INSERT INTO public.crm_contacts VALUES ('${TENANT_A}', '${TENANT_A}', 'a')`);
      await q('SET ROLE anon');
      assert.equal(await count(q, 'public.crm_contacts'), 0, 'anon sees nothing');
      assert.deepEqual((await q(`SELECT r->>'name' AS name FROM public.get_rows('crm_contacts') r`)).map((x) => x.name), ['a'], "user A's contact through the definer");
      await q('RESET ROLE');
    });
  }
  // (a count is one fact per call, as for EXECUTE … INTO: not this finding)
  const counted = `${table}CREATE FUNCTION public.count_rows(p_table text) RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE n bigint;
BEGIN
  FOR n IN EXECUTE format('SELECT count(*) FROM public.%I', p_table) LOOP RETURN n; END LOOP;
END $$;
`;
  assert.equal(lintFiles([{ file: 'supabase/migrations/20240101000000_contacts.sql', text: counted }], ID).mine.length, 0);
});

test("err: EXECUTE given by ALTER DEFAULT PRIVILEGES … GRANT EXECUTE ON FUNCTIONS to a role the table is granted to, whose policies are for PUBLIC (postgraphile-auth): the role reads another user's secret through the definer", async () => {
  const text = `CREATE SCHEMA app;
GRANT USAGE ON SCHEMA app TO admin_role;
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT EXECUTE ON FUNCTIONS TO admin_role;
CREATE TABLE app.accounts (id int PRIMARY KEY, email text NOT NULL, secret text NOT NULL);
ALTER TABLE app.accounts ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON app.accounts TO admin_role;
CREATE POLICY own ON app.accounts FOR SELECT USING (email = current_setting('app.email', true));
CREATE FUNCTION app.secret_of(p_email text) RETURNS text LANGUAGE sql STABLE SECURITY DEFINER SET search_path = app, pg_temp AS
  $$ SELECT secret FROM app.accounts WHERE email = p_email $$;
`;
  const { ws, mine } = lintFiles([{ file: 'migrations/1_app.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^SECURITY DEFINER function app\.secret_of\(text\) can be called by admin_role and reads rows of app\.accounts/);
  assert.equal(lintFiles([{ file: 'migrations/1_app.sql', text: `${text}REVOKE EXECUTE ON FUNCTION app.secret_of(text) FROM admin_role;\n` }], ID).mine.length, 0, 'revoked after');
  await inRollback(await getDb(), async (q) => {
    // (the schema as the superuser: app_owner cannot create one; the rest as the owner, whose default privileges these are)
    await q('CREATE SCHEMA app; GRANT ALL ON SCHEMA app TO app_owner; GRANT USAGE ON SCHEMA app TO admin_role');
    await asOwner(q, sqlOf(ws).replace('CREATE SCHEMA app;\nGRANT USAGE ON SCHEMA app TO admin_role;\n', ''));
    await q(`INSERT INTO app.accounts VALUES (1, 'a@x', 'a-secret'), (2, 'b@x', 'b-secret')`);
    await q(`SELECT set_config('app.email', 'a@x', true)`);
    await q('SET ROLE admin_role');
    assert.deepEqual(await q('SELECT secret FROM app.accounts'), [{ secret: 'a-secret' }]);
    assert.deepEqual(await q(`SELECT app.secret_of('b@x') AS s`), [{ s: 'b-secret' }], "b's secret through the definer");
  });
});

test("err: a definer reaching only a table no role is granted nor named by a policy, executable by a role the workspace's policies are for (kurdin/postgraphile-auth's change_password, no WHERE): the role rewrites every account's hash; the message says every row", async () => {
  const text = `CREATE SCHEMA app;
CREATE SCHEMA auth_private;
GRANT USAGE ON SCHEMA app, auth_private TO admin_role;
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
ALTER DEFAULT PRIVILEGES IN SCHEMA auth_private GRANT EXECUTE ON FUNCTIONS TO admin_role;
CREATE TABLE app.users (id int PRIMARY KEY, email text NOT NULL);
ALTER TABLE app.users ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON app.users TO admin_role;
CREATE POLICY view_users ON app.users FOR SELECT USING (id = nullif(current_setting('jwt.claims.sub', true), '')::int);
CREATE TABLE auth_private.auth (id int PRIMARY KEY, user_id int NOT NULL REFERENCES app.users (id), hash text NOT NULL);
ALTER TABLE auth_private.auth ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION auth_private.change_password(new_hash text, authid int) RETURNS void LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = auth_private, pg_temp AS
  $$ UPDATE auth_private.auth SET hash = new_hash $$;
CREATE FUNCTION auth_private.hash_of(uid int) RETURNS text LANGUAGE sql STABLE SECURITY DEFINER SET search_path = auth_private, pg_temp AS
  $$ SELECT hash FROM auth_private.auth WHERE user_id = uid $$;
`;
  const { ws, mine } = lintFiles([{ file: 'migrations/1_app.sql', text }], ID);
  assert.deepEqual(mine.map((f) => textAt(ws, f)), ['auth_private.change_password', 'auth_private.hash_of']);
  assert.match(
    mine[0]!.message,
    /^SECURITY DEFINER function auth_private\.change_password\(text, integer\) can be called by admin_role and changes rows of auth_private\.auth, .* so nothing limits its UPDATE of auth_private\.auth, which has no WHERE: each call changes every row of the table, whatever its arguments, and any caller can change rows it may not change itself\. .*revoke EXECUTE from these roles\.$/,
  );
  assert.doesNotMatch(mine[0]!.message, /arguments alone choose|If an argument is a secret/);
  assert.match(mine[1]!.message, /can be called by admin_role and reads rows of auth_private\.auth, .* its arguments alone choose the rows, and any caller can learn about rows it may not read itself/);
  // (no policy anywhere: no role is known to be one the policies filter, as before)
  const noPolicy = text.replace(/CREATE POLICY view_users [^\n]*\n/, '');
  assert.equal(lintFiles([{ file: 'migrations/1_app.sql', text: noPolicy }], ID).mine.length, 0);
  await inRollback(await getDb(), async (q) => {
    await q('CREATE SCHEMA app; CREATE SCHEMA auth_private; GRANT ALL ON SCHEMA app, auth_private TO app_owner; GRANT USAGE ON SCHEMA app, auth_private TO admin_role');
    await asOwner(q, sqlOf(ws).replace('CREATE SCHEMA app;\nCREATE SCHEMA auth_private;\nGRANT USAGE ON SCHEMA app, auth_private TO admin_role;\n', ''));
    await q(`INSERT INTO app.users VALUES (1, 'a@x'), (2, 'b@x'); INSERT INTO auth_private.auth VALUES (1, 1, 'a-hash'), (2, 2, 'b-hash')`);
    await q(`SELECT set_config('jwt.claims.sub', '1', true)`);
    await q('SET ROLE admin_role');
    const direct = await tryQuery(q, 'SELECT hash FROM auth_private.auth');
    assert.equal(direct.ok ? 'ok' : direct.error.code, '42501', 'no privilege on the table itself');
    assert.deepEqual(await q('SELECT auth_private.hash_of(2) AS h'), [{ h: 'b-hash' }], "B's hash through the definer");
    await q(`SELECT auth_private.change_password('mine', 1)`);
    await q('RESET ROLE');
    assert.deepEqual(await q('SELECT hash FROM auth_private.auth ORDER BY id'), [{ hash: 'mine' }, { hash: 'mine' }], "every account's hash, B's too");
  });
});

test("err (message): a guard on a parameter that defaults to auth.uid() (workover's assign_moderator_role(target, assigned_by_admin DEFAULT auth.uid())): the message names the default, and a caller passing an admin's id is let through", async () => {
  const sql = `CREATE TABLE public.user_roles (user_id uuid NOT NULL, role text NOT NULL, assigned_by uuid, UNIQUE (user_id, role));
ALTER TABLE public.user_roles ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_roles ON public.user_roles FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE FUNCTION public.is_admin(uid uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM public.user_roles WHERE user_id = uid AND role = 'admin') $$;
CREATE FUNCTION public.assign_moderator_role(target_user_id uuid, assigned_by_admin uuid DEFAULT auth.uid())
RETURNS json LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF NOT public.is_admin(assigned_by_admin) THEN
    RETURN json_build_object('success', false);
  END IF;
  INSERT INTO public.user_roles (user_id, role, assigned_by) VALUES (target_user_id, 'moderator', assigned_by_admin) ON CONFLICT (user_id, role) DO NOTHING;
  RETURN json_build_object('success', true);
END $$;
`;
  const mine = lintFiles([{ file: 'supabase/migrations/20251010101627_roles.sql', text: sql }], ID).mine.filter((f) => f.message.includes('assign_moderator_role'));
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /but looks at who is calling only through the DEFAULT of its parameter assigned_by_admin \(auth\.uid\(\)\), which any caller may override with another value/);
  assert.doesNotMatch(mine[0]!.message, /never looks at who is calling/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql);
    const admin = '00000000-0000-0000-0000-0000000000ad';
    await q(`INSERT INTO public.user_roles VALUES ('${admin}', 'admin', NULL); GRANT EXECUTE ON FUNCTION public.assign_moderator_role(uuid, uuid) TO authenticated; GRANT SELECT ON public.user_roles TO authenticated`);
    await q(actAs(TENANT_B));
    await q('SET ROLE authenticated');
    assert.deepEqual(await q(`SELECT public.assign_moderator_role('${TENANT_B}')::text AS r`), [{ r: '{"success" : false}' }], 'the default: refused');
    assert.deepEqual(await q(`SELECT public.assign_moderator_role('${TENANT_B}', '${admin}')::text AS r`), [{ r: '{"success" : true}' }], "an admin's id passed: made moderator");
    assert.equal(await count(q, 'public.user_roles'), 1, 'B now holds a role row');
  });
});

test("ok: a check made by a helper it calls in an assignment (postgres.garden's v_organization = organization_for_invitation(…), which raises 'That invitation is not for you'): B cannot take A's invitation, not reported; without the helper's check it is", async () => {
  const sql = `CREATE TABLE public.invitations (id int PRIMARY KEY, org_id int NOT NULL, user_id uuid);
ALTER TABLE public.invitations ENABLE ROW LEVEL SECURITY;
CREATE TABLE public.memberships (org_id int NOT NULL, user_id uuid NOT NULL, PRIMARY KEY (org_id, user_id));
ALTER TABLE public.memberships ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_memberships ON public.memberships FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE FUNCTION public.org_for_invitation(p_invitation int) RETURNS int LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE v public.invitations;
BEGIN
  SELECT * INTO v FROM public.invitations WHERE id = p_invitation;
  IF v.user_id IS DISTINCT FROM auth.uid() THEN
    RAISE EXCEPTION 'That invitation is not for you';
  END IF;
  RETURN v.org_id;
END $$;
CREATE FUNCTION public.accept_invitation(p_invitation int) RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE v_org int;
BEGIN
  v_org = public.org_for_invitation(p_invitation);
  INSERT INTO public.memberships VALUES (v_org, auth.uid()) ON CONFLICT DO NOTHING;
  DELETE FROM public.invitations WHERE id = p_invitation;
END $$;
`;
  const file = 'supabase/migrations/1_orgs.sql';
  const on = (text: string) => lintFiles([{ file, text }], ID).mine.filter((f) => f.message.includes('accept_invitation'));
  assert.deepEqual(on(sql), []);
  const unchecked = sql.replace("  IF v.user_id IS DISTINCT FROM auth.uid() THEN\n    RAISE EXCEPTION 'That invitation is not for you';\n  END IF;\n", '');
  assert.notEqual(unchecked, sql);
  assert.equal(on(unchecked).length, 1);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql);
    await q(`INSERT INTO public.invitations VALUES (1, 7, '${TENANT_A}'); GRANT EXECUTE ON FUNCTION public.accept_invitation(int) TO authenticated`);
    await q(actAs(TENANT_B));
    await q('SET ROLE authenticated');
    const r = await q('SELECT public.accept_invitation(1)').then(() => 'ok', (e: { message: string }) => e.message);
    assert.equal(r, 'That invitation is not for you');
  });
});

test("ok: a check made by an invoker helper that fills a variable from rows it chooses by the caller and raises when it is NULL (basejump's current_user_account_role, called by get_account_billing_status): B gets 'Not found' for A's account, not reported; with the raise taken out it is", async () => {
  const sql = `CREATE TABLE public.accounts (id int PRIMARY KEY, name text NOT NULL, billing_email text);
ALTER TABLE public.accounts ENABLE ROW LEVEL SECURITY;
CREATE TABLE public.account_user (account_id int NOT NULL, user_id uuid NOT NULL, account_role text NOT NULL, PRIMARY KEY (account_id, user_id));
ALTER TABLE public.account_user ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON public.account_user FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE FUNCTION public.current_user_account_role(account_id int) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE response jsonb;
BEGIN
  SELECT jsonb_build_object('account_role', wu.account_role) INTO response
  FROM public.account_user wu WHERE wu.user_id = auth.uid() AND wu.account_id = current_user_account_role.account_id;
  IF response ->> 'account_role' IS NULL THEN
    RAISE EXCEPTION 'Not found';
  END IF;
  RETURN response;
END $$;
CREATE FUNCTION public.get_account_billing_status(account_id int) RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE result jsonb; role_result jsonb;
BEGIN
  SELECT public.current_user_account_role(get_account_billing_status.account_id) INTO role_result;
  SELECT jsonb_build_object('name', a.name, 'billing_email', a.billing_email) INTO result
  FROM public.accounts a WHERE a.id = get_account_billing_status.account_id;
  RETURN result || role_result;
END $$;
GRANT EXECUTE ON FUNCTION public.get_account_billing_status(int) TO authenticated;
`;
  const file = 'supabase/migrations/1_accounts.sql';
  const on = (text: string) => lintFiles([{ file, text }], ID).mine.filter((f) => f.message.includes('get_account_billing_status'));
  assert.deepEqual(on(sql), []);
  // (and returning the account's row alone: `result || NULL` would be NULL)
  const unchecked = sql.replace("  IF response ->> 'account_role' IS NULL THEN\n    RAISE EXCEPTION 'Not found';\n  END IF;\n", '').replace('RETURN result || role_result;', 'RETURN result;');
  assert.notEqual(unchecked, sql);
  assert.equal(on(unchecked).length, 1, 'without the raise the helper checks nothing: reported');
  // (the select list alone looking at the caller chooses no row: still reported)
  const listOnly = unchecked.replace("jsonb_build_object('account_role', wu.account_role) INTO response\n  FROM public.account_user wu WHERE wu.user_id = auth.uid() AND", "jsonb_build_object('account_role', wu.account_role, 'me', auth.uid()) INTO response\n  FROM public.account_user wu WHERE");
  assert.notEqual(listOnly, unchecked);
  assert.equal(on(listOnly.replace("RETURN response;", "IF response IS NULL THEN RAISE EXCEPTION 'Not found'; END IF;\n  RETURN response;")).length, 1);
  for (const [text, b] of [
    [sql, 'Not found'],
    [unchecked, 'ok'],
  ] as const) {
    await inRollback(await getDb(), async (q) => {
      await q(AUTH_STUB_SQL);
      await q(text);
      await q(`INSERT INTO public.accounts VALUES (1, 'A corp', 'billing@a.io'); INSERT INTO public.account_user VALUES (1, '${TENANT_A}', 'owner')`);
      await q(`${actAs(TENANT_A)}; SET ROLE authenticated`);
      assert.equal((await q('SELECT public.get_account_billing_status(1) AS s'))[0]!.s.billing_email, 'billing@a.io', "A, a member, gets A's billing status");
      await q(`RESET ROLE; ${actAs(TENANT_B)}; SET ROLE authenticated`);
      const r = await q('SELECT public.get_account_billing_status(1) AS s').then((rows) => (rows[0]!.s?.billing_email === 'billing@a.io' ? 'ok' : 'no row'), (e: { message: string }) => e.message);
      assert.equal(r, b, b === 'ok' ? "without the raise B reads A's billing email" : 'B, no member, is stopped');
    });
  }
});

test("err: dynamic SQL writing a table it names (circle-marketplace's svc_save_core_patch: update_stmt text := 'UPDATE services SET ', EXECUTE update_stmt || …) with no caller check: reported, and anon rewrites a service only admins may update", async () => {
  const sql = `CREATE TABLE public.services (id int PRIMARY KEY, title text NOT NULL, core_version int NOT NULL DEFAULT 1);
ALTER TABLE public.services ENABLE ROW LEVEL SECURITY;
CREATE POLICY services_read ON public.services FOR SELECT TO anon, authenticated USING (true);
CREATE FUNCTION public.svc_save_core_patch(p_id int, p_patch jsonb)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  update_stmt text := 'UPDATE services SET ';
BEGIN
  EXECUTE update_stmt || 'title = ' || quote_literal(p_patch->>'title') || ', core_version = core_version + 1 WHERE id = ' || quote_literal(p_id);
END $$;
`;
  const file = 'supabase/migrations/20250916214703_services.sql';
  const mine = lintFiles([{ file, text: sql }], ID).mine;
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /svc_save_core_patch\(integer, jsonb\) can be called by PUBLIC .* changes rows of public\.services, which has row-level security, but never looks at who is calling/);
  // the same dynamic SQL asking who calls: not reported
  assert.deepEqual(lintFiles([{ file, text: sql.replace("quote_literal(p_id);", "quote_literal(p_id) || ' AND owner = auth.uid()';") }], ID).mine, []);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql);
    await q(`INSERT INTO public.services VALUES (1, 'Coaching'); GRANT SELECT, UPDATE ON public.services TO anon; SET ROLE anon`);
    assert.equal((await q(`UPDATE public.services SET title = 'x' WHERE id = 1 RETURNING id`)).length, 0, 'directly: no UPDATE policy, 0 rows');
    await q(`SELECT public.svc_save_core_patch(1, '{"title": "pwned"}')`);
    assert.deepEqual(await q('SELECT title FROM public.services'), [{ title: 'pwned' }]);
  });
});

test("err (message): a function whose query names a parameter that is also a column (boothbrain's get_user_current_organization) says the call fails with 42702 as written: PGlite raises it for every caller", async () => {
  const sql = `CREATE TABLE public.organization_members (organization_id uuid NOT NULL, user_id uuid NOT NULL, role text);
ALTER TABLE public.organization_members ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON public.organization_members FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE FUNCTION public.get_user_current_organization(user_id uuid) RETURNS uuid
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE org uuid;
BEGIN
  SELECT om.organization_id INTO org FROM public.organization_members om WHERE om.user_id = user_id LIMIT 1;
  RETURN org;
END;
$$;
`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/20250127000000_create_tables.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /\(Its query naming user_id fails as written with 42702 column reference "user_id" is ambiguous, plpgsql-ambiguous-column: a call that reaches it gets that error, not rows; the above holds for every call once that is fixed\.\)$/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql);
    await q(`INSERT INTO public.organization_members VALUES ('${TENANT_B}', '${TENANT_B}', 'owner'); GRANT EXECUTE ON FUNCTION public.get_user_current_organization(uuid) TO authenticated`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.equal((await pgError(q(`SELECT public.get_user_current_organization('${TENANT_B}')`)))?.code, '42702');
  });
});

// Calibration cal28 (lumiso's cleanup_old_onboarding_columns_v3): the function reads no row of
// the table; it drops one of its columns, as its owner, for whoever calls it.
test("err (wording): a function that only runs ALTER TABLE on a table (lumiso's cleanup of old columns) is said to run it, not to read rows: anon drops the column", async () => {
  const sql = `-- « naïve » 日本語 😀
CREATE TABLE public.user_settings (user_id uuid PRIMARY KEY, theme text, in_guided_setup boolean);
ALTER TABLE public.user_settings ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_settings ON public.user_settings FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE FUNCTION public.cleanup_old_columns() RETURNS text LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  column_exists boolean;
BEGIN
  SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'user_settings' AND column_name = 'in_guided_setup') INTO column_exists;
  IF column_exists THEN
    ALTER TABLE user_settings DROP COLUMN in_guided_setup;
    RETURN 'dropped';
  END IF;
  RETURN 'clean';
END $$;
`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20250915074333_cleanup.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'public.cleanup_old_columns');
  assert.match(mine[0]!.message, /runs ALTER TABLE on public\.user_settings \(it reads no row of it\).* any caller can run that ALTER TABLE with the owner's rights, which no policy limits\. Revoke EXECUTE/);
  assert.doesNotMatch(mine[0]!.message, /reads rows of|invitation token/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql);
    await q(`INSERT INTO public.user_settings VALUES ('${TENANT_A}', 'dark', true); SET ROLE anon`);
    assert.deepEqual(await q('SELECT public.cleanup_old_columns() AS r'), [{ r: 'dropped' }]);
    await q('RESET ROLE');
    assert.deepEqual(await q(`SELECT column_name FROM information_schema.columns WHERE table_name = 'user_settings' ORDER BY ordinal_position`), [{ column_name: 'user_id' }, { column_name: 'theme' }]);
  });
  const fixed = applyFix(ws, mine[0]!);
  assert.equal(findingsOf(fixed, ID).length, 0);
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sqlOf(fixed));
    await q('SET ROLE anon');
    assert.equal((await pgError(q('SELECT public.cleanup_old_columns()')))?.code, '42501', 'after the fix anon may not call it');
  });
});

// Calibration cal28 (lumiso's get_status_lifecycle): the argument naming the table is checked
// against a list first; the finding names the listed tables only (not every table of the schema),
// and the bypass is real for them.
test("err (wording): dynamic SQL on the table an argument names, checked against a list (IF status_table NOT IN ('lead_statuses', …) THEN RAISE): only the listed tables are named; PGlite: leads refused, another user's lead status read", async () => {
  const sql = `-- « naïve » 日本語 😀
CREATE TABLE public.lead_statuses (id uuid PRIMARY KEY, user_id uuid NOT NULL, lifecycle text);
ALTER TABLE public.lead_statuses ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_statuses ON public.lead_statuses FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE TABLE public.leads (id uuid PRIMARY KEY, user_id uuid NOT NULL, lifecycle text);
ALTER TABLE public.leads ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_leads ON public.leads FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE FUNCTION public.get_status_lifecycle(status_table text, status_id uuid) RETURNS text LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  result text;
BEGIN
  IF status_table NOT IN ('lead_statuses', 'project_statuses', 'session_statuses') THEN
    RAISE EXCEPTION 'Invalid status table: %', status_table;
  END IF;
  EXECUTE format('SELECT lifecycle FROM %I WHERE id = $1', status_table) INTO result USING status_id;
  RETURN coalesce(result, 'active');
END $$;
`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/20250820113045_status.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /it checks the name against a list of tables, which limits which tables, not which rows\..* read rows of the listed table with row-level security \(public\.lead_statuses\)/);
  assert.doesNotMatch(mine[0]!.message, /public\.leads|any table of schema/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql);
    await q(`INSERT INTO public.lead_statuses VALUES ('${TENANT_B}', '${TENANT_B}', 'won'); INSERT INTO public.leads VALUES ('${TENANT_B}', '${TENANT_B}', 'secret')`);
    await q(`GRANT SELECT ON public.lead_statuses, public.leads TO authenticated; ${actAs(TENANT_A)}; SET ROLE authenticated`);
    assert.equal(await count(q, 'public.lead_statuses'), 0, "directly: B's row is not visible");
    assert.deepEqual(await q(`SELECT public.get_status_lifecycle('lead_statuses', '${TENANT_B}') AS l`), [{ l: 'won' }], "through the function: B's status");
    assert.equal((await pgError(q(`SELECT public.get_status_lifecycle('leads', '${TENANT_B}')`)))?.code, 'P0001', 'a table off the list is refused');
  });
});

// Calibration cal28 (toitware/artemis: public.devices and toit_artemis.devices): the message
// names the table with its schema where another schema has a table of that name, and the body's
// unqualified name is looked up in the function's own search_path.
test("err: an unqualified table in the body of a function with SET search_path = <one schema> is that schema's (toit_artemis.devices, not public.devices): PGlite: anon changes the device's state", async () => {
  const sql = `CREATE SCHEMA toit_artemis;
GRANT USAGE ON SCHEMA toit_artemis TO anon, authenticated;
CREATE TABLE public.devices (id uuid PRIMARY KEY);
CREATE TABLE toit_artemis.devices (id uuid PRIMARY KEY, state jsonb);
ALTER TABLE toit_artemis.devices ENABLE ROW LEVEL SECURITY;
CREATE POLICY none_yet ON toit_artemis.devices FOR SELECT TO authenticated USING (false);
CREATE FUNCTION toit_artemis.update_state(_id uuid, _state jsonb) RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = toit_artemis, pg_temp AS $$
BEGIN
  UPDATE devices SET state = _state WHERE id = _id;
END $$;
`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/20230320152020_state.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /changes rows of toit_artemis\.devices, which has row-level security/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql);
    await q(`INSERT INTO toit_artemis.devices VALUES ('${TENANT_A}', '{}'); GRANT SELECT, UPDATE ON toit_artemis.devices TO anon; SET ROLE anon`);
    await q(`SELECT toit_artemis.update_state('${TENANT_A}', '{"x": 1}')`);
    await q('RESET ROLE');
    assert.deepEqual(await q('SELECT state FROM toit_artemis.devices'), [{ state: { x: 1 } }]);
  });
});

// Calibration cal33 (a common RPC form: WHERE user_id = COALESCE(p_user_id, auth.uid()))
test("err: the caller only as the fallback of coalesce(p_user_id, auth.uid()): user B passes A's id and reads A's note (PGlite); a function that also checks the parameter against the caller is not reported", async () => {
  const table = `CREATE TABLE public.notes (id int PRIMARY KEY, user_id uuid NOT NULL, body text);
ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_own ON public.notes FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
GRANT SELECT ON public.notes TO authenticated;
`;
  const fn = (body: string) => `CREATE FUNCTION public.get_notes(p_user_id uuid DEFAULT NULL) RETURNS SETOF public.notes
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
${body}
  RETURN QUERY SELECT * FROM public.notes WHERE user_id = COALESCE(p_user_id, auth.uid());
END $$;
REVOKE EXECUTE ON FUNCTION public.get_notes(uuid) FROM PUBLIC, anon;
GRANT EXECUTE ON FUNCTION public.get_notes(uuid) TO authenticated;
`;
  const file = 'supabase/migrations/20250101000000_notes.sql';
  const open = `${table}${fn('')}`;
  const { ws, mine } = lintFiles([{ file, text: open }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /looks at who is calling only as the fallback of COALESCE\(p_user_id, auth\.uid\(\)\), which any caller skips by passing the parameter with another value/);
  // (the COALESCE quoted is the one falling back to the caller, not an earlier coalesce(p_id, gen_random_uuid()): LodgeTix)
  const first = `${table}${fn("  PERFORM COALESCE(p_user_id, gen_random_uuid());")}`;
  assert.match(lintFiles([{ file, text: first }], ID).mine[0]!.message, /only as the fallback of COALESCE\(p_user_id, auth\.uid\(\)\)/);
  const checked = `${table}${fn("  IF p_user_id IS DISTINCT FROM auth.uid() THEN RAISE EXCEPTION 'not yours'; END IF;")}`;
  assert.deepEqual(lintFiles([{ file, text: checked }], ID).mine, []);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sqlOf(ws));
    await q(`INSERT INTO public.notes VALUES (1, '${TENANT_A}', 'A secret'), (2, '${TENANT_B}', 'B note')`);
    await q(`${actAs(TENANT_B)} SET ROLE authenticated`);
    assert.deepEqual(await q('SELECT body FROM public.notes'), [{ body: 'B note' }]);
    assert.deepEqual(await q(`SELECT body FROM public.get_notes('${TENANT_A}')`), [{ body: 'A secret' }]);
  });
});

// Calibration cal33 (keen-auth-kit's get_user_role over user_roles, which authenticated reads whole)
test("err: the message names the callers that gain (anon), not 'any caller', when another caller (authenticated) reads the table whole anyway (PGlite: anon gets nothing from the table, the role through the function)", async () => {
  const sql = `CREATE TABLE public.user_roles (id int PRIMARY KEY, user_id uuid NOT NULL, role text NOT NULL);
ALTER TABLE public.user_roles ENABLE ROW LEVEL SECURITY;
CREATE POLICY roles_read ON public.user_roles FOR SELECT TO authenticated USING (true);
GRANT SELECT ON public.user_roles TO anon, authenticated;
CREATE FUNCTION public.get_user_role(_user_id uuid) RETURNS text LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
  AS $$ SELECT role FROM public.user_roles WHERE user_id = _user_id LIMIT 1 $$;
`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20251103192943_roles.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /, and anon can learn about rows it may not read itself/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sqlOf(ws));
    await q(`INSERT INTO public.user_roles VALUES (1, '${TENANT_A}', 'ADMIN')`);
    await q('SET ROLE anon');
    assert.equal(await count(q, 'public.user_roles'), 0);
    assert.deepEqual(await q(`SELECT public.get_user_role('${TENANT_A}') AS r`), [{ r: 'ADMIN' }]);
    await q('RESET ROLE');
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.user_roles'), 1, 'authenticated reads it whole anyway');
  });
});

test("err: a SECURITY DEFINER procedure (GamingPlatform's AcceptTeamRequest, run with CALL) and a function whose only caller check is IF current_user <> v_leader THEN RAISE NOTICE: any player approves another team's join request", async () => {
  const base = `CREATE ROLE dbr_player;
CREATE TABLE public.team (name text PRIMARY KEY, leader text);
CREATE TABLE public.join_request (id int PRIMARY KEY, teamname text REFERENCES public.team, username text, approved boolean DEFAULT false);
ALTER TABLE public.join_request ENABLE ROW LEVEL SECURITY;
CREATE POLICY leader_only ON public.join_request FOR ALL TO dbr_player
  USING (EXISTS (SELECT 1 FROM public.team WHERE team.leader = current_user AND team.name = join_request.teamname));
GRANT SELECT ON public.team, public.join_request TO dbr_player;
`;
  const procedure = `${base}CREATE PROCEDURE public.accept_request(request_id int) LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN UPDATE public.join_request SET approved = true WHERE id = request_id; END $$;
`;
  const notice = `${base}CREATE FUNCTION public.accept_request(request_id int) RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE v_leader text;
BEGIN
  SELECT t.leader INTO v_leader FROM public.team t JOIN public.join_request r ON r.teamname = t.name WHERE r.id = request_id;
  IF current_user <> v_leader THEN
    RAISE NOTICE 'You do not own this team';
  END IF;
  UPDATE public.join_request SET approved = true WHERE id = request_id;
END $$;
`;
  for (const [text, call] of [
    [procedure, 'CALL public.accept_request(1)'],
    [notice, 'SELECT public.accept_request(1)'],
  ] as const) {
    const { mine } = lintFiles([{ file: 'db/1.sql', text }], ID);
    assert.equal(mine.length, 1, call);
    assert.match(mine[0]!.message, new RegExp(`^SECURITY DEFINER ${call.startsWith('CALL') ? 'procedure' : 'function'} public\\.accept_request\\(integer\\) can be called by PUBLIC \\(every role\\) and changes rows of (public\\.)?join_request`));
    if (call.startsWith('CALL')) assert.match(mine[0]!.fixes[0]!.edits[0]!.newText, /REVOKE EXECUTE ON PROCEDURE public\.accept_request\(integer\) FROM PUBLIC;/);
    await inRollback(await getDb(), async (q) => {
      await q(text);
      await q(`CREATE ROLE dbr_u3 IN ROLE dbr_player; INSERT INTO public.team VALUES ('A', 'dbr_u1'); INSERT INTO public.join_request VALUES (1, 'A', 'dbr_u2', false)`);
      await q('SET ROLE dbr_u3');
      assert.equal((await q('SELECT count(*)::int AS n FROM public.join_request'))[0]!.n, 0, 'u3 sees no request of team A');
      await q(call);
      await q('RESET ROLE');
      assert.deepEqual(await q('SELECT approved FROM public.join_request WHERE id = 1'), [{ approved: true }], `u3, not team A's leader, approved its request (${call})`);
    });
  }
});

test("ok: a parameter typed with a domain whose CHECK is the caller (GamingPlatform's `whoami AS name CHECK (VALUE = current_user)`) is the caller, checked: a player cannot pass another's name (23514); not reported", async () => {
  const text = `CREATE ROLE dbr_gamer;
CREATE DOMAIN public.whoami AS name CHECK (VALUE = current_user);
CREATE TABLE public.member (username text PRIMARY KEY, balance int NOT NULL);
ALTER TABLE public.member ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON public.member FOR SELECT TO dbr_gamer USING (username = current_user);
GRANT SELECT ON public.member TO dbr_gamer;
CREATE PROCEDURE public.spend(amount int, fromuser public.whoami DEFAULT current_user) LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN UPDATE public.member SET balance = balance - amount WHERE username = fromuser; END $$;
`;
  assert.equal(lintFiles([{ file: 'db/1.sql', text }], ID).mine.length, 0);
  await inRollback(await getDb(), async (q) => {
    await q(text);
    await q(`CREATE ROLE dbr_g1 IN ROLE dbr_gamer; CREATE ROLE dbr_g2 IN ROLE dbr_gamer; INSERT INTO public.member VALUES ('dbr_g1', 10), ('dbr_g2', 10)`);
    await q('SET ROLE dbr_g2');
    const err = await pgError(q(`CALL public.spend(5, 'dbr_g1')`));
    assert.equal(err?.code, '23514');
  });
});

test("err: the caller only required to be signed in (IF v_uid IS NULL THEN RAISE; stewardtrack's get_user_profiles) chooses no rows: user A approves and reads user B's requests, anon gets the exception", async () => {
  const head = `CREATE TABLE public.requests (id bigint PRIMARY KEY, owner_id uuid NOT NULL, status text, approved_by uuid);
CREATE INDEX ON public.requests (owner_id);
ALTER TABLE public.requests ENABLE ROW LEVEL SECURITY;
CREATE POLICY requests_own ON public.requests FOR SELECT TO authenticated USING (owner_id = (select auth.uid()));
`;
  const approve = `CREATE FUNCTION public.approve_signed_in(p_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE v_uid uuid := auth.uid();
BEGIN
  IF v_uid IS NULL THEN RAISE EXCEPTION 'not signed in'; END IF;
  UPDATE public.requests SET status = 'approved', approved_by = v_uid WHERE id = p_id;
END $$;
`;
  const read = `CREATE FUNCTION public.get_request(p_id bigint) RETURNS SETOF public.requests
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF auth.uid() IS NULL THEN RAISE EXCEPTION 'Authentication required'; END IF;
  RETURN QUERY SELECT * FROM public.requests WHERE id = p_id;
END $$;
`;
  const file = 'supabase/migrations/20240101000000_requests.sql';
  const { ws, mine } = lintFiles([{ file, text: head + approve + read }], ID);
  assert.deepEqual(mine.map((f) => textAt(ws, f)), ['public.approve_signed_in', 'public.get_request']);
  assert.match(
    mine[0]!.message,
    /changes rows of public\.requests, which has row-level security, but never checks who is calling \(it uses `auth\.uid\(\)` or the like only to test whether it is NULL, i\.e\. whether anyone is signed in, and to record the caller, in the values it writes, returns or raises as a notice, never to choose the rows it changes\): .* any signed-in caller can change rows it may not change itself\./,
  );
  assert.match(mine[1]!.message, /reads rows of public\.requests, .* only to test whether it is NULL, i\.e\. whether anyone is signed in, never to choose the rows it reads\): .* any signed-in caller can learn about rows/);
  // a condition that compares the caller with the row is a check: not reported
  const checked = read.replace('IF auth.uid() IS NULL THEN', 'IF auth.uid() IS NULL OR auth.uid() <> (SELECT owner_id FROM public.requests WHERE id = p_id) THEN');
  assert.equal(lintFiles([{ file, text: head + checked }], ID).mine.length, 0);

  const db = await getDb();
  await inRollback(db, async (q) => {
    await onSupabase(q, head + approve + read);
    await q(`INSERT INTO public.requests (id, owner_id) VALUES (1, '${TENANT_B}'), (2, '${TENANT_B}')`);
    await asUserA(q);
    assert.equal(await count(q, 'public.requests'), 0, "the policy hides B's requests from A");
    await q('SELECT public.approve_signed_in(1)');
    assert.deepEqual(await q('SELECT id, owner_id FROM public.get_request(2)'), [{ id: 2, owner_id: TENANT_B }], "A reads B's request");
    await q('RESET ROLE');
    assert.deepEqual(await q('SELECT status, approved_by FROM public.requests WHERE id = 1'), [{ status: 'approved', approved_by: TENANT_A }], "A approved B's request");
    // (anon: no user in the request)
    await q(`SELECT set_config('request.jwt.claim.sub', '', true), set_config('request.jwt.claims', '{"role": "anon"}', true)`);
    await q('SET ROLE anon');
    await expectPgError(q('SELECT * FROM public.get_request(2)'), 'P0001', /Authentication required/);
  });
});

test("err: the caller only stamped into a new row whose other values come from a row it read by its arguments (affiliate's debit_multiple_bookmakers: created_by = auth.uid() on a debit event for any workspace's bookmaker) is no check: user A debits workspace B's bookmaker and reads its name and balance; new rows of the caller's own, or built from a table every caller reads, stay silent", async () => {
  const head = `CREATE TABLE public.workspace_members (workspace_id uuid NOT NULL, user_id uuid NOT NULL, PRIMARY KEY (workspace_id, user_id));
CREATE TABLE public.bookmakers (id uuid PRIMARY KEY, workspace_id uuid NOT NULL, nome text, saldo numeric NOT NULL DEFAULT 0);
CREATE INDEX ON public.bookmakers (workspace_id);
CREATE TABLE public.financial_events (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), bookmaker_id uuid, workspace_id uuid, valor numeric, created_by uuid);
CREATE INDEX ON public.financial_events (workspace_id);
ALTER TABLE public.bookmakers ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.financial_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY bm_member ON public.bookmakers FOR SELECT TO authenticated USING (workspace_id IN (SELECT m.workspace_id FROM public.workspace_members m WHERE m.user_id = (select auth.uid())));
CREATE POLICY fe_member ON public.financial_events FOR SELECT TO authenticated USING (workspace_id IN (SELECT m.workspace_id FROM public.workspace_members m WHERE m.user_id = (select auth.uid())));
`;
  const debit = (lookup: string) => `CREATE FUNCTION public.debit_multiple_bookmakers(p_debits jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
  v_item jsonb; v_bookmaker_id uuid; v_stake numeric; v_saldo numeric; v_nome text; v_ws uuid;
  v_user_id uuid; v_results jsonb := '[]'::jsonb;
BEGIN
  v_user_id := auth.uid();
  FOR v_item IN SELECT * FROM jsonb_array_elements(p_debits) LOOP
    v_bookmaker_id := (v_item->>'bookmaker_id')::uuid;
    v_stake := (v_item->>'stake')::numeric;
    SELECT saldo, nome, workspace_id INTO v_saldo, v_nome, v_ws FROM public.bookmakers WHERE ${lookup} FOR UPDATE;
    INSERT INTO public.financial_events (bookmaker_id, workspace_id, valor, created_by) VALUES (v_bookmaker_id, v_ws, -v_stake, v_user_id);
    v_results := v_results || jsonb_build_object('nome', v_nome, 'saldo_anterior', v_saldo);
  END LOOP;
  RETURN v_results;
END $$;
REVOKE EXECUTE ON FUNCTION public.debit_multiple_bookmakers(jsonb) FROM PUBLIC, anon;
GRANT EXECUTE ON FUNCTION public.debit_multiple_bookmakers(jsonb) TO authenticated;
`;
  const file = 'supabase/migrations/20260408183743_debit.sql';
  const text = head + debit('id = v_bookmaker_id');
  const { ws, mine } = lintFiles([{ file, text }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'public.debit_multiple_bookmakers');
  assert.match(
    mine[0]!.message,
    /can be called by authenticated and inserts rows into public\.financial_events, and reads rows of public\.bookmakers, which have row-level security, but never checks who is calling \(it uses `auth\.uid\(\)` or the like only to record the caller, in the values it writes, returns or raises as a notice, never to choose the rows it reads or inserts\)/,
  );
  // void, the event only (bypass4's debit_bookmaker): the write alone is reported
  const single = `CREATE FUNCTION public.debit_bookmaker(p_bookmaker_id uuid, p_stake numeric) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE v_ws uuid; v_user_id uuid;
BEGIN
  v_user_id := auth.uid();
  SELECT workspace_id INTO v_ws FROM public.bookmakers WHERE id = p_bookmaker_id;
  INSERT INTO public.financial_events (bookmaker_id, workspace_id, valor, created_by) VALUES (p_bookmaker_id, v_ws, -p_stake, v_user_id);
END $$;
`;
  const one = lintFiles([{ file, text: head + single }], ID).mine;
  assert.equal(one.length, 1);
  assert.match(one[0]!.message, /debit_bookmaker\(uuid, numeric\) .* and inserts rows into public\.financial_events, which has row-level security, but never checks who is calling/);
  // the lookup restricted to the caller's workspaces: a check, not reported
  const own = debit('id = v_bookmaker_id AND workspace_id IN (SELECT m.workspace_id FROM public.workspace_members m WHERE m.user_id = v_user_id)');
  assert.equal(lintFiles([{ file, text: head + own }], ID).mine.length, 0);
  // the new row's other values from a table every caller reads whole (USING (true)): the row is the caller's own, not reported
  const open = single.replace(/public\.bookmakers/g, 'public.currencies').replace('SELECT workspace_id INTO v_ws', 'SELECT id INTO v_ws');
  const currencies = `CREATE TABLE public.currencies (id uuid PRIMARY KEY, code text);
ALTER TABLE public.currencies ENABLE ROW LEVEL SECURITY;
CREATE POLICY cur_all ON public.currencies FOR SELECT TO anon, authenticated USING (true);
`;
  assert.equal(lintFiles([{ file, text: head + currencies + open }], ID).mine.length, 0);

  const W_A = '00000000-0000-0000-0000-0000000000aa';
  const W_B = '00000000-0000-0000-0000-0000000000bb';
  const BM_B = '00000000-0000-0000-0000-00000000b00b';
  const db = await getDb();
  await inRollback(db, async (q) => {
    await onSupabase(q, text);
    await q(`INSERT INTO public.workspace_members VALUES ('${W_A}', '${TENANT_A}'), ('${W_B}', '${TENANT_B}');
             INSERT INTO public.bookmakers VALUES ('${BM_B}', '${W_B}', 'Casa B', 500)`);
    await asUserA(q);
    assert.equal(await count(q, 'public.bookmakers'), 0, "the policy hides workspace B's bookmaker from A");
    const [r] = await q(`SELECT public.debit_multiple_bookmakers('[{"bookmaker_id": "${BM_B}", "stake": 100}]') AS r`);
    assert.deepEqual(r!.r, [{ nome: 'Casa B', saldo_anterior: 500 }], "A reads B's bookmaker's name and balance");
    await q('RESET ROLE');
    assert.deepEqual(await q('SELECT bookmaker_id, workspace_id, valor::int AS valor, created_by FROM public.financial_events'), [
      { bookmaker_id: BM_B, workspace_id: W_B, valor: -100, created_by: TENANT_A },
    ], "a debit event of workspace B, made by A");
  });
});

test("err (wording): a lookup of the token argument that raises when no row matches (zebri-crm's portal functions: IF v_couple_id IS NULL THEN RAISE, directly or through _resolve_portal_couple(p_token)) is named as the secret's check, not asked for; PGlite: a wrong token raises and leaks or changes nothing, while a right one still reaches what the other arguments pick (an upsert's ON CONFLICT row of another couple)", async () => {
  const couple = (n: number) => `00000000-0000-0000-0000-00000000000${n}`;
  const head = `CREATE TABLE public.couples (id uuid PRIMARY KEY, user_id uuid NOT NULL, portal_token uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(), portal_token_enabled boolean NOT NULL DEFAULT true);
CREATE INDEX ON public.couples (user_id);
ALTER TABLE public.couples ENABLE ROW LEVEL SECURITY;
CREATE POLICY couples_own ON public.couples FOR ALL TO authenticated USING (user_id = (select auth.uid()));
CREATE TABLE public.portal_people (id uuid PRIMARY KEY, couple_id uuid NOT NULL REFERENCES public.couples (id), full_name text);
CREATE INDEX ON public.portal_people (couple_id);
ALTER TABLE public.portal_people ENABLE ROW LEVEL SECURITY;
CREATE POLICY people_own ON public.portal_people FOR ALL TO authenticated
  USING (couple_id IN (SELECT id FROM public.couples WHERE user_id = (select auth.uid())));
CREATE FUNCTION public._resolve_portal_couple(p_token uuid) RETURNS TABLE (couple_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT id FROM couples WHERE (portal_token = p_token) AND portal_token_enabled = true
$$;
`;
  const del = `CREATE FUNCTION public.delete_portal_person(p_token uuid, p_id uuid) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE v_couple_id uuid;
BEGIN
  SELECT id INTO v_couple_id FROM couples WHERE portal_token = p_token AND portal_token_enabled = true;
  IF v_couple_id IS NULL THEN RAISE EXCEPTION 'Invalid portal token'; END IF;
  DELETE FROM portal_people WHERE id = p_id AND couple_id = v_couple_id;
END $$;
`;
  const save = `CREATE FUNCTION public.save_portal_person(p_token uuid, p_id uuid, p_full_name text) RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE v_couple_id uuid;
BEGIN
  SELECT couple_id INTO v_couple_id FROM _resolve_portal_couple(p_token);
  IF v_couple_id IS NULL THEN
    RAISE EXCEPTION 'Invalid portal token';
  END IF;
  INSERT INTO portal_people (id, couple_id, full_name) VALUES (p_id, v_couple_id, p_full_name)
  ON CONFLICT (id) DO UPDATE SET full_name = excluded.full_name;
  RETURN p_id;
END $$;
`;
  const file = 'supabase/migrations/20240101000000_portal.sql';
  const line = (text: string, needle: string) => text.slice(0, text.indexOf(needle)).split('\n').length;
  const text = head + del + save;
  const { ws, mine } = lintFiles([{ file, text }], ID);
  assert.deepEqual(mine.map((f) => textAt(ws, f)), ['public._resolve_portal_couple', 'public.delete_portal_person', 'public.save_portal_person']);
  // (the helper itself is a pure lookup: it reads only the couples the token matches)
  assert.match(mine[0]!.message, /It only reads rows of public\.couples that p_token matches/);
  const [d, s] = [mine[1]!.message, mine[2]!.message];
  assert.match(d, /so its arguments alone choose the rows, and any caller passing a p_token that its lookup in public\.couples finds can change rows it may not change itself\./);
  assert.ok(d.includes(`It looks p_token up in public.couples and stops when no row matches (IF v_couple_id IS NULL THEN RAISE, 20240101000000_portal.sql:${line(text, 'IF v_couple_id IS NULL THEN RAISE')}) before it reads or changes any other row: if p_token is a secret only the right caller holds (an invitation token), that is its check. Then suppress the finding here, once every row the function reads or changes is one that lookup leads to, not one its other arguments choose alone.`), d);
  assert.ok(s.includes(`It looks p_token up in public.couples through _resolve_portal_couple(p_token) and stops when no row matches (IF v_couple_id IS NULL THEN RAISE, 20240101000000_portal.sql:${line(text, 'IF v_couple_id IS NULL THEN\n')})`), s);
  for (const m of [d, s]) assert.doesNotMatch(m, /If an argument is a secret|SELECT … INTO STRICT, or IF NOT FOUND/);
  // INTO STRICT, and IF NOT FOUND right after the lookup, are the same check
  const strict = del.replace('SELECT id INTO v_couple_id', 'SELECT id INTO STRICT v_couple_id').replace("  IF v_couple_id IS NULL THEN RAISE EXCEPTION 'Invalid portal token'; END IF;\n", '');
  const notFound = del.replace('IF v_couple_id IS NULL THEN', 'IF NOT FOUND THEN');
  // (an early RETURN stops it as a RAISE does: AAChibilyaev/supabase-saas-admin's accept_invitation)
  const returns = notFound.replace("RAISE EXCEPTION 'Invalid portal token';", 'RETURN;');
  assert.notEqual(returns, notFound);
  for (const [what, body, check] of [['INTO STRICT', strict, 'SELECT … INTO STRICT'], ['NOT FOUND', notFound, 'IF NOT FOUND THEN RAISE'], ['NOT FOUND, RETURN', returns, 'IF NOT FOUND THEN RETURN']] as const) {
    assert.notEqual(body, del, what);
    const m = lintFiles([{ file, text: head + body }], ID).mine.map((f) => f.message).find((x) => x.includes('delete_portal_person'));
    assert.match(m ?? '', new RegExp(`stops when no row matches \\(${check.replace(/[.…]/g, '.')}, `), what);
  }
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, head + returns);
    await q(`INSERT INTO public.couples (id, user_id) VALUES ('${couple(2)}', '${TENANT_B}'); INSERT INTO public.portal_people VALUES ('${couple(4)}', '${couple(2)}', 'B''s guest')`);
    await q(`SELECT set_config('request.jwt.claim.sub', '', true), set_config('request.jwt.claims', '{"role": "anon"}', true); SET ROLE anon`);
    await q(`SELECT public.delete_portal_person(gen_random_uuid(), '${couple(4)}')`);
    await q('RESET ROLE');
    assert.equal(await count(q, 'public.portal_people'), 1, "with a wrong token the early RETURN stops it: B's guest stays");
  });
  // not that check: the general hint stays
  for (const [what, body] of [
    ['a condition that does not raise for NULL', del.replace('IF v_couple_id IS NULL THEN', 'IF v_couple_id <> p_id THEN')],
    ['a row changed before the check', del.replace('BEGIN\n', 'BEGIN\n  DELETE FROM portal_people WHERE id = p_id;\n')],
    ['the raise caught', del.replace('BEGIN\n', 'BEGIN\n BEGIN\n').replace('END $$;', () => 'EXCEPTION WHEN OTHERS THEN NULL; END;\nEND $$;')],
    ['a lookup by no argument', del.replace('portal_token = p_token AND ', '')],
    ['NOT FOUND of another statement', notFound.replace('IF NOT FOUND', 'PERFORM pg_sleep(0);\n  IF NOT FOUND')],
    ['the check only in a branch', del.replace("IF v_couple_id IS NULL THEN RAISE EXCEPTION 'Invalid portal token'; END IF;", "IF p_id IS NOT NULL THEN IF v_couple_id IS NULL THEN RAISE EXCEPTION 'Invalid portal token'; END IF; END IF;")],
  ] as const) {
    assert.notEqual(body, del, what);
    const m = lintFiles([{ file, text: head + body }], ID).mine.map((f) => f.message).find((x) => x.includes('delete_portal_person'));
    assert.match(m ?? '', /If an argument is a secret only the right caller holds/, what);
  }

  const db = await getDb();
  await inRollback(db, async (q) => {
    await onSupabase(q, text);
    await q(`INSERT INTO public.couples (id, user_id) VALUES ('${couple(1)}', '${TENANT_A}'), ('${couple(2)}', '${TENANT_B}')`);
    await q(`INSERT INTO public.portal_people VALUES ('${couple(3)}', '${couple(1)}', 'A''s guest'), ('${couple(4)}', '${couple(2)}', 'B''s guest')`);
    const [{ portal_token: tokenA }] = (await q(`SELECT portal_token FROM public.couples WHERE id = '${couple(1)}'`)) as [{ portal_token: string }];
    await q(`SELECT set_config('request.jwt.claim.sub', '', true), set_config('request.jwt.claims', '{"role": "anon"}', true)`);
    await q('SET ROLE anon');
    // a wrong token: the function raises before it reads or changes a row
    for (const call of [`public.delete_portal_person(gen_random_uuid(), '${couple(4)}')`, `public.save_portal_person(gen_random_uuid(), '${couple(4)}', 'x')`]) {
      const r = await tryQuery(q, `SELECT ${call}`);
      assert.deepEqual(r.ok ? 'ran' : [r.error.code, r.error.message], ['P0001', 'Invalid portal token'], call);
    }
    await q('RESET ROLE');
    assert.deepEqual(await q('SELECT id, full_name FROM public.portal_people ORDER BY id'), [{ id: couple(3), full_name: "A's guest" }, { id: couple(4), full_name: "B's guest" }], 'a wrong token deletes and changes nothing');
    await q('SET ROLE anon');
    // A's token: the DELETE keeps to A's couple; the upsert's ON CONFLICT reaches B's guest
    await q(`SELECT public.delete_portal_person('${tokenA}', '${couple(4)}')`);
    await q(`SELECT public.save_portal_person('${tokenA}', '${couple(4)}', 'overwritten')`);
    await q('RESET ROLE');
    assert.deepEqual(await q(`SELECT couple_id, full_name FROM public.portal_people WHERE id = '${couple(4)}'`), [{ couple_id: couple(2), full_name: 'overwritten' }], "B's guest is still there, renamed by A's token holder");
  });
});

test("err (wording): a lookup whose WHERE requires several arguments names each of them, not the first alone, and a stop whose branch first writes a row (it logs the failed attempt) is not called the secret's check (ExudusTech/bolao-go's participant_login); PGlite: the right bolão id with a wrong PIN finds nothing, and that failed call still inserts the log row the caller's arguments choose", async () => {
  const head = `CREATE TABLE public.apostas (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), bolao_id uuid NOT NULL, apelido text NOT NULL, celular_ultimos4 text NOT NULL);
ALTER TABLE public.apostas ENABLE ROW LEVEL SECURITY;
CREATE TABLE public.participant_sessions (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), bolao_id uuid NOT NULL, aposta_id uuid NOT NULL, token text NOT NULL);
ALTER TABLE public.participant_sessions ENABLE ROW LEVEL SECURITY;
CREATE TABLE public.session_logs (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, bolao_id uuid, apelido text, action text NOT NULL);
ALTER TABLE public.session_logs ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.log_session_activity(p_bolao_id uuid, p_apelido text, p_action text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  INSERT INTO public.session_logs (bolao_id, apelido, action) VALUES (p_bolao_id, p_apelido, p_action);
END $$;
`;
  const login = `CREATE FUNCTION public.participant_login(p_bolao_id uuid, p_apelido text, p_senha text) RETURNS json
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE v_aposta record; v_token text;
BEGIN
  SELECT id, apelido INTO v_aposta FROM public.apostas
  WHERE bolao_id = p_bolao_id AND lower(trim(apelido)) = lower(trim(p_apelido)) AND celular_ultimos4 = p_senha
  LIMIT 1;
  IF v_aposta IS NULL THEN
    PERFORM public.log_session_activity(p_bolao_id, p_apelido, 'login_failed');
    RETURN json_build_object('success', false);
  END IF;
  v_token := md5(random()::text);
  INSERT INTO public.participant_sessions (bolao_id, aposta_id, token) VALUES (p_bolao_id, v_aposta.id, v_token);
  RETURN json_build_object('success', true, 'token', v_token);
END $$;
`;
  const file = 'supabase/migrations/20251222201621_login.sql';
  const messageOf = (text: string) => lintFiles([{ file, text }], ID).mine.map((f) => f.message).find((m) => m.includes('participant_login'));
  const logged = messageOf(head + login) ?? '';
  assert.doesNotMatch(logged, /It looks p_bolao_id|stops when no row matches|passing a p_bolao_id that/, logged);
  assert.match(logged, /If an argument is a secret only the right caller holds/, logged);
  // without the log in the branch: the lookup is the check, by both the arguments it requires a column equal to
  const quiet = login.replace("    PERFORM public.log_session_activity(p_bolao_id, p_apelido, 'login_failed');\n", '');
  assert.notEqual(quiet, login);
  const m = messageOf(head + quiet) ?? '';
  assert.match(m, /any caller passing a p_bolao_id and a p_senha that its lookup in public\.apostas finds can /, m);
  assert.match(m, /It looks p_bolao_id and p_senha up in public\.apostas and stops when no row matches \(IF v_aposta IS NULL THEN RETURN, 20251222201621_login\.sql:\d+\) before it reads or changes any other row: if one of them is a secret only the right caller holds/, m);
  // (a pure lookup by two arguments: both named, "match")
  const pure = `${head}CREATE FUNCTION public.session_of(p_bolao_id uuid, p_token text) RETURNS uuid LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
  $$ SELECT aposta_id FROM public.participant_sessions WHERE bolao_id = p_bolao_id AND token = p_token $$;
`;
  const p = lintFiles([{ file, text: pure }], ID).mine.map((f) => f.message).find((x) => x.includes('session_of')) ?? '';
  assert.match(p, /It only reads rows of public\.participant_sessions that p_bolao_id and p_token match \(its WHERE requires a column equal to each\) and changes none: if one of them is a secret only the right caller holds/, p);

  const bolao = '00000000-0000-0000-0000-0000000000b1';
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, head + login);
    await q(`INSERT INTO public.apostas (bolao_id, apelido, celular_ultimos4) VALUES ('${bolao}', 'Ana', '1234')`);
    await q(`SELECT set_config('request.jwt.claim.sub', '', true), set_config('request.jwt.claims', '{"role": "anon"}', true); SET ROLE anon`);
    assert.deepEqual(await q(`SELECT public.participant_login('${bolao}', 'Ana', '9999')::jsonb AS r`), [{ r: { success: false } }], 'the right bolão id alone finds nothing');
    await q(`SELECT public.participant_login('${bolao}', 'forged entry', '0000')`);
    await q('RESET ROLE');
    assert.equal(await count(q, 'public.participant_sessions'), 0, 'no session was made');
    assert.deepEqual(await q('SELECT apelido, action FROM public.session_logs ORDER BY id'), [
      { apelido: 'Ana', action: 'login_failed' },
      { apelido: 'forged entry', action: 'login_failed' },
    ], 'each failed call wrote the row its arguments chose');
  });
});

test("err (wording): the tables are named schema-qualified, whether or not their CREATE TABLE wrote the schema (zebri-crm's add_couple_portal: portal_people, and public.couples), as policies' tables are; dynamic SQL's list too", () => {
  const text = `CREATE TABLE public.couples (id uuid PRIMARY KEY, user_id uuid NOT NULL, portal_token uuid NOT NULL UNIQUE);
ALTER TABLE public.couples ENABLE ROW LEVEL SECURITY;
CREATE TABLE portal_people (id uuid PRIMARY KEY, couple_id uuid NOT NULL, full_name text);
ALTER TABLE portal_people ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION save_portal_person(p_couple uuid, p_id uuid, p_full_name text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE v_token uuid;
BEGIN
  SELECT portal_token INTO v_token FROM couples WHERE id = p_couple;
  INSERT INTO portal_people VALUES (p_id, p_couple, p_full_name) ON CONFLICT (id) DO UPDATE SET full_name = excluded.full_name;
  RETURN v_token::text;
END $$;
CREATE FUNCTION soft_delete(p_table text, p_id uuid) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
  EXECUTE format('DELETE FROM %I WHERE id = $1', p_table) USING p_id;
END $$;
`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_portal.sql', text }], ID);
  const [dynamic, save] = [mine.find((f) => f.message.includes('soft_delete'))!, mine.find((f) => f.message.includes('save_portal_person'))!];
  assert.match(save.message, / and changes rows of public\.portal_people, and reads rows of public\.couples, which have row-level security,/);
  assert.deepEqual(save.related?.map((r) => r.message), ['row-level security of public.portal_people', 'row-level security of public.couples']);
  assert.match(dynamic.message, /with row-level security \(public\.couples, public\.portal_people\)/);
});

test("err (message): a sign-up definer that only INSERTs says it inserts rows the caller may not insert itself, not that it changes rows (sagefy's sign_up): anon adds an account, its own INSERT fails 42501, and the existing row is untouched", async () => {
  const sql = `CREATE TABLE public.users (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text NOT NULL);
ALTER TABLE public.users ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON public.users TO anon;
CREATE POLICY users_read ON public.users FOR SELECT TO anon USING (true);
CREATE FUNCTION public.sign_up(p_name text) RETURNS uuid LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE new_id uuid;
BEGIN
  INSERT INTO public.users (name) VALUES (p_name) RETURNING id INTO new_id;
  RETURN new_id;
END $$;
REVOKE EXECUTE ON FUNCTION public.sign_up(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.sign_up(text) TO anon;
`;
  const { mine } = lintFiles([{ file: 'db/001_users.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /can be called by anon and inserts rows into public\.users, which has row-level security/);
  assert.match(mine[0]!.message, /any caller can insert rows it may not insert itself\./);
  assert.doesNotMatch(mine[0]!.message, /change/);
  await inRollback(await getDb(), async (q) => {
    await q(sql);
    await q("INSERT INTO public.users (name) VALUES ('alice')");
    await q('SET ROLE anon');
    await expectPgError(q("INSERT INTO public.users (name) VALUES ('mallory')"), '42501');
  });
  await inRollback(await getDb(), async (q) => {
    await q(sql);
    await q("INSERT INTO public.users (name) VALUES ('alice')");
    await q('SET ROLE anon');
    await q("SELECT public.sign_up('bob')");
    assert.deepEqual((await q('SELECT name FROM public.users ORDER BY name')).map((r) => r.name), ['alice', 'bob']);
  });
  // an UPDATE beside the INSERT: it changes rows again
  const update = sql.replace('RETURN new_id;', "UPDATE public.users SET name = p_name WHERE name = 'alice';\n  RETURN new_id;");
  assert.match(lintFiles([{ file: 'db/001_users.sql', text: update }], ID).mine[0]!.message, /changes rows of public\.users.*can change rows it may not change itself/);
});

test("err (wording): a pure lookup by a token argument (unison's lookup_workspace_by_invite_token: one SELECT whose WHERE requires invite_token = lookup_token; quick-paste-magic's SELECT … INTO … WHERE token = p_token) is said to read only the rows the token matches, not asked to raise when none does; PGlite: anon gets the one workspace with the right token, nothing with a wrong one, and reads no workspace itself", async () => {
  const text = `CREATE TABLE public.workspaces (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), slug text NOT NULL, invite_token text NOT NULL, owner_id uuid NOT NULL);
ALTER TABLE public.workspaces ENABLE ROW LEVEL SECURITY;
CREATE POLICY owner_reads ON public.workspaces FOR SELECT TO authenticated USING (owner_id = (select auth.uid()));
CREATE FUNCTION public.lookup_workspace_by_invite_token(lookup_token text) RETURNS TABLE (id uuid, slug text)
  LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$
  SELECT w.id, w.slug FROM public.workspaces w WHERE w.invite_token = lookup_token LIMIT 1;
$$;
CREATE FUNCTION public.invite_slug(p_token text) RETURNS text LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE s text;
BEGIN
  IF p_token IS NULL THEN RETURN NULL; END IF;
  SELECT slug INTO s FROM public.workspaces WHERE invite_token = p_token;
  RETURN s;
END $$;
`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_invites.sql', text }], ID);
  assert.equal(mine.length, 2);
  for (const [f, param] of [
    [mine[0]!, 'lookup_token'],
    [mine[1]!, 'p_token'],
  ] as const) {
    assert.ok(f.message.includes(`It only reads rows of public.workspaces that ${param} matches (its WHERE requires a column equal to it) and changes none: if ${param} is a secret only the right caller holds (an invitation token), a caller without it gets nothing through the function`), f.message);
    assert.doesNotMatch(f.message, /raises when no row matches/);
  }
  // (a lookup that also writes, or reads by another argument, keeps the general advice)
  const writes = text.replace('RETURN s;', 'UPDATE public.workspaces SET slug = slug WHERE invite_token = p_token; RETURN s;');
  assert.match(lintFiles([{ file: 'supabase/migrations/20240101000000_invites.sql', text: writes }], ID).mine.find((f) => f.message.includes('invite_slug'))!.message, /raises when no row matches/);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, text);
    await q(`INSERT INTO public.workspaces (slug, invite_token, owner_id) VALUES ('a', 'secret-a', '${TENANT_A}'), ('b', 'secret-b', '${TENANT_B}')`);
    await q('SET ROLE anon');
    assert.equal(await count(q, 'public.workspaces'), 0);
    assert.deepEqual(await q("SELECT slug FROM public.lookup_workspace_by_invite_token('secret-b')"), [{ slug: 'b' }]);
    assert.deepEqual(await q("SELECT slug FROM public.lookup_workspace_by_invite_token('guess')"), []);
    assert.deepEqual(await q("SELECT public.invite_slug('guess') AS s"), [{ s: null }]);
  });
});

test("err (wording): a pure lookup by a token that also calls a workspace helper reading no table (xcono/base's lookup_invitation: `cutoff_time := tenancy.get_cutoff_time()`, now() less a day) and names the column with its schema (`tenancy.invitations.token = lookup_invitation_token`) is still said to read only the rows the token matches; a helper that reads a table keeps the general advice; PGlite: authenticated gets the invitation's team with its token, nothing with a guess, and reads no invitation itself", async () => {
  const helper = `CREATE FUNCTION tenancy.get_cutoff_time() RETURNS timestamptz LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$
  SELECT pg_catalog.now() - interval '24 hours';
$$;
`;
  const text = (cutoff: string) => `CREATE SCHEMA tenancy;
CREATE TABLE tenancy.invitations (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), team_name text NOT NULL, token text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
ALTER TABLE tenancy.invitations ENABLE ROW LEVEL SECURITY;
GRANT USAGE ON SCHEMA tenancy TO authenticated;
GRANT SELECT ON tenancy.invitations TO authenticated;
${cutoff}GRANT EXECUTE ON FUNCTION tenancy.get_cutoff_time() TO authenticated;
CREATE FUNCTION public.lookup_invitation(lookup_invitation_token text) RETURNS json LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE name text; invitation_active boolean; cutoff_time timestamptz;
BEGIN
  cutoff_time := tenancy.get_cutoff_time();
  SELECT tenancy.invitations.team_name, CASE WHEN tenancy.invitations.created_at > cutoff_time THEN true ELSE false END AS active
  INTO name, invitation_active
  FROM tenancy.invitations
  WHERE tenancy.invitations.token = lookup_invitation_token
  LIMIT 1;
  RETURN json_build_object('active', coalesce(invitation_active, false), 'account_name', name);
END $$;
`;
  const lookup = (t: string) => lintFiles([{ file: 'supabase/migrations/20240101000000_invites.sql', text: t }], ID).mine.find((f) => f.message.includes('lookup_invitation'))!;
  assert.ok(lookup(text(helper)).message.includes('It only reads rows of tenancy.invitations that lookup_invitation_token matches (its WHERE requires a column equal to it) and changes none'), lookup(text(helper)).message);
  // (a helper reading a table: the lookup reads more than the rows the token matches)
  const reading = helper.replace("SELECT pg_catalog.now() - interval '24 hours';", 'SELECT max(created_at) FROM tenancy.invitations;');
  assert.match(lookup(text(reading)).message, /raises when no row matches/);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, text(helper));
    await q("INSERT INTO tenancy.invitations (team_name, token) VALUES ('Team B', 'secret-b')");
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'tenancy.invitations'), 0);
    assert.deepEqual(await q("SELECT public.lookup_invitation('secret-b')::jsonb AS j"), [{ j: { active: true, account_name: 'Team B' } }]);
    assert.deepEqual(await q("SELECT public.lookup_invitation('guess')::jsonb AS j"), [{ j: { active: false, account_name: null } }]);
  });
});

test("err (wording): a parameter named like a column of the table it reads is not a lookup by it: in a LANGUAGE sql function the column wins, `i.token = token` compares the column with itself, and the message must not say the function reads only the rows the argument matches; PGlite: anon gets an invitation's email with any token", async () => {
  const text = `CREATE TABLE public.invites (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), email text NOT NULL, token text NOT NULL);
ALTER TABLE public.invites ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.invite_email(token text) RETURNS text LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$
  SELECT i.email FROM public.invites i WHERE i.token = token LIMIT 1;
$$;
CREATE FUNCTION public._invite_of(token text) RETURNS uuid LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT i.id FROM public.invites i WHERE i.token = token;
$$;
CREATE FUNCTION public.invite_email_checked(p_token text) RETURNS text LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE v uuid; e text;
BEGIN
  SELECT x INTO v FROM public._invite_of(p_token) x;
  IF v IS NULL THEN RAISE EXCEPTION 'invalid token'; END IF;
  SELECT i.email INTO e FROM public.invites i WHERE i.id = v;
  RETURN e;
END $$;
`;
  const file = 'supabase/migrations/20240101000000_invites.sql';
  const { mine } = lintFiles([{ file, text }], ID);
  const of = (name: string) => mine.find((f) => f.message.includes(`function public.${name}(`))!.message;
  for (const name of ['invite_email', '_invite_of']) assert.doesNotMatch(of(name), /It only reads rows of public\.invites that token matches/, name);
  // (the helper's `token` is its column too: no lookup of p_token that stops the caller)
  assert.doesNotMatch(of('invite_email_checked'), /It looks p_token up in public\.invites through/);
  // qualified with the function's name, it is the parameter: a pure lookup again
  const qualified = text.replace('WHERE i.token = token LIMIT 1', 'WHERE i.token = invite_email.token LIMIT 1');
  assert.match(lintFiles([{ file, text: qualified }], ID).mine.find((f) => f.message.includes('function public.invite_email('))!.message, /It only reads rows of public\.invites that token matches/);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(
      q,
      `${text}CREATE FUNCTION public.invite_email_q(token text) RETURNS text LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$
  SELECT i.email FROM public.invites i WHERE i.token = invite_email_q.token LIMIT 1;
$$;`,
    );
    await q(`INSERT INTO public.invites (email, token) VALUES ('a@example.com', 'secret-a')`);
    await q('SET ROLE anon');
    assert.equal(await count(q, 'public.invites'), 0);
    // (as written: the column compared with itself, any token finds the row)
    assert.deepEqual(await q("SELECT public.invite_email('guess') AS e"), [{ e: 'a@example.com' }]);
    assert.deepEqual(await q("SELECT public.invite_email_checked('guess') AS e"), [{ e: 'a@example.com' }]);
    // (qualified: only the right token)
    assert.deepEqual(await q("SELECT public.invite_email_q('guess') AS e"), [{ e: null }]);
    assert.deepEqual(await q("SELECT public.invite_email_q('secret-a') AS e"), [{ e: 'a@example.com' }]);
  });
});

test("err (wording): a pure lookup reading two tables by the same argument names both (travelmatch's get_user_moderation_status: warnings, then blocked content, each WHERE user_id = p_user_id), not only the last one it reads; PGlite: the function's answer counts rows of both tables, those of the user passed only", async () => {
  const text = `CREATE TABLE public.warnings (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id uuid NOT NULL);
CREATE TABLE public.blocked (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id uuid NOT NULL);
ALTER TABLE public.warnings ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.blocked ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.moderation_status(p_user_id uuid) RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE w int; b int;
BEGIN
  SELECT count(*) INTO w FROM public.warnings WHERE user_id = p_user_id;
  SELECT count(*) INTO b FROM public.blocked WHERE user_id = p_user_id;
  RETURN jsonb_build_object('warnings', w, 'blocked', b);
END $$;
`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_moderation.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.ok(mine[0]!.message.includes('reads rows of public.warnings, public.blocked, which have row-level security'), mine[0]!.message);
  assert.ok(mine[0]!.message.includes('It only reads rows of public.warnings and public.blocked that p_user_id matches (each WHERE requires a column equal to it) and changes none'), mine[0]!.message);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, text);
    await q(`INSERT INTO public.warnings (user_id) VALUES ('${TENANT_A}'), ('${TENANT_B}'), ('${TENANT_B}'); INSERT INTO public.blocked (user_id) VALUES ('${TENANT_B}')`);
    await q('SET ROLE anon');
    assert.equal(await count(q, 'public.warnings'), 0);
    assert.equal(await count(q, 'public.blocked'), 0);
    assert.deepEqual(await q(`SELECT public.moderation_status('${TENANT_B}') AS s`), [{ s: { warnings: 2, blocked: 1 } }]);
    assert.deepEqual(await q(`SELECT public.moderation_status(gen_random_uuid()) AS s`), [{ s: { warnings: 0, blocked: 0 } }]);
  });
});

test('err: an UPDATE comparing an integer id with a uuid parameter fails with 42883 on every call: the message says so, and PostgreSQL changes no row (synthwave-toolscape increment_views)', async () => {
  const text = `CREATE TABLE public.tools (id serial PRIMARY KEY, title text, views_count bigint DEFAULT 0);
ALTER TABLE public.tools ENABLE ROW LEVEL SECURITY;
CREATE POLICY tools_read ON public.tools FOR SELECT USING (true);
CREATE FUNCTION increment_views(tool_id_input uuid) RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  UPDATE tools SET views_count = COALESCE(views_count, 0) + 1 WHERE id = tool_id_input;
END;
$$;`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_tools.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.match(
    mine[0]!.message,
    / \(Its UPDATE of public\.tools compares the column id, of type integer, with the parameter tool_id_input, of type uuid, for which PostgreSQL has no operator: it fails as written with 42883 operator does not exist: integer = uuid, so a call that reaches it gets that error and changes no row through it; the above holds once that is fixed\.\)$/,
  );
  assert.equal(nestedParentheses(mine[0]!.message), undefined);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sqlOf(ws)); // (as the superuser: the function's owner bypasses RLS)
    await q(`INSERT INTO tools (title) VALUES ('a'), ('b')`);
    await q('GRANT SELECT, UPDATE ON tools TO anon');
    await q('SET ROLE anon');
    await q('SAVEPOINT call');
    await expectPgError(q(`SELECT increment_views('${TENANT_A}')`), '42883', 'operator does not exist: integer = uuid');
    await q('ROLLBACK TO SAVEPOINT call');
    await q('RESET ROLE');
    assert.deepEqual(await q('SELECT sum(views_count)::int AS n FROM tools'), [{ n: 0 }], 'no row changed');
  });
  // (the same function over a uuid id: no such note, and the call does change the row)
  const uuidText = text.replace('id serial PRIMARY KEY', 'id uuid PRIMARY KEY DEFAULT gen_random_uuid()');
  const same = lintFiles([{ file: 'supabase/migrations/20240101000000_tools.sql', text: uuidText }], ID).mine;
  assert.equal(same.length, 1);
  assert.doesNotMatch(same[0]!.message, /42883/);
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await q(uuidText);
    await q(`INSERT INTO tools (id, title) VALUES ('${TENANT_A}', 'a')`);
    await q('SET ROLE anon');
    await q(`SELECT increment_views('${TENANT_A}')`);
    await q('RESET ROLE');
    assert.deepEqual(await q('SELECT views_count::int AS n FROM tools'), [{ n: 1 }]);
  });
});

/** A migration as app_owner (not a superuser, no BYPASSRLS), the doc's CREATE ROLE lines left out (the roles exist). */
async function asAppOwner(q: Q, sql: string): Promise<void> {
  await asOwner(q, sql.replace(/^CREATE ROLE .*$/gm, ''));
}

test("err: purge() runs TRUNCATE users CASCADE as its owner (calibration: elm-scoutges' api.purge(), EXECUTE granted to its API roles): anon's own TRUNCATE fails 42501, its call empties users and the sessions referencing it", async () => {
  const { ws, finding } = invalidFinding(ID, 2);
  assert.equal(textAt(ws, finding), 'purge');
  assert.match(
    finding.message,
    /^SECURITY DEFINER function public\.purge\(\) can be called by anon and authenticated and empties public\.users with TRUNCATE, and empties public\.sessions through TRUNCATE public\.users CASCADE \(which empties the tables whose foreign keys reference it, in turn\), which have row-level security, but never looks at who is calling /,
  );
  assert.match(finding.message, /so it runs the same for every caller, and any caller can empty public\.users, public\.sessions, every row, whatever the policies let it see or delete \(TRUNCATE is not subject to row-level security, and it runs as the owner, so the caller needs no TRUNCATE privilege of its own\)\. Revoke EXECUTE from these roles \(their call then fails with 42501 permission denied for function;/);
  assert.doesNotMatch(finding.message, /secret|its arguments alone/);
  assert.equal(nestedParentheses(finding.message), undefined);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await asAppOwner(q, sqlOf(ws));
    await asOwner(q, `INSERT INTO users VALUES (1, 'a@example.com'), (2, 'b@example.com'); INSERT INTO sessions VALUES (1, 1), (2, 2)`);
    await q('SET ROLE anon');
    const own = await tryQuery(q, 'TRUNCATE users');
    assert.ok(!own.ok && own.error.code === '42501' && /permission denied for table users/.test(own.error.message), "anon's own TRUNCATE is refused");
    await q('SELECT purge()');
    await q('RESET ROLE');
    assert.equal(await count(q, 'users'), 0, 'the call emptied users');
    assert.equal(await count(q, 'sessions'), 0, 'and, by CASCADE, sessions');
  });
});

test('err→ok: the fix revokes EXECUTE on purge() from anon and authenticated: it re-lints clean, the call fails with 42501 and the rows stay', async () => {
  const { ws, finding } = invalidFinding(ID, 2);
  const fixed = applyFix(ws, finding);
  assert.deepEqual(findingsOf(fixed, ID), []);
  assert.match(sqlOf(fixed), /GRANT EXECUTE ON FUNCTION purge\(\) TO anon, authenticated;\nREVOKE EXECUTE ON FUNCTION public\.purge\(\) FROM anon, authenticated;/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await asAppOwner(q, sqlOf(fixed));
    await asOwner(q, `INSERT INTO users VALUES (1, 'a@example.com'); INSERT INTO sessions VALUES (1, 1)`);
    for (const role of ['anon', 'authenticated']) {
      await q(`SET ROLE ${role}`);
      const r = await tryQuery(q, 'SELECT purge()');
      assert.ok(!r.ok && r.error.code === '42501' && /permission denied for function purge/.test(r.error.message), role);
      await q('RESET ROLE');
    }
    assert.equal(await count(q, 'users'), 1);
    assert.equal(await count(q, 'sessions'), 1);
  });
});

test('ok: a TRUNCATE PostgreSQL refuses (a referenced table without CASCADE: 0A000), one an ON TRUNCATE trigger may stop, a caller holding TRUNCATE itself; err: both tables in one TRUNCATE', async () => {
  const { ex } = lintDocExample(ID, 'invalid', 2);
  const text = ex.files[0]!.text;
  const lint = (t: string) => lintFiles([{ file: 'migrations/001_purge.sql', text: t }], ID).mine;
  const plain = text.replace('TRUNCATE users CASCADE;', 'TRUNCATE users;');
  assert.deepEqual(lint(plain), [], 'no CASCADE, sessions references users');
  const db = await getDb();
  await inRollback(db, async (q) => {
    await asAppOwner(q, plain);
    await asOwner(q, `INSERT INTO users VALUES (1, 'a@example.com')`);
    await q('SET ROLE anon');
    const r = await tryQuery(q, 'SELECT purge()');
    assert.ok(!r.ok && r.error.code === '0A000' && /cannot truncate a table referenced in a foreign key constraint/.test(r.error.message), 'PostgreSQL refuses it, even with sessions empty');
    await q('RESET ROLE');
    assert.equal(await count(q, 'users'), 1);
  });
  // (both named: PostgreSQL truncates them together, no CASCADE needed)
  const both = lint(text.replace('TRUNCATE users CASCADE;', 'TRUNCATE users, sessions;'));
  assert.equal(both.length, 1);
  assert.match(both[0]!.message, /and empties public\.users, public\.sessions with TRUNCATE, which have row-level security/);
  const trigger = `${text}
CREATE FUNCTION no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no'; END $$;
CREATE TRIGGER users_no_truncate BEFORE TRUNCATE ON users FOR EACH STATEMENT EXECUTE FUNCTION no_truncate();
`;
  assert.deepEqual(lint(trigger), [], 'an ON TRUNCATE trigger may refuse it');
  // (roles that may empty both tables themselves gain nothing from the call)
  assert.deepEqual(lint(`${text}GRANT TRUNCATE ON users, sessions TO anon, authenticated;\n`), []);
});

test('ok: a table whose policies a helper makes with dynamic SQL (`CREATE POLICY … FOR SELECT TO authenticated USING (true)` for the table its caller names): its callers may read it whole, not reported', async () => {
  const helper = `CREATE FUNCTION add_read_policy(tbl regclass) RETURNS void LANGUAGE plpgsql AS $f$
DECLARE s text; t text;
BEGIN
  SELECT n.nspname, c.relname INTO s, t FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON c.relnamespace = n.oid WHERE c.oid = tbl;
  EXECUTE format('ALTER TABLE %I.%I ENABLE ROW LEVEL SECURITY', s, t);
  EXECUTE format('GRANT SELECT ON %I.%I TO authenticated', s, t);
  EXECUTE format('CREATE POLICY %I ON %I.%I FOR SELECT TO authenticated USING (true)', t || '_authenticated_read', s, t);
END $f$;
`;
  const table = `CREATE TABLE groups (id int PRIMARY KEY, name text NOT NULL);
ALTER TABLE groups ENABLE ROW LEVEL SECURITY;
`;
  const fn = `CREATE FUNCTION group_name(gid int) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$ SELECT name FROM public.groups WHERE id = gid $$;
REVOKE EXECUTE ON FUNCTION group_name(int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION group_name(int) TO authenticated;
`;
  const text = `${helper}${table}SELECT add_read_policy('public.groups'::regclass);\n${fn}`;
  assert.equal(lintFiles([{ file: 'migrations/1.sql', text }], ID).mine.length, 0);
  // (without the helper's call no policy admits authenticated: reported)
  assert.equal(lintFiles([{ file: 'migrations/1.sql', text: `${helper}${table}${fn}` }], ID).mine.length, 1);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await asOwner(q, text);
    await asOwner(q, "INSERT INTO groups VALUES (1, 'alpha'), (2, 'beta')");
    await q('SET ROLE authenticated');
    assert.deepEqual(await q('SELECT id, name FROM groups ORDER BY id'), [{ id: 1, name: 'alpha' }, { id: 2, name: 'beta' }], 'the policy the helper made shows authenticated every row');
    assert.deepEqual(await q('SELECT group_name(2) AS n'), [{ n: 'beta' }], 'the function shows nothing more');
    await q('RESET ROLE');
  });
});

// fix108: a TRUNCATE in a constant EXECUTE string is kept in Func.truncates as a static one is.
test("err: purge() running EXECUTE 'TRUNCATE users CASCADE' is said to empty users and sessions as the static TRUNCATE is; PGlite: anon's own TRUNCATE fails 42501, its call empties both; a table name built at run time is not reported", async () => {
  const { ex } = lintDocExample(ID, 'invalid', 2);
  const text = ex.files[0]!.text.replace('TRUNCATE users CASCADE;', "EXECUTE 'TRUNCATE users CASCADE';");
  assert.notEqual(text, ex.files[0]!.text);
  const mine = lintFiles([{ file: 'migrations/001_purge.sql', text }], ID).mine;
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /and empties public\.users with TRUNCATE, and empties public\.sessions through TRUNCATE public\.users CASCADE/);
  // (without CASCADE, PostgreSQL refuses it: 0A000, as for the static TRUNCATE; a name built at run time: not known)
  assert.deepEqual(lintFiles([{ file: 'migrations/001_purge.sql', text: text.replace("'TRUNCATE users CASCADE'", "'TRUNCATE users'") }], ID).mine, []);
  assert.deepEqual(lintFiles([{ file: 'migrations/001_purge.sql', text: text.replace("'TRUNCATE users CASCADE'", "'TRUNCATE ' || quote_ident('users') || ' CASCADE'") }], ID).mine, []);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await asAppOwner(q, text);
    await asOwner(q, `INSERT INTO users VALUES (1, 'a@example.com'), (2, 'b@example.com'); INSERT INTO sessions VALUES (1, 1), (2, 2)`);
    await q('SET ROLE anon');
    const own = await tryQuery(q, 'TRUNCATE users CASCADE');
    assert.ok(!own.ok && own.error.code === '42501', "anon's own TRUNCATE is refused");
    await q('SELECT purge()');
    await q('RESET ROLE');
    assert.equal(await count(q, 'users'), 0, 'the call emptied users');
    assert.equal(await count(q, 'sessions'), 0, 'and, by CASCADE, sessions');
  });
});

// fix115: the tables a TRUNCATE empties are the ones the model resolves with the function's own
// search_path (Func.truncations), not the session's.
const APP_AUDIT = `CREATE ROLE anon NOLOGIN;
CREATE ROLE authenticated NOLOGIN;
CREATE SCHEMA app;
CREATE TABLE public.audit (id bigint PRIMARY KEY, note text NOT NULL);
CREATE TABLE app.audit (id bigint PRIMARY KEY, note text NOT NULL);
ALTER TABLE public.audit ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.audit ENABLE ROW LEVEL SECURITY;
GRANT USAGE ON SCHEMA app TO anon, authenticated;
CREATE FUNCTION public.purge_audit() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = app AS $$
BEGIN
  TRUNCATE audit;
END $$;
REVOKE ALL ON FUNCTION public.purge_audit() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.purge_audit() TO anon, authenticated;
`;

test('err: purge_audit() with SET search_path = app runs TRUNCATE audit, where app.audit and public.audit both exist: the message names app.audit, which PostgreSQL empties (PGlite: anon\'s call empties app.audit, public.audit keeps its row)', async () => {
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q('CREATE SCHEMA app AUTHORIZATION app_owner');
    await asAppOwner(q, APP_AUDIT.replace('CREATE SCHEMA app;', ''));
    await asOwner(q, `INSERT INTO app.audit VALUES (1, 'app'); INSERT INTO public.audit VALUES (1, 'public')`);
    await q('SET ROLE anon');
    const own = await tryQuery(q, 'TRUNCATE app.audit');
    assert.ok(!own.ok && own.error.code === '42501' && /permission denied for table audit/.test(own.error.message), "anon's own TRUNCATE is refused");
    await q('SELECT public.purge_audit()');
    await q('RESET ROLE');
    assert.equal(await count(q, 'app.audit'), 0, 'the call emptied app.audit');
    assert.equal(await count(q, 'public.audit'), 1, 'and left public.audit alone');
  });
  const mine = lintFiles([{ file: 'migrations/001_purge.sql', text: APP_AUDIT }], ID).mine;
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^SECURITY DEFINER function public\.purge_audit\(\) can be called by anon and authenticated and empties app\.audit with TRUNCATE, which has row-level security, /);
  assert.match(mine[0]!.message, /any caller can empty app\.audit, every row, /);
  assert.doesNotMatch(mine[0]!.message, /public\.audit/);
  // (with app.audit alone: reported too, naming it)
  const only = APP_AUDIT.replace(/^.*public\.audit.*\n/gm, '');
  assert.doesNotMatch(only, /public\.audit/);
  const alone = lintFiles([{ file: 'migrations/001_purge.sql', text: only }], ID).mine;
  assert.equal(alone.length, 1);
  assert.match(alone[0]!.message, /and empties app\.audit with TRUNCATE, which has row-level security, /);
});

test('err: TRUNCATEd tables are listed in source order: an EXECUTE of a constant TRUNCATE before a static one, and a table also written by a DELETE (PGlite: anon\'s call empties both)', async () => {
  const tables = `CREATE ROLE anon NOLOGIN;
CREATE ROLE authenticated NOLOGIN;
CREATE TABLE public.a (id bigint PRIMARY KEY);
CREATE TABLE public.b (id bigint PRIMARY KEY);
ALTER TABLE public.a ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.b ENABLE ROW LEVEL SECURITY;
`;
  const fn = (body: string) => `${tables}CREATE FUNCTION public.purge_ab() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
${body}
END $$;
REVOKE ALL ON FUNCTION public.purge_ab() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.purge_ab() TO anon, authenticated;
`;
  const dynamicFirst = fn("  EXECUTE 'TRUNCATE public.b';\n  TRUNCATE public.a;");
  const deleteFirst = fn('  DELETE FROM public.a WHERE id < 0;\n  TRUNCATE public.b;\n  TRUNCATE public.a;');
  for (const text of [dynamicFirst, deleteFirst]) {
    const db = await getDb();
    await inRollback(db, async (q) => {
      await asAppOwner(q, text);
      await asOwner(q, 'INSERT INTO public.a VALUES (1), (2); INSERT INTO public.b VALUES (1)');
      await q('SET ROLE anon');
      for (const t of ['public.a', 'public.b']) {
        const own = await tryQuery(q, `TRUNCATE ${t}`);
        assert.ok(!own.ok && own.error.code === '42501', `anon's own TRUNCATE of ${t} is refused`);
      }
      await q('SELECT public.purge_ab()');
      await q('RESET ROLE');
      assert.equal(await count(q, 'public.a'), 0);
      assert.equal(await count(q, 'public.b'), 0);
    });
    const mine = lintFiles([{ file: 'migrations/001_purge.sql', text }], ID).mine;
    assert.equal(mine.length, 1);
    assert.match(mine[0]!.message, /and empties public\.b, public\.a with TRUNCATE, which have row-level security/);
    assert.match(mine[0]!.message, /any caller can empty public\.b, public\.a, every row, /);
  }
});

// fix126: the tables a function body names are the ones the model resolves in the function, with
// its own SET search_path (model.funcRelKey, Func.relKeys), not the session's default schema. Each
// case below has app.x and public.x both; the function sets search_path = app, pg_temp, so
// PostgreSQL runs its statements on app.x.
const APP_HEADER = `CREATE ROLE anon NOLOGIN;
CREATE ROLE authenticated NOLOGIN;
CREATE SCHEMA app;
GRANT USAGE ON SCHEMA app TO anon, authenticated;
`;

/** The migration as app_owner, schema app made for it by the superuser first. */
async function migrateApp(q: Q, sql: string): Promise<void> {
  await q('CREATE SCHEMA app AUTHORIZATION app_owner');
  await asAppOwner(q, sql.replace('CREATE SCHEMA app;', ''));
}

const APP_FN = (sig: string, returns: string, body: string, extra = '') => `${APP_HEADER}${extra}CREATE FUNCTION public.${sig} RETURNS ${returns}
LANGUAGE plpgsql SECURITY DEFINER SET search_path = app, pg_temp AS $$
BEGIN
${body}
END $$;
REVOKE ALL ON FUNCTION public.${sig.replace(/\b\w+ (bigint|text|uuid)\b/g, '$1')} FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.${sig.replace(/\b\w+ (bigint|text|uuid)\b/g, '$1')} TO anon, authenticated;
`;

const AUDITS = `CREATE TABLE public.audit (id bigint PRIMARY KEY, note text NOT NULL);
CREATE TABLE app.audit (id bigint PRIMARY KEY, note text NOT NULL);
ALTER TABLE public.audit ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.audit ENABLE ROW LEVEL SECURITY;
`;

test("err: add_audit() with SET search_path = app only INSERTs INTO audit: the message says it inserts rows into app.audit (its commands on app.audit, not on public.audit), not that it changes rows (PGlite: anon's own INSERT is refused, its call adds the row to app.audit, public.audit stays empty)", async () => {
  const sql = APP_FN('add_audit(p_id bigint, p_note text)', 'void', '  INSERT INTO audit (id, note) VALUES (p_id, p_note);', AUDITS);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await migrateApp(q, sql);
    await q('SET ROLE anon');
    const own = await tryQuery(q, "INSERT INTO app.audit VALUES (1, 'own')");
    assert.ok(!own.ok && own.error.code === '42501', "anon's own INSERT is refused");
    await q("SELECT public.add_audit(1, 'through the function')");
    await q('RESET ROLE');
    assert.deepEqual(await q('SELECT note FROM app.audit'), [{ note: 'through the function' }]);
    assert.equal(await count(q, 'public.audit'), 0);
  });
  const mine = lintFiles([{ file: 'migrations/001_audit.sql', text: sql }], ID).mine;
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^SECURITY DEFINER function public\.add_audit\(bigint, text\) can be called by anon and authenticated and inserts rows into app\.audit, which has row-level security, /);
  assert.match(mine[0]!.message, /any caller can insert rows it may not insert itself\./);
  assert.doesNotMatch(mine[0]!.message, /changes rows|public\.audit/);
});

test("err: edit_note() with SET search_path = app checks the caller only in its UPDATE notes, and DELETEs FROM audit whoever calls: reported, naming app.audit and UPDATE app.notes (was: nothing, its statements' tables taken as public's) (PGlite: user A's call leaves B's note alone and deletes app.audit's row)", async () => {
  const sql = APP_FN(
    'edit_note(p_id bigint, p_body text)',
    'void',
    '  UPDATE notes SET body = p_body WHERE id = p_id AND owner = auth.uid();\n  DELETE FROM audit WHERE id = p_id;',
    `${AUDITS}CREATE TABLE app.notes (id bigint PRIMARY KEY, owner uuid NOT NULL, body text);
ALTER TABLE app.notes ENABLE ROW LEVEL SECURITY;
`,
  );
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await migrateApp(q, sql);
    await asOwner(q, `INSERT INTO app.notes VALUES (1, '${TENANT_B}', 'theirs'); INSERT INTO app.audit VALUES (1, 'app'); INSERT INTO public.audit VALUES (1, 'public')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    const own = await tryQuery(q, 'DELETE FROM app.audit WHERE id = 1');
    assert.ok(!own.ok && own.error.code === '42501', "A's own DELETE is refused");
    await q("SELECT public.edit_note(1, 'mine now')");
    await q('RESET ROLE');
    assert.deepEqual(await q('SELECT body FROM app.notes'), [{ body: 'theirs' }], "the UPDATE found no row of A's");
    assert.equal(await count(q, 'app.audit'), 0, 'the DELETE removed app.audit\'s row');
    assert.equal(await count(q, 'public.audit'), 1, 'and left public.audit alone');
  });
  const mine = lintFiles([{ file: 'migrations/001_notes.sql', text: sql }], ID).mine;
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^SECURITY DEFINER function public\.edit_note\(bigint, text\) can be called by anon and authenticated and changes rows of app\.audit, which has row-level security, checking who is calling only in the WHERE of its UPDATE app\.notes, which limits that statement alone, /);
  assert.doesNotMatch(mine[0]!.message, /public\.(audit|notes)/);
});

test("ok: sign_audit() with SET search_path = app INSERTs INTO audit a row recording the caller (auth.uid()): a row of the caller's own, not reported (was: reported as changing rows of app.audit, the recorded INSERT taken as public.audit's) (PGlite: user A's call adds app.audit's row noting A)", async () => {
  const sql = APP_FN('sign_audit(p_id bigint)', 'void', '  INSERT INTO audit (id, note) VALUES (p_id, auth.uid()::text);', AUDITS);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await q(AUTH_STUB_SQL);
    await migrateApp(q, sql);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    await q('SELECT public.sign_audit(7)');
    await q('RESET ROLE');
    assert.deepEqual(await q('SELECT id::int AS id, note FROM app.audit'), [{ id: 7, note: TENANT_A }]);
    assert.equal(await count(q, 'public.audit'), 0);
  });
  assert.deepEqual(lintFiles([{ file: 'migrations/001_audit.sql', text: sql }], ID).mine, []);
});

test("err: set_note(uuid) with SET search_path = app UPDATEs items WHERE id = p_id: app.items' id is a uuid, so no 42883 note (was: public.items' bigint id, `bigint = uuid`) (PGlite: anon's call updates app.items' row; only public.items would fail 42883)", async () => {
  const sql = APP_FN(
    'set_note(p_id uuid, p_note text)',
    'void',
    '  UPDATE items SET note = p_note WHERE id = p_id;',
    `CREATE TABLE public.items (id bigint PRIMARY KEY, note text);
CREATE TABLE app.items (id uuid PRIMARY KEY, note text);
ALTER TABLE public.items ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.items ENABLE ROW LEVEL SECURITY;
`,
  );
  const db = await getDb();
  await inRollback(db, async (q) => {
    await migrateApp(q, sql);
    await asOwner(q, `INSERT INTO app.items VALUES ('${TENANT_A}', 'old')`);
    const other = await tryQuery(q, `UPDATE public.items SET note = 'x' WHERE id = '${TENANT_A}'::uuid`);
    assert.ok(!other.ok && other.error.code === '42883', 'public.items would fail: bigint = uuid');
    await q('SET ROLE anon');
    await q(`SELECT public.set_note('${TENANT_A}', 'new')`);
    await q('RESET ROLE');
    assert.deepEqual(await q('SELECT note FROM app.items'), [{ note: 'new' }]);
  });
  const mine = lintFiles([{ file: 'migrations/001_items.sql', text: sql }], ID).mine;
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /and changes rows of app\.items, which has row-level security, /);
  assert.doesNotMatch(mine[0]!.message, /42883|public\.items/);
});

test("err: drop_legacy() with SET search_path = app runs ALTER TABLE settings DROP COLUMN: the message says it runs ALTER TABLE on app.settings (it reads no row of it), not that it reads rows of it (PGlite: anon's call drops app.settings' column, public.settings keeps it)", async () => {
  const sql = APP_FN(
    'drop_legacy()',
    'text',
    "  ALTER TABLE settings DROP COLUMN legacy;\n  RETURN 'dropped';",
    `CREATE TABLE public.settings (user_id bigint PRIMARY KEY, theme text, legacy boolean);
CREATE TABLE app.settings (user_id bigint PRIMARY KEY, theme text, legacy boolean);
ALTER TABLE public.settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.settings ENABLE ROW LEVEL SECURITY;
`,
  );
  const db = await getDb();
  await inRollback(db, async (q) => {
    await migrateApp(q, sql);
    await q('SET ROLE anon');
    assert.deepEqual(await q('SELECT public.drop_legacy() AS r'), [{ r: 'dropped' }]);
    await q('RESET ROLE');
    const cols = (schema: string) => q(`SELECT column_name FROM information_schema.columns WHERE table_schema = '${schema}' AND table_name = 'settings' ORDER BY ordinal_position`);
    assert.deepEqual(await cols('app'), [{ column_name: 'user_id' }, { column_name: 'theme' }]);
    assert.deepEqual(await cols('public'), [{ column_name: 'user_id' }, { column_name: 'theme' }, { column_name: 'legacy' }]);
  });
  const mine = lintFiles([{ file: 'migrations/001_settings.sql', text: sql }], ID).mine;
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /and runs ALTER TABLE on app\.settings \(it reads no row of it\), which has row-level security, /);
  assert.doesNotMatch(mine[0]!.message, /reads rows of|public\.settings/);
});

test("ok: item_name() with SET search_path = app reads items WHERE is_active = true, as app.items' SELECT policy for anon and authenticated asks: nothing its callers may not read themselves, not reported (was: reported, its read taken as public.items') (PGlite: anon gets the active item's name through the function and by its own SELECT, and nothing of the inactive one either way)", async () => {
  const sql = `${APP_HEADER}CREATE TABLE public.items (id bigint PRIMARY KEY, name text, is_active boolean NOT NULL);
CREATE TABLE app.items (id bigint PRIMARY KEY, name text, is_active boolean NOT NULL);
ALTER TABLE public.items ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.items ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON app.items TO anon, authenticated;
CREATE POLICY active_items ON app.items FOR SELECT TO anon, authenticated USING (is_active = true);
CREATE FUNCTION public.item_name(p_id bigint) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = app, pg_temp AS $$
  SELECT name FROM items WHERE id = p_id AND is_active = true
$$;
REVOKE ALL ON FUNCTION public.item_name(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.item_name(bigint) TO anon, authenticated;
`;
  const db = await getDb();
  await inRollback(db, async (q) => {
    await migrateApp(q, sql);
    await asOwner(q, "INSERT INTO app.items VALUES (1, 'on sale', true), (2, 'withdrawn', false)");
    await q('SET ROLE anon');
    assert.deepEqual(await q('SELECT public.item_name(1) AS n, public.item_name(2) AS hidden'), [{ n: 'on sale', hidden: null }]);
    assert.deepEqual(await q('SELECT id::int AS id, name FROM app.items ORDER BY id'), [{ id: 1, name: 'on sale' }], 'its own SELECT sees the same');
    await q('RESET ROLE');
  });
  assert.deepEqual(lintFiles([{ file: 'migrations/001_items.sql', text: sql }], ID).mine, []);
});

// Inside a SECURITY DEFINER function current_user (current_role, user) is the function's owner,
// not the caller, and so is it inside a SECURITY INVOKER helper the definer calls; session_user is
// the session's login role (PGlite: anon calling a definer owned by app_owner gets
// 'app_owner/app_owner/app_owner/postgres' for current_user/current_role/user/session_user).
// A definer comparing a column with current_user compares it with its owner, for every caller.
const OWNER_NOTES = `CREATE ROLE app_user;
CREATE TABLE notes (id bigint PRIMARY KEY, owner text NOT NULL, body text);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
GRANT SELECT, UPDATE ON notes TO app_user;
CREATE POLICY notes_own ON notes FOR ALL TO app_user USING (owner = current_user);
CREATE TABLE note_log (id bigserial PRIMARY KEY, note_id bigint, actor text);
ALTER TABLE note_log ENABLE ROW LEVEL SECURITY;
`;

/** The notes migration run by app_owner (not a superuser, no BYPASSRLS); alice (an app_user) owns note 1, app_owner's own name is on note 2. */
async function ownerNotes(q: Q, sql: string): Promise<void> {
  await q('CREATE ROLE app_user; CREATE ROLE alice IN ROLE app_user');
  await asOwner(q, sql.replace('CREATE ROLE app_user;\n', ''));
  await asOwner(q, "INSERT INTO notes VALUES (1, 'alice', 'mine'), (2, 'app_owner', 'secret')");
}

test("err: `owner = current_user` in a definer's WHERE (and in an invoker helper it calls) compares with the function's owner, not the caller: alice's call leaves her own note alone and rewrites app_owner's, which the policy hides from her; the message says so and never suggests current_user", async () => {
  const direct = `${OWNER_NOTES}CREATE FUNCTION set_body(nid bigint, b text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  UPDATE notes SET body = b WHERE id = nid AND owner = current_user;
END $$;
`;
  const helper = `${OWNER_NOTES}CREATE FUNCTION is_mine(o text) RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT o = current_user $$;
CREATE FUNCTION set_body(nid bigint, b text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  UPDATE notes SET body = b WHERE id = nid AND is_mine(owner);
END $$;
`;
  for (const sql of [direct, helper]) {
    const { mine } = lintFiles([{ file: 'db/1.sql', text: sql }], ID);
    assert.equal(mine.length, 1, 'was: not reported, the WHERE taken as a check of the caller');
    const m = mine[0]!.message;
    assert.match(m, /^SECURITY DEFINER function public\.set_body\(bigint, text\) can be called by PUBLIC \(every role\) and changes rows of public\.notes, which has row-level security, but never looks at who is calling /);
    if (sql === direct) assert.match(m, /\(no `session_user`, `current_setting\(\)` or function that uses them; `current_user` is its owner here, not the caller: what it is compared with or records is the same for every caller\)/);
    assert.doesNotMatch(m, /AND owner = current_user/);
    assert.match(m, /`AND owner = session_user` where each user logs in as a role of their own, not `current_user`, which is the function's owner inside it/);
    assert.equal(nestedParentheses(m), undefined);
    await inRollback(await getDb(), async (q) => {
      await ownerNotes(q, sql);
      await q('SET ROLE alice');
      assert.deepEqual(await q('SELECT id::int AS id FROM notes'), [{ id: 1 }], 'the policy shows alice only her own note');
      await q("SELECT set_body(1, 'edited by alice')");
      await q("SELECT set_body(2, 'edited by alice')");
      await q('RESET ROLE');
      assert.deepEqual(
        await q('SELECT id::int AS id, body FROM notes ORDER BY id'),
        [
          { id: 1, body: 'mine' },
          { id: 2, body: 'edited by alice' },
        ],
        "current_user in the function is app_owner: alice's own note is untouched, app_owner's is hers to rewrite",
      );
    });
  }
});

test("err: a definer that records current_user (an audit row) records its owner, not the caller: alice approves app_owner's note and the log says app_owner did; reported as never looking at the caller (was: 'uses current_user only to record the caller')", async () => {
  const sql = `${OWNER_NOTES}CREATE FUNCTION approve(nid bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  UPDATE notes SET body = 'approved' WHERE id = nid;
  INSERT INTO note_log (note_id, actor) VALUES (nid, current_user);
END $$;
ALTER FUNCTION approve(bigint) OWNER TO app_owner;
`;
  const { mine } = lintFiles([{ file: 'db/1.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /never looks at who is calling \(no `session_user`, `current_setting\(\)` or function that uses them; `current_user` is its owner, app_owner, here, not the caller: what it is compared with or records is the same for every caller\)/);
  assert.doesNotMatch(mine[0]!.message, /only to record the caller/);
  await inRollback(await getDb(), async (q) => {
    await ownerNotes(q, sql.replace(/ALTER FUNCTION [^;]*;\n/, ''));
    await q('SET ROLE alice');
    await q('SELECT approve(2)');
    await q('RESET ROLE');
    assert.deepEqual(await q('SELECT actor FROM note_log'), [{ actor: 'app_owner' }], 'the row stores the owner, not alice');
    assert.deepEqual(await q('SELECT body FROM notes WHERE id = 2'), [{ body: 'approved' }]);
  });
});

test("err (Supabase): `IF session_user = 'anon'` or `IF current_user = 'anon'` THEN RAISE in a definer checks nobody: session_user is the login role (PostgREST's authenticator; PGlite's postgres) and current_user the owner, so anon, SET ROLE as PostgREST does, changes user B's role", async () => {
  for (const who of ['session_user', 'current_user']) {
    const sql = `CREATE TABLE public.profiles (id uuid PRIMARY KEY, role text NOT NULL DEFAULT 'user');
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON public.profiles FOR SELECT TO authenticated USING (id = (select auth.uid()));
CREATE FUNCTION public.set_role(p_id uuid, p_role text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF ${who} = 'anon' THEN RAISE EXCEPTION 'sign in first'; END IF;
  UPDATE public.profiles SET role = p_role WHERE id = p_id;
END $$;
`;
    const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_p.sql', text: sql }], ID);
    assert.equal(mine.length, 1, `${who}: was not reported, the IF taken as a check of the caller`);
    const m = mine[0]!.message;
    assert.match(m, /never looks at who is calling \(no `auth\.uid\(\)` or `auth\.jwt\(\)`, `current_setting\(\)` or function that uses them; /);
    assert.match(m, who === 'session_user' ? /`session_user` is the role PostgREST logs in as for every request, not the end user\)/ : /`current_user` is its owner here, not the caller/);
    assert.match(m, /e\.g\. `AND user_id = \(select auth\.uid\(\)\)`/);
    await inRollback(await getDb(), async (q) => {
      await migrate(q, ws);
      await q('SET ROLE anon');
      assert.deepEqual(await q('SELECT session_user AS s, current_user AS c'), [{ s: 'postgres', c: 'anon' }], 'SET ROLE leaves session_user the login role');
      await q(`SELECT public.set_role('${TENANT_B}', 'admin')`);
      await q('RESET ROLE');
      assert.deepEqual(await q(`SELECT role FROM public.profiles WHERE id = '${TENANT_B}'`), [{ role: 'admin' }], `${who}: the IF did not stop anon`);
    });
  }
});

test("ok: outside Supabase, session_user in a definer's WHERE is the caller's login role where each user logs in as a role of their own: not reported; PGlite: alice, logged in as alice (SET SESSION AUTHORIZATION), gets her own note, not app_owner's", async () => {
  const sql = `${OWNER_NOTES}CREATE FUNCTION get_body(nid bigint) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$ SELECT body FROM notes WHERE id = nid AND owner = session_user $$;
`;
  assert.deepEqual(lintFiles([{ file: 'db/1.sql', text: sql }], ID).mine, []);
  await inRollback(await getDb(), async (q) => {
    await ownerNotes(q, sql);
    await q('SET SESSION AUTHORIZATION alice');
    assert.deepEqual(await q('SELECT get_body(1) AS mine, get_body(2) AS other'), [{ mine: 'mine', other: null }]);
    await q('SET SESSION AUTHORIZATION postgres'); // (PGlite stays alice on RESET)
  });
});

test("err (message): a Hasura RPC that takes the caller from its session argument (hasura_session ->> 'x-hasura-user-id', aelmamclinic's set_current_account) says so, not that it never looks at the caller: Hasura fills it from the JWT, a SQL caller passes any; PGlite: anon, calling it in SQL with user B's id, changes B's row", async () => {
  const sql = `CREATE TABLE public.profiles (id uuid PRIMARY KEY, nickname text);
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY profiles_own ON public.profiles
  USING (id = (nullif(current_setting('hasura.user', true), '')::json ->> 'x-hasura-user-id')::uuid);
CREATE FUNCTION public.set_nickname(hasura_session json, p_name text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  UPDATE public.profiles SET nickname = p_name
  WHERE id = nullif(hasura_session ->> 'x-hasura-user-id', '')::uuid;
END $$;
`;
  const { mine } = lintFiles([{ file: 'nhost/migrations/default/20260105025000_current_account/up.sql', text: `-- « naïve » 日本語 😀\n${sql}` }], ID);
  assert.equal(mine.length, 1);
  const m = mine[0]!.message;
  assert.match(m, /changes rows of public\.profiles, which has row-level security, but looks at who is calling only through its argument hasura_session \('x-hasura-user-id'\), Hasura's session argument: Hasura fills it from the request's verified JWT when a GraphQL query calls the function, but a role that calls it in SQL passes any session it likes, e.g\. another user's id: it runs as its owner/);
  assert.doesNotMatch(m, /never looks at who is calling/);
  assert.equal(nestedParentheses(m), undefined);
  // (a json parameter the body does not read x-hasura- keys of: the message as before)
  const plain = sql.replace("hasura_session ->> 'x-hasura-user-id'", "hasura_session ->> 'user'");
  assert.match(lintFiles([{ file: 'm.sql', text: plain }], ID).mine[0]!.message, /never looks at who is calling/);
  // (an instance of its own: the test before leaves the shared one's session authorization changed)
  const nickname = await withFreshDb(async (db) => inRollback(db, async (q) => {
    await asOwner(q, `${sql}INSERT INTO public.profiles VALUES ('${TENANT_A}', 'a'), ('${TENANT_B}', 'b');`);
    await q('SET ROLE anon');
    await q(`SELECT public.set_nickname('{"x-hasura-user-id": "${TENANT_B}"}', 'taken')`);
    await q('RESET ROLE');
    return (await asOwner(q, `SELECT nickname FROM public.profiles WHERE id = '${TENANT_B}'`))[0]!.nickname as string;
  }));
  assert.equal(nickname, 'taken', "anon's forged session chose user B's row");
});

test("ok: a definer that records the caller in the rows it INSERTs and then changes only those rows, by the ids their RETURNING … INTO filled (Zeta611/easyword's suggest_jargon, suggest_translation), is not said to let its arguments choose the rows; PGlite: user A's call updates A's new comment and links A's new jargon, B's comment is untouched", async () => {
  const text = `CREATE TABLE public.jargon (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text NOT NULL, author_id uuid NOT NULL);
CREATE TABLE public.comment (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), content text NOT NULL, author_id uuid NOT NULL, note text);
CREATE TABLE public.jargon_category (jargon_id uuid NOT NULL REFERENCES public.jargon (id), category_id integer NOT NULL);
ALTER TABLE public.jargon ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.comment ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.jargon_category ENABLE ROW LEVEL SECURITY;
CREATE POLICY "read jargon" ON public.jargon FOR SELECT USING (true);
CREATE POLICY "read comments" ON public.comment FOR SELECT USING (true);
CREATE POLICY "read links" ON public.jargon_category FOR SELECT USING (true);
CREATE FUNCTION public.suggest(p_name text, p_comment text, p_category_ids integer[]) RETURNS uuid
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = 'public', 'pg_temp' AS $$
DECLARE
  v_author_id uuid := auth.uid();
  v_jargon_id uuid;
  v_comment_id uuid;
BEGIN
  IF v_author_id IS NULL THEN RAISE EXCEPTION 'Not authenticated'; END IF;
  INSERT INTO public.jargon (name, author_id) VALUES (p_name, v_author_id) RETURNING id INTO v_jargon_id;
  INSERT INTO public.comment (content, author_id) VALUES (p_comment, v_author_id) RETURNING id INTO v_comment_id;
  UPDATE public.comment SET note = 'first' WHERE id = v_comment_id;
  INSERT INTO public.jargon_category (jargon_id, category_id)
    SELECT v_jargon_id, c FROM (SELECT DISTINCT c FROM unnest(p_category_ids) AS t(c) WHERE c IS NOT NULL) u;
  RETURN v_comment_id;
END $$;
`;
  const file = 'supabase/migrations/20250815094202_remote_schema.sql';
  assert.equal(lintFiles([{ file, text }], ID).mine.length, 0);
  // the UPDATE keyed by an argument instead: the arguments choose that row, and it is reported
  const byArg = text.replace('p_category_ids integer[])', 'p_category_ids integer[], p_comment_id uuid)').replace('WHERE id = v_comment_id', 'WHERE id = p_comment_id');
  assert.match(lintFiles([{ file, text: byArg }], ID).mine[0]!.message, /changes rows of public\.comment/);
  // an OR beside the new row's id reaches other rows: reported too
  const orArg = text.replace('WHERE id = v_comment_id', 'WHERE id = v_comment_id OR content = p_name');
  assert.match(lintFiles([{ file, text: orArg }], ID).mine[0]!.message, /changes rows of public\.comment/);
  // a variable holding no key of the new row (content the caller chose) picks every row with that value, others' too: reported
  for (const col of ['content']) {
    const byValue = text.replace('RETURNING id INTO v_comment_id', `RETURNING ${col} INTO v_comment_id`).replace('v_comment_id uuid;', `v_comment_id ${col === 'content' ? 'text' : 'uuid'};`).replace('WHERE id = v_comment_id', `WHERE ${col} = v_comment_id`);
    assert.match(lintFiles([{ file, text: byValue }], ID).mine[0]?.message ?? '', /changes rows of public\.comment/, col);
  }
  // the new row's id compared with another column: reported
  const otherColumn = text.replace('WHERE id = v_comment_id', 'WHERE author_id = v_comment_id');
  assert.match(lintFiles([{ file, text: otherColumn }], ID).mine[0]?.message ?? '', /changes rows of public\.comment/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(text);
    await q(`INSERT INTO public.comment (content, author_id) VALUES ('b', '${TENANT_B}')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    await q(`SELECT public.suggest('x', 'a', ARRAY[1, 2])`);
    await q('RESET ROLE');
    assert.deepEqual(await q('SELECT content, author_id, note FROM public.comment ORDER BY content'), [
      { content: 'a', author_id: TENANT_A, note: 'first' },
      { content: 'b', author_id: TENANT_B, note: null },
    ]);
    assert.deepEqual(await q('SELECT j.author_id, count(*)::int AS n FROM public.jargon_category c JOIN public.jargon j ON j.id = c.jargon_id GROUP BY 1'), [{ author_id: TENANT_A, n: 2 }]);
  });
});

// Calibration (marcosviniiciusfs-png/CRM---Definitivo: admin_create_announcement and the other admin
// RPCs start with `IF NOT public.validate_admin_token(p_token) THEN RAISE`, a helper whose one
// statement is RETURN EXISTS (SELECT 1 FROM admin_sessions WHERE token = p_token …)): that is a
// lookup of the token that stops the function when no row matches, as a SELECT … INTO then IF … IS
// NULL is, and the message names it instead of saying that any caller can insert. PGlite: anon with a
// wrong token gets the RAISE and inserts nothing; with a session's token the row is inserted.
test("err (wording): IF NOT helper(p_token) THEN RAISE, the helper an EXISTS keyed by its parameter, is named as the token's check (CRM---Definitivo's validate_admin_token); PGlite: a wrong token raises, a right one inserts", async () => {
  const head = `CREATE TABLE public.admin_sessions (token text PRIMARY KEY, expires_at timestamptz NOT NULL);
ALTER TABLE public.admin_sessions ENABLE ROW LEVEL SECURITY;
CREATE TABLE public.announcements (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), title text NOT NULL);
ALTER TABLE public.announcements ENABLE ROW LEVEL SECURITY;
CREATE POLICY announcements_read ON public.announcements FOR SELECT TO authenticated USING (true);
CREATE FUNCTION public.validate_admin_token(p_token text) RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  RETURN EXISTS (SELECT 1 FROM public.admin_sessions WHERE token = p_token AND expires_at > now());
END $$;
`;
  const create = `CREATE FUNCTION public.admin_create_announcement(p_token text, p_title text) RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE v_id uuid;
BEGIN
  IF NOT public.validate_admin_token(p_token) THEN
    RAISE EXCEPTION 'Unauthorized';
  END IF;
  INSERT INTO public.announcements (title) VALUES (p_title) RETURNING id INTO v_id;
  RETURN v_id;
END $$;
`;
  const file = 'supabase/migrations/20240101000000_admin.sql';
  const text = head + create;
  const { ws, mine } = lintFiles([{ file, text }], ID);
  const m = mine.find((f) => textAt(ws, f) === 'public.admin_create_announcement')?.message ?? '';
  assert.match(m, /any caller passing a p_token that its lookup in public\.admin_sessions finds can insert rows it may not insert itself\./);
  const line = text.slice(0, text.indexOf('IF NOT public.validate_admin_token')).split('\n').length;
  assert.ok(m.includes(`It looks p_token up in public.admin_sessions through public.validate_admin_token(p_token) and stops when no row matches (IF NOT public.validate_admin_token(p_token) THEN RAISE, 20240101000000_admin.sql:${line})`), m);
  assert.doesNotMatch(m, /If an argument is a secret only the right caller holds/);
  // not that check: a helper keyed by no argument, the call not negated, a row written before it
  for (const [what, body] of [
    ['a helper keyed by no argument', text.replace('WHERE token = p_token AND expires_at', 'WHERE expires_at')],
    ['the call not negated', text.replace('IF NOT public.validate_admin_token(p_token)', 'IF public.validate_admin_token(p_token)')],
    ['a row written before it', text.replace("BEGIN\n  IF NOT", "BEGIN\n  INSERT INTO public.announcements (title) VALUES (p_title);\n  IF NOT")],
  ] as const) {
    assert.notEqual(body, text, what);
    const other = lintFiles([{ file, text: body }], ID).mine.map((f) => f.message).find((x) => x.includes('admin_create_announcement'));
    assert.match(other ?? '', /If an argument is a secret only the right caller holds/, what);
  }
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, text);
    await q(`INSERT INTO public.admin_sessions VALUES ('s3cret', now() + interval '1 hour')`);
    await q(`SELECT set_config('request.jwt.claim.sub', '', true), set_config('request.jwt.claims', '{"role": "anon"}', true); SET ROLE anon`);
    await q('SAVEPOINT wrong');
    await assert.rejects(q(`SELECT public.admin_create_announcement('guess', 'x')`), /Unauthorized/);
    await q('ROLLBACK TO SAVEPOINT wrong');
    await q(`SELECT public.admin_create_announcement('s3cret', 'y')`);
    await q('RESET ROLE');
    assert.deepEqual(await q('SELECT title FROM public.announcements'), [{ title: 'y' }]);
  });
});

// cal185 (vivekagr/txm's app.authenticate, PostGraphile's login): a definer that gives back what it
// reads only where the password it is passed matches the stored hash (`IF hash = crypt(password,
// hash) THEN RETURN …`) was said to let any caller "learn about rows it may not read itself". Without
// the password it gives nothing: the message now says it is a login check, what a caller can learn
// (an account whose password it knows or guesses), and that a login function is suppressed here.
test("err (message): a login check (what it reads given back only where `hash = crypt(password, hash)`) is said to be one: no account's data without its password; a RAISE for an unknown name, or a value returned outside the check, keeps the old message; PGlite: anon gets NULL for an unknown name and for a wrong password alike, the token for the right one", async () => {
  const sql = `CREATE TABLE app_user (id int PRIMARY KEY, username text UNIQUE NOT NULL);
CREATE TABLE app_secret (user_id int PRIMARY KEY REFERENCES app_user, password_hash text NOT NULL);
ALTER TABLE app_user ENABLE ROW LEVEL SECURITY;
ALTER TABLE app_secret ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION authenticate(username text, password text) RETURNS text
LANGUAGE plpgsql STRICT SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE _id int; _hash text;
BEGIN
  SELECT id INTO _id FROM app_user WHERE app_user.username = $1;
  SELECT s.password_hash INTO _hash FROM app_secret s WHERE s.user_id = _id;
  IF _hash = crypt(password, _hash) THEN
    RETURN 'token:' || _id;
  ELSE
    RETURN NULL;
  END IF;
END $$;
GRANT EXECUTE ON FUNCTION authenticate(text, text) TO anon;
`;
  const { ws, mine } = lintFiles([{ file: 'db/init/06-user.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  const m = mine[0]!.message;
  assert.match(m, /can learn what it returns of any account whose password it knows or guesses \(password guessing, with no limit on attempts but the API's\)\./);
  assert.match(m, /It gives back what it reads only where `_hash = crypt\(password, _hash\)` holds, the password it is passed checked against the stored hash with crypt\(\): a login check\. A caller without the password gets the same answer for a name that has an account and one that has none/);
  assert.doesNotMatch(m, /learn about rows it may not read itself/);
  // the same written with the NULL after the IF
  const after = sql.replace("  ELSE\n    RETURN NULL;\n  END IF;", "  END IF;\n  RETURN NULL;");
  assert.notEqual(after, sql);
  assert.match(lintFiles([{ file: 'db/init/06-user.sql', text: after }], ID).mine[0]!.message, /a login check/);
  // told apart: a RAISE for an unknown name, another answer for it, no answer at all without the
  // password (2F005 for a known name), a value returned before the check
  const other = sql.replace('  SELECT s.password_hash', "  IF _id IS NULL THEN RETURN 'no such user'; END IF;\n  SELECT s.password_hash");
  const none = sql.replace("  ELSE\n    RETURN NULL;\n", '');
  assert.notEqual(other, sql);
  assert.notEqual(none, sql);
  const raising = sql.replace('  SELECT s.password_hash', "  IF _id IS NULL THEN RAISE EXCEPTION 'no such user'; END IF;\n  SELECT s.password_hash");
  const leaking = sql.replace('    RETURN NULL;', "    RETURN 'wrong password for ' || _id;");
  for (const text of [raising, leaking, other, none]) {
    const [f] = lintFiles([{ file: 'db/init/06-user.sql', text }], ID).mine;
    assert.match(f!.message, /learn about rows it may not read itself/);
    assert.doesNotMatch(f!.message, /a login check/);
  }
  await inRollback(await getDb(), async (q) => {
    // (pgcrypto's crypt(): a stand-in of the same signature giving the stored hash back for the right password only)
    await q(`CREATE FUNCTION crypt(text, text) RETURNS text LANGUAGE sql STRICT AS $f$ SELECT 'h$' || md5($1) $f$`);
    await q(sqlOf(ws));
    await q(`INSERT INTO app_user VALUES (1, 'alice'); INSERT INTO app_secret VALUES (1, 'h$' || md5('right'))`);
    await q('SET ROLE anon');
    const login = async (u: string, p: string) => (await q(`SELECT authenticate('${u}', '${p}') AS t`))[0]!.t;
    assert.equal(await login('nobody', 'guess'), null);
    assert.equal(await login('alice', 'guess'), null, 'the same answer as for no account');
    assert.equal(await login('alice', 'right'), 'token:1');
    await expectPgError(q('SELECT * FROM app_user'), '42501');
  });
});

// justicebot's make_user_admin(_email): the row it inserts is the one has_role(auth.uid(), 'admin') reads
const MAKE_ADMIN = `CREATE TYPE public.app_role AS ENUM ('admin', 'user');
CREATE TABLE public.user_roles (user_id uuid NOT NULL, role public.app_role NOT NULL, UNIQUE (user_id, role));
ALTER TABLE public.user_roles ENABLE ROW LEVEL SECURITY;
CREATE POLICY "own roles" ON public.user_roles FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE TABLE public.docs (id int PRIMARY KEY, body text);
ALTER TABLE public.docs ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.has_role(_user_id uuid, _role public.app_role) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM public.user_roles WHERE user_id = _user_id AND role = _role)
$$;
CREATE POLICY "admins read" ON public.docs FOR SELECT TO authenticated USING (public.has_role((select auth.uid()), 'admin'));
CREATE FUNCTION public.make_user_admin(_email text) RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  _user_id uuid;
BEGIN
  SELECT id INTO _user_id FROM auth.users WHERE email = _email;
  IF _user_id IS NULL THEN
    RAISE EXCEPTION 'User with email % not found', _email;
  END IF;
  INSERT INTO public.user_roles (user_id, role) VALUES (_user_id, 'admin') ON CONFLICT (user_id, role) DO NOTHING;
END;
$$;
`;

test("err: justicebot's make_user_admin(_email) writes the admin row the policies trust, for the account the caller names: A names its own and reads the admin-only rows", async () => {
  const file = 'supabase/migrations/20240101000000_admin.sql';
  const { ws, mine } = lintFiles([{ file, text: MAKE_ADMIN }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^SECURITY DEFINER function public\.make_user_admin\(text\) can be called by PUBLIC/);
  assert.match(
    mine[0]!.message,
    /The row it writes in public\.user_roles sets role = 'admin', which a policy trusts: "admins read" on public\.docs \(public\.has_role\(\(select auth\.uid\(\)\), 'admin'\)\) admits a user whose public\.user_roles row has role = 'admin'; its user_id is not the caller but whatever user its arguments name, so a caller who names their own account is then admitted by it \(a privilege escalation\)/,
  );
  await inRollback(await getDb(), async (q) => {
    await q('CREATE SCHEMA IF NOT EXISTS auth; CREATE TABLE auth.users (id uuid PRIMARY KEY, email text)');
    await q(`INSERT INTO auth.users VALUES ('${TENANT_A}', 'a@example.com'), ('${TENANT_B}', 'b@example.com')`);
    await onSupabase(q, sqlOf(ws));
    await q(`INSERT INTO public.docs VALUES (1, 'x'), (2, 'y')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.docs'), 0, 'before: A is no admin');
    await q(`SELECT public.make_user_admin('a@example.com')`);
    assert.equal(await count(q, 'public.docs'), 2, 'after naming its own address: A reads every admin-only row');
    // (anon too names any account)
    await q('SET ROLE anon');
    await q(`SELECT public.make_user_admin('b@example.com')`);
    await q('RESET ROLE');
    assert.deepEqual(await q('SELECT count(*)::int AS n FROM public.user_roles'), [{ n: 2 }]);
  });
  // a role value no policy compares with is no privilege: the finding stays, without the note
  const member = lintFiles([{ file, text: MAKE_ADMIN.replace("VALUES (_user_id, 'admin')", "VALUES (_user_id, 'user')") }], ID).mine;
  assert.equal(member.length, 1);
  assert.doesNotMatch(member[0]!.message, /privilege escalation/);
  // the user an invitation's token leads to (a lookup that raises when no row matches) is not one the caller names
  const invite = `${MAKE_ADMIN}CREATE TABLE public.invites (token text PRIMARY KEY, user_id uuid NOT NULL);
ALTER TABLE public.invites ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.accept_admin_invite(p_token text) RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_user uuid;
BEGIN
  SELECT user_id INTO v_user FROM public.invites WHERE token = p_token;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no such invite';
  END IF;
  INSERT INTO public.user_roles (user_id, role) VALUES (v_user, 'admin');
END;
$$;
`;
  const accept = lintFiles([{ file, text: invite }], ID).mine.find((f) => /accept_admin_invite/.test(f.message));
  assert.match(accept!.message, /that is its check/);
  assert.doesNotMatch(accept!.message, /privilege escalation/);
  // the caller checked first (has_role of the caller): no finding
  const checked = MAKE_ADMIN.replace('BEGIN\n  SELECT id', "BEGIN\n  IF NOT public.has_role(auth.uid(), 'admin') THEN RAISE EXCEPTION 'Unauthorized'; END IF;\n  SELECT id");
  assert.notEqual(checked, MAKE_ADMIN);
  assert.equal(lintFiles([{ file, text: checked }], ID).mine.length, 0);
});

// koichirokudo/wakepon's use_invite_code(p_user_id, p_invite_code) (20250807030757_invite_codes_table.sql):
// the code is looked up and checked (IF NOT FOUND THEN RAISE), then `INSERT INTO household_members
// (user_id, household_id) VALUES (p_user_id, v_invite_record.household_id)`. The message suggested
// suppressing the finding if the code is a secret, without saying that the member added is
// p_user_id, which the caller picks: the lookup does not stand behind it.
test('err (message): a secret lookup followed by a write whose owner column comes from another argument names it (PGlite: user A with a valid code adds user B to the household)', async () => {
  const text = `CREATE TABLE public.household_members (user_id uuid NOT NULL, household_id uuid NOT NULL, PRIMARY KEY (user_id, household_id));
ALTER TABLE public.household_members ENABLE ROW LEVEL SECURITY;
CREATE POLICY "own memberships" ON public.household_members FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE TABLE public.invite_codes (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), household_id uuid NOT NULL, code text NOT NULL UNIQUE, is_used boolean NOT NULL DEFAULT false);
ALTER TABLE public.invite_codes ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.use_invite_code(p_user_id uuid, p_invite_code text) RETURNS void AS $$
DECLARE
  v_invite_record public.invite_codes%ROWTYPE;
BEGIN
  SELECT * INTO v_invite_record FROM public.invite_codes WHERE code = p_invite_code AND is_used = FALSE FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'Invalid or already used invite code';
  END IF;
  INSERT INTO public.household_members (user_id, household_id) VALUES (p_user_id, v_invite_record.household_id) ON CONFLICT DO NOTHING;
  UPDATE public.invite_codes SET is_used = TRUE WHERE id = v_invite_record.id;
END;
$$ LANGUAGE plpgsql SECURITY DEFINER SET search_path = '';
`;
  const file = 'supabase/migrations/20250807030757_invite_codes_table.sql';
  const { mine } = lintFiles([{ file, text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /that is its check\. But the row it inserts into public\.household_members takes user_id from p_user_id, an argument the lookup does not check: whoever holds a valid p_invite_code chooses that value, e\.g\. another user's id, not only their own\. Take it from the caller \(auth\.uid\(\)\) instead, or check it against the row the lookup found\./);
  assert.doesNotMatch(mine[0]!.message, /Then suppress the finding here/);
  // (taken from the caller: the usual hint)
  const own = lintFiles([{ file, text: text.replace('VALUES (p_user_id,', 'VALUES ((select auth.uid()),') }], ID).mine;
  for (const d of own) assert.doesNotMatch(d.message, /an argument the lookup does not check/);
  const household = '5a5a5a5a-0000-4000-8000-000000000001';
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO anon, authenticated, service_role; ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role');
    await q(text);
    await q(`INSERT INTO public.invite_codes (household_id, code) VALUES ('${household}', 'K7Q2')`);
    await asUserA(q);
    await q(`SELECT public.use_invite_code('${TENANT_B}', 'K7Q2')`);
    await q('RESET ROLE');
    assert.deepEqual(await q('SELECT user_id, household_id FROM public.household_members'), [{ user_id: TENANT_B, household_id: household }], 'A added B, not themselves');
  });
});

// dudgeon/chat-frontier-family: chat_sessions is made outside the migrations (the dashboard); they
// only `ALTER TABLE public.chat_sessions ENABLE ROW LEVEL SECURITY` and add policies, then
// update_session_metadata(_session_id, …) SECURITY DEFINER updates it by id, granted to
// authenticated. It was not reported: the rule judged only tables the migrations create.
test('err: a table the migrations never create but enable RLS on (made in the dashboard): a definer changing its rows by any id is reported (PGlite: user A renames user B\'s session)', async () => {
  const made = 'CREATE TABLE public.chat_sessions (id text PRIMARY KEY, user_id uuid NOT NULL, name text);';
  const text = `ALTER TABLE public.chat_sessions ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can read their own sessions" ON public.chat_sessions FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE POLICY "Users can update their own sessions" ON public.chat_sessions FOR UPDATE TO authenticated USING (user_id = (select auth.uid()));
CREATE OR REPLACE FUNCTION public.update_session_metadata(_session_id text, _name text) RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  UPDATE public.chat_sessions SET name = _name WHERE id = _session_id;
END;
$$;
GRANT EXECUTE ON FUNCTION public.update_session_metadata(text, text) TO authenticated;
`;
  const file = 'supabase/migrations/20250529120000_add_update_session_metadata_function.sql';
  const { mine } = lintFiles([{ file, text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^SECURITY DEFINER function public\.update_session_metadata\(text, text\) can be called by PUBLIC .* and changes rows of public\.chat_sessions, which has row-level security, but never looks at who is calling/);
  // (its RLS disabled at the end, or never enabled: nothing; an owner not known to bypass RLS: nothing)
  assert.equal(lintFiles([{ file, text: `${text}ALTER TABLE public.chat_sessions DISABLE ROW LEVEL SECURITY;\n` }], ID).mine.length, 0);
  assert.equal(lintFiles([{ file, text: text.replace('ALTER TABLE public.chat_sessions ENABLE ROW LEVEL SECURITY;\n', '') }], ID).mine.length, 0);
  assert.equal(lintFiles([{ file: 'db/migrations/001_x.sql', text: text.replace(/ TO authenticated/g, '').replace(/\(select auth\.uid\(\)\)/g, "current_setting('app.user')::uuid") }], ID).mine.length, 0);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO anon, authenticated, service_role; ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role');
    await q(made);
    await q(text);
    await q(`INSERT INTO public.chat_sessions VALUES ('s-b', '${TENANT_B}', 'B''s chat')`);
    await asUserA(q);
    assert.equal(await affected(q, "UPDATE public.chat_sessions SET name = 'pwned' WHERE id = 's-b'"), 0, 'the policies keep A from it');
    await q("SELECT public.update_session_metadata('s-b', 'pwned')");
    await q('RESET ROLE');
    assert.deepEqual(await q("SELECT name FROM public.chat_sessions WHERE id = 's-b'"), [{ name: 'pwned' }]);
  });
});

// Calibration (cal210): graphile/starter's app_public.verify_email(user_email_id, token), in every
// project made from the starter: one UPDATE whose WHERE requires id = user_email_id and an EXISTS
// of app_private.user_email_secrets holding verification_token = token. It got the general advice
// ("each statement requires it in its WHERE … or an EXISTS of a row that holds it"), which it
// already follows. PGlite: a caller without the token verifies nothing (false, the row unchanged);
// with it, that one row.
test("err (wording): an UPDATE keyed by an EXISTS of a row holding the token argument (graphile/starter's verify_email) is said to change only rows the token leads to; PGlite: a wrong token changes nothing, the right one its row", async () => {
  const text = `CREATE SCHEMA app_public;
CREATE SCHEMA app_private;
CREATE TABLE app_public.user_emails (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), user_id uuid NOT NULL, is_verified boolean NOT NULL DEFAULT false);
ALTER TABLE app_public.user_emails ENABLE ROW LEVEL SECURITY;
CREATE TABLE app_private.user_email_secrets (user_email_id uuid PRIMARY KEY REFERENCES app_public.user_emails, verification_token text);
CREATE FUNCTION app_public.verify_email(user_email_id uuid, token text) RETURNS boolean AS $$
begin
  update app_public.user_emails
  set is_verified = true
  where id = user_email_id
  and exists(
    select 1 from app_private.user_email_secrets where user_email_secrets.user_email_id = user_emails.id and verification_token = token
  );
  return found;
end;
$$ LANGUAGE plpgsql STRICT VOLATILE SECURITY DEFINER SET search_path TO pg_catalog, public, pg_temp;
REVOKE ALL ON FUNCTION app_public.verify_email(uuid, text) FROM PUBLIC;
GRANT USAGE ON SCHEMA app_public TO authenticated;
GRANT EXECUTE ON FUNCTION app_public.verify_email(uuid, text) TO authenticated;
`;
  const { mine } = lintFiles([{ file: 'migrations/committed/000001.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.ok(
    mine[0]!.message.includes(
      'Every row it changes is one that user_email_id and token lead to: each UPDATE or DELETE of app_public.user_emails requires in its WHERE user_email_id (a column equal to it) and token (an EXISTS of a row of app_private.user_email_secrets holding it). If one of them is a secret only the right caller holds (a verification or invitation token), a caller without it changes nothing through the function',
    ),
    mine[0]!.message,
  );
  // (a DELETE keyed only by the row's id gets the general advice: an id is no secret the function checks)
  const byId = text.replace(/and exists\([\s\S]*?\n  \);/, ';');
  assert.notEqual(byId, text);
  const general = lintFiles([{ file: 'migrations/committed/000001.sql', text: byId }], ID).mine[0]!.message;
  assert.doesNotMatch(general, /Every row it changes/);
  assert.match(general, /If an argument is a secret only the right caller holds/);
  await inRollback(await getDb(), async (q) => {
    await q(text);
    await q("INSERT INTO app_public.user_emails (id, user_id) VALUES ('00000000-0000-0000-0000-0000000000e1', gen_random_uuid())");
    await q("INSERT INTO app_private.user_email_secrets VALUES ('00000000-0000-0000-0000-0000000000e1', 'tok-1')");
    await q('SET ROLE authenticated');
    assert.deepEqual(await q("SELECT app_public.verify_email('00000000-0000-0000-0000-0000000000e1', 'guess') AS ok"), [{ ok: false }]);
    assert.deepEqual(await q("SELECT app_public.verify_email('00000000-0000-0000-0000-0000000000e1', 'tok-1') AS ok"), [{ ok: true }]);
    await q('RESET ROLE');
    assert.deepEqual(await q('SELECT is_verified FROM app_public.user_emails'), [{ is_verified: true }]);
  });
});
