// Statements that may drop or rename tables or policies where the replay cannot see it: the
// model and policy-already-exists trust that an object created earlier is still there only
// when no such statement ran since. Pure.
//
// - a DO block running dynamic SQL whose text mentions DROP or RENAME (a loop enabling RLS on
//   every table with EXECUTE format('ALTER TABLE %I …') does not count);
// - a top-level SELECT or CALL (or a DO block's statement) calling a function of the workspace
//   whose body drops or renames statically, runs dynamic SQL mentioning DROP or RENAME (in the
//   body or the call's arguments), or is written in another language than SQL or PL/pgSQL (not
//   looked into); or calling a function of an application schema the migrations do not create
//   (an unqualified one, or one of the platform's schemas, is most likely built in);
// - DROP OWNED, DROP SCHEMA … CASCADE (the model follows neither).
import { census, memoStmt, PLATFORM_SCHEMAS } from './ast.js';
import { nameParts } from './parse.js';
import type { FunctionBody, Statement } from './types.js';

/** The folder of a file (a path or a URI): two statements of one folder belong to one sequence of migrations. */
export function folderOf(file: string): string {
  const k = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'));
  return k < 0 ? '' : file.slice(0, k);
}

/** What mayDropUnseen asks of the replay or the model. */
export interface UnseenLookup {
  /** the workspace's function a call names (its first overload), if any */
  func(parts: string[]): { language: string; body?: FunctionBody; nameLoc: { file: string } } | undefined;
  /** text of a file */
  text(file: string): string;
}

const DROPS = /\b(drop|rename)\b/i;
const STATIC_DROPS = new Set(['DropStmt', 'RenameStmt', 'DropOwnedStmt', 'AlterPolicyStmt']);

/** Whether a body may drop or rename something unseen (see above); `text` is its file's text. */
function bodyMayDrop(body: FunctionBody | undefined, text: string, args: string): boolean {
  if (!body) return false;
  for (const s of body.statements) if (STATIC_DROPS.has(s.kind)) return true;
  return body.dynamicExecutes.length !== 0 && (DROPS.test(text.slice(body.start, body.end)) || DROPS.test(args));
}

/** Whether a statement calls such a function. */
function callsDroppingFunction(stmt: Statement, text: string, look: UnseenLookup): boolean {
  const calls = census(stmt.node).funcCalls;
  for (let i = 0; i < calls.length; i++) {
    const parts = nameParts(calls[i]!.funcname);
    const f = look.func(parts);
    if (!f) {
      if (parts.length > 1 && !PLATFORM_SCHEMAS.has(parts[0]!) && parts[0] !== 'pg_catalog' && parts[0] !== 'public') return true;
      continue;
    }
    if (f.language !== 'sql' && f.language !== 'plpgsql') return true;
    if (bodyMayDrop(f.body, look.text(f.nameLoc.file), text.slice(stmt.start, stmt.end))) return true;
  }
  return false;
}

/** Whether a replayed statement of `file` may drop or rename a table or a policy unseen (see above). */
export function mayDropUnseen(stmt: Statement, file: string, look: UnseenLookup): boolean {
  switch (stmt.kind) {
    case 'DropOwnedStmt':
      return true;
    case 'DropStmt':
      return stmt.node?.removeType === 'OBJECT_SCHEMA' && stmt.node?.behavior === 'DROP_CASCADE';
    case 'DoStmt': {
      const body = stmt.body;
      if (!body) return false;
      const text = look.text(file);
      if (memoStmt(stmt, 'unseenDo', () => body.dynamicExecutes.length !== 0 && DROPS.test(text.slice(body.start, body.end)))) return true;
      for (const s of body.statements) if (callsDroppingFunction(s, text, look)) return true;
      return false;
    }
    case 'SelectStmt':
    case 'CallStmt':
      return callsDroppingFunction(stmt, look.text(file), look);
    default:
      return false;
  }
}
