import 'reflect-metadata';
import { inject } from 'tsyringe';
import { KeelError, Module, Worker } from '../../src/index.js';
import { quietKernel } from '../helpers.js';

@Module()
class Config {}

@Module({ dependsOn: [Config] })
class Db {}

@Module()
class Cache {
  constructor(readonly db: Db) {}
}

@Module({ name: 'api', dependsOn: ['Cache', () => Db] })
class Api {}

describe('module graph', () => {
  it('includes modules reached through dependsOn and constructors, in dependency order', () => {
    const kernel = quietKernel({ modules: [Api, Cache] });
    const names = kernel.modules.map((m) => m.name);
    expect(names.sort()).toEqual(['Cache', 'Config', 'Db', 'api']);
    const order = kernel.modules.map((m) => m.name);
    for (const m of kernel.modules) {
      for (const dep of m.dependencies)
        expect(order.indexOf(dep)).toBeLessThan(order.indexOf(m.name));
    }
    expect(kernel.module('api').dependencies.sort()).toEqual(['Cache', 'Db']);
    expect(kernel.module(Cache).dependencies).toEqual(['Db']);
    expect(kernel.module(Db).dependents.sort()).toEqual(['Cache', 'api']);
  });

  it('counts a module injected with @inject as a dependency', () => {
    @Module()
    class Viaject {
      constructor(@inject(Config) readonly config: unknown) {}
    }
    const kernel = quietKernel({ modules: [Viaject] });
    expect(kernel.module(Viaject).dependencies).toEqual(['Config']);
    expect((kernel.module(Viaject).instance as Viaject).config).toBe(
      kernel.module(Config).instance,
    );
  });

  it('names the cycle', () => {
    @Module({ name: 'a', dependsOn: ['c'] })
    class A {}
    @Module({ name: 'b', dependsOn: [A] })
    class B {}
    @Module({ name: 'c', dependsOn: [B] })
    class C {}
    let error: unknown;
    try {
      quietKernel({ modules: [A, B, C] });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(KeelError);
    expect((error as KeelError).code).toBe('E_MODULE_CYCLE');
    expect((error as KeelError).message).toMatch(
      /a -> c -> b -> a|c -> b -> a -> c|b -> a -> c -> b/,
    );
  });

  it('rejects a module that depends on itself', () => {
    @Module({ name: 'self', dependsOn: ['self'] })
    class Self {}
    expect(() => quietKernel({ modules: [Self] })).toThrow(
      expect.objectContaining({ code: 'E_MODULE_CYCLE' }),
    );
  });

  it('rejects two classes with one name', () => {
    @Module({ name: 'twin' })
    class One {}
    @Module({ name: 'twin' })
    class Two {}
    expect(() => quietKernel({ modules: [One, Two] })).toThrow(
      expect.objectContaining({
        code: 'E_MODULE_DUPLICATE',
        message: expect.stringContaining('One and Two'),
      }),
    );
  });

  it('accepts the same class listed twice', () => {
    expect(quietKernel({ modules: [Config, Config] }).modules).toHaveLength(1);
  });

  it('rejects a dependency on an unknown name', () => {
    @Module({ name: 'lonely', dependsOn: ['ghost'] })
    class Lonely {}
    expect(() => quietKernel({ modules: [Lonely] })).toThrow(
      expect.objectContaining({
        code: 'E_MODULE_MISSING',
        message: expect.stringMatching(/"lonely" depends on "ghost"/),
      }),
    );
  });

  it('rejects a class that is not a module', () => {
    class Plain {}
    expect(() => quietKernel({ modules: [Plain] })).toThrow(
      expect.objectContaining({
        code: 'E_NOT_A_MODULE',
        message: expect.stringContaining('Plain'),
      }),
    );
    @Module({ dependsOn: [Plain] })
    class NeedsPlain {}
    expect(() => quietKernel({ modules: [NeedsPlain] })).toThrow(
      expect.objectContaining({ code: 'E_NOT_A_MODULE' }),
    );
  });

  it('rejects method decorators on a class that is not a module', () => {
    class Helper {
      @Worker()
      async loop(): Promise<void> {}
    }
    @Module()
    class UsesHelper {
      constructor(readonly helper: Helper) {}
    }
    expect(() => quietKernel({ modules: [UsesHelper] })).toThrow(
      expect.objectContaining({
        code: 'E_DECORATOR_MISUSE',
        message: expect.stringContaining('Helper'),
      }),
    );
    expect(() => quietKernel({ modules: [Helper] })).toThrow(
      expect.objectContaining({
        code: 'E_NOT_A_MODULE',
        message: expect.stringContaining('@Worker'),
      }),
    );
  });

  it('renders the graph as mermaid, dot and json with statuses', () => {
    const kernel = quietKernel({ modules: [Api, Cache] });
    expect(kernel.graph()).toContain('graph TD');
    expect(kernel.graph('mermaid')).toMatch(/api \(dead\)/);
    expect(kernel.graph('dot')).toContain('"api" -> "Cache";');
    const json = JSON.parse(kernel.graph('json')) as { nodes: unknown[]; edges: unknown[] };
    expect(json.nodes).toContainEqual({ id: 'Db', status: 'dead' });
    expect(json.edges).toContainEqual({ from: 'Db', to: 'Config' });
    expect(() => kernel.graph('png' as 'json')).toThrow(
      expect.objectContaining({ code: 'E_INVALID_OPTION' }),
    );
  });

  it('handles a 10,000-module chain without recursion limits', () => {
    let previous: new () => object = Config;
    const classes: Array<new () => object> = [];
    for (let i = 0; i < 10_000; i++) {
      const dep = previous;
      const cls = class {};
      Object.defineProperty(cls, 'name', { value: `m${i}` });
      Module({ dependsOn: [dep] })(cls);
      classes.push(cls);
      previous = cls;
    }
    const kernel = quietKernel({ modules: [previous] });
    expect(kernel.modules).toHaveLength(10_001);
    expect(kernel.modules[0]!.name).toBe('Config');
    expect(kernel.modules[10_000]!.name).toBe('m9999');
  });
});
