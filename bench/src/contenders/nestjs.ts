import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Dag } from '../dag.js';
import { moduleName, named, type BootContender, type CallCounter } from './contender.js';

type Ctor = new (...args: unknown[]) => unknown;

/**
 * NestJS: one `@Module` with one `@Injectable()` provider per graph module, the DAG as
 * constructor dependencies (class tokens in `design:paramtypes`, exactly what tsc emits for
 * `constructor(a: A, b: B)`), lifecycle in `OnModuleInit`, `OnApplicationBootstrap`,
 * `OnModuleDestroy`; booted with `createApplicationContext` + `close()`.
 */
export const nestjs: BootContender = {
  define(dag: Dag, counter: CallCounter) {
    const classes: Ctor[] = [];
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
        dag.deps[i]!.map((j) => classes[j]!),
        cls,
      );
      Injectable()(cls);
      classes.push(cls);
    }
    const AppModule = named(class {}, 'AppModule');
    Module({ providers: classes })(AppModule);
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
