// Secret redaction for every text column. pgAudit itself only redacts PASSWORD in CREATE/ALTER
// ROLE; PostgreSQL's own lines, user-mapping/server OPTIONS (password '…'), connection strings
// (password=…, scheme://user:secret@host) and error messages can still carry secrets.
// Redaction runs before any cap, so a cut can never leave half a secret behind; an unterminated
// literal (a cut line) is redacted to the end of the text.

export const REDACTED = '<REDACTED>';

/** A redaction pattern; when it has a group named `secret` only that group is replaced. */
export interface RedactionRule {
  readonly name: string;
  readonly regex: RegExp;
}

// SQL string literal forms, each allowed to run to the end of a cut text.
const SQL_LITERAL = String.raw`(?:[Ee]'(?:[^'\\]|\\[\s\S]|'')*(?:'|$)|'(?:[^']|'')*(?:'|$)|\$(?<tag>[A-Za-z_0-9]*)\$[\s\S]*?(?:\$\k<tag>\$|$))`;
// Between PASSWORD and its literal: spaces and /* comments */ (pgAudit's tests use both).
const GAP = String.raw`(?:\s|/\*[\s\S]*?\*/)*`;

export const BUILT_IN_RULES: readonly RedactionRule[] = [
  {
    // libpq connection strings and key=value settings: password=secret, password='a b'.
    // First, so that password=''a b'' (inside an SQL literal) is not read as an empty literal.
    name: 'password-keyword-value',
    regex: /(?<![\w$])(?:ssl)?password\s*=\s*(?<secret>''(?:[^']|'''')*(?:''|$)|'(?:[^'\\]|\\.)*(?:'|$)|[^\s'",;)]+)/gi,
  },
  {
    // CREATE/ALTER ROLE … [ENCRYPTED] PASSWORD '…', OPTIONS (password '…'), SET/ADD password '…'
    name: 'password-literal',
    regex: new RegExp(String.raw`(?<![\w$])"?password"?${GAP}(?:=${GAP})?(?<secret>${SQL_LITERAL})`, 'gi'),
  },
  {
    // URIs with credentials: postgresql://user:secret@host, https://u:p@h
    name: 'uri-credentials',
    regex: /(?<![\w.+-])[a-z][a-z0-9+.-]*:\/\/[^:/@\s'"]*:(?<secret>[^@\s'"/]+)@/gi,
  },
];

// A cheap test that lets most statements skip the built-in rules entirely.
const MAY_HOLD_BUILT_IN_SECRET = /password|:\/\//i;

export interface RedactionResult {
  readonly text: string;
  readonly redacted: boolean;
}

export interface Redactor {
  redact(text: string): RedactionResult;
}

/** Compiles user patterns: `regex` or `/regex/flags`. Throws a clear error for a bad pattern. */
export function compileUserRule(pattern: string, index: number): RedactionRule {
  const slashed = /^\/([\s\S]+)\/([a-z]*)$/.exec(pattern);
  const source = slashed ? slashed[1]! : pattern;
  const flags = new Set((slashed ? slashed[2]! : '') + 'g');
  try {
    const regex = new RegExp(source, [...flags].join(''));
    if (regex.test('')) throw new Error('it matches the empty string');
    return { name: `user-pattern-${index + 1}`, regex };
  } catch (err) {
    throw new Error(`redaction pattern ${index + 1} ${JSON.stringify(pattern)} is not usable: ${(err as Error).message}`, { cause: err });
  }
}

function applyRule(text: string, rule: RedactionRule): string {
  rule.regex.lastIndex = 0;
  return text.replace(rule.regex, (...args: unknown[]) => {
    const match = args[0] as string;
    const groups = args[args.length - 1] as Record<string, string | undefined> | undefined;
    const secret = typeof groups === 'object' && groups ? groups.secret : undefined;
    if (secret === undefined || secret === '') return secret === '' ? match : REDACTED;
    // Replace the last occurrence of the secret inside the match (the keyword comes first).
    const at = match.lastIndexOf(secret);
    return match.slice(0, at) + REDACTED + match.slice(at + secret.length);
  });
}

export function createRedactor(userPatterns: readonly string[] = []): Redactor {
  const userRules = userPatterns.map(compileUserRule);
  return {
    redact(text) {
      let out = text;
      if (MAY_HOLD_BUILT_IN_SECRET.test(out)) {
        for (const rule of BUILT_IN_RULES) out = applyRule(out, rule);
      }
      for (const rule of userRules) out = applyRule(out, rule);
      return { text: out, redacted: out !== text };
    },
  };
}
