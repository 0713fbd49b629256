export {};
export * from './sam';
export * from './grounding-dino';
export * from './diffusion';
