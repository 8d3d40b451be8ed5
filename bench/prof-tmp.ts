import { benchSim } from './bench.ts';
console.log(JSON.stringify([benchSim('rome', { seconds: 3, actions: 'policy' }), benchSim('rome', { seconds: 3, actions: 'random' })].map((b) => ({ actions: b.actions, stepsPerSecond: b.stepsPerSecond, eventsPerStep: b.eventsPerStep }))));
