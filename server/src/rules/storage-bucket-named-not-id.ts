import type { Model } from '../analysis/model.js';
import { activePoliciesWithKey, memoModel, policyExprs, textOfFile } from '../analysis/policy-exprs.js';
import { constValue } from '../analysis/ast.js';
import { walk } from '../analysis/parse.js';
import type { Loc, Node } from '../analysis/types.js';
import { defineRule } from './types.js';
import { bucketFilter } from './policy-always-true.js';
import { bucketStatements, insertedRows } from './storage-private-bucket-readable.js';
import { bareValue, quotedAt, sqlString as quoteLiteral, where } from './lib/util.js';
import { listOr } from '../analysis/words.js';

// Supabase Storage: storage.objects.bucket_id references storage.buckets.id, the bucket's id. A
// bucket has a name too, which the dashboard and createBucket() make equal to its id, but an
// INSERT INTO storage.buckets (id, name, …) may give it another ('media', 'Media Library'). A
// storage policy comparing bucket_id with such a name compares the objects' bucket id with a
// value no object of that bucket has: the condition is never true for them (time-traveler's
// policies on 'Media Library'). Pure: reads the model.

const STORAGE_OBJECTS = 'storage.objects';


/** A bucket the migrations make by an INSERT INTO storage.buckets naming both its id and its name. */
interface NamedBucket {
  id: string;
  name: string;
  /** inserted with public = true */
  public: boolean;
  loc: Loc;
}

/**
 * The buckets the migrations insert, by id, and those whose name is not their id, by name (the last
 * INSERT of each; a bucket inserted again with another id under the same name is the later one).
 */
function insertedBuckets(model: Model): { ids: ReadonlySet<string>; byName: ReadonlyMap<string, NamedBucket> } {
  return memoModel(model, 'storage-bucket-named-not-id:buckets', (m) => {
    const ids = new Set<string>();
    const byName = new Map<string, NamedBucket>();
    for (const { file, stmt } of bucketStatements(m)) {
      if (stmt.kind !== 'InsertStmt') continue;
      for (const value of insertedRows(stmt.node)) {
        const bucket = constValue(bareValue(value('id')));
        if (typeof bucket !== 'string') continue;
        ids.add(bucket);
        const named = constValue(bareValue(value('name')));
        if (typeof named === 'string' && named !== bucket) byName.set(named, { id: bucket, name: named, public: constValue(bareValue(value('public'))) === true, loc: { file: file.file, start: stmt.start, end: stmt.end } });
      }
    }
    return { ids, byName };
  });
}

/** The bucket filters of an expression, at any depth (`bucket_id = 'x'`, `bucket_id IN ('x', 'y')`), with the literal of each value. */
function filtersIn(expr: Node): Array<{ value: string; at: Node }> {
  const out: Array<{ value: string; at: Node }> = [];
  walk(expr, (k, v, parent) => {
    const values = k === 'A_Expr' ? bucketFilter(parent) : undefined;
    if (!values) return;
    const x = v;
    const side = x.kind === 'AEXPR_IN' ? [] : [x.lexpr, x.rexpr];
    const items: Node[] = x.kind === 'AEXPR_IN' ? ((x.rexpr?.List?.items ?? x.rexpr ?? []) as Node[]) : side;
    for (const item of items) {
      const lit = bareValue(item);
      const value = constValue(lit);
      if (typeof value === 'string' && values.includes(value)) out.push({ value, at: lit });
    }
  });
  return out;
}

export const storageBucketNamedNotId = defineRule({
  meta: {
    id: 'storage-bucket-named-not-id',
    description: "A storage policy compares bucket_id with a bucket's name where the migrations give that bucket another id: no object of the bucket matches.",
    severity: 'warning',
    category: 'correctness',
    fixKind: 'unsafe',
    guards:
      "storage.objects.bucket_id holds the bucket's id (storage.buckets.id), not its name: a bucket inserted as (id 'media', name 'Media Library') has objects with bucket_id = 'media', so bucket_id = 'Media Library' is never true for them and the policy admits none of its files (reads return none through it, uploads fail with 42501).",
  },
  check({ model, report }) {
    const policies = activePoliciesWithKey(model, STORAGE_OBJECTS);
    if (policies.length === 0) return;
    const { ids, byName } = insertedBuckets(model);
    if (byName.size === 0) return;
    for (const p of policies) {
      for (const e of policyExprs(p)) {
        for (const { value, at } of filtersIn(e.node)) {
          const b = byName.get(value);
          // (a bucket the migrations also make with this id: the value is that bucket's id)
          if (!b || ids.has(value) || typeof at.A_Const?.location !== 'number') continue;
          const start: number = at.A_Const.location;
          // (as written: `'Media Library'`, not an E'…' string nor one continued on the next line)
          const literal = quotedAt(textOfFile(model, e.file), start);
          if (literal === undefined) continue;
          const end = start + literal.length;
          const effect =
            e.clause === 'check'
              ? `an upload${p.command === 'update' || p.command === 'all' ? ' or an UPDATE' : ''} of one is refused through it (42501 new row violates row-level security policy for table "objects", unless another policy admits it)`
              : p.command === 'select' || p.command === 'all'
                ? `a read returns none of them through it${b.public ? " (the bucket is public: its files' public URLs serve them without asking any policy, but listing them, and reading them through the API or SQL, does)" : ''}`
                : `its ${p.command.toUpperCase()} reaches none of them`;
          const others = [...byName.values()].filter((x) => x !== b && x.id === b.id);
          report({
            file: e.file,
            start,
            end,
            message:
              `Policy "${p.name}" on storage.objects compares bucket_id with ${literal}, the name of bucket ${quoteLiteral(b.id)} (inserted at ${where(model, b.loc)}), not its id: storage.objects.bucket_id holds the bucket's id, so the objects of that bucket have bucket_id = ${quoteLiteral(b.id)} and ` +
              `this comparison is never true for them: ${effect}. The migrations make no bucket with the id ${literal}. Compare bucket_id with ${quoteLiteral(b.id)}${others.length ? ` (also named ${listOr(others.map((x) => quoteLiteral(x.name)), 'and')})` : ''}.`,
            related: [{ ...b.loc, message: `bucket ${quoteLiteral(b.id)} is named ${literal} here` }],
            fixes: [{ title: `Compare bucket_id with the bucket's id, ${quoteLiteral(b.id)}`, kind: 'unsafe', edits: [{ file: e.file, start, end, newText: quoteLiteral(b.id) }] }],
          });
        }
      }
    }
  },
});
