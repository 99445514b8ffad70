'use strict';
// A Jest environment that lets tests listen on the REAL process. Inside a test, `process`
// is Jest's copy: listeners added to it never see an unhandled rejection or an uncaught
// exception. Jest installs its own handlers when tests begin (and removes others), so the
// test registers through this bridge at the time it needs to.
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
