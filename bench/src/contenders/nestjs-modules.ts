import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Dag } from '../dag.js';
import { moduleName, named, type BootContender, type CallCounter } from './contender.js';

type Ctor = new (...args: unknown[]) => unknown;

/**
 * NestJS, one `@Module` per graph module: each module provides and exports its provider and
 * imports the modules of its dependencies (the same DAG), the root module imports them all.
 * Closer to how a large Nest app is cut, and much slower than the one-module shape.
 */
export const nestjsModules: BootContender = {
  define(dag: Dag, counter: CallCounter) {
    const providers: Ctor[] = [];
    const modules: Ctor[] = [];
    for (let i = 0; i < dag.n; i++) {
      const cls = named(
        class {
          readonly deps: unknown[];
          constructor(...deps: unknown[]) {
            this.deps = deps;
          }
          onModuleInit(): void {
            counter.calls++;
          }
          onApplicationBootstrap(): void {
            counter.calls++;
          }
          onModuleDestroy(): void {
            counter.calls++;
          }
        },
        moduleName(i),
      );
      Reflect.defineMetadata(
        'design:paramtypes',
        dag.deps[i]!.map((j) => providers[j]!),
        cls,
      );
      Injectable()(cls);
      providers.push(cls);
      const mod = named(class {}, `${moduleName(i)}Module`);
      Module({
        imports: dag.deps[i]!.map((j) => modules[j]!),
        providers: [cls],
        exports: [cls],
      })(mod);
      modules.push(mod);
    }
    const AppModule = named(class {}, 'AppModule');
    Module({ imports: modules })(AppModule);
    return {
      async boot() {
        const app = await NestFactory.createApplicationContext(AppModule, {
          logger: false,
          abortOnError: false,
        });
        return { shutdown: () => app.close() };
      },
    };
  },
};
