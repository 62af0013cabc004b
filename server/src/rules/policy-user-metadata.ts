import type { Model } from '../analysis/model.js';
import { activeRowsWith, FLAG_USER_METADATA, functionsCalledByPolicies, bodyFlags, BODY_USER_META, textOfFile, userMetadataRefs, type UserMetadataRef } from '../analysis/policy-exprs.js';
import { defineRule, type Edit, type Fix } from './types.js';

interface Ref extends UserMetadataRef {
  file: string;
}

/** The span of the word to replace (`user_metadata` in a literal, `raw_user_meta_data` as a column). */
function wordSpan(model: Model, r: Ref): { start: number; end: number; newText: string } | undefined {
  const text = textOfFile(model, r.file);
  const word = r.kind === 'claim' ? 'user_metadata' : 'raw_user_meta_data';
  const window = text.slice(r.location, r.location + 120).toLowerCase();
  const i = window.indexOf(word);
  if (i < 0) return undefined;
  const start = r.location + i;
  return { start, end: start + word.length, newText: r.kind === 'claim' ? 'app_metadata' : 'raw_app_meta_data' };
}

function describe(model: Model, r: Ref): string {
  if (r.kind === 'column') return 'auth.users.raw_user_meta_data';
  return "the JWT's user_metadata claim";
}

function fixFor(model: Model, refs: Ref[]): Fix | undefined {
  const edits: Edit[] = [];
  for (const r of refs) {
    const w = wordSpan(model, r);
    if (!w) return undefined;
    edits.push({ file: r.file, ...w });
  }
  const words = [...new Set(refs.map((r) => (r.kind === 'claim' ? 'user_metadata → app_metadata' : 'raw_user_meta_data → raw_app_meta_data')))].join(', ');
  return { title: `Read app_metadata instead (${words}); the data must be moved there by the server`, kind: 'unsafe', edits };
}

const WHY =
  'every signed-in user can rewrite their own user_metadata with supabase.auth.updateUser({ data: … }), and the value lands in their next JWT and in auth.users.raw_user_meta_data, ' +
  'so a user can give themselves whatever value this checks.';
const WHAT =
  'Use app_metadata (raw_app_meta_data in auth.users), which only the service role can write, and move the data there (e.g. supabase.auth.admin.updateUserById(id, { app_metadata: … })).';

export const policyUserMetadata = defineRule({
  meta: {
    id: 'policy-user-metadata',
    description: 'A policy (or a function it calls) trusts Supabase user_metadata, which users can edit themselves.',
    severity: 'error',
    category: 'security',
    fixKind: 'unsafe',
    guards: "Supabase's user_metadata (auth.jwt() -> 'user_metadata', auth.users.raw_user_meta_data) is writable by the user it describes: a check on it is a check the user chooses the answer to.",
    sources: ['splinter 0015 rls_references_user_metadata'],
  },
  check({ model, report }) {
    const reportFirst = (refs: Ref[], subject: string) => {
      if (refs.length === 0) return;
      const first = refs[0]!;
      const w = wordSpan(model, first);
      const fix = fixFor(model, refs);
      report({
        file: first.file,
        start: w?.start ?? first.location,
        end: w?.end ?? first.location + 1,
        message: `${subject} trusts ${describe(model, first)}: ${WHY} ${WHAT}`,
        fixes: fix ? [fix] : [],
      });
    };
    for (const row of activeRowsWith(model, FLAG_USER_METADATA)) {
      const p = row.policy;
      reportFirst(
        row.exprs.flatMap((e) => userMetadataRefs(e.node).map((r) => ({ ...r, file: e.file }))),
        `Policy "${p.name}" on ${p.table}`,
      );
    }
    // (no function body of the workspace has the kind of content looked for: none to follow)
    if (!(bodyFlags(model) & BODY_USER_META)) return;
    for (const { func: f, policy: p } of functionsCalledByPolicies(model)) {
      if (!f.body) continue;
      reportFirst(
        f.body.statements.flatMap((s) => userMetadataRefs(s.node).map((r) => ({ ...r, file: f.created.file }))),
        `Function ${f.signature}, called by policy "${p.name}" on ${p.table},`,
      );
    }
  },
});
