import { callSpan, locationBounds, matchParen } from '../analysis/ast.js';
import type { ArraySubselectMismatch, ComparedColumn, OperatorMismatch, SubselectTextMismatch } from '../analysis/operators.js';
import { isStringType } from '../analysis/operators.js';
import type { EnumArrayMismatch } from '../analysis/enum-values.js';
import { isRejected, rejectedWithReplaced } from '../analysis/rejected.js';
import type { Func, Model, Policy } from '../analysis/model.js';
import { nameParts, sqlOneLine, walk } from '../analysis/parse.js';
import { activeRuns, type ActiveRun, type PolicyRow } from '../analysis/policy-exprs.js';
import type { Node, Span } from '../analysis/types.js';
import { defineRule, type Fix, type RuleContext } from './types.js';
import { bareValue, fileOf, quoteIdent, where } from './lib/util.js';
import { stopsAt } from './policy-already-exists.js';
import { anyHelperCasts, calledUuidAsNumber, castsToNumberIn, laterDigitsGuard, uuidsAsNumbers, type HelperUuidAsNumber, type UuidAsNumber } from './lib/uuid-as-number.js';

// A policy comparing a column of its table with a text value where PostgreSQL has no operator
// for the pair (analysis/operators.ts): `tenant_id = auth.jwt() ->> 'tenant_id'` with tenant_id
// uuid. The CREATE POLICY fails with 42883 and the policy never exists (rejected.ts leaves it out
// of the active policies, so the other rules say nothing about it). And a value compared with the
// rows of a sub-select of an array column, `name = ANY (SELECT specialties FROM profiles …)`:
// each row's whole array, text = text[], 42883 too. Neon Authorize's auth.user_id() (pg_session_jwt)
// returns text: Drizzle's `(select auth.user_id() = "notes"."user_id")` with user_id uuid is the same
// mistake (operators.ts neonUserIdIsText says when the workspace shows it is Neon's).
// And a column of an enum type compared with an ARRAY[…] of strings, `role = ANY (ARRAY['admin',
// 'advisor'])`: the array is text[], and app_role = text has no operator, 42883 (analysis/enum-values.ts).
// And a policy PostgreSQL creates but whose cast fails when it runs: the caller's uuid cast through
// text to a number, `id = auth.uid()::text::integer` (lib/uuid-as-number.ts): 22P02 for every
// signed-in caller (dashpmo's usuarios/logs_alteracoes; PGlite); and a policy calling a helper
// whose body casts so (`current_user_id()`, `SELECT auth.uid()::text::integer`): the same 22P02.

/**
 * What becomes of the policy: never created, where a migration tool stops; where a later CREATE
 * POLICY of its name replaced it in the model (`by`), that one makes it (no 42710: this one never
 * existed), but only where the migrations go on past this failure: a migration tool never reaches it.
 */
function neverCreated(model: Model, p: Policy, by: Policy | undefined): string {
  const tool = `a migration tool ${stopsAt(model, p.created)}`;
  if (!by) return `The policy is never created (${tool}). `;
  const later = where(model, by.created);
  return isRejected(model, by)
    ? `The policy is never created (${tool}); the CREATE POLICY of the same name at ${later} is rejected too. `
    : `The policy is never created here (${tool}, so it never reaches the CREATE POLICY of the same name at ${later}, which PostgreSQL accepts: no 42710, this one never existed; psql without ON_ERROR_STOP goes on, and the policy exists only from there). `;
}

/** Whether the operand is a current_setting(…) call, written so (its value is '' once a SET LOCAL has ended: nullif). */
function isSettingCall(n: Node): boolean {
  // (or a sub-select of one, as bareValue sees it: `(select current_setting('app.tenant_id', true))`)
  const name = nameParts(bareValue(n)?.FuncCall?.funcname);
  return name[name.length - 1] === 'current_setting';
}

/**
 * The source span of an operand of a comparison: from its first token to the end of its last,
 * closing the parentheses it opened; it ends before `limit` (the operator, when the operand is
 * on its left). Undefined when the text does not agree.
 */
function operandSpan(text: string, n: Node, limit: number): Span | undefined {
  const { min, max } = locationBounds(n);
  if (min === Infinity || max < min) return undefined;
  let depth = 0;
  let i = min;
  let passed = false;
  while (i < limit) {
    const ch = text[i]!;
    if (i >= max) passed = true;
    if (ch === "'" || ch === '"') {
      const close = text.indexOf(ch, i + 1);
      if (close < 0) return undefined;
      i = close + 1;
      continue;
    }
    if (ch === '(') depth++;
    else if (ch === ')') {
      if (depth === 0) break;
      depth--;
      i++;
      if (passed && depth === 0) {
        // (the call or sub-select holding the last token is closed: a cast may follow)
        const cast = /^\s*::\s*[\w."]+(?:\[\])*/.exec(text.slice(i, limit));
        if (cast) i += cast[0].length;
        break;
      }
      continue;
    } else if (passed && depth === 0 && /[\s,;=<>!]/.test(ch)) break;
    i++;
  }
  let end = i;
  while (end > min && /\s/.test(text[end - 1]!)) end--;
  return end > min ? { start: min, end } : undefined;
}

function fixFor(file: string, text: string, m: OperatorMismatch): Fix | undefined {
  const span = operandSpan(text, m.text, m.columnFirst ? text.length : m.location);
  if (!span) return undefined;
  const written = text.slice(span.start, span.end);
  const type = m.columnType;
  // (a parenthesised operand, a sub-select, or a call, `auth.user_id()`: cast as it is)
  const call = /^[\w$."]+\s*\(/.exec(written);
  const wrapped = (written.startsWith('(') && matchParen(written, 0) === written.length - 1) || (!!call && matchParen(written, call[0].length - 1) === written.length - 1);
  const cast = isSettingCall(m.text) ? `nullif(${written}, '')::${type}` : wrapped ? `${written}::${type}` : `(${written})::${type}`;
  // Neon's auth.user_id() first in drizzle-orm/neon's `(select auth.user_id() = "notes"."user_id")`:
  // cast alone, the sub-select stays correlated (a SubPlan run for each row, the call with it:
  // policy-per-row-function); the cast goes on the call wrapped alone, the comparison out of the
  // sub-select, `((select auth.user_id())::uuid = "notes"."user_id")`, as that rule's fix writes it
  // (kekubhai/ynotnow, daveyplate/pglofi). PGlite: created, a user reads their rows only.
  const open = m.userId && call ? /\(\s*select\s+$/i.exec(text.slice(Math.max(0, span.start - 40), span.start)) : null;
  if (open) {
    const at = span.start - open[0].length;
    const close = matchParen(text, at);
    if (close > span.end && !/\b(from|where)\b/i.test(text.slice(span.end, close))) {
      const newText = `((select ${written})::${type}${text.slice(span.end, close)})`;
      return {
        title: `Cast the text to ${type}: ${newText.length > 70 ? `${newText.slice(0, 67)}…` : newText}`,
        kind: 'unsafe',
        edits: [{ file, start: at, end: close + 1, newText }],
      };
    }
  }
  return {
    title: `Cast the text to ${type}: ${cast.length > 70 ? `${cast.slice(0, 67)}…` : cast}`,
    kind: 'unsafe',
    edits: [{ file, start: span.start, end: span.end, newText: cast }],
  };
}

/** The source span of a column reference: its names, dotted, quoted or not. */
function refSpan(text: string, ref: Node): Span | undefined {
  const at = ref?.ColumnRef?.location;
  if (typeof at !== 'number' || at < 0) return undefined;
  const m = /^(?:"(?:[^"]|"")*"|[A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*)(?:\s*\.\s*(?:"(?:[^"]|"")*"|[A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*))*/.exec(text.slice(at, at + 300));
  return m ? { start: at, end: at + m[0].length } : undefined;
}

/** `x = ANY (SELECT arr …)`: each row's whole array is compared, text = text[] (42883). */
function reportArraySubselect(model: Model, report: RuleContext['report'], p: Policy, m: ArraySubselectMismatch, by: Policy | undefined): void {
  const file = p.created.file;
  const text = fileOf(model, file)?.text ?? '';
  const leftSpan = m.location >= 0 ? operandSpan(text, m.left, m.location) : undefined;
  const left = leftSpan ? sqlOneLine(text.slice(leftSpan.start, leftSpan.end)) : m.leftRelation ? m.column : 'the value';
  const shortLeft = left.length > 40 ? `${left.slice(0, 37)}…` : left;
  const target = refSpan(text, m.target);
  const column = target ? text.slice(target.start, target.end) : m.column;
  const table = m.table.slice(m.table.indexOf('.') + 1);
  const pair = `${m.leftType} ${m.op} ${m.arrayType}`;
  const written = m.form === 'IN' ? `${shortLeft} IN (SELECT ${column} …)` : `${shortLeft} ${m.op} ${m.form} (SELECT ${column} …)`;
  // (in EXISTS, the compared column qualified: the sub-select's table may have one of that name)
  const outer = m.leftRelation && m.left?.ColumnRef?.fields?.length === 1 ? `${quoteIdent(m.leftRelation)}.${left}` : left;
  const elements = m.form === 'IN' ? `${shortLeft} IN (SELECT unnest(${column}) …)` : `${shortLeft} ${m.op} ${m.form} (SELECT unnest(${column}) …)`;
  const fix: Fix | undefined = target && {
    title: `Compare with the arrays' elements: unnest(${column})`,
    kind: 'unsafe',
    edits: [{ file, start: target.start, end: target.end, newText: `unnest(${column})` }],
  };
  const at = m.location >= 0 ? m.location : p.created.start;
  const opLength = /^(?:<>|!=|in\b)/i.test(text.slice(at, at + 3)) ? 2 : 1;
  report({
    file,
    start: at,
    end: at + opLength,
    message:
      `Policy "${p.name}" on ${p.table} compares ${shortLeft} (${m.leftType}) with the rows of a sub-select of ${column} (${m.arrayType}, a column of ${table}): ` +
      `\`${written}\` compares ${shortLeft} with each row's whole array, not with its elements, so PostgreSQL looks for an operator ${pair}, finds none, and rejects this CREATE POLICY with 42883 operator does not exist: ${pair}. ` +
      neverCreated(model, p, by) +
      `A second pair of parentheses, \`${m.form === 'IN' ? 'IN' : `${m.op} ${m.form}`} ((SELECT ${column} …))\`, is read as the same sub-select and fails alike. ` +
      `Compare with the elements: \`${elements}\`` +
      (m.form === 'ALL' ? '' : `, or \`EXISTS (SELECT 1 FROM ${table} WHERE … AND ${outer} = ANY (${column}))\``) +
      `; or cast the sub-select to one array value, \`${m.form === 'IN' ? `${shortLeft} = ANY` : `${m.op} ${m.form}`} ((SELECT ${column} …)::${m.arrayType})\`, which fails with 21000 when it returns more than one row.`,
    fixes: fix ? [fix] : [],
  });
}

/** Where an `ARRAY[…]` written at `at` ends (after its `]`), strings and quoted names skipped; undefined where the text does not agree. */
function arrayEnd(text: string, at: number): number | undefined {
  const open = /^ARRAY\s*\[/i.exec(text.slice(at, at + 40));
  if (!open) return undefined;
  let depth = 0;
  for (let i = at + open[0].length - 1; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "'" || ch === '"') {
      const close = text.indexOf(ch, i + 1);
      if (close < 0) return undefined;
      i = close;
      // (a doubled quote inside: the scan goes on from the next one)
      continue;
    }
    if (ch === '[') depth++;
    else if (ch === ']' && --depth === 0) return i + 1;
  }
  return undefined;
}

/** `role = ANY (ARRAY['admin', 'advisor'])`: the array is text[], and the enum type has no operator with text (42883). */
function reportEnumArray(model: Model, report: RuleContext['report'], p: Policy, m: EnumArrayMismatch, by: Policy | undefined): void {
  const file = m.file;
  const text = fileOf(model, file)?.text ?? '';
  const typeSql = m.type.name.split('.').map(quoteIdent).join('.');
  const pair = `${m.type.name.slice(m.type.name.lastIndexOf('.') + 1)} ${m.op} text`;
  const at = typeof m.array?.A_ArrayExpr?.location === 'number' ? m.array.A_ArrayExpr.location : -1;
  const end = at >= 0 ? arrayEnd(text, at) : undefined;
  const written = end !== undefined ? sqlOneLine(text.slice(at, end)) : 'ARRAY[…]';
  const shown = written.length > 50 ? `${written.slice(0, 47)}…]` : written;
  // (safe: every string is a value of the type there, committed; cast so the policy is created and compares as written)
  const fix: Fix | undefined =
    end !== undefined && !m.bad
      ? { title: `Cast the array to ${typeSql}[]: ${shown}::${typeSql}[]`, kind: 'safe', edits: [{ file, start: end, end, newText: `::${typeSql}[]` }] }
      : undefined;
  const loc = m.location >= 0 ? m.location : p.created.start;
  report({
    file,
    start: loc,
    end: loc + (text.startsWith('<>', loc) || text.startsWith('!=', loc) ? 2 : 1),
    message:
      `Policy "${p.name}" on ${p.table} compares ${m.column}, of the enum type ${m.type.name}, with ${m.op} ${m.form} (${shown}): ` +
      `an ARRAY[…] of quoted strings is text[] (the strings take no type from the column), and PostgreSQL has no operator ${pair}, so it rejects this CREATE POLICY with 42883 operator does not exist: ${pair}. ` +
      neverCreated(model, p, by) +
      `Cast the array to the column's type, \`${shown}::${typeSql}[]\`` +
      (!m.bad ? '' : m.bad.uncommitted ? ` (then '${m.bad.value}' fails with 55P04 unsafe use of new value: the same transaction adds it; add it in an earlier migration)` : ` (then '${m.bad.value}', which is no value of the type, fails with 22P02)`) +
      (m.op === '=' && m.form === 'ANY' ? `, or write \`${m.column} IN (…)\` with the strings.` : m.op === '<>' && m.form === 'ALL' ? `, or write \`${m.column} NOT IN (…)\` with the strings.` : '.'),
    fixes: fix ? [fix] : [],
  });
}

/** The parentheses `text` opens (positive) or closes (negative) from `start` to `end`, quoted strings and names skipped; undefined where one of those does not close before `end`. */
function parenDepth(text: string, start: number, end: number): number | undefined {
  let depth = 0;
  for (let i = start; i < end; i++) {
    const ch = text[i]!;
    if (ch === "'" || ch === '"') {
      const close = text.indexOf(ch, i + 1);
      if (close < 0 || close >= end) return undefined;
      i = close;
    } else if (ch === '(') depth++;
    else if (ch === ')') depth--;
  }
  return depth;
}

/**
 * The source span of the value on the left of an operator at `limit`: from its first token to the
 * operator, taking in the parentheses it closes there (`(storage.foldername(name))[1]::uuid`).
 */
function leftOperandSpan(text: string, n: Node, limit: number): Span | undefined {
  const { min } = locationBounds(n);
  if (min === Infinity || min >= limit) return undefined;
  let start = min;
  let end = limit;
  while (end > start && /\s/.test(text[end - 1]!)) end--;
  let depth = parenDepth(text, start, end);
  if (depth === undefined) return undefined;
  while (depth < 0) {
    let i = start - 1;
    while (i >= 0 && /\s/.test(text[i]!)) i--;
    if (i < 0 || text[i] !== '(') return undefined;
    start = i;
    depth++;
  }
  return depth === 0 && end > start ? { start, end } : undefined;
}

/** `x::uuid IN (SELECT id::text …)`: a uuid compared with the text a sub-select returns, or the reverse (42883). */
function reportSubselectText(model: Model, report: RuleContext['report'], p: Policy, m: SubselectTextMismatch, by: Policy | undefined): void {
  const file = p.created.file;
  const text = fileOf(model, file)?.text ?? '';
  const leftSpan = m.location >= 0 ? leftOperandSpan(text, m.left, m.location) : undefined;
  const left = leftSpan ? sqlOneLine(text.slice(leftSpan.start, leftSpan.end)) : 'the value';
  const shortLeft = left.length > 40 ? `${left.slice(0, 37)}…` : left;
  const targetSpan = operandSpan(text, m.target, text.length);
  const target = targetSpan ? sqlOneLine(text.slice(targetSpan.start, targetSpan.end)) : 'its value';
  const shortTarget = target.length > 40 ? `${target.slice(0, 37)}…` : target;
  const pair = `${m.leftType} ${m.op} ${m.targetType}`;
  const written = m.form === 'IN' ? `${shortLeft} IN (SELECT ${shortTarget} …)` : `${shortLeft} ${m.op} ${m.form} (SELECT ${shortTarget} …)`;
  const other = m.leftType === 'text' ? m.targetType : m.leftType;
  const a = (type: string) => (type === 'text' ? 'text' : `${type === 'integer' ? 'an' : 'a'} ${type}`);
  const at = m.location >= 0 ? m.location : p.created.start;
  const opLength = /^(?:<>|!=|in\b)/i.test(text.slice(at, at + 3)) ? 2 : 1;
  report({
    file,
    start: at,
    end: at + opLength,
    message:
      `Policy "${p.name}" on ${p.table} compares ${shortLeft} (${m.leftType}) with the rows of a sub-select of ${shortTarget} (${m.targetType}): ` +
      `\`${written}\` compares ${a(m.leftType)} with ${a(m.targetType)}, and text does not cast to ${other} by itself, so PostgreSQL looks for an operator ${pair}, finds none, and rejects this CREATE POLICY with 42883 operator does not exist: ${pair}. ` +
      neverCreated(model, p, by) +
      `Compare values of one type: drop the cast to text, or cast the text to ${other} (a value that is not a valid ${other} then fails with 22P02).`,
    fixes: [],
  });
}

/**
 * The source span of a cast: from its first token to the end of its type name, taking in the
 * parentheses it opens or closes there (`(auth.jwt() ->> 'sub')::integer`, `CAST(… AS integer)`).
 */
function castSpan(text: string, n: Node): Span | undefined {
  const { min } = locationBounds(n);
  const at = n.TypeCast?.typeName?.location;
  if (min === Infinity || typeof at !== 'number' || at < min) return undefined;
  const name = /^(?:"(?:[^"]|"")*"|[A-Za-z_][\w$]*)(?:\s*\.\s*(?:"(?:[^"]|"")*"|[A-Za-z_][\w$]*))*(?:\s+(?:precision|varying))?(?:\s*\(\s*\d+(?:\s*,\s*\d+)?\s*\))?/.exec(text.slice(at, at + 100));
  if (!name) return undefined;
  let start = min;
  let end = at + name[0].length;
  let depth = parenDepth(text, start, end);
  if (depth === undefined) return undefined;
  for (; depth > 0; depth--) {
    const m = /^\s*\)/.exec(text.slice(end, end + 200));
    if (!m) return undefined;
    end += m[0].length;
  }
  for (; depth < 0; depth++) {
    let i = start - 1;
    while (i >= 0 && /\s/.test(text[i]!)) i--;
    if (i < 0 || text[i] !== '(') return undefined;
    start = i;
  }
  return { start, end };
}

/** The column a cast is compared with by `=` or `<>` in a tree (`id` of `id = auth.uid()::text::integer`), as written. */
function comparedColumn(text: string, root: Node, cast: Node): string | undefined {
  let found: string | undefined;
  walk(root, (k, v) => {
    if (found !== undefined) return false;
    if (k !== 'A_Expr' || v.kind !== 'AEXPR_OP') return;
    const other = v.lexpr === cast ? v.rexpr : v.rexpr === cast ? v.lexpr : undefined;
    if (!other?.ColumnRef) return;
    const span = refSpan(text, other);
    if (span) found = text.slice(span.start, span.end);
  });
  return found;
}

const COMMANDS: Record<Policy['command'], string> = { all: 'queries', select: 'SELECTs', insert: 'INSERTs', update: 'UPDATEs', delete: 'DELETEs' };

/** What gives the uuid a cast casts (UuidAsNumber.source), in a message's words. */
function sourceOf(u: UuidAsNumber): { what: string; who: string; unset: string; call: string } {
  return u.source.kind === 'uid'
    ? { what: "`auth.uid()` is the caller's id, a uuid", who: 'every signed-in caller', unset: 'For anon (no user), `auth.uid()` is NULL: the cast gives NULL, no error', call: '`auth.uid()`' }
    : u.source.kind === 'sub'
      ? { what: "`auth.jwt() ->> 'sub'` is the caller's id, a uuid on Supabase, as text", who: 'every signed-in caller', unset: 'For anon (no user), the JWT has no sub: the cast gives NULL, no error', call: '`auth.uid()`' }
      : { what: `\`${u.source.name}()\` returns a uuid`, who: `every caller \`${u.source.name}()\` returns an id for`, unset: `Where \`${u.source.name}()\` returns NULL, the cast gives NULL, no error`, call: `\`${u.source.name}()\`` };
}

/**
 * A policy that casts the caller's uuid through text to a number (`auth.uid()::text::integer`): it
 * is created, and fails with 22P02 whenever the cast is evaluated for a signed-in caller (PGlite:
 * SELECT as authenticated with a uuid sub, whether or not the sub-select's table has rows; as anon,
 * auth.uid() is NULL and nothing fails). One finding per policy, on its first such cast, in the
 * policy's own text (its sub-selects too; a helper's: reportHelperUuidAsNumber). No fix: the ids'
 * types are the schema's.
 */
function reportUuidAsNumber(model: Model, report: RuleContext['report'], p: Policy, file: string, root: Node, u: UuidAsNumber): void {
  const text = fileOf(model, file)?.text ?? '';
  const span = castSpan(text, u.node);
  const at = span ?? { start: u.node.TypeCast?.location ?? p.created.start, end: (u.node.TypeCast?.location ?? p.created.start) + 2 };
  const written = span ? sqlOneLine(text.slice(span.start, span.end)) : `a cast to ${u.type}`;
  const shown = written.length > 60 ? `${written.slice(0, 57)}…` : written;
  const source = sourceOf(u);
  const column = comparedColumn(text, root, u.node);
  // (a digits test written after the cast: PGlite, it runs first alone, not when ORed with another policy)
  const guard = laterDigitsGuard(root, u.node);
  const guardSpan = guard && castSpan(text, guard.A_Expr.lexpr);
  const test = guard && (guardSpan ? `\`${sqlOneLine(text.slice(guardSpan.start, guardSpan.end))} ~ '${guard.A_Expr.rexpr.A_Const.sval.sval}'\`` : 'the digits test');
  const fails = test
    ? `whenever it evaluates the cast with an id set. The test ${test} written after it does not keep it from that: PostgreSQL does not keep an AND's written order. Alone, the planner evaluates the cheaper test first, and the ${COMMANDS[p.command]} on ${p.table} read nothing through this policy with no error; ORed with another permissive policy's condition on the row (\`owner = …\`), it evaluates the AND as written, and they fail for ${source.who} where a row is read (PGlite). Either way the test is false for every uuid: the condition admits no signed-in caller's row. `
    : `whenever it evaluates the cast with an id set, as it plans or runs a query: the policy makes the ${COMMANDS[p.command]} on ${p.table} fail for ${source.who}. `;
  report({
    file,
    start: at.start,
    end: at.end,
    message:
      `Policy "${p.name}" on ${p.table} casts \`${shown}\`: ${source.what}, and no uuid's text is a valid ${u.type}, so PostgreSQL fails with 22P02 invalid input syntax for type ${u.type} ` +
      `${fails}${source.unset}. ` +
      `Compare the caller's id as a uuid instead of casting it${column ? ` to compare with ${column}` : ''}: e.g. a \`user_id uuid\` column that references \`auth.users (id)\`, compared with ${source.call}. No quick fix: the change is to the schema.`,
    fixes: [],
  });
}

/**
 * A policy calling a function whose body casts the caller's uuid through text to a number
 * (lib/uuid-as-number.ts helperUuidAsNumber): `owner_id = current_user_id()` with
 * `current_user_id()` `SELECT auth.uid()::text::integer`. The policy is created, and fails with
 * 22P02 whenever the call is evaluated for a signed-in caller, as for a cast in its own text
 * (PGlite: LANGUAGE sql and plpgsql, `RETURN`, `SELECT … INTO`, `(select current_user_id())`). On
 * the call, where the failure shows; the cast is the related place. No fix: the helper's
 * return type and the column it is compared with are the schema's.
 */
function reportHelperUuidAsNumber(model: Model, report: RuleContext['report'], p: Policy, file: string, h: HelperUuidAsNumber & { call: Node }): void {
  const text = fileOf(model, file)?.text ?? '';
  const u = h.cast;
  const at = typeof h.call.location === 'number' && h.call.location >= 0 ? callSpan(text, h.call.location) : undefined;
  const span = at ?? { start: p.created.start, end: p.created.start + 1 };
  const named = (f: Func) => `\`${f.schema === 'public' ? f.name : `${f.schema}.${f.name}`}()\``;
  const helper = h.chain[h.chain.length - 1]!;
  const bodyFile = helper.created.file;
  const bodyText = fileOf(model, bodyFile)?.text ?? '';
  const castAt = castSpan(bodyText, u.node);
  const written = castAt ? sqlOneLine(bodyText.slice(castAt.start, castAt.end)) : `a cast to ${u.type}`;
  const shown = written.length > 60 ? `${written.slice(0, 57)}…` : written;
  const source = sourceOf(u);
  const path = h.chain.map(named).join(', which calls ');
  report({
    file,
    start: span.start,
    end: span.end,
    message:
      `Policy "${p.name}" on ${p.table} calls ${path}, whose body casts \`${shown}\` at ${where(model, castAt ? { file: bodyFile, ...castAt } : helper.created)}: ${source.what}, and no uuid's text is a valid ${u.type}, so PostgreSQL fails with 22P02 invalid input syntax for type ${u.type} whenever it evaluates the call with an id set, as it plans or runs a query: ` +
      `the policy makes the ${COMMANDS[p.command]} on ${p.table} fail for ${source.who}. ${source.unset}. ` +
      `Have ${named(helper)} give the caller's id as a uuid instead of casting it, and compare it with a uuid: e.g. a \`user_id uuid\` column that references \`auth.users (id)\`, compared with ${source.call}. No quick fix: the change is to the schema.`,
    related: castAt ? [{ file: bodyFile, start: castAt.start, end: castAt.end, message: `${named(helper)} casts the caller's uuid through text to ${u.type} here (22P02 for a signed-in caller)` }] : [],
    fixes: [],
  });
}

export const policyTypeMismatch = defineRule({
  meta: {
    id: 'policy-type-mismatch',
    description: 'A policy compares a uuid, integer, boolean, date or jsonb column with text (`->>`, current_setting(), ::text, Neon\'s auth.user_id()) or with a column of another kind (`t.id = m.team_id`, uuid and text), a value with the arrays a sub-select returns (`name = ANY (SELECT tags …)`), or an enum column with an ARRAY[…] of strings (`role = ANY (ARRAY[\'admin\', \'advisor\'])`, text[]): PostgreSQL has no such operator and rejects the CREATE POLICY (42883). Or it casts the caller\'s uuid through text to a number (`auth.uid()::text::integer`), itself or in a helper it calls: every signed-in query it checks fails (22P02).',
    severity: 'error',
    category: 'correctness',
    fixKind: 'unsafe',
    guards:
      'Text does not cast implicitly to uuid, integer, boolean, date, timestamp or jsonb: `tenant_id = auth.jwt() ->> \'tenant_id\'` with tenant_id uuid fails with 42883 operator does not exist: uuid = text, so the CREATE POLICY fails, the migration stops, and the policy never exists. Neon Authorize\'s `auth.user_id()` (pg_session_jwt) is text too: Drizzle\'s `(select auth.user_id() = "notes"."user_id")` with user_id uuid fails with 42883 operator does not exist: text = uuid. Likewise `name = ANY (SELECT specialties FROM profiles …)` with specialties text[]: a sub-select\'s rows are compared whole, text = text[], 42883. So is `role = ANY (ARRAY[\'admin\', \'advisor\'])` with role of an enum type: an ARRAY of untyped strings is text[], and app_role = text has no operator (42883). And no uuid\'s text is a number: `id = auth.uid()::text::integer` is created, then fails with 22P02 invalid input syntax for type integer for every signed-in caller (for anon, auth.uid() is NULL and the cast gives NULL), and so does a policy calling a helper whose body casts so (`SELECT auth.uid()::text::integer`).',
    // (not by `function auth.user_id() does not exist`: verify's PGlite has no pg_session_jwt; a
    // uuid cast through text to a number, by the read as Supabase's authenticated, signed in with a
    // uuid sub: 22P02 for a number type, quoting the uuid — not a setting read as '' cast to uuid)
    shownBy: {
      statement: ['42883'],
      statementMessage: /^operator does not exist: /,
      probe: ['22P02'],
      probeMessage: /^invalid input syntax for type (?:smallint|integer|bigint|numeric|real|double precision): "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"$/,
    },
  },
  check({ model, report }) {
    // (and those a later CREATE POLICY of the same name replaced: the first still fails)
    for (const [p, r, by] of rejectedWithReplaced(model)) {
      if ('enumArray' in r) {
        reportEnumArray(model, report, p, r.enumArray, by);
        continue;
      }
      if ('arraySubselect' in r) {
        reportArraySubselect(model, report, p, r.arraySubselect, by);
        continue;
      }
      if ('subselectText' in r) {
        reportSubselectText(model, report, p, r.subselectText, by);
        continue;
      }
      if (!('operator' in r)) continue;
      const m = r.operator;
      if (m.other) {
        reportColumnPair(model, report, p, m, m.other, by);
        continue;
      }
      const text = fileOf(model, p.created.file)?.text ?? '';
      const textSpan = operandSpan(text, m.text, m.columnFirst ? text.length : m.location);
      const written = textSpan ? sqlOneLine(text.slice(textSpan.start, textSpan.end)) : 'a text value';
      const pair = m.columnFirst ? `${m.columnType} ${m.op} text` : `text ${m.op} ${m.columnType}`;
      const fix = fixFor(p.created.file, text, m);
      const at = m.location >= 0 ? m.location : p.created.start;
      const shown = written.length > 60 ? `${written.slice(0, 57)}…` : written;
      // (Neon's auth.user_id(): the JWT's sub, a uuid with Neon Auth, not with every provider)
      const cast = m.userId
        ? `Cast it to the column's type, \`auth.user_id()::${m.columnType}\` (a sub that is not a valid ${m.columnType} then fails the query with 22P02: where the provider's user ids are not ${m.columnType}s, Clerk's \`user_…\` say, declare ${m.column} text instead)`
        : `Cast the text to the column's type (${isSettingCall(m.text) ? `nullif(…, '')::${m.columnType}` : `(…)::${m.columnType}`}; a value that is not a valid ${m.columnType} then fails with 22P02)`;
      report({
        file: p.created.file,
        start: at,
        end: at + (text.startsWith('<>', at) ? 2 : 1),
        message:
          `Policy "${p.name}" on ${p.table} compares ${m.table !== undefined ? `${m.relation}.${m.column}, a ${m.columnType} column of ${m.table} (in a sub-select reading it),` : `${m.column}, a ${m.columnType} column,`} with ${shown}, which is text` +
          (m.userId ? ` (Neon Authorize's \`auth.user_id()\`, from the pg_session_jwt extension, returns the JWT's \`sub\` as text)` : '') +
          `: PostgreSQL has no operator ${pair} and text does not cast to ${m.columnType} by itself, so it rejects this CREATE POLICY with 42883 operator does not exist: ${pair}. ` +
          neverCreated(model, p, by) +
          `${cast} rather than the column to text (${quoteIdent(m.column)}::text = … runs, but no index on ${m.column} can serve it).`,
        fixes: fix ? [fix] : [],
      });
    }
    // run by run (a table's active policies): a run none of whose expressions casts to a number,
    // where no function body does either, has nothing to report (what a kept run's nodes hold is
    // kept with it: castsOfRun)
    const helpers = anyHelperCasts(model);
    const runs = activeRuns(model);
    for (let i = 0; i < runs.length; i++) {
      const run = runs[i]!;
      if (helpers || castsOfRun(run)) checkRows(model, report, run.active);
    }
  },
});

/** Two columns of types in two categories compared in a sub-select (`m.team_id = docs.team_id`, text and uuid): 42883, no fix (which column's type is meant, the lint cannot tell). */
function reportColumnPair(model: Model, report: RuleContext['report'], p: Policy, m: OperatorMismatch, o: ComparedColumn, by: Policy | undefined): void {
  const pair = `${m.columnType} ${m.op} ${o.type}`;
  const at = m.location >= 0 ? m.location : p.created.start;
  const text = fileOf(model, p.created.file)?.text ?? '';
  const col = (c: { column: string; table?: string; relation?: string }, type: string) => `${c.relation}.${c.column}, a ${type} column of ${c.table}`;
  const [s, other] = isStringType(m.columnType) ? [`${m.relation}.${m.column}`, o.type] : isStringType(o.type) ? [`${o.relation}.${o.column}`, m.columnType] : [undefined, undefined];
  report({
    file: p.created.file,
    start: at,
    end: at + (text.startsWith('<>', at) ? 2 : 1),
    message:
      `Policy "${p.name}" on ${p.table} compares ${col(m, m.columnType)}, with ${col(o, o.type)} in a sub-select: PostgreSQL has no operator ${pair} and casts neither type to the other by itself, so it rejects this CREATE POLICY with 42883 operator does not exist: ${pair}. ` +
      neverCreated(model, p, by) +
      `Give the two columns one type (ALTER TABLE … ALTER COLUMN … TYPE …), or cast one side explicitly${s ? ` (${s}::${other}: a value that is not a valid ${other} then fails the query with 22P02)` : ''}.`,
  });
}

/**
 * Whether an expression of the run's rows holds a cast to a number (castsToNumberIn): what the
 * nodes hold, kept on the run (a run kept on its table has the same rows at the next re-lint).
 */
function castsOfRun(run: ActiveRun): boolean {
  let v = castsByRun.get(run);
  if (v === undefined) {
    v = run.active.some((row) => row.exprs.some((e) => castsToNumberIn(e.node)));
    castsByRun.set(run, v);
  }
  return v;
}
const castsByRun = new WeakMap<ActiveRun, boolean>();

/** The uuid-through-text casts of the rows' policies, their own or a helper's they call: one finding per policy. */
function checkRows(model: Model, report: RuleContext['report'], rows: readonly PolicyRow[]): void {
  for (const row of rows) {
    const p = row.policy;
    // (anon has no user, and service_role bypasses RLS: neither evaluates the cast with an id set)
    if (p.roles.every((r) => r === 'anon' || r === 'service_role')) continue;
    let reported = false;
    for (const e of row.exprs) {
      const u = uuidsAsNumbers(model, e.node)[0];
      if (!u) continue;
      reportUuidAsNumber(model, report, p, e.file, e.node, u);
      reported = true;
      break;
    }
    // (else a helper the policy calls: one finding per policy, on its first such call)
    if (reported) continue;
    for (const e of row.exprs) {
      const h = calledUuidAsNumber(model, e.node);
      if (!h) continue;
      reportHelperUuidAsNumber(model, report, p, e.file, h);
      break;
    }
  }
}
