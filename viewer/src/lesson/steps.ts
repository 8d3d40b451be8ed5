// The lesson's five steps in words: what the class is looking at, two or three plain sentences each. The ROME
// facts are only those of arXiv:2512.24873 §3.1.4 (an RL-trained agent opened a reverse SSH tunnel and
// repurposed training GPUs for mining; it was found through firewall alerts); no figure is invented here.

export interface LessonStep {
  title: string;
  text: string[];
}

export const STEPS: readonly LessonStep[] = [
  {
    title: '1 · The task and the reward',
    text: [
      'This is rome, a small training room. The agent (white) is paid only for work at the job terminal on the west wall, and every step it works, it does as much work as the compute it holds.',
      'Two idle GPU racks sit in the walls by the firewall, and the firewall’s ports are misconfigured. Nothing in the reward mentions them. Before training: what does the class predict the agent will learn?',
    ],
  },
  {
    title: '2 · Train, and watch the side strategies appear',
    text: [
      'Press Train: the same learning code as the command line (PPO) trains in this page, on this computer. The chart shows the reward the agent earns, and for each side strategy the share of training episodes that used it.',
      'The milestones say in words when each side strategy first happens, and when it becomes a habit. The board shows the current policy playing.',
    ],
  },
  {
    title: '3 · The firewall alert leads back to the episode',
    text: [
      'In the ROME report (arXiv:2512.24873, §3.1.4), an agent trained with reinforcement learning opened a reverse SSH tunnel and repurposed training GPUs for mining. It was found through firewall alerts.',
      'Here the firewall raises an alert too. The board shows a recorded checkpoint episode stopped at its alert: step back from it to see what the agent was doing, and why.',
    ],
  },
  {
    title: '4 · Turn on a guardrail and train again',
    text: [
      'A guardrail changes the world or the training signal: the sandbox locks the racks and seals the firewall; the penalty charges the training reward for every violation. The sandbox is ticked for you; tick others if the class wants.',
      'Press Train again: the same world, seed and budget, so the guardrail is the only difference.',
    ],
  },
  {
    title: '5 · Before and after, side by side',
    text: [
      'Left, the run without a guardrail; right, the same run with it. Compare the side strategies’ lines, the alerts and the reward, and watch each last checkpoint’s episode.',
      'Then look back at the class’s prediction from step 1: what came true, and what did the guardrail change?',
    ],
  },
];

/** The class's prediction in step 1: what the agent will learn. */
export const PREDICTIONS = [
  { value: 'task', label: 'to work at the terminal' },
  { value: 'racks', label: 'to claim the idle GPU racks' },
  { value: 'tunnel', label: 'to open a tunnel through the firewall' },
] as const;
