// A sqitch project's plan (`sqitch.plan`): the order `sqitch deploy` runs its changes in.
// Pure: the plan's text in, its changes out. Never throws.

/** A sqitch project's plan, for the replay order (migrationOrder). */
export interface SqitchPlan {
  /** the file ids of the project's scripts start with this (the folder holding sqitch.plan and deploy/, `/`-terminated; '' for all) */
  folder: string;
  /** its changes in plan order as their deploy scripts are named: `change`, and `change@tag` for a reworked change's earlier places, or
   * `change@t1 change@t2` where several tags come before its next place: the first whose script exists
   * is the one sqitch runs (planChanges) */
  changes: string[];
  /** where the scripts of a reworked change's earlier places are (`/`-terminated, as `folder`), when sqitch.conf's
   * reworked_dir or reworked_deploy_dir moves them out of `folder`'s deploy/ (sqitch's reworked_deploy_dir) */
  reworkedDeploy?: string;
  /** its project's name (`%project=auth`), when the plan gives one */
  project?: string;
  /** the other projects whose changes its changes require (`[auth:structure/schema]`): deployed before it (planProjects) */
  requires?: string[];
}

/**
 * A plan's project (`%project=…`) and the other projects its changes require
 * (`change [auth:structure/schema other_change] …`: `project:change`, a conflict `!x` aside).
 * sqitch deploys one project at a time and refuses a change whose requirement another project has
 * not deployed yet, so a project requiring another's change deploys after that project
 * (stlbucket/sqitch-phile: auth_fn's `[auth:structure/app_user]`).
 */
export function planProjects(text: string): { project?: string; requires: string[] } {
  let project: string | undefined;
  const requires = new Set<string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const pragma = /^%\s*project\s*=\s*(\S+)/.exec(line);
    if (pragma) project = pragma[1]!;
    if (!line || line.startsWith('%') || line.startsWith('#') || line.startsWith('@')) continue;
    const deps = /^[+-]?\S+\s+\[([^\]]*)\]/.exec(line);
    for (const d of deps?.[1]!.split(/\s+/) ?? []) {
      const m = /^([^!:\s][^:\s]*):\S/.exec(d);
      if (m) requires.add(m[1]!);
    }
  }
  if (project !== undefined) requires.delete(project);
  return { ...(project !== undefined ? { project } : {}), requires: [...requires] };
}

/**
 * The changes of a plan, in the order sqitch deploys them, as their deploy scripts are named:
 * each line that is not a pragma (`%syntax-version=…`), a tag (`@v1.0 …`), a comment or blank
 * names a change first (`change [deps] 2024-01-01T00:00:00Z Name <email> # note`; an old
 * `+change`). A change named again (`sqitch rework`) runs its current script,
 * `deploy/<change>.sql`, at its last place; each earlier place runs the script kept as of a tag
 * between it and the change's next place — its rework tags, `deploy/<change>@<tag>.sql`: the
 * first of them whose script exists (sqitch's Plan::Change path_segments). `sqitch rework` names
 * the copy after the latest tag, so with several tags in between it is seldom the first:
 * seattleflu/id3c-customizations' `policies`, tagged @2020-03-07 and @2020-03-09 before its
 * rework, runs `policies@2020-03-09.sql`. Such a place is written with every candidate, in plan
 * order and separated by a space (change names hold none): `change@t1 change@t2`; migrationOrder
 * takes the first the files hold. Left out when no tag follows it. A `-change` (reverted in the
 * plan) is left out.
 */
export function planChanges(text: string): string[] {
  const entries: Array<{ name: string; tags: string[] }> = [];
  // (each change's latest place: a tag line is a rework tag of each, up to the change's next place)
  const open = new Map<string, number>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('%') || line.startsWith('#')) continue;
    if (line.startsWith('@')) {
      const tag = /^@(\S+)/.exec(line)![1]!;
      for (const i of open.values()) entries[i]!.tags.push(tag);
      continue;
    }
    const m = /^([+-]?)(\S+)/.exec(line);
    if (!m || m[1] === '-') continue;
    open.set(m[2]!, entries.length);
    entries.push({ name: m[2]!, tags: [] });
  }
  const last = new Map<string, number>();
  entries.forEach((e, i) => last.set(e.name, i));
  const out: string[] = [];
  entries.forEach((e, i) => {
    if (last.get(e.name) === i) out.push(e.name);
    else if (e.tags.length) out.push(e.tags.map((t) => `${e.name}@${t}`).join(' '));
  });
  return out;
}

/**
 * Where a sqitch project's configuration (`sqitch.conf`, in git-config syntax) puts its plan and
 * its deploy scripts, as paths relative to the folder sqitch runs in (the configuration's):
 * `plan_file` and `deploy_dir`, by default under `top_dir` (`.` by default), and
 * `reworked_deploy_dir`, where a reworked change's earlier scripts are (`deploy` under
 * `reworked_dir`, by default `top_dir`). `[engine "pg"]` (or `[engine.pg]`) overrides `[core]`, as in sqitch.
 */
export function sqitchLayout(text: string): { planFile: string; deployDir: string; reworkedDeployDir: string } {
  const sections = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const head = /^\[\s*([A-Za-z0-9_.-]+)(?:\s+"([^"]*)")?\s*\]$/.exec(line);
    if (head) {
      const name = (head[2] !== undefined ? `${head[1]}.${head[2]}` : head[1]!).toLowerCase();
      if (!sections.has(name)) sections.set(name, new Map());
      current = sections.get(name);
      continue;
    }
    const kv = /^([A-Za-z0-9_-]+)\s*=\s*(.*)$/.exec(line);
    if (kv && current) current.set(kv[1]!.toLowerCase(), kv[2]!.replace(/\s+[#;].*$/, '').replace(/^"(.*)"$/, '$1').trim());
  }
  const get = (key: string) => sections.get('engine.pg')?.get(key) ?? sections.get('core')?.get(key);
  const top = get('top_dir') || '.';
  // (a reworked change's earlier scripts: reworked_deploy_dir, by default deploy/ under reworked_dir, itself top_dir by default)
  return { planFile: get('plan_file') || `${top}/sqitch.plan`, deployDir: get('deploy_dir') || `${top}/deploy`, reworkedDeployDir: get('reworked_deploy_dir') || `${get('reworked_dir') || top}/deploy` };
}

/**
 * The deploy scripts of sqitch projects that their plans do not name (`deploy/<change>.sql`, or a
 * reworked change's `<change>@<tag>.sql` in its reworked deploy folder, whose change, or change
 * as of a tag, no place of the plan names): `sqitch deploy` runs the plan's changes only, so it
 * never runs them. With the plan that leaves each out. (avi2008rai/parkhands'
 * `deploy/rls_parking_space_availability.sql`, which enables RLS on a table its plan never does.)
 */
export function unplannedScripts(files: Iterable<string>, plans: readonly SqitchPlan[]): Map<string, SqitchPlan> {
  const out = new Map<string, SqitchPlan>();
  if (plans.length === 0) return out;
  const named = new Map(plans.map((p) => [p, new Set(p.changes.flatMap((c) => c.split(' ')))]));
  for (const file of files) {
    // (the language server's ids are URIs: `@` is `%40` there)
    const path = file.replace(/\\/g, '/').replace(/%40/g, '@');
    if (!/\.sql$/i.test(path)) continue;
    for (const p of plans) {
      const dirs = [`${p.folder}deploy/`, ...(p.reworkedDeploy !== undefined ? [p.reworkedDeploy] : [])];
      const dir = dirs.find((d) => path.startsWith(d));
      if (dir === undefined) continue;
      if (!named.get(p)!.has(path.slice(dir.length, -4))) out.set(file, p);
      break;
    }
  }
  return out;
}

