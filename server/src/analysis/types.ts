// Shared types of the pure analysis layer. No LSP, no vscode, no file system here.
//
// Offsets: every `start`/`end`/`location` in this layer is a UTF-16 code-unit offset into
// the file's text (what JavaScript strings and LSP use). parse.ts is the only module that
// knows libpg-query's UTF-8 byte offsets; it rewrites every AST `location` before anyone
// else sees the tree.

export type Severity = 'error' | 'warning' | 'info' | 'hint';

export interface Position {
  /** 0-based line. */
  line: number;
  /** 0-based UTF-16 code unit within the line. */
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

/** A half-open UTF-16 span [start, end) of one file. */
export interface Span {
  start: number;
  end: number;
}

/** A span of a given file. `file` is the id the caller gave the file (a path or a URI). */
export interface Loc extends Span {
  file: string;
}

export interface SourceFile {
  file: string;
  text: string;
}

/** A libpg-query AST node: `{ CreateStmt: {...} }` style wrapper or a bare node object. */
// The tree is JSON from libpg-query; its shape is documented by @pgsql/types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Node = any;

export type StatementOrigin =
  /** a statement of the file itself */
  | 'file'
  /** a static statement inside a DO block (replayed like a top-level one) */
  | 'do';

/** Where a dynamic statement's text is written: a string constant's content (types.ts Statement.literal). */
export interface StringLiteral {
  /** the content, between the quotes */
  start: number;
  end: number;
  /** `'` for a single-quoted string, else the dollar quote's tag (`$$`, `$q$`) */
  quote: string;
  /** format()'s pattern */
  format: boolean;
  /** an E'…' string: `\` escapes (`\n`, `\\`, `\'`, `\x41`, …) besides `''` */
  escapes?: true;
  /** a string of a `||` chain (Statement.pieces): the SQL the chain makes before and after it */
  around?: { readonly before: string; readonly after: string };
  /** the values of the loop variable the pattern is run with (a fix must not write one: it would stand in the string for every value) */
  values?: readonly string[];
}

export interface Statement {
  /**
   * The statement's node type, e.g. `CreateStmt`, `CreatePolicyStmt`. In a PL/pgSQL body, a
   * cursor's `FETCH cur INTO v` or `MOVE cur` is a `FetchStmt` whose node has the cursor variable's
   * name (`portalname`, lower case) and `ismove`, spanning its text from FETCH or MOVE; FETCH's
   * variables are its `assigns`.
   */
  kind: string;
  /** The statement's node (the value under `kind`), with absolute UTF-16 `location`s. */
  node: Node;
  /** Span of the statement text in the file (without the trailing semicolon). */
  start: number;
  end: number;
  origin: StatementOrigin;
  /**
   * Made by a DO block's EXECUTE (parse.ts materialize): the statement its string runs, replayed
   * like a static one of the block; it spans the EXECUTE's expression from the string's start,
   * its nodes are where the string has their text (or at the string's start), and its text is not
   * in the file: a fix may edit it only inside `literal` (the engine escapes its edits for the
   * string's quoting, engine/string-edits.ts), none elsewhere.
   */
  dynamic?: true;
  /**
   * A `dynamic` statement's string as written in a dollar-quoted DO block: `'…'`, `E'…'` or
   * `$tag$…$tag$`, the span of its content (between the quotes) and whether it is format()'s
   * pattern (`%` written `%%`, `%I`/`%s`/`%L` placeholders).
   */
  literal?: StringLiteral;
  /**
   * A `dynamic` statement made from strings joined with `||` (`'CREATE POLICY …' || 'USING (…)'`,
   * pieces with the loop variable between them): its string constants, as `literal` (not format
   * patterns). A fix edit must fall inside one of them.
   */
  pieces?: readonly StringLiteral[];
  /**
   * Where a `dynamic` statement's own text is in its string (`literal`, or the pieces of its chain):
   * from its first token to the end of its last, comments and a `;` after it left out. A fix
   * editing the statement's end (the EXECUTE's expression's end, `end`) edits it there.
   */
  inString?: Span;
  /**
   * A CREATE FUNCTION whose EXECUTEs build their statements from its parameters: those statements,
   * with a placeholder for each parameter's value (parse.ts callTemplatesOf), replayed for each call
   * with literal values (`SELECT enable_rls('orders')`: model.ts).
   */
  callTemplates?: { params: number; templates: Statement[] };
  /** A statement a call runs, made from its function's callTemplates (model.ts): the call (its FuncCall node). */
  madeByCall?: Node;
  /** Parsed function body for CREATE FUNCTION / CREATE PROCEDURE, else undefined. */
  body?: FunctionBody;
  /**
   * In a PL/pgSQL body: the conditions (lower-case names or SQLSTATE codes, e.g. `others`,
   * `invalid_text_representation`, `22p02`) of the EXCEPTION clauses of the blocks around
   * the statement, which catch an error it raises.
   */
  caught?: string[];
  /**
   * In a PL/pgSQL body: the blocks with an EXCEPTION clause whose body holds the statement,
   * innermost first (numbered in the body), each with the conditions of its WHEN branches (as in
   * `caught`), branch by branch.
   */
  tries?: Array<{ block: number; conds: string[][] }>;
  /** In a PL/pgSQL body: the EXCEPTION handlers holding the statement (the block, numbered as in `tries`, and its WHEN branch), innermost first. */
  handlerOf?: Array<{ block: number; branch: number }>;
  /**
   * In a PL/pgSQL body: the variables (lower-case names, the first part of `rec.field`) the
   * statement's value is assigned to: `x := expr`, `SELECT … INTO x, y`, `… RETURNING … INTO x`.
   */
  assigns?: string[];
  /**
   * In a PL/pgSQL body: the query of a `FOR r IN SELECT … LOOP` (not EXECUTE), with the variables
   * (lower-case names) each of its rows is assigned to in turn (not in `assigns`: the loop's body
   * sees them, what follows the loop may not).
   */
  loopInto?: string[];
  /**
   * In a DO block: the query of a loop a catalog loop's replay stands for (its loop over pg_policies
   * dropping each policy of its table: catalog-loops.ts CATALOG_DROP_POLICIES_KIND), no loop of its own
   */
  inCatalogLoop?: true;
  /**
   * In a PL/pgSQL body: a statement that sets FOUND (whether it found, changed or iterated over a
   * row): SELECT … INTO, PERFORM, INSERT / UPDATE / DELETE / MERGE, RETURN QUERY, and the header of a
   * FOR or FOREACH loop (FOUND is set when the loop ends), and a cursor's FETCH or MOVE (true when
   * FETCH returns a row, when MOVE moves the cursor). Not an assignment, EXECUTE, OPEN, CLOSE or GET
   * DIAGNOSTICS, which leave it alone.
   */
  setsFound?: true;
  /**
   * In a PL/pgSQL body: the query a cursor runs, `OPEN cur FOR SELECT …` (or the expression of
   * `OPEN cur FOR EXECUTE …`), or a bound cursor's declared `cur CURSOR FOR SELECT …`: the cursor
   * variable's name (lower case), whose FETCH (a FetchStmt with that `portalname`) reads its rows.
   */
  opens?: string;
  /** In a PL/pgSQL body: a `SELECT … INTO STRICT x` (it raises when no row or several come back, instead of setting x to NULL). */
  intoStrict?: boolean;
  /** In a PL/pgSQL body: the condition of an IF or ELSIF whose branch raises an error (a guard). */
  raisesIf?: boolean;
  /** In a PL/pgSQL body: the condition of an IF or ELSIF whose branch ends with RETURN and raises nothing (an early exit: what follows, or the ELSE, runs when it is not true). */
  returnsIf?: boolean;
  /** In a PL/pgSQL body: the condition of an IF with no ELSIF or ELSE whose branch only reports (RAISE NOTICE …, NULL): nothing the function does depends on it. */
  inertIf?: boolean;
  /** In a PL/pgSQL body: what the conditions of the IF / ELSIF branches the statement is in read (it runs only when they are true). */
  guard?: IfGuard;
  /**
   * In a PL/pgSQL body: the IF branches the statement is in, outermost first, as pairs (the IF's
   * number in the body, its branch: 0 THEN, 1… the ELSIFs, then ELSE). A branch's condition is
   * in that branch (`armCond`). Two statements in different branches of one IF never both run,
   * but for the conditions of the branches before the one taken.
   */
  arms?: number[];
  /** In a PL/pgSQL body: the condition of the IF or ELSIF branch its `arms` end with. */
  armCond?: boolean;
  /**
   * In a PL/pgSQL body: a statement that may not run when the function runs (beside the IF
   * branches, `arms`, and EXCEPTION handlers, `handlerOf`): in a loop (its header too) or a CASE
   * statement, or after a statement of its list that may leave it (a RETURN, a RAISE at ERROR,
   * an EXIT or CONTINUE, or an IF, loop or block holding one).
   */
  mayNotRun?: true;
  /**
   * Made by a DO block's EXECUTE in the THEN branch of `IF NOT EXISTS (… pg_proc …)`: PostgreSQL
   * runs it only where no such function exists (the replay keeps a function it already holds).
   */
  whenNoFunction?: boolean;
  /** In a PL/pgSQL body: the value a RETURN gives back, or an argument of a RAISE below ERROR (NOTICE, WARNING…): its value is only reported. */
  reported?: boolean;
  /**
   * In a PL/pgSQL body: an argument of a RAISE below ERROR (NOTICE, WARNING…), a `reported` value
   * that goes to the session's client as a notice — which Supabase's API (PostgREST) does not hand
   * to the HTTP caller (it returns no notice: PostgREST issue 1071).
   */
  notice?: true;
  /**
   * A DO block's loop over the tables the catalog lists (kind CatalogLoop, at the loop's place
   * among the block's statements): what the query lists and the statements its EXECUTEs run for
   * each table, replayed per table the model holds there (catalog-loops.ts).
   */
  catalog?: import('./catalog-loops.js').CatalogLoopReplay;
  /** Facts derived from this statement alone, memoised by the model (statements are cached per file text). */
  memo?: Record<string, unknown>;
}

export interface ParseError {
  message: string;
  /** Where PostgreSQL points (UTF-16 offsets); `end` covers the offending token. */
  start: number;
  end: number;
  /**
   * The error is at a word that is a keyword of its kind only since PostgreSQL `since` (or at
   * the token after that word), and the statement parses with the word(s) quoted: an older
   * PostgreSQL takes them for names (parse.ts NEWER_KEYWORDS; `since`: the earliest of theirs).
   */
  newerKeyword?: { words: string[]; since: number };
  /** Not PostgreSQL's error but pg-rls-lint's: it could not analyse the statement (too deep a tree: parse.ts TooDeep); rule statement-not-analysed. */
  limit?: true;
  /**
   * The error is at the first word of a statement that starts a line, and the text before it
   * parses on its own: that statement has no `;` where it ends (`start`: where it starts, `end`:
   * just after its last character), so PostgreSQL reads both as one and rejects it whole (a
   * function's or DO block's closing `$$` followed by the next statement).
   */
  unterminated?: { start: number; end: number };
}

/** A dynamic `EXECUTE` inside a PL/pgSQL body. */
export interface DynamicExecute extends Span {
  /** The expression's text as written. */
  text: string;
  /** True when the string is built with `||` or concat() from non-literal parts. */
  concatenated: boolean;
  /** True when format() or quote_ident/quote_literal/quote_nullable is used. */
  quoted: boolean;
  /**
   * Run once for each of these values of `variable`, unconditionally: the EXECUTE is a statement
   * of a loop's body over a literal array (`FOREACH t IN ARRAY ARRAY['a','b']`, `FOR t IN SELECT
   * unnest(ARRAY[…])`, or an array variable declared so and never assigned); or, of a DO block's
   * `FOR a, b IN SELECT … FROM (VALUES …)`, an EXECUTE of its body or of an IF branch there that
   * compares a loop variable with strings, for the values of the rows it runs in (parse.ts
   * rowLoopExecutes; not materialized).
   */
  each?: { variable: string; values: string[] };
  /** In a DO block: the statements it runs (policy DDL) are replayed, as `dynamic` statements of the block. */
  materialized?: true;
  /**
   * In a function body, an EXECUTE of one string constant (`EXECUTE 'SELECT decrypted_secret FROM
   * vault.decrypted_secrets WHERE name = $1' INTO k USING …`): its statements, parsed (raw parse
   * nodes, `{ SelectStmt: … }`), for what the body reads and writes (model.ts bodyFacts); no
   * location of theirs is the file's.
   */
  constant?: Node[];
}

export interface FunctionBody {
  language: string;
  /** Span of the body's content (inside the quotes) in the file. */
  start: number;
  end: number;
  /**
   * Every SQL statement or expression in the body, parsed, with absolute locations.
   * For PL/pgSQL, each embedded query/expression (`x := expr`, `IF cond`, `RETURN expr`,
   * `PERFORM …`) is parsed as a SELECT; `SET row_security = off` appears as a VariableSetStmt.
   */
  statements: Statement[];
  dynamicExecutes: DynamicExecute[];
  /** Errors parsing the body; they never hide the outer statement. */
  errors: ParseError[];
  /**
   * libpg-query's PL/pgSQL parser refused the body for want of a catalog, not for a syntax error:
   * `statements` are then only the SQL statements found lexically (SELECT, PERFORM, INSERT…),
   * not the conditions, assignments and RAISE arguments between them.
   */
  lexical?: boolean;
  /** PL/pgSQL: the names of its variables (its parameters and what its DECLARE sections declare; not FOUND) */
  variables?: string[];
}

export interface Include {
  at: number;
  path: string;
  /** `\ir`: relative to the including file's folder (`\i`: to psql's working directory) */
  relative: boolean;
}

export interface ParsedFile {
  file: string;
  text: string;
  statements: Statement[];
  errors: ParseError[];
  /** Line → rule ids suppressed by `-- pg-rls-lint-disable-next-line` (applies to the next line). */
  disabledLines: Map<number, Set<string>>;
  /** Rule ids suppressed for the whole file by `-- pg-rls-lint-disable-file`. */
  disabledFile: Set<string>;
  /** psql `\i` / `\ir` (`\include`, `\include_relative`) meta-commands, in order: `at` is the backslash's offset */
  includes?: Include[];
  /**
   * the identifiers put in for psql variables and extension-script placeholders (`_schema` for
   * `:schema`, `_extschema_` for `@extschema@`) → the text as written, for messages and fixes
   */
  placeholders?: Map<string, string>;
  positionAt(offset: number): Position;
  offsetAt(position: Position): number;
}

/** What an IF condition reads, for the statements of its branch: settings (current_setting's first argument) and the functions it calls (name parts as written, argument count). */
export interface IfGuard {
  settings: string[];
  calls: Array<{ parts: string[]; args: number }>;
}
