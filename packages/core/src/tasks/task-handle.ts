export { TaskHandle, type TaskOps } from './task-state.js';
