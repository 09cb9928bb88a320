/** A document of the retrieval evaluation. */
export interface EvalDocument {
  key: string;
  title: string;
  contentType: 'text/plain' | 'text/markdown';
  text: string;
}

/** The evaluation documents: five unrelated subjects, each a few paragraphs with distinct facts. */
export const EVAL_DOCUMENTS: readonly EvalDocument[] = [
  {
    key: 'handbook',
    title: 'Office handbook',
    contentType: 'text/markdown',
    text: `# Office handbook

## Working hours
The office is open from 7:30 to 19:00 on weekdays. Core hours, when everyone is expected to be reachable, run from 10:00 to 15:00. The building is closed on public holidays and during the last week of December.

## Annual leave
Every employee receives twenty-seven days of annual leave per calendar year. Up to five unused days may be carried over to the next year, but they expire at the end of March. Leave requests go through the HR portal at least two weeks in advance.

## Expenses
Travel expenses are reimbursed within thirty days of submitting the receipt. Train travel is booked in second class unless the journey takes longer than four hours. Meals during business trips are covered up to 45 euros per day.

## Security badges
A lost security badge must be reported to the reception desk immediately, so the badge can be deactivated. Replacement badges cost 20 euros after the first one. Visitors receive a paper pass and must be accompanied at all times.

## Remote work
Employees may work remotely up to three days per week after their probation period. The company provides a monitor and a chair for the home office on request. Remote days are registered in the team calendar.

## Parking
The underground car park has forty spaces, assigned by lottery every six months. Electric vehicles may charge at the six wall boxes on level minus one for free. Bicycles are parked in the locked room next to the staff entrance.`,
  },
  {
    key: 'espresso',
    title: 'Espresso machine manual',
    contentType: 'text/plain',
    text: `Espresso machine manual

Installation. Place the machine on a flat, dry surface at least ten centimetres from the wall. Fill the water tank with fresh cold water up to the MAX line before switching the machine on for the first time.

Descaling. The machine must be descaled every three months, or sooner when the descale light blinks orange. Use citric acid dissolved in one litre of water and run the descaling programme, which takes about twenty minutes.

Grinding and dosing. Grind the beans fresh for every shot. A single shot uses nine grams of coffee and a double shot eighteen grams. The grind should be fine, like table salt; adjust the grinder one step at a time.

Brewing. A double espresso should take between twenty-five and thirty seconds to extract about thirty-six grams of liquid. If it runs faster the grind is too coarse; if it drips slowly the grind is too fine.

Milk steaming. Purge the steam wand for two seconds before and after steaming. Keep the tip just below the surface of the milk until it reaches sixty-five degrees Celsius; hotter milk loses its sweetness.

Troubleshooting. If the pump hums but no water flows, the water tank is empty or the inlet valve is stuck. If the machine leaks from the group head, replace the rubber gasket, which wears out after about a year.`,
  },
  {
    key: 'solar',
    title: 'Notes on the solar system',
    contentType: 'text/markdown',
    text: `# Notes on the solar system

Mercury is the smallest planet and the closest to the Sun. A year on Mercury lasts only eighty-eight Earth days, while one solar day there lasts about 176 Earth days.

Venus is the hottest planet, with surface temperatures around 465 degrees Celsius, because its thick carbon dioxide atmosphere traps heat in a runaway greenhouse effect. Venus rotates backwards compared with most planets.

Mars has the tallest volcano in the solar system, Olympus Mons, about twenty-two kilometres high. Its red colour comes from iron oxide dust. Mars has two small moons, Phobos and Deimos.

Jupiter is the largest planet; more than 1,300 Earths would fit inside it. The Great Red Spot is a storm larger than Earth that has been observed for over three hundred years. Jupiter has at least ninety-five known moons.

Saturn's rings are made mostly of water ice, with some rock and dust. The rings are very wide but usually less than a kilometre thick. Saturn is less dense than water.

Neptune has the strongest winds measured in the solar system, reaching more than 2,000 kilometres per hour. It was the first planet located by mathematical prediction rather than by observation, in 1846.`,
  },
  {
    key: 'runbook',
    title: 'Deployment runbook',
    contentType: 'text/plain',
    text: `Deployment runbook

Before deploying. Check that the main branch pipeline is green and that the database migrations have been reviewed by a second engineer. Announce the deployment in the operations channel fifteen minutes ahead.

Rolling out. Deploy to the staging cluster first and run the smoke tests. Production is updated with a rolling update that replaces at most one pod at a time, with a readiness probe on /health/ready.

Rolling back. If the error rate rises above two percent for five minutes, roll back with the previous image tag. The rollback command is kubectl rollout undo deployment/api, followed by a check of the pods' status.

Database migrations. Migrations must be backward compatible for one release: add columns first, deploy the code that uses them, and remove old columns only in the following release.

Secrets. Secrets are stored in the vault and mounted as files, never passed as command-line arguments. Rotate the API signing keys every ninety days and keep the previous key valid during the overlap.

On-call. The on-call engineer acknowledges a page within ten minutes. Incidents of severity one require a written post-mortem within five working days.`,
  },
  {
    key: 'sourdough',
    title: 'Sourdough baking guide',
    contentType: 'text/markdown',
    text: `# Sourdough baking guide

## The starter
Feed the starter twice a day with equal weights of flour and water. A healthy starter doubles in volume within four to six hours and smells pleasantly sour, like yoghurt.

## Mixing
Mix 500 grams of bread flour with 350 grams of water and let it rest for an hour; this autolyse makes the dough easier to shape. Then add 100 grams of active starter and ten grams of salt.

## Bulk fermentation
During bulk fermentation, perform four sets of stretch and folds, thirty minutes apart. The dough is ready when it has grown by about half and shows bubbles on the sides of the container.

## Shaping and proofing
Shape the dough into a tight boule and place it seam side up in a floured banneton. Proof it overnight in the refrigerator, which develops flavour and makes scoring easier.

## Baking
Preheat the oven with a Dutch oven inside to 250 degrees Celsius for forty-five minutes. Bake covered for twenty minutes, then uncovered at 230 degrees for another twenty to twenty-five minutes until deep brown.

## Storing
Let the loaf cool for at least an hour before cutting. Store it cut side down on a wooden board; it stays fresh for three days and freezes well in slices.`,
  },
];
