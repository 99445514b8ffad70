import 'reflect-metadata';
import {
  container as rootContainer,
  injectable,
  Lifecycle,
  type DependencyContainer,
} from 'tsyringe';
import type { InjectionToken } from 'tsyringe';
import type { ModuleClass } from '../decorators/metadata.js';
import { isModuleClass } from '../decorators/registry.js';
import { asyncProviderError, providerEntryError, typeName } from '../errors/catalog.js';
import { KeelError } from '../errors/keel-error.js';
import { clause, describe, isInstance, printValue } from '../errors/safe.js';
import { constructorTokens } from '../graph/constructor-deps.js';
import type { Provider } from './provider.js';
import { isThenable } from '../util/thenable.js';

/** Codes a constructor may throw that `Kernel.create` rethrows as they are. */
const PASS_THROUGH: ReadonlySet<string> = new Set([
  'E_CONFIG_INVALID',
  'E_CONFIG_CONFLICT',
  'E_CONFIG_FILE',
]);

/**
 * The kernel's own tsyringe child container: the only file that talks to tsyringe.
 * Nothing is ever registered in the root container, so kernels share no instances.
 */
export class KernelContainer {
  private readonly container: DependencyContainer = rootContainer.createChildContainer();
  private readonly overrides = new Map<unknown, Provider>();
  private readonly asyncProviders = new Map<unknown, Provider>();
  private readonly asyncValues = new Map<unknown, Promise<void>>();
  /** Values made by factories that declare `dispose`, in creation order. */
  private readonly disposables: Array<{ provider: Provider; value: unknown }> = [];
  /** Constructor tokens by class: each class's metadata is walked once per kernel. */
  private readonly tokenCache = new Map<ModuleClass, readonly unknown[]>();
  private constructing: unknown = undefined;

  constructor(providers: readonly Provider[], contextToken: ModuleClass) {
    for (const [index, provider] of providers.entries()) {
      validateProvider(provider, index);
      if (isModuleClass(provider.provide)) this.overrides.set(provider.provide, provider);
      else this.register(provider);
    }
    // Each module receives its own context: the one of the module being constructed now.
    this.container.register(contextToken, { useFactory: () => this.constructing });
  }

  /**
   * True when constructing `cls` needs an async provider (directly or through a plain
   * class it injects): it is constructed in `start()` instead of at `Kernel.create`.
   */
  needsAsync(cls: ModuleClass, lazyModules: ReadonlySet<unknown>): boolean {
    if (this.asyncProviders.size === 0) return false;
    const override = this.overrides.get(cls);
    if (override !== undefined && override.useClass === undefined) return false;
    const seen = new Set<unknown>();
    const visit = (c: ModuleClass): boolean =>
      this.tokensOf(c).some((token) => {
        if (this.asyncProviders.has(token) || lazyModules.has(token)) return true;
        if (
          typeof token !== 'function' ||
          seen.has(token) ||
          BUILTINS.has(token) ||
          isModuleClass(token)
        )
          return false;
        seen.add(token);
        return visit(token as ModuleClass);
      });
    return visit(override?.useClass ?? cls);
  }

  /** Awaits every async provider `cls` needs (each factory runs once per kernel). */
  async resolveAsyncFor(cls: ModuleClass): Promise<void> {
    const seen = new Set<unknown>();
    const pending: Array<Promise<void>> = [];
    const visit = (c: ModuleClass): void => {
      for (const token of this.tokensOf(c)) {
        if (seen.has(token)) continue;
        seen.add(token);
        if (this.asyncProviders.has(token)) pending.push(this.resolveAsync(token));
        else if (typeof token === 'function' && !BUILTINS.has(token) && !isModuleClass(token))
          visit(token as ModuleClass);
      }
    };
    visit(this.overrides.get(cls)?.useClass ?? cls);
    await Promise.all(pending);
  }

  /** Runs the disposers of factory-made values, newest first; each failure goes to `onError`. */
  async disposeAll(onError: (err: unknown, token: string) => void): Promise<void> {
    for (const { provider, value } of this.disposables.splice(0).reverse()) {
      try {
        await provider.dispose!(value);
      } catch (err) {
        onError(err, tokenName(provider.provide));
      }
    }
  }

  /** The replacement registered for a module class, if any. */
  overrideOf(cls: ModuleClass): Provider | undefined {
    return this.overrides.get(cls);
  }

  /**
   * Constructs a module (or its replacement) as a singleton of this container, injecting
   * `context` as its `ModuleContext`. Dependencies must already be constructed. `tokens`
   * are the constructor tokens of `cls` (the graph read them already).
   */
  constructModule(
    name: string,
    cls: ModuleClass,
    tokens: readonly unknown[],
    context: unknown,
  ): object {
    const override = this.overrides.get(cls);
    this.constructing = context;
    try {
      let instance: unknown;
      if (override === undefined && cls.length === 0 && tokens.length === 0) {
        instance = new cls(); // nothing to inject: skip the container's resolution
      } else if (override === undefined) {
        this.registerImplicit(cls, new Set());
        instance = this.container.resolve(cls);
      } else if ('useValue' in override) {
        instance = override.useValue;
      } else if (override.useClass !== undefined) {
        this.registerImplicit(override.useClass, new Set());
        instance = this.container.resolve(override.useClass);
      } else {
        instance = override.useFactory!(this.container);
      }
      if (instance === null || typeof instance !== 'object') {
        throw new TypeError(
          `the replacement of module "${name}" is ${String(instance)}, not an object`,
        );
      }
      this.container.register(cls, { useValue: instance });
      return instance;
    } catch (err) {
      // The service's configuration is at fault, not this constructor: say so directly.
      if (isInstance(err, KeelError) && PASS_THROUGH.has(err.code)) throw err;
      throw new KeelError(
        'E_MODULE_CONSTRUCTOR',
        `Could not construct module "${name}" (class ${cls.name}): ${clause(describe(err))}.\n` +
          constructorHint(cls, tokens),
        { module: name, cause: err },
      );
    } finally {
      this.constructing = undefined;
    }
  }

  private resolveAsync(token: unknown): Promise<void> {
    let done = this.asyncValues.get(token);
    if (done === undefined) {
      const provider = this.asyncProviders.get(token)!;
      done = (async () => {
        const value = await provider.useFactory!(this.container);
        this.container.register(token as InjectionToken<unknown>, { useValue: value });
        if (provider.dispose !== undefined) this.disposables.push({ provider, value });
      })();
      this.asyncValues.set(token, done);
    }
    return done;
  }

  /** Resolves a token, as `kernel.get()` does. */
  resolve<T>(token: InjectionToken<T>): T {
    return this.container.resolve(token);
  }

  /** A class's constructor tokens, read from its metadata once per kernel. */
  private tokensOf(cls: ModuleClass): readonly unknown[] {
    let tokens = this.tokenCache.get(cls);
    if (tokens === undefined) {
      tokens = constructorTokens(cls);
      this.tokenCache.set(cls, tokens);
    }
    return tokens;
  }

  /** True when the token has a registration in this kernel. */
  has(token: InjectionToken<unknown>): boolean {
    return this.container.isRegistered(token, false);
  }

  /**
   * Plain classes injected by type but not listed as providers become singletons of this
   * kernel (tsyringe would build a new one per injection), and get their type info.
   */
  private registerImplicit(cls: ModuleClass, seen: Set<unknown>): void {
    injectable()(cls);
    for (const token of this.tokensOf(cls)) {
      if (
        typeof token !== 'function' ||
        seen.has(token) ||
        BUILTINS.has(token) ||
        isModuleClass(token)
      )
        continue;
      seen.add(token);
      if (this.container.isRegistered(token as ModuleClass, true)) continue;
      this.registerImplicit(token as ModuleClass, seen);
      this.container.register(
        token as ModuleClass,
        { useClass: token as ModuleClass },
        { lifecycle: Lifecycle.ContainerScoped },
      );
    }
  }

  private register(provider: Provider): void {
    const token = provider.provide;
    if (isAsync(provider)) {
      this.asyncProviders.set(token, provider);
      this.container.register(token, {
        useFactory: () => {
          throw asyncProviderError(
            `Provider ${tokenName(token)} is async: its value exists only once start() awaited it. ` +
              `Resolve it from a module's constructor or later, not before kernel.start().`,
          );
        },
      });
    } else if ('useValue' in provider) {
      this.container.register(token, { useValue: provider.useValue });
    } else if (provider.useClass !== undefined) {
      injectable()(provider.useClass);
      this.container.register(
        token,
        { useClass: provider.useClass },
        { lifecycle: Lifecycle.ContainerScoped },
      );
    } else if (provider.useFactory !== undefined) {
      const factory = provider.useFactory;
      let made = false;
      let value: unknown;
      // One value per kernel, made on first use.
      this.container.register(token, {
        useFactory: (c) => {
          if (!made) {
            value = factory(c);
            made = true;
            if (isThenable(value)) {
              (value as Promise<unknown>).catch(() => undefined);
              throw asyncProviderError(
                `The factory of provider ${tokenName(token)} returned a promise. Declare it async ` +
                  `(an async function, or { async: true }) so start() awaits it.`,
              );
            }
            if (provider.dispose !== undefined) this.disposables.push({ provider, value });
          }
          return value;
        },
      });
    } else if (typeof token === 'function') {
      injectable()(token);
      this.container.register(
        token,
        { useClass: token as ModuleClass },
        { lifecycle: Lifecycle.ContainerScoped },
      );
    }
  }
}

function isAsync(provider: Provider): boolean {
  return (
    provider.useFactory !== undefined &&
    (provider.async === true || provider.useFactory.constructor.name === 'AsyncFunction')
  );
}

function validateProvider(provider: Provider, index: number): void {
  if (provider === null || typeof provider !== 'object' || provider.provide === undefined) {
    throw providerEntryError(
      index,
      undefined,
      'provide',
      'has no "provide" token. Use { provide: Token, useValue | useClass | useFactory }.',
    );
  }
  const kinds = ['useValue', 'useClass', 'useFactory'].filter((k) => k in provider).length;
  if (kinds > 1) {
    throw providerEntryError(
      index,
      tokenName(provider.provide),
      'useValue',
      'sets more than one of useValue, useClass, useFactory. Keep one.',
    );
  }
  if (provider.dispose !== undefined && provider.useFactory === undefined) {
    throw providerEntryError(
      index,
      tokenName(provider.provide),
      'dispose',
      'has dispose but no useFactory; only values a factory makes are disposed by the kernel.',
    );
  }
  for (const key of ['useClass', 'useFactory', 'dispose'] as const) {
    const value: unknown = (provider as unknown as Record<string, unknown>)[key];
    if (value !== undefined && typeof value !== 'function') {
      throw providerEntryError(
        index,
        tokenName(provider.provide),
        key,
        `has a ${key} that is ${typeName(value)}; it must be ${key === 'useClass' ? 'a class' : 'a function'}.`,
      );
    }
  }
  if (kinds === 0 && typeof provider.provide !== 'function') {
    throw providerEntryError(
      index,
      tokenName(provider.provide),
      'useValue',
      'needs useValue, useClass or useFactory.',
    );
  }
}

function tokenName(token: unknown): string {
  return typeof token === 'function' ? token.name : printValue(token);
}

// Types emitted for parameters without a class (`string`, `unknown`, …): never auto-registered.
const BUILTINS = new Set<unknown>([
  Object,
  String,
  Number,
  Boolean,
  Array,
  Function,
  Promise,
  Symbol,
  BigInt,
]);

/**
 * What to check when a module cannot be constructed. A class with constructor parameters but
 * no `design:paramtypes` was compiled without decorator metadata (tsx, esbuild, Vite); a
 * parameter whose emitted type is `Object` had its class imported with `import type` (or is
 * an interface). Say which, and name both fixes, since tsyringe's "TypeInfo not known" does not.
 */
function constructorHint(
  cls: { length: number; name: string },
  tokens: readonly unknown[],
): string {
  const types = Reflect.getMetadata('design:paramtypes', cls) as unknown[] | undefined;
  if (types === undefined && cls.length > 0) {
    return (
      `Class ${cls.name} has no decorator metadata: it was compiled without "emitDecoratorMetadata" ` +
      '(tsx, esbuild and Vite never emit it), so the container cannot tell what its constructor ' +
      'needs. Either compile with tsc (or ts-jest) with "experimentalDecorators" and ' +
      '"emitDecoratorMetadata" on, or put @inject(Token) on every constructor parameter.'
    );
  }
  const erased = tokens.flatMap((token, index) => (token === Object ? [`#${index}`] : []));
  if (erased.length > 0) {
    return (
      `Constructor parameter ${erased.join(', ')} of ${cls.name} has no class in its decorator ` +
      'metadata (it reads "Object"): its type was imported with "import type", which erases the ' +
      'class, or is an interface or type alias. Either import the class as a value ' +
      "(import { Db } from './db.js', not import type), or put @inject(Token) on that parameter."
    );
  }
  return (
    'Check its constructor and that every parameter is a module, a provider in Kernel.create({ providers }), ' +
    'or ModuleContext (classes injected by type must be imported as values, not with "import type").'
  );
}
