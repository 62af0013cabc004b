// policy-update-self-approves on PostgreSQL (PGlite): an UPDATE policy without WITH CHECK whose USING
// admits the vendor's own row lets vendor A set its status to 'approved' (lebaneseweddingapp2's
// vendors), and the SELECT policy "Anyone can view approved vendors" then shows it to anon. With
// the status pinned in WITH CHECK the UPDATE fails with 42501; a trigger refusing the change, or
// UPDATE granted on the other columns only, refuse it too, and none of them is reported.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeAll, expectPgError, getDb, inRollback, tryQuery, type Q } from '../helpers/pg.js';
import { initParser, invalidFinding, lintDocExample, lintFiles, sqlOf, TENANT_A, TENANT_B, textAt } from '../helpers/rule-proof.js';
import { actAs, onSupabase } from '../helpers/supabase.js';
import { Workspace } from '../../server/src/engine/workspace.js';

const ID = 'policy-update-self-approves';
before(initParser);
after(closeAll);

/** Supabase's defaults, the migrations, vendors A and B (pending); then act as A. */
async function asA(q: Q, ws: Workspace): Promise<void> {
  await onSupabase(q, sqlOf(ws));
  await q(`INSERT INTO public.vendors (user_id, business_name) VALUES ('${TENANT_A}', 'A''s hall'), ('${TENANT_B}', 'B''s band')`);
  await q(`${actAs(TENANT_A)} SET ROLE authenticated`);
}

/** What anon reads of the vendors. */
async function anonReads(q: Q): Promise<unknown[]> {
  await q(`RESET ROLE; ${actAs('')} SET ROLE anon`);
  return q('SELECT business_name, status FROM public.vendors ORDER BY business_name');
}

test("err: vendor A sets its own status to 'approved' (one row), and anon then reads it", async () => {
  const { ws, finding } = invalidFinding(ID, 0);
  assert.equal(textAt(ws, finding), '"Vendors can update their own profile"');
  assert.match(finding.message, /checks the new row with its USING \(it has no WITH CHECK, so USING checks the new row too\), which admits the caller's own row whatever its status is/);
  assert.match(finding.message, /policy "Anyone can view approved vendors" shows every row with status = 'approved' to anon and authenticated/);
  assert.match(finding.message, /UPDATE public\.vendors SET status = 'approved' on their own row/);
  assert.equal(finding.related?.length, 1);
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, sqlOf(ws));
    await q(`INSERT INTO public.vendors (user_id, business_name) VALUES ('${TENANT_A}', 'A''s hall')`);
    assert.deepEqual(await anonReads(q), [], 'nothing is approved yet');
    await q(`RESET ROLE; ${actAs(TENANT_A)} SET ROLE authenticated`);
    assert.deepEqual(await q(`UPDATE public.vendors SET status = 'approved' WHERE user_id = '${TENANT_A}' RETURNING status`), [{ status: 'approved' }]);
    assert.deepEqual(await anonReads(q), [{ business_name: "A's hall", status: 'approved' }], 'anon reads the vendor A approved itself');
  });
});

test("ok: the status pinned in WITH CHECK: A's UPDATE to 'approved' fails with 42501, its other updates pass; not reported", async () => {
  const { ws, mine } = lintDocExample(ID, 'valid', 0);
  assert.deepEqual(mine, []);
  await inRollback(await getDb(), async (q) => {
    await asA(q, ws);
    await q('SAVEPOINT s');
    await expectPgError(q(`UPDATE public.vendors SET status = 'approved' WHERE user_id = '${TENANT_A}'`), '42501', /new row violates row-level security policy/);
    await q('ROLLBACK TO SAVEPOINT s');
    assert.deepEqual(await q(`UPDATE public.vendors SET business_name = 'A''s new hall' WHERE user_id = '${TENANT_A}' RETURNING status`), [{ status: 'pending' }]);
    assert.deepEqual(await anonReads(q), []);
  });
});

test("ok: a BEFORE UPDATE trigger refusing the change (P0001), or UPDATE granted on the other columns only (42501), keeps the status; not reported", async () => {
  for (const [n, code] of [[1, 'P0001'], [2, '42501']] as const) {
    const { ws, mine } = lintDocExample(ID, 'valid', n);
    assert.deepEqual(mine, [], `Valid example ${n + 1}`);
    await inRollback(await getDb(), async (q) => {
      await asA(q, ws);
      await q('SAVEPOINT s');
      await expectPgError(q(`UPDATE public.vendors SET status = 'approved' WHERE user_id = '${TENANT_A}'`), code);
      await q('ROLLBACK TO SAVEPOINT s');
      await q(`UPDATE public.vendors SET business_name = 'A''s new hall' WHERE user_id = '${TENANT_A}'`);
      assert.deepEqual(await anonReads(q), []);
    });
  }
});

const FILE = 'supabase/migrations/20240101000000_vendors.sql';

test("ok: without a moderator's UPDATE policy the gate is the writers' own (authors publish their posts): not reported; nor a gate in the UPDATE policy's own USING (policy-shared-rows-writable's), nor an updated_at trigger's guard", () => {
  const { ex } = lintDocExample(ID, 'invalid', 0);
  const text = ex.files[0]!.text;
  const noAdmin = text.replace(/CREATE POLICY "Admins can update any vendor"[\s\S]*?;\n/, '');
  assert.notEqual(noAdmin, text);
  assert.deepEqual(lintFiles([{ file: FILE, text: noAdmin }], ID).mine, []);
  const posts = `CREATE TABLE public.posts (id bigint PRIMARY KEY, author_id uuid NOT NULL, is_published boolean NOT NULL DEFAULT false, body text);
ALTER TABLE public.posts ENABLE ROW LEVEL SECURITY;
CREATE POLICY posts_read ON public.posts FOR SELECT USING (is_published OR author_id = (select auth.uid()));
CREATE POLICY posts_write ON public.posts FOR ALL TO authenticated USING (author_id = (select auth.uid()));
`;
  assert.deepEqual(lintFiles([{ file: FILE, text: posts }], ID).mine, []);
  // the same with an admin policy: reported, on the author's policy only
  const moderated = `${posts}CREATE POLICY posts_admin ON public.posts FOR UPDATE TO authenticated USING ((select auth.jwt()) ->> 'user_role' = 'admin');\n`;
  const r = lintFiles([{ file: FILE, text: moderated }], ID);
  assert.equal(r.mine.length, 1);
  assert.equal(textAt(r.ws, r.mine[0]!), 'posts_write');
  assert.match(r.mine[0]!.message, /whatever its is_published is, while policy "posts_read" shows every row with is_published = true to/);
  // a gate in the writer's own policy (FOR ALL USING (status = 'approved' OR own)): not this rule's
  const own = text.replace(/CREATE POLICY "Vendors can update their own profile"[\s\S]*?;\n?/, '').replace('FOR SELECT TO anon, authenticated', 'FOR ALL TO authenticated');
  assert.deepEqual(lintFiles([{ file: FILE, text: own }], ID).mine, []);
  // an updated_at trigger sets another column: still reported
  const touched = `${text}\nCREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql SET search_path = '' AS $$ BEGIN NEW.business_name = btrim(NEW.business_name); RETURN NEW; END $$;
CREATE TRIGGER touch BEFORE UPDATE ON public.vendors FOR EACH ROW EXECUTE FUNCTION public.touch();
`;
  assert.equal(lintFiles([{ file: FILE, text: touched }], ID).mine.length, 1);
  // a WITH CHECK naming the status at all (IS NOT DISTINCT FROM …), or a RESTRICTIVE policy naming it: not reported
  const distinct = text.replace(/USING \(\(select auth\.uid\(\)\) = user_id\);\n?$/, "USING ((select auth.uid()) = user_id)\n  WITH CHECK ((select auth.uid()) = user_id AND status IS NOT DISTINCT FROM 'pending');\n");
  assert.notEqual(distinct, text);
  assert.deepEqual(lintFiles([{ file: FILE, text: distinct }], ID).mine, []);
  const restrictive = `${text}\nCREATE POLICY keep_status ON public.vendors AS RESTRICTIVE FOR UPDATE TO authenticated WITH CHECK (status <> 'approved' OR (select auth.jwt()) ->> 'user_role' = 'admin');\n`;
  assert.deepEqual(lintFiles([{ file: FILE, text: restrictive }], ID).mine, []);
});

// Calibration: lebaneseweddingapp2's policies as written (no TO, has_role for admins, an updated_at trigger).
test('err: lebaneseweddingapp2\'s vendors, as written: one finding, on "Vendors can update their own profile"', () => {
  const sql = `CREATE TYPE public.vendor_status AS ENUM ('pending', 'approved', 'rejected');
CREATE TYPE public.app_role AS ENUM ('admin', 'user');
CREATE TABLE public.user_roles (user_id uuid NOT NULL, role public.app_role NOT NULL, PRIMARY KEY (user_id, role));
CREATE TABLE public.vendors (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), user_id uuid NOT NULL UNIQUE, business_name text NOT NULL,
  status public.vendor_status NOT NULL DEFAULT 'pending', updated_at timestamptz NOT NULL DEFAULT now());
ALTER TABLE public.user_roles ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.vendors ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION public.has_role(_user_id uuid, _role public.app_role) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT EXISTS (SELECT 1 FROM public.user_roles WHERE user_id = _user_id AND role = _role) $$;
CREATE POLICY "Anyone can view approved vendors" ON public.vendors FOR SELECT USING (status = 'approved' OR auth.uid() = user_id);
CREATE POLICY "Vendors can update their own profile" ON public.vendors FOR UPDATE USING (auth.uid() = user_id);
CREATE POLICY "Users can insert vendor profile" ON public.vendors FOR INSERT WITH CHECK (auth.uid() = user_id);
CREATE POLICY "Admins can view all vendors" ON public.vendors FOR SELECT USING (public.has_role(auth.uid(), 'admin'));
CREATE POLICY "Admins can update any vendor" ON public.vendors FOR UPDATE USING (public.has_role(auth.uid(), 'admin'));
CREATE FUNCTION public.handle_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at = now(); RETURN NEW; END; $$;
CREATE TRIGGER handle_vendors_updated_at BEFORE UPDATE ON public.vendors FOR EACH ROW EXECUTE FUNCTION public.handle_updated_at();
`;
  const r = lintFiles([{ file: FILE, text: sql }], ID);
  assert.equal(r.mine.length, 1);
  assert.equal(textAt(r.ws, r.mine[0]!), '"Vendors can update their own profile"');
  assert.match(r.mine[0]!.message, /pin it in a WITH CHECK \(WITH CHECK \(auth\.uid\(\) = user_id AND status = <the value a writer may leave>\)/);
});

// What is kept per table across lints (tableKeeper) follows an edit of another file: a trigger guarding the status, then none.
test('ok: kept across lints: a trigger guarding the status added in another file drops the finding; removed, it comes back', () => {
  const { ex } = lintDocExample(ID, 'invalid', 0);
  const ws = new Workspace(undefined, undefined, { editing: true });
  ws.setFile(FILE, ex.files[0]!.text);
  const second = 'supabase/migrations/20240102000000_guard.sql';
  ws.setFile(second, 'SELECT 1;\n');
  const mine = () => [...ws.lint().byFile.values()].flat().filter((f) => f.rule === ID).length;
  assert.equal(mine(), 1);
  ws.setFile(second, `CREATE FUNCTION public.keep_status() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.status := OLD.status; RETURN NEW; END $$;
CREATE TRIGGER keep_status BEFORE UPDATE ON public.vendors FOR EACH ROW EXECUTE FUNCTION public.keep_status();
`);
  assert.equal(mine(), 0);
  ws.setFile(second, 'SELECT 1;\n');
  assert.equal(mine(), 1);
  ws.setFile(second, 'REVOKE UPDATE ON public.vendors FROM anon, authenticated;\nGRANT UPDATE (business_name) ON public.vendors TO authenticated;\n');
  assert.equal(mine(), 0);
});

test("err (advice): an own-row condition with an OR (hrds100/marketplace10's agt_update, `owner_agent_id = auth.uid() OR is_admin()`) is parenthesized in the WITH CHECK the finding proposes; PGlite: that WITH CHECK refuses the owner's is_global = true (42501)", async () => {
  const text = `CREATE TABLE public.profiles (id uuid PRIMARY KEY, workspace_role text);
CREATE FUNCTION public.is_admin() RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$ SELECT EXISTS (SELECT 1 FROM public.profiles WHERE id = (select auth.uid()) AND workspace_role = 'admin') $$;
CREATE TABLE public.agreement_templates (id int PRIMARY KEY, is_global boolean NOT NULL DEFAULT false, owner_agent_id uuid);
ALTER TABLE public.agreement_templates ENABLE ROW LEVEL SECURITY;
CREATE POLICY agt_select ON public.agreement_templates FOR SELECT USING (is_global = true OR owner_agent_id = (select auth.uid()) OR public.is_admin());
CREATE POLICY agt_update ON public.agreement_templates FOR UPDATE USING (owner_agent_id = (select auth.uid()) OR public.is_admin());
`;
  const { ws, mine } = lintFiles([{ file: 'supabase/migrations/20240101000000_templates.sql', text }], ID);
  assert.equal(mine.length, 1);
  const proposed = mine[0]!.message.match(/WITH CHECK \((\(.*?\) AND is_global = <the value a writer may leave>)\)/)?.[1];
  assert.ok(proposed, mine[0]!.message);
  assert.equal(proposed, '(owner_agent_id = (select auth.uid()) OR public.is_admin()) AND is_global = <the value a writer may leave>');
  await inRollback(await getDb(), async (q) => {
    await onSupabase(q, sqlOf(ws));
    await q(`INSERT INTO public.agreement_templates VALUES (1, false, '${TENANT_A}')`);
    await q(`ALTER POLICY agt_update ON public.agreement_templates WITH CHECK (${proposed.replace('<the value a writer may leave>', 'false')})`);
    await q(`${actAs(TENANT_A)} SET ROLE authenticated`);
    const refused = await tryQuery(q, `UPDATE public.agreement_templates SET is_global = true WHERE id = 1`);
    assert.equal(refused.ok ? 'ok' : refused.error.code, '42501');
    await q('RESET ROLE');
    // (unparenthesized, as the advice read before: the owner's branch leaves is_global free)
    await q(`ALTER POLICY agt_update ON public.agreement_templates WITH CHECK (owner_agent_id = (select auth.uid()) OR public.is_admin() AND is_global = false)`);
    await q('SET ROLE authenticated');
    await q(`UPDATE public.agreement_templates SET is_global = true WHERE id = 1`);
    assert.deepEqual(await q('SELECT is_global FROM public.agreement_templates'), [{ is_global: true }]);
  });
});

// Calibration (cal210): imbhargav5/nextbase-nextjs-supabase-starter's content_blog_posts. Every
// policy ORs `auth.role() = 'service_role'` onto the author's own-row check; service_role bypasses
// RLS, so that branch is never consulted and is no moderator: the author publishes (the column even
// defaults to true). PGlite: the author's INSERT is shown to anon at once, and service_role reads
// and updates every row whatever the policies say.
test("ok: an UPDATE branch for service_role only (`auth.role() = 'service_role'`) is no moderator: the author's is_published is theirs to set (nextbase's blog posts); not reported", async () => {
  const posts = `CREATE TABLE public.content_blog_posts (id bigint PRIMARY KEY, author_id uuid NOT NULL, is_published boolean NOT NULL DEFAULT true, body text NOT NULL);
ALTER TABLE public.content_blog_posts ENABLE ROW LEVEL SECURITY;
CREATE POLICY posts_select ON public.content_blog_posts FOR SELECT USING (is_published OR auth.uid() = author_id OR auth.role() = 'service_role');
CREATE POLICY posts_insert ON public.content_blog_posts FOR INSERT WITH CHECK (auth.uid() = author_id OR auth.role() = 'service_role');
CREATE POLICY posts_update ON public.content_blog_posts FOR UPDATE
  USING (auth.uid() = author_id OR auth.role() = 'service_role')
  WITH CHECK (auth.uid() = author_id OR auth.role() = 'service_role');
`;
  const r = lintFiles([{ file: FILE, text: posts }], ID);
  assert.deepEqual(r.mine, []);
  // a moderator's branch beside it still makes the finding
  const moderated = posts.replace("USING (auth.uid() = author_id OR auth.role() = 'service_role')", "USING (auth.uid() = author_id OR auth.role() = 'service_role' OR (select auth.jwt()) ->> 'user_role' = 'editor')");
  assert.notEqual(moderated, posts);
  assert.equal(lintFiles([{ file: FILE, text: moderated }], ID).mine.length, 1);
  await inRollback(await getDb(), async (q) => {
    // (Supabase's auth.role(): the JWT's role claim)
    await q(`CREATE SCHEMA IF NOT EXISTS auth; CREATE OR REPLACE FUNCTION auth.role() RETURNS text LANGUAGE sql STABLE AS $$ SELECT nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role' $$; GRANT USAGE ON SCHEMA auth TO PUBLIC;`);
    await onSupabase(q, sqlOf(r.ws));
    await q(`${actAs(TENANT_A)} SET ROLE authenticated`);
    assert.deepEqual(await q(`INSERT INTO public.content_blog_posts (id, author_id, body) VALUES (1, '${TENANT_A}', 'hello') RETURNING is_published`), [{ is_published: true }]);
    await q(`RESET ROLE; ${actAs('')} SET ROLE anon`);
    assert.deepEqual(await q('SELECT id FROM public.content_blog_posts'), [{ id: 1 }], 'the author published it by inserting it');
    // service_role's requests never consult the policies (BYPASSRLS): its branch changes nothing
    await q(`RESET ROLE; ${actAs('', { role: 'service_role' })} SET ROLE service_role`);
    assert.deepEqual(await q(`UPDATE public.content_blog_posts SET is_published = false RETURNING id`), [{ id: 1 }]);
  });
});
