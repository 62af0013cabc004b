import { activePoliciesWithKey } from '../analysis/policy-exprs.js';
import { appliesToRole } from '../analysis/policies.js';
import type { Policy } from '../analysis/model.js';
import { defineRule } from './types.js';
import { madeBuckets, publicClause, wholeBuckets } from './storage-private-bucket-readable.js';
import { onSupabasePlatform, where } from './lib/util.js';

// Supabase Storage: a public bucket (storage.buckets.public = true) serves each file at its public
// URL with no policy on storage.objects asked — to whoever knows the file's name. Listing the
// bucket (the Storage API's list) is a SELECT on storage.objects under its RLS policies: a SELECT
// policy admitting anon to every object of the bucket hands out every name, whoever uploaded the
// file, and each name is then a download. sprintable's 'recordings' (meeting recordings) and
// 'memo-attachments' buckets: `FOR SELECT USING (bucket_id = 'recordings')`, no TO. Supabase's
// advisor reports the same (splinter 0025 public_bucket_allows_listing). A private bucket's
// policies are storage-private-bucket-readable's. Pure: reads the model.

const STORAGE_OBJECTS = 'storage.objects';

export const storagePublicBucketListable = defineRule({
  meta: {
    id: 'storage-public-bucket-listable',
    description: 'A SELECT policy on storage.objects lets anon (or every signed-in user) list every object of a bucket the migrations make public, whose files need no policy to be downloaded by URL.',
    severity: 'warning',
    category: 'security',
    fixKind: 'none',
    guards:
      "A public Supabase Storage bucket serves each file at its public URL without asking storage.objects' policies, to whoever knows its name; listing the bucket is a SELECT on storage.objects that RLS filters. A SELECT policy admitting anon to the whole bucket gives anyone every file's name, and so every file.",
    sources: ['splinter 0025 public_bucket_allows_listing'],
  },
  check({ model, report }) {
    if (!onSupabasePlatform(model)) return;
    const made = madeBuckets(model);
    if (made.size === 0) return;
    const policies = activePoliciesWithKey(model, STORAGE_OBJECTS);
    const reading = (p: Policy) => p.command === 'select' || p.command === 'all';
    // (a RESTRICTIVE policy for the role may tie the rows to the caller: left alone)
    const restricted = (role: string) => policies.some((q) => !q.permissive && reading(q) && appliesToRole(model, q, role));
    const publicOf = (buckets: string[] | undefined) => [...new Set(buckets ?? [])].filter((b) => made.get(b)?.private === false);
    for (const p of policies) {
      if (!p.permissive || !reading(p) || !p.using) continue;
      // anon first (every request with the anon key alone), else every signed-in user
      let role: 'anon' | 'authenticated' | undefined;
      let buckets: string[] = [];
      let anyBucket = false;
      for (const r of ['anon', 'authenticated'] as const) {
        if (!appliesToRole(model, p, r) || restricted(r)) continue;
        const wide = wholeBuckets(model, p.using, r, made.keys());
        buckets = publicOf(wide?.buckets);
        anyBucket = !!wide?.anyBucket;
        if (buckets.length) {
          role = r;
          break;
        }
      }
      if (!role) continue;
      const first = made.get(buckets[0]!)!;
      const named = buckets.map((b) => `'${b}'`).join(', ');
      const bucketWord = buckets.length > 1 ? 'buckets' : 'bucket';
      const who =
        role === 'anon'
          ? `anon (any request with the project's public anon key alone${publicClause(p)})`
          : 'every signed-in user (authenticated: anyone who signs up, where sign-ups are open)';
      const anyone = role === 'anon' ? 'anyone' : 'every signed-in user';
      report({
        ...p.nameLoc,
        message:
          `Policy "${p.name}" on storage.objects lets ${who} list every object of public ${bucketWord} ${named} (public = true, at ${where(model, first.loc)}): its USING ${anyBucket ? `does not even ask for the bucket${role === 'authenticated' ? ', only that the request is signed in' : ''}, let alone` : `asks only for the bucket${role === 'authenticated' ? ' and that the request is signed in' : ''}, not`} who uploaded an object or whose folder it is in. ` +
          `Listing a bucket through the Storage API is a SELECT on storage.objects that these policies filter, so ${anyone} gets the name of every file there, whoever uploaded it, and a public bucket serves each file at its public URL without asking any policy: every file is then a download. ` +
          `Public URLs need no SELECT policy: drop "${p.name}" if clients only fetch files by URL; if they must list, scope it to the caller (e.g. \`TO authenticated USING (bucket_id = '${buckets[0]}' AND (storage.foldername(name))[1] = (select auth.uid())::text)\`).`,
        // (one related place per statement making them public)
        related: [...new Map(buckets.map((b) => [made.get(b)!.loc, b])).entries()].map(([loc, b]) => ({ ...loc, message: `bucket '${b}' is made public here` })),
      });
    }
  },
});
