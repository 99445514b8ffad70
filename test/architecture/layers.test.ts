import { fileURLToPath, pathToFileURL } from 'node:url';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Lints `code` as if it were the file `path` of packages/core/src, with the layer rules only. */
async function lint(path: string, code: string): Promise<string[]> {
  const { layerRules } = (await import(pathToFileURL(`${ROOT}eslint.layers.js`).href)) as {
    layerRules: Linter.Config[];
  };
  const eslint = new ESLint({
    cwd: ROOT,
    overrideConfigFile: true,
    overrideConfig: [
      { files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } },
      ...layerRules,
    ],
  });
  const [result] = await eslint.lintText(code, { filePath: `${ROOT}packages/core/src/${path}` });
  return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('the layer rule of packages/core/src (eslint.layers.js, part of npm run lint)', () => {
  it('fails on a back-import: the lifecycle importing the kernel', async () => {
    const messages = await lint(
      'lifecycle/back-import.ts',
      "import type { Kernel } from '../kernel/kernel.js';\nexport type K = Kernel;\n",
    );
    expect(messages).toEqual([
      expect.stringMatching(/^no-restricted-imports: .*Layer "lifecycle"/),
    ]);
  });

  it('fails on a type-only back-import from the bottom layer', async () => {
    const messages = await lint(
      'util/back-import.ts',
      "import type { Clock } from '../time/clock.js';\nexport type C = Clock;\n",
    );
    expect(messages).toHaveLength(1);
  });

  it('allows imports down the layers and the listed specs', async () => {
    const messages = await lint(
      'kernel/down.ts',
      "import { KeelError } from '../errors/keel-error.js';\nexport const e = KeelError;\n",
    );
    const spec = await lint(
      'decorators/spec.ts',
      "import { restartPolicy } from '../workers/restart-policy.js';\nexport const r = restartPolicy;\n",
    );
    expect([...messages, ...spec]).toEqual([]);
  });

  it('still bans the global tsyringe helpers in core files', async () => {
    const messages = await lint(
      'kernel/tsyringe.ts',
      "import { singleton } from 'tsyringe';\nexport const s = singleton;\n",
    );
    expect(messages).toHaveLength(1);
  });
});
