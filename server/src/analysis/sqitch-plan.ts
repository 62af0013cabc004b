// A sqitch project's plan (`sqitch.plan`): the order `sqitch deploy` runs its changes in.
// Pure: the plan's text in, its changes out. Never throws.

/** A sqitch project's plan, for the replay order (migrationOrder). */
export interface SqitchPlan {
  /** the file ids of the project's scripts start with this (the folder holding sqitch.plan and deploy/, `/`-terminated; '' for all) */
  folder: string;
  /** its changes in plan order as their deploy scripts are named: `change`, and `change@tag` for a reworked change's earlier places (planChanges) */
  changes: string[];
}

/**
 * The changes of a plan, in the order sqitch deploys them, as their deploy scripts are named:
 * each line that is not a pragma (`%syntax-version=…`), a tag (`@v1.0 …`), a comment or blank
 * names a change first (`change [deps] 2024-01-01T00:00:00Z Name <email> # note`; an old
 * `+change`). A change named again (`sqitch rework`) runs its current script,
 * `deploy/<change>.sql`, at its last place; each earlier place runs the script kept as of the
 * first tag after it, `deploy/<change>@<tag>.sql` (`<change>@<tag>` here; left out when no tag
 * follows it). A `-change` (reverted in the plan) is left out.
 */
export function planChanges(text: string): string[] {
  const entries: Array<{ name: string; tag?: string }> = [];
  let untagged = 0;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('%') || line.startsWith('#')) continue;
    if (line.startsWith('@')) {
      const tag = /^@(\S+)/.exec(line)![1]!;
      for (let i = untagged; i < entries.length; i++) entries[i]!.tag = tag;
      untagged = entries.length;
      continue;
    }
    const m = /^([+-]?)(\S+)/.exec(line);
    if (!m || m[1] === '-') continue;
    entries.push({ name: m[2]! });
  }
  const last = new Map<string, number>();
  entries.forEach((e, i) => last.set(e.name, i));
  const out: string[] = [];
  entries.forEach((e, i) => {
    if (last.get(e.name) === i) out.push(e.name);
    else if (e.tag) out.push(`${e.name}@${e.tag}`);
  });
  return out;
}

/**
 * Where a sqitch project's configuration (`sqitch.conf`, in git-config syntax) puts its plan and
 * its deploy scripts, as paths relative to the folder sqitch runs in (the configuration's):
 * `plan_file` and `deploy_dir`, by default under `top_dir` (`.` by default). `[engine "pg"]`
 * (or `[engine.pg]`) overrides `[core]`, as in sqitch.
 */
export function sqitchLayout(text: string): { planFile: string; deployDir: string } {
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
  return { planFile: get('plan_file') || `${top}/sqitch.plan`, deployDir: get('deploy_dir') || `${top}/deploy` };
}
