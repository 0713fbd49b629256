import { cli } from './main';

void cli();
