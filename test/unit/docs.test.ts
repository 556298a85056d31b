// The documentation can be followed: every page says whom it is for, every link to a file or a
// heading leads somewhere, and every `pgaudit-ingest` command line in a code block uses options the
// command has (its own --help, from the same program the CLI runs). The KQL in the pages is checked
// by Kusto.Language in test/infra/kql.test.ts.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const PAGES = ['README.md', 'CONTRIBUTING.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const read = (page: string): string => readFileSync(path.join(ROOT, page), 'utf8');
/** Code blocks removed: a link or heading inside one is text, not markdown. */
const prose = (text: string): string => text.replace(/```[\s\S]*?```/g, '');

/** GitHub's anchor of a heading: lower case, punctuation removed, spaces to hyphens, repeats numbered. */
export function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const m of prose(text).matchAll(/^#{1,6} (.+)$/gm)) {
    const base = m[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** Links of a page that lead nowhere: a missing file, or a heading the target does not have. */
export function brokenLinks(page: string, text: string, readPage: (p: string) => string | null): string[] {
  const broken: string[] = [];
  for (const m of prose(text).matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = m[1]!;
    if (/^(https?|mailto):/.test(target)) continue;
    const [file, anchor] = target.split('#') as [string, string | undefined];
    const resolved = file === '' ? page : path.posix.normalize(path.posix.join(path.posix.dirname(page), file));
    const content = file === '' ? text : readPage(resolved);
    if (content === null) broken.push(`${page}: ${target} (no file ${resolved})`);
    else if (anchor !== undefined && resolved.endsWith('.md') && !anchorsOf(content).has(anchor)) broken.push(`${page}: ${target} (no heading #${anchor} in ${resolved})`);
  }
  return broken;
}

const onDisk = (p: string): string | null => {
  const abs = path.join(ROOT, p);
  if (!existsSync(abs)) return null;
  return p.endsWith('.md') ? readFileSync(abs, 'utf8') : '';
};

/** Each command's long options, from the program the CLI runs. */
function optionsByCommand(): Map<string, Set<string>> {
  const program = buildProgram({ stdout: process.stdout, stderr: process.stderr } as never, () => undefined);
  return new Map(program.commands.map((c) => [c.name(), new Set(['--help', ...c.options.flatMap((o) => [o.long, o.negate ? o.long : undefined]).filter((f): f is string => f !== undefined)])]));
}

/** `pgaudit-ingest <command> … --flag` uses in code blocks that the command does not have. */
export function unknownOptions(page: string, text: string, options: Map<string, Set<string>>): string[] {
  const unknown: string[] = [];
  // Every fenced block, opening and closing fence together; shell and plain ones hold commands.
  for (const block of text.matchAll(/```([a-z]*)\n([\s\S]*?)```/g)) {
    if (!['', 'sh', 'bash', 'shell'].includes(block[1]!)) continue;
    for (const line of block[2]!.split('\n')) {
      // The command where a shell would run it: at the start of the line, after npx, or after ; && |.
      const use = /(?:^\s*(?:\$\s*)?|\bnpx\s+|[;&|]\s*)pgaudit-ingest\s+([a-z]+)\b(.*)$/.exec(line.replace(/\s#.*$/, ''));
      if (!use) continue;
      const [, command, rest] = use as unknown as [string, string, string];
      const known = options.get(command);
      if (!known) {
        unknown.push(`${page}: pgaudit-ingest ${command} (no such command)`);
        continue;
      }
      for (const flag of rest.match(/(?<![\w-])--[a-z][a-z0-9-]*/g) ?? []) if (!known.has(flag)) unknown.push(`${page}: pgaudit-ingest ${command} ${flag}`);
    }
  }
  return unknown;
}

describe('the documentation', () => {
  it.for(PAGES.filter((p) => p !== 'README.md' && p !== 'docs/reference.md'))('%s says whom it is for, first', (page) => {
    const firstParagraph = read(page).replace(/^# .*\n+/, '').split('\n\n')[0]!;
    expect(firstParagraph).toMatch(/^For /);
  });

  it('README is a front door: under about 150 lines', () => {
    expect(read('README.md').split('\n').length).toBeLessThanOrEqual(160);
  });

  it.for(PAGES)('%s: every link leads to a file or heading that exists', (page) => {
    expect(brokenLinks(page, read(page), onDisk)).toEqual([]);
  });

  it.for(PAGES)('%s: every pgaudit-ingest command line uses options the command has', (page) => {
    expect(unknownOptions(page, read(page), optionsByCommand())).toEqual([]);
  });

  it.for([
    { name: 'a missing file', text: 'see [x](docs/nothing.md)', broken: 1 },
    { name: 'a missing heading', text: 'see [x](docs/design.md#no-such-heading)', broken: 1 },
    { name: 'a heading of this page', text: '# Title\n## Run it twice\nsee [x](#run-it-twice)', broken: 0 },
    { name: 'a link inside a code block (text, not a link)', text: '```\n[x](nothing.md)\n```', broken: 0 },
  ])('the link check finds $name', ({ text, broken }) => {
    expect(brokenLinks('README.md', text, onDisk)).toHaveLength(broken);
  });

  it.for([
    { name: 'an option the command lacks', text: '```sh\npgaudit-ingest parse --no-such-option x\n```', unknown: 1 },
    { name: 'a command that does not exist', text: '```sh\npgaudit-ingest shipit\n```', unknown: 1 },
    { name: 'options the command has', text: '```sh\npgaudit-ingest parse -p x --summary json --monthly-gb 10 f.json\n```', unknown: 0 },
  ])('the command check finds $name', ({ text, unknown }) => {
    expect(unknownOptions('README.md', text, optionsByCommand())).toHaveLength(unknown);
  });
});

describe('the documentation speaks of the product, not of its tracker', () => {
  it.for(PAGES)('%s names no issue number', (page) => {
    expect(prose(read(page)).match(/\bissue\s*#?\d+/gi) ?? []).toEqual([]);
  });
});
