// Step budgets and seeds of the learning tests, in one place (the README quotes the figures they produce).
export const LEARNING_TEST = {
  seed: 1,
  checkpointEvery: 10,
  tutorialSteps: 300_000,
  romeSteps: 1_000_000,
};
