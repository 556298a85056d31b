import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineSplitter, type Line } from '../../src/read/line-splitter.js';

function splitAll(chunks: (string | Buffer)[], opts: { final?: boolean; max?: number; start?: number } = {}): { lines: Line[]; splitter: LineSplitter } {
  const splitter = new LineSplitter(opts.start ?? 0, opts.max);
  const lines: Line[] = [];
  for (const c of chunks) lines.push(...splitter.push(typeof c === 'string' ? Buffer.from(c) : c));
  const last = splitter.end(opts.final ?? true);
  if (last) lines.push(last);
  return { lines, splitter };
}

describe('LineSplitter', () => {
  const cases: { name: string; chunks: string[]; final?: boolean; want: [string, number][]; consumed: number }[] = [
    { name: 'LF lines', chunks: ['a\nbb\n'], want: [['a', 0], ['bb', 2]], consumed: 5 },
    { name: 'CRLF lines keep byte offsets', chunks: ['a\r\nbb\r\n'], want: [['a', 0], ['bb', 3]], consumed: 7 },
    { name: 'line split across chunks', chunks: ['{"a"', ':1}\n{', '"b":2}\n'], want: [['{"a":1}', 0], ['{"b":2}', 8]], consumed: 16 },
    { name: 'blank lines are lines', chunks: ['\n\nx\n'], want: [['', 0], ['', 1], ['x', 2]], consumed: 4 },
    { name: 'last line without newline, complete file', chunks: ['a\nb'], final: true, want: [['a', 0], ['b', 2]], consumed: 3 },
    { name: 'last line without newline, growing blob waits', chunks: ['a\nb'], final: false, want: [['a', 0]], consumed: 2 },
    { name: 'CR split from its LF', chunks: ['a\r', '\nb\n'], want: [['a', 0], ['b', 3]], consumed: 5 },
  ];
  it.each(cases)('$name', ({ chunks, final, want, consumed }) => {
    const { lines, splitter } = splitAll(chunks, { final: final ?? true });
    expect(lines.map((l) => [l.text, l.offset])).toEqual(want);
    expect(splitter.consumedOffset).toBe(consumed);
  });

  it('decodes a UTF-8 character split between chunks', () => {
    const bytes = Buffer.from('données ☃\nnext\n');
    const cut = bytes.indexOf(0xe2) + 1; // inside the snowman
    const { lines } = splitAll([bytes.subarray(0, cut), bytes.subarray(cut)]);
    expect(lines.map((l) => l.text)).toEqual(['données ☃', 'next']);
    expect(lines[1]!.offset).toBe(Buffer.byteLength('données ☃\n'));
  });

  it('starts offsets at a checkpoint', () => {
    const { lines, splitter } = splitAll(['x\ny\n'], { start: 1000 });
    expect(lines.map((l) => l.offset)).toEqual([1000, 1002]);
    expect(splitter.consumedOffset).toBe(1004);
  });

  it('cuts an over-long line, keeps its head, and carries on at the next line', () => {
    const long = 'a'.repeat(50);
    const { lines, splitter } = splitAll([long.slice(0, 20), long.slice(20), '\nok\n'], { max: 16 });
    expect(lines).toEqual([
      { text: 'a'.repeat(16), offset: 0, truncated: true },
      { text: 'ok', offset: 51, truncated: false },
    ]);
    expect(splitter.consumedOffset).toBe(54);
  });

  it('holds at most maxLineBytes of a partial line', () => {
    const splitter = new LineSplitter(0, 1024);
    for (let i = 0; i < 100; i++) splitter.push(Buffer.alloc(10_000, 0x61));
    expect(splitter.pendingLength).toBe(1_000_000);
    expect(splitter.consumedOffset).toBe(0);
    const [line] = splitter.push(Buffer.from('\n'));
    expect(line!.text.length).toBe(1024);
    expect(line!.truncated).toBe(true);
    expect(splitter.consumedOffset).toBe(1_000_001);
  });

  it('property: any chunking gives the lines and offsets of a plain split', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'grapheme', maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, '')), { maxLength: 20 }),
        fc.array(fc.nat(40), { maxLength: 10 }),
        fc.boolean(),
        (lineTexts, cuts, crlf) => {
          const eol = crlf ? '\r\n' : '\n';
          const bytes = Buffer.from(lineTexts.map((t) => t + eol).join(''));
          const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
          const chunks: Buffer[] = [];
          let prev = 0;
          for (const p of [...points, bytes.length]) {
            chunks.push(bytes.subarray(prev, p));
            prev = p;
          }
          const { lines, splitter } = splitAll(chunks);
          expect(lines.map((l) => l.text)).toEqual(lineTexts);
          let offset = 0;
          lines.forEach((l, i) => {
            expect(l.offset).toBe(offset);
            offset += Buffer.byteLength(lineTexts[i]! + eol);
          });
          expect(splitter.consumedOffset).toBe(bytes.length);
        },
      ),
      { numRuns: 300 },
    );
  });
});
