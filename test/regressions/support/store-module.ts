import { Module } from '@keel/core';

/** A module another module injects by type (see missing-metadata-names-cause-and-fixes). */
@Module({ name: 'store' })
export class Store {
  readonly items: string[] = [];
}
