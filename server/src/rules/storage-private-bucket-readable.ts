import type { Model, Policy } from '../analysis/model.js';
import { activePoliciesWithKey, memoModel } from '../analysis/policy-exprs.js';
import { appliesToRole } from '../analysis/policies.js';
import { conjuncts, constValue } from '../analysis/ast.js';
import { sval } from '../analysis/parse.js';
import type { Loc, Node, ParsedFile, Statement } from '../analysis/types.js';
import { defineRule } from './types.js';
import { bucketFilter, bucketWide, trueForRole } from './policy-always-true.js';
import { columnRef, onSupabasePlatform, toPublic, where } from './lib/util.js';

// Supabase Storage: a bucket is private when storage.buckets.public is false (the default). That
// only means its objects have no public URL: every request through the Storage API — the anon key
// alone included — reads the objects that storage.objects' SELECT policies admit for its role. A
// SELECT policy admitting anon to every object of a bucket the migrations make private (be-my-
// doctor's "Patient documents are publicly accessible" on 'patient-documents') gives every file
// of it to anyone. Pure: reads the model.

const STORAGE_OBJECTS = 'storage.objects';

/** Why a policy applies to anon when it names PUBLIC, for the storage rules' messages (`: it is TO PUBLIC`). */
export function publicClause(p: Policy): string {
  return p.roles.includes('public') ? `: it ${toPublic(p)}` : '';
}

/**
 * The buckets among `among` (the ones the migrations make) whose every object a policy's USING
 * admits for every request of `role`: those its bucket filter names (bucketWide), or, when it does
 * not even name a bucket and asks only what every such request meets (`USING (true)`, `USING
 * (auth.role() = 'authenticated')`: godel-law-site's "Authenticated users can select objects"),
 * all of them (`anyBucket`). Undefined when it asks more.
 */
export function wholeBuckets(model: Model, using: Node, role: string, among: Iterable<string>): { buckets: string[]; anyBucket: boolean } | undefined {
  const named = bucketWide(model, using, role);
  if (named) return { buckets: named, anyBucket: false };
  if (conjuncts(using).some((c) => bucketFilter(c)) || !trueForRole(model, using, role)) return undefined;
  return { buckets: [...among], anyBucket: true };
}

/** The buckets the migrations make (INSERT INTO storage.buckets … VALUES, later UPDATE … SET public, DELETE), with whether each ends private and where that is said (storage-public-bucket-listable asks it too). */
export function madeBuckets(model: Model): ReadonlyMap<string, { private: boolean; loc: Loc }> {
  return memoModel(model, 'rules:madeBuckets', (m) => {
    const state = new Map<string, { private: boolean; loc: Loc }>();
    for (const { file, stmt } of bucketStatements(m)) {
      const n = stmt.node;
      const loc = { file: file.file, start: stmt.start, end: stmt.end };
      if (stmt.kind === 'DeleteStmt') {
        // DELETE FROM storage.buckets WHERE id = '…' (or IN (…)): a later INSERT makes that bucket anew
        const ids = bucketIds(n.whereClause);
        if (ids) for (const bucket of ids) state.delete(bucket);
        else state.clear();
        continue;
      }
      if (stmt.kind === 'InsertStmt') {
        // Only ON CONFLICT DO UPDATE changes a bucket that exists: ON CONFLICT DO NOTHING leaves it as
        // it was, and so does a plain INSERT, which fails with 23505 on storage.buckets' primary key,
        // or is skipped by the guard around it (a DO block's IF NOT EXISTS (SELECT … FROM storage.buckets …)).
        const keep = n.onConflictClause?.action !== 'ONCONFLICT_UPDATE';
        for (const value of insertedRows(n)) {
          const bucket = constValue(value('id'));
          if (typeof bucket !== 'string' || (keep && state.has(bucket))) continue;
          const pub = value('public');
          const flag = pub !== null ? boolOf(pub) : false;
          if (flag === undefined) state.delete(bucket);
          else state.set(bucket, { private: !flag, loc });
        }
        continue;
      }
      // UPDATE storage.buckets SET public = … WHERE id = '…'
      const set = (n.targetList as Node[] | undefined)?.find((x) => x?.ResTarget?.name === 'public');
      if (!set) continue;
      const flag = boolOf(set.ResTarget.val);
      const ids = bucketIds(n.whereClause);
      if (!ids) {
        // (another WHERE: which buckets it changes is not known)
        state.clear();
        continue;
      }
      for (const bucket of ids) {
        if (flag === undefined) state.delete(bucket);
        else state.set(bucket, { private: !flag, loc });
      }
    }
    return state;
  });
}

/**
 * The buckets a WHERE of storage.buckets names for certain: `id = '…'`, or `id IN ('…', '…')`
 * (Real-estate-Crm's `UPDATE storage.buckets SET public = false WHERE id IN ('avatars',
 * 'property-images')`); undefined for another WHERE.
 */
function bucketIds(where: Node): string[] | undefined {
  const w = where?.A_Expr;
  if (!w || columnRef(w.lexpr)?.name !== 'id') return undefined;
  if (w.kind === 'AEXPR_OP' && sval(w.name?.[0]) === '=') {
    const bucket = constValue(w.rexpr);
    return typeof bucket === 'string' ? [bucket] : undefined;
  }
  if (w.kind === 'AEXPR_IN' && sval(w.name?.[0]) === '=') {
    const out: string[] = [];
    for (const item of (w.rexpr?.List?.items ?? w.rexpr ?? []) as Node[]) {
      const bucket = constValue(item);
      if (typeof bucket !== 'string') return undefined;
      out.push(bucket);
    }
    return out.length ? out : undefined;
  }
  return undefined;
}

/** The buckets the migrations leave private (public = false), with where that is said. */
function privateBuckets(model: Model): ReadonlyMap<string, Loc> {
  return memoModel(model, 'rules:privateBuckets', (m) => {
    const out = new Map<string, Loc>();
    for (const [b, s] of madeBuckets(m)) if (s.private) out.set(b, s.loc);
    return out;
  });
}

/**
 * The statements on storage.buckets (INSERT, UPDATE, DELETE), in replay order, with their files,
 * once per model: only the files naming the table are looked at (kept per parsed file: most name
 * none, and then no statement is).
 */
export function bucketStatements(model: Model): ReadonlyArray<{ file: ParsedFile; stmt: Statement }> {
  return memoModel(model, 'rules:bucketStatements', (m) => {
    const out: Array<{ file: ParsedFile; stmt: Statement }> = [];
    if (!m.files.some(namesBuckets)) return out;
    for (const x of m.statements) {
      if (!namesBuckets(x.file)) continue;
      const { kind, node: n } = x.stmt;
      if ((kind === 'InsertStmt' || kind === 'UpdateStmt' || kind === 'DeleteStmt') && n?.relation?.schemaname === 'storage' && n.relation.relname === 'buckets') out.push(x);
    }
    return out;
  });
}

/** The VALUES rows of an INSERT, each as the value it gives a column (null: a column it does not name). */
export function insertedRows(n: Node): Array<(column: string) => Node | null | undefined> {
  const cols: string[] = (n.cols ?? []).map((c: Node) => String(c?.ResTarget?.name ?? ''));
  return ((n.selectStmt?.SelectStmt?.valuesLists ?? []) as Node[]).map((values) => {
    const items: Node[] = values?.List?.items ?? [];
    return (column) => {
      const i = cols.indexOf(column);
      return i >= 0 ? items[i] : null;
    };
  });
}

const bucketFiles = new WeakMap<ParsedFile, boolean>();
function namesBuckets(f: ParsedFile): boolean {
  let v = bucketFiles.get(f);
  if (v === undefined) bucketFiles.set(f, (v = /storage"?\s*\.\s*"?buckets/i.test(f.text)));
  return v;
}

/** A boolean constant (`false`, `'false'`, `false::boolean`), else undefined. */
function boolOf(n: Node): boolean | undefined {
  const v = constValue(n?.TypeCast ? n.TypeCast.arg : n);
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|t|false|f)$/i.test(v)) return /^t/i.test(v);
  return undefined;
}

export const storagePrivateBucketReadable = defineRule({
  meta: {
    id: 'storage-private-bucket-readable',
    description: 'A SELECT policy on storage.objects lets anon read every object of a bucket the migrations make private (public = false), or every signed-in user while another policy of the bucket admits only some.',
    severity: 'warning',
    category: 'security',
    fixKind: 'none',
    guards:
      "A private Supabase Storage bucket only has no public URL: the Storage API serves its objects to every request, the anon key alone included, that storage.objects' SELECT policies admit. A policy admitting anon to the whole bucket makes every file of it readable by anyone; one admitting every signed-in user beside a narrower policy of the bucket makes that one decide nothing.",
  },
  check({ model, report }) {
    if (!onSupabasePlatform(model)) return;
    const buckets = privateBuckets(model);
    if (buckets.size === 0) return;
    const policies = activePoliciesWithKey(model, STORAGE_OBJECTS);
    const readers = (role: string) => policies.filter((p) => p.permissive && (p.command === 'select' || p.command === 'all') && p.using && appliesToRole(model, p, role));
    for (const p of readers('anon')) {
      const wide = wholeBuckets(model, p.using!, 'anon', buckets.keys());
      for (const b of wide?.buckets ?? []) {
        const made = buckets.get(b);
        if (!made) continue;
        report({
          ...p.nameLoc,
          message:
            `Policy "${p.name}" on storage.objects lets anon (every request, signed in or not${publicClause(p)}) read every object of bucket '${b}', which the migrations make private (public = false, at ${where(model, made)})${wide!.anyBucket ? ', as its USING does not even ask for the bucket' : ''}: ` +
            `a private bucket only has no public URL, and the Storage API serves its files to any request these policies admit, so with the project's public anon key anyone lists and downloads every file of '${b}'. ` +
            `If the files are meant to be public, make the bucket public and say so; else restrict the policy to the roles and owners that need it (e.g. TO authenticated USING (bucket_id = '${b}' AND (storage.foldername(name))[1] = (select auth.uid())::text)).`,
          related: [{ ...made, message: `bucket '${b}' is made private here` }],
        });
      }
    }
    // Every signed-in user, where another SELECT policy of the bucket admits only some of them
    // (stfrancis' "Authenticated users can view chat files" beside "Admin/teacher can view chat
    // files"): permissive policies are ORed, so that one's condition decides nothing for reads.
    // (Without such a policy, reading by every signed-in user may be what the bucket is for.)
    const signedIn = readers('authenticated');
    for (const p of signedIn) {
      if (appliesToRole(model, p, 'anon') && wholeBuckets(model, p.using!, 'anon', buckets.keys())?.buckets.length) continue; // (reported above)
      const wide = wholeBuckets(model, p.using!, 'authenticated', buckets.keys());
      for (const b of wide?.buckets ?? []) {
        const made = buckets.get(b);
        if (!made) continue;
        const narrower = signedIn.find((q) => q !== p && !bucketWide(model, q.using!, 'authenticated') && conjuncts(q.using).some((c) => bucketFilter(c)?.includes(b)));
        if (!narrower) continue;
        report({
          ...p.nameLoc,
          message:
            `Policy "${p.name}" on storage.objects lets every signed-in user (authenticated) read every object of bucket '${b}', which the migrations make private (public = false, at ${where(model, made)})${wide!.anyBucket ? ', as its USING does not even ask for the bucket' : ''}, while policy "${narrower.name}" admits only some of them to it: ` +
            `permissive policies are ORed, so "${narrower.name}"'s condition decides nothing for reads, and every signed-in user (anyone who signs up, where sign-ups are open) lists and downloads every file of '${b}'. ` +
            `Drop "${p.name}", or give it the condition the files need (the owner's folder, membership of what the file belongs to), as "${narrower.name}" does.`,
          related: [
            { ...narrower.nameLoc, message: `policy "${narrower.name}" admits only some users to bucket '${b}'` },
            { ...made, message: `bucket '${b}' is made private here` },
          ],
        });
      }
    }
  },
});
