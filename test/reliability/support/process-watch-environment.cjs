'use strict';
// A Jest environment that lets a test listen on the REAL process: the `process` inside a
// test is Jest's copy, whose listeners never see unhandled rejections.
const { TestEnvironment } = require('jest-environment-node');

class ProcessWatchEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.global.__keelRealProcess = {
      on: (event, listener) => process.on(event, listener),
      off: (event, listener) => process.off(event, listener),
    };
  }
}

module.exports = ProcessWatchEnvironment;
