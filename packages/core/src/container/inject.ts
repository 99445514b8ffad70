// Re-exported so plugins and services need no direct tsyringe import (and its load order).
export { inject, delay } from 'tsyringe';
