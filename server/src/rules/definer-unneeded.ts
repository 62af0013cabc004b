import { callsIn, stringConst } from '../analysis/ast.js';
import type { Func, Model } from '../analysis/model.js';
import type { Edit, Fix } from './types.js';
import { defineRule } from './types.js';
import { bodyText, fileOf, functionLists, lowerCallName, namesRole, platformFunction } from './lib/util.js';

/** Built-in functions that read no table and need no privilege beyond EXECUTE (granted to PUBLIC). */
const PURE_BUILTINS = new Set([
  'current_setting', 'nullif', 'lower', 'upper', 'trim', 'btrim', 'ltrim', 'rtrim', 'length', 'char_length', 'character_length',
  'octet_length', 'concat', 'concat_ws', 'format', 'replace', 'substring', 'substr', 'split_part', 'left', 'right', 'lpad', 'rpad',
  'strpos', 'position', 'starts_with', 'md5', 'abs', 'round', 'floor', 'ceil', 'ceiling', 'trunc', 'mod', 'now', 'statement_timestamp',
  'transaction_timestamp', 'clock_timestamp', 'date_trunc', 'date_part', 'extract', 'make_interval', 'to_char', 'to_date', 'to_timestamp',
  'to_json', 'to_jsonb', 'json_build_object', 'jsonb_build_object', 'json_build_array', 'jsonb_build_array', 'jsonb_extract_path',
  'jsonb_extract_path_text', 'json_extract_path', 'json_extract_path_text', 'jsonb_typeof', 'array_length', 'cardinality', 'array_position',
  'array_append', 'array_cat', 'unnest', 'gen_random_uuid', 'uuidv4', 'uuidv7', 'regexp_replace', 'regexp_match', 'regexp_like', 'string_to_array',
  'array_to_string', 'coalesce', 'greatest', 'least', 'random', 'num_nonnulls', 'num_nulls',
  'repeat', 'reverse', 'initcap', 'translate', 'overlay', 'ascii', 'chr', 'quote_ident', 'quote_literal', 'quote_nullable', 'encode',
  'decode', 'sha224', 'sha256', 'sha384', 'sha512', 'to_hex', 'to_number', 'bit_length', 'regexp_count', 'regexp_instr', 'regexp_substr',
  'regexp_matches', 'regexp_split_to_array', 'regexp_split_to_table', 'sign', 'power', 'pow', 'sqrt', 'exp', 'ln', 'log', 'pi',
  'width_bucket', 'age', 'make_date', 'make_time', 'make_timestamp', 'make_timestamptz', 'date_add', 'date_subtract', 'justify_days',
  'justify_hours', 'justify_interval', 'isfinite', 'array_remove', 'array_prepend', 'array_replace', 'array_upper', 'array_lower',
  'array_dims', 'jsonb_set', 'jsonb_insert', 'jsonb_strip_nulls', 'jsonb_array_length', 'json_array_length', 'jsonb_object_keys',
  'json_object_keys', 'jsonb_array_elements', 'jsonb_array_elements_text', 'json_array_elements', 'json_array_elements_text',
  'jsonb_each', 'jsonb_each_text', 'jsonb_pretty', 'jsonb_path_query', 'jsonb_path_exists', 'row_to_json', 'array_to_json',
]);

/** Supabase's request helpers: they read request settings only. */
const SUPABASE_AUTH = new Set(['uid', 'jwt', 'role', 'email']);

interface Verdict {
  /** built-in and helper names it calls, for the message */
  calls: Set<string>;
  /** it calls functions of the workspace (their unqualified names resolve through search_path) */
  callsWorkspace: boolean;
}

/**
 * Whether the function needs no privilege of its owner: it reads and writes no table, runs no
 * dynamic SQL, sets nothing, does not look at the current role, and calls only built-ins that
 * read no table or workspace functions of the same kind that anyone may execute.
 */
function needsNoPrivilege(model: Model, f: Func, seen: Set<Func> | undefined): Verdict | undefined {
  const body = f.body;
  if (!body || body.errors.length || body.dynamicExecutes.length) return undefined;
  if (f.language !== 'sql' && f.language !== 'plpgsql') return undefined;
  // (a TRUNCATE needs the privilege on the table: its owner's)
  if (f.returnsTrigger || f.isProcedure || f.reads.size || f.writes.size || f.truncates.size) return undefined;
  // (after the checks above, which most definers fail: the set is made only for those that pass)
  seen ??= new Set();
  if (seen.has(f)) return undefined; // recursion: give up
  seen.add(f);
  const text = bodyText(model, f);
  if (f.language === 'plpgsql' && /\bEXECUTE\b/i.test(text)) return undefined; // RETURN QUERY EXECUTE, FOR … IN EXECUTE, OPEN … FOR EXECUTE
  if (body.statements.length === 0) return undefined;
  const verdict: Verdict = { calls: new Set(), callsWorkspace: false };
  for (const s of body.statements) {
    if (s.kind !== 'SelectStmt' && s.kind !== 'ReturnStmt') return undefined;
    if (namesRole(s.node)) return undefined; // its result depends on who runs it
    for (const c of callsIn(s.node)) {
      const { name, schema } = lowerCallName(c);
      const own = model.findFunction(c.name, c.args.length);
      if (own && (schema === undefined || schema !== 'pg_catalog')) {
        // a workspace function: callable by anyone, in a schema the caller already uses (on
        // Supabase, auth too: a migration re-creating auth.uid(), paftamobile), and itself needing nothing
        if (!own.publicExecute || (own.schema !== f.schema && own.schema !== 'public' && !(own.schema === 'auth' && model.supabase))) return undefined;
        if (own.securityDefiner) return undefined;
        const inner = needsNoPrivilege(model, own, seen);
        if (!inner) return undefined;
        verdict.callsWorkspace = true;
        verdict.calls.add(`${own.schema === 'public' ? '' : `${own.schema}.`}${own.name}()`);
        continue;
      }
      if (schema === 'auth' && SUPABASE_AUTH.has(name) && model.supabase) {
        verdict.calls.add(`auth.${name}()`);
        continue;
      }
      if (schema !== undefined && schema !== 'pg_catalog') return undefined;
      if (!PURE_BUILTINS.has(name)) return undefined;
      if (name === 'current_setting') {
        // only application settings: some built-in ones are readable by privileged roles only
        const setting = stringConst(c.args[0]);
        if (setting === undefined || !setting.includes('.')) return undefined;
      }
      verdict.calls.add(`${name}()`);
    }
  }
  return verdict;
}

function fixFor(model: Model, f: Func, v: Verdict): Fix | undefined {
  const sec = f.securityLoc;
  if (!sec) return undefined;
  const text = fileOf(model, sec.file)?.text ?? '';
  if (!/^(EXTERNAL\s+)?SECURITY\s+DEFINER$/i.test(text.slice(sec.start, sec.end))) return undefined;
  const edits: Edit[] = [{ file: sec.file, start: sec.start, end: sec.end, newText: 'SECURITY INVOKER' }];
  const sp = f.settings.find((s) => s.name === 'search_path');
  let dropped = false;
  if (sp && !v.callsWorkspace && f.settings.length === 1) {
    const ftext = fileOf(model, sp.loc.file)?.text ?? '';
    const inCreate = sp.loc.file === f.created.file && sp.loc.start >= f.created.start && sp.loc.end <= f.created.end;
    if (inCreate) {
      let start = sp.loc.start;
      while (start > 0 && /[ \t]/.test(ftext[start - 1]!)) start--;
      edits.push({ file: sp.loc.file, start, end: sp.loc.end, newText: '' });
    } else {
      edits.push({ file: sp.loc.file, start: sp.loc.start, end: sp.loc.end, newText: 'RESET search_path' });
    }
    dropped = true;
  }
  return {
    title: `Make ${f.name}() SECURITY INVOKER${dropped ? ' and drop its SET search_path (it calls only built-ins)' : ''}`,
    kind: 'unsafe',
    edits,
  };
}

/** Whether a SECURITY DEFINER function gains nothing from its owner's rights (see needsNoPrivilege): definer-unneeded's finding. */
export function gainsNothingAsOwner(model: Model, f: Func): boolean {
  return needsNoPrivilege(model, f, undefined) !== undefined;
}

export const definerUnneeded = defineRule({
  meta: {
    id: 'definer-unneeded',
    description: 'A SECURITY DEFINER function that reads no table and needs no privilege of its owner.',
    severity: 'info',
    category: 'performance',
    fixKind: 'unsafe',
    guards:
      'SECURITY DEFINER on a function that reads no table (e.g. only current_setting) grants needless privilege, and PostgreSQL never inlines a SECURITY DEFINER function (F1).',
    truths: ['F1'],
  },
  check({ model, report }) {
    const definers = functionLists(model).definers;
    for (let i = 0; i < definers.length; i++) {
      const f = definers[i]!;
      if (!f.securityDefiner || platformFunction(model, f)) continue;
      const v = needsNoPrivilege(model, f, undefined);
      if (!v) continue;
      const at = f.securityLoc ?? f.nameLoc;
      const calls = [...v.calls];
      const what = calls.length ? `only calls ${calls.slice(0, 4).join(', ')}${calls.length > 4 ? ', …' : ''}` : 'calls no function';
      // A set-returning SQL function is inlined only where it is called in FROM, and never when it
      // is VOLATILE (the default) or STRICT (inline_set_returning_function); a scalar one whatever
      // its volatility (inline_function).
      const setReturning = /^setof\b/i.test(f.returnType);
      const inline =
        f.language !== 'sql'
          ? ' A needless SECURITY DEFINER is privilege that a later change to the body inherits silently.'
          : !setReturning
            ? ' PostgreSQL never inlines a SECURITY DEFINER function, nor one with a SET clause (F1): as SECURITY INVOKER without SET clauses this LANGUAGE sql function can be inlined into the queries and policies that call it.'
            : f.volatility === 'volatile'
              ? ' PostgreSQL never inlines a SECURITY DEFINER function, nor one with a SET clause (F1), nor a set-returning function declared VOLATILE (the default, as this one is): as SECURITY INVOKER without SET clauses, and declared STABLE if its body calls no volatile function, this LANGUAGE sql function can be inlined where a query calls it in FROM.'
              : ' PostgreSQL never inlines a SECURITY DEFINER function, nor one with a SET clause (F1): as SECURITY INVOKER without SET clauses this set-returning LANGUAGE sql function can be inlined where a query calls it in FROM.';
      const fix = fixFor(model, f, v);
      report({
        file: at.file,
        start: at.start,
        end: at.end,
        message:
          `SECURITY DEFINER function ${f.signature} reads and writes no table and ${what}: running as its owner gains it nothing.${inline} ` +
          'Make it SECURITY INVOKER.',
        fixes: fix ? [fix] : [],
      });
    }
  },
});
