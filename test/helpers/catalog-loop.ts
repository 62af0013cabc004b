// A DO block looping over the tables information_schema lists with an org_id column, enabling RLS
// and making one policy (TO PUBLIC) on each: the shape of LanternOps/breeze's 0008, for the tests
// of how a loop's findings on each table are shown (engine/merge-repeated.ts).

/** `n` tables public.t0 … with an org_id column (each line ends with `suffix`), then the loop. */
export function orgLoopFile(n: number, suffix = ''): string {
  const tables = Array.from({ length: n }, (_, i) => `CREATE TABLE public.t${i} (id int, org_id uuid);${suffix}`).join('\n');
  return `${tables}\n${ORG_LOOP}`;
}

export const ORG_LOOP = `DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'org_id' LOOP
    EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY', r.table_name);
    EXECUTE format('CREATE POLICY org_only ON public.%I USING (org_id IS NOT NULL)', r.table_name);
  END LOOP;
END $$;
`;
