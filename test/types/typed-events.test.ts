import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

/** Type-checks one fixture the way `tsc --noEmit` would, with the repo's settings. */
function diagnose(fixture: string): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(root, 'tsconfig.test-base.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  )!;
  const program = ts.createProgram([join(here, 'fixtures', fixture)], {
    ...config.options,
    noEmit: true,
  });
  return ts
    .getPreEmitDiagnostics(program)
    .map(
      (d) =>
        `${d.file ? `${d.file.fileName.split('/').pop()}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}` : ''} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`,
    );
}

describe('typed events (compile time)', () => {
  it('accepts the right payloads', () => {
    expect(diagnose('typed-events-ok.ts')).toEqual([]);
  });

  it('rejects a wrong payload on trigger and on a hook', () => {
    const errors = diagnose('typed-events-wrong-payload.ts');
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/typed-events-wrong-payload\.ts:10 .*number.*string/s);
    expect(errors[1]).toMatch(/typed-events-wrong-payload\.ts:16 /);
  });
});
