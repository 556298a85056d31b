// `azd env get-values` prints the environment as dotenv lines, `KEY="value"`, with `\`, `"`, `$`
// and newlines escaped (godotenv's Marshal). `pgaudit-ingest smoke --azd-env-file FILE` reads
// that output, so one command works the same in bash, PowerShell and cmd. Pure: text in, map out.

/** The KEY=value pairs of dotenv text: double-quoted (backslash escapes), single-quoted (literal) or bare. */
export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*)$/.exec(line);
    if (!m) throw new Error(`not a KEY=value line: ${JSON.stringify(raw.slice(0, 80))}`);
    out[m[1]!] = unquote(m[2]!);
  }
  return out;
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t' };

function unquote(v: string): string {
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) return v.slice(1, -1).replace(/\\(.)/g, (_, c: string) => ESCAPES[c] ?? c);
  if (v.length >= 2 && v.startsWith("'") && v.endsWith("'")) return v.slice(1, -1);
  return v.replace(/\s+#.*$/, ''); // a bare value ends at a comment
}
