import { rejectedWithReplaced } from '../analysis/rejected.js';
import { isViewRelation, referenceFailure, writtenBefore } from '../analysis/columns.js';
import type { Model, Policy } from '../analysis/model.js';
import type { Loc } from '../analysis/types.js';
import { quoteIdent } from '../analysis/parse.js';
import { defineRule } from './types.js';
import { fileOf, unversionedOrderSentence, where } from './lib/util.js';
import { earlierFailure, stopsAt } from './policy-already-exists.js';

/** Levenshtein distance, stopping early above `max`. */
function distance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      best = Math.min(best, cur[j]!);
    }
    if (best > max) return max + 1;
    prev = cur;
  }
  return prev[b.length]!;
}


/** A name with case and underscores taken away: `user_id`, `userId` and `UserID` are one. */
const conventionFree = (s: string): string => s.toLowerCase().replace(/_/g, '');

/** The end of the name written at `start` (`x`, `t.x`, `"a b".x`, a call's `s.f`): where a finding on it ends. */
function nameEnd(text: string, start: number): number {
  const m = /^[\w$"\u0080-\uffff]+(?:\s*\.\s*[\w$"\u0080-\uffff]+)*/.exec(text.slice(start, start + 300));
  return start + (m ? m[0].length : 1);
}

/**
 * Where a migration tool stops, and what psql without ON_ERROR_STOP does (`rest`: what it goes on
 * without): " (a migration tool stops here; …)", or, where a statement before the policy in its file
 * already fails, a sentence saying the tool stops there (local-marketplace's REVOKE of a function
 * created only later, eight lines above).
 */
function toolStops(model: Model, p: Policy, rest: string): string {
  return earlierFailure(model, p.created)
    ? `. A migration tool ${stopsAt(model, p.created)}; psql without ON_ERROR_STOP goes on without ${rest}`
    : ` (a migration tool stops here; psql without ON_ERROR_STOP goes on without ${rest})`;
}

/** The error the failing CREATE TABLE raises: 42P01, or 3F000 where the referenced table's schema is made only later too (PGlite). */
function refFails(model: Model, failed: { loc: Loc; references: string }): string {
  const r = referenceFailure(model, failed.loc, failed.references);
  return r.code === '3F000' ? `and its schema too: the CREATE TABLE fails with 3F000 ${r.text}` : '42P01';
}

/** The error a CREATE POLICY on a table made only later raises: 42P01, or 3F000 where the table's schema is made only later too (PGlite: a pg_dump's post-data file run before its pre-data file). */
function madeLaterError(model: Model, at: Loc, key: string, rv: { schemaname?: string; relname?: string }): string {
  const r = referenceFailure(model, at, key);
  return r.code === '3F000' ? `3F000 ${r.text}` : `42P01 relation "${rv.schemaname ? `${rv.schemaname}.` : ''}${rv.relname}" does not exist`;
}

export const policyUnknownColumn = defineRule({
  meta: {
    id: 'policy-unknown-column',
    description:
      'A policy names a column that none of the tables it reads has, or reads a table or calls a function the migrations create only after it (or never, their CREATE FUNCTION being refused): PostgreSQL rejects the CREATE POLICY (42703, 42P01, 42883) and the policy never exists.',
    severity: 'error',
    category: 'correctness',
    fixKind: 'none',
    guards:
      'PostgreSQL analyses a policy\'s USING and WITH CHECK when it creates it: a column no table in reach has fails the statement with 42703 column "x" does not exist, so the table keeps the policies it had before (none, for a new table: every query as a role subject to RLS sees 0 rows).',
    shownBy: { statement: ['42703', '42P01', '42883'] },
  },
  check({ model, report }) {
    for (const [p, r] of rejectedWithReplaced(model)) {
      if ((r.code !== '42703' && r.code !== '42P01' && r.code !== '42883') || 'operator' in r || 'arraySubselect' in r || 'subselectText' in r || 'enumArray' in r) continue; // (policy-type-mismatch)
      // (written before its table is created: PostgreSQL stops at the table, 42P01, which
      // rls-enabled-without-policy tells; quranakhdone's notes policy)
      // (the table as the statement names it: a table renamed later is named as it was then, trazo's recipe_applications)
      const rv0 = p.stmt.kind === 'CreatePolicyStmt' ? p.stmt.node?.table : undefined;
      const on = rv0?.relname ? model.key([rv0.schemaname, rv0.relname]) : p.table;
      const own = model.tables.get(p.table);
      const onOwn = r.code === '42P01' && r.relation.key === p.table;
      // (its own table made later: told here, unless rls-enabled-without-policy tells it, the table having no policy of its own)
      if (own && writtenBefore(model, p.created, own.created) && (!onOwn || (own.rlsEnabled && own.policies.length === 0))) continue;
      if (onOwn) {
        const { rv, made, failed } = (r as Extract<typeof r, { code: '42P01' }>).relation;
        if (failed) {
          const refMade = model.tables.get(failed.references)?.created;
          report({
            ...p.nameLoc,
            message:
              `Policy "${p.name}" is created on ${on}, whose CREATE TABLE at ${where(model, failed.loc)} fails on a database these migrations make: it references ${failed.references}, which they create only later (${refFails(model, failed)}). ` +
              `So ${on} does not exist here either, and PostgreSQL rejects this CREATE POLICY with 42P01 relation "${rv.schemaname ? `${rv.schemaname}.` : ''}${rv.relname}" does not exist: the policy is never created (a migration tool stops at the CREATE TABLE; psql without ON_ERROR_STOP goes on without both)` +
              (made ? `, and ${on} is made only at ${where(model, made)}, with the policies written after that. ` : '. ') +
              `Create ${failed.references} before ${on} (or add the foreign key after it with ALTER TABLE … ADD CONSTRAINT).${refMade ? unversionedOrderSentence(model, failed.loc, refMade) : ''}`,
            related: [{ ...failed.loc, message: `CREATE TABLE ${on}: fails, ${failed.references} does not exist yet (${referenceFailure(model, failed.loc, failed.references).code})` }, ...(made ? [{ ...made, message: `${on} created here` }] : [])],
          });
          continue;
        }
        if (!made) continue;
        report({
          ...p.nameLoc,
          message:
            `Policy "${p.name}" is created on ${on}, which the migrations create only later, at ${where(model, made)}: ` +
            `on a database these migrations make, PostgreSQL rejects this CREATE POLICY with ${madeLaterError(model, p.created, r.relation.key, rv)}, so the policy is never created${toolStops(model, p, `it, and ${on} gets only the policies created after its CREATE TABLE`)}. ` +
            `Create the policy after the table (move it into a later migration), or create the table first.${unversionedOrderSentence(model, p.created, made)}`,
          related: [{ ...made, message: `${on} created here` }],
        });
        continue;
      }
      if ('fn' in r) {
        const { call, fn, made, refused } = r.fn;
        const written = call.name.join('.');
        if (!fn) {
          // (its only CREATE FUNCTION is one PostgreSQL refuses: function-replace-rejected)
          report({
            file: p.created.file,
            start: call.location,
            end: nameEnd(fileOf(model, p.created.file)?.text ?? '', call.location),
            message:
              `Policy "${p.name}" on ${on} calls ${written}(), which no migration makes: its CREATE FUNCTION at ${where(model, made)} returns text from a LANGUAGE sql body where it declares ${refused}, and PostgreSQL rejects it (42P13 return type mismatch: function-replace-rejected). ` +
              `PostgreSQL resolves a policy's function calls when it creates the policy, so it rejects this CREATE POLICY with 42883 function ${written}(…) does not exist, and the policy is never created${toolStops(model, p, `it, and ${on} keeps the policies it had`)}. ` +
              `Fix the function (cast what its body returns to ${refused}), and this policy is created.`,
            related: [{ ...made, message: `${written}() is refused here (42P13)` }],
          });
          continue;
        }
        report({
          file: p.created.file,
          start: call.location,
          end: nameEnd(fileOf(model, p.created.file)?.text ?? '', call.location),
          message:
            `Policy "${p.name}" on ${on} calls ${written}(), which the migrations create only later, at ${where(model, made)}: ` +
            `PostgreSQL resolves a policy's function calls when it creates the policy, so on a database these migrations make it rejects this CREATE POLICY with 42883 function ${written}(…) does not exist, and the policy is never created${toolStops(model, p, `it, and ${on} keeps the policies it had`)}. ` +
            `Create ${fn.schema}.${fn.name}() before this policy (move its CREATE FUNCTION into an earlier migration), or create the policy after it.${unversionedOrderSentence(model, p.created, made)}`,
          related: [{ ...made, message: `${fn.schema}.${fn.name}() created here` }],
        });
        continue;
      }
      if (r.code === '42P01') {
        const { rv, key, made } = r.relation;
        if (!made) continue;
        const start = typeof rv.location === 'number' && rv.location >= 0 ? rv.location : p.nameLoc.start;
        const file = start >= p.created.start && start < p.created.end ? p.created.file : p.nameLoc.file;
        report({
          file,
          start,
          end: start + (fileOf(model, file)?.text.slice(start).match(/^[\w$".]+/)?.[0].length ?? 1),
          message:
            `Policy "${p.name}" on ${on} reads ${key}, which the migrations create only later, at ${where(model, made)}: ` +
            `on a database these migrations make, PostgreSQL rejects this CREATE POLICY with 42P01 relation "${rv.schemaname ? `${rv.schemaname}.` : ''}${rv.relname}" does not exist, so the policy is never created${toolStops(model, p, `it, and ${on} keeps the policies it had`)}. ` +
            `Create ${key} before this policy (move its CREATE into an earlier migration), or create the policy after it.${unversionedOrderSentence(model, p.created, made)}`,
          related: [{ ...made, message: `${key} created here` }],
        });
        continue;
      }
      const u = r.column;
      // (the expression is the CREATE POLICY's, or a later ALTER POLICY's)
      const start: number = u.ref.location ?? p.nameLoc.start;
      const file = start >= p.loc.start && start < p.loc.end ? p.loc.file : p.created.file;
      const text = fileOf(model, file)?.text ?? '';
      const end = nameEnd(text, start);
      const name = u.column.includes('.') ? u.column.slice(u.column.indexOf('.') + 1) : u.column;
      // (t.x: only t's columns are candidates; an unqualified name there could mean another table's column)
      const candidates = (u.qualifiedBy ? [u.qualifiedBy] : u.tables).flatMap((t) => t.columns.map((c) => ({ c, t })));
      // (a column of the other convention — user_id for userId — or the same name in other case,
      // as ORMs write quoted: "userId", which an unquoted userId folded to userid does not name)
      let best: { c: string; d: number } | undefined;
      for (const { c } of candidates) {
        const d = conventionFree(c) === conventionFree(name) ? 0 : distance(name, c, 1);
        if (d <= 1 && (!best || d < best.d)) best = { c, d };
      }
      const tableList = u.tables.map((t) => `${t.key} (${t.columns.join(', ')})`).join('; ');
      const qual = u.column.includes('.') ? u.column.slice(0, u.column.indexOf('.')) : undefined;
      const bestName = best && quoteIdent(best.c);
      const qualified = u.qualifiedBy ? `${bestName ? quoteIdent(qual!) : qual}.${bestName ?? name}` : undefined;
      // (what was written, when PostgreSQL folded it: `userId` unquoted is userid)
      const written = text.slice(start, end).split('.').pop()!.trim();
      const folded = best && written !== name && !written.startsWith('"') && best.c.toLowerCase() === name ? ` (PostgreSQL folds the unquoted ${written} to ${name}; quote it)` : '';
      if (u.missingFrom) {
        const q = u.column.slice(0, u.column.indexOf('.'));
        report({
          file,
          start,
          end,
          message:
            `Policy "${p.name}" on ${on} names ${u.column}, but a policy has no ${q.toUpperCase()} row: OLD and NEW are a trigger function's, and a policy's expressions see only the row being checked (its columns, unqualified or as ${on.split('.').pop()}.column). ` +
            `PostgreSQL rejects this statement with 42P01 missing FROM-clause entry for table "${q}", so the policy is never created${toolStops(model, p, `it, and ${on} keeps the policies it had`)}. ` +
            `Name the column without ${q}.; to compare a new value with the old one, use a BEFORE UPDATE trigger instead.`,
          related: u.tables.map((t) => ({ ...t.nameLoc, message: `${t.key} created at ${where(model, t.created)}` })),
        });
        continue;
      }
      if (u.removedAt) {
        const from = u.removedFrom ?? on;
        report({
          file,
          start,
          end,
          message:
            `Policy "${p.name}" on ${on} names the column ${u.column}, which ${from} no longer has here: ` +
            (u.renamedTo !== undefined
              ? `ALTER TABLE … RENAME COLUMN at ${where(model, u.removedAt)}, before this statement, renamed it to ${u.renamedTo}. `
              : `ALTER TABLE … DROP COLUMN at ${where(model, u.removedAt)}, before this statement, dropped it. `) +
            `On a database these migrations make, PostgreSQL rejects this CREATE POLICY with 42703 ${u.column.includes('.') ? `column ${u.column}` : `column "${name}"`} does not exist, so the policy is never created${toolStops(model, p, `it, and ${on} keeps the policies it had`)}. ` +
            (u.renamedTo !== undefined ? `Name the column by its new name, ${u.renamedTo}, or create the policy before the rename.` : `Name an existing column, or keep the column (remove the DROP COLUMN) if the policy needs it.`),
          related: [{ ...u.removedAt, message: u.renamedTo !== undefined ? `${name} renamed to ${u.renamedTo} here` : `${name} dropped here` }],
        });
        continue;
      }
      if (u.addedLater) {
        report({
          file,
          start,
          end,
          message:
            `Policy "${p.name}" on ${on} names the column ${u.column}, which ${u.addedTo ?? on} does not have yet: it gets it only at ${where(model, u.addedLater)} (ALTER TABLE … ADD COLUMN), after this statement. ` +
            `On a database these migrations make, PostgreSQL rejects this CREATE POLICY with 42703 column "${name}" does not exist, so the policy is never created${toolStops(model, p, `it, and ${on} keeps the policies it had`)}. ` +
            `Add the column before this policy (move the ADD COLUMN into an earlier migration), or create the policy after it.`,
          related: [{ ...u.addedLater, message: `${u.column} added here` }],
        });
        continue;
      }
      report({
        file,
        start,
        end,
        message:
          (u.qualifiedBy
            ? `Policy "${p.name}" on ${on} names the column ${u.column}, but ${qual === u.qualifiedBy.name ? u.qualifiedBy.key : `${qual} is ${u.qualifiedBy.key}, which`} has no column ${name} — ${u.qualifiedBy.key} (${u.qualifiedBy.columns.join(', ')}) — even at the end of the migrations: `
            : `Policy "${p.name}" on ${on} names the column ${u.column}, which no ${u.tables.some(isViewRelation) ? 'table or view' : 'table'} it reads has — ${tableList} — even at the end of the migrations: `) +
          `PostgreSQL rejects this statement with 42703 ${u.column.includes('.') ? `column ${u.column}` : `column "${name}"`} does not exist, so the policy is never created${toolStops(model, p, `it, and ${on} keeps the policies it had`)}. ` +
          `${best ? `Did you mean ${qualified ?? bestName}?${folded} ` : ''}Name an existing column, or add the column before this policy.`,
        related: u.tables.map((t) => ({ ...t.nameLoc, message: `${t.key} created at ${where(model, t.created)}` })),
      });
    }
  },
});
