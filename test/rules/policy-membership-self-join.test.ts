// policy-membership-self-join on PostgreSQL (PGlite): a write policy on a membership table that
// checks only the user column lets a user add themselves to any org (INSERT), or move their own
// membership to another zone (UPDATE), and then read that group's rows through the policies that
// trust the membership table. An invitation check in WITH CHECK refuses it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { affected, closeAll, count, ensureRoles, expectPgError, getDb, inRollback, tryQuery, type Q } from '../helpers/pg.js';
import { loadRuleDoc } from '../helpers/docs.js';
import { initParser, invalidFinding, lintDocExample, lintFiles, sqlOf, TENANT_A, TENANT_B, textAt } from '../helpers/rule-proof.js';
import { actAs, AUTH_STUB_SQL, onSupabase as onPlatform } from '../helpers/supabase.js';
import { Workspace } from '../../server/src/engine/workspace.js';

const ID = 'policy-membership-self-join';
before(initParser);
after(closeAll);

/** Supabase's platform defaults (auth.uid(), the API roles' default privileges), then the migrations. */
const onSupabase = (q: Q, ws: Workspace): Promise<void> => onPlatform(q, sqlOf(ws));

/** Supabase's platform defaults, the migrations, org 1 (A is a member) and org 2 (A is not), one document each; then act as user A. */
async function orgs(q: Q, ws: Workspace): Promise<void> {
  await onSupabase(q, ws);
  await q(`INSERT INTO public.org_members VALUES (1, '${TENANT_A}'); INSERT INTO public.documents VALUES (10, 1, 'ours'), (20, 2, 'theirs')`);
  await q(actAs(TENANT_A, { email: 'a@example.com' }));
  await q('SET ROLE authenticated');
}

test("err: INSERT WITH CHECK (user_id = auth.uid()): user A joins org 2 and reads its documents", async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), 'members_join');
  assert.match(
    finding.message,
    /^Policy "members_join" on public\.org_members lets authenticated write rows of it checking only their user_id against who the caller is: public\.org_members is a membership table that policy "documents_member" on public\.documents trusts .* a user can insert a row of public\.org_members with their own user_id and any org_id, and then get the rows of public\.documents that policy admits for that org_id, which they were never given\./,
  );
  await inRollback(await getDb(), async (q) => {
    await orgs(q, ws);
    assert.deepEqual(await q('SELECT title FROM public.documents'), [{ title: 'ours' }]);
    await q(`INSERT INTO public.org_members VALUES (2, '${TENANT_A}')`);
    assert.equal(await count(q, 'public.documents'), 2, "org 2's document too");
  });
});

test('err: FOR ALL USING (user_id = …): app_user moves its membership to zone z2 and reads it', async () => {
  const { ws, finding } = invalidFinding(ID, 1);
  assert.match(finding.message, /a user can change the zone_id of their own row of public\.zone_user to any value/);
  assert.doesNotMatch(finding.message, /insert a row/, 'app_user has no INSERT privilege');
  await inRollback(await getDb(), async (q) => {
    await q(sqlOf(ws));
    await q(`INSERT INTO zone VALUES ('z1', 'mine'), ('z2', 'theirs'); INSERT INTO zone_user VALUES ('z1', 'u1'), ('z2', 'u2')`);
    await q(`SELECT set_config('app.user_id', 'u1', true)`);
    await q('SET ROLE app_user');
    assert.deepEqual(await q('SELECT name FROM zone'), [{ name: 'mine' }]);
    await q(`UPDATE zone_user SET zone_id = 'z2' WHERE user_id = 'u1'`);
    assert.deepEqual(await q('SELECT name FROM zone'), [{ name: 'theirs' }]);
  });
});

test('ok: with an invitation check in WITH CHECK (Valid example), joining org 2 uninvited fails with 42501', async () => {
  const { ws, mine } = lintDocExample(ID, 'valid', 0);
  assert.equal(mine.length, 0);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await orgs(q, ws);
    await expectPgError(q(`INSERT INTO public.org_members VALUES (2, '${TENANT_A}')`), '42501', 'row-level security');
  });
  await inRollback(db, async (q) => {
    await orgs(q, ws);
    await q('RESET ROLE');
    await q(`INSERT INTO public.invitations VALUES (2, 'a@example.com')`);
    await q('SET ROLE authenticated');
    await q(`INSERT INTO public.org_members VALUES (2, '${TENANT_A}')`);
    assert.equal(await count(q, 'public.documents'), 2, 'invited: joins');
  });
});

test("ok: an owner's row (a unique group column) is not a membership: taking another store's id fails with 23505", async () => {
  const { ws, mine } = lintDocExample(ID, 'valid', 1);
  assert.equal(mine.length, 0);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, ws);
    await q(`INSERT INTO public.stores VALUES ('00000000-0000-0000-0000-0000000000b1', '00000000-0000-0000-0000-00000000000b')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    await expectPgError(q(`INSERT INTO public.stores VALUES ('00000000-0000-0000-0000-0000000000b1', '${TENANT_A}')`), '23505');
  });
});

test('err (lint): a check that only says the group column IS NOT NULL does not limit it', () => {
  const { ws } = invalidFinding(ID, 0);
  const sql = sqlOf(ws).replace('WITH CHECK (user_id = (select auth.uid()));', 'WITH CHECK (user_id = (select auth.uid()) AND org_id IS NOT NULL);');
  assert.notEqual(sql, sqlOf(ws));
  assert.equal(lintFiles([{ file: 'supabase/migrations/20240101000000_orgs.sql', text: sql }], ID).mine.length, 1);
});

/** The first Invalid example with the documents policy replaced by `policy` (and `extra` statements before it). */
function variant(policy: string, extra = ''): string {
  const { ex } = invalidFinding(ID, 0);
  return ex.files[0]!.text.replace(/CREATE POLICY documents_member[\s\S]*$/, () => `${extra}${policy}\n`);
}

test('err: trusted through a SECURITY DEFINER helper (is_member(org_id)), through an unqualified IN, with its group test in a branch of an OR, or written with an OR whose branch checks only the user: user A joins org 2 and reads its document', async () => {
  const helper = `CREATE FUNCTION public.is_member(_org bigint) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT EXISTS (SELECT 1 FROM public.org_members WHERE org_id = _org AND user_id = auth.uid())
$$;
`;
  const cases: Array<[string, string]> = [
    ['helper', variant('CREATE POLICY documents_member ON public.documents FOR SELECT TO authenticated\n  USING ((select public.is_member(org_id)));', helper)],
    ['unqualified IN', variant('CREATE POLICY documents_member ON public.documents FOR SELECT TO authenticated\n  USING (org_id IN (SELECT m.org_id FROM public.org_members m WHERE m.user_id = (select auth.uid())));')],
    [
      'OR branch',
      variant(
        'CREATE POLICY documents_member ON public.documents FOR SELECT TO authenticated\n  USING (EXISTS (SELECT 1 FROM public.org_members m WHERE m.org_id = documents.org_id AND m.user_id = (select auth.uid())));',
      ).replace('WITH CHECK (user_id = (select auth.uid()));', "WITH CHECK ((select auth.uid()) IS NOT NULL AND (user_id = (select auth.uid()) OR ((select auth.jwt()) ->> 'role') = 'service_role'));"),
    ],
    // (the trusting sub-select's group test in a branch of an OR: cortex-etl's tenants)
    [
      'OR in the sub-select',
      variant(
        "CREATE POLICY documents_member ON public.documents FOR SELECT TO authenticated\n  USING (EXISTS (SELECT 1 FROM public.org_members m WHERE m.user_id = (select auth.uid()) AND (m.org_id = documents.org_id OR documents.title = 'public')));",
      ),
    ],
  ];
  for (const [what, text] of cases) {
    const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_orgs.sql', text }], ID);
    assert.equal(mine.length, 1, what);
    if (what === 'helper') assert.match(mine[0]!.message, /read through function public\.is_member\(bigint\)/);
    await inRollback(await getDb(), async (q) => {
      await orgs(q, ws);
      assert.deepEqual(await q('SELECT title FROM public.documents'), [{ title: 'ours' }], what);
      await q(`INSERT INTO public.org_members VALUES (2, '${TENANT_A}')`);
      assert.equal(await count(q, 'public.documents'), 2, `${what}: org 2's document too`);
    });
  }
});

test("err: a role column users may set on their own row, trusted by a helper returning it (get_my_role() = 'admin') or checking it (has_role(auth.uid(), 'admin')): user A makes itself admin and reads every document", async () => {
  const base = `CREATE TABLE public.profiles (id uuid PRIMARY KEY, role text NOT NULL DEFAULT 'member');
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY profiles_read ON public.profiles FOR SELECT TO authenticated USING (id = (select auth.uid()));
CREATE POLICY profiles_update ON public.profiles FOR UPDATE TO authenticated USING (id = (select auth.uid()));
CREATE TABLE public.documents (id bigint PRIMARY KEY, title text NOT NULL);
ALTER TABLE public.documents ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.get_my_role() RETURNS text LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT role FROM public.profiles WHERE id = auth.uid()
$$;
CREATE FUNCTION public.has_role(_user uuid, _role text) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT EXISTS (SELECT 1 FROM public.profiles WHERE id = _user AND role = _role)
$$;
`;
  for (const using of ["(select public.get_my_role()) = 'admin'", "(select public.has_role((select auth.uid()), 'admin'))", "EXISTS (SELECT 1 FROM public.profiles p WHERE p.id = (select auth.uid()) AND p.role = 'admin')"]) {
    const text = `${base}CREATE POLICY documents_admin ON public.documents FOR SELECT TO authenticated USING (${using});\n`;
    const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_roles.sql', text }], ID);
    assert.equal(mine.length, 1, using);
    assert.match(mine[0]!.message, /a user can change the role of their own row of public\.profiles to 'admin', and then get the rows of public\.documents that policy admits to holders of role = 'admin'/);
    await inRollback(await getDb(), async (q) => {
      await onSupabase(q, ws);
      await q(`INSERT INTO public.profiles VALUES ('${TENANT_A}', 'member'); INSERT INTO public.documents VALUES (1, 'board minutes')`);
      await q(actAs(TENANT_A));
      await q('SET ROLE authenticated');
      assert.equal(await count(q, 'public.documents'), 0);
      await q(`UPDATE public.profiles SET role = 'admin' WHERE id = '${TENANT_A}'`);
      assert.equal(await count(q, 'public.documents'), 1, using);
    });
    // a trigger on UPDATE of profiles (a role-change guard), or UPDATE granted on other columns only: left alone
    const trigger = `${text}CREATE FUNCTION public.keep_role() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.role := OLD.role; RETURN NEW; END $$;\nCREATE TRIGGER profiles_keep_role BEFORE UPDATE ON public.profiles FOR EACH ROW EXECUTE FUNCTION public.keep_role();\n`;
    assert.equal(lintFiles([{ file: 'supabase/migrations/20240101000000_roles.sql', text: trigger }], ID).mine.length, 0);
  }
  const columns = `${base}REVOKE UPDATE ON public.profiles FROM authenticated;\nGRANT UPDATE (id) ON public.profiles TO authenticated;\nCREATE POLICY documents_admin ON public.documents FOR SELECT TO authenticated USING ((select public.get_my_role()) = 'admin');\n`;
  assert.equal(lintFiles([{ file: 'supabase/migrations/20240101000000_roles.sql', text: columns }], ID).mine.length, 0);
});

test('ok/err: a trigger on the membership table silences only when it may refuse or reset the group column (an audit trigger, a guard of another column or an extension\'s moddatetime does not: chess-map, barbearia, kitloop); a table every signed-in user reads anyway gives nothing (auradesk)', () => {
  const { ex } = invalidFinding(ID, 0);
  const base = ex.files[0]!.text;
  const file = ex.files[0]!.file;
  const withTrigger = (body: string) =>
    `${base}\nCREATE FUNCTION public.members_trigger() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ${body} RETURN NEW; END $$;\nCREATE TRIGGER members_t BEFORE INSERT ON public.org_members FOR EACH ROW EXECUTE FUNCTION public.members_trigger();\n`;
  assert.equal(lintFiles([{ file, text: withTrigger("RAISE NOTICE 'joined';") }], ID).mine.length, 1, 'audit');
  assert.equal(lintFiles([{ file, text: withTrigger("IF NEW.user_id IS NULL THEN RAISE EXCEPTION 'no user'; END IF;") }], ID).mine.length, 1, 'guard of another column');
  assert.equal(lintFiles([{ file, text: withTrigger("IF NOT EXISTS (SELECT 1 FROM public.invitations i WHERE i.org_id = NEW.org_id) THEN RAISE EXCEPTION 'not invited'; END IF;") }], ID).mine.length, 0, 'refuses by org_id');
  assert.equal(lintFiles([{ file, text: withTrigger('NEW.org_id := NULL;') }], ID).mine.length, 0, 'resets org_id');
  // (an extension's trigger function, its body unknown: moddatetime sets the timestamp column it names, kitloop)
  const moddatetime = `${base}\nCREATE EXTENSION IF NOT EXISTS moddatetime SCHEMA extensions;\nCREATE TRIGGER members_touch BEFORE INSERT ON public.org_members FOR EACH ROW EXECUTE FUNCTION extensions.moddatetime(updated_at);\n`;
  assert.equal(lintFiles([{ file, text: moddatetime }], ID).mine.length, 1, 'moddatetime');
  assert.equal(lintFiles([{ file, text: moddatetime.replace('extensions.moddatetime(updated_at)', 'extensions.unknown_guard()') }], ID).mine.length, 0, 'an unknown function may guard');
  const everyone = `${base}\nCREATE POLICY documents_signed_in ON public.documents FOR SELECT TO authenticated USING ((select auth.uid()) IS NOT NULL);\n`;
  assert.equal(lintFiles([{ file, text: everyone.replace('(select auth.uid()) IS NOT NULL', 'auth.uid() IS NOT NULL') }], ID).mine.length, 0, 'every document readable anyway');
});

test("err: an AFTER INSERT trigger whose IF compares NEW.role (hire-speedy-ai's auto_create_inbound_address(): `IF NEW.role = 'recruiter' THEN INSERT …`) neither refuses nor resets the role: user A inserts their own 'admin' row and reads every role (PGlite); a BEFORE trigger assigning NEW.role := 'client' still silences it, and resets the row", async () => {
  const roles = (trigger: string) => `CREATE TYPE public.app_role AS ENUM ('client', 'recruiter', 'admin');
CREATE TABLE public.user_roles (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), user_id uuid NOT NULL, role public.app_role NOT NULL DEFAULT 'client', UNIQUE (user_id, role));
CREATE TABLE public.inbound_addresses (recruiter_id uuid PRIMARY KEY);
ALTER TABLE public.user_roles ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.inbound_addresses ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.has_role(_user_id uuid, _role public.app_role) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT EXISTS (SELECT 1 FROM public.user_roles WHERE user_id = _user_id AND role = _role)
$$;
CREATE POLICY "Users can view their own role" ON public.user_roles FOR SELECT USING (auth.uid() = user_id);
CREATE POLICY "Users can insert their own role" ON public.user_roles FOR INSERT WITH CHECK (auth.uid() = user_id);
CREATE POLICY "Admins can manage all roles" ON public.user_roles FOR ALL USING (public.has_role(auth.uid(), 'admin'));
${trigger}`;
  const after = `CREATE FUNCTION public.auto_create_inbound_address() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
  IF NEW.role = 'recruiter' THEN
    INSERT INTO public.inbound_addresses (recruiter_id) VALUES (NEW.user_id) ON CONFLICT DO NOTHING;
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER on_recruiter_role_created AFTER INSERT ON public.user_roles FOR EACH ROW EXECUTE FUNCTION public.auto_create_inbound_address();
`;
  const before = `CREATE FUNCTION public.default_role() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.role = 'admin' THEN NEW.role := 'client'; END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER user_roles_default BEFORE INSERT ON public.user_roles FOR EACH ROW EXECUTE FUNCTION public.default_role();
`;
  const file = 'supabase/migrations/20251204171610_roles.sql';
  const open = lintFiles([{ file, text: roles(after) }], ID);
  assert.equal(open.mine.length, 1);
  assert.equal(textAt(open.ws, open.mine[0]!), '"Users can insert their own role"');
  assert.match(open.mine[0]!.message, /a user can insert a row of public\.user_roles with their own user_id and role = 'admin'/);
  const reset = lintFiles([{ file, text: roles(before) }], ID);
  assert.deepEqual(reset.mine, [], 'a BEFORE trigger assigning NEW.role');
  const selfPromote = async (ws: Workspace) =>
    inRollback(await getDb(), async (q) => {
      await onSupabase(q, ws);
      await q(`INSERT INTO public.user_roles (user_id, role) VALUES ('${TENANT_A}', 'client'), ('${TENANT_B}', 'admin')`);
      await q(actAs(TENANT_A));
      await q('SET ROLE authenticated');
      await q(`INSERT INTO public.user_roles (user_id, role) VALUES ('${TENANT_A}', 'admin') ON CONFLICT DO NOTHING`);
      return count(q, 'public.user_roles');
    });
  assert.equal(await selfPromote(open.ws), 3, "A made themselves admin and reads every role, B's included");
  assert.equal(await selfPromote(reset.ws), 1, "the BEFORE trigger made A's new row 'client' (a duplicate, skipped): A reads their own row only");
});

test('err/ok: policies that may go round through a function (54001, only for some rows: studyu) still let user A join org 2 and read its document; a sub-select cycle (42P17) in the INSERT policies makes every join fail and silences it (barbearia)', async () => {
  const { ex } = invalidFinding(ID, 0);
  const file = ex.files[0]!.file;
  const viaFunction = ex.files[0]!.text
    .replace(
      'CREATE POLICY members_read',
      () => `CREATE FUNCTION public.org_has_documents(o bigint) RETURNS boolean LANGUAGE sql STABLE SET search_path = '' AS
  $$ SELECT EXISTS (SELECT 1 FROM public.documents d WHERE d.org_id = o) $$;
CREATE POLICY members_read`,
    )
    .replace('USING (user_id = (select auth.uid()));', 'USING (user_id = (select auth.uid()) OR public.org_has_documents(org_id));');
  const linted = lintFiles([{ file, text: viaFunction }], ID);
  assert.ok(
    linted.findings.some((f) => f.rule === 'policy-recursion' && /54001/.test(f.message)),
    'policy-recursion reports the cycle through the function',
  );
  assert.equal(linted.mine.length, 1);
  await inRollback(await getDb(), async (q) => {
    await orgs(q, linted.ws);
    await q(`INSERT INTO public.org_members VALUES (2, '${TENANT_A}')`);
    assert.equal(await count(q, 'public.documents'), 2, "org 2's document: the function is never reached for A's own rows");
  });
  const viaSubSelect = `${ex.files[0]!.text.replace('WITH CHECK (user_id = (select auth.uid()));', 'WITH CHECK (user_id = (select auth.uid()) AND EXISTS (SELECT 1 FROM public.documents));')}
CREATE POLICY members_of_documents ON public.org_members FOR SELECT TO authenticated USING (EXISTS (SELECT 1 FROM public.documents d WHERE d.org_id = org_members.org_id));
`;
  const silent = lintFiles([{ file, text: viaSubSelect }], ID);
  assert.ok(silent.findings.some((f) => f.rule === 'policy-recursion' && /42P17/.test(f.message)));
  assert.equal(silent.mine.length, 0);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, silent.ws);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    await expectPgError(q(`INSERT INTO public.org_members VALUES (2, '${TENANT_A}')`), '42P17', 'infinite recursion');
  });
});

/** paftamobile's companies: profiles.company_id, read for the caller by current_company_id(), which documents' policy trusts. */
const COMPANIES = `CREATE TABLE public.profiles (id uuid PRIMARY KEY, company_id bigint NOT NULL);
CREATE INDEX ON public.profiles (company_id);
CREATE TABLE public.documents (id bigint PRIMARY KEY, company_id bigint NOT NULL, title text NOT NULL);
CREATE INDEX ON public.documents (company_id);
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.documents ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.current_company_id() RETURNS bigint LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS
  $$ SELECT company_id FROM public.profiles WHERE id = auth.uid() $$;
CREATE POLICY profiles_own ON public.profiles FOR ALL TO authenticated
  USING (id = (select auth.uid())) WITH CHECK (id = (select auth.uid()));
CREATE POLICY documents_company ON public.documents FOR SELECT TO authenticated
  USING (company_id = (select public.current_company_id()));
`;

test("err: a helper returning the caller's group column, compared with a column of the policy's table (company_id = current_company_id(): paftamobile): user A moves its profile to company 2 and reads its document", async () => {
  const text = COMPANIES;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_companies.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /read through function public\.current_company_id\(\), has a row with its company_id and the caller's id/);
  assert.match(mine[0]!.message, /insert a row of public\.profiles with their own id and any company_id \(id is unique: one who already has a row can only after deleting it\), or change the company_id of their own row/);
  // without a policy to delete one's row (INSERT and UPDATE only: wetraineducattiontech's profiles), the message does not say one can
  const noDelete = text.replace(
    'CREATE POLICY profiles_own ON public.profiles FOR ALL TO authenticated\n  USING (id = (select auth.uid())) WITH CHECK (id = (select auth.uid()));',
    'CREATE POLICY profiles_read ON public.profiles FOR SELECT TO authenticated USING (id = (select auth.uid()));\nCREATE POLICY profiles_ins ON public.profiles FOR INSERT TO authenticated WITH CHECK (id = (select auth.uid()));\nCREATE POLICY profiles_upd ON public.profiles FOR UPDATE TO authenticated USING (id = (select auth.uid()));',
  );
  const nd = lintFiles([{ file: 'supabase/migrations/20240101000000_companies.sql', text: noDelete }], ID).mine;
  assert.ok(nd.some((f) => /\(id is unique: only one who has no row yet can; no policy lets them delete theirs\)/.test(f.message)), nd.map((f) => f.message).join('\n'));
  // the same helper in PL/pgSQL, through a variable assigned who calls
  const plpgsql = text.replace(
    "LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS\n  $$ SELECT company_id FROM public.profiles WHERE id = auth.uid() $$;",
    () => "LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = '' AS $$\nDECLARE v_uid uuid; v_company bigint;\nBEGIN\n  v_uid := auth.uid();\n  SELECT company_id INTO v_company FROM public.profiles WHERE id = v_uid;\n  RETURN v_company;\nEND $$;",
  );
  assert.notEqual(plpgsql, text);
  assert.equal(lintFiles([{ file: 'supabase/migrations/20240101000000_companies.sql', text: plpgsql }], ID).mine.length, 1, 'PL/pgSQL through a variable');
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, ws);
    await q(`INSERT INTO public.profiles VALUES ('${TENANT_A}', 1); INSERT INTO public.documents VALUES (10, 1, 'ours'), (20, 2, 'theirs')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.deepEqual(await q('SELECT title FROM public.documents'), [{ title: 'ours' }]);
    await q(`UPDATE public.profiles SET company_id = 2 WHERE id = '${TENANT_A}'`);
    assert.deepEqual(await q('SELECT title FROM public.documents'), [{ title: 'theirs' }], "company 2's document");
  });
  // a helper returning a unique column (the profile's own id) gives no group
  assert.equal(lintFiles([{ file: 'supabase/migrations/20240101000000_companies.sql', text: text.replace('company_id bigint NOT NULL);\nCREATE INDEX ON public.profiles (company_id);', 'company_id bigint NOT NULL UNIQUE);') }], ID).mine.length, 0);
});

test("ok: a trusting policy that also needs the other user's row of the table (a mutual follow: cocktailsop) gives nothing to one who follows alone; following back shows the row", async () => {
  const text = `CREATE TABLE public.follows (follower_id uuid NOT NULL, following_id uuid NOT NULL, PRIMARY KEY (follower_id, following_id));
CREATE INDEX ON public.follows (following_id);
CREATE TABLE public.user_locations (user_id uuid PRIMARY KEY, place text);
ALTER TABLE public.follows ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.user_locations ENABLE ROW LEVEL SECURITY;
CREATE POLICY follows_read ON public.follows FOR SELECT TO authenticated USING (true);
CREATE POLICY follows_insert ON public.follows FOR INSERT TO authenticated WITH CHECK (follower_id = (select auth.uid()));
CREATE POLICY mutual_locations ON public.user_locations FOR SELECT TO authenticated USING (
  user_id = (select auth.uid()) OR EXISTS (
    SELECT 1 FROM public.follows f1
    WHERE f1.follower_id = (select auth.uid()) AND f1.following_id = user_locations.user_id
      AND EXISTS (SELECT 1 FROM public.follows f2 WHERE f2.follower_id = user_locations.user_id AND f2.following_id = (select auth.uid()))));
`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_follows.sql', text }], ID);
  assert.deepEqual(mine, []);
  // without the reverse row's condition the policy trusts one row alone: reported
  assert.equal(lintFiles([{ file: 'supabase/migrations/20240101000000_follows.sql', text: text.replace(/\n\s+AND EXISTS \(SELECT 1 FROM public\.follows f2[^\n]*\)\)\)\);/, '));') }], ID).mine.length, 1);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, ws);
    await q(`INSERT INTO public.user_locations VALUES ('${TENANT_B}', 'b home')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    await q(`INSERT INTO public.follows VALUES ('${TENANT_A}', '${TENANT_B}')`);
    assert.equal(await count(q, 'public.user_locations'), 0, 'following alone shows nothing');
    const forged = await tryQuery(q, `INSERT INTO public.follows VALUES ('${TENANT_B}', '${TENANT_A}')`);
    assert.equal(forged.ok ? 'ok' : forged.error.code, '42501', "B's row cannot be written by A");
  });
});


test("err: an INSERT check `admin_id = auth.uid() AND admin_id <> player_id` (ft's link requests) leaves the group column free but for the caller itself: any user links itself to a victim and reads the victim's profile", async () => {
  const sql = `create table public.profiles (id uuid primary key default gen_random_uuid(), user_id uuid not null unique, full_name text, phone text);
alter table public.profiles enable row level security;
create policy "own profile" on public.profiles for select to authenticated using (user_id = (select auth.uid()));
grant select on public.profiles to authenticated;
create table public.admin_player_link_requests (
  id uuid primary key default gen_random_uuid(),
  admin_id uuid not null, player_id uuid not null,
  status text not null default 'pending' check (status in ('pending','accepted','declined','cancelled')));
create unique index on public.admin_player_link_requests (admin_id, player_id);
create index on public.admin_player_link_requests (player_id);
alter table public.admin_player_link_requests enable row level security;
create policy "Admins can view their player link requests" on public.admin_player_link_requests
  for select to authenticated using (admin_id = (select auth.uid()));
create policy "Admins can create player link requests" on public.admin_player_link_requests
  for insert to authenticated
  with check (admin_id = (select auth.uid()) and admin_id <> player_id and status = 'pending');
grant select, insert on public.admin_player_link_requests to authenticated;
create policy "Admins can view pending requested player profiles" on public.profiles
  for select to authenticated
  using (exists (select 1 from public.admin_player_link_requests apr
                 where apr.admin_id = (select auth.uid()) and apr.player_id = profiles.user_id and apr.status = 'pending'));`;
  const file = 'supabase/migrations/20260216133000_req.sql';
  const { mine } = lintFiles([{ file, text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^Policy "Admins can create player link requests" on public\.admin_player_link_requests lets authenticated write rows of it checking only their admin_id/);
  // a check that ties the group column to something else is a limit: not reported
  assert.equal(lintFiles([{ file, text: sql.replace('admin_id <> player_id', "player_id IN (SELECT p.user_id FROM public.profiles p WHERE p.full_name = 'team')") }], ID).mine.length, 0);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(sql);
    await q(`INSERT INTO public.profiles (user_id, full_name, phone) VALUES ('${TENANT_A}', 'A', '+1 555 0100'), ('${TENANT_B}', 'B', '+1 555 0199')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.profiles'), 1, 'A sees its own profile');
    await q(`INSERT INTO public.admin_player_link_requests (admin_id, player_id) VALUES ('${TENANT_A}', '${TENANT_B}')`);
    assert.deepEqual(await q('SELECT phone FROM public.profiles ORDER BY full_name'), [{ phone: '+1 555 0100' }, { phone: '+1 555 0199' }], "A reads B's phone");
  });
});

test("ok: a helper returning the key of the caller's own row (gighub's get_user_account_id(): `id … WHERE auth_user_id = auth.uid() AND type = 'user'`), compared with a column: writing type = 'user' reaches only the caller's own rows, not reported; as a gate (IS NOT NULL) it reaches every row, reported", async () => {
  const base = `CREATE TYPE public.account_type AS ENUM ('user', 'org', 'bot');
CREATE TABLE public.accounts (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), auth_user_id uuid UNIQUE, type public.account_type NOT NULL DEFAULT 'bot');
ALTER TABLE public.accounts ENABLE ROW LEVEL SECURITY;
CREATE TABLE public.todos (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), account_id uuid NOT NULL REFERENCES public.accounts(id), title text NOT NULL);
ALTER TABLE public.todos ENABLE ROW LEVEL SECURITY;
GRANT SELECT, UPDATE ON public.accounts, public.todos TO authenticated;
CREATE FUNCTION public.get_user_account_id() RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' STABLE AS $$
DECLARE v_account_id uuid;
BEGIN
  SELECT id INTO v_account_id FROM public.accounts WHERE auth_user_id = auth.uid() AND type = 'user' LIMIT 1;
  RETURN v_account_id;
END;
$$;
CREATE POLICY accounts_select_own ON public.accounts FOR SELECT TO authenticated USING (auth_user_id = (SELECT auth.uid()));
CREATE POLICY accounts_update_own ON public.accounts FOR UPDATE TO authenticated USING (auth_user_id = (SELECT auth.uid())) WITH CHECK (auth_user_id = (SELECT auth.uid()));
`;
  const keyed = `${base}CREATE POLICY todos_select ON public.todos FOR SELECT TO authenticated USING (account_id = (SELECT public.get_user_account_id()));\n`;
  const gate = `${base}CREATE POLICY todos_select ON public.todos FOR SELECT TO authenticated USING ((SELECT public.get_user_account_id()) IS NOT NULL);\n`;
  const file = 'supabase/migrations/20251205000055_rls.sql';
  assert.deepEqual(lintFiles([{ file, text: keyed }], ID).mine, []);
  assert.equal(lintFiles([{ file, text: gate }], ID).mine.length, 1);
  const titles = async (q: Q) => (await q('SELECT title FROM public.todos ORDER BY title')).map((r) => r.title as string);
  for (const [sql, after] of [[keyed, ['A todo']], [gate, ['A todo', 'B todo']]] as const) {
    await inRollback(await getDb(), async (q) => {
      await q(AUTH_STUB_SQL);
      await q(sql);
      await q(`INSERT INTO public.accounts (id, auth_user_id, type) VALUES ('a0000000-0000-0000-0000-00000000000a', '${TENANT_A}', 'bot'), ('b0000000-0000-0000-0000-00000000000b', '${TENANT_B}', 'user');
INSERT INTO public.todos (account_id, title) VALUES ('a0000000-0000-0000-0000-00000000000a', 'A todo'), ('b0000000-0000-0000-0000-00000000000b', 'B todo')`);
      await q(actAs(TENANT_A));
      await q('SET ROLE authenticated');
      assert.deepEqual(await titles(q), []);
      await q(`UPDATE public.accounts SET type = 'user' WHERE auth_user_id = '${TENANT_A}'`);
      assert.deepEqual(await titles(q), after);
    });
  }
});

test("err: a boolean flag of the caller's own row tested as it is (bionic-gpt's users.system_admin: `EXISTS (… u.id = me AND u.system_admin)`), on a table users may update their own row of: they set it and read every team (PGlite)", async () => {
  const sql = `CREATE ROLE app_user_t NOLOGIN;
CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL, system_admin boolean NOT NULL DEFAULT false);
CREATE TABLE teams (id int PRIMARY KEY, name text, owner_id int NOT NULL);
GRANT SELECT, UPDATE ON users, teams TO app_user_t;
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE teams ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION current_app_user() RETURNS int LANGUAGE sql STABLE AS $$ SELECT nullif(current_setting('app.user_id', true), '')::int $$;
CREATE POLICY users_self ON users FOR ALL TO app_user_t USING (id = (select current_app_user()));
CREATE POLICY teams_access ON teams FOR ALL TO app_user_t USING (EXISTS (SELECT 1 FROM users u WHERE u.id = (select current_app_user()) AND u.system_admin) OR owner_id = (select current_app_user()));
`;
  for (const form of [sql, sql.replace('AND u.system_admin)', 'AND u.system_admin IS TRUE)'), sql.replace('AND u.system_admin)', 'AND u.system_admin = true)')]) {
    const { mine } = lintFiles([{ file: 'crates/db/migrations/20230101_rls.sql', text: form }], ID);
    assert.equal(mine.length, 1, form);
    assert.match(mine[0]!.message, /so a user can change the system_admin of their own row of public\.users to true/);
  }
  await inRollback(await getDb(), async (q) => {
    await q(sql);
    await q(`INSERT INTO users VALUES (1, 'victim@x', false), (2, 'attacker@x', false); INSERT INTO teams VALUES (1, 'victim team', 1), (2, 'attacker team', 2)`);
    await q('SET ROLE app_user_t');
    await q(`SELECT set_config('app.user_id', '2', true)`);
    assert.deepEqual((await q('SELECT name FROM teams ORDER BY id')).map((r) => r.name), ['attacker team']);
    await q('UPDATE users SET system_admin = true WHERE id = 2');
    assert.deepEqual((await q('SELECT name FROM teams ORDER BY id')).map((r) => r.name), ['victim team', 'attacker team']);
  });
});

test("ok: a membership table its writers cannot read (no SELECT policy for them: booktifi's users, INSERT only) gives nothing: the trusting policy's sub-select never finds the forged row, and the UPDATE it guards changes no row (PGlite)", async () => {
  const sql = `CREATE TABLE public.tenants (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE public.users (id uuid PRIMARY KEY, tenant_id int REFERENCES public.tenants (id), role text NOT NULL);
ALTER TABLE public.tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.users ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenants_read ON public.tenants FOR SELECT TO authenticated USING (true);
CREATE POLICY tenants_admin ON public.tenants FOR UPDATE TO authenticated
  USING (id IN (SELECT tenant_id FROM public.users WHERE id = auth.uid()))
  WITH CHECK (id IN (SELECT tenant_id FROM public.users WHERE id = auth.uid()));
CREATE POLICY users_create ON public.users FOR INSERT TO authenticated WITH CHECK (id = auth.uid());
`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/1_init.sql', text: sql }], ID);
  assert.deepEqual(mine, []);
  // with a SELECT policy showing users their own row, the forged row is found: reported
  const readable = lintFiles([{ file: 'supabase/migrations/1_init.sql', text: `${sql}CREATE POLICY users_own ON public.users FOR SELECT TO authenticated USING (id = auth.uid());\n` }], ID);
  assert.equal(readable.mine.length, 1);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, ws);
    await q(`INSERT INTO public.tenants VALUES (1, 'victim')`);
    await q(actAs(TENANT_A, { email: 'a@example.com' }));
    await q('SET ROLE authenticated');
    await q(`INSERT INTO public.users VALUES ('${TENANT_A}', 1, 'admin')`);
    assert.equal(await count(q, 'public.users'), 0, 'the forged row is not visible to its writer');
    assert.deepEqual(await q(`UPDATE public.tenants SET name = 'pwned' RETURNING id`), []);
    await q('RESET ROLE');
    assert.deepEqual(await q('SELECT name FROM public.tenants'), [{ name: 'victim' }]);
    // the same with the SELECT policy: the forged row opens the tenant
    await q('CREATE POLICY users_own ON public.users FOR SELECT TO authenticated USING (id = auth.uid())');
    await q('SET ROLE authenticated');
    assert.deepEqual(await q(`UPDATE public.tenants SET name = 'pwned' RETURNING id`), [{ id: 1 }]);
  });
});

// Calibration cal32 (LocalHeroFinder: user_roles with "Admins can manage all roles" through
// has_role(auth.uid(), 'admin'), and an INSERT policy checking only user_id)
test("err: a policy of the membership table itself trusting a value (admins manage every role): the finding names 'admin', not the value sign-up hands out; user A makes itself admin and changes user B's role (PGlite)", async () => {
  const sql = `CREATE TYPE public.app_role AS ENUM ('responder', 'requester', 'admin');
CREATE TABLE public.user_roles (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id uuid NOT NULL, role public.app_role NOT NULL, UNIQUE (user_id, role));
CREATE TABLE public.responders (id int PRIMARY KEY, status text NOT NULL);
ALTER TABLE public.user_roles ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.responders ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.has_role(_user_id uuid, _role public.app_role) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
  AS $$ SELECT EXISTS (SELECT 1 FROM public.user_roles WHERE user_id = _user_id AND role = _role) $$;
CREATE POLICY roles_own ON public.user_roles FOR SELECT TO authenticated USING (auth.uid() = user_id);
CREATE POLICY roles_admin ON public.user_roles FOR ALL TO authenticated USING (public.has_role(auth.uid(), 'admin'));
CREATE POLICY responders_read ON public.responders FOR SELECT TO authenticated USING (public.has_role(auth.uid(), 'requester'));
CREATE POLICY roles_insert ON public.user_roles FOR INSERT TO authenticated WITH CHECK (auth.uid() = user_id);
`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20251109002100_roles.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /policy "roles_admin" on public\.user_roles trusts .* role = 'admin'\), so a user can insert a row of public\.user_roles with their own user_id and role = 'admin', and then read and change the rows of public\.user_roles that policy admits/);
  assert.match(mine[0]!.message, /allow only the values users may give themselves, never 'admin' and the like/);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, ws);
    await q(`INSERT INTO public.user_roles (user_id, role) VALUES ('${TENANT_A}', 'requester'), ('${TENANT_B}', 'responder')`);
    await q(actAs(TENANT_A, { email: 'a@example.com' }));
    await q('SET ROLE authenticated');
    assert.deepEqual(await q(`UPDATE public.user_roles SET role = 'requester' WHERE user_id = '${TENANT_B}' RETURNING role`), [], 'not yet');
    await q(`INSERT INTO public.user_roles (user_id, role) VALUES ('${TENANT_A}', 'admin')`);
    assert.deepEqual(await q(`UPDATE public.user_roles SET role = 'requester' WHERE user_id = '${TENANT_B}' RETURNING role`), [{ role: 'requester' }], "A changes B's role");
  });
});

// Calibration cal33 (a common form: WITH CHECK (auth.uid() = user_id AND auth.role() = 'authenticated'))
test("err: `auth.role() = 'authenticated'` next to the user check limits nothing (every signed-in caller passes it): still reported, and user A still makes itself admin (PGlite)", async () => {
  const sql = `CREATE TABLE public.user_roles (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id uuid NOT NULL, role text NOT NULL);
CREATE TABLE public.secrets (id int PRIMARY KEY, body text);
ALTER TABLE public.user_roles ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.secrets ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.has_role(_user_id uuid, _role text) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
  AS $$ SELECT EXISTS (SELECT 1 FROM public.user_roles WHERE user_id = _user_id AND role = _role) $$;
CREATE POLICY secrets_admin ON public.secrets FOR SELECT TO authenticated USING (public.has_role(auth.uid(), 'admin'));
CREATE POLICY roles_insert ON public.user_roles FOR INSERT TO authenticated WITH CHECK (auth.uid() = user_id AND auth.role() = 'authenticated');
`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20250101000000_roles.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /role = 'admin'/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(`CREATE OR REPLACE FUNCTION auth.role() RETURNS text LANGUAGE sql STABLE AS $$ SELECT auth.jwt()->>'role' $$`);
    await q('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role');
    await q(sqlOf(ws));
    await q(`INSERT INTO public.secrets VALUES (1, 'admins only')`);
    await q(actAs(TENANT_A, { role: 'authenticated' }));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.secrets'), 0);
    await q(`INSERT INTO public.user_roles (user_id, role) VALUES ('${TENANT_A}', 'admin')`);
    assert.equal(await count(q, 'public.secrets'), 1);
  });
});

test("err: the WITH CHECK's NOT EXISTS (… members m WHERE m.org_id = members.org_id AND m.user_id = auth.uid()) asks only that the caller is not in that org yet (zrmed93's owner memberships): a user makes themselves owner of another org and reads its documents", async () => {
  const text = `CREATE TABLE public.orgs (id uuid PRIMARY KEY, name text);
CREATE TABLE public.members (org_id uuid NOT NULL REFERENCES public.orgs (id), user_id uuid NOT NULL, role text NOT NULL, UNIQUE (org_id, user_id));
CREATE TABLE public.docs (id int PRIMARY KEY, org_id uuid NOT NULL REFERENCES public.orgs (id), body text);
ALTER TABLE public.members ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.docs ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT ON public.members TO authenticated;
GRANT SELECT ON public.docs TO authenticated;
CREATE FUNCTION public.is_member(o uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT EXISTS (SELECT 1 FROM public.members m WHERE m.org_id = o AND m.user_id = auth.uid()) $$;
REVOKE EXECUTE ON FUNCTION public.is_member(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.is_member(uuid) TO authenticated;
CREATE POLICY members_read ON public.members FOR SELECT TO authenticated USING (public.is_member(org_id));
CREATE POLICY docs_read ON public.docs FOR SELECT TO authenticated USING (public.is_member(org_id));
CREATE POLICY own_owner_membership ON public.members FOR INSERT TO authenticated
  WITH CHECK (user_id = (select auth.uid()) AND role = 'owner'
    AND NOT EXISTS (SELECT 1 FROM public.members m WHERE m.org_id = members.org_id AND m.user_id = (select auth.uid())));
`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_orgs.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /\(its NOT EXISTS asks only that the caller has no row for that org_id yet, true of every org_id they would join\)/);
  const ORG = '00000000-0000-0000-0000-00000000000a';
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(text);
    await q(`INSERT INTO public.orgs VALUES ('${ORG}', 'A'); INSERT INTO public.members VALUES ('${ORG}', '${TENANT_A}', 'owner'); INSERT INTO public.docs VALUES (1, '${ORG}', 'secret')`);
    await q(actAs(TENANT_B));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.docs'), 0, 'B is in no org');
    await q(`INSERT INTO public.members VALUES ('${ORG}', '${TENANT_B}', 'owner')`);
    assert.equal(await count(q, 'public.docs'), 1, "B reads org A's document");
  });
  // without the NOT EXISTS's caller condition it asks whether the org has members at all; but it
  // reads members through members_read, which shows the caller only the orgs they are in: for
  // org A it finds none, and B still makes themselves its owner (PGlite)
  const anyMember = text.replace(' AND m.user_id = (select auth.uid())))', '))');
  const blind = lintFiles([{ file: 'supabase/migrations/20240101000000_orgs.sql', text: anyMember }], ID).mine;
  assert.equal(blind.length, 1);
  assert.match(blind[0]!.message, /its NOT EXISTS looks for any row of that org_id, but reads public\.members through its own SELECT policies/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(anyMember);
    await q(`INSERT INTO public.orgs VALUES ('${ORG}', 'A'); INSERT INTO public.members VALUES ('${ORG}', '${TENANT_A}', 'owner'); INSERT INTO public.docs VALUES (1, '${ORG}', 'secret')`);
    await q(actAs(TENANT_B));
    await q('SET ROLE authenticated');
    await q(`INSERT INTO public.members VALUES ('${ORG}', '${TENANT_B}', 'owner')`);
    assert.equal(await count(q, 'public.docs'), 1, "B reads org A's document");
  });
});

test("err: an INSERT policy on the membership table checking nothing (classroomio's organizationmember, WITH CHECK (true)): a user inserts an admin row for an org they are not in and deletes its projects", async () => {
  const text = `CREATE TABLE public.orgs (id int PRIMARY KEY);
CREATE TABLE public.orgmember (org_id int NOT NULL REFERENCES public.orgs (id), profile_id uuid NOT NULL, role_id int NOT NULL);
CREATE TABLE public.projects (id int PRIMARY KEY, org_id int NOT NULL REFERENCES public.orgs (id));
ALTER TABLE public.orgmember ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.projects ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT ON public.orgmember TO authenticated;
GRANT SELECT, DELETE ON public.projects TO authenticated;
CREATE POLICY member_read ON public.orgmember FOR SELECT TO authenticated USING (true);
CREATE POLICY "Enable insert for authenticated users only" ON public.orgmember FOR INSERT TO authenticated WITH CHECK (true);
CREATE POLICY projects_read ON public.projects FOR SELECT TO authenticated USING (true);
CREATE POLICY admin_delete ON public.projects FOR DELETE TO authenticated
  USING (EXISTS (SELECT 1 FROM public.orgmember m WHERE m.org_id = projects.org_id AND m.profile_id = (select auth.uid()) AND m.role_id = 1));
`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_members.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /lets authenticated write rows of it checking nothing about them \(its check admits any row, with anyone's profile_id\)/);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(text);
    await q(`INSERT INTO public.orgs VALUES (1); INSERT INTO public.orgmember VALUES (1, '${TENANT_A}', 1); INSERT INTO public.projects VALUES (10, 1)`);
    await q(actAs(TENANT_B));
    await q('SET ROLE authenticated');
    assert.equal((await q('DELETE FROM public.projects WHERE id = 10 RETURNING 1')).length, 0, 'B administers nothing');
    await q(`INSERT INTO public.orgmember VALUES (1, '${TENANT_B}', 1)`);
    assert.equal((await q('DELETE FROM public.projects WHERE id = 10 RETURNING 1')).length, 1, "B deletes org 1's project");
  });
});

test("ok: a helper that trusts the caller's profile only together with a membership row the caller cannot write (sm-crm's my_ws(): AND EXISTS (SELECT 1 FROM members …)) gains a forger nothing: not reported; PGlite: a forged profile shows no invite", async () => {
  const text = `CREATE TABLE public.members (uid uuid, ws uuid);
CREATE TABLE public.profiles (id uuid PRIMARY KEY, ws uuid);
CREATE TABLE public.invites (ws uuid, email text);
ALTER TABLE public.members ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.invites ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT ON public.profiles, public.invites, public.members TO authenticated;
CREATE POLICY m_sel ON public.members FOR SELECT TO authenticated USING (uid = (select auth.uid()));
CREATE POLICY m_ins ON public.members FOR INSERT TO authenticated WITH CHECK (false);
CREATE POLICY p_sel ON public.profiles FOR SELECT TO authenticated USING (id = (select auth.uid()));
CREATE POLICY p_ins ON public.profiles FOR INSERT TO authenticated WITH CHECK (id = (select auth.uid()));
CREATE FUNCTION public.my_ws() RETURNS uuid LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT p.ws FROM public.profiles p
  WHERE p.id = auth.uid() AND EXISTS (SELECT 1 FROM public.members m WHERE m.uid = auth.uid() AND m.ws = p.ws) $$;
REVOKE EXECUTE ON FUNCTION public.my_ws() FROM PUBLIC, anon;
GRANT EXECUTE ON FUNCTION public.my_ws() TO authenticated;
CREATE POLICY i_sel ON public.invites FOR SELECT TO authenticated USING (ws = (select public.my_ws()));
`;
  assert.equal(lintFiles([{ file: 'supabase/migrations/20240101000000_ws.sql', text }], ID).mine.length, 0);
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(text);
    await q(`INSERT INTO public.invites VALUES ('${TENANT_A}', 'x@example.com')`);
    await q(actAs(TENANT_B));
    await q('SET ROLE authenticated');
    await q(`INSERT INTO public.profiles VALUES ('${TENANT_B}', '${TENANT_A}')`);
    assert.equal(await count(q, 'public.invites'), 0);
  });
});

test("ok: a trusting policy none of whose roles may run its command on its table (equity-flow-system's tenant_memberships, REVOKE ALL FROM authenticated) gives nothing: the read fails with 42501 before row-level security, after the switch too", async () => {
  const text = `${COMPANIES}REVOKE ALL ON public.documents FROM authenticated;\n`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_companies.sql', text }], ID);
  assert.deepEqual(mine, []);
  // granted again: reported
  assert.equal(lintFiles([{ file: 'supabase/migrations/20240101000000_companies.sql', text: text + 'GRANT SELECT ON public.documents TO authenticated;\n' }], ID).mine.length, 1);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, ws);
    await q(`INSERT INTO public.profiles VALUES ('${TENANT_A}', 1); INSERT INTO public.documents VALUES (10, 1, 'ours'), (20, 2, 'theirs')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    await q(`UPDATE public.profiles SET company_id = 2 WHERE id = '${TENANT_A}'`);
    await expectPgError(q('SELECT title FROM public.documents'), '42501');
  });
});

test("err: a SECURITY DEFINER function taking the group from the same helper (equity-flow-system's list_deals_v1(): WHERE tenant_id = current_tenant_id()) is named where the trusting policy gives nothing; one that also checks a membership is not; PGlite: after the switch it returns the other company's document", async () => {
  const text = `CREATE TABLE public.profiles (id uuid PRIMARY KEY, company_id bigint NOT NULL);
CREATE INDEX ON public.profiles (company_id);
CREATE TABLE public.members (company_id bigint NOT NULL, user_id uuid NOT NULL, PRIMARY KEY (company_id, user_id));
CREATE TABLE public.documents (id bigint PRIMARY KEY, company_id bigint NOT NULL, title text NOT NULL);
CREATE INDEX ON public.documents (company_id);
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.members ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.documents ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.current_company_id() RETURNS bigint LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS
  $$ SELECT company_id FROM public.profiles WHERE id = auth.uid() $$;
CREATE POLICY profiles_own ON public.profiles FOR ALL TO authenticated
  USING (id = (select auth.uid())) WITH CHECK (id = (select auth.uid()));
CREATE POLICY members_company ON public.members FOR SELECT TO authenticated
  USING (company_id = (select public.current_company_id()));
REVOKE ALL ON public.members FROM authenticated;
CREATE POLICY documents_none ON public.documents FOR SELECT TO authenticated USING (false);
CREATE FUNCTION public.list_documents() RETURNS SETOF text LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS
  $$ SELECT title FROM public.documents WHERE company_id = public.current_company_id() $$;
REVOKE ALL ON FUNCTION public.list_documents() FROM PUBLIC, anon;
GRANT EXECUTE ON FUNCTION public.list_documents() TO authenticated;
`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_companies.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'profiles_own');
  assert.match(mine[0]!.message, /change the company_id of their own row of public\.profiles to any value\. Function public\.current_company_id\(\) returns that company_id .*SECURITY DEFINER function public\.list_documents\(\) \(callable by authenticated; reads or writes public\.documents\)/);
  assert.match(mine[0]!.message, /policy "members_company" on public\.members, which trusts the same function, gives nothing/);
  // a function that also checks a membership the user cannot write: not named, nothing reported
  const checked = text.replace('WHERE company_id = public.current_company_id() $$', 'WHERE company_id = public.current_company_id() AND EXISTS (SELECT 1 FROM public.members m WHERE m.company_id = documents.company_id AND m.user_id = auth.uid()) $$');
  assert.notEqual(checked, text);
  assert.deepEqual(lintFiles([{ file: 'supabase/migrations/20240101000000_companies.sql', text: checked }], ID).mine, []);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, ws);
    await q(`INSERT INTO public.profiles VALUES ('${TENANT_A}', 1); INSERT INTO public.members VALUES (1, '${TENANT_A}'); INSERT INTO public.documents VALUES (10, 1, 'ours'), (20, 2, 'theirs')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.deepEqual(await q('SELECT public.list_documents() AS title'), [{ title: 'ours' }]);
    await q(`UPDATE public.profiles SET company_id = 2 WHERE id = '${TENANT_A}'`);
    assert.deepEqual(await q('SELECT public.list_documents() AS title'), [{ title: 'theirs' }], "company 2's document");
    await expectPgError(q('SELECT * FROM public.members'), '42501');
  });
});

test("err: a helper returning a boolean flag of the caller's own row, called as the policy's condition (amethyst's `OR public.is_admin()`, reading profiles.is_admin of auth.uid(), bare or in coalesce): a user sets it on their own row and reads every profile (PGlite)", async () => {
  const text = `CREATE TABLE public.profiles (id uuid PRIMARY KEY, email text, is_admin boolean NOT NULL DEFAULT false);
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.is_admin() RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
  AS $$ SELECT coalesce((SELECT is_admin FROM public.profiles WHERE id = auth.uid()), false) $$;
CREATE POLICY own_select ON public.profiles FOR SELECT TO authenticated USING (id = (select auth.uid()) OR (select public.is_admin()));
CREATE POLICY own_update ON public.profiles FOR UPDATE TO authenticated USING (id = (select auth.uid())) WITH CHECK (id = (select auth.uid()));
`;
  const file = 'supabase/migrations/20240101000000_profiles.sql';
  const { ws, mine } = lintFiles([{ file, text }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'own_update');
  assert.match(mine[0]!.message, /read through function public\.is_admin\(\), has a row with the caller's id and is_admin = true\), so a user can change the is_admin of their own row of public\.profiles to true/);
  assert.match(mine[0]!.message, /Keep is_admin out of what users may write/);
  const bare = text.replace('SELECT coalesce((SELECT is_admin FROM public.profiles WHERE id = auth.uid()), false)', 'SELECT is_admin FROM public.profiles WHERE id = auth.uid()');
  assert.notEqual(bare, text);
  assert.equal(lintFiles([{ file, text: bare }], ID).mine.length, 1);
  // negated, or a text column: not the flag pattern
  assert.deepEqual(lintFiles([{ file, text: text.replace('OR (select public.is_admin())', 'AND NOT (select public.is_admin())') }], ID).mine, []);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, ws);
    await q(`INSERT INTO public.profiles VALUES ('${TENANT_A}', 'a@x', false), ('${TENANT_B}', 'b@x', false)`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.deepEqual(await q('SELECT email FROM public.profiles ORDER BY email'), [{ email: 'a@x' }]);
    await q(`UPDATE public.profiles SET is_admin = true WHERE id = '${TENANT_A}'`);
    assert.deepEqual(await q('SELECT email FROM public.profiles ORDER BY email'), [{ email: 'a@x' }, { email: 'b@x' }], "every profile, B's too");
  });
});

test("err: holders of a lesser role written without a check of the role column (fastnd-poc's user_roles: USING/WITH CHECK has_role(…, 'super_admin') OR has_role(…, 'tenant_admin')): a tenant admin makes themselves super admin and reads every profile (PGlite); a branch checking the role, or no branch asking for the trusted value, is not reported", async () => {
  const text = `CREATE TYPE public.app_role AS ENUM ('user', 'tenant_admin', 'super_admin');
CREATE TABLE public.user_roles (id int PRIMARY KEY, user_id uuid NOT NULL, role public.app_role NOT NULL);
CREATE TABLE public.profiles (id uuid PRIMARY KEY, email text);
ALTER TABLE public.user_roles ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.has_role(u uuid, r public.app_role) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = public, pg_temp AS $$ SELECT EXISTS (SELECT 1 FROM public.user_roles WHERE user_id = u AND role = r) $$;
CREATE POLICY roles_read ON public.user_roles FOR SELECT TO authenticated USING (user_id = (select auth.uid()) OR public.has_role((select auth.uid()), 'super_admin'));
CREATE POLICY roles_update ON public.user_roles FOR UPDATE TO authenticated
  USING (public.has_role((select auth.uid()), 'super_admin') OR public.has_role((select auth.uid()), 'tenant_admin'))
  WITH CHECK (public.has_role((select auth.uid()), 'super_admin') OR public.has_role((select auth.uid()), 'tenant_admin'));
CREATE POLICY profiles_read ON public.profiles FOR SELECT TO authenticated USING (id = (select auth.uid()) OR public.has_role((select auth.uid()), 'super_admin'));
`;
  const file = 'supabase/migrations/20240101000000_roles.sql';
  const { ws, mine } = lintFiles([{ file, text }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'roles_update');
  assert.match(mine[0]!.message, /lets holders of role = 'tenant_admin' \(through public\.has_role\(uuid, app_role\)\) write rows of it without checking role: .* so a holder of 'tenant_admin' can change the role of a row of public\.user_roles the policy lets them update to 'super_admin'/);
  const checked = text.replace("WITH CHECK (public.has_role((select auth.uid()), 'super_admin') OR public.has_role((select auth.uid()), 'tenant_admin'))", "WITH CHECK (public.has_role((select auth.uid()), 'super_admin') OR (public.has_role((select auth.uid()), 'tenant_admin') AND role <> 'super_admin'))");
  assert.notEqual(checked, text);
  assert.deepEqual(lintFiles([{ file, text: checked }], ID).mine, []);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, ws);
    await q(`INSERT INTO public.user_roles VALUES (1, '${TENANT_A}', 'tenant_admin'); INSERT INTO public.profiles VALUES ('${TENANT_A}', 'a@x'), ('${TENANT_B}', 'b@x')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.deepEqual(await q('SELECT email FROM public.profiles ORDER BY email'), [{ email: 'a@x' }]);
    await q(`UPDATE public.user_roles SET role = 'super_admin' WHERE id = 1`);
    assert.deepEqual(await q('SELECT email FROM public.profiles ORDER BY email'), [{ email: 'a@x' }, { email: 'b@x' }], 'every profile');
  });
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, lintFiles([{ file, text: checked }], ID).ws);
    await q(`INSERT INTO public.user_roles VALUES (1, '${TENANT_A}', 'tenant_admin')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    await expectPgError(q(`UPDATE public.user_roles SET role = 'super_admin' WHERE id = 1`), '42501');
  });
});

test("err: an invitation check that limits the org but not the role (Invalid example 3): user A, invited to org 2 as a member, joins it as admin and deletes its document (PGlite); the Valid example, whose invitation names the role, refuses the admin row with 42501 and admits the member row", async () => {
  const { ws, finding } = invalidFinding(ID, 2);
  assert.equal(textAt(ws, finding), 'members_join');
  assert.match(
    finding.message,
    /^Policy "members_join" on public\.org_members lets authenticated write their own rows of it checking the org_id but not the role: policy "documents_admin_delete" on public\.documents trusts public\.org_members \(it admits a row when public\.org_members has a row with its org_id, the caller's user_id and role = 'admin'\), so a user can insert their row of public\.org_members with the org_id of a group the check admits them to \(one they are invited to, say\) and role = 'admin', and then delete the rows of public\.documents that policy admits to holders of role = 'admin'/,
  );
  const invited = async (q: Q, w: Workspace) => {
    await onSupabase(q, w);
    await q(`INSERT INTO public.invitations VALUES (2, 'a@example.com', 'member'); INSERT INTO public.documents VALUES (20, 2, 'theirs')`);
    await q(actAs(TENANT_A, { email: 'a@example.com' }));
    await q('SET ROLE authenticated');
  };
  await inRollback(await getDb(), async (q) => {
    await invited(q, ws);
    await q(`INSERT INTO public.org_members VALUES (2, '${TENANT_A}', 'admin')`);
    assert.deepEqual(await q('DELETE FROM public.documents RETURNING title'), [{ title: 'theirs' }], "org 2's document, deleted by a member-invitee");
  });
  const valid = lintDocExample(ID, 'valid', 2);
  assert.deepEqual(valid.mine, []);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await invited(q, valid.ws);
    await expectPgError(q(`INSERT INTO public.org_members VALUES (2, '${TENANT_A}', 'admin')`), '42501', 'row-level security');
  });
  await inRollback(db, async (q) => {
    await invited(q, valid.ws);
    await q(`INSERT INTO public.org_members VALUES (2, '${TENANT_A}', 'member')`);
    assert.equal(await count(q, 'public.documents'), 1, 'joined as invited: reads');
    assert.deepEqual(await q('DELETE FROM public.documents RETURNING title'), [], 'but deletes nothing');
  });
});

test("err/ok (lint): the role left free behind a membership helper (UPDATE of one's own row: is_member(org_id) keeps the org, not the role) is reported; an INSERT whose check needs a row of the same table (already a member) is not; a check naming the role, a NOT EXISTS (the founder of a new org) or a value the trusting policy asks for that names no administrator are not", () => {
  const base = (check: string, cmd = 'INSERT', trusted = 'admin') => `CREATE TABLE public.org_members (org_id bigint NOT NULL, user_id uuid NOT NULL, role text NOT NULL DEFAULT 'member', PRIMARY KEY (org_id, user_id));
CREATE TABLE public.documents (id bigint PRIMARY KEY, org_id bigint NOT NULL, title text NOT NULL);
ALTER TABLE public.org_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.documents ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.is_member(o bigint) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS
  $$ SELECT EXISTS (SELECT 1 FROM public.org_members WHERE org_id = o AND user_id = (select auth.uid())) $$;
CREATE POLICY members_read ON public.org_members FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE POLICY members_write ON public.org_members FOR ${cmd} TO authenticated ${cmd === 'UPDATE' ? 'USING (user_id = (select auth.uid())) ' : ''}WITH CHECK (${check});
CREATE POLICY documents_member ON public.documents FOR SELECT TO authenticated USING (public.is_member(org_id));
CREATE POLICY documents_admin ON public.documents FOR DELETE TO authenticated
  USING (EXISTS (SELECT 1 FROM public.org_members m WHERE m.org_id = documents.org_id AND m.user_id = (select auth.uid()) AND m.role = '${trusted}'));
`;
  const file = 'supabase/migrations/20240101000000_orgs.sql';
  const lint = (text: string) => lintFiles([{ file, text }], ID).mine;
  const update = lint(base('user_id = (select auth.uid()) AND public.is_member(org_id)', 'UPDATE'));
  assert.equal(update.length, 1);
  assert.match(update[0]!.message, /so a user can change the role of their own row of public\.org_members to 'admin'/);
  assert.deepEqual(lint(base('user_id = (select auth.uid()) AND public.is_member(org_id)')), [], 'INSERT: already a member of that org');
  assert.deepEqual(lint(base("user_id = (select auth.uid()) AND public.is_member(org_id) AND role = 'member'", 'UPDATE')), []);
  assert.deepEqual(lint(base('user_id = (select auth.uid()) AND NOT EXISTS (SELECT 1 FROM public.documents d WHERE d.org_id = org_members.org_id)')), []);
  assert.deepEqual(lint(base('user_id = (select auth.uid()) AND public.is_member(org_id)', 'UPDATE', 'viewer')), []);
  // the group's own row, owned by the caller (nowadaysagency's "Creator can add first member"): its creator makes themselves its owner
  const orgs = (t: string) => t.replace('CREATE TABLE public.documents', 'CREATE TABLE public.orgs (id bigint PRIMARY KEY, created_by uuid NOT NULL);\nCREATE POLICY orgs_create ON public.orgs FOR INSERT TO authenticated WITH CHECK (created_by = (select auth.uid()));\nCREATE TABLE public.documents');
  assert.deepEqual(lint(orgs(base('user_id = (select auth.uid()) AND EXISTS (SELECT 1 FROM public.orgs o WHERE o.id = org_members.org_id AND o.created_by = (select auth.uid()))'))), []);
  assert.deepEqual(lint(orgs(base('user_id = (select auth.uid()) AND org_id IN (SELECT id FROM public.orgs WHERE created_by = (select auth.uid()))'))), []);
  assert.equal(lint(orgs(base('user_id = (select auth.uid()) AND EXISTS (SELECT 1 FROM public.orgs o WHERE o.id = org_members.org_id)'))).length, 1, 'any existing org: reported');
  const creator = "CREATE FUNCTION public.is_org_creator(o bigint) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$ SELECT EXISTS (SELECT 1 FROM public.orgs WHERE id = o AND created_by = (select auth.uid())) $$;\n";
  assert.deepEqual(lint(orgs(base('user_id = (select auth.uid()) AND public.is_org_creator(org_id)')).replace('CREATE POLICY members_read', () => creator + 'CREATE POLICY members_read')), []);
  // a list of values (produtive's `tm.role in ('owner', 'admin')`): holding any of them passes
  const listed = (values: string) => lint(base('user_id = (select auth.uid()) AND public.is_member(org_id)', 'UPDATE').replace("m.role = 'admin'", `m.role IN (${values})`));
  assert.match(listed("'owner', 'admin'")[0]?.message ?? '', /change the role of their own row of public\.org_members to 'owner'/);
  assert.match(lint(base('user_id = (select auth.uid()) AND public.is_member(org_id)', 'UPDATE').replace("m.role = 'admin'", "m.role = ANY (ARRAY['admin', 'owner'])"))[0]?.message ?? '', /to 'admin'/);
  assert.deepEqual(listed("'member', 'admin'"), [], 'a member already holds one of them');
});

test("err (lint): a helper matching the group to what the policy passes from another table (produtive's check_team_admin(t.team_id, auth.uid()) inside EXISTS over tasks) trusts the role only for that group: the message says so", () => {
  const text = `CREATE TABLE public.team_members (team_id uuid NOT NULL, user_id uuid NOT NULL, role text NOT NULL DEFAULT 'member', PRIMARY KEY (team_id, user_id));
CREATE TABLE public.tasks (id uuid PRIMARY KEY, team_id uuid NOT NULL);
CREATE TABLE public.subtasks (id uuid PRIMARY KEY, task_id uuid NOT NULL);
ALTER TABLE public.team_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.subtasks ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.check_team_admin(team_uuid uuid, user_uuid uuid) RETURNS boolean LANGUAGE sql SECURITY DEFINER SET search_path = '' AS
  $$ SELECT EXISTS (SELECT 1 FROM public.team_members tm WHERE tm.team_id = team_uuid AND tm.user_id = user_uuid AND tm.role IN ('owner', 'admin')) $$;
CREATE POLICY members_read ON public.team_members FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE POLICY members_update ON public.team_members FOR UPDATE TO authenticated USING (user_id = (select auth.uid()));
CREATE POLICY subtasks_delete ON public.subtasks FOR DELETE TO authenticated
  USING (EXISTS (SELECT 1 FROM public.tasks t WHERE t.id = task_id AND public.check_team_admin(t.team_id, (select auth.uid()))));
`;
  const { mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_teams.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.match(
    mine[0]!.message,
    /has a row with the caller's user_id, role = 'owner' and the team_id it asks for\), so a user can change the role of their own row of public\.team_members to 'owner', and then delete the rows of public\.subtasks that policy admits to holders of role = 'owner' for the team_id of that row/,
  );
});

// Calibration (wetraineducattiontech's crm_users_insert_service): a write policy TO service_role,
// a role with BYPASSRLS, gives that role nothing it lacks, and no end user acts as it.
test('ok (lint): a write policy for a role that bypasses row-level security (TO service_role WITH CHECK (true)) is not reported', () => {
  const text = `create table public.crm_users (id uuid primary key, crm_role text not null default 'AGENT');
alter table public.crm_users enable row level security;
grant select, insert, update, delete on public.crm_users to authenticated, service_role;
create function public.is_crm_admin() returns boolean language sql stable security definer set search_path = public, pg_temp as $$
  select exists (select 1 from public.crm_users where id = auth.uid() and crm_role = 'ADMIN') $$;
create policy crm_select_own on public.crm_users for select to authenticated using (id = (select auth.uid()));
create policy crm_admin_all on public.crm_users for all using ((select public.is_crm_admin()));
create policy crm_users_insert_service on public.crm_users for insert to service_role with check (true);
`;
  const file = 'supabase/migrations/20240101000000_crm.sql';
  assert.deepEqual(lintFiles([{ file, text }], ID).mine, []);
  // the same policy for authenticated is reported
  assert.equal(lintFiles([{ file, text: text.replace('for insert to service_role', 'for insert to authenticated') }], ID).mine.length, 1);
});

test("err: an invitation lookup that does not name the caller (EXISTS (… invitations i WHERE i.org_id = org_members.org_id AND i.accepted_at IS NULL), invitations read by token: Invalid example 4): user A joins org 2 through user B's invitation and reads its document (PGlite); the Valid example, tied to the caller's email, refuses it with 42501 and admits A's own invitation", async () => {
  const { ws, finding } = invalidFinding(ID, 3);
  assert.equal(textAt(ws, finding), 'members_join');
  assert.match(finding.message, /checking only their user_id against who the caller is and that public\.invitations has a row for the org_id \(any row: that lookup's conditions do not name the caller\)/);
  assert.match(finding.message, /insert a row of public\.org_members with their own user_id and the org_id of any row of public\.invitations those conditions accept \(an invitation sent to someone else, say\)/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await orgs(q, ws);
    await q('RESET ROLE');
    await q(`INSERT INTO public.invitations (org_id, email) VALUES (2, 'b@example.com')`);
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.documents'), 1, 'before: only org 1');
    await q(`INSERT INTO public.org_members VALUES (2, '${TENANT_A}')`);
    assert.equal(await count(q, 'public.documents'), 2, "after joining through B's invitation: org 2's document too");
  });
  const valid = lintDocExample(ID, 'valid', 3);
  assert.equal(valid.mine.length, 0);
  await inRollback(db, async (q) => {
    await orgs(q, valid.ws);
    await q('RESET ROLE');
    await q(`INSERT INTO public.invitations (org_id, email) VALUES (2, 'b@example.com'), (3, 'a@example.com')`);
    await q('SET ROLE authenticated');
    await expectPgError(q(`INSERT INTO public.org_members VALUES (2, '${TENANT_A}')`), '42501', 'row-level security');
  });
  await inRollback(db, async (q) => {
    await orgs(q, valid.ws);
    await q('RESET ROLE');
    await q(`INSERT INTO public.invitations (org_id, email) VALUES (3, 'a@example.com')`);
    await q('SET ROLE authenticated');
    await q(`INSERT INTO public.org_members VALUES (3, '${TENANT_A}')`);
  });
  // an invitee-only SELECT policy ties the same lookup to the caller: not reported
  const tied = sqlOf(ws).replace('FOR SELECT TO anon, authenticated USING (true)', "FOR SELECT TO authenticated USING (email = (select auth.jwt() ->> 'email'))");
  assert.deepEqual(lintFiles([{ file: 'supabase/migrations/20240101000000_invitations.sql', text: tied }], ID).mine, []);
  await inRollback(db, async (q) => {
    await onSupabase(q, lintFiles([{ file: 'supabase/migrations/20240101000000_invitations.sql', text: tied }], ID).ws);
    await q(`INSERT INTO public.invitations (org_id, email) VALUES (2, 'b@example.com')`);
    await q(actAs(TENANT_A, { email: 'a@example.com' }));
    await q('SET ROLE authenticated');
    await expectPgError(q(`INSERT INTO public.org_members VALUES (2, '${TENANT_A}')`), '42501', 'row-level security');
  });
});

// Calibration (debt-manager's users_lists_insert_initial): "only the first member of a list may
// add themselves", written as a NOT EXISTS of the membership table. The sub-select reads members
// through members' own SELECT policies, which show the caller only their rows: for any list they
// are not in it finds nothing, and they join it (measured on PGlite, below). (Written with a
// sub-select, `user_id = (select cur_user())`, that SELECT policy would make the INSERT fail with
// 42P17 instead, T31: policy-recursion's finding, not this one.)
test('err: a "no member yet" NOT EXISTS read through SELECT policies that hide other groups lets a user join any group; with a SELECT policy showing every row the guard holds (PGlite both ways)', async () => {
  const base = (readAll: boolean) => `CREATE ROLE app_user;
CREATE FUNCTION cur_user() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT nullif(current_setting('app.user_id', true), '')::uuid $$;
CREATE TABLE lists (id uuid PRIMARY KEY, title text NOT NULL);
CREATE TABLE members (list_id uuid NOT NULL REFERENCES lists, user_id uuid NOT NULL, PRIMARY KEY (list_id, user_id));
CREATE INDEX ON members (user_id);
ALTER TABLE lists ENABLE ROW LEVEL SECURITY;
ALTER TABLE lists FORCE ROW LEVEL SECURITY;
ALTER TABLE members ENABLE ROW LEVEL SECURITY;
ALTER TABLE members FORCE ROW LEVEL SECURITY;
GRANT SELECT ON lists TO app_user;
GRANT SELECT, INSERT ON members TO app_user;
CREATE POLICY members_read ON members FOR SELECT TO app_user USING (${readAll ? 'true' : 'user_id = cur_user()'});
CREATE POLICY members_first ON members FOR INSERT TO app_user
  WITH CHECK (user_id = (select cur_user()) AND NOT EXISTS (SELECT 1 FROM members m2 WHERE m2.list_id = members.list_id));
CREATE POLICY lists_member ON lists FOR SELECT TO app_user
  USING (EXISTS (SELECT 1 FROM members m WHERE m.list_id = lists.id AND m.user_id = (select cur_user())));
`;
  const { mine } = lintFiles([{ file: 'db/1.sql', text: base(false) }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^Policy "members_first" on public\.members lets app_user write rows of it checking only their user_id against who the caller is \(its NOT EXISTS looks for any row of that list_id, but reads public\.members through its own SELECT policies, which show the caller only their own rows and those of their list_ids: it finds none for a list_id they are not in/);
  assert.match(mine[0]!.message, /Ask whether the list_id has members through a SECURITY DEFINER function/);
  assert.deepEqual(lintFiles([{ file: 'db/1.sql', text: base(true) }], ID).mine, []);
  const join = async (readAll: boolean) =>
    inRollback(await getDb(), async (q) => {
      await q(base(readAll));
      await q(`INSERT INTO lists VALUES ('${TENANT_B}', 'bob''s'); INSERT INTO members VALUES ('${TENANT_B}', '${TENANT_B}')`);
      await q(`SELECT set_config('app.user_id', '${TENANT_A}', true)`);
      await q('SET ROLE app_user');
      const before = await count(q, 'lists');
      const r = await tryQuery(q, `INSERT INTO members VALUES ('${TENANT_B}', '${TENANT_A}')`);
      return { before, joined: r.ok, after: r.ok ? await count(q, 'lists') : before, code: r.ok ? undefined : r.error.code };
    });
  assert.deepEqual(await join(false), { before: 0, joined: true, after: 1, code: undefined });
  assert.deepEqual(await join(true), { before: 0, joined: false, after: 0, code: '42501' });
});

// Calibration (paynless' organization_members): a lookup of another table whose SELECT policies
// ask nothing of the caller (`deleted_at IS NULL`: every live org) is open to every caller; only a
// lookup every row of which the caller could read was taken as open.
test('err: an UPDATE whose lookup reads a table whose SELECT policies show the same rows to everyone (live orgs) lets a user move their membership to any such org (PGlite); one whose SELECT policies ask for the caller is not reported', async () => {
  const text = (orgsRead: string) => `create table public.orgs (id uuid primary key, deleted_at timestamptz);
create table public.members (org_id uuid not null references public.orgs, user_id uuid not null, role text not null);
create index on public.members (user_id);
create table public.docs (id uuid primary key, org_id uuid not null);
alter table public.orgs enable row level security; alter table public.members enable row level security; alter table public.docs enable row level security;
grant select on public.orgs, public.docs to authenticated;
grant select, update on public.members to authenticated;
create policy orgs_sel on public.orgs for select to authenticated using (${orgsRead});
create policy mem_sel on public.members for select to authenticated using (user_id = (select auth.uid()));
create policy docs_sel on public.docs for select to authenticated using (org_id in (select m.org_id from public.members m where m.user_id = (select auth.uid())));
create policy mem_upd on public.members for update to authenticated using (user_id = (select auth.uid()) and exists (select 1 from public.orgs o where o.id = members.org_id and o.deleted_at is null));
`;
  const open = text('deleted_at is null');
  const { mine } = lintFiles([{ file: 'supabase/migrations/20250101000000_orgs.sql', text: open }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^Policy "mem_upd" on public\.members lets authenticated write rows of it checking only their user_id against who the caller is and that public\.orgs has a row for the org_id/);
  assert.match(mine[0]!.message, /change the org_id of their own row of public\.members to that of any such row/);
  const mineOnly = text('exists (select 1 from public.members m where m.org_id = orgs.id and m.user_id = (select auth.uid()))');
  assert.deepEqual(lintFiles([{ file: 'supabase/migrations/20250101000000_orgs.sql', text: mineOnly }], ID).mine, []);
  const A = '00000000-0000-0000-0000-0000000000a1';
  const B = '00000000-0000-0000-0000-0000000000b1';
  await inRollback(await getDb(), async (q) => {
    await q(AUTH_STUB_SQL);
    await q(open);
    await q(`insert into public.orgs values ('${A}', null), ('${B}', null); insert into public.members values ('${A}', '${TENANT_A}', 'member'), ('${B}', '${TENANT_B}', 'owner'); insert into public.docs values ('${TENANT_B}', '${B}')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.docs'), 0);
    await q(`update public.members set org_id = '${B}', role = 'admin'`);
    assert.equal(await count(q, 'public.docs'), 1, "A reads org B's document");
  });
});

test("err/ok: org_id kept from users (column privileges, a trigger) but not role: user A makes themselves admin of org 1 and reads its admins' secret; keeping role out too silences it", async () => {
  const file = 'supabase/migrations/20240101000000_members.sql';
  const base = `CREATE TABLE public.members (org_id bigint NOT NULL, user_id uuid NOT NULL, role text NOT NULL DEFAULT 'member', nickname text, PRIMARY KEY (org_id, user_id));
ALTER TABLE public.members ENABLE ROW LEVEL SECURITY;
CREATE POLICY members_read ON public.members FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE POLICY members_update_own ON public.members FOR UPDATE TO authenticated USING (user_id = (select auth.uid()));
CREATE TABLE public.secrets (id bigint PRIMARY KEY, org_id bigint NOT NULL, body text);
ALTER TABLE public.secrets ENABLE ROW LEVEL SECURITY;
CREATE POLICY secrets_admins ON public.secrets FOR SELECT TO authenticated
  USING (EXISTS (SELECT 1 FROM public.members m WHERE m.org_id = secrets.org_id AND m.user_id = (select auth.uid()) AND m.role = 'admin'));
`;
  const grants = `${base}REVOKE UPDATE ON public.members FROM authenticated;\nGRANT UPDATE (role, nickname) ON public.members TO authenticated;\n`;
  const linted = lintFiles([{ file, text: grants }], ID);
  assert.equal(linted.mine.length, 1);
  const [f] = linted.mine;
  assert.equal(textAt(linted.ws, f!), 'members_update_own');
  assert.match(
    f!.message,
    /^Policy "members_update_own" on public\.members lets authenticated update their own rows of it, checking only their user_id; what keeps them from changing the org_id \(the column privileges: GRANT UPDATE \(role, nickname\)\) leaves the role open: .* a user can change the role of their own row of public\.members to 'admin', and then get the rows of public\.secrets that policy admits to holders of role = 'admin', which they were never given\. Keep role out of what users may update too/,
  );
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, linted.ws);
    await q(`INSERT INTO public.members VALUES (1, '${TENANT_A}', 'member'); INSERT INTO public.secrets VALUES (10, 1, 'org 1 admins only')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.secrets'), 0);
    const moved = await tryQuery(q, `UPDATE public.members SET org_id = 2 WHERE user_id = '${TENANT_A}'`);
    assert.equal(!moved.ok && moved.error.code, '42501', 'org_id is kept from them');
    await q(`UPDATE public.members SET role = 'admin' WHERE user_id = '${TENANT_A}'`);
    assert.equal(await count(q, 'public.secrets'), 1, "org 1's admins' secret");
  });
  // a trigger keeping org_id: the same; one keeping role too, or a grant without role: nothing
  const trigger = (body: string) =>
    `${base}CREATE FUNCTION public.members_keep() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ${body} RETURN NEW; END $$;\nCREATE TRIGGER members_keep BEFORE UPDATE ON public.members FOR EACH ROW EXECUTE FUNCTION public.members_keep();\n`;
  const keepsOrg = lintFiles([{ file, text: trigger('NEW.org_id := OLD.org_id;') }], ID).mine;
  assert.equal(keepsOrg.length, 1);
  assert.match(keepsOrg[0]!.message, /what keeps them from changing the org_id \(trigger members_keep\) leaves the role open/);
  assert.equal(lintFiles([{ file, text: trigger('NEW.org_id := OLD.org_id; NEW.role := OLD.role;') }], ID).mine.length, 0);
  assert.equal(lintFiles([{ file, text: grants.replace('GRANT UPDATE (role, nickname)', 'GRANT UPDATE (nickname)') }], ID).mine.length, 0);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, lintFiles([{ file, text: grants.replace('GRANT UPDATE (role, nickname)', 'GRANT UPDATE (nickname)') }], ID).ws);
    await q(`INSERT INTO public.members VALUES (1, '${TENANT_A}', 'member')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    await expectPgError(q(`UPDATE public.members SET role = 'admin' WHERE user_id = '${TENANT_A}'`), '42501');
  });
});

test("err: a SECURITY DEFINER helper returning the caller's conversations (`conversation_id IN (SELECT my_conversation_ids())`, stfrancis): user A moves their participant row into conversation 2 and reads its messages", async () => {
  const file = 'supabase/migrations/20240101000000_chat.sql';
  const text = `CREATE TABLE public.conversation_participants (conversation_id bigint NOT NULL, user_id uuid NOT NULL, PRIMARY KEY (conversation_id, user_id));
CREATE TABLE public.messages (id bigint PRIMARY KEY, conversation_id bigint NOT NULL, content text);
ALTER TABLE public.conversation_participants ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.messages ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.conversation_ids_of(uid uuid) RETURNS SETOF bigint LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT conversation_id FROM public.conversation_participants WHERE user_id = uid $$;
CREATE POLICY cp_read ON public.conversation_participants FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE POLICY cp_update_own ON public.conversation_participants FOR UPDATE TO authenticated USING (user_id = (select auth.uid()));
CREATE POLICY msg_read ON public.messages FOR SELECT TO authenticated USING (conversation_id IN (SELECT public.conversation_ids_of((select auth.uid()))));
`;
  const linted = lintFiles([{ file, text }], ID);
  assert.equal(linted.mine.length, 1);
  assert.equal(textAt(linted.ws, linted.mine[0]!), 'cp_update_own');
  assert.match(linted.mine[0]!.message, /read through function public\.conversation_ids_of\(uuid\), has a row with its conversation_id and the caller's user_id\), so a user can change the conversation_id of their own row of public\.conversation_participants to any value/);
  // (the set read from the function in FROM: the same)
  const from = text.replace('IN (SELECT public.conversation_ids_of((select auth.uid())))', 'IN (SELECT c FROM public.conversation_ids_of((select auth.uid())) c)');
  assert.equal(lintFiles([{ file, text: from }], ID).mine.length, 1);
  // (a helper's set compared with another user's id: not the caller's memberships)
  assert.equal(lintFiles([{ file, text: text.replace('conversation_ids_of((select auth.uid()))', "conversation_ids_of('00000000-0000-0000-0000-000000000001')") }], ID).mine.length, 0);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, linted.ws);
    await q(`INSERT INTO public.conversation_participants VALUES (1, '${TENANT_A}'), (2, '${TENANT_B}'); INSERT INTO public.messages VALUES (10, 1, 'ours'), (20, 2, 'theirs')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.deepEqual(await q('SELECT content FROM public.messages'), [{ content: 'ours' }]);
    await q(`UPDATE public.conversation_participants SET conversation_id = 2 WHERE user_id = '${TENANT_A}'`);
    assert.deepEqual(await q('SELECT content FROM public.messages'), [{ content: 'theirs' }]);
  });
});

test("err (message): where the membership table's SELECT policies show a row through its group only (fulbo's players), the move works through an UPDATE that reads no column, and one with a WHERE fails (42501): the message says so", async () => {
  const file = 'supabase/migrations/20240101000000_players.sql';
  const text = `CREATE TABLE public.players (group_id bigint NOT NULL, user_id uuid NOT NULL, PRIMARY KEY (group_id, user_id));
CREATE TABLE public.matches (id bigint PRIMARY KEY, group_id bigint NOT NULL, score text);
ALTER TABLE public.players ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.matches ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.my_groups() RETURNS SETOF bigint LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT group_id FROM public.players WHERE user_id = (select auth.uid()) $$;
CREATE POLICY players_read ON public.players FOR SELECT TO authenticated USING (group_id IN (SELECT public.my_groups()));
CREATE POLICY players_update ON public.players FOR UPDATE TO authenticated USING (user_id = (select auth.uid()));
CREATE POLICY matches_read ON public.matches FOR SELECT TO authenticated USING (group_id IN (SELECT public.my_groups()));
`;
  const linted = lintFiles([{ file, text }], ID);
  assert.equal(linted.mine.length, 1);
  assert.match(
    linted.mine[0]!.message,
    /a user can change the group_id of their own row of public\.players to any value \(through an UPDATE that reads no column, with no WHERE nor RETURNING, which changes every row of theirs the policy lets them update: one that reads a column has its new row checked against the SELECT policies of public\.players, which admit a row through its group_id only, and fails with 42501\)/,
  );
  // (a SELECT policy showing the caller their own row: no such clause)
  const own = text.replace('USING (group_id IN (SELECT public.my_groups()));\nCREATE POLICY players_update', 'USING (user_id = (select auth.uid()) OR group_id IN (SELECT public.my_groups()));\nCREATE POLICY players_update');
  assert.notEqual(own, text);
  assert.doesNotMatch(lintFiles([{ file, text: own }], ID).mine[0]!.message, /reads no column/);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, linted.ws);
    await q(`INSERT INTO public.players VALUES (1, '${TENANT_A}'), (2, '${TENANT_B}'); INSERT INTO public.matches VALUES (10, 1, 'ours'), (20, 2, 'theirs')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    const where = await tryQuery(q, `UPDATE public.players SET group_id = 2 WHERE user_id = '${TENANT_A}'`);
    assert.equal(!where.ok && where.error.code, '42501', 'with a WHERE: the new row fails the SELECT policy');
    assert.deepEqual(await q('SELECT score FROM public.matches'), [{ score: 'ours' }]);
    await q('UPDATE public.players SET group_id = 2');
    assert.deepEqual(await q('SELECT score FROM public.matches'), [{ score: 'theirs' }]);
  });
});

test("err (message): where no SELECT policy of the membership table applies to the writers (territoires-en-transitions' utilisateur_support), an UPDATE reading a column updates 0 rows without an error, one reading none moves the row: the message says so, not 42501", async () => {
  const file = 'supabase/migrations/20240101000000_support.sql';
  const text = `CREATE TABLE public.utilisateur_support (user_id uuid PRIMARY KEY, support boolean NOT NULL DEFAULT false);
ALTER TABLE public.utilisateur_support ENABLE ROW LEVEL SECURITY;
CREATE POLICY allow_read ON public.utilisateur_support FOR UPDATE USING (user_id = (select auth.uid()));
CREATE FUNCTION public.est_support() RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT support FROM public.utilisateur_support WHERE user_id = (select auth.uid()) $$;
CREATE TABLE public.membre (id bigint PRIMARY KEY, email text);
ALTER TABLE public.membre ENABLE ROW LEVEL SECURITY;
CREATE POLICY allow_read ON public.membre FOR SELECT TO authenticated USING ((select public.est_support()));
`;
  const linted = lintFiles([{ file, text }], ID);
  assert.equal(linted.mine.length, 1);
  assert.match(
    linted.mine[0]!.message,
    /a user can change the support of their own row of public\.utilisateur_support to true \(through an UPDATE that reads no column, with no WHERE nor RETURNING, which changes every row of theirs the policy lets them update: no SELECT policy of public\.utilisateur_support applies to them, so one that reads a column reaches no row and updates nothing, without an error, T26\)/,
  );
  assert.doesNotMatch(linted.mine[0]!.message, /42501/);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, linted.ws);
    await q(`INSERT INTO public.utilisateur_support VALUES ('${TENANT_A}', false), ('${TENANT_B}', false); INSERT INTO public.membre VALUES (1, 'b@example.com')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.membre'), 0);
    assert.equal(await affected(q, `UPDATE public.utilisateur_support SET support = true WHERE user_id = '${TENANT_A}'`), 0, 'with a WHERE: no row, no error');
    assert.equal(await affected(q, 'UPDATE public.utilisateur_support SET support = true RETURNING user_id'), 0, 'with RETURNING: no row either');
    assert.equal(await count(q, 'public.membre'), 0);
    assert.equal(await affected(q, 'UPDATE public.utilisateur_support SET support = true'), 1, 'reading no column: their own row');
    assert.equal(await count(q, 'public.membre'), 1, 'now a support user: every membre');
  });
});

/** xbradpig/ChurchThrive's members and sermons, each read through get_my_church_id(): the church of the caller's active row. */
const CHURCH = `CREATE TABLE public.members (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), church_id bigint NOT NULL, user_id uuid, role text NOT NULL DEFAULT 'member', status text NOT NULL DEFAULT 'pending');
CREATE TABLE public.sermons (id bigint PRIMARY KEY, church_id bigint NOT NULL, title text);
CREATE INDEX ON public.sermons (church_id);
ALTER TABLE public.members ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.sermons ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.get_my_church_id() RETURNS bigint AS $$
  SELECT church_id FROM public.members WHERE user_id = auth.uid() AND status = 'active' LIMIT 1;
$$ LANGUAGE sql SECURITY DEFINER STABLE SET search_path = '';
CREATE POLICY members_select ON public.members FOR SELECT USING (church_id = public.get_my_church_id());
CREATE POLICY sermons_select ON public.sermons FOR SELECT USING (church_id = public.get_my_church_id());
`;

test("err: a helper returning the caller's group among their rows with a value (xbradpig/ChurchThrive's get_my_church_id(): church_id of the caller's active row) trusts the group column, and an INSERT whose NOT EXISTS asks only that the caller has no active row anywhere lets a new user join any church as an active admin (PGlite: user A, in no church, inserts an active row of church 2 and reads its sermons)", async () => {
  const file = 'supabase/migrations/00018_church_creation_policy.sql';
  const text = `${CHURCH}CREATE POLICY members_insert_church_creator ON public.members FOR INSERT WITH CHECK (
  user_id = auth.uid()
  AND NOT EXISTS (SELECT 1 FROM public.members m WHERE m.user_id = auth.uid() AND m.status = 'active')
  AND role = 'admin'
  AND status = 'active'
);
`;
  const linted = lintFiles([{ file, text }], ID);
  assert.equal(linted.mine.length, 1);
  assert.match(
    linted.mine[0]!.message,
    /^Policy "members_insert_church_creator" on public\.members lets PUBLIC write rows of it checking only their user_id against who the caller is \(its NOT EXISTS asks only that the caller has no such row of public\.members yet, whatever its church_id: true of an account that has none, a new one first, for every church_id\): public\.members is a membership table that policy "sermons_select" on public\.sermons trusts \(it admits a row when public\.members, read through function public\.get_my_church_id\(\), has a row with its church_id, the caller's user_id and status = 'active'\), so a user can insert a row of public\.members with their own user_id and any church_id and status = 'active', and then get the rows of public\.sermons that policy admits for that church_id/,
  );
  // (a NOT EXISTS tying the church: the caller is not in that church yet; the words it had)
  const tied = lintFiles([{ file, text: text.replace('WHERE m.user_id = auth.uid() AND', 'WHERE m.church_id = members.church_id AND m.user_id = auth.uid() AND') }], ID).mine;
  assert.equal(tied.length, 1);
  assert.match(tied[0]!.message, /\(its NOT EXISTS asks only that the caller has no row for that church_id yet, true of every church_id they would join\)/);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, linted.ws);
    await q(`INSERT INTO public.members (church_id, user_id, role, status) VALUES (2, '${TENANT_B}', 'admin', 'active'); INSERT INTO public.sermons VALUES (20, 2, 'theirs')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.sermons'), 0);
    await q(`INSERT INTO public.members (church_id, user_id, role, status) VALUES (2, '${TENANT_A}', 'admin', 'active')`);
    assert.deepEqual(await q('SELECT title FROM public.sermons'), [{ title: 'theirs' }], "church 2's sermon");
  });
});

test("err (message): the other column a write leaves open is named even where its trusting read asks for a value too (xbradpig/ChurchThrive's members_update_self: status = 'active' first, then church_id with status = 'active'); PGlite: an active member's UPDATE … WHERE fails with 42501, one with no WHERE moves them to church 2, whose sermons they then read, a pending member's too", async () => {
  const file = 'supabase/migrations/00015_rls_policies.sql';
  const text = `${CHURCH}CREATE POLICY members_update_self ON public.members FOR UPDATE USING (user_id = auth.uid()) WITH CHECK (user_id = auth.uid());
`;
  const linted = lintFiles([{ file, text }], ID);
  assert.equal(linted.mine.length, 1);
  assert.match(linted.mine[0]!.message, /a user can change the status of their own row of public\.members to 'active'/);
  assert.match(
    linted.mine[0]!.message,
    /It leaves church_id open too: policy "sermons_select" on public\.sermons trusts public\.members \(it admits a row when public\.members, read through function public\.get_my_church_id\(\), has a row with its church_id, the caller's user_id and status = 'active'\), so a user can change the church_id of their own row of public\.members to any value and its status to 'active'/,
  );
  for (const status of ['active', 'pending']) {
    await inRollback(await getDb(), async (q) => {
      await onSupabase(q, linted.ws);
      await q(`INSERT INTO public.members (church_id, user_id, status) VALUES (1, '${TENANT_A}', '${status}'), (2, '${TENANT_B}', 'active'); INSERT INTO public.sermons VALUES (20, 2, 'theirs')`);
      await q(actAs(TENANT_A));
      await q('SET ROLE authenticated');
      const where = await tryQuery(q, `UPDATE public.members SET church_id = 2, status = 'active' WHERE user_id = '${TENANT_A}' RETURNING id`);
      assert.equal(where.ok ? `${where.rows.length} rows` : where.error.code, status === 'active' ? '42501' : '0 rows', status);
      assert.equal(await affected(q, `UPDATE public.members SET church_id = 2, status = 'active'`), 1, status);
      assert.deepEqual(await q('SELECT title FROM public.sermons'), [{ title: 'theirs' }], status);
    });
  }
});

/** Supabase's auth.email(): the email claim of the request (actAs sets it among the claims). */
const AUTH_EMAIL_SQL = `CREATE OR REPLACE FUNCTION auth.email() RETURNS text LANGUAGE sql STABLE AS
  $$ SELECT nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email' $$;`;

/** The platform's defaults with auth.email(), the migrations, a booking of A and one of B; then act as user A (a@x.com). */
async function bookings(q: Q, ws: Workspace): Promise<void> {
  await q(AUTH_STUB_SQL);
  await q(AUTH_EMAIL_SQL);
  await onSupabase(q, ws);
  await q(`INSERT INTO public.bookings VALUES (1, '${TENANT_A}', 'A ride'), (2, '${TENANT_B}', 'B ride')`);
  await q(actAs(TENANT_A, { email: 'a@x.com' }));
  await q('SET ROLE authenticated');
}

test("err: a row whose existence is the privilege (vip-drive-florida's dispatchers, Invalid example 5: FOR ALL USING (email = auth.email()), bookings trusting EXISTS (… WHERE email = auth.email())), or keyed by user_id: user A inserts their own row, then reads and deletes user B's booking (PGlite)", async () => {
  const { ws, finding } = invalidFinding(ID, 4);
  assert.equal(textAt(ws, finding), '"Only dispatchers can access dispatcher table"');
  assert.match(
    finding.message,
    /^Policy "Only dispatchers can access dispatcher table" on public\.dispatchers lets authenticated insert their own row of it checking only their email against who the caller is \(it has no WITH CHECK, so its USING checks new rows\), and having such a row is a privilege: policy "Dispatchers can access all bookings" on public\.bookings admits other users' rows to whoever has a row of public\.dispatchers with their own email .* any user can insert a row of public\.dispatchers with their own email and then read and change the rows of public\.bookings that "Dispatchers can access all bookings" admits, which they were never given\./,
  );
  assert.equal(finding.related?.length, 1);
  await inRollback(await getDb(), async (q) => {
    await bookings(q, ws);
    assert.deepEqual(await q('SELECT note FROM public.bookings ORDER BY id'), [{ note: 'A ride' }]);
    await q(`INSERT INTO public.dispatchers (email, full_name) VALUES ('a@x.com', 'A')`);
    assert.deepEqual(await q('SELECT note FROM public.bookings ORDER BY id'), [{ note: 'A ride' }, { note: 'B ride' }]);
    assert.deepEqual(await q('DELETE FROM public.bookings WHERE id = 2 RETURNING id'), [{ id: 2 }], "B's booking deleted");
  });
  // (keyed by user_id = auth.uid(), trusted through EXISTS or through `auth.uid() IN (SELECT user_id …)`)
  const base = ws.text(ws.files()[0]!)!;
  const byUser = base
    .replace('email text UNIQUE NOT NULL', 'user_id uuid UNIQUE NOT NULL')
    .replace('USING ((select auth.email()) = email)', 'USING (user_id = (select auth.uid()))')
    .replace('WHERE email = (select auth.email())', 'WHERE user_id = (select auth.uid())');
  const byIn = byUser.replace('EXISTS (SELECT 1 FROM public.dispatchers WHERE user_id = (select auth.uid()))', '(select auth.uid()) IN (SELECT user_id FROM public.dispatchers)');
  assert.notEqual(byIn, byUser);
  for (const text of [byUser, byIn]) {
    const linted = lintFiles([{ file: ws.files()[0]!, text }], ID);
    assert.equal(linted.mine.length, 1);
    assert.match(linted.mine[0]!.message, /checking only their user_id against who the caller is/);
    await inRollback(await getDb(), async (q) => {
      await bookings(q, linted.ws);
      assert.equal(await count(q, 'public.bookings'), 1);
      await q(`INSERT INTO public.dispatchers (user_id, full_name) VALUES ('${TENANT_A}', 'A')`);
      assert.equal(await count(q, 'public.bookings'), 2, "B's booking too");
    });
  }
});

test("ok: a row made only by a trusted path (no INSERT policy: Valid example 5; or a WITH CHECK asking for an invitation or an admin), writers who cannot see their row (INSERT only: the EXISTS never finds it), a trusting condition tied to the caller's own rows, or a row every account gets at sign-up: not reported (PGlite: 42501, and no other booking)", async () => {
  const valid = lintDocExample(ID, 'valid', 4);
  assert.equal(valid.mine.length, 0);
  await inRollback(await getDb(), async (q) => {
    await bookings(q, valid.ws);
    await expectPgError(q(`INSERT INTO public.dispatchers (email, full_name) VALUES ('a@x.com', 'A')`), '42501', 'row-level security');
  });
  const { ws } = invalidFinding(ID, 4);
  const file = ws.files()[0]!;
  const base = ws.text(file)!;
  const forAll = 'CREATE POLICY "Only dispatchers can access dispatcher table" ON public.dispatchers\n  FOR ALL TO authenticated USING ((select auth.email()) = email);';
  assert.ok(base.includes(forAll));
  const variants: Array<[string, string]> = [
    ['invitation', base.replace(forAll, `CREATE TABLE public.dispatcher_invites (email text PRIMARY KEY);\n${forAll.replace('USING ((select auth.email()) = email);', 'USING ((select auth.email()) = email)\n  WITH CHECK ((select auth.email()) = email AND EXISTS (SELECT 1 FROM public.dispatcher_invites i WHERE i.email = dispatchers.email));')}`)],
    [
      'admin',
      base.replace(
        forAll,
        `CREATE FUNCTION public.is_admin() RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$ SELECT false $$;\n${forAll.replace('USING ((select auth.email()) = email);', 'USING ((select auth.email()) = email)\n  WITH CHECK ((select auth.email()) = email AND (select public.is_admin()));')}`,
      ),
    ],
    ['insert only', base.replace(forAll, 'CREATE POLICY d ON public.dispatchers FOR INSERT TO authenticated WITH CHECK ((select auth.email()) = email);')],
    ['own rows', base.replace('USING (EXISTS (SELECT 1 FROM public.dispatchers', 'USING (passenger_id = (select auth.uid()) AND EXISTS (SELECT 1 FROM public.dispatchers')],
    [
      'sign-up',
      `${base}\nCREATE FUNCTION public.handle_new_user() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$\nBEGIN INSERT INTO public.dispatchers (email, full_name) VALUES (NEW.email, ''); RETURN NEW; END $$;\nCREATE TRIGGER on_auth_user_created AFTER INSERT ON auth.users FOR EACH ROW EXECUTE FUNCTION public.handle_new_user();\n`,
    ],
  ];
  for (const [what, text] of variants) {
    assert.notEqual(text, base, what);
    const linted = lintFiles([{ file, text }], ID);
    assert.equal(linted.mine.length, 0, what);
    if (what !== 'insert only' && what !== 'own rows') continue;
    await inRollback(await getDb(), async (q) => {
      await bookings(q, linted.ws);
      await q(`INSERT INTO public.dispatchers (email, full_name) VALUES ('a@x.com', 'A')`);
      assert.deepEqual(await q('SELECT note FROM public.bookings ORDER BY id'), [{ note: 'A ride' }], `${what}: the row is inserted, no other booking shows`);
    });
  }
  await inRollback(await getDb(), async (q) => {
    await bookings(q, lintFiles([{ file, text: variants[0]![1] }], ID).ws);
    await expectPgError(q(`INSERT INTO public.dispatchers (email, full_name) VALUES ('a@x.com', 'A')`), '42501', 'row-level security');
  });
});

test("err: a helper finding the caller through a parameter DEFAULT (suggest-ai-flow's is_admin(user_id uuid DEFAULT auth.uid()) called as is_admin()), or naming its parameter is_admin.user_id: user A sets role = 'admin' on their own profile and reads B's suggestion (PGlite); a default that is not the caller is not", async () => {
  const file = 'supabase/migrations/20240101000000_admin.sql';
  const text = (param: string, call: string, def = 'auth.uid()') => `CREATE TABLE public.profiles (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), user_id uuid NOT NULL UNIQUE, role text DEFAULT 'user');
CREATE TABLE public.suggestions (id bigint PRIMARY KEY, user_id uuid NOT NULL, title text);
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.suggestions ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.is_admin(user_id uuid DEFAULT ${def}) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  RETURN EXISTS (SELECT 1 FROM profiles WHERE profiles.user_id = ${param} AND profiles.role = 'admin');
END;
$$;
CREATE POLICY own_profile ON public.profiles FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE POLICY upd_profile ON public.profiles FOR UPDATE TO authenticated USING (user_id = (select auth.uid()));
CREATE POLICY own_suggestions ON public.suggestions FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE POLICY admin_all ON public.suggestions FOR SELECT TO authenticated USING (${call});
`;
  for (const [param, call] of [['$1', 'public.is_admin()'], ['is_admin.user_id', 'public.is_admin()'], ['is_admin.user_id', 'public.is_admin((select auth.uid()))']]) {
    const linted = lintFiles([{ file, text: text(param!, call!) }], ID);
    assert.equal(linted.mine.length, 1, `${param} ${call}`);
    assert.match(linted.mine[0]!.message, /a user can change the role of their own row of public\.profiles to 'admin', and then get the rows of public\.suggestions that policy admits to holders of role = 'admin'/);
    await inRollback(await getDb(), async (q) => {
      await onSupabase(q, linted.ws);
      await q(`INSERT INTO public.profiles (user_id) VALUES ('${TENANT_A}'), ('${TENANT_B}'); INSERT INTO public.suggestions VALUES (1, '${TENANT_A}', 'A idea'), (2, '${TENANT_B}', 'B idea')`);
      await q(actAs(TENANT_A));
      await q('SET ROLE authenticated');
      assert.deepEqual(await q('SELECT title FROM public.suggestions ORDER BY id'), [{ title: 'A idea' }]);
      assert.deepEqual(await q(`UPDATE public.profiles SET role = 'admin' WHERE user_id = '${TENANT_A}' RETURNING role`), [{ role: 'admin' }]);
      assert.deepEqual(await q('SELECT title FROM public.suggestions ORDER BY id'), [{ title: 'A idea' }, { title: 'B idea' }], `${param} ${call}`);
    });
  }
  // (a default that is not who calls: is_admin() asks about nobody)
  assert.equal(lintFiles([{ file, text: text('$1', 'public.is_admin()', 'NULL') }], ID).mine.length, 0);
});

test("err: a PL/pgSQL helper testing the role it reads (deploy-vercel's private.can_view(): `SELECT role … INTO r; IF r = 'admin' THEN RETURN true`, or `RETURN r = 'admin'`) trusts role = 'admin', not `role = true`, and an open INSERT gets INSERT advice: Mallory inserts her admin row and reads the victim's profile (PGlite)", async () => {
  const file = 'supabase/migrations/20240404075522_orgs.sql';
  const text = (body: string) => `CREATE SCHEMA private;
CREATE TABLE public.profiles (id uuid PRIMARY KEY, email text);
CREATE TABLE public.user_orgs (user_id uuid NOT NULL, org_id int NOT NULL, role text, PRIMARY KEY (user_id, org_id));
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.user_orgs ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION private.can_view(viewer uuid, target uuid) RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE r text; BEGIN SELECT role FROM public.user_orgs WHERE user_id = viewer INTO r; ${body} END $$;
CREATE POLICY p_sel ON public.profiles FOR SELECT TO authenticated USING ((select auth.uid()) = id OR (select private.can_view(auth.uid(), id)) = true);
CREATE POLICY uo_sel ON public.user_orgs FOR SELECT TO authenticated USING ((select auth.uid()) = user_id);
CREATE POLICY uo_ins ON public.user_orgs FOR INSERT TO authenticated WITH CHECK (true);
`;
  const ifReturn = text("IF r = 'admin' THEN RETURN true; END IF; RETURN false;");
  for (const t of [ifReturn, text("RETURN r = 'admin';")]) {
    const { mine } = lintFiles([{ file, text: t }], ID);
    assert.equal(mine.length, 1);
    assert.match(mine[0]!.message, /read through function private\.can_view\(uuid, uuid\), has a row with the caller's user_id and role = 'admin'\), so a user can insert a row of public\.user_orgs with their own user_id and role = 'admin'/);
    assert.match(mine[0]!.message, /Check role in the WITH CHECK too/);
    assert.doesNotMatch(mine[0]!.message, /role = true|GRANT UPDATE/);
  }
  // (a test that returns something else than true for the value is not taken as trusting it)
  assert.doesNotMatch(lintFiles([{ file, text: text("IF r = 'admin' THEN RETURN false; END IF; RETURN true;") }], ID).mine[0]?.message ?? '', /role = 'admin'/);
  const { ws } = lintFiles([{ file, text: ifReturn }], ID);
  const MALLORY = '00000000-0000-0000-0000-0000000000cc';
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, ws);
    await q('GRANT USAGE ON SCHEMA private TO authenticated');
    await q(`INSERT INTO public.profiles VALUES ('${TENANT_A}', 'victim@example.com'), ('${MALLORY}', 'mallory@example.com')`);
    await q(actAs(MALLORY));
    await q('SET ROLE authenticated');
    assert.deepEqual(await q('SELECT email FROM public.profiles'), [{ email: 'mallory@example.com' }]);
    await q(`INSERT INTO public.user_orgs VALUES ('${MALLORY}', 1, 'admin')`);
    assert.deepEqual(await q('SELECT email FROM public.profiles ORDER BY email'), [{ email: 'mallory@example.com' }, { email: 'victim@example.com' }], "the victim's profile");
  });
  // what the advice says: a WITH CHECK that allows only a value users may give themselves refuses the admin row (42501)
  const checked = lintFiles([{ file, text: ifReturn.replace('WITH CHECK (true)', "WITH CHECK (user_id = (select auth.uid()) AND role = 'member')") }], ID);
  assert.equal(checked.mine.length, 0);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, checked.ws);
    await q(actAs(MALLORY));
    await q('SET ROLE authenticated');
    await q(`INSERT INTO public.user_orgs VALUES ('${MALLORY}', 2, 'member')`);
    await expectPgError(q(`INSERT INTO public.user_orgs VALUES ('${MALLORY}', 1, 'admin')`), '42501', 'row-level security');
  });
});

test("err: a boolean flag users may insert (INSERT policy on their own row): the advice names GRANT INSERT and a new row, not GRANT UPDATE; PGlite: the flag inserted true shows every document, and a column list in GRANT INSERT or a WITH CHECK asking it false refuses it (42501)", async () => {
  const file = 'supabase/migrations/20240101000000_flags.sql';
  const text = (check: string) => `CREATE TABLE public.user_flags (user_id uuid PRIMARY KEY, is_admin boolean NOT NULL DEFAULT false);
CREATE TABLE public.documents (id bigint PRIMARY KEY, owner_id uuid NOT NULL, title text NOT NULL);
CREATE INDEX ON public.documents (owner_id);
ALTER TABLE public.user_flags ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.documents ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.is_admin() RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS
  $$ SELECT is_admin FROM public.user_flags WHERE user_id = auth.uid() $$;
CREATE POLICY flags_own ON public.user_flags FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE POLICY flags_ins ON public.user_flags FOR INSERT TO authenticated WITH CHECK (${check});
CREATE POLICY documents_read ON public.documents FOR SELECT TO authenticated USING (owner_id = (select auth.uid()) OR (select public.is_admin()));
`;
  const open = lintFiles([{ file, text: text('user_id = (select auth.uid())') }], ID);
  assert.equal(open.mine.length, 1);
  assert.match(open.mine[0]!.message, /so a user can insert a row of public\.user_flags with their own user_id and is_admin = true/);
  assert.match(open.mine[0]!.message, /Keep is_admin out of what users may write \(a column list in GRANT INSERT, or a trigger refusing a new row with it true\), or check in the WITH CHECK that a new row has it false unless the caller already holds it\./);
  assert.doesNotMatch(open.mine[0]!.message, /GRANT UPDATE|stays as it was/);
  const seed = async (q: Q) => {
    await q(`INSERT INTO public.documents VALUES (1, '${TENANT_A}', 'A doc'), (2, '${TENANT_B}', 'B doc')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
  };
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, open.ws);
    await seed(q);
    assert.deepEqual(await q('SELECT title FROM public.documents ORDER BY id'), [{ title: 'A doc' }]);
    await q(`INSERT INTO public.user_flags VALUES ('${TENANT_A}', true)`);
    assert.deepEqual(await q('SELECT title FROM public.documents ORDER BY id'), [{ title: 'A doc' }, { title: 'B doc' }], "B's document");
  });
  // a column list in GRANT INSERT: the row without the flag goes in, with it 42501
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, open.ws);
    await q('REVOKE INSERT ON public.user_flags FROM authenticated; GRANT INSERT (user_id) ON public.user_flags TO authenticated');
    await seed(q);
    const denied = await tryQuery(q, `INSERT INTO public.user_flags VALUES ('${TENANT_A}', true)`);
    assert.equal(denied.ok ? '' : denied.error.code, '42501');
    await q(`INSERT INTO public.user_flags (user_id) VALUES ('${TENANT_A}')`);
    assert.deepEqual(await q('SELECT title FROM public.documents ORDER BY id'), [{ title: 'A doc' }]);
  });
  // a WITH CHECK asking it false: not reported, and the row with it true fails
  const closed = lintFiles([{ file, text: text('user_id = (select auth.uid()) AND is_admin = false') }], ID);
  assert.equal(closed.mine.length, 0);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, closed.ws);
    await seed(q);
    await expectPgError(q(`INSERT INTO public.user_flags VALUES ('${TENANT_A}', true)`), '42501', 'row-level security');
  });
});

test("err: a trusting policy that asks more of the caller is not named (affiliate-finance-hub's parceiros_ws_insert: `workspace_id = get_current_workspace() AND has_permission(auth.uid(), workspace_id)`), the one trusting the helper alone is (parceiros_ws_select), and every column the user may set is (is_system_owner too): B reads A's row after moving their default workspace, the INSERT fails with 42501, and the flag deletes A's rows (PGlite)", async () => {
  const file = 'supabase/migrations/20260225051652_workspaces.sql';
  const head = `CREATE TABLE public.workspace_members (user_id uuid, workspace_id uuid, role text);
CREATE TABLE public.profiles (id uuid PRIMARY KEY, default_workspace_id uuid, is_system_owner boolean DEFAULT false);
CREATE TABLE public.parceiros (id serial PRIMARY KEY, workspace_id uuid, nome text);
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.parceiros ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.workspace_members ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.is_system_owner(_u uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT COALESCE((SELECT is_system_owner FROM public.profiles WHERE id = _u), false) $$;
CREATE FUNCTION public.get_current_workspace() RETURNS uuid LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT COALESCE((SELECT default_workspace_id FROM public.profiles WHERE id = auth.uid()),
                  (SELECT workspace_id FROM public.workspace_members WHERE user_id = auth.uid() LIMIT 1)) $$;
CREATE FUNCTION public.has_permission(_u uuid, _ws uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT public.is_system_owner(_u) OR EXISTS (SELECT 1 FROM public.workspace_members WHERE user_id = _u AND workspace_id = _ws) $$;
CREATE POLICY wm_select ON public.workspace_members FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE POLICY profiles_select ON public.profiles FOR SELECT TO authenticated USING ((select auth.uid()) = id);
CREATE POLICY profiles_update ON public.profiles FOR UPDATE TO authenticated USING ((select auth.uid()) = id);
CREATE POLICY parceiros_ws_insert ON public.parceiros FOR INSERT TO authenticated
  WITH CHECK (workspace_id = (select public.get_current_workspace()) AND public.has_permission((select auth.uid()), workspace_id));
`;
  const admin = `CREATE POLICY parceiros_admin ON public.parceiros FOR DELETE TO authenticated USING ((select public.is_system_owner((select auth.uid()))));\n`;
  const select = `CREATE POLICY parceiros_ws_select ON public.parceiros FOR SELECT TO authenticated USING (workspace_id = (select public.get_current_workspace()));\n`;
  const { ws, mine } = lintFiles([{ file, text: head + admin + select }], ID);
  assert.equal(mine.length, 1);
  const m = mine[0]!.message;
  assert.match(m, /policy "parceiros_admin" on public\.parceiros trusts \(it admits a row when public\.profiles, read through function public\.is_system_owner\(uuid\), has a row with the caller's id and is_system_owner = true\), so a user can change the is_system_owner of their own row of public\.profiles to true, and then delete the rows of public\.parceiros/);
  assert.match(m, /It leaves default_workspace_id open too: policy "parceiros_ws_select" on public\.parceiros trusts public\.profiles \(it admits a row when public\.profiles, read through function public\.get_current_workspace\(\), has a row with its default_workspace_id and the caller's id\), so a user can change the default_workspace_id of their own row of public\.profiles to any value, and then get the rows of public\.parceiros/);
  assert.doesNotMatch(m, /parceiros_ws_insert|insert the rows/);
  assert.deepEqual(mine[0]!.related?.map((r) => r.message), ['policy "parceiros_admin" trusts the rows of public.profiles', 'policy "parceiros_ws_select" trusts the rows of public.profiles']);
  // the INSERT policy alone (it asks more of the caller) and the flag's policy gone: nothing to name
  assert.equal(lintFiles([{ file, text: head }], ID).mine.length, 0);
  // one column only: the message says nothing of another
  assert.doesNotMatch(lintFiles([{ file, text: head + select }], ID).mine[0]?.message ?? '', /is_system_owner|It leaves/);
  const WS_A = 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa';
  const WS_B = 'bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb';
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, ws);
    await q('GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO authenticated');
    await q(`INSERT INTO public.workspace_members VALUES ('${TENANT_A}', '${WS_A}', 'owner'), ('${TENANT_B}', '${WS_B}', 'owner');
INSERT INTO public.profiles VALUES ('${TENANT_A}', '${WS_A}'), ('${TENANT_B}', '${WS_B}');
INSERT INTO public.parceiros (workspace_id, nome) VALUES ('${WS_A}', 'A-secret'), ('${WS_B}', 'B-secret')`);
    await q(actAs(TENANT_B));
    await q('SET ROLE authenticated');
    assert.deepEqual(await q('SELECT nome FROM public.parceiros'), [{ nome: 'B-secret' }]);
    await q(`UPDATE public.profiles SET default_workspace_id = '${WS_A}' WHERE id = '${TENANT_B}'`);
    assert.deepEqual(await q('SELECT nome FROM public.parceiros'), [{ nome: 'A-secret' }], "A's row");
    const insert = await tryQuery(q, `INSERT INTO public.parceiros (workspace_id, nome) VALUES ('${WS_A}', 'planted')`);
    assert.equal(insert.ok ? '' : insert.error.code, '42501', 'parceiros_ws_insert still asks for a membership');
    assert.equal((await q('DELETE FROM public.parceiros RETURNING nome')).length, 0, 'not a system owner yet');
    await q(`UPDATE public.profiles SET is_system_owner = true WHERE id = '${TENANT_B}'`);
    await q('DELETE FROM public.parceiros');
    await q('RESET ROLE');
    assert.equal(await count(q, 'public.parceiros'), 0, "A's and B's rows deleted");
  });
});

// finvy (Guiiih/finvy, 20250719000003_rls_policies.sql) creates its tables' policies in a DO block,
// `FOREACH table_name IN ARRAY ARRAY[…] LOOP EXECUTE format('CREATE POLICY "%s_delete" ON public.%s …',
// table_name, table_name)`: the replay makes those policies as the static form does (parse.ts).
const FINVY_BASE = `CREATE TABLE public.organizations (id uuid PRIMARY KEY);
CREATE TABLE public.profiles (id uuid PRIMARY KEY, organization_id uuid REFERENCES public.organizations(id));
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_sel ON public.profiles FOR SELECT TO authenticated USING (id = (select auth.uid()));
CREATE POLICY own_upd ON public.profiles FOR UPDATE TO authenticated USING (id = (select auth.uid())) WITH CHECK (id = (select auth.uid()));
CREATE FUNCTION public.get_user_organization_id() RETURNS uuid LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$ SELECT organization_id FROM public.profiles WHERE id = auth.uid() $$;
REVOKE EXECUTE ON FUNCTION public.get_user_organization_id() FROM PUBLIC, anon;
GRANT EXECUTE ON FUNCTION public.get_user_organization_id() TO authenticated;
CREATE TABLE public.accounts (id uuid PRIMARY KEY, organization_id uuid NOT NULL);
CREATE INDEX ON public.accounts (organization_id);
ALTER TABLE public.accounts ENABLE ROW LEVEL SECURITY;
`;
const FINVY_STATIC = `${FINVY_BASE}CREATE POLICY accounts_delete ON public.accounts FOR DELETE TO authenticated USING (organization_id = (select public.get_user_organization_id()));
CREATE POLICY accounts_select ON public.accounts FOR SELECT TO authenticated USING (organization_id = (select public.get_user_organization_id()));
`;
const FINVY_LOOP = `${FINVY_BASE}DO $$
DECLARE table_name text;
BEGIN
  FOREACH table_name IN ARRAY ARRAY['accounts'] LOOP
    EXECUTE format('CREATE POLICY "%s_delete" ON public.%s FOR DELETE TO authenticated USING (organization_id = (select public.get_user_organization_id()))', table_name, table_name);
    EXECUTE format('CREATE POLICY "%s_select" ON public.%s FOR SELECT TO authenticated USING (organization_id = (select public.get_user_organization_id()))', table_name, table_name);
  END LOOP;
END $$;
`;
const ORG_1 = '00000000-0000-0000-0000-0000000000f1';
const ORG_2 = '00000000-0000-0000-0000-0000000000f2';

test("err: finvy's policies made by a DO block's loop of EXECUTE format(…) over ARRAY['accounts'] are trusted as the static ones are: the same finding; PGlite: user A moves its profile to org 2 and deletes org 2's account", async () => {
  const file = 'supabase/migrations/20250101000000_x.sql';
  const stat = lintFiles([{ file, text: FINVY_STATIC }], ID).mine;
  const { ws, mine } = lintFiles([{ file, text: FINVY_LOOP }], ID);
  assert.equal(stat.length, 1);
  assert.deepEqual(
    mine.map((f) => [f.message, textAt(ws, f)]),
    stat.map((f) => [f.message, 'own_upd']),
  );
  // (the SELECT policy trusting the same rows is named before the DELETE one: commandRank)
  assert.match(mine[0]!.message, /policy "accounts_select" on public\.accounts trusts/);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, ws);
    assert.deepEqual(await q(`SELECT policyname FROM pg_policies WHERE tablename = 'accounts' ORDER BY 1`), [{ policyname: 'accounts_delete' }, { policyname: 'accounts_select' }]);
    await q(`INSERT INTO public.organizations VALUES ('${ORG_1}'), ('${ORG_2}');
      INSERT INTO public.profiles VALUES ('${TENANT_A}', '${ORG_1}');
      INSERT INTO public.accounts VALUES ('00000000-0000-0000-0000-0000000000a1', '${ORG_1}'), ('00000000-0000-0000-0000-0000000000a2', '${ORG_2}')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.accounts'), 1, 'its own org only');
    await q(`UPDATE public.profiles SET organization_id = '${ORG_2}' WHERE id = '${TENANT_A}'`);
    assert.deepEqual(await q('SELECT organization_id FROM public.accounts'), [{ organization_id: ORG_2 }], "org 2's account read");
    await q(`DELETE FROM public.accounts WHERE organization_id = '${ORG_2}'`);
    await q('RESET ROLE');
    assert.deepEqual(await q('SELECT organization_id FROM public.accounts'), [{ organization_id: ORG_1 }], "org 2's account deleted");
  });
});

test("err: the membership table's own write policy made by the loop (EXECUTE format('CREATE POLICY own_upd ON public.%I …', t)) is reported where the EXECUTE's string is, without fixes (its text is not in the file); PGlite: the same move", async () => {
  const file = 'supabase/migrations/20250101000000_x.sql';
  const text = FINVY_LOOP.replace(
    'CREATE POLICY own_upd ON public.profiles FOR UPDATE TO authenticated USING (id = (select auth.uid())) WITH CHECK (id = (select auth.uid()));\n',
    '',
  ).replace(
    'END $$;\n',
    () => `END $$;
DO $$
DECLARE t text;
BEGIN
  FOR t IN SELECT unnest(ARRAY['profiles']) LOOP
    EXECUTE format('CREATE POLICY own_upd ON public.%I FOR UPDATE TO authenticated USING (id = (select auth.uid())) WITH CHECK (id = (select auth.uid()))', t);
  END LOOP;
END $$;
`,
  );
  const { ws, mine } = lintFiles([{ file, text }], ID);
  assert.equal(mine.length, 1);
  const at = text.indexOf("'CREATE POLICY own_upd");
  assert.equal(mine[0]!.start, at, 'at the format string');
  assert.equal(textAt(ws, mine[0]!), "'CREATE", 'the first token of the string');
  assert.deepEqual(mine[0]!.fixes, []);
  assert.match(mine[0]!.message, /^Policy "own_upd" on public\.profiles lets authenticated write rows of it checking only their id/);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, ws);
    await q(`INSERT INTO public.organizations VALUES ('${ORG_1}'), ('${ORG_2}');
      INSERT INTO public.profiles VALUES ('${TENANT_A}', '${ORG_1}');
      INSERT INTO public.accounts VALUES ('00000000-0000-0000-0000-0000000000a2', '${ORG_2}')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.accounts'), 0);
    await q(`UPDATE public.profiles SET organization_id = '${ORG_2}' WHERE id = '${TENANT_A}'`);
    assert.equal(await count(q, 'public.accounts'), 1, "org 2's account");
  });
});

// Calibration (RicardoBoreto/tirilo's usuarios): the write policy is for PUBLIC (no TO), the
// membership table's SELECT policy TO authenticated USING (true) shows every row; the message said
// an UPDATE that reads a column "has its new row checked against the SELECT policies of
// public.usuarios, which admit a row through its id_clinica only, and fails with 42501".
test("err (message): an UPDATE policy for PUBLIC beside a SELECT policy TO authenticated showing every row: no \"fails with 42501\" clause; PGlite: UPDATE … WHERE id = A moves A to clinic 2, then A reads its patients", async () => {
  const file = 'supabase/migrations/20240101000000_clinics.sql';
  const text = `CREATE TABLE public.usuarios (id uuid PRIMARY KEY, id_clinica bigint NOT NULL, nome text);
CREATE TABLE public.pacientes (id bigint PRIMARY KEY, id_clinica bigint NOT NULL, nome text);
CREATE INDEX ON public.pacientes (id_clinica);
ALTER TABLE public.usuarios ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.pacientes ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.get_my_clinic_id() RETURNS bigint LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT id_clinica FROM public.usuarios WHERE id = (select auth.uid()) $$;
CREATE POLICY usuarios_read ON public.usuarios FOR SELECT TO authenticated USING (true);
CREATE POLICY usuarios_update_own ON public.usuarios FOR UPDATE USING (id = (select auth.uid()));
CREATE POLICY pacientes_clinic ON public.pacientes FOR SELECT TO authenticated USING (id_clinica = (select public.get_my_clinic_id()));
`;
  const linted = lintFiles([{ file, text }], ID);
  assert.equal(linted.mine.length, 1);
  assert.match(linted.mine[0]!.message, /a user can change the id_clinica of their own row of public\.usuarios to any value, and then get the rows of public\.pacientes/);
  assert.doesNotMatch(linted.mine[0]!.message, /reads no column|fails with 42501/);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, linted.ws);
    await q(`INSERT INTO public.usuarios VALUES ('${TENANT_A}', 1, 'a'), ('${TENANT_B}', 2, 'b'); INSERT INTO public.pacientes VALUES (10, 1, 'ours'), (20, 2, 'theirs')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.deepEqual(await q('SELECT nome FROM public.pacientes'), [{ nome: 'ours' }]);
    const moved = await q(`UPDATE public.usuarios SET id_clinica = 2 WHERE id = '${TENANT_A}' RETURNING id_clinica`);
    assert.deepEqual(moved, [{ id_clinica: 2 }], 'with a WHERE and RETURNING: no 42501');
    assert.deepEqual(await q('SELECT nome FROM public.pacientes'), [{ nome: 'theirs' }]);
  });
});

// A writer for PUBLIC is every role: the SELECT policies of each count (forWriter), not only
// PUBLIC's, in the "no member yet" NOT EXISTS (callerScoped), the open lookup (seesTheSameRows)
// and what the trusting policy adds (nothingGained).
const publicWriter = (extra: string) => `CREATE TABLE public.org_members (org_id bigint NOT NULL, user_id uuid NOT NULL, PRIMARY KEY (org_id, user_id));
CREATE INDEX ON public.org_members (user_id);
CREATE TABLE public.documents (id bigint PRIMARY KEY, org_id bigint NOT NULL, title text NOT NULL);
CREATE INDEX ON public.documents (org_id);
ALTER TABLE public.org_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.documents ENABLE ROW LEVEL SECURITY;
CREATE POLICY documents_member ON public.documents FOR SELECT
  USING (EXISTS (SELECT 1 FROM public.org_members m WHERE m.org_id = documents.org_id AND m.user_id = (select auth.uid())));
${extra}`;
const PW_FILE = 'supabase/migrations/20240101000000_orgs.sql';

test('ok: a "no member yet" NOT EXISTS in an INSERT policy for PUBLIC, beside a SELECT policy TO authenticated showing every membership row: a signed-in user sees the other org\'s row and the join fails with 42501 (PGlite); with that policy showing only their own rows it is reported and the join works', async () => {
  const text = (read: string) =>
    publicWriter(`CREATE POLICY members_read ON public.org_members FOR SELECT TO authenticated USING (${read});
CREATE POLICY members_first ON public.org_members FOR INSERT
  WITH CHECK (user_id = (select auth.uid()) AND NOT EXISTS (SELECT 1 FROM public.org_members m2 WHERE m2.org_id = org_members.org_id));
`);
  const open = lintFiles([{ file: PW_FILE, text: text('true') }], ID);
  assert.deepEqual(open.mine, []);
  const scoped = lintFiles([{ file: PW_FILE, text: text('user_id = auth.uid()') }], ID);
  assert.equal(scoped.mine.length, 1);
  assert.match(scoped.mine[0]!.message, /^Policy "members_first" on public\.org_members lets PUBLIC write rows of it checking only their user_id against who the caller is \(its NOT EXISTS looks for any row of that org_id, but reads public\.org_members through its own SELECT policies, which show the caller only their own rows/);
  const join = async (ws: Workspace) =>
    inRollback(await getDb(), async (q) => {
      await onSupabase(q, ws);
      await q(`INSERT INTO public.org_members VALUES (2, '${TENANT_B}'); INSERT INTO public.documents VALUES (20, 2, 'theirs')`);
      await q(actAs(TENANT_A));
      await q('SET ROLE authenticated');
      const r = await tryQuery(q, `INSERT INTO public.org_members VALUES (2, '${TENANT_A}')`);
      return { joined: r.ok, code: r.ok ? undefined : r.error.code, documents: r.ok ? await count(q, 'public.documents') : 0 };
    });
  assert.deepEqual(await join(open.ws), { joined: false, code: '42501', documents: 0 });
  assert.deepEqual(await join(scoped.ws), { joined: true, code: undefined, documents: 1 });
});

test('err/ok: an INSERT policy for PUBLIC whose invitation lookup names no caller: a SELECT policy TO authenticated showing every invitation opens it (reported; PGlite: user A joins org 2 through B\'s invitation and reads its document); a RESTRICTIVE one TO authenticated tying invitations to the caller\'s email closes it (not reported; PGlite: 42501)', async () => {
  const text = (policies: string) =>
    publicWriter(`CREATE TABLE public.invitations (org_id bigint NOT NULL, email text NOT NULL, accepted_at timestamptz, PRIMARY KEY (org_id, email));
ALTER TABLE public.invitations ENABLE ROW LEVEL SECURITY;
${policies}
CREATE POLICY members_read ON public.org_members FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE POLICY members_join ON public.org_members FOR INSERT
  WITH CHECK (user_id = (select auth.uid()) AND EXISTS (SELECT 1 FROM public.invitations i WHERE i.org_id = org_members.org_id AND i.accepted_at IS NULL));
`);
  const open = lintFiles([{ file: PW_FILE, text: text('CREATE POLICY invitations_read ON public.invitations FOR SELECT TO authenticated USING (true);') }], ID);
  assert.equal(open.mine.length, 1);
  assert.match(open.mine[0]!.message, /^Policy "members_join" on public\.org_members lets PUBLIC write rows of it checking only their user_id against who the caller is and that public\.invitations has a row for the org_id/);
  // (PUBLIC's privileges revoked: authenticated still holds SELECT from the platform's grants)
  const revoked = lintFiles([{ file: PW_FILE, text: text('CREATE POLICY invitations_read ON public.invitations FOR SELECT TO authenticated USING (true);\nREVOKE ALL ON public.invitations FROM PUBLIC;') }], ID);
  assert.equal(revoked.mine.length, 1);
  const closed = lintFiles(
    [
      {
        file: PW_FILE,
        text: text(`CREATE POLICY invitations_read ON public.invitations FOR SELECT USING (true);
CREATE POLICY invitations_mine ON public.invitations AS RESTRICTIVE FOR SELECT TO authenticated USING (email = (select auth.jwt() ->> 'email'));`),
      },
    ],
    ID,
  );
  assert.deepEqual(closed.mine, []);
  const join = async (ws: Workspace) =>
    inRollback(await getDb(), async (q) => {
      await onSupabase(q, ws);
      await q(`INSERT INTO public.invitations VALUES (2, 'b@example.com', NULL); INSERT INTO public.documents VALUES (20, 2, 'theirs')`);
      await q(actAs(TENANT_A, { email: 'a@example.com' }));
      await q('SET ROLE authenticated');
      const r = await tryQuery(q, `INSERT INTO public.org_members VALUES (2, '${TENANT_A}')`);
      return { joined: r.ok, code: r.ok ? undefined : r.error.code, documents: r.ok ? await count(q, 'public.documents') : 0 };
    });
  assert.deepEqual(await join(open.ws), { joined: true, code: undefined, documents: 1 });
  assert.deepEqual(await join(revoked.ws), { joined: true, code: undefined, documents: 1 });
  assert.deepEqual(await join(closed.ws), { joined: false, code: '42501', documents: 0 });
});

test('ok: the trusting policy and the write policy both for PUBLIC, beside a SELECT policy TO authenticated showing every document: a signed-in user gains nothing by joining (PGlite: both documents before and after)', async () => {
  const text = publicWriter(`CREATE POLICY members_read ON public.org_members FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE POLICY members_join ON public.org_members FOR INSERT WITH CHECK (user_id = (select auth.uid()));
CREATE POLICY documents_read ON public.documents FOR SELECT TO authenticated USING (true);
`);
  const { ws, mine } = lintFiles([{ file: PW_FILE, text }], ID);
  assert.deepEqual(mine, []);
  // (without documents_read it is reported)
  assert.equal(lintFiles([{ file: PW_FILE, text: text.replace(/CREATE POLICY documents_read[^\n]*\n/, '') }], ID).mine.length, 1);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, ws);
    await q(`INSERT INTO public.org_members VALUES (1, '${TENANT_A}'); INSERT INTO public.documents VALUES (10, 1, 'ours'), (20, 2, 'theirs')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.documents'), 2, 'before joining');
    await q(`INSERT INTO public.org_members VALUES (2, '${TENANT_A}')`);
    assert.equal(await count(q, 'public.documents'), 2, 'after joining: nothing more');
  });
});

/** The claims of user `id`'s next token: the custom access token hook called as Supabase Auth calls it, as supabase_auth_admin. */
async function nextToken(q: Q, id: string): Promise<Record<string, unknown>> {
  await q('SET LOCAL ROLE supabase_auth_admin');
  const r = await q(`SELECT public.custom_access_token_hook('{"user_id": "${id}", "claims": {"sub": "${id}", "role": "authenticated"}}') AS e`);
  await q('RESET ROLE');
  return r[0]!.e.claims as Record<string, unknown>;
}

// Dev-5804/ITAM: add_custom_claims(event jsonb), the custom access token hook its config.toml names,
// copies users.role into the user_role claim; users_self_update lets a user update their own row
// with no column limit; the admin policies read auth.jwt() ->> 'user_role'.
test("err: a custom access token hook copies users.role into the user_role claim that a policy trusts, and users may update their own row: user A sets role = 'admin', the hook (as supabase_auth_admin) gives A's next token user_role admin, and A reads the admins' reports; with UPDATE granted on display_name only, 42501", async () => {
  const doc = loadRuleDoc(ID);
  const n = doc.invalid.findIndex((x) => x.files.some((f) => f.text.includes('custom_access_token_hook')));
  const { ws, mine } = lintDocExample(ID, 'invalid', n);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'users_update_own');
  assert.match(
    mine[0]!.message,
    /trusts \(it admits a row when the caller's token has auth\.jwt\(\) ->> 'user_role' = 'admin', which the custom access token hook public\.custom_access_token_hook\(jsonb\) \(granted EXECUTE to supabase_auth_admin\) copies from the role of their row of public\.users each time Supabase Auth issues a token\), so a user can change the role of their own row of public\.users to 'admin' and then get a new token \(sign in again, or refresh the session: the hook copies the new role\)/,
  );
  const db = await getDb();
  await ensureRoles(db, ['supabase_auth_admin']);
  const token = (q: Q) => nextToken(q, TENANT_A);
  const run = async (sql: string, expectUpdate: boolean) =>
    inRollback(db, async (q) => {
      await onPlatform(q, sql);
      await q(`INSERT INTO public.users VALUES ('${TENANT_A}', 'A', 'member'); INSERT INTO public.reports VALUES (1, 'for admins')`);
      const before = await token(q);
      assert.equal(before.user_role, 'member');
      await q(actAs(TENANT_A, before));
      await q('SET LOCAL ROLE authenticated');
      assert.equal(await count(q, 'public.reports'), 0, 'a member reads no report');
      const update = `UPDATE public.users SET role = 'admin' WHERE id = '${TENANT_A}'`;
      if (!expectUpdate) {
        await expectPgError(q(update), '42501', 'permission denied for table users');
        return;
      }
      await q(update);
      await q('RESET ROLE');
      // (the next token: the hook reads the row A wrote)
      const after = await token(q);
      assert.equal(after.user_role, 'admin');
      await q(actAs(TENANT_A, after));
      await q('SET LOCAL ROLE authenticated');
      assert.equal(await count(q, 'public.reports'), 1, 'A reads the admins’ report');
    });
  await run(sqlOf(ws), true);
  // (the event's user id in a variable first, and the claim under app_metadata, read so by the policy)
  const text = doc.invalid[n]!.files[0]!.text;
  const varied = text
    .replace('  user_role text;', '  user_role text;\n  uid uuid := (event->>\'user_id\')::uuid;')
    .replace("WHERE id = (event->>'user_id')::uuid", 'WHERE id = uid')
    .replace("'{user_role}'", "'{app_metadata,user_role}'")
    .replace("((select auth.jwt()) ->> 'user_role')", "((select auth.jwt()) -> 'app_metadata' ->> 'user_role')");
  assert.notEqual(varied, text);
  const v = lintFiles([{ file: doc.invalid[n]!.files[0]!.file, text: varied }], ID).mine;
  assert.equal(v.length, 1);
  assert.match(v[0]!.message, /the caller's token has auth\.jwt\(\) -> 'app_metadata' ->> 'user_role' = 'admin'/);
  // (the claim read through a helper returning it, bare or in a sub-select)
  for (const plpgsql of [false, true]) {
    const helper = plpgsql
      ? "CREATE FUNCTION public.my_role() RETURNS text LANGUAGE plpgsql STABLE AS $$ BEGIN RETURN auth.jwt() ->> 'user_role'; END $$;\n"
      : "CREATE FUNCTION public.my_role() RETURNS text LANGUAGE sql STABLE AS $$ SELECT auth.jwt() ->> 'user_role' $$;\n";
    const viaHelper = text.replace('CREATE POLICY reports_admins', () => `${helper}CREATE POLICY reports_admins`).replace("((select auth.jwt()) ->> 'user_role') = 'admin'", "(select public.my_role()) = 'admin'");
    assert.notEqual(viaHelper, text);
    const h = lintFiles([{ file: doc.invalid[n]!.files[0]!.file, text: viaHelper }], ID).mine;
    assert.equal(h.length, 1, plpgsql ? 'plpgsql' : 'sql');
  }
  // (the claim put with jsonb_build_object: under app_metadata by jsonb_set, or at the top by ||)
  const built = (set: string) => text.replace("claims := jsonb_set(claims, '{user_role}', to_jsonb(coalesce(user_role, 'member')));", () => set);
  for (const [set, read, found] of [
    ["claims := jsonb_set(claims, '{app_metadata}', jsonb_build_object('user_role', user_role));", "-> 'app_metadata' ->> 'user_role'", 1],
    ["claims := jsonb_set(claims, '{app_metadata}', jsonb_build_object('user_role', user_role));", "->> 'user_role'", 0],
    ["claims := claims || jsonb_build_object('user_role', user_role);", "->> 'user_role'", 1],
  ] as const) {
    const t2 = built(set).replace("((select auth.jwt()) ->> 'user_role')", () => `((select auth.jwt()) ${read})`);
    assert.notEqual(t2, text);
    assert.equal(lintFiles([{ file: doc.invalid[n]!.files[0]!.file, text: t2 }], ID).mine.length, found, `${set} / ${read}`);
  }
  // (a SECURITY INVOKER hook that RLS shows no row of users, supabase_auth_admin having no policy: it
  // copies nothing, auth-trigger-invoker-denied says so)
  const blind = text.replace(/CREATE POLICY users_read_auth_admin[^\n]*\n/, '');
  assert.notEqual(blind, text);
  assert.equal(lintFiles([{ file: doc.invalid[n]!.files[0]!.file, text: blind }], ID).mine.length, 0);
  assert.equal(lintFiles([{ file: doc.invalid[n]!.files[0]!.file, text: blind }], 'auth-trigger-invoker-denied').mine.length, 1);
  // (a claim the policies read elsewhere than where the hook puts it: nothing)
  assert.equal(lintFiles([{ file: doc.invalid[n]!.files[0]!.file, text: varied.replace("-> 'app_metadata' ->> 'user_role'", "->> 'user_role'") }], ID).mine.length, 0);
  const valid = loadRuleDoc(ID).valid.find((x) => x.files.some((f) => f.text.includes('custom_access_token_hook')))!;
  assert.equal(lintFiles(valid.files, ID).mine.length, 0);
  await run(valid.files.map((f) => f.text).join('\n'), false);
});

// The role column made unwritable by a trigger (a Valid example), and the column REVOKE that does not
// make it so: `REVOKE UPDATE (role)` leaves the table-level UPDATE Supabase grants to authenticated,
// which covers every column.
test("ok: a BEFORE UPDATE trigger refusing a change of users.role for the API roles (Valid example): user A's UPDATE of their role raises, the hook's next token still says member; err: REVOKE UPDATE (role) alone leaves the table's UPDATE: A sets role = 'admin' and reads the admins' reports", async () => {
  const doc = loadRuleDoc(ID);
  const n = doc.valid.findIndex((x) => x.files.some((f) => f.text.includes('users_keep_role')));
  assert.ok(n >= 0);
  const { ws, mine } = lintDocExample(ID, 'valid', n);
  assert.equal(mine.length, 0);
  const invalid = doc.invalid.find((x) => x.files.some((f) => f.text.includes('custom_access_token_hook')))!;
  const revoked = `${invalid.files[0]!.text}\nREVOKE UPDATE (role) ON public.users FROM authenticated;\n`;
  const r = lintFiles([{ file: invalid.files[0]!.file, text: revoked }], ID);
  assert.equal(r.mine.length, 1, 'a column REVOKE does not take back the table-level UPDATE');
  assert.equal(textAt(r.ws, r.mine[0]!), 'users_update_own');
  const db = await getDb();
  await ensureRoles(db, ['supabase_auth_admin']);
  const run = (sql: string, refused: boolean) =>
    inRollback(db, async (q) => {
      await onPlatform(q, sql);
      await q(`INSERT INTO public.users VALUES ('${TENANT_A}', 'A', 'member'), ('${TENANT_B}', 'B', 'admin'); INSERT INTO public.reports VALUES (1, 'for admins')`);
      await q(actAs(TENANT_A, await nextToken(q, TENANT_A)));
      await q('SET LOCAL ROLE authenticated');
      assert.equal(await count(q, 'public.reports'), 0, 'a member reads no report');
      const update = `UPDATE public.users SET role = 'admin' WHERE id = '${TENANT_A}'`;
      if (refused) {
        await q('SAVEPOINT refused');
        await expectPgError(q(update), 'P0001', 'only an administrator changes a role');
        await q('ROLLBACK TO SAVEPOINT refused');
      } else assert.equal(await affected(q, update), 1);
      await q('RESET ROLE');
      const claims = await nextToken(q, TENANT_A);
      assert.equal(claims.user_role, refused ? 'member' : 'admin');
      await q(actAs(TENANT_A, claims));
      await q('SET LOCAL ROLE authenticated');
      assert.equal(await count(q, 'public.reports'), refused ? 0 : 1);
      // (the trigger lets a display name change through)
      if (refused) assert.equal(await affected(q, `UPDATE public.users SET display_name = 'Ann' WHERE id = '${TENANT_A}'`), 1);
    });
  await run(sqlOf(ws), true);
  await run(revoked, false);
});

// claims.ts follows hooks only where a file names the JWT (kept per parsed file): a policy reading the
// claim added in another file, then taken out again, is seen on each re-lint.
test("ok: the hook's claims are looked for only where a file names the JWT; a policy reading auth.jwt() added in another file is seen, and its removal too", () => {
  const doc = loadRuleDoc(ID);
  const ex = doc.invalid.find((x) => x.files.some((f) => f.text.includes('custom_access_token_hook')))!;
  const text = ex.files[0]!.text;
  const policy = /CREATE POLICY reports_admins[^\n]*\n/.exec(text)![0];
  const without = text.replace(policy, '');
  assert.doesNotMatch(without, /jwt/i);
  const ws = new Workspace();
  ws.setFile('supabase/migrations/1_roles.sql', without);
  ws.setFile('supabase/migrations/2_reports.sql', 'SELECT 1;\n');
  const mine = () => [...ws.lint().byFile.values()].flat().filter((f) => f.rule === ID);
  assert.equal(mine().length, 0);
  ws.setFile('supabase/migrations/2_reports.sql', policy);
  assert.equal(mine().length, 1);
  assert.equal(mine()[0]!.file, 'supabase/migrations/1_roles.sql');
  ws.setFile('supabase/migrations/2_reports.sql', 'SELECT 1;\n');
  assert.equal(mine().length, 0);
});

// JamieS87/community-events-platform's hook: `IF is_staff THEN … claims := jsonb_set(claims, '{app_metadata,
// staff}', 'true')`, and policies asking `(auth.jwt() -> 'app_metadata' -> 'staff') = to_jsonb(true)`. There
// profiles is revoked from authenticated; here a self-update policy leaves is_staff writable.
test("err: a hook setting a claim true when a flag of the caller's row is true, that policies ask for, and users may update their own row: user A sets is_staff, the hook gives A's next token app_metadata.staff true, and A reads the draft events; policies asking the claim by ->> 'true', a boolean cast, or false", async () => {
  const text = (policy: string) => `CREATE TABLE public.profiles (user_id uuid PRIMARY KEY, is_staff boolean NOT NULL DEFAULT false);
CREATE TABLE public.events (id bigint PRIMARY KEY, published boolean NOT NULL DEFAULT false);
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.events ENABLE ROW LEVEL SECURITY;
CREATE POLICY profiles_own ON public.profiles FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE POLICY profiles_update_own ON public.profiles FOR UPDATE TO authenticated USING (user_id = (select auth.uid()));
CREATE POLICY profiles_auth_admin ON public.profiles FOR SELECT TO supabase_auth_admin USING (true);
GRANT SELECT ON public.profiles TO supabase_auth_admin;
CREATE POLICY events_published ON public.events FOR SELECT TO authenticated USING (published);
CREATE POLICY events_staff ON public.events FOR SELECT TO authenticated USING (${policy});
CREATE FUNCTION public.custom_access_token_hook(event jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  claims jsonb;
  is_staff boolean;
BEGIN
  SELECT public.profiles.is_staff INTO is_staff FROM public.profiles WHERE user_id = (event->>'user_id')::uuid;
  IF is_staff THEN
    claims := event->'claims';
    IF jsonb_typeof(claims->'app_metadata') IS NULL THEN
      claims := jsonb_set(claims, '{app_metadata}', '{}');
    END IF;
    claims := jsonb_set(claims, '{app_metadata, staff}', 'true');
    event := jsonb_set(event, '{claims}', claims);
  END IF;
  RETURN event;
END $$;
GRANT EXECUTE ON FUNCTION public.custom_access_token_hook(jsonb) TO supabase_auth_admin;
REVOKE EXECUTE ON FUNCTION public.custom_access_token_hook(jsonb) FROM PUBLIC, anon, authenticated;
`;
  const file = 'supabase/migrations/20240101000000_events.sql';
  const jsonb = "(auth.jwt() -> 'app_metadata' -> 'staff') = to_jsonb(true)";
  const { ws, mine } = lintFiles([{ file, text: text(jsonb) }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'profiles_update_own');
  assert.match(mine[0]!.message, /trusts \(it admits a row when the caller's token has the claim app_metadata\.staff true, which the custom access token hook public\.custom_access_token_hook\(jsonb\) \(granted EXECUTE to supabase_auth_admin\) sets when the is_staff of their row of public\.profiles is true, each time Supabase Auth issues a token\), so a user can change the is_staff of their own row of public\.profiles to true and then get a new token/);
  for (const [policy, found] of [
    ["(auth.jwt() -> 'app_metadata' ->> 'staff') = 'true'", 1],
    ["(auth.jwt() -> 'app_metadata' ->> 'staff')::boolean", 1],
    ["(auth.jwt() -> 'app_metadata' ->> 'staff')::boolean = false", 0],
    ["(auth.jwt() ->> 'staff') = 'true'", 0],
  ] as const) {
    assert.equal(lintFiles([{ file, text: text(policy) }], ID).mine.length, found, policy);
  }
  const db = await getDb();
  await ensureRoles(db, ['supabase_auth_admin']);
  await inRollback(db, async (q) => {
    await onPlatform(q, sqlOf(ws));
    await q(`INSERT INTO public.profiles VALUES ('${TENANT_A}', false); INSERT INTO public.events VALUES (1, true), (2, false)`);
    const token = () => nextToken(q, TENANT_A);
    await q(actAs(TENANT_A, await token()));
    await q('SET LOCAL ROLE authenticated');
    assert.equal(await count(q, 'public.events'), 1, 'the published event only');
    await q(`UPDATE public.profiles SET is_staff = true WHERE user_id = '${TENANT_A}'`);
    await q('RESET ROLE');
    const claims = await token();
    assert.deepEqual(claims.app_metadata, { staff: true });
    await q(actAs(TENANT_A, claims));
    await q('SET LOCAL ROLE authenticated');
    assert.equal(await count(q, 'public.events'), 2, 'the draft too');
  });
});

// Supabase's RBAC guide: the hook copies user_roles.role into user_role, policies ask
// authorize('channels.delete'), which looks the claim up in role_permissions. The guide lets no user
// write user_roles; here a policy lets users insert their own row.
test("err: the RBAC guide's authorize('channels.delete') over a user_role claim a hook copies from user_roles, and a policy letting users insert their own user_roles row: user A inserts role admin, the hook gives A's next token user_role admin, and A deletes a channel; without that policy, nothing", async () => {
  const text = (extra: string) => `CREATE TYPE public.app_role AS ENUM ('admin', 'moderator');
CREATE TYPE public.app_permission AS ENUM ('channels.delete', 'messages.delete');
CREATE TABLE public.user_roles (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, user_id uuid NOT NULL, role public.app_role NOT NULL, UNIQUE (user_id, role));
CREATE TABLE public.role_permissions (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, role public.app_role NOT NULL, permission public.app_permission NOT NULL, UNIQUE (role, permission));
CREATE TABLE public.channels (id bigint PRIMARY KEY, slug text);
ALTER TABLE public.user_roles ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.role_permissions ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.channels ENABLE ROW LEVEL SECURITY;
INSERT INTO public.role_permissions (role, permission) VALUES ('admin', 'channels.delete'), ('admin', 'messages.delete'), ('moderator', 'messages.delete');
CREATE FUNCTION public.custom_access_token_hook(event jsonb) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
  claims jsonb;
  user_role public.app_role;
BEGIN
  SELECT role INTO user_role FROM public.user_roles WHERE user_id = (event->>'user_id')::uuid;
  claims := event->'claims';
  IF user_role IS NOT NULL THEN
    claims := jsonb_set(claims, '{user_role}', to_jsonb(user_role));
  ELSE
    claims := jsonb_set(claims, '{user_role}', 'null');
  END IF;
  event := jsonb_set(event, '{claims}', claims);
  RETURN event;
END $$;
GRANT USAGE ON SCHEMA public TO supabase_auth_admin;
GRANT EXECUTE ON FUNCTION public.custom_access_token_hook TO supabase_auth_admin;
REVOKE EXECUTE ON FUNCTION public.custom_access_token_hook FROM authenticated, anon, public;
GRANT ALL ON TABLE public.user_roles TO supabase_auth_admin;
CREATE POLICY "Allow auth admin to read user roles" ON public.user_roles AS PERMISSIVE FOR SELECT TO supabase_auth_admin USING (true);
CREATE FUNCTION public.authorize(requested_permission public.app_permission) RETURNS boolean LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = '' AS $$
DECLARE
  bind_permissions int;
  user_role public.app_role;
BEGIN
  SELECT (auth.jwt() ->> 'user_role')::public.app_role INTO user_role;
  SELECT count(*) INTO bind_permissions FROM public.role_permissions WHERE role_permissions.permission = requested_permission AND role_permissions.role = user_role;
  RETURN bind_permissions > 0;
END $$;
CREATE POLICY "Allow authorized delete access" ON public.channels FOR DELETE TO authenticated USING ((SELECT public.authorize('channels.delete')));
CREATE POLICY "Read channels" ON public.channels FOR SELECT TO authenticated USING (true);
${extra}`;
  const file = 'supabase/migrations/20240101000000_rbac.sql';
  const own = `CREATE POLICY "Users add their own role" ON public.user_roles FOR INSERT TO authenticated WITH CHECK (user_id = (select auth.uid()));
CREATE POLICY "Users read their own roles" ON public.user_roles FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
`;
  const { ws, mine } = lintFiles([{ file, text: text(own) }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), '"Users add their own role"');
  assert.match(mine[0]!.message, /the caller's token has auth\.jwt\(\) ->> 'user_role' = 'admin' \(through public\.authorize\(app_permission\), as public\.role_permissions gives 'admin' 'channels\.delete'\), which the custom access token hook public\.custom_access_token_hook\(jsonb\) \(granted EXECUTE to supabase_auth_admin\) copies from the role of their row of public\.user_roles/);
  assert.equal(lintFiles([{ file, text: text('') }], ID).mine.length, 0, "the guide's own setup: no user writes user_roles");
  const db = await getDb();
  await ensureRoles(db, ['supabase_auth_admin']);
  await inRollback(db, async (q) => {
    await onPlatform(q, sqlOf(ws));
    await q(`INSERT INTO public.channels VALUES (1, 'general')`);
    const token = () => nextToken(q, TENANT_A);
    await q(actAs(TENANT_A, await token()));
    await q('SET LOCAL ROLE authenticated');
    assert.equal(await affected(q, 'DELETE FROM public.channels WHERE id = 1'), 0, 'no role: nothing deleted');
    await q(`INSERT INTO public.user_roles (user_id, role) VALUES ('${TENANT_A}', 'admin')`);
    await q('RESET ROLE');
    const claims = await token();
    assert.equal(claims.user_role, 'admin');
    await q(actAs(TENANT_A, claims));
    await q('SET LOCAL ROLE authenticated');
    assert.equal(await affected(q, 'DELETE FROM public.channels WHERE id = 1'), 1, 'A deletes the channel');
  });
});

// danielbech/machi-os: 032's "Users can join own projects" lets a user insert their own membership
// with any role, but only for a project get_user_owned_project_ids(auth.uid()) returns (`SELECT id
// FROM projects WHERE user_id = uid`): the projects they created, which they may own. It was
// reported as leaving the role free ("one they are invited to, say … role = 'owner'"). 035's "Users
// can join via invite" (an invitation lookup that leaves the role free) is the real hole, until 059
// drops pending_invites with CASCADE, which drops that policy too (its WITH CHECK reads the table).
const MACHI = `CREATE TABLE public.projects (id bigint PRIMARY KEY, user_id uuid NOT NULL, name text);
CREATE TABLE public.workspace_memberships (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), project_id bigint NOT NULL REFERENCES public.projects(id) ON DELETE CASCADE, user_id uuid NOT NULL,
  role text NOT NULL CHECK (role IN ('owner', 'admin', 'member')), UNIQUE (project_id, user_id));
CREATE TABLE public.pending_invites (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), project_id bigint NOT NULL, email text NOT NULL, role text NOT NULL DEFAULT 'member');
ALTER TABLE public.projects ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.workspace_memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.pending_invites ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.get_user_owned_project_ids(uid uuid) RETURNS SETOF bigint LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp STABLE AS $$
  SELECT id FROM projects WHERE user_id = uid;
$$;
CREATE POLICY "Users can view their workspace projects" ON public.projects FOR SELECT
  USING (id IN (SELECT project_id FROM public.workspace_memberships WHERE user_id = auth.uid()));
CREATE POLICY "Owners can delete projects" ON public.projects FOR DELETE
  USING (id IN (SELECT project_id FROM public.workspace_memberships WHERE user_id = auth.uid() AND role = 'owner'));
CREATE POLICY "Users can create projects" ON public.projects FOR INSERT WITH CHECK (user_id = auth.uid());
CREATE POLICY "Users can view own memberships" ON public.workspace_memberships FOR SELECT USING (user_id = auth.uid());
CREATE POLICY "Users can see own invites" ON public.pending_invites FOR SELECT USING (email = (SELECT auth.jwt()->>'email'));
CREATE POLICY "Users can join own projects" ON public.workspace_memberships FOR INSERT
  WITH CHECK (user_id = auth.uid() AND project_id IN (SELECT public.get_user_owned_project_ids(auth.uid())));
CREATE POLICY "Users can join via invite" ON public.workspace_memberships FOR INSERT
  WITH CHECK (user_id = auth.uid() AND EXISTS (SELECT 1 FROM public.pending_invites
    WHERE pending_invites.project_id = workspace_memberships.project_id AND pending_invites.email = (SELECT auth.jwt()->>'email')));
`;
const DROP_INVITES = 'DROP TABLE IF EXISTS public.pending_invites CASCADE;\n';

test("ok: a group taken from a set-returning helper that returns the caller's own projects (machi-os's project_id IN (SELECT get_user_owned_project_ids(auth.uid()))) is theirs to own: not reported; PGlite: A joins their own project as owner and deletes it, another user's project fails with 42501", async () => {
  const file = 'supabase/migrations/001_projects.sql';
  const own = lintFiles([{ file, text: MACHI }, { file: 'supabase/migrations/059_cleanup.sql', text: DROP_INVITES }], ID);
  assert.deepEqual(own.mine, []);
  // (a helper returning every project, not the caller's: any project, reported)
  const any = lintFiles([{ file, text: MACHI.replace('WHERE user_id = uid;', 'WHERE uid IS NOT NULL;') }, { file: 'supabase/migrations/059_cleanup.sql', text: DROP_INVITES }], ID).mine;
  assert.equal(any.length, 1);
  assert.match(any[0]!.message, /^Policy "Users can join own projects" on public\.workspace_memberships lets PUBLIC write their own rows of it checking the project_id but not the role/);
  const db = await getDb();
  const setUp = async (q: Q) => {
    await onSupabase(q, own.ws);
    await q(`INSERT INTO public.projects VALUES (1, '${TENANT_A}', 'mine'), (2, '${TENANT_B}', 'theirs'); INSERT INTO public.workspace_memberships (project_id, user_id, role) VALUES (2, '${TENANT_B}', 'owner')`);
    await q(actAs(TENANT_A, { email: 'a@example.com' }));
    await q('SET ROLE authenticated');
  };
  await inRollback(db, async (q) => {
    await setUp(q);
    await q(`INSERT INTO public.workspace_memberships (project_id, user_id, role) VALUES (1, '${TENANT_A}', 'owner')`);
    assert.deepEqual(await q('DELETE FROM public.projects RETURNING name'), [{ name: 'mine' }], 'their own project only');
  });
  await inRollback(db, async (q) => {
    await setUp(q);
    await expectPgError(q(`INSERT INTO public.workspace_memberships (project_id, user_id, role) VALUES (2, '${TENANT_A}', 'owner')`), '42501', 'row-level security');
  });
});

test("err/ok: machi-os's invitation lookup leaving the role free (\"Users can join via invite\") is reported while pending_invites stands; DROP TABLE pending_invites CASCADE drops that policy too (PGlite: it is gone from pg_policies), and nothing is reported", async () => {
  const file = 'supabase/migrations/001_projects.sql';
  const standing = lintFiles([{ file, text: MACHI }], ID);
  assert.equal(standing.mine.length, 1);
  assert.match(standing.mine[0]!.message, /^Policy "Users can join via invite" on public\.workspace_memberships lets PUBLIC write their own rows of it checking the project_id but not the role/);
  const db = await getDb();
  await inRollback(db, async (q) => {
    await onSupabase(q, standing.ws);
    await q(`INSERT INTO public.projects VALUES (2, '${TENANT_B}', 'theirs'); INSERT INTO public.pending_invites (project_id, email, role) VALUES (2, 'a@example.com', 'member')`);
    await q(actAs(TENANT_A, { email: 'a@example.com' }));
    await q('SET ROLE authenticated');
    await q(`INSERT INTO public.workspace_memberships (project_id, user_id, role) VALUES (2, '${TENANT_A}', 'owner')`);
    assert.deepEqual(await q('DELETE FROM public.projects RETURNING name'), [{ name: 'theirs' }], 'invited as a member, deletes the project as its owner');
  });
  const dropped = lintFiles([{ file, text: MACHI }, { file: 'supabase/migrations/059_cleanup.sql', text: DROP_INVITES }], ID);
  assert.deepEqual(dropped.mine, []);
  await inRollback(db, async (q) => {
    await onSupabase(q, dropped.ws);
    assert.deepEqual(await q(`SELECT policyname FROM pg_policies WHERE tablename = 'workspace_memberships' ORDER BY 1`), [{ policyname: 'Users can join own projects' }, { policyname: 'Users can view own memberships' }]);
  });
});

test("err: a DELETE and an UPDATE policy trust the same column (the-suite's addresses, through client_profiles.address_id, a foreign key to them): the finding names the SELECT (or UPDATE) policy, which goes through, not the DELETE, which the forged row's own reference makes fail with 23503 (PGlite)", async () => {
  const text = `CREATE TABLE public.addresses (id uuid PRIMARY KEY, street text);
CREATE TABLE public.client_profiles (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), user_id uuid UNIQUE, address_id uuid REFERENCES public.addresses (id));
ALTER TABLE public.addresses ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.client_profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY profile_read ON public.client_profiles FOR SELECT USING ((select auth.uid()) = user_id);
CREATE POLICY profile_update ON public.client_profiles FOR UPDATE USING ((select auth.uid()) = user_id);
CREATE POLICY address_read ON public.addresses FOR SELECT USING (EXISTS (SELECT 1 FROM public.client_profiles p WHERE p.address_id = addresses.id AND p.user_id = (select auth.uid())));
CREATE POLICY address_delete ON public.addresses FOR DELETE USING (EXISTS (SELECT 1 FROM public.client_profiles p WHERE p.address_id = addresses.id AND p.user_id = (select auth.uid())));
CREATE POLICY address_update ON public.addresses FOR UPDATE USING (EXISTS (SELECT 1 FROM public.client_profiles p WHERE p.address_id = addresses.id AND p.user_id = (select auth.uid())));
`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_addresses.sql', text }], ID);
  const update = mine.find((f) => textAt(ws, f) === 'profile_update');
  assert.ok(update, 'profile_update is reported');
  assert.doesNotMatch(update.message, /delete the rows/);
  assert.match(update.message, /policy "address_(read|update)" on public\.addresses trusts/);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, ws);
    const victim = 'aaaaaaaa-0000-4000-8000-000000000001';
    await q(`INSERT INTO public.addresses VALUES ('${victim}', 'victim street'); INSERT INTO public.client_profiles (user_id, address_id) VALUES ('${TENANT_B}', '${victim}'), ('${TENANT_A}', NULL)`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.addresses'), 0);
    assert.equal(await affected(q, `UPDATE public.client_profiles SET address_id = '${victim}' WHERE user_id = '${TENANT_A}'`), 1);
    assert.equal(await count(q, 'public.addresses'), 1, "A reads B's address");
    await expectPgError(tryQuery(q, `DELETE FROM public.addresses WHERE id = '${victim}'`).then((r) => { if (!r.ok) throw r.error; }), '23503');
    assert.equal(await affected(q, `UPDATE public.addresses SET street = 'changed' WHERE id = '${victim}'`), 1, "A changes B's address");
  });
});

// off-training-note's blocks: a SELECT policy hides the tricks of users the caller blocked, with a
// NOT EXISTS of user_blocks. Inserting a row of one's own with any blocked_id takes rows away
// (those of the blocked user), it gives none: not a membership the policy trusts.
test('ok: a membership table read under NOT (NOT EXISTS … blocker_id = auth.uid() AND blocked_id = t.user_id) is not trusted: a forged block row only hides rows', async () => {
  const file = 'supabase/migrations/20240101000000_blocks.sql';
  const schema = (cond: string) => `
CREATE TABLE public.tricks (id int PRIMARY KEY, user_id uuid NOT NULL, is_public boolean NOT NULL);
CREATE INDEX ON public.tricks (user_id);
CREATE TABLE public.user_blocks (blocker_id uuid NOT NULL, blocked_id uuid NOT NULL, PRIMARY KEY (blocker_id, blocked_id));
CREATE INDEX ON public.user_blocks (blocked_id);
ALTER TABLE public.tricks ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.user_blocks ENABLE ROW LEVEL SECURITY;
CREATE POLICY blocks_select ON public.user_blocks FOR SELECT TO authenticated USING (blocker_id = (select auth.uid()));
CREATE POLICY blocks_insert ON public.user_blocks FOR INSERT TO authenticated WITH CHECK (blocker_id = (select auth.uid()));
CREATE POLICY tricks_select ON public.tricks FOR SELECT TO authenticated USING (
  user_id = (select auth.uid())
  OR (is_public AND ${cond} (SELECT 1 FROM public.user_blocks ub WHERE ub.blocker_id = (select auth.uid()) AND ub.blocked_id = tricks.user_id)));
`;
  const { ws, mine } = lintFiles([{ file, text: schema('NOT EXISTS') }], ID);
  assert.deepEqual(mine.map((f) => f.message), []);
  // (the same read not negated is a membership: the finding is still made)
  assert.equal(lintFiles([{ file, text: schema('EXISTS') }], ID).mine.length, 1);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, ws);
    await q(`INSERT INTO public.tricks VALUES (1, '${TENANT_B}', true), (2, '${TENANT_B}', false)`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.deepEqual(await q('SELECT id FROM public.tricks'), [{ id: 1 }]);
    await q(`INSERT INTO public.user_blocks VALUES ('${TENANT_A}', '${TENANT_B}')`);
    assert.equal(await count(q, 'public.tricks'), 0, 'the block row hides B\'s public trick, and shows nothing else');
  });
});

// boundtime's profiles: a BEFORE UPDATE trigger refuses a change of a Bull's role unless the caller
// is an admin, asking `EXISTS (SELECT … FROM profiles WHERE id = auth.uid() AND is_admin = true)`.
// It guards role, not is_admin: a user sets is_admin = true on their own row and reads what
// admins read.
test("err: a trigger's IF that reads another row's is_admin (the caller's, to let admins change a role) does not guard is_admin: a user makes themselves admin and reads the verifications (PGlite)", async () => {
  const text = `
CREATE TABLE public.profiles (id uuid PRIMARY KEY, nick text, role text, is_admin boolean NOT NULL DEFAULT false);
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY profiles_select ON public.profiles FOR SELECT TO authenticated USING (true);
CREATE POLICY profiles_update_own ON public.profiles FOR UPDATE TO authenticated USING ((select auth.uid()) = id) WITH CHECK ((select auth.uid()) = id);
CREATE FUNCTION public.profiles_prevent_bull_role_change() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  IF OLD.role = 'Bull' AND (NEW.role IS DISTINCT FROM OLD.role) THEN
    IF NOT EXISTS (SELECT 1 FROM public.profiles WHERE id = auth.uid() AND is_admin = true) THEN
      RAISE EXCEPTION 'only support may change the role Bull';
    END IF;
  END IF;
  RETURN NEW;
END $$;
REVOKE EXECUTE ON FUNCTION public.profiles_prevent_bull_role_change() FROM PUBLIC, anon, authenticated;
CREATE TRIGGER profiles_prevent_bull_role_change BEFORE UPDATE ON public.profiles FOR EACH ROW EXECUTE FUNCTION public.profiles_prevent_bull_role_change();
CREATE TABLE public.verifications (id int PRIMARY KEY, user_id uuid NOT NULL, doc text);
CREATE INDEX ON public.verifications (user_id);
ALTER TABLE public.verifications ENABLE ROW LEVEL SECURITY;
CREATE POLICY verifications_select_admin ON public.verifications FOR SELECT TO authenticated
  USING (EXISTS (SELECT 1 FROM public.profiles p WHERE p.id = (select auth.uid()) AND p.is_admin = true));
`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_profiles.sql', text }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^Policy "profiles_update_own" on public\.profiles .* a user can change the is_admin of their own row of public\.profiles to true/);
  // (a guard that names NEW.is_admin still guards it)
  const guardedText = text.replace("IF OLD.role = 'Bull' AND (NEW.role IS DISTINCT FROM OLD.role) THEN", "IF NEW.is_admin IS DISTINCT FROM OLD.is_admin OR (OLD.role = 'Bull' AND NEW.role IS DISTINCT FROM OLD.role) THEN");
  assert.equal(lintFiles([{ file: 'supabase/migrations/20240101000000_profiles.sql', text: guardedText }], ID).mine.length, 0);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, ws);
    await q(`INSERT INTO public.profiles VALUES ('${TENANT_A}', 'a', 'Sub', false), ('${TENANT_B}', 'b', 'Dom', false); INSERT INTO public.verifications VALUES (1, '${TENANT_B}', 'B''s ID')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.verifications'), 0);
    assert.equal(await affected(q, `UPDATE public.profiles SET is_admin = true WHERE id = '${TENANT_A}'`), 1, 'the trigger lets it through');
    assert.deepEqual(await q('SELECT doc FROM public.verifications'), [{ doc: "B's ID" }]);
  });
});

test("ok: one profile per user made for every account at sign-up (a trigger on auth.users), no DELETE policy: inserting one's own profile as 'teacher' fails with 23505, not reported (COMP3122's profiles); without the trigger, reported and user A becomes a teacher (PGlite)", async () => {
  const file = 'supabase/migrations/20240101000000_profiles.sql';
  const base = `CREATE TABLE auth.users (id uuid PRIMARY KEY, raw_user_meta_data jsonb);
CREATE TYPE public.account_type AS ENUM ('teacher', 'student');
CREATE TABLE public.profiles (id uuid PRIMARY KEY REFERENCES auth.users (id) ON DELETE CASCADE, account_type public.account_type NOT NULL);
CREATE TABLE public.classes (id bigint PRIMARY KEY, owner_id uuid NOT NULL, title text);
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.classes ENABLE ROW LEVEL SECURITY;
CREATE POLICY profiles_select_own ON public.profiles FOR SELECT USING (auth.uid() = id);
CREATE POLICY profiles_insert_own ON public.profiles FOR INSERT WITH CHECK (auth.uid() = id);
CREATE FUNCTION public.requesting_account_type() RETURNS public.account_type LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ SELECT p.account_type FROM public.profiles p WHERE p.id = auth.uid() $$;
CREATE POLICY classes_select_own ON public.classes FOR SELECT USING (owner_id = auth.uid());
CREATE POLICY classes_insert_teacher ON public.classes FOR INSERT WITH CHECK (public.requesting_account_type() = 'teacher');
`;
  const signUp = `CREATE FUNCTION public.sync_profile() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  INSERT INTO public.profiles (id, account_type) VALUES (NEW.id, 'student') ON CONFLICT (id) DO NOTHING;
  RETURN NEW;
END $$;
CREATE TRIGGER on_auth_user_created AFTER INSERT ON auth.users FOR EACH ROW EXECUTE FUNCTION public.sync_profile();
`;
  const deletePolicy = 'CREATE POLICY profiles_delete_own ON public.profiles FOR DELETE USING (auth.uid() = id);\n';
  const open = lintFiles([{ file, text: base }], ID);
  assert.equal(open.mine.length, 1);
  assert.match(open.mine[0]!.message, /^Policy "profiles_insert_own" on public\.profiles .*only one who has no row yet can; no policy lets them delete theirs/);
  const closed = lintFiles([{ file, text: base + signUp }], ID);
  assert.equal(closed.mine.length, 0);
  // (a DELETE policy lets a user remove the row sign-up made and insert it again: still reported)
  const deletable = lintFiles([{ file, text: base + signUp + deletePolicy }], ID);
  assert.equal(deletable.mine.length, 1);
  assert.match(deletable.mine[0]!.message, /one who already has a row can only after deleting it/);
  const asA = async (q: Q) => {
    await q(`INSERT INTO auth.users VALUES ('${TENANT_A}', '{}')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
  };
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, open.ws);
    await asA(q);
    await q(`INSERT INTO public.profiles VALUES ('${TENANT_A}', 'teacher')`);
    await q(`INSERT INTO public.classes VALUES (1, '${TENANT_A}', 'mine')`);
    assert.equal(await count(q, 'public.classes'), 1, 'A made itself a teacher and created a class');
  });
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, closed.ws);
    await asA(q);
    assert.deepEqual(await q('SELECT account_type FROM public.profiles'), [{ account_type: 'student' }], 'the profile from sign-up');
    await expectPgError(q(`INSERT INTO public.profiles VALUES ('${TENANT_A}', 'teacher')`), '23505', 'profiles_pkey');
  });
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, closed.ws);
    await asA(q);
    await expectPgError(q(`INSERT INTO public.classes VALUES (1, '${TENANT_A}', 'mine')`), '42501', 'row-level security');
  });
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, deletable.ws);
    await asA(q);
    await q('DELETE FROM public.profiles');
    await q(`INSERT INTO public.profiles VALUES ('${TENANT_A}', 'teacher')`);
    await q(`INSERT INTO public.classes VALUES (1, '${TENANT_A}', 'mine')`);
    assert.equal(await count(q, 'public.classes'), 1, 'after deleting its profile, A made itself a teacher');
  });
});

// Calibration cal114 (an organizations app with invitations): users may update their own pending
// membership (`user_id = auth.uid() AND accepted_at IS NULL`, no WITH CHECK), and the helper the
// trusting policies call counts only accepted rows (`AND accepted_at IS NOT NULL`). The message
// said a user could move their row to any organization and read its rows: the moved row is still
// pending there, and the helper does not count it.
const PENDING_SQL = `CREATE TABLE public.organizations (id uuid PRIMARY KEY, name text);
CREATE TABLE public.organization_members (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), organization_id uuid NOT NULL REFERENCES public.organizations (id), user_id uuid NOT NULL, role text NOT NULL DEFAULT 'member', accepted_at timestamptz, UNIQUE (organization_id, user_id));
CREATE TABLE public.usage_logs (id bigint PRIMARY KEY, organization_id uuid, cost numeric);
ALTER TABLE public.organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.organization_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.usage_logs ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.get_org_role(org_id uuid) RETURNS text LANGUAGE plpgsql SECURITY DEFINER STABLE SET search_path = public, pg_temp AS $$
DECLARE v_role text; BEGIN
  SELECT role INTO v_role FROM organization_members WHERE organization_id = org_id AND user_id = auth.uid() AND accepted_at IS NOT NULL;
  RETURN v_role; END $$;
CREATE POLICY "Members can view org members" ON public.organization_members FOR SELECT TO authenticated USING (user_id = (select auth.uid()) OR get_org_role(organization_id) IS NOT NULL);
CREATE POLICY "Admins can update members" ON public.organization_members FOR UPDATE TO authenticated
  USING (get_org_role(organization_id) IN ('owner', 'admin') OR (user_id = (select auth.uid()) AND accepted_at IS NULL));
CREATE POLICY "view logs" ON public.usage_logs FOR SELECT TO authenticated USING (get_org_role(organization_id) IS NOT NULL);
`;

test("ok: a pending membership (accepted_at IS NULL) a user may move, where the trusting helper counts only accepted ones (accepted_at IS NOT NULL), is not reported; a read that ignores accepted_at is; PGlite: user B moves its pending row into org X, reads none of X's logs, and cannot set accepted_at (42501)", async () => {
  const file = 'supabase/migrations/20240101000000_orgs.sql';
  assert.deepEqual(lintFiles([{ file, text: PENDING_SQL }], ID).mine, []);
  // (the same helper without its accepted_at test, or a sub-select that asks nothing of it: reported)
  const any = PENDING_SQL.replace(' AND accepted_at IS NOT NULL;', ';');
  assert.equal(lintFiles([{ file, text: any }], ID).mine.length, 1);
  const bySelect = `${PENDING_SQL}CREATE TABLE public.quotes (id bigint PRIMARY KEY, organization_id uuid);
ALTER TABLE public.quotes ENABLE ROW LEVEL SECURITY;
CREATE POLICY quotes_select ON public.quotes FOR SELECT TO authenticated USING (organization_id IN (SELECT organization_id FROM public.organization_members WHERE user_id = (select auth.uid())));
`;
  const [quotes] = lintFiles([{ file, text: bySelect }], ID).mine;
  assert.match(quotes!.message, /policy "quotes_select" on public\.quotes trusts/);
  const X = '10000000-0000-0000-0000-000000000001';
  const Y = '20000000-0000-0000-0000-000000000002';
  await inRollback(await getDb(), async (q) => {
    await onPlatform(q, PENDING_SQL);
    await q(`INSERT INTO public.organizations VALUES ('${X}', 'x'), ('${Y}', 'y');
      INSERT INTO public.organization_members (organization_id, user_id, role, accepted_at) VALUES ('${X}', '${TENANT_A}', 'owner', now()), ('${Y}', '${TENANT_B}', 'member', NULL);
      INSERT INTO public.usage_logs VALUES (1, '${X}', 42)`);
    await q(actAs(TENANT_B));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.usage_logs'), 0);
    assert.equal(await affected(q, `UPDATE public.organization_members SET organization_id = '${X}', role = 'owner' WHERE user_id = '${TENANT_B}'`), 1, 'the pending row moves');
    assert.equal(await count(q, 'public.usage_logs'), 0, 'still pending there: not counted');
    await expectPgError(q(`UPDATE public.organization_members SET accepted_at = now() WHERE user_id = '${TENANT_B}'`), '42501', 'row-level security');
  });
});

// A project with its own users table (id serial) whose admin check compares the id with
// `auth.uid()::text::integer`: no uuid's text is an integer, so the cast fails (22P02) for every
// signed-in caller, and the row a user writes for themselves, as 'Admin', never makes the policy
// admit them. The write is still open (policy-always-true says so), but not a way into the logs.
test("ok: a membership read that compares an integer id with auth.uid()::text::integer is not trusted: user A writes their own 'Admin' row and still reads no log, the SELECT fails with 22P02 (PGlite); with the id a uuid compared with auth.uid(), reported", async () => {
  const file = 'supabase/migrations/20250615000000_usuarios.sql';
  const schema = (idType: string, caller: string) => `
CREATE TABLE public.usuarios (id ${idType} PRIMARY KEY, nome text NOT NULL, tipo_usuario text NOT NULL);
ALTER TABLE public.usuarios ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Allow all operations for usuarios" ON public.usuarios FOR ALL TO authenticated USING (true);
CREATE TABLE public.logs_alteracoes (id serial PRIMARY KEY, acao text NOT NULL);
ALTER TABLE public.logs_alteracoes ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Admins podem ver todos os logs" ON public.logs_alteracoes FOR SELECT TO authenticated USING (
  EXISTS (SELECT 1 FROM public.usuarios WHERE id = ${caller} AND tipo_usuario = 'Admin'));
`;
  // ((auth.jwt() ->> 'sub')::integer too: Supabase's sub is the user's uuid; policy-type-mismatch's test shows its 22P02)
  for (const caller of ['auth.uid()::text::integer', '(select auth.uid())::text::bigint', "(auth.jwt() ->> 'sub')::integer", 'CAST(CAST(auth.uid() AS text) AS integer)']) {
    assert.deepEqual(lintFiles([{ file, text: schema('serial', caller) }], ID).mine.map((f) => f.message), [], caller);
  }
  // (the same read with a uuid id compared with auth.uid() is a membership: the finding is still made)
  assert.equal(lintFiles([{ file, text: schema('uuid', 'auth.uid()') }], ID).mine.length, 1);
  const { ws } = lintFiles([{ file, text: schema('serial', 'auth.uid()::text::integer') }], ID);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, ws);
    await q(`INSERT INTO public.logs_alteracoes (acao) VALUES ('secret')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    await q(`INSERT INTO public.usuarios (id, nome, tipo_usuario) VALUES (1, 'a', 'Admin')`);
    await expectPgError(q('SELECT acao FROM public.logs_alteracoes'), '22P02', /invalid input syntax for type integer/);
  });
});

// Calibration fix124: a Supabase Realtime Authorization policy on realtime.messages that matches
// a membership with the channel's topic through an expression ('sala:' || m.sala_id::text =
// realtime.topic()) trusts the membership table like any other: a user who may insert their own
// row with any sala_id joins any room's private channel. realtime.messages and realtime.topic()
// stubbed as supabase/realtime makes them (migration 20240523004032_redefine_authorization_tables:
// SELECT, INSERT, UPDATE granted to anon and authenticated; the topic from the `realtime.topic`
// setting, which Realtime sets to the channel's topic when it asks the policies).
const REALTIME_STUB_SQL = `CREATE SCHEMA IF NOT EXISTS realtime;
CREATE TABLE realtime.messages (id bigserial PRIMARY KEY, topic text NOT NULL, extension text NOT NULL DEFAULT 'broadcast', payload jsonb);
CREATE FUNCTION realtime.topic() RETURNS text LANGUAGE sql STABLE AS $$ SELECT nullif(current_setting('realtime.topic', true), '')::text $$;
ALTER TABLE realtime.messages ENABLE ROW LEVEL SECURITY;
GRANT USAGE ON SCHEMA realtime TO anon, authenticated;
GRANT SELECT, INSERT, UPDATE ON realtime.messages TO anon, authenticated;
`;

/** The platform (auth and Realtime stubs), the migrations, one broadcast on topic 'sala:7'; then act as user A, joined to that topic. */
async function realtimeRoom(q: Q, migrations: string): Promise<void> {
  await q(REALTIME_STUB_SQL);
  await onPlatform(q, migrations);
  await q(`INSERT INTO realtime.messages (topic, payload) VALUES ('sala:7', '{"texto": "só para a sala 7"}')`);
  await q(actAs(TENANT_A));
  await q(`SELECT set_config('realtime.topic', 'sala:7', true)`);
  await q('SET ROLE authenticated');
}

test("err: Realtime Authorization, 'sala:' || m.sala_id::text = (select realtime.topic()) (Invalid example): user A inserts their own membership of room 7 and then receives its broadcast (PGlite)", async () => {
  const { ws, finding } = invalidFinding(ID, 6);
  assert.equal(textAt(ws, finding), 'entrar');
  assert.equal(
    finding.message,
    `Policy "entrar" on public.sala_membros lets authenticated write rows of it checking only their user_id against who the caller is: public.sala_membros is a membership table that policy "ouvir" on realtime.messages trusts ` +
      `(it admits a message when public.sala_membros has a row with the caller's user_id whose sala_id its condition matches, through an expression, with the channel's topic, realtime.topic()), ` +
      `so a user can insert a row of public.sala_membros with their own user_id and any sala_id, and then receive what is broadcast on the private Realtime channels whose topic that sala_id gives ` +
      `(Realtime asks the SELECT policies of realtime.messages, with realtime.topic() returning the channel's topic, when a user joins a channel), which they were never given. ` +
      `Check sala_id in the WITH CHECK too (e.g. that the caller holds an invitation for that sala_id, or already administers it), or let users write these rows only through a SECURITY DEFINER function that checks an invitation.`,
  );
  await inRollback(await getDb(), async (q) => {
    await realtimeRoom(q, sqlOf(ws));
    assert.deepEqual(await q('SELECT topic FROM realtime.messages'), [], 'in no room: nothing');
    await q(`INSERT INTO public.sala_membros (sala_id, user_id) VALUES (7, '${TENANT_A}')`);
    assert.deepEqual(await q('SELECT topic, payload FROM realtime.messages'), [{ topic: 'sala:7', payload: { texto: 'só para a sala 7' } }], "room 7's broadcast");
  });
});

test('err: the room key reaches the topic through concat(), format(), split_part() (either side), an IN, or plainly: each reported, and each lets user A receive room 7 after inserting their own membership (PGlite)', async () => {
  const { ex } = lintDocExample(ID, 'invalid', 6);
  const doc = ex.files[0]!.text;
  const trusted = `'sala:' || m.sala_id::text = (select realtime.topic())`;
  assert.ok(doc.includes(trusted));
  const ouvir = /CREATE POLICY ouvir[\s\S]*$/.exec(doc)![0];
  const variants: Array<[string, string]> = [
    ['concat', doc.replace(trusted, `concat('sala:', m.sala_id) = (select realtime.topic())`)],
    ['format', doc.replace(trusted, `format('sala:%s', m.sala_id) = realtime.topic()`)],
    ['split_part', doc.replace(trusted, `split_part(realtime.topic(), ':', 2)::bigint = m.sala_id`)],
    ['split_part, the column first', doc.replace(trusted, `m.sala_id = split_part((select realtime.topic()), ':', 2)::bigint`)],
    ['IN, the topic computed', doc.replace(ouvir, `CREATE POLICY ouvir ON realtime.messages FOR SELECT TO authenticated\n  USING (split_part((select realtime.topic()), ':', 2)::bigint IN (SELECT sala_id FROM public.sala_membros WHERE user_id = (select auth.uid())));\n`)],
    ['IN, the key computed', doc.replace(ouvir, `CREATE POLICY ouvir ON realtime.messages FOR SELECT TO authenticated\n  USING ((select realtime.topic()) IN (SELECT 'sala:' || sala_id FROM public.sala_membros WHERE user_id = (select auth.uid())));\n`)],
    // (a topic column, compared as it is: the Supabase guide's rooms_users.topic)
    ['plain', doc.replace('sala_id bigint NOT NULL', 'sala_id text NOT NULL').replace(trusted, 'm.sala_id = (select realtime.topic())')],
  ];
  for (const [name, text] of variants) {
    assert.notEqual(text, doc, name);
    const { ws, mine } = lintFiles([{ file: ex.files[0]!.file, text }], ID);
    assert.equal(mine.length, 1, name);
    assert.match(mine[0]!.message, /lets authenticated write rows of it checking only their user_id .* any sala_id, and then receive what is broadcast on the private Realtime channels whose topic that sala_id gives/, name);
    assert.match(mine[0]!.message, name === 'plain' ? /whose sala_id equals the channel's topic, realtime\.topic\(\)\)/ : /whose sala_id its condition matches, through an expression, with the channel's topic/, name);
    await inRollback(await getDb(), async (q) => {
      await realtimeRoom(q, sqlOf(ws));
      assert.equal(await count(q, 'realtime.messages'), 0, name);
      await q(`INSERT INTO public.sala_membros (sala_id, user_id) VALUES (${name === 'plain' ? "'sala:7'" : '7'}, '${TENANT_A}')`);
      assert.equal(await count(q, 'realtime.messages'), 1, `${name}: room 7's broadcast`);
    });
  }
});

test("err: an ordinary table too, 'org:' || m.org_id = documents.scope: user A inserts their own membership of org 2 and reads its document (PGlite)", async () => {
  const { ex } = lintDocExample(ID, 'invalid', 0);
  const text = ex.files[0]!.text
    .replace('CREATE TABLE public.documents (id bigint PRIMARY KEY, org_id bigint NOT NULL, title text NOT NULL);', 'CREATE TABLE public.documents (id bigint PRIMARY KEY, scope text NOT NULL, title text NOT NULL);')
    .replace('CREATE INDEX ON public.documents (org_id);', 'CREATE INDEX ON public.documents (scope);')
    .replace('WHERE m.org_id = documents.org_id AND', "WHERE 'org:' || m.org_id = documents.scope AND");
  assert.equal((text.match(/scope/g) ?? []).length, 3);
  const { ws, mine } = lintFiles(ex.files.map((f) => ({ file: f.file, text })), ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /policy "documents_member" on public\.documents trusts \(it admits a row when public\.org_members has a row with the caller's user_id whose org_id its condition matches, through an expression, with the scope of that row\), so a user can insert a row of public\.org_members with their own user_id and any org_id, and then get the rows of public\.documents that policy admits for that org_id/);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, ws);
    await q(`INSERT INTO public.org_members VALUES (1, '${TENANT_A}'); INSERT INTO public.documents VALUES (10, 'org:1', 'ours'), (20, 'org:2', 'theirs')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.deepEqual(await q('SELECT title FROM public.documents'), [{ title: 'ours' }]);
    await q(`INSERT INTO public.org_members VALUES (2, '${TENANT_A}')`);
    assert.deepEqual(await q('SELECT title FROM public.documents ORDER BY id'), [{ title: 'ours' }, { title: 'theirs' }], "org 2's document too");
  });
});

test('ok: the column users may write is not the one reaching the topic (GRANT UPDATE (apelido), no INSERT policy): not reported; moving the row to room 7 fails with 42501 and user A receives nothing; with UPDATE granted on the whole table, reported, and the row moves to room 7 (PGlite)', async () => {
  const { ex } = lintDocExample(ID, 'invalid', 6);
  const text = ex.files[0]!.text
    .replace('sala_id bigint NOT NULL, user_id uuid NOT NULL,', 'sala_id bigint NOT NULL, user_id uuid NOT NULL, apelido text,')
    .replace(/CREATE POLICY entrar[^;]*;/, `CREATE POLICY renomear ON public.sala_membros FOR UPDATE TO authenticated\n  USING (user_id = (select auth.uid()));\nREVOKE INSERT, UPDATE ON public.sala_membros FROM authenticated;\nGRANT UPDATE (apelido) ON public.sala_membros TO authenticated;`);
  assert.match(text, /GRANT UPDATE \(apelido\)/);
  const { ws, mine } = lintFiles([{ file: ex.files[0]!.file, text }], ID);
  assert.deepEqual(mine.map((f) => f.message), []);
  // (the same policy with UPDATE granted on the whole table: reported, and the row moves)
  const whole = lintFiles([{ file: ex.files[0]!.file, text: text.replace('GRANT UPDATE (apelido) ON', 'GRANT UPDATE ON') }], ID);
  assert.equal(whole.mine.length, 1);
  assert.match(whole.mine[0]!.message, /a user can change the sala_id of their own row of public\.sala_membros to any value, and then receive what is broadcast/);
  await inRollback(await getDb(), async (q) => {
    await q(REALTIME_STUB_SQL);
    await onPlatform(q, sqlOf(whole.ws));
    await q(`INSERT INTO public.sala_membros (sala_id, user_id) VALUES (1, '${TENANT_A}')`);
    await q(`INSERT INTO realtime.messages (topic) VALUES ('sala:7')`);
    await q(actAs(TENANT_A));
    await q(`SELECT set_config('realtime.topic', 'sala:7', true)`);
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'realtime.messages'), 0);
    assert.equal(await affected(q, `UPDATE public.sala_membros SET sala_id = 7`), 1);
    assert.equal(await count(q, 'realtime.messages'), 1, 'room 7 after the move');
  });
  await inRollback(await getDb(), async (q) => {
    await q(REALTIME_STUB_SQL);
    await onPlatform(q, sqlOf(ws));
    await q(`INSERT INTO public.sala_membros (sala_id, user_id) VALUES (1, '${TENANT_A}')`);
    await q(`INSERT INTO realtime.messages (topic) VALUES ('sala:7')`);
    await q(actAs(TENANT_A));
    await q(`SELECT set_config('realtime.topic', 'sala:7', true)`);
    await q('SET ROLE authenticated');
    assert.equal(await affected(q, `UPDATE public.sala_membros SET apelido = 'eu'`), 1, 'the nickname is theirs to change');
    for (const sql of [`UPDATE public.sala_membros SET sala_id = 7`, `INSERT INTO public.sala_membros (sala_id, user_id) VALUES (7, '${TENANT_A}')`]) {
      const r = await tryQuery(q, sql);
      assert.equal(r.ok ? 'ok' : `${r.error.code} ${r.error.message}`, '42501 permission denied for table sala_membros', sql);
    }
    assert.equal(await count(q, 'realtime.messages'), 0);
  });
});

test('ok: not followed: an expression of two membership columns, or naming who calls, or a topic compared with a constant; a join checking an invitation for the sala_id (PGlite: 42501 uninvited)', async () => {
  const { ex } = lintDocExample(ID, 'invalid', 6);
  const doc = ex.files[0]!.text;
  const trusted = `'sala:' || m.sala_id::text = (select realtime.topic())`;
  const withNick = doc.replace('sala_id bigint NOT NULL, user_id uuid NOT NULL,', 'sala_id bigint NOT NULL, user_id uuid NOT NULL, apelido text,');
  const invited = doc
    .replace('CREATE TABLE public.sala_membros', `CREATE TABLE public.convites (sala_id bigint NOT NULL, user_id uuid NOT NULL, PRIMARY KEY (sala_id, user_id));\nALTER TABLE public.convites ENABLE ROW LEVEL SECURITY;\nCREATE POLICY meus ON public.convites FOR SELECT TO authenticated USING (user_id = (select auth.uid()));\nCREATE TABLE public.sala_membros`)
    .replace(/WITH CHECK \(user_id = \(select auth\.uid\(\)\)\);/, 'WITH CHECK (user_id = (select auth.uid()) AND EXISTS (SELECT 1 FROM public.convites c WHERE c.sala_id = sala_membros.sala_id AND c.user_id = (select auth.uid())));');
  const cases: Array<[string, string]> = [
    ['two columns', withNick.replace(trusted, `m.apelido || m.sala_id = (select realtime.topic())`)],
    ['who calls', doc.replace(trusted, `'sala:' || m.sala_id || (select auth.uid()) = (select realtime.topic())`)],
    ['a constant topic', doc.replace(trusted, `(select realtime.topic()) = 'lobby'`)],
    ['an invitation', invited],
  ];
  for (const [name, text] of cases) {
    assert.notEqual(text, doc, name);
    assert.deepEqual(lintFiles([{ file: ex.files[0]!.file, text }], ID).mine.map((f) => f.message), [], name);
  }
  await inRollback(await getDb(), async (q) => {
    await realtimeRoom(q, invited);
    const r = await tryQuery(q, `INSERT INTO public.sala_membros (sala_id, user_id) VALUES (7, '${TENANT_A}')`);
    assert.equal(r.ok ? 'ok' : r.error.code, '42501', 'uninvited');
    assert.equal(await count(q, 'realtime.messages'), 0);
    await q('RESET ROLE');
    await q(`INSERT INTO public.convites VALUES (7, '${TENANT_A}')`);
    await q('SET ROLE authenticated');
    await q(`INSERT INTO public.sala_membros (sala_id, user_id) VALUES (7, '${TENANT_A}')`);
    assert.equal(await count(q, 'realtime.messages'), 1, 'invited: room 7');
  });
});

test('ok: REVOKE SELECT ON realtime.messages FROM authenticated: the policy gives nothing, not reported; on PGlite the SELECT fails with 42501', async () => {
  const { ex } = lintDocExample(ID, 'invalid', 6);
  const text = `${ex.files[0]!.text}REVOKE SELECT ON realtime.messages FROM authenticated;\n`;
  const { ws, mine } = lintFiles([{ file: ex.files[0]!.file, text }], ID);
  assert.deepEqual(mine.map((f) => f.message), []);
  await inRollback(await getDb(), async (q) => {
    await realtimeRoom(q, sqlOf(ws));
    await q(`INSERT INTO public.sala_membros (sala_id, user_id) VALUES (7, '${TENANT_A}')`);
    await expectPgError(q('SELECT * FROM realtime.messages'), '42501', 'permission denied');
  });
});

// b2b-materialidad-v2 (Supabase, Clerk ids): profiles (id uuid) made by a first migration and again
// by a plain CREATE TABLE of a later one (42P07 for certain), then an INSERT policy checking
// `id = (auth.jwt() ->> 'sub')` beside an admin SELECT policy trusting profiles.role through a
// SECURITY DEFINER helper. PostgreSQL rejects that INSERT policy (42883 uuid = text): it never
// exists, lets no one write, and only policy-type-mismatch speaks of it.
const CLERK_PROFILES = [
  {
    file: 'supabase/migrations/20260204_initial_schema.sql',
    text: `CREATE TABLE profiles (\n    id UUID PRIMARY KEY,\n    organization_id UUID,\n    role TEXT DEFAULT 'VENDEDOR'\n);\nALTER TABLE profiles ENABLE ROW LEVEL SECURITY;\n`,
  },
  {
    file: 'supabase/migrations/20260205_full_schema.sql',
    text: `CREATE TABLE profiles (\n    id UUID PRIMARY KEY,\n    organization_id UUID,\n    email TEXT,\n    role TEXT DEFAULT 'VENDEDOR'\n);\n`,
  },
  {
    file: 'supabase/migrations/20260220_fix_profiles_rls.sql',
    text:
      `CREATE POLICY "Users can insert their own profile"\nON public.profiles\nFOR INSERT\nWITH CHECK (id = (auth.jwt() ->> 'sub'));\n\n` +
      `CREATE OR REPLACE FUNCTION public.get_current_user_role()\nRETURNS text\nLANGUAGE sql\nSECURITY DEFINER\nSET search_path = public, pg_temp\nAS $$\n  SELECT role FROM public.profiles WHERE id = auth.uid();\n$$;\n\n` +
      `CREATE POLICY "Admins can view all profiles v2"\nON public.profiles\nFOR SELECT\nUSING (public.get_current_user_role() = 'ADMIN');\n`,
  },
];

test("ok: a write policy PostgreSQL rejects (42883 uuid = text, on a table a later plain CREATE TABLE makes again: b2b-materialidad-v2's profiles) lets no one write: not reported; PGlite: the policy is never created and the user's ADMIN row is refused", async () => {
  const r = lintFiles(CLERK_PROFILES, ID);
  assert.deepEqual(r.mine, []);
  const mismatch = r.findings.filter((f) => f.rule === 'policy-type-mismatch');
  assert.equal(mismatch.length, 1);
  assert.match(mismatch[0]!.message, /^Policy "Users can insert their own profile" on public\.profiles compares id, a uuid column, with auth\.jwt\(\) ->> 'sub', which is text/);
  // (written with a cast, the policy exists and the finding is back)
  const cast = CLERK_PROFILES.map((f) => ({ ...f, text: f.text.replace("WITH CHECK (id = (auth.jwt() ->> 'sub'))", "WITH CHECK (id = (auth.jwt() ->> 'sub')::uuid)") }));
  assert.equal(lintFiles(cast, ID).mine.length, 1);
  await inRollback(await getDb(), async (q) => {
    const fails = async (sql: string, code: string, message: string) => {
      await q('SAVEPOINT each');
      await expectPgError(q(sql), code, message);
      await q('ROLLBACK TO SAVEPOINT each');
    };
    await q(AUTH_STUB_SQL);
    await q(CLERK_PROFILES[0]!.text);
    await fails(CLERK_PROFILES[1]!.text, '42P07', 'relation "profiles" already exists');
    await fails(`CREATE POLICY "Users can insert their own profile" ON public.profiles FOR INSERT WITH CHECK (id = (auth.jwt() ->> 'sub'))`, '42883', 'operator does not exist: uuid = text');
    await q(CLERK_PROFILES[2]!.text.slice(CLERK_PROFILES[2]!.text.indexOf('CREATE OR REPLACE FUNCTION')));
    assert.deepEqual(await q(`SELECT policyname FROM pg_policies WHERE tablename = 'profiles' ORDER BY 1`), [{ policyname: 'Admins can view all profiles v2' }]);
    await q('GRANT SELECT, INSERT ON public.profiles TO authenticated');
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    await expectPgError(q(`INSERT INTO public.profiles (id, role) VALUES ('${TENANT_A}', 'ADMIN')`), '42501', 'new row violates row-level security policy');
  });
});

// gonasi/gonasi: organization_members_insert lets a user insert themselves with role 'owner'
// only, and the unique index one_owner_per_organization (organization_id) WHERE role = 'owner'
// lets each organization have one such row: the hole is only an organization that has no owner row yet
const ONE_OWNER = `CREATE TYPE public.org_role AS ENUM ('owner', 'admin', 'editor');
CREATE TABLE public.organizations (id uuid PRIMARY KEY);
CREATE TABLE public.organization_members (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES public.organizations(id),
  user_id uuid NOT NULL,
  role public.org_role NOT NULL,
  UNIQUE (organization_id, user_id)
);
CREATE UNIQUE INDEX one_owner_per_organization ON public.organization_members (organization_id) WHERE role = 'owner';
ALTER TABLE public.organization_members ENABLE ROW LEVEL SECURITY;
CREATE POLICY members_select ON public.organization_members FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE POLICY members_insert ON public.organization_members FOR INSERT TO authenticated
  WITH CHECK ((user_id = (select auth.uid()) AND role = 'owner'));
CREATE TABLE public.payments (id uuid PRIMARY KEY, organization_id uuid NOT NULL);
CREATE INDEX ON public.payments (organization_id);
ALTER TABLE public.payments ENABLE ROW LEVEL SECURITY;
CREATE POLICY payments_select ON public.payments FOR SELECT TO authenticated
  USING (EXISTS (SELECT 1 FROM public.organization_members m WHERE m.organization_id = payments.organization_id AND m.user_id = (select auth.uid())));
`;

test("err: gonasi's self-insert as 'owner' with a partial unique index (organization_id) WHERE role = 'owner' is said to open only an organization_id with no owner row yet; PGlite: 23505 for an owned one, an ownerless one is joined and its payment read", async () => {
  const file = 'supabase/migrations/20250101000000_x.sql';
  const { ws, mine } = lintFiles([{ file, text: ONE_OWNER }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'members_insert');
  assert.match(
    mine[0]!.message,
    /with their own user_id and any organization_id that has no row with role = 'owner' yet \(the unique index one_owner_per_organization allows one such row per organization_id: where there is one, the INSERT fails with 23505\)/,
  );
  // (as pg_dump, and so supabase db diff, writes them: casts to the enum, parentheses)
  const dumped = ONE_OWNER.replace("WHERE role = 'owner';", "USING btree (organization_id) WHERE (role = 'owner'::public.org_role);")
    .replace('(organization_id) USING btree', 'USING btree')
    .replace("AND role = 'owner'))", "AND (role = 'owner'::public.org_role)))");
  assert.match(dumped, /USING btree \(organization_id\) WHERE \(role = 'owner'::public\.org_role\)/);
  assert.match(lintFiles([{ file, text: dumped }], ID).mine[0]?.message ?? '', /any organization_id that has no row with role = 'owner' yet/);
  // (without the index, or with a branch that admits the caller's row whatever its role, any organization_id)
  for (const text of [
    ONE_OWNER.replace(/CREATE UNIQUE INDEX one_owner_per_organization .*\n/, ''),
    ONE_OWNER.replace("AND role = 'owner'))", "AND role = 'owner') OR user_id = (select auth.uid()))"),
    ONE_OWNER.replace("WHERE role = 'owner';", "WHERE role = 'admin';"),
  ]) {
    const other = lintFiles([{ file, text }], ID).mine;
    assert.equal(other.length, 1);
    assert.match(other[0]!.message, /with their own user_id and any organization_id, and then/);
  }
  const ORG_1 = '00000000-0000-0000-0000-0000000000c1';
  const ORG_2 = '00000000-0000-0000-0000-0000000000c2';
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, ws);
    await q(`INSERT INTO public.organizations VALUES ('${ORG_1}'), ('${ORG_2}');
      INSERT INTO public.organization_members (organization_id, user_id, role) VALUES ('${ORG_1}', '${TENANT_A}', 'owner');
      INSERT INTO public.payments VALUES ('00000000-0000-0000-0000-0000000000d1', '${ORG_1}'), ('00000000-0000-0000-0000-0000000000d2', '${ORG_2}')`);
    await q(actAs(TENANT_B));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.payments'), 0);
    const owned = await tryQuery(q, `INSERT INTO public.organization_members (organization_id, user_id, role) VALUES ('${ORG_1}', '${TENANT_B}', 'owner')`);
    assert.equal(owned.ok ? 'ok' : owned.error.code, '23505', 'an organization with an owner refuses another');
    await q(`INSERT INTO public.organization_members (organization_id, user_id, role) VALUES ('${ORG_2}', '${TENANT_B}', 'owner')`);
    assert.deepEqual(await q('SELECT organization_id FROM public.payments'), [{ organization_id: ORG_2 }], 'the ownerless one is joined');
  });
});

// danbiagini/parlour-room: the administrators' FOR ALL … USING (true) policies on the membership
// table (parlour_user_join) and on the table trusting it (invitation, whose FOR ALL policy admits a
// row when the caller is a member of its parlour): the administrators, the only roles the
// membership table's open policy lets write, were said to reach invitations "which they were never
// given" by writing memberships — their own FOR ALL policy on the invitations already gives them
// every row, to read, change, delete and insert (PGlite below).
const ADMIN_SQL = `CREATE FUNCTION public.uid() RETURNS text LANGUAGE sql STABLE AS $$ SELECT nullif(current_setting('app.uid', true), '') $$;
CREATE TABLE public.members (group_id int NOT NULL, user_id text NOT NULL, PRIMARY KEY (group_id, user_id));
ALTER TABLE public.members ENABLE ROW LEVEL SECURITY;
CREATE POLICY members_read ON public.members FOR SELECT USING (user_id = public.uid());
CREATE POLICY members_admin ON public.members TO app_admin USING (true);
CREATE TABLE public.invites (id int PRIMARY KEY, group_id int NOT NULL, email text);
ALTER TABLE public.invites ENABLE ROW LEVEL SECURITY;
CREATE POLICY invites_member ON public.invites USING (group_id IN (SELECT m.group_id FROM public.members m WHERE m.user_id = public.uid()));
GRANT ALL ON public.members, public.invites TO app_admin;
`;
const ADMIN_INVITES = 'CREATE POLICY invites_admin ON public.invites TO app_admin USING (true);\n';

test('ok (err without it): parlour-room: the writers of the membership rows are administrators whom another FOR ALL policy of the trusting table already admits to every row: nothing gained, no finding', async () => {
  const without = lintFiles([{ file: 'migrations/current.sql', text: ADMIN_SQL }], ID);
  assert.equal(without.mine.length, 1);
  assert.match(without.mine[0]!.message, /^Policy "members_admin" on public\.members lets app_admin write rows of it checking nothing about them/);
  const { mine } = lintFiles([{ file: 'migrations/current.sql', text: ADMIN_SQL + ADMIN_INVITES }], ID);
  assert.deepEqual(mine, []);
  const db = await getDb();
  await ensureRoles(db, ['app_admin']);
  await inRollback(db, async (q) => {
    await q(ADMIN_SQL + ADMIN_INVITES);
    await q(`INSERT INTO public.invites VALUES (1, 1, 'a@x'), (2, 2, 'b@x')`);
    await q(`SELECT set_config('app.uid', 'admin-1', true)`);
    await q('SET ROLE app_admin');
    // (no membership: every invitation already, to read, change, delete, and insert with any group)
    assert.equal(await count(q, 'public.invites'), 2);
    assert.equal(await affected(q, `UPDATE public.invites SET email = 'c@x'`), 2);
    await q(`INSERT INTO public.invites VALUES (3, 99, 'd@x')`);
    assert.equal(await affected(q, `DELETE FROM public.invites`), 3);
    await q('RESET ROLE');
  });
  // (without that policy the membership is what opens them: group 2's invitation after writing the row)
  await inRollback(db, async (q) => {
    await q(ADMIN_SQL);
    await q(`INSERT INTO public.invites VALUES (1, 1, 'a@x'), (2, 2, 'b@x')`);
    await q(`SELECT set_config('app.uid', 'admin-1', true)`);
    await q('SET ROLE app_admin');
    assert.equal(await count(q, 'public.invites'), 0);
    await q(`INSERT INTO public.members VALUES (2, 'admin-1')`);
    assert.equal(await count(q, 'public.invites'), 1);
    await q('RESET ROLE');
  });
});

// Calibration (dj-pearson/gym-unity-suite's staff policies, `organization_id IN (SELECT organization_id
// FROM profiles WHERE id = auth.uid() AND role = ANY (ARRAY['owner'::user_role, …]))`, with
// "Users can update their own profile" USING (id = auth.uid())): where such a policy is the only one
// trusting profiles, the finding said it admits a row "when public.profiles has a row with its
// organization_id and the caller's id", so that changing the organization_id was enough. It is not:
// the read asks for the role too (PGlite: a member moving to B sees none of B's courts; moving with
// role 'owner' in the same UPDATE, they manage them). The message now names the role value and
// the UPDATE that sets both; where the role column is kept from users, one who holds it.
test("err: a trusting read asking for role = 'owner' beside the organization: the message names the role, set in the same UPDATE (PGlite: moving without it gives nothing, with it B's courts)", async () => {
  const sql = (guard = '') => `CREATE TYPE public.user_role AS ENUM ('owner', 'manager', 'staff', 'member');
CREATE TABLE public.profiles (id uuid PRIMARY KEY, organization_id uuid, role public.user_role NOT NULL DEFAULT 'member');
CREATE TABLE public.courts (id int PRIMARY KEY, organization_id uuid NOT NULL);
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.courts ENABLE ROW LEVEL SECURITY;
CREATE POLICY "view own profile" ON public.profiles FOR SELECT TO authenticated USING (id = (select auth.uid()));
CREATE POLICY "Users can update their own profile" ON public.profiles FOR UPDATE TO authenticated USING (id = (select auth.uid()));
CREATE POLICY "Staff can manage courts" ON public.courts FOR ALL TO authenticated USING (
  organization_id IN (SELECT organization_id FROM public.profiles WHERE id = (select auth.uid()) AND role = ANY (ARRAY['owner'::public.user_role, 'manager'::public.user_role])));
${guard}`;
  const { mine } = lintFiles([{ file: 'm.sql', text: sql() }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /\(it admits a row when public\.profiles has a row with its organization_id, the caller's id and role = 'owner'\), so a user can change the organization_id of their own row of public\.profiles to any value and its role to 'owner', and then read and change the rows of public\.courts/);
  // the role kept from users by a trigger: one who holds it
  const trigger = `CREATE FUNCTION public.keep_role() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.role IS DISTINCT FROM OLD.role THEN RAISE EXCEPTION 'role is not yours to change'; END IF; RETURN NEW; END $$;
CREATE TRIGGER keep_role BEFORE UPDATE ON public.profiles FOR EACH ROW EXECUTE FUNCTION public.keep_role();`;
  const kept = lintFiles([{ file: 'm.sql', text: sql(trigger) }], ID).mine;
  assert.equal(kept.length, 1);
  assert.match(kept[0]!.message, /change the organization_id of their own row of public\.profiles to any value \(one whose row has role = 'owner', which that policy asks for too\)/);
  // PGlite: a member of A moving to B gets none of B's courts; moving as its owner, both
  const moved = async (set: string) =>
    inRollback(await getDb(), async (q) => {
      await onPlatform(q, sql());
      await q(`INSERT INTO public.profiles VALUES ('${TENANT_A}', '${TENANT_A}', 'member'); INSERT INTO public.courts VALUES (1, '${TENANT_A}'), (2, '${TENANT_B}'), (3, '${TENANT_B}')`);
      await q(actAs(TENANT_A));
      await q('SET ROLE authenticated');
      assert.equal(await affected(q, `UPDATE public.profiles SET ${set} WHERE id = '${TENANT_A}'`), 1);
      return count(q, 'public.courts');
    });
  assert.equal(await moved(`organization_id = '${TENANT_B}'`), 0);
  assert.equal(await moved(`organization_id = '${TENANT_B}', role = 'owner'`), 2);
});

// Calibration (EmmyCodes234/naijaprodigies' messaging, 009_fix_messaging_user_ids.sql): participants
// are keyed by the app's user id, public.users.id, not the Auth id; the INSERT policy admits
// `(SELECT id FROM users WHERE auth_id = auth.uid()) = user_id OR is_current_user_participant(…)`,
// the helper a PL/pgSQL definer reading `SELECT id INTO v FROM users WHERE auth_id = auth.uid()`.
// Neither was taken for the caller, so nothing was reported; a user joins any conversation and reads it.
test("err: the caller's app user id, `(SELECT id FROM users WHERE auth_id = auth.uid())` (auth_id unique) in the check and a PL/pgSQL helper's `SELECT id INTO v … WHERE auth_id = auth.uid()`: user A joins conversation 2 and reads its message (PGlite); a non-unique column read that way (the caller's group), or a row found by a non-unique column, is not the caller", async () => {
  const sql = (target = 'id') => `CREATE TABLE public.users (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), auth_id uuid UNIQUE, team uuid);
CREATE TABLE public.conversation_participants (conversation_id int, user_id uuid REFERENCES public.users, PRIMARY KEY (conversation_id, user_id));
CREATE TABLE public.messages (id int PRIMARY KEY, conversation_id int, body text);
ALTER TABLE public.users ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.conversation_participants ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.messages ENABLE ROW LEVEL SECURITY;
CREATE POLICY users_read ON public.users FOR SELECT TO authenticated USING (true);
CREATE FUNCTION public.is_current_user_participant(p_conversation_id int) RETURNS boolean LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE v_user uuid;
BEGIN
  SELECT id INTO v_user FROM public.users WHERE auth_id = auth.uid();
  IF v_user IS NULL THEN RETURN false; END IF;
  RETURN EXISTS (SELECT 1 FROM public.conversation_participants WHERE conversation_id = p_conversation_id AND user_id = v_user);
END $$;
CREATE POLICY messages_read ON public.messages FOR SELECT TO authenticated USING (public.is_current_user_participant(conversation_id));
CREATE POLICY participants_read ON public.conversation_participants FOR SELECT TO authenticated USING (public.is_current_user_participant(conversation_id));
CREATE POLICY participants_add ON public.conversation_participants FOR INSERT TO authenticated
  WITH CHECK ((SELECT ${target} FROM public.users WHERE auth_id = auth.uid()) = user_id OR public.is_current_user_participant(conversation_id));
`;
  const { mine } = lintFiles([{ file: 'm.sql', text: sql() }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /^Policy "participants_add" on public\.conversation_participants lets authenticated write rows of it checking only their user_id against who the caller is: .* a user can insert a row of public\.conversation_participants with their own user_id and any conversation_id/);
  // (team is not unique: the caller's group, not who they are; nor is a row found by a column that is
  // not unique one caller's own: `SELECT id FROM users WHERE team = …` is any of a team's users)
  assert.equal(lintFiles([{ file: 'm.sql', text: sql('team') }], ID).mine.length, 0);
  assert.equal(lintFiles([{ file: 'm.sql', text: sql().replace('auth_id uuid UNIQUE', 'auth_id uuid') }], ID).mine.length, 0);
  await inRollback(await getDb(), async (q) => {
    await onPlatform(q, sql());
    await q(`INSERT INTO public.users (id, auth_id) VALUES ('${TENANT_A}', '${TENANT_A}'), ('${TENANT_B}', '${TENANT_B}');
      INSERT INTO public.conversation_participants VALUES (1, '${TENANT_A}'), (2, '${TENANT_B}');
      INSERT INTO public.messages VALUES (10, 1, 'ours'), (20, 2, 'theirs')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.deepEqual(await q('SELECT body FROM public.messages'), [{ body: 'ours' }]);
    await q(`INSERT INTO public.conversation_participants VALUES (2, '${TENANT_A}')`);
    assert.equal(await count(q, 'public.messages'), 2, "conversation 2's message too");
  });
});

test("err: INSERT WITH CHECK (granted_by = auth.uid()): the user column is left to the writer too, so user A grants themselves workflow 2 and reads it (chainreact's wp_insert; PGlite)", async () => {
  const sql = `CREATE TABLE public.workflows (id int PRIMARY KEY, user_id uuid, name text);
CREATE TABLE public.workflow_permissions (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), workflow_id int NOT NULL REFERENCES public.workflows(id), user_id uuid NOT NULL, permission text NOT NULL, granted_by uuid);
ALTER TABLE public.workflows ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.workflow_permissions ENABLE ROW LEVEL SECURITY;
CREATE POLICY "view workflows" ON public.workflows FOR SELECT TO authenticated
  USING (user_id = (select auth.uid()) OR EXISTS (SELECT 1 FROM public.workflow_permissions wp WHERE wp.workflow_id = workflows.id AND wp.user_id = (select auth.uid())));
CREATE POLICY wp_select ON public.workflow_permissions FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE POLICY wp_insert ON public.workflow_permissions FOR INSERT TO authenticated WITH CHECK (granted_by = (select auth.uid()));`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20260412000003_wp.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'wp_insert');
  assert.match(mine[0]!.message, /^Policy "wp_insert" on public\.workflow_permissions lets authenticated write rows of it checking only its granted_by against who the caller is, not its user_id: .* a user can insert a row of public\.workflow_permissions with their own user_id and any workflow_id, and then get the rows of public\.workflows that policy admits for that workflow_id/);
  // (both tied to the caller: the message names both; a check of the group column too: not reported)
  const both = lintFiles([{ file: 'supabase/migrations/20260412000003_wp.sql', text: sql.replace('WITH CHECK (granted_by = (select auth.uid()))', 'WITH CHECK (granted_by = (select auth.uid()) AND user_id = (select auth.uid()))') }], ID);
  assert.match(both.mine[0]!.message, /checking only their user_id and granted_by against who the caller is:/);
  const owner = lintFiles([{ file: 'supabase/migrations/20260412000003_wp.sql', text: sql.replace('WITH CHECK (granted_by = (select auth.uid()))', 'WITH CHECK (granted_by = (select auth.uid()) AND EXISTS (SELECT 1 FROM public.workflows w WHERE w.id = workflow_id AND w.user_id = (select auth.uid())))') }], ID);
  assert.equal(owner.mine.length, 0);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, ws);
    await q(`INSERT INTO public.workflows VALUES (1, '${TENANT_A}', 'mine'), (2, '${TENANT_B}', 'theirs')`);
    await q(actAs(TENANT_A, { email: 'a@example.com' }));
    await q('SET ROLE authenticated');
    assert.deepEqual(await q('SELECT name FROM public.workflows'), [{ name: 'mine' }]);
    await q(`INSERT INTO public.workflow_permissions (workflow_id, user_id, permission, granted_by) VALUES (2, '${TENANT_A}', 'admin', '${TENANT_A}')`);
    assert.equal(await count(q, 'public.workflows'), 2, "workflow 2 too");
  });
});

test("err: WITH CHECK (user_id = auth.uid() AND organization_name = (SELECT name FROM organizations WHERE id = org_id)): a readable lookup copied into the row limits no group, user A joins org 2 (HenryChung98/crm-project; PGlite)", async () => {
  const sql = `CREATE TABLE public.organizations (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE public.org_members (org_id int NOT NULL REFERENCES public.organizations(id), user_id uuid NOT NULL, organization_name text, PRIMARY KEY (org_id, user_id));
CREATE TABLE public.documents (id int PRIMARY KEY, org_id int NOT NULL, title text);
ALTER TABLE public.organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.org_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.documents ENABLE ROW LEVEL SECURITY;
CREATE POLICY orgs_read ON public.organizations FOR SELECT TO authenticated USING (true);
CREATE POLICY members_read ON public.org_members FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE POLICY members_join ON public.org_members FOR INSERT TO authenticated
  WITH CHECK (user_id = (select auth.uid()) AND organization_name = (SELECT organizations.name FROM public.organizations WHERE organizations.id = org_members.org_id));
CREATE POLICY documents_member ON public.documents FOR SELECT TO authenticated
  USING (org_id IN (SELECT m.org_id FROM public.org_members m WHERE m.user_id = (select auth.uid())));`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20250101000000_orgs.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'members_join');
  assert.match(mine[0]!.message, /checking only their user_id against who the caller is and that public\.organizations has a row for the org_id \(any row: that lookup's conditions do not name the caller\).* a user can insert a row of public\.org_members with their own user_id and the org_id of any row of public\.organizations those conditions accept/);
  // (the lookup hidden from the writer, organizations readable only by its members: not reported)
  const hidden = lintFiles([{ file: 'supabase/migrations/20250101000000_orgs.sql', text: sql.replace('USING (true);', 'USING (id IN (SELECT m.org_id FROM public.org_members m WHERE m.user_id = (select auth.uid())));') }], ID);
  assert.equal(hidden.mine.filter((f) => textAt(hidden.ws, f) === 'members_join').length, 0);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, ws);
    await q(`INSERT INTO public.organizations VALUES (1, 'Ours'), (2, 'Theirs'); INSERT INTO public.org_members VALUES (1, '${TENANT_A}', 'Ours'); INSERT INTO public.documents VALUES (10, 1, 'ours'), (20, 2, 'theirs')`);
    await q(actAs(TENANT_A, { email: 'a@example.com' }));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.documents'), 1);
    const [{ name }] = (await q(`SELECT name FROM public.organizations WHERE id = 2`)) as Array<{ name: string }>;
    await q(`INSERT INTO public.org_members VALUES (2, '${TENANT_A}', '${name}')`);
    assert.equal(await count(q, 'public.documents'), 2, "org 2's document too");
  });
});

test("ok (err when another branch leaves it open): WITH CHECK (org_id = auth.uid()) on the memberships, trusted with role = 'owner' for the org_id: a user can make themselves owner only of the org the check already lets them staff, whose id is their own (coach-house-lms' organization_memberships_insert; PGlite)", async () => {
  const sql = `CREATE TABLE public.organization_memberships (org_id uuid NOT NULL, member_id uuid NOT NULL, role text NOT NULL DEFAULT 'member', PRIMARY KEY (org_id, member_id));
CREATE TABLE public.documents (id int PRIMARY KEY, org_id uuid NOT NULL, title text);
ALTER TABLE public.organization_memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.documents ENABLE ROW LEVEL SECURITY;
CREATE POLICY memberships_select ON public.organization_memberships FOR SELECT TO authenticated
  USING (member_id = (select auth.uid()) OR org_id = (select auth.uid()));
CREATE POLICY memberships_insert ON public.organization_memberships FOR INSERT TO authenticated
  WITH CHECK (org_id = (select auth.uid()));
CREATE POLICY documents_owner ON public.documents FOR SELECT TO authenticated
  USING (EXISTS (SELECT 1 FROM public.organization_memberships m WHERE m.org_id = documents.org_id AND m.member_id = (select auth.uid()) AND m.role = 'owner'));`;
  const file = 'supabase/migrations/20260115203000_org_access.sql';
  const { ws, mine } = lintFiles([{ file, text: sql }], ID);
  assert.equal(mine.length, 0);
  // (a branch that ties only the member to the caller leaves org_id open: reported)
  const open = lintFiles([{ file, text: sql.replace('WITH CHECK (org_id = (select auth.uid()))', 'WITH CHECK (member_id = (select auth.uid()) OR org_id = (select auth.uid()))') }], ID);
  assert.equal(open.mine.length, 1);
  assert.equal(textAt(open.ws, open.mine[0]!), 'memberships_insert');
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, ws);
    await q(`INSERT INTO public.documents VALUES (1, '${TENANT_A}', 'org A'), (2, '${TENANT_B}', 'org B')`);
    await q(actAs(TENANT_A, { email: 'a@example.com' }));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.documents'), 0);
    // (A may name anyone owner of org A, the org whose id is theirs: themselves too)
    await q(`INSERT INTO public.organization_memberships VALUES ('${TENANT_A}', '${TENANT_B}', 'owner'), ('${TENANT_A}', '${TENANT_A}', 'owner')`);
    assert.deepEqual(await q('SELECT title FROM public.documents'), [{ title: 'org A' }]);
    // (but never of org B: the check refuses the row)
    const r = await tryQuery(q, `INSERT INTO public.organization_memberships VALUES ('${TENANT_B}', '${TENANT_A}', 'owner')`);
    assert.equal(r.ok ? 'ok' : r.error.code, '42501');
    assert.equal(await count(q, 'public.documents'), 1);
  });
});

test("err: the trusting read names the policy's table as schema.table.column, `WHERE e.class_id = public.modules.class_id` (coach-house-lms' modules_select and classes_select): the same table as `modules.class_id`, so a user enrolls themselves in an unpublished class and reads its modules (PGlite)", async () => {
  const sql = `CREATE TABLE public.classes (id uuid PRIMARY KEY, title text, is_published boolean NOT NULL DEFAULT false);
CREATE TABLE public.modules (id uuid PRIMARY KEY, class_id uuid NOT NULL REFERENCES public.classes(id), body text);
CREATE TABLE public.enrollments (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), class_id uuid NOT NULL REFERENCES public.classes(id), user_id uuid NOT NULL, UNIQUE (class_id, user_id));
ALTER TABLE public.classes ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.modules ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.enrollments ENABLE ROW LEVEL SECURITY;
CREATE POLICY enrollments_select ON public.enrollments FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE POLICY enrollments_insert ON public.enrollments FOR INSERT TO authenticated WITH CHECK (user_id = (select auth.uid()));
CREATE POLICY classes_select ON public.classes FOR SELECT TO authenticated USING (is_published);
CREATE POLICY modules_select ON public.modules FOR SELECT TO authenticated
  USING (EXISTS (SELECT 1 FROM public.enrollments e WHERE e.class_id = public.modules.class_id AND e.user_id = (select auth.uid())));`;
  const file = 'supabase/migrations/20260115194500_consolidate_rls_policies.sql';
  const { ws, mine } = lintFiles([{ file, text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'enrollments_insert');
  assert.match(mine[0]!.message, /policy "modules_select" on public\.modules trusts .* a user can insert a row of public\.enrollments with their own user_id and any class_id, and then get the rows of public\.modules that policy admits for that class_id/);
  // (written table.column, the same finding)
  assert.equal(lintFiles([{ file, text: sql.replace('public.modules.class_id', 'modules.class_id') }], ID).mine.length, 1);
  const C = '00000000-0000-0000-0000-00000000c001';
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, ws);
    await q(`INSERT INTO public.classes VALUES ('${C}', 'paid course', false); INSERT INTO public.modules VALUES (gen_random_uuid(), '${C}', 'lesson 1')`);
    await q(actAs(TENANT_A, { email: 'a@example.com' }));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.modules'), 0);
    await q(`INSERT INTO public.enrollments (class_id, user_id) VALUES ('${C}', '${TENANT_A}')`);
    assert.deepEqual(await q('SELECT body FROM public.modules'), [{ body: 'lesson 1' }]);
  });
});

// kirill-markin/expense-budget-tracker (an expense and budget tracker, plain PostgreSQL): its
// workspace_members policy is for PUBLIC and checks only user_id, but 0016_workspace_membership_guards.sql
// revokes INSERT from its app roles (memberships are made by SECURITY DEFINER helpers), and no role
// was ever granted UPDATE: no one but the owner writes memberships through that policy.
const WORKSPACES = `CREATE ROLE ebt_app LOGIN;
CREATE TABLE workspaces (workspace_id text PRIMARY KEY, name text NOT NULL);
CREATE TABLE workspace_members (workspace_id text NOT NULL, user_id text NOT NULL, PRIMARY KEY (workspace_id, user_id));
CREATE TABLE ledger_entries (id bigint PRIMARY KEY, workspace_id text NOT NULL, amount numeric);
ALTER TABLE workspaces ENABLE ROW LEVEL SECURITY;
ALTER TABLE workspace_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE ledger_entries ENABLE ROW LEVEL SECURITY;
CREATE POLICY user_memberships ON workspace_members
  USING (user_id = current_setting('app.user_id', true))
  WITH CHECK (user_id = current_setting('app.user_id', true));
CREATE POLICY workspace_member_access ON workspaces
  USING (workspace_id IN (SELECT wm.workspace_id FROM workspace_members wm WHERE wm.user_id = current_setting('app.user_id', true)));
CREATE POLICY workspace_isolation ON ledger_entries
  USING (workspace_id IN (SELECT wm.workspace_id FROM workspace_members wm WHERE wm.user_id = current_setting('app.user_id', true)));
GRANT SELECT, INSERT ON workspaces, workspace_members TO ebt_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ledger_entries TO ebt_app;
`;
const GUARD = 'REVOKE INSERT ON TABLE workspace_members FROM ebt_app;\n';

test('err/ok: a PUBLIC membership policy checking only user_id: reported while ebt_app may INSERT, not once INSERT is revoked (no role may write the table)', async () => {
  const open = lintFiles([{ file: 'db/migrations/0001_initial_schema.sql', text: WORKSPACES }], ID);
  assert.equal(open.mine.length, 1);
  assert.match(open.mine[0]!.message, /lets PUBLIC write rows of it checking only their user_id/);
  const guarded = lintFiles([
    { file: 'db/migrations/0001_initial_schema.sql', text: WORKSPACES },
    { file: 'db/migrations/0016_workspace_membership_guards.sql', text: GUARD },
  ], ID);
  assert.deepEqual(guarded.mine.map((f) => f.message), []);
  await inRollback(await getDb(), async (q) => {
    await q(WORKSPACES);
    await q(`INSERT INTO workspace_members VALUES ('w1', 'u1'), ('w2', 'u2'); INSERT INTO ledger_entries VALUES (1, 'w1', 10), (2, 'w2', 20)`);
    await q(`SELECT set_config('app.user_id', 'u1', true)`);
    await q('SET ROLE ebt_app');
    // (before the REVOKE: u1 joins w2 and reads its entry)
    assert.equal((await tryQuery(q, `INSERT INTO workspace_members VALUES ('w2', 'u1')`)).ok, true);
    assert.equal(await count(q, 'ledger_entries'), 2);
    await q('RESET ROLE');
    await q(`DELETE FROM workspace_members WHERE workspace_id = 'w2' AND user_id = 'u1'`);
    await q(GUARD);
    await q('SET ROLE ebt_app');
    for (const sql of [`INSERT INTO workspace_members VALUES ('w2', 'u1')`, `UPDATE workspace_members SET workspace_id = 'w2' WHERE user_id = 'u1'`]) {
      const r = await tryQuery(q, sql);
      assert.ok(!r.ok && r.error.code === '42501' && /permission denied for table workspace_members/.test(r.error.message), sql);
    }
    assert.equal(await count(q, 'ledger_entries'), 1, 'w1 only');
  });
});

// codescribblr/budget-app (a budgeting app with shared accounts): account_users is trusted by
// user_has_account_write_access(), `… WHERE au.account_id = … AND au.user_id = auth.uid() AND
// au.status = 'active' AND au.role IN ('owner', 'editor')`, and an invitee inserts their own row
// through "Users can accept invitations", whose check names the account but not the role. With
// status asked before role, the rule took status = 'active' for the role the read asks for, and
// said nothing. (Here the role asked is 'owner'; an IN list is taken as its lesser value, 'editor'.)
const SHARED_ACCOUNTS = `CREATE TABLE public.account_users (id bigserial PRIMARY KEY, account_id bigint NOT NULL, user_id uuid NOT NULL,
  role text NOT NULL CHECK (role IN ('owner', 'editor', 'viewer')), status text NOT NULL DEFAULT 'active', UNIQUE (account_id, user_id));
CREATE TABLE public.account_invitations (id bigserial PRIMARY KEY, account_id bigint NOT NULL, email text NOT NULL, role text NOT NULL, accepted_at timestamptz);
CREATE TABLE public.categories (id bigserial PRIMARY KEY, account_id bigint NOT NULL, name text);
ALTER TABLE public.account_users ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.account_invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.categories ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.user_has_valid_invitation(account_id_param bigint, user_email_param text) RETURNS boolean LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  RETURN EXISTS (SELECT 1 FROM public.account_invitations WHERE account_id = account_id_param AND email = user_email_param AND accepted_at IS NULL);
END $$;
CREATE FUNCTION public.user_has_account_write_access(account_id_param bigint) RETURNS boolean LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  RETURN EXISTS (SELECT 1 FROM public.account_users au WHERE au.account_id = account_id_param AND au.user_id = auth.uid() AND au.status = 'active' AND au.role = 'owner');
END $$;
CREATE POLICY "Users can accept invitations" ON public.account_users FOR INSERT TO authenticated
  WITH CHECK (user_id = (select auth.uid()) AND public.user_has_valid_invitation(account_id, (select auth.jwt() ->> 'email')));
CREATE POLICY "Users can view their memberships" ON public.account_users FOR SELECT TO authenticated USING (user_id = (select auth.uid()));
CREATE POLICY "Writers can insert categories" ON public.categories FOR INSERT TO authenticated WITH CHECK (public.user_has_account_write_access(account_id));
`;

test("err: the read asks `status = 'active' AND role = 'owner'` of the member's row (codescribblr's account_users, through a helper): the role is 'owner', and an invitee joins as owner; PGlite: B, invited as viewer, inserts categories after joining as owner, not as viewer", async () => {
  const { mine } = lintFiles([{ file: 'supabase/migrations/20250115000000_shared.sql', text: SHARED_ACCOUNTS }], ID);
  assert.equal(mine.length, 1, mine.map((f) => f.message).join('\n'));
  assert.match(mine[0]!.message, /^Policy "Users can accept invitations" on public\.account_users lets authenticated write their own rows of it checking the account_id but not the role: .* has a row with its account_id, the caller's user_id and role = 'owner'\), so a user can insert their row of public\.account_users with the account_id of a group the check admits them to .* and role = 'owner'/);
  // (the same read written in the policy, status first)
  const inline = SHARED_ACCOUNTS.replace('WITH CHECK (public.user_has_account_write_access(account_id))', "WITH CHECK (EXISTS (SELECT 1 FROM public.account_users au WHERE au.account_id = categories.account_id AND au.user_id = (select auth.uid()) AND au.status = 'active' AND au.role = 'owner'))");
  assert.equal(lintFiles([{ file: 'supabase/migrations/20250115000000_shared.sql', text: inline }], ID).mine.length, 1);
  await inRollback(await getDb(), async (q) => {
    await onPlatform(q, SHARED_ACCOUNTS);
    await q('GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO authenticated'); // (as Supabase's default privileges do)
    await q(`INSERT INTO public.account_users (account_id, user_id, role) VALUES (1, '${TENANT_A}', 'owner'); INSERT INTO public.account_invitations (account_id, email, role) VALUES (1, 'b@example.com', 'viewer')`);
    await q(actAs(TENANT_B, { email: 'b@example.com' }));
    await q('SET ROLE authenticated');
    await q(`SAVEPOINT s`);
    await q(`INSERT INTO public.account_users (account_id, user_id, role) VALUES (1, '${TENANT_B}', 'viewer')`);
    assert.equal((await tryQuery(q, `INSERT INTO public.categories (account_id, name) VALUES (1, 'as viewer')`)).ok, false, 'a viewer may not');
    await q(`ROLLBACK TO SAVEPOINT s`);
    await q(`INSERT INTO public.account_users (account_id, user_id, role) VALUES (1, '${TENANT_B}', 'owner')`);
    assert.equal((await tryQuery(q, `INSERT INTO public.categories (account_id, name) VALUES (1, 'as owner')`)).ok, true, 'joined as owner, B writes the account');
  });
});

// akuligowski9/chiribudget (a household budget): households_read and members_read both call
// is_household_member(), a LANGUAGE sql SECURITY INVOKER function reading household_members, and
// members_insert checks only user_id. As written every read through it recurses (54001, T02:
// policy-recursion reports it); the finding now says so, and that the hole opens once that is fixed.
const HOUSEHOLDS = (definer: boolean) => `CREATE TABLE public.households (id uuid PRIMARY KEY, name text);
CREATE TABLE public.household_members (household_id uuid NOT NULL, user_id uuid NOT NULL, PRIMARY KEY (household_id, user_id));
CREATE FUNCTION public.is_household_member(hid uuid) RETURNS boolean LANGUAGE sql STABLE ${definer ? "SECURITY DEFINER SET search_path = public, pg_temp " : ''}AS $$
  SELECT EXISTS (SELECT 1 FROM household_members hm WHERE hm.household_id = hid AND hm.user_id = auth.uid())
$$;
ALTER TABLE public.households ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.household_members ENABLE ROW LEVEL SECURITY;
CREATE POLICY households_read ON public.households FOR SELECT TO authenticated USING (is_household_member(id));
CREATE POLICY members_read ON public.household_members FOR SELECT TO authenticated USING (is_household_member(household_id));
CREATE POLICY members_insert ON public.household_members FOR INSERT TO authenticated WITH CHECK (auth.uid() = user_id);
`;

test('err (message): the trusted read recurses as written (54001 through an invoker helper): the finding says so and that the hole opens once fixed; PGlite, with the helper SECURITY DEFINER (the fix policy-recursion gives): A joins household 2 and reads it', async () => {
  const invoker = lintFiles([{ file: 'supabase/migrations/007_fix_all_rls_policies_authenticated.sql', text: HOUSEHOLDS(false) }], ID).mine;
  assert.equal(invoker.length, 1);
  assert.match(invoker[0]!.message, /As written, the read of public\.household_members it trusts recurses: policy "members_read" on it calls a function that reads it again as the caller \(54001 stack depth limit exceeded, policy-recursion\), so policy "households_read" fails on the rows it reads instead of admitting them; fixing that recursion as policy-recursion advises \(a SECURITY DEFINER helper\) leaves this hole open, so fix both\./);
  const definer = lintFiles([{ file: 'supabase/migrations/007_fix_all_rls_policies_authenticated.sql', text: HOUSEHOLDS(true) }], ID).mine;
  assert.equal(definer.length, 1);
  assert.doesNotMatch(definer[0]!.message, /As written/);
  await inRollback(await getDb(), async (q) => {
    await onPlatform(q, HOUSEHOLDS(true));
    await q(`INSERT INTO public.households VALUES ('${TENANT_A}', 'ours'), ('${TENANT_B}', 'theirs'); INSERT INTO public.household_members VALUES ('${TENANT_A}', '${TENANT_A}')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.deepEqual(await q('SELECT name FROM public.households'), [{ name: 'ours' }]);
    await q(`INSERT INTO public.household_members VALUES ('${TENANT_B}', '${TENANT_A}')`);
    assert.equal(await count(q, 'public.households'), 2, "household 2's row too");
  });
});

// Calibration (magicolala/chess-simul, a chess simultaneous-exhibition app): "Simul tables joinable
// by challenger", FOR UPDATE USING (status = 'open' AND challenger_id IS NULL) WITH CHECK
// (challenger_id = auth.uid()), was said to let a user "change the simul_id of their own row";
// its USING admits no row of theirs, only seats no one holds yet: the user takes one and, in the
// same UPDATE, moves it to any simul. The message now says so (PGlite below).
test('err (wording): an UPDATE policy whose USING admits only rows whose user column is null: the user takes a seat no one holds and moves it, not "their own row" (PGlite: an UPDATE with no WHERE moves every open seat into the private simul, whose row they then read; one with a WHERE fails 42501)', async () => {
  const sql = `CREATE TABLE public.simuls (id uuid PRIMARY KEY, host_id uuid NOT NULL, status text NOT NULL);
CREATE TABLE public.simul_tables (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), simul_id uuid NOT NULL REFERENCES public.simuls (id), challenger_id uuid, status text NOT NULL DEFAULT 'open');
CREATE INDEX ON public.simul_tables (simul_id);
CREATE INDEX ON public.simul_tables (challenger_id);
CREATE FUNCTION public.can_view_simul(p_simul_id uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT EXISTS (SELECT 1 FROM public.simuls s WHERE s.id = p_simul_id AND (s.status = 'open' OR s.host_id = (select auth.uid())
    OR EXISTS (SELECT 1 FROM public.simul_tables t WHERE t.simul_id = s.id AND t.challenger_id = (select auth.uid()))))
$$;
ALTER TABLE public.simuls ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.simul_tables ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Simuls selectable by host or challenger" ON public.simuls FOR SELECT TO authenticated
  USING (host_id = (select auth.uid()) OR EXISTS (SELECT 1 FROM public.simul_tables st WHERE st.simul_id = simuls.id AND st.challenger_id = (select auth.uid())));
CREATE POLICY "Simul tables visible to host or open simuls" ON public.simul_tables FOR SELECT TO authenticated
  USING (public.can_view_simul(simul_tables.simul_id));
CREATE POLICY "Simul tables joinable by challenger" ON public.simul_tables FOR UPDATE TO authenticated
  USING (status = 'open' AND challenger_id IS NULL)
  WITH CHECK (challenger_id = (select auth.uid()));`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20260109000000_allow_challenger_join.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  const m = mine[0]!.message;
  assert.match(m, /so a user can take a row of public\.simul_tables that no one holds yet \(the policy's USING admits only rows whose challenger_id is null\) and, in the same UPDATE, set its challenger_id to their own and its simul_id to any value \(through an UPDATE that reads no column, with no WHERE nor RETURNING, which changes every row the policy lets them update, every such row of every simul_id: /);
  assert.doesNotMatch(m, /their own row/);
  const HOST = TENANT_B;
  const S1 = '00000000-0000-4000-8000-000000000001';
  const S2 = '00000000-0000-4000-8000-000000000002';
  const setup = async (q: Q) => {
    await onSupabase(q, ws);
    await q(`INSERT INTO public.simuls VALUES ('${S1}', '${HOST}', 'open'), ('${S2}', '${HOST}', 'private'); INSERT INTO public.simul_tables (simul_id) VALUES ('${S1}'), ('${S1}')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
  };
  const db = await getDb();
  await inRollback(db, async (q) => {
    await setup(q);
    assert.equal(await count(q, 'public.simuls'), 0, 'A sees no simul');
    assert.equal(await affected(q, `UPDATE public.simul_tables SET simul_id = '${S2}', challenger_id = '${TENANT_A}'`), 2, 'every open seat, no one’s, taken and moved');
    assert.deepEqual(await q('SELECT id, status FROM public.simuls'), [{ id: S2, status: 'private' }], 'A reads the private simul');
  });
  await inRollback(db, async (q) => {
    await setup(q);
    await expectPgError(q(`UPDATE public.simul_tables SET simul_id = '${S2}', challenger_id = '${TENANT_A}' WHERE status = 'open'`), '42501');
  });
});

// Calibration (steve-chavez/socnet, a PostgREST social network: friendships read either way round
// by the posts' friends-only policy): a sub-select whose WHERE ORs the two directions of a
// friendship, `(f.source_user_id = posts.creator_id AND f.target_user_id = uid) OR
// (f.target_user_id = posts.creator_id AND f.source_user_id = uid)`, was taken through its first
// branch only (target_user_id the caller's), so an INSERT policy tying source_user_id alone to the
// caller, the requester, was not reported: the requester inserts the friendship already accepted.
test("err: a friendship read either way round (an OR of two directions): the requester's INSERT policy leaves status and the friend open; PGlite: A inserts an accepted friendship with B and reads B's friends-only post; with status pinned to 'pending' that fails 42501", async () => {
  const sql = (check: string) => `CREATE TABLE public.friendships (source_user_id uuid NOT NULL, target_user_id uuid NOT NULL, status text NOT NULL DEFAULT 'pending', PRIMARY KEY (source_user_id, target_user_id));
CREATE INDEX ON public.friendships (target_user_id);
ALTER TABLE public.friendships ENABLE ROW LEVEL SECURITY;
CREATE POLICY fr_select ON public.friendships FOR SELECT TO authenticated USING ((select auth.uid()) IN (source_user_id, target_user_id));
CREATE POLICY fr_insert ON public.friendships FOR INSERT TO authenticated WITH CHECK (${check});
CREATE TABLE public.posts (id bigint PRIMARY KEY, creator_id uuid NOT NULL, audience text NOT NULL, body text);
CREATE INDEX ON public.posts (creator_id);
ALTER TABLE public.posts ENABLE ROW LEVEL SECURITY;
CREATE POLICY posts_friends ON public.posts FOR SELECT TO authenticated USING (audience = 'friends' AND EXISTS (
  SELECT 1 FROM public.friendships f WHERE f.status = 'accepted'
    AND ((f.source_user_id = posts.creator_id AND f.target_user_id = (select auth.uid())) OR (f.target_user_id = posts.creator_id AND f.source_user_id = (select auth.uid())))));`;
  const open = sql('source_user_id = (select auth.uid())');
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_social.sql', text: open }], ID);
  assert.equal(mine.length, 1);
  assert.equal(textAt(ws, mine[0]!), 'fr_insert');
  assert.match(mine[0]!.message, /it admits a row when public\.friendships has a row with its target_user_id, the caller's source_user_id and status = 'accepted'\), so a user can insert a row of public\.friendships with their own source_user_id and any target_user_id and status = 'accepted', and then get the rows of public\.posts that policy admits for that target_user_id/);
  assert.match(mine[0]!.message, /Check status in the WITH CHECK too \(a row users write may not have status = 'accepted': it starts as a request, which only the other side, or an administrator, sets to 'accepted'\)/);
  const pinned = sql("source_user_id = (select auth.uid()) AND status = 'pending'");
  assert.deepEqual(lintFiles([{ file: 'supabase/migrations/20240101000000_social.sql', text: pinned }], ID).mine, []);
  const db = await getDb();
  const seed = `INSERT INTO public.posts VALUES (1, '${TENANT_B}', 'friends', 'for friends of B')`;
  await inRollback(db, async (q) => {
    await onPlatform(q, open);
    await q(seed);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.posts'), 0);
    await q(`INSERT INTO public.friendships (source_user_id, target_user_id, status) VALUES ('${TENANT_A}', '${TENANT_B}', 'accepted')`);
    assert.deepEqual(await q('SELECT body FROM public.posts'), [{ body: 'for friends of B' }], "A reads B's friends-only post");
  });
  await inRollback(db, async (q) => {
    await onPlatform(q, pinned);
    await q(seed);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    const accepted = await tryQuery(q, `INSERT INTO public.friendships (source_user_id, target_user_id, status) VALUES ('${TENANT_A}', '${TENANT_B}', 'accepted')`);
    assert.equal(accepted.ok ? 'ok' : accepted.error.code, '42501');
    await q(`INSERT INTO public.friendships (source_user_id, target_user_id) VALUES ('${TENANT_A}', '${TENANT_B}')`);
    assert.equal(await count(q, 'public.posts'), 0, 'a pending request shows nothing');
  });
});

test("err (message): a trusting read that asks a time of the row to be ahead too (nopstr/vyxhub's is_subscribed_to(): status = 'active' AND expires_at > NOW()) names it in what the forged row must carry (PGlite: a fan's own row with status 'active' and no expires_at shows nothing; with expires_at in the future, the creator's subscribers-only post)", async () => {
  const file = 'supabase/migrations/20260214000000_initial_schema.sql';
  const text = `CREATE TABLE public.subscriptions (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), subscriber_id uuid NOT NULL, creator_id uuid NOT NULL, status text NOT NULL DEFAULT 'pending', expires_at timestamptz);
CREATE TABLE public.posts (id bigint PRIMARY KEY, author_id uuid NOT NULL, visibility text NOT NULL, body text);
CREATE INDEX ON public.subscriptions (subscriber_id, creator_id);
ALTER TABLE public.subscriptions ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.posts ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view their own subscriptions" ON public.subscriptions FOR SELECT USING (auth.uid() = subscriber_id);
CREATE POLICY "Users can subscribe" ON public.subscriptions FOR INSERT WITH CHECK (auth.uid() = subscriber_id);
CREATE FUNCTION public.is_subscribed_to(creator_uuid uuid) RETURNS boolean AS $$
  SELECT EXISTS (SELECT 1 FROM public.subscriptions WHERE subscriber_id = auth.uid() AND creator_id = creator_uuid AND status = 'active' AND expires_at > NOW());
$$ LANGUAGE sql SECURITY DEFINER STABLE SET search_path = '';
CREATE POLICY "Users can view public posts" ON public.posts FOR SELECT USING (visibility = 'public' OR author_id = auth.uid() OR (visibility = 'subscribers_only' AND public.is_subscribed_to(author_id)));
`;
  const linted = lintFiles([{ file, text }], ID);
  assert.equal(linted.mine.length, 1);
  assert.match(
    linted.mine[0]!.message,
    /has a row with its creator_id, the caller's subscriber_id and status = 'active' and expires_at later than now\(\)\), so a user can insert a row of public\.subscriptions with their own subscriber_id and any creator_id and status = 'active' and expires_at set in the future, and then get the rows of public\.posts that policy admits for that creator_id/,
  );
  // (without the time condition, the words it had)
  const plain = lintFiles([{ file, text: text.replace(' AND expires_at > NOW()', '') }], ID).mine;
  assert.equal(plain.length, 1);
  assert.doesNotMatch(plain[0]!.message, /later than now|in the future/);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, linted.ws);
    await q(`INSERT INTO public.posts VALUES (1, '${TENANT_B}', 'subscribers_only', 'paid')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.posts'), 0);
    await q(`INSERT INTO public.subscriptions (subscriber_id, creator_id, status) VALUES ('${TENANT_A}', '${TENANT_B}', 'active')`);
    assert.equal(await count(q, 'public.posts'), 0, 'no expires_at: not counted');
    await q(`INSERT INTO public.subscriptions (subscriber_id, creator_id, status, expires_at) VALUES ('${TENANT_A}', '${TENANT_B}', 'active', now() + interval '100 years')`);
    assert.deepEqual(await q('SELECT body FROM public.posts'), [{ body: 'paid' }], "the creator's subscribers-only post");
  });
});

test("err: a FOR ALL policy whose USING asks the trusted role through the same helper (Jeanway-USA/fleetflowjwusa's user_roles, is_owner()): only the INSERT route is said — a member inserts their own 'owner' row and reads the owners' rows; their UPDATE of their own row reaches nothing (PGlite)", async () => {
  const sql = `CREATE TABLE public.profiles (id uuid PRIMARY KEY, org_id uuid NOT NULL);
CREATE TABLE public.user_roles (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), user_id uuid NOT NULL, org_id uuid NOT NULL, role text NOT NULL);
CREATE TABLE public.pm_profiles (id int PRIMARY KEY, name text);
CREATE FUNCTION public.get_user_org_id(_user_id uuid) RETURNS uuid LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT org_id FROM public.profiles WHERE id = _user_id
$$;
CREATE FUNCTION public.is_owner(_user_id uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT EXISTS (SELECT 1 FROM public.user_roles WHERE user_id = _user_id AND role = 'owner' AND org_id = get_user_org_id(_user_id))
$$;
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.user_roles ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.pm_profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view their own roles" ON public.user_roles FOR SELECT USING (auth.uid() = user_id);
CREATE POLICY "Owners can manage org roles" ON public.user_roles
  FOR ALL USING (is_owner(auth.uid()) AND org_id = get_user_org_id(auth.uid()))
  WITH CHECK (org_id = get_user_org_id(auth.uid()));
CREATE POLICY "Owner can manage manufacturer profiles" ON public.pm_profiles
  FOR ALL USING (is_owner(auth.uid())) WITH CHECK (true);
`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/1_roles.sql', text: sql }], ID);
  assert.equal(mine.length, 1);
  assert.match(mine[0]!.message, /so a user can insert a row of public\.user_roles with their own user_id and role = 'owner', and then read and change the rows of public\.pm_profiles/);
  assert.doesNotMatch(mine[0]!.message, /change the role of their own row/);
  // (without the helper in USING, the UPDATE route is said too)
  const open = lintFiles([{ file: 'supabase/migrations/1_roles.sql', text: sql.replace('FOR ALL USING (is_owner(auth.uid()) AND org_id', 'FOR ALL USING (org_id') }], ID).mine;
  assert.match(open[0]?.message ?? '', /or change the role of their own row of public\.user_roles to 'owner'/);

  const db = await getDb();
  await inRollback(db, async (q) => {
    await onSupabase(q, ws);
    await q(`INSERT INTO public.profiles VALUES ('${TENANT_A}', '${TENANT_B}'); INSERT INTO public.user_roles (user_id, org_id, role) VALUES ('${TENANT_A}', '${TENANT_B}', 'driver'); INSERT INTO public.pm_profiles VALUES (1, 'owners only')`);
    await q(actAs(TENANT_A));
    await q('SET ROLE authenticated');
    assert.equal(await count(q, 'public.pm_profiles'), 0);
    assert.equal(await affected(q, `UPDATE public.user_roles SET role = 'owner' WHERE user_id = '${TENANT_A}'`), 0, 'the UPDATE reaches no row: USING asks is_owner() first');
    await q(`INSERT INTO public.user_roles (user_id, org_id, role) VALUES ('${TENANT_A}', '${TENANT_B}', 'owner')`);
    assert.equal(await count(q, 'public.pm_profiles'), 1, 'the planted owner row opens the owners-only rows');
  });
});
