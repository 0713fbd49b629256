export * from './context';
export * from './artifacts/directory-artifact-store';
export * from './output-cache';
export * from './engine';
export * from './model-services';
