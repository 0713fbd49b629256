export * from './context';
export * from './artifacts/directory-artifact-store';
