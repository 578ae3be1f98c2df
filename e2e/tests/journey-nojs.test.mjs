// The same journey with JavaScript off: every step that needs no script
// works, and the paywall holds.
import { defineJourney } from '../lib/journey.mjs';

await defineJourney({ js: false });
