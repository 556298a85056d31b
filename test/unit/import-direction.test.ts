// Imports run one way: from the commands and the Functions app down to the pure core, never back
// up (docs/design.md "The data path"). Each folder of src/ is a layer; a module may import its own
// layer and the layers below it. The pure core also imports no @azure/* package and no node: I/O.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SRC = path.join(ROOT, 'src');

/** Lowest first. `root` is the files directly in src/ (the schemas, the service limits, the package root). */
const LAYERS = ['errors', 'root', 'read', 'parse', 'enrich', 'pipeline', 'state', 'threads', 'config', 'ship', 'smoke', 'app', 'cli'] as const;
type Layer = (typeof LAYERS)[number];
const CORE: readonly Layer[] = ['root', 'read', 'parse', 'enrich', 'pipeline'];
/** In src/ but not the core: it finds the package's own files on disk. */
const NOT_CORE = new Set(['src/package-root.ts']);
/** The entry points of the commands sit in src/ but belong to the top layer. */
const TOP_FILES = new Set(['cli.ts', 'cli-thread.ts']);

function layerOf(file: string): Layer | 'functions' | null {
  const rel = path.relative(ROOT, file).split(path.sep);
  if (rel[0] === 'functions') return 'functions';
  if (rel[0] !== 'src') return null;
  if (rel.length === 2) return TOP_FILES.has(rel[1]!) ? 'cli' : 'root';
  return (LAYERS as readonly string[]).includes(rel[1]!) ? (rel[1] as Layer) : null;
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s*'([^']+)'|\bimport\(\s*'([^']+)'\s*\)/g;

/** Every import that runs the wrong way, as `from -> to`. */
function wrongWayImports(files: readonly string[], read: (f: string) => string): string[] {
  const wrong: string[] = [];
  for (const file of files) {
    const from = layerOf(file);
    if (from === null) {
      wrong.push(`${path.relative(ROOT, file)}: not in a known layer (add its folder to LAYERS)`);
      continue;
    }
    for (const m of read(file).matchAll(IMPORT)) {
      const spec = (m[1] ?? m[2])!;
      if (!spec.startsWith('.')) {
        if (from !== 'functions' && CORE.includes(from) && !NOT_CORE.has(path.relative(ROOT, file).split(path.sep).join('/')) && (spec.startsWith('@azure/') || /^node:(fs|net|http|https|child_process|worker_threads)/.test(spec))) wrong.push(`${path.relative(ROOT, file)} -> ${spec} (the pure core does no I/O)`);
        continue;
      }
      const to = layerOf(path.resolve(path.dirname(file), spec).replace(/\.js$/, '.ts'));
      const ok = from === 'functions' ? to === 'app' : to !== null && to !== 'functions' && LAYERS.indexOf(to) <= LAYERS.indexOf(from);
      if (!ok) wrong.push(`${path.relative(ROOT, file)} (${from}) -> ${spec} (${to})`);
    }
  }
  return wrong;
}

describe('import direction', () => {
  it('src/ and functions/ import only their own layer and the ones below', () => {
    const files = [...sources(SRC), ...sources(path.join(ROOT, 'functions'))];
    expect(files.length).toBeGreaterThan(50);
    expect(wrongWayImports(files, (f) => readFileSync(f, 'utf8'))).toEqual([]);
  });

  it.for([
    { name: 'config reaching up into ship', file: 'src/config/x.ts', source: "import { a } from '../ship/sink.js';", wrong: 1 },
    { name: 'the core importing an Azure SDK', file: 'src/parse/x.ts', source: "import { BlobClient } from '@azure/storage-blob';", wrong: 1 },
    { name: 'a function file importing ship directly', file: 'functions/x.ts', source: "import { b } from '../src/ship/shipping-run.js';", wrong: 1 },
    { name: 'the app importing down', file: 'src/app/x.ts', source: "import { c } from '../ship/shipping-run.js';\nimport { d } from './y.js';", wrong: 0 },
    { name: 'a lazy import of a command upwards', file: 'src/ship/x.ts', source: "const m = await import('../cli/ship-command.js');", wrong: 1 },
  ])('the check finds $name', ({ file, source, wrong }) => {
    expect(wrongWayImports([path.join(ROOT, file)], () => source)).toHaveLength(wrong);
  });
});
