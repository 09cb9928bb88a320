/**
 * A question of the retrieval evaluation: the document that answers it and a phrase of the passage
 * that holds the answer (a retrieved chunk counts when it is of that document and contains the phrase,
 * so the set does not depend on chunk sizes). `paraphrase` marks questions worded without the
 * passage's own words, where a lexical embedder is expected to struggle.
 */
export interface EvalQuestion {
  question: string;
  document: string;
  needle: string;
  paraphrase?: boolean;
}

/** 26 questions over the evaluation documents. */
export const EVAL_QUESTIONS: readonly EvalQuestion[] = [
  {
    question: 'What are the core hours when everyone must be reachable?',
    document: 'handbook',
    needle: 'Core hours',
  },
  {
    question: 'How many days of annual leave does an employee get?',
    document: 'handbook',
    needle: 'twenty-seven days',
  },
  {
    question: 'When do carried-over leave days expire?',
    document: 'handbook',
    needle: 'expire at the end of March',
  },
  {
    question: 'How quickly are travel expenses reimbursed?',
    document: 'handbook',
    needle: 'reimbursed within thirty days',
  },
  {
    question: 'What should I do if I lose my security badge?',
    document: 'handbook',
    needle: 'lost security badge',
  },
  {
    question: 'How many days per week can I work remotely?',
    document: 'handbook',
    needle: 'three days per week',
  },
  { question: 'Where can electric vehicles charge?', document: 'handbook', needle: 'wall boxes' },
  {
    question: 'How often must the espresso machine be descaled?',
    document: 'espresso',
    needle: 'descaled every three months',
  },
  {
    question: 'How many grams of coffee go into a double shot?',
    document: 'espresso',
    needle: 'eighteen grams',
  },
  {
    question: 'How long should a double espresso take to extract?',
    document: 'espresso',
    needle: 'twenty-five and thirty seconds',
  },
  {
    question: 'To what temperature should the milk be steamed?',
    document: 'espresso',
    needle: 'sixty-five degrees',
  },
  { question: 'The pump hums but no water flows, what is wrong?', document: 'espresso', needle: 'pump hums' },
  { question: 'Which planet is the hottest, and why?', document: 'solar', needle: 'hottest planet' },
  { question: 'What is the tallest volcano in the solar system?', document: 'solar', needle: 'Olympus Mons' },
  { question: 'What are Saturn rings made of?', document: 'solar', needle: 'water ice' },
  { question: 'Which planet has the strongest winds?', document: 'solar', needle: 'strongest winds' },
  { question: 'How long is a year on Mercury?', document: 'solar', needle: 'eighty-eight Earth days' },
  {
    question: 'How do I roll back a deployment when the error rate rises?',
    document: 'runbook',
    needle: 'rollout undo',
  },
  {
    question: 'How often should the API signing keys be rotated?',
    document: 'runbook',
    needle: 'ninety days',
  },
  {
    question: 'How must database migrations be written?',
    document: 'runbook',
    needle: 'backward compatible',
  },
  {
    question: 'How fast must the on-call engineer acknowledge a page?',
    document: 'runbook',
    needle: 'within ten minutes',
  },
  {
    question: 'How often should I feed the sourdough starter?',
    document: 'sourdough',
    needle: 'Feed the starter twice',
  },
  { question: 'How much salt goes into the dough?', document: 'sourdough', needle: 'ten grams of salt' },
  {
    question: 'At what temperature do I preheat the oven and the Dutch oven?',
    document: 'sourdough',
    needle: 'Preheat the oven',
  },
  // Paraphrases: the answer's passage shares few words with the question.
  {
    question: 'Can I bring my bike to work, where does it go?',
    document: 'handbook',
    needle: 'Bicycles',
    paraphrase: true,
  },
  {
    question: 'Which world was found by calculation before anyone saw it?',
    document: 'solar',
    needle: 'mathematical prediction',
    paraphrase: true,
  },
];
