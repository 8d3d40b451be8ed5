import { benchSim } from './bench.ts';
const r: number[] = [];
for (let k = 0; k < 4; k++) r.push(benchSim('rome', { seconds: 1.5, actions: 'random' }).stepsPerSecond);
console.log(process.env.VARIANT, r.join(' '));
