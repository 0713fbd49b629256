export * from './main';
export * from './commands/run.command';
export * from './commands/nodes.command';
