import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

// Every ```ts block in README.md, docs/*.md and packages/*/README.md type-checks against the
// packages' sources, so the docs cannot drift from the code. Conventions (docs/README.md):
// - each block is its own module; names it uses but neither declares nor imports, that a
//   @keel package exports, are imported for it (an implicit prelude), so short examples
//   may leave out `import { Module } from '@keel/core'`;
// - a block quoted verbatim from a docs/examples file is checked there, as part of that file;
// - a block fenced as ```ts fragment is a piece of a larger program (a method, an excerpt):
//   it is not checked. Keep those few (the test
//   fails when half the blocks are fragments).

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OUT = join(ROOT, 'test/.tmp/docs-blocks');
const PACKAGES = readdirSync(join(ROOT, 'packages')).filter((p) => {
  try {
    return readFileSync(join(ROOT, 'packages', p, 'src/index.ts')).length > 0 && p !== 'demo';
  } catch {
    return false;
  }
});

interface Block {
  page: string;
  line: number;
  code: string;
  fragment: boolean;
}

function pages(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`);
  const readmes = readdirSync(join(ROOT, 'packages'))
    .map((p) => `packages/${p}/README.md`)
    .filter((f) => {
      try {
        readFileSync(join(ROOT, f));
        return true;
      } catch {
        return false;
      }
    });
  return ['README.md', ...docs, ...readmes];
}

function blocks(): Block[] {
  const out: Block[] = [];
  for (const page of pages()) {
    const text = readFileSync(join(ROOT, page), 'utf8');
    for (const m of text.matchAll(/^```(?:ts|typescript)([^\n]*)\n([\s\S]*?)^```/gm)) {
      const line = text.slice(0, m.index).split('\n').length;
      out.push({ page, line, code: m[2]!, fragment: /\bfragment\b/.test(m[1]!) });
    }
  }
  return out;
}

const options: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2023.d.ts'],
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  skipLibCheck: true,
  noEmit: true,
  types: ['node', 'jest'], // test examples use Jest's globals
  baseUrl: ROOT,
  // The built declarations (npm test builds first): checking the sources again is slow.
  paths: Object.fromEntries(PACKAGES.map((p) => [`@keel/${p}`, [`packages/${p}/dist/index.d.ts`]])),
};

/** Which @keel package exports each name (the first one listed wins). */
function keelExports(program: ts.Program): Map<string, string> {
  const checker = program.getTypeChecker();
  const names = new Map<string, string>();
  for (const p of PACKAGES) {
    const file = program.getSourceFile(join(ROOT, 'packages', p, 'dist/index.d.ts'));
    const symbol = file && checker.getSymbolAtLocation(file);
    for (const e of symbol ? checker.getExportsOfModule(symbol) : []) {
      if (!names.has(e.name)) names.set(e.name, `@keel/${p}`);
    }
  }
  return names;
}

const MISSING_NAME = new Set([2304, 2552]); // Cannot find name 'X' (. Did you mean …?)

describe('TypeScript blocks in README.md and docs/', () => {
  const all = blocks();

  it('finds the blocks', () => {
    expect(all.length).toBeGreaterThan(20);
  });

  it('keeps fragments the exception', () => {
    const fragments = all.filter((b) => b.fragment).length;
    expect(fragments).toBeLessThan(all.length / 2);
  });

  it('every other block type-checks (with @keel names imported for it)', () => {
    rmSync(OUT, { recursive: true, force: true });
    mkdirSync(OUT, { recursive: true });
    // Blocks quoted verbatim from docs/examples are compiled there (tsc -p docs/examples).
    const examples = readdirSync(join(ROOT, 'docs/examples'))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => readFileSync(join(ROOT, 'docs/examples', f), 'utf8'));
    const checked = all.filter((b) => !b.fragment && !examples.some((e) => e.includes(b.code)));
    const files = checked.map((b, i) => {
      const name = join(OUT, `${b.page.replace(/[/.]/g, '_')}_${b.line}_${i}.ts`);
      return { ...b, name };
    });
    const write = (prelude: Map<string, Set<string>>): void => {
      for (const f of files) {
        const imports = [...(prelude.get(f.name) ?? new Map<string, Set<string>>())];
        const byPackage = new Map<string, string[]>();
        for (const [name, pkg] of imports as unknown as Array<[string, string]>)
          byPackage.set(pkg, [...(byPackage.get(pkg) ?? []), name]);
        const head = [...byPackage].map(
          ([pkg, names]) => `import { ${names.join(', ')} } from '${pkg}';`,
        );
        // One line of prelude at most, so reported lines stay close to the page's.
        writeFileSync(f.name, `${head.join(' ')}\n${f.code}\nexport {};\n`);
      }
    };
    write(new Map());
    // The packages' entry points are roots too, so their exports are known to the prelude.
    const entries = PACKAGES.map((p) => join(ROOT, 'packages', p, 'dist/index.d.ts'));
    let program = ts.createProgram([...files.map((f) => f.name), ...entries], options);
    const exported = keelExports(program);
    const prelude = new Map<string, Map<string, string>>();
    for (const d of ts.getPreEmitDiagnostics(program)) {
      if (!d.file || !MISSING_NAME.has(d.code) || d.start === undefined) continue;
      const name = d.file.text.slice(d.start, d.start + (d.length ?? 0));
      const pkg = exported.get(name);
      if (!pkg) continue;
      const m = prelude.get(d.file.fileName) ?? new Map<string, string>();
      m.set(name, pkg);
      prelude.set(d.file.fileName, m);
    }
    write(prelude as unknown as Map<string, Set<string>>);
    program = ts.createProgram(
      [...files.map((f) => f.name), ...entries],
      options,
      undefined,
      program,
    );
    const errors: string[] = [];
    const failing = new Set<string>();
    for (const d of ts.getPreEmitDiagnostics(program)) {
      const f = files.find((x) => x.name === d.file?.fileName);
      if (f) failing.add(`${f.page}:${f.line}`);
      const where =
        f && d.start !== undefined
          ? `${f.page}:${f.line + d.file!.getLineAndCharacterOfPosition(d.start).line}`
          : relative(ROOT, d.file?.fileName ?? '?');
      errors.push(`${where}: TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
    }
    writeFileSync(join(OUT, 'failing.json'), JSON.stringify([...failing], null, 2));
    expect(errors).toEqual([]);
  });
});
