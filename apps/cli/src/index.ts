export * from './main';
export * from './commands/run.command';
